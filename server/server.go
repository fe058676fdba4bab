// Package server assembles Omnistat's HTTP interface: the routes of the collector,
// reporting API, tracker script and dashboard, the middleware around them, and the one
// place where errors become HTTP statuses. Handlers are thin: they decode, call the
// collector, query or catalog package, and encode.
package server

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"net/http"
	"time"

	"github.com/labstack/echo/v4"

	"github.com/omnistat/omnistat/catalog"
	"github.com/omnistat/omnistat/collector"
	"github.com/omnistat/omnistat/query"
	"github.com/omnistat/omnistat/store"
)

// Config is what the HTTP layer needs.
type Config struct {
	Store      store.Store
	Catalog    *catalog.Catalog
	Collector  *collector.Collector
	Query      *query.Engine
	Logger     *slog.Logger
	TrustProxy []*net.IPNet // proxies whose X-Forwarded-For is believed
	// DashboardDir serves the dashboard from this folder instead of the embedded copy.
	DashboardDir string
	// RateLimit is events per second per client IP on the collection endpoints
	// (0: no limit), with bursts of RateBurst.
	RateLimit float64
	RateBurst int
	// SessionSecret signs dashboard session cookies (catalog.Secret "session").
	SessionSecret []byte
}

// New returns the HTTP handler with every route.
func New(cfg Config) *echo.Echo {
	e := echo.New()
	e.HideBanner, e.HidePort = true, true
	e.HTTPErrorHandler = errorHandler(cfg.Logger)
	e.IPExtractor = ipExtractor(cfg.TrustProxy)
	e.Use(recoverPanics(cfg.Logger))
	h := &handlers{cfg: cfg, limiter: newIPLimiter(cfg.RateLimit, cfg.RateBurst),
		loginLimiter: newIPLimiter(5.0/60, 5), sessions: sessions{secret: cfg.SessionSecret, now: time.Now}}

	// HEAD too, here and on the dashboard: uptime monitors often check that way.
	e.Match([]string{http.MethodGet, http.MethodHead}, "/healthz", h.health)

	registerCollection(e, h)               // shared/spec/API.md §2, collect.go
	registerReporting(e, h)                // §3, report.go
	registerLinks(e, h)                    // /r/{slug} and /api/v1/links, links.go
	registerAuth(e, h)                     // dashboard login, sessions, sites, keys: auth.go
	registerShares(e, h, cfg.DashboardDir) // read-only shared links: shares.go
	registerAPIFallback(e)                 // JSON 404 and 405 for the rest of /api/: apiroutes.go

	registerAssets(e, cfg.DashboardDir)
	return e
}

type handlers struct {
	cfg          Config
	limiter      *ipLimiter
	loginLimiter *ipLimiter // login attempts: 5 a minute per address
	sessions     sessions
}

// apiError is an error with the status and the sentence a client gets.
type apiError struct {
	status int
	msg    string
}

func (e *apiError) Error() string { return e.msg }

func newError(status int, format string, args ...any) error {
	return &apiError{status: status, msg: fmt.Sprintf(format, args...)}
}

// statusOf maps an error from any layer to a status and a client-safe sentence. Engine
// errors and anything unexpected become a plain 500: no SQL, stack or path reaches a
// client (§4).
func statusOf(err error) (int, string) {
	var ae *apiError
	var fe *collector.FieldError
	var br *query.BadRequest
	var he *echo.HTTPError
	switch {
	case errors.As(err, &ae):
		return ae.status, ae.msg
	case errors.As(err, &fe):
		return http.StatusBadRequest, fe.Error()
	case errors.As(err, &br):
		return http.StatusBadRequest, br.Error()
	case errors.Is(err, collector.ErrUnknownSite), errors.Is(err, query.ErrUnknownSite):
		return http.StatusForbidden, "site is not registered on this server"
	case errors.Is(err, collector.ErrOrigin):
		return http.StatusForbidden, err.Error()
	case errors.Is(err, collector.ErrFull):
		return http.StatusServiceUnavailable, collector.ErrFull.Error()
	case errors.Is(err, catalog.ErrBadKey):
		return http.StatusUnauthorized, "the API key is missing or not valid: send Authorization: Bearer KEY"
	case errors.As(err, &he):
		msg, _ := he.Message.(string)
		if msg == "" {
			msg = http.StatusText(he.Code)
		}
		return he.Code, msg
	case errors.Is(err, context.Canceled):
		return 499, "request cancelled"
	}
	return http.StatusInternalServerError, "internal error; the server log has the details"
}

func errorHandler(log *slog.Logger) echo.HTTPErrorHandler {
	return func(err error, c echo.Context) {
		if c.Response().Committed {
			return
		}
		status, msg := statusOf(err)
		if status >= 500 {
			log.Error("request failed", "method", c.Request().Method, "path", c.Request().URL.Path, "err", err)
		}
		if c.Request().Method == http.MethodHead {
			_ = c.NoContent(status)
			return
		}
		_ = c.JSON(status, map[string]string{"error": msg})
	}
}

// recoverPanics turns a panic in a handler into a 500 and a log line: one bad request
// must not take the server down.
func recoverPanics(log *slog.Logger) echo.MiddlewareFunc {
	return func(next echo.HandlerFunc) echo.HandlerFunc {
		return func(c echo.Context) (err error) {
			defer func() {
				if r := recover(); r != nil {
					log.Error("handler panicked", "path", c.Request().URL.Path, "panic", fmt.Sprint(r))
					err = newError(http.StatusInternalServerError, "internal error; the server log has the details")
				}
			}()
			return next(c)
		}
	}
}

// ipExtractor believes X-Forwarded-For only from the configured proxies.
func ipExtractor(trusted []*net.IPNet) echo.IPExtractor {
	if len(trusted) == 0 {
		return echo.ExtractIPDirect()
	}
	opts := []echo.TrustOption{echo.TrustLoopback(false), echo.TrustLinkLocal(false), echo.TrustPrivateNet(false)}
	for _, n := range trusted {
		opts = append(opts, echo.TrustIPRange(n))
	}
	return echo.ExtractIPFromXFFHeader(opts...)
}

// Timeouts cut off slow clients, so a slowloris cannot hold connections open.
func Timeouts(s *http.Server) {
	s.ReadHeaderTimeout = 5 * time.Second
	s.ReadTimeout = 10 * time.Second
	s.WriteTimeout = 60 * time.Second
	s.IdleTimeout = 120 * time.Second
	s.MaxHeaderBytes = 32 << 10
}
