package fs

import (
	"crypto/md5"
	"fmt"
	"strconv"
	"strings"
	"testing"
	"time"
)

// modes runs f against both designs: kernel caching with invalidation
// (the default) and direct I/O.
func modes(t *testing.T, f func(t *testing.T, e *env)) {
	for _, m := range []struct {
		name string
		opts Options
	}{{"cache", Options{}}, {"direct", Options{DirectIO: true}}} {
		t.Run(m.name, func(t *testing.T) { f(t, newEnv(t, m.opts)) })
	}
}

func TestNamespace(t *testing.T) {
	e := newEnv(t, Options{})
	out := e.sh(`ls $M`)
	want := []string{"0", "1", "10", "11", "12", "13", "14", "15", "2", "3", "4", "5", "6", "7", "8", "9", "clients", "ctl", "info", "pubsub"}
	eq(t, "ls", strings.Join(strings.Fields(out), " "), strings.Join(want, " "))
	eq(t, "stat 0", e.sh(`stat -c '%F %a %u' $M/0`), fmt.Sprintf("directory 755 %d\n", e.fsys.uid))
	eq(t, "stat info", e.sh(`stat -c '%F %a' $M/info`), "regular file 444\n")
	if info := e.sh(`cat $M/info`); !strings.Contains(info, "# Server\r\n") || !strings.Contains(info, "redis_version:") {
		t.Errorf("info: %q", info)
	}
	if _, err := e.shErr(`echo x > $M/info`); err == nil {
		t.Error("info is writable")
	}
	if _, err := e.shErr(`ls $M/16`); err == nil {
		t.Error("a 17th database directory")
	}
}

func TestStrings(t *testing.T) {
	modes(t, func(t *testing.T, e *env) {
		cl := e.client()
		eq(t, "SET", cl.str("SET", "foo", "bar"), "OK")
		eq(t, "cat", e.sh(`cat $M/0/foo`), "bar")
		eq(t, "stat", e.sh(`stat -c '%s %F %a %h %u' $M/0/foo`), fmt.Sprintf("3 regular file 644 1 %d\n", e.fsys.uid))

		e.sh(`echo hello > $M/0/foo`)
		eq(t, "GET after echo", cl.str("GET", "foo"), "hello\n")
		eq(t, "cat", e.sh(`cat $M/0/foo`), "hello\n")

		e.sh(`printf 'new' > $M/0/created`)
		eq(t, "GET created", cl.str("GET", "created"), "new")
		eq(t, "ls", e.sh(`ls $M/0`), "created\nfoo\n")

		e.sh(`printf ' more' >> $M/0/created`)
		eq(t, "GET appended", cl.str("GET", "created"), "new more")

		e.sh(`truncate -s 3 $M/0/created`)
		eq(t, "GET truncated", cl.str("GET", "created"), "new")
		e.sh(`truncate -s 5 $M/0/created`)
		eq(t, "GET extended", cl.str("GET", "created"), "new\x00\x00")
		e.sh(`: > $M/0/created`)
		eq(t, "GET emptied", cl.str("GET", "created"), "")
		eq(t, "EXISTS emptied", cl.str("EXISTS", "created"), "1")

		e.sh(`touch $M/0/empty`)
		eq(t, "GET touched", cl.str("GET", "empty"), "")
		e.sh(`touch $M/0/empty`) // existing: no change

		// Binary values and a value larger than one FUSE request.
		big := strings.Repeat("0123456789abcdef", 20000)
		cl.str("SET", "big", big)
		eq(t, "cat big", e.sh(`cat $M/0/big | md5sum`), fmt.Sprintf("%x  -\n", md5.Sum([]byte(big))))
		e.sh(`cat $M/0/big $M/0/big > $W/big2 && cp $W/big2 $M/0/big2`)
		eq(t, "big2 length", cl.str("STRLEN", "big2"), strconv.Itoa(2*len(big)))
		cl.str("SET", "bin", "a\x00b\r\n\xff")
		eq(t, "cat bin", e.sh(`od -An -tx1 $M/0/bin`), " 61 00 62 0d 0a ff\n")

		// Integer-encoded values read back as their text.
		cl.str("SET", "n", "12345")
		eq(t, "cat n", e.sh(`cat $M/0/n`), "12345")
		eq(t, "stat n", e.sh(`stat -c %s $M/0/n`), "5\n")
	})
}

func TestCoherence(t *testing.T) {
	needTool(t, "redis-cli")
	modes(t, func(t *testing.T, e *env) {
		cl := e.client()
		cl.str("SET", "k", "one")
		eq(t, "cat", e.sh(`cat $M/0/k`), "one")
		eq(t, "stat", e.sh(`stat -c %s $M/0/k`), "3\n")
		for i := 0; i < 20; i++ {
			v := strings.Repeat("v", i+1)
			cl.str("SET", "k", v)
			eq(t, "cat after SET", e.sh(`cat $M/0/k`), v)
			eq(t, "stat after SET", e.sh(`stat -c %s $M/0/k`), fmt.Sprintf("%d\n", len(v)))
			cl.str("APPEND", "k", "+")
			eq(t, "cat after APPEND", e.sh(`cat $M/0/k`), v+"+")
		}
		// Deleted and recreated keys; new keys show in ls.
		cl.str("DEL", "k")
		if out, err := e.shErr(`cat $M/0/k`); err == nil {
			t.Errorf("cat of a deleted key: %q", out)
		}
		eq(t, "ls", e.sh(`ls $M/0`), "")
		cl.str("SET", "k", "back")
		eq(t, "ls", e.sh(`ls $M/0`), "k\n")
		eq(t, "cat", e.sh(`cat $M/0/k`), "back")
		// FLUSHALL has no per-key events.
		cl.str("FLUSHALL")
		if out, err := e.shErr(`cat $M/0/k`); err == nil {
			t.Errorf("cat after FLUSHALL: %q", out)
		}
		// A key that expires: read while it lives (so the kernel holds
		// it), gone once the server expired it. The first cat must come
		// before the TTL runs out, which a loaded machine can make take
		// longer than 150 ms: then the case is tried again with a longer
		// TTL. The server expires the key on its own time (the active
		// cycle), so the second cat is polled for.
		for ttl := 150 * time.Millisecond; ; ttl *= 4 {
			start := time.Now()
			cl.str("SET", "t", "x", "PX", strconv.FormatInt(ttl.Milliseconds(), 10))
			out, err := e.shErr(`cat $M/0/t`)
			if time.Since(start) < ttl {
				if err != nil || out != "x" {
					t.Errorf("cat of a key with a TTL: %v %q", err, out)
				}
				break
			}
			if ttl > settle {
				t.Fatalf("a cat took longer than %v", ttl)
			}
		}
		eventually(t, settle, func() string {
			if out, err := e.shErr(`cat $M/0/t`); err == nil {
				return fmt.Sprintf("cat of an expired key: %q", out)
			}
			return ""
		})
		// A file opened before a change reads the new value, as a
		// regular file does.
		cl.str("SET", "r", "first")
		eq(t, "while open", e.sh(`exec 3<$M/0/r; redis-cli -p `+e.port()+` SET r second >/dev/null; cat <&3; cat $M/0/r`), "secondsecond")
	})
}

func (e *env) port() string {
	i := strings.LastIndexByte(e.addr, ':')
	return e.addr[i+1:]
}

func TestMtime(t *testing.T) {
	e := newEnv(t, Options{})
	cl := e.client()
	cl.str("SET", "k", "v")
	m1 := e.sh(`stat -c %Y.%y $M/0/k`)
	time.Sleep(1100 * time.Millisecond)
	eq(t, "mtime unchanged by reading", e.sh(`cat $M/0/k >/dev/null; stat -c %Y.%y $M/0/k`), m1)
	cl.str("APPEND", "k", "w")
	m2 := e.sh(`stat -c %Y $M/0/k`)
	t1, _ := strconv.ParseInt(strings.Split(m1, ".")[0], 10, 64)
	t2, _ := strconv.ParseInt(strings.TrimSpace(m2), 10, 64)
	if t2 <= t1 {
		t.Errorf("mtime did not move on a write: %d then %d", t1, t2)
	}
	if now := time.Now().Unix(); t2 < now-5 || t2 > now+1 {
		t.Errorf("mtime %d is not about now (%d)", t2, now)
	}
	// find -newer works on keys.
	time.Sleep(1100 * time.Millisecond)
	e.sh(`echo z > $M/0/other`)
	eq(t, "find -newer", e.sh(`find $M/0 -newer $M/0/k -type f | sed "s|$M/||"`), "0/other\n")
}

func TestExclAndErrors(t *testing.T) {
	e := newEnv(t, Options{})
	cl := e.client()
	cl.str("SET", "s", "v")
	// O_CREAT|O_EXCL on an existing key.
	if out, err := e.shErr(`set -C; echo x > $M/0/s`); err == nil || !strings.Contains(out, "exists") {
		t.Errorf("noclobber write over an existing key: %v %q", err, out)
	}
	eq(t, "unchanged", cl.str("GET", "s"), "v")
	// Missing keys.
	if _, err := e.shErr(`cat $M/0/missing`); err == nil {
		t.Error("cat of a missing key succeeded")
	}
	if out, err := e.shErr(`rm $M/0/missing`); err == nil || !strings.Contains(out, "No such file") {
		t.Errorf("rm of a missing key: %v %q", err, out)
	}
	// Names that are not canonical encodings.
	if _, err := e.shErr(`cat $M/0/%73`); err == nil {
		t.Error("a non-canonical name found a key")
	}
	if out, err := e.shErr(`echo x > '$M/0/bad%zz'`); err == nil {
		t.Errorf("created a key from an undecodable name: %q", out)
	}
	if _, err := e.shErr(`mkdir $M/0/s`); err == nil {
		t.Error("mkdir over an existing key succeeded")
	}
	// Out of memory is ENOSPC.
	if r := cl.str("CONFIG", "SET", "maxmemory", "1"); r == "OK" {
		cl.str("CONFIG", "SET", "maxmemory-policy", "noeviction")
		if probe := cl.str("SET", "probe", "x"); strings.HasPrefix(probe, "-OOM") {
			out, err := e.shErr(`echo x > $M/0/s 2>&1; echo x > $M/0/new 2>&1`)
			if err == nil || !strings.Contains(out, "No space left on device") {
				t.Errorf("writes over maxmemory: %v %q", err, out)
			}
		}
		cl.str("CONFIG", "SET", "maxmemory", "0")
		eq(t, "unchanged", cl.str("GET", "s"), "v")
	}
}

func TestRmMv(t *testing.T) {
	e := newEnv(t, Options{})
	cl := e.client()
	cl.str("SET", "a", "1", "EX", "1000")
	cl.str("SET", "b", "2")
	e.sh(`rm $M/0/b`)
	eq(t, "rm", cl.str("EXISTS", "b"), "0")

	e.sh(`mv $M/0/a $M/0/c`)
	eq(t, "mv old", cl.str("EXISTS", "a"), "0")
	eq(t, "mv new", cl.str("GET", "c"), "1")
	if ttl, _ := strconv.Atoi(cl.str("TTL", "c")); ttl <= 0 {
		t.Errorf("RENAME lost the TTL: %d", ttl)
	}
	eq(t, "ls", e.sh(`ls $M/0`), "c\n")
	eq(t, "cat", e.sh(`cat $M/0/c`), "1")

	// Over an existing key: one RENAME replaces it.
	cl.str("SET", "d", "old")
	e.sh(`mv $M/0/c $M/0/d`)
	eq(t, "mv over", cl.str("GET", "d"), "1")
	eq(t, "ls", e.sh(`ls $M/0`), "d\n")
	// mv -n refuses (RENAME_NOREPLACE or a check before).
	cl.str("SET", "e", "E")
	e.sh(`mv -n $M/0/d $M/0/e || true`)
	eq(t, "mv -n", cl.str("GET", "e"), "E")

	// Across databases with the same name: MOVE.
	e.sh(`mv $M/0/d $M/1/d`)
	eq(t, "moved out", cl.str("EXISTS", "d"), "0")
	cl.str("SELECT", "1")
	eq(t, "moved in", cl.str("GET", "d"), "1")
	if ttl, _ := strconv.Atoi(cl.str("TTL", "d")); ttl <= 0 {
		t.Errorf("MOVE lost the TTL: %d", ttl)
	}
	// The target exists: it is replaced.
	cl.str("SET", "e", "in db 1")
	cl.str("SELECT", "0")
	e.sh(`mv $M/0/e $M/1/e`)
	cl.str("SELECT", "1")
	eq(t, "moved over", cl.str("GET", "e"), "E")
	// Another name across databases: EXDEV, and mv copies then unlinks.
	e.sh(`mv $M/1/e $M/2/f`)
	eq(t, "copied out", cl.str("EXISTS", "e"), "0")
	cl.str("SELECT", "2")
	eq(t, "copied in", cl.str("GET", "f"), "E")
	eq(t, "cat", e.sh(`cat $M/2/f; ls $M/1`), "Ed\n")
}

func TestXattrs(t *testing.T) {
	needTool(t, "getfattr", "setfattr")
	e := newEnv(t, Options{})
	cl := e.client()
	cl.str("SET", "k", "12345")
	cl.str("SET", "s", strings.Repeat("x", 100))
	eq(t, "type", e.sh(`getfattr --only-values -n user.redis.type $M/0/k`), "string")
	eq(t, "int encoding", e.sh(`getfattr --only-values -n user.redis.encoding $M/0/k`), "int")
	eq(t, "raw encoding", e.sh(`getfattr --only-values -n user.redis.encoding $M/0/s`), "raw")
	eq(t, "list", e.sh(`getfattr -d -m - $M/0/k | sed 1d`), "user.redis.encoding=\"int\"\nuser.redis.type=\"string\"\n\n")
	if _, err := e.shErr(`getfattr -n user.redis.ttl $M/0/k`); err == nil {
		t.Error("a key without TTL has user.redis.ttl")
	}
	e.sh(`setfattr -n user.redis.ttl -v 60 $M/0/k`)
	if ttl, _ := strconv.Atoi(cl.str("TTL", "k")); ttl <= 55 || ttl > 60 {
		t.Errorf("TTL after setfattr: %d", ttl)
	}
	if v, _ := strconv.Atoi(e.sh(`getfattr --only-values -n user.redis.ttl $M/0/k`)); v <= 55 || v > 60 {
		t.Errorf("user.redis.ttl: %d", v)
	}
	if !strings.Contains(e.sh(`getfattr -d -m - $M/0/k`), "user.redis.ttl=") {
		t.Error("listxattr misses user.redis.ttl")
	}
	e.sh(`setfattr -x user.redis.ttl $M/0/k`)
	eq(t, "TTL after remove", cl.str("TTL", "k"), "-1")
	if _, err := e.shErr(`setfattr -n user.redis.type -v hash $M/0/k`); err == nil {
		t.Error("user.redis.type is settable")
	}
	if _, err := e.shErr(`setfattr -n user.redis.ttl -v soon $M/0/k`); err == nil {
		t.Error("a non-numeric TTL was accepted")
	}
	// echo > key keeps the TTL (SET … KEEPTTL).
	cl.str("EXPIRE", "k", "100")
	e.sh(`echo new > $M/0/k`)
	eq(t, "value", cl.str("GET", "k"), "new\n")
	if ttl, _ := strconv.Atoi(cl.str("TTL", "k")); ttl <= 0 {
		t.Errorf("writing the file dropped the TTL: %d", ttl)
	}
}

func TestKeyNamesOnMount(t *testing.T) {
	e := newEnv(t, Options{})
	cl := e.client()
	keys := []string{"a/b", ".hidden", "100%", "tab\there", "", "sp ace", "héllo", "user:1"}
	for _, k := range keys {
		cl.str("SET", k, "v:"+k)
	}
	eq(t, "ls", e.sh(`ls -A $M/0 | sort`), "%\n%2Ehidden\n100%25\na%2Fb\nhéllo\nsp ace\ntab%09here\nuser:1\n")
	eq(t, "cat", e.sh(`cat "$M/0/a%2Fb" "$M/0/%" "$M/0/%2Ehidden" "$M/0/100%25"`), "v:a/bv:v:.hiddenv:100%")
	e.sh(`echo x > "$M/0/new%2Fkey"`)
	eq(t, "created", cl.str("GET", "new/key"), "x\n")
	// A key whose name is too long is listed nowhere, reachable by ctl.
	long := strings.Repeat("\x01", 100)
	cl.str("SET", long, "far")
	out := e.sh(`ls $M/0 | wc -l`)
	eq(t, "long name skipped", strings.TrimSpace(out), strconv.Itoa(len(keys)+1))
	if !strings.Contains(e.log.String(), "longer than 255 bytes") {
		t.Error("the long name was not logged")
	}
}

// TestTruncatingWriteIsOneCommand checks that `echo v > key` reaches the
// server as one command: the shell closes a descriptor of the open before
// anything is written, and that flush must not commit the truncation
// alone (a reader would see the key empty for a moment).
func TestTruncatingWriteIsOneCommand(t *testing.T) {
	e := newEnv(t, Options{})
	cl := e.client()
	mon := e.client()
	eq(t, "setup", cl.str("SET", "k", "old"), "OK")
	eq(t, "setup", cl.str("HSET", "h", "f", "old"), "1")
	eq(t, "setup", cl.str("RPUSH", "l", "x", "y"), "2")
	eq(t, "MONITOR", mon.str("MONITOR"), "OK")
	e.sh(`echo v > $M/0/k; echo w > $M/0/h/f; printf 'a\nb\n' > $M/0/l`)
	cl.str("PING", "end")
	var cmds []string
	for {
		r, ok := mon.next(20 * time.Second)
		if !ok {
			t.Fatal("no PING in the MONITOR output")
		}
		line := string(r.Str)
		if strings.Contains(line, `"PING" "end"`) {
			break
		}
		if i := strings.Index(line, `] "`); i >= 0 {
			cmds = append(cmds, line[i+2:])
		}
	}
	var writes []string
	for _, c := range cmds {
		for _, w := range []string{`"SET"`, `"HSET"`, `"RPUSH"`, `"DEL"`, `"LTRIM"`, `"UNLINK"`} {
			if strings.HasPrefix(c, w+" ") {
				writes = append(writes, c)
			}
		}
	}
	eq(t, "writes", strings.Join(writes, "\n"), `"SET" "k" "v\n" "KEEPTTL"`+"\n"+`"HSET" "h" "f" "w\n"`+"\n"+`"RPUSH" "l" "a" "b"`+"\n"+`"LTRIM" "l" "2" "-1"`)
	eq(t, "k", cl.str("GET", "k"), "v\n")
	eq(t, "l", cl.str("LRANGE", "l", "0", "-1"), "a,b")

	// `: > k` closes twice: its second flush commits the truncation.
	e.sh(`: > $M/0/k`)
	eq(t, "k after : > k", cl.str("GET", "k"), "")
}

// TestStatfs: df reports maxmemory as the size, used_memory as the space
// used and the keys as the files in use.
func TestStatfs(t *testing.T) {
	e := newEnv(t, Options{})
	cl := e.client()
	eq(t, "maxmemory", cl.str("CONFIG", "SET", "maxmemory", "100mb"), "OK")
	for i := 0; i < 10; i++ {
		cl.str("SET", fmt.Sprint("k", i), "v")
	}
	cl.str("SELECT", "3")
	cl.str("SET", "other", "v")
	out := strings.Fields(e.sh(`stat -f -c '%S %b %f %c %d %l' $M`))
	if len(out) != 6 {
		t.Fatalf("stat -f: %q", out)
	}
	eq(t, "block size", out[0], "4096")
	eq(t, "blocks", out[1], fmt.Sprint(100<<20/4096))
	free, _ := strconv.Atoi(out[2])
	if free <= 0 || free >= 100<<20/4096 {
		t.Errorf("free blocks: %d", free)
	}
	files, _ := strconv.Atoi(out[3])
	ffree, _ := strconv.Atoi(out[4])
	eq(t, "files in use", files-ffree, 11)
	eq(t, "name length", out[5], "255")
	if df := e.sh(`df -P $M | tail -1`); !strings.HasPrefix(df, "redisfs ") {
		t.Errorf("df: %q", df)
	}
}

// TestClientPause: a file write waits out a CLIENT PAUSE, as a TCP
// client's write does, and lands when the pause ends.
func TestClientPause(t *testing.T) {
	e := newEnv(t, Options{})
	cl := e.client()
	eq(t, "SET", cl.str("SET", "k", "old"), "OK")
	eq(t, "PAUSE", cl.str("CLIENT", "PAUSE", "100000", "WRITE"), "OK")
	p := e.bg(`echo new > $M/0/k; echo done`)
	time.Sleep(300 * time.Millisecond)
	eq(t, "during the pause", cl.str("GET", "k"), "old")
	eq(t, "writer waits", p.output(), "")
	eq(t, "UNPAUSE", cl.str("CLIENT", "UNPAUSE"), "OK")
	p.wait(settle)
	eq(t, "writer", p.output(), "done\n")
	eq(t, "after the pause", cl.str("GET", "k"), "new\n")
}
