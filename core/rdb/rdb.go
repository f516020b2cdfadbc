// Package rdb implements the parts of Redis's RDB format that know nothing
// of the keyspace (after Redis 7.0's rdb.c, lzf_c.c, lzf_d.c and crc64.c):
// the object type numbers, length and string encodings (integers, LZF),
// binary doubles, LZF itself and the CRC64 that closes DUMP payloads and RDB
// files. Command code builds DUMP payloads and RDB files from these pieces;
// how a value of each type is laid out lives with the value (core/cmds).
//
// Everything here is a pure function of its input and safe for concurrent
// use; a Reader belongs to one goroutine.
package rdb

import (
	"encoding/binary"
	"errors"
	"math"
	"strconv"

	"github.com/redisfs/redisfs/core/proto"
)

// Version is RDB_VERSION of Redis 7.0: the version DUMP payloads carry and
// the highest one RESTORE accepts.
const Version = 10

// Object types (RDB_TYPE_*) of RDB version 10.
const (
	TypeString           = 0
	TypeList             = 1
	TypeSet              = 2
	TypeZSet             = 3
	TypeHash             = 4
	TypeZSet2            = 5 // sorted set with binary double scores
	TypeModulePreGA      = 6
	TypeModule2          = 7
	TypeHashZipmap       = 9
	TypeListZiplist      = 10
	TypeSetIntset        = 11
	TypeZSetZiplist      = 12
	TypeHashZiplist      = 13
	TypeListQuicklist    = 14
	TypeStreamListpacks  = 15
	TypeHashListpack     = 16
	TypeZSetListpack     = 17
	TypeListQuicklist2   = 18
	TypeStreamListpacks2 = 19 // stream with first ID, tombstones, entries added and entries read
)

// IsObjectType reports whether t is an object type of RDB version 10
// (rdbIsObjectType).
func IsObjectType(t byte) bool { return t <= 7 || t >= 9 && t <= 19 }

// Length encodings: the two high bits of the first byte (RDB_6BITLEN,
// RDB_14BITLEN, RDB_ENCVAL) or the whole byte (RDB_32BITLEN, RDB_64BITLEN).
const (
	len6Bit  = 0
	len14Bit = 1
	len32Bit = 0x80
	len64Bit = 0x81
	encVal   = 3
)

// Special string encodings (RDB_ENC_*), stored after an RDB_ENCVAL byte.
const (
	EncInt8  = 0
	EncInt16 = 1
	EncInt32 = 2
	EncLZF   = 3
)

// Errors a Reader returns. Redis answers any of them to RESTORE with "Bad
// data format"; they differ for logs and tests.
var (
	ErrShort    = errors.New("rdb: unexpected end of data")
	ErrLength   = errors.New("rdb: unknown length encoding")
	ErrEncoding = errors.New("rdb: unknown string encoding")
	ErrLZF      = errors.New("rdb: invalid LZF compressed string")
)

// AppendLen appends n in the RDB length encoding (rdbSaveLen).
func AppendLen(dst []byte, n uint64) []byte {
	switch {
	case n < 1<<6:
		return append(dst, byte(n)|len6Bit<<6)
	case n < 1<<14:
		return append(dst, byte(n>>8)|len14Bit<<6, byte(n))
	case n <= math.MaxUint32:
		dst = append(dst, len32Bit)
		return binary.BigEndian.AppendUint32(dst, uint32(n))
	default:
		dst = append(dst, len64Bit)
		return binary.BigEndian.AppendUint64(dst, n)
	}
}

// AppendEncodedInt appends v in the smallest integer string encoding that
// holds it and reports whether one does (rdbEncodeInteger: 8, 16 or 32
// bits, little endian).
func AppendEncodedInt(dst []byte, v int64) ([]byte, bool) {
	switch {
	case v >= math.MinInt8 && v <= math.MaxInt8:
		return append(dst, encVal<<6|EncInt8, byte(v)), true
	case v >= math.MinInt16 && v <= math.MaxInt16:
		return append(dst, encVal<<6|EncInt16, byte(v), byte(v>>8)), true
	case v >= math.MinInt32 && v <= math.MaxInt32:
		return append(dst, encVal<<6|EncInt32, byte(v), byte(v>>8), byte(v>>16), byte(v>>24)), true
	}
	return dst, false
}

// AppendInt appends the string value of an integer (rdbSaveLongLongAsStringObject):
// integer-encoded when it fits 32 bits, else as its decimal text, never
// compressed.
func AppendInt(dst []byte, v int64) []byte {
	if out, ok := AppendEncodedInt(dst, v); ok {
		return out
	}
	var buf [24]byte
	s := strconv.AppendInt(buf[:0], v, 10)
	dst = AppendLen(dst, uint64(len(s)))
	return append(dst, s...)
}

// AppendString appends s as an RDB string (rdbSaveRawString): a canonical
// integer of at most 11 characters is integer-encoded; with compress, a
// string longer than 20 bytes is LZF-compressed when that saves at least 4
// bytes; anything else is stored verbatim after its length.
func AppendString(dst, s []byte, compress bool) []byte {
	if len(s) <= 11 {
		if v, ok := proto.ParseInt(s); ok {
			if out, ok := AppendEncodedInt(dst, v); ok {
				return out
			}
		}
	}
	if compress && len(s) > 20 {
		if out, ok := appendLZFString(dst, s); ok {
			return out
		}
	}
	dst = AppendLen(dst, uint64(len(s)))
	return append(dst, s...)
}

// appendLZFString is rdbSaveLzfStringObject + rdbSaveLzfBlob: it needs the
// compressed form to fit in len(s)-4 bytes.
func appendLZFString(dst, s []byte) ([]byte, bool) {
	if len(s) <= 4 {
		return dst, false
	}
	outLen := len(s) - 4
	// Compress straight into dst, past room for the largest header (1 +
	// 9 + 9 bytes), then move the result down behind the real header.
	const maxHdr = 1 + 9 + 9
	start := len(dst)
	need := start + maxHdr + outLen
	if cap(dst) < need {
		grown := make([]byte, start, need+need/4)
		copy(grown, dst)
		dst = grown
	}
	buf := dst[:need]
	n := LZFCompress(s, buf[start+maxHdr:])
	if n == 0 {
		return dst[:start], false
	}
	var hb [maxHdr]byte
	hdr := append(hb[:0], encVal<<6|EncLZF)
	hdr = AppendLen(hdr, uint64(n))
	hdr = AppendLen(hdr, uint64(len(s)))
	copy(buf[start+len(hdr):], buf[start+maxHdr:start+maxHdr+n])
	copy(buf[start:], hdr)
	return buf[:start+len(hdr)+n], true
}

// AppendBinaryDouble appends f as 8 little-endian bytes (rdbSaveBinaryDoubleValue).
func AppendBinaryDouble(dst []byte, f float64) []byte {
	return binary.LittleEndian.AppendUint64(dst, math.Float64bits(f))
}

// AppendMillis appends a unix time in milliseconds as 8 little-endian bytes
// (rdbSaveMillisecondTime).
func AppendMillis(dst []byte, ms int64) []byte {
	return binary.LittleEndian.AppendUint64(dst, uint64(ms))
}

// Reader reads RDB-encoded values from a byte slice. What it returns may
// alias the slice; callers copy what they keep.
type Reader struct {
	buf []byte
	pos int
}

// NewReader returns a Reader over b.
func NewReader(b []byte) *Reader { return &Reader{buf: b} }

// Pos returns how many bytes have been consumed.
func (r *Reader) Pos() int { return r.pos }

// Remaining returns how many bytes are left.
func (r *Reader) Remaining() int { return len(r.buf) - r.pos }

// ReadByte reads one byte.
func (r *Reader) ReadByte() (byte, error) {
	if r.pos >= len(r.buf) {
		return 0, ErrShort
	}
	b := r.buf[r.pos]
	r.pos++
	return b, nil
}

// Read returns the next n bytes (aliasing the input).
func (r *Reader) Read(n uint64) ([]byte, error) {
	if n > uint64(len(r.buf)-r.pos) {
		return nil, ErrShort
	}
	b := r.buf[r.pos : r.pos+int(n)]
	r.pos += int(n)
	return b, nil
}

// LoadLen reads a length (rdbLoadLenByRef). When encoded is true the value
// is not a length but the special string encoding that follows (Enc*).
func (r *Reader) LoadLen() (n uint64, encoded bool, err error) {
	b, err := r.ReadByte()
	if err != nil {
		return 0, false, err
	}
	switch typ := b >> 6; {
	case typ == encVal:
		return uint64(b & 0x3f), true, nil
	case typ == len6Bit:
		return uint64(b & 0x3f), false, nil
	case typ == len14Bit:
		b2, err := r.ReadByte()
		if err != nil {
			return 0, false, err
		}
		return uint64(b&0x3f)<<8 | uint64(b2), false, nil
	case b == len32Bit:
		p, err := r.Read(4)
		if err != nil {
			return 0, false, err
		}
		return uint64(binary.BigEndian.Uint32(p)), false, nil
	case b == len64Bit:
		p, err := r.Read(8)
		if err != nil {
			return 0, false, err
		}
		return binary.BigEndian.Uint64(p), false, nil
	}
	return 0, false, ErrLength
}

// LoadString reads an RDB string (rdbGenericLoadStringObject). An
// integer-encoded string comes back as isInt with its value in v; any other
// as s, which aliases the input unless it was LZF-compressed.
func (r *Reader) LoadString() (s []byte, v int64, isInt bool, err error) {
	n, encoded, err := r.LoadLen()
	if err != nil {
		return nil, 0, false, err
	}
	if !encoded {
		s, err = r.Read(n)
		return s, 0, false, err
	}
	switch n {
	case EncInt8:
		p, err := r.Read(1)
		if err != nil {
			return nil, 0, false, err
		}
		return nil, int64(int8(p[0])), true, nil
	case EncInt16:
		p, err := r.Read(2)
		if err != nil {
			return nil, 0, false, err
		}
		return nil, int64(int16(binary.LittleEndian.Uint16(p))), true, nil
	case EncInt32:
		p, err := r.Read(4)
		if err != nil {
			return nil, 0, false, err
		}
		return nil, int64(int32(binary.LittleEndian.Uint32(p))), true, nil
	case EncLZF:
		s, err = r.loadLZF()
		return s, 0, false, err
	}
	return nil, 0, false, ErrEncoding
}

// LoadStringBytes is LoadString with integers turned into their decimal
// text, for values that are always used as bytes (field names, members).
func (r *Reader) LoadStringBytes() ([]byte, error) {
	s, v, isInt, err := r.LoadString()
	if err != nil || !isInt {
		return s, err
	}
	return strconv.AppendInt(nil, v, 10), nil
}

// loadLZF is rdbLoadLzfStringObject: compressed length, plain length, data.
func (r *Reader) loadLZF() ([]byte, error) {
	clen, _, err := r.LoadLen()
	if err != nil {
		return nil, err
	}
	ulen, _, err := r.LoadLen()
	if err != nil {
		return nil, err
	}
	c, err := r.Read(clen)
	if err != nil {
		return nil, err
	}
	// A length LZF cannot produce from clen bytes is corrupt; saying so
	// now avoids allocating what a hostile header asks for.
	if ulen > uint64(len(c))*lzfMaxRatio+lzfMaxRatio {
		return nil, ErrLZF
	}
	out := make([]byte, ulen)
	if uint64(LZFDecompress(c, out)) != ulen {
		return nil, ErrLZF
	}
	return out, nil
}

// LoadBinaryDouble reads 8 little-endian bytes as a double (rdbLoadBinaryDoubleValue).
func (r *Reader) LoadBinaryDouble() (float64, error) {
	p, err := r.Read(8)
	if err != nil {
		return 0, err
	}
	return math.Float64frombits(binary.LittleEndian.Uint64(p)), nil
}

// LoadMillis reads a unix time in milliseconds (rdbLoadMillisecondTime).
func (r *Reader) LoadMillis() (int64, error) {
	p, err := r.Read(8)
	if err != nil {
		return 0, err
	}
	return int64(binary.LittleEndian.Uint64(p)), nil
}
