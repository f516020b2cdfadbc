package cmds_test

import (
	"strings"
	"testing"
	"time"

	"github.com/redisfs/redisfs/core/redistest"
)

// Tests of CLIENT PAUSE with several clients (pause.go), against a real
// redis-server with the bconns helpers of blocking_test.go. The
// single-connection cases are in testdata/pause.txt.

// clientField returns field name of the CLIENT LIST line of the clients
// of ids refID and ourID.
func (b *bconns) clientField(refID, ourID, name string) (ref, ours string) {
	b.t.Helper()
	find := func(c *redistest.Conn, id string) string {
		for _, line := range strings.Split(string(c.Do("CLIENT", "LIST", "ID", id)), " ") {
			if v, ok := strings.CutPrefix(line, name+"="); ok {
				return v
			}
		}
		return ""
	}
	return find(b.refCtl, refID), find(b.ourCt, ourID)
}

func TestPauseWrite(t *testing.T) {
	b := newBconns(t, 4)
	refID, ourID := b.clientIDs(1)
	b.do(0, "SET", "k", "old")
	b.do(0, "CLIENT", "PAUSE", "100000", "WRITE")
	// Reads go through, writes wait.
	b.do(1, "GET", "k")
	b.send(1, "SET", "k", "new")
	b.waitBlocked(1)
	b.quiet(1, 50*time.Millisecond, "SET during a WRITE pause")
	// Redis 7.0.15 crashes on CLIENT UNBLOCK of a postponed client; ours
	// leaves it postponed.
	if r := b.ourCt.Do("CLIENT", "UNBLOCK", ourID); string(r) != ":0\r\n" {
		t.Errorf("CLIENT UNBLOCK of a postponed client: %s, want :0", redistest.Quote(r))
	}
	b.do(2, "GET", "k")
	b.do(2, "INCR") // arity errors answer at once
	// PUBLISH may replicate: it waits too.
	b.send(2, "PUBLISH", "ch", "x")
	b.waitBlocked(2)
	// The postponed client shows as blocked, on its command.
	ref, ours := b.clientField(refID, ourID, "flags")
	if ref != ours {
		t.Errorf("flags of a postponed client: redis %q, ours %q", ref, ours)
	}
	ref, ours = b.clientField(refID, ourID, "cmd")
	if ref != ours {
		t.Errorf("cmd of a postponed client: redis %q, ours %q", ref, ours)
	}
	// A pause WRITE postpones a write queued in MULTI (the pause is
	// checked before queueing), and what follows it.
	b.do(3, "MULTI")
	b.send(3, "SET", "x", "1")
	b.send(3, "GET", "x")
	b.waitBlocked(3)
	b.quiet(3, 50*time.Millisecond, "SET in MULTI during a WRITE pause")
	b.do(0, "CLIENT", "UNPAUSE")
	b.expect(1, "SET after UNPAUSE")
	b.expect(2, "PUBLISH after UNPAUSE")
	b.expect(3, "SET queued after UNPAUSE")
	b.expect(3, "GET queued after UNPAUSE")
	b.do(3, "EXEC")
	b.waitBlocked(0)
	b.do(0, "GET", "k")
	b.checkDirty("after the pause")
	// A postponed command counts once, when it runs.
	for _, cmd := range []string{"set", "publish", "get"} {
		if r, o := cmdstatCounts(t, b.refCtl, cmd), cmdstatCounts(t, b.ourCt, cmd); r != o {
			t.Errorf("cmdstat_%s: redis %q, ours %q", cmd, r, o)
		}
	}
}

// TestPauseRandomkeyAllVolatile checks that RANDOMKEY returns during a
// pause when every key has a TTL and all have expired (Redis 7.0.15 loops
// forever there; Redis 7.2 gives up after 100 tries, as ours).
func TestPauseRandomkeyAllVolatile(t *testing.T) {
	addr, _ := redistest.StartServer(t, nil)
	c := redistest.Dial(t, addr)
	c.Write([]byte(string(redistest.Command("SET", "a", "1", "PX", "50")) +
		string(redistest.Command("SET", "b", "1", "PX", "50")) +
		string(redistest.Command("CLIENT", "PAUSE", "100000", "WRITE"))))
	for range 3 {
		c.ReadReply()
	}
	time.Sleep(150 * time.Millisecond)
	if r := string(c.Do("RANDOMKEY")); r != "$1\r\na\r\n" && r != "$1\r\nb\r\n" {
		t.Errorf("RANDOMKEY: %q, want a or b", r)
	}
	if r := string(c.Do("DBSIZE")); r != ":2\r\n" {
		t.Errorf("DBSIZE during the pause: %q, want :2", r)
	}
	c.Do("CLIENT", "UNPAUSE")
	if r := string(c.Do("RANDOMKEY")); r != "$-1\r\n" {
		t.Errorf("RANDOMKEY after the pause: %q, want nil", r)
	}
}

// TestPauseOrder checks that postponed commands run in the order they were
// postponed, each followed by what its client sent meanwhile.
func TestPauseOrder(t *testing.T) {
	b := newBconns(t, 4)
	b.do(0, "CLIENT", "PAUSE", "100000", "WRITE")
	for _, i := range []int{3, 1, 2} {
		b.send(i, "INCR", "n")
		b.send(i, "GET", "n")
		b.waitBlocked(map[int]int{3: 1, 1: 2, 2: 3}[i])
	}
	b.do(0, "CLIENT", "UNPAUSE")
	for _, i := range []int{3, 1, 2} {
		b.expect(i, "INCR after UNPAUSE")
		b.expect(i, "GET after UNPAUSE")
	}
	b.waitBlocked(0)
}

// TestPauseExec checks EXEC during a WRITE pause: it waits when the
// transaction holds a write, not otherwise.
func TestPauseExec(t *testing.T) {
	b := newBconns(t, 3)
	b.do(1, "MULTI")
	b.do(1, "SET", "x", "1")
	b.do(2, "MULTI")
	b.do(2, "GET", "x")
	b.do(0, "CLIENT", "PAUSE", "100000", "WRITE")
	b.do(2, "EXEC")
	b.send(1, "EXEC")
	b.waitBlocked(1)
	b.quiet(1, 50*time.Millisecond, "EXEC of a write during a WRITE pause")
	b.do(0, "CLIENT", "UNPAUSE")
	b.expect(1, "EXEC after UNPAUSE")
	b.do(2, "GET", "x")
}

// TestPauseAll checks that a pause ALL postpones every command, CLIENT
// UNPAUSE included, until its timeout; that errors of the checks before
// the pause still answer at once; and that a shorter pause does not
// shorten or weaken the one in effect.
func TestPauseAll(t *testing.T) {
	b := newBconns(t, 3)
	b.do(0, "SET", "k", "v")
	b.do(0, "CLIENT", "PAUSE", "600", "ALL")
	start := time.Now()
	b.send(0, "CLIENT", "UNPAUSE")
	b.send(0, "PING")
	b.send(1, "GET", "k")
	// (INFO would wait too: no waitBlocked during a pause ALL.)
	b.do(2, "SET")
	b.do(2, "NOSUCHCOMMAND", "x")
	b.quiet(0, 100*time.Millisecond, "CLIENT UNPAUSE during a pause ALL")
	b.quiet(1, 10*time.Millisecond, "GET during a pause ALL")
	b.expect(0, "CLIENT UNPAUSE after the timeout")
	b.expect(0, "PING after the timeout")
	b.expect(1, "GET after the timeout")
	if d := time.Since(start); d < 500*time.Millisecond {
		t.Errorf("the pause ALL ended after %v, want about 600ms", d)
	}
	b.waitBlocked(0)

	// WRITE for 1000ms, then ALL for 100ms: ALL until 1000ms. (quiet
	// waits its time on one server, then on the other.)
	b.do(0, "CLIENT", "PAUSE", "1000", "WRITE")
	b.do(0, "CLIENT", "PAUSE", "100", "ALL")
	start = time.Now()
	b.send(1, "GET", "k")
	b.quiet(1, 300*time.Millisecond, "GET during a merged pause")
	b.expect(1, "GET after the merged pause")
	if d := time.Since(start); d < 800*time.Millisecond {
		t.Errorf("the merged pause ended after %v, want about 1000ms", d)
	}
}

// TestPauseExpiry checks that keys neither expire actively nor on access
// during a pause, and expire once it is over.
func TestPauseExpiry(t *testing.T) {
	b := newBconns(t, 1)
	b.sendRaw(0, string(redistest.Command("SET", "e1", "v", "PX", "150"))+
		string(redistest.Command("SET", "e2", "v", "PX", "150"))+
		string(redistest.Command("SET", "p", "v"))+
		string(redistest.Command("CLIENT", "PAUSE", "100000", "WRITE")))
	for range 4 {
		b.expect(0, "setup")
	}
	// Not a guess at scheduling: the TTLs are wall-clock, so 400ms on
	// makes both keys logically expired, and leaves the active expire
	// cycle (every 100ms) time to run, and not remove them, meanwhile.
	time.Sleep(400 * time.Millisecond)
	b.do(0, "DBSIZE")
	b.do(0, "GET", "e1")
	b.do(0, "EXISTS", "e2")
	b.do(0, "TTL", "e1")
	b.do(0, "SCAN", "0")
	b.do(0, "RANDOMKEY")
	b.do(0, "DBSIZE")
	b.do(0, "CLIENT", "UNPAUSE")
	b.do(0, "GET", "e1")
	// e1 went on access; e2, never touched, goes by the active expire
	// cycle, which runs again after UNPAUSE at each server's own time.
	// Wait for it on both rather than compare a DBSIZE taken before or
	// after a cron depending on scheduling.
	b.waitReply(":1\r\n", "DBSIZE")
	b.do(0, "DBSIZE")
	b.do(0, "EXISTS", "e2")
}

// TestPauseClientFreed checks that a postponed client that goes away is
// forgotten.
func TestPauseClientFreed(t *testing.T) {
	b := newBconns(t, 3)
	b.do(0, "CLIENT", "PAUSE", "100000", "WRITE")
	b.send(1, "SET", "a", "1")
	b.send(2, "SET", "b", "2")
	b.waitBlocked(2)
	b.ref[1].Close()
	b.ours[1].Close()
	b.waitBlocked(1)
	b.do(0, "CLIENT", "UNPAUSE")
	b.expect(2, "SET after UNPAUSE")
	b.do(0, "EXISTS", "a", "b")
}
