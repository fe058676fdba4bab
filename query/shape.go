package query

import (
	"encoding/csv"
	"fmt"
	"io"
	"strconv"
	"time"

	"github.com/omnistat/omnistat/store"
)

// Shape turns the engine's rows into the API's rows: dimension values as text, metrics
// as numbers, at most the plan's limit (More says there are more), and a time series
// zero-filled over the whole period.
func Shape(p *QueryPlan, res *store.Result) ([]Row, bool, error) {
	nd := len(p.Dims)
	rows := make([]Row, 0, len(res.Rows))
	for _, r := range res.Rows {
		if len(r) != nd+len(p.Metrics) {
			return nil, false, fmt.Errorf("query.Shape: %d columns, want %d", len(r), nd+len(p.Metrics))
		}
		row := Row{Dimensions: make([]string, nd), Metrics: make([]float64, len(p.Metrics))}
		for i := 0; i < nd; i++ {
			row.Dimensions[i] = text(r[i])
		}
		for i := range p.Metrics {
			row.Metrics[i] = number(r[nd+i])
		}
		rows = append(rows, row)
	}
	if isTimeOnly(p) {
		return fillTime(p, rows), false, nil
	}
	more := len(rows) > p.Limit
	if more {
		rows = rows[:p.Limit]
	}
	return rows, more, nil
}

// Buckets lists the time buckets of a period in the site's timezone, as the engine
// names them (toStartOfHour / toDate / toMonday / toStartOfMonth in that timezone).
// Hours are walked in UTC and named in local time, so a 23- or 25-hour day has 23 or
// 25 buckets, and a 30- or 45-minute zone offset is handled as the engine does.
func Buckets(period Period, unit string) []string {
	loc := period.From.Location()
	var out []string
	switch unit {
	case "hour":
		seen := map[string]bool{}
		for t := period.Start().UTC(); t.Before(period.End()); t = t.Add(time.Hour) {
			l := t.In(loc)
			k := time.Date(l.Year(), l.Month(), l.Day(), l.Hour(), 0, 0, 0, loc).Format("2006-01-02 15:04:05")
			if !seen[k] {
				seen[k] = true
				out = append(out, k)
			}
		}
	case "day":
		for d := period.From; !d.After(period.To); d = time.Date(d.Year(), d.Month(), d.Day()+1, 0, 0, 0, 0, loc) {
			out = append(out, d.Format("2006-01-02"))
		}
	case "week":
		d := period.From
		d = time.Date(d.Year(), d.Month(), d.Day()-(int(d.Weekday())+6)%7, 0, 0, 0, 0, loc)
		for ; !d.After(period.To); d = time.Date(d.Year(), d.Month(), d.Day()+7, 0, 0, 0, 0, loc) {
			out = append(out, d.Format("2006-01-02"))
		}
	case "month":
		for d := time.Date(period.From.Year(), period.From.Month(), 1, 0, 0, 0, 0, loc); !d.After(period.To); d = d.AddDate(0, 1, 0) {
			out = append(out, d.Format("2006-01-02"))
		}
	}
	return out
}

func fillTime(p *QueryPlan, rows []Row) []Row {
	byKey := map[string]Row{}
	for _, r := range rows {
		byKey[r.Dimensions[0]] = r
	}
	var out []Row
	for _, k := range Buckets(p.Period, p.Dims[0].time) {
		r, ok := byKey[k]
		if !ok {
			r = Row{Dimensions: []string{k}, Metrics: make([]float64, len(p.Metrics))}
		}
		out = append(out, r)
	}
	return out
}

func text(v any) string {
	switch x := v.(type) {
	case string:
		return x
	case nil:
		return ""
	case float64:
		return strconv.FormatFloat(x, 'f', -1, 64)
	}
	return fmt.Sprint(v)
}

func number(v any) float64 {
	switch x := v.(type) {
	case int64:
		return float64(x)
	case uint64:
		return float64(x)
	case float64:
		return x
	case string:
		f, _ := strconv.ParseFloat(x, 64)
		return f
	}
	return 0
}

// WriteCSV writes the rows with a header line: dimensions, then metrics.
func (r *Response) WriteCSV(w io.Writer) error {
	cw := csv.NewWriter(w)
	header := append(append([]string{}, r.Meta.Dimensions...), r.Meta.Metrics...)
	if err := cw.Write(header); err != nil {
		return err
	}
	for _, row := range r.Results {
		rec := append([]string{}, row.Dimensions...)
		for _, m := range row.Metrics {
			rec = append(rec, strconv.FormatFloat(m, 'f', -1, 64))
		}
		if err := cw.Write(rec); err != nil {
			return err
		}
	}
	cw.Flush()
	return cw.Error()
}
