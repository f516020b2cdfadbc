package fs

import (
	"bytes"
	"context"
	"strconv"
	"sync"
	"syscall"

	gofs "github.com/hanwen/go-fuse/v2/fs"
	"github.com/hanwen/go-fuse/v2/fuse"
)

// A list is a file with one element per line. An element holding a newline
// or a backslash is written with backslash escapes — "\n" for a newline,
// "\\" for a backslash — and nothing else is escaped, so most lists read as
// their plain text. Content written is parsed back with the same escapes;
// a backslash followed by anything else, or ending a line, stands for
// itself. Every line is an element, an empty line an empty element, and a
// last line without its newline an element too.
//
// An open for writing works on a private copy committed at flush, close or
// fsync:
//
//	echo c >> list        O_APPEND: the lines written are pushed with one
//	                      RPUSH
//	printf 'a\nb\n' > l   any other open for writing (starting from the
//	                      current content, or empty with O_TRUNC) replaces
//	                      the list in one job; empty content deletes the key
//
// The replacement pushes the new elements after the old ones and trims the
// old ones off (RPUSH, LTRIM) rather than DEL and RPUSH: the same list
// results, atomically, but a push refused (out of memory) changes nothing,
// and the key keeps its TTL as a string written through the mount does.
//
// Redis has no empty lists, so a list cannot be created empty: create one
// with RPUSH (through ctl: echo 'RPUSH l a b' > MOUNT/ctl), or write its
// lines to a new file and turn that string into a list with
// setfattr -n user.redis.type -v list FILE.

// appendListLine appends an element's line (escaped, with its newline).
func appendListLine(dst, elem []byte) []byte {
	return append(appendEscaped(dst, elem, false), '\n')
}

// appendEscaped appends w with the list files' escapes: "\\" for a
// backslash, "\n" for a newline and, if space (a stream's words), "\s"
// for a space.
func appendEscaped(dst, w []byte, space bool) []byte {
	for _, c := range w {
		switch {
		case c == '\n':
			dst = append(dst, '\\', 'n')
		case c == '\\':
			dst = append(dst, '\\', '\\')
		case c == ' ' && space:
			dst = append(dst, '\\', 's')
		default:
			dst = append(dst, c)
		}
	}
	return dst
}

// parseListLines returns the elements of a list file's content. They alias
// content where no escape had to be undone.
func parseListLines(content []byte) [][]byte {
	var elems [][]byte
	for len(content) > 0 {
		line := content
		if i := bytes.IndexByte(content, '\n'); i >= 0 {
			line, content = content[:i], content[i+1:]
		} else {
			content = nil
		}
		elems = append(elems, unescapeListLine(line))
	}
	return elems
}

func unescapeListLine(line []byte) []byte { return unescape(line, false) }

// unescape undoes appendEscaped. It returns w itself when it holds no
// backslash; a backslash followed by anything else stands for itself.
func unescape(w []byte, space bool) []byte {
	if bytes.IndexByte(w, '\\') < 0 {
		return w
	}
	out := make([]byte, 0, len(w))
	for i := 0; i < len(w); i++ {
		c := w[i]
		if c == '\\' && i+1 < len(w) {
			switch w[i+1] {
			case 'n':
				c = '\n'
				i++
			case '\\':
				i++
			case 's':
				if space {
					c = ' '
					i++
				}
			}
		}
		out = append(out, c)
	}
	return out
}

// renderList returns a list key's file content.
func (r *runner) renderList(key []byte) []byte {
	var data []byte
	r.renderCollection(typeList, key, func(b []byte) { data = append(data, b...) })
	return data
}

// replaceList makes key the list of elems (see above): RPUSH of the new
// elements and LTRIM of the old ones; no elements deletes the key.
// *expireAt carries the TTL across a deletion: the expire time (unix ms)
// of the list deleted is saved there, and given to the list made next.
// (A shell's "> list" flushes the open before anything is written to it,
// when it moves the descriptor: that first commit deletes the list.)
func (r *runner) replaceList(key []byte, elems [][]byte, expireAt *int64) syscall.Errno {
	switch parseType(r.call([]byte("TYPE"), key).Str) {
	case typeNone, typeList:
	default:
		return syscall.EPERM
	}
	if len(elems) == 0 {
		if at := r.call([]byte("PEXPIRETIME"), key).Int; at > 0 {
			*expireAt = at
		}
		r.call([]byte("DEL"), key)
		return 0
	}
	old := r.call([]byte("LLEN"), key).Int
	if e := r.rpush(key, elems); e != 0 {
		return e
	}
	if old > 0 {
		rep := r.call([]byte("LTRIM"), key, strconv.AppendInt(nil, old, 10), []byte("-1"))
		return replyErrno(&rep, syscall.EPERM)
	}
	if *expireAt > 0 {
		r.call([]byte("PEXPIREAT"), key, strconv.AppendInt(nil, *expireAt, 10))
		*expireAt = 0
	}
	return 0
}

// rpush runs one RPUSH key elems….
func (r *runner) rpush(key []byte, elems [][]byte) syscall.Errno {
	args := make([][]byte, 0, 2+len(elems))
	args = append(args, []byte("RPUSH"), key)
	args = append(args, elems...)
	rep := r.call(args...)
	return replyErrno(&rep, syscall.EPERM)
}

// openList opens a list: for reading, a rendering taken at the first read;
// for writing, a listHandle.
func (n *keyFile) openList(ctx context.Context, flags uint32) (gofs.FileHandle, uint32, syscall.Errno) {
	if flags&syscall.O_ACCMODE == syscall.O_RDONLY {
		h, e := newRenderHandle(ctx, n)
		if e != 0 {
			return nil, 0, e
		}
		return h, fuse.FOPEN_DIRECT_IO | fuse.FOPEN_NOFLUSH, 0
	}
	h := &listHandle{n: n, push: flags&syscall.O_APPEND != 0 && flags&syscall.O_TRUNC == 0, user: n.fsys.who(ctx)}
	h.buf.appendMode = flags&syscall.O_APPEND != 0
	load := !h.push && flags&syscall.O_TRUNC == 0
	db, key := n.ident()
	var data []byte
	var errno syscall.Errno
	e := n.fsys.do(ctx, func(r *runner) {
		r.selectDB(db)
		switch parseType(r.call([]byte("TYPE"), key).Str) {
		case typeList:
		case typeNone:
			errno = syscall.ENOENT
			return
		default:
			// No longer a list: the kernel looks the name up again.
			errno = syscall.ESTALE
			return
		}
		if load {
			data = r.renderList(key)
		}
	})
	if e != 0 {
		return nil, 0, e
	}
	if errno != 0 {
		return nil, 0, errno
	}
	h.buf.data = data
	if flags&syscall.O_TRUNC != 0 {
		h.buf.truncated()
	}
	h.at = now()
	n.writers.add(h)
	return h, fuse.FOPEN_DIRECT_IO, 0
}

// listHandle is a list open for writing. In push mode (O_APPEND) the
// private copy holds what was written since the last commit; otherwise
// it holds the whole new content.
type listHandle struct {
	n    *keyFile
	push bool
	user string // the ACL user of the opener (users.go)

	mu       sync.Mutex
	buf      editBuf // guarded by mu
	expireAt int64   // guarded by mu: see replaceList
	at       int64   // guarded by mu: the last write or truncation, unix ns
}

var (
	_ = (gofs.FileReader)((*listHandle)(nil))
	_ = (gofs.FileWriter)((*listHandle)(nil))
	_ = (gofs.FileFlusher)((*listHandle)(nil))
	_ = (gofs.FileFsyncer)((*listHandle)(nil))
	_ = (gofs.FileReleaser)((*listHandle)(nil))
)

// view implements writerView: in push mode the lines written wait to be
// pushed after the list's content.
func (h *listHandle) view() (size int64, full bool, grow int64, at int64) {
	h.mu.Lock()
	defer h.mu.Unlock()
	if h.push {
		return 0, false, int64(len(h.buf.data)), h.at
	}
	return int64(len(h.buf.data)), h.buf.dirty, 0, h.at
}

// viewGone implements writerView.
func (h *listHandle) viewGone() (size int64, full bool, grow int64, at int64) {
	h.mu.Lock()
	defer h.mu.Unlock()
	if h.push {
		return -1, false, int64(len(h.buf.data)), h.at
	}
	return int64(len(h.buf.data)), true, 0, h.at
}

func (h *listHandle) truncate(size int64) {
	h.mu.Lock()
	defer h.mu.Unlock()
	h.at = now()
	h.buf.truncate(size)
}

// Read serves the private copy; in push mode the list as it is, followed
// by the lines not pushed yet.
func (h *listHandle) Read(ctx context.Context, dest []byte, off int64) (fuse.ReadResult, syscall.Errno) {
	h.mu.Lock()
	defer h.mu.Unlock()
	if !h.push {
		return h.buf.read(dest, off), 0
	}
	db, key := h.n.ident()
	var data []byte
	e := h.n.fsys.do(ctx, func(r *runner) {
		r.selectDB(db)
		data = r.renderList(key)
	})
	if e != 0 {
		return nil, e
	}
	b := editBuf{data: append(data, h.buf.data...)}
	return b.read(dest, off), 0
}

func (h *listHandle) Write(ctx context.Context, data []byte, off int64) (uint32, syscall.Errno) {
	h.mu.Lock()
	defer h.mu.Unlock()
	h.at = now()
	h.buf.write(data, off)
	return uint32(len(data)), 0
}

// commit pushes the lines written (push mode) or replaces the list.
func (h *listHandle) commit() syscall.Errno {
	h.mu.Lock()
	defer h.mu.Unlock()
	if !h.buf.dirty {
		return 0
	}
	db, key := h.n.ident()
	elems := parseListLines(h.buf.data)
	var errno syscall.Errno
	e := h.n.fsys.doAs(h.user, func(r *runner) {
		r.selectDB(db)
		if !h.push {
			errno = r.replaceList(key, elems, &h.expireAt)
		} else if len(elems) > 0 {
			errno = r.rpush(key, elems)
		}
	})
	if e != 0 {
		return e
	}
	if errno != 0 {
		return errno
	}
	h.buf.dirty = false
	if h.push {
		h.buf.data = h.buf.data[:0]
	}
	h.n.dropPrefetch()
	return 0
}

// Flush commits, unless the only change is the open's O_TRUNC
// (deferTrunc).
func (h *listHandle) Flush(ctx context.Context) syscall.Errno {
	return flushCommit(&h.mu, &h.buf.truncOpen, h.commit)
}

// Release commits what no flush did (a truncation alone); the open stops
// counting among the node's writers.
func (h *listHandle) Release(ctx context.Context) syscall.Errno {
	defer h.n.writers.remove(h)
	return h.commit()
}

func (h *listHandle) Fsync(ctx context.Context, flags uint32) syscall.Errno { return h.commit() }

// setattrList truncates a list file: the private copy of a handle open for
// writing, or else the list itself (its content cut or zero-extended and
// parsed back, in one job). A list truncated to nothing is deleted.
func (n *keyFile) setattrList(ctx context.Context, f gofs.FileHandle, size uint64, out *fuse.AttrOut) syscall.Errno {
	if h, ok := f.(*listHandle); ok && !h.push {
		h.truncate(int64(size))
		return n.Getattr(ctx, f, out)
	}
	if n.truncateWriters(int64(size)) {
		return n.Getattr(ctx, f, out)
	}
	db, key := n.ident()
	var errno syscall.Errno
	e := n.fsys.do(ctx, func(r *runner) {
		r.selectDB(db)
		if parseType(r.call([]byte("TYPE"), key).Str) != typeList {
			errno = syscall.ENOENT
			return
		}
		b := editBuf{data: r.renderList(key)}
		if int64(len(b.data)) == int64(size) {
			return
		}
		b.truncate(int64(size))
		var expireAt int64
		errno = r.replaceList(key, parseListLines(b.data), &expireAt)
	})
	if e != 0 {
		return e
	}
	if errno != 0 {
		return errno
	}
	if e := n.getattr(ctx, out); e != syscall.ENOENT {
		return e
	}
	// Emptied, the list is gone; the truncate itself succeeded.
	n.fsys.fillFile(&out.Attr, 0o644, 0, 0)
	return 0
}

// setType handles setfattr -n user.redis.type on a key file: naming the
// type the key has changes nothing, and "list" on a string turns it into
// a list of its lines (parsed as a list file's content) in one MULTI/EXEC
// block: DEL, RPUSH and, when it had a TTL, PEXPIREAT to keep it. An
// empty string makes no list (EINVAL); other changes are EPERM.
func (b *keyBase) setType(ctx context.Context, v []byte) syscall.Errno {
	if e := b.staleErr(); e != 0 {
		return e
	}
	db, key := b.ident()
	converted := false
	var errno syscall.Errno
	e := b.fsys.do(ctx, func(r *runner) {
		r.selectDB(db)
		t := parseType(r.call([]byte("TYPE"), key).Str)
		switch {
		case t == typeNone:
			errno = syscall.ENOENT
		case typeName(t) == string(v):
		case t != typeString || string(v) != "list":
			errno = syscall.EPERM
		default:
			rep := r.call([]byte("GET"), key)
			elems := parseListLines(append([]byte{}, rep.Str...))
			if len(elems) == 0 {
				errno = syscall.EINVAL
				return
			}
			at := r.call([]byte("PEXPIRETIME"), key).Int
			cmds := [][][]byte{{[]byte("DEL"), key}, append([][]byte{[]byte("RPUSH"), key}, elems...)}
			if at > 0 {
				cmds = append(cmds, [][]byte{[]byte("PEXPIREAT"), key, strconv.AppendInt(nil, at, 10)})
			}
			errno = r.transaction(syscall.EPERM, cmds...)
			converted = errno == 0
		}
	})
	if e != 0 {
		return e
	}
	if converted {
		// The node stood for a string: the kernel looks the name up
		// again and finds the list.
		b.stale.Store(true)
	}
	return errno
}

// transaction runs commands as one MULTI/EXEC block: a command refused
// when queued (out of memory, say) makes EXEC run none of them.
func (r *runner) transaction(wrongType syscall.Errno, cmds ...[][]byte) syscall.Errno {
	r.call([]byte("MULTI"))
	var errno syscall.Errno
	for _, c := range cmds {
		rep := r.call(c...)
		if e := replyErrno(&rep, wrongType); e != 0 && errno == 0 {
			errno = e
		}
	}
	rep := r.call([]byte("EXEC"))
	if errno != 0 {
		return errno
	}
	if e := replyErrno(&rep, wrongType); e != 0 {
		return e
	}
	for i := range rep.Elems {
		if e := replyErrno(&rep.Elems[i], wrongType); e != 0 {
			return e
		}
	}
	return 0
}
