package cmds

import (
	"strings"
	"sync"
	"time"
)

// Command flags, as Redis's CMD_*; COMMAND INFO prints their names.
const (
	cmdWrite uint64 = 1 << iota
	cmdReadonly
	cmdDenyOOM
	cmdModule
	cmdAdmin
	cmdPubsub
	cmdNoscript
	cmdBlocking
	cmdLoading
	cmdStale
	cmdSkipMonitor
	cmdSkipSlowlog
	cmdAsking
	cmdFast
	cmdNoAuth
	cmdMayReplicate
	cmdSentinel
	cmdOnlySentinel
	cmdNoMandatoryKeys
	cmdProtected
	cmdModuleGetKeys
	cmdModuleNoCluster
	cmdNoAsyncLoading
	cmdNoMulti
	cmdMovableKeys
	cmdAllowBusy
)

// cmdFlagNames maps each flag bit to the name COMMAND INFO gives it.
var cmdFlagNames = []struct {
	flag uint64
	name string
}{
	{cmdWrite, "write"}, {cmdReadonly, "readonly"}, {cmdDenyOOM, "denyoom"},
	{cmdModule, "module"}, {cmdAdmin, "admin"}, {cmdPubsub, "pubsub"},
	{cmdNoscript, "noscript"}, {cmdBlocking, "blocking"}, {cmdLoading, "loading"},
	{cmdStale, "stale"}, {cmdSkipMonitor, "skip_monitor"}, {cmdSkipSlowlog, "skip_slowlog"},
	{cmdAsking, "asking"}, {cmdFast, "fast"}, {cmdNoAuth, "no_auth"},
	{cmdMayReplicate, "may_replicate"}, {cmdSentinel, "sentinel"},
	{cmdOnlySentinel, "only_sentinel"}, {cmdNoMandatoryKeys, "no_mandatory_keys"},
	{cmdProtected, "protected"}, {cmdModuleGetKeys, "module_getkeys"},
	{cmdModuleNoCluster, "module_no_cluster"}, {cmdNoAsyncLoading, "no_async_loading"},
	{cmdNoMulti, "no_multi"}, {cmdMovableKeys, "movablekeys"}, {cmdAllowBusy, "allow_busy"},
}

// ACL categories, as Redis's ACL_CATEGORY_*.
const (
	aclKeyspace uint64 = 1 << iota
	aclRead
	aclWrite
	aclSet
	aclSortedSet
	aclList
	aclHash
	aclString
	aclBitmap
	aclHyperLogLog
	aclGeo
	aclStream
	aclPubsub
	aclAdmin
	aclFast
	aclSlow
	aclBlocking
	aclDangerous
	aclConnection
	aclTransaction
	aclScripting
)

// aclCategoryNames lists the categories in Redis's order with their names.
var aclCategoryNames = []struct {
	flag uint64
	name string
}{
	{aclKeyspace, "keyspace"}, {aclRead, "read"}, {aclWrite, "write"}, {aclSet, "set"},
	{aclSortedSet, "sortedset"}, {aclList, "list"}, {aclHash, "hash"}, {aclString, "string"},
	{aclBitmap, "bitmap"}, {aclHyperLogLog, "hyperloglog"}, {aclGeo, "geo"},
	{aclStream, "stream"}, {aclPubsub, "pubsub"}, {aclAdmin, "admin"}, {aclFast, "fast"},
	{aclSlow, "slow"}, {aclBlocking, "blocking"}, {aclDangerous, "dangerous"},
	{aclConnection, "connection"}, {aclTransaction, "transaction"}, {aclScripting, "scripting"},
}

// command is one entry of the command table: data, as Redis's
// redisCommand. Arity counts the command name; a negative arity means "at
// least -Arity". Key positions follow the legacy (first, last, step) triple;
// a negative Last counts from the end.
type command struct {
	name       string // lower case; for a subcommand, just the subcommand
	proc       func(c *Client)
	arity      int
	flags      uint64
	acl        uint64
	first      int
	last       int
	step       int
	group      string // COMMAND DOCS group: "string", "generic", "connection" …
	since      string
	summary    string
	complexity string
	tips       []string

	// Documentation that only COMMAND INFO and COMMAND DOCS show.
	keySpecs        []keySpec
	docFlags        []string    // "deprecated", "syscmd"
	deprecatedSince string      // version
	replacedBy      string      // what to use instead
	history         [][2]string // version, change
	docArgs         string      // the "arguments" of COMMAND DOCS, RESP3

	// getKeys, when set, returns the keys of argv for commands whose
	// key specs cannot always tell them (getkeys.go).
	getKeys keyProc
	Subs    []*command

	// Filled in by buildCommandTable.
	parent   *command
	fullName string // "get", "client|list"
	subs     map[string]*command

	// id indexes the per-server statistics (Server.cmdStats): the
	// table is shared by every Server of the process, its counters are not.
	id int
}

// commandStats are one command's counters, for INFO commandstats.
type commandStats struct {
	calls         int64
	microseconds  int64
	rejectedCalls int64
	failedCalls   int64
}

// The command table is built on first use, by buildCommandTable
// (commands.go), not by init functions: its implementations refer back to
// it, so it cannot be a package-level variable's initializer either.
var (
	commandTableOnce sync.Once
	commandTable     map[string]*command // top-level commands by lower-case name
	numCommands      int                 // commands and subcommands in commandTable
)

// commands returns the command table, building it the first time.
func commands() map[string]*command {
	commandTableOnce.Do(func() { commandTable, numCommands = buildCommandTable() })
	return commandTable
}

// commandEntries returns the number of commands and subcommands in the
// table, which sizes a server's statistics.
func commandEntries() int {
	commands()
	return numCommands
}

// statsOf returns the server's counters of cmd.
func (srv *Server) statsOf(cmd *command) *commandStats {
	return &srv.cmdStats[cmd.id]
}

// isWrite reports whether the command may change the keyspace.
func (cmd *command) isWrite() bool { return cmd.flags&cmdWrite != 0 }

// Commands returns the command table (read-only by convention).
//
// Exported for the tests of core/cmds.
func Commands() map[string]*command { return commands() }

// lookupCommandName finds a top-level command by a name in any case,
// without allocating for names of reasonable length.
func lookupCommandName(name []byte) *command {
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
//
// Exported for the tests of core/cmds.
func LookupCommand(argv [][]byte) *command {
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
// (signalModifiedKey, signalKeyAsReady in db.go); processCommand serves
// the clients made ready once call returns.
func (c *Client) call() {
	srv := c.srv
	cmd := c.cmd
	start := time.Now()
	srv.cachedNow = start
	dirty := srv.Dirty
	errs := srv.Stats.errorReplies
	srv.currentClient = c
	prop := srv.enterCall(c, cmd)
	cmd.proc(c)
	srv.currentClient = nil
	dur := time.Since(start).Microseconds()

	// The latency monitor, the latency histogram and the slow log; a
	// client that blocked is logged when it is unblocked (blocking.go).
	var argv [][]byte // c.Argv with secrets redacted, once needed
	if c.Flags&ClientBlocked == 0 {
		srv.latencyAfterCommand(cmd, dur)
		if cmd.flags&cmdSkipSlowlog == 0 && srv.slowlogWanted(dur) {
			argv = redactArgs(cmd, c.argv)
			srv.slowlogPush(c, argv, dur)
		}
	}
	// MONITOR sees every command but the administrative ones.
	if len(srv.monitors) > 0 && cmd.flags&(cmdSkipMonitor|cmdAdmin) == 0 {
		if argv == nil {
			argv = redactArgs(cmd, c.argv)
		}
		srv.feedMonitors(c, argv)
	}

	st := srv.statsOf(cmd)
	st.calls++
	st.microseconds += dur
	if srv.Stats.errorReplies != errs {
		st.failedCalls++
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
