package fs

import (
	"context"
	"os"
	"os/exec"
	"path/filepath"
	"sort"
	"strconv"
	"syscall"
	"testing"
	"time"

	gofs "github.com/hanwen/go-fuse/v2/fs"
	"github.com/hanwen/go-fuse/v2/fuse"
)

// BenchmarkCat10k times `cat DIR/* > /dev/null` over 10,000 small keys
// (an exec'd shell, as a user runs it) through:
//
//	redisfs          this file server, kernel caching with invalidation
//	redisfs-direct   this file server, direct I/O and no kernel caching
//	gofuse-mem       a minimal go-fuse in-memory tree (MemRegularFile
//	                 nodes, go-fuse's default 1s timeouts) with the same bytes
//	tmpfs            the same files on tmpfs
//
// The setups run interleaved, one cat each per iteration, so that a busy
// machine slows them alike; each reports its median wall time (ms) as a
// metric. The warm variant runs back to back (kernel caches as they are
// after the previous cat); the cold one drops the kernel's caches before
// every cat (root only), so every file is looked up, opened and read
// through its server. scripts/fs-bench.sh runs both.
func BenchmarkCat10kWarm(b *testing.B) { benchCat(b, false, catCmd) }

func BenchmarkCat10kCold(b *testing.B) {
	if os.Geteuid() != 0 {
		b.Skip("dropping caches needs root")
	}
	benchCat(b, true, catCmd)
}

// BenchmarkLs10k times `ls -l DIR` over the same 10,000 keys: a listing
// with every file's attributes (READDIRPLUS, or a lookup each).
func BenchmarkLs10kWarm(b *testing.B) { benchCat(b, false, lsCmd) }

func BenchmarkLs10kCold(b *testing.B) {
	if os.Geteuid() != 0 {
		b.Skip("dropping caches needs root")
	}
	benchCat(b, true, lsCmd)
}

const (
	catCmd = `cat "$D"/* > /dev/null`
	lsCmd  = `ls -l "$D" > /dev/null`
)

func benchCat(b *testing.B, cold bool, script string) {
	needFuse(b)
	const n = 10000
	value := func(i int) []byte { return []byte("value:" + strconv.Itoa(i) + "\n") }
	setups := []struct{ name, dir string }{
		{"redisfs", benchRedisfs(b, n, value, Options{})},
		{"redisfs-direct", benchRedisfs(b, n, value, Options{DirectIO: true})},
		{"gofuse-mem", benchMemTree(b, n, value)},
		{"tmpfs", benchTmpfs(b, n, value)},
	}
	times := make([][]time.Duration, len(setups))
	for _, st := range setups {
		runAll(b, st.dir, script) // the first look is not measured
	}
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		for j, st := range setups {
			if cold {
				dropCaches(b)
			}
			start := time.Now()
			runAll(b, st.dir, script)
			times[j] = append(times[j], time.Since(start))
		}
	}
	b.StopTimer()
	for j, st := range setups {
		ts := times[j]
		sort.Slice(ts, func(a, c int) bool { return ts[a] < ts[c] })
		b.ReportMetric(float64(ts[len(ts)/2].Microseconds())/1000, st.name+"-ms")
	}
}

func runAll(b *testing.B, dir, script string) {
	cmd := exec.Command("sh", "-c", script)
	cmd.Env = append(os.Environ(), "D="+dir)
	cmd.Dir = "/"
	if out, err := cmd.CombinedOutput(); err != nil {
		b.Fatalf("%s: %v %s", script, err, out)
	}
}

func dropCaches(b testing.TB) {
	syscall.Sync()
	if err := os.WriteFile("/proc/sys/vm/drop_caches", []byte("3\n"), 0); err != nil {
		if b != nil {
			b.Skip("cannot drop caches:", err)
		}
	}
	// Let the FORGETs reach the servers.
	time.Sleep(50 * time.Millisecond)
}

func benchRedisfs(b *testing.B, n int, value func(int) []byte, opts Options) string {
	e := newEnv(b, opts)
	cl := e.client()
	for i := 0; i < n; i += 500 {
		args := []string{"MSET"}
		for j := i; j < i+500 && j < n; j++ {
			args = append(args, "key:"+strconv.Itoa(j), string(value(j)))
		}
		cl.do(args...)
	}
	return filepath.Join(e.mnt, "0")
}

// memTree is the minimal go-fuse file system to compare with: a directory
// "0" of persistent in-memory files.
type memTree struct {
	gofs.Inode
	n     int
	value func(int) []byte
}

func (r *memTree) OnAdd(ctx context.Context) {
	d := r.NewPersistentInode(ctx, &gofs.Inode{}, gofs.StableAttr{Mode: syscall.S_IFDIR})
	r.AddChild("0", d, false)
	for i := 0; i < r.n; i++ {
		f := d.NewPersistentInode(ctx, &gofs.MemRegularFile{Data: r.value(i), Attr: fuse.Attr{Mode: 0o644}}, gofs.StableAttr{})
		d.AddChild("key:"+strconv.Itoa(i), f, false)
	}
}

func benchMemTree(b *testing.B, n int, value func(int) []byte) string {
	dir := filepath.Join(b.TempDir(), "mem")
	os.MkdirAll(dir, 0o755)
	srv, err := gofs.Mount(dir, &memTree{n: n, value: value}, &gofs.Options{
		MountOptions: fuse.MountOptions{DirectMount: os.Geteuid() == 0},
		EntryTimeout: ptr(time.Second),
		AttrTimeout:  ptr(time.Second),
	})
	if err != nil {
		b.Fatal(err)
	}
	b.Cleanup(func() { srv.Unmount() })
	return filepath.Join(dir, "0")
}

func ptr[T any](v T) *T { return &v }

func benchTmpfs(b *testing.B, n int, value func(int) []byte) string {
	dir := filepath.Join(b.TempDir(), "tmpfs")
	os.MkdirAll(dir, 0o755)
	if os.Geteuid() == 0 {
		if err := syscall.Mount("tmpfs", dir, "tmpfs", 0, ""); err != nil {
			b.Fatal(err)
		}
		b.Cleanup(func() { syscall.Unmount(dir, syscall.MNT_DETACH) })
	} else {
		dir = b.TempDir() // may not be tmpfs; said in the name
	}
	d := filepath.Join(dir, "0")
	os.MkdirAll(d, 0o755)
	for i := 0; i < n; i++ {
		if err := os.WriteFile(filepath.Join(d, "key:"+strconv.Itoa(i)), value(i), 0o644); err != nil {
			b.Fatal(err)
		}
	}
	return d
}
