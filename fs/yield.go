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
// The engine measures the load (engine.Engine.Busy; for the embedded
// one, commands per second from clients other than the file server's jobs,
// over 5,000 in the last 20 ms).

// yieldDelay is how long a file operation waits while the engine is busy.
const yieldDelay = time.Millisecond

// yield waits yieldDelay when network clients keep the engine busy.
func (fsys *FS) yield() {
	if fsys.eng.Busy() {
		time.Sleep(yieldDelay)
	}
}
