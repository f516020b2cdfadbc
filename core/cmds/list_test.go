package cmds_test

import (
	"bytes"
	"math/rand/v2"
	"path/filepath"
	"strconv"
	"strings"
	"testing"

	"github.com/redisfs/redisfs/core/cmds"
	"github.com/redisfs/redisfs/core/proto"
	"github.com/redisfs/redisfs/core/redistest"
)

// Tests of the list family: the transcripts (lists, and the blocking
// commands on one connection), a randomized comparison with Redis that also
// checks the dirty counter and WATCH invalidation of every command, and
// benchmarks. The blocking commands with several connections are in
// blocking_test.go.

func TestListsTranscript(t *testing.T) {
	redistest.RunTranscriptFile(t, filepath.Join(redistest.RepoRoot(t), "testdata", "lists.txt"), nil)
}

func TestBlockingTranscript(t *testing.T) {
	redistest.RunTranscriptFile(t, filepath.Join(redistest.RepoRoot(t), "testdata", "blocking.txt"), nil)
}

// lhPair holds a connection to each server for the commands, a second one
// to each for WATCH, and compares replies, dirty counts and WATCH.
type lhPair struct {
	t         *testing.T
	p         *redistest.Pair
	watchers  [2]*redistest.Conn
	dirty     [2]int64
	lastReply []byte
}

func newLhPair(t *testing.T) *lhPair {
	t.Helper()
	refAddr := redistest.StartRedis(t)
	ourAddr, _ := redistest.StartServer(t, nil)
	lp := &lhPair{t: t, p: redistest.NewPair(t, refAddr, ourAddr)}
	lp.watchers = [2]*redistest.Conn{redistest.Dial(t, refAddr), redistest.Dial(t, ourAddr)}
	lp.dirty = [2]int64{lhDirty(t, lp.p.Ref), lhDirty(t, lp.p.Ours)}
	return lp
}

// lhDirty returns rdb_changes_since_last_save from INFO persistence.
func lhDirty(t *testing.T, c *redistest.Conn) int64 {
	t.Helper()
	r, _, err := proto.ReadReply(c.Do("INFO", "persistence"))
	if err != nil {
		t.Fatal(err)
	}
	for _, line := range strings.Split(string(r.Str), "\r\n") {
		if v, ok := strings.CutPrefix(line, "rdb_changes_since_last_save:"); ok {
			n, _ := strconv.ParseInt(v, 10, 64)
			return n
		}
	}
	t.Fatal("no rdb_changes_since_last_save in INFO")
	return 0
}

// do runs args on both servers and compares the reply (as mode says), the
// change of the dirty counter and, when watch names keys, whether the
// command invalidated a WATCH on them (signalModifiedKey).
func (lp *lhPair) do(mode redistest.Mode, watch []string, args ...string) []byte {
	lp.t.Helper()
	if len(watch) > 0 {
		for _, w := range lp.watchers {
			w.Do(append([]string{"WATCH"}, watch...)...)
		}
	}
	r := lp.p.DoMode(mode, args...)
	lp.lastReply = r
	d := [2]int64{lhDirty(lp.t, lp.p.Ref), lhDirty(lp.t, lp.p.Ours)}
	if d[0]-lp.dirty[0] != d[1]-lp.dirty[1] {
		lp.t.Errorf("%q: dirty += %d, Redis += %d", args, d[1]-lp.dirty[1], d[0]-lp.dirty[0])
	}
	lp.dirty = d
	if len(watch) > 0 {
		var exec [2][]byte
		for i, w := range lp.watchers {
			w.Do("MULTI")
			w.Do("PING")
			exec[i] = w.Do("EXEC")
		}
		if !bytes.Equal(exec[0], exec[1]) {
			lp.t.Errorf("%q: EXEC after WATCH %v: ours %s, Redis %s", args, watch,
				redistest.Quote(exec[1]), redistest.Quote(exec[0]))
		}
	}
	return r
}

// lElem returns a random list element: small integers, strings of a few
// sizes (some beyond a node's 8 KB), and awkward ones.
func lElem(r *rand.Rand) string {
	switch r.IntN(10) {
	case 0, 1, 2:
		return strconv.Itoa(r.IntN(20) - 5)
	case 3:
		return strconv.FormatInt(r.Int64(), 10)
	case 4:
		return strings.Repeat("x", r.IntN(200))
	case 5:
		if r.IntN(10) == 0 {
			return strings.Repeat("B", 5000+r.IntN(5000))
		}
		return strings.Repeat("y", 60+r.IntN(10))
	case 6:
		return []string{"", "01", "-0", " 1", "a\x00b"}[r.IntN(5)]
	}
	return "e" + strconv.Itoa(r.IntN(15))
}

func lIndex(r *rand.Rand) string {
	return strconv.Itoa(r.IntN(40) - 20)
}

// lRandomCommand returns a random list command on keys l1, l2.
func lRandomCommand(r *rand.Rand) []string {
	key := []string{"l1", "l2"}[r.IntN(2)]
	other := []string{"l1", "l2", "l3"}[r.IntN(3)]
	side := func() string { return []string{"LEFT", "RIGHT"}[r.IntN(2)] }
	switch r.IntN(22) {
	case 0, 1, 2:
		args := []string{"RPUSH", key}
		for n := 1 + r.IntN(8); n > 0; n-- {
			args = append(args, lElem(r))
		}
		return args
	case 3, 4:
		args := []string{"LPUSH", key}
		for n := 1 + r.IntN(8); n > 0; n-- {
			args = append(args, lElem(r))
		}
		return args
	case 5:
		return []string{[]string{"LPUSHX", "RPUSHX"}[r.IntN(2)], key, lElem(r)}
	case 6:
		return []string{"LINSERT", key, []string{"BEFORE", "AFTER"}[r.IntN(2)], lElem(r), lElem(r)}
	case 7:
		return []string{"LSET", key, lIndex(r), lElem(r)}
	case 8:
		return []string{"LREM", key, strconv.Itoa(r.IntN(5) - 2), lElem(r)}
	case 9:
		return []string{"LTRIM", key, lIndex(r), lIndex(r)}
	case 10:
		if r.IntN(2) == 0 {
			return []string{"LPOP", key}
		}
		return []string{"RPOP", key, strconv.Itoa(r.IntN(4))}
	case 11:
		return []string{"LMOVE", key, other, side(), side()}
	case 12:
		return []string{"RPOPLPUSH", key, other}
	case 13:
		return []string{"LMPOP", "2", key, other, side(), "COUNT", strconv.Itoa(1 + r.IntN(3))}
	case 14, 15:
		return []string{"LRANGE", key, lIndex(r), lIndex(r)}
	case 16:
		return []string{"LINDEX", key, lIndex(r)}
	case 17:
		args := []string{"LPOS", key, lElem(r)}
		if r.IntN(2) == 0 {
			args = append(args, "RANK", strconv.Itoa([]int{1, 2, -1, -2}[r.IntN(4)]))
		}
		if r.IntN(2) == 0 {
			args = append(args, "COUNT", strconv.Itoa(r.IntN(3)))
		}
		if r.IntN(3) == 0 {
			args = append(args, "MAXLEN", strconv.Itoa(r.IntN(10)))
		}
		return args
	case 18:
		return []string{"LLEN", key}
	case 19:
		return []string{"BLPOP", key, other, "0"}
	case 20:
		return []string{"BLMOVE", key, other, side(), side(), "0"}
	}
	return []string{"LRANGE", key, "0", "-1"}
}

// TestListsVersusRedis runs random list commands on both servers, with
// several node sizes, comparing replies, dirty counts and WATCH
// invalidation; the whole lists, and their DUMP (the node listpacks, byte
// for byte), are compared every few commands. Blocking
// commands appear only where they find data or would block forever — the
// latter are skipped.
func TestListsVersusRedis(t *testing.T) {
	lp := newLhPair(t)
	for _, fill := range []string{"-2", "3", "-1", "1"} {
		lp.do(redistest.Exact, nil, "CONFIG", "SET", "list-max-listpack-size", fill)
		lp.do(redistest.Exact, nil, "DEL", "l1", "l2", "l3")
		r := rand.New(rand.NewPCG(uint64(len(fill)), 42))
		for i := 0; i < 400; i++ {
			args := lRandomCommand(r)
			if args[0] == "BLPOP" || args[0] == "BLMOVE" {
				// Only when the source exists, so nothing blocks.
				if string(lp.p.Ref.Do("EXISTS", args[1])) != ":1\r\n" {
					continue
				}
			}
			lp.do(redistest.Exact, []string{"l1", "l2", "l3"}[:1+r.IntN(3)], args...)
			if i%20 == 0 {
				for _, k := range []string{"l1", "l2", "l3"} {
					lp.do(redistest.Exact, nil, "LRANGE", k, "0", "-1")
					// The quicklist's nodes, byte for byte.
					lp.do(redistest.Exact, nil, "DUMP", k)
				}
			}
		}
	}
}

func BenchmarkLPUSH(b *testing.B) {
	m := newMemServer(b, nil)
	req := redistest.Command("LPUSH", "bench", "xxxxxxxxxxxxxxxx")
	b.ReportAllocs()
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		m.run(req)
	}
}

func BenchmarkLPOP(b *testing.B) {
	m := newMemServer(b, nil)
	push := redistest.Command("RPUSH", "bench", "a", "b", "c", "d", "e", "f", "g", "h", "i", "j")
	pop := redistest.Command("LPOP", "bench")
	b.ReportAllocs()
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		if i%10 == 0 {
			b.StopTimer()
			m.run(push)
			b.StartTimer()
		}
		m.run(pop)
	}
}

func BenchmarkLRANGE100(b *testing.B) {
	m := newMemServer(b, nil)
	for i := 0; i < 100; i++ {
		m.run(redistest.Command("RPUSH", "bench", "xxx"))
	}
	req := redistest.Command("LRANGE", "bench", "0", "99")
	b.ReportAllocs()
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		m.run(req)
	}
}

// TestListPropagation checks what the list and hash commands propagate to
// the AOF and replicas, as Redis 7.0's t_list.c and t_hash.c rewrite them:
// the blocking forms as non-blocking ones, LMPOP as [LR]POP with a count,
// HINCRBYFLOAT as HSET with the result. Serving a blocked client is a unit
// of its own, after the command that woke it.
func TestListPropagation(t *testing.T) {
	m := newMemServer(t, nil)
	var fed []string
	m.srv.SetPropagationFeed(func(dbid int, cmd []byte) {
		r, _, err := proto.ReadReply(cmd)
		if err != nil {
			t.Fatalf("bad propagated command %q", cmd)
		}
		var args []string
		for _, e := range r.Elems {
			args = append(args, string(e.Str))
		}
		fed = append(fed, strings.Join(args, " "))
	})
	c2 := m.srv.NewClient(nil)
	run := func(c *cmds.Client, args ...string) {
		c.QueryBuf = append(c.QueryBuf, redistest.Command(args...)...)
		c.ProcessInputBuffer()
		c.ResetReply()
	}
	for _, tc := range []struct {
		c    *cmds.Client
		args []string
		want []string
	}{
		{m.c, []string{"RPUSH", "l", "a", "b", "c", "d", "e"}, []string{"RPUSH l a b c d e"}},
		{m.c, []string{"BLPOP", "nokey", "l", "0"}, []string{"LPOP l"}},
		{m.c, []string{"BRPOP", "l", "0"}, []string{"RPOP l"}},
		{m.c, []string{"LMPOP", "2", "nokey", "l", "RIGHT", "COUNT", "10"}, []string{"RPOP l 3"}},
		{m.c, []string{"LMPOP", "1", "l", "LEFT"}, nil},
		{m.c, []string{"RPUSH", "l", "a", "b"}, []string{"RPUSH l a b"}},
		{m.c, []string{"BLMPOP", "0", "1", "l", "left", "COUNT", "1"}, []string{"LPOP l 1"}},
		{m.c, []string{"BLMOVE", "l", "d", "right", "left", "0"}, []string{"LMOVE l d right left"}},
		{m.c, []string{"BRPOPLPUSH", "d", "l", "0"}, []string{"RPOPLPUSH d l"}},
		{m.c, []string{"BLMOVE", "l", "l", "LEFT", "LEFT", "x"}, nil},
		{m.c, []string{"LMOVE", "l", "d", "LEFT", "RIGHT"}, []string{"LMOVE l d LEFT RIGHT"}},
		{m.c, []string{"HINCRBYFLOAT", "h", "f", "1.5"}, []string{"HSET h f 1.5"}},
		{m.c, []string{"HINCRBYFLOAT", "h", "f", "1e2"}, []string{"HSET h f 101.5"}},
		{m.c, []string{"HINCRBY", "h", "n", "3"}, []string{"HINCRBY h n 3"}},
		// Blocked clients: the pusher's command, then each serving.
		{c2, []string{"BLPOP", "b1", "0"}, nil},
		{m.c, []string{"RPUSH", "b1", "x", "y"}, []string{"RPUSH b1 x y", "LPOP b1"}},
		{c2, []string{"BLMPOP", "0", "1", "b2", "RIGHT", "COUNT", "5"}, nil},
		{m.c, []string{"RPUSH", "b2", "x", "y"}, []string{"RPUSH b2 x y", "RPOP b2 2"}},
		{c2, []string{"BLMOVE", "b3", "b4", "left", "right", "0"}, nil},
		{m.c, []string{"RPUSH", "b3", "x"}, []string{"RPUSH b3 x", "LMOVE b3 b4 left right"}}, // Redis 7.0 writes shared.left and shared.right
		{c2, []string{"BRPOPLPUSH", "b5", "b6", "0"}, nil},
		{m.c, []string{"LPUSH", "b5", "x"}, []string{"LPUSH b5 x", "RPOPLPUSH b5 b6"}},
		{c2, []string{"BLPOP", "b7", "0"}, nil},
		{m.c, []string{"MULTI"}, nil},
		{m.c, []string{"RPUSH", "b7", "x"}, nil},
		{m.c, []string{"RPUSH", "b7", "y"}, nil},
		{m.c, []string{"EXEC"}, []string{"MULTI", "RPUSH b7 x", "RPUSH b7 y", "EXEC", "LPOP b7"}},
	} {
		fed = nil
		run(tc.c, tc.args...)
		if strings.Join(fed, "|") != strings.Join(tc.want, "|") {
			t.Errorf("%q propagated %q, want %q", tc.args, fed, tc.want)
		}
	}
}
