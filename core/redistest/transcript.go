package redistest

import (
	"bufio"
	"bytes"
	"errors"
	"fmt"
	"net"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/redisfs/redisfs/core/cmds"
	"github.com/redisfs/redisfs/core/proto"
)

// Step is one command of a transcript.
type Step struct {
	File string // base name of the transcript file
	Line int    // 1-based line number
	Text string // the command as written, without its prefix
	Args []string
	Mode Mode
}

// String returns "file:line: [prefix]command".
func (s Step) String() string {
	return fmt.Sprintf("%s:%d: %s%s", s.File, s.Line, s.Mode.prefix(), s.Text)
}

// ParseTranscript reads a transcript: one inline command per line, split
// into arguments by Redis's own inline rules (sdssplitargs: "a b" and 'a b'
// quoting, \n \r \t \b \a \" \\ and \xHH escapes inside double quotes).
// Blank lines and lines whose first non-blank character is '#' are
// skipped. A line may start with one of these prefixes:
//
//	!sorted  the reply is an aggregate compared ignoring the order of its
//	         top-level elements
//	!approx  numbers in the reply may differ by a relative 1e-9
//	!any     only the RESP type of the reply is compared
//
// There is no expected output: the real Redis is the expected output.
func ParseTranscript(path string) ([]Step, error) {
	data, err := os.ReadFile(path)
	if err != nil {
		return nil, err
	}
	name := filepath.Base(path)
	var steps []Step
	p := proto.NewParser()
	sc := bufio.NewScanner(bytes.NewReader(data))
	sc.Buffer(make([]byte, 64*1024), proto.InlineMaxSize)
	for lineNo := 1; sc.Scan(); lineNo++ {
		line := strings.TrimRight(sc.Text(), "\r")
		trimmed := strings.TrimSpace(line)
		if trimmed == "" || trimmed[0] == '#' {
			continue
		}
		st := Step{File: name, Line: lineNo, Mode: Exact}
		if trimmed[0] == '!' {
			word, rest := trimmed, ""
			if i := strings.IndexAny(trimmed, " \t"); i >= 0 {
				word, rest = trimmed[:i], trimmed[i:]
			}
			switch word {
			case "!sorted":
				st.Mode = Sorted
			case "!approx":
				st.Mode = Approx
			case "!any":
				st.Mode = Any
			default:
				return nil, fmt.Errorf("%s:%d: unknown prefix %q (want !sorted, !approx or !any)", name, lineNo, word)
			}
			trimmed = strings.TrimSpace(rest)
		}
		if trimmed == "" || trimmed[0] == '*' {
			return nil, fmt.Errorf("%s:%d: not an inline command: %q", name, lineNo, line)
		}
		if strings.IndexByte(trimmed, 0) >= 0 {
			return nil, fmt.Errorf("%s:%d: raw NUL byte in line (write \\x00 inside double quotes)", name, lineNo)
		}
		args, n, err := p.ReadCommand([]byte(trimmed+"\n"), nil)
		if err != nil {
			return nil, fmt.Errorf("%s:%d: %v: %q", name, lineNo, err, line)
		}
		if n == 0 || len(args) == 0 {
			return nil, fmt.Errorf("%s:%d: no command in %q", name, lineNo, line)
		}
		st.Text = trimmed
		for _, a := range args {
			st.Args = append(st.Args, string(a))
		}
		steps = append(steps, st)
	}
	if err := sc.Err(); err != nil {
		return nil, fmt.Errorf("%s: %v", name, err)
	}
	return steps, nil
}

// CompareTranscript runs steps on one connection to the real Redis at
// refAddr and one to our server at ourAddr, after a FLUSHALL on both, and
// reports (t.Errorf) every step whose replies differ, with its line, the
// command and both replies quoted. It goes on to the end so one run shows
// every difference.
//
// A command that makes the server reply more than once (SUBSCRIBE a b) is
// handled by counting the replies Redis sent together with the first one;
// ours must send as many. If a connection breaks, the difference is
// reported and both connections are opened again.
func CompareTranscript(t testing.TB, steps []Step, refAddr, ourAddr string) {
	t.Helper()
	ref, ours := Dial(t, refAddr), Dial(t, ourAddr)
	if r := ref.Do("FLUSHALL"); string(r) != "+OK\r\n" {
		t.Fatalf("FLUSHALL on redis-server replied %s", Quote(r))
	}
	if r := ours.Do("FLUSHALL"); string(r) != "+OK\r\n" {
		// Not fatal: a fresh server is empty anyway, and the command
		// may not exist yet. The transcript's own FLUSHALL lines are
		// compared like any other.
		t.Logf("note: FLUSHALL on ours replied %s", Quote(r))
	}
	for _, st := range steps {
		req := Command(st.Args...)
		refReplies, refErr := exchange(ref, req, nil)
		oursReplies, oursErr := exchange(ours, req, refReplies)
		if refErr != nil || oursErr != nil {
			t.Errorf("%s\n    redis: %s (%v)\n    ours:  %s (%v)", st, quoteAll(refReplies), refErr, quoteAll(oursReplies), oursErr)
			if isTimeout(refErr) || isTimeout(oursErr) {
				// A server that does not answer may be stuck: every
				// later step would wait as long.
				t.Errorf("%s: a server did not reply within %v: the rest of %s is skipped", st, DefaultTimeout, st.File)
				return
			}
			ref.Close()
			ours.Close()
			ref, ours = Dial(t, refAddr), Dial(t, ourAddr)
			continue
		}
		same := len(refReplies) == len(oursReplies)
		for i := 0; same && i < len(refReplies); i++ {
			same = Equal(st.Mode, refReplies[i], oursReplies[i])
		}
		if !same {
			t.Errorf("%s\n    redis: %s\n    ours:  %s", st, quoteAll(refReplies), quoteAll(oursReplies))
		}
	}
}

// exchange sends req on c and reads its replies: when like is nil, the
// first reply and any further ones already received with it; otherwise
// len(like) replies, plus any extra ones already received.
func exchange(c *Conn, req []byte, like [][]byte) ([][]byte, error) {
	if err := c.TryWrite(req); err != nil {
		return nil, err
	}
	want := max(1, len(like))
	var out [][]byte
	for len(out) < want {
		r, err := c.TryReadReply()
		if err != nil {
			return out, err
		}
		out = append(out, r)
	}
	for {
		r, ok := c.Buffered()
		if !ok {
			return out, nil
		}
		out = append(out, r)
	}
}

func isTimeout(err error) bool {
	var ne net.Error
	return errors.As(err, &ne) && ne.Timeout()
}

func quoteAll(rs [][]byte) string {
	switch len(rs) {
	case 0:
		return "(nothing)"
	case 1:
		return Quote(rs[0])
	}
	parts := make([]string, len(rs))
	for i, r := range rs {
		parts[i] = Quote(r)
	}
	return "[" + strings.Join(parts, ", ") + "]"
}

// RunTranscriptFile parses the transcript at path and compares it on
// fresh servers: a real Redis started for it and ours started with mod.
func RunTranscriptFile(t *testing.T, path string, mod func(*cmds.Config)) {
	t.Helper()
	steps, err := ParseTranscript(path)
	if err != nil {
		t.Fatal(err)
	}
	refAddr := StartRedis(t)
	ourAddr, _ := StartServer(t, mod)
	CompareTranscript(t, steps, refAddr, ourAddr)
}
