package cmds

import "unsafe"

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
		return nil
	}
	return unsafe.Slice(unsafe.StringData(s), len(s))
}
