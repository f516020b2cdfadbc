package types

import (
	"encoding/binary"
	"errors"
	"math"
	"math/rand/v2"
)

// Intset encodings: the width in bytes of every value, as Redis's
// INTSET_ENC_INT16/32/64.
const (
	IntsetEnc16 = 2
	IntsetEnc32 = 4
	IntsetEnc64 = 8
)

const intsetHeader = 8 // encoding uint32 + length uint32

// Intset is Redis's intset (intset.c) in its exact byte format, so that RDB
// and DUMP can write it verbatim: a little-endian uint32 encoding (2, 4 or
// 8), a little-endian uint32 length, then length values of that width,
// little-endian, sorted ascending and unique. Adding a value that does not
// fit the current width upgrades every value to the wider encoding; removal
// never downgrades.
type Intset struct {
	b []byte
}

// NewIntset returns an empty intset of the narrowest encoding.
func NewIntset() *Intset {
	b := make([]byte, intsetHeader)
	binary.LittleEndian.PutUint32(b, IntsetEnc16)
	return &Intset{b: b}
}

// ErrBadIntset is returned by IntsetFromBytes for a blob that is not a
// valid intset.
var ErrBadIntset = errors.New("invalid intset blob")

// IntsetFromBytes returns the intset held in blob (as an RDB file stores it),
// after checking it as Redis's intsetValidateIntegrity with deep checks: a
// known encoding, a length matching the size, values sorted and unique. The
// intset keeps a copy of blob.
func IntsetFromBytes(blob []byte) (*Intset, error) {
	if len(blob) < intsetHeader {
		return nil, ErrBadIntset
	}
	enc := binary.LittleEndian.Uint32(blob)
	if enc != IntsetEnc16 && enc != IntsetEnc32 && enc != IntsetEnc64 {
		return nil, ErrBadIntset
	}
	n := binary.LittleEndian.Uint32(blob[4:])
	if uint64(len(blob)) != intsetHeader+uint64(n)*uint64(enc) {
		return nil, ErrBadIntset
	}
	if n == 0 {
		return nil, ErrBadIntset
	}
	is := &Intset{b: append([]byte(nil), blob...)}
	for i := 1; i < int(n); i++ {
		if is.Get(i-1) >= is.Get(i) {
			return nil, ErrBadIntset
		}
	}
	return is, nil
}

// Bytes returns the intset's blob (Redis's in-memory and RDB form). It
// aliases the intset: copy it to keep it past the next change.
func (is *Intset) Bytes() []byte { return is.b }

// Len returns the number of values.
func (is *Intset) Len() int { return int(binary.LittleEndian.Uint32(is.b[4:])) }

// Encoding returns the width in bytes of each value (2, 4 or 8).
func (is *Intset) Encoding() int { return int(binary.LittleEndian.Uint32(is.b)) }

func (is *Intset) setLen(n int) { binary.LittleEndian.PutUint32(is.b[4:], uint32(n)) }

// valueEncoding returns the narrowest encoding that holds v.
func valueEncoding(v int64) int {
	switch {
	case v < math.MinInt32 || v > math.MaxInt32:
		return IntsetEnc64
	case v < math.MinInt16 || v > math.MaxInt16:
		return IntsetEnc32
	}
	return IntsetEnc16
}

func getEncoded(b []byte, pos, enc int) int64 {
	off := intsetHeader + pos*enc
	switch enc {
	case IntsetEnc64:
		return int64(binary.LittleEndian.Uint64(b[off:]))
	case IntsetEnc32:
		return int64(int32(binary.LittleEndian.Uint32(b[off:])))
	}
	return int64(int16(binary.LittleEndian.Uint16(b[off:])))
}

func setEncoded(b []byte, pos, enc int, v int64) {
	off := intsetHeader + pos*enc
	switch enc {
	case IntsetEnc64:
		binary.LittleEndian.PutUint64(b[off:], uint64(v))
	case IntsetEnc32:
		binary.LittleEndian.PutUint32(b[off:], uint32(int32(v)))
	default:
		binary.LittleEndian.PutUint16(b[off:], uint16(int16(v)))
	}
}

// Get returns the value at position i (0 ≤ i < Len), in ascending order.
func (is *Intset) Get(i int) int64 { return getEncoded(is.b, i, is.Encoding()) }

// search returns the position of v and true, or the position where v would
// be inserted and false (intsetSearch).
func (is *Intset) search(v int64) (int, bool) {
	n := is.Len()
	if n == 0 {
		return 0, false
	}
	enc := is.Encoding()
	// Values beyond either end are the common case when appending.
	if v > getEncoded(is.b, n-1, enc) {
		return n, false
	}
	if v < getEncoded(is.b, 0, enc) {
		return 0, false
	}
	lo, hi := 0, n-1
	for lo <= hi {
		mid := int(uint(lo+hi) >> 1)
		cur := getEncoded(is.b, mid, enc)
		switch {
		case v > cur:
			lo = mid + 1
		case v < cur:
			hi = mid - 1
		default:
			return mid, true
		}
	}
	return lo, false
}

// Find reports whether v is in the set.
func (is *Intset) Find(v int64) bool {
	if valueEncoding(v) > is.Encoding() {
		return false
	}
	_, ok := is.search(v)
	return ok
}

// resize sets the blob to hold n values of encoding enc.
func (is *Intset) resize(n, enc int) {
	size := intsetHeader + n*enc
	if size <= cap(is.b) {
		is.b = is.b[:size]
		return
	}
	// Grow by at least an eighth so a run of adds costs amortized O(1)
	// copies, keeping the slack small as Redis's exact realloc would.
	nb := make([]byte, size, size+size/8)
	copy(nb, is.b)
	is.b = nb
}

// Add inserts v and reports whether it was absent.
func (is *Intset) Add(v int64) bool {
	venc := valueEncoding(v)
	if venc > is.Encoding() {
		is.upgradeAndAdd(v, venc)
		return true
	}
	pos, found := is.search(v)
	if found {
		return false
	}
	n := is.Len()
	enc := is.Encoding()
	is.resize(n+1, enc)
	if pos < n {
		off := intsetHeader + pos*enc
		copy(is.b[off+enc:], is.b[off:intsetHeader+n*enc])
	}
	setEncoded(is.b, pos, enc, v)
	is.setLen(n + 1)
	return true
}

// upgradeAndAdd widens every value to venc and adds v, which is out of the
// old range and so goes first (negative) or last (positive).
func (is *Intset) upgradeAndAdd(v int64, venc int) {
	old := is.Encoding()
	n := is.Len()
	prepend := 0
	if v < 0 {
		prepend = 1
	}
	is.resize(n+1, venc)
	// Move from the back so values are not overwritten before read.
	for i := n - 1; i >= 0; i-- {
		setEncoded(is.b, i+prepend, venc, getEncoded(is.b, i, old))
	}
	binary.LittleEndian.PutUint32(is.b, uint32(venc))
	if prepend == 1 {
		setEncoded(is.b, 0, venc, v)
	} else {
		setEncoded(is.b, n, venc, v)
	}
	is.setLen(n + 1)
}

// Remove deletes v and reports whether it was present.
func (is *Intset) Remove(v int64) bool {
	if valueEncoding(v) > is.Encoding() {
		return false
	}
	pos, found := is.search(v)
	if !found {
		return false
	}
	n := is.Len()
	enc := is.Encoding()
	off := intsetHeader + pos*enc
	copy(is.b[off:], is.b[off+enc:intsetHeader+n*enc])
	is.b = is.b[:intsetHeader+(n-1)*enc]
	is.setLen(n - 1)
	return true
}

// Random returns a random value; the set must not be empty.
func (is *Intset) Random() int64 { return is.Get(rand.IntN(is.Len())) }

// Min returns the smallest value; the set must not be empty.
func (is *Intset) Min() int64 { return is.Get(0) }

// Max returns the largest value; the set must not be empty.
func (is *Intset) Max() int64 { return is.Get(is.Len() - 1) }

// BlobLen returns the size of the blob in bytes (intsetBlobLen).
func (is *Intset) BlobLen() int { return len(is.b) }

// Clone returns a copy of the intset.
func (is *Intset) Clone() *Intset { return &Intset{b: append([]byte(nil), is.b...)} }
