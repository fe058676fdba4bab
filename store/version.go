package store

import (
	"fmt"
	"strconv"
	"strings"
)

// MinServerVersion is the oldest ClickHouse release Omnistat's SQL is written for
// (24.8 LTS): it needs DateTime64, LowCardinality by default, typed query parameters
// and the deduplication settings the collector relies on.
const MinServerVersion = "24.8"

// CheckVersion refuses a server older than MinServerVersion with a sentence that names
// both versions, before any migration touches it.
func CheckVersion(version string) error {
	got, err := parseVersion(version)
	if err != nil {
		return fmt.Errorf("cannot read ClickHouse version %q (Omnistat needs %s or newer): %w", version, MinServerVersion, err)
	}
	want, _ := parseVersion(MinServerVersion)
	if got[0] < want[0] || (got[0] == want[0] && got[1] < want[1]) {
		return fmt.Errorf("ClickHouse server %s is too old: Omnistat needs %s or newer; upgrade the server (for example the clickhouse/clickhouse-server:25.8 image)", version, MinServerVersion)
	}
	return nil
}

func parseVersion(v string) ([2]int, error) {
	parts := strings.SplitN(strings.TrimSpace(v), ".", 3)
	if len(parts) < 2 {
		return [2]int{}, fmt.Errorf("want MAJOR.MINOR[...]")
	}
	var out [2]int
	for i := 0; i < 2; i++ {
		n, err := strconv.Atoi(parts[i])
		if err != nil {
			return [2]int{}, fmt.Errorf("want MAJOR.MINOR[...]: %w", err)
		}
		out[i] = n
	}
	return out, nil
}
