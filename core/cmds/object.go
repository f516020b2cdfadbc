package cmds

import (
	"math"
	"strconv"
	"unsafe"

	"github.com/redisfs/redisfs/core/proto"
)

// Object types, as Redis's OBJ_* (the numbers are RDB's).
//
// Exported for the tests of core/cmds.
const (
	TypeString = 0
	TypeList   = 1
	TypeSet    = 2
	TypeZSet   = 3
	TypeHash   = 4
	TypeStream = 6
)

// Object encodings, as Redis's OBJ_ENCODING_*.
//
// Exported for the tests of core/cmds.
const (
	encRaw        = 0
	encInt        = 1
	encHashtable  = 2
	encIntset     = 6
	encSkiplist   = 7
	encEmbstr     = 8
	EncQuicklist  = 9
	encStream     = 10
	encListpack   = 11
	embstrSizeMax = 44 // OBJ_ENCODING_EMBSTR_SIZE_LIMIT
)

var encodingNames = [...]string{
	encRaw: "raw", encInt: "int", encHashtable: "hashtable", 3: "zipmap", 4: "linkedlist",
	5: "ziplist", encIntset: "intset", encSkiplist: "skiplist", encEmbstr: "embstr",
	EncQuicklist: "quicklist", encStream: "stream", encListpack: "listpack",
}

var typeNames = [...]string{TypeString: "string", TypeList: "list", TypeSet: "set",
	TypeZSet: "zset", TypeHash: "hash", 5: "module", TypeStream: "stream"}

// Object is one value of the keyspace, kept in 24 bytes so that a database
// entry (key header, Object, chain pointer) is one 48-byte allocation:
// millions of them are what the garbage collector scans.
//
// A string is ptr → its bytes with n = len | cap<<32, or, encoded as an
// integer, ptr == nil with n holding the value. A collection is ptr → its
// type's structure (which one is told by typ and enc).
//
// Used by core/persist (and the tests of core/cmds).
type Object struct {
	ptr unsafe.Pointer
	n   uint64
	typ uint8
	enc uint8
	// unshared marks a small int-encoded string that Redis would hold
	// in an object of its own rather than a shared integer (the copy
	// COPY makes), for OBJECT REFCOUNT. It sits in what was padding
	// before lru: after lru it would make Object 32 bytes.
	unshared bool
	// lru is the LRU clock (seconds, 24 bits as Redis) or LFU data of the
	// object, for OBJECT IDLETIME/FREQ and eviction.
	lru uint32
}

// Type returns the object's type (TypeString …).
func (o *Object) Type() uint8 { return o.typ }

// encoding returns the object's encoding (encRaw …).
func (o *Object) encoding() uint8 { return o.enc }

// typeName returns the name TYPE answers with.
func (o *Object) typeName() string { return typeNames[o.typ] }

// EncodingName returns the name OBJECT ENCODING answers with.
//
// Exported for the tests of core/cmds.
func (o *Object) EncodingName() string { return encodingNames[o.enc] }

// SetPtr makes o a collection of the given type and encoding held at p.
//
// Exported for the tests of core/cmds.
func (o *Object) SetPtr(typ, enc uint8, p unsafe.Pointer) {
	o.typ, o.enc, o.ptr, o.n = typ, enc, p, 0
}

// pointer returns the collection structure of o.
func (o *Object) pointer() unsafe.Pointer { return o.ptr }

// newObject returns an object of a collection type with encoding enc
// holding p.
func newObject(typ, enc uint8, p unsafe.Pointer) Object {
	var o Object
	o.SetPtr(typ, enc, p)
	return o
}

// newStringObject returns a string object holding a copy of b, encoded as
// Redis's createStringObject followed by tryObjectEncoding would (int when b
// is a canonical integer of at most 20 characters, else embstr up to 44
// bytes, else raw).
func newStringObject(b []byte) Object {
	if len(b) <= 20 {
		if v, ok := proto.ParseInt(b); ok {
			return newIntObject(v)
		}
	}
	o := newRawBytes(b, len(b))
	if len(b) <= embstrSizeMax {
		o.enc = encEmbstr
	}
	return o
}

// newRawStringObject returns a raw-encoded string object holding a copy of b,
// with room for capacity bytes (as APPEND and SETRANGE leave them).
func newRawStringObject(b []byte, capacity int) Object {
	return newRawBytes(b, capacity)
}

func newRawBytes(b []byte, capacity int) Object {
	if capacity < len(b) {
		capacity = len(b)
	}
	var p unsafe.Pointer
	if capacity > 0 {
		buf := make([]byte, len(b), capacity)
		copy(buf, b)
		p = unsafe.Pointer(unsafe.SliceData(buf))
		capacity = cap(buf)
	}
	return Object{ptr: p, n: uint64(len(b)) | uint64(capacity)<<32, typ: TypeString, enc: encRaw}
}

// newIntObject returns a string object encoded as an integer.
func newIntObject(v int64) Object {
	return Object{n: uint64(v), typ: TypeString, enc: encInt}
}

// isInt reports whether o is a string encoded as an integer.
func (o *Object) isInt() bool { return o.typ == TypeString && o.enc == encInt }

// int returns the value of an int-encoded string.
func (o *Object) int() int64 { return int64(o.n) }

// Bytes returns the string's bytes for a raw or embstr string. They alias the
// object: callers copy before keeping them past the next write to the key.
// For an int-encoded string it returns nil; use appendString.
func (o *Object) Bytes() []byte {
	if o.enc == encInt || o.ptr == nil {
		return nil
	}
	return unsafe.Slice((*byte)(o.ptr), int(o.n>>32))[:uint32(o.n)]
}

// appendString appends the string value of o (whatever its encoding) to dst.
func (o *Object) appendString(dst []byte) []byte {
	if o.enc == encInt {
		return strconv.AppendInt(dst, int64(o.n), 10)
	}
	return append(dst, o.Bytes()...)
}

// StrLen returns the length of the string value of o.
func (o *Object) StrLen() int {
	if o.enc == encInt {
		v := int64(o.n)
		n := 1
		if v < 0 {
			n++
		}
		for v >= 10 || v <= -10 {
			v /= 10
			n++
		}
		return n
	}
	return int(uint32(o.n))
}

// bufCap returns the capacity of a raw string's buffer.
func (o *Object) bufCap() int {
	if o.enc == encInt {
		return 0
	}
	return int(o.n >> 32)
}

// SetBytes makes o a raw string holding b, reusing b's backing array: the
// caller hands b over and must not use it again.
func (o *Object) SetBytes(b []byte) {
	o.typ, o.enc = TypeString, encRaw
	if cap(b) == 0 {
		o.ptr, o.n = nil, 0
		return
	}
	o.ptr = unsafe.Pointer(unsafe.SliceData(b))
	o.n = uint64(len(b)) | uint64(cap(b))<<32
}

// rawBuffer returns the whole buffer of a raw string, with its capacity, for
// in-place edits; hand it back with SetBytes.
func (o *Object) rawBuffer() []byte {
	if o.ptr == nil {
		return nil
	}
	return unsafe.Slice((*byte)(o.ptr), int(o.n>>32))[:uint32(o.n)]
}

// bstr views b as a string without copying, for lookups that do not retain
// the key. The string must not outlive the next change to b.
func bstr(b []byte) string {
	if len(b) == 0 {
		return ""
	}
	return unsafe.String(unsafe.SliceData(b), len(b))
}

// stringObjectBytes returns the bytes of the string value of o; an
// int-encoded value is formatted into buf, as getObjectReadOnlyString.
func stringObjectBytes(o *Object, buf *[24]byte) []byte {
	if o.enc == encInt {
		return strconv.AppendInt(buf[:0], o.int(), 10)
	}
	return o.Bytes()
}

// newStringObjectNoInt is Redis's createStringObject: embstr up to 44 bytes,
// raw beyond, never int (INCRBYFLOAT stores its result this way).
func newStringObjectNoInt(b []byte) Object {
	o := newRawBytes(b, len(b))
	if len(b) <= embstrSizeMax {
		o.enc = encEmbstr
	}
	return o
}

// dupStringObject copies a string keeping its encoding (dupStringObject).
func dupStringObject(o *Object) Object {
	switch o.enc {
	case encInt:
		// Redis's dupStringObject makes a new object, never a
		// shared integer: OBJECT REFCOUNT of the copy is 1.
		n := newIntObject(o.int())
		n.unshared = true
		return n
	case encEmbstr:
		n := newRawBytes(o.Bytes(), o.StrLen())
		n.enc = encEmbstr
		return n
	}
	return newRawBytes(o.Bytes(), o.StrLen())
}

// ---------------------------------------------------------------------------
// Arguments: the get…FromObjectOrReply helpers, which reply on failure.

// argLongLongOrReply parses an integer argument as Redis's
// getLongLongFromObjectOrReply; msg replaces the default error text.
func argLongLongOrReply(c *Client, b []byte, msg string) (int64, bool) {
	v, ok := proto.ParseInt(b)
	if !ok {
		if msg == "" {
			msg = errNotInteger
		}
		c.addReplyError(msg)
	}
	return v, ok
}

// getLongFromArgOrReply parses an integer argument as Redis's
// getLongFromObjectOrReply; msg, when not empty, replaces the default
// error text.
func getLongFromArgOrReply(c *Client, b []byte, msg string) (int64, bool) {
	return argLongLongOrReply(c, b, msg)
}

// getRangeLongFromArgOrReply is Redis's getRangeLongFromObjectOrReply: an
// integer within [lo, hi], or an error (msg when given, for both failures).
func getRangeLongFromArgOrReply(c *Client, b []byte, lo, hi int64, msg string) (int64, bool) {
	v, ok := getLongFromArgOrReply(c, b, msg)
	if !ok {
		return 0, false
	}
	if v < lo || v > hi {
		if msg != "" {
			c.addReplyError(msg)
		} else {
			c.addReplyErrorFormat("value is out of range, value must between %d and %d", lo, hi)
		}
		return 0, false
	}
	return v, true
}

// getPositiveLongFromArgOrReply is Redis's getPositiveLongFromObjectOrReply.
func getPositiveLongFromArgOrReply(c *Client, b []byte, msg string) (int64, bool) {
	if msg == "" {
		msg = errNotIntOrNeg
	}
	return getRangeLongFromArgOrReply(c, b, 0, math.MaxInt64, msg)
}

// getIntFromArgOrReply is getIntFromObjectOrReply with no custom message.
func getIntFromArgOrReply(c *Client, arg []byte) (int, bool) {
	v, ok := proto.ParseInt(arg)
	if !ok {
		c.addReplyError(errNotInteger)
		return 0, false
	}
	if v < -2147483648 || v > 2147483647 {
		c.addReplyError("value is out of range, value must between -2147483648 and 2147483647")
		return 0, false
	}
	return int(v), true
}

// getDoubleFromArgOrReply is Redis's getDoubleFromObjectOrReply; msg, when
// not empty, replaces "value is not a valid float".
func getDoubleFromArgOrReply(c *Client, b []byte, msg string) (float64, bool) {
	v, ok := string2d(b)
	if !ok {
		if msg == "" {
			msg = errNotFloat
		}
		c.addReplyError(msg)
	}
	return v, ok
}

// rangeIndexesOrReply parses the start and stop indexes at argv[i] and
// argv[i+1] (LRANGE, LTRIM, ZRANGE, ZREMRANGEBYRANK).
func rangeIndexesOrReply(c *Client, i int) (start, end int64, ok bool) {
	if start, ok = argLongLongOrReply(c, c.argv[i], ""); !ok {
		return 0, 0, false
	}
	if end, ok = argLongLongOrReply(c, c.argv[i+1], ""); !ok {
		return 0, 0, false
	}
	return start, end, true
}
