package cmds_test

import (
	"regexp"
	"strconv"
	"strings"
	"testing"

	"github.com/redisfs/redisfs/core/redistest"
)

// Tests of DEBUG against a real redis-server: the dataset digest of every
// type and encoding, and the subcommands Redis's own tests use.

// fillDigestData writes the same data of every type to both servers.
func fillDigestData(p *redistest.Pair) {
	p.Do("SET", "s:int", "12345")
	p.Do("SET", "s:embstr", "hello")
	p.Do("SET", "s:raw", strings.Repeat("x", 100))
	p.Do("SET", "s:big", "123456789012345678901234567890")
	p.Do("SET", "s:neg", "-7")
	p.Do("SET", "s:empty", "")
	p.Do("RPUSH", "l:small", "a", "b", "1", "-2", "c")
	big := []string{"RPUSH", "l:big"}
	for i := 0; i < 300; i++ {
		big = append(big, "element-"+strconv.Itoa(i))
	}
	p.Do(big...)
	p.Do("RPUSH", "l:huge", strings.Repeat("y", 10000), "z")
	p.Do("SADD", "set:int", "1", "2", "3", "-100", "1000000")
	p.Do("SADD", "set:str", "a", "b", "c", "1")
	bigSet := []string{"SADD", "set:big"}
	for i := 0; i < 600; i++ {
		bigSet = append(bigSet, strconv.Itoa(i))
	}
	p.Do(bigSet...)
	p.Do("ZADD", "z:lp", "1", "a", "1.5", "b", "-3", "c", "0.1", "d", "1e20", "e", "inf", "f", "-inf", "g", "3", "42")
	bigZ := []string{"ZADD", "z:sl"}
	for i := 0; i < 200; i++ {
		bigZ = append(bigZ, strconv.FormatFloat(float64(i)/3, 'g', -1, 64), "m"+strconv.Itoa(i))
	}
	p.Do(bigZ...)
	p.Do("ZADD", "z:sl", "inf", "top", "-0.0", "zero", "123456789012", "largeint")
	p.Do("HSET", "h:lp", "f1", "v1", "f2", "2", "3", "v3", "", "empty")
	bigH := []string{"HSET", "h:ht"}
	for i := 0; i < 200; i++ {
		bigH = append(bigH, "field"+strconv.Itoa(i), "value"+strconv.Itoa(i))
	}
	p.Do(bigH...)
	p.Do("HSET", "h:long", "f", strings.Repeat("v", 100))
	p.Do("SET", "ttl:s", "v", "EX", "1000")
	p.Do("RPUSH", "ttl:l", "a")
	p.Do("EXPIRE", "ttl:l", "1000")
}

// TestDebugDigest compares DEBUG DIGEST and DIGEST-VALUE with Redis's for
// every type and encoding, with TTLs, across databases, and after changes.
func TestDebugDigest(t *testing.T) {
	refAddr, ourAddr := connPair(t, nil)
	p := redistest.NewPair(t, refAddr, ourAddr)
	p.Do("DEBUG", "DIGEST")
	p.Do("DEBUG", "DIGEST-VALUE")
	p.Do("DEBUG", "DIGEST-VALUE", "nokey")
	fillDigestData(p)
	keys := []string{"DEBUG", "DIGEST-VALUE"}
	for _, k := range []string{"s:int", "s:embstr", "s:raw", "s:big", "s:neg", "s:empty", "l:small", "l:big", "l:huge",
		"set:int", "set:str", "set:big", "z:lp", "z:sl", "h:lp", "h:ht", "h:long", "ttl:s", "ttl:l", "nokey"} {
		p.Do("DEBUG", "DIGEST-VALUE", k)
		keys = append(keys, k)
	}
	p.Do(keys...)
	p.Do("DEBUG", "DIGEST")
	p.Do("SELECT", "3")
	p.Do("SET", "s:int", "12345")
	p.Do("DEBUG", "DIGEST")
	p.Do("DEBUG", "DIGEST-VALUE", "s:int", "s:embstr")
	p.Do("SELECT", "0")
	// Order counts for lists, not for sets; TTLs count, their times do not.
	p.Do("LPUSH", "l:small", "front")
	p.Do("SREM", "set:str", "a")
	p.Do("SADD", "set:str", "a")
	p.Do("PERSIST", "ttl:s")
	p.Do("EXPIRE", "ttl:l", "5000")
	p.Do("COPY", "z:sl", "z:copy")
	p.Do("DEBUG", "DIGEST-VALUE", "z:sl", "z:copy", "l:small", "set:str", "ttl:s", "ttl:l")
	p.Do("DEBUG", "DIGEST")
	p.Do("FLUSHALL")
	p.Do("DEBUG", "DIGEST")
}

// TestDebugSubcommands compares the other DEBUG subcommands Redis's
// tests use.
func TestDebugSubcommands(t *testing.T) {
	refAddr, ourAddr := connPair(t, nil)
	p := redistest.NewPair(t, refAddr, ourAddr)
	p.Do("RPUSH", "l", "a", "b")
	p.Do("HSET", "h", "f", "v")
	p.Do("SET", "s", "v")
	for _, req := range [][]string{
		{"DEBUG", "QUICKLIST-PACKED-THRESHOLD", "100"}, {"DEBUG", "QUICKLIST-PACKED-THRESHOLD", "1kb"},
		{"DEBUG", "QUICKLIST-PACKED-THRESHOLD", "0"}, {"DEBUG", "QUICKLIST-PACKED-THRESHOLD", "5gb"},
		{"DEBUG", "QUICKLIST-PACKED-THRESHOLD", "-1"}, {"DEBUG", "QUICKLIST-PACKED-THRESHOLD", "1x"},
		{"DEBUG", "QUICKLIST-PACKED-THRESHOLD", "4294967295"}, {"DEBUG", "QUICKLIST-PACKED-THRESHOLD", "1073741824"},
		{"DEBUG", "QUICKLIST-PACKED-THRESHOLD"},
		{"DEBUG", "LISTPACK", "h"}, {"DEBUG", "LISTPACK", "l"}, {"DEBUG", "LISTPACK", "s"}, {"DEBUG", "LISTPACK", "nokey"},
		{"DEBUG", "QUICKLIST", "l"}, {"DEBUG", "QUICKLIST", "l", "1"}, {"DEBUG", "QUICKLIST", "h"}, {"DEBUG", "QUICKLIST", "nokey"},
		{"DEBUG", "CHANGE-REPL-ID"}, {"DEBUG", "SET-ACTIVE-EXPIRE", "0"},
		{"DEBUG", "SET-ACTIVE-EXPIRE", "1"}, {"DEBUG", "SLEEP", "0"}, {"DEBUG", "DIGEST", "x"},
	} {
		p.Do(req...)
	}
	// Redis's STRINGMATCH-TEST runs for a long while; ours is shorter,
	// with the same reply.
	if r := string(p.Ours.Do("DEBUG", "STRINGMATCH-TEST")); r != "+Apparently Redis did not crash: test passed\r\n" {
		t.Errorf("DEBUG STRINGMATCH-TEST: %q", r)
	}
	// CHANGE-REPL-ID changes the id INFO shows.
	before := infoText(t, p.Ours.Do("INFO", "replication"), "master_replid")
	p.Ours.Do("DEBUG", "CHANGE-REPL-ID")
	if after := infoText(t, p.Ours.Do("INFO", "replication"), "master_replid"); after == before || len(after) != 40 {
		t.Errorf("master_replid %q after CHANGE-REPL-ID, was %q", after, before)
	}
}

// infoText returns one field of an INFO reply.
func infoText(t *testing.T, reply []byte, name string) string {
	t.Helper()
	m := regexp.MustCompile(`(?m)^` + name + `:(.*)\r$`).FindSubmatch(reply)
	if m == nil {
		t.Fatalf("INFO has no %s: %s", name, redistest.Quote(reply))
	}
	return string(m[1])
}

// TestDebugObjectShapes compares DEBUG OBJECT's fields, the address and
// LRU aside: refcounts (shared integers, plain values) and the quicklist's
// shape.
func TestDebugObjectShapes(t *testing.T) {
	refAddr, ourAddr := connPair(t, nil)
	p := redistest.NewPair(t, refAddr, ourAddr)
	fillDigestData(p)
	p.Do("SET", "small", "5")
	p.Do("INCR", "counter")
	p.Do("SETRANGE", "sr", "0", "12")
	norm := regexp.MustCompile(`Value at:0x[0-9a-f]+ | lru:\d+ lru_seconds_idle:\d+`)
	for _, k := range []string{"s:int", "s:embstr", "s:raw", "s:neg", "small", "counter", "sr", "l:small", "l:big", "l:huge",
		"set:int", "set:big", "z:lp", "z:sl", "h:lp", "h:ht"} {
		a := norm.ReplaceAll(p.Ref.Do("DEBUG", "OBJECT", k), nil)
		b := norm.ReplaceAll(p.Ours.Do("DEBUG", "OBJECT", k), nil)
		// serializedlength differs where Redis compresses with LZF.
		sl := regexp.MustCompile(`serializedlength:\d+`)
		if k == "s:raw" || strings.HasPrefix(k, "l:") || k == "set:big" || k == "z:sl" || k == "h:ht" {
			a, b = sl.ReplaceAll(a, nil), sl.ReplaceAll(b, nil)
		}
		if string(a) != string(b) {
			t.Errorf("DEBUG OBJECT %s\n    redis: %s\n    ours:  %s", k, redistest.Quote(a), redistest.Quote(b))
		}
	}
}
