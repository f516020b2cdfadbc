package cmds

import "strings"

// MULTI, EXEC and DISCARD, after Redis 7.0's multi.c (WATCH is in
// watch.go). processCommand queues every command of a client in MULTI but
// the few that control the transaction; a command rejected while queuing
// (unknown, wrong arity, ACL, OOM …) flags the transaction so that EXEC
// fails with EXECABORT; a touched WATCHed key makes EXEC reply a null
// array. While EXEC runs, the client may not block: blocking commands see
// clientDenyBlocking and behave as if their timeout had expired.

// isMultiControl reports whether cmd runs at once inside MULTI instead of
// being queued.
func isMultiControl(cmd *command) bool {
	switch cmd.name {
	case "exec", "discard", "multi", "watch", "quit", "reset":
		return cmd.parent == nil
	}
	return false
}

// queueMultiCommand queues the current command for EXEC and replies QUEUED,
// as Redis's queueMultiCommand. Once the transaction is bound to fail
// nothing more is kept, but the client still sees QUEUED.
func (c *Client) queueMultiCommand() {
	if c.Flags&(clientDirtyCAS|clientDirtyExec) == 0 {
		if c.multi == nil {
			c.multi = &multiState{}
		}
		c.multi.cmds = append(c.multi.cmds, queuedCommand{cmd: c.cmd, argv: c.keepArgv()})
		c.multi.cmdFlags |= c.cmd.flags
	}
	c.write(sharedQueued)
}

// discardTransaction flags a transaction as failed after a queuing error
// (Redis's flagTransaction; the name is historical).
func (c *Client) discardTransaction() {
	if c.Flags&ClientMulti != 0 {
		c.Flags |= clientDirtyExec
	}
}

// rejectCommand replies msg (addReplyError's convention: a leading '-'
// carries the error code) for a command that processCommand refuses, and
// flags the transaction, as Redis's rejectCommand; it counts the call as
// rejected in the command's statistics. A refused EXEC aborts the
// transaction: "-EXECABORT Transaction discarded because of: msg".
func (c *Client) rejectCommand(msg string) {
	c.discardTransaction()
	if c.cmd != nil {
		c.srv.statsOf(c.cmd).rejectedCalls++
	}
	if c.cmd != nil && c.cmd.proc != nil && c.cmd.name == "exec" && c.cmd.parent == nil {
		c.execCommandAbort(msg)
		return
	}
	c.addReplyError(msg)
}

// execCommandAbort ends the transaction with an EXECABORT error naming
// the reason, as Redis's execCommandAbort.
func (c *Client) execCommandAbort(msg string) {
	c.resetMulti()
	msg = strings.TrimPrefix(msg, "-")
	c.addReplyError("-EXECABORT Transaction discarded because of: " + msg)
	// MONITOR saw MULTI; it sees EXEC too so the transaction ends.
	c.srv.feedMonitors(c, c.argv)
}

// resetMulti is Redis's discardTransaction: it forgets the queued commands,
// leaves the MULTI state and unwatches every key.
func (c *Client) resetMulti() {
	c.multi = nil
	c.Flags &^= ClientMulti | clientDirtyCAS | clientDirtyExec
	c.srv.unwatchAllKeys(c)
}

// MULTI
func multiCommand(c *Client) {
	if c.Flags&ClientMulti != 0 {
		c.addReplyError("MULTI calls can not be nested")
		return
	}
	c.Flags |= ClientMulti
	c.multi = &multiState{}
	c.addReplyOK()
}

// DISCARD
func discardCommand(c *Client) {
	if c.Flags&ClientMulti == 0 {
		c.addReplyError("DISCARD without MULTI")
		return
	}
	c.resetMulti()
	c.addReplyOK()
}

// EXEC
func execCommand(c *Client) {
	srv := c.srv
	if c.Flags&ClientMulti == 0 {
		c.addReplyError("EXEC without MULTI")
		return
	}
	// A WATCHed key that expired since WATCH (and was not deleted yet)
	// counts as touched.
	if srv.isWatchedKeyExpired(c) {
		c.Flags |= clientDirtyCAS
	}
	if c.Flags&(clientDirtyCAS|clientDirtyExec) != 0 {
		if c.Flags&clientDirtyExec != 0 {
			c.addReplyError("-EXECABORT Transaction discarded because of previous errors.")
		} else {
			c.addReplyNullArray()
		}
		c.resetMulti()
		return
	}
	oldFlags := c.Flags
	c.Flags |= clientDenyBlocking
	srv.unwatchAllKeys(c) // unwatch at once, touching them is pointless now
	var queued []queuedCommand
	if c.multi != nil {
		queued = c.multi.cmds
	}
	// The client leaves the MULTI state before the commands run, so that
	// each of them is propagated and counted like a top-level command.
	c.multi = nil
	c.Flags &^= ClientMulti | clientDirtyCAS | clientDirtyExec
	srv.inExec++
	savedArgv, savedCmd := c.argv, c.cmd
	c.addReplyArrayLen(len(queued))
	for _, q := range queued {
		c.argv = q.argv
		c.cmd = q.cmd
		// ACL rules may have changed since the command was queued.
		if reason, ok := srv.aclCheckAtExec(c); !ok {
			c.addReplyError("-NOPERM ACLs rules changed between the moment the transaction was accumulated and the EXEC call. This command is no longer allowed for the following reason: " + reason)
			continue
		}
		c.call()
	}
	c.argv, c.cmd = savedArgv, savedCmd
	srv.inExec--
	if oldFlags&clientDenyBlocking == 0 {
		c.Flags &^= clientDenyBlocking
	}
}
