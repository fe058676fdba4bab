package catalog

import (
	"context"
	"crypto/rand"
	"encoding/base64"
	"fmt"
	"regexp"
	"sort"
	"strconv"
	"sync"
	"time"
	"unicode/utf8"

	"golang.org/x/crypto/bcrypt"

	"github.com/omnistat/omnistat/store"
)

// Share is a shared link: anyone with /share/{ID} may read the site's reports (and
// nothing else), after giving the password when the link has one.
type Share struct {
	ID          string    `json:"id"`
	SiteID      uint32    `json:"-"`
	Name        string    `json:"name"`
	HasPassword bool      `json:"password"`
	CreatedAt   time.Time `json:"created_at"`

	passwordHash []byte
}

// MinSharePasswordLength is the shortest password a shared link may have.
const MinSharePasswordLength = 8

// shareIDRE matches the ids CreateShare makes: 16 random bytes, base64url.
var shareIDRE = regexp.MustCompile(`^[A-Za-z0-9_-]{22}$`)

// shareCache holds the shares by id: a shared dashboard sends a dozen reports per view,
// and each must be checked against its link without a catalog query. Entries live at
// most shareTTL, so a link revoked by another server of a cluster stops working soon.
type shareCache struct {
	mu   sync.Mutex
	byID map[string]Share
	at   time.Time
}

const shareTTL = 30 * time.Second

// CreateShare makes a shared link for a site; password may be empty (no password).
func (c *Catalog) CreateShare(ctx context.Context, siteID uint32, name, password string) (Share, error) {
	if utf8.RuneCountInString(name) > 200 {
		return Share{}, fmt.Errorf("name is longer than 200 characters")
	}
	s := Share{SiteID: siteID, Name: name, CreatedAt: c.now().UTC().Truncate(time.Second)}
	if password != "" {
		if utf8.RuneCountInString(password) < MinSharePasswordLength {
			return Share{}, fmt.Errorf("password is shorter than %d characters", MinSharePasswordLength)
		}
		if len(password) > 72 {
			return Share{}, fmt.Errorf("password is longer than 72 bytes (bcrypt's limit)")
		}
		h, err := bcrypt.GenerateFromPassword([]byte(password), bcrypt.DefaultCost)
		if err != nil {
			return Share{}, wrap("CreateShare", err)
		}
		s.passwordHash, s.HasPassword = h, true
	}
	b := make([]byte, 16)
	if _, err := rand.Read(b); err != nil {
		return Share{}, wrap("CreateShare", err)
	}
	s.ID = base64.RawURLEncoding.EncodeToString(b)
	err := c.st.Exec(ctx, `INSERT INTO shares (id, site_id, name, password_hash, created_at, deleted, version)
		VALUES ({id:String}, {site:UInt32}, {n:String}, {h:String}, {t:DateTime('UTC')}, 0, {v:UInt64})`,
		store.Params{"id": s.ID, "site": strconv.FormatUint(uint64(siteID), 10), "n": name, "h": string(s.passwordHash),
			"t": s.CreatedAt.Format("2006-01-02 15:04:05"), "v": c.version()})
	if err != nil {
		return Share{}, wrap("CreateShare", err)
	}
	c.dropShares()
	return s, nil
}

// Shares lists a site's shared links, oldest first.
func (c *Catalog) Shares(ctx context.Context, siteID uint32) ([]Share, error) {
	all, err := c.loadShares(ctx, 0)
	if err != nil {
		return nil, err
	}
	out := []Share{}
	for _, s := range all {
		if s.SiteID == siteID {
			out = append(out, s)
		}
	}
	sort.Slice(out, func(i, j int) bool {
		if !out[i].CreatedAt.Equal(out[j].CreatedAt) {
			return out[i].CreatedAt.Before(out[j].CreatedAt)
		}
		return out[i].ID < out[j].ID
	})
	return out, nil
}

// ShareByID finds a live shared link. Malformed ids are refused without a lookup.
func (c *Catalog) ShareByID(ctx context.Context, id string) (Share, error) {
	if !shareIDRE.MatchString(id) {
		return Share{}, ErrNotFound
	}
	// On a miss, look again for a link made a moment ago on another server, at most
	// once a second, so made-up ids cannot flood the catalog with queries.
	for _, maxAge := range []time.Duration{shareTTL, c.minReload} {
		all, err := c.loadShares(ctx, maxAge)
		if err != nil {
			return Share{}, err
		}
		if s, ok := all[id]; ok {
			return s, nil
		}
	}
	return Share{}, ErrNotFound
}

// CheckPassword reports whether password opens the link. A link without a
// password is open to anyone who has it.
func (s Share) CheckPassword(password string) bool {
	if !s.HasPassword {
		return true
	}
	return bcrypt.CompareHashAndPassword(s.passwordHash, []byte(password)) == nil
}

// PasswordFingerprint is a short value that changes when the link's password does;
// the server signs it into the cookie that remembers a password was given.
func (s Share) PasswordFingerprint() string {
	if len(s.passwordHash) < 16 {
		return ""
	}
	return string(s.passwordHash[len(s.passwordHash)-16:])
}

// RevokeShare deletes a site's shared link; it stops working at once on this server.
func (c *Catalog) RevokeShare(ctx context.Context, siteID uint32, id string) error {
	all, err := c.loadShares(ctx, 0)
	if err != nil {
		return err
	}
	if s, ok := all[id]; !ok || s.SiteID != siteID {
		return ErrNotFound
	}
	err = c.st.Exec(ctx, `INSERT INTO shares (id, site_id, name, password_hash, created_at, deleted, version)
		VALUES ({id:String}, {site:UInt32}, '', '', {t:DateTime('UTC')}, 1, {v:UInt64})`,
		store.Params{"id": id, "site": strconv.FormatUint(uint64(siteID), 10), "t": c.nowText(), "v": c.version()})
	c.dropShares()
	return wrap("RevokeShare", err)
}

func (c *Catalog) dropShares() {
	c.shares.mu.Lock()
	c.shares.byID = nil
	c.shares.mu.Unlock()
}

// loadShares returns the live shares, from the cache unless it is older than maxAge
// (0: always read the table).
func (c *Catalog) loadShares(ctx context.Context, maxAge time.Duration) (map[string]Share, error) {
	sc := &c.shares
	sc.mu.Lock()
	defer sc.mu.Unlock()
	if sc.byID != nil && c.now().Sub(sc.at) < maxAge {
		return sc.byID, nil
	}
	res, err := c.st.Query(ctx, "SELECT id, site_id, name, password_hash, toUnixTimestamp(created_at) FROM shares FINAL WHERE deleted = 0", nil)
	if err != nil {
		return nil, wrap("loadShares", err)
	}
	m := make(map[string]Share, len(res.Rows))
	for _, r := range res.Rows {
		s := Share{ID: asString(r[0]), SiteID: uint32(store.Uint(r[1])), Name: asString(r[2]),
			passwordHash: []byte(asString(r[3])), CreatedAt: time.Unix(int64(store.Uint(r[4])), 0).UTC()}
		s.HasPassword = len(s.passwordHash) > 0
		m[s.ID] = s
	}
	sc.byID, sc.at = m, c.now()
	return m, nil
}
