package server

import (
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
}

func newGCTuner(maxmemory int64) *gcTuner {
	if maxmemory > 0 {
		// Leave room above maxmemory for the runtime's own overhead:
		// eviction, not the GC, enforces maxmemory.
		debug.SetMemoryLimit(maxmemory + maxmemory/4 + gcMinHeadroom)
	}
	return &gcTuner{
		samples: []metrics.Sample{{Name: "/gc/heap/live:bytes"}},
		percent: gcMaxPercent,
	}
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
