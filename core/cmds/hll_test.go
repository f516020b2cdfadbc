package cmds_test

import (
	"math/rand/v2"
	"path/filepath"
	"strconv"
	"strings"
	"testing"

	"github.com/redisfs/redisfs/core/proto"
	"github.com/redisfs/redisfs/core/redistest"
)

// Tests of the HyperLogLog family against a real Redis: the transcript,
// random additions compared byte for byte through both encodings and the
// promotion, values moved between the servers with GET/SET and
// DUMP/RESTORE, merges, and the corruptions of Redis's hyperloglog.tcl.

func TestHLLTranscript(t *testing.T) {
	redistest.RunTranscriptFile(t, filepath.Join(redistest.RepoRoot(t), "testdata", "hll.txt"), nil)
}

func newRefPair(t *testing.T) *redistest.Pair {
	ours, _ := redistest.StartServer(t, nil)
	return redistest.NewPair(t, redistest.StartRedis(t), ours)
}

// hllElements returns n random elements, of the lengths that exercise
// every tail of MurmurHash64A.
func hllElements(r *rand.Rand, n int) []string {
	out := make([]string, n)
	for i := range out {
		b := make([]byte, r.IntN(20))
		for j := range b {
			b[j] = byte(r.IntN(256))
		}
		out[i] = string(b)
	}
	return out
}

// bulkString decodes a bulk string reply.
func bulkString(t *testing.T, reply []byte) string {
	t.Helper()
	r, _, err := proto.ReadReply(reply)
	if err != nil {
		t.Fatalf("reply %q: %v", reply, err)
	}
	return string(r.Str)
}

// TestHLLAddCompare adds random elements in batches to HLLs under several
// hll-sparse-max-bytes settings and compares, after each batch, the
// reply, the value's bytes (before and after PFCOUNT caches the count),
// the count and the encoding.
func TestHLLAddCompare(t *testing.T) {
	p := newRefPair(t)
	r := rand.New(rand.NewPCG(1, 2))
	for _, maxBytes := range []string{"3000", "200", "0", "12000"} {
		p.Do("CONFIG", "SET", "hll-sparse-max-bytes", maxBytes)
		p.Do("DEL", "h")
		total := 0
		for total < 20000 {
			n := 1 + r.IntN(300)
			if total < 300 {
				n = 1 + r.IntN(10)
			}
			total += n
			p.Do(append([]string{"PFADD", "h"}, hllElements(r, n)...)...)
			p.Do("GET", "h")
			p.Do("PFDEBUG", "ENCODING", "h")
			p.Do("PFCOUNT", "h")
			p.Do("GET", "h")
			p.Do("OBJECT", "ENCODING", "h")
		}
		p.Do("PFDEBUG", "GETREG", "h")
	}
}

// TestHLLCrossValues moves HLL values between the servers: a value built
// by Redis is SET into ours (and back), RESTOREd from Redis's DUMP, and
// the two go on adding and counting alike.
func TestHLLCrossValues(t *testing.T) {
	p := newRefPair(t)
	r := rand.New(rand.NewPCG(3, 4))
	for _, n := range []int{0, 5, 100, 1500, 5000} {
		p.Do("DEL", "src", "copy", "restored")
		elems := hllElements(r, n)
		p.Do(append([]string{"PFADD", "src"}, elems...)...)
		refVal := bulkString(t, p.Ref.Do("GET", "src"))
		ourVal := bulkString(t, p.Ours.Do("GET", "src"))
		if refVal != ourVal {
			t.Fatalf("n=%d: values differ", n)
		}
		// Each server gets the other's bytes.
		p.Ref.Do("SET", "copy", ourVal)
		p.Ours.Do("SET", "copy", refVal)
		refDump := bulkString(t, p.Ref.Do("DUMP", "src"))
		ourDump := bulkString(t, p.Ours.Do("DUMP", "src"))
		p.Ref.Do("RESTORE", "restored", "0", ourDump)
		p.Ours.Do("RESTORE", "restored", "0", refDump)
		for _, k := range []string{"copy", "restored"} {
			p.Do("PFCOUNT", k)
			more := hllElements(r, 50)
			p.Do(append([]string{"PFADD", k}, more...)...)
			p.Do("PFCOUNT", k)
			p.Do("GET", k)
			p.Do("PFDEBUG", "ENCODING", k)
		}
		p.Do("PFCOUNT", "src", "copy", "restored")
	}
}

// TestHLLMerge merges sparse and dense HLLs in every combination.
func TestHLLMerge(t *testing.T) {
	p := newRefPair(t)
	r := rand.New(rand.NewPCG(5, 6))
	sizes := []int{0, 3, 60, 400, 3000}
	for round := 0; round < 30; round++ {
		p.Do("FLUSHALL")
		keys := []string{}
		for i := 0; i < 1+r.IntN(4); i++ {
			k := "s" + strconv.Itoa(i)
			keys = append(keys, k)
			p.Do(append([]string{"PFADD", k}, hllElements(r, sizes[r.IntN(len(sizes))])...)...)
			if r.IntN(4) == 0 {
				p.Do("PFDEBUG", "TODENSE", k)
			}
		}
		keys = append(keys, "missing")
		p.Do(append([]string{"PFCOUNT"}, keys...)...)
		dst := "dst"
		if r.IntN(3) == 0 {
			dst = keys[0]
		} else if r.IntN(2) == 0 {
			p.Do(append([]string{"PFADD", dst}, hllElements(r, sizes[r.IntN(len(sizes))])...)...)
		}
		p.Do(append([]string{"PFMERGE", dst}, keys...)...)
		p.Do("GET", dst)
		p.Do("PFCOUNT", dst)
		p.Do("GET", dst)
		for _, k := range keys {
			p.Do("GET", k)
		}
	}
	p.Do("PFMERGE", "only")
	p.Do("GET", "only")
}

// TestHLLCorrupted corrupts HLL values as hyperloglog.tcl does (bytes
// appended, magic and encoding broken, random bytes overwritten) and
// compares what every command makes of them.
func TestHLLCorrupted(t *testing.T) {
	p := newRefPair(t)
	r := rand.New(rand.NewPCG(7, 8))
	check := func() {
		t.Helper()
		p.Do("PFCOUNT", "h")
		p.Do("PFCOUNT", "h", "other")
		p.Do("PFDEBUG", "DECODE", "h")
		p.Do("PFADD", "h", "x", "y", "z")
		p.Do("GET", "h")
		p.Do("PFMERGE", "m", "h")
		p.Do("PFDEBUG", "GETREG", "h")
	}
	p.Do("PFADD", "h", "a", "b", "c")
	p.Do("APPEND", "h", "hello")
	check()
	for _, c := range []struct{ off, val string }{{"0", "0123"}, {"4", "x"}, {"4", "\x00"}, {"4", "\x02"}, {"15", "\x7f"}} {
		p.Do("DEL", "h", "m")
		p.Do("PFADD", "h", "a", "b", "c")
		p.Do("SETRANGE", "h", c.off, c.val)
		check()
	}
	for _, v := range []string{"", "HYLL", "12345", strings.Repeat("x", 16), "HYLL\x01\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x80",
		"HYLL\x01\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x80\x7f", "HYLL\x01\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x80\x7f\xff\xff"} {
		p.Do("DEL", "h", "m")
		p.Do("SET", "h", v)
		check()
	}
	p.Do("SET", "foo", "bar")
	p.Do("PFADD", "foo", "1")
	p.Do("PFCOUNT", "foo")
	p.Do("PFMERGE", "bar", "foo")
	p.Do("PFMERGE", "foo", "bar")
	p.Do("LPUSH", "list", "a")
	p.Do("PFADD", "list", "1")
	p.Do("PFDEBUG", "ENCODING", "nokey")
	// Random damage, as the fuzzing test of hyperloglog.tcl.
	for j := 0; j < 300; j++ {
		p.Do("DEL", "h", "m")
		p.Do(append([]string{"PFADD", "h"}, hllElements(r, r.IntN(3000))...)...)
		for i := 0; i < 5; i++ {
			n, _ := strconv.Atoi(strings.TrimSpace(string(p.Do("STRLEN", "h")[1:])))
			p.Do("SETRANGE", "h", strconv.Itoa(r.IntN(n)), string([]byte{byte(r.IntN(256))}))
			if r.IntN(2) == 0 {
				break
			}
		}
		p.Do("PFCOUNT", "h")
		p.Do("PFADD", "h", "x", "y", "z")
		p.Do("GET", "h")
	}
}

// TestHLLSelfTest runs PFSELFTEST, ten million additions.
func TestHLLSelfTest(t *testing.T) {
	if testing.Short() || raceDetector {
		t.Skip("PFSELFTEST takes seconds, minutes under the race detector")
	}
	addr, _ := redistest.StartServer(t, nil)
	c := redistest.Dial(t, addr)
	if got := string(c.Do("PFSELFTEST")); got != "+OK\r\n" {
		t.Fatalf("PFSELFTEST: %q", got)
	}
}
