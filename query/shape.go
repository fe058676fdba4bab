package query

import (
	"cmp"
	"encoding/csv"
	"fmt"
	"io"
	"math"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/omnistat/omnistat/store"
)

// HourFormat is how hourly buckets are named: local time with its UTC offset, so the
// hour that repeats when clocks go back is two distinct buckets.
const HourFormat = "2006-01-02T15:04:05-07:00"

// Shape turns the engine's rows into the API's rows: dimension values as text, metrics
// as numbers, at most the plan's limit (More says there are more), and a time series
// zero-filled over hours (given by the engine) or days, weeks and months of the period.
func Shape(p *QueryPlan, res *store.Result, hours []string) ([]Row, bool, error) {
	nd := len(p.Dims)
	rows := make([]Row, 0, len(res.Rows))
	for _, r := range res.Rows {
		if len(r) != nd+len(p.Metrics) {
			return nil, false, fmt.Errorf("query.Shape: %d columns, want %d", len(r), nd+len(p.Metrics))
		}
		row := Row{Dimensions: make([]string, nd), Metrics: make([]float64, len(p.Metrics))}
		for i := 0; i < nd; i++ {
			row.Dimensions[i] = text(r[i])
			if p.Dims[i].time == "hour" {
				row.Dimensions[i] = hourName(row.Dimensions[i], p.Period.From.Location())
			}
		}
		for i := range p.Metrics {
			row.Metrics[i] = store.Float(r[nd+i])
		}
		rows = append(rows, row)
	}
	if isTimeOnly(p) {
		// The engine answers every bucket with traffic; the series is ordered and cut
		// here, once zero-filled, so that empty buckets take their place too.
		rows = fillTime(p, rows, hours)
		orderSeries(p, rows)
		rows = rows[min(p.Offset, len(rows)):]
	}
	more := len(rows) > p.Limit
	if more {
		rows = rows[:p.Limit]
	}
	return rows, more, nil
}

// hourName turns a bucket's Unix seconds into its name in loc.
func hourName(unix string, loc *time.Location) string {
	n, err := strconv.ParseInt(unix, 10, 64)
	if err != nil {
		return unix
	}
	return time.Unix(n, 0).In(loc).Format(HourFormat)
}

// Buckets lists the day, week or month buckets of a period in the site's timezone,
// named as the engine names them (toDate / toMonday / toStartOfMonth). Hours come from
// the engine itself (Engine.hourBuckets): its rule for zones whose offset changes by 30
// minutes within a day is its own.
func Buckets(period Period, unit string) []string {
	loc := period.From.Location()
	var out []string
	switch unit {
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

func fillTime(p *QueryPlan, rows []Row, hours []string) []Row {
	byKey := map[string]Row{}
	for _, r := range rows {
		byKey[r.Dimensions[0]] = r
	}
	keys := hours
	if p.Dims[0].time != "hour" {
		keys = Buckets(p.Period, p.Dims[0].time)
	}
	var out []Row
	for _, k := range keys {
		r, ok := byKey[k]
		if !ok {
			r = Row{Dimensions: []string{k}, Metrics: make([]float64, len(p.Metrics))}
		}
		out = append(out, r)
	}
	return out
}

// orderSeries sorts a zero-filled, chronological series by the plan's order: buckets
// compare by time (an hour's name does not sort by time across a change of offset),
// metrics by value.
func orderSeries(p *QueryPlan, rows []Row) {
	pos := make(map[string]int, len(rows))
	for i, r := range rows {
		pos[r.Dimensions[0]] = i
	}
	slices.SortStableFunc(rows, func(a, b Row) int {
		for _, o := range p.OrderBy {
			c := cmp.Compare(pos[a.Dimensions[0]], pos[b.Dimensions[0]])
			if i := slices.Index(p.Metrics, o.key); i >= 0 {
				c = cmp.Compare(a.Metrics[i], b.Metrics[i])
			}
			if o.desc {
				c = -c
			}
			if c != 0 {
				return c
			}
		}
		return 0
	})
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

// WriteCSV writes the rows with a header line: dimensions, then metrics. Dimension
// values are text, often a visitor's (a campaign, a title): one that starts like a
// formula is written with a leading apostrophe, so a spreadsheet shows it instead of
// running it (OWASP, "CSV injection"). Metrics are numbers and written as they are.
func (r *Response) WriteCSV(w io.Writer) error {
	cw := csv.NewWriter(w)
	header := append(append([]string{}, r.Meta.Dimensions...), r.Meta.Metrics...)
	if err := cw.Write(header); err != nil {
		return err
	}
	for _, row := range r.Results {
		rec := make([]string, 0, len(row.Dimensions)+len(row.Metrics))
		for _, d := range row.Dimensions {
			rec = append(rec, textCell(d))
		}
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

// textCell is a text value as a CSV cell that no spreadsheet runs as a formula.
func textCell(s string) string {
	if s != "" && strings.ContainsRune("=+-@\t\r", rune(s[0])) {
		return "'" + s
	}
	return s
}

// percent is a/b × 100 rounded to 2 decimals (the contract's rates), 0 when b is 0 or
// less.
func percent(a, b float64) float64 {
	if b <= 0 {
		return 0
	}
	return round2(a / b * 100)
}

// round2 rounds to 2 decimals, as every rate and amount of an answer is.
func round2(f float64) float64 { return math.Round(f*100) / 100 }
