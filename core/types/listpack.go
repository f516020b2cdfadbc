package types

import (
	"encoding/binary"
	"math/rand/v2"
	"slices"
	"strconv"

	"github.com/redisfs/redisfs/core/proto"
)

// Listpack is Redis 7.0's listpack, byte for byte (listpack.c), so that RDB
// and DUMP can write it verbatim and read it back as it is:
//
//	<total-bytes uint32 LE> <num-elements uint16 LE> <entry> ... <0xFF>
//
// Each entry is <encoding+data> <backlen>. A string that is a canonical
// decimal integer (as Redis's string2ll reads it) is stored as an integer
// in the smallest of the 7-bit, 13-bit, 16-, 24-, 32- and 64-bit encodings;
// any other string is stored with a 6-bit, 12-bit or 32-bit length. The
// backlen (1 to 5 bytes, 7 bits each) is the size of <encoding+data>, written
// so that it can be read from its last byte backwards: it lets the listpack
// be walked from the tail. num-elements saturates at 65535, meaning
// "unknown, count the entries".
//
// A Listpack is a plain byte slice: no pointers inside, so millions of small
// hashes, lists and sorted sets cost the garbage collector one pointer each.
// Positions of entries are byte offsets (int) into the slice, as Redis's
// "unsigned char *p"; a position is valid until the next change to the
// listpack. The mutating methods take a pointer because they may move the
// bytes to a bigger (or smaller) array.
//
// Values are read without allocating: Get returns either a view of the
// stored string bytes or the integer. Callers that keep a string past the
// next change copy it.
type Listpack []byte

// Listpack encoding bytes and limits, as Redis's LP_*.
const (
	lpHdrSize           = 6
	lpEOF               = 0xFF
	lpHdrNumeleUnknown  = 65535
	lpEncoding7BitUint  = 0x00
	lpEncoding6BitStr   = 0x80
	lpEncoding13BitInt  = 0xC0
	lpEncoding12BitStr  = 0xE0
	lpEncoding16BitInt  = 0xF1
	lpEncoding24BitInt  = 0xF2
	lpEncoding32BitInt  = 0xF3
	lpEncoding64BitInt  = 0xF4
	lpEncoding32BitStr  = 0xF0
	lpMaxIntEncodingLen = 9
	lpMaxBacklenSize    = 5
	// ListpackMaxSafetySize is LISTPACK_MAX_SAFETY_SIZE: callers convert to
	// a bigger encoding before a listpack would grow past it.
	ListpackMaxSafetySize = 1 << 30
)

// Where an Insert puts the new element relative to the given position.
const (
	LpBefore = iota
	LpAfter
	LpReplace
)

// NewListpack returns an empty listpack with room for capacity bytes.
func NewListpack(capacity int) Listpack {
	if capacity < lpHdrSize+1 {
		capacity = lpHdrSize + 1
	}
	lp := make(Listpack, lpHdrSize+1, capacity)
	binary.LittleEndian.PutUint32(lp, lpHdrSize+1)
	binary.LittleEndian.PutUint16(lp[4:], 0)
	lp[lpHdrSize] = lpEOF
	return lp
}

// TotalBytes returns the size recorded in the header (len(lp) for a valid
// listpack).
func (lp Listpack) TotalBytes() int { return int(binary.LittleEndian.Uint32(lp)) }

func (lp Listpack) numElements() int { return int(binary.LittleEndian.Uint16(lp[4:])) }

func (lp Listpack) setNumElements(n int) { binary.LittleEndian.PutUint16(lp[4:], uint16(n)) }

// Len returns the number of entries (lpLength). When the header says
// "unknown" it counts them, and records the count when it fits again.
func (lp Listpack) Len() int {
	n := lp.numElements()
	if n != lpHdrNumeleUnknown {
		return n
	}
	count := 0
	for p := lp.First(); p >= 0; p = lp.Next(p) {
		count++
	}
	if count < lpHdrNumeleUnknown {
		lp.setNumElements(count)
	}
	return count
}

// First returns the position of the first entry, or -1 when empty.
func (lp Listpack) First() int {
	if lp[lpHdrSize] == lpEOF {
		return -1
	}
	return lpHdrSize
}

// Last returns the position of the last entry, or -1 when empty.
func (lp Listpack) Last() int {
	return lp.Prev(len(lp) - 1)
}

// Next returns the position of the entry after p, or -1 at the end.
func (lp Listpack) Next(p int) int {
	// Small integers and short strings, the common entries, have a
	// one-byte backlen: skip them without the general decoding.
	switch b := lp[p]; {
	case b < 0x80:
		p += 2
	case b < 0xC0:
		p += int(b&0x3F) + 2
	default:
		n := entryLen(lp[p:])
		p += n + backlenSize(uint64(n))
	}
	if lp[p] == lpEOF {
		return -1
	}
	return p
}

// Prev returns the position of the entry before p (p may be the position of
// the EOF byte), or -1 when p is the first entry.
func (lp Listpack) Prev(p int) int {
	if p <= lpHdrSize {
		return -1
	}
	q := p - 1
	n := decodeBacklen(lp, q)
	return q - backlenSize(n) + 1 - int(n)
}

// Seek returns the position of the entry at index (negative counts from
// the tail, -1 being the last), or -1 when out of range (lpSeek).
func (lp Listpack) Seek(index int) int {
	n := lp.numElements()
	forward := true
	if n != lpHdrNumeleUnknown {
		if index < 0 {
			index += n
		}
		if index < 0 || index >= n {
			return -1
		}
		// Seek from the nearer end.
		if index > n/2 {
			forward = false
			index -= n
		}
	} else if index < 0 {
		forward = false
	}
	if forward {
		p := lp.First()
		for ; p >= 0 && index > 0; index-- {
			p = lp.Next(p)
		}
		return p
	}
	p := lp.Last()
	for ; p >= 0 && index < -1; index++ {
		p = lp.Prev(p)
	}
	return p
}

// entryLen returns the size of the encoding and data of the entry at e[0]
// (lpCurrentEncodedSizeUnsafe).
func entryLen(e []byte) int {
	b := e[0]
	switch {
	case b&0x80 == 0:
		return 1
	case b&0xC0 == lpEncoding6BitStr:
		return 1 + int(b&0x3F)
	case b&0xE0 == lpEncoding13BitInt:
		return 2
	case b&0xF0 == lpEncoding12BitStr:
		return 2 + (int(b&0x0F)<<8 | int(e[1]))
	}
	switch b {
	case lpEncoding16BitInt:
		return 3
	case lpEncoding24BitInt:
		return 4
	case lpEncoding32BitInt:
		return 5
	case lpEncoding64BitInt:
		return 9
	case lpEncoding32BitStr:
		return 5 + int(binary.LittleEndian.Uint32(e[1:]))
	case lpEOF:
		return 1
	}
	panic("listpack: invalid entry encoding")
}

// EntrySize returns the whole size of the entry at p, backlen included.
func (lp Listpack) EntrySize(p int) int {
	n := entryLen(lp[p:])
	return n + backlenSize(uint64(n))
}

// backlenSize returns how many bytes lpEncodeBacklen uses for l (Redis's
// boundaries, the odd "<" included).
func backlenSize(l uint64) int {
	switch {
	case l <= 127:
		return 1
	case l < 16383:
		return 2
	case l < 2097151:
		return 3
	case l < 268435455:
		return 4
	}
	return 5
}

// putBacklen writes the backlen of l into buf, which has backlenSize(l)
// bytes.
func putBacklen(buf []byte, l uint64) {
	switch len(buf) {
	case 1:
		buf[0] = byte(l)
	case 2:
		buf[0] = byte(l >> 7)
		buf[1] = byte(l&127) | 128
	case 3:
		buf[0] = byte(l >> 14)
		buf[1] = byte((l>>7)&127) | 128
		buf[2] = byte(l&127) | 128
	case 4:
		buf[0] = byte(l >> 21)
		buf[1] = byte((l>>14)&127) | 128
		buf[2] = byte((l>>7)&127) | 128
		buf[3] = byte(l&127) | 128
	case 5:
		buf[0] = byte(l >> 28)
		buf[1] = byte((l>>21)&127) | 128
		buf[2] = byte((l>>14)&127) | 128
		buf[3] = byte((l>>7)&127) | 128
		buf[4] = byte(l&127) | 128
	}
}

// decodeBacklen reads the backlen whose last byte is at lp[q].
func decodeBacklen(lp []byte, q int) uint64 {
	var v uint64
	shift := 0
	for {
		v |= uint64(lp[q]&127) << shift
		if lp[q]&128 == 0 {
			return v
		}
		shift += 7
		q--
		if shift > 28 {
			panic("listpack: invalid backlen")
		}
	}
}

// Get returns the value of the entry at p: a view of its string bytes, or
// its integer value with isInt set. Nothing is allocated.
func (lp Listpack) Get(p int) (s []byte, v int64, isInt bool) {
	e := lp[p:]
	b := e[0]
	var uval uint64
	var negstart, negmax uint64
	switch {
	case b&0x80 == 0:
		return nil, int64(b & 0x7F), true
	case b&0xC0 == lpEncoding6BitStr:
		n := int(b & 0x3F)
		return e[1 : 1+n : 1+n], 0, false
	case b&0xE0 == lpEncoding13BitInt:
		uval = uint64(b&0x1F)<<8 | uint64(e[1])
		negstart, negmax = 1<<12, 8191
	case b&0xF0 == lpEncoding12BitStr:
		n := int(b&0x0F)<<8 | int(e[1])
		return e[2 : 2+n : 2+n], 0, false
	case b == lpEncoding16BitInt:
		uval = uint64(binary.LittleEndian.Uint16(e[1:]))
		negstart, negmax = 1<<15, 0xFFFF
	case b == lpEncoding24BitInt:
		uval = uint64(e[1]) | uint64(e[2])<<8 | uint64(e[3])<<16
		negstart, negmax = 1<<23, 0xFFFFFF
	case b == lpEncoding32BitInt:
		uval = uint64(binary.LittleEndian.Uint32(e[1:]))
		negstart, negmax = 1<<31, 0xFFFFFFFF
	case b == lpEncoding64BitInt:
		return nil, int64(binary.LittleEndian.Uint64(e[1:])), true
	case b == lpEncoding32BitStr:
		n := int(binary.LittleEndian.Uint32(e[1:]))
		return e[5 : 5+n : 5+n], 0, false
	default:
		panic("listpack: invalid entry encoding")
	}
	if uval >= negstart {
		return nil, -int64(negmax-uval) - 1, true
	}
	return nil, int64(uval), true
}

// GetEntry returns the entry at p as a ListpackEntry (a view, as Get).
func (lp Listpack) GetEntry(p int) ListpackEntry {
	s, v, isInt := lp.Get(p)
	return ListpackEntry{S: s, I: v, IsInt: isInt}
}

// AppendValue appends the string form of the entry at p to dst.
func (lp Listpack) AppendValue(dst []byte, p int) []byte {
	s, v, isInt := lp.Get(p)
	if isInt {
		return strconv.AppendInt(dst, v, 10)
	}
	return append(dst, s...)
}

// ValueLen returns the length of the string form of the entry at p.
func (lp Listpack) ValueLen(p int) int {
	s, v, isInt := lp.Get(p)
	if !isInt {
		return len(s)
	}
	return IntLen(v)
}

// IntLen returns the number of characters of v in decimal (sdigits10).
func IntLen(v int64) int {
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

// ListpackEntry is one value read from a listpack: a string view S, or the
// integer I when IsInt (Redis's listpackEntry).
type ListpackEntry struct {
	S     []byte
	I     int64
	IsInt bool
}

// Append appends the string form of e to dst.
func (e ListpackEntry) Append(dst []byte) []byte {
	if e.IsInt {
		return strconv.AppendInt(dst, e.I, 10)
	}
	return append(dst, e.S...)
}

// Equal reports whether the entry at p has the string value s (lpCompare).
func (lp Listpack) Equal(p int, s []byte) bool {
	es, v, isInt := lp.Get(p)
	if !isInt {
		return string(es) == string(s)
	}
	w, ok := StringToInt64(s)
	return ok && w == v
}

// StringToInt64 parses s as Redis's string2ll (lpStringToInt64 is the
// same function, proto.ParseInt its port): an optional '-' and decimal
// digits without leading zeros, at most 20 bytes, within int64. Only such
// strings are stored as listpack integers.
func StringToInt64(s []byte) (int64, bool) { return proto.ParseInt(s) }

// encodeInt writes the integer encoding of v into buf and returns its size.
func encodeInt(buf *[lpMaxIntEncodingLen]byte, v int64) int {
	switch {
	case v >= 0 && v <= 127:
		buf[0] = byte(v)
		return 1
	case v >= -4096 && v <= 4095:
		u := uint64(v)
		if v < 0 {
			u = uint64(1<<13 + v)
		}
		buf[0] = byte(u>>8) | lpEncoding13BitInt
		buf[1] = byte(u)
		return 2
	case v >= -32768 && v <= 32767:
		u := uint64(v)
		if v < 0 {
			u = uint64(1<<16 + v)
		}
		buf[0] = lpEncoding16BitInt
		buf[1] = byte(u)
		buf[2] = byte(u >> 8)
		return 3
	case v >= -8388608 && v <= 8388607:
		u := uint64(v)
		if v < 0 {
			u = uint64(1<<24 + v)
		}
		buf[0] = lpEncoding24BitInt
		buf[1] = byte(u)
		buf[2] = byte(u >> 8)
		buf[3] = byte(u >> 16)
		return 4
	case v >= -2147483648 && v <= 2147483647:
		u := uint64(v)
		if v < 0 {
			u = uint64(1<<32 + v)
		}
		buf[0] = lpEncoding32BitInt
		binary.LittleEndian.PutUint32(buf[1:], uint32(u))
		return 5
	}
	buf[0] = lpEncoding64BitInt
	binary.LittleEndian.PutUint64(buf[1:], uint64(v))
	return 9
}

// stringHeaderLen returns the size of the length header of a string of n
// bytes.
func stringHeaderLen(n int) int {
	switch {
	case n < 64:
		return 1
	case n < 4096:
		return 2
	}
	return 5
}

// encodedLen returns the size of the encoding+data of s and, when s is
// stored as an integer, its encoding in ibuf (lpEncodeGetType).
func encodedLen(s []byte, ibuf *[lpMaxIntEncodingLen]byte) (n int, isInt bool) {
	if v, ok := StringToInt64(s); ok {
		return encodeInt(ibuf, v), true
	}
	return stringHeaderLen(len(s)) + len(s), false
}

// writeString writes the string encoding of s at dst.
func writeString(dst []byte, s []byte) {
	n := len(s)
	switch {
	case n < 64:
		dst[0] = byte(n) | lpEncoding6BitStr
		copy(dst[1:], s)
	case n < 4096:
		dst[0] = byte(n>>8) | lpEncoding12BitStr
		dst[1] = byte(n)
		copy(dst[2:], s)
	default:
		dst[0] = lpEncoding32BitStr
		binary.LittleEndian.PutUint32(dst[1:], uint32(n))
		copy(dst[5:], s)
	}
}

// EntryEncodedSize returns how many bytes s takes as a listpack entry,
// backlen included.
func EntryEncodedSize(s []byte) int {
	var ibuf [lpMaxIntEncodingLen]byte
	n, _ := encodedLen(s, &ibuf)
	return n + backlenSize(uint64(n))
}

// resize makes *lp n bytes long, keeping its first min(n, len) bytes. A
// listpack that outgrows its array moves to one with some headroom (an
// eighth), so that a run of appends costs few copies; one that shrinks to
// less than half of a big array moves to a smaller one.
func (lp *Listpack) resize(n int) {
	b := *lp
	switch {
	case n > cap(b):
		nb := make([]byte, n, n+n/8+8)
		copy(nb, b)
		*lp = nb
	case n < len(b) && n < cap(b)/2 && cap(b) > 64:
		nb := make([]byte, n, n+n/8)
		copy(nb, b[:n])
		*lp = nb
	default:
		*lp = b[:n]
	}
}

// Grow makes room for n more bytes: the changes that follow, as long as
// they add no more than n bytes in all, do not move the listpack. Building
// a listpack of known size this way allocates it once, at its size.
func (lp *Listpack) Grow(n int) {
	b := *lp
	if cap(b)-len(b) >= n {
		return
	}
	nb := make([]byte, len(b), len(b)+n)
	copy(nb, b)
	*lp = nb
}

// NewListpackFor returns an empty listpack with room for exactly the
// entries vals (EntryEncodedSize of each), as a hash or sorted set created
// with known contents needs.
func NewListpackFor(vals [][]byte) Listpack {
	n := lpHdrSize + 1
	for _, v := range vals {
		n += EntryEncodedSize(v)
	}
	return NewListpack(n)
}

// insertAt inserts the entry for s before position p, or replaces the
// entry at p when replace. It returns the position of the new entry.
func (lp *Listpack) insertAt(p int, s []byte, replace bool) int {
	var ibuf [lpMaxIntEncodingLen]byte
	enclen, isInt := encodedLen(s, &ibuf)
	blen := backlenSize(uint64(enclen))
	newSize := enclen + blen
	oldSize := 0
	if replace {
		oldSize = (*lp).EntrySize(p)
	}
	oldTotal := len(*lp)
	newTotal := oldTotal - oldSize + newSize
	if uint64(newTotal) > 1<<32-1 {
		panic("listpack: too big")
	}
	diff := newSize - oldSize
	if diff > 0 {
		lp.resize(newTotal)
		b := *lp
		copy(b[p+newSize:], b[p+oldSize:oldTotal])
	} else if diff < 0 {
		b := *lp
		copy(b[p+newSize:], b[p+oldSize:oldTotal])
		lp.resize(newTotal)
	}
	b := *lp
	if isInt {
		copy(b[p:], ibuf[:enclen])
	} else {
		writeString(b[p:], s)
	}
	putBacklen(b[p+enclen:p+enclen+blen], uint64(enclen))
	binary.LittleEndian.PutUint32(b, uint32(newTotal))
	if !replace {
		if n := b.numElements(); n != lpHdrNumeleUnknown {
			b.setNumElements(n + 1)
		}
	}
	return p
}

// Insert inserts s before or after the entry at p, or replaces it
// (where = LpBefore, LpAfter, LpReplace), and returns the position of the
// new entry (lpInsertString).
func (lp *Listpack) Insert(s []byte, p int, where int) int {
	switch where {
	case LpAfter:
		p += (*lp).EntrySize(p)
	case LpReplace:
		return lp.insertAt(p, s, true)
	}
	return lp.insertAt(p, s, false)
}

// Append adds s at the tail.
func (lp *Listpack) Append(s []byte) { lp.insertAt(len(*lp)-1, s, false) }

// Prepend adds s at the head.
func (lp *Listpack) Prepend(s []byte) { lp.insertAt(lpHdrSize, s, false) }

// AppendInt adds the integer v at the tail, as Append of its decimal text
// would.
func (lp *Listpack) AppendInt(v int64) {
	var buf [20]byte
	lp.Append(strconv.AppendInt(buf[:0], v, 10))
}

// Replace replaces the entry at p with s and returns its position.
func (lp *Listpack) Replace(p int, s []byte) int { return lp.insertAt(p, s, true) }

// Delete removes the entry at p and returns the position of the entry that
// followed it (now at p), or -1 when it was the last.
func (lp *Listpack) Delete(p int) int {
	size := (*lp).EntrySize(p)
	b := *lp
	total := len(b)
	copy(b[p:], b[p+size:total])
	newTotal := total - size
	binary.LittleEndian.PutUint32(b, uint32(newTotal))
	if n := b.numElements(); n != lpHdrNumeleUnknown {
		b.setNumElements(n - 1)
	}
	lp.resize(newTotal)
	if (*lp)[p] == lpEOF {
		return -1
	}
	return p
}

// DeleteRangeAt removes num entries starting with the one at p
// (lpDeleteRangeWithEntry) and returns how many were removed.
func (lp *Listpack) DeleteRangeAt(p int, num int) int {
	b := *lp
	end := p
	deleted := 0
	for deleted < num && b[end] != lpEOF {
		end += b.EntrySize(end)
		deleted++
	}
	if deleted == 0 {
		return 0
	}
	total := len(b)
	copy(b[p:], b[end:total])
	newTotal := total - (end - p)
	binary.LittleEndian.PutUint32(b, uint32(newTotal))
	if n := b.numElements(); n != lpHdrNumeleUnknown {
		b.setNumElements(n - deleted)
	}
	lp.resize(newTotal)
	return deleted
}

// DeleteRange removes num entries starting at index (negative counts from
// the tail), as lpDeleteRange; num < 0 means "to the end".
func (lp *Listpack) DeleteRange(index, num int) {
	n := (*lp).Len()
	if index < 0 {
		index += n
	}
	if index < 0 || index >= n || num == 0 {
		return
	}
	if num < 0 || num > n-index {
		num = n - index
	}
	p := (*lp).Seek(index)
	lp.DeleteRangeAt(p, num)
}

// Find returns the position of the first entry equal to s among the entries
// at p, p+skip+1, p+2(skip+1) … (lpFind: skip 1 walks the keys of a
// key/value listpack), or -1.
func (lp Listpack) Find(p int, s []byte, skip int) int {
	if p < 0 {
		return -1
	}
	sInt, sIsInt := StringToInt64(s)
	for p >= 0 {
		es, v, isInt := lp.Get(p)
		if isInt {
			if sIsInt && v == sInt {
				return p
			}
		} else if !sIsInt && string(es) == string(s) {
			return p
		}
		for i := 0; i <= skip && p >= 0; i++ {
			p = lp.Next(p)
		}
	}
	return -1
}

// Merge returns the concatenation of a's entries and b's (lpMerge): the
// bigger of the two is extended in place when it has room.
func Merge(a, b Listpack) Listpack {
	an, bn := a.Len(), b.Len()
	body := len(b) - lpHdrSize - 1
	var out Listpack
	if len(a) >= len(b) {
		out = a
		out.resize(len(a) + body)
		copy(out[len(a)-1:], b[lpHdrSize:len(b)-1])
	} else {
		abody := len(a) - lpHdrSize - 1
		out = b
		old := len(b)
		out.resize(old + abody)
		copy(out[lpHdrSize+abody:], out[lpHdrSize:old])
		copy(out[lpHdrSize:], a[lpHdrSize:len(a)-1])
	}
	out[len(out)-1] = lpEOF
	binary.LittleEndian.PutUint32(out, uint32(len(out)))
	out.setNumElements(min(an+bn, lpHdrNumeleUnknown))
	return out
}

// Validate checks the structure of an untrusted listpack (from RESTORE or
// an RDB file): header, every entry's encoding, length and backlen, the EOF
// byte, and the entry count. It reports whether it is well formed; the
// other methods may panic on a listpack that is not.
func (lp Listpack) Validate() bool {
	if len(lp) < lpHdrSize+1 || int(binary.LittleEndian.Uint32(lp)) != len(lp) || lp[len(lp)-1] != lpEOF {
		return false
	}
	end := len(lp) - 1 // the EOF byte
	count := 0
	p := lpHdrSize
	for p < end {
		b := lp[p]
		need := 1
		switch {
		case b&0x80 == 0, b&0xC0 == lpEncoding6BitStr:
		case b&0xE0 == lpEncoding13BitInt, b&0xF0 == lpEncoding12BitStr:
			need = 2
		case b == lpEncoding16BitInt:
			need = 3
		case b == lpEncoding24BitInt:
			need = 4
		case b == lpEncoding32BitInt, b == lpEncoding32BitStr:
			need = 5
		case b == lpEncoding64BitInt:
			need = 9
		default:
			return false
		}
		if p+need > end {
			return false
		}
		n := entryLen(lp[p:])
		bl := backlenSize(uint64(n))
		if p+n+bl > end {
			return false
		}
		if v, ok := decodeBacklenSafe(lp[p+n : p+n+bl]); !ok || v != uint64(n) {
			return false
		}
		p += n + bl
		count++
	}
	if p != end {
		return false
	}
	if hdr := lp.numElements(); hdr != lpHdrNumeleUnknown && hdr != count {
		return false
	}
	return true
}

// decodeBacklenSafe decodes a backlen that must span exactly bl.
func decodeBacklenSafe(bl []byte) (uint64, bool) {
	var v uint64
	shift := 0
	for q := len(bl) - 1; q >= 0; q-- {
		v |= uint64(bl[q]&127) << shift
		if bl[q]&128 == 0 {
			return v, q == 0
		}
		shift += 7
	}
	return 0, false
}

// RandomPair returns a random key/value pair of a listpack of pairs
// holding totalPairs pairs (lpRandomPair). val is zero when wantVal is
// false.
func (lp Listpack) RandomPair(totalPairs int, wantVal bool) (key, val ListpackEntry) {
	p := lp.Seek(2 * rand.IntN(totalPairs))
	key = lp.GetEntry(p)
	if wantVal {
		val = lp.GetEntry(lp.Next(p))
	}
	return key, val
}

// RandomPairs fills keys (and vals when not nil, of the same length) with
// random pairs, repetitions allowed, in random order (lpRandomPairs).
func (lp Listpack) RandomPairs(keys, vals []ListpackEntry) {
	count := len(keys)
	if count == 0 {
		return
	}
	total := lp.Len() / 2
	type pick struct{ index, order int }
	picks := make([]pick, count)
	for i := range picks {
		picks[i] = pick{2 * rand.IntN(total), i}
	}
	slices.SortFunc(picks, func(a, b pick) int { return a.index - b.index })
	lpindex, pi := picks[0].index, 0
	p := lp.Seek(lpindex)
	for p >= 0 && pi < count {
		k := lp.GetEntry(p)
		vp := lp.Next(p)
		v := lp.GetEntry(vp)
		for pi < count && picks[pi].index == lpindex {
			keys[picks[pi].order] = k
			if vals != nil {
				vals[picks[pi].order] = v
			}
			pi++
		}
		lpindex += 2
		p = lp.Next(vp)
	}
}

// RandomPairsUnique fills up to len(keys) distinct random pairs, in
// listpack order (selection sampling, as lpRandomPairsUnique), and returns
// how many it filled.
func (lp Listpack) RandomPairsUnique(keys, vals []ListpackEntry) int {
	total := lp.Len() / 2
	count := min(len(keys), total)
	picked, remaining, index := 0, count, 0
	for p := lp.First(); picked < count && p >= 0; index++ {
		vp := lp.Next(p)
		threshold := float64(remaining) / float64(total-index)
		if rand.Float64() <= threshold {
			keys[picked] = lp.GetEntry(p)
			if vals != nil {
				vals[picked] = lp.GetEntry(vp)
			}
			remaining--
			picked++
		}
		p = lp.Next(vp)
	}
	return picked
}
