package cmds

import (
	"strconv"

	"github.com/redisfs/redisfs/core/proto"
)

// Propagation of writes to the append-only file, after Redis 7.0's call(),
// alsoPropagate() and propagatePendingCommands().
//
// A write command is propagated as the client sent it, unless it says
// otherwise while it runs:
//
//   - c.rewriteArgv(args...) propagates args instead (Redis's
//     rewriteClientCommandVector): relative times become absolute
//     (SET k v EX 10 → SET k v PXAT <ms>, EXPIRE → PEXPIREAT), results that
//     depend on floating point or chance are spelled out (INCRBYFLOAT → SET …
//     KEEPTTL, SPOP → SREM), blocking forms become non-blocking ones;
//   - c.preventPropagation() propagates nothing for the command itself;
//   - srv.alsoPropagate(dbid, args...) adds a command of its own (SPOP with a
//     count propagates one SREM per member; serving a blocked BLPOP
//     propagates an LPOP).
//
// Deleting an expired or evicted key propagates a DEL. Everything one
// top-level command (or one EXEC, or the serving of one blocked client)
// propagates is one execution unit: a unit of more than one command is
// wrapped in MULTI … EXEC, so a reader of the file applies it atomically;
// a unit of one command is written bare. Nothing is encoded unless the
// persistence layer installed a feed (SetPropagationFeed): with
// persistence off this costs a nil check per write.

// propState is the propagation state of the server.
type propState struct {
	// feed receives each propagated command, RESP-encoded, with the id of
	// its database (-1 for EXEC, which needs none), in order; MULTI and
	// EXEC are commands too.
	feed func(dbid int, cmd []byte)
	// buf holds the commands of the current unit, ops where each starts.
	buf []byte
	ops []propOp
	// depth counts the nesting of calls (EXEC runs commands in itself).
	depth int
	// rewrite holds the command the current call propagates instead of
	// its argv when rewritten is set; prevent drops it.
	rewrite   []byte
	rewritten bool
	prevent   bool
	// off stops propagation (while loading data).
	off bool
}

type propOp struct {
	dbid       int
	start, end int
}

// callProp is what enterCall saves of the enclosing call.
type callProp struct {
	rewritten, prevent bool
}

var (
	respMulti = []byte("*1\r\n$5\r\nMULTI\r\n")
	respExec  = []byte("*1\r\n$4\r\nEXEC\r\n")
)

// SetPropagationFeed installs the receiver of propagated commands (nil
// removes it). feed is called on the loop; cmd is valid only during the
// call.
//
// Used by core/persist (and the tests of core/cmds).
func (srv *Server) SetPropagationFeed(feed func(dbid int, cmd []byte)) { srv.persist.prop.feed = feed }

// setPropagationOff turns propagation off (while loading data) or on.
func (srv *Server) setPropagationOff(off bool) { srv.persist.prop.off = off }

func (srv *Server) propagating() bool { return srv.persist.prop.feed != nil && !srv.persist.prop.off }

// appendCommand appends args as a RESP array of bulk strings.
func appendRESPCommand(dst []byte, args ...[]byte) []byte {
	dst = append(dst, '*')
	dst = strconv.AppendInt(dst, int64(len(args)), 10)
	dst = append(dst, '\r', '\n')
	for _, a := range args {
		dst = proto.AppendBulk(dst, a)
	}
	return dst
}

// rewriteArgv makes the current command propagate args instead of its own
// argv (rewriteClientCommandVector). The arguments are copied.
func (c *Client) rewriteArgv(args ...[]byte) {
	srv := c.srv
	if !srv.propagating() {
		return
	}
	srv.persist.prop.rewrite = appendRESPCommand(srv.persist.prop.rewrite[:0], args...)
	srv.persist.prop.rewritten = true
}

// preventPropagation keeps the current command itself from being
// propagated (what it adds with alsoPropagate still is).
func (c *Client) preventPropagation() { c.srv.persist.prop.prevent = true }

// alsoPropagate adds args (copied) to the commands the current execution
// unit propagates, in database dbid (alsoPropagate). Outside of any
// command it is propagated at once.
func (srv *Server) alsoPropagate(dbid int, args ...[]byte) {
	if !srv.propagating() {
		return
	}
	p := &srv.persist.prop
	start := len(p.buf)
	p.buf = appendRESPCommand(p.buf, args...)
	p.ops = append(p.ops, propOp{dbid, start, len(p.buf)})
	if p.depth == 0 {
		srv.flushPropagation()
	}
}

// enterCall starts a call: the rewrite state is the new command's.
// Before a write command runs, the snapshot in progress (if any) copies the
// keys it names (see OnBeforeKeyWrite).
func (srv *Server) enterCall(c *Client, cmd *command) callProp {
	p := &srv.persist.prop
	saved := callProp{p.rewritten, p.prevent}
	p.rewritten, p.prevent = false, false
	p.depth++
	if srv.persist.keyWrite != nil && cmd.flags&cmdWrite != 0 {
		srv.beforeCommandWrites(c, cmd)
	}
	return saved
}

// exitCall ends a call; the end of a top-level call ends the execution
// unit and hands its commands to the feed.
func (srv *Server) exitCall(saved callProp) {
	p := &srv.persist.prop
	p.rewritten, p.prevent = saved.rewritten, saved.prevent
	p.depth--
	if p.depth == 0 && len(p.ops) > 0 {
		srv.flushPropagation()
	}
}

// propagateCommand feeds a command that changed the keyspace to the
// execution unit (call() runs it, as Redis's call runs alsoPropagate).
func (srv *Server) propagateCommand(c *Client, cmd *command) {
	p := &srv.persist.prop
	if !srv.propagating() || p.prevent || cmd.proc == nil {
		return
	}
	// EXEC itself is never propagated: the unit it ran is wrapped in
	// MULTI … EXEC when it propagates more than one command.
	if cmd.name == "exec" && cmd.parent == nil {
		return
	}
	start := len(p.buf)
	if p.rewritten {
		p.buf = append(p.buf, p.rewrite...)
	} else {
		p.buf = appendRESPCommand(p.buf, c.argv...)
	}
	p.ops = append(p.ops, propOp{c.db.id, start, len(p.buf)})
	if p.depth == 0 {
		srv.flushPropagation()
	}
}

// propagateDeletion propagates an expired or evicted key as a DEL, as
// Redis's propagateDeletion.
func (srv *Server) propagateDeletion(db *DB, key []byte) {
	srv.alsoPropagate(db.id, []byte("DEL"), key)
}

// flushPropagation hands the commands of the unit to the feed, wrapped in
// MULTI … EXEC when there are several (propagatePendingCommands).
func (srv *Server) flushPropagation() {
	p := &srv.persist.prop
	if len(p.ops) == 0 {
		return
	}
	if srv.propagating() {
		wrap := len(p.ops) > 1
		if wrap {
			p.feed(p.ops[0].dbid, respMulti)
		}
		for _, op := range p.ops {
			p.feed(op.dbid, p.buf[op.start:op.end])
		}
		if wrap {
			// EXEC belongs to no database: no SELECT before it.
			p.feed(-1, respExec)
		}
	}
	p.ops = p.ops[:0]
	if cap(p.buf) > 1<<20 {
		p.buf = nil
	} else {
		p.buf = p.buf[:0]
	}
}

// beforeBlockedServe and afterBlockedServe bracket the serving of a
// client blocked on a key as a call: what it propagates is one unit.
func (srv *Server) beforeBlockedServe(db *DB, key []byte) callProp {
	srv.beforeKeyWrite(db, key, false)
	p := &srv.persist.prop
	saved := callProp{p.rewritten, p.prevent}
	p.rewritten, p.prevent = false, false
	p.depth++
	return saved
}

func (srv *Server) afterBlockedServe(saved callProp) { srv.exitCall(saved) }
