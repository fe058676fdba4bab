package query_test

import (
	"context"
	"encoding/json"
	"fmt"
	"testing"
	"time"

	"github.com/omnistat/omnistat/catalog"
	"github.com/omnistat/omnistat/collector"
	"github.com/omnistat/omnistat/query"
	"github.com/omnistat/omnistat/query/querytest"
)

// Date range "all" shows events stored with a time before the site was added (imports,
// backdated server-side events), and starts on the day of the earliest of them.
func TestAllIncludesEventsOlderThanTheSite(t *testing.T) {
	f, _ := load(t, "UTC", querytest.Options{Days: 1, End: time.Now().UTC().Add(-time.Hour), Visitors: 5, Seed: 2})
	ctx := context.Background()
	old := f.site.Created.UTC().AddDate(0, 0, -40)
	e := collector.Event{SiteID: f.site.ID, TS: old, Name: "pageview", VisitorID: 9001, SessionID: 9001, Path: "/imported"}
	f.insert(t, [][]any{e.Row()})
	fb, _ := json.Marshal([][]any{{"is", "page", []string{"/imported"}}})
	res, err := f.engine.Query(ctx, f.site, query.Request{DateRange: json.RawMessage(`"all"`), Metrics: []string{"pageviews"}, Filters: fb})
	if err != nil {
		t.Fatal(err)
	}
	if res.Totals["pageviews"] != 1 {
		t.Errorf("all: %v pageviews of /imported; want the 1 stored 40 days before the site", res.Totals["pageviews"])
	}
	if want := old.Format("2006-01-02"); res.Meta.From != want {
		t.Errorf("all starts %s; want %s, the day of the earliest event", res.Meta.From, want)
	}
	// The funnel and the journeys read "all" the same way.
	fun, err := f.engine.Funnel(ctx, f.site, query.FunnelRequest{DateRange: json.RawMessage(`"all"`), Window: "1h",
		Steps: []query.FunnelStep{{Pageview: "/imported"}, {Event: "never"}}})
	if err != nil {
		t.Fatal(err)
	}
	if fun.Steps[0].Visitors != 1 {
		t.Errorf("funnel over all: %d visitors at /imported; want 1", fun.Steps[0].Visitors)
	}
	if _, err := f.cat.AddGoal(ctx, f.site.ID, catalog.Goal{Page: "/imported"}); err != nil {
		t.Fatal(err)
	}
	j, err := f.engine.Journeys(ctx, f.site, query.JourneyRequest{DateRange: "all"})
	if err != nil {
		t.Fatal(err)
	}
	if j.Conversions != 1 || j.Meta.From != old.Format("2006-01-02") {
		t.Errorf("journeys over all: %d conversions from %s; want 1 from %s", j.Conversions, j.Meta.From, old.Format("2006-01-02"))
	}
}

// Today is compared with yesterday up to the same time of day, not with all of it;
// a range that is over is compared with the whole period before it.
func TestTodayComparedWithYesterdaySoFar(t *testing.T) {
	day := time.Date(2026, 3, 10, 0, 0, 0, 0, time.UTC)
	f, _ := load(t, "UTC", querytest.Options{Days: 1, End: day.AddDate(0, 0, -20), Visitors: 1, Seed: 1})
	query.SetNow(f.engine, day.Add(10*time.Hour))
	var rows [][]any
	for i, at := range []time.Duration{-15 * time.Hour, -13 * time.Hour, 9 * time.Hour, -25 * time.Hour} {
		// yesterday 09:00 and 11:00, today 09:00, and the day before yesterday 23:00
		e := collector.Event{SiteID: f.site.ID, TS: day.Add(at), Name: "pageview", VisitorID: uint64(100 + i), SessionID: uint64(100 + i), Path: "/"}
		rows = append(rows, e.Row())
	}
	f.insert(t, rows)
	ask := func(dateRange string) string {
		res, err := f.engine.Query(context.Background(), f.site, query.Request{DateRange: json.RawMessage(dateRange), Metrics: []string{"visitors"}, Compare: "previous_period"})
		if err != nil {
			t.Fatal(err)
		}
		return fmt.Sprint(res.Totals["visitors"], " vs ", res.Comparison["visitors"])
	}
	if got := ask(`"day"`); got != "1 vs 1" {
		t.Errorf("today at 10:00: %s; want 1 vs 1 (yesterday until 10:00 only)", got)
	}
	if got := ask(`["2026-03-09","2026-03-09"]`); got != "2 vs 1" {
		t.Errorf("yesterday, over: %s; want 2 vs 1 (the whole day before)", got)
	}
}
