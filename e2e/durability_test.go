package e2e

import (
	"bytes"
	"context"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/omnistat/omnistat/app"
	"github.com/omnistat/omnistat/internal/apptest"
	"github.com/omnistat/omnistat/internal/browser"
	"github.com/omnistat/omnistat/store"
	"github.com/omnistat/omnistat/store/embedded"
)

// sendEvent posts one custom event numbered n and reports whether it got 202.
func sendEvent(client *http.Client, base string, n int) bool {
	body := fmt.Sprintf(`{"site":"shop.test","name":"durable","url":"https://shop.test/p%d","props":{"n":"%d"}}`, n%50, n)
	req, _ := http.NewRequest(http.MethodPost, base+"/api/event", strings.NewReader(body))
	req.Header.Set("Content-Type", "text/plain")
	req.Header.Set("User-Agent", browser.UserAgent)
	req.Header.Set("X-Forwarded-For", fmt.Sprintf("10.1.%d.%d", n/250%250, n%250))
	resp, err := client.Do(req)
	if err != nil {
		return false
	}
	io.Copy(io.Discard, resp.Body)
	resp.Body.Close()
	return resp.StatusCode == http.StatusAccepted
}

// storedCounts is countsByN over a stopped server's data directory.
func storedCounts(t *testing.T, dataDir string) map[int]int {
	t.Helper()
	st, err := embedded.Open(context.Background(), embedded.Options{Path: dataDir})
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	return countsByN(t, st)
}

// countsByN reads how often each event number is stored.
func countsByN(t *testing.T, st store.Store) map[int]int {
	t.Helper()
	res, err := st.Query(context.Background(), "SELECT props['n'], count() FROM events WHERE name = 'durable' GROUP BY 1", nil)
	if err != nil {
		t.Fatal(err)
	}
	out := map[int]int{}
	for _, r := range res.Rows {
		n, _ := strconv.Atoi(r[0].(string))
		out[n] = int(r[1].(int64))
	}
	return out
}

// Events that got 202 survive kill -9 of the server: after a restart every one of them
// is in ClickHouse, and none twice.
func TestCrashLosesNoAcknowledgedEvent(t *testing.T) {
	srv := apptest.Start(t, "--flush-interval", "300ms", "--rate-limit", "0", "--trust-proxy", "127.0.0.1")
	srv.CLI("site", "add", "shop.test")

	var acked sync.Map
	var sent, ok atomic.Int64
	stop := make(chan struct{})
	var wg sync.WaitGroup
	client := &http.Client{Timeout: 5 * time.Second}
	for w := 0; w < 8; w++ {
		wg.Add(1)
		go func(w int) {
			defer wg.Done()
			for i := 0; ; i++ {
				select {
				case <-stop:
					return
				default:
				}
				n := w*1_000_000 + i
				sent.Add(1)
				if sendEvent(client, srv.URL, n) {
					acked.Store(n, true)
					ok.Add(1)
				}
			}
		}(w)
	}
	time.Sleep(1500 * time.Millisecond) // some segments shipped, some not yet
	srv.Kill()
	close(stop)
	wg.Wait()
	if ok.Load() < 100 {
		t.Fatalf("only %d of %d events were acknowledged before the kill; the test proves nothing", ok.Load(), sent.Load())
	}

	// Restart on the same data: the spool is replayed. Then stop cleanly and read the
	// engine directly.
	again := apptest.StartIn(t, srv.DataDir, "--flush-interval", "300ms")
	again.Stop()
	counts := storedCounts(t, srv.DataDir)
	missing, dup := 0, 0
	acked.Range(func(k, _ any) bool {
		if counts[k.(int)] == 0 {
			missing++
		}
		return true
	})
	for n, c := range counts {
		if c > 1 {
			dup++
			t.Errorf("event %d stored %d times", n, c)
		}
	}
	t.Logf("sent %d, acknowledged %d, stored %d distinct, missing %d, duplicated %d", sent.Load(), ok.Load(), len(counts), missing, dup)
	if missing > 0 {
		t.Fatalf("%d acknowledged events were lost", missing)
	}
}

// Events acknowledged after a restart are stored like those before it: a restart on
// the same data (a deploy, SIGTERM) with everything shipped must not make the new
// run's inserts look like repeats of the old run's.
func TestRestartKeepsStoringAcknowledgedEvents(t *testing.T) {
	srv := apptest.Start(t, "--flush-interval", "200ms", "--rate-limit", "0")
	srv.CLI("site", "add", "shop.test")
	client := &http.Client{Timeout: 5 * time.Second}
	for n := 0; n < 3; n++ {
		if !sendEvent(client, srv.URL, n) {
			t.Fatalf("event %d refused before the restart", n)
		}
	}
	srv.Stop() // ships everything: the spool is empty

	for run := 0; run < 2; run++ {
		again := apptest.StartIn(t, srv.DataDir, "--flush-interval", "200ms", "--rate-limit", "0")
		for n := 3 + 4*run; n < 7+4*run; n++ {
			if !sendEvent(client, again.URL, n) {
				t.Fatalf("event %d refused after restart %d", n, run+1)
			}
		}
		again.Stop()
	}

	counts := storedCounts(t, srv.DataDir)
	for n := 0; n < 11; n++ {
		if counts[n] != 1 {
			t.Errorf("acknowledged event %d is stored %d times; want once", n, counts[n])
		}
	}
}

// inProcess runs the whole server in the test process (embedded engine, spool,
// collector, HTTP on a loopback port), so a test can reach into its store.
func inProcess(t *testing.T) (*app.App, string, *bytes.Buffer) {
	t.Helper()
	var logs bytes.Buffer
	a, err := app.New(context.Background(), app.Config{DataDir: t.TempDir(), FlushInterval: 100 * time.Millisecond},
		slog.New(slog.NewTextHandler(&lockedBuffer{b: &logs}, nil)))
	if err != nil {
		t.Fatal(err)
	}
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	hs := &http.Server{Handler: a.Handler}
	go hs.Serve(ln)
	t.Cleanup(func() {
		hs.Close()
		a.Close(context.Background())
	})
	return a, "http://" + ln.Addr().String(), &logs
}

type lockedBuffer struct {
	mu sync.Mutex
	b  *bytes.Buffer
}

func (l *lockedBuffer) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.Write(p)
}

// While ClickHouse cannot take inserts, events keep getting 202; once it can again,
// every one of them lands, once.
func TestEngineOutageKeepsAccepting(t *testing.T) {
	ctx := context.Background()
	a, base, logs := inProcess(t)
	if _, err := a.Catalog.AddSite(ctx, "shop.test", ""); err != nil {
		t.Fatal(err)
	}
	client := &http.Client{Timeout: 5 * time.Second}
	waitFor := func(what string, cond func() bool) {
		t.Helper()
		deadline := time.Now().Add(30 * time.Second)
		for !cond() {
			if time.Now().After(deadline) {
				t.Fatalf("timed out waiting for %s\nlog:\n%s", what, logs.String())
			}
			time.Sleep(50 * time.Millisecond)
		}
	}
	for n := 0; n < 50; n++ {
		if !sendEvent(client, base, n) {
			t.Fatalf("event %d refused before the outage", n)
		}
	}
	waitFor("the first events to land", func() bool { return len(countsByN(t, a.Store)) == 50 })

	// The outage: the events table is gone for the collector's inserts.
	if err := a.Store.Exec(ctx, "RENAME TABLE events TO events_away", nil); err != nil {
		t.Fatal(err)
	}
	for n := 50; n < 300; n++ {
		if !sendEvent(client, base, n) {
			t.Fatalf("event %d was not acknowledged during the outage", n)
		}
	}
	waitFor("failed inserts to be retried", func() bool { return a.Spool.Stats().ShipErrors >= 2 })
	if pending := a.Spool.Stats().Records; pending == 0 {
		t.Fatal("nothing waits in the spool during the outage")
	}

	if err := a.Store.Exec(ctx, "RENAME TABLE events_away TO events", nil); err != nil {
		t.Fatal(err)
	}
	waitFor("every event to land after the outage", func() bool { return len(countsByN(t, a.Store)) == 300 })
	for n, c := range countsByN(t, a.Store) {
		if c != 1 {
			t.Errorf("event %d stored %d times", n, c)
		}
	}
}
