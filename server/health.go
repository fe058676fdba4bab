package server

import (
	"context"
	"net/http"
	"time"

	"github.com/labstack/echo/v4"
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

// metrics is GET /metrics in Prometheus' text format.
func (h *handlers) metrics(c echo.Context) error {
	w := c.Response()
	w.Header().Set("Content-Type", "text/plain; version=0.0.4; charset=utf-8")
	w.WriteHeader(http.StatusOK)
	h.cfg.Collector.Metrics().WriteTo(w)
	if h.cfg.Metrics != nil {
		h.cfg.Metrics(w)
	}
	return nil
}
