package persist

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"time"

	"github.com/redisfs/redisfs/core/cmds"
)

// AOF rewrite (BGREWRITEAOF, automatic rewrites, turning appendonly on), as
// Redis 7.0's multi-part AOF does it, with a snapshot instead of a fork:
//
//  1. On the loop, in one step: the buffer is written and synced, a new
//     incremental file is opened and added to the manifest (persisted), and
//     the snapshot starts. From this instant every write goes to the new
//     incremental file, and the snapshot is the keyspace at this instant.
//  2. The snapshot is written to a new base file (an RDB preamble with
//     aof-use-rdb-preamble, else commands) in the background.
//  3. Once it is on disk, the manifest is replaced (atomically) by one
//     listing the new base and the incremental files opened since step 1;
//     the old base and incremental files become history and are deleted.
//
// A crash at any point leaves a manifest that lists a complete, loadable
// set of files: before step 3 the old base and every incremental file
// (old and new), after it the new base and the new incremental files.

// rewriteTempName is the temporary base file of a rewrite.
func (p *Persister) rewriteTempName() string {
	return filepath.Join(p.aof.dir, fmt.Sprintf("temp-rewriteaof-bg-%d.aof", os.Getpid()))
}

// openNewIncr opens the next incremental file and persists a manifest that
// lists it; the current file is synced and closed.
func (p *Persister) openNewIncr() error {
	a := &p.aof
	m := &manifest{}
	if a.manifest != nil {
		m = a.manifest.clone()
	}
	seq := m.incrSeq + 1
	name := p.incrName(seq)
	f, size, err := p.openIncr(name, true)
	if err != nil {
		return err
	}
	m.incr = append(m.incr, &aofInfo{name: name, seq: seq, typ: aofTypeIncr})
	m.incrSeq = seq
	if err := writeManifest(a.dir, p.manifestName(), m); err != nil {
		f.Close()
		os.Remove(filepath.Join(a.dir, name))
		return err
	}
	old := a.f
	a.manifest = m
	p.setIncr(f, name, size)
	a.selectedDB = -1
	if old != nil {
		old.Close()
	}
	return nil
}

// startRewrite starts an AOF rewrite (rewriteAppendOnlyFileBackground).
func (p *Persister) startRewrite() error {
	srv := p.srv
	a := &p.aof
	if err := os.MkdirAll(a.dir, 0o755); err != nil {
		return err
	}
	if a.on && a.waitRewrite {
		// Each attempt starts the temporary incremental file afresh:
		// the new base will hold everything before this instant.
		if err := p.openTempIncr(); err != nil {
			srv.Logf(cmds.LogWarning, "Can't open new incr AOF file: %s", strerror(err))
			return err
		}
	} else if a.on {
		p.flushAOF(true)
		if a.lastWriteErr != nil {
			return a.lastWriteErr
		}
		if err := p.openNewIncr(); err != nil {
			srv.Logf(cmds.LogWarning, "Can't open new incr AOF file: %s", strerror(err))
			return err
		}
	}
	baseSeq := int64(1)
	if a.manifest != nil {
		baseSeq = a.manifest.baseSeq + 1
	}
	preamble := srv.Config.AofUseRDBPreamble
	base := &aofInfo{name: p.baseName(baseSeq, preamble), seq: baseSeq, typ: aofTypeBase}
	var enc emitter = aofEmitter{}
	if preamble {
		enc = rdbEmitter{srv: p.srv, aofBase: true}
	}
	incrSeq := int64(0)
	if a.manifest != nil {
		incrSeq = a.manifest.incrSeq
	}
	s, err := p.newSnapshot(enc, p.rewriteTempName(), filepath.Join(a.dir, base.name), false,
		func(s *snapshot, err error) { p.rewriteDone(s, base, incrSeq, err) })
	if err != nil {
		srv.Logf(cmds.LogWarning, "Can't rewrite append only file in background: %s", strerror(err))
		return err
	}
	a.rewrite = s
	a.rewriteStart = time.Now()
	a.rewriteScheduled = false
	srv.Logf(cmds.LogNotice, "Background append only file rewriting started")
	p.post(s.step)
	return nil
}

// rewriteDone finishes a rewrite on the loop (backgroundRewriteDoneHandler):
// the new base replaces the old one and the incremental files before
// keepFrom in the manifest.
func (p *Persister) rewriteDone(s *snapshot, base *aofInfo, keepFrom int64, err error) {
	srv := p.srv
	a := &p.aof
	if a.rewrite != s {
		return
	}
	a.rewrite = nil
	a.lastRewriteSec = int64(time.Since(a.rewriteStart).Seconds())
	p.noteStall(s.maxStall)
	if err == nil {
		err = p.adoptBase(base, keepFrom, s)
	}
	if err != nil {
		a.rewriteOK = false
		a.rewriteFailures++
		os.Remove(filepath.Join(a.dir, base.name))
		srv.Logf(cmds.LogWarning, "Background AOF rewrite terminated with error: %s", strerror(err))
		// An AOF turned on at run time has no base yet: try again.
		a.rewriteScheduled = a.waitRewrite
		return
	}
	a.rewriteOK = true
	a.rewriteFailures = 0
	a.rewrites++
	srv.Logf(cmds.LogNotice, "Background AOF rewrite terminated with success")
	srv.Logf(cmds.LogNotice, "Background AOF rewrite finished successfully (%d keys, %d copied on write, %.3f seconds, %d steps, longest loop stall %s, %s of CPU)",
		s.keys, s.cowKeys, time.Since(a.rewriteStart).Seconds(), s.steps, s.maxStall.Round(time.Microsecond), s.maxStallCPU.Round(time.Microsecond))
}

// adoptBase makes base the AOF's base in the manifest; the old base and the
// incremental files before keepFrom (the one opened when the rewrite
// started) go.
func (p *Persister) adoptBase(base *aofInfo, keepFrom int64, s *snapshot) error {
	a := &p.aof
	m := &manifest{}
	if a.manifest != nil {
		m = a.manifest.clone()
	}
	if m.base != nil {
		m.base.typ = aofTypeHistory
		m.history = append(m.history, m.base)
	}
	if a.waitRewrite {
		// The temporary incremental file becomes the first one after
		// the new base; every older file goes.
		keepFrom = m.incrSeq + 1
		name := p.incrName(keepFrom)
		if err := os.Rename(filepath.Join(a.dir, p.tempIncrName()), filepath.Join(a.dir, name)); err != nil {
			return err
		}
		m.incr = append(m.incr, &aofInfo{name: name, seq: keepFrom, typ: aofTypeIncr})
		m.incrSeq = keepFrom
		a.fname = name
	}
	var incr []*aofInfo
	for _, ai := range m.incr {
		// With appendonly off there is no incremental file to keep.
		if !a.on || ai.seq < keepFrom {
			ai.typ = aofTypeHistory
			m.history = append(m.history, ai)
		} else {
			incr = append(incr, ai)
		}
	}
	m.incr = incr
	m.base = base
	m.baseSeq = base.seq
	if err := writeManifest(a.dir, p.manifestName(), m); err != nil {
		return err
	}
	a.manifest = m
	a.waitRewrite = false
	var baseSize int64
	if st, err := os.Stat(filepath.Join(a.dir, base.name)); err == nil {
		baseSize = st.Size()
	}
	a.baseSize = baseSize + a.incrSize
	a.currentSize = a.baseSize
	p.deleteHistory()
	return nil
}

// deleteHistory removes the history files and drops them from the
// manifest (aofDelHistoryFiles).
func (p *Persister) deleteHistory() {
	a := &p.aof
	m := a.manifest
	if m == nil || len(m.history) == 0 {
		return
	}
	for _, ai := range m.history {
		p.srv.Logf(cmds.LogNotice, "Removing the history file %s in the background", ai.name)
		os.Remove(filepath.Join(a.dir, ai.name))
	}
	c := m.clone()
	c.history = nil
	if err := writeManifest(a.dir, p.manifestName(), c); err == nil {
		a.manifest = c
	}
}

// createBaseSync writes the base file of an AOF that has none, from the
// keyspace as it is (at start, or when AOF is first turned on with nothing
// to rewrite concurrently).
func (p *Persister) createBaseSync() error {
	a := &p.aof
	m := &manifest{}
	if a.manifest != nil {
		m = a.manifest.clone()
	}
	seq := m.baseSeq + 1
	preamble := p.srv.Config.AofUseRDBPreamble
	base := &aofInfo{name: p.baseName(seq, preamble), seq: seq, typ: aofTypeBase}
	var enc emitter = aofEmitter{}
	if preamble {
		enc = rdbEmitter{srv: p.srv, aofBase: true}
	}
	var result error
	s, err := p.newSnapshot(enc, p.rewriteTempName(), filepath.Join(a.dir, base.name), true,
		func(s *snapshot, err error) { result = err })
	if err != nil {
		return err
	}
	s.step()
	if result != nil {
		return result
	}
	p.srv.Logf(cmds.LogNotice, "Creating AOF base file %s on server start", base.name)
	if m.base != nil {
		m.base.typ = aofTypeHistory
		m.history = append(m.history, m.base)
	}
	m.base = base
	m.baseSeq = seq
	if err := writeManifest(a.dir, p.manifestName(), m); err != nil {
		return err
	}
	a.manifest = m
	if st, err := os.Stat(filepath.Join(a.dir, base.name)); err == nil {
		a.baseSize = st.Size()
		a.currentSize = st.Size()
	}
	return nil
}

// tempIncrName is the incremental file of an AOF waiting for its first
// rewrite (getTempIncrAofName).
func (p *Persister) tempIncrName() string { return "temp-" + p.srv.Config.AppendFilename + ".incr" }

// openTempIncr (re)creates the temporary incremental file and appends to it.
func (p *Persister) openTempIncr() error {
	a := &p.aof
	f, _, err := p.openIncr(p.tempIncrName(), true)
	if err != nil {
		return err
	}
	old := a.f
	p.setIncr(f, p.tempIncrName(), 0)
	a.selectedDB = -1
	a.buf = a.buf[:0]
	if old != nil {
		old.Close()
	}
	return nil
}

// abortRewrite stops a rewrite in progress (SHUTDOWN, appendonly no).
func (p *Persister) abortRewrite() {
	a := &p.aof
	if a.rewrite == nil {
		return
	}
	a.rewrite.abort()
	a.rewrite = nil
	os.Remove(p.rewriteTempName())
}

// errRewriteRunning is BGREWRITEAOF's error while one runs.
var errRewriteRunning = errors.New("Background append only file rewriting already in progress")
