package server

import (
	"context"
	"errors"
	"net/http"
	"strconv"
	"strings"

	"github.com/labstack/echo/v4"

	"github.com/omnistat/omnistat/catalog"
	"github.com/omnistat/omnistat/query"
)

func registerReporting(e *echo.Echo, h *handlers) {
	e.POST("/api/v1/query", h.query)
	e.POST("/api/v1/funnel", h.funnel)
	e.GET("/api/v1/realtime", h.realtime)
	e.GET("/api/v1/journeys", h.journeys)
	e.GET("/api/v1/attribution", h.attribution)
	e.GET("/api/v1/goals", h.listGoals)
	e.POST("/api/v1/goals", h.addGoal)
	e.DELETE("/api/v1/goals", h.deleteGoal)
}

// query is POST /api/v1/query; format "csv" or Accept: text/csv answer CSV.
func (h *handlers) query(c echo.Context) error {
	var req query.Request
	if err := decodeStrict(c, &req); err != nil {
		return err
	}
	site, err := h.siteForKey(c, req.Site)
	if err != nil {
		return err
	}
	if req.Format == "" && strings.Contains(c.Request().Header.Get("Accept"), "text/csv") {
		req.Format = "csv"
	}
	res, err := h.cfg.Query.Query(c.Request().Context(), site, req)
	if err != nil {
		return err
	}
	if res.Meta.CSV {
		w := c.Response()
		w.Header().Set("Content-Type", "text/csv; charset=utf-8")
		w.Header().Set("Content-Disposition", `attachment; filename="`+site.Domain+`.csv"`)
		w.WriteHeader(http.StatusOK)
		return res.WriteCSV(w)
	}
	return c.JSON(http.StatusOK, res)
}

// funnel is POST /api/v1/funnel.
func (h *handlers) funnel(c echo.Context) error {
	var req query.FunnelRequest
	if err := decodeStrict(c, &req); err != nil {
		return err
	}
	site, err := h.siteForKey(c, req.Site)
	if err != nil {
		return err
	}
	res, err := h.cfg.Query.Funnel(c.Request().Context(), site, req)
	if err != nil {
		return err
	}
	return c.JSON(http.StatusOK, res)
}

// realtime is GET /api/v1/realtime?site=.
func (h *handlers) realtime(c echo.Context) error {
	return h.readReport(c, c.QueryParam("site"), func(ctx context.Context, site catalog.Site) (any, error) {
		return h.cfg.Query.Realtime(ctx, site)
	})
}

// journeys is GET /api/v1/journeys?site=&date_range=&goal=&lookback=&limit=.
func (h *handlers) journeys(c echo.Context) error {
	req := journeyRequest(c)
	return h.readReport(c, req.Site, func(ctx context.Context, site catalog.Site) (any, error) {
		return h.cfg.Query.Journeys(ctx, site, req)
	})
}

// attribution is GET /api/v1/attribution?site=&goal=&model=&date_range=&lookback=.
func (h *handlers) attribution(c echo.Context) error {
	req := journeyRequest(c)
	return h.readReport(c, req.Site, func(ctx context.Context, site catalog.Site) (any, error) {
		return h.cfg.Query.Attribution(ctx, site, req)
	})
}

// readReport answers a report of a site the caller may read (a shared link too) as JSON.
func (h *handlers) readReport(c echo.Context, domain string, run func(context.Context, catalog.Site) (any, error)) error {
	site, err := h.siteForKey(c, domain)
	if err != nil {
		return err
	}
	res, err := run(c.Request().Context(), site)
	if err != nil {
		return err
	}
	return c.JSON(http.StatusOK, res)
}

func journeyRequest(c echo.Context) query.JourneyRequest {
	q := c.QueryParams()
	return query.JourneyRequest{Site: q.Get("site"), DateRange: q.Get("date_range"), Goal: q.Get("goal"),
		Model: q.Get("model"), Lookback: q.Get("lookback"), Limit: q.Get("limit")}
}

func (h *handlers) listGoals(c echo.Context) error {
	site, err := h.siteToManage(c, c.QueryParam("site"))
	if err != nil {
		return err
	}
	goals, err := h.cfg.Catalog.Goals(c.Request().Context(), site.ID)
	if err != nil {
		return err
	}
	return c.JSON(http.StatusOK, map[string]any{"goals": goals})
}

func (h *handlers) addGoal(c echo.Context) error {
	var body struct {
		Site string `json:"site"`
		catalog.Goal
	}
	if err := decodeStrict(c, &body); err != nil {
		return err
	}
	site, err := h.siteToManage(c, body.Site)
	if err != nil {
		return err
	}
	g, err := h.cfg.Catalog.AddGoal(c.Request().Context(), site.ID, body.Goal)
	if err != nil {
		return newError(http.StatusBadRequest, "%s", err.Error())
	}
	return c.JSON(http.StatusCreated, map[string]any{"goal": g})
}

// deleteGoal is DELETE /api/v1/goals?site=&id=, or with the body {"site", "id"}.
func (h *handlers) deleteGoal(c echo.Context) error {
	var body struct {
		Site string  `json:"site"`
		ID   *uint32 `json:"id"`
	}
	if err := decodeOptional(c, &body); err != nil {
		return err
	}
	site, err := h.siteToManage(c, bodyOrQuery(c, "site", body.Site))
	if err != nil {
		return err
	}
	var id uint64
	if body.ID != nil {
		id = uint64(*body.ID)
	} else if id, err = strconv.ParseUint(c.QueryParam("id"), 10, 32); err != nil {
		return newError(http.StatusBadRequest, "id: must be a goal's number")
	}
	if err := h.cfg.Catalog.DeleteGoal(c.Request().Context(), site.ID, uint32(id)); err != nil {
		if errors.Is(err, catalog.ErrNotFound) {
			return newError(http.StatusNotFound, "id: no goal %d on %s", id, site.Domain)
		}
		return err
	}
	return c.NoContent(http.StatusNoContent)
}
