package persist_test

import (
	"os"
	"runtime/pprof"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/redisfs/redisfs/core/redistest"
)

// TestBigKeyStall reports the loop stall of saving one big collection
// (encoded in one go). Set PERSIST_BENCH=1.
func TestBigKeyStall(t *testing.T) {
	if os.Getenv("PERSIST_BENCH") == "" {
		t.Skip("set PERSIST_BENCH=1 to run")
	}
	ours := startOurs(t, t.TempDir(), noPersistence)
	c := redistest.Dial(t, ours.addr)
	c.Timeout = 5 * time.Minute
	for _, typ := range []string{"SADD", "HSET", "ZADD", "RPUSH"} {
		do(t, c, "FLUSHALL")
		for b := 0; b < 1000; b++ {
			args := []string{typ, "big"}
			for i := b * 1000; i < (b+1)*1000; i++ {
				switch typ {
				case "HSET", "ZADD":
					args = append(args, strconv.Itoa(i), "member:"+strconv.Itoa(i))
				default:
					args = append(args, "member:"+strconv.Itoa(i))
				}
			}
			do(t, c, args...)
		}
		if f, err := os.Create("/tmp/pw/big-" + typ + ".prof"); err == nil {
			pprof.StartCPUProfile(f)
		}
		do(t, c, "BGSAVE")
		waitBackground(t, c)
		pprof.StopCPUProfile()
		i := strings.LastIndex(ours.log.String(), "longest loop stall")
		t.Logf("%s of 1M elements: %s", typ, strings.Fields(ours.log.String()[i:])[3:7])
	}
}
