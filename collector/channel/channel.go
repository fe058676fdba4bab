// Package channel attributes a visit: source, medium, campaign, term and content from
// the page URL's utm_* tags and ad click ids, the referrer's domain, and the default
// channel group computed by GA4's published rules, so numbers line up with what
// marketers know from Google Analytics. Omnistat adds "AI Assistants" (ChatGPT,
// Perplexity, Claude, ...) ahead of Referral, and "Offline" for server-side events that
// name no web channel. The source lists are data (sources.txt), not code.
package channel

import (
	_ "embed"
	"net/url"
	"strings"
	"unicode/utf8"
)

// Channel groups.
const (
	Direct         = "Direct"
	CrossNetwork   = "Cross-network"
	PaidShopping   = "Paid Shopping"
	PaidSearch     = "Paid Search"
	PaidSocial     = "Paid Social"
	PaidVideo      = "Paid Video"
	Display        = "Display"
	PaidOther      = "Paid Other"
	OrganicShop    = "Organic Shopping"
	OrganicSocial  = "Organic Social"
	OrganicVideo   = "Organic Video"
	OrganicSearch  = "Organic Search"
	AIAssistants   = "AI Assistants"
	Referral       = "Referral"
	Email          = "Email"
	Affiliates     = "Affiliates"
	Audio          = "Audio"
	SMS            = "SMS"
	MobilePush     = "Mobile Push Notifications"
	Unassigned     = "Unassigned"
	Offline        = "Offline"
	mediumNone     = "(none)"
	sourceDirect   = "(direct)"
	maxFieldLength = 200
)

// Channels lists every channel group, in the order rules are evaluated.
var Channels = []string{Direct, CrossNetwork, PaidShopping, PaidSearch, PaidSocial, PaidVideo, Display, PaidOther,
	OrganicShop, OrganicSocial, OrganicVideo, OrganicSearch, AIAssistants, Referral, Email, Affiliates, Audio, SMS,
	MobilePush, Unassigned, Offline}

// Canonical is name spelled as reports spell the channel group it names in any case
// ("email" -> Email), or name itself, trimmed, when it names none (an offline channel
// of the site's own, such as Store).
func Canonical(name string) string {
	name = strings.TrimSpace(name)
	for _, ch := range Channels {
		if strings.EqualFold(ch, name) {
			return ch
		}
	}
	return name
}

// Input is what a visit's attribution is read from.
type Input struct {
	PageURL  string   // full URL of the page, with its query string
	Page     *url.URL // the same, already parsed (the collector has it); wins over PageURL
	Referrer string   // document.referrer
	PageHost string   // the page's normalised host, to recognise internal navigation
}

// Result is a visit's attribution.
type Result struct {
	Channel, Source, Medium, Campaign, Term, Content string
	ClickID                                          string // which ad click id was present: gclid, msclkid, ...
	ReferrerDomain                                   string // lowercased, without www.; empty when internal or none
}

// clickIDs maps an ad click id parameter to the network it implies. paid ids come only
// from ads; fbclid is added by Facebook to organic links too, so it names the source
// but does not make the visit paid.
var clickIDs = []struct {
	param, source, medium string
	paid                  bool
}{
	{"gclid", "Google", "cpc", true},
	{"gbraid", "Google", "cpc", true},
	{"wbraid", "Google", "cpc", true},
	{"dclid", "Google", "display", true},
	{"msclkid", "Bing", "cpc", true},
	{"ttclid", "TikTok", "paid_social", true},
	{"li_fat_id", "LinkedIn", "paid_social", true},
	{"twclid", "X", "paid_social", true},
	{"yclid", "Yandex", "cpc", true},
	{"epik", "Pinterest", "paid_social", true},
	{"ScCid", "Snapchat", "paid_social", true},
	{"fbclid", "Facebook", "", false},
}

// GA4's regular expressions, as string tests (Classify runs on every event):
// paid medium ^(.*cp.*|ppc|retargeting|paid.*)$, shopping campaign
// ^(.*(([^a-df-z]|^)shop|shopping).*)$, video medium ^(.*video.*)$.
func isPaidMedium(m string) bool {
	return strings.Contains(m, "cp") || m == "ppc" || m == "retargeting" || strings.HasPrefix(m, "paid")
}

func isShopCampaign(c string) bool {
	if strings.Contains(c, "shopping") {
		return true
	}
	for i := 0; ; {
		j := strings.Index(c[i:], "shop")
		if j < 0 {
			return false
		}
		at := i + j
		if at == 0 || !(c[at-1] >= 'a' && c[at-1] <= 'd' || c[at-1] >= 'f' && c[at-1] <= 'z') {
			return true
		}
		i = at + 1
	}
}

// Classify attributes one visit.
func Classify(in Input) Result {
	var r Result
	var q url.Values
	if in.Page != nil {
		q = in.Page.Query()
	} else if u, err := url.Parse(in.PageURL); err == nil {
		q = u.Query()
	}
	get := func(k string) string { return clip(strings.TrimSpace(q.Get(k))) }
	r.Source, r.Medium, r.Campaign = get("utm_source"), strings.ToLower(get("utm_medium")), get("utm_campaign")
	r.Term, r.Content = get("utm_term"), get("utm_content")
	tagged := r.Source != "" || r.Medium != ""
	refParam := false
	if r.Source == "" {
		// ?ref=producthunt and ?source=... are common untagged campaign markers.
		if v := get("ref"); v != "" {
			r.Source, refParam = v, true
		} else if v := get("source"); v != "" {
			r.Source, refParam = v, true
		}
	}

	refHost := hostOf(in.Referrer)
	pageHost := strings.TrimPrefix(strings.ToLower(in.PageHost), "www.")
	if refHost != "" && !sameSite(refHost, pageHost) {
		r.ReferrerDomain = refHost
	}
	known, knownOK := lookup(r.ReferrerDomain)

	for _, c := range clickIDs {
		if q.Has(c.param) {
			r.ClickID = c.param
			if r.Source == "" && (c.paid || r.ReferrerDomain == "") {
				r.Source = c.source
			}
			if r.Medium == "" && c.medium != "" {
				r.Medium = c.medium
			}
			break
		}
	}
	fromReferrer := false
	if r.Source == "" {
		switch {
		case knownOK:
			r.Source, fromReferrer = known.name, true
		case r.ReferrerDomain != "":
			r.Source, fromReferrer = r.ReferrerDomain, true
		}
	}
	if r.Medium == "" {
		switch {
		case r.Source == "":
			r.Medium = mediumNone
		case fromReferrer && known.category == "search":
			r.Medium = "organic"
		case fromReferrer || refParam:
			r.Medium = "referral"
		case tagged || r.ClickID != "":
			r.Medium = "(not set)"
		}
	}
	r.Channel = group(r)
	if r.Source == "" {
		r.Source = sourceDirect
	}
	// A known source tagged in another case (utm_source=google, =FACEBOOK) is the
	// source visitors from its links are counted under (Google, Facebook): one row in
	// the sources report, not two.
	if name, ok := spelled[strings.ToLower(r.Source)]; ok {
		r.Source = name
	}
	return r
}

// group applies GA4's default channel group rules in their order.
func group(r Result) string {
	src := strings.ToLower(r.Source)
	med := r.Medium
	camp := strings.ToLower(r.Campaign)
	cat := sourceCategory(src)
	paid := isPaidMedium(med)
	switch {
	case src == "" && (med == mediumNone || med == "(not set)"):
		return Direct
	case strings.Contains(camp, "cross-network"):
		return CrossNetwork
	case (cat == "shopping" || isShopCampaign(camp)) && paid:
		return PaidShopping
	case cat == "search" && paid:
		return PaidSearch
	case cat == "social" && paid:
		return PaidSocial
	case cat == "video" && paid:
		return PaidVideo
	case oneOf(med, "display", "banner", "expandable", "interstitial", "cpm"):
		return Display
	case paid:
		return PaidOther
	case cat == "shopping" || isShopCampaign(camp):
		return OrganicShop
	case cat == "social" || oneOf(med, "social", "social-network", "social-media", "sm", "social network", "social media"):
		return OrganicSocial
	case cat == "video" || strings.Contains(med, "video"):
		return OrganicVideo
	case cat == "search" || med == "organic":
		return OrganicSearch
	case cat == "ai":
		return AIAssistants
	case oneOf(med, "referral", "app", "link"):
		return Referral
	case oneOf(src, "email", "e-mail", "e_mail", "e mail", "newsletter") || oneOf(med, "email", "e-mail", "e_mail", "e mail", "newsletter"):
		return Email
	case med == "affiliate":
		return Affiliates
	case med == "audio":
		return Audio
	case src == "sms" || med == "sms":
		return SMS
	case strings.HasSuffix(med, "push") || strings.Contains(med, "mobile") || strings.Contains(med, "notification") || src == "firebase":
		return MobilePush
	}
	return Unassigned
}

func oneOf(s string, set ...string) bool {
	for _, x := range set {
		if s == x {
			return true
		}
	}
	return false
}

// hostOf returns a URL's host, lowercased, without "www." and port; "" if none.
func hostOf(raw string) string {
	if raw == "" || len(raw) > 4096 {
		return ""
	}
	u, err := url.Parse(raw)
	if err != nil || u.Host == "" {
		return ""
	}
	if u.Scheme != "http" && u.Scheme != "https" && u.Scheme != "android-app" {
		return ""
	}
	h := strings.TrimSuffix(strings.ToLower(u.Hostname()), ".")
	return clip(strings.TrimPrefix(h, "www."))
}

// sameSite reports internal navigation: the same host, or one a subdomain of the other.
func sameSite(a, b string) bool {
	if a == "" || b == "" {
		return false
	}
	return a == b || strings.HasSuffix(a, "."+b) || strings.HasSuffix(b, "."+a)
}

// clip cuts s to maxFieldLength bytes at a character boundary: a cut inside a
// multi-byte character would store a broken one (and the engine would show it as
// U+FFFD), so a campaign named in Cyrillic or with an emoji would read wrong.
func clip(s string) string {
	if len(s) <= maxFieldLength {
		return s
	}
	i := maxFieldLength
	for i > 0 && !utf8.RuneStart(s[i]) {
		i--
	}
	return s[:i]
}
