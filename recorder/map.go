package recorder

import "unsafe"

// MapOptions adjusts how one map is recorded.
type MapOptions[K comparable, V any] struct {
	// Hash replaces the hash of the key's bytes: needed for key types whose
	// bytes do not decide equality (floats, or structs holding strings or
	// interfaces). Equal keys must hash equal.
	Hash func(K) uint64
	// Size gives a pointer value's payload bytes, replacing the pointed-to
	// type's shallow size (say, to count a payload's slices too).
	Size func(V) int
}

// Map is a Go map that records every operation on it.
type Map[K comparable, V any] struct {
	m       map[K]V
	rec     *Recorder
	id      uint64
	hash    func(*K) uint64
	strKey  bool
	ptrVal  bool
	payload int
	size    func(V) int
	dropped bool
}

// NewMap is make(map[K]V, hint), recorded.
func NewMap[K comparable, V any](rec *Recorder, hint int) *Map[K, V] {
	return NewMapWith[K, V](rec, hint, MapOptions[K, V]{})
}

// NewMapWith is NewMap with options.
func NewMapWith[K comparable, V any](rec *Recorder, hint int, opts MapOptions[K, V]) *Map[K, V] {
	kl, hash := keyLayout[K](opts.Hash)
	vl, payload := valueLayout[V]()
	m := &Map[K, V]{
		m:       make(map[K]V, hint),
		rec:     rec,
		hash:    hash,
		strKey:  kl.kind == keyString,
		ptrVal:  vl.kind == valuePointer,
		payload: int(payload),
		size:    opts.Size,
	}
	m.id = rec.makeMap(kl, vl, hint)
	return m
}

func (m *Map[K, V]) check() {
	if m.dropped {
		panic("recorder: map used after Drop")
	}
}

// strLen is the key's length for string keys, else -1 (no field).
func (m *Map[K, V]) strLen(k *K) int {
	if m.strKey {
		return len(*(*string)(unsafe.Pointer(k)))
	}
	return -1
}

// payloadBytes is what an insert or update records for v: for pointer
// values the payload's bytes (0 for nil), else -1 (no field).
func (m *Map[K, V]) payloadBytes(v V) int {
	if !m.ptrVal {
		return -1
	}
	if m.size != nil {
		return m.size(v)
	}
	if *(*unsafe.Pointer)(unsafe.Pointer(&v)) == nil {
		return 0
	}
	return m.payload
}

// Set is m[k] = v: an insert when len grew, else an update.
func (m *Map[K, V]) Set(k K, v V) {
	m.check()
	n := len(m.m)
	m.m[k] = v
	op := byte(opUpdate)
	if len(m.m) != n {
		op = opInsert
	}
	m.rec.keyOp(op, m.id, m.hash(&k), m.strLen(&k), m.payloadBytes(v))
}

// Get is v, ok := m[k].
func (m *Map[K, V]) Get(k K) (V, bool) {
	m.check()
	v, ok := m.m[k]
	op := byte(opGetMiss)
	if ok {
		op = opGetHit
	}
	m.rec.keyOp(op, m.id, m.hash(&k), m.strLen(&k), -1)
	return v, ok
}

// Delete is delete(m, k).
func (m *Map[K, V]) Delete(k K) {
	m.check()
	n := len(m.m)
	delete(m.m, k)
	op := byte(opDeleteMiss)
	if len(m.m) != n {
		op = opDelete
	}
	m.rec.keyOp(op, m.id, m.hash(&k), m.strLen(&k), -1)
}

// Len is len(m).
func (m *Map[K, V]) Len() int {
	m.check()
	n := len(m.m)
	m.rec.lenOp(m.id, n)
	return n
}

// Clear is clear(m) on Go 1.21+, the range-delete idiom before (the trace
// header says which).
func (m *Map[K, V]) Clear() {
	m.check()
	clearMap(m.m)
	m.rec.mapOp(opClear, m.id)
}

// Range is for k, v := range m { if !f(k, v) { break } }, recorded as an
// iterator's start, steps and stop. f may set and delete, as a range body
// may.
func (m *Map[K, V]) Range(f func(K, V) bool) {
	m.check()
	id := m.rec.iterStart(m.id)
	completed := false
	defer func() { m.rec.iterStop(id, completed) }()
	for k, v := range m.m {
		m.rec.iterStep(id)
		if !f(k, v) {
			return
		}
	}
	completed = true
}

// Drop records that the program lets the map go, and lets go of it; the
// Map must not be used after.
func (m *Map[K, V]) Drop() {
	m.check()
	m.dropped = true
	m.m = nil
	m.rec.mapOp(opDrop, m.id)
}
