package types_test

import (
	"math/rand/v2"
	"slices"
	"strconv"
	"testing"

	"github.com/redisfs/redisfs/core/types"
)

// streamEntries reads every live entry with the iterator, forward or
// backward, as "id f=v …".
func streamEntries(s *types.Stream, rev bool) []string {
	var out []string
	var it types.StreamIterator
	it.Start(s, nil, nil, rev)
	for {
		id, n, ok := it.Next()
		if !ok {
			return out
		}
		e := id.String()
		for ; n > 0; n-- {
			f, v := it.Field()
			e += " " + string(f.Append(nil)) + "=" + string(v.Append(nil))
		}
		out = append(out, e)
	}
}

// TestStreamModel checks appends, deletes and trims of many shapes
// against a plain slice, every node validated as RDB loading would.
func TestStreamModel(t *testing.T) {
	for seed := uint64(0); seed < 20; seed++ {
		r := rand.New(rand.NewPCG(seed, 3))
		s := types.NewStream()
		var model []string
		var ids []types.StreamID
		maxEntries := int64(1 + r.IntN(6))
		maxBytes := int64([]int{0, 60, 200, 4096}[r.IntN(4)])
		ms := uint64(0)
		for step := 0; step < 400; step++ {
			switch op := r.IntN(10); {
			case op < 6:
				ms += uint64(r.IntN(3))
				id := types.StreamID{Ms: ms, Seq: uint64(r.IntN(2))}
				fv := [][]byte{[]byte("f"), []byte(strconv.Itoa(r.IntN(1000)))}
				if r.IntN(3) == 0 {
					fv = append(fv, []byte("g"+strconv.Itoa(r.IntN(2))), []byte("-7"))
				}
				got, ok, _ := s.AppendItem(fv, &id, true, maxBytes, maxEntries)
				if !ok {
					continue
				}
				e := got.String()
				for i := 0; i < len(fv); i += 2 {
					e += " " + string(fv[i]) + "=" + string(fv[i+1])
				}
				model = append(model, e)
				ids = append(ids, got)
			case op < 8 && len(ids) > 0:
				i := r.IntN(len(ids))
				if !s.DeleteID(ids[i]) {
					t.Fatalf("seed %d: DeleteID(%v) found nothing", seed, ids[i])
				}
				model = slices.Delete(model, i, i+1)
				ids = slices.Delete(ids, i, i+1)
			case op == 8:
				maxlen := r.IntN(len(model) + 2)
				n := s.Trim(types.TrimMaxLen, int64(maxlen), types.StreamID{}, false, 0)
				if want := max(len(model)-maxlen, 0); int(n) != want {
					t.Fatalf("seed %d: trim to %d removed %d, want %d", seed, maxlen, n, want)
				}
				model, ids = model[n:], ids[n:]
			default:
				min := types.StreamID{Ms: uint64(r.IntN(int(ms) + 2))}
				n := s.Trim(types.TrimMinID, 0, min, false, 0)
				k := 0
				for k < len(ids) && ids[k].Compare(min) < 0 {
					k++
				}
				if int(n) != k {
					t.Fatalf("seed %d: MINID %v removed %d, want %d", seed, min, n, k)
				}
				model, ids = model[k:], ids[k:]
			}
			if int(s.Length) != len(model) || s.CountLive() != s.Length {
				t.Fatalf("seed %d step %d: length %d, counted %d, model %d", seed, step, s.Length, s.CountLive(), len(model))
			}
			if got := streamEntries(s, false); !slices.Equal(got, model) {
				t.Fatalf("seed %d step %d: forward\n got %q\nwant %q", seed, step, got, model)
			}
			rev := slices.Clone(model)
			slices.Reverse(rev)
			if got := streamEntries(s, true); !slices.Equal(got, rev) {
				t.Fatalf("seed %d step %d: backward\n got %q\nwant %q", seed, step, got, rev)
			}
			for i := 0; i < s.Nodes(); i++ {
				if _, lp := s.Node(i); !lp.Validate() || !types.ValidateStreamListpack(lp) {
					t.Fatalf("seed %d step %d: node %d invalid", seed, step, i)
				}
			}
		}
	}
}
