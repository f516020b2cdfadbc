package cmds_test

import (
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/redisfs/redisfs/core/cmds"
	"github.com/redisfs/redisfs/core/proto"
	"github.com/redisfs/redisfs/core/redistest"
)

// Tests of the blocking list commands (blocking.go, list.go): several raw
// connections to a real redis-server and to ours, the same commands sent on
// both, the raw replies compared byte for byte.

// bconns holds n connections to each server, paired by index, plus a
// control connection to each used to wait until clients are blocked.
type bconns struct {
	t             *testing.T
	ref, ours     []*redistest.Conn
	refCtl, ourCt *redistest.Conn
	dirty         [2]int64 // rdb_changes_since_last_save at the last checkDirty
}

func newBconns(t *testing.T, n int) *bconns {
	t.Helper()
	refAddr := redistest.StartRedis(t)
	ourAddr, _ := redistest.StartServer(t, nil)
	b := &bconns{t: t, refCtl: redistest.Dial(t, refAddr), ourCt: redistest.Dial(t, ourAddr)}
	for i := 0; i < n; i++ {
		b.ref = append(b.ref, redistest.Dial(t, refAddr))
		b.ours = append(b.ours, redistest.Dial(t, ourAddr))
	}
	b.checkDirty("start")
	return b
}

// send writes a command on connection i of both servers without waiting.
func (b *bconns) send(i int, args ...string) {
	b.t.Helper()
	req := redistest.Command(args...)
	b.ref[i].Write(req)
	b.ours[i].Write(req)
}

// sendRaw writes raw bytes on connection i of both servers.
func (b *bconns) sendRaw(i int, raw string) {
	b.t.Helper()
	b.ref[i].Write([]byte(raw))
	b.ours[i].Write([]byte(raw))
}

// expect reads the next reply on connection i of both and compares them.
func (b *bconns) expect(i int, what string) []byte {
	b.t.Helper()
	r, o := b.ref[i].ReadReply(), b.ours[i].ReadReply()
	if string(r) != string(o) {
		b.t.Errorf("%s (conn %d):\n    redis: %s\n    ours:  %s", what, i, redistest.Quote(r), redistest.Quote(o))
	}
	return r
}

// do sends a command on connection i and compares the replies.
func (b *bconns) do(i int, args ...string) []byte {
	b.t.Helper()
	b.send(i, args...)
	return b.expect(i, strings.Join(args, " "))
}

// quiet checks that connection i has no reply within d on either server.
func (b *bconns) quiet(i int, d time.Duration, what string) {
	b.t.Helper()
	for _, c := range []*redistest.Conn{b.ref[i], b.ours[i]} {
		c.Timeout = d
		if r, err := c.TryReadReply(); err == nil {
			b.t.Errorf("%s: conn %d got %s, want nothing yet", what, i, redistest.Quote(r))
		}
		c.Timeout = redistest.DefaultTimeout
	}
}

// waitBlocked waits until both servers report n blocked clients.
func (b *bconns) waitBlocked(n int) {
	b.t.Helper()
	want := "blocked_clients:" + strconv.Itoa(n) + "\r\n"
	for _, c := range []*redistest.Conn{b.refCtl, b.ourCt} {
		deadline := time.Now().Add(30 * time.Second)
		for {
			info := string(c.Do("INFO", "clients"))
			if strings.Contains(info, want) {
				break
			}
			if time.Now().After(deadline) {
				b.t.Fatalf("never reached %q: %s", want, info)
			}
			time.Sleep(2 * time.Millisecond)
		}
	}
}

// waitReply waits until both servers answer args with want on their
// control connections: for a change each server makes on its own time
// (an expiry by the active cycle), which a test must not race.
func (b *bconns) waitReply(want string, args ...string) {
	b.t.Helper()
	for _, c := range []*redistest.Conn{b.refCtl, b.ourCt} {
		deadline := time.Now().Add(30 * time.Second)
		for {
			r := string(c.Do(args...))
			if r == want {
				break
			}
			if time.Now().After(deadline) {
				b.t.Fatalf("%v never answered %q: %q", args, want, r)
			}
			time.Sleep(2 * time.Millisecond)
		}
	}
}

// checkDirty compares how much the dirty counter of each server moved
// since the last call.
func (b *bconns) checkDirty(what string) {
	b.t.Helper()
	d := [2]int64{lhDirty(b.t, b.refCtl), lhDirty(b.t, b.ourCt)}
	if d[0]-b.dirty[0] != d[1]-b.dirty[1] {
		b.t.Errorf("%s: dirty += %d, Redis += %d", what, d[1]-b.dirty[1], d[0]-b.dirty[0])
	}
	b.dirty = d
}

// hello3 switches connection i to RESP3 (HELLO's reply holds the client
// id, which differs).
func (b *bconns) hello3(i int) {
	b.t.Helper()
	b.ref[i].Do("HELLO", "3")
	b.ours[i].Do("HELLO", "3")
}

// drain reads the replies connection i gets until none comes for d, on
// each server, and compares the two sequences.
func (b *bconns) drain(i int, d time.Duration, what string) {
	b.t.Helper()
	var got [2][]string
	for k, c := range []*redistest.Conn{b.ref[i], b.ours[i]} {
		c.Timeout = d
		for {
			r, err := c.TryReadReply()
			if err != nil {
				break
			}
			got[k] = append(got[k], string(r))
		}
		c.Timeout = redistest.DefaultTimeout
	}
	if strings.Join(got[0], "") != strings.Join(got[1], "") {
		b.t.Errorf("%s (conn %d):\n    redis: %q\n    ours:  %q", what, i, got[0], got[1])
	}
	if len(got[0]) == 0 {
		b.t.Errorf("%s: no replies at all", what)
	}
}

// clientIDs returns the CLIENT ID of connection i on each server.
func (b *bconns) clientIDs(i int) (ref, ours string) {
	b.t.Helper()
	r, o := b.ref[i].Do("CLIENT", "ID"), b.ours[i].Do("CLIENT", "ID")
	return strings.TrimSpace(string(r[1:])), strings.TrimSpace(string(o[1:]))
}

func TestBlockThenPush(t *testing.T) {
	b := newBconns(t, 3)
	b.send(0, "BLPOP", "k", "0")
	b.waitBlocked(1)
	b.quiet(0, 50*time.Millisecond, "BLPOP on a missing key")
	b.do(1, "RPUSH", "k", "a", "b")
	b.expect(0, "BLPOP woken by RPUSH")
	b.waitBlocked(0)
	b.checkDirty("RPUSH serving BLPOP")
	b.do(1, "LRANGE", "k", "0", "-1")

	// The second of several keys; BRPOP takes the tail.
	b.do(1, "DEL", "k")
	b.send(0, "BRPOP", "k1", "k2", "k3", "0")
	b.waitBlocked(1)
	b.do(1, "RPUSH", "k2", "x", "y", "z")
	b.expect(0, "BRPOP woken on its second key")
	b.do(1, "LRANGE", "k2", "0", "-1")

	// Two keys made ready by one command (MULTI): the client is served
	// from the first key signaled.
	b.send(0, "BLPOP", "m1", "m2", "0")
	b.waitBlocked(1)
	b.do(1, "MULTI")
	b.do(1, "RPUSH", "m2", "two")
	b.do(1, "RPUSH", "m1", "one")
	b.do(1, "EXEC")
	b.expect(0, "BLPOP after EXEC")
	b.do(1, "LLEN", "m1")
	b.do(1, "LLEN", "m2")

	// A push the pusher's own transaction consumes wakes nobody.
	b.send(0, "BLPOP", "t", "0")
	b.waitBlocked(1)
	b.do(1, "MULTI")
	b.do(1, "RPUSH", "t", "a")
	b.do(1, "LPOP", "t")
	b.do(1, "EXEC")
	b.quiet(0, 50*time.Millisecond, "BLPOP after a consumed push")
	b.do(1, "LPUSH", "t", "b")
	b.expect(0, "BLPOP woken at last")

	// The blocked client is served right after the command that made
	// the key ready, before the pusher's next command.
	b.send(0, "BLPOP", "p", "0")
	b.waitBlocked(1)
	b.sendRaw(1, "RPUSH p a\r\nLLEN p\r\nEXISTS p\r\n")
	b.expect(1, "RPUSH in a pipeline")
	b.expect(1, "LLEN right after")
	b.expect(1, "EXISTS right after")
	b.expect(0, "BLPOP served")

	// Commands a client sends while it is blocked run once it is served.
	b.sendRaw(0, "BLPOP q 0\r\nPING\r\nLLEN q\r\nECHO hi\r\n")
	b.waitBlocked(1)
	b.quiet(0, 50*time.Millisecond, "pipeline behind a blocked BLPOP")
	b.do(1, "RPUSH", "q", "1", "2")
	b.expect(0, "BLPOP")
	b.expect(0, "PING after unblock")
	b.expect(0, "LLEN after unblock")
	b.expect(0, "ECHO after unblock")

	// A key of another type does not wake a list pop; the list does.
	b.send(0, "BLPOP", "w", "0")
	b.waitBlocked(1)
	b.do(1, "SET", "w", "str")
	b.do(1, "SADD", "w2", "m")
	b.quiet(0, 50*time.Millisecond, "BLPOP on a string")
	b.do(1, "DEL", "w")
	b.do(1, "RPUSH", "w", "v")
	b.expect(0, "BLPOP woken after DEL")

	// Keys of another database do not wake it; SWAPDB does.
	b.send(0, "BLPOP", "s", "0")
	b.waitBlocked(1)
	b.do(1, "SELECT", "1")
	b.do(1, "RPUSH", "s", "from1")
	b.quiet(0, 50*time.Millisecond, "BLPOP with the key in db 1")
	b.do(1, "SWAPDB", "0", "1")
	b.expect(0, "BLPOP woken by SWAPDB")
	b.do(1, "SELECT", "0")

	// RPOPLPUSH and LMOVE creating the destination wake it.
	b.send(0, "BLPOP", "dst", "0")
	b.waitBlocked(1)
	b.do(1, "RPUSH", "src", "a", "b")
	b.do(1, "RPOPLPUSH", "src", "dst")
	b.expect(0, "BLPOP woken by RPOPLPUSH")
	b.send(0, "BRPOP", "dst", "0")
	b.waitBlocked(1)
	b.do(1, "LMOVE", "src", "dst", "LEFT", "RIGHT")
	b.expect(0, "BRPOP woken by LMOVE")
	b.do(1, "EXISTS", "src", "dst")

	// Keys created by other commands wake it too: RENAME, COPY, MOVE,
	// SORT … STORE, RESTORE.
	b.do(1, "RPUSH", "tmp", "3", "1", "2", "5", "4")
	b.send(0, "BLPOP", "ren", "0")
	b.waitBlocked(1)
	b.do(1, "RENAME", "tmp", "ren")
	b.expect(0, "BLPOP woken by RENAME")
	b.send(0, "BLPOP", "cp", "0")
	b.waitBlocked(1)
	b.do(1, "COPY", "ren", "cp")
	b.expect(0, "BLPOP woken by COPY")
	b.send(0, "BRPOP", "srt", "0")
	b.waitBlocked(1)
	b.do(1, "SORT", "cp", "STORE", "srt")
	b.expect(0, "BRPOP woken by SORT STORE")
	dump := b.ref[1].Do("DUMP", "ren")
	b.send(0, "BLPOP", "rst", "0")
	b.waitBlocked(1)
	if r, _, err := proto.ReadReply(dump); err == nil && r.Type == '$' {
		b.do(1, "RESTORE", "rst", "0", string(r.Str))
		b.expect(0, "BLPOP woken by RESTORE")
	}
	b.send(0, "BLPOP", "mv", "0")
	b.waitBlocked(1)
	b.do(1, "SELECT", "2")
	b.do(1, "RPUSH", "mv", "m")
	b.do(1, "MOVE", "mv", "0")
	b.do(1, "SELECT", "0")
	b.expect(0, "BLPOP woken by MOVE")

	// BLMPOP with a count takes what there is.
	b.send(0, "BLMPOP", "0", "2", "b1", "b2", "RIGHT", "COUNT", "2")
	b.waitBlocked(1)
	b.do(1, "RPUSH", "b2", "x", "y", "z")
	b.expect(0, "BLMPOP woken")
	b.checkDirty("RPUSH serving BLMPOP")
	b.send(0, "BLMPOP", "0", "1", "b3", "LEFT", "COUNT", "10")
	b.waitBlocked(1)
	b.do(1, "RPUSH", "b3", "x", "y")
	b.expect(0, "BLMPOP takes all")
	b.do(1, "EXISTS", "b3")
	b.do(2, "PING")
}

func TestBlockedClientsServedInOrder(t *testing.T) {
	b := newBconns(t, 5)
	for i := 0; i < 3; i++ {
		b.send(i, "BLPOP", "k", "0")
		b.waitBlocked(i + 1)
	}
	// One element: only the first blocked client gets it.
	b.do(4, "RPUSH", "k", "a")
	b.expect(0, "first blocked client")
	b.waitBlocked(2)
	b.quiet(1, 50*time.Millisecond, "second blocked client")
	// Three elements for two clients: one stays in the list.
	b.do(4, "RPUSH", "k", "b", "c", "d")
	b.expect(1, "second blocked client")
	b.expect(2, "third blocked client")
	b.do(4, "LRANGE", "k", "0", "-1")
	b.do(4, "DEL", "k")

	// Mixed commands on one key, FIFO whatever the command; a client
	// that blocked on several keys is served once.
	b.send(0, "BRPOP", "x", "k", "0")
	b.waitBlocked(1)
	b.send(1, "BLMOVE", "k", "dst", "LEFT", "LEFT", "0")
	b.waitBlocked(2)
	b.send(2, "BLMPOP", "0", "1", "k", "LEFT", "COUNT", "2")
	b.waitBlocked(3)
	b.send(3, "BLPOP", "k", "x", "0")
	b.waitBlocked(4)
	b.do(4, "RPUSH", "k", "1", "2", "3", "4", "5", "6")
	b.expect(0, "BRPOP first")
	b.expect(1, "BLMOVE second")
	b.expect(2, "BLMPOP third")
	b.expect(3, "BLPOP fourth")
	b.checkDirty("four blocked clients served")
	b.do(4, "LRANGE", "k", "0", "-1")
	b.do(4, "LRANGE", "dst", "0", "-1")
	b.do(4, "RPUSH", "x", "late")
	b.do(4, "LLEN", "x")
}

func TestBlockingTimeouts(t *testing.T) {
	b := newBconns(t, 2)
	start := time.Now()
	b.do(0, "BLPOP", "k", "0.1")
	b.do(0, "BRPOP", "k1", "k2", "0.05")
	b.do(0, "BLMOVE", "k", "dst", "LEFT", "RIGHT", "0.05")
	b.do(0, "BRPOPLPUSH", "k", "dst", "0.05")
	b.do(0, "BLMPOP", "0.05", "2", "k1", "k2", "LEFT", "COUNT", "3")
	if d := time.Since(start); d < 300*time.Millisecond {
		t.Errorf("timeouts took %v, want at least 300ms on both servers", d)
	}
	b.do(1, "EXISTS", "dst")
	b.waitBlocked(0)

	// Clients with different timeouts time out in their order, and a
	// served client no longer times out.
	b.send(0, "BLPOP", "k", "0.3")
	b.waitBlocked(1)
	b.send(1, "BLPOP", "k", "0.1")
	b.waitBlocked(2)
	b.expect(1, "shorter timeout first")
	b.waitBlocked(1)
	b.do(1, "RPUSH", "k", "v")
	b.expect(0, "served before its timeout")
	b.quiet(0, 400*time.Millisecond, "no late timeout reply")

	// RESP3: the null of a timeout is _.
	b.hello3(0)
	b.do(0, "BLPOP", "k", "0.05")
	b.do(0, "BLMOVE", "k", "dst", "LEFT", "RIGHT", "0.05")
	b.do(0, "BLMPOP", "0.05", "1", "k", "LEFT")
	b.do(0, "RPUSH", "k", "v")
	b.do(0, "BLPOP", "k", "0.05")
	b.send(0, "BLMPOP", "0", "1", "k", "LEFT")
	b.waitBlocked(1)
	b.do(1, "RPUSH", "k", "a", "b")
	b.expect(0, "RESP3 BLMPOP woken")
}

func TestBLMOVE(t *testing.T) {
	b := newBconns(t, 4)
	b.send(0, "BLMOVE", "src", "dst", "RIGHT", "LEFT", "0")
	b.waitBlocked(1)
	b.do(1, "RPUSH", "src", "a", "b", "c")
	b.expect(0, "BLMOVE woken")
	b.checkDirty("RPUSH serving BLMOVE")
	b.do(1, "LRANGE", "src", "0", "-1")
	b.do(1, "LRANGE", "dst", "0", "-1")
	b.do(1, "DEL", "src", "dst")

	// A chain: the destination of one blocked BLMOVE is the source of
	// another, which is served in the same round.
	b.send(0, "BLMOVE", "a", "b", "LEFT", "RIGHT", "0")
	b.waitBlocked(1)
	b.send(1, "BRPOPLPUSH", "b", "c", "0")
	b.waitBlocked(2)
	b.send(2, "BLPOP", "c", "0")
	b.waitBlocked(3)
	b.do(3, "RPUSH", "a", "x")
	b.expect(0, "BLMOVE a -> b")
	b.expect(1, "BRPOPLPUSH b -> c")
	b.expect(2, "BLPOP c")
	b.checkDirty("a chain of BLMOVEs")
	b.do(3, "EXISTS", "a", "b", "c")

	// Source and destination the same key.
	b.send(0, "BLMOVE", "same", "same", "LEFT", "RIGHT", "0")
	b.waitBlocked(1)
	b.do(1, "RPUSH", "same", "1", "2")
	b.expect(0, "BLMOVE onto itself")
	b.do(1, "LRANGE", "same", "0", "-1")

	// A destination of the wrong type: the blocked client gets
	// WRONGTYPE and the element stays where it was.
	b.do(1, "SET", "str", "v")
	b.send(0, "BLMOVE", "w", "str", "LEFT", "LEFT", "0")
	b.waitBlocked(1)
	b.send(1, "BRPOPLPUSH", "w", "ok", "0")
	b.waitBlocked(2)
	b.do(3, "RPUSH", "w", "e1")
	b.expect(0, "BLMOVE to a string")
	b.expect(1, "BRPOPLPUSH served next")
	b.waitBlocked(0)
	b.checkDirty("BLMOVE to a string")
	b.do(3, "EXISTS", "w")
	b.do(3, "LRANGE", "ok", "0", "-1")
}

func TestBlockingInsideMulti(t *testing.T) {
	b := newBconns(t, 2)
	b.do(0, "MULTI")
	b.do(0, "BLPOP", "k", "0")
	b.do(0, "BRPOP", "k", "0")
	b.do(0, "BLMOVE", "k", "d", "LEFT", "LEFT", "0")
	b.do(0, "BRPOPLPUSH", "k", "d", "0")
	b.do(0, "BLMPOP", "0", "1", "k", "LEFT")
	b.do(0, "RPUSH", "k", "a")
	b.do(0, "BLPOP", "k", "0")
	b.do(0, "EXEC")
	b.waitBlocked(0)
	// In RESP3 too.
	b.hello3(0)
	b.do(0, "MULTI")
	b.do(0, "BLPOP", "k", "0")
	b.do(0, "BLMOVE", "k", "d", "LEFT", "LEFT", "0")
	b.do(0, "EXEC")
}

func TestBlockedClientDisconnects(t *testing.T) {
	b := newBconns(t, 3)
	b.send(0, "BLPOP", "k", "0")
	b.waitBlocked(1)
	b.send(1, "BLPOP", "k", "0")
	b.waitBlocked(2)
	b.ref[0].Close()
	b.ours[0].Close()
	b.waitBlocked(1)
	b.do(2, "RPUSH", "k", "a", "b")
	b.expect(1, "the remaining blocked client")
	b.do(2, "LRANGE", "k", "0", "-1")
	b.waitBlocked(0)
	// A lone blocked client leaving: the push stays in the list.
	b.send(1, "BLMOVE", "k2", "d", "LEFT", "LEFT", "0")
	b.waitBlocked(1)
	b.ref[1].Close()
	b.ours[1].Close()
	b.waitBlocked(0)
	b.do(2, "RPUSH", "k2", "x")
	b.do(2, "LLEN", "k2")
	b.do(2, "EXISTS", "d")
}

func TestClientUnblock(t *testing.T) {
	b := newBconns(t, 2)
	refID, ourID := b.clientIDs(0)
	unblock := func(mode ...string) {
		t.Helper()
		r := b.ref[1].Do(append([]string{"CLIENT", "UNBLOCK", refID}, mode...)...)
		o := b.ours[1].Do(append([]string{"CLIENT", "UNBLOCK", ourID}, mode...)...)
		if string(r) != string(o) {
			t.Errorf("CLIENT UNBLOCK %v:\n    redis: %s\n    ours:  %s", mode, redistest.Quote(r), redistest.Quote(o))
		}
	}
	unblock() // not blocked: 0
	b.send(0, "BLPOP", "k", "0")
	b.waitBlocked(1)
	unblock()
	b.expect(0, "BLPOP unblocked (timeout)")
	b.send(0, "BLMOVE", "k", "d", "LEFT", "LEFT", "0")
	b.waitBlocked(1)
	unblock("TIMEOUT")
	b.expect(0, "BLMOVE unblocked (timeout)")
	b.sendRaw(0, "BLMPOP 0 1 k LEFT\r\nPING\r\n")
	b.waitBlocked(1)
	unblock("ERROR")
	b.expect(0, "BLMPOP unblocked (error)")
	b.expect(0, "PING after CLIENT UNBLOCK")
	b.waitBlocked(0)
	b.do(1, "RPUSH", "k", "a")
	b.do(1, "LLEN", "k")
}

// TestBlockingKeyspaceEvents compares the events a subscriber sees when a
// blocked client is served (the pop and the "del" of the emptied key).
func TestBlockingKeyspaceEvents(t *testing.T) {
	b := newBconns(t, 3)
	b.do(2, "CONFIG", "SET", "notify-keyspace-events", "KEA")
	b.do(2, "PSUBSCRIBE", "__key*@0__:*")
	b.send(0, "BLPOP", "k", "0")
	b.waitBlocked(1)
	b.do(1, "RPUSH", "k", "a")
	b.expect(0, "BLPOP")
	b.send(0, "BLMOVE", "s", "d", "LEFT", "RIGHT", "0")
	b.waitBlocked(1)
	b.do(1, "LPUSH", "s", "x", "y")
	b.expect(0, "BLMOVE")
	b.send(0, "BLMPOP", "0", "1", "m", "RIGHT", "COUNT", "3")
	b.waitBlocked(1)
	b.do(1, "RPUSH", "m", "1", "2")
	b.expect(0, "BLMPOP")
	b.do(1, "PING")
	b.drain(2, 200*time.Millisecond, "keyspace events")
}

// TestBlockingInProcess checks the Go API of blocking.go on a server used
// in process: BlockedClients and ClientBlocked.
func TestBlockingInProcess(t *testing.T) {
	addr, s := redistest.StartServer(t, nil)
	c := redistest.Dial(t, addr)
	c.Write(redistest.Command("BLPOP", "k", "0"))
	deadline := time.Now().Add(5 * time.Second)
	for {
		n := make(chan int, 1)
		s.Post(func() { n <- s.Srv.BlockedClients() })
		if <-n == 1 {
			break
		}
		if time.Now().After(deadline) {
			t.Fatal("client never blocked")
		}
		time.Sleep(2 * time.Millisecond)
	}
	blocked := make(chan bool, 1)
	s.Post(func() {
		for _, cl := range s.Srv.Clients() {
			if cl.Flags&cmds.ClientBlocked != 0 {
				blocked <- true
				return
			}
		}
		blocked <- false
	})
	if !<-blocked {
		t.Fatal("no client has ClientBlocked set")
	}
	d := redistest.Dial(t, addr)
	d.Do("RPUSH", "k", "v")
	if r := c.ReadReply(); string(r) != "*2\r\n$1\r\nk\r\n$1\r\nv\r\n" {
		t.Fatalf("BLPOP replied %q", r)
	}
}
