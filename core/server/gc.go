package server

import (
	"math"
	"runtime/debug"
	"runtime/metrics"
)

// The heap is the database (DESIGN.md rule 5): with Go's default GOGC=100 a
// heap of N live bytes may grow to 2N before a collection, which doubles
// RSS for a big keyspace. gcTuner keeps the headroom proportional for small
// heaps (cheap GC) but caps it for big ones: headroom is the larger of
// gcMinHeadroom and gcMaxPercent of the live heap, expressed as GOGC and
// adjusted from the cron as the keyspace grows and shrinks. With maxmemory
// set, GOMEMLIMIT is also set so the runtime collects harder near the limit.
const (
	gcMinHeadroom = 32 << 20
	gcMaxPercent  = 100
	gcMinPercent  = 25
)

type gcTuner struct {
	samples []metrics.Sample
	percent int
	// initialLimit is the memory limit before the tuner set one
	// (GOMEMLIMIT, or none), restored when maxmemory goes back to 0.
	initialLimit int64
	limitSet     bool
}

func newGCTuner(maxmemory int64) *gcTuner {
	g := &gcTuner{
		samples:      []metrics.Sample{{Name: "/gc/heap/live:bytes"}},
		percent:      gcMaxPercent,
		initialLimit: debug.SetMemoryLimit(-1),
	}
	g.setMaxmemory(maxmemory)
	return g
}

// setMaxmemory sets the runtime's memory limit for maxmemory (at start and
// when CONFIG SET changes it): room is left above maxmemory for the
// runtime's own overhead, since eviction, not the GC, enforces maxmemory.
// With maxmemory 0 the limit in effect before is restored.
func (g *gcTuner) setMaxmemory(maxmemory int64) {
	switch {
	case maxmemory > 0:
		debug.SetMemoryLimit(gcMemoryLimit(maxmemory))
		g.limitSet = true
	case g.limitSet:
		debug.SetMemoryLimit(g.initialLimit)
		g.limitSet = false
	}
}

// gcMemoryLimit is the GOMEMLIMIT for maxmemory (which is > 0).
func gcMemoryLimit(maxmemory int64) int64 {
	limit := maxmemory + maxmemory/4 + gcMinHeadroom
	if limit < maxmemory { // overflow
		return math.MaxInt64
	}
	return limit
}

// tune recomputes GOGC from the live heap measured by the last GC.
func (g *gcTuner) tune() {
	metrics.Read(g.samples)
	if g.samples[0].Value.Kind() != metrics.KindUint64 {
		return
	}
	live := g.samples[0].Value.Uint64()
	if live == 0 {
		return
	}
	p := int(uint64(gcMinHeadroom) * 100 / live)
	p = max(gcMinPercent, min(gcMaxPercent, p))
	if p != g.percent {
		g.percent = p
		debug.SetGCPercent(p)
	}
}
