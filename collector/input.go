package collector

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/url"
	"regexp"
	"sort"
	"strconv"
	"strings"
	"time"
	"unicode/utf8"
)

// Limits of the collection contract (shared/spec/API.md §2). Every string a visitor can
// send is bounded, so one request cannot bloat the store. A field the contract bounds
// (name, title, props) is refused past its limit, naming it; a page's URL, its referrer
// and a content block have no limit there, so a long one is stored cut rather than the
// event lost: a page with a long query string still counts.
const (
	MaxBodyBytes   = 16 << 10
	maxName        = 120
	maxURL         = 2048         // stored: a page's path, a referrer
	maxURLRead     = MaxBodyBytes // read: utm_* tags after a long query string still count
	maxTitle       = 300
	maxProps       = 30
	maxPropKey     = 64
	maxPropValue   = 512
	maxUserID      = 256
	maxVisitorID   = 128
	maxContent     = 512
	maxChannel     = 64
	maxScreen      = 100000
	maxEngagedMS   = 24 * 3600 * 1000
	maxRevenue     = 1e13 // Decimal(18, 4) holds 10^14; leave room for sums
	maxFutureSkew  = 5 * time.Minute
	maxBatchEvents = 1000
)

// Input is one event as a browser, a pixel or a server sends it.
type Input struct {
	Site      string            `json:"site"`
	Name      string            `json:"name"`
	URL       string            `json:"url"`
	Referrer  string            `json:"referrer"`
	Title     string            `json:"title"`
	Screen    int64             `json:"screen"`
	Props     map[string]string `json:"-"`
	RawProps  json.RawMessage   `json:"props"`
	EngagedMS int64             `json:"engaged_ms"`
	Scroll    *int64            `json:"scroll"`
	Content   *Content          `json:"content"`
	Revenue   *Revenue          `json:"revenue"`
	UserID    string            `json:"user_id"`
	// VisitorID is a first-party id: the tracker's consent mode sends a random id kept
	// in localStorage, and server-side events may name the visitor. It replaces the
	// daily hash, so a returning visitor is recognised across days.
	VisitorID string `json:"visitor_id"`
	// TS and Channel are for server-side events (POST /api/v1/events) only.
	TS      string `json:"ts"`
	Channel string `json:"channel"`

	parsedURL *url.URL // set by validate, so the URL is parsed once per event
}

// Content is a tracked content block (data-os-content), for impressions, clicks and CTR.
type Content struct {
	Name   string `json:"name"`
	Piece  string `json:"piece"`
	Target string `json:"target"`
}

// Revenue is money attached to a conversion. Amount is a decimal string ("12.34") so no
// float rounding happens on the way.
type Revenue struct {
	Amount   json.RawMessage `json:"amount"`
	Currency string          `json:"currency"`
}

// FieldError is a bad input, naming the field. It becomes a 400 with its text.
type FieldError struct {
	Field string
	Msg   string
}

func (e *FieldError) Error() string { return e.Field + ": " + e.Msg }

func fieldErr(field, format string, args ...any) error {
	return &FieldError{Field: field, Msg: fmt.Sprintf(format, args...)}
}

// DecodeInput parses one JSON event. Unknown fields are rejected, naming them, so a typo
// in a hand-written integration is reported instead of silently dropped.
func DecodeInput(body []byte) (Input, error) {
	if !utf8.Valid(body) {
		// encoding/json would quietly turn the bad bytes into U+FFFD, and checkText
		// would never see them.
		return Input{}, fieldErr(invalidUTF8Field(body), "is not valid UTF-8")
	}
	var in Input
	dec := json.NewDecoder(bytes.NewReader(body))
	dec.DisallowUnknownFields()
	if err := dec.Decode(&in); err != nil {
		return Input{}, jsonError(err)
	}
	if _, err := dec.Token(); err != io.EOF {
		return Input{}, fieldErr("body", "has data after the JSON object")
	}
	return in, nil
}

// invalidUTF8Field names the field of a JSON object whose text is not valid UTF-8:
// "title", "props.plan", "props key" (a bad key), or "body" when it is elsewhere.
// Raw values keep their bytes as sent, where decoded strings would not.
func invalidUTF8Field(body []byte) string {
	var top map[string]json.RawMessage
	if json.Unmarshal(body, &top) != nil {
		return "body"
	}
	keys := make([]string, 0, len(top))
	for k := range top {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	for _, k := range keys {
		if utf8.Valid(top[k]) {
			continue
		}
		var inner map[string]json.RawMessage
		if json.Unmarshal(top[k], &inner) == nil {
			for ik, iv := range inner {
				if !utf8.Valid(iv) {
					return k + "." + ik
				}
			}
			return k + " key"
		}
		return k
	}
	return "body"
}

// jsonError turns encoding/json's errors into a sentence naming the field.
func jsonError(err error) error {
	var te *json.UnmarshalTypeError
	var se *json.SyntaxError
	switch {
	case errors.As(err, &te):
		f := te.Field
		if f == "" {
			f = "body"
		}
		return fieldErr(f, "must be %s, not %s", jsonKind(te.Type.Kind().String()), te.Value)
	case errors.As(err, &se):
		return fieldErr("body", "is not valid JSON (at byte %d)", se.Offset)
	case strings.HasPrefix(err.Error(), "json: unknown field "):
		name := strings.Trim(strings.TrimPrefix(err.Error(), "json: unknown field "), `"`)
		return fieldErr(name, "is not a known field")
	case errors.Is(err, io.EOF):
		return fieldErr("body", "is empty; send a JSON object")
	case errors.Is(err, io.ErrUnexpectedEOF):
		return fieldErr("body", "is cut short")
	}
	return fieldErr("body", "cannot be read: %v", err)
}

func jsonKind(k string) string {
	switch k {
	case "int64", "int", "uint8", "uint16", "uint32":
		return "a whole number"
	case "string":
		return "a string"
	case "map", "struct", "ptr":
		return "an object"
	case "slice":
		return "an array"
	}
	return k
}

var currencyRE = regexp.MustCompile(`^[A-Z]{3}$`)
var amountRE = regexp.MustCompile(`^-?[0-9]{1,14}(\.[0-9]{1,4})?$`)

// validate checks every bound of the contract and fills in.Props from in.RawProps.
// Server-side events may leave out url (an offline touchpoint has no page).
func (in *Input) validate(server bool) error {
	if in.Site == "" {
		return fieldErr("site", "is required")
	}
	if len(in.Site) > 253 {
		return fieldErr("site", "is longer than 253 characters")
	}
	if in.Name == "" {
		return fieldErr("name", "is required")
	}
	if err := checkText("name", in.Name, maxName); err != nil {
		return err
	}
	if in.URL == "" && !server {
		return fieldErr("url", "is required")
	}
	in.URL = clipURL(in.URL, maxURLRead)
	if err := checkText("url", in.URL, maxURLRead); err != nil {
		return err
	}
	if in.URL != "" {
		u, err := url.Parse(in.URL)
		if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
			return fieldErr("url", "must be an absolute http(s) URL")
		}
		in.parsedURL = u
	}
	in.Referrer = clipURL(in.Referrer, maxURL)
	if err := checkText("referrer", in.Referrer, maxURL); err != nil {
		return err
	}
	if err := checkText("title", in.Title, maxTitle); err != nil {
		return err
	}
	if in.Screen < 0 || in.Screen > maxScreen {
		return fieldErr("screen", "must be between 0 and %d", maxScreen)
	}
	if in.EngagedMS < 0 || in.EngagedMS > maxEngagedMS {
		return fieldErr("engaged_ms", "must be between 0 and %d", maxEngagedMS)
	}
	if in.Scroll != nil && (*in.Scroll < 0 || *in.Scroll > 100) {
		return fieldErr("scroll", "must be between 0 and 100")
	}
	// Engaged time and scroll depth are what an engagement ping reports; on any other
	// event the metrics would count them (a one-page bounce made "engaged").
	if in.Name != "engagement" {
		if in.EngagedMS != 0 {
			return fieldErr("engaged_ms", "is only accepted on engagement events, not on %s", in.Name)
		}
		if in.Scroll != nil {
			return fieldErr("scroll", "is only accepted on engagement events, not on %s", in.Name)
		}
	}
	if err := checkText("user_id", in.UserID, maxUserID); err != nil {
		return err
	}
	if err := checkText("visitor_id", in.VisitorID, maxVisitorID); err != nil {
		return err
	}
	if err := checkText("channel", in.Channel, maxChannel); err != nil {
		return err
	}
	if c := in.Content; c != nil {
		c.Name, c.Piece, c.Target = clip(c.Name, maxContent), clip(c.Piece, maxContent), clip(c.Target, maxContent)
		for _, f := range []struct{ name, v string }{{"content.name", c.Name}, {"content.piece", c.Piece}, {"content.target", c.Target}} {
			if err := checkText(f.name, f.v, maxContent); err != nil {
				return err
			}
		}
		if c.Name == "" {
			return fieldErr("content.name", "is required when content is given")
		}
	}
	if r := in.Revenue; r != nil {
		if _, err := r.scaled(); err != nil {
			return err
		}
	}
	props, err := decodeProps(in.RawProps)
	if err != nil {
		return err
	}
	in.Props = props
	return nil
}

// checkText bounds a string in characters and rejects invalid UTF-8 and control
// characters other than tab, which no legitimate title, URL or name contains.
func checkText(field, s string, max int) error {
	if len(s) > max*4 || utf8.RuneCountInString(s) > max {
		return fieldErr(field, "is longer than %d characters", max)
	}
	if !utf8.ValidString(s) {
		return fieldErr(field, "is not valid UTF-8")
	}
	for _, r := range s {
		if r < 0x20 && r != '\t' || r == 0x7f {
			return fieldErr(field, "contains a control character")
		}
	}
	return nil
}

// decodeProps reads props: an object of up to 30 keys whose values are strings (numbers
// and booleans are taken as their text, as custom-event code often sends them).
func decodeProps(raw json.RawMessage) (map[string]string, error) {
	if len(raw) == 0 || string(raw) == "null" {
		return nil, nil
	}
	var m map[string]any
	if err := json.Unmarshal(raw, &m); err != nil {
		return nil, fieldErr("props", "must be an object of string values")
	}
	if len(m) > maxProps {
		return nil, fieldErr("props", "has %d keys; at most %d are allowed", len(m), maxProps)
	}
	out := make(map[string]string, len(m))
	for k, v := range m {
		if k == "" {
			return nil, fieldErr("props", "has an empty key")
		}
		if err := checkText("props key "+strconv.Quote(clip(k, 70)), k, maxPropKey); err != nil {
			return nil, err
		}
		var s string
		switch x := v.(type) {
		case string:
			s = x
		case float64:
			s = strconv.FormatFloat(x, 'f', -1, 64)
		case bool:
			s = strconv.FormatBool(x)
		default:
			return nil, fieldErr("props."+k, "must be a string, number or boolean")
		}
		if err := checkText("props."+k, s, maxPropValue); err != nil {
			return nil, err
		}
		out[k] = s
	}
	return out, nil
}

// scaled returns the amount × 10⁴ for the Decimal(18, 4) column.
func (r *Revenue) scaled() (int64, error) {
	raw := strings.TrimSpace(string(r.Amount))
	if raw == "" || raw == "null" {
		return 0, fieldErr("revenue.amount", "is required when revenue is given")
	}
	if unq, err := strconv.Unquote(raw); err == nil {
		raw = unq
	}
	if !amountRE.MatchString(raw) {
		return 0, fieldErr("revenue.amount", "must be a decimal like \"12.34\" with at most 4 decimals")
	}
	whole, frac, _ := strings.Cut(raw, ".")
	neg := strings.HasPrefix(whole, "-")
	whole = strings.TrimPrefix(whole, "-")
	w, _ := strconv.ParseInt(whole, 10, 64)
	if float64(w) > maxRevenue {
		return 0, fieldErr("revenue.amount", "is too large")
	}
	frac = (frac + "0000")[:4]
	f, _ := strconv.ParseInt(frac, 10, 64)
	v := w*10000 + f
	if neg {
		v = -v
	}
	if !currencyRE.MatchString(r.Currency) {
		return 0, fieldErr("revenue.currency", "must be an ISO 4217 code like EUR")
	}
	return v, nil
}

// clip cuts s to at most n characters, at a character boundary.
func clip(s string, n int) string {
	if len(s) <= n {
		return s
	}
	chars := 0
	for i := range s {
		if chars == n {
			return s[:i]
		}
		chars++
	}
	return s
}

// clipURL cuts a URL like clip, without leaving a %XX escape half cut, which would make
// the rest unparsable (a referrer's domain would be lost with it).
func clipURL(s string, n int) string {
	c := clip(s, n)
	if len(c) < len(s) {
		if i := strings.LastIndexByte(c, '%'); i >= 0 && i >= len(c)-2 {
			c = c[:i]
		}
	}
	return c
}
