package cmds

import (
	"slices"
	"strconv"
	"strings"

	"github.com/redisfs/redisfs/core/proto"
)

// The connection commands of Redis's networking.c and acl.c: HELLO, AUTH,
// RESET and CLIENT. Users and their passwords are acl.go's.

// redisVersion is the Redis version redisfs answers as (HELLO, INFO):
// clients that check versions see the release whose behaviour we copy.
const redisVersion = "7.0.15"

// authenticate checks user and pass against the default user, as Redis's
// ACLAuthenticateUser, and on success marks c authenticated.
func (c *Client) authenticate(user, pass []byte) bool {
	// The ACL users (acl.go) decide; failures go to ACL LOG.
	return c.srv.aclAuthenticateUser(c, user, pass)
}

const errWrongPass = "-WRONGPASS invalid username-password pair or user is disabled."

// AUTH [username] password
func authCommand(c *Client) {
	if len(c.argv) > 3 {
		c.addReplySyntaxError()
		return
	}
	user, pass := []byte("default"), c.argv[1]
	if len(c.argv) == 2 {
		// The two-argument form fails when no password is set, as Redis
		// does to catch configuration mistakes.
		if c.srv.defaultUserNoPass() {
			c.addReplyError("AUTH <password> called without any password configured for the default user. Are you sure your configuration is correct?")
			return
		}
	} else {
		user, pass = c.argv[1], c.argv[2]
	}
	if c.authenticate(user, pass) {
		c.addReplyOK()
	} else {
		c.addReplyError(errWrongPass)
	}
}

// HELLO [protover [AUTH username password] [SETNAME clientname]]
func helloCommand(c *Client) {
	var ver int64
	if len(c.argv) >= 2 {
		v, ok := proto.ParseInt(c.argv[1])
		if !ok {
			c.addReplyError("Protocol version is not an integer or out of range")
			return
		}
		if v < 2 || v > 3 {
			c.addReplyError("-NOPROTO unsupported protocol version")
			return
		}
		ver = v
	}
	// Options take effect as they are parsed, as in Redis 7.0: an AUTH
	// before a bad SETNAME has authenticated already.
	for j := 2; j < len(c.argv); j++ {
		more := len(c.argv) - 1 - j
		opt := c.argv[j]
		switch {
		case strings.EqualFold(string(opt), "auth") && more >= 2:
			if !c.authenticate(c.argv[j+1], c.argv[j+2]) {
				c.addReplyError(errWrongPass)
				return
			}
			j += 2
		case strings.EqualFold(string(opt), "setname") && more >= 1:
			if !c.setNameOrReply(c.argv[j+1]) {
				return
			}
			j++
		default:
			c.addReplyErrorFormat("Syntax error in HELLO option '%s'", opt)
			return
		}
	}
	if !c.Authenticated {
		c.addReplyError("-NOAUTH HELLO must be called with the client already authenticated, otherwise the HELLO AUTH <user> <pass> option can be used to authenticate the client and select the RESP protocol version at the same time")
		return
	}
	if ver != 0 {
		c.resp = int(ver)
	}
	c.addReplyMapLen(7)
	c.addReplyBulkString("server")
	c.addReplyBulkString("redis")
	c.addReplyBulkString("version")
	c.addReplyBulkString(redisVersion)
	c.addReplyBulkString("proto")
	c.addReplyInt(int64(c.resp))
	c.addReplyBulkString("id")
	c.addReplyInt(c.ID)
	c.addReplyBulkString("mode")
	c.addReplyBulkString("standalone")
	c.addReplyBulkString("role")
	c.addReplyBulkString("master")
	c.addReplyBulkString("modules")
	c.addReplyArrayLen(0)
}

// RESET
func resetCommand(c *Client) {
	c.clearConnectionState()
	c.addReplyStatus("RESET")
}

// clearConnectionState puts c back in the state of a new connection, as
// Redis's clearClientConnectionState: database 0, RESP2, the default user
// (unauthenticated when a password is set), no transaction, no name, no
// subscriptions, replies on.
func (c *Client) clearConnectionState() {
	srv := c.srv
	c.SelectDB(0)
	c.resp = 2
	c.userName = "default"
	c.Authenticated = !srv.defaultUserNeedsAuth()
	c.resetMulti() // and unwatches
	c.Name = ""
	srv.removeMonitor(c)               // monitor.go
	srv.pubsubUnsubscribeAll(c, false) // pubsub.go
	if c.Flags&clientTrackingOn != 0 {
		c.disableTracking() // tracking.go
	}
	c.Flags &^= ClientPubsub | clientReplyOff | clientReplySkipNext
}

// validClientName reports whether name may be a client name: CLIENT LIST
// splits on spaces, so only printable ASCII other than space is allowed.
// The empty name is allowed (it clears the name).
func validClientName(name []byte) bool {
	for _, ch := range name {
		if ch < '!' || ch > '~' {
			return false
		}
	}
	return true
}

// setNameOrReply sets c's name, or replies with Redis's error and returns
// false when the name is not valid.
func (c *Client) setNameOrReply(name []byte) bool {
	if !validClientName(name) {
		c.addReplyError("Client names cannot contain spaces, newlines or special characters.")
		return false
	}
	c.Name = string(name)
	return true
}

// Client types, as Redis's CLIENT_TYPE_*, for CLIENT LIST/KILL TYPE.
const (
	clientTypeNormal = iota
	clientTypeReplica
	clientTypePubsub
	clientTypeMaster
)

func clientTypeByName(name []byte) int {
	switch strings.ToLower(string(name)) {
	case "normal":
		return clientTypeNormal
	case "slave", "replica":
		return clientTypeReplica
	case "pubsub":
		return clientTypePubsub
	case "master":
		return clientTypeMaster
	}
	return -1
}

func (c *Client) clientType() int {
	if c.Flags&ClientPubsub != 0 {
		return clientTypePubsub
	}
	return clientTypeNormal
}

// listedClients returns the clients CLIENT LIST and CLIENT KILL see, in
// creation order: every connection, not the server's internal clients.
func (srv *Server) listedClients() []*Client {
	out := make([]*Client, 0, len(srv.clients))
	for _, c := range srv.clients {
		if c.Flags&ClientInternal == 0 {
			out = append(out, c)
		}
	}
	slices.SortFunc(out, func(a, b *Client) int {
		switch {
		case a.ID < b.ID:
			return -1
		case a.ID > b.ID:
			return 1
		}
		return 0
	})
	return out
}

// clientListFlags are the client flags CLIENT LIST shows, with their
// letters, in Redis's order.
var clientListFlags = [...]struct {
	flag   uint64
	letter byte
}{
	{ClientMonitor, 'O'}, {ClientPubsub, 'P'}, {ClientMulti, 'x'}, {ClientBlocked, 'b'},
	{clientTrackingOn, 't'}, {clientTrackingBrokenRedir, 'R'}, {clientTrackingBcast, 'B'},
	{clientDirtyCAS, 'd'}, {ClientCloseAfterReply, 'c'}, {ClientCloseASAP, 'A'},
	{ClientUnixSocket, 'U'}, {clientNoEvict, 'e'},
}

// clientFlagsString is the flags field of CLIENT LIST, letters in Redis's
// order ('N' when none applies).
func (c *Client) clientFlagsString(buf []byte) []byte {
	n := len(buf)
	for _, f := range clientListFlags {
		if c.Flags&f.flag != 0 {
			buf = append(buf, f.letter)
		}
	}
	if len(buf) == n {
		buf = append(buf, 'N')
	}
	return buf
}

// appendIntField appends a CLIENT LIST field of integer value v; name
// carries the separator and the '='.
func appendIntField(b []byte, name string, v int64) []byte {
	return strconv.AppendInt(append(b, name...), v, 10)
}

// clientStructSize approximates what a client costs besides its buffers,
// for the tot-mem field.
const clientStructSize = 1024

// appendClientInfo appends c's CLIENT LIST line (without newline), with the
// fields of Redis 7.0.15 in its order: id addr laddr fd name age idle flags
// db sub psub ssub multi qbuf qbuf-free argv-mem multi-mem rbs rbp obl oll
// omem tot-mem events cmd user redir resp.
//
// Memory fields describe our buffers: qbuf is the unparsed query buffer,
// rbs the reply buffer's capacity (rbp the same: no peak is kept); the
// reply bytes not yet written are shown as Redis's buffers would hold
// them (outputBufferUsage): obl up to 16 KB, the rest as oll blocks
// totalling omem bytes.
func (c *Client) appendClientInfo(b []byte) []byte {
	srv := c.srv
	addr, laddr, fd := "", "", -1
	if c.conn != nil {
		addr, laddr, fd = c.conn.RemoteAddr(), c.conn.LocalAddr(), c.conn.Fd()
	}
	now := srv.cachedNow.Unix()
	sub, psub, ssub := c.pubsubCounts()
	multi := -1
	multiMem := 0
	if c.Flags&ClientMulti != 0 {
		multi = 0
		if c.multi != nil {
			multi = len(c.multi.cmds)
			for _, q := range c.multi.cmds {
				for _, a := range q.argv {
					multiMem += len(a)
				}
			}
		}
	}
	argvMem := 0
	if c.cmd != nil && srv.currentClient == c {
		for _, a := range c.argv {
			argvMem += len(a)
		}
	}
	pending := max(len(c.Reply)-c.Sent, 0)
	obl, oll, omem := outputBufferUsage(int64(pending))
	totMem := clientStructSize + cap(c.QueryBuf) + cap(c.Reply) + argvMem + multiMem

	b = appendIntField(b, "id=", c.ID)
	b = append(append(b, " addr="...), addr...)
	b = append(append(b, " laddr="...), laddr...)
	b = appendIntField(b, " fd=", int64(fd))
	b = append(append(b, " name="...), c.Name...)
	b = appendIntField(b, " age=", now-c.created/1000)
	b = appendIntField(b, " idle=", now-c.lastInteract/1000)
	b = c.clientFlagsString(append(b, " flags="...))
	b = appendIntField(b, " db=", int64(c.db.id))
	b = appendIntField(b, " sub=", int64(sub))
	b = appendIntField(b, " psub=", int64(psub))
	b = appendIntField(b, " ssub=", int64(ssub))
	b = appendIntField(b, " multi=", int64(multi))
	b = appendIntField(b, " qbuf=", int64(len(c.QueryBuf)))
	b = appendIntField(b, " qbuf-free=", int64(cap(c.QueryBuf)-len(c.QueryBuf)))
	b = appendIntField(b, " argv-mem=", int64(argvMem))
	b = appendIntField(b, " multi-mem=", int64(multiMem))
	b = appendIntField(b, " rbs=", int64(cap(c.Reply)))
	b = appendIntField(b, " rbp=", int64(cap(c.Reply)))
	b = appendIntField(b, " obl=", obl)
	b = appendIntField(b, " oll=", oll)
	b = appendIntField(b, " omem=", omem)
	b = appendIntField(b, " tot-mem=", int64(totMem))
	b = append(b, " events=r"...)
	if pending > 0 && c.Flags&clientPendingWrite == 0 {
		// Replies left over after a short write wait for EPOLLOUT.
		b = append(b, 'w')
	}
	b = append(b, " cmd="...)
	if c.lastCmd != nil {
		b = append(b, c.lastCmd.fullName...)
	} else {
		b = append(b, "NULL"...)
	}
	b = append(b, " user="...)
	b = append(b, c.userName...)
	b = appendIntField(b, " redir=", c.trackingRedirID())
	return appendIntField(b, " resp=", int64(c.resp))
}

var clientHelp = []string{
	"CACHING (YES|NO)",
	"    Enable/disable tracking of the keys for next command in OPTIN/OPTOUT modes.",
	"GETREDIR",
	"    Return the client ID we are redirecting to when tracking is enabled.",
	"GETNAME",
	"    Return the name of the current connection.",
	"ID",
	"    Return the ID of the current connection.",
	"INFO",
	"    Return information about the current client connection.",
	"KILL <ip:port>",
	"    Kill connection made from <ip:port>.",
	"KILL <option> <value> [<option> <value> [...]]",
	"    Kill connections. Options are:",
	"    * ADDR (<ip:port>|<unixsocket>:0)",
	"      Kill connections made from the specified address",
	"    * LADDR (<ip:port>|<unixsocket>:0)",
	"      Kill connections made to specified local address",
	"    * TYPE (NORMAL|MASTER|REPLICA|PUBSUB)",
	"      Kill connections by type.",
	"    * USER <username>",
	"      Kill connections authenticated by <username>.",
	"    * SKIPME (YES|NO)",
	"      Skip killing current connection (default: yes).",
	"LIST [options ...]",
	"    Return information about client connections. Options:",
	"    * TYPE (NORMAL|MASTER|REPLICA|PUBSUB)",
	"      Return clients of specified type.",
	"UNPAUSE",
	"    Stop the current client pause, resuming traffic.",
	"PAUSE <timeout> [WRITE|ALL]",
	"    Suspend all, or just write, clients for <timeout> milliseconds.",
	"REPLY (ON|OFF|SKIP)",
	"    Control the replies sent to the current connection.",
	"SETNAME <name>",
	"    Assign the name <name> to the current connection.",
	"UNBLOCK <clientid> [TIMEOUT|ERROR]",
	"    Unblock the specified blocked client.",
	"TRACKING (ON|OFF) [REDIRECT <id>] [BCAST] [PREFIX <prefix> [...]]",
	"         [OPTIN] [OPTOUT] [NOLOOP]",
	"    Control server assisted client side caching.",
	"TRACKINGINFO",
	"    Report tracking status for the current connection.",
	"NO-EVICT (ON|OFF)",
	"    Protect current client connection from eviction.",
}

// CLIENT HELP
func clientHelpCommand(c *Client) { c.addReplyHelp(clientHelp) }

// CLIENT ID
func clientIDCommand(c *Client) { c.addReplyInt(c.ID) }

// CLIENT INFO
func clientInfoCommand(c *Client) {
	b := c.appendClientInfo(nil)
	b = append(b, '\n')
	c.addReplyVerbatim(b, "txt")
}

// CLIENT LIST [TYPE NORMAL|MASTER|REPLICA|PUBSUB] [ID client-id ...]
func clientListCommand(c *Client) {
	srv := c.srv
	typ := -1
	var b []byte
	switch {
	case len(c.argv) == 4 && strings.EqualFold(string(c.argv[2]), "type"):
		typ = clientTypeByName(c.argv[3])
		if typ == -1 {
			c.addReplyErrorFormat("Unknown client type '%s'", c.argv[3])
			return
		}
	case len(c.argv) > 3 && strings.EqualFold(string(c.argv[2]), "id"):
		b = []byte{}
		for _, arg := range c.argv[3:] {
			id, ok := proto.ParseInt(arg)
			if !ok {
				c.addReplyError("Invalid client ID")
				return
			}
			if cl := srv.clients[id]; cl != nil && cl.Flags&ClientInternal == 0 {
				b = cl.appendClientInfo(b)
				b = append(b, '\n')
			}
		}
	case len(c.argv) != 2:
		c.addReplySyntaxError()
		return
	}
	if b == nil {
		b = []byte{}
		for _, cl := range srv.listedClients() {
			if typ != -1 && cl.clientType() != typ {
				continue
			}
			b = cl.appendClientInfo(b)
			b = append(b, '\n')
		}
	}
	c.addReplyVerbatim(b, "txt")
}

// CLIENT KILL ip:port
// CLIENT KILL [ID client-id] [TYPE NORMAL|MASTER|SLAVE|REPLICA|PUBSUB]
// [USER username] [ADDR ip:port] [LADDR ip:port] [SKIPME yes/no]
func clientKillCommand(c *Client) {
	srv := c.srv
	var addr, laddr, user []byte
	typ := -1
	var id int64
	skipme := true
	if len(c.argv) == 3 {
		// The old form may kill the calling client itself.
		addr = c.argv[2]
		skipme = false
	} else {
		for i := 2; i < len(c.argv); i += 2 {
			if i+1 >= len(c.argv) {
				c.addReplySyntaxError()
				return
			}
			opt, val := strings.ToLower(string(c.argv[i])), c.argv[i+1]
			switch opt {
			case "id":
				n, ok := proto.ParseInt(val)
				if !ok || n < 1 {
					c.addReplyError("client-id should be greater than 0")
					return
				}
				id = n
			case "type":
				typ = clientTypeByName(val)
				if typ == -1 {
					c.addReplyErrorFormat("Unknown client type '%s'", val)
					return
				}
			case "addr":
				addr = val
			case "laddr":
				laddr = val
			case "user":
				if srv.acl == nil || srv.acl.users[string(val)] == nil {
					c.addReplyErrorFormat("No such user '%s'", val)
					return
				}
				user = val
			case "skipme":
				switch strings.ToLower(string(val)) {
				case "yes":
					skipme = true
				case "no":
					skipme = false
				default:
					c.addReplySyntaxError()
					return
				}
			default:
				c.addReplySyntaxError()
				return
			}
		}
	}
	killed := 0
	closeSelf := false
	for _, cl := range srv.listedClients() {
		var clAddr, clLaddr string
		if cl.conn != nil {
			clAddr, clLaddr = cl.conn.RemoteAddr(), cl.conn.LocalAddr()
		}
		if addr != nil && clAddr != string(addr) ||
			laddr != nil && clLaddr != string(laddr) ||
			typ != -1 && cl.clientType() != typ ||
			id != 0 && cl.ID != id ||
			user != nil && cl.userName != string(user) ||
			cl == c && skipme {
			continue
		}
		if cl == c {
			closeSelf = true
		} else {
			srv.FreeClient(cl)
		}
		killed++
	}
	if len(c.argv) == 3 {
		if killed == 0 {
			c.addReplyError("No such client")
		} else {
			c.addReplyOK()
		}
	} else {
		c.addReplyInt(int64(killed))
	}
	// Flagged only once the reply is queued, so that it is written.
	if closeSelf {
		c.Flags |= ClientCloseAfterReply
	}
}

// CLIENT NO-EVICT ON|OFF
func clientNoEvictCommand(c *Client) {
	switch strings.ToLower(string(c.argv[2])) {
	case "on":
		c.Flags |= clientNoEvict
		c.addReplyOK()
	case "off":
		c.Flags &^= clientNoEvict
		c.addReplyOK()
	default:
		c.addReplySyntaxError()
	}
}

// CLIENT SETNAME connection-name
func clientSetNameCommand(c *Client) {
	if c.setNameOrReply(c.argv[2]) {
		c.addReplyOK()
	}
}

// CLIENT GETNAME
func clientGetNameCommand(c *Client) {
	if c.Name == "" {
		c.addReplyNull()
		return
	}
	c.addReplyBulkString(c.Name)
}

// CLIENT REPLY ON|OFF|SKIP
func clientReplyCommand(c *Client) {
	switch strings.ToLower(string(c.argv[2])) {
	case "on":
		c.Flags &^= clientReplySkip | clientReplyOff
		c.addReplyOK()
	case "off":
		c.Flags |= clientReplyOff
	case "skip":
		if c.Flags&clientReplyOff == 0 {
			c.Flags |= clientReplySkipNext
		}
	default:
		c.addReplySyntaxError()
	}
}

// CLIENT UNBLOCK client-id [TIMEOUT|ERROR]
func clientUnblockCommand(c *Client) {
	if len(c.argv) > 4 {
		c.addReplySubcommandSyntaxError()
		return
	}
	withError := false
	if len(c.argv) == 4 {
		switch strings.ToLower(string(c.argv[3])) {
		case "timeout":
		case "error":
			withError = true
		default:
			c.addReplyError("CLIENT UNBLOCK reason should be TIMEOUT or ERROR")
			return
		}
	}
	id, ok := proto.ParseInt(c.argv[2])
	if !ok {
		c.addReplyError(errNotInteger)
		return
	}
	target := c.srv.clients[id]
	// A client postponed by CLIENT PAUSE is not unblocked (pause.go).
	if target == nil || target.Flags&ClientBlocked == 0 || target.Flags&clientPendingCommand != 0 {
		c.addReplyInt(0)
		return
	}
	c.srv.clientUnblock(target, withError) // blocking.go
	c.addReplyInt(1)
}

// CLIENT TRACKING, CACHING, GETREDIR and TRACKINGINFO are tracking.go's.

// clientContainerCommand runs for a container command without a
// subcommand; the arity check makes it unreachable, but a table entry has
// a Proc.
func clientContainerCommand(c *Client) { c.addReplySubcommandSyntaxError() }
