package server_test

import (
	"net/http"
	"strings"
	"testing"

	"github.com/omnistat/omnistat/app"
)

// A newsletter reader logs in on the site, then buys in the shop: the web visit and
// the shop's server-side event are one journey, Email → Store, through the user id.
func TestJourneysAcrossChannels(t *testing.T) {
	f := newFixture(t, app.Config{})
	auth := map[string]string{"Authorization": "Bearer " + f.key}
	for _, body := range []string{
		`{"site":"shop.example","name":"pageview","url":"https://shop.example/?utm_source=newsletter&utm_medium=email"}`,
		`{"site":"shop.example","name":"login","url":"https://shop.example/account","user_id":"crm-7"}`,
	} {
		if s, _, out := f.do(http.MethodPost, "/api/event", body, nil); s != 202 {
			t.Fatalf("browser event: %d %s", s, out)
		}
	}
	if s, _, out := f.do(http.MethodPost, "/api/v1/events", `{"events":[{"site":"shop.example","name":"purchase","user_id":"crm-7","channel":"Store"}]}`, auth); s != 202 {
		t.Fatalf("shop event: %d %s", s, out)
	}
	if s, _, out := f.do(http.MethodPost, "/api/v1/goals", `{"site":"shop.example","event":"purchase"}`, auth); s != 201 {
		t.Fatalf("goal: %d %s", s, out)
	}
	f.stored(`SELECT 1`)

	s, _, body := f.do(http.MethodGet, "/api/v1/journeys?site=shop.example&date_range=day", "", auth)
	if s != 200 || !strings.Contains(body, `"journeys":[{"path":["Email","Store"],"conversions":1,"share":100}]`) {
		t.Fatalf("journeys: %d %s", s, body)
	}
	s, _, body = f.do(http.MethodGet, "/api/v1/attribution?site=shop.example&goal=purchase&model=first", "", auth)
	if s != 200 || !strings.Contains(body, `"channels":[{"channel":"Email","conversions":1,"share":100}]`) {
		t.Fatalf("first-touch attribution: %d %s", s, body)
	}
	s, _, body = f.do(http.MethodGet, "/api/v1/attribution?site=shop.example&goal=purchase&model=linear", "", auth)
	if s != 200 || !strings.Contains(body, `{"channel":"Email","conversions":0.5,"share":50}`) || !strings.Contains(body, `{"channel":"Store","conversions":0.5,"share":50}`) {
		t.Fatalf("linear attribution: %d %s", s, body)
	}

	if s, _, body := f.do(http.MethodGet, "/api/v1/attribution?site=shop.example&model=data_driven", "", auth); s != 400 || !strings.Contains(body, `model \"data_driven\"`) {
		t.Fatalf("unknown model: %d %s", s, body)
	}
	if s, _, _ := f.do(http.MethodGet, "/api/v1/journeys?site=shop.example", "", nil); s != 401 {
		t.Fatalf("no key: %d; want 401", s)
	}
	if _, err := f.a.Catalog.AddSite(t.Context(), "other.example", ""); err != nil {
		t.Fatal(err)
	}
	if s, _, _ := f.do(http.MethodGet, "/api/v1/attribution?site=other.example", "", auth); s != 403 {
		t.Fatalf("another site's key: %d; want 403", s)
	}
}
