package server_test

import (
	"fmt"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/omnistat/omnistat/app"
)

// BenchmarkEventEndpoint is the collector's hot path without the network: decode,
// validate, enrich, spool, for a realistic mix of pages, referrers and User-Agents.
func BenchmarkEventEndpoint(b *testing.B) {
	f := newFixture(b, app.Config{FlushInterval: time.Second})
	uas := []string{chromeUA,
		"Mozilla/5.0 (iPhone; CPU iPhone OS 17_4 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/17.4 Mobile/15E148 Safari/604.1",
		"Mozilla/5.0 (Linux; Android 14; Pixel 8) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/124.0.0.0 Mobile Safari/537.36"}
	refs := []string{"", "https://www.google.com/", "https://t.co/x", "https://blog.partner.example/post"}
	var n atomic.Int64
	b.ReportAllocs()
	b.ResetTimer()
	b.RunParallel(func(pb *testing.PB) {
		for pb.Next() {
			i := n.Add(1)
			body := fmt.Sprintf(`{"site":"shop.example","name":"pageview","url":"https://shop.example/p/%d?utm_source=x%d","referrer":%q,"title":"Page","screen":1280}`, i%500, i%7, refs[i%4])
			req := httptest.NewRequest(http.MethodPost, "/api/event", strings.NewReader(body))
			req.Header.Set("User-Agent", uas[i%3])
			req.RemoteAddr = fmt.Sprintf("81.2.%d.%d:1234", i%250, (i/250)%250)
			w := httptest.NewRecorder()
			f.a.Handler.ServeHTTP(w, req)
			if w.Code != 202 {
				b.Fatalf("status %d: %s", w.Code, w.Body.String())
			}
		}
	})
}
