// Package local is the file server's engine (fs/engine) over the server
// embedded in this process: the keyspace of a *cmds.Server, reached by
// posting functions to the event loop that owns it. It is the only part
// of the mount that knows core/cmds; cmd/redisfs wires it:
//
//	fs.Mount(dir, local.New(srv, s.Post), opts)
//
// # Jobs
//
// Do posts the job to the loop and waits for it. On the loop the job
// waits out a CLIENT PAUSE (cmds.Server.WhenUnpaused) unless it is
// JobNoPause, runs, and completes once what it wrote is durable
// (cmds.Server.WhenDurable: with appendfsync always, after the AOF is
// synced in the next beforeSleep, so that close(2) returns a durable
// write). Its Tx is a runner: an internal client (cmds.ClientInternal)
// taken from a small free list, whose Call hands the argv to
// cmds.Client.RunArgv — processCommand, the path a command parsed from a
// TCP client's bytes takes, without encoding it first — and decodes the
// reply the command left in the client's reply buffer once, in place
// (proto.ReplyDecoder), as Redis's scripting reads its fake client's
// replies. Arity checks, statistics, keyspace notifications, WATCH and
// propagation therefore apply to file operations as to any client, and
// the commands of one job are atomic because nothing else runs on the
// loop meanwhile.
//
// Why a free list rather than one client per job: a client costs a
// parser, an id, buffers and an entry in the client table; jobs run one at
// a time, so the list holds one or two runners in practice and
// steady-state file operations allocate none of that (nor the reply
// elements, which the runner reuses too). A client whose command left it
// in an unusual state (closed, blocked, inside MULTI) is freed instead of
// being reused.
//
// # Changes
//
// Watch hooks the server's keyspace events (cmds.Server.OnKeyspaceEvent),
// its FLUSHDB/FLUSHALL/SWAPDB notice (OnEmptyData) and beforeSleep
// (OnBeforeSleep), where the replies of the loop's iteration are about to
// be written: while the watcher's BeforeReplies says so, they are held
// (cmds.Server.HoldReplies) and the loop runs on; the watcher wakes it
// with a posted no-op when they may go.
//
// # Conversations
//
// A conversation is a client of its own (cmds.Server.NewClient) whose
// transport is a cmds.CommandWatcher: Send appends the bytes to its query
// buffer and runs ProcessInputBuffer, which parses them once and tells the
// transport of each command as it completes, so each reply goes to the
// sink with its command's argv. Output that comes later reaches the
// transport's Flush in beforeSleep: it goes to the sink at once, or, for a
// Held conversation, stays in the client's reply buffer until Pull, so
// that the server's output buffer limits see a reader that does not read
// exactly as they see a TCP client that does not.
package local

import (
	"context"
	"errors"
	"fmt"
	"runtime"
	"runtime/debug"
	"sync"
	"sync/atomic"
	"time"

	"github.com/redisfs/redisfs/core/cmds"
	"github.com/redisfs/redisfs/core/proto"
	"github.com/redisfs/redisfs/fs/engine"
)

// Engine is the embedded server as a file server's engine.
type Engine struct {
	srv *cmds.Server
	// post hands a function to the loop; safe from any goroutine.
	post func(func())

	// wake makes the loop run an iteration (a no-op posted), for
	// engine.Watcher.BeforeReplies; bound once.
	wake func()

	busyUntil atomic.Int64 // unix ns: until then the loop counts as busy

	// Owned by the loop.
	free                           []*runner
	jobCmds, loadCmds, loadJobCmds int64 // see measureLoad
	loadAt                         time.Time
}

var _ engine.Engine = (*Engine)(nil)

// New returns the engine of srv, whose loop post hands functions to
// (server.Server.Post); post must be safe to call from any goroutine and
// may be called before the loop runs: jobs wait for the loop.
func New(srv *cmds.Server, post func(func())) *Engine {
	e := &Engine{srv: srv, post: post}
	e.wake = func() { post(func() {}) }
	post(func() { srv.OnBeforeSleep(e.measureLoad) })
	return e
}

// Databases returns the number of databases, fixed at the server's start.
func (e *Engine) Databases() int { return len(e.srv.DBs) }

// Logf logs a warning through the server's log, on the loop.
func (e *Engine) Logf(format string, args ...any) {
	msg := fmt.Sprintf(format, args...)
	e.post(func() { e.srv.Logf(cmds.LogWarning, "%s", msg) })
}

// Watch installs w's hooks with the first job posted after it.
func (e *Engine) Watch(w engine.Watcher) {
	srv := e.srv
	e.post(func() {
		srv.OnKeyspaceEvent(func(db int, key []byte, event string) {
			w.KeyChanged(db, key, event, srv.Now())
		})
		srv.OnBeforeSleep(func() {
			if w.BeforeReplies(e.wake) {
				srv.HoldReplies()
			}
		})
		srv.OnEmptyData(func(db int) { w.Emptied(db, srv.Now()) })
	})
}

// errPanic is Do's error when the job panicked.
var errPanic = errors.New("local: the job panicked")

// job is one posted piece of work and its completion signal. Jobs are
// pooled with their bound run and complete functions, so that posting one
// allocates nothing.
type job struct {
	e       *Engine
	fn      func(engine.Tx)
	noPause bool
	done    atomic.Uint32
	ch      chan struct{} // receives once per use, after done is set
	perr    any           // a panic recovered on the loop

	run, complete func()
}

var jobPool = sync.Pool{New: func() any {
	j := &job{ch: make(chan struct{}, 1)}
	j.run, j.complete = j.runOnLoop, j.completeOnLoop
	return j
}}

// spinWait is how long a waiting goroutine polls for its job's completion
// before parking: an awake loop often answers within it, and parking adds
// a scheduler wake-up to the trip. It stays short because the spinning
// thread competes with the loop for a CPU.
const spinWait = 20 * time.Microsecond

// Do runs fn on the loop and waits for it (see engine.Engine.Do).
func (e *Engine) Do(ctx context.Context, opts engine.JobOpts, fn func(engine.Tx)) error {
	j := jobPool.Get().(*job)
	j.e = e
	j.fn = fn
	j.noPause = opts&engine.JobNoPause != 0
	j.done.Store(0)
	j.perr = nil
	e.post(j.run)
	if !j.wait(ctx.Done()) {
		// The job may still run later; leave it to the collector.
		return ctx.Err()
	}
	perr := j.perr
	j.fn = nil
	jobPool.Put(j)
	if perr != nil {
		return errPanic
	}
	return nil
}

func (j *job) runOnLoop() {
	e := j.e
	// A job waits out a CLIENT PAUSE (see WhenUnpaused).
	if !j.noPause && e.srv.WhenUnpaused(j.run) {
		return
	}
	defer func() {
		if p := recover(); p != nil {
			j.perr = p
			e.srv.Logf(cmds.LogWarning, "fs: panic in a file operation: %v\n%s", p, debug.Stack())
		}
		e.srv.WhenDurable(j.complete)
	}()
	r := e.acquire()
	defer e.release(r)
	j.fn(r)
}

// completeOnLoop wakes the goroutine waiting for the job.
func (j *job) completeOnLoop() {
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

// internalConn is the transport of internal clients: replies are read by
// the job that ran the command, so a flush only discards leftovers.
type internalConn struct{}

func (internalConn) Flush(c *cmds.Client) { c.Sent = len(c.Reply) }
func (internalConn) Close(c *cmds.Client) {}
func (internalConn) RemoteAddr() string   { return "fuse:0" }
func (internalConn) LocalAddr() string    { return "fuse:0" }
func (internalConn) Fd() int              { return -1 }

// runner is a job's Tx: it runs commands on one internal client. Runners
// are reused with their client, and so is what they decode replies into.
type runner struct {
	e   *Engine
	c   *cmds.Client
	dec proto.ReplyDecoder
}

var _ engine.Tx = (*runner)(nil)

func (e *Engine) acquire() *runner {
	if n := len(e.free); n > 0 {
		r := e.free[n-1]
		e.free[n-1] = nil
		e.free = e.free[:n-1]
		r.c.Authenticated = true
		return r
	}
	c := e.srv.NewClient(internalConn{})
	c.Flags |= cmds.ClientInternal
	c.Name = "redisfs-fuse"
	c.Authenticated = true
	return &runner{e: e, c: c}
}

const badClientFlags = cmds.ClientCloseAfterReply | cmds.ClientCloseASAP | cmds.ClientBlocked |
	cmds.ClientMulti | cmds.ClientPubsub | cmds.ClientMonitor

// decodeKeep bounds the reply elements a reused runner keeps room for.
const decodeKeep = 4096

func (e *Engine) release(r *runner) {
	c := r.c
	c.ActAs("")
	c.ResetReply()
	c.QueryBuf = c.QueryBuf[:0]
	r.dec.Reset(decodeKeep)
	if c.Flags&badClientFlags != 0 || len(e.free) >= 4 {
		e.srv.FreeClient(c)
		return
	}
	e.free = append(e.free, r)
}

// ActAs checks the job's commands that follow against user's ACL.
func (r *runner) ActAs(user string) bool { return r.c.ActAs(user) }

// SelectDB makes db the runner's database.
func (r *runner) SelectDB(db int) { r.c.SelectDB(db) }

// Now is the server's cached time.
func (r *runner) Now() time.Time { return r.e.srv.Now() }

// Call runs one command and returns its reply. The command runs through
// the client's processCommand as it is (cmds.Client.RunArgv), not encoded
// as a request; its reply is decoded once, in place: the strings in it
// alias the client's reply buffer and the elements come from the runner's
// arena, both valid until the job ends.
func (r *runner) Call(args ...[]byte) proto.Reply {
	r.e.jobCmds++
	reply := r.c.RunArgv(args)
	rep, n, err := r.dec.Read(reply)
	if err != nil || n == 0 {
		// No reply (CLIENT REPLY OFF cannot happen here) or a bad one.
		return proto.Reply{Type: '-', Str: []byte("ERR no reply from the command")}
	}
	return rep
}

// The file front end yields to the network one (see fs/yield.go for why
// and what it costs): the loop counts as busy for busyWindow after a
// measure of more than busyRate commands a second from clients other than
// the file server's jobs.
const (
	busyRate   = 5000
	busyWindow = 20 * time.Millisecond
)

// Busy reports whether network clients keep the loop busy.
func (e *Engine) Busy() bool {
	until := e.busyUntil.Load()
	return until != 0 && time.Now().UnixNano() < until
}

// measureLoad runs in beforeSleep: every busyWindow it compares the
// commands processed meanwhile, less those of jobs, with busyRate.
func (e *Engine) measureLoad() {
	srv := e.srv
	now := srv.Now()
	el := now.Sub(e.loadAt)
	if el < busyWindow {
		return
	}
	n := srv.Stats.NumCommands - e.loadCmds - (e.jobCmds - e.loadJobCmds)
	e.loadAt, e.loadCmds, e.loadJobCmds = now, srv.Stats.NumCommands, e.jobCmds
	if float64(n) > busyRate*el.Seconds() {
		e.busyUntil.Store(now.Add(busyWindow).UnixNano())
	}
}
