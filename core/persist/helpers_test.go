package persist_test

import (
	"fmt"
	"io"
	"math/rand/v2"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/redisfs/redisfs/core/cmds"
	"github.com/redisfs/redisfs/core/persist"
	"github.com/redisfs/redisfs/core/proto"
	"github.com/redisfs/redisfs/core/redistest"
	"github.com/redisfs/redisfs/core/server"
)

// ourServer is our server in this process, with persistence attached the
// way cmd/redisfs attaches it.
type ourServer struct {
	t    testing.TB
	srv  *cmds.Server
	s    *server.Server
	p    *persist.Persister
	addr string
	done chan struct{}
	log  *strings.Builder
}

// logSink collects log lines (and echoes them with REDISFS_TEST_LOG).
type logSink struct{ b *strings.Builder }

func (l logSink) Write(p []byte) (int, error) {
	if os.Getenv("REDISFS_TEST_LOG") != "" {
		os.Stderr.Write(p)
	}
	return l.b.Write(p)
}

// tryStartOurs starts our server on dir with persistence configured by mod
// (defaults: AOF everysec and save points, as cmd/redisfs).
func tryStartOurs(t testing.TB, dir string, mod func(*cmds.Config)) (*ourServer, error) {
	t.Helper()
	cfg := cmds.DefaultConfig()
	cfg.Port = 0
	cfg.EnableDebugCommand = "yes" // the tests use DEBUG, as redistest.StartServer
	cfg.Bind = []string{"127.0.0.1"}
	cfg.Dir = dir
	if mod != nil {
		mod(&cfg)
	}
	srv := cmds.NewServer(cfg)
	o := &ourServer{t: t, srv: srv, log: &strings.Builder{}, done: make(chan struct{})}
	srv.LogOut = logSink{o.log}
	s, err := server.New(srv)
	if err != nil {
		return nil, err
	}
	o.s = s
	o.p = persist.New(srv, persist.Options{Post: s.Post})
	if err := o.p.Start(); err != nil {
		return nil, err
	}
	if err := s.Listen(); err != nil {
		return nil, err
	}
	o.addr = s.Addr()
	go func() {
		defer close(o.done)
		s.Run()
	}()
	t.Cleanup(o.stop)
	return o, nil
}

func startOurs(t testing.TB, dir string, mod func(*cmds.Config)) *ourServer {
	t.Helper()
	o, err := tryStartOurs(t, dir, mod)
	if err != nil {
		t.Fatalf("starting our server on %s: %v", dir, err)
	}
	return o
}

// stop stops the loop and runs the persister's shutdown, as SIGTERM does.
func (o *ourServer) stop() {
	if o.s == nil {
		return
	}
	o.s.Stop()
	<-o.done
	if err := o.p.Shutdown(); err != nil {
		o.t.Errorf("shutdown: %v", err)
	}
	o.s = nil
}

// onLoop runs f on the loop and waits for it.
func (o *ourServer) onLoop(f func()) {
	ch := make(chan struct{})
	o.s.Post(func() { f(); close(ch) })
	<-ch
}

// noPersistence is the mod for a server that persists nothing by itself.
func noPersistence(c *cmds.Config) { c.Save = ""; c.AppendOnly = false }

// startRedis starts redis-server on dir (files already there are loaded),
// with args.
func startRedis(t testing.TB, dir string, args ...string) string {
	t.Helper()
	full := append([]string{"--dir", dir}, args...)
	return redistest.StartRedis(t, full...)
}

// do sends a command and returns the parsed reply, failing on errors.
func do(t testing.TB, c *redistest.Conn, args ...string) proto.Reply {
	t.Helper()
	raw := c.Do(args...)
	r, _, err := proto.ReadReply(raw)
	if err != nil {
		t.Fatalf("%v: unparsable reply %q: %v", args, raw, err)
	}
	if r.Type == '-' {
		t.Fatalf("%v: %s", args, r.Str)
	}
	return r
}

// waitFor polls cond until it holds, for at most redistest.WaitTime: a
// save point, a rewrite or a BGSAVE happens on the server's own time,
// and a loaded machine takes many times longer than an idle one.
func waitFor(t testing.TB, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(redistest.WaitTime)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("timed out waiting for %s", what)
		}
		time.Sleep(5 * time.Millisecond)
	}
}

// infoField returns a field of INFO persistence.
func infoField(t testing.TB, c *redistest.Conn, field string) string {
	t.Helper()
	r := do(t, c, "INFO", "persistence")
	for _, line := range strings.Split(string(r.Str), "\r\n") {
		if v, ok := strings.CutPrefix(line, field+":"); ok {
			return v
		}
	}
	t.Fatalf("INFO has no %s", field)
	return ""
}

// waitBackground waits until no BGSAVE or AOF rewrite runs.
func waitBackground(t testing.TB, c *redistest.Conn) {
	t.Helper()
	waitFor(t, "background save", func() bool {
		return infoField(t, c, "rdb_bgsave_in_progress") == "0" &&
			infoField(t, c, "aof_rewrite_in_progress") == "0" &&
			infoField(t, c, "aof_rewrite_scheduled") == "0"
	})
}

// populate writes a data set covering every type and encoding, expires,
// several databases, compressible and binary values.
func populate(t testing.TB, c *redistest.Conn, seed uint64) {
	t.Helper()
	r := rand.New(rand.NewPCG(seed, 7))
	for _, db := range []string{"0", "3", "15"} {
		do(t, c, "SELECT", db)
		p := "db" + db + ":"
		// Strings.
		do(t, c, "SET", p+"int", "12345")
		do(t, c, "SET", p+"neg", "-7")
		do(t, c, "SET", p+"big", "9223372036854775807")
		do(t, c, "SET", p+"i32", "2147483648")
		do(t, c, "SET", p+"short", "hello")
		do(t, c, "SET", p+"empty", "")
		do(t, c, "SET", p+"zeros", "007")
		do(t, c, "SET", p+"lzf", strings.Repeat("abcdefgh", 200))
		do(t, c, "SET", p+"bin\x00key\xff", "v\x00\r\nx")
		rnd := make([]byte, 40000)
		for i := range rnd {
			rnd[i] = byte(r.Uint32())
		}
		do(t, c, "SET", p+"random", string(rnd))
		do(t, c, "SET", p+"ttl", "x", "EX", "100000")
		do(t, c, "SET", p+"pxat", "x", "PXAT", "99999999999000")
		do(t, c, "INCRBYFLOAT", p+"float", "3.25")
		do(t, c, "APPEND", p+"raw", "grown")
		// Lists.
		do(t, c, "RPUSH", p+"list", "a", "b", "1", "-2", "300000", "c")
		args := []string{"RPUSH", p + "biglist"}
		for i := 0; i < 3000; i++ {
			if i%3 == 0 {
				args = append(args, strconv.Itoa(i))
			} else {
				args = append(args, fmt.Sprintf("element-%d-%s", i, strings.Repeat("x", i%50)))
			}
		}
		do(t, c, args...)
		do(t, c, "RPUSH", p+"hugeelem", strings.Repeat("Q", 20000), "small")
		do(t, c, "LPUSH", p+"list", "head")
		do(t, c, "EXPIRE", p+"list", "50000")
		// Sets.
		do(t, c, "SADD", p+"intset", "1", "2", "3", "-4", "100000")
		do(t, c, "SADD", p+"intset64", "1", "9000000000")
		do(t, c, "SADD", p+"strset", "a", "b", "c")
		args = []string{"SADD", p + "bigintset"}
		for i := 0; i < 600; i++ {
			args = append(args, strconv.Itoa(i*7))
		}
		do(t, c, args...)
		args = []string{"SADD", p + "bigset"}
		for i := 0; i < 700; i++ {
			args = append(args, fmt.Sprintf("member:%d", i))
		}
		do(t, c, args...)
		// Sorted sets.
		do(t, c, "ZADD", p+"zset", "1", "a", "2.5", "b", "-3", "c", "inf", "d", "-inf", "e", "0.1", "f")
		args = []string{"ZADD", p + "bigzset"}
		for i := 0; i < 300; i++ {
			args = append(args, strconv.FormatFloat(float64(i)/3, 'g', -1, 64), fmt.Sprintf("m%d", i))
		}
		do(t, c, args...)
		do(t, c, "ZADD", p+"longmember", "1", strings.Repeat("L", 100))
		// Hashes.
		do(t, c, "HSET", p+"hash", "f1", "v1", "f2", "2", "f3", "-33")
		args = []string{"HSET", p + "bighash"}
		for i := 0; i < 600; i++ {
			args = append(args, fmt.Sprintf("field%d", i), strconv.Itoa(i))
		}
		do(t, c, args...)
		do(t, c, "HSET", p+"longval", "f", strings.Repeat("V", 100))
		do(t, c, "HINCRBYFLOAT", p+"hash", "fl", "1.5")
		// Streams: several nodes, tombstones, groups with PELs, an
		// empty stream with a group.
		for i := 1; i <= 250; i++ {
			args := []string{"XADD", p + "stream", strconv.Itoa(i) + "-1", "f", strconv.Itoa(i)}
			if i%7 == 0 {
				args = append(args, "other", strings.Repeat("o", i))
			}
			do(t, c, args...)
		}
		do(t, c, "XDEL", p+"stream", "3-1", "150-1", "250-1")
		do(t, c, "XGROUP", "CREATE", p+"stream", "g1", "0")
		do(t, c, "XGROUP", "CREATE", p+"stream", "g2", "100-0", "ENTRIESREAD", "90")
		do(t, c, "XREADGROUP", "GROUP", "g1", "alice", "COUNT", "5", "STREAMS", p+"stream", ">")
		do(t, c, "XREADGROUP", "GROUP", "g1", "bob", "COUNT", "3", "STREAMS", p+"stream", ">")
		do(t, c, "XGROUP", "CREATECONSUMER", p+"stream", "g2", "idle")
		do(t, c, "XACK", p+"stream", "g1", "2-1")
		do(t, c, "XADD", p+"xempty", "5-5", "f", "v")
		do(t, c, "XDEL", p+"xempty", "5-5")
		do(t, c, "XGROUP", "CREATE", p+"xempty", "g", "$")
	}
	do(t, c, "SELECT", "0")
}

// keyState is a canonical description of one key.
type keyState struct {
	typ, enc string
	expire   int64
	content  string
}

// dumpAll reads every key of every database.
func dumpAll(t testing.TB, c *redistest.Conn) map[string]keyState {
	t.Helper()
	out := map[string]keyState{}
	for db := 0; db < 16; db++ {
		do(t, c, "SELECT", strconv.Itoa(db))
		cursor := "0"
		for {
			r := do(t, c, "SCAN", cursor, "COUNT", "1000")
			cursor = string(r.Elems[0].Str)
			for _, k := range r.Elems[1].Elems {
				key := string(k.Str)
				out[strconv.Itoa(db)+"/"+key] = keyOf(t, c, key)
			}
			if cursor == "0" {
				break
			}
		}
	}
	do(t, c, "SELECT", "0")
	return out
}

func keyOf(t testing.TB, c *redistest.Conn, key string) keyState {
	var ks keyState
	ks.typ = string(do(t, c, "TYPE", key).Str)
	ks.enc = string(do(t, c, "OBJECT", "ENCODING", key).Str)
	ks.expire = do(t, c, "PEXPIRETIME", key).Int
	var parts []string
	elems := func(r proto.Reply) []string {
		var s []string
		for _, e := range r.Elems {
			s = append(s, string(e.Str))
		}
		return s
	}
	switch ks.typ {
	case "string":
		parts = []string{string(do(t, c, "GET", key).Str)}
	case "list":
		parts = elems(do(t, c, "LRANGE", key, "0", "-1"))
	case "set":
		parts = elems(do(t, c, "SMEMBERS", key))
		slices.Sort(parts)
	case "zset":
		parts = elems(do(t, c, "ZRANGE", key, "0", "-1", "WITHSCORES"))
	case "hash":
		kv := elems(do(t, c, "HGETALL", key))
		var pairs []string
		for i := 0; i+1 < len(kv); i += 2 {
			pairs = append(pairs, kv[i]+"="+kv[i+1])
		}
		slices.Sort(pairs)
		parts = pairs
	case "stream":
		// Entries, counters and groups; not the node layout (an AOF
		// rebuilds nodes without tombstones) nor times a reload resets.
		flat := func(r proto.Reply) string { return string(proto.AppendCLI(nil, &r)) }
		parts = append(parts, flat(do(t, c, "XRANGE", key, "-", "+")))
		info := do(t, c, "XINFO", "STREAM", key)
		for i := 0; i+1 < len(info.Elems); i += 2 {
			if name := string(info.Elems[i].Str); !strings.HasPrefix(name, "radix-tree") {
				parts = append(parts, name+"="+flat(info.Elems[i+1]))
			}
		}
		groups := do(t, c, "XINFO", "GROUPS", key)
		parts = append(parts, flat(groups))
		for _, g := range groups.Elems {
			parts = append(parts, flat(do(t, c, "XPENDING", key, string(g.Elems[1].Str))))
		}
	}
	ks.content = strings.Join(parts, "\x01")
	return ks
}

// compareData fails on any difference between two dumps.
func compareData(t testing.TB, what string, want, got map[string]keyState) {
	t.Helper()
	bad := 0
	for k, w := range want {
		g, ok := got[k]
		switch {
		case !ok:
			t.Errorf("%s: key %q missing", what, k)
		case g != w:
			t.Errorf("%s: key %q differs:\n want %s %s exp=%d %.80q\n  got %s %s exp=%d %.80q",
				what, k, w.typ, w.enc, w.expire, w.content, g.typ, g.enc, g.expire, g.content)
		default:
			continue
		}
		if bad++; bad > 10 {
			t.Fatalf("%s: too many differences", what)
		}
	}
	for k := range got {
		if _, ok := want[k]; !ok {
			t.Errorf("%s: unexpected key %q", what, k)
		}
	}
	if len(want) == 0 {
		t.Errorf("%s: no data compared", what)
	}
}

// copyDir copies the files of src (and one level of subdirectories) to a
// new temporary directory.
func copyDir(t testing.TB, src string) string {
	t.Helper()
	dst := t.TempDir()
	err := filepath.Walk(src, func(path string, info os.FileInfo, err error) error {
		if err != nil {
			return err
		}
		rel, _ := filepath.Rel(src, path)
		target := filepath.Join(dst, rel)
		if info.IsDir() {
			return os.MkdirAll(target, 0o755)
		}
		in, err := os.Open(path)
		if err != nil {
			return err
		}
		defer in.Close()
		out, err := os.Create(target)
		if err != nil {
			return err
		}
		defer out.Close()
		_, err = io.Copy(out, in)
		return err
	})
	if err != nil {
		t.Fatal(err)
	}
	return dst
}

// checkTool runs redis-check-rdb or redis-check-aof and fails unless it
// says the file is fine.
func checkTool(t testing.TB, tool, path string) string {
	t.Helper()
	bin, err := exec.LookPath(tool)
	if err != nil {
		t.Skipf("%s is not installed", tool)
	}
	out, err := exec.Command(bin, path).CombinedOutput()
	if err != nil {
		t.Fatalf("%s %s: %v\n%s", tool, path, err, out)
	}
	return string(out)
}
