package query_test

import (
	"context"
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
)

// journeyFixture stores a small cast whose journeys are known by heart:
//   - Ann (user "ann") came from search and from a newsletter on two days, as two
//     cookieless visitors who logged in, then bought in the shop (a server-side
//     event, channel Store): Organic Search → Email → Store.
//   - Bob came direct, left, came back 40 minutes later from an ad and bought.
//   - Cid (consent mode, one id) came direct twice and bought on the second visit.
//   - Dee came from a newsletter 40 days ago, then from a referral and bought:
//     the newsletter is outside a 30-day lookback.
//   - Eve bought twice, first from a social visit: she counts once, for the first.
//   - Fay signed up (another goal) and bought nothing; Gus bought before the range.
func journeyFixture(t *testing.T) (*fixture, context.Context) {
	t.Helper()
	f, _ := load(t, "UTC", querytest.Options{Days: 1, End: time.Now().UTC().Add(-72 * time.Hour), Visitors: 1, Seed: 1})
	ctx := context.Background()
	for _, g := range []catalog.Goal{{Event: "order_placed"}, {Event: "signup"}} {
		if _, err := f.cat.AddGoal(ctx, f.site.ID, g); err != nil {
			t.Fatal(err)
		}
	}
	today := time.Now().UTC().Truncate(24 * time.Hour)
	at := func(daysAgo int, clock time.Duration) time.Time { return today.AddDate(0, 0, -daysAgo).Add(clock) }
	var rows [][]any
	session := uint64(5000)
	visit := func(visitor uint64, user, channel string, start time.Time, names ...string) {
		session++
		for i, name := range names {
			e := collector.Event{SiteID: f.site.ID, TS: start.Add(time.Duration(i) * time.Minute), Name: name,
				VisitorID: visitor, SessionID: session, Path: "/", Channel: channel}
			if name == "login" || name == "order_placed" {
				e.UserID = user
			}
			rows = append(rows, e.Row())
		}
	}
	visit(1, "ann", "Organic Search", at(5, 9*time.Hour), "pageview", "login", "pageview")
	visit(2, "ann", "Email", at(3, 9*time.Hour), "pageview", "login")
	visit(3, "ann", "Store", at(1, 15*time.Hour), "order_placed")
	visit(10, "", "Direct", at(2, 10*time.Hour), "pageview")
	visit(10, "", "Paid Search", at(2, 11*time.Hour), "pageview", "order_placed")
	visit(20, "", "Direct", at(2, 8*time.Hour), "pageview")
	visit(20, "", "Direct", at(1, 8*time.Hour), "pageview", "order_placed")
	visit(30, "", "Email", at(40, 8*time.Hour), "pageview")
	visit(30, "", "Referral", at(2, 8*time.Hour), "pageview", "order_placed")
	visit(40, "", "Organic Social", at(4, 8*time.Hour), "pageview", "order_placed")
	visit(40, "", "Email", at(2, 8*time.Hour), "pageview", "order_placed")
	visit(50, "", "Direct", at(2, 8*time.Hour), "pageview", "signup")
	visit(60, "", "Email", at(10, 8*time.Hour), "pageview", "order_placed")
	f.insert(t, rows)
	return f, ctx
}

func TestJourneys(t *testing.T) {
	f, ctx := journeyFixture(t)
	journeys := func(req query.JourneyRequest) string {
		t.Helper()
		res, err := f.engine.Journeys(ctx, f.site, req)
		if err != nil {
			t.Fatal(err)
		}
		var out []string
		for _, j := range res.Journeys {
			out = append(out, fmt.Sprintf("%s=%d(%.0f%%)", strings.Join(j.Path, ">"), j.Conversions, j.Share))
		}
		return fmt.Sprintf("%d: %s", res.Conversions, strings.Join(out, " "))
	}
	got := journeys(query.JourneyRequest{DateRange: "7d", Goal: "order_placed"})
	want := "5: Direct=1(20%) Direct>Paid Search=1(20%) Organic Search>Email>Store=1(20%) Organic Social=1(20%) Referral=1(20%)"
	if got != want {
		t.Fatalf("journeys to order_placed:\n got %s\nwant %s", got, want)
	}
	// A longer lookback reaches Dee's newsletter of 40 days ago.
	got = journeys(query.JourneyRequest{DateRange: "7d", Goal: "order_placed", Lookback: "60d"})
	if !strings.Contains(got, "Email>Referral=1") {
		t.Fatalf("60-day lookback: %s; want Dee's Email>Referral", got)
	}
	// Any goal: Fay's sign-up counts too.
	if got = journeys(query.JourneyRequest{DateRange: "7d", Limit: "2"}); !strings.HasPrefix(got, "6: Direct=2(33%) ") {
		t.Fatalf("any goal, limit 2: %s; want 6 conversions, Direct twice first", got)
	}
}

func TestAttributionModels(t *testing.T) {
	f, ctx := journeyFixture(t)
	credit := func(model string) string {
		t.Helper()
		res, err := f.engine.Attribution(ctx, f.site, query.JourneyRequest{DateRange: "7d", Goal: "order_placed", Model: model})
		if err != nil {
			t.Fatal(err)
		}
		if res.Conversions != 5 {
			t.Fatalf("%s: %d conversions; want 5", model, res.Conversions)
		}
		var out []string
		for _, c := range res.Channels {
			out = append(out, fmt.Sprintf("%s=%.2f", c.Channel, c.Conversions))
		}
		sort.Strings(out)
		return strings.Join(out, " ")
	}
	for model, want := range map[string]string{
		"":                "Direct=1.00 Organic Social=1.00 Paid Search=1.00 Referral=1.00 Store=1.00",
		"last":            "Direct=1.00 Organic Social=1.00 Paid Search=1.00 Referral=1.00 Store=1.00",
		"first":           "Direct=2.00 Organic Search=1.00 Organic Social=1.00 Referral=1.00",
		"linear":          "Direct=1.50 Email=0.33 Organic Search=0.33 Organic Social=1.00 Paid Search=0.50 Referral=1.00 Store=0.33",
		"last_non_direct": "Direct=1.00 Organic Social=1.00 Paid Search=1.00 Referral=1.00 Store=1.00",
		"position_based":  "Direct=1.50 Email=0.20 Organic Search=0.40 Organic Social=1.00 Paid Search=0.50 Referral=1.00 Store=0.40",
	} {
		if got := credit(model); got != want {
			t.Errorf("model %q:\n got %s\nwant %s", model, got, want)
		}
	}
	// Time decay, by GA4's rule (half the credit 7 days earlier), worked out here.
	decay := func(daysBefore ...float64) []float64 {
		var ws []float64
		sum := 0.0
		for _, d := range daysBefore {
			w := math.Pow(2, -d/7)
			ws, sum = append(ws, w), sum+w
		}
		for i := range ws {
			ws[i] /= sum
		}
		return ws
	}
	ann := decay(4+6.0/24, 2+6.0/24, 0) // search and newsletter visits 4 and 2 days (and 6 h) before the 15:00 purchase
	bob := decay(1.0/24+1.0/1440, 1.0/1440)
	want := map[string]float64{"Organic Search": ann[0], "Email": ann[1], "Store": ann[2], "Direct": bob[0] + 1,
		"Paid Search": bob[1], "Referral": 1, "Organic Social": 1}
	res, err := f.engine.Attribution(ctx, f.site, query.JourneyRequest{DateRange: "7d", Goal: "order_placed", Model: "time_decay"})
	if err != nil {
		t.Fatal(err)
	}
	for _, c := range res.Channels {
		if math.Abs(c.Conversions-want[c.Channel]) > 0.006 {
			t.Errorf("time decay %s = %.4f; want %.4f", c.Channel, c.Conversions, want[c.Channel])
		}
		delete(want, c.Channel)
	}
	if len(want) > 0 {
		t.Errorf("time decay left out %v", want)
	}
}

// limit keeps the channels with the most credit, as it keeps the most frequent
// journeys; the conversions and each share are still of every conversion.
func TestAttributionLimit(t *testing.T) {
	f, ctx := journeyFixture(t)
	res, err := f.engine.Attribution(ctx, f.site, query.JourneyRequest{DateRange: "7d", Goal: "order_placed", Model: "linear", Limit: "2"})
	if err != nil {
		t.Fatal(err)
	}
	var out []string
	for _, c := range res.Channels {
		out = append(out, fmt.Sprintf("%s=%.2f(%.0f%%)", c.Channel, c.Conversions, c.Share))
	}
	if got, want := fmt.Sprintf("%d: %s", res.Conversions, strings.Join(out, " ")), "5: Direct=1.50(30%) Organic Social=1.00(20%)"; got != want {
		t.Fatalf("linear, limit 2:\n got %s\nwant %s", got, want)
	}
	res, err = f.engine.Attribution(ctx, f.site, query.JourneyRequest{DateRange: "7d", Goal: "order_placed", Model: "linear"})
	if err != nil || len(res.Channels) != 7 {
		t.Fatalf("linear without a limit: %+v, %v; want all 7 channels", res, err)
	}
}

// Every bad parameter is a 400 naming it; a site without goals has no journeys.
func TestJourneyRequestsRejected(t *testing.T) {
	f, ctx := journeyFixture(t)
	for _, tc := range []struct {
		req  query.JourneyRequest
		want string
	}{
		{query.JourneyRequest{Model: "data_driven"}, `model "data_driven"`},
		{query.JourneyRequest{Lookback: "0d"}, `lookback "0d"`},
		{query.JourneyRequest{Lookback: "91d"}, `lookback "91d"`},
		{query.JourneyRequest{Lookback: "month"}, `lookback "month"`},
		{query.JourneyRequest{Limit: "0"}, `limit "0"`},
		{query.JourneyRequest{Limit: "101"}, `limit "101"`},
		{query.JourneyRequest{Goal: "refund"}, `goal "refund"`},
		{query.JourneyRequest{DateRange: "yesterday"}, `date_range "yesterday"`},
		{query.JourneyRequest{DateRange: "2026-11-01"}, "two dates read 2026-10-01,2026-10-31"},
		{query.JourneyRequest{DateRange: "2026-01-05,2026-01-01"}, "ends"},
	} {
		_, err := f.engine.Attribution(ctx, f.site, tc.req)
		var br *query.BadRequest
		if err == nil || !asBad(err, &br) || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("%+v: %v; want a BadRequest containing %q", tc.req, err, tc.want)
		}
	}
	other, err := f.cat.AddSite(ctx, "nogoals.example", "UTC")
	if err != nil {
		t.Fatal(err)
	}
	res, err := f.engine.Journeys(ctx, other, query.JourneyRequest{})
	if err != nil || res.Conversions != 0 || len(res.Journeys) != 0 {
		t.Fatalf("site without goals: %+v, %v", res, err)
	}
}

// The generator's month of traffic, with some visitors logged in (several visitors per
// user id), against journeys and credits worked out here from the events alone.
func TestAttributionAgainstGo(t *testing.T) {
	end := time.Date(2026, 10, 31, 20, 0, 0, 0, time.UTC)
	f, _ := load(t, "UTC", querytest.Options{Days: 1, End: end.AddDate(0, -6, 0), Visitors: 1, Seed: 1})
	ctx := context.Background()
	if _, err := f.cat.AddGoal(ctx, f.site.ID, catalog.Goal{Event: "signup"}); err != nil {
		t.Fatal(err)
	}
	events := querytest.Generate(querytest.Options{SiteID: f.site.ID, Days: 30, End: end, Visitors: 600, Seed: 11})
	rows := make([][]any, len(events))
	for i := range events {
		if events[i].VisitorID%5 == 0 && events[i].Name != "pageview" {
			events[i].UserID = fmt.Sprintf("user-%d", events[i].VisitorID%40)
		}
		rows[i] = events[i].Row()
	}
	f.insert(t, rows)
	from, to, lookback := time.Date(2026, 10, 12, 0, 0, 0, 0, time.UTC), time.Date(2026, 11, 1, 0, 0, 0, 0, time.UTC), 7*24*time.Hour
	paths := expectedPaths(events, from, to, lookback, "signup")
	multi := 0
	for _, p := range paths {
		if len(p.channels) > 1 {
			multi++
		}
	}
	if len(paths) < 50 || multi < 10 {
		t.Fatalf("%d converting persons, %d with more than one touchpoint: too few for the check to prove much", len(paths), multi)
	}
	req := query.JourneyRequest{DateRange: "2026-10-12,2026-10-31", Goal: "signup", Lookback: "7d", Limit: "100"}
	for _, model := range []string{"first", "last", "linear", "last_non_direct", "position_based", "time_decay"} {
		req.Model = model
		res, err := f.engine.Attribution(ctx, f.site, req)
		if err != nil {
			t.Fatal(err)
		}
		want := map[string]float64{}
		for _, p := range paths {
			for i, w := range modelWeights(model, p) {
				want[p.channels[i]] += w
			}
		}
		if res.Conversions != int64(len(paths)) {
			t.Errorf("%s: %d conversions; want %d", model, res.Conversions, len(paths))
		}
		for _, c := range res.Channels {
			if math.Abs(c.Conversions-want[c.Channel]) > 0.006 {
				t.Errorf("%s: %s credited %.2f; want %.4f", model, c.Channel, c.Conversions, want[c.Channel])
			}
			delete(want, c.Channel)
		}
		for ch, w := range want {
			if w > 0.005 {
				t.Errorf("%s: %s missing (want %.2f)", model, ch, w)
			}
		}
	}
	counts := map[string]int64{}
	for _, p := range paths {
		var collapsed []string
		for i, c := range p.channels {
			if i == 0 || c != p.channels[i-1] {
				collapsed = append(collapsed, c)
			}
		}
		counts[strings.Join(collapsed, ">")]++
	}
	res, err := f.engine.Journeys(ctx, f.site, req)
	if err != nil {
		t.Fatal(err)
	}
	if res.Conversions != int64(len(paths)) || len(res.Journeys) == 0 {
		t.Fatalf("journeys: %d conversions in %d paths; want %d", res.Conversions, len(res.Journeys), len(paths))
	}
	for _, j := range res.Journeys {
		if key := strings.Join(j.Path, ">"); j.Conversions != counts[key] {
			t.Errorf("journey %s: %d; want %d", key, j.Conversions, counts[key])
		}
	}
}

type convPath struct {
	channels []string
	before   []time.Duration // each touchpoint's start before the conversion
}

// expectedPaths follows docs/METRICS.md "Journeys and attribution" step by step.
func expectedPaths(events []collector.Event, from, to time.Time, lookback time.Duration, goal string) []convPath {
	type visit struct {
		visitor    uint64
		user, ch   string
		t0, t1, ct time.Time
	}
	visits := map[uint64]*visit{}
	for _, e := range events {
		if e.TS.Before(from.Add(-lookback)) || !e.TS.Before(to) {
			continue
		}
		v := visits[e.SessionID]
		if v == nil {
			v = &visit{visitor: e.VisitorID, t0: e.TS, t1: e.TS, ch: e.Channel}
			visits[e.SessionID] = v
		}
		if e.TS.Before(v.t0) {
			v.t0, v.ch = e.TS, e.Channel
		}
		if e.TS.After(v.t1) {
			v.t1 = e.TS
		}
		if e.UserID > v.user {
			v.user = e.UserID
		}
		if e.Name == goal && !e.TS.Before(from) && (v.ct.IsZero() || e.TS.Before(v.ct)) {
			v.ct = e.TS
		}
	}
	userOf := map[uint64]string{}
	for _, v := range visits {
		if v.user > userOf[v.visitor] {
			userOf[v.visitor] = v.user
		}
	}
	byPerson := map[string][]*visit{}
	for _, v := range visits {
		person := "v:" + fmt.Sprint(v.visitor)
		if u := userOf[v.visitor]; u != "" {
			person = "u:" + u
		}
		byPerson[person] = append(byPerson[person], v)
	}
	var out []convPath
	for _, vs := range byPerson {
		var ct time.Time
		for _, v := range vs {
			if !v.ct.IsZero() && (ct.IsZero() || v.ct.Before(ct)) {
				ct = v.ct
			}
		}
		if ct.IsZero() {
			continue
		}
		sort.Slice(vs, func(i, j int) bool { return vs[i].t0.Before(vs[j].t0) })
		var p convPath
		for _, v := range vs {
			if !v.t0.After(ct) && !v.t1.Before(ct.Add(-lookback)) {
				p.channels = append(p.channels, v.ch)
				p.before = append(p.before, ct.Sub(v.t0))
			}
		}
		out = append(out, p)
	}
	return out
}

// modelWeights are the credits of a path's touchpoints under a model.
func modelWeights(model string, p convPath) []float64 {
	n := len(p.channels)
	w := make([]float64, n)
	switch model {
	case "first":
		w[0] = 1
	case "last":
		w[n-1] = 1
	case "linear":
		for i := range w {
			w[i] = 1 / float64(n)
		}
	case "last_non_direct":
		k := n - 1
		for i := n - 1; i >= 0; i-- {
			if p.channels[i] != "Direct" {
				k = i
				break
			}
		}
		w[k] = 1
	case "position_based":
		for i := range w {
			switch {
			case n == 1:
				w[i] = 1
			case n == 2:
				w[i] = 0.5
			case i == 0 || i == n-1:
				w[i] = 0.4
			default:
				w[i] = 0.2 / float64(n-2)
			}
		}
	case "time_decay":
		sum := 0.0
		for i, d := range p.before {
			w[i] = math.Pow(2, -d.Seconds()/(7*86400))
			sum += w[i]
		}
		for i := range w {
			w[i] /= sum
		}
	}
	return w
}

// A user id shared by thousands of visitors (a site that sends "guest" for everyone
// not logged in) makes one person with a path of thousands of touchpoints. Journeys
// and every model still answer: their lambdas copy no path per touchpoint, which for
// two such persons of 20,000 visits asked for 24 GiB and failed.
func TestJourneysOfAPersonWithThousandsOfVisits(t *testing.T) {
	f, _ := load(t, "UTC", querytest.Options{Days: 1, End: time.Now().UTC().Add(-72 * time.Hour), Visitors: 1, Seed: 1})
	ctx := context.Background()
	if _, err := f.cat.AddGoal(ctx, f.site.ID, catalog.Goal{Event: "buy"}); err != nil {
		t.Fatal(err)
	}
	start := time.Now().UTC().Add(-20 * 24 * time.Hour)
	channels := []string{"Direct", "Email", "Organic Search"}
	var rows [][]any
	for p := uint64(0); p < 2; p++ {
		user := fmt.Sprint("guest-", p)
		for i := uint64(0); i < 20000; i++ {
			e := collector.Event{SiteID: f.site.ID, TS: start.Add(time.Duration(i) * time.Minute), Name: "pageview", VisitorID: 100000*p + i + 1,
				SessionID: 100000*p + i + 1, UserID: user, Path: "/", Channel: channels[(i/3)%3]}
			rows = append(rows, e.Row())
		}
		e := collector.Event{SiteID: f.site.ID, TS: start.Add(20001 * time.Minute), Name: "buy", VisitorID: 100000*p + 1, SessionID: 900000 + p, UserID: user, Channel: "Store"}
		rows = append(rows, e.Row())
	}
	f.insert(t, rows)
	req := query.JourneyRequest{DateRange: "30d", Lookback: "90d"}
	res, err := f.engine.Journeys(ctx, f.site, req)
	if err != nil {
		t.Fatal(err)
	}
	// 20,000 visits in runs of three of a channel, then the shop: 6,667 steps + Store.
	if res.Conversions != 2 || len(res.Journeys) != 1 || len(res.Journeys[0].Path) != 6668 {
		t.Fatalf("journeys: %d conversions, %d paths; want 2 conversions on one path of 6,668 steps", res.Conversions, len(res.Journeys))
	}
	for model := range query.AttributionModels {
		req.Model = model
		res, err := f.engine.Attribution(ctx, f.site, req)
		if err != nil || res.Conversions != 2 {
			t.Fatalf("%s: %+v, %v; want 2 conversions credited", model, res, err)
		}
	}
}
