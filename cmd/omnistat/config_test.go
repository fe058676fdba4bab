package main

import (
	"context"
	"errors"
	"flag"
	"io"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

func TestFlagsHaveEnvironmentTwins(t *testing.T) {
	t.Setenv("OMNISTAT_DATA_DIR", "/from/env")
	t.Setenv("OMNISTAT_FLUSH_INTERVAL", "250ms")
	t.Setenv("OMNISTAT_ADDR", ":9999")
	var c config
	var trust string
	fs := flag.NewFlagSet("serve", flag.ContinueOnError)
	serveFlags(fs, &c, &trust)
	if err := parseFlags(fs, []string{"--addr", ":7777"}, io.Discard, io.Discard); err != nil {
		t.Fatal(err)
	}
	if c.App.DataDir != "/from/env" || c.App.FlushInterval != 250*time.Millisecond {
		t.Fatalf("environment not applied: data dir %q, flush %s", c.App.DataDir, c.App.FlushInterval)
	}
	if c.Addr != ":7777" {
		t.Fatalf("addr = %q; the flag must win over OMNISTAT_ADDR", c.Addr)
	}
	t.Setenv("OMNISTAT_FLUSH_INTERVAL", "soon")
	fs = flag.NewFlagSet("serve", flag.ContinueOnError)
	serveFlags(fs, &c, &trust)
	if err := parseFlags(fs, nil, io.Discard, io.Discard); err == nil || !strings.Contains(err.Error(), "OMNISTAT_FLUSH_INTERVAL") {
		t.Fatalf("a bad environment value: err = %v; want one naming OMNISTAT_FLUSH_INTERVAL", err)
	}
}

func TestParseCIDRs(t *testing.T) {
	nets, err := parseCIDRs("10.0.0.0/8, 127.0.0.1,::1", "--trust-proxy")
	if err != nil || len(nets) != 3 || nets[1].String() != "127.0.0.1/32" || nets[2].String() != "::1/128" {
		t.Fatalf("parseCIDRs = %v, %v", nets, err)
	}
	if _, err := parseCIDRs("10.0.0.0/99", "--trust-proxy"); err == nil || !strings.Contains(err.Error(), "--trust-proxy") {
		t.Fatalf("bad CIDR: err = %v", err)
	}
}

// A bad --trust-proxy is quoted as the user wrote it, and named as the environment
// variable when it came from there.
func TestTrustProxyErrorsQuoteWhatWasGiven(t *testing.T) {
	err := run(context.Background(), []string{"serve", "--trust-proxy", "10.0.0.1/8, 10.0.0.300"}, nil, io.Discard, io.Discard)
	if err == nil || !strings.Contains(err.Error(), `--trust-proxy: "10.0.0.300" is not`) {
		t.Errorf("from the flag: %v; want it to quote \"10.0.0.300\" and name --trust-proxy", err)
	}
	t.Setenv("OMNISTAT_TRUST_PROXY", "proxy.internal")
	err = run(context.Background(), []string{"serve"}, nil, io.Discard, io.Discard)
	if err == nil || !strings.Contains(err.Error(), `OMNISTAT_TRUST_PROXY: "proxy.internal" is not`) || strings.Contains(err.Error(), "--trust-proxy") {
		t.Errorf("from the environment: %v; want it to quote \"proxy.internal\" and name OMNISTAT_TRUST_PROXY", err)
	}
}

// docker-compose.yml is checked with Debian's docker-compose, since no Docker engine runs
// on our machines.
func TestComposeFileIsValid(t *testing.T) {
	bin, err := exec.LookPath("docker-compose")
	if err != nil {
		t.Fatal("docker-compose is needed to validate docker-compose.yml: apt-get install -y docker-compose")
	}
	cmd := exec.Command(bin, "-f", filepath.Join("..", "..", "docker-compose.yml"), "config", "-q")
	if out, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("docker-compose config: %v\n%s", err, out)
	}
}

// Asking for help is not an error: every command's -h and --help print its flags to
// stdout and succeed, as "omnistat --help" does.
func TestHelpGoesToStdoutAndSucceeds(t *testing.T) {
	for _, args := range [][]string{{"--help"}, {"serve", "--help"}, {"serve", "-h"}, {"migrate", "-h"}, {"site", "add", "--help"},
		{"key", "create", "-h"}, {"user", "add", "--help"}, {"user", "remove", "-h"}, {"demo", "--help"}, {"site", "--help"}} {
		var stdout, stderr strings.Builder
		err := run(context.Background(), args, strings.NewReader(""), &stdout, &stderr)
		if err != nil || stdout.Len() == 0 || stderr.Len() != 0 {
			t.Errorf("omnistat %s: err %v, %d bytes on stdout, stderr %q; want help on stdout and no error",
				strings.Join(args, " "), err, stdout.Len(), stderr.String())
		}
	}
	var stdout, stderr strings.Builder
	if err := run(context.Background(), []string{"serve", "--no-such-flag"}, nil, &stdout, &stderr); !errors.Is(err, errUsage) || stderr.Len() == 0 {
		t.Errorf("a bad flag: err %v, stderr %q; want a usage error on stderr", err, stderr.String())
	}
}

// The help names each flag's argument as Go's flag package reads it from the usage: a
// back-quoted word in the usage would become the argument's name (-chdb-lib make setup).
func TestHelpNamesFlagArgumentsPlainly(t *testing.T) {
	var stdout strings.Builder
	if err := run(context.Background(), []string{"serve", "-h"}, nil, &stdout, io.Discard); err != nil {
		t.Fatal(err)
	}
	for _, line := range strings.Split(stdout.String(), "\n") {
		if strings.HasPrefix(line, "  -chdb-lib") && line != "  -chdb-lib string" {
			t.Fatalf("help line %q; want \"  -chdb-lib string\"", line)
		}
	}
	var c config
	fs := flag.NewFlagSet("serve", flag.ContinueOnError)
	serveFlags(fs, &c, new(string))
	fs.VisitAll(func(f *flag.Flag) {
		if strings.Contains(f.Usage, "`") {
			t.Errorf("-%s's usage has a back-quoted word, which the help prints as its argument: %q", f.Name, f.Usage)
		}
	})
}
