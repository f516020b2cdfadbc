package cmds_test

import (
	"bufio"
	"fmt"
	"math/rand/v2"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/redisfs/redisfs/core/proto"
	"github.com/redisfs/redisfs/core/redistest"
)

// Tests of the hash family: the transcript, a randomized comparison with
// Redis over both encodings (dirty counts and WATCH included), HSCAN and
// HRANDFIELD on hashtables (whose order differs from Redis's), and
// benchmarks.

func TestHashesTranscript(t *testing.T) {
	redistest.RunTranscriptFile(t, filepath.Join(redistest.RepoRoot(t), "testdata", "hashes.txt"), nil)
}

func hField(r *rand.Rand) string {
	switch r.IntN(8) {
	case 0:
		return strconv.Itoa(r.IntN(30))
	case 1:
		return strings.Repeat("f", 60+r.IntN(8)) // around hash-max-listpack-value
	}
	return "f" + strconv.Itoa(r.IntN(40))
}

func hValue(r *rand.Rand) string {
	switch r.IntN(8) {
	case 0, 1:
		return strconv.Itoa(r.IntN(1000) - 500)
	case 2:
		return strings.Repeat("v", 60+r.IntN(8))
	case 3:
		return strconv.FormatFloat(r.Float64()*100, 'f', -1, 64)
	case 4:
		return ""
	}
	return "v" + strconv.Itoa(r.IntN(100))
}

// hRandomCommand returns a random hash command on h1/h2 and the mode its
// reply is compared in.
func hRandomCommand(r *rand.Rand) ([]string, redistest.Mode) {
	key := []string{"h1", "h2"}[r.IntN(2)]
	switch r.IntN(16) {
	case 0, 1, 2, 3:
		args := []string{[]string{"HSET", "HMSET"}[r.IntN(2)], key}
		for n := 1 + r.IntN(6); n > 0; n-- {
			args = append(args, hField(r), hValue(r))
		}
		return args, redistest.Exact
	case 4:
		return []string{"HSETNX", key, hField(r), hValue(r)}, redistest.Exact
	case 5:
		args := []string{"HDEL", key}
		for n := 1 + r.IntN(3); n > 0; n-- {
			args = append(args, hField(r))
		}
		return args, redistest.Exact
	case 6:
		return []string{"HINCRBY", key, hField(r), strconv.Itoa(r.IntN(100) - 50)}, redistest.Exact
	case 7:
		return []string{"HINCRBYFLOAT", key, hField(r), strconv.FormatFloat(r.Float64()*10-5, 'g', -1, 64)}, redistest.Exact
	case 8:
		return []string{"HGET", key, hField(r)}, redistest.Exact
	case 9:
		return []string{"HMGET", key, hField(r), hField(r), hField(r)}, redistest.Exact
	case 10:
		return []string{"HSTRLEN", key, hField(r)}, redistest.Exact
	case 11:
		return []string{"HEXISTS", key, hField(r)}, redistest.Exact
	case 12:
		return []string{"HLEN", key}, redistest.Exact
	case 13:
		return []string{[]string{"HKEYS", "HVALS", "HGETALL"}[r.IntN(3)], key}, redistest.Sorted
	case 14:
		return []string{"OBJECT", "ENCODING", key}, redistest.Exact
	}
	return []string{"HRANDFIELD", key, strconv.Itoa(r.IntN(10) - 5), "WITHVALUES"}, redistest.Any
}

// TestHashesVersusRedis runs random hash commands on both servers with
// several thresholds, so that hashes go from listpack to hashtable in
// every way, comparing replies, dirty counts and WATCH invalidation.
func TestHashesVersusRedis(t *testing.T) {
	lp := newLhPair(t)
	for round, entries := range []string{"128", "8", "3", "0"} {
		lp.do(redistest.Exact, nil, "CONFIG", "SET", "hash-max-listpack-entries", entries)
		lp.do(redistest.Exact, nil, "DEL", "h1", "h2")
		r := rand.New(rand.NewPCG(uint64(round), 7))
		for i := 0; i < 400; i++ {
			args, mode := hRandomCommand(r)
			lp.do(mode, []string{"h1", "h2"}[:1+r.IntN(2)], args...)
			if i%20 == 0 {
				// A listpack hash, byte for byte (a hashtable's DUMP
				// follows its iteration order, which differs).
				for _, k := range []string{"h1", "h2"} {
					if string(lp.p.Ref.Do("OBJECT", "ENCODING", k)) == "$8\r\nlistpack\r\n" {
						lp.do(redistest.Exact, nil, "DUMP", k)
					}
				}
			}
		}
	}
}

// hParse parses one complete reply.
func hParse(t *testing.T, raw []byte) proto.Reply {
	t.Helper()
	r, n, err := proto.ReadReply(raw)
	if err != nil || n != len(raw) {
		t.Fatalf("bad reply %s: %v", redistest.Quote(raw), err)
	}
	return r
}

// hscanAll runs a full HSCAN iteration and returns the field -> value map
// and how often each field was returned.
func hscanAll(t *testing.T, c *redistest.Conn, key string, extra ...string) (map[string]string, map[string]int) {
	t.Helper()
	vals, seen := map[string]string{}, map[string]int{}
	cursor := "0"
	for {
		r := hParse(t, c.Do(append([]string{"HSCAN", key, cursor}, extra...)...))
		if len(r.Elems) != 2 {
			t.Fatalf("HSCAN reply %+v", r)
		}
		cursor = string(r.Elems[0].Str)
		items := r.Elems[1].Elems
		for i := 0; i+1 < len(items); i += 2 {
			f := string(items[i].Str)
			vals[f] = string(items[i+1].Str)
			seen[f]++
		}
		if cursor == "0" {
			return vals, seen
		}
	}
}

// TestHscanFullIteration checks that a full HSCAN of a hashtable returns
// every field once, with its value, as Redis's does (with MATCH and
// COUNT), also while the table grows between calls.
func TestHscanFullIteration(t *testing.T) {
	p := redistest.NewPair(t, redistest.StartRedis(t), func() string { a, _ := redistest.StartServer(t, nil); return a }())
	for i := 0; i < 1000; i += 50 {
		args := []string{"HSET", "h"}
		for j := i; j < i+50; j++ {
			args = append(args, "field:"+strconv.Itoa(j), strconv.Itoa(j*7))
		}
		p.Do(args...)
	}
	p.Do("OBJECT", "ENCODING", "h")
	for _, extra := range [][]string{nil, {"COUNT", "3"}, {"COUNT", "100"}, {"MATCH", "field:1*"}, {"MATCH", "*9", "COUNT", "7"}} {
		rv, _ := hscanAll(t, p.Ref, "h", extra...)
		ov, oseen := hscanAll(t, p.Ours, "h", extra...)
		if len(rv) != len(ov) {
			t.Errorf("HSCAN %v: %d fields, Redis %d", extra, len(ov), len(rv))
		}
		for f, v := range rv {
			if ov[f] != v {
				t.Errorf("HSCAN %v: field %q = %q, Redis %q", extra, f, ov[f], v)
			}
			if oseen[f] != 1 {
				t.Errorf("HSCAN %v: field %q returned %d times", extra, f, oseen[f])
			}
		}
	}
	// Fields present from start to end are returned despite rehashing.
	c := p.Ours
	cursor := "0"
	got := map[string]bool{}
	for n := 1000; ; n += 100 {
		r := hParse(t, c.Do("HSCAN", "h", cursor, "COUNT", "20"))
		cursor = string(r.Elems[0].Str)
		for i := 0; i < len(r.Elems[1].Elems); i += 2 {
			got[string(r.Elems[1].Elems[i].Str)] = true
		}
		if cursor == "0" {
			break
		}
		args := []string{"HSET", "h"}
		for j := n; j < n+100; j++ {
			args = append(args, "field:"+strconv.Itoa(j), "x")
		}
		c.Do(args...)
	}
	for i := 0; i < 1000; i++ {
		if !got["field:"+strconv.Itoa(i)] {
			t.Fatalf("field:%d missed by HSCAN while the hash grew", i)
		}
	}
}

// TestHrandfieldReplies checks the shape of HRANDFIELD's random replies on
// both encodings and both protocols against Redis's: lengths, distinct
// fields for a positive count, values matching their fields.
func TestHrandfieldReplies(t *testing.T) {
	p := redistest.NewPair(t, redistest.StartRedis(t), func() string { a, _ := redistest.StartServer(t, nil); return a }())
	for _, n := range []int{5, 100, 300} {
		key := "h" + strconv.Itoa(n)
		args := []string{"HSET", key}
		for i := 0; i < n; i++ {
			args = append(args, "f"+strconv.Itoa(i), "v"+strconv.Itoa(i))
		}
		p.Do(args...)
	}
	for _, resp := range []string{"2", "3"} {
		p.Ref.Do("HELLO", resp)
		p.Ours.Do("HELLO", resp)
		for _, key := range []string{"h5", "h100", "h300"} {
			for _, count := range []int{1, 2, 4, 5, 20, 90, 99, 100, 150, 299, 300, 301, -1, -3, -50, -400} {
				for _, wv := range []bool{false, true} {
					args := []string{"HRANDFIELD", key, strconv.Itoa(count)}
					if wv {
						args = append(args, "WITHVALUES")
					}
					ref := hrandShape(t, p.Ref.Do(args...), wv, resp == "3", count > 0)
					ours := hrandShape(t, p.Ours.Do(args...), wv, resp == "3", count > 0)
					if ref != ours {
						t.Errorf("%v RESP%s: shape %s, Redis %s", args, resp, ours, ref)
					}
				}
			}
		}
	}
	// Without a count: a bulk string naming a field.
	for i := 0; i < 20; i++ {
		r := hParse(t, p.Ours.Do("HRANDFIELD", "h100"))
		if r.Type != '$' || !strings.HasPrefix(string(r.Str), "f") {
			t.Fatalf("HRANDFIELD h100 = %+v", r)
		}
	}
}

// hrandShape describes an HRANDFIELD reply: its length, whether the pairs
// match (field fN with value vN), and whether fields are distinct.
func hrandShape(t *testing.T, raw []byte, withValues, resp3, wantDistinct bool) string {
	t.Helper()
	r := hParse(t, raw)
	var fields []string
	switch {
	case withValues && resp3:
		for _, pair := range r.Elems {
			if len(pair.Elems) != 2 || "v"+string(pair.Elems[0].Str[1:]) != string(pair.Elems[1].Str) {
				return fmt.Sprintf("bad pair %+v", pair)
			}
			fields = append(fields, string(pair.Elems[0].Str))
		}
	case withValues:
		for i := 0; i+1 < len(r.Elems); i += 2 {
			if "v"+string(r.Elems[i].Str[1:]) != string(r.Elems[i+1].Str) {
				return "bad pair"
			}
			fields = append(fields, string(r.Elems[i].Str))
		}
	default:
		for _, e := range r.Elems {
			fields = append(fields, string(e.Str))
		}
	}
	sorted := slices.Clone(fields)
	slices.Sort(sorted)
	distinct := len(slices.Compact(sorted)) == len(fields)
	if wantDistinct && !distinct {
		return "repeated fields"
	}
	return fmt.Sprintf("%c%d fields=%d", r.Type, len(r.Elems), len(fields))
}

// TestHashMemory loads 100,000 hashes of 10 small fields into a real
// redis-server and into our server (the redisfs binary, each in a process
// of its own) and reports both RSS values; the goal is ours ≤ 1.5×
// Redis's. It is slow, so it runs only with REDISFS_MEMTEST=1.
func TestHashMemory(t *testing.T) {
	if os.Getenv("REDISFS_MEMTEST") == "" {
		t.Skip("set REDISFS_MEMTEST=1 to measure the RSS of 100,000 small hashes")
	}
	const hashes = 100000
	redisBin, err := exec.LookPath("redis-server")
	if err != nil {
		t.Skip("redis-server is not installed")
	}
	bin := redistest.BuildRedisfs(t)
	// load pipelines the HSETs (as redis-cli --pipe would) and reads the
	// replies concurrently.
	load := func(addr string) {
		nc, err := net.Dial("tcp", addr)
		if err != nil {
			t.Fatal(err)
		}
		defer nc.Close()
		done := make(chan error, 1)
		go func() {
			rd := bufio.NewReader(nc)
			for i := 0; i < hashes; i++ {
				line, err := rd.ReadString('\n')
				if err != nil || line != ":10\r\n" {
					done <- fmt.Errorf("HSET replied %q (%v)", line, err)
					return
				}
			}
			done <- nil
		}()
		w := bufio.NewWriterSize(nc, 1<<20)
		for i := 0; i < hashes; i++ {
			args := []string{"HSET", "hash:" + strconv.Itoa(i)}
			for j := 0; j < 10; j++ {
				args = append(args, "field"+strconv.Itoa(j), fmt.Sprintf("value-%d-%d", i, j))
			}
			w.Write(redistest.Command(args...))
		}
		w.Flush()
		if err := <-done; err != nil {
			t.Fatal(err)
		}
	}
	rss := func(pid int) int64 {
		b, err := os.ReadFile(fmt.Sprintf("/proc/%d/status", pid))
		if err != nil {
			t.Fatal(err)
		}
		for _, line := range strings.Split(string(b), "\n") {
			if v, ok := strings.CutPrefix(line, "VmRSS:"); ok {
				kb, _ := strconv.ParseInt(strings.Fields(v)[0], 10, 64)
				return kb << 10
			}
		}
		return 0
	}
	run := func(name string, argv ...string) int64 {
		p := redistest.StartProcess(t, t.TempDir(), 0, append(argv, "--port", redistest.PortArg)...)
		defer p.Kill()
		cmd, addr := p.Cmd, p.Addr
		before := rss(cmd.Process.Pid)
		load(addr)
		time.Sleep(3 * time.Second) // our GC tuning runs from the cron
		c := redistest.Dial(t, addr)
		if got := string(c.Do("DBSIZE")); got != ":100000\r\n" {
			t.Fatalf("%s: DBSIZE = %q", name, got)
		}
		if got := string(c.Do("OBJECT", "ENCODING", "hash:7")); got != "$8\r\nlistpack\r\n" {
			t.Fatalf("%s: encoding %q", name, got)
		}
		after := rss(cmd.Process.Pid)
		t.Logf("%s: RSS %d MB empty, %d MB with the hashes", name, before>>20, after>>20)
		return after
	}
	ref := run("redis-server", redisBin, "--save", "", "--appendonly", "no", "--bind", "127.0.0.1")
	ours := run("redisfs", bin, "serve", "--save", "", "--appendonly", "no", "--bind", "127.0.0.1")
	ratio := float64(ours) / float64(ref)
	t.Logf("RSS with 100,000 hashes of 10 fields: redis-server %d MB, redisfs %d MB, ratio %.2f", ref>>20, ours>>20, ratio)
	if ratio > 1.5 {
		t.Errorf("redisfs uses %.2f× redis-server's RSS (goal ≤ 1.5×)", ratio)
	}
}

func BenchmarkHSET(b *testing.B) {
	m := newMemServer(b, nil)
	// Updates and inserts into a listpack hash of 100 fields, as
	// redis-benchmark's HSET (one key) does.
	reqs := make([][]byte, 100)
	for i := range reqs {
		reqs[i] = redistest.Command("HSET", "bench", "field:"+strconv.Itoa(i), "value")
	}
	b.ReportAllocs()
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		m.run(reqs[i%len(reqs)])
	}
}

func BenchmarkHSETHashtable(b *testing.B) {
	m := newMemServer(b, nil)
	reqs := make([][]byte, 1000)
	for i := range reqs {
		reqs[i] = redistest.Command("HSET", "bench", "field:"+strconv.Itoa(i), "value")
	}
	b.ReportAllocs()
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		m.run(reqs[i%len(reqs)])
	}
}
