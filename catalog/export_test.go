package catalog

import (
	"testing"

	"github.com/omnistat/omnistat/store"
)

// embeddedStore exposes a Catalog's store so tests can open a second Catalog on it, as
// another process would.
func StoreOf(t *testing.T, c *Catalog) store.Store { return c.st }
