package query

import (
	"context"
	"fmt"
	"strconv"

	"github.com/omnistat/omnistat/catalog"
	"github.com/omnistat/omnistat/store"
)

// Realtime is who is on the site now: visitors with an event in the last 5 minutes,
// the pages they viewed and the channels they came by.
type Realtime struct {
	Visitors int64         `json:"visitors"`
	Pages    []RealtimeRow `json:"pages"`
	Channels []RealtimeRow `json:"channels"`
}

// RealtimeRow is one page or channel.
type RealtimeRow struct {
	Name     string `json:"name"`
	Visitors int64  `json:"visitors"`
}

// Realtime answers GET /api/v1/realtime.
func (e *Engine) Realtime(ctx context.Context, site catalog.Site) (*Realtime, error) {
	params := store.Params{"site": strconv.FormatUint(uint64(site.ID), 10),
		"from": e.now().UTC().Add(-realtimeWindow).Format(tsFormat)}
	const where = "site_id = {site:UInt32} AND ts >= {from:DateTime64(3, 'UTC')}"
	out := &Realtime{Pages: []RealtimeRow{}, Channels: []RealtimeRow{}}
	res, err := e.st.Query(ctx, "SELECT uniqExact(visitor_id) FROM events WHERE "+where, params)
	if err != nil {
		return nil, fmt.Errorf("query.Realtime: %w", err)
	}
	if len(res.Rows) == 1 {
		out.Visitors = int64(store.Float(res.Rows[0][0]))
	}
	// Pages are what visitors look at, so pageviews; channels are how every visitor
	// counted above came (a tracked link, a server-side or custom event too), so all
	// events.
	for _, part := range []struct {
		col, only string
		dest      *[]RealtimeRow
	}{{"path", " AND name = 'pageview'", &out.Pages}, {"channel", "", &out.Channels}} {
		res, err := e.st.Query(ctx, "SELECT "+part.col+", uniqExact(visitor_id) AS v FROM events WHERE "+where+
			part.only+" GROUP BY 1 ORDER BY v DESC, 1 LIMIT 10", params)
		if err != nil {
			return nil, fmt.Errorf("query.Realtime: %w", err)
		}
		for _, r := range res.Rows {
			*part.dest = append(*part.dest, RealtimeRow{Name: text(r[0]), Visitors: int64(store.Float(r[1]))})
		}
	}
	return out, nil
}
