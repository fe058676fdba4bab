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
	"strconv"
	"sync"
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
	// Totals false leaves out the totals of a breakdown (they cost a second pass over
	// the events): for panels that show only their rows. Default true.
	Totals *bool `json:"totals"`
}

// Response is the answer of POST /api/v1/query.
type Response struct {
	Results    []Row              `json:"results"`
	Totals     map[string]float64 `json:"totals"`
	Comparison map[string]float64 `json:"comparison,omitempty"`
	// RevenueByCurrency is the revenue total of each currency, when the answer's
	// events hold more than one (the revenue metric adds them as they come).
	RevenueByCurrency map[string]float64 `json:"revenue_by_currency,omitempty"`
	Meta              Meta               `json:"meta"`
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
	More       bool     `json:"more,omitempty"` // another page of rows exists
	From       string   `json:"from"`
	To         string   `json:"to"`
	Timezone   string   `json:"timezone"`
	CSV        bool     `json:"-"`
}

// BadRequest is an invalid request; its text names the field or value.
type BadRequest struct{ Msg string }

func (e *BadRequest) Error() string { return e.Msg }

func badf(format string, args ...any) error { return &BadRequest{Msg: fmt.Sprintf(format, args...)} }

// ErrUnknownSite is returned when the request names a site that is not registered.
var ErrUnknownSite = errors.New("site is not registered")

// Engine answers queries.
type Engine struct {
	st         store.Store
	cat        *catalog.Catalog
	now        func() time.Time
	currencies currencyCache
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

// Query runs a request for a site the caller may read: the rows, the totals (unless
// a breakdown asks "totals": false) and, when asked, the totals of the previous period,
// as parallel queries.
func (e *Engine) Query(ctx context.Context, site catalog.Site, req Request) (*Response, error) {
	goals, err := e.cat.Goals(ctx, site.ID)
	if err != nil {
		return nil, err
	}
	allFrom, err := e.allFrom(ctx, site, req.DateRange)
	if err != nil {
		return nil, err
	}
	plan, err := planWith(site, goals, req, e.now(), allFrom)
	if err != nil {
		return nil, err
	}
	out := &Response{Results: []Row{}, Totals: map[string]float64{},
		Meta: Meta{Metrics: plan.Metrics, Dimensions: req.Dimensions, From: plan.Period.From.Format("2006-01-02"),
			To: plan.Period.To.Format("2006-01-02"), Timezone: site.Timezone, CSV: plan.CSV}}
	if out.Meta.Dimensions == nil {
		out.Meta.Dimensions = []string{}
	}
	// Every query of the answer runs in parallel: rows, totals, the previous period's
	// totals, and what a breakdown by goal needs for its conversion rates.
	type job struct {
		sql    string
		params store.Params
		res    *store.Result
		err    error
	}
	var jobs []*job
	add := func(sql string, params store.Params) *job {
		j := &job{sql: sql, params: params}
		jobs = append(jobs, j)
		return j
	}
	var rows, totals, previous, gv *job
	rowsPlan, rate := plan, newGoalRate(plan)
	if rate != nil {
		rowsPlan = rate.rows
	}
	if len(plan.Dims) > 0 {
		rows = add(Build(rowsPlan, plan.Period, false))
	}
	if len(plan.Dims) == 0 || req.Totals == nil || *req.Totals {
		totals = add(Build(plan, plan.Period, true))
	}
	if plan.Compare {
		previous = add(Build(plan, plan.Period.ComparedAt(e.now()), true))
	}
	if rate != nil && rate.allVisitors() != nil {
		gv = add(Build(rate.allVisitors(), plan.Period, true))
	}
	var byCurrency *job
	if cp := currencyPlan(plan); cp != nil && totals != nil {
		mixed, err := e.mixedCurrencies(ctx, site)
		if err != nil {
			return nil, err
		}
		if mixed {
			byCurrency = add(Build(cp, plan.Period, false))
		}
	}
	var wg sync.WaitGroup
	for _, j := range jobs {
		wg.Add(1)
		go func(j *job) {
			defer wg.Done()
			j.res, j.err = e.st.Query(ctx, j.sql, j.params)
		}(j)
	}
	wg.Wait()
	for _, j := range jobs {
		if j.err != nil {
			return nil, fmt.Errorf("query.Query %s: %w", plan, j.err)
		}
	}
	totalsOf := func(res *store.Result) map[string]float64 {
		m := map[string]float64{}
		if len(res.Rows) == 1 {
			for i, name := range plan.Metrics {
				m[name] = store.Float(res.Rows[0][i])
			}
		}
		return m
	}
	if byCurrency != nil {
		out.RevenueByCurrency = revenueByCurrency(byCurrency.res)
	}
	if totals != nil {
		out.Totals = totalsOf(totals.res)
	}
	if rows != nil {
		var hours []string
		if isTimeOnly(plan) && plan.Dims[0].time == "hour" {
			if hours, err = e.hourBuckets(ctx, plan); err != nil {
				return nil, err
			}
		}
		if out.Results, out.Meta.More, err = Shape(rowsPlan, rows.res, hours); err != nil {
			return nil, err
		}
		if rate != nil {
			var all *store.Result
			if gv != nil {
				all = gv.res
			}
			if err := e.goalRates(ctx, rate, out.Results, all); err != nil {
				return nil, err
			}
		}
	} else {
		row := Row{Dimensions: []string{}}
		for _, m := range plan.Metrics {
			row.Metrics = append(row.Metrics, out.Totals[m])
		}
		out.Results = []Row{row}
	}
	if previous != nil {
		out.Comparison = totalsOf(previous.res)
	}
	out.Meta.Rows = len(out.Results)
	return out, nil
}

// allFrom is where date range "all" starts: the site's earliest stored event, when
// imported or backdated server-side events predate the site, else the day it was
// added. Only a request for "all" pays for the look-up: the first row of the site in
// the table's order (site_id, toDate(ts), ...), read in that order, so the engine
// stops at the first granule instead of reading every timestamp of the site.
func (e *Engine) allFrom(ctx context.Context, site catalog.Site, dateRange json.RawMessage) (time.Time, error) {
	var name string
	if json.Unmarshal(dateRange, &name) != nil || name != "all" {
		return site.Created, nil
	}
	res, err := e.st.Query(ctx, `SELECT toUnixTimestamp64Milli(ts) FROM events WHERE site_id = {site:UInt32}
		ORDER BY toDate(ts), ts LIMIT 1`, store.Params{"site": strconv.FormatUint(uint64(site.ID), 10)})
	if err != nil {
		return time.Time{}, fmt.Errorf("query.allFrom: %w", err)
	}
	if len(res.Rows) == 1 {
		if first := time.UnixMilli(store.Int(res.Rows[0][0])); first.Before(site.Created) {
			return first, nil
		}
	}
	return site.Created, nil
}

// hourBuckets asks the engine for the hourly buckets of the period: its toStartOfHour
// over a 15-minute grid, which finds every bucket also in zones with 30- and 45-minute
// offsets, with the engine's own rule for them.
func (e *Engine) hourBuckets(ctx context.Context, plan *QueryPlan) ([]string, error) {
	start, end := plan.Period.Start().UTC(), plan.Period.End().UTC()
	res, err := e.st.Query(ctx, `SELECT DISTINCT toUnixTimestamp(toStartOfHour(toDateTime({start:UInt32}, 'UTC') + number * 900, {tz:String})) AS b
		FROM numbers({n:UInt32}) ORDER BY b`, store.Params{"start": strconv.FormatInt(start.Unix(), 10), "tz": plan.Site.Timezone,
		"n": strconv.FormatInt(int64(end.Sub(start)/(15*time.Minute)), 10)})
	if err != nil {
		return nil, fmt.Errorf("query.hourBuckets: %w", err)
	}
	out := make([]string, 0, len(res.Rows))
	for _, r := range res.Rows {
		out = append(out, hourName(text(r[0]), plan.Period.From.Location()))
	}
	return out, nil
}
