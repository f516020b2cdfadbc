package cmds

// WATCH and UNWATCH, after Redis 7.0's multi.c: optimistic locking for
// MULTI/EXEC. Each database keeps, by key, the watchers of that key; each
// client keeps the keys it watches. signalModifiedKey (every write, and the
// deletion of an expired key) touches a key's watchers; FLUSHDB, FLUSHALL
// and SWAPDB touch the watched keys that their change makes differ.

// watchedKey is one key watched by one client in one database.
type watchedKey struct {
	key string
	db  *DB
	c   *Client
	// expired is set when the key was already expired (but not yet
	// deleted) when WATCH was called: its deletion is then no change.
	expired bool
}

// watchState holds, per database id, the watchers of each watched key.
type watchState struct {
	keys []map[string][]*watchedKey
	// scratch holds a copy of a watcher list while it is walked, since
	// touching a watcher unwatches its client's keys.
	scratch []*watchedKey
}

// newWatchState returns the (empty) watcher tables of dbnum databases.
func newWatchState(dbnum int) watchState {
	return watchState{keys: make([]map[string][]*watchedKey, dbnum)}
}

// watchForKey adds key of the client's database to its watched keys.
func (srv *Server) watchForKey(c *Client, key []byte) {
	for _, wk := range c.watched {
		if wk.db == c.db && wk.key == string(key) {
			return // already watched
		}
	}
	m := srv.watch.keys[c.db.id]
	if m == nil {
		m = map[string][]*watchedKey{}
		srv.watch.keys[c.db.id] = m
	}
	wk := &watchedKey{key: string(key), db: c.db, c: c, expired: srv.keyIsExpired(c.db, key)}
	m[wk.key] = append(m[wk.key], wk)
	c.watched = append(c.watched, wk)
}

// unwatchAllKeys drops every key c watches; clearing clientDirtyCAS is up
// to the caller.
func (srv *Server) unwatchAllKeys(c *Client) {
	for i, wk := range c.watched {
		m := srv.watch.keys[wk.db.id]
		list := m[wk.key]
		for j, x := range list {
			if x == wk {
				copy(list[j:], list[j+1:])
				list[len(list)-1] = nil
				list = list[:len(list)-1]
				break
			}
		}
		if len(list) == 0 {
			delete(m, wk.key)
		} else {
			m[wk.key] = list
		}
		c.watched[i] = nil
	}
	c.watched = c.watched[:0]
}

// isWatchedKeyExpired reports whether a key c watches has expired since
// WATCH (keys already expired then do not count).
func (srv *Server) isWatchedKeyExpired(c *Client) bool {
	for _, wk := range c.watched {
		if !wk.expired && srv.keyIsExpired(wk.db, stringBytes(wk.key)) {
			return true
		}
	}
	return false
}

// touchWatchedKey marks the clients watching key as dirty, so their
// EXEC fails, and unwatches their keys (they are dirty already).
func (srv *Server) touchWatchedKey(db *DB, key []byte) {
	m := srv.watch.keys[db.id]
	if len(m) == 0 {
		return
	}
	list := m[bstr(key)]
	if len(list) == 0 {
		return
	}
	tmp := append(srv.watch.scratch[:0], list...)
	for _, wk := range tmp {
		if wk.expired {
			// The key was expired when WATCH was called: deleting it
			// changes nothing logically.
			if db.Dict.Find(bstr(key)) == nil {
				wk.expired = false
				continue
			}
			// Redis 7.0 stops at the first such watcher while the key
			// exists, leaving the later watchers untouched.
			break
		}
		wk.c.Flags |= clientDirtyCAS
		srv.unwatchAllKeys(wk.c)
	}
	clear(tmp)
	srv.watch.scratch = tmp[:0]
}

// touchWatchedKeysOnFlush runs before FLUSHDB/FLUSHALL empties dbnum (-1 =
// all databases).
func (srv *Server) touchWatchedKeysOnFlush(dbnum int) {
	for _, db := range srv.DBs {
		if dbnum == -1 || db.id == dbnum {
			srv.touchAllWatchedKeysInDb(db.id, db, nil)
		}
	}
}

// touchAllWatchedKeysInDb marks dirty the watchers of database id whose key
// exists in emptied (the contents being dropped) or in replacedWith (the
// contents taking their place, for SWAPDB; nil for a flush), as Redis's
// touchAllWatchedKeysInDb. Clients are not unwatched here.
func (srv *Server) touchAllWatchedKeysInDb(id int, emptied, replacedWith *DB) {
	m := srv.watch.keys[id]
	for key, list := range m {
		k := stringBytes(key)
		existsInEmptied := emptied.Dict.Find(key) != nil
		existsInReplacement := replacedWith != nil && replacedWith.Dict.Find(key) != nil
		if !existsInEmptied && !existsInReplacement {
			continue
		}
		for _, wk := range list {
			if wk.expired {
				if !existsInReplacement {
					// Expired key now deleted: no logical change.
					wk.expired = false
					continue
				} else if srv.keyIsExpired(replacedWith, k) {
					continue // expired key remains expired
				}
			} else if !existsInEmptied && replacedWith != nil && srv.keyIsExpired(replacedWith, k) {
				// A missing key replaced with an expired key.
				wk.expired = true
				continue
			}
			wk.c.Flags |= clientDirtyCAS
		}
	}
}

// WATCH key [key ...]
func watchCommand(c *Client) {
	if c.Flags&ClientMulti != 0 {
		c.addReplyError("WATCH inside MULTI is not allowed")
		return
	}
	// No point in watching if the client is already dirty.
	if c.Flags&clientDirtyCAS == 0 {
		for _, key := range c.argv[1:] {
			c.srv.watchForKey(c, key)
		}
	}
	c.addReplyOK()
}

// UNWATCH
func unwatchCommand(c *Client) {
	c.srv.unwatchAllKeys(c)
	c.Flags &^= clientDirtyCAS
	c.addReplyOK()
}
