package server_test

import (
	"encoding/json"
	"fmt"
	"net/http"
	"strings"
	"testing"

	"github.com/omnistat/omnistat/app"
)

// DELETE on goals, links and shares takes what it deletes in the query string or in a
// JSON body like POST's; a field the body gives wins over the query string's.
func TestDeleteTakesQueryStringOrJSONBody(t *testing.T) {
	f := newFixture(t, app.Config{})
	key := map[string]string{"Authorization": "Bearer " + f.key}
	user := f.loginAnn(t)

	// create makes one item with POST and returns its id (a goal's number, a link's
	// slug, a share's id).
	type endpoint struct {
		path, idField string
		auth          map[string]string
		create        func(n int) string
	}
	post := func(path, body string, auth map[string]string, field ...string) string {
		t.Helper()
		s, _, out := f.do(http.MethodPost, path, body, auth)
		if s != 201 {
			t.Fatalf("POST %s %s: %d %s", path, body, s, out)
		}
		var m map[string]any
		json.Unmarshal([]byte(out), &m)
		for _, k := range field[:len(field)-1] {
			m = m[k].(map[string]any)
		}
		return fmt.Sprint(m[field[len(field)-1]])
	}
	for _, ep := range []endpoint{
		{"/api/v1/goals", "id", key, func(n int) string {
			return post("/api/v1/goals", fmt.Sprintf(`{"site":"shop.example","event":"signup%d"}`, n), key, "goal", "id")
		}},
		{"/api/v1/links", "slug", key, func(n int) string {
			return post("/api/v1/links", fmt.Sprintf(`{"site":"shop.example","slug":"l%d","target":"https://shop.example/"}`, n), key, "link", "slug")
		}},
		{"/api/v1/shares", "id", user, func(n int) string {
			return post("/api/v1/shares", fmt.Sprintf(`{"site":"shop.example","name":"s%d"}`, n), user, "id")
		}},
	} {
		t.Run(strings.TrimPrefix(ep.path, "/api/v1/"), func(t *testing.T) {
			// value is the id as JSON: a goal's number is a number.
			value := func(id string) string {
				if ep.path == "/api/v1/goals" {
					return id
				}
				return `"` + id + `"`
			}
			exists := func(id string) bool {
				t.Helper()
				s, _, out := f.do(http.MethodGet, ep.path+"?site=shop.example", "", ep.auth)
				if s != 200 {
					t.Fatalf("list: %d %s", s, out)
				}
				return strings.Contains(out, fmt.Sprintf(`"%s":%s`, ep.idField, value(id)))
			}
			del := func(query, body string) (int, string) {
				t.Helper()
				s, _, out := f.do(http.MethodDelete, ep.path+query, body, ep.auth)
				return s, out
			}

			byQuery := ep.create(1)
			if s, out := del("?site=shop.example&"+ep.idField+"="+byQuery, ""); s != 204 || exists(byQuery) {
				t.Fatalf("DELETE with the query string: %d %s; want 204 and the item gone", s, out)
			}
			byBody := ep.create(2)
			if s, out := del("", fmt.Sprintf(`{"site":"shop.example","%s":%s}`, ep.idField, value(byBody))); s != 204 || exists(byBody) {
				t.Fatalf("DELETE with a JSON body: %d %s; want 204 and the item gone", s, out)
			}
			if s, out := del("", fmt.Sprintf(`{"site":"shop.example","%s":%s}`, ep.idField, value(byBody))); s != 404 {
				t.Fatalf("DELETE of a deleted item: %d %s; want 404", s, out)
			}
			kept, gone := ep.create(3), ep.create(4)
			if s, out := del("?site=shop.example&"+ep.idField+"="+kept, fmt.Sprintf(`{"%s":%s}`, ep.idField, value(gone))); s != 204 || exists(gone) || !exists(kept) {
				t.Fatalf("DELETE with both: %d %s; want the body's item gone and the query string's kept", s, out)
			}
			if s, out := del("", `{"site":"shop.example","colour":1}`); s != 400 || !strings.Contains(out, "colour: is not a known field") {
				t.Fatalf("DELETE with an unknown field: %d %s", s, out)
			}
			if s, out := del("", `{"site":"shop.example"}`); s != 400 && s != 404 || !strings.Contains(out, ep.idField) {
				t.Fatalf("DELETE naming nothing: %d %s; want an error naming %s", s, out, ep.idField)
			}
		})
	}
}
