package persist_test

import (
	"fmt"
	"math/rand/v2"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/redisfs/redisfs/core/cmds"
	"github.com/redisfs/redisfs/core/proto"
	"github.com/redisfs/redisfs/core/redistest"
)

func rdbOnly(c *cmds.Config) { c.Save = "3600 1"; c.AppendOnly = false }

// mgetAll checks that key:0 … key:n-1 hold value:0 … with one pipelined
// MGET per 1000 keys.
func checkPopulated(t *testing.T, c *redistest.Conn, n int) {
	t.Helper()
	for base := 0; base < n; base += 1000 {
		args := []string{"MGET"}
		for i := base; i < min(base+1000, n); i++ {
			args = append(args, "key:"+strconv.Itoa(i))
		}
		r := do(t, c, args...)
		for j, e := range r.Elems {
			if want := "value:" + strconv.Itoa(base+j); string(e.Str) != want {
				t.Fatalf("key:%d = %q, want %q (the snapshot is not the data at BGSAVE)", base+j, e.Str, want)
			}
		}
	}
}

// A BGSAVE is the data at the instant it started, whatever is written
// while it runs: overwrites, deletes, new keys, TTLs, pushes, FLUSHALL,
// SWAPDB.
func TestBGSaveIsPointInTime(t *testing.T) {
	const n = 100000
	for _, disrupt := range []string{"writes", "flushdb", "swapdb"} {
		t.Run(disrupt, func(t *testing.T) {
			dir := t.TempDir()
			ours := startOurs(t, dir, noPersistence)
			c := redistest.Dial(t, ours.addr)
			do(t, c, "DEBUG", "POPULATE", strconv.Itoa(n))
			args := []string{"RPUSH", "list"}
			for i := 0; i < 1000; i++ {
				args = append(args, strconv.Itoa(i))
			}
			do(t, c, args...)
			do(t, c, "HSET", "hash", "f", "old")
			do(t, c, "SELECT", "1")
			do(t, c, "SET", "in1", "one")
			do(t, c, "SELECT", "0")

			// Writes in the same pipeline as BGSAVE run before its first
			// step; the writers below run between steps.
			pipe := redistest.Command("BGSAVE")
			for i := 0; i < 2000; i++ {
				pipe = append(pipe, redistest.Command("SET", "key:"+strconv.Itoa(i*97%n), "changed")...)
			}
			c.Write(pipe)
			for i := 0; i <= 2000; i++ {
				c.ReadReply()
			}
			var stop atomic.Bool
			var wg sync.WaitGroup
			var writes atomic.Int64
			for w := 0; w < 3; w++ {
				wg.Add(1)
				go func(w int) {
					defer wg.Done()
					wc, err := redistest.TryDial(t, ours.addr)
					if err != nil {
						return
					}
					r := rand.New(rand.NewPCG(uint64(w), 1))
					for i := 0; !stop.Load(); i++ {
						k := "key:" + strconv.Itoa(r.IntN(n))
						var err error
						switch i % 6 {
						case 0:
							_, err = wc.TryDo("SET", k, "changed")
						case 1:
							_, err = wc.TryDo("DEL", k)
						case 2:
							_, err = wc.TryDo("SET", fmt.Sprintf("new:%d:%d", w, i), "x")
						case 3:
							_, err = wc.TryDo("EXPIRE", k, "1000")
						case 4:
							_, err = wc.TryDo("RPUSH", "list", "more")
						case 5:
							_, err = wc.TryDo("HSET", "hash", "f", "new", "g", "new")
						}
						if err != nil {
							return
						}
						writes.Add(1)
					}
				}(w)
			}
			switch disrupt {
			case "flushdb":
				time.Sleep(20 * time.Millisecond)
				do(t, c, "FLUSHDB")
			case "swapdb":
				time.Sleep(20 * time.Millisecond)
				do(t, c, "SWAPDB", "0", "1")
				do(t, c, "SET", "key:5", "after-swap")
				do(t, c, "SELECT", "1")
				do(t, c, "SET", "key:6", "after-swap")
				do(t, c, "DEL", "key:7")
				do(t, c, "SELECT", "0")
			}
			waitBackground(t, c)
			stop.Store(true)
			wg.Wait()
			if got := infoField(t, c, "rdb_last_bgsave_status"); got != "ok" {
				t.Fatalf("rdb_last_bgsave_status %s", got)
			}
			t.Logf("%d concurrent writes; longest loop stall %v", writes.Load(), ours.p.MaxStall())
			ours.stop()

			loaded := startOurs(t, dir, rdbOnly)
			lc := redistest.Dial(t, loaded.addr)
			if got := do(t, lc, "DBSIZE").Int; got != n+2 {
				t.Fatalf("DBSIZE %d, want %d", got, n+2)
			}
			checkPopulated(t, lc, n)
			if got := do(t, lc, "LLEN", "list").Int; got != 1000 {
				t.Errorf("LLEN %d, want 1000", got)
			}
			if got := string(do(t, lc, "HGET", "hash", "f").Str); got != "old" {
				t.Errorf("HGET %q", got)
			}
			if got := do(t, lc, "HLEN", "hash").Int; got != 1 {
				t.Errorf("HLEN %d", got)
			}
			r, _, _ := proto.ReadReply(lc.Do("KEYS", "new:*"))
			if len(r.Elems) != 0 {
				t.Errorf("%d keys created after BGSAVE were saved", len(r.Elems))
			}
			if ks := string(do(t, lc, "INFO", "keyspace").Str); !strings.Contains(ks, "expires=0,") {
				t.Errorf("keys saved with a TTL set after BGSAVE: %s", ks)
			}
			do(t, lc, "SELECT", "1")
			if got := string(do(t, lc, "GET", "in1").Str); got != "one" {
				t.Errorf("db 1: in1 = %q", got)
			}
		})
	}
}

// Large values are saved across steps; writes to them meanwhile (before,
// while and after the walk reaches them) must not show in the snapshot.
func TestBGSaveLargeValuesPointInTime(t *testing.T) {
	dir := t.TempDir()
	ours := startOurs(t, dir, noPersistence)
	c := redistest.Dial(t, ours.addr)
	const n = 30000
	for _, cmd := range []string{"SADD", "RPUSH", "HSET", "ZADD"} {
		for k := 0; k < 2; k++ {
			key := fmt.Sprintf("%s:%d", strings.ToLower(cmd), k)
			for b := 0; b < n; b += 1000 {
				args := []string{cmd, key}
				for i := b; i < b+1000; i++ {
					if cmd == "HSET" || cmd == "ZADD" {
						args = append(args, strconv.Itoa(i))
					}
					args = append(args, fmt.Sprintf("m%d-%d", k, i))
				}
				do(t, c, args...)
			}
		}
	}
	do(t, c, "DEBUG", "POPULATE", "2000")
	want := dumpAll(t, c)
	do(t, c, "BGSAVE")
	// The writes begin once BGSAVE ran: the snapshot is want.
	var stop atomic.Bool
	var wg sync.WaitGroup
	var writes atomic.Int64
	wg.Add(1)
	go func() {
		defer wg.Done()
		wc, err := redistest.TryDial(t, ours.addr)
		if err != nil {
			return
		}
		r := rand.New(rand.NewPCG(9, 9))
		// Pipelined batches, so that many writes land between two
		// steps of the snapshot.
		for i := 0; !stop.Load(); {
			var pipe []byte
			for b := 0; b < 64; b, i = b+1, i+1 {
				k := strconv.Itoa(r.IntN(2))
				var cmd []string
				switch i % 10 {
				case 0:
					cmd = []string{"SADD", "sadd:" + k, "new" + strconv.Itoa(i)}
				case 1:
					cmd = []string{"SREM", "sadd:" + k, fmt.Sprintf("m%s-%d", k, r.IntN(n))}
				case 2:
					cmd = []string{"RPUSH", "rpush:" + k, "new"}
				case 3:
					cmd = []string{"LPOP", "rpush:" + k}
				case 4:
					cmd = []string{"HSET", "hset:" + k, "new" + strconv.Itoa(i), "v"}
				case 5:
					cmd = []string{"HDEL", "hset:" + k, strconv.Itoa(r.IntN(n))}
				case 6:
					cmd = []string{"ZADD", "zadd:" + k, "-1", "new" + strconv.Itoa(i)}
				case 7:
					cmd = []string{"ZREM", "zadd:" + k, fmt.Sprintf("m%s-%d", k, r.IntN(n))}
				case 8:
					cmd = []string{"SET", "key:" + strconv.Itoa(r.IntN(2000)), "changed"}
				case 9:
					cmd = []string{"DEL", "key:" + strconv.Itoa(r.IntN(2000))}
				}
				pipe = append(pipe, redistest.Command(cmd...)...)
			}
			if wc.TryWrite(pipe) != nil {
				return
			}
			for b := 0; b < 64; b++ {
				if _, err := wc.TryReadReply(); err != nil {
					return
				}
			}
			writes.Add(64)
		}
	}()
	waitBackground(t, c)
	stop.Store(true)
	wg.Wait()
	t.Logf("%d writes to the large values during the BGSAVE", writes.Load())
	ours.stop()
	loaded := startOurs(t, dir, rdbOnly)
	compareData(t, "snapshot of large values", want, dumpAll(t, redistest.Dial(t, loaded.addr)))
}
