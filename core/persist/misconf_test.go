package persist_test

import (
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/redisfs/redisfs/core/cmds"
	"github.com/redisfs/redisfs/core/redistest"
)

// smallDisk mounts a tmpfs of size bytes for the test (skipped where
// mounting is not allowed) and returns its directory.
func smallDisk(t *testing.T, size string) string {
	t.Helper()
	dir := t.TempDir()
	if out, err := exec.Command("mount", "-t", "tmpfs", "-o", "size="+size, "tmpfs", dir).CombinedOutput(); err != nil {
		t.Skipf("cannot mount a tmpfs: %v %s", err, out)
	}
	t.Cleanup(func() {
		for i := 0; i < 50; i++ {
			if exec.Command("umount", dir).Run() == nil {
				return
			}
			time.Sleep(100 * time.Millisecond)
		}
	})
	return dir
}

// fill writes a file until the disk is full; removing it frees the space.
func fill(t *testing.T, dir string) string {
	path := filepath.Join(dir, "filler")
	f, err := os.Create(path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	buf := make([]byte, 4096)
	for {
		if _, err := f.Write(buf); err != nil {
			return path
		}
	}
}

// errorText returns the error reply of a command ("" when not an error).
func errorText(c *redistest.Conn, args ...string) string {
	raw := c.Do(args...)
	if len(raw) > 0 && raw[0] == '-' {
		return strings.TrimRight(string(raw), "\r\n")
	}
	return ""
}

// A failing BGSAVE (disk full) refuses writes with Redis's MISCONF error
// until a save succeeds again.
func TestMisconfRDB(t *testing.T) {
	var texts [2]string
	for i, ours := range []bool{false, true} {
		disk := smallDisk(t, "2m")
		var c *redistest.Conn
		if ours {
			o := startOurs(t, disk, func(c *cmds.Config) { c.Save = "900 1"; c.AppendOnly = false })
			c = redistest.Dial(t, o.addr)
		} else {
			c = redistest.Dial(t, startRedis(t, disk, "--save", "900 1"))
		}
		do(t, c, "SET", "big", strings.Repeat("x", 1<<20))
		filler := fill(t, disk)
		do(t, c, "BGSAVE")
		waitFor(t, "BGSAVE to fail", func() bool {
			return infoField(t, c, "rdb_last_bgsave_status") == "err"
		})
		texts[i] = errorText(c, "SET", "k", "v")
		if e := errorText(c, "GET", "big"); e != "" {
			t.Errorf("reads must work: %s", e)
		}
		if e := errorText(c, "PING"); !strings.HasPrefix(e, "-MISCONF") {
			t.Errorf("PING: %q, want MISCONF as Redis", e)
		}
		os.Remove(filler)
		do(t, c, "BGSAVE")
		waitBackground(t, c)
		if e := errorText(c, "SET", "k", "v"); e != "" {
			t.Errorf("after space returned: %s", e)
		}
	}
	if !strings.HasPrefix(texts[0], "-MISCONF") || texts[0] != texts[1] {
		t.Errorf("MISCONF text:\n redis %q\n  ours %q", texts[0], texts[1])
	}
}

// A failing AOF write (disk full) refuses writes with MISCONF and keeps
// what it could not write; once space returns it is written, nothing lost.
func TestMisconfAOF(t *testing.T) {
	var texts [2]string
	for i, ours := range []bool{false, true} {
		disk := smallDisk(t, "4m")
		var c *redistest.Conn
		var o *ourServer
		if ours {
			o = startOurs(t, disk, aofOn("everysec", true))
			c = redistest.Dial(t, o.addr)
		} else {
			c = redistest.Dial(t, startRedis(t, disk, "--appendonly", "yes", "--appendfsync", "everysec"))
		}
		do(t, c, "SET", "before", "1")
		time.Sleep(100 * time.Millisecond)
		filler := fill(t, disk)
		do(t, c, "SET", "big", strings.Repeat("y", 64*1024))
		waitFor(t, "MISCONF", func() bool {
			texts[i] = errorText(c, "SET", "k", "v")
			return texts[i] != ""
		})
		if e := errorText(c, "GET", "before"); e != "" {
			t.Errorf("reads must work: %s", e)
		}
		os.Remove(filler)
		waitFor(t, "writes to work again", func() bool { return errorText(c, "SET", "after", "1") == "" })
		if ours {
			o.stop()
			o = startOurs(t, disk, aofOn("everysec", true))
			c = redistest.Dial(t, o.addr)
			for _, k := range []string{"before", "big", "after"} {
				if do(t, c, "EXISTS", k).Int != 1 {
					t.Errorf("%s lost across the disk-full episode", k)
				}
			}
		}
	}
	if !strings.HasPrefix(texts[0], "-MISCONF") || texts[0] != texts[1] {
		t.Errorf("MISCONF text:\n redis %q\n  ours %q", texts[0], texts[1])
	}
}

// While MISCONF holds, processCommand's MISCONF check comes before the
// RESP2 pub/sub context and the MONITOR (replica) check, as in Redis
// 7.0.15's server.c: a subscribed or monitoring client sending a write
// gets MISCONF, not the error of its context. Replies are compared byte
// for byte with a real redis-server.
func TestMisconfCheckOrder(t *testing.T) {
	var replies [2][]string
	for i, ours := range []bool{false, true} {
		disk := smallDisk(t, "2m")
		var addr string
		if ours {
			addr = startOurs(t, disk, func(c *cmds.Config) { c.Save = "900 1"; c.AppendOnly = false }).addr
		} else {
			addr = startRedis(t, disk, "--save", "900 1")
		}
		c := redistest.Dial(t, addr)
		do(t, c, "SET", "big", strings.Repeat("x", 1<<20))
		filler := fill(t, disk)
		do(t, c, "BGSAVE")
		waitFor(t, "BGSAVE to fail", func() bool {
			return infoField(t, c, "rdb_last_bgsave_status") == "err"
		})
		var got []string
		run := func(c *redistest.Conn, args ...string) {
			got = append(got, strings.Join(args, " ")+" -> "+string(c.Do(args...)))
		}
		// A RESP2 subscriber: writes and PING get MISCONF, reads the
		// pub/sub-context error.
		sub := redistest.Dial(t, addr)
		run(sub, "SUBSCRIBE", "ch")
		run(sub, "SET", "k", "v")
		run(sub, "PING")
		run(sub, "GET", "k")
		// A transaction: the refused write flags it.
		run(c, "MULTI")
		run(c, "SET", "k", "v")
		run(c, "EXEC")
		// A MONITOR client, last, when no other client sends anything.
		mon := redistest.Dial(t, addr)
		run(mon, "MONITOR")
		run(mon, "SET", "k", "v")
		run(mon, "GET", "k")
		replies[i] = got
		// Room again, so that the server can save when it stops.
		os.Remove(filler)
	}
	for j := range replies[0] {
		if j >= len(replies[1]) || replies[0][j] != replies[1][j] {
			var ours string
			if j < len(replies[1]) {
				ours = replies[1][j]
			}
			t.Errorf("redis %q\n        ours  %q", replies[0][j], ours)
		}
	}
}
