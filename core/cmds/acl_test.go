package cmds_test

import (
	"bytes"
	"net"
	"regexp"
	"testing"

	"github.com/redisfs/redisfs/core/cmds"
	"github.com/redisfs/redisfs/core/redistest"
)

// aclLogMask blanks what differs between servers in ACL LOG replies: the
// ages and the client info lines.
var (
	aclAgeRe   = regexp.MustCompile(`\$11\r\nage-seconds\r\n\$\d+\r\n[0-9.e-]+\r\n`)
	aclCinfoRe = regexp.MustCompile(`\$11\r\nclient-info\r\n\$\d+\r\nid=[^\r]*\r\n`)
)

func aclLogMask(b []byte) []byte {
	b = aclAgeRe.ReplaceAll(b, []byte("AGE\r\n"))
	return aclCinfoRe.ReplaceAll(b, []byte("CINFO\r\n"))
}

// TestACLClients checks ACL rules against clients of other connections:
// AUTH as ACL users, permission errors, ACL LOG, users deleted or
// disabled while connected, channel permissions revoked from a
// subscriber, and rules changed between MULTI and EXEC.
func TestACLClients(t *testing.T) {
	m := newMConns(t, 4, nil)
	m.do(0, "ACL", "SETUSER", "alice", "on", ">pw", "~a:*", "&news", "+@read", "+@string", "-set", "+subscribe", "+multi", "+exec")
	m.do(1, "AUTH", "alice", "bad")
	m.do(1, "AUTH", "alice", "pw")
	m.do(1, "ACL", "WHOAMI")
	m.do(1, "GET", "a:1")
	m.do(1, "GET", "b:1")
	m.do(1, "SET", "a:1", "v")
	m.do(1, "APPEND", "a:1", "v")
	m.do(1, "MGET", "a:1", "b:1", "a:2")
	m.do(1, "SUBSCRIBE", "other")
	m.doMasked(aclLogMask, 0, "ACL", "LOG")
	m.do(0, "ACL", "LOG", "RESET")

	// Rules changed between queuing and EXEC.
	m.do(1, "MULTI")
	m.do(1, "GET", "a:1")
	m.do(1, "STRLEN", "a:1")
	m.do(0, "ACL", "SETUSER", "alice", "-strlen")
	m.do(1, "EXEC")
	m.doMasked(aclLogMask, 0, "ACL", "LOG")

	// A subscriber whose channel is revoked is disconnected.
	m.do(2, "AUTH", "alice", "pw")
	m.do(2, "SUBSCRIBE", "news")
	m.do(0, "ACL", "SETUSER", "alice", "resetchannels", "&sport")
	m.closed(2, "subscriber of a revoked channel")

	// Disabling a user does not disconnect it, deleting it does.
	m.do(0, "ACL", "SETUSER", "alice", "off")
	m.do(1, "GET", "a:1")
	m.do(3, "AUTH", "alice", "pw")
	m.do(0, "ACL", "DELUSER", "alice")
	m.closed(1, "client of a deleted user")
	m.do(3, "PING")
	m.doMasked(aclLogMask, 0, "ACL", "LOG", "1")

	// The default user with a password: new connections must AUTH.
	m.do(0, "ACL", "SETUSER", "default", ">pw2")
	r, o := redistest.Dial(t, m.refAddr), redistest.Dial(t, m.ourAddr)
	for _, args := range [][]string{{"GET", "k"}, {"AUTH", "nosuch"}, {"AUTH", "pw2"}, {"GET", "k"}} {
		if a, b := r.Do(args...), o.Do(args...); !bytes.Equal(a, b) {
			t.Errorf("%v:\n    redis: %s\n    ours:  %s", args, redistest.Quote(a), redistest.Quote(b))
		}
	}
	m.do(0, "ACL", "SETUSER", "default", "nopass")
	// requirepass sets the default user's password, and removes it.
	m.do(0, "CONFIG", "SET", "requirepass", "rp")
	m.do(0, "ACL", "LIST")
	m.do(0, "CONFIG", "SET", "requirepass", "")
	m.do(0, "ACL", "LIST")
}

// nonLoopbackIPv4 returns an IPv4 address of this machine that is not a
// loopback one, or "".
func nonLoopbackIPv4() string {
	addrs, err := net.InterfaceAddrs()
	if err != nil {
		return ""
	}
	for _, a := range addrs {
		if ipn, ok := a.(*net.IPNet); ok && ipn.IP.To4() != nil && !ipn.IP.IsLoopback() {
			return ipn.IP.String()
		}
	}
	return ""
}

// TestProtectedMode checks that with protected mode on and no password, a
// client connecting from a non-loopback address gets Redis's DENIED
// message and is disconnected, while with a password it is accepted and
// must authenticate. It needs a non-loopback address on this machine.
func TestProtectedMode(t *testing.T) {
	ip := nonLoopbackIPv4()
	if ip == "" {
		t.Skip("no non-loopback IPv4 address on this machine")
	}
	refAddr := redistest.StartRedis(t, "--bind", "127.0.0.1 "+ip, "--protected-mode", "yes")
	_, refPort, _ := net.SplitHostPort(refAddr)
	_, s := redistest.StartServer(t, func(c *cmds.Config) {
		c.Bind = []string{"127.0.0.1", ip}
		c.ProtectedMode = true
	})
	_, ourPort, _ := net.SplitHostPort(s.Addr())
	dial := func(port string) *redistest.Conn {
		c, err := redistest.TryDial(t, net.JoinHostPort(ip, port))
		if err != nil {
			t.Fatalf("dial %s:%s: %v", ip, port, err)
		}
		return c
	}
	ref, ours := dial(refPort), dial(ourPort)
	ref.Write(redistest.Command("PING"))
	ours.Write(redistest.Command("PING"))
	a, errA := ref.ReadUntilClose()
	b, errB := ours.ReadUntilClose()
	if errA != nil || errB != nil || !bytes.Equal(a, b) || !bytes.HasPrefix(a, []byte("-DENIED Redis is running in protected mode")) {
		t.Errorf("non-loopback client without password:\n    redis: %s (%v)\n    ours:  %s (%v)", redistest.Quote(a), errA, redistest.Quote(b), errB)
	}
	// With a password set (from the loopback side), the same client is
	// accepted and must authenticate.
	for _, addr := range []string{refAddr, s.Addr()} {
		c := redistest.Dial(t, addr)
		if r := c.Do("CONFIG", "SET", "requirepass", "pw"); string(r) != "+OK\r\n" {
			t.Fatalf("CONFIG SET requirepass: %s", redistest.Quote(r))
		}
	}
	ref, ours = dial(refPort), dial(ourPort)
	for _, args := range [][]string{{"GET", "k"}, {"AUTH", "wrong"}, {"AUTH", "pw"}, {"SET", "k", "v"}, {"GET", "k"}} {
		a, b := ref.Do(args...), ours.Do(args...)
		if !bytes.Equal(a, b) {
			t.Errorf("%v:\n    redis: %s\n    ours:  %s", args, redistest.Quote(a), redistest.Quote(b))
		}
	}
}
