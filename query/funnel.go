package query

import (
	"context"
	"encoding/json"
	"fmt"
	"math"
	"strconv"
	"strings"
	"time"

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

// Funnel counts the visitors who did the steps: in "strict" order, each later step
// after the one before and all within the window of the first (ClickHouse's
// windowFunnel); in "any" order, all of the first k steps within the window, in any
// order. The median time to a step is from the visitor's first step 1 to their first
// matching event of that step after it.
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
	plan, err := Plan(site, goals, Request{DateRange: req.DateRange, Metrics: []string{"visitors"}, Filters: req.Filters}, e.now())
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
			if len(s.Pageview) > 512 {
				return nil, badf("steps[%d].pageview is longer than 512 characters", i)
			}
			conds = append(conds, b.pageviewOf(s.Pageview))
			labels = append(labels, "Visit "+s.Pageview)
		default:
			if len(s.Event) > 120 {
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
	win := int64(window / time.Second) // a checked integer: windowFunnel's window must be a literal
	// One GROUP BY visitor_id answers everything: each visitor's step events as
	// (ts, bit mask of the steps the event is) in an array, and the levels computed
	// over it. A window over the visitor (to find the first step-1 event) would sort
	// every event of the range first, which costs more than the rest of the query.
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
	perVisitor := fmt.Sprintf("SELECT visitor_id, groupArray((ts, %s)) AS evs, %s AS bd, windowFunnel(%d)(toDateTime(ts), %s) AS wf\nFROM events WHERE %s\nGROUP BY visitor_id",
		strings.Join(mask, " + "), dimSel, win, strings.Join(conds, ", "), strings.Join(where, " AND "))
	// t1 is the visitor's first step-1 event; the medians count from it.
	const t1 = "arrayMin(arrayMap(x -> x.1, arrayFilter(x -> bitTest(x.2, 0), evs)))"
	level := "wf"
	if req.Order != "strict" {
		// Any order: step k counts if steps 1..k all happened within the window of
		// the visitor's first step-1 event; a step after a missing one does not count.
		var parts []string
		for i := range conds {
			var all []string
			for j := 0; j <= i; j++ {
				all = append(all, fmt.Sprintf("arrayExists(x -> bitTest(x.2, %d) AND x.1 >= t1 AND x.1 <= t1 + INTERVAL %d SECOND, evs)", j, win))
			}
			parts = append(parts, "("+strings.Join(all, " AND ")+")")
		}
		level = fmt.Sprintf("arrayFirstIndex(x -> x = 0, [%s, 0]) - 1", strings.Join(parts, ", "))
	}
	var times []string
	for i := 1; i < len(conds); i++ {
		times = append(times, fmt.Sprintf("dateDiff('second', t1, arrayMin(arrayMap(x -> x.1, arrayFilter(x -> bitTest(x.2, %d) AND x.1 >= t1, evs))))", i))
	}
	inner := fmt.Sprintf("SELECT visitor_id, %s AS t1, if(arrayExists(x -> bitTest(x.2, 0), evs), %s, 0) AS lvl, bd, [%s] AS secs\nFROM (%s)",
		t1, level, strings.Join(times, ", "), perVisitor)
	var med []string
	for i := range times {
		med = append(med, fmt.Sprintf("quantileExactInclusiveIf(0.5)(secs[%d], lvl >= %d)", i+1, i+2))
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

func pct(a, b int64) float64 {
	if b == 0 {
		return 0
	}
	return math.Round(float64(a)/float64(b)*10000) / 100
}
