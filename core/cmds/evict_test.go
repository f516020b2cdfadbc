package cmds_test

import (
	"bytes"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/redisfs/redisfs/core/cmds"
	"github.com/redisfs/redisfs/core/proto"
	"github.com/redisfs/redisfs/core/redistest"
)

// TestOOMReplies compares the replies of a server over maxmemory with
// noeviction (denyoom commands refused, others run, MULTI aborted) and of
// volatile policies with no volatile key.
func TestOOMReplies(t *testing.T) {
	m := newMConns(t, 1, nil)
	m.do(0, "SET", "a", "1")
	m.do(0, "CONFIG", "SET", "maxmemory", "1")
	for _, policy := range []string{"noeviction", "volatile-lru", "volatile-ttl"} {
		m.do(0, "CONFIG", "SET", "maxmemory-policy", policy)
		for _, c := range [][]string{
			{"SET", "b", "2"}, {"GET", "a"}, {"APPEND", "a", "x"}, {"INCR", "a"}, {"DEL", "nokey"},
			{"MULTI"}, {"GET", "a"}, {"EXEC"},
			{"MULTI"}, {"SET", "b", "2"}, {"EXEC"},
			{"MULTI"}, {"DISCARD"},
			{"PING"}, {"DBSIZE"},
		} {
			m.do(0, c...)
		}
	}
	m.do(0, "CONFIG", "SET", "maxmemory", "0")
	m.do(0, "SET", "b", "2")
}

// infoField returns a field of an INFO reply.
func infoField(info []byte, name string) int64 {
	for _, line := range strings.Split(string(info), "\r\n") {
		if v, ok := strings.CutPrefix(line, name+":"); ok {
			n, _ := strconv.ParseInt(v, 10, 64)
			return n
		}
	}
	return -1
}

// TestEvictionFlood writes far more than maxmemory into ours with
// allkeys-lru and checks that the memory stays near maxmemory while keys
// are evicted and writes keep succeeding.
func TestEvictionFlood(t *testing.T) {
	if testing.Short() {
		t.Skip("write flood")
	}
	const maxmemory = 32 << 20
	addr, s := redistest.StartServer(t, func(c *cmds.Config) {
		c.MaxMemory = maxmemory
		c.MaxMemoryPolicy = "allkeys-lru"
	})
	c := redistest.Dial(t, addr)
	value := strings.Repeat("v", 1000)
	var batch []byte
	const total, per = 200000, 500 // ~200 MB written
	for i := 0; i < total; i += per {
		batch = batch[:0]
		for j := i; j < i+per; j++ {
			batch = append(batch, redistest.Command("SET", "key:"+strconv.Itoa(j), value)...)
		}
		c.Write(batch)
		for j := 0; j < per; j++ {
			if r := c.ReadReply(); !bytes.Equal(r, []byte("+OK\r\n")) {
				t.Fatalf("SET %d: %s", i+j, redistest.Quote(r))
			}
		}
	}
	var used int64
	done := make(chan struct{})
	s.Post(func() {
		used = s.Srv.EvictionUsedMemory()
		close(done)
	})
	select {
	case <-done:
	case <-time.After(10 * time.Second):
		t.Fatal("server loop did not answer")
	}
	info := c.Do("INFO", "stats")
	evicted := infoField(info, "evicted_keys")
	r, _, _ := proto.ReadReply(c.Do("DBSIZE"))
	keys := r.Int
	t.Logf("after %d MB written: estimate %d MB (maxmemory %d MB), %d keys, %d evicted",
		total*1000>>20, used>>20, maxmemory>>20, keys, evicted)
	if evicted <= 0 || keys+evicted != total {
		t.Errorf("keys %d + evicted %d != %d written", keys, evicted, total)
	}
	if used > maxmemory*5/4 {
		t.Errorf("memory estimate %d MB, more than maxmemory %d MB + 25%%", used>>20, maxmemory>>20)
	}
	// The keys kept cost about what maxmemory allows (each ~1.1 KB in
	// Redis's accounting): not evicted down to nothing.
	if perKey := int64(1000 + 100); keys*perKey < maxmemory/4 {
		t.Errorf("only %d keys kept: over-evicting", keys)
	}
	// The most recent writes are still there.
	if r := c.Do("EXISTS", "key:"+strconv.Itoa(total-1)); string(r) != ":1\r\n" {
		t.Errorf("the last key written was evicted: %s", redistest.Quote(r))
	}
}
