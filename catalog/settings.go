package catalog

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"fmt"

	"github.com/omnistat/omnistat/store"
)

// Secret returns the server-wide secret of that name (32 random bytes, hex), making it
// on first use. If two nodes make one at once, both settle on the first written.
func (c *Catalog) Secret(ctx context.Context, name string) ([]byte, error) {
	read := func() (string, error) {
		res, err := c.st.Query(ctx, "SELECT argMin(value, created), count() FROM settings WHERE name = {n:String}", store.Params{"n": name})
		if err != nil {
			return "", wrap("Secret", err)
		}
		if len(res.Rows) == 0 || store.Uint(res.Rows[0][1]) == 0 {
			return "", nil
		}
		return asString(res.Rows[0][0]), nil
	}
	v, err := read()
	if err != nil {
		return nil, err
	}
	if v == "" {
		b := make([]byte, 32)
		if _, err := rand.Read(b); err != nil {
			return nil, err
		}
		if err := c.st.Exec(ctx, "INSERT INTO settings (name, value, created) VALUES ({n:String}, {v:String}, now64(3))",
			store.Params{"n": name, "v": hex.EncodeToString(b)}); err != nil {
			return nil, wrap("Secret", err)
		}
		if v, err = read(); err != nil || v == "" {
			return nil, fmt.Errorf("catalog.Secret: %s not readable after writing it: %v", name, err)
		}
	}
	return hex.DecodeString(v)
}
