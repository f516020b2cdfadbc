package loop

import (
	"runtime"
	"slices"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"golang.org/x/sys/unix"
)

// newLoop returns a loop closed when the test ends.
func newLoop(t testing.TB, setsize int) *Loop {
	t.Helper()
	l, err := New(setsize)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		if err := l.Close(); err != nil {
			t.Error(err)
		}
	})
	return l
}

// run runs l on the test goroutine until a callback stops it, failing the
// test if that takes more than ten seconds.
func run(t testing.TB, l *Loop) {
	t.Helper()
	var timedOut atomic.Bool
	watchdog := time.AfterFunc(10*time.Second, func() {
		timedOut.Store(true)
		l.Stop()
	})
	l.Run()
	watchdog.Stop()
	if timedOut.Load() {
		t.Fatal("loop was not stopped within 10s")
	}
	if err := l.Err(); err != nil {
		t.Fatal(err)
	}
}

// start runs l on its own goroutine; the loop is stopped, and waited for,
// when the test ends (before newLoop's Close).
func start(t testing.TB, l *Loop) {
	t.Helper()
	done := make(chan struct{})
	go func() {
		defer close(done)
		l.Run()
	}()
	t.Cleanup(func() {
		l.Stop()
		<-done
	})
}

// socketpair returns a connected pair of non-blocking stream sockets,
// closed when the test ends.
func socketpair(t testing.TB) (a, b int) {
	t.Helper()
	fds, err := unix.Socketpair(unix.AF_UNIX, unix.SOCK_STREAM|unix.SOCK_NONBLOCK|unix.SOCK_CLOEXEC, 0)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		unix.Close(fds[0])
		unix.Close(fds[1])
	})
	return fds[0], fds[1]
}

func write(t testing.TB, fd int, s string) {
	t.Helper()
	if _, err := unix.Write(fd, []byte(s)); err != nil {
		t.Fatal(err)
	}
}

func TestReadable(t *testing.T) {
	l := newLoop(t, 4)
	a, b := socketpair(t)
	var got string
	var gotMask int
	err := l.AddFileEvent(a, Readable, func(l *Loop, fd, mask int) {
		buf := make([]byte, 16)
		n, err := unix.Read(fd, buf)
		if err != nil {
			t.Error(err)
		}
		got, gotMask = string(buf[:n]), mask
		l.DelFileEvent(fd, Readable)
		l.Stop()
	})
	if err != nil {
		t.Fatal(err)
	}
	if m := l.FileEvents(a); m != Readable {
		t.Fatalf("FileEvents = %d, want Readable", m)
	}
	write(t, b, "ping")
	run(t, l)
	if got != "ping" || gotMask != Readable {
		t.Fatalf("read %q with mask %d, want \"ping\" with Readable", got, gotMask)
	}
	if m := l.FileEvents(a); m != None {
		t.Fatalf("FileEvents after delete = %d, want None", m)
	}
}

func TestWritable(t *testing.T) {
	l := newLoop(t, 4)
	a, b := socketpair(t)
	calls := 0
	err := l.AddFileEvent(a, Writable, func(l *Loop, fd, mask int) {
		calls++
		if mask&Writable == 0 {
			t.Errorf("mask %d lacks Writable", mask)
		}
		if _, err := unix.Write(fd, []byte("pong")); err != nil {
			t.Error(err)
		}
		l.DelFileEvent(fd, Writable)
	})
	if err != nil {
		t.Fatal(err)
	}
	// The write proc must run once and never again once deleted; the peer
	// sees its data.
	err = l.AddFileEvent(b, Readable, func(l *Loop, fd, mask int) {
		buf := make([]byte, 16)
		n, _ := unix.Read(fd, buf)
		if string(buf[:n]) != "pong" {
			t.Errorf("peer read %q", buf[:n])
		}
		l.DelFileEvent(fd, Readable)
		l.AddTimeEvent(20, func(l *Loop, id int64) int64 { l.Stop(); return NoMore })
	})
	if err != nil {
		t.Fatal(err)
	}
	run(t, l)
	if calls != 1 {
		t.Fatalf("write proc ran %d times, want 1", calls)
	}
}

func TestBarrierOrder(t *testing.T) {
	for _, tc := range []struct {
		name    string
		barrier int
		want    string
	}{
		{"plain", 0, "rw"},
		{"barrier", Barrier, "wr"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			l := newLoop(t, 4)
			a, b := socketpair(t)
			write(t, b, "x")
			var order []byte
			r := func(l *Loop, fd, mask int) {
				order = append(order, 'r')
				unix.Read(fd, make([]byte, 8))
				l.Stop()
			}
			w := func(l *Loop, fd, mask int) {
				order = append(order, 'w')
				l.Stop()
			}
			if err := l.AddFileEvent(a, Readable, r); err != nil {
				t.Fatal(err)
			}
			if err := l.AddFileEvent(a, Writable|tc.barrier, w); err != nil {
				t.Fatal(err)
			}
			if m, want := l.FileEvents(a), Readable|Writable|tc.barrier; m != want {
				t.Fatalf("FileEvents = %d, want %d", m, want)
			}
			run(t, l)
			if string(order) != tc.want {
				t.Fatalf("order %q, want %q", order, tc.want)
			}
			l.DelFileEvent(a, Writable)
			if m := l.FileEvents(a); m != Readable {
				t.Fatalf("FileEvents after deleting Writable = %d, want Readable (Barrier goes too)", m)
			}
		})
	}
}

func TestDelFileEventInCallback(t *testing.T) {
	// The first proc to run deletes bits of the registration; a proc
	// deleted that way must not run later in the same iteration.
	for _, tc := range []struct {
		name    string
		barrier int
		del     int
		want    string
		left    int
	}{
		{"read deletes write", 0, Writable, "r", Readable},
		{"read deletes all", 0, Readable | Writable, "r", None},
		{"write deletes read", Barrier, Readable, "w", Writable | Barrier},
	} {
		t.Run(tc.name, func(t *testing.T) {
			l := newLoop(t, 4)
			a, b := socketpair(t)
			write(t, b, "x")
			var order []byte
			rproc := func(l *Loop, fd, mask int) {
				order = append(order, 'r')
				if tc.barrier == 0 {
					l.DelFileEvent(fd, tc.del)
				}
				l.Stop()
			}
			wproc := func(l *Loop, fd, mask int) {
				order = append(order, 'w')
				if tc.barrier != 0 {
					l.DelFileEvent(fd, tc.del)
				}
				l.Stop()
			}
			if err := l.AddFileEvent(a, Readable, rproc); err != nil {
				t.Fatal(err)
			}
			if err := l.AddFileEvent(a, Writable|tc.barrier, wproc); err != nil {
				t.Fatal(err)
			}
			run(t, l) // one iteration: the first proc stops the loop
			if string(order) != tc.want {
				t.Fatalf("procs ran %q, want %q", order, tc.want)
			}
			if m := l.FileEvents(a); m != tc.left {
				t.Fatalf("FileEvents = %d, want %d", m, tc.left)
			}
		})
	}
}

func TestManyFdsBeyondSetsize(t *testing.T) {
	// 300 pairs, all readable at once: the fd table grows past setsize and
	// the event buffer grows past its first size; every fd is served once.
	l := newLoop(t, 4)
	const pairs = 300
	seen := make(map[int]int)
	proc := func(l *Loop, fd, mask int) {
		unix.Read(fd, make([]byte, 8))
		seen[fd]++
		l.DelFileEvent(fd, Readable)
		if len(seen) == pairs {
			l.Stop()
		}
	}
	for range pairs {
		a, b := socketpair(t)
		if err := l.AddFileEvent(a, Readable, proc); err != nil {
			t.Fatal(err)
		}
		write(t, b, "x")
	}
	run(t, l)
	for fd, n := range seen {
		if n != 1 {
			t.Errorf("fd %d served %d times", fd, n)
		}
	}
	if len(l.api.events) <= initialEvents {
		t.Errorf("event buffer did not grow: %d entries", len(l.api.events))
	}
}

func TestAddFileEventErrors(t *testing.T) {
	l := newLoop(t, 4)
	if err := l.AddFileEvent(-1, Readable, func(*Loop, int, int) {}); err == nil {
		t.Error("negative fd accepted")
	}
	a, _ := socketpair(t)
	if err := l.AddFileEvent(a, Readable, nil); err == nil {
		t.Error("nil proc accepted")
	}
	// An fd that is not open: epoll_ctl fails, the error is wrapped and
	// the registration left untouched.
	err := l.AddFileEvent(1<<16, Readable, func(*Loop, int, int) {})
	if err == nil {
		t.Fatal("closed fd accepted")
	}
	if want := "epoll_ctl: bad file descriptor"; err.Error() != want {
		t.Errorf("error %q, want %q", err, want)
	}
	if m := l.FileEvents(1 << 16); m != None {
		t.Errorf("FileEvents of failed fd = %d", m)
	}
	l.DelFileEvent(1<<20, Readable) // out of range: no-op
	l.DelFileEvent(a, Readable)     // not registered: no-op
}

func TestTimeEventOrder(t *testing.T) {
	l := newLoop(t, 4)
	var order []string
	add := func(ms int64, name string) {
		l.AddTimeEvent(ms, func(l *Loop, id int64) int64 {
			order = append(order, name)
			if len(order) == 5 {
				l.Stop()
			}
			return NoMore
		})
	}
	add(30, "30")
	add(10, "10")
	add(20, "20")
	add(15, "15a")
	add(15, "15b")
	run(t, l)
	if want := []string{"10", "15a", "15b", "20", "30"}; !slices.Equal(order, want) {
		t.Fatalf("order %v, want %v", order, want)
	}
}

func TestTimeEventNoMore(t *testing.T) {
	l := newLoop(t, 4)
	calls := 0
	id := l.AddTimeEvent(1, func(l *Loop, id int64) int64 {
		calls++
		return NoMore
	})
	if id <= 0 {
		t.Fatalf("id %d, want > 0", id)
	}
	l.AddTimeEvent(50, func(l *Loop, _ int64) int64 {
		if l.DelTimeEvent(id) {
			t.Error("DelTimeEvent found an event that returned NoMore")
		}
		l.Stop()
		return NoMore
	})
	run(t, l)
	if calls != 1 {
		t.Fatalf("ran %d times, want 1", calls)
	}
	if len(l.timers) != 0 || len(l.timerByID) != 0 {
		t.Fatalf("timers left: heap %d, map %d", len(l.timers), len(l.timerByID))
	}
}

func TestTimeEventInterval(t *testing.T) {
	l := newLoop(t, 4)
	var at []int64
	begin := NowMs()
	l.AddTimeEvent(5, func(l *Loop, id int64) int64 {
		at = append(at, NowMs())
		if len(at) == 5 {
			l.Stop()
			return NoMore
		}
		return 5
	})
	run(t, l)
	if len(at) != 5 {
		t.Fatalf("ran %d times, want 5", len(at))
	}
	prev := begin
	for i, ms := range at {
		if ms-prev < 5 {
			t.Errorf("run %d came %d ms after the previous, want >= 5", i, ms-prev)
		}
		prev = ms
	}
}

func TestTimeEventAccuracy(t *testing.T) {
	l := newLoop(t, 4)
	var elapsed time.Duration
	var elapsedMs int64
	begin, beginMs := time.Now(), NowMs()
	l.AddTimeEvent(50, func(l *Loop, id int64) int64 {
		elapsed, elapsedMs = time.Since(begin), NowMs()-beginMs
		l.Stop()
		return NoMore
	})
	run(t, l)
	// Never early; late only by a loose margin (shared CI machines).
	if elapsed < 50*time.Millisecond || elapsedMs < 50 {
		t.Fatalf("fired after %v (%d ms by NowMs), want >= 50ms", elapsed, elapsedMs)
	}
	if elapsed > 2*time.Second {
		t.Fatalf("fired after %v, want about 50ms", elapsed)
	}
}

func TestDelTimeEventFromAnother(t *testing.T) {
	t.Run("later", func(t *testing.T) {
		l := newLoop(t, 4)
		ran := false
		victim := l.AddTimeEvent(30, func(*Loop, int64) int64 { ran = true; return NoMore })
		l.AddTimeEvent(10, func(l *Loop, _ int64) int64 {
			if !l.DelTimeEvent(victim) {
				t.Error("DelTimeEvent did not find the victim")
			}
			if l.DelTimeEvent(victim) {
				t.Error("second DelTimeEvent found it again")
			}
			return NoMore
		})
		l.AddTimeEvent(60, func(l *Loop, _ int64) int64 { l.Stop(); return NoMore })
		run(t, l)
		if ran {
			t.Fatal("deleted time event ran")
		}
	})
	t.Run("same iteration", func(t *testing.T) {
		// Both are due before the first iteration; the first deletes the
		// second, which is already off the heap with the due batch.
		l := newLoop(t, 4)
		var victim int64
		ran := false
		l.AddTimeEvent(0, func(l *Loop, _ int64) int64 {
			if !l.DelTimeEvent(victim) {
				t.Error("DelTimeEvent did not find the victim")
			}
			l.AddTimeEvent(20, func(l *Loop, _ int64) int64 { l.Stop(); return NoMore })
			return NoMore
		})
		victim = l.AddTimeEvent(0, func(*Loop, int64) int64 { ran = true; return NoMore })
		time.Sleep(5 * time.Millisecond)
		run(t, l)
		if ran {
			t.Fatal("deleted time event ran")
		}
	})
	t.Run("self", func(t *testing.T) {
		l := newLoop(t, 4)
		calls := 0
		l.AddTimeEvent(1, func(l *Loop, id int64) int64 {
			calls++
			l.DelTimeEvent(id)
			return 1 // ignored: the event deleted itself
		})
		l.AddTimeEvent(40, func(l *Loop, _ int64) int64 { l.Stop(); return NoMore })
		run(t, l)
		if calls != 1 {
			t.Fatalf("self-deleted event ran %d times", calls)
		}
	})
}

func TestTimeEventAddedDuringProcessing(t *testing.T) {
	l := newLoop(t, 4)
	iter := 0
	l.SetAfterSleep(func(*Loop) { iter++ })
	var addedIn, ranIn int
	l.AddTimeEvent(0, func(l *Loop, _ int64) int64 {
		addedIn = iter
		l.AddTimeEvent(0, func(l *Loop, _ int64) int64 {
			ranIn = iter
			l.Stop()
			return NoMore
		})
		return NoMore
	})
	run(t, l)
	if ranIn <= addedIn {
		t.Fatalf("event added in iteration %d ran in iteration %d, want a later one", addedIn, ranIn)
	}
}

func TestPostConcurrent(t *testing.T) {
	// 100 goroutines post 1000 functions each to a loop with no timers and
	// no fds: it blocks in epoll_wait, so only the eventfd wakes it.
	const goroutines, posts = 100, 1000
	l := newLoop(t, 4)
	start(t, l)

	next := make([]int, goroutines) // touched on the loop goroutine only
	var total, notInLoop, outOfOrder int
	done := make(chan struct{})
	var wg sync.WaitGroup
	for g := range goroutines {
		wg.Go(func() {
			for i := range posts {
				l.Post(func() {
					if !l.InLoop() {
						notInLoop++
					}
					if next[g] != i {
						outOfOrder++
					}
					next[g] = i + 1
					total++
					if total == goroutines*posts {
						close(done)
					}
				})
			}
		})
	}
	wg.Wait()
	select {
	case <-done:
	case <-time.After(30 * time.Second):
		t.Fatal("posted functions did not all run within 30s")
	}
	// Read the counters on the loop goroutine, after everything ran.
	result := make(chan [3]int, 1)
	l.Post(func() { result <- [3]int{total, notInLoop, outOfOrder} })
	r := <-result
	if r[0] != goroutines*posts || r[1] != 0 || r[2] != 0 {
		t.Fatalf("ran %d (want %d), %d off the loop, %d out of order", r[0], goroutines*posts, r[1], r[2])
	}
}

func TestPostRoundTrips(t *testing.T) {
	// One post at a time, each waited for: every one has to wake a
	// sleeping loop, so a lost wake-up hangs here.
	l := newLoop(t, 4)
	start(t, l)
	ack := make(chan struct{}, 1) // buffered: a late run must not block the loop
	f := func() { ack <- struct{}{} }
	for i := range 10000 {
		l.Post(f)
		select {
		case <-ack:
		case <-time.After(10 * time.Second):
			t.Fatalf("post %d never ran", i)
		}
	}
}

func TestPostFromCallback(t *testing.T) {
	// A function posted from a callback must run although nothing else
	// would wake the loop (no fds, no timers left).
	t.Run("time proc", func(t *testing.T) {
		l := newLoop(t, 4)
		l.AddTimeEvent(1, func(l *Loop, _ int64) int64 {
			l.Post(func() { l.Stop() })
			return NoMore
		})
		run(t, l)
	})
	t.Run("before sleep", func(t *testing.T) {
		l := newLoop(t, 4)
		posted := false
		l.SetBeforeSleep(func(l *Loop) {
			if !posted {
				posted = true
				l.Post(func() { l.Stop() })
			}
		})
		run(t, l)
	})
	t.Run("chain", func(t *testing.T) {
		l := newLoop(t, 4)
		n := 0
		var step func()
		step = func() {
			if n++; n == 1000 {
				l.Stop()
				return
			}
			l.Post(step)
		}
		l.Post(step)
		run(t, l)
	})
}

func TestStop(t *testing.T) {
	t.Run("other goroutine", func(t *testing.T) {
		l := newLoop(t, 4)
		returned := make(chan struct{})
		go func() {
			l.Run()
			close(returned)
		}()
		time.Sleep(20 * time.Millisecond) // let it block in epoll_wait
		l.Stop()
		select {
		case <-returned:
		case <-time.After(10 * time.Second):
			t.Fatal("Run did not return after Stop")
		}
	})
	t.Run("file proc", func(t *testing.T) {
		l := newLoop(t, 4)
		a, _ := socketpair(t)
		calls := 0
		l.AddFileEvent(a, Writable, func(l *Loop, fd, mask int) {
			calls++
			l.Stop()
		})
		run(t, l)
		if calls != 1 {
			t.Fatalf("write proc ran %d times, want 1 (Run returns after the iteration)", calls)
		}
	})
	t.Run("before Run", func(t *testing.T) {
		l := newLoop(t, 4)
		l.Stop()
		run(t, l)
		// Run resets the flag: the loop runs again until stopped again.
		l.AddTimeEvent(1, func(l *Loop, _ int64) int64 { l.Stop(); return NoMore })
		run(t, l)
	})
}

func TestInLoop(t *testing.T) {
	l := newLoop(t, 4)
	if l.InLoop() {
		t.Fatal("InLoop before Run")
	}
	var inTimer, inPost bool
	var other atomic.Bool
	l.AddTimeEvent(1, func(l *Loop, _ int64) int64 {
		inTimer = l.InLoop()
		ch := make(chan bool)
		go func() { ch <- l.InLoop() }()
		other.Store(<-ch)
		l.Post(func() { inPost = l.InLoop(); l.Stop() })
		return NoMore
	})
	run(t, l)
	if !inTimer || !inPost {
		t.Fatalf("InLoop in time proc %v, in posted func %v; want true", inTimer, inPost)
	}
	if other.Load() {
		t.Fatal("InLoop true on another goroutine")
	}
	if l.InLoop() {
		t.Fatal("InLoop after Run returned")
	}
}

func TestCloseThenPost(t *testing.T) {
	l, err := New(4)
	if err != nil {
		t.Fatal(err)
	}
	l.Post(func() { t.Error("posted function ran after Close") })
	if err := l.Close(); err != nil {
		t.Fatal(err)
	}
	if err := l.Close(); err != nil {
		t.Fatalf("second Close: %v", err)
	}
	l.Post(func() { t.Error("posted function ran after Close") })
	l.Stop()
}

// pingPong registers a read proc on a that reads the byte, counts, and
// writes another into b, so a is ready again every iteration: one file
// event dispatch per iteration. It stops the loop after n dispatches.
func pingPong(t testing.TB, l *Loop, n int) {
	a, b := socketpair(t)
	buf := make([]byte, 1)
	one := []byte{1}
	count := 0
	err := l.AddFileEvent(a, Readable, func(l *Loop, fd, mask int) {
		unix.Read(fd, buf)
		if count++; count == n {
			l.Stop()
			return
		}
		unix.Write(b, one)
	})
	if err != nil {
		t.Fatal(err)
	}
	write(t, b, "x")
}

func TestFileDispatchNoAlloc(t *testing.T) {
	const n = 10000
	l := newLoop(t, 4)
	pingPong(t, l, n)
	var before, after runtime.MemStats
	runtime.ReadMemStats(&before)
	run(t, l)
	runtime.ReadMemStats(&after)
	// Run itself allocates a little (the test's watchdog timer, the first
	// growth of the posted-func slices); per dispatch the count must be 0.
	if allocs := after.Mallocs - before.Mallocs; allocs > n/100 {
		t.Fatalf("%d allocations for %d dispatches", allocs, n)
	}
}

func BenchmarkFileEventDispatch(b *testing.B) {
	l := newLoop(b, 4)
	pingPong(b, l, b.N)
	b.ReportAllocs()
	b.ResetTimer()
	run(b, l)
}

func BenchmarkPost(b *testing.B) {
	// Round trips: post, wait until it ran, post again. Each wakes a
	// sleeping loop through the eventfd.
	l := newLoop(b, 4)
	start(b, l)
	ack := make(chan struct{})
	f := func() { ack <- struct{}{} }
	b.ReportAllocs()
	for b.Loop() {
		l.Post(f)
		<-ack
	}
}

func BenchmarkPostParallel(b *testing.B) {
	// Round trips from many goroutines at once: wake-ups merge, and one
	// iteration runs many posts.
	l := newLoop(b, 4)
	start(b, l)
	b.ReportAllocs()
	b.RunParallel(func(pb *testing.PB) {
		ack := make(chan struct{}, 1)
		f := func() { ack <- struct{}{} }
		for pb.Next() {
			l.Post(f)
			<-ack
		}
	})
}
