package types

import (
	"encoding/binary"
	"slices"
	"strconv"
)

// Stream is Redis 7.0's stream (stream.h, t_stream.c): entries live in
// listpacks of Redis's own layout, each holding up to stream-node-max-bytes
// and stream-node-max-entries entries, so that DUMP and RDB write the nodes
// verbatim and memory per entry is Redis's.
//
// A node's listpack starts with the master entry
//
//	count deleted num-fields field_1 … field_N 0
//
// and each entry follows as
//
//	flags ms-delta seq-delta [num-fields field_1 value_1 …] | [value_1 …] lp-count
//
// where the IDs are differences from the node's master ID and the fields are
// left out (flag SAMEFIELDS) when they are the master entry's. Deleted
// entries stay in place, flagged, until their node is emptied.
//
// Redis indexes the nodes with a radix tree keyed on the 128-bit big-endian
// master ID. Here the index is a slice of (master ID, listpack) sorted by
// ID: 40 bytes and one pointer per node of up to 100 entries, which costs
// less per entry than the rax; nodes are added at the tail and removed
// mostly from the head (trimming), the two cheap ends of a slice.
type Stream struct {
	nodes []streamNode
	// Length is the number of live entries.
	Length uint64
	// LastID is the greatest ID ever added (or set by XSETID).
	LastID StreamID
	// FirstID is the ID of the first live entry (0-0 when empty).
	FirstID StreamID
	// MaxDeletedID is the greatest ID deleted by XDEL (or XSETID).
	MaxDeletedID StreamID
	// EntriesAdded counts every entry ever added.
	EntriesAdded uint64
	// Groups are the consumer groups, sorted by name.
	Groups []*StreamCG
}

type streamNode struct {
	master StreamID
	lp     Listpack
	// prealloc is what Redis allocated for a node XADD created
	// (lpNew(min(4096, stream-node-max-bytes))) until the node is
	// finished and shrunk to fit; 0 otherwise. MEMORY USAGE counts it.
	prealloc int
}

// StreamID is an entry ID.
type StreamID struct{ Ms, Seq uint64 }

// Stream entry flags (STREAM_ITEM_FLAG_*).
const (
	streamFlagNone       = 0
	streamFlagDeleted    = 1
	streamFlagSameFields = 2
)

// StreamListpackMaxSize is STREAM_LISTPACK_MAX_SIZE.
const StreamListpackMaxSize = 1 << 30

// MaxStreamID is the greatest possible ID.
var MaxStreamID = StreamID{^uint64(0), ^uint64(0)}

// Compare returns -1, 0 or 1 as a is less than, equal to or greater than b.
func (a StreamID) Compare(b StreamID) int {
	switch {
	case a.Ms > b.Ms:
		return 1
	case a.Ms < b.Ms:
		return -1
	case a.Seq > b.Seq:
		return 1
	case a.Seq < b.Seq:
		return -1
	}
	return 0
}

// IsZero reports whether a is 0-0.
func (a StreamID) IsZero() bool { return a.Ms == 0 && a.Seq == 0 }

// Incr returns the ID after a, and false when a is the greatest ID
// (streamIncrID).
func (a StreamID) Incr() (StreamID, bool) {
	switch {
	case a.Seq != ^uint64(0):
		a.Seq++
	case a.Ms != ^uint64(0):
		a.Ms++
		a.Seq = 0
	default:
		// As streamIncrID: the greatest ID wraps to 0-0.
		return StreamID{}, false
	}
	return a, true
}

// Decr returns the ID before a, and false when a is 0-0 (streamDecrID).
func (a StreamID) Decr() (StreamID, bool) {
	switch {
	case a.Seq != 0:
		a.Seq--
	case a.Ms != 0:
		a.Ms--
		a.Seq = ^uint64(0)
	default:
		// As streamDecrID: 0-0 wraps to the greatest ID.
		return MaxStreamID, false
	}
	return a, true
}

// Append appends the ms-seq form of a to dst.
func (a StreamID) Append(dst []byte) []byte {
	dst = strconv.AppendUint(dst, a.Ms, 10)
	dst = append(dst, '-')
	return strconv.AppendUint(dst, a.Seq, 10)
}

// String returns the ms-seq form of a.
func (a StreamID) String() string { return string(a.Append(nil)) }

// AppendRaw appends the 16-byte big-endian form of a (streamEncodeID), as
// RDB stores IDs and rax keys.
func (a StreamID) AppendRaw(dst []byte) []byte {
	dst = binary.BigEndian.AppendUint64(dst, a.Ms)
	return binary.BigEndian.AppendUint64(dst, a.Seq)
}

// DecodeStreamID reads the 16-byte big-endian form of an ID.
func DecodeStreamID(b []byte) StreamID {
	return StreamID{binary.BigEndian.Uint64(b), binary.BigEndian.Uint64(b[8:])}
}

// NewStream returns an empty stream.
func NewStream() *Stream { return &Stream{} }

// Nodes returns the number of listpack nodes.
func (s *Stream) Nodes() int { return len(s.nodes) }

// Node returns the master ID and listpack of node i (for RDB and MEMORY
// USAGE). The listpack must not be changed.
func (s *Stream) Node(i int) (StreamID, Listpack) { return s.nodes[i].master, s.nodes[i].lp }

// NodeAlloc returns the bytes Redis would have allocated for node i's
// listpack (before jemalloc's rounding): its size, or the preallocation
// of a node XADD created and did not finish yet.
func (s *Stream) NodeAlloc(i int) int { return max(len(s.nodes[i].lp), s.nodes[i].prealloc) }

// AppendNode adds a node at the tail, for a loader that reads nodes in
// order (the caller validated it).
func (s *Stream) AppendNode(master StreamID, lp Listpack) {
	s.nodes = append(s.nodes, streamNode{master: master, lp: lp})
}

func lpInt(lp Listpack, p int) int64 {
	s, v, isInt := lp.Get(p)
	if isInt {
		return v
	}
	// Redis's lpGetInteger on a string converts it.
	v, _ = StringToInt64(s)
	return v
}

func lpReplaceInt(lp *Listpack, p int, v int64) int {
	var buf [20]byte
	return lp.Replace(p, strconv.AppendInt(buf[:0], v, 10))
}

// AppendItem adds an entry with the fields and values in fv (field, value,
// field, value …) as streamAppendItem. With useID nil the ID is the next
// after LastID (the caller makes LastID the current time first when it
// should be); with seqGiven false, useID's seq is picked as Redis does
// for "ms-*". It returns the new ID, or ok false with tooLarge telling
// which error: the ID is not greater than the top item's, or the
// elements are too large.
func (s *Stream) AppendItem(fv [][]byte, useID *StreamID, seqGiven bool, maxBytes, maxEntries int64) (id StreamID, ok, tooLarge bool) {
	numfields := len(fv) / 2
	if useID != nil {
		if seqGiven {
			id = *useID
		} else if s.LastID.Ms == useID.Ms {
			if s.LastID.Seq == ^uint64(0) {
				return id, false, false
			}
			id = s.LastID
			id.Seq++
		} else {
			id = *useID
		}
	} else {
		id = s.LastID
		var okk bool
		if id, okk = id.Incr(); !okk {
			return id, false, false
		}
	}
	if id.Compare(s.LastID) <= 0 {
		return id, false, false
	}
	total := 0
	for _, b := range fv {
		total += len(b)
	}
	if total > StreamListpackMaxSize {
		return id, false, true
	}

	var node *streamNode
	if n := len(s.nodes); n > 0 {
		node = &s.nodes[n-1]
		limit := maxBytes
		if limit == 0 || limit > StreamListpackMaxSize {
			limit = StreamListpackMaxSize
		}
		full := int64(len(node.lp)+total) >= limit
		if !full && maxEntries > 0 {
			p := node.lp.First()
			count := lpInt(node.lp, p) + lpInt(node.lp, node.lp.Next(p))
			full = count >= maxEntries
		}
		if full {
			// Shrink the finished node to its size, as lpShrinkToFit,
			// unless little would be saved (a copy is garbage for
			// the collector).
			if cap(node.lp)-len(node.lp) > len(node.lp)/16 {
				node.lp = slices.Clip(append(Listpack(nil), node.lp...))
			}
			node.prealloc = 0
			node = nil
		}
	}
	flags := int64(streamFlagNone)
	var master StreamID
	if node == nil {
		master = id
		// Room for the node as it will likely end: master entry, then
		// entries like this one (values and the small integers around
		// them) up to stream-node-max-entries, within
		// stream-node-max-bytes, so that it grows in place.
		master := lpHdrSize + 1 + 8
		entry := 8
		for i := 0; i < numfields; i++ {
			master += EntryEncodedSize(fv[2*i])
			entry += EntryEncodedSize(fv[2*i+1])
		}
		size := master + entry
		if maxEntries > 1 {
			size += entry * int(min(maxEntries-1, 1024))
		}
		if maxBytes > 0 && int64(size) > maxBytes+int64(entry) {
			size = int(maxBytes) + entry
		}
		lp := NewListpack(size)
		lp.AppendInt(1)
		lp.AppendInt(0)
		lp.AppendInt(int64(numfields))
		for i := 0; i < numfields; i++ {
			lp.Append(fv[2*i])
		}
		lp.AppendInt(0)
		prealloc := 4096 // STREAM_LISTPACK_MAX_PRE_ALLOCATE
		if maxBytes > 0 && maxBytes < int64(prealloc) {
			prealloc = int(maxBytes)
		}
		s.nodes = append(s.nodes, streamNode{master: id, lp: lp, prealloc: prealloc})
		node = &s.nodes[len(s.nodes)-1]
		flags |= streamFlagSameFields
	} else {
		master = node.master
		p := node.lp.First()
		count := lpInt(node.lp, p)
		if need := total + 16 + 6*numfields; cap(node.lp)-len(node.lp) < need {
			// Grow once to what the node will likely end at: its
			// entries so far on average, up to the entry limit.
			items := count + lpInt(node.lp, node.lp.Next(p))
			grow := need
			if maxEntries > items && items > 0 {
				grow += (len(node.lp) / int(items)) * int(min(maxEntries-items, 1024))
			}
			if maxBytes > 0 {
				grow = min(grow, max(int(maxBytes)-len(node.lp), need))
			}
			node.lp.Grow(grow)
		}
		p = lpReplaceInt(&node.lp, p, count+1)
		p = node.lp.Next(p)
		p = node.lp.Next(p)
		mcount := int(lpInt(node.lp, p))
		p = node.lp.Next(p)
		if mcount == numfields {
			i := 0
			for ; i < mcount; i++ {
				if !node.lp.Equal(p, fv[2*i]) {
					break
				}
				p = node.lp.Next(p)
			}
			if i == mcount {
				flags |= streamFlagSameFields
			}
		}
	}
	lp := &node.lp
	lp.AppendInt(flags)
	lp.AppendInt(int64(id.Ms - master.Ms))
	lp.AppendInt(int64(id.Seq - master.Seq))
	same := flags&streamFlagSameFields != 0
	if !same {
		lp.AppendInt(int64(numfields))
	}
	for i := 0; i < numfields; i++ {
		if !same {
			lp.Append(fv[2*i])
		}
		lp.Append(fv[2*i+1])
	}
	lpCount := int64(numfields) + 3
	if !same {
		lpCount += int64(numfields) + 1
	}
	lp.AppendInt(lpCount)
	s.Length++
	s.EntriesAdded++
	s.LastID = id
	if s.Length == 1 {
		s.FirstID = id
	}
	return id, true, false
}

// StreamIterator walks the entries of a stream between two IDs, forward
// or backward (streamIterator). Start it with Start; Next returns the
// entries one by one; Field reads the fields of the current one.
type StreamIterator struct {
	s                 *Stream
	start, end        StreamID
	rev               bool
	node              int
	lp                Listpack
	ele               int // current position; -1: need the next node
	master            StreamID
	masterFieldsCount int
	masterFieldsStart int
	masterFieldsPtr   int
	entryFlags        int64
	lpFlags           int
	// SkipTombstones is true unless the caller wants deleted entries too.
	SkipTombstones bool
}

// Start positions it on s for the IDs from start to end, inclusive
// (nil: the first / last possible).
func (it *StreamIterator) Start(s *Stream, start, end *StreamID, rev bool) {
	*it = StreamIterator{s: s, rev: rev, SkipTombstones: true, ele: -1, lp: nil}
	if start != nil {
		it.start = *start
	}
	if end != nil {
		it.end = *end
	} else {
		it.end = MaxStreamID
	}
	// it.node is the index of the node Next moves to first, minus one
	// (forward) or plus one (backward).
	if !rev {
		it.node = -1
		if start != nil && !start.IsZero() {
			if i := s.seekLE(*start); i >= 0 {
				it.node = i - 1
			}
		}
	} else {
		it.node = len(s.nodes)
		if end != nil && !end.IsZero() {
			if i := s.seekLE(*end); i >= 0 {
				it.node = i + 1
			}
		}
	}
}

// seekLE returns the index of the last node whose master ID is <= id, or -1.
func (s *Stream) seekLE(id StreamID) int {
	i, found := slices.BinarySearchFunc(s.nodes, id, func(n streamNode, id StreamID) int {
		return n.master.Compare(id)
	})
	if found {
		return i
	}
	return i - 1
}

// Next moves to the next entry in range and returns its ID and number of
// fields, or ok false at the end.
func (it *StreamIterator) Next() (id StreamID, numfields int, ok bool) {
	for {
		if it.lp == nil || it.ele < 0 {
			if !it.rev {
				it.node++
				if it.node >= len(it.s.nodes) {
					return id, 0, false
				}
			} else {
				it.node--
				if it.node < 0 {
					return id, 0, false
				}
			}
			n := &it.s.nodes[it.node]
			it.master = n.master
			it.lp = n.lp
			lp := it.lp
			p := lp.First()
			p = lp.Next(p)
			p = lp.Next(p)
			it.masterFieldsCount = int(lpInt(lp, p))
			p = lp.Next(p)
			it.masterFieldsStart = p
			if !it.rev {
				for i := 0; i < it.masterFieldsCount; i++ {
					p = lp.Next(p)
				}
			} else {
				p = lp.Last()
			}
			it.ele = p
		} else if it.rev {
			lp := it.lp
			c := lpInt(lp, it.ele)
			for ; c > 0; c-- {
				it.ele = lp.Prev(it.ele)
			}
			it.ele = lp.Prev(it.ele)
		}
		lp := it.lp
		for {
			if !it.rev {
				it.ele = lp.Next(it.ele)
				if it.ele < 0 {
					break
				}
			} else {
				c := lpInt(lp, it.ele)
				if c == 0 {
					it.lp = nil
					it.ele = -1
					break
				}
				for ; c > 0; c-- {
					it.ele = lp.Prev(it.ele)
				}
			}
			it.lpFlags = it.ele
			flags := lpInt(lp, it.ele)
			it.ele = lp.Next(it.ele)
			id = it.master
			id.Ms += uint64(lpInt(lp, it.ele))
			it.ele = lp.Next(it.ele)
			id.Seq += uint64(lpInt(lp, it.ele))
			it.ele = lp.Next(it.ele)
			if flags&streamFlagSameFields != 0 {
				numfields = it.masterFieldsCount
			} else {
				numfields = int(lpInt(lp, it.ele))
				it.ele = lp.Next(it.ele)
			}
			live := !it.SkipTombstones || flags&streamFlagDeleted == 0
			if !it.rev {
				if id.Compare(it.start) >= 0 && live {
					if id.Compare(it.end) > 0 {
						return id, 0, false
					}
					it.entryFlags = flags
					it.masterFieldsPtr = it.masterFieldsStart
					return id, numfields, true
				}
			} else {
				if id.Compare(it.end) <= 0 && live {
					if id.Compare(it.start) < 0 {
						return id, 0, false
					}
					it.entryFlags = flags
					it.masterFieldsPtr = it.masterFieldsStart
					return id, numfields, true
				}
			}
			if !it.rev {
				skip := numfields
				if flags&streamFlagSameFields == 0 {
					skip *= 2
				}
				for i := 0; i < skip; i++ {
					it.ele = lp.Next(it.ele)
				}
			} else {
				back := 4
				if flags&streamFlagSameFields == 0 {
					back++
				}
				for ; back > 0; back-- {
					it.ele = lp.Prev(it.ele)
				}
			}
		}
	}
}

// Deleted reports whether the current entry is a tombstone (only seen
// with SkipTombstones false).
func (it *StreamIterator) Deleted() bool { return it.entryFlags&streamFlagDeleted != 0 }

// Field returns the next field and value of the current entry (views valid
// until the stream changes).
func (it *StreamIterator) Field() (field, value ListpackEntry) {
	lp := it.lp
	if it.entryFlags&streamFlagSameFields != 0 {
		field = lp.GetEntry(it.masterFieldsPtr)
		it.masterFieldsPtr = lp.Next(it.masterFieldsPtr)
	} else {
		field = lp.GetEntry(it.ele)
		it.ele = lp.Next(it.ele)
	}
	value = lp.GetEntry(it.ele)
	it.ele = lp.Next(it.ele)
	return field, value
}

// RemoveEntry deletes the current entry (whose ID is current) and
// re-seeks so that Next continues after it (streamIteratorRemoveEntry).
func (it *StreamIterator) RemoveEntry(current StreamID) {
	n := &it.s.nodes[it.node]
	flags := lpInt(n.lp, it.lpFlags) | streamFlagDeleted
	lpReplaceInt(&n.lp, it.lpFlags, flags)
	p := n.lp.First()
	count := lpInt(n.lp, p)
	if count == 1 {
		it.s.nodes = slices.Delete(it.s.nodes, it.node, it.node+1)
	} else {
		p = lpReplaceInt(&n.lp, p, count-1)
		p = n.lp.Next(p)
		lpReplaceInt(&n.lp, p, lpInt(n.lp, p)+1)
	}
	it.s.Length--
	start, end := it.start, it.end
	if it.rev {
		end = current
	} else {
		start = current
	}
	skip := it.SkipTombstones
	it.Start(it.s, &start, &end, it.rev)
	it.SkipTombstones = skip
}

// DeleteID deletes the entry id and reports whether it existed.
func (s *Stream) DeleteID(id StreamID) bool {
	var it StreamIterator
	it.Start(s, &id, &id, false)
	if _, _, ok := it.Next(); ok {
		it.RemoveEntry(id)
		return true
	}
	return false
}

// EntryExists reports whether a live entry id exists.
func (s *Stream) EntryExists(id StreamID) bool {
	var it StreamIterator
	it.Start(s, &id, &id, false)
	_, _, ok := it.Next()
	return ok
}

// EdgeID returns the first (first true) or last entry ID, skipping
// tombstones unless skipTombstones is false; for an empty stream it
// returns 0-0 when first, or the max ID otherwise… as streamGetEdgeID:
// first → MaxStreamID when empty, last → 0-0 when empty.
func (s *Stream) EdgeID(first, skipTombstones bool) StreamID {
	var it StreamIterator
	it.Start(s, nil, nil, !first)
	it.SkipTombstones = skipTombstones
	id, _, ok := it.Next()
	if !ok {
		if first {
			return MaxStreamID
		}
		return StreamID{}
	}
	return id
}

// lpEdgeID returns the first or last ID of a node, deleted or not
// (lpGetEdgeStreamID).
func lpEdgeID(lp Listpack, first bool, master StreamID) StreamID {
	var p int
	if first {
		p = lp.First()
		p = lp.Next(p)
		p = lp.Next(p)
		mc := int(lpInt(lp, p))
		for i := 0; i <= mc+1; i++ {
			p = lp.Next(p)
		}
	} else {
		p = lp.Last()
		c := lpInt(lp, p)
		for ; c > 0; c-- {
			p = lp.Prev(p)
		}
	}
	p = lp.Next(p)
	id := master
	id.Ms += uint64(lpInt(lp, p))
	p = lp.Next(p)
	id.Seq += uint64(lpInt(lp, p))
	return id
}

// Trim strategies.
const (
	TrimNone = iota
	TrimMaxLen
	TrimMinID
)

// Trim removes entries from the head: down to maxlen entries (TrimMaxLen)
// or those with IDs below minid (TrimMinID); approx removes whole nodes
// only; limit (0: none) caps the entries removed. It returns how many were
// removed (streamTrim).
func (s *Stream) Trim(strategy int, maxlen int64, minid StreamID, approx bool, limit int64) int64 {
	if strategy == TrimNone {
		return 0
	}
	var deleted int64
	for len(s.nodes) > 0 {
		if strategy == TrimMaxLen && int64(s.Length) <= maxlen {
			break
		}
		n := &s.nodes[0]
		lp := n.lp
		p := lp.First()
		entries := lpInt(lp, p)
		if limit != 0 && deleted+entries > limit {
			break
		}
		var remove bool
		if strategy == TrimMaxLen {
			remove = int64(s.Length)-entries >= maxlen
		} else {
			remove = lpEdgeID(lp, false, n.master).Compare(minid) < 0
		}
		if remove {
			s.nodes[0] = streamNode{}
			s.nodes = s.nodes[1:]
			s.Length -= uint64(entries)
			deleted += entries
			continue
		}
		if approx {
			break
		}
		var fromLP int64
		p = lp.Next(p)
		p = lp.Next(p)
		mc := int(lpInt(lp, p))
		p = lp.Next(p)
		for j := 0; j < mc; j++ {
			p = lp.Next(p)
		}
		p = lp.Next(p)
		for p >= 0 {
			pflags := p
			flags := lpInt(n.lp, p)
			p = n.lp.Next(p)
			msd := lpInt(n.lp, p)
			p = n.lp.Next(p)
			seqd := lpInt(n.lp, p)
			p = n.lp.Next(p)
			var stop bool
			if strategy == TrimMaxLen {
				stop = int64(s.Length) <= maxlen
			} else {
				cur := StreamID{n.master.Ms + uint64(msd), n.master.Seq + uint64(seqd)}
				stop = cur.Compare(minid) >= 0
			}
			if stop {
				break
			}
			var skip int
			if flags&streamFlagSameFields != 0 {
				skip = mc
			} else {
				skip = int(lpInt(n.lp, p)) * 2
				p = n.lp.Next(p)
			}
			for ; skip > 0; skip-- {
				p = n.lp.Next(p)
			}
			p = n.lp.Next(p)
			if flags&streamFlagDeleted == 0 {
				// Replacing a small flag keeps its size: offsets hold.
				delta := len(n.lp) - p
				if p < 0 {
					delta = -1
				}
				lpReplaceInt(&n.lp, pflags, flags|streamFlagDeleted)
				if delta >= 0 {
					p = len(n.lp) - delta
				}
				fromLP++
				s.Length--
			}
		}
		deleted += fromLP
		p = n.lp.First()
		p = lpReplaceInt(&n.lp, p, entries-fromLP)
		p = n.lp.Next(p)
		lpReplaceInt(&n.lp, p, lpInt(n.lp, p)+fromLP)
		break
	}
	if len(s.nodes) == 0 && cap(s.nodes) > 0 {
		s.nodes = nil
	}
	if s.Length == 0 {
		s.FirstID = StreamID{}
	} else if deleted > 0 {
		s.FirstID = s.EdgeID(true, true)
	}
	return deleted
}

// Dup returns a deep copy of s (streamDup), consumer groups included.
func (s *Stream) Dup() *Stream {
	d := *s
	d.nodes = make([]streamNode, len(s.nodes))
	for i, n := range s.nodes {
		d.nodes[i] = streamNode{master: n.master, lp: slices.Clip(append(Listpack(nil), n.lp...))}
	}
	d.Groups = nil
	for _, g := range s.Groups {
		ng := d.CreateCG(g.Name, g.LastID, g.EntriesRead)
		for _, c := range g.Consumers {
			nc := ng.CreateConsumer(c.Name, c.SeenTime)
			for i := range c.PEL.Len() {
				id, nack := c.PEL.At(i)
				nn := &StreamNACK{DeliveryTime: nack.DeliveryTime, DeliveryCount: nack.DeliveryCount, Consumer: nc}
				ng.PEL.Insert(id, nn)
				nc.PEL.Insert(id, nn)
			}
		}
	}
	return &d
}

// StreamCG is a consumer group (streamCG).
type StreamCG struct {
	Name string
	// LastID is the last ID delivered to the group.
	LastID StreamID
	// EntriesRead is the logical read counter, or -1 when unknown.
	EntriesRead int64
	// PEL holds the pending entries, by ID.
	PEL       PEL
	Consumers []*StreamConsumer
}

// StreamConsumer is a consumer of a group (streamConsumer).
type StreamConsumer struct {
	Name     string
	SeenTime int64
	PEL      PEL
}

// StreamNACK is a pending entry: delivered, not yet acknowledged.
type StreamNACK struct {
	DeliveryTime  int64
	DeliveryCount uint64
	Consumer      *StreamConsumer
}

// PEL is a set of pending entries ordered by ID. Entries are added mostly
// at the tail (deliveries come in ID order) and removed anywhere.
type PEL struct {
	ids   []StreamID
	nacks []*StreamNACK
}

// Len returns the number of entries.
func (p *PEL) Len() int { return len(p.ids) }

// At returns the i-th entry in ID order.
func (p *PEL) At(i int) (StreamID, *StreamNACK) { return p.ids[i], p.nacks[i] }

// Seek returns the index of the first entry with an ID >= id.
func (p *PEL) Seek(id StreamID) int {
	n := len(p.ids)
	if n == 0 || p.ids[n-1].Compare(id) < 0 {
		return n
	}
	i, _ := slices.BinarySearchFunc(p.ids, id, StreamID.Compare)
	return i
}

// Find returns the entry id, or nil.
func (p *PEL) Find(id StreamID) *StreamNACK {
	i := p.Seek(id)
	if i < len(p.ids) && p.ids[i] == id {
		return p.nacks[i]
	}
	return nil
}

// Insert adds id unless present, and reports whether it did.
func (p *PEL) Insert(id StreamID, n *StreamNACK) bool {
	i := p.Seek(id)
	if i < len(p.ids) && p.ids[i] == id {
		return false
	}
	p.ids = slices.Insert(p.ids, i, id)
	p.nacks = slices.Insert(p.nacks, i, n)
	return true
}

// Delete removes id and reports whether it was there.
func (p *PEL) Delete(id StreamID) bool {
	i := p.Seek(id)
	if i < len(p.ids) && p.ids[i] == id {
		p.ids = slices.Delete(p.ids, i, i+1)
		p.nacks = slices.Delete(p.nacks, i, i+1)
		return true
	}
	return false
}

// CreateCG adds a group and returns it, or nil when the name exists.
func (s *Stream) CreateCG(name string, last StreamID, entriesRead int64) *StreamCG {
	i, found := slices.BinarySearchFunc(s.Groups, name, func(g *StreamCG, n string) int { return cmpString(g.Name, n) })
	if found {
		return nil
	}
	g := &StreamCG{Name: name, LastID: last, EntriesRead: entriesRead}
	s.Groups = slices.Insert(s.Groups, i, g)
	return g
}

// LookupCG returns the group name, or nil.
func (s *Stream) LookupCG(name []byte) *StreamCG {
	i, found := slices.BinarySearchFunc(s.Groups, name, func(g *StreamCG, n []byte) int { return cmpString(g.Name, string(n)) })
	if !found {
		return nil
	}
	return s.Groups[i]
}

// DestroyCG removes the group name and reports whether it existed.
func (s *Stream) DestroyCG(name []byte) bool {
	i, found := slices.BinarySearchFunc(s.Groups, name, func(g *StreamCG, n []byte) int { return cmpString(g.Name, string(n)) })
	if !found {
		return false
	}
	s.Groups = slices.Delete(s.Groups, i, i+1)
	return true
}

// LookupConsumer returns the consumer name, or nil.
func (g *StreamCG) LookupConsumer(name []byte) *StreamConsumer {
	i, found := slices.BinarySearchFunc(g.Consumers, name, func(c *StreamConsumer, n []byte) int { return cmpString(c.Name, string(n)) })
	if !found {
		return nil
	}
	return g.Consumers[i]
}

// CreateConsumer adds a consumer and returns it, or nil when it exists.
func (g *StreamCG) CreateConsumer(name string, seen int64) *StreamConsumer {
	i, found := slices.BinarySearchFunc(g.Consumers, name, func(c *StreamConsumer, n string) int { return cmpString(c.Name, n) })
	if found {
		return nil
	}
	c := &StreamConsumer{Name: name, SeenTime: seen}
	g.Consumers = slices.Insert(g.Consumers, i, c)
	return c
}

// DeleteConsumer removes consumer c and its pending entries from the
// group, and returns how many entries it had pending.
func (g *StreamCG) DeleteConsumer(c *StreamConsumer) int {
	n := c.PEL.Len()
	for _, id := range c.PEL.ids {
		g.PEL.Delete(id)
	}
	i, found := slices.BinarySearchFunc(g.Consumers, c.Name, func(c *StreamConsumer, n string) int { return cmpString(c.Name, n) })
	if found {
		g.Consumers = slices.Delete(g.Consumers, i, i+1)
	}
	return n
}

func cmpString(a, b string) int {
	switch {
	case a < b:
		return -1
	case a > b:
		return 1
	}
	return 0
}

// CountLive returns the number of live entries the nodes' master entries
// record (for a loader to check Length).
func (s *Stream) CountLive() uint64 {
	var n uint64
	for _, node := range s.nodes {
		n += uint64(lpInt(node.lp, node.lp.First()))
	}
	return n
}

// ValidateStreamListpack checks that lp (a valid listpack) is a stream
// node: a master entry of integers and fields ending in 0, then entries
// whose flags, ID deltas, field counts and lp-counts agree, as many as
// the master entry's counts say (streamValidateListpackIntegrity, deep).
func ValidateStreamListpack(lp Listpack) bool {
	p := lp.First()
	isInt := func(p int) (int64, bool) {
		if p < 0 {
			return 0, false
		}
		_, v, ok := lp.Get(p)
		return v, ok
	}
	entries, ok := isInt(p)
	if !ok || entries < 0 {
		return false
	}
	p = lp.Next(p)
	deleted, ok := isInt(p)
	if !ok || deleted < 0 {
		return false
	}
	p = lp.Next(p)
	mfields, ok := isInt(p)
	if !ok || mfields < 0 {
		return false
	}
	for i := int64(0); i < mfields; i++ {
		if p = lp.Next(p); p < 0 {
			return false
		}
	}
	p = lp.Next(p)
	if zero, ok := isInt(p); !ok || zero != 0 {
		return false
	}
	p = lp.Next(p)
	var live int64
	for total := entries + deleted; total > 0; total-- {
		flags, ok := isInt(p)
		if !ok {
			return false
		}
		if flags&streamFlagDeleted == 0 {
			live++
		}
		p = lp.Next(p)
		if _, ok := isInt(p); !ok {
			return false
		}
		p = lp.Next(p)
		if _, ok := isInt(p); !ok {
			return false
		}
		p = lp.Next(p)
		fields, extra := mfields, int64(3)
		if flags&streamFlagSameFields == 0 {
			if fields, ok = isInt(p); !ok || fields < 0 {
				return false
			}
			p = lp.Next(p)
			for j := int64(0); j < fields; j++ {
				if p < 0 {
					return false
				}
				p = lp.Next(p)
			}
			extra += fields + 1
		}
		for j := int64(0); j < fields; j++ {
			if p < 0 {
				return false
			}
			p = lp.Next(p)
		}
		count, ok := isInt(p)
		if !ok || count != fields+extra {
			return false
		}
		p = lp.Next(p)
	}
	return p < 0 && live == entries && entries+deleted > 0
}
