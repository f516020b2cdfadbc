package cmds

import (
	"errors"
	"fmt"
	"strconv"
	"strings"

	"github.com/redisfs/redisfs/core/proto"
	"github.com/redisfs/redisfs/core/rdb"
)

// The command side of persistence (Redis 7.0's rdb.c and aof.c commands):
// SAVE, BGSAVE, BGREWRITEAOF, DEBUG RELOAD and LOADAOF, what SHUTDOWN saves,
// the INFO persistence section, the MISCONF refusal of writes, and the
// persistence directives. The work is done by the persistence layer
// (core/persist), which implements persistence and installs itself with
// SetPersistence; without it (the in-process test servers) these commands
// answer as a server with nothing to save would.
//
// What the persistence layer gets from this package, and nothing else:
//
//   - the keyspace: Server.DBs, DB.Dict and DB.Expires, Object's accessors;
//   - RDBObjectType, RDBAppendObject, RDBValueWriter (a value saved across
//     loop steps, rdb_stream.go), Server.RDBAccessInfo and
//     Server.RDBLoadValue: the value codec of dump.go and rdb_codec.go,
//     shared with DUMP and RESTORE;
//   - AppendRewriteCommands, the commands that rebuild a key (an AOF base
//     without the RDB preamble);
//   - the propagated commands (SetPropagationFeed, propagate.go);
//   - OnBeforeKeyWrite, called before any change to a key, for the
//     copy-on-write of a snapshot in progress;
//   - loading helpers: BeginLoading/EndLoading, LoadKey, NewLoadingClient,
//     ExecLoadedCommand;
//   - the Dirty counter and LastSave.

// persistConfig holds the persistence directives of redis.conf; Config
// embeds it. dir, save and appendonly are in Config itself.
type persistConfig struct {
	DBFilename               string
	AppendFilename           string
	AppendDirname            string
	AppendFsync              string // always, everysec or no
	AofUseRDBPreamble        bool
	AofLoadTruncated         bool
	aofRewriteIncrementalFs  bool
	noAppendfsyncOnRewrite   bool
	AutoAofRewritePercentage int
	AutoAofRewriteMinSize    int64
	rdbCompression           bool
	RDBChecksum              bool
	StopWritesOnBGSaveError  bool
	rdbSaveIncrementalFsync  bool
	aofTimestampEnabled      bool
	rdbDelSyncFiles          bool
}

// defaultPersistConfig returns Redis 7.0's defaults.
func defaultPersistConfig() persistConfig {
	return persistConfig{
		DBFilename:               "dump.rdb",
		AppendFilename:           "appendonly.aof",
		AppendDirname:            "appendonlydir",
		AppendFsync:              "everysec",
		AofUseRDBPreamble:        true,
		AofLoadTruncated:         true,
		aofRewriteIncrementalFs:  true,
		AutoAofRewritePercentage: 100,
		AutoAofRewriteMinSize:    64 * 1024 * 1024,
		rdbCompression:           true,
		RDBChecksum:              true,
		StopWritesOnBGSaveError:  true,
		rdbSaveIncrementalFsync:  true,
	}
}

// validFileName is Redis's pathIsBaseName check for dbfilename and
// appendfilename.
func validFileName(name string) func(c *Config, v string) error {
	return func(c *Config, v string) error {
		if strings.ContainsAny(v, "/\\") {
			if name == "dbfilename" {
				return fmt.Errorf("dbfilename can't be a path, just a filename")
			}
			return fmt.Errorf("appendfilename can't be a path, just a filename")
		}
		return nil
	}
}

// validDirName checks appenddirname: a name, not a path.
func validDirName(c *Config, v string) error {
	if strings.ContainsAny(v, "/\\") {
		return fmt.Errorf("appenddirname can't be a path, just a dirname")
	}
	return nil
}

// persistence is the persistence layer as the command side sees it. Every
// method is called on the loop.
type persistence interface {
	// Save writes the RDB file synchronously (SAVE).
	Save() error
	// BGSave starts a background save and returns its status reply
	// ("Background saving started"), or an error whose text is the
	// error reply.
	BGSave(schedule bool) (string, error)
	// BGRewriteAOF starts an AOF rewrite, as BGSave.
	BGRewriteAOF() (string, error)
	// DebugReload saves (unless !save), empties the keyspace (unless
	// !flush) and loads the RDB file back; merge lets loaded keys replace
	// existing ones.
	DebugReload(save, flush, merge bool) error
	// DebugLoadAOF flushes the AOF, empties the keyspace and loads the AOF.
	DebugLoadAOF() error
	// PrepareShutdown saves and flushes what must be before exiting.
	PrepareShutdown(save, nosave, force bool) error
	// AppendInfo appends the body of INFO's persistence section.
	AppendInfo(b []byte) []byte
	// WriteError returns the error that refuses writes (MISCONF), or "".
	WriteError() string
	// ApplyConfig applies a changed directive (appendonly, appendfsync,
	// save, dir).
	ApplyConfig(name string) error
	// Cron runs from serverCron: save points, automatic rewrites,
	// retries after errors.
	Cron()
	// BeforeReplies runs in beforeSleep right before replies are written:
	// the AOF buffer is written (and, with appendfsync always, synced).
	BeforeReplies()
	// WhenDurable runs f once the commands propagated so far are as
	// durable as appendfsync promises (at once when they already are).
	WhenDurable(f func())
	// AfterFlushAll runs in FLUSHALL: a background save is stopped and,
	// with save points, the empty data set saved.
	AfterFlushAll()
}

// persistState is the server's persistence state on the command side.
type persistState struct {
	p persistence
	// keyWrite is called before a key changes (OnBeforeKeyWrite).
	keyWrite func(db *DB, key []byte, added bool)
	// loading is set while data are loaded: nothing expires, nothing
	// propagates.
	loading bool
	// prop is the propagation of writes (propagate.go).
	prop propState
}

// ErrBGSaveInProgress is what persistence.Save returns while a background
// save runs.
//
// Used by core/persist.
var ErrBGSaveInProgress = errors.New("Background save already in progress")

// SetPersistence installs the persistence layer (core/persist calls it
// once, before the loop runs). Its WriteError then drives the MISCONF
// check of processCommand.
//
// Used by core/persist.
func (srv *Server) SetPersistence(p persistence) {
	srv.persist.p = p
}

// applyPersistConfig is the CONFIG SET apply hook of appendonly,
// appendfsync, save and dir: the persistence layer acts on the new value.
func (srv *Server) applyPersistConfig(name string) error {
	if srv.persist.p == nil {
		return nil
	}
	return srv.persist.p.ApplyConfig(name)
}

// appendInfoPersistence writes INFO's persistence section: the layer's
// figures, or the idle defaults without one.
func (srv *Server) appendInfoPersistence(b []byte) []byte {
	if srv.persist.p == nil {
		return srv.infoPersistence(b)
	}
	return srv.persist.p.AppendInfo(b)
}

// prepareShutdownPersistence saves (when save is set, or the config says
// so unless nosave) and flushes before SHUTDOWN stops the server. An error
// aborts the shutdown unless force is set.
func (srv *Server) prepareShutdownPersistence(save, nosave, force bool) error {
	if srv.persist.p == nil {
		return nil
	}
	return srv.persist.p.PrepareShutdown(save, nosave, force)
}

// rdbSavedObjectLen is the length of o's RDB serialization (DEBUG OBJECT's
// serializedlength).
func rdbSavedObjectLen(o *Object) int {
	b, err := rdbAppendValue(nil, o)
	if err != nil {
		return estimateRDBStringLen(o)
	}
	return len(b) - 1
}

// persistenceLayer returns the installed persistence layer, or nil.
func (srv *Server) persistenceLayer() persistence { return srv.persist.p }

// checkDiskError is processCommand's MISCONF check: it refuses writes (and
// PING) while persisting fails, as Redis's writeCommandsDeniedByDiskError,
// and reports whether the command may go on.
func (srv *Server) checkDiskError(c *Client, cmd *command) bool {
	if srv.persist.p == nil {
		return true
	}
	isWrite := cmd.flags&cmdWrite != 0 ||
		cmd.name == "exec" && cmd.parent == nil && c.multi != nil && c.multi.cmdFlags&cmdWrite != 0
	if !isWrite && !(cmd.name == "ping" && cmd.parent == nil) {
		return true
	}
	if msg := srv.persist.p.WriteError(); msg != "" {
		c.rejectCommand(msg)
		return false
	}
	return true
}

// OnBeforeKeyWrite installs f (nil removes it), called on the loop before
// any change to a key of db: before a write command runs (for each key it
// names), before a key is overwritten, deleted (expired, evicted) or has
// its TTL changed, and before a blocked client is served from it; added is
// set when key was just created. A background snapshot copies the old
// value of a key it has not saved yet.
//
// Used by core/persist.
func (srv *Server) OnBeforeKeyWrite(f func(db *DB, key []byte, added bool)) {
	srv.persist.keyWrite = f
}

// beforeKeyWrite calls the key-write hook.
func (srv *Server) beforeKeyWrite(db *DB, key []byte, added bool) {
	if srv.persist.keyWrite != nil {
		srv.persist.keyWrite(db, key, added)
	}
}

// beforeCommandWrites calls the key-write hook for every key a write
// command names, before it runs: the keys of its getKeys function, else of
// its (first, last, step) triple (cheap, unlike the key specs, whose table
// is loaded on first use).
func (srv *Server) beforeCommandWrites(c *Client, cmd *command) {
	argv := c.argv
	if cmd.getKeys != nil {
		for _, k := range cmd.getKeys(argv) {
			if k.pos > 0 && k.pos < len(argv) {
				srv.persist.keyWrite(c.db, argv[k.pos], false)
			}
		}
		return
	}
	if cmd.first <= 0 {
		return
	}
	last := cmd.last
	if last < 0 {
		last += len(argv)
	}
	for j := cmd.first; j <= last && j < len(argv); j += max(cmd.step, 1) {
		srv.persist.keyWrite(c.db, argv[j], false)
	}
}

// BeginLoading enters the loading state: keys do not expire and nothing is
// propagated until EndLoading.
//
// Used by core/persist.
func (srv *Server) BeginLoading() {
	srv.persist.loading = true
	srv.persist.prop.off = true
}

// EndLoading leaves the loading state.
//
// Used by core/persist.
func (srv *Server) EndLoading() {
	srv.persist.loading = false
	srv.persist.prop.off = false
}

// loading reports whether data are being loaded.
func (srv *Server) loading() bool { return srv.persist.loading }

// LoadKey adds a key read from a file to db with TTL expire (unix ms, -1
// for none), as rdbLoad's dbAddRDBLoad: no events, no statistics. lruIdle
// (seconds) and lfuFreq are the file's access data, -1 when it has none.
// It reports false when the key exists, unless replace is set.
//
// Used by core/persist.
func (srv *Server) LoadKey(db *DB, key []byte, o Object, expire, lruIdle, lfuFreq int64, replace bool) bool {
	o.lru = srv.newObjectLRU()
	srv.objectSetLRUOrLFU(&o, lfuFreq, lruIdle, srv.lruClock)
	p, added := db.Dict.Add(string(key), o)
	if !added {
		if !replace {
			return false
		}
		*p = o
		db.Expires.Delete(bstr(key))
	}
	if expire >= 0 {
		k, _ := db.Dict.FindKey(bstr(key))
		db.Expires.Set(k, expire)
	}
	return true
}

// NewLoadingClient returns the internal client that replays an AOF (Redis's
// fake client): it belongs to no connection and its replies are dropped.
// Free it with FreeClient.
//
// Used by core/persist.
func (srv *Server) NewLoadingClient() *Client {
	c := srv.NewClient(nil)
	c.Flags |= ClientInternal | clientDenyBlocking | clientLoading
	c.Authenticated = true
	return c
}

// ExecLoadedCommand runs argv, read from an AOF, on the loading client c
// (as loadSingleAppendOnlyFile: no ACL, no statistics, MULTI queued). An
// unknown command or a wrong arity is an error; a command that fails is
// not (its error reply is dropped).
//
// Used by core/persist.
func (srv *Server) ExecLoadedCommand(c *Client, argv [][]byte) error {
	cmd := LookupCommand(argv)
	if cmd == nil {
		return fmt.Errorf("Unknown command '%s'", argv[0])
	}
	if (cmd.arity > 0 && cmd.arity != len(argv)) || len(argv) < -cmd.arity {
		return fmt.Errorf("wrong number of arguments for '%s' command", cmd.fullName)
	}
	c.argv = argv
	c.cmd = cmd
	if c.Flags&ClientMulti != 0 && !isMultiControl(cmd) {
		c.queueMultiCommand()
	} else {
		saved := srv.currentClient
		srv.currentClient = c
		cmd.proc(c)
		srv.currentClient = saved
	}
	c.argv = nil
	c.Reply = c.Reply[:0]
	c.Sent = 0
	return nil
}

// InMulti reports whether c is inside MULTI (a transaction left open at the
// end of an AOF means the file is truncated).
//
// Used by core/persist.
func (c *Client) InMulti() bool { return c.Flags&ClientMulti != 0 }

// rdbAppendValue appends the RDB type byte and the serialization of o's
// value (rdbSaveObjectType + rdbSaveObject).
func rdbAppendValue(dst []byte, o *Object) ([]byte, error) {
	t, err := rdbSaveObjectType(o)
	if err != nil {
		return dst, err
	}
	dst = append(dst, t)
	return rdbSaveObject(dst, o), nil
}

// RDB access data kinds (RDBAccessInfo).
//
// The exported names are used by core/persist.
const (
	rdbAccessNone = iota
	RDBAccessIdle // seconds since the last access (an LRU policy)
	RDBAccessFreq // the LFU counter (an LFU policy)
)

// RDBAccessInfo returns the access data an RDB file saves for o
// (RDB_OPCODE_IDLE under an LRU maxmemory-policy, RDB_OPCODE_FREQ under an
// LFU one), as rdbSaveKeyValuePair.
//
// Used by core/persist.
func (srv *Server) RDBAccessInfo(o *Object) (kind int, v int64) {
	switch {
	case srv.lruPolicy():
		return RDBAccessIdle, srv.estimateObjectIdleTime(o) / 1000
	case srv.lfuPolicy():
		return RDBAccessFreq, int64(srv.lfuDecrAndReturn(o))
	}
	return rdbAccessNone, 0
}

// RDBObjectType returns the RDB type byte of o's value, or an error for a
// value the codec cannot save.
//
// Used by core/persist.
func RDBObjectType(o *Object) (byte, error) { return rdbSaveObjectType(o) }

// RDBAppendObject appends the serialization of o's value, without its type
// byte (check it with RDBObjectType first).
//
// Used by core/persist.
func RDBAppendObject(dst []byte, o *Object) []byte { return rdbSaveObject(dst, o) }

// RDBLoadValue reads a value of RDB type t, encoded the way Redis would
// encode it with the server's configuration. IsRDBEmptyKey(err) tells an
// empty collection, which a loader skips.
//
// Used by core/persist.
func (srv *Server) RDBLoadValue(t byte, r *rdb.Reader) (Object, error) {
	return rdbLoadObject(t, r, &srv.Config)
}

// persistBeforeReplies runs in beforeSleep before replies are written.
func (srv *Server) persistBeforeReplies() {
	if srv.persist.p != nil {
		srv.persist.p.BeforeReplies()
	}
}

// persistAfterFlushAll runs in FLUSHALL once the keys are gone.
func (srv *Server) persistAfterFlushAll() {
	if srv.persist.p != nil {
		srv.persist.p.AfterFlushAll()
	}
}

// persistCron runs from serverCron.
func (srv *Server) persistCron() {
	if srv.persist.p != nil {
		srv.persist.p.Cron()
	}
}

// WhenDurable runs f once what was propagated so far is as durable as
// appendfsync promises (at once without persistence). A front end that
// answers outside of the reply buffers (the file server) waits for it
// before telling a write done.
//
// Used by fs/local.
func (srv *Server) WhenDurable(f func()) {
	if srv.persist.p == nil {
		f()
		return
	}
	srv.persist.p.WhenDurable(f)
}

// SAVE
func saveCommand(c *Client) {
	p := c.srv.persist.p
	if p == nil {
		c.addReplyOK()
		return
	}
	if err := p.Save(); err != nil {
		if errors.Is(err, ErrBGSaveInProgress) {
			c.addReplyError(err.Error())
			return
		}
		c.addReplyProto([]byte("-ERR\r\n"))
		c.srv.countError("ERR")
		return
	}
	c.addReplyOK()
}

// BGSAVE [SCHEDULE]
func bgsaveCommand(c *Client) {
	schedule := false
	if len(c.argv) > 1 {
		if len(c.argv) == 2 && equalFoldC(c.argv[1], "schedule") {
			schedule = true
		} else {
			c.addReplySyntaxError()
			return
		}
	}
	p := c.srv.persist.p
	if p == nil {
		c.addReplyStatus("Background saving started")
		return
	}
	status, err := p.BGSave(schedule)
	if err != nil {
		if err.Error() == "" {
			c.addReplyProto([]byte("-ERR\r\n"))
			c.srv.countError("ERR")
			return
		}
		c.addReplyError(err.Error())
		return
	}
	c.addReplyStatus(status)
}

// BGREWRITEAOF
func bgrewriteaofCommand(c *Client) {
	p := c.srv.persist.p
	if p == nil {
		c.addReplyStatus("Background append only file rewriting started")
		return
	}
	status, err := p.BGRewriteAOF()
	if err != nil {
		c.addReplyError(err.Error())
		return
	}
	c.addReplyStatus(status)
}

// DEBUG RELOAD [MERGE] [NOFLUSH] [NOSAVE]
func debugReloadCommand(c *Client) {
	flush, save, merge := true, true, false
	for _, opt := range c.argv[2:] {
		switch {
		case equalFoldC(opt, "merge"):
			merge = true
		case equalFoldC(opt, "noflush"):
			flush = false
		case equalFoldC(opt, "nosave"):
			save = false
		default:
			c.addReplyError("DEBUG RELOAD only supports the MERGE, NOFLUSH and NOSAVE options.")
			return
		}
	}
	p := c.srv.persist.p
	if p == nil {
		c.addReplyError("Error trying to load the RDB dump, check server logs.")
		return
	}
	if err := p.DebugReload(save, flush, merge); err != nil {
		if errors.Is(err, errReloadSave) {
			c.addReplyProto([]byte("-ERR\r\n"))
			c.srv.countError("ERR")
			return
		}
		c.addReplyError("Error trying to load the RDB dump, check server logs.")
		return
	}
	c.srv.Logf(LogWarning, "DB reloaded by DEBUG RELOAD")
	c.addReplyOK()
}

// errReloadSave marks a DEBUG RELOAD whose save failed.
var errReloadSave = errors.New("DEBUG RELOAD: save failed")

// ErrReloadSave wraps err as the failure of DEBUG RELOAD's save step.
//
// Used by core/persist.
func ErrReloadSave(err error) error { return fmt.Errorf("%w: %v", errReloadSave, err) }

// DEBUG LOADAOF
func debugLoadAOFCommand(c *Client) {
	if len(c.argv) != 2 {
		c.addReplySubcommandSyntaxError()
		return
	}
	p := c.srv.persist.p
	if p != nil {
		if err := p.DebugLoadAOF(); err != nil {
			c.srv.Logf(LogWarning, "DEBUG LOADAOF failed: %v", err)
			c.addReplyError(err.Error())
			return
		}
	}
	c.srv.Dirty = 0
	c.srv.Logf(LogWarning, "Append Only File loaded by DEBUG LOADAOF")
	c.addReplyOK()
}

// aofRewriteItemsPerCmd is AOF_REWRITE_ITEMS_PER_CMD: a collection is
// rebuilt with commands of at most this many elements each.
const aofRewriteItemsPerCmd = 64

// AppendRewriteCommands appends the commands that rebuild key with value
// o and TTL expire (unix ms, -1 for none), as Redis's AOF rewrite without
// an RDB preamble writes them (rewriteAppendOnlyFileRio): SET, RPUSH,
// SADD, ZADD or HMSET (in batches of 64 elements), a stream's XADD per
// entry with XSETID, XGROUP and XCLAIM, then PEXPIREAT.
//
// Used by core/persist.
func AppendRewriteCommands(dst []byte, key []byte, o *Object, expire int64) ([]byte, error) {
	var items [][]byte
	var scratch []byte
	name := ""
	per := 1
	batch := func() {
		if len(items) == 0 {
			return
		}
		args := make([][]byte, 0, len(items)+2)
		args = append(args, []byte(name), key)
		args = append(args, items...)
		dst = appendRESPCommand(dst, args...)
		items = items[:0]
	}
	add := func(elems ...[]byte) {
		for _, e := range elems {
			items = append(items, append([]byte(nil), e...))
		}
		if len(items) >= aofRewriteItemsPerCmd*per {
			batch()
		}
	}
	switch o.typ {
	case TypeString:
		scratch = o.appendString(scratch[:0])
		dst = appendRESPCommand(dst, []byte("SET"), key, scratch)
	case TypeList:
		name = "RPUSH"
		it := listQL(o).Iterator(true)
		for it.Next() {
			scratch = it.AppendValue(scratch[:0])
			add(scratch)
		}
	case TypeSet:
		name = "SADD"
		if o.enc == encIntset {
			is := setIntset(o)
			for i := 0; i < is.Len(); i++ {
				add(strconv.AppendInt(scratch[:0], is.Get(i), 10))
			}
		} else {
			setDict(o).Range(func(k string, _ *struct{}) bool {
				add(stringBytes(k))
				return true
			})
		}
	case TypeZSet:
		name, per = "ZADD", 2
		if o.enc == encListpack {
			zl := zsetZlp(o)
			for p := zl.first(); p >= 0; p = zl.next(p) {
				ele := zl.lp().AppendValue(nil, p)
				add(proto.FormatDouble(nil, zl.score(p)), ele)
			}
		} else {
			for n := zsetSkiplist(o).Zsl.First(); n != nil; n = n.Next() {
				add(proto.FormatDouble(nil, n.Score), stringBytes(n.Ele))
			}
		}
	case TypeHash:
		name, per = "HMSET", 2
		if o.enc == encListpack {
			lp := *hashLP(o)
			for p := lp.First(); p >= 0; p = lp.Next(lp.Next(p)) {
				f := lp.AppendValue(nil, p)
				v := lp.AppendValue(nil, lp.Next(p))
				add(f, v)
			}
		} else {
			hashDict(o).Range(func(k string, v *string) bool {
				add(stringBytes(k), stringBytes(*v))
				return true
			})
		}
	case TypeStream:
		dst = appendStreamRewrite(dst, key, streamOf(o))
	default:
		return dst, fmt.Errorf("AOF rewrite of %s values is not supported", o.typeName())
	}
	batch()
	if expire >= 0 {
		dst = appendRESPCommand(dst, []byte("PEXPIREAT"), key, strconv.AppendInt(scratch[:0], expire, 10))
	}
	return dst, nil
}

// LatencyAddSample records a sample of event (in milliseconds) in the
// latency monitor when it is at least latency-monitor-threshold
// (latencyAddSampleIfNeeded): persistence reports its longest loop stalls
// ("snapshot-step"), AOF writes and syncs there.
//
// Used by core/persist.
func (srv *Server) LatencyAddSample(event string, ms int64) {
	srv.latencyAddSampleIfNeeded(event, ms)
}
