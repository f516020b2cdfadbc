// Package server is redisfs's network front end (Redis's networking.c and
// anet.c): it listens on TCP and a unix socket, accepts clients, reads their
// requests into the command side's query buffers, and writes replies back,
// all on one event loop. It also drives serverCron and beforeSleep.
//
// A Server is created and run by one goroutine; Stop, Post and Addr may be
// called from any goroutine.
package server

import (
	"errors"
	"fmt"
	"net"
	"os"
	"strconv"
	"strings"
	"sync"

	"golang.org/x/sys/unix"

	"github.com/redisfs/redisfs/core/cmds"
	"github.com/redisfs/redisfs/core/loop"
)

const (
	ioBufLen          = 16 * 1024 // PROTO_IOBUF_LEN
	maxAcceptsPerCall = 1000
	// replyChunk caps a single write so one client with a huge reply
	// cannot monopolize the loop (NET_MAX_WRITES_PER_EVENT).
	replyChunk = 1024 * 1024
)

// Server serves RESP for one cmds.Server.
type Server struct {
	Srv  *cmds.Server
	el   *loop.Loop
	lfds []listener

	// nconns counts connected socket clients, for maxclients.
	nconns int

	readBuf []byte // shared by every client's read: only tails are kept per client

	mu       sync.Mutex
	tcpAddrs []string
	stopped  bool
}

type listener struct {
	fd   int
	unix bool
	path string
}

// New creates the network front end and its event loop.
func New(srv *cmds.Server) (*Server, error) {
	el, err := loop.New(srv.Config.MaxClients + 128)
	if err != nil {
		return nil, err
	}
	s := &Server{Srv: srv, el: el, readBuf: make([]byte, ioBufLen)}
	el.SetBeforeSleep(func(*loop.Loop) { srv.BeforeSleep() })
	el.SetAfterSleep(func(*loop.Loop) { srv.UpdateCachedTime() })
	hz := srv.Config.Hz
	gc := newGCTuner(srv.Config.MaxMemory)
	srv.OnConfigSet(func(name string) {
		if name == "maxmemory" {
			gc.setMaxmemory(srv.Config.MaxMemory)
		}
	})
	var cronLoops int
	el.AddTimeEvent(1, func(*loop.Loop, int64) int64 {
		srv.Cron()
		if cronLoops++; cronLoops%hz == 0 {
			gc.tune()
		}
		if srv.Config.Hz != hz {
			hz = srv.Config.Hz
		}
		return int64(1000 / hz)
	})
	// A busy script lets the other clients in (to answer them BUSY, and
	// to hear SCRIPT KILL); only replies are flushed meanwhile.
	srv.OnProcessEventsWhileBlocked(func() {
		el.ProcessEventsWhileBlocked(srv.HandleClientsWithPendingWrites)
	})
	srv.OnShutdown = s.Stop
	return s, nil
}

// Loop returns the event loop, for other front ends to Post work to.
func (s *Server) Loop() *loop.Loop { return s.el }

// Listen opens the TCP listeners (Config.Bind × Config.Port; a '-' before an
// address makes it optional, as in redis.conf) and the unix socket.
func (s *Server) Listen() error {
	cfg := &s.Srv.Config
	if cfg.Port != 0 || len(cfg.Bind) > 0 {
		port := cfg.Port
		for _, addr := range cfg.Bind {
			optional := strings.HasPrefix(addr, "-")
			addr = strings.TrimPrefix(addr, "-")
			fd, bound, err := listenTCP(addr, port)
			if err != nil {
				if optional || errors.Is(err, unix.EADDRNOTAVAIL) && optional {
					continue
				}
				if optional {
					continue
				}
				return fmt.Errorf("Warning: Could not create server TCP listening socket %s:%d: %v", addr, port, err)
			}
			if port == 0 {
				// Port 0 picks a free port once; later addresses share it.
				port = bound
			}
			s.mu.Lock()
			s.tcpAddrs = append(s.tcpAddrs, net.JoinHostPort(addr, strconv.Itoa(bound)))
			s.mu.Unlock()
			s.lfds = append(s.lfds, listener{fd: fd})
		}
		cfg.Port = port
	}
	if cfg.UnixSocket != "" {
		os.Remove(cfg.UnixSocket)
		fd, err := unix.Socket(unix.AF_UNIX, unix.SOCK_STREAM|unix.SOCK_NONBLOCK|unix.SOCK_CLOEXEC, 0)
		if err != nil {
			return os.NewSyscallError("socket", err)
		}
		if err := unix.Bind(fd, &unix.SockaddrUnix{Name: cfg.UnixSocket}); err != nil {
			unix.Close(fd)
			return fmt.Errorf("Failed opening Unix socket: %v", err)
		}
		if cfg.UnixSocketPerm != 0 {
			os.Chmod(cfg.UnixSocket, os.FileMode(cfg.UnixSocketPerm))
		}
		if err := unix.Listen(fd, 511); err != nil {
			unix.Close(fd)
			return os.NewSyscallError("listen", err)
		}
		s.lfds = append(s.lfds, listener{fd: fd, unix: true, path: cfg.UnixSocket})
	}
	if len(s.lfds) == 0 {
		return errors.New("Configured to not listen anywhere, exiting.")
	}
	for _, l := range s.lfds {
		l := l
		if err := s.el.AddFileEvent(l.fd, loop.Readable, func(el *loop.Loop, fd, mask int) { s.accept(l) }); err != nil {
			return err
		}
	}
	return nil
}

func listenTCP(addr string, port int) (fd, bound int, err error) {
	ip := net.ParseIP(addr)
	if ip == nil {
		ips, err := net.LookupIP(addr)
		if err != nil || len(ips) == 0 {
			return -1, 0, fmt.Errorf("cannot resolve %s", addr)
		}
		ip = ips[0]
	}
	var sa unix.Sockaddr
	family := unix.AF_INET
	if ip4 := ip.To4(); ip4 != nil {
		a := &unix.SockaddrInet4{Port: port}
		copy(a.Addr[:], ip4)
		sa = a
	} else {
		family = unix.AF_INET6
		a := &unix.SockaddrInet6{Port: port}
		copy(a.Addr[:], ip.To16())
		sa = a
	}
	fd, err = unix.Socket(family, unix.SOCK_STREAM|unix.SOCK_NONBLOCK|unix.SOCK_CLOEXEC, 0)
	if err != nil {
		return -1, 0, os.NewSyscallError("socket", err)
	}
	unix.SetsockoptInt(fd, unix.SOL_SOCKET, unix.SO_REUSEADDR, 1)
	if family == unix.AF_INET6 {
		unix.SetsockoptInt(fd, unix.IPPROTO_IPV6, unix.IPV6_V6ONLY, 1)
	}
	if err := unix.Bind(fd, sa); err != nil {
		unix.Close(fd)
		return -1, 0, err
	}
	if err := unix.Listen(fd, 511); err != nil {
		unix.Close(fd)
		return -1, 0, os.NewSyscallError("listen", err)
	}
	got, err := unix.Getsockname(fd)
	if err != nil {
		unix.Close(fd)
		return -1, 0, os.NewSyscallError("getsockname", err)
	}
	switch a := got.(type) {
	case *unix.SockaddrInet4:
		bound = a.Port
	case *unix.SockaddrInet6:
		bound = a.Port
	}
	return fd, bound, nil
}

// Addr returns the first TCP address listened on ("127.0.0.1:6379").
func (s *Server) Addr() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	if len(s.tcpAddrs) == 0 {
		return ""
	}
	return s.tcpAddrs[0]
}

// Run runs the event loop until Stop; then it closes every client and
// listener.
func (s *Server) Run() {
	s.el.Run()
	for _, c := range s.Srv.Clients() {
		if c.Flags&cmds.ClientInternal == 0 {
			s.Srv.FreeClient(c)
		}
	}
	for _, l := range s.lfds {
		unix.Close(l.fd)
		if l.unix {
			os.Remove(l.path)
		}
	}
	s.lfds = nil
	s.el.Close()
}

// Stop makes Run return; safe from any goroutine.
func (s *Server) Stop() {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.stopped {
		return
	}
	s.stopped = true
	s.el.Stop()
}

// Post runs f on the loop goroutine; safe from any goroutine.
func (s *Server) Post(f func()) { s.el.Post(f) }
