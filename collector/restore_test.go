package collector

import (
	"context"
	"fmt"
	"io"
	"log/slog"
	"testing"
	"time"

	"github.com/omnistat/omnistat/catalog"
	"github.com/omnistat/omnistat/schema"
	"github.com/omnistat/omnistat/spool"
	"github.com/omnistat/omnistat/store"
	"github.com/omnistat/omnistat/store/embedded/embeddedtest"
)

// An import's second request after a restart joins the visit its first request opened,
// though that one is still in the spool (the engine is slow or down, or shipping has
// not caught up yet): the restart reads it back.
func TestBackdatedEventJoinsAVisitSpooledBeforeARestart(t *testing.T) {
	ctx := context.Background()
	st, cat := shopStore(t)
	openSpool := spoolOpener(t)
	t0 := time.Now().UTC().Add(-48 * time.Hour).Truncate(time.Second)
	batch := func(c *Collector, ts time.Time) {
		t.Helper()
		in, err := DecodeInput([]byte(`{"site":"shop.example","name":"pageview","visitor_id":"imp-1","url":"https://shop.example/","ts":"` + ts.Format(time.RFC3339) + `"}`))
		if err != nil {
			t.Fatal(err)
		}
		if n, errs := c.AcceptBatch(ctx, []Request{{Input: in, Source: FromServer}}); n != 1 {
			t.Fatalf("batch at %s: %v", ts, errs)
		}
	}

	before := openSpool()
	batch(New(Config{Catalog: cat, Sink: SpoolSink{Spool: before}, Store: st}), t0)
	before.Close() // the process ends; nothing was shipped

	after := openSpool()
	c := New(Config{Catalog: cat, Sink: SpoolSink{Spool: after}, Store: st})
	if _, err := c.Restore(ctx, after); err != nil {
		t.Fatal(err)
	}
	batch(c, t0.Add(10*time.Minute))
	visits := map[uint64]bool{}
	after.Records(func(rec []byte) error {
		var e Event
		if err := e.UnmarshalBinary(rec); err != nil {
			t.Fatal(err)
		}
		visits[e.SessionID] = true
		return nil
	})
	if len(visits) != 1 {
		t.Fatalf("the two pageviews 10 minutes apart are in %d visits; want 1", len(visits))
	}
}

// A restart keeps what a visit in progress came with, not only its channel: a shop's
// purchase sent after the restart counts in the visit's channel and on its browser and
// device, whether the visit's page was stored before the restart (visitor a) or was
// still in the spool (visitor b).
func TestRestartKeepsTheVisitsProfile(t *testing.T) {
	ctx := context.Background()
	st, cat := shopStore(t)
	openSpool := spoolOpener(t)
	accept := func(c *Collector, source Source, body string) {
		t.Helper()
		in, err := DecodeInput([]byte(body))
		if err != nil {
			t.Fatal(err)
		}
		r := Request{Input: in, Source: source,
			UserAgent: "Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/124.0.0.0 Safari/537.36"}
		if err := c.Accept(ctx, r); err != nil {
			t.Fatal(err)
		}
	}

	before := &captureSink{}
	c := New(Config{Catalog: cat, Sink: before, Store: st})
	for _, v := range []string{"a", "b"} {
		accept(c, FromBrowser, `{"site":"shop.example","name":"pageview","visitor_id":"`+v+`","url":"https://shop.example/","referrer":"https://www.google.com/"}`)
	}
	c, after := restartWith(t, st, cat, openSpool, before.events)
	for _, v := range []string{"a", "b"} {
		accept(c, FromServer, `{"site":"shop.example","name":"purchase","visitor_id":"`+v+`","url":"https://shop.example/checkout"}`)
	}
	for i, e := range after.events {
		if got := []string{e.Channel, e.Device, e.Browser, e.OS}; fmt.Sprint(got) != "[Organic Search Desktop Chrome Windows]" {
			t.Errorf("visitor %s's purchase after the restart has %q; want its visit's [Organic Search Desktop Chrome Windows]", []string{"a", "b"}[i], got)
		}
	}
}

// A restart keeps every visit a live event may still join: a store visit logged 40
// minutes late before the restart and the purchase sent 14 minutes late after it are
// one visit, whether the store visit was stored (visitor a) or still in the spool
// (visitor b).
func TestRestartKeepsVisitsALiveEventMayJoin(t *testing.T) {
	ctx := context.Background()
	st, cat := shopStore(t)
	openSpool := spoolOpener(t)
	now := time.Now().UTC()
	batch := func(c *Collector, visitor, name string, ago time.Duration) {
		t.Helper()
		in, err := DecodeInput([]byte(`{"site":"shop.example","name":"` + name + `","visitor_id":"` + visitor + `","channel":"Store","ts":"` + now.Add(-ago).Format(time.RFC3339) + `"}`))
		if err != nil {
			t.Fatal(err)
		}
		if n, errs := c.AcceptBatch(ctx, []Request{{Input: in, Source: FromServer}}); n != 1 {
			t.Fatalf("%s of %s: %v", name, visitor, errs)
		}
	}

	before := &captureSink{}
	c := New(Config{Catalog: cat, Sink: before, Store: st})
	batch(c, "a", "store_visit", 40*time.Minute)
	batch(c, "b", "store_visit", 40*time.Minute)
	c, after := restartWith(t, st, cat, openSpool, before.events)
	batch(c, "a", "purchase", 14*time.Minute)
	batch(c, "b", "purchase", 14*time.Minute)
	for i, e := range after.events {
		if e.SessionID != before.events[i].SessionID {
			t.Errorf("visitor %s's purchase after the restart opened a visit of its own; want the store visit's, 26 minutes before", []string{"a", "b"}[i])
		}
	}
}

// captureSink keeps the events appended to it.
type captureSink struct{ events []Event }

func (s *captureSink) Append(events []Event) error {
	s.events = append(s.events, events...)
	return nil
}

// shopStore is a migrated store on the embedded engine with the site shop.example.
func shopStore(t *testing.T) (store.Store, *catalog.Catalog) {
	t.Helper()
	ctx := context.Background()
	st := embeddedtest.Open(t)
	if _, err := schema.Migrate(ctx, st, schema.Options{}); err != nil {
		t.Fatal(err)
	}
	cat := catalog.New(st)
	if _, err := cat.AddSite(ctx, "shop.example", ""); err != nil {
		t.Fatal(err)
	}
	return st, cat
}

// spoolOpener opens a spool in one directory each time it is called, as every start of
// the process does.
func spoolOpener(t *testing.T) func() *spool.Spool {
	dir := t.TempDir()
	return func() *spool.Spool {
		t.Helper()
		sp, err := spool.Open(spool.Options{Dir: dir, SegmentMaxAge: time.Hour, Logger: slog.New(slog.NewTextHandler(io.Discard, nil))})
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { sp.Close() })
		return sp
	}
}

// restartWith stores the first of events and leaves the others in the spool, as a
// process that ended then would, and starts a collector that restores them; its events
// go to the returned sink.
func restartWith(t *testing.T, st store.Store, cat *catalog.Catalog, openSpool func() *spool.Spool, events []Event) (*Collector, *captureSink) {
	t.Helper()
	ctx := context.Background()
	rec, err := events[0].MarshalBinary()
	if err != nil {
		t.Fatal(err)
	}
	if err := Shipper(st, slog.New(slog.NewTextHandler(io.Discard, nil)), nil)(ctx, "before-restart", [][]byte{rec}); err != nil {
		t.Fatal(err)
	}
	sp := openSpool()
	if err := (SpoolSink{Spool: sp}).Append(events[1:]); err != nil {
		t.Fatal(err)
	}
	sp.Close() // the process ends

	after := &captureSink{}
	c := New(Config{Catalog: cat, Sink: after, Store: st})
	if _, err := c.Restore(ctx, openSpool()); err != nil {
		t.Fatal(err)
	}
	return c, after
}
