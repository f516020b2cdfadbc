package fs

import (
	"bytes"
	"context"
	"sync"
	"syscall"

	gofs "github.com/hanwen/go-fuse/v2/fs"
	"github.com/hanwen/go-fuse/v2/fuse"

	"github.com/redisfs/redisfs/core/proto"
	"github.com/redisfs/redisfs/fs/engine"
)

// The pubsub directory: one file per channel. Every canonical name is a
// channel (a lookup never fails, so opening creates nothing); a listing
// shows the channels with subscribers (PUBSUB CHANNELS). Names are encoded
// as key names are (names.go).
//
// An open for reading is a subscriber: a conversation of its own
// (engine.Conversation), opened at open, that sends SUBSCRIBE CHANNEL like
// any connection; read(2) returns each message's payload as a line and
// waits for the next one (until interrupted). Messages stay in the engine
// (the client's reply buffer) until read, so a reader that does not read is held to
// client-output-buffer-limit pubsub like a TCP subscriber and disconnected
// when it passes it; its reads then return end-of-file. Closing the file
// frees the client, which ends the subscription.
//
// An open for writing publishes: each complete line written is one
// PUBLISH CHANNEL LINE (without the newline), run as a job when the
// write arrives; an unterminated last line is published at
// close(2) (flush). A payload holding a newline cannot be published
// through the file: use ctl for that.

// pubsubDir is MOUNT/pubsub.
type pubsubDir struct {
	gofs.Inode
	fsys *FS
}

var (
	_ = (gofs.NodeLookuper)((*pubsubDir)(nil))
	_ = (gofs.NodeReaddirer)((*pubsubDir)(nil))
	_ = (gofs.NodeGetattrer)((*pubsubDir)(nil))
	_ = (gofs.NodeCreater)((*pubsubDir)(nil))
)

func (d *pubsubDir) Getattr(ctx context.Context, f gofs.FileHandle, out *fuse.AttrOut) syscall.Errno {
	d.fsys.fillDir(&out.Attr, 2, 0, d.fsys.started.UnixNano())
	return 0
}

// Lookup succeeds for every canonical name: a channel exists whether or
// not anyone subscribes to it.
func (d *pubsubDir) Lookup(ctx context.Context, name string, out *fuse.EntryOut) (*gofs.Inode, syscall.Errno) {
	ch, ok := decodeName(name)
	if !ok {
		return nil, syscall.ENOENT
	}
	var node *gofs.Inode
	if old := d.GetChild(name); old != nil {
		if _, ok := old.Operations().(*channelNode); ok {
			node = old
		}
	}
	if node == nil {
		node = d.NewInode(ctx, &channelNode{fsys: d.fsys, channel: ch, name: name}, gofs.StableAttr{Mode: syscall.S_IFREG})
	}
	d.fsys.fillChannel(&out.Attr)
	out.SetEntryTimeout(staticTimeout)
	out.SetAttrTimeout(staticTimeout)
	return node, 0
}

// Create opens a channel (the kernel asks only for names it has no entry
// for).
func (d *pubsubDir) Create(ctx context.Context, name string, flags uint32, mode uint32, out *fuse.EntryOut) (*gofs.Inode, gofs.FileHandle, uint32, syscall.Errno) {
	node, e := d.Lookup(ctx, name, out)
	if e != 0 {
		return nil, nil, 0, syscall.EINVAL
	}
	fh, fl, e := node.Operations().(*channelNode).Open(ctx, flags)
	if e != 0 {
		return nil, nil, 0, e
	}
	return node, fh, fl, 0
}

// Readdir lists nothing: a channel's file never ends, and a directory
// walk (grep -r, rsync, find -exec cat) must not wait in one. Every
// channel is there by name; PUBSUB CHANNELS through ctl lists the active
// ones.
func (d *pubsubDir) Readdir(ctx context.Context) (gofs.DirStream, syscall.Errno) {
	return gofs.NewListDirStream([]fuse.DirEntry{
		{Name: ".", Mode: syscall.S_IFDIR},
		{Name: "..", Mode: syscall.S_IFDIR},
	}), 0
}

func (fsys *FS) fillChannel(a *fuse.Attr) {
	fsys.fillFile(a, 0o644, 0, fsys.started.UnixNano())
}

// channelNode is MOUNT/pubsub/CHANNEL.
type channelNode struct {
	gofs.Inode
	fsys    *FS
	channel []byte
	name    string
}

var (
	_ = (gofs.NodeGetattrer)((*channelNode)(nil))
	_ = (gofs.NodeSetattrer)((*channelNode)(nil))
	_ = (gofs.NodeOpener)((*channelNode)(nil))
)

func (n *channelNode) Getattr(ctx context.Context, f gofs.FileHandle, out *fuse.AttrOut) syscall.Errno {
	n.fsys.fillChannel(&out.Attr)
	out.SetTimeout(staticTimeout)
	return 0
}

// Setattr accepts the truncation of "> pubsub/CHANNEL" and ignores it.
func (n *channelNode) Setattr(ctx context.Context, f gofs.FileHandle, in *fuse.SetAttrIn, out *fuse.AttrOut) syscall.Errno {
	return n.Getattr(ctx, f, out)
}

// Open subscribes when the file is opened for reading.
func (n *channelNode) Open(ctx context.Context, flags uint32) (gofs.FileHandle, uint32, syscall.Errno) {
	h := &chanHandle{n: n, user: n.fsys.who(ctx)}
	acc := flags & syscall.O_ACCMODE
	if acc != syscall.O_WRONLY {
		s, e := n.fsys.openStream(ctx, n.fsys.dir+"/pubsub/"+n.name+":0", renderMessage,
			[]byte("SUBSCRIBE"), n.channel)
		if e != 0 {
			return nil, 0, e
		}
		h.sub = s
	}
	// Seekable in name only (offsets are ignored), as ctl: the shell's
	// read and head lseek after taking a line.
	fl := uint32(fuse.FOPEN_DIRECT_IO)
	if acc == syscall.O_RDONLY {
		fl |= fuse.FOPEN_NOFLUSH
	}
	return h, fl, 0
}

// chanHandle is one open of a channel file.
type chanHandle struct {
	n    *channelNode
	sub  *stream // the subscriber; nil for a write-only open
	user string  // the ACL user of the opener (users.go)

	wmu     sync.Mutex // serializes writes and flushes
	partial []byte     // guarded by wmu: written after the last newline
}

var (
	_ = (gofs.FileReader)((*chanHandle)(nil))
	_ = (gofs.FileWriter)((*chanHandle)(nil))
	_ = (gofs.FileFlusher)((*chanHandle)(nil))
	_ = (gofs.FileReleaser)((*chanHandle)(nil))
)

func (h *chanHandle) Read(ctx context.Context, dest []byte, off int64) (fuse.ReadResult, syscall.Errno) {
	if h.sub == nil {
		return nil, syscall.EBADF
	}
	return h.sub.read(ctx, dest)
}

// Write publishes every complete line; the rest waits for its newline or
// the flush.
func (h *chanHandle) Write(ctx context.Context, data []byte, off int64) (uint32, syscall.Errno) {
	h.wmu.Lock()
	defer h.wmu.Unlock()
	h.partial = append(h.partial, data...)
	i := bytes.LastIndexByte(h.partial, '\n')
	if i < 0 {
		return uint32(len(data)), 0
	}
	e := h.publish(h.partial[:i], true)
	rest := copy(h.partial, h.partial[i+1:])
	h.partial = h.partial[:rest]
	if rest == 0 && cap(h.partial) > 64*1024 {
		h.partial = nil
	}
	if e != 0 {
		return 0, e
	}
	return uint32(len(data)), 0
}

// publish runs PUBLISH for each line of text (split at newlines when
// lines is set), in one job; it stops at the first error.
func (h *chanHandle) publish(text []byte, lines bool) syscall.Errno {
	var errno syscall.Errno
	e := h.n.fsys.doAs(h.user, func(r *runner) {
		for {
			line, rest, more := text, []byte(nil), false
			if lines {
				line, rest, more = bytes.Cut(text, []byte{'\n'})
			}
			rep := r.call([]byte("PUBLISH"), h.n.channel, line)
			if errno = replyErrno(&rep, syscall.EIO); errno != 0 || !more {
				return
			}
			text = rest
		}
	})
	if e != 0 {
		return e
	}
	return errno
}

// Flush publishes an unterminated last line at close(2).
func (h *chanHandle) Flush(ctx context.Context) syscall.Errno {
	h.wmu.Lock()
	defer h.wmu.Unlock()
	return h.flushPartial()
}

func (h *chanHandle) flushPartial() syscall.Errno {
	if len(h.partial) == 0 {
		return 0
	}
	e := h.publish(h.partial, false)
	h.partial = nil
	return e
}

// Release ends the subscription (the client is freed as when a socket
// closes).
func (h *chanHandle) Release(ctx context.Context) syscall.Errno {
	h.wmu.Lock()
	h.flushPartial()
	h.wmu.Unlock()
	if h.sub != nil {
		h.sub.close()
	}
	return 0
}

// renderMessage renders a message push as its payload and a newline; the
// subscription confirmations render as nothing.
func renderMessage(dst []byte, rep *proto.Reply) []byte {
	if (rep.Type == '*' || rep.Type == '>') && len(rep.Elems) == 3 && string(rep.Elems[0].Str) == "message" {
		dst = append(dst, rep.Elems[2].Str...)
		dst = append(dst, '\n')
	}
	return dst
}

// stream is a conversation whose output a file reader takes as text as it
// comes: the subscriber of an open of pubsub/CHANNEL, the monitor of an
// open of monitor. The conversation is Held: messages stay in the engine
// until a read pulls them, so the output buffer limits see a reader that
// does not read exactly as they see a TCP client that does not.
type stream struct {
	fsys   *FS
	conv   engine.Conversation
	render func(dst []byte, rep *proto.Reply) []byte

	// Set by the engine's calls of the sink while the opening command
	// runs (before Send returns).
	confirmed, live bool
	errno           syscall.Errno

	// wake receives (without blocking) when output arrived or the
	// conversation closed.
	wake chan struct{}

	mu   sync.Mutex // serializes reads; guards what follows
	text []byte     // rendered, text[off:] not read yet
	off  int
	eof  bool // the conversation is gone
}

// streamBatch is how much text one pull renders ahead of the reads.
const streamBatch = 64 * 1024

// openStream opens a conversation and sends args (SUBSCRIBE …, MONITOR) on
// it; an error reply fails the open with its errno, as does a client that
// is not subscribed or monitoring afterwards.
func (fsys *FS) openStream(ctx context.Context, addr string, render func([]byte, *proto.Reply) []byte, args ...[]byte) (*stream, syscall.Errno) {
	s := &stream{fsys: fsys, render: render, wake: make(chan struct{}, 1)}
	// The mount's permissions are its authentication: there is no AUTH
	// to send through a file. ACLs of the default user still apply.
	// A mapped user's conversation is that ACL user's (users.go).
	opts := engine.ConvOptions{Addr: addr, Authenticated: true, Held: true, User: fsys.who(ctx)}
	if opts.User == noUser {
		return nil, syscall.EACCES
	}
	conv, err := fsys.eng.Open(fsys.ctx, opts, (*streamSink)(s))
	if err != nil {
		if opts.User != "" {
			return nil, syscall.EACCES
		}
		return nil, syscall.EIO
	}
	s.conv = conv
	req := proto.AppendArrayLen(nil, len(args))
	for _, a := range args {
		req = proto.AppendBulk(req, a)
	}
	errno := syscall.EIO
	if conv.Send(fsys.ctx, req) == nil {
		errno = s.errno
		if errno == 0 && (!s.confirmed || !s.live) {
			errno = syscall.EIO
		}
	}
	if errno != 0 {
		conv.Close(fsys.ctx)
		return nil, errno
	}
	return s, 0
}

// read returns the rendered text a line at a time (as ctl does, so that
// the shell's read and head take one line and leave the rest), waiting for
// more; end-of-file once the conversation is gone.
func (s *stream) read(ctx context.Context, dest []byte) (fuse.ReadResult, syscall.Errno) {
	s.mu.Lock()
	defer s.mu.Unlock()
	for {
		if s.off < len(s.text) {
			line := s.text[s.off:]
			if i := bytes.IndexByte(line, '\n'); i >= 0 {
				line = line[:i+1]
			}
			n := copy(dest, line)
			s.off += n
			if s.off == len(s.text) {
				s.off = 0
				s.text = s.text[:0]
				if cap(s.text) > 4*streamBatch {
					s.text = nil
				}
			}
			return fuse.ReadResultData(dest[:n]), 0
		}
		if s.eof {
			return fuse.ReadResultData(nil), 0
		}
		// A wake-up from before this pull is stale; one after it is
		// kept by the channel's buffer.
		select {
		case <-s.wake:
		default:
		}
		open, err := s.conv.Pull(s.fsys.ctx, streamBatch)
		if err != nil {
			return nil, syscall.EIO
		}
		if !open {
			s.eof = true
			continue
		}
		if s.off < len(s.text) {
			continue
		}
		select {
		case <-s.wake:
		case <-ctx.Done():
			// Interrupted (the kernel sends INTERRUPT when the
			// reader gets a signal).
			return nil, syscall.EINTR
		case <-s.fsys.ctx.Done():
			return nil, syscall.EIO
		}
	}
}

// close ends the conversation: subscriptions end, monitoring stops.
func (s *stream) close() { s.conv.Close(s.fsys.ctx) }

func (s *stream) signal() {
	select {
	case s.wake <- struct{}{}:
	default:
	}
}

// streamSink is a stream as the sink of its conversation; its methods are
// called by the engine, one at a time. Output that answers the opening
// command is its confirmation, not part of the stream; the rest is
// rendered by the reader's Pull (which holds s.mu).
type streamSink stream

var _ = (engine.Sink)((*streamSink)(nil))

func (t *streamSink) Output(argv [][]byte, buf []byte) {
	s := (*stream)(t)
	for len(buf) > 0 {
		rep, n, err := proto.ReadReply(buf)
		if err != nil || n == 0 {
			return
		}
		if argv != nil {
			if !s.confirmed {
				s.confirmed = true
				s.errno = replyErrno(&rep, syscall.EIO)
			}
		} else {
			s.text = s.render(s.text, &rep)
		}
		buf = buf[n:]
	}
}

// Ready wakes the reader.
func (t *streamSink) Ready() { (*stream)(t).signal() }

// Pending records, while the opening command runs, that the client is
// subscribed or monitoring.
func (t *streamSink) Pending(pending bool) { t.live = pending }

// Unread is not asked of a held conversation.
func (t *streamSink) Unread() int { return 0 }

// Closed wakes the reader, whose next pull finds the conversation gone.
func (t *streamSink) Closed() { (*stream)(t).signal() }
