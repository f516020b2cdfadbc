package rdb

import (
	"bytes"
	"math"
	"math/rand/v2"
	"strconv"
	"testing"
)

func TestCRC64(t *testing.T) {
	// The check value of Redis's crc64 test ("123456789").
	if got := CRC64(0, []byte("123456789")); got != 0xe9c6d914c4b8d9ca {
		t.Fatalf("CRC64(123456789) = %#x", got)
	}
	// The footer of the payload Redis 7.0.15 DUMPs for the value "1".
	if got := CRC64(0, []byte("\x00\xc0\x01\x0a\x00")); got != 0xfc1101d1b6e77826 {
		t.Fatalf("CRC64(DUMP of 1) = %#x", got)
	}
	// Slicing by 8 agrees with the byte-at-a-time loop, and chaining works.
	r := rand.New(rand.NewPCG(1, 2))
	for n := 0; n < 300; n++ {
		p := make([]byte, n)
		for i := range p {
			p[i] = byte(r.Uint32())
		}
		var slow uint64
		for _, b := range p {
			slow = crc64Tables[0][byte(slow)^b] ^ slow>>8
		}
		if got := CRC64(0, p); got != slow {
			t.Fatalf("len %d: %#x, byte-wise %#x", n, got, slow)
		}
		k := n / 3
		if got := CRC64(CRC64(0, p[:k]), p[k:]); got != slow {
			t.Fatalf("len %d chained: %#x, want %#x", n, got, slow)
		}
	}
}

func TestLZFRoundTrip(t *testing.T) {
	r := rand.New(rand.NewPCG(3, 4))
	inputs := [][]byte{
		[]byte("a"), []byte("ab"), []byte("abc"),
		bytes.Repeat([]byte("a"), 71),
		bytes.Repeat([]byte("abc"), 1000),
		bytes.Repeat([]byte{0}, 100000),
		[]byte("The quick brown fox jumps over the lazy dog. The quick brown fox jumps over the lazy dog."),
	}
	for n := 0; n < 200; n++ {
		// Random data with a random amount of repetition.
		size := r.IntN(20000) + 1
		alphabet := r.IntN(255) + 1
		p := make([]byte, size)
		for i := range p {
			if i > 10 && r.IntN(4) == 0 {
				p[i] = p[i-1-r.IntN(min(i, 9000))]
			} else {
				p[i] = byte(r.IntN(alphabet))
			}
		}
		inputs = append(inputs, p)
	}
	for i, in := range inputs {
		out := make([]byte, len(in)+len(in)/16+64)
		n := LZFCompress(in, out)
		if n == 0 {
			t.Fatalf("input %d (%d bytes): no room with %d", i, len(in), len(out))
		}
		back := make([]byte, len(in))
		if m := LZFDecompress(out[:n], back); m != len(in) || !bytes.Equal(back, in) {
			t.Fatalf("input %d (%d bytes): round trip gave %d bytes", i, len(in), m)
		}
		// Too small an output gives 0, never a panic.
		for _, small := range []int{0, 1, n - 1} {
			if small >= 0 && small < n {
				if got := LZFCompress(in, make([]byte, small)); got != 0 {
					t.Fatalf("input %d: compress into %d bytes gave %d", i, small, got)
				}
			}
		}
		if m := LZFDecompress(out[:n], make([]byte, len(in)-1)); m != 0 && len(in) > 0 {
			t.Fatalf("input %d: decompress into a short buffer gave %d", i, m)
		}
	}
}

// TestLZFKnown checks the compressor against payloads Redis 7.0.15 DUMPed.
func TestLZFKnown(t *testing.T) {
	for _, tc := range []struct{ in, out string }{
		{"aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa", "\x01aa\xe0\x3a\x00\x01aa"},
	} {
		out := make([]byte, len(tc.in)-4)
		n := LZFCompress([]byte(tc.in), out)
		if string(out[:n]) != tc.out {
			t.Errorf("LZFCompress(%q) = %q, want %q", tc.in, out[:n], tc.out)
		}
	}
}

func TestLZFDecompressCorrupt(t *testing.T) {
	r := rand.New(rand.NewPCG(5, 6))
	for n := 0; n < 20000; n++ {
		in := make([]byte, r.IntN(40))
		for i := range in {
			in[i] = byte(r.Uint32())
		}
		out := make([]byte, r.IntN(200))
		if m := LZFDecompress(in, out); m > len(out) {
			t.Fatalf("wrote %d bytes into %d", m, len(out))
		}
	}
	// A back reference before the start of the output is corrupt.
	if m := LZFDecompress([]byte{0x20, 0x05}, make([]byte, 10)); m != 0 {
		t.Fatalf("reference before start: %d", m)
	}
}

func TestLengthEncoding(t *testing.T) {
	for _, tc := range []struct {
		n    uint64
		want string
	}{
		{0, "\x00"}, {63, "\x3f"}, {64, "\x40\x40"}, {16383, "\x7f\xff"},
		{16384, "\x80\x00\x00\x40\x00"}, {math.MaxUint32, "\x80\xff\xff\xff\xff"},
		{math.MaxUint32 + 1, "\x81\x00\x00\x00\x01\x00\x00\x00\x00"},
	} {
		got := AppendLen(nil, tc.n)
		if string(got) != tc.want {
			t.Errorf("AppendLen(%d) = %q, want %q", tc.n, got, tc.want)
		}
		n, enc, err := NewReader(got).LoadLen()
		if err != nil || enc || n != tc.n {
			t.Errorf("LoadLen(%q) = %d %v %v", got, n, enc, err)
		}
	}
	if _, _, err := NewReader([]byte{0x82}).LoadLen(); err != ErrLength {
		t.Errorf("0x82: %v", err)
	}
	if _, _, err := NewReader([]byte{0x80, 1}).LoadLen(); err != ErrShort {
		t.Errorf("short 32-bit length: %v", err)
	}
}

func TestStringEncoding(t *testing.T) {
	for _, tc := range []struct{ in, want string }{
		{"0", "\xc0\x00"}, {"-1", "\xc0\xff"}, {"127", "\xc0\x7f"}, {"128", "\xc1\x80\x00"},
		{"-129", "\xc1\x7f\xff"}, {"40000", "\xc2\x40\x9c\x00\x00"},
		{"2147483647", "\xc2\xff\xff\xff\x7f"}, {"2147483648", "\x0a2147483648"},
		{"012", "\x03012"}, {"-0", "\x02-0"}, {"+1", "\x02+1"}, {"", "\x00"},
		{"12345678901", "\x0b12345678901"},
		{"aaaaaaaaaaaaaaaaaaaa", "\x14aaaaaaaaaaaaaaaaaaaa"},
		{"aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa", "\xc3\x09\x40\x47\x01aa\xe0\x3a\x00\x01aa"},
		{"abcdefghijklmnopqrstuvwxyz", "\x1aabcdefghijklmnopqrstuvwxyz"},
	} {
		got := AppendString([]byte("pre"), []byte(tc.in), true)
		if string(got) != "pre"+tc.want {
			t.Errorf("AppendString(%q) = %q, want %q", tc.in, got[3:], tc.want)
			continue
		}
		s, v, isInt, err := NewReader(got[3:]).LoadString()
		if err != nil {
			t.Errorf("LoadString(%q): %v", got[3:], err)
			continue
		}
		if isInt {
			s = strconv.AppendInt(nil, v, 10)
		}
		if string(s) != tc.in {
			t.Errorf("LoadString(%q) = %q, want %q", got[3:], s, tc.in)
		}
	}
	// Without compression a long string is stored as it is.
	long := bytes.Repeat([]byte("a"), 100)
	if got := AppendString(nil, long, false); !bytes.Equal(got, append([]byte{0x40, 100}, long...)) {
		t.Errorf("uncompressed: %q", got)
	}
	for _, tc := range []struct {
		v    int64
		want string
	}{
		{5, "\xc0\x05"}, {-2147483649, "\x0b-2147483649"},
		{math.MinInt64, "\x14-9223372036854775808"},
	} {
		if got := AppendInt(nil, tc.v); string(got) != tc.want {
			t.Errorf("AppendInt(%d) = %q, want %q", tc.v, got, tc.want)
		}
	}
}

func TestReaderErrors(t *testing.T) {
	for _, in := range []string{
		"", "\x05ab", "\xc0", "\xc1\x01", "\xc2\x01\x02\x03", "\xc4", "\xff",
		"\xc3", "\xc3\x05", "\xc3\x05\x10", "\xc3\x05\x10abc",
		"\xc3\x81\xff\xff\xff\xff\xff\xff\xff\xff\x81\xff\xff\xff\xff\xff\xff\xff\xff",
		"\xc3\x01\x81\x00\x00\x01\x00\x00\x00\x00\x00\xe0",
	} {
		if _, _, _, err := NewReader([]byte(in)).LoadString(); err == nil {
			t.Errorf("LoadString(%q): no error", in)
		}
	}
	// An empty LZF string is valid.
	s, _, _, err := NewReader([]byte("\xc3\x00\x00")).LoadString()
	if err != nil || len(s) != 0 {
		t.Errorf("empty LZF: %q %v", s, err)
	}
}

func BenchmarkLZFCompress(b *testing.B) {
	in := bytes.Repeat([]byte("hello world, the value of a key "), 32)
	out := make([]byte, len(in))
	b.SetBytes(int64(len(in)))
	for i := 0; i < b.N; i++ {
		LZFCompress(in, out)
	}
}

func BenchmarkCRC64(b *testing.B) {
	in := make([]byte, 64*1024)
	b.SetBytes(int64(len(in)))
	for i := 0; i < b.N; i++ {
		CRC64(0, in)
	}
}

// FuzzLoadString: no input makes the reader panic or return more than it
// was given room for.
func FuzzLoadString(f *testing.F) {
	for _, s := range []string{"\x00", "\xc0\x01", "\xc3\x09\x40\x47\x01aa\xe0\x3a\x00\x01aa", "\x81\xff\xff\xff\xff\xff\xff\xff\xff"} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, in []byte) {
		r := NewReader(in)
		for r.Remaining() > 0 {
			if _, _, _, err := r.LoadString(); err != nil {
				return
			}
		}
	})
}

// FuzzLZF: whatever the input, compression round-trips, and decompression
// of arbitrary bytes stays within its buffer.
func FuzzLZF(f *testing.F) {
	f.Add([]byte("aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa"), 10)
	f.Add([]byte("abcabcabcabcabcabcxyzabc"), 3)
	f.Fuzz(func(t *testing.T, in []byte, outLen int) {
		out := make([]byte, len(in)+len(in)/16+64)
		n := LZFCompress(in, out)
		if len(in) > 0 {
			back := make([]byte, len(in))
			if m := LZFDecompress(out[:n], back); m != len(in) || !bytes.Equal(back, in) {
				t.Fatalf("round trip of %q failed", in)
			}
		}
		if outLen < 0 || outLen > 1<<16 {
			return
		}
		LZFDecompress(in, make([]byte, outLen))
	})
}
