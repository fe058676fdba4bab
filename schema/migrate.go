package schema

import (
	"context"
	"fmt"
	"strconv"
	"time"

	"github.com/omnistat/omnistat/store"
)

// Migrate checks the engine's version, then applies every migration not yet recorded in
// schema_migrations, in order. It is safe to run again at any time: applied migrations
// are skipped, and every statement is IF NOT EXISTS, so a run that stopped halfway
// finishes the job. It returns the versions it applied.
func Migrate(ctx context.Context, st store.Store, o Options) ([]int, error) {
	version, err := st.ServerVersion(ctx)
	if err != nil {
		return nil, fmt.Errorf("schema.Migrate: %w", err)
	}
	if err := store.CheckVersion(version); err != nil {
		return nil, err
	}
	if o.Database == "" {
		o.Database = st.Database()
	}
	ms, err := Migrations(o)
	if err != nil {
		return nil, err
	}
	// The ledger is migration 1; create it before asking it anything.
	for _, stmt := range ms[0].Statements {
		if err := st.Exec(ctx, stmt, nil); err != nil {
			return nil, fmt.Errorf("schema.Migrate: create ledger: %w", err)
		}
	}
	done, err := applied(ctx, st)
	if err != nil {
		return nil, err
	}
	var did []int
	for _, m := range ms {
		if done[m.Version] {
			continue
		}
		for i, stmt := range m.Statements {
			if err := st.Exec(ctx, stmt, nil); err != nil {
				return did, fmt.Errorf("schema.Migrate: migration %04d_%s statement %d: %w", m.Version, m.Name, i+1, err)
			}
		}
		err := st.Exec(ctx, "INSERT INTO schema_migrations (version, name, applied_at) VALUES ({v:UInt32}, {n:String}, {t:DateTime('UTC')})",
			store.Params{"v": strconv.Itoa(m.Version), "n": m.Name, "t": time.Now().UTC().Format("2006-01-02 15:04:05")})
		if err != nil {
			return did, fmt.Errorf("schema.Migrate: record %04d: %w", m.Version, err)
		}
		did = append(did, m.Version)
	}
	return did, nil
}

// Applied returns the migration versions recorded in the ledger.
func applied(ctx context.Context, st store.Store) (map[int]bool, error) {
	res, err := st.Query(ctx, "SELECT DISTINCT version FROM schema_migrations", nil)
	if err != nil {
		return nil, fmt.Errorf("schema.Migrate: read ledger: %w", err)
	}
	out := map[int]bool{}
	for _, r := range res.Rows {
		switch v := r[0].(type) {
		case int64:
			out[int(v)] = true
		case uint64:
			out[int(v)] = true
		}
	}
	return out, nil
}
