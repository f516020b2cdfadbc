package proto

import (
	"reflect"
	"testing"
)

func str(typ byte, s string) Reply { return Reply{Type: typ, Str: []byte(s)} }

func TestReadReply(t *testing.T) {
	cases := []struct {
		in   string
		want Reply
		n    int
		err  bool
	}{
		{"+OK\r\n", str('+', "OK"), 5, false},
		{"+\r\n", str('+', ""), 3, false},
		{"-ERR x\r\n", str('-', "ERR x"), 8, false},
		{":42\r\n", Reply{Type: ':', Int: 42}, 5, false},
		{":-9223372036854775808\r\n", Reply{Type: ':', Int: -1 << 63}, 23, false},
		{"$3\r\nfoo\r\n", str('$', "foo"), 9, false},
		{"$0\r\n\r\n", str('$', ""), 6, false},
		{"$5\r\na\r\nbc\r\n", str('$', "a\r\nbc"), 11, false},
		{"$-1\r\n", Reply{Type: '$', Null: true}, 5, false},
		{"*-1\r\n", Reply{Type: '*', Null: true}, 5, false},
		{"_\r\n", Reply{Type: '_', Null: true}, 3, false},
		{"*0\r\n", Reply{Type: '*', Elems: []Reply{}}, 4, false},
		{"*2\r\n:1\r\n*1\r\n$1\r\na\r\n", Reply{Type: '*', Elems: []Reply{
			{Type: ':', Int: 1}, {Type: '*', Elems: []Reply{str('$', "a")}}}}, 19, false},
		{"%1\r\n+k\r\n#t\r\n", Reply{Type: '%', Elems: []Reply{str('+', "k"), {Type: '#', Int: 1}}}, 12, false},
		{"~1\r\n#f\r\n", Reply{Type: '~', Elems: []Reply{{Type: '#'}}}, 8, false},
		{">1\r\n:1\r\n", Reply{Type: '>', Elems: []Reply{{Type: ':', Int: 1}}}, 8, false},
		{"|1\r\n+a\r\n:1\r\n+x\r\n", Reply{Type: '|', Elems: []Reply{str('+', "a"), {Type: ':', Int: 1}}}, 12, false},
		{",1.5\r\n", str(',', "1.5"), 6, false},
		{",-nan\r\n", str(',', "-nan"), 7, false},
		{"(123456789012345678901234567890\r\n", str('(', "123456789012345678901234567890"), 33, false},
		{"=8\r\ntxt:abcd\r\n", str('=', "abcd"), 14, false},
		{"=4\r\nmkd:\r\n", str('=', ""), 10, false},
		{"+OK\r\n+NEXT\r\n", str('+', "OK"), 5, false},

		// Incomplete.
		{"", Reply{}, 0, false},
		{"+OK", Reply{}, 0, false},
		{"+OK\r", Reply{}, 0, false},
		{"$3\r\nfo", Reply{}, 0, false},
		{"$3\r\nfoo\r", Reply{}, 0, false},
		{"*2\r\n:1\r\n", Reply{}, 0, false},
		{"*2147483647\r\n:1\r\n", Reply{}, 0, false},
		{"%1\r\n+k\r\n", Reply{}, 0, false},
		{"#", Reply{}, 0, false},

		// Malformed.
		{"?x\r\n", Reply{}, 0, true},
		{"?", Reply{}, 0, true},
		{":x\r\n", Reply{}, 0, true},
		{":+1\r\n", Reply{}, 0, true},
		{"$-2\r\n", Reply{}, 0, true},
		{"$x\r\n", Reply{}, 0, true},
		{"$3\r\nfooXY", Reply{}, 0, true},
		{"*-2\r\n", Reply{}, 0, true},
		{"%-1\r\n", Reply{}, 0, true},
		{"#x\r\n", Reply{}, 0, true},
		{"_x\r\n", Reply{}, 0, true},
		{"=3\r\ntxt\r\n", Reply{}, 0, true},
		{"=4\r\ntxtx\r\n", Reply{}, 0, true},
		{"=-1\r\n", Reply{}, 0, true},
		{"*1\r\n?\r\n", Reply{}, 0, true},
	}
	for _, tc := range cases {
		got, n, err := ReadReply([]byte(tc.in))
		if (err != nil) != tc.err || n != tc.n || !reflect.DeepEqual(got, tc.want) {
			t.Errorf("ReadReply(%q) = %+v, %d, %v; want %+v, %d, error %v", tc.in, got, n, err, tc.want, tc.n, tc.err)
		}
		if err != nil {
			if _, ok := err.(*ProtocolError); !ok {
				t.Errorf("ReadReply(%q): error %T is not a *ProtocolError", tc.in, err)
			}
		}
	}
}

func TestReadReplyDepth(t *testing.T) {
	var deep []byte
	for i := 0; i < maxReplyDepth+1; i++ {
		deep = AppendArrayLen(deep, 1)
	}
	deep = AppendInt(deep, 1)
	if _, _, err := ReadReply(deep); err == nil {
		t.Errorf("nesting deeper than %d accepted", maxReplyDepth)
	}
	if _, n, err := ReadReply(deep[4:]); err != nil || n != len(deep)-4 {
		t.Errorf("nesting of %d: n = %d, err = %v", maxReplyDepth, n, err)
	}
}

// TestReadReplyPrefixes checks that every proper prefix of a reply is
// reported incomplete, never malformed.
func TestReadReplyPrefixes(t *testing.T) {
	var all []byte
	all = AppendMapLen(all, 2, 3)
	all = AppendBulkString(all, "k")
	all = AppendVerbatim(all, []byte("v\r\n"), "txt", 3)
	all = AppendSimple(all, "s")
	all = AppendArrayLen(all, 6)
	all = AppendDouble(all, 1.5, 3)
	all = AppendBool(all, true, 3)
	all = AppendNullBulk(all, 3)
	all = AppendNullBulk(all, 2)
	all = AppendBigNumber(all, "12345678901234567890", 3)
	all = AppendSetLen(all, 1, 3)
	all = AppendError(all, "ERR e")
	_, n, err := ReadReply(all)
	if err != nil || n != len(all) {
		t.Fatalf("n = %d of %d, err = %v", n, len(all), err)
	}
	for k := 0; k < len(all); k++ {
		if _, n, err := ReadReply(all[:k]); n != 0 || err != nil {
			t.Fatalf("prefix %q: n = %d, err = %v", all[:k], n, err)
		}
	}
}

// TestReplyDecoder checks that a ReplyDecoder reads what ReadReply reads,
// and that the replies it returned stay intact while its arena grows and
// until Reset.
func TestReplyDecoder(t *testing.T) {
	var big []byte
	big = AppendArrayLen(big, 3)
	big = AppendArrayLen(big, 100)
	for i := 0; i < 100; i++ {
		big = AppendInt(big, int64(i))
	}
	big = AppendMapLen(big, 0, 3)
	big = AppendArrayLen(big, 2)
	big = AppendBulkString(big, "x")
	big = AppendArrayLen(big, 70)
	for i := 0; i < 70; i++ {
		big = AppendBulkString(big, "e")
	}
	inputs := [][]byte{
		[]byte("+OK\r\n"),
		[]byte("*2\r\n$1\r\na\r\n*1\r\n:1\r\n"),
		big,
		[]byte("*0\r\n"),
		[]byte("*-1\r\n"),
		[]byte("*3\r\n:1\r\n"),       // incomplete
		[]byte("*1000000\r\n:1\r\n"), // incomplete, and no room taken for it
		[]byte("*1\r\n?\r\n"),        // malformed
	}
	var d ReplyDecoder
	for round := 0; round < 2; round++ {
		var got []Reply
		for _, in := range inputs {
			r, n, err := d.Read(in)
			w, wn, werr := ReadReply(in)
			if n != wn || (err != nil) != (werr != nil) || !reflect.DeepEqual(r, w) {
				t.Fatalf("Read(%.40q) = %+v, %d, %v; ReadReply: %+v, %d, %v", in, r, n, err, w, wn, werr)
			}
			got = append(got, r)
		}
		for i, in := range inputs {
			if w, _, _ := ReadReply(in); !reflect.DeepEqual(got[i], w) {
				t.Fatalf("round %d: reply %d changed before Reset", round, i)
			}
		}
		d.Reset(1 << 20)
	}
	if cap(d.elems) == 0 {
		t.Fatal("Reset dropped a small arena")
	}
	d.Reset(0)
	if d.elems != nil {
		t.Fatal("Reset kept an arena past its bound")
	}
}
