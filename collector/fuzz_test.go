package collector

import (
	"strings"
	"testing"
	"unicode/utf8"
)

// FuzzDecodeInput feeds the event decoder and validator arbitrary bodies: they must
// never panic, and whatever they accept must respect the contract's bounds. Seeds are
// here and in testdata/fuzz/FuzzDecodeInput; run longer with
// go test -fuzz FuzzDecodeInput ./collector/
func FuzzDecodeInput(f *testing.F) {
	for _, seed := range []string{
		`{"site":"shop.example","name":"pageview","url":"https://shop.example/"}`,
		`{"site":"s.example","name":"buy","url":"https://s.example/","props":{"a":1,"b":true,"c":"x"},"revenue":{"amount":"12.34","currency":"EUR"}}`,
		`{"site":"s.example","name":"engagement","url":"https://s.example/","engaged_ms":1000,"scroll":55}`,
		`{"site":"s.example","name":"impression","url":"https://s.example/","content":{"name":"hero","piece":"p","target":"/t"}}`,
		`{"site":"s.example","name":"x","url":"https://s.example/","props":{"k":{"nested":1}}}`,
		`{"site":"s.example","name":"x","url":"https://s.example/","revenue":{"amount":1e400,"currency":"EUR"}}`,
		`{"site":"s.example","name":"x","url":"https://s.example/","screen":1e30}`,
		`{"site":"\u0000","name":"\ud800","url":"https://s.example/"}`,
		`[1,2,3]`, `null`, `"string"`, `{}`, `{"props":null}`, ``,
	} {
		f.Add([]byte(seed), false)
	}
	f.Fuzz(func(t *testing.T, body []byte, server bool) {
		in, err := DecodeInput(body)
		if err != nil {
			return
		}
		if err := in.validate(server); err != nil {
			if fe, ok := err.(*FieldError); !ok || fe.Field == "" {
				t.Fatalf("validation error %v does not name a field", err)
			}
			return
		}
		for name, s := range map[string]string{"name": in.Name, "url": in.URL, "title": in.Title, "referrer": in.Referrer, "user_id": in.UserID} {
			if !utf8.ValidString(s) {
				t.Fatalf("accepted invalid UTF-8 in %s", name)
			}
			if strings.ContainsRune(s, 0) {
				t.Fatalf("accepted a NUL in %s", name)
			}
		}
		if utf8.RuneCountInString(in.Title) > maxTitle || len(in.Props) > maxProps || in.Scroll != nil && (*in.Scroll < 0 || *in.Scroll > 100) {
			t.Fatalf("accepted out-of-bounds input: %+v", in)
		}
		if in.Revenue != nil {
			if _, err := in.Revenue.scaled(); err != nil {
				t.Fatalf("validated revenue does not scale: %v", err)
			}
		}
	})
}
