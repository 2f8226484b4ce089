//go:build go1.24

package main

import "runtime"

// hasCleanup: runtime.AddCleanup exists (Go 1.24+, runtime/mcleanup.go).
const hasCleanup = true

func addCleanup[T, S any](ptr *T, cleanup func(S), arg S) { runtime.AddCleanup(ptr, cleanup, arg) }
