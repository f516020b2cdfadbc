package fs

import (
	"context"
	"sort"
	"strconv"
	"sync"
	"syscall"
	"time"

	gofs "github.com/hanwen/go-fuse/v2/fs"
	"github.com/hanwen/go-fuse/v2/fuse"

	"github.com/redisfs/redisfs/core/proto"
)

// dbDir is the directory of one database: one entry per key, plus the
// scratch files created through the mount under names beginning with '.'.
type dbDir struct {
	gofs.Inode
	fsys *FS
	db   int

	mu      sync.Mutex
	scratch map[string]*scratchData // guarded by mu
	// collScratch holds the scratch areas of collection directories,
	// by key (collscratch.go); guarded by mu.
	collScratch map[string]map[string]*scratchData

	// pend holds the pending (empty) collection directories (coll.go);
	// touched on the loop only.
	pend map[string]*pendingDir
}

var (
	_ = (gofs.NodeGetattrer)((*dbDir)(nil))
	_ = (gofs.NodeSetattrer)((*dbDir)(nil))
	_ = (gofs.NodeLookuper)((*dbDir)(nil))
	_ = (gofs.NodeOpendirHandler)((*dbDir)(nil))
	_ = (gofs.NodeCreater)((*dbDir)(nil))
	_ = (gofs.NodeUnlinker)((*dbDir)(nil))
	_ = (gofs.NodeRmdirer)((*dbDir)(nil))
	_ = (gofs.NodeRenamer)((*dbDir)(nil))
	_ = (gofs.NodeMkdirer)((*dbDir)(nil))
	_ = (gofs.NodeMknoder)((*dbDir)(nil))
)

// Getattr reports the number of keys as the size and the last creation or
// deletion of a key as the modification time. It is never cached.
func (d *dbDir) Getattr(ctx context.Context, f gofs.FileHandle, out *fuse.AttrOut) syscall.Errno {
	var size, mtime int64
	e := d.fsys.do(ctx, func(r *runner) {
		r.selectDB(d.db)
		rep := r.call([]byte("DBSIZE"))
		size = rep.Int
		mtime = r.ls.dirTime[d.db]
	})
	if e != 0 {
		return e
	}
	d.fsys.fillDir(&out.Attr, 2, size, mtime)
	return 0
}

// Setattr accepts and ignores mode, owner and time changes (cp -a, touch).
func (d *dbDir) Setattr(ctx context.Context, f gofs.FileHandle, in *fuse.SetAttrIn, out *fuse.AttrOut) syscall.Errno {
	return d.Getattr(ctx, f, out)
}

// setEntryTimeouts sets the cache times of a key entry: none when the key
// changed while the lookup was in flight.
func (fsys *FS) setEntryTimeouts(out *fuse.EntryOut, dirty bool) {
	t := fsys.keyTimeout
	if dirty {
		t = time.Nanosecond
	}
	out.SetEntryTimeout(t)
	out.SetAttrTimeout(t)
}

// Lookup finds a key (one job: TYPE and the size of its type), a pending
// directory, or a scratch file (no job).
func (d *dbDir) Lookup(ctx context.Context, name string, out *fuse.EntryOut) (*gofs.Inode, syscall.Errno) {
	fsys := d.fsys
	if isScratchName(name) {
		d.mu.Lock()
		sd := d.scratch[name]
		d.mu.Unlock()
		if sd == nil {
			return nil, syscall.ENOENT
		}
		sd.fill(fsys, &out.Attr)
		fsys.setEntryTimeouts(out, false)
		return d.NewInode(ctx, &scratchNode{fsys: fsys, data: sd}, gofs.StableAttr{Mode: syscall.S_IFREG}), 0
	}
	key, ok := decodeName(name)
	if !ok {
		return nil, syscall.ENOENT
	}
	mark := fsys.notifier.beginLookup(d.db, key)
	pid := callerPid(ctx)
	var ki keyInfo
	var errno syscall.Errno
	var ghost bool
	e := fsys.do(ctx, func(r *runner) {
		ki, errno = r.statKeyPrefetch(d.db, key)
		if errno == syscall.ENOENT {
			ki, ghost, errno = r.statEntry(d.db, key, pid)
		}
		if errno == 0 {
			r.ls.register(d.db, key)
		}
	})
	dirty := fsys.notifier.endLookup(mark) || ghost
	if e != 0 {
		return nil, e
	}
	if errno != 0 {
		return nil, errno
	}
	node := fsys.keyNode(ctx, &d.Inode, name, d.db, key, ki, &out.Attr, dirty)
	fsys.setEntryTimeouts(out, dirty)
	return node, 0
}

// OpendirHandle starts a listing.
func (d *dbDir) OpendirHandle(ctx context.Context, flags uint32) (gofs.FileHandle, uint32, syscall.Errno) {
	return &dirHandle{d: d, user: d.fsys.who(ctx)}, 0, 0
}

// Create makes a key holding the empty string (SET key "" NX), or opens
// the existing one unless O_EXCL; names beginning with '.' are created in
// the scratch area.
func (d *dbDir) Create(ctx context.Context, name string, flags uint32, mode uint32, out *fuse.EntryOut) (*gofs.Inode, gofs.FileHandle, uint32, syscall.Errno) {
	fsys := d.fsys
	if isScratchName(name) {
		return d.createScratch(ctx, name, flags, mode, out)
	}
	key, ok := decodeName(name)
	if !ok {
		return nil, nil, 0, syscall.EINVAL
	}
	mark := fsys.notifier.beginLookup(d.db, key)
	var ki keyInfo
	var data []byte
	var errno syscall.Errno
	existed := false
	e := fsys.do(ctx, func(r *runner) {
		r.selectDB(d.db)
		rep := r.call([]byte("SET"), key, nil, []byte("NX"))
		if errno = replyErrno(&rep, syscall.EISDIR); errno != 0 {
			return
		}
		if rep.Null {
			existed = true
			if flags&syscall.O_EXCL != 0 {
				errno = syscall.EEXIST
				return
			}
			data, errno = r.openString(d.db, key, flags)
			if errno != 0 {
				return
			}
		}
		ki, errno = r.statKey(d.db, key)
		if errno == 0 {
			r.ls.register(d.db, key)
		}
	})
	dirty := fsys.notifier.endLookup(mark)
	if e != 0 {
		return nil, nil, 0, e
	}
	if errno != 0 {
		return nil, nil, 0, errno
	}
	node := fsys.keyNode(ctx, &d.Inode, name, d.db, key, ki, &out.Attr, dirty)
	if _, ok := node.Operations().(*keyFile); !ok {
		return nil, nil, 0, syscall.EISDIR
	}
	fsys.setEntryTimeouts(out, dirty)
	if !existed {
		data = []byte{}
	}
	h := newStrHandle(node.Operations().(*keyFile), flags, data)
	h.user = fsys.who(ctx)
	if existed && flags&syscall.O_TRUNC != 0 {
		h.buf.dirty = true
	}
	return node, h, fsys.openFlags(true), 0
}

// Unlink deletes a key with UNLINK (or a scratch file).
func (d *dbDir) Unlink(ctx context.Context, name string) syscall.Errno {
	if isScratchName(name) {
		d.mu.Lock()
		defer d.mu.Unlock()
		if d.scratch[name] == nil {
			return syscall.ENOENT
		}
		delete(d.scratch, name)
		return 0
	}
	key, ok := decodeName(name)
	if !ok {
		return syscall.ENOENT
	}
	var errno syscall.Errno
	e := d.fsys.do(ctx, func(r *runner) {
		r.selectDB(d.db)
		rep := r.call([]byte("UNLINK"), key)
		if errno = replyErrno(&rep, syscall.EIO); errno == 0 && rep.Int == 0 {
			errno = syscall.ENOENT
		}
	})
	if e != 0 {
		return e
	}
	return errno
}

// Rmdir removes a collection with one DEL, whatever it holds (unlike
// rmdir(2) elsewhere: rm -r unlinks the members one by one first, and its
// rmdir then finds the directory already gone with its key, which
// succeeds), or a pending directory.
func (d *dbDir) Rmdir(ctx context.Context, name string) syscall.Errno {
	key, ok := decodeName(name)
	if !ok {
		return syscall.ENOENT
	}
	var errno syscall.Errno
	e := d.fsys.do(ctx, func(r *runner) {
		r.selectDB(d.db)
		typ := parseType(r.call([]byte("TYPE"), key).Str)
		switch {
		case typ == typeNone:
			if r.pending(d.db, key, 0) == nil {
				errno = syscall.ENOENT
				return
			}
			d.dropPending(key)
			r.ls.dirTime[d.db] = r.now()
		case isDirType(typ):
			rep := r.call([]byte("DEL"), key)
			errno = replyErrno(&rep, syscall.EIO)
		default:
			errno = syscall.ENOTDIR
		}
	})
	if e != 0 {
		return e
	}
	return errno
}

// Mkdir makes a pending collection directory (coll.go): a hash unless
// user.redis.type says otherwise before its first file is made.
func (d *dbDir) Mkdir(ctx context.Context, name string, mode uint32, out *fuse.EntryOut) (*gofs.Inode, syscall.Errno) {
	fsys := d.fsys
	if isScratchName(name) {
		return nil, syscall.EPERM
	}
	key, ok := decodeName(name)
	if !ok {
		return nil, syscall.EINVAL
	}
	var ki keyInfo
	var errno syscall.Errno
	e := fsys.do(ctx, func(r *runner) {
		r.selectDB(d.db)
		if parseType(r.call([]byte("TYPE"), key).Str) != typeNone {
			errno = syscall.EEXIST
			return
		}
		if p := r.pending(d.db, key, 0); p != nil && !p.ghost {
			errno = syscall.EEXIST
			return
		}
		ki = keyInfo{typ: typeHash, mtime: r.now()}
		r.setPending(d.db, key, &pendingDir{typ: ki.typ, mtime: ki.mtime})
		r.ls.register(d.db, key)
	})
	if e != 0 {
		return nil, e
	}
	if errno != 0 {
		return nil, errno
	}
	node := fsys.keyNode(ctx, &d.Inode, name, d.db, key, ki, &out.Attr, false)
	fsys.setEntryTimeouts(out, false)
	return node, 0
}

// Mknod makes only regular files (mknod(2) of a plain file = create).
func (d *dbDir) Mknod(ctx context.Context, name string, mode uint32, dev uint32, out *fuse.EntryOut) (*gofs.Inode, syscall.Errno) {
	if mode&syscall.S_IFMT != syscall.S_IFREG && mode&syscall.S_IFMT != 0 {
		return nil, syscall.EPERM
	}
	node, _, _, e := d.Create(ctx, name, syscall.O_CREAT|syscall.O_EXCL|syscall.O_WRONLY, mode, out)
	return node, e
}

// renameNoReplace and renameExchange are renameat2's flags.
const (
	renameNoReplace = 1
	renameExchange  = 2
)

// Rename is one RENAME (RENAMENX with RENAME_NOREPLACE) inside a database.
// Across databases it has MOVE semantics: the key keeps its name and moves
// with MOVE (a key of that name in the target database is replaced, in the
// same loop job); renaming to another name across databases fails with
// EXDEV, which makes mv fall back to copy and unlink. Scratch files turn
// into keys (SET) and keys into scratch files (GET, UNLINK) when renamed
// across the two name spaces.
func (d *dbDir) Rename(ctx context.Context, name string, newParent gofs.InodeEmbedder, newName string, flags uint32) syscall.Errno {
	fsys := d.fsys
	nd, ok := newParent.(*dbDir)
	if !ok {
		return syscall.EXDEV
	}
	if flags&renameExchange != 0 {
		return syscall.EINVAL
	}
	noReplace := flags&renameNoReplace != 0
	srcScratch, dstScratch := isScratchName(name), isScratchName(newName)
	switch {
	case srcScratch && dstScratch:
		return d.renameScratch(name, nd, newName, noReplace)
	case srcScratch:
		return d.scratchToKey(ctx, name, nd, newName, noReplace)
	case dstScratch:
		return d.keyToScratch(ctx, name, nd, newName, noReplace)
	}
	src, ok1 := decodeName(name)
	dst, ok2 := decodeName(newName)
	if !ok1 {
		return syscall.ENOENT
	}
	if !ok2 {
		return syscall.EINVAL
	}
	if nd.db != d.db && string(src) != string(dst) {
		return syscall.EXDEV
	}
	// The node renamed now stands for the new key.
	var kb *keyBase
	if ch := d.GetChild(name); ch != nil {
		if b, ok := ch.Operations().(keyNode); ok {
			kb = b.base()
		}
	}
	var errno syscall.Errno
	stillList := false
	e := fsys.do(ctx, func(r *runner) {
		r.selectDB(d.db)
		var rep proto.Reply
		if nd.db == d.db {
			if ok, e := r.renamePending(d.db, src, dst, noReplace); ok {
				errno = e
				return
			}
			var over bool
			if !noReplace {
				over, stillList, errno = r.renameOver(d.db, src, dst)
			}
			if over {
				// An editor's temporary file onto the key it
				// edits: overwrite.go.
			} else if noReplace {
				rep = r.call([]byte("RENAMENX"), src, dst)
				if errno = replyErrno(&rep, syscall.EIO); errno == 0 && rep.Int == 0 {
					errno = syscall.EEXIST
				}
			} else {
				rep = r.call([]byte("RENAME"), src, dst)
				errno = replyErrno(&rep, syscall.EIO)
			}
		} else {
			if parseType(r.call([]byte("TYPE"), src).Str) == typeNone {
				errno = syscall.ENOENT
				return
			}
			db := []byte(strconv.Itoa(nd.db))
			r.selectDB(nd.db)
			rep = r.call([]byte("EXISTS"), dst)
			if rep.Int > 0 {
				if noReplace {
					errno = syscall.EEXIST
					return
				}
				r.call([]byte("UNLINK"), dst)
			}
			r.selectDB(d.db)
			rep = r.call([]byte("MOVE"), src, db)
			if errno = replyErrno(&rep, syscall.EIO); errno == 0 && rep.Int == 0 {
				errno = syscall.EEXIST
			}
		}
		if errno == 0 {
			r.ls.register(nd.db, dst)
		}
	})
	if e != 0 {
		return e
	}
	if errno == 0 && kb != nil {
		if stillList {
			// The node stood for a string: have the kernel look
			// the name up again.
			kb.stale.Store(true)
		} else {
			kb.setIdent(nd.db, dst)
		}
	}
	return errno
}

// dirEnt is one entry of a listing, with what its lookup needs.
type dirEnt struct {
	name    string
	key     []byte
	info    keyInfo
	mark    dbKey
	claimed bool
	node    *gofs.Inode
	scratch *scratchData
	dot     bool // "." or ".."
}

// dirHandle lists a database: the scratch files, then the keys, a SCAN
// batch per job, each key with its type and size so that READDIRPLUS needs
// no job per entry (FileLookuper). The batch job registers the keys it
// lists, as a lookup does.
type dirHandle struct {
	d    *dbDir
	user string // the ACL user of the opener (users.go)

	mu          sync.Mutex
	ents        []*dirEnt
	pos         int
	cursor      []byte
	started     bool
	done        bool
	scratchDone bool
	byName      map[string]*dirEnt
	last        *dirEnt
}

var (
	_ = (gofs.FileReaddirenter)((*dirHandle)(nil))
	_ = (gofs.FileLookuper)((*dirHandle)(nil))
	_ = (gofs.FileReleasedirer)((*dirHandle)(nil))
	_ = (gofs.FileSeekdirer)((*dirHandle)(nil))
)

// scanCount is the COUNT of each SCAN batch: a job of a few hundred
// TYPE/STRLEN pairs keeps the loop busy well under a millisecond.
const scanCount = "256"

func (h *dirHandle) Readdirent(ctx context.Context) (*fuse.DirEntry, syscall.Errno) {
	h.mu.Lock()
	defer h.mu.Unlock()
	for h.pos >= len(h.ents) {
		if h.done {
			return nil, 0
		}
		if e := h.fetch(); e != 0 {
			return nil, e
		}
	}
	ent := h.ents[h.pos]
	h.pos++
	h.last = ent
	mode := uint32(syscall.S_IFREG)
	if ent.dot || ent.scratch == nil && isDirType(ent.info.typ) {
		mode = syscall.S_IFDIR
	}
	return &fuse.DirEntry{Name: ent.name, Mode: mode}, 0
}

// fetch reads the next batch of entries.
func (h *dirHandle) fetch() syscall.Errno {
	d := h.d
	fsys := d.fsys
	if h.byName == nil {
		h.byName = map[string]*dirEnt{}
	}
	h.ents, h.pos = h.ents[:0], 0
	if !h.scratchDone {
		h.scratchDone = true
		h.ents = append(h.ents, &dirEnt{name: ".", dot: true}, &dirEnt{name: "..", dot: true})
		d.mu.Lock()
		names := make([]string, 0, len(d.scratch))
		for name := range d.scratch {
			names = append(names, name)
		}
		sort.Strings(names)
		for _, name := range names {
			ent := &dirEnt{name: name, scratch: d.scratch[name]}
			h.ents = append(h.ents, ent)
			h.byName[name] = ent
		}
		d.mu.Unlock()
		return 0
	}
	var batch []*dirEnt
	var next []byte
	cursor := h.cursor
	if !h.started {
		cursor = []byte("0")
	}
	// The job reads byName (to skip keys SCAN returns twice) while this
	// goroutine waits for it under h.mu.
	first := !h.started
	e := fsys.doAs(h.user, func(r *runner) {
		if first {
			batch = d.listPending(r)
		}
		r.selectDB(d.db)
		rep := r.call([]byte("SCAN"), cursor, []byte("COUNT"), []byte(scanCount))
		if rep.Type != '*' || len(rep.Elems) != 2 {
			next = []byte("0")
			return
		}
		next = append([]byte(nil), rep.Elems[0].Str...)
		for _, k := range rep.Elems[1].Elems {
			name := keyName(k.Str)
			if _, dup := h.byName[name]; dup {
				continue
			}
			if len(name) > maxNameLen {
				r.ls.logLongName(d.db, k.Str)
				continue
			}
			key := append([]byte(nil), k.Str...)
			ki, errno := r.statKeyPrefetch(d.db, key)
			if errno != 0 {
				continue
			}
			ent := &dirEnt{name: name, key: key, info: ki}
			r.ls.register(d.db, key)
			batch = append(batch, ent)
		}
	})
	h.started = true
	if e != 0 {
		return e
	}
	for _, ent := range batch {
		ent.mark = fsys.notifier.beginLookup(d.db, ent.key)
		h.byName[ent.name] = ent
	}
	h.ents = append(h.ents, batch...)
	h.cursor = next
	if string(next) == "0" {
		h.done = true
	}
	return 0
}

// Lookup answers READDIRPLUS for the entry just listed, from the batch.
func (h *dirHandle) Lookup(ctx context.Context, name string, out *fuse.EntryOut) (*gofs.Inode, syscall.Errno) {
	h.mu.Lock()
	defer h.mu.Unlock()
	ent := h.byName[name]
	if ent == nil {
		return nil, syscall.ENOENT
	}
	fsys := h.d.fsys
	if ent.node != nil {
		// The kernel re-reads entries after an interrupted read.
		return ent.node, 0
	}
	if ent.scratch != nil {
		ent.scratch.fill(fsys, &out.Attr)
		fsys.setEntryTimeouts(out, false)
		ent.node = h.d.NewInode(ctx, &scratchNode{fsys: fsys, data: ent.scratch}, gofs.StableAttr{Mode: syscall.S_IFREG})
		return ent.node, 0
	}
	ent.claimed = true
	dirty := fsys.notifier.endLookup(ent.mark)
	ent.node = fsys.keyNode(ctx, &h.d.Inode, name, h.d.db, ent.key, ent.info, &out.Attr, dirty)
	ent.info.content = nil
	fsys.setEntryTimeouts(out, dirty)
	return ent.node, 0
}

// Seekdir supports rewinding only.
func (h *dirHandle) Seekdir(ctx context.Context, off uint64) syscall.Errno {
	if off != 0 {
		return syscall.ENOTSUP
	}
	h.mu.Lock()
	defer h.mu.Unlock()
	h.releaseUnclaimed()
	h.ents, h.pos, h.cursor, h.last = nil, 0, nil, nil
	h.started, h.done, h.scratchDone = false, false, false
	h.byName = nil
	return 0
}

func (h *dirHandle) Releasedir(ctx context.Context, releaseFlags uint32) {
	h.mu.Lock()
	defer h.mu.Unlock()
	h.releaseUnclaimed()
}

// releaseUnclaimed ends the in-flight marks of entries no node was made
// for.
func (h *dirHandle) releaseUnclaimed() {
	fsys := h.d.fsys
	for _, ent := range h.byName {
		if ent.scratch == nil && !ent.dot && !ent.claimed {
			fsys.notifier.endLookup(ent.mark)
			ent.claimed = true
		}
	}
}
