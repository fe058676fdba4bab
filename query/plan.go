package query

import (
	"time"

	"github.com/omnistat/omnistat/catalog"
)

// metric is one reporting metric, defined once as a ClickHouse expression over the
// events table.
type metric struct {
	expr string
}

// metrics is the table of every metric the API knows.
var metrics = map[string]metric{
	"visitors":  {expr: "uniq(visitor_id)"},
	"pageviews": {expr: "countIf(name = 'pageview')"},
}

// QueryPlan is a validated request, ready to become SQL.
type QueryPlan struct {
	Site    catalog.Site
	Period  Period
	Metrics []string
}

// Plan validates a request against the closed set of fields, metrics and ranges.
func Plan(site catalog.Site, req Request, now time.Time) (*QueryPlan, error) {
	loc := site.Location()
	p, err := ParsePeriod(req.DateRange, loc, now, site.Created)
	if err != nil {
		return nil, &BadRequest{Msg: err.Error()}
	}
	if len(req.Metrics) == 0 {
		return nil, badf("metrics is required: name at least one, e.g. [\"visitors\"]")
	}
	for _, m := range req.Metrics {
		if _, ok := metrics[m]; !ok {
			return nil, badf("metric %q is not supported", m)
		}
	}
	if len(req.Dimensions) > 0 {
		return nil, badf("dimension %q is not supported", req.Dimensions[0])
	}
	return &QueryPlan{Site: site, Period: p, Metrics: req.Metrics}, nil
}
