package query

import (
	"encoding/json"
	"fmt"
	"math"
	"regexp"
	"slices"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/omnistat/omnistat/catalog"
)

// QueryPlan is a validated request, ready to become SQL.
type QueryPlan struct {
	Site    catalog.Site
	Period  Period
	Metrics []string
	Dims    []planDim
	Filters []planFilter
	Goals   []catalog.Goal // the goals that count as conversions (all, or those a goal filter names)
	OrderBy []order
	Limit   int
	Offset  int
	Compare bool
	CSV     bool
	// revenueOnly keeps only the events with revenue: for the per-currency totals,
	// which need no other event (and no visit facts: never with a derived filter).
	revenueOnly bool
}

type planDim struct {
	Name  string
	expr  string // SQL over events (inner level), or entry_page / exit_page
	scope scope
	time  string // hour, day, week or month for time:*
	prop  string // KEY for prop:KEY
	goal  bool
}

type planFilter struct {
	op     string
	dim    planDim
	values []string
}

type order struct {
	key  string // a metric or dimension name
	desc bool
}

const (
	maxLimit       = 10000
	maxOffset      = 1000000 // rows a page may skip: the engine sorts all of them first
	maxFilterVals  = 100
	maxFilterValue = 1000
)

// propKeyRE refuses control characters in a prop key: no tracker sends them.
var propKeyRE = regexp.MustCompile(`^[^\x00-\x1f]*$`)

// resolveDim validates a dimension name.
func resolveDim(name string, goals []catalog.Goal) (planDim, error) {
	if unit, ok := strings.CutPrefix(name, "time:"); ok {
		if _, ok := timeBuckets[unit]; !ok {
			return planDim{}, badf("dimension %q is not supported: time takes hour, day, week or month", name)
		}
		return planDim{Name: name, scope: eventScope, time: unit}, nil
	}
	if key, ok := strings.CutPrefix(name, "prop:"); ok {
		if n := utf8.RuneCountInString(key); n < 1 || n > 64 {
			return planDim{}, badf("dimension %q: a prop key is 1 to 64 characters", name)
		}
		if !propKeyRE.MatchString(key) {
			return planDim{}, badf("dimension %q: a prop key cannot hold control characters", name)
		}
		return planDim{Name: name, scope: eventScope, prop: key}, nil
	}
	if name == "goal" {
		return planDim{Name: name, scope: eventScope, goal: true}, nil
	}
	d, ok := dimensions[name]
	if !ok {
		return planDim{}, badf("dimension %q is not supported", name)
	}
	return planDim{Name: name, expr: d.expr, scope: d.scope}, nil
}

// Plan validates a request against the closed set of fields, metrics, dimensions and
// operators; every error names what is wrong. Date range "all" starts when the site was
// added.
func Plan(site catalog.Site, goals []catalog.Goal, req Request, now time.Time) (*QueryPlan, error) {
	return planWith(site, goals, req, now, site.Created)
}

// planWith is Plan with date range "all" starting at allFrom.
func planWith(site catalog.Site, goals []catalog.Goal, req Request, now, allFrom time.Time) (*QueryPlan, error) {
	p, err := ParsePeriod(req.DateRange, site.Location(), now, allFrom)
	if err != nil {
		return nil, &BadRequest{Msg: err.Error()}
	}
	plan := &QueryPlan{Site: site, Period: p, Goals: goals, Limit: 100}
	if len(req.Metrics) == 0 {
		return nil, badf("metrics is required: name at least one, e.g. [\"visitors\"]")
	}
	seen := map[string]bool{}
	for _, m := range req.Metrics {
		if _, ok := metricExpr[m]; !ok {
			return nil, badf("metric %q is not supported", m)
		}
		if seen[m] {
			return nil, badf("metric %q is named twice", m)
		}
		seen[m] = true
	}
	plan.Metrics = req.Metrics
	if len(req.Dimensions) > 3 {
		return nil, badf("dimensions: at most 3")
	}
	hasTime := false
	for _, name := range req.Dimensions {
		d, err := resolveDim(name, goals)
		if err != nil {
			return nil, err
		}
		if seen[name] {
			return nil, badf("dimension %q is named twice", name)
		}
		seen[name] = true
		if d.time != "" {
			if hasTime {
				return nil, badf("dimensions: only one time:* dimension")
			}
			hasTime = true
		}
		plan.Dims = append(plan.Dims, d)
	}
	if err := plan.parseFilters(req.Filters); err != nil {
		return nil, err
	}
	if err := plan.parseOrder(req.OrderBy); err != nil {
		return nil, err
	}
	if err := plan.parsePage(req.Limit, req.Page); err != nil {
		return nil, err
	}
	switch req.Compare {
	case "":
	case "previous_period":
		plan.Compare = true
	default:
		return nil, badf("compare %q is not supported: use \"previous_period\"", req.Compare)
	}
	switch req.Format {
	case "", "json":
	case "csv":
		plan.CSV = true
	default:
		return nil, badf("format %q is not supported: use \"json\" or \"csv\"", req.Format)
	}
	return plan, nil
}

// parseFilters reads [["is", "device", ["Mobile"]], ...].
func (p *QueryPlan) parseFilters(raw json.RawMessage) error {
	if len(raw) == 0 || string(raw) == "null" {
		return nil
	}
	var fs [][]json.RawMessage
	if err := json.Unmarshal(raw, &fs); err != nil {
		return badf(`filters must be a list like [["is", "device", ["Mobile"]]]`)
	}
	for i, f := range fs {
		if len(f) != 3 {
			return badf(`filters[%d] must be [operator, dimension, [values]]`, i)
		}
		var op, dim string
		var values []string
		if json.Unmarshal(f[0], &op) != nil || json.Unmarshal(f[1], &dim) != nil {
			return badf(`filters[%d] must be [operator, dimension, [values]]`, i)
		}
		if err := json.Unmarshal(f[2], &values); err != nil {
			var one string
			if json.Unmarshal(f[2], &one) != nil {
				return badf("filters[%d]: values must be a list of strings", i)
			}
			values = []string{one}
		}
		if !operators[op] {
			return badf("filters[%d]: operator %q is not supported: use is, is_not, contains, not_contains or matches", i, op)
		}
		d, err := resolveDim(dim, p.Goals)
		if err != nil {
			return badf("filters[%d]: %s", i, err.Error())
		}
		if d.time != "" {
			return badf("filters[%d]: filter time with date_range, not %q", i, dim)
		}
		if len(values) == 0 || len(values) > maxFilterVals {
			return badf("filters[%d]: give 1 to %d values", i, maxFilterVals)
		}
		for _, v := range values {
			if utf8.RuneCountInString(v) > maxFilterValue {
				return badf("filters[%d]: a value is longer than %d characters", i, maxFilterValue)
			}
			if op == "matches" {
				if _, err := regexp.Compile(v); err != nil {
					return badf("filters[%d]: %q is not a valid RE2 regular expression: %v", i, v, err)
				}
			}
		}
		if d.goal {
			// A goal filter chooses which goals count as conversions; visitors stay all
			// visitors matching the other filters (conversion_rate's denominator).
			if op != "is" {
				return badf("filters[%d]: goal takes only the is operator", i)
			}
			var chosen []catalog.Goal
			for _, g := range p.Goals {
				for _, v := range values {
					if g.Name == v {
						chosen = append(chosen, g)
					}
				}
			}
			if len(chosen) == 0 {
				return badf("filters[%d]: no goal named %q", i, values[0])
			}
			p.Goals = chosen
			continue
		}
		p.Filters = append(p.Filters, planFilter{op: op, dim: d, values: values})
	}
	return nil
}

func (p *QueryPlan) parseOrder(raw json.RawMessage) error {
	if len(raw) > 0 && string(raw) != "null" {
		var os [][]string
		if err := json.Unmarshal(raw, &os); err != nil {
			return badf(`order_by must be a list like [["visitors", "desc"]]`)
		}
		for i, o := range os {
			if len(o) != 2 || (o[1] != "asc" && o[1] != "desc") {
				return badf(`order_by[%d] must be [name, "asc" or "desc"]`, i)
			}
			ok := false
			for _, m := range p.Metrics {
				ok = ok || m == o[0]
			}
			for _, d := range p.Dims {
				ok = ok || d.Name == o[0]
			}
			if !ok {
				return badf("order_by[%d]: %q is not one of the requested metrics or dimensions", i, o[0])
			}
			p.OrderBy = append(p.OrderBy, order{key: o[0], desc: o[1] == "desc"})
		}
	}
	if len(p.OrderBy) == 0 {
		for _, d := range p.Dims {
			if d.time != "" {
				p.OrderBy = append(p.OrderBy, order{key: d.Name})
			}
		}
		if len(p.Dims) > 0 {
			p.OrderBy = append(p.OrderBy, order{key: p.Metrics[0], desc: true})
		}
	}
	// The dimensions last, as tie-breakers: a row is unique by its dimension values, so
	// the order is total and pages neither skip nor repeat rows that tie on a metric.
	for _, d := range p.Dims {
		if !slices.ContainsFunc(p.OrderBy, func(o order) bool { return o.key == d.Name }) {
			p.OrderBy = append(p.OrderBy, order{key: d.Name})
		}
	}
	return nil
}

// parsePage reads limit and page. A time series, zero-filled, has every bucket of the
// range unless it is given a limit, as in Plausible and GA4: limit and page then cut
// it like any breakdown.
func (p *QueryPlan) parsePage(limit, page int) error {
	switch {
	case limit < 0 || limit > maxLimit:
		// 0 cannot be told from a limit left out (both decode as 0), so it is the
		// default too, and the sentence says so.
		return badf("limit %d must be between 1 and %d; 0 or no limit gives the default (100 rows; a time series has every bucket)", limit, maxLimit)
	case limit > 0:
		p.Limit = limit
	case isTimeOnly(p):
		p.Limit = math.MaxInt32
		if page > 1 {
			return badf("page %d of a time series needs a limit: without one, the series is one page", page)
		}
	}
	if page < 0 {
		return badf("page %d must be 1 or more", page)
	}
	if page > 1 {
		// Compared before multiplying: a huge page would overflow back to page 1.
		if page-1 > maxOffset/p.Limit {
			return badf("page %d with limit %d skips more than %d rows", page, p.Limit, maxOffset)
		}
		p.Offset = (page - 1) * p.Limit
	}
	return nil
}

// goalPattern turns a page pattern with * wildcards into an anchored RE2 expression.
func goalPattern(page string) string {
	parts := strings.Split(page, "*")
	for i, s := range parts {
		parts[i] = regexp.QuoteMeta(s)
	}
	return "^" + strings.Join(parts, ".*") + "$"
}

func (p *QueryPlan) String() string {
	return fmt.Sprintf("%s %s..%s %v %v", p.Site.Domain, p.Period.From.Format("2006-01-02"), p.Period.To.Format("2006-01-02"), p.Metrics, p.Dims)
}
