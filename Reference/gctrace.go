package main

// Go's own account of its collection CPU, per phase: the oracle of the lab's
// GC-cost model (issue 31).
//
// With GODEBUG=gctrace=1 the runtime prints one line per cycle to fd 2
// (src/runtime/extern.go documents the format; mgc.go's gcMarkTermination
// prints it), the same in Go 1.19 and Go 1.27:
//
//	gc 3 @0.021s 4%: 0.015+1.2+0.021 ms clock, 0.030+0.40/1.1/0.18+0.042 ms cpu, 4->4->1 MB, ...
//
// The clock fields are the wall time of sweep termination (STW), concurrent
// mark and mark termination (STW); the cpu fields are sweep termination,
// mark assist / background (dedicated + fractional) / idle, and mark
// termination — the two STW fields being wall time × the procs stopped.
// Each is fmtNSAsMS's text: whole milliseconds from 10 ms, else two
// significant digits (at most three decimals), truncated, not rounded.
//
// This file makes the program read its own gctrace: fd 2 is swapped for a
// pipe to a forwarder process that copies every byte (gctrace or not) to
// the original stderr and back to a parser goroutine here, which reads the
// gctrace lines into a table of running sums indexed by cycle number. At
// each phase end the recorder waits for the line of cycle MemStats.NumGC
// and takes the sums over the cycles since the previous phase end (the
// first phase's since the baseline's collection), the forced one at the
// phase end included. Neither gctrace nor /cpu/classes/gc counts sweeping,
// which is charged to whoever allocates (and, for runtime.GC(), to its
// caller: gc_ns).
//
// The heap: everything this uses is made before the baseline heap
// measurement, the buffers and the table outside Go's heap (offHeap), so
// what a phase adds to the baseline does not move; the baseline itself
// takes the goroutine, the forwarder's start and, from Go 1.20, the
// runtime's metrics table (measured at 10^5 keys over the built-ins,
// interleaved runs: heap_inuse − baseline within ±24 KiB of the program
// without gctrace on Go 1.19, inside Go's own run-to-run range on 1.27;
// the baseline +72 KiB on 1.19 and +148 KiB on 1.27 by the median).
//
// From Go 1.20, runtime/metrics' /cpu/classes/gc/* are read at each phase end
// too (gctrace_go120.go): the runtime's own sums in ns, a check on the
// parsed text, which truncates (mark parts ~2% below the metrics). Their
// pause is narrower than gctrace's: the stop counted on one proc and the
// restart not at all, where gctrace takes procs × the wall time from
// before the stop to after the restart.

import (
	"os"
	"runtime"
	"strconv"
	"strings"
	"sync/atomic"
	"syscall"
	"time"
)

// gcSums: running totals over cycles (gctrace) or since start (metrics).
type gcSums struct {
	cycle      uint32 // the cycle these sums run to (gctrace table)
	cycles     int64
	forced     int64
	clockNs    int64
	sweepTerm  int64 // STW sweep termination CPU
	assist     int64
	background int64
	idle       int64
	markTerm   int64 // STW mark termination CPU
}

func (a gcSums) minus(b gcSums) gcSums {
	return gcSums{a.cycle, a.cycles - b.cycles, a.forced - b.forced, a.clockNs - b.clockNs,
		a.sweepTerm - b.sweepTerm, a.assist - b.assist, a.background - b.background, a.idle - b.idle,
		a.markTerm - b.markTerm}
}

func (a gcSums) cpu() int64   { return a.sweepTerm + a.assist + a.background + a.idle + a.markTerm }
func (a gcSums) pause() int64 { return a.sweepTerm + a.markTerm }

// gcMetrics: /cpu/classes/gc/* in ns, and the cycles they cover.
type gcMetrics struct {
	cycles                                 uint64
	total, pause, assist, background, idle int64
}

// gcPhase is what a phase row adds: Go's collection CPU over the phase.
type gcPhase struct {
	hasTrace   bool
	trace      gcSums
	hasMetrics bool
	metrics    gcMetrics
}

// gcMark is where the previous phase ended.
type gcMark struct {
	numGC      uint32
	metrics    gcMetrics
	hasMetrics bool
}

// readGCMetrics reads /cpu/classes/gc/* (gctrace_go120.go); nil before Go
// 1.20, which lacks them.
var readGCMetrics func(*gcMetrics) bool

const gcTableSize = 1 << 16 // cycles a phase may span

var gct struct {
	on      bool
	saved   int    // the original stderr
	child   int    // the forwarder's pid
	readFd  int    // the pipe back from the forwarder
	chunk   []byte // read buffer (off heap)
	line    []byte // the line being assembled (off heap)
	lineLen int
	skip    bool     // the current line overflowed `line`: not gctrace
	table   []gcSums // running sums by cycle & (gcTableSize-1) (off heap)
	run     gcSums   // running sums through the last line parsed
	first   uint32   // the first cycle seen (0: none yet)
	last    uint32   // atomic: the last cycle parsed
	done    chan struct{}
}

// gctraceEnabled: GODEBUG holds gctrace=N, N ≠ 0 (the runtime reads it left
// to right, the last setting winning).
func gctraceEnabled() bool {
	on := false
	for _, f := range strings.Split(os.Getenv("GODEBUG"), ",") {
		if strings.HasPrefix(f, "gctrace=") {
			v := strings.TrimPrefix(f, "gctrace=")
			on = v != "" && v != "0"
		}
	}
	return on
}

// The forwarder: this program again, started with forwarderEnv set. Fd 2
// of the measured process is a pipe to its stdin; it copies everything to
// its stdout (the original stderr) and then to fd 3, a pipe back to the
// measured process's parser. A separate process, so that what the runtime
// prints as the process dies (a fatal error, a panic) still reaches stderr:
// a reader inside the process dies with it, and with it what the pipe
// holds (measured: Go 1.19's "fatal error: concurrent map writes" lost).
const forwarderEnv = "BUCKETLAB_REFERENCE_STDERR_FORWARDER"

func init() {
	if os.Getenv(forwarderEnv) != "1" {
		return
	}
	var buf [1 << 16]byte
	toParser := true
	for {
		n, err := syscall.Read(0, buf[:])
		if err == syscall.EINTR {
			continue
		}
		if n <= 0 {
			os.Exit(0)
		}
		writeAll(1, buf[:n])
		if toParser && !writeAll(3, buf[:n]) {
			toParser = false // the measured process is gone: stderr only
		}
	}
}

func writeAll(fd int, b []byte) bool {
	for len(b) > 0 {
		n, err := syscall.Write(fd, b)
		if err == syscall.EINTR || err == syscall.EAGAIN {
			continue
		}
		if err != nil || n <= 0 {
			return false
		}
		b = b[n:]
	}
	return true
}

// startGCTrace, when GODEBUG asks for gctrace, puts the forwarder on fd 2
// and starts the parser, and reads the metrics once; it does nothing
// otherwise (the gc_* and metrics_gc_* columns are then empty, and the heap
// is the program's without them). Call it before the baseline heap
// measurement: what it allocates is part of the baseline.
func startGCTrace() {
	if !gctraceEnabled() {
		readGCMetrics = nil // nothing added to the heap; the columns stay empty
		return
	}
	var m gcMetrics
	if readGCMetrics != nil {
		readGCMetrics(&m) // the runtime builds its metrics table (~50 KB) on the first read
	}
	time.Sleep(time.Microsecond) // this goroutine's timer, made now
	saved, err := syscall.Dup(2)
	if err != nil {
		return // no stderr: nothing to read or forward
	}
	syscall.CloseOnExec(saved)
	var in, back [2]int
	if syscall.Pipe2(in[:], syscall.O_CLOEXEC) != nil || syscall.Pipe2(back[:], syscall.O_CLOEXEC) != nil {
		fail("gctrace: pipe2 failed")
	}
	// A roomy pipe: the runtime's print blocks while it is full.
	syscall.Syscall(syscall.SYS_FCNTL, uintptr(in[0]), 1031 /* F_SETPIPE_SZ */, 1<<20)
	env := []string{forwarderEnv + "=1"}
	for _, e := range os.Environ() {
		if !strings.HasPrefix(e, "GODEBUG=") && !strings.HasPrefix(e, forwarderEnv+"=") {
			env = append(env, e)
		}
	}
	pid, err := syscall.ForkExec("/proc/self/exe", []string{"reference-stderr-forwarder"}, &syscall.ProcAttr{
		Env: env, Files: []uintptr{uintptr(in[0]), uintptr(saved), uintptr(saved), uintptr(back[1])}})
	if err != nil {
		fail("gctrace: starting the stderr forwarder: " + err.Error())
	}
	syscall.Close(in[0])
	syscall.Close(back[1])
	if err := syscall.Dup3(in[1], 2, 0); err != nil {
		fail("gctrace: dup3: " + err.Error())
	}
	syscall.Close(in[1])
	gct.on, gct.saved, gct.child, gct.readFd = true, saved, pid, back[0]
	gct.chunk = offHeap[byte](1 << 16)
	gct.line = offHeap[byte](4096)
	gct.table = offHeap[gcSums](gcTableSize)
	gct.done = make(chan struct{})
	go readGCTrace()
	// Let the reader block in read(2) and its P be handed off, so the
	// threads this takes exist before the baseline.
	time.Sleep(20 * time.Millisecond)
}

// stopGCTrace puts the original stderr back on fd 2 and waits for the
// forwarder to pass on what the pipe still holds. Safe to call more than
// once, and when never started.
func stopGCTrace() {
	if !gct.on {
		return
	}
	gct.on = false
	syscall.Dup3(gct.saved, 2, 0) // closes the pipe's only write end: the forwarder ends
	select {
	case <-gct.done:
		var status syscall.WaitStatus
		syscall.Wait4(gct.child, &status, 0, nil)
	case <-time.After(5 * time.Second):
	}
}

func readGCTrace() {
	defer close(gct.done)
	for {
		n, err := syscall.Read(gct.readFd, gct.chunk)
		if n > 0 {
			feed(gct.chunk[:n])
		}
		if err == syscall.EINTR {
			continue
		}
		if n <= 0 || err != nil {
			return
		}
	}
}

// feed splits what was read into lines and parses each.
func feed(b []byte) {
	for _, c := range b {
		if c == '\n' {
			if !gct.skip {
				parseLine(gct.line[:gct.lineLen])
			}
			gct.lineLen, gct.skip = 0, false
			continue
		}
		if gct.lineLen == len(gct.line) {
			gct.skip = true
			continue
		}
		gct.line[gct.lineLen] = c
		gct.lineLen++
	}
}

// parseLine adds a gctrace line to the table; anything else is left alone.
func parseLine(l []byte) {
	var p traceParser
	p.l = l
	if !p.lit("gc ") {
		return
	}
	n, ok := p.uint()
	if !ok || n == 0 || n >= 1<<32 || !p.lit(" @") {
		return
	}
	// "@#s #%: ", Go 1.26+ maybe "#% (checking for goroutine leaks): ".
	for p.i < len(p.l) && p.l[p.i] != ':' {
		p.i++
	}
	if !p.lit(": ") {
		return
	}
	var clock [3]int64
	var cpu [5]int64
	for k := range clock {
		if k > 0 && !p.lit("+") {
			return
		}
		if clock[k], ok = p.ms(); !ok {
			return
		}
	}
	if !p.lit(" ms clock, ") {
		return
	}
	for k := range cpu {
		sep := "+"
		if k == 2 || k == 3 {
			sep = "/"
		}
		if k > 0 && !p.lit(sep) {
			return
		}
		if cpu[k], ok = p.ms(); !ok {
			return
		}
	}
	if !p.lit(" ms cpu") {
		return
	}
	cycle := uint32(n)
	forced := int64(0)
	if len(l) >= 9 && string(l[len(l)-9:]) == " (forced)" {
		forced = 1
	}
	if gct.first == 0 {
		gct.first = cycle
	}
	r := &gct.run
	r.cycle = cycle
	r.cycles++
	r.forced += forced
	r.clockNs += clock[0] + clock[1] + clock[2]
	r.sweepTerm += cpu[0]
	r.assist += cpu[1]
	r.background += cpu[2]
	r.idle += cpu[3]
	r.markTerm += cpu[4]
	gct.table[cycle&(gcTableSize-1)] = *r
	atomic.StoreUint32(&gct.last, cycle)
}

type traceParser struct {
	l []byte
	i int
}

func (p *traceParser) lit(s string) bool {
	if len(p.l)-p.i < len(s) || string(p.l[p.i:p.i+len(s)]) != s {
		return false
	}
	p.i += len(s)
	return true
}

func (p *traceParser) uint() (uint64, bool) {
	start, v := p.i, uint64(0)
	for p.i < len(p.l) && p.l[p.i] >= '0' && p.l[p.i] <= '9' && p.i-start < 18 {
		v = v*10 + uint64(p.l[p.i]-'0')
		p.i++
	}
	return v, p.i > start
}

// ms reads fmtNSAsMS's text ("12", "1.2", "0.015", "0") as exact ns.
func (p *traceParser) ms() (int64, bool) {
	whole, ok := p.uint()
	if !ok {
		return 0, false
	}
	ns := int64(whole) * 1e6
	if p.i < len(p.l) && p.l[p.i] == '.' {
		p.i++
		scale := int64(1e5)
		start := p.i
		for p.i < len(p.l) && p.l[p.i] >= '0' && p.l[p.i] <= '9' {
			ns += int64(p.l[p.i]-'0') * scale
			scale /= 10
			p.i++
		}
		if p.i == start {
			return 0, false
		}
	}
	return ns, true
}

// gcTraceAt is the running sums through cycle n once its line is parsed;
// n below the first cycle seen is the start (zero sums).
func gcTraceAt(n uint32) gcSums {
	deadline := time.Now().Add(10 * time.Second)
	for spins := 0; atomic.LoadUint32(&gct.last) < n; spins++ {
		if spins < 100 {
			runtime.Gosched()
			continue
		}
		if time.Now().After(deadline) {
			fail("gctrace: no line for GC cycle " + itoa(int64(n)) +
				" within 10s (has the runtime's gctrace format changed? src/runtime/extern.go)")
		}
		time.Sleep(100 * time.Microsecond)
	}
	if gct.first == 0 || n < gct.first {
		return gcSums{cycle: n}
	}
	s := gct.table[n&(gcTableSize-1)]
	if s.cycle != n {
		fail("gctrace: GC cycle " + itoa(int64(n)) + " is no longer in the table (more than 65536 cycles in one phase)")
	}
	return s
}

// markGC records where a phase starts: the baseline's collection.
func (r *recorder) markGC(numGC uint32) {
	r.gcPrev = gcMark{numGC: numGC}
	if readGCMetrics != nil {
		r.gcPrev.hasMetrics = readGCMetrics(&r.gcPrev.metrics)
	}
}

// gcSince is Go's collection CPU over the cycles (previous phase end,
// numGC], then marks this phase end. Call it right after ReadMemStats.
func (r *recorder) gcSince(numGC uint32) gcPhase {
	var g gcPhase
	var m gcMetrics
	hasMetrics := readGCMetrics != nil && readGCMetrics(&m)
	if gct.on {
		to := gcTraceAt(numGC)
		from := gcTraceAt(r.gcPrev.numGC)
		g.trace = to.minus(from)
		g.hasTrace = g.trace.cycles == int64(numGC-r.gcPrev.numGC)
		if !g.hasTrace {
			fail("gctrace: " + itoa(g.trace.cycles) + " lines for the " + itoa(int64(numGC-r.gcPrev.numGC)) +
				" GC cycles after cycle " + itoa(int64(r.gcPrev.numGC)))
		}
	}
	// The metrics count only when they cover the same cycles (a collection
	// may end between ReadMemStats and the read).
	if hasMetrics && r.gcPrev.hasMetrics && m.cycles == uint64(numGC) && r.gcPrev.metrics.cycles == uint64(r.gcPrev.numGC) {
		p := r.gcPrev.metrics
		g.hasMetrics = true
		g.metrics = gcMetrics{m.cycles - p.cycles, m.total - p.total, m.pause - p.pause, m.assist - p.assist,
			m.background - p.background, m.idle - p.idle}
	}
	r.gcPrev = gcMark{numGC, m, hasMetrics}
	return g
}

var gcHeader = []string{"gc_cycles", "gc_forced_cycles", "gc_cpu_ns", "gc_pause_cpu_ns", "gc_assist_cpu_ns",
	"gc_background_cpu_ns", "gc_idle_cpu_ns", "gc_clock_ns", "metrics_gc_cpu_ns", "metrics_gc_pause_cpu_ns",
	"metrics_gc_assist_cpu_ns", "metrics_gc_background_cpu_ns", "metrics_gc_idle_cpu_ns"}

// fields: gcHeader's values, empty where not measured.
func (g gcPhase) fields() []string {
	out := make([]string, 0, len(gcHeader))
	if g.hasTrace {
		t := g.trace
		out = append(out, itoa(t.cycles), itoa(t.forced), itoa(t.cpu()), itoa(t.pause()), itoa(t.assist),
			itoa(t.background), itoa(t.idle), itoa(t.clockNs))
	} else {
		out = append(out, "", "", "", "", "", "", "", "")
	}
	if g.hasMetrics {
		m := g.metrics
		out = append(out, itoa(m.total), itoa(m.pause), itoa(m.assist), itoa(m.background), itoa(m.idle))
	} else {
		out = append(out, "", "", "", "", "")
	}
	return out
}

func itoa(v int64) string { return strconv.FormatInt(v, 10) }
