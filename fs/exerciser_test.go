package fs

import (
	"bufio"
	"context"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/redis/go-redis/v9"

	"github.com/redisfs/redisfs/core/redistest"
)

// The tests of issue 12's first half: a file system people can trust
// under concurrency. File calls on the mount come from fsxhelper
// (fs/internal/fsxhelper), a process of its own.

func fsxHelper(t testing.TB) string {
	t.Helper()
	return redistest.Build(t, "./fs/internal/fsxhelper")
}

// helperCmd returns the helper's command, its environment set as sh's.
func (e *env) helperCmd(args ...string) *exec.Cmd {
	cmd := exec.CommandContext(e.ctx, fsxHelper(e.t), args...)
	cmd.Dir = e.work
	cmd.Env = append(os.Environ(), "LC_ALL=C")
	return cmd
}

// TestLateAttributes: an open writer's uncommitted size is what every
// attribute answer reports — a LOOKUP after the entry timeout, a
// READDIRPLUS (ls -l), a GETATTR without a file handle — so that the
// writer's lseek(SEEK_END) finds its own end, and nothing it wrote is
// overwritten (issue 12: the key ended "helloTAILXXX…", 1005 bytes).
func TestLateAttributes(t *testing.T) {
	const timeout = 50 * time.Millisecond
	e := newEnv(t, Options{CacheTimeout: timeout})
	cl := e.client()
	eq(t, "SET", cl.str("SET", "rg3", "hello"), "OK")
	e.sh(`cat $M/0/rg3 >/dev/null`) // the kernel holds it
	cmd := e.helperCmd("lateattr", filepath.Join(e.mnt, "0", "rg3"))
	in, _ := cmd.StdinPipe()
	outp, _ := cmd.StdoutPipe()
	cmd.Stderr = os.Stderr
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	rd := bufio.NewReader(outp)
	if line, err := rd.ReadString('\n'); err != nil || line != "written\n" {
		t.Fatalf("helper: %q %v", line, err)
	}
	// Past the entry and attribute timeouts (a time the test sets, not
	// a guess at scheduling), then a listing with attributes and stats
	// from other processes: each is an attribute answer for the file.
	time.Sleep(3 * timeout)
	eq(t, "ls -l", e.sh(`ls -l $M/0 | awk '$NF == "rg3" { print $5 }'`), "1005\n")
	time.Sleep(3 * timeout)
	eq(t, "stat", e.sh(`stat -c %s $M/0/rg3`), "1005\n")
	time.Sleep(3 * timeout)
	io.WriteString(in, "go\n")
	rest, _ := io.ReadAll(rd)
	if err := cmd.Wait(); err != nil {
		t.Fatalf("helper: %v %s", err, rest)
	}
	eq(t, "helper", string(rest), "stat=1005 seek=1005\n")
	v := cl.str("GET", "rg3")
	eq(t, "length", len(v), 1009)
	eq(t, "value", v, "hello"+strings.Repeat("X", 1000)+"TAIL")
}

// fsxOps is the number of operations per exerciser run: REDISFS_FSX_OPS,
// or a number that keeps the test within a minute on a busy machine.
func fsxOps() int {
	if n, err := strconv.Atoi(os.Getenv("REDISFS_FSX_OPS")); err == nil && n > 0 {
		return n
	}
	return 500
}

// fsxSeed is REDISFS_FSX_SEED, or def.
func fsxSeed(def int64) int64 {
	if n, err := strconv.ParseInt(os.Getenv("REDISFS_FSX_SEED"), 10, 64); err == nil {
		return n
	}
	return def
}

// TestExerciser runs the model-based exerciser (fsxhelper exercise) on a
// string, a hash field and a list, while other processes list the
// directory with attributes (ls -l, READDIRPLUS), stat the file and list
// the hash, and a TCP client reads the keys: zero mismatches. On one it
// prints the seed and the operations; REDISFS_FSX_SEED and
// REDISFS_FSX_OPS replay or lengthen a run.
func TestExerciser(t *testing.T) {
	needTool(t, "stat", "ls")
	e := newEnv(t, Options{})
	cl := e.client()
	cl.str("SET", "s", "hello")
	cl.str("HSET", "h", "f", "field value")
	cl.str("RPUSH", "l", "first", "second")
	for i := 0; i < 20; i++ {
		cl.str("SET", "other"+strconv.Itoa(i), "x")
	}
	// The onlookers, until the runs end.
	ctx, stop := context.WithCancel(e.ctx)
	var wg sync.WaitGroup
	wg.Add(1)
	go func() {
		defer wg.Done()
		cmd := exec.CommandContext(ctx, "sh", "-c", `while :; do ls -l $M/0 >/dev/null 2>&1; stat $M/0/s $M/0/l $M/0/h/f >/dev/null 2>&1; ls -l $M/0/h >/dev/null 2>&1; done`)
		cmd.Env = append(os.Environ(), "M="+e.mnt)
		cmd.Run()
	}()
	wg.Add(1)
	go func() {
		defer wg.Done()
		rdb := redis.NewClient(&redis.Options{Addr: e.addr})
		defer rdb.Close()
		for ctx.Err() == nil {
			rdb.Get(ctx, "s")
			rdb.StrLen(ctx, "s")
			rdb.HGet(ctx, "h", "f")
			rdb.LRange(ctx, "l", 0, -1)
		}
	}()
	defer func() {
		stop()
		wg.Wait()
	}()
	ops := strconv.Itoa(fsxOps())
	runs := []struct {
		name string
		args []string
	}{
		{"string", []string{"string", filepath.Join(e.mnt, "0", "s"), e.addr, "0", "s", strconv.FormatInt(fsxSeed(1), 10), ops}},
		{"hash", []string{"hash", filepath.Join(e.mnt, "0", "h", "f"), e.addr, "0", "h", "f", strconv.FormatInt(fsxSeed(2), 10), ops}},
		{"list", []string{"list", filepath.Join(e.mnt, "0", "l"), e.addr, "0", "l", strconv.FormatInt(fsxSeed(3), 10), ops}},
	}
	for _, r := range runs {
		start := time.Now()
		out, err := e.helperCmd(append([]string{"exercise"}, r.args...)...).CombinedOutput()
		if err != nil {
			t.Errorf("%s: %v\n%s", r.name, err, out)
			continue
		}
		t.Logf("%s: %s(%v)", r.name, out, time.Since(start).Round(time.Millisecond))
	}
}

// waitOutput waits until a background process has printed want.
func waitFor(t *testing.T, p *bgProc, want string) {
	t.Helper()
	deadline := time.Now().Add(settle)
	for !strings.Contains(p.output(), want) {
		if time.Now().After(deadline) {
			t.Fatalf("waiting for %q; got %q", want, p.output())
		}
		time.Sleep(10 * time.Millisecond)
	}
}

// TestTailF: tail -f follows a list that RPUSH grows and a string that
// APPEND grows, as it follows a log file.
func TestTailF(t *testing.T) {
	needTool(t, "tail")
	modes(t, func(t *testing.T, e *env) {
		cl := e.client()
		cl.str("RPUSH", "list", "a", "b")
		cl.str("SET", "str", "start;")
		lt := e.bg(`exec tail -s 0.1 -f $M/0/list`)
		st := e.bg(`exec tail -s 0.1 -c +1 -f $M/0/str`)
		waitFor(t, lt, "a\nb\n")
		waitFor(t, st, "start;")
		for i := 0; i < 5; i++ {
			v := "v" + strconv.Itoa(i)
			cl.str("RPUSH", "list", v)
			waitFor(t, lt, v+"\n")
			cl.str("APPEND", "str", v+";")
			waitFor(t, st, v+";")
		}
		eq(t, "list", lt.output(), "a\nb\nv0\nv1\nv2\nv3\nv4\n")
		eq(t, "string", st.output(), "start;v0;v1;v2;v3;v4;")
	})
}

// TestOpenAfterDelete: a descriptor opened before a DEL or an expiry
// keeps reading what it opened; reads and fstat never fail because the
// key went away. A writer whose key vanished recreates it at close.
func TestOpenAfterDelete(t *testing.T) {
	needTool(t, "redis-cli")
	modes(t, func(t *testing.T, e *env) {
		cl := e.client()
		rc := `redis-cli -p ` + e.port() + ` `
		cl.str("SET", "k", "kept value")
		cl.str("RPUSH", "l", "x", "y")
		cl.str("HSET", "h", "f", "field")
		// Opened, deleted, then read from the start.
		eq(t, "string", e.sh(`exec 3<$M/0/k; `+rc+`DEL k >/dev/null; cat <&3; stat -L -c %s /dev/fd/3`), "kept value10\n")
		eq(t, "list", e.sh(`exec 3<$M/0/l; `+rc+`DEL l >/dev/null; cat <&3`), "x\ny\n")
		eq(t, "hash field", e.sh(`exec 3<$M/0/h/f; `+rc+`DEL h >/dev/null; cat <&3`), "field")
		// Read partly, then the rest after the key expired.
		cl.str("SET", "k", "0123456789")
		eq(t, "expired", e.sh(`exec 3<$M/0/k; head -c 4 <&3; echo; `+rc+`PEXPIRE k 1 >/dev/null; while [ "$(`+rc+`EXISTS k)" != 0 ]; do sleep 0.01; done; cat <&3`), "0123\n456789")
		// A writer whose key vanished recreates it at close.
		cl.str("SET", "w", "old")
		eq(t, "writer", e.sh(`exec 3<>$M/0/w; `+rc+`DEL w >/dev/null; stat -L -c %s /dev/fd/3; printf new >&3; exec 3>&-`), "3\n")
		eq(t, "recreated", cl.str("GET", "w"), "new")
	})
}

// TestStrictCoherence: once a client holds the reply to a write, every
// later operation on the mount sees it — stat the new size, ls no longer
// the deleted key, cat the new value — many times over, with the kernel
// caching between.
func TestStrictCoherence(t *testing.T) {
	e := newEnv(t, Options{})
	cl := e.client()
	// File operations keep the loop busy meanwhile, so that jobs are
	// often waiting when the replies are about to leave.
	cl.str("SET", "busy", "x")
	e.bg(`while :; do stat $M/0/busy >/dev/null; ls -l $M/0 >/dev/null; done`)
	const rounds = 60
	stale := 0
	for i := 0; i < rounds; i++ {
		k := "c" + strconv.Itoa(i%3)
		cl.str("SET", k, "ab")
		// The kernel caches the entry, attributes and pages.
		if out := e.sh(`stat -c %s $M/0/` + k + `; cat $M/0/` + k + `; ls $M/0`); !strings.Contains(out, "2\nab") {
			t.Fatalf("round %d: %q", i, out)
		}
		cl.str("APPEND", k, "cd")
		if out := e.sh(`stat -c %s $M/0/` + k + `; cat $M/0/` + k); out != "4\nabcd" {
			stale++
			t.Errorf("round %d: after APPEND: %q", i, out)
		}
		// Through ctl: the write returns once the mount agrees.
		if out := e.sh(`echo 'APPEND ` + k + ` ef' > $M/ctl; stat -c %s $M/0/` + k + `; cat $M/0/` + k); out != "6\nabcdef" {
			stale++
			t.Errorf("round %d: after APPEND through ctl: %q", i, out)
		}
		cl.str("DEL", k)
		if out := e.sh(`ls $M/0; cat $M/0/` + k + ` 2>/dev/null; stat -c %s $M/0/` + k + ` 2>/dev/null; true`); strings.Contains(out, k) || strings.Contains(out, "abcd") {
			stale++
			t.Errorf("round %d: after DEL: %q", i, out)
		}
	}
	eq(t, "stale answers", stale, 0)

	// The same from one process with a persistent connection, each
	// check right after the reply (an exec takes longer than the
	// notifier once took).
	out, err := e.helperCmd("coherence", e.addr, filepath.Join(e.mnt, "0"), "300").CombinedOutput()
	if err != nil || !strings.HasSuffix(string(out), "stale=0\n") {
		t.Errorf("coherence: %v\n%s", err, clip(string(out)))
	}
}
