package server

import (
	"context"
	"net/http"
	"time"

	"github.com/labstack/echo/v4"

	"github.com/omnistat/omnistat/collector"
)

// health is GET /healthz: 200 when the engine answers a query, else 503 with why.
func (h *handlers) health(c echo.Context) error {
	ctx, cancel := context.WithTimeout(c.Request().Context(), 3*time.Second)
	defer cancel()
	if _, err := h.cfg.Store.Query(ctx, "SELECT 1", nil); err != nil {
		h.cfg.Logger.Warn("health check failed", "err", err)
		return c.JSON(http.StatusServiceUnavailable, map[string]string{"status": "unavailable", "error": "ClickHouse does not answer"})
	}
	return c.JSON(http.StatusOK, map[string]string{"status": "ok"})
}

// Metrics serves Omnistat's counters in Prometheus' text format: the collector's, then
// extra's (spool, flush). They show the server's live traffic, so the binary serves them
// on the --debug-addr listener only, never on the public address.
func Metrics(c *collector.Collector, extra func(w http.ResponseWriter)) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) {
		w.Header().Set("Content-Type", "text/plain; version=0.0.4; charset=utf-8")
		w.WriteHeader(http.StatusOK)
		c.Metrics().WriteTo(w)
		if extra != nil {
			extra(w)
		}
	})
}
