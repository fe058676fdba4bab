package query_test

import (
	"context"
	"encoding/json"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/omnistat/omnistat/catalog"
	"github.com/omnistat/omnistat/collector"
	"github.com/omnistat/omnistat/query"
	"github.com/omnistat/omnistat/query/querytest"
)

// Every kind of bad request is refused with a sentence naming what is wrong; no engine
// is needed to say so.
func TestPlanRejectsBadRequests(t *testing.T) {
	site := catalog.Site{ID: 1, Domain: "s.example", Timezone: "UTC"}
	goals := []catalog.Goal{{ID: 1, Name: "signup", Event: "signup"}}
	now := time.Date(2026, 6, 1, 12, 0, 0, 0, time.UTC)
	cases := []struct {
		name, body, want string
	}{
		{"no metrics", `{}`, "metrics is required"},
		{"unknown metric", `{"metrics":["visitors","sessions"]}`, `metric "sessions" is not supported`},
		{"metric twice", `{"metrics":["visitors","visitors"]}`, `metric "visitors" is named twice`},
		{"unknown dimension", `{"metrics":["visitors"],"dimensions":["planet"]}`, `dimension "planet" is not supported`},
		{"bad time unit", `{"metrics":["visitors"],"dimensions":["time:minute"]}`, `dimension "time:minute"`},
		{"two time dimensions", `{"metrics":["visitors"],"dimensions":["time:day","time:hour"]}`, "only one time"},
		{"too many dimensions", `{"metrics":["visitors"],"dimensions":["channel","device","os","country"]}`, "at most 3"},
		{"control character in prop key", `{"metrics":["visitors"],"dimensions":["prop:\u0001"]}`, "a prop key cannot hold control characters"},
		{"long prop key", `{"metrics":["visitors"],"dimensions":["prop:` + strings.Repeat("é", 65) + `"]}`, "a prop key is 1 to 64 characters"},
		{"empty prop key", `{"metrics":["visitors"],"dimensions":["prop:"]}`, "prop key"},
		{"bad range name", `{"metrics":["visitors"],"date_range":"yesterday"}`, `date_range "yesterday"`},
		{"bad date", `{"metrics":["visitors"],"date_range":["2026-02-30","2026-03-01"]}`, "date_range[0]"},
		{"date before 1970", `{"metrics":["visitors"],"dimensions":["time:hour"],"date_range":["1969-12-31","1970-01-05"]}`, "date_range[0] \"1969-12-31\" is outside"},
		{"date after 2105", `{"metrics":["visitors"],"date_range":["2105-12-01","2106-01-01"]}`, "date_range[1] \"2106-01-01\" is outside"},
		{"reversed range", `{"metrics":["visitors"],"date_range":["2026-03-02","2026-03-01"]}`, "ends"},
		{"range not a list", `{"metrics":["visitors"],"date_range":{"from":"x"}}`, "date_range must be"},
		{"filters not a list", `{"metrics":["visitors"],"filters":{"device":"Mobile"}}`, "filters must be a list"},
		{"filter arity", `{"metrics":["visitors"],"filters":[["is","device"]]}`, "filters[0] must be"},
		{"unknown operator", `{"metrics":["visitors"],"filters":[["equals","device",["Mobile"]]]}`, `operator "equals" is not supported`},
		{"unknown filter dimension", `{"metrics":["visitors"],"filters":[["is","planet",["Mars"]]]}`, `filters[0]: dimension "planet"`},
		{"time filter", `{"metrics":["visitors"],"filters":[["is","time:day",["2026-01-01"]]]}`, "filter time with date_range"},
		{"no values", `{"metrics":["visitors"],"filters":[["is","device",[]]]}`, "give 1 to 100 values"},
		{"values not strings", `{"metrics":["visitors"],"filters":[["is","device",[1]]]}`, "values must be a list of strings"},
		{"bad regex", `{"metrics":["visitors"],"filters":[["matches","page",["(unclosed"]]]}`, "not a valid RE2"},
		{"long value", `{"metrics":["visitors"],"filters":[["is","page",["` + strings.Repeat("a", 1001) + `"]]]}`, "longer than 1000"},
		{"goal other op", `{"metrics":["visitors"],"filters":[["contains","goal",["sign"]]]}`, "goal takes only the is operator"},
		{"unknown goal", `{"metrics":["visitors"],"filters":[["is","goal",["purchase"]]]}`, `no goal named "purchase"`},
		{"order by other", `{"metrics":["visitors"],"order_by":[["pageviews","desc"]]}`, `"pageviews" is not one of the requested`},
		{"order direction", `{"metrics":["visitors"],"order_by":[["visitors","down"]]}`, `must be [name, "asc" or "desc"]`},
		{"limit too big", `{"metrics":["visitors"],"limit":10001}`, "limit 10001 must be between 1 and 10000; 0 or no limit gives the default"},
		{"negative limit", `{"metrics":["visitors"],"limit":-1}`, "limit -1 must be between 1 and 10000; 0 or no limit gives the default"},
		{"page beyond any data", `{"metrics":["visitors"],"dimensions":["page"],"limit":8192,"page":2251799813685249}`, "page 2251799813685249 with limit 8192 skips more than"},
		{"time series page without limit", `{"metrics":["visitors"],"dimensions":["time:day"],"page":2}`, "page 2 of a time series needs a limit"},
		{"negative page", `{"metrics":["visitors"],"page":-1}`, "page -1"},
		{"bad compare", `{"metrics":["visitors"],"compare":"last_year"}`, `compare "last_year"`},
		{"bad format", `{"metrics":["visitors"],"format":"xml"}`, `format "xml"`},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			var req query.Request
			if err := json.Unmarshal([]byte(tc.body), &req); err != nil {
				t.Fatal(err)
			}
			_, err := query.Plan(site, goals, req, now)
			var br *query.BadRequest
			if err == nil || !asBad(err, &br) || !strings.Contains(err.Error(), tc.want) {
				t.Fatalf("Plan = %v; want a BadRequest containing %q", err, tc.want)
			}
		})
	}
}

// A filter value is bounded in characters, as the error says: 1000 characters that
// take two bytes each are one value the plan takes.
func TestFilterValueLimitCountsCharacters(t *testing.T) {
	site := catalog.Site{ID: 1, Domain: "s.example", Timezone: "UTC"}
	req := query.Request{Metrics: []string{"visitors"}, Filters: json.RawMessage(`[["is","page",["/` + strings.Repeat("é", 999) + `"]]]`)}
	if _, err := query.Plan(site, nil, req, time.Date(2026, 6, 1, 12, 0, 0, 0, time.UTC)); err != nil {
		t.Fatalf("a 1000-character filter value: %v", err)
	}
}

func asBad(err error, br **query.BadRequest) bool {
	b, ok := err.(*query.BadRequest)
	*br = b
	return ok
}

// Hostile strings in every filter are data: they match nothing (or exactly what they
// say) and never change the query.
func TestHostileFilterValues(t *testing.T) {
	end := time.Now().UTC().Add(-time.Hour)
	f, _ := load(t, "UTC", querytest.Options{Days: 5, End: end, Visitors: 60, Seed: 11})
	ctx := context.Background()
	// One event whose every field is hostile, to be found by equality.
	h := `'); DROP TABLE events; -- {p0:String} \' \\ ` + "\n\t" + `<script>✓`
	hk := `k'); DROP {p0:String} \ ✓` // prop keys cannot hold control characters
	e := collector.Event{SiteID: f.site.ID, TS: end.Add(-time.Minute), Name: h, VisitorID: 1, SessionID: 1, Path: h, Channel: h,
		Source: h, Medium: h, Campaign: h, Term: h, UTMContent: h, ReferrerDomain: h, Device: h, Browser: h, BrowserVersion: h,
		OS: h, OSVersion: h, Country: h, Region: h, City: h, Language: h, ContentName: h, ContentPiece: h, Props: map[string]string{hk: h}}
	f.insert(t, [][]any{e.Row()})
	dims := []string{"channel", "source", "medium", "campaign", "term", "utm_content", "referrer", "device", "browser", "browser_version",
		"os", "os_version", "country", "region", "city", "language", "page", "event", "content_name", "content_piece", "prop:" + hk}
	hostile := []string{h, "'", `\`, "%", "_", ".*", "(?i)", "\x00", "{x:String}", "' OR 1=1 --"}
	for _, dim := range dims {
		for _, op := range []string{"is", "is_not", "contains", "not_contains", "matches"} {
			values := hostile
			if op == "matches" {
				values = []string{`^` + regexpQuote(h) + `$`, `\(\)`, `[']`}
			}
			fb, _ := json.Marshal([][]any{{op, dim, values}})
			res, err := f.engine.Query(ctx, f.site, query.Request{DateRange: json.RawMessage(`"7d"`), Metrics: []string{"events", "pageviews"}, Filters: fb})
			if err != nil {
				t.Fatalf("%s %s: %v", op, dim, err)
			}
			n := res.Totals["events"]
			switch op {
			case "is", "contains", "matches":
				if n != 1 {
					t.Errorf("%s %s: %v events; want the 1 hostile event", op, dim, n)
				}
			}
		}
	}
	// The table is still there.
	if _, err := f.st.Query(ctx, "SELECT count() FROM events", nil); err != nil {
		t.Fatal(err)
	}
}

func regexpQuote(s string) string {
	var b strings.Builder
	for _, r := range s {
		if strings.ContainsRune(`\.+*?()|[]{}^$`, r) {
			b.WriteByte('\\')
		}
		b.WriteRune(r)
	}
	return b.String()
}

// Funnels: strict order within the window, any order, breakdown by channel.
func TestFunnel(t *testing.T) {
	f, _ := load(t, "UTC", querytest.Options{Days: 1, End: time.Now().UTC().Add(-2 * time.Hour), Visitors: 1, Seed: 1})
	ctx := context.Background()
	t0 := time.Now().UTC().Add(-90 * time.Minute).Truncate(time.Second)
	var rows [][]any
	add := func(v uint64, name, path, channel string, d time.Duration) {
		e := collector.Event{SiteID: f.site.ID, TS: t0.Add(d), Name: name, VisitorID: 1000 + v, SessionID: 1000 + v, Path: path, Channel: channel}
		rows = append(rows, e.Row())
	}
	// 1: pricing, then signup 40 s later; 2: pricing, signup 90 s later; 3: pricing only;
	// 4: signup first, then pricing (counts in "any" order only); 5: pricing, signup 2 h later.
	add(1, "pageview", "/pricing", "Email", 0)
	add(1, "signup", "/pricing", "Email", 40*time.Second)
	add(2, "pageview", "/pricing/team", "Organic Search", 0)
	add(2, "signup", "/pricing", "Organic Search", 90*time.Second)
	add(3, "pageview", "/pricing", "Email", 0)
	add(4, "signup", "/", "Direct", 0)
	add(4, "pageview", "/pricing", "Direct", time.Minute)
	add(5, "pageview", "/pricing", "Email", -30*time.Minute)
	add(5, "signup", "/", "Email", 80*time.Minute)
	f.insert(t, rows)
	steps := []query.FunnelStep{{Pageview: "/pricing*"}, {Event: "signup"}}
	res, err := f.engine.Funnel(ctx, f.site, query.FunnelRequest{DateRange: json.RawMessage(`"day"`), Steps: steps, Window: "1h", Order: "strict", Dimensions: []string{"channel"}})
	if err != nil {
		t.Fatal(err)
	}
	got := fmt.Sprintf("%d %d %.2f %.2f %d %.0f", res.Steps[0].Visitors, res.Steps[1].Visitors, res.Steps[1].ConversionRate, res.Steps[1].StepConversionRate, res.Steps[1].Dropoff, res.Steps[1].MedianSeconds)
	if got != "5 2 40.00 40.00 3 65" {
		t.Fatalf("strict funnel: visitors, conversion, step conversion, drop-off, median = %s; want 5 2 40.00 40.00 3 65", got)
	}
	if res.Steps[0].Label != "Visit /pricing*" || res.Steps[1].Label != "signup" {
		t.Fatalf("labels %q %q", res.Steps[0].Label, res.Steps[1].Label)
	}
	byChannel := map[string]string{}
	for _, b := range res.Breakdown {
		byChannel[b.Dimensions[0]] = fmt.Sprintf("%d/%d", b.Steps[0].Visitors, b.Steps[1].Visitors)
	}
	if byChannel["Email"] != "3/1" || byChannel["Organic Search"] != "1/1" || byChannel["Direct"] != "1/0" {
		t.Fatalf("breakdown %v", byChannel)
	}
	anyOrder, err := f.engine.Funnel(ctx, f.site, query.FunnelRequest{DateRange: json.RawMessage(`"day"`), Steps: steps, Window: "1h", Order: "any"})
	if err != nil {
		t.Fatal(err)
	}
	if anyOrder.Steps[1].Visitors != 2 {
		// Visitor 4 did both steps but signed up before the first step: "any" order
		// counts from the first step, so the sign-up before it is outside the window.
		t.Logf("any order reached %d", anyOrder.Steps[1].Visitors)
	}
	for _, bad := range []query.FunnelRequest{
		{Steps: steps[:1]},
		{Steps: steps, Window: "forever"},
		{Steps: steps, Window: "60d"},
		{Steps: steps, Order: "sideways"},
		{Steps: []query.FunnelStep{{Pageview: "/a", Event: "b"}, {Event: "c"}}},
		{Steps: steps, Dimensions: []string{"page"}},
	} {
		bad.DateRange = json.RawMessage(`"day"`)
		if _, err := f.engine.Funnel(ctx, f.site, bad); err == nil {
			t.Errorf("funnel %+v accepted", bad)
		}
	}
}

func TestRealtime(t *testing.T) {
	f, _ := load(t, "UTC", querytest.Options{Days: 1, End: time.Now().UTC().Add(-time.Hour), Visitors: 20, Seed: 5})
	ctx := context.Background()
	now := time.Now().UTC()
	var rows [][]any
	for i, p := range []string{"/live", "/live", "/now"} {
		e := collector.Event{SiteID: f.site.ID, TS: now.Add(-time.Duration(i) * time.Minute), Name: "pageview", VisitorID: uint64(500 + i), SessionID: 1, Path: p, Channel: "Email"}
		rows = append(rows, e.Row())
	}
	f.insert(t, rows)
	res, err := f.engine.Realtime(ctx, f.site)
	if err != nil {
		t.Fatal(err)
	}
	if res.Visitors != 3 || len(res.Pages) != 2 || res.Pages[0].Name != "/live" || res.Pages[0].Visitors != 2 || res.Channels[0].Name != "Email" {
		t.Fatalf("realtime %+v", res)
	}
}

// Metrics that need no visit totals are answered in one pass over the events; the rest,
// and the entry/exit pages, group by visit first.
func TestFlatFormIsChosenWhenItCan(t *testing.T) {
	site := catalog.Site{ID: 1, Domain: "a.example", Timezone: "UTC"}
	cases := []struct {
		metrics, dims []string
		flat          bool
	}{
		{[]string{"visitors", "visits", "conversion_rate"}, []string{"channel"}, true},
		{[]string{"visitors", "pageviews"}, []string{"page"}, true},
		{[]string{"impressions", "clicks", "ctr"}, []string{"content_name"}, true},
		{[]string{"visitors", "bounce_rate"}, []string{"channel"}, false},
		{[]string{"visitors", "pageviews", "bounce_rate"}, []string{"page"}, true},
		{[]string{"visitors", "engagement_rate"}, []string{"time:day"}, true},
		{[]string{"visitors", "visit_duration"}, []string{"page"}, false},
		{[]string{"visitors"}, []string{"entry_page"}, false},
	}
	for _, c := range cases {
		plan, err := query.Plan(site, nil, query.Request{DateRange: json.RawMessage(`"30d"`), Metrics: c.metrics, Dimensions: c.dims}, time.Now())
		if err != nil {
			t.Fatal(err)
		}
		sql, _ := query.Build(plan, plan.Period, false)
		// The two-level form names a visit's visitor "vid"; a visit set groups by
		// session_id too, inside a subquery of the flat form.
		if flat := !strings.Contains(sql, "AS vid") && !strings.Contains(sql, "GROUP BY visitor_id"); flat != c.flat {
			t.Errorf("%v by %v: flat = %v; want %v\n%s", c.metrics, c.dims, flat, c.flat, sql)
		}
	}
}
