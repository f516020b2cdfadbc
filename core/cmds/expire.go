package cmds

import "time"

// Expiry of keys, after Redis 7.0's expire.c and db.c: keys are expired
// lazily when a command touches them (expireIfNeeded, from lookupKey and
// the commands that walk keys) and actively by activeExpireCycle, a slow
// cycle from serverCron and a fast one from beforeSleep.

// keyIsExpired reports whether key has a TTL in the past. Time is the
// command's cached time, so one command sees one instant.
func (srv *Server) keyIsExpired(db *DB, key []byte) bool {
	// Nothing expires while data are loaded (expired keys are handled
	// once the load is done).
	if srv.persist.loading {
		return false
	}
	when := db.GetExpire(key)
	if when < 0 {
		return false
	}
	return srv.mstime() > when
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
	// During a client pause the data set stays as it is: the key looks
	// expired but is deleted only once the pause is over.
	if srv.checkClientPauseTimeoutAndReturnIfPaused() {
		return true
	}
	srv.deleteExpiredKey(db, key)
	return true
}

// deleteExpiredKey removes an expired key, counts it and notifies
// (deleteExpiredKeyAndPropagate).
func (srv *Server) deleteExpiredKey(db *DB, key []byte) {
	start := time.Now()
	srv.dbDelete(db, key)
	srv.latencyAddSampleIfNeeded("expire-del", time.Since(start).Milliseconds())
	srv.notifyKeyspaceEvent(notifyExpired, "expired", key, db.id)
	srv.signalModifiedKey(nil, db, key)
	srv.propagateDeletion(db, key) // propagate.go
	srv.Stats.expiredKeys++
}

// SetActiveExpire turns the active expire cycle on or off (Redis's
// active_expire_enabled, which DEBUG SET-ACTIVE-EXPIRE sets). Lazy expiry
// on access is not affected.
//
// Exported for the tests of core/cmds.
func (srv *Server) SetActiveExpire(on bool) { srv.expireCycle.disabled = !on }

// expireCycleState is what the active expire cycle keeps between calls
// (the static variables of Redis's activeExpireCycle).
type expireCycleState struct {
	currentDB     int   // next database to test
	timelimitExit bool  // the previous cycle stopped on its time limit
	lastFastCycle int64 // when the last fast cycle started, µs
	disabled      bool
	// expired is scratch space for the keys of one bucket found expired.
	expired []string
}

const (
	activeExpireCycleKeysPerLoop     = 20   // keys for each DB loop
	activeExpireCycleFastDuration    = 1000 // µs
	activeExpireCycleSlowTimePerc    = 25   // max % of CPU to use
	activeExpireCycleAcceptableStale = 10   // % of stale keys after which we do extra efforts
	cronDBsPerCall                   = 16
	dictHTInitialSize                = 4
)

// activeExpireCycleSlow is the cycle serverCron runs.
func (srv *Server) activeExpireCycleSlow() { srv.activeExpireCycle(false) }

// activeExpireCycleFast is the cycle beforeSleep runs.
func (srv *Server) activeExpireCycleFast() { srv.activeExpireCycle(true) }

// activeExpireCycle samples keys with a TTL and deletes the expired ones,
// within a time budget, as Redis 7.0's activeExpireCycle.
//
// Each database (at most 16 per call, all of them after a call that ran out
// of time) is sampled 20 keys at a time from a cursor that walks its
// expires table, and sampled again while more than 10% of a sample was
// expired. The slow cycle may use 25% of a cron period; the fast cycle, run
// before the loop sleeps, 1 ms, and only when the last slow cycle ran out
// of time, never twice within 2 ms. active-expire-effort (1-10) raises
// these limits.
func (srv *Server) activeExpireCycle(fast bool) {
	st := &srv.expireCycle
	if st.disabled {
		return
	}
	// Nothing expires while clients are paused.
	if srv.checkClientPauseTimeoutAndReturnIfPaused() {
		return
	}
	effort := int64(srv.Config.activeExpireEffort - 1) // 0 to 9
	keysPerLoop := activeExpireCycleKeysPerLoop + activeExpireCycleKeysPerLoop/4*effort
	fastDuration := activeExpireCycleFastDuration + activeExpireCycleFastDuration/4*effort
	slowTimePerc := activeExpireCycleSlowTimePerc + 2*effort
	acceptableStale := activeExpireCycleAcceptableStale - effort

	start := time.Now()
	startUs := start.UnixMicro()
	if fast {
		// Redis compares the stale fraction (0..1) with a percentage
		// here, so only a time-limited slow cycle triggers fast cycles.
		if !st.timelimitExit && srv.Stats.expiredStalePerc < float64(acceptableStale) {
			return
		}
		if startUs < st.lastFastCycle+fastDuration*2 {
			return
		}
		st.lastFastCycle = startUs
	}

	dbsPerCall := cronDBsPerCall
	if dbsPerCall > len(srv.DBs) || st.timelimitExit {
		dbsPerCall = len(srv.DBs)
	}
	hz := int64(srv.Config.Hz)
	if hz <= 0 {
		hz = 10
	}
	timelimit := slowTimePerc * 1000000 / hz / 100 // µs
	if timelimit <= 0 {
		timelimit = 1
	}
	if fast {
		timelimit = fastDuration
	}
	st.timelimitExit = false

	var totalSampled, totalExpired int64
	iteration := 0
	for j := 0; j < dbsPerCall && !st.timelimitExit; j++ {
		db := srv.DBs[st.currentDB%len(srv.DBs)]
		// Move on now, so a cycle that runs out of time here starts
		// with the next database.
		st.currentDB++
		for {
			iteration++
			num := int64(db.Expires.Len())
			if num == 0 {
				db.avgTTL = 0
				break
			}
			// Under 1% of the buckets in use, sampling is too expensive:
			// wait for the table to shrink.
			slots := int64(db.Expires.Buckets())
			if slots > dictHTInitialSize && num*100/slots < 1 {
				break
			}
			now := time.Now().UnixMilli()
			var sampled, expired, ttlSum, ttlSamples int64
			if num > keysPerLoop {
				num = keysPerLoop
			}
			maxBuckets := num * 20
			for checked := int64(0); sampled < num && checked < maxBuckets; checked++ {
				keys := st.expired[:0]
				db.expiresCursor = db.Expires.Scan(db.expiresCursor, func(k string, when *int64) {
					ttl := *when - now
					if now > *when {
						keys = append(keys, k)
					}
					if ttl > 0 {
						ttlSum += ttl
						ttlSamples++
					}
					sampled++
				})
				for i, k := range keys {
					srv.deleteExpiredKey(db, stringBytes(k))
					keys[i] = ""
				}
				expired += int64(len(keys))
				st.expired = keys[:0]
			}
			totalExpired += expired
			totalSampled += sampled
			if ttlSamples > 0 {
				avg := ttlSum / ttlSamples
				// A running average: 2% the new sample, 98% the old.
				if db.avgTTL == 0 {
					db.avgTTL = avg
				}
				db.avgTTL = db.avgTTL/50*49 + avg/50
			}
			if iteration&0xf == 0 { // check the time every 16 iterations
				if time.Since(start).Microseconds() > timelimit {
					st.timelimitExit = true
					srv.Stats.expiredTimeCapReached++
					break
				}
			}
			// Stay on this database while too many of the sampled keys
			// were expired.
			if sampled != 0 && expired*100/sampled <= acceptableStale {
				break
			}
		}
	}
	elapsed := time.Since(start).Microseconds()
	srv.Stats.expireCycleTimeUsed += elapsed
	srv.latencyAddSampleIfNeeded("expire-cycle", elapsed/1000)
	var current float64
	if totalSampled > 0 {
		current = float64(totalExpired) / float64(totalSampled)
	}
	srv.Stats.expiredStalePerc = current*0.05 + srv.Stats.expiredStalePerc*0.95
}
