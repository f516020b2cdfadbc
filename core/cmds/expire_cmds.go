package cmds

import (
	"math"
	"strconv"

	"github.com/redisfs/redisfs/core/proto"
)

// The EXPIRE family, TTL family and PERSIST, after Redis 7.0's expire.c.

// Flags of EXPIRE's options (EXPIRE_NX …).
const (
	expireNX = 1 << iota
	expireXX
	expireGT
	expireLT
)

// parseExtendedExpireArgumentsOrReply reads NX, XX, GT and LT from
// c.Argv[3:] and rejects the combinations that make no sense, with Redis
// 7.0's messages.
func parseExtendedExpireArgumentsOrReply(c *Client) (int, bool) {
	flags := 0
	for _, opt := range c.argv[3:] {
		switch {
		case equalFoldC(opt, "nx"):
			flags |= expireNX
		case equalFoldC(opt, "xx"):
			flags |= expireXX
		case equalFoldC(opt, "gt"):
			flags |= expireGT
		case equalFoldC(opt, "lt"):
			flags |= expireLT
		default:
			c.addReplyErrorFormat("Unsupported option %s", cstr(opt))
			return 0, false
		}
	}
	if flags&expireNX != 0 && flags&(expireXX|expireGT|expireLT) != 0 {
		c.addReplyError("NX and XX, GT or LT options at the same time are not compatible")
		return 0, false
	}
	if flags&expireGT != 0 && flags&expireLT != 0 {
		c.addReplyError("GT and LT options at the same time are not compatible")
		return 0, false
	}
	return flags, true
}

// Command names that writes are rewritten to for propagation.
var (
	delArg       = []byte("DEL")
	pexpireatArg = []byte("PEXPIREAT")
	absttlArg    = []byte("ABSTTL")
)

// addReplyErrorExpireTime is addReplyErrorExpireTime.
func addReplyErrorExpireTime(c *Client) {
	c.addReplyErrorFormat(errInvalidExpire, c.cmd.fullName)
}

// checkAlreadyExpired reports whether an expire time set now would already
// be due, in which case the key is deleted instead (a master's behaviour;
// Redis waits for the master's DEL when loading or on a replica).
func (srv *Server) checkAlreadyExpired(when int64) bool {
	return when <= srv.mstime()
}

// expireGenericCommand implements EXPIRE, PEXPIRE, EXPIREAT and PEXPIREAT:
// basetime is 0 for the absolute forms, now in ms for the relative ones;
// seconds tells the unit of the argument.
func expireGenericCommand(c *Client, basetime int64, seconds bool) {
	srv, db := c.srv, c.db
	key := c.argv[1]
	flags, ok := parseExtendedExpireArgumentsOrReply(c)
	if !ok {
		return
	}
	when, ok := proto.ParseInt(c.argv[2])
	if !ok {
		c.addReplyError(errNotInteger)
		return
	}
	// Negative times are allowed, but an overflow of the unit conversion
	// or of the addition of basetime is an error.
	if seconds {
		if when > math.MaxInt64/1000 || when < math.MinInt64/1000 {
			addReplyErrorExpireTime(c)
			return
		}
		when *= 1000
	}
	if when > math.MaxInt64-basetime {
		addReplyErrorExpireTime(c)
		return
	}
	when += basetime

	if c.lookupKeyWrite(key) == nil {
		c.addReplyInt(0)
		return
	}
	if flags != 0 {
		current := db.GetExpire(key)
		switch {
		case flags&expireNX != 0 && current != -1,
			flags&expireXX != 0 && current == -1,
			// No TTL counts as an infinite one: GT always fails on it.
			flags&expireGT != 0 && (when <= current || current == -1),
			flags&expireLT != 0 && current != -1 && when >= current:
			c.addReplyInt(0)
			return
		}
	}

	if srv.checkAlreadyExpired(when) {
		srv.dbDelete(db, key)
		srv.Dirty++
		// Replicated and written to the AOF as an explicit DEL.
		c.rewriteArgv(delArg, key)
		srv.signalModifiedKey(c, db, key)
		srv.notifyKeyspaceEvent(notifyGeneric, "del", key, db.id)
		c.addReplyInt(1)
		return
	}
	srv.setExpire(c, db, key, when)
	c.addReplyInt(1)
	// Propagated as PEXPIREAT with the absolute time (options kept), so
	// that replaying it later sets the same expire time.
	if (basetime != 0 || seconds) && srv.propagating() {
		var buf [24]byte
		args := append([][]byte{pexpireatArg, key, strconv.AppendInt(buf[:0], when, 10)}, c.argv[3:]...)
		c.rewriteArgv(args...)
	}
	srv.signalModifiedKey(c, db, key)
	srv.notifyKeyspaceEvent(notifyGeneric, "expire", key, db.id)
	srv.Dirty++
}

// EXPIRE key seconds [NX|XX|GT|LT]
func expireCommand(c *Client) { expireGenericCommand(c, c.srv.mstime(), true) }

// EXPIREAT key unix-time-seconds [NX|XX|GT|LT]
func expireatCommand(c *Client) { expireGenericCommand(c, 0, true) }

// PEXPIRE key milliseconds [NX|XX|GT|LT]
func pexpireCommand(c *Client) { expireGenericCommand(c, c.srv.mstime(), false) }

// PEXPIREAT key unix-time-milliseconds [NX|XX|GT|LT]
func pexpireatCommand(c *Client) { expireGenericCommand(c, 0, false) }

// ttlGenericCommand implements TTL, PTTL, EXPIRETIME and PEXPIRETIME: -2
// for a missing key, -1 without a TTL, else the time left (or the expire
// time with abs), in ms or rounded to seconds.
func ttlGenericCommand(c *Client, ms, abs bool) {
	if c.lookupKey(c.db, c.argv[1], lookupNoTouch) == nil {
		c.addReplyInt(-2)
		return
	}
	expire := c.db.GetExpire(c.argv[1])
	if expire == -1 {
		c.addReplyInt(-1)
		return
	}
	ttl := expire
	if !abs {
		ttl = expire - c.srv.mstime()
	}
	if ttl < 0 {
		ttl = 0
	}
	if ms {
		c.addReplyInt(ttl)
		return
	}
	// Unsigned, so that rounding the largest times does not wrap.
	c.addReplyInt(int64((uint64(ttl) + 500) / 1000))
}

// TTL key
func ttlCommand(c *Client) { ttlGenericCommand(c, false, false) }

// PTTL key
func pttlCommand(c *Client) { ttlGenericCommand(c, true, false) }

// EXPIRETIME key
func expiretimeCommand(c *Client) { ttlGenericCommand(c, false, true) }

// PEXPIRETIME key
func pexpiretimeCommand(c *Client) { ttlGenericCommand(c, true, true) }

// PERSIST key
func persistCommand(c *Client) {
	srv, db, key := c.srv, c.db, c.argv[1]
	if c.lookupKeyWrite(key) == nil || !db.removeExpire(key) {
		c.addReplyInt(0)
		return
	}
	srv.signalModifiedKey(c, db, key)
	srv.notifyKeyspaceEvent(notifyGeneric, "persist", key, db.id)
	c.addReplyInt(1)
	srv.Dirty++
}
