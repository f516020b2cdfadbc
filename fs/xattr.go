package fs

import (
	"context"
	"strconv"
	"syscall"

	gofs "github.com/hanwen/go-fuse/v2/fs"

	"github.com/redisfs/redisfs/core/proto"
)

// A key's metadata shows as extended attributes:
//
//	user.redis.type      TYPE; settable on a pending (empty) collection
//	                     directory to choose hash, set or zset, and on a
//	                     string to turn it into a list (list.go)
//	user.redis.encoding  OBJECT ENCODING (read-only)
//	user.redis.ttl       TTL in seconds, present only while the key has
//	                     one; setting it is EXPIRE, removing it PERSIST
//
// A pending directory (coll.go) has only user.redis.type.
const (
	xattrType     = "user.redis.type"
	xattrEncoding = "user.redis.encoding"
	xattrTTL      = "user.redis.ttl"
)

// ENODATA is what getxattr returns for an attribute a file does not have.
const errNoAttr = syscall.ENODATA

// xattrValue fetches one attribute of a key.
func (b *keyBase) xattrValue(ctx context.Context, attr string) ([]byte, syscall.Errno) {
	var cmd string
	switch attr {
	case xattrType:
		cmd = "TYPE"
	case xattrEncoding:
		cmd = "OBJECT"
	case xattrTTL:
		cmd = "TTL"
	default:
		return nil, errNoAttr
	}
	if e := b.staleErr(); e != 0 {
		return nil, e
	}
	db, key := b.ident()
	var val []byte
	var errno syscall.Errno
	e := b.fsys.do(ctx, func(r *runner) {
		r.selectDB(db)
		var rep proto.Reply
		if cmd == "OBJECT" {
			rep = r.call([]byte("OBJECT"), []byte("ENCODING"), key)
		} else {
			rep = r.call([]byte(cmd), key)
		}
		if errno = replyErrno(&rep, syscall.EIO); errno != 0 {
			return
		}
		missing := rep.Null || cmd == "TTL" && rep.Int == -2 || cmd == "TYPE" && string(rep.Str) == "none"
		if p := r.pending(db, key, 0); missing && p != nil {
			if cmd == "TYPE" {
				val = []byte(typeName(p.typ))
			} else {
				errno = errNoAttr
			}
			return
		}
		switch {
		case rep.Null:
			errno = syscall.ENOENT
		case cmd == "TTL" && rep.Int == -2:
			errno = syscall.ENOENT
		case cmd == "TTL" && rep.Int == -1:
			errno = errNoAttr
		case cmd == "TTL":
			val = strconv.AppendInt(nil, rep.Int, 10)
		case cmd == "TYPE" && string(rep.Str) == "none":
			errno = syscall.ENOENT
		default:
			val = append([]byte{}, rep.Str...)
		}
	})
	if e != 0 {
		return nil, e
	}
	return val, errno
}

func (b *keyBase) Getxattr(ctx context.Context, attr string, dest []byte) (uint32, syscall.Errno) {
	val, e := b.xattrValue(ctx, attr)
	if e != 0 {
		return 0, e
	}
	if len(dest) < len(val) {
		return uint32(len(val)), syscall.ERANGE
	}
	return uint32(copy(dest, val)), 0
}

func (b *keyBase) Listxattr(ctx context.Context, dest []byte) (uint32, syscall.Errno) {
	if e := b.staleErr(); e != 0 {
		return 0, e
	}
	db, key := b.ident()
	var ttl int64
	pending := false
	e := b.fsys.do(ctx, func(r *runner) {
		r.selectDB(db)
		rep := r.call([]byte("TTL"), key)
		ttl = rep.Int
		if rep.Type != ':' {
			ttl = -1
		}
		pending = ttl == -2 && r.pending(db, key, 0) != nil
	})
	if e != 0 {
		return 0, e
	}
	list := xattrType + "\x00" + xattrEncoding + "\x00"
	if pending {
		list = xattrType + "\x00"
	}
	if ttl >= 0 {
		list += xattrTTL + "\x00"
	}
	if len(dest) < len(list) {
		return uint32(len(list)), syscall.ERANGE
	}
	return uint32(copy(dest, list)), 0
}

// Setxattr of user.redis.ttl runs EXPIRE key seconds; user.redis.type
// may only name the type the key has, or turn a string into a list
// (setType).
func (b *keyBase) Setxattr(ctx context.Context, attr string, data []byte, flags uint32) syscall.Errno {
	switch attr {
	case xattrTTL:
	case xattrType:
		return b.setType(ctx, trimAttrValue(data))
	case xattrEncoding:
		return syscall.EPERM
	default:
		return syscall.ENOTSUP
	}
	secs := trimAttrValue(data)
	if _, ok := proto.ParseInt(secs); !ok {
		return syscall.EINVAL
	}
	if e := b.staleErr(); e != 0 {
		return e
	}
	db, key := b.ident()
	var errno syscall.Errno
	e := b.fsys.do(ctx, func(r *runner) {
		r.selectDB(db)
		rep := r.call([]byte("EXPIRE"), key, secs)
		if errno = replyErrno(&rep, syscall.EIO); errno == 0 && rep.Int == 0 {
			errno = syscall.ENOENT
		}
	})
	if e != 0 {
		return e
	}
	return errno
}

// Removexattr of user.redis.ttl runs PERSIST key.
func (b *keyBase) Removexattr(ctx context.Context, attr string) syscall.Errno {
	switch attr {
	case xattrTTL:
	case xattrType, xattrEncoding:
		return syscall.EPERM
	default:
		return errNoAttr
	}
	if e := b.staleErr(); e != 0 {
		return e
	}
	db, key := b.ident()
	var errno syscall.Errno
	e := b.fsys.do(ctx, func(r *runner) {
		r.selectDB(db)
		rep := r.call([]byte("PERSIST"), key)
		if errno = replyErrno(&rep, syscall.EIO); errno == 0 && rep.Int == 0 {
			errno = errNoAttr
		}
	})
	if e != 0 {
		return e
	}
	return errno
}

// Members, scratch files and database directories have no extended
// attributes: getting or removing one is ENODATA, setting one ENOTSUP
// (as on a file system without them, so cp -a, mv and rsync -X go on
// without them instead of failing).
var (
	_ = (gofs.NodeGetxattrer)((*memberNode)(nil))
	_ = (gofs.NodeSetxattrer)((*memberNode)(nil))
	_ = (gofs.NodeListxattrer)((*memberNode)(nil))
	_ = (gofs.NodeRemovexattrer)((*memberNode)(nil))
	_ = (gofs.NodeGetxattrer)((*scratchNode)(nil))
	_ = (gofs.NodeSetxattrer)((*scratchNode)(nil))
	_ = (gofs.NodeListxattrer)((*scratchNode)(nil))
	_ = (gofs.NodeRemovexattrer)((*scratchNode)(nil))
	_ = (gofs.NodeSetxattrer)((*dbDir)(nil))
)

func (n *memberNode) Getxattr(ctx context.Context, attr string, dest []byte) (uint32, syscall.Errno) {
	return 0, errNoAttr
}
func (n *memberNode) Setxattr(ctx context.Context, attr string, data []byte, flags uint32) syscall.Errno {
	return syscall.ENOTSUP
}
func (n *memberNode) Listxattr(ctx context.Context, dest []byte) (uint32, syscall.Errno) {
	return 0, 0
}
func (n *memberNode) Removexattr(ctx context.Context, attr string) syscall.Errno { return errNoAttr }

func (n *scratchNode) Getxattr(ctx context.Context, attr string, dest []byte) (uint32, syscall.Errno) {
	return 0, errNoAttr
}
func (n *scratchNode) Setxattr(ctx context.Context, attr string, data []byte, flags uint32) syscall.Errno {
	return syscall.ENOTSUP
}
func (n *scratchNode) Listxattr(ctx context.Context, dest []byte) (uint32, syscall.Errno) {
	return 0, 0
}
func (n *scratchNode) Removexattr(ctx context.Context, attr string) syscall.Errno { return errNoAttr }

func (d *dbDir) Setxattr(ctx context.Context, attr string, data []byte, flags uint32) syscall.Errno {
	return syscall.ENOTSUP
}
