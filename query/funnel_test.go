package query_test

import (
	"context"
	"encoding/json"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/omnistat/omnistat/collector"
	"github.com/omnistat/omnistat/query"
	"github.com/omnistat/omnistat/query/querytest"
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
		f.insert(t, rows)
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

// A step's page and event are bounded in characters, as the errors say, so a name in
// a script that takes two bytes a character has its whole length.
func TestFunnelStepLimitsCountCharacters(t *testing.T) {
	f, _ := load(t, "UTC", querytest.Options{Days: 1, End: funnelDay, Visitors: 1, Seed: 1})
	run := func(steps ...query.FunnelStep) error {
		_, err := f.engine.Funnel(context.Background(), f.site, query.FunnelRequest{DateRange: json.RawMessage(`"day"`), Steps: steps})
		return err
	}
	page, event := "/"+strings.Repeat("é", 511), strings.Repeat("é", 120)
	if err := run(query.FunnelStep{Pageview: page}, query.FunnelStep{Event: event}); err != nil {
		t.Fatalf("a 512-character page and a 120-character event: %v", err)
	}
	for _, tc := range []struct {
		step query.FunnelStep
		want string
	}{
		{query.FunnelStep{Pageview: page + "é"}, "steps[1].pageview is longer than 512 characters"},
		{query.FunnelStep{Event: event + "é"}, "steps[1].event is longer than 120 characters"},
	} {
		if err := run(query.FunnelStep{Pageview: "/"}, tc.step); err == nil || err.Error() != tc.want {
			t.Errorf("%+v: %v; want %q", tc.step, err, tc.want)
		}
	}
}

// A breakdown never changes the overall funnel: with more dimension values than the
// breakdown lists, the steps still count every visitor.
func TestFunnelBreakdownKeepsTotals(t *testing.T) {
	var events []funnelEvent
	v := uint64(0)
	// 26 sources: the first 20 with two visitors each, the last 6 with one. Every
	// visitor views /, every other one signs up a minute later.
	for s := 0; s < 26; s++ {
		n := 1
		if s < 20 {
			n = 2
		}
		for range n {
			v++
			src := "source-" + string(rune('a'+s))
			events = append(events, funnelEvent{v: v, name: "pageview", path: "/", source: src})
			if v%2 == 0 {
				events = append(events, funnelEvent{v: v, name: "signup", path: "/", at: time.Minute, source: src})
			}
		}
	}
	funnel := funnelFixture(t, events)
	steps := []query.FunnelStep{{Pageview: "/"}, {Event: "signup"}}
	whole := funnel(query.FunnelRequest{Steps: steps, Window: "1h"})
	split := funnel(query.FunnelRequest{Steps: steps, Window: "1h", Dimensions: []string{"source"}})
	if whole.Steps[0].Visitors != 46 || whole.Steps[1].Visitors != 23 {
		t.Fatalf("without breakdown: %d then %d visitors; want 46 then 23", whole.Steps[0].Visitors, whole.Steps[1].Visitors)
	}
	for i := range whole.Steps {
		if split.Steps[i] != whole.Steps[i] {
			t.Errorf("step %d with a breakdown by source: %+v; without: %+v", i+1, split.Steps[i], whole.Steps[i])
		}
	}
	if len(split.Breakdown) != 20 {
		t.Fatalf("%d breakdown rows; want the top 20", len(split.Breakdown))
	}
	for _, b := range split.Breakdown {
		if b.Steps[0].Visitors != 2 {
			t.Errorf("breakdown %v has %d visitors at step 1; want only sources with 2 (the top 20)", b.Dimensions, b.Steps[0].Visitors)
		}
	}
}

// visitors reads the funnel's step counts and medians as "3 2 | 0 60", for a failure
// message that shows the whole funnel.
func visitors(res *query.FunnelResponse) string {
	var n, m []string
	for _, s := range res.Steps {
		n = append(n, fmt.Sprint(s.Visitors))
		m = append(m, fmt.Sprint(s.MedianSeconds))
	}
	return strings.Join(n, " ") + " | " + strings.Join(m, " ")
}

// One event is one step: a step repeated, or two steps one event matches, need two
// events, the later one after the earlier in strict order.
func TestFunnelOneEventIsOneStep(t *testing.T) {
	funnel := funnelFixture(t, []funnelEvent{
		// 1 views /pricing once; 2 views it twice, 5 minutes apart; 3 views
		// /pricing/team, then /pricing a minute later.
		{v: 1, name: "pageview", path: "/pricing"},
		{v: 2, name: "pageview", path: "/pricing"},
		{v: 2, name: "pageview", path: "/pricing", at: 5 * time.Minute},
		{v: 3, name: "pageview", path: "/pricing/team"},
		{v: 3, name: "pageview", path: "/pricing", at: time.Minute},
		// 4 views /checkout and buys in the same millisecond: two events, two steps.
		{v: 4, name: "pageview", path: "/checkout"},
		{v: 4, name: "buy", path: "/checkout"},
		// 5 signs up and views /welcome in the same millisecond.
		{v: 5, name: "signup", path: "/welcome"},
		{v: 5, name: "pageview", path: "/welcome"},
	})
	// A step added after the others never takes visitors from them: the pageview of
	// /welcome is step 1 and step 3, and still comes before the sign-up of its
	// millisecond, as step 1.
	welcome := funnel(query.FunnelRequest{Steps: []query.FunnelStep{{Event: "pageview"}, {Event: "signup"}, {Pageview: "/welcome"}}, Window: "1h"})
	if got := welcome.Steps[1].Visitors; got != 1 {
		t.Errorf("pageview, signup, /welcome: %d visitors at signup; want 1 (visitor 5)", got)
	}
	for _, fast := range []bool{true, false} {
		*query.FastFunnel = fast
		for _, order := range []string{"strict", "any"} {
			same := funnel(query.FunnelRequest{Steps: []query.FunnelStep{{Pageview: "/checkout"}, {Event: "buy"}}, Window: "1h", Order: order})
			if got := visitors(same); got != "1 1 | 0 0" {
				t.Errorf("%s (shortcut %v) /checkout then buy in one millisecond: %s; want 1 1 | 0 0", order, fast, got)
			}
		}
	}
	*query.FastFunnel = true
	for _, order := range []string{"strict", "any"} {
		twice := funnel(query.FunnelRequest{Steps: []query.FunnelStep{{Pageview: "/pricing"}, {Pageview: "/pricing"}}, Window: "1h", Order: order})
		if got := visitors(twice); got != "3 1 | 0 300" {
			t.Errorf("%s /pricing twice: %s; want 3 1 | 0 300 (only visitor 2 viewed it twice)", order, got)
		}
		overlap := funnel(query.FunnelRequest{Steps: []query.FunnelStep{{Pageview: "/pricing*"}, {Pageview: "/pricing"}, {Pageview: "/pricing*"}}, Window: "1h", Order: order})
		if got := visitors(overlap); got != "3 2 0 | 0 180 0" {
			t.Errorf("%s /pricing* /pricing /pricing*: %s; want 3 2 0 | 0 180 0 (visitors 2 and 3 did two steps, none three)", order, got)
		}
	}
}

// A visitor who did step 1 more than once may complete the funnel from any of those
// step-1 events, in either order, and the median counts from the one the visitor
// completed it from: "any" order is never stricter than "strict".
func TestFunnelStartsAtAnyStepOne(t *testing.T) {
	funnel := funnelFixture(t, []funnelEvent{
		// 1 views / at 0 and at 200 min, then /pricing at 210 min, and signs up at 215 min.
		{v: 1, name: "pageview", path: "/"},
		{v: 1, name: "pageview", path: "/", at: 200 * time.Minute},
		{v: 1, name: "pageview", path: "/pricing", at: 210 * time.Minute},
		{v: 1, name: "signup", path: "/pricing", at: 215 * time.Minute},
		// 2 views / at 0, signs up at 1 min, views /pricing at 2 min: in any order only.
		{v: 2, name: "pageview", path: "/"},
		{v: 2, name: "signup", path: "/", at: time.Minute},
		{v: 2, name: "pageview", path: "/pricing", at: 2 * time.Minute},
	})
	steps := []query.FunnelStep{{Pageview: "/"}, {Pageview: "/pricing"}, {Event: "signup"}}
	strict := funnel(query.FunnelRequest{Steps: steps, Window: "1h", Order: "strict"})
	if got := visitors(strict); got != "2 2 1 | 0 360 900" {
		t.Errorf("strict: %s; want 2 2 1 | 0 360 900", got)
	}
	anyOrder := funnel(query.FunnelRequest{Steps: steps, Window: "1h", Order: "any"})
	if got := visitors(anyOrder); got != "2 2 2 | 0 360 480" {
		t.Errorf("any: %s; want 2 2 2 | 0 360 480", got)
	}
}

// windowFunnel's shortcut, taken when no event can be two steps, gives the same answer
// as the chain it stands in for, on the generator's month of traffic.
func TestFunnelShortcutAgreesWithChain(t *testing.T) {
	end := time.Date(2026, 10, 31, 20, 0, 0, 0, time.UTC)
	f, _ := load(t, "UTC", querytest.Options{Days: 30, End: end, Visitors: 400, Seed: 7})
	ctx := context.Background()
	dr := json.RawMessage(`["2026-10-05","2026-10-31"]`)
	funnels := [][]query.FunnelStep{
		{{Pageview: "/"}, {Pageview: "/pricing"}, {Event: "signup"}},
		{{Pageview: "/pricing*"}, {Event: "signup"}},
		{{Pageview: "/blog/*"}, {Pageview: "/"}, {Pageview: "/pricing"}},
	}
	past2 := 0
	for _, steps := range funnels {
		for _, dims := range [][]string{nil, {"channel"}} {
			for _, window := range []string{"10m", "1d"} {
				req := query.FunnelRequest{DateRange: dr, Steps: steps, Window: window, Order: "strict", Dimensions: dims}
				fast, err := f.engine.Funnel(ctx, f.site, req)
				if err != nil {
					t.Fatal(err)
				}
				*query.FastFunnel = false
				chain, err := f.engine.Funnel(ctx, f.site, req)
				*query.FastFunnel = true
				if err != nil {
					t.Fatal(err)
				}
				a, _ := json.Marshal(fast)
				b, _ := json.Marshal(chain)
				if string(a) != string(b) {
					t.Errorf("%v %s %v:\nshortcut %s\n   chain %s", steps, window, dims, a, b)
				}
				past2 += int(chain.Steps[1].Visitors)
			}
		}
	}
	if past2 < 50 {
		t.Fatalf("only %d visitors past step 1 in all: the check would prove little", past2)
	}
}
