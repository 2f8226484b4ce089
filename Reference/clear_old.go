//go:build !go1.21

package main

import (
	"reflect"
	"unsafe"
)

// clearMap before Go 1.21 had no clear builtin: the range-delete idiom, which
// the compiler turns into the same runtime.mapclear call
// (cmd/compile/internal/walk/range.go, isMapClear). Not inlined: Go 1.19
// inlines it into the generic runPayloads, and there the idiom is no longer
// recognised — the loop deletes key by key, and at 10^5 keys the "cleared"
// phase kept the ~1,600 overflow buckets mapclear drops (measured: 1,775 heap
// objects after runtime.GC() inlined, 135 with the loop written in place).
//
//go:noinline
func clearMap[K comparable, V any](m map[K]V) {
	for k := range m {
		delete(m, k)
	}
}

// runtimeMapclear is the call the range-delete idiom compiles to
// (runtime/map.go mapclear(t *maptype, h *hmap), Go 1.19–1.20).
//
//go:linkname runtimeMapclear runtime.mapclear
func runtimeMapclear(t unsafe.Pointer, h unsafe.Pointer)

// clearValue is clear(m) on a map of the general form. Before Go 1.21
// reflect has no Clear, and a reflect range-delete would delete key by key
// (keeping the overflow buckets mapclear drops): the runtime's mapclear
// itself, as the idiom compiles to.
func clearValue(g *general, m reflect.Value) { runtimeMapclear(g.mapRtype, m.UnsafePointer()) }
