package fs

import (
	"fmt"
	"runtime"
	"runtime/debug"
	"strconv"
	"sync"
	"sync/atomic"
	"syscall"
	"time"

	"github.com/redisfs/redisfs/core/cmds"
	"github.com/redisfs/redisfs/core/proto"
)

// This file is the file server's side of the event loop: how a FUSE
// request hands work to the loop and waits for it, and the state the file
// server keeps on the loop (its internal clients, which keys the kernel may
// be caching, their modification times).
//
// A job is a function run on the loop goroutine with a runner: an internal
// client taken from a small free list. The runner hands each command's argv
// to the client (cmds.Client.RunArgv), which runs it through
// processCommand as it runs a command a TCP client's bytes parsed into,
// and decodes the reply the command appended to the client's reply buffer
// once, in place. Several commands in one job are atomic with respect to
// every other client, since nothing else runs on the loop meanwhile.
//
// Why a free list rather than one client per operation: a client costs a
// parser, an id, buffers and an entry in the client table; jobs run one at
// a time, so the list holds one or two runners in practice and
// steady-state file operations allocate none of that (nor the argv and
// the reply elements, which the runner reuses too). A client whose command left it in
// an unusual state (closed, blocked, inside MULTI) is freed instead of
// being reused.

// job is one posted piece of work and its completion signal.
type job struct {
	ls   *loopSide
	fn   func(r *runner)
	done atomic.Uint32
	ch   chan struct{} // receives once per use, after done is set
	perr any           // a panic recovered on the loop
	// now: the job runs during a CLIENT PAUSE too (doNow).
	now bool
}

var jobPool = sync.Pool{New: func() any { return &job{ch: make(chan struct{}, 1)} }}

// spinWait is how long a waiting FUSE goroutine polls for its job's
// completion before parking: an awake loop often answers within it, and
// parking adds a scheduler wake-up to the trip. It stays short because the
// spinning thread competes with the loop for a CPU.
const spinWait = 20 * time.Microsecond

// do runs fn on the loop and waits for it. It fails with EIO when the loop
// is gone or fn panicked (the panic is logged). fn waits out a CLIENT
// PAUSE (see cmds.Server.WhenUnpaused).
func (fsys *FS) do(fn func(r *runner)) syscall.Errno { return fsys.doJob(fn, false) }

// doNow is do for the jobs a pause must not hold: those that only read
// the server's own state (INFO, CLIENT LIST) and those that feed, open or
// free a client of their own (ctl, subscribers, monitors), whose commands
// the pause holds as it holds any client's.
func (fsys *FS) doNow(fn func(r *runner)) syscall.Errno { return fsys.doJob(fn, true) }

func (fsys *FS) doJob(fn func(r *runner), now bool) syscall.Errno {
	if fsys.dead.Load() {
		return syscall.EIO
	}
	fsys.jobs.Add(1)
	fsys.waiting.Add(1)
	select {
	case fsys.jobPosted <- struct{}{}:
	default:
	}
	j := jobPool.Get().(*job)
	j.ls = fsys.ls
	j.fn = fn
	j.now = now
	j.done.Store(0)
	j.perr = nil
	fsys.post(j.run)
	if !j.wait(fsys.deadCh) {
		// The job may still run later; leave it to the collector.
		return syscall.EIO
	}
	perr := j.perr
	j.fn = nil
	jobPool.Put(j)
	if perr != nil {
		return syscall.EIO
	}
	return 0
}

func (j *job) run() {
	ls := j.ls
	// A file operation waits out a CLIENT PAUSE (see WhenUnpaused).
	if !j.now && ls.srv.WhenUnpaused(j.run) {
		return
	}
	defer func() {
		if p := recover(); p != nil {
			j.perr = p
			ls.srv.Logf(cmds.LogWarning, "fs: panic in a file operation: %v\n%s", p, debug.Stack())
		}
		// The operation completes once what it wrote is as durable as
		// appendfsync promises: with "always", after the AOF is synced
		// in the next beforeSleep (so close(2) returns a durable write).
		ls.srv.WhenDurable(j.complete)
	}()
	r := ls.acquire()
	defer ls.release(r)
	j.fn(r)
}

// complete wakes the goroutine waiting for the job.
func (j *job) complete() {
	j.ls.fsys.waiting.Add(-1)
	j.done.Store(1)
	j.ch <- struct{}{}
}

func (j *job) wait(dead <-chan struct{}) bool {
	if j.done.Load() == 0 {
		start := time.Now()
		for j.done.Load() == 0 && time.Since(start) < spinWait {
			runtime.Gosched()
		}
	}
	select {
	case <-j.ch:
		return true
	case <-dead:
		return false
	}
}

// keyRef is what the loop side knows of a key the kernel may cache.
type keyRef struct {
	// live is set while a node of the file server may stand for the
	// key: from its lookup until a sweep finds no node for it.
	live bool
	// gen counts the lookups of the key, so that a sweep does not drop
	// a key looked up again since it looked.
	gen   uint64
	mtime int64 // unix ns of the key's last change
}

// loopSide is the file server's state on the loop goroutine. Nothing in it
// is touched from any other goroutine.
type loopSide struct {
	srv  *cmds.Server
	fsys *FS
	free []*runner
	conn internalConn

	// keys[db] holds the keys that file-server nodes may stand for
	// (live), and the modification times of others seen before, at
	// most mtimeCap of those.
	keys  []map[string]*keyRef
	nlive int // live entries in keys
	// dbTime[db] is the last change to a key of db that is not in keys:
	// the modification time reported for such keys, an upper bound of
	// their real one. dirTime[db] is the last key creation or deletion.
	dbTime  []int64
	dirTime []int64
	// longNames holds keys already logged as having names too long.
	longNames map[string]struct{}
	// jobCmds counts the commands of jobs; loadAt, loadCmds and
	// loadJobCmds are the last measure of measureLoad.
	jobCmds, loadCmds, loadJobCmds int64
	loadAt                         time.Time
}

const mtimeCap = 1 << 16

func newLoopSide(fsys *FS, srv *cmds.Server) *loopSide {
	n := len(srv.DBs)
	now := time.Now().UnixNano()
	ls := &loopSide{
		srv:       srv,
		fsys:      fsys,
		keys:      make([]map[string]*keyRef, n),
		dbTime:    make([]int64, n),
		dirTime:   make([]int64, n),
		longNames: map[string]struct{}{},
	}
	for i := range ls.keys {
		ls.keys[i] = map[string]*keyRef{}
		ls.dbTime[i] = now
		ls.dirTime[i] = now
	}
	return ls
}

// internalConn is the transport of internal clients: replies are read by
// the job that ran the command, so a flush only discards leftovers.
type internalConn struct{}

func (internalConn) Flush(c *cmds.Client) { c.Sent = len(c.Reply) }
func (internalConn) Close(c *cmds.Client) {}
func (internalConn) RemoteAddr() string   { return "fuse:0" }
func (internalConn) LocalAddr() string    { return "fuse:0" }
func (internalConn) Fd() int              { return -1 }

// runner runs commands for one job on one internal client. Runners are
// reused with their client, and so is what they decode replies into.
type runner struct {
	ls   *loopSide
	c    *cmds.Client
	dec  proto.ReplyDecoder
	argv [][]byte // the runner's own argv: call's arguments do not escape
}

func (ls *loopSide) acquire() *runner {
	if n := len(ls.free); n > 0 {
		r := ls.free[n-1]
		ls.free[n-1] = nil
		ls.free = ls.free[:n-1]
		r.c.Authenticated = true
		return r
	}
	c := ls.srv.NewClient(ls.conn)
	c.Flags |= cmds.ClientInternal
	c.Name = "redisfs-fuse"
	c.Authenticated = true
	return &runner{ls: ls, c: c}
}

const badClientFlags = cmds.ClientCloseAfterReply | cmds.ClientCloseASAP | cmds.ClientBlocked |
	cmds.ClientMulti | cmds.ClientPubsub | cmds.ClientMonitor

// decodeKeep bounds the reply elements a reused runner keeps room for.
const decodeKeep = 4096

func (ls *loopSide) release(r *runner) {
	c := r.c
	c.ResetReply()
	c.QueryBuf = c.QueryBuf[:0]
	r.dec.Reset(decodeKeep)
	if c.Flags&badClientFlags != 0 || len(ls.free) >= 4 {
		ls.srv.FreeClient(c)
		return
	}
	ls.free = append(ls.free, r)
}

// selectDB makes db the runner's database.
func (r *runner) selectDB(db int) { r.c.SelectDB(db) }

// call runs one command and returns its reply. The command runs through
// the client's processCommand as it is (cmds.Client.RunArgv), not encoded
// as a request; its reply is decoded once, in place, as Redis's scripting
// reads its fake client's replies: the strings in it alias the client's
// reply buffer and the elements come from the runner's arena, both valid
// until the job ends.
func (r *runner) call(args ...[]byte) proto.Reply {
	r.ls.jobCmds++
	r.argv = append(r.argv[:0], args...)
	reply := r.c.RunArgv(r.argv)
	clear(r.argv)
	rep, n, err := r.dec.Read(reply)
	if err != nil || n == 0 {
		// No reply (CLIENT REPLY OFF cannot happen here) or a bad one.
		return proto.Reply{Type: '-', Str: []byte("ERR no reply from the command")}
	}
	return rep
}

// replyErrno maps an error reply to the errno a file operation returns;
// 0 if the reply is not an error. wrongType is what WRONGTYPE means for
// the operation at hand (EISDIR, ENOTDIR, EPERM …).
func replyErrno(rep *proto.Reply, wrongType syscall.Errno) syscall.Errno {
	if rep.Type != '-' {
		return 0
	}
	code := errCode(rep.Str)
	switch code {
	case "WRONGTYPE":
		return wrongType
	case "OOM":
		return syscall.ENOSPC
	case "NOPERM", "NOAUTH":
		return syscall.EACCES
	case "READONLY", "MISCONF":
		return syscall.EROFS
	case "BUSY", "LOADING", "TRYAGAIN":
		return syscall.EAGAIN
	case "ERR":
		if hasPrefix(rep.Str, "ERR unknown command") {
			return syscall.ENOSYS
		}
		if hasPrefix(rep.Str, "ERR no such key") {
			return syscall.ENOENT
		}
		return syscall.EINVAL
	}
	return syscall.EIO
}

func errCode(s []byte) string {
	for i, c := range s {
		if c == ' ' {
			return string(s[:i])
		}
	}
	return string(s)
}

func hasPrefix(s []byte, p string) bool { return len(s) >= len(p) && string(s[:len(p)]) == p }

// Key types as the file server sees them.
const (
	typeNone   = -1
	typeString = cmds.TypeString
	typeList   = cmds.TypeList
	typeSet    = cmds.TypeSet
	typeZSet   = cmds.TypeZSet
	typeHash   = cmds.TypeHash
	typeStream = cmds.TypeStream
)

func parseType(s []byte) int {
	switch string(s) {
	case "string":
		return typeString
	case "list":
		return typeList
	case "set":
		return typeSet
	case "zset":
		return typeZSet
	case "hash":
		return typeHash
	case "stream":
		return typeStream
	}
	return typeNone
}

func isDirType(t int) bool { return t == typeHash || t == typeSet || t == typeZSet }

// keyInfo is what a stat of a key returns.
type keyInfo struct {
	typ   int
	size  int64
	mtime int64 // unix ns
	// content is the value of a small string, fetched with its
	// attributes when the caller asked (see prefetchMax).
	content    []byte
	hasContent bool
}

// prefetchMax is the largest string value a lookup fetches together with
// the attributes: the first read of the file then needs no job.
const prefetchMax = 4096

// statKeyPrefetch is statKey that also fetches a small string's value.
func (r *runner) statKeyPrefetch(db int, key []byte) (keyInfo, syscall.Errno) {
	ki, e := r.statKey(db, key)
	if e == 0 && ki.typ == typeString && ki.size <= prefetchMax && !r.ls.fsys.opts.DirectIO {
		rep := r.call([]byte("GET"), key)
		if rep.Type == '$' && !rep.Null {
			ki.content = append([]byte{}, rep.Str...)
			ki.hasContent = true
		}
	}
	return ki, e
}

// statKey runs TYPE and the size command of the key's type.
func (r *runner) statKey(db int, key []byte) (keyInfo, syscall.Errno) {
	r.selectDB(db)
	rep := r.call([]byte("TYPE"), key)
	if e := replyErrno(&rep, syscall.EIO); e != 0 {
		return keyInfo{}, e
	}
	ki := keyInfo{typ: parseType(rep.Str)}
	if ki.typ == typeNone {
		return ki, syscall.ENOENT
	}
	switch ki.typ {
	case typeString:
		rep = r.call([]byte("STRLEN"), key)
		ki.size = rep.Int
	case typeList, typeStream:
		// The content is rendered one element per line; its size
		// is the length of that rendering.
		var n int64
		r.renderCollection(ki.typ, key, func(b []byte) { n += int64(len(b)) })
		ki.size = n
	case typeHash:
		ki.size = r.call([]byte("HLEN"), key).Int
	case typeSet:
		ki.size = r.call([]byte("SCARD"), key).Int
	case typeZSet:
		ki.size = r.call([]byte("ZCARD"), key).Int
	}
	ki.mtime = r.ls.mtime(db, key)
	return ki, 0
}

// renderCollection produces the file content of a list (one element per
// line, newlines and backslashes escaped: see list.go) or a stream (one
// entry per line: "ID field value …"), in pieces.
func (r *runner) renderCollection(typ int, key []byte, out func([]byte)) {
	var line []byte
	switch typ {
	case typeList:
		rep := r.call([]byte("LRANGE"), key, []byte("0"), []byte("-1"))
		for i := range rep.Elems {
			line = appendListLine(line[:0], rep.Elems[i].Str)
			out(line)
		}
	case typeStream:
		rep := r.call([]byte("XRANGE"), key, []byte("-"), []byte("+"))
		for i := range rep.Elems {
			e := &rep.Elems[i]
			if len(e.Elems) != 2 {
				continue
			}
			line = append(line[:0], e.Elems[0].Str...)
			for _, f := range e.Elems[1].Elems {
				line = append(append(line, ' '), f.Str...)
			}
			out(append(line, '\n'))
		}
	}
}

// mtime returns the modification time to report for key.
func (ls *loopSide) mtime(db int, key []byte) int64 {
	if r := ls.keys[db][string(key)]; r != nil {
		return r.mtime
	}
	return ls.dbTime[db]
}

// register records that a node may stand for key (on a lookup, a create,
// a listing, a rename): from now on changes to the key invalidate the
// kernel's caches, until a sweep finds no node for it.
func (ls *loopSide) register(db int, key []byte) {
	m := ls.keys[db]
	r := m[string(key)]
	if r == nil {
		r = &keyRef{mtime: ls.dbTime[db]}
		m[string(key)] = r
	}
	if !r.live {
		r.live = true
		ls.nlive++
	}
	r.gen++
}

// liveKey is a key a sweep checks.
type liveKey struct {
	db  int
	key string
	gen uint64
}

// sweepSample returns up to n live keys, for a sweep to check.
func (ls *loopSide) sweepSample(n int) []liveKey {
	var out []liveKey
	for db, m := range ls.keys {
		for k, r := range m {
			if len(out) >= n {
				return out
			}
			if r.live {
				out = append(out, liveKey{db, k, r.gen})
			}
		}
	}
	return out
}

// unregister drops keys a sweep found no node for, unless they were
// looked up again since.
func (ls *loopSide) unregister(keys []liveKey) {
	for _, lk := range keys {
		m := ls.keys[lk.db]
		r := m[lk.key]
		if r == nil || !r.live || r.gen != lk.gen {
			continue
		}
		r.live = false
		ls.nlive--
	}
	for _, m := range ls.keys {
		if len(m) > mtimeCap {
			ls.trim(m)
		}
	}
}

// trim drops modification times of keys no node stands for, down to 3/4 of
// the cap.
func (ls *loopSide) trim(m map[string]*keyRef) {
	for k, r := range m {
		if len(m) <= mtimeCap*3/4 {
			return
		}
		if !r.live {
			delete(m, k)
		}
	}
}

// structuralEvents are the keyspace events after which a key may have
// appeared, disappeared or changed type.
var structuralEvents = map[string]bool{
	"new": true, "del": true, "expired": true, "evicted": true, "set": true,
	"rename_from": true, "rename_to": true, "move_from": true, "move_to": true,
	"restore": true, "copy_to": true, "sortstore": true,
}

// onKeyspaceEvent is called on the loop for every change to a key.
func (ls *loopSide) onKeyspaceEvent(db int, key []byte, event string) {
	if event == "keymiss" || db < 0 || db >= len(ls.keys) {
		return
	}
	// A TTL change is metadata: it invalidates, but is no write.
	write := event != "expire" && event != "persist"
	now := ls.srv.Now().UnixNano()
	if structuralEvents[event] {
		ls.dirTime[db] = now
	}
	if event == "new" {
		// The key exists now: no pending directory stands for it.
		ls.fsys.dbs[db].dropPending(key)
	}
	r := ls.keys[db][string(key)]
	if r == nil {
		if write {
			ls.dbTime[db] = now
		}
		return
	}
	if write {
		r.mtime = now
	}
	if r.live {
		ls.fsys.notifier.add(db, key)
	}
}

// awaitInvalidations runs in beforeSleep, before the replies are written:
// see notifier.await.
func (ls *loopSide) awaitInvalidations() {
	ls.fsys.notifier.await(ls.fsys.waiting.Load, ls.fsys.jobPosted)
}

// onEmptyData is called on the loop after FLUSHDB/FLUSHALL.
func (ls *loopSide) onEmptyData(dbnum int) {
	now := ls.srv.Now().UnixNano()
	for db := range ls.keys {
		if dbnum != -1 && db != dbnum {
			continue
		}
		ls.dirTime[db] = now
		ls.dbTime[db] = now
		for k, r := range ls.keys[db] {
			r.mtime = now
			if r.live {
				ls.fsys.notifier.add(db, []byte(k))
			}
		}
	}
}

// logLongName logs, once per key, that a key's file name is too long.
func (ls *loopSide) logLongName(db int, key []byte) {
	if len(ls.longNames) > 4096 {
		return
	}
	k := strconv.Itoa(db) + "\x00" + string(key)
	if _, ok := ls.longNames[k]; ok {
		return
	}
	ls.longNames[k] = struct{}{}
	ls.srv.Logf(cmds.LogWarning, "fs: key %q in db %d has a file name longer than %d bytes: reachable through ctl only",
		truncateForLog(key), db, maxNameLen)
}

func truncateForLog(key []byte) string {
	if len(key) > 64 {
		return fmt.Sprintf("%s...(%d bytes)", key[:64], len(key))
	}
	return string(key)
}
