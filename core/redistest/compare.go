package redistest

import (
	"bytes"
	"errors"
	"math"
	"slices"
	"strconv"

	"github.com/redisfs/redisfs/core/proto"
)

// Mode says how two replies are compared.
type Mode int

const (
	// Exact requires byte-identical replies.
	Exact Mode = iota
	// Sorted compares an aggregate reply (array, set, push; a map by its
	// pairs) ignoring the order of its top-level elements; each element
	// must still be byte-identical. Other replies compare exactly.
	Sorted
	// Approx compares replies by structure, numbers (integers, doubles,
	// and strings that parse as floats) within a relative 1e-9 and
	// everything else exactly.
	Approx
	// Any only requires both replies to be of the same RESP type.
	Any
)

// prefix returns the transcript prefix of the mode, with a trailing space.
func (m Mode) prefix() string {
	switch m {
	case Sorted:
		return "!sorted "
	case Approx:
		return "!approx "
	case Any:
		return "!any "
	}
	return ""
}

// Equal reports whether the raw replies a and b match under mode.
func Equal(mode Mode, a, b []byte) bool {
	switch mode {
	case Sorted:
		sa, errA := SortedArray(a)
		sb, errB := SortedArray(b)
		if errA != nil || errB != nil {
			return bytes.Equal(a, b)
		}
		return bytes.Equal(sa, sb)
	case Approx:
		return ApproxEqual(a, b, 1e-9)
	case Any:
		return SameType(a, b)
	}
	return bytes.Equal(a, b)
}

// SameType reports whether two raw replies have the same RESP type byte.
func SameType(a, b []byte) bool {
	return len(a) > 0 && len(b) > 0 && a[0] == b[0]
}

// errNotAggregate is returned by Elements for a reply that has none.
var errNotAggregate = errors.New("not an aggregate reply")

// Elements splits a raw aggregate reply (array, set, push, map, attribute;
// not null) into its header line and the raw bytes of each top-level
// element (a map's keys and values alternate). It fails on anything else
// or on a reply that is not exactly one complete RESP value.
func Elements(reply []byte) (header []byte, elems [][]byte, err error) {
	r, n, err := proto.ReadReply(reply)
	if err != nil {
		return nil, nil, err
	}
	if n != len(reply) {
		return nil, nil, errors.New("not exactly one reply")
	}
	switch r.Type {
	case '*', '~', '>', '%', '|':
	default:
		return nil, nil, errNotAggregate
	}
	if r.Null {
		return nil, nil, errNotAggregate
	}
	pos := bytes.Index(reply, []byte("\r\n")) + 2
	header = reply[:pos]
	for range r.Elems {
		_, n, err := proto.ReadReply(reply[pos:])
		if err != nil || n == 0 {
			return nil, nil, errors.New("truncated aggregate")
		}
		elems = append(elems, reply[pos:pos+n])
		pos += n
	}
	return header, elems, nil
}

// SortedArray returns an aggregate reply with its top-level elements put
// in byte order (a map's or attribute's key-value pairs kept together), so
// that two replies equal up to order become identical. Nested aggregates
// are left as they are.
func SortedArray(reply []byte) ([]byte, error) {
	header, elems, err := Elements(reply)
	if err != nil {
		return nil, err
	}
	if header[0] == '%' || header[0] == '|' {
		pairs := make([][]byte, 0, len(elems)/2)
		for i := 0; i+1 < len(elems); i += 2 {
			pairs = append(pairs, append(bytes.Clone(elems[i]), elems[i+1]...))
		}
		elems = pairs
	}
	slices.SortFunc(elems, bytes.Compare)
	out := bytes.Clone(header)
	for _, e := range elems {
		out = append(out, e...)
	}
	return out, nil
}

// ApproxEqual reports whether two raw replies have the same structure and
// equal contents, where numbers (integers, doubles, and simple or bulk
// strings that parse as floats, "inf" and "nan" included) may differ by a
// relative rel.
func ApproxEqual(a, b []byte, rel float64) bool {
	ra, na, errA := proto.ReadReply(a)
	rb, nb, errB := proto.ReadReply(b)
	if errA != nil || errB != nil || na != len(a) || nb != len(b) || na == 0 || nb == 0 {
		return bytes.Equal(a, b)
	}
	return approxReply(&ra, &rb, rel)
}

func approxReply(a, b *proto.Reply, rel float64) bool {
	if a.Type != b.Type || a.Null != b.Null || len(a.Elems) != len(b.Elems) {
		return false
	}
	switch a.Type {
	case ':':
		return approxFloat(float64(a.Int), float64(b.Int), rel)
	case '#':
		return a.Int == b.Int
	}
	if !bytes.Equal(a.Str, b.Str) {
		fa, errA := strconv.ParseFloat(string(a.Str), 64)
		fb, errB := strconv.ParseFloat(string(b.Str), 64)
		if errA != nil || errB != nil || !approxFloat(fa, fb, rel) {
			return false
		}
	}
	for i := range a.Elems {
		if !approxReply(&a.Elems[i], &b.Elems[i], rel) {
			return false
		}
	}
	return true
}

func approxFloat(a, b, rel float64) bool {
	if a == b || math.IsNaN(a) && math.IsNaN(b) {
		return true
	}
	return math.Abs(a-b) <= rel*math.Max(math.Abs(a), math.Abs(b))
}
