package collector

import (
	"reflect"
	"testing"
	"time"

	"github.com/omnistat/omnistat/schema"
)

func TestEventCodecRoundTrip(t *testing.T) {
	e := Event{SiteID: 7, TS: time.Date(2026, 3, 29, 1, 2, 3, 456e6, time.UTC), Name: "purchase",
		VisitorID: 42, SessionID: 43, UserID: "u-1", Channel: "Paid Search", Source: "Google", Medium: "cpc",
		Campaign: "spring", Term: "shoes", UTMContent: "ad-1", ClickID: "gclid", ReferrerDomain: "google.com",
		Referrer: "https://google.com/", Hostname: "shop.example", Path: "/thanks", Title: "Thanks ✓",
		Device: "Mobile", Browser: "Safari", BrowserVersion: "17.2", OS: "iOS", OSVersion: "17.2", Screen: 390,
		Country: "DE", Region: "Berlin", City: "Berlin", Language: "de-de", Props: map[string]string{"plan": "pro", "": "x"},
		ContentName: "hero", ContentPiece: "p", ContentTarget: "/t", EngagedMS: 1234, Scroll: 80, Revenue: -123400, Currency: "EUR"}
	b, err := e.MarshalBinary()
	if err != nil {
		t.Fatal(err)
	}
	var got Event
	if err := got.UnmarshalBinary(b); err != nil {
		t.Fatal(err)
	}
	if !reflect.DeepEqual(got, e) {
		t.Fatalf("round trip:\n got %+v\nwant %+v", got, e)
	}
	for i := 0; i < len(b); i++ {
		var cut Event
		if err := cut.UnmarshalBinary(b[:i]); err == nil {
			t.Fatalf("a record cut to %d of %d bytes decoded without error", i, len(b))
		}
	}
	if n := len(e.Row()); n != len(schema.EventColumns) {
		t.Fatalf("Row has %d values; schema.EventColumns has %d", n, len(schema.EventColumns))
	}
}
