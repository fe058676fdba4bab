// Package spool is the collector's durable queue between "event acknowledged with 202"
// and "event inserted into ClickHouse". Events are appended to segment files on disk
// before the client is answered; sealed segments are shipped one at a time, oldest
// first, and a segment's file is deleted only after ClickHouse took it. Each segment
// has a token that stays the same across restarts, which the collector hands to
// ClickHouse as the insert deduplication token: shipping a segment twice (the process
// died after the insert but before the delete) inserts it once. A token is never given
// to two segments, also across restarts: ClickHouse drops an insert whose token it has
// seen, so a reused token would lose acknowledged events without any error.
//
// Durability: Append returns after write(2), so an acknowledged event survives a crash
// of the process (kill -9); the open segment is fsynced every SyncInterval (100 ms by
// default), which bounds what a power loss can take. SyncOnAppend fsyncs before every
// Append returns instead, for deployments that would rather pay the latency.
//
// On disk: <Dir>/<seq, 16 digits>-<run>.seg, records framed as
// u32 length | u32 CRC-32C of the payload | payload, little-endian. <run> is drawn at
// random by each Open: sequence numbers start again at 1 when a run finds no segment
// left, so the run is what keeps the names, and the tokens made from them, unique.
// <Dir>/spool.id holds the random id that prefixes every token. Segments named
// <seq>.seg were written before runs were named; they keep the token they always had.
// A segment the engine refuses for good (see Refused) is renamed <name>.refused.
package spool

import (
	"context"
	crand "crypto/rand"
	"encoding/binary"
	"encoding/hex"
	"errors"
	"fmt"
	"hash/crc32"
	"log/slog"
	"math/rand/v2"
	"os"
	"path/filepath"
	"sort"
	"strconv"
	"strings"
	"sync"
	"time"
)

// ErrFull is returned by Append when the spool holds more than Options.MaxBytes.
var ErrFull = errors.New("spool is full")

// ErrClosed is returned by Append after Close.
var ErrClosed = errors.New("spool is closed")

// Refused marks an error of a Ship function as final: the engine refused the segment
// for a reason that retrying cannot fix (data it will never take). The spool then
// sets the segment aside as <name>.refused, logs it and counts it, and ships the next
// one, so one bad segment cannot stop every event after it. An operator who fixed the
// cause renames the file back to .seg; the next start ships it.
func Refused(err error) error { return &refusedError{err} }

type refusedError struct{ err error }

func (e *refusedError) Error() string { return e.err.Error() }
func (e *refusedError) Unwrap() error { return e.err }

// IsRefused reports whether err was marked with Refused.
func IsRefused(err error) bool {
	var r *refusedError
	return errors.As(err, &r)
}

// MaxRecord is the largest payload Append takes.
const MaxRecord = 1 << 20

// Options configure Open. Zero values take the defaults in brackets.
type Options struct {
	Dir               string        // created if missing
	SegmentMaxAge     time.Duration // seal this long after the segment's first record [1s]
	SegmentMaxRecords int           // or at this many records [50 000]
	SegmentMaxBytes   int64         // or at this many bytes [16 MiB]
	MaxBytes          int64         // Append answers ErrFull above this total [1 GiB]
	SyncInterval      time.Duration // fsync the open segment this often [100ms]
	SyncOnAppend      bool          // fsync before every Append returns (SyncInterval is then unused)
	RetryMin          time.Duration // first wait after a failed ship [500ms]
	RetryMax          time.Duration // longest wait between ship attempts [30s]
	Logger            *slog.Logger
}

func (o Options) withDefaults() Options {
	if o.SegmentMaxAge <= 0 {
		o.SegmentMaxAge = time.Second
	}
	if o.SegmentMaxRecords <= 0 {
		o.SegmentMaxRecords = 50_000
	}
	if o.SegmentMaxBytes <= 0 {
		o.SegmentMaxBytes = 16 << 20
	}
	if o.MaxBytes <= 0 {
		o.MaxBytes = 1 << 30
	}
	if o.SyncInterval <= 0 && !o.SyncOnAppend {
		o.SyncInterval = 100 * time.Millisecond
	}
	if o.RetryMin <= 0 {
		o.RetryMin = 500 * time.Millisecond
	}
	if o.RetryMax <= 0 {
		o.RetryMax = 30 * time.Second
	}
	if o.Logger == nil {
		o.Logger = slog.Default()
	}
	return o
}

// Ship inserts one segment's records; token identifies the segment across restarts.
type Ship func(ctx context.Context, token string, records [][]byte) error

type segment struct {
	seq     uint64
	run     string // "" for a segment written before runs were named
	bytes   int64
	records int
	created time.Time
}

// Spool is safe for concurrent use.
type Spool struct {
	o   Options
	id  string
	run string // names the segments this process writes

	mu      sync.Mutex // guards everything below
	cur     *os.File
	curSeg  segment
	dirty   bool
	nextSeq uint64
	sealed  []segment
	total   int64 // bytes on disk, sealed and open
	closed  bool
	timer   *time.Timer
	stats   Stats

	shipMu sync.Mutex // one shipper at a time (Run or Drain)
	wake   chan struct{}
	stop   chan struct{}
	wg     sync.WaitGroup
}

// Stats describe the spool for /metrics.
type Stats struct {
	Bytes            int64
	Segments         int
	Records          int64
	OldestAge        time.Duration
	ShippedSegments  uint64
	ShippedRecords   uint64
	ShipErrors       uint64
	RefusedSegments  uint64 // segments set aside because the engine refused them for good
	RefusedRecords   uint64
	LastShipDuration time.Duration
	LastShipRecords  int
}

var castagnoli = crc32.MakeTable(crc32.Castagnoli)

const frameHeader = 8

// Open opens (or creates) the spool in o.Dir. Segments left by an earlier run are
// sealed and will be shipped; a torn tail left by a crash is cut off; a segment that
// is corrupt in the middle is moved aside as <name>.corrupt and logged.
func Open(o Options) (*Spool, error) {
	o = o.withDefaults()
	if o.Dir == "" {
		return nil, errors.New("spool.Open: no directory")
	}
	if err := os.MkdirAll(o.Dir, 0o750); err != nil {
		return nil, fmt.Errorf("spool.Open: %w", err)
	}
	id, err := loadID(o.Dir)
	if err != nil {
		return nil, err
	}
	run, err := randomHex()
	if err != nil {
		return nil, fmt.Errorf("spool.Open: %w", err)
	}
	s := &Spool{o: o, id: id, run: run, wake: make(chan struct{}, 1), stop: make(chan struct{})}
	if err := s.recover(); err != nil {
		return nil, err
	}
	if o.SyncInterval > 0 && !o.SyncOnAppend {
		s.wg.Add(1)
		go s.syncLoop()
	}
	return s, nil
}

// loadID reads the spool's id, making one on first use.
func loadID(dir string) (string, error) {
	path := filepath.Join(dir, "spool.id")
	b, err := os.ReadFile(path)
	if err == nil && len(strings.TrimSpace(string(b))) > 0 {
		return strings.TrimSpace(string(b)), nil
	}
	if err != nil && !os.IsNotExist(err) {
		return "", fmt.Errorf("spool: read id: %w", err)
	}
	id, err := randomHex()
	if err != nil {
		return "", err
	}
	if err := writeFileSync(path, []byte(id+"\n")); err != nil {
		return "", fmt.Errorf("spool: write id: %w", err)
	}
	return id, nil
}

// randomHex returns 64 random bits as 16 hex digits.
func randomHex() (string, error) {
	raw := make([]byte, 8)
	if _, err := crand.Read(raw); err != nil {
		return "", err
	}
	return hex.EncodeToString(raw), nil
}

func writeFileSync(path string, b []byte) error {
	tmp := path + ".tmp"
	f, err := os.OpenFile(tmp, os.O_CREATE|os.O_WRONLY|os.O_TRUNC, 0o640)
	if err != nil {
		return err
	}
	if _, err := f.Write(b); err != nil {
		f.Close()
		return err
	}
	if err := f.Sync(); err != nil {
		f.Close()
		return err
	}
	if err := f.Close(); err != nil {
		return err
	}
	return os.Rename(tmp, path)
}

func (s *Spool) path(seg segment) string {
	if seg.run == "" {
		return filepath.Join(s.o.Dir, fmt.Sprintf("%016d.seg", seg.seq))
	}
	return filepath.Join(s.o.Dir, fmt.Sprintf("%016d-%s.seg", seg.seq, seg.run))
}

// parseName reads the sequence number and run of a segment's file name.
func parseName(name string) (seq uint64, run string, err error) {
	base := strings.TrimSuffix(filepath.Base(name), ".seg")
	num, run, _ := strings.Cut(base, "-")
	seq, err = strconv.ParseUint(num, 10, 64)
	return seq, run, err
}

// token is the deduplication token of a segment: the same on every attempt to ship it,
// in this run or after a restart, and never the same for two segments.
func (s *Spool) token(seg segment) string {
	if seg.run == "" {
		return s.id + "-" + strconv.FormatUint(seg.seq, 10)
	}
	return s.id + "-" + seg.run + "-" + strconv.FormatUint(seg.seq, 10)
}

// recover scans the segments of an earlier run.
func (s *Spool) recover() error {
	names, err := filepath.Glob(filepath.Join(s.o.Dir, "*.seg"))
	if err != nil {
		return err
	}
	sort.Strings(names)
	for i, name := range names {
		seq, run, err := parseName(name)
		if err != nil {
			s.o.Logger.Warn("spool: ignoring a file with a non-numeric name", "file", name)
			continue
		}
		if seq >= s.nextSeq {
			s.nextSeq = seq + 1
		}
		b, err := os.ReadFile(name)
		if err != nil {
			return fmt.Errorf("spool: read %s: %w", name, err)
		}
		recs, valid, torn, corrupt := parse(b)
		switch {
		case torn && i == len(names)-1:
			// The newest segment was being written when the process died: keep what
			// was written whole, cut the rest.
			s.o.Logger.Warn("spool: cutting a torn tail left by a crash", "file", name, "kept_bytes", valid, "cut_bytes", len(b)-valid)
			if err := os.Truncate(name, int64(valid)); err != nil {
				return fmt.Errorf("spool: truncate %s: %w", name, err)
			}
			b = b[:valid]
		case torn || corrupt:
			s.o.Logger.Error("spool: segment is corrupt; moved aside, not shipped", "file", name, "corrupt_at", valid)
			if err := os.Rename(name, name+".corrupt"); err != nil {
				return fmt.Errorf("spool: move aside %s: %w", name, err)
			}
			continue
		}
		if len(recs) == 0 {
			os.Remove(name)
			continue
		}
		info, _ := os.Stat(name)
		created := time.Now()
		if info != nil {
			created = info.ModTime()
		}
		s.sealed = append(s.sealed, segment{seq: seq, run: run, bytes: int64(len(b)), records: len(recs), created: created})
		s.total += int64(len(b))
	}
	if s.nextSeq == 0 {
		s.nextSeq = 1
	}
	return nil
}

// parse splits a segment into records. valid is the length of the whole frames at its
// start. torn is set when what follows them is an unfinished last frame — what a crash
// in the middle of a write leaves; corrupt when a complete frame in the middle fails its
// checksum, which no crash explains.
func parse(b []byte) (recs [][]byte, valid int, torn, corrupt bool) {
	off := 0
	for off < len(b) {
		if len(b)-off < frameHeader {
			return recs, off, true, false
		}
		n := int(binary.LittleEndian.Uint32(b[off:]))
		sum := binary.LittleEndian.Uint32(b[off+4:])
		if n > MaxRecord || len(b)-off-frameHeader < n {
			return recs, off, true, false
		}
		p := b[off+frameHeader : off+frameHeader+n]
		if crc32.Checksum(p, castagnoli) != sum {
			end := off+frameHeader+n == len(b)
			return recs, off, end, !end
		}
		recs = append(recs, p)
		off += frameHeader + n
	}
	return recs, off, false, false
}

// Append makes records durable against a process crash before returning (see the
// package doc for power loss). Records of one call stay together and in order.
func (s *Spool) Append(records [][]byte) error {
	if len(records) == 0 {
		return nil
	}
	size := 0
	for _, r := range records {
		if len(r) > MaxRecord {
			return fmt.Errorf("spool.Append: a record of %d bytes is over the %d limit", len(r), MaxRecord)
		}
		size += frameHeader + len(r)
	}
	buf := make([]byte, 0, size)
	for _, r := range records {
		buf = binary.LittleEndian.AppendUint32(buf, uint32(len(r)))
		buf = binary.LittleEndian.AppendUint32(buf, crc32.Checksum(r, castagnoli))
		buf = append(buf, r...)
	}

	s.mu.Lock()
	defer s.mu.Unlock()
	if s.closed {
		return ErrClosed
	}
	if s.total+int64(size) > s.o.MaxBytes {
		return ErrFull
	}
	if s.cur == nil {
		if err := s.openSegment(); err != nil {
			return err
		}
	}
	if _, err := s.cur.Write(buf); err != nil {
		// A partial write leaves a torn frame; seal the segment so the next start cuts
		// it, and report the failure so the client is not told the event is safe.
		s.sealLocked()
		return fmt.Errorf("spool.Append: %w", err)
	}
	if s.o.SyncOnAppend {
		if err := s.cur.Sync(); err != nil {
			return fmt.Errorf("spool.Append: fsync: %w", err)
		}
	} else {
		s.dirty = true
	}
	s.curSeg.bytes += int64(size)
	s.curSeg.records += len(records)
	s.total += int64(size)
	if s.curSeg.records >= s.o.SegmentMaxRecords || s.curSeg.bytes >= s.o.SegmentMaxBytes {
		s.sealLocked()
	}
	return nil
}

func (s *Spool) openSegment() error {
	seg := segment{seq: s.nextSeq, run: s.run, created: time.Now()}
	f, err := os.OpenFile(s.path(seg), os.O_CREATE|os.O_WRONLY|os.O_EXCL|os.O_APPEND, 0o640)
	if err != nil {
		return fmt.Errorf("spool: new segment: %w", err)
	}
	s.nextSeq++
	s.cur = f
	s.curSeg = seg
	s.timer = time.AfterFunc(s.o.SegmentMaxAge, func() {
		s.mu.Lock()
		defer s.mu.Unlock()
		if s.cur != nil && s.curSeg.seq == seg.seq {
			s.sealLocked()
		}
	})
	return nil
}

// sealLocked closes the open segment and queues it for shipping. Called with mu held.
func (s *Spool) sealLocked() {
	if s.cur == nil {
		return
	}
	if s.timer != nil {
		s.timer.Stop()
	}
	if err := s.cur.Sync(); err != nil {
		s.o.Logger.Error("spool: fsync on seal", "segment", s.curSeg.seq, "err", err)
	}
	s.cur.Close()
	s.cur, s.dirty = nil, false
	if s.curSeg.records == 0 {
		os.Remove(s.path(s.curSeg))
		return
	}
	s.sealed = append(s.sealed, s.curSeg)
	select {
	case s.wake <- struct{}{}:
	default:
	}
}

// syncLoop fsyncs the open segment every SyncInterval. It takes the file under the lock
// and syncs outside it, so appenders are not held up by the disk.
func (s *Spool) syncLoop() {
	defer s.wg.Done()
	t := time.NewTicker(s.o.SyncInterval)
	defer t.Stop()
	for {
		select {
		case <-s.stop:
			return
		case <-t.C:
		}
		s.mu.Lock()
		f, dirty := s.cur, s.dirty
		s.dirty = false
		s.mu.Unlock()
		if f != nil && dirty {
			_ = f.Sync() // the file may have been sealed (and synced) meanwhile
		}
	}
}

// Flush seals the open segment now, so Run ships it at once.
func (s *Spool) Flush() error {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.sealLocked()
	return nil
}

// Close seals the open segment and stops the background fsync. It does not ship:
// cancel Run first, then Drain for a last attempt.
func (s *Spool) Close() error {
	s.mu.Lock()
	if s.closed {
		s.mu.Unlock()
		return nil
	}
	s.closed = true
	s.sealLocked()
	s.mu.Unlock()
	close(s.stop)
	s.wg.Wait()
	return nil
}

// oldest returns the oldest sealed segment.
func (s *Spool) oldest() (segment, bool) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if len(s.sealed) == 0 {
		return segment{}, false
	}
	return s.sealed[0], true
}

// shipOne ships the oldest sealed segment and deletes it on success.
func (s *Spool) shipOne(ctx context.Context, seg segment, ship Ship) error {
	b, err := os.ReadFile(s.path(seg))
	if err != nil {
		return fmt.Errorf("spool: read segment %d: %w", seg.seq, err)
	}
	recs, _, torn, corrupt := parse(b)
	if torn || corrupt {
		s.o.Logger.Error("spool: a sealed segment changed on disk; shipping its valid part", "segment", seg.seq)
	}
	start := time.Now()
	if err := ship(ctx, s.token(seg), recs); err != nil {
		if IsRefused(err) && ctx.Err() == nil {
			return s.setAside(seg, len(recs), err)
		}
		s.mu.Lock()
		s.stats.ShipErrors++
		s.mu.Unlock()
		return err
	}
	s.mu.Lock()
	s.sealed = s.sealed[1:]
	s.total -= seg.bytes
	s.stats.ShippedSegments++
	s.stats.ShippedRecords += uint64(len(recs))
	s.stats.LastShipDuration = time.Since(start)
	s.stats.LastShipRecords = len(recs)
	s.mu.Unlock()
	if err := os.Remove(s.path(seg)); err != nil {
		s.o.Logger.Error("spool: remove shipped segment", "segment", seg.seq, "err", err)
	}
	return nil
}

// setAside moves a segment the engine refused for good out of the queue, keeping its
// file as <name>.refused.
func (s *Spool) setAside(seg segment, records int, cause error) error {
	name := s.path(seg)
	if err := os.Rename(name, name+".refused"); err != nil {
		// Without the rename the next start would ship it again; keep retrying instead
		// of dropping it from the queue.
		return fmt.Errorf("spool: set aside refused segment %d: %w (refused: %w)", seg.seq, err, cause)
	}
	s.o.Logger.Error("spool: the engine refused a segment for good; set aside, not shipped",
		"file", name+".refused", "events", records, "err", cause)
	s.mu.Lock()
	s.sealed = s.sealed[1:]
	s.total -= seg.bytes
	s.stats.RefusedSegments++
	s.stats.RefusedRecords += uint64(records)
	s.mu.Unlock()
	return nil
}

// Run ships sealed segments until ctx is done, retrying a failed segment with
// exponential backoff and jitter; it skips one only when the engine refused it for
// good (see Refused).
func (s *Spool) Run(ctx context.Context, ship Ship) error {
	s.shipMu.Lock()
	defer s.shipMu.Unlock()
	backoff := time.Duration(0)
	for {
		seg, ok := s.oldest()
		if !ok {
			select {
			case <-ctx.Done():
				return ctx.Err()
			case <-s.wake:
				continue
			}
		}
		err := s.shipOne(ctx, seg, ship)
		if err == nil {
			backoff = 0
			continue
		}
		if ctx.Err() != nil {
			return ctx.Err()
		}
		if backoff == 0 {
			backoff = s.o.RetryMin
		} else if backoff *= 2; backoff > s.o.RetryMax {
			backoff = s.o.RetryMax
		}
		wait := backoff/2 + rand.N(backoff/2+1)
		s.o.Logger.Warn("spool: shipping failed; will retry", "segment", seg.seq, "retry_in", wait.Round(time.Millisecond).String(), "err", err)
		select {
		case <-ctx.Done():
			return ctx.Err()
		case <-time.After(wait):
		}
	}
}

// Drain ships every sealed segment once, in order, stopping at the first error. Give it
// a fresh context with a deadline: it is the last attempt on shutdown.
func (s *Spool) Drain(ctx context.Context, ship Ship) error {
	s.shipMu.Lock()
	defer s.shipMu.Unlock()
	for {
		seg, ok := s.oldest()
		if !ok {
			return nil
		}
		if err := s.shipOne(ctx, seg, ship); err != nil {
			return fmt.Errorf("spool.Drain: segment %d: %w", seg.seq, err)
		}
	}
}

// Records calls fn with every record not yet shipped, oldest first, so that a restart
// can learn what was accepted before it and is not in ClickHouse yet. A record is valid
// only during its call. A segment shipped meanwhile is skipped; call it before Run to
// see every record.
func (s *Spool) Records(fn func(record []byte) error) error {
	s.mu.Lock()
	segs := append([]segment(nil), s.sealed...)
	if s.cur != nil {
		segs = append(segs, s.curSeg)
	}
	s.mu.Unlock()
	for _, seg := range segs {
		b, err := os.ReadFile(s.path(seg))
		if os.IsNotExist(err) {
			continue
		}
		if err != nil {
			return fmt.Errorf("spool: read segment %d: %w", seg.seq, err)
		}
		recs, _, _, _ := parse(b) // a torn tail of the open segment is still being written
		for _, r := range recs {
			if err := fn(r); err != nil {
				return err
			}
		}
	}
	return nil
}

// Stats returns a snapshot of the spool's state and counters.
func (s *Spool) Stats() Stats {
	s.mu.Lock()
	defer s.mu.Unlock()
	st := s.stats
	st.Bytes = s.total
	st.Segments = len(s.sealed)
	var oldest time.Time
	for _, seg := range s.sealed {
		st.Records += int64(seg.records)
		if oldest.IsZero() || seg.created.Before(oldest) {
			oldest = seg.created
		}
	}
	if s.cur != nil {
		st.Segments++
		st.Records += int64(s.curSeg.records)
		if oldest.IsZero() {
			oldest = s.curSeg.created
		}
	}
	if !oldest.IsZero() {
		st.OldestAge = time.Since(oldest)
	}
	return st
}
