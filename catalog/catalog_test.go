package catalog_test

import (
	"context"
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/omnistat/omnistat/catalog"
	"github.com/omnistat/omnistat/schema"
	"github.com/omnistat/omnistat/store/embedded/embeddedtest"
)

func TestMain(m *testing.M) { embeddedtest.Main(m) }

func newCatalog(t *testing.T) *catalog.Catalog {
	st := embeddedtest.Open(t)
	if _, err := schema.Migrate(context.Background(), st, schema.Options{}); err != nil {
		t.Fatal(err)
	}
	return catalog.New(st)
}

func TestSites(t *testing.T) {
	c := newCatalog(t)
	ctx := context.Background()
	a, err := c.AddSite(ctx, "Shop.Example", "Europe/Berlin")
	if err != nil {
		t.Fatal(err)
	}
	b, err := c.AddSite(ctx, "blog.example", "")
	if err != nil {
		t.Fatal(err)
	}
	if a.ID != 1 || b.ID != 2 || a.Domain != "shop.example" || b.Timezone != "UTC" {
		t.Fatalf("got %+v and %+v", a, b)
	}
	if _, err := c.AddSite(ctx, "www.shop.example", ""); err == nil || !strings.Contains(err.Error(), "already exists") {
		t.Fatalf("duplicate site: err = %v", err)
	}
	for _, bad := range []struct{ domain, tz, want string }{
		{"https://x.example/", "", "not a host name"},
		{"", "", "empty"},
		{"x.example", "Mars/Olympus", "not an IANA time zone"},
		{"x.example:8080", "", "not a host name"},
	} {
		if _, err := c.AddSite(ctx, bad.domain, bad.tz); err == nil || !strings.Contains(err.Error(), bad.want) {
			t.Errorf("AddSite(%q, %q) = %v; want an error saying %q", bad.domain, bad.tz, err, bad.want)
		}
	}
	// A second Catalog (another process, say the CLI) sees the sites.
	other := catalog.New(catalog.StoreOf(t, c))
	got, err := other.SiteByDomain(ctx, "SHOP.example")
	if err != nil || got.ID != a.ID || got.Timezone != "Europe/Berlin" {
		t.Fatalf("SiteByDomain = %+v, %v", got, err)
	}
	if _, err := other.SiteByDomain(ctx, "nope.example"); err != catalog.ErrNotFound {
		t.Fatalf("unknown site: err = %v; want ErrNotFound", err)
	}
}

func TestKeys(t *testing.T) {
	c := newCatalog(t)
	ctx := context.Background()
	s, _ := c.AddSite(ctx, "shop.example", "")
	full, k, err := c.CreateKey(ctx, "ci", []uint32{s.ID})
	if err != nil {
		t.Fatal(err)
	}
	if !strings.HasPrefix(full, "os_") || len(full) < 60 {
		t.Fatalf("key %q does not look like a key", full)
	}
	got, err := catalog.New(catalog.StoreOf(t, c)).VerifyKey(ctx, full)
	if err != nil || got.ID != k.ID || !got.CanRead(s.ID) || got.CanRead(s.ID+1) {
		t.Fatalf("VerifyKey = %+v, %v", got, err)
	}
	for _, bad := range []string{"", "os_", full[:len(full)-1] + "0", "xx" + full[2:], full + "a"} {
		if bad == full {
			continue
		}
		if _, err := c.VerifyKey(ctx, bad); err != catalog.ErrBadKey {
			t.Errorf("VerifyKey(%q) = %v; want ErrBadKey", bad, err)
		}
	}
}

func TestUsers(t *testing.T) {
	c := newCatalog(t)
	ctx := context.Background()
	if err := c.AddUser(ctx, "Ann@Example.com", "correct horse battery"); err != nil {
		t.Fatal(err)
	}
	if err := c.AddUser(ctx, "not an email", "correct horse battery"); err == nil {
		t.Error("bad e-mail accepted")
	}
	if err := c.AddUser(ctx, "b@example.com", "short"); err == nil {
		t.Error("short password accepted")
	}
	for _, tc := range []struct {
		email, pw string
		ok        bool
	}{{"ann@example.com", "correct horse battery", true}, {"ANN@example.com", "correct horse battery", true},
		{"ann@example.com", "wrong horse battery", false}, {"bob@example.com", "correct horse battery", false}} {
		ok, err := c.CheckPassword(ctx, tc.email, tc.pw)
		if err != nil || ok != tc.ok {
			t.Errorf("CheckPassword(%q, %q) = %v, %v; want %v", tc.email, tc.pw, ok, err, tc.ok)
		}
	}
}

// A user's sessions end on every server of a store: the stamp they are signed over is
// read from the store, so ending them on one server changes it for another.
func TestSessionStampIsSharedByServers(t *testing.T) {
	c := newCatalog(t)
	other := catalog.New(catalog.StoreOf(t, c))
	ctx := context.Background()
	if err := c.AddUser(ctx, "ann@example.com", "correct horse battery"); err != nil {
		t.Fatal(err)
	}
	before, err := other.SessionStamp(ctx, "Ann@example.com")
	if err != nil {
		t.Fatal(err)
	}
	if err := c.EndSessions(ctx, "ann@example.com"); err != nil {
		t.Fatal(err)
	}
	after, err := other.SessionStamp(ctx, "ann@example.com")
	if err != nil || after == before {
		t.Fatalf("stamp after EndSessions on another server: %q, %v; was %q", after, err, before)
	}
	if ok, _ := other.CheckPassword(ctx, "ann@example.com", "correct horse battery"); !ok {
		t.Fatal("EndSessions changed the password")
	}
	if err := c.RemoveUser(ctx, "ann@example.com"); err != nil {
		t.Fatal(err)
	}
	if _, err := other.SessionStamp(ctx, "ann@example.com"); !errors.Is(err, catalog.ErrNotFound) {
		t.Fatalf("stamp of a removed user: %v; want ErrNotFound", err)
	}
}

func TestLinks(t *testing.T) {
	c := newCatalog(t)
	ctx := context.Background()
	s, _ := c.AddSite(ctx, "shop.example", "")
	l, err := c.AddLink(ctx, catalog.Link{Slug: "spring-mail", SiteID: s.ID, Target: "https://shop.example/sale?x=1", Campaign: "spring", Channel: "Email"})
	if err != nil {
		t.Fatal(err)
	}
	got, err := catalog.New(catalog.StoreOf(t, c)).LinkBySlug(ctx, "spring-mail")
	if err != nil || got != l {
		t.Fatalf("LinkBySlug = %+v, %v; want %+v", got, err, l)
	}
	for _, bad := range []catalog.Link{
		{Slug: "spring-mail", SiteID: s.ID, Target: "https://shop.example/"},
		{Slug: "has space", SiteID: s.ID, Target: "https://shop.example/"},
		{Slug: "js", SiteID: s.ID, Target: "javascript:alert(1)"},
		{Slug: "rel", SiteID: s.ID, Target: "/relative"},
		{Slug: "ctl-channel", SiteID: s.ID, Target: "https://shop.example/", Channel: "Store\x00"},
		{Slug: "long-channel", SiteID: s.ID, Target: "https://shop.example/", Channel: strings.Repeat("x", 65)},
	} {
		if _, err := c.AddLink(ctx, bad); err == nil {
			t.Errorf("AddLink(%+v) succeeded; want an error", bad)
		}
	}
	if err := c.DeleteLink(ctx, s.ID+1, "spring-mail"); err != catalog.ErrNotFound {
		t.Fatalf("another site deleted the link: %v", err)
	}
	if err := c.DeleteLink(ctx, s.ID, "spring-mail"); err != nil {
		t.Fatal(err)
	}
	if _, err := c.LinkBySlug(ctx, "spring-mail"); err != catalog.ErrNotFound {
		t.Fatalf("deleted link still found: %v", err)
	}
}

func TestKeyRevokeAndSecret(t *testing.T) {
	c := newCatalog(t)
	ctx := context.Background()
	s, _ := c.AddSite(ctx, "shop.example", "")
	full, k, _ := c.CreateKey(ctx, "ci", []uint32{s.ID})
	keys, err := c.Keys(ctx, s.ID)
	if err != nil || len(keys) != 1 || keys[0].ID != k.ID {
		t.Fatalf("Keys = %v, %v", keys, err)
	}
	if err := c.RevokeKey(ctx, k.ID); err != nil {
		t.Fatal(err)
	}
	if _, err := catalog.New(catalog.StoreOf(t, c)).VerifyKey(ctx, full); err != catalog.ErrBadKey {
		t.Fatalf("revoked key verified: %v", err)
	}
	a, err := c.Secret(ctx, "session")
	if err != nil || len(a) != 32 {
		t.Fatalf("Secret = %x, %v", a, err)
	}
	b, _ := catalog.New(catalog.StoreOf(t, c)).Secret(ctx, "session")
	if string(a) != string(b) {
		t.Fatal("the secret changed between reads")
	}
}

// Shared links made on one server work on another at once; a revoke is seen at once
// by the server that made it; passwords are checked against the bcrypt hash only.
func TestSharesAcrossServers(t *testing.T) {
	a := newCatalog(t)
	b := catalog.New(catalog.StoreOf(t, a))
	ctx := context.Background()
	site, err := a.AddSite(ctx, "shop.example", "")
	if err != nil {
		t.Fatal(err)
	}
	if _, err := b.ShareByID(ctx, "AAAAAAAAAAAAAAAAAAAAAA"); err != catalog.ErrNotFound {
		t.Fatalf("unknown id: %v", err) // b's cache is now loaded, and empty
	}
	s, err := a.CreateShare(ctx, site.ID, "board", "let me in please")
	if err != nil {
		t.Fatal(err)
	}
	time.Sleep(1100 * time.Millisecond) // b looks again on a miss at most once a second
	got, err := b.ShareByID(ctx, s.ID)
	if err != nil || got.SiteID != site.ID || !got.HasPassword {
		t.Fatalf("the other server sees %+v, %v", got, err)
	}
	if got.CheckPassword("let me in") || !got.CheckPassword("let me in please") {
		t.Fatal("password check")
	}
	if err := b.RevokeShare(ctx, site.ID+1, s.ID); err != catalog.ErrNotFound {
		t.Fatalf("revoke through another site: %v", err)
	}
	if err := b.RevokeShare(ctx, site.ID, s.ID); err != nil {
		t.Fatal(err)
	}
	if _, err := b.ShareByID(ctx, s.ID); err != catalog.ErrNotFound {
		t.Fatalf("after revoke: %v", err)
	}
	list, err := a.Shares(ctx, site.ID)
	if err != nil || len(list) != 0 {
		t.Fatalf("a lists %v, %v after b revoked", list, err)
	}
	if _, err := a.CreateShare(ctx, site.ID, "x", "short"); err == nil || !strings.Contains(err.Error(), "password") {
		t.Fatalf("short password: %v", err)
	}
}

// Names are limited in characters, as the errors say: a goal or a campaign named in
// Japanese may be as long as one named in English.
func TestLimitsCountCharacters(t *testing.T) {
	c := newCatalog(t)
	ctx := context.Background()
	s, _ := c.AddSite(ctx, "shop.example", "")
	jp := strings.Repeat("登", 120) // 360 bytes
	if _, err := c.AddGoal(ctx, s.ID, catalog.Goal{Event: jp, Name: jp}); err != nil {
		t.Errorf("goal named with 120 characters: %v", err)
	}
	if _, err := c.AddGoal(ctx, s.ID, catalog.Goal{Event: jp + "登"}); err == nil || !strings.Contains(err.Error(), "120 characters") {
		t.Errorf("goal event of 121 characters: %v; want the 120-character limit", err)
	}
	if _, err := c.AddLink(ctx, catalog.Link{Slug: "jp", SiteID: s.ID, Target: "https://shop.example/", Campaign: strings.Repeat("夏", 200)}); err != nil {
		t.Errorf("link campaign of 200 characters: %v", err)
	}
	if _, _, err := c.CreateKey(ctx, strings.Repeat("鍵", 200), []uint32{s.ID}); err != nil {
		t.Errorf("key named with 200 characters: %v", err)
	}
}
