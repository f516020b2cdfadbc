package fs

import (
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"sync/atomic"
	"syscall"
	"testing"
	"time"
)

// Pub/sub, monitor and clients through the mount, mixed with TCP clients
// and redis-cli. As everywhere in these tests, the mount is driven by
// exec'd tools only.

// bgProc is a shell script running in the background, its standard output
// and error going to a file in the work directory.
type bgProc struct {
	t    testing.TB
	cmd  *exec.Cmd
	out  string
	done chan struct{}
	err  error
}

var bgCount atomic.Int64

// bg starts script in the background ($M and $W set as for sh). It is
// stopped (SIGTERM) at the end of the test if still running.
func (e *env) bg(script string) *bgProc {
	e.t.Helper()
	p := &bgProc{t: e.t, done: make(chan struct{})}
	p.out = filepath.Join(e.work, fmt.Sprintf("bg%d.out", bgCount.Add(1)))
	f, err := os.Create(p.out)
	if err != nil {
		e.t.Fatal(err)
	}
	defer f.Close()
	p.cmd = exec.CommandContext(e.ctx, "sh", "-c", script)
	p.cmd.Dir = e.work
	p.cmd.Env = append(os.Environ(), "M="+e.mnt, "W="+e.work, "LC_ALL=C", "HOME="+e.work)
	p.cmd.Stdout = f
	p.cmd.Stderr = f
	if err := p.cmd.Start(); err != nil {
		e.t.Fatal(err)
	}
	go func() {
		p.err = p.cmd.Wait()
		close(p.done)
	}()
	e.t.Cleanup(func() { p.stop() })
	return p
}

// output returns what the script printed so far.
func (p *bgProc) output() string {
	b, _ := os.ReadFile(p.out)
	return string(b)
}

// stop sends SIGTERM (timeout passes it on to its command) and waits.
func (p *bgProc) stop() {
	select {
	case <-p.done:
		return
	default:
	}
	p.cmd.Process.Signal(syscall.SIGTERM)
	select {
	case <-p.done:
	case <-time.After(10 * time.Second):
		p.t.Errorf("a background script ignored SIGTERM: %s", p.cmd.Args)
		p.cmd.Process.Kill()
		<-p.done
	}
}

// wait waits for the script to end by itself.
func (p *bgProc) wait(d time.Duration) {
	p.t.Helper()
	select {
	case <-p.done:
	case <-time.After(d):
		p.t.Fatalf("a background script did not end: %s\n%s", p.cmd.Args, p.output())
	}
}

// numsub returns PUBSUB NUMSUB of one channel.
func (cl *client) numsub(ch string) string {
	cl.t.Helper()
	r := cl.do("PUBSUB", "NUMSUB", ch)
	if len(r.Elems) != 2 {
		cl.t.Fatalf("PUBSUB NUMSUB %s: %s", ch, replyString(&r))
	}
	return replyString(&r.Elems[1])
}

func (cl *client) waitNumsub(ch, want string) {
	cl.t.Helper()
	eventually(cl.t, settle, func() string {
		if got := cl.numsub(ch); got != want {
			return fmt.Sprintf("PUBSUB NUMSUB %s: got %s, want %s", ch, got, want)
		}
		return ""
	})
}

// waitOutput waits until the script's output is want.
func (p *bgProc) waitOutput(want string) {
	p.t.Helper()
	eventually(p.t, settle, func() string {
		if got := p.output(); got != want {
			return fmt.Sprintf("output: got %q, want %q", clip(got), clip(want))
		}
		return ""
	})
}

func TestPubsubRead(t *testing.T) {
	needTool(t, "redis-cli", "timeout")
	e := newEnv(t, Options{})
	cl := e.client()

	// A reader of pubsub/x receives what redis-cli and a TCP client
	// publish, one payload per line.
	p := e.bg(`exec timeout 30 cat $M/pubsub/x`)
	cl.waitNumsub("x", "1")
	eq(t, "redis-cli PUBLISH", e.sh(`redis-cli -p `+e.port()+` PUBLISH x hello`), "1\n")
	eq(t, "TCP PUBLISH", cl.str("PUBLISH", "x", "world"), "1")
	cl.str("PUBLISH", "other", "not for x")
	p.waitOutput("hello\nworld\n")
	// The subscriber is a client like a connection.
	if l := cl.str("CLIENT", "LIST"); !strings.Contains(l, "/pubsub/x:0") || !strings.Contains(l, "sub=1") {
		t.Errorf("CLIENT LIST: %q", l)
	}
	// Interrupting cat ends it and its subscription.
	p.stop()
	cl.waitNumsub("x", "0")
	eq(t, "loop alive", cl.str("PING"), "PONG")

	// Many messages in a row arrive whole and in order.
	p = e.bg(`exec timeout 30 cat $M/pubsub/many`)
	cl.waitNumsub("many", "1")
	e.sh(`i=0; while [ $i -lt 3000 ]; do i=$((i+1)); echo "PUBLISH many m$i"; done | redis-cli -p ` + e.port() + ` >/dev/null`)
	var want strings.Builder
	for i := 1; i <= 3000; i++ {
		fmt.Fprintf(&want, "m%d\n", i)
	}
	p.waitOutput(want.String())
	p.stop()

	// Channel names are encoded like key names.
	p = e.bg(`exec timeout 30 cat $M/pubsub/a%2Fb`)
	cl.waitNumsub("a/b", "1")
	// Channel files are not listed: a walk of the mount must not wait
	// in one.
	eq(t, "ls pubsub", e.sh(`ls $M/pubsub`), "")
	eq(t, "grep -r over the mount", e.sh(`grep -r -l 'no such text' $M; echo rc=$?`), "rc=1\n")
	cl.str("PUBLISH", "a/b", "slash")
	p.waitOutput("slash\n")
	p.stop()
	eq(t, "ls pubsub, none", e.sh(`ls $M/pubsub`), "")

	// Any name can be opened; a non-canonical one does not exist.
	eq(t, "stat", e.sh(`stat -c %F $M/pubsub/never-used`), "regular empty file\n")
	if out, err := e.shErr(`stat $M/pubsub/%41`); err == nil {
		t.Errorf("a non-canonical channel name: %q", out)
	}
}

func TestPubsubSeveralReaders(t *testing.T) {
	needTool(t, "redis-cli", "timeout")
	e := newEnv(t, Options{})
	cl := e.client()
	pa := e.bg(`exec timeout 30 cat $M/pubsub/a`)
	pb := e.bg(`exec timeout 30 cat $M/pubsub/b`)
	pa2 := e.bg(`exec timeout 30 cat $M/pubsub/a`)
	cl.waitNumsub("a", "2")
	cl.waitNumsub("b", "1")
	for i := 0; i < 3; i++ {
		eq(t, "PUBLISH a", cl.str("PUBLISH", "a", fmt.Sprint("to a ", i)), "2")
		eq(t, "PUBLISH b", cl.str("PUBLISH", "b", fmt.Sprint("to b ", i)), "1")
	}
	pa.waitOutput("to a 0\nto a 1\nto a 2\n")
	pa2.waitOutput("to a 0\nto a 1\nto a 2\n")
	pb.waitOutput("to b 0\nto b 1\nto b 2\n")
	pa.stop()
	cl.waitNumsub("a", "1")
	eq(t, "after one reader left", cl.str("PUBLISH", "a", "still"), "1")
	pa2.waitOutput("to a 0\nto a 1\nto a 2\nstill\n")
}

func TestPubsubWrite(t *testing.T) {
	needTool(t, "redis-cli", "timeout")
	e := newEnv(t, Options{})
	sub := e.client()
	eq(t, "SUBSCRIBE", replyString(ptr(sub.do("SUBSCRIBE", "y"))), "subscribe,y,1")
	expect := func(payloads ...string) {
		t.Helper()
		for _, want := range payloads {
			r, ok := sub.next(settle)
			if !ok {
				t.Fatalf("no message %q", want)
			}
			eq(t, "message", replyString(&r), "message,y,"+want)
		}
	}
	// echo publishes its line without the newline.
	e.sh(`echo msg > $M/pubsub/y`)
	expect("msg")
	// One PUBLISH per line; an unterminated last line at close.
	e.sh(`printf 'l1\nl2\n\nlast' > $M/pubsub/y`)
	expect("l1", "l2", "", "last")
	// Appending and writes in pieces work the same (printf is built into
	// the shell: no other process closes a copy of the descriptor).
	e.sh(`{ printf 'pie'; printf 'ce\nb'; } >> $M/pubsub/y`)
	expect("piece", "b")
	if r, ok := sub.next(200 * time.Millisecond); ok {
		t.Errorf("an extra message: %s", replyString(&r))
	}

	// Opened for reading and writing: a subscriber that hears itself.
	eq(t, "read-write", e.sh(`exec 3<>$M/pubsub/z; echo self >&3; head -1 <&3`), "self\n")

	// Two file readers, one file writer.
	p := e.bg(`exec timeout 30 cat $M/pubsub/y`)
	cl := e.client()
	cl.waitNumsub("y", "2")
	e.sh(`echo both > $M/pubsub/y`)
	expect("both")
	p.waitOutput("both\n")
}

func TestPubsubKilledReader(t *testing.T) {
	needTool(t, "redis-cli", "timeout")
	e := newEnv(t, Options{})
	cl := e.client()
	// A cat killed while blocked in read(2) does not wedge the loop, and
	// its subscription ends when the kernel releases the file.
	out := e.sh(`timeout -s KILL 0.5 cat $M/pubsub/x; echo "rc=$?"`)
	eq(t, "killed reader", out, "rc=137\n")
	eq(t, "loop alive", cl.str("PING"), "PONG")
	cl.waitNumsub("x", "0")
	// Killed after a message, too.
	// (Waiting on the subscription and the message, not on guessed
	// times: a busy machine is slow.)
	out = e.sh(`cat $M/pubsub/x > $W/heard & pid=$!
		until [ "$(redis-cli -p ` + e.port() + ` PUBSUB NUMSUB x | tail -1)" = 1 ]; do sleep 0.05; done
		redis-cli -p ` + e.port() + ` PUBLISH x one >/dev/null
		until grep -q one $W/heard; do sleep 0.05; done
		kill -KILL $pid; wait $pid; echo "rc=$?"; cat $W/heard`)
	eq(t, "killed reader after a message", out, "rc=137\none\n")
	cl.waitNumsub("x", "0")
	eq(t, "loop alive", cl.str("SET", "k", "v"), "OK")
	eq(t, "file side alive", e.sh(`cat $M/0/k`), "v")
}

func TestPubsubSlowReader(t *testing.T) {
	needTool(t, "redis-cli", "timeout")
	e := newEnv(t, Options{})
	cl := e.client()
	eq(t, "limit", cl.str("CONFIG", "SET", "client-output-buffer-limit", "pubsub 256kb 0 0"), "OK")
	slowSubscriber(t, e, cl, `exec 3<$M/pubsub/slow`, "go")
	// A ctl conversation that subscribes is held to the same limit.
	slowSubscriber(t, e, cl, `exec 3<>$M/ctl; echo 'SUBSCRIBE slow' >&3`, "go1")

	// The same holds for a monitor that does not read.
	eq(t, "limit", cl.str("CONFIG", "SET", "client-output-buffer-limit", "pubsub 64kb 0 0"), "OK")
	p := e.bg(`exec 3<$M/monitor; while [ ! -e $W/go2 ]; do sleep 0.05; done; cat <&3; echo "rc=$?"`)
	eventually(t, settle, func() string {
		if !strings.Contains(cl.str("CLIENT", "LIST"), "cmd=monitor") {
			return "no monitor client"
		}
		return ""
	})
	e.sh(`i=0; while [ $i -lt 3000 ]; do i=$((i+1)); echo "SET key$i value$i"; done | redis-cli -p ` + e.port() + ` >/dev/null`)
	eventually(t, settle, func() string {
		if strings.Contains(cl.str("CLIENT", "LIST"), "cmd=monitor") {
			return "the monitor that does not read is still there"
		}
		return ""
	})
	if err := os.WriteFile(filepath.Join(e.work, "go2"), nil, 0o644); err != nil {
		t.Fatal(err)
	}
	p.wait(settle)
	eq(t, "monitor after the limit", p.output(), "rc=0\n")
}

// TestMixedFrontEnds: file writes break WATCH and raise keyspace events
// seen by TCP clients; clients and monitor show what TCP clients do.
func TestMixedFrontEnds(t *testing.T) {
	needTool(t, "redis-cli", "timeout")
	e := newEnv(t, Options{})
	cl := e.client()

	// A WATCH broken by a file write.
	cl.str("SET", "k", "old")
	eq(t, "WATCH", cl.str("WATCH", "k"), "OK")
	e.sh(`echo v > $M/0/k`)
	eq(t, "MULTI", cl.str("MULTI"), "OK")
	eq(t, "queued", cl.str("SET", "k", "x"), "QUEUED")
	if r := cl.do("EXEC"); !r.Null {
		t.Errorf("EXEC after a file write to a watched key: %s", replyString(&r))
	}
	eq(t, "value", cl.str("GET", "k"), "v\n")
	// A watched key the file write does not touch.
	cl.str("WATCH", "k")
	e.sh(`echo v > $M/0/other`)
	cl.str("MULTI")
	cl.str("SET", "k", "x")
	eq(t, "EXEC untouched", cl.str("EXEC"), "OK")

	// A keyspace event for a file write.
	eq(t, "notify", cl.str("CONFIG", "SET", "notify-keyspace-events", "KA"), "OK")
	ps := e.client()
	eq(t, "PSUBSCRIBE", replyString(ptr(ps.do("PSUBSCRIBE", "__key*__:*"))), "psubscribe,__key*__:*,1")
	e.sh(`echo v2 > $M/0/k2`)
	found := false
	for !found {
		r, ok := ps.next(settle)
		if !ok {
			t.Fatal("no keyspace event for the file write")
		}
		found = replyString(&r) == "pmessage,__key*__:*,__keyspace@0__:k2,set"
	}
	cl.str("CONFIG", "SET", "notify-keyspace-events", "")

	// The clients file lists the TCP client (and not the file server's
	// internal clients).
	cl.str("CLIENT", "SETNAME", "tcpclient")
	out := e.sh(`cat $M/clients`)
	if !strings.Contains(out, "name=tcpclient") || strings.Contains(out, "redisfs-fuse") || !strings.HasSuffix(out, "\n") {
		t.Errorf("clients: %q", out)
	}
	if ls := e.sh(`ls $M`); !strings.Contains(ls, "clients\n") || strings.Contains(ls, "monitor\n") || !strings.Contains(ls, "pubsub\n") {
		t.Errorf("ls: %q", ls)
	}
	if out, err := e.shErr(`echo x > $M/clients`); err == nil {
		t.Errorf("clients is writable: %q", out)
	}

	// cat monitor sees a command sent by redis-cli, as redis-cli
	// monitor prints it.
	p := e.bg(`exec timeout 30 cat $M/monitor`)
	eventually(t, settle, func() string {
		if !strings.Contains(cl.str("CLIENT", "LIST"), "cmd=monitor") {
			return "no monitor client"
		}
		return ""
	})
	e.sh(`redis-cli -p ` + e.port() + ` SET mk "m v"`)
	re := regexp.MustCompile(`(?m)^[0-9]+\.[0-9]{6} \[0 127\.0\.0\.1:[0-9]+\] "SET" "mk" "m v"$`)
	eventually(t, settle, func() string {
		if out := p.output(); !re.MatchString(out) {
			return fmt.Sprintf("monitor: %q", clip(out))
		}
		return ""
	})
	if out := p.output(); strings.HasPrefix(out, "OK") {
		t.Errorf("monitor starts with the OK: %q", clip(out))
	}
	p.stop()
	eventually(t, settle, func() string {
		if strings.Contains(cl.str("CLIENT", "LIST"), "cmd=monitor") {
			return "the monitor outlived its reader"
		}
		return ""
	})
}

// TestCtlPubsub: a ctl conversation can subscribe, and its WATCH is broken
// by a file write (MULTI/EXEC in ctl is in TestCtl).
func TestCtlPubsub(t *testing.T) {
	needTool(t, "redis-cli", "timeout")
	e := newEnv(t, Options{})
	out := e.sh(`exec 3<>$M/ctl; echo 'SUBSCRIBE cx' >&3; redis-cli -p ` + e.port() + ` PUBLISH cx hi; timeout 1 cat <&3; true`)
	eq(t, "SUBSCRIBE in ctl", out, "1\nsubscribe\ncx\n1\nmessage\ncx\nhi\n")
	out = e.sh(`exec 3<>$M/ctl; printf 'WATCH w\nMULTI\n' >&3; echo v > $M/0/w; printf 'SET w x\nEXEC\nGET w\n' >&3; cat <&3`)
	eq(t, "WATCH in ctl", out, "OK\nOK\nQUEUED\n\nv\n\n")
}

// slowSubscriber opens a subscriber to "slow" with the shell line open,
// does not read, and checks that the pubsub hard limit disconnects it:
// its messages pile up in the client's buffer until the limit, its reads
// then end (end-of-file), and nothing else is held up.
func slowSubscriber(t *testing.T, e *env, cl *client, open, goFile string) {
	t.Helper()
	p := e.bg(open + `; while [ ! -e $W/` + goFile + ` ]; do sleep 0.05; done; cat <&3 >/dev/null; echo "rc=$?"`)
	cl.waitNumsub("slow", "1")
	payload := strings.Repeat("x", 10000)
	for i := 0; i < 40; i++ {
		cl.str("PUBLISH", "slow", payload)
	}
	cl.waitNumsub("slow", "0")
	eq(t, "loop alive", cl.str("PING"), "PONG")
	if !strings.Contains(e.log.String(), "overcoming of output buffer limits") {
		t.Errorf("no log of the limit:\n%s", e.log.String())
	}
	if err := os.WriteFile(filepath.Join(e.work, goFile), nil, 0o644); err != nil {
		t.Fatal(err)
	}
	p.wait(settle)
	eq(t, "reader after the limit", p.output(), "rc=0\n")
}
