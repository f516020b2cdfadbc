package fs

import (
	"bytes"
	"context"
	"sync"
	"sync/atomic"
	"syscall"
	"time"

	gofs "github.com/hanwen/go-fuse/v2/fs"
	"github.com/hanwen/go-fuse/v2/fuse"

	"github.com/redisfs/redisfs/core/proto"
)

// keyDir is a hash, set or sorted set key: a directory of its fields or
// members, named with the key-name encoding (names.go). A hash field's
// content is its value, a sorted set member's its score (as ZSCORE formats
// it), a set member's nothing; a sorted set lists in score order.
//
//	cat h/f              HGET h f
//	echo v > h/f         HSET h f "v\n" at close (a private copy, as for
//	                     strings: O_TRUNC, O_APPEND and ftruncate work on it)
//	create h/f           HSET h f "" (the field exists from the open on;
//	                     O_EXCL on an existing field is EEXIST)
//	touch s/m            SADD s m; a set member takes no writes (EPERM)
//	echo 3.5 > z/m       ZADD z 3.5 m at close; content that is not a
//	                     number fails the close with EINVAL and changes
//	                     nothing; empty content changes nothing
//	create z/m           ZADD z 0 m (removed again when the first score
//	                     written to the new member is not a number)
//	rm h/f, s/m, z/m     HDEL, SREM, ZREM
//	mv h/f h/g           HSET h g v and HDEL h f in one job (SADD+SREM,
//	                     ZADD+ZREM); across keys EXDEV, so mv copies
//
// The directory goes with its last member, as the key does. Redis has no
// empty collections, so an empty collection directory exists only in the
// file server (see pendingDir).
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
	_ = (gofs.NodeSetxattrer)((*keyDir)(nil))
	_ = (gofs.NodeListxattrer)((*keyDir)(nil))
)

// pendingDir is an empty collection directory: Redis has no empty
// collections, so the file server holds it, per database, outside the
// keyspace, until its key is created (by the first file made in it, or by
// any client: the key's "new" event drops the record) or it is removed.
//
// mkdir makes one, a hash unless setfattr -n user.redis.type sets "set" or
// "zset" before the first file is made. The removal of a collection's last
// member through the mount leaves a ghost: a pending directory that is not
// listed and that only the process that removed the member finds by name,
// for ghostLife — enough for the rmdir that rm -r sends next to succeed,
// while the directory is gone for everyone else.
//
// Records are touched on the loop only.
type pendingDir struct {
	typ   int
	mtime int64 // unix ns
	ghost bool
	pid   uint32 // ghost: the process that removed the last member
	until int64  // ghost: unix ns after which it is gone
}

const ghostLife = 5 * time.Second

// callerPid returns the process a FUSE request comes from (0 if unknown).
func callerPid(ctx context.Context) uint32 {
	if c, ok := fuse.FromContext(ctx); ok {
		return c.Pid
	}
	return 0
}

// pending returns the pending directory of key in db that process pid may
// see (pid 0: any process), nil if none. Expired ghosts are dropped.
func (r *runner) pending(db int, key []byte, pid uint32) *pendingDir {
	d := r.ls.fsys.dbs[db]
	p := d.pend[string(key)]
	if p == nil || !p.ghost {
		return p
	}
	if r.now() > p.until {
		delete(d.pend, string(key))
		return nil
	}
	if pid != 0 && p.pid != pid {
		return nil
	}
	return p
}

// setPending records a pending directory.
func (r *runner) setPending(db int, key []byte, p *pendingDir) {
	d := r.ls.fsys.dbs[db]
	if d.pend == nil {
		d.pend = map[string]*pendingDir{}
	}
	d.pend[string(key)] = p
	if !p.ghost {
		r.ls.dirTime[db] = p.mtime
	}
}

// dropPending forgets the pending directory of key, if any; it is called
// for every key created (the "new" keyspace event).
func (d *dbDir) dropPending(key []byte) {
	if d.pend != nil {
		delete(d.pend, string(key))
	}
}

// statEntry is statKey for a name in a database directory: the key, or
// failing that a pending directory process pid may see. ghost reports a
// ghost, which is not to be cached.
func (r *runner) statEntry(db int, key []byte, pid uint32) (ki keyInfo, ghost bool, errno syscall.Errno) {
	ki, errno = r.statKey(db, key)
	if errno == syscall.ENOENT {
		if p := r.pending(db, key, pid); p != nil {
			return keyInfo{typ: p.typ, mtime: p.mtime}, p.ghost, 0
		}
	}
	return ki, false, errno
}

// collType returns the type of the collection key stands for and whether
// the key exists: the key's type, or while it does not exist, its pending
// directory's (typeNone if there is none).
func (r *runner) collType(db int, key []byte) (int, bool) {
	r.selectDB(db)
	t := parseType(r.call([]byte("TYPE"), key).Str)
	if t != typeNone {
		return t, true
	}
	if p := r.pending(db, key, 0); p != nil {
		return p.typ, false
	}
	return typeNone, false
}

// typeName is the name TYPE gives a collection type.
func typeName(t int) string {
	switch t {
	case typeHash:
		return "hash"
	case typeSet:
		return "set"
	case typeZSet:
		return "zset"
	case typeList:
		return "list"
	case typeString:
		return "string"
	case typeStream:
		return "stream"
	}
	return "none"
}

func (n *keyDir) Getattr(ctx context.Context, f gofs.FileHandle, out *fuse.AttrOut) syscall.Errno {
	return n.getattr(ctx, out)
}

func (n *keyDir) Setattr(ctx context.Context, f gofs.FileHandle, in *fuse.SetAttrIn, out *fuse.AttrOut) syscall.Errno {
	if _, ok := in.GetSize(); ok {
		return syscall.EISDIR
	}
	if e := n.setKeyTime(ctx, in); e != 0 {
		return e
	}
	return n.getattr(ctx, out)
}

// existingMember returns the type of the collection at key and the
// content of its member m, or ENOENT when either is missing.
func (r *runner) existingMember(db int, key, m []byte) (int, []byte, syscall.Errno) {
	typ, exists := r.collType(db, key)
	if !exists {
		return 0, nil, syscall.ENOENT
	}
	val, ok, errno := r.member(typ, db, key, m)
	if errno == 0 && !ok {
		errno = syscall.ENOENT
	}
	return typ, val, errno
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

// memberChild returns the node for a member just looked up or created:
// the one the directory already has under that name, or a new one.
func (n *keyDir) memberChild(ctx context.Context, name string, m []byte) *gofs.Inode {
	if ch := n.GetChild(name); ch != nil {
		if mn, ok := ch.Operations().(*memberNode); ok && string(mn.name()) == string(m) {
			return ch
		}
	}
	mn := &memberNode{fsys: n.fsys, parent: n}
	mn.member = m
	return n.NewInode(ctx, mn, gofs.StableAttr{Mode: syscall.S_IFREG})
}

func (n *keyDir) Lookup(ctx context.Context, name string, out *fuse.EntryOut) (*gofs.Inode, syscall.Errno) {
	if e := n.staleErr(); e != 0 {
		return nil, e
	}
	if isScratchName(name) {
		return n.lookupScratch(ctx, name, out)
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
	mark := fsys.notifier.beginLookup(db, key)
	e := fsys.do(ctx, func(r *runner) {
		typ, ok := r.collType(db, key)
		if !ok {
			return
		}
		content, exists, errno = r.member(typ, db, key, m)
		mtime = r.ls.memberMtime(db, key, m, content)
	})
	dirty := fsys.notifier.endLookup(mark)
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
	fsys.setEntryTimeouts(out, dirty)
	ch := n.memberChild(ctx, name, m)
	if mn, ok := ch.Operations().(*memberNode); ok {
		mn.writers.adjust(&out.Attr)
	}
	return ch, 0
}

// Readdir lists the fields (HKEYS), members (SMEMBERS) or members in score
// order (ZRANGE 0 -1); a pending directory is empty.
func (n *keyDir) Readdir(ctx context.Context) (gofs.DirStream, syscall.Errno) {
	if e := n.staleErr(); e != 0 {
		return nil, e
	}
	db, key := n.ident()
	scratch := n.scratchNames()
	var ents []fuse.DirEntry
	var errno syscall.Errno
	e := n.fsys.do(ctx, func(r *runner) {
		typ, exists := r.collType(db, key)
		if typ == typeNone {
			errno = syscall.ENOENT
			return
		}
		ents = append(ents, fuse.DirEntry{Name: ".", Mode: syscall.S_IFDIR}, fuse.DirEntry{Name: "..", Mode: syscall.S_IFDIR})
		for _, name := range scratch {
			ents = append(ents, fuse.DirEntry{Name: name, Mode: syscall.S_IFREG})
		}
		if !exists {
			return
		}
		var args [][]byte
		switch typ {
		case typeHash:
			args = [][]byte{[]byte("HKEYS"), key}
		case typeSet:
			args = [][]byte{[]byte("SMEMBERS"), key}
		case typeZSet:
			args = [][]byte{[]byte("ZRANGE"), key, []byte("0"), []byte("-1")}
		default:
			errno = syscall.ENOTDIR
			return
		}
		rep := r.call(args...)
		if errno = replyErrno(&rep, syscall.ENOTDIR); errno != 0 {
			return
		}
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

// Create makes a field (HSET key field ""), a member (SADD) or a scored
// member (ZADD key 0 member), or opens the existing one unless O_EXCL.
// (A sorted set member created so is removed again if the first score
// written to it is not a number: see memberHandle.commit.)
func (n *keyDir) Create(ctx context.Context, name string, flags uint32, mode uint32, out *fuse.EntryOut) (*gofs.Inode, gofs.FileHandle, uint32, syscall.Errno) {
	if e := n.staleErr(); e != 0 {
		return nil, nil, 0, e
	}
	if isScratchName(name) {
		return n.createScratch(ctx, name, flags, mode, out)
	}
	m, ok := decodeName(name)
	if !ok {
		return nil, nil, 0, syscall.EINVAL
	}
	fsys := n.fsys
	db, key := n.ident()
	var typ int
	var data []byte
	var existed, exists bool
	var errno syscall.Errno
	var mtime int64
	e := fsys.do(ctx, func(r *runner) {
		typ, exists = r.collType(db, key)
		if !isDirType(typ) {
			errno = syscall.ENOENT
			if typ != typeNone {
				errno = syscall.ENOTDIR
			}
			return
		}
		data, existed, errno = r.member(typ, db, key, m)
		if errno != 0 {
			return
		}
		switch {
		case existed && flags&syscall.O_EXCL != 0:
			errno = syscall.EEXIST
		case existed:
		case typ == typeHash:
			rep := r.call([]byte("HSET"), key, m, nil)
			errno = replyErrno(&rep, syscall.ENOTDIR)
		case typ == typeSet:
			rep := r.call([]byte("SADD"), key, m)
			errno = replyErrno(&rep, syscall.ENOTDIR)
		case typ == typeZSet:
			rep := r.call([]byte("ZADD"), key, []byte("0"), m)
			errno = replyErrno(&rep, syscall.ENOTDIR)
		}
		mtime = r.ls.mtime(db, key)
	})
	if e != 0 {
		return nil, nil, 0, e
	}
	if errno != 0 {
		return nil, nil, 0, errno
	}
	node := n.memberChild(ctx, name, m)
	mn := node.Operations().(*memberNode)
	h := newMemberHandle(mn, typ, flags, data)
	h.user = fsys.who(ctx)
	if typ == typeZSet && !existed {
		h.placeholder, h.pendingDir = true, !exists
	}
	if !existed || flags&syscall.O_TRUNC != 0 {
		h.buf.data = []byte{}
	}
	if existed && flags&syscall.O_TRUNC != 0 {
		h.buf.truncated()
	}
	fsys.fillFile(&out.Attr, 0o644, int64(len(h.buf.data)), mtime)
	fsys.setEntryTimeouts(out, false)
	return node, h, fuse.FOPEN_DIRECT_IO, 0
}

// Mkdir: collections hold no directories.
func (n *keyDir) Mkdir(ctx context.Context, name string, mode uint32, out *fuse.EntryOut) (*gofs.Inode, syscall.Errno) {
	return nil, syscall.EPERM
}

// Unlink removes a field or member (HDEL, SREM, ZREM). When that was the
// last one, the key is gone and the directory with it; a ghost (see
// pendingDir) lets the same process remove the directory next.
func (n *keyDir) Unlink(ctx context.Context, name string) syscall.Errno {
	if e := n.staleErr(); e != 0 {
		return e
	}
	if isScratchName(name) {
		_, key := n.ident()
		if !n.dbDir().dropCollScratch(key, name, nil) {
			return syscall.ENOENT
		}
		return 0
	}
	m, ok := decodeName(name)
	if !ok {
		return syscall.ENOENT
	}
	db, key := n.ident()
	pid := callerPid(ctx)
	var errno syscall.Errno
	e := n.fsys.do(ctx, func(r *runner) {
		typ, exists := r.collType(db, key)
		if !exists {
			errno = syscall.ENOENT
			return
		}
		var cmd string
		switch typ {
		case typeHash:
			cmd = "HDEL"
		case typeSet:
			cmd = "SREM"
		case typeZSet:
			cmd = "ZREM"
		default:
			errno = syscall.ENOTDIR
			return
		}
		rep := r.call([]byte(cmd), key, m)
		if errno = replyErrno(&rep, syscall.ENOTDIR); errno == 0 && rep.Int == 0 {
			errno = syscall.ENOENT
		}
		if errno == 0 && r.call([]byte("EXISTS"), key).Int == 0 {
			now := r.now()
			r.setPending(db, key, &pendingDir{typ: typ, mtime: now, ghost: true, pid: pid, until: now + int64(ghostLife)})
		}
	})
	if e != 0 {
		return e
	}
	return errno
}

// Rmdir: collections hold no directories.
func (n *keyDir) Rmdir(ctx context.Context, name string) syscall.Errno { return syscall.ENOTDIR }

// Rename renames a field or member within its key: the new one is added
// and the old one removed in one job (HSET+HDEL, SADD+SREM, ZADD+ZREM),
// so the key never goes empty on the way. RENAME_NOREPLACE fails with
// EEXIST when the new one exists. Across keys (or to a database
// directory) it fails with EXDEV, and mv copies instead.
func (n *keyDir) Rename(ctx context.Context, name string, newParent gofs.InodeEmbedder, newName string, flags uint32) syscall.Errno {
	if e := n.staleErr(); e != 0 {
		return e
	}
	np, ok := newParent.(*keyDir)
	if !ok {
		return syscall.EXDEV
	}
	if flags&renameExchange == 0 && isScratchName(name) {
		return n.renameScratch(ctx, name, np, newName, flags&renameNoReplace != 0)
	}
	if isScratchName(newName) {
		// A member does not become a scratch file: mv copies.
		return syscall.EXDEV
	}
	db, key := n.ident()
	ndb, nkey := np.ident()
	if db != ndb || string(key) != string(nkey) {
		return syscall.EXDEV
	}
	if flags&renameExchange != 0 {
		return syscall.EINVAL
	}
	src, ok1 := decodeName(name)
	dst, ok2 := decodeName(newName)
	if !ok1 {
		return syscall.ENOENT
	}
	if !ok2 {
		return syscall.EINVAL
	}
	var errno syscall.Errno
	e := n.fsys.do(ctx, func(r *runner) {
		var typ int
		var val []byte
		if typ, val, errno = r.existingMember(db, key, src); errno != 0 {
			return
		}
		if string(src) == string(dst) {
			return
		}
		if flags&renameNoReplace != 0 {
			if _, ok, _ := r.member(typ, db, key, dst); ok {
				errno = syscall.EEXIST
				return
			}
		}
		var add, del [][]byte
		switch typ {
		case typeHash:
			add = [][]byte{[]byte("HSET"), key, dst, val}
			del = [][]byte{[]byte("HDEL"), key, src}
		case typeSet:
			add = [][]byte{[]byte("SADD"), key, dst}
			del = [][]byte{[]byte("SREM"), key, src}
		case typeZSet:
			add = [][]byte{[]byte("ZADD"), key, val, dst}
			del = [][]byte{[]byte("ZREM"), key, src}
		default:
			errno = syscall.ENOTDIR
			return
		}
		rep := r.call(add...)
		if errno = replyErrno(&rep, syscall.ENOTDIR); errno != 0 {
			return
		}
		r.call(del...)
	})
	if e != 0 {
		return e
	}
	if errno != 0 {
		return errno
	}
	// go-fuse moves the node to the new name: it stands for dst now.
	if ch := n.GetChild(name); ch != nil {
		if mn, ok := ch.Operations().(*memberNode); ok {
			mn.setName(dst)
		}
	}
	return 0
}

// memberNode is a hash field, set member or sorted set member.
type memberNode struct {
	gofs.Inode
	fsys   *FS
	parent *keyDir

	mu     sync.Mutex
	member []byte // guarded by mu; never modified in place
	// setTime is a modification time set since the last write through
	// the mount, for the next commit to keep (mtime.go).
	setTime atomic.Int64
	// writers are the node's opens for writing (writers.go).
	writers openWriters
}

var (
	_ = (gofs.NodeGetattrer)((*memberNode)(nil))
	_ = (gofs.NodeSetattrer)((*memberNode)(nil))
	_ = (gofs.NodeOpener)((*memberNode)(nil))
)

func (n *memberNode) name() []byte {
	n.mu.Lock()
	defer n.mu.Unlock()
	return n.member
}

func (n *memberNode) setName(m []byte) {
	n.mu.Lock()
	n.member = m
	n.mu.Unlock()
}

// memberInfo is what a fetch of a member returns.
type memberInfo struct {
	typ     int
	content []byte
	mtime   int64
	// dirty: the key changed while the fetch was in flight, so the
	// answer is not to be cached.
	dirty bool
}

// fetch returns the member's type, content and modification time.
func (n *memberNode) fetch(ctx context.Context) (memberInfo, syscall.Errno) {
	var mi memberInfo
	p := n.parent
	if e := p.staleErr(); e != 0 {
		return mi, e
	}
	fsys := n.fsys
	db, key := p.ident()
	m := n.name()
	var exists bool
	var errno syscall.Errno
	mark := fsys.notifier.beginLookup(db, key)
	e := fsys.do(ctx, func(r *runner) {
		var ok bool
		if mi.typ, ok = r.collType(db, key); !ok {
			return
		}
		mi.content, exists, errno = r.member(mi.typ, db, key, m)
		mi.mtime = r.ls.memberMtime(db, key, m, mi.content)
	})
	mi.dirty = fsys.notifier.endLookup(mark)
	if e != 0 {
		return mi, e
	}
	if errno != 0 {
		return mi, errno
	}
	if !exists {
		return mi, syscall.ENOENT
	}
	return mi, 0
}

// Getattr answers from the keyspace, adjusted to what the opens for
// writing see (writers.go); a member gone answers as its writers see it.
func (n *memberNode) Getattr(ctx context.Context, f gofs.FileHandle, out *fuse.AttrOut) syscall.Errno {
	mi, e := n.fetch(ctx)
	if e == syscall.ENOENT {
		size, at, ok := n.writers.gone()
		if h, isOpen := f.(*memberHandle); !ok && isOpen && !h.write {
			// A read open keeps its snapshot.
			h.mu.Lock()
			size, ok = int64(len(h.buf.data)), true
			h.mu.Unlock()
		}
		if ok {
			n.fsys.fillFile(&out.Attr, 0o644, size, max(at, time.Now().UnixNano()))
			out.SetTimeout(0)
			return 0
		}
	}
	if e != 0 {
		return e
	}
	n.fsys.fillFile(&out.Attr, 0o644, int64(len(mi.content)), mi.mtime)
	n.writers.adjust(&out.Attr)
	t := n.fsys.keyTimeout
	if mi.dirty {
		t = time.Nanosecond
	}
	out.SetTimeout(t)
	return 0
}

// Setattr truncates: the private copy of a handle open for writing, or
// else the member itself (read and written back in one job). Mode, owner
// and time changes are accepted and ignored.
func (n *memberNode) Setattr(ctx context.Context, f gofs.FileHandle, in *fuse.SetAttrIn, out *fuse.AttrOut) syscall.Errno {
	size, ok := in.GetSize()
	if !ok {
		if e := n.setMemberTime(ctx, in); e != 0 {
			return e
		}
		return n.Getattr(ctx, f, out)
	}
	if e := n.fsys.sizeErr(int64(size)); e != 0 {
		return e
	}
	if h, ok := f.(*memberHandle); ok && h.write {
		if h.typ == typeSet && size != 0 {
			return syscall.EPERM
		}
		h.mu.Lock()
		h.buf.truncate(int64(size))
		h.at = now()
		h.mu.Unlock()
		return n.Getattr(ctx, f, out)
	}
	found := false
	n.writers.each(func(w writerView) {
		if h, ok := w.(*memberHandle); ok && h.typ != typeSet {
			h.mu.Lock()
			h.buf.truncate(int64(size))
			h.at = now()
			h.mu.Unlock()
			found = true
		}
	})
	if found {
		// truncate(2) of an open file: the opens' copies, which
		// their commits write.
		return n.Getattr(ctx, f, out)
	}
	p := n.parent
	db, key := p.ident()
	m := n.name()
	var errno syscall.Errno
	e := n.fsys.do(ctx, func(r *runner) {
		var typ int
		var v []byte
		if typ, v, errno = r.existingMember(db, key, m); errno != 0 {
			return
		}
		if int64(len(v)) == int64(size) {
			return
		}
		b := editBuf{data: v}
		b.truncate(int64(size))
		errno = r.commitMember(typ, db, key, m, b.data)
	})
	if e != 0 {
		return e
	}
	if errno != 0 {
		return errno
	}
	return n.Getattr(ctx, nil, out)
}

// commitMember stores the content of a field or member: HSET for a hash
// field, ZADD for a sorted set member (the content, spaces and newlines
// around it trimmed, must be a score; empty content changes nothing, for
// a shell's "> file" flushes the open once before anything is written),
// nothing for a set member (whose content must be empty).
func (r *runner) commitMember(typ int, db int, key, m, data []byte) syscall.Errno {
	r.selectDB(db)
	var rep proto.Reply
	switch typ {
	case typeHash:
		rep = r.call([]byte("HSET"), key, m, data)
	case typeZSet:
		score := bytes.TrimSpace(data)
		if len(score) == 0 {
			return 0
		}
		rep = r.call([]byte("ZADD"), key, score, m)
	case typeSet:
		if len(data) != 0 {
			return syscall.EPERM
		}
		return 0
	default:
		return syscall.ENOTDIR
	}
	return replyErrno(&rep, syscall.ENOTDIR)
}

// Open opens a member for reading (a snapshot of its content, taken now)
// or writing (a private copy committed at flush).
func (n *memberNode) Open(ctx context.Context, flags uint32) (gofs.FileHandle, uint32, syscall.Errno) {
	n.fsys.yield()
	mi, e := n.fetch(ctx)
	if e != 0 {
		return nil, 0, e
	}
	h := newMemberHandle(n, mi.typ, flags, mi.content)
	h.user = n.fsys.who(ctx)
	if !h.write {
		return h, fuse.FOPEN_DIRECT_IO | fuse.FOPEN_NOFLUSH, 0
	}
	if flags&syscall.O_TRUNC != 0 {
		h.buf.data = []byte{}
		if mi.typ != typeSet {
			h.buf.truncated()
		}
	}
	return h, fuse.FOPEN_DIRECT_IO, 0
}

// memberHandle is an open field or member. A read open serves a snapshot
// of the content taken at open; a write open works on a private copy
// committed at flush, close or fsync (commitMember).
type memberHandle struct {
	n     *memberNode
	typ   int
	write bool

	mu  sync.Mutex
	buf editBuf // guarded by mu
	// placeholder: the open created a sorted set member (score 0) and no
	// score was committed yet; pendingDir: its key was a pending
	// directory then. Guarded by mu.
	placeholder, pendingDir bool
	// failed is the error of a write refused (limits.go): the open
	// commits nothing. Guarded by mu.
	failed syscall.Errno
	// user is the ACL user of the opener (users.go).
	user string
	at   int64 // guarded by mu: the last write, unix ns
}

var (
	_ = (gofs.FileReader)((*memberHandle)(nil))
	_ = (gofs.FileWriter)((*memberHandle)(nil))
	_ = (gofs.FileFlusher)((*memberHandle)(nil))
	_ = (gofs.FileFsyncer)((*memberHandle)(nil))
	_ = (gofs.FileReleaser)((*memberHandle)(nil))
)

// newMemberHandle returns an open of n; a write open counts among the
// node's writers until its release.
func newMemberHandle(n *memberNode, typ int, flags uint32, data []byte) *memberHandle {
	h := &memberHandle{n: n, typ: typ, write: flags&syscall.O_ACCMODE != syscall.O_RDONLY}
	h.buf.data = data
	h.buf.appendMode = flags&syscall.O_APPEND != 0
	if h.write {
		h.at = now()
		n.writers.add(h)
	}
	return h
}

// view implements writerView.
func (h *memberHandle) view() (size int64, full bool, grow int64, at int64) {
	h.mu.Lock()
	defer h.mu.Unlock()
	return int64(len(h.buf.data)), h.buf.dirty, 0, h.at
}

// viewGone implements writerView.
func (h *memberHandle) viewGone() (size int64, full bool, grow int64, at int64) {
	h.mu.Lock()
	defer h.mu.Unlock()
	return int64(len(h.buf.data)), true, 0, h.at
}

func (h *memberHandle) Read(ctx context.Context, dest []byte, off int64) (fuse.ReadResult, syscall.Errno) {
	h.mu.Lock()
	defer h.mu.Unlock()
	return h.buf.read(dest, off), 0
}

func (h *memberHandle) Write(ctx context.Context, data []byte, off int64) (uint32, syscall.Errno) {
	if !h.write {
		return 0, syscall.EBADF
	}
	if h.typ == typeSet && len(data) > 0 {
		// A set member has no content.
		return 0, syscall.EPERM
	}
	h.mu.Lock()
	defer h.mu.Unlock()
	if h.failed != 0 {
		return 0, h.failed
	}
	end := off + int64(len(data))
	if h.buf.appendMode {
		end = int64(len(h.buf.data) + len(data))
	}
	if e := h.n.fsys.sizeErr(end); e != 0 {
		h.failed = e
		return 0, e
	}
	h.at = now()
	h.buf.write(data, off)
	h.n.setTime.Store(0)
	if h.typ == typeZSet {
		if e := scoreWriteErr(h.buf.data); e != 0 {
			h.failed = e
			return 0, e
		}
	}
	return uint32(len(data)), 0
}

// commit sends what the open wrote: one HSET or ZADD. When the first
// score written to a sorted set member the open created is not a number,
// the member is removed again in the same job (unless its score changed
// meanwhile), and a pending directory it was the first member of comes
// back: the failed create changes nothing.
func (h *memberHandle) commit() syscall.Errno {
	if !h.write {
		return 0
	}
	h.mu.Lock()
	defer h.mu.Unlock()
	if h.failed != 0 && !h.placeholder {
		// A write failed (limits.go): the open changes nothing.
		return h.failed
	}
	if !h.buf.dirty {
		return 0
	}
	db, key := h.n.parent.ident()
	m := h.n.name()
	var errno syscall.Errno
	e := h.n.fsys.doAs(h.user, func(r *runner) {
		if errno = h.failed; errno == 0 {
			errno = r.commitMember(h.typ, db, key, m, h.buf.data)
			if t := h.n.setTime.Swap(0); errno == 0 && t != 0 {
				r.ls.stampMember(db, key, m, h.buf.data, t)
			}
		}
		if errno == 0 || !h.placeholder {
			return
		}
		if rep := r.call([]byte("ZSCORE"), key, m); string(rep.Str) != "0" {
			return
		}
		r.call([]byte("ZREM"), key, m)
		if h.pendingDir && r.call([]byte("EXISTS"), key).Int == 0 {
			r.setPending(db, key, &pendingDir{typ: typeZSet, mtime: r.now()})
		}
	})
	if e != 0 {
		return e
	}
	if len(bytes.TrimSpace(h.buf.data)) > 0 {
		// A score was given, valid or not: the member is no
		// placeholder any more.
		h.placeholder = false
	}
	if errno != 0 {
		// Refused: the open is done (its content shows nowhere).
		h.failed, h.buf.dirty = errno, false
		return errno
	}
	h.buf.dirty = false
	return 0
}

// Flush commits, unless the only change is the open's O_TRUNC
// (deferTrunc).
func (h *memberHandle) Flush(ctx context.Context) syscall.Errno {
	return flushCommit(&h.mu, &h.buf.truncOpen, h.commit)
}

// Release commits what no flush did (a truncation alone); a write open
// stops counting among the node's writers.
func (h *memberHandle) Release(ctx context.Context) syscall.Errno {
	if h.write {
		defer h.n.writers.remove(h)
	}
	return h.commit()
}

func (h *memberHandle) Fsync(ctx context.Context, flags uint32) syscall.Errno { return h.commit() }

// editBuf is the private copy an open for writing works on until its
// commit: writes land at their offset (at the end in append mode), and
// truncation cuts or zero-extends.
type editBuf struct {
	data       []byte
	dirty      bool // changed since the open or the last commit
	appendMode bool
	// truncOpen: the only change is the open's O_TRUNC (deferTrunc).
	truncOpen bool
}

// truncated marks the open's O_TRUNC as the pending change.
func (b *editBuf) truncated() { b.dirty, b.truncOpen = true, true }

func (b *editBuf) write(p []byte, off int64) {
	if b.appendMode {
		off = int64(len(b.data))
	}
	end := off + int64(len(p))
	if end > int64(len(b.data)) {
		if end > int64(cap(b.data)) {
			nd := make([]byte, end, max(end, 2*int64(cap(b.data))))
			copy(nd, b.data)
			b.data = nd
		} else {
			old := int64(len(b.data))
			b.data = b.data[:end]
			clear(b.data[old:max(old, off)])
		}
	}
	copy(b.data[off:], p)
	b.dirty, b.truncOpen = true, false
}

func (b *editBuf) truncate(size int64) {
	if size <= int64(len(b.data)) {
		b.data = b.data[:size]
	} else {
		nd := make([]byte, size)
		copy(nd, b.data)
		b.data = nd
	}
	b.dirty, b.truncOpen = true, false
}

func (b *editBuf) read(dest []byte, off int64) fuse.ReadResult {
	if off >= int64(len(b.data)) {
		return fuse.ReadResultData(nil)
	}
	k := copy(dest, b.data[off:])
	return fuse.ReadResultData(dest[:k])
}

// Setxattr of user.redis.type chooses the type of a pending directory:
// hash, set or zset. On a collection that exists it may only name the
// type it has.
func (n *keyDir) Setxattr(ctx context.Context, attr string, data []byte, flags uint32) syscall.Errno {
	if attr != xattrType {
		return n.keyBase.Setxattr(ctx, attr, data, flags)
	}
	if e := n.staleErr(); e != 0 {
		return e
	}
	var typ int
	switch string(trimAttrValue(data)) {
	case "hash":
		typ = typeHash
	case "set":
		typ = typeSet
	case "zset":
		typ = typeZSet
	default:
		return syscall.EINVAL
	}
	db, key := n.ident()
	var errno syscall.Errno
	e := n.fsys.do(ctx, func(r *runner) {
		t, exists := r.collType(db, key)
		switch {
		case t == typeNone:
			errno = syscall.ENOENT
		case exists && t != typ:
			errno = syscall.EPERM
		case !exists:
			r.pending(db, key, 0).typ = typ
		}
	})
	if e != 0 {
		return e
	}
	return errno
}

// trimAttrValue drops the newlines and NULs a value given by setfattr or
// echo may end with.
func trimAttrValue(v []byte) []byte {
	for len(v) > 0 && (v[len(v)-1] == '\n' || v[len(v)-1] == 0) {
		v = v[:len(v)-1]
	}
	return v
}

// listPending returns the entries of the database's pending directories
// that are listed (not ghosts), for the first batch of a listing, and
// drops the expired ghosts.
func (d *dbDir) listPending(r *runner) []*dirEnt {
	var ents []*dirEnt
	now := r.now()
	for k, p := range d.pend {
		if p.ghost {
			if now > p.until {
				delete(d.pend, k)
			}
			continue
		}
		key := []byte(k)
		name := keyName(key)
		if len(name) > maxNameLen {
			continue
		}
		ents = append(ents, &dirEnt{name: name, key: key, info: keyInfo{typ: p.typ, mtime: p.mtime}})
		r.ls.register(d.db, key)
	}
	return ents
}

// renamePending moves a pending directory within a database (for a RENAME
// whose source key does not exist): handled reports whether there was one.
// It replaces a pending directory (unless noReplace), not a key.
func (r *runner) renamePending(db int, src, dst []byte, noReplace bool) (handled bool, errno syscall.Errno) {
	p := r.pending(db, src, 0)
	if p == nil {
		return false, 0
	}
	if string(src) == string(dst) {
		return true, 0
	}
	r.selectDB(db)
	if parseType(r.call([]byte("TYPE"), dst).Str) != typeNone || noReplace && r.pending(db, dst, 0) != nil {
		return true, syscall.EEXIST
	}
	d := r.ls.fsys.dbs[db]
	delete(d.pend, string(src))
	p.ghost = false
	r.setPending(db, dst, p)
	r.ls.register(db, dst)
	return true, 0
}
