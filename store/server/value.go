package server

import (
	"fmt"
	"math"
	"math/big"
	"net"
	"net/netip"
	"reflect"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/google/uuid"
	"github.com/shopspring/decimal"
)

// jsonValue turns a value scanned by clickhouse-go from a column of ClickHouse type typ
// into the JSON shape of store.Result (see the package doc). The type is needed for
// times only: clickhouse-go scans Date, DateTime and DateTime64 alike into time.Time,
// and ClickHouse prints each differently. An empty typ (a tuple's element) prints a
// time as DateTime, with milliseconds when it has any.
func jsonValue(typ string, v any) any {
	typ = baseType(typ)
	switch x := v.(type) {
	case nil:
		return nil
	case string, bool, int64:
		return x
	case float64:
		return jsonFloat(x)
	case float32:
		// The shortest decimal form of the float32, read as a float64: 0.1 and not
		// 0.10000000149011612, as ClickHouse prints a Float32.
		f, _ := strconv.ParseFloat(strconv.FormatFloat(float64(x), 'g', -1, 32), 64)
		return jsonFloat(f)
	case int:
		return int64(x)
	case int8:
		return int64(x)
	case int16:
		return int64(x)
	case int32:
		return int64(x)
	case uint:
		return jsonUint(uint64(x))
	case uint8:
		return int64(x)
	case uint16:
		return int64(x)
	case uint32:
		return int64(x)
	case uint64:
		return jsonUint(x)
	case big.Int:
		return jsonBig(&x)
	case *big.Int:
		if x == nil {
			return nil
		}
		return jsonBig(x)
	case decimal.Decimal:
		f, _ := x.Float64()
		return f
	case time.Time:
		return formatTime(typ, x)
	case uuid.UUID:
		return x.String()
	case net.IP:
		if x == nil {
			return nil
		}
		return x.String()
	case netip.Addr:
		return x.String()
	}
	rv := reflect.ValueOf(v)
	switch rv.Kind() {
	case reflect.Pointer: // Nullable(T) scans into *T
		if rv.IsNil() {
			return nil
		}
		return jsonValue(typ, rv.Elem().Interface())
	case reflect.Slice:
		if rv.IsNil() {
			return []any{}
		}
		fallthrough
	case reflect.Array:
		elem, _ := unwrapType(typ, "Array")
		_, tuple := tupleFields(typ)
		out := make([]any, rv.Len())
		for i := range out {
			t := elem
			if i < len(tuple) {
				t = tuple[i]
			}
			out[i] = jsonValue(t, rv.Index(i).Interface())
		}
		return out
	case reflect.Map:
		var keyType, valType string
		if inner, ok := unwrapType(typ, "Map"); ok {
			if kv := splitTop(inner); len(kv) == 2 {
				keyType, valType = kv[0], kv[1]
			}
		}
		// A named tuple scans into a map of its element names.
		names, types := tupleFields(typ)
		out := make(map[string]any, rv.Len())
		iter := rv.MapRange()
		for iter.Next() {
			k := fmt.Sprint(jsonValue(keyType, iter.Key().Interface()))
			t := valType
			if i := slices.Index(names, k); i >= 0 {
				t = types[i]
			}
			out[k] = jsonValue(t, iter.Value().Interface())
		}
		return out
	case reflect.String: // Enum-like named string types
		return rv.String()
	}
	if s, ok := v.(fmt.Stringer); ok {
		return s.String()
	}
	return fmt.Sprint(v)
}

// jsonFloat maps NaN and ±Inf to nil, as ClickHouse's JSON output does (they have no
// JSON form, and encoding/json refuses them).
func jsonFloat(f float64) any {
	if math.IsNaN(f) || math.IsInf(f, 0) {
		return nil
	}
	return f
}

func jsonUint(u uint64) any {
	if u <= math.MaxInt64 {
		return int64(u)
	}
	return u
}

func jsonBig(b *big.Int) any {
	switch {
	case b.IsInt64():
		return b.Int64()
	case b.IsUint64():
		return b.Uint64()
	}
	f, _ := new(big.Float).SetInt(b).Float64()
	return f
}

// formatTime prints t as ClickHouse prints a value of type typ, in t's location,
// which clickhouse-go sets to the column's time zone (or the server's).
func formatTime(typ string, t time.Time) string {
	switch {
	case typ == "Date" || typ == "Date32":
		return t.Format(time.DateOnly)
	case strings.HasPrefix(typ, "DateTime64("):
		args, _ := unwrapType(typ, "DateTime64")
		p, err := strconv.Atoi(strings.TrimSpace(splitTop(args)[0]))
		if err != nil || p <= 0 || p > 9 {
			return t.Format(time.DateTime)
		}
		return t.Format(time.DateTime + "." + strings.Repeat("0", p))
	case typ == "DateTime" || strings.HasPrefix(typ, "DateTime("):
		return t.Format(time.DateTime)
	}
	if t.Nanosecond() != 0 {
		return t.Format("2006-01-02 15:04:05.000")
	}
	return t.Format(time.DateTime)
}

// baseType strips the wrappers that do not change how a value prints.
func baseType(typ string) string {
	typ = strings.TrimSpace(typ)
	for {
		inner, ok := unwrapType(typ, "Nullable")
		if !ok {
			inner, ok = unwrapType(typ, "LowCardinality")
		}
		if !ok {
			return typ
		}
		typ = strings.TrimSpace(inner)
	}
}

// unwrapType returns the arguments of typ when it is name(...).
func unwrapType(typ, name string) (string, bool) {
	if !strings.HasPrefix(typ, name+"(") || !strings.HasSuffix(typ, ")") {
		return "", false
	}
	return typ[len(name)+1 : len(typ)-1], true
}

// tupleFields returns the element names (empty for unnamed elements) and types of a
// Tuple(T1, T2) or Tuple(a T1, b T2) type.
func tupleFields(typ string) (names, types []string) {
	inner, ok := unwrapType(typ, "Tuple")
	if !ok {
		return nil, nil
	}
	types = splitTop(inner)
	names = make([]string, len(types))
	for i, p := range types {
		// A named element is "name Type". A bare type with a space in it has a
		// parenthesis before the space ("DateTime64(3, 'UTC')"); a name has none.
		if name, rest, ok := strings.Cut(p, " "); ok && !strings.Contains(name, "(") {
			names[i], types[i] = strings.Trim(name, "`"), strings.TrimSpace(rest)
		}
	}
	return names, types
}

// splitTop splits s at the commas outside parentheses and quotes.
func splitTop(s string) []string {
	var out []string
	depth, start := 0, 0
	quoted := false
	for i := 0; i < len(s); i++ {
		switch c := s[i]; {
		case c == '\\' && quoted:
			i++
		case c == '\'':
			quoted = !quoted
		case quoted:
		case c == '(':
			depth++
		case c == ')':
			depth--
		case c == ',' && depth == 0:
			out = append(out, strings.TrimSpace(s[start:i]))
			start = i + 1
		}
	}
	return append(out, strings.TrimSpace(s[start:]))
}
