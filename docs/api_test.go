// Package docs holds the user documentation; its test keeps docs/API.md, the copy of
// the public contract that the README and METRICS.md point to, equal to the contract.
package docs_test

import (
	"bytes"
	"os"
	"path/filepath"
	"testing"
)

// contractPath is where the project's shared contract lives when this checkout sits
// beside it: ../shared/spec/API.md from the repository's root (a main checkout), or
// further up (a worktree in a folder of its own). Empty when there is none.
func contractPath(t *testing.T) string {
	t.Helper()
	root, err := filepath.Abs("..")
	if err != nil {
		t.Fatal(err)
	}
	for dir := filepath.Dir(root); ; dir = filepath.Dir(dir) {
		p := filepath.Join(dir, "shared", "spec", "API.md")
		if _, err := os.Stat(p); err == nil {
			return p
		}
		if dir == filepath.Dir(dir) {
			return ""
		}
	}
}

// docs/API.md is the contract word for word, after its one-line note and a blank
// line: a change to the contract that is not copied here fails.
func TestAPIDocIsTheContract(t *testing.T) {
	copied, err := os.ReadFile("API.md")
	if err != nil {
		t.Fatal(err)
	}
	note, body, ok := bytes.Cut(copied, []byte("\n\n"))
	if !ok || bytes.Contains(note, []byte("\n")) || !bytes.Contains(note, []byte("METRICS.md")) {
		t.Fatalf("docs/API.md must start with one line of note naming METRICS.md, then a blank line; it starts %q", firstLine(copied))
	}
	src := contractPath(t)
	if src == "" {
		t.Skip("no shared/spec/API.md beside this checkout to compare with")
	}
	contract, err := os.ReadFile(src)
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(body, contract) {
		t.Fatalf("docs/API.md differs from %s: copy it again (keep the note on the first line)", src)
	}
}

func firstLine(b []byte) []byte {
	line, _, _ := bytes.Cut(b, []byte("\n"))
	return line
}
