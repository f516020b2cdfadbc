package types

import (
	"math/bits"
	"math/rand/v2"
	"unsafe"
)

// ZSkiplistMaxLevel is the maximum number of levels of a skiplist node
// (ZSKIPLIST_MAXLEVEL); each level above the first is taken with
// probability 1/4 (ZSKIPLIST_P).
const ZSkiplistMaxLevel = 32

// ZslLevel is one level of a skiplist node: the next node at that level and
// the number of nodes it skips (span), which makes rank queries O(log N).
type ZslLevel struct {
	forward *ZslNode
	span    int
}

// ZslNode is one element of a Skiplist: its member, its score, the previous
// node (level 0) and its levels.
//
// A node is one allocation sized for its levels: the level array continues
// past the end of the struct (zslNodeN), as Redis's flexible array member,
// so a node of one level is 48 bytes and no node carries a slice header.
// A node's level count is not stored: a level is only ever reached through
// a pointer at that level, which only a node that tall has.
type ZslNode struct {
	// Ele is the member. The sorted set's dict shares its bytes.
	Ele      string
	Score    float64
	backward *ZslNode
	level    [1]ZslLevel
}

// zslNodeN is a node with 1+len(A) levels.
type zslNodeN[A any] struct {
	ZslNode
	more A
}

// lvl returns the i-th level of n; the node must have more than i levels.
func (n *ZslNode) lvl(i int) *ZslLevel {
	return (*ZslLevel)(unsafe.Add(unsafe.Pointer(&n.level[0]), uintptr(i)*unsafe.Sizeof(ZslLevel{})))
}

// Next returns the following node in ascending order, or nil.
func (n *ZslNode) Next() *ZslNode { return n.level[0].forward }

// Prev returns the preceding node, or nil.
func (n *ZslNode) Prev() *ZslNode { return n.backward }

// newZslNode allocates a node of the given number of levels.
func newZslNode(level int) *ZslNode {
	switch level {
	case 1:
		return new(ZslNode)
	case 2:
		return &new(zslNodeN[[1]ZslLevel]).ZslNode
	case 3:
		return &new(zslNodeN[[2]ZslLevel]).ZslNode
	case 4:
		return &new(zslNodeN[[3]ZslLevel]).ZslNode
	case 5:
		return &new(zslNodeN[[4]ZslLevel]).ZslNode
	case 6:
		return &new(zslNodeN[[5]ZslLevel]).ZslNode
	case 7:
		return &new(zslNodeN[[6]ZslLevel]).ZslNode
	case 8:
		return &new(zslNodeN[[7]ZslLevel]).ZslNode
	case 9:
		return &new(zslNodeN[[8]ZslLevel]).ZslNode
	case 10:
		return &new(zslNodeN[[9]ZslLevel]).ZslNode
	case 11:
		return &new(zslNodeN[[10]ZslLevel]).ZslNode
	case 12:
		return &new(zslNodeN[[11]ZslLevel]).ZslNode
	case 13:
		return &new(zslNodeN[[12]ZslLevel]).ZslNode
	case 14:
		return &new(zslNodeN[[13]ZslLevel]).ZslNode
	case 15:
		return &new(zslNodeN[[14]ZslLevel]).ZslNode
	case 16:
		return &new(zslNodeN[[15]ZslLevel]).ZslNode
	case 17:
		return &new(zslNodeN[[16]ZslLevel]).ZslNode
	case 18:
		return &new(zslNodeN[[17]ZslLevel]).ZslNode
	case 19:
		return &new(zslNodeN[[18]ZslLevel]).ZslNode
	case 20:
		return &new(zslNodeN[[19]ZslLevel]).ZslNode
	case 21:
		return &new(zslNodeN[[20]ZslLevel]).ZslNode
	case 22:
		return &new(zslNodeN[[21]ZslLevel]).ZslNode
	case 23:
		return &new(zslNodeN[[22]ZslLevel]).ZslNode
	case 24:
		return &new(zslNodeN[[23]ZslLevel]).ZslNode
	case 25:
		return &new(zslNodeN[[24]ZslLevel]).ZslNode
	case 26:
		return &new(zslNodeN[[25]ZslLevel]).ZslNode
	case 27:
		return &new(zslNodeN[[26]ZslLevel]).ZslNode
	case 28:
		return &new(zslNodeN[[27]ZslLevel]).ZslNode
	case 29:
		return &new(zslNodeN[[28]ZslLevel]).ZslNode
	case 30:
		return &new(zslNodeN[[29]ZslLevel]).ZslNode
	case 31:
		return &new(zslNodeN[[30]ZslLevel]).ZslNode
	case 32:
		return &new(zslNodeN[[31]ZslLevel]).ZslNode
	}
	panic("skiplist: bad level")
}

// Skiplist is Redis's zskiplist (t_zset.c): nodes ordered by score, then by
// member bytes, with backward pointers and level spans, so that insertion,
// deletion, rank and range lookups are O(log N).
type Skiplist struct {
	header *ZslNode
	tail   *ZslNode
	length int
	level  int
}

// NewSkiplist returns an empty skiplist.
func NewSkiplist() *Skiplist {
	return &Skiplist{header: newZslNode(ZSkiplistMaxLevel), level: 1}
}

// Len returns the number of nodes.
func (zsl *Skiplist) Len() int { return zsl.length }

// First returns the node of lowest rank, or nil.
func (zsl *Skiplist) First() *ZslNode { return zsl.header.level[0].forward }

// Last returns the node of highest rank, or nil.
func (zsl *Skiplist) Last() *ZslNode { return zsl.tail }

// randomLevel returns a level between 1 and ZSkiplistMaxLevel, each extra
// level with probability 1/4: a pair of zero bits of a random word per
// level.
func randomLevel() int {
	level := 1 + bits.TrailingZeros64(rand.Uint64())/2
	return min(level, ZSkiplistMaxLevel)
}

// before reports whether node x sorts before (score, ele).
func before(x *ZslNode, score float64, ele string) bool {
	return x.Score < score || x.Score == score && x.Ele < ele
}

// Insert adds a node for (score, ele) and returns it. The member must not
// be in the list already (the caller checks its dict); score must not be
// NaN. ele is retained.
func (zsl *Skiplist) Insert(score float64, ele string) *ZslNode {
	var update [ZSkiplistMaxLevel]*ZslNode
	var rank [ZSkiplistMaxLevel]int
	x := zsl.header
	for i := zsl.level - 1; i >= 0; i-- {
		if i != zsl.level-1 {
			rank[i] = rank[i+1]
		}
		for {
			l := x.lvl(i)
			if l.forward == nil || !before(l.forward, score, ele) {
				break
			}
			rank[i] += l.span
			x = l.forward
		}
		update[i] = x
	}
	level := randomLevel()
	if level > zsl.level {
		for i := zsl.level; i < level; i++ {
			rank[i] = 0
			update[i] = zsl.header
			update[i].lvl(i).span = zsl.length
		}
		zsl.level = level
	}
	x = newZslNode(level)
	x.Score = score
	x.Ele = ele
	for i := 0; i < level; i++ {
		xl, ul := x.lvl(i), update[i].lvl(i)
		xl.forward = ul.forward
		ul.forward = x
		xl.span = ul.span - (rank[0] - rank[i])
		ul.span = rank[0] - rank[i] + 1
	}
	for i := level; i < zsl.level; i++ {
		update[i].lvl(i).span++
	}
	if update[0] != zsl.header {
		x.backward = update[0]
	}
	if x.level[0].forward != nil {
		x.level[0].forward.backward = x
	} else {
		zsl.tail = x
	}
	zsl.length++
	return x
}

// deleteNode unlinks x given the update vector of its predecessors.
func (zsl *Skiplist) deleteNode(x *ZslNode, update *[ZSkiplistMaxLevel]*ZslNode) {
	for i := 0; i < zsl.level; i++ {
		ul := update[i].lvl(i)
		if ul.forward == x {
			xl := x.lvl(i)
			ul.span += xl.span - 1
			ul.forward = xl.forward
		} else {
			ul.span--
		}
	}
	if next := x.level[0].forward; next != nil {
		next.backward = x.backward
	} else {
		zsl.tail = x.backward
	}
	for zsl.level > 1 && zsl.header.lvl(zsl.level-1).forward == nil {
		zsl.level--
	}
	zsl.length--
}

// findUpdate fills update with the last node before (score, ele) at every
// level and returns the level-0 successor of the last one.
func (zsl *Skiplist) findUpdate(score float64, ele string, update *[ZSkiplistMaxLevel]*ZslNode) *ZslNode {
	x := zsl.header
	for i := zsl.level - 1; i >= 0; i-- {
		for {
			f := x.lvl(i).forward
			if f == nil || !before(f, score, ele) {
				break
			}
			x = f
		}
		update[i] = x
	}
	return x.level[0].forward
}

// Delete removes the node of (score, ele) and reports whether it was found.
func (zsl *Skiplist) Delete(score float64, ele string) bool {
	var update [ZSkiplistMaxLevel]*ZslNode
	x := zsl.findUpdate(score, ele, &update)
	if x != nil && x.Score == score && x.Ele == ele {
		zsl.deleteNode(x, &update)
		return true
	}
	return false
}

// UpdateScore changes the score of the existing node (curscore, ele) to
// newscore and returns the node holding it: the same node when its position
// does not change, otherwise a new one (zslUpdateScore).
func (zsl *Skiplist) UpdateScore(curscore float64, ele string, newscore float64) *ZslNode {
	var update [ZSkiplistMaxLevel]*ZslNode
	x := zsl.findUpdate(curscore, ele, &update)
	if x == nil || x.Score != curscore || x.Ele != ele {
		panic("skiplist: UpdateScore of a missing element")
	}
	if (x.backward == nil || x.backward.Score < newscore) &&
		(x.level[0].forward == nil || x.level[0].forward.Score > newscore) {
		x.Score = newscore
		return x
	}
	zsl.deleteNode(x, &update)
	n := zsl.Insert(newscore, x.Ele)
	x.Ele = ""
	return n
}

// RangeSpec is a score range (zrangespec): Min and Max, each inclusive
// unless MinEx/MaxEx.
type RangeSpec struct {
	Min, Max     float64
	MinEx, MaxEx bool
}

// GteMin reports whether v is at or above the range's minimum.
func (r *RangeSpec) GteMin(v float64) bool {
	if r.MinEx {
		return v > r.Min
	}
	return v >= r.Min
}

// LteMax reports whether v is at or below the range's maximum.
func (r *RangeSpec) LteMax(v float64) bool {
	if r.MaxEx {
		return v < r.Max
	}
	return v <= r.Max
}

// Empty reports whether no value can be in the range.
func (r *RangeSpec) Empty() bool {
	return r.Min > r.Max || r.Min == r.Max && (r.MinEx || r.MaxEx)
}

// Lex bound kinds: a normal string, or Redis's shared.minstring ("-") and
// shared.maxstring ("+"), below and above every string.
const (
	LexNormal = 0
	LexMinus  = -1
	LexPlus   = 1
)

// LexRangeSpec is a lexicographic range (zlexrangespec) of member strings.
type LexRangeSpec struct {
	Min, Max         string
	MinKind, MaxKind int8
	MinEx, MaxEx     bool
}

// cmpLex compares a string to a bound as sdscmplex does.
func cmpLex(v string, kind int8, b string) int {
	switch kind {
	case LexMinus:
		return 1
	case LexPlus:
		return -1
	}
	switch {
	case v < b:
		return -1
	case v > b:
		return 1
	}
	return 0
}

// GteMin reports whether v is at or above the range's minimum.
func (r *LexRangeSpec) GteMin(v string) bool {
	c := cmpLex(v, r.MinKind, r.Min)
	if r.MinEx {
		return c > 0
	}
	return c >= 0
}

// LteMax reports whether v is at or below the range's maximum.
func (r *LexRangeSpec) LteMax(v string) bool {
	c := cmpLex(v, r.MaxKind, r.Max)
	if r.MaxEx {
		return c < 0
	}
	return c <= 0
}

// Empty reports whether no string can be in the range (sdscmplex of the
// bounds, sentinels included).
func (r *LexRangeSpec) Empty() bool {
	var c int
	switch {
	case r.MinKind == r.MaxKind && r.MinKind != LexNormal:
		c = 0
	case r.MinKind == LexMinus || r.MaxKind == LexPlus:
		c = -1
	case r.MinKind == LexPlus || r.MaxKind == LexMinus:
		c = 1
	default:
		c = cmpLex(r.Min, LexNormal, r.Max)
	}
	return c > 0 || c == 0 && (r.MinEx || r.MaxEx)
}

// ZRange is a range of members: by score, or (Lex) by member bytes. Redis
// walks a skiplist for a score range and for a lex range alike
// (zslFirstInRange and zslFirstInLexRange, zslDeleteRangeByScore and
// zslDeleteRangeByLex …), the comparison aside; here one walk takes either,
// comparing through ZRange. (A struct, not an interface: a range passed as
// an interface would escape to the heap, and the comparisons could not be
// inlined.)
type ZRange struct {
	Lex     bool
	ByScore RangeSpec
	ByLex   LexRangeSpec
}

// Empty reports whether no member can be in the range.
func (r *ZRange) Empty() bool {
	if r.Lex {
		return r.ByLex.Empty()
	}
	return r.ByScore.Empty()
}

// gteMin reports whether x is at or above the range's minimum.
func (r *ZRange) gteMin(x *ZslNode) bool {
	if r.Lex {
		return r.ByLex.GteMin(x.Ele)
	}
	return r.ByScore.GteMin(x.Score)
}

// lteMax reports whether x is at or below the range's maximum.
func (r *ZRange) lteMax(x *ZslNode) bool {
	if r.Lex {
		return r.ByLex.LteMax(x.Ele)
	}
	return r.ByScore.LteMax(x.Score)
}

// IsInRange reports whether part of the list may fall in r.
func (zsl *Skiplist) IsInRange(r *ZRange) bool {
	if r.Empty() {
		return false
	}
	if zsl.tail == nil || !r.gteMin(zsl.tail) {
		return false
	}
	first := zsl.header.level[0].forward
	return first != nil && r.lteMax(first)
}

// lastBelow returns the last node below the minimum of r (the header when
// none), filling update, when not nil, with the last such node at every
// level.
func (zsl *Skiplist) lastBelow(r *ZRange, update *[ZSkiplistMaxLevel]*ZslNode) *ZslNode {
	x := zsl.header
	for i := zsl.level - 1; i >= 0; i-- {
		for {
			f := x.lvl(i).forward
			if f == nil || r.gteMin(f) {
				break
			}
			x = f
		}
		if update != nil {
			update[i] = x
		}
	}
	return x
}

// FirstInRange returns the first node in r, or nil.
func (zsl *Skiplist) FirstInRange(r *ZRange) *ZslNode {
	if !zsl.IsInRange(r) {
		return nil
	}
	x := zsl.lastBelow(r, nil).level[0].forward
	if x == nil || !r.lteMax(x) {
		return nil
	}
	return x
}

// LastInRange returns the last node in r, or nil.
func (zsl *Skiplist) LastInRange(r *ZRange) *ZslNode {
	if !zsl.IsInRange(r) {
		return nil
	}
	x := zsl.header
	for i := zsl.level - 1; i >= 0; i-- {
		for {
			f := x.lvl(i).forward
			if f == nil || !r.lteMax(f) {
				break
			}
			x = f
		}
	}
	if x == zsl.header || !r.gteMin(x) {
		return nil
	}
	return x
}

// DeleteInRange removes the nodes in r, calling del with each removed
// member, and returns how many were removed (zslDeleteRangeByScore,
// zslDeleteRangeByLex).
func (zsl *Skiplist) DeleteInRange(r *ZRange, del func(ele string)) int {
	var update [ZSkiplistMaxLevel]*ZslNode
	x := zsl.lastBelow(r, &update).level[0].forward
	removed := 0
	for x != nil && r.lteMax(x) {
		next := x.level[0].forward
		zsl.deleteNode(x, &update)
		del(x.Ele)
		removed++
		x = next
	}
	return removed
}

// DeleteRangeByRank removes the nodes of ranks start..end (1-based,
// inclusive), calling del with each removed member, and returns how many
// were removed.
func (zsl *Skiplist) DeleteRangeByRank(start, end int, del func(ele string)) int {
	var update [ZSkiplistMaxLevel]*ZslNode
	traversed := 0
	x := zsl.header
	for i := zsl.level - 1; i >= 0; i-- {
		for {
			l := x.lvl(i)
			if l.forward == nil || traversed+l.span >= start {
				break
			}
			traversed += l.span
			x = l.forward
		}
		update[i] = x
	}
	traversed++
	x = x.level[0].forward
	removed := 0
	for x != nil && traversed <= end {
		next := x.level[0].forward
		zsl.deleteNode(x, &update)
		del(x.Ele)
		removed++
		traversed++
		x = next
	}
	return removed
}

// GetRank returns the 1-based rank of (score, ele), or 0 when absent.
func (zsl *Skiplist) GetRank(score float64, ele string) int {
	rank := 0
	x := zsl.header
	for i := zsl.level - 1; i >= 0; i-- {
		for {
			l := x.lvl(i)
			f := l.forward
			if f == nil || !(f.Score < score || f.Score == score && f.Ele <= ele) {
				break
			}
			rank += l.span
			x = f
		}
		if x != zsl.header && x.Score == score && x.Ele == ele {
			return rank
		}
	}
	return 0
}

// GetElementByRank returns the node of the 1-based rank, or nil.
func (zsl *Skiplist) GetElementByRank(rank int) *ZslNode {
	traversed := 0
	x := zsl.header
	for i := zsl.level - 1; i >= 0; i-- {
		for {
			l := x.lvl(i)
			if l.forward == nil || traversed+l.span > rank {
				break
			}
			traversed += l.span
			x = l.forward
		}
		if traversed == rank {
			if x == zsl.header {
				return nil
			}
			return x
		}
	}
	return nil
}

// Zset is the skiplist encoding of a sorted set: the skiplist orders the
// members, the dict maps each member to its score. Both share each member's
// bytes.
type Zset struct {
	Dict *Dict[float64]
	Zsl  *Skiplist
}

// NewZset returns an empty sorted set.
func NewZset() *Zset { return &Zset{Dict: NewDict[float64](), Zsl: NewSkiplist()} }

// Len returns the number of members.
func (z *Zset) Len() int { return z.Zsl.length }

// Score returns the score of ele.
func (z *Zset) Score(ele string) (float64, bool) {
	if p := z.Dict.Find(ele); p != nil {
		return *p, true
	}
	return 0, false
}

// Insert adds ele, which must be absent, with score. ele is retained: it
// must not alias a reused buffer.
func (z *Zset) Insert(ele string, score float64) {
	z.Zsl.Insert(score, ele)
	z.Dict.Add(ele, score)
}

// Update changes the score of ele, present with score cur, to score.
func (z *Zset) Update(ele string, cur, score float64) {
	// The skiplist keeps the dict's copy of the member, never ele, which
	// may alias a request buffer.
	key, p := z.Dict.FindKey(ele)
	z.Zsl.UpdateScore(cur, key, score)
	*p = score
}

// Lookup returns the dict's copy of ele and a pointer to its score, or
// nil when absent; with UpdateAt it updates a score with one lookup.
func (z *Zset) Lookup(ele string) (string, *float64) { return z.Dict.FindKey(ele) }

// UpdateAt changes to score the score of the member key, whose score
// pointer p Lookup returned.
func (z *Zset) UpdateAt(key string, p *float64, score float64) {
	z.Zsl.UpdateScore(*p, key, score)
	*p = score
}

// Remove deletes ele and reports whether it was present.
func (z *Zset) Remove(ele string) bool {
	score, ok := z.Dict.Delete(ele)
	if !ok {
		return false
	}
	z.Zsl.Delete(score, ele)
	return true
}

// Rank returns the 0-based rank of ele, counted from the highest score when
// reverse, or -1 when absent.
func (z *Zset) Rank(ele string, reverse bool) int {
	score, ok := z.Score(ele)
	if !ok {
		return -1
	}
	r := z.Zsl.GetRank(score, ele)
	if reverse {
		return z.Zsl.length - r
	}
	return r - 1
}

// DeleteFn returns a function that removes a member from the dict, for the
// DeleteRange* methods of the skiplist.
func (z *Zset) DeleteFn() func(string) {
	return func(ele string) { z.Dict.Delete(ele) }
}
