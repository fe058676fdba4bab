// Package collector is where events are won or lost. It takes an event from the browser
// tracker, the pixel, a tracked link or a server, validates it, drops bots, enriches it
// (page, channel, device, geo, visitor id, session) and hands it to the spool, which
// makes it durable before the client is answered and ships it to ClickHouse in batches.
//
// The steps of Accept are plain functions over an Event, in the order they run; each
// may drop the event with a reason that is counted in the metrics, so "why is my
// pageview missing?" has an answer.
package collector

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net/netip"
	"net/url"
	"sort"
	"strings"
	"time"

	"github.com/omnistat/omnistat/catalog"
	"github.com/omnistat/omnistat/collector/channel"
	"github.com/omnistat/omnistat/collector/device"
	"github.com/omnistat/omnistat/collector/geo"
	"github.com/omnistat/omnistat/store"
)

// Errors Accept returns besides *FieldError. The HTTP layer maps them to statuses.
var (
	ErrUnknownSite = errors.New("site is not registered on this server")
	ErrOrigin      = errors.New("origin is not allowed for this site")
	ErrFull        = errors.New("the server is overloaded: the spool is full; try again later")
)

// Sink makes accepted events durable. Append returns once they survive a crash of the
// process; it returns ErrFull when it cannot take more.
type Sink interface {
	Append(events []Event) error
}

// Config wires a Collector.
type Config struct {
	Catalog  *catalog.Catalog
	Sink     Sink
	Salts    *Salts
	Sessions *Sessions
	Devices  *device.Parser
	Geo      *geo.DB // nil: geo columns stay empty
	Metrics  *Metrics
	Logger   *slog.Logger
	// Store is read to find the sessions of backdated server-side events; nil: only
	// the events not yet stored (Pending) are searched.
	Store store.Store
	// Pending remembers the events accepted and not yet stored, for the sessions of
	// backdated events; hand the same one to Shipper.
	Pending *Pending
	Now     func() time.Time
}

// Collector validates, enriches and spools events.
type Collector struct {
	cfg Config
}

// New returns a Collector; missing optional parts get defaults.
func New(cfg Config) *Collector {
	if cfg.Now == nil {
		cfg.Now = time.Now
	}
	if cfg.Sessions == nil {
		cfg.Sessions = NewSessions()
	}
	if cfg.Pending == nil {
		cfg.Pending = NewPending(0)
	}
	if cfg.Devices == nil {
		cfg.Devices = device.NewParser(10000)
	}
	if cfg.Metrics == nil {
		cfg.Metrics = NewMetrics()
	}
	if cfg.Logger == nil {
		cfg.Logger = slog.Default()
	}
	return &Collector{cfg: cfg}
}

// Metrics returns the collector's counters.
func (c *Collector) Metrics() *Metrics { return c.cfg.Metrics }

// Sessions returns the session table.
func (c *Collector) Sessions() *Sessions { return c.cfg.Sessions }

// Pending returns the index of events not yet stored, for Shipper.
func (c *Collector) Pending() *Pending { return c.cfg.Pending }

// Sweep forgets the visits idle for longer than liveReach and the events stored a
// while ago; call it every few seconds (the index of events not yet stored grows by
// every event accepted until a sweep).
func (c *Collector) Sweep(now time.Time) {
	c.cfg.Sessions.Sweep(now)
	c.cfg.Pending.Sweep(now)
}

// Request is an event with what the HTTP layer knows of its sender.
type Request struct {
	Input          Input
	IP             netip.Addr
	UserAgent      string
	AcceptLanguage string
	Origin         string // the Origin header of a browser request, "" if none
	Source         Source
	link           *linkAttribution
}

// Source says which door an event came through; server-side events may carry ts,
// channel and ids that a browser may not set.
type Source int

const (
	FromBrowser Source = iota
	FromPixel
	FromLink
	FromServer
)

// Accept takes one event. A nil error means it is durable or was dropped on purpose (a
// bot); the caller answers 202 either way.
func (c *Collector) Accept(ctx context.Context, r Request) error {
	e, drop, err := c.prepare(ctx, &r)
	if err != nil {
		c.cfg.Metrics.rejected(err)
		return err
	}
	if drop == "" {
		drop, err = c.assignSession(&r, &e, c.cfg.Sessions)
		if err != nil {
			c.cfg.Metrics.rejected(err)
			return err
		}
	}
	if drop != "" {
		c.cfg.Metrics.Dropped(drop)
		return nil
	}
	if err := c.appendEvents([]Event{e}); err != nil {
		c.cfg.Metrics.rejected(err)
		return err
	}
	c.cfg.Metrics.Accepted(1)
	return nil
}

// AcceptBatch takes server-side events all or nothing: every event is validated and
// enriched first, then given its visit on a trial copy of the session table, and only
// if none fails are the visits opened for real and the events appended, in one spool
// write. A refused batch leaves no visit behind.
func (c *Collector) AcceptBatch(ctx context.Context, rs []Request) (int, []BatchError) {
	if len(rs) > maxBatchEvents {
		return 0, []BatchError{{Index: -1, Err: fieldErr("events", "has %d events; at most %d per request", len(rs), maxBatchEvents)}}
	}
	events := make([]Event, 0, len(rs))
	from := make([]int, 0, len(rs)) // from[j] is the index in rs of events[j]
	var errs []BatchError
	var backdated, live []int
	now := c.cfg.Now()
	for i := range rs {
		e, drop, err := c.prepare(ctx, &rs[i])
		if err != nil {
			errs = append(errs, BatchError{Index: i, Err: err})
			continue
		}
		if drop != "" {
			// Nothing is dropped silently from a batch: the caller is told (§2).
			errs = append(errs, BatchError{Index: i, Err: fieldErr("name", "%s was not stored (%s)", e.Name, drop)})
			continue
		}
		if rs[i].Source == FromServer && isBackdated(e.TS, now) {
			backdated = append(backdated, len(events))
		} else {
			live = append(live, len(events))
		}
		events = append(events, e)
		from = append(from, i)
	}
	// Also for a batch already rejected, so the answer lists every problem at once.
	orphans, err := assignBackdated(ctx, c.cfg.Store, c.cfg.Pending, events, backdated)
	if err != nil && len(errs) == 0 {
		return 0, []BatchError{{Index: -1, Err: err}}
	}
	for _, j := range orphans {
		errs = append(errs, BatchError{Index: from[j], Err: errEngagementWithoutVisit})
	}
	trial := c.cfg.Sessions.trial()
	noteBackdated(trial, events, backdated, now)
	for _, j := range live {
		e := events[j]
		if _, err := c.assignSession(&rs[from[j]], &e, trial); err != nil {
			errs = append(errs, BatchError{Index: from[j], Err: err})
		}
	}
	sort.SliceStable(errs, func(a, b int) bool { return errs[a].Index < errs[b].Index })
	if len(errs) > 0 {
		for _, e := range errs {
			c.cfg.Metrics.rejected(e.Err)
		}
		return 0, errs
	}
	noteBackdated(c.cfg.Sessions, events, backdated, now)
	for _, j := range live {
		if _, err := c.assignSession(&rs[from[j]], &events[j], c.cfg.Sessions); err != nil {
			// The trial found this ping's visit; another request may have changed the
			// table since. Refuse the batch rather than store a ping of no visit.
			c.cfg.Metrics.rejected(err)
			return 0, []BatchError{{Index: from[j], Err: err}}
		}
	}
	if err := c.appendEvents(events); err != nil {
		c.cfg.Metrics.rejected(err)
		return 0, []BatchError{{Index: -1, Err: err}}
	}
	c.cfg.Metrics.Accepted(len(events))
	return len(events), nil
}

// appendEvents hands events to the sink, and remembers them as pending until the
// shipper stores them.
func (c *Collector) appendEvents(events []Event) error {
	c.cfg.Pending.add(events, c.cfg.Now())
	if err := c.cfg.Sink.Append(events); err != nil {
		c.cfg.Pending.drop(keysOf(events))
		return err
	}
	return nil
}

// noteBackdated puts the backdated events a live event may join (those of the last
// liveReach) in table, with the visits the store gave them and their profiles, so that
// a live event of the same visitor (a page the visitor opens now, 16 minutes after a
// back end's late event; a purchase sent 14 minutes late after a store visit logged
// 40 minutes late) joins their visit. A browser's event still gives a visit that a
// back end's events gave a page's profile its own.
func noteBackdated(table sessionTable, events []Event, idx []int, now time.Time) {
	for _, i := range idx {
		e := &events[i]
		if e.SessionID != 0 && now.Sub(e.TS) <= liveReach { // 0: a ping of no visit
			table.Note(e.SiteID, e.VisitorID, e.SessionID, e.TS, e.TS, e.visit)
		}
	}
}

// CheckBatch validates server-side events without taking them, for a batch already
// refused for other reasons (a body the server could not decode), so that one answer
// names every event to fix. It assigns no visit: a ping without one is found by
// AcceptBatch when the rest is right.
func (c *Collector) CheckBatch(ctx context.Context, rs []Request) []BatchError {
	var errs []BatchError
	for i := range rs {
		r := rs[i]
		if _, _, err := c.prepare(ctx, &r); err != nil {
			errs = append(errs, BatchError{Index: i, Err: err})
		}
	}
	return errs
}

// errEngagementWithoutVisit rejects a server-side engagement ping that belongs to no
// visit: like the tracker's, it reports on a page already counted and opens no visit.
var errEngagementWithoutVisit = fieldErr("name", "engagement reports on a visit, and this visitor has no visit at ts "+
	"(no event within 30 minutes); send the visit's pageview first, or in the same batch")

// BatchError is one rejected event of a batch, by its index.
type BatchError struct {
	Index int
	Err   error
}

// prepare runs the steps. It returns the enriched event, or a drop reason, or an error
// for the client.
func (c *Collector) prepare(ctx context.Context, r *Request) (Event, string, error) {
	in := &r.Input
	if err := in.validate(r.Source == FromServer); err != nil {
		return Event{}, "", err
	}
	site, err := c.cfg.Catalog.SiteByDomain(ctx, in.Site)
	if errors.Is(err, catalog.ErrNotFound) {
		return Event{}, "", ErrUnknownSite
	}
	if err != nil {
		return Event{}, "", fmt.Errorf("collector: look up site: %w", err)
	}
	var page Page
	if in.parsedURL != nil {
		page = normalizeURL(in.parsedURL)
	}
	if r.Source == FromBrowser || r.Source == FromPixel {
		if !hostBelongs(page.Hostname, site.Domain) {
			return Event{}, "", fmt.Errorf("%w: url host %s is not %s or one of its subdomains", ErrOrigin, page.Hostname, site.Domain)
		}
		if r.Origin != "" && r.Origin != "null" {
			if u, err := url.Parse(r.Origin); err != nil || !hostBelongs(strings.TrimPrefix(strings.ToLower(u.Hostname()), "www."), site.Domain) {
				return Event{}, "", fmt.Errorf("%w: origin %s is not %s or one of its subdomains", ErrOrigin, r.Origin, site.Domain)
			}
		}
	}

	now := c.cfg.Now().UTC()
	e := Event{SiteID: site.ID, TS: now, Name: in.Name, UserID: in.UserID,
		Hostname: page.Hostname, Path: page.Path, Title: in.Title, Screen: uint16(in.Screen),
		Props: in.Props, EngagedMS: uint32(in.EngagedMS)}
	if in.Scroll != nil {
		e.Scroll = uint8(*in.Scroll)
	}
	if in.Content != nil {
		e.ContentName, e.ContentPiece, e.ContentTarget = in.Content.Name, in.Content.Piece, in.Content.Target
	}
	if in.Revenue != nil {
		e.Revenue, _ = in.Revenue.scaled()
		e.Currency = in.Revenue.Currency
	}
	if r.Source == FromServer {
		if err := serverFields(&e, in, now); err != nil {
			return Event{}, "", err
		}
	} else if in.TS != "" || in.Channel != "" {
		return Event{}, "", fieldErr("ts", "and channel are only accepted from servers (POST /api/v1/events)")
	}

	// Bots: from the User-Agent. Server-side events carry no browser to judge.
	if r.Source != FromServer {
		info := c.cfg.Devices.Parse(r.UserAgent)
		if info.Bot {
			return Event{}, "bot_" + info.BotReason, nil
		}
		e.Device, e.Browser, e.BrowserVersion, e.OS, e.OSVersion = info.Device, info.Browser, info.BrowserVersion, info.OS, info.OSVersion
		e.Language = primaryLanguage(r.AcceptLanguage)
		loc := c.cfg.Geo.Lookup(r.IP)
		e.Country, e.Region, e.City = loc.Country, loc.Region, loc.City
	}

	// Channel and source, from the page URL's utm_* and click ids and the referrer.
	if e.Channel == "" && in.URL != "" {
		ch := channel.Classify(channel.Input{Page: in.parsedURL, Referrer: in.Referrer, PageHost: page.Hostname})
		e.Channel, e.Source, e.Medium, e.Campaign = ch.Channel, ch.Source, ch.Medium, ch.Campaign
		e.Term, e.UTMContent, e.ClickID, e.ReferrerDomain = ch.Term, ch.Content, ch.ClickID, ch.ReferrerDomain
		if ch.ReferrerDomain != "" {
			e.Referrer = in.Referrer
		}
	}
	if r.link != nil {
		r.link.attribute(&e)
	}
	e.role = roleOf(r.Source, in.Channel, in.URL)

	// Visitor: a first-party id when the site gives one, else the daily hash.
	switch {
	case in.VisitorID != "":
		e.VisitorID = firstPartyID("visitor", site.ID, in.VisitorID)
	case r.Source == FromServer && in.UserID != "":
		e.VisitorID = firstPartyID("user", site.ID, in.UserID)
	case r.Source == FromServer:
		return Event{}, "", fieldErr("visitor_id", "or user_id is required for server-side events")
	default:
		salt, err := c.cfg.Salts.For(ctx, e.TS)
		if err != nil {
			return Event{}, "", fmt.Errorf("collector: %w", err)
		}
		e.VisitorID = cookielessID(salt, site.ID, r.IP, r.UserAgent)
	}

	return e, "", nil
}

// assignSession is the last step: it puts the event in its visit in table. It runs
// only once every other step passed, so an event refused for any other reason leaves
// no visit behind. An engagement ping never opens a visit: it only reports on a page
// already counted, and a tab left open past the session gap must not make one.
// Backdated server-side events do not come here: AcceptBatch finds their visits in the
// store.
//
// A click on a tracked link always opens a visit, with the link's attribution, as
// Matomo and Universal Analytics start a new visit when the campaign changes: the pages
// and conversions after it count in the link's channel and campaign, and a visit the
// visitor was in keeps its own (visit dimensions have one value per visit).
//
// Any other event gives the visit its profile when it is the visit's first web event, and
// takes the visit's otherwise (visit.go): a back end's event that names no channel of
// its own (a sign-up confirmed by the server) is part of the web visit it joins, and
// counts in its channel, device and country.
func (c *Collector) assignSession(r *Request, e *Event, table sessionTable) (drop string, err error) {
	if e.Name == "engagement" && !table.Has(e.SiteID, e.VisitorID, e.TS) {
		if r.Source == FromServer {
			return "", errEngagementWithoutVisit
		}
		return "engagement_without_session", nil
	}
	var visit *profile
	if e.role == roleLink {
		e.SessionID, visit = table.Open(e.SiteID, e.VisitorID, e.TS, e.offer())
	} else {
		e.SessionID, visit, _ = table.AssignWith(e.SiteID, e.VisitorID, e.TS, e.offer())
	}
	e.take(visit)
	return "", nil
}

// serverFields applies what only server-side events may set: a past timestamp and an
// offline channel.
func serverFields(e *Event, in *Input, now time.Time) error {
	if in.TS != "" {
		ts, err := time.Parse(time.RFC3339Nano, in.TS)
		if err != nil {
			return fieldErr("ts", "must be an RFC 3339 time like 2026-01-02T15:04:05Z")
		}
		if ts.After(now.Add(maxFutureSkew)) {
			return fieldErr("ts", "is more than 5 minutes in the future")
		}
		if ts.Year() < 2000 {
			return fieldErr("ts", "is before the year 2000")
		}
		e.TS = ts.UTC().Truncate(time.Millisecond)
	}
	if in.Channel != "" {
		e.Channel = channel.Canonical(in.Channel)
		e.Source = e.Channel
		e.Medium = "offline"
	} else if in.URL == "" {
		e.Channel = channel.Offline
	}
	return nil
}

// hostBelongs reports whether host is domain or a subdomain of it.
func hostBelongs(host, domain string) bool {
	return host == domain || strings.HasSuffix(host, "."+domain)
}

// primaryLanguage returns the first language of an Accept-Language header, lowercased
// ("de-CH,de;q=0.9" → "de-ch"), bounded to a sane length.
func primaryLanguage(h string) string {
	first, _, _ := strings.Cut(h, ",")
	first, _, _ = strings.Cut(first, ";")
	first = strings.ToLower(strings.TrimSpace(first))
	if len(first) > 16 || first == "*" {
		return ""
	}
	for _, r := range first {
		if !(r >= 'a' && r <= 'z' || r == '-' || r >= '0' && r <= '9') {
			return ""
		}
	}
	return first
}
