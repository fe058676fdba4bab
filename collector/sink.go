package collector

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"sort"
	"strconv"
	"time"

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
// events table, with the segment's token as ClickHouse's insert deduplication token, so
// shipping a segment again after a crash inserts nothing.
//
// The table is partitioned by month, and ClickHouse refuses an insert that touches more
// than 100 partitions; an import of old orders can span more than that. So a segment
// is inserted one month at a time, each month with a token of its own made from the
// segment's token and the month: the same on every attempt, so a retry after some
// months went in inserts only the rest. A segment within one month, by far the usual
// case, keeps the segment's token as it is.
//
// Once a segment is stored, or refused for good, its events are marked so in pending
// (nil: none to mark).
func Shipper(st store.Store, log *slog.Logger, pending *Pending) func(ctx context.Context, token string, records [][]byte) error {
	return func(ctx context.Context, token string, records [][]byte) error {
		byMonth := map[int][][]any{}
		keys := make([]pendingKey, 0, len(records))
		for i, r := range records {
			var e Event
			if err := e.UnmarshalBinary(r); err != nil {
				// A record that passed the spool's CRC but does not decode is a bug, not
				// a transient error: retrying cannot help, so skip it loudly.
				log.Error("skipping an undecodable spool record", "segment", token, "record", i, "err", err)
				continue
			}
			keys = append(keys, keyOf(&e))
			m := e.TS.UTC().Year()*100 + int(e.TS.UTC().Month())
			byMonth[m] = append(byMonth[m], e.Row())
		}
		months := make([]int, 0, len(byMonth))
		for m := range byMonth {
			months = append(months, m)
		}
		sort.Ints(months)
		for _, m := range months {
			tok := token
			if len(months) > 1 {
				tok = token + "-" + strconv.Itoa(m)
			}
			if err := st.Insert(ctx, "events", schema.EventColumns, byMonth[m], tok); err != nil {
				err = fmt.Errorf("collector: ship %s (%d events): %w", tok, len(byMonth[m]), err)
				if refusesData(err) {
					if pending != nil {
						pending.stored(keys, time.Now())
					}
					return spool.Refused(err)
				}
				return err
			}
		}
		if pending != nil {
			pending.stored(keys, time.Now())
		}
		return nil
	}
}

// dataErrors are the ClickHouse error codes that say the rows themselves are what the
// engine will not take: a retry sends the same rows and fails the same way. Anything
// else (the engine down, out of memory or disk, a table being altered) may pass later,
// so the spool keeps retrying it.
var dataErrors = map[int]bool{
	6:   true, // CANNOT_PARSE_TEXT
	27:  true, // CANNOT_PARSE_INPUT_ASSERTION_FAILED
	38:  true, // CANNOT_PARSE_DATE
	41:  true, // CANNOT_PARSE_DATETIME
	53:  true, // TYPE_MISMATCH
	69:  true, // ARGUMENT_OUT_OF_BOUND
	70:  true, // CANNOT_CONVERT_TYPE
	72:  true, // CANNOT_PARSE_NUMBER
	117: true, // INCORRECT_DATA
	131: true, // TOO_LARGE_STRING_SIZE
	321: true, // VALUE_IS_OUT_OF_RANGE_OF_DATA_TYPE
	469: true, // VIOLATED_CONSTRAINT
}

func refusesData(err error) bool {
	var e *store.EngineError
	return errors.As(err, &e) && dataErrors[e.Code]
}
