package cmds

import (
	"encoding/binary"
	"math"
	"math/bits"
	"math/rand/v2"
	"strconv"
	"strings"
)

// The HyperLogLog family, after Redis 7.0's hyperloglog.c. A HyperLogLog
// is an ordinary string value holding exactly Redis's bytes, so GET, SET,
// DUMP and RESTORE move it between redisfs and Redis unchanged:
//
//	"HYLL" | encoding (0 dense, 1 sparse) | 3 zero bytes |
//	cached cardinality, 8 bytes little endian, bit 63 set when stale |
//	registers
//
// There are 16384 registers of 6 bits. Dense, they are packed from the
// least significant bit of each byte up (12288 bytes). Sparse, they are
// run-length opcodes:
//
//	00xxxxxx           ZERO:  x+1 (1..64) registers at 0
//	01xxxxxx yyyyyyyy  XZERO: xy+1 (1..16384) registers at 0
//	1vvvvvxx           VAL:   x+1 (1..4) registers at v+1 (1..32)
//
// A new HLL is sparse; it turns dense when a register needs a value above
// 32 or the sparse bytes would pass hll-sparse-max-bytes.

const (
	hllP              = 14
	hllQ              = 64 - hllP
	hllRegisters      = 1 << hllP
	hllPMask          = hllRegisters - 1
	hllBits           = 6
	hllRegisterMax    = 1<<hllBits - 1
	hllHdrSize        = 16
	hllDenseSize      = hllHdrSize + (hllRegisters*hllBits+7)/8
	hllDense          = 0
	hllSparse         = 1
	hllMaxEncoding    = 1
	hllSparseValMax   = 32
	hllSparseValLen   = 4
	hllSparseZeroMax  = 64
	hllSparseXZeroMax = 16384
	hllAlphaInf       = 0.721347520444481703680 // 0.5/ln(2)
	hllHashSeed       = 0xadc83b19

	errInvalidHLL = "-INVALIDOBJ Corrupted HLL object detected"
	errNotHLL     = "-WRONGTYPE Key is not a valid HyperLogLog string value."
)

// ---------------------------------------------------------------------------
// Hashing.

// murmurHash64A is MurmurHash2, 64-bit version, reading the input as
// little-endian words (what Redis does on the machines it runs on).
func murmurHash64A(key []byte, seed uint64) uint64 {
	const m = 0xc6a4a7935bd1e995
	const r = 47
	h := seed ^ uint64(len(key))*m
	for len(key) >= 8 {
		k := binary.LittleEndian.Uint64(key)
		k *= m
		k ^= k >> r
		k *= m
		h ^= k
		h *= m
		key = key[8:]
	}
	if len(key) > 0 {
		for i := len(key) - 1; i >= 0; i-- {
			h ^= uint64(key[i]) << (8 * i)
		}
		h *= m
	}
	h ^= h >> r
	h *= m
	h ^= h >> r
	return h
}

// hllPatLen returns the register an element falls in and the length of the
// run of zeroes (plus the final one) in the rest of its hash.
func hllPatLen(ele []byte) (index int, count uint8) {
	hash := murmurHash64A(ele, hllHashSeed)
	index = int(hash & hllPMask)
	hash >>= hllP
	hash |= 1 << hllQ // the run ends at Q+1 at most
	return index, uint8(bits.TrailingZeros64(hash) + 1)
}

// ---------------------------------------------------------------------------
// Dense registers.

func hllDenseGet(regs []byte, i int) uint8 {
	b := i * hllBits / 8
	fb := uint(i*hllBits) & 7
	v := uint(regs[b]) >> fb
	if b+1 < len(regs) {
		v |= uint(regs[b+1]) << (8 - fb)
	}
	return uint8(v & hllRegisterMax)
}

func hllDenseSetRaw(regs []byte, i int, val uint8) {
	b := i * hllBits / 8
	fb := uint(i*hllBits) & 7
	v := uint(val)
	regs[b] &^= byte(hllRegisterMax << fb)
	regs[b] |= byte(v << fb)
	if b+1 < len(regs) {
		regs[b+1] &^= byte(hllRegisterMax >> (8 - fb))
		regs[b+1] |= byte(v >> (8 - fb))
	}
}

// hllDenseEach calls fn with every register of a dense HLL in order, four
// registers per three bytes (the hot loop of PFCOUNT and PFMERGE).
func hllDenseEach(regs []byte, fn func(i int, v uint8)) {
	regs = regs[:hllRegisters*hllBits/8]
	for i, j := 0, 0; j+2 < len(regs); i, j = i+4, j+3 {
		b0, b1, b2 := regs[j], regs[j+1], regs[j+2]
		fn(i, b0&63)
		fn(i+1, (b0>>6|b1<<2)&63)
		fn(i+2, (b1>>4|b2<<4)&63)
		fn(i+3, b2>>2)
	}
}

// hllDenseSet raises register i to count; it reports whether it changed.
func hllDenseSet(regs []byte, i int, count uint8) bool {
	if count > hllDenseGet(regs, i) {
		hllDenseSetRaw(regs, i, count)
		return true
	}
	return false
}

// ---------------------------------------------------------------------------
// Sparse opcodes.

func hllIsZero(b byte) bool  { return b&0xc0 == 0 }
func hllIsXZero(b byte) bool { return b&0xc0 == 0x40 }
func hllIsVal(b byte) bool   { return b&0x80 != 0 }
func hllZeroLen(b byte) int  { return int(b&0x3f) + 1 }
func hllXZeroLen(b0, b1 byte) int {
	return (int(b0&0x3f)<<8 | int(b1)) + 1
}
func hllValValue(b byte) int      { return int(b>>2&0x1f) + 1 }
func hllValLen(b byte) int        { return int(b&3) + 1 }
func hllVal(val, n int) byte      { return byte((val-1)<<2|(n-1)) | 0x80 }
func hllZero(n int) byte          { return byte(n - 1) }
func hllXZero(n int) (byte, byte) { return byte((n-1)>>8) | 0x40, byte(n - 1) }

// appendHLLZeros appends a ZERO or XZERO opcode for n registers.
func appendHLLZeros(dst []byte, n int) []byte {
	if n > hllSparseZeroMax {
		b0, b1 := hllXZero(n)
		return append(dst, b0, b1)
	}
	return append(dst, hllZero(n))
}

// newHLL returns an empty sparse HLL, as createHLLObject.
func newHLL() []byte {
	n := (hllRegisters + hllSparseXZeroMax - 1) / hllSparseXZeroMax
	buf := make([]byte, hllHdrSize, hllHdrSize+2*n)
	copy(buf, "HYLL")
	buf[4] = hllSparse
	for left := hllRegisters; left > 0; {
		x := min(left, hllSparseXZeroMax)
		buf = appendHLLZeros(buf, x)
		left -= x
	}
	return buf
}

func hllInvalidateCache(hll []byte) { hll[15] |= 0x80 }
func hllValidCache(hll []byte) bool { return hll[15]&0x80 == 0 }

// hllSparseToDense returns the dense form of a sparse HLL (header copied,
// encoding changed), or false when the opcodes do not cover exactly the
// 16384 registers.
func hllSparseToDense(sparse []byte) ([]byte, bool) {
	dense := make([]byte, hllDenseSize)
	copy(dense, sparse[:hllHdrSize])
	dense[4] = hllDense
	regs := dense[hllHdrSize:]
	idx := 0
	p := sparse[hllHdrSize:]
	for i := 0; i < len(p); {
		switch {
		case hllIsZero(p[i]):
			idx += hllZeroLen(p[i])
			i++
		case hllIsXZero(p[i]):
			// A truncated XZERO reads the byte past the end in
			// Redis, which sds keeps at zero.
			idx += hllXZeroLen(p[i], byteAt(p, i+1))
			i += 2
		default:
			n, v := hllValLen(p[i]), hllValValue(p[i])
			if n+idx > hllRegisters {
				return nil, false
			}
			for ; n > 0; n-- {
				hllDenseSetRaw(regs, idx, uint8(v))
				idx++
			}
			i++
		}
	}
	return dense, idx == hllRegisters
}

// byteAt returns b[i], or 0 past the end (the terminator of an sds).
func byteAt(b []byte, i int) byte {
	if i < len(b) {
		return b[i]
	}
	return 0
}

// hllSparseSet raises register index of the sparse HLL hll to count,
// splitting the opcode that covers it, merging equal neighbours, and
// turning the HLL dense when count does not fit a VAL opcode or the result
// would pass maxBytes. It returns the (possibly new) bytes and 1 when a
// register changed, 0 when not, -1 when hll is corrupted.
func hllSparseSet(hll []byte, index int, count uint8, maxBytes int64) ([]byte, int) {
	if count > hllSparseValMax {
		return hllPromote(hll, index, count)
	}
	const sparse = hllHdrSize
	end := len(hll)
	// Find the opcode covering index: it starts at p and covers first
	// .. first+span-1; prev is the opcode before it (-1 if none).
	p, prev, first, span := sparse, -1, 0, 0
	for p < end {
		oplen := 1
		switch {
		case hllIsZero(hll[p]):
			span = hllZeroLen(hll[p])
		case hllIsVal(hll[p]):
			span = hllValLen(hll[p])
		default:
			span = hllXZeroLen(hll[p], byteAt(hll, p+1))
			oplen = 2
		}
		if index <= first+span-1 {
			break
		}
		prev = p
		p += oplen
		first += span
	}
	if span == 0 || p >= end {
		return hll, -1
	}
	op := hll[p]
	isZero, isXZero, isVal := hllIsZero(op), hllIsXZero(op), hllIsVal(op)
	next := p + 1
	if isXZero {
		next = p + 2
	}
	if isVal {
		if hllValValue(op) >= int(count) {
			return hll, 0
		}
		if hllValLen(op) == 1 {
			hll[p] = hllVal(int(count), 1)
			return hllSparseMerge(hll, prev), 1
		}
	}
	if isZero && hllZeroLen(op) == 1 {
		hll[p] = hllVal(int(count), 1)
		return hllSparseMerge(hll, prev), 1
	}
	// The general case: split the opcode into up to three.
	var seqBuf [5]byte
	seq := seqBuf[:0]
	last := first + span - 1
	if isZero || isXZero {
		if index != first {
			seq = appendHLLZeros(seq, index-first)
		}
		seq = append(seq, hllVal(int(count), 1))
		if index != last {
			seq = appendHLLZeros(seq, last-index)
		}
	} else {
		cur := hllValValue(op)
		if index != first {
			seq = append(seq, hllVal(cur, index-first))
		}
		seq = append(seq, hllVal(int(count), 1))
		if index != last {
			seq = append(seq, hllVal(cur, last-index))
		}
	}
	oldlen := next - p
	delta := len(seq) - oldlen
	if delta > 0 && int64(len(hll)+delta) > maxBytes {
		return hllPromote(hll, index, count)
	}
	if next >= end {
		// The last opcode: nothing to move. Redis's length is the old
		// one plus delta even when a truncated XZERO (corrupted) made
		// the old opcode one byte short.
		newLen := len(hll) + delta
		hll = append(hll[:p], seq...)
		hll = growZero(hll, newLen)[:newLen]
		return hllSparseMerge(hll, prev), 1
	}
	tail := len(hll) - next
	if delta > 0 {
		hll = append(hll, seq[:delta]...)
	}
	copy(hll[p+len(seq):], hll[next:next+tail])
	copy(hll[p:], seq)
	hll = hll[:p+len(seq)+tail]
	return hllSparseMerge(hll, prev), 1
}

// hllSparseMerge joins adjacent VAL opcodes of equal value, scanning up to
// five opcodes from prev (or the first), and marks the cache stale.
func hllSparseMerge(hll []byte, prev int) []byte {
	p := prev
	if p < 0 {
		p = hllHdrSize
	}
	for scan := 5; p < len(hll) && scan > 0; scan-- {
		switch {
		case hllIsXZero(hll[p]):
			p += 2
			continue
		case hllIsZero(hll[p]):
			p++
			continue
		}
		if p+1 < len(hll) && hllIsVal(hll[p+1]) {
			v := hllValValue(hll[p])
			if v == hllValValue(hll[p+1]) {
				n := hllValLen(hll[p]) + hllValLen(hll[p+1])
				if n <= hllSparseValLen {
					hll[p+1] = hllVal(v, n)
					copy(hll[p:], hll[p+1:])
					hll = hll[:len(hll)-1]
					continue
				}
			}
		}
		p++
	}
	hllInvalidateCache(hll)
	return hll
}

// hllPromote turns a sparse HLL dense and sets the register there.
func hllPromote(hll []byte, index int, count uint8) ([]byte, int) {
	dense, ok := hllSparseToDense(hll)
	if !ok {
		return hll, -1
	}
	hllDenseSet(dense[hllHdrSize:], index, count)
	return dense, 1
}

// hllAdd adds ele to the HLL, as hllAdd: 1 when a register changed, 0
// when not, -1 when the value is corrupted.
func hllAdd(hll []byte, ele []byte, maxBytes int64) ([]byte, int) {
	index, count := hllPatLen(ele)
	switch hll[4] {
	case hllDense:
		if hllDenseSet(hll[hllHdrSize:], index, count) {
			return hll, 1
		}
		return hll, 0
	case hllSparse:
		return hllSparseSet(hll, index, count, maxBytes)
	}
	return hll, -1
}

// ---------------------------------------------------------------------------
// Counting.

// hllSigma and hllTau are the helper functions of Ertl's improved
// estimator ("New cardinality estimation algorithms for HyperLogLog
// sketches", arXiv:1702.01284). The explicit float64 conversions keep the
// compiler from fusing multiply-adds, so every step rounds as in Redis.
func hllSigma(x float64) float64 {
	if x == 1 {
		return math.Inf(1)
	}
	y, z := 1.0, x
	for {
		x = float64(x * x)
		zPrime := z
		z += float64(x * y)
		y += y
		if zPrime == z {
			return z
		}
	}
}

func hllTau(x float64) float64 {
	if x == 0 || x == 1 {
		return 0
	}
	y, z := 1.0, 1-x
	for {
		x = math.Sqrt(x)
		zPrime := z
		y *= 0.5
		d := 1 - x
		z -= float64(float64(d*d) * y)
		if zPrime == z {
			return z / 3
		}
	}
}

// hllCountHisto estimates the cardinality from the register histogram.
func hllCountHisto(reghisto *[64]int) uint64 {
	const m = float64(hllRegisters)
	z := m * hllTau((m-float64(reghisto[hllQ+1]))/m)
	for j := hllQ; j >= 1; j-- {
		z += float64(reghisto[j])
		z *= 0.5
	}
	z += m * hllSigma(float64(reghisto[0])/m)
	return uint64(math.Round(hllAlphaInf * m * m / z))
}

// hllCount estimates the cardinality of a dense or sparse HLL; ok is false
// when sparse opcodes do not cover exactly the registers.
func hllCount(hll []byte) (card uint64, ok bool) {
	var reghisto [64]int
	regs := hll[hllHdrSize:]
	if hll[4] == hllDense {
		hllDenseEach(regs, func(_ int, v uint8) { reghisto[v]++ })
		return hllCountHisto(&reghisto), true
	}
	idx := 0
	for i := 0; i < len(regs); {
		switch {
		case hllIsZero(regs[i]):
			n := hllZeroLen(regs[i])
			idx += n
			reghisto[0] += n
			i++
		case hllIsXZero(regs[i]):
			n := hllXZeroLen(regs[i], byteAt(regs, i+1))
			idx += n
			reghisto[0] += n
			i += 2
		default:
			n := hllValLen(regs[i])
			idx += n
			reghisto[hllValValue(regs[i])] += n
			i++
		}
	}
	return hllCountHisto(&reghisto), idx == hllRegisters
}

// hllCountRaw estimates the cardinality of one byte per register.
func hllCountRaw(max *[hllRegisters]uint8) uint64 {
	var reghisto [64]int
	for _, v := range max {
		reghisto[v&63]++
	}
	return hllCountHisto(&reghisto)
}

// hllMerge raises max[i] to register i of hll, as hllMerge; it returns
// false for a corrupted sparse HLL.
func hllMerge(max *[hllRegisters]uint8, hll []byte) bool {
	regs := hll[hllHdrSize:]
	if hll[4] == hllDense {
		hllDenseEach(regs, func(i int, v uint8) {
			if v > max[i] {
				max[i] = v
			}
		})
		return true
	}
	idx := 0
	for p := 0; p < len(regs); {
		switch {
		case hllIsZero(regs[p]):
			idx += hllZeroLen(regs[p])
			p++
		case hllIsXZero(regs[p]):
			idx += hllXZeroLen(regs[p], byteAt(regs, p+1))
			p += 2
		default:
			n, v := hllValLen(regs[p]), uint8(hllValValue(regs[p]))
			if n+idx > hllRegisters {
				return false
			}
			for ; n > 0; n-- {
				if v > max[idx] {
					max[idx] = v
				}
				idx++
			}
			p++
		}
	}
	return idx == hllRegisters
}

// ---------------------------------------------------------------------------
// Commands.

// isHLLObjectOrReply checks that o is a string holding an HLL header Redis
// accepts; otherwise it replies WRONGTYPE and returns false.
func isHLLObjectOrReply(c *Client, o *Object) bool {
	if c.checkType(o, TypeString) {
		return false
	}
	b := o.Bytes()
	if o.enc == encInt || len(b) < hllHdrSize || string(b[:4]) != "HYLL" ||
		b[4] > hllMaxEncoding || b[4] == hllDense && len(b) != hllDenseSize {
		c.addReplyError(errNotHLL)
		return false
	}
	return true
}

// hllWritable makes the string o editable in place and returns its bytes
// (dbUnshareStringValue); hand them back with o.SetBytes.
func hllWritable(o *Object) []byte {
	unshareStringValue(o, 0)
	return o.rawBuffer()
}

// PFADD key [element [element ...]]
func pfaddCommand(c *Client) {
	srv, key := c.srv, c.argv[1]
	o := c.lookupKeyWrite(key)
	updated := 0
	if o == nil {
		var n Object
		n.SetBytes(newHLL())
		o = srv.DBAdd(c.db, key, n)
		updated++
	} else if !isHLLObjectOrReply(c, o) {
		return
	}
	hll := hllWritable(o)
	for _, ele := range c.argv[2:] {
		var r int
		hll, r = hllAdd(hll, ele, srv.Config.hllSparseMaxBytes)
		o.SetBytes(hll)
		switch r {
		case 1:
			updated++
		case -1:
			c.addReplyError(errInvalidHLL)
			return
		}
	}
	if updated > 0 {
		srv.signalModifiedKey(c, c.db, key)
		srv.notifyKeyspaceEvent(notifyString, "pfadd", key, c.db.id)
		srv.Dirty += int64(updated)
		hllInvalidateCache(hll)
		c.addReplyProto(sharedCOne)
	} else {
		c.addReplyProto(sharedCZero)
	}
}

// PFCOUNT key [key ...]
func pfcountCommand(c *Client) {
	srv := c.srv
	if len(c.argv) > 2 {
		// The union's cardinality, computed on a scratch copy: the
		// sources and their caches stay as they are.
		var max [hllRegisters]uint8
		for _, key := range c.argv[1:] {
			o := c.lookupKeyRead(key)
			if o == nil {
				continue
			}
			if !isHLLObjectOrReply(c, o) {
				return
			}
			if !hllMerge(&max, o.Bytes()) {
				c.addReplyError(errInvalidHLL)
				return
			}
		}
		c.addReplyInt(int64(hllCountRaw(&max)))
		return
	}
	key := c.argv[1]
	o := c.lookupKeyRead(key)
	if o == nil {
		c.addReplyProto(sharedCZero)
		return
	}
	if !isHLLObjectOrReply(c, o) {
		return
	}
	hll := hllWritable(o)
	var card uint64
	if hllValidCache(hll) {
		card = binary.LittleEndian.Uint64(hll[8:16])
	} else {
		var ok bool
		if card, ok = hllCount(hll); !ok {
			c.addReplyError(errInvalidHLL)
			return
		}
		// Caching the count changes the value: it is propagated like
		// a write although PFCOUNT is a read.
		binary.LittleEndian.PutUint64(hll[8:16], card)
		srv.signalModifiedKey(c, c.db, key)
		srv.Dirty++
	}
	c.addReplyInt(int64(card))
}

// PFMERGE destkey [sourcekey [sourcekey ...]]
func pfmergeCommand(c *Client) {
	srv, dstkey := c.srv, c.argv[1]
	var max [hllRegisters]uint8
	useDense := false
	// The destination is one of the sources.
	for _, key := range c.argv[1:] {
		o := c.lookupKeyRead(key)
		if o == nil {
			continue
		}
		if !isHLLObjectOrReply(c, o) {
			return
		}
		b := o.Bytes()
		if b[4] == hllDense {
			useDense = true
		}
		if !hllMerge(&max, b) {
			c.addReplyError(errInvalidHLL)
			return
		}
	}
	o := c.lookupKeyWrite(dstkey)
	if o == nil {
		var n Object
		n.SetBytes(newHLL())
		o = srv.DBAdd(c.db, dstkey, n)
	}
	hll := hllWritable(o)
	if useDense && hll[4] == hllSparse {
		dense, ok := hllSparseToDense(hll)
		if !ok {
			c.addReplyError(errInvalidHLL)
			return
		}
		hll = dense
		o.SetBytes(hll)
	}
	for i, v := range max {
		if v == 0 {
			continue
		}
		if hll[4] == hllDense {
			hllDenseSet(hll[hllHdrSize:], i, v)
		} else {
			hll, _ = hllSparseSet(hll, i, v, srv.Config.hllSparseMaxBytes)
		}
	}
	hllInvalidateCache(hll)
	o.SetBytes(hll)
	srv.signalModifiedKey(c, c.db, dstkey)
	// PFMERGE is a mass-add: Redis names its event pfadd.
	srv.notifyKeyspaceEvent(notifyString, "pfadd", dstkey, c.db.id)
	srv.Dirty++
	c.addReplyOK()
}

// PFSELFTEST
func pfselftestCommand(c *Client) {
	const cycles = 1000
	dense := make([]byte, hllDenseSize)
	regs := dense[hllHdrSize:]
	var want [hllRegisters]uint8
	// Registers keep what is stored and leave their neighbours alone.
	for j := 0; j < cycles; j++ {
		for i := range want {
			want[i] = uint8(rand.IntN(hllRegisterMax + 1))
			hllDenseSetRaw(regs, i, want[i])
		}
		for i := range want {
			if v := hllDenseGet(regs, i); v != want[i] {
				c.addReplyErrorFormat("TESTFAILED Register %d should be %d but is %d", i, want[i], v)
				return
			}
		}
	}
	// The estimate stays within bounds, dense and sparse agreeing.
	clear(regs)
	copy(dense, "HYLL")
	sparse := newHLL()
	maxBytes := c.srv.Config.hllSparseMaxBytes
	relerr := 1.04 / math.Sqrt(hllRegisters)
	checkpoint := int64(1)
	seed := rand.Uint64()
	var ele [8]byte
	for j := int64(1); j <= 10000000; j++ {
		binary.LittleEndian.PutUint64(ele[:], uint64(j)^seed)
		index, count := hllPatLen(ele[:])
		hllDenseSet(regs, index, count)
		sparse, _ = hllAdd(sparse, ele[:], maxBytes)
		if j != checkpoint {
			continue
		}
		if j < maxBytes/2 && sparse[4] != hllSparse {
			c.addReplyError("TESTFAILED sparse encoding not used")
			return
		}
		dc, _ := hllCount(dense)
		if sc, _ := hllCount(sparse); dc != sc {
			c.addReplyError("TESTFAILED dense/sparse disagree")
			return
		}
		abserr := checkpoint - int64(dc)
		maxerr := int64(math.Ceil(relerr * 6 * float64(checkpoint)))
		if j == 10 {
			maxerr = 1
		}
		if abserr < 0 {
			abserr = -abserr
		}
		if abserr > maxerr {
			c.addReplyErrorFormat("TESTFAILED Too big error. card:%d abserr:%d", checkpoint, abserr)
			return
		}
		checkpoint *= 10
	}
	c.addReplyOK()
}

// PFDEBUG <GETREG|DECODE|ENCODING|TODENSE> key
func pfdebugCommand(c *Client) {
	srv, cmd, key := c.srv, c.argv[1], c.argv[2]
	o := c.lookupKeyWrite(key)
	if o == nil {
		c.addReplyError("The specified key does not exist")
		return
	}
	if !isHLLObjectOrReply(c, o) {
		return
	}
	hll := hllWritable(o)
	// toDense converts a sparse value in place; the change is
	// propagated (dirty) but, as in Redis, not signalled.
	toDense := func() bool {
		if hll[4] != hllSparse {
			return true
		}
		dense, ok := hllSparseToDense(hll)
		if !ok {
			c.addReplyError(errInvalidHLL)
			return false
		}
		hll = dense
		o.SetBytes(hll)
		srv.Dirty++
		return true
	}
	switch {
	case optIs(cmd, "getreg"):
		if !toDense() {
			return
		}
		c.addReplyArrayLen(hllRegisters)
		for i := 0; i < hllRegisters; i++ {
			c.addReplyInt(int64(hllDenseGet(hll[hllHdrSize:], i)))
		}
	case optIs(cmd, "decode"):
		if hll[4] != hllSparse {
			c.addReplyError("HLL encoding is not sparse")
			return
		}
		var sb strings.Builder
		p := hll[hllHdrSize:]
		for i := 0; i < len(p); {
			switch {
			case hllIsZero(p[i]):
				sb.WriteString("z:" + strconv.Itoa(hllZeroLen(p[i])) + " ")
				i++
			case hllIsXZero(p[i]):
				sb.WriteString("Z:" + strconv.Itoa(hllXZeroLen(p[i], byteAt(p, i+1))) + " ")
				i += 2
			default:
				sb.WriteString("v:" + strconv.Itoa(hllValValue(p[i])) + "," + strconv.Itoa(hllValLen(p[i])) + " ")
				i++
			}
		}
		c.addReplyBulkString(strings.Trim(sb.String(), " "))
	case optIs(cmd, "encoding"):
		if hll[4] == hllDense {
			c.addReplyStatus("dense")
		} else {
			c.addReplyStatus("sparse")
		}
	case optIs(cmd, "todense"):
		wasSparse := hll[4] == hllSparse
		if !toDense() {
			return
		}
		if wasSparse {
			c.addReplyProto(sharedCOne)
		} else {
			c.addReplyProto(sharedCZero)
		}
	default:
		c.addReplyErrorFormat("Unknown PFDEBUG subcommand '%s'", cmd)
	}
}
