package cmds_test

import (
	"testing"
)

// The empty key "" where a command's argv outlives the command: the
// destination of a blocked BLMOVE/BRPOPLPUSH and a command postponed by
// CLIENT PAUSE (MULTI queues: testdata/emptykey.txt). Copying such an argv
// once turned "" into nil, which reads as "no destination": a BLMOVE into
// "" answered like BLPOP and lost the element (issue 11, bug 1).

func TestBLMOVEIntoEmptyKey(t *testing.T) {
	b := newBconns(t, 2)
	b.send(0, "BLMOVE", "src", "", "LEFT", "LEFT", "5")
	b.waitBlocked(1)
	b.do(1, "LPUSH", "src", "a")
	b.expect(0, `BLMOVE src "" woken`)
	b.checkDirty(`LPUSH serving BLMOVE src ""`)
	b.do(1, "LRANGE", "", "0", "-1")
	b.do(1, "EXISTS", "src")

	b.send(0, "BRPOPLPUSH", "src", "", "5")
	b.waitBlocked(1)
	b.do(1, "RPUSH", "src", "b")
	b.expect(0, `BRPOPLPUSH src "" woken`)
	b.do(1, "LRANGE", "", "0", "-1")

	// "" of another type: WRONGTYPE to the blocked client, and the
	// element stays in the source.
	b.do(1, "DEL", "")
	b.do(1, "SET", "", "str")
	b.send(0, "BLMOVE", "src", "", "RIGHT", "LEFT", "5")
	b.waitBlocked(1)
	b.do(1, "LPUSH", "src", "kept")
	b.expect(0, `BLMOVE src "" onto a string`)
	b.waitBlocked(0)
	b.do(1, "LRANGE", "src", "0", "-1")
	b.do(1, "GET", "")

	// "" as the source, served into another key.
	b.do(1, "DEL", "", "src")
	b.send(0, "BLMOVE", "", "dst", "LEFT", "RIGHT", "5")
	b.waitBlocked(1)
	b.do(1, "RPUSH", "", "x", "y")
	b.expect(0, `BLMOVE "" dst woken`)
	b.do(1, "LRANGE", "", "0", "-1")
	b.do(1, "LRANGE", "dst", "0", "-1")
	b.do(1, "DEL", "")
	b.send(0, "BLPOP", "", "5")
	b.waitBlocked(1)
	b.do(1, "RPUSH", "", "z")
	b.expect(0, `BLPOP "" woken`)
}

func TestPauseEmptyKey(t *testing.T) {
	b := newBconns(t, 2)
	b.do(1, "SADD", "s", "4", "2")
	b.do(1, "RPUSH", "l", "3", "1", "2")
	b.do(0, "CLIENT", "PAUSE", "100000", "WRITE")
	b.send(1, "SINTERSTORE", "", "s")
	b.waitBlocked(1)
	b.send(1, "SORT", "l", "STORE", "")
	b.do(0, "CLIENT", "UNPAUSE")
	b.expect(1, `SINTERSTORE "" after UNPAUSE`)
	b.expect(1, `SORT l STORE "" after UNPAUSE`)
	b.do(1, "TYPE", "")
	b.do(1, "LRANGE", "", "0", "-1")
}
