package channel

import (
	"net/url"
	"strings"
	"testing"
	"unicode/utf8"
)

func TestClassify(t *testing.T) {
	cases := []struct {
		name, page, ref                   string
		channel, source, medium, campaign string
	}{
		// Direct and internal navigation.
		{"no referrer, no tags", "https://shop.example/", "", Direct, "(direct)", "(none)", ""},
		{"internal referrer", "https://shop.example/b", "https://shop.example/a", Direct, "(direct)", "(none)", ""},
		{"www internal referrer", "https://shop.example/b", "https://www.shop.example/a", Direct, "(direct)", "(none)", ""},
		{"subdomain referrer is internal", "https://shop.example/b", "https://blog.shop.example/a", Direct, "(direct)", "(none)", ""},
		{"garbage referrer", "https://shop.example/", "not a url", Direct, "(direct)", "(none)", ""},
		{"javascript referrer", "https://shop.example/", "javascript:alert(1)", Direct, "(direct)", "(none)", ""},
		{"android app referrer", "https://shop.example/", "android-app://com.google.android.gm/", Referral, "com.google.android.gm", "referral", ""},
		// Organic search.
		{"google", "https://shop.example/", "https://www.google.com/", OrganicSearch, "Google", "organic", ""},
		{"google country domain", "https://shop.example/", "https://www.google.co.uk/", OrganicSearch, "Google", "organic", ""},
		{"google de", "https://shop.example/", "https://google.de/search?q=x", OrganicSearch, "Google", "organic", ""},
		{"bing", "https://shop.example/", "https://www.bing.com/search?q=shoes", OrganicSearch, "Bing", "organic", ""},
		{"duckduckgo", "https://shop.example/", "https://duckduckgo.com/", OrganicSearch, "DuckDuckGo", "organic", ""},
		{"yandex ru", "https://shop.example/", "https://yandex.ru/search", OrganicSearch, "Yandex", "organic", ""},
		{"ecosia", "https://shop.example/", "https://www.ecosia.org/search?q=x", OrganicSearch, "Ecosia", "organic", ""},
		{"utm medium organic", "https://shop.example/?utm_source=newsengine&utm_medium=organic", "", OrganicSearch, "newsengine", "organic", ""},
		// Paid search.
		{"utm google cpc", "https://shop.example/?utm_source=google&utm_medium=cpc&utm_campaign=brand", "https://www.google.com/", PaidSearch, "Google", "cpc", "brand"},
		{"gclid only", "https://shop.example/?gclid=abc", "https://www.google.com/", PaidSearch, "Google", "cpc", ""},
		{"gbraid", "https://shop.example/?gbraid=abc", "", PaidSearch, "Google", "cpc", ""},
		{"msclkid", "https://shop.example/?msclkid=abc", "https://www.bing.com/", PaidSearch, "Bing", "cpc", ""},
		{"bing ppc", "https://shop.example/?utm_source=bing&utm_medium=ppc", "", PaidSearch, "Bing", "ppc", ""},
		{"paid medium case", "https://shop.example/?utm_source=Google&utm_medium=CPC", "", PaidSearch, "Google", "cpc", ""},
		{"yclid", "https://shop.example/?yclid=1", "", PaidSearch, "Yandex", "cpc", ""},
		// Paid social and video.
		{"facebook paid", "https://shop.example/?utm_source=facebook&utm_medium=paid_social", "", PaidSocial, "Facebook", "paid_social", ""},
		{"fb cpc", "https://shop.example/?utm_source=fb&utm_medium=cpc", "", PaidSocial, "fb", "cpc", ""},
		{"ttclid", "https://shop.example/?ttclid=x", "", PaidSocial, "TikTok", "paid_social", ""},
		{"li_fat_id", "https://shop.example/?li_fat_id=x", "", PaidSocial, "LinkedIn", "paid_social", ""},
		{"twclid", "https://shop.example/?twclid=x", "https://t.co/x", PaidSocial, "X", "paid_social", ""},
		{"youtube paid", "https://shop.example/?utm_source=youtube&utm_medium=cpv", "", PaidVideo, "YouTube", "cpv", ""},
		// Shopping.
		{"shopping campaign paid", "https://shop.example/?utm_source=partner&utm_medium=cpc&utm_campaign=summer-shopping", "", PaidShopping, "partner", "cpc", "summer-shopping"},
		{"amazon paid", "https://shop.example/?utm_source=amazon.com&utm_medium=paid", "", PaidShopping, "amazon.com", "paid", ""},
		{"ebay referral", "https://shop.example/", "https://www.ebay.de/itm/1", OrganicShop, "eBay", "referral", ""},
		{"shop campaign organic", "https://shop.example/?utm_source=newsletter&utm_medium=email&utm_campaign=shop-now", "", OrganicShop, "newsletter", "email", "shop-now"},
		// Display, cross-network, paid other.
		{"display", "https://shop.example/?utm_source=dv360&utm_medium=display", "", Display, "dv360", "display", ""},
		{"banner", "https://shop.example/?utm_source=network&utm_medium=banner", "", Display, "network", "banner", ""},
		{"cpm", "https://shop.example/?utm_source=network&utm_medium=cpm", "", Display, "network", "cpm", ""},
		{"dclid", "https://shop.example/?dclid=x", "", Display, "Google", "display", ""},
		{"cross-network", "https://shop.example/?utm_source=google&utm_medium=cpc&utm_campaign=pmax-cross-network", "", CrossNetwork, "Google", "cpc", "pmax-cross-network"},
		{"paid other", "https://shop.example/?utm_source=someadnet&utm_medium=paid", "", PaidOther, "someadnet", "paid", ""},
		{"retargeting", "https://shop.example/?utm_source=adroll&utm_medium=retargeting", "", PaidOther, "adroll", "retargeting", ""},
		// Organic social and video.
		{"facebook referrer", "https://shop.example/", "https://l.facebook.com/l.php?u=x", OrganicSocial, "Facebook", "referral", ""},
		{"fbclid organic", "https://shop.example/?fbclid=abc", "https://m.facebook.com/", OrganicSocial, "Facebook", "referral", ""},
		{"t.co", "https://shop.example/", "https://t.co/abc", OrganicSocial, "X", "referral", ""},
		{"linkedin", "https://shop.example/", "https://www.linkedin.com/feed/", OrganicSocial, "LinkedIn", "referral", ""},
		{"reddit", "https://shop.example/", "https://old.reddit.com/r/golang", OrganicSocial, "Reddit", "referral", ""},
		{"hacker news", "https://shop.example/", "https://news.ycombinator.com/item?id=1", OrganicSocial, "Hacker News", "referral", ""},
		{"utm medium social", "https://shop.example/?utm_source=mastodon&utm_medium=social", "", OrganicSocial, "Mastodon", "social", ""},
		{"utm medium sm unknown source", "https://shop.example/?utm_source=club&utm_medium=sm", "", OrganicSocial, "club", "sm", ""},
		{"youtube referrer", "https://shop.example/", "https://www.youtube.com/watch?v=1", OrganicVideo, "YouTube", "referral", ""},
		{"youtu.be", "https://shop.example/", "https://youtu.be/x", OrganicVideo, "YouTube", "referral", ""},
		{"video medium", "https://shop.example/?utm_source=webinar&utm_medium=video", "", OrganicVideo, "webinar", "video", ""},
		// AI assistants (Omnistat's addition).
		{"chatgpt", "https://shop.example/", "https://chatgpt.com/", AIAssistants, "ChatGPT", "referral", ""},
		{"chatgpt utm", "https://shop.example/?utm_source=chatgpt.com", "", AIAssistants, "chatgpt.com", "(not set)", ""},
		{"perplexity", "https://shop.example/", "https://www.perplexity.ai/search/x", AIAssistants, "Perplexity", "referral", ""},
		{"claude", "https://shop.example/", "https://claude.ai/chat/1", AIAssistants, "Claude", "referral", ""},
		{"gemini not google search", "https://shop.example/", "https://gemini.google.com/app", AIAssistants, "Gemini", "referral", ""},
		// Referral.
		{"blog referral", "https://shop.example/", "https://blog.partner.example/review", Referral, "blog.partner.example", "referral", ""},
		{"ref param", "https://shop.example/?ref=producthunt", "", Referral, "producthunt", "referral", ""},
		{"utm medium link", "https://shop.example/?utm_source=partner&utm_medium=link", "", Referral, "partner", "link", ""},
		// Email, affiliates, audio, SMS, push.
		{"email", "https://shop.example/?utm_source=newsletter&utm_medium=email&utm_campaign=spring", "", Email, "newsletter", "email", "spring"},
		{"e-mail source", "https://shop.example/?utm_source=e-mail&utm_medium=blast", "", Email, "e-mail", "blast", ""},
		{"affiliate", "https://shop.example/?utm_source=awin&utm_medium=affiliate", "", Affiliates, "awin", "affiliate", ""},
		{"audio", "https://shop.example/?utm_source=spotify&utm_medium=audio", "", Audio, "spotify", "audio", ""},
		{"sms", "https://shop.example/?utm_source=sms&utm_medium=text", "", SMS, "sms", "text", ""},
		{"push", "https://shop.example/?utm_source=app&utm_medium=web-push", "", MobilePush, "app", "web-push", ""},
		{"notification", "https://shop.example/?utm_source=app&utm_medium=notification", "", MobilePush, "app", "notification", ""},
		{"firebase", "https://shop.example/?utm_source=firebase&utm_medium=inapp", "", MobilePush, "firebase", "inapp", ""},
		// Unassigned and precedence.
		{"source without medium", "https://shop.example/?utm_source=flyer", "", Unassigned, "flyer", "(not set)", ""},
		{"medium without source", "https://shop.example/?utm_medium=print", "", Unassigned, "(direct)", "print", ""},
		{"utm beats referrer", "https://shop.example/?utm_source=newsletter&utm_medium=email", "https://www.google.com/", Email, "newsletter", "email", ""},
		{"unknown utm medium", "https://shop.example/?utm_source=poster&utm_medium=qr", "", Unassigned, "poster", "qr", ""},
		{"utm source x is X", "https://shop.example/?utm_source=x&utm_medium=qr", "", OrganicSocial, "X", "qr", ""},
		// Hostile input stays bounded.
		{"huge utm", "https://shop.example/?utm_source=" + strings.Repeat("a", 5000) + "&utm_medium=email", "", Email, strings.Repeat("a", 200), "email", ""},
		{"unicode referrer", "https://shop.example/", "https://bücher.example/", Referral, "bücher.example", "referral", ""},
		{"bad page url", "::not a url", "https://www.google.com/", OrganicSearch, "Google", "organic", ""},
	}
	seen := map[string]bool{}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			host := "shop.example"
			got := Classify(Input{PageURL: tc.page, Referrer: tc.ref, PageHost: host})
			if got.Channel != tc.channel || got.Source != tc.source || got.Medium != tc.medium || got.Campaign != tc.campaign {
				t.Fatalf("got channel %q source %q medium %q campaign %q\nwant channel %q source %q medium %q campaign %q",
					got.Channel, got.Source, got.Medium, got.Campaign, tc.channel, tc.source, tc.medium, tc.campaign)
			}
		})
		seen[tc.channel] = true
	}
	for _, ch := range Channels {
		if !seen[ch] && ch != Offline {
			t.Errorf("no case covers channel %q", ch)
		}
	}
	if len(cases) < 60 {
		t.Errorf("%d cases; the issue asks for at least 60", len(cases))
	}
}

func TestClassifyKeepsTermContentAndClickID(t *testing.T) {
	got := Classify(Input{PageURL: "https://s.example/?utm_source=google&utm_medium=cpc&utm_term=red+shoes&utm_content=ad-2&gclid=1", PageHost: "s.example"})
	if got.Term != "red shoes" || got.Content != "ad-2" || got.ClickID != "gclid" {
		t.Fatalf("got %+v", got)
	}
	got = Classify(Input{PageURL: "https://s.example/", Referrer: "https://WWW.Google.COM/", PageHost: "s.example"})
	if got.ReferrerDomain != "google.com" {
		t.Fatalf("referrer domain %q; want google.com", got.ReferrerDomain)
	}
}

// A long tag is cut to 200 bytes without breaking the character at the cut.
func TestClassifyCutsLongTagsAtACharacter(t *testing.T) {
	campaign := strings.Repeat("a", 199) + "é-summer"
	got := Classify(Input{PageURL: "https://s.example/?utm_source=news&utm_campaign=" + url.QueryEscape(campaign), PageHost: "s.example"})
	if got.Campaign != strings.Repeat("a", 199) {
		t.Fatalf("campaign cut to %q (valid UTF-8: %v); want the 199 letters before the é", got.Campaign, utf8.ValidString(got.Campaign))
	}
}

func TestShopCampaignRule(t *testing.T) {
	for c, want := range map[string]bool{"shop": true, "summer-shop": true, "eshop": true, "workshop": false, "shopping-days": true, "bookshop": false, "e-shop": true, "": false} {
		if got := isShopCampaign(c); got != want {
			t.Errorf("isShopCampaign(%q) = %v; want %v (GA4: ([^a-df-z]|^)shop|shopping)", c, got, want)
		}
	}
}

func BenchmarkClassify(b *testing.B) {
	in := Input{PageURL: "https://shop.example/p/1?utm_source=newsletter&utm_medium=email&utm_campaign=spring", Referrer: "https://www.google.co.uk/", PageHost: "shop.example"}
	for i := 0; i < b.N; i++ {
		Classify(in)
	}
}
