package fs

import (
	"context"
	"sync"
	"sync/atomic"
	"syscall"
	"time"

	gofs "github.com/hanwen/go-fuse/v2/fs"
	"github.com/hanwen/go-fuse/v2/fuse"

	"github.com/redisfs/redisfs/core/proto"
)

// keyNode is implemented by the nodes that stand for a key.
type keyNode interface {
	base() *keyBase
}

// keyBase is what every key node has: the key it stands for (which a
// rename changes) and its id in the loop side's registry.
type keyBase struct {
	gofs.Inode
	fsys *FS
	typ  int
	// stale is set when a rename moved the node under a name that is no
	// longer its key's (into the scratch area): operations on it answer
	// ESTALE, and the kernel looks the name up again.
	stale atomic.Bool

	mu  sync.Mutex
	db  int    // guarded by mu
	key []byte // guarded by mu; never modified in place
}

func (b *keyBase) base() *keyBase { return b }

// ident returns the database and key the node stands for now.
func (b *keyBase) ident() (int, []byte) {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.db, b.key
}

func (b *keyBase) setIdent(db int, key []byte) {
	b.mu.Lock()
	b.db, b.key = db, key
	b.mu.Unlock()
}

// staleErr returns ESTALE for a stale node.
func (b *keyBase) staleErr() syscall.Errno {
	if b.stale.Load() {
		return syscall.ESTALE
	}
	return 0
}

// keyNode returns the node for a key just looked up: the node the
// directory already has under that name when it stands for the same key
// with the same type (the kernel keeps the inode and its pages, and
// refreshes the attributes), a new one otherwise. It fills the attributes.
// dirty says the key changed while the lookup was in flight: the value it
// fetched is not kept.
func (fsys *FS) keyNode(ctx context.Context, parent *gofs.Inode, name string, db int, key []byte, ki keyInfo, a *fuse.Attr, dirty bool) *gofs.Inode {
	if dirty {
		ki.hasContent = false
	}
	fsys.fillKey(a, ki)
	if ch := parent.GetChild(name); ch != nil {
		if kn, ok := ch.Operations().(keyNode); ok {
			b := kn.base()
			cdb, ckey := b.ident()
			if b.typ == ki.typ && !b.stale.Load() && cdb == db && string(ckey) == string(key) {
				if kf, ok := kn.(*keyFile); ok {
					kf.setPrefetch(ki)
				}
				return ch
			}
		}
	}
	if isDirType(ki.typ) {
		n := &keyDir{}
		n.fsys, n.typ, n.db, n.key = fsys, ki.typ, db, key
		return parent.NewInode(ctx, n, gofs.StableAttr{Mode: syscall.S_IFDIR})
	}
	n := &keyFile{}
	n.fsys, n.typ, n.db, n.key = fsys, ki.typ, db, key
	n.setPrefetch(ki)
	return parent.NewInode(ctx, n, gofs.StableAttr{Mode: syscall.S_IFREG})
}

func (fsys *FS) fillKey(a *fuse.Attr, ki keyInfo) {
	if isDirType(ki.typ) {
		fsys.fillDir(a, 2, ki.size, ki.mtime)
	} else {
		fsys.fillFile(a, 0o644, ki.size, ki.mtime)
	}
}

// getattr runs statKey for a node (statEntry: a pending directory stands
// for a key that does not exist); a key that is gone answers ENOENT, one
// that became a directory (or stopped being one) ESTALE.
func (b *keyBase) getattr(ctx context.Context, out *fuse.AttrOut) syscall.Errno {
	if e := b.staleErr(); e != 0 {
		return e
	}
	fsys := b.fsys
	db, key := b.ident()
	mark := fsys.notifier.beginLookup(db, key)
	var ki keyInfo
	var errno syscall.Errno
	var ghost bool
	e := fsys.do(ctx, func(r *runner) { ki, ghost, errno = r.statEntry(db, key, 0) })
	dirty := fsys.notifier.endLookup(mark) || ghost
	if e != 0 {
		return e
	}
	if errno != 0 {
		return errno
	}
	if isDirType(ki.typ) != isDirType(b.typ) {
		// The key is now a directory (or no longer one): have the
		// kernel look the name up again.
		return syscall.ESTALE
	}
	fsys.fillKey(&out.Attr, ki)
	t := fsys.keyTimeout
	if dirty {
		t = time.Nanosecond
	}
	out.SetTimeout(t)
	return 0
}

// openFlags returns the FOPEN flags of a key file open: direct I/O in
// DirectIO mode; otherwise the kernel keeps the pages of read opens, which
// invalidations keep coherent. Only opens for writing have something to
// do at close (the commit): the others ask for no FLUSH.
func (fsys *FS) openFlags(write bool) uint32 {
	var flags uint32
	if !write {
		flags = fuse.FOPEN_NOFLUSH
	}
	if fsys.opts.DirectIO {
		return flags | fuse.FOPEN_DIRECT_IO
	}
	if write {
		return flags
	}
	return flags | fuse.FOPEN_KEEP_CACHE
}

// keyFile is a string, list or stream key.
type keyFile struct {
	keyBase
	// pre is the value fetched by the lookup that made the node, for
	// the first read; the notifier drops it when the key changes.
	pre    []byte // guarded by mu
	hasPre bool   // guarded by mu
	// dropCache: a commit failed, and the kernel may hold pages of
	// what it refused; the next read open drops them (limits.go).
	dropCache atomic.Bool
	// setTime is a modification time set since the last write through
	// the mount, for the next commit to keep (cp -a sets it before it
	// closes; mtime.go).
	setTime atomic.Int64
}

// setPrefetch keeps (or forgets) the value a lookup fetched.
func (n *keyFile) setPrefetch(ki keyInfo) {
	n.mu.Lock()
	n.pre, n.hasPre = ki.content, ki.hasContent
	n.mu.Unlock()
}

// takePrefetch returns (and forgets) the value the lookup fetched.
func (n *keyFile) takePrefetch() ([]byte, bool) {
	n.mu.Lock()
	defer n.mu.Unlock()
	pre, ok := n.pre, n.hasPre
	n.pre, n.hasPre = nil, false
	return pre, ok
}

// dropPrefetch forgets the value the lookup fetched (the key changed).
func (n *keyFile) dropPrefetch() {
	n.mu.Lock()
	n.pre, n.hasPre = nil, false
	n.mu.Unlock()
}

var (
	_ = (gofs.NodeGetattrer)((*keyFile)(nil))
	_ = (gofs.NodeSetattrer)((*keyFile)(nil))
	_ = (gofs.NodeOpener)((*keyFile)(nil))
	_ = (gofs.NodeGetxattrer)((*keyFile)(nil))
	_ = (gofs.NodeSetxattrer)((*keyFile)(nil))
	_ = (gofs.NodeListxattrer)((*keyFile)(nil))
	_ = (gofs.NodeRemovexattrer)((*keyFile)(nil))
)

func (n *keyFile) Getattr(ctx context.Context, f gofs.FileHandle, out *fuse.AttrOut) syscall.Errno {
	if h, ok := f.(interface{ pendingSize() (int64, bool) }); ok {
		if size, ok := h.pendingSize(); ok {
			if e := n.getattr(ctx, out); e != 0 {
				return e
			}
			out.Size = uint64(size)
			return 0
		}
	}
	return n.getattr(ctx, out)
}

// setattrSize truncates: the private copy of a handle open for writing, or
// else the key itself (GET and SET … KEEPTTL in one job). Setattr
// (mtime.go) calls it first.
func (n *keyFile) setattrSize(ctx context.Context, f gofs.FileHandle, in *fuse.SetAttrIn, out *fuse.AttrOut) syscall.Errno {
	if e := n.staleErr(); e != 0 {
		return e
	}
	size, ok := in.GetSize()
	if !ok {
		return n.Getattr(ctx, f, out)
	}
	if n.typ == typeList {
		return n.setattrList(ctx, f, size, out)
	}
	if n.typ != typeString {
		return syscall.EPERM
	}
	if h, ok := f.(*strHandle); ok && h.write && !h.appendMode {
		h.truncate(int64(size))
		if e := n.getattr(ctx, out); e != 0 {
			return e
		}
		out.Size = size
		// Not to be cached: a commit that fails leaves no trace.
		out.SetTimeout(0)
		return 0
	}
	db, key := n.ident()
	var errno syscall.Errno
	e := n.fsys.do(ctx, func(r *runner) {
		r.selectDB(db)
		rep := r.call([]byte("GET"), key)
		if errno = replyErrno(&rep, syscall.EISDIR); errno != 0 {
			return
		}
		if rep.Null {
			errno = syscall.ENOENT
			return
		}
		v := rep.Str
		if int64(len(v)) != int64(size) {
			nv := make([]byte, size)
			copy(nv, v)
			rep = r.call([]byte("SET"), key, nv, []byte("KEEPTTL"))
			errno = replyErrno(&rep, syscall.EISDIR)
		}
	})
	if e != 0 {
		return e
	}
	if errno != 0 {
		return errno
	}
	n.dropPrefetch()
	return n.getattr(ctx, out)
}

// Open opens a string for reading (the value is fetched at the first read)
// or for writing (on a private copy committed at flush); lists are opened
// by openList (list.go); streams are read-only.
func (n *keyFile) Open(ctx context.Context, flags uint32) (gofs.FileHandle, uint32, syscall.Errno) {
	if e := n.staleErr(); e != 0 {
		return nil, 0, e
	}
	n.fsys.yield()
	acc := flags & syscall.O_ACCMODE
	if n.typ == typeList {
		return n.openList(ctx, flags)
	}
	if n.typ != typeString {
		if acc != syscall.O_RDONLY {
			return nil, 0, syscall.EPERM
		}
		return &renderHandle{n: n}, fuse.FOPEN_DIRECT_IO | fuse.FOPEN_NOFLUSH, 0
	}
	if acc == syscall.O_RDONLY {
		h := newStrHandle(n, flags, nil)
		h.user = n.fsys.who(ctx)
		return h, n.readOpenFlags(), 0
	}
	db, key := n.ident()
	var data []byte
	var errno syscall.Errno
	e := n.fsys.do(ctx, func(r *runner) { data, errno = r.openString(db, key, flags) })
	if e != 0 {
		return nil, 0, e
	}
	if errno != 0 {
		return nil, 0, errno
	}
	h := newStrHandle(n, flags, data)
	h.user = n.fsys.who(ctx)
	if flags&syscall.O_TRUNC != 0 {
		h.buf.truncated()
	}
	return h, n.fsys.openFlags(true), 0
}

// openString checks that key is a string and returns the private copy a
// write open starts from: empty with O_TRUNC, nothing with O_APPEND (the
// writes are appended at commit), the value otherwise.
func (r *runner) openString(db int, key []byte, flags uint32) ([]byte, syscall.Errno) {
	r.selectDB(db)
	rep := r.call([]byte("TYPE"), key)
	switch parseType(rep.Str) {
	case typeNone:
		return nil, syscall.ENOENT
	case typeString:
	case typeList, typeStream:
		return nil, syscall.EPERM
	default:
		return nil, syscall.EISDIR
	}
	if flags&(syscall.O_TRUNC|syscall.O_APPEND) != 0 {
		return []byte{}, 0
	}
	rep = r.call([]byte("GET"), key)
	if e := replyErrno(&rep, syscall.EISDIR); e != 0 {
		return nil, e
	}
	return append([]byte{}, rep.Str...), 0
}

// strHandle is an open string. A read open fetches the value at its first
// read and serves every read from that snapshot, so one open sees one
// version; a read at the end of an old snapshot fetches again, so that
// tail -f follows a growing value. A write open works on a private copy
// that flush or fsync commits as one SET … KEEPTTL; an O_APPEND open
// collects its writes and commits them as one APPEND.
type strHandle struct {
	n          *keyFile
	write      bool
	appendMode bool

	mu     sync.Mutex
	loaded bool      // guarded by mu
	at     time.Time // guarded by mu: when data was fetched
	// buf is the value: the read snapshot, or the private copy of a
	// write open. Guarded by mu.
	buf  editBuf
	pend []byte // guarded by mu: O_APPEND bytes not committed yet
	// failed is the error of a write refused (limits.go): the open
	// commits nothing. Guarded by mu.
	failed syscall.Errno
	user   string // the ACL user of the opener (users.go)
}

var (
	_ = (gofs.FileReader)((*strHandle)(nil))
	_ = (gofs.FileWriter)((*strHandle)(nil))
	_ = (gofs.FileFlusher)((*strHandle)(nil))
	_ = (gofs.FileFsyncer)((*strHandle)(nil))
	_ = (gofs.FileReleaser)((*strHandle)(nil))
)

// deferTrunc: the first flush of an open whose only change is its O_TRUNC
// commits nothing; a later flush, the release or a flush after writes
// does. A shell running `echo v > key` opens the file, dup2s it to the
// command's standard output and closes the original descriptor before
// anything is written, and every close(2) is a FLUSH: committing then
// would show the key empty for a moment (a reader could GET "", a WATCH
// would break twice, the AOF would hold two SETs). `: > key` closes twice
// too, so its second flush commits the truncation before close(2)
// returns; an open(O_TRUNC) closed once without writing commits at the
// release, which the kernel sends without waiting, a moment after
// close(2) returned.
// flushCommit is the Flush of an open for writing: commit, unless this is
// the first flush and the only change is the open's O_TRUNC (deferTrunc).
func flushCommit(mu *sync.Mutex, truncOpen *bool, commit func() syscall.Errno) syscall.Errno {
	mu.Lock()
	wait := *truncOpen
	*truncOpen = false
	mu.Unlock()
	if wait {
		return 0
	}
	return commit()
}

// refetchAge is how old a read snapshot must be before a read at its end
// fetches the value again.
const refetchAge = 100 * time.Millisecond

func newStrHandle(n *keyFile, flags uint32, data []byte) *strHandle {
	acc := flags & syscall.O_ACCMODE
	h := &strHandle{n: n, write: acc != syscall.O_RDONLY, appendMode: flags&syscall.O_APPEND != 0}
	if data != nil {
		h.buf.data, h.loaded, h.at = data, true, time.Now()
	}
	return h
}

// pendingSize returns the size of uncommitted content, if any.
func (h *strHandle) pendingSize() (int64, bool) {
	h.mu.Lock()
	defer h.mu.Unlock()
	if h.buf.dirty {
		return int64(len(h.buf.data)), true
	}
	return 0, false
}

func (h *strHandle) fetch() syscall.Errno {
	db, key := h.n.ident()
	var errno syscall.Errno
	var data []byte
	e := h.n.fsys.doAs(h.user, func(r *runner) {
		r.selectDB(db)
		rep := r.call([]byte("GET"), key)
		if errno = replyErrno(&rep, syscall.EISDIR); errno != 0 {
			return
		}
		data = append([]byte{}, rep.Str...)
	})
	if e != 0 {
		return e
	}
	if errno != 0 {
		return errno
	}
	h.buf.data, h.loaded, h.at = data, true, time.Now()
	return 0
}

func (h *strHandle) Read(ctx context.Context, dest []byte, off int64) (fuse.ReadResult, syscall.Errno) {
	h.mu.Lock()
	defer h.mu.Unlock()
	if h.appendMode {
		// Committed value plus what this open appended so far.
		if e := h.fetch(); e != 0 {
			return nil, e
		}
		h.buf.data = append(h.buf.data, h.pend...)
	} else if !h.loaded && !h.write {
		if pre, ok := h.n.takePrefetch(); ok {
			h.buf.data, h.loaded, h.at = pre, true, time.Now()
		} else if e := h.fetch(); e != 0 {
			return nil, e
		}
	} else if !h.loaded || (!h.write && off >= int64(len(h.buf.data)) && time.Since(h.at) > refetchAge) {
		if e := h.fetch(); e != 0 {
			return nil, e
		}
	}
	return h.buf.read(dest, off), 0
}

func (h *strHandle) Write(ctx context.Context, data []byte, off int64) (uint32, syscall.Errno) {
	if !h.write {
		return 0, syscall.EBADF
	}
	h.mu.Lock()
	defer h.mu.Unlock()
	if e := h.checkWrite(off, len(data)); e != 0 {
		return 0, e
	}
	h.n.setTime.Store(0)
	if h.appendMode {
		h.pend = append(h.pend, data...)
		return uint32(len(data)), 0
	}
	h.buf.write(data, off)
	return uint32(len(data)), 0
}

func (h *strHandle) truncate(size int64) {
	h.mu.Lock()
	defer h.mu.Unlock()
	h.buf.truncate(size)
}

// commit sends what the open wrote: one SET … KEEPTTL or one APPEND.
func (h *strHandle) commit() syscall.Errno {
	if !h.write {
		return 0
	}
	h.mu.Lock()
	defer h.mu.Unlock()
	if h.failed != 0 {
		// A write failed (limits.go): the open changes nothing.
		return h.failed
	}
	if !h.buf.dirty && len(h.pend) == 0 {
		return 0
	}
	db, key := h.n.ident()
	var errno syscall.Errno
	e := h.n.fsys.doAs(h.user, func(r *runner) {
		r.selectDB(db)
		var rep proto.Reply
		if h.appendMode {
			rep = r.call([]byte("APPEND"), key, h.pend)
		} else {
			rep = r.call([]byte("SET"), key, h.buf.data, []byte("KEEPTTL"))
		}
		errno = replyErrno(&rep, syscall.EISDIR)
		if t := h.n.setTime.Swap(0); errno == 0 && t != 0 {
			r.ls.setMtime(db, key, t)
		}
	})
	if e != 0 {
		return e
	}
	if errno != 0 {
		// Refused: the open is done (its content shows nowhere).
		h.failed, h.buf.dirty = errno, false
		h.n.commitFailed()
		return errno
	}
	h.n.dropPrefetch()
	h.buf.dirty = false
	h.pend = h.pend[:0]
	return 0
}

// Flush commits, unless the only change is the open's O_TRUNC: see
// deferTrunc.
func (h *strHandle) Flush(ctx context.Context) syscall.Errno {
	return flushCommit(&h.mu, &h.buf.truncOpen, h.commit)
}

// Release commits what no flush did (a truncation alone).
func (h *strHandle) Release(ctx context.Context) syscall.Errno { return h.commit() }

func (h *strHandle) Fsync(ctx context.Context, flags uint32) syscall.Errno { return h.commit() }

// renderHandle is an open list or stream: a snapshot of its rendering,
// taken at the first read.
type renderHandle struct {
	n      *keyFile
	mu     sync.Mutex
	loaded bool
	data   []byte
}

var _ = (gofs.FileReader)((*renderHandle)(nil))

func (h *renderHandle) Read(ctx context.Context, dest []byte, off int64) (fuse.ReadResult, syscall.Errno) {
	h.mu.Lock()
	defer h.mu.Unlock()
	if !h.loaded || off == 0 {
		db, key := h.n.ident()
		var data []byte
		e := h.n.fsys.do(ctx, func(r *runner) {
			r.selectDB(db)
			r.renderCollection(h.n.typ, key, func(b []byte) { data = append(data, b...) })
		})
		if e != 0 {
			return nil, e
		}
		h.data, h.loaded = data, true
	}
	if off >= int64(len(h.data)) {
		return fuse.ReadResultData(nil), 0
	}
	n := copy(dest, h.data[off:])
	return fuse.ReadResultData(dest[:n]), 0
}
