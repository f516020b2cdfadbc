package persist_test

import (
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/redisfs/redisfs/core/redistest"
)

// TestBGSaveStall measures how long the loop is held during a BGSAVE of 1M
// small keys, on a redisfs process of its own: a client PINGs in a loop
// and the longest round trip is reported, with the longest step the
// server itself logs. Set PERSIST_BENCH=1.
func TestBGSaveStall(t *testing.T) {
	if os.Getenv("PERSIST_BENCH") == "" {
		t.Skip("set PERSIST_BENCH=1 to run")
	}
	n := 1000000
	for _, what := range []string{"BGSAVE", "BGREWRITEAOF"} {
		p := startProcess(t, t.TempDir(), "appendonly yes\nsave \"\"\n")
		c := redistest.Dial(t, p.Addr)
		c.Timeout = 5 * time.Minute
		do(t, c, "DEBUG", "POPULATE", strconv.Itoa(n))
		pc := redistest.Dial(t, p.Addr)
		pc.Do("SET", "k", "v")
		start := time.Now()
		do(t, c, what)
		var lat []time.Duration
		for {
			t0 := time.Now()
			pc.Do("SET", "k", "v")
			lat = append(lat, time.Since(t0))
			if infoField(t, c, "rdb_bgsave_in_progress") == "0" && infoField(t, c, "aof_rewrite_in_progress") == "0" {
				break
			}
		}
		el := time.Since(start)
		for i, l := range lat {
			if l > 5*time.Millisecond {
				t.Logf("slow SET #%d of %d: %v", i, len(lat), l)
			}
		}
		slices.Sort(lat)
		b := []byte(p.Log.String())
		i := strings.LastIndex(string(b), "longest loop stall ")
		stall := "?"
		if i >= 0 {
			stall = strings.Join(strings.Fields(string(b[i+len("longest loop stall "):]))[:3], " ")
		}
		t.Logf("%s of %d keys: %v; %d SETs meanwhile, p50 %v p99 %v max %v; longest step (server log) %s",
			what, n, el.Round(time.Millisecond), len(lat), lat[len(lat)/2], lat[len(lat)*99/100], lat[len(lat)-1], stall)
		p.Kill()
	}
}

// TestSaveLoadSpeed compares SAVE and load of 1M small keys (DEBUG
// POPULATE) with redis-server's, best of three each. Set PERSIST_BENCH=1.
func TestSaveLoadSpeed(t *testing.T) {
	if os.Getenv("PERSIST_BENCH") == "" {
		t.Skip("set PERSIST_BENCH=1 to run")
	}
	const n = "1000000"
	best := func(f func() time.Duration) time.Duration {
		b := time.Duration(1 << 62)
		for i := 0; i < 3; i++ {
			b = min(b, f())
		}
		return b
	}
	loadedIn := func(log string) time.Duration {
		i := strings.LastIndex(log, "DB loaded from disk: ")
		if i < 0 {
			t.Fatalf("no load time in the log:\n%s", log)
		}
		f, _ := strconv.ParseFloat(strings.Fields(log[i+len("DB loaded from disk: "):])[0], 64)
		return time.Duration(f * float64(time.Second))
	}

	rdir := t.TempDir()
	rc := redistest.Dial(t, startRedis(t, rdir, "--loglevel", "notice"))
	rc.Timeout = 5 * time.Minute
	do(t, rc, "DEBUG", "POPULATE", n)
	rsave := best(func() time.Duration { t0 := time.Now(); do(t, rc, "SAVE"); return time.Since(t0) })
	rload := best(func() time.Duration {
		d := copyDir(t, rdir)
		os.Remove(filepath.Join(d, "redis.log"))
		addr := startRedis(t, d, "--loglevel", "notice", "--logfile", filepath.Join(d, "redis.log"))
		redistest.Dial(t, addr).Do("PING")
		b, _ := os.ReadFile(filepath.Join(d, "redis.log"))
		return loadedIn(string(b))
	})

	odir := t.TempDir()
	ours := startOurs(t, odir, noPersistence)
	oc := redistest.Dial(t, ours.addr)
	oc.Timeout = 5 * time.Minute
	do(t, oc, "DEBUG", "POPULATE", n)
	osave := best(func() time.Duration { t0 := time.Now(); do(t, oc, "SAVE"); return time.Since(t0) })
	ours.stop()
	oload := best(func() time.Duration {
		o := startOurs(t, odir, rdbOnly)
		d := loadedIn(o.log.String())
		o.stop()
		return d
	})
	rs, _ := os.Stat(filepath.Join(rdir, "dump.rdb"))
	os_, _ := os.Stat(filepath.Join(odir, "dump.rdb"))
	t.Logf("SAVE of %s keys: redis %v, ours %v (%.2fx); files %d and %d bytes", n, rsave, osave, float64(osave)/float64(rsave), rs.Size(), os_.Size())
	t.Logf("load of %s keys: redis %v, ours %v (%.2fx)", n, rload, oload, float64(oload)/float64(rload))
}
