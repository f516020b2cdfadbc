package cmds

import (
	"math"
	"runtime"
	"runtime/metrics"
	"sync/atomic"
	"time"
)

// maxmemory and key eviction, after Redis 7.0's evict.c: before each
// command, when the memory in use is over maxmemory, keys are evicted per
// maxmemory-policy — the best candidates of an eviction pool of 16 filled
// by sampling maxmemory-samples keys of every database (LRU: longest idle;
// LFU: lowest decayed access counter; TTL: nearest expiry), or random
// keys — until the estimate of the memory freed covers the excess, within
// a time budget set by maxmemory-eviction-tenacity (the rest continues
// before the loop sleeps). With noeviction, or nothing left to evict,
// commands flagged denyoom fail with -OOM.
//
// Memory accounting. Go cannot tell the size of one allocation, and
// memory freed by deleting a key returns only after a garbage collection,
// so used memory is estimated as
//
//	live heap at the last GC (/gc/heap/live:bytes)
//	+ bytes allocated since that GC (/gc/heap/allocs:bytes delta)
//	- estimated size of the keys evicted since that GC
//
// The runtime figures are read at most every evictReadEvery commands (a
// metrics.Read costs ~0.3µs); in between, the argument bytes of write
// commands are added. Garbage made since the last GC (overwritten values,
// deleted keys) counts as used until a GC runs; when eviction runs while
// more than a quarter of maxmemory was allocated since the last GC, a GC
// is started in the background so the estimate converges on the live heap.

const (
	evpoolSize     = 16
	evictReadEvery = 16
)

// Results of performEvictions, as Redis's EVICT_*.
const (
	evictOK = iota
	evictRunning
	evictFail
)

type evictionPoolEntry struct {
	idle  uint64
	key   string
	dbid  int
	valid bool
}

// evictState is the eviction pool and the memory estimate.
type evictState struct {
	pool    [evpoolSize]evictionPoolEntry
	nextDB  int
	running bool // eviction ran out of time and continues before sleep
	// preCommandOOM is whether memory was over maxmemory when the
	// current command passed processCommand (scripts check it).
	preCommandOOM bool

	samples      []metrics.Sample
	gcCycles     uint64
	allocsAtGC   uint64
	freedSinceGC int64
	cached       int64 // last estimate
	sinceRead    int   // commands since the runtime figures were read
	pending      int64 // argument bytes of writes since then
	gcRunning    atomic.Bool
	lastForcedGC time.Time
	scratch      []evictionSample
	// usedFunc, when set (by tests), replaces the memory estimate.
	usedFunc func() int64
}

// init readies the state for NewServer: the runtime metrics the memory
// estimate reads.
func (st *evictState) init() {
	st.samples = []metrics.Sample{
		{Name: "/gc/heap/live:bytes"},
		{Name: "/gc/heap/allocs:bytes"},
		{Name: "/gc/cycles/total:gc-cycles"},
	}
}

// applyMaxmemory is the CONFIG SET apply hook of maxmemory: a limit below
// the memory in use is warned about, and eviction starts at once.
func (srv *Server) applyMaxmemory() error {
	if srv.Config.MaxMemory > 0 {
		used := srv.readUsedMemory()
		if srv.Config.MaxMemory < used {
			srv.Logf(LogWarning, "WARNING: the new maxmemory value set via CONFIG SET (%d) is smaller than the current memory usage (%d). This will result in key eviction and/or the inability to accept new write commands depending on the maxmemory-policy.", srv.Config.MaxMemory, used)
		}
		srv.evict.running = true
	}
	return nil
}

// readUsedMemory reads the runtime figures and returns the estimate.
func (srv *Server) readUsedMemory() int64 {
	st := &srv.evict
	metrics.Read(st.samples)
	u := func(i int) uint64 {
		if st.samples[i].Value.Kind() == metrics.KindUint64 {
			return st.samples[i].Value.Uint64()
		}
		return 0
	}
	live, allocs, cycles := u(0), u(1), u(2)
	if cycles != st.gcCycles {
		// A GC completed: its live figure replaces what we subtracted.
		st.gcCycles = cycles
		st.allocsAtGC = allocs
		st.freedSinceGC = 0
	}
	used := int64(live) + int64(allocs-st.allocsAtGC) - st.freedSinceGC
	st.cached = max(used, 0)
	st.sinceRead, st.pending = 0, 0
	return st.cached
}

// usedMemory returns the estimate, reading the runtime figures every
// evictReadEvery calls.
func (srv *Server) usedMemory() int64 {
	st := &srv.evict
	if st.usedFunc != nil {
		return st.usedFunc()
	}
	st.sinceRead++
	if st.sinceRead >= evictReadEvery || st.samples == nil {
		return srv.readUsedMemory()
	}
	return st.cached + st.pending
}

// EvictionUsedMemory returns the memory figure eviction compares with
// maxmemory (see the comment at the top of evict.go).
//
// Exported for the tests of core/cmds.
func (srv *Server) EvictionUsedMemory() int64 { return srv.readUsedMemory() }

// noteWrite adds a write command's argument bytes to the estimate.
func (srv *Server) noteWrite(c *Client) {
	var n int64
	for _, a := range c.argv[1:] {
		n += int64(len(a))
	}
	srv.evict.pending += n + 64
}

// evictionTimeLimitUs is the time budget of one eviction run.
func (srv *Server) evictionTimeLimitUs() int64 {
	t := srv.Config.maxMemoryEvictionTenacity
	switch {
	case t <= 10:
		return 50 * int64(t)
	case t < 100:
		return int64(500.0 * math.Pow(1.15, float64(t)-10.0))
	}
	return math.MaxInt64
}

// maxmemoryState returns how much must be freed (0: within maxmemory).
func (srv *Server) maxmemoryToFree() int64 {
	if srv.Config.MaxMemory <= 0 {
		return 0
	}
	used := srv.usedMemory()
	if used <= srv.Config.MaxMemory {
		return 0
	}
	return used - srv.Config.MaxMemory
}

func (srv *Server) policyAllKeys() bool {
	switch srv.Config.MaxMemoryPolicy {
	case "allkeys-lru", "allkeys-lfu", "allkeys-random":
		return true
	}
	return false
}

// evictionSample is one sampled key with what its score needs.
type evictionSample struct {
	key  string
	o    *Object
	when int64
}

// sampleKeys picks up to n keys of db (of its expires with !allKeys), as
// dictGetSomeKeys: every key when n covers the table, else random ones.
func (srv *Server) sampleKeys(db *DB, allKeys bool, n int, out []evictionSample) []evictionSample {
	out = out[:0]
	size := db.Expires.Len()
	if allKeys {
		size = db.Dict.Len()
	}
	if n >= size {
		if allKeys {
			db.Dict.Range(func(k string, o *Object) bool {
				out = append(out, evictionSample{key: k, o: o})
				return true
			})
		} else {
			db.Expires.Range(func(k string, w *int64) bool {
				out = append(out, evictionSample{key: k, when: *w})
				return true
			})
		}
		return out
	}
	for i := 0; i < n; i++ {
		if allKeys {
			k, o, ok := db.Dict.RandomKey()
			if !ok {
				break
			}
			out = append(out, evictionSample{key: k, o: o})
		} else {
			k, w, ok := db.Expires.RandomKey()
			if !ok {
				break
			}
			out = append(out, evictionSample{key: k, when: *w})
		}
	}
	return out
}

// evictionPoolPopulate samples keys of db into the pool, keeping the best
// candidates sorted by ascending score ("idle").
func (srv *Server) evictionPoolPopulate(db *DB, allKeys bool) {
	st := &srv.evict
	policy := srv.Config.MaxMemoryPolicy
	st.scratch = srv.sampleKeys(db, allKeys, srv.Config.maxMemorySamples, st.scratch)
	for _, smp := range st.scratch {
		key, o, when := smp.key, smp.o, smp.when
		if !allKeys && policy != "volatile-ttl" {
			o = db.Dict.Find(key)
			if o == nil {
				continue
			}
		}
		var idle uint64
		switch {
		case srv.lruPolicy():
			idle = uint64(srv.estimateObjectIdleTime(o))
		case srv.lfuPolicy():
			idle = 255 - uint64(srv.lfuDecrAndReturn(o))
		default: // volatile-ttl: the sooner the expire the better
			idle = math.MaxUint64 - uint64(when)
		}
		// Find the first empty slot or the first with a smaller score.
		pool := &st.pool
		k := 0
		for k < evpoolSize && pool[k].valid && pool[k].idle < idle {
			k++
		}
		if k == 0 && pool[evpoolSize-1].valid {
			continue // worse than the worst we have, and no room
		} else if k < evpoolSize && !pool[k].valid {
			// Inserting into an empty slot.
		} else if !pool[evpoolSize-1].valid {
			copy(pool[k+1:], pool[k:evpoolSize-1])
		} else {
			k--
			copy(pool[:k], pool[1:k+1])
		}
		pool[k] = evictionPoolEntry{idle: idle, key: key, dbid: db.id, valid: true}
	}
	clear(st.scratch)
}

// performEvictions frees memory per maxmemory-policy until used memory is
// within maxmemory or the time budget is spent (Redis's performEvictions).
func (srv *Server) performEvictions() int {
	// Nothing is evicted while clients are paused (Redis's
	// isSafeToPerformEvictions): as if memory were fine.
	if srv.checkClientPauseTimeoutAndReturnIfPaused() {
		return evictOK
	}
	toFree := srv.maxmemoryToFree()
	if toFree == 0 {
		return evictOK
	}
	policy := srv.Config.MaxMemoryPolicy
	if policy == "noeviction" || policy == "" {
		return evictFail
	}
	st := &srv.evict
	srv.maybeForceGC()
	start := time.Now()
	limit := srv.evictionTimeLimitUs()
	var freed int64
	keysFreed := 0
	allKeys := srv.policyAllKeys()
	result := evictOK
	for {
		if st.usedFunc != nil {
			if st.usedFunc() <= srv.Config.MaxMemory {
				break // tests measure what was freed themselves
			}
		} else if freed >= toFree {
			break
		}
		var bestKey string
		var bestDB *DB
		found := false
		if policy == "allkeys-random" || policy == "volatile-random" {
			for i := 0; i < len(srv.DBs); i++ {
				st.nextDB++
				db := srv.DBs[st.nextDB%len(srv.DBs)]
				var k string
				var ok bool
				if allKeys {
					k, _, ok = db.Dict.RandomKey()
				} else {
					k, _, ok = db.Expires.RandomKey()
				}
				if ok {
					bestKey, bestDB, found = k, db, true
					break
				}
			}
		} else {
			for !found {
				total := 0
				for _, db := range srv.DBs {
					size := db.Expires.Len()
					if allKeys {
						size = db.Dict.Len()
					}
					if size > 0 {
						srv.evictionPoolPopulate(db, allKeys)
						total += size
					}
				}
				if total == 0 {
					break
				}
				// From the best candidate down; keys gone since they were
				// sampled are skipped.
				for k := evpoolSize - 1; k >= 0; k-- {
					e := &st.pool[k]
					if !e.valid {
						continue
					}
					db := srv.DBs[e.dbid]
					key := e.key
					*e = evictionPoolEntry{}
					var exists bool
					if allKeys {
						exists = db.Dict.Find(key) != nil
					} else {
						exists = db.Expires.Find(key) != nil
					}
					if exists {
						bestKey, bestDB, found = key, db, true
						break
					}
				}
			}
		}
		if !found {
			result = evictFail
			break
		}
		freed += srv.evictKey(bestDB, bestKey)
		keysFreed++
		if keysFreed%16 == 0 && time.Since(start).Microseconds() > limit {
			// Out of time: go on before the loop sleeps.
			st.running = true
			result = evictRunning
			break
		}
	}
	if result == evictOK && st.running {
		st.running = false
	}
	srv.latencyAddSampleIfNeeded("eviction-cycle", time.Since(start).Milliseconds())
	return result
}

// evictKey deletes one key as an eviction and returns the estimate of the
// memory it frees.
func (srv *Server) evictKey(db *DB, key string) int64 {
	kb := stringBytes(key)
	o := db.Dict.Find(key)
	if o == nil {
		return 0
	}
	size := keyMemoryUsage(key, o, objectComputeSizeDefSamples)
	if db.GetExpire(kb) >= 0 {
		size += sizeofDictEntry
	}
	start := time.Now()
	srv.dbDelete(db, kb)
	srv.latencyAddSampleIfNeeded("eviction-del", time.Since(start).Milliseconds())
	srv.Stats.evictedKeys++
	srv.signalModifiedKey(nil, db, kb)
	srv.notifyKeyspaceEvent(notifyEvicted, "evicted", kb, db.id)
	srv.propagateDeletion(db, kb) // a DEL, as for an expired key
	srv.evict.freedSinceGC += size
	srv.evict.cached -= size
	return size
}

// maybeForceGC starts a background GC when much was allocated since the
// last one, so that garbage stops counting as used memory.
func (srv *Server) maybeForceGC() {
	st := &srv.evict
	if st.gcRunning.Load() {
		return
	}
	st.samples[1].Value = metrics.Value{}
	metrics.Read(st.samples[1:2])
	if st.samples[1].Value.Kind() != metrics.KindUint64 {
		return
	}
	since := int64(st.samples[1].Value.Uint64() - st.allocsAtGC)
	if since < srv.Config.MaxMemory/4 || time.Since(st.lastForcedGC) < 100*time.Millisecond {
		return
	}
	st.gcRunning.Store(true)
	st.lastForcedGC = time.Now()
	go func() {
		runtime.GC()
		st.gcRunning.Store(false)
	}()
}

// evictionBeforeSleep continues an eviction that ran out of time
// (Redis's evictionTimeProc).
func (srv *Server) evictionBeforeSleep() {
	if !srv.evict.running {
		return
	}
	if srv.Config.MaxMemory <= 0 {
		srv.evict.running = false
		return
	}
	srv.evict.sinceRead = evictReadEvery // read fresh figures
	if srv.performEvictions() != evictRunning {
		srv.evict.running = false
	}
}

// checkMaxmemory is processCommand's maxmemory step: evict, then refuse a
// denyoom command (or any command queued in MULTI) when memory is still
// over the limit.
func (srv *Server) checkMaxmemory(c *Client, cmd *command) bool {
	outOfMemory := srv.performEvictions() == evictFail
	srv.evict.preCommandOOM = outOfMemory
	isExec := cmd.name == "exec" && cmd.parent == nil
	reject := cmd.flags&cmdDenyOOM != 0 ||
		isExec && c.multi != nil && c.multi.cmdFlags&cmdDenyOOM != 0
	if c.Flags&ClientMulti != 0 && cmd.parent == nil {
		switch cmd.name {
		case "exec", "discard", "quit", "reset":
		default:
			reject = true
		}
	}
	if cmd.flags&cmdWrite != 0 {
		srv.noteWrite(c)
	}
	if outOfMemory && reject {
		c.rejectCommand("-OOM command not allowed when used memory > 'maxmemory'.")
		return false
	}
	return true
}
