//go:build go1.21

package recorder

// clearIsBuiltin: Clear is Go 1.21's clear(m) (runtime.mapclear on the
// classic map, maps.Clear on the Swiss map).
const clearIsBuiltin = true

func clearMap[K comparable, V any](m map[K]V) { clear(m) }
