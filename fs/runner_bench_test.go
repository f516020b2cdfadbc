package fs

import (
	"strconv"
	"testing"

	"github.com/redisfs/redisfs/core/cmds"
	"github.com/redisfs/redisfs/core/proto"
)

// BenchmarkRunnerCall times one command of a job on the loop side alone
// (no FUSE, no loop): the cost a file operation adds per command on top of
// the command itself. Each iteration ends as a job does (release), so the
// reply buffer is reused as in steady state.
func BenchmarkRunnerCall(b *testing.B) {
	cfg := cmds.DefaultConfig()
	cfg.Save = ""
	cfg.AppendOnly = false
	srv := cmds.NewServer(cfg)
	srv.UpdateCachedTime()
	ls := newLoopSide(&FS{}, srv)
	r := ls.acquire()
	r.call([]byte("SET"), []byte("str"), []byte("value:12345"))
	for i := 0; i < 10; i++ {
		r.call([]byte("RPUSH"), []byte("list"), []byte("element:"+strconv.Itoa(i)))
	}
	ls.release(r)
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
				r := ls.acquire()
				rep := r.call(bc.args...)
				if rep.Type == '-' {
					b.Fatalf("%s", rep.Str)
				}
				ls.release(r)
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
				dec.Reset(decodeKeep)
			}
		})
	}
}
