package fs

import (
	"bufio"
	"bytes"
	"encoding/binary"
	"fmt"
	"io"
	"math"
	"os/exec"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"syscall"
	"testing"
	"time"

	"github.com/redisfs/redisfs/core/proto"
	"github.com/redisfs/redisfs/core/redistest"
)

// The transcripts of testdata/*.txt (see redistest.ParseTranscript) are
// replayed here a second way: every command goes to a real redis-server
// over TCP, whose raw reply is rendered as redis-cli prints it when its
// output is not a terminal (proto.AppendCLI, without the final newline for
// the commands redis-cli prints raw), and to our server through ONE ctl
// conversation held open for the whole transcript. The two texts must be
// byte-identical, and a write whose command got an error reply must fail
// with EINVAL (ERR) or EIO (any other code).
//
// The conversation is held by a helper process, fs/internal/ctlhelper,
// built once per run (without the race detector: it is not the code under
// test, and it starts and runs faster so). The test process never opens a
// file on the mount itself (see env_test.go). The helper opens ctl
// read-write and, for every step, writes the step's bytes to ctl in one
// write and reads the reply text back; it answers with the write's errno
// and the text.
//
// Each transcript runs twice, on fresh servers each time (a new
// redis-server, a new server with its own mount): first with every command
// sent as RESP multibulk, with the arguments the TCP path sends, then as the
// inline line of the transcript itself, to Redis as to ctl.
//
// No step is skipped: blocking commands (with timeouts or data at hand),
// RESP2 and RESP3 subscriptions with messages to oneself, keyspace
// notifications, HELLO, RESET, MULTI and the CLIENT subcommands of the
// transcripts all read the same through ctl. The modes compare the text:
// !sorted as a multiset of lines, !approx line by line with numbers within
// a relative 1e-9, !any only whether both are errors. The one tolerance of
// its own: readings of a clock in seconds may differ by one (clockTick).

// ctlStepTimeout bounds one step through ctl: a reply that never comes
// fails the transcript instead of hanging the run.
const ctlStepTimeout = 10 * time.Second

func TestTranscriptsCtl(t *testing.T) {
	needFuse(t)
	files, err := filepath.Glob(filepath.Join(redistest.RepoRoot(t), "testdata", "*.txt"))
	if err != nil {
		t.Fatal(err)
	}
	if len(files) == 0 {
		t.Fatal("no testdata/*.txt transcripts found")
	}
	helper := buildCtlHelper(t)
	// The steps wait on I/O mostly (two servers, the helper, the
	// kernel): more transcripts run at once than -parallel allows.
	var steps atomic.Int64
	sem := make(chan struct{}, ctlParallel)
	var wg sync.WaitGroup
	for _, path := range files {
		name := strings.TrimSuffix(filepath.Base(path), ".txt")
		for _, inline := range []bool{false, true} {
			sub := name + "/resp"
			if inline {
				sub = name + "/inline"
			}
			wg.Add(1)
			go func() {
				defer wg.Done()
				sem <- struct{}{}
				defer func() { <-sem }()
				t.Run(sub, func(t *testing.T) {
					st, err := redistest.ParseTranscript(path)
					if err != nil {
						t.Fatal(err)
					}
					steps.Add(int64(runCtlTranscript(t, helper, st, inline)))
				})
			}()
		}
	}
	wg.Wait()
	t.Logf("%d transcripts, %d steps through ctl (both passes)", len(files), steps.Load())
}

// ctlParallel is how many transcripts run at once.
const ctlParallel = 6

// runCtlTranscript replays steps on a fresh redis-server and a fresh mount
// and returns how many steps it compared. Each step goes to both at once,
// as redistest.CompareTranscript sends it to both in turn: replies that
// depend on the time (TTL of an absolute expire) stay comparable.
func runCtlTranscript(t *testing.T, helper string, steps []redistest.Step, inline bool) int {
	ref := redistest.Dial(t, redistest.StartRedis(t))
	e := newEnv(t, Options{})
	h := startCtlHelper(t, helper, filepath.Join(e.mnt, "ctl"))
	// As redistest.CompareTranscript: a FLUSHALL on both first.
	if r := ref.Do("FLUSHALL"); string(r) != "+OK\r\n" {
		t.Fatalf("FLUSHALL on redis-server replied %q", r)
	}
	if res, err := h.do(redistest.Command("FLUSHALL"), 3); err != nil || res.text != "OK\n" {
		t.Fatalf("FLUSHALL through ctl: %q %v", res.text, err)
	}
	// subs counts the conversation's subscriptions, as the reference
	// server's (un)subscribe replies report them: while it has some, ctl
	// stays pending and never says end of file.
	var subs, shardSubs int64
	for i, st := range steps {
		req, refReq := redistest.Command(st.Args...), []byte(nil)
		if inline {
			req, refReq = []byte(st.Text+"\n"), []byte(st.Text+"\r\n")
		}
		if err := h.send(req); err != nil {
			t.Fatalf("%s: %v", st, err)
		}
		if refReq == nil {
			refReq = req
		}
		replies, err := exchangeRef(ref, refReq)
		if err != nil {
			t.Fatalf("%s: redis-server: %v", st, err)
		}
		raw := cliRawOutput(byteArgs(st.Args))
		var want []byte
		var wantErrno syscall.Errno
		for _, r := range replies {
			rep, _, _ := proto.ReadReply(r)
			if rep.Type == '-' && wantErrno == 0 {
				wantErrno = syscall.EIO
				if errCode(rep.Str) == "ERR" {
					wantErrno = syscall.EINVAL
				}
			}
			countSubscriptions(&rep, &subs, &shardSubs)
			want = proto.AppendCLI(want, &rep)
			if raw {
				want = want[:len(want)-1]
			}
		}
		if len(st.Args) > 0 && strings.EqualFold(st.Args[0], "RESET") {
			subs, shardSubs = 0, 0
		}
		res, err := h.finish(len(want), subs == 0 && shardSubs == 0)
		if err != nil {
			t.Errorf("%s\n    redis: %q\n    ctl:   %q (%v)", st, want, res.text, err)
			t.Errorf("%s: the rest of %s is skipped", st, st.File)
			return i
		}
		same := ctlTextEqual(st.Mode, string(want), res.text, wantErrno != 0, res.errno != 0)
		if !same && clockTick(st.Args, string(want), res.text) {
			t.Logf("%s: a second ticked between the servers: redis %q, ctl %q", st, want, res.text)
			same = true
		}
		if !same {
			t.Errorf("%s\n    redis: %q\n    ctl:   %q", st, want, res.text)
		}
		if res.errno != wantErrno {
			t.Errorf("%s: the write failed with %q (%d), want %q (%d); text %q", st, res.errno, res.errno, wantErrno, wantErrno, res.text)
		}
	}
	return len(steps)
}

// countSubscriptions updates the subscription counts from a reply of the
// reference server: an (un)subscribe confirmation carries the count left;
// EXEC's reply holds those of the transaction.
func countSubscriptions(rep *proto.Reply, subs, shardSubs *int64) {
	if rep.Type != '*' && rep.Type != '>' {
		return
	}
	if len(rep.Elems) != 3 || rep.Elems[2].Type != ':' {
		for i := range rep.Elems {
			countSubscriptions(&rep.Elems[i], subs, shardSubs)
		}
		return
	}
	switch strings.ToLower(string(rep.Elems[0].Str)) {
	case "subscribe", "unsubscribe", "psubscribe", "punsubscribe":
		*subs = rep.Elems[2].Int
	case "ssubscribe", "sunsubscribe":
		*shardSubs = rep.Elems[2].Int
	}
}

// clockTick reports whether want and got are the integer replies of a
// command that reads a clock in seconds (TTL, EXPIRETIME, OBJECT
// IDLETIME), one apart. A step through ctl takes a few kernel round trips,
// far longer than over TCP, so such a reading made some steps after the
// clock was set (expire.txt sets a TTL 23 steps before reading it) may fall
// on either side of a second; Redis's LRU clock, moreover, ticks in its
// cron, at a phase of its own on each server.
func clockTick(args []string, want, got string) bool {
	name := strings.ToLower(args[0])
	if len(args) > 1 && name == "object" {
		name += " " + strings.ToLower(args[1])
	}
	switch name {
	case "ttl", "expiretime", "object idletime":
	default:
		return false
	}
	a, errA := strconv.ParseInt(strings.TrimSuffix(want, "\n"), 10, 64)
	b, errB := strconv.ParseInt(strings.TrimSuffix(got, "\n"), 10, 64)
	return errA == nil && errB == nil && (a-b == 1 || b-a == 1)
}

func byteArgs(args []string) [][]byte {
	b := make([][]byte, len(args))
	for i, a := range args {
		b[i] = []byte(a)
	}
	return b
}

// exchangeRef sends req to redis-server and returns its first reply and
// any further ones received with it (SUBSCRIBE a b replies twice), as
// redistest.CompareTranscript does.
func exchangeRef(c *redistest.Conn, req []byte) ([][]byte, error) {
	if err := c.TryWrite(req); err != nil {
		return nil, err
	}
	r, err := c.TryReadReply()
	if err != nil {
		return nil, err
	}
	out := [][]byte{r}
	for {
		r, ok := c.Buffered()
		if !ok {
			return out, nil
		}
		out = append(out, r)
	}
}

// ctlTextEqual compares the rendered replies of a step under the
// transcript's mode, on text: !sorted compares the lines as multisets
// (the elements of a flat array are its lines), !approx compares line by
// line with numbers within a relative 1e-9, and !any, which compares RESP
// types on the wire, only requires both or neither to be errors (errWant,
// errGot: an error reply, or a failed write).
func ctlTextEqual(mode redistest.Mode, want, got string, errWant, errGot bool) bool {
	switch mode {
	case redistest.Sorted:
		a, b := strings.Split(want, "\n"), strings.Split(got, "\n")
		slices.Sort(a)
		slices.Sort(b)
		return slices.Equal(a, b)
	case redistest.Approx:
		a, b := strings.Split(want, "\n"), strings.Split(got, "\n")
		if len(a) != len(b) {
			return false
		}
		for i := range a {
			if a[i] == b[i] {
				continue
			}
			fa, errA := strconv.ParseFloat(a[i], 64)
			fb, errB := strconv.ParseFloat(b[i], 64)
			if errA != nil || errB != nil || math.Abs(fa-fb) > 1e-9*math.Max(math.Abs(fa), math.Abs(fb)) {
				return false
			}
		}
		return true
	case redistest.Any:
		return errWant == errGot
	}
	return want == got
}

// ctlHelperProc is a running helper process.
type ctlHelperProc struct {
	cmd     *exec.Cmd
	stdin   io.WriteCloser
	results chan ctlResult
	stderr  bytes.Buffer
}

type ctlResult struct {
	errno syscall.Errno
	text  string
	err   error
}

// buildCtlHelper builds fs/internal/ctlhelper (once per test binary).
func buildCtlHelper(t *testing.T) string {
	t.Helper()
	return redistest.Build(t, "./fs/internal/ctlhelper")
}

// startCtlHelper starts the helper on the ctl file at path; it ends with
// the test, before the mount goes.
func startCtlHelper(t *testing.T, helper, path string) *ctlHelperProc {
	t.Helper()
	h := &ctlHelperProc{results: make(chan ctlResult, 1)}
	h.cmd = exec.Command(helper, path)
	h.cmd.Stderr = &h.stderr
	h.cmd.SysProcAttr = &syscall.SysProcAttr{Pdeathsig: syscall.SIGKILL}
	var err error
	if h.stdin, err = h.cmd.StdinPipe(); err != nil {
		t.Fatal(err)
	}
	stdout, err := h.cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	if err := h.cmd.Start(); err != nil {
		t.Fatal(err)
	}
	go func() {
		rd := bufio.NewReader(stdout)
		for {
			var hdr [8]byte
			if _, err := io.ReadFull(rd, hdr[:]); err != nil {
				h.results <- ctlResult{err: fmt.Errorf("helper: %v", err)}
				return
			}
			text := make([]byte, binary.BigEndian.Uint32(hdr[4:]))
			if _, err := io.ReadFull(rd, text); err != nil {
				h.results <- ctlResult{err: fmt.Errorf("helper: %v", err)}
				return
			}
			h.results <- ctlResult{errno: syscall.Errno(binary.BigEndian.Uint32(hdr[:4])), text: string(text)}
		}
	}()
	// Registered after newEnv's cleanup, so it runs before the unmount.
	t.Cleanup(func() {
		h.stdin.Close()
		exited := make(chan struct{})
		go func() { h.cmd.Wait(); close(exited) }()
		select {
		case <-exited:
		case <-time.After(5 * time.Second):
			h.cmd.Process.Kill()
			<-exited
		}
		if h.stderr.Len() > 0 {
			t.Logf("ctl helper: %s", h.stderr.String())
		}
	})
	return h
}

// send hands the helper the bytes of one step to write to ctl; finish
// then tells it want, the length of the text expected, and whether ctl
// will say end of file, and waits for the result. When eof, the helper
// reads the reply text until ctl says nothing is pending, however long the
// text; otherwise (a subscribed conversation stays pending) it stops once
// it has want bytes and nothing more comes for a moment. The test queries
// redis-server between the two.
func (h *ctlHelperProc) send(req []byte) error {
	var hdr [5]byte
	hdr[0] = 'w'
	binary.BigEndian.PutUint32(hdr[1:], uint32(len(req)))
	_, err := h.stdin.Write(append(hdr[:], req...))
	return err
}

func (h *ctlHelperProc) finish(want int, eof bool) (ctlResult, error) {
	var hdr [5]byte
	hdr[0] = 'n'
	n := uint32(want)
	if eof {
		n |= 1 << 31
	}
	binary.BigEndian.PutUint32(hdr[1:], n)
	if _, err := h.stdin.Write(hdr[:]); err != nil {
		return ctlResult{}, err
	}
	select {
	case res := <-h.results:
		return res, res.err
	case <-time.After(ctlStepTimeout):
		h.cmd.Process.Kill()
		return ctlResult{}, fmt.Errorf("no reply through ctl within %v", ctlStepTimeout)
	}
}

// do is send and finish.
func (h *ctlHelperProc) do(req []byte, want int) (ctlResult, error) {
	if err := h.send(req); err != nil {
		return ctlResult{}, err
	}
	return h.finish(want, true)
}

// TestCliRawOutput checks cliRawOutput against the real redis-cli: the
// commands it prints without the final newline, and near misses, each in a
// form whose reply does not depend on the connection (mostly errors, which
// show the difference best: "ERR x\n" raw, "ERR x\n\n" otherwise).
func TestCliRawOutput(t *testing.T) {
	cli, err := exec.LookPath("redis-cli")
	if err != nil {
		t.Skip("no redis-cli")
	}
	addr := redistest.StartRedis(t)
	_, port, _ := strings.Cut(addr, ":")
	c := redistest.Dial(t, addr)
	for _, args := range [][]string{
		{"INFO", "foo"}, {"info", "keyspace"}, {"INFO", "a", "b"},
		{"LOLWUT", "VERSION", "x"},
		{"DEBUG", "HTSTATS-KEY", "nokey"}, {"debug", "htstats", "x"}, {"DEBUG", "CLIENT-EVICTION", "x"},
		{"DEBUG", "OBJECT", "nokey"},
		{"MEMORY", "DOCTOR", "x"}, {"memory", "malloc-stats", "x"}, {"MEMORY", "USAGE", "nokey"},
		{"CLUSTER", "INFO"}, {"cluster", "nodes"}, {"CLUSTER", "INFO", "x"}, {"CLUSTER", "NODES", "x"},
		{"CLIENT", "LIST", "foo"}, {"client", "info", "x"}, {"CLIENT", "GETNAME"}, {"CLIENT", "NOSUCH"},
		{"LATENCY", "GRAPH", "command"}, {"LATENCY", "GRAPH"}, {"LATENCY", "DOCTOR"}, {"LATENCY", "DOCTOR", "x"},
		{"PROXY", "INFO"}, {"PROXY"}, {"proxy", "info", "x"},
		{"GET", "nokey"}, {"PING"}, {"NOSUCH", "info"},
	} {
		out, err := exec.Command(cli, append([]string{"-p", port}, args...)...).Output()
		if err != nil {
			t.Fatalf("redis-cli %v: %v", args, err)
		}
		rep, _, err := proto.ReadReply(c.Do(args...))
		if err != nil {
			t.Fatal(err)
		}
		want := proto.AppendCLI(nil, &rep)
		if cliRawOutput(byteArgs(args)) {
			want = want[:len(want)-1]
		}
		if string(out) != string(want) {
			t.Errorf("%v: redis-cli printed %q, ctl would print %q", args, out, want)
		}
	}
}
