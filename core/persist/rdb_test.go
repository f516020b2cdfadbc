package persist_test

import (
	"errors"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"

	"github.com/redisfs/redisfs/core/cmds"
	"github.com/redisfs/redisfs/core/persist"
	"github.com/redisfs/redisfs/core/redistest"
)

// Our dump.rdb passes redis-check-rdb, and redis-server started on it
// holds the same data, encodings and expire times included.
func TestRDBSavedByUsLoadsInRedis(t *testing.T) {
	dir := t.TempDir()
	ours := startOurs(t, dir, noPersistence)
	c := redistest.Dial(t, ours.addr)
	populate(t, c, 1)
	want := dumpAll(t, c)
	if r := do(t, c, "SAVE"); string(r.Str) != "OK" {
		t.Fatalf("SAVE: %q", r.Str)
	}
	out := checkTool(t, "redis-check-rdb", filepath.Join(dir, "dump.rdb"))
	if !strings.Contains(out, "RDB looks OK") {
		t.Fatalf("redis-check-rdb:\n%s", out)
	}
	addr := startRedis(t, copyDir(t, dir), "--dbfilename", "dump.rdb")
	rc := redistest.Dial(t, addr)
	compareData(t, "redis loading our dump.rdb", want, dumpAll(t, rc))

	// BGSAVE writes the same data.
	if r := do(t, c, "BGSAVE"); string(r.Str) != "Background saving started" {
		t.Fatalf("BGSAVE: %q", r.Str)
	}
	waitBackground(t, c)
	addr = startRedis(t, copyDir(t, dir), "--dbfilename", "dump.rdb")
	compareData(t, "redis loading our BGSAVE", want, dumpAll(t, redistest.Dial(t, addr)))
}

// Real Redis's dump.rdb loads into ours with the same data.
func TestRDBSavedByRedisLoadsInUs(t *testing.T) {
	dir := t.TempDir()
	addr := startRedis(t, dir)
	rc := redistest.Dial(t, addr)
	populate(t, rc, 2)
	want := dumpAll(t, rc)
	do(t, rc, "SAVE")
	ours := startOurs(t, copyDir(t, dir), func(c *cmds.Config) { c.AppendOnly = false })
	c := redistest.Dial(t, ours.addr)
	compareData(t, "ours loading redis's dump.rdb", want, dumpAll(t, c))
	if got := infoField(t, c, "rdb_last_load_keys_loaded"); got != strconv.Itoa(len(want)) {
		t.Errorf("rdb_last_load_keys_loaded = %s", got)
	}
	// DEBUG RELOAD saves and loads back the same data.
	if r := do(t, c, "DEBUG", "RELOAD"); string(r.Str) != "OK" {
		t.Fatalf("DEBUG RELOAD: %q", r.Str)
	}
	compareData(t, "after DEBUG RELOAD", want, dumpAll(t, c))
}

// A damaged RDB file stops the start with the file and the offset.
func TestRDBCorruptRefusesToStart(t *testing.T) {
	dir := t.TempDir()
	ours := startOurs(t, dir, noPersistence)
	c := redistest.Dial(t, ours.addr)
	populate(t, c, 3)
	do(t, c, "SAVE")
	ours.stop()
	data, err := os.ReadFile(filepath.Join(dir, "dump.rdb"))
	if err != nil {
		t.Fatal(err)
	}
	cases := []struct {
		name string
		data []byte
		want string
	}{
		{"truncated", data[:len(data)/2], "truncated"},
		{"no checksum", data[:len(data)-8], "truncated"},
		{"flipped byte", flip(data, len(data)/3), ""},
		{"bad checksum", flip(data, len(data)-3), "checksum"},
		{"bad magic", append([]byte("RADIS"), data[5:]...), "signature"},
		{"bad version", append([]byte("REDIS0099"), data[9:]...), "version"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			d := t.TempDir()
			if err := os.WriteFile(filepath.Join(d, "dump.rdb"), tc.data, 0o644); err != nil {
				t.Fatal(err)
			}
			_, err := tryStartOurs(t, d, func(c *cmds.Config) { c.AppendOnly = false })
			var le *persist.LoadError
			if !errors.As(err, &le) {
				t.Fatalf("start: %v, want a LoadError", err)
			}
			msg := err.Error()
			if !strings.Contains(msg, "dump.rdb") || !strings.Contains(msg, "offset") || !strings.Contains(msg, tc.want) {
				t.Errorf("error %q should name the file, the offset and %q", msg, tc.want)
			}
			t.Logf("%s: %v", tc.name, err)
		})
	}
}

func flip(b []byte, i int) []byte {
	c := append([]byte(nil), b...)
	c[i] ^= 0x5a
	return c
}

// Under an LRU or LFU maxmemory-policy the file carries each key's access
// data, as Redis's does, and loading restores it.
func TestRDBAccessData(t *testing.T) {
	for _, policy := range []string{"allkeys-lru", "allkeys-lfu"} {
		t.Run(policy, func(t *testing.T) {
			dir := t.TempDir()
			addr := startRedis(t, dir, "--maxmemory-policy", policy)
			rc := redistest.Dial(t, addr)
			do(t, rc, "SET", "k", "v")
			do(t, rc, "RESTORE", "old", "0", string(do(t, rc, "DUMP", "k").Str), "IDLETIME", "5000")
			do(t, rc, "RESTORE", "hot", "0", string(do(t, rc, "DUMP", "k").Str), "FREQ", "77")
			do(t, rc, "SAVE")
			ours := startOurs(t, copyDir(t, dir), func(c *cmds.Config) { rdbOnly(c); c.MaxMemoryPolicy = policy })
			c := redistest.Dial(t, ours.addr)
			if policy == "allkeys-lru" {
				if idle := do(t, c, "OBJECT", "IDLETIME", "old").Int; idle < 5000 || idle > 5010 {
					t.Errorf("OBJECT IDLETIME old = %d after loading", idle)
				}
			} else if freq := do(t, c, "OBJECT", "FREQ", "hot").Int; freq != 77 {
				t.Errorf("OBJECT FREQ hot = %d after loading", freq)
			}
			// Our file carries them too (redis-server reads them back).
			do(t, c, "SAVE")
			rc2 := redistest.Dial(t, startRedis(t, copyDir(t, ours.p.Dir()), "--maxmemory-policy", policy))
			if policy == "allkeys-lru" {
				if idle := do(t, rc2, "OBJECT", "IDLETIME", "old").Int; idle < 5000 || idle > 5010 {
					t.Errorf("redis: OBJECT IDLETIME old = %d after loading ours", idle)
				}
			} else if freq := do(t, rc2, "OBJECT", "FREQ", "hot").Int; freq != 77 {
				t.Errorf("redis: OBJECT FREQ hot = %d after loading ours", freq)
			}
		})
	}
}

// Function libraries travel in the RDB file (RDB_OPCODE_FUNCTION2) both
// ways: a real Redis loads ours and we load Redis's, and DEBUG RELOAD
// keeps them.
func TestRDBFunctions(t *testing.T) {
	const lib = "#!lua name=rdblib\nredis.register_function('rdbf', function(keys, args) return 'from ' .. args[1] end)"
	dir := t.TempDir()
	ours := startOurs(t, dir, noPersistence)
	c := redistest.Dial(t, ours.addr)
	if r := c.Do("FUNCTION", "LOAD", lib); string(r) != "$6\r\nrdblib\r\n" {
		t.Fatalf("FUNCTION LOAD: %q", r)
	}
	if r := c.Do("SAVE"); string(r) != "+OK\r\n" {
		t.Fatalf("SAVE: %q", r)
	}
	if r := c.Do("DEBUG", "RELOAD"); string(r) != "+OK\r\n" {
		t.Fatalf("DEBUG RELOAD: %q", r)
	}
	if r := c.Do("FCALL", "rdbf", "0", "reload"); string(r) != "$11\r\nfrom reload\r\n" {
		t.Fatalf("FCALL after DEBUG RELOAD: %q", r)
	}
	rc := redistest.Dial(t, startRedis(t, copyDir(t, dir), "--dbfilename", "dump.rdb"))
	if r := rc.Do("FCALL", "rdbf", "0", "us"); string(r) != "$7\r\nfrom us\r\n" {
		t.Fatalf("redis FCALL of our library: %q", r)
	}
	rc.Do("FUNCTION", "LOAD", "#!lua name=theirs\nredis.register_function('theirf', function() return 'theirs' end)")
	rc.Do("SAVE")
	var dirReply []string
	for _, l := range strings.Split(string(rc.Do("CONFIG", "GET", "dir")), "\r\n") {
		if l != "" && l[0] != '*' && l[0] != '$' {
			dirReply = append(dirReply, l)
		}
	}
	ours2 := startOurs(t, copyDir(t, dirReply[1]), func(c *cmds.Config) { c.AppendOnly = false })
	c2 := redistest.Dial(t, ours2.addr)
	if r := c2.Do("FCALL", "theirf", "0"); string(r) != "$6\r\ntheirs\r\n" {
		t.Fatalf("our FCALL of redis's library: %q", r)
	}
	if r := c2.Do("FCALL", "rdbf", "0", "x"); string(r) != "$6\r\nfrom x\r\n" {
		t.Fatalf("our FCALL of the round-tripped library: %q", r)
	}
}
