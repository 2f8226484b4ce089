package recorder

import (
	"encoding/binary"
	"unsafe"
)

// mix is SplitMix64's finalizer, the lab's SplitMix64.mix
// (Sources/LabHeap/SplitMix64.swift): a bijection of uint64, so word keys
// hash without collisions and the same key always gets the same hash.
func mix(z uint64) uint64 {
	z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9
	z = (z ^ (z >> 27)) * 0x94D049BB133111EB
	return z ^ (z >> 31)
}

// hashBytes hashes n bytes at p: each 8-byte chunk (the tail zero-padded)
// folded in through mix, then the length. Fixed, so traces of the same run
// are byte-identical; not a keyed hash, since the keys never leave the
// process and nothing adversarial chooses them.
func hashBytes(p unsafe.Pointer, n int) uint64 {
	h := uint64(0x9E3779B97F4A7C15)
	b := unsafe.Slice((*byte)(p), n)
	for len(b) >= 8 {
		h = mix(h ^ binary.LittleEndian.Uint64(b))
		b = b[8:]
	}
	if len(b) > 0 {
		var tail [8]byte
		copy(tail[:], b)
		h = mix(h ^ binary.LittleEndian.Uint64(tail[:]))
	}
	return mix(h ^ uint64(n))
}

// hashString hashes a string's bytes (not its header).
func hashString(s string) uint64 {
	if len(s) == 0 {
		return hashBytes(nil, 0)
	}
	// A string header's first word is its data pointer (unsafe.StringData
	// is Go 1.20+).
	return hashBytes(*(*unsafe.Pointer)(unsafe.Pointer(&s)), len(s))
}
