package cmds_test

import (
	"bytes"
	"regexp"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/redisfs/redisfs/core/cmds"
	"github.com/redisfs/redisfs/core/redistest"
)

// Tests of transactions, pub/sub, ACLs, MONITOR and the slow log that need
// several connections: the same commands go to a real redis-server and to
// ours on connections paired by index, and the raw replies are compared
// byte for byte (timestamps, ports and ids masked where noted).

// mconns is n connections to each server, paired by index.
type mconns struct {
	t         *testing.T
	ref, ours []*redistest.Conn
	refAddr   string
	ourAddr   string
	// ctl holds a control connection to each server (redis, ours),
	// dialled by closeConn and kept open so that the client count it
	// reads moves only with the connections the test closes.
	ctl [2]*redistest.Conn
}

func newMConns(t *testing.T, n int, mod func(*cmds.Config), redisArgs ...string) *mconns {
	t.Helper()
	m := &mconns{t: t}
	m.refAddr = redistest.StartRedis(t, redisArgs...)
	m.ourAddr, _ = redistest.StartServer(t, mod)
	for i := 0; i < n; i++ {
		m.ref = append(m.ref, redistest.Dial(t, m.refAddr))
		m.ours = append(m.ours, redistest.Dial(t, m.ourAddr))
	}
	return m
}

// do sends args on connection i of both and compares the replies.
func (m *mconns) do(i int, args ...string) []byte {
	m.t.Helper()
	r, o := m.ref[i].Do(args...), m.ours[i].Do(args...)
	if !bytes.Equal(r, o) {
		m.t.Errorf("conn %d: %s:\n    redis: %s\n    ours:  %s", i, strings.Join(args, " "), redistest.Quote(r), redistest.Quote(o))
	}
	return r
}

// doMasked is do comparing the replies after mask.
func (m *mconns) doMasked(mask func([]byte) []byte, i int, args ...string) []byte {
	m.t.Helper()
	r, o := m.ref[i].Do(args...), m.ours[i].Do(args...)
	if !bytes.Equal(mask(r), mask(o)) {
		m.t.Errorf("conn %d: %s (masked):\n    redis: %s\n    ours:  %s", i, strings.Join(args, " "),
			redistest.Quote(mask(r)), redistest.Quote(mask(o)))
	}
	return r
}

// send writes args on connection i of both without reading.
func (m *mconns) send(i int, args ...string) {
	m.t.Helper()
	req := redistest.Command(args...)
	m.ref[i].Write(req)
	m.ours[i].Write(req)
}

// expect reads one reply on connection i of both and compares them.
func (m *mconns) expect(i int, what string) []byte {
	m.t.Helper()
	r, o := m.ref[i].ReadReply(), m.ours[i].ReadReply()
	if !bytes.Equal(r, o) {
		m.t.Errorf("conn %d: %s:\n    redis: %s\n    ours:  %s", i, what, redistest.Quote(r), redistest.Quote(o))
	}
	return r
}

// expectMasked is expect comparing after mask.
func (m *mconns) expectMasked(mask func([]byte) []byte, i int, what string) {
	m.t.Helper()
	r, o := m.ref[i].ReadReply(), m.ours[i].ReadReply()
	if !bytes.Equal(mask(r), mask(o)) {
		m.t.Errorf("conn %d: %s (masked):\n    redis: %s\n    ours:  %s", i, what,
			redistest.Quote(mask(r)), redistest.Quote(mask(o)))
	}
}

// quiet checks that connection i has nothing to read within d on both.
func (m *mconns) quiet(i int, d time.Duration, what string) {
	m.t.Helper()
	for side, c := range []*redistest.Conn{m.ref[i], m.ours[i]} {
		c.Timeout = d
		if r, err := c.TryReadReply(); err == nil {
			m.t.Errorf("%s: %s conn %d got %s, want nothing", what, [2]string{"redis", "ours"}[side], i, redistest.Quote(r))
		}
		c.Timeout = redistest.DefaultTimeout
	}
}

// closeConn closes connection i to both servers and waits until each has
// freed the client, so that what the test asks next (INFO, PUBSUB
// NUMSUB, a message to the others) does not race the server reading the
// end of the connection.
func (m *mconns) closeConn(i int) {
	m.t.Helper()
	for side, addr := range []string{m.refAddr, m.ourAddr} {
		if m.ctl[side] == nil {
			m.ctl[side] = redistest.Dial(m.t, addr)
		}
		ctl := m.ctl[side]
		n := clientsConnected(m.t, ctl)
		[2][]*redistest.Conn{m.ref, m.ours}[side][i].Close()
		ctl.WaitInfo("clients", "connected_clients:"+strconv.Itoa(n-1))
	}
}

// clientsConnected returns connected_clients of INFO clients.
func clientsConnected(t *testing.T, c *redistest.Conn) int {
	t.Helper()
	info := string(c.Do("INFO", "clients"))
	_, v, ok := strings.Cut(info, "\r\nconnected_clients:")
	if !ok {
		t.Fatalf("no connected_clients in INFO clients: %s", redistest.Quote([]byte(info)))
	}
	v, _, _ = strings.Cut(v, "\r\n")
	n, err := strconv.Atoi(v)
	if err != nil {
		t.Fatalf("connected_clients:%s", v)
	}
	return n
}

// closed checks that connection i was closed by both servers.
func (m *mconns) closed(i int, what string) {
	m.t.Helper()
	for side, c := range []*redistest.Conn{m.ref[i], m.ours[i]} {
		if _, err := c.ReadUntilClose(); err != nil {
			m.t.Errorf("%s: %s conn %d not closed: %v", what, [2]string{"redis", "ours"}[side], i, err)
		}
	}
}

// TestWatchOtherClients checks WATCH against writes by another connection:
// the key itself, another key, a key of another database, FLUSHALL,
// FLUSHDB of another database, SWAPDB, an EXPIRE, a DEL of a missing key,
// a RENAME onto the key, and an EXEC on a client whose watched key was
// touched by a transaction of another.
func TestWatchOtherClients(t *testing.T) {
	m := newMConns(t, 2, nil)
	exec := func(what string) {
		t.Helper()
		m.do(0, "MULTI")
		m.do(0, "PING")
		m.do(0, "EXEC")
	}
	cases := []struct {
		name  string
		setup [][]string // on conn 0, before WATCH
		watch []string
		other [][]string // on conn 1, after WATCH
	}{
		{"same key", [][]string{{"SET", "k", "1"}}, []string{"k"}, [][]string{{"SET", "k", "2"}}},
		{"same value rewritten", [][]string{{"SET", "k", "1"}}, []string{"k"}, [][]string{{"SET", "k", "1"}}},
		{"other key", [][]string{{"SET", "k", "1"}}, []string{"k"}, [][]string{{"SET", "other", "2"}}},
		{"other db", [][]string{{"SET", "k", "1"}}, []string{"k"}, [][]string{{"SELECT", "1"}, {"SET", "k", "2"}, {"SELECT", "0"}}},
		{"missing key created", nil, []string{"nokey"}, [][]string{{"SET", "nokey", "x"}}},
		{"DEL of missing key", nil, []string{"nokey"}, [][]string{{"DEL", "nokey"}}},
		{"EXPIRE", [][]string{{"SET", "k", "1"}}, []string{"k"}, [][]string{{"EXPIRE", "k", "100"}}},
		{"PERSIST of no TTL", [][]string{{"SET", "k", "1"}}, []string{"k"}, [][]string{{"PERSIST", "k"}}},
		{"RENAME onto", [][]string{{"SET", "k", "1"}, {"SET", "src", "2"}}, []string{"k"}, [][]string{{"RENAME", "src", "k"}}},
		{"FLUSHALL with key", [][]string{{"SET", "k", "1"}}, []string{"k"}, [][]string{{"FLUSHALL"}}},
		{"FLUSHALL without key", nil, []string{"nokey"}, [][]string{{"FLUSHALL"}}},
		{"FLUSHDB other db", [][]string{{"SET", "k", "1"}}, []string{"k"}, [][]string{{"SELECT", "1"}, {"FLUSHDB"}, {"SELECT", "0"}}},
		{"SWAPDB key in other", [][]string{{"SELECT", "1"}, {"SET", "k", "1"}, {"SELECT", "0"}}, []string{"k"}, [][]string{{"SWAPDB", "0", "1"}}},
		{"SWAPDB key nowhere", nil, []string{"nokey"}, [][]string{{"SWAPDB", "0", "1"}}},
		{"transaction of another", [][]string{{"SET", "k", "1"}}, []string{"k"}, [][]string{{"MULTI"}, {"INCR", "k"}, {"EXEC"}}},
		{"several keys, one touched", [][]string{{"SET", "a", "1"}}, []string{"a", "b", "c"}, [][]string{{"SET", "c", "3"}}},
	}
	for _, tc := range cases {
		m.do(0, "FLUSHALL")
		for _, s := range tc.setup {
			m.do(0, s...)
		}
		m.do(0, append([]string{"WATCH"}, tc.watch...)...)
		for _, s := range tc.other {
			m.do(1, s...)
		}
		exec(tc.name)
	}
	// UNWATCH forgets, DISCARD unwatches, EXEC unwatches.
	m.do(0, "SET", "k", "1")
	m.do(0, "WATCH", "k")
	m.do(0, "UNWATCH")
	m.do(1, "SET", "k", "2")
	exec("after UNWATCH")
	m.do(0, "WATCH", "k")
	m.do(0, "MULTI")
	m.do(0, "DISCARD")
	m.do(1, "SET", "k", "3")
	exec("after DISCARD")
	// A watching client that disconnects leaves nothing behind.
	m.do(1, "WATCH", "k")
	m.closeConn(1)
	m.do(0, "SET", "k", "4")
	m.do(0, "PING")
}

// TestWatchExpiry checks WATCH against expiry: a watched key that expires
// before EXEC fails the transaction (whether or not it was deleted yet), a
// key already expired when watched does not.
func TestWatchExpiry(t *testing.T) {
	m := newMConns(t, 2, nil)
	exec := func() {
		t.Helper()
		m.do(0, "MULTI")
		m.do(0, "PING")
		m.do(0, "EXEC")
	}
	// Expires while watched, deleted by the active cycle.
	// The TTLs leave room for a loaded machine: WATCH must come before
	// the key expires on both servers, or the cases mean something else.
	m.do(0, "SET", "k", "v", "PX", "400")
	m.do(0, "WATCH", "k")
	time.Sleep(1000 * time.Millisecond)
	exec()
	// Expires while watched, not deleted yet (active expire off).
	m.do(0, "DEBUG", "SET-ACTIVE-EXPIRE", "0")
	m.do(0, "SET", "k", "v", "PX", "400")
	m.do(0, "WATCH", "k")
	time.Sleep(600 * time.Millisecond)
	exec()
	// Already expired when watched, deleted by another client's lookup.
	m.do(0, "SET", "k", "v", "PX", "10")
	time.Sleep(50 * time.Millisecond)
	m.do(0, "WATCH", "k")
	m.do(1, "GET", "k")
	exec()
	// Already expired when watched, then set again by another client.
	m.do(0, "SET", "k", "v", "PX", "10")
	time.Sleep(50 * time.Millisecond)
	m.do(0, "WATCH", "k")
	m.do(1, "SET", "k", "new")
	exec()
	// Already expired when watched, FLUSHALL by another client.
	m.do(0, "SET", "k", "v", "PX", "10")
	time.Sleep(50 * time.Millisecond)
	m.do(0, "WATCH", "k")
	m.do(1, "FLUSHALL")
	exec()
	m.do(0, "DEBUG", "SET-ACTIVE-EXPIRE", "1")
}

// TestExecAbortReasons checks rejected EXECs of a client in MULTI whose
// EXEC is refused by processCommand, and the queued replies of a
// transaction with errors at run time.
func TestExecAbortReasons(t *testing.T) {
	m := newMConns(t, 2, nil)
	m.do(0, "MULTI")
	m.do(0, "SET", "a", "1")
	m.do(0, "EXEC", "x")
	m.do(0, "EXEC")
	// A RESP2 client in subscribed state may not EXEC.
	m.do(1, "MULTI")
	m.send(1, "SUBSCRIBE", "ch")
	m.expect(1, "SUBSCRIBE in MULTI")
	m.do(1, "EXEC")
	m.do(1, "EXEC")
	m.do(1, "UNSUBSCRIBE")
	m.do(1, "PING")
}

// maskHelloID blanks the client id of a HELLO reply.
var helloIDRe = regexp.MustCompile(`\$2\r\nid\r\n:\d+\r\n`)

func maskHelloID(b []byte) []byte { return helloIDRe.ReplaceAll(b, []byte("$2\r\nid\r\n:ID\r\n")) }
