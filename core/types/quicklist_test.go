package types_test

import (
	"bytes"
	"encoding/binary"
	"fmt"
	"math/rand/v2"
	"slices"
	"strconv"
	"testing"

	"github.com/redisfs/redisfs/core/proto"
	"github.com/redisfs/redisfs/core/redistest"
	"github.com/redisfs/redisfs/core/types"
)

func qlValues(ql *types.Quicklist, forward bool) [][]byte {
	var out [][]byte
	it := ql.Iterator(forward)
	for it.Next() {
		out = append(out, it.AppendValue(nil))
	}
	if !forward {
		slices.Reverse(out)
	}
	return out
}

func checkQL(t *testing.T, ql *types.Quicklist, model [][]byte) {
	t.Helper()
	if ql.Len() != len(model) {
		t.Fatalf("Len %d, model %d", ql.Len(), len(model))
	}
	total, nodes := 0, 0
	ql.ForEachNode(func(lp types.Listpack) {
		if !lp.Validate() || lp.Len() == 0 {
			t.Fatalf("bad node % x", []byte(lp))
		}
		total += lp.Len()
		nodes++
	})
	if total != len(model) || nodes != ql.Nodes() {
		t.Fatalf("nodes hold %d elements in %d nodes; Len %d Nodes %d", total, nodes, ql.Len(), ql.Nodes())
	}
	for _, fw := range []bool{true, false} {
		got := qlValues(ql, fw)
		for i := range model {
			if !bytes.Equal(got[i], model[i]) {
				t.Fatalf("forward=%v element %d: %q, model %q", fw, i, got[i], model[i])
			}
		}
	}
	if len(model) > 0 {
		i := rand.IntN(len(model))
		s, v, isInt, ok := ql.Index(i)
		if !ok || !isInt && !bytes.Equal(s, model[i]) || isInt && strconv.FormatInt(v, 10) != string(model[i]) {
			t.Fatalf("Index(%d) wrong", i)
		}
		s, v, isInt, ok = ql.Index(i - len(model))
		if !ok || !isInt && !bytes.Equal(s, model[i]) || isInt && strconv.FormatInt(v, 10) != string(model[i]) {
			t.Fatalf("Index(%d) wrong", i-len(model))
		}
	}
	if _, _, _, ok := ql.Index(len(model)); ok {
		t.Fatal("Index past the end found an element")
	}
}

func insertModel(m [][]byte, i int, v []byte) [][]byte {
	return append(m[:i], append([][]byte{v}, m[i:]...)...)
}

// TestQuicklistRandom runs random list operations against a [][]byte model
// with several fill factors.
func TestQuicklistRandom(t *testing.T) {
	for _, fill := range []int{-1, -2, -5, 1, 2, 3, 5, 128} {
		r := rand.New(rand.NewPCG(uint64(fill+10), 7))
		for round := 0; round < 12; round++ {
			ql := types.NewQuicklist(fill)
			var model [][]byte
			for op := 0; op < 300; op++ {
				v := randValue(r)
				switch k := r.IntN(12); {
				case k < 2:
					ql.PushTail(v)
					model = append(model, v)
				case k < 4:
					ql.PushHead(v)
					model = insertModel(model, 0, v)
				case k < 5 && len(model) > 0:
					head := r.IntN(2) == 0
					got, ok := ql.Pop(head, nil)
					want := model[len(model)-1]
					if head {
						want = model[0]
						model = model[1:]
					} else {
						model = model[:len(model)-1]
					}
					if !ok || !bytes.Equal(got, want) {
						t.Fatalf("Pop = %q, want %q", got, want)
					}
				case k < 6 && len(model) > 0:
					i := r.IntN(len(model))
					it, ok := ql.IteratorAt(i, true)
					if !ok || !it.Next() {
						t.Fatal("IteratorAt failed")
					}
					if r.IntN(2) == 0 {
						it.InsertAfter(v)
						model = insertModel(model, i+1, v)
					} else {
						it.InsertBefore(v)
						model = insertModel(model, i, v)
					}
				case k < 7 && len(model) > 0:
					i := r.IntN(len(model))
					ql.ReplaceAt(i-len(model)*r.IntN(2), v)
					model[i] = v
				case k < 8 && len(model) > 0:
					// Delete matching elements while iterating, as LREM.
					target := model[r.IntN(len(model))]
					forward := r.IntN(2) == 0
					limit := r.IntN(3)
					removed := 0
					var it types.QuicklistIter
					if forward {
						it, _ = ql.IteratorAt(0, true)
					} else {
						it, _ = ql.IteratorAt(-1, false)
					}
					for it.Next() {
						if it.Equal(target) {
							it.Delete()
							removed++
							if limit > 0 && removed == limit {
								break
							}
						}
					}
					var nm [][]byte
					n := 0
					if forward {
						for _, e := range model {
							if bytes.Equal(e, target) && (limit == 0 || n < limit) {
								n++
								continue
							}
							nm = append(nm, e)
						}
					} else {
						for j := len(model) - 1; j >= 0; j-- {
							e := model[j]
							if bytes.Equal(e, target) && (limit == 0 || n < limit) {
								n++
								continue
							}
							nm = append([][]byte{e}, nm...)
						}
					}
					model = nm
					if n != removed {
						t.Fatalf("removed %d, model %d", removed, n)
					}
				case k < 9 && len(model) > 0:
					start := r.IntN(len(model))
					count := r.IntN(len(model) + 1)
					if r.IntN(2) == 0 {
						ql.DelRange(start, count)
					} else {
						ql.DelRange(start-len(model), count)
					}
					end := min(start+count, len(model))
					model = append(model[:start], model[end:]...)
				case k < 10:
					for j := r.IntN(50); j > 0; j-- {
						v := []byte(strconv.Itoa(r.IntN(1000)))
						ql.PushTail(v)
						model = append(model, v)
					}
				default:
					// Walk from the middle in both directions.
					if len(model) > 0 {
						i := r.IntN(len(model))
						it, _ := ql.IteratorAt(i, false)
						j := i
						for it.Next() {
							if !it.Equal(model[j]) {
								t.Fatalf("backward walk from %d: element %d differs", i, j)
							}
							j--
						}
						if j != -1 {
							t.Fatalf("backward walk stopped at %d", j)
						}
					}
				}
				checkQL(t, ql, model)
			}
		}
	}
}

// rdbLen reads an RDB length; special reports an encoded-string marker.
func rdbLen(b []byte) (n uint64, special bool, rest []byte) {
	switch b[0] >> 6 {
	case 0:
		return uint64(b[0] & 0x3F), false, b[1:]
	case 1:
		return uint64(b[0]&0x3F)<<8 | uint64(b[1]), false, b[2:]
	case 2:
		if b[0] == 0x80 {
			return uint64(binary.BigEndian.Uint32(b[1:])), false, b[5:]
		}
		return binary.BigEndian.Uint64(b[1:]), false, b[9:]
	}
	return uint64(b[0] & 0x3F), true, b[1:]
}

func rdbString(t *testing.T, b []byte) ([]byte, []byte) {
	n, special, rest := rdbLen(b)
	if special {
		t.Fatalf("unexpected encoded string (type %d)", n)
	}
	return rest[:n], rest[n:]
}

// dumpPayload returns the value bytes of a DUMP reply, CRC and version cut.
func dumpPayload(t *testing.T, reply []byte) []byte {
	r, _, err := proto.ReadReply(reply)
	if err != nil || r.Type != '$' {
		t.Fatalf("DUMP reply %q", reply)
	}
	return r.Str[:len(r.Str)-10]
}

// dumpQuicklistNodes decodes a DUMP of a Redis 7.0 list
// (RDB_TYPE_LIST_QUICKLIST_2) into its node listpacks.
func dumpQuicklistNodes(t *testing.T, reply []byte) [][]byte {
	b := dumpPayload(t, reply)
	if b[0] != 18 {
		t.Fatalf("DUMP type %d, want 18", b[0])
	}
	n, _, rest := rdbLen(b[1:])
	var nodes [][]byte
	for i := uint64(0); i < n; i++ {
		var container uint64
		container, _, rest = rdbLen(rest)
		if container != 2 {
			t.Fatalf("node container %d", container)
		}
		var lp []byte
		lp, rest = rdbString(t, rest)
		nodes = append(nodes, lp)
	}
	return nodes
}

// TestQuicklistMatchesRedisDump replays list commands on a real Redis and
// on a Quicklist and compares every node's listpack with what DUMP shows:
// node splits, merges and encodings must be Redis's byte for byte.
func TestQuicklistMatchesRedisDump(t *testing.T) {
	addr := redistest.StartRedis(t, "--rdbcompression", "no")
	c := redistest.Dial(t, addr)
	for _, fill := range []int{-2, -1, 3, 5} {
		c.Do("CONFIG", "SET", "list-max-listpack-size", strconv.Itoa(fill))
		r := rand.New(rand.NewPCG(uint64(fill+100), 9))
		for round := 0; round < 20; round++ {
			c.Do("DEL", "l")
			ql := types.NewQuicklist(fill)
			var model [][]byte
			for op := 0; op < 150; op++ {
				var v []byte
				switch r.IntN(4) {
				case 0:
					v = []byte(strconv.Itoa(r.IntN(2000) - 1000))
				case 1:
					v = bytes.Repeat([]byte{'a' + byte(r.IntN(3))}, r.IntN(300))
				default:
					v = []byte(fmt.Sprintf("e%d", r.IntN(30)))
				}
				var desc string
				switch k := r.IntN(10); {
				case k < 3 || len(model) == 0:
					c.Do("RPUSH", "l", string(v))
					ql.PushTail(v)
					model = append(model, v)
					desc = "RPUSH"
				case k < 5:
					c.Do("LPUSH", "l", string(v))
					ql.PushHead(v)
					model = insertModel(model, 0, v)
					desc = "LPUSH"
				case k < 7:
					pivot := model[r.IntN(len(model))]
					after := r.IntN(2) == 0
					where := "BEFORE"
					if after {
						where = "AFTER"
					}
					c.Do("LINSERT", "l", where, string(pivot), string(v))
					it := ql.Iterator(true)
					i := 0
					for it.Next() {
						if it.Equal(pivot) {
							if after {
								it.InsertAfter(v)
								model = insertModel(model, i+1, v)
							} else {
								it.InsertBefore(v)
								model = insertModel(model, i, v)
							}
							break
						}
						i++
					}
					desc = "LINSERT " + where
				case k < 8:
					i := r.IntN(len(model))
					c.Do("LSET", "l", strconv.Itoa(i), string(v))
					ql.ReplaceAt(i, v)
					model[i] = v
					desc = "LSET"
				case k < 9:
					target := model[r.IntN(len(model))]
					c.Do("LREM", "l", "-2", string(target))
					it, _ := ql.IteratorAt(-1, false)
					n := 0
					for it.Next() {
						if it.Equal(target) {
							it.Delete()
							if n++; n == 2 {
								break
							}
						}
					}
					model = qlValues(ql, true)
					desc = "LREM"
				default:
					n := r.IntN(3)
					c.Do("LPOP", "l", strconv.Itoa(n))
					ql.DelRange(0, n)
					model = model[min(n, len(model)):]
					desc = "LPOP"
				}
				if ql.Len() == 0 {
					continue
				}
				want := dumpQuicklistNodes(t, c.Do("DUMP", "l"))
				var got [][]byte
				ql.ForEachNode(func(lp types.Listpack) { got = append(got, append([]byte(nil), lp...)) })
				if len(got) != len(want) {
					t.Fatalf("fill %d after %s: %d nodes, Redis has %d", fill, desc, len(got), len(want))
				}
				for i := range got {
					if !bytes.Equal(got[i], want[i]) {
						t.Fatalf("fill %d after %s: node %d differs:\n ours  % x\n redis % x", fill, desc, i, got[i], want[i])
					}
				}
			}
		}
	}
}

// TestListpackMatchesRedisDump compares a hash's listpack with Redis's.
func TestListpackMatchesRedisDump(t *testing.T) {
	addr := redistest.StartRedis(t, "--rdbcompression", "no")
	c := redistest.Dial(t, addr)
	r := rand.New(rand.NewPCG(5, 6))
	for round := 0; round < 50; round++ {
		c.Do("DEL", "h")
		lp := types.NewListpack(0)
		for i := 0; i < 40; i++ {
			f := randValue(r)
			v := randValue(r)
			if len(f) > 60 || len(v) > 60 {
				continue
			}
			reply := c.Do("HSET", "h", string(f), string(v))
			if string(reply) == ":1\r\n" {
				lp.Append(f)
				lp.Append(v)
			} else {
				p := lp.Find(lp.First(), f, 1)
				lp.Replace(lp.Next(p), v)
			}
		}
		b := dumpPayload(t, c.Do("DUMP", "h"))
		if b[0] != 16 {
			t.Fatalf("DUMP type %d, want 16 (hash listpack)", b[0])
		}
		want, _ := rdbString(t, b[1:])
		if !bytes.Equal(lp, want) {
			t.Fatalf("listpack differs:\n ours  % x\n redis % x", []byte(lp), want)
		}
	}
}

func BenchmarkQuicklistPushPop(b *testing.B) {
	ql := types.NewQuicklist(-2)
	v := []byte("xxxxxxxxxx")
	for i := 0; i < b.N; i++ {
		ql.PushHead(v)
		if i%2 == 1 {
			ql.Pop(true, nil)
		}
	}
}

// TestQuicklistDup checks that a copy has the same nodes and is
// independent of the original.
func TestQuicklistDup(t *testing.T) {
	ql := types.NewQuicklist(3)
	var model [][]byte
	for i := 0; i < 20; i++ {
		v := []byte(strconv.Itoa(i))
		ql.PushTail(v)
		model = append(model, v)
	}
	cp := ql.Dup()
	var a, b [][]byte
	ql.ForEachNode(func(lp types.Listpack) { a = append(a, lp) })
	cp.ForEachNode(func(lp types.Listpack) { b = append(b, lp) })
	if len(a) != len(b) || cp.Len() != ql.Len() {
		t.Fatalf("%d nodes, copy %d", len(a), len(b))
	}
	for i := range a {
		if !bytes.Equal(a[i], b[i]) || &a[i][0] == &b[i][0] {
			t.Fatalf("node %d differs or is shared", i)
		}
	}
	cp.PushHead([]byte("new"))
	cp.ReplaceAt(5, []byte("changed"))
	checkQL(t, ql, model)
}
