package collector

import "testing"

func TestNormalizePage(t *testing.T) {
	f := func(raw, host, path string) {
		t.Helper()
		p, err := NormalizePage(raw)
		if err != nil || p.Hostname != host || p.Path != path {
			t.Fatalf("NormalizePage(%q) = %q %q, %v; want %q %q", raw, p.Hostname, p.Path, err, host, path)
		}
	}
	f("https://Shop.Example/", "shop.example", "/")
	f("https://www.shop.example", "shop.example", "/")
	f("https://shop.example/blog/", "shop.example", "/blog")
	f("https://shop.example/blog//", "shop.example", "/blog")
	f("https://shop.example/a?utm_source=x&q=1", "shop.example", "/a")
	f("https://shop.example/a#section-2", "shop.example", "/a")
	f("https://shop.example/app/#/settings/", "shop.example", "/app/#/settings")
	f("https://shop.example/#!/inbox?x=1", "shop.example", "/#/inbox")
	f("https://shop.example#/inbox", "shop.example", "/#/inbox")
	f("https://shop.example/hash.html#/products", "shop.example", "/hash.html#/products")
	f("https://shop.example/app#!/settings/", "shop.example", "/app#/settings")
	f("https://shop.example/caf%C3%A9", "shop.example", "/café")
	f("https://shop.example:8443/x", "shop.example", "/x")
}
