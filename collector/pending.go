package collector

import (
	"sync"
	"time"
)

// ClusterKeep is how long an event should stay in Pending after it was stored on a
// ClickHouse cluster: an insert into the Distributed events table reaches the shards a
// moment after it returns (the engine forwards it in the background, every 100 ms by
// default), so the store may not show it to a lookup at once. On one engine, embedded
// or a server, a stored event is visible when the insert returns and is forgotten then:
// the index holds every event of its keep, and at 35,000 events/s a keep of two
// minutes made the server's Go heap twice as large (405 MB against 220).
const ClusterKeep = 15 * time.Second

// Pending remembers, per visitor, the time, visit and visit's profile of each event
// accepted but not yet stored: it waits in the spool for up to the flush interval, and
// for as long as the engine is down. A backdated event's visit is found among the
// visitor's stored events and these, so an importer that sends a visit's events in two
// requests, one right after the other, gets one visit, as it does when it sends them a
// second apart, and in the channel of its first page.
// Its size follows the spool's, which is bounded (--spool-max-bytes); an event is
// forgotten keep after it was stored.
type Pending struct {
	keep   time.Duration
	shards [64]pendingShard
}

type pendingShard struct {
	mu sync.Mutex
	m  map[sessionKey][]pendingEvent
}

type pendingEvent struct {
	ts      int64 // Unix milliseconds, as stored
	session uint64
	since   int64    // Unix milliseconds: when it was accepted, then when it was stored
	visit   *profile // its visit's profile when it was accepted, shared with the visit
	stored  bool
}

// NewPending returns an empty index that forgets an event keep after it was stored
// (0: when it is stored; ClusterKeep on a cluster).
func NewPending(keep time.Duration) *Pending {
	p := &Pending{keep: keep}
	for i := range p.shards {
		p.shards[i].m = map[sessionKey][]pendingEvent{}
	}
	return p
}

func (p *Pending) shard(k sessionKey) *pendingShard {
	return &p.shards[k.visitor%uint64(len(p.shards))]
}

// add remembers events about to be appended to the spool. It runs before the append,
// so the shipper cannot store them before they are known here.
func (p *Pending) add(events []Event, now time.Time) {
	for i := range events {
		e := &events[i]
		k := sessionKey{e.SiteID, e.VisitorID}
		sh := p.shard(k)
		sh.mu.Lock()
		sh.m[k] = append(sh.m[k], pendingEvent{ts: e.TS.UnixMilli(), session: e.SessionID, since: now.UnixMilli(), visit: e.visit})
		sh.mu.Unlock()
	}
}

// pendingKey is what the index knows an event by, to mark it stored: 32 bytes, where
// the shipper would otherwise hold every event of a segment while it is inserted.
type pendingKey struct {
	site             uint32
	visitor, session uint64
	ts               int64 // Unix milliseconds
}

// keyOf is e's pendingKey.
func keyOf(e *Event) pendingKey {
	return pendingKey{site: e.SiteID, visitor: e.VisitorID, session: e.SessionID, ts: e.TS.UnixMilli()}
}

func keysOf(events []Event) []pendingKey {
	keys := make([]pendingKey, len(events))
	for i := range events {
		keys[i] = keyOf(&events[i])
	}
	return keys
}

// drop forgets events that the spool did not take.
func (p *Pending) drop(keys []pendingKey) {
	p.settle(keys, func(sh *pendingShard, k sessionKey, j int) {
		l := sh.m[k]
		l = append(l[:j], l[j+1:]...)
		if len(l) == 0 {
			delete(sh.m, k)
		} else {
			sh.m[k] = l
		}
	})
}

// stored marks events as in the store (or set aside for good: they never will be).
func (p *Pending) stored(keys []pendingKey, now time.Time) {
	if p.keep <= 0 {
		p.drop(keys)
		return
	}
	p.settle(keys, func(sh *pendingShard, k sessionKey, j int) {
		sh.m[k][j].stored, sh.m[k][j].since = true, now.UnixMilli()
	})
}

// settle calls fn, with the shard locked, on the entry of each of the events not yet
// stored. Two equal events have two entries; each event settles one.
func (p *Pending) settle(keys []pendingKey, fn func(sh *pendingShard, k sessionKey, j int)) {
	for _, e := range keys {
		k := sessionKey{e.site, e.visitor}
		sh := p.shard(k)
		sh.mu.Lock()
		for j, pe := range sh.m[k] {
			if !pe.stored && pe.ts == e.ts && pe.session == e.session {
				fn(sh, k, j)
				break
			}
		}
		sh.mu.Unlock()
	}
}

// find returns the visitor's events between lo and hi.
func (p *Pending) find(k sessionKey, lo, hi time.Time) []storedEvent {
	sh := p.shard(k)
	sh.mu.Lock()
	defer sh.mu.Unlock()
	var out []storedEvent
	for _, pe := range sh.m[k] {
		if pe.ts >= lo.UnixMilli() && pe.ts <= hi.UnixMilli() {
			out = append(out, givenEvidence(pe.session, time.UnixMilli(pe.ts).UTC(), pe.visit))
		}
	}
	return out
}

// Sweep forgets events stored more than keep ago, and returns how many are still
// remembered.
func (p *Pending) Sweep(now time.Time) int {
	cut := now.Add(-p.keep).UnixMilli()
	n := 0
	for i := range p.shards {
		sh := &p.shards[i]
		sh.mu.Lock()
		for k, l := range sh.m {
			keep := l[:0]
			for _, pe := range l {
				if !pe.stored || pe.since > cut {
					keep = append(keep, pe)
				}
			}
			if len(keep) == 0 {
				delete(sh.m, k)
				continue
			}
			sh.m[k] = keep
			n += len(keep)
		}
		sh.mu.Unlock()
	}
	return n
}
