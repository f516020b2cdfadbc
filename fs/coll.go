package fs

import (
	"context"
	"sync"
	"syscall"

	gofs "github.com/hanwen/go-fuse/v2/fs"
	"github.com/hanwen/go-fuse/v2/fuse"
)

// keyDir is a hash, set or sorted set key: a directory of its fields or
// members, read-only for now. A hash field's content is its value, a
// sorted set member's its score, a set member's nothing; a sorted set lists
// in score order.
type keyDir struct {
	keyBase
}

var (
	_ = (gofs.NodeGetattrer)((*keyDir)(nil))
	_ = (gofs.NodeSetattrer)((*keyDir)(nil))
	_ = (gofs.NodeLookuper)((*keyDir)(nil))
	_ = (gofs.NodeReaddirer)((*keyDir)(nil))
	_ = (gofs.NodeCreater)((*keyDir)(nil))
	_ = (gofs.NodeMkdirer)((*keyDir)(nil))
	_ = (gofs.NodeUnlinker)((*keyDir)(nil))
	_ = (gofs.NodeRmdirer)((*keyDir)(nil))
	_ = (gofs.NodeRenamer)((*keyDir)(nil))
	_ = (gofs.NodeGetxattrer)((*keyDir)(nil))
	_ = (gofs.NodeListxattrer)((*keyDir)(nil))
)

func (n *keyDir) Getattr(ctx context.Context, f gofs.FileHandle, out *fuse.AttrOut) syscall.Errno {
	return n.getattr(out)
}

func (n *keyDir) Setattr(ctx context.Context, f gofs.FileHandle, in *fuse.SetAttrIn, out *fuse.AttrOut) syscall.Errno {
	if _, ok := in.GetSize(); ok {
		return syscall.EISDIR
	}
	return n.getattr(out)
}

// member fetches one member: whether it exists and its content.
func (r *runner) member(typ int, db int, key, member []byte) ([]byte, bool, syscall.Errno) {
	r.selectDB(db)
	switch typ {
	case typeHash:
		rep := r.call([]byte("HGET"), key, member)
		if e := replyErrno(&rep, syscall.ENOENT); e != 0 {
			return nil, false, e
		}
		return append([]byte{}, rep.Str...), !rep.Null, 0
	case typeZSet:
		rep := r.call([]byte("ZSCORE"), key, member)
		if e := replyErrno(&rep, syscall.ENOENT); e != 0 {
			return nil, false, e
		}
		return append([]byte{}, rep.Str...), !rep.Null, 0
	case typeSet:
		rep := r.call([]byte("SISMEMBER"), key, member)
		if e := replyErrno(&rep, syscall.ENOENT); e != 0 {
			return nil, false, e
		}
		return nil, rep.Int == 1, 0
	}
	return nil, false, syscall.ENOENT
}

func (n *keyDir) Lookup(ctx context.Context, name string, out *fuse.EntryOut) (*gofs.Inode, syscall.Errno) {
	if e := n.staleErr(); e != 0 {
		return nil, e
	}
	m, ok := decodeName(name)
	if !ok {
		return nil, syscall.ENOENT
	}
	fsys := n.fsys
	db, key := n.ident()
	var content []byte
	var exists bool
	var errno syscall.Errno
	var mtime int64
	e := fsys.do(func(r *runner) {
		content, exists, errno = r.member(n.typ, db, key, m)
		mtime = r.ls.mtime(db, key)
	})
	if e != 0 {
		return nil, e
	}
	if errno != 0 {
		return nil, errno
	}
	if !exists {
		return nil, syscall.ENOENT
	}
	fsys.fillFile(&out.Attr, 0o644, int64(len(content)), mtime)
	fsys.setEntryTimeouts(out, false)
	return n.NewInode(ctx, &memberNode{fsys: fsys, parent: n, member: m}, gofs.StableAttr{Mode: syscall.S_IFREG}), 0
}

// Readdir lists the fields (HKEYS), members (SMEMBERS) or members in score
// order (ZRANGE 0 -1).
func (n *keyDir) Readdir(ctx context.Context) (gofs.DirStream, syscall.Errno) {
	if e := n.staleErr(); e != 0 {
		return nil, e
	}
	db, key := n.ident()
	var ents []fuse.DirEntry
	var errno syscall.Errno
	e := n.fsys.do(func(r *runner) {
		r.selectDB(db)
		var args [][]byte
		switch n.typ {
		case typeHash:
			args = [][]byte{[]byte("HKEYS"), key}
		case typeSet:
			args = [][]byte{[]byte("SMEMBERS"), key}
		default:
			args = [][]byte{[]byte("ZRANGE"), key, []byte("0"), []byte("-1")}
		}
		rep := r.call(args...)
		if errno = replyErrno(&rep, syscall.ENOTDIR); errno != 0 {
			return
		}
		ents = append(ents, fuse.DirEntry{Name: ".", Mode: syscall.S_IFDIR}, fuse.DirEntry{Name: "..", Mode: syscall.S_IFDIR})
		for _, m := range rep.Elems {
			name := keyName(m.Str)
			if len(name) > maxNameLen {
				continue
			}
			ents = append(ents, fuse.DirEntry{Name: name, Mode: syscall.S_IFREG})
		}
	})
	if e != 0 {
		return nil, e
	}
	if errno != 0 {
		return nil, errno
	}
	return gofs.NewListDirStream(ents), 0
}

// The collection types are read-only through the mount for now.

func (n *keyDir) Create(ctx context.Context, name string, flags uint32, mode uint32, out *fuse.EntryOut) (*gofs.Inode, gofs.FileHandle, uint32, syscall.Errno) {
	return nil, nil, 0, syscall.EPERM
}

func (n *keyDir) Mkdir(ctx context.Context, name string, mode uint32, out *fuse.EntryOut) (*gofs.Inode, syscall.Errno) {
	return nil, syscall.EPERM
}

func (n *keyDir) Unlink(ctx context.Context, name string) syscall.Errno { return syscall.EPERM }

func (n *keyDir) Rmdir(ctx context.Context, name string) syscall.Errno { return syscall.EPERM }

func (n *keyDir) Rename(ctx context.Context, name string, newParent gofs.InodeEmbedder, newName string, flags uint32) syscall.Errno {
	return syscall.EPERM
}

// memberNode is a hash field, set member or sorted set member.
type memberNode struct {
	gofs.Inode
	fsys   *FS
	parent *keyDir
	member []byte
}

var (
	_ = (gofs.NodeGetattrer)((*memberNode)(nil))
	_ = (gofs.NodeOpener)((*memberNode)(nil))
	_ = (gofs.NodeReader)((*memberNode)(nil))
	_ = (gofs.NodeSetattrer)((*memberNode)(nil))
)

func (n *memberNode) fetch() ([]byte, int64, syscall.Errno) {
	p := n.parent
	db, key := p.ident()
	var content []byte
	var exists bool
	var errno syscall.Errno
	var mtime int64
	e := n.fsys.do(func(r *runner) {
		content, exists, errno = r.member(p.typ, db, key, n.member)
		mtime = r.ls.mtime(db, key)
	})
	if e != 0 {
		return nil, 0, e
	}
	if errno != 0 {
		return nil, 0, errno
	}
	if !exists {
		return nil, 0, syscall.ENOENT
	}
	return content, mtime, 0
}

func (n *memberNode) Getattr(ctx context.Context, f gofs.FileHandle, out *fuse.AttrOut) syscall.Errno {
	content, mtime, e := n.fetch()
	if e != 0 {
		return e
	}
	n.fsys.fillFile(&out.Attr, 0o644, int64(len(content)), mtime)
	out.SetTimeout(n.fsys.keyTimeout)
	return 0
}

func (n *memberNode) Setattr(ctx context.Context, f gofs.FileHandle, in *fuse.SetAttrIn, out *fuse.AttrOut) syscall.Errno {
	if _, ok := in.GetSize(); ok {
		return syscall.EPERM
	}
	return n.Getattr(ctx, f, out)
}

// memberHandle is a snapshot of a member's content, taken at open.
type memberHandle struct {
	mu   sync.Mutex
	data []byte
}

func (n *memberNode) Open(ctx context.Context, flags uint32) (gofs.FileHandle, uint32, syscall.Errno) {
	if flags&syscall.O_ACCMODE != syscall.O_RDONLY {
		return nil, 0, syscall.EPERM
	}
	content, _, e := n.fetch()
	if e != 0 {
		return nil, 0, e
	}
	return &memberHandle{data: content}, fuse.FOPEN_DIRECT_IO | fuse.FOPEN_NOFLUSH, 0
}

func (n *memberNode) Read(ctx context.Context, f gofs.FileHandle, dest []byte, off int64) (fuse.ReadResult, syscall.Errno) {
	h, ok := f.(*memberHandle)
	if !ok {
		return nil, syscall.EBADF
	}
	h.mu.Lock()
	defer h.mu.Unlock()
	if off >= int64(len(h.data)) {
		return fuse.ReadResultData(nil), 0
	}
	k := copy(dest, h.data[off:])
	return fuse.ReadResultData(dest[:k]), 0
}
