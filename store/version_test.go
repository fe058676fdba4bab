package store

import (
	"strings"
	"testing"
)

func TestCheckVersion(t *testing.T) {
	f := func(v string, ok bool) {
		t.Helper()
		err := CheckVersion(v)
		if ok && err != nil {
			t.Fatalf("CheckVersion(%q) = %v; want nil", v, err)
		}
		if !ok {
			if err == nil {
				t.Fatalf("CheckVersion(%q) = nil; want an error", v)
			}
			if !strings.Contains(err.Error(), MinServerVersion) {
				t.Fatalf("error %q does not name the minimum %s", err, MinServerVersion)
			}
		}
	}
	f("26.7.2.1", true)
	f("24.8.1.5", true)
	f("24.10", true)
	f("25.1.3", true)
	f("24.3.5.1", false)
	f("18.16.1", false)
	f("garbage", false)
}
