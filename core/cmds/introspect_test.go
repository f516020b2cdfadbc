package cmds_test

import (
	"bytes"
	"context"
	"fmt"
	"os/exec"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/redisfs/redisfs/core/cmds"
	"github.com/redisfs/redisfs/core/proto"
	"github.com/redisfs/redisfs/core/redistest"
)

// Tests of COMMAND and INFO (introspect.go).

// replyStrings returns the strings of an aggregate of strings.
func replyStrings(r proto.Reply) []string {
	out := make([]string, len(r.Elems))
	for i, e := range r.Elems {
		out[i] = string(e.Str)
	}
	return out
}

// commandEntry is one COMMAND INFO entry, decoded.
type commandEntry struct {
	name             string
	arity            int64
	flags            []string
	first, last, stp int64
	acl, tips        []string
	keySpecs         []byte
	subs             map[string]*commandEntry
}

func decodeCommandEntry(t *testing.T, r proto.Reply, raw func(proto.Reply) []byte) *commandEntry {
	t.Helper()
	if r.Null {
		return nil
	}
	if len(r.Elems) != 10 {
		t.Fatalf("COMMAND INFO entry of %d fields", len(r.Elems))
	}
	e := &commandEntry{
		name: string(r.Elems[0].Str), arity: r.Elems[1].Int, flags: replyStrings(r.Elems[2]),
		first: r.Elems[3].Int, last: r.Elems[4].Int, stp: r.Elems[5].Int,
		acl: replyStrings(r.Elems[6]), tips: replyStrings(r.Elems[7]), keySpecs: raw(r.Elems[8]),
		subs: map[string]*commandEntry{},
	}
	for _, s := range r.Elems[9].Elems {
		sub := decodeCommandEntry(t, s, raw)
		e.subs[sub.name] = sub
	}
	return e
}

// encodeReply re-encodes a parsed reply in RESP3, to compare key specs.
func encodeReply(r proto.Reply) []byte {
	var b []byte
	var enc func(r proto.Reply)
	enc = func(r proto.Reply) {
		switch r.Type {
		case '*', '~', '%':
			n := len(r.Elems)
			if r.Type == '%' {
				n /= 2
			}
			b = append(b, r.Type)
			b = strconv.AppendInt(b, int64(n), 10)
			b = append(b, "\r\n"...)
			for _, e := range r.Elems {
				enc(e)
			}
		case ':':
			b = proto.AppendInt(b, r.Int)
		default:
			b = append(b, r.Type)
			b = append(b, r.Str...)
			b = append(b, "\r\n"...)
		}
	}
	enc(r)
	return b
}

// TestCommandTableMatchesRedis compares COMMAND INFO and COMMAND DOCS for
// every command and subcommand of our table with the real Redis's.
// Arity, flags, key positions, ACL categories and key specs must match
// (an error names the family file to fix); differences in the docs texts
// and tips are logged.
func TestCommandTableMatchesRedis(t *testing.T) {
	refAddr, ourAddr := connPair(t, nil)
	ref, ours := redistest.Dial(t, refAddr), redistest.Dial(t, ourAddr)
	for _, c := range []*redistest.Conn{ref, ours} {
		c.Do("HELLO", "3")
	}
	var names []string
	for name := range cmds.Commands() {
		names = append(names, name)
	}
	slices.Sort(names)
	rawOf := func(r proto.Reply) []byte { return encodeReply(r) }
	var hard, soft []string
	var compare func(path string, a, b *commandEntry)
	compare = func(path string, a, b *commandEntry) {
		diff := func(hardDiff bool, field string, x, y any) {
			msg := fmt.Sprintf("%s: %s: redis %v, ours %v", path, field, x, y)
			if hardDiff {
				hard = append(hard, msg)
			} else {
				soft = append(soft, msg)
			}
		}
		if a.arity != b.arity {
			diff(true, "arity", a.arity, b.arity)
		}
		if !slices.Equal(a.flags, b.flags) {
			diff(true, "flags", a.flags, b.flags)
		}
		if a.first != b.first || a.last != b.last || a.stp != b.stp {
			diff(true, "keys", []int64{a.first, a.last, a.stp}, []int64{b.first, b.last, b.stp})
		}
		if !slices.Equal(a.acl, b.acl) {
			diff(true, "acl", a.acl, b.acl)
		}
		if !slices.Equal(a.tips, b.tips) {
			diff(false, "tips", a.tips, b.tips)
		}
		if !bytes.Equal(a.keySpecs, b.keySpecs) {
			diff(true, "key specs", string(a.keySpecs), string(b.keySpecs))
		}
		for name, sa := range a.subs {
			sb := b.subs[name]
			if sb == nil {
				diff(false, "missing subcommand", name, "-")
				continue
			}
			compare(name, sa, sb)
		}
		for name := range b.subs {
			if a.subs[name] == nil {
				diff(true, "extra subcommand", "-", name)
			}
		}
	}
	for _, name := range names {
		a := decodeCommandEntry(t, parseReply(t, ref.Do("COMMAND", "INFO", name)).Elems[0], rawOf)
		b := decodeCommandEntry(t, parseReply(t, ours.Do("COMMAND", "INFO", name)).Elems[0], rawOf)
		if a == nil {
			soft = append(soft, name+": not a Redis 7.0 command")
			continue
		}
		compare(name, a, b)
		// Docs: summary, since, group, complexity come from the table.
		full := []string{name}
		for sub := range b.subs {
			full = append(full, sub)
		}
		slices.Sort(full)
		for _, fn := range full {
			da := docFields(t, ref.Do("COMMAND", "DOCS", fn))
			db := docFields(t, ours.Do("COMMAND", "DOCS", fn))
			for _, f := range []string{"summary", "since", "group", "complexity"} {
				if da[f] != db[f] {
					soft = append(soft, fmt.Sprintf("%s: %s: redis %q, ours %q", fn, f, da[f], db[f]))
				}
			}
		}
	}
	for _, m := range soft {
		t.Logf("table note: %s", m)
	}
	for _, m := range hard {
		t.Errorf("table entry differs from Redis 7.0: %s", m)
	}
	t.Logf("%d commands compared, %d differences that must be fixed, %d notes", len(names), len(hard), len(soft))
}

// docFields returns the string fields of a one-command COMMAND DOCS reply.
func docFields(t *testing.T, raw []byte) map[string]string {
	t.Helper()
	r := parseReply(t, raw)
	out := map[string]string{}
	if len(r.Elems) < 2 {
		return out
	}
	m := r.Elems[1]
	for i := 0; i+1 < len(m.Elems); i += 2 {
		if m.Elems[i+1].Type == '$' {
			out[string(m.Elems[i].Str)] = string(m.Elems[i+1].Str)
		}
	}
	return out
}

// TestCommandDocsWhole checks that COMMAND, COMMAND INFO and COMMAND DOCS
// without names describe every command, in both protocols, and that the
// docs of the commands whose table data matches Redis are byte-identical.
func TestCommandDocsWhole(t *testing.T) {
	refAddr, ourAddr := connPair(t, nil)
	ours := redistest.Dial(t, ourAddr)
	ref := redistest.Dial(t, refAddr)
	count := parseReply(t, ours.Do("COMMAND", "COUNT")).Int
	if count != int64(len(cmds.Commands())) {
		t.Errorf("COMMAND COUNT %d, table has %d", count, len(cmds.Commands()))
	}
	for _, resp := range []string{"2", "3"} {
		ours.Do("HELLO", resp)
		if n := len(parseReply(t, ours.Do("COMMAND")).Elems); int64(n) != count {
			t.Errorf("RESP%s: COMMAND has %d entries", resp, n)
		}
		if n := len(parseReply(t, ours.Do("COMMAND", "INFO")).Elems); int64(n) != count {
			t.Errorf("RESP%s: COMMAND INFO has %d entries", resp, n)
		}
		docs := parseReply(t, ours.Do("COMMAND", "DOCS"))
		if n := len(docs.Elems) / 2; int64(n) != count {
			t.Errorf("RESP%s: COMMAND DOCS has %d entries", resp, len(docs.Elems)/2)
		}
		list := parseReply(t, ours.Do("COMMAND", "LIST"))
		subs := 0
		for _, c := range cmds.Commands() {
			subs += len(c.Subs)
		}
		if len(list.Elems) != int(count)+subs {
			t.Errorf("RESP%s: COMMAND LIST has %d names, want %d", resp, len(list.Elems), int(count)+subs)
		}
	}
	// The docs that redis-cli reads for its hints: identical for the
	// commands of this family.
	ours.Do("HELLO", "2")
	for _, name := range []string{"get", "set", "hello", "client", "config", "command", "info", "debug", "flushall", "shutdown"} {
		if _, ok := cmds.Commands()[name]; !ok {
			continue
		}
		a, b := ref.Do("COMMAND", "DOCS", name), ours.Do("COMMAND", "DOCS", name)
		if !bytes.Equal(a, b) && !sameIgnoringSubOrder(t, a, b) {
			t.Errorf("COMMAND DOCS %s\n    redis: %s\n    ours:  %s", name, redistest.Quote(a), redistest.Quote(b))
		}
	}
}

// sameIgnoringSubOrder compares two replies whose only difference may be
// the order of subcommands (Redis lists them in hash table order).
func sameIgnoringSubOrder(t *testing.T, a, b []byte) bool {
	t.Helper()
	var norm func(r proto.Reply) string
	norm = func(r proto.Reply) string {
		if len(r.Elems) == 0 {
			return string(encodeReply(r))
		}
		parts := make([]string, 0, len(r.Elems))
		if r.Type == '%' || r.Type == '*' && len(r.Elems)%2 == 0 {
			for i := 0; i+1 < len(r.Elems); i += 2 {
				parts = append(parts, norm(r.Elems[i])+"="+norm(r.Elems[i+1]))
			}
		} else {
			for _, e := range r.Elems {
				parts = append(parts, norm(e))
			}
		}
		slices.Sort(parts)
		return string(r.Type) + "[" + strings.Join(parts, ",") + "]"
	}
	return norm(parseReply(t, a)) == norm(parseReply(t, b))
}

// infoSectionsOf parses INFO text into sections of "name:value" lines.
func infoSectionsOf(t *testing.T, text string) (order []string, fields map[string][]string, values map[string]string) {
	t.Helper()
	fields, values = map[string][]string{}, map[string]string{}
	if !strings.HasSuffix(text, "\r\n") && text != "" {
		t.Errorf("INFO does not end in CRLF: %q", text[max(0, len(text)-20):])
	}
	cur := ""
	for _, line := range strings.Split(strings.TrimSuffix(text, "\r\n"), "\r\n") {
		switch {
		case strings.HasPrefix(line, "# "):
			cur = line[2:]
			order = append(order, cur)
		case line == "":
		default:
			name, val, ok := strings.Cut(line, ":")
			if !ok || cur == "" {
				t.Errorf("INFO line %q", line)
				continue
			}
			fields[cur] = append(fields[cur], name)
			values[name] = val
		}
	}
	return order, fields, values
}

// TestInfoFields checks INFO's sections and their fields, names and
// order, against Redis 7.0.15's, and the values that must agree.
func TestInfoFields(t *testing.T) {
	refAddr, ourAddr := connPair(t, nil)
	ref, ours := redistest.Dial(t, refAddr), redistest.Dial(t, ourAddr)
	for _, c := range []*redistest.Conn{ref, ours} {
		c.Do("SET", "a", "1")
		c.Do("SET", "b", "2", "EX", "100")
		c.Do("SELECT", "3")
		c.Do("SET", "c", "3")
		c.Do("GET", "c")
		c.Do("GET", "nosuch")
		c.Do("GET")
		c.Do("LPUSH", "c", "x")
		c.Do("CONFIG", "SET", "maxmemory", "100mb")
	}
	for _, args := range [][]string{{"INFO"}, {"INFO", "all"}, {"INFO", "everything"}, {"INFO", "default"},
		{"INFO", "server", "keyspace"}, {"INFO", "keyspace", "server", "CPU"}, {"INFO", "commandstats"}} {
		refOrder, refFields, refVals := infoSectionsOf(t, bulkText(t, ref.Do(args...)))
		ourOrder, ourFields, ourVals := infoSectionsOf(t, bulkText(t, ours.Do(args...)))
		if !slices.Equal(refOrder, ourOrder) {
			t.Errorf("%v: sections\n    redis: %v\n    ours:  %v", args, refOrder, ourOrder)
		}
		for _, sec := range refOrder {
			switch sec {
			case "Commandstats", "Errorstats", "Latencystats":
				continue // lines depend on what ran; checked below
			}
			if !slices.Equal(refFields[sec], ourFields[sec]) {
				t.Errorf("%v: # %s fields\n    redis: %v\n    ours:  %v", args, sec, refFields[sec], ourFields[sec])
			}
		}
		for _, f := range []string{"redis_version", "redis_mode", "arch_bits", "multiplexing_api", "hz", "configured_hz",
			"connected_clients", "maxclients", "blocked_clients", "maxmemory", "maxmemory_human", "maxmemory_policy",
			"loading", "rdb_changes_since_last_save", "aof_enabled", "role", "connected_slaves", "master_repl_offset",
			"cluster_enabled", "db0", "db3", "keyspace_hits", "keyspace_misses", "total_error_replies", "errorstat_ERR",
			"errorstat_WRONGTYPE", "expired_keys", "evicted_keys"} {
			if a, ok := refVals[f]; ok && f != "db0" && f != "db3" && a != ourVals[f] {
				t.Errorf("%v: %s: redis %q, ours %q", args, f, a, ourVals[f])
			}
		}
		// The keyspace lines: same keys and expires (avg_ttl is an estimate).
		for _, db := range []string{"db0", "db3"} {
			a, b := refVals[db], ourVals[db]
			if a == "" {
				continue
			}
			ttl := regexp.MustCompile(`,avg_ttl=\d+$`)
			if ttl.ReplaceAllString(a, "") != ttl.ReplaceAllString(b, "") || !ttl.MatchString(b) {
				t.Errorf("%v: %s: redis %q, ours %q", args, db, a, b)
			}
		}
	}
	// Command statistics lines. (The counters live in the command table,
	// which every server of this test process shares: only the format and
	// lower bounds can be checked.)
	_, _, vals := infoSectionsOf(t, bulkText(t, ours.Do("INFO", "commandstats")))
	stat := regexp.MustCompile(`^calls=(\d+),usec=\d+,usec_per_call=\d+\.\d\d,rejected_calls=(\d+),failed_calls=(\d+)$`)
	want := map[string][3]int{"cmdstat_set": {3, 0, 0}, "cmdstat_get": {2, 1, 0}, "cmdstat_lpush": {1, 0, 1}, "cmdstat_config|set": {1, 0, 0}}
	for name, w := range want {
		m := stat.FindStringSubmatch(vals[name])
		if m == nil {
			t.Errorf("%s:%s", name, vals[name])
			continue
		}
		for i := range w {
			if n, _ := strconv.Atoi(m[i+1]); n < w[i] {
				t.Errorf("%s:%s, want at least calls=%d rejected=%d failed=%d", name, vals[name], w[0], w[1], w[2])
			}
		}
	}
	// RESP3: a verbatim string.
	ours.Do("HELLO", "3")
	if r := ours.Do("INFO", "cluster"); string(r) != "=34\r\ntxt:# Cluster\r\ncluster_enabled:0\r\n\r\n" {
		t.Errorf("RESP3 INFO cluster: %s", redistest.Quote(r))
	}
	// CONFIG RESETSTAT clears the statistics.
	ours.Do("CONFIG", "RESETSTAT")
	_, _, vals = infoSectionsOf(t, bulkText(t, ours.Do("INFO", "all")))
	if vals["keyspace_hits"] != "0" || vals["total_error_replies"] != "0" || vals["errorstat_ERR"] != "" {
		t.Errorf("after CONFIG RESETSTAT: hits=%s errors=%s errorstat_ERR=%q",
			vals["keyspace_hits"], vals["total_error_replies"], vals["errorstat_ERR"])
	}
	if vals["cmdstat_config|resetstat"] == "" {
		t.Errorf("CONFIG RESETSTAT is not counted after itself")
	}
}

// TestRedisCliStat runs redis-cli --stat, which parses INFO every
// interval, against our server.
func TestRedisCliStat(t *testing.T) {
	bin, err := exec.LookPath("redis-cli")
	if err != nil {
		t.Skip("redis-cli is not installed")
	}
	_, ourAddr := connPair(t, nil)
	host, port, _ := strings.Cut(ourAddr, ":")
	c := redistest.Dial(t, ourAddr)
	c.Do("SET", "a", "1")
	c.Do("SET", "b", "2")
	ctx, cancel := context.WithTimeout(context.Background(), 1500*time.Millisecond)
	defer cancel()
	// Line-buffered, so that what it printed survives the kill.
	argv := []string{bin, "-h", host, "-p", port, "--stat", "-i", "0.2"}
	if stdbuf, err := exec.LookPath("stdbuf"); err == nil {
		argv = append([]string{stdbuf, "-oL"}, argv...)
	}
	out, _ := exec.CommandContext(ctx, argv[0], argv[1:]...).CombinedOutput()
	text := string(out)
	if !strings.Contains(text, "------- data ------") {
		t.Fatalf("redis-cli --stat printed:\n%s", text)
	}
	lines := strings.Split(strings.TrimSpace(text), "\n")
	// "keys       mem      clients blocked requests            connections"
	row := regexp.MustCompile(`^2\s+\S+\s+\d+\s+0\s+\d+ \(\+\d+\)\s+\d+\s*$`)
	ok := false
	for _, l := range lines {
		if row.MatchString(l) {
			ok = true
		}
		if strings.Contains(l, "ERR") || strings.Contains(l, "rror") {
			t.Errorf("redis-cli --stat: %q", l)
		}
	}
	if !ok {
		t.Errorf("no statistics row for 2 keys in:\n%s", text)
	}
}

// TestRedisCliInteractive starts redis-cli on a terminal (script(1)),
// where it reads COMMAND DOCS for its hints, and types two commands.
func TestRedisCliInteractive(t *testing.T) {
	bin, err := exec.LookPath("redis-cli")
	if err != nil {
		t.Skip("redis-cli is not installed")
	}
	scriptBin, err := exec.LookPath("script")
	if err != nil {
		t.Skip("script(1) is not installed")
	}
	_, ourAddr := connPair(t, nil)
	host, port, _ := strings.Cut(ourAddr, ":")
	ctx, cancel := context.WithTimeout(context.Background(), 15*time.Second)
	defer cancel()
	// A terminal of known size (else linenoise asks the terminal for it).
	cmd := exec.CommandContext(ctx, scriptBin, "-qec", fmt.Sprintf("stty cols 200 rows 40; %s -h %s -p %s", bin, host, port), "/dev/null")
	in, err := cmd.StdinPipe()
	if err != nil {
		t.Fatal(err)
	}
	out := &redistest.LogBuffer{}
	cmd.Stdout, cmd.Stderr = out, out
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	// Each line is typed once the prompt shows: linenoise flushes what
	// was typed before it switched the terminal to raw mode.
	prompt := ourAddr + "> "
	waitPrompt := func(n int) {
		for deadline := time.Now().Add(10 * time.Second); time.Now().Before(deadline); time.Sleep(50 * time.Millisecond) {
			if strings.Count(out.String(), prompt) >= n {
				time.Sleep(100 * time.Millisecond)
				return
			}
		}
		t.Errorf("no prompt %d in %q", n, out.String())
	}
	seen := 0
	for _, line := range []string{"set k hello\r", "get k\r", "quit\r"} {
		waitPrompt(seen + 1)
		seen = strings.Count(out.String(), prompt)
		in.Write([]byte(line))
	}
	cmd.Wait()
	in.Close()
	text := out.String()
	if !strings.Contains(text, "\"hello\"") || strings.Contains(text, "ERR") {
		t.Errorf("redis-cli:\n%q", text)
	}
	// The hint comes from COMMAND DOCS.
	if !strings.Contains(text, "key value [NX|XX] [GET]") {
		t.Errorf("no argument hint for SET in:\n%q", text)
	}
}
