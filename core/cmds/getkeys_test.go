package cmds_test

import (
	"bytes"
	"strconv"
	"testing"

	"github.com/redisfs/redisfs/core/cmds"
	"github.com/redisfs/redisfs/core/redistest"
)

// Tests of COMMAND GETKEYS and GETKEYSANDFLAGS (getkeys.go) against a real
// redis-server: for every command of Redis 7.0's table through the
// metadata (implemented here or not), and for the served ones through our
// server too.

// getKeysCases are argument lists that exercise the key functions and the
// key specs' corner cases: keywords, numkeys, bad counts, options.
var getKeysCases = [][]string{
	{"get", "a"}, {"set", "a", "b"}, {"set", "a", "b", "GET"}, {"set", "a", "b", "EX", "10", "get"},
	{"set", "a", "b", "gets"}, {"mset", "a", "b", "c", "d"}, {"mset", "a", "b", "c"}, {"mget", "a", "b", "c"},
	{"del", "a", "b"}, {"rename", "a", "b"}, {"copy", "a", "b", "DB", "1"},
	{"lmove", "a", "b", "left", "right"}, {"blpop", "a", "b", "0"},
	{"lmpop", "2", "a", "b", "left"}, {"lmpop", "0", "a", "left"}, {"lmpop", "3", "a", "left"},
	{"lmpop", "1x", "a", "left"}, {"lmpop", " 1", "a", "left"}, {"lmpop", "-1", "a", "left"},
	{"lmpop", "4294967297", "a", "left"}, {"blmpop", "0", "2", "a", "b", "left"}, {"blmpop", "0", "x", "a", "left"},
	{"zmpop", "1", "a", "min"}, {"bzmpop", "1", "1", "a", "max"}, {"bzmpop", "1", "2a", "a", "b", "max"},
	{"zunion", "2", "a", "b"}, {"zunion", "0", "a"}, {"zunion", "x", "a"}, {"zunion", "2x", "a", "b"},
	{"zinter", "1", "a", "weights", "1"}, {"zdiff", "2", "a", "b", "withscores"}, {"zintercard", "1", "a", "limit", "1"},
	{"zunionstore", "d", "2", "a", "b"}, {"zinterstore", "d", "5", "a"}, {"zdiffstore", "d", "1", "a"},
	{"zunionstore", "d", "1a", "a"}, {"zinterstore", "d", "0", "a"}, {"zdiffstore", "d", "-1", "a"},
	{"sintercard", "2", "a", "b"}, {"sintercard", "2", "a"}, {"sintercard", "1b", "a"},
	{"bitop", "and", "d", "a", "b"}, {"bitfield", "a", "get", "u8", "0"}, {"bitfield", "a", "set", "u8", "0", "1"},
	{"bitfield", "a"}, {"bitfield", "a", "overflow", "wrap", "get", "u8", "0"}, {"bitfield", "a", "get", "u8"},
	{"bitfield", "a", "incrby", "u8", "0", "1"}, {"bitfield", "a", "bad"},
	{"bitfield_ro", "a", "get", "u8", "0"},
	{"sort", "a", "store", "b"}, {"sort", "a"}, {"sort", "a", "by", "store", "get", "store", "store", "x"},
	{"sort", "a", "limit", "0", "1", "store", "c", "store", "d"}, {"sort", "a", "store"}, {"sort", "a", "store", "store", "z"},
	{"sort_ro", "a"}, {"sort_ro", "a", "by", "b"},
	{"xread", "streams", "a", "b", "0", "0"}, {"xread", "count", "1", "streams", "a", "b", "0"},
	{"xread", "block", "0", "count", "1", "streams", "streams", "0"}, {"xread", "streams", "a", "0", "1"},
	{"xread", "foo", "streams", "a", "0"},
	{"xreadgroup", "group", "g", "c", "streams", "a", "0"}, {"xreadgroup", "group", "g", "c", "noack", "streams", "a", "b", "0", "0"},
	{"xreadgroup", "group", "streams", "streams", "streams", "a", "0"},
	{"eval", "return 1", "2", "a", "b"}, {"eval", "return 1", "0"}, {"eval", "return 1", "3", "a"},
	{"eval", "return 1", "1", "a", "b"}, {"eval", "return 1", "1a", "a"}, {"eval", "return 1", "-1"},
	{"evalsha", "abc", "1", "a"}, {"eval_ro", "x", "2", "a", "b"}, {"evalsha_ro", "x", "0"},
	{"fcall", "f", "1", "a", "arg"}, {"fcall_ro", "f", "2", "a", "b"}, {"fcall", "f", "0"}, {"fcall", "f", "x"},
	{"migrate", "h", "p", "", "0", "5", "keys", "a", "b"}, {"migrate", "h", "p", "k", "0", "5"},
	{"migrate", "h", "p", "k", "0", "5", "keys", "a"}, {"migrate", "h", "p", "", "0", "5", "copy", "replace", "keys", "a"},
	{"migrate", "h", "p", "", "0", "5", "auth", "keys", "keys", "b"}, {"migrate", "h", "p", "", "0", "5", "auth2", "u", "keys", "keys", "b"},
	{"migrate", "h", "p", "", "0", "5", "keys"}, {"migrate", "h", "p", "", "0", "5"},
	{"georadius", "k", "1", "2", "3", "m", "store", "x", "storedist", "y"}, {"georadius", "k", "1", "2", "3", "m"},
	{"georadius", "k", "1", "2", "3", "m", "store"}, {"georadius_ro", "k", "1", "2", "3", "m"},
	{"georadiusbymember", "k", "m", "3", "km", "storedist", "d"}, {"georadiusbymember", "k", "m", "3", "km", "store", "d", "count", "1"},
	{"geosearchstore", "d", "s", "frommember", "m", "byradius", "1", "m"}, {"geoadd", "k", "1", "2", "m"},
	{"object", "encoding", "k"}, {"object", "help"}, {"debug", "object", "k"}, {"pfmerge", "d", "a", "b"}, {"pfcount", "a", "b"},
	{"smove", "a", "b", "m"}, {"getex", "a"}, {"setrange", "a", "0", "x"},
	{"watch", "a", "b"}, {"expire", "a", "10"}, {"touch", "a", "b"}, {"unlink", "a"},
	{"xadd", "s", "*", "f", "v"}, {"xgroup", "create", "s", "g", "$"}, {"xinfo", "stream", "s"}, {"xautoclaim", "s", "g", "c", "0", "0"},
	{"hset", "h", "f", "v"}, {"sadd", "s", "m"}, {"zadd", "z", "1", "m"},
	{"lpush", "l", "v"}, {"memory", "usage", "k"}, {"dump", "k"}, {"restore", "k", "0", "x"}, {"restore-asking", "k", "0", "x"},
	{"ping"}, {"config", "get", "x"}, {"config"}, {"nosuchcommand", "a"}, {"get"}, {"get", "a", "b"},
	{"client", "nosuch"}, {"config|get", "x"}, {"publish", "c", "m"}, {"spublish", "c", "m"}, {"ssubscribe", "c"},
	{"pfdebug", "getreg", "k"}, {"lcs", "a", "b"}, {"blmove", "a", "b", "left", "left", "0"},
	{"brpoplpush", "a", "b", "0"}, {"msetnx", "a", "1", "b", "2"}, {"sunionstore", "d", "a", "b"},
}

// manyKeys returns argv with n keys for commands beyond Redis's 256-key
// static buffer.
func manyKeys(n int) [][]string {
	del, mset, eval, zu := []string{"del"}, []string{"mset"}, []string{"eval", "s", strconv.Itoa(n)}, []string{"zunionstore", "d", strconv.Itoa(n)}
	xr := []string{"xread", "streams"}
	for i := 0; i < n; i++ {
		k := "k" + strconv.Itoa(i)
		del = append(del, k)
		mset = append(mset, k, "v")
		eval = append(eval, k)
		zu = append(zu, k)
		xr = append(xr, k)
	}
	for i := 0; i < n; i++ {
		xr = append(xr, "0")
	}
	return [][]string{del, mset, eval, zu, xr}
}

func bytesOf(args []string) [][]byte {
	out := make([][]byte, len(args))
	for i, a := range args {
		out[i] = []byte(a)
	}
	return out
}

// TestGetKeysEveryCommand compares the key rules of every command of
// Redis 7.0's table with Redis's answers: the cases above, every command
// with 1 to 7 plain arguments, and commands with hundreds of keys.
func TestGetKeysEveryCommand(t *testing.T) {
	ref := redistest.Dial(t, redistest.StartRedis(t))
	cases := append([][]string(nil), getKeysCases...)
	for _, name := range cmds.MetaCommandNames() {
		for n := 1; n < 8; n++ {
			args := append([]string(nil), name...)
			for i := 0; i < n; i++ {
				args = append(args, "a"+strconv.Itoa(i))
			}
			cases = append(cases, args)
		}
	}
	cases = append(cases, manyKeys(300)...)
	compared := 0
	for _, args := range cases {
		if len(args) < 2 { // an arity error of COMMAND GETKEYS itself
			continue
		}
		for _, withFlags := range []bool{false, true} {
			sub := "GETKEYS"
			if withFlags {
				sub = "GETKEYSANDFLAGS"
			}
			want := ref.Do(append([]string{"COMMAND", sub}, args...)...)
			got := cmds.MetaGetKeys(bytesOf(args), withFlags)
			compared++
			if !bytes.Equal(want, got) {
				t.Errorf("COMMAND %s %s\n    redis: %s\n    ours:  %s", sub, redistest.QuoteArgs(args), redistest.Quote(want), redistest.Quote(got))
			}
		}
	}
	t.Logf("%d requests compared", compared)
}

// TestGetKeysServed sends the same requests to our server, where a command
// that is not implemented yet is an invalid command.
func TestGetKeysServed(t *testing.T) {
	refAddr, ourAddr := connPair(t, nil)
	ref, ours := redistest.Dial(t, refAddr), redistest.Dial(t, ourAddr)
	cases := append(append([][]string(nil), getKeysCases...), manyKeys(257)...)
	for _, args := range cases {
		for _, sub := range []string{"GETKEYS", "GETKEYSANDFLAGS"} {
			req := append([]string{"COMMAND", sub}, args...)
			got := ours.Do(req...)
			if cmds.LookupCommand(bytesOf(args)) == nil {
				if want := "-ERR Invalid command specified\r\n"; string(got) != want {
					t.Errorf("%s: %s, want %q", redistest.QuoteArgs(req), redistest.Quote(got), want)
				}
				continue
			}
			if want := ref.Do(req...); !bytes.Equal(want, got) {
				t.Errorf("%s\n    redis: %s\n    ours:  %s", redistest.QuoteArgs(req), redistest.Quote(want), redistest.Quote(got))
			}
		}
	}
	for _, req := range [][]string{{"COMMAND", "GETKEYS"}, {"COMMAND", "GETKEYSANDFLAGS"}} {
		if want, got := ref.Do(req...), ours.Do(req...); !bytes.Equal(want, got) {
			t.Errorf("%s\n    redis: %s\n    ours:  %s", redistest.QuoteArgs(req), redistest.Quote(want), redistest.Quote(got))
		}
	}
}
