package main

// -map syncmap: the built-ins' single-map shapes (map[uint64]uint64,
// map[uint64]*payload, map[string]*payload) on a sync.Map instead, with the
// same keys and values converted to `any` as a program would pass them
// (Store(k, v)): Go 1.19's read/dirty maps before Go 1.24, the hash-trie
// (internal/sync.HashTrieMap) since. The lab's models: syncmap119
// (Sources/LabMaps/Sync/SyncMap119.swift) and synctrie. Single goroutine.
//
// Clear and range-delete are the Range-and-Delete idiom before Go 1.23
// (no Map.Clear); from Go 1.23 clear is Map.Clear (clear_go121.go's
// neighbours: syncclear_*.go). An iteration is a Range whose callback
// stops after its steps; a held iterator runs the rest of the program
// inside the callback, as hold does for a map.

import (
	"fmt"
	"strings"
	"sync"
	"unsafe"
)

// syncMapRun says whether this run uses a sync.Map (-map syncmap).
var syncMapRun bool

// goVersionLabel is the go_version this run's rows carry: the runtime's,
// with "-syncmap" for a sync.Map run (a reference folder of its own, and
// the lab's compare-go joins it with its sync.Map models).
func goVersionLabel() string {
	if syncMapRun {
		return strings.TrimSpace(goVersion) + "-syncmap"
	}
	return strings.TrimSpace(goVersion)
}

func (s *stepRunner) syncKey(k uint64) any {
	if s.form == formStrings {
		if s.sprintf {
			return fmt.Sprintf("%016x", k)
		}
		n := s.writeKey(k)
		return string(s.keyBuf[:n])
	}
	return k
}

func (s *stepRunner) sMake() { s.sm = new(sync.Map) }

func (s *stepRunner) sInsert(i int, size int) {
	k := s.key(i)
	switch s.form {
	case formWords:
		s.sm.Store(k, uint64(i))
	case formPayloads:
		s.sm.Store(k, s.newPayload(k, size))
	case formStrings:
		s.sm.Store(s.syncKey(k), s.newPayload(k, size))
	}
}

// sProbe deletes or looks up key k: the key as a non-escaping `any`.
func (s *stepRunner) sDelete(k uint64) {
	if s.form == formStrings {
		n := s.writeKey(k)
		s.sm.Delete(string(s.keyBuf[:n]))
		return
	}
	s.sm.Delete(k)
}

func (s *stepRunner) sLookup(k uint64) bool {
	var hit bool
	if s.form == formStrings {
		n := s.writeKey(k)
		_, hit = s.sm.Load(string(s.keyBuf[:n]))
	} else {
		_, hit = s.sm.Load(k)
	}
	return hit
}

// sKeyIndex is the index of the key a Range gave back with its value.
func (s *stepRunner) sKeyIndex(v any) int {
	switch s.form {
	case formWords:
		return int(v.(uint64))
	}
	return s.keyIndex(v.(unsafe.Pointer))
}

func sKeySum(k any) uint64 {
	switch k := k.(type) {
	case uint64:
		return k
	case string:
		return uint64(len(k))
	}
	return 0
}

func (s *stepRunner) sIterate(whole bool, steps int, deleteVisited bool) {
	n := 0
	s.sm.Range(func(k, v any) bool {
		if !whole && n == steps {
			return false
		}
		n++
		s.sum += sKeySum(k)
		if !whole && deleteVisited {
			s.delete(s.sKeyIndex(v))
		}
		return true
	})
}

// sRangeDelete is the Range-and-Delete idiom.
//
//go:noinline
func sRangeDelete(m *sync.Map) {
	m.Range(func(k, _ any) bool {
		m.Delete(k)
		return true
	})
}

func (s *stepRunner) sHold(prog []action, pc int, name string, steps int) int {
	resume, n := -1, 0
	s.sm.Range(func(k, _ any) bool {
		s.sum += sKeySum(k)
		n++
		if n == steps {
			resume = s.exec(prog, pc+1, name)
		}
		return true
	})
	if resume < 0 {
		resume = s.exec(prog, pc+1, name)
	}
	return resume
}

// syncMap119 and readOnly119 are sync.Map's layout before Go 1.24
// (sync/map.go): Go 1.19 keeps `read` in an atomic.Value (an `any` holding
// a readOnly), Go 1.20–1.23 in an atomic.Pointer[readOnly].
type syncMap119 struct {
	mu       [8]byte
	readType unsafe.Pointer
	readData unsafe.Pointer
	dirty    unsafe.Pointer
	misses   int
}

type syncMap120 struct {
	mu     [8]byte
	read   unsafe.Pointer
	dirty  unsafe.Pointer
	misses int
}

type readOnly119 struct {
	m       unsafe.Pointer
	amended bool
}

// sSlots is the slot capacity of the sync.Map's read and dirty maps (the
// lab's syncmap119 slotCapacity); the hash-trie has no slots.
func (s *stepRunner) sSlots() int {
	if s.sm == nil || swissMaps() {
		return 0
	}
	var ro, dirty unsafe.Pointer
	var minor int
	fmt.Sscanf(strings.TrimPrefix(goVersion, "go1."), "%d", &minor)
	if minor <= 19 {
		m := (*syncMap119)(unsafe.Pointer(s.sm))
		ro, dirty = m.readData, m.dirty
	} else {
		m := (*syncMap120)(unsafe.Pointer(s.sm))
		ro, dirty = m.read, m.dirty
	}
	total := slotsOf(dirty)
	if ro != nil {
		total += slotsOf((*readOnly119)(ro).m)
	}
	return total
}
