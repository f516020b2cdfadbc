package persist_test

import (
	"os"
	"os/exec"
	"path/filepath"
	"testing"

	"github.com/redisfs/redisfs/core/redistest"
)

// TestMemoryOnlyLoadsRDB starts redisfs with --save "" --appendonly no in
// a directory holding a dump.rdb that a real redis-server wrote: Redis
// loads the RDB at start whenever the AOF is off, and so must we (issue
// 11, bug 4). The loaded data are compared with what redis-server, started
// the same way on a copy of the file, serves; nothing is written to the
// directory.
func TestMemoryOnlyLoadsRDB(t *testing.T) {
	bin, err := exec.LookPath("redis-server")
	if err != nil {
		t.Skip("redis-server is not installed")
	}
	src := t.TempDir()
	w := redistest.StartProcess(t, src, 0, bin, "--port", redistest.PortArg, "--bind", "127.0.0.1",
		"--save", "", "--appendonly", "no", "--dir", src, "--logfile", "")
	c := redistest.Dial(t, w.Addr)
	for _, cmd := range [][]string{
		{"SET", "s", "hello"},
		{"SET", "n", "12345"},
		{"SET", "", "empty key"},
		{"SET", "ttl", "v", "EX", "100000"},
		{"RPUSH", "l", "a", "b", "c"},
		{"HSET", "h", "f", "v", "g", "w"},
		{"SADD", "set", "1", "2", "3"},
		{"ZADD", "z", "1", "a", "2.5", "b"},
		{"SELECT", "3"},
		{"SET", "in3", "x"},
		{"SAVE"},
	} {
		if r := c.Do(cmd...); r[0] == '-' {
			t.Fatalf("%v: %s", cmd, r)
		}
	}
	w.Kill()
	rdb, err := os.ReadFile(filepath.Join(src, "dump.rdb"))
	if err != nil {
		t.Fatal(err)
	}

	refDir, ourDir := t.TempDir(), t.TempDir()
	for _, d := range []string{refDir, ourDir} {
		if err := os.WriteFile(filepath.Join(d, "dump.rdb"), rdb, 0o644); err != nil {
			t.Fatal(err)
		}
	}
	ref := redistest.StartProcess(t, refDir, 0, bin, "--port", redistest.PortArg, "--bind", "127.0.0.1",
		"--save", "", "--appendonly", "no", "--dir", refDir, "--logfile", "")
	ours := redistest.StartProcess(t, ourDir, 0, redistest.BuildRedisfs(t), "serve", "--port", redistest.PortArg,
		"--save", "", "--appendonly", "no", "--dir", ourDir)
	p := redistest.NewPair(t, ref.Addr, ours.Addr)
	p.Do("DBSIZE")
	p.Do("GET", "s")
	p.Do("GET", "n")
	p.Do("OBJECT", "ENCODING", "n")
	p.Do("GET", "")
	p.DoMode(redistest.Approx, "TTL", "ttl")
	p.Do("LRANGE", "l", "0", "-1")
	p.DoMode(redistest.Sorted, "HGETALL", "h")
	p.Do("SMEMBERS", "set")
	p.Do("OBJECT", "ENCODING", "set")
	p.Do("ZRANGE", "z", "0", "-1", "WITHSCORES")
	p.Do("SELECT", "3")
	p.Do("GET", "in3")
	p.Do("DBSIZE")
	ents, err := os.ReadDir(ourDir)
	if err != nil {
		t.Fatal(err)
	}
	if len(ents) != 1 {
		var names []string
		for _, e := range ents {
			names = append(names, e.Name())
		}
		t.Errorf("memory-only start wrote to its directory: %v", names)
	}
}
