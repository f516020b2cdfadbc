package fs

import (
	"bytes"
	"context"
	"sync"
	"syscall"

	gofs "github.com/hanwen/go-fuse/v2/fs"
	"github.com/hanwen/go-fuse/v2/fuse"
)

// A stream is a file with one entry per line: its ID, then its fields and
// values, separated by single spaces. In a word, a backslash is written
// "\\", a newline "\n" and a space "\s" (the list files' escapes, plus one
// for the separator); a backslash followed by anything else stands for
// itself.
//
// cat reads the whole stream (XRANGE - +). Appending is adding: each line
// written with O_APPEND (echo 'f v' >> MOUNT/0/s) is one XADD s * f v,
// run as soon as the line is complete (a last line without its newline at
// flush). Lines of one write(2) go in one job; if any of them has an odd
// number of words (or none), the write fails with EINVAL and adds nothing.
// Truncating to 0 (> s, truncate -s 0) is XTRIM s MAXLEN 0; any other
// size, or writing without O_APPEND or O_TRUNC, is EPERM: entries are not
// edited.

// appendStreamLine appends the line of one entry: elems are the ID and
// then field, value, field, value ….
func appendStreamLine(dst []byte, id []byte, fields [][]byte) []byte {
	dst = appendEscaped(dst, id, true)
	for _, f := range fields {
		dst = appendEscaped(append(dst, ' '), f, true)
	}
	return append(dst, '\n')
}

// parseStreamLine splits a written line into its field and value words;
// ok is false for an odd number of words or none.
func parseStreamLine(line []byte) (words [][]byte, ok bool) {
	for _, w := range bytes.Split(line, []byte{' '}) {
		words = append(words, unescape(w, true))
	}
	return words, len(line) > 0 && len(words)%2 == 0
}

// openStreamFile opens a stream: for reading, a rendering taken at the
// first read; for appending, a streamHandle. O_TRUNC trims it to nothing.
func (n *keyFile) openStreamFile(ctx context.Context, flags uint32) (gofs.FileHandle, uint32, syscall.Errno) {
	if flags&syscall.O_ACCMODE == syscall.O_RDONLY {
		return &renderHandle{n: n}, fuse.FOPEN_DIRECT_IO | fuse.FOPEN_NOFLUSH, 0
	}
	if flags&syscall.O_TRUNC != 0 {
		if e := n.trimStream(ctx); e != 0 {
			return nil, 0, e
		}
	}
	// Without O_APPEND or O_TRUNC an open may only truncate (truncate(1)
	// opens, then ftruncates): its writes are refused.
	canWrite := flags&(syscall.O_APPEND|syscall.O_TRUNC) != 0
	return &streamHandle{n: n, canWrite: canWrite, user: n.fsys.who(ctx)}, fuse.FOPEN_DIRECT_IO, 0
}

// trimStream empties the stream (XTRIM MAXLEN 0).
func (n *keyFile) trimStream(ctx context.Context) syscall.Errno {
	db, key := n.ident()
	var errno syscall.Errno
	e := n.fsys.do(ctx, func(r *runner) {
		r.selectDB(db)
		rep := r.call([]byte("XTRIM"), key, []byte("MAXLEN"), []byte("0"))
		errno = replyErrno(&rep, syscall.ESTALE)
	})
	if e != 0 {
		return e
	}
	return errno
}

// setattrStream truncates a stream file: to 0 only.
func (n *keyFile) setattrStream(ctx context.Context, size uint64, out *fuse.AttrOut) syscall.Errno {
	if size != 0 {
		return syscall.EPERM
	}
	if e := n.trimStream(ctx); e != 0 {
		return e
	}
	return n.getattr(ctx, out)
}

// streamHandle is a stream open for appending: the tail of a line not yet
// ended waits in partial.
type streamHandle struct {
	n        *keyFile
	canWrite bool
	user     string // the ACL user of the opener (users.go)
	mu       sync.Mutex
	partial  []byte // guarded by mu
}

var (
	_ = (gofs.FileReader)((*streamHandle)(nil))
	_ = (gofs.FileWriter)((*streamHandle)(nil))
	_ = (gofs.FileFlusher)((*streamHandle)(nil))
	_ = (gofs.FileReleaser)((*streamHandle)(nil))
	_ = (gofs.FileFsyncer)((*streamHandle)(nil))
)

// Read serves the stream as it is (an O_RDWR|O_APPEND open).
func (h *streamHandle) Read(ctx context.Context, dest []byte, off int64) (fuse.ReadResult, syscall.Errno) {
	rh := renderHandle{n: h.n}
	return rh.Read(ctx, dest, off)
}

// Write adds the complete lines written, one XADD each, in one job.
func (h *streamHandle) Write(ctx context.Context, data []byte, off int64) (uint32, syscall.Errno) {
	if !h.canWrite {
		return 0, syscall.EPERM
	}
	h.mu.Lock()
	defer h.mu.Unlock()
	buf := append(h.partial, data...)
	end := bytes.LastIndexByte(buf, '\n')
	if end < 0 {
		h.partial = buf
		return uint32(len(data)), 0
	}
	if e := h.add(buf[:end]); e != 0 {
		// Nothing of this write is kept.
		h.partial = buf[:len(buf)-len(data)]
		return 0, e
	}
	h.partial = append([]byte(nil), buf[end+1:]...)
	return uint32(len(data)), 0
}

// add runs XADD key * words… for each line of text.
func (h *streamHandle) add(text []byte) syscall.Errno {
	var entries [][][]byte
	for _, line := range bytes.Split(text, []byte{'\n'}) {
		words, ok := parseStreamLine(line)
		if !ok {
			return syscall.EINVAL
		}
		entries = append(entries, words)
	}
	db, key := h.n.ident()
	var errno syscall.Errno
	e := h.n.fsys.doAs(h.user, func(r *runner) {
		r.selectDB(db)
		for _, words := range entries {
			args := append([][]byte{[]byte("XADD"), key, []byte("*")}, words...)
			rep := r.call(args...)
			if errno = replyErrno(&rep, syscall.ESTALE); errno != 0 {
				return
			}
		}
	})
	if e != 0 {
		return e
	}
	return errno
}

// commit adds the last line if it was not ended.
func (h *streamHandle) commit() syscall.Errno {
	h.mu.Lock()
	defer h.mu.Unlock()
	if len(h.partial) == 0 {
		return 0
	}
	line := h.partial
	h.partial = nil
	return h.add(line)
}

func (h *streamHandle) Flush(ctx context.Context) syscall.Errno { return h.commit() }

func (h *streamHandle) Release(ctx context.Context) syscall.Errno { return h.commit() }

func (h *streamHandle) Fsync(ctx context.Context, flags uint32) syscall.Errno { return h.commit() }
