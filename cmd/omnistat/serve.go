package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"net/http/pprof"
	"path/filepath"
	"time"

	"github.com/omnistat/omnistat/app"
	"github.com/omnistat/omnistat/server"
)

func migrate(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	var c config
	fs := flag.NewFlagSet("omnistat migrate", flag.ContinueOnError)
	storageFlags(fs, &c)
	if err := parseFlags(fs, args, stdout, stderr); err != nil {
		return err
	}
	if fs.NArg() > 0 {
		return fmt.Errorf("migrate takes no arguments, got %q", fs.Args())
	}
	// The embedded engine allows one process per data directory: beside a running
	// server, opening it fails with the engine's own lock message, which says nothing
	// of what to do. The server's admin socket answering tells the case first.
	if c.App.ClickHouseURL == "" && serverListening(socketPath(c.App.DataDir)) {
		dir, _ := filepath.Abs(c.App.DataDir)
		return fmt.Errorf("the server is running on %s and applies migrations itself when it starts; stop it first to run migrate by hand", dir)
	}
	st, did, err := app.OpenMigrated(ctx, c.App)
	if err != nil {
		return err
	}
	defer st.Close()
	if len(did) == 0 {
		fmt.Fprintln(stdout, "schema is up to date")
	} else {
		fmt.Fprintf(stdout, "applied migrations %v\n", did)
	}
	return nil
}

// serve runs the server until ctx is cancelled (SIGINT/SIGTERM), then shuts down in
// order: stop taking HTTP requests, seal the spool, ship what it holds, close the store.
func serve(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	start := time.Now()
	var c config
	var trust string
	fs := flag.NewFlagSet("omnistat serve", flag.ContinueOnError)
	serveFlags(fs, &c, &trust)
	if err := parseFlags(fs, args, stdout, stderr); err != nil {
		return err
	}
	if fs.NArg() > 0 {
		return fmt.Errorf("serve takes no arguments, got %q", fs.Args())
	}
	var err error
	if c.App.TrustProxy, err = parseCIDRs(trust, flagSource(fs, "trust-proxy")); err != nil {
		return err
	}
	if c.LogFormat != "text" && c.LogFormat != "json" {
		return fmt.Errorf("--log-format %q must be text or json", c.LogFormat)
	}
	var handler slog.Handler = slog.NewTextHandler(stderr, nil)
	if c.LogFormat == "json" {
		handler = slog.NewJSONHandler(stderr, nil)
	}
	log := slog.New(handler)

	a, err := app.New(ctx, c.App, log)
	if err != nil {
		return err
	}
	httpSrv := &http.Server{Addr: c.Addr, Handler: a.Handler}
	server.Timeouts(httpSrv)
	ln, err := net.Listen("tcp", c.Addr)
	if err != nil {
		a.Close(ctx)
		return fmt.Errorf("listen %s: %w", c.Addr, err)
	}
	if c.App.ClickHouseURL == "" {
		closeAdmin, err := serveAdminSocket(ctx, socketPath(c.App.DataDir), a.Catalog, a.Store)
		if err != nil {
			a.Close(ctx)
			return err
		}
		defer closeAdmin()
	}
	if c.DebugAddr != "" {
		// Metrics and profiles on their own listener, never on the public address: they
		// show the traffic of every site and the server's internals.
		mux := http.NewServeMux()
		mux.Handle("/metrics", a.Metrics)
		mux.HandleFunc("/debug/pprof/", pprof.Index)
		mux.HandleFunc("/debug/pprof/profile", pprof.Profile)
		mux.HandleFunc("/debug/pprof/symbol", pprof.Symbol)
		mux.HandleFunc("/debug/pprof/trace", pprof.Trace)
		dln, err := net.Listen("tcp", c.DebugAddr)
		if err != nil {
			ln.Close()
			a.Close(ctx)
			return fmt.Errorf("--debug-addr %s: %w", c.DebugAddr, err)
		}
		debugSrv := &http.Server{Handler: mux, ReadHeaderTimeout: 5 * time.Second}
		defer debugSrv.Close()
		go func() {
			if err := debugSrv.Serve(dln); !errors.Is(err, http.ErrServerClosed) {
				log.Warn("debug listener stopped", "err", err)
			}
		}()
	}
	served := make(chan error, 1)
	go func() { served <- httpSrv.Serve(ln) }()
	log.Info("omnistat is serving", "addr", ln.Addr().String(), "engine", engineName(c.App), "startup", time.Since(start).Round(time.Millisecond).String())

	select {
	case <-ctx.Done():
	case err := <-served:
		a.Close(ctx)
		return fmt.Errorf("http server: %w", err)
	}
	log.Info("shutting down: no new requests, then the spool is flushed")
	shutCtx, cancel := context.WithTimeout(context.WithoutCancel(ctx), 10*time.Second)
	defer cancel()
	if err := httpSrv.Shutdown(shutCtx); err != nil {
		log.Warn("http shutdown", "err", err)
	}
	err = a.Close(ctx)
	log.Info("stopped")
	return err
}

func engineName(c app.Config) string {
	if c.ClickHouseURL != "" {
		return "clickhouse server"
	}
	return "embedded (" + c.DataDir + ")"
}
