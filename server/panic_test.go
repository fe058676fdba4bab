package server

import (
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/labstack/echo/v4"

	"github.com/omnistat/omnistat/store/embedded/embeddedtest"
)

func TestMain(m *testing.M) { embeddedtest.Main(m) }

// With the embedded engine loaded in the process, a handler that dereferences nil
// answers 500 and the server goes on serving: the engine's own signal handlers are off,
// so Go's panic reaches recoverPanics instead of hanging the process.
func TestRecoverFromNilDereference(t *testing.T) {
	embeddedtest.Open(t) // load libchdb.so and connect, as serve does
	log := slog.New(slog.NewTextHandler(io.Discard, nil))
	e := echo.New()
	e.HTTPErrorHandler = errorHandler(log)
	e.Use(recoverPanics(log))
	var nothing *struct{ n int }
	e.GET("/boom", func(c echo.Context) error { return c.String(200, string(rune(nothing.n))) })
	e.GET("/fine", func(c echo.Context) error { return c.String(200, "fine") })
	srv := httptest.NewServer(e)
	defer srv.Close()
	for _, tc := range []struct {
		path, want string
		status     int
	}{{"/boom", "internal error", 500}, {"/fine", "fine", 200}, {"/boom", "internal error", 500}} {
		resp, err := http.Get(srv.URL + tc.path)
		if err != nil {
			t.Fatal(err)
		}
		b, _ := io.ReadAll(resp.Body)
		resp.Body.Close()
		if resp.StatusCode != tc.status || !strings.Contains(string(b), tc.want) {
			t.Fatalf("%s: %d %s; want %d %q", tc.path, resp.StatusCode, b, tc.status, tc.want)
		}
	}
}
