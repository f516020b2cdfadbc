package cmds_test

import (
	"testing"

	"github.com/redisfs/redisfs/core/redistest"
)

// TestConfigSetMany compares CONFIG SET with several parameters (applied
// all or none, Redis 7.0) and CONFIG GET with several patterns with a real
// redis-server, over directives both have.
func TestConfigSetMany(t *testing.T) {
	refAddr, ourAddr := connPair(t, nil)
	p := redistest.NewPair(t, refAddr, ourAddr)
	get := func() {
		t.Helper()
		p.DoMode(redistest.Sorted, "CONFIG", "GET", "maxmemory-samples", "lfu-log-factor", "appendfsync", "maxmemory-policy",
			"hash-max-listpack-entries", "slowlog-max-len", "lfu-decay-time", "notify-keyspace-events")
	}
	for _, req := range [][]string{
		{"CONFIG", "SET", "maxmemory-samples", "7", "lfu-log-factor", "3"},
		{"CONFIG", "SET", "maxmemory-samples", "8", "lfu-log-factor", "-1"},
		{"CONFIG", "SET", "lfu-log-factor", "x", "maxmemory-samples", "8"},
		{"CONFIG", "SET", "maxmemory-samples", "5", "maxmemory-samples", "6"},
		{"CONFIG", "SET", "MAXMEMORY-SAMPLES", "5", "maxmemory-samples", "6"},
		{"CONFIG", "SET", "hash-max-ziplist-entries", "1", "hash-max-listpack-entries", "2"},
		{"CONFIG", "SET", "hash-max-ziplist-entries", "9", "slowlog-max-len", "12"},
		{"CONFIG", "SET", "foo", "1", "maxmemory-samples", "3"},
		{"CONFIG", "SET", "maxmemory-samples", "3", "foo", "1"},
		{"CONFIG", "SET", "maxmemory-samples", "3", "databases", "1"},
		{"CONFIG", "SET", "databases", "1", "foo", "1"},
		{"CONFIG", "SET", "maxmemory-samples", "3", "databases", "3", "maxmemory-samples", "4"},
		{"CONFIG", "SET", "maxmemory-samples"},
		{"CONFIG", "SET", "maxmemory-samples", "3", "lfu-log-factor"},
		{"CONFIG", "SET", "dir", "/tmp"},
		{"CONFIG", "SET", "maxmemory-samples", "4", "dbfilename", "x.rdb"},
		{"CONFIG", "SET", "appendfsync", "foo", "maxmemory-policy", "allkeys-lru"},
		{"CONFIG", "SET", "maxmemory-policy", "allkeys-lru", "appendfsync", "no", "lfu-decay-time", "9"},
		{"CONFIG", "SET", "maxmemory-policy", "volatile-lru", "appendfsync", "always", "lfu-decay-time", "y"},
		{"CONFIG", "SET", "notify-keyspace-events", "KEA", "maxmemory-samples", "0"},
		{"CONFIG", "SET", "notify-keyspace-events", "Kx"},
		{"CONFIG", "SET", "notify-keyspace-events", "Kg", "slowlog-max-len", "100"},
	} {
		p.Do(req...)
		get()
	}
	p.DoMode(redistest.Sorted, "CONFIG", "GET", "maxmemory-samples", "maxmemory-samples", "MAXMEMORY-SAMPLES")
	p.Do("CONFIG", "GET", "nosuch", "lfu-log-factor")
	p.DoMode(redistest.Sorted, "CONFIG", "GET", "hash-max-ziplist-entries", "hash-max-listpack-entries")
	p.Do("CONFIG", "GET")
	p.DoMode(redistest.Sorted, "CONFIG", "GET", "lfu-*", "maxmemory-s*", "lfu-decay-time")
}
