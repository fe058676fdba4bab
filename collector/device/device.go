// Package device reads what a User-Agent says about the visitor's device: device type
// (Desktop, Mobile, Tablet), browser and OS with versions, and whether it is a bot or
// an automated client, which the collector drops. Parsing is done by mssola/useragent;
// this package normalises its names, tells tablets from phones, adds the bot rules of
// bots.txt, and caches results, since the same few thousand User-Agents make up most
// traffic.
package device

import (
	_ "embed"
	"strings"
	"sync"

	"github.com/mssola/useragent"
)

// Device types.
const (
	Desktop = "Desktop"
	Mobile  = "Mobile"
	Tablet  = "Tablet"
)

// Info is what a User-Agent tells.
type Info struct {
	Device         string
	Browser        string
	BrowserVersion string // major.minor at most
	OS             string
	OSVersion      string
	Bot            bool
	BotReason      string // empty, length, keyword, library, crawler
}

//go:embed bots.txt
var botList string

// botKeywords are lowercase substrings that mark automated clients (embedded data, one
// per line, so the list can grow without code changes).
var botKeywords = func() []string {
	var out []string
	for _, line := range strings.Split(botList, "\n") {
		line = strings.ToLower(strings.TrimSpace(line))
		if line != "" && !strings.HasPrefix(line, "#") {
			out = append(out, line)
		}
	}
	return out
}()

// Parse reads a User-Agent without caching.
func Parse(ua string) Info {
	if strings.TrimSpace(ua) == "" {
		return Info{Bot: true, BotReason: "empty"}
	}
	if len(ua) < 12 || len(ua) > 1000 {
		return Info{Bot: true, BotReason: "length"}
	}
	lower := strings.ToLower(ua)
	for _, k := range botKeywords {
		if strings.Contains(lower, k) {
			return Info{Bot: true, BotReason: "keyword"}
		}
	}
	if !strings.HasPrefix(ua, "Mozilla/") && !strings.HasPrefix(ua, "Opera/") {
		// Every browser in use says Mozilla/5.0; what does not is a library or a tool.
		return Info{Bot: true, BotReason: "library"}
	}
	p := useragent.New(ua)
	if p.Bot() {
		return Info{Bot: true, BotReason: "crawler"}
	}
	in := Info{}
	name, version := p.Browser()
	in.Browser, in.BrowserVersion = browserName(name, ua), shortVersion(version)
	if in.Browser == "Samsung Internet" {
		in.BrowserVersion = shortVersion(tokenVersion(ua, "SamsungBrowser/"))
	}
	if in.Browser == "Silk" {
		in.BrowserVersion = shortVersion(tokenVersion(ua, "Silk/"))
	}
	os := p.OSInfo()
	in.OS, in.OSVersion = osName(os.Name, p.Platform()), os.Version

	switch {
	case p.Platform() == "iPad" || strings.Contains(ua, "Tablet") || strings.Contains(ua, "Silk/") || strings.Contains(ua, "Kindle"):
		in.Device = Tablet
	case in.OS == "Android" && !strings.Contains(ua, "Mobile"):
		// Android phones' browsers say "Mobile"; tablets' do not (Google's own rule).
		in.Device = Tablet
	case p.Mobile():
		in.Device = Mobile
	default:
		in.Device = Desktop
	}
	if in.Device == Tablet && in.OS == "iOS" {
		in.OS = "iPadOS"
	}
	if in.OS == "macOS" || in.OS == "Windows" || in.OS == "iOS" || in.OS == "iPadOS" {
		in.OSVersion = shortVersion(in.OSVersion)
	}
	if in.OS == "Linux" || in.OS == "ChromeOS" {
		in.OSVersion = ""
	}
	return in
}

func browserName(name, ua string) string {
	switch {
	case strings.Contains(ua, "SamsungBrowser/"):
		return "Samsung Internet"
	case strings.Contains(ua, "Silk/"):
		return "Silk"
	case strings.Contains(ua, "Edg/") || strings.Contains(ua, "EdgA/") || strings.Contains(ua, "EdgiOS/"):
		return "Edge"
	case strings.Contains(ua, "CriOS/"):
		return "Chrome"
	case strings.Contains(ua, "FxiOS/"):
		return "Firefox"
	}
	switch name {
	case "Internet Explorer":
		return "Internet Explorer"
	case "":
		return "Unknown"
	}
	return name
}

func osName(name, platform string) string {
	switch {
	case name == "Windows" || strings.HasPrefix(name, "Windows"):
		return "Windows"
	case name == "Mac OS X" || platform == "Macintosh":
		return "macOS"
	case name == "iPhone OS" || (name == "OS" && platform == "iPad") || platform == "iPhone" || platform == "iPod":
		return "iOS"
	case name == "Android":
		return "Android"
	case strings.HasPrefix(name, "CrOS"):
		return "ChromeOS"
	case name == "Linux" || strings.HasPrefix(name, "Linux") || strings.HasPrefix(name, "Ubuntu") || strings.HasPrefix(name, "Fedora"):
		return "Linux"
	case name == "":
		return "Unknown"
	}
	return name
}

// shortVersion keeps major.minor: "124.0.6367.118" → "124.0", "10_15_7" → "10.15".
func shortVersion(v string) string {
	v = strings.ReplaceAll(v, "_", ".")
	parts := strings.SplitN(v, ".", 3)
	if len(parts) > 2 {
		parts = parts[:2]
	}
	return strings.Join(parts, ".")
}

func tokenVersion(ua, token string) string {
	i := strings.Index(ua, token)
	if i < 0 {
		return ""
	}
	v := ua[i+len(token):]
	if j := strings.IndexAny(v, " ;)"); j >= 0 {
		v = v[:j]
	}
	return v
}

// Parser caches parsed User-Agents. The cache is bounded: when it is full it is
// cleared one shard at a time, which keeps memory fixed and costs at most a re-parse.
type Parser struct {
	shards [16]parserShard
	max    int
}

type parserShard struct {
	mu sync.RWMutex
	m  map[string]Info
}

// NewParser returns a parser caching up to size User-Agents.
func NewParser(size int) *Parser {
	p := &Parser{max: size/16 + 1}
	for i := range p.shards {
		p.shards[i].m = map[string]Info{}
	}
	return p
}

// Parse reads a User-Agent, from the cache when it was seen before.
func (p *Parser) Parse(ua string) Info {
	sh := &p.shards[fnv(ua)%uint32(len(p.shards))]
	sh.mu.RLock()
	in, ok := sh.m[ua]
	sh.mu.RUnlock()
	if ok {
		return in
	}
	in = Parse(ua)
	sh.mu.Lock()
	if len(sh.m) >= p.max {
		sh.m = map[string]Info{}
	}
	sh.m[ua] = in
	sh.mu.Unlock()
	return in
}

func fnv(s string) uint32 {
	h := uint32(2166136261)
	for i := 0; i < len(s); i++ {
		h ^= uint32(s[i])
		h *= 16777619
	}
	return h
}
