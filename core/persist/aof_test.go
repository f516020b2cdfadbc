package persist_test

import (
	"bytes"
	"errors"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/redisfs/redisfs/core/cmds"
	"github.com/redisfs/redisfs/core/persist"
	"github.com/redisfs/redisfs/core/redistest"
)

func aofOn(policy string, preamble bool) func(*cmds.Config) {
	return func(c *cmds.Config) {
		c.Save = ""
		c.AppendOnly = true
		c.AppendFsync = policy
		c.AofUseRDBPreamble = preamble
	}
}

// moreWrites changes the data set after a rewrite: deletes, overwrites,
// TTLs, a transaction, another database.
func moreWrites(t testing.TB, c *redistest.Conn) {
	do(t, c, "DEL", "db0:int", "db0:bighash")
	do(t, c, "SET", "db0:short", "changed", "PX", "900000")
	do(t, c, "RPUSH", "db0:biglist", "tail1", "tail2")
	do(t, c, "LPOP", "db0:list")
	do(t, c, "ZINCRBY", "db0:zset", "10", "a")
	do(t, c, "HDEL", "db0:hash", "f1")
	do(t, c, "SREM", "db0:bigset", "member:1")
	do(t, c, "EXPIRE", "db0:strset", "80000")
	do(t, c, "PERSIST", "db0:ttl")
	do(t, c, "MULTI")
	do(t, c, "INCR", "db0:counter")
	do(t, c, "INCR", "db0:counter")
	do(t, c, "SELECT", "5")
	do(t, c, "SET", "in5", "x")
	do(t, c, "EXEC")
	do(t, c, "SELECT", "0")
	do(t, c, "INCRBYFLOAT", "db0:float", "0.1")
	do(t, c, "RENAME", "db0:lzf", "db0:lzf2")
	do(t, c, "SWAPDB", "3", "4")
}

// Our AOF directory passes redis-check-aof, loads into redis-server with
// the same data, and loads back into ours; with and without the RDB
// preamble, across a rewrite.
func TestAOFRoundTrip(t *testing.T) {
	for _, preamble := range []bool{true, false} {
		name := "preamble"
		if !preamble {
			name = "commands"
		}
		t.Run(name, func(t *testing.T) {
			dir := t.TempDir()
			ours := startOurs(t, dir, aofOn("always", preamble))
			c := redistest.Dial(t, ours.addr)
			populate(t, c, 4)
			if r := do(t, c, "BGREWRITEAOF"); string(r.Str) != "Background append only file rewriting started" {
				t.Fatalf("BGREWRITEAOF: %q", r.Str)
			}
			// Writes during the rewrite go to the new incremental file.
			do(t, c, "SET", "during", "rewrite")
			waitBackground(t, c)
			moreWrites(t, c)
			want := dumpAll(t, c)

			aofdir := filepath.Join(dir, "appendonlydir")
			out := checkTool(t, "redis-check-aof", filepath.Join(aofdir, "appendonly.aof.manifest"))
			if !strings.Contains(out, "All AOF files and manifest are valid") {
				t.Fatalf("redis-check-aof:\n%s", out)
			}
			files, _ := filepath.Glob(filepath.Join(aofdir, "*"))
			if len(files) != 3 {
				t.Errorf("AOF dir holds %v, want base, one incr, manifest", files)
			}
			addr := startRedis(t, copyDir(t, dir), "--appendonly", "yes")
			compareData(t, "redis loading our AOF", want, dumpAll(t, redistest.Dial(t, addr)))

			ours.stop()
			ours = startOurs(t, dir, aofOn("always", preamble))
			compareData(t, "ours reloading its AOF", want, dumpAll(t, redistest.Dial(t, ours.addr)))
		})
	}
}

// Real Redis's AOF directory loads into ours.
func TestAOFFromRedis(t *testing.T) {
	dir := t.TempDir()
	addr := startRedis(t, dir, "--appendonly", "yes", "--appendfsync", "always")
	rc := redistest.Dial(t, addr)
	populate(t, rc, 5)
	do(t, rc, "BGREWRITEAOF")
	waitBackground(t, rc)
	moreWrites(t, rc)
	want := dumpAll(t, rc)
	ours := startOurs(t, copyDir(t, dir), aofOn("everysec", true))
	compareData(t, "ours loading redis's AOF", want, dumpAll(t, redistest.Dial(t, ours.addr)))
}

// Turning appendonly on at run time makes a base from the data there.
func TestAppendOnlyConfigSet(t *testing.T) {
	dir := t.TempDir()
	ours := startOurs(t, dir, noPersistence)
	c := redistest.Dial(t, ours.addr)
	populate(t, c, 6)
	do(t, c, "CONFIG", "SET", "appendonly", "yes")
	do(t, c, "SET", "after", "on")
	waitBackground(t, c)
	do(t, c, "SET", "after2", "on")
	want := dumpAll(t, c)
	checkTool(t, "redis-check-aof", filepath.Join(dir, "appendonlydir", "appendonly.aof.manifest"))
	ours.stop()
	ours = startOurs(t, dir, aofOn("everysec", true))
	compareData(t, "after CONFIG SET appendonly yes", want, dumpAll(t, redistest.Dial(t, ours.addr)))
}

// writeAOF makes an AOF directory of a manifest and incremental files.
func writeAOF(t *testing.T, incr ...string) string {
	dir := t.TempDir()
	ad := filepath.Join(dir, "appendonlydir")
	os.MkdirAll(ad, 0o755)
	var m strings.Builder
	for i, content := range incr {
		name := "appendonly.aof." + string(rune('1'+i)) + ".incr.aof"
		os.WriteFile(filepath.Join(ad, name), []byte(content), 0o644)
		m.WriteString("file " + name + " seq " + string(rune('1'+i)) + " type i\n")
	}
	os.WriteFile(filepath.Join(ad, "appendonly.aof.manifest"), []byte(m.String()), 0o644)
	return dir
}

const (
	setA    = "*3\r\n$3\r\nSET\r\n$1\r\na\r\n$1\r\n1\r\n"
	setB    = "*3\r\n$3\r\nSET\r\n$1\r\nb\r\n$1\r\n2\r\n"
	multi   = "*1\r\n$5\r\nMULTI\r\n"
	execCmd = "*1\r\n$4\r\nEXEC\r\n"
)

// Truncated and malformed AOF files: the truncated tail of the last file is
// cut off (aof-load-truncated), anything else refuses to start with the
// file and offset.
func TestAOFDamaged(t *testing.T) {
	type tc struct {
		name     string
		files    []string
		truncOK  bool
		wantErr  string
		wantKeys []string
	}
	cases := []tc{
		{"truncated tail", []string{setA + setB[:20]}, true, "", []string{"a"}},
		{"truncated tail, refused", []string{setA + setB[:20]}, false, "truncated", nil},
		{"incomplete multi", []string{setA + multi + setB}, true, "", []string{"a"}},
		{"complete multi", []string{setA + multi + setB + execCmd}, true, "", []string{"a", "b"}},
		{"truncated middle file", []string{setA[:10], setB}, true, "not the last file", nil},
		{"bad format", []string{setA + "garbage\r\n" + setB}, true, "bad file format", nil},
		{"unknown command", []string{"*1\r\n$7\r\nNOTACMD\r\n"}, true, "Unknown command", nil},
		{"annotation", []string{"#TS:1234\r\n" + setA}, true, "", []string{"a"}},
	}
	for _, x := range cases {
		t.Run(x.name, func(t *testing.T) {
			dir := writeAOF(t, x.files...)
			ours, err := tryStartOurs(t, dir, func(c *cmds.Config) {
				aofOn("everysec", true)(c)
				c.AofLoadTruncated = x.truncOK
			})
			if x.wantErr != "" {
				var le *persist.LoadError
				if !errors.As(err, &le) || !strings.Contains(err.Error(), x.wantErr) || !strings.Contains(err.Error(), "offset") {
					t.Fatalf("start: %v, want a LoadError about %q", err, x.wantErr)
				}
				t.Logf("%v", err)
				return
			}
			if err != nil {
				t.Fatalf("start: %v", err)
			}
			c := redistest.Dial(t, ours.addr)
			got := do(t, c, "KEYS", "*")
			if len(got.Elems) != len(x.wantKeys) {
				t.Fatalf("keys %v, want %v", got.Elems, x.wantKeys)
			}
			// The file was cut back, so it now passes redis-check-aof.
			ours.stop()
			checkTool(t, "redis-check-aof", filepath.Join(dir, "appendonlydir", "appendonly.aof.manifest"))
		})
	}
}

var bigNumber = regexp.MustCompile(`\$1[34]\r\n\d{13,14}\r\n`)

// readIncr returns the content of the incremental files of dir.
func readIncr(t *testing.T, dir string) []byte {
	files, _ := filepath.Glob(filepath.Join(dir, "appendonlydir", "*.incr.aof"))
	var all []byte
	for _, f := range files {
		b, err := os.ReadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		all = append(all, b...)
	}
	return bigNumber.ReplaceAll(all, []byte("$T\r\nTIME\r\n"))
}

// The AOF holds what Redis 7.0's holds for the same commands: absolute
// times, rewritten commands, DEL for expired keys, MULTI … EXEC around
// units of several commands.
func TestPropagationMatchesRedis(t *testing.T) {
	script := [][]string{
		{"DEBUG", "SET-ACTIVE-EXPIRE", "0"},
		{"SET", "a", "1", "EX", "100"},
		{"SET", "b", "2", "PX", "100000"},
		{"SET", "c", "3", "EXAT", "99999999999"},
		{"set", "d", "4", "pxat", "99999999999000", "get"},
		{"SET", "e", "5", "KEEPTTL", "GET"},
		{"set", "e", "6", "nx"},
		{"SETEX", "f", "100", "v"},
		{"PSETEX", "g", "100000", "v"},
		{"GETEX", "f", "EX", "200"},
		{"GETEX", "f", "PXAT", "99999999999000"},
		{"GETEX", "f", "PERSIST"},
		{"GETEX", "g", "EXAT", "1"},
		{"GETDEL", "e"},
		{"INCRBYFLOAT", "h", "1.5"},
		{"INCRBYFLOAT", "h", "1e3"},
		{"HINCRBYFLOAT", "hh", "f", "2.5"},
		{"EXPIRE", "a", "50"},
		{"PEXPIRE", "a", "60000", "GT"},
		{"EXPIREAT", "a", "99999999999"},
		{"pexpireat", "a", "99999999999001"},
		{"EXPIRE", "a", "-1"},
		{"RPUSH", "l", "a", "b", "c", "d", "e"},
		{"LPOP", "l"},
		{"BLPOP", "nothing", "l", "0"},
		{"BRPOP", "l", "0"},
		{"LMPOP", "1", "l", "LEFT", "COUNT", "5"},
		{"RPUSH", "l", "a", "b", "c"},
		{"BLMOVE", "l", "l2", "LEFT", "RIGHT", "0"},
		{"BRPOPLPUSH", "l", "l2", "0"},
		{"BLMPOP", "0", "1", "l2", "RIGHT", "COUNT", "1"},
		{"ZADD", "z", "1", "a", "2", "b", "3", "c"},
		{"BZPOPMIN", "z", "0"},
		{"ZMPOP", "1", "z", "MAX"},
		{"BZMPOP", "0", "1", "z", "MIN", "COUNT", "9"},
		{"SADD", "s", "x", "y"},
		{"SPOP", "s", "5"},
		{"MULTI"}, {"INCR", "n"}, {"EXEC"},
		{"MULTI"}, {"INCR", "n"}, {"SELECT", "2"}, {"INCR", "n"}, {"EXEC"},
		{"SELECT", "0"},
		{"SET", "x", "1", "PX", "1"},
		{"SLEEP"},
		{"GET", "x"},
		{"SET", "y", "1", "PX", "1"},
		{"SLEEP"},
		{"SET", "y", "2", "NX"},
		{"SET", "k", "v"},
		{"COPY", "k", "k2", "DB", "3"},
		{"MOVE", "k2", "4"},
		{"RENAME", "k", "k3"},
		{"DEL", "nosuchkey"},
		{"SWAPDB", "0", "1"},
		{"FLUSHDB"},
		// Blocked clients served by another client's write.
		{"BLOCKED", "BLPOP", "b1", "0"}, {"RPUSH", "b1", "x", "y"},
		{"BLOCKED", "BLMPOP", "0", "1", "b2", "RIGHT", "COUNT", "5"}, {"RPUSH", "b2", "x", "y", "z"},
		{"BLOCKED", "BLMOVE", "b3", "d3", "LEFT", "RIGHT", "0"}, {"RPUSH", "b3", "x"},
		{"BLOCKED", "BRPOPLPUSH", "b4", "d4", "0"}, {"RPUSH", "b4", "x"},
		{"BLOCKED", "BZPOPMAX", "b5", "0"}, {"ZADD", "b5", "1", "a", "2", "b"},
		{"BLOCKED", "BZMPOP", "0", "1", "b6", "MIN", "COUNT", "3"}, {"ZADD", "b6", "1", "a", "2", "b"},
		{"FLUSHALL"},
	}
	run := func(addr string) {
		c := redistest.Dial(t, addr)
		bc := redistest.Dial(t, addr)
		for i := 0; i < len(script); i++ {
			cmd := script[i]
			switch cmd[0] {
			case "SLEEP":
				time.Sleep(20 * time.Millisecond)
				continue
			case "BLOCKED":
				bc.Write(redistest.Command(cmd[1:]...))
				time.Sleep(50 * time.Millisecond)
				i++
				c.Do(script[i]...)
				bc.ReadReply()
				continue
			}
			c.Do(cmd...)
		}
	}
	rdir := t.TempDir()
	raddr := startRedis(t, rdir, "--appendonly", "yes", "--appendfsync", "always", "--save", "")
	run(raddr)
	odir := t.TempDir()
	ours := startOurs(t, odir, aofOn("always", true))
	run(ours.addr)
	want, got := readIncr(t, rdir), readIncr(t, odir)
	if !bytes.Equal(want, got) {
		wl := strings.Split(strings.ReplaceAll(string(want), "\r\n", " "), "*")
		gl := strings.Split(strings.ReplaceAll(string(got), "\r\n", " "), "*")
		for i := 0; i < max(len(wl), len(gl)); i++ {
			var w, g string
			if i < len(wl) {
				w = wl[i]
			}
			if i < len(gl) {
				g = gl[i]
			}
			mark := "  "
			if w != g {
				mark = "!!"
			}
			t.Logf("%s redis: %-50q ours: %q", mark, w, g)
		}
		t.Fatalf("AOF contents differ")
	}
}
