package catalog

import (
	"context"
	"fmt"
	"net/url"
	"regexp"
	"strings"
	"sync"
	"time"
	"unicode"
	"unicode/utf8"

	"golang.org/x/net/idna"

	"github.com/omnistat/omnistat/collector/channel"
	"github.com/omnistat/omnistat/store"
)

// Link is a tracked link (/r/{slug}) for e-mails, social posts and QR codes: a click
// is recorded with the link's campaign and channel, then the visitor is sent on to
// Target. Targets are fixed when the link is made, so /r/ is never an open redirect.
type Link struct {
	Slug     string `json:"slug"`
	SiteID   uint32 `json:"-"`
	Target   string `json:"target"`
	Campaign string `json:"campaign"`
	Channel  string `json:"channel"`
	Source   string `json:"source"`
	Medium   string `json:"medium"`
}

var slugRE = regexp.MustCompile(`^[A-Za-z0-9][A-Za-z0-9_-]{0,63}$`)

// linkCache holds links by slug; tracked-link clicks must not cost a query each.
type linkCache struct {
	mu     sync.Mutex
	bySlug map[string]Link
	at     time.Time
}

// AddLink validates and stores a link. A slug already in use is an error.
func (c *Catalog) AddLink(ctx context.Context, l Link) (Link, error) {
	if !slugRE.MatchString(l.Slug) {
		return Link{}, fmt.Errorf("slug %q must be 1–64 letters, digits, '-' or '_'", l.Slug)
	}
	target, err := NormalizeTarget(l.Target)
	if err != nil {
		return Link{}, err
	}
	l.Target = target
	if l.Channel, err = linkChannel(l.Channel); err != nil {
		return Link{}, err
	}
	for name, v := range map[string]string{"campaign": l.Campaign, "source": l.Source, "medium": l.Medium} {
		if utf8.RuneCountInString(v) > 200 {
			return Link{}, fmt.Errorf("%s is longer than 200 characters", name)
		}
	}
	if _, err := c.LinkBySlug(ctx, l.Slug); err == nil {
		return Link{}, fmt.Errorf("slug %q is already used", l.Slug)
	}
	err = c.st.Exec(ctx, `INSERT INTO links (slug, site_id, target, campaign, channel, source, medium, created_at, deleted, version)
		VALUES ({slug:String}, {site:UInt32}, {target:String}, {campaign:String}, {channel:String}, {source:String}, {medium:String}, {t:DateTime('UTC')}, 0, {v:UInt64})`,
		store.Params{"slug": l.Slug, "site": fmt.Sprint(l.SiteID), "target": l.Target, "campaign": l.Campaign, "channel": l.Channel,
			"source": l.Source, "medium": l.Medium, "t": c.nowText(), "v": c.version()})
	if err != nil {
		return Link{}, wrap("AddLink", err)
	}
	c.links.mu.Lock()
	c.links.bySlug = nil
	c.links.mu.Unlock()
	return l, nil
}

// NormalizeTarget checks that a link's target is an absolute http(s) URL and returns it
// percent-encoded, so what is stored and sent as Location is a valid URL even when the
// target was pasted with spaces or other characters a URL may not hold
// ("https://shop.example/a b" becomes "https://shop.example/a%20b").
func NormalizeTarget(raw string) (string, error) {
	bad := fmt.Errorf("target must be an absolute http(s) URL of at most 2048 characters")
	u, err := url.Parse(strings.TrimSpace(raw))
	if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
		return "", bad
	}
	if strings.ContainsFunc(u.Host, func(r rune) bool { return r > 0x7e }) { // bücher.example → xn--bcher-kva.example
		host, err := idna.Lookup.ToASCII(u.Hostname())
		if err != nil {
			return "", fmt.Errorf("target host %q is not a valid host name", u.Hostname())
		}
		if p := u.Port(); p != "" {
			host += ":" + p
		}
		u.Host = host
	}
	if strings.ContainsAny(u.Host, " %") {
		return "", fmt.Errorf("target host %q is not a valid host name", u.Host)
	}
	u.RawQuery = escapeURLPart(u.RawQuery)
	out := u.String()
	if len(out) > 2048 {
		return "", bad
	}
	return out, nil
}

// escapeURLPart percent-encodes the bytes a URL's query may not hold as they are,
// keeping its reserved characters and valid %XX escapes (url.URL.String re-escapes
// the path and fragment, not the query).
func escapeURLPart(s string) string {
	const hex = "0123456789ABCDEF"
	var b strings.Builder
	for i := 0; i < len(s); i++ {
		ch := s[i]
		switch {
		case ch == '%' && i+2 < len(s) && isHex(s[i+1]) && isHex(s[i+2]):
			b.WriteByte(ch)
		case ch > ' ' && ch < 0x7f && !strings.ContainsRune("\"<>\\^`{|}%", rune(ch)):
			b.WriteByte(ch)
		default:
			b.WriteByte('%')
			b.WriteByte(hex[ch>>4])
			b.WriteByte(hex[ch&15])
		}
	}
	return b.String()
}

func isHex(c byte) bool {
	return '0' <= c && c <= '9' || 'a' <= c && c <= 'f' || 'A' <= c && c <= 'F'
}

// maxLinkChannel is the longest channel name, as for a server-side event's channel.
const maxLinkChannel = 64

// linkChannel returns the channel a link's clicks are counted in. Empty keeps the
// default (the channel the target URL's own tags give). A channel group of reports is
// spelled as reports spell it, whatever the case it was given in, so "email" does not
// become a channel of its own beside Email. Other names are offline channels of the
// site's own (a QR code on a shop poster: Store), as server-side events may name them,
// so that a journey shows the poster and the purchase in the shop under one channel.
func linkChannel(name string) (string, error) {
	name = channel.Canonical(name)
	if name == "" {
		return "", nil
	}
	if utf8.RuneCountInString(name) > maxLinkChannel || !utf8.ValidString(name) {
		return "", fmt.Errorf("channel must be valid text of at most %d characters", maxLinkChannel)
	}
	for _, r := range name {
		if unicode.IsControl(r) {
			return "", fmt.Errorf("channel %q contains a control character", name)
		}
	}
	return name, nil
}

// DeleteLink removes a link of the site.
func (c *Catalog) DeleteLink(ctx context.Context, siteID uint32, slug string) error {
	l, err := c.LinkBySlug(ctx, slug)
	if err != nil || l.SiteID != siteID {
		return ErrNotFound
	}
	err = c.st.Exec(ctx, `INSERT INTO links (slug, site_id, target, campaign, channel, source, medium, created_at, deleted, version)
		VALUES ({slug:String}, {site:UInt32}, '', '', '', '', '', {t:DateTime('UTC')}, 1, {v:UInt64})`,
		store.Params{"slug": slug, "site": fmt.Sprint(siteID), "t": c.nowText(), "v": c.version()})
	c.links.mu.Lock()
	c.links.bySlug = nil
	c.links.mu.Unlock()
	return wrap("DeleteLink", err)
}

// Links lists a site's links.
func (c *Catalog) Links(ctx context.Context, siteID uint32) ([]Link, error) {
	all, err := c.loadLinks(ctx, false)
	if err != nil {
		return nil, err
	}
	out := []Link{}
	for _, l := range all {
		if l.SiteID == siteID {
			out = append(out, l)
		}
	}
	for i := 1; i < len(out); i++ {
		for j := i; j > 0 && out[j].Slug < out[j-1].Slug; j-- {
			out[j], out[j-1] = out[j-1], out[j]
		}
	}
	return out, nil
}

// LinkBySlug finds a link, reloading the cache at most once a second on a miss.
func (c *Catalog) LinkBySlug(ctx context.Context, slug string) (Link, error) {
	all, err := c.loadLinks(ctx, false)
	if err != nil {
		return Link{}, err
	}
	if l, ok := all[slug]; ok {
		return l, nil
	}
	if all, err = c.loadLinks(ctx, true); err != nil {
		return Link{}, err
	}
	if l, ok := all[slug]; ok {
		return l, nil
	}
	return Link{}, ErrNotFound
}

func (c *Catalog) loadLinks(ctx context.Context, force bool) (map[string]Link, error) {
	lc := &c.links
	lc.mu.Lock()
	defer lc.mu.Unlock()
	if lc.bySlug != nil && (!force || c.now().Sub(lc.at) < c.minReload) {
		return lc.bySlug, nil
	}
	res, err := c.st.Query(ctx, "SELECT slug, site_id, target, campaign, channel, source, medium FROM links FINAL WHERE deleted = 0", nil)
	if err != nil {
		return nil, wrap("loadLinks", err)
	}
	m := make(map[string]Link, len(res.Rows))
	for _, r := range res.Rows {
		l := Link{Slug: asString(r[0]), SiteID: uint32(store.Uint(r[1])), Target: asString(r[2]), Campaign: asString(r[3]),
			Channel: asString(r[4]), Source: asString(r[5]), Medium: asString(r[6])}
		m[l.Slug] = l
	}
	lc.bySlug, lc.at = m, c.now()
	return m, nil
}
