package cmds

import (
	"github.com/redisfs/redisfs/core/proto"
)

// Publish/subscribe, after Redis 7.0's pubsub.c: channels, patterns and
// shard channels (SSUBSCRIBE/SPUBLISH, which without cluster behave as
// channels of their own namespace). Messages and subscription replies are
// pushes: RESP3 clients get them as '>' push frames, RESP2 clients as
// arrays, and a RESP2 client with subscriptions may only run the
// (P|S)SUBSCRIBE family, PING, QUIT and RESET (checked in processCommand).
// Pushes are delivered even under CLIENT REPLY OFF, as Redis's
// CLIENT_PUSHING does.

// pubsubState holds the server-wide subscriptions. Subscribers of a
// channel are kept in subscription order, and patterns in the order they
// were first subscribed, so that message order is deterministic.
type pubsubState struct {
	channels map[string][]*Client
	shard    map[string][]*Client
	patterns []*patternSubs
	patIndex map[string]*patternSubs
}

type patternSubs struct {
	pattern string
	clients []*Client
}

// clientPubsub is one client's subscriptions, in subscription order.
type clientPubsub struct {
	channels orderedSet
	patterns orderedSet
	shard    orderedSet
}

// orderedSet is a set of strings that remembers insertion order.
type orderedSet struct {
	list []string
	set  map[string]struct{}
}

func (s *orderedSet) has(v string) bool { _, ok := s.set[v]; return ok }

func (s *orderedSet) add(v string) bool {
	if s.has(v) {
		return false
	}
	if s.set == nil {
		s.set = map[string]struct{}{}
	}
	s.set[v] = struct{}{}
	s.list = append(s.list, v)
	return true
}

func (s *orderedSet) remove(v string) bool {
	if !s.has(v) {
		return false
	}
	delete(s.set, v)
	for i, x := range s.list {
		if x == v {
			s.list = append(s.list[:i], s.list[i+1:]...)
			break
		}
	}
	return true
}

func (s *orderedSet) len() int { return len(s.list) }

// The kinds of subscription: the message names their replies use.
type pubsubType struct {
	subscribe, unsubscribe, message string
	shard                           bool
}

var (
	pubsubChannel = pubsubType{"subscribe", "unsubscribe", "message", false}
	pubsubShard   = pubsubType{"ssubscribe", "sunsubscribe", "smessage", true}
)

// newPubsubState returns the empty channel and pattern tables.
func newPubsubState() pubsubState {
	return pubsubState{
		channels: map[string][]*Client{},
		shard:    map[string][]*Client{},
		patIndex: map[string]*patternSubs{},
	}
}

// pubsubCounts returns the numbers of channels, patterns and shard
// channels c is subscribed to (CLIENT LIST, CLIENT INFO).
func (c *Client) pubsubCounts() (channels, patterns, shardChannels int) {
	if c.ps == nil {
		return 0, 0, 0
	}
	return c.ps.channels.len(), c.ps.patterns.len(), c.ps.shard.len()
}

// pubsubServerCounts returns the numbers of channels, patterns and shard
// channels with subscribers (INFO stats).
func (srv *Server) pubsubServerCounts() (channels, patterns, shardChannels int) {
	return len(srv.pubsub.channels), len(srv.pubsub.patterns), len(srv.pubsub.shard)
}

// clientPS returns c's subscription state, creating it.
func (c *Client) clientPS() *clientPubsub {
	if c.ps == nil {
		c.ps = &clientPubsub{}
	}
	return c.ps
}

// subscriptionCount is what (P)SUBSCRIBE replies count: channels and
// patterns (clientSubscriptionsCount).
func (c *Client) subscriptionCount() int {
	if c.ps == nil {
		return 0
	}
	return c.ps.channels.len() + c.ps.patterns.len()
}

func (c *Client) shardSubscriptionCount() int {
	if c.ps == nil {
		return 0
	}
	return c.ps.shard.len()
}

func (c *Client) totalSubscriptionCount() int {
	return c.subscriptionCount() + c.shardSubscriptionCount()
}

// push makes room for a push message whatever CLIENT REPLY says, and
// returns false when c cannot receive anything (a client being closed).
func (c *Client) push() bool {
	if c.Flags&(ClientCloseASAP|ClientCloseAfterReply) != 0 {
		return false
	}
	c.prepare()
	return true
}

// addReplyPubsubHeader appends the header of a 3-element push and its kind.
func (c *Client) addReplyPushHeader(n int, kind string) {
	c.Reply = proto.AppendPushLen(c.Reply, n, c.resp)
	c.Reply = proto.AppendBulkString(c.Reply, kind)
}

// addReplyPubsubSubscribed replies a (s|p)subscribe confirmation.
func (c *Client) addReplyPubsubSubscribed(kind string, channel string, count int) {
	if !c.push() {
		return
	}
	c.addReplyPushHeader(3, kind)
	c.Reply = proto.AppendBulkString(c.Reply, channel)
	c.Reply = proto.AppendInt(c.Reply, int64(count))
}

// addReplyPubsubUnsubscribed replies an unsubscribe confirmation; with
// none set, the channel is null (nothing was subscribed).
func (c *Client) addReplyPubsubUnsubscribed(kind string, channel string, none bool, count int) {
	if !c.push() {
		return
	}
	c.addReplyPushHeader(3, kind)
	if none {
		c.Reply = proto.AppendNullBulk(c.Reply, c.resp)
	} else {
		c.Reply = proto.AppendBulkString(c.Reply, channel)
	}
	c.Reply = proto.AppendInt(c.Reply, int64(count))
}

// subscribeChannel subscribes c to channel (of kind t) and replies.
func (srv *Server) pubsubSubscribeChannel(c *Client, channel []byte, t pubsubType) {
	ps := c.clientPS()
	set, m := &ps.channels, srv.pubsub.channels
	if t.shard {
		set, m = &ps.shard, srv.pubsub.shard
	}
	if !set.has(bstr(channel)) {
		ch := string(channel)
		set.add(ch)
		m[ch] = append(m[ch], c)
	}
	count := c.subscriptionCount()
	if t.shard {
		count = c.shardSubscriptionCount()
	}
	c.addReplyPubsubSubscribed(t.subscribe, bstr(channel), count)
}

// pubsubUnsubscribeChannel unsubscribes c from channel and reports whether
// it was subscribed; notify sends the confirmation.
func (srv *Server) pubsubUnsubscribeChannel(c *Client, channel string, notify bool, t pubsubType) bool {
	ps := c.clientPS()
	set, m := &ps.channels, srv.pubsub.channels
	if t.shard {
		set, m = &ps.shard, srv.pubsub.shard
	}
	// Keep the name alive: it may be the list element being removed.
	was := set.remove(channel)
	if was {
		m[channel] = removeClient(m[channel], c)
		if len(m[channel]) == 0 {
			delete(m, channel)
		}
	}
	if notify {
		count := c.subscriptionCount()
		if t.shard {
			count = c.shardSubscriptionCount()
		}
		c.addReplyPubsubUnsubscribed(t.unsubscribe, channel, false, count)
	}
	return was
}

func removeClient(list []*Client, c *Client) []*Client {
	for i, x := range list {
		if x == c {
			copy(list[i:], list[i+1:])
			list[len(list)-1] = nil
			return list[:len(list)-1]
		}
	}
	return list
}

// pubsubSubscribePattern subscribes c to pattern and replies.
func (srv *Server) pubsubSubscribePattern(c *Client, pattern []byte) {
	ps := c.clientPS()
	if !ps.patterns.has(bstr(pattern)) {
		p := string(pattern)
		ps.patterns.add(p)
		e := srv.pubsub.patIndex[p]
		if e == nil {
			e = &patternSubs{pattern: p}
			srv.pubsub.patIndex[p] = e
			srv.pubsub.patterns = append(srv.pubsub.patterns, e)
		}
		e.clients = append(e.clients, c)
	}
	c.addReplyPubsubSubscribed("psubscribe", bstr(pattern), c.subscriptionCount())
}

// pubsubUnsubscribePattern unsubscribes c from pattern.
func (srv *Server) pubsubUnsubscribePattern(c *Client, pattern string, notify bool) bool {
	ps := c.clientPS()
	was := ps.patterns.remove(pattern)
	if was {
		e := srv.pubsub.patIndex[pattern]
		e.clients = removeClient(e.clients, c)
		if len(e.clients) == 0 {
			delete(srv.pubsub.patIndex, pattern)
			for i, x := range srv.pubsub.patterns {
				if x == e {
					copy(srv.pubsub.patterns[i:], srv.pubsub.patterns[i+1:])
					srv.pubsub.patterns[len(srv.pubsub.patterns)-1] = nil
					srv.pubsub.patterns = srv.pubsub.patterns[:len(srv.pubsub.patterns)-1]
					break
				}
			}
		}
	}
	if notify {
		c.addReplyPubsubUnsubscribed("punsubscribe", pattern, false, c.subscriptionCount())
	}
	return was
}

// pubsubUnsubscribeAllChannels unsubscribes c from every channel of kind t
// and returns how many; with notify and none, it replies the null
// confirmation.
func (srv *Server) pubsubUnsubscribeAllChannels(c *Client, notify bool, t pubsubType) int {
	count := 0
	if c.ps != nil {
		set := &c.ps.channels
		if t.shard {
			set = &c.ps.shard
		}
		for set.len() > 0 {
			srv.pubsubUnsubscribeChannel(c, set.list[0], notify, t)
			count++
		}
	}
	if notify && count == 0 {
		c.addReplyPubsubUnsubscribed(t.unsubscribe, "", true, c.subscriptionCount())
	}
	return count
}

// pubsubUnsubscribeAllPatterns is pubsubUnsubscribeAllChannels for patterns.
func (srv *Server) pubsubUnsubscribeAllPatterns(c *Client, notify bool) int {
	count := 0
	if c.ps != nil {
		for c.ps.patterns.len() > 0 {
			srv.pubsubUnsubscribePattern(c, c.ps.patterns.list[0], notify)
			count++
		}
	}
	if notify && count == 0 {
		c.addReplyPubsubUnsubscribed("punsubscribe", "", true, c.subscriptionCount())
	}
	return count
}

// pubsubUnsubscribeAll drops every subscription of c (RESET, client freed).
func (srv *Server) pubsubUnsubscribeAll(c *Client, notify bool) {
	if c.ps == nil {
		return
	}
	srv.pubsubUnsubscribeAllChannels(c, notify, pubsubChannel)
	srv.pubsubUnsubscribeAllChannels(c, notify, pubsubShard)
	srv.pubsubUnsubscribeAllPatterns(c, notify)
	c.Flags &^= ClientPubsub
}

// addReplyPubsubMessage pushes a message to a subscriber.
func (c *Client) addReplyPubsubMessage(kind string, channel, msg []byte) {
	if !c.push() {
		return
	}
	c.addReplyPushHeader(3, kind)
	c.Reply = proto.AppendBulk(c.Reply, channel)
	c.Reply = proto.AppendBulk(c.Reply, msg)
	c.srv.checkOutputBufferLimits(c)
}

// addReplyPubsubPatMessage pushes a pattern message to a subscriber.
func (c *Client) addReplyPubsubPatMessage(pattern string, channel, msg []byte) {
	if !c.push() {
		return
	}
	c.addReplyPushHeader(4, "pmessage")
	c.Reply = proto.AppendBulkString(c.Reply, pattern)
	c.Reply = proto.AppendBulk(c.Reply, channel)
	c.Reply = proto.AppendBulk(c.Reply, msg)
	c.srv.checkOutputBufferLimits(c)
}

// publishMessage delivers message to the subscribers of channel and of the
// patterns matching it, and returns how many received it.
func (srv *Server) publishMessage(channel, message []byte) int {
	return srv.pubsubPublishMessage(channel, message, pubsubChannel)
}

func (srv *Server) pubsubPublishMessage(channel, message []byte, t pubsubType) int {
	receivers := 0
	m := srv.pubsub.channels
	if t.shard {
		m = srv.pubsub.shard
	}
	if list := m[bstr(channel)]; len(list) > 0 {
		for _, c := range list {
			c.addReplyPubsubMessage(t.message, channel, message)
			receivers++
		}
	}
	if t.shard {
		return receivers // shard pub/sub ignores patterns
	}
	for _, e := range srv.pubsub.patterns {
		if !stringMatch([]byte(e.pattern), channel, false) {
			continue
		}
		for _, c := range e.clients {
			c.addReplyPubsubPatMessage(e.pattern, channel, message)
			receivers++
		}
	}
	return receivers
}

// denyBlockingSubscribe refuses (S)SUBSCRIBE to a client that may not
// block, as Redis does (inside EXEC it is allowed, for compatibility).
func denyBlockingSubscribe(c *Client, name string) bool {
	if c.Flags&clientDenyBlocking != 0 && c.srv.inExec == 0 {
		c.addReplyErrorFormat("%s isn't allowed for a DENY BLOCKING client", name)
		return true
	}
	return false
}

// SUBSCRIBE channel [channel ...]
func subscribeCommand(c *Client) {
	if denyBlockingSubscribe(c, "SUBSCRIBE") {
		return
	}
	for _, ch := range c.argv[1:] {
		c.srv.pubsubSubscribeChannel(c, ch, pubsubChannel)
	}
	c.Flags |= ClientPubsub
}

// UNSUBSCRIBE [channel [channel ...]]
func unsubscribeCommand(c *Client) {
	srv := c.srv
	if len(c.argv) == 1 {
		srv.pubsubUnsubscribeAllChannels(c, true, pubsubChannel)
	} else {
		for _, ch := range c.argv[1:] {
			srv.pubsubUnsubscribeChannel(c, string(ch), true, pubsubChannel)
		}
	}
	if c.totalSubscriptionCount() == 0 {
		c.Flags &^= ClientPubsub
	}
}

// PSUBSCRIBE pattern [pattern ...]
func psubscribeCommand(c *Client) {
	if denyBlockingSubscribe(c, "PSUBSCRIBE") {
		return
	}
	for _, p := range c.argv[1:] {
		c.srv.pubsubSubscribePattern(c, p)
	}
	c.Flags |= ClientPubsub
}

// PUNSUBSCRIBE [pattern [pattern ...]]
func punsubscribeCommand(c *Client) {
	srv := c.srv
	if len(c.argv) == 1 {
		srv.pubsubUnsubscribeAllPatterns(c, true)
	} else {
		for _, p := range c.argv[1:] {
			srv.pubsubUnsubscribePattern(c, string(p), true)
		}
	}
	if c.totalSubscriptionCount() == 0 {
		c.Flags &^= ClientPubsub
	}
}

// SSUBSCRIBE shardchannel [shardchannel ...]
func ssubscribeCommand(c *Client) {
	if denyBlockingSubscribe(c, "SSUBSCRIBE") {
		return
	}
	for _, ch := range c.argv[1:] {
		c.srv.pubsubSubscribeChannel(c, ch, pubsubShard)
	}
	c.Flags |= ClientPubsub
}

// SUNSUBSCRIBE [shardchannel [shardchannel ...]]
func sunsubscribeCommand(c *Client) {
	srv := c.srv
	if len(c.argv) == 1 {
		srv.pubsubUnsubscribeAllChannels(c, true, pubsubShard)
	} else {
		for _, ch := range c.argv[1:] {
			srv.pubsubUnsubscribeChannel(c, string(ch), true, pubsubShard)
		}
	}
	if c.totalSubscriptionCount() == 0 {
		c.Flags &^= ClientPubsub
	}
}

// PUBLISH channel message
func publishCommand(c *Client) {
	n := c.srv.pubsubPublishMessage(c.argv[1], c.argv[2], pubsubChannel)
	c.addReplyInt(int64(n))
}

// SPUBLISH shardchannel message
func spublishCommand(c *Client) {
	n := c.srv.pubsubPublishMessage(c.argv[1], c.argv[2], pubsubShard)
	c.addReplyInt(int64(n))
}

var pubsubHelp = []string{
	"CHANNELS [<pattern>]",
	"    Return the currently active channels matching a <pattern> (default: '*').",
	"NUMPAT",
	"    Return number of subscriptions to patterns.",
	"NUMSUB [<channel> ...]",
	"    Return the number of subscribers for the specified channels, excluding",
	"    pattern subscriptions(default: no channels).",
	"SHARDCHANNELS [<pattern>]",
	"    Return the currently active shard level channels matching a <pattern> (default: '*').",
	"SHARDNUMSUB [<shardchannel> ...]",
	"    Return the number of subscribers for the specified shard level channel(s)",
}

// PUBSUB HELP
func pubsubHelpCommand(c *Client) { c.addReplyHelp(pubsubHelp) }

// pubsubContainerCommand runs for PUBSUB without a subcommand, which the
// arity check makes unreachable.
func pubsubContainerCommand(c *Client) { c.addReplySubcommandSyntaxError() }

// channelList replies the channels of m matching the optional pattern in
// c.Argv[2] (Redis's channelList).
func channelList(c *Client, m map[string][]*Client) {
	if len(c.argv) > 3 {
		c.addReplySubcommandSyntaxError()
		return
	}
	var pat []byte
	if len(c.argv) == 3 {
		pat = c.argv[2]
	}
	d := c.addReplyDeferredLen()
	n := 0
	for ch := range m {
		if pat == nil || stringMatch(pat, []byte(ch), false) {
			c.addReplyBulkString(ch)
			n++
		}
	}
	c.setDeferredArrayLen(d, n)
}

// PUBSUB CHANNELS [pattern]
func pubsubChannelsCommand(c *Client) { channelList(c, c.srv.pubsub.channels) }

// PUBSUB SHARDCHANNELS [pattern]
func pubsubShardchannelsCommand(c *Client) { channelList(c, c.srv.pubsub.shard) }

func numsub(c *Client, m map[string][]*Client) {
	// A flat array even in RESP3, as Redis 7.0 replies.
	c.addReplyArrayLen(2 * (len(c.argv) - 2))
	for _, ch := range c.argv[2:] {
		c.addReplyBulk(ch)
		c.addReplyInt(int64(len(m[bstr(ch)])))
	}
}

// PUBSUB NUMSUB [channel [channel ...]]
func pubsubNumsubCommand(c *Client) { numsub(c, c.srv.pubsub.channels) }

// PUBSUB SHARDNUMSUB [shardchannel [shardchannel ...]]
func pubsubShardnumsubCommand(c *Client) { numsub(c, c.srv.pubsub.shard) }

// PUBSUB NUMPAT
func pubsubNumpatCommand(c *Client) { c.addReplyInt(int64(len(c.srv.pubsub.patterns))) }

// pubsubAllowedCommand reports whether a RESP2 client in subscribed state
// may run cmd.
func pubsubAllowedCommand(cmd *command) bool {
	if cmd.parent != nil {
		return false
	}
	switch cmd.name {
	case "ping", "subscribe", "ssubscribe", "unsubscribe", "sunsubscribe",
		"psubscribe", "punsubscribe", "quit", "reset":
		return true
	}
	return false
}
