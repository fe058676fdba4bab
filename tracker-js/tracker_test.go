package trackerjs

import (
	"bytes"
	"compress/gzip"
	"io"
	"net/http"
	"net/http/httptest"
	"testing"

	"github.com/andybalholm/brotli"

	"github.com/omnistat/omnistat/tracker-js/internal/jsbuild"
)

func gz(b []byte) int {
	var out bytes.Buffer
	w, _ := gzip.NewWriterLevel(&out, gzip.BestCompression)
	w.Write(b)
	w.Close()
	return out.Len()
}

// The size budget of the issue: core ≤ 1,200 bytes gzipped, everything ≤ 2,500.
func TestSizeBudget(t *testing.T) {
	core, err := jsbuild.Build(false)
	if err != nil {
		t.Fatal(err)
	}
	full, err := jsbuild.Build(true)
	if err != nil {
		t.Fatal(err)
	}
	t.Logf("core %d bytes, %d gzipped; full %d bytes, %d gzipped, %d brotli", len(core), gz(core), len(full), gz(full), len(brotlied))
	if n := gz(core); n > 1200 {
		t.Errorf("core is %d bytes gzipped; the budget is 1200", n)
	}
	if n := gz(full); n > 2500 {
		t.Errorf("full tracker is %d bytes gzipped; the budget is 2500", n)
	}
	if bytes.Contains(core, []byte("data-os-content")) || bytes.Contains(core, []byte("IntersectionObserver")) {
		t.Error("the core build still contains the optional features")
	}
}

// dist/ is committed; it must be what src/ builds to.
func TestDistIsFresh(t *testing.T) {
	full, err := jsbuild.Build(true)
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(full, Script()) {
		t.Fatal("tracker-js/dist/omnistat.js is stale: run `make tracker` and commit it")
	}
}

func TestHandler(t *testing.T) {
	h := Handler()
	get := func(hdr map[string]string) *http.Response {
		r := httptest.NewRequest(http.MethodGet, "/js/omnistat.js", nil)
		for k, v := range hdr {
			r.Header.Set(k, v)
		}
		w := httptest.NewRecorder()
		h.ServeHTTP(w, r)
		return w.Result()
	}
	plain := get(nil)
	body, _ := io.ReadAll(plain.Body)
	if plain.StatusCode != 200 || !bytes.Equal(body, Script()) || plain.Header.Get("Content-Type") != "application/javascript; charset=utf-8" {
		t.Fatalf("plain GET: %d %q", plain.StatusCode, plain.Header.Get("Content-Type"))
	}
	etag := plain.Header.Get("ETag")
	if etag == "" || plain.Header.Get("Cache-Control") == "" {
		t.Fatalf("no ETag or Cache-Control: %v", plain.Header)
	}
	if r := get(map[string]string{"If-None-Match": etag}); r.StatusCode != http.StatusNotModified {
		t.Fatalf("If-None-Match: %d; want 304", r.StatusCode)
	}
	g := get(map[string]string{"Accept-Encoding": "gzip"})
	zr, err := gzip.NewReader(g.Body)
	if err != nil || g.Header.Get("Content-Encoding") != "gzip" {
		t.Fatalf("gzip: %v %v", err, g.Header)
	}
	unz, _ := io.ReadAll(zr)
	if !bytes.Equal(unz, Script()) {
		t.Fatal("gzip body differs")
	}
	br := get(map[string]string{"Accept-Encoding": "gzip, deflate, br"})
	unbr, _ := io.ReadAll(brotli.NewReader(br.Body))
	if br.Header.Get("Content-Encoding") != "br" || !bytes.Equal(unbr, Script()) {
		t.Fatal("brotli not served or body differs")
	}
	if r := get(map[string]string{"Accept-Encoding": "br;q=0, gzip"}); r.Header.Get("Content-Encoding") != "gzip" {
		t.Fatalf("br;q=0 ignored: %v", r.Header.Get("Content-Encoding"))
	}
}
