package main

import (
	"fmt"
	"os"
	"runtime"
	"time"
	"unsafe"
)

// A workload file's `drop` with `via` (docs/workload-files.md): the map is
// held by a wrapper, struct{ m M }, which is dropped with a finalizer that
// clears the map (runtime.SetFinalizer) or with a cleanup given the map as
// its arg (runtime.AddCleanup, Go 1.24+: cleanup_go124.go); with `cycle`,
// one more entry's value points back to the wrapper. Each finalizer or
// cleanup signals on `finalized` when it has cleared the map, and the
// `await-finalizers` step waits for that signal, so the number of
// runtime.GC() calls (one per phase end) until the map's storage is freed
// does not depend on when the finalizer goroutine is scheduled.

type wrapper[M any] struct{ m M }

// finalized: one signal per finalizer or cleanup that has run.
var finalized = make(chan struct{}, 64)

// pendingSpecials: finalizers and cleanups set and not yet signalled.
var pendingSpecials int

// awaitTimeout: how long await-finalizers waits for a signal before it
// takes it that no finalizer was queued (the wrapper is still reachable, as
// in a cycle through it). runtime.GC() has swept, so a queued finalizer is
// already on the finalizer goroutine's queue.
const awaitTimeout = 500 * time.Millisecond

// dropWrapped drops `m` through a wrapper: `clear` is what the finalizer or
// cleanup does; `link` (cycle) stores the wrapper's address in the map.
func dropWrapped[M any](m M, via string, clear func(M), link func(unsafe.Pointer)) {
	w := &wrapper[M]{m: m}
	if link != nil {
		link(unsafe.Pointer(w))
	}
	switch via {
	case "finalizer":
		runtime.SetFinalizer(w, func(w *wrapper[M]) {
			clear(w.m)
			finalized <- struct{}{}
		})
	case "cleanup":
		addCleanup(w, func(m M) {
			clear(m)
			finalized <- struct{}{}
		}, m)
	}
	pendingSpecials++
}

// dropVia is the step: the current map goes into a wrapper and the runner
// forgets it.
func (s *stepRunner) dropVia(st *step) {
	s.currentMap()
	var link func(unsafe.Pointer)
	if st.Cycle {
		k := s.key(s.next)
		s.next++
		switch {
		case syncMapRun:
			m := s.sm
			link = func(p unsafe.Pointer) { m.Store(s.syncKey(k), p) }
		case s.form == formPayloads:
			m := s.ptrs
			link = func(p unsafe.Pointer) { m[k] = p }
		default:
			s.fail(st, fmt.Errorf("a value points back to the wrapper only in one map of uint64 keys to pointers"))
		}
	}
	switch {
	case syncMapRun:
		dropWrapped(s.sm, st.Via, sClear, link)
	case s.form == formWords:
		dropWrapped(s.words, st.Via, clearMap[uint64, uint64], link)
	case s.form == formPayloads:
		dropWrapped(s.ptrs, st.Via, clearMap[uint64, unsafe.Pointer], link)
	case s.form == formStrings:
		dropWrapped(s.strs, st.Via, clearMap[string, unsafe.Pointer], link)
	default:
		s.fail(st, fmt.Errorf("a drop via a %s runs on the built-ins' single-map shapes only", st.Via))
	}
	s.dropMap()
}

// awaitFinalizers waits for the finalizers and cleanups the last
// runtime.GC() queued to signal.
func awaitFinalizers() {
	for pendingSpecials > 0 {
		select {
		case <-finalized:
			pendingSpecials--
		case <-time.After(awaitTimeout):
			return
		}
	}
}

// usesCleanup: whether a program drops a map via a cleanup, which Go before
// 1.24 cannot run: such a file writes no rows there (a note on stderr).
func usesCleanup(prog []action) bool {
	for _, a := range prog {
		if a.kind == doStep && stepUses(a.step, func(st *step) bool { return st.Op == "drop" && st.Via == "cleanup" }) {
			return true
		}
	}
	return false
}

func stepUses(st *step, f func(*step) bool) bool {
	if f(st) {
		return true
	}
	for _, in := range st.inner {
		if stepUses(in, f) {
			return true
		}
	}
	return false
}

// skipWithoutCleanup: true (and a note) when this Go cannot run the file.
func skipWithoutCleanup(file string, prog []action) bool {
	if hasCleanup || !usesCleanup(prog) {
		return false
	}
	fmt.Fprintf(os.Stderr, "reference: %s: runtime.AddCleanup needs Go 1.24; %s writes no rows\n", file, runtime.Version())
	return true
}
