// Package trackerjs serves the Omnistat tracker, /js/omnistat.js: the minified script
// built from tracker-js/src into dist/ (committed, so `go build` needs only Go) and
// embedded in the binary. It is compressed once at start-up, served with a strong ETag
// and cached for a day: long enough to spare visitors the download, short enough that a
// fixed tracker reaches every site within a day, since the snippet's URL has no version.
package trackerjs

import (
	"bytes"
	"compress/gzip"
	"crypto/sha256"
	_ "embed"
	"encoding/hex"
	"net/http"
	"strings"

	"github.com/andybalholm/brotli"
)

//go:embed dist/omnistat.js
var script []byte

// Script is the minified tracker.
func Script() []byte { return script }

var (
	etag    = func() string { s := sha256.Sum256(script); return `"` + hex.EncodeToString(s[:8]) + `"` }()
	gzipped = func() []byte {
		var b bytes.Buffer
		w, _ := gzip.NewWriterLevel(&b, gzip.BestCompression)
		w.Write(script)
		w.Close()
		return b.Bytes()
	}()
	brotlied = func() []byte {
		var b bytes.Buffer
		w := brotli.NewWriterLevel(&b, brotli.BestCompression)
		w.Write(script)
		w.Close()
		return b.Bytes()
	}()
)

// Handler serves the script.
func Handler() http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		h := w.Header()
		h.Set("Content-Type", "application/javascript; charset=utf-8")
		h.Set("Cache-Control", "public, max-age=86400, stale-while-revalidate=604800")
		h.Set("ETag", etag)
		h.Set("Vary", "Accept-Encoding")
		h.Set("Access-Control-Allow-Origin", "*")
		h.Set("X-Content-Type-Options", "nosniff")
		if match := r.Header.Get("If-None-Match"); match != "" && strings.Contains(match, etag) {
			w.WriteHeader(http.StatusNotModified)
			return
		}
		body := script
		ae := r.Header.Get("Accept-Encoding")
		switch {
		case accepts(ae, "br"):
			h.Set("Content-Encoding", "br")
			body = brotlied
		case accepts(ae, "gzip"):
			h.Set("Content-Encoding", "gzip")
			body = gzipped
		}
		if r.Method == http.MethodHead {
			return
		}
		w.Write(body)
	})
}

func accepts(header, enc string) bool {
	for _, part := range strings.Split(header, ",") {
		name, params, _ := strings.Cut(strings.TrimSpace(part), ";")
		if strings.EqualFold(name, enc) && !strings.Contains(strings.ReplaceAll(params, " ", ""), "q=0") {
			return true
		}
	}
	return false
}
