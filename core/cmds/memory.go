package cmds

import (
	"math/bits"
	"runtime"
	"runtime/debug"
	"strconv"
	"strings"

	"github.com/redisfs/redisfs/core/proto"
	"github.com/redisfs/redisfs/core/types"
)

// MEMORY, after Redis 7.0's object.c. MEMORY USAGE estimates what a key
// would take in Redis (jemalloc size classes, sds headers, robj and
// dictEntry sizes, the encodings' layouts) rather than what it takes in
// Go's heap, so that tools comparing the two servers see the same
// figures; objectComputeSize calls the estimate of each collection's
// encoding by name. MEMORY STATS reports the Go runtime's
// figures under Redis's names.

// Sizes of Redis's structures on 64-bit builds.
const (
	sizeofRobj      = 16
	sizeofDictEntry = 24
	sizeofDict      = 56
	sizeofPointer   = 8
)

// objectComputeSizeDefSamples is OBJ_COMPUTE_SIZE_DEF_SAMPLES.
const objectComputeSizeDefSamples = 5

// jemallocSize returns the size of the jemalloc size class that holds n
// bytes (zmalloc_size of an n-byte allocation): 8, then multiples of 16 up
// to 128, then four classes per doubling.
func jemallocSize(n int64) int64 {
	switch {
	case n <= 8:
		return 8
	case n <= 128:
		return (n + 15) &^ 15
	}
	k := bits.Len64(uint64(n - 1)) // n is in (2^(k-1), 2^k]
	step := int64(1) << (k - 3)
	return (n + step - 1) &^ (step - 1)
}

// sdsHdrSize is the header size of an sds of length l (sdsReqType).
func sdsHdrSize(l int64) int64 {
	switch {
	case l < 1<<5:
		return 1
	case l < 1<<8:
		return 3
	case l < 1<<16:
		return 5
	case l < 1<<32:
		return 9
	}
	return 17
}

// sdsZmallocSize is the allocation of an sds holding alloc bytes.
func sdsZmallocSize(alloc int64) int64 {
	return jemallocSize(sdsHdrSize(alloc) + alloc + 1)
}

// goSizeClass rounds n up as Go's allocator does for a []byte of
// capacity n, to tell buffers that append grew from exact ones.
func goSizeClass(n int64) int64 {
	classes := [...]int64{0, 8, 16, 24, 32, 48, 64, 80, 96, 112, 128, 144, 160, 176, 192, 208, 224, 240, 256,
		288, 320, 352, 384, 416, 448, 480, 512, 576, 640, 704, 768, 896, 1024, 1152, 1280, 1408, 1536,
		1792, 2048, 2304, 2688, 3072, 3200, 3456, 4096, 4864, 5376, 6144, 6528, 6784, 6912, 8192, 9472,
		9728, 10240, 10880, 12288, 13568, 14336, 16384, 18432, 19072, 20480, 21760, 24576, 27264,
		28672, 32768}
	if n > 32768 {
		return (n + 8191) &^ 8191
	}
	for _, c := range classes {
		if c >= n {
			return c
		}
	}
	return n
}

// stringObjectSize is objectComputeSize for a string.
func stringObjectSize(o *Object) int64 {
	switch o.enc {
	case encInt:
		return sizeofRobj
	case encEmbstr:
		return jemallocSize(sizeofRobj + 3 + int64(o.StrLen()) + 1)
	}
	l, c := int64(o.StrLen()), int64(o.bufCap())
	// A buffer no bigger than Go's rounding of its length is an exact
	// one (sdsnewlen); a bigger one was grown by appends (sdsMakeRoomFor's
	// greedy allocation).
	alloc := l
	if c > goSizeClass(l) {
		alloc = c
	}
	return sizeofRobj + sdsZmallocSize(alloc)
}

// Sizes of Redis's collection structures (64-bit).
const (
	sizeofQuicklist     = 40
	sizeofQuicklistNode = 40
	sizeofZset          = 16
	sizeofZskiplist     = 32
	zslHeaderSize       = 640 // zmalloc_size of a 32-level node
	zslNodeSize         = 48  // zmalloc_size of a 1-level node, the usual one
)

func listObjectSize(o *Object, samples int64) int64 {
	if o.enc != EncQuicklist {
		return sizeofRobj + jemallocSize(int64(len(*(*types.Listpack)(o.pointer()))))
	}
	ql := (*types.Quicklist)(o.pointer())
	var elesize, n int64
	ql.ForEachNode(func(lp types.Listpack) {
		if n < samples {
			elesize += sizeofQuicklistNode + jemallocSize(int64(len(lp)))
			n++
		}
	})
	size := int64(sizeofRobj + sizeofQuicklist)
	if n > 0 {
		size += int64(float64(elesize) / float64(n) * float64(ql.Nodes()))
	}
	return size
}

// dictObjectSize is the part common to hashtable encodings: the robj, the
// dict and its buckets, plus the sampled average entry times the length.
func dictObjectSize(buckets, length int, elesize, n int64) int64 {
	size := int64(sizeofRobj+sizeofDict) + int64(buckets)*sizeofPointer
	if n > 0 {
		size += int64(float64(elesize) / float64(n) * float64(length))
	}
	return size
}

func setObjectSize(o *Object, samples int64) int64 {
	if o.enc == encIntset {
		return sizeofRobj + jemallocSize(int64((*types.Intset)(o.pointer()).BlobLen()))
	}
	d := (*types.Dict[struct{}])(o.pointer())
	var elesize, n int64
	d.Range(func(k string, _ *struct{}) bool {
		elesize += sizeofDictEntry + sdsZmallocSize(int64(len(k)))
		n++
		return n < samples
	})
	return dictObjectSize(d.Buckets(), d.Len(), elesize, n)
}

func hashObjectSize(o *Object, samples int64) int64 {
	if o.enc == encListpack {
		return sizeofRobj + jemallocSize(int64(len(*(*types.Listpack)(o.pointer()))))
	}
	d := (*types.Dict[string])(o.pointer())
	var elesize, n int64
	d.Range(func(k string, v *string) bool {
		elesize += sdsZmallocSize(int64(len(k))) + sdsZmallocSize(int64(len(*v))) + sizeofDictEntry
		n++
		return n < samples
	})
	return dictObjectSize(d.Buckets(), d.Len(), elesize, n)
}

func zsetObjectSize(o *Object, samples int64) int64 {
	if o.enc == encListpack {
		return sizeofRobj + jemallocSize(int64(len(*(*types.Listpack)(o.pointer()))))
	}
	zs := (*types.Zset)(o.pointer())
	size := int64(sizeofRobj+sizeofZset+sizeofZskiplist+sizeofDict) +
		int64(zs.Dict.Buckets())*sizeofPointer + zslHeaderSize
	var elesize, n int64
	for node := zs.Zsl.First(); node != nil && n < samples; node = node.Next() {
		elesize += sdsZmallocSize(int64(len(node.Ele))) + sizeofDictEntry + zslNodeSize
		n++
	}
	if n > 0 {
		size += int64(float64(elesize) / float64(n) * float64(zs.Dict.Len()))
	}
	return size
}

// objectComputeSize estimates the memory of o as Redis's function does
// for its encoding (the robj itself included), sampling at most samples
// elements of a collection. Helpers: jemallocSize, sdsZmallocSize,
// sizeofRobj, sizeofDict, sizeofDictEntry.
func objectComputeSize(o *Object, samples int64) int64 {
	switch o.typ {
	case TypeString:
		return stringObjectSize(o)
	case TypeList:
		return listObjectSize(o, samples)
	case TypeSet:
		return setObjectSize(o, samples)
	case TypeZSet:
		return zsetObjectSize(o, samples)
	case TypeHash:
		return hashObjectSize(o, samples)
	case TypeStream:
		return streamObjectSize(o, samples)
	}
	return sizeofRobj
}

// keyMemoryUsage is MEMORY USAGE of key holding o: the value, the key's
// sds and the dict entry.
func keyMemoryUsage(key string, o *Object, samples int64) int64 {
	return objectComputeSize(o, samples) + sdsZmallocSize(int64(len(key))) + sizeofDictEntry
}

var memoryHelp = []string{
	"DOCTOR",
	"    Return memory problems reports.",
	"MALLOC-STATS",
	"    Return internal statistics report from the memory allocator.",
	"PURGE",
	"    Attempt to purge dirty pages for reclamation by the allocator.",
	"STATS",
	"    Return information about the memory usage of the server.",
	"USAGE <key> [SAMPLES <count>]",
	"    Return memory in bytes used by <key> and its value. Nested values are",
	"    sampled up to <count> times (default: 5, 0 means sample all).",
}

// MEMORY HELP
func memoryHelpCommand(c *Client) { c.addReplyHelp(memoryHelp) }

// memoryContainerCommand runs for MEMORY without a subcommand (unreachable).
func memoryContainerCommand(c *Client) { c.addReplySubcommandSyntaxError() }

// MEMORY USAGE key [SAMPLES count]
func memoryUsageCommand(c *Client) {
	samples := int64(objectComputeSizeDefSamples)
	for j := 3; j < len(c.argv); j++ {
		if equalFoldC(c.argv[j], "samples") && j+1 < len(c.argv) {
			n, ok := proto.ParseInt(c.argv[j+1])
			if !ok {
				c.addReplyError(errNotInteger)
				return
			}
			if n < 0 {
				c.addReplySyntaxError()
				return
			}
			if n == 0 {
				n = 1<<63 - 1
			}
			samples = n
			j++
		} else {
			c.addReplySyntaxError()
			return
		}
	}
	// As dbFind: no expiry, no statistics, no LRU update.
	key, o := c.db.Dict.FindKey(bstr(c.argv[2]))
	if o == nil {
		c.addReplyNull()
		return
	}
	c.addReplyInt(keyMemoryUsage(key, o, samples))
}

// memOverhead is the part of MEMORY STATS that is not the dataset
// (getMemoryOverheadData), from the runtime's figures.
type memOverhead struct {
	peak, total, startup, clients, overheadTotal uint64
	keys                                         int64
	dbs                                          []dbOverhead
	allocated, active, resident, rss             uint64
}

type dbOverhead struct {
	id            int
	main, expires int64
}

func (srv *Server) memoryOverheadData() memOverhead {
	m := readMemFigures()
	var mh memOverhead
	mh.total = m.used
	mh.peak = max(memPeak, m.used)
	mh.startup = memStartup
	for _, c := range srv.clients {
		mh.clients += uint64(clientStructSize + cap(c.QueryBuf) + cap(c.Reply))
	}
	mh.overheadTotal = mh.startup + mh.clients
	for _, db := range srv.DBs {
		n := int64(db.Dict.Len())
		if n == 0 {
			continue
		}
		mh.keys += n
		main := n*sizeofDictEntry + int64(db.Dict.Buckets())*sizeofPointer + n*sizeofRobj
		exp := int64(db.Expires.Len())*sizeofDictEntry + int64(db.Expires.Buckets())*sizeofPointer
		mh.overheadTotal += uint64(main + exp)
		mh.dbs = append(mh.dbs, dbOverhead{db.id, main, exp})
	}
	mh.allocated, mh.active, mh.resident = m.used, m.active, m.resident
	mh.rss = rssMemory()
	return mh
}

// MEMORY STATS
func memoryStatsCommand(c *Client) {
	mh := c.srv.memoryOverheadData()
	f32 := func(x float64) float64 { return float64(float32(x)) }
	div := func(a, b uint64) float64 {
		if b == 0 {
			return 0
		}
		return float64(a) / float64(b)
	}
	c.addReplyMapLen(27 + len(mh.dbs))
	kv := func(k string, v int64) {
		c.addReplyBulkString(k)
		c.addReplyInt(v)
	}
	kd := func(k string, v float64) {
		c.addReplyBulkString(k)
		c.addReplyDouble(f32(v))
	}
	kv("peak.allocated", int64(mh.peak))
	kv("total.allocated", int64(mh.total))
	kv("startup.allocated", int64(mh.startup))
	kv("replication.backlog", 0)
	kv("clients.slaves", 0)
	kv("clients.normal", int64(mh.clients))
	kv("cluster.links", 0)
	kv("aof.buffer", 0)
	kv("lua.caches", 0)
	kv("functions.caches", 0)
	for _, d := range mh.dbs {
		c.addReplyBulkString("db." + strconv.Itoa(d.id))
		c.addReplyMapLen(3)
		kv("overhead.hashtable.main", d.main)
		kv("overhead.hashtable.expires", d.expires)
		kv("overhead.hashtable.slot-to-keys", 0)
	}
	kv("overhead.total", int64(mh.overheadTotal))
	kv("keys.count", mh.keys)
	var dataset, perKey uint64
	if mh.total > mh.overheadTotal {
		dataset = mh.total - mh.overheadTotal
	}
	if mh.keys > 0 && mh.total > mh.startup {
		perKey = (mh.total - mh.startup) / uint64(mh.keys)
	}
	kv("keys.bytes-per-key", int64(perKey))
	kv("dataset.bytes", int64(dataset))
	var net uint64
	if mh.total > mh.startup {
		net = mh.total - mh.startup
	}
	kd("dataset.percentage", div(dataset, net)*100)
	kd("peak.percentage", div(mh.total, mh.peak)*100)
	kv("allocator.allocated", int64(mh.allocated))
	kv("allocator.active", int64(mh.active))
	kv("allocator.resident", int64(mh.resident))
	kd("allocator-fragmentation.ratio", div(mh.active, mh.allocated))
	kv("allocator-fragmentation.bytes", int64(mh.active)-int64(mh.allocated))
	kd("allocator-rss.ratio", div(mh.resident, mh.active))
	kv("allocator-rss.bytes", int64(mh.resident)-int64(mh.active))
	kd("rss-overhead.ratio", div(mh.rss, mh.resident))
	kv("rss-overhead.bytes", int64(mh.rss)-int64(mh.resident))
	kd("fragmentation", div(mh.rss, mh.allocated))
	kv("fragmentation.bytes", int64(mh.rss)-int64(mh.allocated))
}

// MEMORY DOCTOR
func memoryDoctorCommand(c *Client) {
	mh := c.srv.memoryOverheadData()
	var s string
	// The dataset, not the process: the Go runtime itself takes a few MB.
	if mh.total-min(mh.total, mh.startup) < 1024*1024*5 {
		s = "Hi Sam, this instance is empty or is using very little memory, my issues detector can't be used in these conditions. Please, leave for your mission on Earth and fill it with some data. The new Sam and I will be back to our programming as soon as I finished rebooting.\n"
	} else {
		var issues []string
		if mh.peak > 0 && float64(mh.peak)/float64(mh.total) > 1.5 {
			issues = append(issues, " * Peak memory: In the past this instance used more than 150% the memory that is currently using. The allocator is normally not able to release memory after a peak, so you can expect to see a big fragmentation ratio, however this is actually harmless and is only due to the memory peak, and if the Redis instance Resident Set Size (RSS) is currently bigger than expected, the memory will be used as soon as you fill the Redis instance with more data. If the memory peak was only occasional and you want to try to reclaim memory, please try the MEMORY PURGE command, otherwise the only other option is to shutdown and restart the instance.\n\n")
		}
		if len(issues) == 0 {
			s = "Hi Sam, I can't find any memory issue in your instance. I can only account for what occurs on this base.\n"
		} else {
			s = "Sam, I detected a few issues in this Redis instance memory implants:\n\n" + strings.Join(issues, "") +
				"I'm here to keep you safe, Sam. I want to help you.\n"
		}
	}
	c.addReplyVerbatim([]byte(s), "txt")
}

// MEMORY MALLOC-STATS
func memoryMallocStatsCommand(c *Client) {
	var ms runtime.MemStats
	runtime.ReadMemStats(&ms)
	var b []byte
	b = append(b, "___ Begin Go runtime statistics ___\n"...)
	for _, kv := range []struct {
		k string
		v uint64
	}{
		{"HeapAlloc", ms.HeapAlloc}, {"HeapInuse", ms.HeapInuse}, {"HeapIdle", ms.HeapIdle},
		{"HeapReleased", ms.HeapReleased}, {"HeapObjects", ms.HeapObjects}, {"Sys", ms.Sys},
		{"NumGC", uint64(ms.NumGC)}, {"NextGC", ms.NextGC},
	} {
		b = append(b, kv.k...)
		b = append(b, ": "...)
		b = strconv.AppendUint(b, kv.v, 10)
		b = append(b, '\n')
	}
	b = append(b, "--- End Go runtime statistics ---\n"...)
	c.addReplyVerbatim(b, "txt")
}

// MEMORY PURGE
func memoryPurgeCommand(c *Client) {
	debug.FreeOSMemory()
	c.addReplyOK()
}
