package cmds_test

import (
	"math/rand/v2"
	"path/filepath"
	"strconv"
	"strings"
	"testing"

	"github.com/redisfs/redisfs/core/redistest"
)

// Tests of the stream family: the transcript (explicit IDs, compared byte
// for byte with Redis), generated IDs compared by shape, blocking XREAD
// and XREADGROUP with several clients, propagation, and DUMP/RESTORE with
// a real redis-server both ways.

func TestStreamsTranscript(t *testing.T) {
	redistest.RunTranscriptFile(t, filepath.Join(redistest.RepoRoot(t), "testdata", "streams.txt"), nil)
}

// TestStreamBlocking blocks XREAD and XREADGROUP clients on both servers
// and compares what wakes them, in which order, and with what.
func TestStreamBlocking(t *testing.T) {
	b := newBconns(t, 4)
	// XREAD $ on a missing key, woken by the XADD that creates it.
	b.send(0, "XREAD", "BLOCK", "0", "STREAMS", "s", "$")
	b.waitBlocked(1)
	b.do(3, "XADD", "s", "1-0", "f", "v")
	b.expect(0, "XREAD $ woken by XADD")
	b.waitBlocked(0)
	b.checkDirty("XADD serving XREAD")

	// Several clients on one stream are all served, in order, with
	// what is newer than each one's ID; COUNT is kept.
	b.send(0, "XREAD", "BLOCK", "0", "STREAMS", "s", "$")
	b.waitBlocked(1)
	b.send(1, "XREAD", "COUNT", "1", "BLOCK", "0", "STREAMS", "s", "0-5")
	b.expect(1, "XREAD with an older ID is served at once")
	b.send(1, "XREAD", "COUNT", "1", "BLOCK", "0", "STREAMS", "x", "s", "$", "$")
	b.waitBlocked(2)
	b.send(2, "XREAD", "BLOCK", "0", "STREAMS", "s", "1-0")
	b.waitBlocked(3)
	b.do(3, "MULTI")
	b.do(3, "XADD", "s", "2-0", "a", "1")
	b.do(3, "XADD", "s", "3-0", "b", "2")
	b.do(3, "EXEC")
	b.expect(0, "first XREAD after EXEC")
	b.expect(1, "second XREAD (COUNT 1, two keys)")
	b.expect(2, "third XREAD")
	b.waitBlocked(0)

	// XREADGROUP >: clients of one group share the new entries; the
	// first takes them (COUNT aside), the next waits for more.
	b.do(3, "XGROUP", "CREATE", "s", "g", "$")
	b.send(0, "XREADGROUP", "GROUP", "g", "alice", "BLOCK", "0", "STREAMS", "s", ">")
	b.waitBlocked(1)
	b.send(1, "XREADGROUP", "GROUP", "g", "bob", "COUNT", "1", "BLOCK", "0", "STREAMS", "s", ">")
	b.waitBlocked(2)
	b.do(3, "XADD", "s", "4-0", "c", "3")
	b.expect(0, "alice gets 4-0")
	b.waitBlocked(1)
	b.do(3, "XADD", "s", "5-0", "d", "4")
	b.expect(1, "bob gets 5-0")
	b.checkDirty("XREADGROUP served")
	b.do(3, "XPENDING", "s", "g")
	b.do(3, "XINFO", "GROUPS", "s")

	// NOACK: nothing pending.
	b.send(0, "XREADGROUP", "GROUP", "g", "carol", "NOACK", "BLOCK", "0", "STREAMS", "s", ">")
	b.waitBlocked(1)
	b.do(3, "XADD", "s", "6-0", "e", "5")
	b.expect(0, "NOACK served")
	b.do(3, "XPENDING", "s", "g")

	// The group destroyed under a blocked XREADGROUP: -NOGROUP at the
	// next XADD; the key deleted: -UNBLOCKED at once.
	b.send(0, "XREADGROUP", "GROUP", "g", "alice", "BLOCK", "0", "STREAMS", "s", ">")
	b.waitBlocked(1)
	b.do(3, "XGROUP", "DESTROY", "s", "g")
	b.expect(0, "XREADGROUP after XGROUP DESTROY")
	b.waitBlocked(0)
	b.do(3, "XGROUP", "CREATE", "s", "g", "$")
	b.send(0, "XREADGROUP", "GROUP", "g", "alice", "BLOCK", "0", "STREAMS", "s", ">")
	b.waitBlocked(1)
	b.send(1, "XREAD", "BLOCK", "0", "STREAMS", "s", "$")
	b.waitBlocked(2)
	b.do(3, "DEL", "s")
	b.expect(0, "XREADGROUP after DEL")
	b.waitBlocked(1)
	b.do(3, "XADD", "s", "10-0", "f", "v")
	b.expect(1, "XREAD after DEL and XADD")
	b.do(3, "XGROUP", "CREATE", "s", "g", "$")
	b.send(0, "XREADGROUP", "GROUP", "g", "alice", "BLOCK", "0", "STREAMS", "s", ">")
	b.waitBlocked(1)
	b.do(3, "SET", "s", "x")
	b.expect(0, "XREADGROUP after SET over the stream")
	b.waitBlocked(0)

	// FLUSHALL and SWAPDB take the stream away: -UNBLOCKED too.
	b.do(3, "DEL", "s")
	b.do(3, "XADD", "s", "1-0", "f", "v")
	b.do(3, "XGROUP", "CREATE", "s", "g", "$")
	b.send(0, "XREADGROUP", "GROUP", "g", "alice", "BLOCK", "0", "STREAMS", "s", ">")
	b.waitBlocked(1)
	b.do(3, "FLUSHALL")
	b.expect(0, "XREADGROUP after FLUSHALL")
	b.do(3, "XADD", "s", "1-0", "f", "v")
	b.do(3, "XGROUP", "CREATE", "s", "g", "$")
	b.send(0, "XREADGROUP", "GROUP", "g", "alice", "BLOCK", "0", "STREAMS", "s", ">")
	b.waitBlocked(1)
	b.do(3, "SWAPDB", "0", "1")
	b.expect(0, "XREADGROUP after SWAPDB")
	b.do(3, "FLUSHALL")

	// Timeouts, CLIENT UNBLOCK, MULTI.
	b.do(0, "XREAD", "BLOCK", "50", "STREAMS", "nokey", "$")
	b.do(0, "XREADGROUP", "GROUP", "g", "a", "BLOCK", "1", "STREAMS", "s", ">")
	b.do(3, "DEL", "s")
	b.do(3, "XGROUP", "CREATE", "s", "g", "$", "MKSTREAM")
	b.do(0, "XREADGROUP", "GROUP", "g", "a", "BLOCK", "50", "STREAMS", "s", ">")
	b.do(0, "MULTI")
	b.do(0, "XREAD", "BLOCK", "0", "STREAMS", "s", "$")
	b.do(0, "EXEC")
	ref, ours := b.clientIDs(0)
	b.send(0, "XREAD", "BLOCK", "0", "STREAMS", "s", "$")
	b.waitBlocked(1)
	if r, o := b.refCtl.Do("CLIENT", "UNBLOCK", ref, "ERROR"), b.ourCt.Do("CLIENT", "UNBLOCK", ours, "ERROR"); string(r) != string(o) {
		t.Errorf("CLIENT UNBLOCK: redis %q, ours %q", r, o)
	}
	b.expect(0, "XREAD unblocked with an error")
	b.send(0, "XREAD", "BLOCK", "0", "STREAMS", "s", "$")
	b.waitBlocked(1)
	if r, o := b.refCtl.Do("CLIENT", "UNBLOCK", ref), b.ourCt.Do("CLIENT", "UNBLOCK", ours); string(r) != string(o) {
		t.Errorf("CLIENT UNBLOCK: redis %q, ours %q", r, o)
	}
	b.expect(0, "XREAD unblocked as by a timeout")

	// RESP3 serving is a map.
	b.hello3(0)
	b.send(0, "XREAD", "BLOCK", "0", "STREAMS", "s", "$")
	b.waitBlocked(1)
	b.do(3, "XADD", "s", "7-0", "f", "v")
	b.expect(0, "RESP3 XREAD woken")
	b.do(0, "XREAD", "BLOCK", "10", "STREAMS", "s", "$")
}

// sRandomCommand returns a random stream command on s with explicit IDs
// (ms from a small range so that deletes and trims hit), for a
// differential run.
func sRandomCommand(r *rand.Rand, next *int) []string {
	id := func() string { return strconv.Itoa(r.IntN(*next+2)) + "-" + strconv.Itoa(r.IntN(3)) }
	fields := func(args []string) []string {
		names := []string{"f", "g", "h"}
		n := 1 + r.IntN(3)
		if r.IntN(3) == 0 {
			n = 1
		}
		for i := 0; i < n; i++ {
			args = append(args, names[(i+r.IntN(2))%3], strconv.Itoa(r.IntN(50)))
		}
		return args
	}
	switch r.IntN(14) {
	case 0, 1, 2, 3, 4:
		*next += 1 + r.IntN(2)
		args := []string{"XADD", "s"}
		if r.IntN(6) == 0 {
			args = append(args, "MAXLEN", []string{"~", "="}[r.IntN(2)], strconv.Itoa(r.IntN(30)))
		}
		args = append(args, strconv.Itoa(*next)+"-"+strconv.Itoa(r.IntN(2)))
		return fields(args)
	case 5:
		return []string{"XDEL", "s", id(), id()}
	case 6:
		if r.IntN(2) == 0 {
			return []string{"XTRIM", "s", "MAXLEN", []string{"~", "="}[r.IntN(2)], strconv.Itoa(r.IntN(40))}
		}
		return []string{"XTRIM", "s", "MINID", []string{"~", "="}[r.IntN(2)], id()}
	case 7:
		return []string{"XRANGE", "s", id(), "+", "COUNT", strconv.Itoa(r.IntN(5))}
	case 8:
		return []string{"XREVRANGE", "s", "+", id(), "COUNT", strconv.Itoa(r.IntN(5))}
	case 9:
		return []string{"XRANGE", "s", "(" + id(), id()}
	case 10:
		return []string{"XINFO", "STREAM", "s"}
	case 11:
		return []string{"XREADGROUP", "GROUP", "g", "c" + strconv.Itoa(r.IntN(3)), "COUNT", strconv.Itoa(1 + r.IntN(3)), "STREAMS", "s", ">"}
	case 12:
		return []string{"XACK", "s", "g", id(), id()}
	}
	return []string{"XINFO", "GROUPS", "s"}
}

// TestStreamsVersusRedis runs random stream commands on both servers with
// small nodes, comparing every reply, the dump of the stream and its
// memory estimate.
func TestStreamsVersusRedis(t *testing.T) {
	refAddr := redistest.StartRedis(t)
	ourAddr, _ := redistest.StartServer(t, nil)
	p := redistest.NewPair(t, refAddr, ourAddr)
	for round, entries := range []string{"100", "5", "2", "0"} {
		p.Do("DEL", "s")
		p.Do("CONFIG", "SET", "stream-node-max-entries", entries)
		p.Do("CONFIG", "SET", "stream-node-max-bytes", []string{"4096", "80", "0", "100"}[round])
		p.Do("XGROUP", "CREATE", "s", "g", "0", "MKSTREAM")
		r := rand.New(rand.NewPCG(uint64(round), 14))
		next := 0
		for i := 0; i < 500 && !t.Failed(); i++ {
			p.Do(sRandomCommand(r, &next)...)
			if i%25 == 0 {
				p.Do("XRANGE", "s", "-", "+")
				p.Do("MEMORY", "USAGE", "s")
			}
		}
		p.Do("XRANGE", "s", "-", "+")
		p.Do("XPENDING", "s", "g")
		p.Do("XINFO", "STREAM", "s")
	}
}

// TestStreamDumpRestore moves streams with consumer groups, consumers and
// PELs between a real redis-server and ours with DUMP and RESTORE, both
// ways, and compares what each holds after.
func TestStreamDumpRestore(t *testing.T) {
	refAddr := redistest.StartRedis(t)
	ourAddr, _ := redistest.StartServer(t, nil)
	ref, ours := redistest.Dial(t, refAddr), redistest.Dial(t, ourAddr)
	build := func(c *redistest.Conn) {
		c.Do("CONFIG", "SET", "stream-node-max-entries", "3")
		for i := 1; i <= 12; i++ {
			args := []string{"XADD", "s", strconv.Itoa(i) + "-" + strconv.Itoa(i%2), "f", strconv.Itoa(i)}
			if i%4 == 0 {
				args = append(args, "extra", "field")
			}
			c.Do(args...)
		}
		c.Do("XDEL", "s", "2-0", "7-1")
		c.Do("XGROUP", "CREATE", "s", "g1", "0")
		c.Do("XGROUP", "CREATE", "s", "g2", "5-0", "ENTRIESREAD", "4")
		c.Do("XREADGROUP", "GROUP", "g1", "alice", "COUNT", "3", "STREAMS", "s", ">")
		c.Do("XREADGROUP", "GROUP", "g1", "bob", "COUNT", "2", "STREAMS", "s", ">")
		c.Do("XREADGROUP", "GROUP", "g2", "carol", "STREAMS", "s", ">")
		c.Do("XGROUP", "CREATECONSUMER", "s", "g2", "dave")
		c.Do("XACK", "s", "g2", "9-1")
		c.Do("XADD", "e", "1-0", "f", "v")
		c.Do("XDEL", "e", "1-0")
		c.Do("XGROUP", "CREATE", "e", "g", "$")
	}
	build(ref)
	build(ours)
	compare := func(key string) {
		t.Helper()
		for _, args := range [][]string{
			{"XINFO", "STREAM", key, "FULL"}, {"XRANGE", key, "-", "+"}, {"XREVRANGE", key, "+", "-"},
			{"XINFO", "GROUPS", key}, {"XPENDING", key, "g1"}, {"DUMP", key}, {"TYPE", key},
		} {
			r, o := ref.Do(args...), ours.Do(args...)
			if string(r) != string(o) {
				t.Errorf("%v:\n    redis: %s\n    ours:  %s", args, redistest.Quote(r), redistest.Quote(o))
			}
		}
	}
	for _, key := range []string{"s", "e"} {
		// Redis's DUMP restored on both sides, then ours.
		payload := ref.Do("DUMP", key)
		_, elems, err := redistest.Elements(append([]byte("*1\r\n"), payload...))
		if err != nil || len(elems) != 1 {
			t.Fatalf("DUMP %s: %q", key, payload)
		}
		bulk := string(elems[0])
		val := bulk[strings.Index(bulk, "\r\n")+2 : len(bulk)-2]
		for _, c := range []*redistest.Conn{ref, ours} {
			if r := string(c.Do("RESTORE", "r"+key, "0", val)); r != "+OK\r\n" {
				t.Fatalf("RESTORE of Redis's DUMP of %s: %q", key, r)
			}
		}
		compare("r" + key)
		payload = ours.Do("DUMP", key)
		_, elems, _ = redistest.Elements(append([]byte("*1\r\n"), payload...))
		bulk = string(elems[0])
		val = bulk[strings.Index(bulk, "\r\n")+2 : len(bulk)-2]
		for _, c := range []*redistest.Conn{ref, ours} {
			if r := string(c.Do("RESTORE", "o"+key, "0", val)); r != "+OK\r\n" {
				t.Fatalf("RESTORE of our DUMP of %s: %q", key, r)
			}
		}
		compare("o" + key)
	}
	// A corrupt node is refused as Redis refuses it.
	for _, c := range []*redistest.Conn{ref, ours} {
		c.Do("CONFIG", "SET", "sanitize-dump-payload", "yes")
	}
	payload := ref.Do("DUMP", "s")
	_, elems, _ := redistest.Elements(append([]byte("*1\r\n"), payload...))
	bulk := string(elems[0])
	val := []byte(bulk[strings.Index(bulk, "\r\n")+2 : len(bulk)-2])
	body := val[:len(val)-10]
	refused := 0
	for i := 1; i < len(body); i++ {
		for _, x := range []byte{0x01, 0x5a, 0xff} {
			bad := append([]byte(nil), body...)
			bad[i] ^= x
			bad = withFooter(bad, 10)
			r, o := ref.Do("RESTORE", "bad", "0", string(bad), "REPLACE"), ours.Do("RESTORE", "bad", "0", string(bad), "REPLACE")
			if string(o) == "+OK\r\n" {
				// What we accept must be a stream every command can walk.
				ours.Do("XRANGE", "bad", "-", "+")
				ours.Do("XREVRANGE", "bad", "+", "-")
				ours.Do("XINFO", "STREAM", "bad", "FULL")
				ours.Do("XTRIM", "bad", "MAXLEN", "1")
				if string(r) != "+OK\r\n" {
					t.Logf("RESTORE with byte %d ^ %#x: Redis refuses (%q), we accept", i, x, r)
				}
			} else {
				refused++
			}
		}
	}
	if refused == 0 {
		t.Errorf("no corrupted payload was refused")
	}
	if r := string(ours.Do("PING")); r != "+PONG\r\n" {
		t.Fatalf("server after corrupt RESTOREs: %q", r)
	}
}
