package querytest

import (
	"math"
	"regexp"
	"sort"
	"strings"
	"time"

	"github.com/omnistat/omnistat/collector"
)

// Filter is [op, dimension, values], as in the API.
type Filter struct {
	Op, Dim string
	Values  []string
}

// Goal is a conversion: an event name or a page pattern with * wildcards.
type Goal struct{ Event, Page string }

// Query is what the expectation is computed for.
type Query struct {
	From, To time.Time // [From, To)
	TZ       *time.Location
	Metrics  []string
	Dims     []string
	Filters  []Filter
	Goals    []Goal
}

// dimValue is an event's value of a dimension (entry and exit pages are the visit's).
func dimValue(e *collector.Event, dim string, loc *time.Location) string {
	switch dim {
	case "channel":
		return e.Channel
	case "source":
		return e.Source
	case "medium":
		return e.Medium
	case "campaign":
		return e.Campaign
	case "referrer":
		return e.ReferrerDomain
	case "device":
		return e.Device
	case "browser":
		return e.Browser
	case "os":
		return e.OS
	case "country":
		return e.Country
	case "region":
		return e.Region
	case "city":
		return e.City
	case "page":
		return e.Path
	case "event":
		return e.Name
	case "content_name":
		return e.ContentName
	case "time:day":
		return e.TS.In(loc).Format("2006-01-02")
	case "time:hour":
		t := e.TS.In(loc)
		return time.Date(t.Year(), t.Month(), t.Day(), t.Hour(), 0, 0, 0, loc).Format("2006-01-02 15:04:05")
	}
	if k, ok := strings.CutPrefix(dim, "prop:"); ok {
		return e.Props[k]
	}
	panic("querytest: dimension " + dim + " not modelled")
}

func matches(op, v string, values []string) bool {
	any := false
	for _, x := range values {
		switch op {
		case "is", "is_not":
			any = any || v == x
		case "contains", "not_contains":
			any = any || strings.Contains(strings.ToLower(v), strings.ToLower(x))
		case "matches":
			any = any || regexp.MustCompile(x).MatchString(v)
		}
	}
	if op == "is_not" || op == "not_contains" {
		return !any
	}
	return any
}

func goalPattern(p string) *regexp.Regexp {
	parts := strings.Split(p, "*")
	for i := range parts {
		parts[i] = regexp.QuoteMeta(parts[i])
	}
	return regexp.MustCompile("^" + strings.Join(parts, ".*") + "$")
}

func converts(e *collector.Event, goals []Goal) bool {
	for _, g := range goals {
		if g.Event != "" && e.Name == g.Event {
			return true
		}
		if g.Page != "" && e.Name == "pageview" && goalPattern(g.Page).MatchString(e.Path) {
			return true
		}
	}
	return false
}

type counts struct {
	pv, inter, evs, impr, clk int
	engaged                   int64
	pageScroll                map[string]int // the deepest scroll of each page
	t0, t1                    time.Time
	rev                       int64
	conv                      bool
}

func (c *counts) add(e *collector.Event, goals []Goal) {
	if c.t0.IsZero() || e.TS.Before(c.t0) {
		c.t0 = e.TS
	}
	if e.TS.After(c.t1) {
		c.t1 = e.TS
	}
	switch e.Name {
	case "pageview":
		c.pv++
	case "engagement":
		if c.pageScroll == nil {
			c.pageScroll = map[string]int{}
		}
		if int(e.Scroll) > c.pageScroll[e.Path] {
			c.pageScroll[e.Path] = int(e.Scroll)
		}
	case "impression":
		c.impr++
	}
	if e.Name == "click" {
		c.clk++
	}
	if e.Name != "pageview" && e.Name != "engagement" && e.Name != "impression" {
		c.inter++
	}
	if e.Name != "pageview" && e.Name != "engagement" {
		c.evs++
	}
	c.engaged += int64(e.EngagedMS)
	c.rev += e.Revenue
	c.conv = c.conv || converts(e, goals)
}

// Row is one expected result row.
type Row struct {
	Dims    []string
	Metrics []float64
}

// Expect computes the answer for q over the events: rows sorted by dimension values
// (no dimensions: one row, the totals).
func Expect(events []collector.Event, q Query) []Row {
	type visitKey struct{ visitor, session uint64 }
	visits := map[visitKey][]*collector.Event{}
	for i := range events {
		e := &events[i]
		if e.TS.Before(q.From) || !e.TS.Before(q.To) {
			continue
		}
		keep := true
		for _, f := range q.Filters {
			keep = keep && matches(f.Op, dimValue(e, f.Dim, q.TZ), f.Values)
		}
		if keep {
			k := visitKey{e.VisitorID, e.SessionID}
			visits[k] = append(visits[k], e)
		}
	}
	byDims := map[string][]agg{}
	dimsOf := map[string][]string{}
	for _, evs := range visits {
		whole := &counts{}
		for _, e := range evs {
			whole.add(e, q.Goals)
		}
		parts := map[string]*counts{}
		for _, e := range evs {
			var vals []string
			for _, d := range q.Dims {
				vals = append(vals, dimValue(e, d, q.TZ))
			}
			key := strings.Join(vals, "\x00")
			if parts[key] == nil {
				parts[key] = &counts{}
				dimsOf[key] = vals
			}
			parts[key].add(e, q.Goals)
		}
		for key, c := range parts {
			byDims[key] = append(byDims[key], agg{visitor: evs[0].VisitorID, own: *c, visit: *whole})
		}
	}
	var rows []Row
	for key, gs := range byDims {
		rows = append(rows, Row{Dims: dimsOf[key], Metrics: metrics(q.Metrics, gs)})
	}
	if len(q.Dims) == 0 && len(rows) == 0 {
		rows = append(rows, Row{Metrics: metrics(q.Metrics, nil)})
	}
	sort.Slice(rows, func(i, j int) bool { return strings.Join(rows[i].Dims, "\x00") < strings.Join(rows[j].Dims, "\x00") })
	return rows
}

// agg is one visit's part in a result row: its own events' counts (those with the
// row's dimension values) and the whole visit's.
type agg struct {
	visitor    uint64
	own, visit counts
}

func round2(f float64) float64 { return math.Round(f*100) / 100 }

func rate(a, b float64) float64 {
	if b == 0 {
		return 0
	}
	return round2(a / b * 100)
}

func metrics(names []string, gs []agg) []float64 {
	visitors, converters := map[uint64]bool{}, map[uint64]bool{}
	var pv, inter, evs, impr, clk, bounced, engaged float64
	var dur, rev, scrollSum, scrollN float64
	for _, g := range gs {
		visitors[g.visitor] = true
		if g.own.conv {
			converters[g.visitor] = true
		}
		pv += float64(g.own.pv)
		inter += float64(g.own.inter)
		evs += float64(g.own.evs)
		impr += float64(g.own.impr)
		clk += float64(g.own.clk)
		rev += float64(g.own.rev) / 10000
		for _, sc := range g.own.pageScroll {
			if sc > 0 {
				scrollSum += float64(sc)
				scrollN++
			}
		}
		if g.visit.pv <= 1 && g.visit.inter == 0 {
			bounced++
		}
		if g.visit.engaged >= 10000 || g.visit.pv >= 2 || g.visit.conv {
			engaged++
		}
		dur += g.visit.t1.Sub(g.visit.t0).Seconds()
	}
	n := float64(len(gs))
	out := make([]float64, len(names))
	for i, m := range names {
		switch m {
		case "visitors":
			out[i] = float64(len(visitors))
		case "visits":
			out[i] = n
		case "pageviews":
			out[i] = pv
		case "views_per_visit":
			if n > 0 {
				out[i] = round2(pv / n)
			}
		case "bounce_rate":
			out[i] = rate(bounced, n)
		case "visit_duration":
			if n > 0 {
				out[i] = round2(dur / n)
			}
		case "engagement_rate":
			out[i] = rate(engaged, n)
		case "events":
			out[i] = evs
		case "conversions":
			out[i] = float64(len(converters))
		case "conversion_rate":
			out[i] = rate(float64(len(converters)), float64(len(visitors)))
		case "revenue":
			out[i] = round2(rev)
		case "impressions":
			out[i] = impr
		case "clicks":
			out[i] = clk
		case "ctr":
			out[i] = rate(clk, impr)
		case "interaction_rate":
			out[i] = rate(inter, pv)
		case "scroll_depth":
			if scrollN > 0 {
				out[i] = round2(scrollSum / scrollN)
			}
		}
	}
	return out
}
