package persist

import (
	"encoding/binary"
	"errors"
	"fmt"
	"os"
	"strconv"
	"syscall"
	"time"

	"github.com/redisfs/redisfs/core/cmds"
	"github.com/redisfs/redisfs/core/rdb"
)

// LoadError is a file that cannot be loaded: which file, where, why. The
// server refuses to start rather than start without the data it holds.
type LoadError struct {
	File   string
	Offset int64
	Err    error
}

func (e *LoadError) Error() string {
	return fmt.Sprintf("%s: %v (at offset %d)", e.File, e.Err, e.Offset)
}

func (e *LoadError) Unwrap() error { return e.Err }

// errShortRead is what a file that ends too early gives.
var errShortRead = errors.New("unexpected end of file (the file is truncated)")

// loadStats counts what a load did.
type loadStats struct {
	keys, expired, emptySkipped int64
}

// loadOpts say how an RDB image is loaded.
type loadOpts struct {
	name        string // file name, for messages
	aofPreamble bool   // the RDB part of an AOF: expired keys are kept
	merge       bool   // a loaded key replaces an existing one (DEBUG RELOAD MERGE)
}

// mapFile maps a file read-only; release unmaps it.
func mapFile(path string) (data []byte, release func(), err error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, nil, err
	}
	defer f.Close()
	st, err := f.Stat()
	if err != nil {
		return nil, nil, err
	}
	if st.Size() == 0 {
		return nil, func() {}, nil
	}
	data, err = syscall.Mmap(int(f.Fd()), 0, int(st.Size()), syscall.PROT_READ, syscall.MAP_PRIVATE)
	if err != nil {
		// Not mappable (a special file): read it.
		data, err = os.ReadFile(path)
		return data, func() {}, err
	}
	syscall.Madvise(data, syscall.MADV_SEQUENTIAL)
	return data, func() { syscall.Munmap(data) }, nil
}

// prefixCRC computes, on a goroutine, the CRC64 of data's prefixes at
// every crcStride bytes, so that the checksum of a file costs the loop
// almost nothing: the loader asks for the CRC of data[:n] once it knows n.
type prefixCRC struct {
	data   []byte
	sums   []uint64 // sums[i] = CRC64 of data[:i*crcStride]
	doneCh chan struct{}
}

const crcStride = 1 << 20

func newPrefixCRC(data []byte) *prefixCRC {
	pc := &prefixCRC{data: data, doneCh: make(chan struct{})}
	go func() {
		sums := make([]uint64, 1, len(data)/crcStride+2)
		crc := uint64(0)
		for off := 0; off+crcStride <= len(data); off += crcStride {
			crc = rdb.CRC64(crc, data[off:off+crcStride])
			sums = append(sums, crc)
		}
		pc.sums = sums
		close(pc.doneCh)
	}()
	return pc
}

// sum returns the CRC64 of data[:n].
func (pc *prefixCRC) sum(n int) uint64 {
	<-pc.doneCh
	i := min(n/crcStride, len(pc.sums)-1)
	return rdb.CRC64(pc.sums[i], pc.data[i*crcStride:n])
}

// loadRDB loads the RDB image at the start of data into the keyspace and
// returns the number of bytes it spans (checksum included). It is
// rdbLoadRio: aux fields are logged, expired keys skipped (except in an
// AOF preamble), empty collections skipped, duplicates refused (unless
// merging), and the checksum verified.
func (p *Persister) loadRDB(data []byte, opts loadOpts) (int, loadStats, error) {
	srv := p.srv
	var st loadStats
	r := rdb.NewReader(data)
	fail := func(at int, err error) (int, loadStats, error) {
		if errors.Is(err, rdb.ErrShort) {
			err = errShortRead
		}
		return 0, st, &LoadError{File: opts.name, Offset: int64(at), Err: err}
	}
	magic, err := r.Read(9)
	if err != nil {
		return fail(0, errShortRead)
	}
	if string(magic[:5]) != "REDIS" {
		return fail(0, errors.New("wrong signature trying to load DB from file"))
	}
	ver, err := strconv.Atoi(string(magic[5:]))
	if err != nil || ver < 1 || ver > rdb.Version {
		return fail(5, fmt.Errorf("can't handle RDB format version %s", magic[5:]))
	}
	var crc *prefixCRC
	if ver >= 5 && srv.Config.RDBChecksum && len(data) > 8*crcStride {
		crc = newPrefixCRC(data)
	}

	db := srv.DBs[0]
	dbid := 0
	expire, lruIdle, lfuFreq := int64(-1), int64(-1), int64(-1)
	now := time.Now().UnixMilli()
	start := time.Now()
	lastLog := start
	for {
		at := r.Pos()
		typ, err := r.ReadByte()
		if err != nil {
			return fail(at, errShortRead)
		}
		switch typ {
		case opExpireTime:
			b, err := r.Read(4)
			if err != nil {
				return fail(at, err)
			}
			expire = int64(int32(binary.LittleEndian.Uint32(b))) * 1000
			continue
		case opExpireTimeMs:
			if expire, err = r.LoadMillis(); err != nil {
				return fail(at, err)
			}
			continue
		case opFreq:
			f, err := r.ReadByte()
			if err != nil {
				return fail(at, err)
			}
			lfuFreq = int64(f)
			continue
		case opIdle:
			idle, _, err := r.LoadLen()
			if err != nil {
				return fail(at, err)
			}
			lruIdle = int64(min(idle, 1<<40))
			continue
		case opEOF:
		case opSelectDB:
			n, _, err := r.LoadLen()
			if err != nil {
				return fail(at, err)
			}
			if n >= uint64(len(srv.DBs)) {
				return fail(at, fmt.Errorf("data file was created with a Redis server configured to handle more than %d databases", len(srv.DBs)))
			}
			dbid = int(n)
			db = srv.DBs[dbid]
			continue
		case opResizeDB:
			keys, _, err := r.LoadLen()
			if err != nil {
				return fail(at, err)
			}
			expires, _, err := r.LoadLen()
			if err != nil {
				return fail(at, err)
			}
			// Size the tables at once (a hint: bounded by what the
			// rest of the file could hold).
			rest := uint64(r.Remaining())
			db.Dict.Expand(int(min(keys, rest/2)))
			db.Expires.Expand(int(min(expires, rest/10)))
			continue
		case opAux:
			k, err := r.LoadStringBytes()
			if err != nil {
				return fail(at, err)
			}
			v, err := r.LoadStringBytes()
			if err != nil {
				return fail(at, err)
			}
			p.auxField(string(k), string(v))
			continue
		case opModuleAux:
			return fail(at, errors.New("the RDB file contains module data this server can't load"))
		case opFunction2:
			code, err := r.LoadStringBytes()
			if err != nil {
				return fail(at, err)
			}
			if err := srv.LoadFunctionLibrary(code); err != nil {
				return fail(at, fmt.Errorf("failed loading library: %v", err))
			}
			continue
		case opFunction:
			// Redis 7.0's release candidates' format, which 7.0 itself
			// refuses too.
			if _, err := r.LoadStringBytes(); err != nil {
				return fail(at, err)
			}
			srv.Logf(cmds.LogWarning, "%s holds a function library in the pre-7.0 format: skipped", opts.name)
			continue
		default:
			if !rdb.IsObjectType(typ) {
				return fail(at, fmt.Errorf("unknown RDB encoding type %d", typ))
			}
			key, err := r.LoadStringBytes()
			if err != nil {
				return fail(at, err)
			}
			o, err := srv.RDBLoadValue(typ, r)
			if err != nil {
				if cmds.IsRDBEmptyKey(err) {
					st.emptySkipped++
					expire, lruIdle, lfuFreq = -1, -1, -1
					continue
				}
				if errors.Is(err, rdb.ErrShort) {
					return fail(at, errShortRead)
				}
				return fail(at, fmt.Errorf("bad value of key '%s': %w", truncKey(key), err))
			}
			if !opts.aofPreamble && expire != -1 && expire < now {
				st.expired++
			} else if !srv.LoadKey(db, key, o, expire, lruIdle, lfuFreq, opts.merge) {
				return fail(at, fmt.Errorf("RDB has duplicated key '%s' in DB %d", truncKey(key), dbid))
			} else {
				st.keys++
			}
			expire, lruIdle, lfuFreq = -1, -1, -1
			if st.keys&0xffff == 0 && time.Since(lastLog) > 2*time.Second {
				lastLog = time.Now()
				srv.Logf(cmds.LogNotice, "Loading %s: %d%% (%d keys loaded)", opts.name, int64(r.Pos())*100/int64(len(data)), st.keys)
			}
			continue
		}
		break // EOF
	}
	end := r.Pos()
	if ver >= 5 {
		sum, err := r.Read(8)
		if err != nil {
			return fail(end, errShortRead)
		}
		expected := binary.LittleEndian.Uint64(sum)
		if expected != 0 && srv.Config.RDBChecksum {
			var got uint64
			if crc != nil {
				got = crc.sum(end)
			} else {
				got = rdb.CRC64(0, data[:end])
			}
			if got != expected {
				return fail(end, fmt.Errorf("wrong RDB checksum expected: (%x) got (%x)", expected, got))
			}
		}
	}
	if st.emptySkipped > 0 {
		srv.Logf(cmds.LogNotice, "Done loading RDB, keys loaded: %d, keys expired: %d, empty keys skipped: %d.", st.keys, st.expired, st.emptySkipped)
	} else {
		srv.Logf(cmds.LogNotice, "Done loading RDB, keys loaded: %d, keys expired: %d.", st.keys, st.expired)
	}
	return r.Pos(), st, nil
}

// auxField logs the aux fields Redis logs when loading.
func (p *Persister) auxField(k, v string) {
	srv := p.srv
	switch k {
	case "redis-ver":
		srv.Logf(cmds.LogNotice, "Loading RDB produced by version %s", v)
	case "ctime":
		if t, err := strconv.ParseInt(v, 10, 64); err == nil {
			age := time.Now().Unix() - t
			if age < 0 {
				age = 0
			}
			srv.Logf(cmds.LogNotice, "RDB age %d seconds", age)
		}
	case "used-mem":
		if n, err := strconv.ParseInt(v, 10, 64); err == nil {
			srv.Logf(cmds.LogNotice, "RDB memory usage when created %.2f Mb", float64(n)/(1024*1024))
		}
	case "redis-bits", "aof-base", "aof-preamble", "repl-stream-db", "repl-id", "repl-offset", "lua":
	default:
		srv.Logf(cmds.LogDebug, "Unrecognized RDB AUX field: '%s'", k)
	}
}

// truncKey shortens a key for a message.
func truncKey(k []byte) string {
	if len(k) > 64 {
		return string(k[:64]) + "..."
	}
	return string(k)
}

// loadRDBFile loads an RDB file; a missing file is not an error (ok false).
func (p *Persister) loadRDBFile(path string, merge bool) (ok bool, st loadStats, err error) {
	data, release, err := mapFile(path)
	if err != nil {
		if os.IsNotExist(err) {
			return false, st, nil
		}
		return false, st, &LoadError{File: path, Err: err}
	}
	defer release()
	p.srv.BeginLoading()
	defer p.srv.EndLoading()
	_, st, err = p.loadRDB(data, loadOpts{name: path, merge: merge})
	return err == nil, st, err
}
