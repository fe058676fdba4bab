package server

import (
	"encoding/json"
	"io"
	"net/http"
	"net/netip"
	"net/url"
	"slices"
	"strings"
	"time"

	"github.com/labstack/echo/v4"

	"github.com/omnistat/omnistat/collector"
)

func registerCollection(e *echo.Echo, h *handlers) {
	e.POST("/api/event", h.event, h.rateLimited)
	e.OPTIONS("/api/event", h.eventPreflight)
	e.GET("/p.gif", h.pixel, h.rateLimited)
	e.HEAD("/p.gif", h.pixelHead)
	e.POST("/api/v1/events", h.serverEvents)
}

// rateLimited answers 429 to a client over its per-IP rate. The pixel still gets its
// GIF (a mail client must not show a broken image); the event is not recorded.
func (h *handlers) rateLimited(next echo.HandlerFunc) echo.HandlerFunc {
	return func(c echo.Context) error {
		if h.limiter.allow(clientIP(c), time.Now()) {
			return next(c)
		}
		h.cfg.Collector.Metrics().Reject("rate_limited")
		if c.Path() == "/p.gif" {
			c.Response().Header().Set("X-Omnistat", "not recorded: rate limited")
			return c.Blob(http.StatusOK, "image/gif", gif)
		}
		cors(c)
		c.Response().Header().Set("Retry-After", "1")
		return newError(http.StatusTooManyRequests, "too many events from this address; slow down")
	}
}

// readBody reads at most collector.MaxBodyBytes, answering 413 past that.
func readBody(c echo.Context) ([]byte, error) {
	b, err := io.ReadAll(io.LimitReader(c.Request().Body, collector.MaxBodyBytes+1))
	if err != nil {
		return nil, newError(http.StatusBadRequest, "body: cannot be read")
	}
	if len(b) > collector.MaxBodyBytes {
		return nil, newError(http.StatusRequestEntityTooLarge, "body is larger than %d bytes", collector.MaxBodyBytes)
	}
	return b, nil
}

func clientIP(c echo.Context) netip.Addr {
	ip, err := netip.ParseAddr(c.RealIP())
	if err != nil {
		return netip.Addr{}
	}
	return ip.Unmap()
}

func cors(c echo.Context) {
	h := c.Response().Header()
	h.Set("Access-Control-Allow-Origin", "*")
	h.Set("Access-Control-Allow-Methods", "POST, OPTIONS")
	h.Set("Access-Control-Allow-Headers", "Content-Type")
	h.Set("Access-Control-Max-Age", "86400")
}

func (h *handlers) eventPreflight(c echo.Context) error {
	cors(c)
	return c.NoContent(http.StatusNoContent)
}

// event is POST /api/event, from the tracker. Browsers send it as text/plain (no CORS
// preflight) or JSON; both are the same JSON body.
func (h *handlers) event(c echo.Context) error {
	cors(c)
	body, err := readBody(c)
	if err != nil {
		h.cfg.Collector.Metrics().Reject("body")
		return err
	}
	in, err := collector.DecodeInput(body)
	if err != nil {
		h.cfg.Collector.Metrics().Reject("invalid")
		return err
	}
	r := c.Request()
	err = h.cfg.Collector.Accept(r.Context(), collector.Request{Input: in, IP: clientIP(c), UserAgent: r.UserAgent(),
		AcceptLanguage: r.Header.Get("Accept-Language"), Origin: r.Header.Get("Origin"), Source: collector.FromBrowser})
	if err != nil {
		return err
	}
	return c.NoContent(http.StatusAccepted)
}

// gif is the smallest transparent 1×1 GIF (43 bytes).
var gif = []byte("GIF89a\x01\x00\x01\x00\x80\x00\x00\x00\x00\x00\x00\x00\x00!\xf9\x04\x01\x00\x00\x00\x00,\x00\x00\x00\x00\x01\x00\x01\x00\x00\x02\x02D\x01\x00;")

// pixel is GET /p.gif, for <noscript> and e-mail opens. It always answers the GIF, also
// on bad input, so a mail client never shows a broken image; the outcome is in the
// X-Omnistat header for whoever debugs it.
func (h *handlers) pixel(c echo.Context) error {
	r := c.Request()
	in := pixelInput(c.QueryParams(), r.Referer())
	err := h.cfg.Collector.Accept(r.Context(), collector.Request{Input: in, IP: clientIP(c), UserAgent: r.UserAgent(),
		AcceptLanguage: r.Header.Get("Accept-Language"), Source: collector.FromPixel})
	hdr := c.Response().Header()
	hdr.Set("Cache-Control", "no-store, max-age=0")
	if err != nil {
		_, msg := statusOf(err)
		hdr.Set("X-Omnistat", "not recorded: "+msg)
	} else {
		hdr.Set("X-Omnistat", "ok")
	}
	return c.Blob(http.StatusOK, "image/gif", gif)
}

// pixelHead answers HEAD /p.gif with the GIF's headers (the server sends no body for
// HEAD). A HEAD probe is not an open or a view, so nothing is recorded.
func (h *handlers) pixelHead(c echo.Context) error {
	hdr := c.Response().Header()
	hdr.Set("Cache-Control", "no-store, max-age=0")
	hdr.Set("X-Omnistat", "not recorded: HEAD requests are not counted")
	return c.Blob(http.StatusOK, "image/gif", gif)
}

// pixelInput is the event a pixel request reports. The page is url, else the
// Referer; utm_* given to the pixel itself (e-mail links) count as if on the page URL.
// An e-mail open (name=email_open) needs no page: it is the site's home, not the
// webmail's Referer; and it is in the Email channel unless its tags say otherwise.
func pixelInput(q url.Values, referer string) collector.Input {
	in := collector.Input{Site: q.Get("site"), Name: q.Get("name"), URL: q.Get("url"), Referrer: q.Get("ref")}
	if in.Name == "" {
		in.Name = "pageview"
	}
	open := in.Name == "email_open"
	switch {
	case in.URL == "" && open:
		in.URL = "https://" + in.Site + "/"
	case in.URL == "":
		in.URL = referer
	}
	u, err := url.Parse(in.URL)
	if err != nil || in.URL == "" {
		return in
	}
	pq := u.Query()
	for k, v := range q {
		if strings.HasPrefix(k, "utm_") && len(v) > 0 && pq.Get(k) == "" {
			pq.Set(k, v[0])
		}
	}
	if open && pq.Get("utm_medium") == "" {
		pq.Set("utm_medium", "email")
		if pq.Get("utm_source") == "" {
			pq.Set("utm_source", "email")
		}
	}
	u.RawQuery = pq.Encode()
	in.URL = u.String()
	return in
}

// maxBatchBytes is the largest body of POST /api/v1/events: the contract takes up to
// 1000 events there, "each as above", i.e. each what POST /api/event takes, at most
// collector.MaxBodyBytes; plus room for the wrapper and the commas.
const maxBatchBytes = 1000*collector.MaxBodyBytes + 64<<10

// serverEvents is POST /api/v1/events: up to 1000 events from a back end, all or
// nothing.
func (h *handlers) serverEvents(c echo.Context) error {
	key, err := h.authKey(c)
	if err != nil {
		return err
	}
	if key.ReadOnly {
		return errReadOnly
	}
	body, err := io.ReadAll(io.LimitReader(c.Request().Body, maxBatchBytes+1))
	if err != nil || len(body) > maxBatchBytes {
		return newError(http.StatusRequestEntityTooLarge, "body is larger than %d bytes (1000 events of up to %d bytes each)", maxBatchBytes, collector.MaxBodyBytes)
	}
	var batch struct {
		Events []json.RawMessage `json:"events"`
	}
	if err := json.Unmarshal(body, &batch); err != nil {
		return newError(http.StatusBadRequest, "body must be {\"events\": [ ... ]}")
	}
	if len(batch.Events) == 0 {
		return newError(http.StatusBadRequest, "events: is empty; send 1 to 1000 events")
	}
	reqs := make([]collector.Request, len(batch.Events))
	type indexErr struct {
		Index int    `json:"index"`
		Error string `json:"error"`
	}
	var errs []indexErr
	for i, raw := range batch.Events {
		in, err := collector.DecodeInput(raw)
		if err == nil {
			if site, serr := h.cfg.Catalog.SiteByDomain(c.Request().Context(), in.Site); serr == nil && !key.CanRead(site.ID) {
				err = newError(http.StatusForbidden, "site: this API key has no access to %s", in.Site)
			}
		}
		if err != nil {
			_, msg := statusOf(err)
			errs = append(errs, indexErr{i, msg})
			continue
		}
		reqs[i] = collector.Request{Input: in, Source: collector.FromServer}
	}
	if len(errs) > 0 {
		// The batch is refused already; the events that decoded are checked too, so that
		// one answer lists every event to fix.
		var ok []collector.Request
		var at []int
		for i := range reqs {
			if !slices.ContainsFunc(errs, func(e indexErr) bool { return e.Index == i }) {
				ok, at = append(ok, reqs[i]), append(at, i)
			}
		}
		for _, be := range h.cfg.Collector.CheckBatch(c.Request().Context(), ok) {
			_, msg := statusOf(be.Err)
			errs = append(errs, indexErr{at[be.Index], msg})
		}
		slices.SortStableFunc(errs, func(a, b indexErr) int { return a.Index - b.Index })
	}
	if len(errs) == 0 {
		n, berrs := h.cfg.Collector.AcceptBatch(c.Request().Context(), reqs)
		for _, be := range berrs {
			if be.Index < 0 {
				return be.Err
			}
			_, msg := statusOf(be.Err)
			errs = append(errs, indexErr{be.Index, msg})
		}
		if len(errs) == 0 {
			return c.JSON(http.StatusAccepted, map[string]int{"accepted": n})
		}
	}
	return c.JSON(http.StatusBadRequest, map[string]any{"error": "no event was stored: fix the events listed and send the batch again", "events": errs})
}
