package fs

import (
	"context"
	"sync"
	"sync/atomic"
	"syscall"
	"time"

	gofs "github.com/hanwen/go-fuse/v2/fs"
	"github.com/hanwen/go-fuse/v2/fuse"
)

// The scratch area holds the files created through the mount under names
// beginning with '.': editors' swap and lock files, tools' temporary files.
// They live in memory, per database directory and per mount, and never
// reach the keyspace (no key's encoded name begins with '.'). Renaming one
// onto a key name stores its content in the key (SET), and renaming a key
// onto a dot name moves the value into the scratch area (GET, UNLINK).
// Scratch operations need no job on the loop: they touch no server state.

// scratchData is one scratch file's content and metadata.
type scratchData struct {
	mu    sync.Mutex
	data  []byte
	mode  uint32
	mtime int64
}

func (sd *scratchData) fill(fsys *FS, a *fuse.Attr) {
	sd.mu.Lock()
	defer sd.mu.Unlock()
	fsys.fillFile(a, sd.mode&0o7777, int64(len(sd.data)), sd.mtime)
}

// scratchNode is a node of a scratch file. It turns stale when a rename
// makes its name a key's: operations then answer ESTALE and the kernel
// looks the name up again.
type scratchNode struct {
	gofs.Inode
	fsys  *FS
	data  *scratchData
	stale atomic.Bool
}

func (n *scratchNode) staleErr() syscall.Errno {
	if n.stale.Load() {
		return syscall.ESTALE
	}
	return 0
}

var (
	_ = (gofs.NodeGetattrer)((*scratchNode)(nil))
	_ = (gofs.NodeSetattrer)((*scratchNode)(nil))
	_ = (gofs.NodeOpener)((*scratchNode)(nil))
	_ = (gofs.NodeReader)((*scratchNode)(nil))
	_ = (gofs.NodeWriter)((*scratchNode)(nil))
	_ = (gofs.NodeFsyncer)((*scratchNode)(nil))
	_ = (gofs.NodeFlusher)((*scratchNode)(nil))
)

func (n *scratchNode) Getattr(ctx context.Context, f gofs.FileHandle, out *fuse.AttrOut) syscall.Errno {
	if e := n.staleErr(); e != 0 {
		return e
	}
	n.data.fill(n.fsys, &out.Attr)
	return 0
}

func (n *scratchNode) Setattr(ctx context.Context, f gofs.FileHandle, in *fuse.SetAttrIn, out *fuse.AttrOut) syscall.Errno {
	if e := n.staleErr(); e != 0 {
		return e
	}
	sd := n.data
	sd.mu.Lock()
	if size, ok := in.GetSize(); ok {
		if size <= uint64(len(sd.data)) {
			sd.data = sd.data[:size]
		} else {
			nd := make([]byte, size)
			copy(nd, sd.data)
			sd.data = nd
		}
		sd.mtime = time.Now().UnixNano()
	}
	if mode, ok := in.GetMode(); ok {
		sd.mode = mode & 0o7777
	}
	if mt, ok := in.GetMTime(); ok {
		sd.mtime = mt.UnixNano()
	}
	sd.mu.Unlock()
	return n.Getattr(ctx, f, out)
}

func (n *scratchNode) Open(ctx context.Context, flags uint32) (gofs.FileHandle, uint32, syscall.Errno) {
	if e := n.staleErr(); e != 0 {
		return nil, 0, e
	}
	if flags&syscall.O_TRUNC != 0 && flags&syscall.O_ACCMODE != syscall.O_RDONLY {
		n.data.mu.Lock()
		n.data.data = n.data.data[:0]
		n.data.mtime = time.Now().UnixNano()
		n.data.mu.Unlock()
	}
	return nil, fuse.FOPEN_DIRECT_IO | fuse.FOPEN_NOFLUSH, 0
}

func (n *scratchNode) Read(ctx context.Context, f gofs.FileHandle, dest []byte, off int64) (fuse.ReadResult, syscall.Errno) {
	sd := n.data
	sd.mu.Lock()
	defer sd.mu.Unlock()
	if off >= int64(len(sd.data)) {
		return fuse.ReadResultData(nil), 0
	}
	k := copy(dest, sd.data[off:])
	return fuse.ReadResultData(dest[:k]), 0
}

func (n *scratchNode) Write(ctx context.Context, f gofs.FileHandle, data []byte, off int64) (uint32, syscall.Errno) {
	sd := n.data
	sd.mu.Lock()
	defer sd.mu.Unlock()
	end := off + int64(len(data))
	if end > int64(len(sd.data)) {
		nd := make([]byte, end, max(end, 2*int64(cap(sd.data))))
		copy(nd, sd.data)
		sd.data = nd
	}
	copy(sd.data[off:], data)
	sd.mtime = time.Now().UnixNano()
	return uint32(len(data)), 0
}

func (n *scratchNode) Fsync(ctx context.Context, f gofs.FileHandle, flags uint32) syscall.Errno {
	return 0
}

func (n *scratchNode) Flush(ctx context.Context, f gofs.FileHandle) syscall.Errno { return 0 }

// createScratch creates (or opens, without O_EXCL) a scratch file.
func (d *dbDir) createScratch(ctx context.Context, name string, flags uint32, mode uint32, out *fuse.EntryOut) (*gofs.Inode, gofs.FileHandle, uint32, syscall.Errno) {
	if name == "." || name == ".." {
		return nil, nil, 0, syscall.EEXIST
	}
	d.mu.Lock()
	sd := d.scratch[name]
	if sd != nil && flags&syscall.O_EXCL != 0 {
		d.mu.Unlock()
		return nil, nil, 0, syscall.EEXIST
	}
	if sd == nil {
		sd = &scratchData{mode: mode & 0o7777, mtime: time.Now().UnixNano()}
		d.scratch[name] = sd
	}
	d.mu.Unlock()
	node := &scratchNode{fsys: d.fsys, data: sd}
	_, flagsOut, _ := node.Open(ctx, flags)
	sd.fill(d.fsys, &out.Attr)
	d.fsys.setEntryTimeouts(out, false)
	return d.NewInode(ctx, node, gofs.StableAttr{Mode: syscall.S_IFREG}), nil, flagsOut, 0
}

// renameScratch renames within the scratch area of one database.
func (d *dbDir) renameScratch(name string, nd *dbDir, newName string, noReplace bool) syscall.Errno {
	if nd != d {
		return syscall.EXDEV
	}
	d.mu.Lock()
	defer d.mu.Unlock()
	sd := d.scratch[name]
	if sd == nil {
		return syscall.ENOENT
	}
	if noReplace && d.scratch[newName] != nil {
		return syscall.EEXIST
	}
	delete(d.scratch, name)
	d.scratch[newName] = sd
	return 0
}

// scratchToKey stores a scratch file's content in a key (storeOver,
// overwrite.go: a list stays a list, a TTL stays) with the scratch file's
// modification time, and drops the scratch file.
func (d *dbDir) scratchToKey(ctx context.Context, name string, nd *dbDir, newName string, noReplace bool) syscall.Errno {
	key, ok := decodeName(newName)
	if !ok {
		return syscall.EINVAL
	}
	d.mu.Lock()
	sd := d.scratch[name]
	d.mu.Unlock()
	if sd == nil {
		return syscall.ENOENT
	}
	sd.mu.Lock()
	data := append([]byte{}, sd.data...)
	mtime := sd.mtime
	sd.mu.Unlock()
	var errno syscall.Errno
	e := d.fsys.do(ctx, func(r *runner) {
		if errno = r.storeOver(nd.db, key, data, noReplace); errno == 0 {
			r.ls.setMtime(nd.db, key, mtime)
		}
	})
	if e != 0 {
		return e
	}
	if errno != 0 {
		return errno
	}
	d.mu.Lock()
	if d.scratch[name] == sd {
		delete(d.scratch, name)
	}
	d.mu.Unlock()
	if ch := d.GetChild(name); ch != nil {
		if sn, ok := ch.Operations().(*scratchNode); ok {
			sn.stale.Store(true)
		}
	}
	return 0
}

// keyToScratch moves a string key's value into a scratch file.
func (d *dbDir) keyToScratch(ctx context.Context, name string, nd *dbDir, newName string, noReplace bool) syscall.Errno {
	key, ok := decodeName(name)
	if !ok {
		return syscall.ENOENT
	}
	nd.mu.Lock()
	exists := nd.scratch[newName] != nil
	nd.mu.Unlock()
	if noReplace && exists {
		return syscall.EEXIST
	}
	var data []byte
	var errno syscall.Errno
	e := d.fsys.do(ctx, func(r *runner) {
		r.selectDB(d.db)
		rep := r.call([]byte("GET"), key)
		if errno = replyErrno(&rep, syscall.EPERM); errno != 0 {
			return
		}
		if rep.Null {
			errno = syscall.ENOENT
			return
		}
		data = append([]byte{}, rep.Str...)
		r.call([]byte("UNLINK"), key)
	})
	if e != 0 {
		return e
	}
	if errno != 0 {
		return errno
	}
	nd.mu.Lock()
	nd.scratch[newName] = &scratchData{data: data, mode: 0o644, mtime: time.Now().UnixNano()}
	nd.mu.Unlock()
	if ch := d.GetChild(name); ch != nil {
		if kn, ok := ch.Operations().(keyNode); ok {
			kn.base().stale.Store(true)
		}
	}
	return 0
}
