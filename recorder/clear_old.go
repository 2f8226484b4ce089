//go:build !go1.21

package recorder

// clearIsBuiltin: before Go 1.21 Clear is the range-delete idiom, which the
// compiler turns into runtime.mapclear when it recognises it
// (cmd/compile/internal/walk/range.go, isMapClear); inlined into generic
// code it may not (see Reference/clear_old.go), hence noinline.
const clearIsBuiltin = false

//go:noinline
func clearMap[K comparable, V any](m map[K]V) {
	for k := range m {
		delete(m, k)
	}
}
