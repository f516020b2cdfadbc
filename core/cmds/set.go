package cmds

import (
	"math"
	"math/rand/v2"
	"slices"
	"strconv"
	"unsafe"

	"github.com/redisfs/redisfs/core/proto"
	"github.com/redisfs/redisfs/core/types"
)

// The set family, after Redis 7.0's t_set.c. A set is an intset while every
// member is an integer (string2ll-canonical) and there are at most
// set-max-intset-entries of them, and a hashtable (types.Dict with no
// values) after that; Redis 7.0 has no listpack encoding for sets, and a set
// never converts back.

// setIntset returns the intset of an intset-encoded set.
func setIntset(o *Object) *types.Intset { return (*types.Intset)(o.ptr) }

// setDict returns the dict of a hashtable-encoded set.
func setDict(o *Object) *types.Dict[struct{}] { return (*types.Dict[struct{}])(o.ptr) }

// newIntsetObject returns an empty intset-encoded set (createIntsetObject).
func newIntsetObject() Object {
	return newObject(TypeSet, encIntset, unsafe.Pointer(types.NewIntset()))
}

// newSetObject returns an empty hashtable-encoded set (createSetObject).
func newSetObject() Object {
	return newObject(TypeSet, encHashtable, unsafe.Pointer(types.NewDict[struct{}]()))
}

// setTypeCreate returns an empty set that can hold value: an intset when
// value is an integer, else a hashtable.
func setTypeCreate(value []byte) Object {
	if _, ok := proto.ParseInt(value); ok {
		return newIntsetObject()
	}
	return newSetObject()
}

// maxIntsetEntries is set-max-intset-entries, capped at 2^30 as Redis caps
// it for the intset's sake.
func (srv *Server) maxIntsetEntries() int {
	return int(min(max(srv.Config.setMaxIntsetEntries, 0), 1<<30))
}

// setElem is one member of a set as iteration yields it: an intset value
// (isInt) or a hashtable member.
type setElem struct {
	s     string
	v     int64
	isInt bool
}

// bytes returns the member's text, formatting an integer into buf.
func (e *setElem) bytes(buf *[24]byte) []byte {
	if e.isInt {
		return strconv.AppendInt(buf[:0], e.v, 10)
	}
	return stringBytes(e.s)
}

// addReplySetElem replies with a member as a bulk string.
func (c *Client) addReplySetElem(e setElem) {
	if e.isInt {
		c.addReplyBulkInt(e.v)
	} else {
		c.addReplyBulkString(e.s)
	}
}

// setTypeAdd adds value to the set o and reports whether it was new,
// converting o to a hashtable when the intset can no longer hold it.
func setTypeAdd(srv *Server, o *Object, value []byte) bool {
	if o.enc == encIntset {
		if v, ok := proto.ParseInt(value); ok {
			return setTypeAddInt(srv, o, v)
		}
		setTypeConvert(o)
		setDict(o).Add(string(value), struct{}{})
		return true
	}
	d := setDict(o)
	if d.Find(bstr(value)) != nil {
		return false
	}
	d.Add(string(value), struct{}{})
	return true
}

// setTypeAddInt adds an integer member.
func setTypeAddInt(srv *Server, o *Object, v int64) bool {
	if o.enc == encIntset {
		is := setIntset(o)
		if !is.Add(v) {
			return false
		}
		if is.Len() > srv.maxIntsetEntries() {
			setTypeConvert(o)
		}
		return true
	}
	var buf [24]byte
	return setTypeAdd(srv, o, strconv.AppendInt(buf[:0], v, 10))
}

// setTypeAddElem adds a member produced by iterating another set.
func setTypeAddElem(srv *Server, o *Object, e setElem) bool {
	if e.isInt {
		return setTypeAddInt(srv, o, e.v)
	}
	if o.enc == encHashtable {
		d := setDict(o)
		if d.Find(e.s) != nil {
			return false
		}
		// A hashtable member of another set is an immutable string of
		// its own: it can be shared.
		d.Add(e.s, struct{}{})
		return true
	}
	return setTypeAdd(srv, o, stringBytes(e.s))
}

// setTypeRemove removes value from the set and reports whether it was there.
func setTypeRemove(o *Object, value []byte) bool {
	if o.enc == encIntset {
		if v, ok := proto.ParseInt(value); ok {
			return setIntset(o).Remove(v)
		}
		return false
	}
	d := setDict(o)
	if _, ok := d.Delete(bstr(value)); ok {
		d.ShrinkIfNeeded()
		return true
	}
	return false
}

// setTypeRemoveElem removes a member produced by iterating a set.
func setTypeRemoveElem(o *Object, e setElem) bool {
	if e.isInt && o.enc == encIntset {
		return setIntset(o).Remove(e.v)
	}
	var buf [24]byte
	return setTypeRemove(o, e.bytes(&buf))
}

// setTypeIsMember reports whether value is in the set.
func setTypeIsMember(o *Object, value []byte) bool {
	if o.enc == encIntset {
		if v, ok := proto.ParseInt(value); ok {
			return setIntset(o).Find(v)
		}
		return false
	}
	return setDict(o).Find(bstr(value)) != nil
}

// setTypeIsMemberElem is setTypeIsMember for an iterated member.
func setTypeIsMemberElem(o *Object, e setElem) bool {
	if e.isInt && o.enc == encIntset {
		return setIntset(o).Find(e.v)
	}
	var buf [24]byte
	return setTypeIsMember(o, e.bytes(&buf))
}

// setTypeSize returns the number of members.
func setTypeSize(o *Object) int {
	if o.enc == encIntset {
		return setIntset(o).Len()
	}
	return setDict(o).Len()
}

// setTypeConvert turns an intset-encoded set into a hashtable.
func setTypeConvert(o *Object) {
	if o.enc != encIntset {
		return
	}
	is := setIntset(o)
	d := types.NewDict[struct{}]()
	for i := 0; i < is.Len(); i++ {
		d.Add(strconv.FormatInt(is.Get(i), 10), struct{}{})
	}
	o.SetPtr(TypeSet, encHashtable, unsafe.Pointer(d))
}

// setTypeDup returns a copy of the set with the same encoding (COPY).
func setTypeDup(o *Object) Object {
	if o.enc == encIntset {
		var n Object
		n.SetPtr(TypeSet, encIntset, unsafe.Pointer(setIntset(o).Clone()))
		return n
	}
	n := newSetObject()
	d := setDict(&n)
	setDict(o).Range(func(k string, _ *struct{}) bool {
		d.Add(k, struct{}{})
		return true
	})
	return n
}

// setTypeRange calls fn with every member, in the encoding's order (an
// intset's is ascending), until fn returns false. fn must not change the
// set.
func setTypeRange(o *Object, fn func(e setElem) bool) {
	if o.enc == encIntset {
		is := setIntset(o)
		for i := 0; i < is.Len(); i++ {
			if !fn(setElem{v: is.Get(i), isInt: true}) {
				return
			}
		}
		return
	}
	setDict(o).Range(func(k string, _ *struct{}) bool {
		return fn(setElem{s: k})
	})
}

// setTypeRandomElement returns a random member of a non-empty set.
func setTypeRandomElement(o *Object) setElem {
	if o.enc == encIntset {
		return setElem{v: setIntset(o).Random(), isInt: true}
	}
	k, _ := dictFairRandomKey(setDict(o))
	return setElem{s: k}
}

// getFairNumEntries is GETFAIR_NUM_ENTRIES.
const getFairNumEntries = 15

// dictFairRandomKey returns a random entry of a non-empty dict, as
// Redis's dictGetFairRandomKey: it gathers up to 15 entries with
// dictSomeKeys and picks one of them, so that an entry in a long chain is
// about as likely as one alone in its bucket (a random bucket, then a
// random entry of it, would not be).
func dictFairRandomKey[v any](d *types.Dict[v]) (string, *v) {
	var keys [getFairNumEntries]string
	var vals [getFairNumEntries]*v
	n := dictSomeKeys(d, keys[:], vals[:])
	if n == 0 {
		k, v, _ := d.RandomKey()
		return k, v
	}
	i := rand.IntN(n)
	return keys[i], vals[i]
}

// dictSomeKeys fills keys and vals with up to len(keys) entries found by
// walking the buckets from a random one, as Redis's dictGetSomeKeys: at
// most 10 buckets per entry wanted, jumping elsewhere after a run of empty
// buckets. It returns how many entries it stored.
func dictSomeKeys[v any](d *types.Dict[v], keys []string, vals []*v) int {
	count := min(len(keys), d.Len())
	if count == 0 {
		return 0
	}
	tables := 1
	if d.IsRehashing() {
		tables = 2
	}
	size := max(d.TableLen(0), d.TableLen(1))
	mask := uint64(size - 1)
	i := rand.Uint64() & mask
	stored, emptylen := 0, 0
	add := func(k string, v *v) {
		if stored < count {
			keys[stored], vals[stored] = k, v
			stored++
		}
	}
	for maxsteps := count * 10; stored < count && maxsteps > 0; maxsteps-- {
		for t := 0; t < tables && stored < count; t++ {
			if int(i) >= d.TableLen(t) {
				continue
			}
			before := stored
			d.RangeBucket(t, int(i), add)
			if stored == before {
				emptylen++
				if emptylen >= 5 && emptylen > count {
					i = rand.Uint64() & mask
					emptylen = 0
				}
			} else {
				emptylen = 0
			}
		}
		i = (i + 1) & mask
	}
	return stored
}

// addReplyEmptySet replies an empty set (shared.emptyset).
func (c *Client) addReplyEmptySet() { c.addReplySetLen(0) }

// SADD key member [member ...]
func saddCommand(c *Client) {
	srv, key := c.srv, c.argv[1]
	set := c.lookupKeyWrite(key)
	if set != nil && c.checkType(set, TypeSet) {
		return
	}
	if set == nil {
		set = srv.DBAdd(c.db, key, setTypeCreate(c.argv[2]))
	}
	added := 0
	for _, m := range c.argv[2:] {
		if setTypeAdd(srv, set, m) {
			added++
		}
	}
	if added > 0 {
		srv.signalModifiedKey(c, c.db, key)
		srv.notifyKeyspaceEvent(notifySet, "sadd", key, c.db.id)
	}
	srv.Dirty += int64(added)
	c.addReplyInt(int64(added))
}

// removeMembers removes the members argv[2:] from the collection o at
// key with remove, and deletes the key when it empties (SREM, ZREM). It
// returns how many members it removed and whether it deleted the key.
func (c *Client) removeMembers(key []byte, o *Object, remove func(*Object, []byte) bool, length func(*Object) int) (deleted int, keyRemoved bool) {
	for _, m := range c.argv[2:] {
		if remove(o, m) {
			deleted++
			if length(o) == 0 {
				c.srv.dbDelete(c.db, key)
				return deleted, true
			}
		}
	}
	return deleted, false
}

// storeOrDelete ends a *STORE command with its result dst of n elements:
// it sets dstkey to it (sending event of class) and replies n, or, when
// the result is empty, deletes dstkey and replies 0.
func (c *Client) storeOrDelete(dstkey []byte, dst Object, n int, class int, event string) {
	srv := c.srv
	if n > 0 {
		srv.setKey(c, c.db, dstkey, dst, 0)
		c.addReplyInt(int64(n))
		srv.notifyKeyspaceEvent(class, event, dstkey, c.db.id)
		srv.Dirty++
		return
	}
	c.addReplyInt(0)
	if srv.dbDelete(c.db, dstkey) {
		srv.signalModifiedKey(c, c.db, dstkey)
		srv.notifyKeyspaceEvent(notifyGeneric, "del", dstkey, c.db.id)
		srv.Dirty++
	}
}

// SREM key member [member ...]
func sremCommand(c *Client) {
	srv, key := c.srv, c.argv[1]
	set := c.lookupKeyWriteOrReply(key, sharedCZero)
	if set == nil || c.checkType(set, TypeSet) {
		return
	}
	deleted, keyRemoved := c.removeMembers(key, set, setTypeRemove, setTypeSize)
	if deleted > 0 {
		srv.signalModifiedKey(c, c.db, key)
		srv.notifyKeyspaceEvent(notifySet, "srem", key, c.db.id)
		if keyRemoved {
			srv.notifyKeyspaceEvent(notifyGeneric, "del", key, c.db.id)
		}
		srv.Dirty += int64(deleted)
	}
	c.addReplyInt(int64(deleted))
}

// SMOVE source destination member
func smoveCommand(c *Client) {
	srv := c.srv
	srcKey, dstKey, ele := c.argv[1], c.argv[2], c.argv[3]
	src := c.lookupKeyWrite(srcKey)
	dst := c.lookupKeyWrite(dstKey)
	if src == nil {
		c.addReplyInt(0)
		return
	}
	if c.checkType(src, TypeSet) || dst != nil && c.checkType(dst, TypeSet) {
		return
	}
	if src == dst {
		if setTypeIsMember(src, ele) {
			c.addReplyInt(1)
		} else {
			c.addReplyInt(0)
		}
		return
	}
	if !setTypeRemove(src, ele) {
		c.addReplyInt(0)
		return
	}
	srv.notifyKeyspaceEvent(notifySet, "srem", srcKey, c.db.id)
	if setTypeSize(src) == 0 {
		srv.dbDelete(c.db, srcKey)
		srv.notifyKeyspaceEvent(notifyGeneric, "del", srcKey, c.db.id)
	}
	if dst == nil {
		dst = srv.DBAdd(c.db, dstKey, setTypeCreate(ele))
	}
	srv.signalModifiedKey(c, c.db, srcKey)
	srv.Dirty++
	if setTypeAdd(srv, dst, ele) {
		srv.Dirty++
		srv.signalModifiedKey(c, c.db, dstKey)
		srv.notifyKeyspaceEvent(notifySet, "sadd", dstKey, c.db.id)
	}
	c.addReplyInt(1)
}

// SISMEMBER key member
func sismemberCommand(c *Client) {
	set := c.lookupKeyReadOrReply(c.argv[1], sharedCZero)
	if set == nil || c.checkType(set, TypeSet) {
		return
	}
	if setTypeIsMember(set, c.argv[2]) {
		c.addReplyInt(1)
	} else {
		c.addReplyInt(0)
	}
}

// SMISMEMBER key member [member ...]
func smismemberCommand(c *Client) {
	set := c.lookupKeyRead(c.argv[1])
	if set != nil && c.checkType(set, TypeSet) {
		return
	}
	c.addReplyArrayLen(len(c.argv) - 2)
	for _, m := range c.argv[2:] {
		if set != nil && setTypeIsMember(set, m) {
			c.addReplyInt(1)
		} else {
			c.addReplyInt(0)
		}
	}
}

// SCARD key
func scardCommand(c *Client) {
	set := c.lookupKeyReadOrReply(c.argv[1], sharedCZero)
	if set == nil || c.checkType(set, TypeSet) {
		return
	}
	c.addReplyInt(int64(setTypeSize(set)))
}

// spopMoveStrategyMul is SPOP_MOVE_STRATEGY_MUL: when fewer than count/5
// members would remain, SPOP builds the remainder as a new set instead.
const spopMoveStrategyMul = 5

// spopWithCountCommand is SPOP key count.
func spopWithCountCommand(c *Client) {
	srv, key := c.srv, c.argv[1]
	count, ok := getPositiveLongFromArgOrReply(c, c.argv[2], "")
	if !ok {
		return
	}
	set := c.lookupKeyWrite(key)
	if set == nil {
		c.addReplyEmptySet()
		return
	}
	if c.checkType(set, TypeSet) {
		return
	}
	if count == 0 {
		c.addReplyEmptySet()
		return
	}
	size := int64(setTypeSize(set))
	srv.notifyKeyspaceEvent(notifySet, "spop", key, c.db.id)
	srv.Dirty += min(count, size)

	// The whole set: reply it as SUNION would, and delete the key.
	if count >= size {
		sunionDiffGenericCommand(c, c.argv[1:2], nil, setOpUnion)
		srv.dbDelete(c.db, key)
		srv.notifyKeyspaceEvent(notifyGeneric, "del", key, c.db.id)
		// Replicated as a DEL.
		c.rewriteArgv([]byte("DEL"), key)
		srv.signalModifiedKey(c, c.db, key)
		return
	}

	// Every member popped is replicated as an SREM of its own, the
	// command itself not at all.
	var buf [24]byte
	srem := []byte("SREM")
	propagate := func(e setElem) { srv.alsoPropagate(c.db.id, srem, key, e.bytes(&buf)) }
	c.addReplySetLen(int(count))
	remaining := size - count
	if remaining*spopMoveStrategyMul > count {
		// Few members to pop: pop them one at a time.
		for ; count > 0; count-- {
			e := setTypeRandomElement(set)
			c.addReplySetElem(e)
			propagate(e)
			setTypeRemoveElem(set, e)
		}
	} else {
		// Most of the set goes: move the few that stay into a new set
		// (created for its first member, so it may become an intset)
		// and reply with what is left of the old one.
		var newset Object
		created := false
		for ; remaining > 0; remaining-- {
			e := setTypeRandomElement(set)
			if e.isInt {
				e.s = strconv.FormatInt(e.v, 10)
			}
			b := stringBytes(e.s)
			if !created {
				newset = setTypeCreate(b)
				created = true
			}
			setTypeAdd(srv, &newset, b)
			setTypeRemoveElem(set, e)
		}
		setTypeRange(set, func(e setElem) bool {
			c.addReplySetElem(e)
			propagate(e)
			return true
		})
		newset.lru = srv.newObjectLRU()
		*set = newset
	}
	c.preventPropagation()
	srv.signalModifiedKey(c, c.db, key)
}

// SPOP key [count]
func spopCommand(c *Client) {
	if len(c.argv) == 3 {
		spopWithCountCommand(c)
		return
	} else if len(c.argv) > 3 {
		c.addReplySyntaxError()
		return
	}
	srv, key := c.srv, c.argv[1]
	set := c.lookupKeyWrite(key)
	if set == nil {
		c.addReplyNull()
		return
	}
	if c.checkType(set, TypeSet) {
		return
	}
	e := setTypeRandomElement(set)
	setTypeRemoveElem(set, e)
	srv.notifyKeyspaceEvent(notifySet, "spop", key, c.db.id)
	// Replicated as an SREM of the member popped.
	var buf [24]byte
	c.rewriteArgv([]byte("SREM"), key, e.bytes(&buf))
	c.addReplySetElem(e)
	if setTypeSize(set) == 0 {
		srv.dbDelete(c.db, key)
		srv.notifyKeyspaceEvent(notifyGeneric, "del", key, c.db.id)
	}
	srv.signalModifiedKey(c, c.db, key)
	srv.Dirty++
}

// srandmemberSubStrategyMul is SRANDMEMBER_SUB_STRATEGY_MUL.
const srandmemberSubStrategyMul = 3

// srandmemberWithCountCommand is SRANDMEMBER key count.
func srandmemberWithCountCommand(c *Client) {
	l, ok := getRangeLongFromArgOrReply(c, c.argv[2], -math.MaxInt64, math.MaxInt64, "")
	if !ok {
		return
	}
	uniq := true
	count := l
	if l < 0 {
		count = -l
		uniq = false
	}
	set := c.lookupKeyReadOrReply(c.argv[1], sharedEmptyArray)
	if set == nil || c.checkType(set, TypeSet) {
		return
	}
	size := int64(setTypeSize(set))
	if count == 0 {
		c.addReplyProto(sharedEmptyArray)
		return
	}
	// Repeats allowed (or a single member): sample count times.
	if !uniq || count == 1 {
		c.addReplyArrayLen(int(count))
		for ; count > 0; count-- {
			c.addReplySetElem(setTypeRandomElement(set))
			if c.Flags&ClientCloseASAP != 0 {
				break
			}
		}
		return
	}
	// The whole set, in its own order.
	if count >= size {
		c.addReplyArrayLen(int(size))
		setTypeRange(set, func(e setElem) bool {
			c.addReplySetElem(e)
			return true
		})
		return
	}
	var picked []setElem
	if count*srandmemberSubStrategyMul > size {
		// Close to the whole set: copy it and remove random members.
		all := make([]setElem, 0, size)
		setTypeRange(set, func(e setElem) bool {
			all = append(all, e)
			return true
		})
		for int64(len(all)) > count {
			i := rand.IntN(len(all))
			all[i] = all[len(all)-1]
			all = all[:len(all)-1]
		}
		picked = all
	} else {
		// Much smaller than the set: sample until count distinct members.
		seen := make(map[setElem]struct{}, count)
		for int64(len(picked)) < count {
			e := setTypeRandomElement(set)
			if _, dup := seen[e]; dup {
				continue
			}
			seen[e] = struct{}{}
			picked = append(picked, e)
		}
	}
	c.addReplyArrayLen(len(picked))
	for _, e := range picked {
		c.addReplySetElem(e)
	}
}

// SRANDMEMBER key [count]
func srandmemberCommand(c *Client) {
	if len(c.argv) == 3 {
		srandmemberWithCountCommand(c)
		return
	} else if len(c.argv) > 3 {
		c.addReplySyntaxError()
		return
	}
	set := c.lookupKeyReadOrNull(c.argv[1])
	if set == nil || c.checkType(set, TypeSet) {
		return
	}
	c.addReplySetElem(setTypeRandomElement(set))
}

// sinterGenericCommand implements SINTER, SMEMBERS, SINTERSTORE and
// SINTERCARD: with dstkey it stores the result, with cardinalityOnly it
// replies with the size of the intersection, stopping at limit (0 = no
// limit).
func sinterGenericCommand(c *Client, keys [][]byte, dstkey []byte, cardinalityOnly bool, limit int64) {
	srv := c.srv
	sets := make([]*Object, len(keys))
	empty := false
	for i, k := range keys {
		o := c.lookupKeyRead(k)
		if o == nil {
			empty = true
			continue
		}
		if c.checkType(o, TypeSet) {
			return
		}
		sets[i] = o
	}
	// An empty input makes an empty intersection.
	if empty {
		switch {
		case dstkey != nil:
			if srv.dbDelete(c.db, dstkey) {
				srv.signalModifiedKey(c, c.db, dstkey)
				srv.notifyKeyspaceEvent(notifyGeneric, "del", dstkey, c.db.id)
				srv.Dirty++
			}
			c.addReplyInt(0)
		case cardinalityOnly:
			c.addReplyInt(0)
		default:
			c.addReplyEmptySet()
		}
		return
	}
	// Smallest first: fewer members to test against the others (a stable
	// sort, as glibc's qsort is).
	slices.SortStableFunc(sets, func(a, b *Object) int { return setTypeSize(a) - setTypeSize(b) })

	var dst Object
	var replyLen deferredLen
	if dstkey != nil {
		dst = newIntsetObject()
	} else if !cardinalityOnly {
		replyLen = c.addReplyDeferredLen()
	}
	cardinality := int64(0)
	setTypeRange(sets[0], func(e setElem) bool {
		for _, other := range sets[1:] {
			if other == sets[0] {
				continue
			}
			if !setTypeIsMemberElem(other, e) {
				return true
			}
		}
		switch {
		case cardinalityOnly:
			cardinality++
			if limit != 0 && cardinality >= limit {
				return false
			}
		case dstkey == nil:
			c.addReplySetElem(e)
			cardinality++
		default:
			setTypeAddElem(srv, &dst, e)
		}
		return true
	})
	switch {
	case cardinalityOnly:
		c.addReplyInt(cardinality)
	case dstkey != nil:
		c.storeOrDelete(dstkey, dst, setTypeSize(&dst), notifySet, "sinterstore")
	default:
		c.setDeferredSetLen(replyLen, int(cardinality))
	}
}

// SINTER key [key ...]
func sinterCommand(c *Client) { sinterGenericCommand(c, c.argv[1:], nil, false, 0) }

// SMEMBERS key
func smembersCommand(c *Client) { sinterGenericCommand(c, c.argv[1:], nil, false, 0) }

// SINTERCARD numkeys key [key ...] [LIMIT limit]
func sintercardCommand(c *Client) {
	numkeys, ok := getRangeLongFromArgOrReply(c, c.argv[1], 1, math.MaxInt64, "numkeys should be greater than 0")
	if !ok {
		return
	}
	if numkeys > int64(len(c.argv)-2) {
		c.addReplyError("Number of keys can't be greater than number of args")
		return
	}
	var limit int64
	for j := 2 + int(numkeys); j < len(c.argv); j++ {
		moreargs := len(c.argv) - 1 - j
		if optIs(c.argv[j], "limit") && moreargs > 0 {
			j++
			if limit, ok = getPositiveLongFromArgOrReply(c, c.argv[j], "LIMIT can't be negative"); !ok {
				return
			}
		} else {
			c.addReplySyntaxError()
			return
		}
	}
	sinterGenericCommand(c, c.argv[2:2+numkeys], nil, true, limit)
}

// SINTERSTORE destination key [key ...]
func sinterstoreCommand(c *Client) { sinterGenericCommand(c, c.argv[2:], c.argv[1], false, 0) }

// Set operations of sunionDiffGenericCommand and the sorted set family.
const (
	setOpUnion = iota
	setOpDiff
	setOpInter
)

// sunionDiffGenericCommand implements SUNION, SDIFF and their STORE forms.
func sunionDiffGenericCommand(c *Client, keys [][]byte, dstkey []byte, op int) {
	srv := c.srv
	sets := make([]*Object, len(keys))
	sameset := false
	for i, k := range keys {
		o := c.lookupKeyRead(k)
		if o == nil {
			continue
		}
		if c.checkType(o, TypeSet) {
			return
		}
		sets[i] = o
		if i > 0 && sets[0] == o {
			sameset = true
		}
	}
	size := func(o *Object) int {
		if o == nil {
			return 0
		}
		return setTypeSize(o)
	}
	// DIFF: algorithm 1 tests each member of the first set against the
	// others (O(N*M)); algorithm 2 copies the first set and removes the
	// others' members (O(total)). Pick the cheaper.
	diffAlgo := 1
	if op == setOpDiff && sets[0] != nil && !sameset {
		var one, two int64
		for _, o := range sets {
			if o == nil {
				continue
			}
			one += int64(setTypeSize(sets[0]))
			two += int64(setTypeSize(o))
		}
		one /= 2
		if one > two {
			diffAlgo = 2
		}
		if diffAlgo == 1 && len(sets) > 1 {
			slices.SortStableFunc(sets[1:], func(a, b *Object) int { return size(b) - size(a) })
		}
	}

	dst := newIntsetObject()
	cardinality := 0
	switch {
	case op == setOpUnion:
		for _, o := range sets {
			if o == nil {
				continue
			}
			setTypeRange(o, func(e setElem) bool {
				if setTypeAddElem(srv, &dst, e) {
					cardinality++
				}
				return true
			})
		}
	case op == setOpDiff && sameset:
		// A key subtracted from itself: empty.
	case op == setOpDiff && sets[0] != nil && diffAlgo == 1:
		setTypeRange(sets[0], func(e setElem) bool {
			for _, o := range sets[1:] {
				if o == nil {
					continue
				}
				if o == sets[0] || setTypeIsMemberElem(o, e) {
					return true
				}
			}
			setTypeAddElem(srv, &dst, e)
			cardinality++
			return true
		})
	case op == setOpDiff && sets[0] != nil && diffAlgo == 2:
		for j, o := range sets {
			if o == nil {
				continue
			}
			setTypeRange(o, func(e setElem) bool {
				if j == 0 {
					if setTypeAddElem(srv, &dst, e) {
						cardinality++
					}
				} else if setTypeRemoveElem(&dst, e) {
					cardinality--
				}
				return true
			})
			if cardinality == 0 {
				break
			}
		}
	}

	if dstkey == nil {
		c.addReplySetLen(cardinality)
		setTypeRange(&dst, func(e setElem) bool {
			c.addReplySetElem(e)
			return true
		})
		return
	}
	event := "sunionstore"
	if op == setOpDiff {
		event = "sdiffstore"
	}
	c.storeOrDelete(dstkey, dst, setTypeSize(&dst), notifySet, event)
}

// SUNION key [key ...]
func sunionCommand(c *Client) { sunionDiffGenericCommand(c, c.argv[1:], nil, setOpUnion) }

// SUNIONSTORE destination key [key ...]
func sunionstoreCommand(c *Client) {
	sunionDiffGenericCommand(c, c.argv[2:], c.argv[1], setOpUnion)
}

// SDIFF key [key ...]
func sdiffCommand(c *Client) { sunionDiffGenericCommand(c, c.argv[1:], nil, setOpDiff) }

// SDIFFSTORE destination key [key ...]
func sdiffstoreCommand(c *Client) {
	sunionDiffGenericCommand(c, c.argv[2:], c.argv[1], setOpDiff)
}

// scanCollectionCommand implements SSCAN and ZSCAN on a key of type typ.
func scanCollectionCommand(c *Client, typ uint8) {
	cursor, ok := parseScanCursorOrReply(c, c.argv[2])
	if !ok {
		return
	}
	o := c.lookupKeyReadOrReply(c.argv[1], sharedEmptyScan)
	if o == nil || c.checkType(o, typ) {
		return
	}
	scanCollection(c, o, cursor)
}

// SSCAN key cursor [MATCH pattern] [COUNT count]
func sscanCommand(c *Client) { scanCollectionCommand(c, TypeSet) }

// sharedEmptyScan is the reply of a scan of a missing key.
var sharedEmptyScan = []byte("*2\r\n$1\r\n0\r\n*0\r\n")

// scanCollection is the part of Redis's scanGenericCommand that scans a
// set or a sorted set (the options start at argv[3]). Compact encodings
// are returned whole with cursor 0; hashtables are scanned with the dict's
// reverse-binary cursor until COUNT items (a sorted set's member and score
// are two) or 10*COUNT buckets. A sorted set yields member, score pairs;
// MATCH filters on the member.
func scanCollection(c *Client, o *Object, cursor uint64) {
	opt, ok := parseScanOptionsOrReply(c, 3, false)
	if !ok {
		return
	}
	count := opt.count
	pairs := o.typ == TypeZSet
	var items [][]byte
	var buf [24]byte
	add := func(b []byte) { items = append(items, append([]byte(nil), b...)) }
	maxIter := count * 10
	switch {
	case o.typ == TypeSet && o.enc == encIntset:
		setTypeRange(o, func(e setElem) bool {
			add(e.bytes(&buf))
			return true
		})
		cursor = 0
	case o.typ == TypeSet:
		d := setDict(o)
		for {
			cursor = d.Scan(cursor, func(k string, _ *struct{}) {
				items = append(items, stringBytes(k))
			})
			if cursor == 0 || maxIter <= 0 || int64(len(items)) >= count {
				break
			}
			maxIter--
		}
	case o.enc == encSkiplist:
		d := zsetSkiplist(o).Dict
		for {
			cursor = d.Scan(cursor, func(k string, v *float64) {
				items = append(items, stringBytes(k), proto.FormatDouble(nil, *v))
			})
			if cursor == 0 || maxIter <= 0 || int64(len(items)) >= count {
				break
			}
			maxIter--
		}
	default:
		zsetListpackRange(o, func(ele []byte, score zlpScore) bool {
			add(ele)
			add(score.text(&buf))
			return true
		})
		cursor = 0
	}
	step := 1
	if pairs {
		step = 2
	}
	out := items[:0]
	for i := 0; i < len(items); i += step {
		if opt.usePattern && !stringMatch(opt.pattern, items[i], false) {
			continue
		}
		out = append(out, items[i:i+step]...)
	}
	c.addReplyArrayLen(2)
	c.addReplyBulkInt(int64(cursor))
	c.addReplyArrayLen(len(out))
	for _, it := range out {
		c.addReplyBulk(it)
	}
}
