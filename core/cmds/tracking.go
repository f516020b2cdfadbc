package cmds

import (
	"math/bits"
	"slices"

	"github.com/redisfs/redisfs/core/proto"
)

// Client-side caching (CLIENT TRACKING), after Redis 7.0's tracking.c.
//
// In the default mode the server remembers, in the tracking table, which
// clients read which keys (after each read-only command, with the
// command's legacy key positions, as trackingRememberKeys), and when such a
// key changes (signalModifiedKey, expiry, eviction) it sends the clients an
// invalidation message and forgets the entry. In BCAST mode the clients
// subscribe to key prefixes instead: the keys changed under a prefix are
// collected and sent in beforeSleep. FLUSHDB/FLUSHALL send a null
// invalidation ("everything") to every tracking client.
//
// Messages are RESP3 pushes (">2 invalidate [keys]"); with REDIRECT they go
// to another connection, which, in RESP2, gets them as pub/sub messages of
// the __redis__:invalidate channel when it is in subscribed state. A
// message for a client's own change is queued while its command runs and
// sent after the reply (Redis's tracking_pending_keys).
//
// Nothing here runs when no client ever enabled tracking: the hooks in
// call, signalModifiedKey and EmptyData check one field first.

// clientTrackingAll are the tracking flags of a client (clientTrackingOn…,
// declared with the other client flags).
const clientTrackingAll = clientTrackingOn | clientTrackingBrokenRedir | clientTrackingBcast |
	clientTrackingOptin | clientTrackingOptout | clientTrackingCaching | clientTrackingNoloop

// trackingChannel is the pub/sub channel of redirected RESP2 messages.
const trackingChannel = "__redis__:invalidate"

// trackingState is the server side of client-side caching.
type trackingState struct {
	// clients counts the clients with tracking on (tracking_clients).
	clients int
	// table maps a key to the clients that may have it cached; nil until
	// tracking is first enabled (Redis's TrackingTable).
	table map[string]*trackedKey
	// items counts the client ids of the whole table
	// (TrackingTableTotalItems).
	items int64
	// prefixes are the BCAST prefixes (PrefixTable).
	prefixes map[string]*bcastState
	// bcastDirty is set when a key was recorded under some prefix since
	// the last broadcast.
	bcastDirty bool
	// pending are the invalidations for the client whose command is
	// running, sent once its reply is out (tracking_pending_keys).
	pending []pendingInvalidation
	// timeoutCounter makes trackingLimitUsedSlots try harder each time
	// it ends still over the limit.
	timeoutCounter int
}

// trackedKey lists the ids of the clients that read a key, in the order
// Redis's radix tree keeps them (by the bytes of the id in memory, little
// endian: see idOrder).
type trackedKey struct {
	ids []int64
}

// bcastState is one BCAST prefix: the keys changed under it since the last
// broadcast (with the client that changed each last, for NOLOOP) and the
// clients subscribed to it, by id.
type bcastState struct {
	keys    map[string]*bcastKey
	clients []*Client
}

type bcastKey struct {
	by *Client
}

type pendingInvalidation struct {
	c    *Client
	key  string
	null bool // the flush message ("all keys")
}

// clientTracking is a client's tracking settings.
type clientTracking struct {
	redirect int64
	// prefixes are the BCAST prefixes, sorted (as the client's radix
	// tree lists them).
	prefixes []string
}

// idOrder is the sort key of a client id in a tracked key's list: Redis
// stores the 8 bytes of the id as they are in memory (little endian) in a
// radix tree, which orders them byte by byte.
func idOrder(id int64) uint64 { return bits.ReverseBytes64(uint64(id)) }

// trackingState returns c's settings, creating them.
func (c *Client) trackingState() *clientTracking {
	if c.trk == nil {
		c.trk = &clientTracking{}
	}
	return c.trk
}

// trackingRedirID is the redir field of CLIENT LIST: the redirect client
// id (0 for none) when tracking is on, else -1.
func (c *Client) trackingRedirID() int64 {
	if c.Flags&clientTrackingOn == 0 {
		return -1
	}
	return c.trk.redirect
}

// disableTracking turns tracking off for c, as Redis's disableTracking:
// its BCAST prefixes are dropped, its entries in the tracking table are
// left to be removed lazily.
func (c *Client) disableTracking() {
	t := &c.srv.tracking
	if c.Flags&clientTrackingBcast != 0 && c.trk != nil {
		for _, p := range c.trk.prefixes {
			bs := t.prefixes[p]
			if bs == nil {
				continue
			}
			if i := slices.Index(bs.clients, c); i >= 0 {
				bs.clients = slices.Delete(bs.clients, i, i+1)
			}
			if len(bs.clients) == 0 {
				delete(t.prefixes, p)
			}
		}
		c.trk.prefixes = nil
	}
	if c.Flags&clientTrackingOn != 0 {
		t.clients--
		c.Flags &^= clientTrackingAll
	}
}

// prefixOverlap reports whether one of a and b is a prefix of the other.
func prefixOverlap(a, b []byte) bool {
	n := min(len(a), len(b))
	return string(a[:n]) == string(b[:n])
}

// checkPrefixCollisionsOrReply is Redis's: it returns 1 when no prefix
// overlaps another or one the client has, else replies an error and
// returns 0 — except that an overlap among the new prefixes found at index
// i > 0 returns i, so that Redis goes on to enable tracking and reply +OK
// after the error. That is Redis 7.0's behaviour, kept.
func (c *Client) checkPrefixCollisionsOrReply(prefixes [][]byte) int {
	for i, p := range prefixes {
		if c.trk != nil {
			for _, have := range c.trk.prefixes {
				if prefixOverlap([]byte(have), p) {
					c.addReplyErrorFormat("Prefix '%s' overlaps with an existing prefix '%s'. Prefixes for a single client must not overlap.",
						cstr(p), cstr([]byte(have)))
					return 0
				}
			}
		}
		for _, q := range prefixes[i+1:] {
			if prefixOverlap(p, q) {
				c.addReplyErrorFormat("Prefix '%s' overlaps with another provided prefix '%s'. Prefixes for a single client must not overlap.",
					cstr(p), cstr(q))
				return i
			}
		}
	}
	return 1
}

// enableBcastTrackingForPrefix subscribes c to prefix.
func (c *Client) enableBcastTrackingForPrefix(prefix []byte) {
	t := &c.srv.tracking
	bs := t.prefixes[bstr(prefix)]
	if bs == nil {
		bs = &bcastState{keys: map[string]*bcastKey{}}
		t.prefixes[string(prefix)] = bs
	}
	i, found := slices.BinarySearchFunc(bs.clients, c.ID, func(x *Client, id int64) int {
		switch {
		case x.ID < id:
			return -1
		case x.ID > id:
			return 1
		}
		return 0
	})
	if found {
		return
	}
	bs.clients = slices.Insert(bs.clients, i, c)
	ct := c.trackingState()
	j, _ := slices.BinarySearch(ct.prefixes, bstr(prefix))
	ct.prefixes = slices.Insert(ct.prefixes, j, string(prefix))
}

// enableTracking turns tracking on for c with the options (tracking flags)
// and the redirect client id (0 for none), as Redis's enableTracking.
func (c *Client) enableTracking(redirect int64, options uint64, prefixes [][]byte) {
	t := &c.srv.tracking
	if c.Flags&clientTrackingOn == 0 {
		t.clients++
	}
	c.Flags |= clientTrackingOn
	c.Flags &^= clientTrackingBrokenRedir | clientTrackingBcast | clientTrackingOptin |
		clientTrackingOptout | clientTrackingNoloop
	c.trackingState().redirect = redirect
	if t.table == nil {
		t.table = map[string]*trackedKey{}
		t.prefixes = map[string]*bcastState{}
	}
	if options&clientTrackingBcast != 0 {
		c.Flags |= clientTrackingBcast
		if len(prefixes) == 0 {
			c.enableBcastTrackingForPrefix(nil)
		}
		for _, p := range prefixes {
			c.enableBcastTrackingForPrefix(p)
		}
	}
	c.Flags |= options & (clientTrackingOptin | clientTrackingOptout | clientTrackingNoloop)
}

// trackingAfterCall runs after a command's proc (from call) while some
// client tracks or invalidations are pending: it remembers the keys a
// tracking client read, and sends the invalidations queued for the client
// once the outermost command is done.
func (c *Client) trackingAfterCall(cmd *command) {
	srv := c.srv
	if cmd.flags&cmdReadonly != 0 && c.Flags&(clientTrackingOn|clientTrackingBcast) == clientTrackingOn {
		c.trackingRememberKeys(cmd)
	}
	if len(srv.tracking.pending) > 0 && srv.inExec == 0 {
		srv.trackingHandlePendingKeyInvalidations()
	}
}

// trackingRememberKeys records that c may now cache the keys of the
// read-only command it ran (Redis's trackingRememberKeys).
func (c *Client) trackingRememberKeys(cmd *command) {
	if cmd.flags&cmdPubsub != 0 {
		return
	}
	optin := c.Flags&clientTrackingOptin != 0
	optout := c.Flags&clientTrackingOptout != 0
	caching := c.Flags&clientTrackingCaching != 0
	if optin && !caching || optout && caching {
		return
	}
	if cmd.getKeys != nil {
		for _, k := range cmd.getKeys(c.argv) {
			if k.pos > 0 && k.pos < len(c.argv) {
				c.trackKey(c.argv[k.pos])
			}
		}
		return
	}
	// The legacy (first, last, step) triple, as getKeysUsingLegacyRangeSpec:
	// a range that runs past argv yields no keys.
	if cmd.first <= 0 {
		return
	}
	last := cmd.last
	if last < 0 {
		last += len(c.argv)
	}
	step := max(cmd.step, 1)
	for j := cmd.first; j <= last; j += step {
		if j >= len(c.argv) {
			return
		}
	}
	for j := cmd.first; j <= last; j += step {
		c.trackKey(c.argv[j])
	}
}

// trackKey adds c to the clients of key in the tracking table.
func (c *Client) trackKey(key []byte) {
	t := &c.srv.tracking
	tk := t.table[bstr(key)]
	if tk == nil {
		t.table[string(key)] = &trackedKey{ids: []int64{c.ID}}
		t.items++
		return
	}
	o := idOrder(c.ID)
	i, found := slices.BinarySearchFunc(tk.ids, o, func(id int64, o uint64) int {
		switch x := idOrder(id); {
		case x < o:
			return -1
		case x > o:
			return 1
		}
		return 0
	})
	if !found {
		tk.ids = slices.Insert(tk.ids, i, c.ID)
		t.items++
	}
}

// sendTrackingMessage sends c an invalidation message for key, or with raw
// (already encoded protocol: an array of keys, or a null) as its value,
// going to c's redirect client if it has one (Redis's sendTrackingMessage).
func (srv *Server) sendTrackingMessage(c *Client, key, raw []byte) {
	redirected := false
	if c.trk != nil && c.trk.redirect != 0 {
		r := srv.clients[c.trk.redirect]
		if r == nil {
			c.Flags |= clientTrackingBrokenRedir
			// Tell the client its messages are lost.
			if c.resp > 2 && c.push() {
				c.addReplyPushHeader(2, "tracking-redir-broken")
				c.Reply = proto.AppendInt(c.Reply, c.trk.redirect)
			}
			return
		}
		c, redirected = r, true
	}
	switch {
	case c.resp > 2:
		if !c.push() {
			return
		}
		c.addReplyPushHeader(2, "invalidate")
	case redirected && c.Flags&ClientPubsub != 0:
		if !c.push() {
			return
		}
		c.addReplyPushHeader(3, "message")
		c.Reply = proto.AppendBulkString(c.Reply, trackingChannel)
	default:
		// A RESP2 connection that is not subscribed cannot get pushes.
		return
	}
	if raw != nil {
		c.Reply = append(c.Reply, raw...)
	} else {
		c.Reply = proto.AppendArrayLen(c.Reply, 1)
		c.Reply = proto.AppendBulk(c.Reply, key)
	}
	srv.checkOutputBufferLimits(c)
}

// trackingNull is the value of the flush message: a null of the tracking
// client's protocol (whatever the redirect client speaks).
func trackingNull(resp int) []byte {
	if resp > 2 {
		return []byte("_\r\n")
	}
	return []byte("$-1\r\n")
}

// trackingRememberKeyToBroadcast records key, changed by c (nil outside a
// client), under every BCAST prefix that matches it.
func (srv *Server) trackingRememberKeyToBroadcast(c *Client, key []byte) {
	t := &srv.tracking
	for p, bs := range t.prefixes {
		if len(p) > len(key) || bstr(key[:len(p)]) != p {
			continue
		}
		if k := bs.keys[bstr(key)]; k != nil {
			k.by = c
		} else {
			bs.keys[string(key)] = &bcastKey{by: c}
		}
		t.bcastDirty = true
	}
}

// trackingInvalidateKey is Redis's trackingInvalidateKey: key was changed
// by c (nil for expiry and eviction). The clients that may cache it get an
// invalidation message (the current client's after its reply) and the key
// leaves the table; with bcast the key is also recorded for the BCAST
// prefixes.
func (srv *Server) trackingInvalidateKey(c *Client, key []byte, bcast bool) {
	srv.trackingInvalidateKeySelf(c, key, bcast, srv.currentClient)
}

// trackingInvalidateKeySelf is trackingInvalidateKey with the client that
// NOLOOP compares with: the current client, or the one whose command is
// being processed when the table is trimmed before it runs.
func (srv *Server) trackingInvalidateKeySelf(c *Client, key []byte, bcast bool, self *Client) {
	t := &srv.tracking
	if t.table == nil {
		return
	}
	if bcast && len(t.prefixes) > 0 {
		srv.trackingRememberKeyToBroadcast(c, key)
	}
	tk := t.table[bstr(key)]
	if tk == nil {
		return
	}
	for _, id := range tk.ids {
		target := srv.clients[id]
		if target == nil || target.Flags&clientTrackingOn == 0 || target.Flags&clientTrackingBcast != 0 {
			continue
		}
		if target.Flags&clientTrackingNoloop != 0 && target == self {
			continue
		}
		if target == srv.currentClient {
			// After the command's reply.
			t.pending = append(t.pending, pendingInvalidation{c: target, key: string(key)})
		} else {
			srv.sendTrackingMessage(target, key, nil)
		}
	}
	t.items -= int64(len(tk.ids))
	delete(t.table, bstr(key))
}

// trackingHandlePendingKeyInvalidations sends the invalidations queued for
// the clients whose commands caused them.
func (srv *Server) trackingHandlePendingKeyInvalidations() {
	t := &srv.tracking
	if len(t.pending) == 0 || srv.inExec > 0 {
		return
	}
	list := t.pending
	t.pending = nil
	for i, p := range list {
		if srv.clients[p.c.ID] == p.c {
			if p.null {
				srv.sendTrackingMessage(p.c, nil, trackingNull(p.c.resp))
			} else {
				srv.sendTrackingMessage(p.c, []byte(p.key), nil)
			}
		}
		list[i] = pendingInvalidation{}
	}
	if t.pending == nil {
		t.pending = list[:0]
	}
}

// trackingInvalidateKeysOnFlush sends every tracking client the null
// invalidation (all keys) and empties the table: keys are not per
// database, so any flush invalidates everything.
func (srv *Server) trackingInvalidateKeysOnFlush() {
	t := &srv.tracking
	if t.clients > 0 {
		// Redis goes through its client list, whose order its cron
		// rotates; connection order here.
		for _, c := range srv.listedClients() {
			if c.Flags&clientTrackingOn == 0 {
				continue
			}
			if c == srv.currentClient {
				t.pending = append(t.pending, pendingInvalidation{c: c, null: true})
			} else {
				srv.sendTrackingMessage(c, nil, trackingNull(c.resp))
			}
		}
	}
	if t.table != nil {
		t.table = map[string]*trackedKey{}
		t.items = 0
	}
}

// trackingLimitUsedSlots keeps the tracking table within
// tracking-table-max-keys, invalidating random keys as if they had
// changed; each call that ends still over the limit makes the next try
// harder (Redis's trackingLimitUsedSlots). self is the client whose command
// is being processed, if any (for NOLOOP).
func (srv *Server) trackingLimitUsedSlots(self *Client) {
	t := &srv.tracking
	limit := srv.Config.trackingTableMaxKeys
	if t.table == nil || limit == 0 {
		return
	}
	if int64(len(t.table)) <= limit {
		t.timeoutCounter = 0
		return
	}
	for effort := 100 * (t.timeoutCounter + 1); effort > 0; effort-- {
		var key string
		for k := range t.table { // a random key
			key = k
			break
		}
		srv.trackingInvalidateKeySelf(nil, []byte(key), false, self)
		if int64(len(t.table)) <= limit {
			t.timeoutCounter = 0
			return
		}
	}
	t.timeoutCounter++
}

// trackingBuildBroadcastReply encodes the array of the keys of a prefix,
// leaving out those c changed last when c is not nil (NOLOOP); with c, nil
// when nothing is left.
func trackingBuildBroadcastReply(c *Client, keys []string, m map[string]*bcastKey) []byte {
	count := len(keys)
	if c != nil {
		count = 0
		for _, k := range keys {
			if m[k].by != c {
				count++
			}
		}
		if count == 0 {
			return nil
		}
	}
	b := proto.AppendArrayLen(make([]byte, 0, 16+count*15), count)
	for _, k := range keys {
		if c != nil && m[k].by == c {
			continue
		}
		b = proto.AppendBulkString(b, k)
	}
	return b
}

// trackingBroadcastInvalidationMessages sends the clients of each BCAST
// prefix the keys changed under it since the last call, prefixes and keys
// in byte order (as Redis's radix trees).
func (srv *Server) trackingBroadcastInvalidationMessages() {
	t := &srv.tracking
	if t.table == nil || t.clients == 0 || !t.bcastDirty {
		return
	}
	t.bcastDirty = false
	names := make([]string, 0, len(t.prefixes))
	for p, bs := range t.prefixes {
		if len(bs.keys) > 0 {
			names = append(names, p)
		}
	}
	slices.Sort(names)
	var keys []string
	for _, p := range names {
		bs := t.prefixes[p]
		keys = keys[:0]
		for k := range bs.keys {
			keys = append(keys, k)
		}
		slices.Sort(keys)
		all := trackingBuildBroadcastReply(nil, keys, bs.keys)
		for _, c := range bs.clients {
			if c.Flags&clientTrackingNoloop != 0 {
				if adhoc := trackingBuildBroadcastReply(c, keys, bs.keys); adhoc != nil {
					srv.sendTrackingMessage(c, nil, adhoc)
				}
			} else {
				srv.sendTrackingMessage(c, nil, all)
			}
		}
		clear(bs.keys)
	}
}

// trackingBeforeSleep broadcasts the BCAST invalidations and sends any
// invalidation still queued (a client served after it was blocked).
func (srv *Server) trackingBeforeSleep() {
	if srv.tracking.clients == 0 && len(srv.tracking.pending) == 0 {
		return
	}
	srv.trackingHandlePendingKeyInvalidations()
	srv.trackingBroadcastInvalidationMessages()
}

// trackingResetCaching drops the CLIENT CACHING flag once the command
// after it is done, as Redis's resetClient: not inside MULTI (it covers
// the whole transaction), not after another CLIENT subcommand, not while
// the command waits out a CLIENT PAUSE.
func (c *Client) trackingResetCaching() {
	if c.Flags&(ClientMulti|clientPendingCommand) != 0 {
		return
	}
	if cmd := c.cmd; cmd != nil && cmd.parent != nil && cmd.parent.name == "client" {
		return
	}
	c.Flags &^= clientTrackingCaching
}

// CLIENT TRACKING ON|OFF [REDIRECT client-id] [PREFIX prefix [PREFIX
// prefix ...]] [BCAST] [OPTIN] [OPTOUT] [NOLOOP]
func clientTrackingCommand(c *Client) {
	var redir int64
	var options uint64
	var prefixes [][]byte
	for j := 3; j < len(c.argv); j++ {
		more := len(c.argv)-1-j > 0
		switch arg := c.argv[j]; {
		case optIs(arg, "redirect") && more:
			j++
			if redir != 0 {
				c.addReplyError("A client can only redirect to a single other client")
				return
			}
			n, ok := proto.ParseInt(c.argv[j])
			if !ok {
				c.addReplyError(errNotInteger)
				return
			}
			redir = n
			// The client must exist now, even if it may go away later.
			if c.srv.clients[redir] == nil {
				c.addReplyError("The client ID you want redirect to does not exist")
				return
			}
		case optIs(arg, "bcast"):
			options |= clientTrackingBcast
		case optIs(arg, "optin"):
			options |= clientTrackingOptin
		case optIs(arg, "optout"):
			options |= clientTrackingOptout
		case optIs(arg, "noloop"):
			options |= clientTrackingNoloop
		case optIs(arg, "prefix") && more:
			j++
			prefixes = append(prefixes, c.argv[j])
		default:
			c.addReplySyntaxError()
			return
		}
	}
	switch {
	case optIs(c.argv[2], "on"):
		if options&clientTrackingBcast == 0 && len(prefixes) > 0 {
			c.addReplyError("PREFIX option requires BCAST mode to be enabled")
			return
		}
		if c.Flags&clientTrackingOn != 0 && (c.Flags&clientTrackingBcast == 0) != (options&clientTrackingBcast == 0) {
			c.addReplyError("You can't switch BCAST mode on/off before disabling tracking for this client, and then re-enabling it with a different mode.")
			return
		}
		if options&clientTrackingBcast != 0 && options&(clientTrackingOptin|clientTrackingOptout) != 0 {
			c.addReplyError("OPTIN and OPTOUT are not compatible with BCAST")
			return
		}
		if options&clientTrackingOptin != 0 && options&clientTrackingOptout != 0 {
			c.addReplyError("You can't specify both OPTIN mode and OPTOUT mode")
			return
		}
		if options&clientTrackingOptin != 0 && c.Flags&clientTrackingOptout != 0 ||
			options&clientTrackingOptout != 0 && c.Flags&clientTrackingOptin != 0 {
			c.addReplyError("You can't switch OPTIN/OPTOUT mode before disabling tracking for this client, and then re-enabling it with a different mode.")
			return
		}
		if options&clientTrackingBcast != 0 && c.checkPrefixCollisionsOrReply(prefixes) == 0 {
			return
		}
		c.enableTracking(redir, options, prefixes)
	case optIs(c.argv[2], "off"):
		c.disableTracking()
	default:
		c.addReplySyntaxError()
		return
	}
	c.addReplyOK()
}

// CLIENT CACHING YES|NO
func clientCachingCommand(c *Client) {
	if c.Flags&clientTrackingOn == 0 {
		c.addReplyError("CLIENT CACHING can be called only when the client is in tracking mode with OPTIN or OPTOUT mode enabled")
		return
	}
	switch opt := c.argv[2]; {
	case optIs(opt, "yes"):
		if c.Flags&clientTrackingOptin == 0 {
			c.addReplyError("CLIENT CACHING YES is only valid when tracking is enabled in OPTIN mode.")
			return
		}
	case optIs(opt, "no"):
		if c.Flags&clientTrackingOptout == 0 {
			c.addReplyError("CLIENT CACHING NO is only valid when tracking is enabled in OPTOUT mode.")
			return
		}
	default:
		c.addReplySyntaxError()
		return
	}
	c.Flags |= clientTrackingCaching
	c.addReplyOK()
}

// CLIENT GETREDIR
func clientGetRedirCommand(c *Client) { c.addReplyInt(c.trackingRedirID()) }

// CLIENT TRACKINGINFO
func clientTrackingInfoCommand(c *Client) {
	c.addReplyMapLen(3)
	c.addReplyBulkString("flags")
	var flags []string
	if c.Flags&clientTrackingOn != 0 {
		flags = append(flags, "on")
	} else {
		flags = append(flags, "off")
	}
	if c.Flags&clientTrackingBcast != 0 {
		flags = append(flags, "bcast")
	}
	if c.Flags&clientTrackingOptin != 0 {
		flags = append(flags, "optin")
		if c.Flags&clientTrackingCaching != 0 {
			flags = append(flags, "caching-yes")
		}
	}
	if c.Flags&clientTrackingOptout != 0 {
		flags = append(flags, "optout")
		if c.Flags&clientTrackingCaching != 0 {
			flags = append(flags, "caching-no")
		}
	}
	if c.Flags&clientTrackingNoloop != 0 {
		flags = append(flags, "noloop")
	}
	if c.Flags&clientTrackingBrokenRedir != 0 {
		flags = append(flags, "broken_redirect")
	}
	c.addReplySetLen(len(flags))
	for _, f := range flags {
		c.addReplyBulkString(f)
	}
	c.addReplyBulkString("redirect")
	c.addReplyInt(c.trackingRedirID())
	c.addReplyBulkString("prefixes")
	var prefixes []string
	if c.trk != nil {
		prefixes = c.trk.prefixes
	}
	c.addReplyArrayLen(len(prefixes))
	for _, p := range prefixes {
		c.addReplyBulkString(p)
	}
}
