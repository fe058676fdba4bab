package query_test

import (
	"context"
	"encoding/json"
	"fmt"
	"math"
	"strings"
	"testing"
	"time"

	"github.com/omnistat/omnistat/catalog"
	"github.com/omnistat/omnistat/collector"
	"github.com/omnistat/omnistat/query"
	"github.com/omnistat/omnistat/query/querytest"
)

// A breakdown by goal and another dimension: each row's conversion rate is that goal's
// converters with the row's value of the other dimension, over the visitors with that
// value (Organic Search converters over Organic Search visitors), as computed in Go;
// with and without conversions asked for, by a visit dimension, by day and by hour.
func TestGoalByAnotherDimension(t *testing.T) {
	f, events, goals, names, from, to := goalFixture(t)
	ctx := context.Background()
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

// Overlapping goals: a pageview of /pricing completes both "/pricing*" and "/pricing",
// and counts for both rows of a breakdown by goal, each row as many conversions as a
// filter on that goal alone finds; the visit facts of a row count that pageview once
// (a one-page visit to /pricing bounced). A filter on both goals does not count an
// event twice.
func TestOverlappingGoals(t *testing.T) {
	end := time.Now().UTC().Add(-time.Hour)
	f, _ := load(t, "UTC", querytest.Options{Days: 1, End: end.AddDate(0, 0, -10), Visitors: 1, Seed: 1}) // outside the day asked for
	ctx := context.Background()
	for _, g := range []catalog.Goal{{Page: "/pricing*"}, {Page: "/pricing"}} {
		if _, err := f.cat.AddGoal(ctx, f.site.ID, g); err != nil {
			t.Fatal(err)
		}
	}
	t0 := end.Add(-30 * time.Minute).Truncate(time.Second)
	var rows [][]any
	for i, pv := range []struct {
		visit uint64
		path  string
	}{{1, "/pricing"}, {2, "/"}, {2, "/pricing/team"}} {
		e := collector.Event{SiteID: f.site.ID, TS: t0.Add(time.Duration(i) * time.Minute), Name: "pageview", VisitorID: 700 + pv.visit, SessionID: 700 + pv.visit, Path: pv.path}
		rows = append(rows, e.Row())
	}
	f.insert(t, rows)
	day := json.RawMessage(`["` + t0.Format("2006-01-02") + `","` + t0.Format("2006-01-02") + `"]`)
	conversionsOf := func(goal string) float64 {
		fb, _ := json.Marshal([][]any{{"is", "goal", []string{goal}}})
		res, err := f.engine.Query(ctx, f.site, query.Request{DateRange: day, Metrics: []string{"conversions"}, Filters: fb})
		if err != nil {
			t.Fatal(err)
		}
		return res.Totals["conversions"]
	}
	if a, b := conversionsOf("Visit /pricing*"), conversionsOf("Visit /pricing"); a != 2 || b != 1 {
		t.Fatalf("filters on each goal alone find %v and %v conversions; want 2 and 1", a, b)
	}
	// Ordered by conversion rate, a page of one row is the goal with the highest (or
	// lowest) rate: 2 of the 2 visitors against 1 of 2.
	for dir, want := range map[string]string{"desc": "Visit /pricing* 100", "asc": "Visit /pricing 50"} {
		ob, _ := json.Marshal([][]string{{"conversion_rate", dir}})
		res, err := f.engine.Query(ctx, f.site, query.Request{DateRange: day, Metrics: []string{"conversion_rate"}, Dimensions: []string{"goal"}, OrderBy: ob, Limit: 1})
		if err != nil {
			t.Fatal(err)
		}
		if len(res.Results) != 1 || fmt.Sprint(res.Results[0].Dimensions[0], " ", res.Results[0].Metrics[0]) != want {
			t.Errorf("by conversion rate %s, limit 1: %+v; want %s", dir, res.Results, want)
		}
	}
	// visitors, conversions, pageviews, bounce rate of each goal's row.
	want := map[string]string{"Visit /pricing*": "2 2 2 50", "Visit /pricing": "1 1 1 100"}
	// With visit_duration the breakdown groups by visit first; without, it is one pass.
	for _, metrics := range [][]string{{"visitors", "conversions", "pageviews", "bounce_rate"}, {"visitors", "conversions", "pageviews", "bounce_rate", "visit_duration"}} {
		res, err := f.engine.Query(ctx, f.site, query.Request{DateRange: day, Metrics: metrics, Dimensions: []string{"goal"}})
		if err != nil {
			t.Fatal(err)
		}
		got := map[string]string{}
		for _, r := range res.Results {
			got[r.Dimensions[0]] = fmt.Sprint(r.Metrics[0], r.Metrics[1], r.Metrics[2], r.Metrics[3])
		}
		for goal, w := range want {
			if got[goal] != w {
				t.Errorf("%v: %s row = %q; want visitors, conversions, pageviews, bounce rate %q", metrics, goal, got[goal], w)
			}
		}
	}
	fb, _ := json.Marshal([][]any{{"is", "goal", []string{"Visit /pricing*", "Visit /pricing"}}})
	res, err := f.engine.Query(ctx, f.site, query.Request{DateRange: day, Metrics: []string{"pageviews", "conversions"}, Filters: fb})
	if err != nil {
		t.Fatal(err)
	}
	if res.Totals["conversions"] != 2 {
		t.Errorf("filter on both goals: %v conversions; want the 2 visitors", res.Totals["conversions"])
	}
}

// goalFixture is a month of the generator's traffic with the goals signup and
// /pricing*, and the range the goal tests ask about, [from, to).
func goalFixture(t *testing.T) (f *fixture, events []collector.Event, goals []querytest.Goal, names []string, from, to time.Time) {
	t.Helper()
	end := time.Date(2026, 10, 31, 20, 0, 0, 0, time.UTC)
	f, events = load(t, "UTC", querytest.Options{Days: 30, End: end, Visitors: 300, Seed: 11})
	goals = []querytest.Goal{{Event: "signup"}, {Page: "/pricing*"}}
	names = []string{"signup", "Visit /pricing*"}
	for _, g := range goals {
		if _, err := f.cat.AddGoal(context.Background(), f.site.ID, catalog.Goal{Event: g.Event, Page: g.Page}); err != nil {
			t.Fatal(err)
		}
	}
	return f, events, goals, names, time.Date(2026, 10, 5, 0, 0, 0, 0, time.UTC), time.Date(2026, 11, 1, 0, 0, 0, 0, time.UTC)
}
