package fs

import (
	"bytes"
	"cmp"
	"context"
	"strings"
	"sync"
	"syscall"

	gofs "github.com/hanwen/go-fuse/v2/fs"
	"github.com/hanwen/go-fuse/v2/fuse"

	"github.com/redisfs/redisfs/core/cmds"
	"github.com/redisfs/redisfs/core/proto"
)

// ctlNode is the ctl file: each open is a conversation with the server, a
// client of its own exactly like a TCP connection (it shows in CLIENT
// LIST, SELECT and MULTI are per open, closing it frees the client).
type ctlNode struct {
	gofs.Inode
	fsys *FS
}

var (
	_ = (gofs.NodeGetattrer)((*ctlNode)(nil))
	_ = (gofs.NodeSetattrer)((*ctlNode)(nil))
	_ = (gofs.NodeOpener)((*ctlNode)(nil))
)

func (n *ctlNode) Getattr(ctx context.Context, f gofs.FileHandle, out *fuse.AttrOut) syscall.Errno {
	n.fsys.fillFile(&out.Attr, 0o644, 0, n.fsys.started.UnixNano())
	out.SetTimeout(staticTimeout)
	return 0
}

// Setattr accepts the truncation of "> ctl" and ignores it.
func (n *ctlNode) Setattr(ctx context.Context, f gofs.FileHandle, in *fuse.SetAttrIn, out *fuse.AttrOut) syscall.Errno {
	return n.Getattr(ctx, f, out)
}

func (n *ctlNode) Open(ctx context.Context, flags uint32) (gofs.FileHandle, uint32, syscall.Errno) {
	fsys := n.fsys
	cv := &conversation{fsys: fsys, changed: make(chan struct{})}
	cv.addr = fsys.dir + "/ctl:0"
	e := fsys.doNow(func(r *runner) {
		cv.c = r.ls.srv.NewClient(ctlConn{cv})
	})
	if e != 0 {
		return nil, 0, e
	}
	// Seekable in name only (offsets are ignored): head and the shell's
	// read lseek after reading a line, and fail on a file that refuses.
	// The price: a read(2) that waits (a subscribed conversation) holds
	// the open file's position lock in the kernel, so a write(2) through
	// the same open file from another thread or process (a background
	// `cat <&3` and the shell) waits until that read returns; pread(2)
	// and pwrite(2) take no such lock (FOPEN_STREAM would drop it, and
	// with it lseek).
	return cv, fuse.FOPEN_DIRECT_IO | fuse.FOPEN_NOFLUSH, 0
}

// conversation is one open of ctl. write(2) appends to the client's query
// buffer and runs what is complete through ProcessInputBuffer, as a socket
// read does; replies are rendered as redis-cli prints them when its output
// is not a terminal, and read(2) returns that text. A read blocks while a
// command of the conversation is blocked (BLPOP) or the client is
// subscribed or monitoring, and returns end-of-file when nothing is
// pending.
//
// The request bytes are parsed once, by the client's own parser: the
// client's transport is a cmds.CommandWatcher, told of each command as it
// completes with its argv and where its replies start, so every reply is
// known to belong to its command. The write fails when one of its
// commands got an error reply (EINVAL for ERR, EIO for other codes), and
// the commands whose output redis-cli prints without the final newline
// (INFO, CLIENT LIST …) print the same way here. Commands written after a
// blocked one wait in the query buffer, as a socket's do, and run when it
// is answered.
type conversation struct {
	fsys *FS
	addr string

	// Owned by the loop.
	c *cmds.Client
	// lateRaw: the reply still to come (of a blocked or postponed
	// command) is printed raw.
	lateRaw bool
	queued  bool          // a job to run the buffered commands is posted
	werr    syscall.Errno // the first error reply of the write being run

	wmu sync.Mutex // serializes writes

	mu      sync.Mutex
	out     []byte        // guarded by mu: rendered replies not read yet
	pending bool          // guarded by mu: more output is on its way
	closed  bool          // guarded by mu: the client is gone
	changed chan struct{} // guarded by mu: closed and replaced on change
}

var (
	_ = (gofs.FileReader)((*conversation)(nil))
	_ = (gofs.FileWriter)((*conversation)(nil))
	_ = (gofs.FileReleaser)((*conversation)(nil))
	_ = (cmds.CommandWatcher)(ctlConn{})
)

func (cv *conversation) Write(ctx context.Context, data []byte, off int64) (uint32, syscall.Errno) {
	cv.wmu.Lock()
	defer cv.wmu.Unlock()
	var errno syscall.Errno
	e := cv.fsys.doNow(func(r *runner) {
		c := cv.c
		if c == nil {
			errno = syscall.EPIPE
			return
		}
		r.ls.srv.Stats.NetInputBytes += int64(len(data))
		c.QueryBuf = append(c.QueryBuf, data...)
		cv.werr = 0
		c.ProcessInputBuffer()
		errno = cv.werr
		cv.updateState()
	})
	if e != 0 {
		return 0, e
	}
	if errno != 0 {
		return 0, errno
	}
	return uint32(len(data)), 0
}

// render moves the replies in c.Reply[c.Sent:upto] to the text output and
// returns the errno of the first error among them.
func (cv *conversation) render(c *cmds.Client, upto int, raw bool) syscall.Errno {
	if upto <= c.Sent {
		return 0
	}
	buf := c.Reply[c.Sent:upto]
	var errno syscall.Errno
	cv.mu.Lock()
	for len(buf) > 0 {
		rep, n, err := proto.ReadReply(buf)
		if err != nil || n == 0 {
			break
		}
		if rep.Type == '-' && errno == 0 {
			if errCode(rep.Str) == "ERR" {
				errno = syscall.EINVAL
			} else {
				errno = syscall.EIO
			}
		}
		start := len(cv.out)
		cv.out = proto.AppendCLI(cv.out, &rep)
		if raw && len(cv.out) > start {
			cv.out = cv.out[:len(cv.out)-1]
		}
		buf = buf[n:]
	}
	cv.signal()
	cv.mu.Unlock()
	c.Sent = upto
	return errno
}

// updateState records, for readers, whether more output is to come: a
// command is blocked or about to run, or the client is subscribed or
// monitoring.
func (cv *conversation) updateState() {
	pending := false
	if c := cv.c; c != nil {
		pending = cv.queued || c.Flags&(cmds.ClientBlocked|cmds.ClientPubsub|cmds.ClientMonitor) != 0
	}
	cv.mu.Lock()
	if cv.pending != pending {
		cv.pending = pending
		cv.signal()
	}
	cv.mu.Unlock()
}

// signal wakes the readers; mu is held.
func (cv *conversation) signal() {
	close(cv.changed)
	cv.changed = make(chan struct{})
}

// ctlConn is the transport of a conversation's client (cmds.Conn and
// cmds.CommandWatcher); its methods run on the loop.
type ctlConn struct{ cv *conversation }

// CommandDone renders the replies of the command just run, as redis-cli
// prints that command's; what came before them (a blocked or postponed
// command's reply, messages) is rendered first, as Flush would.
func (t ctlConn) CommandDone(c *cmds.Client, argv [][]byte, from int) {
	cv := t.cv
	// A command ran: the one that blocked before it was answered.
	late := cv.lateRaw
	cv.lateRaw = false
	e1 := cv.render(c, from, late)
	raw := cliRawOutput(argv)
	e2 := cv.render(c, len(c.Reply), raw)
	if cv.werr == 0 {
		cv.werr = cmp.Or(e1, e2)
	}
	if c.Flags&cmds.ClientBlocked != 0 {
		cv.lateRaw = raw
	}
}

// Flush is called in beforeSleep with replies that came later: a blocked
// command's, pub/sub messages. Commands written after a blocked one
// normally run as soon as it is answered (the server runs an unblocked
// client's buffered commands); a job is posted for those still waiting,
// so that readers wait for their replies rather than see end-of-file.
func (t ctlConn) Flush(c *cmds.Client) {
	cv := t.cv
	raw := false
	if cv.lateRaw && c.Flags&cmds.ClientBlocked == 0 {
		raw, cv.lateRaw = true, false
	}
	cv.render(c, len(c.Reply), raw)
	cv.checkLimit(c)
	if len(c.QueryBuf) > 0 && !cv.queued && c.Flags&cmds.ClientBlocked == 0 {
		cv.queued = true
		cv.fsys.post(func() {
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
// such a TCP client: render moves the replies out of the client's buffer,
// where the server would have counted them, so the unread text is what is
// checked. Only the hard limit applies to a subscribed conversation: the
// server's own check at each message sees the client's buffer, which
// render empties, and restarts the soft limit's clock.
func (cv *conversation) checkLimit(c *cmds.Client) {
	if c.Flags&(cmds.ClientPubsub|cmds.ClientMonitor) == 0 {
		return
	}
	cv.mu.Lock()
	unread := int64(len(cv.out))
	cv.mu.Unlock()
	c.CheckOutputBufferLimits(unread)
}

// Close is called when the client is freed (QUIT, a protocol error,
// CLIENT KILL, the end of the open).
func (t ctlConn) Close(c *cmds.Client) {
	cv := t.cv
	cv.c = nil
	cv.mu.Lock()
	cv.closed = true
	cv.pending = false
	cv.signal()
	cv.mu.Unlock()
}

func (t ctlConn) RemoteAddr() string { return t.cv.addr }
func (t ctlConn) LocalAddr() string  { return t.cv.addr }
func (t ctlConn) Fd() int            { return -1 }

// Read returns rendered replies, a line at a time; it waits while more are
// on their way and returns end-of-file when none are.
func (cv *conversation) Read(ctx context.Context, dest []byte, off int64) (fuse.ReadResult, syscall.Errno) {
	for {
		cv.mu.Lock()
		if len(cv.out) > 0 {
			// One line per read, as a terminal in canonical mode
			// gives: head -1 and the shell's read take one reply
			// line and leave the rest for the next reader.
			line := cv.out
			if i := bytes.IndexByte(line, '\n'); i >= 0 {
				line = line[:i+1]
			}
			n := copy(dest, line)
			rest := copy(cv.out, cv.out[n:])
			cv.out = cv.out[:rest]
			if rest == 0 && cap(cv.out) > 64*1024 {
				cv.out = nil
			}
			cv.mu.Unlock()
			return fuse.ReadResultData(dest[:n]), 0
		}
		if cv.closed || !cv.pending {
			cv.mu.Unlock()
			return fuse.ReadResultData(nil), 0
		}
		ch := cv.changed
		cv.mu.Unlock()
		select {
		case <-ch:
		case <-ctx.Done():
			return nil, syscall.EINTR
		case <-cv.fsys.deadCh:
			return nil, syscall.EIO
		}
	}
}

// Release ends the conversation: the client is freed as when a socket
// closes (a blocked command is dropped, subscriptions end).
func (cv *conversation) Release(ctx context.Context) syscall.Errno {
	cv.fsys.doNow(func(r *runner) {
		if cv.c != nil {
			r.ls.srv.FreeClient(cv.c)
			cv.c = nil
		}
	})
	return 0
}

// cliRawOutput reports whether redis-cli prints the reply of this command
// without its final newline (cliSendCommand's output_raw list, 7.0; the
// name decides, whatever the reply, an error included).
func cliRawOutput(argv [][]byte) bool {
	if len(argv) == 0 {
		return false
	}
	is := func(i int, s string) bool { return strings.EqualFold(string(argv[i]), s) }
	argc := len(argv)
	switch {
	case is(0, "info"), is(0, "lolwut"):
		return true
	case argc >= 2 && is(0, "debug") && (is(1, "htstats") || is(1, "htstats-key") || is(1, "client-eviction")):
		return true
	case argc >= 2 && is(0, "memory") && (is(1, "malloc-stats") || is(1, "doctor")):
		return true
	case argc == 2 && is(0, "cluster") && (is(1, "nodes") || is(1, "info")):
		return true
	case argc >= 2 && is(0, "client") && (is(1, "list") || is(1, "info")):
		return true
	case argc >= 2 && is(0, "proxy") && is(1, "info"):
		return true
	case argc == 3 && is(0, "latency") && is(1, "graph"):
		return true
	case argc == 2 && is(0, "latency") && is(1, "doctor"):
		return true
	}
	return false
}
