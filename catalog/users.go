package catalog

import (
	"context"
	"fmt"
	"net/mail"
	"strings"
	"unicode/utf8"

	"golang.org/x/crypto/bcrypt"

	"github.com/omnistat/omnistat/store"
)

// MinPasswordLength is the shortest password a dashboard user may have.
const MinPasswordLength = 10

// A user's row is versioned like every catalog row (ReplacingMergeTree): each write is
// a new row with a higher version. Session cookies are signed over the row's version
// and a fingerprint of its password hash (SessionStamp), so anything written to the
// user (a new password, EndSessions, RemoveUser) ends every session issued before it,
// on every server that shares the store: revocation lives in the store, not in one
// server's memory.

// AddUser creates (or resets the password of) a dashboard user, which ends the user's
// sessions. Passwords are stored as bcrypt hashes.
func (c *Catalog) AddUser(ctx context.Context, email, password string) error {
	addr, err := mail.ParseAddress(strings.TrimSpace(email))
	if err != nil || addr.Name != "" {
		return fmt.Errorf("email %q is not an e-mail address", email)
	}
	if utf8.RuneCountInString(password) < MinPasswordLength {
		return fmt.Errorf("password is shorter than %d characters", MinPasswordLength)
	}
	if len(password) > 72 {
		return fmt.Errorf("password is longer than 72 bytes (bcrypt's limit)")
	}
	hash, err := bcrypt.GenerateFromPassword([]byte(password), bcrypt.DefaultCost)
	if err != nil {
		return wrap("AddUser", err)
	}
	err = c.st.Exec(ctx, "INSERT INTO users (email, password_hash, created_at, deleted, version) VALUES ({e:String}, {h:String}, {t:DateTime('UTC')}, 0, {v:UInt64})",
		store.Params{"e": strings.ToLower(addr.Address), "h": string(hash), "t": c.nowText(), "v": c.version()})
	return wrap("AddUser", err)
}

// CheckPassword reports whether email and password belong to a user. It spends the same
// bcrypt time for unknown users, so response times do not reveal which e-mails exist.
func (c *Catalog) CheckPassword(ctx context.Context, email, password string) (bool, error) {
	res, err := c.st.Query(ctx, "SELECT password_hash FROM users FINAL WHERE email = {e:String} AND deleted = 0",
		store.Params{"e": strings.ToLower(strings.TrimSpace(email))})
	if err != nil {
		return false, wrap("CheckPassword", err)
	}
	hash := dummyHash
	if len(res.Rows) == 1 {
		hash = []byte(asString(res.Rows[0][0]))
	}
	ok := bcrypt.CompareHashAndPassword(hash, []byte(password)) == nil
	return ok && len(res.Rows) == 1, nil
}

func normEmail(email string) string { return strings.ToLower(strings.TrimSpace(email)) }

// SessionStamp is a value that changes whenever the user's row is written: it signs the
// user's session cookies. ErrNotFound when the user does not exist (or was removed).
func (c *Catalog) SessionStamp(ctx context.Context, email string) (string, error) {
	res, err := c.st.Query(ctx, "SELECT password_hash, toString(version) FROM users FINAL WHERE email = {e:String} AND deleted = 0",
		store.Params{"e": normEmail(email)})
	if err != nil {
		return "", wrap("SessionStamp", err)
	}
	if len(res.Rows) != 1 {
		return "", ErrNotFound
	}
	hash := asString(res.Rows[0][0])
	if len(hash) > 16 {
		hash = hash[len(hash)-16:]
	}
	return hash + "|" + asString(res.Rows[0][1]), nil
}

// EndSessions ends every session of the user, in every browser: it writes the user's
// row again, unchanged but for a higher version.
func (c *Catalog) EndSessions(ctx context.Context, email string) error {
	err := c.st.Exec(ctx, `INSERT INTO users (email, password_hash, created_at, deleted, version)
		SELECT email, password_hash, created_at, 0, {v:UInt64} FROM users FINAL WHERE email = {e:String} AND deleted = 0`,
		store.Params{"e": normEmail(email), "v": c.version()})
	return wrap("EndSessions", err)
}

// RemoveUser deletes a dashboard user, which ends the user's sessions. ErrNotFound when
// there is no such user.
func (c *Catalog) RemoveUser(ctx context.Context, email string) error {
	if _, err := c.SessionStamp(ctx, email); err != nil {
		return err
	}
	err := c.st.Exec(ctx, "INSERT INTO users (email, password_hash, created_at, deleted, version) VALUES ({e:String}, '', {t:DateTime('UTC')}, 1, {v:UInt64})",
		store.Params{"e": normEmail(email), "t": c.nowText(), "v": c.version()})
	return wrap("RemoveUser", err)
}

var dummyHash, _ = bcrypt.GenerateFromPassword([]byte("not a real password, only for timing"), bcrypt.DefaultCost)
