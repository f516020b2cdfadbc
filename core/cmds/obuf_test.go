package cmds_test

import (
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/redisfs/redisfs/core/redistest"
)

// Tests of client-output-buffer-limit for normal clients (pubsub.go,
// CheckOutputBufferLimits), against a real redis-server: a client that
// pipelines GETs of a big value and never reads (issue 11, bug 2).

// obufServers starts both servers, sets limits on both (if not ""), and
// stores a value of size bytes at "big".
func obufServers(t *testing.T, limits string, size int) (addrs [2]string, ctl [2]*redistest.Conn) {
	t.Helper()
	addrs[0] = redistest.StartRedis(t)
	addrs[1], _ = redistest.StartServer(t, nil)
	big := strings.Repeat("x", size)
	for i, a := range addrs {
		ctl[i] = redistest.Dial(t, a)
		if limits != "" {
			if r := ctl[i].Do("CONFIG", "SET", "client-output-buffer-limit", limits); string(r) != "+OK\r\n" {
				t.Fatalf("CONFIG SET: %s", r)
			}
		}
		ctl[i].Do("SET", "big", big)
	}
	return addrs, ctl
}

// clientGone waits up to d for the client of id to leave CLIENT LIST.
func clientGone(t *testing.T, ctl *redistest.Conn, id string, d time.Duration) bool {
	t.Helper()
	deadline := time.Now().Add(d)
	for {
		if r := ctl.Do("CLIENT", "LIST", "ID", id); !strings.Contains(string(r), "id="+id+" ") {
			return true
		}
		if time.Now().After(deadline) {
			return false
		}
		time.Sleep(20 * time.Millisecond)
	}
}

// clientID returns the CLIENT ID of c.
func clientID(c *redistest.Conn) string {
	r := c.Do("CLIENT", "ID")
	return strings.TrimSpace(string(r[1:]))
}

func TestNormalOutputBufferHardLimit(t *testing.T) {
	addrs, ctl := obufServers(t, "normal 32mb 16mb 10", 1<<20)
	req := strings.Repeat(string(redistest.Command("GET", "big")), 200)
	for i, a := range addrs {
		c := redistest.Dial(t, a)
		id := clientID(c)
		c.Write([]byte(req))
		ctl[i].Timeout = 60 * time.Second
		if !clientGone(t, ctl[i], id, 2*redistest.WaitTime) {
			t.Errorf("server %d: a client 200 MB behind with a 32 MB hard limit is still connected: %s", i, ctl[i].Do("CLIENT", "LIST", "ID", id))
		}
		if _, err := c.ReadUntilClose(); err != nil {
			t.Errorf("server %d: %v", i, err)
		}
		if r := ctl[i].Do("PING"); string(r) != "+PONG\r\n" {
			t.Errorf("server %d: PING after: %s", i, r)
		}
	}
}

func TestNormalOutputBufferSoftLimit(t *testing.T) {
	addrs, ctl := obufServers(t, "normal 0 8mb 1", 1<<20)
	one := redistest.Command("GET", "big")
	for i, a := range addrs {
		c := redistest.Dial(t, a)
		id := clientID(c)
		// Kernel buffers take the first few MB; then the soft limit
		// is passed and must stay passed for more than a second.
		start := time.Now()
		gone := false
		// Generous: on a loaded machine the sleeps stretch.
		for time.Since(start) < redistest.WaitTime && !gone {
			c.TryWrite(one)
			time.Sleep(100 * time.Millisecond)
			gone = clientGone(t, ctl[i], id, 0)
		}
		if !gone {
			t.Errorf("server %d: a client over the soft limit for %v is still connected", i, redistest.WaitTime)
			continue
		}
		if el := time.Since(start); el < time.Second {
			t.Errorf("server %d: dropped after %v, before the soft seconds passed", i, el)
		}
	}
}

// TestNormalOutputBufferUnlimited checks the default (normal 0 0 0): a
// stuck client is kept, and CLIENT LIST shows its pending output in oll
// and omem as Redis does.
func TestNormalOutputBufferUnlimited(t *testing.T) {
	addrs, ctl := obufServers(t, "", 1<<20)
	req := strings.Repeat(string(redistest.Command("GET", "big")), 40)
	for i, a := range addrs {
		c := redistest.Dial(t, a)
		id := clientID(c)
		c.Write([]byte(req))
		// Patient: on a loaded machine 40 MB of replies take a while.
		ctl[i].Timeout = 60 * time.Second
		var omem, oll int64
		deadline := time.Now().Add(30 * time.Second)
		for time.Now().Before(deadline) {
			line := string(ctl[i].Do("CLIENT", "LIST", "ID", id))
			omem, oll = field(line, "omem"), field(line, "oll")
			if omem > 16<<20 {
				break
			}
			time.Sleep(20 * time.Millisecond)
		}
		if omem < 16<<20 || oll == 0 {
			t.Errorf("server %d: a client ~40 MB behind shows omem=%d oll=%d", i, omem, oll)
		}
		if clientGone(t, ctl[i], id, 0) {
			t.Errorf("server %d: dropped with no limits", i)
		}
		c.Close()
	}
}

// field returns the integer field name of a CLIENT LIST reply.
func field(line, name string) int64 {
	for _, f := range strings.Fields(line) {
		if v, ok := strings.CutPrefix(f, name+"="); ok {
			n, _ := strconv.ParseInt(v, 10, 64)
			return n
		}
	}
	return -1
}
