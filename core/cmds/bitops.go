package cmds

import (
	"encoding/binary"
	"math"
	"math/bits"

	"github.com/redisfs/redisfs/core/proto"
)

// The bit commands, after Redis 7.0's bitops.c: SETBIT GETBIT BITCOUNT
// BITPOS BITOP BITFIELD BITFIELD_RO. Bit 0 is the most significant bit of
// the first byte; a missing key or the bytes past the end of a string read
// as zeros.

// popcount counts the bits set in p, as redisPopcount.
func redisPopcount(p []byte) int64 {
	var n int
	for len(p) >= 8 {
		n += bits.OnesCount64(binary.LittleEndian.Uint64(p))
		p = p[8:]
	}
	for _, b := range p {
		n += bits.OnesCount8(b)
	}
	return int64(n)
}

// bitpos returns the position of the first bit set to bit in p, as
// redisBitpos: -1 when looking for a 1 in all zeros, len(p)*8 when looking
// for a 0 in all ones (the string is taken as zero-padded on the right).
func redisBitpos(p []byte, bit int) int64 {
	var skip8 uint64
	var skip byte
	if bit == 0 {
		skip8, skip = math.MaxUint64, 0xff
	}
	i := 0
	for i+8 <= len(p) && binary.LittleEndian.Uint64(p[i:]) == skip8 {
		i += 8
	}
	for ; i < len(p); i++ {
		if p[i] != skip {
			b := p[i]
			if bit == 0 {
				b = ^b
			}
			return int64(i)*8 + int64(bits.LeadingZeros8(b))
		}
	}
	if bit == 1 {
		return -1
	}
	return int64(len(p)) * 8
}

// The overflow behaviours of BITFIELD, as Redis's BFOVERFLOW_*.
const (
	bfOverflowWrap = iota
	bfOverflowSat
	bfOverflowFail
)

func setUnsignedBitfield(p []byte, offset, nbits, value uint64) {
	for j := uint64(0); j < nbits; j++ {
		bitval := value >> (nbits - 1 - j) & 1
		byteIdx := offset >> 3
		bit := 7 - offset&7
		p[byteIdx] = p[byteIdx]&^(1<<bit) | byte(bitval<<bit)
		offset++
	}
}

func getUnsignedBitfield(p []byte, offset, nbits uint64) uint64 {
	var value uint64
	for j := uint64(0); j < nbits; j++ {
		byteIdx := offset >> 3
		bit := 7 - offset&7
		value = value<<1 | uint64(p[byteIdx]>>bit&1)
		offset++
	}
	return value
}

func getSignedBitfield(p []byte, offset, nbits uint64) int64 {
	value := int64(getUnsignedBitfield(p, offset, nbits))
	// Sign-extend a negative value of fewer than 64 bits.
	if nbits < 64 && value&(1<<(nbits-1)) != 0 {
		value |= -1 << nbits
	}
	return value
}

// checkUnsignedBitfieldOverflow reports 1 for overflow, -1 for underflow
// and 0 when value+incr fits in nbits unsigned bits; on overflow limit gets
// what WRAP or SAT makes of it. It is Redis's function, wrap-around
// arithmetic included.
func checkUnsignedBitfieldOverflow(value uint64, incr int64, nbits uint64, owtype int, limit *uint64) int {
	max := uint64(math.MaxUint64)
	if nbits != 64 {
		max = 1<<nbits - 1
	}
	maxincr := int64(max - value)
	minincr := -int64(value)
	wrap := func() {
		mask := uint64(math.MaxUint64) << nbits
		*limit = (value + uint64(incr)) &^ mask
	}
	if value > max || incr > 0 && incr > maxincr {
		if limit != nil {
			if owtype == bfOverflowWrap {
				wrap()
			} else if owtype == bfOverflowSat {
				*limit = max
			}
		}
		return 1
	} else if incr < 0 && incr < minincr {
		if limit != nil {
			if owtype == bfOverflowWrap {
				wrap()
				return 1
			} else if owtype == bfOverflowSat {
				*limit = 0
			}
		}
		return -1
	}
	return 0
}

// checkSignedBitfieldOverflow is checkUnsignedBitfieldOverflow for nbits
// signed bits.
func checkSignedBitfieldOverflow(value, incr int64, nbits uint64, owtype int, limit *int64) int {
	max := int64(math.MaxInt64)
	if nbits != 64 {
		max = 1<<(nbits-1) - 1
	}
	min := -max - 1
	// maxincr and minincr may wrap; they are only used once value is
	// known to be in range, as in Redis.
	maxincr := int64(uint64(max) - uint64(value))
	minincr := min - value
	wrap := func() {
		msb := uint64(1) << (nbits - 1)
		c := uint64(value) + uint64(incr)
		if nbits < 64 {
			mask := uint64(math.MaxUint64) << nbits
			if c&msb != 0 {
				c |= mask
			} else {
				c &^= mask
			}
		}
		*limit = int64(c)
	}
	if value > max || nbits != 64 && incr > maxincr || value >= 0 && incr > 0 && incr > maxincr {
		if limit != nil {
			if owtype == bfOverflowWrap {
				wrap()
			} else if owtype == bfOverflowSat {
				*limit = max
			}
		}
		return 1
	} else if value < min || nbits != 64 && incr < minincr || value < 0 && incr < 0 && incr < minincr {
		if limit != nil {
			if owtype == bfOverflowWrap {
				wrap()
				return 1
			} else if owtype == bfOverflowSat {
				*limit = min
			}
		}
		return -1
	}
	return 0
}

const errBitOffset = "bit offset is not an integer or out of range"

// getBitOffsetFromArgument parses a bit offset, limited to
// proto-max-bulk-len bytes. With hash (BITFIELD) and nbits > 0 the form
// "#N" means N*nbits (the multiplication wraps as in Redis).
func getBitOffsetFromArgument(c *Client, arg []byte, hash bool, nbits int) (uint64, bool) {
	usehash := len(arg) > 0 && arg[0] == '#' && hash && nbits > 0
	if usehash {
		arg = arg[1:]
	}
	v, ok := proto.ParseInt(arg)
	if !ok {
		c.addReplyError(errBitOffset)
		return 0, false
	}
	if usehash {
		v *= int64(nbits)
	}
	if v < 0 || v>>3 >= c.srv.Config.ProtoMaxBulkLen {
		c.addReplyError(errBitOffset)
		return 0, false
	}
	return uint64(v), true
}

// getBitfieldTypeFromArgument parses a BITFIELD type: i1..i64 or u1..u63.
func getBitfieldTypeFromArgument(c *Client, arg []byte) (signed bool, nbits int, ok bool) {
	const msg = "Invalid bitfield type. Use something like i16 u8. Note that u64 is not supported but i64 is."
	if len(arg) == 0 || arg[0] != 'i' && arg[0] != 'u' {
		c.addReplyError(msg)
		return false, 0, false
	}
	signed = arg[0] == 'i'
	// Redis reads the width with strlen: it ends at a NUL byte.
	v, ok := proto.ParseInt(cstr(arg[1:]))
	if !ok || v < 1 || signed && v > 64 || !signed && v > 63 {
		c.addReplyError(msg)
		return false, 0, false
	}
	return signed, int(v), true
}

// lookupStringForBitCommand returns the string at c.Argv[1] made raw and
// zero-padded so that bit maxbit exists, creating it if needed, as Redis's
// lookupStringForBitCommand. changed reports that the key was created or
// grown. It returns nil after replying WRONGTYPE.
func lookupStringForBitCommand(c *Client, maxbit uint64) (o *Object, changed bool) {
	srv, db, key := c.srv, c.db, c.argv[1]
	n := int(maxbit>>3) + 1
	o = c.lookupKeyWrite(key)
	if o != nil && c.checkType(o, TypeString) {
		return nil, false
	}
	if o == nil {
		var obj Object
		obj.SetBytes(make([]byte, n))
		return srv.DBAdd(db, key, obj), true
	}
	unshareStringValue(o, 0)
	buf := o.rawBuffer()
	old := len(buf)
	buf = growZero(buf, n)
	o.SetBytes(buf)
	return o, len(buf) != old
}

// SETBIT key offset value
func setbitCommand(c *Client) {
	const errBit = "bit is not an integer or out of range"
	bitoffset, ok := getBitOffsetFromArgument(c, c.argv[2], false, 0)
	if !ok {
		return
	}
	on, ok := argLongLongOrReply(c, c.argv[3], errBit)
	if !ok {
		return
	}
	if on&^1 != 0 {
		c.addReplyError(errBit)
		return
	}
	o, changed := lookupStringForBitCommand(c, bitoffset)
	if o == nil {
		return
	}
	buf := o.rawBuffer()
	byteIdx := bitoffset >> 3
	bit := 7 - bitoffset&7
	byteval := buf[byteIdx]
	bitval := byteval >> bit & 1
	if changed || int64(bitval) != on {
		buf[byteIdx] = byteval&^(1<<bit) | byte(on)<<bit
		srv, db, key := c.srv, c.db, c.argv[1]
		srv.signalModifiedKey(c, db, key)
		srv.notifyKeyspaceEvent(notifyString, "setbit", key, db.id)
		srv.Dirty++
	}
	c.addReplyInt(int64(bitval))
}

// GETBIT key offset
func getbitCommand(c *Client) {
	bitoffset, ok := getBitOffsetFromArgument(c, c.argv[2], false, 0)
	if !ok {
		return
	}
	o := c.lookupKeyReadOrReply(c.argv[1], sharedCZero)
	if o == nil || c.checkType(o, TypeString) {
		return
	}
	var llbuf [24]byte
	p := stringObjectBytes(o, &llbuf)
	byteIdx := bitoffset >> 3
	var bitval byte
	if byteIdx < uint64(len(p)) {
		bitval = p[byteIdx] >> (7 - bitoffset&7) & 1
	}
	c.addReplyInt(int64(bitval))
}

// BITOP <AND | OR | XOR | NOT> destkey key [key ...]
func bitopCommand(c *Client) {
	const (
		opAnd = iota
		opOr
		opXor
		opNot
	)
	var op int
	switch opname := c.argv[1]; {
	case optIs(opname, "and"):
		op = opAnd
	case optIs(opname, "or"):
		op = opOr
	case optIs(opname, "xor"):
		op = opXor
	case optIs(opname, "not"):
		op = opNot
	default:
		c.addReplySyntaxError()
		return
	}
	if op == opNot && len(c.argv) != 4 {
		c.addReplyError("BITOP NOT must be called with a single source key.")
		return
	}
	srv, db, target := c.srv, c.db, c.argv[2]
	keys := c.argv[3:]
	src := make([][]byte, len(keys))
	llbufs := make([][24]byte, len(keys))
	maxlen := 0
	for j, key := range keys {
		o := c.lookupKeyRead(key)
		if o == nil {
			continue // a missing key is an empty string
		}
		if c.checkType(o, TypeString) {
			return
		}
		src[j] = stringObjectBytes(o, &llbufs[j])
		maxlen = max(maxlen, len(src[j]))
	}
	var res []byte
	if maxlen > 0 {
		res = make([]byte, maxlen)
		byteAt := func(s []byte, j int) byte {
			if j < len(s) {
				return s[j]
			}
			return 0
		}
		// Fast path: a word at a time while every source has data.
		minlen := maxlen
		for _, s := range src {
			minlen = min(minlen, len(s))
		}
		j := 0
		for ; j+8 <= minlen; j += 8 {
			output := binary.LittleEndian.Uint64(src[0][j:])
			if op == opNot {
				output = ^output
			}
			for _, s := range src[1:] {
				w := binary.LittleEndian.Uint64(s[j:])
				switch op {
				case opAnd:
					output &= w
				case opOr:
					output |= w
				case opXor:
					output ^= w
				}
			}
			binary.LittleEndian.PutUint64(res[j:], output)
		}
		for ; j < maxlen; j++ {
			output := byteAt(src[0], j)
			if op == opNot {
				output = ^output
			}
			for _, s := range src[1:] {
				b := byteAt(s, j)
				switch op {
				case opAnd:
					output &= b
				case opOr:
					output |= b
				case opXor:
					output ^= b
				}
			}
			res[j] = output
		}
	}
	if maxlen > 0 {
		var o Object
		o.SetBytes(res)
		c.lookupKeyWrite(target)
		srv.setKey(c, db, target, o, 0)
		srv.notifyKeyspaceEvent(notifyString, "set", target, db.id)
		srv.Dirty++
	} else if srv.dbDelete(db, target) {
		srv.signalModifiedKey(c, db, target)
		srv.notifyKeyspaceEvent(notifyGeneric, "del", target, db.id)
		srv.Dirty++
	}
	c.addReplyInt(int64(maxlen))
}

// bitRangeUnitOrReply parses the BYTE | BIT option of BITCOUNT and
// BITPOS: isbit when the range is in bits.
func bitRangeUnitOrReply(c *Client, arg []byte) (isbit, ok bool) {
	switch {
	case optIs(arg, "bit"):
		return true, true
	case optIs(arg, "byte"):
		return false, true
	}
	c.addReplySyntaxError()
	return false, false
}

// bitRange resolves the start and end of BITCOUNT and BITPOS over a string
// of strlen bytes: in bytes, or in bits when isbit; negative ones counted
// from the end; clamped to the string. A bit range comes back as the byte
// range that holds it, with the masks of the bits of its first and last
// bytes that lie outside it.
func bitRange(start, end, strlen int64, isbit bool) (int64, int64, byte, byte) {
	totlen := strlen
	if isbit {
		totlen <<= 3
	}
	if start < 0 {
		start += totlen
	}
	if end < 0 {
		end += totlen
	}
	start, end = max(start, 0), max(end, 0)
	if end >= totlen {
		end = totlen - 1
	}
	if !isbit || start > end {
		return start, end, 0, 0
	}
	first := ^byte(1<<(8-(start&7)) - 1)
	last := byte(1<<(7-(end&7)) - 1)
	return start >> 3, end >> 3, first, last
}

// BITCOUNT key [start end [BYTE | BIT]]
func bitcountCommand(c *Client) {
	o := c.lookupKeyReadOrReply(c.argv[1], sharedCZero)
	if o == nil || c.checkType(o, TypeString) {
		return
	}
	var llbuf [24]byte
	p := stringObjectBytes(o, &llbuf)
	strlen := int64(len(p))
	var start, end int64
	var firstMask, lastMask byte
	switch len(c.argv) {
	case 4, 5:
		var ok bool
		if start, ok = argLongLongOrReply(c, c.argv[2], ""); !ok {
			return
		}
		if end, ok = argLongLongOrReply(c, c.argv[3], ""); !ok {
			return
		}
		if start < 0 && end < 0 && start > end {
			c.addReplyProto(sharedCZero)
			return
		}
		isbit := false
		if len(c.argv) == 5 {
			if isbit, ok = bitRangeUnitOrReply(c, c.argv[4]); !ok {
				return
			}
		}
		start, end, firstMask, lastMask = bitRange(start, end, strlen, isbit)
	case 2:
		start, end = 0, strlen-1
	default:
		c.addReplySyntaxError()
		return
	}
	if start > end {
		c.addReplyProto(sharedCZero)
		return
	}
	count := redisPopcount(p[start : end+1])
	// Take away the bits of the edge bytes outside a BIT range.
	count -= int64(bits.OnesCount8(p[start]&firstMask) + bits.OnesCount8(p[end]&lastMask))
	c.addReplyInt(count)
}

// BITPOS key bit [start [end [BYTE | BIT]]]
func bitposCommand(c *Client) {
	bit, ok := argLongLongOrReply(c, c.argv[2], "")
	if !ok {
		return
	}
	if bit != 0 && bit != 1 {
		c.addReplyError("The bit argument must be 1 or 0.")
		return
	}
	// A missing key is an infinite run of zeros.
	o := c.lookupKeyRead(c.argv[1])
	if o == nil {
		if bit == 1 {
			c.addReplyInt(-1)
		} else {
			c.addReplyProto(sharedCZero)
		}
		return
	}
	if c.checkType(o, TypeString) {
		return
	}
	var llbuf [24]byte
	p := stringObjectBytes(o, &llbuf)
	strlen := int64(len(p))
	var start, end int64
	var firstMask, lastMask byte
	endGiven := false
	switch len(c.argv) {
	case 4, 5, 6:
		if start, ok = argLongLongOrReply(c, c.argv[3], ""); !ok {
			return
		}
		isbit := false
		if len(c.argv) == 6 {
			if isbit, ok = bitRangeUnitOrReply(c, c.argv[5]); !ok {
				return
			}
		}
		if len(c.argv) >= 5 {
			if end, ok = argLongLongOrReply(c, c.argv[4], ""); !ok {
				return
			}
			endGiven = true
		} else if isbit {
			end = strlen<<3 + 7
		} else {
			end = strlen - 1
		}
		start, end, firstMask, lastMask = bitRange(start, end, strlen, isbit)
	case 3:
		start, end = 0, strlen-1
	default:
		c.addReplySyntaxError()
		return
	}
	// An empty range holds neither a 0 nor a 1.
	if start > end {
		c.addReplyInt(-1)
		return
	}
	b := int(bit)
	nbytes := end - start + 1
	var pos int64
	// The edge bytes of a BIT range are searched with the bits outside the
	// range forced to the value not looked for.
	edge := func(ch, mask byte) byte {
		if b == 1 {
			return ch &^ mask
		}
		return ch | mask
	}
	func() {
		if firstMask != 0 {
			tmp := edge(p[start], firstMask)
			if lastMask != 0 && nbytes == 1 {
				tmp = edge(tmp, lastMask)
			}
			pos = redisBitpos([]byte{tmp}, b)
			if nbytes == 1 || pos != -1 && pos != 8 {
				return
			}
			start++
			nbytes--
		}
		curbytes := nbytes
		if lastMask != 0 {
			curbytes--
		}
		if curbytes > 0 {
			pos = redisBitpos(p[start:start+curbytes], b)
			if nbytes == curbytes || pos != -1 && pos != curbytes<<3 {
				return
			}
			start += curbytes
			nbytes -= curbytes
		}
		pos = redisBitpos([]byte{edge(p[end], lastMask)}, b)
	}()
	// Looking for a 0 in an explicit range, the bit past the range is not
	// part of it: not found.
	if endGiven && b == 0 && pos == nbytes<<3 {
		c.addReplyInt(-1)
		return
	}
	if pos != -1 {
		pos += start << 3
	}
	c.addReplyInt(pos)
}

// The operations of BITFIELD.
const (
	bitfieldGet = iota
	bitfieldSet
	bitfieldIncrby
)

type bitfieldOp struct {
	offset uint64
	i64    int64
	opcode int
	owtype int
	bits   int
	sign   bool
}

// bitfieldWrite computes the SET or INCRBY op of a field of nbits bits
// holding old, signed or not as T: the value to write, the one to reply
// (the new one for INCRBY, the old one for SET) and the overflow as check
// (checkSignedBitfieldOverflow or checkUnsignedBitfieldOverflow) finds it.
func bitfieldWrite[t int64 | uint64](op *bitfieldOp, old t, nbits uint64, check func(t, int64, uint64, int, *t) int) (newval, retval t, overflow int) {
	var wrapped t
	if op.opcode == bitfieldIncrby {
		newval = old + t(op.i64)
		overflow = check(old, op.i64, nbits, op.owtype, &wrapped)
	} else {
		newval = t(op.i64)
		overflow = check(newval, 0, nbits, op.owtype, &wrapped)
	}
	if overflow != 0 {
		newval = wrapped
	}
	if op.opcode == bitfieldIncrby {
		return newval, newval, overflow
	}
	return newval, old, overflow
}

// bitfieldGeneric implements BITFIELD and, when readonly, BITFIELD_RO
// (which only allows GET). Every operation is parsed before any runs.
func bitfieldGeneric(c *Client, readonlyCmd bool) {
	var ops []bitfieldOp
	owtype := bfOverflowWrap
	readonly := true
	var highestWrite uint64
	argv := c.argv
	for j := 2; j < len(argv); j++ {
		remargs := len(argv) - j - 1
		sub := argv[j]
		var opcode int
		switch {
		case optIs(sub, "get") && remargs >= 2:
			opcode = bitfieldGet
		case optIs(sub, "set") && remargs >= 3:
			opcode = bitfieldSet
		case optIs(sub, "incrby") && remargs >= 3:
			opcode = bitfieldIncrby
		case optIs(sub, "overflow") && remargs >= 1:
			j++
			switch name := argv[j]; {
			case optIs(name, "wrap"):
				owtype = bfOverflowWrap
			case optIs(name, "sat"):
				owtype = bfOverflowSat
			case optIs(name, "fail"):
				owtype = bfOverflowFail
			default:
				c.addReplyError("Invalid OVERFLOW type specified")
				return
			}
			continue
		default:
			c.addReplySyntaxError()
			return
		}
		sign, nbits, ok := getBitfieldTypeFromArgument(c, argv[j+1])
		if !ok {
			return
		}
		bitoffset, ok := getBitOffsetFromArgument(c, argv[j+2], true, nbits)
		if !ok {
			return
		}
		var i64 int64
		if opcode != bitfieldGet {
			readonly = false
			highestWrite = max(highestWrite, bitoffset+uint64(nbits)-1)
			if i64, ok = argLongLongOrReply(c, argv[j+3], ""); !ok {
				return
			}
			j += 3
		} else {
			j += 2
		}
		ops = append(ops, bitfieldOp{offset: bitoffset, i64: i64, opcode: opcode, owtype: owtype, bits: nbits, sign: sign})
	}
	var o *Object
	var created bool
	if readonly {
		// Reading a missing key is fine; one of another type is not.
		o = c.lookupKeyRead(c.argv[1])
		if o != nil && c.checkType(o, TypeString) {
			return
		}
	} else {
		if readonlyCmd {
			c.addReplyError("BITFIELD_RO only supports the GET subcommand")
			return
		}
		if o, created = lookupStringForBitCommand(c, highestWrite); o == nil {
			return
		}
	}
	c.addReplyArrayLen(len(ops))
	changes := 0
	for _, op := range ops {
		nbits := uint64(op.bits)
		if op.opcode == bitfieldGet {
			// Read through a zero-padded copy of up to 9 bytes, so that
			// fields past the end of the string read as zeros.
			var buf [9]byte
			var llbuf [24]byte
			var src []byte
			if o != nil {
				src = stringObjectBytes(o, &llbuf)
			}
			byteIdx := op.offset >> 3
			if byteIdx < uint64(len(src)) {
				copy(buf[:], src[byteIdx:])
			}
			if op.sign {
				c.addReplyInt(getSignedBitfield(buf[:], op.offset-byteIdx*8, nbits))
			} else {
				c.addReplyInt(int64(getUnsignedBitfield(buf[:], op.offset-byteIdx*8, nbits)))
			}
			continue
		}
		// The field's bits before and after the write, and the reply.
		p := o.rawBuffer()
		var oldval, newval uint64
		var retval int64
		var overflow int
		if op.sign {
			old := getSignedBitfield(p, op.offset, nbits)
			nv, rv, ov := bitfieldWrite(&op, old, nbits, checkSignedBitfieldOverflow)
			oldval, newval, retval, overflow = uint64(old), uint64(nv), rv, ov
		} else {
			oldval = getUnsignedBitfield(p, op.offset, nbits)
			var rv uint64
			newval, rv, overflow = bitfieldWrite(&op, oldval, nbits, checkUnsignedBitfieldOverflow)
			retval = int64(rv)
		}
		// With OVERFLOW FAIL an overflow writes nothing and replies null.
		if overflow != 0 && op.owtype == bfOverflowFail {
			c.addReplyNull()
			continue
		}
		c.addReplyInt(retval)
		setUnsignedBitfield(p, op.offset, nbits, newval)
		if created || oldval != newval {
			changes++
		}
	}
	if changes > 0 {
		srv, db, key := c.srv, c.db, c.argv[1]
		srv.signalModifiedKey(c, db, key)
		srv.notifyKeyspaceEvent(notifyString, "setbit", key, db.id)
		srv.Dirty += int64(changes)
	}
}

// BITFIELD key [GET encoding offset | [OVERFLOW <WRAP | SAT | FAIL>] <SET encoding offset value | INCRBY encoding offset increment> [GET encoding offset | [OVERFLOW <WRAP | SAT | FAIL>] <SET encoding offset value | INCRBY encoding offset increment> ...]]
func bitfieldCommand(c *Client) { bitfieldGeneric(c, false) }

// BITFIELD_RO key [GET encoding offset [GET encoding offset ...]]
func bitfieldroCommand(c *Client) { bitfieldGeneric(c, true) }
