// Package app assembles a running Omnistat from its configuration: it opens the store
// and migrates it, loads the catalog, opens the spool and starts shipping it, builds the
// collector and the HTTP handler, and shuts all of it down in order. The binary
// (cmd/omnistat) and in-process integration tests use the same assembly.
package app

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"net/http"
	"path/filepath"
	"time"

	"github.com/omnistat/omnistat/catalog"
	"github.com/omnistat/omnistat/collector"
	"github.com/omnistat/omnistat/collector/device"
	"github.com/omnistat/omnistat/collector/geo"
	"github.com/omnistat/omnistat/query"
	"github.com/omnistat/omnistat/schema"
	"github.com/omnistat/omnistat/server"
	"github.com/omnistat/omnistat/spool"
	"github.com/omnistat/omnistat/store"
	"github.com/omnistat/omnistat/store/embedded"
	chserver "github.com/omnistat/omnistat/store/server"
)

// Config is every setting of a running Omnistat.
type Config struct {
	DataDir       string
	ClickHouseURL string
	ChdbLib       string
	Cluster       string
	GeoIPDB       string
	TrustProxy    []*net.IPNet
	FlushInterval time.Duration
	SpoolDir      string
	SpoolMaxBytes int64
	DashboardDir  string
	RateLimit     float64
	RateBurst     int
}

// WithDefaults fills unset fields and checks the rest.
func (c Config) WithDefaults() (Config, error) {
	if c.DataDir == "" {
		c.DataDir = "./data"
	}
	if c.SpoolDir == "" {
		c.SpoolDir = filepath.Join(c.DataDir, "spool")
	}
	if c.FlushInterval == 0 {
		c.FlushInterval = time.Second
	}
	if c.FlushInterval < 10*time.Millisecond || c.FlushInterval > time.Hour {
		return c, fmt.Errorf("--flush-interval %s must be between 10ms and 1h", c.FlushInterval)
	}
	if c.SpoolMaxBytes == 0 {
		c.SpoolMaxBytes = 1 << 30
	}
	return c, nil
}

// OpenStore opens the configured engine: a ClickHouse server when ClickHouseURL is set,
// else the embedded engine on DataDir.
func OpenStore(ctx context.Context, c Config) (store.Store, error) {
	if c.ClickHouseURL != "" {
		return chserver.Open(ctx, c.ClickHouseURL)
	}
	return embedded.Open(ctx, embedded.Options{Path: c.DataDir, LibPath: c.ChdbLib})
}

// OpenMigrated opens the store and applies pending migrations.
func OpenMigrated(ctx context.Context, c Config) (store.Store, []int, error) {
	st, err := OpenStore(ctx, c)
	if err != nil {
		return nil, nil, err
	}
	did, err := schema.Migrate(ctx, st, schema.Options{Cluster: c.Cluster, Database: st.Database()})
	if err != nil {
		st.Close()
		return nil, nil, fmt.Errorf("migrate: %w", err)
	}
	return st, did, nil
}

// App is a running Omnistat.
type App struct {
	Config    Config
	Store     store.Store
	Catalog   *catalog.Catalog
	Collector *collector.Collector
	Spool     *spool.Spool
	Handler   http.Handler
	// Metrics is GET /metrics, for a private listener (it shows live traffic volume).
	Metrics   http.Handler
	log       *slog.Logger
	geo       *geo.DB
	ship      func(ctx context.Context, token string, records [][]byte) error
	stopShip  context.CancelFunc
	shipped   chan struct{}
	stopSweep context.CancelFunc
}

// New opens everything and starts shipping the spool. The caller serves Handler and
// calls Close when done.
func New(ctx context.Context, cfg Config, log *slog.Logger) (*App, error) {
	cfg, err := cfg.WithDefaults()
	if err != nil {
		return nil, err
	}
	a := &App{Config: cfg, log: log}
	st, did, err := OpenMigrated(ctx, cfg)
	if err != nil {
		return nil, err
	}
	a.Store = st
	if len(did) > 0 {
		log.Info("applied migrations", "versions", did)
	}
	a.Catalog = catalog.New(st)
	if err := a.Catalog.Refresh(ctx); err != nil {
		st.Close()
		return nil, err
	}
	if cfg.GeoIPDB != "" {
		if a.geo, err = geo.Open(cfg.GeoIPDB); err != nil {
			st.Close()
			return nil, fmt.Errorf("--geoip-db: %w", err)
		}
	}
	a.Spool, err = spool.Open(spool.Options{Dir: cfg.SpoolDir, SegmentMaxAge: cfg.FlushInterval, MaxBytes: cfg.SpoolMaxBytes, Logger: log})
	if err != nil {
		a.closeStore()
		return nil, fmt.Errorf("spool: %w", err)
	}
	a.Collector = collector.New(collector.Config{Catalog: a.Catalog, Sink: collector.SpoolSink{Spool: a.Spool},
		Salts: collector.NewSalts(st), Devices: device.NewParser(20000), Geo: a.geo, Logger: log, Store: st,
		Pending: collector.NewPending(pendingKeep(cfg.Cluster))})
	// Before shipping starts, so that every event is either in the store or in the spool.
	if n, err := a.Collector.Restore(ctx, a.Spool); err != nil {
		log.Error("visits in progress before the start could not be restored; they will be split in two", "err", err)
	} else if n > 0 {
		log.Info("restored visits in progress", "visitors", n)
	}

	a.ship = collector.Shipper(st, log, a.Collector.Pending())
	var shipCtx context.Context
	shipCtx, a.stopShip = context.WithCancel(context.WithoutCancel(ctx))
	a.shipped = make(chan struct{})
	go func() {
		defer close(a.shipped)
		if err := a.Spool.Run(shipCtx, a.ship); err != nil && !errors.Is(err, context.Canceled) {
			log.Error("spool shipping stopped", "err", err)
		}
	}()

	var sweepCtx context.Context
	sweepCtx, a.stopSweep = context.WithCancel(context.WithoutCancel(ctx))
	go sweep(sweepCtx, a.Collector)

	secret, err := a.Catalog.Secret(ctx, "session")
	if err != nil {
		a.Close(ctx)
		return nil, err
	}
	a.Handler = server.New(server.Config{SessionSecret: secret, Store: st, Catalog: a.Catalog, Collector: a.Collector, Query: query.New(st, a.Catalog),
		Logger: log, TrustProxy: cfg.TrustProxy, DashboardDir: cfg.DashboardDir,
		RateLimit: cfg.RateLimit, RateBurst: cfg.RateBurst})
	a.Metrics = server.Metrics(a.Collector, spoolMetrics(a.Spool))
	return a, nil
}

// Close stops shipping, seals the spool, makes one last attempt to ship what it holds
// (with its own deadline: never a cancelled context), and closes the store. Stop the
// HTTP server first, so nothing is accepted after the spool is sealed.
func (a *App) Close(ctx context.Context) error {
	a.stopSweep()
	a.stopShip()
	<-a.shipped
	if err := a.Spool.Close(); err != nil {
		a.log.Error("spool close", "err", err)
	}
	drainCtx, cancel := context.WithTimeout(context.WithoutCancel(ctx), 30*time.Second)
	defer cancel()
	if err := a.Spool.Drain(drainCtx, a.ship); err != nil {
		a.log.Error("events left in the spool will be shipped at the next start", "err", err)
	}
	return a.closeStore()
}

func (a *App) closeStore() error {
	if a.geo != nil {
		a.geo.Close()
	}
	return a.Store.Close()
}

// pendingKeep is how long a stored event stays in the collector's index of events on
// their way to the store: on a cluster, until the Distributed table has forwarded it.
func pendingKeep(cluster string) time.Duration {
	if cluster != "" {
		return collector.ClusterKeep
	}
	return 0
}

// sweep forgets what the collector no longer needs, every 5 s: ended visits, and
// on a cluster, stored events in the index of those not yet stored, which grows by
// every event accepted (at 35,000 events/s, a sweep a minute let it hold 2 million).
func sweep(ctx context.Context, c *collector.Collector) {
	t := time.NewTicker(5 * time.Second)
	defer t.Stop()
	for {
		select {
		case <-ctx.Done():
			return
		case now := <-t.C:
			c.Sweep(now)
		}
	}
}

// spoolMetrics writes the spool's gauges and counters for /metrics.
func spoolMetrics(sp *spool.Spool) func(w http.ResponseWriter) {
	return func(w http.ResponseWriter) {
		s := sp.Stats()
		p := func(name, typ, help string, v any) {
			fmt.Fprintf(w, "# HELP %s %s\n# TYPE %s %s\n%s %v\n", name, help, name, typ, name, v)
		}
		p("omnistat_spool_bytes", "gauge", "Bytes of accepted events not yet in ClickHouse.", s.Bytes)
		p("omnistat_spool_events", "gauge", "Events not yet in ClickHouse.", s.Records)
		p("omnistat_spool_oldest_seconds", "gauge", "Age of the oldest event not yet in ClickHouse.", s.OldestAge.Seconds())
		p("omnistat_flush_batches_total", "counter", "Batches inserted into ClickHouse.", s.ShippedSegments)
		p("omnistat_flush_events_total", "counter", "Events inserted into ClickHouse.", s.ShippedRecords)
		p("omnistat_engine_errors_total", "counter", "Failed inserts into ClickHouse (retried).", s.ShipErrors)
		p("omnistat_spool_refused_events_total", "counter", "Events the engine refused for good, kept in <spool-dir>/*.refused.", s.RefusedRecords)
		p("omnistat_flush_last_seconds", "gauge", "Duration of the last insert into ClickHouse.", s.LastShipDuration.Seconds())
		p("omnistat_flush_last_batch_events", "gauge", "Events in the last insert into ClickHouse.", s.LastShipRecords)
	}
}
