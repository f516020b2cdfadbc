package difftest

import (
	"math/rand"
	"strconv"
	"strings"
)

// How a step's replies are compared.
type mode uint8

const (
	exact mode = iota
	// sorted: an aggregate whose order follows a hash table (a set's or
	// a hash's members, KEYS): Redis's own order is random per process
	// (siphash seed), so the top-level elements are compared as a
	// multiset.
	sorted
	// pairs: a flat array of field-value pairs from a hash table
	// (HGETALL in RESP2), compared as a multiset of pairs.
	pairs
	// scan: [cursor, elements]: the cursor exactly, the elements as
	// sorted (pairsScan: as pairs).
	scan
	pairsScan
	// ttl: an integer that counts down with the clock (TTL, PTTL):
	// equal within the tolerance.
	ttl
	pttl
)

// step kinds beside an ordinary command on the main connection.
const (
	kindCmd = iota
	// kindBlock: the second connection sends a blocking command
	// (timeout 0); the runner waits until it is served or blocked.
	kindBlock
	// kindDumpRestore: DUMP Args[0] on Redis, RESTORE Args[1] with
	// that payload on both (Args[2:] are RESTORE's options).
	kindDumpRestore
)

// step is one command of a sequence.
type step struct {
	kind int
	args []string
	mode mode
}

// setup is what a sequence runs under, chosen from the seed.
type setup struct {
	resp   int
	config [][2]string
}

// gen generates commands from a seeded source.
type gen struct {
	r *rand.Rand
	// own is the key the family being generated prefers, so that
	// not every other command is a WRONGTYPE ("" for none).
	own string
}

// Keys: a small keyspace, so that types clash (each family prefers a key
// of its own, s l h t z, two times in three). "zl" is kept for the lex
// commands and only ever holds members of score 0 (lex ranges over mixed
// scores depend on Redis's skiplist layout).
var keys = []string{"a", "b", "c", "", "k\x00\xff", "s", "l", "h", "t", "z"}

const lexKey = "zl"

// a far future, for the absolute expiry commands (2100-01-01).
const futureTS = 4102444800

// Strings with a NUL byte begin with a byte no other string of the pools
// begins with: SORT ALPHA compares with strcoll, which stops at a NUL, and
// would tie them with another string in an order Redis leaves to qsort.
var values = []string{"", "0", "1", "-1", "7", "100", "3.5", "-0.5", "inf", "-inf", "+inf", "nan",
	"1e3", "abc", "a", "b", "zz", "n\x00ul", "\xff\xfe", "9223372036854775807", "-9223372036854775808",
	"18446744073709551616", " 1", strings.Repeat("x", 60), "12345678901234567890", "0x10", "-0"}

var members = []string{"a", "b", "c", "1", "2", "3", "-5", "10", "", "q\x00z", "long-member-name-over-the-value-limit-xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx", "3.0", "inf"}

var ints = []string{"0", "1", "-1", "2", "-2", "3", "5", "10", "-100", "100",
	"9223372036854775807", "-9223372036854775808", "x", "", "1.5", "4294967296"}

var floats = []string{"0", "1.5", "-1", "2", "inf", "-inf", "+inf", "nan", "1e308", "abc", "-0", "3", "10", "0.1", "1e-320"}

var scoreBounds = []string{"-inf", "+inf", "0", "1", "(1", "2", "(2", "-1", "10", "(10", "x", "nan", "(inf"}

func (g *gen) pick(l []string) string { return l[g.r.Intn(len(l))] }
func (g *gen) key() string {
	if g.own != "" && g.r.Intn(3) != 0 {
		return g.own
	}
	return g.pick(keys)
}
func (g *gen) val() string       { return g.pick(values) }
func (g *gen) mem() string       { return g.pick(members) }
func (g *gen) int() string       { return g.pick(ints) }
func (g *gen) small() string     { return strconv.Itoa(g.r.Intn(12) - 4) }
func (g *gen) chance(n int) bool { return g.r.Intn(n) == 0 }

func (g *gen) mems(min, max int) []string {
	n := min + g.r.Intn(max-min+1)
	out := make([]string, n)
	for i := range out {
		out[i] = g.mem()
	}
	return out
}

func (g *gen) keysN(min, max int) []string {
	n := min + g.r.Intn(max-min+1)
	out := make([]string, n)
	for i := range out {
		out[i] = g.key()
	}
	return out
}

func cat(parts ...any) []string {
	var out []string
	for _, p := range parts {
		switch v := p.(type) {
		case string:
			out = append(out, v)
		case []string:
			out = append(out, v...)
		}
	}
	return out
}

// setup picks the protocol and small encoding limits, so that
// conversions between encodings happen.
func (g *gen) setup() setup {
	s := setup{resp: 2 + g.r.Intn(2)}
	pick := func(name string, opts ...string) {
		s.config = append(s.config, [2]string{name, g.pick(opts)})
	}
	pick("list-max-listpack-size", "-2", "1", "2", "4", "128")
	pick("hash-max-listpack-entries", "1", "2", "4", "128")
	pick("hash-max-listpack-value", "1", "4", "64")
	pick("set-max-intset-entries", "1", "2", "4", "512")
	pick("zset-max-listpack-entries", "1", "2", "4", "128")
	pick("zset-max-listpack-value", "1", "4", "64")
	pick("list-compress-depth", "0", "0", "1")
	return s
}

// next returns the next steps: usually one command, sometimes a MULTI
// block, a blocking command on the second connection or a DUMP/RESTORE.
func (g *gen) next() []step {
	switch n := g.r.Intn(100); {
	case n < 4:
		var steps []step
		if g.chance(3) {
			// WATCH, and sometimes a write that aborts EXEC.
			steps = append(steps, step{args: cat("WATCH", g.keysN(1, 2))})
			if g.chance(2) {
				steps = append(steps, g.command())
			}
		}
		steps = append(steps, step{args: []string{"MULTI"}})
		for i := g.r.Intn(5); i > 0; i-- {
			// EXEC nests the replies: only commands whose
			// reply compares exactly.
			// OBJECT REFCOUNT is left out: inside EXEC, Redis
			// counts the queued argv's reference to a value a
			// command of the transaction stored (2, not 1), which
			// ours does not model (a known difference, issue 11).
			c := g.command()
			for c.mode != exact || c.args[0] == "OBJECT" && len(c.args) > 1 && c.args[1] == "REFCOUNT" {
				c = g.command()
			}
			steps = append(steps, c)
		}
		if g.chance(6) {
			return append(steps, step{args: []string{"DISCARD"}})
		}
		return append(steps, step{args: []string{"EXEC"}})
	case n < 8:
		return []step{g.blocking()}
	case n < 10:
		args := []string{g.key(), g.key()}
		if g.chance(2) {
			args = append(args, "0", "REPLACE")
		} else {
			args = append(args, "0")
		}
		return []step{{kind: kindDumpRestore, args: args}}
	}
	s := g.command()
	// Wrong arity now and then: a missing or an extra argument.
	if len(s.args) > 1 && g.chance(60) {
		s.args = s.args[:len(s.args)-1]
	} else if g.chance(80) {
		s.args = append(s.args, g.val())
	}
	return []step{s}
}

func (g *gen) blocking() step {
	k := g.keysN(1, 2)
	var args []string
	switch g.r.Intn(8) {
	case 0:
		args = cat("BLPOP", k, "0")
	case 1:
		args = cat("BRPOP", k, "0")
	case 2:
		args = cat("BLMOVE", g.key(), g.key(), g.pick([]string{"LEFT", "RIGHT"}), g.pick([]string{"LEFT", "RIGHT"}), "0")
	case 3:
		args = cat("BRPOPLPUSH", g.key(), g.key(), "0")
	case 4:
		args = cat("BLMPOP", "0", strconv.Itoa(len(k)), k, g.pick([]string{"LEFT", "RIGHT"}), "COUNT", g.pick([]string{"1", "2", "10"}))
	case 5:
		args = cat("BZPOPMIN", k, "0")
	case 6:
		args = cat("BZPOPMAX", k, "0")
	case 7:
		args = cat("BZMPOP", "0", strconv.Itoa(len(k)), k, g.pick([]string{"MIN", "MAX"}), "COUNT", g.pick([]string{"1", "3"}))
	}
	return step{kind: kindBlock, args: args}
}

// command returns one command of a family chosen at random.
func (g *gen) command() step {
	defer func() { g.own = "" }()
	switch g.r.Intn(10) {
	case 0, 1:
		g.own = "s"
		return g.stringCmd()
	case 2:
		g.own = "s"
		return g.bitCmd()
	case 3:
		return g.keyCmd()
	case 4:
		g.own = "l"
		return g.listCmd()
	case 5:
		g.own = "h"
		return g.hashCmd()
	case 6:
		g.own = "t"
		return g.setCmd()
	case 7, 8:
		g.own = "z"
		return g.zsetCmd()
	default:
		return g.sortScanCmd()
	}
}

func s(args ...string) step { return step{args: args} }

func (g *gen) stringCmd() step {
	k := g.key()
	switch g.r.Intn(22) {
	case 0:
		args := []string{"SET", k, g.val()}
		switch g.r.Intn(6) {
		case 0:
			args = append(args, "NX")
		case 1:
			args = append(args, "XX")
		case 2:
			args = append(args, "GET")
		}
		switch g.r.Intn(6) {
		case 0:
			args = append(args, "EX", g.pick([]string{"100000", "0", "-1", "x", "9223372036854775807"}))
		case 1:
			args = append(args, "PX", "100000000")
		case 2:
			args = append(args, "KEEPTTL")
		case 3:
			args = append(args, "EXAT", strconv.Itoa(futureTS))
		}
		return step{args: args}
	case 1:
		return s("GET", k)
	case 2:
		return s("GETSET", k, g.val())
	case 3:
		return s("GETDEL", k)
	case 4:
		switch g.r.Intn(3) {
		case 0:
			return s("GETEX", k, "PERSIST")
		case 1:
			return s("GETEX", k, "EX", "100000")
		}
		return s("GETEX", k)
	case 5:
		return s("SETNX", k, g.val())
	case 6:
		return s("SETEX", k, g.pick([]string{"100000", "0", "x"}), g.val())
	case 7:
		return s("MSET", k, g.val(), g.key(), g.val())
	case 8:
		return s("MSETNX", k, g.val(), g.key(), g.val())
	case 9:
		return step{args: cat("MGET", g.keysN(1, 4))}
	case 10:
		return s("APPEND", k, g.val())
	case 11:
		return s("STRLEN", k)
	case 12:
		return s("SETRANGE", k, g.pick([]string{"0", "1", "5", "50", "-1", "536870912", "x"}), g.val())
	case 13:
		return s("GETRANGE", k, g.small(), g.pick([]string{"-1", "0", "3", "100", "-100", "9223372036854775807"}))
	case 14:
		return s("INCR", k)
	case 15:
		return s("DECR", k)
	case 16:
		return s("INCRBY", k, g.int())
	case 17:
		return s("DECRBY", k, g.int())
	case 18:
		return s("INCRBYFLOAT", k, g.pick(floats))
	case 19:
		args := []string{"LCS", k, g.key()}
		switch g.r.Intn(4) {
		case 0:
			args = append(args, "LEN")
		case 1:
			args = append(args, "IDX", "MINMATCHLEN", g.pick([]string{"0", "1", "2"}))
		case 2:
			args = append(args, "IDX", "WITHMATCHLEN")
		}
		return step{args: args}
	case 20:
		return s("PSETEX", k, g.pick([]string{"100000000", "0", "-5"}), g.val())
	default:
		return s("SET", k, g.pick([]string{"1", "2", "9999", "10000", "-3", "123456789"}))
	}
}

func (g *gen) bitCmd() step {
	k := g.key()
	switch g.r.Intn(9) {
	case 0:
		return s("SETBIT", k, g.pick([]string{"0", "1", "7", "8", "63", "100", "-1", "4294967296", "x"}), g.pick([]string{"0", "1", "2"}))
	case 1:
		return s("GETBIT", k, g.pick([]string{"0", "1", "7", "100", "-1"}))
	case 2:
		if g.chance(2) {
			return s("BITCOUNT", k)
		}
		return s("BITCOUNT", k, g.small(), g.small(), g.pick([]string{"BYTE", "BIT"}))
	case 3:
		switch g.r.Intn(3) {
		case 0:
			return s("BITPOS", k, g.pick([]string{"0", "1"}))
		case 1:
			return s("BITPOS", k, g.pick([]string{"0", "1"}), g.small())
		}
		return s("BITPOS", k, g.pick([]string{"0", "1"}), g.small(), g.small(), g.pick([]string{"BYTE", "BIT"}))
	case 4:
		op := g.pick([]string{"AND", "OR", "XOR", "NOT"})
		if op == "NOT" {
			return s("BITOP", op, g.key(), k)
		}
		return step{args: cat("BITOP", op, g.key(), g.keysN(1, 3))}
	case 5, 6:
		args := []string{"BITFIELD", k}
		for i := 1 + g.r.Intn(3); i > 0; i-- {
			typ := g.pick([]string{"i8", "u4", "i64", "u63", "u1", "i5", "u64", "x"})
			off := g.pick([]string{"0", "3", "#1", "100", "-1"})
			switch g.r.Intn(4) {
			case 0:
				args = append(args, "GET", typ, off)
			case 1:
				args = append(args, "SET", typ, off, g.int())
			case 2:
				args = append(args, "INCRBY", typ, off, g.int())
			default:
				args = append(args, "OVERFLOW", g.pick([]string{"WRAP", "SAT", "FAIL"}))
			}
		}
		return step{args: args}
	case 7:
		return s("BITFIELD_RO", k, "GET", g.pick([]string{"u8", "i16", "u4"}), g.pick([]string{"0", "4", "#2"}))
	default:
		return s("SETBIT", k, g.small(), "1")
	}
}

func (g *gen) keyCmd() step {
	k := g.key()
	switch g.r.Intn(21) {
	case 0:
		return step{args: cat("DEL", g.keysN(1, 3))}
	case 1:
		return step{args: cat("UNLINK", g.keysN(1, 2))}
	case 2:
		return step{args: cat("EXISTS", g.keysN(1, 3))}
	case 3:
		return s("TYPE", k)
	case 4:
		return s("RENAME", k, g.key())
	case 5:
		return s("RENAMENX", k, g.key())
	case 6:
		if g.chance(2) {
			return s("COPY", k, g.key(), "REPLACE")
		}
		return s("COPY", k, g.key())
	case 7:
		return s("OBJECT", "ENCODING", k)
	case 8:
		return s("PERSIST", k)
	case 9:
		args := []string{g.pick([]string{"EXPIRE", "PEXPIRE"}), k, g.pick([]string{"100000", "200000", "100000000", "-1", "0", "x", "9223372036854775807"})}
		if g.chance(2) {
			args = append(args, g.pick([]string{"NX", "XX", "GT", "LT"}))
		}
		return step{args: args}
	case 10:
		args := []string{"EXPIREAT", k, g.pick([]string{strconv.Itoa(futureTS), strconv.Itoa(futureTS + 1000), "1"})}
		if g.chance(2) {
			args = append(args, g.pick([]string{"NX", "XX", "GT", "LT"}))
		}
		return step{args: args}
	case 11:
		return step{args: []string{"TTL", k}, mode: ttl}
	case 12:
		return step{args: []string{"PTTL", k}, mode: pttl}
	case 13:
		return step{args: []string{"PEXPIRETIME", k}, mode: pttl}
	case 14:
		return s("DBSIZE")
	case 15:
		return step{args: []string{"KEYS", g.pick([]string{"*", "a*", "?", "[ab]", "*\x00*"})}, mode: sorted}
	case 16:
		return step{args: cat("TOUCH", g.keysN(1, 2))}
	case 17:
		return s("OBJECT", "REFCOUNT", k)
	case 18:
		return s("STRLEN", k)
	case 19:
		// Other databases: the state check covers 0 and 1.
		switch g.r.Intn(7) {
		case 0:
			return s("MOVE", k, g.pick([]string{"0", "1", "16", "x"}))
		case 1:
			return s("SWAPDB", "0", g.pick([]string{"1", "0", "99"}))
		case 2:
			return s("COPY", k, g.key(), "DB", g.pick([]string{"0", "1", "x"}))
		case 3:
			return s("COPY", k, g.key(), "DB", "1", "REPLACE")
		case 4:
			return s("SELECT", g.pick([]string{"0", "1", "1", "16"}))
		case 5:
			return s("SELECT", "0")
		}
		return s("FLUSHDB")
	default:
		return s("EXISTS", k)
	}
}

func (g *gen) listCmd() step {
	k := g.key()
	side := g.pick([]string{"LEFT", "RIGHT"})
	switch g.r.Intn(22) {
	case 0, 1:
		return step{args: cat("RPUSH", k, g.mems(1, 5))}
	case 2:
		return step{args: cat("LPUSH", k, g.mems(1, 5))}
	case 3:
		return step{args: cat(g.pick([]string{"LPUSHX", "RPUSHX"}), k, g.mems(1, 2))}
	case 4:
		if g.chance(2) {
			return s(g.pick([]string{"LPOP", "RPOP"}), k)
		}
		return s(g.pick([]string{"LPOP", "RPOP"}), k, g.pick([]string{"0", "1", "2", "10", "-1", "9223372036854775807"}))
	case 5:
		return s("LLEN", k)
	case 6:
		return s("LINDEX", k, g.small())
	case 7:
		return s("LINSERT", k, g.pick([]string{"BEFORE", "AFTER", "x"}), g.mem(), g.mem())
	case 8, 9:
		return s("LRANGE", k, g.small(), g.pick([]string{"-1", "0", "2", "100", "-3"}))
	case 10:
		return s("LREM", k, g.pick([]string{"0", "1", "-1", "2", "-2"}), g.mem())
	case 11:
		return s("LSET", k, g.small(), g.mem())
	case 12:
		return s("LTRIM", k, g.small(), g.pick([]string{"-1", "1", "3", "-2"}))
	case 13:
		args := []string{"LPOS", k, g.mem()}
		if g.chance(2) {
			args = append(args, "RANK", g.pick([]string{"1", "-1", "2", "0", "-9223372036854775808"}))
		}
		if g.chance(2) {
			args = append(args, "COUNT", g.pick([]string{"0", "1", "2", "-1"}))
		}
		if g.chance(3) {
			args = append(args, "MAXLEN", g.pick([]string{"0", "1", "3"}))
		}
		return step{args: args}
	case 14:
		return s("LMOVE", k, g.key(), side, g.pick([]string{"LEFT", "RIGHT"}))
	case 15:
		return s("RPOPLPUSH", k, g.key())
	case 16:
		ks := g.keysN(1, 3)
		args := cat("LMPOP", strconv.Itoa(len(ks)), ks, side)
		if g.chance(2) {
			args = append(args, "COUNT", g.pick([]string{"1", "2", "5", "0", "9223372036854775807"}))
		}
		return step{args: args}
	case 17:
		return step{args: cat("RPUSH", k, g.val(), g.val(), g.val(), g.val(), g.val())}
	default:
		return s("LRANGE", k, "0", "-1")
	}
}

func (g *gen) hashCmd() step {
	k := g.key()
	switch g.r.Intn(16) {
	case 0, 1:
		args := []string{"HSET", k}
		for i := 1 + g.r.Intn(3); i > 0; i-- {
			args = append(args, g.mem(), g.val())
		}
		return step{args: args}
	case 2:
		return s("HSETNX", k, g.mem(), g.val())
	case 3:
		return s("HGET", k, g.mem())
	case 4:
		return step{args: cat("HMGET", k, g.mems(1, 4))}
	case 5:
		return step{args: cat("HDEL", k, g.mems(1, 3))}
	case 6:
		return s("HLEN", k)
	case 7:
		return s("HSTRLEN", k, g.mem())
	case 8:
		return s("HEXISTS", k, g.mem())
	case 9:
		return s("HINCRBY", k, g.mem(), g.int())
	case 10:
		return s("HINCRBYFLOAT", k, g.mem(), g.pick(floats))
	case 11:
		return step{args: []string{"HGETALL", k}, mode: pairs}
	case 12:
		return step{args: []string{g.pick([]string{"HKEYS", "HVALS"}), k}, mode: sorted}
	case 13:
		return s("HMSET", k, g.mem(), g.val())
	default:
		return step{args: cat("HMGET", k, members)}
	}
}

func (g *gen) setCmd() step {
	k := g.key()
	switch g.r.Intn(16) {
	case 0, 1, 2:
		return step{args: cat("SADD", k, g.mems(1, 5))}
	case 3:
		return step{args: cat("SREM", k, g.mems(1, 3))}
	case 4:
		return s("SCARD", k)
	case 5:
		return s("SISMEMBER", k, g.mem())
	case 6:
		return step{args: cat("SMISMEMBER", k, members)}
	case 7:
		return step{args: []string{"SMEMBERS", k}, mode: sorted}
	case 8:
		return s("SMOVE", k, g.key(), g.mem())
	case 9, 10:
		return step{args: cat(g.pick([]string{"SINTERSTORE", "SUNIONSTORE", "SDIFFSTORE"}), g.key(), g.keysN(1, 3))}
	case 11:
		ks := g.keysN(1, 3)
		args := cat("SINTERCARD", strconv.Itoa(len(ks)), ks)
		if g.chance(2) {
			args = append(args, "LIMIT", g.pick([]string{"0", "1", "-1"}))
		}
		return step{args: args}
	case 12:
		return step{args: cat(g.pick([]string{"SINTER", "SUNION", "SDIFF"}), g.keysN(1, 3)), mode: sorted}
	case 13:
		return step{args: cat("SADD", k, "1", "2", "3", "4", "5", "6")}
	default:
		return s("SCARD", k)
	}
}

func (g *gen) score() string {
	return g.pick([]string{"0", "1", "2", "-1", "1.5", "inf", "-inf", "3", "10", "nan", "x", "1e300", "-0"})
}

func (g *gen) zsetCmd() step {
	k := g.key()
	switch g.r.Intn(30) {
	case 0, 1, 2:
		args := []string{"ZADD", k}
		switch g.r.Intn(8) {
		case 0:
			args = append(args, "NX")
		case 1:
			args = append(args, "XX")
		case 2:
			args = append(args, g.pick([]string{"GT", "LT"}))
		case 3:
			args = append(args, "CH")
		case 4:
			args = append(args, "INCR")
		}
		for i := 1 + g.r.Intn(3); i > 0; i-- {
			args = append(args, g.score(), g.mem())
		}
		return step{args: args}
	case 3:
		return s("ZINCRBY", k, g.score(), g.mem())
	case 4:
		return step{args: cat("ZREM", k, g.mems(1, 3))}
	case 5:
		return s("ZCARD", k)
	case 6:
		return s("ZSCORE", k, g.mem())
	case 7:
		return step{args: cat("ZMSCORE", k, g.mems(1, 3))}
	case 8:
		if g.chance(2) {
			return s(g.pick([]string{"ZRANK", "ZREVRANK"}), k, g.mem())
		}
		return s("ZCOUNT", k, g.pick(scoreBounds), g.pick(scoreBounds))
	case 9, 10:
		args := []string{"ZRANGE", k}
		switch g.r.Intn(3) {
		case 0:
			args = append(args, g.small(), g.pick([]string{"-1", "2", "100"}))
		case 1:
			args = append(args, g.pick(scoreBounds), g.pick(scoreBounds), "BYSCORE")
			if g.chance(2) {
				args = append(args, "LIMIT", g.pick([]string{"0", "1", "-1"}), g.pick([]string{"-1", "1", "2", "0"}))
			}
		default:
			args = append(args, g.pick(scoreBounds), g.pick(scoreBounds), "BYSCORE", "REV")
		}
		if g.chance(3) && args[len(args)-1] != "BYSCORE" {
			args = append(args, "REV")
		}
		if g.chance(2) {
			args = append(args, "WITHSCORES")
		}
		return step{args: args}
	case 11:
		args := []string{g.pick([]string{"ZRANGEBYSCORE", "ZREVRANGEBYSCORE"}), k, g.pick(scoreBounds), g.pick(scoreBounds)}
		if g.chance(2) {
			args = append(args, "WITHSCORES")
		}
		if g.chance(2) {
			args = append(args, "LIMIT", g.pick([]string{"0", "1"}), g.pick([]string{"-1", "2"}))
		}
		return step{args: args}
	case 12:
		return s("ZREMRANGEBYRANK", k, g.small(), g.small())
	case 13:
		return s("ZREMRANGEBYSCORE", k, g.pick(scoreBounds), g.pick(scoreBounds))
	case 14:
		if g.chance(2) {
			return s(g.pick([]string{"ZPOPMIN", "ZPOPMAX"}), k)
		}
		return s(g.pick([]string{"ZPOPMIN", "ZPOPMAX"}), k, g.pick([]string{"0", "1", "2", "10", "-1", "9223372036854775807"}))
	case 15:
		ks := g.keysN(1, 3)
		args := cat("ZMPOP", strconv.Itoa(len(ks)), ks, g.pick([]string{"MIN", "MAX"}))
		if g.chance(2) {
			args = append(args, "COUNT", g.pick([]string{"1", "3", "0", "-1", "9223372036854775807"}))
		}
		return step{args: args}
	case 16, 17:
		ks := g.keysN(1, 3)
		args := cat(g.pick([]string{"ZUNIONSTORE", "ZINTERSTORE"}), g.key(), strconv.Itoa(len(ks)), ks)
		if g.chance(2) {
			args = append(args, "WEIGHTS")
			for range ks {
				args = append(args, g.pick([]string{"1", "2", "-1", "0", "inf", "0.5"}))
			}
		}
		if g.chance(2) {
			args = append(args, "AGGREGATE", g.pick([]string{"SUM", "MIN", "MAX"}))
		}
		return step{args: args}
	case 18:
		ks := g.keysN(1, 3)
		return step{args: cat("ZDIFFSTORE", g.key(), strconv.Itoa(len(ks)), ks)}
	case 19:
		ks := g.keysN(1, 3)
		args := cat(g.pick([]string{"ZUNION", "ZINTER", "ZDIFF"}), strconv.Itoa(len(ks)), ks)
		if args[0] != "ZDIFF" && g.chance(2) {
			args = append(args, "AGGREGATE", g.pick([]string{"SUM", "MIN", "MAX"}))
		}
		if g.chance(2) {
			args = append(args, "WITHSCORES")
		}
		return step{args: args}
	case 20:
		ks := g.keysN(1, 3)
		return step{args: cat("ZINTERCARD", strconv.Itoa(len(ks)), ks)}
	case 21:
		args := []string{"ZRANGESTORE", g.key(), k, g.small(), g.pick([]string{"-1", "3"})}
		if g.chance(2) {
			args = []string{"ZRANGESTORE", g.key(), k, g.pick(scoreBounds), g.pick(scoreBounds), "BYSCORE"}
		}
		return step{args: args}
	case 22, 23:
		// Lex commands, on the key whose members all score 0.
		return s("ZADD", lexKey, "0", g.mem(), "0", g.mem())
	case 24, 25:
		lex := []string{"-", "+", "[a", "(a", "[b", "(c", "[1", "[", "(", "x", "[q\x00z", "(q"}
		switch g.r.Intn(4) {
		case 0:
			return s("ZLEXCOUNT", lexKey, g.pick(lex), g.pick(lex))
		case 1:
			return s("ZREMRANGEBYLEX", lexKey, g.pick(lex), g.pick(lex))
		case 2:
			args := []string{g.pick([]string{"ZRANGEBYLEX", "ZREVRANGEBYLEX"}), lexKey, g.pick(lex), g.pick(lex)}
			if g.chance(2) {
				args = append(args, "LIMIT", g.pick([]string{"0", "1"}), g.pick([]string{"-1", "2"}))
			}
			return step{args: args}
		}
		return s("ZRANGE", lexKey, g.pick(lex), g.pick(lex), "BYLEX")
	default:
		return s("ZRANGE", k, "0", "-1", "WITHSCORES")
	}
}

func (g *gen) sortScanCmd() step {
	k := g.key()
	switch g.r.Intn(8) {
	case 0, 1, 2, 3:
		args := []string{g.pick([]string{"SORT", "SORT", "SORT_RO"}), k}
		if g.chance(3) {
			args = append(args, "LIMIT", g.pick([]string{"0", "1", "-1"}), g.pick([]string{"-1", "2", "0", "5"}))
		}
		if g.chance(3) {
			args = append(args, "GET", "#")
			if g.chance(2) {
				args = append(args, "GET", "nosuch*")
			}
		}
		if g.chance(2) {
			args = append(args, g.pick([]string{"ASC", "DESC"}))
		}
		if g.chance(2) {
			args = append(args, "ALPHA")
		}
		if args[0] == "SORT" && g.chance(3) {
			args = append(args, "STORE", g.key())
		}
		return step{args: args}
	case 4:
		args := []string{"SCAN", "0", "COUNT", "1000"}
		if g.chance(2) {
			args = append(args, "MATCH", g.pick([]string{"*", "a*", "?", "[a-c]"}))
		}
		if g.chance(2) {
			args = append(args, "TYPE", g.pick([]string{"string", "list", "set", "zset", "hash", "x"}))
		}
		return step{args: args, mode: scan}
	case 5:
		return step{args: []string{"SSCAN", k, "0", "COUNT", "1000"}, mode: scan}
	case 6:
		return step{args: []string{"HSCAN", k, "0", "COUNT", "1000"}, mode: pairsScan}
	default:
		return step{args: []string{"ZSCAN", k, "0", "COUNT", "1000"}, mode: pairsScan}
	}
}
