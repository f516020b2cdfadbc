package cmds_test

import (
	"regexp"
	"strings"
	"testing"

	"github.com/redisfs/redisfs/core/proto"
	"github.com/redisfs/redisfs/core/redistest"
)

// Statistics of blocked commands (blocking.go's updateStatsOnUnblock),
// compared with Redis 7.0.15: a blocked command's call counts when it
// blocks; serving it adds a failure if it replied an error, a latency
// histogram sample and a slow log entry; a timeout adds nothing; CLIENT
// UNBLOCK counts a failure whatever the reason (a Redis 7.0 quirk) and logs
// an entry without arguments.

// cmdstatCounts returns the counters of INFO commandstats for name
// without the times (which differ).
func cmdstatCounts(t *testing.T, c *redistest.Conn, name string) string {
	t.Helper()
	r, _, err := proto.ReadReply(c.Do("INFO", "commandstats"))
	if err != nil {
		t.Fatal(err)
	}
	for _, line := range strings.Split(string(r.Str), "\r\n") {
		if v, ok := strings.CutPrefix(line, "cmdstat_"+name+":"); ok {
			return regexp.MustCompile(`usec=\d+,usec_per_call=[\d.]+,`).ReplaceAllString(v, "")
		}
	}
	return ""
}

// histogramCalls returns the calls of LATENCY HISTOGRAM name.
func histogramCalls(t *testing.T, c *redistest.Conn, name string) int64 {
	t.Helper()
	r, _, err := proto.ReadReply(c.Do("LATENCY", "HISTOGRAM", name))
	if err != nil {
		t.Fatal(err)
	}
	if len(r.Elems) != 2 || len(r.Elems[1].Elems) < 2 {
		return 0
	}
	return r.Elems[1].Elems[1].Int
}

// slowlogArgs returns the arguments of the slow log's entries, newest
// first, and resets it.
func slowlogArgs(t *testing.T, c *redistest.Conn) []string {
	t.Helper()
	r, _, err := proto.ReadReply(c.Do("SLOWLOG", "GET", "-1"))
	if err != nil {
		t.Fatal(err)
	}
	var out []string
	ids := regexp.MustCompile(`^CLIENT UNBLOCK \d+`)
	for _, e := range r.Elems {
		var args []string
		for _, a := range e.Elems[3].Elems {
			args = append(args, string(a.Str))
		}
		line := ids.ReplaceAllString(strings.Join(args, " "), "CLIENT UNBLOCK <id>")
		if line == "INFO clients" {
			continue // waitBlocked polls it a varying number of times
		}
		out = append(out, line)
	}
	c.Do("SLOWLOG", "RESET")
	return out
}

func (b *bconns) compareStats(what, cmd string) {
	b.t.Helper()
	if r, o := cmdstatCounts(b.t, b.refCtl, cmd), cmdstatCounts(b.t, b.ourCt, cmd); r != o {
		b.t.Errorf("%s: cmdstat_%s: redis %q, ours %q", what, cmd, r, o)
	}
	if r, o := histogramCalls(b.t, b.refCtl, cmd), histogramCalls(b.t, b.ourCt, cmd); r != o {
		b.t.Errorf("%s: LATENCY HISTOGRAM %s calls: redis %d, ours %d", what, cmd, r, o)
	}
	r, o := slowlogArgs(b.t, b.refCtl), slowlogArgs(b.t, b.ourCt)
	if strings.Join(r, "|") != strings.Join(o, "|") {
		b.t.Errorf("%s: slow log: redis %q, ours %q", what, r, o)
	}
}

func TestBlockedCommandStats(t *testing.T) {
	b := newBconns(t, 2)
	// SLOWLOG, CONFIG and LATENCY are admin commands: not logged.
	for _, c := range []*redistest.Conn{b.refCtl, b.ourCt} {
		c.Do("CONFIG", "SET", "slowlog-log-slower-than", "0")
		c.Do("CONFIG", "RESETSTAT")
		c.Do("SLOWLOG", "RESET")
	}
	refID, ourID := b.clientIDs(1)
	slowlogArgs(t, b.refCtl)
	slowlogArgs(t, b.ourCt)

	b.send(1, "BLPOP", "l", "0")
	b.waitBlocked(1)
	b.compareStats("blocked", "blpop")
	b.do(0, "LPUSH", "l", "x")
	b.expect(1, "BLPOP served")
	b.compareStats("served", "blpop")

	b.send(1, "BLPOP", "l", "0.05")
	b.expect(1, "BLPOP timed out")
	b.compareStats("timed out", "blpop")

	for _, reason := range []string{"ERROR", "TIMEOUT"} {
		b.send(1, "BLPOP", "l", "0")
		b.waitBlocked(1)
		if r, o := b.refCtl.Do("CLIENT", "UNBLOCK", refID, reason), b.ourCt.Do("CLIENT", "UNBLOCK", ourID, reason); string(r) != string(o) {
			t.Errorf("CLIENT UNBLOCK %s: redis %s, ours %s", reason, redistest.Quote(r), redistest.Quote(o))
		}
		b.expect(1, "BLPOP unblocked with "+reason)
		b.compareStats("CLIENT UNBLOCK "+reason, "blpop")
	}

	// Served with an error: a failed call.
	b.do(0, "SET", "s", "x")
	b.send(1, "BLMOVE", "l", "s", "LEFT", "LEFT", "0")
	b.waitBlocked(1)
	b.do(0, "RPUSH", "l", "y")
	b.expect(1, "BLMOVE served with WRONGTYPE")
	b.compareStats("served with an error", "blmove")

	// A client that goes away while blocked (the failed BLMOVE left
	// its element in l).
	b.do(0, "DEL", "l")
	b.send(1, "BLPOP", "l", "0")
	b.waitBlocked(1)
	b.ref[1].Close()
	b.ours[1].Close()
	b.waitBlocked(0)
	b.compareStats("client gone", "blpop")
}
