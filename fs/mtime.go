package fs

import (
	"context"
	"hash/fnv"
	"syscall"
	"time"

	gofs "github.com/hanwen/go-fuse/v2/fs"
	"github.com/hanwen/go-fuse/v2/fuse"
)

// Modification times are settable (touch -d, utimensat, rsync -a, cp -a)
// and kept while the server runs, in memory, per mount:
//
//   - A key's time (strings, lists, streams, collections) is the loop
//     side's record of it (loopSide.keys); setting it replaces the time
//     of the last change, and the next change to the key replaces it in
//     turn.
//   - A member (hash field, set or sorted set member) reports its key's
//     time, unless a time was set for it (utimensat, or a scratch file
//     renamed onto it): that time is kept as long as the member's content
//     is the content it had then (a hash of it is kept with the time), so
//     any change to the member through any client gives it back its key's
//     time of last change.
//
// A scratch file renamed onto a key or a member gives it its own time, as
// a rename keeps a file's time; an rsync of an unchanged tree therefore
// finds every file up to date. Mode and owner are not kept: every key is
// 0644 and owned by the mounting user, and chmod and chown are accepted
// and change nothing.

// memberStamp is a time set for a member, valid while its content hashes
// to sum.
type memberStamp struct {
	t   int64
	sum uint64
}

// memberStampCap bounds the members with a time of their own; past it
// they are all forgotten.
const memberStampCap = 1 << 16

func contentSum(b []byte) uint64 {
	h := fnv.New64a()
	h.Write(b)
	return h.Sum64()
}

// stampMember sets the modification time of member m of key.
func (ls *loopSide) stampMember(db int, key, m, content []byte, t int64) {
	if ls.members == nil || ls.nmembers >= memberStampCap {
		ls.members, ls.nmembers = map[dbKey]map[string]memberStamp{}, 0
	}
	k := dbKey{db, string(key)}
	mm := ls.members[k]
	if mm == nil {
		mm = map[string]memberStamp{}
		ls.members[k] = mm
	}
	if _, ok := mm[string(m)]; !ok {
		ls.nmembers++
	}
	mm[string(m)] = memberStamp{t: t, sum: contentSum(content)}
}

// memberMtime returns the modification time of member m of key, whose
// content is content.
func (ls *loopSide) memberMtime(db int, key, m, content []byte) int64 {
	if s, ok := ls.members[dbKey{db, string(key)}][string(m)]; ok && s.sum == contentSum(content) {
		return s.t
	}
	return ls.mtime(db, key)
}

// forgetMembers drops the member times of a key that is gone (db -1: all
// keys; key nil: all keys of db).
func (ls *loopSide) forgetMembers(db int, key []byte) {
	for k, mm := range ls.members {
		if db == -1 || k.db == db && (key == nil || k.key == string(key)) {
			ls.nmembers -= len(mm)
			delete(ls.members, k)
		}
	}
}

// setMtime sets the modification time of key.
func (ls *loopSide) setMtime(db int, key []byte, t int64) {
	m := ls.keys[db]
	r := m[string(key)]
	if r == nil {
		r = &keyRef{}
		m[string(key)] = r
	}
	r.mtime = t
}

// requestedMtime returns the modification time a SETATTR asks for, if any
// ("now" when it asks for the current time).
func requestedMtime(in *fuse.SetAttrIn) (int64, bool) {
	if in.Valid&fuse.FATTR_MTIME_NOW != 0 {
		return time.Now().UnixNano(), true
	}
	if mt, ok := in.GetMTime(); ok {
		return mt.UnixNano(), true
	}
	return 0, false
}

// setKeyTime applies the modification time a SETATTR asks for to a key
// (or a pending directory); ENOENT when neither exists.
func (b *keyBase) setKeyTime(ctx context.Context, in *fuse.SetAttrIn) syscall.Errno {
	t, ok := requestedMtime(in)
	if !ok {
		return 0
	}
	if e := b.staleErr(); e != 0 {
		return e
	}
	db, key := b.ident()
	var errno syscall.Errno
	e := b.fsys.do(ctx, func(r *runner) {
		r.selectDB(db)
		if parseType(r.call([]byte("TYPE"), key).Str) != typeNone {
			r.ls.setMtime(db, key, t)
			return
		}
		if p := r.pending(db, key, 0); p != nil {
			p.mtime = t
			return
		}
		errno = syscall.ENOENT
	})
	if e != 0 {
		return e
	}
	return errno
}

// setMemberTime applies the modification time a SETATTR asks for to a
// member.
func (n *memberNode) setMemberTime(ctx context.Context, in *fuse.SetAttrIn) syscall.Errno {
	t, ok := requestedMtime(in)
	if !ok {
		return 0
	}
	p := n.parent
	if e := p.staleErr(); e != 0 {
		return e
	}
	db, key := p.ident()
	m := n.name()
	n.setTime.Store(t)
	var errno syscall.Errno
	e := n.fsys.do(ctx, func(r *runner) {
		var content []byte
		if _, content, errno = r.existingMember(db, key, m); errno == 0 {
			r.ls.stampMember(db, key, m, content, t)
		}
	})
	if e != 0 {
		return e
	}
	return errno
}

// Setattr truncates (setattrSize: refused past proto-max-bulk-len with
// EFBIG) and sets the modification time (see above); mode and owner
// changes are accepted and change nothing.
func (n *keyFile) Setattr(ctx context.Context, f gofs.FileHandle, in *fuse.SetAttrIn, out *fuse.AttrOut) syscall.Errno {
	if size, ok := in.GetSize(); ok {
		if e := n.fsys.sizeErr(int64(size)); e != 0 {
			return e
		}
	}
	if e := n.setattrSize(ctx, f, in, out); e != 0 {
		return e
	}
	t, ok := requestedMtime(in)
	if !ok {
		return 0
	}
	// Kept by the commit of an open for writing too (cp -a sets the
	// time before it closes).
	n.setTime.Store(t)
	if e := n.setKeyTime(ctx, in); e != 0 {
		return e
	}
	return n.Getattr(ctx, f, out)
}
