package fs

import (
	"context"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/redisfs/redisfs/core/redistest"
)

// TestConcurrentAppends runs shell loops appending with >> to keys while
// TCP clients APPEND and INCR other keys: nothing is lost, every value is
// exact.
func TestConcurrentAppends(t *testing.T) {
	modes(t, func(t *testing.T, e *env) {
		const shells, rounds = 3, 150
		deadline := time.Now().Add(4 * time.Second)
		var wg sync.WaitGroup
		errs := make(chan error, 16)
		for i := 0; i < shells; i++ {
			wg.Add(1)
			go func(i int) {
				defer wg.Done()
				script := fmt.Sprintf(`i=0; while [ $i -lt %d ]; do echo "s%d-$i" >> $M/0/shell%d; echo "x$i" >> $M/0/shared || exit 1; i=$((i+1)); done`, rounds, i, i)
				if out, err := e.shErr(script); err != nil {
					errs <- fmt.Errorf("shell %d: %v %s", i, err, out)
				}
			}(i)
		}
		var appends, incrs [2]int
		for j := 0; j < 2; j++ {
			wg.Add(1)
			go func(j int) {
				defer wg.Done()
				cl := e.client()
				for time.Now().Before(deadline) {
					if r := cl.str("APPEND", "tcp"+strconv.Itoa(j), "ab"); strings.HasPrefix(r, "-") {
						errs <- fmt.Errorf("APPEND: %s", r)
						return
					}
					appends[j]++
					cl.str("INCR", "counter"+strconv.Itoa(j))
					incrs[j]++
				}
			}(j)
		}
		// A reader of the mount at the same time.
		wg.Add(1)
		go func() {
			defer wg.Done()
			for time.Now().Before(deadline) {
				if out, err := e.shErr(`cat $M/0/* >/dev/null 2>&1; ls $M/0 >/dev/null`); err != nil {
					errs <- fmt.Errorf("reader: %v %s", err, out)
					return
				}
			}
		}()
		wg.Wait()
		close(errs)
		for err := range errs {
			t.Error(err)
		}
		cl := e.client()
		for i := 0; i < shells; i++ {
			var want strings.Builder
			for k := 0; k < rounds; k++ {
				fmt.Fprintf(&want, "s%d-%d\n", i, k)
			}
			eq(t, "shell key", cl.str("GET", fmt.Sprintf("shell%d", i)), want.String())
		}
		shared := cl.str("GET", "shared")
		eq(t, "shared lines", strings.Count(shared, "\n"), shells*rounds)
		for j := 0; j < 2; j++ {
			eq(t, "tcp appends", cl.str("STRLEN", "tcp"+strconv.Itoa(j)), strconv.Itoa(2*appends[j]))
			eq(t, "tcp incrs", cl.str("GET", "counter"+strconv.Itoa(j)), strconv.Itoa(incrs[j]))
		}
		// What the mount shows agrees.
		eq(t, "cat", e.sh(`cat $M/0/shell0 | wc -l`), fmt.Sprintf("%d\n", rounds))
		eq(t, "stat", e.sh(`stat -c %s $M/0/tcp0`), fmt.Sprintf("%d\n", 2*appends[0]))
	})
}

// TestUnmountWhileOpen unmounts with files open and a reader blocked; the
// server keeps serving TCP, and the open files fail cleanly.
func TestUnmountWhileOpen(t *testing.T) {
	e := newEnv(t, Options{})
	cl := e.client()
	cl.str("SET", "k", "v")
	cmd := exec.CommandContext(e.ctx, "sh", "-c", `exec 3<$M/0/k 4<>$M/ctl; printf 'INCR n\n' >&4; echo ready; sleep 2; cat <&3; cat <&4`)
	cmd.Env = append(os.Environ(), "M="+e.mnt)
	cmd.Dir = e.work
	stdout, _ := cmd.StdoutPipe()
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	buf := make([]byte, 6)
	if _, err := stdout.Read(buf); err != nil {
		t.Fatal(err)
	}
	if err := e.fsys.Unmount(); err != nil {
		t.Fatalf("unmount with open files: %v", err)
	}
	eq(t, "PING", cl.str("PING"), "PONG")
	eq(t, "GET", cl.str("GET", "k"), "v")
	// The mount point is gone from the namespace at once.
	if out, err := exec.Command("sh", "-c", "ls "+e.mnt).CombinedOutput(); err != nil || len(out) != 0 {
		t.Errorf("mount point after unmount: %v %q", err, out)
	}
	cmd.Wait()
	eq(t, "PING after", cl.str("PING"), "PONG")
	eq(t, "INCR ran", cl.str("GET", "n"), "1")
}

// TestLongReads: a tail -f of info runs while other readers are killed in
// the middle of reads; the loop stays responsive throughout.
func TestLongReads(t *testing.T) {
	needTool(t, "timeout", "tail")
	e := newEnv(t, Options{})
	cl := e.client()
	cl.str("SET", "big", strings.Repeat("x", 1<<20))
	tail := exec.CommandContext(e.ctx, "tail", "-f", "-n", "3", filepath.Join(e.mnt, "info"))
	tail.Dir = e.work
	var tailOut strings.Builder
	tail.Stdout = &tailOut
	if err := tail.Start(); err != nil {
		t.Fatal(err)
	}
	for i := 0; i < 5; i++ {
		out := e.sh(`cat $M/0/big > /dev/null & pid=$!; sleep 0.05; kill -9 $pid; wait $pid; timeout -s KILL 0.1 cat $M/0/big >/dev/null; echo done`)
		eq(t, "killed readers", out, "done\n")
		eq(t, "PING", cl.str("PING"), "PONG")
	}
	time.Sleep(1500 * time.Millisecond)
	eq(t, "PING", cl.str("PING"), "PONG")
	eq(t, "cat", e.sh(`cat $M/0/big | wc -c`), "1048576\n")
	tail.Process.Signal(syscall.SIGKILL)
	tail.Wait()
	if !strings.Contains(tailOut.String(), "\r\n") {
		t.Errorf("tail -f info printed %q", tailOut.String())
	}
}

// TestCollections checks that hashes, sets and sorted sets show as
// directories and lists as files (coll_test.go writes them).
func TestCollections(t *testing.T) {
	needTool(t, "getfattr")
	e := newEnv(t, Options{})
	cl := e.client()
	if cl.hasCommand("hset") {
		cl.str("HSET", "h", "f1", "v1", "f/2", "v2")
		eq(t, "hash dir", e.sh(`stat -c %F $M/0/h; ls $M/0/h`), "directory\nf%2F2\nf1\n")
		eq(t, "hash field", e.sh(`cat $M/0/h/f1 $M/0/h/f%2F2`), "v1v2")
		eq(t, "hash type", e.sh(`getfattr --only-values -n user.redis.type $M/0/h`), "hash")
		e.sh(`echo x > $M/0/h/f1`)
		eq(t, "hash field written", cl.str("HGET", "h", "f1"), "x\n")
		if _, err := e.shErr(`echo x > $M/0/h`); err == nil {
			t.Error("wrote over a hash")
		}
		cl.str("HSET", "h", "f3", "v3")
		eq(t, "hash after HSET", e.sh(`ls $M/0/h`), "f%2F2\nf1\nf3\n")
	}
	if cl.hasCommand("sadd") {
		cl.str("SADD", "s", "a", "b")
		eq(t, "set dir", e.sh(`stat -c %F $M/0/s; ls $M/0/s; stat -c %s $M/0/s/a`), "directory\na\nb\n0\n")
	}
	if cl.hasCommand("zadd") {
		cl.str("ZADD", "z", "3", "c", "1", "a", "2", "b")
		eq(t, "zset order", e.sh(`ls -U $M/0/z | grep -v '^\.'`), "a\nb\nc\n")
		eq(t, "zset score", e.sh(`cat $M/0/z/b`), "2")
	}
	if cl.hasCommand("rpush") {
		cl.str("RPUSH", "l", "one", "two")
		eq(t, "list file", e.sh(`stat -c '%F %s' $M/0/l; cat $M/0/l`), "regular file 8\none\ntwo\n")
		e.sh(`echo x >> $M/0/l`)
		eq(t, "list pushed", cl.str("RPOP", "l"), "x")
	}
	// A string key read as a directory, and the reverse.
	cl.str("SET", "str", "v")
	if _, err := e.shErr(`ls $M/0/str/x`); err == nil {
		t.Error("a string key is a directory")
	}
}

// TestStaleMount leaves a mount whose server died and mounts again over it.
func TestStaleMount(t *testing.T) {
	needFuse(t)
	if os.Geteuid() != 0 {
		t.Skip("needs root to make a stale mount")
	}
	bin := redistest.BuildRedisfs(t)
	dir := filepath.Join(t.TempDir(), "mnt")
	cmd := exec.Command(bin, "serve", "--port", "0", "--save", "", "--appendonly", "no", "--mount", dir)
	out1 := &redistest.LogBuffer{}
	cmd.Stdout, cmd.Stderr = out1, out1
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	// Kill it only once Mount has returned: go-fuse opens and closes a
	// file of the new mount while mounting, and a process killed in that
	// close waits forever for its own (dead) server.
	eventually(t, settle, func() string {
		if !strings.Contains(out1.String(), "Keyspace mounted") {
			return "not mounted: " + out1.String()
		}
		return ""
	})
	cmd.Process.Kill()
	cmd.Wait()
	if _, err := os.Stat(dir); err == nil || !strings.Contains(err.Error(), "not connected") {
		t.Fatalf("expected a stale mount, stat says %v", err)
	}
	cmd2 := exec.Command(bin, "serve", "--port", "0", "--save", "", "--appendonly", "no", "--mount", dir)
	out := &redistest.LogBuffer{}
	cmd2.Stdout, cmd2.Stderr = out, out
	if err := cmd2.Start(); err != nil {
		t.Fatal(err)
	}
	eventually(t, settle, func() string {
		if !strings.Contains(out.String(), "Keyspace mounted") {
			return "not mounted after restart: " + out.String()
		}
		if _, err := os.Stat(filepath.Join(dir, "ctl")); err != nil {
			return "no mount after restart: " + err.Error() + "\n" + out.String()
		}
		return ""
	})
	cmd2.Process.Signal(syscall.SIGTERM)
	cmd2.Wait()
	if st := cmd2.ProcessState; st == nil || st.ExitCode() != 0 {
		t.Errorf("exit after SIGTERM: %v\n%s", st, out.String())
	}
	if _, err := os.Stat(filepath.Join(dir, "ctl")); err == nil {
		t.Error("still mounted after SIGTERM")
	}
	if !strings.Contains(out.String(), "Unmounted") {
		t.Errorf("log: %s", out.String())
	}
}

// TestMain removes the executables redistest.Build made for the tests.
func TestMain(m *testing.M) {
	redistest.Main(m)
}

// TestScenarioScript runs scripts/fs-scenario.sh, the user-runnable
// scenario (it builds and starts redisfs as a separate process).
func TestScenarioScript(t *testing.T) {
	needFuse(t)
	if testing.Short() {
		t.Skip("builds and runs the server")
	}
	if _, err := exec.LookPath("redis-cli"); err != nil {
		t.Skip("no redis-cli")
	}
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	out, err := exec.CommandContext(ctx, "sh", "../scripts/fs-scenario.sh").CombinedOutput()
	if err != nil {
		t.Fatalf("%v\n%s", err, out)
	}
	if !strings.Contains(string(out), " 0 failed") {
		t.Errorf("%s", out)
	}
}

// TestCatJobs checks the cost model: `cat dir/*` over many small keys
// takes about one job per SCAN batch (a listing fetches types, sizes and
// small values; READDIRPLUS and the reads are answered from that), not a
// job per file — cold, and warm.
//
// What the count measures is the file server, so the test keeps the
// kernel from adding jobs of its own doing. The kernel asks again (a
// LOOKUP, a job) for every entry it no longer holds, and it lets go of
// entries for two reasons that have nothing to do with the file server:
// the entry timeout runs out (10 s by default: a loaded machine took
// longer than that between the listing of the glob and cat's last open,
// and failed with "651 jobs for 1000 files"), and memory pressure
// reclaims unused dentries (with `echo 2 > /proc/sys/vm/drop_caches`
// repeated meanwhile, every file cost a job). So the timeout here is an
// hour, and a background process holds every file open, which pins its
// dentry and inode. The kernel's page cache is not pinned, and need not
// be: a read of a page it dropped is served from the value the last
// listing fetched, without a job.
func TestCatJobs(t *testing.T) {
	needTool(t, "bash")
	e := newEnv(t, Options{CacheTimeout: time.Hour})
	cl := e.client()
	const n = 1000
	const maxJobs = n / 100 // a few SCAN batches of 256
	for i := 0; i < n; i += 250 {
		args := []string{"MSET"}
		for j := i; j < i+250; j++ {
			args = append(args, "key:"+strconv.Itoa(j), "value:"+strconv.Itoa(j)+"\n")
		}
		cl.do(args...)
	}
	// A listing costs a job per batch, whatever the kernel keeps.
	e.fsys.jobs.Store(0)
	eq(t, "ls", e.sh(`ls -f $M/0 | wc -l`), fmt.Sprintf("%d\n", n+2))
	if jobs := e.fsys.jobs.Load(); jobs > maxJobs {
		t.Errorf("listing: %d jobs for %d files", jobs, n)
	}
	// Pin the entries: open each file (an open for reading costs no
	// job and reads nothing, so the first cat is still the first read).
	// (bash keeps the descriptors itself: it opens them close-on-exec.)
	holder := e.bg(`exec bash -c '
		ulimit -n 4096 || exit 1
		for f in "$M"/0/*; do exec {fd}<"$f" || exit 1; done
		trap "kill \$!; exit" TERM
		echo ready
		sleep 600 & wait $!'`)
	holder.waitOutput("ready\n")
	for round := 0; round < 2; round++ {
		e.fsys.jobs.Store(0)
		out := e.sh(`cat $M/0/* | wc -l`)
		eq(t, "lines", out, fmt.Sprintf("%d\n", n))
		if jobs := e.fsys.jobs.Load(); jobs > maxJobs {
			t.Errorf("round %d: %d jobs for %d files", round, jobs, n)
		}
	}
	// A change is still seen by the next cat.
	cl.str("SET", "key:7", "changed\n")
	eq(t, "after SET", e.sh(`cat $M/0/key:7`), "changed\n")
}
