package types

import (
	"cmp"
	"fmt"
	"math"
	"math/rand/v2"
	"slices"
	"testing"
	"unsafe"
)

type pair struct {
	score float64
	ele   string
}

func cmpPair(a, b pair) int {
	if c := cmp.Compare(a.score, b.score); c != 0 {
		return c
	}
	return cmp.Compare(a.ele, b.ele)
}

// checkSkiplist verifies the list against the sorted model: order, links,
// tail, spans (through ranks) and length.
func checkSkiplist(t *testing.T, zsl *Skiplist, model []pair) {
	t.Helper()
	if zsl.Len() != len(model) {
		t.Fatalf("Len %d, want %d", zsl.Len(), len(model))
	}
	i := 0
	var prev *ZslNode
	for x := zsl.First(); x != nil; x = x.Next() {
		if i >= len(model) || x.Score != model[i].score || x.Ele != model[i].ele {
			t.Fatalf("node %d is (%v,%q), want %v", i, x.Score, x.Ele, model[min(i, len(model)-1)])
		}
		if x.Prev() != prev {
			t.Fatalf("node %d: wrong backward link", i)
		}
		prev = x
		i++
	}
	if zsl.Last() != prev {
		t.Fatal("wrong tail")
	}
	for r, p := range model {
		if got := zsl.GetRank(p.score, p.ele); got != r+1 {
			t.Fatalf("GetRank(%v) = %d, want %d", p, got, r+1)
		}
		n := zsl.GetElementByRank(r + 1)
		if n == nil || n.Ele != p.ele {
			t.Fatalf("GetElementByRank(%d) wrong", r+1)
		}
	}
	if zsl.GetElementByRank(0) != nil || zsl.GetElementByRank(len(model)+1) != nil {
		t.Fatal("GetElementByRank out of range returned a node")
	}
	// Every level's spans add up to the length.
	for lv := 0; lv < zsl.level; lv++ {
		sum := 0
		for x := zsl.header; x != nil; x = x.lvl(lv).forward {
			if x.lvl(lv).forward != nil {
				sum += x.lvl(lv).span
			}
		}
		if sum > len(model) {
			t.Fatalf("level %d spans sum to %d > %d", lv, sum, len(model))
		}
	}
}

func TestNodeSizes(t *testing.T) {
	if s := unsafe.Sizeof(ZslNode{}); s != 48 {
		t.Errorf("a one-level node is %d bytes, want 48", s)
	}
	if s := unsafe.Sizeof(zslNodeN[[1]ZslLevel]{}); s != 64 {
		t.Errorf("a two-level node is %d bytes, want 64", s)
	}
	if s := unsafe.Sizeof(zslNodeN[[31]ZslLevel]{}); s != 48+31*16 {
		t.Errorf("a 32-level node is %d bytes", s)
	}
	for l := 1; l <= ZSkiplistMaxLevel; l++ {
		n := newZslNode(l)
		// Every level is addressable and zeroed.
		for i := 0; i < l; i++ {
			if n.lvl(i).forward != nil || n.lvl(i).span != 0 {
				t.Fatal("level not zero")
			}
		}
	}
}

func TestRandomLevel(t *testing.T) {
	counts := make([]int, ZSkiplistMaxLevel+1)
	const n = 400000
	for i := 0; i < n; i++ {
		counts[randomLevel()]++
	}
	// P(level 1) = 3/4, P(level 2) = 3/16.
	if f := float64(counts[1]) / n; math.Abs(f-0.75) > 0.01 {
		t.Errorf("level 1 frequency %.3f", f)
	}
	if f := float64(counts[2]) / n; math.Abs(f-0.1875) > 0.01 {
		t.Errorf("level 2 frequency %.3f", f)
	}
}

func randScore(r *rand.Rand) float64 {
	switch r.IntN(20) {
	case 0:
		return math.Inf(1)
	case 1:
		return math.Inf(-1)
	case 2:
		return 0
	}
	return float64(r.IntN(40)) / 4
}

func randEle(r *rand.Rand) string {
	n := r.IntN(3)
	b := make([]byte, n)
	for i := range b {
		b[i] = "ab\x00\xff"[r.IntN(4)]
	}
	return string(b)
}

// TestSkiplistModel drives a Zset with random operations and compares it,
// ranks and ranges included, with a sorted slice.
func TestSkiplistModel(t *testing.T) {
	r := rand.New(rand.NewPCG(7, 9))
	for round := 0; round < 30; round++ {
		z := NewZset()
		var model []pair
		find := func(ele string) int {
			return slices.IndexFunc(model, func(p pair) bool { return p.ele == ele })
		}
		for op := 0; op < 600; op++ {
			ele := randEle(r) + fmt.Sprint(r.IntN(60))
			score := randScore(r)
			i := find(ele)
			switch r.IntN(4) {
			case 0, 1: // add or update
				if i < 0 {
					z.Insert(ele, score)
					p := pair{score, ele}
					pos, _ := slices.BinarySearchFunc(model, p, cmpPair)
					model = slices.Insert(model, pos, p)
				} else {
					z.Update(ele, model[i].score, score)
					model = slices.Delete(model, i, i+1)
					p := pair{score, ele}
					pos, _ := slices.BinarySearchFunc(model, p, cmpPair)
					model = slices.Insert(model, pos, p)
				}
			case 2: // remove
				if got := z.Remove(ele); got != (i >= 0) {
					t.Fatalf("Remove(%q) = %v", ele, got)
				}
				if i >= 0 {
					model = slices.Delete(model, i, i+1)
				}
			case 3: // rank
				rank := z.Rank(ele, false)
				rev := z.Rank(ele, true)
				if i < 0 && (rank != -1 || rev != -1) || i >= 0 && (rank != i || rev != len(model)-1-i) {
					t.Fatalf("Rank(%q) = %d/%d, want %d", ele, rank, rev, i)
				}
			}
			if s, ok := z.Score(ele); ok != (find(ele) >= 0) || ok && s != model[find(ele)].score {
				t.Fatalf("Score(%q) wrong", ele)
			}
		}
		checkSkiplist(t, z.Zsl, model)
		if z.Dict.Len() != len(model) {
			t.Fatal("dict length")
		}
		checkRanges(t, r, z, model)
	}
}

func checkRanges(t *testing.T, r *rand.Rand, z *Zset, model []pair) {
	t.Helper()
	for q := 0; q < 200; q++ {
		sr := RangeSpec{Min: randScore(r), Max: randScore(r), MinEx: r.IntN(2) == 0, MaxEx: r.IntN(2) == 0}
		var in []pair
		for _, p := range model {
			if sr.GteMin(p.score) && sr.LteMax(p.score) {
				in = append(in, p)
			}
		}
		zr := ZRange{ByScore: sr}
		first, last := z.Zsl.FirstInRange(&zr), z.Zsl.LastInRange(&zr)
		if len(in) == 0 {
			if first != nil || last != nil {
				t.Fatalf("range %+v: found a node, want none", sr)
			}
		} else if first == nil || last == nil || first.Ele != in[0].ele || last.Ele != in[len(in)-1].ele {
			t.Fatalf("range %+v: wrong first/last", sr)
		}
	}
}

// TestSkiplistLex checks lex ranges on a list whose scores are all equal,
// as ZRANGEBYLEX requires.
func TestSkiplistLex(t *testing.T) {
	r := rand.New(rand.NewPCG(3, 4))
	for round := 0; round < 50; round++ {
		z := NewZset()
		var model []pair
		for i := 0; i < 80; i++ {
			ele := randEle(r) + randEle(r)
			if _, ok := z.Score(ele); ok {
				continue
			}
			z.Insert(ele, 1)
			model = append(model, pair{1, ele})
		}
		slices.SortFunc(model, cmpPair)
		checkSkiplist(t, z.Zsl, model)
		for q := 0; q < 100; q++ {
			lr := LexRangeSpec{Min: randEle(r), Max: randEle(r), MinEx: r.IntN(2) == 0, MaxEx: r.IntN(2) == 0,
				MinKind: int8(r.IntN(3) - 1), MaxKind: int8(r.IntN(3) - 1)}
			var in []pair
			for _, p := range model {
				if lr.GteMin(p.ele) && lr.LteMax(p.ele) {
					in = append(in, p)
				}
			}
			zr := ZRange{Lex: true, ByLex: lr}
			first, last := z.Zsl.FirstInRange(&zr), z.Zsl.LastInRange(&zr)
			if len(in) == 0 {
				if first != nil || last != nil {
					t.Fatalf("lex range %+v: found a node", lr)
				}
				continue
			}
			if first == nil || last == nil || first.Ele != in[0].ele || last.Ele != in[len(in)-1].ele {
				t.Fatalf("lex range %+v: wrong first/last", lr)
			}
		}
		// Delete a lex range and compare.
		lr := LexRangeSpec{Min: "a", Max: "b", MaxEx: true}
		var keep []pair
		removed := 0
		for _, p := range model {
			if lr.GteMin(p.ele) && lr.LteMax(p.ele) {
				removed++
			} else {
				keep = append(keep, p)
			}
		}
		if got := z.Zsl.DeleteInRange(&ZRange{Lex: true, ByLex: lr}, z.DeleteFn()); got != removed {
			t.Fatalf("DeleteInRange removed %d, want %d", got, removed)
		}
		checkSkiplist(t, z.Zsl, keep)
		if z.Dict.Len() != len(keep) {
			t.Fatal("dict not updated")
		}
	}
}

func TestSkiplistDeleteRanges(t *testing.T) {
	r := rand.New(rand.NewPCG(5, 6))
	for round := 0; round < 100; round++ {
		z := NewZset()
		var model []pair
		for i := 0; i < 50; i++ {
			ele := fmt.Sprint("m", i)
			s := randScore(r)
			z.Insert(ele, s)
			model = append(model, pair{s, ele})
		}
		slices.SortFunc(model, cmpPair)
		if round%2 == 0 {
			sr := RangeSpec{Min: randScore(r), Max: randScore(r), MinEx: r.IntN(2) == 0, MaxEx: r.IntN(2) == 0}
			var keep []pair
			for _, p := range model {
				if !(sr.GteMin(p.score) && sr.LteMax(p.score)) {
					keep = append(keep, p)
				}
			}
			got := z.Zsl.DeleteInRange(&ZRange{ByScore: sr}, z.DeleteFn())
			// DeleteInRange relies on the range being sane.
			if !sr.Empty() && got != len(model)-len(keep) {
				t.Fatalf("DeleteInRange(%+v) = %d, want %d", sr, got, len(model)-len(keep))
			}
			if !sr.Empty() {
				checkSkiplist(t, z.Zsl, keep)
			}
		} else {
			start := 1 + r.IntN(50)
			end := start + r.IntN(60)
			got := z.Zsl.DeleteRangeByRank(start, end, z.DeleteFn())
			keep := slices.Delete(slices.Clone(model), start-1, min(end, len(model)))
			if got != len(model)-len(keep) {
				t.Fatalf("DeleteRangeByRank(%d,%d) = %d", start, end, got)
			}
			checkSkiplist(t, z.Zsl, keep)
			if z.Dict.Len() != len(keep) {
				t.Fatal("dict not updated")
			}
		}
	}
}

func BenchmarkSkiplistInsert(b *testing.B) {
	z := NewZset()
	keys := make([]string, b.N)
	for i := range keys {
		keys[i] = fmt.Sprint("member:", i)
	}
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		z.Insert(keys[i], float64(i%1000))
	}
}

// BenchmarkSkiplistRange measures the range walks, on a list that fits
// in cache and on a big one: the first and last node of a narrow score
// range, and of a lex range of members of one score.
func BenchmarkSkiplistRange(b *testing.B) {
	for _, n := range []int{1 << 10, 1 << 20} {
		byScore, byLex := NewZset(), NewZset()
		names := make([]string, n)
		for i := range names {
			names[i] = fmt.Sprintf("member:%08d", i)
			byScore.Insert(names[i], float64(i))
			byLex.Insert(names[i], 0)
		}
		r := rand.New(rand.NewPCG(1, 2))
		b.Run(fmt.Sprint("score/", n), func(b *testing.B) {
			for i := 0; i < b.N; i++ {
				lo := float64(r.IntN(n - 10))
				sr := ZRange{ByScore: RangeSpec{Min: lo, Max: lo + 10, MinEx: true}}
				if byScore.Zsl.FirstInRange(&sr) == nil || byScore.Zsl.LastInRange(&sr) == nil {
					b.Fatal("empty range")
				}
			}
		})
		b.Run(fmt.Sprint("lex/", n), func(b *testing.B) {
			for i := 0; i < b.N; i++ {
				lo := r.IntN(n - 10)
				lr := ZRange{Lex: true, ByLex: LexRangeSpec{Min: names[lo], Max: names[lo+10], MinEx: true}}
				if byLex.Zsl.FirstInRange(&lr) == nil || byLex.Zsl.LastInRange(&lr) == nil {
					b.Fatal("empty range")
				}
			}
		})
	}
}
