package cmds

import (
	"strings"
	"sync"
	"time"
)

// Command flags, as Redis's CMD_*; COMMAND INFO prints their names.
const (
	CmdWrite uint64 = 1 << iota
	CmdReadonly
	CmdDenyOOM
	CmdModule
	CmdAdmin
	CmdPubsub
	CmdNoscript
	CmdBlocking
	CmdLoading
	CmdStale
	CmdSkipMonitor
	CmdSkipSlowlog
	CmdAsking
	CmdFast
	CmdNoAuth
	CmdMayReplicate
	CmdSentinel
	CmdOnlySentinel
	CmdNoMandatoryKeys
	CmdProtected
	CmdModuleGetKeys
	CmdModuleNoCluster
	CmdNoAsyncLoading
	CmdNoMulti
	CmdMovableKeys
	CmdAllowBusy
)

// CmdFlagNames maps each flag bit to the name COMMAND INFO gives it.
var CmdFlagNames = []struct {
	Flag uint64
	Name string
}{
	{CmdWrite, "write"}, {CmdReadonly, "readonly"}, {CmdDenyOOM, "denyoom"},
	{CmdModule, "module"}, {CmdAdmin, "admin"}, {CmdPubsub, "pubsub"},
	{CmdNoscript, "noscript"}, {CmdBlocking, "blocking"}, {CmdLoading, "loading"},
	{CmdStale, "stale"}, {CmdSkipMonitor, "skip_monitor"}, {CmdSkipSlowlog, "skip_slowlog"},
	{CmdAsking, "asking"}, {CmdFast, "fast"}, {CmdNoAuth, "no_auth"},
	{CmdMayReplicate, "may_replicate"}, {CmdSentinel, "sentinel"},
	{CmdOnlySentinel, "only_sentinel"}, {CmdNoMandatoryKeys, "no_mandatory_keys"},
	{CmdProtected, "protected"}, {CmdModuleGetKeys, "module_getkeys"},
	{CmdModuleNoCluster, "module_no_cluster"}, {CmdNoAsyncLoading, "no_async_loading"},
	{CmdNoMulti, "no_multi"}, {CmdMovableKeys, "movablekeys"}, {CmdAllowBusy, "allow_busy"},
}

// ACL categories, as Redis's ACL_CATEGORY_*.
const (
	AclKeyspace uint64 = 1 << iota
	AclRead
	AclWrite
	AclSet
	AclSortedSet
	AclList
	AclHash
	AclString
	AclBitmap
	AclHyperLogLog
	AclGeo
	AclStream
	AclPubsub
	AclAdmin
	AclFast
	AclSlow
	AclBlocking
	AclDangerous
	AclConnection
	AclTransaction
	AclScripting
)

// AclCategoryNames lists the categories in Redis's order with their names.
var AclCategoryNames = []struct {
	Flag uint64
	Name string
}{
	{AclKeyspace, "keyspace"}, {AclRead, "read"}, {AclWrite, "write"}, {AclSet, "set"},
	{AclSortedSet, "sortedset"}, {AclList, "list"}, {AclHash, "hash"}, {AclString, "string"},
	{AclBitmap, "bitmap"}, {AclHyperLogLog, "hyperloglog"}, {AclGeo, "geo"},
	{AclStream, "stream"}, {AclPubsub, "pubsub"}, {AclAdmin, "admin"}, {AclFast, "fast"},
	{AclSlow, "slow"}, {AclBlocking, "blocking"}, {AclDangerous, "dangerous"},
	{AclConnection, "connection"}, {AclTransaction, "transaction"}, {AclScripting, "scripting"},
}

// Command is one entry of the command table: data, as Redis's
// redisCommand. Arity counts the command name; a negative arity means "at
// least -Arity". Key positions follow the legacy (first, last, step) triple;
// a negative Last counts from the end.
type Command struct {
	Name       string // lower case; for a subcommand, just the subcommand
	Proc       func(c *Client)
	Arity      int
	Flags      uint64
	Acl        uint64
	First      int
	Last       int
	Step       int
	Group      string // COMMAND DOCS group: "string", "generic", "connection" …
	Since      string
	Summary    string
	Complexity string
	Tips       []string

	// Documentation that only COMMAND INFO and COMMAND DOCS show.
	keySpecs        []keySpec
	docFlags        []string    // "deprecated", "syscmd"
	deprecatedSince string      // version
	replacedBy      string      // what to use instead
	history         [][2]string // version, change
	docArgs         string      // the "arguments" of COMMAND DOCS, RESP3

	// GetKeys, when set, returns the key argument indexes of argv for
	// commands whose keys cannot be told by (First, Last, Step).
	GetKeys func(argv [][]byte) []int
	Subs    []*Command

	// Filled in by buildCommandTable.
	Parent   *Command
	FullName string // "get", "client|list"
	subs     map[string]*Command

	// id indexes the per-server statistics (Server.cmdStats): the
	// table is shared by every Server of the process, its counters are not.
	id int
}

// CommandStats are one command's counters, for INFO commandstats.
type CommandStats struct {
	Calls         int64
	Microseconds  int64
	RejectedCalls int64
	FailedCalls   int64
}

// The command table is built on first use, by buildCommandTable
// (commands.go), not by init functions: its implementations refer back to
// it, so it cannot be a package-level variable's initializer either.
var (
	commandTableOnce sync.Once
	commandTable     map[string]*Command // top-level commands by lower-case name
	numCommands      int                 // commands and subcommands in commandTable
)

// commands returns the command table, building it the first time.
func commands() map[string]*Command {
	commandTableOnce.Do(func() { commandTable, numCommands = buildCommandTable() })
	return commandTable
}

// commandEntries returns the number of commands and subcommands in the
// table, which sizes a server's statistics.
func commandEntries() int {
	commands()
	return numCommands
}

// CmdStats returns the server's counters of cmd.
func (srv *Server) CmdStats(cmd *Command) *CommandStats {
	return &srv.cmdStats[cmd.id]
}

// IsWrite reports whether the command may change the keyspace.
func (cmd *Command) IsWrite() bool { return cmd.Flags&CmdWrite != 0 }

// Commands returns the command table (read-only by convention).
func Commands() map[string]*Command { return commands() }

// lookupCommandName finds a top-level command by a name in any case,
// without allocating for names of reasonable length.
func lookupCommandName(name []byte) *Command {
	var buf [32]byte
	table := commands()
	if len(name) > len(buf) {
		return table[strings.ToLower(string(name))]
	}
	for i, ch := range name {
		if 'A' <= ch && ch <= 'Z' {
			ch += 'a' - 'A'
		}
		buf[i] = ch
	}
	return table[string(buf[:len(name)])]
}

// LookupCommand resolves argv to a command or subcommand, as Redis's
// lookupCommand: a container command with argc >= 2 resolves its
// subcommand, and an unknown subcommand yields nil.
func LookupCommand(argv [][]byte) *Command {
	cmd := lookupCommandName(argv[0])
	if cmd == nil || cmd.subs == nil || len(argv) < 2 {
		return cmd
	}
	return cmd.subs[strings.ToLower(string(argv[1]))]
}

// call runs c.cmd and does what Redis's call() does around it, in the same
// order: the latency monitor and the slow log, MONITOR, the per-command
// statistics, propagation to the AOF, client-side caching, and the end of
// the execution unit (which hands what it propagated to persistence).
// WATCH invalidation and waking blocked clients happen as keys change
// (SignalModifiedKey, signalKeyAsReady in db.go); processCommand serves
// the clients made ready once call returns.
func (c *Client) call() {
	srv := c.srv
	cmd := c.cmd
	start := time.Now()
	srv.cachedNow = start
	dirty := srv.Dirty
	errs := srv.Stats.ErrorReplies
	srv.currentClient = c
	prop := srv.enterCall(c, cmd)
	cmd.Proc(c)
	srv.currentClient = nil
	dur := time.Since(start).Microseconds()

	// The latency monitor, the latency histogram and the slow log; a
	// client that blocked is logged when it is unblocked (blocking.go).
	var argv [][]byte // c.Argv with secrets redacted, once needed
	if c.Flags&ClientBlocked == 0 {
		srv.latencyAfterCommand(cmd, dur)
		if cmd.Flags&CmdSkipSlowlog == 0 && srv.slowlogWanted(dur) {
			argv = redactArgs(cmd, c.Argv)
			srv.slowlogPush(c, argv, dur)
		}
	}
	// MONITOR sees every command but the administrative ones.
	if len(srv.monitors) > 0 && cmd.Flags&(CmdSkipMonitor|CmdAdmin) == 0 {
		if argv == nil {
			argv = redactArgs(cmd, c.Argv)
		}
		srv.feedMonitors(c, argv)
	}

	st := srv.CmdStats(cmd)
	st.Calls++
	st.Microseconds += dur
	if srv.Stats.ErrorReplies != errs {
		st.FailedCalls++
	}

	// A command that changed the keyspace goes to the AOF (propagate.go);
	// inside MULTI only EXEC's commands do, one by one.
	if srv.Dirty > dirty && c.Flags&ClientMulti == 0 {
		srv.propagateCommand(c, cmd)
	}

	// Client-side caching: remember the keys read, send the
	// invalidations the command caused to its own client (tracking.go).
	if srv.tracking.clients > 0 || len(srv.tracking.pending) > 0 {
		c.trackingAfterCall(cmd)
	}
	srv.Stats.NumCommands++

	// The end of a top-level call ends the execution unit (Redis's
	// afterCommand → propagatePendingCommands).
	srv.exitCall(prop)
}
