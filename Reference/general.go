package main

// The general form: any map shape of docs/workload-files.md ("The map's
// shape") on one map or M of them, through reflect — MapOf(K, V),
// MakeMapWithSize, SetMapIndex, MapIter — so the map's buckets, and the
// key and value objects Go puts out of line (over 128 bytes), are the
// runtime's own for that type. The typed forms (workload.go) stay for the
// single-map shapes the built-ins use; `-form general` runs those here too,
// to compare the two.
//
// The runtime calls are the ones compiled code makes for that map type:
// reflect's (mapassign_faststr and the generic mapassign, as
// cmd/compile's walk.mapfast picks them), except for 8-byte keys, where
// compiled code calls mapassign_fast64 and reflect does not (below).
//
// Nothing here makes garbage a Go program would not make: the key and the
// value are built in one scratch each (reflect.New, made before the run's
// baseline, with no pointer left in them after each call) and copied in by
// the runtime; a lookup calls the runtime's map access directly (reflect's
// MapIndex would copy the value out into a new object each time, which a
// Go program's `_, ok := m[k]` does not); the iterators are made before
// the baseline too and reset after use, as is the list of the M maps. What
// the heap gains is the maps, the keys' strings (a new heap string when
// inserted, as `m[string(buf)] = v` makes it), the key and value objects
// the runtime puts out of line, and the payloads.

import (
	"fmt"
	"reflect"
	"strconv"
	"unsafe"
)

// reflectMapaccess is the runtime's map access as reflect calls it
// (runtime/map.go reflect_mapaccess, kept for outside packages, go.dev/issue/67401):
// the value's address, or nil when the key is absent. No copy of the value.
//
//go:linkname reflectMapaccess reflect.mapaccess
//go:noescape
func reflectMapaccess(t unsafe.Pointer, m unsafe.Pointer, key unsafe.Pointer) unsafe.Pointer

// runtimeMapassignFast64 is the runtime's map assign for 8-byte keys,
// which compiled code calls for a map[uint64]V or map[[8]byte]V whose V is
// at most 128 bytes (cmd/compile walk.mapfast) and reflect never calls.
// reflect's generic mapassign is not the same code: since Go 1.24 it never
// prunes a table's tombstones before growing it, where mapassign_fast64
// does, so a sharded map[uint64]V through SetMapIndex grew as no Go
// program's does (the churn built-in at 20,000 keys through `-form
// general`, Go 1.27: 5,120–7,168 slots at its end instead of 4,096). Kept for outside packages (runtime/map_fast64.go,
// go.dev/issue/67401). Delete needs no such call: mapdelete_fast64 is
// mapdelete specialised (Go 1.19) or calls it (Go 1.24+).
//
//go:linkname runtimeMapassignFast64 runtime.mapassign_fast64
func runtimeMapassignFast64(t unsafe.Pointer, m unsafe.Pointer, key uint64) unsafe.Pointer

type general struct {
	mapType  reflect.Type
	mapRtype unsafe.Pointer // the map type's runtime type (*maptype), for the runtime's calls
	fast64   bool           // compiled code would call the runtime's _fast64 functions
	maps     []reflect.Value
	key      reflect.Value // the scratch key, addressable
	keyPtr   unsafe.Pointer
	value    reflect.Value // the scratch value, addressable
	valuePtr unsafe.Pointer
	ptrWords []int // the value's words that point to payloads (a pointer value: word 0)
	intWords []int // the value's uint64 words, each holding the key's index
	iter     *reflect.MapIter
	holds    []*reflect.MapIter // one per held iterator the program opens
	depth    int
}

var (
	uint64Type  = reflect.TypeOf(uint64(0))
	stringType  = reflect.TypeOf("")
	pointerType = reflect.TypeOf(unsafe.Pointer(nil))
	byteType    = reflect.TypeOf(byte(0))
)

// newGeneral makes the form's types, scratches and iterators (before the
// run's baseline: none of it is the workload's).
func newGeneral(sh mapShape, structPayload, holds int) *general {
	g := &general{}
	var kt, vt reflect.Type
	switch sh.key {
	case keyUint64:
		kt = uint64Type
	case keyString:
		kt = stringType
	case keyArray:
		kt = reflect.ArrayOf(sh.keyMax, byteType)
	}
	switch sh.value {
	case valueUint64:
		vt = uint64Type
		g.intWords = []int{0}
	case valuePointer:
		vt = pointerType
		g.ptrWords = []int{0}
	case valueStruct:
		// struct { W0 uint64; P1 *[P]byte; ... }
		target := reflect.PointerTo(reflect.ArrayOf(structPayload, byteType))
		words := sh.structBytes / 8
		fields := make([]reflect.StructField, words)
		p := 0
		for w := range fields {
			if p < len(sh.structPointers) && sh.structPointers[p] == w {
				fields[w] = reflect.StructField{Name: "P" + strconv.Itoa(w), Type: target}
				g.ptrWords = append(g.ptrWords, w)
				p++
			} else {
				fields[w] = reflect.StructField{Name: "W" + strconv.Itoa(w), Type: uint64Type}
				g.intWords = append(g.intWords, w)
			}
		}
		vt = reflect.StructOf(fields)
		if vt.Size() != uintptr(sh.structBytes) {
			fail(fmt.Sprintf("a %d-byte struct value came out as %d bytes", sh.structBytes, vt.Size()))
		}
	}
	g.mapType = reflect.MapOf(kt, vt)
	g.fast64 = kt.Size() == 8 && vt.Size() <= 128
	g.mapRtype = (*[2]unsafe.Pointer)(unsafe.Pointer(&g.mapType))[1]
	g.maps = make([]reflect.Value, sh.maps)
	k := reflect.New(kt)
	g.key, g.keyPtr = k.Elem(), k.UnsafePointer()
	v := reflect.New(vt)
	g.value, g.valuePtr = v.Elem(), v.UnsafePointer()
	g.iter = new(reflect.MapIter)
	for h := 0; h < holds; h++ {
		g.holds = append(g.holds, new(reflect.MapIter))
	}
	return g
}

func (s *stepRunner) gMake(hint int) {
	for j := range s.g.maps {
		s.g.maps[j] = reflect.MakeMapWithSize(s.g.mapType, hint)
	}
}

func (s *stepRunner) gDrop() {
	for j := range s.g.maps {
		s.g.maps[j] = reflect.Value{}
	}
}

// gMap is key k's map: k % M, as a sharded map's shards[hash(k) % M].
func (s *stepRunner) gMap(k uint64) reflect.Value { return s.g.maps[k%uint64(len(s.g.maps))] }

// gSetKey writes key k into the scratch key: for a string key a new heap
// string when `fresh` (an insert), else the program's own bytes (a probe,
// as `m[string(buf)]` reads them without a copy).
func (s *stepRunner) gSetKey(k uint64, fresh bool) {
	g := s.g
	switch s.keyKind {
	case keyUint64:
		*(*uint64)(g.keyPtr) = k
	case keyArray:
		b := (*[8]byte)(g.keyPtr) // k's 8 bytes little-endian, then the zeros the scratch keeps
		for d := 0; d < 8; d++ {
			b[d] = byte(k >> (8 * d))
		}
	case keyString:
		switch {
		case fresh && s.sprintf:
			*(*string)(g.keyPtr) = fmt.Sprintf("%016x", k)
		case fresh:
			n := s.writeKey(k)
			*(*string)(g.keyPtr) = string(s.keyBuf[:n])
		default:
			n := s.writeKey(k)
			*(*string)(g.keyPtr) = unsafeString(&s.keyBuf[0], n)
		}
	}
}

// gKeyWord is the 64-bit key k the scratch key holds (after SetIterKey).
func (s *stepRunner) gKeyWord() uint64 {
	g := s.g
	switch s.keyKind {
	case keyString:
		str := *(*string)(g.keyPtr)
		var k uint64
		for d := 0; d < 16 && d < len(str); d++ {
			c := str[d]
			if c >= 'a' {
				c -= 'a' - 10
			} else {
				c -= '0'
			}
			k = k<<4 | uint64(c)
		}
		return k
	case keyArray:
		b := (*[8]byte)(g.keyPtr)
		var k uint64
		for d := 7; d >= 0; d-- {
			k = k<<8 | uint64(b[d])
		}
		return k
	}
	return *(*uint64)(g.keyPtr)
}

// gForget drops what the scratches point to, so that they keep no key
// string and no payload alive.
func (s *stepRunner) gForget() {
	g := s.g
	if s.keyKind == keyString {
		*(*string)(g.keyPtr) = ""
	}
	for _, w := range g.ptrWords {
		*(*unsafe.Pointer)(unsafe.Add(g.valuePtr, 8*w)) = nil
	}
}

// gInsert is m[key] = value: the value's uint64 words hold i, each pointer
// word a new payload of `size` bytes (0: the map's).
func (s *stepRunner) gInsert(i int, size int) {
	g := s.g
	k := s.key(i)
	if !g.fast64 {
		s.gSetKey(k, true)
	}
	for _, w := range g.intWords {
		*(*uint64)(unsafe.Add(g.valuePtr, 8*w)) = uint64(i)
	}
	for _, w := range g.ptrWords {
		*(*unsafe.Pointer)(unsafe.Add(g.valuePtr, 8*w)) = s.newPayload(k, size)
	}
	if g.fast64 {
		// m[k] = v as compiled: the value made, then mapassign_fast64, then
		// the value stored in its slot (with the write barriers it needs).
		s.gSetKey(k, false)
		slot := runtimeMapassignFast64(g.mapRtype, s.gMap(k).UnsafePointer(), *(*uint64)(g.keyPtr))
		reflect.NewAt(g.value.Type(), slot).Elem().Set(g.value)
	} else {
		s.gMap(k).SetMapIndex(g.key, g.value)
	}
	s.gForget()
}

func (s *stepRunner) gDelete(k uint64) {
	s.gSetKey(k, false)
	s.gMap(k).SetMapIndex(s.g.key, reflect.Value{})
	s.gForget()
}

func (s *stepRunner) gLookup(k uint64) bool {
	s.gSetKey(k, false)
	hit := reflectMapaccess(s.g.mapRtype, s.gMap(k).UnsafePointer(), s.g.keyPtr) != nil
	s.gForget()
	return hit
}

// gIterate walks the maps in order, each with a range loop: all of them,
// or `steps` entries, stopping in the map where the count runs out.
func (s *stepRunner) gIterate(whole bool, steps int, deleteVisited bool) {
	it := s.g.iter
	n := 0
	for _, m := range s.g.maps {
		if !whole && n == steps {
			break
		}
		it.Reset(m)
		for it.Next() {
			if !whole && n == steps {
				break
			}
			n++
			s.g.key.SetIterKey(it)
			k := s.gKeyWord()
			s.sum += k
			if deleteVisited {
				s.delete(int(unmix(k) ^ s.seed))
			}
		}
	}
	it.Reset(reflect.Value{})
	s.gForget()
}

// gHold is hold's range loops over the maps: the loops over the maps
// before finish, and the one over the map where `steps` runs out runs the
// rest of the program in its body until the release (it is the held
// iterator), then runs to its end.
func (s *stepRunner) gHold(prog []action, pc int, name string, steps int) int {
	g := s.g
	it := g.holds[g.depth]
	g.depth++
	resume, n := -1, 0
	for j := 0; j < len(g.maps) && resume < 0; j++ {
		it.Reset(g.maps[j])
		for it.Next() {
			g.key.SetIterKey(it)
			s.sum += s.gKeyWord()
			n++
			if n == steps {
				resume = s.exec(prog, pc+1, name)
			}
		}
	}
	it.Reset(reflect.Value{})
	g.depth--
	s.gForget()
	if resume < 0 {
		// The maps had fewer entries: the iterator is finished and holds nothing.
		resume = s.exec(prog, pc+1, name)
	}
	return resume
}

// gClear is clear(m) on every map (a range-delete loop compiles to the same
// runtime call).
func (s *stepRunner) gClear() {
	for _, m := range s.g.maps {
		clearValue(s.g, m)
	}
}

// gSlots is the slot capacity summed over the maps.
func (s *stepRunner) gSlots() int {
	total := 0
	for _, m := range s.g.maps {
		if m.IsValid() {
			total += slotsOf(m.UnsafePointer())
		}
	}
	return total
}

// unsafeString is a string over n bytes at p (unsafe.String, which Go 1.19
// lacks).
func unsafeString(p *byte, n int) string {
	return *(*string)(unsafe.Pointer(&struct {
		p *byte
		n int
	}{p, n}))
}
