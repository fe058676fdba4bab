package server

import (
	"encoding/json"
	"io"
	"net/http"
	"strings"

	"github.com/labstack/echo/v4"

	"github.com/omnistat/omnistat/query"
)

func registerReporting(e *echo.Echo, h *handlers) {
	e.POST("/api/v1/query", h.query)
}

// query is POST /api/v1/query.
func (h *handlers) query(c echo.Context) error {
	key, err := h.authKey(c)
	if err != nil {
		return err
	}
	body, err := io.ReadAll(io.LimitReader(c.Request().Body, 64<<10+1))
	if err != nil || len(body) > 64<<10 {
		return newError(http.StatusRequestEntityTooLarge, "body is larger than 64 KiB")
	}
	var req query.Request
	dec := json.NewDecoder(strings.NewReader(string(body)))
	dec.DisallowUnknownFields()
	if err := dec.Decode(&req); err != nil {
		if f, ok := strings.CutPrefix(err.Error(), "json: unknown field "); ok {
			return newError(http.StatusBadRequest, "field %s is not part of the query API", f)
		}
		return newError(http.StatusBadRequest, "body must be a JSON query object: %v", err)
	}
	ctx := c.Request().Context()
	site, err := h.cfg.Query.Site(ctx, req.Site)
	if err != nil {
		return err
	}
	if !key.CanRead(site.ID) {
		return newError(http.StatusForbidden, "this API key has no access to site %s", site.Domain)
	}
	res, err := h.cfg.Query.Query(ctx, site, req)
	if err != nil {
		return err
	}
	return c.JSON(http.StatusOK, res)
}
