// Package persist keeps redisfs's data on disk in Redis 7.0's own formats:
// RDB snapshots (dump.rdb, version 10, with Redis's encodings, LZF and
// CRC64, readable by redis-server and redis-check-rdb) and the append-only
// file as Redis 7.0 lays it out (appenddirname with a base file,
// incremental files and a manifest, readable by redis-check-aof). It loads
// them at start, saves on save points, SAVE, BGSAVE, SHUTDOWN and SIGTERM,
// appends every write to the AOF with the fsync policy asked for, and
// rewrites the AOF in the background.
//
// It is a room of its own because it is the one part of the server that
// does I/O on files: the command side (core/cmds) exposes what it needs —
// the keyspace, the RDB value codec, the stream of propagated commands,
// a hook before each key change, the Dirty counter — and implements the
// commands (SAVE, BGSAVE, BGREWRITEAOF …) on top of cmds.Persistence,
// which a Persister implements.
//
// There is no fork: a background save is a snapshot made incrementally on
// the loop with copy-on-write at key granularity (snapshot.go explains why
// it is consistent), written by a goroutine.
//
// Concurrency: a Persister belongs to the loop goroutine that owns the
// cmds.Server. New and Start are called before the loop runs, Shutdown
// after it stopped; everything else runs on the loop (its goroutines —
// the file writers and the everysec syncer — touch no data of the
// keyspace, and come back to the loop through Options.Post).
package persist

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"runtime/debug"
	"strconv"
	"strings"
	"sync/atomic"
	"time"

	"github.com/redisfs/redisfs/core/cmds"
)

// Options configure a Persister.
type Options struct {
	// Post runs f on the loop goroutine; safe from any goroutine
	// (server.Server.Post).
	Post func(f func())
}

// Persister is the persistence layer of one server.
type Persister struct {
	srv  *cmds.Server
	post func(f func())
	dir  string // absolute dir, fixed at Start

	// RDB.
	bgsave          *snapshot
	bgsaveScheduled bool
	bgsaveStart     time.Time
	dirtyAtBGSave   int64
	lastBGSaveOK    bool
	lastBGSaveTry   time.Time
	lastBGSaveSec   int64
	rdbSaves        int64
	lastLoad        loadStats

	aof aofState

	// chunks are the buffers of the snapshot writers.
	chunks chunkPool

	// maxStall is the longest the loop was held by a snapshot step (ns;
	// read by MaxStall from any goroutine).
	maxStall atomic.Int64

	started      bool
	shutdownDone bool
	// savePoints caches the parsed save directive.
	saveSpec   string
	savePoints [][2]int64
}

// New returns the persistence layer of srv. It does nothing until Start.
func New(srv *cmds.Server, opts Options) *Persister {
	post := opts.Post
	if post == nil {
		post = func(f func()) { f() }
	}
	return &Persister{srv: srv, post: post, lastBGSaveOK: true, chunks: newChunkPool()}
}

// Enabled reports whether cfg asks for any persistence (memory-only is
// save "" and appendonly no).
func Enabled(cfg *cmds.Config) bool { return cfg.AppendOnly || strings.TrimSpace(cfg.Save) != "" }

// Start creates the data directory, loads the data (the AOF when
// appendonly is on, else the RDB file), opens the AOF for appending and
// installs the persistence layer in the server. It must run before the
// server serves anyone. An error means the data on disk could not be
// loaded: the server must not start (it would start empty, and its next
// save would destroy them).
func (p *Persister) Start() error {
	srv := p.srv
	cfg := &srv.Config
	dir, err := filepath.Abs(cfg.Dir)
	if err != nil {
		return err
	}
	p.dir = dir
	p.aof.dir = p.aofDir()
	p.aof.policy = policyOf(cfg.AppendFsync)
	p.aof.selectedDB = -1
	p.aof.rewriteOK = true
	if Enabled(cfg) {
		p.chunks.fill()
	}
	// Loading only adds live data: collecting while the heap doubles
	// again and again would mark it over and over. Collect less often
	// until the data are in (the cron's GC tuning takes over after).
	defer debug.SetGCPercent(debug.SetGCPercent(400))
	start := time.Now()
	if !Enabled(cfg) {
		// Memory only: nothing is created and nothing saved unless
		// asked (SAVE, CONFIG SET appendonly yes), but an RDB file
		// found in the directory is loaded, as Redis loads it
		// whenever the AOF is off (a backup copied in, or a file a
		// redis-server wrote).
		srv.Logf(cmds.LogNotice, "Persistence is off (save '' and appendonly no): data live in memory only")
		ok, st, err := p.loadRDBFile(p.rdbPath(), false)
		if err != nil {
			return err
		}
		if ok {
			p.lastLoad = st
			srv.Logf(cmds.LogNotice, "DB loaded from disk: %.3f seconds", time.Since(start).Seconds())
		}
	} else if err := os.MkdirAll(cfg.Dir, 0o755); err != nil {
		return fmt.Errorf("can't create the data directory %s: %w", cfg.Dir, err)
	} else if cfg.AppendOnly {
		if err := p.startAOF(); err != nil {
			return err
		}
	} else {
		path := p.rdbPath()
		ok, st, err := p.loadRDBFile(path, false)
		if err != nil {
			return err
		}
		if ok {
			p.lastLoad = st
			srv.Logf(cmds.LogNotice, "DB loaded from disk: %.3f seconds", time.Since(start).Seconds())
		}
	}
	srv.Dirty = 0
	p.updateFeed()
	srv.SetPersistence(p)
	p.started = true
	return nil
}

// startAOF loads the AOF and opens it for appending.
func (p *Persister) startAOF() error {
	srv := p.srv
	a := &p.aof
	m, err := p.readManifest()
	if err != nil {
		return err
	}
	a.manifest = m
	if m == nil {
		if _, err := p.upgradeOldAOF(); err != nil {
			return err
		}
	}
	loaded, err := p.loadAOF()
	if err != nil {
		return err
	}
	if !loaded && (a.manifest == nil || a.manifest.base == nil && len(a.manifest.incr) == 0) {
		// No AOF yet: Redis would start empty even with an RDB file
		// there, and its next save would overwrite that file. Load it
		// instead, and make it the AOF's base.
		path := filepath.Join(p.dir, srv.Config.DBFilename)
		t := time.Now()
		ok, st, err := p.loadRDBFile(path, false)
		if err != nil {
			return err
		}
		if ok {
			p.lastLoad = st
			srv.Logf(cmds.LogNotice, "No AOF yet: DB loaded from %s: %.3f seconds", path, time.Since(t).Seconds())
		}
	}
	if err := os.MkdirAll(a.dir, 0o755); err != nil {
		return fmt.Errorf("can't create the AOF directory %s: %w", a.dir, err)
	}
	if a.manifest == nil || a.manifest.base == nil && len(a.manifest.incr) == 0 {
		if err := p.createBaseSync(); err != nil {
			return fmt.Errorf("can't create the AOF base file: %w", err)
		}
	}
	a.on = true
	a.syncer = newSyncer()
	if len(a.manifest.incr) == 0 {
		if err := p.openNewIncr(); err != nil {
			return fmt.Errorf("can't open the append-only file: %w", err)
		}
		srv.Logf(cmds.LogNotice, "Creating AOF incr file %s on server start", a.fname)
	} else {
		last := a.manifest.incr[len(a.manifest.incr)-1].name
		f, size, err := p.openIncr(last, false)
		if err != nil {
			return fmt.Errorf("can't open the append-only file %s: %w", last, err)
		}
		p.setIncr(f, last, size)
		srv.Logf(cmds.LogNotice, "Opening AOF incr file %s on server start", last)
	}
	p.deleteHistory()
	return nil
}

// updateFeed installs the propagation feed while the AOF is on: with it
// off, writes are not even encoded.
func (p *Persister) updateFeed() {
	if p.aof.on {
		p.srv.SetPropagationFeed(p.feed)
	} else {
		p.srv.SetPropagationFeed(nil)
	}
}

// Shutdown flushes and saves what SIGTERM requires (unless SHUTDOWN did
// already) and closes the files. It is called once the loop stopped.
func (p *Persister) Shutdown() error {
	if !p.started {
		return nil
	}
	var err error
	if !p.shutdownDone {
		err = p.PrepareShutdown(false, false, false)
	}
	p.close()
	return err
}

func (p *Persister) close() {
	a := &p.aof
	if a.syncer != nil {
		a.syncer.close()
		a.syncer = nil
	}
	if a.f != nil {
		a.f.Close()
		a.f = nil
	}
	p.started = false
}

// savePointsOf parses the save directive ("3600 1 300 100").
func (p *Persister) savePointsOf() [][2]int64 {
	spec := p.srv.Config.Save
	if spec == p.saveSpec && p.savePoints != nil {
		return p.savePoints
	}
	var pts [][2]int64
	f := strings.Fields(spec)
	for i := 0; i+1 < len(f); i += 2 {
		s, err1 := strconv.ParseInt(f[i], 10, 64)
		c, err2 := strconv.ParseInt(f[i+1], 10, 64)
		if err1 == nil && err2 == nil {
			pts = append(pts, [2]int64{s, c})
		}
	}
	p.saveSpec, p.savePoints = spec, pts
	if p.savePoints == nil {
		p.savePoints = [][2]int64{}
	}
	return p.savePoints
}

func (p *Persister) lastSave() int64 {
	if p.srv.LastSave != 0 {
		return p.srv.LastSave
	}
	return p.srv.StartTime.Unix()
}

func (p *Persister) rdbPath() string { return filepath.Join(p.dir, p.srv.Config.DBFilename) }

// saveSync writes the RDB file on the loop, to the end (rdbSave).
func (p *Persister) saveSync() error {
	srv := p.srv
	os.MkdirAll(p.dir, 0o755)
	tmp := filepath.Join(p.dir, fmt.Sprintf("temp-%d.rdb", os.Getpid()))
	var result error
	s, err := p.newSnapshot(rdbEmitter{srv: p.srv}, tmp, p.rdbPath(), true, func(s *snapshot, err error) { result = err })
	if err != nil {
		srv.Logf(cmds.LogWarning, "Failed opening the temp RDB file %s (in server root dir %s) for saving: %s",
			filepath.Base(tmp), p.dir, strerror(err))
		return err
	}
	s.step()
	if result != nil {
		srv.Logf(cmds.LogWarning, "Write error saving DB on disk: %s", strerror(result))
		return result
	}
	srv.Logf(cmds.LogNotice, "DB saved on disk")
	srv.Dirty = 0
	srv.LastSave = time.Now().Unix()
	p.lastBGSaveOK = true
	return nil
}

// Save implements cmds.Persistence (SAVE).
func (p *Persister) Save() error {
	if p.bgsave != nil {
		return cmds.ErrBGSaveInProgress
	}
	p.rdbSaves++
	return p.saveSync()
}

// errBare makes a command reply a bare "-ERR".
var errBare = errors.New("")

// BGSave implements cmds.Persistence (BGSAVE).
func (p *Persister) BGSave(schedule bool) (string, error) {
	if p.bgsave != nil {
		return "", cmds.ErrBGSaveInProgress
	}
	if p.aof.rewrite != nil {
		if schedule {
			p.bgsaveScheduled = true
			return "Background saving scheduled", nil
		}
		return "", errors.New("Another child process is active (AOF?): can't BGSAVE right now. Use BGSAVE SCHEDULE in order to schedule a BGSAVE whenever possible.")
	}
	if err := p.startBGSave(); err != nil {
		return "", errBare
	}
	return "Background saving started", nil
}

// startBGSave starts a background save (rdbSaveBackground).
func (p *Persister) startBGSave() error {
	srv := p.srv
	os.MkdirAll(p.dir, 0o755)
	p.dirtyAtBGSave = srv.Dirty
	p.lastBGSaveTry = time.Now()
	tmp := filepath.Join(p.dir, fmt.Sprintf("temp-bgsave-%d.rdb", os.Getpid()))
	s, err := p.newSnapshot(rdbEmitter{srv: p.srv}, tmp, p.rdbPath(), false, p.bgsaveDone)
	if err != nil {
		p.lastBGSaveOK = false
		srv.Logf(cmds.LogWarning, "Can't save in background: %s", strerror(err))
		return err
	}
	p.bgsave = s
	p.bgsaveStart = time.Now()
	p.bgsaveScheduled = false
	srv.Logf(cmds.LogNotice, "Background saving started")
	p.post(s.step)
	return nil
}

// bgsaveDone ends a background save on the loop (backgroundSaveDoneHandler).
func (p *Persister) bgsaveDone(s *snapshot, err error) {
	srv := p.srv
	if p.bgsave != s {
		return
	}
	p.bgsave = nil
	p.lastBGSaveSec = int64(time.Since(p.bgsaveStart).Seconds())
	p.noteStall(s.maxStall)
	if err != nil {
		p.lastBGSaveOK = false
		srv.Logf(cmds.LogWarning, "Background saving error: %s", strerror(err))
		return
	}
	srv.Logf(cmds.LogNotice, "DB saved on disk")
	srv.Dirty -= p.dirtyAtBGSave
	srv.LastSave = time.Now().Unix()
	p.lastBGSaveOK = true
	p.rdbSaves++
	srv.Logf(cmds.LogNotice, "Background saving terminated with success (%d keys, %d copied on write, %.3f seconds, %d steps, longest loop stall %s, %s of CPU)",
		s.keys, s.cowKeys, time.Since(p.bgsaveStart).Seconds(), s.steps, s.maxStall.Round(time.Microsecond), s.maxStallCPU.Round(time.Microsecond))
}

// noteStall records the longest loop stall of a snapshot.
func (p *Persister) noteStall(d time.Duration) {
	if int64(d) > p.maxStall.Load() {
		p.maxStall.Store(int64(d))
	}
	p.srv.LatencyAddSample("snapshot-step", d.Milliseconds())
}

// MaxStall returns the longest time a background snapshot step (or the
// copy of a key changed during a snapshot) held the loop. It is safe for
// concurrent use.
func (p *Persister) MaxStall() time.Duration { return time.Duration(p.maxStall.Load()) }

// BGRewriteAOF implements cmds.Persistence (BGREWRITEAOF).
func (p *Persister) BGRewriteAOF() (string, error) {
	if p.aof.rewrite != nil {
		return "", errRewriteRunning
	}
	if p.bgsave != nil {
		p.aof.rewriteScheduled = true
		return "Background append only file rewriting scheduled", nil
	}
	if err := p.startRewrite(); err != nil {
		return "", errors.New("Can't execute an AOF background rewriting. Please check the server logs for more information.")
	}
	return "Background append only file rewriting started", nil
}

// InProgress reports whether a background save or rewrite runs.
func (p *Persister) InProgress() bool { return p.bgsave != nil || p.aof.rewrite != nil }

// Cron implements cmds.Persistence: retries, save points and automatic
// AOF rewrites (serverCron).
func (p *Persister) Cron() {
	srv := p.srv
	a := &p.aof
	if a.on && a.lastWriteErr != nil {
		p.flushAOF(false)
	}
	if p.bgsave != nil || a.rewrite != nil {
		return
	}
	if a.rewriteScheduled && time.Since(a.rewriteStart) > time.Second {
		if err := p.startRewrite(); err != nil {
			// Try again later (the AOF waits for a base while
			// waitRewrite is set).
			a.rewriteScheduled = a.waitRewrite
			a.rewriteStart = time.Now()
		}
		return
	}
	if p.bgsaveScheduled {
		p.startBGSave()
		return
	}
	now := time.Now()
	for _, sp := range p.savePointsOf() {
		if srv.Dirty >= sp[1] && now.Unix()-p.lastSave() > sp[0] &&
			(now.Sub(p.lastBGSaveTry) > 5*time.Second || p.lastBGSaveOK) {
			srv.Logf(cmds.LogNotice, "%d changes in %d seconds. Saving...", sp[1], sp[0])
			p.startBGSave()
			return
		}
	}
	perc := int64(srv.Config.AutoAofRewritePercentage)
	if a.on && perc > 0 && a.currentSize > srv.Config.AutoAofRewriteMinSize {
		base := a.baseSize
		if base == 0 {
			base = 1
		}
		growth := a.currentSize*100/base - 100
		if growth >= perc {
			srv.Logf(cmds.LogNotice, "Starting automatic rewriting of AOF on %d%% growth", growth)
			p.startRewrite()
		}
	}
}

// PrepareShutdown implements cmds.Persistence (prepareForShutdown): stop
// what runs in the background, flush and sync the AOF, save the RDB file
// when save points are set (or save is asked).
func (p *Persister) PrepareShutdown(save, nosave, force bool) error {
	srv := p.srv
	a := &p.aof
	if p.bgsave != nil {
		srv.Logf(cmds.LogWarning, "There is a child saving an .rdb. Killing it!")
		p.bgsave.abort()
		p.bgsave = nil
	}
	if a.rewrite != nil {
		srv.Logf(cmds.LogWarning, "There is a child rewriting the AOF. Killing it!")
		p.abortRewrite()
	}
	if a.on && a.f != nil {
		srv.Logf(cmds.LogNotice, "Calling fsync() on the AOF file.")
		p.flushAOF(true)
	}
	if save || !nosave && len(p.savePointsOf()) > 0 {
		srv.Logf(cmds.LogNotice, "Saving the final RDB snapshot before exiting.")
		if err := p.saveSync(); err != nil {
			if force {
				srv.Logf(cmds.LogWarning, "Error trying to save the DB. Exit anyway.")
			} else {
				srv.Logf(cmds.LogWarning, "Error trying to save the DB, can't exit.")
				return err
			}
		}
	}
	p.shutdownDone = true
	return nil
}

// WriteError implements cmds.Persistence: the MISCONF error that refuses
// writes while saving fails (writeCommandsDeniedByDiskError).
func (p *Persister) WriteError() string {
	cfg := &p.srv.Config
	if cfg.StopWritesOnBGSaveError && len(p.savePointsOf()) > 0 && !p.lastBGSaveOK {
		return "-MISCONF Redis is configured to save RDB snapshots, but it's currently unable to persist to disk. Commands that may modify the data set are disabled, because this instance is configured to report errors during writes if RDB snapshotting fails (stop-writes-on-bgsave-error option). Please check the Redis logs for details about the RDB error."
	}
	a := &p.aof
	if a.on {
		if a.lastWriteErr != nil {
			return "-MISCONF Errors writing to the AOF file: " + strerror(a.lastWriteErr)
		}
		if err := a.syncer.fsyncErr(); err != nil {
			return "-MISCONF Errors writing to the AOF file: " + strerror(err)
		}
	}
	return ""
}

// ApplyConfig implements cmds.Persistence.
func (p *Persister) ApplyConfig(name string) error {
	cfg := &p.srv.Config
	a := &p.aof
	switch name {
	case "appendfsync":
		a.policy = policyOf(cfg.AppendFsync)
		if a.policy == fsyncAlways {
			p.flushAOF(true)
		}
	case "appendonly":
		if cfg.AppendOnly && !a.on {
			return p.startAppendOnly()
		}
		if !cfg.AppendOnly && a.on {
			p.stopAppendOnly()
		}
	}
	return nil
}

// startAppendOnly turns the AOF on at run time (startAppendOnly): a
// rewrite makes the new base; writes meanwhile go to a new incremental
// file.
func (p *Persister) startAppendOnly() error {
	srv := p.srv
	a := &p.aof
	if p.bgsave != nil {
		// Wait for the save: the rewrite starts from the cron.
		srv.Logf(cmds.LogWarning, "AOF was enabled but there is already another background operation. An AOF background was scheduled to start when possible.")
	}
	m, err := p.readManifest()
	if err != nil {
		m = nil
	}
	a.manifest = m
	a.on = true
	a.waitRewrite = true
	a.selectedDB = -1
	a.buf = a.buf[:0]
	if a.syncer == nil {
		a.syncer = newSyncer()
	}
	if p.bgsave != nil {
		if err := os.MkdirAll(a.dir, 0o755); err == nil {
			err = p.openTempIncr()
		}
		if err != nil {
			a.on = false
			return err
		}
		p.updateFeed()
		a.rewriteScheduled = true
		return nil
	}
	p.updateFeed()
	if err := p.startRewrite(); err != nil {
		a.on = false
		p.updateFeed()
		srv.Logf(cmds.LogWarning, "Redis needs to enable the AOF but can't trigger a background AOF rewrite operation. Check the above logs for more info about the error.")
		return errors.New("Failed to enable AOF")
	}
	return nil
}

// stopAppendOnly turns the AOF off (stopAppendOnly).
func (p *Persister) stopAppendOnly() {
	a := &p.aof
	p.flushAOF(true)
	p.abortRewrite()
	if a.f != nil {
		a.f.Close()
		a.f = nil
	}
	if a.syncer != nil {
		a.syncer.close()
		a.syncer = nil
	}
	if a.waitRewrite {
		os.Remove(filepath.Join(a.dir, p.tempIncrName()))
		a.waitRewrite = false
	}
	a.on = false
	p.updateFeed()
	a.buf = a.buf[:0]
	a.lastWriteErr = nil
	p.srv.Logf(cmds.LogNotice, "Background append only file rewriting stopped")
}

// AfterFlushAll implements cmds.Persistence (flushAllDataAndResetRDB): a
// BGSAVE in progress is stopped and, with save points, the empty data set
// is saved at once. Dirty is kept, so that FLUSHALL still goes to the AOF.
func (p *Persister) AfterFlushAll() {
	if p.bgsave != nil {
		p.bgsave.abort()
		p.bgsave = nil
	}
	if len(p.savePointsOf()) > 0 {
		dirty := p.srv.Dirty
		p.saveSync()
		p.srv.Dirty = dirty
	}
}

// DebugReload implements cmds.Persistence (DEBUG RELOAD).
func (p *Persister) DebugReload(save, flush, merge bool) error {
	if save {
		if err := p.saveSync(); err != nil {
			return cmds.ErrReloadSave(err)
		}
	}
	if flush {
		p.srv.EmptyData(-1)
	}
	ok, st, err := p.loadRDBFile(p.rdbPath(), merge)
	if err != nil {
		p.srv.Logf(cmds.LogWarning, "%v", err)
		return err
	}
	if !ok {
		return errors.New("no RDB file")
	}
	p.lastLoad = st
	return nil
}

// DebugLoadAOF implements cmds.Persistence (DEBUG LOADAOF).
func (p *Persister) DebugLoadAOF() error {
	a := &p.aof
	if a.on {
		p.flushAOF(true)
	}
	p.srv.EmptyData(-1)
	m, err := p.readManifest()
	if err != nil {
		return err
	}
	a.manifest = m
	_, err = p.loadAOF()
	return err
}

// AppendInfo implements cmds.Persistence: INFO's persistence section.
func (p *Persister) AppendInfo(b []byte) []byte {
	srv := p.srv
	a := &p.aof
	line := func(k string, v any) {
		b = append(b, k...)
		b = append(b, ':')
		switch v := v.(type) {
		case int64:
			b = strconv.AppendInt(b, v, 10)
		case int:
			b = strconv.AppendInt(b, int64(v), 10)
		case string:
			b = append(b, v...)
		}
		b = append(b, "\r\n"...)
	}
	status := func(ok bool) string {
		if ok {
			return "ok"
		}
		return "err"
	}
	b01 := func(v bool) int {
		if v {
			return 1
		}
		return 0
	}
	var processed, total int64
	curSave := int64(-1)
	if s := p.bgsave; s != nil {
		processed, total = s.keys, s.total
		curSave = int64(time.Since(p.bgsaveStart).Seconds())
	} else if s := a.rewrite; s != nil {
		processed, total = s.keys, s.total
	}
	line("loading", 0)
	line("async_loading", 0)
	line("current_cow_peak", 0)
	line("current_cow_size", 0)
	line("current_cow_size_age", 0)
	line("current_fork_perc", "0.00")
	line("current_save_keys_processed", processed)
	line("current_save_keys_total", total)
	line("rdb_changes_since_last_save", srv.Dirty)
	line("rdb_bgsave_in_progress", b01(p.bgsave != nil))
	line("rdb_last_save_time", p.lastSave())
	line("rdb_last_bgsave_status", status(p.lastBGSaveOK))
	lastBG := int64(-1)
	if !p.bgsaveStart.IsZero() {
		lastBG = p.lastBGSaveSec
	}
	line("rdb_last_bgsave_time_sec", lastBG)
	line("rdb_current_bgsave_time_sec", curSave)
	line("rdb_saves", p.rdbSaves)
	line("rdb_last_cow_size", 0)
	line("rdb_last_load_keys_expired", p.lastLoad.expired)
	line("rdb_last_load_keys_loaded", p.lastLoad.keys)
	line("aof_enabled", b01(a.on))
	line("aof_rewrite_in_progress", b01(a.rewrite != nil))
	line("aof_rewrite_scheduled", b01(a.rewriteScheduled))
	lastRW := int64(-1)
	if !a.rewriteStart.IsZero() && a.rewrite == nil {
		lastRW = a.lastRewriteSec
	}
	line("aof_last_rewrite_time_sec", lastRW)
	curRW := int64(-1)
	if a.rewrite != nil {
		curRW = int64(time.Since(a.rewriteStart).Seconds())
	}
	line("aof_current_rewrite_time_sec", curRW)
	line("aof_last_bgrewrite_status", status(a.rewriteOK))
	line("aof_rewrites", a.rewrites)
	line("aof_rewrites_consecutive_failures", a.rewriteFailures)
	line("aof_last_write_status", status(a.lastWriteErr == nil && a.syncer.fsyncErr() == nil))
	line("aof_last_cow_size", 0)
	line("module_fork_in_progress", 0)
	line("module_fork_last_cow_size", 0)
	if a.on {
		line("aof_current_size", a.currentSize)
		line("aof_base_size", a.baseSize)
		line("aof_pending_rewrite", b01(a.rewriteScheduled))
		line("aof_buffer_length", len(a.buf))
		line("aof_pending_bio_fsync", 0)
		line("aof_delayed_fsync", 0)
	}
	return b
}

// Dir returns the directory the files are kept in (absolute).
func (p *Persister) Dir() string { return p.dir }
