package proto

import (
	"math"
	"strconv"
	"testing"
)

func TestAppendReplies(t *testing.T) {
	cases := []struct {
		got  []byte
		want string
	}{
		{AppendSimple(nil, "OK"), "+OK\r\n"},
		{AppendSimple(nil, "a\r\nb"), "+a  b\r\n"},
		{AppendError(nil, "ERR syntax error"), "-ERR syntax error\r\n"},
		{AppendError(nil, "ERR bad\nname"), "-ERR bad name\r\n"},
		{AppendInt(nil, 0), ":0\r\n"},
		{AppendInt(nil, -42), ":-42\r\n"},
		{AppendInt(nil, math.MinInt64), ":-9223372036854775808\r\n"},
		{AppendBulk(nil, []byte("a\r\nb")), "$4\r\na\r\nb\r\n"},
		{AppendBulk(nil, nil), "$0\r\n\r\n"},
		{AppendBulkString(nil, "hello"), "$5\r\nhello\r\n"},
		{AppendArrayLen(nil, 3), "*3\r\n"},
		{AppendArrayLen(nil, 0), "*0\r\n"},
		{AppendNullBulk(nil, 2), "$-1\r\n"},
		{AppendNullBulk(nil, 3), "_\r\n"},
		{AppendNullArray(nil, 2), "*-1\r\n"},
		{AppendNullArray(nil, 3), "_\r\n"},
		{AppendMapLen(nil, 3, 2), "*6\r\n"},
		{AppendMapLen(nil, 3, 3), "%3\r\n"},
		{AppendSetLen(nil, 2, 2), "*2\r\n"},
		{AppendSetLen(nil, 2, 3), "~2\r\n"},
		{AppendPushLen(nil, 3, 2), "*3\r\n"},
		{AppendPushLen(nil, 3, 3), ">3\r\n"},
		{AppendAttributeLen(nil, 1), "|1\r\n"},
		{AppendBool(nil, true, 2), ":1\r\n"},
		{AppendBool(nil, false, 2), ":0\r\n"},
		{AppendBool(nil, true, 3), "#t\r\n"},
		{AppendBool(nil, false, 3), "#f\r\n"},
		{AppendDouble(nil, 1.1, 2), "$18\r\n1.1000000000000001\r\n"},
		{AppendDouble(nil, 1.1, 3), ",1.1000000000000001\r\n"},
		{AppendDouble(nil, math.Inf(1), 2), "$3\r\ninf\r\n"},
		{AppendDouble(nil, math.Inf(-1), 3), ",-inf\r\n"},
		{AppendDouble(nil, math.Copysign(math.NaN(), -1), 2), "$4\r\n-nan\r\n"},
		{AppendBigNumber(nil, "1234567999999999999999999999999999999", 3), "(1234567999999999999999999999999999999\r\n"},
		{AppendBigNumber(nil, "123", 2), "$3\r\n123\r\n"},
		{AppendVerbatim(nil, []byte("This is a verbatim\nstring"), "txt", 3), "=29\r\ntxt:This is a verbatim\nstring\r\n"},
		{AppendVerbatim(nil, []byte("x"), "txt", 2), "$1\r\nx\r\n"},
		{AppendVerbatim(nil, []byte("x"), "md", 3), "=5\r\nmd :x\r\n"},
		{AppendInt([]byte("prefix"), 7), "prefix:7\r\n"},
	}
	for i, tc := range cases {
		if string(tc.got) != tc.want {
			t.Errorf("case %d: got %q, want %q", i, tc.got, tc.want)
		}
	}
}

// TestAppendVersusRedis builds the replies DEBUG PROTOCOL and ZSCORE produce
// in real Redis and compares the bytes, in both protocols.
func TestAppendVersusRedis(t *testing.T) {
	r := startRedis(t)
	for _, resp := range []int{2, 3} {
		c := dial(t, r)
		c.do(t, "HELLO", strconv.Itoa(resp))
		debug := map[string][]byte{
			"string":  AppendBulkString(nil, "Hello World"),
			"integer": AppendInt(nil, 12345),
			"double":  AppendDouble(nil, 3.141, resp),
			"bignum":  AppendBigNumber(nil, "1234567999999999999999999999999999999", resp),
			"null":    AppendNullBulk(nil, resp),
			"true":    AppendBool(nil, true, resp),
			"false":   AppendBool(nil, false, resp),
			"verbatim": AppendVerbatim(nil, []byte("This is a verbatim\nstring"),
				"txt", resp),
		}
		arr := AppendArrayLen(nil, 3)
		set := AppendSetLen(nil, 3, resp)
		mp := AppendMapLen(nil, 3, resp)
		for i := 0; i < 3; i++ {
			arr = AppendInt(arr, int64(i))
			set = AppendInt(set, int64(i))
			mp = AppendBool(AppendInt(mp, int64(i)), i == 1, resp)
		}
		debug["array"], debug["set"], debug["map"] = arr, set, mp
		if resp == 3 {
			attr := AppendAttributeLen(nil, 1)
			attr = AppendBulkString(attr, "key-popularity")
			attr = AppendArrayLen(attr, 2)
			attr = AppendBulkString(attr, "key:123")
			attr = AppendInt(attr, 90)
			debug["attrib"] = AppendBulkString(attr, "Some real reply following the attribute")
			push := AppendPushLen(nil, 2, resp)
			push = AppendBulkString(push, "server-cpu-usage")
			push = AppendInt(push, 42)
			debug["push"] = AppendBulkString(push, "Some real reply following the push reply")
		} else {
			debug["attrib"] = AppendBulkString(nil, "Some real reply following the attribute")
		}
		for name, want := range debug {
			got := readAll(t, c, "DEBUG", "PROTOCOL", name)
			if string(got) != string(want) {
				t.Errorf("RESP%d DEBUG PROTOCOL %s: redis %q, we %q", resp, name, got, want)
			}
		}
		for _, score := range []string{"1.1", "0.1", "2.5", "1e17", "1e16", "123456789012345678",
			"1e-5", "0.0001", "1e300", "inf", "-inf", "3", "-7.25", "4.9406564584124654e-324"} {
			f, err := strconv.ParseFloat(score, 64)
			if err != nil {
				t.Fatal(err)
			}
			c.do(t, "ZADD", "z", score, "m")
			got := c.do(t, "ZSCORE", "z", "m")
			if want := AppendDouble(nil, f, resp); string(got) != string(want) {
				t.Errorf("RESP%d ZSCORE of %s: redis %q, we %q", resp, score, got, want)
			}
		}
		// Lua doubles reach addReplyDouble unchanged, signed zero and
		// NaN included (ZADD stores -0 as 0 and refuses NaN).
		lua := []struct {
			expr string
			f    float64
		}{
			{"-0.0", math.Copysign(0, -1)},
			{"1/0", math.Inf(1)},
			{"-(0/0)", math.NaN()},
			{"0/0", math.Copysign(math.NaN(), -1)}, // 0/0 is negative on amd64 and arm64
		}
		for _, l := range lua {
			got := c.do(t, "EVAL", "return {double="+l.expr+"}", "0")
			if want := AppendDouble(nil, l.f, resp); string(got) != string(want) {
				t.Errorf("RESP%d double %s: redis %q, we %q", resp, l.expr, got, want)
			}
		}
	}
}

// readAll reads the reply to a command that may send an attribute or a push
// before its real reply, returning all of it.
func readAll(t *testing.T, c *client, args ...string) []byte {
	t.Helper()
	got := c.do(t, args...)
	if got[0] == '|' || got[0] == '>' {
		got = append(got, c.read(t)...)
	}
	return got
}
