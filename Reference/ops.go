// `-mode ops` and `-mode gc`: the real Go map and collector on the lab's
// key sets, one repetition per process, so that `bucketlab ops` and
// `bucketlab gcbench` can interleave Go's repetitions with the lab's own
// (Sources/BucketLab/Harness/OpsBenchmark.swift, CollectorBenchmark.swift).
// Every repetition is a row of its own; the lab computes medians, spreads
// and ratios.

package main

import (
	"os"
	"runtime"
	"runtime/debug"
	"strconv"
	"strings"
	"time"
)

// keySets is the lab's OpsKeys: `keys` distinct keys, as many absent ones,
// and the present keys in another random order.
func keySets(keys int, seed uint64) (present, absent, probe []uint64) {
	g := splitMix{seed}
	seen := make(map[uint64]struct{}, keys)
	for len(present) < keys {
		k := g.next()
		if _, dup := seen[k]; !dup {
			seen[k] = struct{}{}
			present = append(present, k)
		}
	}
	for len(absent) < keys {
		k := g.next()
		if _, in := seen[k]; !in {
			absent = append(absent, k)
		}
	}
	probe = append([]uint64(nil), present...)
	for i := len(probe) - 1; i > 0; i-- {
		j := int(g.next() % uint64(i+1))
		probe[i], probe[j] = probe[j], probe[i]
	}
	return
}

// anonHugeKiB is this process's AnonHugePages (/proc/self/smaps_rollup):
// the huge pages it really has, whatever was asked for (Go 1.19 advises
// MADV_HUGEPAGE on its heap, Go 1.21.4 and later advise nothing, and THP
// "always" gives them to everyone). -1 where the file cannot be read.
func anonHugeKiB() int {
	data, err := os.ReadFile("/proc/self/smaps_rollup")
	if err != nil {
		return -1
	}
	for _, line := range strings.Split(string(data), "\n") {
		if strings.HasPrefix(line, "AnonHugePages:") {
			f := strings.Fields(line)
			if len(f) >= 2 {
				if n, err := strconv.Atoi(f[1]); err == nil {
					return n
				}
			}
		}
	}
	return -1
}

var sampleHeader = []string{"impl", "op", "keys", "thp", "gc", "hint", "rep", "ns_per_op", "anon_huge_kib"}

// runOps: for each of o.repeat repetitions, a fresh map (make(map, hint))
// on a fresh heap and the lab's five timed loops in its order: insert all, look each up
// (another order), look up as many absent keys, range over everything,
// delete all. The collector is off during the loops (-gc off: the key
// slices are built and collected first, then debug.SetGCPercent(-1)) or at
// GOGC 100 (-gc on). anon_huge_kib: AnonHugePages gained during the insert.
func runOps(o options) [][]string {
	present, absent, probe := keySets(o.keys, o.seed)
	rows := [][]string{sampleHeader}
	var sink uint64
	for rep := 0; rep < o.repeat; rep++ {
		// A fresh heap, as the lab's: the key sets' garbage (the 10^6-entry
		// dedup map) collected and its pages returned to the OS, so the
		// map's memory is faulted in by its own inserts, not reused warm.
		debug.FreeOSMemory()
		if o.gc == "off" {
			debug.SetGCPercent(-1)
		} else {
			debug.SetGCPercent(100)
		}
		m := make(map[uint64]uint64, o.hint)
		hugeBefore := anonHugeKiB()
		ns := map[string]float64{}
		timed := func(op string, body func()) {
			t0 := time.Now()
			body()
			ns[op] = float64(time.Since(t0).Nanoseconds()) / float64(o.keys)
		}
		timed("insert", func() {
			for _, k := range present {
				m[k] = k
			}
		})
		huge := anonHugeKiB() - hugeBefore
		if hugeBefore < 0 {
			huge = -1
		}
		timed("lookup_hit", func() {
			var s uint64
			for _, k := range probe {
				s += m[k]
			}
			sink += s
		})
		timed("lookup_miss", func() {
			var s uint64
			for _, k := range absent {
				if v, ok := m[k]; ok {
					s += v
				} else {
					s++
				}
			}
			sink += s
		})
		timed("iterate", func() {
			var s uint64
			for k, v := range m {
				s += k ^ v
			}
			sink += s
		})
		timed("delete", func() {
			for _, k := range probe {
				delete(m, k)
			}
		})
		if len(m) != 0 {
			fail("delete left keys behind")
		}
		debug.SetGCPercent(100)
		for _, op := range []string{"insert", "lookup_hit", "lookup_miss", "iterate", "delete"} {
			rows = append(rows, []string{goVersion, op, strconv.Itoa(o.keys), o.thp, o.gc, strconv.Itoa(o.hint),
				strconv.Itoa(rep), strconv.FormatFloat(ns[op], 'f', 2, 64), strconv.Itoa(huge)})
		}
	}
	runtime.KeepAlive(sink)
	return rows
}

// runGC times runtime.GC() on a settled heap: a map[uint64]*P48 of o.keys
// entries (fill-drain-ptr's peak: buckets before Go 1.24, Swiss tables
// after), collected once, then o.repeat more times with nothing to free:
// a full cycle's fixed cost and its marking of the map and every payload.
// One row per cycle (the lab's collector on the same heap:
// CollectorBenchmark.swift).
func runGC(o options) [][]string {
	present, _, _ := keySets(o.keys, o.seed)
	m := make(map[uint64]*P48)
	for _, k := range present {
		p := new(P48)
		putKey(p[:], k)
		m[k] = p
	}
	runtime.GC()
	huge := anonHugeKiB()
	rows := [][]string{sampleHeader}
	for rep := 0; rep < o.repeat; rep++ {
		t0 := time.Now()
		runtime.GC()
		ns := time.Since(t0).Nanoseconds()
		rows = append(rows, []string{goVersion, "gc_full_cycle", strconv.Itoa(o.keys), o.thp, "on", "0",
			strconv.Itoa(rep), strconv.FormatInt(ns, 10), strconv.Itoa(huge)})
	}
	runtime.KeepAlive(m)
	return rows
}
