// Command fsxhelper drives a mount with file system calls for fs's tests,
// which must not use the mount they serve themselves (see fs/env_test.go).
//
//	fsxhelper exercise KIND PATH ADDR DB KEY [FIELD] SEED OPS
//
// is a model-based exerciser in the manner of xfstests' fsx: from SEED it
// draws OPS random operations on the file PATH — pwrite, pread, ftruncate,
// truncate(2), writes at lseek(SEEK_END), mmap reads and writes, fsync,
// close and reopen, O_APPEND opens — and checks after every step that the
// file, its stat and fstat, and (after a commit) the key read over TCP at
// ADDR agree with an in-memory model. KIND is "string" (the file of the
// string KEY), "hash" (the file of the hash field FIELD of KEY; no mmap:
// fields are served with direct I/O) or "list" (the list KEY, one element
// per line: whole lines appended through O_APPEND opens and RPUSH over
// TCP, cut at line boundaries by truncate(2), rewritten through O_TRUNC
// opens). On a mismatch it prints the seed and the operations so far and
// exits 1.
//
//	fsxhelper coherence ADDR DIR ROUNDS
//
// checks that the mount is as coherent as a reply: over one TCP
// connection to ADDR it writes a key of database directory DIR (SET,
// APPEND, DEL) and right after each reply — no exec in between — stats,
// reads and lists it through the mount; it prints the stale answers, then
// "stale=N".
//
//	fsxhelper lateattr PATH
//
// reproduces issue 12's data loss: it opens PATH write-only, writes 1000
// bytes at offset 5, prints "written" and waits for a line on standard
// input (meanwhile the test lets the attribute timeout pass and lists the
// directory), then stats PATH, seeks to the end, writes "TAIL" and closes,
// and prints the sizes stat and lseek gave.
package main

import (
	"bufio"
	"bytes"
	"context"
	"fmt"
	"math/rand"
	"os"
	"strconv"
	"strings"

	"github.com/redis/go-redis/v9"
	"golang.org/x/sys/unix"
)

func main() {
	if len(os.Args) < 2 {
		fmt.Fprintln(os.Stderr, "usage: fsxhelper exercise|lateattr ...")
		os.Exit(2)
	}
	switch os.Args[1] {
	case "lateattr":
		lateAttr(os.Args[2])
	case "exercise":
		exercise(os.Args[2:])
	case "coherence":
		coherence(os.Args[2:])
	default:
		fmt.Fprintln(os.Stderr, "fsxhelper: unknown command", os.Args[1])
		os.Exit(2)
	}
}

func die(format string, args ...any) {
	fmt.Fprintf(os.Stderr, "fsxhelper: "+format+"\n", args...)
	os.Exit(1)
}

func lateAttr(path string) {
	fd, err := unix.Open(path, unix.O_WRONLY, 0)
	if err != nil {
		die("open: %v", err)
	}
	if _, err := unix.Pwrite(fd, bytes.Repeat([]byte("X"), 1000), 5); err != nil {
		die("pwrite: %v", err)
	}
	fmt.Println("written")
	if _, err := bufio.NewReader(os.Stdin).ReadString('\n'); err != nil {
		die("stdin: %v", err)
	}
	var st unix.Stat_t
	if err := unix.Stat(path, &st); err != nil {
		die("stat: %v", err)
	}
	end, err := unix.Seek(fd, 0, 2)
	if err != nil {
		die("lseek: %v", err)
	}
	if _, err := unix.Write(fd, []byte("TAIL")); err != nil {
		die("write: %v", err)
	}
	if err := unix.Close(fd); err != nil {
		die("close: %v", err)
	}
	fmt.Printf("stat=%d seek=%d\n", st.Size, end)
}

func coherence(args []string) {
	ctx := context.Background()
	rdb := redis.NewClient(&redis.Options{Addr: args[0], PoolSize: 1})
	defer rdb.Close()
	dir := args[1]
	rounds, _ := strconv.Atoi(args[2])
	stale := 0
	report := func(round int, format string, a ...any) {
		stale++
		fmt.Printf("round %d: %s\n", round, fmt.Sprintf(format, a...))
	}
	listed := func(name string) bool {
		ents, err := os.ReadDir(dir)
		if err != nil {
			die("readdir: %v", err)
		}
		for _, e := range ents {
			if e.Name() == name {
				return true
			}
		}
		return false
	}
	for i := 0; i < rounds; i++ {
		k := "coh" + strconv.Itoa(i%4)
		path := dir + "/" + k
		if err := rdb.Set(ctx, k, "ab", 0).Err(); err != nil {
			die("SET: %v", err)
		}
		// Let the kernel cache the entry, the attributes, the pages.
		if b, err := os.ReadFile(path); err != nil || string(b) != "ab" {
			report(i, "after SET: read %q %v", b, err)
		}
		listed(k)
		if err := rdb.Append(ctx, k, "cd").Err(); err != nil {
			die("APPEND: %v", err)
		}
		if st, err := os.Stat(path); err != nil {
			report(i, "after APPEND: stat: %v", err)
		} else if st.Size() != 4 {
			report(i, "after APPEND: stat size %d", st.Size())
		}
		if b, err := os.ReadFile(path); err != nil || string(b) != "abcd" {
			report(i, "after APPEND: read %q %v", b, err)
		}
		if err := rdb.Del(ctx, k).Err(); err != nil {
			die("DEL: %v", err)
		}
		if listed(k) {
			report(i, "after DEL: listed")
		}
		if _, err := os.Stat(path); err == nil {
			report(i, "after DEL: stat succeeds")
		}
	}
	fmt.Printf("stale=%d\n", stale)
}

// ex is one exerciser run.
type ex struct {
	kind, path string
	key, field string
	rdb        *redis.Client
	ctx        context.Context
	rnd        *rand.Rand
	seed       int64
	log        []string
	fd         int    // the open for reading and writing, or -1
	model      []byte // the file's content as the open sees it
	committed  []byte // the key's value (hash field, list rendering)
	maxSize    int
	lines      int // list: a counter making each element unique
}

func exercise(args []string) {
	if len(args) < 7 {
		die("exercise KIND PATH ADDR DB KEY [FIELD] SEED OPS")
	}
	x := &ex{kind: args[0], path: args[1], key: args[4], fd: -1, maxSize: 48 << 10, ctx: context.Background()}
	db, _ := strconv.Atoi(args[3])
	rest := args[5:]
	if x.kind == "hash" {
		x.field, rest = rest[0], rest[1:]
	}
	x.seed, _ = strconv.ParseInt(rest[0], 10, 64)
	ops, _ := strconv.Atoi(rest[1])
	x.rnd = rand.New(rand.NewSource(x.seed))
	x.rdb = redis.NewClient(&redis.Options{Addr: args[2], DB: db})
	defer x.rdb.Close()

	x.committed = x.tcpValue()
	x.model = append([]byte{}, x.committed...)
	if x.kind == "list" {
		x.runList(ops)
	} else {
		x.runFile(ops)
	}
	fmt.Printf("ok: %d operations, seed %d, final size %d\n", ops, x.seed, len(x.model))
}

// step records an operation for the failure report.
func (x *ex) step(format string, args ...any) {
	x.log = append(x.log, fmt.Sprintf(format, args...))
}

// fail reports a mismatch with the seed and the operations so far.
func (x *ex) fail(format string, args ...any) {
	var b strings.Builder
	fmt.Fprintf(&b, "MISMATCH (kind %s, seed %d, after %d operations): %s\n", x.kind, x.seed, len(x.log), fmt.Sprintf(format, args...))
	b.WriteString("operations:\n")
	for i, l := range x.log {
		fmt.Fprintf(&b, "  %4d %s\n", i+1, l)
	}
	fmt.Fprint(os.Stderr, b.String())
	os.Exit(1)
}

// tcpValue returns the key's value as a client reads it.
func (x *ex) tcpValue() []byte {
	var v string
	var err error
	switch x.kind {
	case "string":
		v, err = x.rdb.Get(x.ctx, x.key).Result()
	case "hash":
		v, err = x.rdb.HGet(x.ctx, x.key, x.field).Result()
	case "list":
		var elems []string
		elems, err = x.rdb.LRange(x.ctx, x.key, 0, -1).Result()
		for _, e := range elems {
			v += e + "\n"
		}
	}
	if err != nil && err != redis.Nil {
		die("tcp: %v", err)
	}
	return []byte(v)
}

func errnoOf(err error) string {
	if err == nil {
		return "ok"
	}
	return err.Error()
}

// checkSizes compares stat(2) of the path and fstat(2) of the open with
// the model.
func (x *ex) checkSizes(what string) {
	var st unix.Stat_t
	if err := unix.Stat(x.path, &st); err != nil {
		x.fail("%s: stat: %v", what, err)
	}
	if st.Size != int64(len(x.model)) {
		x.fail("%s: stat size %d, model %d", what, st.Size, len(x.model))
	}
	if x.fd >= 0 {
		if err := unix.Fstat(x.fd, &st); err != nil {
			x.fail("%s: fstat: %v", what, err)
		}
		if st.Size != int64(len(x.model)) {
			x.fail("%s: fstat size %d, model %d", what, st.Size, len(x.model))
		}
	}
}

// checkContent reads the whole file (through the open, or a new one) and
// compares it with the model.
func (x *ex) checkContent(what string) {
	var got []byte
	if x.fd >= 0 {
		got = make([]byte, len(x.model)+4096)
		n, err := unix.Pread(x.fd, got, 0)
		if err != nil {
			x.fail("%s: pread: %v", what, err)
		}
		got = got[:n]
	} else {
		var err error
		got, err = os.ReadFile(x.path)
		if err != nil {
			x.fail("%s: read: %v", what, err)
		}
	}
	if !bytes.Equal(got, x.model) {
		x.fail("%s: content differs at %d: %d bytes read, model %d", what, firstDiff(got, x.model), len(got), len(x.model))
	}
}

// checkCommitted compares the key over TCP with the model.
func (x *ex) checkCommitted(what string) {
	x.committed = append(x.committed[:0], x.model...)
	got := x.tcpValue()
	if !bytes.Equal(got, x.model) {
		x.fail("%s: over TCP the key differs at %d: %d bytes, model %d", what, firstDiff(got, x.model), len(got), len(x.model))
	}
}

func firstDiff(a, b []byte) int {
	for i := 0; i < len(a) && i < len(b); i++ {
		if a[i] != b[i] {
			return i
		}
	}
	return min(len(a), len(b))
}

func (x *ex) data(n int) []byte {
	b := make([]byte, n)
	for i := range b {
		b[i] = byte('a' + x.rnd.Intn(26))
	}
	return b
}

func (x *ex) open() {
	fd, err := unix.Open(x.path, unix.O_RDWR, 0)
	x.step("open O_RDWR: %s", errnoOf(err))
	if err != nil {
		x.fail("open: %v", err)
	}
	x.fd = fd
}

func (x *ex) close() {
	err := unix.Close(x.fd)
	x.step("close: %s", errnoOf(err))
	x.fd = -1
	if err != nil {
		x.fail("close: %v", err)
	}
	x.checkCommitted("after close")
}

// setModelSize cuts or zero-extends the model.
func (x *ex) setModelSize(n int) {
	if n <= len(x.model) {
		x.model = x.model[:n]
		return
	}
	x.model = append(x.model, make([]byte, n-len(x.model))...)
}

// writeModel applies a write at off.
func (x *ex) writeModel(off int, p []byte) {
	if end := off + len(p); end > len(x.model) {
		x.setModelSize(end)
	}
	copy(x.model[off:], p)
}

// runFile exercises a string or a hash field.
func (x *ex) runFile(ops int) {
	x.open()
	for i := 0; i < ops; i++ {
		if x.fd < 0 {
			x.open()
		}
		what := ""
		switch r := x.rnd.Intn(100); {
		case r < 22: // pwrite
			off := x.rnd.Intn(len(x.model) + 1024)
			p := x.data(1 + x.rnd.Intn(4096))
			if off+len(p) > x.maxSize {
				off = x.rnd.Intn(max(1, x.maxSize-len(p)))
			}
			n, err := unix.Pwrite(x.fd, p, int64(off))
			what = fmt.Sprintf("pwrite off=%d len=%d: %d %s", off, len(p), n, errnoOf(err))
			if err != nil || n != len(p) {
				x.step("%s", what)
				x.fail("pwrite: %d %v", n, err)
			}
			x.writeModel(off, p)
		case r < 34: // pread
			off := x.rnd.Intn(len(x.model) + 100)
			n := 1 + x.rnd.Intn(8192)
			buf := make([]byte, n)
			got, err := unix.Pread(x.fd, buf, int64(off))
			what = fmt.Sprintf("pread off=%d len=%d: %d %s", off, n, got, errnoOf(err))
			x.step("%s", what)
			if err != nil {
				x.fail("pread: %v", err)
			}
			var want []byte
			if off < len(x.model) {
				want = x.model[off:min(len(x.model), off+n)]
			}
			if !bytes.Equal(buf[:got], want) {
				x.fail("pread off=%d: %d bytes differ from the model's %d at %d", off, got, len(want), firstDiff(buf[:got], want))
			}
			what = ""
		case r < 44: // ftruncate
			size := x.rnd.Intn(len(x.model) + 2048)
			size = min(size, x.maxSize)
			err := unix.Ftruncate(x.fd, int64(size))
			what = fmt.Sprintf("ftruncate %d: %s", size, errnoOf(err))
			if err != nil {
				x.step("%s", what)
				x.fail("ftruncate: %v", err)
			}
			x.setModelSize(size)
		case r < 50: // truncate(2) of the path, the open still open
			size := min(x.rnd.Intn(len(x.model)+2048), x.maxSize)
			err := unix.Truncate(x.path, int64(size))
			what = fmt.Sprintf("truncate %d: %s", size, errnoOf(err))
			if err != nil {
				x.step("%s", what)
				x.fail("truncate: %v", err)
			}
			x.setModelSize(size)
		case r < 62: // write at lseek(SEEK_END)
			end, err := unix.Seek(x.fd, 0, 2)
			if err != nil || end != int64(len(x.model)) {
				x.step("lseek SEEK_END: %d %s", end, errnoOf(err))
				x.fail("lseek SEEK_END: %d %v, model size %d", end, err, len(x.model))
			}
			p := x.data(1 + x.rnd.Intn(1024))
			if len(x.model)+len(p) > x.maxSize {
				x.setModelSize(x.maxSize / 2)
				if err := unix.Ftruncate(x.fd, int64(len(x.model))); err != nil {
					x.fail("ftruncate: %v", err)
				}
				x.step("ftruncate %d: ok", len(x.model))
				end, _ = unix.Seek(x.fd, 0, 2)
			}
			n, err := unix.Write(x.fd, p)
			what = fmt.Sprintf("write at SEEK_END (%d) len=%d: %d %s", end, len(p), n, errnoOf(err))
			if err != nil || n != len(p) {
				x.step("%s", what)
				x.fail("write: %d %v", n, err)
			}
			x.writeModel(int(end), p)
		case r < 72: // mmap read and write (strings only)
			if x.kind != "string" || len(x.model) == 0 {
				continue
			}
			what = x.mmapStep()
		case r < 80: // fsync: a commit
			err := unix.Fsync(x.fd)
			x.step("fsync: %s", errnoOf(err))
			if err != nil {
				x.fail("fsync: %v", err)
			}
			x.checkCommitted("after fsync")
		case r < 90: // close and reopen
			x.close()
			x.checkSizes("closed")
			x.checkContent("closed")
			x.open()
		default: // an O_APPEND open of its own, the main open closed
			x.close()
			p := x.data(1 + x.rnd.Intn(512))
			if len(x.model)+len(p) > x.maxSize {
				p = p[:0]
			}
			fd, err := unix.Open(x.path, unix.O_WRONLY|unix.O_APPEND, 0)
			if err == nil {
				_, err = unix.Write(fd, p)
				if cerr := unix.Close(fd); err == nil {
					err = cerr
				}
			}
			x.step("append (O_APPEND open) len=%d: %s", len(p), errnoOf(err))
			if err != nil {
				x.fail("append: %v", err)
			}
			x.model = append(x.model, p...)
			x.checkCommitted("after append")
			x.open()
		}
		if what != "" {
			x.step("%s", what)
		}
		x.checkSizes("after step")
		if i%8 == 0 {
			x.checkContent("after step")
		}
	}
	if x.fd >= 0 {
		x.close()
	}
	x.checkSizes("end")
	x.checkContent("end")
}

// mmapStep maps the file, compares it with the model, changes a few
// bytes through the map and syncs them.
func (x *ex) mmapStep() string {
	size := len(x.model)
	m, err := unix.Mmap(x.fd, 0, size, unix.PROT_READ|unix.PROT_WRITE, unix.MAP_SHARED)
	if err != nil {
		x.step("mmap %d: %s", size, errnoOf(err))
		x.fail("mmap: %v", err)
	}
	if !bytes.Equal(m, x.model) {
		d := firstDiff(m, x.model)
		unix.Munmap(m)
		x.step("mmap %d: read", size)
		x.fail("mmap read differs from the model at %d", d)
	}
	off := x.rnd.Intn(size)
	p := x.data(1 + x.rnd.Intn(min(256, size-off)))
	copy(m[off:], p)
	err = unix.Msync(m, unix.MS_SYNC)
	if uerr := unix.Munmap(m); err == nil {
		err = uerr
	}
	if err != nil {
		x.step("mmap write off=%d len=%d: %s", off, len(p), errnoOf(err))
		x.fail("msync/munmap: %v", err)
	}
	x.writeModel(off, p)
	return fmt.Sprintf("mmap write off=%d len=%d (size %d): ok", off, len(p), size)
}

// runList exercises a list: whole lines only, since the list keeps
// elements, not bytes.
func (x *ex) runList(ops int) {
	for i := 0; i < ops; i++ {
		switch r := x.rnd.Intn(100); {
		case r < 35: // lines pushed through an O_APPEND open, in several writes
			fd, err := unix.Open(x.path, unix.O_WRONLY|unix.O_APPEND, 0)
			if err != nil {
				x.step("open O_APPEND: %s", errnoOf(err))
				x.fail("open: %v", err)
			}
			x.fd = fd
			var pushed []byte
			for k := 1 + x.rnd.Intn(3); k > 0; k-- {
				line := x.line()
				if _, err := unix.Write(fd, line); err != nil {
					x.fail("write: %v", err)
				}
				pushed = append(pushed, line...)
				x.model = append(x.model, line...)
				// The lines written wait in the open: stat and
				// fstat count them.
				x.checkSizes("lines written, not pushed")
			}
			err = unix.Close(fd)
			x.fd = -1
			x.step("push %q through the file: %s", pushed, errnoOf(err))
			if err != nil {
				x.fail("close: %v", err)
			}
			x.checkCommitted("after push")
		case r < 55: // RPUSH over TCP; the mount sees it at once
			line := x.line()
			err := x.rdb.RPush(x.ctx, x.key, string(line[:len(line)-1])).Err()
			x.step("RPUSH %q over TCP: %s", line, errnoOf(err))
			if err != nil {
				x.fail("RPUSH: %v", err)
			}
			x.model = append(x.model, line...)
		case r < 70: // truncate(2) to a line boundary, keeping a line
			n := bytes.Count(x.model, []byte("\n"))
			if n < 2 {
				continue
			}
			keep := 1 + x.rnd.Intn(n-1)
			size := 0
			for k := 0; k < keep; k++ {
				size += bytes.IndexByte(x.model[size:], '\n') + 1
			}
			err := unix.Truncate(x.path, int64(size))
			x.step("truncate %d (%d lines): %s", size, keep, errnoOf(err))
			if err != nil {
				x.fail("truncate: %v", err)
			}
			x.model = x.model[:size]
			x.checkCommitted("after truncate")
		case r < 80: // rewrite through an O_TRUNC open
			fd, err := unix.Open(x.path, unix.O_WRONLY|unix.O_TRUNC, 0)
			if err != nil {
				x.step("open O_TRUNC: %s", errnoOf(err))
				x.fail("open: %v", err)
			}
			var content []byte
			for k := 1 + x.rnd.Intn(4); k > 0; k-- {
				content = append(content, x.line()...)
			}
			_, err = unix.Write(fd, content)
			if cerr := unix.Close(fd); err == nil {
				err = cerr
			}
			x.step("rewrite %q: %s", content, errnoOf(err))
			if err != nil {
				x.fail("rewrite: %v", err)
			}
			x.model = content
			x.checkCommitted("after rewrite")
		default: // read it all through a new open
			x.step("read")
			x.checkContent("read")
		}
		x.checkSizes("after step")
		if len(x.model) > x.maxSize {
			// Keep it small: trim to the last few lines.
			lines := bytes.SplitAfter(x.model, []byte("\n"))
			keep := bytes.Join(lines[len(lines)-4:], nil)
			x.rdb.LTrim(x.ctx, x.key, -3, -1)
			x.step("LTRIM -3 -1 over TCP")
			x.model = append([]byte{}, keep...)
			x.checkSizes("after LTRIM")
		}
	}
	x.checkContent("end")
	x.checkCommitted("end")
}

// line returns a new element's line: unique, of a random length.
func (x *ex) line() []byte {
	x.lines++
	return append(strconv.AppendInt(nil, int64(x.lines), 10), append(append([]byte{':'}, x.data(x.rnd.Intn(80))...), '\n')...)
}
