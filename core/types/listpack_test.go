package types_test

import (
	"bytes"
	"encoding/binary"
	"fmt"
	"math"
	"math/rand/v2"
	"slices"
	"strconv"
	"testing"

	"github.com/redisfs/redisfs/core/types"
)

func lpValues(lp types.Listpack) [][]byte {
	var out [][]byte
	for p := lp.First(); p >= 0; p = lp.Next(p) {
		out = append(out, lp.AppendValue(nil, p))
	}
	return out
}

func lpValuesBackward(lp types.Listpack) [][]byte {
	var out [][]byte
	for p := lp.Last(); p >= 0; p = lp.Prev(p) {
		out = append(out, lp.AppendValue(nil, p))
	}
	slices.Reverse(out)
	return out
}

func checkLP(t *testing.T, lp types.Listpack, model [][]byte) {
	t.Helper()
	if !lp.Validate() {
		t.Fatalf("invalid listpack % x", []byte(lp))
	}
	if lp.Len() != len(model) {
		t.Fatalf("Len %d, model %d", lp.Len(), len(model))
	}
	fw, bw := lpValues(lp), lpValuesBackward(lp)
	for i := range model {
		if !bytes.Equal(fw[i], model[i]) || !bytes.Equal(bw[i], model[i]) {
			t.Fatalf("element %d: forward %q backward %q, model %q", i, fw[i], bw[i], model[i])
		}
	}
	for i := range model {
		if p := lp.Seek(i); p < 0 || !lp.Equal(p, model[i]) {
			t.Fatalf("Seek(%d) does not give %q", i, model[i])
		}
		if p := lp.Seek(i - len(model)); p < 0 || !lp.Equal(p, model[i]) {
			t.Fatalf("Seek(%d) does not give %q", i-len(model), model[i])
		}
	}
	if lp.Seek(len(model)) >= 0 || lp.Seek(-len(model)-1) >= 0 {
		t.Fatalf("Seek out of range found an entry")
	}
}

// TestListpackEncodings checks the exact bytes of each encoding at its
// boundaries (Redis's lpEncodeGetType/lpEncodeString/lpEncodeBacklen).
func TestListpackEncodings(t *testing.T) {
	cases := []struct {
		v    string
		want []byte // encoding+data, backlen excluded
	}{
		{"0", []byte{0x00}},
		{"127", []byte{0x7F}},
		{"128", []byte{0xC0, 0x80}},
		{"-1", []byte{0xDF, 0xFF}},
		{"4095", []byte{0xCF, 0xFF}},
		{"-4096", []byte{0xD0, 0x00}},
		{"4096", []byte{0xF1, 0x00, 0x10}},
		{"-32768", []byte{0xF1, 0x00, 0x80}},
		{"32767", []byte{0xF1, 0xFF, 0x7F}},
		{"32768", []byte{0xF2, 0x00, 0x80, 0x00}},
		{"-8388608", []byte{0xF2, 0x00, 0x00, 0x80}},
		{"8388608", []byte{0xF3, 0x00, 0x00, 0x80, 0x00}},
		{"-2147483648", []byte{0xF3, 0x00, 0x00, 0x00, 0x80}},
		{"2147483648", []byte{0xF4, 0, 0, 0, 0x80, 0, 0, 0, 0}},
		{"9223372036854775807", []byte{0xF4, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0x7F}},
		{"-9223372036854775808", []byte{0xF4, 0, 0, 0, 0, 0, 0, 0, 0x80}},
		{"9223372036854775808", append([]byte{0x80 | 19}, "9223372036854775808"...)},
		{"", []byte{0x80}},
		{"a", []byte{0x81, 'a'}},
		{"01", []byte{0x82, '0', '1'}},
		{"-0", []byte{0x82, '-', '0'}},
		{"+1", []byte{0x82, '+', '1'}},
		{" 1", []byte{0x82, ' ', '1'}},
	}
	for _, c := range cases {
		lp := types.NewListpack(0)
		lp.Append([]byte(c.v))
		got := lp[6 : len(lp)-1]
		enc := got[:len(got)-1]
		if len(c.want) > 127 {
			t.Fatal("test case too long")
		}
		if !bytes.Equal(enc, c.want) || got[len(got)-1] != byte(len(c.want)) {
			t.Errorf("%q: got % x, want % x + backlen %d", c.v, got, c.want, len(c.want))
		}
		if binary.LittleEndian.Uint32(lp) != uint32(len(lp)) || binary.LittleEndian.Uint16(lp[4:]) != 1 {
			t.Errorf("%q: bad header % x", c.v, []byte(lp[:6]))
		}
		if v := lp.AppendValue(nil, lp.First()); string(v) != c.v {
			t.Errorf("%q read back as %q", c.v, v)
		}
	}
	// String length headers and backlens at their boundaries.
	for _, n := range []int{62, 63, 64, 126, 127, 128, 4094, 4095, 4096, 16380, 16383, 16384, 70000} {
		s := bytes.Repeat([]byte{'x'}, n)
		lp := types.NewListpack(0)
		lp.Append(s)
		lp.Prepend([]byte("head"))
		lp.Append([]byte("tail"))
		checkLP(t, lp, [][]byte{[]byte("head"), s, []byte("tail")})
		p := lp.Seek(1)
		hdr := 1
		if n >= 64 {
			hdr = 2
		}
		if n >= 4096 {
			hdr = 5
		}
		enclen := hdr + n
		if size := lp.EntrySize(p); size != enclen+backlen(enclen) {
			t.Errorf("len %d: entry size %d, want %d", n, size, enclen+backlen(enclen))
		}
	}
}

func backlen(l int) int {
	switch {
	case l <= 127:
		return 1
	case l < 16383:
		return 2
	case l < 2097151:
		return 3
	case l < 268435455:
		return 4
	}
	return 5
}

func randValue(r *rand.Rand) []byte {
	switch r.IntN(8) {
	case 0:
		return []byte(strconv.FormatInt(r.Int64N(256)-128, 10))
	case 1:
		return []byte(strconv.FormatInt(r.Int64()-math.MaxInt64/2, 10))
	case 2:
		return []byte(strconv.FormatInt(r.Int64N(1<<24)-1<<23, 10))
	case 3:
		return bytes.Repeat([]byte{'a' + byte(r.IntN(26))}, r.IntN(200))
	case 4:
		return bytes.Repeat([]byte{'b'}, 4000+r.IntN(200))
	case 5:
		return []byte("")
	default:
		b := make([]byte, r.IntN(20))
		for i := range b {
			b[i] = byte(r.IntN(256))
		}
		return b
	}
}

// TestListpackRandom runs random edits against a plain [][]byte model.
func TestListpackRandom(t *testing.T) {
	r := rand.New(rand.NewPCG(1, 2))
	for round := 0; round < 200; round++ {
		lp := types.NewListpack(0)
		var model [][]byte
		for op := 0; op < 100; op++ {
			v := randValue(r)
			switch k := r.IntN(10); {
			case k < 2:
				lp.Append(v)
				model = append(model, v)
			case k < 4:
				lp.Prepend(v)
				model = append([][]byte{v}, model...)
			case k < 5 && len(model) > 0:
				i := r.IntN(len(model))
				lp.Insert(v, lp.Seek(i), types.LpAfter)
				model = append(model[:i+1], append([][]byte{v}, model[i+1:]...)...)
			case k < 6 && len(model) > 0:
				i := r.IntN(len(model))
				lp.Insert(v, lp.Seek(i), types.LpBefore)
				model = append(model[:i], append([][]byte{v}, model[i:]...)...)
			case k < 7 && len(model) > 0:
				i := r.IntN(len(model))
				lp.Replace(lp.Seek(i), v)
				model[i] = v
			case k < 8 && len(model) > 0:
				i := r.IntN(len(model))
				next := lp.Delete(lp.Seek(i))
				model = append(model[:i], model[i+1:]...)
				if i < len(model) && (next < 0 || !lp.Equal(next, model[i])) {
					t.Fatalf("Delete returned the wrong next position")
				}
			case k < 9 && len(model) > 0:
				i := r.IntN(len(model))
				n := r.IntN(4)
				lp.DeleteRange(i-len(model), n)
				end := min(i+n, len(model))
				model = append(model[:i], model[end:]...)
			default:
				if len(model) > 0 {
					i := r.IntN(len(model))
					if p := lp.Find(lp.First(), model[i], 0); p < 0 || !lp.Equal(p, model[i]) {
						t.Fatalf("Find(%q) failed", model[i])
					}
				}
			}
			checkLP(t, lp, model)
		}
	}
}

func TestListpackFindSkip(t *testing.T) {
	lp := types.NewListpack(0)
	for _, s := range []string{"a", "1", "1", "a", "b", "2", "2", "x"} {
		lp.Append([]byte(s))
	}
	// Keys are a, 1, b, 2: "1" as a value at index 2 must not match as a key.
	if p := lp.Find(lp.First(), []byte("1"), 1); p != lp.Seek(2) {
		t.Fatalf("Find key 1 = %d, want %d", p, lp.Seek(2))
	}
	if p := lp.Find(lp.First(), []byte("x"), 1); p >= 0 {
		t.Fatalf("Find found a value as a key")
	}
	if p := lp.Find(lp.First(), []byte("2"), 1); p != lp.Seek(6) {
		t.Fatalf("Find key 2 = %d", p)
	}
}

func TestListpackMerge(t *testing.T) {
	r := rand.New(rand.NewPCG(3, 4))
	for i := 0; i < 200; i++ {
		a, b := types.NewListpack(0), types.NewListpack(0)
		var model [][]byte
		for j := r.IntN(20); j > 0; j-- {
			v := randValue(r)
			a.Append(v)
			model = append(model, v)
		}
		for j := r.IntN(20); j > 0; j-- {
			v := randValue(r)
			b.Append(v)
			model = append(model, v)
		}
		checkLP(t, types.Merge(a, b), model)
	}
}

func TestListpackManyElements(t *testing.T) {
	lp := types.NewListpack(0)
	var model [][]byte
	for i := 0; i < 70000; i++ {
		v := []byte(strconv.Itoa(i % 100))
		lp.Append(v)
		model = append(model, v)
	}
	if binary.LittleEndian.Uint16(lp[4:]) != 65535 {
		t.Fatalf("header count should saturate")
	}
	if lp.Len() != 70000 {
		t.Fatalf("Len = %d", lp.Len())
	}
	lp.DeleteRange(0, 10000)
	model = model[10000:]
	if lp.Len() != 60000 || binary.LittleEndian.Uint16(lp[4:]) != 60000 {
		t.Fatalf("Len after delete = %d, header %d", lp.Len(), binary.LittleEndian.Uint16(lp[4:]))
	}
	if p := lp.Seek(-1); !lp.Equal(p, model[len(model)-1]) {
		t.Fatalf("Seek(-1) wrong")
	}
}

func TestListpackValidate(t *testing.T) {
	lp := types.NewListpack(0)
	for _, s := range []string{"a", "12345", "hello world", "-7"} {
		lp.Append([]byte(s))
	}
	if !lp.Validate() {
		t.Fatal("valid listpack rejected")
	}
	for i := range lp {
		for _, b := range []byte{0x00, 0xFF, 0x80, 0xF0, 0x7F} {
			bad := append(types.Listpack(nil), lp...)
			if bad[i] == b {
				continue
			}
			bad[i] = b
			bad.Validate() // must not panic
		}
	}
	if types.Listpack([]byte{7, 0, 0, 0, 0, 0}).Validate() {
		t.Fatal("truncated listpack accepted")
	}
}

func TestListpackRandomPairs(t *testing.T) {
	lp := types.NewListpack(0)
	for i := 0; i < 10; i++ {
		lp.Append([]byte(fmt.Sprintf("f%d", i)))
		lp.AppendInt(int64(i))
	}
	keys := make([]types.ListpackEntry, 30)
	vals := make([]types.ListpackEntry, 30)
	lp.RandomPairs(keys, vals)
	for i := range keys {
		if string(keys[i].S) != fmt.Sprintf("f%d", vals[i].I) {
			t.Fatalf("pair mismatch %q %d", keys[i].S, vals[i].I)
		}
	}
	n := lp.RandomPairsUnique(keys[:4], vals[:4])
	if n != 4 {
		t.Fatalf("unique picked %d", n)
	}
	for i := 1; i < n; i++ {
		if vals[i].I <= vals[i-1].I {
			t.Fatalf("unique pairs not in listpack order")
		}
	}
	if n := lp.RandomPairsUnique(keys, vals); n != 10 {
		t.Fatalf("unique picked %d of 10", n)
	}
	k, v := lp.RandomPair(10, true)
	if string(k.S) != fmt.Sprintf("f%d", v.I) {
		t.Fatalf("RandomPair mismatch")
	}
}

func BenchmarkListpackPrepend(b *testing.B) {
	v := []byte("value")
	for i := 0; i < b.N; i++ {
		lp := types.NewListpack(0)
		for j := 0; j < 100; j++ {
			lp.Prepend(v)
		}
	}
}

// TestListpackGrow checks that a listpack built with the room it needs
// (NewListpackFor, Grow) is allocated once, at its size.
func TestListpackGrow(t *testing.T) {
	vals := [][]byte{[]byte("field"), []byte("12345"), []byte(""), bytes.Repeat([]byte{'v'}, 300), []byte("-7")}
	lp := types.NewListpackFor(vals)
	want := cap(lp)
	first := &lp[:1][0]
	for _, v := range vals {
		lp.Append(v)
	}
	if len(lp) != want || cap(lp) != want || &lp[0] != first {
		t.Fatalf("len %d cap %d (want %d), moved %v", len(lp), cap(lp), want, &lp[0] != first)
	}
	checkLP(t, lp, vals)
	lp.Grow(10)
	if cap(lp)-len(lp) < 10 {
		t.Fatalf("Grow(10) left %d bytes", cap(lp)-len(lp))
	}
	p := &lp[0]
	lp.Append([]byte("abc"))
	lp.Prepend([]byte("x"))
	if &lp[0] != p {
		t.Fatal("listpack moved within the room Grow made")
	}
	checkLP(t, lp, append(append([][]byte{[]byte("x")}, vals...), []byte("abc")))
}
