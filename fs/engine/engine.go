// Package engine is the contract between the file server (package fs) and
// the Redis whose keyspace it mounts: what fs needs of it, and nothing of
// how it is served. fs needs three things — run a job of commands
// atomically and get their replies; be told which keys changed; hold
// client conversations (ctl, pub/sub and monitor files) — and an Engine
// gives exactly those. Package fs/local implements it over the server
// embedded in this process (its event loop, its *cmds.Server); a mount
// over a remote Redis or Redis Cluster (issue 16) is a second
// implementation of this package's interfaces, with the same fs code.
//
// The contract lives in a package of its own rather than in fs so that
// implementations need not import fs, and fs's own tests can mount over
// fs/local without an import cycle.
//
// # Ordering
//
// An engine runs the jobs and calls the Watcher and every Sink one at a
// time, never two at once (the embedded engine: all on its loop
// goroutine; a remote engine: on one dispatching goroutine of its own).
// So the file server's state that jobs and callbacks share (which keys
// have nodes, modification times) needs no lock.
//
// # Over a remote Redis (how each method maps; not implemented here)
//
//   - Databases: CONFIG GET databases at connect (1 on a Redis Cluster).
//   - Do: the job's commands on one pooled connection. Jobs are
//     interactive: a command may depend on an earlier reply (a stat runs
//     TYPE, then STRLEN, HLEN, LRANGE … by the type; a commit of a list
//     reads its TTL before it rewrites it). A remote engine runs a job
//     optimistically: WATCH the keys it reads, run the read-only commands
//     directly, queue the writes in MULTI … EXEC, and on a nil EXEC run
//     the job again. A job run twice must be harmless: fs's jobs assign
//     their results to variables read after Do, and their bookkeeping
//     (registering a key, a modification time, a pending directory) is
//     idempotent — to be checked job by job when the retry is built. Jobs that
//     only write, or only read once (GET, SET … KEEPTTL, APPEND, UNLINK,
//     RENAME, HSET+HDEL, SADD+SREM, PUBLISH), need MULTI/EXEC alone or
//     nothing; jobs that read then write (truncate of a closed file: GET
//     then SET; a list replace: PTTL then RPUSH/LTRIM; a rename over a
//     pending directory; a collection-member commit that checks the type)
//     need WATCH and the retry; read-only jobs of several commands (stat,
//     listings) need MULTI/EXEC only for a consistent snapshot and may run
//     plainly. A job that runs MULTI … EXEC itself (a list replace, so
//     that a refused push changes nothing) is sent as it is. In a
//     cluster, a job's keys share a slot (fs's jobs touch one key, or two
//     only for a rename, which must fail with EXDEV across slots) and run
//     on the slot's master, following MOVED/ASK. Durability: a remote
//     engine returns once EXEC's reply arrived (WAIT where asked).
//     JobNoPause has no meaning there (the remote server applies its own
//     CLIENT PAUSE to the connection).
//   - Tx.SelectDB: SELECT on the pooled connection (only db 0 in a
//     cluster). Tx.Now: the local clock.
//   - Watch: RESP3 CLIENT TRACKING ON BCAST (or OPTIN with the keys the
//     file server reads) on a dedicated connection; an invalidation push
//     is KeyChanged with event "invalidate" for each key (nil: all keys,
//     Emptied(-1)); fs must then count "invalidate" among the events
//     that may create or delete a key (structuralEvents in fs/loop.go). Where tracking is off, keyspace notifications
//     (PSUBSCRIBE __keyspace@*__:*) give the event names fs uses.
//     BeforeReplies is never called: a remote engine cannot hold back the
//     replies of other clients, so coherence is as prompt as tracking's
//     invalidations.
//   - Busy: false (the network clients are someone else's CPU).
//   - Open: a TCP connection per conversation (AUTH first when
//     Authenticated). Send writes the bytes as they are, parses them
//     (core/proto) for each command's argv, and waits for one reply per
//     command, except after a command that may block (the command table's
//     "blocking" flag: BLPOP, XREAD BLOCK …) or puts the connection in
//     subscribed or monitor mode, whose replies come as they come; pushed
//     messages (pub/sub, MONITOR lines) go to Output with a nil argv. A
//     Held conversation reads the socket only when Pull asks, so the
//     remote server's client-output-buffer-limit sees a slow reader as it
//     sees any. Close closes the socket.
//   - Logf: the mount's own log.
package engine

import (
	"context"
	"errors"
	"time"

	"github.com/redisfs/redisfs/core/proto"
)

// Engine is the Redis a mount serves. Its methods are safe for concurrent
// use from any goroutine, except where a method says otherwise.
type Engine interface {
	// Databases returns the number of databases; it never changes.
	Databases() int

	// Do runs job atomically: no command of another client runs
	// between two commands of the job. It returns once the job has run
	// and what it wrote is as durable as the engine promises (the
	// embedded engine: appendfsync always means synced). It fails when
	// ctx is done first (the job may still run later), when the engine
	// is gone, or when the job panicked (the panic is logged). The
	// replies the job gets through its Tx are valid until the job
	// returns.
	Do(ctx context.Context, opts JobOpts, job func(Tx)) error

	// Watch installs w; it is called once, before any job runs, and the
	// engine calls w for every change to a key from then on.
	Watch(w Watcher)

	// Busy reports whether clients other than the file server keep the
	// engine busy, so that file operations should yield to them.
	Busy() bool

	// Open starts a conversation: a client of its own, as a network
	// connection is, whose output goes to sink.
	Open(ctx context.Context, opts ConvOptions, sink Sink) (Conversation, error)

	// Logf logs a warning in the engine's log.
	Logf(format string, args ...any)
}

// JobOpts qualify a job.
type JobOpts uint8

// JobNoPause marks a job that a CLIENT PAUSE must not hold: one that only
// reads the server's own state (INFO, CLIENT LIST). Other jobs wait out a
// pause, WRITE as well as ALL, since a job cannot tell beforehand whether
// one of its commands will write.
const JobNoPause JobOpts = 1

// Tx is a job's access to the engine. Its methods may be called only
// while the job runs, on the goroutine that runs it.
type Tx interface {
	// Call runs one command and returns its reply. Strings and elements
	// in the reply are valid until the job returns.
	Call(args ...[]byte) proto.Reply
	// SelectDB makes db the database of the commands that follow.
	SelectDB(db int)
	// Now is the engine's clock (the embedded engine's cached time).
	Now() time.Time
	// ActAs makes the job's commands that follow checked against the
	// ACL of user name (a caller of the mount mapped to that user); ""
	// is the file server itself, unrestricted. It reports false when
	// there is no such enabled user. (A remote engine: AUTH on a
	// connection of that user's.)
	ActAs(user string) bool
}

// Watcher is told of changes to the keyspace, in the order they happen,
// one call at a time and never while a job runs (see Ordering).
type Watcher interface {
	// KeyChanged is called for every change to a key, with Redis's
	// keyspace event name ("set", "del", "expired", "rename_to" …).
	KeyChanged(db int, key []byte, event string, at time.Time)
	// Emptied is called when database db was emptied or replaced as a
	// whole (FLUSHDB, SWAPDB); db is -1 for all of them (FLUSHALL).
	Emptied(db int, at time.Time)
	// BeforeReplies is called before the engine sends the replies of the
	// commands it ran since the last call, so that the caches those
	// commands invalidated can be dropped first. It must not wait (a job
	// waiting for the engine may hold what the wait needs); it returns
	// true to hold the replies instead: the engine keeps running jobs and
	// commands, sends none of its clients' replies, and asks again at
	// its next iteration, which wake (safe from any goroutine) brings
	// about. Jobs complete without waiting for it.
	BeforeReplies(wake func()) (hold bool)
}

// ConvOptions describe a conversation.
type ConvOptions struct {
	// Addr is the conversation's address as CLIENT LIST shows it.
	Addr string
	// Authenticated starts the conversation authenticated as the
	// default user: the mount's permissions are its authentication
	// (pub/sub and monitor files; ctl conversations AUTH as clients do).
	Authenticated bool
	// User starts the conversation authenticated as that ACL user (a
	// caller of the mount mapped to it: the mapping is its
	// authentication); Open fails when there is no such enabled user.
	User string
	// Held keeps the output that answers no Send (messages, MONITOR
	// lines) in the engine until Pull asks for it, counted against the
	// client's output buffer limits as a TCP client's unread replies
	// are; otherwise it goes to the sink as it comes.
	Held bool
}

// Conversation is one client of the engine, as a network connection is:
// request bytes in, replies and pushed messages out, to its Sink. Its
// methods may be called from any goroutine, one at a time; they fail when
// ctx is done first.
type Conversation interface {
	// Send appends request bytes (inline commands or RESP) and runs the
	// commands they complete, in order. The replies of the commands that
	// ran go to the sink's Output before Send returns; a command that
	// blocks (BLPOP) or is held by a pause answers later, and commands
	// written after it wait for it. A protocol error ends the
	// conversation (the sink's Closed). Send fails with ErrClosed once
	// the conversation has ended.
	Send(ctx context.Context, p []byte) error
	// Pull hands the held output, whole replies up to about max bytes,
	// to the sink's Output (Held conversations only). It reports
	// whether the conversation is still open.
	Pull(ctx context.Context, max int) (open bool, err error)
	// Deliver hands the sink, now, output already made for the
	// conversation that would otherwise wait for the loop's next
	// replies (tracking pushes, messages), when the replies are held
	// for the mount's coherence. The file server calls it once the
	// mount is coherent with what a write's commands changed, so that
	// what those commands produced is readable when the write returns.
	// Held conversations keep their output for Pull.
	Deliver(ctx context.Context) error
	// Close ends the conversation as a closed connection does: a
	// blocked command is dropped, subscriptions end.
	Close(ctx context.Context) error
}

// Sink receives what a conversation produces. Its methods are called one
// at a time (see Ordering), those a Send causes before Send returns.
type Sink interface {
	// Output receives one or more whole RESP replies. argv is the
	// command they answer (valid during the call only), or nil for
	// output that answers no command sent (pub/sub messages, MONITOR
	// lines). A blocked command's late reply comes with its argv.
	Output(argv [][]byte, resp []byte)
	// Ready tells a Held conversation's sink that output waits for Pull.
	Ready()
	// Pending tells whether more output is on its way without a new
	// request: a command is blocked or waiting to run, or the client is
	// subscribed or monitoring. It is called when that changes, and
	// after every Send.
	Pending(pending bool)
	// Unread returns how much output the sink holds that its reader has
	// not taken, for the output buffer limits of a subscribed or
	// monitoring client whose output the sink took as it came.
	Unread() int
	// Closed is called once, when the conversation ends (QUIT, a
	// protocol error, CLIENT KILL, an output buffer limit, Close).
	Closed()
}

// ErrClosed is returned by Send on a conversation that has ended.
var ErrClosed = errors.New("engine: conversation closed")
