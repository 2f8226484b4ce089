//go:build go1.21

package main

// clearMap is Go 1.21's clear(m): runtime.mapclear on the classic map,
// maps.Clear on the Swiss map.
func clearMap[K comparable, V any](m map[K]V) { clear(m) }
