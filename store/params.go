package store

import (
	"regexp"
	"strings"
)

var placeholderRE = regexp.MustCompile(`\{([A-Za-z_][A-Za-z0-9_]*):([^{}]+)\}`)

// ParamTypes returns the ClickHouse type of each {name:Type} placeholder in query.
func ParamTypes(query string) map[string]string {
	out := map[string]string{}
	for _, m := range placeholderRE.FindAllStringSubmatch(query, -1) {
		out[m[1]] = strings.TrimSpace(m[2])
	}
	return out
}

// EncodeParams prepares values for engines that read scalar parameters in ClickHouse's
// "escaped" text form (the form of TabSeparated): a backslash, tab, newline or NUL in a
// string would otherwise end or corrupt the value. Values of composite types (Array,
// Map, Tuple) are ClickHouse literals with quoted elements and are passed as they are;
// callers build those with QuoteArray.
func EncodeParams(query string, params Params) Params {
	if len(params) == 0 {
		return params
	}
	types := ParamTypes(query)
	out := make(Params, len(params))
	for k, v := range params {
		t := types[k]
		if strings.HasPrefix(t, "Array(") || strings.HasPrefix(t, "Map(") || strings.HasPrefix(t, "Tuple(") {
			out[k] = v
			continue
		}
		out[k] = escapeText(v)
	}
	return out
}

var textEscaper = strings.NewReplacer(`\`, `\\`, "\t", `\t`, "\n", `\n`, "\r", `\r`, "\x00", `\0`, "\b", `\b`, "\f", `\f`)

func escapeText(s string) string {
	if !strings.ContainsAny(s, "\\\t\n\r\x00\b\f") {
		return s
	}
	return textEscaper.Replace(s)
}

// QuoteArray formats strings as a ClickHouse Array(String) literal for a parameter of
// type Array(String): ['a', 'it\'s'].
func QuoteArray(items []string) string {
	var b strings.Builder
	b.WriteByte('[')
	for i, s := range items {
		if i > 0 {
			b.WriteByte(',')
		}
		b.WriteByte('\'')
		for _, r := range s {
			switch r {
			case '\'', '\\':
				b.WriteByte('\\')
				b.WriteRune(r)
			case '\n':
				b.WriteString(`\n`)
			case '\t':
				b.WriteString(`\t`)
			case '\r':
				b.WriteString(`\r`)
			case 0:
				b.WriteString(`\0`)
			default:
				b.WriteRune(r)
			}
		}
		b.WriteByte('\'')
	}
	b.WriteByte(']')
	return b.String()
}
