package persist_test

import (
	"bufio"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/redisfs/redisfs/core/proto"
	"github.com/redisfs/redisfs/core/redistest"
)

// startProcess starts cmd/redisfs as a process of its own (to kill it) on
// dir with the config file conf.
func startProcess(t *testing.T, dir string, conf string) *redistest.Process {
	t.Helper()
	bin := redistest.BuildRedisfs(t)
	confPath := filepath.Join(dir, "redisfs.conf")
	if err := os.WriteFile(confPath, []byte(conf), 0o644); err != nil {
		t.Fatal(err)
	}
	return redistest.StartProcess(t, dir, 0, bin, "serve", "--port", redistest.PortArg, "--dir", filepath.Join(dir, "data"), confPath)
}

// writer is one client of the crash test and what it was told was done.
type writer struct {
	id      int
	counter atomic.Int64 // last acknowledged INCR result
	sets    atomic.Int64 // SET key:w:i acknowledged for every i < sets
	pushes  atomic.Int64 // RPUSH acknowledged
	hsets   atomic.Int64 // HSET acknowledged for fields < hsets
}

func (w *writer) run(addr string, stop *atomic.Bool) {
	nc, err := net.Dial("tcp", addr)
	if err != nil {
		return
	}
	defer nc.Close()
	br := bufio.NewReader(nc)
	call := func(args ...string) (proto.Reply, bool) {
		if _, err := nc.Write(redistest.Command(args...)); err != nil {
			return proto.Reply{}, false
		}
		var buf []byte
		for {
			line, err := br.ReadSlice('\n')
			buf = append(buf, line...)
			if err != nil {
				return proto.Reply{}, false
			}
			r, n, err := proto.ReadReply(buf)
			if err == nil && n > 0 {
				return r, r.Type != '-'
			}
		}
	}
	for i := 0; !stop.Load(); i++ {
		id := strconv.Itoa(w.id)
		switch i % 4 {
		case 0:
			r, ok := call("INCR", "counter:"+id)
			if !ok {
				return
			}
			w.counter.Store(r.Int)
		case 1:
			n := w.sets.Load()
			if _, ok := call("SET", "key:"+id+":"+strconv.FormatInt(n, 10), "v"+strconv.FormatInt(n, 10)); !ok {
				return
			}
			w.sets.Add(1)
		case 2:
			if _, ok := call("RPUSH", "list:"+id, strconv.Itoa(i)); !ok {
				return
			}
			w.pushes.Add(1)
		case 3:
			n := w.hsets.Load()
			if _, ok := call("HSET", "hash:"+id, "f"+strconv.FormatInt(n, 10), "x"); !ok {
				return
			}
			w.hsets.Add(1)
		}
	}
}

// crashRun writes from several clients, kills the server with SIGKILL in
// the middle, restarts it on the same files and returns the writers and a
// connection to the restarted server.
func crashRun(t *testing.T, conf, restartConf string, d time.Duration, mid func(addr string), afterKill func()) ([]*writer, *redistest.Conn, *redistest.Process) {
	dir := t.TempDir()
	p := startProcess(t, dir, conf)
	var stop atomic.Bool
	var wg sync.WaitGroup
	ws := make([]*writer, 4)
	for i := range ws {
		ws[i] = &writer{id: i}
		wg.Add(1)
		go func(w *writer) { defer wg.Done(); w.run(p.Addr, &stop) }(ws[i])
	}
	time.Sleep(d / 2)
	if mid != nil {
		mid(p.Addr)
	}
	time.Sleep(d / 2)
	p.Kill() // SIGKILL while the writers are in flight
	stop.Store(true)
	wg.Wait()
	if afterKill != nil {
		afterKill()
	}
	p2 := startProcess(t, dir, restartConf)
	return ws, redistest.Dial(t, p2.Addr), p2
}

// fileWriter writes keys through the mount: each file fkey:N holds fv:N,
// acknowledged once close(2) returned.
func mountWriter(mnt string, acked *atomic.Int64, stop *atomic.Bool) {
	for n := int64(0); !stop.Load(); n++ {
		path := filepath.Join(mnt, "0", "fkey:"+strconv.FormatInt(n, 10))
		if err := os.WriteFile(path, []byte("fv:"+strconv.FormatInt(n, 10)), 0o644); err != nil {
			return
		}
		acked.Store(n + 1)
	}
}

// With appendfsync always, every acknowledged write survives kill -9 —
// writes over TCP and through the mount (a file write is acknowledged when
// close(2) returns) — also across a BGREWRITEAOF and a BGSAVE running at
// the time.
func TestCrashAlways(t *testing.T) {
	conf := "appendonly yes\nappendfsync always\nsave \"\"\n"
	var mountAcked atomic.Int64
	var stopMount atomic.Bool
	mountDone := make(chan struct{})
	mnt := ""
	if _, err := os.Stat("/dev/fuse"); err == nil && os.Getenv("PERSIST_NO_MOUNT") == "" {
		mnt = t.TempDir()
		t.Cleanup(func() { exec.Command("fusermount", "-u", "-z", mnt).Run() })
	}
	restart := conf
	if mnt != "" {
		conf += "mount " + mnt + "\n"
	}
	ws, c, p := crashRun(t, conf, restart, 1500*time.Millisecond, func(addr string) {
		if mnt != "" {
			go func() { defer close(mountDone); mountWriter(mnt, &mountAcked, &stopMount) }()
		}
		ac := redistest.Dial(t, addr)
		ac.Do("BGREWRITEAOF")
		ac.Do("BGSAVE")
	}, func() {
		if mnt != "" {
			stopMount.Store(true)
			<-mountDone
			exec.Command("fusermount", "-u", "-z", mnt).Run()
		}
	})
	if mnt != "" {
		for i := int64(0); i < mountAcked.Load(); i++ {
			k := "fkey:" + strconv.FormatInt(i, 10)
			if v := string(do(t, c, "GET", k).Str); v != "fv:"+strconv.FormatInt(i, 10) {
				t.Fatalf("%s = %q after the crash, though its close(2) returned", k, v)
			}
		}
		t.Logf("%d file writes through the mount, all there after kill -9", mountAcked.Load())
	}
	total := int64(0)
	for _, w := range ws {
		id := strconv.Itoa(w.id)
		acked := w.counter.Load()
		got, _ := strconv.ParseInt(string(do(t, c, "GET", "counter:"+id).Str), 10, 64)
		// The write in flight at the kill may or may not be there.
		if got < acked || got > acked+1 {
			t.Errorf("counter:%s = %d, acknowledged %d", id, got, acked)
		}
		for i := int64(0); i < w.sets.Load(); i++ {
			k := "key:" + id + ":" + strconv.FormatInt(i, 10)
			if v := string(do(t, c, "GET", k).Str); v != "v"+strconv.FormatInt(i, 10) {
				t.Fatalf("%s = %q after the crash, acknowledged", k, v)
			}
		}
		if n := do(t, c, "LLEN", "list:"+id).Int; n < w.pushes.Load() || n > w.pushes.Load()+1 {
			t.Errorf("list:%s has %d elements, %d acknowledged", id, n, w.pushes.Load())
		}
		if n := do(t, c, "HLEN", "hash:"+id).Int; n < w.hsets.Load() || n > w.hsets.Load()+1 {
			t.Errorf("hash:%s has %d fields, %d acknowledged", id, n, w.hsets.Load())
		}
		total += acked + w.sets.Load() + w.pushes.Load() + w.hsets.Load()
	}
	if total < 100 {
		t.Errorf("only %d writes acknowledged: the test did not test much", total)
	}
	t.Logf("%d acknowledged writes, all there after kill -9", total)
	if b := p.Log.String(); !strings.Contains(b, "DB loaded from append only file") {
		t.Errorf("restart log:\n%s", b)
	}
}

// With appendfsync everysec, the files still load after kill -9 and at
// most the last couple of seconds are missing.
func TestCrashEverysec(t *testing.T) {
	conf := "appendonly yes\nappendfsync everysec\n"
	ws, c, _ := crashRun(t, conf, conf, time.Second, nil, nil)
	for _, w := range ws {
		id := strconv.Itoa(w.id)
		acked := w.counter.Load()
		got, _ := strconv.ParseInt(string(do(t, c, "GET", "counter:"+id).Str), 10, 64)
		if got > acked+1 {
			t.Errorf("counter:%s = %d, more than the %d acknowledged", id, got, acked)
		}
		t.Logf("counter:%s: %d of %d acknowledged increments survived", id, got, acked)
	}
}
