package cmds

import (
	"fmt"
	"io"
	"math/rand/v2"
	"os"
	"strings"
	"sync/atomic"
	"time"
)

// Log levels, as Redis's LL_*.
const (
	LogDebug = iota
	LogVerbose
	LogNotice
	LogWarning
	LogNothing
)

// Stats are the counters INFO stats reports.
type Stats struct {
	NumCommands            int64
	NumConnections         int64
	RejectedConns          int64
	ExpiredKeys            int64
	ExpiredStalePerc       float64
	ExpiredTimeCapReached  int64
	ExpireCycleTimeUsed    int64 // µs spent in active expire cycles
	EvictedKeys            int64
	KeyspaceHits           int64
	KeyspaceMisses         int64
	ErrorReplies           int64
	NetInputBytes          int64
	NetOutputBytes         int64
	ErrorCodes             map[string]int64
	UnexpectedErrorReplies int64
}

// Server is the state of one redisfs instance: its databases, clients,
// configuration and statistics, as Redis's redisServer. It is owned by one
// loop goroutine.
type Server struct {
	Config Config
	DBs    []*DB
	Stats  Stats
	// Dirty counts changes to the keyspace since the last save.
	Dirty int64
	// LastSave is the unix time of the last successful save, 0 until
	// one happens (LASTSAVE then reports the start time).
	LastSave int64

	StartTime     time.Time
	RunID         string
	Pid           int
	clients       map[int64]*Client
	cmdStats      []CommandStats // by Command.id
	nextClientID  int64
	pendingWrite  []*Client
	cachedNow     time.Time
	currentClient *Client

	// LogOut receives log lines; Logf writes Redis-format lines to it.
	LogOut io.Writer
	Role   byte // 'M' for master, as in log lines

	// hooks set by other packages
	afterCommand     func(c *Client, cmd *Command, usec int64)
	keyspaceHooks    []func(db int, key []byte, event string)
	beforeSleepHooks []func()
	// publishKeyspaceEvent publishes notifications (set by pub/sub).
	publishKeyspaceEvent func(class int, event string, key []byte, dbid int)
	// checkCommand runs extra checks in processCommand (ACL, OOM, pub/sub
	// context); it replies and returns false to reject.
	checkCommand func(c *Client, cmd *Command) bool
	// propagate feeds a write command to persistence and replicas.
	propagate func(c *Client, cmd *Command)
	// touchWatchedKey invalidates WATCHes on key (set by MULTI/WATCH).
	touchWatchedKey func(db *DB, key []byte)
	// keyReady wakes clients blocked on key (set by blocking commands).
	keyReady func(db *DB, key []byte, typ uint8)
	// propagateExpire feeds the DEL of an expired key to persistence.
	propagateExpire func(db *DB, key []byte)
	// unwatchAll drops a client's WATCHes (set by WATCH).
	unwatchAll func(c *Client)
	// onFlush runs after FLUSHDB/FLUSHALL (dbnum -1 = all).
	onFlush func(dbnum int)
	// beforeEmpty runs before EmptyData drops the keys of dbnum (-1 =
	// all), while they are still there (WATCH invalidation).
	beforeEmpty func(dbnum int)

	// State of the transaction, pub/sub, ACL, eviction and introspection
	// families (watch.go, pubsub.go, notify.go, acl.go, evict.go,
	// slowlog.go, latency.go, monitor.go).
	watch    watchState
	pubsub   pubsubState
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
	// configSetHooks run after a successful CONFIG SET, once per
	// directive it changed (OnConfigSet).
	configSetHooks []func(name string)
	// persist is the state of persistence and propagation
	// (persist_cmds.go, propagate.go).
	persist persistState

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
func NewServer(cfg Config) *Server {
	srv := &Server{
		Config:    cfg,
		StartTime: time.Now(),
		Pid:       os.Getpid(),
		clients:   map[int64]*Client{},
		LogOut:    os.Stdout,
		Role:      'M',
	}
	srv.Stats.ErrorCodes = map[string]int64{}
	srv.cmdStats = make([]CommandStats, numCommands)
	var id [20]byte
	for i := range id {
		id[i] = "0123456789abcdef"[rand.IntN(16)]
	}
	srv.RunID = string(id[:]) + string(id[:])
	srv.DBs = make([]*DB, cfg.Databases)
	for i := range srv.DBs {
		srv.DBs[i] = newDB(i)
	}
	srv.cachedNow = time.Now()
	srv.updateLRUClock()
	srv.OnBeforeSleep(srv.activeExpireCycleFast)
	for _, f := range serverInitHooks {
		f(srv)
	}
	return srv
}

// serverInitHooks run at the end of NewServer: command families set the
// Server's hooks (touchWatchedKey, checkCommand, afterCommand …) there.
var serverInitHooks []func(srv *Server)

// Logf writes a log line in Redis's format ("pid:M 26 Nov 2026 11:00:00.123 * msg").
func (srv *Server) Logf(level int, format string, args ...any) {
	if level < srv.logLevel() || srv.LogOut == nil {
		return
	}
	marks := "-.*#"
	now := time.Now()
	fmt.Fprintf(srv.LogOut, "%d:%c %s.%03d %c %s\n", srv.Pid, srv.Role,
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
		return LogNothing
	}
	return LogNotice
}

// Now returns the time cached for the command being executed, so that one
// command sees one instant (as Redis's cached mstime).
func (srv *Server) Now() time.Time { return srv.cachedNow }

func (srv *Server) unixMs() int64 { return srv.cachedNow.UnixMilli() }

// Mstime returns the cached time in unix milliseconds.
func (srv *Server) Mstime() int64 { return srv.cachedNow.UnixMilli() }

// UpdateCachedTime refreshes the cached time; the front end calls it before
// processing each batch of events.
func (srv *Server) UpdateCachedTime() { srv.cachedNow = time.Now() }

func (srv *Server) countError(code string) {
	srv.Stats.ErrorReplies++
	if len(srv.Stats.ErrorCodes) < 128 {
		srv.Stats.ErrorCodes[code]++
	} else if _, ok := srv.Stats.ErrorCodes[code]; ok {
		srv.Stats.ErrorCodes[code]++
	}
}

// OnKeyspaceEvent registers f to be called (on the loop) for every change to
// a key, whatever notify-keyspace-events says: the file server's cache
// invalidation rides on it. event is Redis's event name ("set", "del",
// "expired" …).
func (srv *Server) OnKeyspaceEvent(f func(db int, key []byte, event string)) {
	srv.keyspaceHooks = append(srv.keyspaceHooks, f)
}

// OnEmptyData registers f to be called (on the loop) after the keys of a
// database were replaced wholesale, which no per-key event reports:
// FLUSHDB and FLUSHALL (dbnum -1 = all) and SWAPDB (once per database). It
// chains onto onFlush, so the file server's cache invalidation sees them.
func (srv *Server) OnEmptyData(f func(dbnum int)) {
	prev := srv.onFlush
	srv.onFlush = func(dbnum int) {
		if prev != nil {
			prev(dbnum)
		}
		f(dbnum)
	}
}

// OnBeforeSleep registers f to run in every beforeSleep, after replies are
// queued and before they are flushed.
func (srv *Server) OnBeforeSleep(f func()) { srv.beforeSleepHooks = append(srv.beforeSleepHooks, f) }

// NotifyKeyspaceEvent reports a change to key in db: it runs the internal
// hooks and, per notify-keyspace-events, publishes the keyspace and keyevent
// notifications (once pub/sub exists).
func (srv *Server) NotifyKeyspaceEvent(class int, event string, key []byte, dbid int) {
	for _, f := range srv.keyspaceHooks {
		f(dbid, key, event)
	}
	if srv.publishKeyspaceEvent != nil {
		srv.publishKeyspaceEvent(class, event, key, dbid)
	}
}

// Keyspace event classes, as Redis's NOTIFY_*.
const (
	NotifyKeyspace = 1 << iota
	NotifyKeyevent
	NotifyGeneric
	NotifyString
	NotifyList
	NotifySet
	NotifyHash
	NotifyZSet
	NotifyExpired
	NotifyEvicted
	NotifyStream
	NotifyKeyMiss
	NotifyLoaded
	NotifyModule
	NotifyNew
)

// ProcessCommand looks c.Argv up, checks it and runs it, as Redis's
// processCommand; the reply (or error) goes to c.
func (srv *Server) ProcessCommand(c *Client) {
	srv.processCommand(c)
	// CLIENT CACHING covers the next command only (Redis's resetClient).
	if c.Flags&ClientTrackingCaching != 0 {
		c.trackingResetCaching()
	}
}

func (srv *Server) processCommand(c *Client) {
	cmd := LookupCommand(c.Argv)
	c.cmd = cmd
	if cmd == nil {
		srv.rejectUnknown(c)
		return
	}
	c.lastCmd = cmd
	if (cmd.Arity > 0 && cmd.Arity != len(c.Argv)) || len(c.Argv) < -cmd.Arity {
		srv.CmdStats(cmd).RejectedCalls++
		c.rejectCommand(fmt.Sprintf("wrong number of arguments for '%s' command", cmd.FullName))
		return
	}
	if !c.Authenticated && cmd.Flags&CmdNoAuth == 0 {
		srv.CmdStats(cmd).RejectedCalls++
		c.rejectCommand("-NOAUTH Authentication required.")
		return
	}
	if srv.checkCommand != nil && !srv.checkCommand(c, cmd) {
		srv.CmdStats(cmd).RejectedCalls++
		c.discardTransaction()
		return
	}
	// Keep the client-side caching table within its limit.
	if srv.tracking.clients > 0 {
		srv.trackingLimitUsedSlots(c)
	}
	// A pause postpones the command (after every check, before MULTI
	// queueing, as Redis's processCommand).
	if srv.pause.typ != pauseOff && srv.mustPostpone(c, cmd) {
		srv.blockPostponeClient(c)
		return
	}
	if c.Flags&ClientMulti != 0 && !isMultiControl(cmd) {
		c.queueMultiCommand()
		return
	}
	c.call()
	// Serve the clients blocked on keys this command made ready, as
	// Redis does right after call().
	if len(srv.blocking.ready) > 0 {
		srv.handleClientsBlockedOnKeys()
	}
	c.Flags &^= ClientReplySkip
	if c.Flags&ClientReplySkipNext != 0 {
		c.Flags = c.Flags&^ClientReplySkipNext | ClientReplySkip
	}
}

func (srv *Server) rejectUnknown(c *Client) {
	base := lookupCommandName(c.Argv[0])
	if base != nil && base.subs != nil && len(c.Argv) >= 2 {
		c.AddReplyErrorFormat("unknown subcommand '%s'. Try %s HELP.",
			cstrN(c.Argv[1], 128), strings.ToUpper(base.Name))
	} else {
		var args []byte
		for _, a := range c.Argv[1:] {
			if len(args) >= 128 {
				break
			}
			args = append(args, '\'')
			args = append(args, cstrN(a, 128-len(args)+1)...)
			args = append(args, "' "...)
		}
		c.AddReplyErrorFormat("unknown command '%s', with args beginning with: %s", cstrN(c.Argv[0], 128), args)
	}
	c.discardTransaction()
}

// afterWrite runs after a command that changed the keyspace (propagation to
// AOF and replicas will hang here).
func (srv *Server) afterWrite(c *Client, cmd *Command) {
	if srv.propagate != nil {
		srv.propagate(c, cmd)
	}
}

// BeforeSleep is called by the front end before the loop sleeps: it runs
// the registered hooks and asks every client with pending replies to flush
// them, and frees the clients marked to close.
func (srv *Server) BeforeSleep() {
	for _, f := range srv.beforeSleepHooks {
		f()
	}
	// The AOF is written (and synced, with appendfsync always) before
	// any reply acknowledges what it holds.
	srv.persistBeforeReplies()
	srv.HandleClientsWithPendingWrites()
}

// HandleClientsWithPendingWrites flushes the replies of every client that has
// some, through its transport.
func (srv *Server) HandleClientsWithPendingWrites() {
	for len(srv.pendingWrite) > 0 {
		list := srv.pendingWrite
		srv.pendingWrite = nil
		for i, c := range list {
			list[i] = nil
			c.Flags &^= ClientPendingWrite
			if _, live := srv.clients[c.ID]; !live {
				continue
			}
			if c.Conn != nil {
				c.Conn.Flush(c)
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

// LRUClock returns the current LRU clock (seconds, 24 bits).
func (srv *Server) LRUClock() uint32 { return srv.lruClock }

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

// InstantaneousOps returns the recent commands per second.
func (srv *Server) InstantaneousOps() int64 {
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
		if c.Flags&(ClientInternal|ClientBlocked|ClientPubsub|ClientMonitor|ClientProtected) != 0 {
			continue
		}
		if c.LastInteract < limit {
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
