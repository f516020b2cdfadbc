package fs

import (
	"strconv"
	"syscall"
)

// An editor saves by writing a temporary file and renaming it over the
// file it edits (sed -i, vim's writebackup, rsync, install …). A file
// system replaces the target; here the target is a key with a type and a
// TTL, and the rename keeps both: the new content is stored into the key
// as a write of its file would store it.
//
//   - onto a list, the content's lines become the list's elements (RPUSH
//     and LTRIM in one job, list.go), TTL kept; empty content deletes it;
//   - onto a string, the content is its value, TTL kept (SET … KEEPTTL
//     for a scratch file; RENAME and the target's expire time for a key);
//   - onto a hash field, set or sorted set member (in the collection's
//     directory), as writing the member's file would (collscratch.go and
//     keyDir.Rename).
//
// A rename whose source is not a string, or whose target does not exist,
// is a plain RENAME.

// storeOver stores a scratch file's content in key dst: see above. With
// noReplace, an existing dst is EEXIST.
func (r *runner) storeOver(db int, dst, data []byte, noReplace bool) syscall.Errno {
	r.selectDB(db)
	typ := parseType(r.call([]byte("TYPE"), dst).Str)
	if noReplace && typ != typeNone {
		return syscall.EEXIST
	}
	switch typ {
	case typeList:
		var at int64
		return r.replaceList(dst, parseListLines(data), &at)
	case typeNone, typeString:
		rep := r.call([]byte("SET"), dst, data, []byte("KEEPTTL"))
		return replyErrno(&rep, syscall.EISDIR)
	case typeStream:
		return syscall.EPERM
	}
	return syscall.EISDIR
}

// renameOver handles the rename of a string key src onto an existing
// list or string dst in one database (see above); handled is false when
// a plain RENAME is to be run instead. list reports that dst stayed a
// list.
func (r *runner) renameOver(db int, src, dst []byte) (handled, list bool, errno syscall.Errno) {
	r.selectDB(db)
	if string(src) == string(dst) || parseType(r.call([]byte("TYPE"), src).Str) != typeString {
		return false, false, 0
	}
	switch parseType(r.call([]byte("TYPE"), dst).Str) {
	case typeList:
		rep := r.call([]byte("GET"), src)
		if errno = replyErrno(&rep, syscall.EPERM); errno != 0 {
			return true, false, errno
		}
		var at int64
		if errno = r.replaceList(dst, parseListLines(append([]byte{}, rep.Str...)), &at); errno != 0 {
			return true, false, errno
		}
		r.call([]byte("UNLINK"), src)
		return true, true, 0
	case typeString:
		at := r.call([]byte("PEXPIRETIME"), dst).Int
		if at <= 0 || r.call([]byte("PEXPIRETIME"), src).Int > 0 {
			return false, false, 0
		}
		rep := r.call([]byte("RENAME"), src, dst)
		if errno = replyErrno(&rep, syscall.EIO); errno == 0 {
			r.call([]byte("PEXPIREAT"), dst, strconv.AppendInt(nil, at, 10))
		}
		return true, false, errno
	}
	return false, false, 0
}
