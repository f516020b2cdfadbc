package cmds

import "time"

// keyIsExpired reports whether key has a TTL in the past.
func (srv *Server) keyIsExpired(db *DB, key []byte) bool {
	when := db.GetExpire(key)
	if when < 0 {
		return false
	}
	return srv.Mstime() > when
}

// expireIfNeeded deletes key when it is expired (unless keep) and reports
// whether it was expired, as Redis's expireIfNeeded.
func (srv *Server) expireIfNeeded(db *DB, key []byte, keep bool) bool {
	if !srv.keyIsExpired(db, key) {
		return false
	}
	if keep {
		return true
	}
	srv.deleteExpiredKey(db, key)
	return true
}

// deleteExpiredKey removes an expired key, counts it and notifies.
func (srv *Server) deleteExpiredKey(db *DB, key []byte) {
	srv.DBDelete(db, key)
	srv.Stats.ExpiredKeys++
	srv.NotifyKeyspaceEvent(NotifyExpired, "expired", key, db.ID)
	srv.SignalModifiedKey(nil, db, key)
	if srv.propagateExpire != nil {
		srv.propagateExpire(db, key)
	}
}

// expireCycleState is what the active expire cycle keeps between calls.
type expireCycleState struct {
	currentDB     int
	timelimitHit  bool
	lastFastStart int64
}

const (
	activeExpireKeysPerLoop     = 20
	activeExpireFastDuration    = 1000 // microseconds
	activeExpireSlowTimePerc    = 25
	activeExpireAcceptableStale = 10
)

// activeExpireCycle samples keys with a TTL and deletes the expired ones,
// within a time budget, as Redis 7.0's activeExpireCycle: a database is
// sampled again while more than (10-effort)% of a sample was expired.
func (srv *Server) activeExpireCycle(fast bool) {
	effort := srv.Config.ActiveExpireEffort - 1
	keysPerLoop := activeExpireKeysPerLoop + activeExpireKeysPerLoop/4*effort
	acceptableStale := activeExpireAcceptableStale - effort
	st := &srv.expireCycle
	start := time.Now()
	var timelimit time.Duration
	if fast {
		timelimit = time.Duration(activeExpireFastDuration+activeExpireFastDuration/4*effort) * time.Microsecond
	} else {
		hz := srv.Config.Hz
		if hz <= 0 {
			hz = 10
		}
		timelimit = time.Duration(1000000*(activeExpireSlowTimePerc+2*effort)/hz/100) * time.Microsecond
	}
	dbs := len(srv.DBs)
	if dbs > 16 {
		dbs = 16
	}
	var sampled, expired int64
	for j := 0; j < dbs; j++ {
		db := srv.DBs[st.currentDB%len(srv.DBs)]
		st.currentDB++
		for {
			if db.Expires.Len() == 0 {
				db.AvgTTL = 0
				break
			}
			now := srv.Mstime()
			var dbSampled, dbExpired, ttlSum, ttlSamples int64
			var keys []string
			maxBuckets := keysPerLoop * 20
			for checked := 0; dbSampled < int64(keysPerLoop) && checked < maxBuckets; checked++ {
				db.expiresCursor = db.Expires.Scan(db.expiresCursor, func(k string, when *int64) {
					dbSampled++
					if now > *when {
						keys = append(keys, k)
					} else {
						ttlSum += *when - now
						ttlSamples++
					}
				})
				if db.expiresCursor == 0 {
					break
				}
			}
			for _, k := range keys {
				srv.deleteExpiredKey(db, []byte(k))
				dbExpired++
			}
			if ttlSamples > 0 {
				avg := ttlSum / ttlSamples
				if db.AvgTTL == 0 {
					db.AvgTTL = avg
				} else {
					db.AvgTTL = db.AvgTTL/50*49 + avg/50
				}
			}
			sampled += dbSampled
			expired += dbExpired
			if time.Since(start) > timelimit {
				st.timelimitHit = true
				srv.Stats.ExpiredTimeCapReached++
				j = dbs
				break
			}
			if dbSampled == 0 || dbExpired*100/dbSampled <= int64(acceptableStale) {
				break
			}
		}
	}
	if sampled > 0 {
		perc := float64(expired) / float64(sampled)
		srv.Stats.ExpiredStalePerc = perc*0.05 + srv.Stats.ExpiredStalePerc*0.95
	}
}
