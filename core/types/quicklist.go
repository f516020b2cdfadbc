package types

// Quicklist is Redis 7.0's quicklist (quicklist.c): a doubly linked list of
// listpack nodes, the only encoding of lists in Redis 7.0. Node sizes follow
// Redis's fill factor (list-max-listpack-size): a negative fill caps a
// node's listpack at 4, 8, 16, 32 or 64 KB (-1 … -5), a positive one at that
// many entries (and at 8 KB whatever the count, SIZE_SAFETY_LIMIT). Inserts
// split and merge nodes as Redis does and deletions leave nodes as Redis
// leaves them, so every node's listpack is the one Redis would have: RDB and
// DUMP can write them verbatim.
//
// Not implemented: node compression (list-compress-depth; nodes are never
// LZF-compressed) and "plain" nodes for elements of 1 GB or more (an element
// that big is stored in a listpack node of its own).
type Quicklist struct {
	head, tail *qlNode
	count      int // elements in all nodes
	len        int // nodes
	fill       int
}

type qlNode struct {
	prev, next *qlNode
	lp         Listpack
	count      int
}

// Quicklist limits, as Redis's.
const (
	qlSizeSafetyLimit    = 8192
	qlSizeEstimateOvhead = 8
	qlFillMax            = 1 << 15
)

var qlOptimizationLevel = [...]int{4096, 8192, 16384, 32768, 65536}

// NewQuicklist returns an empty quicklist with the given fill factor
// (list-max-listpack-size).
func NewQuicklist(fill int) *Quicklist {
	ql := &Quicklist{}
	ql.SetFill(fill)
	return ql
}

// SetFill changes the fill factor for later inserts (quicklistSetFill).
func (ql *Quicklist) SetFill(fill int) {
	if fill > qlFillMax {
		fill = qlFillMax
	} else if fill < -5 {
		fill = -5
	}
	ql.fill = fill
}

// Fill returns the fill factor (list-max-listpack-size) the list was
// made with.
func (ql *Quicklist) Fill() int { return ql.fill }

// Len returns the number of elements.
func (ql *Quicklist) Len() int { return ql.count }

// Nodes returns the number of nodes.
func (ql *Quicklist) Nodes() int { return ql.len }

// ForEachNode calls fn with each node's listpack, head to tail (for RDB and
// DUMP). fn must not keep or change it.
func (ql *Quicklist) ForEachNode(fn func(lp Listpack)) {
	for n := ql.head; n != nil; n = n.next {
		fn(n.lp)
	}
}

// Dup returns a copy of ql, node for node (quicklistDup): the copy's
// listpacks are byte for byte the original's.
func (ql *Quicklist) Dup() *Quicklist {
	c := &Quicklist{fill: ql.fill}
	for n := ql.head; n != nil; n = n.next {
		lp := append(make(Listpack, 0, len(n.lp)), n.lp...)
		c.insertNode(c.tail, &qlNode{lp: lp, count: n.count}, true)
		c.count += n.count
	}
	return c
}

// QuicklistNodes walks the nodes of a quicklist head to tail, one call at
// a time (RDB saving across loop steps); the quicklist must not change
// while it is walked.
type QuicklistNodes struct{ n *qlNode }

// NodeCursor returns a walk of the nodes from the head.
func (ql *Quicklist) NodeCursor() QuicklistNodes { return QuicklistNodes{ql.head} }

// Next returns the next node's listpack (not to be kept or changed), or
// false at the end.
func (c *QuicklistNodes) Next() (Listpack, bool) {
	if c.n == nil {
		return nil, false
	}
	lp := c.n.lp
	c.n = c.n.next
	return lp, true
}

// AppendListpack adds a whole node holding lp (which the quicklist takes
// over) at the tail, as RDB loading does (quicklistAppendListpack).
func (ql *Quicklist) AppendListpack(lp Listpack) {
	n := &qlNode{lp: lp, count: lp.Len()}
	ql.insertNode(ql.tail, n, true)
	ql.count += n.count
}

func sizeMeetsOptimizationRequirement(sz, fill int) bool {
	if fill >= 0 {
		return false
	}
	offset := -fill - 1
	if offset < len(qlOptimizationLevel) {
		return sz <= qlOptimizationLevel[offset]
	}
	return false
}

// allowInsert is _quicklistNodeAllowInsert of Redis 7.0.
func (ql *Quicklist) allowInsert(n *qlNode, sz int) bool {
	if n == nil {
		return false
	}
	newSz := len(n.lp) + sz + qlSizeEstimateOvhead
	if sizeMeetsOptimizationRequirement(newSz, ql.fill) {
		return true
	}
	if newSz > qlSizeSafetyLimit {
		return false
	}
	return n.count < ql.fill
}

// allowMerge is _quicklistNodeAllowMerge of Redis 7.0.
func (ql *Quicklist) allowMerge(a, b *qlNode) bool {
	if a == nil || b == nil {
		return false
	}
	// Approximate merged size: Redis 7.0 still subtracts 11 (a ziplist's
	// header and trailer) and computes it in an unsigned int.
	mergeSz := int(uint32(len(a.lp) + len(b.lp) - 11))
	if sizeMeetsOptimizationRequirement(mergeSz, ql.fill) {
		return true
	}
	if mergeSz > qlSizeSafetyLimit {
		return false
	}
	return a.count+b.count <= ql.fill
}

// insertNode links newNode after (or before) old; old nil means the list is
// empty (__quicklistInsertNode).
func (ql *Quicklist) insertNode(old, newNode *qlNode, after bool) {
	if after {
		newNode.prev = old
		if old != nil {
			newNode.next = old.next
			if old.next != nil {
				old.next.prev = newNode
			}
			old.next = newNode
		}
		if ql.tail == old {
			ql.tail = newNode
		}
	} else {
		newNode.next = old
		if old != nil {
			newNode.prev = old.prev
			if old.prev != nil {
				old.prev.next = newNode
			}
			old.prev = newNode
		}
		if ql.head == old {
			ql.head = newNode
		}
	}
	if ql.len == 0 {
		ql.head, ql.tail = newNode, newNode
	}
	ql.len++
}

// delNode unlinks n (__quicklistDelNode).
func (ql *Quicklist) delNode(n *qlNode) {
	if n.next != nil {
		n.next.prev = n.prev
	}
	if n.prev != nil {
		n.prev.next = n.next
	}
	if n == ql.tail {
		ql.tail = n.prev
	}
	if n == ql.head {
		ql.head = n.next
	}
	ql.len--
	ql.count -= n.count
	n.prev, n.next, n.lp = nil, nil, nil
}

func newNodeWith(s []byte) *qlNode {
	lp := NewListpack(lpHdrSize + 1 + EntryEncodedSize(s))
	lp.Append(s)
	return &qlNode{lp: lp, count: 1}
}

// PushHead adds s at the head (quicklistPushHead).
func (ql *Quicklist) PushHead(s []byte) {
	if ql.allowInsert(ql.head, len(s)) {
		ql.head.lp.Prepend(s)
		ql.head.count++
	} else {
		ql.insertNode(ql.head, newNodeWith(s), false)
	}
	ql.count++
}

// PushTail adds s at the tail (quicklistPushTail).
func (ql *Quicklist) PushTail(s []byte) {
	if ql.allowInsert(ql.tail, len(s)) {
		ql.tail.lp.Append(s)
		ql.tail.count++
	} else {
		ql.insertNode(ql.tail, newNodeWith(s), true)
	}
	ql.count++
}

// Push adds s at the head or the tail.
func (ql *Quicklist) Push(s []byte, head bool) {
	if head {
		ql.PushHead(s)
	} else {
		ql.PushTail(s)
	}
}

// Pop removes the head (or tail) element and appends its string form to
// dst; ok is false when the list is empty.
func (ql *Quicklist) Pop(head bool, dst []byte) (val []byte, ok bool) {
	n := ql.tail
	if head {
		n = ql.head
	}
	if n == nil {
		return dst, false
	}
	var p int
	if head {
		p = n.lp.First()
	} else {
		p = n.lp.Last()
	}
	dst = n.lp.AppendValue(dst, p)
	ql.delIndex(n, p)
	return dst, true
}

// delIndex deletes the entry at p of n, and n itself when it empties
// (quicklistDelIndex). It reports whether n was removed and, if not, where
// the next entry now is (-1 at the node's end).
func (ql *Quicklist) delIndex(n *qlNode, p int) (gone bool, next int) {
	next = n.lp.Delete(p)
	n.count--
	if n.count == 0 {
		ql.delNode(n)
		gone = true
	}
	ql.count--
	return gone, next
}

// locate finds the node holding element idx (negative counts from the
// tail) and the element's offset in it, positive from the head of the node
// for idx >= 0, negative from its tail otherwise
// (quicklistGetIteratorAtIdx).
func (ql *Quicklist) locate(idx int) (*qlNode, int, bool) {
	forward := idx >= 0
	index := idx
	if !forward {
		index = -idx - 1
	}
	if index >= ql.count {
		return nil, 0, false
	}
	seekForward, seekIndex := forward, index
	if index > (ql.count-1)/2 {
		seekForward = !forward
		seekIndex = ql.count - 1 - index
	}
	n := ql.tail
	if seekForward {
		n = ql.head
	}
	accum := 0
	for n != nil {
		if accum+n.count > seekIndex {
			break
		}
		accum += n.count
		if seekForward {
			n = n.next
		} else {
			n = n.prev
		}
	}
	if n == nil {
		return nil, 0, false
	}
	if seekForward != forward {
		accum = ql.count - n.count - accum
	}
	if forward {
		return n, index - accum, true
	}
	return n, -index - 1 + accum, true
}

// Index returns the value of element idx (negative counts from the tail):
// a view of its string bytes, or its integer (quicklistIndex).
func (ql *Quicklist) Index(idx int) (s []byte, v int64, isInt bool, ok bool) {
	n, off, ok := ql.locate(idx)
	if !ok {
		return nil, 0, false, false
	}
	s, v, isInt = n.lp.Get(n.lp.Seek(off))
	return s, v, isInt, true
}

// ReplaceAt replaces element idx with s and reports whether idx was in
// range (quicklistReplaceAtIndex). The node is not split, as in Redis.
func (ql *Quicklist) ReplaceAt(idx int, s []byte) bool {
	n, off, ok := ql.locate(idx)
	if !ok {
		return false
	}
	n.lp.Replace(n.lp.Seek(off), s)
	return true
}

// DelRange deletes count elements from start (negative counts from the
// tail) and reports whether anything was deleted (quicklistDelRange).
func (ql *Quicklist) DelRange(start, count int) bool {
	if count <= 0 {
		return false
	}
	extent := count
	if start >= 0 && extent > ql.count-start {
		extent = ql.count - start
	} else if start < 0 && extent > -start {
		extent = -start
	}
	node, offset, ok := ql.locate(start)
	if !ok {
		return false
	}
	for extent > 0 && node != nil {
		next := node.next
		var del int
		entire := false
		switch {
		case offset == 0 && extent >= node.count:
			entire = true
			del = node.count
		case offset >= 0 && extent+offset >= node.count:
			del = node.count - offset
		case offset < 0:
			del = -offset
			if del > extent {
				del = extent
			}
		default:
			del = extent
		}
		if entire {
			ql.delNode(node)
		} else {
			node.lp.DeleteRange(offset, del)
			node.count -= del
			ql.count -= del
			if node.count == 0 {
				ql.delNode(node)
			}
		}
		extent -= del
		node = next
		offset = 0
	}
	return true
}

// splitNode splits n at offset (_quicklistSplitNode): with after, n keeps
// [0, offset] and the returned node gets [offset+1, end]; otherwise the
// returned node gets [0, offset-1] and n keeps [offset, end].
func splitNode(n *qlNode, offset int, after bool) *qlNode {
	nn := &qlNode{lp: append(make(Listpack, 0, len(n.lp)), n.lp...)}
	origStart, origExtent := 0, offset
	newStart, newExtent := offset, -1
	if after {
		origStart, origExtent = offset+1, -1
		newStart, newExtent = 0, offset+1
	}
	n.lp.DeleteRange(origStart, origExtent)
	n.count = n.lp.Len()
	nn.lp.DeleteRange(newStart, newExtent)
	nn.count = nn.lp.Len()
	return nn
}

// mergeNodes merges a (on the left) and b into one node and returns it
// (_quicklistListpackMerge).
func (ql *Quicklist) mergeNodes(a, b *qlNode) *qlNode {
	merged := Merge(a.lp, b.lp)
	keep, drop := a, b
	if len(a.lp) < len(b.lp) {
		keep, drop = b, a
	}
	keep.lp = merged
	keep.count = merged.Len()
	drop.count = 0
	ql.delNode(drop)
	return keep
}

// mergeAround tries the merges Redis tries around center after a split
// (_quicklistMergeNodes).
func (ql *Quicklist) mergeAround(center *qlNode) {
	var prev, prevPrev, next, nextNext *qlNode
	if center.prev != nil {
		prev = center.prev
		prevPrev = center.prev.prev
	}
	if center.next != nil {
		next = center.next
		nextNext = center.next.next
	}
	if ql.allowMerge(prev, prevPrev) {
		ql.mergeNodes(prevPrev, prev)
	}
	if ql.allowMerge(next, nextNext) {
		ql.mergeNodes(next, nextNext)
	}
	var target *qlNode
	if ql.allowMerge(center, center.prev) {
		target = ql.mergeNodes(center.prev, center)
	} else {
		target = center
	}
	if ql.allowMerge(target, target.next) {
		ql.mergeNodes(target, target.next)
	}
}

// insert inserts s before or after the entry at position p (offset off in
// the node, as the iterator knows it) of node n (_quicklistInsert).
func (ql *Quicklist) insert(n *qlNode, p, off int, s []byte, after bool) {
	if n == nil {
		nn := newNodeWith(s)
		ql.insertNode(nil, nn, after)
		ql.count++
		return
	}
	sz := len(s)
	full := !ql.allowInsert(n, sz)
	atTail, atHead, availNext, availPrev := false, false, false, false
	if after && (off == n.count-1 || off == -1) {
		atTail = true
		availNext = ql.allowInsert(n.next, sz)
	}
	if !after && (off == 0 || off == -n.count) {
		atHead = true
		availPrev = ql.allowInsert(n.prev, sz)
	}
	switch {
	case !full && after:
		n.lp.Insert(s, p, LpAfter)
		n.count++
	case !full && !after:
		n.lp.Insert(s, p, LpBefore)
		n.count++
	case full && atTail && availNext && after:
		n.next.lp.Prepend(s)
		n.next.count++
	case full && atHead && availPrev && !after:
		n.prev.lp.Append(s)
		n.prev.count++
	case full && (atTail && !availNext && after || atHead && !availPrev && !after):
		ql.insertNode(n, newNodeWith(s), after)
	default:
		// Full, in the middle: split the node around the entry.
		if off < 0 {
			off += n.count
		}
		nn := splitNode(n, off, after)
		if after {
			nn.lp.Prepend(s)
		} else {
			nn.lp.Append(s)
		}
		nn.count++
		ql.insertNode(n, nn, after)
		ql.mergeAround(n)
	}
	ql.count++
}

// QuicklistIter walks a quicklist from the head or from the tail; it may
// delete the element it is on (Delete) and go on. Any other change to the
// list invalidates it.
type QuicklistIter struct {
	ql      *Quicklist
	node    *qlNode
	p       int // position of the current entry in node.lp, -1 before the first Next
	offset  int // offset of the current entry in its node (as Redis's iter->offset)
	forward bool
	// resume is where Next continues after a Delete: the position of the
	// next entry in node (-1: none), or, when the node went away,
	// the node to start from.
	deleted    bool
	resumeP    int
	resumeNode *qlNode
}

// Iterator returns an iterator starting at the head (forward) or the tail.
func (ql *Quicklist) Iterator(forward bool) QuicklistIter {
	it := QuicklistIter{ql: ql, forward: forward, p: -1}
	if forward {
		it.node = ql.head
		it.offset = 0
	} else {
		it.node = ql.tail
		it.offset = -1
	}
	return it
}

// IteratorAt returns an iterator whose first Next yields element idx
// (negative counts from the tail); ok is false when idx is out of range.
func (ql *Quicklist) IteratorAt(idx int, forward bool) (QuicklistIter, bool) {
	n, off, ok := ql.locate(idx)
	if !ok {
		return QuicklistIter{}, false
	}
	return QuicklistIter{ql: ql, node: n, offset: off, forward: forward, p: -1}, true
}

// Next moves to the next element and reports whether there is one.
func (it *QuicklistIter) Next() bool {
	for it.node != nil {
		switch {
		case it.deleted:
			it.deleted = false
			if it.resumeNode != nil {
				it.node = it.resumeNode
				it.resumeNode = nil
				it.p = -1
				if it.forward {
					it.offset = 0
				} else {
					it.offset = -1
				}
				continue
			}
			it.p = it.resumeP
		case it.p < 0:
			it.p = it.node.lp.Seek(it.offset)
		case it.forward:
			it.p = it.node.lp.Next(it.p)
			it.offset++
		default:
			it.p = it.node.lp.Prev(it.p)
			it.offset--
		}
		if it.p >= 0 {
			return true
		}
		if it.forward {
			it.node = it.node.next
			it.offset = 0
		} else {
			it.node = it.node.prev
			it.offset = -1
		}
		it.p = -1
	}
	return false
}

// Value returns the current element: a view of its string bytes, or its
// integer.
func (it *QuicklistIter) Value() (s []byte, v int64, isInt bool) { return it.node.lp.Get(it.p) }

// AppendValue appends the string form of the current element to dst.
func (it *QuicklistIter) AppendValue(dst []byte) []byte { return it.node.lp.AppendValue(dst, it.p) }

// Equal reports whether the current element equals s.
func (it *QuicklistIter) Equal(s []byte) bool { return it.node.lp.Equal(it.p, s) }

// Delete removes the current element; the next call to Next yields the
// element after it in the iteration's direction (quicklistDelEntry).
func (it *QuicklistIter) Delete() {
	n := it.node
	prev, next := n.prev, n.next
	var prevP int
	if !it.forward {
		prevP = n.lp.Prev(it.p)
	}
	gone, nextP := it.ql.delIndex(n, it.p)
	it.deleted = true
	switch {
	case gone && it.forward:
		it.resumeNode = next
		it.node = next
	case gone:
		it.resumeNode = prev
		it.node = prev
	case it.forward:
		// The following entry moved to p; the offset stays.
		it.resumeP = nextP
		if nextP < 0 {
			it.resumeNode = next
		}
	default:
		// prevP is before the deleted entry and did not move; an
		// offset counted from the node's tail stays the same.
		it.resumeP = prevP
		if it.offset >= 0 {
			it.offset--
		}
		if prevP < 0 {
			it.resumeNode = prev
		}
	}
	if it.resumeNode != nil && it.node == n {
		it.node = it.resumeNode
	}
	if it.node == nil {
		it.deleted = false
	}
}

// InsertBefore inserts s before the current element. The iterator must not
// be used afterwards.
func (it *QuicklistIter) InsertBefore(s []byte) {
	it.ql.insert(it.node, it.p, it.offset, s, false)
	it.node = nil
}

// InsertAfter inserts s after the current element. The iterator must not
// be used afterwards.
func (it *QuicklistIter) InsertAfter(s []byte) {
	it.ql.insert(it.node, it.p, it.offset, s, true)
	it.node = nil
}

// Replace replaces the current element with s (quicklistReplaceEntry). The
// iterator must not be used afterwards.
func (it *QuicklistIter) Replace(s []byte) {
	it.node.lp.Replace(it.p, s)
	it.node = nil
}

// PopFunc removes the head (or tail) element after calling fn with its
// value (a view of its string bytes, valid during the call, or its
// integer); it reports false when the list is empty.
func (ql *Quicklist) PopFunc(head bool, fn func(s []byte, v int64, isInt bool)) bool {
	n := ql.tail
	if head {
		n = ql.head
	}
	if n == nil {
		return false
	}
	var p int
	if head {
		p = n.lp.First()
	} else {
		p = n.lp.Last()
	}
	fn(n.lp.Get(p))
	ql.delIndex(n, p)
	return true
}
