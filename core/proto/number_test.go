package proto

import (
	"math"
	"strconv"
	"testing"
)

func TestParseInt(t *testing.T) {
	cases := []struct {
		in   string
		want int64
		ok   bool
	}{
		{"0", 0, true},
		{"1", 1, true},
		{"-1", -1, true},
		{"123456789", 123456789, true},
		{"9223372036854775807", math.MaxInt64, true},
		{"-9223372036854775808", math.MinInt64, true},
		{"9223372036854775808", 0, false},
		{"-9223372036854775809", 0, false},
		{"18446744073709551615", 0, false},
		{"18446744073709551616", 0, false},
		{"99999999999999999999", 0, false},
		{"-99999999999999999999", 0, false}, // 21 bytes
		{"", 0, false},
		{"-", 0, false},
		{"+1", 0, false},
		{" 1", 0, false},
		{"1 ", 0, false},
		{"01", 0, false},
		{"00", 0, false},
		{"-0", 0, false},
		{"-01", 0, false},
		{"1a", 0, false},
		{"1.0", 0, false},
		{"0x10", 0, false},
		{"1\x00", 0, false},
		{"--1", 0, false},
	}
	for _, tc := range cases {
		got, ok := ParseInt([]byte(tc.in))
		if got != tc.want || ok != tc.ok {
			t.Errorf("ParseInt(%q) = %d, %v; want %d, %v", tc.in, got, ok, tc.want, tc.ok)
		}
	}
}

// TestParseIntAgreesWithStrconv checks ParseInt against strconv on the
// texts strconv formats, which are exactly the canonical ones.
func TestParseIntAgreesWithStrconv(t *testing.T) {
	for _, v := range []int64{0, 1, -1, 9, 10, -10, 1 << 31, -1 << 31, 1<<53 + 1, math.MaxInt64, math.MinInt64, math.MaxInt64 - 1} {
		s := strconv.FormatInt(v, 10)
		got, ok := ParseInt([]byte(s))
		if !ok || got != v {
			t.Errorf("ParseInt(%q) = %d, %v", s, got, ok)
		}
	}
}

func TestParseUint(t *testing.T) {
	cases := []struct {
		in   string
		want uint64
		ok   bool
	}{
		{"0", 0, true},
		{"5", 5, true},
		{"9223372036854775807", math.MaxInt64, true},
		{"9223372036854775808", 1 << 63, true},
		{"18446744073709551615", math.MaxUint64, true},
		{"18446744073709551616", 0, false},
		{"-1", 0, false},
		{"", 0, false},
		// Texts string2ll rejects go to strtoull(3).
		{"+5", 5, true},
		{"007", 7, true},
		{" 6", 6, true},
		{"\t\v\f\r\n 6", 6, true},
		{"-0", 0, true},
		{"-01", math.MaxUint64, true},
		{" -1", math.MaxUint64, true},
		{"6 ", 0, false},
		{" ", 0, false},
		{"+", 0, false},
		{"-", 0, false},
		{"+-1", 0, false},
		{"0x10", 0, false},
		{"1e3", 0, false},
		{"000000000000000000000000001", 1, true},
		{"-18446744073709551615", 1, true},
		{"-18446744073709551616", 0, false},
		// A C string ends at its NUL.
		{"5\x00xyz", 5, true},
		{"\x005", 0, false},
	}
	for _, tc := range cases {
		got, ok := ParseUint([]byte(tc.in))
		if got != tc.want || ok != tc.ok {
			t.Errorf("ParseUint(%q) = %d, %v; want %d, %v", tc.in, got, ok, tc.want, tc.ok)
		}
	}
}

func TestFormatDouble(t *testing.T) {
	cases := []struct {
		in   float64
		want string
	}{
		{0, "0"},
		{math.Copysign(0, -1), "-0"},
		{1, "1"},
		{3, "3"},
		{1.1, "1.1000000000000001"},
		{0.1, "0.10000000000000001"},
		{2.5, "2.5"},
		{3.141, "3.141"},
		{1e16, "10000000000000000"},
		{1e17, "1e+17"},
		{123456789012345678, "1.2345678901234568e+17"},
		{1e-5, "1.0000000000000001e-05"},
		{0.0001, "0.0001"},
		{1e301, "1.0000000000000001e+301"},
		{1.5e-300, "1.5000000000000001e-300"},
		{9007199254740993, "9007199254740992"},
		{math.Inf(1), "inf"},
		{math.Inf(-1), "-inf"},
		{math.NaN(), "nan"},
		{math.Copysign(math.NaN(), -1), "-nan"},
		{math.MaxFloat64, "1.7976931348623157e+308"},
		{math.SmallestNonzeroFloat64, "4.9406564584124654e-324"},
	}
	for _, tc := range cases {
		if got := string(FormatDouble(nil, tc.in)); got != tc.want {
			t.Errorf("FormatDouble(%v) = %q, want %q", tc.in, got, tc.want)
		}
	}
}
