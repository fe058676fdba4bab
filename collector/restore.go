package collector

import (
	"context"
	"fmt"
	"time"

	"github.com/omnistat/omnistat/spool"
	"github.com/omnistat/omnistat/store"
)

// Restore gives a new process the visits in progress, which the session table, kept in
// memory, lost with the old one: without them a restart (a deploy, a crash) splits
// every visit that goes on across it, and its second half loses the visit's channel.
// The visits of the last liveReach are read from the store, and the events accepted
// before the restart but not stored yet from the spool; those are also remembered as
// pending, for backdated events. Call it before the spool ships, so that no event is in
// neither. It returns how many visitors have a visit in progress.
func (c *Collector) Restore(ctx context.Context, sp *spool.Spool) (int, error) {
	now := c.cfg.Now()
	if c.cfg.Store != nil {
		if err := restoreStored(ctx, c.cfg.Store, c.cfg.Sessions, now); err != nil {
			return 0, err
		}
	}
	// The best profile each spooled visit shows, shared by its events (visit.go).
	visits := map[uint64]storedEvent{}
	err := sp.Records(func(rec []byte) error {
		var e Event
		if err := e.UnmarshalBinary(rec); err != nil {
			return nil // the shipper logs it; it cannot be part of a visit
		}
		if ev := storedEvidence(&e); ev.beats(visits[e.SessionID]) {
			visits[e.SessionID] = ev
		}
		e.visit = visits[e.SessionID].visit
		c.cfg.Pending.add([]Event{e}, now)
		if now.Sub(e.TS) <= liveReach {
			c.cfg.Sessions.Note(e.SiteID, e.VisitorID, e.SessionID, e.TS, e.TS, e.visit)
		}
		return nil
	})
	if err != nil {
		return 0, fmt.Errorf("collector: restore visits from the spool: %w", err)
	}
	return c.cfg.Sessions.Sweep(now), nil
}

// restoreStored notes in table each visitor's stored visits of the last liveReach,
// with the profile of their first web event (the one the table gave them).
func restoreStored(ctx context.Context, st store.Store, table *Sessions, now time.Time) error {
	res, err := st.Query(ctx, visitProfileWith+` SELECT site_id, visitor_id, session_id,
			toUnixTimestamp64Milli(min(ts)), toUnixTimestamp64Milli(max(ts)), `+visitProfileSQL+`
		FROM events WHERE ts >= {since:DateTime64(3, 'UTC')}
		GROUP BY site_id, visitor_id, session_id`,
		store.Params{"since": now.Add(-liveReach).UTC().Format("2006-01-02 15:04:05.000")})
	if err != nil {
		return fmt.Errorf("collector: restore visits from the store: %w", err)
	}
	for _, r := range res.Rows {
		table.Note(uint32(store.Uint(r[0])), store.Uint(r[1]), store.Uint(r[2]),
			time.UnixMilli(store.Int(r[3])).UTC(), time.UnixMilli(store.Int(r[4])).UTC(), profileFromRow(r[5:]))
	}
	return nil
}
