package persist

import (
	"encoding/binary"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"runtime"
	"strconv"
	"sync/atomic"
	"time"
	"unsafe"

	"github.com/redisfs/redisfs/core/cmds"
	"github.com/redisfs/redisfs/core/rdb"
)

// RDB opcodes (RDB_OPCODE_*), the bytes that are not object types.
const (
	opFunction2    = 245
	opFunction     = 246
	opModuleAux    = 247
	opIdle         = 248
	opFreq         = 249
	opAux          = 250
	opResizeDB     = 251
	opExpireTimeMs = 252
	opExpireTime   = 253
	opSelectDB     = 254
	opEOF          = 255
)

// redisVersion is the version RDB files say wrote them: Redis 7.0's, so
// that tools reading the aux fields treat the file as 7.0's.
const redisVersion = "7.0.15"

// appendRDBHeader appends the magic, the version and the aux fields Redis
// 7.0 writes (rdbSaveInfoAuxFields); aofBase marks an AOF base file.
func appendRDBHeader(b []byte, aofBase bool) []byte {
	b = append(b, "REDIS0010"...)
	b = appendAux(b, "redis-ver", []byte(redisVersion))
	b = appendAuxInt(b, "redis-bits", 64)
	b = appendAuxInt(b, "ctime", time.Now().Unix())
	var ms runtime.MemStats
	runtime.ReadMemStats(&ms)
	b = appendAuxInt(b, "used-mem", int64(ms.HeapAlloc))
	base := int64(0)
	if aofBase {
		base = 1
	}
	return appendAuxInt(b, "aof-base", base)
}

func appendAux(b []byte, key string, val []byte) []byte {
	b = append(b, opAux)
	b = rdb.AppendString(b, []byte(key), true)
	return rdb.AppendString(b, val, true)
}

func appendAuxInt(b []byte, key string, v int64) []byte {
	return appendAux(b, key, strconv.AppendInt(nil, v, 10))
}

// appendSelectDB appends SELECTDB id, and RESIZEDB when sizes are known.
func appendSelectDB(b []byte, id int, keys, expires int, resize bool) []byte {
	b = append(b, opSelectDB)
	b = rdb.AppendLen(b, uint64(id))
	if resize {
		b = append(b, opResizeDB)
		b = rdb.AppendLen(b, uint64(keys))
		b = rdb.AppendLen(b, uint64(expires))
	}
	return b
}

// appendKeyValue appends one key (rdbSaveKeyValuePair): its expire time
// when it has one, its access data under an LRU or LFU maxmemory-policy,
// the value's type, the key and the value. On an error (a value the codec
// cannot save) b comes back unchanged.
func appendKeyValue(srv *cmds.Server, b []byte, key string, o *cmds.Object, expire int64) ([]byte, error) {
	b, err := appendKeyHead(srv, b, key, o, expire)
	if err != nil {
		return b, err
	}
	return cmds.RDBAppendObject(b, o), nil
}

// appendKeyHead appends what precedes a key's value: its expire time, its
// access data, the value's type and the key.
func appendKeyHead(srv *cmds.Server, b []byte, key string, o *cmds.Object, expire int64) ([]byte, error) {
	start := len(b)
	if expire >= 0 {
		b = append(b, opExpireTimeMs)
		b = rdb.AppendMillis(b, expire)
	}
	switch kind, v := srv.RDBAccessInfo(o); kind {
	case cmds.RDBAccessIdle:
		b = append(b, opIdle)
		b = rdb.AppendLen(b, uint64(v))
	case cmds.RDBAccessFreq:
		b = append(b, opFreq, byte(v))
	}
	t, err := cmds.RDBObjectType(o)
	if err != nil {
		return b[:start], err
	}
	b = append(b, t)
	return rdb.AppendString(b, keyBytes(key), true), nil
}

// fileWriter writes a file made on the loop from a goroutine of its own:
// the loop hands it chunks, it writes them (syncing every few megabytes,
// as rdb-save-incremental-fsync), appends the CRC64 when asked, then syncs,
// closes and renames the temporary file over the final one, and syncs the
// directory.
type fileWriter struct {
	tmp, final string
	f          *os.File
	ch         chan []byte
	free       chan []byte
	done       chan error
	exited     chan struct{} // closed when run returns
	checksum   bool          // append the CRC64 of everything written at the end
	zeroSum    bool          // append 8 zero bytes instead (rdbchecksum no)
	crc        uint64
	aborted    atomic.Bool
	written    int64
	// wake, when set, is called after each chunk is written (the
	// snapshot posts its next step to the loop).
	wake func()
}

const (
	chunkSize     = 256 * 1024
	chunksInQueue = 8
	autosyncBytes = 4 * 1024 * 1024 // REDIS_AUTOSYNC_BYTES
)

// chunkPool holds the chunk buffers of the file writers, reused from one
// snapshot to the next: allocating megabytes when a BGSAVE starts, with a
// big heap, would make the loop pay for garbage collection (mark assist)
// right then.
type chunkPool chan []byte

func newChunkPool() chunkPool { return make(chunkPool, chunksInQueue+2) }

// fill allocates the buffers (when the heap is still small: at start).
func (pool chunkPool) fill() {
	for len(pool) < cap(pool) {
		pool <- make([]byte, 0, chunkSize+chunkSize/4)
	}
}

// newFileWriter creates tmp and starts the writer goroutine.
func newFileWriter(tmp, final string, checksum bool, wake func(), pool chunkPool) (*fileWriter, error) {
	f, err := os.OpenFile(tmp, os.O_WRONLY|os.O_CREATE|os.O_TRUNC, 0o644)
	if err != nil {
		return nil, err
	}
	w := &fileWriter{tmp: tmp, final: final, f: f, checksum: checksum, wake: wake,
		ch: make(chan []byte, chunksInQueue), free: pool,
		done: make(chan error, 1), exited: make(chan struct{})}
	go w.run()
	return w, nil
}

// buffer returns an empty chunk buffer, reused when one is free.
func (w *fileWriter) buffer() []byte {
	select {
	case b := <-w.free:
		return b[:0]
	default:
		return make([]byte, 0, chunkSize+chunkSize/4)
	}
}

// full reports whether the queue to the writer is full.
func (w *fileWriter) full() bool { return len(w.ch) == cap(w.ch) }

// send queues a chunk (blocking when the queue is full).
func (w *fileWriter) send(b []byte) { w.ch <- b }

// finish tells the writer that everything was sent; the result comes on
// done.
func (w *fileWriter) finish() { close(w.ch) }

// abort stops the writer (which removes the temporary file, unless it was
// renamed already) and waits for its goroutine.
func (w *fileWriter) abort() {
	w.aborted.Store(true)
	func() {
		defer func() { recover() }() // finish may have closed it already
		close(w.ch)
	}()
	<-w.exited
}

func (w *fileWriter) run() {
	defer close(w.exited)
	var err error
	sinceSync := int64(0)
	for b := range w.ch {
		if err == nil && w.aborted.Load() {
			err = errAborted
		}
		if err == nil {
			if w.checksum {
				w.crc = rdb.CRC64(w.crc, b)
			}
			_, err = w.f.Write(b)
			w.written += int64(len(b))
			sinceSync += int64(len(b))
			if err == nil && sinceSync >= autosyncBytes {
				err = w.f.Sync()
				sinceSync = 0
			}
		}
		// Buffers grown past twice the chunk size (a large value
		// copied on write) are not kept.
		if cap(b) <= 2*chunkSize {
			select {
			case w.free <- b:
			default:
			}
		}
		if w.wake != nil {
			w.wake()
		}
	}
	if err == nil && w.aborted.Load() {
		err = errAborted
	}
	if err == nil && (w.checksum || w.zeroSum) {
		var sum [8]byte
		if w.checksum {
			binary.LittleEndian.PutUint64(sum[:], w.crc)
		}
		_, err = w.f.Write(sum[:])
		w.written += 8
	}
	if err == nil {
		err = w.f.Sync()
	}
	if cerr := w.f.Close(); err == nil {
		err = cerr
	}
	if err == nil && w.final != "" {
		err = os.Rename(w.tmp, w.final)
		if err == nil {
			err = syncDir(filepath.Dir(w.final))
		}
	}
	if err != nil {
		os.Remove(w.tmp)
	}
	w.done <- err
}

// errAborted is the outcome of a writer stopped by abort.
var errAborted = errors.New("aborted")

// syncDir fsyncs a directory, so that a rename in it is durable.
func syncDir(dir string) error {
	d, err := os.Open(dir)
	if err != nil {
		return err
	}
	defer d.Close()
	if err := d.Sync(); err != nil {
		return fmt.Errorf("fsync %s: %w", dir, err)
	}
	return nil
}

// keyBytes views a key string as bytes without copying (read-only).
func keyBytes(s string) []byte { return unsafe.Slice(unsafe.StringData(s), len(s)) }
