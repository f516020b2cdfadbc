package fs

import (
	"time"
)

// The file front end yields to the network one. A recursive grep over the
// mount is a tight loop of OPEN and RELEASE requests, and serving them
// costs the process about as much CPU as grep itself spends; on a small
// machine that CPU comes out of what the loop and its network clients get.
// So while network clients keep the loop busy, an open of a key or member
// first waits a moment: file throughput drops under network load and the
// network keeps most of its. Measured with the workload of
// scripts/fs-bench.sh (grep -r over 10,000 keys against redis-benchmark
// -P 1, 2 cores): the network
// kept 0.43 of its idle throughput without the wait, 0.75 (SET) and 0.88
// (GET) with it (medians of 10); real Redis beside the same grep over
// tmpfs keeps about 0.8. The price: while the network is that busy, a
// grep over 10,000 keys takes at least 10 s. Without network load
// nothing waits.
const (
	// yieldRate is the rate of commands from clients other than the file
	// server's jobs (per second) above which the loop counts as busy.
	yieldRate = 5000
	// yieldWindow is how often the rate is measured, and how long the
	// loop counts as busy after a measure above yieldRate.
	yieldWindow = 20 * time.Millisecond
	// yieldDelay is how long a file operation waits while the loop is
	// busy.
	yieldDelay = time.Millisecond
)

// measureLoad runs in beforeSleep: every yieldWindow it compares the
// commands processed meanwhile, less those of file-server jobs, with
// yieldRate.
func (ls *loopSide) measureLoad() {
	now := ls.srv.Now()
	el := now.Sub(ls.loadAt)
	if el < yieldWindow {
		return
	}
	cmds := ls.srv.Stats.NumCommands - ls.loadCmds - (ls.jobCmds - ls.loadJobCmds)
	ls.loadAt, ls.loadCmds, ls.loadJobCmds = now, ls.srv.Stats.NumCommands, ls.jobCmds
	if float64(cmds) > yieldRate*el.Seconds() {
		ls.fsys.busyUntil.Store(now.Add(yieldWindow).UnixNano())
	}
}

// yield waits yieldDelay when network clients keep the loop busy.
func (fsys *FS) yield() {
	if until := fsys.busyUntil.Load(); until != 0 && time.Now().UnixNano() < until {
		time.Sleep(yieldDelay)
	}
}
