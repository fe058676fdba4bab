// Package dashboard is the web app marketers use, embedded in the binary with go:embed
// so that `go build` needs only Go. It serves static files; all data comes from the
// reporting API, and everything shown that came from a visitor is inserted as text,
// never as HTML.
package dashboard

import (
	"embed"
	"io/fs"
	"net/http"
	"os"
)

//go:embed assets
var assets embed.FS

// Handler serves the dashboard. With dir set (the serve command's --dev), files are read
// from that folder on every request, so the app can be edited without rebuilding.
func Handler(dir string) http.Handler {
	var fsys fs.FS
	if dir != "" {
		fsys = os.DirFS(dir)
	} else {
		fsys, _ = fs.Sub(assets, "assets")
	}
	files := http.FileServer(http.FS(fsys))
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		h := w.Header()
		h.Set("Content-Security-Policy", "default-src 'self'; img-src 'self' data:; style-src 'self'; script-src 'self'; connect-src 'self'; frame-ancestors 'none'")
		h.Set("X-Content-Type-Options", "nosniff")
		h.Set("Referrer-Policy", "same-origin")
		h.Set("Cache-Control", "no-cache")
		files.ServeHTTP(w, r)
	})
}
