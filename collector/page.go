package collector

import (
	"net/url"
	"strings"
)

// Page is the normalised page an event happened on.
type Page struct {
	Hostname string
	Path     string
}

// NormalizePage turns a full page URL into what reports group by: the lowercased host
// without "www.", and the path without query string, with no trailing slash (except
// the root) and without its fragment — unless the fragment is a route ("#/..." or
// "#!/..."), as single-page apps with hash routing use, where it is the page:
// /app.html#/pricing. A path is kept to its first 2,048 characters.
func NormalizePage(raw string) (Page, error) {
	u, err := url.Parse(raw)
	if err != nil {
		return Page{}, err
	}
	return normalizeURL(u), nil
}

func normalizeURL(u *url.URL) Page {
	p := Page{Hostname: strings.TrimPrefix(strings.ToLower(u.Hostname()), "www.")}
	path := u.Path
	if path == "" {
		path = "/"
	}
	if len(path) > 1 {
		path = strings.TrimRight(path, "/")
		if path == "" {
			path = "/"
		}
	}
	if f := u.Fragment; strings.HasPrefix(f, "/") || strings.HasPrefix(f, "!/") {
		route := strings.TrimPrefix(f, "!")
		if i := strings.IndexByte(route, '?'); i >= 0 {
			route = route[:i]
		}
		if len(route) > 1 {
			route = strings.TrimRight(route, "/")
		}
		// The route follows the path as the URL writes it (/app/#/x, /app.html#/x), so the
		// page reads like its address and a filter on it matches.
		if path != "/" && strings.HasSuffix(u.Path, "/") {
			path += "/"
		}
		path += "#" + route
	}
	p.Path = clip(path, maxURL)
	return p
}
