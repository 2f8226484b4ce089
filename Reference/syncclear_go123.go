//go:build go1.23

package main

import "sync"

// sClear is Go 1.23's sync.Map.Clear.
func sClear(m *sync.Map) { m.Clear() }
