package cmds

import (
	"github.com/redisfs/redisfs/core/types"
)

// DB is one numbered database: the key dictionary and the expires
// dictionary (key → unix ms), as Redis's redisDb.
//
// Used by core/persist.
type DB struct {
	id      int
	Dict    *types.Dict[Object]
	Expires *types.Dict[int64]
	// avgTTL is the estimated average TTL, kept by the expire cycle.
	avgTTL int64
	// expiresCursor is where the active expire cycle resumes.
	expiresCursor uint64
}

func newDB(id int) *DB {
	return &DB{id: id, Dict: types.NewDict[Object](), Expires: types.NewDict[int64]()}
}

// Lookup flags, as Redis's LOOKUP_*.
const (
	lookupNone     = 0
	lookupNoTouch  = 1 << iota // do not update the LRU
	lookupNoNotify             // no keymiss event
	lookupNoStats              // no hit/miss counting
	lookupWrite                // looked up for writing (no stats)
	lookupNoExpire             // do not delete an expired key
)

// Len returns the number of keys (expired ones not yet collected included).
func (db *DB) Len() int { return db.Dict.Len() }

// lookupKey is Redis's lookupKey: it expires the key if due, and keeps
// statistics and the LRU clock.
func (c *Client) lookupKey(db *DB, key []byte, flags int) *Object {
	srv := c.srv
	o := db.Dict.Find(bstr(key))
	if o != nil && srv.expireIfNeeded(db, key, flags&lookupNoExpire != 0) {
		o = nil
	}
	if o != nil {
		if flags&lookupWrite != 0 {
			srv.beforeKeyWrite(db, key, false)
		}
		if flags&lookupNoTouch == 0 {
			srv.touchObject(o)
		}
		if flags&(lookupNoStats|lookupWrite) == 0 {
			srv.Stats.keyspaceHits++
		}
	} else {
		if flags&(lookupNoStats|lookupWrite) == 0 {
			srv.Stats.keyspaceMisses++
		}
		if flags&(lookupNoNotify|lookupWrite) == 0 {
			srv.notifyKeyspaceEvent(notifyKeyMiss, "keymiss", key, db.id)
		}
	}
	return o
}

// lookupKeyRead looks key up in the client's database for reading.
func (c *Client) lookupKeyRead(key []byte) *Object { return c.lookupKey(c.db, key, lookupNone) }

// lookupKeyReadFlags is lookupKeyRead with Lookup* flags.
func (c *Client) lookupKeyReadFlags(key []byte, flags int) *Object {
	return c.lookupKey(c.db, key, flags)
}

// lookupKeyWrite looks key up for writing: expired keys are deleted, no
// statistics are kept.
func (c *Client) lookupKeyWrite(key []byte) *Object {
	return c.lookupKey(c.db, key, lookupWrite)
}

// lookupKeyReadOrReply looks key up for reading; when it is missing, it
// replies with missing and returns nil.
func (c *Client) lookupKeyReadOrReply(key []byte, missing []byte) *Object {
	o := c.lookupKeyRead(key)
	if o == nil {
		c.write(missing)
	}
	return o
}

// lookupKeyReadOrNull looks key up for reading; when it is missing it replies
// with the null bulk of the client's protocol and returns nil.
func (c *Client) lookupKeyReadOrNull(key []byte) *Object {
	o := c.lookupKeyRead(key)
	if o == nil {
		c.addReplyNull()
	}
	return o
}

// lookupKeyWriteOrReply is lookupKeyReadOrReply for writing.
func (c *Client) lookupKeyWriteOrReply(key []byte, missing []byte) *Object {
	o := c.lookupKeyWrite(key)
	if o == nil {
		c.write(missing)
	}
	return o
}

// checkType replies WRONGTYPE and returns true when o is not of type typ.
func (c *Client) checkType(o *Object, typ uint8) bool {
	if o.typ != typ {
		c.addReplyWrongType()
		return true
	}
	return false
}

// DBAdd adds key (copied) with value o; the key must not exist. It returns
// the stored object.
//
// Exported for the tests of core/cmds.
func (srv *Server) DBAdd(db *DB, key []byte, o Object) *Object {
	o.lru = srv.newObjectLRU()
	p, _ := db.Dict.Add(string(key), o)
	srv.beforeKeyWrite(db, key, true)
	srv.signalKeyAsReady(db, key, o.typ)
	srv.notifyKeyspaceEvent(notifyNew, "new", key, db.id)
	return p
}

// SetKeyFlags select setKey's behaviour, as Redis's SETKEY_*.
const (
	setKeyKeepTTL = 1 << iota
	setKeyNoSignal
	setKeyAlreadyExist
	setKeyDoesntExist
)

// setKey is Redis's setKey: it stores o under key whether or not the key
// exists, removes the TTL unless setKeyKeepTTL, and signals the change.
func (srv *Server) setKey(c *Client, db *DB, key []byte, o Object, flags int) *Object {
	var p *Object
	existing := db.Dict.Find(bstr(key))
	if existing == nil || flags&setKeyDoesntExist != 0 && existing == nil {
		p = srv.DBAdd(db, key, o)
	} else {
		srv.beforeKeyWrite(db, key, false)
		// As dbOverwrite: under an LFU policy the access counter
		// survives the new value.
		if srv.lfuPolicy() {
			o.lru = existing.lru
		} else {
			o.lru = srv.lruClock
		}
		if existing.typ == TypeStream {
			// Wake XREADGROUP clients: their group is gone.
			srv.signalKeyAsReady(db, key, TypeStream)
		}
		*existing = o
		p = existing
	}
	if flags&setKeyKeepTTL == 0 {
		db.Expires.Delete(bstr(key))
	}
	if flags&setKeyNoSignal == 0 {
		srv.signalModifiedKey(c, db, key)
	}
	return p
}

// dbDelete removes key and its TTL; it reports whether the key existed.
func (srv *Server) dbDelete(db *DB, key []byte) bool {
	srv.beforeKeyWrite(db, key, false)
	old, ok := db.Dict.Delete(bstr(key))
	if !ok {
		return false
	}
	if old.typ == TypeStream {
		// Wake XREADGROUP clients: their group is gone.
		srv.signalKeyAsReady(db, key, TypeStream)
	}
	db.Expires.Delete(bstr(key))
	return true
}

// signalModifiedKey is Redis's signalModifiedKey: WATCH invalidation and
// client-side caching hang on it.
func (srv *Server) signalModifiedKey(c *Client, db *DB, key []byte) {
	srv.touchWatchedKey(db, key) // watch.go
	if srv.tracking.table != nil {
		srv.trackingInvalidateKey(c, key, true)
	}
}

// setExpire sets key's expire time (unix ms); the key must exist.
func (srv *Server) setExpire(c *Client, db *DB, key []byte, when int64) {
	k, _ := db.Dict.FindKey(bstr(key))
	if k == "" && len(key) != 0 {
		return
	}
	srv.beforeKeyWrite(db, key, false)
	// Share the key bytes with the main dict.
	db.Expires.Set(k, when)
}

// GetExpire returns key's expire time (unix ms) or -1.
//
// Exported for the tests of core/cmds.
func (db *DB) GetExpire(key []byte) int64 {
	if db.Expires.Len() == 0 {
		return -1
	}
	if w := db.Expires.Find(bstr(key)); w != nil {
		return *w
	}
	return -1
}

// removeExpire removes key's TTL and reports whether it had one.
func (db *DB) removeExpire(key []byte) bool {
	_, ok := db.Expires.Delete(bstr(key))
	return ok
}

// SelectDB makes db the client's database; false if out of range.
//
// Used by fs/local.
func (c *Client) SelectDB(id int) bool {
	if id < 0 || id >= len(c.srv.DBs) {
		return false
	}
	c.db = c.srv.DBs[id]
	return true
}

// EmptyData removes every key of db (or of all databases when dbnum is -1)
// and returns how many were removed.
//
// Used by core/persist.
func (srv *Server) EmptyData(dbnum int) int64 {
	// WATCHes on keys that exist are touched while they still do
	// (watch.go).
	srv.touchWatchedKeysOnFlush(dbnum)
	// Client-side caching keys are not per database: any flush
	// invalidates them all.
	if srv.tracking.table != nil {
		srv.trackingInvalidateKeysOnFlush()
	}
	var removed int64
	for _, db := range srv.DBs {
		if dbnum != -1 && db.id != dbnum {
			continue
		}
		srv.scanDatabaseForDeletedStreams(db, nil)
		removed += int64(db.Len())
		db.Dict = types.NewDict[Object]()
		db.Expires = types.NewDict[int64]()
		db.avgTTL = 0
		db.expiresCursor = 0
	}
	srv.emptyDataDone(dbnum)
	return removed
}

// unshareStringValue makes o a raw string that can be edited in place, as
// Redis's dbUnshareStringValue, with room for extra more bytes.
func unshareStringValue(o *Object, extra int) {
	if o.enc == encRaw {
		return
	}
	n := o.StrLen()
	buf := o.appendString(make([]byte, 0, n+extra))
	o.SetBytes(buf)
}
