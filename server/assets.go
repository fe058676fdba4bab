package server

import (
	"net/http"

	"github.com/labstack/echo/v4"

	"github.com/omnistat/omnistat/dashboard"
	trackerjs "github.com/omnistat/omnistat/tracker-js"
)

// registerAssets serves the tracker script and the dashboard; dashboardDir, when set
// (serve --dev), serves the dashboard from disk.
func registerAssets(e *echo.Echo, dashboardDir string) {
	// HEAD too: uptime and CDN checks ask for the script that way.
	e.Match([]string{http.MethodGet, http.MethodHead}, "/js/omnistat.js", echo.WrapHandler(trackerjs.Handler()))
	dash := http.StripPrefix("/", dashboard.Handler(dashboardDir))
	e.Match([]string{http.MethodGet, http.MethodHead}, "/", echo.WrapHandler(dash))
	e.Match([]string{http.MethodGet, http.MethodHead}, "/*", echo.WrapHandler(dash))
}
