package query

// Every metric and dimension of the contract (shared/spec/API.md §3.2, §3.3), defined
// once, here.
//
// Queries run in two levels. The inner level groups the site's events in the range by
// visit (visitor_id, session_id) and by the requested event-level dimensions, and
// counts per group; the outer level groups by the requested dimensions and computes the
// metrics below from those counts. Visit-level facts (pageviews of the whole visit, its
// duration, whether it converted) are the s_* columns: equal to the group's own when the
// inner group is the whole visit, else summed over the visit with a window.

// metricExpr is each metric as an expression over the inner level's columns.
var metricExpr = map[string]string{
	"visitors":         "uniqExact(visitor_id)",
	"visits":           "count()",
	"pageviews":        "sum(pv)",
	"views_per_visit":  "round(if(count() = 0, 0, sum(pv) / count()), 2)",
	"bounce_rate":      "round(if(count() = 0, 0, countIf(s_pv <= 1 AND s_inter = 0) / count() * 100), 2)",
	"visit_duration":   "round(if(count() = 0, 0, avg(dateDiff('millisecond', s_t0, s_t1)) / 1000), 2)",
	"engagement_rate":  "round(if(count() = 0, 0, countIf(s_engaged >= 10000 OR s_pv >= 2 OR s_conv > 0) / count() * 100), 2)",
	"events":           "sum(evs)",
	"conversions":      "uniqExactIf(visitor_id, conv > 0)",
	"conversion_rate":  "round(if(uniqExact(visitor_id) = 0, 0, uniqExactIf(visitor_id, conv > 0) / uniqExact(visitor_id) * 100), 2)",
	"revenue":          "round(toFloat64(sum(rev)), 2)",
	"impressions":      "sum(impr)",
	"clicks":           "sum(clk)",
	"ctr":              "round(if(sum(impr) = 0, 0, sum(clk) / sum(impr) * 100), 2)",
	"interaction_rate": "round(if(sum(pv) = 0, 0, sum(inter) / sum(pv) * 100), 2)",
	"scroll_depth":     "round(if(sum(sc_n) = 0, 0, sum(sc_sum) / sum(sc_n)), 2)",
}

// MetricNames lists the metrics in the contract's order.
var MetricNames = []string{"visitors", "visits", "pageviews", "views_per_visit", "bounce_rate", "visit_duration",
	"engagement_rate", "events", "conversions", "conversion_rate", "revenue", "impressions", "clicks", "ctr",
	"interaction_rate", "scroll_depth"}

// innerColumns are the inner level's counters, per group of events.
const innerColumns = `count() AS n,
	countIf(name = 'pageview') AS pv,
	countIf(name NOT IN ('pageview', 'engagement', 'impression')) AS inter,
	countIf(name NOT IN ('pageview', 'engagement')) AS evs,
	countIf(name = 'impression') AS impr,
	countIf(name = 'click') AS clk,
	sum(engaged_ms) AS engaged,
	maxMapIf([path], [scroll], name = 'engagement') AS g_scroll,
	arraySum(arrayFilter(x -> x > 0, g_scroll.2)) AS sc_sum,
	arrayCount(x -> x > 0, g_scroll.2) AS sc_n,
	min(ts) AS t0,
	max(ts) AS t1,
	sum(revenue) AS rev`

// scope says whether a dimension is fixed for a whole visit or varies by event.
type scope int

const (
	visitScope scope = iota // the same for every event of a visit (attribution, device, geo)
	eventScope              // differs between a visit's events (page, event name, time)
	derived                 // computed from the visit: entry and exit page
)

type dimension struct {
	expr  string // over the events table
	scope scope
}

// dimensions are the plain ones; time:*, prop:KEY and goal are built in plan.go.
var dimensions = map[string]dimension{
	"channel":         {"channel", visitScope},
	"source":          {"source", visitScope},
	"medium":          {"medium", visitScope},
	"campaign":        {"campaign", visitScope},
	"term":            {"term", visitScope},
	"utm_content":     {"utm_content", visitScope},
	"referrer":        {"referrer_domain", visitScope},
	"device":          {"device", visitScope},
	"browser":         {"browser", visitScope},
	"browser_version": {"browser_version", visitScope},
	"os":              {"os", visitScope},
	"os_version":      {"os_version", visitScope},
	"country":         {"country", visitScope},
	"region":          {"region", visitScope},
	"city":            {"city", visitScope},
	"language":        {"language", visitScope},
	"page":            {"path", eventScope},
	"event":           {"name", eventScope},
	"content_name":    {"content_name", eventScope},
	"content_piece":   {"content_piece", eventScope},
	"entry_page":      {"entry_page", derived},
	"exit_page":       {"exit_page", derived},
	// Not in the contract: revenue per currency (§3.2 "per currency when mixed").
	"currency": {"currency", eventScope},
}

// timeBuckets are the time:* dimensions, bucketed in the site's timezone ({tz:String}).
// Hours are kept as instants (Unix seconds) and shown with their UTC offset, because a
// local hour repeats when clocks go back; days, weeks and months are local dates.
var timeBuckets = map[string]string{
	"hour":  "toString(toUnixTimestamp(toStartOfHour(ts, {tz:String})))",
	"day":   "toString(toDate(ts, {tz:String}))",
	"week":  "toString(toMonday(ts, {tz:String}))",
	"month": "toString(toStartOfMonth(ts, {tz:String}))",
}

var operators = map[string]bool{"is": true, "is_not": true, "contains": true, "not_contains": true, "matches": true}
