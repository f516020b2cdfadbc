package fs

import (
	"context"
	"syscall"
	"time"

	gofs "github.com/hanwen/go-fuse/v2/fs"
	"github.com/hanwen/go-fuse/v2/fuse"

	"github.com/redisfs/redisfs/core/proto"
)

// clientsNode is the clients file: the text of CLIENT LIST, read-only.
// Each open reads the list as it was at open; the size is the length of a
// fresh list.
type clientsNode struct {
	gofs.Inode
	fsys *FS
}

var (
	_ = (gofs.NodeGetattrer)((*clientsNode)(nil))
	_ = (gofs.NodeOpener)((*clientsNode)(nil))
)

func (n *clientsNode) list(ctx context.Context) ([]byte, syscall.Errno) {
	var text []byte
	var errno syscall.Errno
	e := n.fsys.doNow(ctx, func(r *runner) {
		rep := r.call([]byte("CLIENT"), []byte("LIST"))
		if errno = replyErrno(&rep, syscall.EIO); errno == 0 {
			text = append([]byte{}, rep.Str...)
		}
	})
	if e != 0 {
		return nil, e
	}
	return text, errno
}

func (n *clientsNode) Getattr(ctx context.Context, f gofs.FileHandle, out *fuse.AttrOut) syscall.Errno {
	size := 0
	if h, ok := f.(*snapshotHandle); ok {
		size = len(h.text)
	} else {
		text, e := n.list(ctx)
		if e != 0 {
			return e
		}
		size = len(text)
	}
	n.fsys.fillFile(&out.Attr, 0o444, int64(size), time.Now().UnixNano())
	return 0
}

func (n *clientsNode) Open(ctx context.Context, flags uint32) (gofs.FileHandle, uint32, syscall.Errno) {
	if flags&syscall.O_ACCMODE != syscall.O_RDONLY {
		return nil, 0, syscall.EACCES
	}
	text, e := n.list(ctx)
	if e != 0 {
		return nil, 0, e
	}
	return &snapshotHandle{text: text}, fuse.FOPEN_DIRECT_IO | fuse.FOPEN_NOFLUSH, 0
}

// snapshotHandle serves reads from a text fixed at open.
type snapshotHandle struct {
	text []byte
}

var _ = (gofs.FileReader)((*snapshotHandle)(nil))

func (h *snapshotHandle) Read(ctx context.Context, dest []byte, off int64) (fuse.ReadResult, syscall.Errno) {
	if off >= int64(len(h.text)) {
		return fuse.ReadResultData(nil), 0
	}
	k := copy(dest, h.text[off:])
	return fuse.ReadResultData(dest[:k]), 0
}

// monitorNode is the monitor file: each open is a client of its own that
// runs MONITOR; read(2) returns the lines redis-cli prints for it (one per
// command the server runs, without the first OK) and waits for more until
// interrupted. A reader that falls behind past the pubsub class's output
// buffer limits (hard, or soft for the soft seconds) is disconnected
// (Redis puts monitors in the normal class, unlimited by default; a file
// nobody reads would otherwise hold every command in memory), and its
// reads return end-of-file.
type monitorNode struct {
	gofs.Inode
	fsys *FS
}

var (
	_ = (gofs.NodeGetattrer)((*monitorNode)(nil))
	_ = (gofs.NodeOpener)((*monitorNode)(nil))
)

func (n *monitorNode) Getattr(ctx context.Context, f gofs.FileHandle, out *fuse.AttrOut) syscall.Errno {
	n.fsys.fillFile(&out.Attr, 0o444, 0, n.fsys.started.UnixNano())
	out.SetTimeout(staticTimeout)
	return 0
}

func (n *monitorNode) Open(ctx context.Context, flags uint32) (gofs.FileHandle, uint32, syscall.Errno) {
	if flags&syscall.O_ACCMODE != syscall.O_RDONLY {
		return nil, 0, syscall.EACCES
	}
	s, e := n.fsys.openStream(ctx, n.fsys.dir+"/monitor:0", renderMonitor, []byte("MONITOR"))
	if e != 0 {
		return nil, 0, e
	}
	return &monitorHandle{s: s}, fuse.FOPEN_DIRECT_IO | fuse.FOPEN_NOFLUSH, 0
}

// renderMonitor renders a monitor line as redis-cli does.
func renderMonitor(dst []byte, rep *proto.Reply) []byte {
	if rep.Type == '+' {
		dst = proto.AppendCLI(dst, rep)
	}
	return dst
}

type monitorHandle struct{ s *stream }

var (
	_ = (gofs.FileReader)((*monitorHandle)(nil))
	_ = (gofs.FileReleaser)((*monitorHandle)(nil))
)

func (h *monitorHandle) Read(ctx context.Context, dest []byte, off int64) (fuse.ReadResult, syscall.Errno) {
	return h.s.read(ctx, dest)
}

func (h *monitorHandle) Release(ctx context.Context) syscall.Errno {
	h.s.close()
	return 0
}
