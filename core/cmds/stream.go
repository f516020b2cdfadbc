package cmds

import (
	"strconv"
	"time"
	"unsafe"

	"github.com/redisfs/redisfs/core/proto"
	"github.com/redisfs/redisfs/core/types"
)

// Streams and consumer groups, after Redis 7.0's t_stream.c. The stream
// itself (listpack nodes, iteration, trimming, groups and PELs) is
// types.Stream; this file parses the commands, replies, notifies and
// propagates as Redis does.

type streamID = types.StreamID

// streamOf returns the stream held by o.
func streamOf(o *Object) *types.Stream { return (*types.Stream)(o.pointer()) }

// newStreamObject returns an empty stream object.
func newStreamObject() Object {
	return newObject(TypeStream, encStream, unsafe.Pointer(types.NewStream()))
}

// streamDup copies a stream for COPY (streamDup).
func streamDup(o *Object) Object {
	return newObject(TypeStream, encStream, unsafe.Pointer(streamOf(o).Dup()))
}

const errInvalidStreamID = "Invalid stream ID specified as stream command argument"

// strtoull parses s as C's strtoull in base 10 would, requiring the whole
// string to be consumed: leading white space and a sign are accepted (a
// '-' negates, modulo 2^64), overflow fails.
func strtoull(s []byte) (uint64, bool) {
	i := 0
	for i < len(s) && (s[i] == ' ' || s[i] >= '\t' && s[i] <= '\r') {
		i++
	}
	neg := false
	if i < len(s) && (s[i] == '+' || s[i] == '-') {
		neg = s[i] == '-'
		i++
	}
	if i == len(s) {
		return 0, false
	}
	var v uint64
	for ; i < len(s); i++ {
		d := s[i] - '0'
		if d > 9 {
			return 0, false
		}
		if v > (^uint64(0)-uint64(d))/10 {
			return 0, false
		}
		v = v*10 + uint64(d)
	}
	if neg {
		v = -v
	}
	return v, true
}

// string2ull is Redis's string2ull.
func string2ull(s []byte) (uint64, bool) {
	if len(s) == 0 {
		return 0, false
	}
	if v, ok := proto.ParseInt(s); ok {
		if v < 0 {
			return 0, false
		}
		return uint64(v), true
	}
	return strtoull(s)
}

// parseStreamID parses a stream ID as streamGenericParseIDOrReply: "-"
// and "+" (unless strict), "ms" (seq = missingSeq), "ms-seq", and with
// seqGiven non-nil "ms-*" (reported through *seqGiven). c nil: no reply.
func parseStreamID(c *Client, arg []byte, missingSeq uint64, strict bool, seqGiven *bool) (streamID, bool) {
	var id streamID
	if len(arg) > 127 {
		goto invalid
	}
	// The C code works on a NUL-terminated copy.
	for i, b := range arg {
		if b == 0 {
			arg = arg[:i]
			break
		}
	}
	if strict && len(arg) == 1 && (arg[0] == '-' || arg[0] == '+') {
		goto invalid
	}
	if seqGiven != nil {
		*seqGiven = true
	}
	if len(arg) == 1 && arg[0] == '-' {
		return id, true
	}
	if len(arg) == 1 && arg[0] == '+' {
		return types.MaxStreamID, true
	}
	{
		msPart, seqPart, dot := arg, []byte(nil), false
		for i, b := range arg {
			if b == '-' {
				msPart, seqPart, dot = arg[:i], arg[i+1:], true
				break
			}
		}
		ms, ok := string2ull(msPart)
		if !ok {
			goto invalid
		}
		seq := missingSeq
		if dot {
			if seqGiven != nil && len(seqPart) == 1 && seqPart[0] == '*' {
				seq = 0
				*seqGiven = false
			} else if seq, ok = string2ull(seqPart); !ok {
				goto invalid
			}
		}
		return streamID{Ms: ms, Seq: seq}, true
	}
invalid:
	if c != nil {
		c.addReplyError(errInvalidStreamID)
	}
	return id, false
}

// parseIntervalID parses a range bound that may be exclusive ("(id").
func parseIntervalID(c *Client, arg []byte, missingSeq uint64) (id streamID, exclude, ok bool) {
	if len(arg) > 1 && arg[0] == '(' {
		id, ok = parseStreamID(c, arg[1:], missingSeq, true, nil)
		return id, true, ok
	}
	id, ok = parseStreamID(c, arg, missingSeq, false, nil)
	return id, false, ok
}

// addReplyStreamID replies with an ID as a bulk string.
func (c *Client) addReplyStreamID(id streamID) {
	var buf [44]byte
	c.addReplyBulk(id.Append(buf[:0]))
}

func streamIDArg(id streamID) []byte { return id.Append(nil) }

// Flags of streamReplyWithRange (STREAM_RWR_*).
const (
	rwrNoAck = 1 << iota
	rwrRawEntries
	rwrHistory
)

// streamPropInfo names the key and group for the propagation of
// XREADGROUP deliveries.
type streamPropInfo struct {
	key, group []byte
}

// streamReplyWithRange replies with the entries from start to end (at most
// count, 0 = all), delivering them to group/consumer when given, as
// Redis's function of that name. It returns how many it emitted.
func (c *Client) streamReplyWithRange(s *types.Stream, start, end *streamID, count int64, rev bool, group *types.StreamCG, consumer *types.StreamConsumer, flags int, spi *streamPropInfo) int64 {
	if group != nil && flags&rwrHistory != 0 {
		return c.streamReplyWithRangeFromConsumerPEL(s, *start, end, count, consumer)
	}
	var d deferredLen
	if flags&rwrRawEntries == 0 {
		d = c.addReplyDeferredLen()
	}
	noack := flags&rwrNoAck != 0
	propagateLastID := false
	var n int64
	var it types.StreamIterator
	it.Start(s, start, end, rev)
	for {
		id, numfields, ok := it.Next()
		if !ok {
			break
		}
		if group != nil && id.Compare(group.LastID) > 0 {
			if group.EntriesRead != -1 && !streamRangeHasTombstones(s, &id, nil) {
				group.EntriesRead++
			} else if s.EntriesAdded != 0 {
				group.EntriesRead = streamEstimateDistanceFromFirstEverEntry(s, id)
			}
			group.LastID = id
			if noack {
				propagateLastID = true
			}
		}
		c.addReplyArrayLen(2)
		c.addReplyStreamID(id)
		c.addReplyArrayLen(numfields * 2)
		for ; numfields > 0; numfields-- {
			f, v := it.Field()
			c.addReplyEntry(f)
			c.addReplyEntry(v)
		}
		if group != nil && !noack {
			now := c.srv.mstime()
			nack := &types.StreamNACK{DeliveryTime: now, DeliveryCount: 1, Consumer: consumer}
			if !group.PEL.Insert(id, nack) {
				nack = group.PEL.Find(id)
				nack.Consumer.PEL.Delete(id)
				nack.Consumer = consumer
				nack.DeliveryTime = now
				nack.DeliveryCount = 1
				consumer.PEL.Insert(id, nack)
			} else {
				consumer.PEL.Insert(id, nack)
			}
			if spi != nil {
				c.streamPropagateXCLAIM(spi.key, group, spi.group, streamIDArg(id), nack)
			}
		}
		n++
		if count != 0 && count == n {
			break
		}
	}
	if spi != nil && propagateLastID {
		c.streamPropagateGroupID(spi.key, group, spi.group)
	}
	if flags&rwrRawEntries == 0 {
		c.setDeferredArrayLen(d, int(n))
	}
	return n
}

// streamReplyWithRangeFromConsumerPEL replies with the consumer's pending
// entries from start (XREADGROUP with an explicit ID): a deleted entry is
// its ID and a null array.
func (c *Client) streamReplyWithRangeFromConsumerPEL(s *types.Stream, start streamID, end *streamID, count int64, consumer *types.StreamConsumer) int64 {
	d := c.addReplyDeferredLen()
	var n int64
	pel := &consumer.PEL
	for i := pel.Seek(start); i < pel.Len() && (count == 0 || n < count); i++ {
		id, nack := pel.At(i)
		if end != nil && id.Compare(*end) > 0 {
			break
		}
		if c.streamReplyWithRange(s, &id, &id, 1, false, nil, nil, rwrRawEntries, nil) == 0 {
			c.addReplyArrayLen(2)
			c.addReplyStreamID(id)
			c.addReplyNullArray()
		} else {
			nack.DeliveryTime = c.srv.mstime()
			nack.DeliveryCount++
		}
		n++
	}
	c.setDeferredArrayLen(d, int(n))
	return n
}

// streamRangeHasTombstones reports whether the range may hold a deleted
// entry (streamRangeHasTombstones).
func streamRangeHasTombstones(s *types.Stream, start, end *streamID) bool {
	if s.Length == 0 || s.MaxDeletedID.IsZero() {
		return false
	}
	if s.FirstID.Compare(s.MaxDeletedID) > 0 {
		return false
	}
	var st, en streamID
	if start != nil {
		st = *start
	}
	if end != nil {
		en = *end
	} else {
		en = types.MaxStreamID
	}
	return st.Compare(s.MaxDeletedID) <= 0 && s.MaxDeletedID.Compare(en) <= 0
}

// streamEstimateDistanceFromFirstEverEntry returns id's logical read
// counter when it can be known, else -1.
func streamEstimateDistanceFromFirstEverEntry(s *types.Stream, id streamID) int64 {
	if s.EntriesAdded == 0 {
		return 0
	}
	if s.Length == 0 && id.Compare(s.LastID) < 1 {
		return int64(s.EntriesAdded)
	}
	cmpLast := id.Compare(s.LastID)
	if cmpLast == 0 {
		return int64(s.EntriesAdded)
	} else if cmpLast > 0 {
		return -1
	}
	cmpFirst := id.Compare(s.FirstID)
	if s.MaxDeletedID.IsZero() || s.MaxDeletedID.Compare(s.FirstID) < 0 {
		if cmpFirst < 0 {
			return int64(s.EntriesAdded - s.Length)
		} else if cmpFirst == 0 {
			return int64(s.EntriesAdded - s.Length + 1)
		}
	}
	return -1
}

// addReplyCGLag replies with the group's lag, or null when unknown.
func (c *Client) addReplyCGLag(s *types.Stream, g *types.StreamCG) {
	switch {
	case s.EntriesAdded == 0:
		c.addReplyInt(0)
	case g.EntriesRead != -1 && !streamRangeHasTombstones(s, &g.LastID, nil):
		c.addReplyInt(int64(s.EntriesAdded) - g.EntriesRead)
	default:
		if er := streamEstimateDistanceFromFirstEverEntry(s, g.LastID); er != -1 {
			c.addReplyInt(int64(s.EntriesAdded) - er)
		} else {
			c.addReplyNull()
		}
	}
}

// streamPropagateXCLAIM propagates a delivery or claim as an idempotent
// XCLAIM.
func (c *Client) streamPropagateXCLAIM(key []byte, g *types.StreamCG, group, id []byte, nack *types.StreamNACK) {
	var cname []byte
	if nack.Consumer != nil {
		cname = []byte(nack.Consumer.Name)
	}
	c.srv.alsoPropagate(c.db.id, []byte("XCLAIM"), key, group, cname, []byte("0"), id,
		[]byte("TIME"), strconv.AppendInt(nil, nack.DeliveryTime, 10),
		[]byte("RETRYCOUNT"), strconv.AppendUint(nil, nack.DeliveryCount, 10),
		[]byte("FORCE"), []byte("JUSTID"), []byte("LASTID"), streamIDArg(g.LastID))
}

// streamPropagateGroupID propagates the group's last ID.
func (c *Client) streamPropagateGroupID(key []byte, g *types.StreamCG, group []byte) {
	c.srv.alsoPropagate(c.db.id, []byte("XGROUP"), []byte("SETID"), key, group,
		streamIDArg(g.LastID), []byte("ENTRIESREAD"), strconv.AppendInt(nil, g.EntriesRead, 10))
}

// streamPropagateConsumerCreation propagates XGROUP CREATECONSUMER.
func (c *Client) streamPropagateConsumerCreation(key, group []byte, name string) {
	c.srv.alsoPropagate(c.db.id, []byte("XGROUP"), []byte("CREATECONSUMER"), key, group, []byte(name))
}

// streamLookupConsumer finds a consumer, refreshing its seen time unless
// noRefresh.
func (c *Client) streamLookupConsumer(g *types.StreamCG, name []byte, noRefresh bool) *types.StreamConsumer {
	cons := g.LookupConsumer(name)
	if cons != nil && !noRefresh {
		cons.SeenTime = c.srv.mstime()
	}
	return cons
}

// streamCreateConsumer adds a consumer (dirty and notified) or returns nil
// when it exists.
func (c *Client) streamCreateConsumer(g *types.StreamCG, name, key []byte, dbid int) *types.StreamConsumer {
	cons := g.CreateConsumer(string(name), c.srv.mstime())
	if cons == nil {
		return nil
	}
	c.srv.Dirty++
	c.srv.notifyKeyspaceEvent(notifyStream, "xgroup-createconsumer", key, dbid)
	return cons
}

// streamAddTrimArgs are the parsed options of XADD and XTRIM.
type streamAddTrimArgs struct {
	id          streamID
	idGiven     bool
	seqGiven    bool
	noMkstream  bool
	strategy    int
	strategyArg int
	approx      bool
	limit       int64
	maxlen      int64
	minid       streamID
}

// streamParseAddOrTrimArgsOrReply parses the options of XADD (xadd) or
// XTRIM; it returns the index of XADD's ID argument, or -1 after an
// error reply.
func (c *Client) streamParseAddOrTrimArgsOrReply(a *streamAddTrimArgs, xadd bool) int {
	*a = streamAddTrimArgs{}
	argv := c.argv
	i := 2
	limitGiven := false
	for ; i < len(argv); i++ {
		more := len(argv) - 1 - i
		opt := argv[i]
		switch {
		case xadd && len(opt) == 1 && opt[0] == '*':
			goto done
		case equalFoldC(opt, "maxlen") && more > 0:
			if a.strategy != types.TrimNone {
				c.addReplyError("syntax error, MAXLEN and MINID options at the same time are not compatible")
				return -1
			}
			a.approx, i = trimOperator(argv, i, more)
			v, ok := argLongLongOrReply(c, argv[i+1], "")
			if !ok {
				return -1
			}
			a.maxlen = v
			if v < 0 {
				c.addReplyError("The MAXLEN argument must be >= 0.")
				return -1
			}
			i++
			a.strategy = types.TrimMaxLen
			a.strategyArg = i
		case equalFoldC(opt, "minid") && more > 0:
			if a.strategy != types.TrimNone {
				c.addReplyError("syntax error, MAXLEN and MINID options at the same time are not compatible")
				return -1
			}
			a.approx, i = trimOperator(argv, i, more)
			id, ok := parseStreamID(c, argv[i+1], 0, true, nil)
			if !ok {
				return -1
			}
			a.minid = id
			i++
			a.strategy = types.TrimMinID
			a.strategyArg = i
		case equalFoldC(opt, "limit") && more > 0:
			v, ok := argLongLongOrReply(c, argv[i+1], "")
			if !ok {
				return -1
			}
			a.limit = v
			if v < 0 {
				c.addReplyError("The LIMIT argument must be >= 0.")
				return -1
			}
			limitGiven = true
			i++
		case xadd && equalFoldC(opt, "nomkstream"):
			a.noMkstream = true
		case xadd:
			id, ok := parseStreamID(c, opt, 0, true, &a.seqGiven)
			if !ok {
				return -1
			}
			a.id = id
			a.idGiven = true
			goto done
		default:
			c.addReplySyntaxError()
			return -1
		}
	}
done:
	if a.limit != 0 && a.strategy == types.TrimNone {
		c.addReplyError("syntax error, LIMIT cannot be used without specifying a trimming strategy")
		return -1
	}
	if !xadd && a.strategy == types.TrimNone {
		c.addReplyError("syntax error, XTRIM must be called with a trimming strategy")
		return -1
	}
	if c.Flags&clientLoading != 0 {
		// The AOF holds the exact trim (rewritten): no work limit.
		a.limit = 0
	} else if limitGiven {
		if !a.approx {
			c.addReplyError("syntax error, LIMIT cannot be used without the special ~ option")
			return -1
		}
	} else if a.approx {
		a.limit = 100 * c.srv.Config.streamNodeMaxEntries
		if a.limit <= 0 {
			a.limit = 10000
		}
		if a.limit > 1000000 {
			a.limit = 1000000
		}
	} else {
		a.limit = 0
	}
	return i
}

// streamTrimArgs trims s as the parsed options say.
func streamTrimArgs(s *types.Stream, a *streamAddTrimArgs) int64 {
	return s.Trim(a.strategy, a.maxlen, a.minid, a.approx, a.limit)
}

// streamRewriteTrim makes an approximate trim propagate as the exact one
// it did (MAXLEN = <length> or MINID = <first id>), into argv.
func streamRewriteTrim(argv [][]byte, s *types.Stream, a *streamAddTrimArgs) {
	argv[a.strategyArg-1] = []byte("=")
	if a.strategy == types.TrimMaxLen {
		argv[a.strategyArg] = strconv.AppendUint(nil, s.Length, 10)
	} else {
		argv[a.strategyArg] = streamIDArg(s.EdgeID(true, false))
	}
}

// XADD key [NOMKSTREAM] [MAXLEN|MINID [=|~] threshold [LIMIT count]] *|id field value [field value ...]
func xaddCommand(c *Client) {
	srv := c.srv
	var a streamAddTrimArgs
	idpos := c.streamParseAddOrTrimArgsOrReply(&a, true)
	if idpos < 0 {
		return
	}
	fieldPos := idpos + 1
	if n := len(c.argv) - fieldPos; n < 2 || n%2 == 1 {
		c.addReplyErrorArity()
		return
	}
	if a.idGiven && a.seqGiven && a.id.IsZero() {
		c.addReplyError("The ID specified in XADD must be greater than 0-0")
		return
	}
	key := c.argv[1]
	o := c.lookupKeyWrite(key)
	if o != nil && c.checkType(o, TypeStream) {
		return
	}
	if o == nil {
		if a.noMkstream {
			c.addReplyNull()
			return
		}
		o = srv.DBAdd(c.db, key, newStreamObject())
	}
	s := streamOf(o)
	if s.LastID == types.MaxStreamID {
		c.addReplyError("The stream has exhausted the last possible ID, unable to add more items")
		return
	}
	var use *streamID
	seqGiven := a.seqGiven
	if a.idGiven {
		use = &a.id
	} else {
		// streamNextID: the wall clock (not the cached time), or the
		// last ID plus one.
		ms := uint64(time.Now().UnixMilli())
		next := streamID{Ms: ms}
		if ms <= s.LastID.Ms {
			next, _ = s.LastID.Incr()
		}
		use, seqGiven = &next, true
	}
	id, ok, tooLarge := s.AppendItem(c.argv[fieldPos:], use, seqGiven,
		srv.Config.streamNodeMaxBytes, srv.Config.streamNodeMaxEntries)
	if !ok {
		if tooLarge {
			c.addReplyError("Elements are too large to be stored")
		} else {
			c.addReplyError("The ID specified in XADD is equal or smaller than the target stream top item")
		}
		return
	}
	var idbuf [44]byte
	idb := id.Append(idbuf[:0])
	c.addReplyBulk(idb)
	srv.signalModifiedKey(c, c.db, key)
	srv.notifyKeyspaceEvent(notifyStream, "xadd", key, c.db.id)
	srv.Dirty++
	var argv [][]byte
	if a.strategy != types.TrimNone {
		if streamTrimArgs(s, &a) > 0 {
			srv.notifyKeyspaceEvent(notifyStream, "xtrim", key, c.db.id)
		}
		if a.approx && srv.propagating() {
			argv = append(argv, c.argv...)
			streamRewriteTrim(argv, s, &a)
		}
	}
	if (!a.idGiven || !a.seqGiven) && srv.propagating() {
		if argv == nil {
			argv = append(argv, c.argv...)
		}
		argv[idpos] = idb
	}
	if argv != nil {
		c.rewriteArgv(argv...)
	}
	srv.signalKeyAsReady(c.db, key, TypeStream)
}

// xrangeGenericCommand implements XRANGE and XREVRANGE.
func xrangeGenericCommand(c *Client, rev bool) {
	startArg, endArg := c.argv[2], c.argv[3]
	if rev {
		startArg, endArg = endArg, startArg
	}
	start, startEx, ok := parseIntervalID(c, startArg, 0)
	if !ok {
		return
	}
	if startEx {
		if start, ok = start.Incr(); !ok {
			c.addReplyError("invalid start ID for the interval")
			return
		}
	}
	end, endEx, ok := parseIntervalID(c, endArg, ^uint64(0))
	if !ok {
		return
	}
	if endEx {
		if end, ok = end.Decr(); !ok {
			c.addReplyError("invalid end ID for the interval")
			return
		}
	}
	count := int64(-1)
	for j := 4; j < len(c.argv); j++ {
		if equalFoldC(c.argv[j], "count") && len(c.argv)-j-1 >= 1 {
			v, ok := argLongLongOrReply(c, c.argv[j+1], "")
			if !ok {
				return
			}
			count = max(v, 0)
			j++
		} else {
			c.addReplySyntaxError()
			return
		}
	}
	o := c.lookupKeyReadOrReply(c.argv[1], sharedEmptyArray)
	if o == nil || c.checkType(o, TypeStream) {
		return
	}
	if count == 0 {
		c.addReplyNullArray()
		return
	}
	if count == -1 {
		count = 0
	}
	c.streamReplyWithRange(streamOf(o), &start, &end, count, rev, nil, nil, 0, nil)
}

// XRANGE key start end [COUNT count]
func xrangeCommand(c *Client) { xrangeGenericCommand(c, false) }

// XREVRANGE key end start [COUNT count]
func xrevrangeCommand(c *Client) { xrangeGenericCommand(c, true) }

// XLEN key
func xlenCommand(c *Client) {
	o := c.lookupKeyReadOrReply(c.argv[1], sharedCZero)
	if o == nil || c.checkType(o, TypeStream) {
		return
	}
	c.addReplyInt(int64(streamOf(o).Length))
}

// xreadBlockedDefaultCount is XREAD_BLOCKED_DEFAULT_COUNT.
const xreadBlockedDefaultCount = 1000

// xreadBlock is what a client blocked in XREAD/XREADGROUP waits for.
type xreadBlock struct {
	ids      map[string]streamID
	count    int64
	group    []byte
	consumer []byte
	noack    bool
}

// XREAD [COUNT count] [BLOCK milliseconds] STREAMS key [key ...] id [id ...]
// XREADGROUP GROUP group consumer [COUNT count] [BLOCK milliseconds] [NOACK] STREAMS key [key ...] id [id ...]
func xreadCommand(c *Client) {
	srv := c.srv
	argv := c.argv
	timeout := int64(-1)
	var count int64
	streamsArg, streamsCount := 0, 0
	noack := false
	xreadgroup := len(argv[0]) == 10
	var groupname, consumername []byte
	defer c.preventPropagation()
	for i := 1; i < len(argv); i++ {
		more := len(argv) - i - 1
		o := argv[i]
		switch {
		case equalFoldC(o, "block") && more > 0:
			if c.Flags&clientScript != 0 {
				// A script cannot wait (t_stream.c says the same).
				name := "XREAD"
				if xreadgroup {
					name = "XREADGROUP"
				}
				c.addReplyErrorFormat("%s command is not allowed with BLOCK option from scripts", name)
				return
			}
			i++
			t, ok := c.getTimeoutFromObjectOrReply(argv[i], unitMilliseconds)
			if !ok {
				return
			}
			timeout = t
		case equalFoldC(o, "count") && more > 0:
			i++
			v, ok := argLongLongOrReply(c, argv[i], "")
			if !ok {
				return
			}
			count = max(v, 0)
		case equalFoldC(o, "streams") && more > 0:
			streamsArg = i + 1
			streamsCount = len(argv) - streamsArg
			if streamsCount%2 != 0 {
				c.addReplyError("Unbalanced XREAD list of streams: for each stream key an ID or '$' must be specified.")
				return
			}
			streamsCount /= 2
			goto parsed
		case equalFoldC(o, "group") && more >= 2:
			if !xreadgroup {
				c.addReplyError("The GROUP option is only supported by XREADGROUP. You called XREAD instead.")
				return
			}
			groupname, consumername = argv[i+1], argv[i+2]
			i += 2
		case equalFoldC(o, "noack"):
			if !xreadgroup {
				c.addReplyError("The NOACK option is only supported by XREADGROUP. You called XREAD instead.")
				return
			}
			noack = true
		default:
			c.addReplySyntaxError()
			return
		}
	}
parsed:
	if streamsArg == 0 {
		c.addReplySyntaxError()
		return
	}
	if xreadgroup && groupname == nil {
		c.addReplyError("Missing GROUP option for XREADGROUP")
		return
	}
	ids := make([]streamID, streamsCount)
	var groups []*types.StreamCG
	if groupname != nil {
		groups = make([]*types.StreamCG, streamsCount)
	}
	for i := streamsArg + streamsCount; i < len(argv); i++ {
		idx := i - streamsArg - streamsCount
		key := argv[i-streamsCount]
		o := c.lookupKeyRead(key)
		if o != nil && c.checkType(o, TypeStream) {
			return
		}
		if groupname != nil {
			var g *types.StreamCG
			if o != nil {
				g = streamOf(o).LookupCG(groupname)
			}
			if g == nil {
				c.addReplyErrorFormat("-NOGROUP No such key '%s' or consumer group '%s' in XREADGROUP with GROUP option", string(cstr(key)), string(cstr(groupname)))
				return
			}
			groups[idx] = g
		}
		if string(argv[i]) == "$" {
			if xreadgroup {
				c.addReplyError("The $ ID is meaningless in the context of XREADGROUP: you want to read the history of this consumer by specifying a proper ID, or use the > ID to get new messages. The $ ID would just return an empty result set.")
				return
			}
			if o != nil {
				ids[idx] = streamOf(o).LastID
			}
			continue
		} else if string(argv[i]) == ">" {
			if !xreadgroup {
				c.addReplyError("The > ID can be specified only when calling XREADGROUP using the GROUP <group> <consumer> option.")
				return
			}
			ids[idx] = types.MaxStreamID
			continue
		}
		id, ok := parseStreamID(c, argv[i], 0, true, nil)
		if !ok {
			return
		}
		ids[idx] = id
	}
	arraylen := 0
	var d deferredLen
	for i := 0; i < streamsCount; i++ {
		key := argv[streamsArg+i]
		o := c.lookupKeyRead(key)
		if o == nil {
			continue
		}
		s := streamOf(o)
		gt := ids[i]
		serve, history := false, false
		if groups != nil {
			if gt != types.MaxStreamID {
				serve, history = true, true
			} else if s.Length > 0 {
				if s.EdgeID(false, true).Compare(groups[i].LastID) > 0 {
					serve = true
					gt = groups[i].LastID
				}
			}
		} else if s.Length > 0 {
			if s.EdgeID(false, true).Compare(gt) > 0 {
				serve = true
			}
		}
		if !serve {
			continue
		}
		arraylen++
		if arraylen == 1 {
			d = c.addReplyDeferredLen()
		}
		start, _ := gt.Incr()
		if c.resp == 2 {
			c.addReplyArrayLen(2)
		}
		c.addReplyBulk(key)
		var consumer *types.StreamConsumer
		spi := &streamPropInfo{key: key, group: groupname}
		var g *types.StreamCG
		if groups != nil {
			g = groups[i]
			consumer = c.streamLookupConsumer(g, consumername, false)
			if consumer == nil {
				consumer = c.streamCreateConsumer(g, consumername, key, c.db.id)
				if noack {
					c.streamPropagateConsumerCreation(key, groupname, consumer.Name)
				}
			}
		}
		flags := 0
		if noack {
			flags |= rwrNoAck
		}
		if history {
			flags |= rwrHistory
		}
		c.streamReplyWithRange(s, &start, nil, count, false, g, consumer, flags, spi)
		if groups != nil {
			srv.Dirty++
		}
	}
	if arraylen > 0 {
		if c.resp == 2 {
			c.setDeferredArrayLen(d, arraylen)
		} else {
			c.setDeferredMapLen(d, arraylen)
		}
		return
	}
	if timeout != -1 {
		if c.Flags&clientDenyBlocking != 0 {
			c.addReplyNullArray()
			return
		}
		xb := &xreadBlock{ids: make(map[string]streamID, streamsCount), count: count, noack: noack}
		if xb.count == 0 {
			xb.count = xreadBlockedDefaultCount
		}
		keys := argv[streamsArg : streamsArg+streamsCount]
		for i, k := range keys {
			if _, dup := xb.ids[string(k)]; !dup {
				xb.ids[string(k)] = ids[i]
			}
		}
		if groupname != nil {
			xb.group = append([]byte(nil), groupname...)
			xb.consumer = append([]byte(nil), consumername...)
		}
		srv.blockForKeys(c, blockedStream, keys, timeout, xb.serve)
		c.bstate.xreadGroup = groupname != nil
		return
	}
	c.addReplyNullArray()
}

// serve serves a client blocked in XREAD/XREADGROUP on key, as Redis's
// serveClientsBlockedOnStreamKey.
func (xb *xreadBlock) serve(c *Client, key []byte, o *Object) bool {
	s := streamOf(o)
	gt := xb.ids[bstr(key)]
	var g *types.StreamCG
	if xb.group != nil {
		g = s.LookupCG(xb.group)
		if g == nil {
			c.addReplyError("-NOGROUP the consumer group this client was blocked on no longer exists")
			return true
		}
		gt = g.LastID
	}
	if s.LastID.Compare(gt) <= 0 {
		return false
	}
	start, _ := gt.Incr()
	var consumer *types.StreamConsumer
	if g != nil {
		consumer = c.streamLookupConsumer(g, xb.consumer, false)
		if consumer == nil {
			consumer = c.streamCreateConsumer(g, xb.consumer, key, c.db.id)
			if xb.noack {
				c.streamPropagateConsumerCreation(key, xb.group, consumer.Name)
			}
		}
	}
	if c.resp == 2 {
		c.addReplyArrayLen(1)
		c.addReplyArrayLen(2)
	} else {
		c.addReplyMapLen(1)
	}
	c.addReplyBulk(key)
	flags := 0
	if xb.noack {
		flags = rwrNoAck
	}
	c.streamReplyWithRange(s, &start, nil, xb.count, false, g, consumer, flags,
		&streamPropInfo{key: key, group: xb.group})
	return true
}

// unblockDeletedStreamReadgroupClients fails the clients blocked in
// XREADGROUP on a key that is no longer a stream.
func (srv *Server) unblockDeletedStreamReadgroupClients(rk readyKey) {
	bs := &srv.blocking
	if bs.byType[blockedStream] == 0 {
		return
	}
	clients := append([]*Client(nil), bs.keys[rk]...)
	for _, c := range clients {
		st := c.bstate
		if c.Flags&ClientBlocked == 0 || st.btype != blockedStream || !st.xreadGroup {
			continue
		}
		saved := srv.currentClient
		srv.currentClient = c
		errs := srv.Stats.errorReplies
		c.addReplyError("-UNBLOCKED the stream key no longer exists")
		srv.updateStatsOnUnblock(c, 0, srv.Stats.errorReplies != errs, st.argv)
		srv.unblockClient(c, true)
		srv.currentClient = saved
	}
}

var xgroupHelp = []string{
	"CREATE <key> <groupname> <id|$> [option]",
	"    Create a new consumer group. Options are:",
	"    * MKSTREAM",
	"      Create the empty stream if it does not exist.",
	"    * ENTRIESREAD entries_read",
	"      Set the group's entries_read counter (internal use).",
	"CREATECONSUMER <key> <groupname> <consumer>",
	"    Create a new consumer in the specified group.",
	"DELCONSUMER <key> <groupname> <consumer>",
	"    Remove the specified consumer.",
	"DESTROY <key> <groupname>",
	"    Remove the specified group.",
	"SETID <key> <groupname> <id|$> [ENTRIESREAD entries_read]",
	"    Set the current group ID and entries_read counter.",
}

// xgroupCommand implements the XGROUP subcommands, as Redis's single
// xgroupCommand.
//
// XGROUP CREATE key group id|$ [MKSTREAM] [ENTRIESREAD n]
// XGROUP SETID key group id|$ [ENTRIESREAD n]
// XGROUP DESTROY key group
// XGROUP CREATECONSUMER key group consumer
// XGROUP DELCONSUMER key group consumer
// XGROUP HELP
func xgroupCommand(c *Client) {
	srv := c.srv
	argv := c.argv
	opt := argv[1]
	var s *types.Stream
	var grpname []byte
	var cg *types.StreamCG
	mkstream := false
	entriesRead := int64(-1)
	if len(argv) >= 4 {
		create := equalFoldC(opt, "create")
		setid := equalFoldC(opt, "setid")
		for i := 5; i < len(argv); {
			switch {
			case create && equalFoldC(argv[i], "mkstream"):
				mkstream = true
				i++
			case (create || setid) && equalFoldC(argv[i], "entriesread") && i+1 < len(argv):
				v, ok := argLongLongOrReply(c, argv[i+1], "")
				if !ok {
					return
				}
				if v < 0 && v != -1 {
					c.addReplyError("value for ENTRIESREAD must be positive or -1")
					return
				}
				entriesRead = v
				i += 2
			default:
				c.addReplySubcommandSyntaxError()
				return
			}
		}
		if o := c.lookupKeyWrite(argv[2]); o != nil {
			if c.checkType(o, TypeStream) {
				return
			}
			s = streamOf(o)
		}
		grpname = argv[3]
	}
	if len(argv) >= 4 && !mkstream {
		if s == nil {
			c.addReplyError("The XGROUP subcommand requires the key to exist. Note that for CREATE you may want to use the MKSTREAM option to create an empty stream automatically.")
			return
		}
		if cg = s.LookupCG(grpname); cg == nil &&
			(equalFoldC(opt, "setid") || equalFoldC(opt, "createconsumer") || equalFoldC(opt, "delconsumer")) {
			c.addReplyErrorFormat("-NOGROUP No such consumer group '%s' for key name '%s'", string(cstr(grpname)), string(cstr(argv[2])))
			return
		}
	}
	switch {
	case len(argv) == 2 && equalFoldC(opt, "help"):
		c.addReplyHelp(xgroupHelp)
	case equalFoldC(opt, "create") && len(argv) >= 5 && len(argv) <= 8:
		var id streamID
		if string(argv[4]) == "$" {
			if s != nil {
				id = s.LastID
			}
		} else {
			var ok bool
			if id, ok = parseStreamID(c, argv[4], 0, true, nil); !ok {
				return
			}
		}
		if s == nil {
			o := srv.DBAdd(c.db, argv[2], newStreamObject())
			s = streamOf(o)
			srv.signalModifiedKey(c, c.db, argv[2])
		}
		if s.CreateCG(string(grpname), id, entriesRead) != nil {
			c.addReplyOK()
			srv.Dirty++
			srv.notifyKeyspaceEvent(notifyStream, "xgroup-create", argv[2], c.db.id)
		} else {
			c.addReplyError("-BUSYGROUP Consumer Group name already exists")
		}
	case equalFoldC(opt, "setid") && (len(argv) == 5 || len(argv) == 7):
		var id streamID
		if string(argv[4]) == "$" {
			id = s.LastID
		} else {
			var ok bool
			if id, ok = parseStreamID(c, argv[4], 0, false, nil); !ok {
				return
			}
		}
		cg.LastID = id
		cg.EntriesRead = entriesRead
		c.addReplyOK()
		srv.Dirty++
		srv.notifyKeyspaceEvent(notifyStream, "xgroup-setid", argv[2], c.db.id)
	case equalFoldC(opt, "destroy") && len(argv) == 4:
		if cg != nil {
			s.DestroyCG(grpname)
			c.addReplyProto(sharedCOne)
			srv.Dirty++
			srv.notifyKeyspaceEvent(notifyStream, "xgroup-destroy", argv[2], c.db.id)
			srv.signalKeyAsReady(c.db, argv[2], TypeStream)
		} else {
			c.addReplyProto(sharedCZero)
		}
	case equalFoldC(opt, "createconsumer") && len(argv) == 5:
		if c.streamCreateConsumer(cg, argv[4], argv[2], c.db.id) != nil {
			c.addReplyInt(1)
		} else {
			c.addReplyInt(0)
		}
	case equalFoldC(opt, "delconsumer") && len(argv) == 5:
		var pending int64
		if cons := c.streamLookupConsumer(cg, argv[4], true); cons != nil {
			pending = int64(cg.DeleteConsumer(cons))
			srv.Dirty++
			srv.notifyKeyspaceEvent(notifyStream, "xgroup-delconsumer", argv[2], c.db.id)
		}
		c.addReplyInt(pending)
	default:
		c.addReplySubcommandSyntaxError()
	}
}

// XSETID key last-id [ENTRIESADDED entries-added] [MAXDELETEDID max-deleted-id]
func xsetidCommand(c *Client) {
	argv := c.argv
	id, ok := parseStreamID(c, argv[2], 0, true, nil)
	if !ok {
		return
	}
	var maxXdel streamID
	entriesAdded := int64(-1)
	for i := 3; i < len(argv); {
		more := len(argv) - 1 - i
		switch {
		case equalFoldC(argv[i], "entriesadded") && more > 0:
			v, ok := argLongLongOrReply(c, argv[i+1], "")
			if !ok {
				return
			}
			if v < 0 {
				c.addReplyError("entries_added must be positive")
				return
			}
			entriesAdded = v
			i += 2
		case equalFoldC(argv[i], "maxdeletedid") && more > 0:
			v, ok := parseStreamID(c, argv[i+1], 0, true, nil)
			if !ok {
				return
			}
			if id.Compare(v) < 0 {
				c.addReplyError("The ID specified in XSETID is smaller than the provided max_deleted_entry_id")
				return
			}
			maxXdel = v
			i += 2
		default:
			c.addReplySyntaxError()
			return
		}
	}
	o := c.lookupKeyWrite(argv[1])
	if o == nil {
		c.addReplyError(errNoSuchKey)
		return
	}
	if c.checkType(o, TypeStream) {
		return
	}
	s := streamOf(o)
	if s.Length > 0 {
		if id.Compare(s.EdgeID(false, true)) < 0 {
			c.addReplyError("The ID specified in XSETID is smaller than the target stream top item")
			return
		}
		if entriesAdded != -1 && s.Length > uint64(entriesAdded) {
			c.addReplyError("The entries_added specified in XSETID is smaller than the target stream length")
			return
		}
	}
	s.LastID = id
	if entriesAdded != -1 {
		s.EntriesAdded = uint64(entriesAdded)
	}
	if !maxXdel.IsZero() {
		s.MaxDeletedID = maxXdel
	}
	c.addReplyOK()
	c.srv.Dirty++
	c.srv.notifyKeyspaceEvent(notifyStream, "xsetid", argv[1], c.db.id)
}

// XACK key group id [id ...]
func xackCommand(c *Client) {
	var g *types.StreamCG
	o := c.lookupKeyRead(c.argv[1])
	if o != nil {
		if c.checkType(o, TypeStream) {
			return
		}
		g = streamOf(o).LookupCG(c.argv[2])
	}
	if g == nil {
		c.addReplyProto(sharedCZero)
		return
	}
	ids := make([]streamID, 0, len(c.argv)-3)
	for _, a := range c.argv[3:] {
		id, ok := parseStreamID(c, a, 0, true, nil)
		if !ok {
			return
		}
		ids = append(ids, id)
	}
	acked := 0
	for _, id := range ids {
		if nack := g.PEL.Find(id); nack != nil {
			g.PEL.Delete(id)
			nack.Consumer.PEL.Delete(id)
			acked++
			c.srv.Dirty++
		}
	}
	c.addReplyInt(int64(acked))
}

// XPENDING key group [[IDLE min-idle-time] start end count [consumer]]
func xpendingCommand(c *Client) {
	argv := c.argv
	justinfo := len(argv) == 3
	key, groupname := argv[1], argv[2]
	var consumername []byte
	var start, end streamID
	var count, minidle int64
	if len(argv) != 3 && (len(argv) < 6 || len(argv) > 9) {
		c.addReplySyntaxError()
		return
	}
	if len(argv) >= 6 {
		startidx := 3
		if equalFoldC(argv[3], "idle") {
			v, ok := argLongLongOrReply(c, argv[4], "")
			if !ok {
				return
			}
			minidle = v
			if len(argv) < 8 {
				c.addReplySyntaxError()
				return
			}
			startidx += 2
		}
		v, ok := argLongLongOrReply(c, argv[startidx+2], "")
		if !ok {
			return
		}
		count = max(v, 0)
		var ex bool
		if start, ex, ok = parseIntervalID(c, argv[startidx], 0); !ok {
			return
		}
		if ex {
			if start, ok = start.Incr(); !ok {
				c.addReplyError("invalid start ID for the interval")
				return
			}
		}
		if end, ex, ok = parseIntervalID(c, argv[startidx+1], ^uint64(0)); !ok {
			return
		}
		if ex {
			if end, ok = end.Decr(); !ok {
				c.addReplyError("invalid end ID for the interval")
				return
			}
		}
		if startidx+3 < len(argv) {
			consumername = argv[startidx+3]
		}
	}
	o := c.lookupKeyRead(key)
	if o != nil && c.checkType(o, TypeStream) {
		return
	}
	var g *types.StreamCG
	if o != nil {
		g = streamOf(o).LookupCG(groupname)
	}
	if g == nil {
		c.addReplyErrorFormat("-NOGROUP No such key '%s' or consumer group '%s'", string(cstr(key)), string(cstr(groupname)))
		return
	}
	if justinfo {
		c.addReplyArrayLen(4)
		c.addReplyInt(int64(g.PEL.Len()))
		if g.PEL.Len() == 0 {
			c.addReplyNull()
			c.addReplyNull()
			c.addReplyNullArray()
			return
		}
		first, _ := g.PEL.At(0)
		last, _ := g.PEL.At(g.PEL.Len() - 1)
		c.addReplyStreamID(first)
		c.addReplyStreamID(last)
		d := c.addReplyDeferredLen()
		n := 0
		for _, cons := range g.Consumers {
			if cons.PEL.Len() == 0 {
				continue
			}
			c.addReplyArrayLen(2)
			c.addReplyBulkString(cons.Name)
			c.addReplyBulkInt(int64(cons.PEL.Len()))
			n++
		}
		c.setDeferredArrayLen(d, n)
		return
	}
	pel := &g.PEL
	if consumername != nil {
		cons := c.streamLookupConsumer(g, consumername, true)
		if cons == nil {
			c.addReplyArrayLen(0)
			return
		}
		pel = &cons.PEL
	}
	now := c.srv.mstime()
	d := c.addReplyDeferredLen()
	n := 0
	for i := pel.Seek(start); count > 0 && i < pel.Len(); i++ {
		id, nack := pel.At(i)
		if id.Compare(end) > 0 {
			break
		}
		if minidle != 0 && now-nack.DeliveryTime < minidle {
			continue
		}
		n++
		count--
		c.addReplyArrayLen(4)
		c.addReplyStreamID(id)
		c.addReplyBulkString(nack.Consumer.Name)
		c.addReplyInt(max(now-nack.DeliveryTime, 0))
		c.addReplyInt(int64(nack.DeliveryCount))
	}
	c.setDeferredArrayLen(d, n)
}

// XCLAIM key group consumer min-idle-time id [id ...] [IDLE ms] [TIME unix-time-milliseconds] [RETRYCOUNT count] [FORCE] [JUSTID] [LASTID lastid]
func xclaimCommand(c *Client) {
	srv := c.srv
	argv := c.argv
	var g *types.StreamCG
	o := c.lookupKeyRead(argv[1])
	if o != nil {
		if c.checkType(o, TypeStream) {
			return
		}
		g = streamOf(o).LookupCG(argv[2])
	}
	if g == nil {
		c.addReplyErrorFormat("-NOGROUP No such key '%s' or consumer group '%s'", string(cstr(argv[1])), string(cstr(argv[2])))
		return
	}
	s := streamOf(o)
	minidle, ok := argLongLongOrReply(c, argv[4], "Invalid min-idle-time argument for XCLAIM")
	if !ok {
		return
	}
	minidle = max(minidle, 0)
	retrycount := int64(-1)
	deliverytime := int64(-1)
	force, justid := false, false
	var ids []streamID
	j := 5
	for ; j < len(argv); j++ {
		id, ok := parseStreamID(nil, argv[j], 0, true, nil)
		if !ok {
			break
		}
		ids = append(ids, id)
	}
	now := srv.mstime()
	var lastID streamID
	propagateLastID := false
	for ; j < len(argv); j++ {
		more := len(argv) - 1 - j
		opt := argv[j]
		switch {
		case equalFoldC(opt, "force"):
			force = true
		case equalFoldC(opt, "justid"):
			justid = true
		case equalFoldC(opt, "idle") && more > 0:
			j++
			v, ok := argLongLongOrReply(c, argv[j], "Invalid IDLE option argument for XCLAIM")
			if !ok {
				return
			}
			deliverytime = now - v
		case equalFoldC(opt, "time") && more > 0:
			j++
			v, ok := argLongLongOrReply(c, argv[j], "Invalid TIME option argument for XCLAIM")
			if !ok {
				return
			}
			deliverytime = v
		case equalFoldC(opt, "retrycount") && more > 0:
			j++
			v, ok := argLongLongOrReply(c, argv[j], "Invalid RETRYCOUNT option argument for XCLAIM")
			if !ok {
				return
			}
			retrycount = v
		case equalFoldC(opt, "lastid") && more > 0:
			j++
			v, ok := parseStreamID(c, argv[j], 0, true, nil)
			if !ok {
				return
			}
			lastID = v
		default:
			c.addReplyErrorFormat("Unrecognized XCLAIM option '%s'", string(cstr(opt)))
			return
		}
	}
	if lastID.Compare(g.LastID) > 0 {
		g.LastID = lastID
		propagateLastID = true
	}
	if deliverytime != -1 {
		if deliverytime < 0 || deliverytime > now {
			deliverytime = now
		}
	} else {
		deliverytime = now
	}
	var consumer *types.StreamConsumer
	d := c.addReplyDeferredLen()
	n := 0
	for k, id := range ids {
		idArg := argv[5+k]
		nack := g.PEL.Find(id)
		if !s.EntryExists(id) {
			if nack != nil {
				c.streamPropagateXCLAIM(argv[1], g, argv[2], idArg, nack)
				propagateLastID = false
				srv.Dirty++
				g.PEL.Delete(id)
				nack.Consumer.PEL.Delete(id)
			}
			continue
		}
		if force && nack == nil {
			nack = &types.StreamNACK{DeliveryTime: now, DeliveryCount: 1}
			g.PEL.Insert(id, nack)
		}
		if nack == nil {
			continue
		}
		if nack.Consumer != nil && minidle != 0 && now-nack.DeliveryTime < minidle {
			continue
		}
		if consumer == nil {
			if consumer = c.streamLookupConsumer(g, argv[3], false); consumer == nil {
				consumer = c.streamCreateConsumer(g, argv[3], argv[1], c.db.id)
			}
		}
		if nack.Consumer != consumer && nack.Consumer != nil {
			nack.Consumer.PEL.Delete(id)
		}
		nack.DeliveryTime = deliverytime
		if retrycount >= 0 {
			nack.DeliveryCount = uint64(retrycount)
		} else if !justid {
			nack.DeliveryCount++
		}
		if nack.Consumer != consumer {
			consumer.PEL.Insert(id, nack)
			nack.Consumer = consumer
		}
		if justid {
			c.addReplyStreamID(id)
		} else {
			c.streamReplyWithRange(s, &id, &id, 1, false, nil, nil, rwrRawEntries, nil)
		}
		n++
		c.streamPropagateXCLAIM(argv[1], g, argv[2], idArg, nack)
		propagateLastID = false
		srv.Dirty++
	}
	if propagateLastID {
		c.streamPropagateGroupID(argv[1], g, argv[2])
		srv.Dirty++
	}
	c.setDeferredArrayLen(d, n)
	c.preventPropagation()
}

// XAUTOCLAIM key group consumer min-idle-time start [COUNT count] [JUSTID]
func xautoclaimCommand(c *Client) {
	srv := c.srv
	argv := c.argv
	o := c.lookupKeyRead(argv[1])
	minidle, ok := argLongLongOrReply(c, argv[4], "Invalid min-idle-time argument for XAUTOCLAIM")
	if !ok {
		return
	}
	minidle = max(minidle, 0)
	start, ex, ok := parseIntervalID(c, argv[5], 0)
	if !ok {
		return
	}
	if ex {
		if start, ok = start.Incr(); !ok {
			c.addReplyError("invalid start ID for the interval")
			return
		}
	}
	count := int64(100)
	justid := false
	for j := 6; j < len(argv); j++ {
		more := len(argv) - 1 - j
		switch {
		case equalFoldC(argv[j], "count") && more > 0:
			v, ok := getRangeLongFromArgOrReply(c, argv[j+1], 1, (1<<63-1)/16, "COUNT must be > 0")
			if !ok {
				return
			}
			count = v
			j++
		case equalFoldC(argv[j], "justid"):
			justid = true
		default:
			c.addReplySyntaxError()
			return
		}
	}
	var g *types.StreamCG
	if o != nil {
		if c.checkType(o, TypeStream) {
			return
		}
		g = streamOf(o).LookupCG(argv[2])
	}
	if g == nil {
		c.addReplyErrorFormat("-NOGROUP No such key '%s' or consumer group '%s'", string(cstr(argv[1])), string(cstr(argv[2])))
		return
	}
	s := streamOf(o)
	var deleted []streamID
	var consumer *types.StreamConsumer
	attempts := count * 10
	c.addReplyArrayLen(3)
	dEnd := c.addReplyDeferredLen()
	dArr := c.addReplyDeferredLen()
	n := 0
	now := srv.mstime()
	i := g.PEL.Seek(start)
	for ; attempts > 0 && count > 0 && i < g.PEL.Len(); attempts-- {
		id, nack := g.PEL.At(i)
		if !s.EntryExists(id) {
			c.streamPropagateXCLAIM(argv[1], g, argv[2], streamIDArg(id), nack)
			srv.Dirty++
			g.PEL.Delete(id)
			nack.Consumer.PEL.Delete(id)
			deleted = append(deleted, id)
			count--
			continue
		}
		i++
		if minidle != 0 && now-nack.DeliveryTime < minidle {
			continue
		}
		if consumer == nil {
			if consumer = c.streamLookupConsumer(g, argv[3], false); consumer == nil {
				consumer = c.streamCreateConsumer(g, argv[3], argv[1], c.db.id)
			}
		}
		if nack.Consumer != consumer && nack.Consumer != nil {
			nack.Consumer.PEL.Delete(id)
		}
		nack.DeliveryTime = now
		if !justid {
			nack.DeliveryCount++
		}
		if nack.Consumer != consumer {
			consumer.PEL.Insert(id, nack)
			nack.Consumer = consumer
		}
		if justid {
			c.addReplyStreamID(id)
		} else {
			c.streamReplyWithRange(s, &id, &id, 1, false, nil, nil, rwrRawEntries, nil)
		}
		n++
		count--
		c.streamPropagateXCLAIM(argv[1], g, argv[2], streamIDArg(id), nack)
		srv.Dirty++
	}
	var endID streamID
	if i < g.PEL.Len() {
		endID, _ = g.PEL.At(i)
	}
	c.setDeferredArrayLen(dArr, n)
	if c.replying() && dEnd.valid {
		var buf [64]byte
		c.setDeferred(dEnd, proto.AppendBulk(buf[:0], streamIDArg(endID)))
	}
	c.addReplyArrayLen(len(deleted))
	for _, id := range deleted {
		c.addReplyStreamID(id)
	}
	c.preventPropagation()
}

// XDEL key id [id ...]
func xdelCommand(c *Client) {
	srv := c.srv
	o := c.lookupKeyWriteOrReply(c.argv[1], sharedCZero)
	if o == nil || c.checkType(o, TypeStream) {
		return
	}
	s := streamOf(o)
	ids := make([]streamID, 0, len(c.argv)-2)
	for _, a := range c.argv[2:] {
		id, ok := parseStreamID(c, a, 0, true, nil)
		if !ok {
			return
		}
		ids = append(ids, id)
	}
	deleted := 0
	first := false
	for _, id := range ids {
		if s.DeleteID(id) {
			if id == s.FirstID {
				first = true
			}
			if id.Compare(s.MaxDeletedID) > 0 {
				s.MaxDeletedID = id
			}
			deleted++
		}
	}
	if deleted > 0 {
		if s.Length == 0 {
			s.FirstID = streamID{}
		} else if first {
			s.FirstID = s.EdgeID(true, true)
		}
		srv.signalModifiedKey(c, c.db, c.argv[1])
		srv.notifyKeyspaceEvent(notifyStream, "xdel", c.argv[1], c.db.id)
		srv.Dirty += int64(deleted)
	}
	c.addReplyInt(int64(deleted))
}

// XTRIM key MAXLEN|MINID [=|~] threshold [LIMIT count]
func xtrimCommand(c *Client) {
	srv := c.srv
	var a streamAddTrimArgs
	if c.streamParseAddOrTrimArgsOrReply(&a, false) < 0 {
		return
	}
	o := c.lookupKeyWriteOrReply(c.argv[1], sharedCZero)
	if o == nil || c.checkType(o, TypeStream) {
		return
	}
	s := streamOf(o)
	deleted := streamTrimArgs(s, &a)
	if deleted > 0 {
		srv.notifyKeyspaceEvent(notifyStream, "xtrim", c.argv[1], c.db.id)
		if a.approx && srv.propagating() {
			argv := append([][]byte(nil), c.argv...)
			streamRewriteTrim(argv, s, &a)
			c.rewriteArgv(argv...)
		}
		srv.signalModifiedKey(c, c.db, c.argv[1])
		srv.Dirty += deleted
	}
	c.addReplyInt(deleted)
}

// streamRaxNodes returns how many nodes Redis's radix tree would have
// with the stream's node keys (16-byte big-endian master IDs), for XINFO's
// radix-tree-nodes and MEMORY USAGE.
func streamRaxNodes(s *types.Stream) int64 {
	keys := make([][16]byte, s.Nodes())
	for i := range keys {
		m, _ := s.Node(i)
		m.AppendRaw(keys[i][:0])
	}
	return raxNodes(keys)
}

// pelRaxNodes is streamRaxNodes for a PEL.
func pelRaxNodes(p *types.PEL) int64 {
	keys := make([][16]byte, p.Len())
	for i := range keys {
		id, _ := p.At(i)
		id.AppendRaw(keys[i][:0])
	}
	return raxNodes(keys)
}

// raxNodes counts the nodes of a rax holding the sorted, distinct keys
// (all 16 bytes, so none is a prefix of another): the root, every child
// of a branching position, and the end of every chain of single children
// (a compressed node and what follows it).
func raxNodes(keys [][16]byte) int64 {
	if len(keys) == 0 {
		return 1
	}
	var count func(lo, hi, depth int) int64
	count = func(lo, hi, depth int) int64 {
		if hi-lo == 1 {
			if depth == 16 {
				return 1
			}
			return 2
		}
		l := depth
		for l < 16 && keys[lo][l] == keys[hi-1][l] {
			l++
		}
		if l > depth {
			return 1 + count(lo, hi, l)
		}
		n := int64(1)
		for i := lo; i < hi; {
			j := i + 1
			for j < hi && keys[j][depth] == keys[i][depth] {
				j++
			}
			n += count(i, j, depth+1)
			i = j
		}
		return n
	}
	return count(0, len(keys), 0)
}

var xinfoHelp = []string{
	"CONSUMERS <key> <groupname>",
	"    Show consumers of <groupname>.",
	"GROUPS <key>",
	"    Show the stream consumer groups.",
	"STREAM <key> [FULL [COUNT <count>]",
	"    Show information about the stream.",
}

// xinfoCommand implements the XINFO subcommands, as Redis's single
// xinfoCommand.
//
// XINFO STREAM key [FULL [COUNT count]]
// XINFO GROUPS key
// XINFO CONSUMERS key group
// XINFO HELP
func xinfoCommand(c *Client) {
	argv := c.argv
	if equalFoldC(argv[1], "help") {
		if len(argv) != 2 {
			c.addReplySubcommandSyntaxError()
			return
		}
		c.addReplyHelp(xinfoHelp)
		return
	} else if len(argv) < 3 {
		c.addReplySubcommandSyntaxError()
		return
	}
	opt, key := argv[1], argv[2]
	o := c.lookupKeyRead(key)
	if o == nil {
		c.addReplyError(errNoSuchKey)
		return
	}
	if c.checkType(o, TypeStream) {
		return
	}
	s := streamOf(o)
	switch {
	case equalFoldC(opt, "consumers") && len(argv) == 4:
		g := s.LookupCG(argv[3])
		if g == nil {
			c.addReplyErrorFormat("-NOGROUP No such consumer group '%s' for key name '%s'", string(cstr(argv[3])), string(cstr(key)))
			return
		}
		c.addReplyArrayLen(len(g.Consumers))
		now := c.srv.mstime()
		for _, cons := range g.Consumers {
			c.addReplyMapLen(3)
			c.addReplyBulkString("name")
			c.addReplyBulkString(cons.Name)
			c.addReplyBulkString("pending")
			c.addReplyInt(int64(cons.PEL.Len()))
			c.addReplyBulkString("idle")
			c.addReplyInt(max(now-cons.SeenTime, 0))
		}
	case equalFoldC(opt, "groups") && len(argv) == 3:
		c.addReplyArrayLen(len(s.Groups))
		for _, g := range s.Groups {
			c.addReplyMapLen(6)
			c.addReplyBulkString("name")
			c.addReplyBulkString(g.Name)
			c.addReplyBulkString("consumers")
			c.addReplyInt(int64(len(g.Consumers)))
			c.addReplyBulkString("pending")
			c.addReplyInt(int64(g.PEL.Len()))
			c.addReplyBulkString("last-delivered-id")
			c.addReplyStreamID(g.LastID)
			c.addReplyBulkString("entries-read")
			if g.EntriesRead != -1 {
				c.addReplyInt(g.EntriesRead)
			} else {
				c.addReplyNull()
			}
			c.addReplyBulkString("lag")
			c.addReplyCGLag(s, g)
		}
	case equalFoldC(opt, "stream"):
		c.xinfoReplyWithStreamInfo(s)
	default:
		c.addReplySubcommandSyntaxError()
	}
}

// xinfoReplyWithStreamInfo replies to XINFO STREAM [FULL [COUNT n]].
func (c *Client) xinfoReplyWithStreamInfo(s *types.Stream) {
	opts := c.argv[3:]
	full := len(opts) > 0
	count := int64(10)
	if full {
		if len(opts) != 1 && len(opts) != 3 || !equalFoldC(opts[0], "full") {
			c.addReplySubcommandSyntaxError()
			return
		}
		if len(opts) == 3 {
			if !equalFoldC(opts[1], "count") {
				c.addReplySubcommandSyntaxError()
				return
			}
			v, ok := argLongLongOrReply(c, opts[2], "")
			if !ok {
				return
			}
			count = v
			if count < 0 {
				count = 10
			}
		}
	}
	if full {
		c.addReplyMapLen(9)
	} else {
		c.addReplyMapLen(10)
	}
	c.addReplyBulkString("length")
	c.addReplyInt(int64(s.Length))
	c.addReplyBulkString("radix-tree-keys")
	c.addReplyInt(int64(s.Nodes()))
	c.addReplyBulkString("radix-tree-nodes")
	c.addReplyInt(streamRaxNodes(s))
	c.addReplyBulkString("last-generated-id")
	c.addReplyStreamID(s.LastID)
	c.addReplyBulkString("max-deleted-entry-id")
	c.addReplyStreamID(s.MaxDeletedID)
	c.addReplyBulkString("entries-added")
	c.addReplyInt(int64(s.EntriesAdded))
	c.addReplyBulkString("recorded-first-entry-id")
	c.addReplyStreamID(s.FirstID)
	if !full {
		c.addReplyBulkString("groups")
		c.addReplyInt(int64(len(s.Groups)))
		start, end := streamID{}, types.MaxStreamID
		c.addReplyBulkString("first-entry")
		if c.streamReplyWithRange(s, &start, &end, 1, false, nil, nil, rwrRawEntries, nil) == 0 {
			c.addReplyNull()
		}
		c.addReplyBulkString("last-entry")
		if c.streamReplyWithRange(s, &start, &end, 1, true, nil, nil, rwrRawEntries, nil) == 0 {
			c.addReplyNull()
		}
		return
	}
	c.addReplyBulkString("entries")
	c.streamReplyWithRange(s, nil, nil, count, false, nil, nil, 0, nil)
	c.addReplyBulkString("groups")
	c.addReplyArrayLen(len(s.Groups))
	for _, g := range s.Groups {
		c.addReplyMapLen(7)
		c.addReplyBulkString("name")
		c.addReplyBulkString(g.Name)
		c.addReplyBulkString("last-delivered-id")
		c.addReplyStreamID(g.LastID)
		c.addReplyBulkString("entries-read")
		if g.EntriesRead != -1 {
			c.addReplyInt(g.EntriesRead)
		} else {
			c.addReplyNull()
		}
		c.addReplyBulkString("lag")
		c.addReplyCGLag(s, g)
		c.addReplyBulkString("pel-count")
		c.addReplyInt(int64(g.PEL.Len()))
		c.addReplyBulkString("pending")
		d := c.addReplyDeferredLen()
		n := 0
		for i := 0; i < g.PEL.Len() && (count == 0 || int64(n) < count); i++ {
			id, nack := g.PEL.At(i)
			c.addReplyArrayLen(4)
			c.addReplyStreamID(id)
			c.addReplyBulkString(nack.Consumer.Name)
			c.addReplyInt(nack.DeliveryTime)
			c.addReplyInt(int64(nack.DeliveryCount))
			n++
		}
		c.setDeferredArrayLen(d, n)
		c.addReplyBulkString("consumers")
		c.addReplyArrayLen(len(g.Consumers))
		for _, cons := range g.Consumers {
			c.addReplyMapLen(4)
			c.addReplyBulkString("name")
			c.addReplyBulkString(cons.Name)
			c.addReplyBulkString("seen-time")
			c.addReplyInt(cons.SeenTime)
			c.addReplyBulkString("pel-count")
			c.addReplyInt(int64(cons.PEL.Len()))
			c.addReplyBulkString("pending")
			d := c.addReplyDeferredLen()
			n := 0
			for i := 0; i < cons.PEL.Len() && (count == 0 || int64(n) < count); i++ {
				id, nack := cons.PEL.At(i)
				c.addReplyArrayLen(3)
				c.addReplyStreamID(id)
				c.addReplyInt(nack.DeliveryTime)
				c.addReplyInt(int64(nack.DeliveryCount))
				n++
			}
			c.setDeferredArrayLen(d, n)
		}
	}
}

// streamObjectSize estimates MEMORY USAGE of a stream as Redis's
// objectComputeSize: the robj and stream structs (16 + 80 bytes), the rax
// estimate (streamRadixTreeMemoryUsage), the listpacks' allocations
// (sampled) and the groups' PELs and consumers.
func streamObjectSize(o *Object, samples int64) int64 {
	s := streamOf(o)
	raxUsage := func(numele, numnodes int64) int64 {
		return numele*16 + numnodes*4 + numnodes*8*30
	}
	size := int64(sizeofRobj + 80)
	nodes := int64(s.Nodes())
	size += raxUsage(nodes, streamRaxNodes(s))
	lpAlloc := func(i int) int64 { return jemallocSize(int64(s.NodeAlloc(i))) }
	var lpsize, sampled int64
	for i := 0; i < s.Nodes() && sampled < samples; i++ {
		lpsize += lpAlloc(i)
		sampled++
	}
	if nodes <= sampled {
		size += lpsize
	} else {
		if sampled > 0 {
			lpsize /= sampled
		}
		size += lpsize*(nodes-1) + lpAlloc(s.Nodes()-1)
	}
	for _, g := range s.Groups {
		size += 40 // streamCG
		size += raxUsage(int64(g.PEL.Len()), pelRaxNodes(&g.PEL)) + 24*int64(g.PEL.Len())
		for _, cons := range g.Consumers {
			size += 24 + int64(len(cons.Name)) // streamConsumer and its name
			size += raxUsage(int64(cons.PEL.Len()), pelRaxNodes(&cons.PEL))
		}
	}
	return size
}

// scanDatabaseForDeletedStreams signals the keys of emptied that blocked
// clients wait on and that hold a stream which replacedWith (the keys
// that take their place, nil for a flush) does not, so that XREADGROUP
// clients blocked on them fail (scanDatabaseForDeletedStreams).
func (srv *Server) scanDatabaseForDeletedStreams(emptied *DB, replacedWith *types.Dict[Object]) {
	bs := &srv.blocking
	if bs.byType[blockedStream] == 0 {
		return
	}
	for rk := range bs.keys {
		if rk.dbid != emptied.id {
			continue
		}
		was := emptied.Dict.Find(rk.key)
		if was == nil || was.typ != TypeStream {
			continue
		}
		if replacedWith != nil {
			if is := replacedWith.Find(rk.key); is != nil && is.typ == TypeStream {
				continue
			}
		}
		srv.signalKeyAsReady(emptied, stringBytes(rk.key), TypeStream)
	}
}

// streamDigest mixes a stream into a DEBUG DIGEST: entry by entry in ID
// order, "<ms>.<seq>", then each field and value (groups are not part of
// it, as in Redis).
func streamDigest(o *Object, d *digest) {
	var it types.StreamIterator
	it.Start(streamOf(o), nil, nil, false)
	var buf []byte
	for {
		id, n, ok := it.Next()
		if !ok {
			return
		}
		buf = strconv.AppendUint(buf[:0], id.Ms, 10)
		buf = append(buf, '.')
		d.mix(strconv.AppendUint(buf, id.Seq, 10))
		for ; n > 0; n-- {
			f, v := it.Field()
			d.mix(f.Append(buf[:0]))
			d.mix(v.Append(buf[:0]))
		}
	}
}

// trimOperator reads the optional "~" or "=" after MAXLEN/MINID at argv[i]
// (with more arguments after it): whether the trim is approximate, and the
// index of the last argument consumed.
func trimOperator(argv [][]byte, i, more int) (approx bool, last int) {
	if next := argv[i+1]; more >= 2 && len(next) == 1 && (next[0] == '~' || next[0] == '=') {
		return next[0] == '~', i + 1
	}
	return false, i
}
