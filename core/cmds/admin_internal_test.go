package cmds

import (
	"slices"
	"testing"
)

// nopConn is a transport that keeps nothing: replies stay in c.Reply.
type nopConn struct{}

func (nopConn) Flush(c *Client)    { c.Sent = len(c.Reply) }
func (nopConn) Close(c *Client)    {}
func (nopConn) RemoteAddr() string { return "127.0.0.1:1" }
func (nopConn) LocalAddr() string  { return "127.0.0.1:2" }
func (nopConn) Fd() int            { return -1 }

// runInline runs inline commands on c and returns the reply bytes.
func runInline(c *Client, lines ...string) string {
	c.Reply = c.Reply[:0]
	c.Sent = 0
	for _, l := range lines {
		c.QueryBuf = append(c.QueryBuf, l+"\r\n"...)
	}
	c.ProcessInputBuffer()
	return string(c.Reply)
}

// TestFlushNotifiesFileServer checks that FLUSHDB, FLUSHALL and SWAPDB tell
// the file server (OnEmptyData) which databases changed wholesale, and count
// as changes.
func TestFlushNotifiesFileServer(t *testing.T) {
	cfg := DefaultConfig()
	cfg.Save, cfg.AppendOnly = "", false
	srv := NewServer(cfg)
	srv.LogOut = nil
	var flushed []int
	srv.OnEmptyData(func(db int) { flushed = append(flushed, db) })
	c := srv.NewClient(nopConn{})
	runInline(c, "SET a 1", "SELECT 2", "SET b 2")
	dirty := srv.Dirty
	for _, tc := range []struct {
		cmd  string
		want []int
	}{
		{"FLUSHDB", []int{2}},
		{"FLUSHDB ASYNC", []int{2}},
		{"FLUSHALL", []int{-1}},
		{"SWAPDB 3 4", []int{3, 4}},
		{"SWAPDB 3 3", nil},
		{"FLUSHDB BAD", nil},
	} {
		flushed = nil
		runInline(c, tc.cmd)
		if !slices.Equal(flushed, tc.want) {
			t.Errorf("%s: OnEmptyData(%v), want %v", tc.cmd, flushed, tc.want)
		}
	}
	if srv.Dirty <= dirty {
		t.Errorf("Dirty did not grow: %d -> %d", dirty, srv.Dirty)
	}
	// SWAPDB keeps the DB structs (clients point at them) and their ids.
	db0, db1 := srv.DBs[0], srv.DBs[1]
	runInline(c, "SELECT 0", "SET x 1", "SWAPDB 0 1")
	if srv.DBs[0] != db0 || srv.DBs[1] != db1 || db0.id != 0 || db1.id != 1 {
		t.Errorf("SWAPDB replaced the DB structs")
	}
	if db0.Len() != 0 || db1.Len() != 1 || c.db != db0 {
		t.Errorf("after SWAPDB: db0 %d keys, db1 %d keys", db0.Len(), db1.Len())
	}
}

// TestConfigSetApplyHooks checks that CONFIG SET runs the apply step of a
// directive and undoes everything when it fails.
func TestConfigSetApplyHooks(t *testing.T) {
	srv := NewServer(DefaultConfig())
	srv.LogOut = nil
	c := srv.NewClient(nopConn{})
	layer := &applyFailLayer{srv: srv}
	srv.SetPersistence(layer)
	if r := runInline(c, `CONFIG SET save "100 1" hz 20`); r != "+OK\r\n" || srv.Config.Save != "100 1" || srv.Config.Hz != 20 {
		t.Fatalf("CONFIG SET: %q save=%q hz=%d", r, srv.Config.Save, srv.Config.Hz)
	}
	r := runInline(c, `CONFIG SET hz 30 save "5 5"`)
	if r != "-ERR CONFIG SET failed (possibly related to argument 'save') - too many\r\n" {
		t.Errorf("CONFIG SET: %q", r)
	}
	if srv.Config.Save != "100 1" || srv.Config.Hz != 20 {
		t.Errorf("after a failed apply: save=%q hz=%d", srv.Config.Save, srv.Config.Hz)
	}
	if layer.calls != 3 {
		t.Errorf("apply step ran %d times, want 3 (set, failed set, restore)", layer.calls)
	}
}

// applyFailLayer is a persistence layer whose ApplyConfig refuses a save
// directive of "5 5"; no other method of it is called by CONFIG SET.
type applyFailLayer struct {
	persistence
	srv   *Server
	calls int
}

func (l *applyFailLayer) WriteError() string { return "" }

func (l *applyFailLayer) ApplyConfig(name string) error {
	if name != "save" {
		return nil
	}
	l.calls++
	if l.srv.Config.Save == "5 5" {
		return errString("too many")
	}
	return nil
}

type errString string

func (e errString) Error() string { return string(e) }

// TestKeysFromSpecs checks key extraction by key specs on the commands
// whose specs need each branch.
func TestKeysFromSpecs(t *testing.T) {
	for _, tc := range []struct {
		cmd  []string
		want []int
	}{
		{[]string{"get", "k"}, []int{1}},
		{[]string{"mset", "a", "1", "b", "2"}, []int{1, 3}},
		{[]string{"mget", "a", "b", "c"}, []int{1, 2, 3}},
		{[]string{"blpop", "a", "b", "0"}, []int{1, 2}},
		{[]string{"zunionstore", "d", "2", "a", "b"}, []int{1, 3, 4}},
		{[]string{"xread", "count", "2", "streams", "a", "b", "0", "0"}, []int{4, 5}},
		{[]string{"georadius", "k", "0", "0", "1", "m", "store", "s"}, []int{1, 7}},
		{[]string{"eval", "s", "2", "a", "b", "c"}, []int{3, 4}},
	} {
		d := lookupMeta(tc.cmd[0])
		if d == nil {
			t.Fatalf("no data for %s", tc.cmd[0])
		}
		argv := make([][]byte, len(tc.cmd))
		for i, a := range tc.cmd {
			argv[i] = []byte(a)
		}
		keys, _ := keysFromSpecs(d.keySpecs, argv, true)
		var got []int
		for _, k := range keys {
			got = append(got, k.pos)
		}
		if !slices.Equal(got, tc.want) {
			t.Errorf("%v: keys at %v, want %v", tc.cmd, got, tc.want)
		}
	}
}

// TestAppendRESP3 checks the RESP3 to RESP2 downgrade of stored replies.
func TestAppendRESP3(t *testing.T) {
	in := "%2\r\n$5\r\nflags\r\n~2\r\n+RO\r\n+access\r\n$4\r\nx\r\ny\r\n*1\r\n:-3\r\n"
	want := "*4\r\n$5\r\nflags\r\n*2\r\n+RO\r\n+access\r\n$4\r\nx\r\ny\r\n*1\r\n:-3\r\n"
	if got := string(appendRESP3(nil, []byte(in), 2)); got != want {
		t.Errorf("RESP2: %q, want %q", got, want)
	}
	if got := string(appendRESP3(nil, []byte(in), 3)); got != in {
		t.Errorf("RESP3: %q", got)
	}
}

// TestBytesToHuman checks Redis's bytesToHuman formatting.
func TestBytesToHuman(t *testing.T) {
	for n, want := range map[uint64]string{
		0: "0B", 1023: "1023B", 1024: "1.00K", 991168: "967.94K", 7290880: "6.95M",
		25276026880: "23.54G", 1 << 40: "1.00T", 1 << 50: "1.00P",
	} {
		if got := bytesToHuman(n); got != want {
			t.Errorf("BytesToHuman(%d) = %q, want %q", n, got, want)
		}
	}
}

// TestMountACLUserDirective: mount-acl-user adds uid → ACL user pairs,
// from repeated lines or one value holding several, and refuses odd or
// non-numeric input.
func TestMountACLUserDirective(t *testing.T) {
	c := DefaultConfig()
	if err := c.Set("mount-acl-user", "1001 alice"); err != nil {
		t.Fatal(err)
	}
	if err := c.Set("mount-acl-user", "1003 carol 1002 bob"); err != nil {
		t.Fatal(err)
	}
	if got, _ := c.Get("mount-acl-user"); got != "1001 alice 1002 bob 1003 carol" {
		t.Errorf("get: %q", got)
	}
	if c.MountACLUsers[1002] != "bob" {
		t.Errorf("map: %v", c.MountACLUsers)
	}
	for _, bad := range []string{"1001", "x alice", "-1 alice"} {
		if err := c.Set("mount-acl-user", bad); err == nil {
			t.Errorf("%q accepted", bad)
		}
	}
	if directiveMutable("mount-acl-user") {
		t.Error("CONFIG SET may change mount-acl-user")
	}
}
