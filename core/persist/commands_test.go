package persist_test

import (
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"

	"github.com/redisfs/redisfs/core/cmds"
	"github.com/redisfs/redisfs/core/redistest"
)

// The replies of the persistence commands are Redis's.
func TestCommandReplies(t *testing.T) {
	ours := startOurs(t, t.TempDir(), func(c *cmds.Config) { c.Save = ""; c.AppendOnly = true })
	oc := redistest.Dial(t, ours.addr)
	rc := redistest.Dial(t, startRedis(t, t.TempDir(), "--appendonly", "yes"))
	pair := func(args ...string) {
		t.Helper()
		want, got := rc.Do(args...), oc.Do(args...)
		if string(want) != string(got) {
			t.Errorf("%v: redis %q, ours %q", args, want, got)
		}
	}
	pair("SAVE")
	pair("BGSAVE", "NOW")
	pair("BGSAVE", "SCHEDULE", "X")
	pair("DEBUG", "RELOAD", "BOGUS")
	pair("DEBUG", "RELOAD")
	pair("DEBUG", "LOADAOF")
	pair("MULTI")
	pair("SAVE")
	pair("DISCARD")
	for _, c := range []*redistest.Conn{rc, oc} {
		waitBackground(t, c)
	}
	// A BGSAVE asked while a rewrite runs (long enough to be asked).
	do(t, oc, "DEBUG", "POPULATE", "300000")
	for _, x := range [][2]string{
		{"BGREWRITEAOF", "+Background append only file rewriting started\r\n"},
		{"BGSAVE", "-ERR Another child process is active (AOF?): can't BGSAVE right now. Use BGSAVE SCHEDULE in order to schedule a BGSAVE whenever possible.\r\n"},
		{"BGSAVE SCHEDULE", "+Background saving scheduled\r\n"},
		{"BGREWRITEAOF", "-ERR Background append only file rewriting already in progress\r\n"},
	} {
		if got := string(oc.Do(strings.Fields(x[0])...)); got != x[1] {
			t.Errorf("%s during a rewrite: %q, want %q", x[0], got, x[1])
		}
	}
	waitFor(t, "the scheduled BGSAVE", func() bool { return infoField(t, oc, "rdb_saves") != "0" })
	waitBackground(t, oc)
	pair("CONFIG", "SET", "appendfsync", "sometimes")
	pair("CONFIG", "SET", "dbfilename", "a/b")
	pair("CONFIG", "GET", "appendfsync")
	pair("CONFIG", "GET", "aof-use-rdb-preamble")
	pair("CONFIG", "GET", "rdbcompression")
}

// Save points start a BGSAVE; a growing AOF is rewritten; LASTSAVE moves.
func TestAutomaticSaves(t *testing.T) {
	dir := t.TempDir()
	ours := startOurs(t, dir, func(c *cmds.Config) {
		c.Save = "1 1"
		c.AppendOnly = true
		c.AutoAofRewriteMinSize = 32 * 1024
	})
	c := redistest.Dial(t, ours.addr)
	before := do(t, c, "LASTSAVE").Int
	do(t, c, "SET", "k", "v")
	waitFor(t, "a save point to save", func() bool {
		return infoField(t, c, "rdb_changes_since_last_save") == "0" && do(t, c, "LASTSAVE").Int > before
	})
	if _, err := os.Stat(filepath.Join(dir, "dump.rdb")); err != nil {
		t.Errorf("no dump.rdb: %v", err)
	}
	for i := 0; i < 200; i++ {
		do(t, c, "SET", "key"+strconv.Itoa(i%10), strings.Repeat("x", 1000))
	}
	// About 200 KB were appended: an automatic rewrite starts, and
	// writes a base holding the 10 keys (about 10 KB). Where the AOF
	// ends depends on when the last rewrite ran: writes after it (or
	// during it, which aof_base_size counts) may leave it above 32 KB but
	// short of doubling, which starts no other rewrite, as in Redis. So
	// the check is on the base file the last rewrite wrote.
	waitFor(t, "an automatic AOF rewrite", func() bool {
		return infoField(t, c, "aof_rewrites") != "0" && infoField(t, c, "aof_rewrite_in_progress") == "0" &&
			infoField(t, c, "aof_rewrite_scheduled") == "0"
	})
	bases, _ := filepath.Glob(filepath.Join(dir, "appendonlydir", "*.base.*"))
	last, lastSeq := "", -1
	for _, b := range bases {
		// appendonly.aof.SEQ.base.rdb
		f := strings.Split(filepath.Base(b), ".")
		if len(f) >= 4 {
			if seq, err := strconv.Atoi(f[len(f)-3]); err == nil && seq > lastSeq {
				last, lastSeq = b, seq
			}
		}
	}
	if st, err := os.Stat(last); err != nil {
		t.Errorf("no rewritten base among %q: %v", bases, err)
	} else if st.Size() >= 32*1024 {
		t.Errorf("the rewritten base %s holds %d bytes, want the 10 keys (under 32 KB)", last, st.Size())
	}
}

// SHUTDOWN SAVE saves even without save points; SHUTDOWN NOSAVE does not
// save with them.
func TestShutdownSave(t *testing.T) {
	dir := t.TempDir()
	ours := startOurs(t, dir, noPersistence)
	c := redistest.Dial(t, ours.addr)
	do(t, c, "SET", "k", "v")
	c.Write(redistest.Command("SHUTDOWN", "SAVE"))
	<-ours.done
	if _, err := os.Stat(filepath.Join(dir, "dump.rdb")); err != nil {
		t.Fatalf("SHUTDOWN SAVE wrote no dump.rdb: %v", err)
	}
	ours.stop()

	dir2 := t.TempDir()
	ours = startOurs(t, dir2, rdbOnly)
	c = redistest.Dial(t, ours.addr)
	do(t, c, "SET", "k", "v")
	c.Write(redistest.Command("SHUTDOWN", "NOSAVE"))
	<-ours.done
	ours.stop()
	if _, err := os.Stat(filepath.Join(dir2, "dump.rdb")); err == nil {
		t.Fatalf("SHUTDOWN NOSAVE saved")
	}
	// Without SHUTDOWN (SIGTERM), save points make the final save.
	ours = startOurs(t, dir2, rdbOnly)
	c = redistest.Dial(t, ours.addr)
	do(t, c, "SET", "k", "v")
	ours.stop()
	if _, err := os.Stat(filepath.Join(dir2, "dump.rdb")); err != nil {
		t.Fatalf("no save at stop with save points: %v", err)
	}
}

// FLUSHALL with save points saves the empty data set at once (an old
// dump.rdb must not bring the keys back after a crash), stopping a BGSAVE.
func TestFlushAllSaves(t *testing.T) {
	dir := t.TempDir()
	ours := startOurs(t, dir, rdbOnly)
	c := redistest.Dial(t, ours.addr)
	do(t, c, "DEBUG", "POPULATE", "100000")
	do(t, c, "SAVE")
	do(t, c, "BGSAVE")
	do(t, c, "FLUSHALL")
	out := checkTool(t, "redis-check-rdb", filepath.Join(dir, "dump.rdb"))
	if !strings.Contains(out, "[info] 0 keys read") {
		t.Errorf("dump.rdb after FLUSHALL:\n%s", out)
	}
	waitBackground(t, c)
	if out := checkTool(t, "redis-check-rdb", filepath.Join(dir, "dump.rdb")); !strings.Contains(out, "[info] 0 keys read") {
		t.Errorf("the stopped BGSAVE replaced dump.rdb:\n%s", out)
	}
	if got := infoField(t, c, "rdb_last_bgsave_status"); got != "ok" {
		t.Errorf("rdb_last_bgsave_status %s", got)
	}
}
