package e2e

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"net/url"
	"os"
	"path/filepath"
	"runtime"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"

	"github.com/omnistat/omnistat/catalog"
	"github.com/omnistat/omnistat/collector"
	"github.com/omnistat/omnistat/internal/browser"
)

// screenshotDir is git-ignored; a person can look at what the dashboard shows.
func screenshotDir(t *testing.T) string {
	_, file, _, _ := runtime.Caller(0)
	dir := filepath.Join(filepath.Dir(file), "screenshots")
	if err := os.MkdirAll(dir, 0o755); err != nil {
		t.Fatal(err)
	}
	return dir
}

// The dashboard as a marketer uses it: log in, read the numbers (equal to the API's),
// filter by clicking a channel, build a funnel, and never run a visitor's HTML.
func TestDashboardInRealBrowser(t *testing.T) {
	a, base, _ := inProcess(t)
	ctx := context.Background()
	site, err := a.Catalog.AddSite(ctx, "dash.test", "UTC")
	if err != nil {
		t.Fatal(err)
	}
	if err := a.Catalog.AddUser(ctx, "marketer@dash.test", "correct horse battery"); err != nil {
		t.Fatal(err)
	}
	key, _, _ := a.Catalog.CreateKey(ctx, "test", []uint32{site.ID})
	if _, err := a.Catalog.AddGoal(ctx, site.ID, catalog.Goal{Event: "signup"}); err != nil {
		t.Fatal(err)
	}

	// Traffic: three visitors from e-mail, two from search, one direct; two sign up.
	xss := `<img src=x onerror="document.body.dataset.pwned=1">`
	var reqs []collector.Request
	add := func(ip, url, ref, name string) {
		reqs = append(reqs, collector.Request{IP: mustIP(ip), UserAgent: browser.UserAgent, Source: collector.FromBrowser,
			Input: collector.Input{Site: "dash.test", Name: name, URL: url, Referrer: ref, Title: xss}})
	}
	for i, v := range []struct{ ip, url, ref string }{
		{"81.2.69.1", "https://dash.test/pricing?utm_source=newsletter&utm_medium=email&utm_campaign=" + xss, ""},
		{"81.2.69.2", "https://dash.test/pricing?utm_source=newsletter&utm_medium=email&utm_campaign=spring", ""},
		{"81.2.69.3", "https://dash.test/blog?utm_source=newsletter&utm_medium=email&utm_campaign=spring", ""},
		{"81.2.69.4", "https://dash.test/pricing", "https://www.google.com/"},
		{"81.2.69.5", "https://dash.test/", "https://www.bing.com/"},
		{"81.2.69.6", "https://dash.test/", ""},
	} {
		add(v.ip, v.url, v.ref, "pageview")
		if i < 2 {
			add(v.ip, "https://dash.test/pricing", "", "signup")
		}
	}
	// Two orders in two currencies: the revenue card shows each, not their sum.
	for i, cur := range []string{"EUR", "USD"} {
		add(fmt.Sprint("81.2.69.", i+1), "https://dash.test/pricing", "", "order")
		reqs[len(reqs)-1].Input.Revenue = &collector.Revenue{Amount: json.RawMessage(`"12.50"`), Currency: cur}
	}
	for _, r := range reqs {
		if err := a.Collector.Accept(ctx, r); err != nil {
			t.Fatal(err)
		}
	}
	a.Spool.Flush()
	deadline := time.Now().Add(10 * time.Second)
	for a.Spool.Stats().Records > 0 && time.Now().Before(deadline) {
		time.Sleep(50 * time.Millisecond)
	}

	apiQuery := func(body string) map[string]any {
		req, _ := http.NewRequest(http.MethodPost, base+"/api/v1/query", strings.NewReader(body))
		req.Header.Set("Authorization", "Bearer "+key)
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		defer resp.Body.Close()
		var out map[string]any
		json.NewDecoder(resp.Body).Decode(&out)
		if resp.StatusCode != 200 {
			t.Fatalf("API: %d %v", resp.StatusCode, out)
		}
		return out
	}

	b := browser.New(t)
	shots := screenshotDir(t)
	shot := func(name string) {
		png := browser.Get(t, b, 20*time.Second, chromedp.FullScreenshot(100))
		os.WriteFile(filepath.Join(shots, name+".png"), png, 0o644)
	}
	browser.Do(t, b, 30*time.Second,
		chromedp.Navigate(base+"/?site=dash.test&range=day"),
		chromedp.WaitVisible(chromedp.ID("login-email")),
		chromedp.SetValue(chromedp.ID("login-email"), "marketer@dash.test"),
		chromedp.SetValue(chromedp.ID("login-password"), "correct horse battery"),
		chromedp.Click(chromedp.CSS("#login-form button")),
		chromedp.WaitVisible(chromedp.CSS(`body[data-loaded="true"] #panel-sources tr.row`)),
	)

	t.Run("numbers on screen equal the API's", func(t *testing.T) {
		totals := apiQuery(`{"site":"dash.test","date_range":"day","metrics":["visitors","visits","pageviews"]}`)["totals"].(map[string]any)
		for _, m := range []string{"visitors", "visits", "pageviews"} {
			got := browser.Get(t, b, 5*time.Second, chromedp.Text(chromedp.ID("stat-"+m)))
			if want := fmt.Sprint(totals[m]); got != want {
				t.Errorf("%s on screen %q; API says %s", m, got, want)
			}
		}
		if got := browser.Get(t, b, 5*time.Second, chromedp.Text(chromedp.ID("stat-visitors"))); got != "6" {
			t.Errorf("visitors %q; want 6", got)
		}
		if got := browser.Get(t, b, 5*time.Second, chromedp.Text(chromedp.ID("stat-revenue"))); got != "EUR 12.50 · USD 12.50" {
			t.Errorf("revenue %q; want EUR 12.50 · USD 12.50", got)
		}
		shot("overview")
	})

	t.Run("visitor text is inert", func(t *testing.T) {
		browser.Do(t, b, 10*time.Second, chromedp.Click(chromedp.CSS(`#panel-sources .tab[data-dim="campaign"]`)),
			chromedp.WaitVisible(chromedp.CSS(`#panel-sources tr.row`)), chromedp.Sleep(300*time.Millisecond))
		pwned := browser.Get(t, b, 5*time.Second, chromedp.Evaluate[bool](`document.body.dataset.pwned === '1' || document.querySelectorAll('#panels img').length > 0`))
		if pwned {
			t.Fatal("a campaign name ran as HTML")
		}
		text := browser.Get(t, b, 5*time.Second, chromedp.Text(chromedp.ID("panel-sources")))
		if !strings.Contains(text, "<img src=x") {
			t.Fatalf("the payload is not shown as text: %q", text)
		}
	})

	t.Run("clicking a channel filters the page and the URL", func(t *testing.T) {
		browser.Do(t, b, 20*time.Second, chromedp.Click(chromedp.CSS(`#panel-sources .tab[data-dim="channel"]`)),
			chromedp.WaitVisible(chromedp.CSS(`#panel-sources tr.row[data-value="Email"]`)),
			chromedp.Click(chromedp.CSS(`#panel-sources tr.row[data-value="Email"]`)),
			chromedp.WaitVisible(chromedp.CSS(`.chip[data-dim="channel"]`)),
			chromedp.WaitVisible(chromedp.CSS(`body[data-loaded="true"] #stat-visitors`)))
		loc, _ := url.QueryUnescape(browser.Get(t, b, 5*time.Second, chromedp.Location()))
		if !strings.Contains(loc, "f=channel~is~Email") {
			t.Fatalf("URL %s does not carry the filter", loc)
		}
		if got := browser.Get(t, b, 5*time.Second, chromedp.Text(chromedp.ID("stat-visitors"))); got != "3" {
			t.Fatalf("visitors from Email on screen %q; want 3", got)
		}
		// The panel drilled down from channels to sources.
		if src := browser.Get(t, b, 5*time.Second, chromedp.Text(chromedp.CSS(`#panel-sources tr.row td.dim`))); src != "newsletter" {
			t.Fatalf("first source under Email %q; want newsletter", src)
		}
		// Removing the chip removes the filter.
		browser.Do(t, b, 20*time.Second, chromedp.Click(chromedp.CSS(`.chip-x`)), chromedp.WaitVisible(chromedp.CSS(`body[data-loaded="true"] #stat-visitors`)))
		if got := browser.Get(t, b, 5*time.Second, chromedp.Text(chromedp.ID("stat-visitors"))); got != "6" {
			t.Fatalf("visitors after removing the filter %q; want 6", got)
		}
	})

	t.Run("a funnel shows the right counts", func(t *testing.T) {
		browser.Do(t, b, 20*time.Second, chromedp.Click(chromedp.CSS(`nav a[data-view="funnels"]`)),
			chromedp.WaitVisible(chromedp.ID("funnel-form")),
			chromedp.SetValue(chromedp.CSS(`#funnel-steps .step:nth-child(1) .step-value`), "/pricing"),
			chromedp.SetValue(chromedp.CSS(`#funnel-steps .step:nth-child(2) .step-value`), "signup"),
			chromedp.Click(chromedp.CSS(`#funnel-form button[type="submit"]`)),
			chromedp.WaitVisible(chromedp.CSS(`body[data-funnel="true"] .funnel-step`)))
		counts := browser.Get(t, b, 5*time.Second, chromedp.Evaluate[[]string](`Array.from(document.querySelectorAll('.funnel-visitors')).map(e => e.textContent)`))
		if strings.Join(counts, ",") != "3 visitors,2 visitors" {
			t.Fatalf("funnel counts %v; want 3 then 2", counts)
		}
		shot("funnel")

		// A filter chip applies to the funnel too: from e-mail, the two visitors who
		// saw /pricing both signed up.
		browser.Do(t, b, 20*time.Second, chromedp.Navigate(base+"/?site=dash.test&range=day&view=funnels&f=channel~is~Email"),
			chromedp.WaitVisible(chromedp.CSS(`#funnel-steps .step`)),
			chromedp.SetValue(chromedp.CSS(`#funnel-steps .step:nth-child(1) .step-value`), "/pricing"),
			chromedp.Evaluate[chromedp.Void](`document.body.dataset.funnel = '', {}`),
			chromedp.Click(chromedp.CSS(`#funnel-form button[type="submit"]`)),
			chromedp.WaitVisible(chromedp.CSS(`body[data-funnel="true"] .funnel-step`)))
		counts = browser.Get(t, b, 5*time.Second, chromedp.Evaluate[[]string](`Array.from(document.querySelectorAll('.funnel-visitors')).map(e => e.textContent)`))
		if strings.Join(counts, ",") != "2 visitors,2 visitors" {
			t.Fatalf("funnel with the Email chip %v; want 2 then 2", counts)
		}
		// The funnel is in the URL: a reload (or the link, sent to a colleague) shows it again.
		browser.Do(t, b, 20*time.Second, chromedp.Reload(), chromedp.WaitVisible(chromedp.CSS(`body[data-funnel="true"] .funnel-step`)))
		counts = browser.Get(t, b, 5*time.Second, chromedp.Evaluate[[]string](`Array.from(document.querySelectorAll('.funnel-visitors')).map(e => e.textContent)`))
		if strings.Join(counts, ",") != "2 visitors,2 visitors" {
			t.Fatalf("the funnel after a reload %v; want 2 then 2", counts)
		}
		// Another range runs the funnel shown again instead of leaving old numbers.
		browser.Do(t, b, 20*time.Second, chromedp.Evaluate[chromedp.Void](`document.body.dataset.funnel = '', {}`),
			chromedp.SetValue(chromedp.ID("range"), "7d"),
			chromedp.Evaluate[chromedp.Void](`document.getElementById('range').dispatchEvent(new Event('change')), {}`),
			chromedp.WaitVisible(chromedp.CSS(`body[data-funnel="true"] .funnel-step`)))
		browser.Do(t, b, 20*time.Second, chromedp.Navigate(base+"/?site=dash.test&range=day"),
			chromedp.WaitVisible(chromedp.CSS(`body[data-loaded="true"] #stat-visitors`)))
	})

	t.Run("journeys credit the channel that brought the sign-ups", func(t *testing.T) {
		browser.Do(t, b, 20*time.Second, chromedp.Click(chromedp.CSS(`nav a[data-view="journeys"]`)),
			chromedp.WaitVisible(chromedp.CSS(`body[data-journeys="true"] #attribution-total`)))
		if got := browser.Get(t, b, 5*time.Second, chromedp.Text(chromedp.ID("attribution-total"))); got != "2 conversions" {
			t.Fatalf("attribution total %q; want 2 conversions", got)
		}
		credit := browser.Get(t, b, 5*time.Second, chromedp.Evaluate[[]string](`Array.from(document.querySelectorAll('#attribution tr.credit')).map(r => r.dataset.channel + ' ' + r.cells[1].textContent)`))
		if strings.Join(credit, ",") != "Email 2" {
			t.Fatalf("credit by channel %v; want Email 2", credit)
		}
		paths := browser.Get(t, b, 5*time.Second, chromedp.Evaluate[[]string](`Array.from(document.querySelectorAll('#journeys tr.journey')).map(r => r.cells[0].textContent + ' ' + r.cells[1].textContent)`))
		if strings.Join(paths, ",") != "Email 2" {
			t.Fatalf("journeys %v; want Email 2", paths)
		}
		shot("journeys")
		// The chosen model stays through a reload.
		browser.Do(t, b, 20*time.Second, chromedp.SetValue(chromedp.ID("journey-model"), "first"),
			chromedp.Click(chromedp.CSS(`#journey-form button[type="submit"]`)),
			chromedp.WaitVisible(chromedp.CSS(`body[data-journeys="true"] #attribution-total`)),
			chromedp.Reload(), chromedp.WaitVisible(chromedp.CSS(`body[data-journeys="true"] #attribution-total`)))
		if model := browser.Get(t, b, 5*time.Second, chromedp.Value(chromedp.ID("journey-model"))); model != "first" {
			t.Fatalf("after a reload the model is %q; want first", model)
		}
	})

	t.Run("a shared link shows the dashboard read-only, behind its password", func(t *testing.T) {
		browser.Do(t, b, 20*time.Second, chromedp.Click(chromedp.CSS(`nav a[data-view="settings"]`)),
			chromedp.WaitVisible(chromedp.ID("share-create")),
			chromedp.SetValue(chromedp.ID("share-name"), "board <b>report</b>"),
			chromedp.SetValue(chromedp.ID("share-new-password"), "let me in please"),
			chromedp.Click(chromedp.CSS(`#share-create button`)),
			chromedp.WaitVisible(chromedp.CSS(`#shares-card a.share-url`)))
		link := browser.Get(t, b, 5*time.Second, chromedp.Evaluate[string](`document.querySelector('#shares-card a.share-url').href`))
		if !strings.HasPrefix(link, base+"/share/") {
			t.Fatalf("shared link %q", link)
		}
		if text := browser.Get(t, b, 5*time.Second, chromedp.Text(chromedp.ID("shares-card"))); !strings.Contains(text, "board <b>report</b>") {
			t.Fatalf("the link's name is not shown as text: %q", text)
		}
		shot("settings")

		// Someone without an account, in a browser of their own.
		guest := browser.New(t)
		browser.Do(t, guest, 20*time.Second, chromedp.Navigate(link+"?range=day"),
			chromedp.WaitVisible(chromedp.ID("share-password")),
			chromedp.SetValue(chromedp.ID("share-password"), "not the password"),
			chromedp.Click(chromedp.ID("share-open")),
			chromedp.WaitVisible(chromedp.CSS(`#share-error:not(:empty)`)))
		if got := browser.Get(t, guest, 5*time.Second, chromedp.Text(chromedp.ID("share-error"))); !strings.Contains(got, "not right") {
			t.Fatalf("a wrong password says %q", got)
		}
		browser.Do(t, guest, 20*time.Second,
			chromedp.SetValue(chromedp.ID("share-password"), "let me in please"),
			chromedp.Click(chromedp.ID("share-open")),
			chromedp.WaitVisible(chromedp.CSS(`body[data-loaded="true"] #panel-sources tr.row`)))
		if got := browser.Get(t, guest, 5*time.Second, chromedp.Text(chromedp.ID("stat-visitors"))); got != "6" {
			t.Fatalf("visitors through the shared link %q; want 6", got)
		}
		hidden := browser.Get(t, guest, 5*time.Second, chromedp.Evaluate[bool](
			`getComputedStyle(document.querySelector('nav a[data-view="settings"]')).display === 'none' && document.getElementById('site').disabled`))
		if !hidden {
			t.Fatal("the shared view offers settings or other sites")
		}
		png := browser.Get(t, guest, 20*time.Second, chromedp.FullScreenshot(100))
		os.WriteFile(filepath.Join(shots, "shared.png"), png, 0o644)

		// Revoked, after saying yes to the question: the link stops working, and says so.
		browser.Do(t, b, 20*time.Second, chromedp.Evaluate[chromedp.Void](`window.confirm = m => (window.asked = m, true), {}`),
			chromedp.Click(chromedp.CSS(`#shares-card tbody button.link`)),
			chromedp.WaitNotPresent(chromedp.CSS(`#shares-card a.share-url`)))
		if asked := browser.Get(t, b, 5*time.Second, chromedp.Evaluate[string](`window.asked`)); asked != "Delete shared link board <b>report</b>?" {
			t.Errorf("before revoking, the dashboard asked %q", asked)
		}
		browser.Do(t, guest, 20*time.Second, chromedp.Reload(),
			chromedp.WaitVisible(chromedp.ID("share-message")))
		if got := browser.Get(t, guest, 5*time.Second, chromedp.Text(chromedp.ID("share-message"))); !strings.Contains(got, "revoked") {
			t.Fatalf("a revoked link says %q", got)
		}
	})

	t.Run("phone layout", func(t *testing.T) {
		browser.Do(t, b, 20*time.Second, chromedp.EmulateViewport(390, 844, chromedp.EmulateScale(2)),
			chromedp.Navigate(base+"/?site=dash.test&range=day"),
			chromedp.WaitVisible(chromedp.CSS(`body[data-loaded="true"] #stat-visitors`)))
		wide := browser.Get(t, b, 5*time.Second, chromedp.Evaluate[bool](`document.documentElement.scrollWidth > window.innerWidth + 1`))
		if wide {
			culprit := browser.Get(t, b, 5*time.Second, chromedp.Evaluate[string](`Array.from(document.querySelectorAll('#view-overview *')).filter(e => e.scrollWidth > e.clientWidth + 1 || e.getBoundingClientRect().right > 380).slice(0, 12).map(e => e.tagName + '.' + e.className + '#' + e.id + ' ' + Math.round(e.getBoundingClientRect().right)).join('; ') + ' inner=' + window.innerWidth + ' scroll=' + document.documentElement.scrollWidth`))
			t.Errorf("the phone layout scrolls sideways: %s", culprit)
		}
		// Every panel's column headings readable: "Visitors" and "Visits" cut to
		// "VISIT…" cannot be told apart.
		cut := browser.Get(t, b, 5*time.Second, chromedp.Evaluate[[]string](`Array.from(document.querySelectorAll('.panels th')).filter(e => e.offsetWidth > 0 && e.scrollWidth > e.clientWidth + 1).map(e => e.textContent + ' ' + e.clientWidth + '/' + e.scrollWidth + 'px')`))
		if len(cut) > 0 {
			t.Errorf("column headings cut on a phone: %v", cut)
		}
		shot("phone")
	})
}
