package query

import (
	"strconv"
	"strings"
)

// The flat form: one pass over the events, grouped by the requested dimensions only.
//
// Grouping the events by visit first (the two-level form of sql.go) is what costs: a
// hash table of every visit in the range. Metrics that are sums or distinct counts of
// events do not need it: a visit is counted by its session_id, which the collector draws
// at random per visit (64 bits), so uniqExact(session_id) is the number of visits, also
// per event-level dimension value. Only the metrics that need a visit's own totals
// (bounce, duration, engagement, scroll depth) and the entry/exit pages need the
// two-level form. The golden tests run every metric through whichever form is chosen.
//
// Bounce and engagement rates are yes/no facts of a visit. By an event-level dimension
// (pages, events, time) the two-level form must hand each visit's totals to every group
// of the visit with a window, a sort of all those groups: 2.6 s for the pages panel on
// 10 M events. Here the bounced (or engaged) visits are found once, as a set of
// session ids, and each dimension value counts its visits in that set: 1.3 s.

// visitSets are the yes/no visit facts as HAVING conditions over a visit's events, in
// a fixed order so that the SQL text is the same on every run. {conv} is the plan's
// goal condition.
var visitSets = []struct{ name, having string }{
	{"bounced", "countIf(name = 'pageview') <= 1 AND countIf(name NOT IN ('pageview', 'engagement', 'impression')) = 0"},
	{"engaged", "sum(engaged_ms) >= 10000 OR countIf(name = 'pageview') >= 2 OR max({conv}) > 0"},
}

// flatMetricExpr is each metric that has a flat form, over the events table. {conv} is
// the plan's goal condition.
var flatMetricExpr = map[string]string{
	"visitors":         "uniqExact(visitor_id)",
	"visits":           "uniqExact(session_id)",
	"pageviews":        "countIf(name = 'pageview')",
	"views_per_visit":  "round(if(uniqExact(session_id) = 0, 0, countIf(name = 'pageview') / uniqExact(session_id)), 2)",
	"events":           "countIf(name NOT IN ('pageview', 'engagement'))",
	"conversions":      "uniqExactIf(visitor_id, {conv})",
	"conversion_rate":  "round(if(uniqExact(visitor_id) = 0, 0, uniqExactIf(visitor_id, {conv}) / uniqExact(visitor_id) * 100), 2)",
	"revenue":          "round(toFloat64(sum(revenue)), 2)",
	"impressions":      "countIf(name = 'impression')",
	"clicks":           "countIf(name = 'click')",
	"ctr":              "round(if(countIf(name = 'impression') = 0, 0, countIf(name = 'click') / countIf(name = 'impression') * 100), 2)",
	"interaction_rate": "round(if(countIf(name = 'pageview') = 0, 0, countIf(name NOT IN ('pageview', 'engagement', 'impression')) / countIf(name = 'pageview') * 100), 2)",
	"bounce_rate":      "round(if(uniqExact(session_id) = 0, 0, uniqExactIf(session_id, session_id IN {bounced}) / uniqExact(session_id) * 100), 2)",
	"engagement_rate":  "round(if(uniqExact(session_id) = 0, 0, uniqExactIf(session_id, session_id IN {engaged}) / uniqExact(session_id) * 100), 2)",
}

// bySetOnly are the flat metrics that pay for a visit set: worth it only where the
// two-level form would need its window, i.e. by an event-level dimension.
var bySetOnly = map[string]bool{"bounce_rate": true, "engagement_rate": true}

// isFlat reports whether the plan can be answered in one pass over the events.
func isFlat(p *QueryPlan, dims []planDim) bool {
	window := false
	for _, d := range dims {
		window = window || d.scope == eventScope
	}
	for _, m := range p.Metrics {
		if _, ok := flatMetricExpr[m]; !ok || (bySetOnly[m] && !window) {
			return false
		}
	}
	for _, d := range dims {
		if d.scope == derived {
			return false
		}
	}
	for _, f := range p.Filters {
		if f.dim.scope == derived {
			return false
		}
	}
	return true
}

// flat builds the one-pass SQL. Columns are aliased d0…, m0… so that no alias shadows
// a column of the table (revenue, events).
func (b *builder) flat(p *QueryPlan, dims []planDim) string {
	where, _ := b.where(p)
	var sel, group []string
	for i, d := range dims {
		col, expr := "d"+strconv.Itoa(i), b.dimExpr(p, d)
		sel = append(sel, expr+" AS "+col)
		group = append(group, col)
	}
	conv := ""
	convOnce := func() string {
		if conv == "" {
			conv = b.convExpr(p) + " > 0"
		}
		return conv
	}
	for i, m := range p.Metrics {
		expr := flatMetricExpr[m]
		if strings.Contains(expr, "{conv}") {
			expr = strings.ReplaceAll(expr, "{conv}", convOnce())
		}
		for _, vs := range visitSets {
			if !strings.Contains(expr, "{"+vs.name+"}") {
				continue
			}
			having := vs.having
			if strings.Contains(having, "{conv}") {
				having = strings.ReplaceAll(having, "{conv}", convOnce())
			}
			expr = strings.ReplaceAll(expr, "{"+vs.name+"}", b.visitSet(p, having))
		}
		sel = append(sel, expr+" AS m"+strconv.Itoa(i))
	}
	sql := "SELECT " + strings.Join(sel, ",\n\t") + "\nFROM events\nWHERE " + strings.Join(where, "\n  AND ")
	if len(group) == 0 {
		return sql
	}
	sql += "\nGROUP BY " + strings.Join(group, ", ")
	return sql + orderAndLimit(p, aliases(dims, p.Metrics))
}

// visitSet is the subquery of the session ids of the visits in the plan's range and
// filters whose events meet having. It sees the same events as the main query, so a
// visit's facts are those of its events that pass the event-level filters, as in the
// two-level form.
func (b *builder) visitSet(p *QueryPlan, having string) string {
	where, _ := b.where(p)
	return "(SELECT session_id FROM events WHERE " + strings.Join(where, " AND ") + " GROUP BY session_id HAVING " + having + ")"
}
