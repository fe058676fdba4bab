// Package catalog owns Omnistat's small metadata: sites, API keys, dashboard users,
// goals, tracked links and shared links. They live in ClickHouse next to the events
// (one engine to run and back up), as ReplacingMergeTree tables where a change is a new
// row with a higher version. Sites and keys are read on every request, so the Catalog
// keeps them in memory and reloads them when asked about something it does not know.
package catalog

import (
	"context"
	"errors"
	"fmt"
	"strconv"
	"sync"
	"sync/atomic"
	"time"

	"github.com/omnistat/omnistat/store"
)

// ErrNotFound is returned when a site, key, goal, link or user does not exist.
var ErrNotFound = errors.New("not found")

// Catalog reads and writes the metadata tables.
type Catalog struct {
	st  store.Store
	now func() time.Time

	mu         sync.Mutex // guards the fields below and serialises id assignment
	sites      map[uint32]Site
	byDomain   map[string]uint32
	keys       map[string]apiKey
	loadedAt   time.Time
	minReload  time.Duration
	lastReload time.Time

	links  linkCache
	shares shareCache
	fast   atomic.Pointer[map[string]Site] // domain → site, read without the lock
}

// New returns a Catalog on st.
func New(st store.Store) *Catalog {
	return &Catalog{st: st, now: time.Now, minReload: time.Second}
}

// version is a row version for ReplacingMergeTree: later writes win.
func (c *Catalog) version() string {
	return strconv.FormatInt(c.now().UnixNano(), 10)
}

func (c *Catalog) nowText() string {
	return c.now().UTC().Format("2006-01-02 15:04:05")
}

// reload reads sites and keys into memory.
func (c *Catalog) reload(ctx context.Context) error {
	sites, err := c.listSites(ctx)
	if err != nil {
		return err
	}
	keys, err := c.listKeys(ctx)
	if err != nil {
		return err
	}
	c.sites = map[uint32]Site{}
	c.byDomain = map[string]uint32{}
	for _, s := range sites {
		c.sites[s.ID] = s
		c.byDomain[s.Domain] = s.ID
	}
	c.keys = keys
	c.loadedAt = c.now()
	c.publish()
	return nil
}

// publish makes the current sites visible to the lock-free lookup. Called with mu held.
func (c *Catalog) publish() {
	m := make(map[string]Site, len(c.sites))
	for _, s := range c.sites {
		m[s.Domain] = s
	}
	c.fast.Store(&m)
}

// ensureLoaded loads the cache on first use, and reloads it when force is set and the
// last reload is older than minReload (so a flood of unknown-site requests costs at
// most one query a second).
func (c *Catalog) ensureLoaded(ctx context.Context, force bool) error {
	if c.sites != nil && (!force || c.now().Sub(c.lastReload) < c.minReload) {
		return nil
	}
	c.lastReload = c.now()
	return c.reload(ctx)
}

// Refresh drops the cache so the next read sees changes made by another process.
func (c *Catalog) Refresh(ctx context.Context) error {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.reload(ctx)
}

func asString(v any) string {
	s, _ := v.(string)
	return s
}

func wrap(op string, err error) error {
	if err == nil {
		return nil
	}
	return fmt.Errorf("catalog.%s: %w", op, err)
}
