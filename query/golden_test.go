package query_test

import (
	"context"
	"encoding/json"
	"fmt"
	"math"
	"sort"
	"strings"
	"testing"
	"time"

	"github.com/omnistat/omnistat/catalog"
	"github.com/omnistat/omnistat/collector"
	"github.com/omnistat/omnistat/query"
	"github.com/omnistat/omnistat/query/querytest"
	"github.com/omnistat/omnistat/schema"
	"github.com/omnistat/omnistat/store"
	"github.com/omnistat/omnistat/store/embedded/embeddedtest"
)

func TestMain(m *testing.M) { embeddedtest.Main(m) }

type fixture struct {
	st     store.Store
	cat    *catalog.Catalog
	engine *query.Engine
	site   catalog.Site
}

func load(t *testing.T, tz string, opts querytest.Options) (*fixture, []collector.Event) {
	t.Helper()
	st := embeddedtest.Open(t)
	ctx := context.Background()
	if _, err := schema.Migrate(ctx, st, schema.Options{}); err != nil {
		t.Fatal(err)
	}
	cat := catalog.New(st)
	site, err := cat.AddSite(ctx, "demo.example", tz)
	if err != nil {
		t.Fatal(err)
	}
	opts.SiteID = site.ID
	events := querytest.Generate(opts)
	rows := make([][]any, len(events))
	for i := range events {
		rows[i] = events[i].Row()
	}
	if err := st.Insert(ctx, "events", schema.EventColumns, rows, ""); err != nil {
		t.Fatal(err)
	}
	return &fixture{st: st, cat: cat, engine: query.New(st, cat), site: site}, events
}

// insert stores hand-made events' rows (collector.Event.Row) in the fixture's engine.
func (f *fixture) insert(t *testing.T, rows [][]any) {
	t.Helper()
	if err := f.st.Insert(context.Background(), "events", schema.EventColumns, rows, ""); err != nil {
		t.Fatal(err)
	}
}

var allMetrics = query.MetricNames

// flatMetrics are those that need no visit totals, answered in one pass.
var flatMetrics = []string{"visitors", "visits", "pageviews", "views_per_visit", "events", "conversions",
	"conversion_rate", "revenue", "impressions", "clicks", "ctr", "interaction_rate"}

// visitSetMetrics are answered flat, with sets of bounced and engaged visits, when the
// breakdown is by an event-level dimension.
var visitSetMetrics = []string{"visitors", "visits", "pageviews", "bounce_rate", "engagement_rate", "conversions"}

// The answers of the API against the real engine equal those computed in Go from the
// same generated traffic, for every metric and many dimension × filter combinations.
func TestGoldenAgainstGo(t *testing.T) {
	end := time.Date(2026, 10, 31, 20, 0, 0, 0, time.UTC)
	f, events := load(t, "UTC", querytest.Options{Days: 30, End: end, Visitors: 400, Seed: 7})
	ctx := context.Background()
	if _, err := f.cat.AddGoal(ctx, f.site.ID, catalog.Goal{Event: "signup"}); err != nil {
		t.Fatal(err)
	}
	if _, err := f.cat.AddGoal(ctx, f.site.ID, catalog.Goal{Page: "/pricing*"}); err != nil {
		t.Fatal(err)
	}
	goals := []querytest.Goal{{Event: "signup"}, {Page: "/pricing*"}}
	from, to := time.Date(2026, 10, 5, 0, 0, 0, 0, time.UTC), time.Date(2026, 11, 1, 0, 0, 0, 0, time.UTC)

	filters := map[string][]querytest.Filter{
		"none":                 nil,
		"channel is":           {{Op: "is", Dim: "channel", Values: []string{"Email", "Organic Search"}}},
		"device is_not":        {{Op: "is_not", Dim: "device", Values: []string{"Mobile"}}},
		"page contains":        {{Op: "contains", Dim: "page", Values: []string{"PRICING"}}},
		"source matches":       {{Op: "matches", Dim: "source", Values: []string{"^(Google|google)$"}}},
		"country not_contains": {{Op: "not_contains", Dim: "country", Values: []string{"U"}}},
		"two filters":          {{Op: "is", Dim: "device", Values: []string{"Desktop"}}, {Op: "is_not", Dim: "channel", Values: []string{"Direct"}}},
		"prop is":              {{Op: "is", Dim: "prop:plan", Values: []string{"pro"}}},
	}
	dims := [][]string{nil, {"channel"}, {"device"}, {"page"}, {"time:day"}, {"country", "device"}, {"event"}, {"content_name"}, {"campaign"}}
	// Every combination three times: with all metrics (the two-level form, grouped by
	// visit), with the metrics that need no visit totals (the flat, one-pass form), and
	// with bounce and engagement rates (flat with visit sets by event-level dimensions).
	metricSets := map[string][]string{"all": allMetrics, "flat": flatMetrics, "visit sets": visitSetMetrics}
	checked := 0
	for setName, allMetrics := range metricSets {
		for fname, fs := range filters {
			for _, ds := range dims {
				name := setName + " " + fname + " by " + strings.Join(ds, "+")
				t.Run(name, func(t *testing.T) {
					var raw [][]any
					for _, fl := range fs {
						raw = append(raw, []any{fl.Op, fl.Dim, fl.Values})
					}
					fb, _ := json.Marshal(raw)
					res, err := f.engine.Query(ctx, f.site, query.Request{DateRange: json.RawMessage(`["2026-10-05","2026-10-31"]`),
						Metrics: allMetrics, Dimensions: ds, Filters: fb, Limit: 10000})
					if err != nil {
						t.Fatal(err)
					}
					want := querytest.Expect(events, querytest.Query{From: from, To: to, TZ: time.UTC, Metrics: allMetrics, Dims: ds, Filters: fs, Goals: goals})
					got := res.Results
					if len(ds) > 0 && ds[0] == "time:day" {
						got = dropZeroRows(got) // the API zero-fills days without traffic
					}
					sort.Slice(got, func(i, j int) bool {
						return strings.Join(got[i].Dimensions, "\x00") < strings.Join(got[j].Dimensions, "\x00")
					})
					if len(got) != len(want) {
						t.Fatalf("%d rows; want %d", len(got), len(want))
					}
					for i := range want {
						if strings.Join(got[i].Dimensions, "|") != strings.Join(want[i].Dims, "|") {
							t.Fatalf("row %d dimensions %v; want %v", i, got[i].Dimensions, want[i].Dims)
						}
						for j, m := range allMetrics {
							if math.Abs(got[i].Metrics[j]-want[i].Metrics[j]) > 0.011 {
								t.Errorf("row %v %s = %v; want %v", want[i].Dims, m, got[i].Metrics[j], want[i].Metrics[j])
							}
						}
					}
					if len(ds) == 0 {
						for j, m := range allMetrics {
							if math.Abs(res.Totals[m]-want[0].Metrics[j]) > 0.011 {
								t.Errorf("totals %s = %v; want %v", m, res.Totals[m], want[0].Metrics[j])
							}
						}
					}
				})
				checked++
			}
		}
	}
	t.Logf("%d combinations of filters and dimensions checked, %d metrics each, on %d events", checked, len(allMetrics), len(events))
}

func dropZeroRows(rows []query.Row) []query.Row {
	var out []query.Row
	for _, r := range rows {
		for _, m := range r.Metrics {
			if m != 0 {
				out = append(out, r)
				break
			}
		}
	}
	return out
}

// Breakdown rows add up to the totals for visit-level dimensions: every visit has
// exactly one channel.
func TestBreakdownAgreesWithTotals(t *testing.T) {
	f, _ := load(t, "UTC", querytest.Options{Days: 10, End: time.Now().UTC().Add(-time.Hour), Visitors: 200, Seed: 3})
	res, err := f.engine.Query(context.Background(), f.site, query.Request{DateRange: json.RawMessage(`"30d"`),
		Metrics: []string{"visits", "pageviews", "visitors"}, Dimensions: []string{"channel"}, Limit: 1000, Compare: "previous_period"})
	if err != nil {
		t.Fatal(err)
	}
	var visits, pageviews float64
	for _, r := range res.Results {
		visits += r.Metrics[0]
		pageviews += r.Metrics[1]
	}
	if visits != res.Totals["visits"] || pageviews != res.Totals["pageviews"] {
		t.Fatalf("channels add up to %v visits and %v pageviews; totals say %v and %v", visits, pageviews, res.Totals["visits"], res.Totals["pageviews"])
	}
	if res.Comparison == nil || res.Comparison["visits"] != 0 {
		t.Fatalf("comparison %v; want the previous 30 days, which are empty", res.Comparison)
	}
	if fmt.Sprint(res.Meta.Dimensions) != "[channel]" || res.Meta.Rows != len(res.Results) {
		t.Fatalf("meta %+v", res.Meta)
	}
}

// A breakdown by goal: each goal's conversions, and its conversion rate against every
// visitor in the range (not only the goal's converters), as computed in Go; the same
// with conversion_rate alone (its conversions then come from a query of their own); and
// "totals": false leaves the totals out and the rows as they are.
func TestGoalBreakdown(t *testing.T) {
	f, events, goals, names, from, to := goalFixture(t)
	ctx := context.Background()
	visitors := querytest.Expect(events, querytest.Query{From: from, To: to, TZ: time.UTC, Metrics: []string{"visitors"}})[0].Metrics[0]
	want := map[string][2]float64{} // goal name → conversions, rate
	for i, g := range goals {
		conv := querytest.Expect(events, querytest.Query{From: from, To: to, TZ: time.UTC, Metrics: []string{"conversions"}, Goals: []querytest.Goal{g}})[0].Metrics[0]
		want[names[i]] = [2]float64{conv, math.Round(conv/visitors*10000) / 100}
	}
	if want["signup"][0] == 0 || want["Visit /pricing*"][0] == 0 {
		t.Fatalf("the generated traffic has no conversions: %v", want)
	}
	no := false
	for _, c := range []struct {
		name    string
		metrics []string
		totals  *bool
	}{
		{"conversions and rate", []string{"conversions", "conversion_rate", "revenue"}, nil},
		{"rate alone", []string{"conversion_rate"}, nil},
		{"rate and revenue, by name", []string{"revenue", "conversion_rate"}, nil},
		{"without totals", []string{"conversions", "conversion_rate"}, &no},
	} {
		t.Run(c.name, func(t *testing.T) {
			req := query.Request{DateRange: json.RawMessage(`["2026-10-05","2026-10-31"]`),
				Metrics: c.metrics, Dimensions: []string{"goal"}, Totals: c.totals}
			if c.metrics[0] == "revenue" {
				req.OrderBy = json.RawMessage(`[["revenue", "desc"], ["goal", "asc"]]`)
			}
			res, err := f.engine.Query(ctx, f.site, req)
			if err != nil {
				t.Fatal(err)
			}
			if len(res.Results) != 2 {
				t.Fatalf("%d rows; want one per goal: %+v", len(res.Results), res.Results)
			}
			ri := len(c.metrics) - 1
			if c.metrics[0] == "conversions" {
				ri = 1
			}
			for _, r := range res.Results {
				w, ok := want[r.Dimensions[0]]
				if !ok {
					t.Fatalf("unknown goal row %v", r.Dimensions)
				}
				if c.metrics[0] == "conversions" && r.Metrics[0] != w[0] {
					t.Errorf("%s conversions %v; want %v", r.Dimensions[0], r.Metrics[0], w[0])
				}
				if math.Abs(r.Metrics[ri]-w[1]) > 0.011 {
					t.Errorf("%s conversion rate %v; want %v (%v of %v visitors)", r.Dimensions[0], r.Metrics[ri], w[1], w[0], visitors)
				}
			}
			if (c.totals == nil) != (len(res.Totals) > 0) {
				t.Errorf("totals %v with \"totals\": %v", res.Totals, c.totals)
			}
		})
	}
}
