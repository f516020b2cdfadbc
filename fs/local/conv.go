package local

import (
	"context"
	"errors"

	"github.com/redisfs/redisfs/core/cmds"
	"github.com/redisfs/redisfs/core/proto"
	"github.com/redisfs/redisfs/fs/engine"
)

// conv is a conversation: a client of its own with conv as its transport
// (cmds.CommandWatcher). Its fields are owned by the loop.
type conv struct {
	e    *Engine
	sink engine.Sink
	opts engine.ConvOptions
	c    *cmds.Client // nil once the client is gone
	// late is the argv of the blocked command whose reply is still to
	// come (a copy), nil when none is.
	late   [][]byte
	queued bool // a job to run the buffered commands is posted
}

// transport is a conversation seen as its client's transport: the
// cmds.Conn and cmds.CommandWatcher methods, run on the loop.
type transport conv

var (
	_ engine.Conversation = (*conv)(nil)
	_ cmds.CommandWatcher = (*transport)(nil)
)

// errNoUser is Open's error when ConvOptions.User names no enabled user.
var errNoUser = errors.New("local: no such ACL user")

// Open creates the conversation's client on the loop.
func (e *Engine) Open(ctx context.Context, opts engine.ConvOptions, sink engine.Sink) (engine.Conversation, error) {
	cv := &conv{e: e, sink: sink, opts: opts}
	noUser := false
	err := e.Do(ctx, engine.JobNoPause, func(engine.Tx) {
		cv.c = e.srv.NewClient((*transport)(cv))
		if opts.Authenticated {
			cv.c.Authenticated = true
		}
		if opts.User != "" && !cv.c.AuthenticateAs(opts.User) {
			e.srv.FreeClient(cv.c)
			cv.c = nil
			noUser = true
		}
	})
	if err != nil {
		return nil, err
	}
	if noUser {
		return nil, errNoUser
	}
	return cv, nil
}

// Send runs the complete commands in p through ProcessInputBuffer, as a
// socket read does. It is a JobNoPause job: the client's own commands
// wait out a pause as a TCP client's do.
func (cv *conv) Send(ctx context.Context, p []byte) error {
	var err error
	e := cv.e.Do(ctx, engine.JobNoPause, func(engine.Tx) {
		c := cv.c
		if c == nil {
			err = engine.ErrClosed
			return
		}
		cv.e.srv.Stats.NetInputBytes += int64(len(p))
		c.QueryBuf = append(c.QueryBuf, p...)
		c.ProcessInputBuffer()
		cv.updateState()
	})
	if e != nil {
		return e
	}
	return err
}

// Deliver: see engine.Conversation.
func (cv *conv) Deliver(ctx context.Context) error {
	return cv.e.Do(ctx, engine.JobNoPause, func(engine.Tx) {
		if c := cv.c; c != nil && !cv.opts.Held && c.Sent < len(c.Reply) {
			(*transport)(cv).Flush(c)
		}
	})
}

// Pull hands the held replies to the sink, whole, up to about max bytes.
func (cv *conv) Pull(ctx context.Context, max int) (bool, error) {
	open := false
	err := cv.e.Do(ctx, engine.JobNoPause, func(engine.Tx) {
		c := cv.c
		if c == nil {
			return
		}
		open = true
		buf := c.Reply[c.Sent:]
		sent := 0
		for len(buf) > 0 && sent < max {
			_, n, err := proto.ReadReply(buf)
			if err != nil {
				c.Sent = len(c.Reply)
				break
			}
			if n == 0 {
				break
			}
			cv.sink.Output(nil, buf[:n])
			buf = buf[n:]
			c.Sent += n
			sent += n
		}
		if c.Sent >= len(c.Reply) {
			c.ResetReply()
		}
	})
	return open, err
}

// Close frees the client, as when a socket closes.
func (cv *conv) Close(ctx context.Context) error {
	return cv.e.Do(ctx, engine.JobNoPause, func(engine.Tx) {
		if cv.c != nil {
			cv.e.srv.FreeClient(cv.c)
			cv.c = nil
		}
	})
}

// output hands c.Reply[c.Sent:upto] to the sink.
func (cv *conv) output(c *cmds.Client, argv [][]byte, upto int) {
	if upto > c.Sent {
		cv.sink.Output(argv, c.Reply[c.Sent:upto])
		c.Sent = upto
	}
}

// CommandDone hands the sink the replies of the command just run; what
// came before them (a blocked command's late reply, messages) goes first,
// as Flush would send it.
func (t *transport) CommandDone(c *cmds.Client, argv [][]byte, from int) {
	cv := (*conv)(t)
	// A command ran: the one that blocked before it was answered.
	late := cv.late
	cv.late = nil
	cv.output(c, late, from)
	cv.output(c, argv, len(c.Reply))
	if c.Flags&cmds.ClientBlocked != 0 {
		cv.late = make([][]byte, len(argv))
		for i, a := range argv {
			cv.late[i] = append([]byte(nil), a...)
		}
	}
}

// Flush is called in beforeSleep with replies that came later: a blocked
// command's, pub/sub messages, MONITOR lines.
func (t *transport) Flush(c *cmds.Client) {
	cv := (*conv)(t)
	if cv.opts.Held {
		// A monitor whose reader fell behind past the pubsub class's
		// limits is closed (the server does this itself for
		// subscribers).
		if c.Flags&cmds.ClientMonitor != 0 {
			c.CheckOutputBufferLimits(int64(len(c.Reply) - c.Sent))
		}
		cv.sink.Ready()
		return
	}
	var argv [][]byte
	if cv.late != nil && c.Flags&cmds.ClientBlocked == 0 {
		argv, cv.late = cv.late, nil
	}
	cv.output(c, argv, len(c.Reply))
	cv.checkLimit(c)
	// Commands written after a blocked one normally run as soon as it
	// is answered (the server runs an unblocked client's buffered
	// commands); a job is posted for those still waiting, so that
	// readers wait for their replies rather than see end-of-file.
	if len(c.QueryBuf) > 0 && !cv.queued && c.Flags&cmds.ClientBlocked == 0 {
		cv.queued = true
		cv.e.post(func() {
			cv.queued = false
			if c := cv.c; c != nil {
				c.ProcessInputBuffer()
			}
			cv.updateState()
		})
	}
	cv.updateState()
}

// checkLimit closes a subscribed or monitoring conversation whose reader
// fell behind past client-output-buffer-limit pubsub, as the server closes
// such a TCP client: the sink took the replies out of the client's
// buffer, where the server would have counted them, so what the sink holds
// unread is what is checked. Only the hard limit applies: the server's own
// check at each message sees the client's buffer, which the sink empties,
// and restarts the soft limit's clock.
func (cv *conv) checkLimit(c *cmds.Client) {
	if c.Flags&(cmds.ClientPubsub|cmds.ClientMonitor) == 0 {
		return
	}
	c.CheckOutputBufferLimits(int64(cv.sink.Unread()))
}

// updateState tells the sink whether more output is to come: a command is
// blocked or about to run, or the client is subscribed or monitoring.
func (cv *conv) updateState() {
	pending := false
	if c := cv.c; c != nil {
		pending = cv.queued || c.Flags&(cmds.ClientBlocked|cmds.ClientPubsub|cmds.ClientMonitor) != 0
	}
	cv.sink.Pending(pending)
}

// Close is called when the client is freed (QUIT, a protocol error,
// CLIENT KILL, an output buffer limit, the end of the conversation).
func (t *transport) Close(c *cmds.Client) {
	t.c = nil
	t.sink.Closed()
}

func (t *transport) RemoteAddr() string { return t.opts.Addr }
func (t *transport) LocalAddr() string  { return t.opts.Addr }
func (t *transport) Fd() int            { return -1 }
