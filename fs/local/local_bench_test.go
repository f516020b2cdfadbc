package local

import (
	"strconv"
	"testing"

	"github.com/redisfs/redisfs/core/cmds"
)

// BenchmarkCall times one command of a job on the loop side alone (no
// post, no wait): acquire a runner, Call, release, as a job does.
func BenchmarkCall(b *testing.B) {
	cfg := cmds.DefaultConfig()
	cfg.Save = ""
	cfg.AppendOnly = false
	srv := cmds.NewServer(cfg)
	srv.UpdateCachedTime()
	e := New(srv, func(f func()) { f() })
	r := e.acquire()
	r.Call([]byte("SET"), []byte("str"), []byte("value:12345"))
	for i := 0; i < 10; i++ {
		r.Call([]byte("RPUSH"), []byte("list"), []byte("element:"+strconv.Itoa(i)))
	}
	e.release(r)
	for _, bc := range []struct {
		name string
		args [][]byte
	}{
		{"GET", [][]byte{[]byte("GET"), []byte("str")}},
		{"TYPE", [][]byte{[]byte("TYPE"), []byte("str")}},
		{"SET", [][]byte{[]byte("SET"), []byte("str"), []byte("value:12345"), []byte("KEEPTTL")}},
		{"LRANGE10", [][]byte{[]byte("LRANGE"), []byte("list"), []byte("0"), []byte("-1")}},
	} {
		b.Run(bc.name, func(b *testing.B) {
			b.ReportAllocs()
			for i := 0; i < b.N; i++ {
				r := e.acquire()
				rep := r.Call(bc.args...)
				if rep.Type == '-' {
					b.Fatalf("%s", rep.Str)
				}
				e.release(r)
			}
		})
	}
}
