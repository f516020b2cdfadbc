package cmds_test

import (
	"strconv"
	"testing"
	"time"

	"github.com/redisfs/redisfs/core/cmds"
	"github.com/redisfs/redisfs/core/redistest"
)

// Tests of the commands of features this server does not have (cluster
// mode, modules, replicas), compared with a real redis-server that lacks
// them too.

func TestClusterDisabledCommands(t *testing.T) {
	for _, module := range []string{"no", "yes"} {
		t.Run("enable-module-command="+module, func(t *testing.T) {
			refAddr, ourAddr := connPair(t, func(c *cmds.Config) { c.EnableModuleCommand = module },
				"--enable-module-command", module)
			p := redistest.NewPair(t, refAddr, ourAddr)
			for _, req := range [][]string{
				{"READONLY"}, {"READWRITE"}, {"ASKING"}, {"READONLY", "x"},
				{"CLUSTER", "INFO"}, {"CLUSTER", "NODES"}, {"CLUSTER", "SLOTS"}, {"CLUSTER", "HELP"},
				{"CLUSTER", "KEYSLOT", "foo"}, {"CLUSTER", "SETSLOT", "1", "NODE", "x"}, {"CLUSTER", "NOSUCH"},
				{"CLUSTER"}, {"CLUSTER", "MYID", "x"}, {"CLUSTER", "SHARDS"},
				{"MODULE", "LIST"}, {"MODULE", "HELP"}, {"MODULE", "LOAD", "/nonexistent/x.so"},
				{"MODULE", "LOAD", "/nonexistent/x.so", "a", "b"}, {"MODULE", "LOADEX", "/nonexistent/x.so", "CONFIG", "a", "b"},
				{"MODULE", "UNLOAD", "nosuch"}, {"MODULE", "NOSUCH"}, {"MODULE"}, {"MODULE", "LIST", "x"},
				{"FAILOVER"}, {"FAILOVER", "ABORT"}, {"FAILOVER", "TIMEOUT", "0"}, {"FAILOVER", "TIMEOUT", "x"},
				{"FAILOVER", "TIMEOUT", "10", "TIMEOUT", "20"}, {"FAILOVER", "TO", "h", "x"}, {"FAILOVER", "TO", "h", "1", "FORCE"},
				{"FAILOVER", "FORCE"}, {"FAILOVER", "FORCE", "FORCE"}, {"FAILOVER", "TO", "h"}, {"FAILOVER", "bogus"},
				{"WAIT", "0", "0"}, {"WAIT", "0", "100"}, {"WAIT", "x", "0"}, {"WAIT", "1", "-1"}, {"WAIT", "1", "x"},
				{"WAIT", "-1", "0"},
				{"SET", "k", "v"}, {"DUMP", "k"},
			} {
				p.Do(req...)
			}
			dump := p.Ref.Do("DUMP", "k")
			payload := string(parseReply(t, dump).Str)
			p.Do("RESTORE-ASKING", "k2", "0", payload)
			p.Do("RESTORE-ASKING", "k2", "0", payload)
			p.Do("RESTORE-ASKING", "k2", "0", payload, "REPLACE")
			p.Do("GET", "k2")
			p.Do("RESTORE-ASKING", "k3", "0", "bad")
			// WAIT inside MULTI answers at once.
			p.Do("MULTI")
			p.Do("WAIT", "5", "0")
			p.Do("EXEC")
		})
	}
}

// TestWaitBlocks checks that WAIT for replicas that never come blocks
// until its timeout and then answers 0, as Redis does, and that CLIENT
// UNBLOCK releases it with 0 too.
func TestWaitBlocks(t *testing.T) {
	refAddr, ourAddr := connPair(t, nil)
	for _, addr := range []string{refAddr, ourAddr} {
		c := redistest.Dial(t, addr)
		start := time.Now()
		if r := string(c.Do("WAIT", "1", "200")); r != ":0\r\n" {
			t.Errorf("%s: WAIT 1 200: %q", addr, r)
		}
		if d := time.Since(start); d < 190*time.Millisecond {
			t.Errorf("%s: WAIT 1 200 returned after %v", addr, d)
		}
		id := connClientID(t, c)
		c.Write(redistest.Command("WAIT", "1", "0"))
		other := redistest.Dial(t, addr)
		other.WaitInfo("clients", "blocked_clients:1")
		if r := string(other.Do("CLIENT", "UNBLOCK", strconv.FormatInt(id, 10))); r != ":1\r\n" {
			t.Errorf("%s: CLIENT UNBLOCK: %q", addr, r)
		}
		if r := string(c.ReadReply()); r != ":0\r\n" {
			t.Errorf("%s: unblocked WAIT: %q", addr, r)
		}
		c.Write(redistest.Command("WAIT", "1", "0"))
		other.WaitInfo("clients", "blocked_clients:1")
		if r := string(other.Do("CLIENT", "UNBLOCK", strconv.FormatInt(id, 10), "ERROR")); r != ":1\r\n" {
			t.Errorf("%s: CLIENT UNBLOCK ERROR: %q", addr, r)
		}
		if r := string(c.ReadReply()); r != "-UNBLOCKED client unblocked via CLIENT UNBLOCK\r\n" {
			t.Errorf("%s: unblocked WAIT with error: %q", addr, r)
		}
	}
}
