package server

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"reflect"
	"strings"

	"github.com/labstack/echo/v4"
)

// maxJSONBody bounds the JSON bodies of the reporting and settings endpoints.
const maxJSONBody = 64 << 10

// decodeStrict reads a JSON object body of at most 64 KiB into v. Every problem is a
// 400 whose sentence names the JSON field as the client wrote it, never a Go name.
func decodeStrict(c echo.Context, v any) error {
	body, err := readJSONBody(c)
	if err != nil {
		return err
	}
	if err := decodeJSON(body, v); err != nil {
		return newError(http.StatusBadRequest, "%s", err.Error())
	}
	return nil
}

// decodeOptional is decodeStrict for a body that may be left out: a DELETE names what
// it deletes in the query string, or in a JSON body as POST takes one. Without a body
// v is left as it is.
func decodeOptional(c echo.Context, v any) error {
	body, err := readJSONBody(c)
	if err != nil {
		return err
	}
	if len(bytes.TrimSpace(body)) == 0 {
		return nil
	}
	if err := decodeJSON(body, v); err != nil {
		return newError(http.StatusBadRequest, "%s", err.Error())
	}
	return nil
}

// bodyOrQuery is a DELETE's field: the body's value when it gave one, else the query
// string's. The body wins, so a client that sends both gets what its JSON says.
func bodyOrQuery(c echo.Context, name, fromBody string) string {
	if fromBody != "" {
		return fromBody
	}
	return c.QueryParam(name)
}

func readJSONBody(c echo.Context) ([]byte, error) {
	body, err := io.ReadAll(io.LimitReader(c.Request().Body, maxJSONBody+1))
	if err != nil || len(body) > maxJSONBody {
		return nil, newError(http.StatusRequestEntityTooLarge, "body is larger than 64 KiB")
	}
	return body, nil
}

// decodeJSON decodes one JSON object into v, rejecting unknown fields and trailing data.
// Its errors are sentences of the form "FIELD: what is wrong".
func decodeJSON(body []byte, v any) error {
	trimmed := bytes.TrimSpace(body)
	if len(trimmed) == 0 {
		return errors.New("body: is empty; send a JSON object")
	}
	if trimmed[0] != '{' {
		return fmt.Errorf("body: must be a JSON object {...}, not %s", jsonValueKind(trimmed[0]))
	}
	dec := json.NewDecoder(bytes.NewReader(body))
	dec.DisallowUnknownFields()
	if err := dec.Decode(v); err != nil {
		return errors.New(jsonProblem(err, reflect.TypeOf(v)))
	}
	if _, err := dec.Token(); err != io.EOF {
		return errors.New("body: has data after the JSON object")
	}
	return nil
}

// jsonProblem describes a JSON decoding error into a value of type t as a sentence
// naming the field.
func jsonProblem(err error, t reflect.Type) string {
	var te *json.UnmarshalTypeError
	var se *json.SyntaxError
	switch {
	case errors.As(err, &te):
		field, target := jsonPath(t, te.Field)
		if field == "" {
			return "body: must be a JSON object {...}, not " + withArticle(te.Value)
		}
		if target != nil && target.Kind() == reflect.Map && te.Type.Kind() != reflect.Map {
			return fmt.Sprintf("%s: every value must be %s, not %s", field, jsonType(te.Type), withArticle(te.Value))
		}
		return fmt.Sprintf("%s: must be %s, not %s", field, jsonType(te.Type), withArticle(te.Value))
	case errors.As(err, &se):
		return fmt.Sprintf("body: is malformed JSON (%s, at byte %d)", strings.TrimPrefix(se.Error(), "json: "), se.Offset)
	case errors.Is(err, io.ErrUnexpectedEOF):
		return "body: is malformed JSON (it ends before the object is closed)"
	case strings.HasPrefix(err.Error(), "json: unknown field "):
		return strings.Trim(strings.TrimPrefix(err.Error(), "json: unknown field "), `"`) + ": is not a known field"
	case errors.Is(err, io.EOF):
		return "body: is empty; send a JSON object"
	}
	return "body: is malformed JSON"
}

// jsonPath turns encoding/json's field path into the path the client wrote. The
// decoder puts the Go name of an embedded struct in the path ("Goal.event"); those
// segments are dropped. It also returns the type found at the path (nil if unknown).
func jsonPath(t reflect.Type, path string) (string, reflect.Type) {
	if path == "" {
		return "", t
	}
	var out []string
	for _, seg := range strings.Split(path, ".") {
		t = elem(t)
		if t == nil || t.Kind() != reflect.Struct {
			out = append(out, seg)
			t = nil
			continue
		}
		if f, ok := fieldByJSONName(t, seg); ok {
			out = append(out, seg)
			t = f.Type
			continue
		}
		if f, ok := t.FieldByName(seg); ok && f.Anonymous {
			t = f.Type // an embedded struct: its fields are the parent's
			continue
		}
		out = append(out, seg)
		t = nil
	}
	return strings.Join(out, "."), elem(t)
}

// elem looks through pointers, slices and arrays to the type of their elements.
func elem(t reflect.Type) reflect.Type {
	for t != nil && (t.Kind() == reflect.Pointer || t.Kind() == reflect.Slice || t.Kind() == reflect.Array) {
		t = t.Elem()
	}
	return t
}

// fieldByJSONName finds the field of struct t (or of its embedded structs) that
// encoding/json fills from the key name.
func fieldByJSONName(t reflect.Type, name string) (reflect.StructField, bool) {
	for i := 0; i < t.NumField(); i++ {
		f := t.Field(i)
		tag, _, _ := strings.Cut(f.Tag.Get("json"), ",")
		if tag == "-" {
			continue
		}
		if f.Anonymous && tag == "" {
			if et := elem(f.Type); et != nil && et.Kind() == reflect.Struct {
				if g, ok := fieldByJSONName(et, name); ok {
					return g, true
				}
			}
			continue
		}
		if !f.IsExported() {
			continue
		}
		if tag == name || (tag == "" && strings.EqualFold(f.Name, name)) {
			return f, true
		}
	}
	return reflect.StructField{}, false
}

// jsonType names the JSON type a Go type is decoded from.
func jsonType(t reflect.Type) string {
	switch t.Kind() {
	case reflect.String:
		return "a string"
	case reflect.Int, reflect.Int8, reflect.Int16, reflect.Int32, reflect.Int64,
		reflect.Uint, reflect.Uint8, reflect.Uint16, reflect.Uint32, reflect.Uint64:
		return "a whole number"
	case reflect.Float32, reflect.Float64:
		return "a number"
	case reflect.Bool:
		return "true or false"
	case reflect.Struct, reflect.Map:
		return "an object"
	case reflect.Slice, reflect.Array:
		return "an array"
	case reflect.Pointer:
		return jsonType(t.Elem())
	}
	return "another type"
}

// withArticle turns encoding/json's name of a JSON value ("number", "number 1.5",
// "array") into "a number", "the number 1.5", "an array".
func withArticle(v string) string {
	switch {
	case strings.Contains(v, " "):
		return "the " + v
	case v == "array" || v == "object":
		return "an " + v
	case v == "bool":
		return "true or false"
	case v == "":
		return "this value"
	}
	return "a " + v
}

// jsonValueKind names the JSON value that starts with b.
func jsonValueKind(b byte) string {
	switch {
	case b == '[':
		return "an array"
	case b == '"':
		return "a string"
	case b == 't' || b == 'f':
		return "true or false"
	case b == 'n':
		return "null"
	case b == '-' || b >= '0' && b <= '9':
		return "a number"
	}
	return "malformed JSON"
}
