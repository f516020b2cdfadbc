package cmds

import (
	"github.com/redisfs/redisfs/core/proto"
)

// Client flags, as Redis's CLIENT_*.
//
// The exported names are used by core/server and fs/local (and the tests of core/cmds).
const (
	ClientCloseAfterReply uint64 = 1 << iota // close once the pending replies are written (QUIT, protocol error)
	ClientCloseASAP                          // close at the next beforeSleep, replies or not
	ClientMulti                              // inside MULTI
	clientDirtyCAS                           // a WATCHed key changed
	clientDirtyExec                          // EXEC will fail: a command failed to queue
	ClientBlocked                            // blocked on keys or a timer
	ClientPubsub                             // in subscribed state (RESP2)
	ClientMonitor                            // MONITOR
	clientPendingWrite                       // queued in srv.pendingWrite
	clientNoEvict                            // CLIENT NO-EVICT on
	clientReplyOff                           // CLIENT REPLY OFF
	clientReplySkipNext                      // CLIENT REPLY SKIP: skip the next reply
	clientReplySkip                          // skip the reply of the current command
	ClientInternal                           // a client of the server itself (file server ops)
	ClientUnixSocket                         // connected through the unix socket
	clientProtected                          // do not close on idle timeout
	clientDenyBlocking                       // may not block (inside EXEC): blocking commands act as timed out
	// clientPendingCommand marks a client whose command was postponed by
	// CLIENT PAUSE (with ClientBlocked while the pause lasts): its input
	// waits until that command has run (pause.go).
	clientPendingCommand
	// Client-side caching (tracking.go), as Redis's CLIENT_TRACKING_*.
	clientTrackingOn          // CLIENT TRACKING on
	clientTrackingBrokenRedir // the redirect client is gone
	clientTrackingBcast       // BCAST mode
	clientTrackingOptin       // OPTIN mode
	clientTrackingOptout      // OPTOUT mode
	clientTrackingCaching     // CLIENT CACHING given for the next command
	clientTrackingNoloop      // NOLOOP: no messages about the client's own changes
	// clientLoading marks the AOF loader, a client whose commands are
	// obeyed as written (Redis's mustObeyClient).
	clientLoading
	// clientInScript marks the caller of a script that runs past
	// busy-reply-threshold: its further input waits for the script to end
	// (Redis's protectClient).
	clientInScript
	// clientScript marks the client scripts run their commands on.
	clientScript
)

// Conn is the transport behind a client: a socket, a ctl conversation, or
// nothing for internal clients. Its methods are called on the loop.
//
// Implemented by core/server (sockets) and fs/local (ctl, pub/sub and
// monitor files, the file server's internal clients).
type Conn interface {
	// Flush is called in beforeSleep when the client has replies pending
	// (c.Reply[c.Sent:]). It writes what it can and advances c.Sent.
	Flush(c *Client)
	// Close releases the transport; called once, from FreeClient.
	Close(c *Client)
	// RemoteAddr and LocalAddr are "ip:port" or "path:0" as CLIENT LIST shows.
	RemoteAddr() string
	LocalAddr() string
	// Fd returns the file descriptor, or -1.
	Fd() int
}

// Client is one connection's state on the command side, as Redis's client
// struct. Fields are owned by the loop goroutine.
//
// Used by core/server and fs/local (and the tests of core/cmds).
type Client struct {
	ID   int64
	srv  *Server
	conn Conn

	// QueryBuf holds request bytes not yet parsed; front ends append to it
	// and call ProcessInputBuffer.
	QueryBuf []byte
	parser   *proto.Parser
	// argv is the current command's arguments. They alias QueryBuf: a
	// command that keeps an argument copies it.
	argv    [][]byte
	cmd     *command
	lastCmd *command

	db    *DB
	resp  int // 2 or 3
	Flags uint64

	// Reply holds encoded replies; Reply[:Sent] has been written already.
	Reply []byte
	Sent  int

	Name          string
	created       int64 // unix ms
	lastInteract  int64 // unix ms
	Authenticated bool
	userName      string
	libName       string
	libVer        string

	// Extension state of other command families (MULTI, pub/sub, blocking)
	// hangs here so the core struct stays small.
	multi    *multiState
	argvCopy [][]byte
	watched  []*watchedKey // WATCHed keys (watch.go)
	ps       *clientPubsub // subscriptions (pubsub.go)
	user     *aclUser      // the ACL user, resolved from User (acl.go)
	bstate   *blockState   // what the client is blocked on (blocking.go)
	// actAs: an internal client whose commands are checked against
	// userName's ACL, for a mapped user of the mount (ActAs).
	actAs bool

	// trk holds the CLIENT TRACKING settings (tracking.go).
	trk *clientTracking
	// obufSoftSince is when the output first went over the soft limit
	// of client-output-buffer-limit (unix s; 0: it is not over).
	obufSoftSince int64
}

type multiState struct {
	cmds     []queuedCommand
	cmdFlags uint64 // union of the queued commands' flags
}

type queuedCommand struct {
	cmd  *command
	argv [][]byte
}

// NewClient creates a client with transport conn, registered with the
// server (CLIENT LIST, maxclients accounting is the front end's job).
//
// Used by core/server and fs/local (and the tests of core/cmds).
func (srv *Server) NewClient(conn Conn) *Client {
	srv.nextClientID++
	now := srv.unixMs()
	c := &Client{
		ID:            srv.nextClientID,
		srv:           srv,
		conn:          conn,
		parser:        proto.NewParser(),
		db:            srv.DBs[0],
		resp:          2,
		created:       now,
		lastInteract:  now,
		Authenticated: !srv.defaultUserNeedsAuth(),
		userName:      "default",
	}
	c.parser.MaxBulkLen = srv.Config.ProtoMaxBulkLen
	srv.clients[c.ID] = c
	return c
}

// server returns the server the client belongs to.
func (c *Client) server() *Server { return c.srv }

// FreeClient unregisters c, releases what the command families hold for
// it, in the order of Redis's freeClient (unblock, unwatch, unsubscribe,
// MONITOR, tracking), and closes its transport.
//
// Used by core/persist, core/server and fs/local.
func (srv *Server) FreeClient(c *Client) {
	if _, ok := srv.clients[c.ID]; !ok {
		return
	}
	delete(srv.clients, c.ID)
	// A client postponed by CLIENT PAUSE is dropped by pause.go when
	// its turn comes; one blocked on keys leaves their lists now.
	if c.Flags&(ClientBlocked|clientPendingCommand) == ClientBlocked && c.bstate != nil {
		srv.unblockClient(c, false) // blocking.go
	}
	srv.unwatchAllKeys(c)              // watch.go
	srv.pubsubUnsubscribeAll(c, false) // pubsub.go
	srv.removeMonitor(c)               // monitor.go
	if c.Flags&clientTrackingOn != 0 {
		c.disableTracking() // tracking.go
	}
	if c.conn != nil {
		c.conn.Close(c)
	}
}

// Clients returns the live clients by id.
//
// Used by core/server (and the tests of core/cmds).
func (srv *Server) Clients() map[int64]*Client { return srv.clients }

// CommandWatcher is a transport (Conn) that wants each command's replies
// apart from the next command's. When c.Conn implements it,
// ProcessInputBuffer calls CommandDone after every command it runs, and
// after a protocol error (argv empty then). argv is the command's (it
// aliases the query buffer: valid only during the call); c.Reply[from:]
// holds what the command replied, and c.Reply[c.Sent:from] what came
// before it and was not flushed yet (a blocked command's late reply,
// pub/sub messages). The file server's ctl conversations use it to render
// each reply as redis-cli does, without parsing the request a second
// time.
//
// Used by fs/local.
type CommandWatcher interface {
	Conn
	CommandDone(c *Client, argv [][]byte, from int)
}

// inputPaused reports whether c runs no further commands for now: it is
// blocked, its command is postponed by a pause, or it is being closed.
func (c *Client) inputPaused() bool {
	return c.Flags&(ClientBlocked|clientPendingCommand|ClientCloseAfterReply|ClientCloseASAP) != 0
}

// runArgv runs c.argv as one command: the per-command part of
// ProcessInputBuffer, shared with RunArgv.
func (c *Client) runArgv() {
	c.lastInteract = c.srv.unixMs()
	c.srv.processCommandAndReset(c)
}

// ProcessInputBuffer parses and runs every complete command in c.QueryBuf,
// as Redis's processInputBuffer; an incomplete tail stays in QueryBuf. On a
// protocol error the client gets the error reply and is closed after it.
// A transport that is a CommandWatcher is told of each command's end.
//
// Used by core/server and fs/local (and the tests of core/cmds).
func (c *Client) ProcessInputBuffer() {
	if c.Flags&clientInScript != 0 {
		// Its EVAL is still running, further up this stack.
		return
	}
	w, _ := c.conn.(CommandWatcher)
	pos := 0
	for pos < len(c.QueryBuf) {
		if c.inputPaused() {
			break
		}
		c.parser.AuthRequired = !c.Authenticated
		args, n, err := c.parser.ReadCommand(c.QueryBuf[pos:], c.argv[:0])
		if err != nil {
			c.srv.Logf(LogVerbose, "Protocol error (%s) from client: id=%d", err.Error(), c.ID)
			from := len(c.Reply)
			c.addReplyError(err.Error())
			c.Flags |= ClientCloseAfterReply
			pos = len(c.QueryBuf)
			if w != nil {
				w.CommandDone(c, nil, from)
			}
			break
		}
		if n == 0 {
			break
		}
		pos += n
		c.argv = args
		if len(args) == 0 {
			continue
		}
		from := len(c.Reply)
		c.runArgv()
		if w != nil {
			w.CommandDone(c, args, from)
		}
	}
	// Keep only the unparsed tail, and drop a big buffer once it is idle.
	if pos > 0 {
		rest := copy(c.QueryBuf, c.QueryBuf[pos:])
		c.QueryBuf = c.QueryBuf[:rest]
	}
	if len(c.QueryBuf) == 0 && cap(c.QueryBuf) > 64*1024 {
		c.QueryBuf = nil
	}
	// Drop the argument views so they keep no query buffer alive; an
	// argv grown by one huge command is dropped rather than cleared on
	// every later call.
	if cap(c.argv) > 1024 {
		c.argv = nil
	} else {
		clear(c.argv[:cap(c.argv)])
		c.argv = c.argv[:0]
	}
}

// RunArgv runs argv as one command on c, through the path a command parsed
// by ProcessInputBuffer takes (processCommand: lookup, arity, ACL, pause,
// MULTI queueing, call, blocking, statistics), without encoding it as a
// request first, and returns the reply the command appended to c.Reply.
// The reply aliases c.Reply: it stays valid until the reply buffer is
// reset (ResetReply) and may be read in place. It returns nil, running
// nothing, while c is blocked, postponed or closing, and is nil or empty
// when the command replied nothing (CLIENT REPLY OFF or SKIP, a command
// that blocked). argv must stay unchanged until RunArgv returns; a command
// that keeps an argument copies it, as with a parsed command. The file
// server runs file operations with it, on internal clients, one job at a
// time, with c.QueryBuf empty.
//
// Used by fs/local.
func (c *Client) RunArgv(argv [][]byte) []byte {
	if len(argv) == 0 || c.inputPaused() {
		return nil
	}
	// The client's own argv slice is the parser's scratch: keep it.
	saved := c.argv
	c.argv = argv
	from := len(c.Reply)
	c.runArgv()
	c.argv = saved[:0]
	if from > len(c.Reply) {
		return nil
	}
	return c.Reply[from:]
}

// ParserNeed reports how many bytes the pending command needs in total, when
// the parser knows (a big bulk argument), so a front end can size its reads.
//
// Used by core/server.
func (c *Client) ParserNeed() int { return c.parser.Need }

// keepArgv returns a copy of c.Argv that stays valid after the command
// returns (for MULTI queues and blocked commands).
//
// The arguments share one allocation, and an empty argument stays a
// non-nil empty slice: commands tell an absent argument (nil) from the
// empty key "" (SINTERSTORE "" s, BLMOVE src ""), and
// append([]byte(nil), a...) would turn the one into the other.
func (c *Client) keepArgv() [][]byte {
	return keepArgs(c.argv)
}

// keepArgs copies args into one new allocation; see keepArgv.
func keepArgs(args [][]byte) [][]byte {
	n := 0
	for _, a := range args {
		n += len(a)
	}
	buf := make([]byte, n)
	out := make([][]byte, len(args))
	off := 0
	for i, a := range args {
		copy(buf[off:], a)
		out[i] = buf[off : off+len(a) : off+len(a)]
		off += len(a)
	}
	return out
}

// keepArg copies one argument, keeping "" non-nil (see keepArgv).
func keepArg(a []byte) []byte {
	return append(make([]byte, 0, len(a)), a...)
}
