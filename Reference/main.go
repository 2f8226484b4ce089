// The real Go runtime as BucketLab's oracle: the lab's workloads, phase by
// phase, on Go's own map and heap. Each workload is a file
// (docs/workload-files.md) that workload.go interprets as the lab does: same
// keys (the lab's SplitMix64 ported below), same sizes, same phases; at each
// phase end runtime.GC() (timed) and runtime.ReadMemStats, one CSV row per
// phase. `-mode check` only checks a file. `-mode ops` times map
// operations on the lab's `ops` key sets instead; `-mode gc` times
// runtime.GC() on a settled heap of pointers (Benchmarks/Ratios).
//
// One workload per run, so no workload inherits another's heap: the
// scripts/reference driver runs this program once per workload and writes
// Results/reference/<go-version>/phases.csv and ops.csv.
//
// Not expressed here, because Go cannot without unsafe tricks into runtime
// internals: pin/unpin, and so leaked-interior-ref (Go gives no address inside
// a bucket array; &m[k] is not allowed), and the lab's non-Go strategies.
package main

import (
	"encoding/csv"
	"flag"
	"fmt"
	"os"
	"runtime"
	"runtime/debug"
	"sort"
	"strconv"
	"strings"
	"syscall"
	"time"
)

// ---- The lab's seeded generator (Sources/LabHeap/SplitMix64.swift) ----

func mix(x uint64) uint64 {
	z := x
	z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9
	z = (z ^ (z >> 27)) * 0x94D049BB133111EB
	return z ^ (z >> 31)
}

type splitMix struct{ state uint64 }

func (g *splitMix) next() uint64 {
	g.state += 0x9E3779B97F4A7C15
	return mix(g.state)
}

// ---- Payloads: the first word holds the key (as the lab's) ----

// P48 is -mode gc's payload.
type P48 [48]byte

func putKey(p []byte, k uint64) {
	for i := 0; i < 8 && i < len(p); i++ {
		p[i] = byte(k >> (8 * i))
	}
}

// ---- Options and output ----

type options struct {
	workload     string
	workloadFile string
	keys         int
	payloadBytes int
	window       int
	bursts       int
	hint         int
	seed         uint64
	repeat       int
	thp          string
	gc           string
	settle       bool
	form         string
	memlimit     int64  // debug.SetMemoryLimit; 0: none
	gogc         string // debug.SetGCPercent: a percent or "off"
}

// phaseRow keeps the few MemStats fields it writes (a whole MemStats per row
// would itself grow the heap being measured).
type phaseRow struct {
	workload, phase                             string
	liveKeys                                    int
	gcNs                                        int64
	heapInuse, heapAlloc, heapSys, heapReleased uint64
	heapObjects                                 uint64
	numGC                                       uint32
	baselineHeapInuse                           uint64
	gc                                          gcPhase  // Go's collection CPU over the phase (gctrace.go)
	mem                                         memPhase // memory classes, heap goal, limiter (memclasses.go)
}

type recorder struct {
	opts     options
	baseline uint64
	rows     []phaseRow
	liveKeys int
	gcPrev   gcMark // the previous phase end's GC cycle (gctrace.go)
}

// markBaseline records the runtime's own heap in use — after a GC, once the
// row storage exists and before the workload's map does — so a comparison
// can count only what the workload adds.
func (r *recorder) markBaseline() {
	runtime.GC()
	var ms runtime.MemStats
	runtime.ReadMemStats(&ms)
	r.baseline = ms.HeapInuse
	r.markGC(ms.NumGC)
}

var goVersion = runtime.Version()

// The run's limit and GOGC, written in every phase row.
var (
	memlimit int64
	gogcText = "100"
)

func (r *recorder) key(i int) uint64 { return mix(uint64(i) ^ r.opts.seed) }

// endPhase is the lab's phase end: a full collection, then the figures.
func (r *recorder) endPhase(phase string) {
	t0 := time.Now()
	runtime.GC()
	gcNs := time.Since(t0).Nanoseconds()
	var ms runtime.MemStats
	runtime.ReadMemStats(&ms)
	gc := r.gcSince(ms.NumGC)
	r.rows = append(r.rows, phaseRow{r.opts.workload, phase, r.liveKeys, gcNs, ms.HeapInuse, ms.HeapAlloc,
		ms.HeapSys, ms.HeapReleased, ms.HeapObjects, ms.NumGC, r.baseline, gc, readMemPhase()})
}

// settle: `idle` (the background scavenger left to run to its goal), then
// `freeos` (after debug.FreeOSMemory).
func (r *recorder) settle() {
	waitForScavenger()
	r.endPhase("idle")
	debug.FreeOSMemory()
	r.endPhase("freeos")
}

// waitForScavenger returns once HeapReleased has not moved for a second (ten
// seconds at most): the background scavenger has reached its goal.
func waitForScavenger() {
	var ms runtime.MemStats
	runtime.ReadMemStats(&ms)
	last, stable := ms.HeapReleased, 0
	for i := 0; i < 40 && stable < 4; i++ {
		time.Sleep(250 * time.Millisecond)
		runtime.ReadMemStats(&ms)
		if ms.HeapReleased == last {
			stable++
		} else {
			last, stable = ms.HeapReleased, 0
		}
	}
}

// growthThreshold, before Go 1.24, is the classic map's: the count at which the next insert
// grows a map grown from empty, for the smallest B that holds n
// (map.go: overLoadFactor, loadFactorNum/Den = 13/2). The lab's workloads
// size their phases with the same rule (BucketMap.growthThreshold).
//
// From Go 1.24 (Swiss tables) the lab's SwissMap.growthThreshold: a table
// holds 7/8 of its slots (table.go maxAvgGroupLoad); up to 1024 slots one
// table doubles, beyond that the map has a power-of-two number of full
// 1024-slot tables.
func growthThreshold(n int) int {
	if syncMapRun && swissMaps() {
		// The hash-trie sync.Map grows node by node: no threshold (the
		// lab's synctrie growthThreshold).
		return n
	}
	if swissMaps() {
		if n <= 8 {
			return 8
		}
		for capacity := 16; capacity <= 1024; capacity *= 2 {
			if capacity*7/8 >= n {
				return capacity * 7 / 8
			}
		}
		tables := 2
		for tables*896 < n {
			tables *= 2
		}
		return tables * 896
	}
	B := uint(0)
	for n > 8 && n > 13*((1<<B)/2) {
		B++
	}
	t := 13 * ((1 << B) / 2)
	if t < 8 {
		t = 8
	}
	return t
}

// slotsForHint is the slots make(map[uint64]uint64, hint) gives the map of
// this Go version (tombstone-churn fills to a share of them). Before Go 1.24
// (map.go makemap): 8 per bucket of the smallest 2^B not over the load
// factor. From 1.24 (internal/runtime/maps/map.go NewMap, table.go
// newTable): targetCapacity = hint*8/7 in ceil(target/1024) tables rounded
// up to a power of two, each of target/tables slots rounded up to a power
// of two, at least 8. The lab reads the same figure off its map
// (MapModel.slotCapacity).
func slotsForHint(hint int) int {
	pow2 := func(x int) int {
		p := 1
		for p < x {
			p <<= 1
		}
		return p
	}
	if !swissMaps() {
		B := 0
		for hint > 8 && hint > 13*((1<<B)/2) {
			B++
		}
		return 8 << B
	}
	if hint <= 8 {
		return 8
	}
	target := hint * 8 / 7
	tables := pow2((target + 1023) / 1024)
	perTable := pow2(target / tables)
	if perTable < 8 {
		perTable = 8
	}
	return tables * perTable
}

// swissMaps says whether this runtime's maps are Swiss tables (Go 1.24+,
// the default; a GOEXPERIMENT=noswissmap build is not expected here).
func swissMaps() bool {
	var major, minor int
	fmt.Sscanf(strings.TrimPrefix(goVersion, "go"), "%d.%d", &major, &minor)
	return major > 1 || minor >= 24
}

// zipf is the lab's ZipfSampler: ranks by inverse CDF.
type zipf struct {
	cdf []float64
	rng splitMix
}

func (z *zipf) next() int {
	u := float64(z.rng.next()>>11) / float64(uint64(1)<<53)
	return sort.Search(len(z.cdf)-1, func(i int) bool { return z.cdf[i] >= u })
}

// runPhases runs one workload file (workload.go) and returns its rows.
func runPhases(o options) []phaseRow {
	r := &recorder{opts: o}
	spec := loadWorkloadFile(o)
	r.opts.workload = spec.Name
	runWorkloadFile(r, spec)
	return r.rows
}

var phaseHeader = []string{"go_version", "workload", "phase", "live_keys", "heap_inuse_bytes", "heap_alloc_bytes",
	"heap_sys_bytes", "heap_released_bytes", "heap_objects", "num_gc", "gc_ns", "baseline_heap_inuse_bytes"}

// The gc_* columns (gctrace.go) follow, after the columns above, then the
// memory classes (memclasses.go).
func init() { phaseHeader = append(append(phaseHeader, gcHeader...), memHeader...) }

func writePhases(path string, rows []phaseRow, header bool) {
	out := [][]string{}
	if header {
		out = append(out, phaseHeader)
	}
	for _, r := range rows {
		out = append(out, []string{goVersionLabel(), r.workload, r.phase, strconv.Itoa(r.liveKeys),
			strconv.FormatUint(r.heapInuse, 10), strconv.FormatUint(r.heapAlloc, 10),
			strconv.FormatUint(r.heapSys, 10), strconv.FormatUint(r.heapReleased, 10),
			strconv.FormatUint(r.heapObjects, 10), strconv.FormatUint(uint64(r.numGC), 10),
			strconv.FormatInt(r.gcNs, 10), strconv.FormatUint(r.baselineHeapInuse, 10)})
		out[len(out)-1] = append(out[len(out)-1], r.gc.fields()...)
		out[len(out)-1] = append(out[len(out)-1], r.mem.fields(memlimit, gogcText)...)
	}
	writeCSV(path, out, !header)
}

// ---- Plumbing ----

func writeCSV(path string, rows [][]string, appendTo bool) {
	flags := os.O_CREATE | os.O_WRONLY | os.O_TRUNC
	if appendTo {
		flags = os.O_CREATE | os.O_WRONLY | os.O_APPEND
	}
	f, err := os.OpenFile(path, flags, 0o644)
	if err != nil {
		fail(err.Error())
	}
	w := csv.NewWriter(f)
	w.UseCRLF = true
	if err := w.WriteAll(rows); err != nil {
		fail(err.Error())
	}
	if err := f.Close(); err != nil {
		fail(err.Error())
	}
}

// failFile: a workload file that cannot run (exit 65, as the lab's).
func failFile(msg string) {
	stopGCTrace()
	fmt.Fprintln(os.Stderr, "reference:", msg)
	os.Exit(65)
}

func loadWorkloadFile(o options) *workloadSpec {
	spec, err := readWorkloadFile(o.workloadFile)
	if err != nil {
		failFile(err.Error())
	}
	return spec
}

func fail(msg string) {
	stopGCTrace()
	fmt.Fprintln(os.Stderr, "reference:", msg)
	os.Exit(2)
}

func main() {
	var o options
	mode := flag.String("mode", "phases", "phases, ops, gc, tables or version")
	flag.StringVar(&o.workloadFile, "workload-file", "", "phases and check: the workload file (docs/workload-files.md) to run")
	flag.IntVar(&o.keys, "keys", 1000000, "keys")
	flag.IntVar(&o.payloadBytes, "payload-bytes", 48, "payload bytes where the file gives none")
	flag.IntVar(&o.window, "window", 0, "churn window and cache capacity (default keys/10)")
	flag.IntVar(&o.bursts, "bursts", 4, "fill/drain cycles of bursty")
	flag.IntVar(&o.hint, "hint", 0, "make(map, hint)")
	seed := flag.Uint64("seed", 1, "seed")
	flag.IntVar(&o.repeat, "repeat", 5, "ops and gc repetitions")
	flag.StringVar(&o.thp, "thp", "on", "on: the runtime's own huge-page advice; off: THP disabled for this process")
	flag.StringVar(&o.gc, "gc", "off", "ops: off (debug.SetGCPercent(-1) during the timed loops) or on (GOGC 100)")
	flag.StringVar(&o.form, "form", "auto", "phases: auto (a typed map for the built-ins' single-map shapes) or general (reflect, for every shape; for tests)")
	out := flag.String("out", "", "CSV file (phases: appended, header when new)")
	noSettle := flag.Bool("no-settle", false, "skip the idle and freeos phases that end every workload")
	mapKind := flag.String("map", "map", "phases: map (Go's map) or syncmap (a sync.Map, syncmap.go; its rows' go_version ends in -syncmap)")
	flag.Int64Var(&o.memlimit, "memlimit", 0, "phases: debug.SetMemoryLimit in bytes (0: none)")
	flag.StringVar(&o.gogc, "gogc", "100", "phases: GOGC, a percent or off")
	flag.Parse()
	o.seed = *seed
	if *mapKind != "map" && *mapKind != "syncmap" {
		fail("-map must be map or syncmap")
	}
	syncMapRun = *mapKind == "syncmap"
	if o.form != "auto" && o.form != "general" {
		fail("-form must be auto or general")
	}
	o.settle = !*noSettle
	if o.window == 0 {
		o.window = o.keys / 10
		if o.window < 1 {
			o.window = 1
		}
	}
	if o.thp == "off" {
		// PR_SET_THP_DISABLE (41): no transparent huge pages for this process.
		if _, _, errno := syscall.RawSyscall(syscall.SYS_PRCTL, 41, 1, 0); errno != 0 {
			fail("prctl(PR_SET_THP_DISABLE): " + errno.Error())
		}
	}
	if *out == "" && *mode != "check" {
		fail("-out FILE is required")
	}
	debug.SetGCPercent(100)
	if *mode == "phases" {
		switch pct, err := strconv.Atoi(o.gogc); {
		case o.gogc == "off":
			debug.SetGCPercent(-1)
		case err == nil && pct > 0:
			debug.SetGCPercent(pct)
		default:
			fail("-gogc must be a positive percent or off")
		}
		if o.memlimit < 0 {
			fail("-memlimit must be a number of bytes")
		}
		if o.memlimit > 0 {
			debug.SetMemoryLimit(o.memlimit)
		}
		memlimit, gogcText = o.memlimit, o.gogc
	}
	switch *mode {
	case "phases":
		// GODEBUG=gctrace=1: this process reads its own gctrace (gctrace.go).
		startGCTrace()
		rows := runPhases(o)
		_, err := os.Stat(*out)
		writePhases(*out, rows, os.IsNotExist(err))
		stopGCTrace()
	case "ops":
		writeCSV(*out, runOps(o), false)
	case "gc":
		writeCSV(*out, runGC(o), false)
	case "tables":
		writeCSV(*out, runTables(o), false)
	case "check":
		// A workload file checked at these sizes, nothing run.
		spec := loadWorkloadFile(o)
		if _, err := spec.program(sizes{int64(o.keys), int64(o.window), int64(o.bursts)}, o.settle); err != nil {
			failFile(o.workloadFile + ": " + err.Error())
		}
	case "version":
		fmt.Println(goVersionLabel())
	default:
		fail("unknown mode " + *mode)
	}
}
