package server

import (
	"bytes"
	"encoding/json"
	"errors"
	"io"
	"strings"
)

func bytesReader(b []byte) io.Reader { return bytes.NewReader(b) }

// jsonProblem describes a JSON decoding error as a sentence naming the field.
func jsonProblem(err error) string {
	var te *json.UnmarshalTypeError
	var se *json.SyntaxError
	switch {
	case errors.As(err, &te):
		return "field " + te.Field + " has the wrong type (" + te.Value + ")"
	case errors.As(err, &se):
		return "is not valid JSON"
	case strings.HasPrefix(err.Error(), "json: unknown field "):
		return "field " + strings.TrimPrefix(err.Error(), "json: unknown field ") + " is not known"
	case errors.Is(err, io.EOF):
		return "is empty"
	}
	return "cannot be read"
}
