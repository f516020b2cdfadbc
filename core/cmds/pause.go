package cmds

import "strings"

// Client pause, after Redis 7.0's networking.c (pauseClients,
// unpauseClients, checkClientPauseTimeoutAndReturnIfPaused,
// blockPostponeClient) and the pause step of processCommand.
//
// CLIENT PAUSE timeout [WRITE|ALL] stops the data set from changing until
// the timeout passes or CLIENT UNPAUSE: processCommand postpones every
// command (ALL), or the commands that may change the data or propagate
// (WRITE: cmdWrite and cmdMayReplicate commands, EXEC of a transaction
// holding one). A postponed command is checked first as any other
// (unknown command, arity, auth, ACL … reply at once); then its client is
// blocked (ClientBlocked, counted in blocked_clients, 'b' in CLIENT LIST)
// with the command kept, and the command goes through processCommand
// again, in the order the commands were postponed, in the beforeSleep
// after the pause ends. The client's later input waits behind it
// (clientPendingCommand). With a pause in effect keys do not expire
// (neither actively nor on access: an expired key looks missing, but it
// is not deleted) and nothing is evicted. As in Redis 7.0 a pause ALL
// postpones CLIENT UNPAUSE too: it then ends only with its timeout; a new
// CLIENT PAUSE while one is in effect keeps the later end and the more
// restrictive type.
//
// Deviations: the internal clients of the file server (ClientInternal)
// are never postponed — a file operation runs as a sequence of commands
// inside one job that must complete, so file writes go through during a
// pause (ctl conversations are ordinary clients and do wait). CLIENT
// UNBLOCK of a postponed client answers 0 (Redis 7.0.15 crashes on it).
// RANDOMKEY on a database whose keys all have a TTL returns a key that may
// be expired after 100 tries during a pause (Redis 7.0.15 loops forever;
// this is Redis 7.2's behaviour).

// pauseType is Redis's pause_type, in order of restriction.
type pauseType uint8

const (
	pauseOff pauseType = iota
	pauseWrite
	pauseAll
)

// pauseState is the server's pause (Redis's client_pause_type,
// client_pause_end_time, the CLIENT PAUSE purpose's pause event and
// postponed_clients).
type pauseState struct {
	// typ and end are the pause in effect (end in unix ms).
	typ pauseType
	end int64
	// The pause event of CLIENT PAUSE (the only pause purpose here:
	// there is no failover or replica wait on shutdown): set while one
	// is pending, even if its end has passed and nothing cleared it yet.
	set    bool
	evType pauseType
	evEnd  int64
	// postponed are the postponed commands, in order. Entries of clients
	// freed meanwhile are skipped when the pause ends (and pruned as the
	// list grows).
	postponed []postponedCommand
	pruneAt   int
	// ready are the commands to run in the next beforeSleep, the pause
	// being over.
	ready []postponedCommand
	// jobs wait for the end of any pause (WhenUnpaused); readyJobs run
	// in the next beforeSleep, after the clients.
	jobs, readyJobs []func()
}

// postponedCommand is a command postponed by a pause, with its own copy
// of the arguments.
type postponedCommand struct {
	c    *Client
	argv [][]byte
}

// CLIENT PAUSE timeout [WRITE|ALL]
func clientPauseCommand(c *Client) {
	if len(c.argv) > 4 {
		c.addReplySubcommandSyntaxError()
		return
	}
	typ := pauseAll
	if len(c.argv) == 4 {
		switch strings.ToLower(string(c.argv[3])) {
		case "write":
			typ = pauseWrite
		case "all":
		default:
			c.addReplyError("CLIENT PAUSE mode must be WRITE or ALL")
			return
		}
	}
	end, ok := c.getTimeoutFromObjectOrReply(c.argv[2], unitMilliseconds)
	if !ok {
		return
	}
	c.srv.pauseClients(end, typ)
	c.addReplyOK()
}

// CLIENT UNPAUSE
func clientUnpauseCommand(c *Client) {
	c.srv.unpauseClients()
	c.addReplyOK()
}

// pauseClients pauses clients until end (unix ms) for commands of type
// typ; a pause in effect keeps the later end and the more restrictive type.
func (srv *Server) pauseClients(end int64, typ pauseType) {
	p := &srv.pause
	if !p.set {
		p.set, p.evType, p.evEnd = true, typ, end
	} else {
		p.evType = max(p.evType, typ)
		p.evEnd = max(p.evEnd, end)
	}
	srv.updateClientPauseTypeAndEndTime()
}

// unpauseClients ends the pause; the postponed commands run in the next
// beforeSleep.
func (srv *Server) unpauseClients() {
	if !srv.pause.set {
		return
	}
	srv.pause.set = false
	srv.updateClientPauseTypeAndEndTime()
}

// updateClientPauseTypeAndEndTime recomputes the pause in effect, dropping
// the pause event when its end has passed, and releases the postponed
// clients when the pause became less restrictive.
func (srv *Server) updateClientPauseTypeAndEndTime() {
	p := &srv.pause
	old := p.typ
	typ, end := pauseOff, int64(0)
	if p.set {
		if p.evEnd < srv.mstime() {
			p.set = false
		} else {
			typ, end = p.evType, p.evEnd
		}
	}
	p.typ, p.end = typ, end
	if typ < old {
		srv.unblockPostponedClients()
	}
	if typ == pauseOff && len(p.jobs) > 0 {
		p.readyJobs = append(p.readyJobs, p.jobs...)
		clear(p.jobs)
		p.jobs = p.jobs[:0]
	}
}

// WhenUnpaused holds fn until no pause is in effect and reports true, or
// reports false when none is (the caller runs fn itself). The file server
// runs its operations so: an operation is a job of several commands that
// must run together, and it cannot tell beforehand whether one will
// write, so it waits out a WRITE pause as well as an ALL one.
//
// Used by fs/local.
func (srv *Server) WhenUnpaused(fn func()) bool {
	if srv.pause.typ == pauseOff {
		return false
	}
	srv.pause.jobs = append(srv.pause.jobs, fn)
	return true
}

// checkClientPauseTimeoutAndReturnIfPaused ends the pause if its time has
// come and reports whether clients are paused (of any type).
func (srv *Server) checkClientPauseTimeoutAndReturnIfPaused() bool {
	p := &srv.pause
	if p.typ == pauseOff {
		return false
	}
	if p.end < srv.mstime() {
		srv.unpauseClients()
	}
	return p.typ != pauseOff
}

// clientsPaused reports whether a CLIENT PAUSE is in effect (of either
// type), during which the data set does not change.
func (srv *Server) clientsPaused() bool { return srv.pause.typ != pauseOff }

// mustPostpone is processCommand's pause test: whether cmd from c waits
// for the pause to end.
func (srv *Server) mustPostpone(c *Client, cmd *command) bool {
	switch srv.pause.typ {
	case pauseAll:
		return c.Flags&ClientInternal == 0
	case pauseWrite:
		if c.Flags&ClientInternal != 0 {
			return false
		}
		const mayReplicate = cmdWrite | cmdMayReplicate
		if cmd.flags&mayReplicate != 0 {
			return true
		}
		return cmd.name == "exec" && cmd.parent == nil && c.Flags&ClientMulti != 0 &&
			c.multi != nil && c.multi.cmdFlags&mayReplicate != 0
	}
	return false
}

// blockPostponeClient blocks c with its command kept until the pause ends
// (Redis's blockPostponeClient).
func (srv *Server) blockPostponeClient(c *Client) {
	p := &srv.pause
	c.Flags |= ClientBlocked | clientPendingCommand
	if len(p.postponed) >= max(p.pruneAt, 64) {
		p.postponed = srv.livePostponed(p.postponed)
		p.pruneAt = 2 * len(p.postponed)
	}
	p.postponed = append(p.postponed, postponedCommand{c: c, argv: c.keepArgv()})
}

// livePostponed drops from l, in place, the entries of clients that were
// freed or are no longer postponed.
func (srv *Server) livePostponed(l []postponedCommand) []postponedCommand {
	out := l[:0]
	for _, pc := range l {
		if srv.clients[pc.c.ID] == pc.c && pc.c.Flags&(ClientBlocked|clientPendingCommand) == ClientBlocked|clientPendingCommand {
			out = append(out, pc)
		}
	}
	clear(l[len(out):])
	return out
}

// postponedClients counts the clients blocked by the pause (part of
// blocked_clients).
func (srv *Server) postponedClients() int {
	n := 0
	for _, pc := range srv.pause.postponed {
		if srv.clients[pc.c.ID] == pc.c && pc.c.Flags&ClientBlocked != 0 {
			n++
		}
	}
	return n
}

// unblockPostponedClients unblocks every postponed client; their commands
// run, in order, in the next beforeSleep (Redis's unblockPostponedClients
// and processUnblockedClients).
func (srv *Server) unblockPostponedClients() {
	p := &srv.pause
	for _, pc := range srv.livePostponed(p.postponed) {
		pc.c.Flags &^= ClientBlocked
		p.ready = append(p.ready, pc)
	}
	clear(p.postponed)
	p.postponed = p.postponed[:0]
	p.pruneAt = 0
}

// processPostponedClients runs the commands of the clients the end of a
// pause released, then what they sent meanwhile.
func (srv *Server) processPostponedClients() {
	p := &srv.pause
	// A command run here may pause again: the clients it postpones
	// go to p.postponed, not to this list.
	for i := 0; i < len(p.ready); i++ {
		pc := p.ready[i]
		p.ready[i] = postponedCommand{}
		c := pc.c
		if srv.clients[c.ID] != c || c.Flags&clientPendingCommand == 0 || c.Flags&ClientBlocked != 0 {
			continue
		}
		c.Flags &^= clientPendingCommand
		c.argv = pc.argv
		srv.processCommandAndReset(c)
		clear(c.argv)
		c.argv = c.argv[:0]
		if c.Flags&(ClientBlocked|clientPendingCommand) == 0 && len(c.QueryBuf) > 0 {
			c.ProcessInputBuffer()
		}
	}
	p.ready = p.ready[:0]
	// A job run here may meet a new pause: it waits again.
	jobs := p.readyJobs
	p.readyJobs = nil
	for i, fn := range jobs {
		jobs[i] = nil
		fn()
	}
}
