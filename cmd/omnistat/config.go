package main

import (
	"bytes"
	"errors"
	"flag"
	"fmt"
	"io"
	"net"
	"os"
	"strings"
	"time"

	"github.com/omnistat/omnistat/app"
)

// config is every setting of the binary, parsed once from flags and their OMNISTAT_*
// environment twins and passed down; no package reads flags or the environment itself.
type config struct {
	App       app.Config
	Addr      string
	LogFormat string
	DebugAddr string
}

// storageFlags are the flags of every command that opens the store.
func storageFlags(fs *flag.FlagSet, c *config) {
	fs.StringVar(&c.App.DataDir, "data-dir", "./data", "embedded engine storage (and the default spool)")
	fs.StringVar(&c.App.ClickHouseURL, "clickhouse-url", "", "clickhouse://user:pass@host:9000/db: use this ClickHouse server instead of the embedded engine")
	fs.StringVar(&c.App.ChdbLib, "chdb-lib", "", "path of libchdb.so (default: $OMNISTAT_CHDB_LIB, else the .cache/chdb/ that make setup fills)")
	fs.StringVar(&c.App.Cluster, "cluster", "", "ClickHouse cluster name: DDL runs ON CLUSTER with Replicated and Distributed tables")
}

func serveFlags(fs *flag.FlagSet, c *config, trust *string) {
	storageFlags(fs, c)
	fs.StringVar(&c.Addr, "addr", ":8080", "HTTP listen address")
	fs.StringVar(&c.App.GeoIPDB, "geoip-db", "", "GeoLite2/DB-IP City .mmdb (comma-separate an IPv4 and an IPv6 file); geo stays empty without it")
	fs.StringVar(trust, "trust-proxy", "", "comma-separated CIDRs of proxies whose X-Forwarded-For is believed")
	fs.DurationVar(&c.App.FlushInterval, "flush-interval", time.Second, "how often accepted events are written to ClickHouse")
	fs.StringVar(&c.App.SpoolDir, "spool-dir", "", "on-disk spool of accepted events (default <data-dir>/spool)")
	fs.Int64Var(&c.App.SpoolMaxBytes, "spool-max-bytes", 1<<30, "spool size above which events are refused with 503")
	fs.StringVar(&c.App.DashboardDir, "dev", "", "serve the dashboard from this folder (development)")
	fs.StringVar(&c.LogFormat, "log-format", "text", "log format: text or json")
	fs.StringVar(&c.DebugAddr, "debug-addr", "", "serve /metrics (Prometheus) and Go's pprof profiles on this address (e.g. 127.0.0.1:6060); off by default")
	fs.Float64Var(&c.App.RateLimit, "rate-limit", 20, "events per second accepted from one client IP (0: no limit)")
	fs.IntVar(&c.App.RateBurst, "rate-burst", 200, "burst of events one client IP may send above --rate-limit")
}

// parseFlags parses args, then fills every flag not given from OMNISTAT_<NAME>. Leftover
// arguments are an error, so a typo is not silently ignored. -h and --help print the
// flags to stdout and return errHelp; a bad flag prints them to stderr (errUsage).
func parseFlags(fs *flag.FlagSet, args []string, stdout, stderr io.Writer) error {
	var out bytes.Buffer
	fs.SetOutput(&out)
	if err := fs.Parse(args); err != nil {
		if errors.Is(err, flag.ErrHelp) {
			_, werr := out.WriteTo(stdout)
			return errors.Join(errHelp, werr)
		}
		out.WriteTo(stderr)
		return errUsage
	}
	given := map[string]bool{}
	fs.Visit(func(f *flag.Flag) { given[f.Name] = true })
	var err error
	fs.VisitAll(func(f *flag.Flag) {
		if given[f.Name] || err != nil {
			return
		}
		env := envName(f.Name)
		if v, ok := os.LookupEnv(env); ok {
			if e := f.Value.Set(v); e != nil {
				err = fmt.Errorf("%s=%q: %v", env, v, e)
			}
		}
	})
	return err
}

// parseCIDRs reads a comma-separated list of CIDRs and single addresses; source names
// where the list came from (the flag or its environment twin) for the error.
func parseCIDRs(s, source string) ([]*net.IPNet, error) {
	var out []*net.IPNet
	for _, part := range strings.Split(s, ",") {
		part = strings.TrimSpace(part)
		if part == "" {
			continue
		}
		cidr := part
		if !strings.Contains(cidr, "/") {
			if strings.Contains(cidr, ":") {
				cidr += "/128"
			} else {
				cidr += "/32"
			}
		}
		_, n, err := net.ParseCIDR(cidr)
		if err != nil {
			return nil, fmt.Errorf("%s: %q is not an IP address or a CIDR like 10.0.0.0/8", source, part)
		}
		out = append(out, n)
	}
	return out, nil
}

// flagSource names where a flag's value came from: the flag, or its environment twin
// when the command line did not give it.
func flagSource(fs *flag.FlagSet, name string) string {
	given := false
	fs.Visit(func(f *flag.Flag) { given = given || f.Name == name })
	if env := envName(name); !given {
		if _, ok := os.LookupEnv(env); ok {
			return env
		}
	}
	return "--" + name
}

// envName is a flag's environment twin: --data-dir is OMNISTAT_DATA_DIR.
func envName(flagName string) string {
	return "OMNISTAT_" + strings.ToUpper(strings.ReplaceAll(flagName, "-", "_"))
}
