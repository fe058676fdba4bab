package server

import (
	"net"
	"net/http"
	"strings"
)

// A reverse proxy in front of the server (nginx's plain proxy_pass, Apache without
// ProxyPreserveHost) rewrites Host to the upstream's address and may terminate TLS, so
// the origin the browser asked for travels in X-Forwarded-Host and X-Forwarded-Proto, or
// RFC 7239's Forwarded: host=…;proto=…. Those headers are anyone's to send, so they are
// believed only from a peer in --trust-proxy, as X-Forwarded-For is.

// publicOrigin is the scheme and host the client asked for.
func publicOrigin(r *http.Request, trusted []*net.IPNet) (scheme, host string) {
	scheme, host = "http", r.Host
	if r.TLS != nil {
		scheme = "https"
	}
	if !fromTrustedProxy(r, trusted) {
		return scheme, host
	}
	fscheme, fhost := forwarded(r.Header)
	if fscheme == "" {
		fscheme = lastValue(r.Header.Get("X-Forwarded-Proto"))
	}
	if fhost == "" {
		fhost = lastValue(r.Header.Get("X-Forwarded-Host"))
	}
	if fscheme = strings.ToLower(fscheme); fscheme == "http" || fscheme == "https" {
		scheme = fscheme
	}
	if fhost != "" {
		host = fhost
	}
	return scheme, host
}

// fromTrustedProxy reports whether the request's direct peer is a trusted proxy.
func fromTrustedProxy(r *http.Request, trusted []*net.IPNet) bool {
	if len(trusted) == 0 {
		return false
	}
	h, _, err := net.SplitHostPort(r.RemoteAddr)
	if err != nil {
		h = r.RemoteAddr
	}
	ip := net.ParseIP(h)
	for _, n := range trusted {
		if ip != nil && n.Contains(ip) {
			return true
		}
	}
	return false
}

// lastValue is the last of a comma-separated header's values: the one the nearest
// proxy (the trusted one) set.
func lastValue(v string) string {
	if i := strings.LastIndexByte(v, ','); i >= 0 {
		v = v[i+1:]
	}
	return strings.TrimSpace(v)
}

// forwarded reads proto and host from the last element of RFC 7239 Forwarded headers.
func forwarded(h http.Header) (proto, host string) {
	all := h.Values("Forwarded")
	if len(all) == 0 {
		return "", ""
	}
	for _, pair := range strings.Split(lastValue(all[len(all)-1]), ";") {
		k, v, ok := strings.Cut(strings.TrimSpace(pair), "=")
		if !ok {
			continue
		}
		v = strings.Trim(strings.TrimSpace(v), `"`)
		switch strings.ToLower(strings.TrimSpace(k)) {
		case "proto":
			proto = v
		case "host":
			host = v
		}
	}
	return proto, host
}

// sameOrigin reports whether the request's Origin, when it has one, is the origin the
// client asked this server for. A request without Origin is not a browser's cross-site
// request (browsers send Origin with every POST, PUT and DELETE). "null" is an opaque
// origin (a sandboxed frame, a data: page): never this server's dashboard, whose
// Referrer-Policy same-origin keeps the real Origin on its own requests.
func sameOrigin(r *http.Request, trusted []*net.IPNet) bool {
	o := r.Header.Get("Origin")
	if o == "" {
		return true
	}
	_, host := publicOrigin(r, trusted)
	return strings.EqualFold(strings.TrimPrefix(strings.TrimPrefix(o, "https://"), "http://"), host)
}
