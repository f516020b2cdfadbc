package fs

import (
	"context"
	"fmt"
	"strconv"
	"sync"
	"syscall"
	"time"

	"github.com/redisfs/redisfs/core/proto"
	"github.com/redisfs/redisfs/fs/engine"
)

// This file is the file server's side of the engine: how a FUSE request
// hands work to the engine and waits for it, and the state the file server
// keeps beside the engine's keyspace (which keys the kernel may be caching,
// their modification times), touched only by jobs and the engine's change
// callbacks, which the engine runs one at a time (see engine.Engine).
//
// A job is a function run by the engine with a runner: the job's Tx and
// the loop side. Several commands in one job are atomic with respect to
// every other client. The runner is pooled with the job, so that a job
// posted in steady state allocates nothing of the file server's.

// job is one piece of work of the file server, pooled with its runner and
// its run function.
type job struct {
	fn  func(r *runner)
	r   runner
	run func(engine.Tx) // j.runTx, bound once
}

var jobPool = sync.Pool{New: func() any {
	j := &job{}
	j.run = j.runTx
	return j
}}

func (j *job) runTx(tx engine.Tx) {
	j.r.tx = tx
	j.r.noperm = false
	if j.r.user == "" || tx.ActAs(j.r.user) {
		j.fn(&j.r)
	} else {
		j.r.noperm = true
	}
	j.r.tx = nil
}

// do runs fn on the engine, as the ACL user of the caller of the request
// ctx belongs to (users.go), and waits for it. It fails with EIO when the
// engine is gone or fn panicked (the engine logs the panic), and with
// EACCES when the user's ACL refused a command of fn (NOPERM). fn waits
// out a CLIENT PAUSE.
func (fsys *FS) do(ctx context.Context, fn func(r *runner)) syscall.Errno {
	return fsys.doJob(fsys.who(ctx), fn, 0)
}

// doAs is do as ACL user ("": the file server itself), for the
// operations of an open file (which run as the user who opened it).
func (fsys *FS) doAs(user string, fn func(r *runner)) syscall.Errno {
	return fsys.doJob(user, fn, 0)
}

// doNow is do for the jobs a pause must not hold: those that only read
// the server's own state (INFO, CLIENT LIST).
func (fsys *FS) doNow(ctx context.Context, fn func(r *runner)) syscall.Errno {
	return fsys.doJob(fsys.who(ctx), fn, engine.JobNoPause)
}

// doNowAs is doNow as ACL user ("": the file server itself).
func (fsys *FS) doNowAs(user string, fn func(r *runner)) syscall.Errno {
	return fsys.doJob(user, fn, engine.JobNoPause)
}

func (fsys *FS) doJob(user string, fn func(r *runner), opts engine.JobOpts) syscall.Errno {
	if fsys.dead.Load() {
		return syscall.EIO
	}
	fsys.jobs.Add(1)
	j := jobPool.Get().(*job)
	j.fn = fn
	j.r.ls = fsys.ls
	j.r.user = user
	if err := fsys.eng.Do(fsys.ctx, opts, j.run); err != nil {
		// The job may still run later; leave it to the collector.
		return syscall.EIO
	}
	noperm := j.r.noperm
	j.fn = nil
	jobPool.Put(j)
	if noperm {
		return errnoACL
	}
	return 0
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
	fsys *FS

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
	// members holds the modification times set for members (mtime.go),
	// nmembers counts them.
	members  map[dbKey]map[string]memberStamp
	nmembers int
}

var _ engine.Watcher = (*loopSide)(nil)

const mtimeCap = 1 << 16

func newLoopSide(fsys *FS, n int) *loopSide {
	now := time.Now().UnixNano()
	ls := &loopSide{
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

// runner is what a job of the file server gets: the engine's Tx and the
// loop side.
type runner struct {
	tx   engine.Tx
	ls   *loopSide
	argv [][]byte // the runner's own argv: call's arguments do not escape
	// user is the ACL user the job runs as ("": unrestricted); noperm
	// is set when a command was refused by its ACL (users.go).
	user   string
	noperm bool
}

// selectDB makes db the runner's database.
func (r *runner) selectDB(db int) { r.tx.SelectDB(db) }

// now is the engine's clock, in unix nanoseconds.
func (r *runner) now() int64 { return r.tx.Now().UnixNano() }

// call runs one command and returns its reply, valid until the job ends
// (see engine.Tx.Call).
func (r *runner) call(args ...[]byte) proto.Reply {
	r.argv = append(r.argv[:0], args...)
	rep := r.tx.Call(r.argv...)
	clear(r.argv)
	if rep.Type == '-' && hasPrefix(rep.Str, "NOPERM") {
		r.noperm = true
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
	typeNone = iota - 1
	typeString
	typeList
	typeSet
	typeZSet
	typeHash
	typeStream
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
	var fields [][]byte
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
			line = line[:0]
			for _, f := range e.Elems[1].Elems {
				fields = append(fields, f.Str)
			}
			line = appendStreamLine(line, e.Elems[0].Str, fields)
			fields = fields[:0]
			out(line)
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

// goneEvents are the keyspace events after which the key is gone.
var goneEvents = map[string]bool{
	"del": true, "expired": true, "evicted": true, "rename_from": true, "move_from": true,
}

// KeyChanged is called by the engine for every change to a key.
func (ls *loopSide) KeyChanged(db int, key []byte, event string, at time.Time) {
	if event == "keymiss" || db < 0 || db >= len(ls.keys) {
		return
	}
	// A TTL change is metadata: it invalidates, but is no write.
	write := event != "expire" && event != "persist"
	now := at.UnixNano()
	if structuralEvents[event] {
		ls.dirTime[db] = now
	}
	if event == "new" {
		// The key exists now: no pending directory stands for it.
		ls.fsys.dbs[db].dropPending(key)
	}
	if goneEvents[event] && ls.members != nil {
		ls.forgetMembers(db, key)
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

// BeforeReplies is called by the engine before the replies are sent: see
// notifier.hold.
func (ls *loopSide) BeforeReplies(wake func()) bool {
	return ls.fsys.notifier.hold(wake)
}

// Emptied is called by the engine after FLUSHDB/FLUSHALL/SWAPDB.
func (ls *loopSide) Emptied(dbnum int, at time.Time) {
	now := at.UnixNano()
	for db := range ls.keys {
		if dbnum != -1 && db != dbnum {
			continue
		}
		ls.dirTime[db] = now
		ls.dbTime[db] = now
		// Empty collection directories go with their database.
		clear(ls.fsys.dbs[db].pend)
		ls.forgetMembers(db, nil)
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
	ls.fsys.eng.Logf("fs: key %q in db %d has a file name longer than %d bytes: reachable through ctl only",
		truncateForLog(key), db, maxNameLen)
}

func truncateForLog(key []byte) string {
	if len(key) > 64 {
		return fmt.Sprintf("%s...(%d bytes)", key[:64], len(key))
	}
	return string(key)
}
