package main

import (
	"context"
	"fmt"
	"time"

	"github.com/omnistat/omnistat/query/querytest"
	"github.com/omnistat/omnistat/schema"
	"github.com/omnistat/omnistat/store"
)

// load inserts about target events for the site, in chunks of generated visitors so
// memory stays bounded, in batches as the collector's shipper would write them.
func load(ctx context.Context, st store.Store, siteID uint32, host string, target, days int, end time.Time) (int, error) {
	const visitorsPerChunk, batch = 25_000, 200_000
	n := 0
	for chunk := uint64(1); n < target; chunk++ {
		events := querytest.Generate(querytest.Options{SiteID: siteID, Host: host, Days: days, End: end,
			Visitors: visitorsPerChunk, Seed: chunk})
		if rest := target - n; len(events) > rest {
			events = events[:rest]
		}
		for i := range events { // the generator counts sessions from 1 in every chunk
			events[i].SessionID |= chunk << 40
		}
		for i := 0; i < len(events); i += batch {
			part := events[i:min(i+batch, len(events))]
			rows := make([][]any, len(part))
			for j := range part {
				rows[j] = part[j].Row()
			}
			if err := st.Insert(ctx, "events", schema.EventColumns, rows, ""); err != nil {
				return n, fmt.Errorf("load: %w", err)
			}
			n += len(part)
		}
	}
	return n, nil
}

// optimize merges a table's parts so sizes and plans are those of a settled table.
func optimize(ctx context.Context, st store.Store, table string) error {
	if err := st.Exec(ctx, "OPTIMIZE TABLE "+table+" FINAL", nil); err != nil {
		return fmt.Errorf("optimize %s: %w", table, err)
	}
	return nil
}

type sizeRow struct {
	table            string
	rows             uint64
	disk, compressed uint64
	uncompressed     uint64
	parts            uint64
}

// tableSizes reads the active parts' sizes from system.parts.
func tableSizes(ctx context.Context, st store.Store, table string) ([]sizeRow, error) {
	res, err := st.Query(ctx, `SELECT sum(rows), sum(bytes_on_disk), sum(data_compressed_bytes),
		sum(data_uncompressed_bytes), count() FROM system.parts
		WHERE database = currentDatabase() AND table = {t:String} AND active`, store.Params{"t": table})
	if err != nil {
		return nil, fmt.Errorf("sizes of %s: %w", table, err)
	}
	r := res.Rows[0]
	return []sizeRow{{table: table, rows: store.Uint(r[0]), disk: store.Uint(r[1]), compressed: store.Uint(r[2]), uncompressed: store.Uint(r[3]), parts: store.Uint(r[4])}}, nil
}
