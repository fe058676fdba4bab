package catalog

import (
	"context"
	"fmt"
	"net"
	"regexp"
	"strconv"
	"strings"
	"time"

	"github.com/omnistat/omnistat/store"
)

// Site is a registered website (or app) whose events Omnistat accepts.
type Site struct {
	ID       uint32
	Domain   string
	Timezone string
	Created  time.Time
}

// Location is the site's timezone, for day boundaries in reports.
func (s Site) Location() *time.Location {
	loc, err := time.LoadLocation(s.Timezone)
	if err != nil {
		return time.UTC
	}
	return loc
}

var domainRE = regexp.MustCompile(`^([a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?\.)*[a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?$`)

// NormalizeDomain lowercases a domain and checks that it is a host name (no scheme,
// path or port), so that "Shop.Example" and "shop.example" are one site.
func NormalizeDomain(domain string) (string, error) {
	d := strings.TrimSuffix(strings.ToLower(strings.TrimSpace(domain)), ".")
	d = strings.TrimPrefix(d, "www.")
	if d == "" {
		return "", fmt.Errorf("domain is empty")
	}
	if len(d) > 253 || (!domainRE.MatchString(d) && net.ParseIP(d) == nil) {
		return "", fmt.Errorf("domain %q is not a host name like shop.example (no scheme, path or port)", domain)
	}
	return d, nil
}

// AddSite registers a site. The timezone (IANA name, e.g. Europe/Berlin) sets where the
// site's days begin; empty means UTC.
func (c *Catalog) AddSite(ctx context.Context, domain, timezone string) (Site, error) {
	d, err := NormalizeDomain(domain)
	if err != nil {
		return Site{}, err
	}
	if timezone == "" {
		timezone = "UTC"
	}
	if _, err := time.LoadLocation(timezone); err != nil || strings.EqualFold(timezone, "local") {
		return Site{}, fmt.Errorf("timezone %q is not an IANA time zone name like Europe/Berlin", timezone)
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	if err := c.reload(ctx); err != nil {
		return Site{}, wrap("AddSite", err)
	}
	if _, ok := c.byDomain[d]; ok {
		return Site{}, fmt.Errorf("site %s already exists", d)
	}
	var next uint32 = 1
	for id := range c.sites {
		if id >= next {
			next = id + 1
		}
	}
	// Ids of deleted sites are never reused: their events stay in the events table.
	res, err := c.st.Query(ctx, "SELECT max(id) FROM sites", nil)
	if err != nil {
		return Site{}, wrap("AddSite", err)
	}
	if len(res.Rows) == 1 {
		if m := uint32(store.Uint(res.Rows[0][0])); m >= next {
			next = m + 1
		}
	}
	s := Site{ID: next, Domain: d, Timezone: timezone, Created: c.now().UTC().Truncate(time.Second)}
	err = c.st.Exec(ctx, "INSERT INTO sites (id, domain, timezone, created_at, deleted, version) VALUES ({id:UInt32}, {d:String}, {tz:String}, {t:DateTime('UTC')}, 0, {v:UInt64})",
		store.Params{"id": strconv.Itoa(int(s.ID)), "d": d, "tz": timezone, "t": c.nowText(), "v": c.version()})
	if err != nil {
		return Site{}, wrap("AddSite", err)
	}
	c.sites[s.ID] = s
	c.byDomain[d] = s.ID
	c.publish()
	return s, nil
}

func (c *Catalog) listSites(ctx context.Context) ([]Site, error) {
	res, err := c.st.Query(ctx, "SELECT id, domain, timezone, toUnixTimestamp(created_at) FROM sites FINAL WHERE deleted = 0 ORDER BY id", nil)
	if err != nil {
		return nil, wrap("listSites", err)
	}
	out := make([]Site, 0, len(res.Rows))
	for _, r := range res.Rows {
		out = append(out, Site{ID: uint32(store.Uint(r[0])), Domain: asString(r[1]), Timezone: asString(r[2]), Created: time.Unix(int64(store.Uint(r[3])), 0).UTC()})
	}
	return out, nil
}

// Sites lists the registered sites, by id.
func (c *Catalog) Sites(ctx context.Context) ([]Site, error) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if err := c.ensureLoaded(ctx, false); err != nil {
		return nil, err
	}
	out := make([]Site, 0, len(c.sites))
	for _, s := range c.sites {
		out = append(out, s)
	}
	sortSites(out)
	return out, nil
}

func sortSites(s []Site) {
	for i := 1; i < len(s); i++ {
		for j := i; j > 0 && s[j].ID < s[j-1].ID; j-- {
			s[j], s[j-1] = s[j-1], s[j]
		}
	}
}

// SiteByDomain finds a site by its domain (case-insensitive, "www." ignored). An unknown
// domain makes the cache reload at most once a second, so a site added by the CLI while
// the server runs is seen at once.
func (c *Catalog) SiteByDomain(ctx context.Context, domain string) (Site, error) {
	// Fast path for the collector: the domain exactly as registered, without a lock.
	if m := c.fast.Load(); m != nil {
		if s, ok := (*m)[domain]; ok {
			return s, nil
		}
	}
	d, err := NormalizeDomain(domain)
	if err != nil {
		return Site{}, ErrNotFound
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	if err := c.ensureLoaded(ctx, false); err != nil {
		return Site{}, err
	}
	if id, ok := c.byDomain[d]; ok {
		return c.sites[id], nil
	}
	if err := c.ensureLoaded(ctx, true); err != nil {
		return Site{}, err
	}
	if id, ok := c.byDomain[d]; ok {
		return c.sites[id], nil
	}
	return Site{}, ErrNotFound
}

// SiteByID finds a site by id.
func (c *Catalog) SiteByID(ctx context.Context, id uint32) (Site, error) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if err := c.ensureLoaded(ctx, false); err != nil {
		return Site{}, err
	}
	if s, ok := c.sites[id]; ok {
		return s, nil
	}
	if err := c.ensureLoaded(ctx, true); err != nil {
		return Site{}, err
	}
	if s, ok := c.sites[id]; ok {
		return s, nil
	}
	return Site{}, ErrNotFound
}
