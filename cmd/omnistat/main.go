// Command omnistat is Omnistat's one binary: the server (collector, reporting API,
// dashboard) and the commands that manage it. This package only parses configuration,
// wires the packages together and handles signals; the work is done elsewhere.
package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"os/signal"
	"runtime/debug"
	"syscall"
)

const usage = `omnistat — self-hosted web and omnichannel analytics on ClickHouse

Usage:
  omnistat serve [flags]                       start collector, reporting API and dashboard
  omnistat migrate [flags]                     apply schema migrations
  omnistat site add DOMAIN [--timezone TZ]     register a site; prints its id
  omnistat key create --site DOMAIN [--name N] print a new API key (shown once)
  omnistat user add EMAIL [--password P]       create a dashboard user (prompts for the password)
  omnistat user remove EMAIL                   delete a dashboard user and end their sessions
  omnistat demo [--site demo.example] [--days 30]  fill a demo site with realistic traffic
  omnistat version                             print the version

Every flag has an OMNISTAT_* environment twin (--data-dir is OMNISTAT_DATA_DIR); a flag
given on the command line wins. Run "omnistat serve -h" for the flags.
`

var version = "dev"

func main() {
	if os.Getenv("GOGC") == "" {
		// The collector allocates short-lived garbage per event and the machine has
		// memory to spare: collecting less often buys ingest throughput. GOGC wins.
		debug.SetGCPercent(400)
	}
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	if err := run(ctx, os.Args[1:], os.Stdin, os.Stdout, os.Stderr); err != nil {
		if errors.Is(err, errUsage) {
			os.Exit(2)
		}
		fmt.Fprintln(os.Stderr, "omnistat:", err)
		os.Exit(1)
	}
}

// errUsage is a command line that could not be parsed (exit code 2); the usage text is
// printed already. Any other error exits 1.
var errUsage = errors.New("usage")

// errHelp is a command's -h or --help: its help is printed on stdout, and asking for it
// is a success.
var errHelp = errors.New("help")

func run(ctx context.Context, args []string, stdin io.Reader, stdout, stderr io.Writer) error {
	if err := dispatch(ctx, args, stdin, stdout, stderr); !errors.Is(err, errHelp) {
		return err
	}
	return nil
}

func dispatch(ctx context.Context, args []string, stdin io.Reader, stdout, stderr io.Writer) error {
	if len(args) == 0 {
		fmt.Fprint(stderr, usage)
		return errUsage
	}
	cmd, rest := args[0], args[1:]
	switch cmd {
	case "serve":
		return serve(ctx, rest, stdout, stderr)
	case "migrate":
		return migrate(ctx, rest, stdout, stderr)
	case "demo":
		return admin(ctx, "demo", rest, stdin, stdout, stderr)
	case "site", "key", "user":
		if len(rest) > 0 && (rest[0] == "-h" || rest[0] == "--help" || rest[0] == "-help") {
			fmt.Fprint(stdout, usage)
			return nil
		}
		if len(rest) == 0 {
			fmt.Fprint(stderr, usage)
			return errUsage
		}
		return admin(ctx, cmd+" "+rest[0], rest[1:], stdin, stdout, stderr)
	case "version", "--version":
		fmt.Fprintln(stdout, "omnistat", version)
		return nil
	case "help", "-h", "--help":
		fmt.Fprint(stdout, usage)
		return nil
	}
	fmt.Fprintf(stderr, "omnistat: unknown command %q\n\n%s", cmd, usage)
	return errUsage
}
