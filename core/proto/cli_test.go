package proto

import (
	"os/exec"
	"strconv"
	"testing"
)

func TestAppendCLI(t *testing.T) {
	cases := []struct {
		in   string
		want string
	}{
		{"+OK\r\n", "OK\n"},
		{"-ERR x\r\n", "ERR x\n\n"},
		{":-5\r\n", "-5\n"},
		{"$3\r\na\nb\r\n", "a\nb\n"},
		{"$-1\r\n", "\n"},
		{"*-1\r\n", "\n"},
		{"_\r\n", "\n"},
		{"*0\r\n", "\n"},
		{"*3\r\n$1\r\na\r\n$0\r\n\r\n$1\r\nc\r\n", "a\n\nc\n"},
		{"*2\r\n*2\r\n:1\r\n:2\r\n*0\r\n", "1\n2\n\n"},
		{"*2\r\n-ERR x\r\n+st\r\n", "ERR x\n\nst\n"},
		{"%2\r\n+a\r\n:1\r\n+b\r\n*2\r\n:1\r\n:2\r\n", "a 1\nb 1\n2\n"},
		{"%1\r\n+modules\r\n*0\r\n", "modules \n"},
		{"~2\r\n+a\r\n+b\r\n", "a\nb\n"},
		{">2\r\n+a\r\n+b\r\n", "a\nb\n"},
		{"#t\r\n", "(true)\n"},
		{"#f\r\n", "(false)\n"},
		{",3.141\r\n", "3.141\n"},
		{"=9\r\ntxt:ab\ncd\r\n", "ab\ncd\n"},
		{"(12345678901234567890\r\n", "12345678901234567890\n"},
	}
	for _, tc := range cases {
		r, n, err := ReadReply([]byte(tc.in))
		if err != nil || n != len(tc.in) {
			t.Fatalf("ReadReply(%q): n = %d, err = %v", tc.in, n, err)
		}
		if got := string(AppendCLI(nil, &r)); got != tc.want {
			t.Errorf("AppendCLI(%q) = %q, want %q", tc.in, got, tc.want)
		}
	}
}

// TestAppendCLIVersusRedisCli runs commands through the real redis-cli with
// its output piped (so it prints raw) and through our reader and AppendCLI
// over the raw reply from the same server, in RESP2 and RESP3.
func TestAppendCLIVersusRedisCli(t *testing.T) {
	cli, err := exec.LookPath("redis-cli")
	if err != nil {
		t.Skip("redis-cli not on PATH")
	}
	r := startRedis(t)
	setup := dial(t, r)
	for _, cmd := range [][]string{
		{"SET", "k", "v"},
		{"SET", "nl", "a\nb\r\nc"},
		{"RPUSH", "l", "a", "b", "", "c"},
		{"ZADD", "z", "1.1", "a", "2", "b", "inf", "c"},
		{"HSET", "h", "f", "v", "g", "w"},
		{"SADD", "s", "x"},
	} {
		setup.do(t, cmd...)
	}
	cmds := [][]string{
		{"GET", "k"},
		{"GET", "nl"},
		{"GET", "nokey"},
		{"STRLEN", "k"},
		{"EXISTS", "k", "nokey"},
		{"TYPE", "k"},
		{"PING"},
		{"FOO", "bar"},
		{"GET", "l"},
		{"LRANGE", "l", "0", "-1"},
		{"LRANGE", "nokey", "0", "-1"},
		{"ZSCORE", "z", "a"},
		{"ZSCORE", "z", "c"},
		{"ZRANGE", "z", "0", "-1", "WITHSCORES"},
		{"HGETALL", "h"},
		{"HMGET", "h", "f", "nofield"},
		{"SMEMBERS", "s"},
		{"EVAL", "return {1,{2,3},{},'a',{{}},redis.error_reply('x y'),redis.status_reply('st'),false,true}", "0"},
		{"EVAL", "return {map={a={map={x=1}}, b={1,{}}}}", "0"},
		{"EVAL", "return {double=0.1}", "0"},
		{"EVAL", "return {double=-1/0}", "0"},
		{"EVAL", "return {set={p=true}}", "0"},
	}
	for _, typ := range []string{"string", "integer", "double", "null", "array", "set", "map", "verbatim", "true", "false"} {
		cmds = append(cmds, []string{"DEBUG", "PROTOCOL", typ})
	}
	for _, resp := range []int{2, 3} {
		c := dial(t, r)
		c.do(t, "HELLO", strconv.Itoa(resp))
		for _, cmd := range cmds {
			raw := c.do(t, cmd...)
			reply, n, err := ReadReply(raw)
			if err != nil || n != len(raw) {
				t.Fatalf("%q: ReadReply(%q): n = %d, err = %v", cmd, raw, n, err)
			}
			got := AppendCLI(nil, &reply)

			args := []string{"-p", strconv.Itoa(r.port)}
			if resp == 3 {
				args = append(args, "-3")
			}
			want, err := exec.Command(cli, append(args, cmd...)...).Output()
			if err != nil {
				t.Fatalf("redis-cli %q: %v", cmd, err)
			}
			if string(got) != string(want) {
				t.Errorf("RESP%d %q (reply %q):\nredis-cli %q\nAppendCLI %q", resp, cmd, raw, want, got)
			}
		}
	}
}
