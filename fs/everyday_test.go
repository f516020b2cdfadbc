package fs

import (
	"fmt"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
)

// The everyday tools of issue 12, each run for real on the mount and
// checked through a TCP client.

// readmeBlocks returns the ```sh blocks of the repository's README.md.
func readmeBlocks(t *testing.T) []string {
	t.Helper()
	b, err := os.ReadFile(filepath.Join("..", "README.md"))
	if err != nil {
		t.Fatal(err)
	}
	var blocks []string
	for _, part := range strings.Split(string(b), "```sh\n")[1:] {
		body, _, ok := strings.Cut(part, "```")
		if ok {
			blocks = append(blocks, body)
		}
	}
	return blocks
}

// TestReadmeExamples pastes the README's mount examples, in order, on a
// fresh server (the blocks after the first, which sets the machine up),
// with mnt the mount and redis-cli talking to the server.
func TestReadmeExamples(t *testing.T) {
	needTool(t, "bash", "redis-cli", "setfattr", "getfattr", "timeout")
	blocks := readmeBlocks(t)
	if len(blocks) < 3 {
		t.Fatalf("README has %d sh blocks, want the setup and two of examples", len(blocks))
	}
	e := newEnv(t, Options{})
	cl := e.client()
	if err := os.Symlink(e.mnt, filepath.Join(e.work, "mnt")); err != nil {
		t.Fatal(err)
	}
	var script strings.Builder
	fmt.Fprintf(&script, "redis-cli() { command redis-cli -p %s \"$@\"; }\n", e.port())
	script.WriteString("set -e\ntrap 'echo \"FAILED: $BASH_COMMAND\" >&2' ERR\n")
	bgSub := regexp.MustCompile(`^cat mnt/pubsub/(\S+) &`)
	for _, block := range blocks[1:3] {
		for _, line := range strings.Split(block, "\n") {
			cmd, _, _ := strings.Cut(line, "  #")
			cmd = strings.TrimSpace(cmd)
			if cmd == "" {
				continue
			}
			// MONITOR runs until interrupted: as a user would, stop it.
			cmd = strings.ReplaceAll(cmd, "cat mnt/monitor", "{ timeout 1 cat mnt/monitor || [ $? = 124 ]; }")
			m := bgSub.FindStringSubmatch(cmd)
			if m != nil {
				// The subscriber's output goes to a file, read at
				// the end.
				cmd = strings.Replace(cmd, " &", " > sub.out &", 1)
			}
			script.WriteString(cmd + "\n")
			if m != nil {
				// A human types the next line long after: wait for
				// the subscriber to be there.
				fmt.Fprintf(&script, "until [ \"$(redis-cli PUBSUB NUMSUB %s | tail -1)\" = 1 ]; do sleep 0.05; done\n", m[1])
			}
		}
	}
	script.WriteString("until grep -q . sub.out; do sleep 0.05; done; cat sub.out; kill %1; wait || true\n")
	out, err := e.bash(script.String())
	if err != nil {
		t.Fatalf("README examples: %v\n%s\nscript:\n%s", err, out, script.String())
	}
	eq(t, "greeting", cl.str("GET", "greeting"), "world\n")
	eq(t, "visits", cl.str("GET", "visits"), "1")
	eq(t, "user:1", cl.str("HGETALL", "user:1"), "color,blue\n")
	eq(t, "tags", cl.str("SMEMBERS", "tags"), "go")
	eq(t, "board", cl.str("ZSCORE", "board", "alice"), "3.5")
	eq(t, "queue", cl.str("LRANGE", "queue", "0", "-1"), "first,a,b")
	for _, want := range []string{"hello\n", `user.redis.type="list"`, "id="} {
		if !strings.Contains(out, want) {
			t.Errorf("the examples' output lacks %q:\n%s", want, out)
		}
	}
}

// bash is shErr with bash.
func (e *env) bash(script string) (string, error) {
	f := filepath.Join(e.work, "script.bash")
	if err := os.WriteFile(f, []byte(script), 0o644); err != nil {
		e.t.Fatal(err)
	}
	return e.shErr("bash " + f + " 2>&1")
}

// TestRenameOverKeepsType: sed -i and other write-then-rename saves keep
// the type and the TTL of what they save over.
func TestRenameOverKeepsType(t *testing.T) {
	e := newEnv(t, Options{})
	cl := e.client()
	cl.str("RPUSH", "l", "one", "two", "three")
	cl.str("EXPIRE", "l", "1000")
	e.sh(`sed -i 's/two/2/' $M/0/l`)
	eq(t, "sed -i list type", cl.str("TYPE", "l"), "list")
	eq(t, "sed -i list", cl.str("LRANGE", "l", "0", "-1"), "one,2,three")
	if ttl := cl.str("TTL", "l"); ttl == "-1" || ttl == "-2" {
		t.Errorf("sed -i dropped the list's TTL: %s", ttl)
	}
	eq(t, "cat after sed -i", e.sh(`cat $M/0/l`), "one\n2\nthree\n")
	eq(t, "no temporary left", cl.str("DBSIZE"), "1")

	// A scratch file moved over the list.
	e.sh(`printf 'x\ny\n' > $M/0/.new; mv $M/0/.new $M/0/l`)
	eq(t, "mv scratch onto list", cl.str("LRANGE", "l", "0", "-1"), "x,y")
	if ttl := cl.str("TTL", "l"); ttl == "-1" || ttl == "-2" {
		t.Errorf("mv dropped the list's TTL: %s", ttl)
	}

	// Strings keep their TTL too.
	cl.str("SET", "s", "hello world\n", "EX", "1000")
	e.sh(`sed -i 's/world/there/' $M/0/s`)
	eq(t, "sed -i string", cl.str("GET", "s"), "hello there\n")
	if ttl := cl.str("TTL", "s"); ttl == "-1" || ttl == "-2" {
		t.Errorf("sed -i dropped the string's TTL: %s", ttl)
	}
	e.sh(`printf 'new\n' > $M/0/.s.tmp; mv $M/0/.s.tmp $M/0/s`)
	eq(t, "mv scratch onto string", cl.str("GET", "s"), "new\n")
	if ttl := cl.str("TTL", "s"); ttl == "-1" || ttl == "-2" {
		t.Errorf("mv scratch dropped the string's TTL: %s", ttl)
	}

	// Fields and scores keep their semantics.
	cl.str("HSET", "h", "f", "color=red\n")
	cl.str("EXPIRE", "h", "1000")
	e.sh(`sed -i 's/red/blue/' $M/0/h/f`)
	eq(t, "sed -i field", cl.str("HGETALL", "h"), "f,color=blue\n")
	cl.str("ZADD", "z", "1.5", "m")
	e.sh(`sed -i 's/1.5/2.5/' $M/0/z/m`)
	eq(t, "sed -i score", cl.str("ZRANGE", "z", "0", "-1", "WITHSCORES"), "m,2.5")
	if ttl := cl.str("TTL", "h"); ttl == "-1" || ttl == "-2" {
		t.Errorf("sed -i on a field dropped the hash's TTL: %s", ttl)
	}
	eq(t, "keys", cl.str("DBSIZE"), "4")
}

// TestRsync: rsync -a into a hash and into a database directory, twice:
// the second run transfers nothing. A mkdir'd empty collection goes with
// FLUSHALL.
func TestRsync(t *testing.T) {
	needTool(t, "rsync")
	e := newEnv(t, Options{})
	cl := e.client()
	e.sh(`mkdir -p $W/src && printf 'one\n' > $W/src/f1 && printf 'two\n' > $W/src/f2 && printf '' > $W/src/empty &&
		touch -d '2020-01-02 03:04:05' $W/src/f1`)
	e.sh(`rsync -a $W/src/ $M/0/h/`)
	got := cl.do("HGETALL", "h")
	fields := map[string]string{}
	for i := 0; i+1 < len(got.Elems); i += 2 {
		fields[string(got.Elems[i].Str)] = string(got.Elems[i+1].Str)
	}
	eq(t, "fields", fmt.Sprint(fields), fmt.Sprint(map[string]string{"f1": "one\n", "f2": "two\n", "empty": ""}))
	eq(t, "mtime kept", e.sh(`stat -c %Y $M/0/h/f1`), e.sh(`stat -c %Y $W/src/f1`))
	eq(t, "no scratch left", e.sh(`ls -A $M/0/h`), "empty\nf1\nf2\n")
	stats := e.sh(`rsync -a --stats $W/src/ $M/0/h/`)
	if !strings.Contains(stats, "Number of regular files transferred: 0") {
		t.Errorf("second rsync into the hash transferred files:\n%s", stats)
	}

	// Into a database directory: strings.
	e.sh(`rsync -a $W/src/ $M/1/`)
	cl.str("SELECT", "1")
	eq(t, "rsync strings", cl.str("MGET", "f1", "f2", "empty"), "one\n,two\n,")
	stats = e.sh(`rsync -a --stats $W/src/ $M/1/`)
	if !strings.Contains(stats, "Number of regular files transferred: 0") {
		t.Errorf("second rsync into a database transferred files:\n%s", stats)
	}
	cl.str("SELECT", "0")

	// A change is sent again.
	e.sh(`printf 'ONE\n' > $W/src/f1; rsync -a $W/src/ $M/0/h/`)
	eq(t, "changed field", cl.str("HGET", "h", "f1"), "ONE\n")

	// An empty collection directory goes with FLUSHALL.
	e.sh(`mkdir $M/0/pending`)
	eq(t, "mkdir", e.sh(`ls $M/0`), "h\npending\n")
	eq(t, "FLUSHALL", cl.str("FLUSHALL"), "OK")
	eventually(t, settle, func() string {
		if ls := e.sh(`ls $M/0`); ls != "" {
			return "after FLUSHALL: " + ls
		}
		return ""
	})
}

// TestCopyIntoCollections: cp -a, mv and sed -i into a hash go without
// complaint; setting an unsupported attribute on a member is ENOTSUP.
func TestCopyIntoCollections(t *testing.T) {
	needTool(t, "setfattr")
	e := newEnv(t, Options{})
	cl := e.client()
	cl.str("HSET", "h", "a", "1")
	e.sh(`printf 'v\n' > $W/file; cp -a $W/file $M/0/h/copied 2>&1`)
	eq(t, "cp -a", cl.str("HGET", "h", "copied"), "v\n")
	e.sh(`touch -d '2019-03-04 05:06:07 UTC' $W/file; cp -a $W/file $M/0/h/copied2; cp -a $W/file $M/0/copied`)
	eq(t, "cp -a keeps a field's mtime", e.sh(`stat -c %Y $M/0/h/copied2`), "1551675967\n")
	eq(t, "cp -a keeps a key's mtime", e.sh(`stat -c %Y $M/0/copied`), "1551675967\n")
	out := e.sh(`printf 'w\n' > $W/moved; mv $W/moved $M/0/h/moved 2>&1; sed -i 's/w/W/' $M/0/h/moved 2>&1`)
	eq(t, "mv/sed -i print nothing", out, "")
	eq(t, "mv + sed -i", cl.str("HGET", "h", "moved"), "W\n")
	out, err := e.shErr(`setfattr -n user.other -v x $M/0/h/a`)
	if err == nil || !strings.Contains(out, "Operation not supported") {
		t.Errorf("setfattr on a member: %v %q", err, out)
	}
	out, err = e.shErr(`getfattr -n user.other $M/0/h/a`)
	if err == nil || !strings.Contains(out, "No such attribute") {
		t.Errorf("getfattr on a member: %v %q", err, out)
	}
}

// TestSetTimes: touch -d sets a key's and a member's modification time,
// kept until they change; chmod and chown are accepted.
func TestSetTimes(t *testing.T) {
	e := newEnv(t, Options{})
	cl := e.client()
	cl.str("SET", "s", "v")
	cl.str("HSET", "h", "f", "1", "g", "2")
	e.sh(`touch -d '2021-05-06 07:08:09 UTC' $M/0/s $M/0/h/f; chmod 600 $M/0/s; chown $(id -u) $M/0/s`)
	eq(t, "key mtime", e.sh(`stat -c %Y $M/0/s`), "1620284889\n")
	eq(t, "member mtime", e.sh(`stat -c %Y $M/0/h/f`), "1620284889\n")
	if e.sh(`stat -c %Y $M/0/h/g`) == "1620284889\n" {
		t.Error("another member got the time")
	}
	cl.str("HSET", "h", "f", "changed")
	eventually(t, settle, func() string {
		if got := e.sh(`stat -c %Y $M/0/h/f`); got == "1620284889\n" {
			return "the member kept its set time after a change"
		}
		return ""
	})
	cl.str("APPEND", "s", "w")
	eventually(t, settle, func() string {
		if got := e.sh(`stat -c %Y $M/0/s`); got == "1620284889\n" {
			return "the key kept its set time after a change"
		}
		return ""
	})
}

// TestMmapMember: mmap works on a hash field as on a string.
func TestMmapMember(t *testing.T) {
	needTool(t, "python3")
	e := newEnv(t, Options{})
	cl := e.client()
	cl.str("HSET", "h", "f", "hello world")
	cl.str("SET", "s", "hello world")
	py := `import mmap, sys
p = sys.argv[1]
with open(p, "r+b") as f:
    m = mmap.mmap(f.fileno(), 0)
    sys.stdout.write(m[:].decode())
    m[0:5] = b"HELLO"
    m.flush()
    m.close()
`
	if err := os.WriteFile(filepath.Join(e.work, "mm.py"), []byte(py), 0o644); err != nil {
		t.Fatal(err)
	}
	for _, p := range []string{"h/f", "s"} {
		eq(t, "mmap read "+p, e.sh(`python3 $W/mm.py $M/0/`+p), "hello world")
	}
	eq(t, "mmap write field", cl.str("HGET", "h", "f"), "HELLO world")
	eq(t, "mmap write string", cl.str("GET", "s"), "HELLO world")
}

// TestStatfsEverywhere: statfs answers the same at every level.
func TestStatfsEverywhere(t *testing.T) {
	needTool(t, "getconf", "df")
	e := newEnv(t, Options{})
	cl := e.client()
	cl.str("CONFIG", "SET", "maxmemory", "100mb")
	cl.str("SET", "s", "v")
	cl.str("HSET", "h", "f", "v")
	e.sh(`touch $M/0/.scratch`)
	want := e.sh(`stat -f -c '%S %b %l' $M`)
	eq(t, "root", want, fmt.Sprintf("4096 %d 255\n", 100<<20/4096))
	for _, p := range []string{"0", "0/s", "0/h", "0/h/f", "0/.scratch", "ctl", "info", "pubsub", "1"} {
		eq(t, "stat -f "+p, e.sh(`stat -f -c '%S %b %l' $M/`+p), want)
		eq(t, "NAME_MAX "+p, e.sh(`getconf NAME_MAX $M/`+p), "255\n")
	}
	if df := e.sh(`df -P $M/0/h | tail -1`); !strings.HasPrefix(df, "redisfs ") || strings.Fields(df)[1] == "0" {
		t.Errorf("df below the root: %q", df)
	}
}

// TestRefusedChanges: a truncation or a write refused leaves no trace.
func TestRefusedChanges(t *testing.T) {
	needTool(t, "truncate", "dd")
	e := newEnv(t, Options{})
	cl := e.client()
	cl.str("SET", "k", "x")
	e.sh(`cat $M/0/k >/dev/null; stat $M/0/k >/dev/null`)
	eq(t, "maxmemory", cl.str("CONFIG", "SET", "maxmemory", "1"), "OK")
	if _, err := e.shErr(`truncate -s 128K $M/0/k`); err == nil {
		t.Error("truncate under maxmemory succeeded")
	}
	eq(t, "value kept", cl.str("GET", "k"), "x")
	eq(t, "stat after ENOSPC", e.sh(`stat -c %s $M/0/k`), "1\n")
	eq(t, "cat after ENOSPC", e.sh(`cat $M/0/k | wc -c`), "1\n")
	eq(t, "maxmemory off", cl.str("CONFIG", "SET", "maxmemory", "0"), "OK")

	// Past proto-max-bulk-len (1 MB here).
	eq(t, "limit", cl.str("CONFIG", "SET", "proto-max-bulk-len", "1mb"), "OK")
	out, err := e.shErr(`truncate -s 2M $M/0/k`)
	if err == nil || !strings.Contains(out, "File too large") {
		t.Errorf("truncate past the limit: %v %q", err, out)
	}
	eq(t, "stat after EFBIG", e.sh(`stat -c %s $M/0/k`), "1\n")
	out, err = e.shErr(`dd if=/dev/zero of=$M/0/k bs=64k count=32 2>&1`)
	if err == nil || !strings.Contains(out, "File too large") {
		t.Errorf("dd past the limit: %v %q", err, out)
	}
	eq(t, "value kept after EFBIG", cl.str("GET", "k"), "x")
	eq(t, "cat after EFBIG", e.sh(`cat $M/0/k | wc -c`), "1\n")
	cl.str("HSET", "h", "f", "v")
	out, err = e.shErr(`dd if=/dev/zero of=$M/0/h/f bs=64k count=32 2>&1`)
	if err == nil || !strings.Contains(out, "File too large") {
		t.Errorf("dd into a field past the limit: %v %q", err, out)
	}
	eq(t, "field kept", cl.str("HGET", "h", "f"), "v")
	// Up to the limit is fine.
	e.sh(`dd if=/dev/zero of=$M/0/k bs=64k count=16 2>/dev/null`)
	eq(t, "at the limit", cl.str("STRLEN", "k"), fmt.Sprint(1<<20))
}

// TestScoreWrite: a score that is no number fails the write itself.
func TestScoreWrite(t *testing.T) {
	e := newEnv(t, Options{})
	cl := e.client()
	cl.str("ZADD", "z", "1", "m")
	out, err := e.shErr(`bash -c 'echo blue > $M/0/z/m'`)
	if err == nil || !strings.Contains(out, "Invalid argument") {
		t.Errorf("echo blue into a score: %v %q", err, out)
	}
	eq(t, "score kept", cl.str("ZSCORE", "z", "m"), "1")
	if _, err := e.shErr(`echo nope > $M/0/z/new`); err == nil {
		t.Error("echo nope into a new member succeeded")
	}
	eq(t, "no member made", cl.str("ZRANGE", "z", "0", "-1"), "m")
	e.sh(`echo 2.5 > $M/0/z/m; echo -inf > $M/0/z/low; printf ' 7e2 \n' > $M/0/z/sci`)
	eq(t, "scores", cl.str("ZRANGE", "z", "0", "-1", "WITHSCORES"), "low,-inf,m,2.5,sci,700")
}
