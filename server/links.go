package server

import (
	"errors"
	"net/http"
	"net/url"

	"github.com/labstack/echo/v4"

	"github.com/omnistat/omnistat/catalog"
	"github.com/omnistat/omnistat/collector"
)

func registerLinks(e *echo.Echo, h *handlers) {
	e.GET("/r/:slug", h.redirect)
	e.HEAD("/r/:slug", h.redirect)
	e.GET("/api/v1/links", h.listLinks)
	e.POST("/api/v1/links", h.addLink)
	e.DELETE("/api/v1/links", h.deleteLink)
}

// redirect is GET /r/{slug}: record a click on the tracked link, then send the visitor
// on. The redirect happens even when recording fails (a full spool, say): the visitor
// came for the target, not for our statistics. HEAD gets the same answer without a
// click: a link checker's probe is not a visitor.
func (h *handlers) redirect(c echo.Context) error {
	ctx := c.Request().Context()
	l, err := h.cfg.Catalog.LinkBySlug(ctx, c.Param("slug"))
	if errors.Is(err, catalog.ErrNotFound) {
		return newError(http.StatusNotFound, "no tracked link %q", c.Param("slug"))
	}
	if err != nil {
		return err
	}
	site, err := h.cfg.Catalog.SiteByID(ctx, l.SiteID)
	if err != nil {
		return err
	}
	if r := c.Request(); r.Method != http.MethodHead {
		err = h.cfg.Collector.AcceptLinkClick(ctx, site, l, collector.Request{IP: clientIP(c), UserAgent: r.UserAgent(),
			AcceptLanguage: r.Header.Get("Accept-Language"), Input: collector.Input{Referrer: r.Referer()}})
		if err != nil {
			h.cfg.Logger.Warn("tracked link click not recorded", "slug", l.Slug, "err", err)
		}
	}
	c.Response().Header().Set("Cache-Control", "no-store")
	target := l.Target
	if t, err := catalog.NormalizeTarget(target); err == nil {
		target = t // a link stored before targets were normalised
	}
	return c.Redirect(http.StatusFound, target)
}

// siteForKey resolves the site named in the request and checks the caller may read its
// reports (a shared link may).
func (h *handlers) siteForKey(c echo.Context, domain string) (catalog.Site, error) {
	return h.site(c, domain, false)
}

// siteToManage is siteForKey for settings and changes, which a shared link may not see.
func (h *handlers) siteToManage(c echo.Context, domain string) (catalog.Site, error) {
	return h.site(c, domain, true)
}

func (h *handlers) site(c echo.Context, domain string, manage bool) (catalog.Site, error) {
	key, err := h.authKey(c)
	if err != nil {
		return catalog.Site{}, err
	}
	if manage && key.ReadOnly {
		return catalog.Site{}, errReadOnly
	}
	if domain == "" {
		return catalog.Site{}, newError(http.StatusBadRequest, "site: is required")
	}
	site, err := h.cfg.Catalog.SiteByDomain(c.Request().Context(), domain)
	if errors.Is(err, catalog.ErrNotFound) {
		return catalog.Site{}, newError(http.StatusForbidden, "site %s is not registered on this server", domain)
	}
	if err != nil {
		return catalog.Site{}, err
	}
	if !key.CanRead(site.ID) {
		return catalog.Site{}, newError(http.StatusForbidden, "this API key has no access to site %s", site.Domain)
	}
	return site, nil
}

func (h *handlers) listLinks(c echo.Context) error {
	site, err := h.siteToManage(c, c.QueryParam("site"))
	if err != nil {
		return err
	}
	links, err := h.cfg.Catalog.Links(c.Request().Context(), site.ID)
	if err != nil {
		return err
	}
	return c.JSON(http.StatusOK, map[string]any{"links": links})
}

type linkBody struct {
	Site string `json:"site"`
	catalog.Link
}

func (h *handlers) addLink(c echo.Context) error {
	var body linkBody
	if err := decodeStrict(c, &body); err != nil {
		return err
	}
	site, err := h.siteToManage(c, body.Site)
	if err != nil {
		return err
	}
	body.Link.SiteID = site.ID
	l, err := h.cfg.Catalog.AddLink(c.Request().Context(), body.Link)
	if err != nil {
		return newError(http.StatusBadRequest, "%s", err.Error())
	}
	return c.JSON(http.StatusCreated, map[string]any{"link": l, "url": "/r/" + url.PathEscape(l.Slug)})
}

// deleteLink is DELETE /api/v1/links?site=&slug=, or with the body {"site", "slug"}.
func (h *handlers) deleteLink(c echo.Context) error {
	var body struct {
		Site string `json:"site"`
		Slug string `json:"slug"`
	}
	if err := decodeOptional(c, &body); err != nil {
		return err
	}
	site, err := h.siteToManage(c, bodyOrQuery(c, "site", body.Site))
	if err != nil {
		return err
	}
	slug := bodyOrQuery(c, "slug", body.Slug)
	if err := h.cfg.Catalog.DeleteLink(c.Request().Context(), site.ID, slug); err != nil {
		if errors.Is(err, catalog.ErrNotFound) {
			return newError(http.StatusNotFound, "slug: no link %q on %s", slug, site.Domain)
		}
		return err
	}
	return c.NoContent(http.StatusNoContent)
}
