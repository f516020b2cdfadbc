package cmds

import (
	"bytes"
	"errors"
	"math"
	"math/big"
	"strconv"
	"strings"
	"syscall"
	"unicode"
	"unsafe"
)

// stringMatch reports whether str matches the glob-style pattern, exactly as
// Redis 7.0's stringmatchlen (util.c), which KEYS, SCAN MATCH, CONFIG GET,
// PSUBSCRIBE and ACL key patterns all use: '*' matches any run of bytes,
// '?' any byte, a backslash makes the next byte literal; "[abc]" one of
// the bytes, "[^abc]" none of them, "[a-z]" a range whose ends may come in
// either order, backslashes escaping inside brackets too; an unterminated
// '[' ends the pattern as if closed.
//
// It keeps Redis's quirks: bytes compare as C's signed char in ranges (so
// [\x01-\xff] is the range -1..1), nocase folds only ASCII letters, a
// mismatch after a '*' stops longer tries of earlier stars, and recursion
// deeper than 1000 stars fails the match (the CVE-2022-36021 guard).
func stringMatch(pattern, str []byte, nocase bool) bool {
	skipLonger := false
	return stringMatchImpl(pattern, str, nocase, &skipLonger, 0)
}

// patAt reads pattern[i], or 0 past its end: the C code reads the NUL
// terminator of its sds there.
func patAt(p []byte, i int) byte {
	if i < len(p) {
		return p[i]
	}
	return 0
}

// ctolower is C's tolower on a (signed) char in the C locale.
func ctolower(c int) int {
	if c >= 'A' && c <= 'Z' {
		return c + ('a' - 'A')
	}
	return c
}

func stringMatchImpl(p, s []byte, nocase bool, skipLonger *bool, nesting int) bool {
	// Protection against abusive patterns.
	if nesting > 1000 {
		return false
	}
	for len(p) > 0 && len(s) > 0 {
		switch p[0] {
		case '*':
			for len(p) > 0 && patAt(p, 1) == '*' {
				p = p[1:]
			}
			if len(p) == 1 {
				return true // match
			}
			for len(s) > 0 {
				if stringMatchImpl(p[1:], s, nocase, skipLonger, nesting+1) {
					return true
				}
				if *skipLonger {
					return false
				}
				s = s[1:]
			}
			// No match for the rest of the pattern from anywhere in the
			// rest of the string: longer matches of earlier stars cannot
			// help either.
			*skipLonger = true
			return false
		case '?':
			s = s[1:]
		case '[':
			p = p[1:]
			not := patAt(p, 0) == '^'
			if not {
				p = p[1:]
			}
			match := false
			for {
				if patAt(p, 0) == '\\' && len(p) >= 2 {
					p = p[1:]
					if p[0] == s[0] {
						match = true
					}
				} else if patAt(p, 0) == ']' {
					break
				} else if len(p) == 0 {
					// Unterminated: step back so the common advance
					// below leaves the pattern empty.
					p = p[:0:0]
					break
				} else if len(p) >= 3 && p[1] == '-' {
					start, end, c := int(int8(p[0])), int(int8(p[2])), int(int8(s[0]))
					if start > end {
						start, end = end, start
					}
					if nocase {
						start, end, c = ctolower(start), ctolower(end), ctolower(c)
					}
					p = p[2:]
					if c >= start && c <= end {
						match = true
					}
				} else if !nocase {
					if p[0] == s[0] {
						match = true
					}
				} else if ctolower(int(int8(p[0]))) == ctolower(int(int8(s[0]))) {
					match = true
				}
				p = p[1:]
			}
			if not {
				match = !match
			}
			if !match {
				return false
			}
			s = s[1:]
			if len(p) == 0 {
				// The C code backed up one byte and now advances past
				// it: the pattern is consumed.
				if len(s) == 0 {
					return true
				}
				return false
			}
		case '\\':
			if len(p) >= 2 {
				p = p[1:]
			}
			fallthrough
		default:
			if !nocase {
				if p[0] != s[0] {
					return false
				}
			} else if ctolower(int(int8(p[0]))) != ctolower(int(int8(s[0]))) {
				return false
			}
			s = s[1:]
		}
		p = p[1:]
		if len(s) == 0 {
			for patAt(p, 0) == '*' {
				p = p[1:]
			}
			break
		}
	}
	return len(p) == 0 && len(s) == 0
}

// equalFoldC reports whether arg equals the lower-case ASCII word s, case
// aside, as strcasecmp(arg, s) does on a C string: arg ends at its first
// NUL byte. Redis compares option names this way.
func equalFoldC(arg []byte, s string) bool {
	for i := 0; i < len(arg); i++ {
		c := arg[i]
		if c == 0 {
			return i == len(s)
		}
		if i >= len(s) {
			return false
		}
		if 'A' <= c && c <= 'Z' {
			c += 'a' - 'A'
		}
		if c != s[i] {
			return false
		}
	}
	return len(arg) == len(s)
}

// stringBytes views s as a byte slice without copying; the bytes must not
// be modified. It lets keys stored in a dict go to functions taking []byte.
func stringBytes(s string) []byte {
	if s == "" {
		// Not nil: the empty key "" is a key, and nil means "absent"
		// to the commands that take an optional destination.
		return []byte{}
	}
	return unsafe.Slice(unsafe.StringData(s), len(s))
}

// ---------------------------------------------------------------------------
// C strings and characters: how Redis's C code sees an argument.

// cstrN is what C's "%.Ns" prints of b: up to the first NUL byte and at
// most max bytes (cutting through a UTF-8 sequence if that is where the
// limit falls), as Redis's error messages are formatted.
func cstrN(b []byte, n int) []byte {
	b = cstr(b)
	if len(b) > n {
		b = b[:max(n, 0)]
	}
	return b
}

// cstr returns b up to its first NUL byte: Redis compares option names
// with strcasecmp or byte by byte on C strings, so "NX\x00junk" is NX.
func cstr(b []byte) []byte {
	if i := bytes.IndexByte(b, 0); i >= 0 {
		return b[:i]
	}
	return b
}

// optIs reports whether the option argument b names opt (lower case),
// comparing as strcasecmp does on the C string.
func optIs(b []byte, opt string) bool {
	b = cstr(b)
	if len(b) != len(opt) {
		return false
	}
	for i := 0; i < len(b); i++ {
		ch := b[i]
		if 'A' <= ch && ch <= 'Z' {
			ch += 'a' - 'A'
		}
		if ch != opt[i] {
			return false
		}
	}
	return true
}

// isCSpace is C's isspace in the C locale.
func isCSpace(ch byte) bool {
	return ch == ' ' || ch == '\t' || ch == '\n' || ch == '\v' || ch == '\f' || ch == '\r'
}

// isDigit, isHexDigit and isAlnum are C's isdigit, isxdigit and isalnum
// in the C locale.
func isDigit(c byte) bool    { return '0' <= c && c <= '9' }
func isHexDigit(c byte) bool { return isDigit(c) || 'a' <= c && c <= 'f' || 'A' <= c && c <= 'F' }
func isAlnum(c byte) bool    { return isDigit(c) || 'a' <= c && c <= 'z' || 'A' <= c && c <= 'Z' }

// hexVal is the value of the hex digit c.
func hexVal(c byte) byte {
	switch {
	case isDigit(c):
		return c - '0'
	case 'a' <= c && c <= 'f':
		return c - 'a' + 10
	}
	return c - 'A' + 10
}

// lowerByte is C's tolower on an unsigned byte in the C locale.
func lowerByte(b byte) byte {
	if 'A' <= b && b <= 'Z' {
		return b + 'a' - 'A'
	}
	return b
}

// appendRepr appends s quoted as sdscatrepr does.
func appendRepr(b []byte, s []byte) []byte {
	b = append(b, '"')
	for _, ch := range s {
		switch ch {
		case '\\', '"':
			b = append(b, '\\', ch)
		case '\n':
			b = append(b, '\\', 'n')
		case '\r':
			b = append(b, '\\', 'r')
		case '\t':
			b = append(b, '\\', 't')
		case '\a':
			b = append(b, '\\', 'a')
		case '\b':
			b = append(b, '\\', 'b')
		default:
			if ch >= 0x20 && ch < 0x7f {
				b = append(b, ch)
			} else {
				b = append(b, '\\', 'x', "0123456789abcdef"[ch>>4], "0123456789abcdef"[ch&15])
			}
		}
	}
	return append(b, '"')
}

// errnoText is what C's strerror says of err's errno ("Permission
// denied"), or err's text when it carries none.
func errnoText(err error) string {
	var errno syscall.Errno
	if !errors.As(err, &errno) {
		return err.Error()
	}
	s := errno.Error()
	if s == "" {
		return s
	}
	r := []rune(s)
	r[0] = unicode.ToUpper(r[0])
	return string(r)
}

// growZero extends a raw string buffer to n bytes, the new ones zero, as
// sdsgrowzero; growth is geometric so repeated small growths cost O(total).
func growZero(buf []byte, n int) []byte {
	if n <= len(buf) {
		return buf
	}
	if n <= cap(buf) {
		old := len(buf)
		buf = buf[:n]
		clear(buf[old:])
		return buf
	}
	return append(buf, make([]byte, n-len(buf))...)
}

// ---------------------------------------------------------------------------
// Numbers: strtod and Redis's string2d/double2ll on top of it.

// strtodPrefix parses the longest prefix of b that C's strtod(3) (glibc)
// accepts, b being read as a C string (it ends at its first NUL byte). It
// returns the value, the number of bytes consumed (0 when nothing could be
// converted) and whether strtod would set ERANGE (overflow to ±inf, or a
// nonzero number rounding to zero or to a subnormal).
func strtodPrefix(b []byte) (v float64, n int, erange bool) {
	at := func(i int) byte {
		if i < len(b) {
			return b[i]
		}
		return 0
	}
	i := 0
	for isCSpace(at(i)) {
		i++
	}
	neg := false
	if at(i) == '+' || at(i) == '-' {
		neg = at(i) == '-'
		i++
	}
	start := i
	word := func(w string) bool {
		for k := 0; k < len(w); k++ {
			if lowerByte(at(i+k)) != w[k] {
				return false
			}
		}
		return true
	}
	sign := func(f float64) float64 {
		if neg {
			return -f
		}
		return f
	}
	switch {
	case word("inf"):
		i += 3
		if word("inity") {
			i += 5
		}
		return sign(math.Inf(1)), i, false
	case word("nan"):
		i += 3
		if at(i) == '(' {
			k := i + 1
			for isAlnum(at(k)) || at(k) == '_' {
				k++
			}
			if at(k) == ')' {
				i = k + 1
			}
		}
		return sign(math.NaN()), i, false
	}
	isHex := at(i) == '0' && (at(i+1) == 'x' || at(i+1) == 'X')
	if isHex {
		k := i + 2
		digits := 0
		var mant []byte
		for isHexDigit(at(k)) {
			mant = append(mant, at(k))
			k++
			digits++
		}
		frac := 0
		if at(k) == '.' {
			k++
			for isHexDigit(at(k)) {
				mant = append(mant, at(k))
				k++
				digits++
				frac++
			}
		}
		if digits > 0 {
			exp := int64(0)
			if at(k) == 'p' || at(k) == 'P' {
				e := k + 1
				eneg := false
				if at(e) == '+' || at(e) == '-' {
					eneg = at(e) == '-'
					e++
				}
				if isDigit(at(e)) {
					for isDigit(at(e)) {
						if exp < 1<<40 {
							exp = exp*10 + int64(at(e)-'0')
						}
						e++
					}
					if eneg {
						exp = -exp
					}
					k = e
				}
			}
			exp -= 4 * int64(frac)
			f, er := hexFloat(mant, exp)
			return sign(f), k, er
		}
		// "0x" without hex digits: strtod reads the "0" alone.
	}
	k := i
	digits := 0
	nonzero := false
	for isDigit(at(k)) {
		nonzero = nonzero || at(k) != '0'
		k++
		digits++
	}
	if at(k) == '.' {
		k++
		for isDigit(at(k)) {
			nonzero = nonzero || at(k) != '0'
			k++
			digits++
		}
	}
	if digits == 0 {
		return 0, 0, false
	}
	mantEnd := k
	if at(k) == 'e' || at(k) == 'E' {
		e := k + 1
		if at(e) == '+' || at(e) == '-' {
			e++
		}
		if isDigit(at(e)) {
			for isDigit(at(e)) {
				e++
			}
			k = e
		}
	}
	text := string(b[start:mantEnd])
	if k > mantEnd {
		// Clamp huge exponents: strconv wants them in range, and the
		// result is ±inf or 0 anyway.
		exp := b[mantEnd+1 : k]
		eneg := exp[0] == '-'
		if exp[0] == '+' || exp[0] == '-' {
			exp = exp[1:]
		}
		for len(exp) > 1 && exp[0] == '0' {
			exp = exp[1:]
		}
		if len(exp) > 6 {
			exp = []byte("999999")
		}
		if eneg {
			text += "e-" + string(exp)
		} else {
			text += "e" + string(exp)
		}
	}
	f, err := strconv.ParseFloat(text, 64)
	switch {
	case err != nil && math.IsInf(f, 0):
		erange = true
	case nonzero && (f == 0 || math.Abs(f) < 0x1p-1022):
		erange = true
	}
	return sign(f), k, erange
}

// hexFloat returns the value of the hexadecimal mantissa digits times
// 2^exp, correctly rounded, and whether it overflowed or underflowed.
func hexFloat(mant []byte, exp int64) (float64, bool) {
	for len(mant) > 0 && mant[0] == '0' {
		mant = mant[1:]
	}
	if len(mant) == 0 {
		return 0, false
	}
	// Keep 16 significant hex digits (64 bits) plus a sticky bit for the
	// rest: enough for a correctly rounded double.
	var m uint64
	sticky := false
	for i, d := range mant {
		if i < 15 {
			m = m<<4 | uint64(hexVal(d))
		} else {
			exp += 4
			if hexVal(d) != 0 {
				sticky = true
			}
		}
	}
	if sticky {
		m = m<<1 | 1
		exp--
	}
	top := int64(bitsLen(m)) + exp
	if top > 1100 {
		return math.Inf(1), true
	}
	if top < -1100 {
		return 0, true
	}
	text := "0x" + strconv.FormatUint(m, 16) + "p" + strconv.FormatInt(exp, 10)
	f, err := strconv.ParseFloat(text, 64)
	if err != nil && math.IsInf(f, 0) {
		return f, true
	}
	return f, f == 0 || math.Abs(f) < 0x1p-1022
}

// bitsLen is the number of significant bits of m.
func bitsLen(m uint64) int {
	n := 0
	for m != 0 {
		m >>= 1
		n++
	}
	return n
}

// string2d parses a double argument as Redis's string2d (getDoubleFromObject):
// the whole text must be a number strtod accepts, with no leading space, no
// overflow, no underflow to zero, and not NaN.
func string2d(b []byte) (float64, bool) {
	if len(b) == 0 || isCSpace(b[0]) {
		return 0, false
	}
	v, n, erange := strtodPrefix(b)
	if n != len(b) || math.IsNaN(v) {
		return 0, false
	}
	if erange && (math.IsInf(v, 0) || v == 0) {
		return 0, false
	}
	return v, true
}

// double2ll reports whether d is an integer that a listpack stores as one
// (Redis's double2ll: within ±2^62 and without a fraction).
func double2ll(d float64) (int64, bool) {
	const lim = float64(math.MaxInt64 / 2)
	if !(d >= -lim && d <= lim) {
		return 0, false
	}
	ll := int64(d)
	if float64(ll) != d {
		return 0, false
	}
	return ll, true
}

// cStrtod parses the longest prefix of b that is a number, as C's strtod;
// 0 when there is none.
func cStrtod(b []byte) float64 {
	s := strings.TrimLeft(string(b), " \t\n\v\f\r")
	for end := len(s); end > 0; end-- {
		if f, err := strconv.ParseFloat(s[:end], 64); err == nil {
			return f
		}
	}
	return 0
}

// cAtoiPrefix returns the leading integer text of b, as C's atoi reads it.
func cAtoiPrefix(b []byte) string {
	s := strings.TrimLeft(string(b), " \t\n\v\f\r")
	end := 0
	if end < len(s) && (s[end] == '-' || s[end] == '+') {
		end++
	}
	for end < len(s) && s[end] >= '0' && s[end] <= '9' {
		end++
	}
	return s[:end]
}

// ---------------------------------------------------------------------------
// Long doubles: string2ld and the arithmetic of INCRBYFLOAT/HINCRBYFLOAT.

// Long double arithmetic for INCRBYFLOAT. Values are big.Floats of 64-bit
// precision (the x87 mantissa) kept within the x87 exponent range: finite
// values below 2^16384, normal ones from 2^-16382, subnormal ones multiples
// of 2^-16445. Every result is computed exactly and rounded once, to
// nearest with ties to even, as the FPU does.
const (
	ldPrec   = 64
	ldMaxExp = 16384  // MantExp (mantissa in [0.5, 1)) of the largest finite values
	ldMinExp = -16381 // MantExp of the smallest normal value, 2^-16382
	ldSubExp = -16445 // subnormals are multiples of 2^-16445
	// ldMaxChars is MAX_LONG_DOUBLE_CHARS: string2ld refuses texts this long.
	ldMaxChars = 5 * 1024
)

// ldRound rounds the exact value x to the nearest long double; overflow
// gives an infinity.
func ldRound(x *big.Float) *big.Float {
	z := new(big.Float).SetPrec(ldPrec)
	if x.IsInf() || x.Sign() == 0 {
		return z.Set(x)
	}
	e := x.MantExp(nil)
	if e >= ldMinExp {
		z.Set(x)
		if z.MantExp(nil) > ldMaxExp {
			z.SetInf(x.Sign() < 0)
		}
		return z
	}
	// Subnormal: x lies in [2^(e-1), 2^e), where the grid 2^-16445 leaves
	// e+16445 significant bits.
	if p := e - ldSubExp; p >= 1 {
		z.SetPrec(uint(p)).Set(x)
		return z.SetPrec(ldPrec)
	} else if p == 0 {
		// Between half the smallest subnormal and the subnormal itself:
		// a tie rounds to (even) zero.
		half := new(big.Float).SetMantExp(big.NewFloat(0.5), ldSubExp)
		if new(big.Float).Abs(x).Cmp(half) > 0 {
			z.SetMantExp(big.NewFloat(0.5), ldSubExp+1)
			if x.Sign() < 0 {
				z.Neg(z)
			}
			return z
		}
	}
	z.SetInt64(0)
	if x.Sign() < 0 {
		z.Neg(z)
	}
	return z
}

// ldAdd returns a+b rounded to long double, and false when the sum is an
// infinity or NaN.
func ldAdd(a, b *big.Float) (*big.Float, bool) {
	if a.IsInf() || b.IsInf() {
		return nil, false
	}
	prec := uint(ldPrec + 2)
	if a.Sign() != 0 && b.Sign() != 0 {
		d := a.MantExp(nil) - b.MantExp(nil)
		if d < 0 {
			d = -d
		}
		prec += uint(d)
	}
	s := new(big.Float).SetPrec(prec).Add(a, b) // exact at this precision
	r := ldRound(s)
	return r, !r.IsInf()
}

// parseLongDouble parses b as Redis's string2ld: the whole text must be a
// number strtold(3) accepts (decimal or hexadecimal, "inf"/"infinity", not
// NaN), no leading space, shorter than 5120 bytes, and neither overflowing
// nor underflowing to zero.
func parseLongDouble(b []byte) (*big.Float, bool) {
	if len(b) == 0 || len(b) >= ldMaxChars || isCSpace(b[0]) {
		return nil, false
	}
	i := 0
	neg := false
	if b[0] == '+' || b[0] == '-' {
		neg = b[0] == '-'
		i++
	}
	rest := b[i:]
	if optIs(rest, "inf") || optIs(rest, "infinity") {
		if bytes.IndexByte(rest, 0) >= 0 {
			return nil, false
		}
		return new(big.Float).SetPrec(ldPrec).SetInf(neg), true
	}
	hex := len(rest) >= 2 && rest[0] == '0' && (rest[1] == 'x' || rest[1] == 'X')
	if hex {
		rest = rest[2:]
	}
	isDigit := func(ch byte) bool {
		if hex {
			return isHexDigit(ch)
		}
		return '0' <= ch && ch <= '9'
	}
	// Mantissa: digits with at most one point, at least one digit.
	var mant []byte
	frac := 0
	seenPoint := false
	k := 0
	for ; k < len(rest); k++ {
		ch := rest[k]
		if ch == '.' && !seenPoint {
			seenPoint = true
			continue
		}
		if !isDigit(ch) {
			break
		}
		mant = append(mant, ch)
		if seenPoint {
			frac++
		}
	}
	if len(mant) == 0 {
		return nil, false
	}
	// Exponent: e/E (p/P for hex), an optional sign, digits; saturated.
	var exp int64
	if k < len(rest) {
		ch := rest[k]
		if hex && ch != 'p' && ch != 'P' || !hex && ch != 'e' && ch != 'E' {
			return nil, false
		}
		k++
		eneg := false
		if k < len(rest) && (rest[k] == '+' || rest[k] == '-') {
			eneg = rest[k] == '-'
			k++
		}
		if k == len(rest) {
			return nil, false
		}
		for ; k < len(rest); k++ {
			ch := rest[k]
			if ch < '0' || ch > '9' {
				return nil, false
			}
			if exp < 1<<40 {
				exp = exp*10 + int64(ch-'0')
			}
		}
		if eneg {
			exp = -exp
		}
	}
	// Strip leading zeros; a zero mantissa is an exact zero.
	for len(mant) > 0 && mant[0] == '0' {
		mant = mant[1:]
	}
	z := new(big.Float).SetPrec(ldPrec)
	if len(mant) == 0 {
		if neg {
			z.Neg(z)
		}
		return z, true
	}
	m := new(big.Int)
	var x *big.Float
	if hex {
		m.SetString(string(mant), 16)
		exp2 := exp - 4*int64(frac)
		top := int64(m.BitLen()) + exp2 // x < 2^top
		if top > ldMaxExp+1 || top < ldSubExp-1 {
			return nil, false
		}
		x = new(big.Float).SetInt(m)
		x.SetMantExp(x, int(exp2))
	} else {
		m.SetString(string(mant), 10)
		exp10 := exp - int64(frac)
		top := int64(len(mant)) + exp10 // x < 10^top
		if top > 4934 || top < -4952 {
			return nil, false
		}
		if exp10 >= 0 {
			m.Mul(m, new(big.Int).Exp(big.NewInt(10), big.NewInt(exp10), nil))
			x = new(big.Float).SetInt(m)
		} else {
			// m / 10^-exp10: an integer quotient of at least 70 bits with
			// a sticky bit for the remainder rounds as the exact value.
			d := new(big.Int).Exp(big.NewInt(10), big.NewInt(-exp10), nil)
			s := max(d.BitLen()-m.BitLen()+70, 0)
			q, r := new(big.Int).QuoRem(m.Lsh(m, uint(s)), d, new(big.Int))
			q.Lsh(q, 1)
			if r.Sign() != 0 {
				q.SetBit(q, 0, 1)
			}
			x = new(big.Float).SetInt(q)
			x.SetMantExp(x, -(s + 1))
		}
	}
	z = ldRound(x)
	if z.IsInf() || z.Sign() == 0 {
		return nil, false // ERANGE: overflow, or underflow to zero
	}
	if neg {
		z.Neg(z)
	}
	return z, true
}

// ldFormatHuman appends x as Redis's ld2string in LD_STR_HUMAN mode:
// "%.17Lf", trailing zeros (and a trailing point) removed, "-0" as "0".
func ldFormatHuman(dst []byte, x *big.Float) []byte {
	start := len(dst)
	dst = x.Append(dst, 'f', 17)
	if bytes.IndexByte(dst[start:], '.') >= 0 {
		for dst[len(dst)-1] == '0' {
			dst = dst[:len(dst)-1]
		}
		if dst[len(dst)-1] == '.' {
			dst = dst[:len(dst)-1]
		}
	}
	if string(dst[start:]) == "-0" {
		dst = append(dst[:start], '0')
	}
	return dst
}

// ldZero and ldFromInt64 return long doubles (64-bit mantissas) of 0 and v.
func ldZero() *big.Float { return new(big.Float).SetPrec(ldPrec) }

func ldFromInt64(v int64) *big.Float { return new(big.Float).SetPrec(ldPrec).SetInt64(v) }
