package cmds

import (
	"bytes"
	"math"
	"slices"
	"strconv"
	"unsafe"

	"github.com/redisfs/redisfs/core/types"
)

// SORT and SORT_RO, after Redis 7.0's sort.c: sort the elements of a list,
// set or sorted set numerically or (ALPHA) as strings, optionally by the
// values of other keys (BY pattern, hash fields with "key*->field"), with
// LIMIT, GET patterns and STORE into a list.

// sortObj is one element being sorted (redisSortObject): the element, and
// either its numeric score or, for ALPHA BY, the value it sorts by.
type sortObj struct {
	obj    []byte
	score  float64
	cmpobj []byte
	hasCmp bool
}

// lookupKeyByPattern returns the value that pattern names for subst, as
// Redis's lookupKeyByPattern: "#" is subst itself; otherwise the first '*'
// of the pattern is replaced by subst to make a key name, and when "->"
// follows the '*' (with a field name after it) the key must be a hash and
// the value is that field's. A missing key, a field absent, a value of the
// wrong type or a pattern without '*' give nil. The pattern is read as a C
// string (it ends at a NUL byte) for '*' and "->", but its bytes are copied
// by length, as Redis does.
func lookupKeyByPattern(c *Client, pattern, subst []byte) ([]byte, bool) {
	if len(pattern) >= 1 && pattern[0] == '#' && (len(pattern) == 1 || pattern[1] == 0) {
		return subst, true
	}
	cpat := pattern
	if i := bytes.IndexByte(cpat, 0); i >= 0 {
		cpat = cpat[:i]
	}
	p := bytes.IndexByte(cpat, '*')
	if p < 0 {
		return nil, false
	}
	fieldlen := 0
	var field []byte
	if f := bytes.Index(cpat[p+1:], []byte("->")); f >= 0 {
		f += p + 1
		if f+2 < len(cpat) {
			fieldlen = len(pattern) - f - 2
			field = pattern[f+2:]
		}
	}
	postfixlen := len(pattern) - (p + 1)
	if fieldlen > 0 {
		postfixlen -= fieldlen + 2
	}
	key := make([]byte, 0, p+len(subst)+postfixlen)
	key = append(key, pattern[:p]...)
	key = append(key, subst...)
	key = append(key, pattern[p+1:p+1+postfixlen]...)
	o := c.lookupKeyRead(key)
	if o == nil {
		return nil, false
	}
	if fieldlen > 0 {
		if o.typ != TypeHash {
			return nil, false
		}
		return sortHashField(o, field)
	}
	if o.typ != TypeString {
		return nil, false
	}
	return o.appendString(nil), true
}

// sortHashField returns the value of field in the hash o, for BY and GET
// patterns with "->".
func sortHashField(o *Object, field []byte) ([]byte, bool) {
	s, v, isInt, found := hashTypeGetValue(o, field)
	if !found {
		return nil, false
	}
	if isInt {
		return strconv.AppendInt(nil, v, 10), true
	}
	return append([]byte(nil), s...), true
}

// sortListRange calls fn with the elements of the list o from index start
// on, towards the tail, or towards the head when reverse, until fn
// returns false.
func sortListRange(o *Object, start int, reverse bool, fn func(e []byte) bool) {
	it, ok := listQL(o).IteratorAt(start, !reverse)
	if !ok {
		return
	}
	var buf [24]byte
	for it.Next() {
		s, v, isInt := it.Value()
		if isInt {
			s = strconv.AppendInt(buf[:0], v, 10)
		}
		if !fn(s) {
			return
		}
	}
}

// sortNewList returns a list of elems for SORT ... STORE. Like Redis 7.0's
// createQuicklistObject it has the default node size, whatever
// list-max-listpack-size says.
func sortNewList(elems [][]byte) Object {
	ql := types.NewQuicklist(-2)
	for _, e := range elems {
		ql.PushTail(e)
	}
	return newObject(TypeList, EncQuicklist, unsafe.Pointer(ql))
}

// sortCommandGeneric implements SORT and SORT_RO (readonly: no STORE).
func sortCommandGeneric(c *Client, readonly bool) {
	srv := c.srv
	argv := c.argv
	desc, alpha, dontsort := false, false, false
	var limitStart int64
	limitCount := int64(-1)
	var sortby, storekey []byte
	var getops [][]byte
	for j := 2; j < len(argv); j++ {
		leftargs := len(argv) - j - 1
		switch {
		case optIs(argv[j], "asc"):
			desc = false
		case optIs(argv[j], "desc"):
			desc = true
		case optIs(argv[j], "alpha"):
			alpha = true
		case optIs(argv[j], "limit") && leftargs >= 2:
			var ok bool
			if limitStart, ok = getLongFromArgOrReply(c, argv[j+1], ""); !ok {
				return
			}
			if limitCount, ok = getLongFromArgOrReply(c, argv[j+2], ""); !ok {
				return
			}
			j += 2
		case !readonly && optIs(argv[j], "store") && leftargs >= 1:
			storekey = argv[j+1]
			j++
		case optIs(argv[j], "by") && leftargs >= 1:
			sortby = argv[j+1]
			// A pattern without '*' is constant: nothing to sort by.
			if bytes.IndexByte(cstr(sortby), '*') < 0 {
				dontsort = true
			}
			j++
		case optIs(argv[j], "get") && leftargs >= 1:
			getops = append(getops, argv[j+1])
			j++
		default:
			c.addReplySyntaxError()
			return
		}
	}

	sortval := c.lookupKeyRead(argv[1])
	if sortval != nil && sortval.typ != TypeSet && sortval.typ != TypeList && sortval.typ != TypeZSet {
		c.addReplyWrongType()
		return
	}
	// A set sorted BY a constant would come out in hash order: when the
	// result is stored, sort it ALPHA so replicas agree.
	if sortval != nil && dontsort && sortval.typ == TypeSet && storekey != nil {
		dontsort = false
		alpha = true
		sortby = nil
	}
	// Like Redis, SORT converts a listpack sorted set to a skiplist.
	if sortval != nil && sortval.typ == TypeZSet {
		zsetConvert(sortval, encSkiplist)
	}

	vectorlen := 0
	if sortval != nil {
		switch sortval.typ {
		case TypeList:
			vectorlen = listQL(sortval).Len()
		case TypeSet:
			vectorlen = setTypeSize(sortval)
		case TypeZSet:
			vectorlen = zsetLength(sortval)
		}
	}
	// LIMIT sanity checks, as Redis (with its overflow guards).
	start := int(min(max(limitStart, 0), int64(vectorlen)))
	lc := int(min(max(limitCount, -1), int64(vectorlen)))
	end := vectorlen - 1
	if lc >= 0 {
		end = start + lc - 1
	}
	if start >= vectorlen {
		start = vectorlen - 1
		end = vectorlen - 2
	}
	if end >= vectorlen {
		end = vectorlen - 1
	}

	// Lists and sorted sets that are not sorted load only the range.
	var vector []sortObj
	switch {
	case sortval == nil:
	case sortval.typ == TypeList && dontsort:
		if end >= start {
			n := end - start + 1
			idx := start
			if desc {
				idx = vectorlen - start - 1
			}
			sortListRange(sortval, idx, desc, func(e []byte) bool {
				vector = append(vector, sortObj{obj: append([]byte(nil), e...)})
				return len(vector) < n
			})
			end -= start
			start = 0
		}
	case sortval.typ == TypeList:
		sortListRange(sortval, 0, false, func(e []byte) bool {
			vector = append(vector, sortObj{obj: append([]byte(nil), e...)})
			return true
		})
	case sortval.typ == TypeSet:
		var buf [24]byte
		setTypeRange(sortval, func(e setElem) bool {
			vector = append(vector, sortObj{obj: append([]byte(nil), e.bytes(&buf)...)})
			return true
		})
	case sortval.typ == TypeZSet && dontsort:
		if end >= start {
			var buf [24]byte
			zsetRangeByRank(sortval, start, end, desc, func(e zsetElem, _ float64) {
				vector = append(vector, sortObj{obj: append([]byte(nil), e.bytes(&buf)...)})
			})
		}
		end -= start
		start = 0
	default:
		zsetSkiplist(sortval).Dict.Range(func(k string, _ *float64) bool {
			vector = append(vector, sortObj{obj: stringBytes(k)})
			return true
		})
	}

	intConversionError := false
	if !dontsort {
		for j := range vector {
			var byval []byte
			if sortby != nil {
				v, ok := lookupKeyByPattern(c, sortby, vector[j].obj)
				if !ok {
					continue
				}
				byval = v
			} else {
				byval = vector[j].obj
			}
			if alpha {
				if sortby != nil {
					vector[j].cmpobj = byval
					vector[j].hasCmp = true
				}
				continue
			}
			// strtod on the C string: it must end there, without
			// overflow or underflow, and not be NaN.
			v, n, erange := strtodPrefix(byval)
			cs := cstr(byval)
			if n != len(cs) || erange || math.IsNaN(v) {
				intConversionError = true
			}
			vector[j].score = v
		}
		store := storekey != nil
		cmp := func(a, b *sortObj) int {
			var r int
			switch {
			case !alpha:
				switch {
				case a.score > b.score:
					r = 1
				case a.score < b.score:
					r = -1
				default:
					r = bytes.Compare(a.obj, b.obj)
				}
			case sortby != nil:
				switch {
				case !a.hasCmp || !b.hasCmp:
					switch {
					case a.hasCmp == b.hasCmp:
						r = 0
					case !a.hasCmp:
						r = -1
					default:
						r = 1
					}
				case store:
					r = bytes.Compare(a.cmpobj, b.cmpobj)
				default:
					r = bytes.Compare(cstr(a.cmpobj), cstr(b.cmpobj))
				}
			case store:
				r = bytes.Compare(a.obj, b.obj)
			default:
				r = bytes.Compare(cstr(a.obj), cstr(b.obj))
			}
			if desc {
				return -r
			}
			return r
		}
		if sortby != nil && (start != 0 || end != len(vector)-1) {
			pqsort(vector, cmp, start, end)
		} else {
			// glibc's qsort is a stable merge sort.
			slices.SortStableFunc(vector, func(a, b sortObj) int { return cmp(&a, &b) })
		}
	}

	outputlen := end - start + 1
	if len(getops) > 0 {
		outputlen *= len(getops)
	}
	switch {
	case intConversionError:
		c.addReplyError("One or more scores can't be converted into double")
	case storekey == nil:
		c.addReplyArrayLen(max(outputlen, 0))
		for j := start; j <= end; j++ {
			if len(getops) == 0 {
				c.addReplyBulk(vector[j].obj)
			}
			for _, pat := range getops {
				if v, ok := lookupKeyByPattern(c, pat, vector[j].obj); ok {
					c.addReplyBulk(v)
				} else {
					c.addReplyNull()
				}
			}
		}
	default:
		var elems [][]byte
		for j := start; j <= end; j++ {
			if len(getops) == 0 {
				elems = append(elems, vector[j].obj)
			}
			for _, pat := range getops {
				v, ok := lookupKeyByPattern(c, pat, vector[j].obj)
				if !ok {
					v = []byte{}
				}
				elems = append(elems, v)
			}
		}
		if outputlen > 0 {
			srv.setKey(c, c.db, storekey, sortNewList(elems), 0)
			srv.notifyKeyspaceEvent(notifyList, "sortstore", storekey, c.db.id)
			srv.Dirty += int64(outputlen)
		} else if srv.dbDelete(c.db, storekey) {
			srv.signalModifiedKey(c, c.db, storekey)
			srv.notifyKeyspaceEvent(notifyGeneric, "del", storekey, c.db.id)
			srv.Dirty++
		}
		c.addReplyInt(int64(max(outputlen, 0)))
	}
}

// SORT key [BY pattern] [LIMIT offset count] [GET pattern [GET pattern ...]] [ASC|DESC] [ALPHA] [STORE destination]
func sortCommand(c *Client) { sortCommandGeneric(c, false) }

// SORT_RO key [BY pattern] [LIMIT offset count] [GET pattern [GET pattern ...]] [ASC|DESC] [ALPHA]
func sortroCommand(c *Client) { sortCommandGeneric(c, true) }

// pqsort sorts v so that the elements of indexes lrange..rrange are those
// a full sort would put there, in order: Redis's pqsort.c (NetBSD's qsort,
// Bentley & McIlroy, skipping partitions outside the range, and without
// the "no swaps: switch to insertion sort" shortcut, which Redis removed
// in 2013). It is ported step for step so that elements comparing equal
// end up where Redis puts them.
func pqsort(v []sortObj, cmp func(a, b *sortObj) int, lrange, rrange int) {
	pqsortRec(v, 0, len(v), cmp, lrange, rrange)
}

func pqsortRec(v []sortObj, a, n int, cmp func(a, b *sortObj) int, lr, rr int) {
	swap := func(i, j int) { v[i], v[j] = v[j], v[i] }
	vecswap := func(i, j, k int) {
		for ; k > 0; k-- {
			swap(i, j)
			i++
			j++
		}
	}
	med3 := func(x, y, z int) int {
		if cmp(&v[x], &v[y]) < 0 {
			if cmp(&v[y], &v[z]) < 0 {
				return y
			}
			if cmp(&v[x], &v[z]) < 0 {
				return z
			}
			return x
		}
		if cmp(&v[y], &v[z]) > 0 {
			return y
		}
		if cmp(&v[x], &v[z]) < 0 {
			return x
		}
		return z
	}
	insertion := func() {
		for pm := a + 1; pm < a+n; pm++ {
			for pl := pm; pl > a && cmp(&v[pl-1], &v[pl]) > 0; pl-- {
				swap(pl, pl-1)
			}
		}
	}
	// outside reports whether the partition [x, x+cnt) misses the range.
	outside := func(x, cnt int) bool {
		return lr < x && rr < x || lr >= x+cnt && rr >= x+cnt
	}
	for {
		if n < 7 {
			insertion()
			return
		}
		pm := a + n/2
		if n > 7 {
			pl, pn := a, a+n-1
			if n > 40 {
				d := n / 8
				pl = med3(pl, pl+d, pl+2*d)
				pm = med3(pm-d, pm, pm+d)
				pn = med3(pn-2*d, pn-d, pn)
			}
			pm = med3(pl, pm, pn)
		}
		swap(a, pm)
		pa, pb := a+1, a+1
		pc, pd := a+n-1, a+n-1
		for {
			for pb <= pc {
				r := cmp(&v[pb], &v[a])
				if r > 0 {
					break
				}
				if r == 0 {
					swap(pa, pb)
					pa++
				}
				pb++
			}
			for pb <= pc {
				r := cmp(&v[pc], &v[a])
				if r < 0 {
					break
				}
				if r == 0 {
					swap(pc, pd)
					pd--
				}
				pc--
			}
			if pb > pc {
				break
			}
			swap(pb, pc)
			pb++
			pc--
		}
		pn := a + n
		r := min(pa-a, pb-pa)
		vecswap(a, pb-r, r)
		r = min(pd-pc, pn-pd-1)
		vecswap(pb, pn-r, r)
		if r = pb - pa; r > 1 && !outside(a, r) {
			pqsortRec(v, a, r, cmp, lr, rr)
		}
		if r = pd - pc; r > 1 {
			a = pn - r
			n = r
			if !outside(a, n) {
				continue
			}
		}
		return
	}
}
