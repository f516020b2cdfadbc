package cmds_test

import (
	"bytes"
	"context"
	"fmt"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"testing"

	goredis "github.com/redis/go-redis/v9"

	"github.com/redisfs/redisfs/core/cmds"
	"github.com/redisfs/redisfs/core/proto"
	"github.com/redisfs/redisfs/core/redistest"
)

// Tests of the connection commands (hello.go). The helpers prefixed "conn"
// are shared by introspect_test.go and admin_test.go.

// connPair starts a real Redis (with extra arguments) and ours (with mod)
// and returns their addresses.
func connPair(t *testing.T, mod func(*cmds.Config), redisArgs ...string) (refAddr, ourAddr string) {
	t.Helper()
	refAddr = redistest.StartRedis(t, redisArgs...)
	ourAddr, _ = redistest.StartServer(t, mod)
	return refAddr, ourAddr
}

// connClientID returns the id CLIENT ID gives on c.
func connClientID(t *testing.T, c *redistest.Conn) int64 {
	t.Helper()
	r := c.Do("CLIENT", "ID")
	id, err := strconv.ParseInt(strings.TrimSuffix(strings.TrimPrefix(string(r), ":"), "\r\n"), 10, 64)
	if err != nil {
		t.Fatalf("CLIENT ID: %s", redistest.Quote(r))
	}
	return id
}

// helloIDField matches the id entry of a HELLO reply.
var helloIDField = regexp.MustCompile(`\$2\r\nid\r\n:\d+\r\n`)

// connMaskHelloID replaces the client id in a HELLO reply by 0.
func connMaskHelloID(r []byte) []byte {
	return helloIDField.ReplaceAll(r, []byte("$2\r\nid\r\n:0\r\n"))
}

// connCompare sends each command to both connections and reports the
// replies that differ, after mask (if not nil) is applied to both.
func connCompare(t *testing.T, ref, ours *redistest.Conn, mask func([]byte) []byte, cmds ...[]string) {
	t.Helper()
	for _, args := range cmds {
		a, b := ref.Do(args...), ours.Do(args...)
		if mask != nil {
			a, b = mask(a), mask(b)
		}
		if !bytes.Equal(a, b) {
			t.Errorf("%q\n    redis: %s\n    ours:  %s", args, redistest.Quote(a), redistest.Quote(b))
		}
	}
}

func TestHelloTranscript(t *testing.T) {
	redistest.RunTranscriptFile(t, filepath.Join(redistest.RepoRoot(t), "testdata", "hello.txt"), nil)
}

// TestHelloReplies compares successful handshakes byte for byte, the
// client id masked.
func TestHelloReplies(t *testing.T) {
	refAddr, ourAddr := connPair(t, nil)
	ref, ours := redistest.Dial(t, refAddr), redistest.Dial(t, ourAddr)
	connCompare(t, ref, ours, connMaskHelloID,
		[]string{"HELLO"},
		[]string{"HELLO", "2"},
		[]string{"HELLO", "3"},
		[]string{"HELLO"},
		[]string{"PING"},
		[]string{"CLIENT", "GETNAME"},
		[]string{"HELLO", "3", "SETNAME", "x"},
		[]string{"CLIENT", "GETNAME"},
		[]string{"HELLO", "2", "AUTH", "default", "whatever"},
		[]string{"HELLO", "3", "auth", "default", "p", "setname", "y", "SETNAME", "z"},
		[]string{"CLIENT", "GETNAME"},
		[]string{"RESET"},
		[]string{"HELLO"},
	)
	// The id in the reply is the connection's.
	for _, c := range []*redistest.Conn{ref, ours} {
		id := connClientID(t, c)
		if r := c.Do("HELLO"); !bytes.Contains(r, []byte(fmt.Sprintf("$2\r\nid\r\n:%d\r\n", id))) {
			t.Errorf("HELLO on client %d: %s", id, redistest.Quote(r))
		}
	}
}

// TestAuthRequirePass runs the authentication commands against servers
// with a password.
func TestAuthRequirePass(t *testing.T) {
	// (redistest.StartRedis waits for PING to answer, so the password is
	// set once the servers run; new connections need it.)
	refAddr, ourAddr := connPair(t, nil)
	for _, addr := range []string{refAddr, ourAddr} {
		if r := redistest.Dial(t, addr).Do("CONFIG", "SET", "requirepass", "secret"); string(r) != "+OK\r\n" {
			t.Fatalf("CONFIG SET requirepass: %s", redistest.Quote(r))
		}
	}
	ref, ours := redistest.Dial(t, refAddr), redistest.Dial(t, ourAddr)
	connCompare(t, ref, ours, connMaskHelloID,
		[]string{"GET", "x"},
		[]string{"PING"},
		[]string{"CLIENT", "ID"},
		[]string{"HELLO"},
		[]string{"HELLO", "3"},
		[]string{"HELLO", "4"},
		[]string{"HELLO", "3", "SETNAME", "early"},
		[]string{"HELLO", "3", "AUTH", "default", "wrong", "SETNAME", "a b"},
		[]string{"HELLO", "3", "SETNAME", "a b", "AUTH", "default", "wrong"},
		[]string{"HELLO", "3", "AUTH", "default", "wrong"},
		[]string{"HELLO", "3", "AUTH", "foo", "secret"},
		[]string{"HELLO", "3", "AUTH", "default"},
		[]string{"AUTH"},
		[]string{"AUTH", "a", "b", "c"},
		[]string{"AUTH", "wrong"},
		[]string{"AUTH", "foo", "secret"},
		[]string{"AUTH", "DEFAULT", "secret"},
		[]string{"GET", "x"},
		[]string{"AUTH", "secret"},
		[]string{"GET", "x"},
		[]string{"AUTH", "wrong"},
		[]string{"GET", "x"},
		[]string{"AUTH", "default", "secret"},
		[]string{"RESET"},
		[]string{"GET", "x"},
		[]string{"HELLO", "2", "AUTH", "default", "secret", "SETNAME", "a b"},
		[]string{"GET", "x"},
		[]string{"CLIENT", "GETNAME"},
		[]string{"RESET"},
		[]string{"HELLO", "3", "AUTH", "default", "secret", "SETNAME", "named"},
		[]string{"CLIENT", "GETNAME"},
		[]string{"GET", "x"},
		[]string{"QUIT"},
	)
	// A password set at run time applies to new connections only.
	refAddr2, ourAddr2 := connPair(t, nil)
	ref2, ours2 := redistest.Dial(t, refAddr2), redistest.Dial(t, ourAddr2)
	connCompare(t, ref2, ours2, nil,
		[]string{"CONFIG", "SET", "requirepass", "pw"},
		[]string{"GET", "x"},
	)
	ref3, ours3 := redistest.Dial(t, refAddr2), redistest.Dial(t, ourAddr2)
	connCompare(t, ref3, ours3, nil,
		[]string{"GET", "x"},
		[]string{"AUTH", "pw"},
		[]string{"GET", "x"},
		[]string{"CONFIG", "SET", "requirepass", ""},
	)
}

// clientInfoFields splits a CLIENT LIST/INFO line into its field names and
// values.
func clientInfoFields(t *testing.T, line string) (names []string, values map[string]string) {
	t.Helper()
	values = map[string]string{}
	for _, f := range strings.Split(line, " ") {
		name, val, ok := strings.Cut(f, "=")
		if !ok {
			t.Fatalf("field %q in %q", f, line)
		}
		names = append(names, name)
		values[name] = val
	}
	return names, values
}

// bulkText returns the text of a bulk or verbatim reply.
func bulkText(t *testing.T, r []byte) string {
	t.Helper()
	rep, _, err := proto.ReadReply(r)
	if err != nil || (rep.Type != '$' && rep.Type != '=') {
		t.Fatalf("not a string reply: %s", redistest.Quote(r))
	}
	return string(rep.Str)
}

// TestClientListFields checks that CLIENT LIST and CLIENT INFO have Redis
// 7.0.15's fields in its order, and the same values where they do not
// depend on the server.
func TestClientListFields(t *testing.T) {
	refAddr, ourAddr := connPair(t, nil)
	deterministic := []string{"name", "flags", "db", "sub", "psub", "ssub", "multi", "oll", "omem", "cmd", "user", "redir", "resp"}
	for _, tc := range []struct {
		steps [][]string
		// seen from another connection (CLIENT LIST ID) rather than by
		// the client itself (CLIENT INFO)
		fromOther bool
	}{
		{steps: nil},
		{steps: [][]string{{"CLIENT", "SETNAME", "worker-1"}, {"SELECT", "5"}}},
		{steps: [][]string{{"HELLO", "3"}, {"CLIENT", "NO-EVICT", "on"}}},
		{steps: [][]string{{"MULTI"}, {"SET", "a", "b"}, {"GET", "a"}}, fromOther: true},
		{steps: [][]string{{"CLIENT", "SETNAME", "idle"}, {"PING"}}, fromOther: true},
	} {
		var lines [2]string
		for i, addr := range []string{refAddr, ourAddr} {
			c, other := redistest.Dial(t, addr), redistest.Dial(t, addr)
			id := connClientID(t, c)
			for _, args := range tc.steps {
				c.Do(args...)
			}
			var text string
			if tc.fromOther {
				text = bulkText(t, other.Do("CLIENT", "LIST", "ID", fmt.Sprint(id)))
			} else {
				text = bulkText(t, c.Do("CLIENT", "INFO"))
			}
			if !strings.HasSuffix(text, "\n") || strings.Count(text, "\n") != 1 {
				t.Fatalf("%v: want one line ending in a newline: %q", tc.steps, text)
			}
			lines[i] = strings.TrimSuffix(text, "\n")
			c.Close()
			other.Close()
		}
		refNames, refVals := clientInfoFields(t, lines[0])
		ourNames, ourVals := clientInfoFields(t, lines[1])
		if strings.Join(refNames, " ") != strings.Join(ourNames, " ") {
			t.Errorf("%v: fields differ\n    redis: %v\n    ours:  %v", tc.steps, refNames, ourNames)
		}
		for _, f := range deterministic {
			if refVals[f] != ourVals[f] {
				t.Errorf("%v: %s=%q in Redis, %q here\n    redis: %s\n    ours:  %s", tc.steps, f, refVals[f], ourVals[f], lines[0], lines[1])
			}
		}
		for _, f := range []string{"id", "fd", "age", "idle", "qbuf", "qbuf-free", "argv-mem", "multi-mem", "rbs", "rbp", "obl", "tot-mem"} {
			if _, err := strconv.ParseInt(ourVals[f], 10, 64); err != nil {
				t.Errorf("%v: %s=%q is not a number", tc.steps, f, ourVals[f])
			}
		}
		if !regexp.MustCompile(`^127\.0\.0\.1:\d+$`).MatchString(ourVals["addr"]) || ourVals["laddr"] != ourAddr {
			t.Errorf("addr=%q laddr=%q (listening on %s)", ourVals["addr"], ourVals["laddr"], ourAddr)
		}
	}
	// The whole list has one line per connection, each ending in "\n".
	for _, addr := range []string{refAddr, ourAddr} {
		c := redistest.Dial(t, addr)
		text := bulkText(t, c.Do("CLIENT", "LIST"))
		if !strings.HasSuffix(text, "\n") || !strings.HasPrefix(text, "id=") {
			t.Errorf("%s: CLIENT LIST: %q", addr, text)
		}
	}
}

// TestClientListFilters checks CLIENT LIST's TYPE and ID filters and the
// order of the lines.
func TestClientListFilters(t *testing.T) {
	_, ourAddr := connPair(t, nil)
	a, b, c := redistest.Dial(t, ourAddr), redistest.Dial(t, ourAddr), redistest.Dial(t, ourAddr)
	ida, idb, idc := connClientID(t, a), connClientID(t, b), connClientID(t, c)
	ids := func(text string) []string {
		var out []string
		for _, l := range strings.Split(strings.TrimSuffix(text, "\n"), "\n") {
			if l != "" {
				out = append(out, strings.TrimPrefix(strings.Fields(l)[0], "id="))
			}
		}
		return out
	}
	if got, want := ids(bulkText(t, a.Do("CLIENT", "LIST"))), []string{fmt.Sprint(ida), fmt.Sprint(idb), fmt.Sprint(idc)}; strings.Join(got, ",") != strings.Join(want, ",") {
		t.Errorf("CLIENT LIST ids %v, want %v", got, want)
	}
	if got := ids(bulkText(t, a.Do("CLIENT", "LIST", "ID", fmt.Sprint(idc), "999", fmt.Sprint(ida), fmt.Sprint(idc)))); strings.Join(got, ",") != fmt.Sprintf("%d,%d,%d", idc, ida, idc) {
		t.Errorf("CLIENT LIST ID: %v", got)
	}
	if got := ids(bulkText(t, a.Do("CLIENT", "LIST", "TYPE", "NORMAL"))); len(got) != 3 {
		t.Errorf("CLIENT LIST TYPE NORMAL: %v", got)
	}
	if got := bulkText(t, a.Do("CLIENT", "LIST", "TYPE", "master")); got != "" {
		t.Errorf("CLIENT LIST TYPE master: %q", got)
	}
}

// TestClientKill kills connections in every way CLIENT KILL offers, on
// both servers, and compares the replies and who got disconnected.
func TestClientKill(t *testing.T) {
	refAddr, ourAddr := connPair(t, nil)
	for _, tc := range []struct {
		name string
		// args builds the CLIENT KILL arguments from the victim's id
		// and address and the killer's.
		args       func(vid int64, vaddr string, kid int64) []string
		victimDies bool
		killerDies bool
	}{
		{"old form", func(vid int64, vaddr string, kid int64) []string { return []string{vaddr} }, true, false},
		{"id", func(vid int64, vaddr string, kid int64) []string { return []string{"ID", fmt.Sprint(vid)} }, true, false},
		{"addr", func(vid int64, vaddr string, kid int64) []string { return []string{"ADDR", vaddr} }, true, false},
		{"id and wrong addr", func(vid int64, vaddr string, kid int64) []string {
			return []string{"ID", fmt.Sprint(vid), "ADDR", "1.2.3.4:5"}
		}, false, false},
		{"self skipped", func(vid int64, vaddr string, kid int64) []string { return []string{"ID", fmt.Sprint(kid)} }, false, false},
		{"self", func(vid int64, vaddr string, kid int64) []string {
			return []string{"ID", fmt.Sprint(kid), "SKIPME", "no"}
		}, false, true},
		{"user", func(vid int64, vaddr string, kid int64) []string { return []string{"USER", "default"} }, true, false},
		{"type", func(vid int64, vaddr string, kid int64) []string { return []string{"TYPE", "normal", "SKIPME", "yes"} }, true, false},
	} {
		t.Run(tc.name, func(t *testing.T) {
			var replies [2][]byte
			for i, addr := range []string{refAddr, ourAddr} {
				victim, killer := redistest.Dial(t, addr), redistest.Dial(t, addr)
				vid, kid := connClientID(t, victim), connClientID(t, killer)
				var vaddr string
				for _, l := range strings.Split(bulkText(t, killer.Do("CLIENT", "LIST")), "\n") {
					if strings.HasPrefix(l, fmt.Sprintf("id=%d ", vid)) {
						_, vals := clientInfoFields(t, l)
						vaddr = vals["addr"]
					}
				}
				r := killer.Do(append([]string{"CLIENT", "KILL"}, tc.args(vid, vaddr, kid)...)...)
				// Normalize the count: other tests' connections are not here.
				replies[i] = r
				if err := victim.TryWrite(redistest.Command("PING")); err == nil {
					_, err = victim.TryReadReply()
					if dead := err != nil; dead != tc.victimDies {
						t.Errorf("%s: victim dead=%v, want %v (%v)", addr, dead, tc.victimDies, err)
					}
				}
				if tc.killerDies {
					if _, err := killer.TryReadReply(); err == nil {
						t.Errorf("%s: the killer is still connected", addr)
					}
				} else {
					if r := killer.Do("PING"); string(r) != "+PONG\r\n" {
						t.Errorf("%s: killer: PING: %s", addr, redistest.Quote(r))
					}
				}
			}
			if !bytes.Equal(replies[0], replies[1]) {
				t.Errorf("CLIENT KILL\n    redis: %s\n    ours:  %s", redistest.Quote(replies[0]), redistest.Quote(replies[1]))
			}
		})
	}
}

// TestGoRedis connects with go-redis v9, which sends HELLO 3 and CLIENT
// SETINFO on connect (7.0 does not know SETINFO: the client must cope).
func TestGoRedis(t *testing.T) {
	_, ourAddr := connPair(t, nil)
	for _, protocol := range []int{3, 2} {
		t.Run(fmt.Sprintf("RESP%d", protocol), func(t *testing.T) {
			testGoRedis(t, ourAddr, protocol)
		})
	}
}

func testGoRedis(t *testing.T, addr string, protocol int) {
	ctx := context.Background()
	rdb := goredis.NewClient(&goredis.Options{Addr: addr, Protocol: protocol, ClientName: "gr"})
	defer rdb.Close()
	if err := rdb.Ping(ctx).Err(); err != nil {
		t.Fatalf("PING: %v", err)
	}
	if err := rdb.Set(ctx, "gokey", "v", 0).Err(); err != nil {
		t.Fatalf("SET: %v", err)
	}
	if v, err := rdb.Get(ctx, "gokey").Result(); err != nil || v != "v" {
		t.Fatalf("GET: %q %v", v, err)
	}
	if name, err := rdb.ClientGetName(ctx).Result(); err != nil || name != "gr" {
		t.Errorf("CLIENT GETNAME: %q %v", name, err)
	}
	info, err := rdb.Info(ctx, "server", "keyspace").Result()
	if err != nil || !strings.Contains(info, "redis_version:7.0.15\r\n") || !strings.Contains(info, "# Keyspace\r\ndb0:keys=") {
		t.Errorf("INFO: %v\n%s", err, info)
	}
	if id, err := rdb.ClientID(ctx).Result(); err != nil || id <= 0 {
		t.Errorf("CLIENT ID: %d %v", id, err)
	}
	cfg, err := rdb.ConfigGet(ctx, "maxmemory*").Result()
	if err != nil || cfg["maxmemory"] != "0" || cfg["maxmemory-policy"] != "noeviction" {
		t.Errorf("CONFIG GET: %v %v", cfg, err)
	}
	if err := rdb.ConfigSet(ctx, "hz", "20").Err(); err != nil {
		t.Errorf("CONFIG SET: %v", err)
	}
	if n, err := rdb.DBSize(ctx).Result(); err != nil || n < 1 {
		t.Errorf("DBSIZE: %d %v", n, err)
	}
	cmdInfo, err := rdb.Command(ctx).Result()
	if err != nil || cmdInfo["get"] == nil || cmdInfo["get"].FirstKeyPos != 1 || !cmdInfo["get"].ReadOnly {
		t.Errorf("COMMAND: %v %+v", err, cmdInfo["get"])
	}
	if _, err := rdb.Time(ctx).Result(); err != nil {
		t.Errorf("TIME: %v", err)
	}
	if err := rdb.FlushDB(ctx).Err(); err != nil {
		t.Errorf("FLUSHDB: %v", err)
	}
}

// TestClientReply checks CLIENT REPLY OFF and SKIP, which the transcripts
// cannot (they wait for a reply): the replies that are sent must match.
func TestClientReply(t *testing.T) {
	refAddr, ourAddr := connPair(t, nil)
	var got [2][]byte
	for i, addr := range []string{refAddr, ourAddr} {
		c := redistest.Dial(t, addr)
		var req []byte
		for _, args := range [][]string{
			{"CLIENT", "REPLY", "skip"}, {"PING", "skipped"}, {"PING", "shown"},
			{"CLIENT", "REPLY", "off"}, {"PING", "hidden"}, {"GET", "x", "y"}, {"CLIENT", "REPLY", "skip"},
			{"PING", "hidden"}, {"CLIENT", "REPLY", "on"}, {"PING", "back"},
			{"CLIENT", "REPLY", "SKIP"}, {"CLIENT", "REPLY", "SKIP"}, {"PING", "after-double-skip"},
			{"CLIENT", "REPLY", "skip"}, {"RESET"}, {"PING", "after-reset"},
			{"CLIENT", "REPLY", "off"}, {"RESET"}, {"PING", "last"},
		} {
			req = append(req, redistest.Command(args...)...)
		}
		c.Write(req)
		for len(got[i]) < 4096 {
			r, err := c.TryReadReply()
			if err != nil {
				break
			}
			got[i] = append(got[i], r...)
			if bytes.Equal(r, []byte("$4\r\nlast\r\n")) {
				break
			}
		}
	}
	if !bytes.Equal(got[0], got[1]) {
		t.Errorf("replies\n    redis: %s\n    ours:  %s", redistest.Quote(got[0]), redistest.Quote(got[1]))
	}
}
