// Package querytest makes deterministic, realistic traffic for a site (visitors with
// visits, channels, devices, countries, pages, goals, funnels, content impressions and
// clicks, revenue), and computes what the reporting API must answer for it in plain Go,
// independently of the SQL. Golden tests compare the two; `omnistat demo` loads the
// same traffic so a new installation has a living dashboard.
package querytest

import (
	"fmt"
	"math/rand/v2"
	"time"

	"github.com/omnistat/omnistat/collector"
)

// Options shape the traffic.
type Options struct {
	SiteID   uint32
	Host     string
	Days     int       // days of traffic ending at End
	End      time.Time // the last instant of traffic
	Visitors int       // distinct visitors
	Seed     uint64
}

type source struct {
	channel, source, medium, campaign, referrer string
	weight                                      int
}

var sources = []source{
	{"Direct", "(direct)", "(none)", "", "", 30},
	{"Organic Search", "Google", "organic", "", "google.com", 25},
	{"Organic Search", "Bing", "organic", "", "bing.com", 4},
	{"Organic Search", "DuckDuckGo", "organic", "", "duckduckgo.com", 3},
	{"Paid Search", "Google", "cpc", "brand", "google.com", 6},
	{"Paid Search", "Google", "cpc", "generic-shoes", "google.com", 4},
	{"Organic Social", "Facebook", "referral", "", "facebook.com", 5},
	{"Organic Social", "X", "referral", "", "t.co", 3},
	{"Organic Social", "Reddit", "referral", "", "reddit.com", 3},
	{"Organic Social", "LinkedIn", "referral", "", "linkedin.com", 2},
	{"Paid Social", "Facebook", "paid_social", "spring-sale", "facebook.com", 3},
	{"Email", "newsletter", "email", "spring", "", 5},
	{"Email", "newsletter", "email", "summer", "", 2},
	{"Referral", "blog.partner.example", "referral", "", "blog.partner.example", 3},
	{"Referral", "news.ycombinator.com", "referral", "", "news.ycombinator.com", 2},
	{"AI Assistants", "ChatGPT", "referral", "", "chatgpt.com", 2},
	{"AI Assistants", "Perplexity", "referral", "", "perplexity.ai", 1},
	{"Affiliates", "awin", "affiliate", "partners", "", 1},
	{"Display", "dv360", "display", "retarget", "", 1},
	{"Organic Video", "YouTube", "referral", "", "youtube.com", 2},
	{"SMS", "sms", "sms", "flash", "", 1},
	{"Mobile Push Notifications", "app", "push", "reminder", "", 1},
	{"Audio", "spotify", "audio", "podcast", "", 1},
	{"Cross-network", "Google", "cpc", "pmax-cross-network", "google.com", 1},
	{"Unassigned", "flyer", "(not set)", "", "", 1},
}

type device struct {
	device, browser, version, os, osVersion string
	weight                                  int
}

var devices = []device{
	{"Desktop", "Chrome", "124.0", "Windows", "10", 30},
	{"Desktop", "Safari", "17.4", "macOS", "10.15", 12},
	{"Desktop", "Firefox", "125.0", "Linux", "", 4},
	{"Desktop", "Edge", "124.0", "Windows", "10", 6},
	{"Mobile", "Safari", "17.4", "iOS", "17.4", 22},
	{"Mobile", "Chrome", "124.0", "Android", "14", 18},
	{"Mobile", "Samsung Internet", "24.0", "Android", "13", 3},
	{"Tablet", "Safari", "17.4", "iPadOS", "17.4", 5},
}

type place struct {
	country, region, city string
	weight                int
}

var places = []place{
	{"US", "California", "San Francisco", 20}, {"US", "New York", "New York", 12}, {"DE", "Berlin", "Berlin", 10},
	{"GB", "England", "London", 10}, {"FR", "Île-de-France", "Paris", 7}, {"NL", "North Holland", "Amsterdam", 4},
	{"IN", "Karnataka", "Bengaluru", 6}, {"BR", "São Paulo", "São Paulo", 4}, {"JP", "Tokyo", "Tokyo", 4},
	{"CA", "Ontario", "Toronto", 4}, {"AU", "New South Wales", "Sydney", 3}, {"", "", "", 3},
}

// Pages: a few popular ones and a long tail.
func page(r *rand.Rand) string {
	top := []string{"/", "/pricing", "/features", "/blog", "/docs", "/signup", "/about"}
	if r.IntN(10) < 7 {
		return top[r.IntN(len(top))]
	}
	return fmt.Sprintf("/blog/post-%d", r.IntN(300))
}

func pick[T any](r *rand.Rand, items []T, weight func(T) int) T {
	total := 0
	for _, it := range items {
		total += weight(it)
	}
	n := r.IntN(total)
	for _, it := range items {
		if n -= weight(it); n < 0 {
			return it
		}
	}
	return items[len(items)-1]
}

// Generate makes the events, ordered by time within each visit.
func Generate(o Options) []collector.Event {
	if o.Host == "" {
		o.Host = "demo.example"
	}
	if o.Days <= 0 {
		o.Days = 30
	}
	if o.Visitors <= 0 {
		o.Visitors = 500
	}
	r := rand.New(rand.NewPCG(o.Seed, o.Seed^0x9e3779b97f4a7c15))
	start := o.End.Add(-time.Duration(o.Days) * 24 * time.Hour)
	span := o.End.Sub(start)
	var out []collector.Event
	var sessionID uint64 = 1
	for v := 0; v < o.Visitors; v++ {
		visitor := r.Uint64()
		dev := pick(r, devices, func(d device) int { return d.weight })
		pl := pick(r, places, func(p place) int { return p.weight })
		visits := 1 + r.IntN(3)*r.IntN(2)
		for s := 0; s < visits; s++ {
			src := pick(r, sources, func(s source) int { return s.weight })
			ts := start.Add(time.Duration(r.Int64N(int64(span - 2*time.Hour)))).Truncate(time.Millisecond)
			base := collector.Event{SiteID: o.SiteID, VisitorID: visitor, SessionID: sessionID, Channel: src.channel,
				Source: src.source, Medium: src.medium, Campaign: src.campaign, ReferrerDomain: src.referrer, Hostname: o.Host,
				Device: dev.device, Browser: dev.browser, BrowserVersion: dev.version, OS: dev.os, OSVersion: dev.osVersion,
				Country: pl.country, Region: pl.region, City: pl.city, Language: "en-us", Screen: 1280}
			if src.referrer != "" {
				base.Referrer = "https://" + src.referrer + "/"
			}
			sessionID++
			pages := 1 + r.IntN(4)
			if r.IntN(3) == 0 {
				pages = 1 // a third of visits see one page
			}
			for p := 0; p < pages; p++ {
				e := base
				e.Name, e.TS, e.Path, e.Title = "pageview", ts, page(r), "Page"
				if p == 0 && r.IntN(4) == 0 {
					e.Path = "/pricing"
				}
				out = append(out, e)
				dwell := time.Duration(5+r.IntN(120)) * time.Second
				if r.IntN(2) == 0 {
					en := e
					en.Name, en.TS, en.EngagedMS, en.Scroll = "engagement", ts.Add(dwell), uint32(dwell/time.Millisecond), uint8(10+r.IntN(91))
					out = append(out, en)
				}
				if e.Path == "/pricing" && r.IntN(2) == 0 {
					im := e
					im.Name, im.TS, im.ContentName, im.ContentPiece = "impression", ts.Add(2*time.Second), "pricing-table", "plans"
					out = append(out, im)
					if r.IntN(3) == 0 {
						cl := im
						cl.Name, cl.TS = "click", ts.Add(4*time.Second)
						out = append(out, cl)
					}
				}
				if e.Path == "/pricing" && r.IntN(4) == 0 {
					su := e
					su.Name, su.TS, su.Props = "signup", ts.Add(dwell/2), map[string]string{"plan": []string{"free", "pro", "team"}[r.IntN(3)]}
					if su.Props["plan"] != "free" {
						su.Revenue, su.Currency = int64(1900+r.IntN(8000))*100, "EUR"
					}
					out = append(out, su)
				}
				ts = ts.Add(dwell + time.Duration(r.IntN(60))*time.Second)
			}
		}
	}
	return out
}
