package cmds

import (
	"github.com/redisfs/redisfs/core/rdb"
	"github.com/redisfs/redisfs/core/types"
)

// RDBValueWriter serializes one value a slice at a time, for a background
// snapshot that must not hold the loop while it saves a collection of
// millions of elements. The bytes are exactly those of RDBAppendObject.
//
// Between two calls of Append the value must not change: the snapshot
// finishes a value (Append with no limit) before any write to its key runs.
// Hashtable encodings (sets, hashes) are walked bucket by bucket with the
// value's rehashing paused; a skiplist from its greatest element down; a
// quicklist node by node; any other encoding (a listpack, an intset) is
// written in one call.
//
// Used by core/persist.
type RDBValueWriter struct {
	o       *Object
	started bool
	done    bool
	// Hashtable cursor.
	set    *types.Dict[struct{}]
	hash   *types.Dict[string]
	table  int
	bucket int
	// Skiplist cursor: the next node to write.
	node *types.ZslNode
	// Quicklist cursor.
	list   bool
	qlNode types.QuicklistNodes
}

// newRDBValueWriter returns a writer of o's value (check the type with
// RDBObjectType first).
func newRDBValueWriter(o *Object) *RDBValueWriter { return &RDBValueWriter{o: o} }

// Reset makes w a writer of o's value, as newRDBValueWriter (w must be
// done or closed).
//
// Used by core/persist.
func (w *RDBValueWriter) Reset(o *Object) { *w = RDBValueWriter{o: o} }

// Done reports whether the value was written completely (or closed).
func (w *RDBValueWriter) Done() bool { return w.done }

// Append appends the next part of the value to dst, stopping once dst
// holds limit bytes or more (limit <= 0: the whole rest), and reports
// whether the value is complete.
//
// Used by core/persist.
func (w *RDBValueWriter) Append(dst []byte, limit int) ([]byte, bool) {
	if w.done {
		return dst, true
	}
	o := w.o
	if !w.started {
		w.started = true
		switch {
		case o.typ == TypeSet && o.enc == encHashtable:
			w.set = setDict(o)
			w.set.PauseRehash()
			dst = rdb.AppendLen(dst, uint64(w.set.Len()))
		case o.typ == TypeHash && o.enc == encHashtable:
			w.hash = hashDict(o)
			w.hash.PauseRehash()
			dst = rdb.AppendLen(dst, uint64(w.hash.Len()))
		case o.typ == TypeZSet && o.enc == encSkiplist:
			zs := zsetSkiplist(o)
			dst = rdb.AppendLen(dst, uint64(zs.Len()))
			w.node = zs.Zsl.Last()
		case o.typ == TypeList && o.enc == EncQuicklist:
			ql := listQL(o)
			dst = rdb.AppendLen(dst, uint64(ql.Nodes()))
			w.list = true
			w.qlNode = ql.NodeCursor()
		default:
			w.done = true
			return rdbSaveObject(dst, o), true
		}
	}
	full := func() bool { return limit > 0 && len(dst) >= limit }
	switch {
	case w.set != nil:
		for ; w.table < 2; w.table, w.bucket = w.table+1, 0 {
			for n := w.set.TableLen(w.table); w.bucket < n; {
				w.set.RangeBucket(w.table, w.bucket, func(k string, _ *struct{}) {
					dst = rdb.AppendString(dst, stringBytes(k), rdbCompression)
				})
				w.bucket++
				if full() {
					return dst, false
				}
			}
		}
	case w.list:
		for !full() {
			lp, ok := w.qlNode.Next()
			if !ok {
				break
			}
			dst = rdb.AppendLen(dst, qlContainerPacked)
			dst = rdb.AppendString(dst, lp, rdbCompression)
		}
		if full() {
			return dst, false
		}
	case w.hash != nil:
		for ; w.table < 2; w.table, w.bucket = w.table+1, 0 {
			for n := w.hash.TableLen(w.table); w.bucket < n; {
				w.hash.RangeBucket(w.table, w.bucket, func(k string, v *string) {
					dst = rdb.AppendString(dst, stringBytes(k), rdbCompression)
					dst = rdb.AppendString(dst, stringBytes(*v), rdbCompression)
				})
				w.bucket++
				if full() {
					return dst, false
				}
			}
		}
	default:
		for ; w.node != nil; w.node = w.node.Prev() {
			if full() {
				return dst, false
			}
			dst = rdb.AppendString(dst, stringBytes(w.node.Ele), rdbCompression)
			dst = rdb.AppendBinaryDouble(dst, w.node.Score)
		}
	}
	w.Close()
	return dst, true
}

// Close ends the writer (resuming the value's rehashing); Append must not
// be called after.
//
// Used by core/persist.
func (w *RDBValueWriter) Close() {
	if w.done {
		return
	}
	w.done = true
	if w.set != nil {
		w.set.ResumeRehash()
	}
	if w.hash != nil {
		w.hash.ResumeRehash()
	}
}
