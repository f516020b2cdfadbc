package cmds

import (
	"regexp"
	"strconv"
	"strings"
	"testing"
)

// respCmd encodes args as a RESP array, as propagation writes them.
func respCmd(args ...string) string {
	s := "*" + strconv.Itoa(len(args)) + "\r\n"
	for _, a := range args {
		s += "$" + strconv.Itoa(len(a)) + "\r\n" + a + "\r\n"
	}
	return s
}

// TestStreamPropagation checks what stream commands propagate: XADD with
// a generated ID and an approximate trim as the exact ID and trim,
// XREADGROUP as XCLAIMs (and XGROUP SETID with NOACK), XCLAIM as XCLAIMs,
// XREAD nothing.
func TestStreamPropagation(t *testing.T) {
	srv := expServer(t, func(c *Config) { c.streamNodeMaxEntries = 2 })
	var fed []string
	srv.SetPropagationFeed(func(dbid int, cmd []byte) { fed = append(fed, string(cmd)) })
	c := srv.NewClient(nil)
	run := func(args ...string) string {
		fed = fed[:0]
		return expDo(c, args...)
	}
	// XADD *: the generated ID replaces *.
	r := run("XADD", "s", "*", "f", "v")
	id := strings.Split(r, "\r\n")[1]
	if !regexp.MustCompile(`^\d{13}-0$`).MatchString(id) {
		t.Fatalf("XADD * replied %q", r)
	}
	if want := respCmd("XADD", "s", id, "f", "v"); len(fed) != 1 || fed[0] != want {
		t.Errorf("XADD * propagated %q, want %q", fed, want)
	}
	run("XADD", "s", "9999999999999-*", "f", "v")
	if want := respCmd("XADD", "s", "9999999999999-0", "f", "v"); len(fed) != 1 || fed[0] != want {
		t.Errorf("XADD ms-* propagated %q, want %q", fed, want)
	}
	// An explicit ID propagates verbatim; an approximate trim as the
	// exact one it did.
	for i := 1; i <= 5; i++ {
		run("XADD", "t", strconv.Itoa(i), "f", "v")
	}
	run("XADD", "t", "MAXLEN", "~", "2", "6", "f", "v")
	if want := respCmd("XADD", "t", "MAXLEN", "=", "2", "6", "f", "v"); len(fed) != 1 || fed[0] != want {
		t.Errorf("XADD MAXLEN ~ propagated %q, want %q", fed, want)
	}
	for i := 1; i <= 5; i++ {
		run("XADD", "u", strconv.Itoa(i), "f", "v")
	}
	run("XTRIM", "u", "MINID", "~", "5")
	if want := respCmd("XTRIM", "u", "MINID", "=", "5-0"); len(fed) != 1 || fed[0] != want {
		t.Errorf("XTRIM MINID ~ propagated %q, want %q", fed, want)
	}
	// XREADGROUP: one XCLAIM per delivered entry, in a MULTI.
	run("XGROUP", "CREATE", "t", "g", "0")
	run("XREADGROUP", "GROUP", "g", "alice", "STREAMS", "t", ">")
	joined := strings.Join(fed, "")
	for _, e := range []string{"5-0", "6-0"} {
		if !strings.Contains(joined, respCmd("XCLAIM", "t", "g", "alice", "0", e, "TIME")[:0]+"$3\r\n"+e+"\r\n") {
			t.Errorf("XREADGROUP propagated %q, want an XCLAIM of %s", fed, e)
		}
	}
	if !strings.HasPrefix(joined, respCmd("MULTI")) || !strings.Contains(joined, "$6\r\nXCLAIM\r\n") ||
		!strings.Contains(joined, "$10\r\nRETRYCOUNT\r\n$1\r\n1\r\n$5\r\nFORCE\r\n$6\r\nJUSTID\r\n$6\r\nLASTID\r\n$3\r\n6-0\r\n") {
		t.Errorf("XREADGROUP propagated %q", fed)
	}
	// NOACK: the group's new last ID, as XGROUP SETID … ENTRIESREAD.
	run("XADD", "t", "7", "f", "v")
	run("XREADGROUP", "GROUP", "g", "bob", "NOACK", "STREAMS", "t", ">")
	want := respCmd("XGROUP", "CREATECONSUMER", "t", "g", "bob") +
		respCmd("XGROUP", "SETID", "t", "g", "7-0", "ENTRIESREAD", "7")
	if got := strings.Join(fed, ""); !strings.Contains(got, want) {
		t.Errorf("XREADGROUP NOACK propagated %q, want %q inside", got, want)
	}
	// XREAD and a history read of nothing propagate nothing.
	run("XREAD", "STREAMS", "t", "0")
	if len(fed) != 0 {
		t.Errorf("XREAD propagated %q", fed)
	}
	// XCLAIM with LASTID beyond the group's: an XCLAIM per claimed ID.
	run("XCLAIM", "t", "g", "carol", "0", "5-0", "JUSTID")
	if len(fed) != 1 || !strings.HasPrefix(fed[0], "*14\r\n$6\r\nXCLAIM\r\n$1\r\nt\r\n$1\r\ng\r\n$5\r\ncarol\r\n$1\r\n0\r\n$3\r\n5-0\r\n$4\r\nTIME\r\n") {
		t.Errorf("XCLAIM propagated %q", fed)
	}
	run("XCLAIM", "t", "g", "carol", "0", "9-0", "LASTID", "8-0")
	if want := respCmd("XGROUP", "SETID", "t", "g", "8-0", "ENTRIESREAD", "7"); len(fed) != 1 || fed[0] != want {
		t.Errorf("XCLAIM LASTID propagated %q, want %q", fed, want)
	}
}

// TestStreamGeneratedIDs checks XADD * against the clock and the last ID:
// a new millisecond starts at seq 0, the same or an older one continues
// the last ID.
func TestStreamGeneratedIDs(t *testing.T) {
	srv := expServer(t, nil)
	c := srv.NewClient(nil)
	prev := ""
	for i := 0; i < 50; i++ {
		r := expDo(c, "XADD", "s", "*", "f", "v")
		id := strings.Split(r, "\r\n")[1]
		if prev != "" && cmpID(t, id, prev) <= 0 {
			t.Fatalf("XADD * gave %s after %s", id, prev)
		}
		prev = id
	}
	expDo(c, "XADD", "f", "99999999999999-5", "f", "v")
	r := expDo(c, "XADD", "f", "*", "f", "v")
	if r != "$16\r\n99999999999999-6\r\n" {
		t.Errorf("XADD * after a future ID replied %q", r)
	}
	expDo(c, "XADD", "m", "18446744073709551615-18446744073709551614", "f", "v")
	expDo(c, "XADD", "m", "*", "f", "v")
	if r := expDo(c, "XADD", "m", "*", "f", "v"); r != "-ERR The stream has exhausted the last possible ID, unable to add more items\r\n" {
		t.Errorf("XADD * at the last ID replied %q", r)
	}
}

func cmpID(t *testing.T, a, b string) int {
	t.Helper()
	pa, pb := strings.SplitN(a, "-", 2), strings.SplitN(b, "-", 2)
	var x, y [2]uint64
	for i := 0; i < 2; i++ {
		var err error
		if x[i], err = strconv.ParseUint(pa[i], 10, 64); err != nil {
			t.Fatal(err)
		}
		if y[i], err = strconv.ParseUint(pb[i], 10, 64); err != nil {
			t.Fatal(err)
		}
	}
	switch {
	case x[0] != y[0]:
		if x[0] < y[0] {
			return -1
		}
		return 1
	case x[1] < y[1]:
		return -1
	case x[1] > y[1]:
		return 1
	}
	return 0
}
