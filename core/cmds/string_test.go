package cmds_test

import (
	"bytes"
	"fmt"
	"math/rand/v2"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"
	"unsafe"

	"github.com/redisfs/redisfs/core/cmds"
	"github.com/redisfs/redisfs/core/redistest"
	"github.com/redisfs/redisfs/core/server"
)

// runFamilyTranscript replays testdata/<name>.txt against a real
// redis-server and our server, comparing replies byte for byte. While the
// commands of other families are not written yet, OBJECT ENCODING, EXISTS,
// TTL, PTTL, EXPIRETIME and PEXPIRETIME are answered for ours by reading
// the keyspace directly (see emulate); lines of any other command ours
// does not have are left out on both sides and counted. Once those
// commands exist, the real ones are compared, as server.TestTranscripts
// does with the same files.
func runFamilyTranscript(t *testing.T, name string) {
	t.Helper()
	steps, err := redistest.ParseTranscript(filepath.Join(redistest.RepoRoot(t), "testdata", name+".txt"))
	if err != nil {
		t.Fatal(err)
	}
	ref, ours, s := startPair(t, nil)
	if r := ref.Do("FLUSHALL"); string(r) != "+OK\r\n" {
		t.Fatalf("FLUSHALL: %q", r)
	}
	table := cmds.Commands()
	skipped := map[string]int{}
	emulated := map[string]int{}
	for _, st := range steps {
		cmdName := strings.ToLower(st.Args[0])
		var want, got []byte
		switch {
		case table[cmdName] != nil:
			req := redistest.Command(st.Args...)
			ref.Write(req)
			ours.Write(req)
			want, got = ref.ReadReply(), ours.ReadReply()
		case emulate(s, st.Args) != nil:
			want, got = ref.Do(st.Args...), emulate(s, st.Args)
			emulated[strings.ToUpper(cmdName)]++
		default:
			skipped[strings.ToUpper(cmdName)]++
			continue
		}
		if !redistest.Equal(st.Mode, want, got) {
			t.Errorf("%s\n    redis: %s\n    ours:  %s", st, redistest.Quote(want), redistest.Quote(got))
		}
	}
	if len(emulated) > 0 || len(skipped) > 0 {
		t.Logf("%s: read from our keyspace directly: %v; left out: %v", name, emulated, skipped)
	}
}

// emulate answers the read-only key inspection commands of other families
// from our keyspace, as Redis 7.0 would, or returns nil.
func emulate(s *server.Server, args []string) []byte {
	name := strings.ToLower(args[0])
	var key string
	switch {
	case name == "object" && len(args) == 3 && strings.EqualFold(args[1], "encoding"):
		key = args[2]
	case (name == "exists" || name == "ttl" || name == "pttl" || name == "expiretime" || name == "pexpiretime") && len(args) == 2:
		key = args[1]
	default:
		return nil
	}
	out := make(chan []byte)
	s.Post(func() {
		srv := s.Srv
		db := srv.DBs[0]
		o := db.Dict.Find(key)
		when := db.GetExpire([]byte(key))
		now := time.Now().UnixMilli()
		if o != nil && when >= 0 && when < now {
			o = nil // expired: Redis's lookup would delete it
		}
		var r []byte
		switch {
		case name == "object":
			if o == nil {
				r = []byte("$-1\r\n")
			} else {
				r = fmt.Appendf(nil, "$%d\r\n%s\r\n", len(o.EncodingName()), o.EncodingName())
			}
		case name == "exists":
			r = []byte(":0\r\n")
			if o != nil {
				r = []byte(":1\r\n")
			}
		case o == nil:
			r = []byte(":-2\r\n")
		case when < 0:
			r = []byte(":-1\r\n")
		default:
			v := when - now
			switch name {
			case "ttl":
				v = (v + 500) / 1000
			case "expiretime":
				v = (when + 500) / 1000
			case "pexpiretime":
				v = when
			}
			r = fmt.Appendf(nil, ":%d\r\n", v)
		}
		out <- r
	})
	return <-out
}

func TestStringsTranscript(t *testing.T) { runFamilyTranscript(t, "strings") }

// startPair starts a real Redis (with extra arguments) and ours (with mod)
// and returns a connection to each plus our front end.
func startPair(t *testing.T, mod func(*cmds.Config), redisArgs ...string) (ref, ours *redistest.Conn, s *server.Server) {
	t.Helper()
	refAddr := redistest.StartRedis(t, redisArgs...)
	ourAddr, s := redistest.StartServer(t, mod)
	return redistest.Dial(t, refAddr), redistest.Dial(t, ourAddr), s
}

// compareBatch sends every command to both servers, pipelined, and
// reports the commands whose replies differ.
func compareBatch(t *testing.T, ref, ours *redistest.Conn, batch [][]string) {
	t.Helper()
	var req []byte
	for _, args := range batch {
		req = append(req, redistest.Command(args...)...)
	}
	ref.Write(req)
	ours.Write(req)
	failures := 0
	for _, args := range batch {
		want, got := ref.ReadReply(), ours.ReadReply()
		if !bytes.Equal(want, got) {
			failures++
			if failures <= 20 {
				t.Errorf("%q\n    redis: %s\n    ours:  %s", args, redistest.Quote(want), redistest.Quote(got))
			}
		}
	}
	if failures > 20 {
		t.Errorf("... %d differences in all", failures)
	}
}

// randomFloatText returns a number as a user might send it to
// INCRBYFLOAT: decimals of various lengths, exponents, integers, hex.
func randomFloatText(r *rand.Rand) string {
	sign := ""
	switch r.IntN(4) {
	case 0:
		sign = "-"
	case 1:
		if r.IntN(8) == 0 {
			sign = "+"
		}
	}
	digits := func(n int) string {
		var b strings.Builder
		for i := 0; i < n; i++ {
			b.WriteByte(byte('0' + r.IntN(10)))
		}
		return b.String()
	}
	switch r.IntN(10) {
	case 0:
		return sign + digits(1+r.IntN(19))
	case 1:
		return sign + digits(1+r.IntN(3)) + "e" + strconv.Itoa(r.IntN(600)-300)
	case 2:
		return sign + digits(1+r.IntN(25)) + "." + digits(1+r.IntN(25)) + "e" + strconv.Itoa(r.IntN(80)-40)
	case 3:
		return sign + "0." + strings.Repeat("0", r.IntN(20)) + digits(1+r.IntN(5))
	case 4:
		return sign + "0x" + fmt.Sprintf("%x", r.Uint64()) + "p" + strconv.Itoa(r.IntN(200)-100)
	case 5:
		return strconv.FormatFloat(r.NormFloat64()*1e6, 'g', -1, 64)
	case 6:
		return sign + digits(1+r.IntN(6)) + "." + digits(1+r.IntN(3))
	case 7:
		return sign + digits(1+r.IntN(2)) + "e" + strconv.Itoa(4900+r.IntN(60))
	case 8:
		return sign + digits(1+r.IntN(2)) + "e-" + strconv.Itoa(4900+r.IntN(60))
	}
	return sign + "0." + digits(17+r.IntN(3))
}

// TestIncrbyfloatVersusRedis checks INCRBYFLOAT's long double arithmetic
// and formatting on thousands of random values and increments, including
// chains of increments on the same key.
func TestIncrbyfloatVersusRedis(t *testing.T) {
	ref, ours, _ := startPair(t, nil)
	r := rand.New(rand.NewPCG(1, 2))
	for round := 0; round < 40; round++ {
		var batch [][]string
		for i := 0; i < 100; i++ {
			key := "f" + strconv.Itoa(i%20)
			switch r.IntN(5) {
			case 0:
				batch = append(batch, []string{"SET", key, randomFloatText(r)})
			case 1:
				batch = append(batch, []string{"DEL", key})
			}
			batch = append(batch, []string{"INCRBYFLOAT", key, randomFloatText(r)})
		}
		batch = filterKnown(batch)
		compareBatch(t, ref, ours, batch)
		if t.Failed() {
			return
		}
	}
}

// filterKnown drops commands ours does not implement yet (DEL …).
func filterKnown(batch [][]string) [][]string {
	out := batch[:0]
	for _, args := range batch {
		if cmds.Commands()[strings.ToLower(args[0])] != nil {
			out = append(out, args)
		}
	}
	return out
}

// TestWrongTypeVersusRedis runs every command of the family on keys of
// another type: lists made with RPUSH on Redis and, on ours until the list
// type exists, list objects put in the keyspace directly.
func TestWrongTypeVersusRedis(t *testing.T) {
	ref, ours, s := startPair(t, nil)
	for _, key := range []string{"l", "l2"} {
		if r := ref.Do("RPUSH", key, "x"); string(r) != ":1\r\n" {
			t.Fatalf("RPUSH: %q", r)
		}
		if cmds.Commands()["rpush"] != nil {
			ours.Do("RPUSH", key, "x")
			continue
		}
		done := make(chan struct{})
		s.Post(func() {
			var o cmds.Object
			o.SetPtr(cmds.TypeList, cmds.EncQuicklist, unsafe.Pointer(new([8]byte)))
			s.Srv.DBAdd(s.Srv.DBs[0], []byte(key), o)
			close(done)
		})
		<-done
	}
	compareBatch(t, ref, ours, [][]string{
		{"SET", "s", "v"},
		{"GET", "l"}, {"SET", "l", "v", "GET"}, {"SET", "l", "v", "GET", "NX"},
		{"SET", "l", "v", "EX", "0", "GET"}, {"SET", "l", "v", "foo", "GET"},
		{"GETSET", "l", "v"}, {"GETDEL", "l"}, {"GETEX", "l"}, {"GETEX", "l", "EX", "0"},
		{"GETEX", "l", "foo"}, {"APPEND", "l", "x"}, {"STRLEN", "l"},
		{"INCR", "l"}, {"DECR", "l"}, {"INCRBY", "l", "1"}, {"INCRBY", "l", "x"},
		{"DECRBY", "l", "1"}, {"INCRBYFLOAT", "l", "1"}, {"INCRBYFLOAT", "l", "x"},
		{"SETRANGE", "l", "0", "x"}, {"SETRANGE", "l", "0", ""}, {"SETRANGE", "l", "-1", "x"},
		{"GETRANGE", "l", "0", "-1"}, {"GETRANGE", "l", "x", "-1"}, {"SUBSTR", "l", "0", "1"},
		{"MGET", "s", "l", "nokey"}, {"MSETNX", "l", "v"},
		{"LCS", "l", "s"}, {"LCS", "s", "l"}, {"LCS", "s", "l", "foo"},
		{"SETBIT", "l", "0", "1"}, {"SETBIT", "l", "-1", "1"}, {"SETBIT", "l", "0", "2"},
		{"GETBIT", "l", "0"}, {"GETBIT", "l", "-1"},
		{"BITCOUNT", "l"}, {"BITCOUNT", "l", "a", "b"}, {"BITCOUNT", "l", "0"},
		{"BITPOS", "l", "1"}, {"BITPOS", "l", "2"}, {"BITPOS", "l", "1", "a"},
		{"BITOP", "AND", "d", "s", "l"}, {"BITOP", "AND", "d", "l", "nokey"}, {"BITOP", "NOT", "d", "l"},
		{"BITOP", "FOO", "d", "l"}, {"BITOP", "OR", "l", "s"}, {"GET", "l"},
		{"BITFIELD", "l2", "GET", "u8", "0"}, {"BITFIELD", "l2", "SET", "u8", "0", "1"},
		{"BITFIELD", "l2", "SET", "u8", "-1", "1"}, {"BITFIELD", "l2"},
		{"BITFIELD_RO", "l2", "GET", "u8", "0"}, {"BITFIELD_RO", "l2", "SET", "u8", "0", "1"},
		{"SET", "l2", "v", "EX", "10", "GET"}, {"MSET", "l2", "v"}, {"GET", "l2"},
	})
}

// TestEventsAndDirtyVersusRedis checks, command by command, the keyspace
// events each command fires (their names, keys and order) and how much it
// adds to the dirty counter, against Redis's keyevent notifications and
// its rdb_changes_since_last_save. Ours are read from the server: the
// OnKeyspaceEvent hook and Server.Dirty.
func TestEventsAndDirtyVersusRedis(t *testing.T) {
	refAddr := redistest.StartRedis(t, "--notify-keyspace-events", "KEA")
	ourAddr, s := redistest.StartServer(t, nil)
	ref, ours := redistest.Dial(t, refAddr), redistest.Dial(t, ourAddr)
	sub := redistest.Dial(t, refAddr)
	sub.Do("PSUBSCRIBE", "__keyevent@*__:*")

	onLoop := func(f func()) {
		done := make(chan struct{})
		s.Post(func() { f(); close(done) })
		<-done
	}
	var ourEvents []string
	onLoop(func() {
		s.Srv.OnKeyspaceEvent(func(db int, key []byte, event string) {
			if event != "keymiss" && event != "new" { // not in "KEA"
				ourEvents = append(ourEvents, event+" "+string(key))
			}
		})
	})
	refDirty := func() int64 {
		info := string(ref.Do("INFO", "persistence"))
		i := strings.Index(info, "rdb_changes_since_last_save:")
		if i < 0 {
			t.Fatalf("no rdb_changes_since_last_save in %q", info)
		}
		line := info[i+len("rdb_changes_since_last_save:"):]
		n, _ := strconv.ParseInt(line[:strings.IndexByte(line, '\r')], 10, 64)
		return n
	}
	// refEvents reads Redis's notifications up to the marker event that
	// SETNX of a fresh key makes.
	marker := 0
	refEvents := func() []string {
		marker++
		m := "marker" + strconv.Itoa(marker)
		ref.Do("SETNX", m, "x")
		var evs []string
		for {
			msg := sub.ReadReply() // *4 pmessage pattern channel key
			parts := strings.Split(string(msg), "\r\n")
			channel, key := parts[6], parts[8]
			event := channel[strings.IndexByte(channel, ':')+1:]
			if key == m {
				return evs
			}
			evs = append(evs, event+" "+key)
		}
	}
	var ourDirty int64
	onLoop(func() { ourDirty = s.Srv.Dirty })
	baseRef := refDirty()

	for _, args := range [][]string{
		{"SET", "k", "v"}, {"SET", "k", "v", "NX"}, {"SET", "k", "v2", "XX", "GET"},
		{"SET", "k", "v", "EX", "100"}, {"SET", "k", "v", "PXAT", "4000000000000", "GET"},
		{"SET", "k", "v", "KEEPTTL"}, {"SET", "k", "v", "EX", "0"}, {"SET", "k", "v", "foo"},
		{"SETNX", "k", "v"}, {"SETNX", "k2", "v"}, {"SETEX", "k", "100", "v"}, {"PSETEX", "k", "100000", "v"},
		{"MSET", "a", "1", "b", "2", "a", "3"}, {"MSETNX", "a", "1", "c", "2"}, {"MSETNX", "c", "1", "d", "2"},
		{"GETSET", "k", "w"}, {"GETSET", "nokey1", "w"}, {"GETDEL", "nokey1"}, {"GETDEL", "nokey1"},
		{"GETEX", "k"}, {"GETEX", "k", "EX", "100"}, {"GETEX", "k", "PERSIST"}, {"GETEX", "k", "PERSIST"},
		{"GETEX", "k", "PXAT", "4000000000000"}, {"GETEX", "k", "EXAT", "1"}, {"GETEX", "k", "EXAT", "1"},
		{"APPEND", "ap", "x"}, {"APPEND", "ap", "yz"}, {"APPEND", "ap", ""},
		{"INCR", "n"}, {"DECR", "n"}, {"INCRBY", "n", "5"}, {"DECRBY", "n", "5"}, {"INCRBY", "n", "x"},
		{"INCRBYFLOAT", "f", "1.5"}, {"INCRBYFLOAT", "f", "x"}, {"INCRBYFLOAT", "f", "inf"},
		{"SETRANGE", "sr", "0", ""}, {"SETRANGE", "sr", "2", "ab"}, {"SETRANGE", "sr", "0", "x"}, {"SETRANGE", "sr", "0", ""},
		{"SETBIT", "bt", "0", "0"}, {"SETBIT", "bt", "0", "0"}, {"SETBIT", "bt", "0", "1"}, {"SETBIT", "bt", "0", "1"},
		{"SETBIT", "bt", "100", "0"}, {"SETBIT", "bt", "100", "0"},
		{"BITOP", "OR", "dst", "bt", "ap"}, {"BITOP", "AND", "dst", "nokey1"}, {"BITOP", "AND", "dst", "nokey1"},
		{"BITFIELD", "bf", "GET", "u8", "0"}, {"BITFIELD", "bf", "SET", "u8", "0", "0"},
		{"BITFIELD", "bf", "SET", "u8", "0", "0"}, {"BITFIELD", "bf", "SET", "u8", "0", "1", "INCRBY", "u8", "0", "1", "SET", "u8", "8", "0"},
		{"BITFIELD", "bf", "SET", "u8", "80", "0"}, {"BITFIELD", "bf", "OVERFLOW", "FAIL", "INCRBY", "u8", "0", "300"},
		{"BITFIELD_RO", "bf", "GET", "u8", "0"},
		{"GET", "k"}, {"MGET", "a", "b"}, {"STRLEN", "a"}, {"GETRANGE", "a", "0", "-1"}, {"LCS", "a", "b"},
		{"GETBIT", "bt", "0"}, {"BITCOUNT", "bt"}, {"BITPOS", "bt", "1"},
	} {
		wantReply, gotReply := ref.Do(args...), ours.Do(args...)
		if !bytes.Equal(wantReply, gotReply) {
			t.Errorf("%q: reply\n    redis: %s\n    ours:  %s", args, redistest.Quote(wantReply), redistest.Quote(gotReply))
		}
		want := refEvents()
		var got []string
		var dirty int64
		onLoop(func() {
			got, ourEvents = ourEvents, nil
			dirty, ourDirty = s.Srv.Dirty-ourDirty, s.Srv.Dirty
		})
		if fmt.Sprint(want) != fmt.Sprint(got) {
			t.Errorf("%q: events\n    redis: %q\n    ours:  %q", args, want, got)
		}
		// The marker SETNX counts one on Redis's side.
		now := refDirty()
		if wantDirty := now - baseRef - 1; wantDirty != dirty {
			t.Errorf("%q: dirty +%d, Redis +%d", args, dirty, wantDirty)
		}
		baseRef = now
	}
}

// TestResp3VersusRedis checks the replies whose encoding depends on the
// protocol (nulls, the LCS IDX map) after HELLO 3.
func TestResp3VersusRedis(t *testing.T) {
	if cmds.Commands()["hello"] == nil {
		t.Skip("HELLO is not implemented yet")
	}
	ref, ours, _ := startPair(t, nil)
	ref.Do("HELLO", "3")
	ours.Do("HELLO", "3")
	compareBatch(t, ref, ours, [][]string{
		{"GET", "nokey"}, {"SET", "k", "v"}, {"MGET", "k", "nokey"},
		{"SET", "k2", "v", "GET"}, {"SET", "k", "v", "NX"}, {"SET", "k", "v", "NX", "GET"},
		{"GETEX", "nokey"}, {"GETDEL", "nokey"}, {"GETSET", "nokey", "v"},
		{"INCRBYFLOAT", "f", "1.5"}, {"SETNX", "k", "v"},
		{"BITFIELD", "b", "OVERFLOW", "FAIL", "INCRBY", "u8", "0", "256", "GET", "u8", "0"},
		{"MSET", "key1", "ohmytext", "key2", "mynewtext"},
		{"LCS", "key1", "key2", "IDX"}, {"LCS", "key1", "key2", "IDX", "WITHMATCHLEN"},
		{"LCS", "key1", "key2", "LEN"}, {"LCS", "nokey", "nokey2", "IDX"},
	})
}

// TestMaxBulkLenVersusRedis checks the proto-max-bulk-len limits of APPEND,
// SETRANGE, SETBIT, BITFIELD and LCS with the limit at its minimum (1mb).
func TestMaxBulkLenVersusRedis(t *testing.T) {
	ref, ours, _ := startPair(t, func(c *cmds.Config) { c.ProtoMaxBulkLen = 1 << 20 }, "--proto-max-bulk-len", "1mb")
	half := strings.Repeat("x", 600*1024)
	lcsA := strings.Repeat("ab", 300)
	batch := [][]string{
		{"SET", "k", half},
		{"APPEND", "k", half},
		{"STRLEN", "k"},
		{"APPEND", "k", half[:1<<20-600*1024]},
		{"STRLEN", "k"},
		{"APPEND", "k", "y"},
		{"APPEND", "k", ""},
		{"SETRANGE", "k", "1048575", "z"},
		{"SETRANGE", "k", "1048576", "z"},
		{"SETRANGE", "k", "1048576", ""},
		{"SETRANGE", "new", "1048575", "z"},
		{"STRLEN", "new"},
		{"SETRANGE", "new2", "1048576", "z"},
		{"SETRANGE", "new2", "1048570", "zzzzzzz"},
		{"SETBIT", "b", "8388607", "1"},
		{"STRLEN", "b"},
		{"SETBIT", "b", "8388608", "1"},
		{"GETBIT", "b", "8388608"},
		{"BITFIELD", "b", "GET", "u8", "8388600"},
		{"BITFIELD", "b", "GET", "u8", "8388608"},
		{"BITFIELD", "b", "SET", "u8", "#1048575", "1"},
		{"BITFIELD", "b", "SET", "u8", "#1048576", "1"},
		{"BITFIELD", "b", "SET", "i64", "8388607", "1"},
		{"STRLEN", "b"},
		{"SET", "la", lcsA},
		{"SET", "lb", lcsA[:400]},
		{"LCS", "la", "lb", "LEN"},
		{"SET", "lb", lcsA},
		{"LCS", "la", "lb", "LEN"},
	}
	compareBatch(t, ref, ours, batch)
}

// TestAppendGrowsInPlace checks that appending one byte at a time
// reallocates the value only a logarithmic number of times.
func TestAppendGrowsInPlace(t *testing.T) {
	srv, c := newMemClient(t)
	feed := func(cmd string) {
		c.QueryBuf = append(c.QueryBuf, cmd...)
		c.ProcessInputBuffer()
		srv.BeforeSleep()
	}
	feed("APPEND k x\r\n")
	feed("APPEND k x\r\n")
	const n = 20000
	cmd := []byte("APPEND k x\r\n")
	allocs := testing.AllocsPerRun(n, func() {
		c.QueryBuf = append(c.QueryBuf, cmd...)
		c.ProcessInputBuffer()
		srv.BeforeSleep()
	})
	// A few dozen reallocations spread over the run, nothing per call.
	if allocs > 0.01 {
		t.Errorf("APPEND of one byte: %.4f allocations per call", allocs)
	}
	for _, cmd := range []string{"SETRANGE k 30000 y\r\n", "SETBIT k 300000 1\r\n"} {
		feed(cmd)
		allocs = testing.AllocsPerRun(2000, func() {
			c.QueryBuf = append(c.QueryBuf, cmd...)
			c.ProcessInputBuffer()
			srv.BeforeSleep()
		})
		if allocs != 0 {
			t.Errorf("%q on an existing raw string: %.2f allocations per call", strings.TrimSpace(cmd), allocs)
		}
	}
}

// nopConn is a transport that drops replies.
type nopConn struct{}

func (nopConn) Flush(c *cmds.Client) { c.Sent = len(c.Reply) }
func (nopConn) Close(*cmds.Client)   {}
func (nopConn) RemoteAddr() string   { return "127.0.0.1:1" }
func (nopConn) LocalAddr() string    { return "127.0.0.1:6379" }
func (nopConn) Fd() int              { return -1 }

// newMemClient returns a server with no front end and one client on a
// transport that drops replies: commands run synchronously in the test.
func newMemClient(tb testing.TB) (*cmds.Server, *cmds.Client) {
	tb.Helper()
	cfg := cmds.DefaultConfig()
	cfg.Save = ""
	cfg.AppendOnly = false
	srv := cmds.NewServer(cfg)
	srv.LogOut = nil
	return srv, srv.NewClient(nopConn{})
}

// benchCommand runs one command repeatedly through ProcessInputBuffer, as a
// socket read would deliver it, and the reply flush of beforeSleep.
func benchCommand(b *testing.B, setup []string, cmd string) {
	srv, c := newMemClient(b)
	for _, s := range setup {
		c.QueryBuf = append(c.QueryBuf, s...)
		c.ProcessInputBuffer()
		srv.BeforeSleep()
	}
	req := []byte(cmd)
	b.ReportAllocs()
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		c.QueryBuf = append(c.QueryBuf, req...)
		c.ProcessInputBuffer()
		srv.BeforeSleep()
	}
}

// BenchmarkGET must report 0 allocs/op.
func BenchmarkGET(b *testing.B) {
	benchCommand(b, []string{"*3\r\n$3\r\nSET\r\n$3\r\nkey\r\n$5\r\nvalue\r\n"},
		"*2\r\n$3\r\nGET\r\n$3\r\nkey\r\n")
}

// BenchmarkGETMiss must report 0 allocs/op.
func BenchmarkGETMiss(b *testing.B) {
	benchCommand(b, nil, "*2\r\n$3\r\nGET\r\n$5\r\nnokey\r\n")
}

// BenchmarkSET overwrites one key: 1 alloc/op (the value's copy).
func BenchmarkSET(b *testing.B) {
	benchCommand(b, nil, "*3\r\n$3\r\nSET\r\n$3\r\nkey\r\n$5\r\nvalue\r\n")
}

// BenchmarkSETInt overwrites one key with an integer: 0 allocs/op.
func BenchmarkSETInt(b *testing.B) {
	benchCommand(b, nil, "*3\r\n$3\r\nSET\r\n$3\r\nkey\r\n$5\r\n12345\r\n")
}

// BenchmarkSETEX sets a value and a TTL on an existing key.
func BenchmarkSETEX(b *testing.B) {
	benchCommand(b, nil, "*5\r\n$3\r\nSET\r\n$3\r\nkey\r\n$5\r\nvalue\r\n$2\r\nEX\r\n$3\r\n100\r\n")
}

// BenchmarkSETNewKeys adds a new key every time: the key and the value
// copies, and the dictionary entry.
func BenchmarkSETNewKeys(b *testing.B) {
	srv, c := newMemClient(b)
	reqs := make([][]byte, b.N)
	for i := range reqs {
		k := strconv.Itoa(i)
		reqs[i] = fmt.Appendf(nil, "*3\r\n$3\r\nSET\r\n$%d\r\n%s\r\n$5\r\nvalue\r\n", len(k), k)
	}
	b.ReportAllocs()
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		c.QueryBuf = append(c.QueryBuf, reqs[i]...)
		c.ProcessInputBuffer()
		srv.BeforeSleep()
	}
}

// BenchmarkINCR increments one counter: 0 allocs/op.
func BenchmarkINCR(b *testing.B) {
	benchCommand(b, nil, "*2\r\n$4\r\nINCR\r\n$3\r\nctr\r\n")
}

// BenchmarkAPPEND appends 8 bytes to one growing string.
func BenchmarkAPPEND(b *testing.B) {
	benchCommand(b, nil, "*3\r\n$6\r\nAPPEND\r\n$3\r\nkey\r\n$8\r\nabcdefgh\r\n")
}

// BenchmarkINCRBYFLOAT is the slow path of the family (math/big).
func BenchmarkINCRBYFLOAT(b *testing.B) {
	benchCommand(b, nil, "*3\r\n$11\r\nINCRBYFLOAT\r\n$3\r\nflt\r\n$3\r\n0.1\r\n")
}

// TestGETAllocationFree guards the GET hot path (the benchmark's claim, as
// a test).
func TestGETAllocationFree(t *testing.T) {
	srv, c := newMemClient(t)
	run := func(cmd string) {
		c.QueryBuf = append(c.QueryBuf, cmd...)
		c.ProcessInputBuffer()
		srv.BeforeSleep()
	}
	run("*3\r\n$3\r\nSET\r\n$3\r\nkey\r\n$5\r\nvalue\r\n")
	run("*3\r\n$3\r\nSET\r\n$3\r\nint\r\n$5\r\n12345\r\n")
	for _, cmd := range []string{
		"*2\r\n$3\r\nGET\r\n$3\r\nkey\r\n",
		"*2\r\n$3\r\nGET\r\n$3\r\nint\r\n",
		"*2\r\n$3\r\nGET\r\n$5\r\nnokey\r\n",
		"*3\r\n$3\r\nSET\r\n$3\r\nint\r\n$5\r\n12346\r\n",
		"*2\r\n$4\r\nINCR\r\n$3\r\nint\r\n",
		"*2\r\n$6\r\nSTRLEN\r\n$3\r\nkey\r\n",
		"*3\r\n$4\r\nMGET\r\n$3\r\nkey\r\n$3\r\nint\r\n",
		"*3\r\n$6\r\nGETBIT\r\n$3\r\nkey\r\n$1\r\n3\r\n",
		"*2\r\n$8\r\nBITCOUNT\r\n$3\r\nkey\r\n",
	} {
		run(cmd)
		if a := testing.AllocsPerRun(1000, func() { run(cmd) }); a != 0 {
			t.Errorf("%q: %.2f allocations per call", cmd, a)
		}
	}
}
