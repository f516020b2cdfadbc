package fs

import (
	"bufio"
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/redisfs/redisfs/core/cmds"
	"github.com/redisfs/redisfs/core/proto"
	"github.com/redisfs/redisfs/core/redistest"
	"github.com/redisfs/redisfs/core/server"
	"github.com/redisfs/redisfs/fs/local"
)

// The tests mount for real, in the test process, and drive the mount only
// through exec'd tools (sh, cat, ls, mv, getfattr, vim …), never through
// file calls of the test process itself: a process that serves a FUSE mount
// and also uses it can deadlock (see go-fuse's package documentation), and
// child processes are what users run anyway. Keeping the server in the test
// process lets the race detector watch the loop, the FUSE goroutines and
// the notifier together. Every result is checked through a TCP client too.

// env is one server with its keyspace mounted.
type env struct {
	t    testing.TB
	s    *server.Server
	fsys *FS
	mnt  string
	addr string
	work string // a scratch directory outside the mount
	ctx  context.Context
	log  *redistest.LogBuffer
}

// testTimeout bounds every test: a wedged mount must fail the test, not
// hang the run.
const testTimeout = 60 * time.Second

func needFuse(t testing.TB) {
	t.Helper()
	if _, err := os.Stat("/dev/fuse"); err != nil {
		t.Skip("no /dev/fuse")
	}
}

func newEnv(t testing.TB, opts Options) *env {
	t.Helper()
	needFuse(t)
	cfg := cmds.DefaultConfig()
	cfg.Port = 0
	cfg.EnableDebugCommand = "yes" // the tests use DEBUG, as redistest.StartServer
	cfg.Bind = []string{"127.0.0.1"}
	cfg.Save = ""
	cfg.AppendOnly = false
	srv := cmds.NewServer(cfg)
	logs := &redistest.LogBuffer{}
	srv.LogOut = logs
	s, err := server.New(srv)
	if err != nil {
		t.Fatal(err)
	}
	if err := s.Listen(); err != nil {
		t.Fatal(err)
	}
	done := make(chan struct{})
	go func() {
		s.Run()
		close(done)
	}()
	ctx, cancel := context.WithTimeout(context.Background(), testTimeout)
	e := &env{t: t, s: s, addr: s.Addr(), ctx: ctx, log: logs}
	e.work = t.TempDir()
	e.mnt = filepath.Join(t.TempDir(), "mnt")
	fsys, err := Mount(e.mnt, local.New(srv, s.Post), opts)
	if err != nil {
		cancel()
		s.Stop()
		<-done
		t.Fatal(err)
	}
	e.fsys = fsys
	t.Cleanup(func() {
		cancel()
		if err := fsys.Unmount(); err != nil {
			t.Errorf("unmount: %v", err)
		}
		s.Stop()
		<-done
		fsys.Close()
		if t.Failed() {
			t.Logf("server log:\n%s", logs.String())
		}
	})
	return e
}

// sh runs a shell script with $M set to the mount and $W to a work
// directory, and returns its standard output; it fails the test on a
// non-zero exit.
func (e *env) sh(script string) string {
	e.t.Helper()
	out, err := e.shErr(script)
	if err != nil {
		e.t.Fatalf("%s: %v\n%s", clip(script), err, clip(out))
	}
	return out
}

// clip shortens text for failure messages.
func clip(s string) string {
	if len(s) > 600 {
		return s[:600] + fmt.Sprintf("... (%d bytes)", len(s))
	}
	return s
}

// shErr is sh that returns the error (and stdout+stderr) instead.
func (e *env) shErr(script string) (string, error) {
	cmd := exec.CommandContext(e.ctx, "sh", "-c", script)
	cmd.Dir = e.work
	cmd.Env = append(os.Environ(), "M="+e.mnt, "W="+e.work, "LC_ALL=C", "HOME="+e.work)
	var out, errb bytes.Buffer
	cmd.Stdout = &out
	cmd.Stderr = &errb
	err := cmd.Run()
	if err != nil {
		return out.String() + errb.String(), err
	}
	return out.String(), nil
}

// client is a raw RESP connection to the server.
type client struct {
	t  testing.TB
	c  net.Conn
	rd *bufio.Reader
	// buf holds what was read but not parsed yet.
	buf []byte
}

func (e *env) client() *client {
	e.t.Helper()
	c, err := net.Dial("tcp", e.addr)
	if err != nil {
		e.t.Fatal(err)
	}
	e.t.Cleanup(func() { c.Close() })
	return &client{t: e.t, c: c, rd: bufio.NewReader(c)}
}

// do sends a command and returns its reply.
func (cl *client) do(args ...string) proto.Reply {
	cl.t.Helper()
	q := proto.AppendArrayLen(nil, len(args))
	for _, a := range args {
		q = proto.AppendBulkString(q, a)
	}
	cl.c.SetDeadline(time.Now().Add(20 * time.Second))
	if _, err := cl.c.Write(q); err != nil {
		cl.t.Fatal(err)
	}
	r, ok := cl.next(20 * time.Second)
	if !ok {
		cl.t.Fatalf("%v: no reply", args)
	}
	return r
}

// next reads the next reply the server sends (a push, a MONITOR line); false on timeout.
func (cl *client) next(d time.Duration) (proto.Reply, bool) {
	cl.t.Helper()
	cl.c.SetReadDeadline(time.Now().Add(d))
	for {
		r, n, err := proto.ReadReply(cl.buf)
		if err != nil {
			cl.t.Fatal(err)
		}
		if n > 0 {
			r = copyReply(r)
			cl.buf = cl.buf[n:]
			return r, true
		}
		var tmp [4096]byte
		k, err := cl.rd.Read(tmp[:])
		if err != nil {
			var ne net.Error
			if errors.As(err, &ne) && ne.Timeout() {
				return proto.Reply{}, false
			}
			cl.t.Fatal(err)
		}
		cl.buf = append(cl.buf, tmp[:k]...)
	}
}

func copyReply(r proto.Reply) proto.Reply {
	if r.Str != nil {
		r.Str = append([]byte{}, r.Str...)
	}
	for i := range r.Elems {
		r.Elems[i] = copyReply(r.Elems[i])
	}
	return r
}

// str returns the reply as text for comparisons: bulk and status strings
// as they are, integers in decimal, errors with a leading '-', nulls as
// "(nil)", arrays as their elements joined by commas.
func (cl *client) str(args ...string) string {
	cl.t.Helper()
	r := cl.do(args...)
	return replyString(&r)
}

func replyString(r *proto.Reply) string {
	switch {
	case r.Null:
		return "(nil)"
	case r.Type == ':':
		return fmt.Sprint(r.Int)
	case r.Type == '-':
		return "-" + string(r.Str)
	case r.Elems != nil || r.Type == '*':
		parts := make([]string, len(r.Elems))
		for i := range r.Elems {
			parts[i] = replyString(&r.Elems[i])
		}
		return strings.Join(parts, ",")
	}
	return string(r.Str)
}

// hasCommand reports whether the server has a command (families are
// written concurrently; tests of missing ones skip).
func (cl *client) hasCommand(name string) bool {
	r := cl.do("COMMAND", "INFO", name)
	return r.Type == '*' && len(r.Elems) == 1 && !r.Elems[0].Null
}

// needTool skips the test when a program it runs is missing.
func needTool(t testing.TB, names ...string) {
	t.Helper()
	for _, n := range names {
		if _, err := exec.LookPath(n); err != nil {
			t.Skipf("no %s", n)
		}
	}
}

func (e *env) need(cl *client, names ...string) {
	e.t.Helper()
	for _, n := range names {
		if !cl.hasCommand(n) {
			e.t.Skipf("the server has no %s command yet", strings.ToUpper(n))
		}
	}
}

// eq fails the test when got != want.
func eq[T comparable](t testing.TB, what string, got, want T) {
	t.Helper()
	if got != want {
		t.Errorf("%s: got %s, want %s", what, clip(fmt.Sprintf("%#v", got)), clip(fmt.Sprintf("%#v", want)))
	}
}

// settle bounds a wait for something that happens on its own time (a
// release the kernel sends after close(2) returned, a subscriber joining,
// a background script's output, a key expiring): generous, since a
// loaded machine is many times slower than an idle one, and a wait that
// succeeds returns at once.
const settle = redistest.WaitTime

// eventually retries f until it returns "" or the deadline passes.
func eventually(t testing.TB, d time.Duration, f func() string) {
	t.Helper()
	deadline := time.Now().Add(d)
	for {
		msg := f()
		if msg == "" {
			return
		}
		if time.Now().After(deadline) {
			t.Error(msg)
			return
		}
		time.Sleep(10 * time.Millisecond)
	}
}

var _ = io.Discard
