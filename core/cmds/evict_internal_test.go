package cmds

import (
	"fmt"
	"slices"
	"strings"
	"testing"
)

// Tests of the eviction policies with a deterministic memory figure: the
// used memory is the number of keys, maxmemory a number of keys, and the
// keys' LRU/LFU data are set directly, so that which keys go is known.

type evictTestConn struct{}

func (evictTestConn) Flush(c *Client)    { c.Sent = len(c.Reply) }
func (evictTestConn) Close(c *Client)    {}
func (evictTestConn) RemoteAddr() string { return "127.0.0.1:1" }
func (evictTestConn) LocalAddr() string  { return "127.0.0.1:2" }
func (evictTestConn) Fd() int            { return -1 }

func evictRun(c *Client, lines ...string) string {
	c.Reply, c.Sent = c.Reply[:0], 0
	for _, l := range lines {
		c.QueryBuf = append(c.QueryBuf, l+"\r\n"...)
	}
	c.ProcessInputBuffer()
	return string(c.Reply)
}

// newEvictServer returns a server whose used memory is its key count.
func newEvictServer(t *testing.T, policy string, maxKeys int64) (*Server, *Client) {
	t.Helper()
	cfg := DefaultConfig()
	cfg.Save, cfg.AppendOnly = "", false
	srv := NewServer(cfg)
	srv.LogOut = nil
	srv.evict.usedFunc = func() int64 {
		var n int64
		for _, db := range srv.DBs {
			n += int64(db.Len())
		}
		return n
	}
	c := srv.NewClient(evictTestConn{})
	if r := evictRun(c, "CONFIG SET maxmemory-policy "+policy, "CONFIG SET maxmemory-samples 100"); r != "+OK\r\n+OK\r\n" {
		t.Fatalf("config: %q", r)
	}
	srv.Config.MaxMemory = maxKeys
	return srv, c
}

func keysOf(srv *Server, dbid int) []string {
	var keys []string
	srv.DBs[dbid].Dict.Range(func(k string, _ *Object) bool {
		keys = append(keys, k)
		return true
	})
	slices.Sort(keys)
	return keys
}

func TestEvictionLRU(t *testing.T) {
	srv, c := newEvictServer(t, "allkeys-lru", 10)
	for i := 0; i < 10; i++ {
		evictRun(c, fmt.Sprintf("SET k%d v", i))
	}
	// k3 idle the longest, then k7.
	clock := srv.lruClock
	for i := 0; i < 10; i++ {
		o := srv.DBs[0].Dict.Find(fmt.Sprintf("k%d", i))
		o.lru = clock - uint32(i%3)
	}
	srv.DBs[0].Dict.Find("k3").lru = clock - 100
	srv.DBs[0].Dict.Find("k7").lru = clock - 50
	// Adding one key (at the limit) evicts k3; the next, k7.
	if r := evictRun(c, "SET new1 v"); r != "+OK\r\n" {
		t.Fatalf("SET: %q", r)
	}
	evictRun(c, "SET new2 v", "PING")
	keys := keysOf(srv, 0)
	if slices.Contains(keys, "k3") || slices.Contains(keys, "k7") || len(keys) != 10 {
		t.Errorf("keys after eviction: %v (want k3, k7 gone, 10 keys)", keys)
	}
	if srv.Stats.evictedKeys != 2 {
		t.Errorf("evicted_keys = %d, want 2", srv.Stats.evictedKeys)
	}
}

func TestEvictionLFU(t *testing.T) {
	srv, c := newEvictServer(t, "allkeys-lfu", 5)
	for i := 0; i < 5; i++ {
		evictRun(c, fmt.Sprintf("SET k%d v", i))
	}
	now := srv.lfuTimeInMinutes()
	for i := 0; i < 5; i++ {
		srv.DBs[0].Dict.Find(fmt.Sprintf("k%d", i)).lru = now<<8 | 100
	}
	srv.DBs[0].Dict.Find("k2").lru = now<<8 | 3
	evictRun(c, "SET new v", "PING")
	// The new key (counter 5) stays; k2 (counter 3) goes.
	if keys := keysOf(srv, 0); slices.Contains(keys, "k2") || !slices.Contains(keys, "new") {
		t.Errorf("keys after eviction: %v (want k2 gone)", keys)
	}
}

func TestEvictionVolatileTTL(t *testing.T) {
	srv, c := newEvictServer(t, "volatile-ttl", 4)
	evictRun(c, "SET p1 v", "SET a v EX 1000", "SET b v EX 10", "SET d v EX 500")
	evictRun(c, "SET e v", "PING")
	keys := keysOf(srv, 0)
	if slices.Contains(keys, "b") || !slices.Contains(keys, "p1") || !slices.Contains(keys, "a") {
		t.Errorf("keys after eviction: %v (want b, the nearest expiry, gone)", keys)
	}
}

func TestEvictionVolatileWithoutTTLKeys(t *testing.T) {
	for _, policy := range []string{"volatile-lru", "volatile-lfu", "volatile-random", "volatile-ttl", "noeviction"} {
		srv, c := newEvictServer(t, policy, 1)
		evictRun(c, "SET a 1", "SET b 2")
		r := evictRun(c, "SET c 3", "GET a", "MULTI", "SET d 4", "EXEC", "DEL a")
		want := "-OOM command not allowed when used memory > 'maxmemory'.\r\n$1\r\n1\r\n+OK\r\n" +
			"-OOM command not allowed when used memory > 'maxmemory'.\r\n" +
			"-EXECABORT Transaction discarded because of previous errors.\r\n:1\r\n"
		if r != want {
			t.Errorf("%s: replies %q, want %q", policy, r, want)
		}
		if srv.Stats.evictedKeys != 0 {
			t.Errorf("%s: evicted %d keys", policy, srv.Stats.evictedKeys)
		}
	}
}

func TestEvictionRandomAcrossDBs(t *testing.T) {
	for _, policy := range []string{"allkeys-random", "volatile-random", "allkeys-lru", "volatile-lru"} {
		srv, c := newEvictServer(t, policy, 6)
		for i := 0; i < 3; i++ {
			evictRun(c, fmt.Sprintf("SELECT %d", i), fmt.Sprintf("SET x%d v EX 100", i), fmt.Sprintf("SET y%d v EX 100", i))
		}
		var events []string
		srv.OnKeyspaceEvent(func(db int, key []byte, event string) {
			if event == "evicted" {
				events = append(events, fmt.Sprintf("%d:%s", db, key))
			}
		})
		for i := 0; i < 4; i++ {
			if r := evictRun(c, fmt.Sprintf("SET n%d v EX 100", i)); r != "+OK\r\n" {
				t.Fatalf("%s: SET: %q", policy, r)
			}
		}
		evictRun(c, "PING")
		total := 0
		for _, db := range srv.DBs {
			total += db.Len()
		}
		if total != 6 || len(events) != 4 || srv.Stats.evictedKeys != 4 {
			t.Errorf("%s: %d keys left, evicted events %v, evicted_keys %d", policy, total, events, srv.Stats.evictedKeys)
		}
	}
}

// TestEvictionNotifyAndWatch checks that an evicted key sends the
// "evicted" event and breaks a WATCH on it.
func TestEvictionNotifyAndWatch(t *testing.T) {
	srv, c := newEvictServer(t, "allkeys-lru", 2)
	w := srv.NewClient(evictTestConn{})
	evictRun(c, "SET a 1", "SET b 2")
	srv.DBs[0].Dict.Find("a").lru = srv.lruClock - 1000
	evictRun(w, "WATCH a")
	evictRun(c, "SET c 3")
	if r := evictRun(w, "MULTI", "GET b", "EXEC"); !strings.HasSuffix(r, "*-1\r\n") {
		t.Errorf("EXEC after the watched key was evicted: %q", r)
	}
}

func TestJemallocSize(t *testing.T) {
	for _, tc := range [][2]int64{{1, 8}, {8, 8}, {9, 16}, {21, 32}, {49, 64}, {128, 128}, {129, 160},
		{257, 320}, {1006, 1024}, {5006, 5120}, {16385, 20480}} {
		if got := jemallocSize(tc[0]); got != tc[1] {
			t.Errorf("jemallocSize(%d) = %d, want %d", tc[0], got, tc[1])
		}
	}
}
