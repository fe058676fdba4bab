package catalog

import (
	"context"
	"crypto/rand"
	"crypto/sha256"
	"crypto/subtle"
	"encoding/hex"
	"errors"
	"fmt"
	"strconv"
	"strings"
	"unicode/utf8"

	"github.com/omnistat/omnistat/store"
)

// APIKey is what a verified key grants.
type APIKey struct {
	ID      string
	Name    string
	SiteIDs []uint32
	// ReadOnly principals (a shared link) may run reports and nothing else: no
	// changes, no settings.
	ReadOnly bool
}

// CanRead reports whether the key may read or change the site's data.
func (k APIKey) CanRead(siteID uint32) bool {
	for _, id := range k.SiteIDs {
		if id == siteID {
			return true
		}
	}
	return false
}

type apiKey struct {
	APIKey
	secretSHA256 []byte
}

// ErrBadKey is returned for a key that is malformed, unknown or revoked.
var ErrBadKey = errors.New("the API key is not valid")

const keyPrefix = "os_"

// CreateKey makes a key for the given sites and returns it in full. Only its SHA-256 is
// stored, so it is shown this once. A key is "os_" + 12 hex id + "_" + 48 hex secret;
// the id finds the row, the hash of the whole key is compared in constant time.
func (c *Catalog) CreateKey(ctx context.Context, name string, siteIDs []uint32) (string, APIKey, error) {
	if len(siteIDs) == 0 {
		return "", APIKey{}, fmt.Errorf("a key needs at least one site")
	}
	if utf8.RuneCountInString(name) > 200 {
		return "", APIKey{}, fmt.Errorf("name is longer than 200 characters")
	}
	idb := make([]byte, 6)
	sec := make([]byte, 24)
	if _, err := rand.Read(idb); err != nil {
		return "", APIKey{}, err
	}
	if _, err := rand.Read(sec); err != nil {
		return "", APIKey{}, err
	}
	id := hex.EncodeToString(idb)
	full := keyPrefix + id + "_" + hex.EncodeToString(sec)
	sum := sha256.Sum256([]byte(full))
	ids := make([]string, len(siteIDs))
	for i, s := range siteIDs {
		ids[i] = strconv.Itoa(int(s))
	}
	err := c.st.Exec(ctx, "INSERT INTO api_keys (id, secret_sha256, name, site_ids, created_at, deleted, version) VALUES ({id:String}, {h:String}, {n:String}, {s:Array(UInt32)}, {t:DateTime('UTC')}, 0, {v:UInt64})",
		store.Params{"id": id, "h": hex.EncodeToString(sum[:]), "n": name, "s": "[" + strings.Join(ids, ",") + "]", "t": c.nowText(), "v": c.version()})
	if err != nil {
		return "", APIKey{}, wrap("CreateKey", err)
	}
	k := APIKey{ID: id, Name: name, SiteIDs: siteIDs}
	c.mu.Lock()
	if c.keys != nil {
		c.keys[id] = apiKey{APIKey: k, secretSHA256: sum[:]}
	}
	c.mu.Unlock()
	return full, k, nil
}

// VerifyKey checks a key presented by a client.
func (c *Catalog) VerifyKey(ctx context.Context, key string) (APIKey, error) {
	rest, ok := strings.CutPrefix(key, keyPrefix)
	if !ok {
		return APIKey{}, ErrBadKey
	}
	id, _, ok := strings.Cut(rest, "_")
	if !ok || len(id) != 12 {
		return APIKey{}, ErrBadKey
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	if err := c.ensureLoaded(ctx, false); err != nil {
		return APIKey{}, err
	}
	k, found := c.keys[id]
	if !found {
		if err := c.ensureLoaded(ctx, true); err != nil {
			return APIKey{}, err
		}
		k, found = c.keys[id]
	}
	sum := sha256.Sum256([]byte(key))
	if !found || subtle.ConstantTimeCompare(sum[:], k.secretSHA256) != 1 {
		return APIKey{}, ErrBadKey
	}
	return k.APIKey, nil
}

func (c *Catalog) listKeys(ctx context.Context) (map[string]apiKey, error) {
	res, err := c.st.Query(ctx, "SELECT id, secret_sha256, name, site_ids FROM api_keys FINAL WHERE deleted = 0", nil)
	if err != nil {
		return nil, wrap("listKeys", err)
	}
	out := map[string]apiKey{}
	for _, r := range res.Rows {
		h, _ := hex.DecodeString(asString(r[1]))
		k := apiKey{APIKey: APIKey{ID: asString(r[0]), Name: asString(r[2])}, secretSHA256: h}
		if arr, ok := r[3].([]any); ok {
			for _, v := range arr {
				k.SiteIDs = append(k.SiteIDs, uint32(store.Uint(v)))
			}
		}
		out[k.ID] = k
	}
	return out, nil
}

// Keys lists the keys that may use the site (without their secrets).
func (c *Catalog) Keys(ctx context.Context, siteID uint32) ([]APIKey, error) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if err := c.reload(ctx); err != nil {
		return nil, err
	}
	out := []APIKey{}
	for _, k := range c.keys {
		if k.CanRead(siteID) {
			out = append(out, k.APIKey)
		}
	}
	for i := 1; i < len(out); i++ {
		for j := i; j > 0 && out[j].ID < out[j-1].ID; j-- {
			out[j], out[j-1] = out[j-1], out[j]
		}
	}
	return out, nil
}

// RevokeKey deletes a key; requests with it are refused from then on.
func (c *Catalog) RevokeKey(ctx context.Context, id string) error {
	c.mu.Lock()
	defer c.mu.Unlock()
	if err := c.ensureLoaded(ctx, true); err != nil {
		return err
	}
	k, ok := c.keys[id]
	if !ok {
		return ErrNotFound
	}
	ids := make([]string, len(k.SiteIDs))
	for i, s := range k.SiteIDs {
		ids[i] = strconv.Itoa(int(s))
	}
	err := c.st.Exec(ctx, "INSERT INTO api_keys (id, secret_sha256, name, site_ids, created_at, deleted, version) VALUES ({id:String}, '', {n:String}, {s:Array(UInt32)}, {t:DateTime('UTC')}, 1, {v:UInt64})",
		store.Params{"id": id, "n": k.Name, "s": "[" + strings.Join(ids, ",") + "]", "t": c.nowText(), "v": c.version()})
	if err != nil {
		return wrap("RevokeKey", err)
	}
	delete(c.keys, id)
	return nil
}
