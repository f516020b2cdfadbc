package proto

import (
	"bytes"
	"strings"
)

// Reply is one parsed reply, RESP2 or RESP3.
type Reply struct {
	// Type is the reply's type byte: '+' simple string, '-' error, ':'
	// integer, '$' bulk string, '*' array, '%' map, '~' set, '>' push,
	// '_' null, ',' double, '#' boolean, '(' big number, '=' verbatim
	// string or '|' attribute.
	Type byte

	// Str is the text of a simple string, error, bulk string, verbatim
	// string (without its "txt:" prefix), double or big number. It is nil
	// for a null and for the aggregate types.
	Str []byte

	// Int is the value of an integer, and 1 or 0 for a boolean.
	Int int64

	// Null is set for "$-1", "*-1" and "_".
	Null bool

	// Elems holds the elements of an array, set or push, and the keys and
	// values of a map or attribute flattened as k, v, k, v.
	Elems []Reply
}

// maxReplyDepth bounds the nesting of aggregates ReadReply accepts, so that
// hostile input cannot exhaust the stack.
const maxReplyDepth = 1000

// replyTypes lists the type bytes ReadReply understands.
const replyTypes = "+-:$*%~>_,#(=|"

var (
	errReplyType  = &ProtocolError{"Protocol error: invalid reply type"}
	errReplyLen   = &ProtocolError{"Protocol error: invalid reply length"}
	errReplyValue = &ProtocolError{"Protocol error: invalid reply value"}
	errReplyCRLF  = &ProtocolError{"Protocol error: bulk data not terminated by CRLF"}
	errReplyDepth = &ProtocolError{"Protocol error: reply nested too deeply"}
)

// ReadReply parses one complete reply from the start of buf and returns it
// with the number of bytes it took. n == 0 with a nil error means buf holds
// only part of a reply. Malformed input yields a *ProtocolError. Str fields
// alias buf. An attribute ('|') is returned as a reply of its own; the
// reply it annotates follows it in buf.
func ReadReply(buf []byte) (r Reply, n int, err error) {
	return (*ReplyDecoder)(nil).readReply(buf, 0, 0)
}

// ReplyDecoder is ReadReply with a reused arena for the elements of
// aggregate replies, so that decoding in a loop allocates nothing once the
// arena has grown to fit. The replies it returns stay valid until Reset.
// The zero value is ready to use; it is not safe for concurrent use.
type ReplyDecoder struct {
	elems []Reply
}

// Read parses one reply from the start of buf, as ReadReply; the Elems of
// the reply and of its elements come from d's arena.
func (d *ReplyDecoder) Read(buf []byte) (r Reply, n int, err error) {
	return d.readReply(buf, 0, 0)
}

// Reset makes the arena reusable: the replies Read returned so far must
// not be used any more. An arena grown past keep elements is dropped.
func (d *ReplyDecoder) Reset(keep int) {
	if cap(d.elems) > keep {
		d.elems = nil
		return
	}
	clear(d.elems)
	d.elems = d.elems[:0]
}

// alloc returns n elements, from the arena when d is not nil. Growing the
// arena leaves the slices handed out before in the old array, where they
// stay valid.
func (d *ReplyDecoder) alloc(n int64) []Reply {
	if d == nil {
		return make([]Reply, 0, min(n, 16))
	}
	if d.elems == nil || int64(cap(d.elems)-len(d.elems)) < n {
		d.elems = make([]Reply, 0, max(2*cap(d.elems), int(n), 64))
	}
	k := len(d.elems)
	d.elems = d.elems[:k+int(n)]
	return d.elems[k : k : k+int(n)]
}

// readLine returns the line starting at pos, without its "\r\n", and the
// position after it; ok is false if the line is not complete yet.
func readLine(buf []byte, pos int) (line []byte, next int, ok bool) {
	i := bytes.Index(buf[pos:], []byte("\r\n"))
	if i < 0 {
		return nil, 0, false
	}
	return buf[pos : pos+i], pos + i + 2, true
}

func (d *ReplyDecoder) readReply(buf []byte, pos, depth int) (Reply, int, error) {
	if pos >= len(buf) {
		return Reply{}, 0, nil
	}
	typ := buf[pos]
	if strings.IndexByte(replyTypes, typ) < 0 {
		return Reply{}, 0, errReplyType
	}
	line, next, ok := readLine(buf, pos+1)
	if !ok {
		return Reply{}, 0, nil
	}
	r := Reply{Type: typ}
	switch typ {
	case '+', '-', ',', '(':
		r.Str = line[:len(line):len(line)]
		return r, next, nil
	case ':':
		v, ok := ParseInt(line)
		if !ok {
			return Reply{}, 0, errReplyValue
		}
		r.Int = v
		return r, next, nil
	case '_':
		if len(line) != 0 {
			return Reply{}, 0, errReplyValue
		}
		r.Null = true
		return r, next, nil
	case '#':
		switch string(line) {
		case "t":
			r.Int = 1
		case "f":
		default:
			return Reply{}, 0, errReplyValue
		}
		return r, next, nil
	case '$', '=':
		l, ok := ParseInt(line)
		if !ok || l < -1 || l == -1 && typ == '=' {
			return Reply{}, 0, errReplyLen
		}
		if l == -1 {
			r.Null = true
			return r, next, nil
		}
		if l > int64(len(buf)-next)-2 {
			return Reply{}, 0, nil
		}
		end := next + int(l)
		if buf[end] != '\r' || buf[end+1] != '\n' {
			return Reply{}, 0, errReplyCRLF
		}
		r.Str = buf[next:end:end]
		if typ == '=' {
			if l < 4 || r.Str[3] != ':' {
				return Reply{}, 0, errReplyValue
			}
			r.Str = r.Str[4:]
		}
		return r, end + 2, nil
	case '*', '%', '~', '>', '|':
		l, ok := ParseInt(line)
		if !ok || l < -1 || l == -1 && typ != '*' {
			return Reply{}, 0, errReplyLen
		}
		if l == -1 {
			r.Null = true
			return r, next, nil
		}
		if typ == '%' || typ == '|' {
			if l > (1<<62)-1 {
				return Reply{}, 0, errReplyLen
			}
			l *= 2
		}
		if depth >= maxReplyDepth {
			return Reply{}, 0, errReplyDepth
		}
		// Grow Elems as elements arrive rather than trusting the
		// header's count: every element takes 3 bytes at least.
		r.Elems = d.alloc(min(l, int64(len(buf)-next)/3))
		pos = next
		for ; l > 0; l-- {
			e, n, err := d.readReply(buf, pos, depth+1)
			if err != nil || n == 0 {
				return Reply{}, 0, err
			}
			r.Elems = append(r.Elems, e)
			pos = n
		}
		return r, pos, nil
	}
	panic("unreachable")
}
