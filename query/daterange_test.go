package query_test

import (
	"context"
	"encoding/json"
	"testing"
	"time"

	"github.com/omnistat/omnistat/catalog"
	"github.com/omnistat/omnistat/collector"
	"github.com/omnistat/omnistat/query"
	"github.com/omnistat/omnistat/query/querytest"
	"github.com/omnistat/omnistat/schema"
)

// Date range "all" shows events stored with a time before the site was added (imports,
// backdated server-side events), and starts on the day of the earliest of them.
func TestAllIncludesEventsOlderThanTheSite(t *testing.T) {
	f, _ := load(t, "UTC", querytest.Options{Days: 1, End: time.Now().UTC().Add(-time.Hour), Visitors: 5, Seed: 2})
	ctx := context.Background()
	old := f.site.Created.UTC().AddDate(0, 0, -40)
	e := collector.Event{SiteID: f.site.ID, TS: old, Name: "pageview", VisitorID: 9001, SessionID: 9001, Path: "/imported"}
	if err := f.st.Insert(ctx, "events", schema.EventColumns, [][]any{e.Row()}, ""); err != nil {
		t.Fatal(err)
	}
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
