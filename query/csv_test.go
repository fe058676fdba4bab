package query_test

import (
	"strings"
	"testing"

	"github.com/omnistat/omnistat/query"
)

// Text a spreadsheet would run as a formula gets a leading apostrophe, also when it
// starts with a tab or a carriage return (which the collector trims from campaigns, but
// a page title or a property may keep); metrics are written as numbers, minus included.
func TestCSVCellsAreNotFormulas(t *testing.T) {
	r := &query.Response{Meta: query.Meta{Dimensions: []string{"page"}, Metrics: []string{"revenue"}}, Results: []query.Row{
		{Dimensions: []string{"\t=1+1"}, Metrics: []float64{-2.5}},
		{Dimensions: []string{"\r@x"}, Metrics: []float64{3}},
		{Dimensions: []string{"/a-b"}, Metrics: []float64{0}},
	}}
	var b strings.Builder
	if err := r.WriteCSV(&b); err != nil {
		t.Fatal(err)
	}
	want := "page,revenue\n'\t=1+1,-2.5\n\"'\r@x\",3\n/a-b,0\n"
	if b.String() != want {
		t.Fatalf("csv %q; want %q", b.String(), want)
	}
}
