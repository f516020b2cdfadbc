package fs

import (
	"context"
	"sort"
	"syscall"
	"time"

	gofs "github.com/hanwen/go-fuse/v2/fs"
	"github.com/hanwen/go-fuse/v2/fuse"
)

// A collection directory has a scratch area too: names beginning with '.'
// created in it (rsync's ".f1.XXXXXX", an editor's ".f.swp") are scratch
// files, kept in memory per mount as the database directory's are, and a
// scratch file renamed onto a member's name becomes the member's content
// (HSET, ZADD with the content as the score, SADD of an empty file) with
// the scratch file's modification time. The areas live in the database
// directory, by key, so that they outlast the directory's node.

// collArea returns the scratch area of key's directory (nil when it has
// none and create is false). d.mu must be held.
func (d *dbDir) collArea(key []byte, create bool) map[string]*scratchData {
	a := d.collScratch[string(key)]
	if a == nil && create {
		if d.collScratch == nil {
			d.collScratch = map[string]map[string]*scratchData{}
		}
		a = map[string]*scratchData{}
		d.collScratch[string(key)] = a
	}
	return a
}

// scratchOf returns the scratch file name in key's directory, or nil.
func (d *dbDir) scratchOf(key []byte, name string) *scratchData {
	d.mu.Lock()
	defer d.mu.Unlock()
	return d.collArea(key, false)[name]
}

// dropCollScratch forgets one scratch file of key's directory (and the
// area when it is empty); it reports whether there was one.
func (d *dbDir) dropCollScratch(key []byte, name string, sd *scratchData) bool {
	d.mu.Lock()
	defer d.mu.Unlock()
	a := d.collArea(key, false)
	cur := a[name]
	if cur == nil || sd != nil && cur != sd {
		return false
	}
	delete(a, name)
	if len(a) == 0 {
		delete(d.collScratch, string(key))
	}
	return true
}

func (n *keyDir) dbDir() *dbDir {
	db, _ := n.ident()
	return n.fsys.dbs[db]
}

// lookupScratch finds a scratch file of the directory.
func (n *keyDir) lookupScratch(ctx context.Context, name string, out *fuse.EntryOut) (*gofs.Inode, syscall.Errno) {
	_, key := n.ident()
	sd := n.dbDir().scratchOf(key, name)
	if sd == nil {
		return nil, syscall.ENOENT
	}
	sd.fill(n.fsys, &out.Attr)
	n.fsys.setEntryTimeouts(out, false)
	return n.NewInode(ctx, &scratchNode{fsys: n.fsys, data: sd}, gofs.StableAttr{Mode: syscall.S_IFREG}), 0
}

// createScratch creates (or opens, without O_EXCL) a scratch file in the
// directory, which must stand for a collection or a pending directory.
func (n *keyDir) createScratch(ctx context.Context, name string, flags uint32, mode uint32, out *fuse.EntryOut) (*gofs.Inode, gofs.FileHandle, uint32, syscall.Errno) {
	if name == "." || name == ".." {
		return nil, nil, 0, syscall.EEXIST
	}
	db, key := n.ident()
	var typ int
	if e := n.fsys.do(ctx, func(r *runner) { typ, _ = r.collType(db, key) }); e != 0 {
		return nil, nil, 0, e
	}
	if !isDirType(typ) {
		return nil, nil, 0, syscall.ENOENT
	}
	d := n.fsys.dbs[db]
	d.mu.Lock()
	a := d.collArea(key, true)
	sd := a[name]
	if sd != nil && flags&syscall.O_EXCL != 0 {
		d.mu.Unlock()
		return nil, nil, 0, syscall.EEXIST
	}
	if sd == nil {
		sd = &scratchData{mode: mode & 0o7777, mtime: time.Now().UnixNano()}
		a[name] = sd
	}
	d.mu.Unlock()
	node := &scratchNode{fsys: n.fsys, data: sd}
	_, flagsOut, _ := node.Open(ctx, flags)
	sd.fill(n.fsys, &out.Attr)
	n.fsys.setEntryTimeouts(out, false)
	return n.NewInode(ctx, node, gofs.StableAttr{Mode: syscall.S_IFREG}), nil, flagsOut, 0
}

// scratchNames returns the sorted names of the directory's scratch files.
func (n *keyDir) scratchNames() []string {
	_, key := n.ident()
	d := n.dbDir()
	d.mu.Lock()
	a := d.collArea(key, false)
	names := make([]string, 0, len(a))
	for name := range a {
		names = append(names, name)
	}
	d.mu.Unlock()
	sort.Strings(names)
	return names
}

// renameScratch renames a scratch file within the directory (to another
// scratch name), or stores its content in a member (scratchToMember).
func (n *keyDir) renameScratch(ctx context.Context, name string, np *keyDir, newName string, noReplace bool) syscall.Errno {
	db, key := n.ident()
	ndb, nkey := np.ident()
	if db != ndb || string(key) != string(nkey) {
		return syscall.EXDEV
	}
	d := n.fsys.dbs[db]
	if !isScratchName(newName) {
		return n.scratchToMember(ctx, name, newName, noReplace)
	}
	d.mu.Lock()
	defer d.mu.Unlock()
	a := d.collArea(key, false)
	sd := a[name]
	if sd == nil {
		return syscall.ENOENT
	}
	if noReplace && a[newName] != nil {
		return syscall.EEXIST
	}
	delete(a, name)
	a[newName] = sd
	return 0
}

// scratchToMember stores a scratch file's content in a member, as a write
// of the member's file would (HSET, ZADD, SADD), keeps the scratch file's
// modification time as the member's, and drops the scratch file.
func (n *keyDir) scratchToMember(ctx context.Context, name, newName string, noReplace bool) syscall.Errno {
	m, ok := decodeName(newName)
	if !ok {
		return syscall.EINVAL
	}
	db, key := n.ident()
	d := n.fsys.dbs[db]
	sd := d.scratchOf(key, name)
	if sd == nil {
		return syscall.ENOENT
	}
	sd.mu.Lock()
	data := append([]byte{}, sd.data...)
	mtime := sd.mtime
	sd.mu.Unlock()
	var errno syscall.Errno
	e := n.fsys.do(ctx, func(r *runner) {
		typ, _ := r.collType(db, key)
		if !isDirType(typ) {
			errno = syscall.ENOENT
			return
		}
		if noReplace {
			if _, ok, _ := r.member(typ, db, key, m); ok {
				errno = syscall.EEXIST
				return
			}
		}
		errno = r.storeMember(typ, db, key, m, data)
		if errno == 0 {
			r.ls.stampMember(db, key, m, data, mtime)
		}
	})
	if e != 0 {
		return e
	}
	if errno != 0 {
		return errno
	}
	d.dropCollScratch(key, name, sd)
	if ch := n.GetChild(name); ch != nil {
		if sn, ok := ch.Operations().(*scratchNode); ok {
			sn.stale.Store(true)
		}
	}
	return 0
}

// storeMember makes data the content of member m as a whole: HSET; ZADD
// of the content as the score (empty or not a number: EINVAL); SADD of an
// empty content (EPERM otherwise).
func (r *runner) storeMember(typ int, db int, key, m, data []byte) syscall.Errno {
	switch typ {
	case typeZSet:
		if !validScore(data) {
			return syscall.EINVAL
		}
	case typeSet:
		if len(data) != 0 {
			return syscall.EPERM
		}
		r.selectDB(db)
		rep := r.call([]byte("SADD"), key, m)
		return replyErrno(&rep, syscall.ENOTDIR)
	}
	return r.commitMember(typ, db, key, m, data)
}
