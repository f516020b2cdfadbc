// Package types holds the data structures the keyspace is made of: the
// chained hash table with incremental rehashing that backs every database and
// the hashtable encodings of hashes, sets and sorted sets (after Redis's
// dict.c), and the compact encodings of small collections.
//
// Nothing here is safe for concurrent use: every structure belongs to the
// event-loop goroutine that owns the keyspace.
package types

import (
	"hash/maphash"
	"math/bits"
	"math/rand/v2"
)

// seed is the process-wide hash seed; like Redis's siphash key it is random
// per process so that clients cannot choose colliding keys.
var seed = maphash.MakeSeed()

// Hash returns the hash of key used by every Dict.
func Hash(key string) uint64 { return maphash.String(seed, key) }

type dictEntry[V any] struct {
	key  string
	val  V
	next *dictEntry[V]
}

type dictTable[V any] struct {
	buckets []*dictEntry[V]
	mask    uint64
	used    int
}

// Dict is a hash table from string keys to values of type V, with Redis's
// incremental rehashing: a resize allocates a second table and moves one
// bucket at a time on later operations (and on Rehash from the cron), so no
// single operation pays for a whole resize. Its Scan follows dictScan's
// reverse-binary cursor, which returns every key present for the whole scan
// at least once, across resizes.
type Dict[V any] struct {
	ht        [2]dictTable[V]
	rehashIdx int // -1 when not rehashing
	// NoResize forbids growing beyond the load factor limit except when
	// the table is badly overloaded (Redis's dict_can_resize during a fork);
	// kept for parity, unused by default.
	NoResize bool
	// pauseRehash counts live safe iterators, which forbid rehash steps.
	pauseRehash int
}

const dictInitialSize = 4

// NewDict returns an empty Dict.
func NewDict[V any]() *Dict[V] { return &Dict[V]{rehashIdx: -1} }

// Len returns the number of entries.
func (d *Dict[V]) Len() int { return d.ht[0].used + d.ht[1].used }

// Buckets returns the total number of buckets of both tables.
func (d *Dict[V]) Buckets() int { return len(d.ht[0].buckets) + len(d.ht[1].buckets) }

// IsRehashing reports whether an incremental rehash is in progress.
func (d *Dict[V]) IsRehashing() bool { return d.rehashIdx != -1 }

// Rehash moves up to n buckets to the new table, visiting at most 10*n empty
// buckets. It reports whether there is more to move.
func (d *Dict[V]) Rehash(n int) bool {
	if !d.IsRehashing() || d.pauseRehash > 0 {
		return false
	}
	emptyVisits := n * 10
	for ; n > 0 && d.ht[0].used != 0; n-- {
		for d.ht[0].buckets[d.rehashIdx] == nil {
			d.rehashIdx++
			if emptyVisits--; emptyVisits == 0 {
				return true
			}
		}
		e := d.ht[0].buckets[d.rehashIdx]
		for e != nil {
			next := e.next
			h := Hash(e.key) & d.ht[1].mask
			e.next = d.ht[1].buckets[h]
			d.ht[1].buckets[h] = e
			d.ht[0].used--
			d.ht[1].used++
			e = next
		}
		d.ht[0].buckets[d.rehashIdx] = nil
		d.rehashIdx++
	}
	if d.ht[0].used == 0 {
		d.ht[0] = d.ht[1]
		d.ht[1] = dictTable[V]{}
		d.rehashIdx = -1
		return false
	}
	return true
}

func (d *Dict[V]) rehashStep() {
	if d.pauseRehash == 0 {
		d.Rehash(1)
	}
}

func nextPower(n int) int {
	if n < dictInitialSize {
		return dictInitialSize
	}
	return 1 << bits.Len(uint(n-1))
}

// resize starts a rehash into a table of at least size buckets.
func (d *Dict[V]) resize(size int) {
	if d.IsRehashing() {
		return
	}
	size = nextPower(size)
	if size == len(d.ht[0].buckets) {
		return
	}
	t := dictTable[V]{buckets: make([]*dictEntry[V], size), mask: uint64(size - 1)}
	if d.ht[0].buckets == nil {
		d.ht[0] = t
		return
	}
	d.ht[1] = t
	d.rehashIdx = 0
}

func (d *Dict[V]) expandIfNeeded() {
	if d.IsRehashing() {
		return
	}
	if len(d.ht[0].buckets) == 0 {
		d.resize(dictInitialSize)
		return
	}
	if d.ht[0].used >= len(d.ht[0].buckets) && (!d.NoResize || d.ht[0].used/len(d.ht[0].buckets) > 5) {
		d.resize(d.ht[0].used + 1)
	}
}

// ShrinkIfNeeded starts shrinking the table when it is less than 10% full,
// as Redis's htNeedsResize/tryResizeHashTables do from the cron.
func (d *Dict[V]) ShrinkIfNeeded() {
	size := len(d.ht[0].buckets)
	if d.IsRehashing() || size <= dictInitialSize {
		return
	}
	if d.ht[0].used*100/size < 10 {
		d.resize(d.ht[0].used)
	}
}

func (d *Dict[V]) find(key string) *dictEntry[V] {
	if d.Len() == 0 {
		return nil
	}
	if d.IsRehashing() {
		d.rehashStep()
	}
	h := Hash(key)
	for t := 0; t <= 1; t++ {
		tb := &d.ht[t]
		if tb.buckets == nil {
			break
		}
		for e := tb.buckets[h&tb.mask]; e != nil; e = e.next {
			if e.key == key {
				return e
			}
		}
		if !d.IsRehashing() {
			break
		}
	}
	return nil
}

// Find returns a pointer to the value stored under key, or nil. The pointer
// stays valid until the key is deleted; key itself is not retained, so a
// caller may pass a string that aliases a reused buffer.
func (d *Dict[V]) Find(key string) *V {
	if e := d.find(key); e != nil {
		return &e.val
	}
	return nil
}

// FindKey is Find that also returns the stored copy of the key.
func (d *Dict[V]) FindKey(key string) (string, *V) {
	if e := d.find(key); e != nil {
		return e.key, &e.val
	}
	return "", nil
}

// Add inserts key with val if absent and returns a pointer to the stored
// value and true; if key exists it returns the existing value and false.
// key is retained when inserted: it must not alias a reused buffer.
func (d *Dict[V]) Add(key string, val V) (*V, bool) {
	if d.IsRehashing() {
		d.rehashStep()
	}
	if e := d.find(key); e != nil {
		return &e.val, false
	}
	d.expandIfNeeded()
	t := 0
	if d.IsRehashing() {
		t = 1
	}
	tb := &d.ht[t]
	h := Hash(key) & tb.mask
	e := &dictEntry[V]{key: key, val: val, next: tb.buckets[h]}
	tb.buckets[h] = e
	tb.used++
	return &e.val, true
}

// Set stores val under key, replacing any existing value; it reports
// whether the key was new.
func (d *Dict[V]) Set(key string, val V) bool {
	p, added := d.Add(key, val)
	if !added {
		*p = val
	}
	return added
}

// Delete removes key and returns its value and true, or the zero V and false.
func (d *Dict[V]) Delete(key string) (V, bool) {
	var zero V
	if d.Len() == 0 {
		return zero, false
	}
	if d.IsRehashing() {
		d.rehashStep()
	}
	h := Hash(key)
	for t := 0; t <= 1; t++ {
		tb := &d.ht[t]
		if tb.buckets == nil {
			break
		}
		idx := h & tb.mask
		var prev *dictEntry[V]
		for e := tb.buckets[idx]; e != nil; e = e.next {
			if e.key == key {
				if prev == nil {
					tb.buckets[idx] = e.next
				} else {
					prev.next = e.next
				}
				tb.used--
				v := e.val
				e.next = nil
				return v, true
			}
			prev = e
		}
		if !d.IsRehashing() {
			break
		}
	}
	return zero, false
}

// Clear empties the dict.
func (d *Dict[V]) Clear() {
	d.ht[0] = dictTable[V]{}
	d.ht[1] = dictTable[V]{}
	d.rehashIdx = -1
}

// RandomKey returns a random key and its value, fairly enough for Redis's
// purposes (RANDOMKEY, eviction and expiry sampling): a random non-empty
// bucket, then a random entry of its chain. ok is false when empty.
func (d *Dict[V]) RandomKey() (key string, val *V, ok bool) {
	if d.Len() == 0 {
		return "", nil, false
	}
	if d.IsRehashing() {
		d.rehashStep()
	}
	var e *dictEntry[V]
	if d.IsRehashing() {
		s0 := len(d.ht[0].buckets)
		for e == nil {
			// Buckets below rehashIdx in table 0 are empty.
			i := d.rehashIdx + rand.IntN(s0+len(d.ht[1].buckets)-d.rehashIdx)
			if i >= s0 {
				e = d.ht[1].buckets[i-s0]
			} else {
				e = d.ht[0].buckets[i]
			}
		}
	} else {
		for e == nil {
			e = d.ht[0].buckets[rand.Uint64()&d.ht[0].mask]
		}
	}
	n := 0
	for c := e; c != nil; c = c.next {
		n++
	}
	for i := rand.IntN(n); i > 0; i-- {
		e = e.next
	}
	return e.key, &e.val, true
}

func rev(v uint64) uint64 { return bits.Reverse64(v) }

// Scan calls fn for the entries of the bucket(s) at cursor and returns the
// next cursor, 0 when the iteration is complete (dictScan's algorithm: the
// cursor's high bits are incremented, so it stays valid when the table grows
// or shrinks between calls).
func (d *Dict[V]) Scan(cursor uint64, fn func(key string, val *V)) uint64 {
	if d.Len() == 0 {
		return 0
	}
	d.pauseRehash++
	defer func() { d.pauseRehash-- }()
	emit := func(tb *dictTable[V], idx uint64) {
		for e := tb.buckets[idx]; e != nil; {
			next := e.next
			fn(e.key, &e.val)
			e = next
		}
	}
	if !d.IsRehashing() {
		t0 := &d.ht[0]
		m0 := t0.mask
		emit(t0, cursor&m0)
		cursor |= ^m0
		cursor = rev(cursor)
		cursor++
		cursor = rev(cursor)
		return cursor
	}
	t0, t1 := &d.ht[0], &d.ht[1]
	if len(t0.buckets) > len(t1.buckets) {
		t0, t1 = t1, t0
	}
	m0, m1 := t0.mask, t1.mask
	emit(t0, cursor&m0)
	for {
		emit(t1, cursor&m1)
		cursor |= ^m1
		cursor = rev(cursor)
		cursor++
		cursor = rev(cursor)
		if cursor&(m0^m1) == 0 {
			break
		}
	}
	return cursor
}

// Range calls fn for every entry until fn returns false. fn may delete the
// entry it is given but must not otherwise change the dict.
func (d *Dict[V]) Range(fn func(key string, val *V) bool) {
	d.pauseRehash++
	defer func() { d.pauseRehash-- }()
	for t := 0; t <= 1; t++ {
		tb := &d.ht[t]
		for i := range tb.buckets {
			for e := tb.buckets[i]; e != nil; {
				next := e.next
				if !fn(e.key, &e.val) {
					return
				}
				e = next
			}
		}
	}
}

// PauseRehash stops rehash steps (Rehash included) until the matching
// ResumeRehash, so that every entry stays in the bucket it is in: an
// iteration by bucket position that spans many loop iterations (a
// background RDB snapshot) relies on it. Adds and deletes still work;
// a table that must grow meanwhile grows into the second table only.
func (d *Dict[V]) PauseRehash() { d.pauseRehash++ }

// ResumeRehash undoes one PauseRehash.
func (d *Dict[V]) ResumeRehash() { d.pauseRehash-- }

// TableLen returns the number of buckets of table t (0 or 1; table 1 is
// in use while rehashing).
func (d *Dict[V]) TableLen(t int) int { return len(d.ht[t].buckets) }

// RangeBucket calls fn for every entry of bucket i of table t. fn may
// delete the entry it is given but must not otherwise change the dict.
func (d *Dict[V]) RangeBucket(t, i int, fn func(key string, val *V)) {
	if i >= len(d.ht[t].buckets) {
		return
	}
	for e := d.ht[t].buckets[i]; e != nil; {
		next := e.next
		fn(e.key, &e.val)
		e = next
	}
}

// Locate returns the table and bucket that hold key, and false when key is
// absent. It takes no rehash step.
func (d *Dict[V]) Locate(key string) (t, i int, ok bool) {
	if d.Len() == 0 {
		return 0, 0, false
	}
	h := Hash(key)
	for t := 0; t <= 1; t++ {
		tb := &d.ht[t]
		if tb.buckets == nil {
			break
		}
		idx := h & tb.mask
		for e := tb.buckets[idx]; e != nil; e = e.next {
			if e.key == key {
				return t, int(idx), true
			}
		}
		if !d.IsRehashing() {
			break
		}
	}
	return 0, 0, false
}

// Expand sizes an empty dict for n entries at once (dictExpand), so that
// filling it (loading a file that announces its size) needs no rehashing.
// It does nothing to a dict that holds entries.
func (d *Dict[V]) Expand(n int) {
	if d.Len() == 0 && !d.IsRehashing() && n > len(d.ht[0].buckets) {
		d.ht[0] = dictTable[V]{}
		d.resize(n)
	}
}
