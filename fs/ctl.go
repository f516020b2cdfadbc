package fs

import (
	"bytes"
	"context"
	"strings"
	"sync"
	"syscall"

	gofs "github.com/hanwen/go-fuse/v2/fs"
	"github.com/hanwen/go-fuse/v2/fuse"

	"github.com/redisfs/redisfs/core/proto"
	"github.com/redisfs/redisfs/fs/engine"
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
	// A mapped user's conversation is authenticated as its ACL user
	// (users.go); the mounting user's AUTHs as a TCP client does.
	user := fsys.who(ctx)
	if user == noUser {
		return nil, 0, syscall.EACCES
	}
	conv, err := fsys.eng.Open(fsys.ctx, engine.ConvOptions{Addr: fsys.dir + "/ctl:0", User: user}, (*ctlSink)(cv))
	if err != nil {
		if user != "" {
			return nil, 0, syscall.EACCES
		}
		return nil, 0, syscall.EIO
	}
	cv.conv = conv
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

// conversation is one open of ctl: a conversation with the engine
// (engine.Conversation). write(2) sends the bytes, which the engine runs
// as a socket read's; replies are rendered as redis-cli prints them when
// its output is not a terminal, and read(2) returns that text. A read
// blocks while a command of the conversation is blocked (BLPOP) or the
// client is subscribed or monitoring, and returns end-of-file when nothing
// is pending.
//
// The engine hands each command's replies over with the command's argv
// (ctlSink.Output), so every reply is known to belong to its command. The
// write fails when one of its commands got an error reply (EINVAL for
// ERR, EIO for other codes), and the commands whose output redis-cli
// prints without the final newline (INFO, CLIENT LIST …) print the same
// way here. Commands written after a blocked one wait, as a socket's do,
// and run when it is answered.
type conversation struct {
	fsys *FS
	conv engine.Conversation

	wmu sync.Mutex // serializes writes

	mu      sync.Mutex
	out     []byte        // guarded by mu: rendered replies not read yet
	werr    syscall.Errno // guarded by mu: the first error reply of the write being run
	pending bool          // guarded by mu: more output is on its way
	closed  bool          // guarded by mu: the client is gone
	changed chan struct{} // guarded by mu: closed and replaced on change
}

var (
	_ = (gofs.FileReader)((*conversation)(nil))
	_ = (gofs.FileWriter)((*conversation)(nil))
	_ = (gofs.FileReleaser)((*conversation)(nil))
	_ = (engine.Sink)((*ctlSink)(nil))
)

func (cv *conversation) Write(ctx context.Context, data []byte, off int64) (uint32, syscall.Errno) {
	cv.wmu.Lock()
	defer cv.wmu.Unlock()
	cv.mu.Lock()
	cv.werr = 0
	cv.mu.Unlock()
	err := cv.conv.Send(cv.fsys.ctx, data)
	// The write returns once the mount is coherent with what its
	// commands changed, as a TCP client's reply leaves only then.
	cv.fsys.notifier.settle()
	if err == nil {
		// What the commands produced besides their replies (tracking
		// pushes) is readable when the write returns, held or not.
		err = cv.conv.Deliver(cv.fsys.ctx)
	}
	if err == engine.ErrClosed {
		return 0, syscall.EPIPE
	}
	if err != nil {
		return 0, syscall.EIO
	}
	cv.mu.Lock()
	errno := cv.werr
	cv.mu.Unlock()
	if errno != 0 {
		return 0, errno
	}
	return uint32(len(data)), 0
}

// signal wakes the readers; mu is held.
func (cv *conversation) signal() {
	close(cv.changed)
	cv.changed = make(chan struct{})
}

// ctlSink is a conversation as the sink of its engine conversation; its
// methods are called by the engine, one at a time.
type ctlSink conversation

// Output renders replies as redis-cli prints those of the command argv,
// and records the first error among them for the write being run.
func (t *ctlSink) Output(argv [][]byte, buf []byte) {
	cv := (*conversation)(t)
	raw := cliRawOutput(argv)
	cv.mu.Lock()
	for len(buf) > 0 {
		rep, n, err := proto.ReadReply(buf)
		if err != nil || n == 0 {
			break
		}
		if rep.Type == '-' && cv.werr == 0 {
			if errCode(rep.Str) == "ERR" {
				cv.werr = syscall.EINVAL
			} else {
				cv.werr = syscall.EIO
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
}

// Ready is not called: a ctl conversation's output is not held.
func (t *ctlSink) Ready() {}

// Pending records, for readers, whether more output is to come.
func (t *ctlSink) Pending(pending bool) {
	cv := (*conversation)(t)
	cv.mu.Lock()
	if cv.pending != pending {
		cv.pending = pending
		cv.signal()
	}
	cv.mu.Unlock()
}

// Unread is the rendered text not read yet: what the output buffer
// limits of a subscribed or monitoring conversation check.
func (t *ctlSink) Unread() int {
	cv := (*conversation)(t)
	cv.mu.Lock()
	defer cv.mu.Unlock()
	return len(cv.out)
}

// Closed is called when the client is gone (QUIT, a protocol error,
// CLIENT KILL, the end of the open).
func (t *ctlSink) Closed() {
	cv := (*conversation)(t)
	cv.mu.Lock()
	cv.closed = true
	cv.pending = false
	cv.signal()
	cv.mu.Unlock()
}

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
		case <-cv.fsys.ctx.Done():
			return nil, syscall.EIO
		}
	}
}

// Release ends the conversation: the client is freed as when a socket
// closes (a blocked command is dropped, subscriptions end).
func (cv *conversation) Release(ctx context.Context) syscall.Errno {
	cv.conv.Close(cv.fsys.ctx)
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
