package embedded

import (
	"bytes"
	"encoding/binary"
	"fmt"
	"math"
	"strconv"
	"strings"
	"time"

	"github.com/omnistat/omnistat/store"
)

// RowBinary is ClickHouse's plain binary row format: little-endian fixed-width numbers,
// strings as a varint length and bytes, arrays and maps as a varint count and elements.
// It is the cheapest format for the engine to parse, which keeps large batch inserts
// cheap; this file encodes the column types Omnistat's tables use.

type encodeFunc func(b *bytes.Buffer, v any) error

type rowEncoder struct {
	cols []encodeFunc
}

func newRowEncoder(columns []store.Column) (*rowEncoder, error) {
	e := &rowEncoder{}
	for _, c := range columns {
		f, err := encoderFor(c.Type)
		if err != nil {
			return nil, fmt.Errorf("column %s: %w", c.Name, err)
		}
		e.cols = append(e.cols, f)
	}
	return e, nil
}

func (e *rowEncoder) encode(b *bytes.Buffer, row []any) error {
	if len(row) != len(e.cols) {
		return fmt.Errorf("%d values for %d columns", len(row), len(e.cols))
	}
	for i, f := range e.cols {
		if err := f(b, row[i]); err != nil {
			return fmt.Errorf("value %d: %w", i, err)
		}
	}
	return nil
}

// encoderFor parses a ClickHouse type name into an encoder.
func encoderFor(typ string) (encodeFunc, error) {
	typ = strings.TrimSpace(typ)
	if inner, ok := unwrap(typ, "LowCardinality"); ok {
		return encoderFor(inner)
	}
	if inner, ok := unwrap(typ, "Nullable"); ok {
		f, err := encoderFor(inner)
		if err != nil {
			return nil, err
		}
		return func(b *bytes.Buffer, v any) error {
			if v == nil {
				b.WriteByte(1)
				return nil
			}
			b.WriteByte(0)
			return f(b, v)
		}, nil
	}
	if inner, ok := unwrap(typ, "Array"); ok {
		f, err := encoderFor(inner)
		if err != nil {
			return nil, err
		}
		return func(b *bytes.Buffer, v any) error { return encodeArray(b, v, f) }, nil
	}
	if inner, ok := unwrap(typ, "Map"); ok {
		k, vt, ok := strings.Cut(inner, ",")
		if !ok || strings.TrimSpace(k) != "String" && strings.TrimSpace(k) != "LowCardinality(String)" || strings.TrimSpace(vt) != "String" {
			return nil, fmt.Errorf("type %s: only Map(String, String) is supported", typ)
		}
		return encodeStringMap, nil
	}
	if inner, ok := unwrap(typ, "FixedString"); ok {
		n, err := strconv.Atoi(inner)
		if err != nil || n <= 0 {
			return nil, fmt.Errorf("type %s: bad length", typ)
		}
		return func(b *bytes.Buffer, v any) error {
			s, err := asString(v)
			if err != nil {
				return err
			}
			if len(s) > n {
				return fmt.Errorf("%q is longer than FixedString(%d)", s, n)
			}
			b.WriteString(s)
			for i := len(s); i < n; i++ {
				b.WriteByte(0)
			}
			return nil
		}, nil
	}
	if inner, ok := unwrap(typ, "DateTime64"); ok {
		precision, _, _ := strings.Cut(inner, ",")
		p, err := strconv.Atoi(strings.TrimSpace(precision))
		if err != nil || p < 0 || p > 9 {
			return nil, fmt.Errorf("type %s: bad precision", typ)
		}
		scale := int64(math.Pow10(9 - p))
		return func(b *bytes.Buffer, v any) error {
			t, ok := v.(time.Time)
			if !ok {
				return fmt.Errorf("want time.Time for %s, got %T", typ, v)
			}
			return binary.Write(b, binary.LittleEndian, t.UnixNano()/scale)
		}, nil
	}
	if inner, ok := unwrap(typ, "Decimal"); ok {
		ps := strings.Split(inner, ",")
		if len(ps) != 2 {
			return nil, fmt.Errorf("type %s: want Decimal(P, S)", typ)
		}
		prec, err1 := strconv.Atoi(strings.TrimSpace(ps[0]))
		scale, err2 := strconv.Atoi(strings.TrimSpace(ps[1]))
		if err1 != nil || err2 != nil || prec > 18 {
			return nil, fmt.Errorf("type %s: only Decimal up to precision 18 is supported", typ)
		}
		return func(b *bytes.Buffer, v any) error {
			n, err := asInt64(v) // the caller passes the value already scaled
			if err != nil {
				return err
			}
			if prec <= 9 {
				return binary.Write(b, binary.LittleEndian, int32(n))
			}
			_ = scale
			return binary.Write(b, binary.LittleEndian, n)
		}, nil
	}
	switch typ {
	case "String":
		return func(b *bytes.Buffer, v any) error {
			s, err := asString(v)
			if err != nil {
				return err
			}
			writeString(b, s)
			return nil
		}, nil
	case "UInt8", "Bool":
		return intEncoder(1, false), nil
	case "UInt16":
		return intEncoder(2, false), nil
	case "UInt32":
		return intEncoder(4, false), nil
	case "UInt64":
		return intEncoder(8, false), nil
	case "Int8":
		return intEncoder(1, true), nil
	case "Int16":
		return intEncoder(2, true), nil
	case "Int32":
		return intEncoder(4, true), nil
	case "Int64":
		return intEncoder(8, true), nil
	case "Float64":
		return func(b *bytes.Buffer, v any) error {
			f, err := asFloat64(v)
			if err != nil {
				return err
			}
			return binary.Write(b, binary.LittleEndian, math.Float64bits(f))
		}, nil
	case "Float32":
		return func(b *bytes.Buffer, v any) error {
			f, err := asFloat64(v)
			if err != nil {
				return err
			}
			return binary.Write(b, binary.LittleEndian, math.Float32bits(float32(f)))
		}, nil
	case "DateTime":
		return func(b *bytes.Buffer, v any) error {
			t, ok := v.(time.Time)
			if !ok {
				return fmt.Errorf("want time.Time for DateTime, got %T", v)
			}
			return binary.Write(b, binary.LittleEndian, uint32(t.Unix()))
		}, nil
	case "Date":
		return func(b *bytes.Buffer, v any) error {
			t, ok := v.(time.Time)
			if !ok {
				return fmt.Errorf("want time.Time for Date, got %T", v)
			}
			return binary.Write(b, binary.LittleEndian, uint16(t.Unix()/86400))
		}, nil
	}
	if strings.HasPrefix(typ, "DateTime(") {
		return encoderFor("DateTime")
	}
	return nil, fmt.Errorf("type %s is not supported by the RowBinary encoder", typ)
}

// unwrap returns X for "Name(X)".
func unwrap(typ, name string) (string, bool) {
	if strings.HasPrefix(typ, name+"(") && strings.HasSuffix(typ, ")") {
		return typ[len(name)+1 : len(typ)-1], true
	}
	return "", false
}

func writeString(b *bytes.Buffer, s string) {
	var tmp [binary.MaxVarintLen64]byte
	n := binary.PutUvarint(tmp[:], uint64(len(s)))
	b.Write(tmp[:n])
	b.WriteString(s)
}

func writeUvarint(b *bytes.Buffer, n int) {
	var tmp [binary.MaxVarintLen64]byte
	k := binary.PutUvarint(tmp[:], uint64(n))
	b.Write(tmp[:k])
}

func encodeArray(b *bytes.Buffer, v any, f encodeFunc) error {
	switch x := v.(type) {
	case []string:
		writeUvarint(b, len(x))
		for _, e := range x {
			if err := f(b, e); err != nil {
				return err
			}
		}
	case []any:
		writeUvarint(b, len(x))
		for _, e := range x {
			if err := f(b, e); err != nil {
				return err
			}
		}
	case []uint64:
		writeUvarint(b, len(x))
		for _, e := range x {
			if err := f(b, e); err != nil {
				return err
			}
		}
	case nil:
		writeUvarint(b, 0)
	default:
		return fmt.Errorf("want a slice for Array, got %T", v)
	}
	return nil
}

func encodeStringMap(b *bytes.Buffer, v any) error {
	switch m := v.(type) {
	case map[string]string:
		writeUvarint(b, len(m))
		for k, val := range m {
			writeString(b, k)
			writeString(b, val)
		}
	case nil:
		writeUvarint(b, 0)
	default:
		return fmt.Errorf("want map[string]string for Map, got %T", v)
	}
	return nil
}

func intEncoder(size int, signed bool) encodeFunc {
	return func(b *bytes.Buffer, v any) error {
		n, err := asInt64(v)
		if err != nil {
			return err
		}
		if !signed && n < 0 {
			if u, ok := v.(uint64); ok {
				return binary.Write(b, binary.LittleEndian, u)
			}
			return fmt.Errorf("negative value %d for an unsigned column", n)
		}
		var tmp [8]byte
		binary.LittleEndian.PutUint64(tmp[:], uint64(n))
		b.Write(tmp[:size])
		return nil
	}
}

func asInt64(v any) (int64, error) {
	switch x := v.(type) {
	case int:
		return int64(x), nil
	case int8:
		return int64(x), nil
	case int16:
		return int64(x), nil
	case int32:
		return int64(x), nil
	case int64:
		return x, nil
	case uint:
		return int64(x), nil
	case uint8:
		return int64(x), nil
	case uint16:
		return int64(x), nil
	case uint32:
		return int64(x), nil
	case uint64:
		return int64(x), nil
	case bool:
		if x {
			return 1, nil
		}
		return 0, nil
	}
	return 0, fmt.Errorf("want an integer, got %T", v)
}

func asFloat64(v any) (float64, error) {
	switch x := v.(type) {
	case float64:
		return x, nil
	case float32:
		return float64(x), nil
	}
	n, err := asInt64(v)
	return float64(n), err
}

func asString(v any) (string, error) {
	switch x := v.(type) {
	case string:
		return x, nil
	case []byte:
		return string(x), nil
	}
	return "", fmt.Errorf("want a string, got %T", v)
}
