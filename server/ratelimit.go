package server

import (
	"net/netip"
	"sync"
	"time"

	"golang.org/x/time/rate"
)

// ipLimiter is a token bucket per client IP, for the collection endpoints: one client
// cannot flood the spool. Buckets idle for a minute are forgotten, so memory follows the
// number of active clients, not of all clients ever seen.
type ipLimiter struct {
	perSec float64
	burst  int
	mu     sync.Mutex
	m      map[netip.Addr]*limiterEntry
	swept  time.Time
}

type limiterEntry struct {
	l    *rate.Limiter
	seen time.Time
}

func newIPLimiter(perSec float64, burst int) *ipLimiter {
	if perSec <= 0 {
		return nil
	}
	if burst < 1 {
		burst = int(perSec * 10)
	}
	return &ipLimiter{perSec: perSec, burst: burst, m: map[netip.Addr]*limiterEntry{}}
}

// allow reports whether ip may send one more event now. A nil limiter allows all.
func (l *ipLimiter) allow(ip netip.Addr, now time.Time) bool {
	if l == nil {
		return true
	}
	l.mu.Lock()
	defer l.mu.Unlock()
	if now.Sub(l.swept) > time.Minute {
		for k, e := range l.m {
			if now.Sub(e.seen) > time.Minute {
				delete(l.m, k)
			}
		}
		l.swept = now
	}
	e := l.m[ip]
	if e == nil {
		e = &limiterEntry{l: rate.NewLimiter(rate.Limit(l.perSec), l.burst)}
		l.m[ip] = e
	}
	e.seen = now
	return e.l.AllowN(now, 1)
}
