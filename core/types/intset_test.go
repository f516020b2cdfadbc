package types

import (
	"encoding/binary"
	"math"
	"math/rand/v2"
	"slices"
	"testing"
)

// checkIntset verifies the blob invariants and that the values equal want.
func checkIntset(t *testing.T, is *Intset, want []int64) {
	t.Helper()
	b := is.Bytes()
	enc := int(binary.LittleEndian.Uint32(b))
	n := int(binary.LittleEndian.Uint32(b[4:]))
	if n != len(want) || is.Len() != n {
		t.Fatalf("len %d, want %d", n, len(want))
	}
	if len(b) != 8+n*enc {
		t.Fatalf("blob is %d bytes, want %d", len(b), 8+n*enc)
	}
	// The encoding is the narrowest holding every value ever added; at
	// least the narrowest holding the current ones.
	need := IntsetEnc16
	for _, v := range want {
		need = max(need, valueEncoding(v))
	}
	if enc < need {
		t.Fatalf("encoding %d too narrow (need %d)", enc, need)
	}
	for i, v := range want {
		if g := is.Get(i); g != v {
			t.Fatalf("Get(%d) = %d, want %d", i, g, v)
		}
	}
	if _, err := IntsetFromBytes(b); n > 0 && err != nil {
		t.Fatalf("blob does not validate: %v", err)
	}
}

func TestIntsetBasics(t *testing.T) {
	is := NewIntset()
	if !slices.Equal(is.Bytes(), []byte{2, 0, 0, 0, 0, 0, 0, 0}) {
		t.Fatalf("empty blob %v", is.Bytes())
	}
	for _, v := range []int64{5, 1, 3} {
		if !is.Add(v) {
			t.Fatalf("Add(%d) = false", v)
		}
	}
	if is.Add(3) {
		t.Fatal("Add(3) twice = true")
	}
	want := []byte{2, 0, 0, 0, 3, 0, 0, 0, 1, 0, 3, 0, 5, 0}
	if !slices.Equal(is.Bytes(), want) {
		t.Fatalf("blob %v, want %v", is.Bytes(), want)
	}
	// Upgrade to 32 bits with a negative value: prepended.
	is.Add(-70000)
	checkIntset(t, is, []int64{-70000, 1, 3, 5})
	if is.Encoding() != IntsetEnc32 {
		t.Fatalf("encoding %d", is.Encoding())
	}
	// Upgrade to 64 bits with a positive value: appended.
	is.Add(math.MaxInt64)
	checkIntset(t, is, []int64{-70000, 1, 3, 5, math.MaxInt64})
	if is.Find(4) || !is.Find(5) || !is.Find(math.MaxInt64) || is.Find(math.MinInt64) {
		t.Fatal("Find")
	}
	if !is.Remove(math.MaxInt64) || is.Remove(math.MaxInt64) {
		t.Fatal("Remove")
	}
	// Removal never downgrades.
	if is.Encoding() != IntsetEnc64 {
		t.Fatal("downgraded")
	}
	checkIntset(t, is, []int64{-70000, 1, 3, 5})
	if is.Min() != -70000 || is.Max() != 5 {
		t.Fatal("Min/Max")
	}
	small := NewIntset()
	small.Add(1)
	if small.Find(1<<40) || small.Remove(1<<40) || small.Remove(-1) {
		t.Fatal("wider value found in narrow set")
	}
}

func TestIntsetFromBytes(t *testing.T) {
	bad := [][]byte{
		nil,
		{2, 0, 0, 0, 0, 0, 0, 0},             // empty
		{3, 0, 0, 0, 1, 0, 0, 0, 1, 0, 0},    // bad encoding
		{2, 0, 0, 0, 2, 0, 0, 0, 1, 0},       // short
		{2, 0, 0, 0, 2, 0, 0, 0, 1, 0, 1, 0}, // duplicate
		{2, 0, 0, 0, 2, 0, 0, 0, 2, 0, 1, 0}, // unsorted
	}
	for _, b := range bad {
		if _, err := IntsetFromBytes(b); err == nil {
			t.Errorf("IntsetFromBytes(%v) accepted", b)
		}
	}
	is, err := IntsetFromBytes([]byte{2, 0, 0, 0, 2, 0, 0, 0, 0xff, 0xff, 1, 0})
	if err != nil {
		t.Fatal(err)
	}
	checkIntset(t, is, []int64{-1, 1})
}

// TestIntsetModel runs random adds and removes against a sorted slice.
func TestIntsetModel(t *testing.T) {
	r := rand.New(rand.NewPCG(1, 2))
	ranges := []int64{10, 1 << 15, 1 << 31, math.MaxInt64}
	for round := 0; round < 50; round++ {
		is := NewIntset()
		var model []int64
		limit := ranges[round%len(ranges)]
		for op := 0; op < 2000; op++ {
			v := r.Int64N(limit)
			if r.IntN(2) == 0 {
				v = -v - 1
			}
			if limit == math.MaxInt64 && r.IntN(50) == 0 {
				v = []int64{math.MinInt64, math.MaxInt64, math.MinInt32 - 1, math.MaxInt32 + 1, math.MinInt16, math.MaxInt16}[r.IntN(6)]
			}
			pos, found := slices.BinarySearch(model, v)
			if r.IntN(3) == 0 {
				if got := is.Remove(v); got != found {
					t.Fatalf("Remove(%d) = %v, want %v", v, got, found)
				}
				if found {
					model = slices.Delete(model, pos, pos+1)
				}
			} else {
				if got := is.Add(v); got == found {
					t.Fatalf("Add(%d) = %v, want %v", v, got, !found)
				}
				if !found {
					model = slices.Insert(model, pos, v)
				}
			}
			if is.Find(v) != (r.IntN(1) == 0 && slices.Contains(model, v)) {
				t.Fatalf("Find(%d) wrong", v)
			}
		}
		checkIntset(t, is, model)
		if len(model) > 0 {
			seen := map[int64]bool{}
			for i := 0; i < 200; i++ {
				v := is.Random()
				if !slices.Contains(model, v) {
					t.Fatalf("Random returned %d, not a member", v)
				}
				seen[v] = true
			}
			if len(model) > 5 && len(seen) < 3 {
				t.Fatalf("Random not random: %v", seen)
			}
		}
		c := is.Clone()
		if !slices.Equal(c.Bytes(), is.Bytes()) {
			t.Fatal("Clone differs")
		}
	}
}

func BenchmarkIntsetAdd(b *testing.B) {
	is := NewIntset()
	for i := 0; i < b.N; i++ {
		is.Add(int64(i % 512))
	}
}
