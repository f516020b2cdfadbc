package cmds

// isMultiControl reports whether cmd runs at once inside MULTI instead of
// being queued.
func isMultiControl(cmd *Command) bool {
	switch cmd.Name {
	case "exec", "discard", "multi", "watch", "quit", "reset":
		return cmd.Parent == nil
	}
	return false
}

// queueMultiCommand queues the current command for EXEC and replies QUEUED.
func (c *Client) queueMultiCommand() {
	if c.Flags&ClientDirtyExec != 0 {
		// After a queuing error nothing else is queued, but the
		// client still sees QUEUED (Redis 7.0 behaviour).
		c.write(sharedQueued)
		return
	}
	if c.multi == nil {
		c.multi = &multiState{}
	}
	c.multi.cmds = append(c.multi.cmds, queuedCommand{cmd: c.cmd, argv: c.KeepArgv()})
	c.write(sharedQueued)
}

// discardTransaction flags a transaction as failed after a queuing error
// (Redis's flagTransaction).
func (c *Client) discardTransaction() {
	if c.Flags&ClientMulti != 0 {
		c.Flags |= ClientDirtyExec
	}
}

func (c *Client) resetMulti() {
	c.multi = nil
	c.Flags &^= ClientMulti | ClientDirtyCAS | ClientDirtyExec
}

// MULTI
func multiCommand(c *Client) {
	if c.Flags&ClientMulti != 0 {
		c.AddReplyError("MULTI calls can not be nested")
		return
	}
	c.Flags |= ClientMulti
	c.multi = &multiState{}
	c.AddReplyOK()
}

// DISCARD
func discardCommand(c *Client) {
	if c.Flags&ClientMulti == 0 {
		c.AddReplyError("DISCARD without MULTI")
		return
	}
	c.resetMulti()
	if c.srv.unwatchAll != nil {
		c.srv.unwatchAll(c)
	}
	c.AddReplyOK()
}

// EXEC
func execCommand(c *Client) {
	if c.Flags&ClientMulti == 0 {
		c.AddReplyError("EXEC without MULTI")
		return
	}
	if c.Flags&ClientDirtyExec != 0 {
		c.AddReplyError("-EXECABORT Transaction discarded because of previous errors.")
		c.resetMulti()
		if c.srv.unwatchAll != nil {
			c.srv.unwatchAll(c)
		}
		return
	}
	if c.Flags&ClientDirtyCAS != 0 {
		c.resetMulti()
		if c.srv.unwatchAll != nil {
			c.srv.unwatchAll(c)
		}
		c.AddReplyNullArray()
		return
	}
	if c.srv.unwatchAll != nil {
		c.srv.unwatchAll(c)
	}
	queued := c.multi.cmds
	c.resetMulti()
	savedArgv, savedCmd := c.Argv, c.cmd
	c.AddReplyArrayLen(len(queued))
	for _, q := range queued {
		c.Argv = q.argv
		c.cmd = q.cmd
		c.call()
	}
	c.Argv, c.cmd = savedArgv, savedCmd
}

func init() {
	register(
		&Command{Name: "multi", Proc: multiCommand, Arity: 1, Flags: CmdNoscript | CmdLoading | CmdStale | CmdFast | CmdAllowBusy,
			Acl: AclFast | AclTransaction, Group: "transactions", Since: "1.2.0", Summary: "Start a transaction", Complexity: "O(1)"},
		&Command{Name: "exec", Proc: execCommand, Arity: 1, Flags: CmdNoscript | CmdLoading | CmdStale | CmdSkipSlowlog,
			Acl: AclSlow | AclTransaction, Group: "transactions", Since: "1.2.0", Summary: "Execute all commands issued after MULTI", Complexity: "Depends on commands in the transaction"},
		&Command{Name: "discard", Proc: discardCommand, Arity: 1, Flags: CmdNoscript | CmdLoading | CmdStale | CmdFast | CmdAllowBusy,
			Acl: AclFast | AclTransaction, Group: "transactions", Since: "2.0.0", Summary: "Discard all commands issued after MULTI", Complexity: "O(N), when N is the number of queued commands"},
	)
}
