package cmds

import (
	"container/heap"
	"math/big"
	"time"

	"github.com/redisfs/redisfs/core/proto"
)

// Blocking operations on keys, after Redis 7.0's blocked.c: BLPOP and the
// other blocking list commands here, BZPOPMIN/BZPOPMAX/BZMPOP (zset.go) and
// XREAD/XREADGROUP BLOCK (streams) use the same machinery.
//
// The API, for a blocking command:
//
//  1. Parse the timeout with c.getTimeoutFromObjectOrReply(arg, unitSeconds)
//     (unitMilliseconds for XREAD BLOCK): it replies Redis's errors and
//     returns an absolute unix time in ms, 0 meaning "forever".
//  2. Try to serve the command at once, as its non-blocking variant would.
//  3. If nothing could be served: when c.Flags&clientDenyBlocking is set
//     (inside EXEC, scripts) reply as a timeout would (a null array, or
//     what the command's non-blocking form replies) and return; otherwise
//     call srv.blockForKeys(c, btype, keys, timeout, serve) and return
//     without replying. keys are copied; duplicates are ignored.
//  4. serve is called later, on the loop, once for a key of the client's
//     database that a command made ready (created, or pushed to: see
//     signalKeyAsReady) and that holds a value of the type btype waits for
//     (blockedList: a list …). It runs after the command that made the key
//     ready completed (processCommand's aftermath, or beforeSleep), with
//     the keyspace as any command sees it. It replies to c and changes the
//     keyspace and notifications as the command would have (Dirty and
//     signalModifiedKey only where Redis's serving code does them: BLPOP
//     served does neither, the push that woke it did), propagates what it
//     did with srv.alsoPropagate (LPOP for BLPOP …: the serving is one
//     execution unit of its own), and returns true when c was served (c is
//     then unblocked) or false to keep c blocked (a stream with nothing
//     newer than the requested ID). Clients blocked on a key are offered it
//     in the order they blocked; once the key is gone (its last element was
//     popped) the rest wait.
//  5. On timeout the client gets a null array (*-1, or _ in RESP3) and is
//     unblocked; a client that disconnects is unblocked silently.
//
// Served at once (step 2), a blocking command propagates as its
// non-blocking form (c.rewriteArgv: BLPOP → LPOP, BLMOVE → LMOVE …).
//
// DBAdd calls srv.signalKeyAsReady(db, key, type) for every new key (cheap
// when nobody waits). That is all lists and sorted sets need: their
// clients block only on missing keys. A command that adds to an existing
// value others may wait on (XADD: XREAD BLOCK waits on existing streams)
// calls srv.signalKeyAsReady itself; one that revives keys wholesale
// (SWAPDB) calls srv.scanDatabaseForReadyKeys. CLIENT UNBLOCK calls srv.clientUnblock.
// After a client is unblocked, the commands it sent meanwhile (kept in its
// query buffer) run in the next beforeSleep, or at once when more input
// arrives first.

// blockType says what a blocked client waits for, as Redis's BLOCKED_*.
type blockType uint8

// Block types.
const (
	blockedNone blockType = iota
	blockedList
	blockedZSet
	blockedStream
	blockedWait // WAIT for replicas (cluster.go): no keys, a timeout only
	blockedTypes
)

// Timeout units of getTimeoutFromObjectOrReply.
const (
	unitSeconds = iota
	unitMilliseconds
)

// blockedKeyServer serves a client blocked by blockForKeys when key (in the
// client's database) holds o, a value of the type the client waits for. It
// replies to c and returns true when c was served, false to keep c blocked.
// o and key are valid only during the call.
type blockedKeyServer func(c *Client, key []byte, o *Object) bool

// blockState is what a client blocked on keys waits for (Redis's
// c->bpop). It is allocated at the first block and kept with the client.
type blockState struct {
	btype   blockType
	timeout uint64 // unix ms, 0 = never; unsigned as Redis's timeout table
	dbid    int
	keys    []string
	serve   blockedKeyServer
	heapIdx int // position in the timeout heap, -1 when not in it
	// queued is set while the client waits in the unblocked list for its
	// buffered commands to run.
	queued bool
	// argv is a copy of the blocked command's arguments (in argvBuf,
	// reused from block to block), for the slow log when it is served.
	argv    [][]byte
	argvBuf []byte
	// xreadGroup marks an XREADGROUP: it fails once its key is no longer
	// a stream (stream.go).
	xreadGroup bool
}

// saveArgv keeps a copy of argv in st's reused buffers.
func (st *blockState) saveArgv(argv [][]byte) {
	n := 0
	for _, a := range argv {
		n += len(a)
	}
	if cap(st.argvBuf) < n {
		st.argvBuf = make([]byte, 0, n)
	}
	buf := st.argvBuf[:0]
	clear(st.argv)
	st.argv = st.argv[:0]
	for _, a := range argv {
		buf = append(buf, a...)
		st.argv = append(st.argv, buf[len(buf)-len(a):len(buf):len(buf)])
	}
	st.argvBuf = buf
}

// updateStatsOnUnblock accounts for the serving of a blocked command
// (Redis 7.0's updateStatsOnUnblock): its call was counted when it
// blocked; the time spent replying, a failure, the latency histogram and
// the slow log (with argv, the command's arguments) are accounted now. A
// timeout accounts for nothing, as in Redis 7.0.
func (srv *Server) updateStatsOnUnblock(c *Client, replyUs int64, hadErrors bool, argv [][]byte) {
	cmd := c.lastCmd
	if cmd == nil {
		return
	}
	st := srv.statsOf(cmd)
	st.microseconds += replyUs
	if hadErrors {
		st.failedCalls++
	}
	srv.latencyHistogramAdd(cmd, replyUs)
	if cmd.flags&cmdSkipSlowlog == 0 {
		if t := srv.Config.slowlogLogSlowerThan; t >= 0 && replyUs >= t {
			srv.slowlogPush(c, redactArgs(cmd, argv), replyUs)
		}
	}
	srv.latencyAddSampleIfNeeded("command-unblocking", replyUs/1000)
}

// readyKey names a key of a database.
type readyKey struct {
	dbid int
	key  string
}

// blockingState is the server's side of blocking (Redis's
// db->blocking_keys, server.ready_keys, the timeout table and
// server.unblocked_clients).
type blockingState struct {
	blocked int
	byType  [blockedTypes]int
	// keys maps a key to the clients blocked on it, in the order they
	// blocked.
	keys map[readyKey][]*Client
	// ready are the keys signaled since the last serving round, in order;
	// readySet dedupes them.
	ready    []readyKey
	readySet map[readyKey]struct{}
	timeouts timeoutHeap
	// unblocked are clients whose buffered commands must run.
	unblocked []*Client
	scratch   []*Client
}

// clientUnblock unblocks a client blocked in a blocking command, as CLIENT
// UNBLOCK does: with an -UNBLOCKED error, or as if it timed out.
func (srv *Server) clientUnblock(target *Client, withError bool) {
	if withError {
		target.addReplyError("-UNBLOCKED client unblocked via CLIENT UNBLOCK")
	}
	srv.unblockBlockedOnKeys(target, !withError)
	// As Redis 7.0.15's CLIENT UNBLOCK: counted as a failed call
	// whether with an error or not, and logged (if slow enough)
	// with the arguments already gone.
	srv.updateStatsOnUnblock(target, 0, true, nil)
}

// BlockedClients returns the number of clients blocked on keys or
// postponed by a pause (INFO's blocked_clients).
//
// Exported for the tests of core/cmds.
func (srv *Server) BlockedClients() int { return srv.blocking.blocked + srv.postponedClients() }

// getTimeoutFromObjectOrReply parses a blocking timeout as Redis 7.0 does:
// seconds as a long double (or whole milliseconds with unitMilliseconds),
// converted to milliseconds with C's truncating cast (a value out of the
// range of a long long becomes LLONG_MIN, hence "timeout is negative"),
// then made absolute. 0 stays 0 (block forever). Like Redis 7.0 it does not
// check that now+timeout fits: a sum that wraps never times out.
func (c *Client) getTimeoutFromObjectOrReply(arg []byte, unit int) (int64, bool) {
	var tval int64
	if unit == unitSeconds {
		if v, ok := proto.ParseInt(arg); ok && v > -9223372036854775 && v < 9223372036854775 {
			tval = v * 1000
		} else {
			f, ok := parseLongDouble(arg)
			if !ok {
				c.addReplyError("timeout is not a float or out of range")
				return 0, false
			}
			tval = ldMillisToInt64(f)
		}
	} else {
		v, ok := proto.ParseInt(arg)
		if !ok {
			c.addReplyError("timeout is not an integer or out of range")
			return 0, false
		}
		tval = v
	}
	if tval < 0 {
		c.addReplyError("timeout is negative")
		return 0, false
	}
	if tval > 0 {
		tval = int64(uint64(tval) + uint64(c.srv.mstime()))
	}
	return tval, true
}

// ldMillisToInt64 computes (long long)ceill(f * 1000.0) in long double
// arithmetic, as Redis 7.0.15 does (since 7.0.8 a timeout below 1 ms rounds
// up to 1 ms instead of becoming 0, "forever"; a small negative one such as
// -0.0001 still becomes 0), with x87's result for values out of range
// (LLONG_MIN, hence "timeout is negative" for 1e16).
func ldMillisToInt64(f *big.Float) int64 {
	if f.IsInf() {
		return -1 << 63
	}
	prod := new(big.Float).SetPrec(ldPrec+16).Mul(f, big.NewFloat(1000))
	r := ldRound(prod)
	if r.IsInf() {
		return -1 << 63
	}
	i, acc := r.Int(nil) // truncates toward zero
	if acc == big.Below {
		i.Add(i, big.NewInt(1)) // a positive non-integer: ceil
	}
	if !i.IsInt64() {
		return -1 << 63
	}
	return i.Int64()
}

// blockForKeys blocks c until one of keys (in c's database) can serve it,
// the absolute timeout (unix ms, 0 = never) passes, or CLIENT UNBLOCK (as
// Redis's blockForKeys). See the top of blocking.go.
func (srv *Server) blockForKeys(c *Client, btype blockType, keys [][]byte, timeout int64, serve blockedKeyServer) {
	bs := &srv.blocking
	st := c.bstate
	if st == nil {
		st = &blockState{heapIdx: -1}
		c.bstate = st
	}
	if bs.keys == nil {
		bs.keys = map[readyKey][]*Client{}
		bs.readySet = map[readyKey]struct{}{}
	}
	st.btype = btype
	st.timeout = uint64(timeout)
	st.dbid = c.db.id
	st.serve = serve
	st.keys = st.keys[:0]
	st.saveArgv(c.argv)
next:
	for _, k := range keys {
		for _, have := range st.keys {
			if have == string(k) {
				continue next
			}
		}
		ks := string(k)
		st.keys = append(st.keys, ks)
		rk := readyKey{st.dbid, ks}
		bs.keys[rk] = append(bs.keys[rk], c)
	}
	c.Flags |= ClientBlocked
	bs.blocked++
	bs.byType[btype]++
	if timeout != 0 {
		heap.Push(&bs.timeouts, c)
	}
}

// unblockBlockedOnKeys unblocks c if it is blocked on keys, for CLIENT UNBLOCK:
// with timeoutReply it first replies as a timeout would (a null array);
// otherwise the caller has replied already (the -UNBLOCKED error).
func (srv *Server) unblockBlockedOnKeys(c *Client, timeoutReply bool) {
	if c.Flags&(ClientBlocked|clientPendingCommand) != ClientBlocked || c.bstate == nil {
		return
	}
	if timeoutReply {
		c.replyToBlockedClientTimedOut()
	}
	srv.unblockClient(c, true)
}

// unblockClient removes c from every structure it is blocked in (Redis's
// unblockClient). When requeue, its buffered commands run in the next
// beforeSleep.
func (srv *Server) unblockClient(c *Client, requeue bool) {
	bs := &srv.blocking
	st := c.bstate
	for _, k := range st.keys {
		rk := readyKey{st.dbid, k}
		l := bs.keys[rk]
		for i, bc := range l {
			if bc == c {
				copy(l[i:], l[i+1:])
				l[len(l)-1] = nil
				l = l[:len(l)-1]
				break
			}
		}
		if len(l) == 0 {
			delete(bs.keys, rk)
		} else {
			bs.keys[rk] = l
		}
	}
	if st.heapIdx >= 0 {
		heap.Remove(&bs.timeouts, st.heapIdx)
	}
	bs.blocked--
	bs.byType[st.btype]--
	st.btype = blockedNone
	st.serve = nil
	st.xreadGroup = false
	clear(st.keys)
	st.keys = st.keys[:0]
	st.timeout = 0
	c.Flags &^= ClientBlocked
	if requeue && !st.queued {
		st.queued = true
		bs.unblocked = append(bs.unblocked, c)
	}
}

// blockTypeOf returns the block type that a value of object type typ
// serves.
func blockTypeOf(typ uint8) blockType {
	switch typ {
	case TypeList:
		return blockedList
	case TypeZSet:
		return blockedZSet
	case TypeStream:
		return blockedStream
	}
	return blockedNone
}

// signalKeyAsReady queues key for the next serving round if a
// client waits on it for a value of type typ (Redis's signalKeyAsReady).
func (srv *Server) signalKeyAsReady(db *DB, key []byte, typ uint8) {
	bs := &srv.blocking
	bt := blockTypeOf(typ)
	if bt == blockedNone || bs.byType[bt] == 0 {
		return
	}
	view := readyKey{db.id, bstr(key)}
	if _, ok := bs.keys[view]; !ok {
		return
	}
	if _, ok := bs.readySet[view]; ok {
		return
	}
	rk := readyKey{db.id, string(key)}
	bs.ready = append(bs.ready, rk)
	bs.readySet[rk] = struct{}{}
}

// scanDatabaseForReadyKeys signals every key of db that blocked clients
// wait on and that exists (Redis's scanDatabaseForReadyKeys, for SWAPDB
// and the like, which change a database wholesale).
func (srv *Server) scanDatabaseForReadyKeys(db *DB) {
	for rk := range srv.blocking.keys {
		if rk.dbid != db.id {
			continue
		}
		if o := db.Dict.Find(rk.key); o != nil {
			srv.signalKeyAsReady(db, stringBytes(rk.key), o.typ)
		}
	}
}

// handleClientsBlockedOnKeys serves the clients blocked on the keys made
// ready by the last command, until no key is ready (serving a BLMOVE may
// make its destination ready).
func (srv *Server) handleClientsBlockedOnKeys() {
	bs := &srv.blocking
	for len(bs.ready) > 0 {
		l := bs.ready
		bs.ready = nil
		for i, rk := range l {
			delete(bs.readySet, rk)
			srv.serveClientsBlockedOnKey(rk)
			l[i] = readyKey{}
		}
		if bs.ready == nil {
			bs.ready = l[:0]
		}
	}
}

// serveClientsBlockedOnKey offers key to the clients blocked on it, in the
// order they blocked, while it holds a value they wait for.
func (srv *Server) serveClientsBlockedOnKey(rk readyKey) {
	bs := &srv.blocking
	if rk.dbid >= len(srv.DBs) {
		return
	}
	db := srv.DBs[rk.dbid]
	key := stringBytes(rk.key)
	if srv.expireIfNeeded(db, key, false) {
		return
	}
	o := db.Dict.Find(rk.key)
	if o == nil || o.typ != TypeStream {
		// A stream deleted or overwritten: XREADGROUP's group is gone.
		srv.unblockDeletedStreamReadgroupClients(rk)
	}
	if o == nil {
		return
	}
	typ := o.typ
	bt := blockTypeOf(typ)
	if bt == blockedNone || bs.byType[bt] == 0 {
		return
	}
	clients := append(bs.scratch[:0], bs.keys[rk]...)
	for _, c := range clients {
		st := c.bstate
		if c.Flags&ClientBlocked == 0 || st.btype != bt || st.dbid != rk.dbid {
			continue
		}
		o = db.Dict.Find(rk.key)
		if o == nil || o.typ != typ {
			break
		}
		saved := srv.currentClient
		srv.currentClient = c
		// Serving is a call of its own for persistence: what it
		// propagates (srv.alsoPropagate) is one unit.
		prop := srv.beforeBlockedServe(db, key)
		errs := srv.Stats.errorReplies
		start := time.Now()
		served := st.serve(c, key, o)
		if served {
			srv.updateStatsOnUnblock(c, time.Since(start).Microseconds(), srv.Stats.errorReplies != errs, st.argv)
		}
		srv.afterBlockedServe(prop)
		srv.currentClient = saved
		if served && c.Flags&ClientBlocked != 0 {
			srv.unblockClient(c, true)
		}
	}
	clear(clients)
	bs.scratch = clients[:0]
}

// blockingBeforeSleep times out blocked clients, runs the commands that
// unblocked clients sent while blocked, and serves keys made ready outside
// of a command (Redis's beforeSleep does the same three).
func (srv *Server) blockingBeforeSleep() {
	srv.handleBlockedClientsTimeout()
	srv.processUnblockedClients()
	srv.handleClientsBlockedOnKeys()
}

// handleBlockedClientsTimeout replies to and unblocks the clients whose
// timeout has passed.
func (srv *Server) handleBlockedClientsTimeout() {
	bs := &srv.blocking
	if len(bs.timeouts) == 0 {
		return
	}
	now := uint64(time.Now().UnixMilli())
	for len(bs.timeouts) > 0 {
		c := bs.timeouts[0]
		if c.bstate.timeout >= now {
			break
		}
		heap.Pop(&bs.timeouts)
		c.replyToBlockedClientTimedOut()
		srv.unblockClient(c, true)
	}
}

// processUnblockedClients runs the commands buffered by clients while they
// were blocked (Redis's processUnblockedClients).
func (srv *Server) processUnblockedClients() {
	bs := &srv.blocking
	// Running a client's commands may unblock more clients: they are
	// appended and handled in this same loop.
	for i := 0; i < len(bs.unblocked); i++ {
		c := bs.unblocked[i]
		bs.unblocked[i] = nil
		c.bstate.queued = false
		if _, live := srv.clients[c.ID]; !live || c.Flags&ClientBlocked != 0 {
			continue
		}
		if len(c.QueryBuf) > 0 {
			c.ProcessInputBuffer()
		}
	}
	bs.unblocked = bs.unblocked[:0]
}

// replyToBlockedClientTimedOut replies to a blocked client whose time is
// up (or that CLIENT UNBLOCK released): a null array for the commands
// blocked on keys, the number of replicas that acknowledged (none) for
// WAIT.
func (c *Client) replyToBlockedClientTimedOut() {
	if c.bstate.btype == blockedWait {
		c.addReplyInt(0)
		return
	}
	c.addReplyNullArray()
}

// timeoutHeap orders blocked clients by timeout, then id (Redis keys its
// timeout radix tree the same way).
type timeoutHeap []*Client

func (h timeoutHeap) Len() int { return len(h) }

func (h timeoutHeap) Less(i, j int) bool {
	a, b := h[i].bstate, h[j].bstate
	if a.timeout != b.timeout {
		return a.timeout < b.timeout
	}
	return h[i].ID < h[j].ID
}

func (h timeoutHeap) Swap(i, j int) {
	h[i], h[j] = h[j], h[i]
	h[i].bstate.heapIdx = i
	h[j].bstate.heapIdx = j
}

func (h *timeoutHeap) Push(x any) {
	c := x.(*Client)
	c.bstate.heapIdx = len(*h)
	*h = append(*h, c)
}

func (h *timeoutHeap) Pop() any {
	old := *h
	c := old[len(old)-1]
	old[len(old)-1] = nil
	*h = old[:len(old)-1]
	c.bstate.heapIdx = -1
	return c
}
