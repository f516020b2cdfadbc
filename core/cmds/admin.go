package cmds

import (
	"fmt"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/redisfs/redisfs/core/proto"
)

// Server administration commands, after Redis 7.0's config.c, db.c,
// server.c and debug.c: CONFIG, DBSIZE, FLUSHDB, FLUSHALL, SWAPDB, TIME,
// LASTSAVE, ROLE, SHUTDOWN and DEBUG.

// applyConfig applies a directive changed by CONFIG SET (by canonical
// name) once every new value of the command is set; an error undoes the
// whole CONFIG SET. It reports false for directives that need no step of
// their own. Each step is a method of the file that owns the directive.
// (A switch, not a map: a package-level map of these methods would make
// an initialization cycle through the command table.)
func (srv *Server) applyConfig(name string) (bool, error) {
	switch name {
	case "requirepass":
		return true, srv.applyRequirepass()
	case "maxmemory":
		return true, srv.applyMaxmemory()
	case "appendonly", "appendfsync", "save", "dir":
		return true, srv.applyPersistConfig(name)
	}
	return false, nil
}

// protectedDirectives may be changed with CONFIG SET only where
// enable-protected-configs allows it ("no", Redis's default: never).
var protectedDirectives = map[string]bool{"dir": true, "dbfilename": true}

// lastSave returns the unix time of the last successful save: the start
// time until one happens, as Redis reports it.
func (srv *Server) lastSave() int64 {
	if srv.LastSave != 0 {
		return srv.LastSave
	}
	return srv.StartTime.Unix()
}

// ---------------------------------------------------------------------------
// CONFIG

var configHelp = []string{
	"GET <pattern>",
	"    Return parameters matching the glob-like <pattern> and their values.",
	"SET <directive> <value>",
	"    Set the configuration <directive> to <value>.",
	"RESETSTAT",
	"    Reset statistics reported by the INFO command.",
	"REWRITE",
	"    Rewrite the configuration file.",
}

// CONFIG HELP
func configHelpCommand(c *Client) { c.addReplyHelp(configHelp) }

// configNames returns every name CONFIG GET patterns match against: the
// directives in table order, then the old aliases.
func configNames() []string {
	names := DirectiveNames()
	aliases := make([]string, 0, len(directiveAliases))
	for alias := range directiveAliases {
		aliases = append(aliases, alias)
	}
	slices.Sort(aliases)
	return append(names, aliases...)
}

// CONFIG GET parameter [parameter ...]
func configGetCommand(c *Client) {
	type match struct {
		name string
		d    *directive
	}
	var matches []match
	seen := map[string]bool{}
	for _, arg := range c.argv[2:] {
		name := string(arg)
		// A name without glob characters is looked up as typed (any
		// case) and answered under the name as typed.
		if !strings.ContainsAny(name, "[*?") {
			if seen[strings.ToLower(name)] {
				continue
			}
			if d := findDirective(name); d != nil {
				matches = append(matches, match{name, d})
				seen[strings.ToLower(name)] = true
			}
			continue
		}
		for _, n := range configNames() {
			if !seen[n] && stringMatch(arg, []byte(n), true) {
				matches = append(matches, match{n, findDirective(n)})
				seen[n] = true
			}
		}
	}
	c.addReplyMapLen(len(matches))
	for _, m := range matches {
		c.addReplyBulkString(m.name)
		c.addReplyBulkString(m.d.get(&c.srv.Config))
	}
}

// CONFIG SET parameter value [parameter value ...]
//
// Every pair is checked, then every value set on a copy of the
// configuration, which replaces the live one only when all succeed (7.0's
// atomic multi-parameter CONFIG SET).
func configSetCommand(c *Client) {
	srv := c.srv
	if len(c.argv)%2 != 0 {
		c.addReplySyntaxError()
		return
	}
	n := (len(c.argv) - 2) / 2
	set := make([]*directive, n)
	var unknown, errArg, errStr string
	for i := 0; i < n; i++ {
		name := c.argv[2+2*i]
		d := findDirective(string(name))
		if d == nil {
			if unknown == "" && errStr == "" {
				unknown = string(name)
			}
			continue
		}
		if unknown != "" || errStr != "" {
			continue
		}
		switch {
		case d.immutable:
			errStr, errArg = "can't set immutable config", string(name)
			continue
		case protectedDirectives[d.name] && !allowProtectedAction(srv.Config.EnableProtectedConfigs, c):
			errStr, errArg = "can't set protected config", string(name)
			continue
		}
		// An old alias is a parameter of its own (Redis keeps it as a
		// config entry of its own), so only the same name twice, in any
		// case, is a duplicate.
		for j := 0; j < i; j++ {
			if set[j] == d && strings.EqualFold(string(c.argv[2+2*j]), string(name)) {
				errStr, errArg = "duplicate parameter", string(name)
				break
			}
		}
		set[i] = d
	}
	if unknown != "" {
		c.addReplyErrorFormat("Unknown option or number of arguments for CONFIG SET - '%s'", unknown)
		return
	}
	if errStr != "" {
		c.addReplyErrorFormat("CONFIG SET failed (possibly related to argument '%s') - %s", errArg, errStr)
		return
	}
	old := srv.Config
	cfg := srv.Config
	for i, d := range set {
		if err := d.set(&cfg, string(c.argv[3+2*i])); err != nil {
			c.addReplyErrorFormat("CONFIG SET failed (possibly related to argument '%s') - %s", c.argv[2+2*i], err)
			return
		}
	}
	srv.Config = cfg
	applied := map[string]bool{}
	for _, d := range set {
		if applied[d.name] {
			continue
		}
		has, err := srv.applyConfig(d.name)
		if !has {
			continue
		}
		applied[d.name] = true
		if err != nil {
			srv.Logf(LogWarning, "Failed applying new configuration. Possibly related to new %s setting. Restoring previous settings.", d.name)
			srv.Config = old
			for name := range applied {
				srv.applyConfig(name)
			}
			c.addReplyErrorFormat("CONFIG SET failed (possibly related to argument '%s') - %s", d.name, err)
			return
		}
	}
	for _, d := range set {
		for _, f := range srv.configSetHooks {
			f(d.name)
		}
	}
	c.addReplyOK()
}

// OnConfigSet registers f to be called (on the loop) after a successful
// CONFIG SET, once for each directive it set, by canonical name: for
// front ends that apply a directive themselves (the GC tuner and
// maxmemory).
//
// Used by core/server.
func (srv *Server) OnConfigSet(f func(name string)) {
	srv.configSetHooks = append(srv.configSetHooks, f)
}

// CONFIG RESETSTAT
func configResetStatCommand(c *Client) {
	c.srv.resetStats()
	c.addReplyOK()
}

// resetStats zeroes the statistics INFO reports (stats, command stats,
// error stats), as CONFIG RESETSTAT.
func (srv *Server) resetStats() {
	srv.Stats = stats{errorCodes: map[string]int64{}}
	clear(srv.cmdStats)
	srv.latency.hist = nil // the commands' latency histograms, as resetCommandTableStats
	clear(srv.statOpsSamples[:])
	memMetricsMu.Lock()
	memPeak = 0
	memMetricsMu.Unlock()
}

// CONFIG REWRITE
func configRewriteCommand(c *Client) {
	srv := c.srv
	if ConfigFile == "" {
		c.addReplyError("The server is running without a config file")
		return
	}
	if err := srv.rewriteConfigFile(ConfigFile); err != nil {
		srv.Logf(LogWarning, "CONFIG REWRITE failed: %s", errnoText(err))
		c.addReplyErrorFormat("Rewriting config file: %s", errnoText(err))
		return
	}
	srv.Logf(LogNotice, "CONFIG REWRITE executed with success.")
	c.addReplyOK()
}

// ---------------------------------------------------------------------------
// Keyspace-wide commands

// DBSIZE
func dbsizeCommand(c *Client) { c.addReplyInt(int64(c.db.Len())) }

// flushFlagsOrReply checks FLUSHDB/FLUSHALL's optional ASYNC|SYNC. Both
// free synchronously here: dropping the tables is O(1) for the loop, the
// garbage collector does the rest in the background.
func flushFlagsOrReply(c *Client) bool {
	if len(c.argv) == 1 || len(c.argv) == 2 && (equalFoldC(c.argv[1], "sync") || equalFoldC(c.argv[1], "async")) {
		return true
	}
	c.addReplySyntaxError()
	return false
}

// FLUSHDB [ASYNC|SYNC]
func flushdbCommand(c *Client) {
	if !flushFlagsOrReply(c) {
		return
	}
	srv := c.srv
	srv.Dirty += srv.EmptyData(c.db.id)
	// Counted even when the database was empty, so that FLUSHDB always
	// propagates (Redis forces its propagation).
	srv.Dirty++
	c.addReplyOK()
}

// FLUSHALL [ASYNC|SYNC]
func flushallCommand(c *Client) {
	if !flushFlagsOrReply(c) {
		return
	}
	srv := c.srv
	srv.Dirty += srv.EmptyData(-1)
	// With save points, the empty data set is saved at once (Redis's
	// flushAllDataAndResetRDB), so an old dump.rdb cannot bring the
	// keys back.
	srv.persistAfterFlushAll()
	srv.Dirty++
	c.addReplyOK()
}

// SWAPDB index1 index2
func swapdbCommand(c *Client) {
	srv := c.srv
	id1, ok1 := proto.ParseInt(c.argv[1])
	if !ok1 || id1 < -1<<31 || id1 > 1<<31-1 {
		c.addReplyError("invalid first DB index")
		return
	}
	id2, ok2 := proto.ParseInt(c.argv[2])
	if !ok2 || id2 < -1<<31 || id2 > 1<<31-1 {
		c.addReplyError("invalid second DB index")
		return
	}
	n := int64(len(srv.DBs))
	if id1 < 0 || id1 >= n || id2 < 0 || id2 >= n {
		c.addReplyError(errDBIndex)
		return
	}
	if id1 != id2 {
		srv.swapDBs(int(id1), int(id2))
	}
	srv.Dirty++
	c.addReplyOK()
}

// swapDBs exchanges the contents of two databases, as Redis's
// dbSwapDatabases: the DB structs (and so the clients that selected them)
// stay; their keys, expires and expire statistics move.
func (srv *Server) swapDBs(id1, id2 int) {
	a, b := srv.DBs[id1], srv.DBs[id2]
	a.Dict, b.Dict = b.Dict, a.Dict
	a.Expires, b.Expires = b.Expires, a.Expires
	a.avgTTL, b.avgTTL = b.avgTTL, a.avgTTL
	a.expiresCursor, b.expiresCursor = b.expiresCursor, a.expiresCursor
	// Whatever caches the contents of a database (the file server)
	// treats both as replaced wholesale.
	srv.emptyDataDone(id1)
	srv.emptyDataDone(id2)
	// WATCHes on keys whose value the swap changed are touched (watch.go).
	srv.touchAllWatchedKeysInDb(id1, srv.DBs[id2], srv.DBs[id1])
	srv.touchAllWatchedKeysInDb(id2, srv.DBs[id1], srv.DBs[id2])
	// Clients blocked on keys the swap brought in may be served now.
	srv.scanDatabaseForReadyKeys(a)
	srv.scanDatabaseForReadyKeys(b)
}

// ---------------------------------------------------------------------------
// Server state

// TIME
func timeCommand(c *Client) {
	now := time.Now()
	c.addReplyArrayLen(2)
	c.addReplyBulkInt(now.Unix())
	c.addReplyBulkInt(int64(now.Nanosecond() / 1000))
}

// LASTSAVE
func lastsaveCommand(c *Client) { c.addReplyInt(c.srv.lastSave()) }

// ROLE
func roleCommand(c *Client) {
	c.addReplyArrayLen(3)
	c.addReplyBulkString("master")
	c.addReplyInt(0)
	c.addReplyArrayLen(0)
}

// SHUTDOWN [NOSAVE|SAVE] [NOW] [FORCE] [ABORT]
func shutdownCommand(c *Client) {
	srv := c.srv
	var nosave, save, now, force, abort bool
	for _, a := range c.argv[1:] {
		switch {
		case equalFoldC(a, "nosave"):
			nosave = true
		case equalFoldC(a, "save"):
			save = true
		case equalFoldC(a, "now"):
			now = true
		case equalFoldC(a, "force"):
			force = true
		case equalFoldC(a, "abort"):
			abort = true
		default:
			c.addReplySyntaxError()
			return
		}
	}
	if abort && (nosave || save || now || force) || nosave && save {
		c.addReplySyntaxError()
		return
	}
	if abort {
		// A shutdown here never waits (no replicas to catch up), so
		// there is none in progress to abort.
		c.addReplyError("No shutdown in progress.")
		return
	}
	if !now && c.Flags&clientDenyBlocking != 0 {
		c.addReplyError("SHUTDOWN without NOW or ABORT isn't allowed for DENY BLOCKING client")
		return
	}
	srv.Logf(LogWarning, "User requested shutdown...")
	if err := srv.prepareShutdownPersistence(save, nosave, force); err != nil && !force {
		srv.Logf(LogWarning, "Errors trying to shut down the server. Check the logs for more information.")
		c.addReplyError("Errors trying to SHUTDOWN. Check logs.")
		return
	}
	srv.Logf(LogWarning, "Redis is now ready to exit, bye bye...")
	// No reply: the connection closes as the server goes away.
	srv.ShutdownRequested.Store(true)
	c.Flags |= clientReplyOff | ClientCloseASAP
	if srv.OnShutdown != nil {
		srv.OnShutdown()
	}
}

// ---------------------------------------------------------------------------
// DEBUG

var debugHelp = []string{
	"AOF-FLUSH-SLEEP <microsec>",
	"    Server will sleep before flushing the AOF, this is used for testing.",
	"ASSERT",
	"    Crash by assertion failed.",
	"CHANGE-REPL-ID",
	"    Change the replication IDs of the instance.",
	"    Dangerous: should be used only for testing the replication subsystem.",
	"CONFIG-REWRITE-FORCE-ALL",
	"    Like CONFIG REWRITE but writes all configuration options, including",
	"    keywords not listed in original configuration file or default values.",
	"CRASH-AND-RECOVER [<milliseconds>]",
	"    Hard crash and restart after a <milliseconds> delay (default 0).",
	"DIGEST",
	"    Output a hex signature representing the current DB content.",
	"DIGEST-VALUE <key> [<key> ...]",
	"    Output a hex signature of the values of all the specified keys.",
	"ERROR <string>",
	"    Return a Redis protocol error with <string> as message. Useful for clients",
	"    unit tests to simulate Redis errors.",
	"LEAK <string>",
	"    Create a memory leak of the input string.",
	"LOG <message>",
	"    Write <message> to the server log.",
	"HTSTATS <dbid>",
	"    Return hash table statistics of the specified Redis database.",
	"HTSTATS-KEY <key>",
	"    Like HTSTATS but for the hash table stored at <key>'s value.",
	"LOADAOF",
	"    Flush the AOF buffers on disk and reload the AOF in memory.",
	"REPLICATE <string>",
	"    Replicates the provided string to replicas, allowing data divergence.",
	"MALLCTL <key> [<val>]",
	"    Get or set a malloc tuning integer.",
	"MALLCTL-STR <key> [<val>]",
	"    Get or set a malloc tuning string.",
	"OBJECT <key>",
	"    Show low level info about `key` and associated value.",
	"DROP-CLUSTER-PACKET-FILTER <packet-type>",
	"    Drop all packets that match the filtered type. Set to -1 allow all packets.",
	"OOM",
	"    Crash the server simulating an out-of-memory error.",
	"PANIC",
	"    Crash the server simulating a panic.",
	"POPULATE <count> [<prefix>] [<size>]",
	"    Create <count> string keys named key:<num>. If <prefix> is specified then",
	"    it is used instead of the 'key' prefix. These are not propagated to",
	"    replicas. Cluster slots are not respected so keys not belonging to the",
	"    current node can be created in cluster mode.",
	"PROTOCOL <type>",
	"    Reply with a test value of the specified type. <type> can be: string,",
	"    integer, double, bignum, null, array, set, map, attrib, push, verbatim,",
	"    true, false.",
	"RELOAD [option ...]",
	"    Save the RDB on disk and reload it back to memory. Valid <option> values:",
	"    * MERGE: conflicting keys will be loaded from RDB.",
	"    * NOFLUSH: the existing database will not be removed before load, but",
	"      conflicting keys will generate an exception and kill the server.",
	"    * NOSAVE: the database will be loaded from an existing RDB file.",
	"    Examples:",
	"    * DEBUG RELOAD: verify that the server is able to persist, flush and reload",
	"      the database.",
	"    * DEBUG RELOAD NOSAVE: replace the current database with the contents of an",
	"      existing RDB file.",
	"    * DEBUG RELOAD NOSAVE NOFLUSH MERGE: add the contents of an existing RDB",
	"      file to the database.",
	"RESTART [<milliseconds>]",
	"    Graceful restart: save config, db, restart after a <milliseconds> delay (default 0).",
	"SDSLEN <key>",
	"    Show low level SDS string info representing `key` and value.",
	"SEGFAULT",
	"    Crash the server with sigsegv.",
	"SET-ACTIVE-EXPIRE <0|1>",
	"    Setting it to 0 disables expiring keys in background when they are not",
	"    accessed (otherwise the Redis behavior). Setting it to 1 reenables back the",
	"    default.",
	"QUICKLIST-PACKED-THRESHOLD <size>",
	"    Sets the threshold for elements to be inserted as plain vs packed nodes",
	"    Default value is 1GB, allows values up to 4GB. Setting to 0 restores to default.",
	"SET-SKIP-CHECKSUM-VALIDATION <0|1>",
	"    Enables or disables checksum checks for RDB files and RESTORE's payload.",
	"SLEEP <seconds>",
	"    Stop the server for <seconds>. Decimals allowed.",
	"STRINGMATCH-TEST",
	"    Run a fuzz tester against the stringmatchlen() function.",
	"STRUCTSIZE",
	"    Return the size of different Redis core C structures.",
	"LISTPACK <key>",
	"    Show low level info about the listpack encoding of <key>.",
	"QUICKLIST <key> [<0|1>]",
	"    Show low level info about the quicklist encoding of <key>.",
	"    The optional argument (0 by default) sets the level of detail",
	"CLIENT-EVICTION",
	"    Show low level client eviction pools info (maxmemory-clients).",
	"PAUSE-CRON <0|1>",
	"    Stop periodic cron job processing.",
	"REPLYBUFFER PEAK-RESET-TIME <NEVER||RESET|time>",
	"    Sets the time (in milliseconds) to wait between client reply buffer peak resets.",
	"    In case NEVER is provided the last observed peak will never be reset",
	"    In case RESET is provided the peak reset time will be restored to the default value",
	"REPLYBUFFER RESIZING <0|1>",
	"    Enable or disable the reply buffer resize cron job",
	"CLUSTERLINK KILL <to|from|all> <node-id>",
	"    Kills the link based on the direction to/from (both) with the provided node.",
}

// DEBUG subcommand [arg ...]
//
// The subcommands that make sense here: HELP, OBJECT, SLEEP,
// SET-ACTIVE-EXPIRE, POPULATE, PROTOCOL, ERROR, LOG, CHANGE-REPL-ID, and
// RELOAD and LOADAOF, which persist_cmds.go implements.
func debugCommand(c *Client) {
	sub, argc := c.argv[1], len(c.argv)
	switch {
	case equalFoldC(sub, "help") && argc == 2:
		c.addReplyHelp(debugHelp)
	case equalFoldC(sub, "object") && argc == 3:
		debugObject(c)
	case equalFoldC(sub, "sleep") && argc == 3:
		secs := cStrtod(c.argv[2])
		time.Sleep(time.Duration(secs * float64(time.Second)))
		c.addReplyOK()
	case equalFoldC(sub, "set-active-expire") && argc == 3:
		n, _ := strconv.Atoi(cAtoiPrefix(c.argv[2]))
		c.srv.SetActiveExpire(n != 0)
		c.addReplyOK()
	case equalFoldC(sub, "populate") && argc >= 3 && argc <= 5:
		debugPopulate(c)
	case equalFoldC(sub, "protocol") && argc == 3:
		debugProtocol(c)
	case equalFoldC(sub, "error") && argc == 3:
		// A raw error line, not counted in the error statistics.
		msg := strings.NewReplacer("\r", " ", "\n", " ").Replace(string(c.argv[2]))
		c.addReplyProto([]byte("-" + msg + "\r\n"))
	case equalFoldC(sub, "log") && argc == 3:
		c.srv.Logf(LogWarning, "DEBUG LOG: %s", c.argv[2])
		c.addReplyOK()
	case equalFoldC(sub, "change-repl-id") && argc == 2:
		c.srv.Logf(LogWarning, "Changing replication IDs after receiving DEBUG change-repl-id")
		c.addReplyOK()
	case equalFoldC(sub, "reload"):
		debugReloadCommand(c) // persist_cmds.go
	case equalFoldC(sub, "loadaof"):
		debugLoadAOFCommand(c) // persist_cmds.go
	default:
		c.addReplySubcommandSyntaxError()
	}
}

// DEBUG OBJECT key
func debugObject(c *Client) {
	srv := c.srv
	o := c.db.Dict.Find(bstr(c.argv[2]))
	if o == nil {
		c.addReplyError(errNoSuchKey)
		return
	}
	refcount := 1
	if o.isInt() && o.int() >= 0 && o.int() < 10000 {
		// Redis shares the objects of small integers.
		refcount = 2147483647
	}
	serLen := rdbSavedObjectLen(o)
	idle := int64(srv.lruClock) - int64(o.lru)
	if idle < 0 {
		idle += 1 << 24
	}
	c.addReplyStatus(fmt.Sprintf("Value at:%p refcount:%d encoding:%s serializedlength:%d lru:%d lru_seconds_idle:%d",
		o, refcount, o.EncodingName(), serLen, o.lru, idle))
}

// estimateRDBStringLen is the length of a string's RDB encoding without
// LZF compression: an integer in 1, 2 or 4 bytes after a type byte, else a
// length prefix and the bytes.
func estimateRDBStringLen(o *Object) int {
	var buf [24]byte
	s := o.appendString(buf[:0])
	if len(s) <= 11 {
		if v, ok := proto.ParseInt(s); ok && strconv.FormatInt(v, 10) == string(s) {
			switch {
			case v >= -1<<7 && v < 1<<7:
				return 2
			case v >= -1<<15 && v < 1<<15:
				return 3
			case v >= -1<<31 && v < 1<<31:
				return 5
			}
		}
	}
	n := o.StrLen()
	switch {
	case n < 1<<6:
		return 1 + n
	case n < 1<<14:
		return 2 + n
	case n <= 1<<32-1:
		return 5 + n
	}
	return 9 + n
}

// DEBUG POPULATE count [prefix] [size]
func debugPopulate(c *Client) {
	srv := c.srv
	// Redis's getPositiveLongFromObjectOrReply: one message for both a
	// non-number and a negative one.
	keys, ok := proto.ParseInt(c.argv[2])
	if !ok || keys < 0 {
		c.addReplyError(errNotIntOrNeg)
		return
	}
	var size int64
	if len(c.argv) == 5 {
		if size, ok = proto.ParseInt(c.argv[4]); !ok || size < 0 {
			c.addReplyError(errNotIntOrNeg)
			return
		}
	}
	prefix := "key"
	if len(c.argv) >= 4 {
		prefix = string(c.argv[3])
	}
	var key, val []byte
	for j := int64(0); j < keys; j++ {
		key = strconv.AppendInt(append(append(key[:0], prefix...), ':'), j, 10)
		if c.lookupKeyWrite(key) != nil {
			continue
		}
		val = strconv.AppendInt(append(val[:0], "value:"...), j, 10)
		v := val
		if size > 0 {
			v = make([]byte, size)
			copy(v, val)
		}
		srv.DBAdd(c.db, key, newStringObject(v))
		srv.signalModifiedKey(c, c.db, key)
	}
	c.addReplyOK()
}

// DEBUG PROTOCOL type
func debugProtocol(c *Client) {
	switch name := strings.ToLower(string(c.argv[2])); name {
	case "string":
		c.addReplyBulkString("Hello World")
	case "integer":
		c.addReplyInt(12345)
	case "double":
		c.addReplyDouble(3.141)
	case "bignum":
		if c.replying() {
			c.Reply = proto.AppendBigNumber(c.Reply, "1234567999999999999999999999999999999", c.resp)
		}
	case "null":
		c.addReplyNull()
	case "array":
		c.addReplyArrayLen(3)
		for j := int64(0); j < 3; j++ {
			c.addReplyInt(j)
		}
	case "set":
		c.addReplySetLen(3)
		for j := int64(0); j < 3; j++ {
			c.addReplyInt(j)
		}
	case "map":
		c.addReplyMapLen(3)
		for j := int64(0); j < 3; j++ {
			c.addReplyInt(j)
			c.addReplyBool(j == 1)
		}
	case "attrib":
		if c.resp >= 3 && c.replying() {
			c.Reply = proto.AppendAttributeLen(c.Reply, 1)
			c.addReplyBulkString("key-popularity")
			c.addReplyArrayLen(2)
			c.addReplyBulkString("key:123")
			c.addReplyInt(90)
		}
		// Attributes are not replies: the real reply follows.
		c.addReplyBulkString("Some real reply following the attribute")
	case "push":
		if c.resp < 3 {
			c.addReplyError("RESP2 is not supported by this command")
			return
		}
		c.addReplyPushLen(2)
		c.addReplyBulkString("server-cpu-usage")
		c.addReplyInt(42)
		// Push messages are not replies: the real reply follows.
		c.addReplyBulkString("Some real reply following the push reply")
	case "true":
		c.addReplyBool(true)
	case "false":
		c.addReplyBool(false)
	case "verbatim":
		c.addReplyVerbatim([]byte("This is a verbatim\nstring"), "txt")
	default:
		c.addReplyError("Wrong protocol type name. Please use one of the following: string|integer|double|bignum|null|array|set|map|attrib|push|verbatim|true|false")
	}
}

// configContainerCommand runs for CONFIG without a subcommand; the arity
// check makes it unreachable.
func configContainerCommand(c *Client) { c.addReplySubcommandSyntaxError() }
