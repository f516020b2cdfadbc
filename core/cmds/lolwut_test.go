package cmds_test

import (
	"bytes"
	"testing"

	"github.com/redisfs/redisfs/core/redistest"
)

// TestLolwut compares LOLWUT with Redis's: byte for byte where Redis draws
// without random numbers (its own version line; Schotter of at most two
// rows of squares), by shape where it draws with them.
func TestLolwut(t *testing.T) {
	refAddr, ourAddr := connPair(t, nil)
	p := redistest.NewPair(t, refAddr, ourAddr)
	for _, req := range [][]string{
		{"LOLWUT"}, {"LOLWUT", "VERSION", "7"}, {"LOLWUT", "VERSION", "8", "1", "2"}, {"LOLWUT", "VERSION", "x"},
		{"LOLWUT", "VERSION"}, {"LOLWUT", "x"}, {"LOLWUT", "VERSION", "-1"},
		{"LOLWUT", "VERSION", "5", "1", "1", "1"}, {"LOLWUT", "VERSION", "5", "10", "2", "2"},
		{"LOLWUT", "VERSION", "5", "66", "8", "2"}, {"LOLWUT", "VERSION", "5", "3", "1", "1"},
		{"LOLWUT", "VERSION", "5", "100", "3", "1"}, {"LOLWUT", "VERSION", "5", "0", "0", "0"},
		{"LOLWUT", "VERSION", "5", "2000", "300", "2"}, {"LOLWUT", "VERSION", "5", "77", "13", "2"},
		{"LOLWUT", "VERSION", "5", "x"}, {"LOLWUT", "VERSION", "5", "1", "y"}, {"LOLWUT", "VERSION", "6", "x"},
		{"LOLWUT", "VERSION", "6", "1", "1"},
	} {
		p.Do(req...)
	}
	for _, req := range [][]string{
		{"LOLWUT", "VERSION", "5"}, {"LOLWUT", "VERSION", "5", "40", "5", "7"},
		{"LOLWUT", "VERSION", "6"}, {"LOLWUT", "VERSION", "6", "30", "12"}, {"LOLWUT", "VERSION", "6", "3", "2"},
		{"LOLWUT", "VERSION", "4294967301"},
	} {
		a, b := p.Ref.Do(req...), p.Ours.Do(req...)
		if len(bytes.Split(a, []byte("\n"))) != len(bytes.Split(b, []byte("\n"))) ||
			!bytes.Equal(a[bytes.LastIndexByte(a[:len(a)-3], '\n'):], b[bytes.LastIndexByte(b[:len(b)-3], '\n'):]) {
			t.Errorf("%s: shape differs\n    redis: %s\n    ours:  %s", redistest.QuoteArgs(req), redistest.Quote(a), redistest.Quote(b))
		}
	}
}
