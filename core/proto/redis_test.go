package proto

import (
	"bytes"
	"errors"
	"io"
	"net"
	"os/exec"
	"strconv"
	"testing"
	"time"
)

// realRedis is a redis-server started for one test.
type realRedis struct {
	port int
	addr string
}

// startRedis starts redis-server on a free port with persistence off and
// DEBUG enabled, and stops it when the test ends. It skips the test only
// when redis-server is not installed.
func startRedis(t *testing.T, extra ...string) *realRedis {
	t.Helper()
	bin, err := exec.LookPath("redis-server")
	if err != nil {
		t.Skip("redis-server not on PATH")
	}
	for attempt := 0; attempt < 5; attempt++ {
		port := freePort(t)
		args := []string{
			"--port", strconv.Itoa(port), "--bind", "127.0.0.1",
			"--save", "", "--appendonly", "no", "--dir", t.TempDir(),
			"--daemonize", "no", "--loglevel", "warning",
			"--enable-debug-command", "yes",
		}
		cmd := exec.Command(bin, append(args, extra...)...)
		var out bytes.Buffer
		cmd.Stdout, cmd.Stderr = &out, &out
		if err := cmd.Start(); err != nil {
			t.Fatalf("start redis-server: %v", err)
		}
		exited := make(chan struct{})
		go func() { cmd.Wait(); close(exited) }()
		r := &realRedis{port: port, addr: net.JoinHostPort("127.0.0.1", strconv.Itoa(port))}
		if r.ready(exited) {
			t.Cleanup(func() {
				cmd.Process.Kill()
				<-exited
			})
			return r
		}
		cmd.Process.Kill()
		<-exited
		t.Logf("redis-server on port %d did not come up: %s", port, out.String())
	}
	t.Fatal("could not start redis-server")
	return nil
}

// ready waits until the server answers PING, or until it exits.
func (r *realRedis) ready(exited chan struct{}) bool {
	deadline := time.Now().Add(5 * time.Second)
	for time.Now().Before(deadline) {
		select {
		case <-exited:
			return false
		default:
		}
		c, err := net.DialTimeout("tcp", r.addr, time.Second)
		if err == nil {
			c.SetDeadline(time.Now().Add(time.Second))
			c.Write([]byte("PING\r\n"))
			buf := make([]byte, 7)
			_, err = io.ReadFull(c, buf)
			c.Close()
			if err == nil && string(buf) == "+PONG\r\n" {
				return true
			}
		}
		time.Sleep(20 * time.Millisecond)
	}
	return false
}

func freePort(t *testing.T) int {
	t.Helper()
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer l.Close()
	return l.Addr().(*net.TCPAddr).Port
}

// exchange sends data on a fresh connection and returns what the server
// sent back: everything until it closed the connection (closed is true) or
// until nothing more arrived for quiet after want bytes were read.
func (r *realRedis) exchange(t *testing.T, data []byte, want int, quiet time.Duration) (reply []byte, closed bool) {
	t.Helper()
	c, err := net.Dial("tcp", r.addr)
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	if _, err := c.Write(data); err != nil {
		t.Fatal(err)
	}
	return readUntil(t, c, want, quiet)
}

// readUntil reads from c until EOF, or until it has at least want bytes and
// nothing more arrives for quiet. It gives up after 10 seconds.
func readUntil(t *testing.T, c net.Conn, want int, quiet time.Duration) (reply []byte, closed bool) {
	t.Helper()
	giveUp := time.Now().Add(10 * time.Second)
	buf := make([]byte, 64*1024)
	for {
		wait := quiet
		if len(reply) < want {
			wait = time.Until(giveUp)
		}
		c.SetReadDeadline(time.Now().Add(wait))
		n, err := c.Read(buf)
		reply = append(reply, buf[:n]...)
		var ne net.Error
		switch {
		case err == nil:
		case errors.Is(err, io.EOF) || errors.Is(err, net.ErrClosed):
			return reply, true
		case errors.As(err, &ne) && ne.Timeout():
			return reply, false
		default:
			// A reset after the server closed with unread input.
			return reply, true
		}
	}
}

// command sends one command on c and returns its raw reply.
func command(t *testing.T, c net.Conn, args ...string) []byte {
	t.Helper()
	var req []byte
	req = AppendArrayLen(req, len(args))
	for _, a := range args {
		req = AppendBulkString(req, a)
	}
	if _, err := c.Write(req); err != nil {
		t.Fatal(err)
	}
	var buf []byte
	tmp := make([]byte, 64*1024)
	c.SetReadDeadline(time.Now().Add(10 * time.Second))
	for {
		_, n, err := ReadReply(buf)
		if err != nil {
			t.Fatalf("%q: bad reply %q: %v", args, buf, err)
		}
		if n > 0 {
			if n != len(buf) {
				t.Fatalf("%q: trailing bytes after reply %q", args, buf)
			}
			return buf
		}
		m, err := c.Read(tmp)
		if err != nil {
			t.Fatalf("%q: read: %v (have %q)", args, err, buf)
		}
		buf = append(buf, tmp[:m]...)
	}
}

func dial(t *testing.T, r *realRedis) net.Conn {
	t.Helper()
	c, err := net.Dial("tcp", r.addr)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { c.Close() })
	return c
}
