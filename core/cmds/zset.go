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

// The sorted set family, after Redis 7.0's t_zset.c. A sorted set is a
// listpack of member, score pairs (ordered by score, then member bytes)
// while it has at most zset-max-listpack-entries members of at most
// zset-max-listpack-value bytes, and a skiplist plus a dict (types.Zset)
// after that. Like Redis, a listpack stores a score that is an integer in
// ±2^62 as an integer and any other as its "%.17g" text, so a listpack
// keeps -0 as 0 while a skiplist keeps it as -0.

// ---------------------------------------------------------------------------
// Score and lex range parsers, on the strtod emulation of util.go.

// zslParseRangeItem parses one bound of a score range: "(" makes it
// exclusive; the rest goes to strtod, which must end at the end of the C
// string (so "", "(" and " 1" are accepted, as in Redis).
func zslParseRangeItem(b []byte) (v float64, ex bool, ok bool) {
	if len(b) > 0 && b[0] == '(' {
		b = b[1:]
		ex = true
	}
	v, n, _ := strtodPrefix(b)
	if n < len(b) && b[n] != 0 || math.IsNaN(v) {
		return 0, false, false
	}
	return v, ex, true
}

// zslParseRange parses min and max as Redis's zslParseRange.
func zslParseRange(min, max []byte) (types.RangeSpec, bool) {
	var r types.RangeSpec
	var ok bool
	if r.Min, r.MinEx, ok = zslParseRangeItem(min); !ok {
		return r, false
	}
	if r.Max, r.MaxEx, ok = zslParseRangeItem(max); !ok {
		return r, false
	}
	return r, true
}

// zslParseLexRangeItem parses one bound of a lex range: "-" and "+" (alone
// in the C string) are the extremes, "(" and "[" start an exclusive or
// inclusive bound.
func zslParseLexRangeItem(b []byte) (s string, kind int8, ex bool, ok bool) {
	at1 := byte(0)
	if len(b) > 1 {
		at1 = b[1]
	}
	if len(b) == 0 {
		return "", 0, false, false
	}
	switch b[0] {
	case '+':
		return "", types.LexPlus, true, at1 == 0
	case '-':
		return "", types.LexMinus, true, at1 == 0
	case '(':
		return string(b[1:]), types.LexNormal, true, true
	case '[':
		return string(b[1:]), types.LexNormal, false, true
	}
	return "", 0, false, false
}

// zslParseLexRange parses min and max as Redis's zslParseLexRange.
func zslParseLexRange(min, max []byte) (types.LexRangeSpec, bool) {
	var r types.LexRangeSpec
	var ok bool
	if r.Min, r.MinKind, r.MinEx, ok = zslParseLexRangeItem(min); !ok {
		return r, false
	}
	if r.Max, r.MaxKind, r.MaxEx, ok = zslParseLexRangeItem(max); !ok {
		return r, false
	}
	return r, true
}

// zslParseRangeOrReply parses min and max into r, a score range or, when
// lex, a lex range; it replies with Redis's error when they are not one.
func zslParseRangeOrReply(c *Client, lex bool, min, max []byte, r *types.ZRange) bool {
	var ok bool
	r.Lex = lex
	if lex {
		if r.ByLex, ok = zslParseLexRange(min, max); !ok {
			c.addReplyError("min or max not valid string range item")
		}
		return ok
	}
	if r.ByScore, ok = zslParseRange(min, max); !ok {
		c.addReplyError("min or max is not a float")
	}
	return ok
}

// ---------------------------------------------------------------------------
// Encodings.

// zsetSkiplist returns the skiplist+dict of a skiplist-encoded sorted set.
func zsetSkiplist(o *Object) *types.Zset { return (*types.Zset)(o.ptr) }

// newZsetObject returns an empty skiplist-encoded sorted set.
func newZsetObject() Object {
	return newObject(TypeZSet, encSkiplist, unsafe.Pointer(types.NewZset()))
}

// newZsetListpackObject returns an empty listpack-encoded sorted set.
func newZsetListpackObject() Object {
	return newObject(TypeZSet, encListpack, unsafe.Pointer(newZlp()))
}

// zsetLength returns the number of members.
func zsetLength(o *Object) int {
	if o.enc == encListpack {
		return zsetZlp(o).length()
	}
	return zsetSkiplist(o).Len()
}

// zsetConvert converts o to the encoding enc.
func zsetConvert(o *Object, enc uint8) {
	if o.enc == enc {
		return
	}
	if o.enc == encListpack {
		zl := zsetZlp(o)
		zs := types.NewZset()
		for p := zl.first(); p >= 0; p = zl.next(p) {
			zs.Insert(zl.eleString(p), zl.score(p))
		}
		o.SetPtr(TypeZSet, encSkiplist, unsafe.Pointer(zs))
		return
	}
	zs := zsetSkiplist(o)
	zl := newZlp()
	for n := zs.Zsl.First(); n != nil; n = n.Next() {
		zl.appendPair(stringBytes(n.Ele), n.Score)
	}
	o.SetPtr(TypeZSet, encListpack, unsafe.Pointer(zl))
}

// zsetConvertToListpackIfNeeded converts a skiplist to a listpack when it
// fits the listpack limits (after ZUNIONSTORE and friends).
func zsetConvertToListpackIfNeeded(srv *Server, o *Object, maxelelen, totelelen int) {
	if o.enc == encListpack {
		return
	}
	if int64(zsetSkiplist(o).Len()) <= srv.Config.zSetMaxListpackEntries &&
		int64(maxelelen) <= srv.Config.zSetMaxListpackValue && lpSafeToAdd(0, totelelen) {
		zsetConvert(o, encListpack)
	}
}

// listpackMaxSafetySize is LISTPACK_MAX_SAFETY_SIZE: a listpack is kept
// below 1 GiB.
const listpackMaxSafetySize = 1 << 30

// lpSafeToAdd reports whether add more bytes keep a listpack of size bytes
// under the safety limit.
func lpSafeToAdd(size, add int) bool { return size+add <= listpackMaxSafetySize }

// zsetScore returns the score of ele.
func zsetScore(o *Object, ele []byte) (float64, bool) {
	if o.enc == encListpack {
		zl := zsetZlp(o)
		p := zl.find(ele)
		if p < 0 {
			return 0, false
		}
		return zl.score(p), true
	}
	return zsetSkiplist(o).Score(bstr(ele))
}

// ZADD flags in (options) and out (what happened), as Redis's ZADD_IN_*
// and ZADD_OUT_*.
const (
	zaddInIncr = 1 << iota
	zaddInNX
	zaddInXX
	zaddInGT
	zaddInLT
)

const (
	zaddOutNop = 1 << iota
	zaddOutNaN
	zaddOutAdded
	zaddOutUpdated
)

// zsetAdd adds ele with score or updates its score, as Redis's zsetAdd,
// converting the listpack to a skiplist when it outgrows it. It returns the
// zaddOut* flags, the new score and false when the result would be NaN.
func zsetAdd(srv *Server, o *Object, score float64, ele []byte, in int) (out int, newscore float64, ok bool) {
	incr, nx, xx := in&zaddInIncr != 0, in&zaddInNX != 0, in&zaddInXX != 0
	gt, lt := in&zaddInGT != 0, in&zaddInLT != 0
	if math.IsNaN(score) {
		return zaddOutNaN, 0, false
	}
	// The member in either encoding: at p in the listpack zl, or the
	// skiplist's key with its score at sp. Both take the same decisions.
	var zl *zlp
	p := -1
	var key string
	var sp *float64
	if o.enc == encListpack {
		zl = zsetZlp(o)
		p = zl.find(ele)
	} else {
		key, sp = zsetSkiplist(o).Lookup(bstr(ele))
	}
	if p >= 0 || sp != nil {
		if nx {
			return zaddOutNop, 0, true
		}
		var cur float64
		if sp != nil {
			cur = *sp
		} else {
			cur = zl.score(p)
		}
		if incr {
			score += cur
			if math.IsNaN(score) {
				return zaddOutNaN, 0, false
			}
		}
		if lt && score >= cur || gt && score <= cur {
			return zaddOutNop, 0, true
		}
		if score != cur {
			if sp != nil {
				zsetSkiplist(o).UpdateAt(key, sp, score)
			} else {
				zl.deleteAt(p)
				zl.insert(ele, score)
			}
			out |= zaddOutUpdated
		}
		return out, score, true
	}
	if xx {
		return zaddOutNop, 0, true
	}
	if zl != nil {
		if int64(zl.length()+1) <= srv.Config.zSetMaxListpackEntries &&
			int64(len(ele)) <= srv.Config.zSetMaxListpackValue && lpSafeToAdd(zl.bytesLen(), len(ele)) {
			zl.insert(ele, score)
			return zaddOutAdded, score, true
		}
		zsetConvert(o, encSkiplist)
	}
	zsetSkiplist(o).Insert(string(ele), score)
	return zaddOutAdded, score, true
}

// zsetDel removes ele and reports whether it was there.
func zsetDel(o *Object, ele []byte) bool {
	if o.enc == encListpack {
		zl := zsetZlp(o)
		if p := zl.find(ele); p >= 0 {
			zl.deleteAt(p)
			return true
		}
		return false
	}
	zs := zsetSkiplist(o)
	if zs.Remove(bstr(ele)) {
		zs.Dict.ShrinkIfNeeded()
		return true
	}
	return false
}

// zsetRank returns the 0-based rank of ele (from the highest score when
// reverse), or -1.
func zsetRank(o *Object, ele []byte, reverse bool) int {
	if o.enc == encListpack {
		zl := zsetZlp(o)
		rank := 0
		for p := zl.first(); p >= 0; p = zl.next(p) {
			if zl.eleEqual(p, ele) {
				if reverse {
					return zl.length() - 1 - rank
				}
				return rank
			}
			rank++
		}
		return -1
	}
	return zsetSkiplist(o).Rank(bstr(ele), reverse)
}

// zsetDup copies a sorted set keeping its encoding (COPY).
func zsetDup(o *Object) Object {
	if o.enc == encListpack {
		var n Object
		n.SetPtr(TypeZSet, encListpack, unsafe.Pointer(zsetZlp(o).clone()))
		return n
	}
	n := newZsetObject()
	dst := zsetSkiplist(&n)
	src := zsetSkiplist(o)
	// From the greatest down: each insertion stops at the head.
	for x := src.Zsl.Last(); x != nil; x = x.Prev() {
		dst.Insert(x.Ele, x.Score)
	}
	return n
}

// zsetElem is a member as iteration yields it: a listpack integer (isInt)
// or bytes.
type zsetElem struct {
	b     []byte
	v     int64
	isInt bool
}

func (e *zsetElem) bytes(buf *[24]byte) []byte {
	if e.isInt {
		return strconv.AppendInt(buf[:0], e.v, 10)
	}
	return e.b
}

// zsetCursor walks a sorted set of either encoding in rank order.
type zsetCursor struct {
	o    *Object
	zl   *zlp
	p    int // listpack position, -1 when done
	node *types.ZslNode
}

func newZsetCursor(o *Object) zsetCursor {
	if o.enc == encListpack {
		return zsetCursor{o: o, zl: zsetZlp(o), p: -1}
	}
	return zsetCursor{o: o}
}

func (it *zsetCursor) valid() bool {
	if it.zl != nil {
		return it.p >= 0
	}
	return it.node != nil
}

func (it *zsetCursor) elem() zsetElem {
	if it.zl != nil {
		b, v, isInt := it.zl.ele(it.p)
		return zsetElem{b: b, v: v, isInt: isInt}
	}
	return zsetElem{b: stringBytes(it.node.Ele)}
}

func (it *zsetCursor) score() float64 {
	if it.zl != nil {
		return it.zl.score(it.p)
	}
	return it.node.Score
}

func (it *zsetCursor) next() {
	if it.zl != nil {
		it.p = it.zl.next(it.p)
	} else {
		it.node = it.node.Next()
	}
}

func (it *zsetCursor) prev() {
	if it.zl != nil {
		it.p = it.zl.prev(it.p)
	} else {
		it.node = it.node.Prev()
	}
}

func (it *zsetCursor) step(reverse bool) {
	if reverse {
		it.prev()
	} else {
		it.next()
	}
}

// seekRank positions the cursor on the 0-based rank (counted from the end
// when reverse).
func (it *zsetCursor) seekRank(rank int, reverse bool) {
	n := zsetLength(it.o)
	if it.zl != nil {
		if reverse {
			it.p = it.zl.seek(n - 1 - rank)
		} else {
			it.p = it.zl.seek(rank)
		}
		return
	}
	zsl := zsetSkiplist(it.o).Zsl
	switch {
	case reverse && rank == 0:
		it.node = zsl.Last()
	case reverse:
		it.node = zsl.GetElementByRank(n - rank)
	case rank == 0:
		it.node = zsl.First()
	default:
		it.node = zsl.GetElementByRank(rank + 1)
	}
}

// seekRange positions the cursor on the first (or, reverse, the last)
// member in r.
func (it *zsetCursor) seekRange(r *types.ZRange, reverse bool) {
	if it.zl == nil {
		zsl := zsetSkiplist(it.o).Zsl
		if reverse {
			it.node = zsl.LastInRange(r)
		} else {
			it.node = zsl.FirstInRange(r)
		}
		return
	}
	zl := it.zl
	it.p = -1
	if r.Empty() || zl.length() == 0 {
		return
	}
	// zzlIsInRange: the last member must reach the minimum, the first the
	// maximum.
	it.p = zl.last()
	reachesMin := it.gteMin(r)
	it.p = zl.first()
	if !reachesMin || !it.lteMax(r) {
		it.p = -1
		return
	}
	if reverse {
		for it.p = zl.last(); it.p >= 0 && !it.lteMax(r); it.prev() {
		}
		if it.p >= 0 && !it.gteMin(r) {
			it.p = -1
		}
		return
	}
	for ; it.p >= 0 && !it.gteMin(r); it.next() {
	}
	if it.p >= 0 && !it.lteMax(r) {
		it.p = -1
	}
}

// gteMin reports whether the member at the cursor is at or above the
// minimum of r.
func (it *zsetCursor) gteMin(r *types.ZRange) bool {
	if r.Lex {
		return r.ByLex.GteMin(it.eleString())
	}
	return r.ByScore.GteMin(it.score())
}

// lteMax reports whether the member at the cursor is at or below the
// maximum of r.
func (it *zsetCursor) lteMax(r *types.ZRange) bool {
	if r.Lex {
		return r.ByLex.LteMax(it.eleString())
	}
	return r.ByScore.LteMax(it.score())
}

// zzlCountInRange returns the position of the first member of the
// listpack-encoded zobj in r (-1 when none) and how many members from
// there on are in r.
func zzlCountInRange(zobj *Object, r *types.ZRange) (first, n int) {
	it := newZsetCursor(zobj)
	it.seekRange(r, false)
	for first = it.p; it.valid() && it.lteMax(r); it.next() {
		n++
	}
	return first, n
}

// eleString returns the member at the cursor as a string (no copy for a
// skiplist).
func (it *zsetCursor) eleString() string {
	if it.zl != nil {
		return it.zl.eleString(it.p)
	}
	return it.node.Ele
}

// zsetRangeByRank calls fn for ranks start..end (0-based, inclusive,
// within range) in order, or reversed.
func zsetRangeByRank(o *Object, start, end int, reverse bool, fn func(e zsetElem, score float64)) {
	it := newZsetCursor(o)
	it.seekRank(start, reverse)
	for n := end - start + 1; n > 0 && it.valid(); n-- {
		fn(it.elem(), it.score())
		it.step(reverse)
	}
}

// zsetListpackRange calls fn with every pair of a listpack-encoded sorted
// set, the score as the listpack stores it (for ZSCAN).
func zsetListpackRange(o *Object, fn func(ele []byte, score zlpScore) bool) {
	zl := zsetZlp(o)
	var buf [24]byte
	for p := zl.first(); p >= 0; p = zl.next(p) {
		b, v, isInt := zl.ele(p)
		if isInt {
			b = strconv.AppendInt(buf[:0], v, 10)
		}
		if !fn(b, zl.rawScore(p)) {
			return
		}
	}
}

// ---------------------------------------------------------------------------
// Replies.

// addReplyZsetElem replies with a member as a bulk string.
func (c *Client) addReplyZsetElem(e zsetElem) {
	if e.isInt {
		c.addReplyBulkInt(e.v)
	} else {
		c.addReplyBulk(e.b)
	}
}

// ---------------------------------------------------------------------------
// Commands.

// zaddGenericCommand implements ZADD and ZINCRBY (flags zaddInIncr).
func zaddGenericCommand(c *Client, flags int) {
	const nanErr = "resulting score is not a number (NaN)"
	srv, key := c.srv, c.argv[1]
	argv := c.argv
	ch := false
	scoreidx := 2
	for ; scoreidx < len(argv); scoreidx++ {
		opt := argv[scoreidx]
		switch {
		case optIs(opt, "nx"):
			flags |= zaddInNX
		case optIs(opt, "xx"):
			flags |= zaddInXX
		case optIs(opt, "ch"):
			ch = true
		case optIs(opt, "incr"):
			flags |= zaddInIncr
		case optIs(opt, "gt"):
			flags |= zaddInGT
		case optIs(opt, "lt"):
			flags |= zaddInLT
		default:
			goto parsed
		}
	}
parsed:
	incr, nx, xx := flags&zaddInIncr != 0, flags&zaddInNX != 0, flags&zaddInXX != 0
	gt, lt := flags&zaddInGT != 0, flags&zaddInLT != 0
	elements := len(argv) - scoreidx
	if elements%2 != 0 || elements == 0 {
		c.addReplySyntaxError()
		return
	}
	elements /= 2
	if nx && xx {
		c.addReplyError("XX and NX options at the same time are not compatible")
		return
	}
	if gt && nx || lt && nx || gt && lt {
		c.addReplyError("GT, LT, and/or NX options at the same time are not compatible")
		return
	}
	if incr && elements > 1 {
		c.addReplyError("INCR option supports a single increment-element pair")
		return
	}
	// Parse every score first: the command runs whole or not at all.
	scores := make([]float64, elements)
	for j := range scores {
		var ok bool
		if scores[j], ok = getDoubleFromArgOrReply(c, argv[scoreidx+j*2], ""); !ok {
			return
		}
	}
	zobj := c.lookupKeyWrite(key)
	if zobj != nil && c.checkType(zobj, TypeZSet) {
		return
	}
	added, updated, processed := 0, 0, 0
	var score float64
	if zobj == nil {
		if xx {
			goto reply
		}
		if srv.Config.zSetMaxListpackEntries == 0 || srv.Config.zSetMaxListpackValue < int64(len(argv[scoreidx+1])) {
			zobj = srv.DBAdd(c.db, key, newZsetObject())
		} else {
			zobj = srv.DBAdd(c.db, key, newZsetListpackObject())
		}
	}
	for j := 0; j < elements; j++ {
		ele := argv[scoreidx+1+j*2]
		out, newscore, ok := zsetAdd(srv, zobj, scores[j], ele, flags)
		if !ok {
			c.addReplyError(nanErr)
			goto cleanup
		}
		if out&zaddOutAdded != 0 {
			added++
		}
		if out&zaddOutUpdated != 0 {
			updated++
		}
		if out&zaddOutNop == 0 {
			processed++
		}
		score = newscore
	}
	srv.Dirty += int64(added + updated)
reply:
	if incr {
		if processed > 0 {
			c.addReplyDouble(score)
		} else {
			c.addReplyNull()
		}
	} else if ch {
		c.addReplyInt(int64(added + updated))
	} else {
		c.addReplyInt(int64(added))
	}
cleanup:
	if added > 0 || updated > 0 {
		srv.signalModifiedKey(c, c.db, key)
		event := "zadd"
		if incr {
			event = "zincr"
		}
		srv.notifyKeyspaceEvent(notifyZSet, event, key, c.db.id)
	}
}

// ZADD key [NX|XX] [GT|LT] [CH] [INCR] score member [score member ...]
func zaddCommand(c *Client) { zaddGenericCommand(c, 0) }

// ZINCRBY key increment member
func zincrbyCommand(c *Client) { zaddGenericCommand(c, zaddInIncr) }

// ZREM key member [member ...]
func zremCommand(c *Client) {
	srv, key := c.srv, c.argv[1]
	zobj := c.lookupKeyWriteOrReply(key, sharedCZero)
	if zobj == nil || c.checkType(zobj, TypeZSet) {
		return
	}
	deleted, keyRemoved := c.removeMembers(key, zobj, zsetDel, zsetLength)
	if deleted > 0 {
		srv.notifyKeyspaceEvent(notifyZSet, "zrem", key, c.db.id)
		if keyRemoved {
			srv.notifyKeyspaceEvent(notifyGeneric, "del", key, c.db.id)
		}
		srv.signalModifiedKey(c, c.db, key)
		srv.Dirty += int64(deleted)
	}
	c.addReplyInt(int64(deleted))
}

// Range kinds of the ZRANGE family, as Redis's zrange_type.
const (
	zrangeAuto = iota
	zrangeRank
	zrangeScore
	zrangeLex
)

// Directions of the ZRANGE family.
const (
	zrangeDirAuto = iota
	zrangeDirForward
	zrangeDirReverse
)

// zremrangeGenericCommand implements ZREMRANGEBYRANK, ZREMRANGEBYSCORE and
// ZREMRANGEBYLEX.
func zremrangeGenericCommand(c *Client, rangetype int) {
	srv, key := c.srv, c.argv[1]
	var start, end int64
	var r types.ZRange
	var event string
	var ok bool
	switch rangetype {
	case zrangeRank:
		event = "zremrangebyrank"
		if start, end, ok = rangeIndexesOrReply(c, 2); !ok {
			return
		}
	case zrangeScore, zrangeLex:
		event = "zremrangebyscore"
		if rangetype == zrangeLex {
			event = "zremrangebylex"
		}
		if !zslParseRangeOrReply(c, rangetype == zrangeLex, c.argv[2], c.argv[3], &r) {
			return
		}
	}
	zobj := c.lookupKeyWriteOrReply(key, sharedCZero)
	if zobj == nil || c.checkType(zobj, TypeZSet) {
		return
	}
	if rangetype == zrangeRank {
		if start, end, ok = clampRange(start, end, int64(zsetLength(zobj))); !ok {
			c.addReplyInt(0)
			return
		}
	}
	deleted := 0
	keyRemoved := false
	if zobj.enc == encListpack {
		zl := zsetZlp(zobj)
		if rangetype == zrangeRank {
			deleted = zl.deleteRange(int(start), int(end-start+1))
		} else if p, n := zzlCountInRange(zobj, &r); n > 0 {
			deleted = zl.deleteRangeAt(p, n)
		}
		if zl.length() == 0 {
			srv.dbDelete(c.db, key)
			keyRemoved = true
		}
	} else {
		zs := zsetSkiplist(zobj)
		if rangetype == zrangeRank {
			deleted = zs.Zsl.DeleteRangeByRank(int(start+1), int(end+1), zs.DeleteFn())
		} else {
			deleted = zs.Zsl.DeleteInRange(&r, zs.DeleteFn())
		}
		zs.Dict.ShrinkIfNeeded()
		if zs.Dict.Len() == 0 {
			srv.dbDelete(c.db, key)
			keyRemoved = true
		}
	}
	if deleted > 0 {
		srv.signalModifiedKey(c, c.db, key)
		srv.notifyKeyspaceEvent(notifyZSet, event, key, c.db.id)
		if keyRemoved {
			srv.notifyKeyspaceEvent(notifyGeneric, "del", key, c.db.id)
		}
	}
	srv.Dirty += int64(deleted)
	c.addReplyInt(int64(deleted))
}

// ZREMRANGEBYRANK key start stop
func zremrangebyrankCommand(c *Client) { zremrangeGenericCommand(c, zrangeRank) }

// ZREMRANGEBYSCORE key min max
func zremrangebyscoreCommand(c *Client) { zremrangeGenericCommand(c, zrangeScore) }

// ZREMRANGEBYLEX key min max
func zremrangebylexCommand(c *Client) { zremrangeGenericCommand(c, zrangeLex) }

// zsetopSrc is one input of ZUNION/ZINTER/ZDIFF: a set or a sorted set
// (nil when the key is missing) and its weight.
type zsetopSrc struct {
	o      *Object
	weight float64
}

func (s *zsetopSrc) length() int {
	switch {
	case s.o == nil:
		return 0
	case s.o.typ == TypeSet:
		return setTypeSize(s.o)
	}
	return zsetLength(s.o)
}

// each calls fn with every member and score (1 for a set member): a set
// in its own order, a sorted set from the highest rank down (zuiNext).
func (s *zsetopSrc) each(fn func(ele []byte, score float64) bool) {
	if s.o == nil {
		return
	}
	var buf [24]byte
	if s.o.typ == TypeSet {
		setTypeRange(s.o, func(e setElem) bool {
			return fn(e.bytes(&buf), 1)
		})
		return
	}
	it := newZsetCursor(s.o)
	it.seekRank(0, true)
	for ; it.valid(); it.prev() {
		e := it.elem()
		if !fn(e.bytes(&buf), it.score()) {
			return
		}
	}
}

// find returns the score of ele in the input (1 for a set member).
func (s *zsetopSrc) find(ele []byte) (float64, bool) {
	switch {
	case s.o == nil:
		return 0, false
	case s.o.typ == TypeSet:
		if setTypeIsMember(s.o, ele) {
			return 1, true
		}
		return 0, false
	}
	return zsetScore(s.o, ele)
}

// Aggregates of ZUNION and ZINTER.
const (
	aggrNone = iota
	aggrSum
	aggrMin
	aggrMax
)

// zunionInterAggregate folds val into target, as Redis (inf-inf is 0).
func zunionInterAggregate(target *float64, val float64, aggregate int) {
	switch aggregate {
	case aggrSum:
		*target += val
		if math.IsNaN(*target) {
			*target = 0
		}
	case aggrMin:
		if val < *target {
			*target = val
		}
	case aggrMax:
		if val > *target {
			*target = val
		}
	}
}

// zunionInterDiffGenericCommand implements ZUNION, ZINTER, ZDIFF, their
// STORE forms and ZINTERCARD (cardinalityOnly). numkeysIndex is the
// position of numkeys.
func zunionInterDiffGenericCommand(c *Client, dstkey []byte, numkeysIndex int, op int, cardinalityOnly bool) {
	srv := c.srv
	argv := c.argv
	setnum, ok := getLongFromArgOrReply(c, argv[numkeysIndex], "")
	if !ok {
		return
	}
	if setnum < 1 {
		c.addReplyErrorFormat("at least 1 input key is needed for '%s' command", c.cmd.fullName)
		return
	}
	if setnum > int64(len(argv)-(numkeysIndex+1)) {
		c.addReplySyntaxError()
		return
	}
	src := make([]zsetopSrc, setnum)
	j := numkeysIndex + 1
	for i := range src {
		o := c.lookupKeyRead(argv[j])
		if o != nil && o.typ != TypeZSet && o.typ != TypeSet {
			c.addReplyWrongType()
			return
		}
		src[i] = zsetopSrc{o: o, weight: 1}
		j++
	}
	aggregate := aggrNone
	withscores := false
	limit := int64(-1)
	for remaining := len(argv) - j; remaining > 0; remaining = len(argv) - j {
		switch {
		case op != setOpDiff && !cardinalityOnly && remaining >= int(setnum)+1 && optIs(argv[j], "weights"):
			j++
			for i := range src {
				if src[i].weight, ok = getDoubleFromArgOrReply(c, argv[j], "weight value is not a float"); !ok {
					return
				}
				j++
			}
		case op != setOpDiff && !cardinalityOnly && remaining >= 2 && optIs(argv[j], "aggregate"):
			j++
			switch {
			case optIs(argv[j], "sum"):
				aggregate = aggrSum
			case optIs(argv[j], "min"):
				aggregate = aggrMin
			case optIs(argv[j], "max"):
				aggregate = aggrMax
			default:
				c.addReplySyntaxError()
				return
			}
			j++
		case dstkey == nil && !cardinalityOnly && optIs(argv[j], "withscores"):
			j++
			withscores = true
		case cardinalityOnly && remaining >= 2 && optIs(argv[j], "limit"):
			j++
			if limit, ok = getPositiveLongFromArgOrReply(c, argv[j], "LIMIT can't be negative"); !ok {
				return
			}
			j++
		default:
			c.addReplySyntaxError()
			return
		}
	}
	if aggregate == aggrNone {
		aggregate = aggrSum
	}
	if limit == -1 {
		limit = 0
	}
	if op != setOpDiff {
		// Smallest input first (a stable sort, as glibc's qsort is).
		slices.SortStableFunc(src, func(a, b zsetopSrc) int { return a.length() - b.length() })
	}

	dst := types.NewZset()
	maxelelen, totelelen := 0, 0
	cardinality := int64(0)
	note := func(ele string) {
		totelelen += len(ele)
		maxelelen = max(maxelelen, len(ele))
	}
	switch op {
	case setOpInter:
		if src[0].length() == 0 {
			break
		}
		src[0].each(func(ele []byte, zscore float64) bool {
			score := src[0].weight * zscore
			if math.IsNaN(score) {
				score = 0
			}
			for k := 1; k < len(src); k++ {
				var value float64
				if src[k].o == src[0].o {
					value = zscore * src[k].weight
				} else if v, found := src[k].find(ele); found {
					value = v * src[k].weight
				} else {
					return true
				}
				zunionInterAggregate(&score, value, aggregate)
			}
			if cardinalityOnly {
				cardinality++
				return limit == 0 || cardinality < limit
			}
			s := string(ele)
			dst.Insert(s, score)
			note(s)
			return true
		})
	case setOpUnion:
		// Member → index of its aggregated score, in first-seen order.
		// (A map entry is never assigned with a key that aliases a
		// reused buffer: Go would keep that key.)
		acc := make(map[string]int)
		var order []string
		var scores []float64
		for i := range src {
			if src[i].length() == 0 {
				continue
			}
			src[i].each(func(ele []byte, zscore float64) bool {
				score := src[i].weight * zscore
				if math.IsNaN(score) {
					score = 0
				}
				if k, found := acc[bstr(ele)]; found {
					zunionInterAggregate(&scores[k], score, aggregate)
				} else {
					s := string(ele)
					acc[s] = len(order)
					order = append(order, s)
					scores = append(scores, score)
					note(s)
				}
				return true
			})
		}
		for k, s := range order {
			dst.Insert(s, scores[k])
		}
	case setOpDiff:
		zdiff(src, dst, &maxelelen, &totelelen)
	}

	switch {
	case dstkey != nil:
		var o Object
		if dst.Len() > 0 {
			o.SetPtr(TypeZSet, encSkiplist, unsafe.Pointer(dst))
			zsetConvertToListpackIfNeeded(srv, &o, maxelelen, totelelen)
		}
		event := "zunionstore"
		switch op {
		case setOpInter:
			event = "zinterstore"
		case setOpDiff:
			event = "zdiffstore"
		}
		c.storeOrDelete(dstkey, o, dst.Len(), notifyZSet, event)
	case cardinalityOnly:
		c.addReplyInt(cardinality)
	default:
		if withscores && c.resp == 2 {
			c.addReplyArrayLen(dst.Len() * 2)
		} else {
			c.addReplyArrayLen(dst.Len())
		}
		for n := dst.Zsl.First(); n != nil; n = n.Next() {
			if withscores && c.resp > 2 {
				c.addReplyArrayLen(2)
			}
			c.addReplyBulkString(n.Ele)
			if withscores {
				c.addReplyDouble(n.Score)
			}
		}
	}
}

// zdiff computes src[0] minus the other inputs into dst, choosing between
// Redis's two algorithms as zsetChooseDiffAlgorithm does.
func zdiff(src []zsetopSrc, dst *types.Zset, maxelelen, totelelen *int) {
	if src[0].length() == 0 {
		return
	}
	var one, two int64
	for j := range src {
		if j > 0 && src[0].o == src[j].o {
			return // a key subtracted from itself
		}
		one += int64(src[0].length())
		two += int64(src[j].length())
	}
	one /= 2
	if one <= two {
		// Algorithm 1: test each member of the first input against
		// the others, largest first.
		slices.SortStableFunc(src[1:], func(a, b zsetopSrc) int { return b.length() - a.length() })
		src[0].each(func(ele []byte, score float64) bool {
			for j := 1; j < len(src); j++ {
				if src[j].o == src[0].o {
					return true
				}
				if _, found := src[j].find(ele); found {
					return true
				}
			}
			s := string(ele)
			dst.Insert(s, score)
			*maxelelen = max(*maxelelen, len(s))
			*totelelen += len(s)
			return true
		})
		return
	}
	// Algorithm 2: copy the first input and remove the others' members.
	cardinality := 0
	for j := range src {
		if src[j].length() == 0 {
			continue
		}
		src[j].each(func(ele []byte, score float64) bool {
			if j == 0 {
				dst.Insert(string(ele), score)
				cardinality++
			} else if dst.Remove(bstr(ele)) {
				cardinality--
			}
			return cardinality != 0
		})
		if cardinality == 0 {
			break
		}
	}
	for n := dst.Zsl.First(); n != nil; n = n.Next() {
		*maxelelen = max(*maxelelen, len(n.Ele))
		*totelelen += len(n.Ele)
	}
}

// ZUNIONSTORE destination numkeys key [key ...] [WEIGHTS weight [weight ...]] [AGGREGATE SUM|MIN|MAX]
func zunionstoreCommand(c *Client) {
	zunionInterDiffGenericCommand(c, c.argv[1], 2, setOpUnion, false)
}

// ZINTERSTORE destination numkeys key [key ...] [WEIGHTS weight [weight ...]] [AGGREGATE SUM|MIN|MAX]
func zinterstoreCommand(c *Client) {
	zunionInterDiffGenericCommand(c, c.argv[1], 2, setOpInter, false)
}

// ZDIFFSTORE destination numkeys key [key ...]
func zdiffstoreCommand(c *Client) {
	zunionInterDiffGenericCommand(c, c.argv[1], 2, setOpDiff, false)
}

// ZUNION numkeys key [key ...] [WEIGHTS weight [weight ...]] [AGGREGATE SUM|MIN|MAX] [WITHSCORES]
func zunionCommand(c *Client) { zunionInterDiffGenericCommand(c, nil, 1, setOpUnion, false) }

// ZINTER numkeys key [key ...] [WEIGHTS weight [weight ...]] [AGGREGATE SUM|MIN|MAX] [WITHSCORES]
func zinterCommand(c *Client) { zunionInterDiffGenericCommand(c, nil, 1, setOpInter, false) }

// ZINTERCARD numkeys key [key ...] [LIMIT limit]
func zintercardCommand(c *Client) { zunionInterDiffGenericCommand(c, nil, 1, setOpInter, true) }

// ZDIFF numkeys key [key ...] [WITHSCORES]
func zdiffCommand(c *Client) { zunionInterDiffGenericCommand(c, nil, 1, setOpDiff, false) }

// zrangeHandler receives the results of the ZRANGE family: either replies
// to the client or (store) builds the ZRANGESTORE destination.
type zrangeHandler struct {
	c          *Client
	store      bool
	dstkey     []byte
	dst        Object
	withscores bool
	nested     bool // RESP3 member, score pairs
	deferred   deferredLen
	isDeferred bool
}

func (h *zrangeHandler) enableScores() {
	h.withscores = true
	h.nested = h.c.resp > 2
}

// begin starts the result; length is -1 when not known in advance.
func (h *zrangeHandler) begin(length int) {
	if h.store {
		if length > int(h.c.srv.Config.zSetMaxListpackEntries) {
			h.dst = newZsetObject()
		} else {
			h.dst = newZsetListpackObject()
		}
		return
	}
	if length > 0 {
		if h.withscores && h.c.resp == 2 {
			length *= 2
		}
		h.c.addReplyArrayLen(length)
		return
	}
	h.deferred = h.c.addReplyDeferredLen()
	h.isDeferred = true
}

func (h *zrangeHandler) emit(e zsetElem, score float64) {
	if h.store {
		var buf [24]byte
		zsetAdd(h.c.srv, &h.dst, score, e.bytes(&buf), 0)
		return
	}
	if h.nested {
		h.c.addReplyArrayLen(2)
	}
	h.c.addReplyZsetElem(e)
	if h.withscores {
		h.c.addReplyDouble(score)
	}
}

func (h *zrangeHandler) finalize(count int) {
	c := h.c
	if h.store {
		c.storeOrDelete(h.dstkey, h.dst, count, notifyZSet, "zrangestore")
		return
	}
	if !h.isDeferred {
		return
	}
	if h.withscores && c.resp == 2 {
		count *= 2
	}
	c.setDeferredArrayLen(h.deferred, count)
}

// genericZrangebyrankCommand implements ZRANGE and ZREVRANGE by rank.
func genericZrangebyrankCommand(h *zrangeHandler, zobj *Object, start, end int64, reverse bool) {
	start, end, ok := clampRange(start, end, int64(zsetLength(zobj)))
	if !ok {
		h.begin(0)
		h.finalize(0)
		return
	}
	rangelen := int(end - start + 1)
	h.begin(rangelen)
	zsetRangeByRank(zobj, int(start), int(end), reverse, h.emit)
	h.finalize(rangelen)
}

// genericZrangebyrangeCommand implements the BYSCORE and BYLEX ranges
// (Redis's genericZrangebyscoreCommand and genericZrangebylexCommand).
func genericZrangebyrangeCommand(h *zrangeHandler, r *types.ZRange, zobj *Object, offset, limit int64, reverse bool) {
	h.begin(-1)
	if offset > 0 && offset >= int64(zsetLength(zobj)) {
		h.finalize(0)
		return
	}
	it := newZsetCursor(zobj)
	it.seekRange(r, reverse)
	// A negative offset skips everything, as Redis's "while (offset--)".
	for ; it.valid() && offset != 0; offset-- {
		it.step(reverse)
	}
	rangelen := 0
	for ; it.valid() && limit != 0; limit-- {
		if reverse && !it.gteMin(r) || !reverse && !it.lteMax(r) {
			break
		}
		h.emit(it.elem(), it.score())
		rangelen++
		it.step(reverse)
	}
	h.finalize(rangelen)
}

// zrangeGenericCommand implements ZRANGE, ZRANGESTORE and the deprecated
// Z[REV]RANGE[BYSCORE|BYLEX]: argcStart is the position of the source key.
func zrangeGenericCommand(h *zrangeHandler, argcStart int, store bool, rangetype, direction int) {
	c := h.c
	argv := c.argv
	key := argv[argcStart]
	minidx, maxidx := argcStart+1, argcStart+2
	withscores := false
	var offset int64
	limit := int64(-1)
	var ok bool
	for j := argcStart + 3; j < len(argv); j++ {
		leftargs := len(argv) - j - 1
		switch {
		case !store && optIs(argv[j], "withscores"):
			withscores = true
		case optIs(argv[j], "limit") && leftargs >= 2:
			if offset, ok = getLongFromArgOrReply(c, argv[j+1], ""); !ok {
				return
			}
			if limit, ok = getLongFromArgOrReply(c, argv[j+2], ""); !ok {
				return
			}
			j += 2
		case direction == zrangeDirAuto && optIs(argv[j], "rev"):
			direction = zrangeDirReverse
		case rangetype == zrangeAuto && optIs(argv[j], "bylex"):
			rangetype = zrangeLex
		case rangetype == zrangeAuto && optIs(argv[j], "byscore"):
			rangetype = zrangeScore
		default:
			c.addReplySyntaxError()
			return
		}
	}
	if direction == zrangeDirAuto {
		direction = zrangeDirForward
	}
	if rangetype == zrangeAuto {
		rangetype = zrangeRank
	}
	if limit != -1 && rangetype == zrangeRank {
		c.addReplyError("syntax error, LIMIT is only supported in combination with either BYSCORE or BYLEX")
		return
	}
	if withscores && rangetype == zrangeLex {
		c.addReplyError("syntax error, WITHSCORES not supported in combination with BYLEX")
		return
	}
	reverse := direction == zrangeDirReverse
	if reverse && (rangetype == zrangeScore || rangetype == zrangeLex) {
		minidx, maxidx = maxidx, minidx
	}
	var start, end int64
	var r types.ZRange
	if rangetype == zrangeRank {
		if start, end, ok = rangeIndexesOrReply(c, minidx); !ok {
			return
		}
	} else if !zslParseRangeOrReply(c, rangetype == zrangeLex, argv[minidx], argv[maxidx], &r) {
		return
	}
	if withscores || store {
		h.enableScores()
	}
	zobj := c.lookupKeyRead(key)
	if zobj == nil {
		if store {
			h.begin(-1)
			h.finalize(0)
		} else {
			c.addReplyProto(sharedEmptyArray)
		}
		return
	}
	if c.checkType(zobj, TypeZSet) {
		return
	}
	if rangetype == zrangeRank {
		genericZrangebyrankCommand(h, zobj, start, end, reverse)
	} else {
		genericZrangebyrangeCommand(h, &r, zobj, offset, limit, reverse)
	}
}

// ZRANGESTORE dst src min max [BYSCORE|BYLEX] [REV] [LIMIT offset count]
func zrangestoreCommand(c *Client) {
	h := &zrangeHandler{c: c, store: true, dstkey: c.argv[1]}
	zrangeGenericCommand(h, 2, true, zrangeAuto, zrangeDirAuto)
}

// zrangeReplyCommand runs a ZRANGE form that replies with its result.
func zrangeReplyCommand(c *Client, rangetype, direction int) {
	zrangeGenericCommand(&zrangeHandler{c: c}, 1, false, rangetype, direction)
}

// ZRANGE key min max [BYSCORE|BYLEX] [REV] [LIMIT offset count] [WITHSCORES]
func zrangeCommand(c *Client) { zrangeReplyCommand(c, zrangeAuto, zrangeDirAuto) }

// ZREVRANGE key start stop [WITHSCORES]
func zrevrangeCommand(c *Client) { zrangeReplyCommand(c, zrangeRank, zrangeDirReverse) }

// ZRANGEBYSCORE key min max [WITHSCORES] [LIMIT offset count]
func zrangebyscoreCommand(c *Client) { zrangeReplyCommand(c, zrangeScore, zrangeDirForward) }

// ZREVRANGEBYSCORE key max min [WITHSCORES] [LIMIT offset count]
func zrevrangebyscoreCommand(c *Client) { zrangeReplyCommand(c, zrangeScore, zrangeDirReverse) }

// ZRANGEBYLEX key min max [LIMIT offset count]
func zrangebylexCommand(c *Client) { zrangeReplyCommand(c, zrangeLex, zrangeDirForward) }

// ZREVRANGEBYLEX key max min [LIMIT offset count]
func zrevrangebylexCommand(c *Client) { zrangeReplyCommand(c, zrangeLex, zrangeDirReverse) }

// zcountGenericCommand implements ZCOUNT and ZLEXCOUNT.
func zcountGenericCommand(c *Client, lex bool) {
	var r types.ZRange
	if !zslParseRangeOrReply(c, lex, c.argv[2], c.argv[3], &r) {
		return
	}
	zobj := c.lookupKeyReadOrReply(c.argv[1], sharedCZero)
	if zobj == nil || c.checkType(zobj, TypeZSet) {
		return
	}
	count := 0
	if zobj.enc == encListpack {
		_, count = zzlCountInRange(zobj, &r)
	} else {
		zsl := zsetSkiplist(zobj).Zsl
		if zn := zsl.FirstInRange(&r); zn != nil {
			rank := zsl.GetRank(zn.Score, zn.Ele)
			count = zsl.Len() - (rank - 1)
			if zn = zsl.LastInRange(&r); zn != nil {
				rank = zsl.GetRank(zn.Score, zn.Ele)
				count -= zsl.Len() - rank
			}
		}
	}
	c.addReplyInt(int64(count))
}

// ZCOUNT key min max
func zcountCommand(c *Client) { zcountGenericCommand(c, false) }

// ZLEXCOUNT key min max
func zlexcountCommand(c *Client) { zcountGenericCommand(c, true) }

// ZCARD key
func zcardCommand(c *Client) {
	zobj := c.lookupKeyReadOrReply(c.argv[1], sharedCZero)
	if zobj == nil || c.checkType(zobj, TypeZSet) {
		return
	}
	c.addReplyInt(int64(zsetLength(zobj)))
}

// ZSCORE key member
func zscoreCommand(c *Client) {
	zobj := c.lookupKeyReadOrNull(c.argv[1])
	if zobj == nil || c.checkType(zobj, TypeZSet) {
		return
	}
	if score, ok := zsetScore(zobj, c.argv[2]); ok {
		c.addReplyDouble(score)
	} else {
		c.addReplyNull()
	}
}

// ZMSCORE key member [member ...]
func zmscoreCommand(c *Client) {
	zobj := c.lookupKeyRead(c.argv[1])
	if zobj != nil && c.checkType(zobj, TypeZSet) {
		return
	}
	c.addReplyArrayLen(len(c.argv) - 2)
	for _, m := range c.argv[2:] {
		if zobj == nil {
			c.addReplyNull()
		} else if score, ok := zsetScore(zobj, m); ok {
			c.addReplyDouble(score)
		} else {
			c.addReplyNull()
		}
	}
}

// zrankGenericCommand implements ZRANK and ZREVRANK.
func zrankGenericCommand(c *Client, reverse bool) {
	zobj := c.lookupKeyReadOrNull(c.argv[1])
	if zobj == nil || c.checkType(zobj, TypeZSet) {
		return
	}
	if rank := zsetRank(zobj, c.argv[2], reverse); rank >= 0 {
		c.addReplyInt(int64(rank))
	} else {
		c.addReplyNull()
	}
}

// ZRANK key member
func zrankCommand(c *Client) { zrankGenericCommand(c, false) }

// ZREVRANK key member
func zrevrankCommand(c *Client) { zrankGenericCommand(c, true) }

// ZSCAN key cursor [MATCH pattern] [COUNT count]
func zscanCommand(c *Client) { scanCollectionCommand(c, TypeZSet) }

// Ends of a sorted set for the pop commands.
const (
	zsetMin = 0
	zsetMax = 1
)

// genericZpopCommand pops from the first non-empty sorted set of keys, as
// Redis's genericZpopCommand: count -1 is a plain single pop; emitkey adds
// the key name to the reply; nested replies member, score pairs as arrays;
// nilWhenEmpty replies a null (not an empty array) when nothing is popped.
// It returns the key popped from (nil when none) and how many members it
// popped.
func genericZpopCommand(c *Client, keys [][]byte, where int, emitkey bool, count int64, nested, nilWhenEmpty bool) ([]byte, int64) {
	srv := c.srv
	var key []byte
	var zobj *Object
	for _, k := range keys {
		key = k
		zobj = c.lookupKeyWrite(k)
		if zobj == nil {
			continue
		}
		if c.checkType(zobj, TypeZSet) {
			return nil, 0
		}
		break
	}
	if zobj == nil {
		if nilWhenEmpty {
			c.addReplyNullArray()
		} else {
			c.addReplyProto(sharedEmptyArray)
		}
		return nil, 0
	}
	if count == 0 {
		c.addReplyProto(sharedEmptyArray)
		return nil, 0
	}
	if count == -1 {
		count = 1
	}
	llen := int64(zsetLength(zobj))
	rangelen := min(count, llen)
	switch {
	case !nested && !emitkey:
		c.addReplyArrayLen(int(rangelen * 2))
	case nested && !emitkey:
		c.addReplyArrayLen(int(rangelen))
	case !nested && emitkey:
		c.addReplyArrayLen(int(rangelen*2 + 1))
		c.addReplyBulk(key)
	default:
		c.addReplyArrayLen(2)
		c.addReplyBulk(key)
		c.addReplyArrayLen(int(rangelen))
	}
	var buf [24]byte
	for i := int64(0); i < rangelen; i++ {
		it := newZsetCursor(zobj)
		it.seekRank(0, where == zsetMax)
		e := it.elem()
		score := it.score()
		ele := append(buf[:0:0], e.bytes(&buf)...)
		zsetDel(zobj, ele)
		srv.Dirty++
		if i == 0 {
			event := "zpopmin"
			if where == zsetMax {
				event = "zpopmax"
			}
			srv.notifyKeyspaceEvent(notifyZSet, event, key, c.db.id)
			srv.signalModifiedKey(c, c.db, key)
		}
		if nested {
			c.addReplyArrayLen(2)
		}
		c.addReplyBulk(ele)
		c.addReplyDouble(score)
	}
	if zsetLength(zobj) == 0 {
		srv.dbDelete(c.db, key)
		srv.notifyKeyspaceEvent(notifyGeneric, "del", key, c.db.id)
	}
	return key, rangelen
}

// zpopPropagation returns the command a pop from key propagates as:
// ZPOPMIN or ZPOPMAX, with the number popped unless count is -1.
func zpopPropagation(key []byte, where int, count, popped int64) [][]byte {
	name := []byte("ZPOPMIN")
	if where == zsetMax {
		name = []byte("ZPOPMAX")
	}
	if count == -1 {
		return [][]byte{name, key}
	}
	return [][]byte{name, key, strconv.AppendInt(nil, popped, 10)}
}

// zpopMinMaxCommand implements ZPOPMIN and ZPOPMAX.
func zpopMinMaxCommand(c *Client, where int) {
	if len(c.argv) > 3 {
		c.addReplySyntaxError()
		return
	}
	count := int64(-1)
	if len(c.argv) == 3 {
		var ok bool
		if count, ok = getPositiveLongFromArgOrReply(c, c.argv[2], ""); !ok {
			return
		}
	}
	nested := c.resp > 2 && count != -1
	genericZpopCommand(c, c.argv[1:2], where, false, count, nested, false)
}

// ZPOPMIN key [count]
func zpopminCommand(c *Client) { zpopMinMaxCommand(c, zsetMin) }

// ZPOPMAX key [count]
func zpopmaxCommand(c *Client) { zpopMinMaxCommand(c, zsetMax) }

// zmpopGenericCommand implements ZMPOP and BZMPOP; numkeysIdx is the
// position of numkeys.
func zmpopGenericCommand(c *Client, numkeysIdx int, block bool) {
	keys, where, count, ok := mpopArgsOrReply(c, numkeysIdx, [2]string{"min", "max"})
	if !ok {
		return
	}
	if block {
		blockingGenericZpopCommand(c, keys, where, 1, count, true, true)
	} else if key, popped := genericZpopCommand(c, keys, where, true, count, true, true); key != nil {
		// Replicated as ZPOPMIN/ZPOPMAX with a count.
		c.rewriteArgv(zpopPropagation(key, where, count, popped)...)
	}
}

// ZMPOP numkeys key [key ...] MIN|MAX [COUNT count]
func zmpopCommand(c *Client) { zmpopGenericCommand(c, 1, false) }

// BZMPOP timeout numkeys key [key ...] MIN|MAX [COUNT count]
func bzmpopCommand(c *Client) { zmpopGenericCommand(c, 2, true) }

// BZPOPMIN key [key ...] timeout
func bzpopminCommand(c *Client) {
	blockingGenericZpopCommand(c, c.argv[1:len(c.argv)-1], zsetMin, len(c.argv)-1, -1, false, false)
}

// BZPOPMAX key [key ...] timeout
func bzpopmaxCommand(c *Client) {
	blockingGenericZpopCommand(c, c.argv[1:len(c.argv)-1], zsetMax, len(c.argv)-1, -1, false, false)
}

// zrandmemberSubStrategyMul is ZRANDMEMBER_SUB_STRATEGY_MUL.
const zrandmemberSubStrategyMul = 3

// zrandmemberWithCountCommand is ZRANDMEMBER key count [WITHSCORES].
func zrandmemberWithCountCommand(c *Client, l int64, withscores bool) {
	zobj := c.lookupKeyReadOrReply(c.argv[1], sharedEmptyArray)
	if zobj == nil || c.checkType(zobj, TypeZSet) {
		return
	}
	size := int64(zsetLength(zobj))
	uniq := true
	count := l
	if l < 0 {
		count = -l
		uniq = false
	}
	if count == 0 {
		c.addReplyProto(sharedEmptyArray)
		return
	}
	emit := func(e zsetElem, score float64) {
		if withscores && c.resp > 2 {
			c.addReplyArrayLen(2)
		}
		c.addReplyZsetElem(e)
		if withscores {
			c.addReplyDouble(score)
		}
	}
	replyLen := func(n int64) {
		if withscores && c.resp == 2 {
			c.addReplyArrayLen(int(n * 2))
		} else {
			c.addReplyArrayLen(int(n))
		}
	}
	at := func(rank int) (zsetElem, float64) {
		it := newZsetCursor(zobj)
		it.seekRank(rank, false)
		return it.elem(), it.score()
	}
	// Repeats allowed (or one member): sample count times.
	if !uniq || count == 1 {
		replyLen(count)
		if zobj.enc == encSkiplist {
			d := zsetSkiplist(zobj).Dict
			for ; count > 0; count-- {
				k, v := dictFairRandomKey(d)
				emit(zsetElem{b: stringBytes(k)}, *v)
			}
		} else {
			for ; count > 0; count-- {
				e, s := at(rand.IntN(int(size)))
				emit(e, s)
			}
		}
		return
	}
	// The whole set, from the highest rank down (as zuiNext walks it).
	if count >= size {
		replyLen(size)
		it := newZsetCursor(zobj)
		for it.seekRank(0, true); it.valid(); it.prev() {
			emit(it.elem(), it.score())
		}
		return
	}
	replyLen(count)
	if count*zrandmemberSubStrategyMul > size || zobj.enc == encListpack {
		// Close to the whole set (or a small listpack): pick count
		// distinct ranks.
		ranks := rand.Perm(int(size))[:count]
		for _, r := range ranks {
			e, s := at(r)
			emit(e, s)
		}
		return
	}
	d := zsetSkiplist(zobj).Dict
	seen := make(map[string]struct{}, count)
	for int64(len(seen)) < count {
		k, v := dictFairRandomKey(d)
		if _, dup := seen[k]; dup {
			continue
		}
		seen[k] = struct{}{}
		emit(zsetElem{b: stringBytes(k)}, *v)
	}
}

// ZRANDMEMBER key [count [WITHSCORES]]
func zrandmemberCommand(c *Client) {
	if len(c.argv) >= 3 {
		l, ok := getRangeLongFromArgOrReply(c, c.argv[2], -math.MaxInt64, math.MaxInt64, "")
		if !ok {
			return
		}
		withscores := false
		if len(c.argv) > 4 || len(c.argv) == 4 && !optIs(c.argv[3], "withscores") {
			c.addReplySyntaxError()
			return
		} else if len(c.argv) == 4 {
			withscores = true
			if l < -math.MaxInt64/2 || l > math.MaxInt64/2 {
				c.addReplyError("value is out of range")
				return
			}
		}
		zrandmemberWithCountCommand(c, l, withscores)
		return
	}
	zobj := c.lookupKeyReadOrNull(c.argv[1])
	if zobj == nil || c.checkType(zobj, TypeZSet) {
		return
	}
	it := newZsetCursor(zobj)
	if zobj.enc == encSkiplist {
		k, _ := dictFairRandomKey(zsetSkiplist(zobj).Dict)
		c.addReplyBulkString(k)
		return
	}
	it.seekRank(rand.IntN(zsetLength(zobj)), false)
	c.addReplyZsetElem(it.elem())
}

// ---------------------------------------------------------------------------
// The listpack encoding.
//
// zlp is the listpack of a listpack-encoded sorted set: member, score,
// member, score … in rank order, as Redis's zzl* functions keep it. A
// position is the byte offset of a member entry (its score is the next
// entry); -1 means none. Positions are valid until the next change.

type zlp types.Listpack

func (zl *zlp) lp() *types.Listpack { return (*types.Listpack)(zl) }

// zlpScore is a score as the listpack stores it: an integer or its text.
type zlpScore struct {
	s     []byte
	v     int64
	isInt bool
}

// text returns the stored form of the score.
func (s zlpScore) text(buf *[24]byte) []byte {
	if s.isInt {
		return strconv.AppendInt(buf[:0], s.v, 10)
	}
	return s.s
}

func newZlp() *zlp {
	lp := zlp(types.NewListpack(0))
	return &lp
}

// zsetZlp returns the listpack of a listpack-encoded sorted set.
func zsetZlp(o *Object) *zlp { return (*zlp)(o.ptr) }

func (zl *zlp) length() int { return zl.lp().Len() / 2 }

func (zl *zlp) first() int { return zl.lp().First() }

func (zl *zlp) last() int {
	lp := *zl.lp()
	p := lp.Last()
	if p < 0 {
		return -1
	}
	return lp.Prev(p)
}

func (zl *zlp) next(p int) int {
	lp := *zl.lp()
	return lp.Next(lp.Next(p))
}

func (zl *zlp) prev(p int) int {
	lp := *zl.lp()
	sp := lp.Prev(p)
	if sp < 0 {
		return -1
	}
	return lp.Prev(sp)
}

// seek returns the position of the 0-based rank, or -1.
func (zl *zlp) seek(rank int) int {
	if rank < 0 || rank >= zl.length() {
		return -1
	}
	return zl.lp().Seek(2 * rank)
}

// ele returns the member at p: a view of its bytes, or an integer (isInt).
func (zl *zlp) ele(p int) ([]byte, int64, bool) { return zl.lp().Get(p) }

// eleString returns the member at p as a string: a view that is valid
// until the next change, or a new string for an integer member.
func (zl *zlp) eleString(p int) string {
	s, v, isInt := zl.lp().Get(p)
	if isInt {
		return strconv.FormatInt(v, 10)
	}
	return bstr(s)
}

func (zl *zlp) eleEqual(p int, ele []byte) bool { return zl.lp().Equal(p, ele) }

// score returns the score of the pair at p (zzlGetScore).
func (zl *zlp) score(p int) float64 {
	lp := *zl.lp()
	s, v, isInt := lp.Get(lp.Next(p))
	if isInt {
		return float64(v)
	}
	// zzlStrtod: strtod on at most 127 bytes.
	f, _, _ := strtodPrefix(s[:min(len(s), 127)])
	return f
}

func (zl *zlp) rawScore(p int) zlpScore {
	lp := *zl.lp()
	s, v, isInt := lp.Get(lp.Next(p))
	return zlpScore{s: s, v: v, isInt: isInt}
}

// find returns the position of ele, or -1 (zzlFind).
func (zl *zlp) find(ele []byte) int {
	lp := *zl.lp()
	return lp.Find(lp.First(), ele, 1)
}

// zlpScoreText returns the text a listpack stores for score: the integer
// when double2ll accepts it (the listpack then encodes it as an integer),
// else "%.17g".
func zlpScoreText(buf *[32]byte, score float64) []byte {
	if ll, ok := double2ll(score); ok {
		return strconv.AppendInt(buf[:0], ll, 10)
	}
	return proto.FormatDouble(buf[:0], score)
}

// insertAt inserts the pair before the member at p, or appends it when p
// is -1 (zzlInsertAt).
func (zl *zlp) insertAt(p int, ele []byte, score float64) {
	var buf [32]byte
	st := zlpScoreText(&buf, score)
	lp := zl.lp()
	if p < 0 {
		lp.Append(ele)
		lp.Append(st)
		return
	}
	p = lp.Insert(ele, p, types.LpBefore)
	lp.Insert(st, p, types.LpAfter)
}

// insert adds a pair at its rank (zzlInsert); the member must be absent.
func (zl *zlp) insert(ele []byte, score float64) {
	var buf [24]byte
	for p := zl.first(); p >= 0; p = zl.next(p) {
		s := zl.score(p)
		if s > score {
			zl.insertAt(p, ele, score)
			return
		}
		if s == score {
			b, v, isInt := zl.ele(p)
			if isInt {
				b = strconv.AppendInt(buf[:0], v, 10)
			}
			if bstr(b) > bstr(ele) {
				zl.insertAt(p, ele, score)
				return
			}
		}
	}
	zl.insertAt(-1, ele, score)
}

// appendPair adds a pair after the last one (the caller keeps the order).
func (zl *zlp) appendPair(ele []byte, score float64) { zl.insertAt(-1, ele, score) }

func (zl *zlp) deleteAt(p int) { zl.lp().DeleteRangeAt(p, 2) }

// deleteRange deletes n pairs from rank start and returns n.
func (zl *zlp) deleteRange(start, n int) int {
	zl.lp().DeleteRange(2*start, 2*n)
	return n
}

// deleteRangeAt deletes n pairs from the position p on and returns n.
func (zl *zlp) deleteRangeAt(p, n int) int {
	zl.lp().DeleteRangeAt(p, 2*n)
	return n
}

// bytesLen returns the listpack's size in bytes.
func (zl *zlp) bytesLen() int { return len(*zl) }

func (zl *zlp) clone() *zlp {
	c := zlp(slices.Clone(*zl))
	return &c
}

// blockingGenericZpopCommand implements BZPOPMIN, BZPOPMAX and BZMPOP: it
// pops from the first non-empty sorted set of keys, or blocks until one of
// them gets members (see blocking.go). The argument at timeoutIdx is the
// timeout in seconds.
func blockingGenericZpopCommand(c *Client, keys [][]byte, where int, timeoutIdx int, count int64, nested, nilWhenEmpty bool) {
	timeout, ok := c.getTimeoutFromObjectOrReply(c.argv[timeoutIdx], unitSeconds)
	if !ok {
		return
	}
	key, o, ok := c.firstNonEmptyKey(keys, TypeZSet, zsetLength)
	if !ok {
		return
	}
	if o != nil {
		_, popped := genericZpopCommand(c, [][]byte{key}, where, true, count, nested, nilWhenEmpty)
		c.rewriteArgv(zpopPropagation(key, where, count, popped)...)
		return
	}
	// Inside EXEC (or a script) the client cannot block: as a timeout.
	if c.Flags&clientDenyBlocking != 0 {
		c.addReplyNullArray()
		return
	}
	c.srv.blockForKeys(c, blockedZSet, keys, timeout, func(c *Client, key []byte, _ *Object) bool {
		if k, popped := genericZpopCommand(c, [][]byte{key}, where, true, count, nested, nilWhenEmpty); k != nil {
			c.srv.alsoPropagate(c.db.id, zpopPropagation(k, where, count, popped)...)
		}
		return true
	})
}
