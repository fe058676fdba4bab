package query

import (
	"strconv"
	"strings"

	"github.com/omnistat/omnistat/store"
)

const tsFormat = "2006-01-02 15:04:05.000"

// BuildTotals builds the SQL for the plan's metrics over a period. Values are typed
// parameters; only expressions from the metrics table enter the SQL text.
func BuildTotals(p *QueryPlan, period Period) (string, store.Params) {
	var sel []string
	for _, m := range p.Metrics {
		sel = append(sel, metrics[m].expr+" AS "+m)
	}
	sql := "SELECT " + strings.Join(sel, ", ") + " FROM events WHERE site_id = {site:UInt32} AND ts >= {from:DateTime64(3, 'UTC')} AND ts < {to:DateTime64(3, 'UTC')}"
	return sql, store.Params{
		"site": strconv.FormatUint(uint64(p.Site.ID), 10),
		"from": period.Start().UTC().Format(tsFormat),
		"to":   period.End().UTC().Format(tsFormat),
	}
}
