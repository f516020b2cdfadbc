package persist_test

import (
	"encoding/binary"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"

	"github.com/redisfs/redisfs/core/rdb"
	"github.com/redisfs/redisfs/core/redistest"
)

// ziplist encodes entries as Redis 6.2's ziplist.c would: integers in
// their smallest encoding, strings with 1-, 2- or 5-byte headers.
func ziplist(entries ...string) []byte {
	zl := make([]byte, 10)
	prev, last := 0, 10
	for _, e := range entries {
		start := len(zl)
		if prev < 254 {
			zl = append(zl, byte(prev))
		} else {
			zl = append(zl, 0xFE)
			zl = binary.LittleEndian.AppendUint32(zl, uint32(prev))
		}
		if v, err := strconv.ParseInt(e, 10, 64); err == nil && strconv.FormatInt(v, 10) == e {
			switch {
			case v >= 0 && v <= 12:
				zl = append(zl, 0xF1+byte(v))
			case v >= -128 && v <= 127:
				zl = append(zl, 0xFE, byte(v))
			case v >= -32768 && v <= 32767:
				zl = append(zl, 0xC0)
				zl = binary.LittleEndian.AppendUint16(zl, uint16(v))
			case v >= -1<<23 && v < 1<<23:
				zl = append(zl, 0xF0, byte(v), byte(v>>8), byte(v>>16))
			case v >= -1<<31 && v < 1<<31:
				zl = append(zl, 0xD0)
				zl = binary.LittleEndian.AppendUint32(zl, uint32(v))
			default:
				zl = append(zl, 0xE0)
				zl = binary.LittleEndian.AppendUint64(zl, uint64(v))
			}
		} else {
			switch n := len(e); {
			case n < 64:
				zl = append(zl, byte(n))
			case n < 16384:
				zl = append(zl, 0x40|byte(n>>8), byte(n))
			default:
				zl = append(zl, 0x80)
				zl = binary.BigEndian.AppendUint32(zl, uint32(n))
			}
			zl = append(zl, e...)
		}
		prev, last = len(zl)-start, start
	}
	zl = append(zl, 0xFF)
	binary.LittleEndian.PutUint32(zl, uint32(len(zl)))
	binary.LittleEndian.PutUint32(zl[4:], uint32(last))
	binary.LittleEndian.PutUint16(zl[8:], uint16(len(entries)))
	return zl
}

// zipmap encodes key/value pairs as Redis 2.x's zipmap.c.
func zipmap(kv ...string) []byte {
	zm := []byte{byte(len(kv) / 2)}
	for i := 0; i < len(kv); i += 2 {
		zm = append(zm, byte(len(kv[i])))
		zm = append(zm, kv[i]...)
		zm = append(zm, byte(len(kv[i+1])), 0)
		zm = append(zm, kv[i+1]...)
	}
	return append(zm, 0xFF)
}

func rstr(b []byte, s string) []byte {
	b = rdb.AppendLen(b, uint64(len(s)))
	return append(b, s...)
}

// Files written by Redis before 7.0 (ziplists, zipmaps, quicklists of
// ziplists, linked lists, text scores) load, converted as Redis 7.0
// converts them.
func TestOldEncodingsLoad(t *testing.T) {
	f := []byte("REDIS0009")
	f = append(f, 0xFE, 0)
	entry := func(typ byte, key string, val []byte) {
		f = append(f, typ)
		f = rstr(f, key)
		f = append(f, val...)
	}
	blob := func(b []byte) []byte { return rstr(nil, string(b)) }
	long := strings.Repeat("z", 300)
	entry(rdb.TypeListZiplist, "zlist", blob(ziplist("a", "1", "-100", "1000", "100000", "5000000000", long)))
	entry(rdb.TypeZSetZiplist, "zzset", blob(ziplist("m1", "1", "m2", "2.5", "m3", "-3")))
	entry(rdb.TypeHashZiplist, "zhash", blob(ziplist("f1", "v1", "f2", "12", "f3", long)))
	entry(rdb.TypeHashZipmap, "zmap", blob(zipmap("a", "1", "bb", "two")))
	entry(rdb.TypeHashZipmap, "zmaplong", blob(zipmap("a", strings.Repeat("w", 100))))
	ql := rdb.AppendLen(nil, 2)
	ql = append(ql, blob(ziplist("x", "y"))...)
	ql = append(ql, blob(ziplist("7", "z"))...)
	entry(rdb.TypeListQuicklist, "qlist", ql)
	ll := rdb.AppendLen(nil, 3)
	for _, s := range []string{"p", "q", "42"} {
		ll = rstr(ll, s)
	}
	entry(rdb.TypeList, "llist", ll)
	zs := rdb.AppendLen(nil, 3)
	zs = rstr(zs, "a")
	zs = append(zs, 3, '1', '.', '5')
	zs = rstr(zs, "b")
	zs = append(zs, 254) // +inf
	zs = rstr(zs, "c")
	zs = append(zs, 1, '2')
	entry(rdb.TypeZSet, "tzset", zs)
	f = append(f, 0xFF)
	f = binary.LittleEndian.AppendUint64(f, rdb.CRC64(0, f))

	dir := t.TempDir()
	if err := os.WriteFile(filepath.Join(dir, "dump.rdb"), f, 0o644); err != nil {
		t.Fatal(err)
	}
	// Real Redis 7.0 reads the file the same way.
	want := dumpAll(t, redistest.Dial(t, startRedis(t, copyDir(t, dir))))
	if len(want) != 8 {
		t.Fatalf("redis loaded %d keys of the handmade file", len(want))
	}
	ours := startOurs(t, dir, rdbOnly)
	compareData(t, "old encodings", want, dumpAll(t, redistest.Dial(t, ours.addr)))
}
