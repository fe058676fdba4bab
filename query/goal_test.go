package query_test

import (
	"context"
	"encoding/json"
	"math"
	"strings"
	"testing"
	"time"

	"github.com/omnistat/omnistat/catalog"
	"github.com/omnistat/omnistat/query"
	"github.com/omnistat/omnistat/query/querytest"
)

// A breakdown by goal and another dimension: each row's conversion rate is that goal's
// converters with the row's value of the other dimension, over the visitors with that
// value (Organic Search converters over Organic Search visitors), as computed in Go;
// with and without conversions asked for, by a visit dimension, by day and by hour.
func TestGoalByAnotherDimension(t *testing.T) {
	end := time.Date(2026, 10, 31, 20, 0, 0, 0, time.UTC)
	f, events := load(t, "UTC", querytest.Options{Days: 30, End: end, Visitors: 300, Seed: 11})
	ctx := context.Background()
	goals := []querytest.Goal{{Event: "signup"}, {Page: "/pricing*"}}
	names := []string{"signup", "Visit /pricing*"}
	for _, g := range goals {
		if _, err := f.cat.AddGoal(ctx, f.site.ID, catalog.Goal{Event: g.Event, Page: g.Page}); err != nil {
			t.Fatal(err)
		}
	}
	from, to := time.Date(2026, 10, 5, 0, 0, 0, 0, time.UTC), time.Date(2026, 11, 1, 0, 0, 0, 0, time.UTC)
	for _, dim := range []string{"channel", "time:day", "time:hour"} {
		// Go's answer: goal name + value → conversions, rate.
		visitors := map[string]float64{}
		for _, r := range querytest.Expect(events, querytest.Query{From: from, To: to, TZ: time.UTC, Metrics: []string{"visitors"}, Dims: []string{dim}}) {
			visitors[r.Dims[0]] = r.Metrics[0]
		}
		want := map[string][2]float64{}
		for i, g := range goals {
			for _, r := range querytest.Expect(events, querytest.Query{From: from, To: to, TZ: time.UTC, Metrics: []string{"conversions"}, Dims: []string{dim}, Goals: []querytest.Goal{g}}) {
				if c := r.Metrics[0]; c > 0 {
					want[names[i]+"|"+r.Dims[0]] = [2]float64{c, math.Round(c/visitors[r.Dims[0]]*10000) / 100}
				}
			}
		}
		for _, metrics := range [][]string{{"conversions", "conversion_rate"}, {"conversion_rate"}} {
			t.Run(dim+" "+strings.Join(metrics, "+"), func(t *testing.T) {
				res, err := f.engine.Query(ctx, f.site, query.Request{DateRange: json.RawMessage(`["2026-10-05","2026-10-31"]`),
					Metrics: metrics, Dimensions: []string{"goal", dim}, Limit: 10000})
				if err != nil {
					t.Fatal(err)
				}
				if len(res.Results) != len(want) {
					t.Errorf("%d rows; want %d", len(res.Results), len(want))
				}
				for _, r := range res.Results {
					if len(r.Metrics) != len(metrics) {
						t.Fatalf("row %v has %d metrics; want %d", r.Dimensions, len(r.Metrics), len(metrics))
					}
					value := r.Dimensions[1]
					if dim == "time:hour" {
						h, _ := time.Parse(query.HourFormat, value)
						value = h.UTC().Format("2006-01-02 15:04:05")
					}
					w, ok := want[r.Dimensions[0]+"|"+value]
					if !ok {
						t.Errorf("row %v is not in Go's answer", r.Dimensions)
						continue
					}
					if got := r.Metrics[len(metrics)-1]; math.Abs(got-w[1]) > 0.011 {
						t.Errorf("%v conversion rate %v; want %v", r.Dimensions, got, w[1])
					}
					if len(metrics) == 2 && r.Metrics[0] != w[0] {
						t.Errorf("%v conversions %v; want %v", r.Dimensions, r.Metrics[0], w[0])
					}
				}
			})
		}
	}
}
