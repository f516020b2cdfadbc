package cmds_test

import (
	"net"
	"strconv"
	"testing"

	"github.com/redisfs/redisfs/core/cmds"
	"github.com/redisfs/redisfs/core/redistest"
)

// Tests of Redis 7.0's safety switches: enable-debug-command,
// enable-module-command and enable-protected-configs.

// safetyPair starts both servers with the three switches set to debug,
// protected (module stays at its default).
func safetyPair(t *testing.T, debug, protected string) *redistest.Pair {
	t.Helper()
	refAddr, ourAddr := connPair(t, func(c *cmds.Config) {
		c.EnableDebugCommand = debug
		c.EnableProtectedConfigs = protected
	}, "--enable-debug-command", debug, "--enable-protected-configs", protected)
	return redistest.NewPair(t, refAddr, ourAddr)
}

// TestEnableDebugCommand compares DEBUG's refusal and CONFIG SET of the
// protected directives under each setting, from a loopback client.
func TestEnableDebugCommand(t *testing.T) {
	for _, setting := range []string{"no", "yes", "local"} {
		t.Run(setting, func(t *testing.T) {
			p := safetyPair(t, setting, setting)
			p.Do("DEBUG", "SLEEP", "0")
			p.Do("debug", "help", "x")
			p.Do("DEBUG")
			p.Do("MULTI")
			p.Do("DEBUG", "SLEEP", "0")
			p.Do("EXEC")
			p.Do("CONFIG", "GET", "enable-debug-command")
			p.Do("CONFIG", "GET", "enable-protected-configs")
			p.Do("CONFIG", "GET", "enable-module-command")
			p.DoMode(redistest.Sorted, "CONFIG", "GET", "enable-*")
			p.Do("CONFIG", "SET", "enable-debug-command", "yes")
			p.Do("CONFIG", "SET", "enable-protected-configs", "local")
			p.Do("CONFIG", "SET", "dbfilename", "x.rdb")
			p.Do("CONFIG", "GET", "dbfilename")
			p.Do("CONFIG", "SET", "dbfilename", "dump.rdb", "maxmemory-samples", "4")
			p.Do("CONFIG", "SET", "maxmemory-samples", "6", "dbfilename", "y.rdb")
			p.Do("CONFIG", "GET", "dbfilename")
			p.Do("CONFIG", "GET", "maxmemory-samples")
			if setting == "no" {
				// The rejected call is counted as Redis counts it.
				p.DoMode(redistest.Exact, "INFO", "errorstats")
			}
		})
	}
}

// TestEnableDebugCommandBadValues checks the values the directive takes.
func TestEnableDebugCommandBadValues(t *testing.T) {
	cfg := cmds.DefaultConfig()
	for _, v := range []string{"no", "yes", "local", "YES"} {
		if err := cfg.Set("enable-debug-command", v); err != nil {
			t.Errorf("enable-debug-command %s: %v", v, err)
		}
	}
	if err := cfg.Set("enable-module-command", "maybe"); err == nil {
		t.Errorf("enable-module-command maybe: accepted")
	}
	if v, _ := cfg.Get("enable-protected-configs"); v != "no" {
		t.Errorf("enable-protected-configs defaults to %q", v)
	}
}

// TestEnableDebugCommandLocal checks "local" from a non-loopback address:
// refused there, as Redis refuses it.
func TestEnableDebugCommandLocal(t *testing.T) {
	ip := nonLoopbackIPv4()
	if ip == "" {
		t.Skip("no non-loopback IPv4 address on this machine")
	}
	port := redistest.FreePort(t)
	refAddr := redistest.StartRedis(t, "--bind", "127.0.0.1 "+ip, "--enable-debug-command", "local",
		"--enable-protected-configs", "local", "--protected-mode", "no")
	ourAddr, _ := redistest.StartServer(t, func(c *cmds.Config) {
		c.Bind = []string{"127.0.0.1", ip}
		c.Port = port
		c.EnableDebugCommand = "local"
		c.EnableProtectedConfigs = "local"
		c.ProtectedMode = false
	})
	_, refPort, _ := net.SplitHostPort(refAddr)
	p := redistest.NewPair(t, net.JoinHostPort(ip, refPort), net.JoinHostPort(ip, strconv.Itoa(port)))
	p.Do("DEBUG", "SLEEP", "0")
	p.Do("CONFIG", "SET", "dbfilename", "x.rdb")
	local := redistest.NewPair(t, refAddr, ourAddr)
	local.Do("DEBUG", "SLEEP", "0")
	local.Do("CONFIG", "SET", "dbfilename", "x.rdb")
}
