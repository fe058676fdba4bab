package collector

import (
	"strings"
	"testing"
)

func TestDecodeAndValidate(t *testing.T) {
	long := func(n int) string { return strings.Repeat("a", n) }
	cases := []struct {
		name, body string
		server     bool
		wantErr    string // "" = valid
	}{
		{"minimal pageview", `{"site":"shop.example","name":"pageview","url":"https://shop.example/"}`, false, ""},
		{"everything", `{"site":"shop.example","name":"purchase","url":"https://shop.example/thanks?utm_source=x","referrer":"https://google.com/","title":"Thanks","screen":1280,"props":{"plan":"pro","seats":3,"trial":true},"content":{"name":"hero","piece":"banner.png","target":"/pricing"},"revenue":{"amount":"12.34","currency":"EUR"},"user_id":"u-1","visitor_id":"abc"}`, false, ""},
		{"engagement ping", `{"site":"shop.example","name":"engagement","url":"https://shop.example/","engaged_ms":1200,"scroll":80}`, false, ""},
		{"engaged_ms on a pageview", `{"site":"s.example","name":"pageview","url":"https://s.example/","engaged_ms":3600000}`, false, "engaged_ms: is only accepted on engagement events"},
		{"scroll on a click", `{"site":"s.example","name":"click","url":"https://s.example/","scroll":50}`, true, "scroll: is only accepted on engagement events"},
		{"numeric revenue amount", `{"site":"s.example","name":"buy","url":"https://s.example/","revenue":{"amount":12.5,"currency":"USD"}}`, false, ""},
		{"empty body", ``, false, "body: is empty"},
		{"not json", `{"site":`, false, "body: is cut short"},
		{"array", `[]`, false, "body: must be an object"},
		{"trailing data", `{"site":"s.example","name":"pageview","url":"https://s.example/"} {}`, false, "body: has data after"},
		{"unknown field", `{"site":"s.example","name":"pageview","url":"https://s.example/","colour":"red"}`, false, "colour: is not a known field"},
		{"missing site", `{"name":"pageview","url":"https://s.example/"}`, false, "site: is required"},
		{"missing name", `{"site":"s.example","url":"https://s.example/"}`, false, "name: is required"},
		{"long name", `{"site":"s.example","name":"` + long(121) + `","url":"https://s.example/"}`, false, "name: is longer than 120 characters"},
		{"missing url", `{"site":"s.example","name":"pageview"}`, false, "url: is required"},
		{"server without url", `{"site":"s.example","name":"call","user_id":"u1"}`, true, ""},
		{"relative url", `{"site":"s.example","name":"pageview","url":"/pricing"}`, false, "url: must be an absolute http(s) URL"},
		{"javascript url", `{"site":"s.example","name":"pageview","url":"javascript:alert(1)"}`, false, "url: must be an absolute http(s) URL"},
		{"long url", `{"site":"s.example","name":"pageview","url":"https://s.example/` + long(20000) + `"}`, false, ""},
		{"long title", `{"site":"s.example","name":"pageview","url":"https://s.example/","title":"` + long(301) + `"}`, false, "title: is longer than 300"},
		{"control char in title", `{"site":"s.example","name":"pageview","url":"https://s.example/","title":"a\u0000b"}`, false, "title: contains a control character"},
		{"screen as string", `{"site":"s.example","name":"pageview","url":"https://s.example/","screen":"wide"}`, false, "screen: must be a whole number"},
		{"negative screen", `{"site":"s.example","name":"pageview","url":"https://s.example/","screen":-1}`, false, "screen: must be between 0 and"},
		{"scroll over 100", `{"site":"s.example","name":"engagement","url":"https://s.example/","scroll":101}`, false, "scroll: must be between 0 and 100"},
		{"engaged too long", `{"site":"s.example","name":"engagement","url":"https://s.example/","engaged_ms":86400001}`, false, "engaged_ms: must be between"},
		{"props not object", `{"site":"s.example","name":"x","url":"https://s.example/","props":["a"]}`, false, "props: must be an object"},
		{"prop object value", `{"site":"s.example","name":"x","url":"https://s.example/","props":{"a":{"b":1}}}`, false, "props.a: must be a string, number or boolean"},
		{"prop long value", `{"site":"s.example","name":"x","url":"https://s.example/","props":{"a":"` + long(513) + `"}}`, false, "props.a: is longer than 512"},
		{"prop long key", `{"site":"s.example","name":"x","url":"https://s.example/","props":{"` + long(65) + `":"v"}}`, false, "is longer than 64"},
		{"too many props", `{"site":"s.example","name":"x","url":"https://s.example/","props":{` + manyProps(31) + `}}`, false, "props: has 31 keys; at most 30"},
		{"content without name", `{"site":"s.example","name":"impression","url":"https://s.example/","content":{"piece":"p"}}`, false, "content.name: is required"},
		{"revenue without currency", `{"site":"s.example","name":"buy","url":"https://s.example/","revenue":{"amount":"1.00"}}`, false, "revenue.currency: must be an ISO 4217"},
		{"revenue bad amount", `{"site":"s.example","name":"buy","url":"https://s.example/","revenue":{"amount":"1,00","currency":"EUR"}}`, false, "revenue.amount: must be a decimal"},
		{"revenue 5 decimals", `{"site":"s.example","name":"buy","url":"https://s.example/","revenue":{"amount":"1.00001","currency":"EUR"}}`, false, "revenue.amount: must be a decimal"},
		{"long user_id", `{"site":"s.example","name":"x","url":"https://s.example/","user_id":"` + long(257) + `"}`, false, "user_id: is longer than 256"},
		{"invalid utf-8 in title", "{\"site\":\"s.example\",\"name\":\"x\",\"url\":\"https://s.example/\",\"title\":\"\xff\"}", false, "title: is not valid UTF-8"},
		{"invalid utf-8 in name", "{\"site\":\"s.example\",\"name\":\"bad\xff\xfename\",\"url\":\"https://s.example/\"}", true, "name: is not valid UTF-8"},
		{"invalid utf-8 in a prop value", "{\"site\":\"s.example\",\"name\":\"x\",\"url\":\"https://s.example/\",\"props\":{\"plan\":\"p\xffro\"}}", false, "props.plan: is not valid UTF-8"},
		{"invalid utf-8 in a prop key", "{\"site\":\"s.example\",\"name\":\"x\",\"url\":\"https://s.example/\",\"props\":{\"pl\xffan\":\"pro\"}}", false, "props key: is not valid UTF-8"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			in, err := DecodeInput([]byte(tc.body))
			if err == nil {
				err = in.validate(tc.server)
			}
			if tc.wantErr == "" {
				if err != nil {
					t.Fatalf("got error %q; want none", err)
				}
				return
			}
			if err == nil || !strings.Contains(err.Error(), tc.wantErr) {
				t.Fatalf("got error %v; want one containing %q", err, tc.wantErr)
			}
		})
	}
}

func manyProps(n int) string {
	var parts []string
	for i := 0; i < n; i++ {
		parts = append(parts, `"k`+strings.Repeat("x", i)+`":"v"`)
	}
	return strings.Join(parts, ",")
}

func TestRevenueScaled(t *testing.T) {
	f := func(amount string, want int64) {
		t.Helper()
		r := Revenue{Amount: []byte(amount), Currency: "EUR"}
		got, err := r.scaled()
		if err != nil || got != want {
			t.Fatalf("scaled(%s) = %d, %v; want %d", amount, got, err, want)
		}
	}
	f(`"12.34"`, 123400)
	f(`"0.0001"`, 1)
	f(`"7"`, 70000)
	f(`"-3.5"`, -35000)
	f(`19.99`, 199900)
}
