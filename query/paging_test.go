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
