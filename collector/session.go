package collector

import (
	"math/rand/v2"
	"sync"
	"time"
)

// SessionGap is how long a visitor may be idle before their next event starts a new
// visit (the contract's 30 minutes, as in GA4, Plausible and Matomo).
const SessionGap = 30 * time.Minute

// Sessions assigns session ids at ingest, so every stored event carries its visit and
// reports never need to re-derive visits from gaps. It remembers each active visitor's
// session in memory, sharded to keep lock contention low; an entry idle for longer than
// SessionGap is useless and swept away.
type Sessions struct {
	shards [64]sessionShard
}

type sessionShard struct {
	mu sync.Mutex
	m  map[sessionKey]*sessionEntry
}

type sessionKey struct {
	site    uint32
	visitor uint64
}

type sessionEntry struct {
	id          uint64
	first, last time.Time
	attr        Attribution
}

// Attribution is where a visit came from. It is decided by the visit's first event and
// kept by all its later events: a click to the next page has the site itself as its
// referrer, but the visit still came from the e-mail that started it.
type Attribution struct {
	Channel, Source, Medium, Campaign, Term, UTMContent, ClickID, ReferrerDomain, Referrer string
}

func (e *Event) attribution() Attribution {
	return Attribution{e.Channel, e.Source, e.Medium, e.Campaign, e.Term, e.UTMContent, e.ClickID, e.ReferrerDomain, e.Referrer}
}

func (e *Event) setAttribution(a Attribution) {
	e.Channel, e.Source, e.Medium, e.Campaign, e.Term = a.Channel, a.Source, a.Medium, a.Campaign, a.Term
	e.UTMContent, e.ClickID, e.ReferrerDomain, e.Referrer = a.UTMContent, a.ClickID, a.ReferrerDomain, a.Referrer
}

// NewSessions returns an empty session table.
func NewSessions() *Sessions {
	s := &Sessions{}
	for i := range s.shards {
		s.shards[i].m = map[sessionKey]*sessionEntry{}
	}
	return s
}

// Assign returns the session id for a visitor's event at ts and whether it starts a new
// session. An event within SessionGap of the session's known events (before or after
// them, for events that arrive out of order) joins it; anything else starts a new one.
func (s *Sessions) Assign(site uint32, visitor uint64, ts time.Time) (id uint64, isNew bool) {
	id, _, isNew = s.AssignWith(site, visitor, ts, Attribution{})
	return id, isNew
}

// AssignWith is Assign that also returns the session's attribution: the one given when
// the event starts a session, else the one its first event had.
func (s *Sessions) AssignWith(site uint32, visitor uint64, ts time.Time, attr Attribution) (id uint64, session Attribution, isNew bool) {
	sh := &s.shards[visitor%uint64(len(s.shards))]
	k := sessionKey{site, visitor}
	sh.mu.Lock()
	defer sh.mu.Unlock()
	e := sh.m[k]
	if e != nil && ts.Sub(e.last) <= SessionGap && e.first.Sub(ts) <= SessionGap {
		if ts.After(e.last) {
			e.last = ts
		}
		if ts.Before(e.first) {
			e.first = ts
		}
		// A visit a back end's event opened has no attribution yet: its first web
		// event gives it.
		if e.attr.Channel == "" {
			e.attr = attr
		}
		return e.id, e.attr, false
	}
	if e != nil && ts.Before(e.first) {
		// An old event from before the current session: give it a session of its own
		// without forgetting the current one.
		return rand.Uint64(), attr, true
	}
	e = &sessionEntry{id: rand.Uint64(), first: ts, last: ts, attr: attr}
	sh.m[k] = e
	return e.id, attr, true
}

// Has reports whether the visitor has a session that an event at ts would join.
func (s *Sessions) Has(site uint32, visitor uint64, ts time.Time) bool {
	sh := &s.shards[visitor%uint64(len(s.shards))]
	sh.mu.Lock()
	defer sh.mu.Unlock()
	e := sh.m[sessionKey{site, visitor}]
	return e != nil && ts.Sub(e.last) <= SessionGap && e.first.Sub(ts) <= SessionGap
}

// Sweep forgets sessions idle since before now − SessionGap and returns how many remain.
func (s *Sessions) Sweep(now time.Time) int {
	n := 0
	for i := range s.shards {
		sh := &s.shards[i]
		sh.mu.Lock()
		for k, e := range sh.m {
			if now.Sub(e.last) > SessionGap {
				delete(sh.m, k)
			}
		}
		n += len(sh.m)
		sh.mu.Unlock()
	}
	return n
}
