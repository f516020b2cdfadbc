package cmds_test

import (
	"bytes"
	"regexp"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/redisfs/redisfs/core/proto"
	"github.com/redisfs/redisfs/core/redistest"
)

// Tests of MONITOR, SLOWLOG, LATENCY and MEMORY USAGE against a real
// redis-server, with timestamps, durations and ports masked.

var (
	monitorTSRe = regexp.MustCompile(`^\+\d+\.\d{6} \[(\d+) (?:127\.0\.0\.1:\d+|unix:[^\]]*)\] `)
	portRe      = regexp.MustCompile(`127\.0\.0\.1:\d+`)
)

// maskMonitor replaces the timestamp and the client address of a MONITOR
// line.
func maskMonitor(b []byte) []byte {
	return monitorTSRe.ReplaceAll(b, []byte("+TS [$1 ADDR] "))
}

func TestMonitor(t *testing.T) {
	m := newMConns(t, 3, nil)
	m.do(0, "MONITOR")
	m.send(0, "MONITOR") // no reply the second time
	m.do(1, "CLIENT", "SETNAME", "worker")
	m.expectMasked(maskMonitor, 0, "monitor CLIENT SETNAME")
	lines := [][]string{
		{"SET", "k", "a b\"\\\x01\n\r\t\a\b\xff"},
		{"SELECT", "3"},
		{"GET", "k"},
		{"SELECT", "0"},
		{"INCR", "n"},
		{"AUTH", "secret"},
		{"AUTH", "user", "secret"},
		{"HELLO", "2", "AUTH", "user", "secret"},
		{"ACL", "SETUSER", "bob", "on", ">secret"},
		{"CONFIG", "SET", "requirepass", ""},
		{"ECHO", ""},
		{"NOSUCHCOMMAND"},
		{"GET"},
	}
	for _, l := range lines {
		r := m.do(1, l...)
		_ = r
	}
	// Admin commands (ACL SETUSER, CONFIG SET) and rejected ones are not
	// shown; AUTH and HELLO passwords are redacted.
	for i := 0; i < 9; i++ {
		m.expectMasked(maskMonitor, 0, "monitor line "+strconv.Itoa(i))
	}
	m.quiet(0, 100*time.Millisecond, "admin and rejected commands")
	// A transaction: MULTI, the commands at EXEC time, then EXEC.
	m.do(1, "MULTI")
	m.do(1, "SET", "t", "1")
	m.do(1, "GET", "t")
	m.do(1, "EXEC")
	for _, what := range []string{"MULTI", "SET", "GET", "EXEC"} {
		m.expectMasked(maskMonitor, 0, "monitor "+what)
	}
	m.do(1, "MULTI")
	m.do(1, "GET")
	m.do(1, "EXEC")
	m.expectMasked(maskMonitor, 0, "monitor MULTI (aborted)")
	m.expectMasked(maskMonitor, 0, "monitor EXEC (aborted)")
	// The monitor itself: PING is shown, keyspace commands are refused.
	m.doMasked(maskMonitor, 0, "PING")
	m.expectMasked(maskMonitor, 0, "monitor of its own PING")
	m.do(0, "GET", "k")
	// RESET stops monitoring.
	m.do(0, "RESET")
	m.do(1, "SET", "after", "reset")
	m.quiet(0, 100*time.Millisecond, "after RESET")
	// MONITOR inside MULTI is refused at EXEC.
	m.do(2, "MULTI")
	m.do(2, "MONITOR")
	m.do(2, "EXEC")
	m.do(1, "PING")
	m.quiet(2, 100*time.Millisecond, "MONITOR in EXEC")
}

// slowlogMask blanks the timestamps, durations and ports of a SLOWLOG GET
// reply.
func slowlogMask(b []byte) []byte {
	r, _, err := proto.ReadReply(b)
	if err != nil || len(r.Elems) == 0 {
		return b
	}
	var out []byte
	out = proto.AppendArrayLen(out, len(r.Elems))
	for _, e := range r.Elems {
		if len(e.Elems) != 6 {
			return b
		}
		out = proto.AppendArrayLen(out, 6)
		out = proto.AppendInt(out, e.Elems[0].Int)
		out = append(out, ":TIME\r\n:DURATION\r\n"...)
		out = proto.AppendArrayLen(out, len(e.Elems[3].Elems))
		for _, a := range e.Elems[3].Elems {
			out = proto.AppendBulk(out, a.Str)
		}
		out = proto.AppendBulk(out, portRe.ReplaceAll(e.Elems[4].Str, []byte("ADDR")))
		out = proto.AppendBulk(out, e.Elems[5].Str)
	}
	return out
}

func TestSlowlog(t *testing.T) {
	m := newMConns(t, 2, nil)
	m.do(0, "SLOWLOG", "GET")
	m.do(0, "SLOWLOG", "LEN")
	m.do(0, "CONFIG", "SET", "slowlog-log-slower-than", "0")
	m.do(0, "SLOWLOG", "RESET")
	m.do(0, "CLIENT", "SETNAME", "slow")
	m.do(0, "SET", "k", strings.Repeat("v", 200))
	args := []string{"RPUSH", "list"}
	for i := 0; i < 40; i++ {
		args = append(args, strconv.Itoa(i))
	}
	m.do(0, args...)
	m.do(0, "AUTH", "x")
	m.do(0, "MULTI")
	m.do(0, "INCR", "n")
	m.do(0, "EXEC")
	m.do(0, "CONFIG", "SET", "requirepass", "")
	m.do(1, "PING")
	m.doMasked(slowlogMask, 0, "SLOWLOG", "GET", "-1")
	m.doMasked(slowlogMask, 0, "SLOWLOG", "GET", "2")
	m.doMasked(slowlogMask, 0, "SLOWLOG", "GET", "0")
	m.do(0, "SLOWLOG", "LEN")
	m.do(0, "SLOWLOG", "GET", "-2")
	m.do(0, "SLOWLOG", "GET", "x")
	m.do(0, "SLOWLOG", "GET", "1", "2")
	m.do(0, "SLOWLOG", "HELP")
	m.do(0, "SLOWLOG", "FOO")
	m.do(0, "CONFIG", "SET", "slowlog-max-len", "3")
	m.do(0, "PING")
	m.do(0, "SLOWLOG", "LEN")
	m.do(0, "CONFIG", "SET", "slowlog-log-slower-than", "-1")
	m.do(0, "SLOWLOG", "RESET")
	m.do(0, "PING")
	m.do(0, "SLOWLOG", "LEN")
	m.do(0, "CONFIG", "SET", "slowlog-log-slower-than", "10000")
	m.do(0, "DEBUG", "SLEEP", "0.02")
	m.do(0, "SLOWLOG", "LEN")
}

var latencyNumRe = regexp.MustCompile(`:\d+\r\n`)

func maskNumbers(b []byte) []byte { return latencyNumRe.ReplaceAll(b, []byte(":N\r\n")) }

func TestLatency(t *testing.T) {
	m := newMConns(t, 1, nil)
	for _, c := range [][]string{
		{"LATENCY", "LATEST"}, {"LATENCY", "HISTORY", "command"}, {"LATENCY", "RESET"},
		{"LATENCY", "GRAPH", "command"}, {"LATENCY", "DOCTOR"}, {"LATENCY", "HELP"},
		{"LATENCY", "FOO"}, {"LATENCY", "HISTORY"},
		{"CONFIG", "SET", "latency-monitor-threshold", "25"}, {"LATENCY", "DOCTOR"},
	} {
		m.do(0, c...)
	}
	m.do(0, "DEBUG", "SLEEP", "0.05")
	m.doMasked(maskNumbers, 0, "LATENCY", "LATEST")
	m.doMasked(maskNumbers, 0, "LATENCY", "HISTORY", "command")
	m.do(0, "LATENCY", "HISTORY", "fast-command")
	for _, c := range []*redistest.Conn{m.ref[0], m.ours[0]} {
		r, _, err := proto.ReadReply(c.Do("LATENCY", "LATEST"))
		if err != nil || len(r.Elems) != 1 || r.Elems[0].Elems[2].Int < 50 {
			t.Errorf("LATENCY LATEST after a 50 ms command: %s", redistest.Quote(c.Do("LATENCY", "LATEST")))
		}
		if g := string(c.Do("LATENCY", "GRAPH", "command")); !strings.Contains(g, "command - high ") {
			t.Errorf("LATENCY GRAPH: %q", g)
		}
	}
	m.do(0, "LATENCY", "RESET", "command", "nosuch")
	m.do(0, "LATENCY", "LATEST")
	m.do(0, "LATENCY", "HISTOGRAM", "nosuchcommand")
	m.do(0, "CONFIG", "SET", "latency-monitor-threshold", "0")
}

func TestMemoryUsage(t *testing.T) {
	m := newMConns(t, 1, nil)
	for _, k := range []string{"k", strings.Repeat("k", 10), strings.Repeat("k", 31), strings.Repeat("k", 32),
		strings.Repeat("k", 100), strings.Repeat("k", 300)} {
		m.do(0, "SET", k, "v")
		m.do(0, "MEMORY", "USAGE", k)
	}
	for _, v := range []string{"1", "-5", "9999", "10000", "12345678901234567890", "a", strings.Repeat("a", 20),
		strings.Repeat("a", 44), strings.Repeat("a", 45), strings.Repeat("a", 60), strings.Repeat("a", 100),
		strings.Repeat("a", 1000), strings.Repeat("a", 5000), strings.Repeat("a", 70000)} {
		m.do(0, "SET", "k", v)
		m.do(0, "MEMORY", "USAGE", "k")
		m.do(0, "MEMORY", "USAGE", "k", "SAMPLES", "0")
	}
	m.do(0, "INCR", "counter")
	m.do(0, "MEMORY", "USAGE", "counter")
	// Collections of each encoding, small enough not to be rehashing.
	for _, c := range [][]string{
		{"RPUSH", "list", "a"}, {"SADD", "intset", "1", "2", "100000"}, {"SADD", "hset", "a"},
		{"HSET", "lphash", "f", "v", "g", "w"}, {"ZADD", "lpzset", "1", "a", "2", "b"},
		{"CONFIG", "SET", "zset-max-listpack-entries", "0"}, {"ZADD", "skipzset", "1", "a"},
		{"CONFIG", "SET", "zset-max-listpack-entries", "128"},
		{"CONFIG", "SET", "hash-max-listpack-entries", "0"}, {"HSET", "hthash", "field", "value"},
		{"CONFIG", "SET", "hash-max-listpack-entries", "128"},
		{"CONFIG", "SET", "list-max-listpack-size", "1"}, {"RPUSH", "nodes", "a", "b", "c"},
		{"CONFIG", "SET", "list-max-listpack-size", "-2"},
	} {
		m.do(0, c...)
	}
	big := []string{"RPUSH", "biglist"}
	for i := 0; i < 1000; i++ {
		big = append(big, strings.Repeat("x", 100))
	}
	m.do(0, big...)
	for _, k := range []string{"list", "intset", "hset", "lphash", "lpzset", "hthash", "nodes", "biglist"} {
		m.do(0, "MEMORY", "USAGE", k)
		m.do(0, "MEMORY", "USAGE", k, "SAMPLES", "0")
	}
	// A skiplist node's size depends on its random level: close enough.
	r, _, _ := proto.ReadReply(m.ref[0].Do("MEMORY", "USAGE", "skipzset"))
	o, _, _ := proto.ReadReply(m.ours[0].Do("MEMORY", "USAGE", "skipzset"))
	if d := r.Int - o.Int; d < -64 || d > 64 {
		t.Errorf("MEMORY USAGE skipzset: redis %d, ours %d", r.Int, o.Int)
	}
	m.do(0, "MEMORY", "USAGE", "nokey")
	m.do(0, "MEMORY", "USAGE", "k", "SAMPLES")
	m.do(0, "MEMORY", "USAGE", "k", "SAMPLES", "-1")
	m.do(0, "MEMORY", "USAGE", "k", "SAMPLES", "x")
	m.do(0, "MEMORY", "USAGE", "k", "FOO")
	m.do(0, "MEMORY", "USAGE")
	m.do(0, "MEMORY", "HELP")
	m.do(0, "MEMORY", "FOO")
	m.do(0, "MEMORY", "STATS", "x")
	m.do(0, "MEMORY", "PURGE")
	for _, c := range []*redistest.Conn{m.ref[0], m.ours[0]} {
		r, _, err := proto.ReadReply(c.Do("MEMORY", "STATS"))
		if err != nil || len(r.Elems) < 50 {
			t.Errorf("MEMORY STATS: %v, %d elements", err, len(r.Elems))
		}
		// Its text depends on the process's memory: only its form.
		if d := c.Do("MEMORY", "DOCTOR"); !bytes.HasPrefix(d, []byte("$")) || !bytes.Contains(d, []byte("Sam")) {
			t.Errorf("MEMORY DOCTOR: %s", redistest.Quote(d))
		}
	}
}
