package schema

import "github.com/omnistat/omnistat/store"

// EventColumns is the events table's column list in insert order: the single source for
// the collector's inserts. A test checks it against system.columns of the migrated
// table, so the two cannot drift apart.
var EventColumns = []store.Column{
	{Name: "site_id", Type: "UInt32"},
	{Name: "ts", Type: "DateTime64(3, 'UTC')"},
	{Name: "name", Type: "LowCardinality(String)"},
	{Name: "visitor_id", Type: "UInt64"},
	{Name: "session_id", Type: "UInt64"},
	{Name: "user_id", Type: "String"},
	{Name: "channel", Type: "LowCardinality(String)"},
	{Name: "source", Type: "LowCardinality(String)"},
	{Name: "medium", Type: "LowCardinality(String)"},
	{Name: "campaign", Type: "LowCardinality(String)"},
	{Name: "term", Type: "String"},
	{Name: "utm_content", Type: "String"},
	{Name: "click_id", Type: "LowCardinality(String)"},
	{Name: "referrer_domain", Type: "LowCardinality(String)"},
	{Name: "referrer", Type: "String"},
	{Name: "hostname", Type: "LowCardinality(String)"},
	{Name: "path", Type: "LowCardinality(String)"},
	{Name: "title", Type: "String"},
	{Name: "device", Type: "LowCardinality(String)"},
	{Name: "browser", Type: "LowCardinality(String)"},
	{Name: "browser_version", Type: "LowCardinality(String)"},
	{Name: "os", Type: "LowCardinality(String)"},
	{Name: "os_version", Type: "LowCardinality(String)"},
	{Name: "screen", Type: "UInt16"},
	{Name: "country", Type: "LowCardinality(String)"},
	{Name: "region", Type: "LowCardinality(String)"},
	{Name: "city", Type: "LowCardinality(String)"},
	{Name: "language", Type: "LowCardinality(String)"},
	{Name: "props", Type: "Map(LowCardinality(String), String)"},
	{Name: "content_name", Type: "LowCardinality(String)"},
	{Name: "content_piece", Type: "String"},
	{Name: "content_target", Type: "String"},
	{Name: "engaged_ms", Type: "UInt32"},
	{Name: "scroll", Type: "UInt8"},
	{Name: "revenue", Type: "Decimal(18, 4)"},
	{Name: "currency", Type: "LowCardinality(String)"},
}
