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
					kf.writers.adjust(a)
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
	// pre is the small value (at most prefetchMax bytes) fetched by the
	// last lookup or read open, which read opens start from without a
	// job; the notifier drops it when the key changes. Never modified in
	// place.
	pre    []byte // guarded by mu
	hasPre bool   // guarded by mu
	// dropCache: a commit failed, and the kernel may hold pages of
	// what it refused; the next read open drops them (limits.go).
	dropCache atomic.Bool
	// setTime is a modification time set since the last write through
	// the mount, for the next commit to keep (cp -a sets it before it
	// closes; mtime.go).
	setTime atomic.Int64
	// gen counts the changes to the key the file server has seen (the
	// notifier's invalidations, the commits of its own opens): a read
	// open whose snapshot predates the last one fetches again when asked
	// for bytes past the snapshot's end (tail -f). Guarded by mu.
	gen uint64
	// writers are the node's opens for writing (writers.go).
	writers openWriters
}

// setPrefetch keeps (or forgets) the value a lookup fetched.
func (n *keyFile) setPrefetch(ki keyInfo) {
	n.mu.Lock()
	n.pre, n.hasPre = ki.content, ki.hasContent
	n.mu.Unlock()
}

// prefetched returns the small value fetched last, with the change count
// it is current for.
func (n *keyFile) prefetched() ([]byte, uint64, bool) {
	n.mu.Lock()
	defer n.mu.Unlock()
	return n.pre, n.gen, n.hasPre
}

// keepValue keeps a small value a read open fetched, for the next ones,
// unless the key changed since the fetch began (gen). Without a notifier
// (DirectIO) nothing would drop it: it is not kept.
func (n *keyFile) keepValue(v []byte, gen uint64) {
	if len(v) > prefetchMax || n.fsys.notifier == nil {
		return
	}
	n.mu.Lock()
	if n.gen == gen {
		n.pre, n.hasPre = v, true
	}
	n.mu.Unlock()
}

// dropPrefetch forgets the value the lookup fetched: the key changed.
func (n *keyFile) dropPrefetch() {
	n.mu.Lock()
	n.pre, n.hasPre = nil, false
	n.gen++
	n.mu.Unlock()
}

// changes returns the node's change count (see gen).
func (n *keyFile) changes() uint64 {
	n.mu.Lock()
	defer n.mu.Unlock()
	return n.gen
}

// refetch reports whether a read open should fetch the key again before
// serving a read at off of want bytes from a snapshot of size bytes,
// current for change count gen and taken at took: when the read starts
// over or wants bytes past the snapshot's end (the key may have grown:
// tail -f), and the key changed since. Without a notifier (DirectIO)
// nothing counts changes: a read from the start always fetches, one past
// the end when the snapshot is older than refetchAge.
func (n *keyFile) refetch(off int64, want int, size int64, gen uint64, took time.Time) bool {
	if off != 0 && off+int64(want) <= size {
		return false
	}
	if n.fsys.notifier == nil {
		return off == 0 || time.Since(took) > refetchAge
	}
	return n.changes() != gen
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

// Getattr answers from the keyspace, adjusted to what the opens for
// writing see (writers.go). When the key went away, a file still open
// answers as the open sees it: a writer's content (its close recreates
// the key), a reader's snapshot.
func (n *keyFile) Getattr(ctx context.Context, f gofs.FileHandle, out *fuse.AttrOut) syscall.Errno {
	e := n.getattr(ctx, out)
	if e == syscall.ENOENT {
		size, at, ok := n.writers.gone()
		if !ok {
			if h, isSnap := f.(interface{ snapshotSize() (int64, bool) }); isSnap {
				size, ok = h.snapshotSize()
			}
		}
		if !ok {
			return e
		}
		n.fsys.fillFile(&out.Attr, 0o644, size, max(at, time.Now().UnixNano()))
		out.SetTimeout(0)
		return 0
	}
	if e != 0 {
		return e
	}
	n.writers.adjust(&out.Attr)
	return 0
}

// truncateWriters truncates the private copies of the node's opens for
// writing that hold a whole content (truncate(2) of an open file: the
// kernel names no open); it reports whether there were any. Their commit
// writes the key.
func (n *keyFile) truncateWriters(size int64) bool {
	found := false
	n.writers.each(func(w writerView) {
		switch h := w.(type) {
		case *strHandle:
			if !h.appendMode {
				h.truncate(size)
				found = true
			}
		case *listHandle:
			if !h.push {
				h.truncate(size)
				found = true
			}
		}
	})
	return found
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
	if n.typ == typeStream {
		return n.setattrStream(ctx, size, out) // stream.go
	}
	if n.typ != typeString {
		return syscall.EPERM
	}
	if h, ok := f.(*strHandle); ok && h.write && !h.appendMode {
		h.truncate(int64(size))
		if e := n.Getattr(ctx, f, out); e != 0 {
			return e
		}
		// Not to be cached: a commit that fails leaves no trace.
		out.SetTimeout(0)
		return 0
	}
	if n.truncateWriters(int64(size)) {
		if e := n.Getattr(ctx, f, out); e != 0 {
			return e
		}
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
	return n.Getattr(ctx, f, out)
}

// Open opens a string for reading (the value is fetched at the first read)
// or for writing (on a private copy committed at flush); lists are opened
// by openList (list.go), streams by openStreamFile (stream.go).
func (n *keyFile) Open(ctx context.Context, flags uint32) (gofs.FileHandle, uint32, syscall.Errno) {
	if e := n.staleErr(); e != 0 {
		return nil, 0, e
	}
	n.fsys.yield()
	acc := flags & syscall.O_ACCMODE
	if n.typ == typeList {
		return n.openList(ctx, flags)
	}
	if n.typ == typeStream {
		return n.openStreamFile(ctx, flags) // stream.go
	}
	if n.typ != typeString {
		if acc != syscall.O_RDONLY {
			return nil, 0, syscall.EPERM
		}
		h, e := newRenderHandle(ctx, n)
		if e != 0 {
			return nil, 0, e
		}
		return h, fuse.FOPEN_DIRECT_IO | fuse.FOPEN_NOFLUSH, 0
	}
	if acc == syscall.O_RDONLY {
		// The snapshot is taken now, so that a DEL before the first
		// read does not take the content away from the open.
		h := newStrHandle(n, flags, nil)
		h.user = n.fsys.who(ctx)
		if pre, gen, ok := n.prefetched(); ok {
			h.buf.data, h.loaded, h.gen, h.took = pre, true, gen, time.Now()
		} else if e := h.fetch(); e != 0 {
			return nil, 0, e
		}
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

// strHandle is an open string. A read open takes a snapshot of the value
// when it opens and serves its reads from it; a read from the start or
// past the snapshot's end after the key changed fetches the value again
// (a value rewritten reads as a file rewritten in place does, a grown one
// as tail -f expects), and when the key is gone (DEL, expiry) the open
// keeps the snapshot it has, as a descriptor of an unlinked file does.
// A write open works on a private copy that flush or fsync commits as one
// SET … KEEPTTL; an O_APPEND open collects its writes and commits them as
// one APPEND.
type strHandle struct {
	n          *keyFile
	write      bool
	appendMode bool

	mu     sync.Mutex
	loaded bool // guarded by mu
	// gen is the node's change count the snapshot is current for
	// (keyFile.gen), took when it was taken. Guarded by mu.
	gen  uint64
	took time.Time
	// buf is the value: the read snapshot, or the private copy of a
	// write open. Guarded by mu.
	buf  editBuf
	pend []byte // guarded by mu: O_APPEND bytes not committed yet
	// failed is the error of a write refused (limits.go): the open
	// commits nothing. Guarded by mu.
	failed syscall.Errno
	user   string // the ACL user of the opener (users.go)
	at     int64  // guarded by mu: the last write or truncation, unix ns
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

// newStrHandle returns an open of n; data is the private copy of a write
// open (nil for a read open, which loads its snapshot itself). A write
// open counts among the node's writers until its release.
func newStrHandle(n *keyFile, flags uint32, data []byte) *strHandle {
	acc := flags & syscall.O_ACCMODE
	h := &strHandle{n: n, write: acc != syscall.O_RDONLY, appendMode: flags&syscall.O_APPEND != 0}
	if data != nil {
		h.buf.data, h.loaded = data, true
	}
	if h.write {
		h.at = now()
		n.writers.add(h)
	}
	return h
}

// view implements writerView.
func (h *strHandle) view() (size int64, full bool, grow int64, at int64) {
	h.mu.Lock()
	defer h.mu.Unlock()
	if h.appendMode {
		return 0, false, int64(len(h.pend)), h.at
	}
	return int64(len(h.buf.data)), h.buf.dirty, 0, h.at
}

// viewGone implements writerView.
func (h *strHandle) viewGone() (size int64, full bool, grow int64, at int64) {
	h.mu.Lock()
	defer h.mu.Unlock()
	if h.appendMode {
		return -1, false, int64(len(h.pend)), h.at
	}
	return int64(len(h.buf.data)), true, 0, h.at
}

// snapshotSize returns the size of a read open's snapshot.
func (h *strHandle) snapshotSize() (int64, bool) {
	h.mu.Lock()
	defer h.mu.Unlock()
	if h.write || !h.loaded {
		return 0, false
	}
	return int64(len(h.buf.data)), true
}

// fetch loads the value. A read open whose key is gone keeps the
// snapshot it has.
func (h *strHandle) fetch() syscall.Errno {
	db, key := h.n.ident()
	gen := h.n.changes()
	var errno syscall.Errno
	var data []byte
	var gone bool
	e := h.n.fsys.doAs(h.user, func(r *runner) {
		r.selectDB(db)
		rep := r.call([]byte("GET"), key)
		if errno = replyErrno(&rep, syscall.EISDIR); errno != 0 {
			return
		}
		gone = rep.Null
		data = append([]byte{}, rep.Str...)
	})
	if e != 0 {
		return e
	}
	if errno != 0 {
		if h.loaded && !h.write {
			// No longer a string: the open keeps what it read.
			h.gen, h.took = gen, time.Now()
			return 0
		}
		return errno
	}
	h.gen, h.took = gen, time.Now()
	if gone && h.loaded && !h.write {
		return 0
	}
	h.buf.data, h.loaded = data, true
	if !h.write && !gone {
		h.n.keepValue(data, gen)
	}
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
	} else if !h.loaded {
		if e := h.fetch(); e != 0 {
			return nil, e
		}
	} else if !h.write && h.n.refetch(off, len(dest), int64(len(h.buf.data)), h.gen, h.took) {
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
	h.at = now()
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
	h.at = now()
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

// Release commits what no flush did (a truncation alone); the open stops
// counting among the node's writers.
func (h *strHandle) Release(ctx context.Context) syscall.Errno {
	if !h.write {
		return 0
	}
	defer h.n.writers.remove(h)
	return h.commit()
}

func (h *strHandle) Fsync(ctx context.Context, flags uint32) syscall.Errno { return h.commit() }

// renderHandle is an open list or stream: a snapshot of its rendering,
// taken at the open, served as strHandle serves a string's (a read past
// its end after a change renders again; a key gone keeps the snapshot).
type renderHandle struct {
	n      *keyFile
	mu     sync.Mutex
	gen    uint64    // guarded by mu: see strHandle.gen
	took   time.Time // guarded by mu
	loaded bool      // guarded by mu
	data   []byte    // guarded by mu
}

var _ = (gofs.FileReader)((*renderHandle)(nil))

// newRenderHandle opens n for reading, rendering it now.
func newRenderHandle(ctx context.Context, n *keyFile) (*renderHandle, syscall.Errno) {
	h := &renderHandle{n: n}
	if e := h.render(ctx); e != 0 {
		return nil, e
	}
	return h, 0
}

// render takes the snapshot, unless the key is gone or has another type
// now and the open has one already.
func (h *renderHandle) render(ctx context.Context) syscall.Errno {
	db, key := h.n.ident()
	gen := h.n.changes()
	var data []byte
	ok := false
	e := h.n.fsys.do(ctx, func(r *runner) {
		r.selectDB(db)
		if parseType(r.call([]byte("TYPE"), key).Str) != h.n.typ {
			return
		}
		ok = true
		r.renderCollection(h.n.typ, key, func(b []byte) { data = append(data, b...) })
	})
	if e != 0 {
		return e
	}
	h.gen, h.took = gen, time.Now()
	if ok || !h.loaded {
		h.data, h.loaded = data, true
	}
	return 0
}

// snapshotSize returns the size of the snapshot.
func (h *renderHandle) snapshotSize() (int64, bool) {
	h.mu.Lock()
	defer h.mu.Unlock()
	return int64(len(h.data)), h.loaded
}

func (h *renderHandle) Read(ctx context.Context, dest []byte, off int64) (fuse.ReadResult, syscall.Errno) {
	h.mu.Lock()
	defer h.mu.Unlock()
	if !h.loaded || h.n.refetch(off, len(dest), int64(len(h.data)), h.gen, h.took) {
		if e := h.render(ctx); e != 0 {
			return nil, e
		}
	}
	if off >= int64(len(h.data)) {
		return fuse.ReadResultData(nil), 0
	}
	n := copy(dest, h.data[off:])
	return fuse.ReadResultData(dest[:n]), 0
}

// refetchAge is how old info's text must be before a read at its end
// fetches it again (info.go).
const refetchAge = 100 * time.Millisecond
