package cmds_test

import (
	"fmt"
	"math"
	"math/rand/v2"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"testing"

	"github.com/redisfs/redisfs/core/cmds"
	"github.com/redisfs/redisfs/core/redistest"
)

// Tests of the set family: the transcript against a real Redis, randomized
// comparisons of what a transcript cannot hold (random contents, whole
// SSCAN iterations, keyspace events and the dirty counter), and checks of
// the random commands' replies (membership, counts, spread).

func TestSetsTranscript(t *testing.T) {
	redistest.RunTranscriptFile(t, filepath.Join(redistest.RepoRoot(t), "testdata", "sets.txt"), nil)
}

// szStrings returns the bulk strings of an aggregate reply.
func szStrings(t testing.TB, raw []byte) []string {
	t.Helper()
	r := parseReply(t, raw)
	out := make([]string, 0, len(r.Elems))
	for _, e := range r.Elems {
		out = append(out, string(e.Str))
	}
	return out
}

// szInt returns the value of an integer reply.
func szInt(t testing.TB, raw []byte) int64 {
	t.Helper()
	r := parseReply(t, raw)
	if r.Type != ':' {
		t.Fatalf("not an integer: %s", redistest.Quote(raw))
	}
	return r.Int
}

// szPair starts a real Redis and our server and connects to both.
func szPair(t testing.TB, mod func(*cmds.Config)) *redistest.Pair {
	t.Helper()
	ref := redistest.StartRedis(t)
	ours, _ := redistest.StartServer(t, mod)
	return redistest.NewPair(t, ref, ours)
}

// szMember returns a random member: mostly small integers (intset
// material), sometimes strings, non-canonical integers or big integers.
func szMember(r *rand.Rand, intsOnly bool) string {
	if intsOnly || r.IntN(4) != 0 {
		return strconv.Itoa(r.IntN(60) - 10)
	}
	switch r.IntN(5) {
	case 0:
		return "0" + strconv.Itoa(r.IntN(10))
	case 1:
		return strconv.FormatInt(r.Int64N(math.MaxInt64), 10)
	case 2:
		return ""
	}
	return string(rune('a' + r.IntN(26)))
}

// TestSetsVersusRedis runs random writes and reads on a few keys against
// both servers, comparing every reply (unordered ones sorted) and the
// encoding after each write, with a small set-max-intset-entries so that
// conversions happen often.
func TestSetsVersusRedis(t *testing.T) {
	p := szPair(t, nil)
	p.Do("CONFIG", "SET", "set-max-intset-entries", "16")
	r := rand.New(rand.NewPCG(11, 12))
	keys := []string{"s1", "s2", "s3", "s4"}
	key := func() string { return keys[r.IntN(len(keys))] }
	for i := 0; i < 3000; i++ {
		intsOnly := r.IntN(3) == 0
		var args []string
		mode := redistest.Exact
		switch r.IntN(14) {
		case 0, 1, 2:
			args = []string{"SADD", key()}
			for n := 1 + r.IntN(6); n > 0; n-- {
				args = append(args, szMember(r, intsOnly))
			}
		case 3:
			args = []string{"SREM", key()}
			for n := 1 + r.IntN(4); n > 0; n-- {
				args = append(args, szMember(r, intsOnly))
			}
		case 4:
			args = []string{"SMOVE", key(), key(), szMember(r, intsOnly)}
		case 5:
			args = []string{"SISMEMBER", key(), szMember(r, false)}
		case 6:
			args = []string{"SMISMEMBER", key(), szMember(r, false), szMember(r, false)}
		case 7:
			args = []string{"SCARD", key()}
		case 8:
			args = []string{[]string{"SINTER", "SUNION", "SDIFF", "SMEMBERS"}[r.IntN(4)], key()}
			if args[0] != "SMEMBERS" {
				for n := r.IntN(3); n > 0; n-- {
					args = append(args, key())
				}
			}
			mode = redistest.Sorted
		case 9:
			args = []string{[]string{"SINTERSTORE", "SUNIONSTORE", "SDIFFSTORE"}[r.IntN(3)], key(), key()}
			for n := r.IntN(3); n > 0; n-- {
				args = append(args, key())
			}
		case 10:
			args = []string{"SINTERCARD", "2", key(), key()}
			if r.IntN(2) == 0 {
				args = append(args, "LIMIT", strconv.Itoa(r.IntN(5)))
			}
		case 11:
			args = []string{"OBJECT", "ENCODING", key()}
		case 12:
			// Deterministic SPOP and SRANDMEMBER forms: the whole set.
			k := key()
			card := szInt(t, p.Ours.Do("SCARD", k))
			args = []string{[]string{"SPOP", "SRANDMEMBER"}[r.IntN(2)], k, strconv.FormatInt(card+int64(r.IntN(3)), 10)}
			mode = redistest.Sorted
			if card == 0 {
				args[2] = "0"
			}
		case 13:
			args = []string{"SORT", key(), "ALPHA"}
		}
		p.DoMode(mode, args...)
		if t.Failed() {
			t.Fatalf("after step %d: %q", i, args)
		}
	}
	for _, k := range keys {
		p.DoMode(redistest.Sorted, "SMEMBERS", k)
		p.Do("OBJECT", "ENCODING", k)
	}
}

// TestSscanFullIteration scans big hashtable sets to the end with various
// COUNTs and compares the members seen with SMEMBERS, and with Redis.
func TestSscanFullIteration(t *testing.T) {
	p := szPair(t, nil)
	var args []string
	for i := 0; i < 3000; i++ {
		args = append(args, fmt.Sprint("m", i))
	}
	p.Do(append([]string{"SADD", "big"}, args...)...)
	scanAll := func(c *redistest.Conn, count string, match string) []string {
		seen := map[string]bool{}
		cursor := "0"
		for calls := 0; ; calls++ {
			if calls > 100000 {
				t.Fatal("SSCAN does not end")
			}
			a := []string{"SSCAN", "big", cursor, "COUNT", count}
			if match != "" {
				a = append(a, "MATCH", match)
			}
			rep := parseReply(t, c.Do(a...))
			cursor = string(rep.Elems[0].Str)
			for _, e := range rep.Elems[1].Elems {
				seen[string(e.Str)] = true
			}
			if cursor == "0" {
				break
			}
		}
		out := make([]string, 0, len(seen))
		for k := range seen {
			out = append(out, k)
		}
		slices.Sort(out)
		return out
	}
	for _, count := range []string{"1", "10", "100", "5000"} {
		for _, match := range []string{"", "m1*", "*7"} {
			got := scanAll(p.Ours, count, match)
			want := scanAll(p.Ref, count, match)
			if !slices.Equal(got, want) {
				t.Errorf("SSCAN COUNT %s MATCH %q: %d members, Redis %d", count, match, len(got), len(want))
			}
		}
	}
}

// TestSetRandomReplies checks SPOP and SRANDMEMBER on both encodings:
// counts, membership, distinctness, and that every member turns up.
func TestSetRandomReplies(t *testing.T) {
	for _, members := range [][]string{
		{"1", "2", "3", "4", "5", "6", "7", "8", "9", "10"},
		{"a", "b", "c", "d", "e", "f", "g", "h", "i", "j"},
	} {
		m := newMemServer(t, nil)
		m.do(append([]string{"SADD", "s"}, members...)...)
		in := func(v string) bool { return slices.Contains(members, v) }
		seen := map[string]int{}
		for i := 0; i < 2000; i++ {
			v := string(parseReply(t, m.do("SRANDMEMBER", "s")).Str)
			if !in(v) {
				t.Fatalf("SRANDMEMBER returned %q", v)
			}
			seen[v]++
		}
		for _, v := range members {
			// Each of 10 members is expected 200 times out of 2000.
			if seen[v] < 100 || seen[v] > 320 {
				t.Errorf("SRANDMEMBER returned %q %d times out of 2000", v, seen[v])
			}
		}
		for _, count := range []int{1, 2, 3, 5, 8, 9, 10, 15} {
			got := szStrings(t, m.do("SRANDMEMBER", "s", strconv.Itoa(count)))
			want := min(count, len(members))
			if len(got) != want {
				t.Fatalf("SRANDMEMBER s %d returned %d members", count, len(got))
			}
			u := map[string]bool{}
			for _, v := range got {
				if !in(v) || u[v] {
					t.Fatalf("SRANDMEMBER s %d: %q repeated or foreign in %q", count, v, got)
				}
				u[v] = true
			}
			neg := szStrings(t, m.do("SRANDMEMBER", "s", strconv.Itoa(-count)))
			if len(neg) != count {
				t.Fatalf("SRANDMEMBER s -%d returned %d members", count, len(neg))
			}
			for _, v := range neg {
				if !in(v) {
					t.Fatalf("SRANDMEMBER s -%d returned %q", count, v)
				}
			}
		}
		// SPOP with a count, in both strategies (few and most members).
		for _, count := range []int{1, 2, 8, 9} {
			m.do("DEL", "p")
			m.do(append([]string{"SADD", "p"}, members...)...)
			popped := szStrings(t, m.do("SPOP", "p", strconv.Itoa(count)))
			rest := szStrings(t, m.do("SMEMBERS", "p"))
			all := append(slices.Clone(popped), rest...)
			slices.Sort(all)
			want := slices.Clone(members)
			slices.Sort(want)
			if len(popped) != count || !slices.Equal(all, want) {
				t.Fatalf("SPOP p %d: popped %q, left %q", count, popped, rest)
			}
		}
		m.do("DEL", "p")
		m.do(append([]string{"SADD", "p"}, members...)...)
		var popped []string
		for i := 0; i < len(members); i++ {
			popped = append(popped, string(parseReply(t, m.do("SPOP", "p")).Str))
		}
		slices.Sort(popped)
		want := slices.Clone(members)
		slices.Sort(want)
		if !slices.Equal(popped, want) {
			t.Fatalf("SPOP one at a time gave %q", popped)
		}
		if string(m.do("EXISTS", "p")) != ":0\r\n" {
			t.Fatal("SPOP of the last member left the key")
		}
	}
}

// TestSpopKeepsIntsetWhenFewRemain checks the observable side effect of
// SPOP's second strategy: the members that stay are moved to a new set,
// created for the first of them, so a hashtable of integers becomes an
// intset again (as in Redis).
func TestSpopKeepsIntsetWhenFewRemain(t *testing.T) {
	p := szPair(t, nil)
	p.Do("CONFIG", "SET", "set-max-intset-entries", "8")
	args := []string{"SADD", "s"}
	for i := 0; i < 20; i++ {
		args = append(args, strconv.Itoa(i))
	}
	p.Do(args...)
	p.Do("OBJECT", "ENCODING", "s")
	p.DoMode(redistest.Any, "SPOP", "s", "17")
	p.Do("SCARD", "s")
	p.Do("OBJECT", "ENCODING", "s")
}

// szEvents connects to addr, subscribes to every keyspace event and
// returns a function that collects the events up to the marker
// (SET __mark__, which szCompareEffects sends after each command).
func szEvents(t *testing.T, addr string) func() []string {
	t.Helper()
	c := redistest.Dial(t, addr)
	c.Do("PSUBSCRIBE", "__key*__:*")
	return func() []string {
		var out []string
		// The marker always comes: wait as long as it may take.
		c.Timeout = redistest.WaitTime
		for {
			raw, err := c.TryReadReply()
			if err != nil {
				break
			}
			r := parseReply(t, raw)
			if len(r.Elems) == 4 {
				out = append(out, string(r.Elems[2].Str)+" "+string(r.Elems[3].Str))
			}
			// A marker command ends each batch.
			if len(r.Elems) == 4 && string(r.Elems[3].Str) == "__mark__" {
				break
			}
		}
		return out
	}
}

// szDirty returns rdb_changes_since_last_save from INFO persistence.
func szDirty(t *testing.T, c *redistest.Conn) int64 {
	t.Helper()
	info := string(parseReply(t, c.Do("INFO", "persistence")).Str)
	for _, line := range strings.Split(info, "\r\n") {
		if v, ok := strings.CutPrefix(line, "rdb_changes_since_last_save:"); ok {
			n, _ := strconv.ParseInt(v, 10, 64)
			return n
		}
	}
	t.Fatal("no rdb_changes_since_last_save in INFO")
	return 0
}

// szCompareEffects runs each command on both servers and compares its
// reply (as mode says), the keyspace events it fired (keyspace and keyevent
// channels) and how much it moved the dirty counter.
func szCompareEffects(t *testing.T, p *redistest.Pair, refEvents, ourEvents func() []string, mode redistest.Mode, script [][]string) {
	t.Helper()
	for _, args := range script {
		d0, o0 := szDirty(t, p.Ref), szDirty(t, p.Ours)
		p.DoMode(mode, args...)
		d1, o1 := szDirty(t, p.Ref), szDirty(t, p.Ours)
		if d1-d0 != o1-o0 {
			t.Errorf("%q: dirty += %d, Redis += %d", args, o1-o0, d1-d0)
		}
		p.Do("SET", "__mark__", "1")
		want, got := refEvents(), ourEvents()
		if !slices.Equal(want, got) {
			t.Errorf("%q: events\n    redis: %q\n    ours:  %q", args, want, got)
		}
	}
}

// TestSetKeyspaceEvents compares the events and dirty counts of every
// set write, including the "del" of an emptied key and no event at all
// when nothing changes.
func TestSetKeyspaceEvents(t *testing.T) {
	p := szPair(t, nil)
	p.Do("CONFIG", "SET", "notify-keyspace-events", "KEA")
	refEv, ourEv := szEvents(t, p.Ref.NetConn().RemoteAddr().String()), szEvents(t, p.Ours.NetConn().RemoteAddr().String())
	script := [][]string{
		{"SADD", "s", "1", "2", "3"}, {"SADD", "s", "1"}, {"SADD", "s", "a"},
		{"SREM", "s", "9"}, {"SREM", "s", "1", "9"}, {"SREM", "s", "2", "3", "a"},
		{"SADD", "a", "1", "2"}, {"SADD", "b", "2", "3"},
		{"SMOVE", "a", "b", "1"}, {"SMOVE", "a", "b", "2"}, {"SMOVE", "a", "b", "9"}, {"SMOVE", "b", "c", "3"},
		{"SMOVE", "b", "b", "1"},
		{"SINTERSTORE", "d", "b", "c"}, {"SINTERSTORE", "d", "b", "b"}, {"SINTERSTORE", "d", "b", "nokey"},
		{"SINTERSTORE", "d", "nokey"},
		{"SUNIONSTORE", "d", "b", "c"}, {"SDIFFSTORE", "d", "b", "c"}, {"SDIFFSTORE", "d", "b", "b"},
		{"SDIFFSTORE", "d", "b", "b"},
		{"SADD", "p", "x"}, {"SPOP", "p"}, {"SPOP", "p"},
		{"SADD", "p", "x", "y"}, {"SPOP", "p", "0"}, {"SPOP", "p", "5"},
		{"SADD", "p", "1", "2", "3", "4", "5", "6", "7", "8", "9", "10"}, {"SPOP", "p", "2"}, {"SPOP", "p", "7"},
		{"SORT", "b", "STORE", "l"}, {"SORT", "nokey", "STORE", "l"}, {"SORT", "nokey", "STORE", "l"},
		{"SCARD", "b"}, {"SMEMBERS", "b"},
	}
	szCompareEffects(t, p, refEv, ourEv, redistest.Any, script)
}

func BenchmarkSADD(b *testing.B) {
	m := newMemServer(b, nil)
	req := redistest.Command("SADD", "bench", "member:000000000000")
	b.ReportAllocs()
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		// A distinct member each time, written over the request bytes.
		v := strconv.AppendInt(nil, int64(i%1000000), 10)
		copy(req[len(req)-2-len(v):], v)
		m.c.QueryBuf = append(m.c.QueryBuf, req...)
		m.c.ProcessInputBuffer()
		m.c.ResetReply()
	}
}

func BenchmarkSADDIntset(b *testing.B) {
	m := newMemServer(b, nil)
	b.ReportAllocs()
	for i := 0; i < b.N; i++ {
		v := strconv.Itoa(i % 512)
		m.c.QueryBuf = fmt.Appendf(m.c.QueryBuf, "*3\r\n$4\r\nSADD\r\n$2\r\nis\r\n$%d\r\n%s\r\n", len(v), v)
		m.c.ProcessInputBuffer()
		m.c.ResetReply()
	}
}

func BenchmarkSPOP(b *testing.B) {
	m := newMemServer(b, nil)
	const n = 100000
	args := []string{"SADD", "s"}
	for i := 0; i < n; i++ {
		args = append(args, fmt.Sprint("element:", i))
	}
	req := redistest.Command("SPOP", "s")
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
