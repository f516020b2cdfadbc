package cmds_test

import (
	"bufio"
	"fmt"
	"math"
	"math/rand/v2"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/redisfs/redisfs/core/cmds"
	"github.com/redisfs/redisfs/core/proto"
	"github.com/redisfs/redisfs/core/redistest"
	"github.com/redisfs/redisfs/core/server"
)

// Tests of the sorted set family: the transcript, a randomized comparison
// with Redis over both encodings and both protocols, blocking pops, the
// random commands, keyspace events, and the memory of a big sorted set.

func TestZsetsTranscript(t *testing.T) {
	redistest.RunTranscriptFile(t, filepath.Join(redistest.RepoRoot(t), "testdata", "zsets.txt"), nil)
}

// zScore returns a random score, favouring ties and the awkward values.
func zScore(r *rand.Rand) string {
	switch r.IntN(16) {
	case 0:
		return "inf"
	case 1:
		return "-inf"
	case 2:
		return "-0"
	case 3:
		return "1e17"
	case 4:
		return "0.1"
	case 5:
		return strconv.FormatFloat(r.NormFloat64()*1e6, 'g', -1, 64)
	case 6:
		return "4611686018427387904"
	}
	return strconv.Itoa(r.IntN(8) - 2)
}

// zBound returns a random score range bound.
func zBound(r *rand.Rand) string {
	b := zScore(r)
	if r.IntN(3) == 0 {
		b = "(" + b
	}
	return b
}

// zLexBound returns a random lex range bound.
func zLexBound(r *rand.Rand) string {
	switch r.IntN(8) {
	case 0:
		return "-"
	case 1:
		return "+"
	}
	return string("[("[r.IntN(2)]) + zMemberName(r)
}

func zMemberName(r *rand.Rand) string {
	if r.IntN(5) == 0 {
		return strconv.Itoa(r.IntN(20))
	}
	n := 1 + r.IntN(2)
	b := make([]byte, n)
	for i := range b {
		b[i] = "abcdef"[r.IntN(6)]
	}
	if r.IntN(20) == 0 {
		return strings.Repeat("long", 5) + string(b)
	}
	return string(b)
}

// zRandomCommand returns a random sorted set command on a few keys, and
// how its reply is compared.
func zRandomCommand(r *rand.Rand) ([]string, redistest.Mode) {
	keys := []string{"z1", "z2", "z3", "s1"}
	zkey := func() string { return keys[r.IntN(3)] }
	anykey := func() string { return keys[r.IntN(len(keys))] }
	idx := func() string { return strconv.Itoa(r.IntN(14) - 7) }
	switch r.IntN(24) {
	case 0, 1, 2, 3:
		args := []string{"ZADD", zkey()}
		for _, o := range []string{"NX", "XX", "GT", "LT", "CH", "INCR"} {
			if r.IntN(8) == 0 {
				args = append(args, o)
			}
		}
		for n := 1 + r.IntN(4); n > 0; n-- {
			args = append(args, zScore(r), zMemberName(r))
		}
		return args, redistest.Exact
	case 4:
		return []string{"ZINCRBY", zkey(), zScore(r), zMemberName(r)}, redistest.Exact
	case 5:
		return []string{"ZREM", zkey(), zMemberName(r), zMemberName(r)}, redistest.Exact
	case 6:
		return []string{[]string{"ZSCORE", "ZRANK", "ZREVRANK"}[r.IntN(3)], zkey(), zMemberName(r)}, redistest.Exact
	case 7:
		return []string{"ZMSCORE", zkey(), zMemberName(r), zMemberName(r)}, redistest.Exact
	case 8:
		args := []string{"ZRANGE", zkey(), idx(), idx()}
		if r.IntN(2) == 0 {
			args = append(args, "REV")
		}
		if r.IntN(2) == 0 {
			args = append(args, "WITHSCORES")
		}
		return args, redistest.Exact
	case 9:
		args := []string{"ZRANGE", zkey(), zBound(r), zBound(r), "BYSCORE"}
		if r.IntN(2) == 0 {
			args = append(args, "REV")
		}
		if r.IntN(2) == 0 {
			args = append(args, "WITHSCORES")
		}
		if r.IntN(2) == 0 {
			args = append(args, "LIMIT", idx(), idx())
		}
		return args, redistest.Exact
	case 10:
		// Lex ranges only make sense (and are only deterministic on a
		// skiplist) when every score is equal: they go to "lx" only.
		if r.IntN(2) == 0 {
			args := []string{"ZADD", "lx"}
			for n := 1 + r.IntN(4); n > 0; n-- {
				args = append(args, "0", zMemberName(r))
			}
			return args, redistest.Exact
		}
		args := []string{"ZRANGE", "lx", zLexBound(r), zLexBound(r), "BYLEX"}
		if r.IntN(2) == 0 {
			args = append(args, "REV")
		}
		if r.IntN(2) == 0 {
			args = append(args, "LIMIT", idx(), idx())
		}
		return args, redistest.Exact
	case 11:
		return []string{"ZCOUNT", zkey(), zBound(r), zBound(r)}, redistest.Exact
	case 12:
		return []string{"ZLEXCOUNT", "lx", zLexBound(r), zLexBound(r)}, redistest.Exact
	case 13:
		switch r.IntN(3) {
		case 0:
			return []string{"ZREMRANGEBYRANK", zkey(), idx(), idx()}, redistest.Exact
		case 1:
			return []string{"ZREMRANGEBYSCORE", zkey(), zBound(r), zBound(r)}, redistest.Exact
		}
		return []string{"ZREMRANGEBYLEX", "lx", zLexBound(r), zLexBound(r)}, redistest.Exact
	case 14:
		args := []string{[]string{"ZPOPMIN", "ZPOPMAX"}[r.IntN(2)], zkey()}
		if r.IntN(2) == 0 {
			args = append(args, strconv.Itoa(r.IntN(4)))
		}
		return args, redistest.Exact
	case 15:
		args := []string{"ZMPOP", "2", zkey(), zkey(), []string{"MIN", "MAX"}[r.IntN(2)]}
		if r.IntN(2) == 0 {
			args = append(args, "COUNT", strconv.Itoa(1+r.IntN(4)))
		}
		return args, redistest.Exact
	case 16, 17:
		op := []string{"ZUNION", "ZINTER", "ZDIFF", "ZUNIONSTORE", "ZINTERSTORE", "ZDIFFSTORE"}[r.IntN(6)]
		args := []string{op}
		if strings.HasSuffix(op, "STORE") {
			args = append(args, zkey())
		}
		n := 1 + r.IntN(3)
		args = append(args, strconv.Itoa(n))
		for i := 0; i < n; i++ {
			args = append(args, anykey())
		}
		if op != "ZDIFF" && op != "ZDIFFSTORE" {
			if r.IntN(2) == 0 {
				args = append(args, "WEIGHTS")
				for i := 0; i < n; i++ {
					args = append(args, []string{"1", "2", "-1", "0", "0.5", "inf"}[r.IntN(6)])
				}
			}
			if r.IntN(2) == 0 {
				args = append(args, "AGGREGATE", []string{"SUM", "MIN", "MAX"}[r.IntN(3)])
			}
		}
		if !strings.HasSuffix(op, "STORE") && r.IntN(2) == 0 {
			args = append(args, "WITHSCORES")
		}
		return args, redistest.Exact
	case 18:
		args := []string{"ZINTERCARD", "2", anykey(), anykey()}
		if r.IntN(2) == 0 {
			args = append(args, "LIMIT", strconv.Itoa(r.IntN(4)))
		}
		return args, redistest.Exact
	case 19:
		args := []string{"ZRANGESTORE", zkey(), zkey()}
		switch r.IntN(3) {
		case 0:
			args = append(args, idx(), idx())
		case 1:
			args = append(args, zBound(r), zBound(r), "BYSCORE")
		default:
			args = []string{"ZRANGESTORE", zkey(), "lx", zLexBound(r), zLexBound(r), "BYLEX"}
		}
		if r.IntN(2) == 0 {
			args = append(args, "REV")
		}
		return args, redistest.Exact
	case 20:
		return []string{"OBJECT", "ENCODING", zkey()}, redistest.Exact
	case 21:
		return []string{"ZCARD", zkey()}, redistest.Exact
	case 22:
		// The whole set, highest rank first: deterministic.
		args := []string{"ZRANDMEMBER", zkey(), "1000"}
		if r.IntN(2) == 0 {
			args = append(args, "WITHSCORES")
		}
		return args, redistest.Exact
	}
	return []string{"SADD", "s1", zMemberName(r)}, redistest.Exact
}

// TestZsetsVersusRedis runs random sorted set commands against both
// servers, with small listpack limits so that both encodings (and the
// conversions between them) are exercised, in RESP2 and RESP3.
func TestZsetsVersusRedis(t *testing.T) {
	for _, resp := range []string{"2", "3"} {
		for _, limits := range [][2]string{{"128", "64"}, {"6", "3"}, {"0", "64"}} {
			t.Run(fmt.Sprintf("resp%s-entries%s-value%s", resp, limits[0], limits[1]), func(t *testing.T) {
				p := szPair(t, nil)
				p.DoMode(redistest.Any, "HELLO", resp)
				p.Do("CONFIG", "SET", "zset-max-listpack-entries", limits[0])
				p.Do("CONFIG", "SET", "zset-max-listpack-value", limits[1])
				r := rand.New(rand.NewPCG(uint64(len(limits[0])), uint64(resp[0])))
				for i := 0; i < 2500; i++ {
					args, mode := zRandomCommand(r)
					p.DoMode(mode, args...)
					// Compare the whole state after each step, so that a
					// divergence is caught where it starts.
					for _, k := range []string{"z1", "z2", "z3", "lx"} {
						p.Do("ZRANGE", k, "0", "-1", "WITHSCORES")
					}
					if t.Failed() {
						t.Fatalf("after step %d: %q", i, args)
					}
				}
				for _, k := range []string{"z1", "z2", "z3"} {
					p.Do("ZRANGE", k, "0", "-1", "WITHSCORES")
					p.Do("OBJECT", "ENCODING", k)
				}
			})
		}
	}
}

// TestZscanFullIteration scans a skiplist to the end and compares the
// member, score pairs with Redis's.
func TestZscanFullIteration(t *testing.T) {
	p := szPair(t, nil)
	args := []string{"ZADD", "big"}
	for i := 0; i < 2000; i++ {
		args = append(args, strconv.FormatFloat(float64(i)/7, 'g', -1, 64), fmt.Sprint("m", i))
	}
	p.Do(args...)
	p.Do("OBJECT", "ENCODING", "big")
	scanAll := func(c *redistest.Conn, count string) map[string]string {
		seen := map[string]string{}
		cursor := "0"
		for calls := 0; calls < 100000; calls++ {
			rep := parseReply(t, c.Do("ZSCAN", "big", cursor, "COUNT", count, "MATCH", "m1*"))
			cursor = string(rep.Elems[0].Str)
			el := rep.Elems[1].Elems
			for i := 0; i+1 < len(el); i += 2 {
				seen[string(el[i].Str)] = string(el[i+1].Str)
			}
			if cursor == "0" {
				return seen
			}
		}
		t.Fatal("ZSCAN does not end")
		return nil
	}
	for _, count := range []string{"1", "7", "100", "10000"} {
		got, want := scanAll(p.Ours, count), scanAll(p.Ref, count)
		if len(got) != len(want) {
			t.Fatalf("COUNT %s: %d members, Redis %d", count, len(got), len(want))
		}
		for k, v := range want {
			if got[k] != v {
				t.Fatalf("COUNT %s: %s scores %q, Redis %q", count, k, got[k], v)
			}
		}
	}
}

// TestZrandmemberReplies checks ZRANDMEMBER on both encodings: counts,
// membership, distinctness, scores, and that every member turns up.
func TestZrandmemberReplies(t *testing.T) {
	for _, entries := range []string{"128", "0"} {
		m := newMemServer(t, nil)
		m.do("CONFIG", "SET", "zset-max-listpack-entries", entries)
		scores := map[string]string{}
		args := []string{"ZADD", "z"}
		for i := 0; i < 10; i++ {
			member, score := fmt.Sprint("m", i), strconv.Itoa(i*10)
			scores[member] = score
			args = append(args, score, member)
		}
		m.do(args...)
		seen := map[string]int{}
		for i := 0; i < 2000; i++ {
			v := string(parseReply(t, m.do("ZRANDMEMBER", "z")).Str)
			if _, ok := scores[v]; !ok {
				t.Fatalf("ZRANDMEMBER returned %q", v)
			}
			seen[v]++
		}
		for k := range scores {
			if seen[k] < 100 || seen[k] > 320 {
				t.Errorf("encoding %s: ZRANDMEMBER returned %q %d times out of 2000", entries, k, seen[k])
			}
		}
		for _, count := range []int{1, 2, 3, 5, 9, 10, 11} {
			for _, sign := range []int{1, -1} {
				got := szStrings(t, m.do("ZRANDMEMBER", "z", strconv.Itoa(sign*count), "WITHSCORES"))
				want := count
				if sign > 0 {
					want = min(count, 10)
				}
				if len(got) != 2*want {
					t.Fatalf("ZRANDMEMBER z %d WITHSCORES: %d items", sign*count, len(got))
				}
				u := map[string]bool{}
				for i := 0; i < len(got); i += 2 {
					if scores[got[i]] != got[i+1] {
						t.Fatalf("ZRANDMEMBER gave %q with score %q", got[i], got[i+1])
					}
					if sign > 0 && u[got[i]] {
						t.Fatalf("ZRANDMEMBER z %d repeated %q", count, got[i])
					}
					u[got[i]] = true
				}
			}
		}
	}
}

// TestZsetKeyspaceEvents compares the events and dirty counts of the
// sorted set writes with Redis's.
func TestZsetKeyspaceEvents(t *testing.T) {
	for _, entries := range []string{"128", "0"} {
		p := szPair(t, nil)
		p.Do("CONFIG", "SET", "notify-keyspace-events", "KEA")
		p.Do("CONFIG", "SET", "zset-max-listpack-entries", entries)
		refEv, ourEv := szEvents(t, p.Ref.NetConn().RemoteAddr().String()), szEvents(t, p.Ours.NetConn().RemoteAddr().String())
		script := [][]string{
			{"ZADD", "z", "1", "a", "2", "b", "3", "c"}, {"ZADD", "z", "1", "a"}, {"ZADD", "z", "5", "a"},
			{"ZADD", "z", "NX", "5", "a"}, {"ZADD", "z", "XX", "5", "new"}, {"ZADD", "z", "INCR", "1", "a"},
			{"ZINCRBY", "z", "0", "a"}, {"ZINCRBY", "z", "2", "a"}, {"ZADD", "z", "INCR", "inf", "a"},
			{"ZADD", "z", "INCR", "-inf", "a"}, {"ZADD", "z", "GT", "1", "a"},
			{"ZREM", "z", "nosuch"}, {"ZREM", "z", "a"},
			{"ZADD", "r", "1", "a", "2", "b", "3", "c", "4", "d"},
			{"ZREMRANGEBYRANK", "r", "5", "6"}, {"ZREMRANGEBYRANK", "r", "0", "0"},
			{"ZREMRANGEBYSCORE", "r", "10", "20"}, {"ZREMRANGEBYSCORE", "r", "2", "2"},
			{"ZREMRANGEBYLEX", "r", "[z", "+"}, {"ZREMRANGEBYLEX", "r", "-", "+"},
			{"ZADD", "p", "1", "a", "2", "b", "3", "c"}, {"ZPOPMIN", "p"}, {"ZPOPMAX", "p", "0"},
			{"ZPOPMAX", "p", "5"}, {"ZPOPMIN", "p"},
			{"ZADD", "p", "1", "a", "2", "b"}, {"ZMPOP", "1", "p", "MAX"}, {"ZMPOP", "2", "nokey", "p", "MIN", "COUNT", "9"},
			{"ZADD", "p", "1", "a"}, {"BZPOPMIN", "p", "1"},
			{"ZADD", "p", "1", "a", "2", "b"}, {"BZMPOP", "1", "1", "p", "MIN", "COUNT", "1"},
			{"ZUNIONSTORE", "d", "2", "z", "p"}, {"ZINTERSTORE", "d", "2", "z", "p"}, {"ZINTERSTORE", "d", "2", "z", "p"},
			{"ZDIFFSTORE", "d", "1", "z"}, {"ZDIFFSTORE", "d", "2", "z", "z"},
			{"ZRANGESTORE", "d", "z", "0", "-1"}, {"ZRANGESTORE", "d", "z", "5", "6"}, {"ZRANGESTORE", "d", "z", "5", "6"},
			{"SORT", "z", "BY", "nosort", "STORE", "l"},
			{"ZCARD", "z"}, {"ZRANGE", "z", "0", "-1"},
		}
		szCompareEffects(t, p, refEv, ourEv, redistest.Exact, script)
	}
}

// zConns opens n connections to each server, in lockstep pairs.
type zConns struct {
	t         *testing.T
	ref, ours []*redistest.Conn
	ctl       [2]*redistest.Conn // the pair's connections: INFO while others block
}

func newZConns(t *testing.T, p *redistest.Pair, n int) *zConns {
	z := &zConns{t: t, ctl: [2]*redistest.Conn{p.Ref, p.Ours}}
	refAddr, ourAddr := p.Ref.NetConn().RemoteAddr().String(), p.Ours.NetConn().RemoteAddr().String()
	for i := 0; i < n; i++ {
		z.ref = append(z.ref, redistest.Dial(t, refAddr))
		z.ours = append(z.ours, redistest.Dial(t, ourAddr))
	}
	return z
}

// send writes a command on connection i of both servers without waiting.
func (z *zConns) send(i int, args ...string) {
	req := redistest.Command(args...)
	z.ref[i].Write(req)
	z.ours[i].Write(req)
}

// expect reads the next reply on connection i of both and compares them.
func (z *zConns) expect(i int, what string) {
	z.t.Helper()
	a, b := z.ref[i].ReadReply(), z.ours[i].ReadReply()
	if string(a) != string(b) {
		z.t.Errorf("%s (conn %d):\n    redis: %s\n    ours:  %s", what, i, redistest.Quote(a), redistest.Quote(b))
	}
}

// waitBlocked waits until both servers report n blocked clients: a
// command sent to block must be blocked before another connection's
// write that should wake it, or the test means something else.
func (z *zConns) waitBlocked(n int) {
	z.t.Helper()
	for _, c := range z.ctl {
		c.WaitInfo("clients", "blocked_clients:"+strconv.Itoa(n))
	}
}

// quiet checks that connection i got no reply within d on either server.
func (z *zConns) quiet(i int, d time.Duration, what string) {
	z.t.Helper()
	for _, c := range []*redistest.Conn{z.ref[i], z.ours[i]} {
		c.Timeout = d
		if r, err := c.TryReadReply(); err == nil {
			z.t.Errorf("%s: conn %d got %s, want nothing yet", what, i, redistest.Quote(r))
		}
		c.Timeout = redistest.DefaultTimeout
	}
}

// do sends a command on connection i and compares the replies.
func (z *zConns) do(i int, args ...string) {
	z.t.Helper()
	z.send(i, args...)
	z.expect(i, strings.Join(args, " "))
}

// TestBlockingZpop compares BZPOPMIN, BZPOPMAX and BZMPOP with Redis: a
// push that wakes a blocked client, the order several blocked clients are
// served in, timeouts, wrong types, MULTI, and RESP3.
func TestBlockingZpop(t *testing.T) {
	p := szPair(t, nil)
	z := newZConns(t, p, 3)
	// Wake-up by ZADD on the second of two keys.
	z.send(0, "BZPOPMIN", "k1", "k2", "0")
	z.waitBlocked(1)
	z.quiet(0, 100*time.Millisecond, "BZPOPMIN on empty keys")
	z.do(1, "ZADD", "k2", "2", "b", "1", "a")
	z.expect(0, "BZPOPMIN woken by ZADD")
	z.do(1, "ZRANGE", "k2", "0", "-1", "WITHSCORES")

	// Two clients blocked on one key are served in the order they blocked.
	z.send(0, "BZPOPMAX", "q", "0")
	z.waitBlocked(1)
	z.send(1, "BZPOPMIN", "q", "0")
	z.waitBlocked(2)
	z.do(2, "ZADD", "q", "1", "x")
	z.expect(0, "first blocked client")
	z.quiet(1, 100*time.Millisecond, "second blocked client")
	z.do(2, "ZADD", "q", "1", "y", "2", "z")
	z.expect(1, "second blocked client")
	z.do(2, "ZRANGE", "q", "0", "-1", "WITHSCORES")

	// BZMPOP with a count takes what there is.
	z.send(0, "BZMPOP", "0", "2", "m1", "m2", "MAX", "COUNT", "5")
	z.quiet(0, 50*time.Millisecond, "BZMPOP")
	z.do(1, "ZADD", "m2", "1", "a", "2", "b", "3", "c")
	z.expect(0, "BZMPOP woken")
	z.do(1, "EXISTS", "m2")

	// Timeouts.
	z.do(0, "BZPOPMIN", "nokey", "0.1")
	z.do(0, "BZMPOP", "0.05", "1", "nokey", "MIN")

	// A key of another type does not wake a zset pop; the zset does.
	z.send(0, "BZPOPMIN", "t", "0")
	z.waitBlocked(1)
	z.do(1, "RPUSH", "t", "x")
	z.quiet(0, 100*time.Millisecond, "BZPOPMIN on a list")
	z.do(1, "DEL", "t")
	z.do(1, "ZADD", "t", "5", "v")
	z.expect(0, "BZPOPMIN woken by ZADD after DEL")

	// Inside MULTI a pop that would block replies as a timeout.
	z.do(0, "MULTI")
	z.do(0, "BZPOPMIN", "nokey", "0")
	z.do(0, "BZMPOP", "0", "1", "nokey", "MIN")
	z.do(0, "EXEC")

	// Changes inside MULTI wake the blocked client after EXEC.
	z.send(0, "BZPOPMAX", "mx", "0")
	z.waitBlocked(1)
	z.do(1, "MULTI")
	z.do(1, "ZADD", "mx", "1", "a")
	z.do(1, "ZADD", "mx", "2", "b")
	z.do(1, "EXEC")
	z.expect(0, "woken after EXEC")

	// ZUNIONSTORE and ZRANGESTORE creating the key wake it too.
	z.send(0, "BZPOPMIN", "dst", "0")
	z.waitBlocked(1)
	z.do(1, "ZUNIONSTORE", "dst", "1", "mx")
	z.expect(0, "woken by ZUNIONSTORE")

	// RESP3 replies.
	z.send(0, "HELLO", "3")
	z.ref[0].ReadReply()
	z.ours[0].ReadReply()
	z.send(0, "BZMPOP", "0", "1", "r3", "MIN")
	z.waitBlocked(1)
	z.do(1, "ZADD", "r3", "1.5", "a")
	z.expect(0, "RESP3 BZMPOP")
	z.send(0, "BZPOPMIN", "r3", "0")
	z.waitBlocked(1)
	z.do(1, "ZADD", "r3", "2.5", "b")
	z.expect(0, "RESP3 BZPOPMIN")
	z.do(0, "BZPOPMIN", "r3", "0.05")

	// Errors.
	z.do(0, "BZPOPMIN", "k", "-1")
	z.do(0, "BZPOPMIN", "k", "x")
	z.do(1, "SET", "str", "v")
	z.do(0, "BZPOPMIN", "str", "0")
	z.do(0, "BZMPOP", "0", "1", "str", "MIN")
}

// TestZsetMemory loads one sorted set of 1,000,000 members into a real
// redis-server and into our server (the redisfs binary, each in a process
// of its own) and reports both RSS values. The goal is ours ≤ 1.5×
// Redis's. It is slow, so it runs only with REDISFS_MEMTEST=1.
func TestZsetMemory(t *testing.T) {
	if os.Getenv("REDISFS_MEMTEST") == "" {
		t.Skip("set REDISFS_MEMTEST=1 to measure the RSS of a 1M-member sorted set")
	}
	const members = 1000000
	bin := redistest.BuildRedisfs(t)
	load := func(addr string) {
		nc, err := net.Dial("tcp", addr)
		if err != nil {
			t.Fatal(err)
		}
		defer nc.Close()
		w := bufio.NewWriterSize(nc, 1<<20)
		done := make(chan error, 1)
		const batch = 100
		go func() {
			rd := bufio.NewReader(nc)
			for i := 0; i < members/batch; i++ {
				line, err := rd.ReadString('\n')
				if err != nil {
					done <- err
					return
				}
				if line[0] != ':' {
					done <- fmt.Errorf("ZADD replied %q", line)
					return
				}
			}
			done <- nil
		}()
		for i := 0; i < members; i += batch {
			args := []string{"ZADD", "big"}
			for j := i; j < i+batch; j++ {
				args = append(args, strconv.Itoa(j%100000), fmt.Sprintf("member:%d", j))
			}
			w.Write(redistest.Command(args...))
		}
		w.Flush()
		if err := <-done; err != nil {
			t.Fatal(err)
		}
	}
	// status returns a field of /proc/PID/status in bytes (VmRSS, VmHWM).
	status := func(pid int, field string) int64 {
		b, err := os.ReadFile(fmt.Sprintf("/proc/%d/status", pid))
		if err != nil {
			t.Fatal(err)
		}
		for _, line := range strings.Split(string(b), "\n") {
			if v, ok := strings.CutPrefix(line, field+":"); ok {
				kb, _ := strconv.ParseInt(strings.Fields(v)[0], 10, 64)
				return kb * 1024
			}
		}
		return 0
	}
	rss := func(pid int) int64 { return status(pid, "VmRSS") }
	run := func(name string, argv ...string) (int64, int64) {
		p := redistest.StartProcess(t, t.TempDir(), 0, append(argv, "--port", redistest.PortArg)...)
		defer p.Kill()
		cmd, addr := p.Cmd, p.Addr
		before := rss(cmd.Process.Pid)
		start := time.Now()
		load(addr)
		elapsed := time.Since(start)
		// Let the server settle (our GC runs from the cron).
		time.Sleep(3 * time.Second)
		c := redistest.Dial(t, addr)
		if got := string(c.Do("ZCARD", "big")); got != ":1000000\r\n" {
			t.Fatalf("%s: ZCARD = %q", name, got)
		}
		after := rss(cmd.Process.Pid)
		t.Logf("%s: RSS %d MB before, %d MB with the zset (%d MB for it), peak %d MB; loaded in %v",
			name, before>>20, after>>20, (after-before)>>20, status(cmd.Process.Pid, "VmHWM")>>20, elapsed.Round(time.Millisecond))
		return before, after
	}
	redisBin, err := exec.LookPath("redis-server")
	if err != nil {
		t.Skip("redis-server is not installed")
	}
	_, refRSS := run("redis-server", redisBin, "--save", "", "--appendonly", "no", "--bind", "127.0.0.1")
	_, ourRSS := run("redisfs", bin, "serve", "--save", "", "--appendonly", "no", "--bind", "127.0.0.1")
	ratio := float64(ourRSS) / float64(refRSS)
	t.Logf("RSS with 1M-member zset: redis-server %d MB, redisfs %d MB, ratio %.2f", refRSS>>20, ourRSS>>20, ratio)
	if ratio > 1.5 {
		t.Errorf("redisfs uses %.2f× redis-server's RSS (goal ≤ 1.5×)", ratio)
	}
}

// zBenchRequest builds the request bytes of one command.
func zBenchRequest(args ...string) []byte { return redistest.Command(args...) }

func BenchmarkZADD(b *testing.B) {
	for _, size := range []string{"listpack", "skiplist"} {
		b.Run(size, func(b *testing.B) {
			m := newMemServer(b, nil)
			if size == "skiplist" {
				m.do("CONFIG", "SET", "zset-max-listpack-entries", "0")
			}
			b.ReportAllocs()
			for i := 0; i < b.N; i++ {
				member := strconv.Itoa(i % 100000)
				if size == "listpack" {
					member = strconv.Itoa(i % 100)
				}
				m.c.QueryBuf = append(m.c.QueryBuf, zBenchRequest("ZADD", "z", strconv.Itoa(i%1000), member)...)
				m.c.ProcessInputBuffer()
				m.c.ResetReply()
			}
		})
	}
}

func BenchmarkZPOPMIN(b *testing.B) {
	m := newMemServer(b, nil)
	m.do("CONFIG", "SET", "zset-max-listpack-entries", "0")
	const n = 100000
	args := []string{"ZADD", "z"}
	for i := 0; i < n; i++ {
		args = append(args, strconv.Itoa(i), strconv.Itoa(i))
	}
	req := zBenchRequest("ZPOPMIN", "z")
	// Load through a client of its own: the benchmarked one keeps small
	// buffers.
	loader := &memServer{srv: m.srv, c: m.srv.NewClient(nil)}
	b.ReportAllocs()
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		if i%n == 0 {
			b.StopTimer()
			loader.do(args...)
			b.StartTimer()
		}
		m.c.QueryBuf = append(m.c.QueryBuf, req...)
		m.c.ProcessInputBuffer()
		m.c.ResetReply()
	}
}

// TestStrtodScores compares score parsing with Redis on awkward texts:
// ZADD (string2d) and ZRANGEBYSCORE bounds (strtod to the end).
func TestStrtodScores(t *testing.T) {
	p := szPair(t, nil)
	texts := []string{"1", "-1", "+1", "1.", ".1", ".", "", " ", " 1", "1 ", "\t1", "1e", "1e+", "1e-5", "1E5",
		"0x", "0x1", "0X1P-2", "0x1.8p1", "0x.8", "0x1p", "0x1p+", "0xg", "inf", "-inf", "+inf", "Inf", "INFINITY",
		"infinit", "infx", "nan", "NaN", "nan(123)", "-nan", "1e308", "1e309", "-1e309", "1e-320", "1e-400",
		"4.9e-324", "2.4e-324", "2.5e-324", "0e-999", "0.000", "00012", "1_000", "1,5", "1\x002", "(1", "((1",
		"123456789012345678901234567890", "0.1234567890123456789012345", "9007199254740993",
		"0x1fffffffffffff8", "0x1.fffffffffffff8p1023", "1.7976931348623158e308", "1.7976931348623159e308"}
	for _, s := range texts {
		p.Do("ZADD", "z", s, "m")
		p.Do("ZSCORE", "z", "m")
		p.Do("ZRANGEBYSCORE", "z", s, "+inf", "WITHSCORES")
		p.Do("ZRANGEBYSCORE", "z", "("+s, "+inf")
		p.Do("ZUNION", "1", "z", "WEIGHTS", s, "WITHSCORES")
		p.Do("DEL", "z")
	}
	// Random decimal texts round the same way.
	r := rand.New(rand.NewPCG(1, 1))
	for i := 0; i < 2000; i++ {
		f := math.Float64frombits(r.Uint64())
		if math.IsNaN(f) {
			continue
		}
		s := strconv.FormatFloat(f, []byte("eg")[r.IntN(2)], r.IntN(20)-1, 64)
		p.Do("ZADD", "z", s, "m")
		p.Do("ZSCORE", "z", "m")
	}
}

// replStream reads a real Redis's replication stream: it sends SYNC,
// skips the RDB payload and returns a function that reads the commands
// propagated since, up to and including the marker command "SET __end__
// <n>", leaving out SELECT and PING.
func replStream(t *testing.T, addr string) func(marker string) [][]string {
	t.Helper()
	c := redistest.Dial(t, addr)
	c.Do("CONFIG", "SET", "repl-diskless-sync", "no")
	nc := c.NetConn()
	nc.SetDeadline(time.Now().Add(20 * time.Second))
	if _, err := nc.Write([]byte("SYNC\r\n")); err != nil {
		t.Fatal(err)
	}
	rd := bufio.NewReader(nc)
	// Newlines keep the link alive while the RDB is being made.
	var line string
	for {
		l, err := rd.ReadString('\n')
		if err != nil {
			t.Fatal(err)
		}
		if l != "\n" {
			line = l
			break
		}
	}
	n, err := strconv.Atoi(strings.TrimSpace(line[1:]))
	if line[0] != '$' || err != nil {
		t.Fatalf("SYNC replied %q", line)
	}
	if _, err := rd.Discard(n); err != nil {
		t.Fatal(err)
	}
	var buf []byte
	return func(marker string) [][]string {
		var out [][]string
		for {
			r, m, err := proto.ReadReply(buf)
			if err != nil {
				t.Fatalf("replication stream: %v", err)
			}
			if m == 0 {
				chunk := make([]byte, 4096)
				nc.SetReadDeadline(time.Now().Add(10 * time.Second))
				k, err := rd.Read(chunk)
				if err != nil {
					t.Fatalf("replication stream: %v", err)
				}
				buf = append(buf, chunk[:k]...)
				continue
			}
			buf = buf[m:]
			var args []string
			for _, e := range r.Elems {
				args = append(args, string(e.Str))
			}
			if len(args) == 0 || strings.EqualFold(args[0], "SELECT") || strings.EqualFold(args[0], "PING") {
				continue
			}
			out = append(out, args)
			if len(args) == 3 && args[0] == "SET" && args[1] == "__end__" && args[2] == marker {
				return out
			}
		}
	}
}

// TestPopPropagation compares what SPOP, ZMPOP and the blocking pops
// propagate (to the AOF and replicas) with Redis's replication stream:
// SREM per member or DEL for SPOP, ZPOPMIN/ZPOPMAX with a count for the
// others, MULTI/EXEC around units of several commands. The members SPOP
// picks are random: SREM arguments are compared as "*".
func TestPopPropagation(t *testing.T) {
	refAddr := redistest.StartRedis(t)
	refStream := replStream(t, refAddr)

	cfg := cmds.DefaultConfig()
	cfg.Port, cfg.Bind, cfg.Save, cfg.AppendOnly, cfg.Dir = 0, []string{"127.0.0.1"}, "", false, t.TempDir()
	srv := cmds.NewServer(cfg)
	srv.LogOut = nil
	var mu sync.Mutex
	var ours [][]string
	srv.SetPropagationFeed(func(dbid int, cmd []byte) {
		r, _, err := proto.ReadReply(cmd)
		if err != nil {
			t.Errorf("feed: %v", err)
			return
		}
		var args []string
		for _, e := range r.Elems {
			args = append(args, string(e.Str))
		}
		mu.Lock()
		ours = append(ours, args)
		mu.Unlock()
	})
	s, err := server.New(srv)
	if err != nil {
		t.Fatal(err)
	}
	if err := s.Listen(); err != nil {
		t.Fatal(err)
	}
	done := make(chan struct{})
	go func() { defer close(done); s.Run() }()
	defer func() { s.Stop(); <-done }()

	p := redistest.NewPair(t, refAddr, s.Addr())
	z := newZConns(t, p, 2)
	any := redistest.Any
	steps := []func(){
		func() { p.Do("SADD", "s", "1", "2", "3") },
		func() { p.DoMode(any, "SPOP", "s") },
		func() { p.DoMode(any, "SPOP", "s", "5") },
		func() { p.DoMode(any, "SPOP", "s", "5") },
		func() { p.Do("SADD", "s2", "a", "b", "c", "d", "e", "f", "g", "h", "i", "j") },
		func() { p.DoMode(any, "SPOP", "s2", "2") },
		func() { p.DoMode(any, "SPOP", "s2", "7") },
		func() { p.DoMode(any, "SPOP", "s2", "0") },
		func() { p.Do("ZADD", "z", "1", "a", "2", "b", "3", "c", "4", "d") },
		func() { p.Do("ZMPOP", "1", "z", "MIN", "COUNT", "2") },
		func() { p.Do("ZMPOP", "2", "nokey", "z", "MAX") },
		func() { p.Do("ZADD", "z", "1", "a", "2", "b") },
		func() { p.Do("BZPOPMAX", "z", "0") },
		func() { p.Do("BZMPOP", "0", "1", "z", "MIN", "COUNT", "9") },
		func() { p.Do("BZPOPMIN", "nokey", "0.01") },
		func() { p.Do("ZPOPMIN", "z") },
		func() { p.Do("ZADD", "z", "INCR", "1.5", "a") },
		func() { p.Do("ZINCRBY", "z", "1", "a") },
		func() {
			z.send(1, "BZPOPMIN", "bz", "0")
			z.waitBlocked(1)
			z.do(0, "ZADD", "bz", "1", "a", "2", "b")
			z.expect(1, "served BZPOPMIN")
		},
		func() {
			z.send(1, "BZMPOP", "0", "1", "bz2", "MAX", "COUNT", "3")
			z.waitBlocked(1)
			z.do(0, "ZADD", "bz2", "1", "a", "2", "b")
			z.expect(1, "served BZMPOP")
		},
		func() { p.Do("SADD", "u", "x", "y") },
		func() { p.Do("SORT", "u", "ALPHA", "STORE", "dst") },
	}
	normalize := func(cmds [][]string) []string {
		var out []string
		for _, a := range cmds {
			if len(a) == 3 && a[0] == "SREM" {
				a = []string{"SREM", a[1], "*"}
			}
			out = append(out, strings.Join(a, " "))
		}
		return out
	}
	for i, step := range steps {
		step()
		marker := strconv.Itoa(i)
		p.Do("SET", "__end__", marker)
		want := normalize(refStream(marker))
		var got []string
		for deadline := time.Now().Add(redistest.WaitTime); time.Now().Before(deadline); {
			mu.Lock()
			n := len(ours)
			last := []string(nil)
			if n > 0 {
				last = ours[n-1]
			}
			mu.Unlock()
			if len(last) == 3 && last[1] == "__end__" && last[2] == marker {
				break
			}
			time.Sleep(10 * time.Millisecond)
		}
		mu.Lock()
		got = normalize(ours)
		ours = nil
		mu.Unlock()
		if testing.Verbose() {
			t.Logf("step %d: %q", i, got)
		}
		if !slices.Equal(got, want) {
			t.Errorf("step %d propagated\n    redis: %q\n    ours:  %q", i, want, got)
		}
	}
}

// BenchmarkZRANGEBYSCORE measures the range commands on both encodings:
// a seek and ten members, by score and by lex, and a count.
func BenchmarkZRANGEBYSCORE(b *testing.B) {
	for _, enc := range []string{"listpack", "skiplist"} {
		n := 100
		if enc == "skiplist" {
			n = 100000
		}
		m := newMemServer(b, nil)
		byScore, byLex := []string{"ZADD", "z"}, []string{"ZADD", "l"}
		for i := 0; i < n; i++ {
			byScore = append(byScore, strconv.Itoa(i), "m"+strconv.Itoa(i))
			byLex = append(byLex, "0", fmt.Sprintf("m%06d", i))
		}
		m.do(byScore...)
		m.do(byLex...)
		lo := strconv.Itoa(n / 3)
		hi := strconv.Itoa(n/3 + 10)
		for _, bc := range []struct {
			name string
			req  []byte
		}{
			{"score", zBenchRequest("ZRANGEBYSCORE", "z", "("+lo, hi, "WITHSCORES")},
			{"revscore", zBenchRequest("ZREVRANGEBYSCORE", "z", hi, "("+lo)},
			{"lex", zBenchRequest("ZRANGEBYLEX", "l", fmt.Sprintf("(m%06d", n/3), fmt.Sprintf("[m%06d", n/3+10))},
			{"count", zBenchRequest("ZCOUNT", "z", "("+lo, hi)},
		} {
			b.Run(enc+"/"+bc.name, func(b *testing.B) {
				b.ReportAllocs()
				for i := 0; i < b.N; i++ {
					m.run(bc.req)
				}
			})
		}
	}
}
