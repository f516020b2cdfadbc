package fs

import (
	"unicode/utf8"
)

// maxNameLen is the longest file name the kernel passes (NAME_MAX).
const maxNameLen = 255

// emptyKeyName is the file name of the empty key: a lone '%' cannot come out
// of the encoding otherwise, since '%' itself is always escaped.
const emptyKeyName = "%"

const hexDigits = "0123456789ABCDEF"

// encodeKey appends the file name of key to dst. Key names are binary and
// file names are not, so the bytes that cannot stand in a name are written
// as %XX (upper-case hex): '/', NUL and the other control bytes, DEL, bytes
// that are not part of valid UTF-8, and '%' itself. A leading '.' is escaped
// too, so that no key is named "." or "..", and so that names beginning with
// a dot stay free for the scratch area (editor swap and temp files). The
// empty key is "%". The encoding is a bijection between byte strings and
// the canonical names decodeName accepts.
func encodeKey(dst []byte, key []byte) []byte {
	if len(key) == 0 {
		return append(dst, emptyKeyName...)
	}
	for i := 0; i < len(key); {
		b := key[i]
		switch {
		case b == '.' && i == 0, b == '%', b == '/', b < 0x20, b == 0x7f:
			dst = append(dst, '%', hexDigits[b>>4], hexDigits[b&15])
			i++
		case b < utf8.RuneSelf:
			dst = append(dst, b)
			i++
		default:
			r, n := utf8.DecodeRune(key[i:])
			if r == utf8.RuneError && n <= 1 {
				dst = append(dst, '%', hexDigits[b>>4], hexDigits[b&15])
				i++
				continue
			}
			dst = append(dst, key[i:i+n]...)
			i += n
		}
	}
	return dst
}

// keyName returns the file name of key.
func keyName(key []byte) string {
	var buf [128]byte
	return string(encodeKey(buf[:0], key))
}

func unhex(c byte) (byte, bool) {
	switch {
	case '0' <= c && c <= '9':
		return c - '0', true
	case 'A' <= c && c <= 'F':
		return c - 'A' + 10, true
	}
	return 0, false
}

// decodeName returns the key a file name stands for. Only canonical names
// are accepted (the ones encodeKey produces), so that one key has exactly
// one name and the kernel's caches never hold two entries for it.
func decodeName(name string) ([]byte, bool) {
	if name == emptyKeyName {
		return []byte{}, true
	}
	if name == "" || name[0] == '.' {
		return nil, false
	}
	key := make([]byte, 0, len(name))
	for i := 0; i < len(name); i++ {
		c := name[i]
		if c != '%' {
			key = append(key, c)
			continue
		}
		if i+2 >= len(name) {
			return nil, false
		}
		hi, ok1 := unhex(name[i+1])
		lo, ok2 := unhex(name[i+2])
		if !ok1 || !ok2 {
			return nil, false
		}
		key = append(key, hi<<4|lo)
		i += 2
	}
	// Reject names that decode but are not canonical (%41 for A, a
	// literal control byte, invalid UTF-8 left bare).
	var buf [128]byte
	if string(encodeKey(buf[:0], key)) != name {
		return nil, false
	}
	return key, true
}

// isScratchName reports whether a name created through the mount belongs to
// the scratch area: it begins with a dot (".k.swp", ".#k", "..." ), which
// no encoded key does.
func isScratchName(name string) bool {
	return len(name) > 0 && name[0] == '.'
}
