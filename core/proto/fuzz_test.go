package proto

import (
	"math/rand"
	"reflect"
	"testing"
)

// FuzzReadCommand checks that ReadCommand never panics, keeps n and its
// arguments within buf (parseAll and feed check that on every call), and
// gives the same commands and error whether the input arrives at once or in
// pieces.
func FuzzReadCommand(f *testing.F) {
	for _, tc := range requestCases {
		if len(tc.in) <= 4096 {
			f.Add([]byte(tc.in), uint64(0))
		}
	}
	f.Add([]byte("*3\r\n$3\r\nSET\r\n$3\r\nkey\r\n$5\r\nvalue\r\nGET key\r\n"), uint64(7))
	f.Add([]byte(`SET "a\x41" 'b\'c' "\n"`+"\r\n*1\r\n$4\r\nPING\r\n"), uint64(3))
	f.Fuzz(func(t *testing.T, data []byte, seed uint64) {
		setup := func(p *Parser) {
			if seed&1 != 0 {
				p.MaxBulkLen = 16
			}
			p.AuthRequired = seed&2 != 0
		}
		p := NewParser()
		setup(p)
		once := parseAll(t, p, data)
		if once.n > len(data) {
			t.Fatalf("consumed %d of %d bytes", once.n, len(data))
		}
		if len(data) > InlineMaxSize {
			return // the limits apply to what is buffered
		}
		rng := rand.New(rand.NewSource(int64(seed)))
		p = NewParser()
		setup(p)
		split := feed(t, p, data, func(rest int) int { return 1 + rng.Intn(rest) })
		split.need = once.need
		if !reflect.DeepEqual(once, split) {
			t.Fatalf("input %q\nat once   %v\nin pieces %v", data, once, split)
		}
	})
}

// FuzzReadReply checks that ReadReply never panics, stays within buf, is
// stable on the bytes it consumed, and reports a reply's proper prefixes as
// incomplete.
func FuzzReadReply(f *testing.F) {
	for _, s := range []string{
		"+OK\r\n", "-ERR x\r\n", ":1\r\n", "$3\r\nfoo\r\n", "$-1\r\n", "*-1\r\n", "_\r\n",
		"*2\r\n:1\r\n*1\r\n$1\r\na\r\n", "%1\r\n+k\r\n#t\r\n", "~1\r\n#f\r\n", ">1\r\n:1\r\n",
		"|1\r\n+a\r\n:1\r\n+x\r\n", ",1.5\r\n", "(123\r\n", "=8\r\ntxt:abcd\r\n", "*1\r\n?\r\n",
	} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		r, n, err := ReadReply(data)
		var d ReplyDecoder
		if rd, nd, errd := d.Read(data); nd != n || (errd != nil) != (err != nil) || !reflect.DeepEqual(rd, r) {
			t.Fatalf("ReplyDecoder: %+v, %d, %v; ReadReply: %+v, %d, %v", rd, nd, errd, r, n, err)
		}
		if n < 0 || n > len(data) || (err != nil && n != 0) {
			t.Fatalf("n = %d of %d, err = %v", n, len(data), err)
		}
		if n == 0 {
			return
		}
		r2, n2, err := ReadReply(data[:n])
		if n2 != n || err != nil || !reflect.DeepEqual(r, r2) {
			t.Fatalf("re-reading the %d bytes consumed: n = %d, err = %v", n, n2, err)
		}
		for k := 0; k < n; k++ {
			if _, m, err := ReadReply(data[:k]); m != 0 || err != nil {
				t.Fatalf("prefix %q of reply %q: n = %d, err = %v", data[:k], data[:n], m, err)
			}
		}
		AppendCLI(nil, &r)
	})
}
