package fs

import (
	"os/exec"
	"strings"
	"testing"
)

func TestScratch(t *testing.T) {
	e := newEnv(t, Options{})
	cl := e.client()
	e.sh(`touch $M/0/.k.swp; echo data > $M/0/.tmp; printf more >> $M/0/.tmp`)
	eq(t, "DBSIZE", cl.str("DBSIZE"), "0")
	eq(t, "ls -A", e.sh(`ls -A $M/0`), ".k.swp\n.tmp\n")
	eq(t, "ls", e.sh(`ls $M/0`), "")
	eq(t, "cat", e.sh(`cat $M/0/.tmp`), "data\nmore")
	eq(t, "stat", e.sh(`stat -c %s $M/0/.tmp`), "9\n")
	// Scratch files are per database directory.
	if _, err := e.shErr(`cat $M/1/.tmp`); err == nil {
		t.Error("a scratch file shows in another database")
	}
	// Renamed onto a key name, the content becomes the key's value.
	e.sh(`mv $M/0/.tmp $M/0/real`)
	eq(t, "GET", cl.str("GET", "real"), "data\nmore")
	eq(t, "ls -A", e.sh(`ls -A $M/0`), ".k.swp\nreal\n")
	// And back.
	e.sh(`mv $M/0/real $M/0/.back`)
	eq(t, "EXISTS", cl.str("EXISTS", "real"), "0")
	eq(t, "cat back", e.sh(`cat $M/0/.back`), "data\nmore")
	e.sh(`rm $M/0/.back $M/0/.k.swp`)
	eq(t, "ls -A", e.sh(`ls -A $M/0`), "")
	// A real key beginning with a dot is shown encoded.
	cl.str("SET", ".dot", "x")
	eq(t, "dot key", e.sh(`ls -A $M/0; cat $M/0/%2Edot`), "%2Edot\nx")
}

func TestTools(t *testing.T) {
	e := newEnv(t, Options{})
	cl := e.client()
	cl.str("SET", "user:1", "name=alice\ncity=paris\n")
	cl.str("SET", "user:2", "name=bob\ncity=rome\n")
	cl.str("SET", "conf", "port 6379\nbind 127.0.0.1\n")

	// sed -i writes a temp file next to the key, then renames it over.
	e.sh(`sed -i 's/paris/lyon/' $M/0/user:1`)
	eq(t, "sed -i", cl.str("GET", "user:1"), "name=alice\ncity=lyon\n")
	eq(t, "no temp left", cl.str("DBSIZE"), "3")

	eq(t, "grep -r", e.sh(`grep -r -l 'city=' $M/0 | sed "s|$M/||" | sort`), "0/user:1\n0/user:2\n")
	eq(t, "grep -rh", e.sh(`grep -rh 'name=b' $M`), "name=bob\n")
	eq(t, "find", e.sh(`find $M/0 -type f -name 'user:*' | sed "s|$M/||" | sort`), "0/user:1\n0/user:2\n")
	eq(t, "find -size", e.sh(`find $M/0 -type f -size -20c | sed "s|$M/||"`), "0/user:2\n")
	eq(t, "wc", e.sh(`cat $M/0/user:* | wc -l`), "4\n")

	e.sh(`printf 'from a file\n' > $W/f; cp $W/f $M/0/copied; cp $M/0/conf $W/conf`)
	eq(t, "cp in", cl.str("GET", "copied"), "from a file\n")
	eq(t, "cp out", e.sh(`cat $W/conf`), "port 6379\nbind 127.0.0.1\n")
	e.sh(`cp -a $M/0/copied $M/0/copied2`)
	eq(t, "cp -a", cl.str("GET", "copied2"), "from a file\n")

	eq(t, "head/tail", e.sh(`head -1 $M/0/conf; tail -1 $M/0/conf`), "port 6379\nbind 127.0.0.1\n")
	eq(t, "diff", e.sh(`diff $M/0/copied $W/f && echo same`), "same\n")
	e.sh(`dd if=/dev/zero of=$M/0/zeros bs=1k count=64 2>/dev/null`)
	eq(t, "dd", cl.str("STRLEN", "zeros"), "65536")
	e.sh(`dd if=$W/f of=$M/0/conf bs=1 seek=5 conv=notrunc 2>/dev/null`)
	eq(t, "dd notrunc", cl.str("GET", "conf"), "port from a file\n7.0.0.1\n")
}

func TestVim(t *testing.T) {
	if _, err := exec.LookPath("vim"); err != nil {
		t.Skip("no vim")
	}
	e := newEnv(t, Options{})
	cl := e.client()
	cl.str("SET", "notes", "first line\nsecond line\n")
	cl.str("EXPIRE", "notes", "1000")
	e.sh(`vim -es -u NONE -i NONE -c '%s/second/2nd/' -c 'wq' $M/0/notes`)
	eq(t, "vim edit", cl.str("GET", "notes"), "first line\n2nd line\n")
	eq(t, "nothing else in the keyspace", cl.str("DBSIZE"), "1")
	eq(t, "no swap left", e.sh(`ls -A $M/0`), "notes\n")
	// With swap files and the default write strategy too.
	e.sh(`vim -es -N -u NONE -i NONE -c 'set swapfile' -c 'set writebackup' -c 'call append("$", "third line")' -c 'wq' $M/0/notes`)
	eq(t, "vim append", cl.str("GET", "notes"), "first line\n2nd line\nthird line\n")
	eq(t, "only the key", cl.str("KEYS", "*"), "notes")
	eq(t, "no scratch left", e.sh(`ls -A $M/0`), "notes\n")
	// A new file from vim.
	e.sh(`vim -es -u NONE -i NONE -c 'call setline(1, "hello")' -c 'wq' $M/0/fresh`)
	eq(t, "vim new", cl.str("GET", "fresh"), "hello\n")
	if !strings.HasPrefix(cl.str("TTL", "notes"), "-") {
		return
	}
	t.Log("note: vim's write dropped the TTL (rename over the key)")
}
