package e2e

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"net/http/httptest"
	"net/netip"
	"os"
	"path/filepath"
	"slices"
	"sort"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/cdproto/cdp"
	"github.com/chromedp/cdproto/emulation"
	"github.com/chromedp/chromedp"

	"github.com/omnistat/omnistat/app"
	"github.com/omnistat/omnistat/collector"
	"github.com/omnistat/omnistat/internal/browser"
	"github.com/omnistat/omnistat/store"
)

// storedEvent is what the tests read back from ClickHouse.
type storedEvent struct {
	Name, Path, Title, Props, Content, Currency string
	EngagedMS, Scroll, Screen                   int64
	Revenue                                     float64
	Visitor                                     uint64
}

// events returns the site's stored events, oldest first.
func events(t *testing.T, st store.Store, siteID uint32) []storedEvent {
	t.Helper()
	res, err := st.Query(context.Background(), `SELECT name, path, title, toJSONString(props), concat(content_name, '|', content_piece, '|', content_target),
		currency, engaged_ms, scroll, screen, toFloat64(revenue), toString(visitor_id)
		FROM events WHERE site_id = {s:UInt32} ORDER BY ts, name`, store.Params{"s": fmt.Sprint(siteID)})
	if err != nil {
		t.Fatal(err)
	}
	var out []storedEvent
	for _, r := range res.Rows {
		e := storedEvent{Name: r[0].(string), Path: r[1].(string), Title: r[2].(string), Props: r[3].(string), Content: r[4].(string),
			Currency: r[5].(string), EngagedMS: store.Int(r[6]), Scroll: store.Int(r[7]), Screen: store.Int(r[8])}
		switch v := r[9].(type) {
		case float64:
			e.Revenue = v
		case int64:
			e.Revenue = float64(v)
		}
		fmt.Sscan(r[10].(string), &e.Visitor)
		out = append(out, e)
	}
	return out
}

func names(es []storedEvent) string {
	var n []string
	for _, e := range es {
		n = append(n, e.Name+" "+e.Path)
	}
	return strings.Join(n, ", ")
}

// waitEvents polls the store until cond holds for the site's events.
func waitEvents(t *testing.T, a *app.App, siteID uint32, what string, cond func([]storedEvent) bool) []storedEvent {
	t.Helper()
	deadline := time.Now().Add(20 * time.Second)
	for {
		es := events(t, a.Store, siteID)
		if cond(es) {
			return es
		}
		if time.Now().After(deadline) {
			t.Fatalf("timed out waiting for %s; stored: %s", what, names(es))
		}
		time.Sleep(100 * time.Millisecond)
	}
}

func count(es []storedEvent, name string) int {
	n := 0
	for _, e := range es {
		if e.Name == name {
			n++
		}
	}
	return n
}

// site serves the site owner's pages: /{page} renders the named page body with the
// snippet, whose data-* attributes come from the query string ("attrs").
func site(t *testing.T, omnistat string) string {
	pages := map[string]string{
		"home": `<h1>Home</h1><a id="spa" href="/spa">SPA</a>`,
		"spa": `<h1>App</h1>
<button id="go-a" onclick="history.pushState({}, '', '/spa/a')">A</button>
<button id="go-b" onclick="history.pushState({}, '', '/spa/b')">B</button>
<button id="same" onclick="history.replaceState({}, '', '/spa/b')">same</button>`,
		"links": `<h1>Links</h1><a id="out" href="{other}/landing">Partner</a> <a id="dl" href="/files/report.pdf">Report</a>
<a id="epub" href="/files/book.epub">Book</a>`,
		"content": `<h1>Long read</h1><div style="height:2500px">intro</div>
<div id="hero" data-os-content="hero" data-os-piece="banner" data-os-target="/pricing" style="height:300px;background:#eee">
<a id="hero-link" href="#" onclick="return false">See pricing</a></div><div style="height:1500px">outro</div>`,
		"read":   `<h1>Article</h1><p>Text</p><a id="next" href="/home">Next</a>`,
		"custom": `<h1>Custom</h1>`,
		"form": `<h1>Form</h1><form id="f" name="newsletter" action="/thanks" onsubmit="return false"><input name="e"><button id="send">Send</button></form>
<form action="/signup" onsubmit="return false"><input name="name"><button id="send-name">Sign up</button></form>
<form name="contact" onsubmit="return false"><input name="id"><button id="send-id">Contact</button></form>`,
		"app": `<h1>App</h1><div style="height:4000px">view</div>
<script>function go(p) { history.pushState({}, '', p); scrollTo(0, 0) }</script>`,
		"hash": `<h1>Hash</h1><a id="products" href="#/products">Products</a> <a id="toc" href="#section">Section</a>
<a id="about" href="#/about">About</a><div style="height:3000px"></div><h2 id="section">Section</h2>`,
		// A tab opened in the background: hidden from the start, the block in view.
		"background": `<script>Object.defineProperty(document, 'visibilityState', {value: 'hidden', configurable: true})</script>
<h1>Background</h1><div id="promo" data-os-content="promo"><a href="/pricing">Pricing</a></div>`,
		// An automated browser (Selenium, Playwright): navigator.webdriver is true before
		// the tracker runs, as in a browser started without this package's flag.
		"robot": `<script>Object.defineProperty(Navigator.prototype, 'webdriver', {get: () => true})</script><h1>Robot</h1>`,
		"long":  `<h1>Long</h1><div data-os-content="partner"><a id="far" href="{other}/landing?ref=` + strings.Repeat("x", 600) + `">Partner</a></div>`,
	}
	titles := map[string]string{"long": longTitle}
	other := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		fmt.Fprint(w, `<!doctype html><title>Elsewhere</title><h1>Elsewhere</h1>`)
	}))
	t.Cleanup(other.Close)
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		name := strings.Trim(r.URL.Path, "/")
		for _, app := range []string{"spa", "app"} {
			if strings.HasPrefix(name, app) {
				name = app
			}
		}
		if strings.HasPrefix(name, "files/") {
			w.Header().Set("Content-Type", "application/pdf")
			fmt.Fprint(w, "%PDF-1.4")
			return
		}
		body, ok := pages[name]
		if !ok {
			http.NotFound(w, r)
			return
		}
		body = strings.ReplaceAll(body, "{other}", strings.Replace(other.URL, "127.0.0.1", "other.test", 1))
		stub := ""
		if r.URL.Query().Get("spy") != "" {
			stub = spy
		}
		if name == "custom" {
			stub = `<script>window.omnistat=window.omnistat||function(){(omnistat.q=omnistat.q||[]).push(arguments)};
omnistat('event', 'signup', {props: {plan: 'pro'}, revenue: {amount: '9.99', currency: 'EUR'}});
omnistat('identify', 'user-42');</script>`
		}
		title := name + " page"
		if t, ok := titles[name]; ok {
			title = t
		}
		w.Header().Set("Content-Type", "text/html; charset=utf-8")
		domain := strings.Split(r.Host, ":")[0]
		if d := r.URL.Query().Get("site"); d != "" {
			domain = d
		}
		fmt.Fprintf(w, `<!doctype html><html><head><title>%s</title>%s
<script defer data-site="%s" %s src="%s/js/omnistat.js"></script></head><body>%s</body></html>`,
			title, stub, domain, r.URL.Query().Get("attrs"), omnistat, body)
	}))
	t.Cleanup(srv.Close)
	return srv.URL
}

// droppedBots is the collector's count of events dropped for a bot keyword in the
// User-Agent, from its /metrics.
func droppedBots(t *testing.T, a *app.App) string {
	t.Helper()
	rec := httptest.NewRecorder()
	a.Metrics.ServeHTTP(rec, httptest.NewRequest(http.MethodGet, "/metrics", nil))
	for _, line := range strings.Split(rec.Body.String(), "\n") {
		if v, ok := strings.CutPrefix(line, `omnistat_events_dropped_total{reason="bot_keyword"} `); ok {
			return v
		}
	}
	return "0"
}

// spy records what the page posts with fetch in window.sent (the tracker sends its
// pageview before the page's load event).
const spy = `<script>window.sent = []; var fetch0 = window.fetch;
window.fetch = function (u, o) { sent.push(String(u)); return fetch0.apply(this, arguments) }</script>`

// longTitle is 400 characters, some of them two bytes long: over the contract's 300.
var longTitle = strings.Repeat("Très long titre ", 25)

// The tracker in a real browser: every behaviour ends as rows in ClickHouse.
func TestTrackerInRealBrowser(t *testing.T) {
	a, base, _ := inProcess(t)
	ctx := context.Background()
	omnistat := strings.Replace(base, "127.0.0.1", "stats.test", 1)
	pages := site(t, omnistat)
	port := pages[strings.LastIndex(pages, ":")+1:]
	newSite := func(t *testing.T, domain string) (uint32, string) {
		s, err := a.Catalog.AddSite(ctx, domain, "")
		if err != nil {
			t.Fatal(err)
		}
		return s.ID, "http://" + domain + ":" + port
	}
	b := browser.New(t)
	// Headless Chromium cannot hide a tab; the page is told it is hidden or visible.
	setVisibility := func(state string) chromedp.Action[chromedp.Void] {
		return chromedp.Evaluate[chromedp.Void](`Object.defineProperty(document, 'visibilityState', {value: '` + state +
			`', configurable: true}); document.dispatchEvent(new Event('visibilitychange'))`)
	}

	t.Run("load counts one pageview with title and screen", func(t *testing.T) {
		id, origin := newSite(t, "load.test")
		browser.Do(t, b, 20*time.Second, chromedp.Navigate(origin+"/home"), chromedp.WaitVisible(chromedp.CSS("h1")))
		es := waitEvents(t, a, id, "a pageview", func(es []storedEvent) bool { return count(es, "pageview") == 1 })
		if e := es[0]; e.Path != "/home" || e.Title != "home page" || e.Screen != 1280 {
			t.Fatalf("pageview %+v", e)
		}
	})

	t.Run("single-page navigation counts pages and sends engagement first", func(t *testing.T) {
		id, origin := newSite(t, "spa.test")
		browser.Do(t, b, 20*time.Second, chromedp.Navigate(origin+"/spa"), chromedp.WaitVisible(chromedp.CSS("h1")),
			chromedp.Sleep(300*time.Millisecond),
			chromedp.Click(chromedp.ID("go-a")), chromedp.Sleep(200*time.Millisecond),
			chromedp.Click(chromedp.ID("go-b")), chromedp.Click(chromedp.ID("same")))
		es := waitEvents(t, a, id, "three pageviews", func(es []storedEvent) bool { return count(es, "pageview") == 3 })
		var pv []string
		for _, e := range es {
			if e.Name == "pageview" {
				pv = append(pv, e.Path)
			}
		}
		if strings.Join(pv, " ") != "/spa /spa/a /spa/b" {
			t.Fatalf("pageviews %v; want /spa /spa/a /spa/b (replaceState to the same path is not a page)", pv)
		}
		if count(es, "engagement") < 2 {
			t.Fatalf("engagement events before the SPA navigations missing: %s", names(es))
		}
	})

	t.Run("a single-page app's engagement is the page's that was read", func(t *testing.T) {
		id, origin := newSite(t, "app.test")
		browser.Do(t, b, 20*time.Second, chromedp.Navigate(origin+"/app"), chromedp.WaitVisible(chromedp.CSS("h1")),
			chromedp.Evaluate[chromedp.Void](`scrollTo(0, 99999)`), chromedp.Sleep(time.Second), // /app read to the end
			chromedp.Evaluate[chromedp.Void](`go('/app/pricing')`), chromedp.Sleep(500*time.Millisecond), // its top only
			chromedp.Evaluate[chromedp.Void](`go('/app/contact')`), chromedp.Sleep(500*time.Millisecond),
			chromedp.Evaluate[chromedp.Void](`history.back()`)) // popstate: back to /app/pricing
		es := waitEvents(t, a, id, "the pages' engagement", func(es []storedEvent) bool { return count(es, "engagement") == 3 })
		scroll := map[string]int64{}
		for _, e := range es {
			if e.Name == "engagement" {
				if e.EngagedMS <= 0 {
					t.Fatalf("engagement of %s without engaged time: %+v", e.Path, e)
				}
				scroll[e.Path] = e.Scroll
			}
		}
		if len(scroll) != 3 || scroll["/app"] != 100 || scroll["/app/pricing"] >= 50 || scroll["/app/contact"] >= 50 {
			t.Fatalf("scroll by page %v; want /app at 100 and /app/pricing and /app/contact at their top: %s", scroll, names(es))
		}
	})

	t.Run("with data-hash, routes are pages and anchors are not", func(t *testing.T) {
		id, origin := newSite(t, "hash.test")
		browser.Do(t, b, 20*time.Second, chromedp.Navigate(origin+"/hash?attrs=data-hash%3Dtrue#/home"), chromedp.WaitVisible(chromedp.CSS("h1")),
			chromedp.Sleep(300*time.Millisecond), chromedp.Evaluate[chromedp.Void](`document.getElementById('products').click()`),
			chromedp.Sleep(300*time.Millisecond), chromedp.Evaluate[chromedp.Void](`document.getElementById('toc').click()`),
			chromedp.Sleep(300*time.Millisecond), chromedp.Evaluate[chromedp.Void](`document.getElementById('about').click()`))
		es := waitEvents(t, a, id, "the #/about pageview", func(es []storedEvent) bool {
			return slices.ContainsFunc(es, func(e storedEvent) bool { return e.Path == "/hash#/about" })
		})
		var pv, eng []string
		for _, e := range es {
			switch e.Name {
			case "pageview":
				pv = append(pv, e.Path)
			case "engagement":
				eng = append(eng, e.Path)
			}
		}
		if got := strings.Join(pv, " "); got != "/hash#/home /hash#/products /hash#/about" {
			t.Fatalf("pageviews %s; want the three routes, not the anchor", got)
		}
		if got := strings.Join(eng, " "); got != "/hash#/home /hash#/products" {
			t.Fatalf("engagement of %s; want each route's own before the next", got)
		}
	})

	t.Run("outbound click that navigates away and a download are recorded", func(t *testing.T) {
		id, origin := newSite(t, "links.test")
		browser.Do(t, b, 20*time.Second, chromedp.Navigate(origin+"/links"), chromedp.WaitVisible(chromedp.CSS("h1")),
			chromedp.Click(chromedp.ID("dl")), chromedp.Sleep(300*time.Millisecond),
			chromedp.Navigate(origin+"/links"), chromedp.WaitVisible(chromedp.CSS("#out")),
			chromedp.Click(chromedp.ID("out")), chromedp.WaitVisible(chromedp.CSS("h1")))
		if loc := browser.Get(t, b, 5*time.Second, chromedp.Location()); !strings.Contains(loc, "other.test") {
			t.Fatalf("the outbound click did not navigate: at %s", loc)
		}
		es := waitEvents(t, a, id, "outbound and download", func(es []storedEvent) bool {
			return count(es, "outbound") == 1 && count(es, "download") == 1
		})
		for _, e := range es {
			if e.Name == "download" && !strings.Contains(e.Props, "report.pdf") {
				t.Fatalf("download props %s", e.Props)
			}
			if e.Name == "outbound" && !strings.Contains(e.Props, "other.test") {
				t.Fatalf("outbound props %s", e.Props)
			}
		}
	})

	t.Run("data-downloads takes a list written with spaces and capitals", func(t *testing.T) {
		id, origin := newSite(t, "downloads.test")
		browser.Do(t, b, 20*time.Second, chromedp.Navigate(origin+"/links?attrs=data-downloads%3D%22pdf%2C%20EPUB%2C%20mobi%22"),
			chromedp.WaitVisible(chromedp.CSS("h1")), chromedp.Click(chromedp.ID("epub")))
		es := waitEvents(t, a, id, "the download", func(es []storedEvent) bool { return count(es, "download") == 1 })
		for _, e := range es {
			if e.Name == "download" && !strings.Contains(e.Props, "book.epub") {
				t.Fatalf("download props %s", e.Props)
			}
		}
	})

	t.Run("content block seen for a second counts one impression, then a click", func(t *testing.T) {
		id, origin := newSite(t, "content.test")
		browser.Do(t, b, 20*time.Second, chromedp.Navigate(origin+"/content"), chromedp.WaitVisible(chromedp.CSS("h1")),
			chromedp.Sleep(1200*time.Millisecond)) // below the fold: no impression yet
		if es := events(t, a.Store, id); count(es, "impression") != 0 {
			t.Fatalf("impression before the block was visible: %s", names(es))
		}
		browser.Do(t, b, 20*time.Second, chromedp.ScrollIntoView(chromedp.ID("hero")), chromedp.Sleep(1500*time.Millisecond),
			chromedp.Evaluate[chromedp.Void](`window.scrollTo(0, 0)`), chromedp.Sleep(300*time.Millisecond),
			chromedp.ScrollIntoView(chromedp.ID("hero")), chromedp.Sleep(1300*time.Millisecond),
			chromedp.Click(chromedp.ID("hero-link")))
		es := waitEvents(t, a, id, "impression and click", func(es []storedEvent) bool { return count(es, "click") == 1 })
		if n := count(es, "impression"); n != 1 {
			t.Fatalf("%d impressions; want exactly 1 per pageview: %s", n, names(es))
		}
		for _, e := range es {
			if (e.Name == "impression" || e.Name == "click") && e.Content != "hero|banner|/pricing" {
				t.Fatalf("%s content %q; want hero|banner|/pricing", e.Name, e.Content)
			}
		}
	})

	t.Run("a block in a hidden tab makes no impression until it is seen", func(t *testing.T) {
		id, origin := newSite(t, "background.test")
		browser.Do(t, b, 20*time.Second, chromedp.Navigate(origin+"/background"), chromedp.WaitVisible(chromedp.CSS("h1")),
			chromedp.Sleep(1500*time.Millisecond), chromedp.Evaluate[chromedp.Void](`omnistat('event', 'still_hidden')`))
		es := waitEvents(t, a, id, "the event sent while hidden", func(es []storedEvent) bool { return count(es, "still_hidden") == 1 })
		if n := count(es, "impression"); n != 0 {
			t.Fatalf("%d impressions while the tab was hidden: %s", n, names(es))
		}
		browser.Do(t, b, 20*time.Second, setVisibility("visible"))
		waitEvents(t, a, id, "the impression once visible", func(es []storedEvent) bool { return count(es, "impression") == 1 })
	})

	t.Run("a hidden tab pauses engaged time", func(t *testing.T) {
		id, origin := newSite(t, "read.test")
		browser.Do(t, b, 30*time.Second, chromedp.Navigate(origin+"/read"), chromedp.WaitVisible(chromedp.CSS("h1")),
			chromedp.Sleep(1500*time.Millisecond), setVisibility("hidden"),
			chromedp.Sleep(3*time.Second), setVisibility("visible"),
			chromedp.Sleep(time.Second), chromedp.Click(chromedp.ID("next")), chromedp.WaitVisible(chromedp.CSS("h1")))
		es := waitEvents(t, a, id, "engagement after leaving", func(es []storedEvent) bool { return count(es, "pageview") == 2 && count(es, "engagement") >= 2 })
		var total int64
		for _, e := range es {
			if e.Name == "engagement" && e.Path == "/read" {
				total += e.EngagedMS
			}
		}
		if total < 2000 || total > 3800 {
			t.Fatalf("engaged %d ms on a page visible 2.5 s and hidden 3 s; want about 2500: %s", total, names(es))
		}
	})

	t.Run("custom event queued before load, with revenue and user id", func(t *testing.T) {
		id, origin := newSite(t, "custom.test")
		browser.Do(t, b, 20*time.Second, chromedp.Navigate(origin+"/custom"), chromedp.WaitVisible(chromedp.CSS("h1")))
		es := waitEvents(t, a, id, "the queued event", func(es []storedEvent) bool { return count(es, "signup") == 1 })
		for _, e := range es {
			if e.Name == "signup" && (e.Props != `{"plan":"pro"}` || e.Revenue != 9.99 || e.Currency != "EUR") {
				t.Fatalf("signup %+v", e)
			}
		}
		res, err := a.Store.Query(ctx, "SELECT count() FROM events WHERE site_id = {s:UInt32} AND user_id = 'user-42'", store.Params{"s": fmt.Sprint(id)})
		if err != nil || res.Rows[0][0] != int64(2) {
			t.Fatalf("events with the identified user id: %v %v; want the pageview and the event", res.Rows, err)
		}
	})

	t.Run("consent mode sends a first-party id that stays", func(t *testing.T) {
		id, origin := newSite(t, "consent.test")
		browser.Do(t, b, 20*time.Second, chromedp.Navigate(origin+"/home?attrs=data-consent%3Dtrue"), chromedp.WaitVisible(chromedp.CSS("h1")),
			chromedp.Navigate(origin+"/read?attrs=data-consent%3Dtrue"), chromedp.WaitVisible(chromedp.CSS("h1")))
		cid := browser.Get(t, b, 5*time.Second, chromedp.Evaluate[string](`localStorage.omnistat_id`))
		es := waitEvents(t, a, id, "two pageviews", func(es []storedEvent) bool { return count(es, "pageview") == 2 })
		want := collector.ConsentVisitorID(id, cid)
		for _, e := range es {
			if e.Visitor != want {
				t.Fatalf("visitor %d; want the consent id's %d", e.Visitor, want)
			}
		}
		if cookies := browser.Get(t, b, 5*time.Second, chromedp.Evaluate[string](`document.cookie`)); cookies != "" {
			t.Fatalf("the tracker set cookies: %q", cookies)
		}
	})

	t.Run("forms opt-in sends form_submit", func(t *testing.T) {
		id, origin := newSite(t, "form.test")
		browser.Do(t, b, 20*time.Second, chromedp.Navigate(origin+"/form?attrs=data-forms%3Dtrue"), chromedp.WaitVisible(chromedp.CSS("h1")),
			chromedp.Click(chromedp.ID("send")), chromedp.Click(chromedp.ID("send-name")), chromedp.Click(chromedp.ID("send-id")))
		// The second and third forms have fields named "name" and "id", which a form's
		// own .name and .id return instead of its attributes.
		es := waitEvents(t, a, id, "three form_submits", func(es []storedEvent) bool { return count(es, "form_submit") == 3 })
		var forms []string
		for _, e := range es {
			var props map[string]string
			if e.Name == "form_submit" && json.Unmarshal([]byte(e.Props), &props) == nil {
				forms = append(forms, props["form"])
			}
		}
		sort.Strings(forms)
		if got := strings.Join(forms, " "); got != "/signup contact f" {
			t.Fatalf("form_submit props %s; want the forms' id, name or action", got)
		}
	})

	t.Run("long title, URL and link are cut, not refused", func(t *testing.T) {
		id, origin := newSite(t, "long.test")
		state := strings.Repeat("s", 2100)
		browser.Do(t, b, 20*time.Second, chromedp.Navigate(origin+"/long?state="+state+"&utm_source=newsletter&utm_medium=email"),
			chromedp.WaitVisible(chromedp.CSS("h1")), chromedp.Sleep(1500*time.Millisecond), // the block's impression
			chromedp.Click(chromedp.ID("far")), chromedp.WaitVisible(chromedp.CSS("h1")))
		es := waitEvents(t, a, id, "pageview, impression and outbound", func(es []storedEvent) bool {
			return count(es, "pageview") == 1 && count(es, "impression") == 1 && count(es, "outbound") == 1
		})
		for _, e := range es {
			switch e.Name {
			case "pageview":
				if want := string([]rune(longTitle)[:300]); e.Path != "/long" || e.Title != want {
					t.Fatalf("pageview %q titled %q; want /long titled with the first 300 characters %q", e.Path, e.Title, want)
				}
			case "impression":
				if !strings.HasPrefix(e.Content, "partner||http://other.test") {
					t.Fatalf("impression content %q", e.Content)
				}
			case "outbound":
				if !strings.Contains(e.Props, "other.test:") {
					t.Fatalf("outbound props %s", e.Props)
				}
			}
		}
		res, err := a.Store.Query(ctx, "SELECT source, medium FROM events WHERE site_id = {s:UInt32} AND name = 'pageview'", store.Params{"s": fmt.Sprint(id)})
		if err != nil || fmt.Sprint(res.Rows) != "[[newsletter email]]" {
			t.Fatalf("source and medium of the long URL: %v %v; want the utm tags after the long query", res.Rows, err)
		}
	})

	t.Run("hosts that only begin like local ones are counted", func(t *testing.T) {
		for _, domain := range []string{"localhostel.test", "127.test"} {
			id, origin := newSite(t, domain)
			browser.Do(t, b, 20*time.Second, chromedp.Navigate(origin+"/home"), chromedp.WaitVisible(chromedp.CSS("h1")))
			waitEvents(t, a, id, "the pageview on "+domain, func(es []storedEvent) bool { return count(es, "pageview") == 1 })
		}
	})

	// sentBy opens url and returns how many events the page's spy saw the tracker send.
	sentBy := func(t *testing.T, url string) int {
		browser.Do(t, b, 20*time.Second, chromedp.Navigate(url), chromedp.WaitVisible(chromedp.CSS("h1")))
		return len(browser.Get(t, b, 5*time.Second, chromedp.Evaluate[[]string](`window.sent`)))
	}

	t.Run("data-local counts a local page for a site of that name, and sends nothing it cannot", func(t *testing.T) {
		id, _ := newSite(t, "localhost")
		newSite(t, "local.test")
		local := "http://localhost:" + port
		if n := sentBy(t, local+"/home?spy=1"); n != 0 {
			t.Fatalf("without data-local, localhost sent %d events", n)
		}
		if n := sentBy(t, local+"/home?spy=1&site=local.test&attrs=data-local%3Dtrue"); n != 0 {
			t.Fatalf("data-local on localhost for the site local.test sent %d events, which the collector refuses", n)
		}
		file := filepath.Join(t.TempDir(), "page.html")
		html := `<!doctype html><title>File</title>` + spy + `<script defer data-site="local.test" data-local="true" src="` + omnistat + `/js/omnistat.js"></script><h1>File</h1>`
		if err := os.WriteFile(file, []byte(html), 0o644); err != nil {
			t.Fatal(err)
		}
		if n := sentBy(t, "file://"+file); n != 0 {
			t.Fatalf("a file: page sent %d events, which the collector refuses", n)
		}
		if n := sentBy(t, local+"/read?spy=1&attrs=data-local%3Dtrue"); n != 1 {
			t.Fatalf("data-local on localhost for the site localhost sent %d events; want the pageview", n)
		}
		waitEvents(t, a, id, "the pageview on localhost", func(es []storedEvent) bool { return count(es, "pageview") == 1 })
		ip, _ := newSite(t, "127.0.0.1")
		if n := sentBy(t, "http://127.0.0.1:"+port+"/read?spy=1&attrs=data-local%3Dtrue"); n != 1 {
			t.Fatalf("data-local on 127.0.0.1 for the site 127.0.0.1 sent %d events; want the pageview", n)
		}
		waitEvents(t, a, ip, "the pageview on 127.0.0.1", func(es []storedEvent) bool { return count(es, "pageview") == 1 })
	})

	t.Run("data-local counts an automated browser, and the collector still drops a headless User-Agent", func(t *testing.T) {
		id, origin := newSite(t, "robot.test")
		if n := sentBy(t, origin+"/robot?spy=1"); n != 0 {
			t.Fatalf("an automated browser without data-local sent %d events", n)
		}
		if n := sentBy(t, origin+"/robot?spy=1&attrs=data-local%3Dtrue"); n != 1 {
			t.Fatalf("an automated browser with data-local sent %d events; want the pageview", n)
		}
		waitEvents(t, a, id, "the automated browser's pageview", func(es []storedEvent) bool { return count(es, "pageview") == 1 })

		// The same browser saying HeadlessChrome, as headless Chrome does unless told
		// otherwise: the tracker sends, the collector answers 202 and drops it as a bot.
		setUA := func(ua string) chromedp.Action[chromedp.Void] {
			return chromedp.Func(func(ctx context.Context, tg *chromedp.Target) error {
				_, err := cdp.Call(ctx, tg, emulation.SetUserAgentOverride, emulation.SetUserAgentOverrideParams{UserAgent: ua})
				return err
			})
		}
		before := droppedBots(t, a)
		browser.Do(t, b, 5*time.Second, setUA(strings.Replace(browser.UserAgent, "Chrome/", "HeadlessChrome/", 1)))
		defer browser.Do(t, b, 5*time.Second, setUA(browser.UserAgent))
		if n := sentBy(t, origin+"/read?spy=1&attrs=data-local%3Dtrue"); n != 1 {
			t.Fatalf("data-local with a HeadlessChrome User-Agent sent %d events; want the pageview", n)
		}
		deadline := time.Now().Add(20 * time.Second)
		for droppedBots(t, a) == before {
			if time.Now().After(deadline) {
				t.Fatalf("the HeadlessChrome pageview was not dropped as a bot; stored: %s", names(events(t, a.Store, id)))
			}
			time.Sleep(100 * time.Millisecond)
		}
		if es := events(t, a.Store, id); len(es) != 1 || es[0].Path != "/robot" {
			t.Fatalf("stored %s; want only the pageview of /robot", names(es))
		}
	})

	// Opt-out runs last: the flag stays in the browser's localStorage for that origin.
	t.Run("opted-out visitor sends nothing", func(t *testing.T) {
		id, origin := newSite(t, "optout.test")
		browser.Do(t, b, 20*time.Second, chromedp.Navigate(origin+"/home"), chromedp.WaitVisible(chromedp.CSS("h1")))
		waitEvents(t, a, id, "the first pageview", func(es []storedEvent) bool { return count(es, "pageview") == 1 })
		browser.Do(t, b, 20*time.Second, chromedp.Evaluate[chromedp.Void](`localStorage.omnistat_ignore = 'true'`),
			chromedp.Navigate(origin+"/read"), chromedp.WaitVisible(chromedp.CSS("h1")), chromedp.Sleep(1500*time.Millisecond))
		if es := events(t, a.Store, id); count(es, "pageview") != 1 {
			t.Fatalf("events after opting out: %s", names(es))
		}
	})
}

func mustIP(s string) netip.Addr { return netip.MustParseAddr(s) }
