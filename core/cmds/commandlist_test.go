package cmds_test

import (
	"slices"
	"testing"

	"github.com/redisfs/redisfs/core/redistest"
)

// TestCommandListFilters compares COMMAND LIST and its filters with
// Redis's, over the commands this server serves (Redis lists in its
// dictionary's order, so the names are compared as sets), and its errors
// byte for byte.
func TestCommandListFilters(t *testing.T) {
	refAddr, ourAddr := connPair(t, nil)
	p := redistest.NewPair(t, refAddr, ourAddr)
	served := map[string]bool{}
	for _, n := range replyStrings(parseReply(t, p.Ours.Do("COMMAND", "LIST"))) {
		served[n] = true
	}
	for _, filter := range [][]string{
		nil, {"FILTERBY", "PATTERN", "*"}, {"FILTERBY", "pattern", "config*"}, {"filterby", "PATTERN", "x?ead*"},
		{"FILTERBY", "PATTERN", "*|*"}, {"FILTERBY", "PATTERN", "[a-c]*"}, {"FILTERBY", "ACLCAT", "hash"},
		{"FILTERBY", "ACLCAT", "DANGEROUS"}, {"FILTERBY", "aclcat", "keyspace"}, {"FILTERBY", "ACLCAT", "nosuch"},
		{"FILTERBY", "ACLCAT", "scripting"}, {"FILTERBY", "ACLCAT", "connection"}, {"FILTERBY", "MODULE", "x"},
	} {
		req := append([]string{"COMMAND", "LIST"}, filter...)
		var want []string
		for _, n := range replyStrings(parseReply(t, p.Ref.Do(req...))) {
			if served[n] {
				want = append(want, n)
			}
		}
		got := replyStrings(parseReply(t, p.Ours.Do(req...)))
		slices.Sort(want)
		slices.Sort(got)
		if !slices.Equal(want, got) {
			t.Errorf("%s:\n    redis: %q\n    ours:  %q", redistest.QuoteArgs(req), want, got)
		}
	}
	for _, req := range [][]string{
		{"COMMAND", "LIST", "FILTERBY"}, {"COMMAND", "LIST", "FILTERBY", "PATTERN"}, {"COMMAND", "LIST", "x"},
		{"COMMAND", "LIST", "FILTERBY", "nosuch", "x"}, {"COMMAND", "LIST", "FILTERBY", "PATTERN", "a", "b"},
		{"COMMAND", "LIST", "FILTERBY", "MODULE", "x"},
		{"COMMAND", "INFO", "config|get", "get", "nosuch", "config|nosuch", "config|get|x", "CONFIG|GET", "GET|x"},
		{"COMMAND", "INFO", "nosuch"}, {"COMMAND", "INFO", "object|encoding", "client|list", "acl|cat"},
		{"COMMAND", "DOCS", "config|get", "nosuch", "GET", "get|x"}, {"COMMAND", "DOCS", "nosuch"},
		{"COMMAND", "DOCS", "xgroup|nosuch"}, {"COMMAND", "COUNT", "x"}, {"COMMAND", "nosuch"},
		{"COMMAND", "GETKEYS"}, {"COMMAND", "GETKEYS", "config|get", "x"},
	} {
		p.Do(req...)
	}
}
