//go:build !go1.23

package main

import "sync"

// sClear before Go 1.23, which has no sync.Map.Clear: the Range-and-Delete
// idiom.
func sClear(m *sync.Map) { sRangeDelete(m) }
