package server

import (
	"context"
	"crypto/hmac"
	"crypto/sha256"
	"crypto/subtle"
	"encoding/base64"
	"encoding/hex"
	"errors"
	"mime"
	"net/http"
	"strconv"
	"strings"
	"time"

	"github.com/labstack/echo/v4"

	"github.com/omnistat/omnistat/catalog"
)

// Dashboard users log in with e-mail and password and get a session cookie: the
// e-mail and an expiry, signed with a server secret (HMAC-SHA256) over the user's
// catalog.SessionStamp too, so that logging out, a new password or removing the user
// ends every session of that user on every server of the store. HttpOnly,
// SameSite=Lax, Secure behind TLS. Requests that change something with that cookie must
// also carry X-CSRF-Token, a second HMAC of the session that only the dashboard's own
// JavaScript can read (GET /api/v1/session), and come from the same origin; so must
// login (JSON only) and logout, so another site can neither log a user out nor into
// an account of its choosing. Every
// dashboard user may see every site of this server; API keys are scoped to sites.

const (
	sessionCookie = "omnistat_session"
	sessionTTL    = 7 * 24 * time.Hour
)

// sessions signs and checks session cookies.
type sessions struct {
	secret []byte
	now    func() time.Time
}

func (s sessions) sign(payload string) string {
	m := hmac.New(sha256.New, s.secret)
	m.Write([]byte(payload))
	return hex.EncodeToString(m.Sum(nil))
}

// issue makes a session token for email, signed over the user's session stamp.
func (s sessions) issue(email, stamp string) string {
	payload := base64.RawURLEncoding.EncodeToString([]byte(email + "|" + strconv.FormatInt(s.now().Add(sessionTTL).Unix(), 10)))
	return payload + "." + s.sign("session|"+payload+"|"+stamp)
}

// claim returns the e-mail an unexpired session token names, before its signature is
// checked against the user's stamp with valid.
func (s sessions) claim(token string) (string, bool) {
	payload, _, ok := strings.Cut(token, ".")
	if !ok {
		return "", false
	}
	raw, err := base64.RawURLEncoding.DecodeString(payload)
	if err != nil {
		return "", false
	}
	email, exp, ok := strings.Cut(string(raw), "|")
	n, err := strconv.ParseInt(exp, 10, 64)
	if !ok || err != nil || s.now().Unix() > n {
		return "", false
	}
	return email, true
}

// valid reports whether token was issued with the user's current stamp.
func (s sessions) valid(token, stamp string) bool {
	payload, sig, _ := strings.Cut(token, ".")
	return subtle.ConstantTimeCompare([]byte(sig), []byte(s.sign("session|"+payload+"|"+stamp))) == 1
}

func (s sessions) csrf(token string) string { return s.sign("csrf|" + token) }

// authKey is who makes a request: an API key, a logged-in user (as a key that may read
// every site, so reporting handlers check one thing), or a shared link (a read-only key
// for its one site).
func (h *handlers) authKey(c echo.Context) (catalog.APIKey, error) {
	if token := c.Request().Header.Get(shareHeader); token != "" {
		return h.sharePrincipal(c, token)
	}
	if token, ok := bearerToken(c.Request().Header.Get("Authorization")); ok {
		return h.cfg.Catalog.VerifyKey(c.Request().Context(), token)
	}
	email, token, err := h.sessionUser(c)
	if err != nil {
		return catalog.APIKey{}, err
	}
	if m := c.Request().Method; m != http.MethodGet && m != http.MethodHead {
		if err := h.checkCSRF(c, token); err != nil {
			return catalog.APIKey{}, err
		}
	}
	return h.allSites(c.Request().Context(), "user:"+email)
}

// bearerToken returns the credentials of an Authorization header with the Bearer
// scheme. The scheme is case-insensitive (RFC 7235 §2.1), so "bearer KEY" works too.
func bearerToken(header string) (string, bool) {
	scheme, token, ok := strings.Cut(strings.TrimSpace(header), " ")
	if !ok || !strings.EqualFold(scheme, "Bearer") {
		return "", false
	}
	return strings.TrimSpace(token), true
}

func (h *handlers) allSites(ctx context.Context, id string) (catalog.APIKey, error) {
	sites, err := h.cfg.Catalog.Sites(ctx)
	if err != nil {
		return catalog.APIKey{}, err
	}
	k := catalog.APIKey{ID: id}
	for _, s := range sites {
		k.SiteIDs = append(k.SiteIDs, s.ID)
	}
	return k, nil
}

var errNoSession = newError(http.StatusUnauthorized, "log in, or send Authorization: Bearer KEY")

func (h *handlers) sessionUser(c echo.Context) (email, token string, err error) {
	ck, err := c.Cookie(sessionCookie)
	if err != nil {
		return "", "", errNoSession
	}
	email, ok := h.sessions.claim(ck.Value)
	if !ok {
		return "", "", errNoSession
	}
	stamp, err := h.cfg.Catalog.SessionStamp(c.Request().Context(), email)
	if errors.Is(err, catalog.ErrNotFound) {
		return "", "", errNoSession
	}
	if err != nil {
		return "", "", err
	}
	if !h.sessions.valid(ck.Value, stamp) {
		return "", "", errNoSession
	}
	return email, ck.Value, nil
}

// checkCSRF requires the session's CSRF token and a same-origin request.
func (h *handlers) checkCSRF(c echo.Context, token string) error {
	r := c.Request()
	if subtle.ConstantTimeCompare([]byte(r.Header.Get("X-CSRF-Token")), []byte(h.sessions.csrf(token))) != 1 {
		return newError(http.StatusForbidden, "X-CSRF-Token is missing or wrong; reload the dashboard")
	}
	if !sameOrigin(r, h.cfg.TrustProxy) {
		return newError(http.StatusForbidden, "origin %s may not change this server's data", r.Header.Get("Origin"))
	}
	return nil
}

func registerAuth(e *echo.Echo, h *handlers) {
	e.POST("/api/v1/login", h.login)
	e.POST("/api/v1/logout", h.logout)
	e.GET("/api/v1/session", h.session)
	e.GET("/api/v1/sites", h.sites)
	e.GET("/api/v1/keys", h.listKeys)
	e.POST("/api/v1/keys", h.createKey)
	e.DELETE("/api/v1/keys", h.revokeKey)
}

func (h *handlers) setSession(c echo.Context, value string, maxAge int) {
	h.setCookie(c, sessionCookie, value, maxAge)
}

// setCookie sets a cookie that only this server's pages send back and no script reads.
// It is Secure when the browser's connection is HTTPS: TLS to this server, or a trusted
// proxy's X-Forwarded-Proto or Forwarded proto=https (publicOrigin); a client's own
// claim is not believed.
func (h *handlers) setCookie(c echo.Context, name, value string, maxAge int) {
	scheme, _ := publicOrigin(c.Request(), h.cfg.TrustProxy)
	c.SetCookie(&http.Cookie{Name: name, Value: value, Path: "/", MaxAge: maxAge, HttpOnly: true,
		SameSite: http.SameSiteLaxMode, Secure: scheme == "https"})
}

// passwordAttempt spends one of the address's password attempts (logins and shared
// links together: 5 a minute).
func (h *handlers) passwordAttempt(c echo.Context) error {
	if !h.loginLimiter.allow(clientIP(c), time.Now()) {
		c.Response().Header().Set("Retry-After", "60")
		return newError(http.StatusTooManyRequests, "too many password attempts from this address; wait a minute")
	}
	return nil
}

// login is POST /api/v1/login {"email", "password"}, rate limited per IP. It must come
// from this server's origin and be JSON, which a cross-site form cannot send: otherwise
// another site could log a user into the other site's account (login CSRF).
func (h *handlers) login(c echo.Context) error {
	r := c.Request()
	if !sameOrigin(r, h.cfg.TrustProxy) {
		return newError(http.StatusForbidden, "origin %s may not log in to this server", r.Header.Get("Origin"))
	}
	if mt, _, _ := mime.ParseMediaType(r.Header.Get("Content-Type")); mt != "application/json" {
		return newError(http.StatusUnsupportedMediaType, "Content-Type: must be application/json, not %q", r.Header.Get("Content-Type"))
	}
	if err := h.passwordAttempt(c); err != nil {
		return err
	}
	var body struct {
		Email    string `json:"email"`
		Password string `json:"password"`
	}
	if err := decodeStrict(c, &body); err != nil {
		return err
	}
	ok, err := h.cfg.Catalog.CheckPassword(c.Request().Context(), body.Email, body.Password)
	if err != nil {
		return err
	}
	if !ok {
		return newError(http.StatusUnauthorized, "e-mail or password is wrong")
	}
	email := strings.ToLower(strings.TrimSpace(body.Email))
	stamp, err := h.cfg.Catalog.SessionStamp(c.Request().Context(), email)
	if err != nil {
		return err
	}
	token := h.sessions.issue(email, stamp)
	h.setSession(c, token, int(sessionTTL.Seconds()))
	return c.JSON(http.StatusOK, map[string]string{"email": email, "csrf": h.sessions.csrf(token)})
}

// logout is POST /api/v1/logout: it ends every session of the user, in every
// browser, not only this browser's cookie (which could have been copied).
func (h *handlers) logout(c echo.Context) error {
	if !sameOrigin(c.Request(), h.cfg.TrustProxy) {
		return newError(http.StatusForbidden, "origin %s may not log out of this server", c.Request().Header.Get("Origin"))
	}
	if email, _, err := h.sessionUser(c); err == nil {
		if err := h.cfg.Catalog.EndSessions(c.Request().Context(), email); err != nil {
			return err
		}
	}
	h.setSession(c, "", -1)
	return c.NoContent(http.StatusNoContent)
}

// session is GET /api/v1/session: who is logged in, and the CSRF token for changes.
func (h *handlers) session(c echo.Context) error {
	email, token, err := h.sessionUser(c)
	if err != nil {
		return err
	}
	return c.JSON(http.StatusOK, map[string]string{"email": email, "csrf": h.sessions.csrf(token)})
}

type siteJSON struct {
	Domain   string `json:"domain"`
	Timezone string `json:"timezone"`
}

// sites is GET /api/v1/sites: the sites the caller may read.
func (h *handlers) sites(c echo.Context) error {
	key, err := h.authKey(c)
	if err != nil {
		return err
	}
	all, err := h.cfg.Catalog.Sites(c.Request().Context())
	if err != nil {
		return err
	}
	out := []siteJSON{}
	for _, s := range all {
		if key.CanRead(s.ID) {
			out = append(out, siteJSON{s.Domain, s.Timezone})
		}
	}
	return c.JSON(http.StatusOK, map[string]any{"sites": out})
}

var (
	errKeysByKey   = newError(http.StatusForbidden, "API keys are managed from the dashboard or the CLI, not with a key")
	errSharesByKey = newError(http.StatusForbidden, "shared links are managed from the dashboard, not with an API key")
)

// userSite is the site whose keys or shared links a logged-in user manages. An API key
// gets refusal instead (a sentence about what it asked for): a key may not mint keys or
// open a site's reports to anyone.
func (h *handlers) userSite(c echo.Context, domain string, refusal error) (catalog.Site, error) {
	if _, ok := bearerToken(c.Request().Header.Get("Authorization")); ok {
		return catalog.Site{}, refusal
	}
	return h.siteToManage(c, domain)
}

func (h *handlers) listKeys(c echo.Context) error {
	site, err := h.userSite(c, c.QueryParam("site"), errKeysByKey)
	if err != nil {
		return err
	}
	keys, err := h.cfg.Catalog.Keys(c.Request().Context(), site.ID)
	if err != nil {
		return err
	}
	type keyJSON struct {
		ID   string `json:"id"`
		Name string `json:"name"`
	}
	out := []keyJSON{}
	for _, k := range keys {
		out = append(out, keyJSON{k.ID, k.Name})
	}
	return c.JSON(http.StatusOK, map[string]any{"keys": out})
}

func (h *handlers) createKey(c echo.Context) error {
	var body struct {
		Site string `json:"site"`
		Name string `json:"name"`
	}
	if err := decodeStrict(c, &body); err != nil {
		return err
	}
	site, err := h.userSite(c, body.Site, errKeysByKey)
	if err != nil {
		return err
	}
	full, k, err := h.cfg.Catalog.CreateKey(c.Request().Context(), body.Name, []uint32{site.ID})
	if err != nil {
		return newError(http.StatusBadRequest, "%s", err.Error())
	}
	return c.JSON(http.StatusCreated, map[string]string{"id": k.ID, "name": k.Name, "key": full})
}

func (h *handlers) revokeKey(c echo.Context) error {
	site, err := h.userSite(c, c.QueryParam("site"), errKeysByKey)
	if err != nil {
		return err
	}
	keys, err := h.cfg.Catalog.Keys(c.Request().Context(), site.ID)
	if err != nil {
		return err
	}
	for _, k := range keys {
		if k.ID == c.QueryParam("id") {
			if err := h.cfg.Catalog.RevokeKey(c.Request().Context(), k.ID); err != nil && !errors.Is(err, catalog.ErrNotFound) {
				return err
			}
			return c.NoContent(http.StatusNoContent)
		}
	}
	return newError(http.StatusNotFound, "id: no key %q for %s", c.QueryParam("id"), site.Domain)
}
