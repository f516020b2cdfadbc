package cmds

import (
	"bytes"
	"math/rand/v2"
	"strconv"
	"testing"
	"time"
)

// Package-internal tests of expiry: the active expire cycle (its budget,
// its fast variant, its statistics) and lazy expiry, driving the server
// in-process with the clock of the real loop replaced by the test.

// expServer returns a server with persistence off and no log.
func expServer(t testing.TB, mod func(*Config)) *Server {
	t.Helper()
	cfg := DefaultConfig()
	cfg.Save, cfg.AppendOnly, cfg.Dir = "", false, t.TempDir()
	if mod != nil {
		mod(&cfg)
	}
	srv := NewServer(cfg)
	srv.LogOut = nil
	return srv
}

// expDo runs one command on c and returns its raw reply.
func expDo(c *Client, args ...string) string {
	c.QueryBuf = append(c.QueryBuf, '*')
	c.QueryBuf = strconv.AppendInt(c.QueryBuf, int64(len(args)), 10)
	c.QueryBuf = append(c.QueryBuf, "\r\n"...)
	for _, a := range args {
		c.QueryBuf = append(c.QueryBuf, '$')
		c.QueryBuf = strconv.AppendInt(c.QueryBuf, int64(len(a)), 10)
		c.QueryBuf = append(c.QueryBuf, "\r\n"...)
		c.QueryBuf = append(c.QueryBuf, a...)
		c.QueryBuf = append(c.QueryBuf, "\r\n"...)
	}
	c.ProcessInputBuffer()
	r := string(c.Reply[c.Sent:])
	c.ResetReply()
	return r
}

// expAddVolatile adds n keys "prefix<i>" to db with TTLs drawn from
// [minMs, maxMs] milliseconds from now.
func expAddVolatile(srv *Server, db *DB, prefix string, n int, minMs, maxMs int64) {
	now := time.Now().UnixMilli()
	for i := 0; i < n; i++ {
		key := []byte(prefix + strconv.Itoa(i))
		srv.DBAdd(db, key, newStringObject([]byte("v")))
		srv.setExpire(nil, db, key, now+minMs+rand.Int64N(maxMs-minMs+1))
	}
}

// idleLoop runs what the event loop of an idle server runs, one cron
// period after another: serverCron, then beforeSleep. It stops when done
// returns true or after limit, and returns the time it took.
func idleLoop(srv *Server, limit time.Duration, done func() bool) time.Duration {
	start := time.Now()
	period := time.Second / time.Duration(srv.Config.Hz)
	for !done() && time.Since(start) < limit {
		time.Sleep(period)
		srv.UpdateCachedTime()
		srv.Cron()
		srv.BeforeSleep()
	}
	return time.Since(start)
}

func totalKeys(srv *Server) int {
	n := 0
	for _, db := range srv.DBs {
		n += db.Len()
	}
	return n
}

// TestActiveExpireCollects100k: 100,000 keys with 1-100 ms TTLs, spread
// over four databases and never accessed, are all deleted by the active
// cycles within a few seconds, and each one counts in expired_keys.
func TestActiveExpireCollects100k(t *testing.T) {
	srv := expServer(t, nil)
	for i := 0; i < 4; i++ {
		expAddVolatile(srv, srv.DBs[i], "key:"+strconv.Itoa(i)+":", 25000, 1, 100)
	}
	// Keys without a TTL and keys with a long one must survive.
	for i := 0; i < 1000; i++ {
		srv.DBAdd(srv.DBs[0], []byte("keep:"+strconv.Itoa(i)), newStringObject([]byte("v")))
	}
	expAddVolatile(srv, srv.DBs[1], "later:", 1000, 3600_000, 7200_000)
	if n := totalKeys(srv); n != 102000 {
		t.Fatalf("%d keys before expiry", n)
	}
	took := idleLoop(srv, 60*time.Second, func() bool { return totalKeys(srv) == 2000 })
	if n := totalKeys(srv); n != 2000 {
		t.Fatalf("after %v, %d keys remain (want 2000): expired_keys=%d", took, n, srv.Stats.expiredKeys)
	}
	// The cycles' budgets are wall-clock time, so on a loaded machine
	// (two -race runs of the suite on two cores) they get less done:
	// 9 s was seen there, about 2 s idle. The bound catches a cycle that
	// stopped doing its share, not a slow machine.
	if took > 30*time.Second {
		t.Errorf("expiring 100k keys took %v", took)
	}
	if srv.Stats.expiredKeys != 100000 {
		t.Errorf("expired_keys = %d, want 100000", srv.Stats.expiredKeys)
	}
	if srv.DBs[1].Expires.Len() != 1000 || srv.DBs[0].Expires.Len() != 0 {
		t.Errorf("expires left: db0 %d db1 %d", srv.DBs[0].Expires.Len(), srv.DBs[1].Expires.Len())
	}
	if avg := srv.DBs[1].avgTTL; avg < 3000_000 || avg > 7200_000 {
		t.Errorf("db1 avg_ttl = %d, want about 5400000", avg)
	}
	t.Logf("100k keys expired in %v; %d time-limited cycles, %d µs in cycles",
		took, srv.Stats.expiredTimeCapReached, srv.Stats.expireCycleTimeUsed)
}

// TestActiveExpireSlowCycleBudget: with far more expired keys than one
// cycle can delete, a slow cycle stops near its budget (25% of a cron
// period: 25 ms at hz 10), says so, and lets fast cycles run from
// beforeSleep, which keep to their own 1 ms budget and 2 ms spacing.
func TestActiveExpireSlowCycleBudget(t *testing.T) {
	srv := expServer(t, nil)
	db := srv.DBs[0]
	expAddVolatile(srv, db, "k", 250000, -10000, -1)
	start := time.Now()
	srv.activeExpireCycle(false)
	took := time.Since(start)
	if !srv.expireCycle.timelimitExit || srv.Stats.expiredTimeCapReached != 1 {
		t.Fatalf("the slow cycle did not stop on its time limit (took %v, deleted %d)", took, srv.Stats.expiredKeys)
	}
	// Loose above: the check runs every 16 iterations, and a loaded
	// machine preempts the cycle; one without a limit would run for
	// seconds over these keys.
	if took < 20*time.Millisecond || took > time.Second {
		t.Errorf("slow cycle took %v, want about 25ms", took)
	}
	afterSlow := srv.Stats.expiredKeys
	srv.BeforeSleep()
	afterFast := srv.Stats.expiredKeys
	if afterFast == afterSlow {
		t.Errorf("no fast cycle ran after a time-limited slow cycle")
	}
	// Not again within twice its duration of the last one's start.
	srv.expireCycle.lastFastCycle = time.Now().UnixMicro()
	srv.BeforeSleep()
	if srv.Stats.expiredKeys != afterFast {
		t.Errorf("a fast cycle ran within 2ms of the previous one")
	}
	time.Sleep(3 * time.Millisecond)
	start = time.Now()
	srv.BeforeSleep()
	// (22 ms was seen under load: preemption, not work. A fast cycle
	// without its 1 ms limit would run for hundreds.)
	if took := time.Since(start); took > 100*time.Millisecond {
		t.Errorf("fast cycle took %v, want about 1ms", took)
	}
	if srv.Stats.expiredKeys == afterFast {
		t.Errorf("no fast cycle ran 3ms later")
	}
	if srv.Stats.expiredStalePerc <= 0 {
		t.Errorf("expired_stale_perc = %v after cycles full of expired keys", srv.Stats.expiredStalePerc)
	}
}

// TestFastCycleNeedsTimeLimit: fast cycles only run after a slow cycle
// ran out of time, as in Redis (whose stale-percentage test never fires).
func TestFastCycleNeedsTimeLimit(t *testing.T) {
	// hz 1: the slow cycle's budget is 250 ms, not 25, so that deleting
	// 1,000 keys stays inside it on a loaded machine too (it ran out
	// once at hz 10, preempted); what is checked is the logic.
	srv := expServer(t, func(c *Config) { c.Hz = 1 })
	expAddVolatile(srv, srv.DBs[0], "k", 1000, -1000, -1)
	srv.BeforeSleep()
	if srv.Stats.expiredKeys != 0 {
		t.Fatalf("a fast cycle ran without a time-limited slow cycle: %d expired", srv.Stats.expiredKeys)
	}
	srv.activeExpireCycle(false)
	// It stops short of the last few keys: under 1% of the table's
	// buckets in use, sampling waits for the table to shrink.
	if srv.Stats.expiredKeys < 980 || srv.expireCycle.timelimitExit {
		t.Fatalf("slow cycle: %d expired, time limit %v", srv.Stats.expiredKeys, srv.expireCycle.timelimitExit)
	}
	for i := 0; i < 20 && srv.DBs[0].Len() > 0; i++ {
		srv.Cron() // shrinks the table, and expires the rest
	}
	if srv.DBs[0].Len() != 0 || srv.Stats.expiredKeys != 1000 {
		t.Fatalf("after cron: %d keys, %d expired", srv.DBs[0].Len(), srv.Stats.expiredKeys)
	}
}

// TestActiveExpireOff: DEBUG SET-ACTIVE-EXPIRE 0 (SetActiveExpire(false))
// stops the cycles, not lazy expiry.
func TestActiveExpireOff(t *testing.T) {
	srv := expServer(t, nil)
	srv.SetActiveExpire(false)
	expAddVolatile(srv, srv.DBs[0], "k", 100, -1000, -1)
	srv.Cron()
	srv.activeExpireCycle(false)
	srv.BeforeSleep()
	if srv.DBs[0].Len() != 100 || srv.Stats.expiredKeys != 0 {
		t.Fatalf("active expiry ran while off: %d keys left", srv.DBs[0].Len())
	}
	c := srv.NewClient(nil)
	if r := expDo(c, "GET", "k1"); r != "$-1\r\n" {
		t.Fatalf("GET of an expired key: %q", r)
	}
	if srv.Stats.expiredKeys != 1 || srv.DBs[0].Len() != 99 {
		t.Fatalf("lazy expiry: expired_keys %d, %d keys", srv.Stats.expiredKeys, srv.DBs[0].Len())
	}
	srv.SetActiveExpire(true)
	for i := 0; i < 20 && srv.DBs[0].Len() > 0; i++ {
		srv.Cron()
	}
	if srv.DBs[0].Len() != 0 || srv.Stats.expiredKeys != 100 {
		t.Fatalf("after turning it on: %d keys, expired_keys %d", srv.DBs[0].Len(), srv.Stats.expiredKeys)
	}
}

// TestLazyExpiry: with the cycles off, a logically expired key is gone for
// every command; the ones that look it up delete it and count it, KEYS
// only hides it.
func TestLazyExpiry(t *testing.T) {
	srv := expServer(t, nil)
	srv.SetActiveExpire(false)
	c := srv.NewClient(nil)
	db := srv.DBs[0]
	var events []string
	srv.OnKeyspaceEvent(func(dbid int, key []byte, event string) {
		if event == "expired" {
			events = append(events, string(key))
		}
	})
	expire := func(key string) {
		expDo(c, "SET", key, "v")
		srv.setExpire(c, db, []byte(key), time.Now().UnixMilli()-1)
	}
	for _, tc := range []struct {
		cmd     []string
		reply   string
		deletes bool
	}{
		{[]string{"KEYS", "*"}, "*0\r\n", false},
		{[]string{"EXISTS", "x"}, ":0\r\n", true},
		{[]string{"TYPE", "x"}, "+none\r\n", true},
		{[]string{"TTL", "x"}, ":-2\r\n", true},
		{[]string{"PTTL", "x"}, ":-2\r\n", true},
		{[]string{"EXPIRETIME", "x"}, ":-2\r\n", true},
		{[]string{"GET", "x"}, "$-1\r\n", true},
		{[]string{"DEL", "x"}, ":0\r\n", true},
		{[]string{"UNLINK", "x"}, ":0\r\n", true},
		{[]string{"TOUCH", "x"}, ":0\r\n", true},
		{[]string{"OBJECT", "ENCODING", "x"}, "$-1\r\n", true},
		{[]string{"DUMP", "x"}, "$-1\r\n", true},
		{[]string{"EXPIRE", "x", "100"}, ":0\r\n", true},
		{[]string{"PERSIST", "x"}, ":0\r\n", true},
		{[]string{"RENAME", "x", "y"}, "-ERR no such key\r\n", true},
		{[]string{"MOVE", "x", "1"}, ":0\r\n", true},
		{[]string{"COPY", "x", "y"}, ":0\r\n", true},
		{[]string{"SCAN", "0"}, "*2\r\n$1\r\n0\r\n*0\r\n", true},
		{[]string{"SCAN", "0", "MATCH", "nomatch"}, "*2\r\n$1\r\n0\r\n*0\r\n", false},
		{[]string{"SCAN", "0", "TYPE", "none"}, "*2\r\n$1\r\n0\r\n*1\r\n$1\r\nx\r\n", true},
		{[]string{"RANDOMKEY"}, "$-1\r\n", true},
	} {
		expire("x")
		before := srv.Stats.expiredKeys
		events = events[:0]
		if r := expDo(c, tc.cmd...); r != tc.reply {
			t.Errorf("%v: reply %q, want %q", tc.cmd, r, tc.reply)
		}
		deleted := db.Dict.Find("x") == nil
		if deleted != tc.deletes {
			t.Errorf("%v: deleted %v, want %v", tc.cmd, deleted, tc.deletes)
		}
		if counted := srv.Stats.expiredKeys - before; counted != map[bool]int64{true: 1}[tc.deletes] ||
			len(events) != int(counted) {
			t.Errorf("%v: expired_keys +%d, %d events", tc.cmd, counted, len(events))
		}
		expDo(c, "DEL", "x", "y")
	}
}

// TestExpireCommandDeletesPastTTL: EXPIRE with a time in the past deletes
// the key at once, counts a change, and is not an expiry (no
// expired_keys, a "del" event).
func TestExpireCommandDeletesPastTTL(t *testing.T) {
	srv := expServer(t, nil)
	c := srv.NewClient(nil)
	var events []string
	srv.OnKeyspaceEvent(func(dbid int, key []byte, event string) { events = append(events, event) })
	expDo(c, "SET", "k", "v")
	dirty := srv.Dirty
	events = nil
	if r := expDo(c, "PEXPIREAT", "k", "1"); r != ":1\r\n" {
		t.Fatalf("PEXPIREAT k 1: %q", r)
	}
	if srv.Dirty != dirty+1 || srv.Stats.expiredKeys != 0 || len(events) != 1 || events[0] != "del" {
		t.Fatalf("dirty +%d, expired_keys %d, events %v", srv.Dirty-dirty, srv.Stats.expiredKeys, events)
	}
	if srv.DBs[0].Len() != 0 || srv.DBs[0].Expires.Len() != 0 {
		t.Fatal("the key or its TTL is still there")
	}
}

// TestTTLsAcrossKeyMoves: RENAME, MOVE, COPY and RESTORE keep the expires
// dictionary consistent with the key dictionary.
func TestTTLsAcrossKeyMoves(t *testing.T) {
	srv := expServer(t, nil)
	c := srv.NewClient(nil)
	when := strconv.FormatInt(time.Now().UnixMilli()+1000000, 10)
	for _, cmd := range [][]string{
		{"SET", "a", "v"}, {"PEXPIREAT", "a", when},
		{"RENAME", "a", "b"}, {"COPY", "b", "c"}, {"MOVE", "c", "2"},
		{"SET", "d", "v"}, {"RENAME", "d", "b"},
	} {
		expDo(c, cmd...)
	}
	check := func(db int, key string, want int64) {
		t.Helper()
		if got := srv.DBs[db].GetExpire([]byte(key)); got != want {
			t.Errorf("db %d %q: expire %d, want %d", db, key, got, want)
		}
	}
	w, _ := strconv.ParseInt(when, 10, 64)
	check(0, "a", -1)
	check(0, "b", -1) // overwritten by d, which had none
	check(0, "c", -1)
	check(2, "c", w)
	for i, db := range srv.DBs {
		db.Expires.Range(func(k string, _ *int64) bool {
			if db.Dict.Find(k) == nil {
				t.Errorf("db %d: TTL of missing key %q", i, k)
			}
			return true
		})
	}
}

// TestStringMatch checks the glob matcher on cases whose answers come
// from Redis 7.0.15 (KEYS on a one-key database).
func TestStringMatch(t *testing.T) {
	for _, tc := range []struct {
		pat, s string
		want   bool
	}{
		// stringmatchlen("*", "") fails: the loop never starts. KEYS *
		// and SCAN MATCH * match everything by not matching at all.
		{"*", "", false}, {"**", "", false}, {"", "", true}, {"", "a", false}, {"?", "", false},
		{"h?llo", "hello", true}, {"h*llo", "hllo", true}, {"h[ae]llo", "hallo", true},
		{"h[^e]llo", "hello", false}, {"h[a-b]llo", "hallo", true}, {"h[b-a]llo", "hallo", true},
		{"h\\*llo", "h*llo", true}, {"h\\*llo", "hxllo", false},
		{"h[\\]]llo", "h]llo", true}, {"h[]]llo", "h]llo", false},
		{"h[a", "ha", true}, {"h[a", "hb", false}, {"h[^", "hx", true}, {"[", "x", false},
		{"\\", "\\", true}, {"a\\", "a\\", true}, {"[\x01-\xff]", "\xff", true},
		{"[\x01-\xff]", "\x80", false}, {"[\x01-\xff]", "\x00", true}, {"[\x80-\xff]", "\x90", true},
		{"[a-]", "-", false}, {"[a-]", "a", true}, {"[-a]", "-", true},
		{"**h*", "hello", true}, {"a*\x00*b", "a\x00b", true},
		{"*a*a*a*a*a*a*a*a*a*a*a*a*b", "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa", false},
	} {
		if got := stringMatch([]byte(tc.pat), []byte(tc.s), false); got != tc.want {
			t.Errorf("stringMatch(%q, %q) = %v, want %v", tc.pat, tc.s, got, tc.want)
		}
	}
	// 1000 nested stars still match, 1001 do not.
	s := bytes.Repeat([]byte("a"), 1100)
	if !stringMatch(bytes.Repeat([]byte("*a"), 1000), s, false) {
		t.Error("1000 stars do not match")
	}
	if stringMatch(bytes.Repeat([]byte("*a"), 1001), s, false) {
		t.Error("1001 stars match")
	}
	// nocase folds ASCII letters only, ranges included.
	for _, tc := range []struct {
		pat, s string
		want   bool
	}{
		{"HELLO", "hello", true}, {"h[A-Z]llo", "hello", true}, {"[a-z]", "Q", true},
		{"\xc0", "\xe0", false}, {"h[^E]llo", "hello", false},
	} {
		if got := stringMatch([]byte(tc.pat), []byte(tc.s), true); got != tc.want {
			t.Errorf("nocase stringMatch(%q, %q) = %v, want %v", tc.pat, tc.s, got, tc.want)
		}
	}
}

func BenchmarkActiveExpireCycle(b *testing.B) {
	srv := expServer(b, nil)
	expAddVolatile(srv, srv.DBs[0], "k", 1000000, 3600_000, 7200_000)
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		srv.activeExpireCycle(false)
	}
}

// TestExpirePropagation: what the AOF and replicas get is independent of
// when it is replayed — relative times become PEXPIREAT / ABSTTL with the
// absolute time, a time in the past a DEL, and an expiry a DEL.
func TestExpirePropagation(t *testing.T) {
	srv := expServer(t, nil)
	var fed []string
	srv.SetPropagationFeed(func(dbid int, cmd []byte) { fed = append(fed, string(cmd)) })
	c := srv.NewClient(nil)
	payload := string([]byte("\x00\xc0\x01\n\x00&x\xe7\xb6\xd1\x01\x11\xfc"))
	resp := func(args ...string) string {
		s := "*" + strconv.Itoa(len(args)) + "\r\n"
		for _, a := range args {
			s += "$" + strconv.Itoa(len(a)) + "\r\n" + a + "\r\n"
		}
		return s
	}
	expDo(c, "SET", "k", "v")
	for _, tc := range []struct {
		cmd  []string
		want func(when int64) string // the propagated command, given the expire time now set
	}{
		{[]string{"EXPIRE", "k", "100", "GT", "xx"}, nil},
		{[]string{"EXPIRE", "k", "100"}, func(w int64) string { return resp("PEXPIREAT", "k", strconv.FormatInt(w, 10)) }},
		{[]string{"EXPIRE", "k", "200", "GT"}, func(w int64) string { return resp("PEXPIREAT", "k", strconv.FormatInt(w, 10), "GT") }},
		{[]string{"PEXPIRE", "k", "300000"}, func(w int64) string { return resp("PEXPIREAT", "k", strconv.FormatInt(w, 10)) }},
		{[]string{"EXPIREAT", "k", "4102444800"}, func(int64) string { return resp("PEXPIREAT", "k", "4102444800000") }},
		{[]string{"PEXPIREAT", "k", "4102444800001", "XX"}, func(int64) string { return resp("PEXPIREAT", "k", "4102444800001", "XX") }},
		{[]string{"PERSIST", "k"}, func(int64) string { return resp("PERSIST", "k") }},
		{[]string{"EXPIRE", "k", "-1"}, func(int64) string { return resp("DEL", "k") }},
		{[]string{"RESTORE", "r", "100000", payload}, func(w int64) string {
			return resp("RESTORE", "r", strconv.FormatInt(w, 10), payload, "ABSTTL")
		}},
		{[]string{"RESTORE", "r", "1", payload, "ABSTTL", "REPLACE"}, func(int64) string { return resp("DEL", "r") }},
		{[]string{"RESTORE", "r", "4102444800000", payload, "ABSTTL"}, func(int64) string {
			return resp("RESTORE", "r", "4102444800000", payload, "ABSTTL")
		}},
	} {
		fed = fed[:0]
		expDo(c, tc.cmd...)
		var want []string
		if tc.want != nil {
			when := srv.DBs[0].GetExpire([]byte(tc.cmd[1]))
			want = []string{tc.want(when)}
		}
		if len(fed) != len(want) || len(want) == 1 && fed[0] != want[0] {
			t.Errorf("%q propagated %q, want %q", tc.cmd, fed, want)
		}
	}
	// A key expiring while accessed goes out as a DEL.
	expDo(c, "SET", "x", "v")
	srv.setExpire(c, srv.DBs[0], []byte("x"), time.Now().UnixMilli()-1)
	fed = fed[:0]
	expDo(c, "GET", "x")
	if len(fed) != 1 || fed[0] != resp("DEL", "x") {
		t.Errorf("lazy expiry propagated %q", fed)
	}
}
