// Package loop implements a single-threaded event loop in the manner of
// Redis's ae.c: file events on an epoll set, time events, and before- and
// after-sleep hooks, plus Post, which hands a function to the loop from any
// other goroutine. It knows nothing of Redis; the server builds on it.
//
// One goroutine runs the loop by calling Run, which locks it to its OS
// thread. Every callback (file procs, time procs, hooks, posted functions)
// runs on that goroutine, one at a time, so the state they share needs no
// locks.
//
// Concurrency contract: Post and Stop are safe for concurrent use from any
// goroutine, including from inside callbacks; InLoop and NowMs may be called
// from anywhere. Every other method must be called on the loop goroutine —
// from a callback while Run is running, or by the owner before Run starts
// and after it returns. Code on another goroutine that needs the loop's
// state Posts a function and waits for it.
//
// Each iteration of Run, as in ae's aeProcessEvents, calls the before-sleep
// hook, waits in epoll_wait until an fd is ready, the nearest time event is
// due, or a function is posted, calls the after-sleep hook, then runs the
// handlers of the ready fds, the functions posted so far, and the time
// events that are due.
//
// The backend is epoll, so the package builds on Linux only.
package loop

import (
	"errors"
	"math"
	"runtime"
	"sync"
	"sync/atomic"
	"time"
)

// Event masks, as AE_NONE, AE_READABLE, AE_WRITABLE and AE_BARRIER.
const (
	// None means no events.
	None = 0
	// Readable fires when the fd can be read without blocking (or hit an
	// error or hang-up).
	Readable = 1
	// Writable fires when the fd can be written without blocking (or hit
	// an error or hang-up).
	Writable = 2
	// Barrier, set together with Writable, runs the write proc before the
	// read proc when both fire in the same iteration. Redis uses it to
	// fsync before replying: a reply written in the read proc then waits
	// a full iteration instead of going out before the data is safe.
	Barrier = 4
)

// NoMore, returned by a TimeProc, deletes the time event instead of
// rescheduling it.
const NoMore = -1

// FileProc handles readiness of fd. mask holds the readiness that fired
// (Readable, Writable or both), which may include bits the proc was not
// registered for.
type FileProc func(l *Loop, fd int, mask int)

// TimeProc handles the time event id. It returns the number of
// milliseconds until it should run again, or NoMore (any negative value)
// to delete the event.
type TimeProc func(l *Loop, id int64) int64

// fileEvent is the registration of one fd, as ae's aeFileEvent.
type fileEvent struct {
	mask  int // None, or Readable|Writable|Barrier bits
	rproc FileProc
	wproc FileProc
}

// timeEvent is one timer, as ae's aeTimeEvent.
type timeEvent struct {
	id      int64
	when    time.Duration // deadline on the monoNow clock
	proc    TimeProc
	index   int  // position in Loop.timers, -1 while out of the heap
	deleted bool // set by DelTimeEvent while the event is being processed
}

// Loop is an event loop. Create one with New, run it with Run, release it
// with Close once Run has returned.
type Loop struct {
	api apiState

	// The fields below belong to the loop goroutine.
	files       []fileEvent  // indexed by fd; its length is the set size
	timers      []*timeEvent // min-heap on (when, id)
	timerByID   map[int64]*timeEvent
	lastTimerID int64
	due         []*timeEvent // scratch for processTimeEvents
	spare       []func()     // the drained posted slice, kept for reuse
	beforeSleep func(*Loop)
	afterSleep  func(*Loop)
	err         error // what ended Run, if anything did but Stop

	// The fields below are shared with other goroutines.
	mu     sync.Mutex
	posted []func() // guarded by mu
	closed bool     // guarded by mu

	// notified is false only while the loop is about to sleep, or sleeping,
	// with no wake-up on its way. Post and Stop write the eventfd only when
	// they flip it from false to true, so wake-ups are merged into one
	// write per sleep, and a loop that is awake is never written to.
	notified atomic.Bool
	stop     atomic.Bool
	tid      atomic.Int64 // OS thread id of the goroutine in Run, 0 outside Run
}

// initialEvents bounds the first epoll event buffer; it doubles whenever a
// poll fills it, up to the set size.
const initialEvents = 128

// New returns a loop able to watch fds 0 to setsize-1 without growing.
// Higher fds are accepted too: the per-fd table grows on demand.
func New(setsize int) (*Loop, error) {
	if setsize < 1 {
		setsize = 1
	}
	l := &Loop{
		files:     make([]fileEvent, setsize),
		timerByID: make(map[int64]*timeEvent),
	}
	l.notified.Store(true)
	if err := l.api.create(min(setsize+1, initialEvents)); err != nil {
		return nil, err
	}
	return l, nil
}

// AddFileEvent adds the bits of mask to fd's registration and makes proc
// the handler for those bits: the read proc for Readable, the write proc
// for Writable. Bits already registered keep their handler unless mask
// names them again.
func (l *Loop) AddFileEvent(fd int, mask int, proc FileProc) error {
	if fd < 0 {
		return errors.New("loop: negative fd")
	}
	if mask&(Readable|Writable) != 0 && proc == nil {
		return errors.New("loop: nil FileProc")
	}
	if fd >= len(l.files) {
		files := make([]fileEvent, max(fd+1, 2*len(l.files)))
		copy(files, l.files)
		l.files = files
	}
	fe := &l.files[fd]
	newMask := fe.mask | mask
	if err := l.api.addEvent(fd, fe.mask, newMask); err != nil {
		return err
	}
	fe.mask = newMask
	if mask&Readable != 0 {
		fe.rproc = proc
	}
	if mask&Writable != 0 {
		fe.wproc = proc
	}
	return nil
}

// DelFileEvent removes the bits of mask from fd's registration, and fd
// from the epoll set once no bits remain. Removing Writable removes
// Barrier too. It is safe to call from any callback, including fd's own;
// a proc removed this way is not called later in the same iteration.
func (l *Loop) DelFileEvent(fd int, mask int) {
	if fd < 0 || fd >= len(l.files) {
		return
	}
	fe := &l.files[fd]
	if fe.mask == None {
		return
	}
	if mask&Writable != 0 {
		mask |= Barrier
	}
	newMask := fe.mask &^ mask
	l.api.delEvent(fd, newMask)
	fe.mask = newMask
	if newMask&Readable == 0 {
		fe.rproc = nil
	}
	if newMask&Writable == 0 {
		fe.wproc = nil
	}
}

// FileEvents returns the mask fd is registered with, None if it is not.
func (l *Loop) FileEvents(fd int) int {
	if fd < 0 || fd >= len(l.files) {
		return None
	}
	return l.files[fd].mask
}

// AddTimeEvent schedules proc to run ms milliseconds from now (at the
// earliest) and returns the event's id, which is greater than zero. An
// event added from a time proc runs no earlier than the next iteration.
func (l *Loop) AddTimeEvent(ms int64, proc TimeProc) int64 {
	l.lastTimerID++
	te := &timeEvent{
		id:   l.lastTimerID,
		when: monoNow() + msDuration(ms),
		proc: proc,
	}
	l.timerByID[te.id] = te
	l.heapPush(te)
	return te.id
}

// DelTimeEvent deletes the time event id and reports whether it existed.
// An event deleted while due events are being processed does not run,
// and a time proc may delete itself.
func (l *Loop) DelTimeEvent(id int64) bool {
	te, ok := l.timerByID[id]
	if !ok {
		return false
	}
	delete(l.timerByID, id)
	te.deleted = true
	if te.index >= 0 {
		l.heapRemove(te.index)
	}
	return true
}

// SetBeforeSleep makes f run at the start of every iteration, before the
// loop waits for events. Nil removes it.
func (l *Loop) SetBeforeSleep(f func(l *Loop)) { l.beforeSleep = f }

// SetAfterSleep makes f run right after every wait for events, before any
// handler. Nil removes it.
func (l *Loop) SetAfterSleep(f func(l *Loop)) { l.afterSleep = f }

// Post queues f to run on the loop goroutine and returns at once. It is
// safe to call from any goroutine, the loop's included. Functions posted
// by one goroutine run in the order they were posted, each exactly once,
// in the iteration that follows the post (or the current one, if the loop
// has not yet reached its posted functions). A sleeping loop is woken
// through its eventfd. Functions posted after Close never run; functions
// still queued when Run returns run if Run is called again.
func (l *Loop) Post(f func()) {
	l.mu.Lock()
	if l.closed {
		l.mu.Unlock()
		return
	}
	l.posted = append(l.posted, f)
	// Holding mu across the write keeps Close from closing the eventfd
	// (and its number from being reused) under us; it happens at most
	// once per sleep.
	if l.notified.CompareAndSwap(false, true) {
		l.api.wake()
	}
	l.mu.Unlock()
}

// Stop makes Run return at the end of the current iteration, waking the
// loop if it sleeps. It is safe to call from any goroutine and from
// callbacks. Called before Run, it makes the next Run return at once.
func (l *Loop) Stop() {
	l.stop.Store(true)
	l.mu.Lock()
	if !l.closed && l.notified.CompareAndSwap(false, true) {
		l.api.wake()
	}
	l.mu.Unlock()
}

// Run runs the loop on the calling goroutine, locked to its OS thread,
// until Stop is called or epoll_wait fails (see Err). It closes nothing;
// call Close after it returns.
func (l *Loop) Run() {
	runtime.LockOSThread()
	defer runtime.UnlockOSThread()
	l.tid.Store(threadID())
	defer func() {
		l.tid.Store(0)
		l.stop.Store(false)
	}()
	l.err = nil
	for !l.stop.Load() {
		if err := l.processEvents(); err != nil {
			l.err = err
			return
		}
	}
}

// Err returns the error that made the last Run return, or nil if it
// returned because of Stop.
func (l *Loop) Err() error { return l.err }

// Close releases the epoll set and the eventfd and drops any posted
// functions not yet run. Call it once Run has returned.
func (l *Loop) Close() error {
	l.mu.Lock()
	defer l.mu.Unlock()
	if l.closed {
		return nil
	}
	l.closed = true
	l.posted = nil
	return l.api.close()
}

// InLoop reports whether it is called on the goroutine running Run. Run
// records the id of the OS thread it is locked to, and InLoop compares the
// caller's thread id (gettid, one raw syscall) with it: while a goroutine
// is locked to a thread no other goroutine runs on that thread, so the
// answer is exact. It is false everywhere when Run is not running.
func (l *Loop) InLoop() bool {
	tid := l.tid.Load()
	return tid != 0 && tid == threadID()
}

// epoch is the origin of the monotonic clock used for time events.
var epoch = time.Now()

// monoNow returns the time elapsed since epoch on the monotonic clock.
func monoNow() time.Duration { return time.Since(epoch) }

// NowMs returns a monotonic clock in milliseconds, from an arbitrary
// origin. It is the clock time events run on: use it for intervals, never
// as wall-clock time.
func NowMs() int64 { return int64(monoNow() / time.Millisecond) }

// ProcessEventsWhileBlocked lets a long task running on the loop
// goroutine (a busy script) serve what became ready meanwhile, as Redis's
// processEventsWhileBlocked: up to four rounds of a poll that does not
// wait, the file events it reports and the posted functions, each round
// followed by flush, which stands for the before-sleep hook (the full
// hook would expire keys and run cron-like work in the middle of the
// task). Time events do not run. The nested poll uses an event buffer of
// its own, so the iteration the task runs in is not disturbed. It must be
// called on the loop goroutine, from inside a handler or a posted
// function.
func (l *Loop) ProcessEventsWhileBlocked(flush func()) {
	defer l.api.useNestedBuffer()()
	for i := 0; i < 4; i++ {
		n, err := l.api.poll(0)
		if err != nil {
			return
		}
		for j := 0; j < n; j++ {
			fd, mask := l.api.fired(j)
			if fd == l.api.wakefd {
				l.api.drainWake()
				continue
			}
			l.dispatch(fd, mask)
		}
		l.runPosted()
		if flush != nil {
			flush()
		}
		if n == 0 {
			return
		}
	}
}

// processEvents runs one iteration of the loop.
func (l *Loop) processEvents() error {
	if l.beforeSleep != nil {
		l.beforeSleep(l)
	}
	n, err := l.api.poll(l.pollTimeout())
	l.notified.Store(true)
	if err != nil {
		return err
	}
	if l.afterSleep != nil {
		l.afterSleep(l)
	}
	for i := 0; i < n; i++ {
		fd, mask := l.api.fired(i)
		if fd == l.api.wakefd {
			l.api.drainWake()
			continue
		}
		l.dispatch(fd, mask)
	}
	// A full buffer may have left fds behind; they stay ready and come
	// back next poll, but a bigger buffer saves the extra round.
	if n == len(l.api.events) && n < len(l.files)+1 {
		l.api.resize(min(2*n, len(l.files)+1))
	}
	l.runPosted()
	l.processTimeEvents()
	return nil
}

// pollTimeout returns how long epoll_wait may sleep: until the nearest
// time event, forever (-1) without one, and not at all when a function is
// posted or Stop was called.
func (l *Loop) pollTimeout() int {
	timeout := -1
	if len(l.timers) > 0 {
		timeout = ceilMs(l.timers[0].when - monoNow())
	}
	if timeout == 0 {
		return 0
	}
	// Clearing notified before looking at the queue closes the race with
	// Post: a post this check misses finds notified false and writes the
	// eventfd, so the sleep ends at once.
	l.notified.Store(false)
	l.mu.Lock()
	pending := len(l.posted) > 0
	l.mu.Unlock()
	if pending || l.stop.Load() {
		l.notified.Store(true)
		return 0
	}
	return timeout
}

// dispatch calls fd's handlers for the readiness in mask: read then
// write, or write then read with Barrier. The registration is read again
// before each call, since a handler may change or delete it, and the fd
// table may grow under it.
func (l *Loop) dispatch(fd, mask int) {
	if fd >= len(l.files) {
		return
	}
	invert := l.files[fd].mask&Barrier != 0
	if !invert {
		if fe := &l.files[fd]; fe.mask&mask&Readable != 0 {
			fe.rproc(l, fd, mask)
		}
	}
	if fe := &l.files[fd]; fe.mask&mask&Writable != 0 {
		fe.wproc(l, fd, mask)
	}
	if invert {
		if fe := &l.files[fd]; fe.mask&mask&Readable != 0 {
			fe.rproc(l, fd, mask)
		}
	}
}

// runPosted runs the functions posted so far. The queue is swapped for the
// slice drained last time, so in steady state posting allocates nothing,
// and functions posted meanwhile wait for the next iteration.
func (l *Loop) runPosted() {
	l.mu.Lock()
	batch := l.posted
	l.posted = l.spare
	l.spare = nil
	l.mu.Unlock()
	for i, f := range batch {
		batch[i] = nil
		f()
	}
	l.spare = batch[:0]
}

// processTimeEvents runs the time events that are due. They are taken off
// the heap first, so an event added meanwhile (even with 0 ms) waits for
// the next iteration, as ae's maxId check has it; an event deleted by an
// earlier proc in the batch is skipped.
func (l *Loop) processTimeEvents() {
	if len(l.timers) == 0 {
		return
	}
	now := monoNow()
	due := l.due[:0]
	for len(l.timers) > 0 && l.timers[0].when <= now {
		due = append(due, l.heapPop())
	}
	for i, te := range due {
		due[i] = nil
		if te.deleted {
			continue
		}
		next := te.proc(l, te.id)
		if te.deleted {
			continue
		}
		if next < 0 {
			te.deleted = true
			delete(l.timerByID, te.id)
			continue
		}
		te.when = monoNow() + msDuration(next)
		l.heapPush(te)
	}
	l.due = due[:0]
}

// msDuration converts ms into a Duration, clamped so that adding it to a
// monoNow reading cannot overflow.
func msDuration(ms int64) time.Duration {
	const maxMs = math.MaxInt64 / 4 / int64(time.Millisecond)
	if ms < 0 {
		ms = 0
	}
	return time.Duration(min(ms, maxMs)) * time.Millisecond
}

// ceilMs converts d into whole milliseconds for epoll_wait, rounding up so
// a timer is never woken for early, clamped to what an int32 holds.
func ceilMs(d time.Duration) int {
	if d <= 0 {
		return 0
	}
	ms := (d + time.Millisecond - 1) / time.Millisecond
	if ms > math.MaxInt32 {
		return math.MaxInt32
	}
	return int(ms)
}

// The timer heap is ordered by deadline, ties broken by id so that events
// due together run in the order they were added.

func (l *Loop) timerLess(i, j int) bool {
	a, b := l.timers[i], l.timers[j]
	return a.when < b.when || (a.when == b.when && a.id < b.id)
}

func (l *Loop) timerSwap(i, j int) {
	h := l.timers
	h[i], h[j] = h[j], h[i]
	h[i].index = i
	h[j].index = j
}

func (l *Loop) timerUp(i int) {
	for i > 0 {
		p := (i - 1) / 2
		if !l.timerLess(i, p) {
			return
		}
		l.timerSwap(i, p)
		i = p
	}
}

func (l *Loop) timerDown(i int) {
	n := len(l.timers)
	for {
		c := 2*i + 1
		if c >= n {
			return
		}
		if r := c + 1; r < n && l.timerLess(r, c) {
			c = r
		}
		if !l.timerLess(c, i) {
			return
		}
		l.timerSwap(i, c)
		i = c
	}
}

func (l *Loop) heapPush(te *timeEvent) {
	te.index = len(l.timers)
	l.timers = append(l.timers, te)
	l.timerUp(te.index)
}

func (l *Loop) heapPop() *timeEvent { return l.heapRemove(0) }

func (l *Loop) heapRemove(i int) *timeEvent {
	last := len(l.timers) - 1
	if i != last {
		l.timerSwap(i, last)
	}
	te := l.timers[last]
	l.timers[last] = nil
	l.timers = l.timers[:last]
	if i != last {
		l.timerDown(i)
		l.timerUp(i)
	}
	te.index = -1
	return te
}
