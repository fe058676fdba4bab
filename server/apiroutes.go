package server

import (
	"net/http"
	"sort"
	"strings"

	"github.com/labstack/echo/v4"
)

// Under /api/ every answer is JSON (§4), also for a path that is no endpoint or a
// method an endpoint does not take. Without this, such requests reach the dashboard's
// catch-all and get its plain-text "404 page not found", or a 405 that lists the
// dashboard's methods.

// apiMethods is, per /api/ path, the methods its routes take.
type apiMethods map[string][]string

// apiRoutes collects the /api/ routes registered so far.
func apiRoutes(routes []*echo.Route) apiMethods {
	m := apiMethods{}
	for _, r := range routes {
		if !strings.HasPrefix(r.Path, "/api/") || strings.Contains(r.Path, "*") || !isHTTPMethod(r.Method) {
			continue
		}
		m[r.Path] = append(m[r.Path], r.Method)
	}
	for p := range m {
		sort.Strings(m[p])
	}
	return m
}

func isHTTPMethod(m string) bool {
	switch m {
	case http.MethodGet, http.MethodHead, http.MethodPost, http.MethodPut, http.MethodPatch,
		http.MethodDelete, http.MethodOptions:
		return true
	}
	return false
}

// noRoute answers a request that no /api/ route takes: 405 with Allow when the path is
// an endpoint, else 404, both as JSON errors.
func (m apiMethods) noRoute(c echo.Context) error {
	r := c.Request()
	allowed, ok := m[r.URL.Path]
	if !ok {
		return newError(http.StatusNotFound, "%s is not an API endpoint", r.URL.Path)
	}
	c.Response().Header().Set("Allow", strings.Join(allowed, ", "))
	if r.Method == http.MethodOptions {
		return c.NoContent(http.StatusNoContent)
	}
	return newError(http.StatusMethodNotAllowed, "%s takes %s, not %s", r.URL.Path, strings.Join(allowed, " or "), r.Method)
}

// registerAPIFallback must run after every /api/ route is registered.
func registerAPIFallback(e *echo.Echo) {
	m := apiRoutes(e.Routes())
	e.Any("/api", m.noRoute)
	e.Any("/api/*", m.noRoute)
}
