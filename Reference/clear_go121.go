//go:build go1.21

package main

import "reflect"

// clearMap is Go 1.21's clear(m): runtime.mapclear on the classic map,
// maps.Clear on the Swiss map.
func clearMap[K comparable, V any](m map[K]V) { clear(m) }

// clearValue is clear(m) on a map of the general form: reflect's Clear,
// the same runtime call.
func clearValue(_ *general, m reflect.Value) { m.Clear() }
