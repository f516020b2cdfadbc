package cmds

import (
	"strings"
	"testing"
)

// TestScriptPropagation: the commands a script runs are propagated as
// one unit, wrapped in MULTI … EXEC when there are several, and EVAL
// itself is not; redis.set_repl(REPL_NONE) keeps what follows out; a
// script that writes nothing propagates nothing.
func TestScriptPropagation(t *testing.T) {
	srv := expServer(t, nil)
	var fed []string
	srv.SetPropagationFeed(func(dbid int, cmd []byte) { fed = append(fed, strings.ReplaceAll(string(cmd), "\r\n", " ")) })
	c := srv.NewClient(nil)
	for _, tc := range []struct {
		script string
		want   string
	}{
		{"return redis.call('get', 'a')", ""},
		{"return redis.call('set', 'a', '1')", "*3 $3 set $1 a $1 1 "},
		{"redis.call('set', 'a', '1'); redis.call('incr', 'a'); return 1",
			"*1 $5 MULTI | *3 $3 set $1 a $1 1 | *2 $4 incr $1 a | *1 $4 EXEC "},
		{"redis.call('set', 'b', '1'); redis.set_repl(redis.REPL_NONE); redis.call('set', 'c', '1'); return 1",
			"*3 $3 set $1 b $1 1 "},
		{"redis.call('set', 'd', '1'); error('x')", "*3 $3 set $1 d $1 1 "},
	} {
		fed = nil
		r := expDo(c, "EVAL", tc.script, "0")
		if strings.HasPrefix(r, "-") && !strings.Contains(tc.script, "error(") {
			t.Errorf("EVAL %q: %q", tc.script, r)
		}
		if got := strings.Join(fed, "| "); got != tc.want {
			t.Errorf("EVAL %q propagated %q, want %q", tc.script, got, tc.want)
		}
	}
}
