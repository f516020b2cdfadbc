package cmds

import (
	"fmt"
	"io"
	"math/rand/v2"
	"net"
	"os"
	"strings"
	"sync/atomic"
	"time"
)

// Log levels, as Redis's LL_*.
//
// The exported names are used by cmd/redisfs, core/persist, core/server and fs/local.
const (
	LogDebug = iota
	LogVerbose
	LogNotice
	LogWarning
	logNothing
)

// stats are the counters INFO stats reports.
type stats struct {
	NumCommands            int64
	NumConnections         int64
	RejectedConns          int64
	expiredKeys            int64
	expiredStalePerc       float64
	expiredTimeCapReached  int64
	expireCycleTimeUsed    int64 // µs spent in active expire cycles
	evictedKeys            int64
	keyspaceHits           int64
	keyspaceMisses         int64
	errorReplies           int64
	NetInputBytes          int64
	NetOutputBytes         int64
	errorCodes             map[string]int64
	unexpectedErrorReplies int64
}

// Server is the state of one redisfs instance: its databases, clients,
// configuration and statistics, as Redis's redisServer. It is owned by one
// loop goroutine.
//
// Used by cmd/redisfs, core/persist, core/server and fs/local (and the tests of core/cmds).
type Server struct {
	Config Config
	DBs    []*DB
	Stats  stats
	// Dirty counts changes to the keyspace since the last save.
	Dirty int64
	// LastSave is the unix time of the last successful save, 0 until
	// one happens (LASTSAVE then reports the start time).
	LastSave int64

	StartTime time.Time
	runID     string
	// replIDChanged, when set, is the replication id DEBUG CHANGE-REPL-ID
	// chose (introspect.go).
	replIDChanged string
	// quicklistPackedThreshold is DEBUG QUICKLIST-PACKED-THRESHOLD's
	// value (Redis's packed_threshold, 1 GB by default). Only the value
	// is kept: the quicklist has no plain nodes (core/types/quicklist.go).
	quicklistPackedThreshold uint64
	pid                      int
	clients                  map[int64]*Client
	cmdStats                 []commandStats // by Command.id
	nextClientID             int64
	pendingWrite             []*Client
	cachedNow                time.Time
	currentClient            *Client

	// LogOut receives log lines; Logf writes Redis-format lines to it.
	LogOut io.Writer
	role   byte // 'M' for master, as in log lines

	// Hooks that other packages set, on the loop, through the
	// registration methods that document them: OnKeyspaceEvent,
	// OnEmptyData, OnBeforeSleep and OnConfigSet (the file server, the
	// front end). Nothing in this package calls through a function field
	// what it can call by name.
	keyspaceHooks    []func(db int, key []byte, event string)
	emptyDataHooks   []func(dbnum int)
	beforeSleepHooks []func()
	configSetHooks   []func(name string)
	// holdReplies: a before-sleep hook asked to keep this iteration's
	// replies pending (HoldReplies).
	holdReplies bool

	// State of the transaction, pub/sub, ACL, eviction and introspection
	// families (watch.go, pubsub.go, notify.go, acl.go, evict.go,
	// slowlog.go, latency.go, monitor.go).
	watch  watchState
	pubsub pubsubState
	// obuf is client-output-buffer-limit parsed (obuf.go).
	obuf     obufState
	notify   notifyState
	acl      *aclState
	evict    evictState
	slowlog  slowlogState
	latency  latencyState
	monitors []*Client
	// blocking holds the clients blocked on keys and the keys ready to
	// serve them (blocking.go).
	blocking blockingState
	inExec   int // > 0 while EXEC runs its queued commands
	// pause is CLIENT PAUSE's state and the commands it postponed
	// (pause.go).
	pause pauseState
	// tracking is the client-side caching state (tracking.go).
	tracking trackingState
	// persist is the state of persistence and propagation
	// (persist_cmds.go, propagate.go).
	persist persistState
	// scripting is the Lua scripting state (script.go).
	scripting scriptingState
	// functions are the FUNCTION libraries (function.go).
	functions functionsState

	// Shutdown is set by SHUTDOWN (and signals); the front end stops the loop.
	ShutdownRequested atomic.Bool
	// OnShutdown is called by SHUTDOWN on the loop; the front end stops.
	OnShutdown func()

	lruClock        uint32
	cronLoops       int64
	statOpsSamples  [16]int64
	statOpsIdx      int
	statOpsLastCmds int64
	statOpsLastTime int64
	expireCycle     expireCycleState
}

// NewServer creates a server with cfg and its databases.
//
// Used by cmd/redisfs and core/redistest (and the tests of core/persist, fs, fs/local and core/cmds).
func NewServer(cfg Config) *Server {
	srv := &Server{
		Config:    cfg,
		StartTime: time.Now(),
		pid:       os.Getpid(),
		clients:   map[int64]*Client{},
		LogOut:    os.Stdout,
		role:      'M',
	}
	srv.Stats.errorCodes = map[string]int64{}
	srv.cmdStats = make([]commandStats, commandEntries())
	var id [20]byte
	for i := range id {
		id[i] = "0123456789abcdef"[rand.IntN(16)]
	}
	srv.runID = string(id[:]) + string(id[:])
	srv.DBs = make([]*DB, cfg.Databases)
	for i := range srv.DBs {
		srv.DBs[i] = newDB(i)
	}
	srv.cachedNow = time.Now()
	srv.updateLRUClock()
	// The state of each family that keeps some, as Redis's initServer.
	srv.acl = newACLState() // acl.go
	srv.aclUpdateDefaultUserPassword(cfg.requirePass)
	srv.pubsub = newPubsubState()           // pubsub.go
	srv.watch = newWatchState(len(srv.DBs)) // watch.go
	srv.evict.init()                        // evict.go
	return srv
}

// Logf writes a log line in Redis's format ("pid:M 26 Nov 2026 11:00:00.123 * msg").
//
// Used by cmd/redisfs, core/persist, core/server and fs/local.
func (srv *Server) Logf(level int, format string, args ...any) {
	if level < srv.logLevel() || srv.LogOut == nil {
		return
	}
	marks := "-.*#"
	now := time.Now()
	fmt.Fprintf(srv.LogOut, "%d:%c %s.%03d %c %s\n", srv.pid, srv.role,
		now.Format("02 Jan 2006 15:04:05"), now.Nanosecond()/1e6, marks[level], fmt.Sprintf(format, args...))
}

func (srv *Server) logLevel() int {
	switch srv.Config.LogLevel {
	case "debug":
		return LogDebug
	case "verbose":
		return LogVerbose
	case "warning":
		return LogWarning
	case "nothing":
		return logNothing
	}
	return LogNotice
}

// Now returns the time cached for the command being executed, so that one
// command sees one instant (as Redis's cached mstime).
//
// Used by fs/local.
func (srv *Server) Now() time.Time { return srv.cachedNow }

func (srv *Server) unixMs() int64 { return srv.cachedNow.UnixMilli() }

// mstime returns the cached time in unix milliseconds.
func (srv *Server) mstime() int64 { return srv.cachedNow.UnixMilli() }

// UpdateCachedTime refreshes the cached time; the front end calls it before
// processing each batch of events.
//
// Used by core/server (and the tests of fs and fs/local).
func (srv *Server) UpdateCachedTime() { srv.cachedNow = time.Now() }

func (srv *Server) countError(code string) {
	srv.Stats.errorReplies++
	if len(srv.Stats.errorCodes) < 128 {
		srv.Stats.errorCodes[code]++
	} else if _, ok := srv.Stats.errorCodes[code]; ok {
		srv.Stats.errorCodes[code]++
	}
}

// OnKeyspaceEvent registers f to be called (on the loop) for every change to
// a key, whatever notify-keyspace-events says: the file server's cache
// invalidation rides on it. event is Redis's event name ("set", "del",
// "expired" …).
//
// Used by fs/local (and the tests of core/cmds).
func (srv *Server) OnKeyspaceEvent(f func(db int, key []byte, event string)) {
	srv.keyspaceHooks = append(srv.keyspaceHooks, f)
}

// OnEmptyData registers f to be called (on the loop) after the keys of a
// database were replaced wholesale, which no per-key event reports:
// FLUSHDB and FLUSHALL (dbnum -1 = all) and SWAPDB (once per database).
// The file server's cache invalidation rides on it.
//
// Used by fs/local.
func (srv *Server) OnEmptyData(f func(dbnum int)) {
	srv.emptyDataHooks = append(srv.emptyDataHooks, f)
}

// emptyDataDone runs the OnEmptyData hooks for dbnum.
func (srv *Server) emptyDataDone(dbnum int) {
	for _, f := range srv.emptyDataHooks {
		f(dbnum)
	}
}

// OnBeforeSleep registers f to run (on the loop) in every BeforeSleep,
// after this package's own before-sleep work and before replies are
// flushed: the file server measures its load there.
//
// Used by fs/local.
func (srv *Server) OnBeforeSleep(f func()) { srv.beforeSleepHooks = append(srv.beforeSleepHooks, f) }

// HoldReplies, called by an OnBeforeSleep hook, keeps the pending replies
// of every client unsent in this BeforeSleep: they go out in a later one,
// once no hook holds them. The loop goes on meanwhile (commands, jobs,
// timers); the hook arranges a wake-up (a Post) for when it is done. The
// file server holds replies until the kernel has dropped what it cached of
// the keys they changed, so that a client holding a reply finds the mount
// coherent with it.
//
// Used by fs/local.
func (srv *Server) HoldReplies() { srv.holdReplies = true }

// notifyKeyspaceEvent reports a change to key in db: it runs the
// OnKeyspaceEvent hooks and, per notify-keyspace-events, publishes the
// keyspace and keyevent notifications (notify.go).
func (srv *Server) notifyKeyspaceEvent(class int, event string, key []byte, dbid int) {
	for _, f := range srv.keyspaceHooks {
		f(dbid, key, event)
	}
	srv.publishKeyspaceEvent(class, event, key, dbid)
}

// Keyspace event classes, as Redis's NOTIFY_*.
const (
	notifyKeyspace = 1 << iota
	notifyKeyevent
	notifyGeneric
	notifyString
	notifyList
	notifySet
	notifyHash
	notifyZSet
	notifyExpired
	notifyEvicted
	notifyStream
	notifyKeyMiss
	notifyLoaded
	notifyModule
	notifyNew
)

// processCommandAndReset looks c.Argv up, checks it and runs it, as Redis's
// processCommand; the reply (or error) goes to c.
func (srv *Server) processCommandAndReset(c *Client) {
	srv.processCommand(c)
	// CLIENT CACHING covers the next command only (Redis's resetClient).
	if c.Flags&clientTrackingCaching != 0 {
		c.trackingResetCaching()
	}
}

// processCommand is Redis 7.0's processCommand: every refusal is one `if`
// below, in server.c's order, and a command that passes them all is
// queued (inside MULTI), postponed (during a CLIENT PAUSE) or run by call.
// A refusal replies through rejectCommand, which counts the rejected call
// and flags an open transaction so that its EXEC fails.
//
// Of server.c's checks, these have no counterpart here, for lack of the
// feature they guard: cluster redirection,
// client eviction (maxmemory-clients), min-replicas-to-write, the
// read-only replica, MASTERDOWN and LOADING (data load never yields to
// clients), and the module-yield postponement.
func (srv *Server) processCommand(c *Client) {
	// Lookup and arity, the trivial errors, first.
	cmd := LookupCommand(c.argv)
	c.cmd = cmd
	if cmd == nil {
		srv.rejectUnknown(c)
		return
	}
	c.lastCmd = cmd
	if (cmd.arity > 0 && cmd.arity != len(c.argv)) || len(c.argv) < -cmd.arity {
		c.rejectCommand(fmt.Sprintf("wrong number of arguments for '%s' command", cmd.fullName))
		return
	}

	// DEBUG and MODULE LOAD/UNLOAD only where enable-debug-command and
	// enable-module-command allow them.
	if refused := protectedCommand(c, cmd); refused != "" {
		c.rejectCommand(fmt.Sprintf("%s command not allowed. If the %s option is set to \"local\", "+
			"you can run it from a local connection, otherwise you need to set this option "+
			"in the configuration file, and then restart the server.", strings.ToUpper(refused), "enable-"+refused+"-command"))
		return
	}

	// Authentication: only AUTH, HELLO and the like before it.
	if !c.Authenticated && cmd.flags&cmdNoAuth == 0 {
		c.rejectCommand("-NOAUTH Authentication required.")
		return
	}

	if c.Flags&ClientMulti != 0 && cmd.flags&cmdNoMulti != 0 {
		c.rejectCommand("Command not allowed inside a transaction")
		return
	}

	// ACLs: the command, its keys and its channels (acl.go).
	if !srv.aclCheckCommand(c) {
		return
	}

	// maxmemory: evict first, then refuse what would grow memory
	// (evict.go).
	if srv.Config.MaxMemory > 0 && !srv.checkMaxmemory(c, cmd) {
		return
	}

	// Keep the client-side caching table within tracking-table-max-keys
	// (tracking.go).
	if srv.tracking.clients > 0 {
		srv.trackingLimitUsedSlots(c)
	}

	// MISCONF: no writes (nor PING) while the last background save or
	// AOF write failed (persist_cmds.go).
	if !srv.checkDiskError(c, cmd) {
		return
	}

	// A RESP2 client in subscribed state may only (un)subscribe, PING,
	// QUIT and RESET (pubsub.go); RESP3 has no such context.
	if c.Flags&ClientPubsub != 0 && c.resp == 2 && !pubsubAllowedCommand(cmd) {
		c.rejectCommand("Can't execute '" + cmd.fullName + "': only (P|S)SUBSCRIBE / (P|S)UNSUBSCRIBE / PING / QUIT / RESET are allowed in this context")
		return
	}

	// A script past busy-reply-threshold is serving us from inside
	// itself: only the allow-busy commands run (script.go).
	if msg, busy := srv.scriptBusy(); busy && cmd.flags&cmdAllowBusy == 0 {
		c.rejectCommand(msg)
		return
	}

	// A MONITOR client is a replica to Redis: it may not touch the
	// keyspace.
	if c.Flags&ClientMonitor != 0 && cmd.flags&(cmdMayReplicate|cmdWrite|cmdReadonly) != 0 {
		c.rejectCommand("Replica can't interact with the keyspace")
		return
	}

	// CLIENT PAUSE: the command waits, kept whole, until the pause ends
	// (pause.go); it then comes back through here.
	if srv.pause.typ != pauseOff && srv.mustPostpone(c, cmd) {
		srv.blockPostponeClient(c)
		return
	}

	// Inside MULTI every command but the few that control the transaction
	// is queued (multi.go).
	if c.Flags&ClientMulti != 0 && !isMultiControl(cmd) {
		c.queueMultiCommand()
		return
	}

	c.call()
	// Serve the clients blocked on keys this command made ready
	// (blocking.go), as Redis does right after call().
	if len(srv.blocking.ready) > 0 {
		srv.handleClientsBlockedOnKeys()
	}
	// A client whose replies passed its class's
	// client-output-buffer-limit is closed ASAP and reads no further
	// command (Redis checks as replies are added; pubsub.go).
	srv.checkOutputBufferLimits(c)
	c.Flags &^= clientReplySkip
	if c.Flags&clientReplySkipNext != 0 {
		c.Flags = c.Flags&^clientReplySkipNext | clientReplySkip
	}
}

func (srv *Server) rejectUnknown(c *Client) {
	base := lookupCommandName(c.argv[0])
	if base != nil && base.subs != nil && len(c.argv) >= 2 {
		c.addReplyErrorFormat("unknown subcommand '%s'. Try %s HELP.",
			cstrN(c.argv[1], 128), strings.ToUpper(base.name))
	} else {
		var args []byte
		for _, a := range c.argv[1:] {
			if len(args) >= 128 {
				break
			}
			args = append(args, '\'')
			args = append(args, cstrN(a, 128-len(args)+1)...)
			args = append(args, "' "...)
		}
		c.addReplyErrorFormat("unknown command '%s', with args beginning with: %s", cstrN(c.argv[0], 128), args)
	}
	c.discardTransaction()
}

// BeforeSleep is called by the front end before the loop sleeps, as
// Redis's beforeSleep: a fast expire cycle, the clients blocked on keys,
// eviction left over, the clients a CLIENT PAUSE postponed, tracking's
// broadcasts, the OnBeforeSleep hooks; then the AOF write, and every
// client with pending replies is asked to flush them (the clients marked
// to close are freed).
//
// Used by core/server (and the tests of core/cmds).
func (srv *Server) BeforeSleep() {
	srv.activeExpireCycleFast()   // expire.go
	srv.blockingBeforeSleep()     // blocking.go
	srv.evictionBeforeSleep()     // evict.go
	srv.processPostponedClients() // pause.go
	srv.trackingBeforeSleep()     // tracking.go
	for _, f := range srv.beforeSleepHooks {
		f()
	}
	// The AOF is written (and synced, with appendfsync always) before
	// any reply acknowledges what it holds.
	srv.persistBeforeReplies()
	if srv.holdReplies {
		srv.holdReplies = false
		return
	}
	srv.HandleClientsWithPendingWrites()
}

// HandleClientsWithPendingWrites flushes the replies of every client that has
// some, through its transport.
//
// Used by core/persist.
func (srv *Server) HandleClientsWithPendingWrites() {
	for len(srv.pendingWrite) > 0 {
		list := srv.pendingWrite
		srv.pendingWrite = nil
		for i, c := range list {
			list[i] = nil
			c.Flags &^= clientPendingWrite
			if _, live := srv.clients[c.ID]; !live {
				continue
			}
			// Replies that reached it other than by its own
			// command (a served BLPOP, MONITOR, invalidations).
			srv.checkOutputBufferLimits(c)
			if c.conn != nil {
				c.conn.Flush(c)
			}
			if c.Sent >= len(c.Reply) {
				c.ResetReply()
				if c.Flags&ClientCloseAfterReply != 0 {
					srv.FreeClient(c)
				}
			}
			if c.Flags&ClientCloseASAP != 0 {
				srv.FreeClient(c)
			}
		}
		if srv.pendingWrite == nil {
			srv.pendingWrite = list[:0]
		}
	}
}

// ResetReply empties the reply buffer after it has been written, dropping
// it when a big reply grew it.
//
// Used by core/server and fs/local (and the tests of core/cmds).
func (c *Client) ResetReply() {
	c.Sent = 0
	// 256 KB keeps a pipelined batch of mid-sized replies (LRANGE of
	// hundreds of elements × 16) from reallocating every round, while
	// 10,000 idle clients still cannot pin more than a few GB.
	if cap(c.Reply) > 256*1024 {
		c.Reply = nil
	} else {
		c.Reply = c.Reply[:0]
	}
}

// Cron is serverCron: the front end calls it Config.Hz times a second. It
// keeps the clock, expires keys, resizes tables and samples statistics.
//
// Used by core/server.
func (srv *Server) Cron() {
	srv.UpdateCachedTime()
	srv.updateLRUClock()
	srv.cronLoops++
	srv.trackOps()
	srv.clientsCron()
	srv.databasesCron()
	// End a client pause whose time has come.
	srv.checkClientPauseTimeoutAndReturnIfPaused()
	srv.persistCron()
	// Also when idle, after a CONFIG SET of tracking-table-max-keys.
	if srv.tracking.clients > 0 {
		srv.trackingLimitUsedSlots(nil)
	}
}

func (srv *Server) updateLRUClock() {
	srv.lruClock = uint32(srv.cachedNow.Unix()) & (1<<24 - 1)
}

func (srv *Server) trackOps() {
	now := srv.cachedNow.UnixMilli()
	if srv.statOpsLastTime != 0 && now > srv.statOpsLastTime {
		ops := (srv.Stats.NumCommands - srv.statOpsLastCmds) * 1000 / (now - srv.statOpsLastTime)
		srv.statOpsSamples[srv.statOpsIdx%len(srv.statOpsSamples)] = ops
		srv.statOpsIdx++
	}
	srv.statOpsLastTime = now
	srv.statOpsLastCmds = srv.Stats.NumCommands
}

// instantaneousOps returns the recent commands per second.
func (srv *Server) instantaneousOps() int64 {
	var sum int64
	for _, s := range srv.statOpsSamples {
		sum += s
	}
	return sum / int64(len(srv.statOpsSamples))
}

// clientsCron closes clients idle for longer than timeout.
func (srv *Server) clientsCron() {
	if srv.Config.Timeout <= 0 {
		return
	}
	limit := srv.unixMs() - int64(srv.Config.Timeout)*1000
	for _, c := range srv.clients {
		if c.Flags&(ClientInternal|ClientBlocked|ClientPubsub|ClientMonitor|clientProtected) != 0 {
			continue
		}
		if c.lastInteract < limit {
			srv.Logf(LogVerbose, "Closing idle client")
			srv.FreeClient(c)
		}
	}
}

// databasesCron runs the active expire cycle and incremental rehashing.
func (srv *Server) databasesCron() {
	srv.activeExpireCycle(false)
	for _, db := range srv.DBs {
		db.Dict.ShrinkIfNeeded()
		db.Expires.ShrinkIfNeeded()
		start := time.Now()
		for db.Dict.Rehash(100) && time.Since(start) < time.Millisecond {
		}
		for db.Expires.Rehash(100) && time.Since(start) < time.Millisecond {
		}
	}
}

// protectedCommand returns "debug" or "module" when cmd is one of Redis's
// protected commands (DEBUG; MODULE LOAD, LOADEX and UNLOAD) and the
// configuration does not let c run it, else "".
func protectedCommand(c *Client, cmd *command) string {
	if cmd.flags&cmdProtected == 0 {
		return ""
	}
	if cmd.parent == nil { // DEBUG
		if !allowProtectedAction(c.srv.Config.EnableDebugCommand, c) {
			return "debug"
		}
	} else if !allowProtectedAction(c.srv.Config.EnableModuleCommand, c) {
		return "module"
	}
	return ""
}

// allowProtectedAction reports whether setting ("no", "yes", "local")
// lets c run a protected action: "local" admits what Redis's
// islocalClient admits, a unix-socket client or a TCP one from 127.0.0.1
// or ::1, and also the mount's clients (a ctl conversation, a file
// operation), which are processes of this machine with no network peer.
func allowProtectedAction(setting string, c *Client) bool {
	switch setting {
	case "yes":
		return true
	case "local":
		return isLocalClient(c)
	}
	return false
}

// isLocalClient: see allowProtectedAction.
func isLocalClient(c *Client) bool {
	if c.Flags&ClientUnixSocket != 0 || c.conn == nil {
		return true
	}
	addr := c.conn.RemoteAddr()
	host := addr
	if i := strings.LastIndexByte(addr, ':'); i >= 0 {
		host = addr[:i]
	}
	host = strings.TrimSuffix(strings.TrimPrefix(host, "["), "]")
	ip := net.ParseIP(host)
	if ip == nil {
		return true // not a network peer: the mount
	}
	return host == "127.0.0.1" || host == "::1"
}
