package query_test

import (
	"context"
	"encoding/json"
	"strings"
	"testing"
	"time"

	"github.com/omnistat/omnistat/query"
	"github.com/omnistat/omnistat/query/querytest"
)

// Paging through a breakdown ordered by a metric on which many rows tie (the long tail
// of blog posts with one or two visitors) shows every row exactly once, in both the
// flat and the two-level form.
func TestPagingWithOrderByShowsEveryRowOnce(t *testing.T) {
	end := time.Date(2026, 10, 31, 20, 0, 0, 0, time.UTC)
	f, _ := load(t, "UTC", querytest.Options{Days: 30, End: end, Visitors: 400, Seed: 7})
	ctx := context.Background()
	for _, metrics := range [][]string{{"visitors"}, {"visitors", "visit_duration"}} {
		base := query.Request{DateRange: json.RawMessage(`["2026-10-01","2026-10-31"]`), Metrics: metrics,
			Dimensions: []string{"page"}, OrderBy: json.RawMessage(`[["visitors","desc"]]`)}
		all := base
		all.Limit = 10000
		whole, err := f.engine.Query(ctx, f.site, all)
		if err != nil {
			t.Fatal(err)
		}
		seen := map[string]int{}
		for page := 1; ; page++ {
			req := base
			req.Limit, req.Page = 7, page
			res, err := f.engine.Query(ctx, f.site, req)
			if err != nil {
				t.Fatal(err)
			}
			for _, r := range res.Results {
				seen[strings.Join(r.Dimensions, "|")]++
			}
			if !res.Meta.More {
				break
			}
			if page > 1000 {
				t.Fatal("paging does not end")
			}
		}
		if len(whole.Results) < 50 {
			t.Fatalf("only %d pages in the traffic: no ties to page through", len(whole.Results))
		}
		for _, r := range whole.Results {
			if n := seen[r.Dimensions[0]]; n != 1 {
				t.Errorf("%v: page %s is on %d pages; want exactly 1", metrics, r.Dimensions[0], n)
			}
		}
		if len(seen) != len(whole.Results) {
			t.Errorf("%v: pages show %d distinct rows; the whole breakdown has %d", metrics, len(seen), len(whole.Results))
		}
	}
}

// A time series takes limit, page and order_by as a breakdown does, over its
// zero-filled buckets (empty days included); without a limit it has every bucket.
func TestTimeSeriesLimitPageAndOrder(t *testing.T) {
	end := time.Date(2026, 10, 31, 20, 0, 0, 0, time.UTC)
	f, _ := load(t, "UTC", querytest.Options{Days: 5, End: end, Visitors: 50, Seed: 3})
	ctx := context.Background()
	series := func(limit, page int, orderBy string) []query.Row {
		t.Helper()
		req := query.Request{DateRange: json.RawMessage(`["2026-10-20","2026-10-31"]`), Metrics: []string{"visitors"},
			Dimensions: []string{"time:day"}, Limit: limit, Page: page}
		if orderBy != "" {
			req.OrderBy = json.RawMessage(orderBy)
		}
		res, err := f.engine.Query(ctx, f.site, req)
		if err != nil {
			t.Fatal(err)
		}
		return res.Results
	}
	days := func(rows []query.Row) string {
		var out []string
		for _, r := range rows {
			out = append(out, r.Dimensions[0][8:])
		}
		return strings.Join(out, " ")
	}
	all := series(0, 0, "")
	if got := days(all); got != "20 21 22 23 24 25 26 27 28 29 30 31" {
		t.Fatalf("without a limit: days %s; want every day of the range", got)
	}
	if got := days(series(3, 2, "")); got != "23 24 25" {
		t.Errorf("limit 3, page 2: days %s; want 23 24 25", got)
	}
	if got := days(series(2, 1, `[["time:day","desc"]]`)); got != "31 30" {
		t.Errorf("newest first, limit 2: days %s; want 31 30", got)
	}
	// By visitors: the busiest day first; the empty days (20 to 25) last, in time order.
	byVisitors := series(12, 1, `[["visitors","desc"]]`)
	for i := 1; i < len(byVisitors); i++ {
		if byVisitors[i].Metrics[0] > byVisitors[i-1].Metrics[0] {
			t.Fatalf("ordered by visitors: %v", byVisitors)
		}
	}
	if got := days(byVisitors[6:]); got != "20 21 22 23 24 25" {
		t.Errorf("ordered by visitors, the empty days are %s; want 20 21 22 23 24 25", got)
	}
}
