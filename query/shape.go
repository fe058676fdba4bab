package query

import (
	"fmt"

	"github.com/omnistat/omnistat/store"
)

// Shape turns the engine's rows into the API's answer.
func Shape(p *QueryPlan, res *store.Result) (*Response, error) {
	out := &Response{Results: []Row{}, Totals: map[string]float64{},
		Meta: Meta{Metrics: p.Metrics, Dimensions: []string{}, From: p.Period.From.Format("2006-01-02"), To: p.Period.To.Format("2006-01-02"), Timezone: p.Site.Timezone}}
	if len(res.Rows) != 1 {
		return nil, fmt.Errorf("query.Shape: %d total rows", len(res.Rows))
	}
	row := Row{Dimensions: []string{}}
	for i, m := range p.Metrics {
		v := number(res.Rows[0][i])
		out.Totals[m] = v
		row.Metrics = append(row.Metrics, v)
	}
	out.Results = append(out.Results, row)
	out.Meta.Rows = len(out.Results)
	return out, nil
}

func number(v any) float64 {
	switch x := v.(type) {
	case int64:
		return float64(x)
	case uint64:
		return float64(x)
	case float64:
		return x
	}
	return 0
}
