package cmds

import "testing"

// addrConn is nopConn with a chosen peer address.
type addrConn struct {
	nopConn
	addr string
}

func (a addrConn) RemoteAddr() string { return a.addr }

// TestEnableDebugCommandMountIsLocal checks that with
// enable-debug-command local the mount's clients (ctl conversations and
// file operations, whose peer is a path, not a network address) may run
// DEBUG, as a unix-socket client may, while a remote TCP peer may not.
func TestEnableDebugCommandMountIsLocal(t *testing.T) {
	cfg := DefaultConfig()
	cfg.Save, cfg.AppendOnly = "", false
	cfg.EnableDebugCommand = "local"
	srv := NewServer(cfg)
	srv.LogOut = nil
	for _, tc := range []struct {
		addr string
		ok   bool
	}{
		{"/mnt/ctl:0", true}, {"fuse:0", true}, {"127.0.0.1:5000", true}, {"[::1]:5000", true},
		{"10.1.2.3:5000", false}, {"127.0.0.2:5000", false}, {"[fe80::1]:5000", false},
	} {
		c := srv.NewClient(addrConn{addr: tc.addr})
		got := runInline(c, "DEBUG SLEEP 0")
		if ok := got == "+OK\r\n"; ok != tc.ok {
			t.Errorf("peer %s: DEBUG SLEEP 0 replied %q", tc.addr, got)
		}
	}
}
