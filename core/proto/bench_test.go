package proto

import (
	"fmt"
	"testing"
)

// pipelinedSETs returns count SET requests back to back, as a pipelining
// client sends them.
func pipelinedSETs(count int) []byte {
	var buf []byte
	for i := 0; i < count; i++ {
		buf = append(buf, fmt.Sprintf("*3\r\n$3\r\nSET\r\n$16\r\nkey:%012d\r\n$3\r\nxxx\r\n", i)...)
	}
	return buf
}

func BenchmarkReadCommandSET(b *testing.B) {
	buf := pipelinedSETs(1000)
	p := NewParser()
	var argv [][]byte
	b.SetBytes(int64(len(buf) / 1000))
	b.ReportAllocs()
	pos := 0
	for b.Loop() {
		if pos == len(buf) {
			pos = 0
		}
		args, n, err := p.ReadCommand(buf[pos:], argv)
		if err != nil || n == 0 || len(args) != 3 {
			b.Fatalf("n = %d, err = %v", n, err)
		}
		pos += n
		argv = args
	}
}

func BenchmarkReadCommandInline(b *testing.B) {
	line := []byte(`SET "key:\x41\x42" 'it\'s' value` + "\r\n")
	p := NewParser()
	var argv [][]byte
	b.SetBytes(int64(len(line)))
	b.ReportAllocs()
	for b.Loop() {
		args, n, err := p.ReadCommand(line, argv)
		if err != nil || n == 0 || len(args) != 4 {
			b.Fatalf("n = %d, err = %v", n, err)
		}
		argv = args
	}
}

func BenchmarkAppendBulk(b *testing.B) {
	val := []byte("some value of a moderate length, 48 bytes long.")
	var dst []byte
	b.SetBytes(int64(len(val)))
	b.ReportAllocs()
	for b.Loop() {
		dst = AppendBulk(dst[:0], val)
	}
}

func BenchmarkAppendDouble(b *testing.B) {
	var dst []byte
	b.ReportAllocs()
	for b.Loop() {
		dst = AppendDouble(dst[:0], 1.1, 2)
	}
}

// TestReadCommandNoAlloc holds the steady state to zero allocations, for
// multibulk and for inline requests with quotes to remove.
func TestReadCommandNoAlloc(t *testing.T) {
	for _, in := range [][]byte{
		pipelinedSETs(1),
		[]byte(`SET "key:\x41\x42" 'it\'s' value` + "\r\n"),
	} {
		p := NewParser()
		argv, _, _ := p.ReadCommand(in, nil)
		allocs := testing.AllocsPerRun(1000, func() {
			args, n, err := p.ReadCommand(in, argv)
			if err != nil || n != len(in) {
				t.Fatalf("%q: n = %d, err = %v", in, n, err)
			}
			argv = args
		})
		if allocs != 0 {
			t.Errorf("%q: %v allocations per command", in, allocs)
		}
	}
	dst := make([]byte, 0, 64)
	allocs := testing.AllocsPerRun(1000, func() {
		dst = AppendDouble(dst[:0], 1.1, 2)
		dst = AppendBulk(dst[:0], []byte("x"))
		dst = AppendInt(dst[:0], -12345)
	})
	if allocs != 0 {
		t.Errorf("encoders: %v allocations", allocs)
	}
}
