package cmds

import (
	"math"
	"strconv"
	"unsafe"

	"github.com/redisfs/redisfs/core/types"
)

// The list commands, after Redis 7.0's t_list.c. A list is always a
// quicklist in Redis 7.0 (OBJECT ENCODING says "quicklist" even for one
// element; the listpack encoding of small lists came with 7.2), with nodes
// sized by list-max-listpack-size as the list was when it was created. An
// empty list is never kept: popping the last element deletes the key.

// List ends, as Redis's LIST_HEAD and LIST_TAIL.
const (
	listHead = 0
	listTail = 1
)

// Arguments of the commands the blocking and multi-key pops propagate
// as (rewriteClientCommandVector, alsoPropagate).
var (
	listLpopArg      = []byte("LPOP")
	listRpopArg      = []byte("RPOP")
	listLmoveArg     = []byte("LMOVE")
	listRpoplpushArg = []byte("RPOPLPUSH")
	listLeftArg      = []byte("left") // shared.left: Redis propagates it in lower case
	listRightArg     = []byte("right")
)

// listPopArg returns LPOP or RPOP.
func listPopArg(where int) []byte {
	if where == listHead {
		return listLpopArg
	}
	return listRpopArg
}

// listPositionArg returns LEFT or RIGHT (getStringObjectFromListPosition).
func listPositionArg(where int) []byte {
	if where == listHead {
		return listLeftArg
	}
	return listRightArg
}

// popCountArgs returns the [LR]POP key n command that a pop of up to count
// elements from a list of llen propagates as.
func popCountArgs(where int, key []byte, count, llen int64) [][]byte {
	return [][]byte{listPopArg(where), key, strconv.AppendInt(nil, min(count, llen), 10)}
}

// newListObject returns an empty list, as createQuicklistObject followed by
// quicklistSetOptions with the current configuration.
func (srv *Server) newListObject() Object {
	return newObject(TypeList, EncQuicklist, unsafe.Pointer(types.NewQuicklist(int(srv.Config.listMaxListpackSize))))
}

// listQL returns the quicklist of a list object.
func listQL(o *Object) *types.Quicklist { return (*types.Quicklist)(o.pointer()) }

// checkTypeOrNil is Redis's checkType, which lets a missing key through.
func (c *Client) checkTypeOrNil(o *Object, typ uint8) bool {
	return o != nil && c.checkType(o, typ)
}

// addReplyListValue replies with one list element.
func (c *Client) addReplyListValue(s []byte, v int64, isInt bool) {
	if isInt {
		c.addReplyBulkInt(v)
	} else {
		c.addReplyBulk(s)
	}
}

// pushGenericCommand implements LPUSH, RPUSH, LPUSHX and RPUSHX.
func pushGenericCommand(c *Client, where int, xx bool) {
	srv, key := c.srv, c.argv[1]
	o := c.lookupKeyWrite(key)
	if c.checkTypeOrNil(o, TypeList) {
		return
	}
	if o == nil {
		if xx {
			c.addReplyProto(sharedCZero)
			return
		}
		o = srv.DBAdd(c.db, key, srv.newListObject())
	}
	ql := listQL(o)
	for _, v := range c.argv[2:] {
		ql.Push(v, where == listHead)
	}
	srv.Dirty += int64(len(c.argv) - 2)
	c.addReplyInt(int64(ql.Len()))
	srv.signalModifiedKey(c, c.db, key)
	event := "rpush"
	if where == listHead {
		event = "lpush"
	}
	srv.notifyKeyspaceEvent(notifyList, event, key, c.db.id)
}

// LPUSH key element [element ...]
func lpushCommand(c *Client) { pushGenericCommand(c, listHead, false) }

// RPUSH key element [element ...]
func rpushCommand(c *Client) { pushGenericCommand(c, listTail, false) }

// LPUSHX key element [element ...]
func lpushxCommand(c *Client) { pushGenericCommand(c, listHead, true) }

// RPUSHX key element [element ...]
func rpushxCommand(c *Client) { pushGenericCommand(c, listTail, true) }

// LINSERT key BEFORE|AFTER pivot element
func linsertCommand(c *Client) {
	var after bool
	switch {
	case equalFoldC(c.argv[2], "after"):
		after = true
	case equalFoldC(c.argv[2], "before"):
	default:
		c.addReplySyntaxError()
		return
	}
	srv, key := c.srv, c.argv[1]
	o := c.lookupKeyWriteOrReply(key, sharedCZero)
	if o == nil || c.checkType(o, TypeList) {
		return
	}
	ql := listQL(o)
	it := ql.Iterator(true)
	inserted := false
	for it.Next() {
		if it.Equal(c.argv[3]) {
			if after {
				it.InsertAfter(c.argv[4])
			} else {
				it.InsertBefore(c.argv[4])
			}
			inserted = true
			break
		}
	}
	if !inserted {
		c.addReplyInt(-1)
		return
	}
	srv.signalModifiedKey(c, c.db, key)
	srv.notifyKeyspaceEvent(notifyList, "linsert", key, c.db.id)
	srv.Dirty++
	c.addReplyInt(int64(ql.Len()))
}

// LLEN key
func llenCommand(c *Client) {
	o := c.lookupKeyReadOrReply(c.argv[1], sharedCZero)
	if o == nil || c.checkType(o, TypeList) {
		return
	}
	c.addReplyInt(int64(listQL(o).Len()))
}

// LINDEX key index
func lindexCommand(c *Client) {
	o := c.lookupKeyReadOrNull(c.argv[1])
	if o == nil || c.checkType(o, TypeList) {
		return
	}
	index, ok := argLongLongOrReply(c, c.argv[2], "")
	if !ok {
		return
	}
	s, v, isInt, found := listQL(o).Index(int(index))
	if !found {
		c.addReplyNull()
		return
	}
	c.addReplyListValue(s, v, isInt)
}

// LSET key index element
func lsetCommand(c *Client) {
	srv, key := c.srv, c.argv[1]
	o := c.lookupKeyWrite(key)
	if o == nil {
		c.addReplyError(errNoSuchKey)
		return
	}
	if c.checkType(o, TypeList) {
		return
	}
	index, ok := argLongLongOrReply(c, c.argv[2], "")
	if !ok {
		return
	}
	if !listQL(o).ReplaceAt(int(index), c.argv[3]) {
		c.addReplyError(errOutOfRange)
		return
	}
	c.addReplyOK()
	srv.signalModifiedKey(c, c.db, key)
	srv.notifyKeyspaceEvent(notifyList, "lset", key, c.db.id)
	srv.Dirty++
}

// clampRange resolves the bounds of an index range over llen elements, as
// LRANGE, LTRIM, ZRANGE and ZREMRANGEBYRANK read them: inclusive, negative
// ones counted from the end, clamped to the elements. ok is false when no
// element is in the range.
func clampRange(start, end, llen int64) (int64, int64, bool) {
	if start < 0 {
		start += llen
	}
	if end < 0 {
		end += llen
	}
	if start < 0 {
		start = 0
	}
	if start > end || start >= llen {
		return start, end, false
	}
	if end >= llen {
		end = llen - 1
	}
	return start, end, true
}

// addListRangeReply replies with the elements from start to end (inclusive,
// negative indexes from the tail), reversed when reverse (Redis's
// addListRangeReply).
func (c *Client) addListRangeReply(o *Object, start, end int64, reverse bool) {
	ql := listQL(o)
	start, end, ok := clampRange(start, end, int64(ql.Len()))
	if !ok {
		c.addReplyProto(sharedEmptyArray)
		return
	}
	rangelen := end - start + 1
	c.addReplyArrayLen(int(rangelen))
	from := start
	if reverse {
		from = end
	}
	it, _ := ql.IteratorAt(int(from), !reverse)
	for ; rangelen > 0 && it.Next(); rangelen-- {
		c.addReplyListValue(it.Value())
	}
}

// listElementsRemoved does what follows a pop of count elements from key:
// the events, deleting an emptied list, WATCH, dirty. It reports whether
// the key was deleted.
func (c *Client) listElementsRemoved(key []byte, where int, o *Object, count int64) bool {
	deleted := c.listPopEvents(key, where, o)
	c.srv.signalModifiedKey(c, c.db, key)
	c.srv.Dirty += count
	return deleted
}

// listPopEvents sends the event of a pop from key and deletes the list
// when it is empty (with the "del" event); it reports whether it did.
func (c *Client) listPopEvents(key []byte, where int, o *Object) bool {
	srv := c.srv
	event := "rpop"
	if where == listHead {
		event = "lpop"
	}
	srv.notifyKeyspaceEvent(notifyList, event, key, c.db.id)
	if listQL(o).Len() != 0 {
		return false
	}
	srv.dbDelete(c.db, key)
	srv.notifyKeyspaceEvent(notifyGeneric, "del", key, c.db.id)
	return true
}

// listTypeDelRange deletes count elements from start (0 or negative).
func listTypeDelRange(o *Object, start, count int64) {
	listQL(o).DelRange(int(start), int(count))
}

// popGenericCommand implements LPOP and RPOP, with or without a count.
func popGenericCommand(c *Client, where int) {
	hascount := len(c.argv) == 3
	var count int64
	if len(c.argv) > 3 {
		c.addReplyErrorArity()
		return
	} else if hascount {
		var ok bool
		if count, ok = getPositiveLongFromArgOrReply(c, c.argv[2], ""); !ok {
			return
		}
	}
	key := c.argv[1]
	o := c.lookupKeyWrite(key)
	if o == nil {
		if hascount {
			c.addReplyNullArray()
		} else {
			c.addReplyNull()
		}
		return
	}
	if c.checkType(o, TypeList) {
		return
	}
	if hascount && count == 0 {
		c.addReplyProto(sharedEmptyArray)
		return
	}
	if !hascount {
		listQL(o).PopFunc(where == listHead, c.addReplyListValue)
		c.listElementsRemoved(key, where, o, 1)
		return
	}
	c.listPopRange(o, key, where, count)
}

// listPopRange replies with up to count elements from one end and removes
// them; it reports whether the key was deleted.
func (c *Client) listPopRange(o *Object, key []byte, where int, count int64) bool {
	llen := int64(listQL(o).Len())
	rangelen := min(count, llen)
	rangestart, rangeend, reverse := int64(0), rangelen-1, false
	if where == listTail {
		rangestart, rangeend, reverse = -rangelen, -1, true
	}
	c.addListRangeReply(o, rangestart, rangeend, reverse)
	listTypeDelRange(o, rangestart, rangelen)
	return c.listElementsRemoved(key, where, o, rangelen)
}

// listPopRangeAndReplyWithKey replies [key, [elements…]] for LMPOP and
// BLMPOP and pops the elements.
func (c *Client) listPopRangeAndReplyWithKey(o *Object, key []byte, where int, count int64) bool {
	c.addReplyArrayLen(2)
	c.addReplyBulk(key)
	return c.listPopRange(o, key, where, count)
}

// LPOP key [count]
func lpopCommand(c *Client) { popGenericCommand(c, listHead) }

// RPOP key [count]
func rpopCommand(c *Client) { popGenericCommand(c, listTail) }

// LRANGE key start stop
func lrangeCommand(c *Client) {
	start, end, ok := rangeIndexesOrReply(c, 2)
	if !ok {
		return
	}
	o := c.lookupKeyReadOrReply(c.argv[1], sharedEmptyArray)
	if o == nil || c.checkType(o, TypeList) {
		return
	}
	c.addListRangeReply(o, start, end, false)
}

// LTRIM key start stop
func ltrimCommand(c *Client) {
	start, end, ok := rangeIndexesOrReply(c, 2)
	if !ok {
		return
	}
	srv, key := c.srv, c.argv[1]
	o := c.lookupKeyWriteOrReply(key, sharedOK)
	if o == nil || c.checkType(o, TypeList) {
		return
	}
	ql := listQL(o)
	llen := int64(ql.Len())
	ltrim, rtrim := llen, int64(0)
	if start, end, ok = clampRange(start, end, llen); ok {
		ltrim, rtrim = start, llen-end-1
	}
	ql.DelRange(0, int(ltrim))
	ql.DelRange(int(-rtrim), int(rtrim))
	srv.notifyKeyspaceEvent(notifyList, "ltrim", key, c.db.id)
	if ql.Len() == 0 {
		srv.dbDelete(c.db, key)
		srv.notifyKeyspaceEvent(notifyGeneric, "del", key, c.db.id)
	}
	srv.signalModifiedKey(c, c.db, key)
	srv.Dirty += ltrim + rtrim
	c.addReplyOK()
}

// LPOS key element [RANK rank] [COUNT num-matches] [MAXLEN len]
func lposCommand(c *Client) {
	ele := c.argv[2]
	forward := true
	var rank, count, maxlen int64 = 1, -1, 0
	for j := 3; j < len(c.argv); j++ {
		opt := c.argv[j]
		moreargs := len(c.argv) - 1 - j
		var ok bool
		switch {
		case equalFoldC(opt, "rank") && moreargs > 0:
			j++
			// Redis 7.0 reads RANK as any long (LONG_MIN included).
			if rank, ok = argLongLongOrReply(c, c.argv[j], ""); !ok {
				return
			}
			if rank == 0 {
				c.addReplyError("RANK can't be zero: use 1 to start from the first match, 2 from the second ... or use negative to start from the end of the list")
				return
			}
		case equalFoldC(opt, "count") && moreargs > 0:
			j++
			if count, ok = getPositiveLongFromArgOrReply(c, c.argv[j], "COUNT can't be negative"); !ok {
				return
			}
		case equalFoldC(opt, "maxlen") && moreargs > 0:
			j++
			if maxlen, ok = getPositiveLongFromArgOrReply(c, c.argv[j], "MAXLEN can't be negative"); !ok {
				return
			}
		default:
			c.addReplySyntaxError()
			return
		}
	}
	if rank < 0 {
		rank = -rank // LONG_MIN stays negative, as in C
		forward = false
	}
	o := c.lookupKeyRead(c.argv[1])
	if o == nil {
		if count != -1 {
			c.addReplyProto(sharedEmptyArray)
		} else {
			c.addReplyNull()
		}
		return
	}
	if c.checkType(o, TypeList) {
		return
	}
	var arraylen deferredLen
	withArray := count != -1
	if withArray {
		arraylen = c.addReplyDeferredLen()
	}
	ql := listQL(o)
	var it types.QuicklistIter
	if forward {
		it, _ = ql.IteratorAt(0, true)
	} else {
		it, _ = ql.IteratorAt(-1, false)
	}
	llen := int64(ql.Len())
	var index, matches, n int64
	matchindex := int64(-1)
	for (maxlen == 0 || index < maxlen) && it.Next() {
		if it.Equal(ele) {
			matches++
			if forward {
				matchindex = index
			} else {
				matchindex = llen - index - 1
			}
			if matches >= rank {
				if !withArray {
					break
				}
				n++
				c.addReplyInt(matchindex)
				if count != 0 && matches-rank+1 >= count {
					break
				}
			}
		}
		index++
		matchindex = -1
	}
	if withArray {
		c.setDeferredArrayLen(arraylen, int(n))
	} else if matchindex != -1 {
		c.addReplyInt(matchindex)
	} else {
		c.addReplyNull()
	}
}

// LREM key count element
func lremCommand(c *Client) {
	toremove, ok := argLongLongOrReply(c, c.argv[2], "")
	if !ok {
		return
	}
	srv, key, obj := c.srv, c.argv[1], c.argv[3]
	o := c.lookupKeyWriteOrReply(key, sharedCZero)
	if o == nil || c.checkType(o, TypeList) {
		return
	}
	ql := listQL(o)
	var it types.QuicklistIter
	if toremove < 0 {
		toremove = -toremove
		it, _ = ql.IteratorAt(-1, false)
	} else {
		it, _ = ql.IteratorAt(0, true)
	}
	var removed int64
	for it.Next() {
		if it.Equal(obj) {
			it.Delete()
			srv.Dirty++
			removed++
			if toremove != 0 && removed == toremove {
				break
			}
		}
	}
	if removed != 0 {
		srv.signalModifiedKey(c, c.db, key)
		srv.notifyKeyspaceEvent(notifyList, "lrem", key, c.db.id)
	}
	if ql.Len() == 0 {
		srv.dbDelete(c.db, key)
		srv.notifyKeyspaceEvent(notifyGeneric, "del", key, c.db.id)
	}
	c.addReplyInt(removed)
}

// lmoveHandlePush pushes value to dstkey (creating the list), notifies and
// replies with value (Redis's lmoveHandlePush).
func (c *Client) lmoveHandlePush(dstkey []byte, dst *Object, value []byte, where int) {
	srv := c.srv
	if dst == nil {
		dst = srv.DBAdd(c.db, dstkey, srv.newListObject())
	}
	srv.signalModifiedKey(c, c.db, dstkey)
	listQL(dst).Push(value, where == listHead)
	event := "rpush"
	if where == listHead {
		event = "lpush"
	}
	srv.notifyKeyspaceEvent(notifyList, event, dstkey, c.db.id)
	c.addReplyBulk(value)
}

// getListPositionOrReply parses LEFT or RIGHT.
func getListPositionOrReply(c *Client, arg []byte) (int, bool) {
	switch {
	case equalFoldC(arg, "right"):
		return listTail, true
	case equalFoldC(arg, "left"):
		return listHead, true
	}
	c.addReplySyntaxError()
	return 0, false
}

// getListPositionsOrReply parses the wherefrom and whereto of LMOVE and
// BLMOVE (argv[3] and argv[4]).
func getListPositionsOrReply(c *Client) (wherefrom, whereto int, ok bool) {
	if wherefrom, ok = getListPositionOrReply(c, c.argv[3]); !ok {
		return 0, 0, false
	}
	if whereto, ok = getListPositionOrReply(c, c.argv[4]); !ok {
		return 0, 0, false
	}
	return wherefrom, whereto, true
}

// lmoveGenericCommand implements LMOVE and RPOPLPUSH, and BLMOVE and
// BRPOPLPUSH when the source is not empty.
func lmoveGenericCommand(c *Client, wherefrom, whereto int) {
	src := c.lookupKeyWrite(c.argv[1])
	if src == nil {
		c.addReplyNull()
		return
	}
	if c.checkType(src, TypeList) {
		return
	}
	c.lmove(src, c.argv[1], c.argv[2], wherefrom, whereto)
}

// lmove moves one element from the list src at srckey to dstkey (the
// destination looked up here); a destination of another type gets
// WRONGTYPE and nothing moves. It reports whether the element moved.
func (c *Client) lmove(src *Object, srckey, dstkey []byte, wherefrom, whereto int) bool {
	dst := c.lookupKeyWrite(dstkey)
	if c.checkTypeOrNil(dst, TypeList) {
		return false
	}
	var buf [128]byte
	value, _ := listQL(src).Pop(wherefrom == listHead, buf[:0])
	// Popping the last element of a list moved onto itself must not
	// delete it: the push below refills it.
	c.lmoveHandlePush(dstkey, dst, value, whereto)
	c.listElementsRemoved(srckey, wherefrom, src, 1)
	return true
}

// LMOVE source destination LEFT|RIGHT LEFT|RIGHT
func lmoveCommand(c *Client) {
	if wherefrom, whereto, ok := getListPositionsOrReply(c); ok {
		lmoveGenericCommand(c, wherefrom, whereto)
	}
}

// RPOPLPUSH source destination
func rpoplpushCommand(c *Client) { lmoveGenericCommand(c, listTail, listHead) }

// firstNonEmptyKey looks keys up for writing and returns the first that
// holds a non-empty value of type typ (length gives its length), or a nil
// o when none does, as the multi-key pops look for one. A key of another
// type gets WRONGTYPE and ends the search with ok false.
func (c *Client) firstNonEmptyKey(keys [][]byte, typ uint8, length func(*Object) int) (key []byte, o *Object, ok bool) {
	for _, k := range keys {
		v := c.lookupKeyWrite(k)
		if v == nil {
			continue
		}
		if c.checkType(v, typ) {
			return nil, nil, false
		}
		if length(v) != 0 {
			return k, v, true
		}
	}
	return nil, nil, true
}

// listTypeLength returns the number of elements of a list.
func listTypeLength(o *Object) int { return listQL(o).Len() }

// mpopGenericCommand pops from the first non-empty list of keys (LMPOP).
func mpopGenericCommand(c *Client, keys [][]byte, where int, count int64) {
	key, o, ok := c.firstNonEmptyKey(keys, TypeList, listTypeLength)
	if !ok {
		return
	}
	if o == nil {
		c.addReplyNullArray()
		return
	}
	c.listMpop(o, key, where, count)
}

// listMpop pops up to count elements from the list o at key for LMPOP and
// BLMPOP, replying [key, [elements…]], and propagates the pop as
// [LR]POP key n.
func (c *Client) listMpop(o *Object, key []byte, where int, count int64) {
	llen := int64(listTypeLength(o))
	c.listPopRangeAndReplyWithKey(o, key, where, count)
	c.rewriteArgv(popCountArgs(where, key, count, llen)...)
}

// mpopArgsOrReply parses what LMPOP, BLMPOP, ZMPOP and BZMPOP share, from
// numkeys at numkeysIdx on: the keys, the end to pop from (where 0 or 1,
// named ends[0] or ends[1]: LEFT|RIGHT, MIN|MAX) and [COUNT count], 1 when
// absent.
func mpopArgsOrReply(c *Client, numkeysIdx int, ends [2]string) (keys [][]byte, where int, count int64, ok bool) {
	argv := c.argv
	numkeys, ok := getRangeLongFromArgOrReply(c, argv[numkeysIdx], 1, math.MaxInt64, "numkeys should be greater than 0")
	if !ok {
		return nil, 0, 0, false
	}
	// numkeys is checked alone first: the sum could overflow.
	if numkeys >= int64(len(argv)) || numkeysIdx+int(numkeys)+1 >= len(argv) {
		c.addReplySyntaxError()
		return nil, 0, 0, false
	}
	whereIdx := numkeysIdx + int(numkeys) + 1
	switch {
	case optIs(argv[whereIdx], ends[0]):
		where = 0
	case optIs(argv[whereIdx], ends[1]):
		where = 1
	default:
		c.addReplySyntaxError()
		return nil, 0, 0, false
	}
	count = -1
	for j := whereIdx + 1; j < len(argv); j++ {
		moreargs := len(argv) - 1 - j
		if count == -1 && optIs(argv[j], "count") && moreargs > 0 {
			j++
			if count, ok = getRangeLongFromArgOrReply(c, argv[j], 1, math.MaxInt64, "count should be greater than 0"); !ok {
				return nil, 0, 0, false
			}
		} else {
			c.addReplySyntaxError()
			return nil, 0, 0, false
		}
	}
	if count == -1 {
		count = 1
	}
	return argv[numkeysIdx+1 : whereIdx], where, count, true
}

// lmpopGenericCommand implements LMPOP and BLMPOP: numkeys at numkeysIdx,
// the keys, LEFT|RIGHT, [COUNT count].
func lmpopGenericCommand(c *Client, numkeysIdx int, block bool) {
	keys, where, count, ok := mpopArgsOrReply(c, numkeysIdx, [2]string{"left", "right"})
	if !ok {
		return
	}
	if block {
		blockingPopGenericCommand(c, keys, where, 1, count)
	} else {
		mpopGenericCommand(c, keys, where, count)
	}
}

// LMPOP numkeys key [key ...] LEFT|RIGHT [COUNT count]
func lmpopCommand(c *Client) { lmpopGenericCommand(c, 1, false) }

// BLMPOP timeout numkeys key [key ...] LEFT|RIGHT [COUNT count]
func blmpopCommand(c *Client) { lmpopGenericCommand(c, 2, true) }

// blockingPopGenericCommand implements BLPOP, BRPOP and BLMPOP: it pops from
// the first non-empty list of keys, or blocks. count is -1 for the
// single-element reply of BLPOP/BRPOP.
func blockingPopGenericCommand(c *Client, keys [][]byte, where int, timeoutIdx int, count int64) {
	timeout, ok := c.getTimeoutFromObjectOrReply(c.argv[timeoutIdx], unitSeconds)
	if !ok {
		return
	}
	key, o, ok := c.firstNonEmptyKey(keys, TypeList, listTypeLength)
	if !ok {
		return
	}
	if o != nil {
		if count != -1 {
			c.listMpop(o, key, where, count) // BLMPOP, like LMPOP
			return
		}
		c.addReplyArrayLen(2)
		c.addReplyBulk(key)
		listQL(o).PopFunc(where == listHead, c.addReplyListValue)
		c.listElementsRemoved(key, where, o, 1)
		c.rewriteArgv(listPopArg(where), key)
		return
	}
	if c.Flags&clientDenyBlocking != 0 {
		c.addReplyNullArray()
		return
	}
	c.srv.blockForKeys(c, blockedList, keys, timeout, func(c *Client, key []byte, o *Object) bool {
		c.serveClientBlockedOnList(o, key, nil, where, 0, count, false)
		return true
	})
}

// serveClientBlockedOnList serves a client blocked in BLPOP, BRPOP, BLMPOP
// (dstkey nil) or BLMOVE/BRPOPLPUSH with the list o at key (Redis's
// serveClientBlockedOnList).
//
// What it does is propagated as the non-blocking command would be: LPOP or
// RPOP (with the count BLMPOP popped), LMOVE, or RPOPLPUSH when
// brpoplpush.
func (c *Client) serveClientBlockedOnList(o *Object, key, dstkey []byte, wherefrom, whereto int, count int64, brpoplpush bool) {
	srv := c.srv
	if dstkey == nil {
		if count > 0 {
			srv.alsoPropagate(c.db.id, popCountArgs(wherefrom, key, count, int64(listQL(o).Len()))...)
			c.listPopRangeAndReplyWithKey(o, key, wherefrom, count)
			return
		}
		srv.alsoPropagate(c.db.id, listPopArg(wherefrom), key)
		c.addReplyArrayLen(2)
		c.addReplyBulk(key)
		listQL(o).PopFunc(wherefrom == listHead, c.addReplyListValue)
		// Neither signalModifiedKey nor dirty: the push that made the
		// key ready did both, as in Redis 7.0.
		c.listPopEvents(key, wherefrom, o)
		return
	}
	// BLMOVE: a destination of the wrong type gets the client WRONGTYPE.
	dst := c.lookupKeyWrite(dstkey)
	if c.checkTypeOrNil(dst, TypeList) {
		return
	}
	srv.beforeKeyWrite(c.db, dstkey, dst == nil)
	if brpoplpush {
		srv.alsoPropagate(c.db.id, listRpoplpushArg, key, dstkey)
	} else {
		srv.alsoPropagate(c.db.id, listLmoveArg, key, dstkey, listPositionArg(wherefrom), listPositionArg(whereto))
	}
	var buf [128]byte
	value, _ := listQL(o).Pop(wherefrom == listHead, buf[:0])
	c.lmoveHandlePush(dstkey, dst, value, whereto)
	c.listPopEvents(key, wherefrom, o)
}

// BLPOP key [key ...] timeout
func blpopCommand(c *Client) {
	blockingPopGenericCommand(c, c.argv[1:len(c.argv)-1], listHead, len(c.argv)-1, -1)
}

// BRPOP key [key ...] timeout
func brpopCommand(c *Client) {
	blockingPopGenericCommand(c, c.argv[1:len(c.argv)-1], listTail, len(c.argv)-1, -1)
}

// blmoveGenericCommand implements BLMOVE and BRPOPLPUSH.
func blmoveGenericCommand(c *Client, wherefrom, whereto int, timeout int64) {
	src := c.lookupKeyWrite(c.argv[1])
	if c.checkTypeOrNil(src, TypeList) {
		return
	}
	if src != nil {
		// Propagated as the non-blocking form, as typed.
		if c.lmove(src, c.argv[1], c.argv[2], wherefrom, whereto) {
			if c.cmd.name == "brpoplpush" {
				c.rewriteArgv(listRpoplpushArg, c.argv[1], c.argv[2])
			} else {
				c.rewriteArgv(listLmoveArg, c.argv[1], c.argv[2], c.argv[3], c.argv[4])
			}
		}
		return
	}
	if c.Flags&clientDenyBlocking != 0 {
		// Blocking against an empty list inside EXEC returns at once.
		c.addReplyNull()
		return
	}
	dstkey := keepArg(c.argv[2])
	brpoplpush := c.cmd.name == "brpoplpush"
	c.srv.blockForKeys(c, blockedList, c.argv[1:2], timeout, func(c *Client, key []byte, o *Object) bool {
		c.serveClientBlockedOnList(o, key, dstkey, wherefrom, whereto, -1, brpoplpush)
		return true
	})
}

// BLMOVE source destination LEFT|RIGHT LEFT|RIGHT timeout
func blmoveCommand(c *Client) {
	wherefrom, whereto, ok := getListPositionsOrReply(c)
	if !ok {
		return
	}
	timeout, ok := c.getTimeoutFromObjectOrReply(c.argv[5], unitSeconds)
	if !ok {
		return
	}
	blmoveGenericCommand(c, wherefrom, whereto, timeout)
}

// BRPOPLPUSH source destination timeout
func brpoplpushCommand(c *Client) {
	timeout, ok := c.getTimeoutFromObjectOrReply(c.argv[3], unitSeconds)
	if !ok {
		return
	}
	blmoveGenericCommand(c, listTail, listHead, timeout)
}

// listTypeDup duplicates a list for COPY (listTypeDup).
func listTypeDup(o *Object) Object {
	var n Object
	n.SetPtr(TypeList, EncQuicklist, unsafe.Pointer(listQL(o).Dup()))
	return n
}
