package redistest

import (
	"fmt"
	"net"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/redisfs/redisfs/core/cmds"
)

func TestParseTranscript(t *testing.T) {
	path := filepath.Join(t.TempDir(), "x.txt")
	src := "# a comment\n" +
		"\n" +
		"SET k v\r\n" +
		"   # indented comment\n" +
		"!sorted SMEMBERS s\n" +
		"!approx\tINCRBYFLOAT f 0.1\n" +
		"!any TIME\n" +
		`ECHO "a b" 'c d' "\x00\n"` + "\n" +
		"  PING   \n"
	if err := os.WriteFile(path, []byte(src), 0o644); err != nil {
		t.Fatal(err)
	}
	steps, err := ParseTranscript(path)
	if err != nil {
		t.Fatal(err)
	}
	want := []Step{
		{File: "x.txt", Line: 3, Text: "SET k v", Args: []string{"SET", "k", "v"}},
		{File: "x.txt", Line: 5, Text: "SMEMBERS s", Args: []string{"SMEMBERS", "s"}, Mode: Sorted},
		{File: "x.txt", Line: 6, Text: "INCRBYFLOAT f 0.1", Args: []string{"INCRBYFLOAT", "f", "0.1"}, Mode: Approx},
		{File: "x.txt", Line: 7, Text: "TIME", Args: []string{"TIME"}, Mode: Any},
		{File: "x.txt", Line: 8, Text: `ECHO "a b" 'c d' "\x00\n"`, Args: []string{"ECHO", "a b", "c d", "\x00\n"}},
		{File: "x.txt", Line: 9, Text: "PING", Args: []string{"PING"}},
	}
	if fmt.Sprintf("%q", steps) != fmt.Sprintf("%q", want) {
		t.Fatalf("got  %q\nwant %q", steps, want)
	}
	if s := steps[1].String(); s != "x.txt:5: !sorted SMEMBERS s" {
		t.Errorf("String() = %q", s)
	}

	for _, bad := range []string{
		"ECHO \"unbalanced\n",
		"ECHO \"a\"b\n",
		"!weird PING\n",
		"!sorted\n",
		"*1\n",
	} {
		if err := os.WriteFile(path, []byte("PING\n"+bad), 0o644); err != nil {
			t.Fatal(err)
		}
		_, err := ParseTranscript(path)
		if err == nil || !strings.Contains(err.Error(), "x.txt:2:") {
			t.Errorf("%q: err = %v, want one at x.txt:2", bad, err)
		}
	}
}

func TestEqual(t *testing.T) {
	for _, tc := range []struct {
		mode Mode
		a, b string
		want bool
	}{
		{Exact, "+OK\r\n", "+OK\r\n", true},
		{Exact, "+OK\r\n", "+Ok\r\n", false},
		{Sorted, "*3\r\n$1\r\na\r\n$1\r\nb\r\n:1\r\n", "*3\r\n:1\r\n$1\r\nb\r\n$1\r\na\r\n", true},
		{Sorted, "*2\r\n$1\r\na\r\n$1\r\nb\r\n", "*2\r\n$1\r\na\r\n$1\r\nc\r\n", false},
		{Sorted, "*2\r\n$1\r\na\r\n$1\r\nb\r\n", "*3\r\n$1\r\na\r\n$1\r\nb\r\n$1\r\nb\r\n", false},
		{Sorted, "~2\r\n$1\r\na\r\n$1\r\nb\r\n", "*2\r\n$1\r\nb\r\n$1\r\na\r\n", false},
		{Sorted, "~2\r\n$1\r\na\r\n$1\r\nb\r\n", "~2\r\n$1\r\nb\r\n$1\r\na\r\n", true},
		{Sorted, "%2\r\n+a\r\n:1\r\n+b\r\n:2\r\n", "%2\r\n+b\r\n:2\r\n+a\r\n:1\r\n", true},
		{Sorted, "%2\r\n+a\r\n:1\r\n+b\r\n:2\r\n", "%2\r\n+a\r\n:2\r\n+b\r\n:1\r\n", false},
		// Only the top level is reordered.
		{Sorted, "*2\r\n*2\r\n:1\r\n:2\r\n:3\r\n", "*2\r\n:3\r\n*2\r\n:1\r\n:2\r\n", true},
		{Sorted, "*1\r\n*2\r\n:1\r\n:2\r\n", "*1\r\n*2\r\n:2\r\n:1\r\n", false},
		{Sorted, "-ERR x\r\n", "-ERR x\r\n", true},
		{Sorted, "*-1\r\n", "*-1\r\n", true},
		{Sorted, "*-1\r\n", "*0\r\n", false},
		{Approx, "$3\r\n0.3\r\n", "$19\r\n0.30000000000000004\r\n", true},
		{Approx, "$3\r\n0.3\r\n", "$4\r\n0.31\r\n", false},
		{Approx, ",1.5\r\n", ",1.5000000000001\r\n", true},
		{Approx, ",1.5\r\n", "$3\r\n1.5\r\n", false},
		{Approx, "$3\r\ninf\r\n", "$3\r\ninf\r\n", true},
		{Approx, "$3\r\nabc\r\n", "$3\r\nabd\r\n", false},
		{Approx, "*2\r\n$1\r\nm\r\n$3\r\n2.5\r\n", "*2\r\n$1\r\nm\r\n$17\r\n2.500000000000001\r\n", true},
		{Approx, "*2\r\n$1\r\nm\r\n$3\r\n2.5\r\n", "*2\r\n$1\r\nn\r\n$3\r\n2.5\r\n", false},
		{Approx, ":100\r\n", ":99\r\n", false},
		{Any, ":1\r\n", ":2\r\n", true},
		{Any, ":1\r\n", "$1\r\n1\r\n", false},
		{Any, "*2\r\n:1\r\n:2\r\n", "*0\r\n", true},
	} {
		if got := Equal(tc.mode, []byte(tc.a), []byte(tc.b)); got != tc.want {
			t.Errorf("Equal(%s%q, %q) = %v", tc.mode.prefix(), tc.a, tc.b, got)
		}
	}
}

func TestElements(t *testing.T) {
	h, elems, err := Elements([]byte("*3\r\n:1\r\n*1\r\n$1\r\nx\r\n_\r\n"))
	if err != nil {
		t.Fatal(err)
	}
	if got := fmt.Sprintf("%q %q", h, elems); got != `"*3\r\n" [":1\r\n" "*1\r\n$1\r\nx\r\n" "_\r\n"]` {
		t.Errorf("got %s", got)
	}
	for _, bad := range []string{":1\r\n", "*-1\r\n", "*2\r\n:1\r\n", "*1\r\n:1\r\n:2\r\n"} {
		if _, _, err := Elements([]byte(bad)); err == nil {
			t.Errorf("Elements(%q) succeeded", bad)
		}
	}
}

// fakeServer accepts one connection and runs serve on it.
func fakeServer(t *testing.T, serve func(c net.Conn)) string {
	t.Helper()
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	var wg sync.WaitGroup
	wg.Add(1)
	go func() {
		defer wg.Done()
		c, err := l.Accept()
		if err != nil {
			return
		}
		defer c.Close()
		serve(c)
	}()
	t.Cleanup(func() { l.Close(); wg.Wait() })
	return l.Addr().String()
}

// TestConnReadReply checks that replies split across writes, and several
// replies in one write, come back one complete reply at a time.
func TestConnReadReply(t *testing.T) {
	big := strings.Repeat("z", 300*1024)
	addr := fakeServer(t, func(c net.Conn) {
		buf := make([]byte, 1024)
		c.Read(buf)
		for _, b := range []byte("+PONG\r\n$5\r\nhello\r\n*2\r\n:1\r\n") {
			c.Write([]byte{b})
			time.Sleep(100 * time.Microsecond)
		}
		c.Write([]byte("$-1\r\n:2\r\n$" + fmt.Sprint(len(big)) + "\r\n" + big + "\r\n"))
		c.Write([]byte("-ERR bye\r\n+partial"))
	})
	c := Dial(t, addr)
	c.Timeout = 5 * time.Second
	if r := c.Do("PING"); string(r) != "+PONG\r\n" {
		t.Fatalf("got %q", r)
	}
	for _, want := range []string{"$5\r\nhello\r\n", "*2\r\n:1\r\n$-1\r\n", ":2\r\n"} {
		if r := c.ReadReply(); string(r) != want {
			t.Fatalf("got %q, want %q", r, want)
		}
	}
	if r := c.ReadReply(); string(r) != "$307200\r\n"+big+"\r\n" {
		t.Fatalf("big reply: got %d bytes", len(r))
	}
	if r, ok := c.Buffered(); !ok || string(r) != "-ERR bye\r\n" {
		// The error may not have arrived yet; then read it.
		if ok || string(c.ReadReply()) != "-ERR bye\r\n" {
			t.Fatalf("got %q %v", r, ok)
		}
	}
	if _, err := c.TryReadReply(); err != ErrClosed {
		t.Fatalf("after close: err = %v, want ErrClosed", err)
	}
	if p := string(c.Pending()); p != "+partial" {
		t.Fatalf("Pending() = %q", p)
	}
}

func TestConnTimeout(t *testing.T) {
	// The server holds the connection far longer than the timeout, so
	// that a slow machine cannot make the close come first.
	addr := fakeServer(t, func(c net.Conn) { time.Sleep(2 * time.Second) })
	c := Dial(t, addr)
	c.Timeout = 100 * time.Millisecond
	start := time.Now()
	if _, err := c.TryDo("PING"); err == nil || err == ErrClosed {
		t.Fatalf("err = %v, want a timeout", err)
	}
	if d := time.Since(start); d > 1500*time.Millisecond {
		t.Fatalf("timed out after %v", d)
	}
}

// recorder is a testing.TB that collects errors instead of failing.
type recorder struct {
	testing.TB
	mu   sync.Mutex
	errs []string
}

func (r *recorder) Helper() {}
func (r *recorder) Errorf(format string, args ...any) {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.errs = append(r.errs, fmt.Sprintf(format, args...))
}
func (r *recorder) Logf(format string, args ...any) {}

// TestCompareTranscript runs a transcript against two real servers set up
// to differ, and checks that every difference is reported, with its line,
// and that the run goes on after one.
func TestCompareTranscript(t *testing.T) {
	a := StartRedis(t)
	b := StartRedis(t, "--databases", "4")
	path := filepath.Join(t.TempDir(), "diff.txt")
	src := "SET k v\n" + // 1
		"SELECT 5\n" + // 2: +OK and -ERR
		"SELECT 0\n" + // 3
		"GET k\n" + // 4
		"!any SELECT 6\n" + // 5: +OK and -ERR again
		"SELECT 0\n" + // 6
		"!sorted ECHO x\n" + // 7
		"SUBSCRIBE c1 c2\n" + // 8: two replies each
		"PING\n" // 9
	if err := os.WriteFile(path, []byte(src), 0o644); err != nil {
		t.Fatal(err)
	}
	steps, err := ParseTranscript(path)
	if err != nil {
		t.Fatal(err)
	}
	rec := &recorder{TB: t}
	CompareTranscript(rec, steps, a, b)
	if len(rec.errs) != 2 {
		t.Fatalf("got %d differences, want 2: %q", len(rec.errs), rec.errs)
	}
	want0 := "diff.txt:2: SELECT 5\n" +
		"    redis: \"+OK\\r\\n\"\n" +
		"    ours:  \"-ERR DB index is out of range\\r\\n\""
	if rec.errs[0] != want0 {
		t.Errorf("first difference:\n%s\nwant\n%s", rec.errs[0], want0)
	}
	if !strings.HasPrefix(rec.errs[1], "diff.txt:5: !any SELECT 6\n") {
		t.Errorf("second difference: %s", rec.errs[1])
	}

	// The same transcript against one server twice shows no difference,
	// the two SUBSCRIBE replies included.
	rec = &recorder{TB: t}
	CompareTranscript(rec, steps, a, a)
	if len(rec.errs) != 0 {
		t.Errorf("same server: %q", rec.errs)
	}
}

// TestCompareTranscriptStuck checks that a transcript stops at the first
// step a server does not answer, instead of waiting on every later step.
func TestCompareTranscriptStuck(t *testing.T) {
	ref := StartRedis(t)
	stuck := fakeServer(t, func(c net.Conn) {
		buf := make([]byte, 1024)
		c.Read(buf) // FLUSHALL
		c.Write([]byte("+OK\r\n"))
		time.Sleep(time.Second)
	})
	old := DefaultTimeout
	DefaultTimeout = 200 * time.Millisecond
	defer func() { DefaultTimeout = old }()
	steps := []Step{
		{File: "s.txt", Line: 1, Text: "PING", Args: []string{"PING"}},
		{File: "s.txt", Line: 2, Text: "PING", Args: []string{"PING"}},
		{File: "s.txt", Line: 3, Text: "PING", Args: []string{"PING"}},
	}
	rec := &recorder{TB: t}
	start := time.Now()
	CompareTranscript(rec, steps, ref, stuck)
	if d := time.Since(start); d > 900*time.Millisecond {
		t.Errorf("took %v", d)
	}
	if len(rec.errs) != 2 || !strings.HasPrefix(rec.errs[0], "s.txt:1: PING\n") || !strings.Contains(rec.errs[1], "the rest of s.txt is skipped") {
		t.Errorf("errors: %q", rec.errs)
	}
}

func TestStartServer(t *testing.T) {
	addr, s := StartServer(t, func(cfg *cmds.Config) { cfg.Databases = 4 })
	if s == nil || addr == "" {
		t.Fatal("no server")
	}
	c := Dial(t, addr)
	if r := c.DoInline("PING"); string(r) != "+PONG\r\n" {
		t.Fatalf("PING: %q", r)
	}
	if r := c.Do("SELECT", "4"); string(r) != "-ERR DB index is out of range\r\n" {
		t.Fatalf("SELECT 4: %q", r)
	}
	p := NewPair(t, StartRedis(t), addr)
	p.Do("ECHO", "same")
	p.DoMode(Sorted, "PING")
}
