package cmds_test

import (
	"bytes"
	"math"
	"math/rand/v2"
	"strconv"
	"strings"
	"testing"

	"github.com/redisfs/redisfs/core/redistest"
)

// DUMP and RESTORE against the real Redis: our payloads must be
// byte-identical to Redis's for the same value, and each server must
// RESTORE what the other DUMPed.

// dumpTestValues returns string values covering every RDB string form:
// integers of each width and beyond, texts that look like integers but
// are not canonical, short and long strings, compressible or not, binary.
func dumpTestValues(r *rand.Rand) []string {
	vals := []string{"", "0", "-0", "+1", "01", " 1", "1 ", "1.5"}
	for _, v := range []int64{
		1, -1, 127, 128, -128, -129, 255, 256, 32767, 32768, -32768, -32769, 65535, 65536,
		math.MaxInt32, math.MaxInt32 + 1, math.MinInt32, math.MinInt32 - 1,
		99999999999, 12345678901, 123456789012, math.MaxInt64, math.MinInt64, math.MinInt64 + 1,
	} {
		vals = append(vals, strconv.FormatInt(v, 10))
	}
	for i := 0; i < 60; i++ {
		// Random integers of every magnitude.
		v := r.Int64() >> r.IntN(64)
		if r.IntN(2) == 0 {
			v = -v
		}
		vals = append(vals, strconv.FormatInt(v, 10))
	}
	vals = append(vals, "18446744073709551616", "99999999999999999999", "-99999999999999999999")
	text := "The quick brown fox jumps over the lazy dog, and again: "
	for _, n := range []int{1, 4, 5, 19, 20, 21, 22, 23, 24, 25, 30, 44, 45, 63, 64, 100, 1000, 16383, 16384, 70000} {
		vals = append(vals, strings.Repeat("a", n), strings.Repeat(text, n/len(text)+1)[:n])
		b := make([]byte, n)
		for i := range b {
			b[i] = byte(r.Uint32())
		}
		vals = append(vals, string(b))
	}
	// Random mixtures: a random alphabet size and repetition rate decide
	// whether LZF gains enough.
	for i := 0; i < 150; i++ {
		n := r.IntN(3000)
		if i%25 == 0 {
			n = r.IntN(300000)
		}
		alphabet := 1 + r.IntN(256)
		b := make([]byte, n)
		for j := range b {
			if j > 4 && r.IntN(3) == 0 {
				b[j] = b[j-1-r.IntN(min(j, 8000))]
			} else {
				b[j] = byte(r.IntN(alphabet))
			}
		}
		vals = append(vals, string(b))
	}
	return vals
}

func TestDumpVersusRedis(t *testing.T) {
	p := keysStartPair(t, nil)
	r := rand.New(rand.NewPCG(21, 22))
	for i, v := range dumpTestValues(r) {
		key := "d" + strconv.Itoa(i)
		p.Do("SET", key, v)
		ref := p.Ref.Do("DUMP", key)
		ours := p.Ours.Do("DUMP", key)
		if !bytes.Equal(ref, ours) {
			t.Errorf("DUMP of a %d-byte value %.40q:\n    redis: %s\n    ours:  %s", len(v), v, redistest.Quote(ref), redistest.Quote(ours))
		}
		p.Do("OBJECT", "ENCODING", key)
		p.Do("DEL", key)
	}
	// APPEND leaves raw strings, SETRANGE and SETBIT too: same payloads.
	p.Do("SET", "a", "12")
	p.Do("APPEND", "a", "34")
	p.Do("DUMP", "a")
	p.Do("SETRANGE", "s", "30", "x")
	p.Do("DUMP", "s")
	p.Do("SETBIT", "b", "1000", "1")
	p.Do("DUMP", "b")
	p.Do("INCRBY", "n", "100000")
	p.Do("DUMP", "n")
}

// TestRestoreAcrossServers feeds each server's DUMP to the other's
// RESTORE, with every option, values up to megabytes included.
func TestRestoreAcrossServers(t *testing.T) {
	p := keysStartPair(t, nil)
	r := rand.New(rand.NewPCG(23, 24))
	vals := dumpTestValues(r)
	big := make([]byte, 1<<20)
	for i := range big {
		big[i] = byte(r.Uint32())
	}
	vals = append(vals, string(big), strings.Repeat("compressible value ", 250000))
	for i, v := range vals {
		key := "v" + strconv.Itoa(i)
		p.Do("SET", key, v)
		fromRedis := dumpPayload(t, p.Ref, key)
		fromOurs := dumpPayload(t, p.Ours, key)
		for _, c := range []struct {
			name    string
			payload string
			into    *redistest.Conn
			other   *redistest.Conn
		}{
			{"redis to ours", fromRedis, p.Ours, p.Ref},
			{"ours to redis", fromOurs, p.Ref, p.Ours},
		} {
			if got := c.into.Do("RESTORE", "copy", "0", c.payload); string(got) != "+OK\r\n" {
				t.Errorf("%s: RESTORE of a %d-byte value: %s", c.name, len(v), redistest.Quote(got))
				continue
			}
			if got := c.into.Do("GET", "copy"); !bytes.Equal(got, c.other.Do("GET", key)) {
				t.Errorf("%s: value %.40q came back as %.60s", c.name, v, redistest.Quote(got))
			}
			if a, b := c.into.Do("OBJECT", "ENCODING", "copy"), c.other.Do("OBJECT", "ENCODING", key); !bytes.Equal(a, b) {
				t.Errorf("%s: value %.40q encoded %s here, %s there", c.name, v, a, b)
			}
			c.into.Do("DEL", "copy")
		}
		p.Do("DEL", key)
	}
	// Options, with both servers' payloads.
	p.Do("SET", "src", "value")
	for _, payload := range []string{dumpPayload(t, p.Ref, "src"), dumpPayload(t, p.Ours, "src")} {
		p.Do("RESTORE", "src", "0", payload)
		p.Do("RESTORE", "dst", "0", payload, "REPLACE", "IDLETIME", "500")
		p.Do("OBJECT", "IDLETIME", "dst")
		p.Do("RESTORE", "dst", "100000", payload, "REPLACE")
		p.Do("TTL", "dst")
		p.Do("RESTORE", "dst", "4102444800000", payload, "REPLACE", "ABSTTL")
		p.Do("PEXPIRETIME", "dst")
		p.Do("RESTORE", "dst", "1", payload, "REPLACE", "ABSTTL")
		p.Do("EXISTS", "dst")
		p.Do("RESTORE", "dst", "0", payload, "FREQ", "5", "REPLACE")
		p.Do("GET", "dst")
		// Any damage to the footer is caught.
		for i := len(payload) - 10; i < len(payload); i++ {
			bad := []byte(payload)
			bad[i] ^= 0x40
			p.Do("RESTORE", "bad", "0", string(bad))
		}
		p.Do("RESTORE", "bad", "0", payload[:len(payload)-1])
		p.Do("RESTORE", "bad", "0", payload+"x")
	}
}

// dumpPayload returns the payload c's server DUMPs for key.
func dumpPayload(t *testing.T, c *redistest.Conn, key string) string {
	t.Helper()
	raw := c.Do("DUMP", key)
	r := parseReply(t, raw)
	if r.Type != '$' || r.Null {
		t.Fatalf("DUMP %s: %s", key, redistest.Quote(raw))
	}
	return string(r.Str)
}

// TestRestoreCorruptPayloads restores random damage of valid payloads on
// both servers (with a valid checksum, so the value decoder sees it):
// both must agree on accepting or refusing it, and on the value.
func TestRestoreCorruptPayloads(t *testing.T) {
	p := keysStartPair(t, nil)
	r := rand.New(rand.NewPCG(25, 26))
	vals := []string{"7", "300", "70000", "hello", strings.Repeat("ab", 40), strings.Repeat("xyz", 300)}
	for _, v := range vals {
		p.Do("SET", "src", v)
		good := []byte(dumpPayload(t, p.Ref, "src"))
		body := good[:len(good)-10]
		for n := 0; n < 150; n++ {
			b := bytes.Clone(body)
			switch r.IntN(3) {
			case 0:
				b[r.IntN(len(b))] = byte(r.Uint32())
			case 1:
				b = b[:r.IntN(len(b))]
			case 2:
				b = append(b, byte(r.Uint32()))
			}
			payload := withFooter(b, 10)
			p.Do("RESTORE", "k", "0", string(payload), "REPLACE")
			p.Do("GET", "k")
			p.Do("DEL", "k")
		}
	}
}

// withFooter appends an RDB version and the CRC64 of everything.
func withFooter(body []byte, version uint16) []byte {
	out := append(bytes.Clone(body), byte(version), byte(version>>8))
	crc := crc64Jones(out)
	for i := 0; i < 8; i++ {
		out = append(out, byte(crc>>(8*i)))
	}
	return out
}

// crc64Jones is Redis's crc64, bit by bit, independent of core/rdb's.
func crc64Jones(p []byte) uint64 {
	var crc uint64
	for _, b := range p {
		crc ^= uint64(b)
		for i := 0; i < 8; i++ {
			if crc&1 != 0 {
				crc = crc>>1 ^ 0x95ac9329ac4bc9b5
			} else {
				crc >>= 1
			}
		}
	}
	return crc
}
