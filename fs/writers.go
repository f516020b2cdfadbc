package fs

import (
	"sync"
	"time"

	"github.com/hanwen/go-fuse/v2/fuse"
)

// An open for writing works on a private copy that reaches the keyspace
// only at its commit (flush, fsync, close). Until then the keyspace holds
// the old value, and an attribute answered from it would be wrong for the
// open file: the kernel applies the size of every attribute answer to the
// inode — a LOOKUP's, a READDIRPLUS entry's, a GETATTR's with or without a
// file handle — and the open writer's next lseek(SEEK_END) or O_APPEND
// write then lands at the old end, overwriting what it wrote. So every
// attribute answer for a file with opens for writing reports what those
// opens see: openWriters keeps them per node, and adjust applies them.

// writerView is an open for writing as attribute answers see it.
type writerView interface {
	// view reports the open's uncommitted state: full is set when it
	// holds the whole new content (size bytes); otherwise grow bytes
	// appended wait to be committed (O_APPEND opens). at is the time of
	// its last write or truncation (unix ns), 0 if none.
	view() (size int64, full bool, grow int64, at int64)
	// viewGone is view for when the key is gone: size is the whole
	// private copy (-1 for an O_APPEND open, which has none).
	viewGone() (size int64, full bool, grow int64, at int64)
}

// openWriters is the set of a node's opens for writing.
type openWriters struct {
	mu sync.Mutex
	hs map[writerView]struct{}
}

func (w *openWriters) add(h writerView) {
	w.mu.Lock()
	if w.hs == nil {
		w.hs = map[writerView]struct{}{}
	}
	w.hs[h] = struct{}{}
	w.mu.Unlock()
}

func (w *openWriters) remove(h writerView) {
	w.mu.Lock()
	delete(w.hs, h)
	w.mu.Unlock()
}

// each calls f for every open for writing.
func (w *openWriters) each(f func(writerView)) {
	w.mu.Lock()
	hs := make([]writerView, 0, len(w.hs))
	for h := range w.hs {
		hs = append(hs, h)
	}
	w.mu.Unlock()
	for _, h := range hs {
		f(h)
	}
}

// pending reports what the opens for writing make of a file whose stored
// size is stored: the size they see and their last change (unix ns), and
// whether any has something uncommitted. When several hold a whole new
// content, the one written last wins, as it will at commit.
func (w *openWriters) pending(stored int64) (size, at int64, ok bool) {
	w.mu.Lock()
	defer w.mu.Unlock()
	if len(w.hs) == 0 {
		return 0, 0, false
	}
	size = stored
	var grow int64
	fullAt := int64(-1)
	for h := range w.hs {
		s, full, g, t := h.view()
		if full && t > fullAt {
			size, fullAt, ok = s, t, true
		}
		if g > 0 {
			grow += g
			ok = true
		}
		at = max(at, t)
	}
	return size + grow, at, ok
}

// gone reports what the opens for writing see of a file whose key is
// gone: the content of the one written last (committed or not: the close
// of one with changes recreates the key) and what the others appended.
func (w *openWriters) gone() (size, at int64, ok bool) {
	w.mu.Lock()
	defer w.mu.Unlock()
	fullAt := int64(-1)
	for h := range w.hs {
		s, _, g, t := h.viewGone()
		if s >= 0 && t > fullAt {
			size, fullAt = s, t
		}
		size += g
		at = max(at, t)
		ok = true
	}
	return size, at, ok
}

// adjust makes an attribute answered from the keyspace say what the opens
// for writing see. It reports whether it changed anything.
func (w *openWriters) adjust(a *fuse.Attr) bool {
	size, at, ok := w.pending(int64(a.Size))
	if !ok {
		return false
	}
	a.Size = uint64(size)
	a.Blocks = (uint64(size) + 511) / 512
	if at > 0 && uint64(at) > a.Mtime*1e9+uint64(a.Mtimensec) {
		setTimes(a, at)
	}
	return true
}

// now is the time of a write, for writerView.
func now() int64 { return time.Now().UnixNano() }
