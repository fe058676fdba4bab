package collector

import (
	"context"
	"io"
	"log/slog"
	"testing"
	"time"

	"github.com/omnistat/omnistat/schema"
	"github.com/omnistat/omnistat/store/embedded/embeddedtest"
)

func TestMain(m *testing.M) { embeddedtest.Main(m) }

// A segment of events over many months is stored whole, and shipping it again (the
// process died before the spool deleted it) stores nothing twice.
func TestShipperManyMonthsOnceOnRetry(t *testing.T) {
	st := embeddedtest.Open(t)
	ctx := context.Background()
	if _, err := schema.Migrate(ctx, st, schema.Options{}); err != nil {
		t.Fatal(err)
	}
	var recs [][]byte
	for m := 0; m < 130; m++ {
		e := Event{SiteID: 1, TS: time.Date(2012, time.March, 1, 0, 0, 0, 0, time.UTC).AddDate(0, m, 0), Name: "order", VisitorID: uint64(m + 1), SessionID: 1}
		b, err := e.MarshalBinary()
		if err != nil {
			t.Fatal(err)
		}
		recs = append(recs, b)
	}
	ship := Shipper(st, slog.New(slog.NewTextHandler(io.Discard, nil)), nil)
	for attempt := 1; attempt <= 2; attempt++ {
		if err := ship(ctx, "spool-run-1", recs); err != nil {
			t.Fatalf("attempt %d: %v", attempt, err)
		}
	}
	res, err := st.Query(ctx, "SELECT count(), uniqExact(visitor_id) FROM events", nil)
	if err != nil {
		t.Fatal(err)
	}
	if res.Rows[0][0] != int64(130) || res.Rows[0][1] != uint64(130) && res.Rows[0][1] != int64(130) {
		t.Fatalf("stored %v events (%v distinct); want each of the 130 once", res.Rows[0][0], res.Rows[0][1])
	}
}
