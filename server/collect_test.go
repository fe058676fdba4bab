package server_test

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/omnistat/omnistat/app"
	"github.com/omnistat/omnistat/catalog"
	"github.com/omnistat/omnistat/store"
)

const chromeUA = "Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/124.0.0.0 Safari/537.36"

type fixture struct {
	t    testing.TB
	a    *app.App
	srv  *httptest.Server
	site catalog.Site
	key  string
}

func newFixture(t testing.TB, cfg app.Config) *fixture {
	t.Helper()
	cfg.DataDir = t.TempDir()
	if cfg.FlushInterval == 0 {
		cfg.FlushInterval = 50 * time.Millisecond
	}
	a, err := app.New(context.Background(), cfg, slog.New(slog.NewTextHandler(io.Discard, nil)))
	if err != nil {
		t.Fatal(err)
	}
	srv := httptest.NewServer(a.Handler)
	t.Cleanup(func() {
		srv.Close()
		a.Close(context.Background())
	})
	site, err := a.Catalog.AddSite(context.Background(), "shop.example", "Europe/Berlin")
	if err != nil {
		t.Fatal(err)
	}
	key, _, err := a.Catalog.CreateKey(context.Background(), "test", []uint32{site.ID})
	if err != nil {
		t.Fatal(err)
	}
	return &fixture{t: t, a: a, srv: srv, site: site, key: key}
}

func (f *fixture) do(method, path, body string, hdr map[string]string) (int, http.Header, string) {
	f.t.Helper()
	req, _ := http.NewRequest(method, f.srv.URL+path, strings.NewReader(body))
	req.Header.Set("User-Agent", chromeUA)
	for k, v := range hdr {
		req.Header.Set(k, v)
	}
	client := &http.Client{CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}
	resp, err := client.Do(req)
	if err != nil {
		f.t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return resp.StatusCode, resp.Header, string(b)
}

// stored waits until the spool is empty, then runs a query.
func (f *fixture) stored(query string) [][]any {
	f.t.Helper()
	deadline := time.Now().Add(10 * time.Second)
	for f.a.Spool.Stats().Records > 0 && time.Now().Before(deadline) {
		f.a.Spool.Flush()
		time.Sleep(20 * time.Millisecond)
	}
	res, err := f.a.Store.Query(context.Background(), query, store.Params{"site": fmt.Sprint(f.site.ID)})
	if err != nil {
		f.t.Fatal(err)
	}
	return res.Rows
}

func TestEventEndpoint(t *testing.T) {
	f := newFixture(t, app.Config{})
	ok := `{"site":"shop.example","name":"pageview","url":"https://shop.example/pricing/?utm_source=newsletter&utm_medium=email&utm_campaign=spring","referrer":"https://mail.example/","title":"Pricing","screen":1440}`
	cases := []struct {
		name, body string
		hdr        map[string]string
		status     int
		errPart    string
	}{
		{"pageview as text/plain", ok, map[string]string{"Content-Type": "text/plain"}, 202, ""},
		{"from a subdomain's page with its origin", strings.Replace(ok, "https://shop.example/", "https://blog.shop.example/", 1), map[string]string{"Origin": "https://blog.shop.example"}, 202, ""},
		{"unknown site", strings.Replace(ok, `"site":"shop.example"`, `"site":"nope.example"`, 1), nil, 403, "site is not registered"},
		{"url of another site", strings.Replace(ok, "https://shop.example/", "https://evil.example/", 1), nil, 403, "evil.example"},
		{"origin of another site", ok, map[string]string{"Origin": "https://evil.example"}, 403, "origin https://evil.example"},
		{"bad field", `{"site":"shop.example","name":"pageview","url":"https://shop.example/","scroll":300}`, nil, 400, "scroll: must be between 0 and 100"},
		{"unknown field", `{"site":"shop.example","name":"pageview","url":"https://shop.example/","colour":1}`, nil, 400, "colour: is not a known field"},
		{"invalid UTF-8", "{\"site\":\"shop.example\",\"name\":\"bad\xff\xfename\",\"url\":\"https://shop.example/\"}", nil, 400, "name: is not valid UTF-8"},
		{"engaged time on a pageview", `{"site":"shop.example","name":"pageview","url":"https://shop.example/","engaged_ms":3600000}`, nil, 400, "engaged_ms: is only accepted on engagement events"},
		{"ts from a browser", `{"site":"shop.example","name":"pageview","url":"https://shop.example/","ts":"2020-01-01T00:00:00Z"}`, nil, 400, "ts: and channel are only accepted from servers"},
		{"too large", `{"site":"shop.example","name":"x","url":"https://shop.example/","title":"` + strings.Repeat("a", 17<<10) + `"}`, nil, 413, "larger than 16384 bytes"},
		{"bot", ok, map[string]string{"User-Agent": "Mozilla/5.0 (compatible; Googlebot/2.1; +http://www.google.com/bot.html)"}, 202, ""},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			status, hdr, body := f.do(http.MethodPost, "/api/event", tc.body, tc.hdr)
			if status != tc.status {
				t.Fatalf("status %d (%s); want %d", status, body, tc.status)
			}
			if hdr.Get("Access-Control-Allow-Origin") != "*" {
				t.Fatal("no CORS header")
			}
			if tc.errPart != "" {
				var e map[string]string
				if json.Unmarshal([]byte(body), &e) != nil || !strings.Contains(e["error"], tc.errPart) {
					t.Fatalf("body %s; want an error containing %q", body, tc.errPart)
				}
			}
		})
	}
	rows := f.stored(`SELECT path, hostname, channel, source, medium, campaign, title, screen, device, browser, os, referrer_domain
		FROM events WHERE site_id = {site:UInt32} ORDER BY hostname`)
	if len(rows) != 2 {
		t.Fatalf("%d events stored; want the 2 accepted ones (bots dropped): %v", len(rows), rows)
	}
	if got := fmt.Sprint(rows[1]); got != "[/pricing shop.example Email newsletter email spring Pricing 1440 Desktop Chrome Windows mail.example]" {
		t.Fatalf("stored %s", got)
	}
	if f.a.Collector.Metrics().DroppedTotal("bot_keyword") != 1 {
		t.Fatal("the bot was not counted in the metrics")
	}
	status, _, _ := f.do(http.MethodOptions, "/api/event", "", map[string]string{"Origin": "https://shop.example", "Access-Control-Request-Method": "POST"})
	if status != 204 {
		t.Fatalf("preflight: %d", status)
	}
}

// A page's URL, referrer and content block have no length in the contract: a long one is
// stored cut, and the event counts. A title over the contract's 300 characters is refused,
// naming it (the tracker cuts it before sending).
func TestLongURLsAreCutNotRefused(t *testing.T) {
	f := newFixture(t, app.Config{})
	path := "/" + strings.Repeat("é", 2100)
	state := strings.Repeat("%C3%A9", 1000)
	ref := "https://news.example/" + strings.Repeat("r", 2025) + strings.Repeat("%C3%A9", 10) // cut inside an escape
	target := "https://partner.example/" + strings.Repeat("t", 600)
	for _, body := range []string{
		`{"site":"shop.example","name":"pageview","url":"https://shop.example` + path + `?state=` + state + `&utm_source=newsletter","referrer":"` + ref + `"}`,
		`{"site":"shop.example","name":"impression","url":"https://shop.example/","content":{"name":"hero","target":"` + target + `"}}`,
	} {
		if status, _, answer := f.do(http.MethodPost, "/api/event", body, nil); status != 202 {
			t.Fatalf("status %d (%s); want 202", status, answer)
		}
	}
	rows := f.stored(`SELECT name, path, source, referrer_domain, referrer, content_target FROM events WHERE site_id = {site:UInt32} ORDER BY name`)
	if len(rows) != 2 {
		t.Fatalf("%d events stored; want both: %v", len(rows), rows)
	}
	imp, pv := rows[0], rows[1]
	if want := target[:512]; imp[5] != want {
		t.Errorf("content target %q; want its first 512 characters", imp[5])
	}
	if want := path[:1+2047*2]; pv[1] != want {
		t.Errorf("path of %d characters; want the first 2048", len([]rune(pv[1].(string))))
	}
	if pv[2] != "newsletter" || pv[3] != "news.example" {
		t.Errorf("source %q, referrer domain %q; want newsletter and news.example", pv[2], pv[3])
	}
	if want := ref[:2046]; pv[4] != want {
		t.Errorf("referrer %q; want its first 2048 characters without the half escape", pv[4])
	}
	status, _, answer := f.do(http.MethodPost, "/api/event", `{"site":"shop.example","name":"pageview","url":"https://shop.example/","title":"`+strings.Repeat("t", 301)+`"}`, nil)
	if status != 400 || !strings.Contains(answer, "title: is longer than 300 characters") {
		t.Fatalf("a 301-character title: %d %s; want 400 naming the title", status, answer)
	}
}

func TestRateLimit(t *testing.T) {
	f := newFixture(t, app.Config{RateLimit: 1, RateBurst: 3})
	body := `{"site":"shop.example","name":"pageview","url":"https://shop.example/"}`
	var codes []int
	for i := 0; i < 5; i++ {
		s, _, _ := f.do(http.MethodPost, "/api/event", body, nil)
		codes = append(codes, s)
	}
	if fmt.Sprint(codes) != "[202 202 202 429 429]" {
		t.Fatalf("statuses %v; want three accepted, then 429", codes)
	}
	s, hdr, _ := f.do(http.MethodGet, "/p.gif?site=shop.example&url=https://shop.example/", "", nil)
	if s != 200 || hdr.Get("Content-Type") != "image/gif" || !strings.Contains(hdr.Get("X-Omnistat"), "rate limited") {
		t.Fatalf("rate-limited pixel: %d %v", s, hdr)
	}
}

func TestPixel(t *testing.T) {
	f := newFixture(t, app.Config{})
	for _, tc := range []struct{ query, outcome string }{
		{"site=shop.example&url=https://shop.example/newsletter&name=email_open&utm_source=mail&utm_medium=email&utm_campaign=may", "ok"},
		{"site=shop.example", "ok"}, // page from the Referer header
		{"site=nope.example&url=https://nope.example/", "not recorded: site is not registered"},
		{"", "not recorded: site: is required"},
	} {
		s, hdr, body := f.do(http.MethodGet, "/p.gif?"+tc.query, "", map[string]string{"Referer": "https://shop.example/no-js"})
		if s != 200 || hdr.Get("Content-Type") != "image/gif" || !strings.HasPrefix(body, "GIF89a") || len(body) != 43 {
			t.Fatalf("%q: %d %s %d bytes; want the 43-byte GIF always", tc.query, s, hdr.Get("Content-Type"), len(body))
		}
		if !strings.HasPrefix(hdr.Get("X-Omnistat"), tc.outcome) {
			t.Fatalf("%q: X-Omnistat %q; want %q", tc.query, hdr.Get("X-Omnistat"), tc.outcome)
		}
	}
	rows := f.stored("SELECT name, path, channel, campaign FROM events WHERE site_id = {site:UInt32} ORDER BY name")
	if fmt.Sprint(rows) != "[[email_open /newsletter Email may] [pageview /no-js Email may]]" {
		t.Fatalf("stored %v", rows)
	}
}

func TestTrackedLinks(t *testing.T) {
	f := newFixture(t, app.Config{})
	auth := map[string]string{"Authorization": "Bearer " + f.key}
	s, _, body := f.do(http.MethodPost, "/api/v1/links", `{"site":"shop.example","slug":"qr-poster","target":"https://shop.example/spring?x=1","campaign":"spring","channel":"Offline"}`, auth)
	if s != 201 {
		t.Fatalf("create link: %d %s", s, body)
	}
	if s, _, body := f.do(http.MethodPost, "/api/v1/links", `{"site":"shop.example","slug":"bad","target":"javascript:alert(1)"}`, auth); s != 400 || !strings.Contains(body, "target") {
		t.Fatalf("bad target: %d %s", s, body)
	}
	if s, _, _ := f.do(http.MethodPost, "/api/v1/links", `{"site":"shop.example","slug":"x","target":"https://shop.example/"}`, nil); s != 401 {
		t.Fatalf("without a key: %d; want 401", s)
	}
	s, hdr, _ := f.do(http.MethodGet, "/r/qr-poster", "", nil)
	if s != 302 || hdr.Get("Location") != "https://shop.example/spring?x=1" {
		t.Fatalf("redirect: %d to %q", s, hdr.Get("Location"))
	}
	if s, _, _ := f.do(http.MethodGet, "/r/nope", "", nil); s != 404 {
		t.Fatalf("unknown slug: %d; want 404", s)
	}
	if s, _, _ := f.do(http.MethodGet, "/r/qr-poster?to=https://evil.example/", "", nil); s != 302 {
		t.Fatal("?to= changed the redirect")
	}
	s, _, body = f.do(http.MethodGet, "/api/v1/links?site=shop.example", "", auth)
	if s != 200 || !strings.Contains(body, `"slug":"qr-poster"`) {
		t.Fatalf("list: %d %s", s, body)
	}
	rows := f.stored("SELECT name, path, channel, campaign, content_name FROM events WHERE site_id = {site:UInt32}")
	if fmt.Sprint(rows) != "[[click /spring Offline spring link:qr-poster] [click /spring Offline spring link:qr-poster]]" {
		t.Fatalf("stored %v; want two clicks with the link's campaign and channel", rows)
	}
}

// A pasted target with a space must still send the visitor to a valid URL, and a link's
// channel is a group of reports in its reports spelling, or an offline channel of the
// site's own such as Store, as server-side events name them.
func TestTrackedLinkTargetAndChannel(t *testing.T) {
	f := newFixture(t, app.Config{})
	auth := map[string]string{"Authorization": "Bearer " + f.key}
	s, _, body := f.do(http.MethodPost, "/api/v1/links", `{"site":"shop.example","slug":"spaced","target":"https://shop.example/a b?q=x y#top","channel":"email"}`, auth)
	if s != 201 || !strings.Contains(body, `"target":"https://shop.example/a%20b?q=x%20y#top"`) || !strings.Contains(body, `"channel":"Email"`) {
		t.Fatalf("create link: %d %s; want the target percent-encoded and the channel spelled Email", s, body)
	}
	if s, hdr, _ := f.do(http.MethodGet, "/r/spaced", "", nil); s != 302 || hdr.Get("Location") != "https://shop.example/a%20b?q=x%20y#top" {
		t.Fatalf("redirect: %d to %q; want the percent-encoded target", s, hdr.Get("Location"))
	}
	for _, tc := range []struct{ body, want string }{
		{`{"site":"shop.example","slug":"ctl","target":"https://shop.example/","channel":"Store\u0007"}`, "contains a control character"},
		{`{"site":"shop.example","slug":"badhost","target":"https://shop .example/"}`, "target"},
	} {
		if s, _, body := f.do(http.MethodPost, "/api/v1/links", tc.body, auth); s != 400 || !strings.Contains(body, tc.want) {
			t.Errorf("%s: %d %s; want 400 containing %s", tc.body, s, body, tc.want)
		}
	}
	// Groups of reports, and an offline channel of the site's own, as server-side
	// events name them (the shop's Store).
	for _, ch := range []string{"", "Offline", "AI Assistants", "Organic Social", "Store"} {
		b := fmt.Sprintf(`{"site":"shop.example","slug":"ok-%d","target":"https://shop.example/","channel":%q}`, len(ch), ch)
		if s, _, body := f.do(http.MethodPost, "/api/v1/links", b, auth); s != 201 {
			t.Errorf("channel %q: %d %s; want 201", ch, s, body)
		}
	}
	f.do(http.MethodGet, "/r/spaced", "", nil)
	rows := f.stored("SELECT DISTINCT channel FROM events WHERE site_id = {site:UInt32}")
	if fmt.Sprint(rows) != "[[Email]]" {
		t.Fatalf("channels of the clicks %v; want only Email", rows)
	}
}

func TestServerSideEvents(t *testing.T) {
	f := newFixture(t, app.Config{})
	auth := map[string]string{"Authorization": "Bearer " + f.key}
	past := time.Now().UTC().Add(-48 * time.Hour).Truncate(time.Second)
	ts := func(d time.Duration) string { return past.Add(d).Format(time.RFC3339) }
	batch := fmt.Sprintf(`{"events":[
		{"site":"shop.example","name":"call","user_id":"crm-1","channel":"Call center","ts":%q},
		{"site":"shop.example","name":"purchase","user_id":"crm-1","channel":"Store","ts":%q,"revenue":{"amount":"120.50","currency":"EUR"}},
		{"site":"shop.example","name":"purchase","user_id":"crm-1","channel":"Store","ts":%q},
		{"site":"shop.example","name":"signup","visitor_id":"v-9","url":"https://shop.example/app"}]}`,
		ts(0), ts(10*time.Minute), ts(3*time.Hour))
	s, _, body := f.do(http.MethodPost, "/api/v1/events", batch, auth)
	if s != 202 || body != `{"accepted":4}`+"\n" {
		t.Fatalf("batch: %d %s", s, body)
	}
	rows := f.stored(`SELECT name, channel, medium, toString(revenue), currency, toString(ts) FROM events WHERE site_id = {site:UInt32} AND user_id = 'crm-1' ORDER BY ts`)
	if len(rows) != 3 || rows[0][1] != "Call center" || rows[1][3] != "120.5" || rows[1][4] != "EUR" {
		t.Fatalf("stored %v", rows)
	}
	// Backdated sessions: the call and the purchase 10 minutes later are one visit; the
	// purchase 3 hours later is another.
	sess := f.stored(`SELECT uniqExact(session_id) FROM events WHERE site_id = {site:UInt32} AND user_id = 'crm-1'`)
	if sess[0][0] != int64(2) {
		t.Fatalf("%v sessions for the backdated events; want 2", sess[0][0])
	}
	// An event joining a stored session later, in another batch, gets that session.
	s, _, _ = f.do(http.MethodPost, "/api/v1/events", fmt.Sprintf(`{"events":[{"site":"shop.example","name":"refund","user_id":"crm-1","channel":"Store","ts":%q}]}`, ts(20*time.Minute)), auth)
	if s != 202 {
		t.Fatal("second batch refused")
	}
	joined := f.stored(`SELECT uniqExact(session_id) FROM events WHERE site_id = {site:UInt32} AND name IN ('call', 'refund')`)
	if joined[0][0] != int64(1) {
		t.Fatalf("the refund 20 minutes after the call did not join its session: %v sessions", joined[0][0])
	}

	// All or nothing: one bad event rejects the batch, naming it by index.
	bad := `{"events":[{"site":"shop.example","name":"ok","user_id":"u"},{"site":"shop.example","name":"late","user_id":"u","ts":"2999-01-01T00:00:00Z"},{"site":"shop.example","name":"anon"}]}`
	s, _, body = f.do(http.MethodPost, "/api/v1/events", bad, auth)
	if s != 400 || !strings.Contains(body, `"index":1`) || !strings.Contains(body, "ts: is more than 5 minutes in the future") ||
		!strings.Contains(body, `"index":2`) || !strings.Contains(body, "visitor_id: or user_id is required") {
		t.Fatalf("bad batch: %d %s", s, body)
	}
	if n := f.stored(`SELECT count() FROM events WHERE site_id = {site:UInt32} AND name = 'ok'`); n[0][0] != int64(0) {
		t.Fatal("an event of a rejected batch was stored")
	}
	if s, _, _ := f.do(http.MethodPost, "/api/v1/events", `{"events":[]}`, nil); s != 401 {
		t.Fatalf("no key: %d; want 401", s)
	}
	if _, err := f.a.Catalog.AddSite(context.Background(), "other.example", ""); err != nil {
		t.Fatal(err)
	}
	s, _, body = f.do(http.MethodPost, "/api/v1/events", `{"events":[{"site":"other.example","name":"x","user_id":"u"}]}`, auth)
	if s != 400 || !strings.Contains(body, "no access to other.example") {
		t.Fatalf("another site's event: %d %s", s, body)
	}
}

// An importer that sends engagement pings with past timestamps must learn what
// happened to each: those of a visit are stored with it, and one that belongs to no
// visit rejects the batch by its index (§2: none is half-stored), never a silent
// {"accepted": 8} for 10 events.
func TestServerSideEngagementIsStoredOrNamed(t *testing.T) {
	f := newFixture(t, app.Config{})
	auth := map[string]string{"Authorization": "Bearer " + f.key}
	past := time.Now().UTC().Add(-6 * time.Hour).Truncate(time.Second)
	ts := func(d time.Duration) string { return past.Add(d).Format(time.RFC3339) }
	var evs []string
	for v := 0; v < 4; v++ {
		for p := 0; p < 2; p++ {
			evs = append(evs, fmt.Sprintf(`{"site":"shop.example","name":"pageview","visitor_id":"v%d","url":"https://shop.example/p%d","ts":%q}`, v, p, ts(time.Duration(v*60+p)*time.Minute)))
		}
	}
	for v := 0; v < 2; v++ {
		evs = append(evs, fmt.Sprintf(`{"site":"shop.example","name":"engagement","visitor_id":"v%d","url":"https://shop.example/p1","engaged_ms":12000,"scroll":80,"ts":%q}`, v, ts(time.Duration(v*60+3)*time.Minute)))
	}
	s, _, body := f.do(http.MethodPost, "/api/v1/events", `{"events":[`+strings.Join(evs, ",")+`]}`, auth)
	if s != 202 || body != `{"accepted":10}`+"\n" {
		t.Fatalf("10 events with 2 backdated engagement pings: %d %s; want all 10 accepted", s, body)
	}
	rows := f.stored(`SELECT count(), uniqExact(session_id) FROM events WHERE site_id = {site:UInt32} AND visitor_id IN
		(SELECT visitor_id FROM events WHERE site_id = {site:UInt32} AND name = 'engagement')`)
	if fmt.Sprint(rows) != "[[6 2]]" {
		t.Fatalf("stored [events sessions] %v of the engaged visitors; want [[6 2]]: each ping in its visit", rows)
	}

	// A ping of no visit: an hour after the visit ended, or from a visitor never seen.
	orphans := fmt.Sprintf(`{"events":[
		{"site":"shop.example","name":"pageview","visitor_id":"v9","url":"https://shop.example/","ts":%q},
		{"site":"shop.example","name":"engagement","visitor_id":"v0","url":"https://shop.example/p1","engaged_ms":500,"ts":%q},
		{"site":"shop.example","name":"engagement","visitor_id":"nobody","url":"https://shop.example/","engaged_ms":500}]}`, ts(0), ts(2*time.Hour))
	s, _, body = f.do(http.MethodPost, "/api/v1/events", orphans, auth)
	var answer struct {
		Error  string
		Events []struct {
			Index int
			Error string
		}
	}
	if s != 400 || json.Unmarshal([]byte(body), &answer) != nil || len(answer.Events) != 2 ||
		answer.Events[0].Index != 1 || answer.Events[1].Index != 2 || !strings.Contains(answer.Events[0].Error, "no visit") {
		t.Fatalf("engagement pings of no visit: %d %s; want 400 naming events 1 and 2", s, body)
	}
	if n := f.stored(`SELECT count() FROM events WHERE site_id = {site:UInt32} AND visitor_id NOT IN
		(SELECT visitor_id FROM events WHERE site_id = {site:UInt32} AND name = 'engagement')`); n[0][0] != int64(4) {
		t.Fatalf("%v events of other visitors stored; want the first batch's 4: the rejected batch stores nothing", n[0][0])
	}
}

func TestMetricsAndHealth(t *testing.T) {
	f := newFixture(t, app.Config{})
	f.do(http.MethodPost, "/api/event", `{"site":"shop.example","name":"pageview","url":"https://shop.example/"}`, nil)
	f.do(http.MethodPost, "/api/event", `{"site":"shop.example"}`, nil)
	f.stored("SELECT 1")
	if s, _, body := f.do(http.MethodGet, "/metrics", "", nil); s != 404 || strings.Contains(body, "omnistat_") {
		t.Fatalf("/metrics on the public handler: %d %s; want 404", s, body)
	}
	rec := httptest.NewRecorder()
	f.a.Metrics.ServeHTTP(rec, httptest.NewRequest(http.MethodGet, "/metrics", nil))
	s, body := rec.Code, rec.Body.String()
	for _, want := range []string{"omnistat_events_accepted_total 1", `omnistat_events_rejected_total{reason="invalid"} 1`,
		"omnistat_spool_bytes 0", "omnistat_flush_events_total 1", "omnistat_flush_last_batch_events 1"} {
		if s != 200 || !strings.Contains(body, want) {
			t.Fatalf("/metrics lacks %q:\n%s", want, body)
		}
	}
	s, _, body = f.do(http.MethodGet, "/healthz", "", nil)
	if s != 200 || strings.TrimSpace(body) != `{"status":"ok"}` {
		t.Fatalf("healthz: %d %s", s, body)
	}
}

// A back end's event that joins a web visit (a sign-up the server confirms, with the
// visitor's consent-mode id) counts in the visit's channel, not as a Direct visit of
// its own; one that names its channel (Store) keeps it.
func TestServerEventJoinsTheWebVisitsChannel(t *testing.T) {
	f := newFixture(t, app.Config{})
	auth := map[string]string{"Authorization": "Bearer " + f.key}
	if s, _, body := f.do(http.MethodPost, "/api/event", `{"site":"shop.example","name":"pageview","visitor_id":"v-1","url":"https://shop.example/?utm_source=newsletter&utm_medium=email"}`, nil); s != 202 {
		t.Fatalf("pageview: %d %s", s, body)
	}
	batch := `{"events":[{"site":"shop.example","name":"signup","visitor_id":"v-1","url":"https://shop.example/app"},
		{"site":"shop.example","name":"visit","visitor_id":"v-1","channel":"Store"}]}`
	if s, _, body := f.do(http.MethodPost, "/api/v1/events", batch, auth); s != 202 {
		t.Fatalf("server events: %d %s", s, body)
	}
	rows := f.stored(`SELECT name, channel FROM events WHERE site_id = {site:UInt32} ORDER BY name`)
	if fmt.Sprint(rows) != "[[pageview Email] [signup Email] [visit Store]]" {
		t.Fatalf("channels %v; want the sign-up in the visit's Email, the store visit in Store", rows)
	}
}

// One answer names every event to fix: an event the server cannot decode does not hide
// another's bad timestamp, and nothing of the batch is stored.
func TestServerBatchListsEveryBadEvent(t *testing.T) {
	f := newFixture(t, app.Config{})
	auth := map[string]string{"Authorization": "Bearer " + f.key}
	batch := `{"events":[{"site":"shop.example","name":123,"user_id":"u"},{"site":"shop.example","name":"ok","user_id":"u"},
		{"site":"shop.example","name":"late","user_id":"u","ts":"2999-01-01T00:00:00Z"}]}`
	s, _, body := f.do(http.MethodPost, "/api/v1/events", batch, auth)
	if s != 400 || !strings.Contains(body, `"index":0`) || !strings.Contains(body, `"index":2`) || strings.Contains(body, `"index":1`) ||
		!strings.Contains(body, "ts: is more than 5 minutes in the future") {
		t.Fatalf("batch: %d %s; want 400 naming events 0 (name) and 2 (ts), not 1", s, body)
	}
	if n := f.stored(`SELECT count() FROM events WHERE site_id = {site:UInt32}`); n[0][0] != int64(0) {
		t.Fatalf("%v events of a refused batch were stored", n[0][0])
	}
}

// The visit a tracked link leads to counts in the link's channel and campaign, not as
// Direct: the click opens it with the link's attribution and the pages that follow keep
// it. A server-side event's channel named in another case is the group's spelling.
func TestTrackedLinkVisitKeepsTheLinksChannel(t *testing.T) {
	f := newFixture(t, app.Config{})
	auth := map[string]string{"Authorization": "Bearer " + f.key}
	if s, _, body := f.do(http.MethodPost, "/api/v1/links", `{"site":"shop.example","slug":"nl-may","target":"https://shop.example/sale","campaign":"nl_may","channel":"email"}`, auth); s != 201 {
		t.Fatalf("link: %d %s", s, body)
	}
	if s, _, _ := f.do(http.MethodGet, "/r/nl-may", "", nil); s != 302 {
		t.Fatalf("click: %d", s)
	}
	if s, _, body := f.do(http.MethodPost, "/api/event", `{"site":"shop.example","name":"pageview","url":"https://shop.example/sale"}`, nil); s != 202 {
		t.Fatalf("pageview: %d %s", s, body)
	}
	if s, _, body := f.do(http.MethodPost, "/api/v1/events", `{"events":[{"site":"shop.example","name":"call","user_id":"u-1","channel":"call center"},{"site":"shop.example","name":"mail","user_id":"u-2","channel":"EMAIL"}]}`, auth); s != 202 {
		t.Fatalf("server events: %d %s", s, body)
	}
	rows := f.stored(`SELECT name, channel, campaign FROM events WHERE site_id = {site:UInt32} ORDER BY name`)
	if fmt.Sprint(rows) != "[[call call center ] [click Email nl_may] [mail Email ] [pageview Email nl_may]]" {
		t.Fatalf("stored %v; want the click and the page after it in Email / nl_may, EMAIL spelled Email", rows)
	}
}

// An e-mail open needs no page and counts in Email: a pixel with only a campaign, seen
// from webmail (whose Referer is not the site), is recorded on the site's home.
func TestEmailOpenPixel(t *testing.T) {
	f := newFixture(t, app.Config{})
	s, hdr, _ := f.do(http.MethodGet, "/p.gif?site=shop.example&name=email_open&utm_campaign=spring", "", map[string]string{"Referer": "https://mail.google.com/"})
	if s != 200 || hdr.Get("X-Omnistat") != "ok" {
		t.Fatalf("open: %d %q; want recorded", s, hdr.Get("X-Omnistat"))
	}
	rows := f.stored("SELECT name, path, channel, source, medium, campaign FROM events WHERE site_id = {site:UInt32}")
	if fmt.Sprint(rows) != "[[email_open / Email email email spring]]" {
		t.Fatalf("stored %v; want the open on / in Email, campaign spring", rows)
	}
}

// An import of old orders may span any number of months (§2: ts "may be in the past").
// ClickHouse refuses one insert that touches more than 100 monthly partitions; that
// must not keep the import, or anything accepted after it, out of the reports.
func TestImportSpanningManyMonthsIsStored(t *testing.T) {
	f := newFixture(t, app.Config{})
	auth := map[string]string{"Authorization": "Bearer " + f.key}
	var evs []string
	for m := 0; m < 150; m++ {
		ts := time.Date(2010, time.January, 15, 12, 0, 0, 0, time.UTC).AddDate(0, m, 0)
		evs = append(evs, fmt.Sprintf(`{"site":"shop.example","name":"order","user_id":"crm-%d","channel":"Store","ts":%q}`, m, ts.Format(time.RFC3339)))
	}
	if s, _, body := f.do(http.MethodPost, "/api/v1/events", `{"events":[`+strings.Join(evs, ",")+`]}`, auth); s != 202 {
		t.Fatalf("import: %d %s", s, body)
	}
	if s, _, body := f.do(http.MethodPost, "/api/event", `{"site":"shop.example","name":"pageview","url":"https://shop.example/after-import"}`, nil); s != 202 {
		t.Fatalf("pageview: %d %s", s, body)
	}
	rows := f.stored(`SELECT countIf(name = 'order'), countIf(name = 'pageview') FROM events WHERE site_id = {site:UInt32}`)
	if rows[0][0] != int64(150) || rows[0][1] != int64(1) {
		t.Fatalf("stored %v orders and %v pageviews; want 150 and 1", rows[0][0], rows[0][1])
	}
}

// Events the engine refuses for good (here: a constraint the operator added) must not
// hold up every event after them, and must not vanish silently either: they are kept
// on disk beside the spool, logged, and counted in /metrics.
func TestRefusedEventsAreSetAsideNotBlocking(t *testing.T) {
	f := newFixture(t, app.Config{})
	if err := f.a.Store.Exec(context.Background(), "ALTER TABLE events ADD CONSTRAINT no_bad CHECK path != '/bad'", nil); err != nil {
		t.Fatal(err)
	}
	if s, _, body := f.do(http.MethodPost, "/api/event", `{"site":"shop.example","name":"pageview","url":"https://shop.example/bad"}`, nil); s != 202 {
		t.Fatalf("bad pageview: %d %s", s, body)
	}
	f.a.Spool.Flush()
	deadline := time.Now().Add(10 * time.Second)
	for f.a.Spool.Stats().RefusedRecords == 0 && time.Now().Before(deadline) {
		time.Sleep(20 * time.Millisecond)
	}
	if s, _, body := f.do(http.MethodPost, "/api/event", `{"site":"shop.example","name":"pageview","url":"https://shop.example/good"}`, nil); s != 202 {
		t.Fatalf("good pageview: %d %s", s, body)
	}
	if rows := f.stored(`SELECT path FROM events WHERE site_id = {site:UInt32}`); len(rows) != 1 || rows[0][0] != "/good" {
		t.Fatalf("stored %v; want the pageview sent after the refused one", rows)
	}
	rec := httptest.NewRecorder()
	f.a.Metrics.ServeHTTP(rec, httptest.NewRequest(http.MethodGet, "/metrics", nil))
	if body := rec.Body.String(); !strings.Contains(body, "omnistat_spool_refused_events_total 1\n") {
		t.Fatalf("/metrics does not count the refused event:\n%s", body)
	}
	aside, _ := filepath.Glob(filepath.Join(f.a.Config.SpoolDir, "*.refused"))
	if len(aside) != 1 {
		t.Fatalf("refused segments kept on disk: %v; want 1", aside)
	}
}

// A refused batch leaves no trace (§2: none is half-stored): its pageview must not open
// a visit that a later engagement ping of the same visitor then joins. Also when the
// batch is refused for a ping of no visit, found only after its other events' visits.
func TestRefusedBatchOpensNoVisit(t *testing.T) {
	f := newFixture(t, app.Config{})
	auth := map[string]string{"Authorization": "Bearer " + f.key}
	refused := []string{
		`{"events":[{"site":"shop.example","name":"pageview","visitor_id":"ghost1","url":"https://shop.example/p"},
			{"site":"shop.example","name":"pageview","visitor_id":"ghost1","url":"https://shop.example/p","screen":-1}]}`,
		`{"events":[{"site":"shop.example","name":"pageview","visitor_id":"ghost2","url":"https://shop.example/p"},
			{"site":"shop.example","name":"engagement","visitor_id":"nobody","url":"https://shop.example/p","engaged_ms":500}]}`,
	}
	for i, batch := range refused {
		if s, _, body := f.do(http.MethodPost, "/api/v1/events", batch, auth); s != 400 {
			t.Fatalf("batch %d: %d %s; want 400", i, s, body)
		}
		ping := fmt.Sprintf(`{"events":[{"site":"shop.example","name":"engagement","visitor_id":"ghost%d","url":"https://shop.example/p","engaged_ms":60000}]}`, i+1)
		if s, _, body := f.do(http.MethodPost, "/api/v1/events", ping, auth); s != 400 || !strings.Contains(body, "no visit") {
			t.Fatalf("a lone ping after refused batch %d: %d %s; want 400: the refused batch opened no visit", i, s, body)
		}
	}
	if n := f.stored(`SELECT count() FROM events WHERE site_id = {site:UInt32}`); n[0][0] != int64(0) {
		t.Fatalf("%v events stored; want none", n[0][0])
	}
}

// HEAD is answered wherever GET is (RFC 9110 §9.1): the pixel "always answers" its GIF's
// headers, and a tracked link its redirect. A HEAD probe (a link checker, an image
// proxy's check) is not a view or a click, so it records nothing.
func TestHeadIsAnsweredLikeGet(t *testing.T) {
	f := newFixture(t, app.Config{})
	auth := map[string]string{"Authorization": "Bearer " + f.key}
	if s, _, body := f.do(http.MethodPost, "/api/v1/links", `{"site":"shop.example","slug":"spring","target":"https://shop.example/spring"}`, auth); s != 201 {
		t.Fatalf("create link: %d %s", s, body)
	}
	s, hdr, body := f.do(http.MethodHead, "/p.gif?site=shop.example&url=https://shop.example/head", "", nil)
	if s != 200 || hdr.Get("Content-Type") != "image/gif" || hdr.Get("Content-Length") != "43" || body != "" {
		t.Fatalf("HEAD /p.gif: %d %q length %q body %q; want 200 with the GIF's headers and no body", s, hdr.Get("Content-Type"), hdr.Get("Content-Length"), body)
	}
	if s, hdr, _ := f.do(http.MethodHead, "/r/spring", "", nil); s != 302 || hdr.Get("Location") != "https://shop.example/spring" {
		t.Fatalf("HEAD /r/spring: %d to %q; want 302 to the target", s, hdr.Get("Location"))
	}
	if s, _, _ := f.do(http.MethodHead, "/r/nope", "", nil); s != 404 {
		t.Fatalf("HEAD /r/nope: %d; want 404", s)
	}
	if n := f.stored(`SELECT count() FROM events WHERE site_id = {site:UInt32}`); n[0][0] != int64(0) {
		t.Fatalf("%v events recorded for HEAD requests; want none", n[0][0])
	}
}

// A visit is a visitor's events with no gap over 30 minutes, for backdated events too
// (§3.2): a back end's event logged 16 minutes late, then a page the same visitor
// opens now, are one visit, whether they come in two requests or in one batch.
func TestLiveEventJoinsTheVisitOfABackdatedOne(t *testing.T) {
	f := newFixture(t, app.Config{})
	auth := map[string]string{"Authorization": "Bearer " + f.key}
	ago := time.Now().UTC().Add(-16 * time.Minute).Format(time.RFC3339)
	backdated := fmt.Sprintf(`{"events":[{"site":"shop.example","name":"pageview","visitor_id":"late-1","url":"https://shop.example/a","ts":%q}]}`, ago)
	if s, _, body := f.do(http.MethodPost, "/api/v1/events", backdated, auth); s != 202 {
		t.Fatalf("backdated pageview: %d %s", s, body)
	}
	if s, _, body := f.do(http.MethodPost, "/api/event", `{"site":"shop.example","name":"pageview","visitor_id":"late-1","url":"https://shop.example/b"}`, nil); s != 202 {
		t.Fatalf("browser pageview: %d %s", s, body)
	}
	both := fmt.Sprintf(`{"events":[{"site":"shop.example","name":"pageview","visitor_id":"late-2","url":"https://shop.example/a","ts":%q},
		{"site":"shop.example","name":"pageview","visitor_id":"late-2","url":"https://shop.example/b"}]}`, ago)
	if s, _, body := f.do(http.MethodPost, "/api/v1/events", both, auth); s != 202 {
		t.Fatalf("one batch: %d %s", s, body)
	}
	rows := f.stored(`SELECT count(), uniqExact(session_id) FROM events WHERE site_id = {site:UInt32} GROUP BY visitor_id ORDER BY visitor_id`)
	if fmt.Sprint(rows) != "[[2 1] [2 1]]" {
		t.Fatalf("[pageviews visits] per visitor %v; want [[2 1] [2 1]]: 16 minutes apart is one visit", rows)
	}
}

// Backdated events find their visit among the visitor's events accepted just before,
// not only among those already stored: an importer that sends a visit's events in
// several requests, right one after another, gets one visit however fast it sends
// (§3.2), and an engagement ping sent after its pageview's request is not refused.
func TestBackdatedVisitSpansRequests(t *testing.T) {
	f := newFixture(t, app.Config{FlushInterval: time.Hour}) // nothing is stored until the test asks
	auth := map[string]string{"Authorization": "Bearer " + f.key}
	t0 := time.Now().UTC().Add(-48 * time.Hour).Truncate(time.Second)
	send := func(ev string) {
		t.Helper()
		if s, _, body := f.do(http.MethodPost, "/api/v1/events", `{"events":[`+ev+`]}`, auth); s != 202 {
			t.Fatalf("%s: %d %s", ev, s, body)
		}
	}
	send(fmt.Sprintf(`{"site":"shop.example","name":"pageview","visitor_id":"imp-1","url":"https://shop.example/a","ts":%q}`, t0.Format(time.RFC3339)))
	send(fmt.Sprintf(`{"site":"shop.example","name":"pageview","visitor_id":"imp-1","url":"https://shop.example/b","ts":%q}`, t0.Add(10*time.Minute).Format(time.RFC3339)))
	send(fmt.Sprintf(`{"site":"shop.example","name":"engagement","visitor_id":"imp-1","url":"https://shop.example/b","engaged_ms":12000,"ts":%q}`, t0.Add(11*time.Minute).Format(time.RFC3339)))
	rows := f.stored(`SELECT count(), uniqExact(session_id) FROM events WHERE site_id = {site:UInt32}`)
	if fmt.Sprint(rows) != "[[3 1]]" {
		t.Fatalf("[events visits] %v; want [[3 1]]: a pageview, the next 10 minutes later and its ping are one visit", rows)
	}
}

// A live event joins the visit of any event it is within 30 minutes of (§3.2), and a
// live event may be up to 15 minutes old: a back end's store visit logged 40 minutes
// late and the purchase it sends 14 minutes late, 26 minutes apart, are one visit, as
// are the same two events 42 and 16 minutes late (both backdated).
func TestLiveEventJoinsAVisitBackdatedOver30Minutes(t *testing.T) {
	f := newFixture(t, app.Config{})
	auth := map[string]string{"Authorization": "Bearer " + f.key}
	now := time.Now().UTC()
	send := func(visitor, name string, ago time.Duration) {
		t.Helper()
		ev := fmt.Sprintf(`{"events":[{"site":"shop.example","name":%q,"visitor_id":%q,"channel":"Store","ts":%q}]}`,
			name, visitor, now.Add(-ago).Format(time.RFC3339))
		if s, _, body := f.do(http.MethodPost, "/api/v1/events", ev, auth); s != 202 {
			t.Fatalf("%s: %d %s", ev, s, body)
		}
	}
	send("a", "store_visit", 40*time.Minute)
	send("a", "purchase", 14*time.Minute)
	send("b", "store_visit", 42*time.Minute)
	send("b", "purchase", 16*time.Minute)
	rows := f.stored(`SELECT count(), uniqExact(session_id) FROM events WHERE site_id = {site:UInt32} GROUP BY visitor_id ORDER BY visitor_id`)
	if fmt.Sprint(rows) != "[[2 1] [2 1]]" {
		t.Fatalf("[events visits] per visitor %v; want [[2 1] [2 1]]: 26 minutes apart is one visit", rows)
	}
}

// A tracked link's click opens a visit with the link's channel and campaign, also when
// the visitor is in a visit from elsewhere: a reader from Google who clicks the
// newsletter's link, then views /sale and signs up, signed up in Email / nov, and the
// visit from Google keeps Organic Search. Each visit is in one channel row, and the
// rows add up to the total.
func TestTrackedLinkClickInAVisitOpensTheLinksVisit(t *testing.T) {
	f := newFixture(t, app.Config{})
	auth := map[string]string{"Authorization": "Bearer " + f.key}
	if s, _, body := f.do(http.MethodPost, "/api/v1/goals", `{"site":"shop.example","event":"signup"}`, auth); s != 201 {
		t.Fatalf("goal: %d %s", s, body)
	}
	if s, _, body := f.do(http.MethodPost, "/api/v1/links", `{"site":"shop.example","slug":"nl","target":"https://shop.example/sale","campaign":"nov","channel":"Email","source":"newsletter","medium":"email"}`, auth); s != 201 {
		t.Fatalf("link: %d %s", s, body)
	}
	if s, _, body := f.do(http.MethodPost, "/api/event", `{"site":"shop.example","name":"pageview","url":"https://shop.example/blog","referrer":"https://www.google.com/"}`, nil); s != 202 {
		t.Fatalf("blog: %d %s", s, body)
	}
	if s, _, _ := f.do(http.MethodGet, "/r/nl", "", nil); s != 302 {
		t.Fatalf("click: %d", s)
	}
	for _, name := range []string{"pageview", "signup"} {
		if s, _, body := f.do(http.MethodPost, "/api/event", `{"site":"shop.example","name":"`+name+`","url":"https://shop.example/sale"}`, nil); s != 202 {
			t.Fatalf("%s: %d %s", name, s, body)
		}
	}
	f.stored(`SELECT 1`) // until stored
	s, _, body := f.do(http.MethodPost, "/api/v1/query", `{"site":"shop.example","date_range":"day","metrics":["visits","pageviews","conversions"],"dimensions":["channel","campaign"]}`, auth)
	want := `"results":[{"dimensions":["Email","nov"],"metrics":[1,1,1]},{"dimensions":["Organic Search",""],"metrics":[1,1,0]}],"totals":{"conversions":1,"pageviews":2,"visits":2}`
	if s != 200 || !strings.Contains(body, want) {
		t.Fatalf("by channel and campaign: %d %s; want %s", s, body, want)
	}
	s, _, body = f.do(http.MethodGet, "/api/v1/attribution?site=shop.example&date_range=day&model=last", "", auth)
	if s != 200 || !strings.Contains(body, `"channels":[{"channel":"Email","conversions":1,"share":100}]`) {
		t.Fatalf("last-touch attribution: %d %s; want all to Email", s, body)
	}
}

// A batch of 1000 events, each as large as the tracker's endpoint takes one (16 KiB),
// is taken whole, as the contract's "up to 1000 events, each as above" says; a body
// larger than that is a 413 that says the limit.
func TestLargestBatchIsAccepted(t *testing.T) {
	f := newFixture(t, app.Config{})
	auth := map[string]string{"Authorization": "Bearer " + f.key}
	ts := time.Now().UTC().Add(-time.Hour).Format(time.RFC3339)
	event := func(i int, pad int) string {
		head := fmt.Sprintf(`{"site":"shop.example","name":"order","visitor_id":"v%d","channel":"Store","ts":%q,"props":{"note":"`, i, ts)
		return head + strings.Repeat("x", pad) + `"}}`
	}
	one := event(0, 0)
	pad := 500 // the props value's limit, in characters; the rest of 16 KiB is a long title
	big := func(i int) string {
		e := event(i, pad)
		return strings.Replace(e, `"name":"order"`, `"name":"order","title":"`+strings.Repeat("é", 300)+`","url":"https://shop.example/`+strings.Repeat("p", 16<<10-len(e)-700)+`"`, 1)
	}
	var events []string
	for i := 0; i < 1000; i++ {
		events = append(events, big(i))
	}
	if n := len(big(0)); n > 16<<10 || n < 15<<10 {
		t.Fatalf("an event of %d bytes; want one just under 16 KiB", n)
	}
	body := `{"events":[` + strings.Join(events, ",") + `]}`
	if s, _, out := f.do(http.MethodPost, "/api/v1/events", body, auth); s != 202 || !strings.Contains(out, `"accepted":1000`) {
		t.Fatalf("1000 events of about 16 KiB (%d bytes): %d %.200s", len(body), s, out)
	}
	huge := `{"events":[` + one + `,"` + strings.Repeat("x", 17<<20) + `"]}`
	if s, _, out := f.do(http.MethodPost, "/api/v1/events", huge, auth); s != 413 || !strings.Contains(out, "1000 events") {
		t.Fatalf("a 17 MiB body: %d %.200s; want 413 saying the limit", s, out)
	}
}

// A second click on the same link during the visit the first click opened goes on with
// that visit: only a change of attribution starts a new one.
func TestSecondClickOnALinkKeepsItsVisit(t *testing.T) {
	f := newFixture(t, app.Config{})
	auth := map[string]string{"Authorization": "Bearer " + f.key}
	if s, _, body := f.do(http.MethodPost, "/api/v1/links", `{"site":"shop.example","slug":"nl","target":"https://shop.example/sale","campaign":"nov","channel":"Email","source":"newsletter","medium":"email"}`, auth); s != 201 {
		t.Fatalf("link: %d %s", s, body)
	}
	for i := 0; i < 2; i++ {
		if s, _, _ := f.do(http.MethodGet, "/r/nl", "", nil); s != 302 {
			t.Fatalf("click %d: %d", i+1, s)
		}
		if s, _, body := f.do(http.MethodPost, "/api/event", `{"site":"shop.example","name":"pageview","url":"https://shop.example/sale"}`, nil); s != 202 {
			t.Fatalf("page %d: %d %s", i+1, s, body)
		}
	}
	f.stored(`SELECT 1`) // until stored
	s, _, body := f.do(http.MethodPost, "/api/v1/query", `{"site":"shop.example","date_range":"day","metrics":["visits","pageviews"],"dimensions":["channel"]}`, auth)
	if want := `"results":[{"dimensions":["Email"],"metrics":[1,2]}]`; s != 200 || !strings.Contains(body, want) {
		t.Fatalf("by channel: %d %s; want %s (one visit of two pages)", s, body, want)
	}
}

// Within one batch an import's events may come in any order: a visit's landing page
// from an e-mail sent after its second page still gives the visit Email and its
// campaign, and three pageviews 25 minutes apart sent 10:00, 10:50, 10:25 are one visit.
func TestBackdatedBatchInAnyOrder(t *testing.T) {
	f := newFixture(t, app.Config{})
	auth := map[string]string{"Authorization": "Bearer " + f.key}
	t0 := time.Now().UTC().Add(-48 * time.Hour).Truncate(time.Second)
	page := func(v, path string, d time.Duration) string {
		return fmt.Sprintf(`{"site":"shop.example","name":"pageview","visitor_id":%q,"url":"https://shop.example%s","ts":%q}`, v, path, t0.Add(d).Format(time.RFC3339))
	}
	batch := strings.Join([]string{page("imp-3", "/p2", 5*time.Minute), page("imp-3", "/p1?utm_source=nl&utm_medium=email&utm_campaign=aug", 0),
		page("imp-4", "/a", 0), page("imp-4", "/c", 50*time.Minute), page("imp-4", "/b", 25*time.Minute)}, ",")
	if s, _, body := f.do(http.MethodPost, "/api/v1/events", `{"events":[`+batch+`]}`, auth); s != 202 {
		t.Fatalf("batch: %d %s", s, body)
	}
	rows := f.stored(`SELECT uniqExact(session_id), groupUniqArray(channel), groupUniqArray(campaign) FROM events WHERE site_id = {site:UInt32} GROUP BY visitor_id ORDER BY count()`)
	if fmt.Sprint(rows) != "[[1 [Email] [aug]] [1 [Direct] []]]" {
		t.Fatalf("[visits channels campaigns] per visitor %v; want imp-3 one Email visit of campaign aug, imp-4 one Direct visit", rows)
	}
}

// A back end's event that names its channel has that channel as its source, in the
// reports' spelling, medium offline, and no campaign, term or referrer, even with a
// url and referrer that say otherwise; live or backdated, and also in a web visit
// from elsewhere.
func TestServerEventNamingItsChannelHasItAsSource(t *testing.T) {
	f := newFixture(t, app.Config{})
	auth := map[string]string{"Authorization": "Bearer " + f.key}
	if s, _, body := f.do(http.MethodPost, "/api/event", `{"site":"shop.example","name":"pageview","visitor_id":"web-1","url":"https://shop.example/","referrer":"https://www.google.com/"}`, nil); s != 202 {
		t.Fatalf("pageview: %d %s", s, body)
	}
	old := time.Now().UTC().Add(-48 * time.Hour).Format(time.RFC3339)
	batch := fmt.Sprintf(`{"events":[{"site":"shop.example","name":"call","user_id":"u-1","channel":"Call center"},
		{"site":"shop.example","name":"optin","user_id":"u-2","channel":"email","url":"https://shop.example/?utm_source=nl&utm_campaign=aug&utm_term=t","referrer":"https://www.google.com/","ts":%q},
		{"site":"shop.example","name":"visit","visitor_id":"web-1","channel":"Store"}]}`, old)
	if s, _, body := f.do(http.MethodPost, "/api/v1/events", batch, auth); s != 202 {
		t.Fatalf("server events: %d %s", s, body)
	}
	rows := f.stored(`SELECT name, channel, source, medium, campaign, term, referrer = '' FROM events WHERE site_id = {site:UInt32} ORDER BY name`)
	if fmt.Sprint(rows) != "[[call Call center Call center offline   1] [optin Email Email offline   1] [pageview Organic Search Google organic   0] [visit Store Store offline   1]]" {
		t.Fatalf("stored %v; want each named channel as its source, medium offline, no campaign, term or referrer", rows)
	}
}
