package loop

import (
	"encoding/binary"
	"errors"
	"os"
	"time"

	"golang.org/x/sys/unix"
)

// apiState is the epoll backend, after ae_epoll.c's aeApiState, plus the
// eventfd through which other goroutines wake a sleeping epoll_wait.
type apiState struct {
	epfd   int
	wakefd int
	events []unix.EpollEvent // reused by every poll; grown up to the set size
	// nested is the buffer of the polls of ProcessEventsWhileBlocked,
	// which run while an iteration still walks events.
	nested []unix.EpollEvent
	drain  [8]byte // read buffer for the eventfd counter
}

// wakeOne is the eventfd increment: a uint64 1 in host byte order.
var wakeOne [8]byte

func init() { binary.NativeEndian.PutUint64(wakeOne[:], 1) }

// create opens the epoll instance and the wake-up eventfd, and sizes the
// event buffer for n ready fds per poll.
func (a *apiState) create(n int) error {
	epfd, err := unix.EpollCreate1(unix.EPOLL_CLOEXEC)
	if err != nil {
		return os.NewSyscallError("epoll_create1", err)
	}
	wakefd, err := unix.Eventfd(0, unix.EFD_NONBLOCK|unix.EFD_CLOEXEC)
	if err != nil {
		unix.Close(epfd)
		return os.NewSyscallError("eventfd", err)
	}
	ev := unix.EpollEvent{Events: unix.EPOLLIN, Fd: int32(wakefd)}
	if err := unix.EpollCtl(epfd, unix.EPOLL_CTL_ADD, wakefd, &ev); err != nil {
		unix.Close(wakefd)
		unix.Close(epfd)
		return os.NewSyscallError("epoll_ctl", err)
	}
	a.epfd, a.wakefd = epfd, wakefd
	a.events = make([]unix.EpollEvent, n)
	return nil
}

// close releases the epoll instance and the eventfd.
func (a *apiState) close() error {
	var errs []error
	if err := unix.Close(a.epfd); err != nil {
		errs = append(errs, os.NewSyscallError("close", err))
	}
	if err := unix.Close(a.wakefd); err != nil {
		errs = append(errs, os.NewSyscallError("close", err))
	}
	a.epfd, a.wakefd = -1, -1
	return errors.Join(errs...)
}

// resize replaces the event buffer with one of n entries.
func (a *apiState) resize(n int) { a.events = make([]unix.EpollEvent, n) }

// epollBits translates a loop mask into epoll interest bits. Barrier is
// the loop's own business and has no epoll counterpart.
func epollBits(mask int) uint32 {
	var ev uint32
	if mask&Readable != 0 {
		ev |= unix.EPOLLIN
	}
	if mask&Writable != 0 {
		ev |= unix.EPOLLOUT
	}
	return ev
}

// addEvent sets fd's interest to newMask. oldMask == None means fd is not
// yet in the epoll set (EPOLL_CTL_ADD); otherwise it is modified.
func (a *apiState) addEvent(fd, oldMask, newMask int) error {
	op := unix.EPOLL_CTL_MOD
	if oldMask == None {
		op = unix.EPOLL_CTL_ADD
	}
	ev := unix.EpollEvent{Events: epollBits(newMask), Fd: int32(fd)}
	if err := unix.EpollCtl(a.epfd, op, fd, &ev); err != nil {
		return os.NewSyscallError("epoll_ctl", err)
	}
	return nil
}

// delEvent narrows fd's interest to newMask, removing fd from the epoll
// set when nothing remains. Errors are ignored, as in ae_epoll.c: the
// usual cause is a caller that closed fd first, and closing the last
// reference to a file already removed it from the set.
func (a *apiState) delEvent(fd, newMask int) {
	if newMask == None {
		var ev unix.EpollEvent // Linux < 2.6.9 wants a non-nil event even for DEL.
		unix.EpollCtl(a.epfd, unix.EPOLL_CTL_DEL, fd, &ev)
		return
	}
	ev := unix.EpollEvent{Events: epollBits(newMask), Fd: int32(fd)}
	unix.EpollCtl(a.epfd, unix.EPOLL_CTL_MOD, fd, &ev)
}

// useNestedBuffer makes polls fill the nested buffer until the function
// it returns is called.
func (a *apiState) useNestedBuffer() (restore func()) {
	if a.nested == nil {
		a.nested = make([]unix.EpollEvent, initialEvents)
	}
	saved := a.events
	a.events = a.nested
	return func() { a.events = saved }
}

// poll waits up to timeout milliseconds (-1: forever) and returns how many
// entries of a.events are ready. A wait interrupted by a signal is resumed
// for whatever remains of the timeout.
func (a *apiState) poll(timeout int) (int, error) {
	var deadline time.Duration
	if timeout > 0 {
		deadline = monoNow() + time.Duration(timeout)*time.Millisecond
	}
	for {
		n, err := unix.EpollWait(a.epfd, a.events, timeout)
		if err == nil {
			return n, nil
		}
		if err != unix.EINTR {
			return 0, os.NewSyscallError("epoll_wait", err)
		}
		if timeout > 0 {
			timeout = ceilMs(deadline - monoNow())
		}
	}
}

// fired returns the fd and loop mask of the i-th ready entry. Errors and
// hang-ups count as both readable and writable, as in ae_epoll.c, so that
// whichever handler is installed gets to see the failure.
func (a *apiState) fired(i int) (fd, mask int) {
	e := &a.events[i]
	if e.Events&unix.EPOLLIN != 0 {
		mask |= Readable
	}
	if e.Events&unix.EPOLLOUT != 0 {
		mask |= Writable
	}
	if e.Events&(unix.EPOLLERR|unix.EPOLLHUP) != 0 {
		mask |= Readable | Writable
	}
	return int(e.Fd), mask
}

// wake adds one to the eventfd counter, making it readable. A full counter
// (EAGAIN) is already readable, and any other failure leaves nothing to do
// but let the loop find the work at its next wake-up, so errors are dropped.
func (a *apiState) wake() { unix.Write(a.wakefd, wakeOne[:]) }

// drainWake resets the eventfd counter to zero so it stops being readable.
func (a *apiState) drainWake() { unix.Read(a.wakefd, a.drain[:]) }

// threadID returns the calling OS thread's id.
func threadID() int64 { return int64(unix.Gettid()) }
