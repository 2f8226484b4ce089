//go:build !go1.24

package main

// hasCleanup: no runtime.AddCleanup before Go 1.24; a file that drops a map
// via a cleanup writes no rows (finalizer.go, skipWithoutCleanup).
const hasCleanup = false

func addCleanup[T, S any](ptr *T, cleanup func(S), arg S) {
	panic("runtime.AddCleanup needs Go 1.24")
}
