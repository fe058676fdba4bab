package collector

import (
	"math/rand/v2"
	"sync"
	"time"
)

// SessionGap is how long a visitor may be idle before their next event starts a new
// visit (the contract's 30 minutes, as in GA4, Plausible and Matomo).
const SessionGap = 30 * time.Minute

// liveReach is how old an event may be and still be joined by a live one: a live event
// is up to SessionGap/2 old (older ones are backdated, backdate.go) and joins an event
// up to SessionGap before it. The session table keeps what a live event may still join,
// so it keeps visits this long after their last event, not only SessionGap.
const liveReach = SessionGap + SessionGap/2

// Sessions assigns session ids at ingest, so every stored event carries its visit and
// reports never need to re-derive visits from gaps. It remembers each active visitor's
// session in memory, sharded to keep lock contention low; an entry idle for longer than
// liveReach is useless and swept away.
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
	visit       *profile // nil until an event gives the visit one; shared with its events
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
	id, _, isNew = s.AssignWith(site, visitor, ts, profile{})
	return id, isNew
}

// AssignWith is Assign that also returns the session's profile: the one the event
// offers when it starts a session or ranks above the session's, else the one the
// session has (nil: none yet).
func (s *Sessions) AssignWith(site uint32, visitor uint64, ts time.Time, offer profile) (id uint64, visit *profile, isNew bool) {
	sh := &s.shards[visitor%uint64(len(s.shards))]
	k := sessionKey{site, visitor}
	sh.mu.Lock()
	defer sh.mu.Unlock()
	e := sh.m[k]
	id, visit, isNew = assignEntry(&e, ts, offer)
	sh.m[k] = e
	return id, visit, isNew
}

// assignEntry is AssignWith on one visitor's entry; it replaces *slot when the event
// starts the visitor's current session.
func assignEntry(slot **sessionEntry, ts time.Time, offer profile) (id uint64, visit *profile, isNew bool) {
	e := *slot
	if joins(e, ts) {
		if ts.After(e.last) {
			e.last = ts
		}
		if ts.Before(e.first) {
			e.first = ts
		}
		// A visit a back end's event opened has no profile, or a page's: its first
		// web event gives it.
		e.visit = upgrade(e.visit, offer)
		return e.id, e.visit, false
	}
	visit = upgrade(nil, offer)
	if e != nil && ts.Before(e.first) {
		// An old event from before the current session: give it a session of its own
		// without forgetting the current one.
		return rand.Uint64(), visit, true
	}
	*slot = &sessionEntry{id: rand.Uint64(), first: ts, last: ts, visit: visit}
	return (*slot).id, visit, true
}

// Open starts a new session for a visitor's event at ts whatever session the visitor is
// in, with the profile the event offers, and makes it the visitor's current one: later
// events join it, not the one before.
func (s *Sessions) Open(site uint32, visitor uint64, ts time.Time, offer profile) (id uint64, visit *profile) {
	sh := &s.shards[visitor%uint64(len(s.shards))]
	k := sessionKey{site, visitor}
	sh.mu.Lock()
	defer sh.mu.Unlock()
	e := sh.m[k]
	id, visit = openEntry(&e, ts, offer)
	sh.m[k] = e
	return id, visit
}

// openEntry is Open on one visitor's entry. A visit that already came by the same way
// (a second click on the same link, from the same newsletter) goes on instead: only a
// change of attribution starts a new visit, as in Matomo and Universal Analytics.
func openEntry(slot **sessionEntry, ts time.Time, offer profile) (id uint64, visit *profile) {
	if e := *slot; joins(e, ts) && e.visit != nil && e.visit.Attribution == offer.Attribution {
		id, visit, _ = assignEntry(slot, ts, offer)
		return id, visit
	}
	*slot = &sessionEntry{id: rand.Uint64(), first: ts, last: ts, visit: upgrade(nil, offer)}
	return (*slot).id, (*slot).visit
}

// Note records in the table events whose visit was decided elsewhere: a backdated
// server-side event that found its visit in the store, or a visit read back at start,
// with the visit's profile (nil: none). Later events within SessionGap of them join
// that visit. The table keeps one visit per visitor, the latest: a visit that ends
// before the one it holds is not taken.
func (s *Sessions) Note(site uint32, visitor, id uint64, first, last time.Time, visit *profile) {
	sh := &s.shards[visitor%uint64(len(s.shards))]
	k := sessionKey{site, visitor}
	sh.mu.Lock()
	defer sh.mu.Unlock()
	e := sh.m[k]
	noteEntry(&e, id, first, last, visit)
	if e != nil {
		sh.m[k] = e
	}
}

// noteEntry is Note on one visitor's entry.
func noteEntry(slot **sessionEntry, id uint64, first, last time.Time, visit *profile) {
	e := *slot
	switch {
	case e != nil && e.id == id:
		if last.After(e.last) {
			e.last = last
		}
		if first.Before(e.first) {
			e.first = first
		}
		if visit.lvl() > e.visit.lvl() {
			e.visit = visit
		}
	case e == nil || last.After(e.last):
		*slot = &sessionEntry{id: id, first: first, last: last, visit: visit}
	}
}

// joins reports whether an event at ts belongs to the session of entry e.
func joins(e *sessionEntry, ts time.Time) bool {
	return e != nil && ts.Sub(e.last) <= SessionGap && e.first.Sub(ts) <= SessionGap
}

// Has reports whether the visitor has a session that an event at ts would join.
func (s *Sessions) Has(site uint32, visitor uint64, ts time.Time) bool {
	sh := &s.shards[visitor%uint64(len(s.shards))]
	sh.mu.Lock()
	defer sh.mu.Unlock()
	return joins(sh.m[sessionKey{site, visitor}], ts)
}

// get returns a copy of the visitor's entry, or nil.
func (s *Sessions) get(k sessionKey) *sessionEntry {
	sh := &s.shards[k.visitor%uint64(len(s.shards))]
	sh.mu.Lock()
	defer sh.mu.Unlock()
	if e := sh.m[k]; e != nil {
		c := *e
		return &c
	}
	return nil
}

// sessionTable is what the session step of the collector uses: the shared Sessions,
// or a trial over it.
type sessionTable interface {
	Has(site uint32, visitor uint64, ts time.Time) bool
	AssignWith(site uint32, visitor uint64, ts time.Time, offer profile) (uint64, *profile, bool)
	Open(site uint32, visitor uint64, ts time.Time, offer profile) (uint64, *profile)
	Note(site uint32, visitor, id uint64, first, last time.Time, visit *profile)
}

// trialSessions assigns sessions on private copies of the shared table's entries, so a
// batch can learn what its events would do (a ping that finds no visit) without
// opening or extending any visit for real.
type trialSessions struct {
	s *Sessions
	m map[sessionKey]*sessionEntry
}

func (s *Sessions) trial() *trialSessions {
	return &trialSessions{s: s, m: map[sessionKey]*sessionEntry{}}
}

func (t *trialSessions) entry(k sessionKey) *sessionEntry {
	e, ok := t.m[k]
	if !ok {
		e = t.s.get(k)
		t.m[k] = e
	}
	return e
}

func (t *trialSessions) Has(site uint32, visitor uint64, ts time.Time) bool {
	return joins(t.entry(sessionKey{site, visitor}), ts)
}

func (t *trialSessions) AssignWith(site uint32, visitor uint64, ts time.Time, offer profile) (uint64, *profile, bool) {
	k := sessionKey{site, visitor}
	e := t.entry(k)
	id, visit, isNew := assignEntry(&e, ts, offer)
	t.m[k] = e
	return id, visit, isNew
}

func (t *trialSessions) Open(site uint32, visitor uint64, ts time.Time, offer profile) (uint64, *profile) {
	k := sessionKey{site, visitor}
	e := t.entry(k)
	id, visit := openEntry(&e, ts, offer)
	t.m[k] = e
	return id, visit
}

func (t *trialSessions) Note(site uint32, visitor, id uint64, first, last time.Time, visit *profile) {
	k := sessionKey{site, visitor}
	e := t.entry(k)
	noteEntry(&e, id, first, last, visit)
	t.m[k] = e
}

// Sweep forgets sessions idle since before now − liveReach and returns how many remain.
func (s *Sessions) Sweep(now time.Time) int {
	n := 0
	for i := range s.shards {
		sh := &s.shards[i]
		sh.mu.Lock()
		for k, e := range sh.m {
			if now.Sub(e.last) > liveReach {
				delete(sh.m, k)
			}
		}
		n += len(sh.m)
		sh.mu.Unlock()
	}
	return n
}
