package query

import (
	"encoding/json"
	"fmt"
	"time"
)

// Period is a range of whole days in the site's timezone: [From, To] inclusive.
type Period struct {
	From, To time.Time // midnight of the first and of the last day, in the site's location
	// Until, when set, ends the period before the end of its last day: a comparison
	// period cut as far into it as now is into the range it is compared with.
	Until time.Time
}

// Start is the first instant of the period.
func (p Period) Start() time.Time { return p.From }

// End is the first instant after the period (the midnight after To, DST-safe), or
// Until.
func (p Period) End() time.Time {
	if !p.Until.IsZero() {
		return p.Until
	}
	return time.Date(p.To.Year(), p.To.Month(), p.To.Day()+1, 0, 0, 0, 0, p.To.Location())
}

// Days is the number of days in the period.
func (p Period) Days() int {
	n := 0
	for d := p.From; !d.After(p.To); d = time.Date(d.Year(), d.Month(), d.Day()+1, 0, 0, 0, 0, d.Location()) {
		n++
	}
	return n
}

// ComparedAt is the period to compare p with at now: the same number of days just
// before p, and, when p runs past now (it ends today), only as far into it as now is
// into p. A morning is compared with the morning before it, not with a whole day:
// Matomo's and Umami's users asked for this when a partial day was set against a full
// one and every number looked like a fall.
func (p Period) ComparedAt(now time.Time) Period {
	prev := p.Previous()
	if now.Before(p.End()) && now.After(p.Start()) {
		prev.Until = prev.Start().Add(now.Sub(p.Start()))
	}
	return prev
}

// Previous is the period of the same number of days just before p.
func (p Period) Previous() Period {
	n := p.Days()
	to := time.Date(p.From.Year(), p.From.Month(), p.From.Day()-1, 0, 0, 0, 0, p.From.Location())
	from := time.Date(to.Year(), to.Month(), to.Day()-n+1, 0, 0, 0, 0, to.Location())
	return Period{From: from, To: to}
}

// The dates a date_range may name. The engine keeps hours as UInt32 Unix seconds, so
// times before 1970 fail and times from 2106 on wrap to 1970; a day away from either
// end leaves room for every UTC offset.
var (
	firstDate = time.Date(1970, 1, 2, 0, 0, 0, 0, time.UTC)
	lastDate  = time.Date(2105, 12, 31, 0, 0, 0, 0, time.UTC)
)

// inRange reports whether a date (at midnight, in any location) may be asked for.
func inRange(d time.Time) bool {
	day := time.Date(d.Year(), d.Month(), d.Day(), 0, 0, 0, 0, time.UTC)
	return !day.Before(firstDate) && !day.After(lastDate)
}

func midnight(t time.Time) time.Time {
	return time.Date(t.Year(), t.Month(), t.Day(), 0, 0, 0, 0, t.Location())
}

// ParsePeriod reads the contract's date_range: "day", "7d", "30d", "month", "6mo",
// "12mo", "all", or ["YYYY-MM-DD", "YYYY-MM-DD"] (inclusive), in loc, relative to now.
// Ranges that end today include today ("7d" is today and the 6 days before it, as in
// Plausible). "month" is the current calendar month to today; "6mo" and "12mo" are the
// current month and the 5 or 11 months before it. "all" starts at allFrom.
func ParsePeriod(raw json.RawMessage, loc *time.Location, now time.Time, allFrom time.Time) (Period, error) {
	today := midnight(now.In(loc))
	if len(raw) == 0 {
		raw = json.RawMessage(`"30d"`)
	}
	var s string
	if err := json.Unmarshal(raw, &s); err == nil {
		back := func(days int) Period {
			return Period{From: time.Date(today.Year(), today.Month(), today.Day()-days+1, 0, 0, 0, 0, loc), To: today}
		}
		months := func(n int) Period {
			return Period{From: time.Date(today.Year(), today.Month()-time.Month(n-1), 1, 0, 0, 0, 0, loc), To: today}
		}
		switch s {
		case "day":
			return Period{From: today, To: today}, nil
		case "7d":
			return back(7), nil
		case "30d":
			return back(30), nil
		case "month":
			return months(1), nil
		case "6mo":
			return months(6), nil
		case "12mo":
			return months(12), nil
		case "all":
			from := midnight(allFrom.In(loc))
			if from.After(today) {
				from = today
			}
			if !inRange(from) { // an event stored with a time before 1970
				from = time.Date(firstDate.Year(), firstDate.Month(), firstDate.Day(), 0, 0, 0, 0, loc)
			}
			return Period{From: from, To: today}, nil
		}
		return Period{}, fmt.Errorf(`date_range %q is not one of "day", "7d", "30d", "month", "6mo", "12mo", "all" or ["YYYY-MM-DD", "YYYY-MM-DD"]`, s)
	}
	var pair []string
	if err := json.Unmarshal(raw, &pair); err != nil || len(pair) != 2 {
		return Period{}, fmt.Errorf(`date_range must be a name like "7d" or a pair ["YYYY-MM-DD", "YYYY-MM-DD"]`)
	}
	var out [2]time.Time
	for i, d := range pair {
		t, err := time.ParseInLocation("2006-01-02", d, loc)
		if err != nil {
			return Period{}, fmt.Errorf("date_range[%d] %q is not a date like 2026-01-31", i, d)
		}
		if !inRange(t) {
			return Period{}, fmt.Errorf("date_range[%d] %q is outside %s to %s", i, d, firstDate.Format("2006-01-02"), lastDate.Format("2006-01-02"))
		}
		out[i] = t
	}
	if out[1].Before(out[0]) {
		return Period{}, fmt.Errorf("date_range ends (%s) before it starts (%s)", pair[1], pair[0])
	}
	if out[1].Sub(out[0]) > 10*366*24*time.Hour {
		return Period{}, fmt.Errorf("date_range is longer than 10 years")
	}
	return Period{From: out[0], To: out[1]}, nil
}
