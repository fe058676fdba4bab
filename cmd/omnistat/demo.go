package main

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/omnistat/omnistat/catalog"
	"github.com/omnistat/omnistat/query/querytest"
	"github.com/omnistat/omnistat/schema"
	"github.com/omnistat/omnistat/store"
)

// demo fills a site with realistic traffic ending now, and gives it two goals, so a new
// installation shows a living dashboard.
func demo(ctx context.Context, cat *catalog.Catalog, st store.Store, domain string, days int) (string, error) {
	site, err := cat.SiteByDomain(ctx, domain)
	if errors.Is(err, catalog.ErrNotFound) {
		site, err = cat.AddSite(ctx, domain, "UTC")
	}
	if err != nil {
		return "", err
	}
	events := querytest.Generate(querytest.Options{SiteID: site.ID, Host: site.Domain, Days: days, End: time.Now().UTC(),
		Visitors: 200 * days, Seed: uint64(time.Now().UnixNano())})
	const batch = 50000
	for i := 0; i < len(events); i += batch {
		end := min(i+batch, len(events))
		rows := make([][]any, 0, end-i)
		for j := i; j < end; j++ {
			rows = append(rows, events[j].Row())
		}
		if err := st.Insert(ctx, "events", schema.EventColumns, rows, ""); err != nil {
			return "", fmt.Errorf("demo: %w", err)
		}
	}
	for _, g := range []catalog.Goal{{Event: "signup"}, {Page: "/pricing*"}} {
		if _, err := cat.AddGoal(ctx, site.ID, g); err != nil && !isExists(err) {
			return "", err
		}
	}
	return fmt.Sprintf("added %d events over %d days to %s; open the dashboard and pick it\n", len(events), days, site.Domain), nil
}

func isExists(err error) bool { return err != nil && strings.Contains(err.Error(), "exists") }
