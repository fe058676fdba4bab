package server_test

import (
	"encoding/json"
	"fmt"
	"net/http"
	"testing"
	"time"

	"github.com/omnistat/omnistat/app"
)

// A shop's back end sends the purchase of a visit that came from Google on a desktop
// browser (same visitor id, a minute later). The Devices, Browsers and Channels panels
// show that visit once, converted and not bounced, and a filter on its device keeps
// its purchase: a visit dimension has one value per visit (docs/METRICS.md).
func TestServerEventTakesTheWebVisitsDimensions(t *testing.T) {
	f := newFixture(t, app.Config{})
	auth := f.visitDimsSetup()
	if s, _, body := f.do(http.MethodPost, "/api/event", `{"site":"shop.example","name":"pageview","visitor_id":"dv1","url":"https://shop.example/shop","referrer":"https://www.google.com/"}`, nil); s != 202 {
		t.Fatalf("pageview: %d %s", s, body)
	}
	if s, _, body := f.do(http.MethodPost, "/api/v1/events", `{"events":[{"site":"shop.example","name":"purchase","visitor_id":"dv1","url":"https://shop.example/checkout"}]}`, auth); s != 202 {
		t.Fatalf("purchase: %d %s", s, body)
	}
	f.stored(`SELECT 1`)
	f.wantVisitRow(auth, `"dimensions":["device"]`, "Desktop", 1)
	f.wantVisitRow(auth, `"dimensions":["browser"]`, "Chrome", 1)
	f.wantVisitRow(auth, `"dimensions":["os"]`, "Windows", 1)
	f.wantVisitRow(auth, `"dimensions":["channel"]`, "Organic Search", 1)
	f.wantVisitRow(auth, `"filters":[["is","device",["Desktop"]]]`, "", 1)
}

// A backdated purchase (logged 20 minutes late) joins the desktop visit from Google
// that is still going on, and counts there too, whether the visit's page is stored
// already or still on its way to the store.
func TestBackdatedServerEventTakesTheWebVisitsDimensions(t *testing.T) {
	for _, stored := range []bool{true, false} {
		t.Run(fmt.Sprintf("page stored %v", stored), func(t *testing.T) {
			f := newFixture(t, app.Config{FlushInterval: time.Hour}) // nothing is stored until the test asks
			auth := f.visitDimsSetup()
			if s, _, body := f.do(http.MethodPost, "/api/event", `{"site":"shop.example","name":"pageview","visitor_id":"dv1","url":"https://shop.example/shop","referrer":"https://www.google.com/"}`, nil); s != 202 {
				t.Fatalf("pageview: %d %s", s, body)
			}
			if stored {
				f.stored(`SELECT 1`)
			}
			ago := time.Now().UTC().Add(-20 * time.Minute).Format(time.RFC3339)
			if s, _, body := f.do(http.MethodPost, "/api/v1/events", fmt.Sprintf(`{"events":[{"site":"shop.example","name":"purchase","visitor_id":"dv1","url":"https://shop.example/checkout","ts":%q}]}`, ago), auth); s != 202 {
				t.Fatalf("purchase: %d %s", s, body)
			}
			f.stored(`SELECT 1`)
			f.wantVisitRow(auth, `"dimensions":["device"]`, "Desktop", 1)
			f.wantVisitRow(auth, `"dimensions":["channel"]`, "Organic Search", 1)
			f.wantVisitRow(auth, `"filters":[["is","device",["Desktop"]]]`, "", 1)
		})
	}
}

// An import of a past visit (a pageview from Google, the purchase 30 seconds later on
// a page of its own) is one Organic Search visit that converted, not a bounced Organic
// Search visit beside a Direct one that converted: sent in one batch (visitor w1), or
// in two requests one right after the other (w2).
func TestBackdatedVisitIsInOneChannel(t *testing.T) {
	f := newFixture(t, app.Config{FlushInterval: time.Hour})
	auth := f.visitDimsSetup()
	t0 := time.Now().UTC().Add(-48 * time.Hour).Truncate(time.Second)
	page := func(v string) string {
		return fmt.Sprintf(`{"site":"shop.example","name":"pageview","visitor_id":%q,"url":"https://shop.example/","referrer":"https://www.google.com/","ts":%q}`, v, t0.Format(time.RFC3339))
	}
	purchase := func(v string) string {
		return fmt.Sprintf(`{"site":"shop.example","name":"purchase","visitor_id":%q,"url":"https://shop.example/","ts":%q}`, v, t0.Add(30*time.Second).Format(time.RFC3339))
	}
	for _, batch := range []string{page("w1") + "," + purchase("w1"), page("w2"), purchase("w2")} {
		if s, _, body := f.do(http.MethodPost, "/api/v1/events", `{"events":[`+batch+`]}`, auth); s != 202 {
			t.Fatalf("batch: %d %s", s, body)
		}
	}
	f.stored(`SELECT 1`)
	f.wantVisitRow(auth, `"dimensions":["channel"]`, "Organic Search", 2)
	f.wantVisitRow(auth, `"filters":[["is","channel",["Organic Search"]]]`, "", 2)
}

// visitDimsSetup makes purchases a goal and returns the key's header.
func (f *fixture) visitDimsSetup() map[string]string {
	f.t.Helper()
	auth := map[string]string{"Authorization": "Bearer " + f.key}
	if s, _, body := f.do(http.MethodPost, "/api/v1/goals", `{"site":"shop.example","event":"purchase"}`, auth); s != 201 {
		f.t.Fatalf("goal: %d %s", s, body)
	}
	return auth
}

// wantVisitRow queries the site's data with the given dimensions or filters and wants
// one row, value (none without dimensions), holding n visits that did not bounce and
// converted.
func (f *fixture) wantVisitRow(auth map[string]string, part, value string, n int) {
	f.t.Helper()
	q := `{"site":"shop.example","date_range":"all","metrics":["visits","bounce_rate","conversions"],` + part + `}`
	s, _, body := f.do(http.MethodPost, "/api/v1/query", q, auth)
	if s != 200 {
		f.t.Fatalf("query %s: %d %s", part, s, body)
	}
	var out struct {
		Results []struct {
			Dimensions []string  `json:"dimensions"`
			Metrics    []float64 `json:"metrics"`
		} `json:"results"`
	}
	if err := json.Unmarshal([]byte(body), &out); err != nil {
		f.t.Fatalf("query %s: %v in %s", part, err, body)
	}
	want := fmt.Sprintf("[{[%s] [%d 0 %d]}]", value, n, n)
	if got := fmt.Sprint(out.Results); got != want {
		f.t.Fatalf("%s: rows {dimensions [visits bounce_rate conversions]} %s; want %s, the visits that converted", part, got, want)
	}
}
