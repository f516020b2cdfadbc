package cmds_test

import (
	"bytes"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/redisfs/redisfs/core/redistest"
)

// Client-side caching (CLIENT TRACKING) between connections, compared byte
// for byte with a real redis-server: invalidations caused by other
// clients, expiry and flushes; REDIRECT to RESP2 subscribers and RESP3
// clients, and to a client that went away; BCAST prefixes with NOLOOP;
// the table limit; and the INFO and CLIENT LIST fields. What a client sees
// of its own changes on one connection is testdata/tracking.txt.

// clientIDs returns the id of connection i on each server.
func (m *mconns) clientIDs(i int) (ref, ours string) {
	m.t.Helper()
	id := func(c *redistest.Conn) string {
		r := c.Do("CLIENT", "ID")
		if len(r) < 4 || r[0] != ':' {
			m.t.Fatalf("CLIENT ID replied %q", r)
		}
		return string(r[1 : len(r)-2])
	}
	return id(m.ref[i]), id(m.ours[i])
}

// doEach sends each server the command args builds for it (its client ids
// differ) on connection i and compares the replies after mask (nil for
// none).
func (m *mconns) doEach(i int, mask func([]byte) []byte, args func(ref bool) []string) []byte {
	m.t.Helper()
	ra, oa := args(true), args(false)
	r, o := m.ref[i].Do(ra...), m.ours[i].Do(oa...)
	if mask == nil {
		mask = func(b []byte) []byte { return b }
	}
	if !bytes.Equal(mask(r), mask(o)) {
		m.t.Errorf("conn %d: %s:\n    redis: %s\n    ours:  %s", i, strings.Join(oa, " "),
			redistest.Quote(mask(r)), redistest.Quote(mask(o)))
	}
	return r
}

// compareInfoTracking compares the tracking_* lines of INFO on connection i.
func (m *mconns) compareInfoTracking(i int, what string) {
	m.t.Helper()
	lines := func(c *redistest.Conn) string {
		var out []string
		for _, l := range strings.Split(string(c.Do("INFO", "everything")), "\r\n") {
			if strings.HasPrefix(l, "tracking_") {
				out = append(out, l)
			}
		}
		return strings.Join(out, " ")
	}
	if r, o := lines(m.ref[i]), lines(m.ours[i]); r != o {
		m.t.Errorf("%s: INFO tracking fields:\n    redis: %s\n    ours:  %s", what, r, o)
	}
}

// expectSet reads n replies on connection i of both and compares them in
// any order.
func (m *mconns) expectSet(i, n int, what string) {
	m.t.Helper()
	read := func(c *redistest.Conn) []string {
		out := make([]string, n)
		for j := range out {
			out[j] = string(c.ReadReply())
		}
		slices.Sort(out)
		return out
	}
	if r, o := read(m.ref[i]), read(m.ours[i]); !slices.Equal(r, o) {
		m.t.Errorf("conn %d: %s:\n    redis: %q\n    ours:  %q", i, what, r, o)
	}
}

// maskIntegers blanks every integer reply (client ids).
var intReplyRe = regexp.MustCompile(`(?m)^:\d+\r$`)

func maskIntegers(b []byte) []byte { return intReplyRe.ReplaceAll(b, []byte(":ID\r")) }

// clientFlagsRe picks the flags and redir fields of a CLIENT INFO line.
var clientFlagsRe = regexp.MustCompile(`flags=\S+|redir=-?\d+`)

// clientFlags returns the flags and redir fields of CLIENT INFO on c, the
// redirect id replaced by its connection's index in ids.
func clientFlags(c *redistest.Conn, ids map[string]string) string {
	f := clientFlagsRe.FindAllString(string(c.Do("CLIENT", "INFO")), -1)
	for i, s := range f {
		if v, ok := strings.CutPrefix(s, "redir="); ok && ids[v] != "" {
			f[i] = "redir=conn" + ids[v]
		}
	}
	return strings.Join(f, " ")
}

// TestTrackingOtherClients checks the default mode between connections: a
// RESP3 tracking client is told about the keys it read once another client
// changes them (once per read), also when they expire; a RESP2 client
// without redirect is told nothing; a client that changes a key it tracks
// gets its message after the reply, the others at once.
func TestTrackingOtherClients(t *testing.T) {
	m := newMConns(t, 4, nil)
	m.doMasked(maskHelloID, 0, "HELLO", "3")
	m.do(0, "CLIENT", "TRACKING", "ON")
	m.do(1, "CLIENT", "TRACKING", "ON")
	m.compareInfoTracking(2, "two tracking clients, nothing read")

	m.do(0, "GET", "a")
	m.do(0, "MGET", "b", "c", "a")
	m.do(1, "GET", "a")
	m.do(0, "HGET", "h", "f")
	m.do(0, "ZSCORE", "z", "m")
	m.do(0, "LRANGE", "l", "0", "-1")
	m.compareInfoTracking(2, "keys read")

	m.do(2, "SET", "a", "1")
	m.expect(0, "invalidation of a")
	m.quiet(1, 50*time.Millisecond, "RESP2 client without redirect")
	m.do(2, "MSET", "b", "1", "c", "1")
	m.expect(0, "invalidation of b")
	m.expect(0, "invalidation of c")
	m.do(2, "SET", "a", "2")
	m.do(2, "HSET", "h", "f", "v")
	m.expect(0, "invalidation of h")
	m.do(2, "ZADD", "z", "1", "m")
	m.expect(0, "invalidation of z")
	m.do(2, "RPUSH", "l", "x")
	m.expect(0, "invalidation of l")
	m.quiet(0, 50*time.Millisecond, "keys invalidated once")
	m.compareInfoTracking(2, "after the invalidations")

	// Pushes arrive with CLIENT REPLY OFF too.
	m.do(0, "GET", "a")
	m.send(0, "CLIENT", "REPLY", "OFF")
	m.do(2, "DEL", "a")
	m.expect(0, "invalidation with replies off")
	m.send(0, "CLIENT", "REPLY", "ON")
	m.expect(0, "CLIENT REPLY ON")

	// A key of another database is the same key.
	m.do(0, "GET", "k")
	m.do(2, "SELECT", "3")
	m.do(2, "SET", "k", "db3")
	m.expect(0, "invalidation from another database")
	m.do(2, "SELECT", "0")

	// Expiry (active: the key is not read again).
	m.do(2, "SET", "e", "1", "PX", "100")
	m.do(0, "GET", "e")
	m.expect(0, "invalidation of the expired key")

	// Two RESP3 clients track k; the one that changes it gets its
	// message after its reply.
	m.doMasked(maskHelloID, 3, "HELLO", "3")
	m.do(3, "CLIENT", "TRACKING", "ON")
	m.do(0, "GET", "k")
	m.do(3, "GET", "k")
	m.send(3, "SET", "k", "x")
	m.expect(3, "SET reply")
	m.expect(3, "own invalidation")
	m.expect(0, "invalidation by conn 3")

	// A client that goes away stops counting; its entries go lazily.
	m.do(1, "GET", "x")
	m.do(0, "GET", "x")
	m.compareInfoTracking(2, "before a disconnection")
	m.closeConn(1)
	m.compareInfoTracking(2, "after a disconnection")
	m.do(2, "SET", "x", "1")
	m.expect(0, "invalidation of x")
	m.compareInfoTracking(2, "after x changed")

	// FLUSHDB of any database: the null invalidation, once per client.
	m.do(2, "FLUSHDB")
	m.expect(0, "flush invalidation (conn 0)")
	m.expect(3, "flush invalidation (conn 3)")
	m.do(2, "SELECT", "5")
	m.do(2, "FLUSHDB")
	m.expect(0, "flush of another database")
	m.expect(3, "flush of another database (conn 3)")
	m.do(2, "SWAPDB", "0", "5")
	m.quiet(0, 50*time.Millisecond, "SWAPDB")
	m.do(2, "FLUSHALL")
	m.expect(0, "FLUSHALL invalidation")
	m.expect(3, "FLUSHALL invalidation (conn 3)")
	m.compareInfoTracking(2, "after the flushes")

	// RESET turns tracking off.
	m.do(3, "RESET")
	m.do(3, "GET", "k")
	m.do(2, "SET", "k", "1")
	m.quiet(3, 50*time.Millisecond, "after RESET")
	m.compareInfoTracking(2, "after RESET")
}

// TestTrackingRedirect checks REDIRECT: to a RESP2 connection subscribed to
// __redis__:invalidate the messages are pub/sub messages (the flush one
// carrying the null of the tracking client's protocol), to a RESP3
// connection pushes, to an unsubscribed RESP2 connection nothing; when the
// redirect client is gone, a RESP3 tracking client is told so.
func TestTrackingRedirect(t *testing.T) {
	m := newMConns(t, 6, nil)
	// conn 0: RESP2 subscriber; conn 1: RESP2 tracking → 0; conn 2: RESP3
	// tracking → 0; conn 3: writer; conn 4: RESP3 target, conn 5: RESP2
	// tracking → 4.
	ref0, our0 := m.clientIDs(0)
	ref4, our4 := m.clientIDs(4)
	ids := map[bool]map[string]string{true: {ref0: "0", ref4: "4"}, false: {our0: "0", our4: "4"}}
	pick := func(ref bool, r, o string) string {
		if ref {
			return r
		}
		return o
	}
	m.do(0, "SUBSCRIBE", "__redis__:invalidate")
	m.doEach(1, nil, func(ref bool) []string {
		return []string{"CLIENT", "TRACKING", "ON", "REDIRECT", pick(ref, ref0, our0)}
	})
	m.doMasked(maskHelloID, 2, "HELLO", "3")
	m.doEach(2, nil, func(ref bool) []string {
		return []string{"CLIENT", "TRACKING", "ON", "REDIRECT", pick(ref, ref0, our0), "NOLOOP"}
	})
	m.doMasked(maskHelloID, 4, "HELLO", "3")
	m.doEach(5, nil, func(ref bool) []string {
		return []string{"client", "tracking", "on", "redirect", pick(ref, ref4, our4)}
	})
	for i := 1; i <= 5; i++ {
		m.doEach(i, maskIntegers, func(bool) []string { return []string{"CLIENT", "GETREDIR"} })
		m.doEach(i, maskIntegers, func(bool) []string { return []string{"CLIENT", "TRACKINGINFO"} })
		if r, o := clientFlags(m.ref[i], ids[true]), clientFlags(m.ours[i], ids[false]); r != o {
			t.Errorf("conn %d CLIENT INFO: redis %q, ours %q", i, r, o)
		}
	}

	m.do(1, "GET", "k")
	m.do(2, "GET", "k")
	m.do(5, "GET", "k")
	m.do(3, "SET", "k", "1")
	m.expect(0, "message for conn 1")
	m.expect(0, "message for conn 2")
	m.expect(4, "push for conn 5")
	m.quiet(2, 20*time.Millisecond, "tracking client with redirect")

	// NOLOOP compares with the client that changes the key.
	m.do(2, "GET", "k")
	m.do(2, "SET", "k", "2")
	m.quiet(0, 50*time.Millisecond, "NOLOOP")

	// The redirect target gets the messages whatever it subscribed to; a
	// RESP2 one that is not subscribed gets nothing.
	m.do(0, "UNSUBSCRIBE")
	m.do(1, "GET", "k")
	m.do(3, "SET", "k", "3")
	m.quiet(0, 50*time.Millisecond, "unsubscribed RESP2 target")
	m.do(0, "SUBSCRIBE", "other")
	m.do(1, "GET", "k")
	m.do(3, "SET", "k", "4")
	m.expect(0, "message to a subscriber of another channel")

	// The flush message: a null of the tracking client's protocol.
	// (Redis goes through its clients in an order its cron rotates:
	// the two messages are compared as a set.)
	m.do(3, "FLUSHALL")
	m.expectSet(0, 2, "flush for conns 1 (RESP2 null) and 2 (RESP3 null)")
	m.expect(4, "flush for conn 5")

	// The target goes away.
	m.closeConn(0)
	m.do(1, "GET", "k")
	m.do(2, "GET", "k")
	m.do(3, "SET", "k", "5")
	m.expectMasked(maskIntegers, 2, "tracking-redir-broken")
	m.quiet(1, 50*time.Millisecond, "RESP2 client with a broken redirect")
	for i := 1; i <= 2; i++ {
		m.doEach(i, maskIntegers, func(bool) []string { return []string{"CLIENT", "TRACKINGINFO"} })
		if r, o := clientFlags(m.ref[i], ids[true]), clientFlags(m.ours[i], ids[false]); r != o {
			t.Errorf("conn %d CLIENT INFO (broken redirect): redis %q, ours %q", i, r, o)
		}
	}
	// Every later message tells it again.
	m.do(2, "GET", "k")
	m.do(3, "FLUSHDB")
	m.expectMasked(maskIntegers, 2, "tracking-redir-broken (flush)")
	// Turning tracking on again clears the state.
	m.do(2, "CLIENT", "TRACKING", "ON")
	m.do(2, "CLIENT", "TRACKINGINFO")
	m.do(2, "CLIENT", "GETREDIR")
	m.do(2, "GET", "k")
	m.do(3, "SET", "k", "6")
	m.expect(2, "invalidation without redirect")
	m.compareInfoTracking(3, "end")
}

// TestTrackingBcast checks BCAST mode between connections: the keys changed
// under each prefix in one event loop iteration arrive in one message per
// prefix, sorted; NOLOOP leaves out the client's own changes; an empty
// prefix matches every key; a RESP2 client redirects to a subscriber.
func TestTrackingBcast(t *testing.T) {
	m := newMConns(t, 5, nil)
	// conn 0: RESP3, prefixes user: and obj, NOLOOP; conn 1: RESP3, all
	// keys; conn 2: writer; conn 3: RESP2 subscriber; conn 4: RESP2
	// BCAST user: → 3.
	m.doMasked(maskHelloID, 0, "HELLO", "3")
	m.doMasked(maskHelloID, 1, "HELLO", "3")
	m.do(0, "CLIENT", "TRACKING", "ON", "BCAST", "PREFIX", "user:", "PREFIX", "obj", "NOLOOP")
	m.do(1, "CLIENT", "TRACKING", "ON", "BCAST")
	ref3, our3 := m.clientIDs(3)
	m.do(3, "SUBSCRIBE", "__redis__:invalidate")
	m.doEach(4, nil, func(ref bool) []string {
		id := our3
		if ref {
			id = ref3
		}
		return []string{"CLIENT", "TRACKING", "ON", "BCAST", "PREFIX", "user:", "REDIRECT", id}
	})
	m.compareInfoTracking(2, "BCAST clients")
	for i := 0; i <= 1; i++ {
		m.do(i, "CLIENT", "TRACKINGINFO")
		if r, o := clientFlags(m.ref[i], nil), clientFlags(m.ours[i], nil); r != o {
			t.Errorf("conn %d CLIENT INFO: redis %q, ours %q", i, r, o)
		}
	}

	// Reads are not tracked in BCAST mode.
	m.do(0, "GET", "user:9")
	m.compareInfoTracking(2, "a BCAST read")

	m.do(2, "MSET", "user:2", "x", "user:1", "y", "objA", "z", "other", "w")
	m.expect(0, "obj prefix")
	m.expect(0, "user: prefix")
	m.expect(1, "every key")
	m.expect(3, "user: keys for conn 4")

	// NOLOOP: only the keys another client changed last.
	m.do(0, "SET", "user:3", "q")
	m.expect(1, "user:3 (conn 1)")
	m.expect(3, "user:3 (conn 4)")
	m.quiet(0, 50*time.Millisecond, "NOLOOP, own change")
	m.do(0, "MSET", "user:4", "a", "user:5", "b")
	m.expect(1, "user:4 user:5 (conn 1)")
	m.expect(3, "user:4 user:5 (conn 4)")
	m.quiet(0, 50*time.Millisecond, "NOLOOP, own MSET")
	m.do(2, "SET", "user:5", "c")
	m.expect(0, "user:5 changed by another client")
	m.expect(1, "user:5 (conn 1)")
	m.expect(3, "user:5 (conn 4)")

	// Expiry and deletion.
	m.do(2, "SET", "objT", "1", "PX", "50")
	m.expect(0, "objT set")
	m.expect(1, "objT set (conn 1)")
	m.expect(0, "objT expired")
	m.expect(1, "objT expired (conn 1)")
	m.do(2, "DEL", "user:1", "user:2", "nokey")
	m.expect(0, "DEL")
	m.expect(1, "DEL (conn 1)")
	m.expect(3, "DEL (conn 4)")

	// FLUSHALL: the null message, not the keys.
	m.do(2, "FLUSHALL")
	m.expect(0, "flush")
	m.expect(1, "flush (conn 1)")
	m.expect(3, "flush (conn 4)")

	// Prefixes go with their last client.
	m.do(4, "CLIENT", "TRACKING", "OFF")
	m.compareInfoTracking(2, "conn 4 off")
	m.closeConn(1)
	m.compareInfoTracking(2, "conn 1 gone")
	m.do(0, "CLIENT", "TRACKING", "ON", "BCAST", "PREFIX", "new")
	m.do(0, "CLIENT", "TRACKINGINFO")
	m.compareInfoTracking(2, "a prefix added")
	m.do(2, "SET", "newkey", "1")
	m.expect(0, "new prefix")
	m.do(0, "RESET")
	m.compareInfoTracking(2, "after RESET")
	m.do(2, "SET", "newkey", "2")
	m.quiet(0, 50*time.Millisecond, "after RESET")
}

// TestTrackingOptinOtherClient checks OPTIN and OPTOUT through another
// client's changes.
func TestTrackingOptinOtherClient(t *testing.T) {
	m := newMConns(t, 2, nil)
	m.doMasked(maskHelloID, 0, "HELLO", "3")
	m.do(0, "CLIENT", "TRACKING", "ON", "OPTIN")
	m.do(0, "GET", "a")
	m.do(0, "CLIENT", "CACHING", "YES")
	m.do(0, "MGET", "b", "c")
	m.do(0, "GET", "d")
	m.do(1, "MSET", "a", "1", "b", "1", "c", "1", "d", "1")
	m.expect(0, "b")
	m.expect(0, "c")
	m.quiet(0, 50*time.Millisecond, "keys read without CACHING")
	m.do(0, "CLIENT", "TRACKING", "OFF")
	m.do(0, "CLIENT", "TRACKING", "ON", "OPTOUT")
	m.do(0, "GET", "a")
	m.do(0, "CLIENT", "CACHING", "NO")
	m.do(0, "GET", "b")
	m.do(0, "GET", "c")
	m.do(1, "MSET", "a", "2", "b", "2", "c", "2")
	m.expect(0, "a")
	m.expect(0, "c")
	m.quiet(0, 50*time.Millisecond, "key read after CACHING NO")
}

// TestTrackingTableMaxKeys checks tracking-table-max-keys: the directive,
// and that a table over the limit loses keys (random ones, so only their
// number is compared), their clients being told as if they changed.
func TestTrackingTableMaxKeys(t *testing.T) {
	m := newMConns(t, 2, nil)
	m.do(1, "CONFIG", "GET", "tracking-table-max-keys")
	m.do(1, "CONFIG", "SET", "tracking-table-max-keys", "-1")
	m.do(1, "CONFIG", "SET", "tracking-table-max-keys", "abc")
	m.do(1, "CONFIG", "SET", "tracking-table-max-keys", "2")
	m.do(1, "CONFIG", "GET", "tracking-table-max-keys")
	m.doMasked(maskHelloID, 0, "HELLO", "3")
	m.do(0, "CLIENT", "TRACKING", "ON")
	m.do(0, "MGET", "k1", "k2", "k3", "k4")
	// The table is trimmed before the next command (or by the cron):
	// two invalidations, then PONG.
	count := func(c *redistest.Conn) (int, []byte) {
		c.Write(redistest.Command("PING"))
		n := 0
		for {
			r := c.ReadReply()
			if string(r) == "+PONG\r\n" {
				return n, nil
			}
			if !bytes.HasPrefix(r, []byte(">2\r\n$10\r\ninvalidate\r\n*1\r\n")) {
				return n, r
			}
			n++
		}
	}
	rn, rbad := count(m.ref[0])
	on, obad := count(m.ours[0])
	if rn != on || rbad != nil || obad != nil {
		t.Errorf("invalidations before PONG: redis %d (%q), ours %d (%q)", rn, rbad, on, obad)
	}
	m.compareInfoTracking(1, "after the trim")
	// With no limit the table grows; setting one trims it (cron).
	m.do(1, "CONFIG", "SET", "tracking-table-max-keys", "0")
	m.do(0, "MGET", "a", "b", "c", "d", "e")
	m.compareInfoTracking(1, "no limit")
	m.do(1, "CONFIG", "SET", "tracking-table-max-keys", "3")
	for side, c := range []*redistest.Conn{m.ref[0], m.ours[0]} {
		n := 0
		c.Timeout = redistest.WaitTime // the cron trims, on its own time
		for n < 4 {
			r, err := c.TryReadReply()
			if err != nil {
				t.Errorf("%s: %d invalidations after the limit was set, want 4: %v", [2]string{"redis", "ours"}[side], n, err)
				break
			}
			if !bytes.HasPrefix(r, []byte(">2\r\n$10\r\ninvalidate\r\n")) {
				t.Errorf("%s: got %q, want an invalidation", [2]string{"redis", "ours"}[side], r)
			}
			n++
		}
		c.Timeout = redistest.DefaultTimeout
	}
	m.compareInfoTracking(1, "trimmed by the cron")
	m.do(1, "CONFIG", "SET", "tracking-table-max-keys", strconv.Itoa(1000000))
}
