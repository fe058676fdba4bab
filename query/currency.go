package query

import (
	"context"
	"fmt"
	"slices"
	"strconv"
	"sync"
	"time"

	"github.com/omnistat/omnistat/catalog"
	"github.com/omnistat/omnistat/store"
)

// Revenue per currency (shared/spec/API.md §3.2: "sum of revenue.amount, per currency
// when mixed"). The revenue metric adds amounts as they come; when the events of an
// answer hold more than one currency, the answer also gives the totals per currency
// (revenue_by_currency), and the currency dimension breaks any report down by it.
//
// The split is one more pass over the range (70 ms over 10 M events, beside top stats
// that keep both cores busy), so it runs only for sites that have revenue in more than
// one currency at all, which the engine is asked at most every currencyCheckEvery.

// currencyCheckEvery is how long a site's "one currency or more" is remembered: a site
// that starts selling in a second currency shows the split at most this much later.
const currencyCheckEvery = 10 * time.Minute

// currencyCache remembers, per site, whether its events hold revenue in two or more
// currencies.
type currencyCache struct {
	mu sync.Mutex
	m  map[uint32]currencySeen
}

type currencySeen struct {
	at    time.Time
	mixed bool
}

// mixedCurrencies reports whether the site has revenue in two or more currencies.
func (e *Engine) mixedCurrencies(ctx context.Context, site catalog.Site) (bool, error) {
	now := e.now()
	c := &e.currencies
	c.mu.Lock()
	seen, ok := c.m[site.ID]
	c.mu.Unlock()
	if ok && now.Sub(seen.at) < currencyCheckEvery {
		return seen.mixed, nil
	}
	res, err := e.st.Query(ctx, "SELECT uniqExact(currency) FROM events WHERE site_id = {site:UInt32} AND revenue != 0",
		store.Params{"site": strconv.FormatUint(uint64(site.ID), 10)})
	if err != nil {
		return false, fmt.Errorf("query.mixedCurrencies: %w", err)
	}
	mixed := len(res.Rows) == 1 && store.Int(res.Rows[0][0]) > 1
	c.mu.Lock()
	if c.m == nil {
		c.m = map[uint32]currencySeen{}
	}
	c.m[site.ID] = currencySeen{at: now, mixed: mixed}
	c.mu.Unlock()
	return mixed, nil
}

// currencyPlan is the plan of the revenue totals by currency, or nil when the plan
// does not ask for revenue or already breaks it down by currency.
func currencyPlan(plan *QueryPlan) *QueryPlan {
	if !slices.Contains(plan.Metrics, "revenue") || slices.ContainsFunc(plan.Dims, func(d planDim) bool { return d.Name == "currency" }) {
		return nil
	}
	cp := *plan
	cp.Metrics = []string{"revenue"}
	cp.Dims = []planDim{{Name: "currency", expr: dimensions["currency"].expr, scope: dimensions["currency"].scope}}
	cp.OrderBy = []order{{key: "currency"}}
	cp.Limit, cp.Offset = maxLimit, 0
	// Only the events with revenue matter, unless a filter on the entry or exit page
	// needs every event of a visit to find them.
	cp.revenueOnly = !slices.ContainsFunc(plan.Filters, func(f planFilter) bool { return f.dim.scope == derived })
	return &cp
}

// revenueByCurrency reads the answer of a currencyPlan: the revenue of each currency,
// nil when there are fewer than two.
func revenueByCurrency(res *store.Result) map[string]float64 {
	out := map[string]float64{}
	for _, r := range res.Rows {
		if v := store.Float(r[1]); v != 0 {
			out[text(r[0])] = round2(v)
		}
	}
	if len(out) < 2 {
		return nil
	}
	return out
}
