package query_test

import (
	"context"
	"encoding/json"
	"strings"
	"testing"
	"time"

	"github.com/omnistat/omnistat/collector"
	"github.com/omnistat/omnistat/query"
	"github.com/omnistat/omnistat/query/querytest"
	"github.com/omnistat/omnistat/schema"
)

// funnelDay is the day the funnel tests store their events on, far from the generated
// traffic of the fixture, so that only the test's own visitors count.
var funnelDay = time.Date(2025, 3, 10, 8, 0, 0, 0, time.UTC)

// funnelEvent is one event of a funnel test: visitor v did name (at path) at funnelDay+at.
type funnelEvent struct {
	v          uint64
	name, path string
	at         time.Duration
	source     string
}

// funnelFixture stores the events on funnelDay, and returns a function that answers a
// funnel over that day.
func funnelFixture(t *testing.T, events []funnelEvent) func(req query.FunnelRequest) *query.FunnelResponse {
	t.Helper()
	f, _ := load(t, "UTC", querytest.Options{Days: 1, End: funnelDay.AddDate(0, 0, -5), Visitors: 1, Seed: 1})
	ctx := context.Background()
	var rows [][]any
	for _, e := range events {
		ev := collector.Event{SiteID: f.site.ID, TS: funnelDay.Add(e.at), Name: e.name, VisitorID: 1000 + e.v, SessionID: 1000 + e.v, Path: e.path, Source: e.source}
		rows = append(rows, ev.Row())
	}
	if len(rows) > 0 {
		if err := f.st.Insert(ctx, "events", schema.EventColumns, rows, ""); err != nil {
			t.Fatal(err)
		}
	}
	return func(req query.FunnelRequest) *query.FunnelResponse {
		t.Helper()
		req.DateRange = json.RawMessage(`["2025-03-10","2025-03-10"]`)
		res, err := f.engine.Funnel(ctx, f.site, req)
		if err != nil {
			t.Fatal(err)
		}
		return res
	}
}

// A window the engine cannot hold, or one shorter than the second the funnel counts in,
// is refused with a sentence naming window, instead of being answered for another window.
func TestFunnelRejectsBadWindows(t *testing.T) {
	f, _ := load(t, "UTC", querytest.Options{Days: 1, End: funnelDay, Visitors: 1, Seed: 1})
	steps := []query.FunnelStep{{Pageview: "/"}, {Event: "signup"}}
	for _, w := range []string{"106752d", "99999999999999d", "31d", "721h", "1ms", "999ms", "0s", "-1h", "forever", "1.5d"} {
		_, err := f.engine.Funnel(context.Background(), f.site, query.FunnelRequest{DateRange: json.RawMessage(`"day"`), Steps: steps, Window: w})
		var br *query.BadRequest
		if err == nil || !asBad(err, &br) || !strings.HasPrefix(err.Error(), "window") {
			t.Errorf("window %q: %v; want a BadRequest naming window", w, err)
		}
	}
	for _, w := range []string{"1s", "30m", "1h", "30d", "720h"} {
		if _, err := f.engine.Funnel(context.Background(), f.site, query.FunnelRequest{DateRange: json.RawMessage(`"day"`), Steps: steps, Window: w}); err != nil {
			t.Errorf("window %q: %v", w, err)
		}
	}
}
