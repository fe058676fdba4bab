package collector

import (
	"context"
	"fmt"
	"math/rand/v2"
	"sort"
	"strconv"
	"strings"
	"time"

	"github.com/omnistat/omnistat/store"
)

// Backdated server-side events (an order imported from a shop, a call logged by a CRM
// hours later) cannot use the in-memory session table, which only knows the last half
// hour. Their sessions are found in the store instead, and among the events accepted
// and still on their way to it (Pending): an event joins the session of the visitor's
// nearest known event within SessionGap, else the session of the batch's own events
// within SessionGap of it, else a new session. One query per batch, never one per event.

// isBackdated reports whether an event at ts is too old for the in-memory table to
// find its visit (liveReach).
func isBackdated(ts, now time.Time) bool { return now.Sub(ts) > SessionGap/2 }

// storedEvent is a known event of a visitor: its visit, and what it shows of the
// visit's profile (visit.go; rank 0: nothing).
type storedEvent struct {
	session uint64
	ts      time.Time
	visit   *profile
	rank    int
}

// assignBackdated sets SessionID on events[i] for every i in idx, and gives each the
// profile of its visit (the visit's first web event's columns, as a live event takes
// them). An engagement ping only joins a visit, never opens one; the indexes of those
// that found none are returned, unassigned.
func assignBackdated(ctx context.Context, st store.Store, pending *Pending, events []Event, idx []int) ([]int, error) {
	if len(idx) == 0 {
		return nil, nil
	}
	known := map[sessionKey][]storedEvent{}
	var vids, sites []string
	seen := map[uint64]bool{}
	siteSeen := map[uint32]bool{}
	lo, hi := events[idx[0]].TS, events[idx[0]].TS
	for _, i := range idx {
		e := &events[i]
		if !seen[e.VisitorID] {
			seen[e.VisitorID] = true
			vids = append(vids, strconv.FormatUint(e.VisitorID, 10))
		}
		if !siteSeen[e.SiteID] {
			siteSeen[e.SiteID] = true
			sites = append(sites, strconv.FormatUint(uint64(e.SiteID), 10))
		}
		if e.TS.Before(lo) {
			lo = e.TS
		}
		if e.TS.After(hi) {
			hi = e.TS
		}
	}
	if pending != nil {
		// The events on their way to the store; one stored while the store is read is
		// still remembered here (its keep).
		for _, i := range idx {
			k := sessionKey{site: events[i].SiteID, visitor: events[i].VisitorID}
			if _, done := known[k]; !done {
				known[k] = pending.find(k, lo.Add(-SessionGap), hi.Add(SessionGap))
			}
		}
	}
	if st != nil {
		res, err := st.Query(ctx, `SELECT site_id, visitor_id, session_id, toUnixTimestamp64Milli(ts),
				channel, source, medium, campaign, term, utm_content, click_id, referrer_domain, referrer,
				device, browser, browser_version, os, os_version, country, region, city, language, hostname
			FROM events
			WHERE site_id IN {sites:Array(UInt32)} AND visitor_id IN {vids:Array(UInt64)}
			  AND ts >= {lo:DateTime64(3, 'UTC')} AND ts <= {hi:DateTime64(3, 'UTC')}`,
			store.Params{"sites": "[" + strings.Join(sites, ",") + "]", "vids": "[" + strings.Join(vids, ",") + "]",
				"lo": lo.Add(-SessionGap).UTC().Format("2006-01-02 15:04:05.000"), "hi": hi.Add(SessionGap).UTC().Format("2006-01-02 15:04:05.000")})
		if err != nil {
			return nil, fmt.Errorf("collector: find sessions of backdated events: %w", err)
		}
		for _, r := range res.Rows {
			k := sessionKey{site: uint32(store.Int(r[0])), visitor: store.Uint(r[1])}
			known[k] = append(known[k], storedEvidence(storedRow(r)))
		}
	}
	// nearest is the visit of the event's nearest known event within SessionGap (0:
	// none), and the best evidence of that visit's profile.
	nearest := func(e *Event) (uint64, *profile) {
		k := sessionKey{site: e.SiteID, visitor: e.VisitorID}
		best, bestGap := uint64(0), SessionGap+1
		for _, s := range known[k] {
			gap := e.TS.Sub(s.ts)
			if gap < 0 {
				gap = -gap
			}
			if gap <= SessionGap && gap < bestGap {
				best, bestGap = s.session, gap
			}
		}
		var shown storedEvent
		for _, s := range known[k] {
			if best != 0 && s.session == best && s.beats(shown) {
				shown = s
			}
		}
		return best, shown.visit
	}
	// Oldest first, so a batch's own events chain into sessions. A ping that finds no
	// visit yet tries again once every other event has its visit: its pageview may come
	// later in time.
	order := append([]int(nil), idx...)
	sort.SliceStable(order, func(a, b int) bool { return events[order[a]].TS.Before(events[order[b]].TS) })
	var later []int
	for _, i := range order {
		e := &events[i]
		best, visit := nearest(e)
		if best == 0 && e.Name == "engagement" {
			later = append(later, i)
			continue
		}
		if best == 0 {
			best = rand.Uint64()
		}
		e.SessionID = best
		visit = e.joinVisit(visit)
		k := sessionKey{site: e.SiteID, visitor: e.VisitorID}
		known[k] = append(known[k], givenEvidence(best, e.TS, visit))
	}
	var orphans []int
	for _, i := range later {
		e := &events[i]
		var visit *profile
		if e.SessionID, visit = nearest(e); e.SessionID == 0 {
			orphans = append(orphans, i)
			continue
		}
		e.joinVisit(visit)
	}
	return orphans, nil
}

// storedRow is the event of a row of assignBackdated's query, as far as it reads it.
func storedRow(r []any) *Event {
	var s [19]string
	for i := range s {
		s[i], _ = r[4+i].(string)
	}
	e := &Event{SessionID: store.Uint(r[2]), TS: time.UnixMilli(store.Int(r[3])).UTC(), Hostname: s[18]}
	e.setAttribution(Attribution{s[0], s[1], s[2], s[3], s[4], s[5], s[6], s[7], s[8]})
	e.Device, e.Browser, e.BrowserVersion, e.OS, e.OSVersion = s[9], s[10], s[11], s[12], s[13]
	e.Country, e.Region, e.City, e.Language = s[14], s[15], s[16], s[17]
	return e
}
