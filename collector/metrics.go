package collector

import (
	"errors"
	"fmt"
	"io"
	"sort"
	"sync"
	"sync/atomic"
)

// Metrics counts what happened to events, for /metrics in Prometheus' text format.
// Counters are plain atomics keyed by label values; the label sets are small and fixed
// (reasons are code constants, never user input), so the map cannot grow without bound.
type Metrics struct {
	accepted atomic.Uint64
	mu       sync.Mutex
	refused  map[string]*atomic.Uint64 // by reason
	dropped  map[string]*atomic.Uint64 // by reason
}

// NewMetrics returns zeroed counters.
func NewMetrics() *Metrics {
	return &Metrics{refused: map[string]*atomic.Uint64{}, dropped: map[string]*atomic.Uint64{}}
}

// Accepted counts events made durable.
func (m *Metrics) Accepted(n int) { m.accepted.Add(uint64(n)) }

// Dropped counts an event answered 202 but not stored on purpose (bots, say).
func (m *Metrics) Dropped(reason string) { m.counter(m.dropped, reason).Add(1) }

func (m *Metrics) counter(set map[string]*atomic.Uint64, label string) *atomic.Uint64 {
	m.mu.Lock()
	defer m.mu.Unlock()
	c := set[label]
	if c == nil {
		c = &atomic.Uint64{}
		set[label] = c
	}
	return c
}

// rejected counts an event refused with an error, by a reason derived from the error.
func (m *Metrics) rejected(err error) {
	var fe *FieldError
	reason := "internal"
	switch {
	case errors.As(err, &fe):
		reason = "invalid"
	case errors.Is(err, ErrUnknownSite):
		reason = "unknown_site"
	case errors.Is(err, ErrOrigin):
		reason = "origin"
	case errors.Is(err, ErrFull):
		reason = "spool_full"
	}
	m.Reject(reason)
}

// Reject counts a refusal decided outside Accept (rate limit, body too large).
func (m *Metrics) Reject(reason string) { m.counter(m.refused, reason).Add(1) }

// AcceptedTotal is the number of events accepted so far.
func (m *Metrics) AcceptedTotal() uint64 { return m.accepted.Load() }

// DroppedTotal is the number of events dropped for reason so far.
func (m *Metrics) DroppedTotal(reason string) uint64 { return m.counter(m.dropped, reason).Load() }

// WriteTo writes the counters in Prometheus' text exposition format.
func (m *Metrics) WriteTo(w io.Writer) (int64, error) {
	var n int64
	p := func(format string, args ...any) {
		k, _ := fmt.Fprintf(w, format, args...)
		n += int64(k)
	}
	p("# HELP omnistat_events_accepted_total Events made durable and answered 202.\n# TYPE omnistat_events_accepted_total counter\n")
	p("omnistat_events_accepted_total %d\n", m.accepted.Load())
	for _, set := range []struct {
		name, help string
		m          map[string]*atomic.Uint64
	}{
		{"omnistat_events_rejected_total", "Events refused with an error, by reason.", m.refused},
		{"omnistat_events_dropped_total", "Events answered 202 but not stored on purpose (bots), by reason.", m.dropped},
	} {
		p("# HELP %s %s\n# TYPE %s counter\n", set.name, set.help, set.name)
		m.mu.Lock()
		keys := make([]string, 0, len(set.m))
		for k := range set.m {
			keys = append(keys, k)
		}
		sort.Strings(keys)
		for _, k := range keys {
			p("%s{reason=%q} %d\n", set.name, k, set.m[k].Load())
		}
		m.mu.Unlock()
	}
	return n, nil
}
