package cmds

import (
	"strconv"
	"unsafe"

	"github.com/redisfs/redisfs/core/types"
)

// The hash commands, after Redis 7.0's t_hash.c. A hash is a listpack of
// field, value pairs (in insertion order) while it has at most
// hash-max-listpack-entries fields and HSET/HSETNX/HMSET never saw a field
// or value longer than hash-max-listpack-value bytes; then it becomes a
// hashtable (types.Dict) for good: Redis 7.0 never converts back.
//
// Long double arithmetic and formatting for HINCRBYFLOAT reuse the helpers
// of string.go (parseLongDouble, ldAdd, ldFormatHuman), as INCRBYFLOAT.

// newHashObject returns an empty listpack-encoded hash (createHashObject)
// with room for the entries vals, so that the command creating it fills it
// without moving it (a hash costs its size, rounded to a size class, and no
// garbage).
func newHashObject(vals [][]byte) Object {
	lp := types.NewListpackFor(vals)
	return newObject(TypeHash, encListpack, unsafe.Pointer(&lp))
}

var hashHsetArg = []byte("HSET")

// hashLP returns the listpack of a listpack-encoded hash.
func hashLP(o *Object) *types.Listpack { return (*types.Listpack)(o.pointer()) }

// hashDict returns the dict of a hashtable-encoded hash.
func hashDict(o *Object) *types.Dict[string] { return (*types.Dict[string])(o.pointer()) }

// hashTypeLength returns the number of fields.
func hashTypeLength(o *Object) int {
	if o.enc == encListpack {
		return hashLP(o).Len() / 2
	}
	return hashDict(o).Len()
}

// hashTypeLookupWriteOrCreate returns the hash at key, creating it when
// missing, sized for the fields and values in vals; on WRONGTYPE it
// replies and returns nil.
func (c *Client) hashTypeLookupWriteOrCreate(key []byte, vals [][]byte) *Object {
	o := c.lookupKeyWrite(key)
	if c.checkTypeOrNil(o, TypeHash) {
		return nil
	}
	if o == nil {
		o = c.srv.DBAdd(c.db, key, newHashObject(vals))
	}
	return o
}

// hashTypeTryConversion converts a listpack hash to a hashtable when one of
// argv[start..end] is longer than hash-max-listpack-value, or when adding
// them could make the listpack unsafely big.
func (srv *Server) hashTypeTryConversion(o *Object, argv [][]byte, start, end int) {
	if o.enc != encListpack {
		return
	}
	sum := 0
	for i := start; i <= end; i++ {
		n := len(argv[i])
		if int64(n) > srv.Config.hashMaxListpackValue {
			hashTypeConvert(o)
			return
		}
		sum += n
	}
	if len(*hashLP(o))+sum > types.ListpackMaxSafetySize {
		hashTypeConvert(o)
	}
}

// hashTypeConvert turns a listpack hash into a hashtable.
func hashTypeConvert(o *Object) {
	lp := *hashLP(o)
	d := types.NewDict[string]()
	var buf []byte
	for p := lp.First(); p >= 0; {
		buf = lp.AppendValue(buf[:0], p)
		field := string(buf)
		p = lp.Next(p)
		buf = lp.AppendValue(buf[:0], p)
		d.Add(field, string(buf))
		p = lp.Next(p)
	}
	o.SetPtr(TypeHash, encHashtable, unsafe.Pointer(d))
}

// hashTypeGetValue looks field up: its value is a view of the string bytes,
// or an integer (listpack only).
func hashTypeGetValue(o *Object, field []byte) (s []byte, v int64, isInt, found bool) {
	if o.enc == encListpack {
		lp := *hashLP(o)
		p := lp.Find(lp.First(), field, 1)
		if p < 0 {
			return nil, 0, false, false
		}
		s, v, isInt = lp.Get(lp.Next(p))
		return s, v, isInt, true
	}
	val := hashDict(o).Find(bstr(field))
	if val == nil {
		return nil, 0, false, false
	}
	return stringBytes(*val), 0, false, true
}

// hashTypeExists reports whether field exists.
func hashTypeExists(o *Object, field []byte) bool {
	_, _, _, found := hashTypeGetValue(o, field)
	return found
}

// hashTypeSet sets field to value and reports whether the field existed
// (an update); a listpack that grows past hash-max-listpack-entries becomes
// a hashtable.
func (srv *Server) hashTypeSet(o *Object, field, value []byte) bool {
	// A field or value too long for the listpack converts it first. HSET
	// and friends converted already (hashTypeTryConversion): this is for
	// HINCRBY and HINCRBYFLOAT, whose result may be long, as in Redis 7.0.
	if o.enc == encListpack {
		limit := srv.Config.hashMaxListpackValue
		if int64(len(field)) > limit || int64(len(value)) > limit {
			hashTypeConvert(o)
		}
	}
	if o.enc == encListpack {
		lpp := hashLP(o)
		lp := *lpp
		update := false
		if p := lp.Find(lp.First(), field, 1); p >= 0 {
			lpp.Replace(lp.Next(p), value)
			update = true
		} else {
			lpp.Append(field)
			lpp.Append(value)
		}
		if int64(lpp.Len()/2) > srv.Config.hashMaxListpackEntries {
			hashTypeConvert(o)
		}
		return update
	}
	d := hashDict(o)
	if val := d.Find(bstr(field)); val != nil {
		*val = string(value)
		return true
	}
	d.Add(string(field), string(value))
	return false
}

// hashTypeDelete removes field and reports whether it existed.
func hashTypeDelete(o *Object, field []byte) bool {
	if o.enc == encListpack {
		lpp := hashLP(o)
		lp := *lpp
		p := lp.Find(lp.First(), field, 1)
		if p < 0 {
			return false
		}
		lpp.DeleteRangeAt(p, 2)
		return true
	}
	d := hashDict(o)
	if _, ok := d.Delete(bstr(field)); !ok {
		return false
	}
	d.ShrinkIfNeeded()
	return true
}

// hashRange calls fn with every field and value, in listpack order or
// hashtable order, until fn returns false. The views are valid during the
// call only.
func hashRange(o *Object, fn func(field, value types.ListpackEntry) bool) {
	if o.enc == encListpack {
		lp := *hashLP(o)
		for p := lp.First(); p >= 0; {
			f := lp.GetEntry(p)
			p = lp.Next(p)
			v := lp.GetEntry(p)
			p = lp.Next(p)
			if !fn(f, v) {
				return
			}
		}
		return
	}
	hashDict(o).Range(func(k string, v *string) bool {
		return fn(types.ListpackEntry{S: stringBytes(k)}, types.ListpackEntry{S: stringBytes(*v)})
	})
}

// addReplyEntry replies with a listpack entry as a bulk string.
func (c *Client) addReplyEntry(e types.ListpackEntry) {
	if e.IsInt {
		c.addReplyBulkInt(e.I)
	} else {
		c.addReplyBulk(e.S)
	}
}

// hsetCommand implements HSET and HMSET.
//
// HSET key field value [field value ...]
// HMSET key field value [field value ...]
func hsetCommand(c *Client) {
	if len(c.argv)%2 == 1 {
		c.addReplyErrorArity()
		return
	}
	srv, key := c.srv, c.argv[1]
	o := c.hashTypeLookupWriteOrCreate(key, c.argv[2:])
	if o == nil {
		return
	}
	srv.hashTypeTryConversion(o, c.argv, 2, len(c.argv)-1)
	created := 0
	for i := 2; i < len(c.argv); i += 2 {
		if !srv.hashTypeSet(o, c.argv[i], c.argv[i+1]) {
			created++
		}
	}
	if name := c.argv[0]; len(name) > 1 && (name[1] == 's' || name[1] == 'S') {
		c.addReplyInt(int64(created))
	} else {
		c.addReplyOK()
	}
	srv.signalModifiedKey(c, c.db, key)
	srv.notifyKeyspaceEvent(notifyHash, "hset", key, c.db.id)
	srv.Dirty += int64(len(c.argv)-2) / 2
}

// HSETNX key field value
func hsetnxCommand(c *Client) {
	srv, key := c.srv, c.argv[1]
	o := c.hashTypeLookupWriteOrCreate(key, c.argv[2:4])
	if o == nil {
		return
	}
	if hashTypeExists(o, c.argv[2]) {
		c.addReplyProto(sharedCZero)
		return
	}
	srv.hashTypeTryConversion(o, c.argv, 2, 3)
	srv.hashTypeSet(o, c.argv[2], c.argv[3])
	c.addReplyProto(sharedCOne)
	srv.signalModifiedKey(c, c.db, key)
	srv.notifyKeyspaceEvent(notifyHash, "hset", key, c.db.id)
	srv.Dirty++
}

// HINCRBY key field increment
func hincrbyCommand(c *Client) {
	incr, ok := argLongLongOrReply(c, c.argv[3], "")
	if !ok {
		return
	}
	srv, key := c.srv, c.argv[1]
	o := c.hashTypeLookupWriteOrCreate(key, c.argv[2:3])
	if o == nil {
		return
	}
	var value int64
	if s, v, isInt, found := hashTypeGetValue(o, c.argv[2]); found {
		if isInt {
			value = v
		} else if value, ok = types.StringToInt64(s); !ok {
			c.addReplyError("hash value is not an integer")
			return
		}
	}
	old := value
	if incr < 0 && old < 0 && incr < -1<<63-old || incr > 0 && old > 0 && incr > 1<<63-1-old {
		c.addReplyError(errOverflow)
		return
	}
	value += incr
	var buf [24]byte
	srv.hashTypeSet(o, c.argv[2], strconv.AppendInt(buf[:0], value, 10))
	c.addReplyInt(value)
	srv.signalModifiedKey(c, c.db, key)
	srv.notifyKeyspaceEvent(notifyHash, "hincrby", key, c.db.id)
	srv.Dirty++
}

// HINCRBYFLOAT key field increment
func hincrbyfloatCommand(c *Client) {
	incr, ok := parseLongDouble(c.argv[3])
	if !ok {
		c.addReplyError(errNotFloat)
		return
	}
	if incr.IsInf() {
		c.addReplyError("value is NaN or Infinity")
		return
	}
	srv, key := c.srv, c.argv[1]
	o := c.hashTypeLookupWriteOrCreate(key, c.argv[2:3])
	if o == nil {
		return
	}
	var buf [64]byte
	var value = ldZero()
	if s, v, isInt, found := hashTypeGetValue(o, c.argv[2]); found {
		if isInt {
			value = ldFromInt64(v)
		} else if value, ok = parseLongDouble(s); !ok {
			c.addReplyError("hash value is not a float")
			return
		}
	}
	sum, ok := ldAdd(value, incr)
	if !ok {
		c.addReplyError("increment would produce NaN or Infinity")
		return
	}
	text := ldFormatHuman(buf[:0], sum)
	srv.hashTypeSet(o, c.argv[2], text)
	c.addReplyBulk(text)
	// Propagated as HSET with the result, so that a replica or an AOF
	// reload never computes it differently.
	c.rewriteArgv(hashHsetArg, key, c.argv[2], text)
	srv.signalModifiedKey(c, c.db, key)
	srv.notifyKeyspaceEvent(notifyHash, "hincrbyfloat", key, c.db.id)
	srv.Dirty++
}

// addHashFieldToReply replies with the value of field, or null.
func (c *Client) addHashFieldToReply(o *Object, field []byte) {
	if o == nil {
		c.addReplyNull()
		return
	}
	s, v, isInt, found := hashTypeGetValue(o, field)
	switch {
	case !found:
		c.addReplyNull()
	case isInt:
		c.addReplyBulkInt(v)
	default:
		c.addReplyBulk(s)
	}
}

// HGET key field
func hgetCommand(c *Client) {
	o := c.lookupKeyReadOrNull(c.argv[1])
	if o == nil || c.checkType(o, TypeHash) {
		return
	}
	c.addHashFieldToReply(o, c.argv[2])
}

// HMGET key field [field ...]
func hmgetCommand(c *Client) {
	o := c.lookupKeyRead(c.argv[1])
	if c.checkTypeOrNil(o, TypeHash) {
		return
	}
	c.addReplyArrayLen(len(c.argv) - 2)
	for _, f := range c.argv[2:] {
		c.addHashFieldToReply(o, f)
	}
}

// HDEL key field [field ...]
func hdelCommand(c *Client) {
	srv, key := c.srv, c.argv[1]
	o := c.lookupKeyWriteOrReply(key, sharedCZero)
	if o == nil || c.checkType(o, TypeHash) {
		return
	}
	deleted, keyremoved := 0, false
	for _, f := range c.argv[2:] {
		if hashTypeDelete(o, f) {
			deleted++
			if hashTypeLength(o) == 0 {
				srv.dbDelete(c.db, key)
				keyremoved = true
				break
			}
		}
	}
	if deleted > 0 {
		srv.signalModifiedKey(c, c.db, key)
		srv.notifyKeyspaceEvent(notifyHash, "hdel", key, c.db.id)
		if keyremoved {
			srv.notifyKeyspaceEvent(notifyGeneric, "del", key, c.db.id)
		}
		srv.Dirty += int64(deleted)
	}
	c.addReplyInt(int64(deleted))
}

// HLEN key
func hlenCommand(c *Client) {
	o := c.lookupKeyReadOrReply(c.argv[1], sharedCZero)
	if o == nil || c.checkType(o, TypeHash) {
		return
	}
	c.addReplyInt(int64(hashTypeLength(o)))
}

// HSTRLEN key field
func hstrlenCommand(c *Client) {
	o := c.lookupKeyReadOrReply(c.argv[1], sharedCZero)
	if o == nil || c.checkType(o, TypeHash) {
		return
	}
	s, v, isInt, found := hashTypeGetValue(o, c.argv[2])
	switch {
	case !found:
		c.addReplyInt(0)
	case isInt:
		c.addReplyInt(int64(types.IntLen(v)))
	default:
		c.addReplyInt(int64(len(s)))
	}
}

// HEXISTS key field
func hexistsCommand(c *Client) {
	o := c.lookupKeyReadOrReply(c.argv[1], sharedCZero)
	if o == nil || c.checkType(o, TypeHash) {
		return
	}
	if hashTypeExists(o, c.argv[2]) {
		c.addReplyProto(sharedCOne)
	} else {
		c.addReplyProto(sharedCZero)
	}
}

// Which parts of the pairs genericHgetallCommand replies with.
const (
	hashKey   = 1
	hashValue = 2
)

var sharedEmptyMap = [...][]byte{2: []byte("*0\r\n"), 3: []byte("%0\r\n")}

// genericHgetallCommand implements HKEYS, HVALS and HGETALL.
func genericHgetallCommand(c *Client, flags int) {
	both := flags == hashKey|hashValue
	empty := sharedEmptyArray
	if both {
		empty = sharedEmptyMap[2]
		if c.resp >= 3 {
			empty = sharedEmptyMap[3]
		}
	}
	o := c.lookupKeyReadOrReply(c.argv[1], empty)
	if o == nil || c.checkType(o, TypeHash) {
		return
	}
	length := hashTypeLength(o)
	if both {
		c.addReplyMapLen(length)
	} else {
		c.addReplyArrayLen(length)
	}
	hashRange(o, func(f, v types.ListpackEntry) bool {
		if flags&hashKey != 0 {
			c.addReplyEntry(f)
		}
		if flags&hashValue != 0 {
			c.addReplyEntry(v)
		}
		return true
	})
}

// HKEYS key
func hkeysCommand(c *Client) { genericHgetallCommand(c, hashKey) }

// HVALS key
func hvalsCommand(c *Client) { genericHgetallCommand(c, hashValue) }

// HGETALL key
func hgetallCommand(c *Client) { genericHgetallCommand(c, hashKey|hashValue) }

// HRANDFIELD tuning, as Redis's.
const (
	hrandfieldSubStrategyMul    = 3
	hrandfieldRandomSampleLimit = 1000
	// hrandfieldMaxReply stops a negative count from building a reply
	// without bound (Redis has no limit either, but would be killed by
	// the output buffer limits of its clients).
	hrandfieldMaxReply = 1 << 30
)

// hrandfieldReplyWithListpack replies with picked pairs.
func (c *Client) hrandfieldReplyWithListpack(keys, vals []types.ListpackEntry) {
	for i := range keys {
		if vals != nil && c.resp > 2 {
			c.addReplyArrayLen(2)
		}
		c.addReplyEntry(keys[i])
		if vals != nil {
			c.addReplyEntry(vals[i])
		}
	}
}

// hrandfieldWithCountCommand is HRANDFIELD with a count.
func hrandfieldWithCountCommand(c *Client, l int64, withvalues bool) {
	o := c.lookupKeyReadOrReply(c.argv[1], sharedEmptyArray)
	if o == nil || c.checkType(o, TypeHash) {
		return
	}
	size := uint64(hashTypeLength(o))
	uniq := true
	count := uint64(l)
	if l < 0 {
		count = uint64(-l)
		uniq = false
	}
	if count == 0 {
		c.addReplyProto(sharedEmptyArray)
		return
	}
	pairHeader := func() {
		if withvalues && c.resp > 2 {
			c.addReplyArrayLen(2)
		}
	}
	// CASE 1: negative count, or one field: count random picks, with
	// repetitions.
	if !uniq || count == 1 {
		if withvalues && c.resp == 2 {
			c.addReplyArrayLen(int(count * 2))
		} else {
			c.addReplyArrayLen(int(count))
		}
		if o.enc == encHashtable {
			d := hashDict(o)
			for ; count > 0; count-- {
				k, v, _ := d.RandomKey()
				pairHeader()
				c.addReplyBulkString(k)
				if withvalues {
					c.addReplyBulkString(*v)
				}
				if len(c.Reply) > hrandfieldMaxReply {
					c.Flags |= ClientCloseASAP
					break
				}
			}
			return
		}
		lp := *hashLP(o)
		limit := min(count, hrandfieldRandomSampleLimit)
		keys := make([]types.ListpackEntry, limit)
		var vals []types.ListpackEntry
		if withvalues {
			vals = make([]types.ListpackEntry, limit)
		}
		for count > 0 {
			n := min(count, limit)
			count -= n
			var vs []types.ListpackEntry
			if vals != nil {
				vs = vals[:n]
			}
			lp.RandomPairs(keys[:n], vs)
			c.hrandfieldReplyWithListpack(keys[:n], vs)
			if len(c.Reply) > hrandfieldMaxReply {
				c.Flags |= ClientCloseASAP
				break
			}
		}
		return
	}
	// The reply has min(count, size) elements (pairs).
	replySize := min(count, size)
	if withvalues && c.resp == 2 {
		c.addReplyArrayLen(int(replySize * 2))
	} else {
		c.addReplyArrayLen(int(replySize))
	}
	// CASE 2: the whole hash.
	if count >= size {
		hashRange(o, func(f, v types.ListpackEntry) bool {
			pairHeader()
			c.addReplyEntry(f)
			if withvalues {
				c.addReplyEntry(v)
			}
			return true
		})
		return
	}
	// CASE 3: count close to the size: copy the hash, remove random
	// fields until count remain, reply in the copy's order.
	if count*hrandfieldSubStrategyMul > size {
		d := types.NewDict[string]()
		var buf []byte
		hashRange(o, func(f, v types.ListpackEntry) bool {
			buf = f.Append(buf[:0])
			d.Add(string(buf), string(v.Append(nil)))
			return true
		})
		for n := size; n > count; n-- {
			k, _, _ := d.RandomKey()
			d.Delete(k)
		}
		d.Range(func(k string, v *string) bool {
			pairHeader()
			c.addReplyBulkString(k)
			if withvalues {
				c.addReplyBulkString(*v)
			}
			return true
		})
		return
	}
	// CASE 4: few fields of a big hash.
	if o.enc == encListpack {
		lp := *hashLP(o)
		keys := make([]types.ListpackEntry, count)
		var vals []types.ListpackEntry
		if withvalues {
			vals = make([]types.ListpackEntry, count)
		}
		lp.RandomPairsUnique(keys, vals)
		c.hrandfieldReplyWithListpack(keys, vals)
		return
	}
	d := hashDict(o)
	picked := make(map[string]struct{}, count)
	for uint64(len(picked)) < count {
		k, v, _ := d.RandomKey()
		if _, dup := picked[k]; dup {
			continue
		}
		picked[k] = struct{}{}
		pairHeader()
		c.addReplyBulkString(k)
		if withvalues {
			c.addReplyBulkString(*v)
		}
	}
}

// HRANDFIELD key [count [WITHVALUES]]
func hrandfieldCommand(c *Client) {
	if len(c.argv) >= 3 {
		l, ok := getRangeLongFromArgOrReply(c, c.argv[2], -(1<<63 - 1), 1<<63-1, "")
		if !ok {
			return
		}
		withvalues := false
		if len(c.argv) > 4 || len(c.argv) == 4 && !equalFoldC(c.argv[3], "withvalues") {
			c.addReplySyntaxError()
			return
		} else if len(c.argv) == 4 {
			withvalues = true
			if l < -(1<<63-1)/2 || l > (1<<63-1)/2 {
				c.addReplyError("value is out of range")
				return
			}
		}
		hrandfieldWithCountCommand(c, l, withvalues)
		return
	}
	o := c.lookupKeyReadOrNull(c.argv[1])
	if o == nil || c.checkType(o, TypeHash) {
		return
	}
	if o.enc == encHashtable {
		k, _, _ := hashDict(o).RandomKey()
		c.addReplyBulkString(k)
		return
	}
	lp := *hashLP(o)
	k, _ := lp.RandomPair(lp.Len()/2, false)
	c.addReplyEntry(k)
}

// HSCAN key cursor [MATCH pattern] [COUNT count]
//
// A listpack hash is returned whole with cursor 0; a hashtable is walked
// with the dict's reverse-binary cursor, as Redis's scanGenericCommand.
func hscanCommand(c *Client) {
	cursor, ok := parseScanCursorOrReply(c, c.argv[2])
	if !ok {
		return
	}
	o := c.lookupKeyReadOrReply(c.argv[1], sharedEmptyScan)
	if o == nil || c.checkType(o, TypeHash) {
		return
	}
	opt, ok := parseScanOptionsOrReply(c, 3, false)
	if !ok {
		return
	}
	var items [][]byte
	if o.enc == encListpack {
		lp := *hashLP(o)
		for p := lp.First(); p >= 0; {
			f := lp.AppendValue(nil, p)
			p = lp.Next(p)
			if !opt.usePattern || stringMatch(opt.pattern, f, false) {
				items = append(items, f, lp.AppendValue(nil, p))
			}
			p = lp.Next(p)
		}
		cursor = 0
	} else {
		d := hashDict(o)
		count := opt.count * 2
		maxIterations := count * 10
		var all []string
		for {
			cursor = d.Scan(cursor, func(k string, v *string) {
				all = append(all, k, *v)
			})
			if cursor == 0 {
				break
			}
			more := maxIterations != 0
			maxIterations--
			if !more || int64(len(all)) >= count {
				break
			}
		}
		for i := 0; i < len(all); i += 2 {
			if !opt.usePattern || stringMatch(opt.pattern, stringBytes(all[i]), false) {
				items = append(items, stringBytes(all[i]), stringBytes(all[i+1]))
			}
		}
	}
	c.addReplyArrayLen(2)
	c.addReplyBulkInt(int64(cursor))
	c.addReplyArrayLen(len(items))
	for _, it := range items {
		c.addReplyBulk(it)
	}
}

// hashTypeDup duplicates a hash for COPY, in the same encoding
// (hashTypeDup): a listpack byte for byte, a hashtable entry by entry.
func hashTypeDup(o *Object) Object {
	var n Object
	if o.enc == encListpack {
		src := *hashLP(o)
		lp := append(make(types.Listpack, 0, len(src)), src...)
		n.SetPtr(TypeHash, encListpack, unsafe.Pointer(&lp))
		return n
	}
	d := types.NewDict[string]()
	hashDict(o).Range(func(k string, v *string) bool {
		d.Add(k, *v)
		return true
	})
	n.SetPtr(TypeHash, encHashtable, unsafe.Pointer(d))
	return n
}
