// Command gen rebuilds tracker-js/dist/omnistat.js from tracker-js/src (make tracker).
// The built file is committed, so `go build` needs only Go; a test fails when it is
// stale.
package main

import (
	"fmt"
	"os"
	"path/filepath"

	"github.com/omnistat/omnistat/tracker-js/internal/jsbuild"
)

func main() {
	out, err := jsbuild.Build(true)
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
	path := filepath.Join(jsbuild.SourceDir(), "..", "dist", "omnistat.js")
	if err := os.WriteFile(path, out, 0o644); err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
	fmt.Printf("wrote %s (%d bytes)\n", path, len(out))
}
