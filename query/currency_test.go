package query_test

import (
	"context"
	"encoding/json"
	"fmt"
	"testing"
	"time"

	"github.com/omnistat/omnistat/collector"
	"github.com/omnistat/omnistat/query"
	"github.com/omnistat/omnistat/query/querytest"
)

// Orders in euros and in dollars: the totals give each currency's revenue beside the
// sum, the currency dimension breaks reports down by it, and a site in one currency
// gets no split.
func TestRevenuePerCurrency(t *testing.T) {
	end := time.Now().UTC().Add(-time.Hour)
	f, _ := load(t, "UTC", querytest.Options{Days: 1, End: end.AddDate(0, 0, -10), Visitors: 1, Seed: 1})
	ctx := context.Background()
	t0 := end.Add(-30 * time.Minute).Truncate(time.Second)
	var rows [][]any
	add := func(v uint64, name, path, channel, currency string, amount int64) {
		e := collector.Event{SiteID: f.site.ID, TS: t0.Add(time.Duration(len(rows)) * time.Second), Name: name, VisitorID: v, SessionID: v,
			Path: path, Channel: channel, Currency: currency, Revenue: amount * 100} // amount in cents; stored with 4 decimals
		rows = append(rows, e.Row())
	}
	add(1, "pageview", "/shop", "Email", "", 0)
	add(1, "purchase", "/shop", "Email", "EUR", 1000)
	add(2, "pageview", "/us", "Organic Search", "", 0)
	add(2, "purchase", "/us", "Organic Search", "USD", 2050)
	add(3, "pageview", "/shop", "Email", "", 0)
	add(3, "purchase", "/shop", "Email", "EUR", 250)
	f.insert(t, rows)
	day := json.RawMessage(`["` + t0.Format("2006-01-02") + `","` + t0.Format("2006-01-02") + `"]`)
	ask := func(body string) *query.Response {
		t.Helper()
		var req query.Request
		if err := json.Unmarshal([]byte(body), &req); err != nil {
			t.Fatal(err)
		}
		req.DateRange = day
		res, err := f.engine.Query(ctx, f.site, req)
		if err != nil {
			t.Fatal(err)
		}
		return res
	}
	res := ask(`{"metrics":["visitors","revenue"]}`)
	if got := fmt.Sprint(res.Totals["revenue"], " ", res.RevenueByCurrency); got != "33 map[EUR:12.5 USD:20.5]" {
		t.Errorf("totals: %s; want 33 map[EUR:12.5 USD:20.5]", got)
	}
	res = ask(`{"metrics":["revenue","visitors"],"dimensions":["currency"]}`)
	var got []string
	for _, r := range res.Results {
		got = append(got, fmt.Sprint(r.Dimensions[0], "=", r.Metrics[0], "/", r.Metrics[1]))
	}
	if fmt.Sprint(got) != "[USD=20.5/1 EUR=12.5/2 =0/3]" {
		t.Errorf("by currency, most revenue first: %v; want [USD=20.5/1 EUR=12.5/2 =0/3]", got)
	}
	// One currency left by a filter (or by a site that sells in one): no split.
	if res = ask(`{"metrics":["revenue"],"filters":[["is","channel",["Email"]]]}`); res.RevenueByCurrency != nil || res.Totals["revenue"] != 12.5 {
		t.Errorf("Email only: %v %v; want 12.5 and no split", res.Totals["revenue"], res.RevenueByCurrency)
	}
	// A filter on the entry page, which needs every event of a visit, splits the same.
	if res = ask(`{"metrics":["revenue"],"filters":[["is","entry_page",["/shop","/us"]]]}`); fmt.Sprint(res.RevenueByCurrency) != "map[EUR:12.5 USD:20.5]" {
		t.Errorf("by entry page: %v; want map[EUR:12.5 USD:20.5]", res.RevenueByCurrency)
	}
}
