//go:build !go1.21

package main

// clearMap before Go 1.21 had no clear builtin: the range-delete idiom, which
// the compiler turns into the same runtime.mapclear call
// (cmd/compile/internal/walk/range.go, isMapClear).
func clearMap[K comparable, V any](m map[K]V) {
	for k := range m {
		delete(m, k)
	}
}
