package collector

import (
	"testing"
	"time"
)

// The index holds what the spool holds, and not much more: an event is remembered until
// it is stored, however long that takes (the engine may be down), and forgotten a
// little while after.
func TestPendingForgetsStoredEvents(t *testing.T) {
	p := NewPending(ClusterKeep)
	t0 := time.Date(2026, 1, 1, 12, 0, 0, 0, time.UTC)
	k := sessionKey{site: 1, visitor: 7}
	events := []Event{{SiteID: 1, VisitorID: 7, SessionID: 10, TS: t0.Add(-time.Hour)}, {SiteID: 1, VisitorID: 7, SessionID: 10, TS: t0.Add(-50 * time.Minute)}}
	p.add(events, t0)
	if n := p.Sweep(t0.Add(time.Hour)); n != 2 {
		t.Fatalf("%d events remembered an hour later, not stored; want 2", n)
	}
	p.stored(keysOf(events[:1]), t0.Add(time.Hour))
	if got := p.find(k, t0.Add(-2*time.Hour), t0); len(got) != 2 {
		t.Fatalf("found %d events right after one was stored; want both", len(got))
	}
	if n := p.Sweep(t0.Add(time.Hour + ClusterKeep + time.Second)); n != 1 {
		t.Fatalf("%d events remembered after the stored one's keep; want 1, the one not stored", n)
	}
	p.drop(keysOf(events[1:]))
	if n := p.Sweep(t0.Add(2 * time.Hour)); n != 0 {
		t.Fatalf("%d events remembered after the spool refused the last; want none", n)
	}
}

// On one engine a stored event can be found in the store at once, so the index lets it
// go as soon as it is stored.
func TestPendingForgetsAtOnceOnOneEngine(t *testing.T) {
	p := NewPending(0)
	t0 := time.Date(2026, 1, 1, 12, 0, 0, 0, time.UTC)
	k := sessionKey{site: 1, visitor: 7}
	events := []Event{{SiteID: 1, VisitorID: 7, SessionID: 10, TS: t0.Add(-time.Hour)}, {SiteID: 1, VisitorID: 7, SessionID: 10, TS: t0.Add(-50 * time.Minute)}}
	p.add(events, t0)
	p.stored(keysOf(events[:1]), t0)
	if got := p.find(k, t0.Add(-2*time.Hour), t0); len(got) != 1 || !got[0].ts.Equal(events[1].TS) {
		t.Fatalf("found %v after the first event was stored; want only the second", got)
	}
}
