package fs

import (
	"context"
	"sync"
	"syscall"
	"time"

	gofs "github.com/hanwen/go-fuse/v2/fs"
	"github.com/hanwen/go-fuse/v2/fuse"
)

// infoNode is the info file: the text of INFO, read-only. Its size is the
// length of a fresh INFO; an open reads a snapshot, fetched again when a
// read starts over at offset 0 or reaches the end of an old one (tail -f).
type infoNode struct {
	gofs.Inode
	fsys *FS
}

var (
	_ = (gofs.NodeGetattrer)((*infoNode)(nil))
	_ = (gofs.NodeOpener)((*infoNode)(nil))
	_ = (gofs.NodeReader)((*infoNode)(nil))
)

func (n *infoNode) info(ctx context.Context) ([]byte, syscall.Errno) {
	var text []byte
	var errno syscall.Errno
	e := n.fsys.doNow(ctx, func(r *runner) {
		rep := r.call([]byte("INFO"))
		if errno = replyErrno(&rep, syscall.EIO); errno == 0 {
			text = append([]byte{}, rep.Str...)
		}
	})
	if e != 0 {
		return nil, e
	}
	return text, errno
}

func (n *infoNode) Getattr(ctx context.Context, f gofs.FileHandle, out *fuse.AttrOut) syscall.Errno {
	text, e := n.info(ctx)
	if e != 0 {
		return e
	}
	n.fsys.fillFile(&out.Attr, 0o444, int64(len(text)), time.Now().UnixNano())
	return 0
}

type infoHandle struct {
	mu   sync.Mutex
	text []byte
	at   time.Time
}

func (n *infoNode) Open(ctx context.Context, flags uint32) (gofs.FileHandle, uint32, syscall.Errno) {
	if flags&syscall.O_ACCMODE != syscall.O_RDONLY {
		return nil, 0, syscall.EACCES
	}
	return &infoHandle{}, fuse.FOPEN_DIRECT_IO | fuse.FOPEN_NOFLUSH, 0
}

func (n *infoNode) Read(ctx context.Context, f gofs.FileHandle, dest []byte, off int64) (fuse.ReadResult, syscall.Errno) {
	h, ok := f.(*infoHandle)
	if !ok {
		return nil, syscall.EBADF
	}
	h.mu.Lock()
	defer h.mu.Unlock()
	if h.text == nil || off == 0 || (off >= int64(len(h.text)) && time.Since(h.at) > refetchAge) {
		text, e := n.info(ctx)
		if e != 0 {
			return nil, e
		}
		h.text, h.at = text, time.Now()
	}
	if off >= int64(len(h.text)) {
		return fuse.ReadResultData(nil), 0
	}
	k := copy(dest, h.text[off:])
	return fuse.ReadResultData(dest[:k]), 0
}
