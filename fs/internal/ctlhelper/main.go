// Command ctlhelper holds one ctl conversation open for fs's transcript
// test (fs/transcript_test.go), which must not open files on the mount it
// serves itself. It opens the ctl file named by its argument read-write and
// serves requests from standard input until end of file.
//
// Requests are frames of a kind byte and a 32-bit big-endian number:
//
//	'w' n, then n bytes   write these bytes to ctl in one write
//	'n' want              the length of the text expected for the last 'w';
//	                      its top bit set: ctl will say end of file
//
// Each 'w' is followed by one 'n'. For each pair the helper answers with
// the write's errno and the length of the text it read (both 32-bit
// big-endian) and the text. When told ctl will say end of file, it reads
// until then (nothing pending), however long the text; when the
// conversation stays pending (subscribed), it stops a moment after it has
// want bytes, so that extra text shows too.
// The 'n' comes separately so that the test can query the reference server
// while ctl is at work.
package main

import (
	"bufio"
	"bytes"
	"encoding/binary"
	"fmt"
	"io"
	"os"
	"sync/atomic"
	"syscall"
	"time"
)

// grace is how long to wait for more text, once the length expected has
// come, from a conversation that stays pending.
const grace = 20 * time.Millisecond

// frame is one request.
type frame struct {
	kind byte
	n    int
	data []byte
}

func main() {
	if len(os.Args) != 2 {
		fmt.Fprintln(os.Stderr, "usage: ctlhelper MOUNT/ctl")
		os.Exit(2)
	}
	os.Exit(run(os.Args[1]))
}

// run serves one conversation.
//
// A reader goroutine reads ctl and hands over what it reads; after end of
// file (nothing pending) it waits to be started again after the next
// write. Reads and writes are pread(2) and pwrite(2), which ctl takes as
// read(2) and write(2) (it ignores offsets): read(2) and write(2) on one
// open file take the kernel's file position lock (the file is shared by
// this process's threads), so a write would wait for a read that waits
// for a message to a subscribed conversation. Each read is tagged with
// the number of writes begun before it: an end of file read before the
// current write began reports the state before it, and is ignored.
func run(path string) int {
	fd, err := syscall.Open(path, syscall.O_RDWR, 0)
	if err != nil {
		fmt.Fprintf(os.Stderr, "open %s: %v\n", path, err)
		return 1
	}
	frames := make(chan frame)
	go func() {
		defer close(frames)
		in := bufio.NewReader(os.Stdin)
		for {
			var hdr [5]byte
			if _, err := io.ReadFull(in, hdr[:]); err != nil {
				return
			}
			f := frame{kind: hdr[0], n: int(binary.BigEndian.Uint32(hdr[1:]))}
			if f.kind == 'w' {
				f.data = make([]byte, f.n)
				if _, err := io.ReadFull(in, f.data); err != nil {
					return
				}
			}
			frames <- f
		}
	}()
	type chunk struct {
		data []byte
		seq  int64
	}
	var writes atomic.Int64
	chunks := make(chan chunk, 16)
	kick := make(chan struct{})
	go func() {
		buf := make([]byte, 1<<20)
		for {
			<-kick
			for {
				seq := writes.Load()
				n, err := syscall.Pread(fd, buf, 0)
				if err == syscall.EINTR {
					continue
				}
				if err != nil {
					fmt.Fprintf(os.Stderr, "read: %v\n", err)
					os.Exit(1)
				}
				chunks <- chunk{bytes.Clone(buf[:n]), seq}
				if n == 0 {
					break
				}
			}
		}
	}()
	parked := true
	out := bufio.NewWriter(os.Stdout)
	for {
		f, ok := <-frames
		if !ok {
			return 0
		}
		if f.kind != 'w' {
			fmt.Fprintf(os.Stderr, "frame %q, want 'w'\n", f.kind)
			return 1
		}
		seq := writes.Add(1)
		var errno syscall.Errno
		for p := f.data; len(p) > 0; {
			n, err := syscall.Pwrite(fd, p, 0)
			if err == syscall.EINTR {
				continue
			}
			if err != nil {
				errno = err.(syscall.Errno)
				break
			}
			p = p[n:]
		}
		if parked {
			parked = false
			kick <- struct{}{}
		}
		var text []byte
		var idle <-chan time.Time
		want, wantCh, haveN := -1, frames, false
		setWant := func(f frame, ok bool) bool {
			if !ok || f.kind != 'n' {
				fmt.Fprintf(os.Stderr, "frame %q, want 'n'\n", f.kind)
				return false
			}
			haveN = true
			want, wantCh = f.n&(1<<31-1), nil
			if f.n&(1<<31) != 0 {
				// The end of file ends the step; no timer.
				want = -1
				return true
			}
			if len(text) >= want {
				idle = time.After(grace)
			}
			return true
		}
	collect:
		for {
			select {
			case c := <-chunks:
				if len(c.data) == 0 {
					parked = true
					if c.seq < seq {
						parked = false
						kick <- struct{}{}
						continue
					}
					break collect
				}
				text = append(text, c.data...)
				if want >= 0 && idle == nil && len(text) >= want {
					idle = time.After(grace)
				}
			case f, ok := <-wantCh:
				if !setWant(f, ok) {
					return 1
				}
			case <-idle:
				break collect
			}
		}
		if !haveN {
			if f, ok := <-frames; !setWant(f, ok) {
				return 1
			}
		}
		var hdr [8]byte
		binary.BigEndian.PutUint32(hdr[:4], uint32(errno))
		binary.BigEndian.PutUint32(hdr[4:], uint32(len(text)))
		out.Write(hdr[:])
		out.Write(text)
		if err := out.Flush(); err != nil {
			return 1
		}
	}
}
