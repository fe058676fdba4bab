package query_test

import (
	"encoding/json"
	"fmt"
	"math/rand/v2"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/omnistat/omnistat/query"
)

// The strict funnel, on random visitors whose events can be several steps at once and
// share milliseconds, gives each visitor the level and step times of the definition,
// followed event by event in Go: the chain of each step with the latest start, each
// event one step, the first chain that reached the furthest step. Each visitor has a
// source of its own, so the breakdown by source shows each visitor's own funnel.
func TestStrictFunnelAgreesWithModel(t *testing.T) {
	steps := []query.FunnelStep{{Pageview: "/a*"}, {Pageview: "/a"}, {Event: "x"}, {Pageview: "/a*"}}
	const window = 10 * time.Minute
	rng := rand.New(rand.NewPCG(5, 11))
	var events []funnelEvent
	want := map[string]string{}
	const nVisitors = 120
	for v := uint64(1); v <= nVisitors; v++ {
		src := fmt.Sprintf("v%03d", v)
		var mine []modelEvent
		at := time.Duration(0)
		for range 3 + rng.IntN(14) {
			if rng.IntN(5) > 0 { // else the same millisecond as the event before
				at += time.Duration(rng.IntN(6*60)) * time.Second
			}
			name, path := "pageview", []string{"/a", "/ab", "/b"}[rng.IntN(3)]
			if rng.IntN(4) == 0 {
				name = []string{"x", "y"}[rng.IntN(2)]
			}
			e := modelEvent{at: at, mask: stepMask(steps, name, path)}
			// Two events of one millisecond whose first steps are the same have no
			// order of their own; the engine may take either first.
			if len(mine) > 0 && mine[len(mine)-1].at == at && lowBit(mine[len(mine)-1].mask) == lowBit(e.mask) {
				at += time.Millisecond
				e.at = at
			}
			mine = append(mine, e)
			events = append(events, funnelEvent{v: v, name: name, path: path, at: at, source: src})
		}
		if res := strictModel(mine, len(steps), window); res != "" {
			want[src] = res
		}
	}
	funnel := funnelFixture(t, events)
	got := map[string]string{}
	for first := 1; first <= nVisitors; first += 20 { // a breakdown lists 20 values
		var srcs []string
		for v := first; v < first+20 && v <= nVisitors; v++ {
			srcs = append(srcs, fmt.Sprintf("%q", fmt.Sprintf("v%03d", v)))
		}
		res := funnel(query.FunnelRequest{Steps: steps, Window: "10m", Order: "strict", Dimensions: []string{"source"},
			Filters: json.RawMessage(`[["is", "source", [` + strings.Join(srcs, ", ") + `]]]`)})
		for _, b := range res.Breakdown {
			got[b.Dimensions[0]] = visitors(&query.FunnelResponse{Steps: b.Steps})
		}
	}
	deep := 0
	for src, w := range want {
		if got[src] != w {
			t.Errorf("visitor %s: %s; want %s", src, got[src], w)
		}
		if strings.HasPrefix(w, "1 1 1") {
			deep++
		}
	}
	if len(got) != len(want) {
		t.Errorf("%d visitors in the funnel; want %d", len(got), len(want))
	}
	if deep < 10 {
		t.Fatalf("only %d visitors reached step 3: the check would prove little", deep)
	}
}

type modelEvent struct {
	at   time.Duration
	mask uint
}

// stepMask is the steps an event is, bit k for step k+1.
func stepMask(steps []query.FunnelStep, name, path string) uint {
	var m uint
	for i, s := range steps {
		page := s.Pageview != "" && name == "pageview" && (path == s.Pageview || strings.HasSuffix(s.Pageview, "*") && strings.HasPrefix(path, strings.TrimSuffix(s.Pageview, "*")))
		if page || s.Event != "" && s.Event == name {
			m |= 1 << i
		}
	}
	return m
}

func lowBit(m uint) uint { return m & -m }

// strictModel is one visitor's funnel as visitors() prints it ("1 1 0 0 | 0 60 0 0"),
// or "" when no event is step 1. Events of one millisecond go in the order of their
// first step.
func strictModel(evs []modelEvent, n int, window time.Duration) string {
	evs = slices.Clone(evs)
	slices.SortStableFunc(evs, func(a, b modelEvent) int {
		if a.at != b.at {
			return int(a.at - b.at)
		}
		return int(lowBit(a.mask)) - int(lowBit(b.mask))
	})
	levels := make([][]time.Duration, n)
	var best []time.Duration
	for _, e := range evs {
		now := make([][]time.Duration, n)
		for k := range n {
			now[k] = levels[k]
			if e.mask&(1<<k) == 0 {
				continue
			}
			if k == 0 {
				now[0] = []time.Duration{e.at}
			} else if len(levels[k-1]) > 0 && e.at <= levels[k-1][0]+window {
				now[k] = append(slices.Clone(levels[k-1]), e.at)
			}
		}
		levels = now
		for k := n - 1; k >= 0; k-- {
			if len(now[k]) > 0 {
				if len(now[k]) > len(best) {
					best = now[k]
				}
				break
			}
		}
	}
	if len(best) == 0 {
		return ""
	}
	var cnt, med []string
	for k := range n {
		c, m := "0", "0"
		if k < len(best) {
			c, m = "1", fmt.Sprint((best[k] - best[0]).Seconds())
		}
		cnt, med = append(cnt, c), append(med, m)
	}
	return strings.Join(cnt, " ") + " | " + strings.Join(med, " ")
}
