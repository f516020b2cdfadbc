package cmds

import (
	"math"
	"math/big"
	"strconv"

	"github.com/redisfs/redisfs/core/proto"
)

// The string family, after Redis 7.0's t_string.c: GET SET and their
// variants, counters, ranges and LCS. The bit commands live in bitops.go.

// Options of SET and GETEX, as Redis's OBJ_* flags of t_string.c.
const (
	setFlagNX = 1 << iota
	setFlagXX
	setFlagEX
	setFlagPX
	setFlagKeepTTL
	setFlagGet
	setFlagEXAT
	setFlagPXAT
	setFlagPersist
)

// Whether parseExtendedStringArgumentsOrReply parses for GETEX or SET.
const (
	extendedGet = iota
	extendedSet
)

// checkStringLength replies an error and returns false when a string of
// size+add bytes would exceed proto-max-bulk-len, as Redis's
// checkStringLength (overflow of the sum included).
func checkStringLength(c *Client, size, add int64) bool {
	total := size + add
	if total > c.srv.Config.ProtoMaxBulkLen || total < size || total < add {
		c.addReplyError("string exceeds maximum allowed size (proto-max-bulk-len)")
		return false
	}
	return true
}

// setGenericCommand implements SET, SETEX, PSETEX and SETNX. flags are the
// setFlag* options; expire (when hasExpire) is interpreted in seconds
// unless ms. okReply and abortReply replace +OK and the null reply.
func setGenericCommand(c *Client, flags int, key, val []byte, hasExpire bool, expire []byte, ms bool, okReply, abortReply []byte) {
	srv := c.srv
	var when int64
	if hasExpire {
		var ok bool
		if when, ok = getExpireMillisecondsOrReply(c, expire, flags, ms); !ok {
			return
		}
	}
	if flags&setFlagGet != 0 && !getGenericCommand(c) {
		return
	}
	found := c.lookupKeyWrite(key) != nil
	if flags&setFlagNX != 0 && found || flags&setFlagXX != 0 && !found {
		if flags&setFlagGet == 0 {
			if abortReply != nil {
				c.addReplyProto(abortReply)
			} else {
				c.addReplyNull()
			}
		}
		return
	}
	setFlags := 0
	// With an expire time, the old TTL is replaced below rather than
	// removed and added again (which would cost an allocation).
	if flags&setFlagKeepTTL != 0 || hasExpire {
		setFlags |= setKeyKeepTTL
	}
	if found {
		setFlags |= setKeyAlreadyExist
	} else {
		setFlags |= setKeyDoesntExist
	}
	srv.setKey(c, c.db, key, newStringObject(val), setFlags)
	srv.Dirty++
	srv.notifyKeyspaceEvent(notifyString, "set", key, c.db.id)
	if hasExpire {
		// Redis 7.0 stores an expire time already in the past as it is;
		// the key is then expired lazily (or by the cycle).
		srv.setExpire(c, c.db, key, when)
		srv.notifyKeyspaceEvent(notifyGeneric, "expire", key, c.db.id)
	}
	if flags&setFlagGet == 0 {
		if okReply != nil {
			c.addReplyProto(okReply)
		} else {
			c.addReplyOK()
		}
	}
	// Propagated as SET key value PXAT <ms> (whatever the expire option
	// was), else without GET, as Redis 7.0 does.
	if srv.propagating() {
		if hasExpire {
			var buf [24]byte
			c.rewriteArgv(setArg, key, val, pxatArg, strconv.AppendInt(buf[:0], when, 10))
		} else if flags&setFlagGet != 0 {
			c.rewriteArgvWithoutGet()
		}
	}
}

var (
	setArg     = []byte("SET")
	pxatArg    = []byte("PXAT")
	keepttlArg = []byte("KEEPTTL")
	persistArg = []byte("PERSIST")
)

// rewriteArgvWithoutGet propagates SET without its GET option(s).
func (c *Client) rewriteArgvWithoutGet() {
	args := make([][]byte, 0, len(c.argv))
	for j, a := range c.argv {
		if j >= 3 && equalFoldC(a, "get") {
			continue
		}
		args = append(args, a)
	}
	c.rewriteArgv(args...)
}

// getExpireMillisecondsOrReply turns the expire argument of SET or GETEX
// into an absolute unix time in milliseconds, as Redis's function of that
// name: relative for EX and PX, in seconds unless ms.
func getExpireMillisecondsOrReply(c *Client, expire []byte, flags int, ms bool) (int64, bool) {
	v, ok := argLongLongOrReply(c, expire, "")
	if !ok {
		return 0, false
	}
	if v <= 0 || (!ms && v > math.MaxInt64/1000) {
		addReplyErrorExpireTime(c)
		return 0, false
	}
	if !ms {
		v *= 1000
	}
	if flags&(setFlagPX|setFlagEX) != 0 {
		v += c.srv.mstime() // wraps on overflow, caught below as in Redis
	}
	if v <= 0 {
		addReplyErrorExpireTime(c)
		return 0, false
	}
	return v, true
}

// parseExtendedStringArgumentsOrReply parses the options of SET (NX XX GET
// and the expire options) or GETEX (PERSIST and the expire options) as
// Redis 7.0 does: a repeated option is fine, a conflicting one or anything
// else is a syntax error. It returns the flags, the expire argument and
// whether its unit is milliseconds.
func parseExtendedStringArgumentsOrReply(c *Client, commandType int) (flags int, expire []byte, ms bool, ok bool) {
	j := 3
	if commandType == extendedGet {
		j = 2
	}
	argv := c.argv
	const anyExpire = setFlagEX | setFlagPX | setFlagEXAT | setFlagPXAT
	for ; j < len(argv); j++ {
		opt := argv[j]
		hasNext := j < len(argv)-1
		switch {
		case optIs(opt, "nx") && flags&setFlagXX == 0 && commandType == extendedSet:
			flags |= setFlagNX
		case optIs(opt, "xx") && flags&setFlagNX == 0 && commandType == extendedSet:
			flags |= setFlagXX
		case optIs(opt, "get") && commandType == extendedSet:
			flags |= setFlagGet
		case optIs(opt, "keepttl") && flags&(setFlagPersist|anyExpire) == 0 && commandType == extendedSet:
			flags |= setFlagKeepTTL
		case optIs(opt, "persist") && commandType == extendedGet && flags&(anyExpire|setFlagKeepTTL) == 0:
			flags |= setFlagPersist
		case optIs(opt, "ex") && flags&(setFlagKeepTTL|setFlagPersist|setFlagEXAT|setFlagPX|setFlagPXAT) == 0 && hasNext:
			flags |= setFlagEX
			expire = argv[j+1]
			j++
		case optIs(opt, "px") && flags&(setFlagKeepTTL|setFlagPersist|setFlagEX|setFlagEXAT|setFlagPXAT) == 0 && hasNext:
			flags |= setFlagPX
			ms = true
			expire = argv[j+1]
			j++
		case optIs(opt, "exat") && flags&(setFlagKeepTTL|setFlagPersist|setFlagEX|setFlagPX|setFlagPXAT) == 0 && hasNext:
			flags |= setFlagEXAT
			expire = argv[j+1]
			j++
		case optIs(opt, "pxat") && flags&(setFlagKeepTTL|setFlagPersist|setFlagEX|setFlagEXAT|setFlagPX) == 0 && hasNext:
			flags |= setFlagPXAT
			ms = true
			expire = argv[j+1]
			j++
		default:
			c.addReplySyntaxError()
			return 0, nil, false, false
		}
	}
	return flags, expire, ms, true
}

// SET key value [NX|XX] [GET] [EX seconds|PX milliseconds|EXAT unix-time-seconds|PXAT unix-time-milliseconds|KEEPTTL]
func setCommand(c *Client) {
	flags, expire, ms, ok := parseExtendedStringArgumentsOrReply(c, extendedSet)
	if !ok {
		return
	}
	hasExpire := flags&(setFlagEX|setFlagPX|setFlagEXAT|setFlagPXAT) != 0
	setGenericCommand(c, flags, c.argv[1], c.argv[2], hasExpire, expire, ms, nil, nil)
}

// SETNX key value
func setnxCommand(c *Client) {
	setGenericCommand(c, setFlagNX, c.argv[1], c.argv[2], false, nil, false, sharedCOne, sharedCZero)
}

// SETEX key seconds value
func setexCommand(c *Client) {
	setGenericCommand(c, setFlagEX, c.argv[1], c.argv[3], true, c.argv[2], false, nil, nil)
}

// PSETEX key milliseconds value
func psetexCommand(c *Client) {
	setGenericCommand(c, setFlagPX, c.argv[1], c.argv[3], true, c.argv[2], true, nil, nil)
}

// getGenericCommand replies with the value of c.Argv[1] (or null); it
// returns false after replying WRONGTYPE.
func getGenericCommand(c *Client) bool {
	o := c.lookupKeyReadOrNull(c.argv[1])
	if o == nil {
		return true
	}
	if c.checkType(o, TypeString) {
		return false
	}
	c.addReplyBulkObject(o)
	return true
}

// GET key
func getCommand(c *Client) {
	getGenericCommand(c)
}

// GETEX key [EX seconds|PX milliseconds|EXAT unix-time-seconds|PXAT unix-time-milliseconds|PERSIST]
func getexCommand(c *Client) {
	flags, expire, ms, ok := parseExtendedStringArgumentsOrReply(c, extendedGet)
	if !ok {
		return
	}
	key := c.argv[1]
	o := c.lookupKeyReadOrNull(key)
	if o == nil || c.checkType(o, TypeString) {
		return
	}
	hasExpire := flags&(setFlagEX|setFlagPX|setFlagEXAT|setFlagPXAT) != 0
	var when int64
	if hasExpire {
		if when, ok = getExpireMillisecondsOrReply(c, expire, flags, ms); !ok {
			return
		}
	}
	// Reply before the key may be deleted below.
	c.addReplyBulkObject(o)
	srv, db := c.srv, c.db
	switch {
	case flags&(setFlagEXAT|setFlagPXAT) != 0 && srv.checkAlreadyExpired(when):
		// An absolute time already elapsed deletes the key.
		srv.dbDelete(db, key)
		srv.signalModifiedKey(c, db, key)
		srv.notifyKeyspaceEvent(notifyGeneric, "del", key, db.id)
		srv.Dirty++
		c.rewriteArgv(delArg, key)
	case hasExpire:
		srv.setExpire(c, db, key, when)
		srv.signalModifiedKey(c, db, key)
		srv.notifyKeyspaceEvent(notifyGeneric, "expire", key, db.id)
		srv.Dirty++
		// Propagated as PEXPIREAT with the absolute time.
		var buf [24]byte
		c.rewriteArgv(pexpireatArg, key, strconv.AppendInt(buf[:0], when, 10))
	case flags&setFlagPersist != 0:
		if db.removeExpire(key) {
			srv.signalModifiedKey(c, db, key)
			srv.notifyKeyspaceEvent(notifyGeneric, "persist", key, db.id)
			srv.Dirty++
			c.rewriteArgv(persistArg, key)
		}
	}
}

// GETDEL key
func getdelCommand(c *Client) {
	if !getGenericCommand(c) {
		return
	}
	srv, db, key := c.srv, c.db, c.argv[1]
	if srv.dbDelete(db, key) {
		srv.signalModifiedKey(c, db, key)
		srv.notifyKeyspaceEvent(notifyGeneric, "del", key, db.id)
		srv.Dirty++
		// Propagated as DEL.
		c.rewriteArgv(delArg, key)
	}
}

// GETSET key value
func getsetCommand(c *Client) {
	if !getGenericCommand(c) {
		return
	}
	srv, db, key := c.srv, c.db, c.argv[1]
	srv.setKey(c, db, key, newStringObject(c.argv[2]), 0)
	srv.notifyKeyspaceEvent(notifyString, "set", key, db.id)
	srv.Dirty++
}

// SETRANGE key offset value
func setrangeCommand(c *Client) {
	srv, db, key, value := c.srv, c.db, c.argv[1], c.argv[3]
	offset, ok := argLongLongOrReply(c, c.argv[2], "")
	if !ok {
		return
	}
	if offset < 0 {
		c.addReplyError("offset is out of range")
		return
	}
	o := c.lookupKeyWrite(key)
	if o == nil {
		// Setting nothing on a missing key creates nothing.
		if len(value) == 0 {
			c.addReplyProto(sharedCZero)
			return
		}
		if !checkStringLength(c, offset, int64(len(value))) {
			return
		}
		var obj Object
		obj.SetBytes(make([]byte, offset+int64(len(value))))
		o = srv.DBAdd(db, key, obj)
	} else {
		if c.checkType(o, TypeString) {
			return
		}
		olen := o.StrLen()
		if len(value) == 0 {
			c.addReplyInt(int64(olen))
			return
		}
		if !checkStringLength(c, offset, int64(len(value))) {
			return
		}
		unshareStringValue(o, 0)
	}
	buf := growZero(o.rawBuffer(), int(offset)+len(value))
	copy(buf[offset:], value)
	o.SetBytes(buf)
	srv.signalModifiedKey(c, db, key)
	srv.notifyKeyspaceEvent(notifyString, "setrange", key, db.id)
	srv.Dirty++
	c.addReplyInt(int64(len(buf)))
}

// GETRANGE key start end (and SUBSTR key start end)
func getrangeCommand(c *Client) {
	start, ok := argLongLongOrReply(c, c.argv[2], "")
	if !ok {
		return
	}
	end, ok := argLongLongOrReply(c, c.argv[3], "")
	if !ok {
		return
	}
	o := c.lookupKeyReadOrReply(c.argv[1], sharedEmptyBulk)
	if o == nil || c.checkType(o, TypeString) {
		return
	}
	var llbuf [24]byte
	str := stringObjectBytes(o, &llbuf)
	strlen := int64(len(str))
	if start < 0 && end < 0 && start > end {
		c.addReplyProto(sharedEmptyBulk)
		return
	}
	if start < 0 {
		start += strlen
	}
	if end < 0 {
		end += strlen
	}
	if start < 0 {
		start = 0
	}
	if end < 0 {
		end = 0
	}
	if uint64(end) >= uint64(strlen) {
		end = strlen - 1
	}
	if start > end || strlen == 0 {
		c.addReplyProto(sharedEmptyBulk)
		return
	}
	c.addReplyBulk(str[start : end+1])
}

// MGET key [key ...]
func mgetCommand(c *Client) {
	c.addReplyArrayLen(len(c.argv) - 1)
	for _, key := range c.argv[1:] {
		o := c.lookupKeyRead(key)
		if o == nil || o.typ != TypeString {
			c.addReplyNull()
		} else {
			c.addReplyBulkObject(o)
		}
	}
}

// msetGenericCommand implements MSET and MSETNX.
func msetGenericCommand(c *Client, nx bool) {
	if len(c.argv)%2 == 0 {
		c.addReplyErrorArity()
		return
	}
	srv, db := c.srv, c.db
	// MSETNX sets nothing at all if any of the keys exists.
	if nx {
		for j := 1; j < len(c.argv); j += 2 {
			if c.lookupKeyWrite(c.argv[j]) != nil {
				c.addReplyProto(sharedCZero)
				return
			}
		}
	}
	for j := 1; j < len(c.argv); j += 2 {
		c.lookupKeyWrite(c.argv[j])
		srv.setKey(c, db, c.argv[j], newStringObject(c.argv[j+1]), 0)
		srv.notifyKeyspaceEvent(notifyString, "set", c.argv[j], db.id)
	}
	srv.Dirty += int64(len(c.argv)-1) / 2
	if nx {
		c.addReplyProto(sharedCOne)
	} else {
		c.addReplyOK()
	}
}

// MSET key value [key value ...]
func msetCommand(c *Client) { msetGenericCommand(c, false) }

// MSETNX key value [key value ...]
func msetnxCommand(c *Client) { msetGenericCommand(c, true) }

// incrDecrCommand adds incr to the integer at c.Argv[1].
func incrDecrCommand(c *Client, incr int64) {
	srv, db, key := c.srv, c.db, c.argv[1]
	o := c.lookupKeyWrite(key)
	if o != nil && c.checkType(o, TypeString) {
		return
	}
	var value int64
	if o != nil {
		if o.enc == encInt {
			value = o.int()
		} else {
			v, ok := proto.ParseInt(o.Bytes())
			if !ok {
				c.addReplyError(errNotInteger)
				return
			}
			value = v
		}
	}
	if incr < 0 && value < 0 && incr < math.MinInt64-value ||
		incr > 0 && value > 0 && incr > math.MaxInt64-value {
		c.addReplyError(errOverflow)
		return
	}
	value += incr
	if o != nil {
		lru := o.lru
		*o = newIntObject(value)
		o.lru = lru
	} else {
		srv.DBAdd(db, key, newIntObject(value))
	}
	srv.signalModifiedKey(c, db, key)
	srv.notifyKeyspaceEvent(notifyString, "incrby", key, db.id)
	srv.Dirty++
	c.addReplyInt(value)
}

// INCR key
func incrCommand(c *Client) { incrDecrCommand(c, 1) }

// DECR key
func decrCommand(c *Client) { incrDecrCommand(c, -1) }

// INCRBY key increment
func incrbyCommand(c *Client) {
	incr, ok := argLongLongOrReply(c, c.argv[2], "")
	if !ok {
		return
	}
	incrDecrCommand(c, incr)
}

// DECRBY key decrement
func decrbyCommand(c *Client) {
	incr, ok := argLongLongOrReply(c, c.argv[2], "")
	if !ok {
		return
	}
	// Negating LLONG_MIN would overflow.
	if incr == math.MinInt64 {
		c.addReplyError("decrement would overflow")
		return
	}
	incrDecrCommand(c, -incr)
}

// INCRBYFLOAT key increment
//
// Redis computes in long double (x87 80-bit extended precision on amd64)
// and formats with "%.17Lf" before trimming trailing zeros; Go has no long
// double, so the arithmetic is done exactly with math/big and rounded to the
// 64-bit mantissa and exponent range of the x87 format (see longdouble
// helpers below).
func incrbyfloatCommand(c *Client) {
	srv, db, key := c.srv, c.db, c.argv[1]
	o := c.lookupKeyWrite(key)
	if o != nil && c.checkType(o, TypeString) {
		return
	}
	value := new(big.Float).SetPrec(ldPrec)
	if o != nil {
		if o.enc == encInt {
			value.SetInt64(o.int())
		} else if v, ok := parseLongDouble(o.Bytes()); ok {
			value = v
		} else {
			c.addReplyError(errNotFloat)
			return
		}
	}
	incr, ok := parseLongDouble(c.argv[2])
	if !ok {
		c.addReplyError(errNotFloat)
		return
	}
	sum, finite := ldAdd(value, incr)
	if !finite {
		c.addReplyError("increment would produce NaN or Infinity")
		return
	}
	var buf [64]byte
	text := ldFormatHuman(buf[:0], sum)
	nobj := newStringObjectNoInt(text)
	if o != nil {
		nobj.lru = o.lru
		*o = nobj
	} else {
		srv.DBAdd(db, key, nobj)
	}
	srv.signalModifiedKey(c, db, key)
	srv.notifyKeyspaceEvent(notifyString, "incrbyfloat", key, db.id)
	srv.Dirty++
	c.addReplyBulk(text)
	// Propagated as SET … KEEPTTL, so that float formatting and
	// precision cannot make a replayed result differ.
	c.rewriteArgv(setArg, key, text, keepttlArg)
}

// APPEND key value
func appendCommand(c *Client) {
	srv, db, key, arg := c.srv, c.db, c.argv[1], c.argv[2]
	var totlen int
	o := c.lookupKeyWrite(key)
	if o == nil {
		o = srv.DBAdd(db, key, newStringObject(arg))
		totlen = o.StrLen()
	} else {
		if c.checkType(o, TypeString) {
			return
		}
		if !checkStringLength(c, int64(o.StrLen()), int64(len(arg))) {
			return
		}
		// A raw string grows in place (append's growth is geometric, so
		// appending N bytes piecewise costs O(N) in total).
		unshareStringValue(o, len(arg))
		buf := append(o.rawBuffer(), arg...)
		o.SetBytes(buf)
		totlen = len(buf)
	}
	srv.signalModifiedKey(c, db, key)
	srv.notifyKeyspaceEvent(notifyString, "append", key, db.id)
	srv.Dirty++
	c.addReplyInt(int64(totlen))
}

// STRLEN key
func strlenCommand(c *Client) {
	o := c.lookupKeyReadOrReply(c.argv[1], sharedCZero)
	if o == nil || c.checkType(o, TypeString) {
		return
	}
	c.addReplyInt(int64(o.StrLen()))
}

// LCS key1 key2 [LEN] [IDX] [MINMATCHLEN min-match-len] [WITHMATCHLEN]
func lcsCommand(c *Client) {
	obja := c.lookupKeyRead(c.argv[1])
	objb := c.lookupKeyRead(c.argv[2])
	if obja != nil && obja.typ != TypeString || objb != nil && objb.typ != TypeString {
		c.addReplyError("The specified keys must contain string values")
		return
	}
	var abuf, bbuf [24]byte
	var a, b []byte
	if obja != nil {
		a = stringObjectBytes(obja, &abuf)
	}
	if objb != nil {
		b = stringObjectBytes(objb, &bbuf)
	}
	var getlen, getidx, withmatchlen bool
	var minmatchlen int64
	for j := 3; j < len(c.argv); j++ {
		opt := c.argv[j]
		moreargs := len(c.argv) - 1 - j
		switch {
		case optIs(opt, "idx"):
			getidx = true
		case optIs(opt, "len"):
			getlen = true
		case optIs(opt, "withmatchlen"):
			withmatchlen = true
		case optIs(opt, "minmatchlen") && moreargs > 0:
			v, ok := argLongLongOrReply(c, c.argv[j+1], "")
			if !ok {
				return
			}
			minmatchlen = max(v, 0)
			j++
		default:
			c.addReplySyntaxError()
			return
		}
	}
	if getlen && getidx {
		c.addReplyError("If you want both the length and indexes, please just use IDX.")
		return
	}
	if uint64(len(a)) >= math.MaxUint32-1 || uint64(len(b)) >= math.MaxUint32-1 {
		c.addReplyError("String too long for LCS")
		return
	}
	alen, blen := len(a), len(b)
	// The table of LCS lengths of every pair of prefixes, as uint32s;
	// Redis refuses it beyond proto-max-bulk-len bytes.
	lcssize := uint64(alen+1) * uint64(blen+1)
	if lcssize*4 > uint64(c.srv.Config.ProtoMaxBulkLen) {
		c.addReplyError("Insufficient memory, transient memory for LCS exceeds proto-max-bulk-len")
		return
	}
	lcs := make([]uint32, lcssize)
	at := func(i, j int) *uint32 { return &lcs[j+i*(blen+1)] }
	for i := 1; i <= alen; i++ {
		for j := 1; j <= blen; j++ {
			if a[i-1] == b[j-1] {
				*at(i, j) = *at(i-1, j-1) + 1
			} else {
				*at(i, j) = max(*at(i-1, j), *at(i, j-1))
			}
		}
	}
	idx := *at(alen, blen)
	total := idx
	var result []byte
	computelcs := getidx || !getlen
	if computelcs {
		result = make([]byte, idx)
	}
	// Ranges found walking back from the ends; alen means "none yet".
	arangeStart, arangeEnd, brangeStart, brangeEnd := alen, 0, 0, 0
	var arraylen int
	var deferred deferredLen
	if getidx {
		c.addReplyMapLen(2)
		c.addReplyBulkString("matches")
		deferred = c.addReplyDeferredLen()
	}
	i, j := alen, blen
	for computelcs && i > 0 && j > 0 {
		emitRange := false
		if a[i-1] == b[j-1] {
			result[idx-1] = a[i-1]
			if arangeStart == alen {
				arangeStart, arangeEnd = i-1, i-1
				brangeStart, brangeEnd = j-1, j-1
			} else if arangeStart == i && brangeStart == j {
				// Contiguous: extend the range backward.
				arangeStart--
				brangeStart--
			} else {
				emitRange = true
			}
			// Emit at the first byte of either string: the loop ends.
			if arangeStart == 0 || brangeStart == 0 {
				emitRange = true
			}
			idx--
			i--
			j--
		} else {
			if *at(i-1, j) > *at(i, j-1) {
				i--
			} else {
				j--
			}
			if arangeStart != alen {
				emitRange = true
			}
		}
		matchLen := arangeEnd - arangeStart + 1
		if emitRange {
			if minmatchlen == 0 || int64(matchLen) >= minmatchlen {
				if getidx {
					if withmatchlen {
						c.addReplyArrayLen(3)
					} else {
						c.addReplyArrayLen(2)
					}
					c.addReplyArrayLen(2)
					c.addReplyInt(int64(arangeStart))
					c.addReplyInt(int64(arangeEnd))
					c.addReplyArrayLen(2)
					c.addReplyInt(int64(brangeStart))
					c.addReplyInt(int64(brangeEnd))
					if withmatchlen {
						c.addReplyInt(int64(matchLen))
					}
					arraylen++
				}
			}
			arangeStart = alen
		}
	}
	switch {
	case getidx:
		c.addReplyBulkString("len")
		c.addReplyInt(int64(total))
		c.setDeferredArrayLen(deferred, arraylen)
	case getlen:
		c.addReplyInt(int64(total))
	default:
		c.addReplyBulk(result)
	}
}
