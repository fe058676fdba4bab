package main

import (
	"context"
	"encoding/json"
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/omnistat/omnistat/catalog"
	"github.com/omnistat/omnistat/query"
)

type namedQuery struct {
	name string
	run  func(ctx context.Context) error
}

type timing struct {
	name     string
	p50, max time.Duration
	all      []time.Duration
}

// only, when set, names the queries to time (-only).
var only string

// timeAll runs each query once to warm the caches, then runs times, one at a time.
func timeAll(ctx context.Context, runs int, qs []namedQuery) ([]timing, error) {
	var out []timing
	for _, q := range qs {
		if !strings.Contains(q.name, only) {
			continue
		}
		if q.run == nil { // no such report in this layout
			out = append(out, timing{name: q.name})
			continue
		}
		if err := q.run(ctx); err != nil {
			return nil, fmt.Errorf("%s: %w", q.name, err)
		}
		t := timing{name: q.name}
		for range runs {
			t0 := time.Now()
			if err := q.run(ctx); err != nil {
				return nil, fmt.Errorf("%s: %w", q.name, err)
			}
			t.all = append(t.all, time.Since(t0))
		}
		slices.Sort(t.all)
		t.p50, t.max = t.all[len(t.all)/2], t.all[len(t.all)-1]
		out = append(out, t)
	}
	return out, nil
}

// ourQueries are the requests the dashboard's first screen sends (dashboard/assets/app.js),
// through the reporting API's engine as the HTTP handler calls it, plus a funnel and a
// filtered breakdown. Like the dashboard's panels and chart, breakdowns leave out their
// totals ("totals": false); top stats are the totals.
func ourQueries(e *query.Engine, site catalog.Site, dateRange string) []namedQuery {
	q := func(name, body string) namedQuery {
		var req query.Request
		if err := json.Unmarshal([]byte(body), &req); err != nil {
			panic(name + ": " + err.Error())
		}
		req.Site, req.DateRange = site.Domain, json.RawMessage(dateRange)
		return namedQuery{name, func(ctx context.Context) error {
			res, err := e.Query(ctx, site, req)
			if err == nil && len(res.Results) == 0 {
				err = fmt.Errorf("no rows")
			}
			return err
		}}
	}
	// journeys and attribution take their range as the query string has it: "from,to".
	journeys := func(name string, run func(context.Context, query.JourneyRequest) error) namedQuery {
		var days []string
		if err := json.Unmarshal([]byte(dateRange), &days); err != nil {
			panic(name + ": " + err.Error())
		}
		req := query.JourneyRequest{Site: site.Domain, DateRange: strings.Join(days, ",")}
		return namedQuery{name, func(ctx context.Context) error { return run(ctx, req) }}
	}
	funnel := func(name, body string) namedQuery {
		var req query.FunnelRequest
		if err := json.Unmarshal([]byte(body), &req); err != nil {
			panic(name + ": " + err.Error())
		}
		req.Site, req.DateRange = site.Domain, json.RawMessage(dateRange)
		return namedQuery{name, func(ctx context.Context) error {
			_, err := e.Funnel(ctx, site, req)
			return err
		}}
	}
	return []namedQuery{
		q("top stats (11 metrics) + previous period", `{"metrics":["visitors","visits","pageviews","views_per_visit","bounce_rate","engagement_rate","visit_duration","conversions","conversion_rate","ctr","revenue"],"compare":"previous_period"}`),
		q("visitors per day", `{"totals":false,"metrics":["visitors"],"dimensions":["time:day"]}`),
		q("top channels", `{"totals":false,"metrics":["visitors","visits","conversion_rate"],"dimensions":["channel"],"order_by":[["visitors","desc"]],"limit":10}`),
		q("top sources", `{"totals":false,"metrics":["visitors","visits","conversion_rate"],"dimensions":["source"],"order_by":[["visitors","desc"]],"limit":10}`),
		q("top pages", `{"totals":false,"metrics":["visitors","pageviews","bounce_rate"],"dimensions":["page"],"order_by":[["visitors","desc"]],"limit":10}`),
		q("entry pages", `{"totals":false,"metrics":["visitors","pageviews","bounce_rate"],"dimensions":["entry_page"],"order_by":[["visitors","desc"]],"limit":10}`),
		q("devices", `{"totals":false,"metrics":["visitors","engagement_rate"],"dimensions":["device"],"order_by":[["visitors","desc"]],"limit":10}`),
		q("browsers", `{"totals":false,"metrics":["visitors","engagement_rate"],"dimensions":["browser"],"order_by":[["visitors","desc"]],"limit":10}`),
		q("countries", `{"totals":false,"metrics":["visitors"],"dimensions":["country"],"order_by":[["visitors","desc"]],"limit":10}`),
		q("goals", `{"totals":false,"metrics":["conversions","conversion_rate","revenue"],"dimensions":["goal"],"order_by":[["conversions","desc"]],"limit":10}`),
		q("content blocks (CTR)", `{"totals":false,"metrics":["impressions","clicks","ctr"],"dimensions":["content_name"],"order_by":[["impressions","desc"]],"limit":10}`),
		q("top pages, channel = Organic Search", `{"totals":false,"metrics":["visitors","pageviews","bounce_rate"],"dimensions":["page"],"filters":[["is","channel",["Organic Search"]]],"order_by":[["visitors","desc"]],"limit":10}`),
		funnel("funnel / → /pricing → signup", `{"steps":[{"pageview":"/"},{"pageview":"/pricing"},{"event":"signup"}]}`),
		journeys("attribution, linear, any goal", func(ctx context.Context, req query.JourneyRequest) error {
			req.Model = "linear"
			_, err := e.Attribution(ctx, site, req)
			return err
		}),
		journeys("top journeys, any goal", func(ctx context.Context, req query.JourneyRequest) error {
			_, err := e.Journeys(ctx, site, req)
			return err
		}),
	}
}
