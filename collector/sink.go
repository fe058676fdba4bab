package collector

import (
	"context"
	"errors"
	"fmt"
	"log/slog"

	"github.com/omnistat/omnistat/schema"
	"github.com/omnistat/omnistat/spool"
	"github.com/omnistat/omnistat/store"
)

// SpoolSink makes events durable in the on-disk spool.
type SpoolSink struct {
	Spool *spool.Spool
}

// Append encodes the events and appends them as one spool write.
func (s SpoolSink) Append(events []Event) error {
	recs := make([][]byte, len(events))
	for i := range events {
		b, err := events[i].MarshalBinary()
		if err != nil {
			return fmt.Errorf("collector: encode event: %w", err)
		}
		recs[i] = b
	}
	if err := s.Spool.Append(recs); err != nil {
		if errors.Is(err, spool.ErrFull) {
			return ErrFull
		}
		return fmt.Errorf("collector: spool: %w", err)
	}
	return nil
}

// Shipper returns the function the spool calls to insert one sealed segment into the
// events table: one batch insert per segment, with the segment's token as ClickHouse's
// insert deduplication token, so shipping a segment again after a crash inserts nothing.
func Shipper(st store.Store, log *slog.Logger) func(ctx context.Context, token string, records [][]byte) error {
	return func(ctx context.Context, token string, records [][]byte) error {
		rows := make([][]any, 0, len(records))
		for i, r := range records {
			var e Event
			if err := e.UnmarshalBinary(r); err != nil {
				// A record that passed the spool's CRC but does not decode is a bug, not
				// a transient error: retrying cannot help, so skip it loudly.
				log.Error("skipping an undecodable spool record", "segment", token, "record", i, "err", err)
				continue
			}
			rows = append(rows, e.Row())
		}
		if err := st.Insert(ctx, "events", schema.EventColumns, rows, token); err != nil {
			return fmt.Errorf("collector: ship %s (%d events): %w", token, len(rows), err)
		}
		return nil
	}
}
