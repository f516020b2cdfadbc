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

// ready waits until the server answers PING, or until it exits; as long
// as a loaded machine may take to start it.
func (r *realRedis) ready(exited chan struct{}) bool {
	deadline := time.Now().Add(30 * time.Second)
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
			// A server with requirepass answers -NOAUTH.
			if err == nil && (string(buf) == "+PONG\r\n" || string(buf) == "-NOAUTH") {
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
// until nothing more arrived for quiet after want bytes were read. It may
// run on any goroutine.
func (r *realRedis) exchange(data []byte, want int, quiet time.Duration) (reply []byte, closed bool, err error) {
	c, err := net.Dial("tcp", r.addr)
	if err != nil {
		return nil, false, err
	}
	defer c.Close()
	if _, err := c.Write(data); err != nil {
		return nil, false, err
	}
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
		case errors.As(err, &ne) && ne.Timeout():
			return reply, false, nil
		default:
			// EOF, or a reset when the server closed with input
			// still unread.
			return reply, true, nil
		}
	}
}

// client is a connection to a real server that reads replies one by one.
type client struct {
	c   net.Conn
	buf []byte // bytes read but not yet returned
}

func dial(t *testing.T, r *realRedis) *client {
	t.Helper()
	c, err := net.Dial("tcp", r.addr)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { c.Close() })
	return &client{c: c}
}

// do sends one command and returns its raw reply.
func (cl *client) do(t *testing.T, args ...string) []byte {
	t.Helper()
	var req []byte
	req = AppendArrayLen(req, len(args))
	for _, a := range args {
		req = AppendBulkString(req, a)
	}
	if _, err := cl.c.Write(req); err != nil {
		t.Fatal(err)
	}
	return cl.read(t)
}

// read returns the next raw reply.
func (cl *client) read(t *testing.T) []byte {
	t.Helper()
	tmp := make([]byte, 64*1024)
	cl.c.SetReadDeadline(time.Now().Add(10 * time.Second))
	for {
		_, n, err := ReadReply(cl.buf)
		if err != nil {
			t.Fatalf("bad reply %q: %v", cl.buf, err)
		}
		if n > 0 {
			reply := append([]byte(nil), cl.buf[:n]...)
			cl.buf = cl.buf[n:]
			return reply
		}
		m, err := cl.c.Read(tmp)
		if err != nil {
			t.Fatalf("read: %v (have %q)", err, cl.buf)
		}
		cl.buf = append(cl.buf, tmp[:m]...)
	}
}
