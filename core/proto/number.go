package proto

import (
	"bytes"
	"math"
	"strconv"
)

// longStrSize is LONG_STR_SIZE: string2ll rejects texts this long or longer.
const longStrSize = 21

// ParseInt parses b exactly as Redis's string2ll does, which is how Redis
// reads every integer argument and header: an optional '-' then decimal
// digits, nothing else. It rejects the empty string, a leading '+', spaces,
// leading zeros (only "0" itself may start with '0', so "-0" and "01" are
// invalid), anything longer than 20 bytes, and values outside int64.
func ParseInt(b []byte) (int64, bool) {
	n := len(b)
	if n == 0 || n >= longStrSize {
		return 0, false
	}
	if n == 1 && b[0] == '0' {
		return 0, true
	}
	i := 0
	neg := b[0] == '-'
	if neg {
		i++
		if i == n {
			return 0, false
		}
	}
	if b[i] < '1' || b[i] > '9' {
		return 0, false
	}
	v := uint64(b[i] - '0')
	for i++; i < n; i++ {
		c := b[i]
		if c < '0' || c > '9' {
			return 0, false
		}
		if v > math.MaxUint64/10 {
			return 0, false
		}
		v *= 10
		d := uint64(c - '0')
		if v > math.MaxUint64-d {
			return 0, false
		}
		v += d
	}
	if neg {
		if v > 1<<63 {
			return 0, false
		}
		return -int64(v), true
	}
	if v > math.MaxInt64 {
		return 0, false
	}
	return int64(v), true
}

// ParseUint parses b exactly as Redis's string2ull does (it reads stream
// IDs, for example). Redis passes it a C string, so b ends at its first NUL
// byte. A text string2ll accepts is valid if it is not negative; any other
// text goes to strtoull(3), which is lenient: it skips leading blanks and
// takes a '+' or even a '-' sign (negating modulo 2^64, so " -1" yields
// 18446744073709551615), and leading zeros, but rejects trailing bytes, an
// empty text and overflow.
func ParseUint(b []byte) (uint64, bool) {
	if i := bytes.IndexByte(b, 0); i >= 0 {
		b = b[:i]
	}
	if v, ok := ParseInt(b); ok {
		if v < 0 {
			return 0, false
		}
		return uint64(v), true
	}
	i := 0
	for i < len(b) && isspace(b[i]) {
		i++
	}
	neg := false
	if i < len(b) && (b[i] == '+' || b[i] == '-') {
		neg = b[i] == '-'
		i++
	}
	start := i
	var v uint64
	overflow := false
	for ; i < len(b) && b[i] >= '0' && b[i] <= '9'; i++ {
		d := uint64(b[i] - '0')
		if v > (math.MaxUint64-d)/10 {
			overflow = true
		}
		v = v*10 + d
	}
	if i == start || i != len(b) || overflow {
		return 0, false
	}
	if neg {
		v = -v
	}
	return v, true
}

// FormatDouble appends the text Redis 7.0's addReplyDouble uses for f:
// printf's "%.17g" ("1.1000000000000001", "1e+17", "-0"), with infinities
// as "inf" and "-inf" and NaN as "nan", or "-nan" when its sign bit is set,
// as glibc prints them.
func FormatDouble(dst []byte, f float64) []byte {
	switch {
	case math.IsInf(f, 1):
		return append(dst, "inf"...)
	case math.IsInf(f, -1):
		return append(dst, "-inf"...)
	case math.IsNaN(f):
		if math.Signbit(f) {
			return append(dst, "-nan"...)
		}
		return append(dst, "nan"...)
	}
	// strconv's 'g' with precision 17 matches C's %.17g digit for digit,
	// exponent form included (checked against glibc on random doubles).
	return strconv.AppendFloat(dst, f, 'g', 17, 64)
}
