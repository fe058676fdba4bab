package spool

import (
	"bufio"
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"
)

func quiet() *slog.Logger { return slog.New(slog.NewTextHandler(io.Discard, nil)) }

func open(t *testing.T, dir string, o Options) *Spool {
	t.Helper()
	o.Dir, o.Logger = dir, quiet()
	s, err := Open(o)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { s.Close() })
	return s
}

func recs(from, to int) [][]byte {
	var out [][]byte
	for i := from; i < to; i++ {
		out = append(out, []byte("event-"+strconv.Itoa(i)))
	}
	return out
}

// collect is a ship function that records what it got, by token.
type collect struct {
	mu     sync.Mutex
	got    []string
	tokens []string
	fail   int // fail this many calls first
}

func (c *collect) ship(_ context.Context, token string, records [][]byte) error {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.tokens = append(c.tokens, token)
	if c.fail > 0 {
		c.fail--
		return errors.New("clickhouse is down")
	}
	for _, r := range records {
		c.got = append(c.got, string(r))
	}
	return nil
}

func (c *collect) records() []string {
	c.mu.Lock()
	defer c.mu.Unlock()
	return append([]string(nil), c.got...)
}

func want(from, to int) string {
	var w []string
	for i := from; i < to; i++ {
		w = append(w, "event-"+strconv.Itoa(i))
	}
	return strings.Join(w, ",")
}

func TestAppendSealShipInOrder(t *testing.T) {
	s := open(t, t.TempDir(), Options{SegmentMaxRecords: 10, SegmentMaxAge: time.Hour})
	for i := 0; i < 95; i += 5 {
		if err := s.Append(recs(i, i+5)); err != nil {
			t.Fatal(err)
		}
	}
	if st := s.Stats(); st.Segments != 10 || st.Records != 95 {
		t.Fatalf("stats %+v; want 10 segments (9 sealed by count, 1 open) and 95 records", st)
	}
	var c collect
	if err := s.Drain(context.Background(), c.ship); err != nil {
		t.Fatal(err)
	}
	if got := strings.Join(c.records(), ","); got != want(0, 90) {
		t.Fatalf("shipped %s", got)
	}
	s.Flush()
	s.Drain(context.Background(), c.ship)
	if got := strings.Join(c.records(), ","); got != want(0, 95) {
		t.Fatalf("after flush shipped %s", got)
	}
	if st := s.Stats(); st.Bytes != 0 || st.Records != 0 || st.ShippedSegments != 10 || st.ShippedRecords != 95 {
		t.Fatalf("stats after shipping everything: %+v", st)
	}
	files, _ := filepath.Glob(filepath.Join(s.o.Dir, "*.seg"))
	if len(files) != 0 {
		t.Fatalf("shipped segments left on disk: %v", files)
	}
}

func TestSealByAgeAndBytes(t *testing.T) {
	s := open(t, t.TempDir(), Options{SegmentMaxAge: 50 * time.Millisecond})
	s.Append(recs(0, 3))
	var c collect
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan struct{})
	go func() { s.Run(ctx, c.ship); close(done) }()
	deadline := time.Now().Add(5 * time.Second)
	for len(c.records()) < 3 && time.Now().Before(deadline) {
		time.Sleep(10 * time.Millisecond)
	}
	cancel()
	<-done
	if got := strings.Join(c.records(), ","); got != want(0, 3) {
		t.Fatalf("age seal: shipped %q", got)
	}
	b := open(t, t.TempDir(), Options{SegmentMaxBytes: 100, SegmentMaxAge: time.Hour})
	b.Append([][]byte{make([]byte, 120)})
	if st := b.Stats(); st.Segments != 1 || len(b.sealed) != 1 {
		t.Fatalf("a segment over SegmentMaxBytes was not sealed: %+v", st)
	}
}

func TestRestartKeepsUnshippedAndTokens(t *testing.T) {
	dir := t.TempDir()
	s := open(t, dir, Options{SegmentMaxRecords: 4, SegmentMaxAge: time.Hour})
	s.Append(recs(0, 10))
	var first collect
	first.fail = 1
	s.Drain(context.Background(), first.ship) // fails: nothing shipped
	s.Close()

	again := open(t, dir, Options{SegmentMaxAge: time.Hour})
	if st := again.Stats(); st.Records != 10 {
		t.Fatalf("after restart %d records pending; want 10", st.Records)
	}
	again.Append(recs(10, 12))
	again.Flush()
	var c collect
	if err := again.Drain(context.Background(), c.ship); err != nil {
		t.Fatal(err)
	}
	if got := strings.Join(c.records(), ","); got != want(0, 12) {
		t.Fatalf("shipped %s", got)
	}
	if first.tokens[0] != c.tokens[0] {
		t.Fatalf("token changed across restart: %s then %s", first.tokens[0], c.tokens[0])
	}
	if c.tokens[len(c.tokens)-1] == c.tokens[0] {
		t.Fatal("two segments share a token")
	}
}

// A restart reads back what was accepted and not shipped (the collector rebuilds the
// visits in progress from it), in order, also what the open segment holds; a shipped
// segment is no longer there.
func TestRecordsAreTheUnshippedOnes(t *testing.T) {
	dir := t.TempDir()
	s := open(t, dir, Options{SegmentMaxRecords: 4, SegmentMaxAge: time.Hour})
	s.Append(recs(0, 6))
	s.Close()
	again := open(t, dir, Options{SegmentMaxRecords: 4, SegmentMaxAge: time.Hour})
	again.Append(recs(6, 7)) // stays in the open segment
	read := func() string {
		var got []string
		if err := again.Records(func(r []byte) error { got = append(got, string(r)); return nil }); err != nil {
			t.Fatal(err)
		}
		return strings.Join(got, ",")
	}
	if got := read(); got != want(0, 7) {
		t.Fatalf("records after a restart: %s; want %s", got, want(0, 7))
	}
	var c collect
	if err := again.Drain(context.Background(), c.ship); err != nil {
		t.Fatal(err)
	}
	if got := read(); got != want(6, 7) {
		t.Fatalf("records after shipping the sealed segments: %s; want %s", got, want(6, 7))
	}
}

// A restart after everything was shipped starts numbering segments again, and its
// segments must still get tokens never used before: ClickHouse drops an insert whose
// token it has seen, so a reused token loses acknowledged events without an error.
func TestTokensAreNeverReusedAcrossRestarts(t *testing.T) {
	dir := t.TempDir()
	used := map[string]bool{}
	for run := 0; run < 3; run++ {
		s := open(t, dir, Options{SegmentMaxRecords: 2, SegmentMaxAge: time.Hour})
		s.Append(recs(0, 2))
		s.Append(recs(2, 4))
		s.Close()
		var c collect
		if err := s.Drain(context.Background(), c.ship); err != nil {
			t.Fatal(err)
		}
		for _, tok := range c.tokens {
			if used[tok] {
				t.Fatalf("run %d shipped a segment with token %s, already used by an earlier segment", run, tok)
			}
			used[tok] = true
		}
	}
}

// A segment left by a version that named segments <seq>.seg keeps the token that
// version gave it, so replaying it after the upgrade does not insert it twice.
func TestOldSegmentNameKeepsItsToken(t *testing.T) {
	dir := t.TempDir()
	s := open(t, dir, Options{SegmentMaxAge: time.Hour})
	s.Append(recs(0, 3))
	s.Close()
	seg := s.sealed[0]
	old := segment{seq: 7}
	if err := os.Rename(s.path(seg), s.path(old)); err != nil {
		t.Fatal(err)
	}

	again := open(t, dir, Options{SegmentMaxAge: time.Hour})
	var c collect
	if err := again.Drain(context.Background(), c.ship); err != nil {
		t.Fatal(err)
	}
	if got := strings.Join(c.records(), ","); got != want(0, 3) || len(c.tokens) != 1 || c.tokens[0] != again.id+"-7" {
		t.Fatalf("shipped %q with tokens %v; want the 3 records with token %s-7", got, c.tokens, again.id)
	}
}

func TestTornTailIsCut(t *testing.T) {
	dir := t.TempDir()
	s := open(t, dir, Options{SegmentMaxAge: time.Hour})
	s.Append(recs(0, 5))
	name := s.path(s.curSeg)
	s.Close()
	// A crash mid-write: half a frame, then garbage.
	info, _ := os.Stat(name)
	os.Truncate(name, info.Size()-3)
	f, _ := os.OpenFile(name, os.O_APPEND|os.O_WRONLY, 0)
	f.Write([]byte{0xff, 0xff})
	f.Close()

	again := open(t, dir, Options{SegmentMaxAge: time.Hour})
	var c collect
	again.Drain(context.Background(), c.ship)
	if got := strings.Join(c.records(), ","); got != want(0, 4) {
		t.Fatalf("after a torn tail shipped %q; want the 4 whole records", got)
	}
}

func TestCorruptSegmentIsMovedAside(t *testing.T) {
	dir := t.TempDir()
	s := open(t, dir, Options{SegmentMaxRecords: 3, SegmentMaxAge: time.Hour})
	s.Append(recs(0, 3))
	s.Append(recs(3, 6)) // two sealed segments
	first := s.path(s.sealed[0])
	s.Close()
	b, _ := os.ReadFile(first)
	b[frameHeader+1] ^= 0xff // flip a byte inside the first record
	os.WriteFile(first, b, 0o640)

	again := open(t, dir, Options{SegmentMaxAge: time.Hour})
	var c collect
	again.Drain(context.Background(), c.ship)
	if got := strings.Join(c.records(), ","); got != want(3, 6) {
		t.Fatalf("shipped %q; want only the intact segment", got)
	}
	if _, err := os.Stat(first + ".corrupt"); err != nil {
		t.Fatalf("corrupt segment not moved aside: %v", err)
	}
}

func TestRetryUntilShippedWithSameToken(t *testing.T) {
	s := open(t, t.TempDir(), Options{SegmentMaxAge: time.Hour, RetryMin: 5 * time.Millisecond, RetryMax: 20 * time.Millisecond})
	s.Append(recs(0, 3))
	s.Flush()
	c := collect{fail: 4}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan struct{})
	go func() { s.Run(ctx, c.ship); close(done) }()
	deadline := time.Now().Add(5 * time.Second)
	for len(c.records()) < 3 && time.Now().Before(deadline) {
		time.Sleep(5 * time.Millisecond)
	}
	cancel()
	<-done
	if got := strings.Join(c.records(), ","); got != want(0, 3) {
		t.Fatalf("shipped %q", got)
	}
	if len(c.tokens) != 5 || c.tokens[0] != c.tokens[4] {
		t.Fatalf("tokens %v; want 5 attempts with one token", c.tokens)
	}
	if st := s.Stats(); st.ShipErrors != 4 {
		t.Fatalf("ShipErrors = %d; want 4", st.ShipErrors)
	}
}

// A segment the engine refuses for good is set aside on disk and counted, and the
// segments after it are shipped: one bad segment must not stop every later event.
func TestRefusedSegmentIsSetAside(t *testing.T) {
	dir := t.TempDir()
	s := open(t, dir, Options{SegmentMaxRecords: 3, SegmentMaxAge: time.Hour, RetryMin: time.Millisecond, RetryMax: time.Millisecond})
	s.Append(recs(0, 3))
	s.Append(recs(3, 6))
	var c collect
	ship := func(ctx context.Context, token string, records [][]byte) error {
		if string(records[0]) == "event-0" {
			return Refused(errors.New("the engine refuses this block"))
		}
		return c.ship(ctx, token, records)
	}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan struct{})
	go func() { s.Run(ctx, ship); close(done) }()
	deadline := time.Now().Add(5 * time.Second)
	for len(c.records()) < 3 && time.Now().Before(deadline) {
		time.Sleep(5 * time.Millisecond)
	}
	cancel()
	<-done
	if got := strings.Join(c.records(), ","); got != want(3, 6) {
		t.Fatalf("shipped %q; want the segment after the refused one", got)
	}
	if st := s.Stats(); st.RefusedSegments != 1 || st.RefusedRecords != 3 || st.Records != 0 {
		t.Fatalf("stats %+v; want 1 refused segment of 3 records and nothing pending", st)
	}
	aside, _ := filepath.Glob(filepath.Join(dir, "*.refused"))
	if len(aside) != 1 {
		t.Fatalf("set aside: %v; want one file", aside)
	}
	if b, _ := os.ReadFile(aside[0]); !strings.Contains(string(b), "event-2") {
		t.Fatal("the refused segment's records are not kept")
	}
}

func TestFullSpoolRefusesThenRecovers(t *testing.T) {
	s := open(t, t.TempDir(), Options{MaxBytes: 200, SegmentMaxAge: time.Hour})
	if err := s.Append([][]byte{make([]byte, 150)}); err != nil {
		t.Fatal(err)
	}
	if err := s.Append([][]byte{make([]byte, 60)}); !errors.Is(err, ErrFull) {
		t.Fatalf("append over MaxBytes: %v; want ErrFull", err)
	}
	s.Flush()
	var c collect
	s.Drain(context.Background(), c.ship)
	if err := s.Append([][]byte{make([]byte, 60)}); err != nil {
		t.Fatalf("append after shipping: %v", err)
	}
}

func TestConcurrentAppenders(t *testing.T) {
	s := open(t, t.TempDir(), Options{SegmentMaxRecords: 100, SegmentMaxAge: 10 * time.Millisecond})
	var wg sync.WaitGroup
	for w := 0; w < 8; w++ {
		wg.Add(1)
		go func(w int) {
			defer wg.Done()
			for i := 0; i < 500; i++ {
				s.Append([][]byte{[]byte(fmt.Sprintf("%d-%d", w, i))})
			}
		}(w)
	}
	var c collect
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan struct{})
	go func() { s.Run(ctx, c.ship); close(done) }()
	wg.Wait()
	s.Flush()
	deadline := time.Now().Add(5 * time.Second)
	for len(c.records()) < 4000 && time.Now().Before(deadline) {
		time.Sleep(10 * time.Millisecond)
	}
	cancel()
	<-done
	seen := map[string]bool{}
	for _, r := range c.records() {
		if seen[r] {
			t.Fatalf("%s shipped twice", r)
		}
		seen[r] = true
	}
	if len(seen) != 4000 {
		t.Fatalf("shipped %d distinct records; want 4000", len(seen))
	}
}

// A process killed with SIGKILL loses nothing Append had returned for.
func TestKillNineLosesNothingAcknowledged(t *testing.T) {
	if os.Getenv("SPOOL_CHILD_DIR") != "" {
		return
	}
	dir := t.TempDir()
	cmd := exec.Command(os.Args[0], "-test.run=TestHelperAppender$")
	cmd.Env = append(os.Environ(), "SPOOL_CHILD_DIR="+dir)
	out, err := cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	acked := map[string]bool{}
	sc := bufio.NewScanner(out)
	deadline := time.Now().Add(300 * time.Millisecond)
	for sc.Scan() {
		if strings.HasPrefix(sc.Text(), "ack ") {
			acked[strings.TrimPrefix(sc.Text(), "ack ")] = true
		}
		if time.Now().After(deadline) && len(acked) > 100 {
			break
		}
	}
	cmd.Process.Kill()
	cmd.Wait()

	s := open(t, dir, Options{SegmentMaxAge: time.Hour})
	var c collect
	if err := s.Drain(context.Background(), c.ship); err != nil {
		t.Fatal(err)
	}
	got := map[string]int{}
	for _, r := range c.records() {
		got[r]++
	}
	for a := range acked {
		if got[a] != 1 {
			t.Fatalf("acknowledged record %s found %d times after kill -9", a, got[a])
		}
	}
	t.Logf("%d acknowledged before kill -9, %d recovered", len(acked), len(got))
}

// TestHelperAppender runs in the child process of TestKillNineLosesNothingAcknowledged.
func TestHelperAppender(t *testing.T) {
	dir := os.Getenv("SPOOL_CHILD_DIR")
	if dir == "" {
		t.Skip("only runs as the child of TestKillNineLosesNothingAcknowledged")
	}
	s, err := Open(Options{Dir: dir, Logger: quiet(), SegmentMaxRecords: 1000})
	if err != nil {
		fmt.Println("open:", err)
		os.Exit(1)
	}
	w := bufio.NewWriter(os.Stdout)
	for i := 0; ; i++ {
		r := "rec-" + strconv.Itoa(i)
		if err := s.Append([][]byte{[]byte(r)}); err == nil {
			fmt.Fprintln(w, "ack", r)
			w.Flush()
		}
	}
}

func BenchmarkAppend(b *testing.B) {
	s, err := Open(Options{Dir: b.TempDir(), Logger: quiet(), SegmentMaxAge: time.Hour})
	if err != nil {
		b.Fatal(err)
	}
	defer s.Close()
	rec := make([]byte, 300)
	b.SetBytes(int64(len(rec)))
	b.ReportAllocs()
	b.RunParallel(func(pb *testing.PB) {
		for pb.Next() {
			if err := s.Append([][]byte{rec}); err != nil {
				b.Fatal(err)
			}
		}
	})
}
