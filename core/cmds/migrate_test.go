package cmds_test

import (
	"net"
	"strconv"
	"testing"

	"github.com/redisfs/redisfs/core/redistest"
)

// TestMigrate compares MIGRATE from a real redis-server and from ours, each
// to a target of its own (a real redis-server with a password), reply by
// reply, then what the targets and the sources hold.
func TestMigrate(t *testing.T) {
	refAddr, ourAddr := connPair(t, nil)
	refTarget := redistest.StartRedis(t, "--requirepass", "pw")
	ourTarget := redistest.StartRedis(t, "--requirepass", "pw")
	p := redistest.NewPair(t, refAddr, ourAddr)
	tgt := redistest.NewPair(t, refTarget, ourTarget)
	tgt.Do("AUTH", "pw")
	hostPort := func(addr string) (string, string) {
		h, port, _ := net.SplitHostPort(addr)
		return h, port
	}
	// do sends MIGRATE to each source with its own target's address.
	do := func(args ...string) {
		t.Helper()
		rh, rp := hostPort(refTarget)
		oh, op := hostPort(ourTarget)
		ra := append([]string{"MIGRATE", rh, rp}, args...)
		oa := append([]string{"MIGRATE", oh, op}, args...)
		a, b := p.Ref.Do(ra...), p.Ours.Do(oa...)
		if string(a) != string(b) {
			t.Errorf("MIGRATE … %s\n    redis: %s\n    ours:  %s", redistest.QuoteArgs(args), redistest.Quote(a), redistest.Quote(b))
		}
	}
	p.Do("SET", "s", "v")
	p.Do("RPUSH", "l", "a", "b", "c")
	p.Do("HSET", "h", "f", "v")
	p.Do("ZADD", "z", "1.5", "m")
	p.Do("SADD", "set", "1", "2")
	p.Do("SET", "ttl", "v", "EX", "1000")
	p.Do("SET", "k1", "1")
	p.Do("SET", "k2", "2")

	do("s", "0", "5000")                              // no password
	do("s", "0", "5000", "AUTH", "wrong")             // bad password
	do("s", "0", "5000", "AUTH2", "default", "wrong") // bad user password
	do("s", "0", "5000", "AUTH", "pw")                // moved
	do("s", "0", "5000", "AUTH", "pw")                // gone: NOKEY
	do("l", "3", "5000", "AUTH", "pw", "COPY")        // kept here
	do("l", "3", "5000", "AUTH", "pw", "COPY")        // BUSYKEY
	do("l", "3", "5000", "AUTH", "pw", "REPLACE")     // replaced, moved
	do("", "0", "5000", "AUTH2", "default", "pw", "KEYS", "h", "z", "set", "nokey")
	do("", "0", "5000", "AUTH", "pw", "KEYS", "nokey", "nokey2")
	do("ttl", "0", "5000", "AUTH", "pw")
	do("k1", "0", "5000", "AUTH", "pw", "KEYS", "k2")     // key must be empty
	do("", "0", "5000", "AUTH", "pw", "KEYS", "k1", "k1") // the second RESTORE finds it
	do("k2", "0", "5000", "BOGUS")
	do("k2", "0", "5000", "AUTH")
	do("k2", "0", "5000", "AUTH2", "u")
	do("k2", "x", "5000")
	do("k2", "0", "x")
	do("k2", "99", "5000", "AUTH", "pw") // bad db on the target
	for _, k := range []string{"s", "l", "h", "z", "set", "ttl", "k1", "k2"} {
		p.Do("EXISTS", k)
		tgt.Do("DUMP", k)
		tgt.Do("SELECT", "3")
		tgt.Do("DUMP", k)
		tgt.Do("SELECT", "0")
	}
	tgt.DoMode(redistest.Sorted, "KEYS", "*")
	if ttl := parseReply(t, tgt.Ours.Do("PTTL", "ttl")).Int; ttl < 900000 || ttl > 1000000 {
		t.Errorf("migrated key's PTTL %d", ttl)
	}
	// A closed port: the connection fails.
	free := redistest.FreePort(t)
	a := p.Ref.Do("MIGRATE", "127.0.0.1", strconv.Itoa(free), "k2", "0", "1000")
	b := p.Ours.Do("MIGRATE", "127.0.0.1", strconv.Itoa(free), "k2", "0", "1000")
	if string(a) != string(b) {
		t.Errorf("MIGRATE to a closed port\n    redis: %s\n    ours:  %s", redistest.Quote(a), redistest.Quote(b))
	}
}

// TestMigrateBetweenOurs moves keys from our server to another of ours and
// on to a real redis-server, and checks they arrive whole.
func TestMigrateBetweenOurs(t *testing.T) {
	_, first := connPair(t, nil)
	second, _ := redistest.StartServer(t, nil)
	real := redistest.StartRedis(t)
	c1, c2, c3 := redistest.Dial(t, first), redistest.Dial(t, second), redistest.Dial(t, real)
	c1.Do("RPUSH", "l", "a", "b")
	c1.Do("HSET", "h", "f", "v")
	want := string(c1.Do("DEBUG", "DIGEST"))
	h2, p2, _ := net.SplitHostPort(second)
	if r := string(c1.Do("MIGRATE", h2, p2, "", "0", "5000", "KEYS", "l", "h")); r != "+OK\r\n" {
		t.Fatalf("MIGRATE to ours: %q", r)
	}
	if r := string(c1.Do("DBSIZE")); r != ":0\r\n" {
		t.Errorf("source DBSIZE after MIGRATE: %q", r)
	}
	h3, p3, _ := net.SplitHostPort(real)
	if r := string(c2.Do("MIGRATE", h3, p3, "", "0", "5000", "KEYS", "l", "h")); r != "+OK\r\n" {
		t.Fatalf("MIGRATE to redis: %q", r)
	}
	if got := string(c3.Do("DEBUG", "DIGEST")); got != want {
		t.Errorf("digest after two migrations %q, want %q", got, want)
	}
}
