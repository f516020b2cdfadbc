package cmds

import (
	"bytes"
	"math/rand/v2"

	"github.com/redisfs/redisfs/core/proto"
)

// The generic keyspace commands, after Redis 7.0's db.c (DEL … COPY) and
// object.c (OBJECT), with the LRU/LFU bookkeeping of evict.c they read.

// DEL key [key ...]
func delCommand(c *Client) { delGenericCommand(c, c.srv.Config.lazyfreeLazyUserDel) }

// UNLINK key [key ...]
func unlinkCommand(c *Client) { delGenericCommand(c, true) }

// delGenericCommand deletes the keys; lazy (UNLINK) only matters to Redis's
// memory reclaiming, which the garbage collector does here either way.
func delGenericCommand(c *Client, lazy bool) {
	srv, db := c.srv, c.db
	var deleted int64
	for _, key := range c.argv[1:] {
		srv.expireIfNeeded(db, key, false)
		if srv.dbDelete(db, key) {
			srv.signalModifiedKey(c, db, key)
			srv.notifyKeyspaceEvent(notifyGeneric, "del", key, db.id)
			srv.Dirty++
			deleted++
		}
	}
	c.addReplyInt(deleted)
}

// EXISTS key [key ...]
func existsCommand(c *Client) {
	var n int64
	for _, key := range c.argv[1:] {
		if c.lookupKey(c.db, key, lookupNoTouch) != nil {
			n++
		}
	}
	c.addReplyInt(n)
}

// TYPE key
func typeCommand(c *Client) {
	c.addReplyStatus(objectTypeName(c.lookupKey(c.db, c.argv[1], lookupNoTouch)))
}

// objectTypeName is getObjectTypeName: "none" for a missing key.
func objectTypeName(o *Object) string {
	if o == nil {
		return "none"
	}
	return o.typeName()
}

// KEYS pattern
func keysCommand(c *Client) {
	srv, db := c.srv, c.db
	pattern := c.argv[1]
	allKeys := len(pattern) == 1 && pattern[0] == '*'
	n := 0
	d := c.addReplyDeferredLen()
	db.Dict.Range(func(key string, _ *Object) bool {
		k := stringBytes(key)
		if (allKeys || stringMatch(pattern, k, false)) && !srv.keyIsExpired(db, k) {
			c.addReplyBulk(k)
			n++
		}
		return true
	})
	c.setDeferredArrayLen(d, n)
}

// parseScanCursorOrReply reads a SCAN cursor as Redis does, with strtoul on
// a C string: no leading blank, an optional sign ('-' negates modulo 2^64),
// decimal digits up to the end or a NUL byte, no overflow. An empty text is
// cursor 0. On error it replies "invalid cursor".
func parseScanCursorOrReply(c *Client, arg []byte) (uint64, bool) {
	b := arg
	if len(b) > 0 && isCSpace(b[0]) {
		c.addReplyError("invalid cursor")
		return 0, false
	}
	if i := bytes.IndexByte(b, 0); i >= 0 {
		b = b[:i]
	}
	neg := false
	if len(b) > 0 && (b[0] == '+' || b[0] == '-') {
		neg = b[0] == '-'
		b = b[1:]
		if len(b) == 0 {
			// strtoul found no digits: the end pointer stays on the sign.
			c.addReplyError("invalid cursor")
			return 0, false
		}
	}
	var v uint64
	for _, ch := range b {
		if ch < '0' || ch > '9' {
			c.addReplyError("invalid cursor")
			return 0, false
		}
		d := uint64(ch - '0')
		if v > (^uint64(0)-d)/10 {
			c.addReplyError("invalid cursor")
			return 0, false
		}
		v = v*10 + d
	}
	if neg {
		v = -v
	}
	return v, true
}

// scanOptions are the options of SCAN and of the collection scans.
type scanOptions struct {
	count      int64
	pattern    []byte
	usePattern bool
	filterType bool   // SCAN TYPE given (keys only)
	typeName   []byte // its argument, compared as strcasecmp does
}

// parseScanOptionsOrReply parses COUNT, MATCH and (when withType) TYPE from
// c.Argv[i:], as the first step of Redis's scanGenericCommand; it replies
// on error.
func parseScanOptionsOrReply(c *Client, i int, withType bool) (scanOptions, bool) {
	opt := scanOptions{count: 10}
	argv := c.argv
	for i < len(argv) {
		more := len(argv) - i
		switch {
		case equalFoldC(argv[i], "count") && more >= 2:
			n, ok := proto.ParseInt(argv[i+1])
			if !ok {
				c.addReplyError(errNotInteger)
				return opt, false
			}
			if n < 1 {
				c.addReplySyntaxError()
				return opt, false
			}
			opt.count = n
			i += 2
		case equalFoldC(argv[i], "match") && more >= 2:
			opt.pattern = argv[i+1]
			// The pattern may be disabled if it's "*".
			opt.usePattern = !(len(opt.pattern) == 1 && opt.pattern[0] == '*')
			i += 2
		case equalFoldC(argv[i], "type") && withType && more >= 2:
			opt.filterType, opt.typeName = true, argv[i+1]
			i += 2
		default:
			c.addReplySyntaxError()
			return opt, false
		}
	}
	return opt, true
}

// SCAN cursor [MATCH pattern] [COUNT count] [TYPE type]
func scanCommand(c *Client) {
	cursor, ok := parseScanCursorOrReply(c, c.argv[1])
	if !ok {
		return
	}
	scanKeysGeneric(c, cursor)
}

// scanKeysGeneric is scanGenericCommand for the keyspace: it walks buckets
// from cursor until COUNT keys are gathered (or 10*COUNT buckets seen),
// then filters them by pattern, by type, and drops expired keys, deleting
// them as it goes.
func scanKeysGeneric(c *Client, cursor uint64) {
	opt, ok := parseScanOptionsOrReply(c, 2, true)
	if !ok {
		return
	}
	srv, db := c.srv, c.db
	keys := make([]string, 0, min(opt.count, 1024))
	maxIterations := opt.count * 10
	for {
		cursor = db.Dict.Scan(cursor, func(key string, _ *Object) {
			keys = append(keys, key)
		})
		if cursor == 0 {
			break
		}
		more := maxIterations != 0
		maxIterations--
		if !more || int64(len(keys)) >= opt.count {
			break
		}
	}
	kept := keys[:0]
	for _, key := range keys {
		k := stringBytes(key)
		if opt.usePattern && !stringMatch(opt.pattern, k, false) {
			continue
		}
		if opt.filterType {
			// As Redis, this lookup counts hits and misses and may
			// expire the key, which then has the type "none" (and
			// passes TYPE none).
			o := c.lookupKey(db, k, lookupNoTouch)
			if !equalFoldC(opt.typeName, objectTypeName(o)) {
				continue
			}
		}
		if srv.expireIfNeeded(db, k, false) {
			continue
		}
		kept = append(kept, key)
	}
	c.addReplyArrayLen(2)
	c.addReplyBulkInt(int64(cursor))
	c.addReplyArrayLen(len(kept))
	for _, key := range kept {
		c.addReplyBulkString(key)
	}
}

// RANDOMKEY
func randomkeyCommand(c *Client) {
	srv, db := c.srv, c.db
	allVolatile := db.Dict.Len() == db.Expires.Len()
	for tries := 100; ; {
		key, _, ok := db.Dict.RandomKey()
		if !ok {
			c.addReplyNull()
			return
		}
		k := stringBytes(key)
		// During a pause expired keys stay: with only keys that have a
		// TTL, give up after some tries and return one (Redis 7.2).
		if allVolatile && srv.clientsPaused() {
			if tries--; tries == 0 {
				c.addReplyBulkString(key)
				return
			}
		}
		// An expired key is deleted and another one drawn, as Redis's
		// dbRandomKey does on a master.
		if srv.expireIfNeeded(db, k, false) {
			continue
		}
		c.addReplyBulkString(key)
		return
	}
}

// RENAME key newkey
func renameCommand(c *Client) { renameGenericCommand(c, false) }

// RENAMENX key newkey
func renamenxCommand(c *Client) { renameGenericCommand(c, true) }

func renameGenericCommand(c *Client, nx bool) {
	srv, db := c.srv, c.db
	src, dst := c.argv[1], c.argv[2]
	// With the same name nothing happens, but a missing key is still an
	// error.
	samekey := bytes.Equal(src, dst)
	o := c.lookupKeyWrite(src)
	if o == nil {
		c.addReplyError(errNoSuchKey)
		return
	}
	if samekey {
		if nx {
			c.addReplyInt(0)
		} else {
			c.addReplyOK()
		}
		return
	}
	val := *o
	expire := db.GetExpire(src)
	if c.lookupKeyWrite(dst) != nil {
		if nx {
			c.addReplyInt(0)
			return
		}
		// Overwrite: delete the old key before creating the new one.
		srv.dbDelete(db, dst)
	}
	p := srv.DBAdd(db, dst, val)
	p.lru = val.lru // the value moves with its access data
	if expire != -1 {
		srv.setExpire(c, db, dst, expire)
	}
	srv.dbDelete(db, src)
	srv.signalModifiedKey(c, db, src)
	srv.signalModifiedKey(c, db, dst)
	srv.notifyKeyspaceEvent(notifyGeneric, "rename_from", src, db.id)
	srv.notifyKeyspaceEvent(notifyGeneric, "rename_to", dst, db.id)
	srv.Dirty++
	if nx {
		c.addReplyInt(1)
	} else {
		c.addReplyOK()
	}
}

// dbByIndex returns database id, or nil when out of range.
func (srv *Server) dbByIndex(id int) *DB {
	if id < 0 || id >= len(srv.DBs) {
		return nil
	}
	return srv.DBs[id]
}

// MOVE key db
func moveCommand(c *Client) {
	srv, src := c.srv, c.db
	key := c.argv[1]
	id, ok := getIntFromArgOrReply(c, c.argv[2])
	if !ok {
		return
	}
	dst := srv.dbByIndex(id)
	if dst == nil {
		c.addReplyError(errDBIndex)
		return
	}
	if src == dst {
		c.addReplyError(errSameObject)
		return
	}
	o := c.lookupKeyWrite(key)
	if o == nil {
		c.addReplyInt(0)
		return
	}
	expire := src.GetExpire(key)
	// Nothing moves onto an existing key.
	if c.lookupKey(dst, key, lookupWrite) != nil {
		c.addReplyInt(0)
		return
	}
	val := *o
	p := srv.DBAdd(dst, key, val)
	p.lru = val.lru
	if expire != -1 {
		srv.setExpire(c, dst, key, expire)
	}
	srv.dbDelete(src, key)
	srv.signalModifiedKey(c, src, key)
	srv.signalModifiedKey(c, dst, key)
	srv.notifyKeyspaceEvent(notifyGeneric, "move_from", key, src.id)
	srv.notifyKeyspaceEvent(notifyGeneric, "move_to", key, dst.id)
	srv.Dirty++
	c.addReplyInt(1)
}

// typeDup duplicates a value of a collection type for COPY, as Redis's
// listTypeDup, setTypeDup, zsetDup, hashTypeDup and streamDup, each in its
// family's file; ok is false for a type without one, which COPY refuses
// with an error saying so.
func typeDup(o *Object) (dup Object, ok bool) {
	switch o.typ {
	case TypeList:
		return listTypeDup(o), true
	case TypeSet:
		return setTypeDup(o), true
	case TypeZSet:
		return zsetDup(o), true
	case TypeHash:
		return hashTypeDup(o), true
	case TypeStream:
		return streamDup(o), true
	}
	return Object{}, false
}

// COPY source destination [DB destination-db] [REPLACE]
func copyCommand(c *Client) {
	srv, src := c.srv, c.db
	dst := src
	replace := false
	argv := c.argv
	for j := 3; j < len(argv); j++ {
		more := len(argv) - j - 1
		switch {
		case equalFoldC(argv[j], "replace"):
			replace = true
		case equalFoldC(argv[j], "db") && more >= 1:
			id, ok := getIntFromArgOrReply(c, argv[j+1])
			if !ok {
				return
			}
			if dst = srv.dbByIndex(id); dst == nil {
				c.addReplyError(errDBIndex)
				return
			}
			j++
		default:
			c.addReplySyntaxError()
			return
		}
	}
	key, newkey := argv[1], argv[2]
	if src == dst && bytes.Equal(key, newkey) {
		c.addReplyError(errSameObject)
		return
	}
	o := c.lookupKeyRead(key)
	if o == nil {
		c.addReplyInt(0)
		return
	}
	expire := src.GetExpire(key)
	del := false
	if c.lookupKey(dst, newkey, lookupWrite) != nil {
		if !replace {
			c.addReplyInt(0)
			return
		}
		del = true
	}
	var dup Object
	if o.typ == TypeString {
		dup = dupStringObject(o)
	} else if d, ok := typeDup(o); ok {
		dup = d
	} else {
		c.addReplyErrorFormat("COPY of %s values is not supported yet", o.typeName())
		return
	}
	if del {
		srv.dbDelete(dst, newkey)
	}
	srv.DBAdd(dst, newkey, dup)
	if expire != -1 {
		srv.setExpire(c, dst, newkey, expire)
	}
	srv.signalModifiedKey(c, dst, newkey)
	srv.notifyKeyspaceEvent(notifyGeneric, "copy_to", newkey, dst.id)
	srv.Dirty++
	c.addReplyInt(1)
}

// TOUCH key [key ...]
func touchCommand(c *Client) {
	var n int64
	for _, key := range c.argv[1:] {
		if c.lookupKeyRead(key) != nil {
			n++
		}
	}
	c.addReplyInt(n)
}

// LRU and LFU data of objects (evict.c). An object's lru field holds,
// under an LFU maxmemory-policy, the time of the last decrement in minutes
// (16 bits) and a logarithmic access counter (8 bits); otherwise the LRU
// clock of the last access.
const (
	lruClockMax        = 1<<24 - 1
	lruClockResolution = 1000 // ms per LRU clock tick
	lfuInitVal         = 5
	// Integers below sharedIntegers are shared objects in Redis, which
	// OBJECT REFCOUNT shows as sharedRefcount (OBJ_SHARED_REFCOUNT).
	sharedIntegers = 10000
	sharedRefcount = 2147483647
)

// lfuPolicy reports whether maxmemory-policy is an LFU one
// (MAXMEMORY_FLAG_LFU).
func (srv *Server) lfuPolicy() bool {
	p := srv.Config.MaxMemoryPolicy
	return len(p) > 4 && p[len(p)-4:] == "-lfu"
}

// lruPolicy reports whether maxmemory-policy is an LRU one.
func (srv *Server) lruPolicy() bool {
	p := srv.Config.MaxMemoryPolicy
	return len(p) > 4 && p[len(p)-4:] == "-lru"
}

// lfuTimeInMinutes is LFUGetTimeInMinutes: unix minutes, 16 bits.
func (srv *Server) lfuTimeInMinutes() uint32 {
	return uint32(srv.cachedNow.Unix()/60) & 65535
}

// lfuTimeElapsed is LFUTimeElapsed: minutes since ldt, wrapping.
func (srv *Server) lfuTimeElapsed(ldt uint32) uint32 {
	now := srv.lfuTimeInMinutes()
	if now >= ldt {
		return now - ldt
	}
	return 65535 - ldt + now
}

// lfuLogIncr is LFULogIncr: the counter grows with probability
// 1/((counter-5)*lfu-log-factor+1).
func (srv *Server) lfuLogIncr(counter uint32) uint32 {
	if counter == 255 {
		return 255
	}
	r := rand.Float64()
	baseval := float64(counter) - lfuInitVal
	if baseval < 0 {
		baseval = 0
	}
	if r < 1.0/(baseval*float64(srv.Config.lfuLogFactor)+1) {
		counter++
	}
	return counter
}

// lfuDecrAndReturn is LFUDecrAndReturn: the counter decayed by one per
// lfu-decay-time minutes since its last decrement.
func (srv *Server) lfuDecrAndReturn(o *Object) uint32 {
	ldt := o.lru >> 8
	counter := o.lru & 255
	var periods uint32
	if decay := srv.Config.lfuDecayTime; decay > 0 {
		periods = srv.lfuTimeElapsed(ldt) / uint32(decay)
	}
	if periods != 0 {
		if periods > counter {
			counter = 0
		} else {
			counter -= periods
		}
	}
	return counter
}

// touchObject records an access to o, as lookupKey does: updateLFU under
// an LFU policy, the LRU clock otherwise.
func (srv *Server) touchObject(o *Object) {
	if srv.lfuPolicy() {
		counter := srv.lfuLogIncr(srv.lfuDecrAndReturn(o))
		o.lru = srv.lfuTimeInMinutes()<<8 | counter
		return
	}
	o.lru = srv.lruClock
}

// newObjectLRU is the lru field createObject gives a new object.
func (srv *Server) newObjectLRU() uint32 {
	if srv.lfuPolicy() {
		return srv.lfuTimeInMinutes()<<8 | lfuInitVal
	}
	return srv.lruClock
}

// estimateObjectIdleTime returns the milliseconds since o's last access.
func (srv *Server) estimateObjectIdleTime(o *Object) int64 {
	clock := srv.lruClock
	if clock >= o.lru {
		return int64(clock-o.lru) * lruClockResolution
	}
	return int64(clock+(lruClockMax-o.lru)) * lruClockResolution
}

// objectSetLRUOrLFU sets o's access data from RESTORE's FREQ or IDLETIME
// (seconds; lruClock is the clock when it was parsed). It reports whether
// anything was set.
func (srv *Server) objectSetLRUOrLFU(o *Object, lfuFreq, lruIdle int64, lruClock uint32) bool {
	if srv.lfuPolicy() {
		if lfuFreq >= 0 {
			o.lru = srv.lfuTimeInMinutes()<<8 | uint32(lfuFreq)
			return true
		}
	} else if lruIdle >= 0 {
		// IDLETIME is in seconds, the clock ticks every second.
		lruIdle = lruIdle * 1000 / lruClockResolution
		abs := int64(lruClock) - lruIdle
		// The clock wraps: an idle time reaching before its start
		// counts from its end, as estimateObjectIdleTime unwraps it.
		if abs < 0 {
			abs += lruClockMax
		}
		// Stored in Redis's 24-bit field: a huge idle time wraps.
		o.lru = uint32(abs) & lruClockMax
		return true
	}
	return false
}

// objectCommandLookupOrReply looks key up for OBJECT: no LRU update, no
// keymiss event; a missing key gets the null reply.
func objectCommandLookupOrReply(c *Client, key []byte) *Object {
	o := c.lookupKey(c.db, key, lookupNoTouch|lookupNoNotify)
	if o == nil {
		c.addReplyNull()
	}
	return o
}

// OBJECT ENCODING key
func objectEncodingCommand(c *Client) {
	if o := objectCommandLookupOrReply(c, c.argv[2]); o != nil {
		c.addReplyBulkString(o.EncodingName())
	}
}

// OBJECT REFCOUNT key
//
// Values are not reference counted here; the reply is what Redis would
// show: small integers are shared objects (unless an LRU or LFU policy
// with maxmemory forbids sharing), anything else has one reference.
func objectRefcountCommand(c *Client) {
	o := objectCommandLookupOrReply(c, c.argv[2])
	if o == nil {
		return
	}
	c.addReplyInt(c.srv.objectRefcount(o))
}

// OBJECT IDLETIME key
func objectIdletimeCommand(c *Client) {
	o := objectCommandLookupOrReply(c, c.argv[2])
	if o == nil {
		return
	}
	if c.srv.lfuPolicy() {
		c.addReplyError("An LFU maxmemory policy is selected, idle time not tracked. Please note that when switching between policies at runtime LRU and LFU data will take some time to adjust.")
		return
	}
	c.addReplyInt(c.srv.estimateObjectIdleTime(o) / 1000)
}

// OBJECT FREQ key
func objectFreqCommand(c *Client) {
	o := objectCommandLookupOrReply(c, c.argv[2])
	if o == nil {
		return
	}
	if !c.srv.lfuPolicy() {
		c.addReplyError("An LFU maxmemory policy is not selected, access frequency not tracked. Please note that when switching between policies at runtime LRU and LFU data will take some time to adjust.")
		return
	}
	// Decay first: the stored counter is only updated on access.
	c.addReplyInt(int64(c.srv.lfuDecrAndReturn(o)))
}

var objectHelp = []string{
	"ENCODING <key>",
	"    Return the kind of internal representation used in order to store the value",
	"    associated with a <key>.",
	"FREQ <key>",
	"    Return the access frequency index of the <key>. The returned integer is",
	"    proportional to the logarithm of the recent access frequency of the key.",
	"IDLETIME <key>",
	"    Return the idle time of the <key>, that is the approximated number of",
	"    seconds elapsed since the last access to the key.",
	"REFCOUNT <key>",
	"    Return the number of references of the value associated with the specified",
	"    <key>.",
}

// OBJECT HELP
func objectHelpCommand(c *Client) { c.addReplyHelp(objectHelp) }
