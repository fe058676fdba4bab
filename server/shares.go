package server

import (
	"crypto/subtle"
	"errors"
	"net/http"
	"strconv"
	"strings"

	"github.com/labstack/echo/v4"

	"github.com/omnistat/omnistat/catalog"
	"github.com/omnistat/omnistat/dashboard"
)

// A shared link, /share/{id}, shows one site's dashboard to anyone who has the link,
// read-only. The dashboard sends the id as X-Share-Token with every report; a custom
// header cannot be sent cross-site without a CORS preflight, which this server never
// grants. When the link has a password, POST /api/v1/share/login checks it once and
// sets a cookie (per link, HttpOnly, signed with the session secret over the link id,
// an expiry and a fingerprint of the password hash), so reports cost no bcrypt.

const shareHeader = "X-Share-Token"

var errReadOnly = newError(http.StatusForbidden, "a shared link is read-only: log in to change settings")

func registerShares(e *echo.Echo, h *handlers, dashboardDir string) {
	e.GET("/api/v1/shares", h.listShares)
	e.POST("/api/v1/shares", h.createShare)
	e.DELETE("/api/v1/shares", h.revokeShare)
	e.GET("/api/v1/share", h.shareInfo)
	e.POST("/api/v1/share/login", h.shareLogin)
	// The dashboard's own index.html; its script notices the /share/ path.
	index := dashboard.Handler(dashboardDir)
	e.GET("/share/:id", func(c echo.Context) error {
		r := c.Request().Clone(c.Request().Context())
		r.URL.Path, r.URL.RawPath = "/", ""
		index.ServeHTTP(c.Response(), r)
		return nil
	})
}

func shareCookieName(id string) string { return "omnistat_share_" + id }

func (h *handlers) shareCookieValue(s catalog.Share, exp int64) string {
	e := strconv.FormatInt(exp, 10)
	return e + "." + h.sessions.sign("share|"+s.ID+"|"+e+"|"+s.PasswordFingerprint())
}

// shareUnlocked reports whether the request may read through s: it has no password,
// or the request carries a valid, unexpired cookie for it.
func (h *handlers) shareUnlocked(c echo.Context, s catalog.Share) bool {
	if !s.HasPassword {
		return true
	}
	ck, err := c.Cookie(shareCookieName(s.ID))
	if err != nil {
		return false
	}
	exp, _, _ := strings.Cut(ck.Value, ".")
	n, err := strconv.ParseInt(exp, 10, 64)
	if err != nil || h.sessions.now().Unix() > n {
		return false
	}
	return subtle.ConstantTimeCompare([]byte(ck.Value), []byte(h.shareCookieValue(s, n))) == 1
}

var errNoShare = newError(http.StatusNotFound, "this shared link does not exist or was revoked")

func (h *handlers) lookupShare(c echo.Context, id string) (catalog.Share, error) {
	s, err := h.cfg.Catalog.ShareByID(c.Request().Context(), id)
	if errors.Is(err, catalog.ErrNotFound) {
		return catalog.Share{}, errNoShare
	}
	return s, err
}

// sharePrincipal is the read-only key of a shared link.
func (h *handlers) sharePrincipal(c echo.Context, id string) (catalog.APIKey, error) {
	s, err := h.lookupShare(c, id)
	if err != nil {
		return catalog.APIKey{}, err
	}
	if !h.shareUnlocked(c, s) {
		return catalog.APIKey{}, newError(http.StatusUnauthorized, "this shared link needs its password")
	}
	return catalog.APIKey{ID: "share:" + s.ID, SiteIDs: []uint32{s.SiteID}, ReadOnly: true}, nil
}

type shareJSON struct {
	catalog.Share
	URL string `json:"url"`
}

// shareURL is the link as the browser that asked for it reaches this server (through
// a trusted proxy, the proxy's public address).
func (h *handlers) shareURL(c echo.Context, id string) string {
	scheme, host := publicOrigin(c.Request(), h.cfg.TrustProxy)
	return scheme + "://" + host + "/share/" + id
}

// listShares is GET /api/v1/shares?site=, for logged-in users.
func (h *handlers) listShares(c echo.Context) error {
	site, err := h.userSite(c, c.QueryParam("site"), errSharesByKey)
	if err != nil {
		return err
	}
	shares, err := h.cfg.Catalog.Shares(c.Request().Context(), site.ID)
	if err != nil {
		return err
	}
	out := make([]shareJSON, len(shares))
	for i, s := range shares {
		out[i] = shareJSON{s, h.shareURL(c, s.ID)}
	}
	return c.JSON(http.StatusOK, map[string]any{"shares": out})
}

// createShare is POST /api/v1/shares {"site", "name", "password"}.
func (h *handlers) createShare(c echo.Context) error {
	var body struct {
		Site     string `json:"site"`
		Name     string `json:"name"`
		Password string `json:"password"`
	}
	if err := decodeStrict(c, &body); err != nil {
		return err
	}
	site, err := h.userSite(c, body.Site, errSharesByKey)
	if err != nil {
		return err
	}
	s, err := h.cfg.Catalog.CreateShare(c.Request().Context(), site.ID, body.Name, body.Password)
	if err != nil {
		return newError(http.StatusBadRequest, "%s", err.Error())
	}
	return c.JSON(http.StatusCreated, shareJSON{s, h.shareURL(c, s.ID)})
}

// revokeShare is DELETE /api/v1/shares?site=&id=, or with the body {"site", "id"}.
func (h *handlers) revokeShare(c echo.Context) error {
	var body struct {
		Site string `json:"site"`
		ID   string `json:"id"`
	}
	if err := decodeOptional(c, &body); err != nil {
		return err
	}
	site, err := h.userSite(c, bodyOrQuery(c, "site", body.Site), errSharesByKey)
	if err != nil {
		return err
	}
	id := bodyOrQuery(c, "id", body.ID)
	if err := h.cfg.Catalog.RevokeShare(c.Request().Context(), site.ID, id); err != nil {
		if errors.Is(err, catalog.ErrNotFound) {
			return newError(http.StatusNotFound, "id: no shared link %q for %s", id, site.Domain)
		}
		return err
	}
	return c.NoContent(http.StatusNoContent)
}

// shareInfo is GET /api/v1/share with X-Share-Token: what the link shows, and whether
// this browser has given its password yet.
func (h *handlers) shareInfo(c echo.Context) error {
	s, err := h.lookupShare(c, c.Request().Header.Get(shareHeader))
	if err != nil {
		return err
	}
	site, err := h.cfg.Catalog.SiteByID(c.Request().Context(), s.SiteID)
	if errors.Is(err, catalog.ErrNotFound) {
		return errNoShare
	}
	if err != nil {
		return err
	}
	return c.JSON(http.StatusOK, map[string]any{"site": site.Domain, "timezone": site.Timezone, "name": s.Name,
		"password": s.HasPassword, "unlocked": h.shareUnlocked(c, s)})
}

// shareLogin is POST /api/v1/share/login {"id", "password"}, rate limited like logins.
func (h *handlers) shareLogin(c echo.Context) error {
	if err := h.passwordAttempt(c); err != nil {
		return err
	}
	var body struct {
		ID       string `json:"id"`
		Password string `json:"password"`
	}
	if err := decodeStrict(c, &body); err != nil {
		return err
	}
	s, err := h.lookupShare(c, body.ID)
	if err != nil {
		return err
	}
	if !s.CheckPassword(body.Password) {
		return newError(http.StatusUnauthorized, "password: is wrong")
	}
	exp := h.sessions.now().Add(sessionTTL).Unix()
	h.setCookie(c, shareCookieName(s.ID), h.shareCookieValue(s, exp), int(sessionTTL.Seconds()))
	return c.NoContent(http.StatusNoContent)
}
