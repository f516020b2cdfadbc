package cmds_test

import (
	"fmt"
	"math/bits"
	"math/rand/v2"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/redisfs/redisfs/core/cmds"
	"github.com/redisfs/redisfs/core/redistest"
)

// Tests of the generic key commands: the transcripts against a real Redis,
// randomized comparisons of what transcripts cannot hold (big keyspaces,
// random glob patterns, whole SCAN iterations, time passing), and
// in-process checks of SCAN's guarantee and of keyspace events.

func TestKeysTranscript(t *testing.T) {
	redistest.RunTranscriptFile(t, filepath.Join(redistest.RepoRoot(t), "testdata", "keys.txt"), nil)
}

func TestExpireTranscript(t *testing.T) {
	redistest.RunTranscriptFile(t, filepath.Join(redistest.RepoRoot(t), "testdata", "expire.txt"), nil)
}

// scanReply splits a SCAN reply into its cursor and keys.
func scanReply(t testing.TB, raw []byte) (uint64, []string) {
	t.Helper()
	r := parseReply(t, raw)
	if r.Type != '*' || len(r.Elems) != 2 {
		t.Fatalf("SCAN replied %s", redistest.Quote(raw))
	}
	cur, err := strconv.ParseUint(string(r.Elems[0].Str), 10, 64)
	if err != nil {
		t.Fatalf("SCAN cursor %q", r.Elems[0].Str)
	}
	var keys []string
	for _, e := range r.Elems[1].Elems {
		keys = append(keys, string(e.Str))
	}
	return cur, keys
}

// scanAll runs a whole SCAN iteration with the given options and returns
// the set of keys it returned.
func scanAll(t testing.TB, do func(args ...string) []byte, opts ...string) map[string]int {
	t.Helper()
	seen := map[string]int{}
	cursor := "0"
	for calls := 0; ; calls++ {
		if calls > 1000000 {
			t.Fatal("SCAN does not end")
		}
		cur, keys := scanReply(t, do(append([]string{"SCAN", cursor}, opts...)...))
		for _, k := range keys {
			seen[k]++
		}
		if cur == 0 {
			return seen
		}
		cursor = strconv.FormatUint(cur, 10)
	}
}

func sortedKeys(m map[string]int) []string {
	out := make([]string, 0, len(m))
	for k := range m {
		out = append(out, k)
	}
	slices.Sort(out)
	return out
}

// keysStartPair starts a real Redis and ours, with the same settings.
func keysStartPair(t *testing.T, mod func(*cmds.Config), redisArgs ...string) *redistest.Pair {
	t.Helper()
	ref := redistest.StartRedis(t, redisArgs...)
	ours, _ := redistest.StartServer(t, mod)
	return redistest.NewPair(t, ref, ours)
}

// keysSortedArray compares two array replies as sets of elements.
func keysSortedArray(t *testing.T, p *redistest.Pair, args ...string) {
	t.Helper()
	p.DoMode(redistest.Sorted, args...)
}

// TestGlobVersusRedis runs random patterns over random keys through KEYS
// on both servers: Redis's stringmatchlen is the reference.
func TestGlobVersusRedis(t *testing.T) {
	p := keysStartPair(t, nil)
	r := rand.New(rand.NewPCG(7, 8))
	alphabet := []byte("ab-]\\^[*?\x00\xff\x80Az")
	randomText := func(n int, from []byte) string {
		b := make([]byte, n)
		for i := range b {
			b[i] = from[r.IntN(len(from))]
		}
		return string(b)
	}
	keyAlphabet := []byte("ab-]\\^[*?\x00\xff\x80Az")
	for i := 0; i < 300; i++ {
		p.Do("SET", randomText(r.IntN(7), keyAlphabet), "1")
	}
	for i := 0; i < 3000; i++ {
		keysSortedArray(t, p, "KEYS", randomText(r.IntN(9), alphabet))
		if t.Failed() {
			return
		}
	}
}

// TestBigKeyspaceVersusRedis compares KEYS and whole SCAN iterations on a
// keyspace too big for a transcript, with every option.
func TestBigKeyspaceVersusRedis(t *testing.T) {
	p := keysStartPair(t, nil)
	const n = 3000
	for i := 0; i < n; i++ {
		key := fmt.Sprintf("key:%d", i)
		switch i % 3 {
		case 0:
			p.Do("SET", key, strconv.Itoa(i))
		case 1:
			p.Do("SETBIT", key, "5", "1")
		case 2:
			p.Do("SET", "other:"+strconv.Itoa(i), "x")
		}
	}
	for _, pat := range []string{"*", "key:*", "key:1*", "*9", "other:[0-4]*", "key:?", "key:??", "*:1?3", "nomatch"} {
		keysSortedArray(t, p, "KEYS", pat)
	}
	for _, opts := range [][]string{
		nil, {"COUNT", "1"}, {"COUNT", "7"}, {"COUNT", "100000"},
		{"MATCH", "key:1*"}, {"MATCH", "key:1*", "COUNT", "3"}, {"MATCH", "*"},
		{"TYPE", "string"}, {"TYPE", "list"}, {"MATCH", "other:*", "TYPE", "STRING", "COUNT", "50"},
	} {
		ref := scanAll(t, p.Ref.Do, opts...)
		ours := scanAll(t, p.Ours.Do, opts...)
		if !slices.Equal(sortedKeys(ref), sortedKeys(ours)) {
			t.Errorf("SCAN %v: redis returned %d keys, ours %d", opts, len(ref), len(ours))
		}
	}
	// One call with a big COUNT returns everything, cursor 0 included.
	raw := p.Ours.Do("SCAN", "0", "COUNT", "100000")
	cur, keys := scanReply(t, raw)
	if cur != 0 || len(keys) != n {
		t.Errorf("SCAN 0 COUNT 100000: cursor %d, %d keys", cur, len(keys))
	}
}

// TestExpiredKeysVersusRedis lets TTLs run out with the active expire
// cycle off on both servers, then compares what the commands that walk
// the keyspace do with logically expired keys: KEYS hides them, SCAN and
// RANDOMKEY delete them, SCAN TYPE none returns them.
func TestExpiredKeysVersusRedis(t *testing.T) {
	ref := redistest.StartRedis(t)
	ourAddr, s := redistest.StartServer(t, nil)
	p := redistest.NewPair(t, ref, ourAddr)
	if r := p.Ref.Do("DEBUG", "SET-ACTIVE-EXPIRE", "0"); string(r) != "+OK\r\n" {
		t.Fatalf("DEBUG SET-ACTIVE-EXPIRE: %s", redistest.Quote(r))
	}
	done := make(chan struct{})
	s.Post(func() { s.Srv.SetActiveExpire(false); close(done) })
	<-done

	expireSoon := func(keys ...string) {
		for _, k := range keys {
			p.Do("SET", k, "v", "PX", "1")
		}
		time.Sleep(20 * time.Millisecond)
	}
	p.Do("SET", "live", "1")
	expireSoon("a", "b", "c")
	keysSortedArray(t, p, "KEYS", "*")
	p.Do("EXISTS", "a", "b", "c", "live")
	p.Do("SCAN", "0", "COUNT", "1000")
	p.Do("KEYS", "*")
	p.Do("TTL", "a")

	expireSoon("a", "b")
	p.Do("SCAN", "0", "COUNT", "1000", "TYPE", "string")
	p.Do("KEYS", "*")

	expireSoon("x")
	p.Do("SCAN", "0", "COUNT", "1000", "TYPE", "none")
	p.Do("SCAN", "0", "COUNT", "1000", "TYPE", "none")
	p.Do("KEYS", "*")

	expireSoon("a")
	p.Do("SCAN", "0", "COUNT", "1000", "MATCH", "nomatch")
	p.Do("KEYS", "*")
	p.Do("DEL", "a")

	p.Do("DEL", "live")
	expireSoon("a", "b")
	p.Do("RANDOMKEY")
	p.Do("KEYS", "*")

	expireSoon("src", "dst")
	p.Do("SET", "dst", "v", "PX", "1")
	p.Do("SET", "src2", "v")
	time.Sleep(20 * time.Millisecond)
	p.Do("RENAME", "src", "x")
	p.Do("RENAME", "src2", "dst")
	p.Do("GET", "dst")
	expireSoon("m")
	p.Do("MOVE", "m", "1")
	p.Do("COPY", "m", "n")
	p.Do("EXPIRE", "m", "100")
	p.Do("PERSIST", "m")
	p.Do("DUMP", "m")
	p.Do("OBJECT", "ENCODING", "m")
	p.Do("TYPE", "m")
	p.Do("TOUCH", "m")
	p.Do("DEL", "m")
	expireSoon("r")
	p.Do("RESTORE", "r", "0", "\x00\xc0\x01\n\x00&x\xe7\xb6\xd1\x01\x11\xfc")
	p.Do("GET", "r")
}

// TestObjectLFUVersusRedis compares OBJECT FREQ, IDLETIME and REFCOUNT
// under an LFU policy with maxmemory set, where Redis tracks access
// frequencies and shares no integers. The logarithmic counter grows for
// sure only up to 5 (LFU_INIT_VAL), so the keys start below it.
func TestObjectLFUVersusRedis(t *testing.T) {
	p := keysStartPair(t, func(c *cmds.Config) {
		c.MaxMemory = 1 << 30
		c.MaxMemoryPolicy = "allkeys-lfu"
	}, "--maxmemory", "1gb", "--maxmemory-policy", "allkeys-lfu")
	const hello = "\x00\x05hello\n\x00cr\xdfve4 \n"
	for _, cmd := range [][]string{
		{"SET", "k", "v"}, {"OBJECT", "FREQ", "k"}, {"GET", "k"}, {"OBJECT", "FREQ", "k"},
		{"OBJECT", "IDLETIME", "k"}, {"OBJECT", "IDLETIME", "nokey"}, {"OBJECT", "FREQ", "nokey"},
		{"SET", "i", "5"}, {"OBJECT", "REFCOUNT", "i"},
		// An overwrite keeps the counter (after the lookup's increment).
		{"SET", "k2", "v"}, {"SET", "k2", "w"}, {"OBJECT", "FREQ", "k2"},
		{"RESTORE", "r", "0", hello, "FREQ", "0"}, {"OBJECT", "FREQ", "r"},
		{"RENAME", "r", "r1"}, {"OBJECT", "FREQ", "r1"},
		{"MOVE", "r1", "1"}, {"SELECT", "1"}, {"OBJECT", "FREQ", "r1"},
		{"COPY", "r1", "r2"}, {"OBJECT", "FREQ", "r2"}, {"OBJECT", "FREQ", "r1"},
		{"TYPE", "r1"}, {"EXISTS", "r1"}, {"TTL", "r1"}, {"OBJECT", "FREQ", "r1"},
		{"GET", "r1"}, {"OBJECT", "FREQ", "r1"},
		{"RESTORE", "r3", "0", hello, "IDLETIME", "100"}, {"OBJECT", "FREQ", "r3"},
		{"RESTORE", "r4", "0", hello, "FREQ", "255"}, {"OBJECT", "FREQ", "r4"},
		{"RESTORE", "r5", "0", hello, "FREQ", "3"}, {"TOUCH", "r5"}, {"OBJECT", "FREQ", "r5"},
		{"DUMP", "r5"}, {"OBJECT", "FREQ", "r5"},
	} {
		p.Do(cmd...)
	}
}

// TestObjectLRUWithMaxmemoryVersusRedis: an LRU policy with maxmemory
// also stops integer sharing.
func TestObjectLRUWithMaxmemoryVersusRedis(t *testing.T) {
	p := keysStartPair(t, func(c *cmds.Config) {
		c.MaxMemory = 1 << 30
		c.MaxMemoryPolicy = "volatile-lru"
	}, "--maxmemory", "1gb", "--maxmemory-policy", "volatile-lru")
	p.Do("SET", "i", "5")
	p.Do("OBJECT", "REFCOUNT", "i")
	p.Do("OBJECT", "FREQ", "i")
	p.Do("RESTORE", "r", "0", "\x00\x05hello\n\x00cr\xdfve4 \n", "IDLETIME", "100")
	p.Do("OBJECT", "IDLETIME", "r")
}

// TestScanGuarantee checks SCAN's promise: a key present from the start
// to the end of a full iteration is returned at least once, however the
// keyspace changes in between. Keys are added and deleted between calls;
// during the first part of the iteration the table grows, during the rest
// it shrinks, and either way it is left mid-rehash while the cursor is
// out (no cron runs: only the commands' own rehash steps move buckets).
func TestScanGuarantee(t *testing.T) {
	for _, count := range []int{1, 10, 100} {
		t.Run("COUNT "+strconv.Itoa(count), func(t *testing.T) {
			m := newMemServer(t, nil)
			db := m.srv.DBs[0]
			r := rand.New(rand.NewPCG(11, uint64(count)))
			everPresent := map[string]bool{}
			var stable, tmp []string
			for i := 0; i < 100; i++ {
				k := "stable:" + strconv.Itoa(i)
				stable = append(stable, k)
				everPresent[k] = true
				m.do("SET", k, "v")
			}
			nextTmp := 0
			addTmp := func() {
				k := "tmp:" + strconv.Itoa(nextTmp)
				nextTmp++
				tmp = append(tmp, k)
				everPresent[k] = true
				m.do("SET", k, "v")
			}
			delTmp := func() {
				j := r.IntN(len(tmp))
				m.do("DEL", tmp[j])
				tmp[j] = tmp[len(tmp)-1]
				tmp = tmp[:len(tmp)-1]
			}
			// Just below the load that makes 8192 buckets grow.
			for len(tmp) < 8192-100-20 {
				addTmp()
			}
			seen := map[string]bool{}
			cursor := uint64(0)
			var calls, growing, shrinking int
			shrunk := false
			for {
				cur, keys := scanReply(t, m.do("SCAN", strconv.FormatUint(cursor, 10), "COUNT", strconv.Itoa(count)))
				calls++
				for _, k := range keys {
					if !everPresent[k] {
						t.Fatalf("SCAN returned %q, which never existed", k)
					}
					seen[k] = true
				}
				if cur == 0 {
					break
				}
				cursor = cur
				// The cursor's bits reversed tell how far the
				// iteration has gone.
				done := float64(bits.Reverse64(cursor)) / (1 << 64)
				switch {
				case done < 0.3:
					addTmp()
					addTmp()
					addTmp()
					delTmp()
					if db.Dict.IsRehashing() {
						growing++
					}
				case len(tmp) > 0:
					for i := 0; i < 3000 && len(tmp) > 0; i++ {
						delTmp()
					}
				default:
					if !shrunk {
						db.Dict.ShrinkIfNeeded()
						shrunk = true
					}
					if db.Dict.IsRehashing() {
						shrinking++
					}
					addTmp()
					delTmp()
				}
			}
			for _, k := range stable {
				if !seen[k] {
					t.Errorf("SCAN missed %q", k)
				}
			}
			// A big COUNT ends the iteration in a few calls, before a
			// shrink has much chance to be caught halfway.
			if growing == 0 || shrinking == 0 && count <= 10 {
				t.Errorf("SCAN calls while the table was rehashing: %d growing, %d shrinking; want some of both", growing, shrinking)
			}
			t.Logf("%d calls, %d while growing, %d while shrinking, %d temporary keys", calls, growing, shrinking, nextTmp)
		})
	}
}

// TestScanCursorFromRehashingTable starts iterations from every cursor a
// previous call returned while the table was mid-rehash, so that cursors
// minted by the small table are resumed on the big one and back.
func TestScanCursorFromRehashingTable(t *testing.T) {
	m := newMemServer(t, nil)
	db := m.srv.DBs[0]
	for i := 0; i < 1024; i++ {
		m.do("SET", "k"+strconv.Itoa(i), "v")
	}
	// The 1025th key makes the table grow; no cron runs, so the rehash
	// only advances one bucket per dict operation.
	m.do("SET", "trigger", "v")
	if !db.Dict.IsRehashing() {
		t.Fatal("the table is not rehashing")
	}
	all := scanAll(t, m.do, "COUNT", "2")
	for i := 0; i < 1024; i++ {
		if all["k"+strconv.Itoa(i)] == 0 {
			t.Fatalf("k%d missed", i)
		}
	}
	if all["trigger"] == 0 {
		t.Fatal("trigger missed")
	}
}

// TestKeyspaceEvents checks the events each command raises, in order:
// they drive WATCH, the file server's caches and keyspace notifications.
func TestKeyspaceEvents(t *testing.T) {
	m := newMemServer(t, nil)
	var got []string
	m.srv.OnKeyspaceEvent(func(db int, key []byte, event string) {
		got = append(got, fmt.Sprintf("%d:%s:%s", db, event, key))
	})
	payload := string(redistestDump(t, m, "1"))
	for _, tc := range []struct {
		cmd  []string
		want string
	}{
		{[]string{"SET", "a", "1"}, "0:new:a 0:set:a"},
		{[]string{"DEL", "a", "nokey"}, "0:del:a"},
		{[]string{"SET", "a", "1"}, "0:new:a 0:set:a"},
		{[]string{"UNLINK", "a"}, "0:del:a"},
		{[]string{"SET", "a", "1"}, "0:new:a 0:set:a"},
		{[]string{"EXISTS", "nokey"}, "0:keymiss:nokey"},
		{[]string{"TYPE", "nokey"}, "0:keymiss:nokey"},
		{[]string{"OBJECT", "ENCODING", "nokey"}, ""},
		{[]string{"TTL", "nokey"}, "0:keymiss:nokey"},
		{[]string{"EXPIRE", "a", "100"}, "0:expire:a"},
		{[]string{"EXPIRE", "nokey", "100"}, ""},
		{[]string{"PERSIST", "a"}, "0:persist:a"},
		{[]string{"PERSIST", "a"}, ""},
		{[]string{"RENAME", "a", "b"}, "0:new:b 0:rename_from:a 0:rename_to:b"},
		{[]string{"SET", "c", "1"}, "0:new:c 0:set:c"},
		{[]string{"RENAME", "b", "c"}, "0:new:c 0:rename_from:b 0:rename_to:c"},
		{[]string{"RENAMENX", "c", "c"}, ""},
		{[]string{"MOVE", "c", "1"}, "1:new:c 0:move_from:c 1:move_to:c"},
		{[]string{"SELECT", "1"}, ""},
		{[]string{"COPY", "c", "d", "DB", "0"}, "0:new:d 0:copy_to:d"},
		{[]string{"SELECT", "0"}, ""},
		{[]string{"COPY", "d", "e"}, "0:new:e 0:copy_to:e"},
		{[]string{"COPY", "d", "e", "REPLACE"}, "0:new:e 0:copy_to:e"},
		{[]string{"RESTORE", "r", "0", payload}, "0:new:r 0:restore:r"},
		{[]string{"RESTORE", "r", "0", payload, "REPLACE"}, "0:new:r 0:restore:r"},
		{[]string{"RESTORE", "r", "1", payload, "REPLACE", "ABSTTL"}, "0:del:r"},
		{[]string{"RESTORE", "r", "1", payload, "ABSTTL"}, ""},
		{[]string{"EXPIRE", "e", "-1"}, "0:del:e"},
		{[]string{"SET", "x", "1", "PX", "1"}, "0:new:x 0:set:x 0:expire:x"},
		{[]string{"DEBUG-SLEEP"}, ""},
		{[]string{"DEL", "x"}, "0:expired:x"},
		{[]string{"SET", "x", "1", "PX", "1"}, "0:new:x 0:set:x 0:expire:x"},
		{[]string{"DEBUG-SLEEP"}, ""},
		{[]string{"SCAN", "0"}, "0:expired:x"},
		{[]string{"SET", "x", "1", "PX", "1"}, "0:new:x 0:set:x 0:expire:x"},
		{[]string{"DEBUG-SLEEP"}, ""},
		{[]string{"KEYS", "*"}, ""},
		{[]string{"GET", "x"}, "0:expired:x 0:keymiss:x"},
	} {
		got = got[:0]
		if tc.cmd[0] == "DEBUG-SLEEP" {
			time.Sleep(5 * time.Millisecond)
			continue
		}
		reply := m.do(tc.cmd...)
		if s := strings.Join(got, " "); s != tc.want {
			t.Errorf("%v (reply %s): events %q, want %q", tc.cmd, redistest.Quote(reply), s, tc.want)
		}
	}
}

// redistestDump returns the DUMP payload of value, made by m.
func redistestDump(t testing.TB, m *memServer, value string) []byte {
	t.Helper()
	m.do("SET", "__dump", value)
	r := parseReply(t, m.do("DUMP", "__dump"))
	m.do("DEL", "__dump")
	return r.Str
}

// TestRandomkeyReturnsEveryKey checks that RANDOMKEY only returns keys
// that exist and, over many draws, every one of them.
func TestRandomkeyReturnsEveryKey(t *testing.T) {
	m := newMemServer(t, nil)
	for i := 0; i < 20; i++ {
		m.do("SET", "k"+strconv.Itoa(i), "v")
	}
	seen := map[string]bool{}
	for i := 0; i < 5000; i++ {
		r := parseReply(t, m.do("RANDOMKEY"))
		if !strings.HasPrefix(string(r.Str), "k") {
			t.Fatalf("RANDOMKEY = %q", r.Str)
		}
		seen[string(r.Str)] = true
	}
	if len(seen) != 20 {
		t.Errorf("RANDOMKEY returned %d distinct keys of 20", len(seen))
	}
}

func BenchmarkSCAN(b *testing.B) {
	m := newMemServer(b, nil)
	for i := 0; i < 100000; i++ {
		m.do("SET", "key:"+strconv.Itoa(i), "v")
	}
	b.ResetTimer()
	cursor := "0"
	for i := 0; i < b.N; i++ {
		cur, _ := scanReply(b, m.do("SCAN", cursor, "COUNT", "100", "MATCH", "key:1*"))
		cursor = strconv.FormatUint(cur, 10)
	}
}

func BenchmarkKEYSPattern(b *testing.B) {
	m := newMemServer(b, nil)
	for i := 0; i < 10000; i++ {
		m.do("SET", "key:"+strconv.Itoa(i), "v")
	}
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		m.do("KEYS", "key:1*[0-5]")
	}
}
