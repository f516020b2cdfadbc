package server_test

import (
	"bytes"
	"errors"
	"fmt"
	"math/rand/v2"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/redisfs/redisfs/core/redistest"
)

// sentinel is sent after the input of a case that must leave the
// connection open: its reply marks the end of the case's replies.
var (
	sentinel      = redistest.Command("ECHO", "__end_of_case__")
	sentinelReply = "$15\r\n__end_of_case__\r\n"
)

// rawResult is what one server sent back for a raw input.
type rawResult struct {
	out    []byte
	closed bool
}

// rawExchange sends chunks to addr, pause apart, from a goroutine of their
// own while this one reads. Unless expectClose, the sentinel follows and
// reading stops at its reply; otherwise reading goes on until the server
// closes the connection (or until timeout, an error).
func rawExchange(t *testing.T, addr string, chunks [][]byte, pause time.Duration, expectClose bool, timeout time.Duration) (rawResult, error) {
	t.Helper()
	c, err := redistest.TryDial(t, addr)
	if err != nil {
		return rawResult{}, err
	}
	defer c.Close()
	c.Timeout = timeout
	var wg sync.WaitGroup
	var werr error
	wg.Add(1)
	go func() {
		defer wg.Done()
		for i, ch := range chunks {
			if i > 0 && pause > 0 {
				time.Sleep(pause)
			}
			if werr = c.TryWrite(ch); werr != nil {
				return
			}
		}
		if !expectClose {
			werr = c.TryWrite(sentinel)
		}
	}()
	defer wg.Wait()
	var res rawResult
	if expectClose {
		res.out, err = c.ReadUntilClose()
		res.closed = err == nil
		if err != nil {
			return res, fmt.Errorf("after %s: %w", redistest.Quote(res.out), err)
		}
		return res, nil
	}
	for {
		r, err := c.TryReadReply()
		res.out = append(res.out, r...)
		if errors.Is(err, redistest.ErrClosed) {
			res.out = append(res.out, c.Pending()...)
			res.closed = true
			return res, nil
		}
		if err != nil {
			return res, fmt.Errorf("after %s: %w", redistest.Quote(res.out), err)
		}
		if string(r) == sentinelReply {
			wg.Wait()
			if werr != nil {
				return res, fmt.Errorf("write: %w", werr)
			}
			return res, nil
		}
	}
}

// rawCase is one raw protocol input sent to both servers.
type rawCase struct {
	name   string
	chunks []string // written one after the other
	closes bool     // Redis closes the connection after its replies
}

func (tc rawCase) bytes() [][]byte {
	out := make([][]byte, len(tc.chunks))
	for i, c := range tc.chunks {
		out[i] = []byte(c)
	}
	return out
}

// compareRaw sends tc to both servers on fresh connections and requires
// the same bytes back and the same closing behaviour; it also checks that
// Redis behaves as tc says, so that a wrong expectation shows up.
func compareRaw(t *testing.T, refAddr, ourAddr string, chunks [][]byte, pause time.Duration, closes bool) {
	t.Helper()
	timeout := 5 * time.Second
	ref, err := rawExchange(t, refAddr, chunks, pause, closes, timeout)
	if err != nil {
		t.Fatalf("redis: %v", err)
	}
	if ref.closed != closes {
		t.Fatalf("the test expects closed=%v, but redis closed=%v after %s", closes, ref.closed, redistest.Quote(ref.out))
	}
	ours, err := rawExchange(t, ourAddr, chunks, pause, closes, timeout)
	if err != nil {
		t.Errorf("ours: %v", err)
	}
	if !bytes.Equal(ref.out, ours.out) || ref.closed != ours.closed {
		t.Errorf("replies differ\n    redis: %s closed=%v\n    ours:  %s closed=%v",
			redistest.Quote(ref.out), ref.closed, redistest.Quote(ours.out), ours.closed)
	}
}

// TestProtocolEdgeCases sends malformed, unusual and split requests to a
// real Redis and to ours, compared byte for byte, including the replies
// sent before a protocol error and the closing of the connection after it.
func TestProtocolEdgeCases(t *testing.T) {
	refAddr := redistest.StartRedis(t)
	ourAddr, _ := redistest.StartServer(t, nil)
	big := strings.Repeat("a", 70000)
	cases := []rawCase{
		// Protocol errors: the error reply, then the connection closes;
		// what came before the error is answered, what came after is not.
		{name: "invalid multibulk length", chunks: []string{"*abc\r\n"}, closes: true},
		{name: "replies before the error", chunks: []string{"PING\r\nECHO a\r\n*1\r\n$4\r\nPING\r\n*x\r\nPING\r\n"}, closes: true},
		{name: "error in a later write", chunks: []string{"PING\r\n", "ECHO b\r\n", "*-x\r\n", "PING\r\n"}, closes: true},
		{name: "many replies before the error", chunks: []string{strings.Repeat("PING\r\n", 1000) + "*2\r\n$4\r\nECHO\r\n$x\r\n"}, closes: true},
		{name: "multibulk count empty", chunks: []string{"*\r\nPING\r\n"}, closes: true},
		{name: "multibulk count leading zero", chunks: []string{"*01\r\n$4\r\nPING\r\n"}, closes: true},
		{name: "multibulk count plus sign", chunks: []string{"*+1\r\n$4\r\nPING\r\n"}, closes: true},
		{name: "multibulk count trailing space", chunks: []string{"*1 \r\n$4\r\nPING\r\n"}, closes: true},
		{name: "multibulk count minus zero", chunks: []string{"*-0\r\nPING\r\n"}, closes: true},
		{name: "multibulk count over INT_MAX", chunks: []string{"*2147483648\r\n"}, closes: true},
		{name: "multibulk count huge", chunks: []string{"*3000000000000000000000\r\n"}, closes: true},
		{name: "bulk length not a number", chunks: []string{"*1\r\n$abc\r\n"}, closes: true},
		{name: "bulk length empty", chunks: []string{"*1\r\n$\r\nPING\r\n"}, closes: true},
		{name: "bulk length negative", chunks: []string{"*1\r\n$-1\r\n"}, closes: true},
		{name: "bulk length minus zero", chunks: []string{"*2\r\n$4\r\nECHO\r\n$-0\r\n\r\n"}, closes: true},
		{name: "bulk length leading zero", chunks: []string{"*1\r\n$04\r\nPING\r\n"}, closes: true},
		{name: "bulk length plus sign", chunks: []string{"*1\r\n$+4\r\nPING\r\n"}, closes: true},
		{name: "bulk length space", chunks: []string{"*1\r\n$ 4\r\nPING\r\n"}, closes: true},
		{name: "bulk length over proto-max-bulk-len", chunks: []string{"*1\r\n$536870913\r\n"}, closes: true},
		{name: "expected dollar got letter", chunks: []string{"*1\r\nPING\r\n"}, closes: true},
		{name: "expected dollar got CR", chunks: []string{"*1\r\n\r\n"}, closes: true},
		{name: "expected dollar got colon", chunks: []string{"*1\r\n$4\r\nPING\r\n*1\r\n:5\r\n"}, closes: true},
		{name: "inline unbalanced double quote", chunks: []string{"PING\r\nECHO \"abc\r\nPING\r\n"}, closes: true},
		{name: "inline unbalanced single quote", chunks: []string{"ECHO 'abc\r\n"}, closes: true},
		{name: "inline closing quote then letter", chunks: []string{"ECHO \"a\"b\r\n"}, closes: true},
		{name: "inline closing single quote then letter", chunks: []string{"ECHO 'a'b\r\n"}, closes: true},
		{name: "inline escape at the end", chunks: []string{"ECHO \"abc\\\r\n"}, closes: true},
		{name: "too big inline request", chunks: []string{big}, closes: true},
		{name: "too big inline request in pieces", chunks: []string{big[:30000], big[30000:60000], big[60000:]}, closes: true},
		{name: "NUL hides the newline", chunks: []string{"PING\x00\r\n" + big}, closes: true},
		{name: "too big mbulk count string", chunks: []string{"*" + strings.Repeat("1", 70000)}, closes: true},
		{name: "too big bulk count string", chunks: []string{"*1\r\n$" + strings.Repeat("1", 70000)}, closes: true},
		{name: "QUIT", chunks: []string{"QUIT\r\n"}, closes: true},
		{name: "QUIT then more commands", chunks: []string{"PING\r\nQUIT\r\nPING\r\nECHO x\r\n"}, closes: true},
		{name: "QUIT with arguments", chunks: []string{"*3\r\n$4\r\nquit\r\n$1\r\na\r\n$1\r\nb\r\n"}, closes: true},

		// Unusual but valid input: the connection stays open.
		{name: "null multibulk skipped", chunks: []string{"*-1\r\nPING\r\n"}},
		{name: "negative multibulk skipped", chunks: []string{"*-2\r\nPING\r\n"}},
		{name: "empty multibulk skipped", chunks: []string{"*0\r\nPING\r\n"}},
		{name: "empty inline lines", chunks: []string{"\r\n\r\n\nPING\r\n"}},
		{name: "blank inline line", chunks: []string{"   \t \r\nPING\r\n"}},
		{name: "inline with LF only", chunks: []string{"PING\nECHO lf\n"}},
		{name: "inline with CR CR LF", chunks: []string{"PING\r\r\n"}},
		{name: "inline mixed case", chunks: []string{"pInG\r\nEcHo x\r\n"}},
		{name: "inline extra blanks", chunks: []string{"  ECHO   \t  spaced  \r\n"}},
		{name: "inline vertical tab inside an argument", chunks: []string{"ECHO a\vb\r\n"}},
		{name: "inline tab separates", chunks: []string{"ECHO\tx\r\n"}},
		{name: "inline double quotes", chunks: []string{"SET \"k 1\" \"v 1\"\r\nGET \"k 1\"\r\n"}},
		{name: "inline single quotes", chunks: []string{"ECHO 'a \"b\" c'\r\nECHO 'it\\'s'\r\nECHO 'back\\slash'\r\n"}},
		{name: "inline escapes", chunks: []string{`ECHO "\x41\x62\x00\xff\n\r\t\b\a\"\\\q"` + "\r\n"}},
		{name: "inline bad hex escape", chunks: []string{`ECHO "\x4g\xZZ\x"` + "\r\n"}},
		{name: "inline quote inside an argument", chunks: []string{"ECHO ab\"c d\"\r\nECHO x'y z'\r\n"}},
		{name: "inline empty quoted arguments", chunks: []string{"ECHO \"\"\r\nECHO ''\r\n\"\"\r\n"}},
		{name: "inline long argument", chunks: []string{"ECHO " + big[:60000] + "\r\n"}},
		{name: "inline unknown command", chunks: []string{"NOPE a b\r\n"}},
		{name: "bulk CRLF not checked", chunks: []string{"*1\r\n$4\r\nPINGxx"}},
		{name: "bulk shorter than its data", chunks: []string{"*2\r\n$4\r\nECHO\r\n$1\r\nab\r\n"}},
		{name: "header CR followed by any byte", chunks: []string{"*1\rx$4\r\nPING\r\n"}},
		{name: "bulk header CR followed by any byte", chunks: []string{"*1\r\n$4\rxPING\r\n"}},
		{name: "empty bulk argument", chunks: []string{"*2\r\n$4\r\nECHO\r\n$0\r\n\r\n"}},
		{name: "binary bulk argument", chunks: []string{"*2\r\n$4\r\nECHO\r\n$6\r\na\r\n\x00b\n\r\n"}},
		{name: "NUL inside a multibulk command name", chunks: []string{"*1\r\n$4\r\nPIN\x00\r\n"}},
		{name: "mixed inline and multibulk", chunks: []string{"PING\r\n*2\r\n$4\r\nECHO\r\n$1\r\nx\r\nECHO y\r\n*1\r\n$4\r\nPING\r\n"}},
		{name: "many arguments", chunks: []string{"*201\r\n$3\r\nFOO\r\n" + strings.Repeat("$2\r\nab\r\n", 200)}},
		{name: "split inside headers and data", chunks: []string{"*2\r", "\n$4\r\nEC", "HO\r\n$3\r", "\nabc", "\r", "\n", "PI", "NG\r", "\n"}},
		{name: "split before the final LF", chunks: []string{"*1\r\n$4\r\nPING\r", "\n"}},
		{name: "split inline", chunks: []string{"EC", "HO \"a ", "b\"", "\r", "\n"}},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			compareRaw(t, refAddr, ourAddr, tc.bytes(), 2*time.Millisecond, tc.closes)
		})
	}
}

// TestProtocolByteByByte sends a pipeline of inline and multibulk
// requests one byte per write.
func TestProtocolByteByByte(t *testing.T) {
	refAddr := redistest.StartRedis(t)
	ourAddr, _ := redistest.StartServer(t, nil)
	req := "PING\r\n" +
		"*3\r\n$3\r\nSET\r\n$3\r\nk\r\n\r\n$5\r\nv\x00\r\nx\r\n" +
		"GET \"k\\r\\n\"\r\n" +
		"ECHO 'single quoted'\r\n" +
		"\r\n" +
		"*2\r\n$4\r\nECHO\r\n$0\r\n\r\n" +
		"NOPE x\n" +
		"*-1\r\n" +
		"ECHO last\r\n"
	var chunks [][]byte
	for i := range len(req) {
		chunks = append(chunks, []byte{req[i]})
	}
	compareRaw(t, refAddr, ourAddr, chunks, 200*time.Microsecond, false)

	// The same, ending in a protocol error.
	chunks = chunks[:0]
	bad := "PING\r\n*1\r\n$4\r\nPING\r\n*2\r\n$4\r\nECHO\r\n$x\r\n"
	for i := range len(bad) {
		chunks = append(chunks, []byte{bad[i]})
	}
	compareRaw(t, refAddr, ourAddr, chunks, 200*time.Microsecond, true)
}

// TestProtocolRandomSplits sends a larger pipeline cut at random points,
// a few bytes per write.
func TestProtocolRandomSplits(t *testing.T) {
	refAddr := redistest.StartRedis(t)
	ourAddr, _ := redistest.StartServer(t, nil)
	var req []byte
	for i := range 200 {
		k, v := fmt.Sprintf("key:%d", i), strings.Repeat(fmt.Sprintf("v%d\r\n", i), i%7)
		req = append(req, redistest.Command("SET", k, v)...)
		req = append(req, redistest.Command("GET", k)...)
		req = append(req, fmt.Sprintf("ECHO \"inline %d\"\r\n", i)...)
	}
	rng := rand.New(rand.NewPCG(1, 2))
	var chunks [][]byte
	for len(req) > 0 {
		n := min(len(req), 1+rng.IntN(40))
		chunks = append(chunks, req[:n])
		req = req[n:]
	}
	compareRaw(t, refAddr, ourAddr, chunks, 0, false)
}

// TestPipeline10000 writes 10,000 commands in one write and compares the
// 10,000 replies.
func TestPipeline10000(t *testing.T) {
	refAddr := redistest.StartRedis(t)
	ourAddr, _ := redistest.StartServer(t, nil)
	const n = 10000
	var req []byte
	for i := range n {
		switch i % 5 {
		case 0:
			req = append(req, redistest.Command("SET", "k"+strconv.Itoa(i%1000), "value-"+strconv.Itoa(i))...)
		case 1:
			req = append(req, redistest.Command("GET", "k"+strconv.Itoa((i*7)%1000))...)
		case 2:
			req = append(req, "PING\r\n"...)
		case 3:
			req = append(req, fmt.Sprintf("ECHO \"%d\"\r\n", i)...)
		case 4:
			if i%1000 == 4 {
				req = append(req, "UNKNOWNCMD x\r\n"...)
			} else {
				req = append(req, redistest.Command("GET", "k"+strconv.Itoa(i%1000))...)
			}
		}
	}
	read := func(addr string) [][]byte {
		c := redistest.Dial(t, addr)
		c.Timeout = 30 * time.Second
		errc := make(chan error, 1)
		go func() { errc <- c.TryWrite(req) }()
		replies := make([][]byte, 0, n)
		for range n {
			r, err := c.TryReadReply()
			if err != nil {
				t.Fatalf("%s: after %d replies: %v", addr, len(replies), err)
			}
			replies = append(replies, r)
		}
		if err := <-errc; err != nil {
			t.Fatalf("%s: write: %v", addr, err)
		}
		return replies
	}
	ref, ours := read(refAddr), read(ourAddr)
	diffs := 0
	for i := range n {
		if !bytes.Equal(ref[i], ours[i]) {
			if diffs++; diffs <= 5 {
				t.Errorf("reply %d differs\n    redis: %s\n    ours:  %s", i, redistest.Quote(ref[i]), redistest.Quote(ours[i]))
			}
		}
	}
	if diffs > 5 {
		t.Errorf("... %d replies differ in all", diffs)
	}
}

// bigValue returns n bytes of a pattern that includes CR, LF and NUL.
func bigValue(n int) []byte {
	b := make([]byte, n)
	for i := range b {
		b[i] = byte(i*7 + i/251)
	}
	return b
}

// TestBigBulk2MB sets and gets a 2 MB value on both servers.
func TestBigBulk2MB(t *testing.T) {
	refAddr := redistest.StartRedis(t)
	ourAddr, _ := redistest.StartServer(t, nil)
	v := string(bigValue(2 * 1024 * 1024))
	p := redistest.NewPair(t, refAddr, ourAddr)
	p.Do("SET", "big", v)
	got := p.Do("GET", "big")
	if want := "$2097152\r\n" + v + "\r\n"; string(got) != want {
		t.Errorf("GET big from redis: %d bytes, want %d", len(got), len(want))
	}
	p.Do("ECHO", v[:1<<20])
}

// TestBigBulk100MB round-trips a 100 MB value through our server.
func TestBigBulk100MB(t *testing.T) {
	if testing.Short() {
		t.Skip("-short")
	}
	addr, _ := redistest.StartServer(t, nil)
	c := redistest.Dial(t, addr)
	c.Timeout = 2 * time.Minute
	v := bigValue(100 * 1024 * 1024)
	req := redistest.Command("SET", "huge", string(v))
	c.Write(req)
	req = nil
	if r := c.ReadReply(); string(r) != "+OK\r\n" {
		t.Fatalf("SET: %s", redistest.Quote(r))
	}
	r := c.Do("GET", "huge")
	head := "$104857600\r\n"
	if !bytes.HasPrefix(r, []byte(head)) || len(r) != len(head)+len(v)+2 || !bytes.Equal(r[len(head):len(head)+len(v)], v) || !bytes.HasSuffix(r, []byte("\r\n")) {
		t.Fatalf("GET: %d bytes, starting %s", len(r), redistest.Quote(r[:min(len(r), 40)]))
	}
	if r := c.Do("PING"); string(r) != "+PONG\r\n" {
		t.Fatalf("PING after: %s", redistest.Quote(r))
	}
}
