package fs

import (
	"bytes"
	"math"
	"strconv"
	"sync/atomic"
	"syscall"
	"time"

	"github.com/hanwen/go-fuse/v2/fuse"
)

// What a write can know before its commit, it fails at write(2) (or at
// ftruncate), so that a shell, which ignores close(2)'s result, sees the
// error too, and the open commits nothing afterwards:
//
//   - a value larger than proto-max-bulk-len: EFBIG at the write or
//     truncation that crosses it (the limit as read at most a second
//     before), and the key keeps its old value;
//   - a sorted set member's content that is not a score: EINVAL at the
//     write that ends it with a newline or a space (echo's), or at any
//     write when what came before the newline is already no number;
//   - content written into a set member: EPERM.
//
// What only the commit can tell still fails the close (and fsync): a
// command refused for memory (OOM → ENOSPC), a limit lowered after the
// write, a key that changed type meanwhile, a score written without a
// terminating newline (printf 3x > z/m).

// validScore reports whether a sorted set member's content is a score
// ZADD takes: a number (spaces and newlines around it allowed), not NaN.
func validScore(data []byte) bool {
	s := bytes.TrimSpace(data)
	if len(s) == 0 {
		return false
	}
	if hexFloat(s) {
		// Go's parser wants a 'p' exponent that strtod does not: leave
		// these to ZADD.
		return true
	}
	if bytes.IndexByte(s, '_') >= 0 {
		return false
	}
	f, err := strconv.ParseFloat(string(s), 64)
	if err != nil {
		var ne *strconv.NumError
		// Out of range is ±Inf or 0 for strtod too; Redis takes it.
		if e, ok := err.(*strconv.NumError); ok {
			ne = e
		}
		return ne != nil && ne.Err == strconv.ErrRange
	}
	return !math.IsNaN(f)
}

func hexFloat(s []byte) bool {
	if len(s) > 0 && (s[0] == '+' || s[0] == '-') {
		s = s[1:]
	}
	return len(s) > 1 && s[0] == '0' && (s[1] == 'x' || s[1] == 'X')
}

// scoreWriteErr checks a sorted set member's content after a write:
// content ended (a space or newline after the number) must be a score.
func scoreWriteErr(data []byte) syscall.Errno {
	s := bytes.TrimLeft(data, " \t\r\n\v\f")
	end := bytes.IndexAny(s, " \t\r\n\v\f")
	if end < 0 {
		return 0
	}
	if !validScore(s[:end]) || len(bytes.TrimSpace(s[end:])) > 0 {
		return syscall.EINVAL
	}
	return 0
}

// bulkLimit is proto-max-bulk-len as last read, with when it was read.
type bulkLimit struct {
	max atomic.Int64
	at  atomic.Int64 // unix ns
}

// bulkLimitAge is how long a reading of proto-max-bulk-len is trusted.
const bulkLimitAge = time.Second

// sizeErr returns EFBIG when a value of size bytes is larger than
// proto-max-bulk-len: no SET, HSET or ZADD could store it.
func (fsys *FS) sizeErr(size int64) syscall.Errno {
	if size <= 1<<20 {
		// The smallest limit CONFIG SET allows.
		return 0
	}
	lim := &fsys.bulk
	max := lim.max.Load()
	if max > 0 && size <= max && time.Now().UnixNano()-lim.at.Load() < int64(bulkLimitAge) {
		return 0
	}
	var v int64
	e := fsys.doNowAs("", func(r *runner) {
		rep := r.call([]byte("CONFIG"), []byte("GET"), []byte("proto-max-bulk-len"))
		if len(rep.Elems) == 2 {
			v, _ = strconv.ParseInt(string(rep.Elems[1].Str), 10, 64)
		}
	})
	if e != 0 || v <= 0 {
		return 0
	}
	lim.max.Store(v)
	lim.at.Store(time.Now().UnixNano())
	if size > v {
		return syscall.EFBIG
	}
	return 0
}

// checkWrite refuses a write that makes the value larger than
// proto-max-bulk-len; h.mu is held.
func (h *strHandle) checkWrite(off int64, n int) syscall.Errno {
	if h.failed != 0 {
		return h.failed
	}
	end := off + int64(n)
	if h.appendMode {
		end = int64(len(h.pend) + n)
	}
	if e := h.n.fsys.sizeErr(end); e != 0 {
		h.failed = e
		h.n.commitFailed()
		return e
	}
	return 0
}

// commitFailed records that the kernel may cache pages of a value the
// keyspace refused.
func (n *keyFile) commitFailed() { n.dropCache.Store(true) }

// readOpenFlags are openFlags(false), without FOPEN_KEEP_CACHE once after
// a refused commit, so that the kernel drops what it cached of it.
func (n *keyFile) readOpenFlags() uint32 {
	flags := n.fsys.openFlags(false)
	if n.dropCache.Swap(false) {
		flags &^= fuse.FOPEN_KEEP_CACHE
	}
	return flags
}
