package collector

import (
	"context"
	"fmt"
	"testing"
)

// Every event of a visit carries the visit's channel, device and browser, which its
// first web event decided, as reports read them (one value per visit); what a back
// end's event with no browser behind it gives and takes depends on what it says of
// itself.
func TestEventsTakeTheirVisitsProfile(t *testing.T) {
	ctx := context.Background()
	st, cat := shopStore(t)
	sink := &captureSink{}
	c := New(Config{Catalog: cat, Sink: sink, Store: st})
	steps := []struct {
		name   string
		source Source
		body   string
		want   string // channel device browser
	}{
		{"a browser's page from Google opens the visit", FromBrowser,
			`{"name":"pageview","visitor_id":"v","url":"https://shop.example/","referrer":"https://www.google.com/"}`, "[Organic Search Desktop Chrome]"},
		{"a back end's event with a page takes the visit's", FromServer,
			`{"name":"signup","visitor_id":"v","url":"https://shop.example/app"}`, "[Organic Search Desktop Chrome]"},
		{"one without a page too, not Offline", FromServer,
			`{"name":"paid","visitor_id":"v"}`, "[Organic Search Desktop Chrome]"},
		{"one naming its channel keeps it, on the visit's device", FromServer,
			`{"name":"visit","visitor_id":"v","channel":"Store"}`, "[Store Desktop Chrome]"},
		{"the visit's next page keeps its channel", FromBrowser,
			`{"name":"pageview","visitor_id":"v","url":"https://shop.example/b","referrer":"https://shop.example/"}`, "[Organic Search Desktop Chrome]"},

		{"a back end's page opens a visit with its own, no device", FromServer,
			`{"name":"pageview","visitor_id":"w","url":"https://shop.example/","referrer":"https://www.google.com/"}`, "[Organic Search  ]"},
		{"its next event takes the visit's", FromServer,
			`{"name":"purchase","visitor_id":"w","url":"https://shop.example/checkout"}`, "[Organic Search  ]"},
		{"a browser's page then gives the visit its own", FromBrowser,
			`{"name":"pageview","visitor_id":"w","url":"https://shop.example/?utm_source=nl&utm_medium=email"}`, "[Email Desktop Chrome]"},
		{"which the back end's next event takes", FromServer,
			`{"name":"refund","visitor_id":"w","url":"https://shop.example/orders"}`, "[Email Desktop Chrome]"},

		{"a back end's event naming its channel gives the visit nothing", FromServer,
			`{"name":"call","visitor_id":"x","channel":"Call center"}`, "[Call center  ]"},
		{"so the next one keeps its own", FromServer,
			`{"name":"quote","visitor_id":"x","url":"https://shop.example/quote"}`, "[Direct  ]"},

		{"a back end's event opening a visit without a url is Offline", FromServer,
			`{"name":"order","visitor_id":"y"}`, "[Offline  ]"},
		{"with a url, its tags decide", FromServer,
			`{"name":"order","visitor_id":"z","url":"https://shop.example/?utm_source=nl&utm_medium=email"}`, "[Email  ]"},
	}
	for _, s := range steps {
		in, err := DecodeInput([]byte(`{"site":"shop.example",` + s.body[1:]))
		if err != nil {
			t.Fatal(err)
		}
		r := Request{Input: in, Source: s.source,
			UserAgent: "Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/124.0.0.0 Safari/537.36"}
		if err := c.Accept(ctx, r); err != nil {
			t.Fatalf("%s: %v", s.name, err)
		}
		e := sink.events[len(sink.events)-1]
		if got := fmt.Sprint([]string{e.Channel, e.Device, e.Browser}); got != s.want {
			t.Errorf("%s: %s; want %s", s.name, got, s.want)
		}
	}
}
