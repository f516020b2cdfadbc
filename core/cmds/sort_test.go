package cmds_test

import (
	"fmt"
	"math/rand/v2"
	"path/filepath"
	"strconv"
	"testing"

	"github.com/redisfs/redisfs/core/redistest"
)

// Tests of SORT and SORT_RO: the transcript, and random SORTs of lists,
// sets and sorted sets with random weights, patterns and options compared
// with Redis.

func TestSortTranscript(t *testing.T) {
	redistest.RunTranscriptFile(t, filepath.Join(redistest.RepoRoot(t), "testdata", "sort.txt"), nil)
}

// sortValue returns a random element or weight. It never overflows or
// underflows a double: after an ERANGE, Redis fails every numeric SORT
// of the process (its strtod leaves errno set).
func sortValue(r *rand.Rand) string {
	switch r.IntN(10) {
	case 0:
		return fmt.Sprint(r.IntN(5) - 2)
	case 1:
		return strconv.FormatFloat(r.NormFloat64()*100, 'g', -1, 64)
	case 2:
		return []string{"inf", "-inf", "1e10", "0x1p3", " 7", "-0"}[r.IntN(6)]
	case 3:
		return string(rune('a'+r.IntN(4))) + string(rune('a'+r.IntN(4)))
	}
	return strconv.Itoa(r.IntN(30))
}

// TestSortVersusRedis builds lists, sets and sorted sets with weights in
// strings and hash fields, then runs random SORTs on both servers. Orders
// Redis leaves to its hash table (sets and sorted sets with ties it cannot
// break) are avoided.
func TestSortVersusRedis(t *testing.T) {
	p := szPair(t, nil)
	r := rand.New(rand.NewPCG(5, 8))
	for round := 0; round < 40; round++ {
		p.Do("FLUSHALL")
		numeric := r.IntN(2) == 0
		var elems []string
		for n := r.IntN(20); n >= 0; n-- {
			e := sortValue(r)
			if numeric {
				e = strconv.Itoa(r.IntN(50) - 10)
			}
			elems = append(elems, e)
		}
		p.Do(append([]string{"RPUSH", "l"}, elems...)...)
		var ints []string
		for _, e := range elems {
			if _, err := strconv.Atoi(e); err == nil && e == strconv.Itoa(atoi(e)) {
				ints = append(ints, e)
			}
		}
		if len(ints) > 0 {
			p.Do(append([]string{"SADD", "si"}, ints...)...)
		}
		zargs := []string{"ZADD", "z"}
		for i, e := range elems {
			zargs = append(zargs, strconv.Itoa(r.IntN(5)), e+strconv.Itoa(i%3))
		}
		p.Do(zargs...)
		for _, e := range elems {
			if r.IntN(4) != 0 {
				p.Do("SET", "w_"+e, sortValue(r))
			}
			if r.IntN(3) != 0 {
				p.Do("HSET", "h_"+e, "f", sortValue(r), "g", sortValue(r))
			}
		}
		for q := 0; q < 60; q++ {
			key := []string{"l", "si", "z"}[r.IntN(3)]
			args := []string{"SORT", key}
			if r.IntN(4) == 0 {
				args[0] = "SORT_RO"
			}
			alpha := r.IntN(2) == 0
			by := ""
			switch r.IntN(5) {
			case 0:
				by = "nosort"
			case 1:
				by = "w_*"
			case 2:
				by = "h_*->f"
			case 3:
				by = "nokey_*"
			}
			// Ties Redis breaks by its hash table order.
			if key == "z" && by != "" && by != "nosort" && alpha {
				alpha = false
			}
			if by != "" {
				args = append(args, "BY", by)
			}
			if alpha {
				args = append(args, "ALPHA")
			}
			if r.IntN(2) == 0 {
				args = append(args, []string{"ASC", "DESC"}[r.IntN(2)])
			}
			if r.IntN(2) == 0 {
				args = append(args, "LIMIT", strconv.Itoa(r.IntN(12)-2), strconv.Itoa(r.IntN(12)-2))
			}
			for n := r.IntN(3); n > 0; n-- {
				args = append(args, "GET", []string{"#", "w_*", "h_*->g", "nokey_*", "h_*->nofield"}[r.IntN(5)])
			}
			store := args[0] == "SORT" && r.IntN(4) == 0
			if store {
				args = append(args, "STORE", "dst")
			}
			p.Do(args...)
			if store {
				p.Do("LRANGE", "dst", "0", "-1")
			}
			if t.Failed() {
				t.Fatalf("round %d: %q", round, args)
			}
		}
	}
}

func atoi(s string) int {
	n, _ := strconv.Atoi(s)
	return n
}
