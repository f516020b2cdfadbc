package proto

import "strconv"

// The Append functions encode replies in the strconv.AppendInt style: they
// append to dst and return the extended slice, allocating only to grow it.
// Those taking resp encode for a client speaking that protocol version
// (HELLO): 3 selects RESP3, anything else RESP2.

// appendLine appends s with '\r' and '\n' mapped to spaces, so that a simple
// string or an error built from user input stays one protocol line (Redis
// does the same for its formatted errors).
func appendLine(dst []byte, s string) []byte {
	for i := 0; i < len(s); i++ {
		c := s[i]
		if c == '\r' || c == '\n' {
			c = ' '
		}
		dst = append(dst, c)
	}
	return append(dst, '\r', '\n')
}

// appendPrefixed appends prefix, n in decimal and "\r\n": a RESP header.
func appendPrefixed(dst []byte, prefix byte, n int64) []byte {
	dst = append(dst, prefix)
	dst = strconv.AppendInt(dst, n, 10)
	return append(dst, '\r', '\n')
}

// AppendSimple appends the simple string "+s\r\n". A '\r' or '\n' in s is
// written as a space.
func AppendSimple(dst []byte, s string) []byte {
	return appendLine(append(dst, '+'), s)
}

// AppendError appends the error "-s\r\n". The caller supplies the error
// code, e.g. "ERR syntax error" or "WRONGTYPE Operation ...". A '\r' or
// '\n' in s is written as a space.
func AppendError(dst []byte, s string) []byte {
	return appendLine(append(dst, '-'), s)
}

// AppendInt appends the integer ":n\r\n".
func AppendInt(dst []byte, n int64) []byte {
	return appendPrefixed(dst, ':', n)
}

// AppendBulk appends the bulk string "$len\r\nb\r\n".
func AppendBulk(dst []byte, b []byte) []byte {
	dst = appendPrefixed(dst, '$', int64(len(b)))
	dst = append(dst, b...)
	return append(dst, '\r', '\n')
}

// AppendBulkString appends s as a bulk string, like AppendBulk.
func AppendBulkString(dst []byte, s string) []byte {
	dst = appendPrefixed(dst, '$', int64(len(s)))
	dst = append(dst, s...)
	return append(dst, '\r', '\n')
}

// AppendArrayLen appends the header "*n\r\n" of an array of n elements.
func AppendArrayLen(dst []byte, n int) []byte {
	return appendPrefixed(dst, '*', int64(n))
}

// AppendNullBulk appends a null string: "$-1\r\n" in RESP2, "_\r\n" in RESP3.
func AppendNullBulk(dst []byte, resp int) []byte {
	if resp >= 3 {
		return append(dst, "_\r\n"...)
	}
	return append(dst, "$-1\r\n"...)
}

// AppendNullArray appends a null array: "*-1\r\n" in RESP2, "_\r\n" in
// RESP3.
func AppendNullArray(dst []byte, resp int) []byte {
	if resp >= 3 {
		return append(dst, "_\r\n"...)
	}
	return append(dst, "*-1\r\n"...)
}

// AppendMapLen appends the header of a map of n key-value pairs: "%n\r\n"
// in RESP3, an array of 2n elements in RESP2.
func AppendMapLen(dst []byte, n int, resp int) []byte {
	if resp >= 3 {
		return appendPrefixed(dst, '%', int64(n))
	}
	return appendPrefixed(dst, '*', 2*int64(n))
}

// AppendSetLen appends the header of a set of n elements: "~n\r\n" in
// RESP3, an array in RESP2.
func AppendSetLen(dst []byte, n int, resp int) []byte {
	if resp >= 3 {
		return appendPrefixed(dst, '~', int64(n))
	}
	return appendPrefixed(dst, '*', int64(n))
}

// AppendPushLen appends the header of a push message of n elements:
// ">n\r\n" in RESP3, an array in RESP2.
func AppendPushLen(dst []byte, n int, resp int) []byte {
	if resp >= 3 {
		return appendPrefixed(dst, '>', int64(n))
	}
	return appendPrefixed(dst, '*', int64(n))
}

// AppendAttributeLen appends the header "|n\r\n" of an attribute map of n
// pairs. Attributes exist only in RESP3; the caller omits them for RESP2.
func AppendAttributeLen(dst []byte, n int) []byte {
	return appendPrefixed(dst, '|', int64(n))
}

// AppendBool appends a boolean: "#t\r\n" or "#f\r\n" in RESP3, the integer
// 1 or 0 in RESP2.
func AppendBool(dst []byte, b bool, resp int) []byte {
	switch {
	case resp >= 3 && b:
		return append(dst, "#t\r\n"...)
	case resp >= 3:
		return append(dst, "#f\r\n"...)
	case b:
		return append(dst, ":1\r\n"...)
	default:
		return append(dst, ":0\r\n"...)
	}
}

// AppendDouble appends f as Redis 7.0's addReplyDouble does: in RESP3 the
// double ",<text>\r\n", in RESP2 a bulk string of the same text, where the
// text is FormatDouble's ("1.1000000000000001", "inf", "-nan").
func AppendDouble(dst []byte, f float64, resp int) []byte {
	var buf [32]byte
	text := FormatDouble(buf[:0], f)
	if resp >= 3 {
		dst = append(dst, ',')
	} else {
		dst = appendPrefixed(dst, '$', int64(len(text)))
	}
	dst = append(dst, text...)
	return append(dst, '\r', '\n')
}

// AppendBigNumber appends the decimal text s of an integer too big for
// int64: "(s\r\n" in RESP3, a bulk string in RESP2.
func AppendBigNumber(dst []byte, s string, resp int) []byte {
	if resp >= 3 {
		dst = append(dst, '(')
		dst = append(dst, s...)
		return append(dst, '\r', '\n')
	}
	return AppendBulkString(dst, s)
}

// AppendVerbatim appends s as a verbatim string of the given format, the
// three letters "txt" or "mkd": "=len\r\nfmt:s\r\n" in RESP3, where len
// counts the "fmt:" prefix, and a plain bulk string of s in RESP2. Like
// Redis it writes exactly three bytes of format, padding with spaces.
func AppendVerbatim(dst []byte, s []byte, format string, resp int) []byte {
	if resp < 3 {
		return AppendBulk(dst, s)
	}
	dst = appendPrefixed(dst, '=', int64(len(s))+4)
	for i := 0; i < 3; i++ {
		c := byte(' ')
		if i < len(format) {
			c = format[i]
		}
		dst = append(dst, c)
	}
	dst = append(dst, ':')
	dst = append(dst, s...)
	return append(dst, '\r', '\n')
}
