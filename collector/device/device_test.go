package device

import "testing"

func TestParse(t *testing.T) {
	cases := []struct {
		name, ua                              string
		device, browser, bver, os, osver, bot string
	}{
		{"Chrome Windows", "Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/124.0.0.0 Safari/537.36", Desktop, "Chrome", "124.0", "Windows", "10", ""},
		{"Safari macOS", "Mozilla/5.0 (Macintosh; Intel Mac OS X 10_15_7) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/17.4 Safari/605.1.15", Desktop, "Safari", "17.4", "macOS", "10.15", ""},
		{"Safari iPhone", "Mozilla/5.0 (iPhone; CPU iPhone OS 17_4 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/17.4 Mobile/15E148 Safari/604.1", Mobile, "Safari", "17.4", "iOS", "17.4", ""},
		{"Chrome iPhone", "Mozilla/5.0 (iPhone; CPU iPhone OS 17_4 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) CriOS/124.0.6367.88 Mobile/15E148 Safari/604.1", Mobile, "Chrome", "124.0", "iOS", "17.4", ""},
		{"Firefox iPhone", "Mozilla/5.0 (iPhone; CPU iPhone OS 17_4 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) FxiOS/125.0 Mobile/15E148 Safari/605.1.15", Mobile, "Firefox", "125.0", "iOS", "17.4", ""},
		{"iPad", "Mozilla/5.0 (iPad; CPU OS 17_4 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/17.4 Mobile/15E148 Safari/604.1", Tablet, "Safari", "17.4", "iPadOS", "17.4", ""},
		{"Android phone", "Mozilla/5.0 (Linux; Android 14; Pixel 8) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/124.0.0.0 Mobile Safari/537.36", Mobile, "Chrome", "124.0", "Android", "14", ""},
		{"Android tablet", "Mozilla/5.0 (Linux; Android 13; SM-X710) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/124.0.0.0 Safari/537.36", Tablet, "Chrome", "124.0", "Android", "13", ""},
		{"Samsung Internet", "Mozilla/5.0 (Linux; Android 13; SM-S918B) AppleWebKit/537.36 (KHTML, like Gecko) SamsungBrowser/24.0 Chrome/117.0.0.0 Mobile Safari/537.36", Mobile, "Samsung Internet", "24.0", "Android", "13", ""},
		{"Kindle Silk", "Mozilla/5.0 (Linux; Android 11; KFTRWI) AppleWebKit/537.36 (KHTML, like Gecko) Silk/124.1.1 like Chrome/124.0.6367.118 Safari/537.36", Tablet, "Silk", "124.1", "Android", "11", ""},
		{"Firefox Linux", "Mozilla/5.0 (X11; Linux x86_64; rv:125.0) Gecko/20100101 Firefox/125.0", Desktop, "Firefox", "125.0", "Linux", "", ""},
		{"Firefox Ubuntu", "Mozilla/5.0 (X11; Ubuntu; Linux x86_64; rv:125.0) Gecko/20100101 Firefox/125.0", Desktop, "Firefox", "125.0", "Linux", "", ""},
		{"Firefox Windows", "Mozilla/5.0 (Windows NT 10.0; Win64; x64; rv:125.0) Gecko/20100101 Firefox/125.0", Desktop, "Firefox", "125.0", "Windows", "10", ""},
		{"Edge", "Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/124.0.0.0 Safari/537.36 Edg/124.0.2478.51", Desktop, "Edge", "124.0", "Windows", "10", ""},
		{"Edge Android", "Mozilla/5.0 (Linux; Android 10; HD1913) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/124.0.6367.82 Mobile Safari/537.36 EdgA/124.0.2478.64", Mobile, "Edge", "124.0", "Android", "10", ""},
		{"Opera", "Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/124.0.0.0 Safari/537.36 OPR/109.0.0.0", Desktop, "Opera", "109.0", "Windows", "10", ""},
		{"ChromeOS", "Mozilla/5.0 (X11; CrOS x86_64 14541.0.0) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/124.0.0.0 Safari/537.36", Desktop, "Chrome", "124.0", "ChromeOS", "", ""},
		{"Windows 7 Chrome", "Mozilla/5.0 (Windows NT 6.1; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/109.0.0.0 Safari/537.36", Desktop, "Chrome", "109.0", "Windows", "7", ""},
		{"Googlebot", "Mozilla/5.0 (compatible; Googlebot/2.1; +http://www.google.com/bot.html)", "", "", "", "", "", "keyword"},
		{"Googlebot smartphone", "Mozilla/5.0 (Linux; Android 6.0.1; Nexus 5X Build/MMB29P) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/124.0.6367.118 Mobile Safari/537.36 (compatible; Googlebot/2.1; +http://www.google.com/bot.html)", "", "", "", "", "", "keyword"},
		{"bingbot", "Mozilla/5.0 (compatible; bingbot/2.0; +http://www.bing.com/bingbot.htm)", "", "", "", "", "", "keyword"},
		{"HeadlessChrome", "Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 (KHTML, like Gecko) HeadlessChrome/124.0.0.0 Safari/537.36", "", "", "", "", "", "keyword"},
		{"GPTBot", "Mozilla/5.0 AppleWebKit/537.36 (KHTML, like Gecko; compatible; GPTBot/1.2; +https://openai.com/gptbot)", "", "", "", "", "", "keyword"},
		{"ClaudeBot", "Mozilla/5.0 AppleWebKit/537.36 (KHTML, like Gecko; compatible; ClaudeBot/1.0; +claudebot@anthropic.com)", "", "", "", "", "", "keyword"},
		{"facebook preview", "facebookexternalhit/1.1 (+http://www.facebook.com/externalhit_uatext.php)", "", "", "", "", "", "keyword"},
		{"Lighthouse", "Mozilla/5.0 (Linux; Android 11; moto g power (2022)) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/119.0.0.0 Mobile Safari/537.36 Chrome-Lighthouse", "", "", "", "", "", "keyword"},
		{"Ahrefs", "Mozilla/5.0 (compatible; AhrefsBot/7.0; +http://ahrefs.com/robot/)", "", "", "", "", "", "keyword"},
		{"Pingdom", "Mozilla/5.0 (compatible; Pingdom.com_bot_version_1.4_(http://www.pingdom.com/))", "", "", "", "", "", "keyword"},
		{"curl", "curl/8.5.0", "", "", "", "", "", "length"},
		{"curl long", "curl/8.5.0 (x86_64-pc-linux-gnu) libcurl/8.5.0", "", "", "", "", "", "keyword"},
		{"python-requests", "python-requests/2.31.0", "", "", "", "", "", "keyword"},
		{"Go client", "Go-http-client/1.1", "", "", "", "", "", "keyword"},
		{"wget", "Wget/1.21.4", "", "", "", "", "", "length"},
		{"okhttp", "okhttp/4.12.0 (Android app)", "", "", "", "", "", "keyword"},
		{"Java", "Java/17.0.2 HotSpot", "", "", "", "", "", "keyword"},
		{"some tool", "SuperFetcher 3.0 (linux)", "", "", "", "", "", "library"},
		{"empty", "", "", "", "", "", "", "empty"},
		{"spaces", "   ", "", "", "", "", "", "empty"},
		{"short", "Mozilla", "", "", "", "", "", "length"},
		{"huge", "Mozilla/5.0 " + string(make([]byte, 1200)), "", "", "", "", "", "length"},
		{"Selenium", "Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/124.0.0.0 Safari/537.36 Selenium", "", "", "", "", "", "keyword"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			got := Parse(tc.ua)
			if tc.bot != "" {
				if !got.Bot || got.BotReason != tc.bot {
					t.Fatalf("got %+v; want a bot by %q", got, tc.bot)
				}
				return
			}
			want := Info{Device: tc.device, Browser: tc.browser, BrowserVersion: tc.bver, OS: tc.os, OSVersion: tc.osver}
			if got != want {
				t.Fatalf("got  %+v\nwant %+v", got, want)
			}
		})
	}
}

func TestParserCaches(t *testing.T) {
	p := NewParser(32)
	ua := "Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/124.0.0.0 Safari/537.36"
	if p.Parse(ua) != Parse(ua) {
		t.Fatal("cached result differs")
	}
	for i := 0; i < 1000; i++ {
		p.Parse(ua + string(rune('a'+i%26)) + string(rune('a'+i/26%26)))
	}
	n := 0
	for i := range p.shards {
		n += len(p.shards[i].m)
	}
	if n > 32+16 {
		t.Fatalf("cache holds %d entries; bound is about 32", n)
	}
}

func BenchmarkParse(b *testing.B) {
	ua := "Mozilla/5.0 (iPhone; CPU iPhone OS 17_4 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/17.4 Mobile/15E148 Safari/604.1"
	b.Run("uncached", func(b *testing.B) {
		for i := 0; i < b.N; i++ {
			Parse(ua)
		}
	})
	b.Run("cached", func(b *testing.B) {
		p := NewParser(1000)
		for i := 0; i < b.N; i++ {
			p.Parse(ua)
		}
	})
}
