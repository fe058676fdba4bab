package catalog

import (
	"context"
	"fmt"
	"net/mail"
	"strings"

	"golang.org/x/crypto/bcrypt"

	"github.com/omnistat/omnistat/store"
)

// MinPasswordLength is the shortest password a dashboard user may have.
const MinPasswordLength = 10

// AddUser creates (or resets the password of) a dashboard user. Passwords are stored as
// bcrypt hashes.
func (c *Catalog) AddUser(ctx context.Context, email, password string) error {
	addr, err := mail.ParseAddress(strings.TrimSpace(email))
	if err != nil || addr.Name != "" {
		return fmt.Errorf("email %q is not an e-mail address", email)
	}
	if len(password) < MinPasswordLength {
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

var dummyHash, _ = bcrypt.GenerateFromPassword([]byte("not a real password, only for timing"), bcrypt.DefaultCost)
