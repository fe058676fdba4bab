// Package jsbuild builds the tracker from tracker-js/src with esbuild's Go API: the
// full script that is served, and the core-only variant whose size budget is checked
// on its own.
package jsbuild

import (
	"fmt"
	"os"
	"path/filepath"
	"runtime"
	"strings"

	"github.com/evanw/esbuild/pkg/api"
)

// SourceDir is tracker-js/src, found from this file so it works from any directory.
func SourceDir() string {
	_, file, _, _ := runtime.Caller(0)
	return filepath.Join(filepath.Dir(file), "..", "..", "src")
}

// Build minifies src/omnistat.js; full=false leaves out the optional features.
func Build(full bool) ([]byte, error) {
	src, err := os.ReadFile(filepath.Join(SourceDir(), "omnistat.js"))
	if err != nil {
		return nil, err
	}
	res := api.Transform(string(src), api.TransformOptions{
		Loader:            api.LoaderJS,
		Target:            api.ES2017,
		MinifyWhitespace:  true,
		MinifyIdentifiers: true,
		MinifySyntax:      true,
		LegalComments:     api.LegalCommentsNone,
		Define:            map[string]string{"FULL": fmt.Sprint(full)},
	})
	if len(res.Errors) > 0 {
		var msgs []string
		for _, m := range res.Errors {
			msgs = append(msgs, m.Text)
		}
		return nil, fmt.Errorf("esbuild: %s", strings.Join(msgs, "; "))
	}
	return res.Code, nil
}
