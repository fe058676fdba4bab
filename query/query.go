// Package query is the reporting API's engine: it turns a JSON request (site, date
// range, metrics, dimensions, filters) into parameterised ClickHouse SQL, runs it, and
// shapes the answer of shared/spec/API.md §3. It runs as a pipeline of stages —
// validate, plan, build SQL, run, shape — and every stage but "run" is a plain function
// that tests can call without an engine.
package query

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"time"

	"github.com/omnistat/omnistat/catalog"
	"github.com/omnistat/omnistat/store"
)

// Request is the body of POST /api/v1/query.
type Request struct {
	Site       string          `json:"site"`
	DateRange  json.RawMessage `json:"date_range"`
	Metrics    []string        `json:"metrics"`
	Dimensions []string        `json:"dimensions"`
	Filters    json.RawMessage `json:"filters"`
	OrderBy    json.RawMessage `json:"order_by"`
	Limit      int             `json:"limit"`
	Page       int             `json:"page"`
	Compare    string          `json:"compare"`
	Format     string          `json:"format"`
}

// Response is the answer of POST /api/v1/query.
type Response struct {
	Results    []Row              `json:"results"`
	Totals     map[string]float64 `json:"totals"`
	Comparison map[string]float64 `json:"comparison,omitempty"`
	Meta       Meta               `json:"meta"`
}

// Row is one result row.
type Row struct {
	Dimensions []string  `json:"dimensions"`
	Metrics    []float64 `json:"metrics"`
}

// Meta describes the result.
type Meta struct {
	Metrics    []string `json:"metrics"`
	Dimensions []string `json:"dimensions"`
	Rows       int      `json:"rows"`
	From       string   `json:"from"`
	To         string   `json:"to"`
	Timezone   string   `json:"timezone"`
}

// BadRequest is an invalid request; its text names the field or value.
type BadRequest struct{ Msg string }

func (e *BadRequest) Error() string { return e.Msg }

func badf(format string, args ...any) error { return &BadRequest{Msg: fmt.Sprintf(format, args...)} }

// ErrUnknownSite is returned when the request names a site that is not registered.
var ErrUnknownSite = errors.New("site is not registered")

// Engine answers queries.
type Engine struct {
	st  store.Store
	cat *catalog.Catalog
	now func() time.Time
}

// New returns an Engine.
func New(st store.Store, cat *catalog.Catalog) *Engine {
	return &Engine{st: st, cat: cat, now: time.Now}
}

// Site resolves the request's site, for the caller's access check before Query.
func (e *Engine) Site(ctx context.Context, domain string) (catalog.Site, error) {
	if domain == "" {
		return catalog.Site{}, badf("site is required")
	}
	s, err := e.cat.SiteByDomain(ctx, domain)
	if errors.Is(err, catalog.ErrNotFound) {
		return catalog.Site{}, ErrUnknownSite
	}
	return s, err
}

// Query runs a request for a site the caller may read.
func (e *Engine) Query(ctx context.Context, site catalog.Site, req Request) (*Response, error) {
	plan, err := Plan(site, req, e.now())
	if err != nil {
		return nil, err
	}
	sql, params := BuildTotals(plan, plan.Period)
	res, err := e.st.Query(ctx, sql, params)
	if err != nil {
		return nil, fmt.Errorf("query.Query: %w", err)
	}
	return Shape(plan, res)
}
