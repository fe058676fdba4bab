// Command query-bench measures the reporting API's answer times and the events table's
// size on disk, on the embedded engine, for a 30-day dashboard over millions of
// synthetic events; and, on the same engine and the same events, the answer times and
// size of Plausible's table layout (events_v2 + sessions_v2) as the reference.
//
// It loads the traffic of query/querytest (the generator behind the golden tests and
// `omnistat demo`), merges the parts (OPTIMIZE … FINAL, as a settled table is what users
// query), then runs every query of the dashboard's first screen several times and prints
// Markdown tables for bench/README.md.
//
//	go run ./bench/query -events 8000000
package main

import (
	"context"
	"flag"
	"fmt"
	"log"
	"os"
	"runtime"
	"time"

	"github.com/omnistat/omnistat/catalog"
	"github.com/omnistat/omnistat/query"
	"github.com/omnistat/omnistat/schema"
	"github.com/omnistat/omnistat/store/embedded"
)

func main() {
	events := flag.Int("events", 8_000_000, "events to load (about)")
	days := flag.Int("days", 30, "days the events span; the dashboard asks for the last 30")
	runs := flag.Int("runs", 9, "timed runs of each query (after one warm-up)")
	dir := flag.String("data-dir", "", "engine data directory (default: a temporary one, removed at the end)")
	plausible := flag.Bool("plausible", true, "also build and query Plausible's layout on the same events")
	flag.StringVar(&only, "only", "", "time only the queries whose name contains this (e.g. funnel), to compare two builds quickly")
	flag.Parse()
	if err := run(context.Background(), *events, *days, *runs, *dir, *plausible); err != nil {
		log.Fatal(err)
	}
}

func run(ctx context.Context, nEvents, days, runs int, dir string, withPlausible bool) error {
	if dir == "" {
		tmp, err := os.MkdirTemp("", "omnistat-query-bench-")
		if err != nil {
			return err
		}
		defer os.RemoveAll(tmp)
		dir = tmp
	}
	st, err := embedded.Open(ctx, embedded.Options{Path: dir})
	if err != nil {
		return err
	}
	defer st.Close()
	if _, err := schema.Migrate(ctx, st, schema.Options{Database: st.Database()}); err != nil {
		return err
	}
	cat := catalog.New(st)
	site, err := cat.SiteByDomain(ctx, "bench.example")
	reuse := err == nil // a -data-dir of an earlier run: measure its events again
	if !reuse {
		if site, err = cat.AddSite(ctx, "bench.example", "UTC"); err != nil {
			return err
		}
		for _, g := range []catalog.Goal{{Event: "signup"}, {Page: "/pricing*"}} {
			if _, err := cat.AddGoal(ctx, site.ID, g); err != nil {
				return err
			}
		}
	}
	version, _ := st.ServerVersion(ctx)
	fmt.Printf("engine: embedded chDB %s; %d CPUs; Go %s\n\n", version, runtime.NumCPU(), runtime.Version())

	end := time.Date(2026, 11, 1, 0, 0, 0, 0, time.UTC)
	t0 := time.Now()
	if !reuse {
		n, err := load(ctx, st, site.ID, site.Domain, nEvents, days, end)
		if err != nil {
			return err
		}
		fmt.Printf("loaded %d events in %s\n", n, time.Since(t0).Round(time.Second))
		if err := optimize(ctx, st, "events"); err != nil {
			return err
		}
	}
	ours, err := tableSizes(ctx, st, "events")
	if err != nil {
		return err
	}
	n := int(ours[0].rows)
	engine := query.New(st, cat)
	rangeJSON := fmt.Sprintf(`[%q, %q]`, end.AddDate(0, 0, -30).Format("2006-01-02"), end.AddDate(0, 0, -1).Format("2006-01-02"))
	oursT, err := timeAll(ctx, runs, ourQueries(engine, site, rangeJSON))
	if err != nil {
		return err
	}

	var plaus []sizeRow
	var plausT []timing
	if withPlausible {
		t0 = time.Now()
		if !reuse {
			if err := buildPlausible(ctx, st); err != nil {
				return err
			}
			fmt.Printf("built Plausible's layout from the same events in %s\n", time.Since(t0).Round(time.Second))
		}
		for _, tbl := range []string{"p_events_v2", "p_sessions_v2"} {
			if err := optimize(ctx, st, tbl); err != nil {
				return err
			}
			s, err := tableSizes(ctx, st, tbl)
			if err != nil {
				return err
			}
			plaus = append(plaus, s...)
		}
		from, to := end.AddDate(0, 0, -30), end
		plausT, err = timeAll(ctx, runs, plausibleQueries(st, site.ID, from, to))
		if err != nil {
			return err
		}
	}
	report(n, ours, plaus, oursT, plausT, runs)
	return nil
}
