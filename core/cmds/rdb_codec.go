package cmds

import (
	"errors"
	"fmt"
	"math"
	"strconv"
	"unsafe"

	"github.com/redisfs/redisfs/core/proto"
	"github.com/redisfs/redisfs/core/rdb"
	"github.com/redisfs/redisfs/core/types"
)

// The RDB codec of collections (Redis 7.0's rdbSaveObject and
// rdbLoadObject for lists, sets, sorted sets and hashes), the part of
// dump.go's codec that knows the collections' structures. RDB files and
// DUMP payloads share it.
//
// Saving writes what Redis 7.0 writes for the same encoding: the compact
// encodings (quicklist nodes, listpacks, intsets) are Redis's own bytes
// and go out verbatim as RDB strings (LZF-compressed when that pays); the
// hashtable and skiplist encodings go out element by element (a skiplist
// from the greatest score down, so loading inserts at the head).
//
// Loading accepts every collection type of RDB version 10 and the older
// ones Redis 7.0 still reads (linked lists, ziplists, zipmaps, quicklists
// of ziplists, text scores), converting them as Redis does, and picks the
// encoding from the configuration (hash-max-listpack-entries …) the way
// Redis's loader does. Untrusted compact blobs are validated entry by
// entry before use (Redis validates deeply only with sanitize-dump-payload;
// here a malformed blob must never reach the code that trusts it).

// errRDBEmptyKey is returned for a collection with no elements: Redis
// skips such keys when loading a file (RDB_LOAD_ERR_EMPTY_KEY) and RESTORE
// refuses them.
var errRDBEmptyKey = errors.New("rdb: empty collection")

// IsRDBEmptyKey reports whether err says a loaded value was an empty
// collection, which a file loader skips (as Redis's empty_keys_skipped).
//
// Used by core/persist.
func IsRDBEmptyKey(err error) bool { return errors.Is(err, errRDBEmptyKey) }

// errRDBCorrupt wraps the reason a value is malformed.
func errRDBCorrupt(format string, args ...any) error {
	return fmt.Errorf("rdb: "+format, args...)
}

// Quicklist node containers (QUICKLIST_NODE_CONTAINER_*).
const (
	qlContainerPlain  = 1
	qlContainerPacked = 2
)

// rdbCollectionType returns the RDB type byte of a collection o, and false
// for a type or encoding the codec does not know.
func rdbCollectionType(o *Object) (byte, bool) {
	switch [2]uint8{o.typ, o.enc} {
	case [2]uint8{TypeList, EncQuicklist}:
		return rdb.TypeListQuicklist2, true
	case [2]uint8{TypeSet, encIntset}:
		return rdb.TypeSetIntset, true
	case [2]uint8{TypeSet, encHashtable}:
		return rdb.TypeSet, true
	case [2]uint8{TypeZSet, encListpack}:
		return rdb.TypeZSetListpack, true
	case [2]uint8{TypeZSet, encSkiplist}:
		return rdb.TypeZSet2, true
	case [2]uint8{TypeHash, encListpack}:
		return rdb.TypeHashListpack, true
	case [2]uint8{TypeHash, encHashtable}:
		return rdb.TypeHash, true
	case [2]uint8{TypeStream, encStream}:
		return rdb.TypeStreamListpacks2, true
	}
	return 0, false
}

// rdbSaveCollection appends the serialization of a collection whose type
// rdbCollectionType knows.
func rdbSaveCollection(dst []byte, o *Object) []byte {
	switch o.typ {
	case TypeList:
		ql := listQL(o)
		dst = rdb.AppendLen(dst, uint64(ql.Nodes()))
		ql.ForEachNode(func(lp types.Listpack) {
			dst = rdb.AppendLen(dst, qlContainerPacked)
			dst = rdb.AppendString(dst, lp, rdbCompression)
		})
	case TypeSet:
		if o.enc == encIntset {
			return rdb.AppendString(dst, setIntset(o).Bytes(), rdbCompression)
		}
		d := setDict(o)
		dst = rdb.AppendLen(dst, uint64(d.Len()))
		d.Range(func(k string, _ *struct{}) bool {
			dst = rdb.AppendString(dst, stringBytes(k), rdbCompression)
			return true
		})
	case TypeZSet:
		if o.enc == encListpack {
			return rdb.AppendString(dst, *zsetZlp(o).lp(), rdbCompression)
		}
		zs := zsetSkiplist(o)
		dst = rdb.AppendLen(dst, uint64(zs.Len()))
		for n := zs.Zsl.Last(); n != nil; n = n.Prev() {
			dst = rdb.AppendString(dst, stringBytes(n.Ele), rdbCompression)
			dst = rdb.AppendBinaryDouble(dst, n.Score)
		}
	case TypeHash:
		if o.enc == encListpack {
			return rdb.AppendString(dst, *hashLP(o), rdbCompression)
		}
		d := hashDict(o)
		dst = rdb.AppendLen(dst, uint64(d.Len()))
		d.Range(func(k string, v *string) bool {
			dst = rdb.AppendString(dst, stringBytes(k), rdbCompression)
			dst = rdb.AppendString(dst, stringBytes(*v), rdbCompression)
			return true
		})
	case TypeStream:
		dst = rdbSaveStream(dst, streamOf(o))
	}
	return dst
}

// rdbLoadLimits are the configuration values that choose the encoding of
// a loaded collection.
type rdbLoadLimits struct {
	hashEntries, hashValue int64
	zsetEntries, zsetValue int64
	intsetEntries          int64
	listFill               int
}

func rdbLimitsOf(cfg *Config) rdbLoadLimits {
	if cfg == nil {
		d := DefaultConfig()
		cfg = &d
	}
	return rdbLoadLimits{
		hashEntries: cfg.hashMaxListpackEntries, hashValue: cfg.hashMaxListpackValue,
		zsetEntries: cfg.zSetMaxListpackEntries, zsetValue: cfg.zSetMaxListpackValue,
		intsetEntries: min(max(cfg.setMaxIntsetEntries, 0), 1<<30),
		listFill:      int(cfg.listMaxListpackSize),
	}
}

// rdbLoadCollection reads a collection of RDB type t with the encodings
// cfg asks for (nil: the defaults). The object owns its memory.
func rdbLoadCollection(t byte, r *rdb.Reader, cfg *Config) (Object, error) {
	lim := rdbLimitsOf(cfg)
	switch t {
	case rdb.TypeList:
		return rdbLoadLinkedList(r, lim)
	case rdb.TypeListZiplist:
		return rdbLoadListZiplist(r, lim)
	case rdb.TypeListQuicklist, rdb.TypeListQuicklist2:
		return rdbLoadQuicklist(t, r, lim)
	case rdb.TypeSet:
		return rdbLoadSet(r, lim)
	case rdb.TypeSetIntset:
		return rdbLoadIntset(r, lim)
	case rdb.TypeZSet, rdb.TypeZSet2:
		return rdbLoadZset(t, r, lim)
	case rdb.TypeZSetZiplist, rdb.TypeZSetListpack:
		return rdbLoadZsetListpack(t, r, lim)
	case rdb.TypeHash:
		return rdbLoadHash(r, lim)
	case rdb.TypeHashZipmap, rdb.TypeHashZiplist, rdb.TypeHashListpack:
		return rdbLoadHashCompact(t, r, lim)
	case rdb.TypeStreamListpacks, rdb.TypeStreamListpacks2:
		return rdbLoadStream(t, r)
	case rdb.TypeModulePreGA, rdb.TypeModule2:
		return Object{}, errRDBCorrupt("module values are not supported by this server")
	}
	return Object{}, errRDBCorrupt("unknown object type %d", t)
}

// loadLen reads a length that must not exceed what the rest of the input
// could hold with at least one byte per element.
func loadLen(r *rdb.Reader) (int, error) {
	n, encoded, err := r.LoadLen()
	if err != nil {
		return 0, err
	}
	if encoded || n > uint64(r.Remaining()) {
		return 0, errRDBCorrupt("bad length %d", n)
	}
	return int(n), nil
}

// loadCount reads the element count of a collection, as loadLen; a count
// of 0 is errRDBEmptyKey.
func loadCount(r *rdb.Reader) (int, error) {
	n, err := loadLen(r)
	if err == nil && n == 0 {
		err = errRDBEmptyKey
	}
	return n, err
}

// loadCompactBlob reads an RDB string holding a compact encoding (a
// listpack, ziplist, zipmap or intset); an integer is corrupt, intErr
// saying what was expected.
func loadCompactBlob(r *rdb.Reader, intErr string) ([]byte, error) {
	blob, _, isInt, err := r.LoadString()
	if err != nil {
		return nil, err
	}
	if isInt {
		return nil, errRDBCorrupt("%s", intErr)
	}
	return blob, nil
}

// loadBlob reads an RDB string as bytes the caller may keep.
func loadBlob(r *rdb.Reader) ([]byte, error) {
	s, v, isInt, err := r.LoadString()
	if err != nil {
		return nil, err
	}
	if isInt {
		return strconv.AppendInt(nil, v, 10), nil
	}
	return s, nil
}

func rdbLoadLinkedList(r *rdb.Reader, lim rdbLoadLimits) (Object, error) {
	n, err := loadCount(r)
	if err != nil {
		return Object{}, err
	}
	ql := types.NewQuicklist(lim.listFill)
	for ; n > 0; n-- {
		s, err := r.LoadStringBytes()
		if err != nil {
			return Object{}, err
		}
		ql.PushTail(s)
	}
	return listObject(ql), nil
}

func listObject(ql *types.Quicklist) Object {
	return newObject(TypeList, EncQuicklist, unsafe.Pointer(ql))
}

func rdbLoadListZiplist(r *rdb.Reader, lim rdbLoadLimits) (Object, error) {
	zl, _, _, err := r.LoadString()
	if err != nil {
		return Object{}, err
	}
	ql := types.NewQuicklist(lim.listFill)
	var buf [24]byte
	err = rdb.ZiplistEntries(zl, func(s []byte, v int64, isInt bool) {
		if isInt {
			s = strconv.AppendInt(buf[:0], v, 10)
		}
		ql.PushTail(s)
	})
	if err != nil {
		return Object{}, err
	}
	if ql.Len() == 0 {
		return Object{}, errRDBEmptyKey
	}
	return listObject(ql), nil
}

// ziplistToListpack converts a ziplist to a listpack of the same entries.
func ziplistToListpack(zl []byte) (types.Listpack, int, error) {
	lp := types.NewListpack(len(zl))
	maxLen := 0
	err := rdb.ZiplistEntries(zl, func(s []byte, v int64, isInt bool) {
		if isInt {
			lp.AppendInt(v)
			maxLen = max(maxLen, types.IntLen(v))
		} else {
			lp.Append(s)
			maxLen = max(maxLen, len(s))
		}
	})
	return lp, maxLen, err
}

// listpackBlob copies an RDB string holding a listpack and validates it.
func listpackBlob(b []byte) (types.Listpack, error) {
	lp := types.Listpack(append([]byte(nil), b...))
	if !lp.Validate() {
		return nil, errRDBCorrupt("invalid listpack")
	}
	return lp, nil
}

func rdbLoadQuicklist(t byte, r *rdb.Reader, lim rdbLoadLimits) (Object, error) {
	nodes, err := loadCount(r)
	if err != nil {
		return Object{}, err
	}
	ql := types.NewQuicklist(lim.listFill)
	for ; nodes > 0; nodes-- {
		container := uint64(qlContainerPacked)
		if t == rdb.TypeListQuicklist2 {
			if container, _, err = r.LoadLen(); err != nil {
				return Object{}, err
			}
			if container != qlContainerPacked && container != qlContainerPlain {
				return Object{}, errRDBCorrupt("quicklist container %d", container)
			}
		}
		blob, err := loadCompactBlob(r, "integer quicklist node")
		if err != nil {
			return Object{}, err
		}
		var lp types.Listpack
		switch {
		case container == qlContainerPlain:
			// One big element: our quicklist keeps it in a listpack
			// node of its own.
			lp = types.NewListpack(len(blob) + 16)
			lp.Append(blob)
		case t == rdb.TypeListQuicklist2:
			if lp, err = listpackBlob(blob); err != nil {
				return Object{}, err
			}
		default:
			if lp, _, err = ziplistToListpack(blob); err != nil {
				return Object{}, err
			}
		}
		// Empty nodes are skipped silently, as Redis does.
		if lp.Len() == 0 {
			continue
		}
		ql.AppendListpack(lp)
	}
	if ql.Len() == 0 {
		return Object{}, errRDBEmptyKey
	}
	return listObject(ql), nil
}

func rdbLoadSet(r *rdb.Reader, lim rdbLoadLimits) (Object, error) {
	n, err := loadCount(r)
	if err != nil {
		return Object{}, err
	}
	var o Object
	var is *types.Intset
	var d *types.Dict[struct{}]
	if int64(n) > lim.intsetEntries {
		d = types.NewDict[struct{}]()
	} else {
		is = types.NewIntset()
	}
	for i := 0; i < n; i++ {
		s, err := r.LoadStringBytes()
		if err != nil {
			return Object{}, err
		}
		if is != nil {
			if v, ok := proto.ParseInt(s); ok {
				if !is.Add(v) {
					return Object{}, errRDBCorrupt("duplicate set members detected")
				}
				continue
			}
			d = types.NewDict[struct{}]()
			for j := 0; j < is.Len(); j++ {
				d.Add(strconv.FormatInt(is.Get(j), 10), struct{}{})
			}
			is = nil
		}
		if _, added := d.Add(string(s), struct{}{}); !added {
			return Object{}, errRDBCorrupt("duplicate set members detected")
		}
	}
	if is != nil {
		o.SetPtr(TypeSet, encIntset, unsafe.Pointer(is))
	} else {
		o.SetPtr(TypeSet, encHashtable, unsafe.Pointer(d))
	}
	return o, nil
}

func rdbLoadIntset(r *rdb.Reader, lim rdbLoadLimits) (Object, error) {
	blob, err := loadCompactBlob(r, "integer intset")
	if err != nil {
		return Object{}, err
	}
	if len(blob) == 8 && blob[4]|blob[5]|blob[6]|blob[7] == 0 {
		return Object{}, errRDBEmptyKey
	}
	is, err := types.IntsetFromBytes(blob)
	if err != nil {
		return Object{}, errRDBCorrupt("intset integrity check failed")
	}
	o := newObject(TypeSet, encIntset, unsafe.Pointer(is))
	if int64(is.Len()) > lim.intsetEntries {
		setTypeConvert(&o)
	}
	return o, nil
}

// loadTextDouble reads a double in the old text form (rdbLoadDoubleValue):
// a length byte (253 NaN, 254 +inf, 255 -inf) and that many characters.
func loadTextDouble(r *rdb.Reader) (float64, error) {
	n, err := r.ReadByte()
	if err != nil {
		return 0, err
	}
	switch n {
	case 253:
		return math.NaN(), nil
	case 254:
		return math.Inf(1), nil
	case 255:
		return math.Inf(-1), nil
	}
	b, err := r.Read(uint64(n))
	if err != nil {
		return 0, err
	}
	f, err := strconv.ParseFloat(string(b), 64)
	if err != nil {
		if ne, ok := err.(*strconv.NumError); !ok || ne.Err != strconv.ErrRange {
			return 0, errRDBCorrupt("bad double value")
		}
	}
	return f, nil
}

func rdbLoadZset(t byte, r *rdb.Reader, lim rdbLoadLimits) (Object, error) {
	n, err := loadCount(r)
	if err != nil {
		return Object{}, err
	}
	zs := types.NewZset()
	maxLen, total := 0, 0
	for i := 0; i < n; i++ {
		ele, err := r.LoadStringBytes()
		if err != nil {
			return Object{}, err
		}
		var score float64
		if t == rdb.TypeZSet2 {
			score, err = r.LoadBinaryDouble()
		} else {
			score, err = loadTextDouble(r)
		}
		if err != nil {
			return Object{}, err
		}
		if math.IsNaN(score) {
			return Object{}, errRDBCorrupt("zset with NAN score detected")
		}
		if zs.Dict.Find(bstr(ele)) != nil {
			return Object{}, errRDBCorrupt("duplicate zset fields detected")
		}
		maxLen = max(maxLen, len(ele))
		total += len(ele)
		zs.Insert(string(ele), score)
	}
	o := newObject(TypeZSet, encSkiplist, unsafe.Pointer(zs))
	if int64(zs.Len()) <= lim.zsetEntries && int64(maxLen) <= lim.zsetValue && total <= types.ListpackMaxSafetySize {
		zsetConvert(&o, encListpack)
	}
	return o, nil
}

func rdbLoadZsetListpack(t byte, r *rdb.Reader, lim rdbLoadLimits) (Object, error) {
	lp, _, err := loadPairs(t, r, "integer zset blob")
	if err != nil {
		return Object{}, err
	}
	var o Object
	zl := zlp(lp)
	o.SetPtr(TypeZSet, encListpack, unsafe.Pointer(&zl))
	if int64(lp.Len()/2) > lim.zsetEntries {
		zsetConvert(&o, encSkiplist)
	}
	return o, nil
}

// loadPairs reads the compact blob of a hash or sorted set of RDB type t
// (a zipmap, a ziplist or a listpack) as a listpack of pairs, checked as
// Redis's deep validation does and not empty, with the length of its
// longest entry when it came from a zipmap or a ziplist. intErr is the
// error of an integer in place of the blob.
func loadPairs(t byte, r *rdb.Reader, intErr string) (types.Listpack, int, error) {
	blob, err := loadCompactBlob(r, intErr)
	if err != nil {
		return nil, 0, err
	}
	var lp types.Listpack
	maxLen := 0
	switch t {
	case rdb.TypeHashZipmap:
		lp = types.NewListpack(len(blob))
		err = rdb.ZipmapEntries(blob, func(k, v []byte) {
			lp.Append(k)
			lp.Append(v)
			maxLen = max(maxLen, len(k), len(v))
		})
	case rdb.TypeHashZiplist, rdb.TypeZSetZiplist:
		lp, maxLen, err = ziplistToListpack(blob)
	default:
		lp, err = listpackBlob(blob)
	}
	if err != nil {
		return nil, 0, err
	}
	if err := checkPairs(lp); err != nil {
		return nil, 0, err
	}
	if lp.Len() == 0 {
		return nil, 0, errRDBEmptyKey
	}
	return lp, maxLen, nil
}

// checkPairs checks that a listpack holds pairs with unique first elements,
// as Redis's deep validation of hash and zset listpacks.
func checkPairs(lp types.Listpack) error {
	n := lp.Len()
	if n%2 != 0 {
		return errRDBCorrupt("listpack of pairs with an odd number of entries")
	}
	seen := make(map[string]struct{}, n/2)
	var buf []byte
	for p := lp.First(); p >= 0; p = lp.Next(lp.Next(p)) {
		buf = lp.AppendValue(buf[:0], p)
		if _, dup := seen[string(buf)]; dup {
			return errRDBCorrupt("duplicate fields in a listpack")
		}
		seen[string(buf)] = struct{}{}
	}
	return nil
}

func rdbLoadHash(r *rdb.Reader, lim rdbLoadLimits) (Object, error) {
	n, err := loadCount(r)
	if err != nil {
		return Object{}, err
	}
	var o Object
	var lp types.Listpack
	var d *types.Dict[string]
	if int64(n) > lim.hashEntries {
		d = types.NewDict[string]()
	} else {
		lp = types.NewListpack(0)
	}
	var seen map[string]struct{}
	if d == nil {
		seen = make(map[string]struct{}, n)
	}
	for i := 0; i < n; i++ {
		f, err := r.LoadStringBytes()
		if err != nil {
			return Object{}, err
		}
		v, err := r.LoadStringBytes()
		if err != nil {
			return Object{}, err
		}
		if d == nil {
			if _, dup := seen[string(f)]; dup {
				return Object{}, errRDBCorrupt("duplicate hash fields detected")
			}
			if int64(len(f)) <= lim.hashValue && int64(len(v)) <= lim.hashValue &&
				len(lp)+len(f)+len(v) <= types.ListpackMaxSafetySize {
				seen[string(f)] = struct{}{}
				lp.Append(f)
				lp.Append(v)
				continue
			}
			o.SetPtr(TypeHash, encListpack, unsafe.Pointer(&lp))
			hashTypeConvert(&o)
			d = hashDict(&o)
			seen = nil
		}
		if _, added := d.Add(string(f), string(v)); !added {
			return Object{}, errRDBCorrupt("duplicate hash fields detected")
		}
	}
	if d != nil {
		o.SetPtr(TypeHash, encHashtable, unsafe.Pointer(d))
	} else {
		o.SetPtr(TypeHash, encListpack, unsafe.Pointer(&lp))
	}
	return o, nil
}

func rdbLoadHashCompact(t byte, r *rdb.Reader, lim rdbLoadLimits) (Object, error) {
	lp, maxLen, err := loadPairs(t, r, "integer hash blob")
	if err != nil {
		return Object{}, err
	}
	o := newObject(TypeHash, encListpack, unsafe.Pointer(&lp))
	// Redis converts on the entry count, and for a zipmap on the value
	// length too.
	if int64(lp.Len()/2) > lim.hashEntries || t == rdb.TypeHashZipmap && int64(maxLen) > lim.hashValue {
		hashTypeConvert(&o)
	}
	return o, nil
}
