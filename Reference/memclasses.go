package main

// Go's memory by class at each phase end, its heap goal, and its GC CPU
// limiter (the lab's memory-limit model, docs/memory-limit.md): read after
// runtime.GC() through the runtime's own runtime/metrics entry point, as
// gctrace_go120.go reads the CPU classes (no package table on the heap).
// Every one is in Go 1.19 too (runtime/metrics.go there lists
// /gc/limiter/last-enabled); a metric a version lacks would read as kind 0,
// written empty.

import (
	"strconv"
	"unsafe"
)

//go:linkname runtimeReadMemMetrics runtime/metrics.runtime_readMetrics
func runtimeReadMemMetrics(samples unsafe.Pointer, len int, cap int)

var memMetricSamples = [15]metricSampleMem{
	{name: "/memory/classes/total:bytes"},
	{name: "/memory/classes/heap/objects:bytes"},
	{name: "/memory/classes/heap/unused:bytes"},
	{name: "/memory/classes/heap/free:bytes"},
	{name: "/memory/classes/heap/released:bytes"},
	{name: "/memory/classes/heap/stacks:bytes"},
	{name: "/memory/classes/os-stacks:bytes"},
	{name: "/memory/classes/metadata/mspan/inuse:bytes"},
	{name: "/memory/classes/metadata/mspan/free:bytes"},
	{name: "/memory/classes/metadata/mcache/inuse:bytes"},
	{name: "/memory/classes/metadata/mcache/free:bytes"},
	{name: "/memory/classes/metadata/other:bytes"},
	{name: "/memory/classes/other:bytes"},
	{name: "/gc/heap/goal:bytes"},
	{name: "/gc/limiter/last-enabled:gc-cycle"},
}

// metricSampleMem mirrors runtime/metrics' Sample (see gctrace_go120.go).
type metricSampleMem struct {
	name  string
	value struct {
		kind    int
		scalar  uint64
		pointer unsafe.Pointer
	}
}

var memHeader = []string{"mem_total_bytes", "mem_heap_objects_bytes", "mem_heap_unused_bytes", "mem_heap_free_bytes",
	"mem_heap_released_bytes", "mem_heap_stacks_bytes", "mem_os_stacks_bytes", "mem_metadata_mspan_bytes",
	"mem_metadata_mcache_bytes", "mem_metadata_other_bytes", "mem_other_bytes", "gc_heap_goal_bytes",
	"gc_limiter_last_enabled_cycle", "memlimit", "gogc", "mem_peak_ready_bytes"}

// memPhase: the metrics at one phase end; ok[i] false where a version lacks one.
type memPhase struct {
	v  [15]uint64
	ok [15]bool
	// peakReady: the highest mappedReady sampled during the phase (0: not sampled).
	peakReady uint64
}

// The high-water mark of mappedReady (/memory/classes/total −
// heap/released) within a phase, what a memory limit is measured against:
// under a limit, sampled every readySampleEvery inserts (each allocates),
// as the lab samples at every safe point; reset at each phase end. A sample
// reads two metrics without stopping the world (a few µs every few hundred
// µs of work).
const readySampleEvery = 256

var (
	readySamples   = [2]metricSampleMem{{name: "/memory/classes/total:bytes"}, {name: "/memory/classes/heap/released:bytes"}}
	readyPeak      uint64
	readyCountdown = readySampleEvery
)

// sampleReady counts one insert and samples mappedReady every readySampleEvery.
func sampleReady() {
	if memlimit <= 0 {
		return
	}
	if readyCountdown--; readyCountdown > 0 {
		return
	}
	readyCountdown = readySampleEvery
	takeReadySample()
}

func takeReadySample() {
	s := &readySamples
	runtimeReadMemMetrics(unsafe.Pointer(&s[0]), len(s), len(s))
	if s[0].value.kind == 1 && s[1].value.kind == 1 && s[0].value.scalar-s[1].value.scalar > readyPeak {
		readyPeak = s[0].value.scalar - s[1].value.scalar
	}
}

func readMemPhase() memPhase {
	s := &memMetricSamples
	runtimeReadMemMetrics(unsafe.Pointer(&s[0]), len(s), len(s))
	var m memPhase
	for i := range s {
		m.v[i], m.ok[i] = s[i].value.scalar, s[i].value.kind == 1
	}
	if memlimit > 0 {
		takeReadySample()
		m.peakReady, readyPeak = readyPeak, 0
	}
	return m
}

// fields: memHeader's values. mspan and mcache are inuse + free.
func (m memPhase) fields(memlimit int64, gogc string) []string {
	get := func(i int) string {
		if !m.ok[i] {
			return ""
		}
		return strconv.FormatUint(m.v[i], 10)
	}
	sum := func(i, j int) string {
		if !m.ok[i] || !m.ok[j] {
			return ""
		}
		return strconv.FormatUint(m.v[i]+m.v[j], 10)
	}
	limit := "off"
	if memlimit > 0 {
		limit = strconv.FormatInt(memlimit, 10)
	}
	peak := ""
	if m.peakReady > 0 {
		peak = strconv.FormatUint(m.peakReady, 10)
	}
	return []string{get(0), get(1), get(2), get(3), get(4), get(5), get(6), sum(7, 8), sum(9, 10), get(11), get(12),
		get(13), get(14), limit, gogc, peak}
}
