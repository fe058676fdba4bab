package main

import (
	"context"
	"fmt"
	"time"

	"github.com/omnistat/omnistat/store"
)

// Plausible's ClickHouse layout, as in plausible/analytics priv/ingest_repo/structure.sql
// (see shared/references/ANCHORS-ARCHITECTURE.md §1.1–1.2), rebuilt here so that both
// layouts are measured on the same engine, machine and events. It leaves out the
// session columns Plausible also copies onto events_v2 and its dictionaries, so the
// reference's size is, if anything, understated.
var plausibleDDL = []string{
	`CREATE TABLE IF NOT EXISTS p_events_v2 (
		timestamp DateTime CODEC(Delta(4), LZ4),
		name LowCardinality(String),
		site_id UInt64,
		user_id UInt64,
		session_id UInt64,
		hostname String CODEC(ZSTD(3)),
		pathname String CODEC(ZSTD(3)),
		referrer String CODEC(ZSTD(3)),
		referrer_source String CODEC(ZSTD(3)),
		utm_medium String CODEC(ZSTD(3)),
		utm_source String CODEC(ZSTD(3)),
		utm_campaign String CODEC(ZSTD(3)),
		utm_content String CODEC(ZSTD(3)),
		utm_term String CODEC(ZSTD(3)),
		country_code FixedString(2),
		subdivision1_code LowCardinality(String),
		subdivision2_code LowCardinality(String),
		city_geoname_id UInt32,
		screen_size LowCardinality(String),
		operating_system LowCardinality(String),
		operating_system_version LowCardinality(String),
		browser LowCardinality(String),
		browser_version LowCardinality(String),
		` + "`meta.key`" + ` Array(String) CODEC(ZSTD(3)),
		` + "`meta.value`" + ` Array(String) CODEC(ZSTD(3)),
		revenue_reporting_amount Nullable(Decimal(18, 3)),
		revenue_reporting_currency FixedString(3),
		revenue_source_amount Nullable(Decimal(18, 3)),
		revenue_source_currency FixedString(3),
		click_id_param LowCardinality(String),
		scroll_depth UInt8,
		engagement_time UInt32,
		acquisition_channel LowCardinality(String)
	) ENGINE = MergeTree
	PARTITION BY toYYYYMM(timestamp)
	PRIMARY KEY (site_id, toDate(timestamp), name, user_id)
	ORDER BY (site_id, toDate(timestamp), name, user_id, timestamp)
	SAMPLE BY user_id
	SETTINGS index_granularity = 8192`,
	`CREATE TABLE IF NOT EXISTS p_sessions_v2 (
		session_id UInt64,
		sign Int8,
		site_id UInt64,
		user_id UInt64,
		hostname String CODEC(ZSTD(3)),
		timestamp DateTime,
		start DateTime,
		is_bounce UInt8,
		entry_page String CODEC(ZSTD(3)),
		exit_page String CODEC(ZSTD(3)),
		exit_page_hostname String CODEC(ZSTD(3)),
		pageviews Int32,
		events UInt32,
		duration UInt32,
		referrer String CODEC(ZSTD(3)),
		referrer_source String CODEC(ZSTD(3)),
		utm_medium String CODEC(ZSTD(3)),
		utm_source String CODEC(ZSTD(3)),
		utm_campaign String CODEC(ZSTD(3)),
		utm_content String CODEC(ZSTD(3)),
		utm_term String CODEC(ZSTD(3)),
		country_code FixedString(2),
		subdivision1_code LowCardinality(String),
		subdivision2_code LowCardinality(String),
		city_geoname_id UInt32,
		screen_size LowCardinality(String),
		operating_system LowCardinality(String),
		operating_system_version LowCardinality(String),
		browser LowCardinality(String),
		browser_version LowCardinality(String),
		click_id_param LowCardinality(String),
		` + "`entry_meta.key`" + ` Array(String) CODEC(ZSTD(3)),
		` + "`entry_meta.value`" + ` Array(String) CODEC(ZSTD(3)),
		acquisition_channel LowCardinality(String)
	) ENGINE = VersionedCollapsingMergeTree(sign, events)
	PARTITION BY toYYYYMM(start)
	ORDER BY (site_id, toDate(start), user_id, session_id)
	SAMPLE BY user_id
	SETTINGS index_granularity = 8192`,
	// Plausible fills these at ingest; here they are derived from the same events.
	`INSERT INTO p_events_v2 SELECT
		toDateTime(ts), name, site_id, visitor_id, cityHash64(visitor_id, session_id), hostname, path, referrer, source,
		if(campaign = '', '', medium), if(campaign = '', '', source), campaign, utm_content, term,
		toFixedString(country, 2), region, '', if(city = '', 0, toUInt32(cityHash64(city) % 10000000)),
		device, os, os_version, browser, browser_version, mapKeys(props), mapValues(props),
		if(revenue = 0, NULL, toDecimal64(revenue, 3)), toFixedString(currency, 3),
		if(revenue = 0, NULL, toDecimal64(revenue, 3)), toFixedString(currency, 3),
		click_id, if(name = 'engagement', scroll, 255), engaged_ms, channel
	FROM events`,
	`INSERT INTO p_sessions_v2 SELECT
		cityHash64(visitor_id, session_id), 1, any(site_id), visitor_id, any(hostname),
		toDateTime(max(ts)), toDateTime(min(ts)),
		countIf(name = 'pageview') <= 1 AND countIf(name NOT IN ('pageview', 'engagement')) = 0,
		argMinIf(path, ts, name = 'pageview'), argMaxIf(path, ts, name = 'pageview'), any(hostname),
		countIf(name = 'pageview'), countIf(name != 'engagement'), dateDiff('second', min(ts), max(ts)),
		any(referrer), any(source), if(any(campaign) = '', '', any(medium)), if(any(campaign) = '', '', any(source)),
		any(campaign), any(utm_content), any(term), toFixedString(any(country), 2), any(region), '',
		if(any(city) = '', 0, toUInt32(cityHash64(any(city)) % 10000000)),
		any(device), any(os), any(os_version), any(browser), any(browser_version), any(click_id), [], [], any(channel)
	FROM events GROUP BY visitor_id, session_id`,
}

func buildPlausible(ctx context.Context, st store.Store) error {
	for _, q := range plausibleDDL {
		if err := st.Exec(ctx, q, nil); err != nil {
			return fmt.Errorf("plausible layout: %w", err)
		}
	}
	return nil
}

// plausibleQueries are the dashboard's queries as Plausible's stats builder writes them
// for this layout (lib/plausible/stats/sql: sessions for visit metrics with the sign
// folded in, events for pages and goals), one per panel.
func plausibleQueries(st store.Store, siteID uint32, from, to time.Time) []namedQuery {
	params := store.Params{"site": fmt.Sprint(siteID), "from": from.Format(time.DateTime), "to": to.Format(time.DateTime)}
	const sessions = "p_sessions_v2 WHERE site_id = {site:UInt64} AND start >= {from:DateTime} AND start < {to:DateTime}"
	const events = "p_events_v2 WHERE site_id = {site:UInt64} AND timestamp >= {from:DateTime} AND timestamp < {to:DateTime}"
	const visitMetrics = "uniq(user_id) AS visitors, sum(sign) AS visits, round(sum(is_bounce * sign) / sum(sign) * 100) AS bounce_rate"
	q := func(name, sql string) namedQuery {
		return namedQuery{name, func(ctx context.Context) error {
			res, err := st.Query(ctx, sql, params)
			if err == nil && len(res.Rows) == 0 {
				err = fmt.Errorf("no rows")
			}
			return err
		}}
	}
	// The comparison runs beside the current period, as the reporting API runs it.
	prev := store.Params{"site": params["site"], "from": from.Add(-to.Sub(from)).Format(time.DateTime), "to": params["from"]}
	const topStats = "SELECT uniq(user_id), sum(sign), sum(sign * pageviews), round(sum(sign * pageviews) / sum(sign), 2), " +
		"round(sum(is_bounce * sign) / sum(sign) * 100), round(sum(duration * sign) / sum(sign)) FROM " + sessions
	breakdown := func(name, col string) namedQuery {
		return q(name, "SELECT "+col+", "+visitMetrics+" FROM "+sessions+" GROUP BY "+col+" ORDER BY visitors DESC LIMIT 10")
	}
	return []namedQuery{
		both(q("top stats (11 metrics) + previous period", topStats), namedQuery{run: func(ctx context.Context) error {
			_, err := st.Query(ctx, topStats, prev)
			return err
		}}),
		q("visitors per day", "SELECT toDate(start) AS d, uniq(user_id) FROM "+sessions+" GROUP BY d ORDER BY d"),
		breakdown("top channels", "acquisition_channel"),
		breakdown("top sources", "referrer_source"),
		q("top pages", "SELECT p.pathname, p.visitors, p.pageviews, s.bounce_rate FROM (SELECT pathname, uniq(user_id) AS visitors, count() AS pageviews FROM "+
			events+" AND name = 'pageview' GROUP BY pathname ORDER BY visitors DESC LIMIT 10) AS p LEFT JOIN (SELECT entry_page, "+
			"round(sum(is_bounce * sign) / sum(sign) * 100) AS bounce_rate FROM "+sessions+" GROUP BY entry_page) AS s ON p.pathname = s.entry_page ORDER BY p.visitors DESC"),
		breakdown("entry pages", "entry_page"),
		breakdown("devices", "screen_size"),
		breakdown("browsers", "browser"),
		breakdown("countries", "country_code"),
		q("goals", "SELECT if(name = 'signup', 'signup', 'Visit /pricing*') AS goal, uniq(user_id) AS conversions, count(), sum(revenue_reporting_amount) FROM "+
			events+" AND (name = 'signup' OR (name = 'pageview' AND pathname LIKE '/pricing%')) GROUP BY goal ORDER BY conversions DESC"),
		{name: "content blocks (CTR)"}, // no such report in Plausible
		q("top pages, channel = Organic Search", "SELECT pathname, uniq(user_id) AS visitors, count() AS pageviews FROM "+events+
			" AND name = 'pageview' AND acquisition_channel = 'Organic Search' GROUP BY pathname ORDER BY visitors DESC LIMIT 10"),
		q("funnel / → /pricing → signup", "SELECT step, count() FROM (SELECT user_id, windowFunnel(86400)(timestamp, name = 'pageview' AND pathname = '/', "+
			"name = 'pageview' AND pathname = '/pricing', name = 'signup') AS step FROM "+events+" GROUP BY user_id) GROUP BY step ORDER BY step"),
	}
}

// both runs two queries at once and waits for both.
func both(a, b namedQuery) namedQuery {
	return namedQuery{a.name, func(ctx context.Context) error {
		errc := make(chan error, 1)
		go func() { errc <- b.run(ctx) }()
		errA := a.run(ctx)
		if errB := <-errc; errA == nil {
			errA = errB
		}
		return errA
	}}
}
