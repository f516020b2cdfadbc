package fs

import (
	"fmt"
	"os"
	"os/exec"
	"os/user"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
)

// TestOtherUsers: with AllowOther, a uid mapped to an ACL user acts as
// that user (its ACL checked on every command its file operations run,
// its ctl conversation authenticated as it), and any other uid gets
// EACCES. It creates a Unix user of its own, so it runs as root only.
func TestOtherUsers(t *testing.T) {
	if os.Geteuid() != 0 {
		t.Skip("needs root (useradd, runuser)")
	}
	needTool(t, "useradd", "userdel", "runuser")
	name := fmt.Sprintf("rfs%d", os.Getpid())
	if out, err := exec.Command("useradd", "-M", "-s", "/bin/sh", name).CombinedOutput(); err != nil {
		t.Skipf("useradd: %v %s", err, out)
	}
	t.Cleanup(func() { exec.Command("userdel", name).Run() })
	u, err := user.Lookup(name)
	if err != nil {
		t.Fatal(err)
	}
	uid, _ := strconv.ParseUint(u.Uid, 10, 32)
	e := newEnv(t, Options{AllowOther: true, Users: map[uint32]string{uint32(uid): "alice"}})
	// The test's directories are private: let the other users reach the
	// mount point.
	for d := filepath.Dir(e.mnt); d != os.TempDir() && d != "/"; d = filepath.Dir(d) {
		os.Chmod(d, 0o755)
	}
	cl := e.client()
	eq(t, "ACL SETUSER", cl.str("ACL", "SETUSER", "alice", "on", "nopass", "~pub:*", "&*", "+@all", "-flushall", "-config", "-debug"), "OK")
	cl.str("SET", "pub:1", "hello")
	cl.str("SET", "secret", "s3cret")
	cl.str("HSET", "pub:h", "f", "v")

	as := func(who, script string) (string, error) {
		cmd := exec.CommandContext(e.ctx, "runuser", "-u", who, "--", "sh", "-c", script)
		cmd.Dir = "/"
		cmd.Env = append(os.Environ(), "M="+e.mnt, "LC_ALL=C")
		out, err := cmd.CombinedOutput()
		return string(out), err
	}
	mustFail := func(who, script, want string) {
		t.Helper()
		out, err := as(who, script)
		if err == nil || !strings.Contains(out, want) {
			t.Errorf("as %s, %s: %v %q, want a failure with %q", who, script, err, out, want)
		}
	}

	// Mapped: the ACL decides.
	out, err := as(name, `cat $M/0/pub:1; cat $M/0/pub:h/f`)
	if err != nil || out != "hellov" {
		t.Errorf("mapped user reads: %v %q", err, out)
	}
	if out, err := as(name, `echo new > $M/0/pub:2 && echo w > $M/0/pub:h/g && ls $M/0/pub:h`); err != nil || out != "f\ng\n" {
		t.Errorf("mapped user writes: %v %q", err, out)
	}
	eq(t, "written", cl.str("GET", "pub:2"), "new\n")
	mustFail(name, `cat $M/0/secret`, "Permission denied")
	mustFail(name, `echo x > $M/0/secret`, "Permission denied")
	mustFail(name, `rm $M/0/secret`, "Permission denied")
	mustFail(name, `mv $M/0/pub:1 $M/0/secret`, "Permission denied")
	eq(t, "secret kept", cl.str("GET", "secret"), "s3cret")
	eq(t, "pub:1 kept", cl.str("GET", "pub:1"), "hello")
	// ctl runs as the user: FLUSHALL is refused, ACL WHOAMI and CLIENT
	// LIST name it.
	mustFail(name, `echo FLUSHALL > $M/ctl`, "")
	eq(t, "FLUSHALL refused", cl.str("EXISTS", "secret"), "1")
	out, err = as(name, `exec 3<>$M/ctl; echo 'ACL WHOAMI' >&3; head -1 <&3; echo 'CLIENT LIST' >&3; cat <&3`)
	if err != nil || !strings.HasPrefix(out, "alice\n") || !strings.Contains(out, " user=alice ") {
		t.Errorf("mapped ctl: %v %q", err, out)
	}
	if log := cl.str("ACL", "LOG"); !strings.Contains(log, "alice") {
		t.Errorf("ACL LOG has no refusal of alice: %q", log)
	}
	// A user deleted since has nothing.
	cl.str("ACL", "DELUSER", "alice")
	mustFail(name, `cat $M/0/pub:2`, "Permission denied")

	// Not mapped: nothing at all.
	mustFail("nobody", `ls $M`, "Permission denied")
	mustFail("nobody", `cat $M/0/pub:1`, "Permission denied")
	mustFail("nobody", `echo FLUSHALL > $M/ctl`, "Permission denied")
	eq(t, "keys kept", cl.str("DBSIZE"), "4")

	// The mounting user is unrestricted.
	eq(t, "mounting user", e.sh(`cat $M/0/secret`), "s3cret")
}
