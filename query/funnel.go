package query

import (
	"context"
	"encoding/json"
	"fmt"
	"math"
	"regexp"
	"strconv"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/omnistat/omnistat/catalog"
	"github.com/omnistat/omnistat/store"
)

// FunnelRequest is the body of POST /api/v1/funnel.
type FunnelRequest struct {
	Site       string          `json:"site"`
	DateRange  json.RawMessage `json:"date_range"`
	Steps      []FunnelStep    `json:"steps"`
	Window     string          `json:"window"`
	Order      string          `json:"order"`
	Dimensions []string        `json:"dimensions"`
	Filters    json.RawMessage `json:"filters"`
}

// FunnelStep is a page pattern (* wildcards) or an event name.
type FunnelStep struct {
	Pageview string `json:"pageview,omitempty"`
	Event    string `json:"event,omitempty"`
}

// FunnelResponse is the answer.
type FunnelResponse struct {
	Steps     []StepResult      `json:"steps"`
	Breakdown []FunnelBreakdown `json:"breakdown,omitempty"`
}

// StepResult is one step's numbers.
type StepResult struct {
	Label              string  `json:"label"`
	Visitors           int64   `json:"visitors"`
	ConversionRate     float64 `json:"conversion_rate"`
	StepConversionRate float64 `json:"step_conversion_rate"`
	Dropoff            int64   `json:"dropoff"`
	MedianSeconds      float64 `json:"median_seconds"`
}

// FunnelBreakdown is the funnel of the visitors with one dimension value (the value of
// their first step: first touch).
type FunnelBreakdown struct {
	Dimensions []string     `json:"dimensions"`
	Steps      []StepResult `json:"steps"`
}

const (
	maxFunnelWindow = 30 * 24 * time.Hour
	realtimeWindow  = 5 * time.Minute
	// maxFunnelBreakdown is how many dimension values a funnel breakdown lists, those
	// with the most visitors at step 1.
	maxFunnelBreakdown = 20
)

// parseWindow reads "30m", "1h", "7d"; default one day. It checks the bounds itself:
// days are counted before they are multiplied into a Duration, which overflows past
// 106,751 days, and a window under a second would silently count as none.
func parseWindow(s string) (time.Duration, error) {
	if s == "" {
		return 24 * time.Hour, nil
	}
	var d time.Duration
	if n, ok := strings.CutSuffix(s, "d"); ok {
		days, err := strconv.Atoi(n)
		if err != nil || days <= 0 {
			return 0, badf("window %q is not a duration like 30m, 1h or 7d", s)
		}
		if days > int(maxFunnelWindow/(24*time.Hour)) {
			return 0, badf("window %q is longer than 30 days", s)
		}
		d = time.Duration(days) * 24 * time.Hour
	} else {
		var err error
		d, err = time.ParseDuration(s)
		if err != nil || d <= 0 {
			return 0, badf("window %q is not a duration like 30m, 1h or 7d", s)
		}
	}
	if d > maxFunnelWindow {
		return 0, badf("window %q is longer than 30 days", s)
	}
	if d < time.Second {
		return 0, badf("window %q is shorter than one second", s)
	}
	return d, nil
}

// Funnel counts the visitors who did the steps, each step a different event, all
// within the window of a step-1 event: in "strict" order each step later than the one
// before, in "any" order in any order. The median time to a step is from the step-1
// event the visitor went furthest from (see strictChain and anyChain).
func (e *Engine) Funnel(ctx context.Context, site catalog.Site, req FunnelRequest) (*FunnelResponse, error) {
	if len(req.Steps) < 2 || len(req.Steps) > 8 {
		return nil, badf("steps: give 2 to 8 steps")
	}
	window, err := parseWindow(req.Window)
	if err != nil {
		return nil, err
	}
	if req.Order == "" {
		req.Order = "strict"
	}
	if req.Order != "strict" && req.Order != "any" {
		return nil, badf("order %q must be \"strict\" or \"any\"", req.Order)
	}
	if len(req.Dimensions) > 1 {
		return nil, badf("dimensions: a funnel breaks down by at most one")
	}
	goals, err := e.cat.Goals(ctx, site.ID)
	if err != nil {
		return nil, err
	}
	allFrom, err := e.allFrom(ctx, site, req.DateRange)
	if err != nil {
		return nil, err
	}
	plan, err := planWith(site, goals, Request{DateRange: req.DateRange, Metrics: []string{"visitors"}, Filters: req.Filters}, e.now(), allFrom)
	if err != nil {
		return nil, err
	}
	var dim *planDim
	if len(req.Dimensions) == 1 {
		d, err := resolveDim(req.Dimensions[0], goals)
		if err != nil {
			return nil, err
		}
		if d.scope != visitScope {
			return nil, badf("dimension %q: funnels break down by a visit dimension (channel, source, device, country, ...)", d.Name)
		}
		dim = &d
	}
	b := &builder{params: store.Params{
		"site": strconv.FormatUint(uint64(site.ID), 10),
		"from": plan.Period.Start().UTC().Format(tsFormat),
		"to":   plan.Period.End().UTC().Format(tsFormat),
	}}
	var conds, labels []string
	for i, s := range req.Steps {
		switch {
		case (s.Pageview == "") == (s.Event == ""):
			return nil, badf("steps[%d] needs either pageview or event", i)
		case s.Pageview != "":
			if utf8.RuneCountInString(s.Pageview) > 512 {
				return nil, badf("steps[%d].pageview is longer than 512 characters", i)
			}
			conds = append(conds, b.pageviewOf(s.Pageview))
			labels = append(labels, "Visit "+s.Pageview)
		default:
			if utf8.RuneCountInString(s.Event) > 120 {
				return nil, badf("steps[%d].event is longer than 120 characters", i)
			}
			conds = append(conds, "(name = "+b.param("String", s.Event)+")")
			labels = append(labels, s.Event)
		}
	}
	where := []string{"site_id = {site:UInt32}", "ts >= {from:DateTime64(3, 'UTC')}", "ts < {to:DateTime64(3, 'UTC')}",
		"(" + strings.Join(conds, " OR ") + ")"}
	for _, f := range plan.Filters {
		if f.dim.scope == derived {
			return nil, badf("filters: entry_page and exit_page do not apply to funnels")
		}
		where = append(where, b.filterExpr(f.op, b.dimExpr(plan, f.dim), f.values))
	}
	win := b.param("Int64", strconv.FormatInt(window.Milliseconds(), 10))
	// One GROUP BY visitor_id answers everything: each visitor's step events as
	// (ms, bit mask of the steps the event is), in an array sorted by time and, within
	// a millisecond, by the first step each event is (a pageview that is steps 1 and 3
	// before the sign-up that is step 2), and the levels computed over it. A window over the visitor (to find the first step-1 event) would
	// sort every event of the range first, which costs more than the rest of the query.
	var mask []string
	for i, c := range conds {
		mask = append(mask, fmt.Sprintf("bitShiftLeft(toUInt64(%s), %d)", c, i))
	}
	// bd is the visitor's breakdown value; NULL stands for "all visitors", the row of the
	// whole funnel, which no dimension value can be.
	dimSel := "CAST(NULL AS Nullable(String))"
	if dim != nil {
		dimSel = "argMinIf(" + b.dimExpr(plan, *dim) + ", ts, " + conds[0] + ")"
	}
	// When no event can be two of the steps, the engine's own windowFunnel finds each
	// visitor's level as the chain below would, in native code; the chain then runs
	// only for the visitors past step 1, for their medians (over 10 M events, 38,000 of
	// the 966,000 visitors with a step-2 event).
	// The bench funnel over 10 M events: 994 ms with the chain for every visitor, 872
	// with it for those with a step-2 event, 679 with this (610 with windowFunnel
	// alone, before a step had to be an event of its own).
	fast := req.Order != "any" && fastFunnel && disjointSteps(req.Steps)
	wf := "0"
	if fast {
		wf = fmt.Sprintf("windowFunnel(%d)(toUInt64(toUnixTimestamp64Milli(ts)), %s)", window.Milliseconds(), strings.Join(conds, ", "))
	}
	perVisitor := fmt.Sprintf("SELECT visitor_id, arraySort(e -> (e.1, bitAnd(e.2, bitNot(e.2) + 1)), groupArray((toUnixTimestamp64Milli(ts), %s))) AS evs, %s AS bd, %s AS wf\nFROM events WHERE %s\nGROUP BY visitor_id",
		strings.Join(mask, " + "), dimSel, wf, strings.Join(where, " AND "))
	// best is the visitor's chain: the times of the steps reached, from the step-1
	// event the visitor went furthest from; its length is the visitor's level and the
	// medians count from its start. Both are linear in the visitor's events: a bot with
	// thousands of step-1 events must not cost thousands of passes over them.
	// Only a visitor with an event of step 2 can go past step 1 (fGo); the others'
	// chain is their first step-1 event, if any, and the chain, the costly part, is
	// computed for the rest only (over 10 M events, 38,000 of 966,000 visitors).
	past1 := "arrayExists(e -> bitTest(e.2, 1), evs)"
	if fast {
		past1 = "wf >= 2"
	}
	best := strictChain(len(conds), win)
	if req.Order == "any" {
		best = anyChain(len(conds), win)
	}
	perVisitor = "SELECT *, " + past1 + " AS fGo\nFROM (" + perVisitor + ")"
	best = fmt.Sprintf("if(fGo, %s, arraySlice(arrayMap(e -> e.1, arrayFilter(e -> bitTest(e.2, 0), evs)), 1, 1))", best)
	inner := fmt.Sprintf("SELECT %s AS best, length(best) AS lvl, bd, arrayMap(t -> (t - best[1]) / 1000, best) AS secs\nFROM (%s)", best, perVisitor)
	var med []string
	for k := 2; k <= len(conds); k++ {
		med = append(med, fmt.Sprintf("quantileExactInclusiveIf(0.5)(secs[%d], lvl >= %d)", k, k))
	}
	var cnt []string
	for i := range conds {
		cnt = append(cnt, fmt.Sprintf("countIf(lvl >= %d)", i+1))
	}
	// With a breakdown, one pass answers both the whole funnel (the () grouping set, its
	// bd NULL) and each value's; the whole comes first and is never cut by the LIMIT on
	// the values, so the steps count every visitor, not the top 20 values' visitors.
	groupBy := "bd"
	if dim != nil {
		groupBy = "GROUPING SETS ((), (bd))"
	}
	sql := fmt.Sprintf("SELECT bd, [%s] AS reached, [%s] AS medians FROM (%s) GROUP BY %s HAVING reached[1] > 0\n"+
		"ORDER BY bd IS NULL DESC, reached[1] DESC, bd LIMIT %d SETTINGS group_by_use_nulls = 1",
		strings.Join(cnt, ", "), strings.Join(append([]string{"0"}, med...), ", "), inner, groupBy, maxFunnelBreakdown+1)
	res, err := e.st.Query(ctx, sql, b.params)
	if err != nil {
		return nil, fmt.Errorf("query.Funnel: %w", err)
	}
	out := &FunnelResponse{Steps: steps(labels, make([]int64, len(conds)), nil)}
	for _, r := range res.Rows {
		var reached []int64
		for _, v := range r[1].([]any) {
			reached = append(reached, int64(store.Float(v)))
		}
		var medians []float64
		for _, v := range r[2].([]any) {
			medians = append(medians, store.Float(v))
		}
		if r[0] == nil {
			out.Steps = steps(labels, reached, medians)
			continue
		}
		out.Breakdown = append(out.Breakdown, FunnelBreakdown{Dimensions: []string{text(r[0])}, Steps: steps(labels, reached, medians)})
	}
	return out, nil
}

// strictChain follows the visitor's events in time, keeping for each step k the chain
// (times of steps 1..k) with the latest start, as windowFunnel does: a later start
// leaves more of its window for the steps still to come. An event is one step: it
// extends only the chains of the events before it, so a step repeated, or two steps
// one event matches, need two events; two events of the same millisecond can be two
// steps, in the order of their steps. The answer is the first chain that reached the
// furthest step.
//
// It is computed with whole-array functions, no fold: a fold runs its lambda once per
// event, in lockstep over the visitors, so it costs about 60 µs per event of the
// longest visitor (one who sent 80,000 step events, say a fleet of office computers
// behind one address, made every funnel of the range take 4.7 s). Here, for each
// event, start_k is the start of the latest chain that this event ends as step k, or
// none: the latest chain of step k-1 before the event, kept when the event is step k
// and within that chain's window (an earlier start would only close its window
// sooner). "The latest chain of step k-1 before" is a forward fill of start_{k-1}
// shifted by one event. The chain is then read backwards from the first event that
// reaches the top step, each step at the last event before the next step's that ends
// a chain of it.
//
// Each array is bound once with let, inside the chain's expression, so the engine
// computes them only for the visitors the chain runs for (see fGo).
func strictChain(n int, win string) string {
	const none = "-1000000000000000000" // no chain: earlier than any event (ms)
	// The chain read backwards: E_k is the event that is step k of it, T the times.
	times := make([]string, n)
	for k := range n {
		times[k] = fmt.Sprintf("T[E%d]", k+1)
	}
	body := fmt.Sprintf("arraySlice([%s], 1, top)", strings.Join(times, ", "))
	for k := 1; k < n; k++ {
		// E_k: the last event before E_k+1 that ends a chain at step k.
		end := fmt.Sprintf("if(top > %d, arrayLastIndex((x, i) -> x != %s AND i < E%d, S%d, arrayEnumerate(S%d)), if(top = %d, arrayFirstIndex(x -> x != %s, S%d), 0))",
			k, none, k+1, k, k, k, none, k)
		body = let(fmt.Sprintf("E%d", k), end, body)
	}
	body = let(fmt.Sprintf("E%d", n), fmt.Sprintf("if(top = %d, arrayFirstIndex(x -> x != %s, S%d), 0)", n, none, n), body)
	var top []string
	for k := n; k >= 1; k-- {
		top = append(top, fmt.Sprintf("arrayMax(S%d) != %s, %d", k, none, k))
	}
	body = let("top", "multiIf("+strings.Join(top, ", ")+", 0)", body)
	for k := n; k >= 2; k-- {
		body = let(fmt.Sprintf("S%d", k), fmt.Sprintf("arrayMap((t, m, p) -> if(bitTest(m, %d) AND p != %s AND t <= p + %s, p, %s), T, M, "+
			"arrayPushFront(arrayPopBack(arrayFill(x -> x != %s, S%d)), %s))", k-1, none, win, none, none, k-1, none), body)
	}
	body = let("S1", "arrayMap((t, m) -> if(bitTest(m, 0), t, "+none+"), T, M)", body)
	return let("T", "arrayMap(e -> e.1, evs)", let("M", "arrayMap(e -> e.2, evs)", body))
}

// anyChain counts, in any order, the steps 1..k a visitor did with k different events
// within the window of one step-1 event. By Hall's theorem the events can be given one
// step each unless some set S of steps is matched by fewer events than it has steps;
// such an S stops the window's level below its highest step. The count of a set in
// every window comes from one running count along the events sorted with the windows'
// edges (opens before the events of their millisecond, closes after), so the cost is
// linear in the visitor's events. (A lambda that reads a whole array per start would be
// quadratic: ClickHouse copies what a lambda captures for each element.) The time of
// step k is that of its first event in the best window other than the window's start,
// or the start's when only the start can be it (another event then being step 1).
func anyChain(n int, win string) string {
	marks := fmt.Sprintf("arraySort(arrayConcat(arrayMap(e -> (e.1, toInt8(0), e.2), evs), arrayMap(t -> (t, toInt8(-1), toUInt64(0)), st), "+
		"arrayMap(t -> (t + %s, toInt8(1), toUInt64(0)), st)))", win)
	inSet := let("run", "arrayCumSum(arrayMap(m -> m.2 = 0 AND bitAnd(m.3, S) != 0, marks))",
		"arrayMap((l, o, c) -> if(c - o < bitCount(S), least(l, toUInt8(log2(S))), l), acc, arrayFilter((c, m) -> m.2 = -1, run, marks), arrayFilter((c, m) -> m.2 = 1, run, marks))")
	levels := fmt.Sprintf("arrayFold((acc, S) -> %s, range(1, %d), arrayMap(t -> toUInt8(%d), st))", inSet, 1<<n, n)
	inWindow := "e.1 >= s AND e.1 <= s + " + win
	times := []string{"s"}
	for k := 1; k < n; k++ {
		times = append(times, fmt.Sprintf("arrayConcat(arrayMap(e -> e.1, arrayFilter((e, x) -> x != i AND bitTest(e.2, %d) AND %s, evs, arrayEnumerate(evs))), [s])[1]", k, inWindow))
	}
	chain := fmt.Sprintf("arraySlice([%s], 1, top)", strings.Join(times, ", "))
	pick := let("k", "arrayFirstIndex(l -> l = top, lv)", let("s", "st[k]",
		let("i", "arrayFilter((x, e) -> bitTest(e.2, 0), arrayEnumerate(evs), evs)[k]", chain)))
	return let("st", "arrayMap(e -> e.1, arrayFilter(e -> bitTest(e.2, 0), evs))", let("marks", marks,
		let("lv", levels, let("top", "arrayMax(lv)", fmt.Sprintf("if(top = 0, [], %s)", pick)))))
}

// let binds value to name in body, computing it once: ClickHouse has no per-row
// variables, but a lambda over a one-element array is one.
func let(name, value, body string) string {
	return fmt.Sprintf("arrayMap(%s -> %s, [%s])[1]", name, body, value)
}

func steps(labels []string, reached []int64, medians []float64) []StepResult {
	out := make([]StepResult, len(labels))
	for i := range labels {
		s := StepResult{Label: labels[i]}
		if i < len(reached) {
			s.Visitors = reached[i]
		}
		if i < len(medians) && !math.IsNaN(medians[i]) {
			s.MedianSeconds = medians[i]
		}
		first := reached[0]
		s.ConversionRate = pct(s.Visitors, first)
		if i == 0 {
			s.StepConversionRate = pct(s.Visitors, first)
		} else {
			s.StepConversionRate = pct(s.Visitors, reached[i-1])
			s.Dropoff = reached[i-1] - s.Visitors
		}
		out[i] = s
	}
	return out
}

func pct(a, b int64) float64 { return percent(float64(a), float64(b)) }

// fastFunnel lets tests turn windowFunnel's shortcut off, to check that both ways agree.
var fastFunnel = true

// disjointSteps reports whether no event can be two of the steps: then "each step a
// different event" holds by itself, and windowFunnel counts levels as the chain does.
func disjointSteps(steps []FunnelStep) bool {
	for i := range steps {
		for j := i + 1; j < len(steps); j++ {
			if mayBeOneEvent(steps[i], steps[j]) {
				return false
			}
		}
	}
	return true
}

// mayBeOneEvent reports whether one event could match both steps. Two page patterns
// with wildcards are assumed to overlap; a plain page overlaps a pattern it matches.
func mayBeOneEvent(a, b FunnelStep) bool {
	switch {
	case a.Event != "" && b.Event != "":
		return a.Event == b.Event
	case a.Event != "":
		return a.Event == "pageview"
	case b.Event != "":
		return b.Event == "pageview"
	case !strings.Contains(a.Pageview, "*"):
		return regexp.MustCompile(goalPattern(b.Pageview)).MatchString(a.Pageview)
	case !strings.Contains(b.Pageview, "*"):
		return regexp.MustCompile(goalPattern(a.Pageview)).MatchString(b.Pageview)
	}
	return true
}
