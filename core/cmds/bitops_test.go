package cmds_test

import (
	"math/rand/v2"
	"strconv"
	"testing"
)

func TestBitopsTranscript(t *testing.T) { runFamilyTranscript(t, "bitops") }

// randomBits returns a string biased towards the bytes bit commands care
// about (all zeros, all ones, a single bit), sometimes an integer (stored
// int-encoded).
func randomBits(r *rand.Rand) string {
	if r.IntN(8) == 0 {
		return strconv.FormatInt(r.Int64N(2000000)-1000000, 10)
	}
	n := r.IntN(42)
	b := make([]byte, n)
	fill := r.IntN(4)
	for i := range b {
		switch {
		case r.IntN(6) == 0:
			b[i] = byte(r.UintN(256))
		case fill == 0:
			b[i] = 0
		case fill == 1:
			b[i] = 0xff
		case fill == 2:
			b[i] = 1 << r.UintN(8)
		default:
			b[i] = ^byte(1 << r.UintN(8))
		}
	}
	return string(b)
}

// randomIndex returns a range index, mostly near the ends of short strings.
func randomIndex(r *rand.Rand) string {
	switch r.IntN(20) {
	case 0:
		return "9223372036854775807"
	case 1:
		return "-9223372036854775808"
	case 2:
		return strconv.Itoa(r.IntN(1000) - 500)
	}
	return strconv.Itoa(r.IntN(100) - 50)
}

// TestBitRangesVersusRedis compares BITCOUNT, BITPOS and GETRANGE with
// random ranges (byte and bit units) on random strings.
func TestBitRangesVersusRedis(t *testing.T) {
	ref, ours, _ := startPair(t, nil)
	r := rand.New(rand.NewPCG(3, 4))
	units := []string{"BIT", "BYTE", "bit"}
	for round := 0; round < 60; round++ {
		batch := [][]string{{"SET", "k", randomBits(r)}}
		for i := 0; i < 100; i++ {
			unit := units[r.IntN(len(units))]
			bit := strconv.Itoa(r.IntN(2))
			s, e := randomIndex(r), randomIndex(r)
			switch r.IntN(8) {
			case 0:
				batch = append(batch, []string{"BITCOUNT", "k", s, e})
			case 1:
				batch = append(batch, []string{"BITCOUNT", "k", s, e, unit})
			case 2:
				batch = append(batch, []string{"BITPOS", "k", bit, s})
			case 3:
				batch = append(batch, []string{"BITPOS", "k", bit, s, e})
			case 4, 5:
				batch = append(batch, []string{"BITPOS", "k", bit, s, e, unit})
			case 6:
				batch = append(batch, []string{"GETRANGE", "k", s, e})
			default:
				batch = append(batch, []string{"BITPOS", "k", bit}, []string{"BITCOUNT", "k"})
			}
		}
		compareBatch(t, ref, ours, batch)
		if t.Failed() {
			return
		}
	}
}

// TestBitWritesVersusRedis compares random SETBIT, SETRANGE, BITOP and
// BITFIELD sequences on a few keys, reading the values back.
func TestBitWritesVersusRedis(t *testing.T) {
	ref, ours, _ := startPair(t, nil)
	r := rand.New(rand.NewPCG(5, 6))
	keys := []string{"a", "b", "c", "d"}
	ops := []string{"AND", "OR", "XOR", "NOT"}
	types := func() string {
		if r.IntN(2) == 0 {
			return "i" + strconv.Itoa(1+r.IntN(64))
		}
		return "u" + strconv.Itoa(1+r.IntN(63))
	}
	value := func() string {
		switch r.IntN(6) {
		case 0:
			return strconv.FormatInt(int64(r.Uint64()), 10)
		case 1:
			return "9223372036854775807"
		case 2:
			return "-9223372036854775808"
		}
		return strconv.Itoa(r.IntN(600) - 300)
	}
	for round := 0; round < 60; round++ {
		var batch [][]string
		for _, k := range keys {
			batch = append(batch, []string{"SET", k, randomBits(r)})
		}
		for i := 0; i < 60; i++ {
			k := keys[r.IntN(len(keys))]
			switch r.IntN(6) {
			case 0:
				batch = append(batch, []string{"SETBIT", k, strconv.Itoa(r.IntN(400)), strconv.Itoa(r.IntN(2))})
			case 1:
				batch = append(batch, []string{"SETRANGE", k, strconv.Itoa(r.IntN(50)), randomBits(r)})
			case 2:
				op := ops[r.IntN(len(ops))]
				args := []string{"BITOP", op, k, keys[r.IntN(len(keys))]}
				if op != "NOT" {
					for n := r.IntN(3); n >= 0; n-- {
						args = append(args, keys[r.IntN(len(keys))])
					}
				}
				batch = append(batch, args)
			default:
				args := []string{"BITFIELD", k}
				for n := 1 + r.IntN(4); n > 0; n-- {
					off := strconv.Itoa(r.IntN(300))
					if r.IntN(4) == 0 {
						off = "#" + strconv.Itoa(r.IntN(8))
					}
					switch r.IntN(5) {
					case 0:
						args = append(args, "OVERFLOW", []string{"WRAP", "SAT", "FAIL"}[r.IntN(3)])
					case 1:
						args = append(args, "GET", types(), off)
					case 2:
						args = append(args, "SET", types(), off, value())
					default:
						args = append(args, "INCRBY", types(), off, value())
					}
				}
				batch = append(batch, args)
				if r.IntN(2) == 0 {
					ro := []string{"BITFIELD_RO", k}
					for n := 1 + r.IntN(3); n > 0; n-- {
						ro = append(ro, "GET", types(), strconv.Itoa(r.IntN(400)))
					}
					batch = append(batch, ro)
				}
			}
			batch = append(batch, []string{"GET", k})
		}
		compareBatch(t, ref, ours, batch)
		if t.Failed() {
			return
		}
	}
}

// BenchmarkSETBIT sets bits in a 64 KB bitmap.
func BenchmarkSETBIT(b *testing.B) {
	benchCommand(b, []string{"SETBIT bm 524287 1\r\n"}, "*4\r\n$6\r\nSETBIT\r\n$2\r\nbm\r\n$5\r\n12345\r\n$1\r\n1\r\n")
}

// BenchmarkBITCOUNT counts the bits of a 64 KB bitmap.
func BenchmarkBITCOUNT(b *testing.B) {
	benchCommand(b, []string{"SETBIT bm 524287 1\r\n"}, "*2\r\n$8\r\nBITCOUNT\r\n$2\r\nbm\r\n")
}
