package fs

import (
	"regexp"
	"strconv"
	"strings"
	"testing"
)

// streamReply renders XRANGE key - + as "field=value,…|…", IDs left out.
func streamReply(cl *client, key string) string {
	cl.t.Helper()
	r := cl.do("XRANGE", key, "-", "+")
	var entries []string
	for i := range r.Elems {
		var kv []string
		f := r.Elems[i].Elems[1].Elems
		for j := 0; j+1 < len(f); j += 2 {
			kv = append(kv, string(f[j].Str)+"="+string(f[j+1].Str))
		}
		entries = append(entries, strings.Join(kv, ","))
	}
	return strings.Join(entries, "|")
}

func TestStreamFile(t *testing.T) {
	needTool(t, "redis-cli")
	modes(t, func(t *testing.T, e *env) {
		cl := e.client()
		cl.str("XADD", "s", "1-0", "f", "v", "name", "a b")
		cl.str("XADD", "s", "2-5", "nl", "x\ny", "bs", `c\d`)
		want := "1-0 f v name a\\sb\n2-5 nl x\\ny bs c\\\\d\n"
		eq(t, "cat with escapes", e.sh(`cat $M/0/s`), want)
		eq(t, "size", e.sh(`stat -c %s $M/0/s`), strconv.Itoa(len(want))+"\n")

		// >> adds one entry per line, escapes parsed back.
		e.sh(`printf 'a 1\nb 2 c 3\nsp a\\sb\n' >> $M/0/s`)
		eq(t, "XRANGE after >>", streamReply(cl, "s"),
			"f=v,name=a b|nl=x\ny,bs=c\\d|a=1|b=2,c=3|sp=a b")
		lines := strings.Split(strings.TrimSuffix(e.sh(`cat $M/0/s`), "\n"), "\n")
		if len(lines) != 5 || !regexp.MustCompile(`^\d+-\d+ sp a\\sb$`).MatchString(lines[4]) {
			t.Errorf("cat after >>: %q", lines)
		}
		// A line with an odd number of words: EINVAL, nothing added.
		if out, err := e.shErr(`printf 'ok 1\nodd\n' >> $M/0/s`); err == nil {
			t.Errorf("an odd line was accepted: %s", out)
		}
		eq(t, "XLEN after a refused write", cl.str("XLEN", "s"), "5")
		// A last line without its newline is added at close.
		e.sh(`printf 'last 1' >> $M/0/s`)
		eq(t, "XLEN after a partial line", cl.str("XLEN", "s"), "6")
		// Changes through TCP show at the next cat.
		e.sh(`redis-cli -p ` + e.port() + ` XADD s '*' tcp yes >/dev/null`)
		if out := e.sh(`tail -n 1 $M/0/s`); !strings.HasSuffix(out, " tcp yes\n") {
			t.Errorf("tail after redis-cli XADD: %q", out)
		}
		// Truncating to 0 is XTRIM MAXLEN 0; other sizes are refused.
		if _, err := e.shErr(`truncate -s 3 $M/0/s`); err == nil {
			t.Errorf("truncate -s 3 was accepted")
		}
		e.sh(`truncate -s 0 $M/0/s`)
		eq(t, "XLEN after truncate", cl.str("XLEN", "s"), "0")
		eq(t, "the stream stays", cl.str("TYPE", "s"), "stream")
		eq(t, "cat of an empty stream", e.sh(`cat $M/0/s`), "")
		// > trims, then adds.
		e.sh(`printf 'x 1\n' >> $M/0/s; printf 'y 2\n' > $M/0/s`)
		eq(t, "XRANGE after >", streamReply(cl, "s"), "y=2")
	})
}
