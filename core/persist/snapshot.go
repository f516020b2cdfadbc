package persist

import (
	"sync/atomic"
	"time"
	"unsafe"

	"golang.org/x/sys/unix"

	"github.com/redisfs/redisfs/core/cmds"
	"github.com/redisfs/redisfs/core/rdb"
	"github.com/redisfs/redisfs/core/types"
)

// A snapshot is a point-in-time image of the keyspace (an RDB file, or an
// AOF base), made without fork and without stopping the loop for long.
//
// How it stays consistent. At the instant it starts (one step on the
// loop, between two commands) the snapshot takes hold of each database's
// key dict and expires dict and pauses their rehashing, so that every entry
// stays in its bucket. It then walks the dicts bucket by bucket — table 0,
// then table 1 — in steps of about a millisecond, run on the loop between
// events; what it encodes goes to a writer goroutine that writes, syncs and
// renames the file. Between two steps commands run and change keys, so:
//
//   - before anything changes a key (a write command, for each key it names;
//     an overwrite, a delete, an expiry, an eviction, a TTL change, a blocked
//     client served: cmds.Server.OnBeforeKeyWrite), the snapshot looks at
//     where the key is: a key in a bucket already walked was saved already;
//     a key not reached yet is saved now, with the value and TTL it has
//     before the change (copy-on-write at key granularity), and remembered
//     so that the walk skips it later;
//   - a key created after the start is remembered the same way and never
//     saved (it did not exist at the instant of the snapshot);
//   - FLUSHALL, FLUSHDB and SWAPDB replace or exchange the dicts of a
//     database: the snapshot keeps walking the dicts it took at the start,
//     which nothing changes anymore once replaced, and maps a key change
//     to the dict it touches, wherever that dict now is.
//
// So every key that existed at the start is saved exactly once, with its
// value at the start, and no other key is. Keys saved out of order go to
// the file with a SELECTDB of their own when they belong to another
// database than the one being walked (a loader just switches databases).
//
// The loop's cost is the encoding of what it saves (the writer goroutine
// does the checksum and the I/O), sliced into steps of stepBudget, plus the
// copy of each changed key. A large collection is itself saved across steps
// (cmds.RDBValueWriter), the walk resuming inside it: a write to that key
// first completes it (its value does not change while it is half saved),
// and so does a write to a large key the walk has not reached — the one
// case where a step is as long as the encoding of one whole value.

// stepBudget is how long one step of a background snapshot may run.
const stepBudget = 500 * time.Microsecond

// emitter encodes a snapshot: as an RDB file, or as AOF commands.
type emitter interface {
	header(b []byte) []byte
	selectDB(b []byte, id, keys, expires int, resize bool) []byte
	// entry encodes a key and its value whole; entryHead encodes what
	// precedes the value, for an emitter that streams values.
	entry(b []byte, key string, o *cmds.Object, expire int64) ([]byte, error)
	entryHead(b []byte, key string, o *cmds.Object, expire int64) ([]byte, error)
	streams() bool
	footer(b []byte) []byte
	checksum() bool
}

type rdbEmitter struct {
	srv     *cmds.Server
	aofBase bool
}

// header writes the magic, the aux fields and, as Redis's rdbSaveRio,
// the function libraries before the first database.
func (e rdbEmitter) header(b []byte) []byte {
	b = appendRDBHeader(b, e.aofBase)
	for _, code := range e.srv.FunctionLibraries() {
		b = append(b, opFunction2)
		b = rdb.AppendString(b, code, true)
	}
	return b
}
func (e rdbEmitter) selectDB(b []byte, id, keys, expires int, resize bool) []byte {
	return appendSelectDB(b, id, keys, expires, resize)
}
func (e rdbEmitter) entry(b []byte, key string, o *cmds.Object, expire int64) ([]byte, error) {
	return appendKeyValue(e.srv, b, key, o, expire)
}
func (e rdbEmitter) entryHead(b []byte, key string, o *cmds.Object, expire int64) ([]byte, error) {
	return appendKeyHead(e.srv, b, key, o, expire)
}
func (e rdbEmitter) streams() bool          { return true }
func (e rdbEmitter) footer(b []byte) []byte { return append(b, opEOF) }

// checksum is always true: with rdbchecksum no the writer still appends
// the 8 bytes, as zeros (a file Redis loads without checking).
func (e rdbEmitter) checksum() bool { return true }

// aofEmitter writes an AOF base without the RDB preamble
// (aof-use-rdb-preamble no): commands that rebuild every key.
type aofEmitter struct{}

func (aofEmitter) header(b []byte) []byte { return b }
func (aofEmitter) selectDB(b []byte, id, keys, expires int, resize bool) []byte {
	return appendSelectCommand(b, id)
}
func (aofEmitter) entry(b []byte, key string, o *cmds.Object, expire int64) ([]byte, error) {
	return cmds.AppendRewriteCommands(b, keyBytes(key), o, expire)
}
func (e aofEmitter) entryHead(b []byte, key string, o *cmds.Object, expire int64) ([]byte, error) {
	return e.entry(b, key, o, expire)
}
func (aofEmitter) streams() bool          { return false }
func (aofEmitter) footer(b []byte) []byte { return b }
func (aofEmitter) checksum() bool         { return false }

// pendingKey is a key of the bucket being saved.
type pendingKey struct {
	key string
	o   *cmds.Object
}

type snapshot struct {
	p   *Persister
	w   *fileWriter
	enc emitter

	dicts   []*types.Dict[cmds.Object]
	expires []*types.Dict[int64]
	sizes   [][2]int
	index   map[*types.Dict[cmds.Object]]int
	// skip holds, per database, the keys saved ahead of the walk or
	// created after the start.
	skip []map[string]struct{}

	// The walk's position: the bucket being saved (its keys in pending,
	// pending[:pendingPos] saved already) and, when a value is saved
	// across steps, its writer (big, for pending[pendingPos]).
	db, t, i     int
	sectionOpen  bool
	bucketLoaded bool
	pending      []pendingKey
	pendingPos   int
	big          bool
	vw           cmds.RDBValueWriter
	outDB        int // database of the last SELECTDB written, -1 before any
	// side holds the keys copied on write while a value is half
	// written (they go to the file once it is complete); sideOut is its
	// outDB.
	side    []byte
	sideOut int

	buf         []byte
	keys        int64
	total       int64
	cowKeys     int64 // keys saved ahead of the walk (copy on write)
	start       time.Time
	maxStall    time.Duration
	maxStallCPU time.Duration
	steps       int64
	err         error
	finished    bool
	// waiting is set when a step stopped because the writer's queue was
	// full; the writer posts the next step when it takes a chunk.
	// handedOver tells the step that it must not post the next one.
	waiting    atomic.Bool
	handedOver bool
	// sync is set when the snapshot runs to completion on the caller's
	// goroutine (SAVE): steps are not posted.
	sync bool
	// done is called on the loop with the outcome once the file is in
	// place (or failed).
	done func(s *snapshot, err error)
}

// newSnapshot starts a snapshot of the keyspace into tmp, renamed to final
// when complete. It must be called on the loop.
func (p *Persister) newSnapshot(enc emitter, tmp, final string, sync bool, done func(*snapshot, error)) (*snapshot, error) {
	s := &snapshot{p: p, enc: enc, outDB: -1, sideOut: -1, start: time.Now(), sync: sync, done: done,
		index: map[*types.Dict[cmds.Object]]int{}}
	var wake func()
	if !sync {
		wake = func() {
			if s.waiting.CompareAndSwap(true, false) {
				p.post(s.step)
			}
		}
	}
	w, err := newFileWriter(tmp, final, enc.checksum(), wake, p.chunks)
	if err != nil {
		return nil, err
	}
	if enc.checksum() && !p.srv.Config.RDBChecksum {
		w.checksum = false
		w.zeroSum = true
	}
	s.w = w
	srv := p.srv
	for _, db := range srv.DBs {
		s.index[db.Dict] = len(s.dicts)
		s.dicts = append(s.dicts, db.Dict)
		s.expires = append(s.expires, db.Expires)
		s.sizes = append(s.sizes, [2]int{db.Dict.Len(), db.Expires.Len()})
		s.skip = append(s.skip, nil)
		s.total += int64(db.Dict.Len())
		db.Dict.PauseRehash()
	}
	s.buf = enc.header(w.buffer())
	// A synchronous snapshot runs to the end before any command: it
	// needs no copy-on-write.
	if !sync {
		srv.OnBeforeKeyWrite(s.beforeKeyWrite)
	}
	return s, nil
}

// release resumes rehashing and removes the key-write hook.
func (s *snapshot) release() {
	for _, d := range s.dicts {
		if d != nil {
			d.ResumeRehash()
		}
	}
	s.dicts = nil
	if s.big {
		s.vw.Close()
		s.big = false
	}
	clear(s.pending)
	s.pending = nil
	if !s.sync {
		s.p.srv.OnBeforeKeyWrite(nil)
	}
}

// beforeKeyWrite is the copy-on-write hook (see the comment at the top).
func (s *snapshot) beforeKeyWrite(db *cmds.DB, key []byte, added bool) {
	j, ok := s.index[db.Dict]
	if !ok || j < s.db || s.finished {
		return
	}
	k := unsafe.String(unsafe.SliceData(key), len(key))
	start := time.Now()
	cpu0 := threadCPU()
	defer func() { s.noteStep(time.Since(start), threadCPU()-cpu0) }()
	if s.big && j == s.db && s.pending[s.pendingPos].key == k {
		// The value being saved across steps is about to change:
		// save the rest of it now.
		s.finishBig()
		return
	}
	if _, skipped := s.skip[j][k]; skipped {
		return
	}
	d := s.dicts[j]
	if j == s.db {
		t, i, found := d.Locate(k)
		if !found || t < s.t || t == s.t && i < s.i {
			return // gone, or saved already
		}
		if t == s.t && i == s.i && s.bucketLoaded {
			for _, pk := range s.pending[:s.pendingPos] {
				if pk.key == k {
					return // saved already, earlier in this bucket
				}
			}
		}
	}
	if s.skip[j] == nil {
		s.skip[j] = map[string]struct{}{}
	}
	if added {
		s.skip[j][string(key)] = struct{}{}
		return
	}
	o := d.Find(k)
	if o == nil {
		return
	}
	s.skip[j][string(key)] = struct{}{}
	s.cowKeys++
	s.saveWhole(j, k, o)
}

// noteStep records how long a step (or a copy-on-write) held the loop:
// wall time, and CPU time of the loop's thread (the wall time includes
// whatever else the machine made the thread wait for).
func (s *snapshot) noteStep(wall, cpu time.Duration) {
	s.maxStall = max(s.maxStall, wall)
	s.maxStallCPU = max(s.maxStallCPU, cpu)
	s.steps++
}

// threadCPU returns the CPU time of the calling thread (the loop goroutine
// is locked to its thread).
func threadCPU() time.Duration {
	var ts unix.Timespec
	if unix.ClockGettime(unix.CLOCK_THREAD_CPUTIME_ID, &ts) != nil {
		return 0
	}
	return time.Duration(ts.Nano())
}

// selectOut writes a SELECTDB when the output is in another database.
func (s *snapshot) selectOut(j int) {
	if s.outDB != j {
		s.buf = s.enc.selectDB(s.buf, j, 0, 0, false)
		s.outDB = j
	}
}

func (s *snapshot) expireOf(j int, key string) int64 {
	if e := s.expires[j].Find(key); e != nil {
		return *e
	}
	return -1
}

func (s *snapshot) noteErr(err error) {
	if err != nil && s.err == nil {
		s.err = err
	}
}

// saveWhole encodes one key of database j and its whole value (a copy on
// write), spilling full chunks to the writer. While a value is half
// written, it goes to the side buffer instead.
func (s *snapshot) saveWhole(j int, key string, o *cmds.Object) {
	if s.big {
		main, mainOut := s.buf, s.outDB
		s.buf, s.outDB = s.side, s.sideOut
		s.encodeWhole(j, key, o, false)
		s.side, s.sideOut = s.buf, s.outDB
		s.buf, s.outDB = main, mainOut
		return
	}
	s.encodeWhole(j, key, o, true)
}

// encodeWhole encodes a key and its whole value into s.buf, spilling full
// chunks to the writer when it may.
func (s *snapshot) encodeWhole(j int, key string, o *cmds.Object, spill bool) {
	s.selectOut(j)
	expire := s.expireOf(j, key)
	var err error
	if !s.enc.streams() {
		s.buf, err = s.enc.entry(s.buf, key, o, expire)
		s.noteErr(err)
		s.keys++
		return
	}
	s.buf, err = s.enc.entryHead(s.buf, key, o, expire)
	if err != nil {
		s.noteErr(err)
		return
	}
	if !spill {
		s.buf = cmds.RDBAppendObject(s.buf, o)
		s.keys++
		return
	}
	var vw cmds.RDBValueWriter
	vw.Reset(o)
	for done := false; !done; {
		s.buf, done = vw.Append(s.buf, chunkSize)
		if !done || len(s.buf) >= chunkSize {
			s.spill()
		}
	}
	s.keys++
}

// spill hands a full buffer to the writer, waiting if its queue is full
// (a copy on write, or a synchronous save, cannot yield).
func (s *snapshot) spill() {
	s.w.send(s.buf)
	s.buf = s.w.buffer()
}

// startKey starts saving pending[pendingPos] in the walk; it reports
// whether the value is complete (else it continues in s.vw).
func (s *snapshot) startKey(pk pendingKey) bool {
	s.selectOut(s.db)
	expire := s.expireOf(s.db, pk.key)
	var err error
	if !s.enc.streams() {
		s.buf, err = s.enc.entry(s.buf, pk.key, pk.o, expire)
		s.noteErr(err)
		s.keys++
		return true
	}
	s.buf, err = s.enc.entryHead(s.buf, pk.key, pk.o, expire)
	if err != nil {
		s.noteErr(err)
		return true
	}
	s.vw.Reset(pk.o)
	s.big = true
	return s.continueBig()
}

// bigSlice is how much of a large value one call of continueBig writes
// (about a tenth of a millisecond of encoding for small elements).
const bigSlice = 16 * 1024

// continueBig writes the next part of the value in progress; it reports
// whether it is complete.
func (s *snapshot) continueBig() bool {
	var done bool
	s.buf, done = s.vw.Append(s.buf, len(s.buf)+bigSlice)
	if done {
		s.big = false
		s.keys++
		if len(s.side) > 0 {
			s.buf = append(s.buf, s.side...)
			s.outDB = s.sideOut
			s.side = s.side[:0]
		}
		s.sideOut = -1
	}
	return done
}

// finishBig writes the rest of the value in progress (its key is about to
// change) and moves the walk past it.
func (s *snapshot) finishBig() {
	for !s.continueBig() {
		s.spill()
	}
	s.pendingPos++
}

// step runs one slice of the walk (the whole walk when sync).
func (s *snapshot) step() {
	if s.finished {
		return
	}
	if !s.sync {
		// A step runs after the commands of this loop iteration: send
		// their replies first (after the AOF, as beforeSleep does), so
		// that they do not wait for the step.
		s.p.BeforeReplies()
		s.p.srv.HandleClientsWithPendingWrites()
	}
	start := time.Now()
	cpu0 := threadCPU()
	deadline := start.Add(stepBudget)
	more := s.walk(deadline)
	if !s.sync {
		s.noteStep(time.Since(start), threadCPU()-cpu0)
	}
	if !more {
		s.complete()
		return
	}
	if !s.sync && !s.handedOver {
		s.p.post(s.step)
	}
	s.handedOver = false
}

// walk saves keys until the deadline (ignored when sync), a full writer
// queue, or the end; it reports whether there is more to do.
func (s *snapshot) walk(deadline time.Time) bool {
	collect := func(k string, o *cmds.Object) {
		s.pending = append(s.pending, pendingKey{k, o})
	}
	n := 0
	// yield reports whether the step must end: the buffer is full and
	// the writer cannot take it, or the time is up (looked at every 16
	// keys, and after every slice of a large value).
	yield := func() bool {
		if len(s.buf) >= chunkSize && !s.flush() {
			return true
		}
		n++
		return !s.sync && (s.big || n&15 == 0) && time.Now().After(deadline)
	}
	for s.db < len(s.dicts) {
		d := s.dicts[s.db]
		if !s.sectionOpen {
			s.sectionOpen = true
			if s.sizes[s.db][0] > 0 {
				s.buf = s.enc.selectDB(s.buf, s.db, s.sizes[s.db][0], s.sizes[s.db][1], true)
				s.outDB = s.db
			}
		}
		for s.t < 2 {
			for size := d.TableLen(s.t); s.i < size; {
				if !s.bucketLoaded {
					s.pending = s.pending[:0]
					d.RangeBucket(s.t, s.i, collect)
					s.pendingPos = 0
					s.bucketLoaded = true
				}
				for s.pendingPos < len(s.pending) {
					done := true
					if s.big {
						done = s.continueBig()
					} else if pk := s.pending[s.pendingPos]; !s.skipped(pk.key) {
						done = s.startKey(pk)
					}
					if done {
						s.pendingPos++
					}
					if yield() {
						return true
					}
				}
				clear(s.pending)
				s.bucketLoaded = false
				s.i++
				if yield() {
					return true
				}
			}
			s.t++
			s.i = 0
		}
		d.ResumeRehash()
		s.dicts[s.db] = nil
		s.db++
		s.t, s.i = 0, 0
		s.sectionOpen = false
	}
	return false
}

// skipped reports whether the walk must not save key of the current
// database (saved ahead, or created after the start).
func (s *snapshot) skipped(key string) bool {
	if sk := s.skip[s.db]; sk != nil {
		_, ok := sk[key]
		return ok
	}
	return false
}

// flush hands the buffer to the writer; it returns false (keeping the
// buffer) when the writer's queue is full and the step must yield: the
// writer then posts the next step (waiting), and this one posts none.
func (s *snapshot) flush() bool {
	if !s.sync && s.w.full() {
		s.waiting.Store(true)
		// The writer may have drained meanwhile: check again, and
		// take the turn back unless the writer took it (posting a
		// step) already.
		if s.w.full() || !s.waiting.CompareAndSwap(true, false) {
			s.handedOver = true
			return false
		}
	}
	s.spill()
	return true
}

// complete writes the footer, releases the keyspace and waits (on a
// goroutine, or here when sync) for the writer.
func (s *snapshot) complete() {
	s.buf = s.enc.footer(s.buf)
	s.finished = true
	s.release()
	s.w.send(s.buf)
	s.buf = nil
	s.w.finish()
	if s.sync {
		s.done(s, firstErr(s.err, <-s.w.done))
		return
	}
	go func() {
		err := <-s.w.done
		s.p.post(func() { s.done(s, firstErr(s.err, err)) })
	}()
}

// abort stops the snapshot: the keyspace is released, the temporary file
// removed. The writer is gone when abort returns, so nothing renames a
// file later (over a newer one). done is not called.
func (s *snapshot) abort() {
	s.done = func(*snapshot, error) {}
	if !s.finished {
		s.finished = true
		s.release()
	}
	s.w.abort()
}

func firstErr(errs ...error) error {
	for _, err := range errs {
		if err != nil {
			return err
		}
	}
	return nil
}
