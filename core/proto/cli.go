package proto

import "strconv"

// AppendCLI appends r as redis-cli 7.0 prints it when its standard output is
// not a terminal (cliFormatReplyRaw followed by the "\n" command delimiter).
//
// Strings, simple strings, verbatim strings (without "txt:") and doubles
// print their bare text, integers their decimal value, booleans "(true)" or
// "(false)", and a null nothing. An error prints its text and a newline of
// its own, so a top-level error ends in "\n\n". The elements of arrays,
// sets and pushes go one per line, nested ones flattened the same way, and
// an empty aggregate prints nothing; a map prints "key value" per line.
//
// redis-cli 7.0 cannot print two RESP3 types at all: a big number makes it
// exit with "Unknown reply type" and an attribute with a protocol error.
// AppendCLI prints a big number's digits and an attribute as a map.
//
// For a few commands (INFO, CLIENT LIST, CLUSTER NODES, ...) redis-cli omits
// the final "\n"; that choice depends on the command and is the caller's.
func AppendCLI(dst []byte, r *Reply) []byte {
	dst = appendCLIRaw(dst, r)
	return append(dst, '\n')
}

// appendCLIRaw is cliFormatReplyRaw with the default "\n" as multi-bulk
// delimiter.
func appendCLIRaw(dst []byte, r *Reply) []byte {
	if r.Null {
		return dst
	}
	switch r.Type {
	case '-':
		dst = append(dst, r.Str...)
		return append(dst, '\n')
	case ':':
		return strconv.AppendInt(dst, r.Int, 10)
	case '#':
		if r.Int != 0 {
			return append(dst, "(true)"...)
		}
		return append(dst, "(false)"...)
	case '*', '~', '>':
		for i := range r.Elems {
			if i > 0 {
				dst = append(dst, '\n')
			}
			dst = appendCLIRaw(dst, &r.Elems[i])
		}
		return dst
	case '%', '|':
		for i := 0; i+1 < len(r.Elems); i += 2 {
			if i > 0 {
				dst = append(dst, '\n')
			}
			dst = appendCLIRaw(dst, &r.Elems[i])
			dst = append(dst, ' ')
			dst = appendCLIRaw(dst, &r.Elems[i+1])
		}
		return dst
	default: // '+', '$', '=', ',', '('
		return append(dst, r.Str...)
	}
}
