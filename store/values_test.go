package store

import "testing"

func TestNumbersFromEveryShape(t *testing.T) {
	for _, c := range []struct {
		v any
		u uint64
		i int64
		f float64
	}{
		{uint64(18446744073709551615), 18446744073709551615, -1, 18446744073709551615},
		{int64(-3), 18446744073709551613, -3, -3},
		{float64(2.5), 2, 2, 2.5},
		{"18446744073709551615", 18446744073709551615, -1, 18446744073709551615},
		{"42", 42, 42, 42},
		{"x", 0, 0, 0},
		{nil, 0, 0, 0},
		{true, 0, 0, 0},
	} {
		if u, i, f := Uint(c.v), Int(c.v), Float(c.v); u != c.u || i != c.i || f != c.f {
			t.Errorf("%#v: Uint %d Int %d Float %g; want %d %d %g", c.v, u, i, f, c.u, c.i, c.f)
		}
	}
}
