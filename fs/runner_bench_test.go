package fs

import (
	"context"
	"strconv"
	"testing"

	"github.com/redisfs/redisfs/core/cmds"
	"github.com/redisfs/redisfs/core/proto"
	"github.com/redisfs/redisfs/fs/local"
)

// BenchmarkRunnerCall times a job of one command through the engine
// alone (no FUSE; fs/local's engine with a post that runs the job at
// once): the cost a file operation adds per command on top of the command
// itself — fs's job, the engine's job and its internal client, the reply
// decoded in place.
func BenchmarkRunnerCall(b *testing.B) {
	cfg := cmds.DefaultConfig()
	cfg.Save = ""
	cfg.AppendOnly = false
	srv := cmds.NewServer(cfg)
	srv.UpdateCachedTime()
	eng := local.New(srv, func(f func()) { f() })
	fsys := &FS{eng: eng, ctx: context.Background()}
	fsys.ls = newLoopSide(fsys, eng.Databases())
	fsys.doAs("", func(r *runner) {
		r.call([]byte("SET"), []byte("str"), []byte("value:12345"))
		for i := 0; i < 10; i++ {
			r.call([]byte("RPUSH"), []byte("list"), []byte("element:"+strconv.Itoa(i)))
		}
	})
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
			var bad []byte
			job := func(r *runner) {
				if rep := r.call(bc.args...); rep.Type == '-' {
					bad = append(bad[:0], rep.Str...)
				}
			}
			for i := 0; i < b.N; i++ {
				if fsys.doAs("", job) != 0 || bad != nil {
					b.Fatalf("%s", bad)
				}
			}
		})
	}
}

// BenchmarkReplyDecode times the decoding of replies alone, the part of
// BenchmarkRunnerCall a structured capture of replies would save.
func BenchmarkReplyDecode(b *testing.B) {
	for _, bc := range []struct{ name, reply string }{
		{"GET", "$11\r\nvalue:12345\r\n"},
		{"TYPE", "+string\r\n"},
		{"LRANGE10", "*10\r\n" + func() string {
			s := ""
			for i := 0; i < 10; i++ {
				s += "$9\r\nelement:" + strconv.Itoa(i) + "\r\n"
			}
			return s
		}()},
	} {
		b.Run(bc.name, func(b *testing.B) {
			b.ReportAllocs()
			var dec proto.ReplyDecoder
			buf := []byte(bc.reply)
			for i := 0; i < b.N; i++ {
				if _, n, _ := dec.Read(buf); n != len(buf) {
					b.Fatal("short")
				}
				dec.Reset(4096)
			}
		})
	}
}
