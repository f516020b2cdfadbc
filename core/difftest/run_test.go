package difftest

import (
	"bytes"
	"fmt"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/redisfs/redisfs/core/proto"
	"github.com/redisfs/redisfs/core/redistest"
)

// side is one server's connections: main (the generated commands), second
// (blocking commands) and ctl (INFO, CLIENT UNBLOCK, state checks).
type side struct {
	name              string
	addr              string
	main, second, ctl *redistest.Conn
	secondID          string
}

// runner runs sequences on both servers.
type runner struct {
	t     testing.TB
	sides [2]*side // 0: redis-server, 1: ours
	// commands counts the commands sent to each server; errors those
	// Redis answered with an error, blocks the blocking commands that
	// did block.
	commands, errors, blocks int
}

// mismatch is a difference found at step index at.
type mismatch struct {
	at   int
	what string
}

func (m *mismatch) Error() string { return m.what }

func newRunner(t testing.TB, refAddr, ourAddr string) *runner {
	r := &runner{t: t}
	for i, a := range []string{refAddr, ourAddr} {
		r.sides[i] = &side{name: []string{"redis", "ours"}[i], addr: a}
	}
	return r
}

// reset opens fresh connections and brings both servers to the same empty
// state under su.
func (r *runner) reset(su setup) error {
	for _, sd := range r.sides {
		for _, c := range []*redistest.Conn{sd.main, sd.second, sd.ctl} {
			if c != nil {
				c.Close()
			}
		}
		var err error
		if sd.ctl, err = redistest.TryDial(r.t, sd.addr); err != nil {
			return err
		}
		if sd.main, err = redistest.TryDial(r.t, sd.addr); err != nil {
			return err
		}
		if sd.second, err = redistest.TryDial(r.t, sd.addr); err != nil {
			return err
		}
		for _, c := range []*redistest.Conn{sd.main, sd.second, sd.ctl} {
			c.Timeout = 5 * time.Second
		}
		if _, err := sd.ctl.TryDo("FLUSHALL"); err != nil {
			return err
		}
		for _, kv := range su.config {
			if rep, err := sd.ctl.TryDo("CONFIG", "SET", kv[0], kv[1]); err != nil || string(rep) != "+OK\r\n" {
				return fmt.Errorf("%s: CONFIG SET %s %s: %q %v", sd.name, kv[0], kv[1], rep, err)
			}
		}
		if su.resp == 3 {
			for _, c := range []*redistest.Conn{sd.main, sd.second} {
				if _, err := c.TryDo("HELLO", "3"); err != nil {
					return err
				}
			}
		}
		rep, err := sd.second.TryDo("CLIENT", "ID")
		if err != nil {
			return err
		}
		sd.secondID = strings.TrimSpace(string(rep[1:]))
	}
	return nil
}

// run runs steps after reset(su), comparing every reply and, every
// checkEvery steps and at the end, the whole state. It returns the first
// mismatch.
func (r *runner) run(su setup, steps []step, checkEvery int) *mismatch {
	if err := r.reset(su); err != nil {
		r.t.Fatalf("difftest: setting up: %v", err)
	}
	blocked := -1 // index of the blocking step the second connections wait in
	for i, st := range steps {
		var m *mismatch
		switch st.kind {
		case kindCmd:
			m = r.command(i, st)
		case kindBlock:
			if blocked >= 0 {
				m = r.unblock(i, blocked)
				blocked = -1
			}
			if m == nil {
				var stillBlocked bool
				stillBlocked, m = r.block(i, st)
				if stillBlocked {
					blocked = i
				}
			}
		case kindDumpRestore:
			m = r.dumpRestore(i, st)
		}
		if m == nil && blocked >= 0 && st.kind != kindBlock {
			var served bool
			served, m = r.pollBlocked(i, blocked)
			if served {
				blocked = -1
			} else if m == nil && i-blocked >= 6 {
				m = r.unblock(i, blocked)
				blocked = -1
			}
		}
		if m == nil && checkEvery > 0 && (i+1)%checkEvery == 0 {
			m = r.checkState(i)
		}
		if m != nil {
			return m
		}
	}
	if blocked >= 0 {
		if m := r.unblock(len(steps)-1, blocked); m != nil {
			return m
		}
	}
	return r.checkState(len(steps) - 1)
}

// command sends st on both main connections and compares the replies.
func (r *runner) command(i int, st step) *mismatch {
	var reps [2][]byte
	for k, sd := range r.sides {
		rep, err := sd.main.TryDo(st.args...)
		if err != nil {
			return &mismatch{i, fmt.Sprintf("%s: %v", sd.name, err)}
		}
		reps[k] = rep
	}
	r.commands++
	if len(reps[0]) > 0 && reps[0][0] == '-' {
		r.errors++
	}
	if !equal(st.mode, reps[0], reps[1]) {
		return &mismatch{i, fmt.Sprintf("reply differs:\n    redis: %s\n    ours:  %s", redistest.Quote(reps[0]), redistest.Quote(reps[1]))}
	}
	return nil
}

// blockedClients returns blocked_clients of INFO on sd.
func blockedClients(sd *side) (int, error) {
	rep, err := sd.ctl.TryDo("INFO", "clients")
	if err != nil {
		return 0, err
	}
	_, v, ok := strings.Cut(string(rep), "blocked_clients:")
	if !ok {
		return 0, fmt.Errorf("no blocked_clients in INFO")
	}
	v, _, _ = strings.Cut(v, "\r\n")
	return strconv.Atoi(v)
}

// block sends a blocking command on the second connections and waits,
// on each server, until it is answered or blocked.
func (r *runner) block(i int, st step) (bool, *mismatch) {
	var state [2]string
	var reps [2][]byte
	for k, sd := range r.sides {
		if err := sd.second.TryWrite(redistest.Command(st.args...)); err != nil {
			return false, &mismatch{i, err.Error()}
		}
		r.commands++
		deadline := time.Now().Add(5 * time.Second)
		for state[k] == "" {
			if rep, ok := sd.second.Buffered(); ok {
				state[k], reps[k] = "answered", rep
				break
			}
			n, err := blockedClients(sd)
			if err != nil {
				return false, &mismatch{i, err.Error()}
			}
			if n > 0 {
				state[k] = "blocked"
				break
			}
			// Neither yet: the reply may be on its way.
			sd.second.Timeout = 5 * time.Millisecond
			rep, err := sd.second.TryReadReply()
			sd.second.Timeout = 5 * time.Second
			if err == nil {
				state[k], reps[k] = "answered", rep
			}
			if time.Now().After(deadline) {
				return false, &mismatch{i, sd.name + ": blocking command neither answered nor blocked"}
			}
		}
	}
	if state[0] != state[1] {
		return false, &mismatch{i, fmt.Sprintf("blocking command: redis %s %s, ours %s %s", state[0], redistest.Quote(reps[0]), state[1], redistest.Quote(reps[1]))}
	}
	if state[0] == "answered" && !bytes.Equal(reps[0], reps[1]) {
		return false, &mismatch{i, fmt.Sprintf("blocking command's reply differs:\n    redis: %s\n    ours:  %s", redistest.Quote(reps[0]), redistest.Quote(reps[1]))}
	}
	if state[0] == "blocked" {
		r.blocks++
	}
	return state[0] == "blocked", nil
}

// pollBlocked checks after step i whether the client blocked at step b
// was served, on both servers alike.
func (r *runner) pollBlocked(i, b int) (bool, *mismatch) {
	var n [2]int
	for k, sd := range r.sides {
		var err error
		if n[k], err = blockedClients(sd); err != nil {
			return false, &mismatch{i, err.Error()}
		}
	}
	if n[0] != n[1] {
		return false, &mismatch{i, fmt.Sprintf("after this command the client blocked at step %d: redis blocked_clients=%d, ours %d", b+1, n[0], n[1])}
	}
	if n[0] > 0 {
		return false, nil
	}
	return true, r.secondReplies(i, "served")
}

// secondReplies reads and compares the reply of the second connections.
func (r *runner) secondReplies(i int, what string) *mismatch {
	var reps [2][]byte
	for k, sd := range r.sides {
		rep, err := sd.second.TryReadReply()
		if err != nil {
			return &mismatch{i, fmt.Sprintf("%s: the blocked client's reply (%s): %v", sd.name, what, err)}
		}
		reps[k] = rep
	}
	if !bytes.Equal(reps[0], reps[1]) {
		return &mismatch{i, fmt.Sprintf("the blocked client's reply (%s) differs:\n    redis: %s\n    ours:  %s", what, redistest.Quote(reps[0]), redistest.Quote(reps[1]))}
	}
	return nil
}

// unblock ends the wait of the client blocked at step b with CLIENT
// UNBLOCK, as a timeout would.
func (r *runner) unblock(i, b int) *mismatch {
	for _, sd := range r.sides {
		if _, err := sd.ctl.TryDo("CLIENT", "UNBLOCK", sd.secondID); err != nil {
			return &mismatch{i, err.Error()}
		}
	}
	return r.secondReplies(i, "unblocked")
}

// dumpRestore runs DUMP src on Redis and RESTORE dst with its payload on
// both. Our DUMP is compared too where Redis's payload is deterministic.
func (r *runner) dumpRestore(i int, st step) *mismatch {
	src, dst := st.args[0], st.args[1]
	ref, ours := r.sides[0], r.sides[1]
	if m := r.command(i, step{args: []string{"OBJECT", "ENCODING", src}}); m != nil {
		return m
	}
	payload, err := ref.main.TryDo("DUMP", src)
	if err != nil {
		return &mismatch{i, err.Error()}
	}
	if deterministicDump(ref.main, src) {
		op, err := ours.main.TryDo("DUMP", src)
		if err != nil {
			return &mismatch{i, err.Error()}
		}
		if !bytes.Equal(payload, op) {
			return &mismatch{i, fmt.Sprintf("DUMP %q differs:\n    redis: %s\n    ours:  %s", src, redistest.Quote(payload), redistest.Quote(op))}
		}
	}
	rep, _, err := proto.ReadReply(payload)
	if err != nil || rep.Null || rep.Type != '$' {
		return nil
	}
	return r.command(i, step{args: append([]string{"RESTORE", dst, st.args[2], string(rep.Str)}, st.args[3:]...)})
}

// deterministicDump reports whether Redis's DUMP of key (on Redis's
// connection c) is the same in every process: not for a hash table, whose
// order follows a random seed.
func deterministicDump(c *redistest.Conn, key string) bool {
	enc, err := c.TryDo("OBJECT", "ENCODING", key)
	return err == nil && !bytes.Contains(enc, []byte("hashtable"))
}

// checkState compares the whole keyspace of both servers: the databases
// the generated commands reach (0 and 1).
func (r *runner) checkState(i int) *mismatch {
	for _, db := range []string{"1", "0"} {
		for _, sd := range r.sides {
			if _, err := sd.ctl.TryDo("SELECT", db); err != nil {
				return &mismatch{i, err.Error()}
			}
		}
		if m := r.checkDB(i, db); m != nil {
			return m
		}
	}
	return nil
}

// checkDB compares the database the ctl connections have selected.
func (r *runner) checkDB(i int, db string) *mismatch {
	var keyLists [2][]string
	for k, sd := range r.sides {
		rep, err := sd.ctl.TryDo("KEYS", "*")
		if err != nil {
			return &mismatch{i, err.Error()}
		}
		_, elems, err := redistest.Elements(rep)
		if err != nil && len(rep) > 0 && rep[0] != '*' {
			return &mismatch{i, fmt.Sprintf("%s: KEYS: %q", sd.name, rep)}
		}
		for _, e := range elems {
			rr, _, _ := proto.ReadReply(e)
			keyLists[k] = append(keyLists[k], string(rr.Str))
		}
		slices.Sort(keyLists[k])
	}
	if !slices.Equal(keyLists[0], keyLists[1]) {
		return &mismatch{i, fmt.Sprintf("state of db %s: keys differ: redis %q, ours %q", db, keyLists[0], keyLists[1])}
	}
	for _, key := range keyLists[0] {
		if m := r.checkKey(i, key); m != nil {
			return m
		}
	}
	return nil
}

func (r *runner) checkKey(i int, key string) *mismatch {
	ctlDo := func(mode mode, args ...string) *mismatch {
		var reps [2][]byte
		for k, sd := range r.sides {
			rep, err := sd.ctl.TryDo(args...)
			if err != nil {
				return &mismatch{i, err.Error()}
			}
			reps[k] = rep
		}
		if !equal(mode, reps[0], reps[1]) {
			return &mismatch{i, fmt.Sprintf("state of %q: %s:\n    redis: %s\n    ours:  %s", key, redistest.QuoteArgs(args), redistest.Quote(reps[0]), redistest.Quote(reps[1]))}
		}
		return nil
	}
	typ, err := r.sides[0].ctl.TryDo("TYPE", key)
	if err != nil {
		return &mismatch{i, err.Error()}
	}
	checks := [][]string{{"TYPE", key}, {"OBJECT", "ENCODING", key}}
	modes := []mode{exact, exact}
	switch strings.TrimSpace(string(typ[1:])) {
	case "string":
		checks = append(checks, []string{"GET", key})
		modes = append(modes, exact)
	case "list":
		checks = append(checks, []string{"LRANGE", key, "0", "-1"})
		modes = append(modes, exact)
	case "set":
		checks = append(checks, []string{"SMEMBERS", key})
		modes = append(modes, sorted)
	case "zset":
		checks = append(checks, []string{"ZRANGE", key, "0", "-1", "WITHSCORES"})
		modes = append(modes, exact)
	case "hash":
		checks = append(checks, []string{"HGETALL", key})
		modes = append(modes, pairs)
	}
	checks = append(checks, []string{"PTTL", key})
	modes = append(modes, pttl)
	for j, c := range checks {
		if m := ctlDo(modes[j], c...); m != nil {
			return m
		}
	}
	if deterministicDump(r.sides[0].ctl, key) {
		return ctlDo(exact, "DUMP", key)
	}
	return nil
}

// equal compares two raw replies under m.
func equal(m mode, a, b []byte) bool {
	if bytes.Equal(a, b) {
		return true
	}
	switch m {
	case sorted:
		return redistest.Equal(redistest.Sorted, a, b)
	case pairs:
		return bytes.Equal(sortPairs(a), sortPairs(b))
	case scan, pairsScan:
		ha, ea, err1 := redistest.Elements(a)
		hb, eb, err2 := redistest.Elements(b)
		if err1 != nil || err2 != nil || len(ea) != 2 || len(eb) != 2 || !bytes.Equal(ha, hb) || !bytes.Equal(ea[0], eb[0]) {
			return false
		}
		if m == scan {
			return redistest.Equal(redistest.Sorted, ea[1], eb[1])
		}
		return bytes.Equal(sortPairs(ea[1]), sortPairs(eb[1]))
	case ttl, pttl:
		ra, _, err1 := proto.ReadReply(a)
		rb, _, err2 := proto.ReadReply(b)
		if err1 != nil || err2 != nil || ra.Type != ':' || rb.Type != ':' || (ra.Int < 0) != (rb.Int < 0) {
			return false
		}
		if ra.Int < 0 {
			return ra.Int == rb.Int
		}
		tol := int64(2)
		if m == pttl {
			tol = 2000
		}
		d := ra.Int - rb.Int
		return d <= tol && d >= -tol
	}
	return false
}

// sortPairs returns a flat aggregate with its elements taken two by two
// and the pairs sorted (a map: its pairs sorted).
func sortPairs(reply []byte) []byte {
	header, elems, err := redistest.Elements(reply)
	if err != nil || len(elems)%2 != 0 {
		return reply
	}
	ps := make([][]byte, 0, len(elems)/2)
	for i := 0; i < len(elems); i += 2 {
		ps = append(ps, append(bytes.Clone(elems[i]), elems[i+1]...))
	}
	slices.SortFunc(ps, bytes.Compare)
	out := bytes.Clone(header)
	for _, p := range ps {
		out = append(out, p...)
	}
	return out
}

// render prints a sequence as a transcript, with the setup as comments
// and commands, and the steps of the second connection marked.
func render(su setup, steps []step) string {
	var b strings.Builder
	fmt.Fprintf(&b, "# RESP%d\n", su.resp)
	for _, kv := range su.config {
		fmt.Fprintf(&b, "CONFIG SET %s %s\n", kv[0], redistest.QuoteArgs([]string{kv[1]}))
	}
	if su.resp == 3 {
		b.WriteString("!any HELLO 3\n")
	}
	for _, st := range steps {
		prefix := ""
		switch st.mode {
		case sorted, pairs, scan, pairsScan:
			prefix = "!sorted "
		case ttl, pttl:
			prefix = "!approx "
		}
		switch st.kind {
		case kindBlock:
			b.WriteString("# second connection, blocking: ")
		case kindDumpRestore:
			fmt.Fprintf(&b, "# DUMP %s on redis-server, then on both: RESTORE %s <payload> %s\n", redistest.QuoteArgs(st.args[:1]), redistest.QuoteArgs(st.args[1:2]), redistest.QuoteArgs(st.args[2:]))
			continue
		}
		b.WriteString(prefix + redistest.QuoteArgs(st.args) + "\n")
	}
	return b.String()
}
