package cmds_test

import (
	"bytes"
	"testing"

	"github.com/redisfs/redisfs/core/cmds"
	"github.com/redisfs/redisfs/core/proto"
	"github.com/redisfs/redisfs/core/redistest"
)

// memServer is our server driven in-process, without a loop or a socket:
// each command runs to completion on the test goroutine, so a test decides
// when the cron runs and sees the keyspace between commands.
type memServer struct {
	srv *cmds.Server
	c   *cmds.Client
}

func newMemServer(t testing.TB, mod func(*cmds.Config)) *memServer {
	t.Helper()
	cfg := cmds.DefaultConfig()
	cfg.Save, cfg.AppendOnly, cfg.Dir = "", false, t.TempDir()
	if mod != nil {
		mod(&cfg)
	}
	srv := cmds.NewServer(cfg)
	srv.LogOut = nil
	return &memServer{srv: srv, c: srv.NewClient(nil)}
}

// do runs one command and returns its raw reply.
func (m *memServer) do(args ...string) []byte {
	m.c.QueryBuf = append(m.c.QueryBuf, redistest.Command(args...)...)
	m.c.ProcessInputBuffer()
	r := bytes.Clone(m.c.Reply[m.c.Sent:])
	m.c.ResetReply()
	return r
}

// run feeds one encoded request and drops the reply (benchmarks).
func (m *memServer) run(req []byte) {
	m.c.QueryBuf = append(m.c.QueryBuf, req...)
	m.c.ProcessInputBuffer()
	m.c.ResetReply()
}

// parseReply parses one complete raw reply.
func parseReply(t testing.TB, raw []byte) proto.Reply {
	t.Helper()
	r, n, err := proto.ReadReply(raw)
	if err != nil || n != len(raw) {
		t.Fatalf("bad reply %s: %v", redistest.Quote(raw), err)
	}
	return r
}
