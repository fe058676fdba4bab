package main

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"time"

	"golang.org/x/term"

	"github.com/omnistat/omnistat/app"
	"github.com/omnistat/omnistat/catalog"
	"github.com/omnistat/omnistat/store"
	"github.com/omnistat/omnistat/store/embedded"
)

// adminRequest is one management command (site add, key create, user add, user
// remove, demo), parsed.
type adminRequest struct {
	Cmd      string `json:"cmd"`
	Domain   string `json:"domain,omitempty"`
	Timezone string `json:"timezone,omitempty"`
	Name     string `json:"name,omitempty"`
	Email    string `json:"email,omitempty"`
	Password string `json:"password,omitempty"`
	Days     int    `json:"days,omitempty"`
}

// execAdmin runs a management command against the catalog and returns what to print.
func execAdmin(ctx context.Context, cat *catalog.Catalog, st store.Store, req adminRequest) (string, error) {
	switch req.Cmd {
	case "demo":
		return demo(ctx, cat, st, req.Domain, req.Days)
	case "site add":
		s, err := cat.AddSite(ctx, req.Domain, req.Timezone)
		if err != nil {
			return "", err
		}
		return fmt.Sprintf("%d\n", s.ID), nil
	case "key create":
		s, err := cat.SiteByDomain(ctx, req.Domain)
		if errors.Is(err, catalog.ErrNotFound) {
			return "", fmt.Errorf("site %q is not registered; add it with: omnistat site add %s", req.Domain, req.Domain)
		}
		if err != nil {
			return "", err
		}
		key, _, err := cat.CreateKey(ctx, req.Name, []uint32{s.ID})
		if err != nil {
			return "", err
		}
		return key + "\n", nil
	case "user add":
		if err := cat.AddUser(ctx, req.Email, req.Password); err != nil {
			return "", err
		}
		return fmt.Sprintf("user %s can now log in\n", strings.ToLower(req.Email)), nil
	case "user remove":
		email := strings.ToLower(strings.TrimSpace(req.Email))
		err := cat.RemoveUser(ctx, email)
		if errors.Is(err, catalog.ErrNotFound) {
			return "", fmt.Errorf("there is no dashboard user %s", email)
		}
		if err != nil {
			return "", err
		}
		return fmt.Sprintf("user %s is removed; their sessions have ended\n", email), nil
	}
	return "", fmt.Errorf("unknown command %q", req.Cmd)
}

// admin parses a management command and runs it: through the running server's admin
// socket when one is listening on the data directory (the embedded engine allows one
// process per directory), else by opening the store itself when the directory holds
// one (the server is stopped).
func admin(ctx context.Context, cmd string, args []string, stdin io.Reader, stdout, stderr io.Writer) error {
	var c config
	fs := flag.NewFlagSet("omnistat "+cmd, flag.ContinueOnError)
	storageFlags(fs, &c)
	req := adminRequest{Cmd: cmd}
	switch cmd {
	case "site add":
		fs.StringVar(&req.Timezone, "timezone", "UTC", "IANA timezone where the site's days begin, e.g. Europe/Berlin")
	case "key create":
		fs.StringVar(&req.Domain, "site", "", "the site the key may read and write (required)")
		fs.StringVar(&req.Name, "name", "", "a name to recognise the key by")
	case "user add":
		fs.StringVar(&req.Password, "password", "", "the password (prompted for when not given)")
	case "user remove":
	case "demo":
		fs.StringVar(&req.Domain, "site", "demo.example", "the demo site (created if missing)")
		fs.IntVar(&req.Days, "days", 30, "days of traffic, ending now")
	default:
		fmt.Fprint(stderr, usage)
		return errUsage
	}
	// Flags may follow the positional argument: omnistat site add shop.example --timezone X.
	var positional []string
	for len(args) > 0 {
		if err := parseFlags(fs, args, stdout, stderr); err != nil {
			return err
		}
		args = fs.Args()
		if len(args) > 0 {
			positional = append(positional, args[0])
			args = args[1:]
		}
	}
	switch cmd {
	case "site add":
		if len(positional) != 1 {
			return fmt.Errorf("usage: omnistat site add DOMAIN [--timezone TZ]")
		}
		req.Domain = positional[0]
	case "key create":
		if req.Domain == "" || len(positional) != 0 {
			return fmt.Errorf("usage: omnistat key create --site DOMAIN [--name N]")
		}
	case "demo":
		if len(positional) != 0 || req.Days < 1 || req.Days > 400 {
			return fmt.Errorf("usage: omnistat demo [--site demo.example] [--days 30] (1 to 400 days)")
		}
	case "user remove":
		if len(positional) != 1 {
			return fmt.Errorf("usage: omnistat user remove EMAIL")
		}
		req.Email = positional[0]
	case "user add":
		if len(positional) != 1 {
			return fmt.Errorf("usage: omnistat user add EMAIL [--password P]")
		}
		req.Email = positional[0]
		if req.Password == "" {
			pw, err := promptPassword(stdin, stderr)
			if err != nil {
				return err
			}
			req.Password = pw
		}
	}

	if c.App.ClickHouseURL == "" {
		if out, err, ok := viaSocket(ctx, socketPath(c.App.DataDir), req); ok {
			if err != nil {
				return err
			}
			_, err = io.WriteString(stdout, out)
			return err
		}
	}
	if c.App.ClickHouseURL == "" && !embedded.Holds(c.App.DataDir) {
		// Opening the store here would make a new, empty one that the server never reads.
		dir, _ := filepath.Abs(c.App.DataDir)
		return fmt.Errorf("no running server and no Omnistat data in %s (no admin socket %s, no database): "+
			"run the command from the directory the server runs in, or pass --data-dir with the server's data directory", dir, socketPath(dir))
	}
	st, _, err := app.OpenMigrated(ctx, c.App)
	if err != nil {
		return err
	}
	defer st.Close()
	out, err := execAdmin(ctx, catalog.New(st), st, req)
	if err != nil {
		return err
	}
	_, err = io.WriteString(stdout, out)
	return err
}

func promptPassword(stdin io.Reader, stderr io.Writer) (string, error) {
	fmt.Fprint(stderr, "Password: ")
	if f, ok := stdin.(*os.File); ok && term.IsTerminal(int(f.Fd())) {
		b, err := term.ReadPassword(int(f.Fd()))
		fmt.Fprintln(stderr)
		return string(b), err
	}
	line, err := bufio.NewReader(stdin).ReadString('\n')
	if err != nil && line == "" {
		return "", fmt.Errorf("no password given: use --password or type it at the prompt")
	}
	return strings.TrimRight(line, "\r\n"), nil
}

// socketPath is where a running server listens for management commands.
func socketPath(dataDir string) string { return filepath.Join(dataDir, "omnistat.sock") }

// serverListening reports whether a server answers on its admin socket at path (a
// socket file left by a crashed server refuses the connection).
func serverListening(path string) bool {
	conn, err := net.DialTimeout("unix", path, 2*time.Second)
	if err != nil {
		return false
	}
	conn.Close()
	return true
}

// viaSocket sends req to a running server. ok is false when no server listens.
func viaSocket(ctx context.Context, path string, req adminRequest) (out string, err error, ok bool) {
	if _, statErr := os.Stat(path); statErr != nil {
		return "", nil, false
	}
	client := &http.Client{Timeout: 30 * time.Second, Transport: &http.Transport{
		DialContext: func(ctx context.Context, _, _ string) (net.Conn, error) {
			return (&net.Dialer{}).DialContext(ctx, "unix", path)
		}}}
	body, _ := json.Marshal(req)
	hreq, _ := http.NewRequestWithContext(ctx, http.MethodPost, "http://omnistat/admin", bytes.NewReader(body))
	resp, err := client.Do(hreq)
	if err != nil {
		return "", nil, false // a stale socket file from a crashed server: open the store directly
	}
	defer resp.Body.Close()
	var res struct {
		Output string `json:"output"`
		Error  string `json:"error"`
	}
	if err := json.NewDecoder(resp.Body).Decode(&res); err != nil {
		return "", fmt.Errorf("admin socket: %w", err), true
	}
	if res.Error != "" {
		return "", errors.New(res.Error), true
	}
	return res.Output, nil, true
}

// serveAdminSocket answers management commands from the CLI on a Unix socket that only
// the server's user can open (mode 0600).
func serveAdminSocket(ctx context.Context, path string, cat *catalog.Catalog, st store.Store) (func(), error) {
	_ = os.Remove(path)
	ln, err := net.Listen("unix", path)
	if err != nil {
		return nil, fmt.Errorf("admin socket %s: %w", path, err)
	}
	if err := os.Chmod(path, 0o600); err != nil {
		ln.Close()
		return nil, err
	}
	srv := &http.Server{ReadHeaderTimeout: 5 * time.Second, Handler: http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		var req adminRequest
		w.Header().Set("Content-Type", "application/json")
		if err := json.NewDecoder(io.LimitReader(r.Body, 64<<10)).Decode(&req); err != nil {
			json.NewEncoder(w).Encode(map[string]string{"error": "bad admin request"})
			return
		}
		out, err := execAdmin(r.Context(), cat, st, req)
		if err != nil {
			json.NewEncoder(w).Encode(map[string]string{"error": err.Error()})
			return
		}
		json.NewEncoder(w).Encode(map[string]string{"output": out})
	})}
	go srv.Serve(ln)
	return func() {
		srv.Close()
		os.Remove(path)
	}, nil
}
