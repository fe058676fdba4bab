package collector

import (
	"time"

	"github.com/omnistat/omnistat/store"
)

// profile is what a visit's first web event decides for all of the visit's events:
// where the visit came from (its attribution) and the device, browser, system, place
// and language it came with. Reports group and filter these columns per event (the
// visit dimensions, query/defs.go), so every event of a visit must carry the same
// ones, and an event takes them when it is given its visit. A profile is never changed
// once made: the session table, the index of events not stored yet and the visit's
// events share one.
type profile struct {
	Attribution
	Device, Browser, BrowserVersion, OS, OSVersion string
	Country, Region, City, Language                string
	level                                          profileLevel
}

// profileLevel ranks who gave a visit its profile: a browser's event replaces what a
// back end's gave, never the other way round.
type profileLevel uint8

const (
	noProfile profileLevel = iota
	// pageProfile comes from a back end's event with a page url and no channel of its
	// own, as an import of past pageviews sends: it stands for the visit's web event
	// until one from a browser joins.
	pageProfile
	webProfile // from a browser's event: the tracker, the pixel, a tracked link
)

func (p *profile) lvl() profileLevel {
	if p == nil {
		return noProfile
	}
	return p.level
}

// visitRole says what an event gives its visit's profile and what it takes from it.
type visitRole uint8

const (
	roleBrowser visitRole = iota // the tracker or the pixel: gives its own, takes the visit's
	// roleLink is a click on a tracked link: it opens a visit of its own
	// (assignSession) and gives it its own profile, the link's attribution (§2).
	roleLink
	rolePage  // a back end's event with a url, no channel: gives a pageProfile, takes the visit's
	roleBare  // a back end's event with no url nor channel (Offline): takes the visit's
	roleNamed // a back end's event naming its channel: keeps it, takes the visit's device and place
)

// roleOf is the role of an event from source that named channel and carried a url.
func roleOf(source Source, channel, url string) visitRole {
	switch {
	case source == FromLink:
		return roleLink
	case source != FromServer:
		return roleBrowser
	case channel != "":
		return roleNamed
	case url != "":
		return rolePage
	default:
		return roleBare
	}
}

// offer is the profile e gives a visit that has none, or a lower one: its own columns.
// It is a value, so that events joining a visit that has its profile cost no
// allocation.
func (e *Event) offer() profile {
	var level profileLevel
	switch e.role {
	case roleBrowser, roleLink:
		level = webProfile
	case rolePage:
		level = pageProfile
	default:
		return profile{}
	}
	return e.columns(level)
}

// columns is e's own visit-level columns as a profile of the given level.
func (e *Event) columns(level profileLevel) profile {
	return profile{Attribution: e.attribution(),
		Device: e.Device, Browser: e.Browser, BrowserVersion: e.BrowserVersion, OS: e.OS, OSVersion: e.OSVersion,
		Country: e.Country, Region: e.Region, City: e.City, Language: e.Language, level: level}
}

// upgrade returns the visit's profile after an event offered its own: the offer when
// it ranks above the visit's current profile cur, else cur.
func upgrade(cur *profile, offer profile) *profile {
	if offer.level > cur.lvl() {
		return &offer
	}
	return cur
}

// take gives e the columns of its visit's profile p that its role takes; nil: the
// visit has none yet, and e keeps its own.
func (e *Event) take(p *profile) {
	e.visit = p
	if p == nil {
		return
	}
	if e.role != roleNamed {
		e.setAttribution(p.Attribution)
	}
	e.Device, e.Browser, e.BrowserVersion, e.OS, e.OSVersion = p.Device, p.Browser, p.BrowserVersion, p.OS, p.OSVersion
	e.Country, e.Region, e.City, e.Language = p.Country, p.Region, p.City, p.Language
}

// joinVisit puts e, just given its visit, in the visit whose profile is cur, and
// returns the visit's profile after it.
func (e *Event) joinVisit(cur *profile) *profile {
	p := upgrade(cur, e.offer())
	e.take(p)
	return p
}

// Evidence of a visit's profile among its stored events, where an event's role is not
// kept. A browser's event has a device; a back end's event has one when it joined a
// visit that had a browser's profile. A back end's event that names its channel is
// stored with medium "offline" and keeps its own attribution, so an event with a
// device and that medium (or, rarely, a tracked link's click with that medium) is
// weaker evidence than one without; a back end's event with no device shows a page's
// profile when it has a page and no channel of its own. storedEvidence ranks the
// evidence, and visitProfileSQL is the same rule in SQL: a visit's profile is that of
// its best ranked event, the earliest of them.
func storedEvidence(e *Event) storedEvent {
	ev := storedEvent{session: e.SessionID, ts: e.TS}
	switch {
	case e.Device != "" && e.Medium != "offline":
		ev.rank = 3
	case e.Device != "":
		ev.rank = 2
	case e.Hostname != "" && e.Medium != "offline":
		ev.rank = 1
	default:
		return ev
	}
	level := webProfile
	if ev.rank == 1 {
		level = pageProfile
	}
	p := e.columns(level)
	ev.visit = &p
	return ev
}

// givenEvidence is the evidence of an event the collector gave its visit's profile p:
// exact, where a stored event's is a guess.
func givenEvidence(session uint64, ts time.Time, p *profile) storedEvent {
	ev := storedEvent{session: session, ts: ts, visit: p}
	switch p.lvl() {
	case webProfile:
		ev.rank = 3
	case pageProfile:
		ev.rank = 1
	}
	return ev
}

// beats reports whether ev shows its visit's profile better than other does.
func (ev storedEvent) beats(other storedEvent) bool {
	return ev.rank > other.rank || ev.rank == other.rank && ev.rank > 0 && ev.ts.Before(other.ts)
}

// visitProfileSQL are the columns of a visit's profile, aggregated over its events by
// storedRank (first the best ranked, then the earliest): channel, source, medium,
// campaign, term, utm_content, click_id, referrer_domain, referrer, device, browser,
// browser_version, os, os_version, country, region, city, language, then the level
// (0, 1 page, 2 web).
const visitProfileSQL = `argMinIf(channel, _rk, _ev), argMinIf(source, _rk, _ev), argMinIf(medium, _rk, _ev),
	argMinIf(campaign, _rk, _ev), argMinIf(term, _rk, _ev), argMinIf(utm_content, _rk, _ev),
	argMinIf(click_id, _rk, _ev), argMinIf(referrer_domain, _rk, _ev), argMinIf(referrer, _rk, _ev),
	argMinIf(device, _rk, _ev), argMinIf(browser, _rk, _ev), argMinIf(browser_version, _rk, _ev),
	argMinIf(os, _rk, _ev), argMinIf(os_version, _rk, _ev), argMinIf(country, _rk, _ev),
	argMinIf(region, _rk, _ev), argMinIf(city, _rk, _ev), argMinIf(language, _rk, _ev),
	maxIf(if(device != '', 2, 1), _ev)`

// visitProfileWith defines _rk and _ev for visitProfileSQL; it leads the query.
const visitProfileWith = `WITH (device = '', medium = 'offline', ts) AS _rk,
	device != '' OR (hostname != '' AND medium != 'offline') AS _ev`

// profileFromRow reads the columns of visitProfileSQL; nil when the visit shows none.
func profileFromRow(r []any) *profile {
	var s [18]string
	for i := range s {
		s[i], _ = r[i].(string)
	}
	level := profileLevel(store.Uint(r[18]))
	if level == noProfile {
		return nil
	}
	return &profile{Attribution: Attribution{s[0], s[1], s[2], s[3], s[4], s[5], s[6], s[7], s[8]},
		Device: s[9], Browser: s[10], BrowserVersion: s[11], OS: s[12], OSVersion: s[13],
		Country: s[14], Region: s[15], City: s[16], Language: s[17], level: level}
}
