package cmds_test

import (
	"bytes"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/redisfs/redisfs/core/cmds"
	"github.com/redisfs/redisfs/core/redistest"
)

// Tests of the administration commands (admin.go).

func TestServerTranscript(t *testing.T) {
	redistest.RunTranscriptFile(t, filepath.Join(redistest.RepoRoot(t), "testdata", "server.txt"), nil)
}

// TestConfigGetGlob checks CONFIG GET patterns: every directive a pattern
// matches, in both protocols, and the aliases.
func TestConfigGetGlob(t *testing.T) {
	_, ourAddr := connPair(t, nil)
	c := redistest.Dial(t, ourAddr)
	all := parseReply(t, c.Do("CONFIG", "GET", "*"))
	got := map[string]string{}
	for i := 0; i+1 < len(all.Elems); i += 2 {
		got[string(all.Elems[i].Str)] = string(all.Elems[i+1].Str)
	}
	for _, name := range cmds.DirectiveNames() {
		if _, ok := got[name]; !ok {
			t.Errorf("CONFIG GET * lacks %s", name)
		}
	}
	if got["hash-max-ziplist-entries"] != got["hash-max-listpack-entries"] || got["hash-max-ziplist-entries"] == "" {
		t.Errorf("alias: %q vs %q", got["hash-max-ziplist-entries"], got["hash-max-listpack-entries"])
	}
	c.Do("HELLO", "3")
	r := parseReply(t, c.Do("CONFIG", "GET", "maxmemory*", "hz"))
	keys := map[string]bool{}
	for i := 0; i < len(r.Elems); i += 2 {
		keys[string(r.Elems[i].Str)] = true
	}
	if r.Type != '%' || !keys["maxmemory"] || !keys["maxmemory-policy"] || !keys["hz"] || keys["timeout"] {
		t.Errorf("RESP3 CONFIG GET maxmemory* hz: %c %v", r.Type, replyStrings(r))
	}
}

// TestConfigSetApplies checks that CONFIG SET changes what the server does,
// and that a failing multi-pair CONFIG SET changes nothing.
func TestConfigSetApplies(t *testing.T) {
	_, ourAddr := connPair(t, nil)
	c := redistest.Dial(t, ourAddr)
	if r := c.Do("CONFIG", "SET", "maxmemory", "10mb", "hz", "100", "timeout", "abc"); !bytes.HasPrefix(r, []byte("-ERR CONFIG SET failed (possibly related to argument 'timeout')")) {
		t.Fatalf("CONFIG SET: %s", redistest.Quote(r))
	}
	if r := c.Do("CONFIG", "GET", "maxmemory"); string(r) != "*2\r\n$9\r\nmaxmemory\r\n$1\r\n0\r\n" {
		t.Errorf("maxmemory after a failed CONFIG SET: %s", redistest.Quote(r))
	}
	if r := c.Do("CONFIG", "SET", "requirepass", "pw", "hz", "100"); string(r) != "+OK\r\n" {
		t.Fatalf("CONFIG SET: %s", redistest.Quote(r))
	}
	d := redistest.Dial(t, ourAddr)
	if r := d.Do("GET", "x"); !bytes.HasPrefix(r, []byte("-NOAUTH")) {
		t.Errorf("new connection after requirepass: %s", redistest.Quote(r))
	}
	if r := d.Do("AUTH", "pw"); string(r) != "+OK\r\n" {
		t.Errorf("AUTH: %s", redistest.Quote(r))
	}
	// The server keeps running at hz 100.
	if r := c.Do("INFO", "server"); !bytes.Contains(r, []byte("\r\nhz:100\r\nconfigured_hz:100\r\n")) {
		t.Errorf("INFO after hz 100: %s", redistest.Quote(r))
	}
	c.Do("CONFIG", "SET", "timeout", "1")
	idle := redistest.Dial(t, ourAddr)
	idle.Do("AUTH", "pw")
	// The cron closes it after a second or two of idleness: wait for the
	// close (a PING after a guessed sleep would keep it alive on a slow
	// machine, where the cron came late).
	idle.Timeout = redistest.WaitTime
	if out, err := idle.ReadUntilClose(); err != nil || len(out) != 0 {
		t.Errorf("an idle client survived timeout 1: %q %v", out, err)
	}
}

// TestSwapDBAndFlush checks the keyspace effects that the transcript
// cannot see: WATCH across SWAPDB and FLUSHALL, and clients selecting a
// swapped database.
func TestSwapDBAndFlush(t *testing.T) {
	refAddr, ourAddr := connPair(t, nil)
	for _, addr := range []string{refAddr, ourAddr} {
		a, b := redistest.Dial(t, addr), redistest.Dial(t, addr)
		a.Do("SELECT", "1")
		a.Do("SET", "k", "in-1")
		b.Do("SET", "k", "in-0")
		b.Do("WATCH", "k")
		a.Do("SWAPDB", "0", "1")
		if r := b.Do("GET", "k"); string(r) != "$4\r\nin-1\r\n" {
			t.Errorf("%s: GET after SWAPDB: %s", addr, redistest.Quote(r))
		}
		b.Do("MULTI")
		b.Do("PING")
		if r := b.Do("EXEC"); string(r) != "*-1\r\n" {
			t.Errorf("%s: EXEC after SWAPDB of a watched key: %s", addr, redistest.Quote(r))
		}
		b.Do("WATCH", "k")
		a.Do("FLUSHALL")
		b.Do("MULTI")
		b.Do("PING")
		if r := b.Do("EXEC"); string(r) != "*-1\r\n" {
			t.Errorf("%s: EXEC after FLUSHALL of a watched key: %s", addr, redistest.Quote(r))
		}
		// A client blocked on a key of a database served by SWAPDB.
		b.Do("SELECT", "2")
		if err := b.TryWrite(redistest.Command("BLPOP", "q", "0")); err != nil {
			t.Fatal(err)
		}
		a.WaitInfo("clients", "blocked_clients:1")
		a.Do("SELECT", "3")
		a.Do("RPUSH", "q", "x")
		a.Do("SWAPDB", "2", "3")
		if r, err := b.TryReadReply(); err != nil || string(r) != "*2\r\n$1\r\nq\r\n$1\r\nx\r\n" {
			t.Errorf("%s: BLPOP served by SWAPDB: %s %v", addr, redistest.Quote(r), err)
		}
	}
}

// TestDebugObject checks DEBUG OBJECT's line against Redis's format.
func TestDebugObject(t *testing.T) {
	refAddr, ourAddr := connPair(t, nil)
	line := regexp.MustCompile(`^\+Value at:0x[0-9a-f]+ refcount:(\d+) encoding:(\w+) serializedlength:(\d+) lru:\d+ lru_seconds_idle:\d+\r\n$`)
	for _, v := range []string{"123", "hello", strings.Repeat("x", 50), "-5", "99999"} {
		var got [2][]string
		for i, addr := range []string{refAddr, ourAddr} {
			c := redistest.Dial(t, addr)
			c.Do("SET", "k", v)
			r := c.Do("DEBUG", "OBJECT", "k")
			m := line.FindStringSubmatch(string(r))
			if m == nil {
				t.Fatalf("%s: DEBUG OBJECT: %s", addr, redistest.Quote(r))
			}
			got[i] = m[1:]
		}
		// serializedlength differs only where Redis compresses.
		if got[0][0] != got[1][0] || got[0][1] != got[1][1] || len(v) <= 20 && got[0][2] != got[1][2] {
			t.Errorf("SET k %q: redis refcount/encoding/length %v, ours %v", v, got[0], got[1])
		}
	}
}

// TestShutdown checks that SHUTDOWN stops our server without a reply.
func TestShutdown(t *testing.T) {
	ourAddr, s := redistest.StartServer(t, nil)
	c := redistest.Dial(t, ourAddr)
	stopped := make(chan struct{})
	go func() {
		// Run returns when the loop stops; StartServer's goroutine
		// runs it. Poll for the listener going away instead.
		for deadline := time.Now().Add(redistest.WaitTime); time.Now().Before(deadline); {
			if _, err := redistest.TryDial(t, ourAddr); err != nil {
				close(stopped)
				return
			}
			time.Sleep(50 * time.Millisecond)
		}
	}()
	if err := c.TryWrite(redistest.Command("SHUTDOWN", "NOSAVE")); err != nil {
		t.Fatal(err)
	}
	if r, err := c.ReadUntilClose(); err != nil || len(r) != 0 {
		t.Errorf("SHUTDOWN replied %s (%v)", redistest.Quote(r), err)
	}
	select {
	case <-stopped:
	case <-time.After(redistest.WaitTime + 5*time.Second):
		t.Errorf("the server still accepts connections after SHUTDOWN")
	}
	if !s.Srv.ShutdownRequested.Load() {
		t.Errorf("ShutdownRequested not set")
	}
}

// TestTimeAndLastsave checks TIME against the clock and LASTSAVE against
// the start time.
func TestTimeAndLastsave(t *testing.T) {
	_, ourAddr := connPair(t, nil)
	c := redistest.Dial(t, ourAddr)
	r := parseReply(t, c.Do("TIME"))
	secs, _ := strconv.ParseInt(string(r.Elems[0].Str), 10, 64)
	usec, _ := strconv.ParseInt(string(r.Elems[1].Str), 10, 64)
	got := time.Unix(secs, usec*1000)
	if d := time.Since(got); d < -time.Second || d > time.Second || usec < 0 || usec > 999999 {
		t.Errorf("TIME %v is %v away from now", got, d)
	}
	last := parseReply(t, c.Do("LASTSAVE")).Int
	if d := time.Now().Unix() - last; d < 0 || d > 60 {
		t.Errorf("LASTSAVE %d", last)
	}
}
