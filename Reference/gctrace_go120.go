//go:build go1.20

package main

import (
	"math"
	"unsafe"
)

// Go 1.20's runtime/metrics CPU classes (absent in Go 1.19): estimates the
// runtime keeps in ns and snapshots at each mark termination, so read after
// runtime.GC() they cover the cycles up to /gc/cycles/total.
//
// Read through the runtime's own entry point, the one runtime/metrics.Read
// calls, rather than through that package: its init builds the table of
// every metric's description (on Go 1.27 ~64 KB of heap, kept for good),
// which would move the heap figures. metricSample mirrors runtime/metrics'
// Sample, which the runtime's metricSample is "structurally identical" to
// (src/runtime/metrics.go); kinds 1 and 2 are KindUint64 and KindFloat64.
type metricSample struct {
	name  string
	value struct {
		kind    int
		scalar  uint64
		pointer unsafe.Pointer
	}
}

//go:linkname runtimeReadMetrics runtime/metrics.runtime_readMetrics
func runtimeReadMetrics(samples unsafe.Pointer, len int, cap int)

var gcMetricSamples = [6]metricSample{
	{name: "/gc/cycles/total:gc-cycles"},
	{name: "/cpu/classes/gc/total:cpu-seconds"},
	{name: "/cpu/classes/gc/pause:cpu-seconds"},
	{name: "/cpu/classes/gc/mark/assist:cpu-seconds"},
	{name: "/cpu/classes/gc/mark/dedicated:cpu-seconds"},
	{name: "/cpu/classes/gc/mark/idle:cpu-seconds"},
}

func init() {
	readGCMetrics = func(m *gcMetrics) bool {
		s := &gcMetricSamples
		runtimeReadMetrics(unsafe.Pointer(&s[0]), len(s), len(s))
		if s[0].value.kind != 1 {
			return false
		}
		for i := 1; i < len(s); i++ {
			if s[i].value.kind != 2 {
				return false
			}
		}
		ns := func(i int) int64 {
			// Seconds as float64 from integer ns: exact back to the ns
			// below 2^53 ns (104 days).
			return int64(math.Float64frombits(s[i].value.scalar)*1e9 + 0.5)
		}
		*m = gcMetrics{s[0].value.scalar, ns(1), ns(2), ns(3), ns(4), ns(5)}
		return true
	}
}
