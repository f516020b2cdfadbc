package fs

import (
	"strings"
	"testing"
	"time"
)

func TestCtl(t *testing.T) {
	needTool(t, "redis-cli", "timeout")
	e := newEnv(t, Options{})
	cl := e.client()

	// Fire and forget.
	e.sh(`echo 'SET k v' > $M/ctl`)
	eq(t, "SET through ctl", cl.str("GET", "k"), "v")

	// A conversation: write, then read the reply.
	eq(t, "INCR", e.sh(`exec 3<>$M/ctl; echo 'INCR n' >&3; head -1 <&3`), "1\n")
	eq(t, "INCR again", e.sh(`exec 3<>$M/ctl; echo 'INCR n' >&3; read -r x <&3; echo "[$x]"`), "[2]\n")

	// Several commands in one write, replies read a line at a time,
	// then end-of-file.
	eq(t, "pipeline", e.sh(`exec 3<>$M/ctl; printf 'INCR n\nGET k\nMGET k nope n\nPING\n' >&3; head -1 <&3; cat <&3`), "3\nv\nv\n\n3\nPONG\n")

	// RESP requests work as well as inline ones.
	eq(t, "RESP", e.sh(`exec 3<>$M/ctl; printf '*3\r\n$3\r\nSET\r\n$2\r\nsp\r\n$5\r\na b c\r\n*2\r\n$3\r\nGET\r\n$2\r\nsp\r\n' >&3; cat <&3`), "OK\na b c\n")
	eq(t, "quoted inline", e.sh(`exec 3<>$M/ctl; printf 'SET q "x\\ty"\nSTRLEN q\n' >&3; cat <&3`), "OK\n3\n")

	// Nothing pending: end of file at once.
	eq(t, "empty read", e.sh(`cat $M/ctl`), "")

	// SELECT is per conversation.
	e.sh(`exec 3<>$M/ctl; printf 'SELECT 2\nSET x in2\n' >&3; cat <&3 >/dev/null`)
	cl.str("SELECT", "2")
	eq(t, "SELECT in ctl", cl.str("GET", "x"), "in2")
	cl.str("SELECT", "0")
	eq(t, "db 0 untouched", cl.str("EXISTS", "x"), "0")

	// An error reply fails the write with EINVAL; the text stays readable.
	out, err := e.shErr(`exec 3<>$M/ctl 2>&1; /bin/echo 'NOSUCH a' >&3; echo "rc=$?"; cat <&3`)
	if err != nil || !strings.Contains(out, "Invalid argument") || !strings.Contains(out, "rc=1") ||
		!strings.Contains(out, "ERR unknown command 'NOSUCH', with args beginning with: 'a' \n\n") {
		t.Errorf("error write: %v %q", err, out)
	}
	out, err = e.shErr(`exec 3<>$M/ctl 2>&1; /bin/echo 'INCR k' >&3; echo "rc=$?"; cat <&3`)
	if !strings.Contains(out, "Invalid argument\nrc=1\nERR value is not an integer or out of range\n\n") {
		t.Errorf("INCR of a string: %v %q", err, out)
	}
	// Other error codes fail with EIO.
	cl.str("CONFIG", "SET", "requirepass", "secret")
	out, err = e.shErr(`exec 3<>$M/ctl 2>&1; /bin/echo 'GET k' >&3; echo "rc=$?"; cat <&3; printf 'AUTH secret\nGET k\n' >&3; cat <&3`)
	if !strings.Contains(out, "Input/output error") || !strings.Contains(out, "NOAUTH Authentication required.\n\nOK\nv\n") {
		t.Errorf("NOAUTH: %v %q", err, out)
	}
	cl.str("AUTH", "secret")
	cl.str("CONFIG", "SET", "requirepass", "")

	// A protocol error ends the conversation, as it closes a socket.
	out, err = e.shErr(`exec 3<>$M/ctl 2>&1; /usr/bin/printf '*1\r\n$x\r\n' >&3; echo "rc=$?"; cat <&3; /bin/echo PING >&3; echo "rc=$?"`)
	if !strings.Contains(out, "rc=1") || !strings.Contains(out, "ERR Protocol error: invalid bulk length\n") || !strings.Contains(out, "Broken pipe") {
		t.Errorf("protocol error: %v %q", err, out)
	}

	// INFO prints raw (no added newline), as redis-cli does.
	out = e.sh(`exec 3<>$M/ctl; printf 'INFO keyspace\nPING\n' >&3; cat <&3`)
	if !strings.HasPrefix(out, "# Keyspace\r\n") || !strings.HasSuffix(out, "\r\nPONG\n") {
		t.Errorf("INFO: %q", out)
	}

	// An open conversation is a client like any other.
	out = e.sh(`exec 3<>$M/ctl; printf 'CLIENT SETNAME viactl\n' >&3; read -r x <&3; redis-cli -p ` + e.port() + ` CLIENT LIST`)
	if !strings.Contains(out, "name=viactl") || !strings.Contains(out, "/ctl:0") {
		t.Errorf("CLIENT LIST: %q", out)
	}
	// The kernel releases a file after close(2) returns.
	eventually(t, settle, func() string {
		if strings.Contains(cl.str("CLIENT", "LIST"), "viactl") {
			return "the conversation outlived its close"
		}
		return ""
	})

	// MULTI/EXEC inside a conversation.
	eq(t, "MULTI", e.sh(`exec 3<>$M/ctl; printf 'MULTI\nINCR m\nINCR m\nEXEC\n' >&3; cat <&3`), "OK\nQUEUED\nQUEUED\n1\n2\n")
	// QUIT ends it.
	eq(t, "QUIT", e.sh(`exec 3<>$M/ctl; printf 'QUIT\n' >&3; cat <&3; echo PING >&3 2>/dev/null || echo closed`), "OK\nclosed\n")
}

func TestCtlBlocking(t *testing.T) {
	needTool(t, "redis-cli", "timeout")
	e := newEnv(t, Options{})
	cl := e.client()
	e.need(cl, "blpop", "lpush")
	// The read waits for the blocked command's reply.
	start := time.Now()
	out := e.sh(`exec 3<>$M/ctl; printf 'BLPOP q 0\nPING\n' >&3; (sleep 0.5; redis-cli -p ` + e.port() + ` LPUSH q a >/dev/null) & cat <&3; wait`)
	eq(t, "BLPOP", out, "q\na\nPONG\n")
	if d := time.Since(start); d < 400*time.Millisecond {
		t.Errorf("the read did not wait (%v)", d)
	}
	// A killed reader does not wedge anything; closing frees the client.
	out = e.sh(`exec 3<>$M/ctl; printf 'BLPOP q2 0\n' >&3; timeout -s KILL 0.3 cat <&3; echo "rc=$?"`)
	eq(t, "killed reader", strings.TrimSpace(out), "rc=137")
	eq(t, "loop alive", cl.str("PING"), "PONG")
	eventually(t, settle, func() string {
		if strings.Contains(cl.str("CLIENT", "LIST"), "cmd=blpop") {
			return "the blocked conversation was not freed"
		}
		return ""
	})
	cl.str("LPUSH", "q2", "x")
	eq(t, "nobody took it", cl.str("LLEN", "q2"), "1")
}

// TestCtlLateReplies checks that a reply that comes after its command
// returned (blocked, or postponed by CLIENT PAUSE) is rendered as its own
// command's, apart from the replies of the commands written after it.
func TestCtlLateReplies(t *testing.T) {
	needTool(t, "redis-cli")
	e := newEnv(t, Options{})
	cl := e.client()
	e.need(cl, "blpop", "lpush")
	cli := `redis-cli -p ` + e.port()

	// A blocked BLPOP (printed with its newline), then INFO (raw).
	out := e.sh(`exec 3<>$M/ctl; printf 'BLPOP q 0\nINFO keyspace\n' >&3; (sleep 0.3; ` + cli + ` LPUSH q a >/dev/null) & cat <&3; wait`)
	if !strings.HasPrefix(out, "q\na\n# Keyspace\r\n") || strings.HasSuffix(out, "\n\n") || !strings.HasSuffix(out, "\r\n") {
		t.Errorf("BLPOP then INFO: %q", out)
	}

	// INFO postponed by a pause (printed raw), then PING.
	cl.str("CLIENT", "PAUSE", "500", "ALL")
	out = e.sh(`exec 3<>$M/ctl; printf 'INFO keyspace\nPING\n' >&3; cat <&3`)
	if !strings.HasPrefix(out, "# Keyspace\r\n") || !strings.HasSuffix(out, "\r\nPONG\n") {
		t.Errorf("paused INFO then PING: %q", out)
	}
	// The same, with the reply of the postponed command alone.
	cl.str("CLIENT", "PAUSE", "300", "ALL")
	out = e.sh(`exec 3<>$M/ctl; printf 'INFO keyspace\n' >&3; cat <&3`)
	if !strings.HasPrefix(out, "# Keyspace\r\n") || strings.HasSuffix(out, "\n\n") {
		t.Errorf("paused INFO: %q", out)
	}
}
