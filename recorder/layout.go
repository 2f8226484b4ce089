package recorder

import (
	"fmt"
	"reflect"
	"unsafe"
)

// Key and value kinds as the trace header's make record names them
// (docs/trace-format.md).
const (
	keyWord   = 1
	keyString = 2
	keyBytes  = 3

	valueInline  = 1
	valuePointer = 2
)

// layout is a key or value type as the trace describes it: its kind, its
// size and how many of its 8-byte words hold heap pointers (what decides
// whether Go's map buckets are scanned).
type layout struct {
	kind         byte
	size         uintptr
	pointerWords int
}

// pointerWords counts the words of t that the collector scans: pointers,
// maps, channels, funcs, the data word of strings and slices, both words of
// interfaces (as Go's type bitmaps mark them).
func pointerWords(t reflect.Type) int {
	switch t.Kind() {
	case reflect.Ptr, reflect.Map, reflect.Chan, reflect.Func, reflect.UnsafePointer, reflect.String, reflect.Slice:
		return 1
	case reflect.Interface:
		return 2
	case reflect.Array:
		return t.Len() * pointerWords(t.Elem())
	case reflect.Struct:
		n := 0
		for i := 0; i < t.NumField(); i++ {
			n += pointerWords(t.Field(i).Type)
		}
		return n
	}
	return 0
}

// plainBytes says whether t's bytes decide equality: integers, booleans,
// pointers and channels, in arrays and structs without padding. Floats
// (+0 == -0, NaN != NaN), strings and interfaces do not.
func plainBytes(t reflect.Type) bool {
	switch t.Kind() {
	case reflect.Bool, reflect.Int, reflect.Int8, reflect.Int16, reflect.Int32, reflect.Int64,
		reflect.Uint, reflect.Uint8, reflect.Uint16, reflect.Uint32, reflect.Uint64, reflect.Uintptr,
		reflect.Ptr, reflect.UnsafePointer, reflect.Chan:
		return true
	case reflect.Array:
		return plainBytes(t.Elem())
	case reflect.Struct:
		var sum uintptr
		for i := 0; i < t.NumField(); i++ {
			f := t.Field(i)
			if !plainBytes(f.Type) {
				return false
			}
			sum += f.Type.Size()
		}
		return sum == t.Size()
	}
	return false
}

// keyLayout describes K and returns how to hash one. A custom hash makes
// the key kind bytes; a key type whose bytes do not decide equality needs
// one.
func keyLayout[K comparable](custom func(K) uint64) (layout, func(*K) uint64) {
	t := reflect.TypeOf((*K)(nil)).Elem()
	l := layout{size: t.Size(), pointerWords: pointerWords(t)}
	switch {
	case custom != nil:
		l.kind = keyBytes
		return l, func(k *K) uint64 { return custom(*k) }
	case t.Kind() == reflect.String:
		l.kind = keyString
		return l, func(k *K) uint64 { return hashString(*(*string)(unsafe.Pointer(k))) }
	case plainBytes(t) && t.Size() <= 8:
		l.kind = keyWord
		switch t.Size() {
		case 8:
			return l, func(k *K) uint64 { return mix(*(*uint64)(unsafe.Pointer(k))) }
		case 4:
			return l, func(k *K) uint64 { return mix(uint64(*(*uint32)(unsafe.Pointer(k)))) }
		case 2:
			return l, func(k *K) uint64 { return mix(uint64(*(*uint16)(unsafe.Pointer(k)))) }
		case 1:
			return l, func(k *K) uint64 { return mix(uint64(*(*uint8)(unsafe.Pointer(k)))) }
		}
		// Odd sizes (a [3]byte): by bytes, still plain.
		l.kind = keyBytes
		n := int(t.Size())
		return l, func(k *K) uint64 { return hashBytes(unsafe.Pointer(k), n) }
	case plainBytes(t):
		l.kind = keyBytes
		n := int(t.Size())
		return l, func(k *K) uint64 { return hashBytes(unsafe.Pointer(k), n) }
	}
	panic(fmt.Sprintf("recorder: key type %v is not hashed by its bytes (floats, strings or interfaces inside); give MapOptions.Hash", t))
}

// valueLayout describes V: a pointer is a pointer to a payload of the
// pointed-to type's size; anything else lives in the slot.
func valueLayout[V any]() (l layout, payload uintptr) {
	t := reflect.TypeOf((*V)(nil)).Elem()
	if t.Kind() == reflect.Ptr {
		return layout{kind: valuePointer, size: t.Size(), pointerWords: 1}, t.Elem().Size()
	}
	return layout{kind: valueInline, size: t.Size(), pointerWords: pointerWords(t)}, 0
}
