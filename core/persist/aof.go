package persist

import (
	"errors"
	"os"
	"path/filepath"
	"strconv"
	"sync"
	"sync/atomic"
	"syscall"
	"time"

	"github.com/redisfs/redisfs/core/cmds"
)

// The append-only file, as Redis 7.0 lays it out (aof.c): a directory
// (appenddirname, inside dir) holding a base file, incremental files and the
// manifest that lists them (manifest.go).
//
// Propagated commands (cmds' propagation feed) are appended as RESP to an
// in-memory buffer, with a SELECT whenever the database changes. The buffer
// is written to the current incremental file in beforeSleep, before any
// reply is sent, and synced per appendfsync:
//
//   - always: synced right after the write, still before the replies, so a
//     reply never acknowledges a write that is not on disk (the file server
//     waits for WhenDurable before it completes an operation);
//   - everysec: a goroutine syncs the file once a second;
//   - no: the kernel decides.
//
// A failed write leaves the buffer in place (a partial write is truncated
// away) and refuses writes with MISCONF until a later write succeeds; with
// appendfsync always Redis exits instead, and so does this server.

type fsyncPolicy int

const (
	fsyncNo fsyncPolicy = iota
	fsyncEverysec
	fsyncAlways
)

func policyOf(s string) fsyncPolicy {
	switch s {
	case "always":
		return fsyncAlways
	case "no":
		return fsyncNo
	}
	return fsyncEverysec
}

// aofState is the AOF side of the persister.
type aofState struct {
	on       bool // appendonly yes
	dir      string
	manifest *manifest
	f        *os.File // current incremental file
	fname    string
	policy   fsyncPolicy

	buf        []byte
	selectedDB int

	// Sizes, for INFO and automatic rewrites.
	incrSize    int64 // bytes written to the current incremental file
	currentSize int64 // base + every incremental file
	baseSize    int64 // size after the last rewrite or load

	lastWriteErr error
	lastErrLog   time.Time

	// durable callbacks wait for the next sync (appendfsync always).
	durable []func()

	// The everysec syncer.
	syncer *syncer

	// waitRewrite is set from turning the AOF on at run time until the
	// first rewrite completes (AOF_WAIT_REWRITE): writes go to a
	// temporary incremental file that the manifest does not list yet.
	waitRewrite bool

	// Rewrite.
	rewrite          *snapshot
	rewriteScheduled bool
	rewriteStart     time.Time
	lastRewriteSec   int64
	rewriteOK        bool
	rewrites         int64
	rewriteFailures  int64
	rewriteBase      *aofInfo // the base the rewrite produces
}

// syncer syncs the current incremental file once a second
// (appendfsync everysec), on a goroutine of its own.
type syncer struct {
	mu      sync.Mutex
	f       *os.File
	written atomic.Int64 // bytes written, as counted by the loop
	synced  int64        // bytes synced; guarded by mu
	gen     int          // bumped when the file changes; guarded by mu
	errno   atomic.Value // last fsync error, or nil
	stop    chan struct{}
	done    chan struct{}
}

func newSyncer() *syncer {
	s := &syncer{stop: make(chan struct{}), done: make(chan struct{})}
	go s.run()
	return s
}

func (s *syncer) setFile(f *os.File) {
	s.mu.Lock()
	s.f = f
	s.synced = 0
	s.gen++
	s.written.Store(0)
	s.mu.Unlock()
}

func (s *syncer) run() {
	defer close(s.done)
	t := time.NewTicker(time.Second)
	defer t.Stop()
	for {
		select {
		case <-s.stop:
			return
		case <-t.C:
		}
		s.mu.Lock()
		f, w, synced, gen := s.f, s.written.Load(), s.synced, s.gen
		s.mu.Unlock()
		if f == nil || w == synced {
			continue
		}
		if err := fdatasync(f); err != nil {
			if !errors.Is(err, os.ErrClosed) {
				s.errno.Store(errBox{err})
			}
			continue
		}
		s.errno.Store(errBox{})
		s.mu.Lock()
		if s.gen == gen {
			s.synced = w
		}
		s.mu.Unlock()
	}
}

func (s *syncer) close() {
	close(s.stop)
	<-s.done
}

// fsyncErr returns the last background fsync error.
func (s *syncer) fsyncErr() error {
	if s == nil {
		return nil
	}
	if v, ok := s.errno.Load().(errBox); ok {
		return v.err
	}
	return nil
}

type errBox struct{ err error }

func fdatasync(f *os.File) error {
	conn, err := f.SyscallConn()
	if err != nil {
		return err
	}
	var serr error
	if err := conn.Control(func(fd uintptr) {
		for {
			serr = syscall.Fdatasync(int(fd))
			if serr != syscall.EINTR {
				break
			}
		}
	}); err != nil {
		return err
	}
	if serr != nil {
		return &os.PathError{Op: "fdatasync", Path: f.Name(), Err: serr}
	}
	return nil
}

// aofDir returns the AOF directory.
func (p *Persister) aofDir() string {
	return filepath.Join(p.dir, p.srv.Config.AppendDirname)
}

func (p *Persister) manifestName() string { return p.srv.Config.AppendFilename + ".manifest" }

func (p *Persister) baseName(seq int64, rdbPreamble bool) string {
	ext := ".aof"
	if rdbPreamble {
		ext = ".rdb"
	}
	return p.srv.Config.AppendFilename + "." + strconv.FormatInt(seq, 10) + ".base" + ext
}

func (p *Persister) incrName(seq int64) string {
	return p.srv.Config.AppendFilename + "." + strconv.FormatInt(seq, 10) + ".incr.aof"
}

// feed is the propagation feed: cmd goes to the AOF buffer, after a
// SELECT when the database changes.
func (p *Persister) feed(dbid int, cmd []byte) {
	a := &p.aof
	if !a.on {
		return
	}
	if dbid >= 0 && dbid != a.selectedDB {
		a.buf = appendSelectCommand(a.buf, dbid)
		a.selectedDB = dbid
	}
	a.buf = append(a.buf, cmd...)
}

// appendSelectCommand appends SELECT id as RESP.
func appendSelectCommand(b []byte, id int) []byte {
	s := strconv.Itoa(id)
	b = append(b, "*2\r\n$6\r\nSELECT\r\n$"...)
	b = strconv.AppendInt(b, int64(len(s)), 10)
	b = append(b, "\r\n"...)
	b = append(b, s...)
	return append(b, "\r\n"...)
}

// openIncr opens the incremental file name for appending, creating it (or
// emptying it, with trunc).
func (p *Persister) openIncr(name string, trunc bool) (*os.File, int64, error) {
	path := filepath.Join(p.aof.dir, name)
	flags := os.O_WRONLY | os.O_CREATE | os.O_APPEND
	if trunc {
		flags |= os.O_TRUNC
	}
	f, err := os.OpenFile(path, flags, 0o644)
	if err != nil {
		return nil, 0, err
	}
	st, err := f.Stat()
	if err != nil {
		f.Close()
		return nil, 0, err
	}
	return f, st.Size(), nil
}

// setIncr makes f the file commands are appended to.
func (p *Persister) setIncr(f *os.File, name string, size int64) {
	a := &p.aof
	a.f, a.fname, a.incrSize = f, name, size
	if a.syncer != nil {
		a.syncer.setFile(f)
	}
}

// flushAOF writes the buffer to the incremental file (flushAppendOnlyFile)
// and syncs it when the policy is always (or force is set).
func (p *Persister) flushAOF(force bool) {
	a := &p.aof
	if !a.on || a.f == nil {
		p.runDurable()
		return
	}
	if len(a.buf) > 0 {
		n, err := a.f.Write(a.buf)
		if err != nil || n != len(a.buf) {
			if err == nil {
				err = syscall.EIO
			}
			if n > 0 {
				// Remove the partial command, so the file stays
				// loadable; keep the buffer to retry.
				if terr := a.f.Truncate(a.incrSize); terr != nil {
					a.buf = a.buf[n:]
					a.incrSize += int64(n)
					a.currentSize += int64(n)
				}
			}
			p.aofWriteFailed(err)
			return
		}
		a.incrSize += int64(n)
		a.currentSize += int64(n)
		if a.syncer != nil {
			a.syncer.written.Add(int64(n))
		}
		if cap(a.buf) > 4<<20 {
			a.buf = nil
		} else {
			a.buf = a.buf[:0]
		}
		if a.lastWriteErr != nil {
			p.srv.Logf(cmds.LogWarning, "AOF write error looks solved, Redis can write again.")
			a.lastWriteErr = nil
		}
	}
	if a.policy == fsyncAlways || force {
		if err := fdatasync(a.f); err != nil {
			p.aofWriteFailed(err)
			return
		}
	}
	p.runDurable()
}

// aofWriteFailed records a write or sync error.
func (p *Persister) aofWriteFailed(err error) {
	a := &p.aof
	if a.policy == fsyncAlways {
		p.srv.Logf(cmds.LogWarning, "Can't recover from AOF write error when the AOF fsync policy is 'always' (%s). Exiting...", strerror(err))
		os.Exit(1)
	}
	if a.lastWriteErr == nil || time.Since(a.lastErrLog) > 30*time.Second {
		p.srv.Logf(cmds.LogWarning, "Error writing to the AOF file: %s", strerror(err))
		a.lastErrLog = time.Now()
	}
	a.lastWriteErr = err
}

// runDurable runs the callbacks waiting for durability.
func (p *Persister) runDurable() {
	a := &p.aof
	if len(a.durable) == 0 {
		return
	}
	fs := a.durable
	a.durable = nil
	for _, f := range fs {
		f()
	}
}

// WhenDurable implements cmds.Persistence.
func (p *Persister) WhenDurable(f func()) {
	a := &p.aof
	if !a.on || a.policy != fsyncAlways || len(a.buf) == 0 && a.lastWriteErr == nil {
		f()
		return
	}
	a.durable = append(a.durable, f)
}

// BeforeReplies implements cmds.Persistence.
func (p *Persister) BeforeReplies() {
	if len(p.aof.buf) > 0 || len(p.aof.durable) > 0 {
		p.flushAOF(false)
	}
}

// strerror renders an error as C's strerror does ("No space left on
// device"), for the texts Redis puts in MISCONF errors and logs.
func strerror(err error) string {
	var errno syscall.Errno
	if errors.As(err, &errno) {
		s := errno.Error()
		if s != "" && s[0] >= 'a' && s[0] <= 'z' {
			s = string(s[0]-'a'+'A') + s[1:]
		}
		return s
	}
	return err.Error()
}
