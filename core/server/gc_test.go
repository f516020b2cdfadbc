package server_test

import (
	"runtime/debug"
	"strconv"
	"testing"

	"github.com/redisfs/redisfs/core/redistest"
)

// TestGCTunerFollowsMaxmemory checks that CONFIG SET maxmemory retunes the
// runtime's memory limit (gc.go): maxmemory plus a quarter plus 32 MB of
// headroom, and the limit in effect before once maxmemory is 0 again. The
// limit is process-wide: this test must not run in parallel with others
// that set maxmemory.
func TestGCTunerFollowsMaxmemory(t *testing.T) {
	before := debug.SetMemoryLimit(-1)
	t.Cleanup(func() { debug.SetMemoryLimit(before) })
	addr, _ := redistest.StartServer(t, nil)
	c := redistest.Dial(t, addr)
	if got := debug.SetMemoryLimit(-1); got != before {
		t.Fatalf("without maxmemory the limit changed: %d, was %d", got, before)
	}
	for _, mb := range []int64{100, 40} {
		if r := c.Do("CONFIG", "SET", "maxmemory", strconv.FormatInt(mb, 10)+"mb"); string(r) != "+OK\r\n" {
			t.Fatalf("CONFIG SET maxmemory: %s", redistest.Quote(r))
		}
		want := mb<<20 + mb<<20/4 + 32<<20
		if got := debug.SetMemoryLimit(-1); got != want {
			t.Errorf("after CONFIG SET maxmemory %dmb: limit %d, want %d", mb, got, want)
		}
	}
	// A failed CONFIG SET changes nothing.
	c.Do("CONFIG", "SET", "maxmemory", "1mb", "maxmemory-policy", "nosuch")
	if got, want := debug.SetMemoryLimit(-1), int64(40<<20+40<<20/4+32<<20); got != want {
		t.Errorf("after a failed CONFIG SET: limit %d, want %d", got, want)
	}
	c.Do("CONFIG", "SET", "maxmemory", "0")
	if got := debug.SetMemoryLimit(-1); got != before {
		t.Errorf("after CONFIG SET maxmemory 0: limit %d, want %d (as before)", got, before)
	}
}
