package redistest

import (
	"bytes"
	"fmt"
	"io"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"
)

// The helpers below are the one copy of what tests of several packages
// need around processes: a buffer a server may log into while the test
// reads it, binaries of this repository built once per test binary, and
// servers (redis-server or redisfs) started as processes of their own.

// LogBuffer collects what a server or a process writes (its log, its
// output) while the test reads it: it is safe for concurrent use. The zero
// value is ready.
type LogBuffer struct {
	mu  sync.Mutex
	buf bytes.Buffer
}

// Write appends p.
func (b *LogBuffer) Write(p []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.Write(p)
}

// String returns everything written so far.
func (b *LogBuffer) String() string {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.String()
}

var builds struct {
	mu   sync.Mutex
	dir  string
	bins map[string]string
	errs map[string]error
}

// Build builds the main package pkg of this module, named by its path from
// the module's root ("./cmd/redisfs", "./fs/internal/ctlhelper"), and
// returns the executable's path. A package is built once per test binary,
// whichever tests ask for it; the executables live in a temporary directory
// that RemoveBuilds removes, so a package whose tests call Build calls
// RemoveBuilds from its TestMain. It is safe for concurrent use.
func Build(t testing.TB, pkg string) string {
	t.Helper()
	builds.mu.Lock()
	defer builds.mu.Unlock()
	if bin, ok := builds.bins[pkg]; ok {
		return bin
	}
	if err, ok := builds.errs[pkg]; ok {
		t.Fatal(err)
	}
	bin, err := build(t, pkg)
	if err != nil {
		if builds.errs == nil {
			builds.errs = map[string]error{}
		}
		builds.errs[pkg] = err
		t.Fatal(err)
	}
	if builds.bins == nil {
		builds.bins = map[string]string{}
	}
	builds.bins[pkg] = bin
	return bin
}

func build(t testing.TB, pkg string) (string, error) {
	if builds.dir == "" {
		dir, err := os.MkdirTemp("", "redistest-bin-")
		if err != nil {
			return "", fmt.Errorf("redistest: %v", err)
		}
		builds.dir = dir
	}
	bin := filepath.Join(builds.dir, strings.ReplaceAll(strings.Trim(pkg, "./"), "/", "-"))
	cmd := exec.Command("go", "build", "-o", bin, pkg)
	cmd.Dir = RepoRoot(t)
	if out, err := cmd.CombinedOutput(); err != nil {
		return "", fmt.Errorf("redistest: go build %s: %v\n%s", pkg, err, out)
	}
	return bin, nil
}

// BuildRedisfs is Build(t, "./cmd/redisfs"): the server's executable.
func BuildRedisfs(t testing.TB) string {
	t.Helper()
	return Build(t, "./cmd/redisfs")
}

// Main runs a package's tests and removes the executables Build made for
// them; a TestMain calls it.
func Main(m *testing.M) {
	code := m.Run()
	RemoveBuilds()
	os.Exit(code)
}

// RemoveBuilds removes the executables Build made. Main calls it after
// m.Run.
func RemoveBuilds() {
	builds.mu.Lock()
	defer builds.mu.Unlock()
	if builds.dir != "" {
		os.RemoveAll(builds.dir)
	}
	builds.dir, builds.bins, builds.errs = "", nil, nil
}

// PortArg stands for the port in the arguments given to StartProcess.
const PortArg = "{port}"

// Process is a server that StartProcess started as a process of its own.
type Process struct {
	Cmd  *exec.Cmd
	Addr string     // "127.0.0.1:P"
	Port int        // P
	Log  *LogBuffer // its standard output and standard error
	done chan struct{}
}

// StartProcess runs the server argv[0] with the arguments argv[1:] in dir,
// every PortArg among them replaced by a port of 127.0.0.1, and waits until
// the server answers PING there (+PONG, or -NOAUTH when it wants a
// password). With port 0 a free port is picked, and another one when the
// server exits before answering (someone else took the port in between);
// otherwise the given one is used. The process is killed when the test
// ends, or with the test binary if that dies first (Pdeathsig). The test
// fails, with the server's output, when it does not answer within 30s.
func StartProcess(t testing.TB, dir string, port int, argv ...string) *Process {
	t.Helper()
	attempts := 1
	if port == 0 {
		attempts = 5
	}
	var p *Process
	for i := 0; i < attempts; i++ {
		pt := port
		if pt == 0 {
			var err error
			if pt, err = freePort(); err != nil {
				t.Fatalf("redistest: no free port: %v", err)
			}
		}
		args := make([]string, len(argv)-1)
		for j, a := range argv[1:] {
			args[j] = strings.ReplaceAll(a, PortArg, strconv.Itoa(pt))
		}
		p = &Process{
			Cmd:  exec.Command(argv[0], args...),
			Addr: net.JoinHostPort("127.0.0.1", strconv.Itoa(pt)),
			Port: pt,
			Log:  &LogBuffer{},
			done: make(chan struct{}),
		}
		p.Cmd.Dir = dir
		p.Cmd.Stdout, p.Cmd.Stderr = p.Log, p.Log
		p.Cmd.SysProcAttr = &syscall.SysProcAttr{Pdeathsig: syscall.SIGKILL}
		if err := p.Cmd.Start(); err != nil {
			t.Fatalf("redistest: start %s: %v", argv[0], err)
		}
		go func(p *Process) { p.Cmd.Wait(); close(p.done) }(p)
		if waitPing(p.Addr, p.done, 30*time.Second) {
			t.Cleanup(p.Kill)
			return p
		}
		p.Kill()
	}
	t.Fatalf("redistest: %s did not start; its output:\n%s", argv[0], p.Log.String())
	return nil
}

// Exited is closed once the process has exited.
func (p *Process) Exited() <-chan struct{} { return p.done }

// Kill kills the process (SIGKILL) and waits for it to exit.
func (p *Process) Kill() {
	p.Cmd.Process.Kill()
	<-p.done
}

func freePort() (int, error) {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return 0, err
	}
	defer l.Close()
	return l.Addr().(*net.TCPAddr).Port, nil
}

// waitPing waits until the server at addr answers PING with +PONG (or
// -NOAUTH), until exited is closed, or until d has passed.
func waitPing(addr string, exited <-chan struct{}, d time.Duration) bool {
	deadline := time.Now().Add(d)
	for time.Now().Before(deadline) {
		select {
		case <-exited:
			return false
		default:
		}
		nc, err := net.DialTimeout("tcp", addr, time.Second)
		if err == nil {
			nc.SetDeadline(time.Now().Add(time.Second))
			_, err = nc.Write([]byte("PING\r\n"))
			buf := make([]byte, 7)
			if err == nil {
				_, err = io.ReadFull(nc, buf)
			}
			nc.Close()
			if err == nil && (string(buf) == "+PONG\r\n" || string(buf) == "-NOAUTH") {
				return true
			}
		}
		select {
		case <-exited:
			return false
		case <-time.After(20 * time.Millisecond):
		}
	}
	return false
}

// FreePort returns a TCP port of 127.0.0.1 that was free a moment ago, for
// a server that must be told its port before it starts (StartProcess
// picks one itself).
func FreePort(t testing.TB) int {
	t.Helper()
	port, err := freePort()
	if err != nil {
		t.Fatalf("redistest: no free port: %v", err)
	}
	return port
}
