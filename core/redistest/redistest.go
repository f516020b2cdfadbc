// Package redistest holds the helpers of redisfs's differential tests: they
// start a real redis-server and our server side by side, talk raw RESP to
// both, and compare the replies byte for byte (see compare.go for the
// looser comparisons some replies need, and transcript.go for the
// testdata/*.txt transcripts every command family writes).
//
// It is imported by tests only. StartRedis, StartServer and Dial register
// their cleanup with t.Cleanup. The methods of Conn that fail the test
// (Do, ReadReply, Write …) call t.Fatal and so must be called from the test's
// own goroutine; the Try variants return errors and may be used from any
// goroutine, one goroutine per Conn at a time.
package redistest

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/redisfs/redisfs/core/cmds"
	"github.com/redisfs/redisfs/core/proto"
	"github.com/redisfs/redisfs/core/server"
)

// StartRedis starts the real redis-server on a free port of 127.0.0.1 with
// persistence off (save "", appendonly no) in a directory of its own,
// waits until it answers PING, and returns its address ("127.0.0.1:P").
// args are appended to the command line (e.g. "--maxclients", "5"). The
// server is killed and its directory removed when the test ends, whether it
// passed or not. The test is skipped only when redis-server is not installed.
func StartRedis(t testing.TB, args ...string) string {
	t.Helper()
	bin, err := exec.LookPath("redis-server")
	if err != nil {
		t.Skip("redis-server is not installed")
	}
	dir := t.TempDir()
	argv := append([]string{bin,
		"--port", PortArg, "--bind", "127.0.0.1",
		"--save", "", "--appendonly", "no", "--dir", dir,
		"--daemonize", "no", "--loglevel", "warning", "--logfile", "",
		"--enable-debug-command", "yes",
	}, args...)
	return StartProcess(t, dir, 0, argv...).Addr
}

// StartRedisConfig starts the real redis-server on the config file path,
// which sets port (and so the address returned), as StartRedis does
// otherwise. The test is skipped only when redis-server is not installed.
func StartRedisConfig(t testing.TB, path string, port int) string {
	t.Helper()
	bin, err := exec.LookPath("redis-server")
	if err != nil {
		t.Skip("redis-server is not installed")
	}
	return StartProcess(t, filepath.Dir(path), port, bin, path).Addr
}

// StartServer runs our server in this process: cmds.DefaultConfig with Port
// 0 and Bind 127.0.0.1, persistence off, its directory a temporary one,
// enable-debug-command yes (as StartRedis), then mod (if not nil) to adjust the configuration. It listens, runs the
// loop in a goroutine, and returns the TCP address and the front end. When
// the test ends the server is stopped and its goroutine waited for.
//
// Logs are discarded unless REDISFS_TEST_LOG is set: then they go to
// standard error, at that level when it names one ("debug", "verbose").
//
// Since the server shares the test's process, StartServer raises this
// process's RLIMIT_NOFILE to fit maxclients, as redis-server does at start.
func StartServer(t testing.TB, mod func(*cmds.Config)) (addr string, s *server.Server) {
	t.Helper()
	cfg := cmds.DefaultConfig()
	cfg.Port = 0
	cfg.Bind = []string{"127.0.0.1"}
	cfg.Save = ""
	cfg.AppendOnly = false
	cfg.Dir = t.TempDir()
	// As StartRedis starts redis-server: the tests use DEBUG.
	cfg.EnableDebugCommand = "yes"
	if mod != nil {
		mod(&cfg)
	}
	srv := cmds.NewServer(cfg)
	srv.LogOut = io.Discard
	if lv := os.Getenv("REDISFS_TEST_LOG"); lv != "" {
		srv.LogOut = os.Stderr
		switch lv {
		case "debug", "verbose", "notice", "warning":
			srv.Config.LogLevel = lv
		}
	}
	if err := RaiseFileLimit(uint64(srv.Config.MaxClients) + 32); err != nil {
		t.Logf("redistest: maxclients %d: %v", srv.Config.MaxClients, err)
	}
	s, err := server.New(srv)
	if err != nil {
		t.Fatalf("redistest: server.New: %v", err)
	}
	if err := s.Listen(); err != nil {
		t.Fatalf("redistest: Listen: %v", err)
	}
	done := make(chan struct{})
	go func() {
		defer close(done)
		s.Run()
	}()
	t.Cleanup(func() {
		s.Stop()
		select {
		case <-done:
		case <-time.After(30 * time.Second):
			t.Errorf("redistest: server did not stop within 30s")
		}
	})
	return s.Addr(), s
}

var rlimitMu sync.Mutex

// RaiseFileLimit makes sure this process may have at least n open files,
// raising the soft limit of RLIMIT_NOFILE and, if needed and allowed (root),
// the hard one. It never lowers a limit. It returns an error when the limit
// stays below n.
func RaiseFileLimit(n uint64) error {
	rlimitMu.Lock()
	defer rlimitMu.Unlock()
	var lim syscall.Rlimit
	if err := syscall.Getrlimit(syscall.RLIMIT_NOFILE, &lim); err != nil {
		return err
	}
	if lim.Cur >= n {
		return nil
	}
	want := lim
	want.Cur = n
	if want.Max < n {
		want.Max = n
	}
	if err := syscall.Setrlimit(syscall.RLIMIT_NOFILE, &want); err == nil {
		return nil
	}
	// Not allowed to raise the hard limit: go as far as it allows.
	if lim.Cur < lim.Max {
		lim.Cur = lim.Max
		syscall.Setrlimit(syscall.RLIMIT_NOFILE, &lim)
	}
	return fmt.Errorf("RLIMIT_NOFILE is %d (hard %d), below the %d wanted", lim.Cur, lim.Max, n)
}

// RepoRoot returns the module's root directory: the nearest directory at
// or above the working directory that holds go.mod.
func RepoRoot(t testing.TB) string {
	t.Helper()
	dir, err := os.Getwd()
	if err != nil {
		t.Fatalf("redistest: %v", err)
	}
	for {
		if _, err := os.Stat(filepath.Join(dir, "go.mod")); err == nil {
			return dir
		}
		parent := filepath.Dir(dir)
		if parent == dir {
			t.Fatalf("redistest: no go.mod above the working directory")
		}
		dir = parent
	}
}

// DefaultTimeout is how long a new Conn waits for a reply, or for a write
// to complete, before it gives up: WaitTime, since one command (DEBUG
// POPULATE 300000 under the race detector) took longer than 10 s on a
// loaded machine. A test may lower it before it dials.
var DefaultTimeout = WaitTime

// Conn is a raw RESP connection. It sends requests as given and returns
// replies as the raw bytes the server sent, one complete reply at a time.
type Conn struct {
	t  testing.TB
	nc net.Conn
	// buf[r:] holds bytes read but not yet returned.
	buf []byte
	r   int
	// Timeout bounds every read and write; DefaultTimeout unless changed.
	Timeout time.Duration
}

// Dial connects to addr and closes the connection when the test ends.
func Dial(t testing.TB, addr string) *Conn {
	t.Helper()
	c, err := TryDial(t, addr)
	if err != nil {
		t.Fatalf("redistest: dial %s: %v", addr, err)
	}
	return c
}

// TryDial is Dial returning the error instead of failing the test.
func TryDial(t testing.TB, addr string) (*Conn, error) {
	nc, err := net.DialTimeout("tcp", addr, DefaultTimeout)
	if err != nil {
		return nil, err
	}
	t.Cleanup(func() { nc.Close() })
	return &Conn{t: t, nc: nc, Timeout: DefaultTimeout}, nil
}

// NetConn returns the underlying connection.
func (c *Conn) NetConn() net.Conn { return c.nc }

// Close closes the connection.
func (c *Conn) Close() error { return c.nc.Close() }

// WaitTime bounds a wait for something a server does on its own time
// (frees a closed connection, blocks a client, expires a key, finishes a
// background save). It is generous: a loaded machine (two -race runs of
// the suite on two busy cores) is many times slower than an idle one, and
// a wait that succeeds returns as soon as it does.
const WaitTime = 30 * time.Second

// WaitInfo polls INFO section on c until one of its lines is line (such
// as "connected_clients:2" or "blocked_clients:1"), and fails the test if
// that takes longer than WaitTime. Tests wait with it for what a server
// does after a command has replied, rather than sleep a guess.
func (c *Conn) WaitInfo(section, line string) {
	c.t.Helper()
	deadline := time.Now().Add(WaitTime)
	for {
		info := string(c.Do("INFO", section))
		// Every line of the bulk reply follows a CRLF (its header's
		// or the previous line's).
		if strings.Contains(info, "\r\n"+line+"\r\n") {
			return
		}
		if time.Now().After(deadline) {
			c.t.Fatalf("redistest: INFO %s never showed %q: %s", section, line, Quote([]byte(info)))
		}
		time.Sleep(2 * time.Millisecond)
	}
}

// Command encodes args as a RESP multibulk request.
func Command(args ...string) []byte {
	b := proto.AppendArrayLen(nil, len(args))
	for _, a := range args {
		b = proto.AppendBulkString(b, a)
	}
	return b
}

// Do sends args as one multibulk request and returns the raw reply.
func (c *Conn) Do(args ...string) []byte {
	c.t.Helper()
	c.Write(Command(args...))
	return c.ReadReply()
}

// TryDo is Do returning an error instead of failing the test.
func (c *Conn) TryDo(args ...string) ([]byte, error) {
	if err := c.TryWrite(Command(args...)); err != nil {
		return nil, err
	}
	return c.TryReadReply()
}

// DoInline sends line as an inline request ("\r\n" is appended) and
// returns the raw reply.
func (c *Conn) DoInline(line string) []byte {
	c.t.Helper()
	c.Write([]byte(line + "\r\n"))
	return c.ReadReply()
}

// Write sends raw bytes.
func (c *Conn) Write(raw []byte) {
	c.t.Helper()
	if err := c.TryWrite(raw); err != nil {
		c.t.Fatalf("redistest: write to %s: %v", c.nc.RemoteAddr(), err)
	}
}

// TryWrite is Write returning the error.
func (c *Conn) TryWrite(raw []byte) error {
	c.nc.SetWriteDeadline(time.Now().Add(c.Timeout))
	_, err := c.nc.Write(raw)
	return err
}

// ReadReply returns the raw bytes of the next complete reply. It fails the
// test if none arrives within c.Timeout, the connection closes first, or the
// bytes are not RESP.
func (c *Conn) ReadReply() []byte {
	c.t.Helper()
	r, err := c.TryReadReply()
	if err != nil {
		c.t.Fatalf("redistest: reading a reply from %s: %v", c.nc.RemoteAddr(), err)
	}
	return r
}

// ErrClosed is returned by TryReadReply when the server closed the
// connection; the bytes of an incomplete reply, if any, are in Pending.
var ErrClosed = errors.New("connection closed by the server")

// TryReadReply is ReadReply returning an error.
func (c *Conn) TryReadReply() ([]byte, error) {
	for {
		if r, ok, err := c.buffered(); err != nil || ok {
			return r, err
		}
		if err := c.fill(); err != nil {
			return nil, err
		}
	}
}

// Buffered returns the next reply if it has been received already, without
// waiting for the network.
func (c *Conn) Buffered() ([]byte, bool) {
	r, ok, err := c.buffered()
	return r, ok && err == nil
}

func (c *Conn) buffered() ([]byte, bool, error) {
	if c.r >= len(c.buf) {
		return nil, false, nil
	}
	_, n, err := proto.ReadReply(c.buf[c.r:])
	if err != nil {
		return nil, false, fmt.Errorf("not RESP: %v in %q", err, clip(c.buf[c.r:], 200))
	}
	if n == 0 {
		return nil, false, nil
	}
	out := bytes.Clone(c.buf[c.r : c.r+n])
	c.r += n
	return out, true, nil
}

// Pending returns the bytes received but not returned as a reply yet.
func (c *Conn) Pending() []byte { return c.buf[c.r:] }

// fill reads more bytes into buf, waiting at most c.Timeout.
func (c *Conn) fill() error {
	if c.r > 0 && c.r == len(c.buf) {
		c.buf, c.r = c.buf[:0], 0
	} else if c.r > 0 && c.r >= cap(c.buf)/2 {
		n := copy(c.buf, c.buf[c.r:])
		c.buf, c.r = c.buf[:n], 0
	}
	if cap(c.buf)-len(c.buf) < 64*1024 {
		nb := make([]byte, len(c.buf), max(2*cap(c.buf), len(c.buf)+64*1024))
		copy(nb, c.buf)
		c.buf = nb
	}
	c.nc.SetReadDeadline(time.Now().Add(c.Timeout))
	n, err := c.nc.Read(c.buf[len(c.buf):cap(c.buf)])
	c.buf = c.buf[:len(c.buf)+n]
	if n > 0 {
		return nil
	}
	if isClosed(err) {
		return ErrClosed
	}
	return err
}

// ReadUntilClose returns every byte the server sends until it closes the
// connection (still-buffered bytes first). It returns an error when the
// connection is still open after c.Timeout.
func (c *Conn) ReadUntilClose() ([]byte, error) {
	out := bytes.Clone(c.buf[c.r:])
	c.buf, c.r = c.buf[:0], 0
	deadline := time.Now().Add(c.Timeout)
	tmp := make([]byte, 64*1024)
	for {
		c.nc.SetReadDeadline(deadline)
		n, err := c.nc.Read(tmp)
		out = append(out, tmp[:n]...)
		if err == nil {
			continue
		}
		if isClosed(err) {
			return out, nil
		}
		return out, fmt.Errorf("connection still open after %v: %w", c.Timeout, err)
	}
}

// isClosed tells EOF and a reset (the server closed with our bytes
// unread) from a timeout.
func isClosed(err error) bool {
	if err == nil {
		return false
	}
	var ne net.Error
	if errors.As(err, &ne) && ne.Timeout() {
		return false
	}
	return errors.Is(err, io.EOF) || errors.Is(err, syscall.ECONNRESET) ||
		errors.Is(err, syscall.EPIPE) || errors.Is(err, net.ErrClosed)
}

// clip shortens b for messages.
func clip(b []byte, n int) []byte {
	if len(b) <= n {
		return b
	}
	return append(bytes.Clone(b[:n]), "…"...)
}

// Quote formats a reply for a failure message: %q of the bytes, shortened
// in the middle when longer than 400 bytes.
func Quote(b []byte) string {
	if len(b) <= 400 {
		return strconv.Quote(string(b))
	}
	return strconv.Quote(string(b[:200])) + fmt.Sprintf(" …(%d bytes)… ", len(b)-400) + strconv.Quote(string(b[len(b)-200:]))
}

// Pair is one connection to the real Redis and one to ours, for tests
// that send the same commands to both and compare as they go.
type Pair struct {
	t          testing.TB
	Ref, Ours  *Conn
	refA, ourA string
}

// NewPair dials refAddr and ourAddr.
func NewPair(t testing.TB, refAddr, ourAddr string) *Pair {
	t.Helper()
	return &Pair{t: t, Ref: Dial(t, refAddr), Ours: Dial(t, ourAddr), refA: refAddr, ourA: ourAddr}
}

// Do sends args to both and reports (t.Errorf) unless the replies are
// byte-identical. It returns Redis's reply.
func (p *Pair) Do(args ...string) []byte {
	p.t.Helper()
	return p.DoMode(Exact, args...)
}

// DoMode is Do comparing the replies as mode says.
func (p *Pair) DoMode(mode Mode, args ...string) []byte {
	p.t.Helper()
	ref := p.Ref.Do(args...)
	ours := p.Ours.Do(args...)
	if !Equal(mode, ref, ours) {
		p.t.Errorf("%s%s:\n    redis: %s\n    ours:  %s", mode.prefix(), QuoteArgs(args), Quote(ref), Quote(ours))
	}
	return ref
}

// QuoteArgs renders argv as an inline command line a transcript could
// hold (difftest prints its shrunk sequences with it).
func QuoteArgs(args []string) string {
	var b strings.Builder
	for i, a := range args {
		if i > 0 {
			b.WriteByte(' ')
		}
		if a != "" && !strings.ContainsAny(a, " \t\r\n\"'\\") && strconv.QuoteToASCII(a) == `"`+a+`"` {
			b.WriteString(a)
		} else {
			b.WriteString(strconv.QuoteToASCII(a))
		}
	}
	return b.String()
}
