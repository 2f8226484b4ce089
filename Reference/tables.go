package main

// -mode tables: the structure of a Swiss map (Go 1.24+) after inserting the
// run's keys from empty, read from the runtime's own header — the one figure
// of the map that no MemStats shows and the lab's model can be checked
// against exactly: how many tables the directory holds, and their slots.
//
// The two structs mirror src/internal/runtime/maps (map.go `Map`, table.go
// `table`) as of Go 1.24-1.27; they are read through unsafe and only on a
// runtime whose maps are Swiss tables. A layout change there shows as
// nonsense (a directory length that is not a power of two), which is refused.

import (
	"strconv"
	"unsafe"
)

type swissMapHeader struct {
	used              uint64
	seed              uintptr
	dirPtr            unsafe.Pointer
	dirLen            int
	globalDepth       uint8
	globalShift       uint8
	writing           uint8
	tombstonePossible bool
	clearSeq          uint64
}

type swissTable struct {
	used       uint16
	capacity   uint16
	growthLeft uint16
	localDepth uint8
	index      int
	groups     unsafe.Pointer
	lengthMask uint64
}

func runTables(o options) [][]string {
	if !swissMaps() {
		fail("-mode tables needs Go 1.24 or later (Swiss maps); this is " + goVersion)
	}
	r := &recorder{opts: o}
	m := make(map[uint64]uint64, o.hint)
	for i := 0; i < o.keys; i++ {
		m[r.key(i)] = uint64(i)
	}
	h := *(**swissMapHeader)(unsafe.Pointer(&m))
	tables, slots := 0, 0
	if h.dirLen > 0 {
		if h.dirLen&(h.dirLen-1) != 0 || h.dirLen != 1<<h.globalDepth {
			fail("the map header does not read as Go 1.24-1.27's: directory length " + strconv.Itoa(h.dirLen))
		}
		dir := unsafe.Slice((**swissTable)(h.dirPtr), h.dirLen)
		seen := map[*swissTable]bool{}
		for _, t := range dir {
			if !seen[t] {
				seen[t] = true
				tables++
				slots += int(t.capacity)
			}
		}
	}
	return [][]string{
		{"go_version", "keys", "hint", "directory_length", "tables", "slots"},
		{goVersion, strconv.Itoa(o.keys), strconv.Itoa(o.hint), strconv.Itoa(h.dirLen), strconv.Itoa(tables),
			strconv.Itoa(slots)},
	}
}
