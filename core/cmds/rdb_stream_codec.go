package cmds

import (
	"strconv"
	"unsafe"

	"github.com/redisfs/redisfs/core/rdb"
	"github.com/redisfs/redisfs/core/types"
)

// The RDB codec of streams, RDB_TYPE_STREAM_LISTPACKS_2 as Redis 7.0
// writes it (rdbSaveObject / rdbLoadObject): the listpack nodes verbatim,
// each after its 16-byte master ID; length, last ID, first ID, max
// deleted ID and entries added; then each consumer group with its last
// ID, entries read, PEL (ID, delivery time, delivery count) and consumers
// (name, seen time, the IDs of their PEL). Version 1 streams (type 15)
// load too, their missing counters estimated as Redis does.

// rdbSaveStream appends the serialization of s.
func rdbSaveStream(dst []byte, s *types.Stream) []byte {
	dst = rdb.AppendLen(dst, uint64(s.Nodes()))
	var key [16]byte
	for i := 0; i < s.Nodes(); i++ {
		master, lp := s.Node(i)
		dst = rdb.AppendString(dst, master.AppendRaw(key[:0]), rdbCompression)
		dst = rdb.AppendString(dst, lp, rdbCompression)
	}
	dst = rdb.AppendLen(dst, s.Length)
	dst = rdb.AppendLen(dst, s.LastID.Ms)
	dst = rdb.AppendLen(dst, s.LastID.Seq)
	dst = rdb.AppendLen(dst, s.FirstID.Ms)
	dst = rdb.AppendLen(dst, s.FirstID.Seq)
	dst = rdb.AppendLen(dst, s.MaxDeletedID.Ms)
	dst = rdb.AppendLen(dst, s.MaxDeletedID.Seq)
	dst = rdb.AppendLen(dst, s.EntriesAdded)
	dst = rdb.AppendLen(dst, uint64(len(s.Groups)))
	for _, g := range s.Groups {
		dst = rdb.AppendString(dst, stringBytes(g.Name), rdbCompression)
		dst = rdb.AppendLen(dst, g.LastID.Ms)
		dst = rdb.AppendLen(dst, g.LastID.Seq)
		// entries_read is a long long saved as a length: -1 is 2^64-1.
		dst = rdb.AppendLen(dst, uint64(g.EntriesRead))
		dst = rdb.AppendLen(dst, uint64(g.PEL.Len()))
		for i := 0; i < g.PEL.Len(); i++ {
			id, nack := g.PEL.At(i)
			dst = id.AppendRaw(dst)
			dst = rdb.AppendMillis(dst, nack.DeliveryTime)
			dst = rdb.AppendLen(dst, nack.DeliveryCount)
		}
		dst = rdb.AppendLen(dst, uint64(len(g.Consumers)))
		for _, c := range g.Consumers {
			dst = rdb.AppendString(dst, stringBytes(c.Name), rdbCompression)
			dst = rdb.AppendMillis(dst, c.SeenTime)
			dst = rdb.AppendLen(dst, uint64(c.PEL.Len()))
			for i := 0; i < c.PEL.Len(); i++ {
				id, _ := c.PEL.At(i)
				dst = id.AppendRaw(dst)
			}
		}
	}
	return dst
}

// loadPlainLen reads a length that may be any 64-bit value.
func loadPlainLen(r *rdb.Reader) (uint64, error) {
	n, encoded, err := r.LoadLen()
	if err == nil && encoded {
		err = errRDBCorrupt("unexpected encoded length")
	}
	return n, err
}

// rdbLoadStream reads a stream of RDB type t (15 or 19), validating every
// node deeply (Redis does with sanitize-dump-payload) and the groups'
// PELs, so that no command later trusts a malformed blob.
func rdbLoadStream(t byte, r *rdb.Reader) (Object, error) {
	s := types.NewStream()
	nodes, err := loadLen(r)
	if err != nil {
		return Object{}, err
	}
	var prev types.StreamID
	for i := 0; i < nodes; i++ {
		key, err := loadBlob(r)
		if err != nil {
			return Object{}, err
		}
		if len(key) != 16 {
			return Object{}, errRDBCorrupt("stream node key entry is not the size of a stream ID")
		}
		master := types.DecodeStreamID(key)
		if i > 0 && master.Compare(prev) <= 0 {
			return Object{}, errRDBCorrupt("stream node keys out of order")
		}
		prev = master
		blob, err := loadCompactBlob(r, "integer stream listpack")
		if err != nil {
			return Object{}, err
		}
		lp, err := listpackBlob(blob)
		if err != nil {
			return Object{}, err
		}
		if !types.ValidateStreamListpack(lp) {
			return Object{}, errRDBCorrupt("stream listpack integrity check failed")
		}
		s.AppendNode(master, lp)
	}
	var v [8]uint64
	n := 3
	if t == rdb.TypeStreamListpacks2 {
		n = 8
	}
	for i := 0; i < n; i++ {
		if v[i], err = loadPlainLen(r); err != nil {
			return Object{}, err
		}
	}
	s.Length = v[0]
	s.LastID = types.StreamID{Ms: v[1], Seq: v[2]}
	if t == rdb.TypeStreamListpacks2 {
		s.FirstID = types.StreamID{Ms: v[3], Seq: v[4]}
		s.MaxDeletedID = types.StreamID{Ms: v[5], Seq: v[6]}
		s.EntriesAdded = v[7]
	} else {
		s.EntriesAdded = s.Length
		s.FirstID = s.EdgeID(true, true)
	}
	if s.Length != 0 && s.Nodes() == 0 {
		return Object{}, errRDBCorrupt("stream length inconsistent with rax entries")
	}
	if live := s.CountLive(); live != s.Length {
		return Object{}, errRDBCorrupt("stream length %d, but %d entries", s.Length, live)
	}
	groups, err := loadLen(r)
	if err != nil {
		return Object{}, err
	}
	for ; groups > 0; groups-- {
		name, err := loadBlob(r)
		if err != nil {
			return Object{}, err
		}
		var id types.StreamID
		if id.Ms, err = loadPlainLen(r); err != nil {
			return Object{}, err
		}
		if id.Seq, err = loadPlainLen(r); err != nil {
			return Object{}, err
		}
		var read int64
		if t == rdb.TypeStreamListpacks2 {
			u, err := loadPlainLen(r)
			if err != nil {
				return Object{}, err
			}
			read = int64(u)
		} else {
			read = streamEstimateDistanceFromFirstEverEntry(s, id)
		}
		g := s.CreateCG(string(name), id, read)
		if g == nil {
			return Object{}, errRDBCorrupt("duplicated consumer group name %q", name)
		}
		pel, err := loadLen(r)
		if err != nil {
			return Object{}, err
		}
		for ; pel > 0; pel-- {
			raw, err := r.Read(16)
			if err != nil {
				return Object{}, err
			}
			nack := &types.StreamNACK{}
			if nack.DeliveryTime, err = r.LoadMillis(); err != nil {
				return Object{}, err
			}
			if nack.DeliveryCount, err = loadPlainLen(r); err != nil {
				return Object{}, err
			}
			if !g.PEL.Insert(types.DecodeStreamID(raw), nack) {
				return Object{}, errRDBCorrupt("duplicated global PEL entry")
			}
		}
		consumers, err := loadLen(r)
		if err != nil {
			return Object{}, err
		}
		for ; consumers > 0; consumers-- {
			cname, err := loadBlob(r)
			if err != nil {
				return Object{}, err
			}
			seen, err := r.LoadMillis()
			if err != nil {
				return Object{}, err
			}
			c := g.CreateConsumer(string(cname), seen)
			if c == nil {
				return Object{}, errRDBCorrupt("duplicate stream consumer")
			}
			cpel, err := loadLen(r)
			if err != nil {
				return Object{}, err
			}
			for ; cpel > 0; cpel-- {
				raw, err := r.Read(16)
				if err != nil {
					return Object{}, err
				}
				id := types.DecodeStreamID(raw)
				nack := g.PEL.Find(id)
				if nack == nil {
					return Object{}, errRDBCorrupt("consumer entry not found in group global PEL")
				}
				if nack.Consumer != nil || !c.PEL.Insert(id, nack) {
					return Object{}, errRDBCorrupt("duplicated consumer PEL entry")
				}
				nack.Consumer = c
			}
		}
		for i := 0; i < g.PEL.Len(); i++ {
			if _, nack := g.PEL.At(i); nack.Consumer == nil {
				return Object{}, errRDBCorrupt("stream CG PEL entry without consumer")
			}
		}
	}
	return newObject(TypeStream, encStream, unsafe.Pointer(s)), nil
}

// appendStreamRewrite appends the commands that rebuild stream s under
// key in an AOF rewrite (rewriteStreamObject): one XADD per entry (an
// empty stream is an XADD trimmed away at once), XSETID with the
// counters, then per group XGROUP CREATE … ENTRIESREAD and, per consumer,
// an XCLAIM … FORCE per pending entry or XGROUP CREATECONSUMER.
func appendStreamRewrite(dst []byte, key []byte, s *types.Stream) []byte {
	var args [][]byte
	if s.Length > 0 {
		var it types.StreamIterator
		it.Start(s, nil, nil, false)
		for {
			id, n, ok := it.Next()
			if !ok {
				break
			}
			args = append(args[:0], []byte("XADD"), key, streamIDArg(id))
			for ; n > 0; n-- {
				f, v := it.Field()
				args = append(args, f.Append(nil), v.Append(nil))
			}
			dst = appendRESPCommand(dst, args...)
		}
	} else {
		dst = appendRESPCommand(dst, []byte("XADD"), key, []byte("MAXLEN"), []byte("0"),
			[]byte("0-1"), []byte("x"), []byte("y"))
	}
	dst = appendRESPCommand(dst, []byte("XSETID"), key, streamIDArg(s.LastID),
		[]byte("ENTRIESADDED"), strconv.AppendUint(nil, s.EntriesAdded, 10),
		[]byte("MAXDELETEDID"), streamIDArg(s.MaxDeletedID))
	for _, g := range s.Groups {
		dst = appendRESPCommand(dst, []byte("XGROUP"), []byte("CREATE"), key, []byte(g.Name),
			streamIDArg(g.LastID), []byte("ENTRIESREAD"), strconv.AppendInt(nil, g.EntriesRead, 10))
		for _, c := range g.Consumers {
			if c.PEL.Len() == 0 {
				dst = appendRESPCommand(dst, []byte("XGROUP"), []byte("CREATECONSUMER"), key,
					[]byte(g.Name), []byte(c.Name))
				continue
			}
			for i := 0; i < c.PEL.Len(); i++ {
				id, nack := c.PEL.At(i)
				dst = appendRESPCommand(dst, []byte("XCLAIM"), key, []byte(g.Name), []byte(c.Name),
					[]byte("0"), streamIDArg(id), []byte("TIME"), strconv.AppendInt(nil, nack.DeliveryTime, 10),
					[]byte("RETRYCOUNT"), strconv.AppendUint(nil, nack.DeliveryCount, 10),
					[]byte("JUSTID"), []byte("FORCE"))
			}
		}
	}
	return dst
}
