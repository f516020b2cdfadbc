package fs

import (
	"sync"
	"time"
)

// The notifier keeps the kernel's caches coherent with the keyspace.
//
// The engine reports every change to a key that some file-server node
// stands for (loopSide.KeyChanged → add). The notifier goroutine then tells
// the kernel to drop what it caches of the key: the inode's attributes and
// pages (NotifyContent) and the directory entry (NotifyEntry), so the next
// stat, open or cat asks again. Repeats merge while they wait in the queue.
//
// The Notify calls are never made on the loop: the kernel may need a lock
// held by a FUSE request that is itself waiting for the loop (a LOOKUP or
// CREATE in the same directory, a READ of the same page), and the loop must
// never wait for the kernel. The notifier only ever waits for the kernel.
//
// Two races remain between a lookup and a change made while its answer is
// on its way, and both are closed here: a lookup in flight when the notifier
// handles a change of its key is marked dirty, and its answer is then given
// with (almost) no cache time; and a change to a key whose node is not in
// the tree yet (the lookup has returned but go-fuse has not inserted the
// node) is handled a second time a few milliseconds later.
type notifier struct {
	fsys *FS

	mu      sync.Mutex
	closed  bool               // guarded by mu: no more invalidations
	pending map[dbKey]struct{} // keys to invalidate, guarded by mu
	retry   map[dbKey]struct{} // keys to invalidate again, guarded by mu
	lookups map[dbKey]*lookupMark
	wake    chan struct{}
	stop    chan struct{}
	done    chan struct{}

	// queued counts the invalidations added, sent those the notifier
	// has handed to the kernel (of the first queued); both guarded by
	// mu.
	queued, sent uint64
	// wakeLoop, set while the engine holds replies for the notifier
	// (hold), is called once sent catches up with queued. heldSince is
	// when the current hold began. Both guarded by mu.
	wakeLoop  func()
	heldSince time.Time
	// progress is closed (and replaced) when sent moves; guarded by mu.
	progress chan struct{}
}

type dbKey struct {
	db  int
	key string
}

// lookupMark is a lookup of a key in flight; dirty is set when the key
// changed meanwhile.
type lookupMark struct {
	n     int
	dirty bool
}

// retryDelay is how long a missed invalidation waits for its second try.
const retryDelay = 2 * time.Millisecond

func newNotifier(fsys *FS) *notifier {
	return &notifier{
		fsys:     fsys,
		pending:  map[dbKey]struct{}{},
		retry:    map[dbKey]struct{}{},
		lookups:  map[dbKey]*lookupMark{},
		wake:     make(chan struct{}, 1),
		stop:     make(chan struct{}),
		done:     make(chan struct{}),
		progress: make(chan struct{}),
	}
}

// add queues an invalidation of key. It is called on the loop and only
// takes a short lock. A lookup of the key in flight is marked dirty at
// once: what it read may predate the change, and its answer must not be
// cached even if it reaches the kernel after the invalidation.
func (nt *notifier) add(db int, key []byte) {
	if nt == nil {
		return
	}
	nt.mu.Lock()
	if nt.closed {
		nt.mu.Unlock()
		return
	}
	k := dbKey{db, string(key)}
	nt.pending[k] = struct{}{}
	if m := nt.lookups[k]; m != nil {
		m.dirty = true
	}
	nt.queued++
	nt.mu.Unlock()
	select {
	case nt.wake <- struct{}{}:
	default:
	}
}

// beginLookup marks a lookup of key as in flight; endLookup reports whether
// the key changed meanwhile.
func (nt *notifier) beginLookup(db int, key []byte) dbKey {
	k := dbKey{db, string(key)}
	if nt == nil {
		return k
	}
	nt.mu.Lock()
	m := nt.lookups[k]
	if m == nil {
		m = &lookupMark{}
		nt.lookups[k] = m
	}
	m.n++
	nt.mu.Unlock()
	return k
}

func (nt *notifier) endLookup(k dbKey) (dirty bool) {
	if nt == nil {
		return false
	}
	nt.mu.Lock()
	m := nt.lookups[k]
	if m != nil {
		dirty = m.dirty
		if m.n--; m.n <= 0 {
			delete(nt.lookups, k)
		}
	}
	nt.mu.Unlock()
	return dirty
}

func (nt *notifier) run() {
	defer close(nt.done)
	var batch, again []dbKey
	var timer *time.Timer
	var timerC <-chan time.Time
	// second holds the keys of the current batch that are on their
	// second try: a miss then is final.
	second := map[dbKey]struct{}{}
	for {
		select {
		case <-nt.stop:
			return
		case <-nt.wake:
		case <-timerC:
			timerC = nil
			nt.mu.Lock()
			for k := range nt.retry {
				nt.pending[k] = struct{}{}
				second[k] = struct{}{}
			}
			clear(nt.retry)
			nt.mu.Unlock()
		}
		batch = batch[:0]
		nt.mu.Lock()
		upto := nt.queued
		for k := range nt.pending {
			batch = append(batch, k)
			if m := nt.lookups[k]; m != nil {
				m.dirty = true
			}
		}
		clear(nt.pending)
		nt.mu.Unlock()
		again = again[:0]
		for _, k := range batch {
			_, last := second[k]
			if !nt.invalidate(k) && !last {
				again = append(again, k)
			}
		}
		clear(second)
		nt.mu.Lock()
		nt.sent = upto
		close(nt.progress)
		nt.progress = make(chan struct{})
		var wake func()
		if nt.sent >= nt.queued {
			wake, nt.wakeLoop = nt.wakeLoop, nil
		}
		nt.mu.Unlock()
		if wake != nil {
			wake()
		}
		if len(again) > 0 {
			nt.mu.Lock()
			for _, k := range again {
				nt.retry[k] = struct{}{}
			}
			nt.mu.Unlock()
			if timerC == nil {
				if timer == nil {
					timer = time.NewTimer(retryDelay)
				} else {
					timer.Reset(retryDelay)
				}
				timerC = timer.C
			}
		}
	}
}

// invalidate drops the kernel's caches of one key. It reports false when it
// found no node for the key, which may mean one is about to be inserted.
func (nt *notifier) invalidate(k dbKey) bool {
	fsys := nt.fsys
	if k.db < 0 || k.db >= len(fsys.dbs) {
		return true
	}
	dir := fsys.dbs[k.db]
	name := keyName([]byte(k.key))
	found := false
	if ch := dir.EmbeddedInode().GetChild(name); ch != nil {
		found = true
		if kf, ok := ch.Operations().(*keyFile); ok {
			kf.dropPrefetch()
		}
		if ch.IsDir() {
			for n, gc := range ch.Children() {
				gc.NotifyContent(0, 0)
				ch.NotifyEntry(n)
			}
		}
		ch.NotifyContent(0, 0)
	}
	dir.EmbeddedInode().NotifyEntry(name)
	return found
}

// holdMax bounds how long hold keeps replies, whatever happens.
const holdMax = time.Second

// hold runs on the loop in beforeSleep, before the replies of the
// iteration are written: it reports whether invalidations queued so far
// are still on their way to the kernel, and then the engine holds every
// reply and asks again once wake is called, so that once a client holds
// the reply to a write, every operation on the mount finds the kernel's
// caches already dropped ("coherence, as strict as a reply").
//
// The loop never waits for the kernel: the kernel's invalidation may need
// a lock held by a file operation that waits for a job (a page being
// read, a directory being looked up), and jobs go on running and
// completing while replies are held. Only replies wait; after holdMax
// they go out anyway (a notifier stuck in the kernel must not stop the
// server).
func (nt *notifier) hold(wake func()) bool {
	if nt == nil {
		return false
	}
	nt.mu.Lock()
	defer nt.mu.Unlock()
	if nt.closed || nt.sent >= nt.queued {
		nt.heldSince, nt.wakeLoop = time.Time{}, nil
		return false
	}
	now := time.Now()
	if nt.heldSince.IsZero() {
		nt.heldSince = now
	} else if now.Sub(nt.heldSince) > holdMax {
		nt.heldSince, nt.wakeLoop = time.Time{}, nil
		return false
	}
	nt.wakeLoop = wake
	return true
}

// settle waits, off the loop, until the invalidations queued so far have
// reached the kernel (at most holdMax): a ctl write returns once what its
// commands changed is coherent on the mount, as a TCP client's reply
// leaves only then (hold). Its caller must hold no lock of a key's inode.
func (nt *notifier) settle() {
	if nt == nil {
		return
	}
	nt.mu.Lock()
	target := nt.queued
	nt.mu.Unlock()
	timeout := time.NewTimer(holdMax)
	defer timeout.Stop()
	for {
		nt.mu.Lock()
		ok := nt.sent >= target || nt.closed
		progress := nt.progress
		nt.mu.Unlock()
		if ok {
			return
		}
		select {
		case <-progress:
		case <-timeout.C:
			return
		case <-nt.done:
			return
		}
	}
}

func (nt *notifier) close() {
	nt.mu.Lock()
	nt.closed = true
	clear(nt.pending)
	nt.mu.Unlock()
	close(nt.stop)
	<-nt.done
}
