package store

import "strconv"

// Uint, Int and Float read a number out of a Result value, whichever JSON shape the
// driver gave it: int64, uint64, float64, or a string (the form a JSON output format
// may give 64-bit integers). Anything else, or a string that is not a number, is 0.
// Every package that reads numbers from a Result uses these, so a driver that changes
// shapes is handled in one place.

// Uint is v as a uint64.
func Uint(v any) uint64 {
	switch x := v.(type) {
	case uint64:
		return x
	case int64:
		return uint64(x)
	case float64:
		return uint64(x)
	case string:
		n, _ := strconv.ParseUint(x, 10, 64)
		return n
	}
	return 0
}

// Int is v as an int64.
func Int(v any) int64 {
	switch x := v.(type) {
	case int64:
		return x
	case uint64:
		return int64(x)
	case float64:
		return int64(x)
	case string:
		if n, err := strconv.ParseInt(x, 10, 64); err == nil {
			return n
		}
		return int64(Uint(x)) // as for a uint64 above int64's range
	}
	return 0
}

// Float is v as a float64.
func Float(v any) float64 {
	switch x := v.(type) {
	case float64:
		return x
	case int64:
		return float64(x)
	case uint64:
		return float64(x)
	case string:
		f, _ := strconv.ParseFloat(x, 64)
		return f
	}
	return 0
}
