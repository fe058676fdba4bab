package query

import (
	"context"
	"fmt"
	"math"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/omnistat/omnistat/store"
)

// goalRate is what a breakdown by goal with conversion_rate needs besides its rows.
// Each row holds only the visitors who completed that goal, so the rate's denominator
// comes from elsewhere: the visitors matching the non-goal filters and the row's values
// of the other dimensions (all of them, with no other dimension, as in the totals).
type goalRate struct {
	rows   *QueryPlan // the request's plan, plus conversions when it does not ask for them
	ri, ci int        // conversion_rate and conversions in rows.Metrics
	hidden bool       // conversions is ours: drop it from the answer
	others []int      // the positions of the dimensions other than goal
}

// newGoalRate is nil unless the plan is a breakdown by goal with conversion_rate.
func newGoalRate(plan *QueryPlan) *goalRate {
	ri := slices.Index(plan.Metrics, "conversion_rate")
	gi := slices.IndexFunc(plan.Dims, func(d planDim) bool { return d.goal })
	if gi < 0 || ri < 0 {
		return nil
	}
	g := &goalRate{rows: plan, ri: ri, ci: slices.Index(plan.Metrics, "conversions")}
	if g.ci < 0 {
		rows := *plan
		rows.Metrics = append(slices.Clip(plan.Metrics), "conversions")
		g.rows, g.ci, g.hidden = &rows, len(plan.Metrics), true
	}
	for i, d := range plan.Dims {
		if !d.goal {
			g.others = append(g.others, i)
		}
	}
	// By goal alone every row's rate has the same denominator, so ordering by the rate
	// is ordering by conversions, which the rows' SQL has; its own conversion_rate is
	// 100 % in every row and would order nothing.
	if len(g.others) == 0 && slices.ContainsFunc(plan.OrderBy, func(o order) bool { return o.key == "conversion_rate" }) {
		rows := *g.rows
		rows.OrderBy = slices.Clone(plan.OrderBy)
		for i, o := range rows.OrderBy {
			if o.key == "conversion_rate" {
				rows.OrderBy[i].key = "conversions"
			}
		}
		g.rows = &rows
	}
	return g
}

// allVisitors is the plan of the denominator when goal is the only dimension: the
// visitors matching the filters, a total that can run beside the rows. Nil otherwise.
func (g *goalRate) allVisitors() *QueryPlan {
	if len(g.others) > 0 {
		return nil
	}
	all := *g.rows
	all.Metrics, all.Dims = []string{"visitors"}, nil
	return &all
}

// visitorsBy is the plan of the denominators with other dimensions: the visitors by
// those dimensions, for the values the rows have (at most a page of them, so the
// answer stays small however many values the dimensions have).
func (g *goalRate) visitorsBy(rows []Row) *QueryPlan {
	p := *g.rows
	p.Metrics, p.Dims, p.OrderBy, p.Offset = []string{"visitors"}, nil, nil, 0
	p.Filters = slices.Clip(g.rows.Filters)
	for _, i := range g.others {
		d := g.rows.Dims[i]
		var values []string
		for _, r := range rows {
			if v := rawDim(d, r.Dimensions[i]); !slices.Contains(values, v) {
				values = append(values, v)
			}
		}
		p.Dims = append(p.Dims, d)
		p.OrderBy = append(p.OrderBy, order{key: d.Name})
		p.Filters = append(p.Filters, planFilter{op: "is", dim: d, values: values})
	}
	// Every combination of the values is one row at most.
	p.Limit = math.MaxInt32
	return &p
}

// rawDim is a dimension value as the engine has it: an hour's Unix seconds, not its
// name; other values are the same.
func rawDim(d planDim, v string) string {
	if d.time != "hour" {
		return v
	}
	t, err := time.Parse(HourFormat, v)
	if err != nil {
		return v
	}
	return strconv.FormatInt(t.Unix(), 10)
}

// apply sets each row's conversion_rate: its conversions / the visitors of key(row),
// and drops the conversions the request did not ask for.
func (g *goalRate) apply(rows []Row, visitors func(r Row) float64) {
	for i, r := range rows {
		rows[i].Metrics[g.ri] = percent(r.Metrics[g.ci], visitors(r))
		if g.hidden {
			rows[i].Metrics = rows[i].Metrics[:g.ci]
		}
	}
}

// goalRates fixes conversion_rate in the shaped rows of a breakdown by goal; all is the
// answer of allVisitors, or nil when there are other dimensions.
func (e *Engine) goalRates(ctx context.Context, g *goalRate, rows []Row, all *store.Result) error {
	if all != nil {
		visitors := 0.0
		if len(all.Rows) == 1 {
			visitors = store.Float(all.Rows[0][0])
		}
		g.apply(rows, func(Row) float64 { return visitors })
		return nil
	}
	if len(rows) == 0 {
		return nil
	}
	p := g.visitorsBy(rows)
	sql, params := Build(p, p.Period, false)
	res, err := e.st.Query(ctx, sql, params)
	if err != nil {
		return fmt.Errorf("query.goalRates %s: %w", p, err)
	}
	byKey := map[string]float64{}
	for _, r := range res.Rows {
		var key []string
		for i := range g.others {
			key = append(key, text(r[i]))
		}
		byKey[strings.Join(key, "\x00")] = store.Float(r[len(g.others)])
	}
	g.apply(rows, func(r Row) float64 {
		var key []string
		for _, i := range g.others {
			key = append(key, rawDim(g.rows.Dims[i], r.Dimensions[i]))
		}
		return byKey[strings.Join(key, "\x00")]
	})
	return nil
}
