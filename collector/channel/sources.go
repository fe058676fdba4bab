package channel

import (
	_ "embed"
	"regexp"
	"strings"
)

//go:embed sources.txt
var sourcesFile string

type entry struct {
	category, name string
}

// byDomain and byName are built once from sources.txt; spelled maps a known source's
// name, lowercased, to the way the file spells it.
var spelled = map[string]string{}

var byDomain, byName = func() (map[string]entry, map[string]string) {
	d, n := map[string]entry{}, map[string]string{}
	for _, line := range strings.Split(sourcesFile, "\n") {
		line = strings.TrimSpace(line)
		if line == "" || strings.HasPrefix(line, "#") {
			continue
		}
		f := strings.Fields(line)
		if len(f) < 3 {
			panic("BUG: channel/sources.txt: bad line " + line)
		}
		e := entry{category: f[0], name: strings.Join(f[2:], " ")}
		d[f[1]] = e
		n[strings.ToLower(e.name)] = e.category
		n[f[1]] = e.category
		spelled[strings.ToLower(e.name)] = e.name
	}
	return d, n
}()

// Search engines' country domains: google.co.uk, google.de, bing.com.au, yandex.kz ...
var countryDomain = regexp.MustCompile(`^(?:[a-z0-9-]+\.)*(google|bing|yahoo|yandex|baidu|ecosia|qwant|amazon|ebay)\.(?:com?\.)?[a-z]{2,3}$`)

// lookup finds a referrer domain, trying ever shorter suffixes (news.google.com →
// google.com), then the country-domain rule.
func lookup(domain string) (entry, bool) {
	if domain == "" {
		return entry{}, false
	}
	for d := domain; d != ""; {
		if e, ok := byDomain[d]; ok {
			return e, true
		}
		i := strings.IndexByte(d, '.')
		if i < 0 {
			break
		}
		d = d[i+1:]
	}
	if m := countryDomain.FindStringSubmatch(domain); m != nil {
		if e, ok := byDomain[m[1]+".com"]; ok {
			return e, true
		}
	}
	return entry{}, false
}

// sourceCategory is the category of a source given as a name ("Google"), a utm value
// ("google", "facebook.com") or a domain.
func sourceCategory(src string) string {
	if src == "" {
		return ""
	}
	if c, ok := byName[src]; ok {
		return c
	}
	if e, ok := lookup(src); ok {
		return e.category
	}
	// utm_source=google, utm_source=fb, ig: GA4 matches these short forms too.
	switch src {
	case "google", "bing", "yahoo", "duckduckgo", "baidu", "yandex", "ecosia", "naver":
		return "search"
	case "fb", "facebook", "ig", "instagram", "twitter", "x", "linkedin", "pinterest", "reddit", "tiktok", "snapchat", "threads", "bluesky", "mastodon":
		return "social"
	case "youtube", "vimeo", "twitch":
		return "video"
	case "chatgpt", "openai", "perplexity", "claude", "gemini", "copilot":
		return "ai"
	}
	return ""
}
