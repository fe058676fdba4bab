package server_test

import (
	"encoding/json"
	"net/http"
	"strings"
	"testing"

	"github.com/omnistat/omnistat/app"
)

// A script author who sends a wrong body must read which JSON field is wrong and
// what it should be, in the API's own words, never a Go type or field name.
func TestJSONBodyErrorsNameTheField(t *testing.T) {
	f := newFixture(t, app.Config{})
	auth := map[string]string{"Authorization": "Bearer " + f.key}
	cases := []struct {
		name, path, body string
		want             string
	}{
		{"wrong type in an embedded field", "/api/v1/goals", `{"site":"shop.example","event":123}`, "event: must be a string, not a number"},
		{"wrong type at the top", "/api/v1/goals", `{"site":true}`, "site: must be a string, not true or false"},
		{"empty goal", "/api/v1/goals", `{"site":"shop.example"}`, "event or page: one is required"},
		{"goal with both", "/api/v1/goals", `{"site":"shop.example","event":"signup","page":"/thanks"}`, "event and page: send only one of them"},
		{"cut off", "/api/v1/goals", `{`, "body: is malformed JSON"},
		{"cut off inside", "/api/v1/query", `{"site":"shop.example","metrics":["visitors"`, "body: is malformed JSON"},
		{"syntax error", "/api/v1/query", `{"site":}`, "body: is malformed JSON"},
		{"array body", "/api/v1/goals", `[]`, "body: must be a JSON object {...}, not an array"},
		{"null body", "/api/v1/links", `null`, "body: must be a JSON object {...}, not null"},
		{"empty body", "/api/v1/links", ``, "body: is empty"},
		{"trailing data", "/api/v1/goals", `{"site":"shop.example","event":"a"} {}`, "body: has data after the JSON object"},
		{"unknown field", "/api/v1/links", `{"site":"shop.example","slug":"a","target":"https://shop.example/","colour":"red"}`, "colour: is not a known field"},
		{"nested wrong type", "/api/v1/funnel", `{"site":"shop.example","date_range":"7d","steps":[{"pageview":1}]}`, "steps.pageview: must be a string, not a number"},
		{"array expected", "/api/v1/query", `{"site":"shop.example","metrics":"visitors"}`, "metrics: must be an array, not a string"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			s, hdr, body := f.do(http.MethodPost, tc.path, tc.body, auth)
			var e map[string]string
			if s != 400 || !strings.HasPrefix(hdr.Get("Content-Type"), "application/json") || json.Unmarshal([]byte(body), &e) != nil {
				t.Fatalf("%d %s %s; want a 400 JSON error", s, hdr.Get("Content-Type"), body)
			}
			if !strings.Contains(e["error"], tc.want) {
				t.Fatalf("error %q; want it to contain %q", e["error"], tc.want)
			}
			for _, leak := range []string{"Goal", "Request", "struct", "field  "} {
				if strings.Contains(e["error"], leak) {
					t.Fatalf("error %q leaks %q", e["error"], leak)
				}
			}
		})
	}
}
