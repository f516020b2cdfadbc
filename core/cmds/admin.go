package cmds

import (
	"fmt"
	"math/rand/v2"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/redisfs/redisfs/core/proto"
	"github.com/redisfs/redisfs/core/types"
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
	// XREADGROUP clients blocked on a stream the swap takes away fail.
	srv.scanDatabaseForDeletedStreams(a, b.Dict)
	srv.scanDatabaseForDeletedStreams(b, a.Dict)
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

// debugHelp is Redis 7.0's DEBUG HELP, less the subcommands not served
// here (crashes, allocator, cluster, replication and structure-size ones):
// it lists only what works.
var debugHelp = []string{
	"CHANGE-REPL-ID",
	"    Change the replication IDs of the instance.",
	"    Dangerous: should be used only for testing the replication subsystem.",
	"DIGEST",
	"    Output a hex signature representing the current DB content.",
	"DIGEST-VALUE <key> [<key> ...]",
	"    Output a hex signature of the values of all the specified keys.",
	"ERROR <string>",
	"    Return a Redis protocol error with <string> as message. Useful for clients",
	"    unit tests to simulate Redis errors.",
	"LOG <message>",
	"    Write <message> to the server log.",
	"LOADAOF",
	"    Flush the AOF buffers on disk and reload the AOF in memory.",
	"OBJECT <key>",
	"    Show low level info about `key` and associated value.",
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
	"SET-ACTIVE-EXPIRE <0|1>",
	"    Setting it to 0 disables expiring keys in background when they are not",
	"    accessed (otherwise the Redis behavior). Setting it to 1 reenables back the",
	"    default.",
	"QUICKLIST-PACKED-THRESHOLD <size>",
	"    Sets the threshold for elements to be inserted as plain vs packed nodes",
	"    Default value is 1GB, allows values up to 4GB. Setting to 0 restores to default.",
	"SLEEP <seconds>",
	"    Stop the server for <seconds>. Decimals allowed.",
	"STRINGMATCH-TEST",
	"    Run a fuzz tester against the stringmatchlen() function.",
	"LISTPACK <key>",
	"    Show low level info about the listpack encoding of <key>.",
	"QUICKLIST <key> [<0|1>]",
	"    Show low level info about the quicklist encoding of <key>.",
	"    The optional argument (0 by default) sets the level of detail",
}

// DEBUG subcommand [arg ...]
//
// The subcommands that make sense here, those debugHelp lists; RELOAD and
// LOADAOF are persist_cmds.go's, DIGEST and DIGEST-VALUE digest.go's.
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
	case equalFoldC(sub, "digest") && argc == 2:
		debugDigest(c)
	case equalFoldC(sub, "digest-value") && argc >= 2:
		debugDigestValue(c)
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
		c.srv.changeReplicationID()
		c.addReplyOK()
	case equalFoldC(sub, "listpack") && argc == 3:
		debugListpack(c)
	case equalFoldC(sub, "quicklist") && (argc == 3 || argc == 4):
		debugQuicklist(c)
	case equalFoldC(sub, "quicklist-packed-threshold") && argc == 3:
		sz, ok := memtoull(c.argv[2])
		if !ok || sz > 1<<32-1<<20 {
			c.addReplyError("argument must be a memory value bigger than 1 and smaller than 4gb")
			return
		}
		if sz == 0 {
			sz = 1 << 30
		}
		c.srv.quicklistPackedThreshold = sz
		c.addReplyOK()
	case equalFoldC(sub, "stringmatch-test") && argc == 2:
		stringmatchFuzzTest()
		c.addReplyStatus("Apparently Redis did not crash: test passed")
	case equalFoldC(sub, "reload"):
		debugReloadCommand(c) // persist_cmds.go
	case equalFoldC(sub, "loadaof"):
		debugLoadAOFCommand(c) // persist_cmds.go
	default:
		c.addReplySubcommandSyntaxError()
	}
}

// objectRefcount is the refcount Redis would show for o: shared small
// integers have the shared-object sentinel (unless the maxmemory policy
// forbids sharing), every other value is referenced once.
func (srv *Server) objectRefcount(o *Object) int64 {
	shareable := srv.Config.MaxMemory == 0 || !(srv.lfuPolicy() || srv.lruPolicy())
	if o.isInt() && o.int() >= 0 && o.int() < sharedIntegers && shareable && !o.unshared {
		return sharedRefcount
	}
	return 1
}

// DEBUG OBJECT key
func debugObject(c *Client) {
	srv := c.srv
	o := c.db.Dict.Find(bstr(c.argv[2]))
	if o == nil {
		c.addReplyError(errNoSuchKey)
		return
	}
	serLen := rdbSavedObjectLen(o)
	idle := int64(srv.lruClock) - int64(o.lru)
	if idle < 0 {
		idle += 1 << 24
	}
	extra := ""
	if o.enc == EncQuicklist {
		// Redis adds the quicklist's shape: nodes, average elements per
		// node, fill factor, compression, and the bytes of all nodes.
		ql := listQL(o)
		size := 0
		ql.ForEachNode(func(lp types.Listpack) { size += len(lp) })
		compressed := 0
		if srv.Config.listCompressDepth != 0 {
			compressed = 1
		}
		extra = fmt.Sprintf(" ql_nodes:%d ql_avg_node:%.2f ql_listpack_max:%d ql_compressed:%d ql_uncompressed_size:%d",
			ql.Nodes(), float64(ql.Len())/float64(ql.Nodes()), ql.Fill(), compressed, size)
	}
	c.addReplyStatus(fmt.Sprintf("Value at:%p refcount:%d encoding:%s serializedlength:%d lru:%d lru_seconds_idle:%d%s",
		o, srv.objectRefcount(o), o.EncodingName(), serLen, o.lru, idle, extra))
}

// DEBUG LISTPACK key: Redis prints the listpack on its standard output;
// here it goes to the log, at notice level.
func debugListpack(c *Client) {
	o := c.lookupKey(c.db, c.argv[2], lookupNoTouch|lookupNoNotify)
	if o == nil {
		c.addReplyError(errNoSuchKey)
		return
	}
	lp, ok := objectListpack(o)
	if !ok {
		c.addReplyError("Not a listpack encoded object.")
		return
	}
	c.srv.Logf(LogNotice, "DEBUG LISTPACK %s:\n%s", c.argv[2], listpackRepr(lp))
	c.addReplyStatus("Listpack structure printed on stdout")
}

// DEBUG QUICKLIST key [0|1]: as DEBUG LISTPACK, node by node.
func debugQuicklist(c *Client) {
	o := c.lookupKey(c.db, c.argv[2], lookupNoTouch|lookupNoNotify)
	if o == nil {
		c.addReplyError(errNoSuchKey)
		return
	}
	if o.enc != EncQuicklist {
		c.addReplyError("Not a quicklist encoded object.")
		return
	}
	ql := listQL(o)
	var b strings.Builder
	fmt.Fprintf(&b, "{count : %d}\n{len : %d}\n{fill : %d}\n", ql.Len(), ql.Nodes(), ql.Fill())
	i := 0
	ql.ForEachNode(func(lp types.Listpack) {
		fmt.Fprintf(&b, "{node %d}\n{sz: %d}\n{count: %d}\n", i, len(lp), lp.Len())
		if len(c.argv) == 4 && atoi(c.argv[3]) != 0 {
			b.WriteString(listpackRepr(lp))
		}
		i++
	})
	c.srv.Logf(LogNotice, "DEBUG QUICKLIST %s:\n%s", c.argv[2], b.String())
	c.addReplyStatus("Quicklist structure printed on stdout")
}

// objectListpack returns the listpack of a listpack-encoded hash or
// sorted set.
func objectListpack(o *Object) (types.Listpack, bool) {
	if o.enc != encListpack {
		return nil, false
	}
	switch o.Type() {
	case TypeHash:
		return *hashLP(o), true
	case TypeZSet:
		return *zsetZlp(o).lp(), true
	}
	return nil, false
}

// listpackRepr renders a listpack's header and entries, after lpRepr.
func listpackRepr(lp types.Listpack) string {
	var b strings.Builder
	fmt.Fprintf(&b, "{total bytes %d} {num entries %d}\n", len(lp), lp.Len())
	i := 0
	for p := lp.First(); p >= 0; p = lp.Next(p) {
		e := lp.GetEntry(p)
		fmt.Fprintf(&b, "{\n\taddr: %d,\n\tindex: %d,\n\tvalue: %q\n}\n", p, i, e.Append(nil))
		i++
	}
	b.WriteString("{end}\n")
	return b.String()
}

// memtoull is Redis's memtoull: digits and an optional unit (b, k, kb, m,
// mb, g, gb, any case), no sign.
func memtoull(arg []byte) (uint64, bool) {
	s := string(arg)
	i := 0
	for i < len(s) && s[i] >= '0' && s[i] <= '9' {
		i++
	}
	var mul uint64
	switch strings.ToLower(s[i:]) {
	case "", "b":
		mul = 1
	case "k":
		mul = 1000
	case "kb":
		mul = 1024
	case "m":
		mul = 1000 * 1000
	case "mb":
		mul = 1024 * 1024
	case "g":
		mul = 1000 * 1000 * 1000
	case "gb":
		mul = 1024 * 1024 * 1024
	default:
		return 0, false
	}
	if i == 0 {
		return 0, true // strtoull of no digits is 0
	}
	n, err := strconv.ParseUint(s[:i], 10, 64)
	if err != nil {
		return 0, false
	}
	return n * mul, true
}

// stringmatchFuzzTest is DEBUG STRINGMATCH-TEST: glob matching of random
// patterns against random strings, which must only not crash.
func stringmatchFuzzTest() {
	var pat, str [32]byte
	for i := 0; i < 100000; i++ {
		pl, sl := rand.IntN(len(pat)), rand.IntN(len(str))
		for j := 0; j < pl; j++ {
			const alphabet = "*?[]^-\\ab"
			pat[j] = alphabet[rand.IntN(len(alphabet))]
		}
		for j := 0; j < sl; j++ {
			str[j] = byte(rand.IntN(256))
		}
		stringMatch(pat[:pl], str[:sl], false)
	}
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
