package server_test

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
	"slices"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/redis/go-redis/v9"

	"github.com/redisfs/redisfs/core/cmds"
	"github.com/redisfs/redisfs/core/proto"
	"github.com/redisfs/redisfs/core/redistest"
)

// newGoRedis returns a go-redis client of addr, closed when the test ends.
func newGoRedis(t *testing.T, addr string, protocol, pool int) *redis.Client {
	t.Helper()
	rc := redis.NewClient(&redis.Options{
		Addr:         addr,
		Protocol:     protocol,
		PoolSize:     pool,
		DialTimeout:  5 * time.Second,
		ReadTimeout:  10 * time.Second,
		WriteTimeout: 10 * time.Second,
		MaxRetries:   -1, // a retry would hide a dropped connection
	})
	t.Cleanup(func() { rc.Close() })
	return rc
}

// TestGoRedis runs go-redis v9 against our server, with RESP3 (its
// default: HELLO 3, falling back to RESP2 when HELLO is refused) and with
// RESP2: single commands, pipelines, a transaction, and 50 goroutines of
// 1000 operations each sharing one pool.
func TestGoRedis(t *testing.T) {
	addr, _ := redistest.StartServer(t, nil)
	for _, protocol := range []int{3, 2} {
		t.Run(fmt.Sprintf("RESP%d", protocol), func(t *testing.T) {
			ctx := context.Background()
			rc := newGoRedis(t, addr, protocol, 50)
			prefix := fmt.Sprintf("p%d:", protocol)
			if v, err := rc.Ping(ctx).Result(); err != nil || v != "PONG" {
				t.Fatalf("PING: %q %v", v, err)
			}
			if v, err := rc.Echo(ctx, "hi there").Result(); err != nil || v != "hi there" {
				t.Fatalf("ECHO: %q %v", v, err)
			}
			if err := rc.Set(ctx, prefix+"a", "b", 0).Err(); err != nil {
				t.Fatalf("SET: %v", err)
			}
			if v, err := rc.Get(ctx, prefix+"a").Result(); err != nil || v != "b" {
				t.Fatalf("GET: %q %v", v, err)
			}
			if v, err := rc.Get(ctx, prefix+"missing").Result(); err != redis.Nil {
				t.Fatalf("GET missing: %q %v, want redis.Nil", v, err)
			}
			bin := "\x00\r\n\xff binary"
			if err := rc.Set(ctx, prefix+"bin", bin, 0).Err(); err != nil {
				t.Fatal(err)
			}
			if v, err := rc.Get(ctx, prefix+"bin").Result(); err != nil || v != bin {
				t.Fatalf("GET bin: %q %v", v, err)
			}
			err := rc.Do(ctx, "NOSUCHCOMMAND", "x").Err()
			if want := "ERR unknown command 'NOSUCHCOMMAND', with args beginning with: 'x' "; err == nil || err.Error() != want {
				t.Fatalf("unknown command: %v, want %q", err, want)
			}

			// A pipeline of 100 commands.
			cmds, err := rc.Pipelined(ctx, func(p redis.Pipeliner) error {
				for i := range 50 {
					p.Set(ctx, prefix+"pl:"+strconv.Itoa(i), i, 0)
					p.Get(ctx, prefix+"pl:"+strconv.Itoa(i))
				}
				return nil
			})
			if err != nil {
				t.Fatalf("pipeline: %v", err)
			}
			for i := range 50 {
				if v := cmds[2*i+1].(*redis.StringCmd).Val(); v != strconv.Itoa(i) {
					t.Fatalf("pipelined GET %d = %q", i, v)
				}
			}

			// A transaction (MULTI/EXEC).
			cmds, err = rc.TxPipelined(ctx, func(p redis.Pipeliner) error {
				p.Set(ctx, prefix+"tx", "in-tx", 0)
				p.Get(ctx, prefix+"tx")
				return nil
			})
			if err != nil || cmds[1].(*redis.StringCmd).Val() != "in-tx" {
				t.Fatalf("transaction: %v %v", cmds, err)
			}

			// 50 goroutines × 1000 operations on one pool.
			var wg sync.WaitGroup
			errc := make(chan error, 50)
			for g := range 50 {
				wg.Add(1)
				go func() {
					defer wg.Done()
					key := fmt.Sprintf("%sg:%d", prefix, g)
					for i := range 1000 {
						if i%2 == 0 {
							if err := rc.Set(ctx, key, i, 0).Err(); err != nil {
								errc <- fmt.Errorf("goroutine %d op %d: SET: %v", g, i, err)
								return
							}
							continue
						}
						v, err := rc.Get(ctx, key).Result()
						if err != nil || v != strconv.Itoa(i-1) {
							errc <- fmt.Errorf("goroutine %d op %d: GET = %q, %v; want %d", g, i, v, err, i-1)
							return
						}
					}
				}()
			}
			wg.Wait()
			close(errc)
			for err := range errc {
				t.Error(err)
			}
		})
	}
}

// recordingProxy forwards TCP connections to target and records, for the
// first connection, what the client sent and what the server answered.
type recordingProxy struct {
	addr string
	mu   sync.Mutex
	sent []byte
	got  []byte
	once sync.Once
}

func startRecordingProxy(t *testing.T, target string) *recordingProxy {
	t.Helper()
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	p := &recordingProxy{addr: l.Addr().String()}
	var wg sync.WaitGroup
	t.Cleanup(func() { l.Close(); wg.Wait() })
	wg.Add(1)
	go func() {
		defer wg.Done()
		for {
			cc, err := l.Accept()
			if err != nil {
				return
			}
			sc, err := net.Dial("tcp", target)
			if err != nil {
				cc.Close()
				continue
			}
			record := false
			p.once.Do(func() { record = true })
			pipe := func(dst, src net.Conn, rec *[]byte) {
				defer wg.Done()
				defer dst.Close()
				buf := make([]byte, 32*1024)
				for {
					n, err := src.Read(buf)
					if n > 0 {
						if record {
							p.mu.Lock()
							*rec = append(*rec, buf[:n]...)
							p.mu.Unlock()
						}
						if _, werr := dst.Write(buf[:n]); werr != nil {
							return
						}
					}
					if err != nil {
						return
					}
				}
			}
			wg.Add(2)
			go pipe(sc, cc, &p.sent)
			go pipe(cc, sc, &p.got)
		}
	}()
	return p
}

// exchanges splits what the proxy recorded into commands and replies.
func (p *recordingProxy) exchanges(t *testing.T) (commands [][]string, replies [][]byte) {
	t.Helper()
	p.mu.Lock()
	sent, got := bytes.Clone(p.sent), bytes.Clone(p.got)
	p.mu.Unlock()
	parser := proto.NewParser()
	for len(sent) > 0 {
		args, n, err := parser.ReadCommand(sent, nil)
		if err != nil || n == 0 {
			t.Fatalf("client sent %q: %v", sent, err)
		}
		var cmd []string
		for _, a := range args {
			cmd = append(cmd, string(a))
		}
		commands = append(commands, cmd)
		sent = sent[n:]
	}
	for len(got) > 0 {
		_, n, err := proto.ReadReply(got)
		if err != nil || n == 0 {
			t.Fatalf("server sent %q: %v", got, err)
		}
		replies = append(replies, got[:n])
		got = got[n:]
	}
	return commands, replies
}

// TestGoRedisHandshake records what go-redis sends when it connects (HELLO
// 3 first; on an error reply it falls back to RESP2) against the real
// Redis and ours, and requires ours to accept HELLO 3 as Redis does: a
// RESP3 map with the same fields, after which replies are RESP3.
func TestGoRedisHandshake(t *testing.T) {
	refAddr := redistest.StartRedis(t)
	ourAddr, _ := redistest.StartServer(t, nil)
	ctx := context.Background()
	record := func(addr string) ([][]string, [][]byte) {
		p := startRecordingProxy(t, addr)
		rc := newGoRedis(t, p.addr, 3, 1)
		if err := rc.Ping(ctx).Err(); err != nil {
			t.Fatalf("PING through %s: %v", addr, err)
		}
		rc.Close()
		return p.exchanges(t)
	}
	refCmds, refReplies := record(refAddr)
	ourCmds, ourReplies := record(ourAddr)
	for i, c := range refCmds {
		t.Logf("go-redis → redis: %q → %s", c, redistest.Quote(refReplies[i]))
	}
	for i, c := range ourCmds {
		t.Logf("go-redis → ours:  %q → %s", c, redistest.Quote(ourReplies[i]))
	}
	if len(refCmds) == 0 || refCmds[0][0] != "hello" || refCmds[0][1] != "3" {
		t.Fatalf("go-redis did not start with HELLO 3: %q", refCmds)
	}
	if !slices.EqualFunc(refCmds, ourCmds, slices.Equal[[]string]) {
		t.Errorf("go-redis sent different commands to ours (it falls back to RESP2 when HELLO fails):\n    redis: %q\n    ours:  %q", refCmds, ourCmds)
	}
	for i := range min(len(refReplies), len(ourReplies)) {
		if i == 0 {
			continue // HELLO: compared field by field below
		}
		if !bytes.Equal(refReplies[i], ourReplies[i]) {
			t.Errorf("reply to %q differs\n    redis: %s\n    ours:  %s", refCmds[i], redistest.Quote(refReplies[i]), redistest.Quote(ourReplies[i]))
		}
	}
	compareHello(t, refReplies[0], ourReplies[0])

	// Once HELLO 3 succeeded, a missing key is RESP3's null.
	p := redistest.NewPair(t, refAddr, ourAddr)
	p.DoMode(redistest.Any, "HELLO", "3")
	p.Do("GET", "missing")
	p.Do("PING")
	p.DoMode(redistest.Any, "HELLO", "2")
	p.Do("GET", "missing")
}

// compareHello compares two HELLO replies field by field, except the
// fields that legitimately differ (id, version).
func compareHello(t *testing.T, ref, ours []byte) {
	t.Helper()
	rr, _, err := proto.ReadReply(ref)
	if err != nil || rr.Type != '%' {
		t.Fatalf("redis's HELLO 3 reply is not a map: %s", redistest.Quote(ref))
	}
	or, _, err := proto.ReadReply(ours)
	if err != nil || or.Type != '%' {
		t.Errorf("HELLO 3: ours replied %s, want a RESP3 map like redis's %s", redistest.Quote(ours), redistest.Quote(ref))
		return
	}
	fields := func(r proto.Reply) (keys []string, vals map[string]string) {
		vals = map[string]string{}
		for i := 0; i+1 < len(r.Elems); i += 2 {
			k := string(r.Elems[i].Str)
			keys = append(keys, k)
			v := r.Elems[i+1]
			vals[k] = fmt.Sprintf("%c %s %d %d", v.Type, v.Str, v.Int, len(v.Elems))
		}
		return keys, vals
	}
	rk, rv := fields(rr)
	ok, ov := fields(or)
	if !slices.Equal(rk, ok) {
		t.Errorf("HELLO 3 fields: redis %q, ours %q", rk, ok)
	}
	for _, k := range rk {
		if k == "id" || k == "version" {
			continue
		}
		if rv[k] != ov[k] {
			t.Errorf("HELLO 3 field %q: redis %q, ours %q", k, rv[k], ov[k])
		}
	}
}

// cliResult is what one redis-cli run printed.
type cliResult struct {
	stdout, stderr string
	code           int
}

// runCLI runs redis-cli against addr with args, stdin as its input.
func runCLI(t *testing.T, addr string, stdin io.Reader, args ...string) cliResult {
	t.Helper()
	bin, err := exec.LookPath("redis-cli")
	if err != nil {
		t.Skip("redis-cli is not installed")
	}
	host, port, _ := net.SplitHostPort(addr)
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Minute)
	defer cancel()
	cmd := exec.CommandContext(ctx, bin, append([]string{"-h", host, "-p", port}, args...)...)
	cmd.Stdin = stdin
	var out, errb bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &errb
	err = cmd.Run()
	res := cliResult{stdout: out.String(), stderr: errb.String()}
	var ee *exec.ExitError
	switch {
	case err == nil:
	case errors.As(err, &ee):
		res.code = ee.ExitCode()
	default:
		t.Fatalf("redis-cli %q: %v", args, err)
	}
	return res
}

// TestRedisCLI runs redis-cli as a user would, with the same arguments
// against the real Redis and ours, and compares what it prints.
func TestRedisCLI(t *testing.T) {
	if _, err := exec.LookPath("redis-cli"); err != nil {
		t.Skip("redis-cli is not installed")
	}
	type run struct {
		args  []string
		stdin string
	}
	compare := func(t *testing.T, runs []run) {
		t.Helper()
		refAddr := redistest.StartRedis(t)
		ourAddr, _ := redistest.StartServer(t, nil)
		for _, r := range runs {
			var in io.Reader
			if r.stdin != "" {
				in = strings.NewReader(r.stdin)
			}
			ref := runCLI(t, refAddr, in, r.args...)
			if r.stdin != "" {
				in = strings.NewReader(r.stdin)
			}
			ours := runCLI(t, ourAddr, in, r.args...)
			if ref != ours {
				t.Errorf("redis-cli %q:\n    redis: stdout %q stderr %q exit %d\n    ours:  stdout %q stderr %q exit %d",
					r.args, ref.stdout, ref.stderr, ref.code, ours.stdout, ours.stderr, ours.code)
			}
		}
	}
	t.Run("basics", func(t *testing.T) {
		compare(t, []run{
			{args: []string{"PING"}},
			{args: []string{"SET", "a", "b"}},
			{args: []string{"GET", "a"}},
			{args: []string{"--raw", "GET", "a"}},
			{args: []string{"--no-raw", "GET", "a"}},
			{args: []string{"GET", "missing"}},
			{args: []string{"--no-raw", "GET", "missing"}},
			{args: []string{"ECHO", "hello world"}},
			{args: []string{"--no-raw", "ECHO", "tab\there"}},
			{args: []string{"SET", "bin", "line1\nline2"}},
			{args: []string{"--raw", "GET", "bin"}},
			{args: []string{"--no-raw", "GET", "bin"}},
			{args: []string{"NOSUCHCOMMAND", "x"}},
			{args: []string{"--no-raw", "NOSUCHCOMMAND", "x"}},
			{args: []string{"GET"}},
			{args: []string{"-n", "3", "SET", "k", "in-db-3"}},
			{args: []string{"-n", "3", "GET", "k"}},
			{args: []string{"GET", "k"}},
			{args: []string{"-n", "99", "GET", "k"}},
			{args: []string{"-x", "SET", "fromstdin"}, stdin: "piped\ndata\n"},
			{args: []string{"GET", "fromstdin"}},
			{args: []string{"-r", "3", "PING"}},
			{args: []string{"-r", "2", "ECHO", "again"}},
			// Commands read from standard input, one per line.
			{args: nil, stdin: "SET s1 v1\nGET s1\nPING\nECHO \"quoted arg\"\n"},
		})
	})
	t.Run("repeat INCR", func(t *testing.T) {
		compare(t, []run{
			{args: []string{"-r", "5", "INCR", "n"}},
			{args: []string{"GET", "n"}},
		})
	})
	t.Run("scan", func(t *testing.T) {
		refAddr := redistest.StartRedis(t)
		ourAddr, _ := redistest.StartServer(t, nil)
		var req []byte
		for i := range 300 {
			req = append(req, redistest.Command("SET", fmt.Sprintf("user:%d", i), "x")...)
			req = append(req, redistest.Command("SET", fmt.Sprintf("other:%d", i), "y")...)
		}
		for _, addr := range []string{refAddr, ourAddr} {
			c := redistest.Dial(t, addr)
			c.Write(req)
			for range 600 {
				if r := c.ReadReply(); string(r) != "+OK\r\n" {
					t.Fatalf("SET: %s", redistest.Quote(r))
				}
			}
		}
		for _, args := range [][]string{
			{"--scan", "--pattern", "user:*"},
			{"--scan", "--pattern", "user:1?"},
			{"--scan"},
			{"--scan", "--pattern", "nomatch*"},
		} {
			ref, ours := runCLI(t, refAddr, nil, args...), runCLI(t, ourAddr, nil, args...)
			sortLines := func(s string) string {
				l := strings.Split(s, "\n")
				slices.Sort(l)
				return strings.Join(l, "\n")
			}
			if sortLines(ref.stdout) != sortLines(ours.stdout) || ref.stderr != ours.stderr || ref.code != ours.code {
				t.Errorf("redis-cli %q:\n    redis: %d lines, stderr %q exit %d\n    ours:  %d lines, stdout %s stderr %q exit %d",
					args, strings.Count(ref.stdout, "\n"), ref.stderr, ref.code,
					strings.Count(ours.stdout, "\n"), redistest.Quote([]byte(ours.stdout)), ours.stderr, ours.code)
			}
		}
	})
	t.Run("pipe 1000000", func(t *testing.T) {
		if testing.Short() {
			t.Skip("-short")
		}
		ourAddr, _ := redistest.StartServer(t, nil)
		const n = 1000000
		path := filepath.Join(t.TempDir(), "mass.resp")
		var buf []byte
		for i := range n {
			k, v := "key:"+strconv.Itoa(i), "value:"+strconv.Itoa(i)
			buf = append(buf, "*3\r\n$3\r\nSET\r\n$"...)
			buf = strconv.AppendInt(buf, int64(len(k)), 10)
			buf = append(buf, "\r\n"+k+"\r\n$"...)
			buf = strconv.AppendInt(buf, int64(len(v)), 10)
			buf = append(buf, "\r\n"+v+"\r\n"...)
		}
		if err := os.WriteFile(path, buf, 0o644); err != nil {
			t.Fatal(err)
		}
		buf = nil
		f, err := os.Open(path)
		if err != nil {
			t.Fatal(err)
		}
		defer f.Close()
		start := time.Now()
		res := runCLI(t, ourAddr, f, "--pipe")
		t.Logf("redis-cli --pipe of %d SETs took %v", n, time.Since(start))
		if res.code != 0 || !strings.Contains(res.stdout, "errors: 0, replies: 1000000") {
			t.Fatalf("redis-cli --pipe: exit %d\nstdout %q\nstderr %q", res.code, res.stdout, res.stderr)
		}
		c := redistest.Dial(t, ourAddr)
		if r := c.Do("DBSIZE"); string(r) != ":1000000\r\n" {
			t.Errorf("DBSIZE after --pipe: %s, want \":1000000\\r\\n\"", redistest.Quote(r))
		}
		if r := c.Do("GET", "key:999999"); string(r) != "$12\r\nvalue:999999\r\n" {
			t.Errorf("GET key:999999: %s", redistest.Quote(r))
		}
	})
}

// manyConnsEnv, when set to an address, makes TestManyConnections the
// client side of the test, in a process of its own.
const manyConnsEnv = "REDISFS_TEST_MANYCONNS_ADDR"

const manyConns = 10000

// TestManyConnections opens 10,000 connections to ours at once, the
// default maxclients, and PINGs on every one of them. The clients run in a
// child process (this test binary again): the file limit of one process
// could not hold both ends of 10,000 connections.
func TestManyConnections(t *testing.T) {
	if addr := os.Getenv(manyConnsEnv); addr != "" {
		manyConnsClient(addr)
		return
	}
	if testing.Short() {
		t.Skip("-short")
	}
	if err := redistest.RaiseFileLimit(manyConns + 256); err != nil {
		t.Skipf("cannot open %d files: %v", manyConns+256, err)
	}
	addr, s := redistest.StartServer(t, nil)
	if s.Srv.Config.MaxClients < manyConns {
		t.Fatalf("maxclients is %d, want at least %d", s.Srv.Config.MaxClients, manyConns)
	}
	cmd := exec.Command(os.Args[0], "-test.run=^TestManyConnections$", "-test.count=1")
	cmd.Env = append(os.Environ(), manyConnsEnv+"="+addr)
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	stdin, err := cmd.StdinPipe()
	if err != nil {
		t.Fatal(err)
	}
	stdout, err := cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	defer cmd.Process.Kill()
	lines := bufio.NewScanner(stdout)
	next := func() string {
		if !lines.Scan() {
			cmd.Wait()
			t.Fatalf("client process ended: %v\n%s", lines.Err(), stderr.String())
		}
		return lines.Text()
	}
	if l := next(); l != fmt.Sprintf("open %d", manyConns) {
		t.Fatalf("client process: %s\n%s", l, stderr.String())
	}
	// All of them are connected at once.
	var clients int
	done := make(chan struct{})
	s.Post(func() {
		for _, c := range s.Srv.Clients() {
			if c.Flags&cmds.ClientInternal == 0 {
				clients++
			}
		}
		close(done)
	})
	<-done
	if clients != manyConns {
		t.Errorf("server has %d clients, want %d", clients, manyConns)
	}
	stdin.Close()
	if l := next(); l != fmt.Sprintf("pinged %d", manyConns) {
		t.Fatalf("client process: %s\n%s", l, stderr.String())
	}
	if err := cmd.Wait(); err != nil {
		t.Fatalf("client process: %v\n%s", err, stderr.String())
	}
}

// manyConnsClient is the client side of TestManyConnections: it opens
// manyConns connections to addr, PINGs on each, says "open N", waits for
// its standard input to close, PINGs on each again, says "pinged N" and
// exits. On an error it says "error: ..." and exits 1.
func manyConnsClient(addr string) {
	fail := func(err error) {
		fmt.Printf("error: %v\n", err)
		os.Exit(1)
	}
	if err := redistest.RaiseFileLimit(manyConns + 256); err != nil {
		fail(err)
	}
	conns := make([]net.Conn, manyConns)
	ping := func(c net.Conn) error {
		c.SetDeadline(time.Now().Add(60 * time.Second))
		if _, err := c.Write([]byte("PING\r\n")); err != nil {
			return err
		}
		var buf [7]byte
		if _, err := io.ReadFull(c, buf[:]); err != nil {
			return err
		}
		if string(buf[:]) != "+PONG\r\n" {
			return fmt.Errorf("got %q", buf[:])
		}
		return nil
	}
	// A few workers, not a goroutine per connection: the race detector
	// allows 8128 live goroutines.
	work := func(f func(i int) error) error {
		var next atomic.Int64
		var wg sync.WaitGroup
		var mu sync.Mutex
		var first error
		for range 32 {
			wg.Add(1)
			go func() {
				defer wg.Done()
				for {
					i := int(next.Add(1) - 1)
					if i >= manyConns {
						return
					}
					if err := f(i); err != nil {
						mu.Lock()
						if first == nil {
							first = fmt.Errorf("connection %d: %w", i, err)
						}
						mu.Unlock()
						return
					}
				}
			}()
		}
		wg.Wait()
		return first
	}
	err := work(func(i int) error {
		c, err := net.DialTimeout("tcp", addr, 60*time.Second)
		if err != nil {
			return err
		}
		conns[i] = c
		return ping(c)
	})
	if err != nil {
		fail(err)
	}
	fmt.Printf("open %d\n", manyConns)
	io.Copy(io.Discard, os.Stdin)
	if err := work(func(i int) error { return ping(conns[i]) }); err != nil {
		fail(err)
	}
	fmt.Printf("pinged %d\n", manyConns)
	os.Exit(0)
}

// fillClients opens connections to addr until want of them have answered
// PING, waiting for the server to notice closed ones (the readiness probe
// of StartRedis) when it rejects one.
func fillClients(t *testing.T, addr string, want int) {
	t.Helper()
	deadline := time.Now().Add(redistest.WaitTime)
	for opened := 0; opened < want; {
		c := redistest.Dial(t, addr)
		r, err := c.TryDo("PING")
		if err == nil && string(r) == "+PONG\r\n" {
			opened++
			continue
		}
		c.Close()
		if time.Now().After(deadline) {
			t.Fatalf("connection %d: %q %v", opened+1, r, err)
		}
		time.Sleep(50 * time.Millisecond)
	}
}

// TestMaxClients checks that with maxclients 5 the sixth connection gets
// Redis's error, byte for byte, and is closed.
func TestMaxClients(t *testing.T) {
	refAddr := redistest.StartRedis(t, "--maxclients", "5")
	ourAddr, s := redistest.StartServer(t, func(cfg *cmds.Config) { cfg.MaxClients = 5 })
	sixth := func(addr string) []byte {
		fillClients(t, addr, 5)
		c := redistest.Dial(t, addr)
		c.Timeout = redistest.WaitTime
		out, err := c.ReadUntilClose()
		if err != nil {
			t.Errorf("%s: sixth connection: %v", addr, err)
		}
		return out
	}
	ref, ours := sixth(refAddr), sixth(ourAddr)
	const want = "-ERR max number of clients reached\r\n"
	if string(ref) != want {
		t.Fatalf("redis said %s to the sixth client, the test expects %q", redistest.Quote(ref), want)
	}
	if !bytes.Equal(ref, ours) {
		t.Errorf("sixth client:\n    redis: %s\n    ours:  %s", redistest.Quote(ref), redistest.Quote(ours))
	}
	// As in Redis, a rejected connection counts in rejected_connections
	// and not in total_connections_received.
	var total, rejected int64
	done := make(chan struct{})
	s.Post(func() {
		total, rejected = s.Srv.Stats.NumConnections, s.Srv.Stats.RejectedConns
		close(done)
	})
	<-done
	if total != 5 || rejected != 1 {
		t.Errorf("ours counted %d connections received and %d rejected, want 5 and 1", total, rejected)
	}
}

// TestIdleTimeout checks that with timeout 1 an idle client is closed
// within a few seconds, silently, as Redis does, and a busy one is not.
func TestIdleTimeout(t *testing.T) {
	refAddr := redistest.StartRedis(t, "--timeout", "1")
	ourAddr, _ := redistest.StartServer(t, func(cfg *cmds.Config) { cfg.Timeout = 1 })
	for _, srv := range []struct{ name, addr string }{{"redis", refAddr}, {"ours", ourAddr}} {
		t.Run(srv.name, func(t *testing.T) {
			t.Parallel()
			idle := redistest.Dial(t, srv.addr)
			busy := redistest.Dial(t, srv.addr)
			if r := idle.Do("PING"); string(r) != "+PONG\r\n" {
				t.Fatalf("PING: %s", redistest.Quote(r))
			}
			start := time.Now()
			// Generous: the cron that closes it runs late on a loaded
			// machine; the lower bound below is what must hold exactly.
			idle.Timeout = 15 * time.Second
			var out []byte
			var err error
			closed := make(chan struct{})
			go func() {
				defer close(closed)
				out, err = idle.ReadUntilClose()
			}()
			// The busy client sends a command every 300 ms meanwhile.
			for busyDone := false; !busyDone; {
				select {
				case <-closed:
					busyDone = true
				case <-time.After(300 * time.Millisecond):
					if r, berr := busy.TryDo("PING"); berr != nil || string(r) != "+PONG\r\n" {
						t.Errorf("busy client after %v: %q %v", time.Since(start), r, berr)
						<-closed
						busyDone = true
					}
				}
			}
			elapsed := time.Since(start)
			if err != nil {
				t.Fatalf("idle client not closed: %v", err)
			}
			if len(out) != 0 {
				t.Errorf("idle client got %s before the close", redistest.Quote(out))
			}
			if elapsed < 900*time.Millisecond || elapsed > 10*time.Second {
				t.Errorf("idle client closed after %v, want about 1 to 3 s (at most 10 on a loaded machine)", elapsed)
			}
			if r, err := busy.TryDo("PING"); err != nil || string(r) != "+PONG\r\n" {
				t.Errorf("busy client: %q %v", r, err)
			}
		})
	}
}
