package recorder

import (
	"bytes"
	"os"
	"path/filepath"
	"reflect"
	"runtime"
	"strings"
	"testing"
)

func record1(t *testing.T, opts Options, body func(r *Recorder)) (header, []record) {
	t.Helper()
	var buf bytes.Buffer
	r := New(&buf, opts)
	body(r)
	if err := r.Close(); err != nil {
		t.Fatal(err)
	}
	h, recs, err := decode(buf.Bytes())
	if err != nil {
		t.Fatalf("%v after %v", err, recs)
	}
	return h, recs
}

func ops(recs []record) []byte {
	var b []byte
	for _, r := range recs {
		b = append(b, r.op)
	}
	return b
}

func TestHeader(t *testing.T) {
	h, recs := record1(t, Options{}, func(r *Recorder) {})
	if h.version != 1 || h.goVersion != runtime.Version() {
		t.Fatalf("header %+v", h)
	}
	wantClear := uint64(0)
	if !strings.HasPrefix(runtime.Version(), "go1.19") && !strings.HasPrefix(runtime.Version(), "go1.20") {
		wantClear = flagClearBuiltin
	}
	if h.flags != wantClear {
		t.Fatalf("flags %#x on %s, want %#x", h.flags, runtime.Version(), wantClear)
	}
	if len(recs) != 1 || recs[0].op != opEnd || recs[0].fields[0] != 0 {
		t.Fatalf("records %v", recs)
	}
}

func TestWordMapOps(t *testing.T) {
	_, recs := record1(t, Options{}, func(r *Recorder) {
		m := NewMap[uint64, uint64](r, 10)
		m.Set(1, 10)
		m.Set(1, 11)
		if v, ok := m.Get(1); !ok || v != 11 {
			t.Fatal("get")
		}
		m.Get(2)
		m.Delete(2)
		m.Delete(1)
		m.Set(3, 0)
		if m.Len() != 1 {
			t.Fatal("len")
		}
		r.Phase("p1")
		m.Clear()
		m.Drop()
	})
	want := []byte{opMake, opInsert, opUpdate, opGetHit, opGetMiss, opDeleteMiss, opDelete, opInsert, opLen, opPhase, opClear, opDrop, opEnd}
	if !bytes.Equal(ops(recs), want) {
		t.Fatalf("ops %x, want %x", ops(recs), want)
	}
	// make: id 0, word keys of 8 bytes, inline 8-byte values, hint 10.
	if !reflect.DeepEqual(recs[0].fields, []uint64{0, keyWord, 8, 0, valueInline, 8, 0, 10}) {
		t.Fatalf("make %v", recs[0].fields)
	}
	if recs[1].fields[1] != mix(1) || recs[4].fields[1] != mix(2) {
		t.Fatalf("word hashes %v %v", recs[1], recs[4])
	}
	if recs[8].fields[1] != 1 || recs[9].name != "p1" {
		t.Fatalf("len/phase %v %v", recs[8], recs[9])
	}
	if end := recs[len(recs)-1]; end.fields[0] != uint64(len(recs)-1) {
		t.Fatalf("end count %v of %d", end, len(recs))
	}
}

type payload struct {
	next *payload
	n    [5]uint64
}

func TestStringKeysAndPayloads(t *testing.T) {
	_, recs := record1(t, Options{}, func(r *Recorder) {
		m := NewMap[string, *payload](r, 0)
		a := strings.Repeat("k", 20)
		b := string([]byte(a)) // same content, other bytes
		m.Set(a, &payload{})
		m.Set(b, nil)
		sized := NewMapWith[string, *payload](r, 0, MapOptions[string, *payload]{Size: func(p *payload) int { return 7 }})
		sized.Set("", &payload{})
	})
	if !reflect.DeepEqual(recs[0].fields, []uint64{0, keyString, 16, 1, valuePointer, 8, 1, 0}) {
		t.Fatalf("make %v", recs[0].fields)
	}
	ins, upd := recs[1], recs[2]
	if ins.op != opInsert || upd.op != opUpdate || ins.fields[1] != upd.fields[1] {
		t.Fatalf("equal strings must hash equal: %v %v", ins, upd)
	}
	if ins.fields[2] != 20 || ins.fields[3] != 48 || upd.fields[3] != 0 {
		t.Fatalf("length/payload: %v %v", ins, upd)
	}
	if got := recs[4].fields; got[2] != 0 || got[3] != 7 {
		t.Fatalf("custom size: %v", got)
	}
}

func TestLayouts(t *testing.T) {
	type v struct {
		a uint64
		s string
		i interface{}
		p [2]*int
	}
	if l, _ := valueLayout[v](); l.kind != valueInline || l.size != 56 || l.pointerWords != 5 {
		t.Fatalf("layout %+v", l)
	}
	if l, _ := keyLayout[[3]uint32](nil); l.kind != keyBytes || l.size != 12 {
		t.Fatalf("key layout %+v", l)
	}
	if l, _ := keyLayout[int32](nil); l.kind != keyWord || l.size != 4 {
		t.Fatalf("key layout %+v", l)
	}
	type padded struct {
		a byte
		b uint64
	}
	for name, f := range map[string]func(){
		"float":  func() { keyLayout[float64](nil) },
		"padded": func() { keyLayout[padded](nil) },
		// Interface keys satisfy comparable only from Go 1.20.
		"string field": func() { keyLayout[struct{ s string }](nil) },
	} {
		func() {
			defer func() {
				if recover() == nil {
					t.Errorf("%s key without a Hash should panic", name)
				}
			}()
			f()
		}()
	}
	if l, h := keyLayout[float64](func(f float64) uint64 { return 1 }); l.kind != keyBytes || h(new(float64)) != 1 {
		t.Fatal("custom hash")
	}
}

func TestRangeStepsAndStops(t *testing.T) {
	_, recs := record1(t, Options{}, func(r *Recorder) {
		m := NewMap[int, int](r, 0)
		for i := 0; i < 5; i++ {
			m.Set(i, i)
		}
		seen := 0
		m.Range(func(k, v int) bool { seen++; return seen < 3 })  // break after 3
		m.Range(func(k, v int) bool { m.Delete(k); return true }) // delete in the body
	})
	recs = recs[6:]
	// start, 3 steps merged, stop(0); start, then step/delete per entry, stop(1).
	if recs[0].op != opIterStart || recs[1].op != opIterStep || recs[1].fields[1] != 3 ||
		recs[2].op != opIterStop || recs[2].fields[1] != 0 {
		t.Fatalf("first loop %v", recs[:3])
	}
	rest := ops(recs[3:])
	want := []byte{opIterStart}
	for i := 0; i < 5; i++ {
		want = append(want, opIterStep, opDelete)
	}
	want = append(want, opIterStop, opEnd)
	if !bytes.Equal(rest, want) || recs[len(recs)-2].fields[1] != 1 {
		t.Fatalf("second loop %x, want %x", rest, want)
	}
	if recs[0].fields[1] != recs[3].fields[1] {
		t.Fatal("a closed iterator's id should be reused")
	}
}

func TestNestedIterators(t *testing.T) {
	_, recs := record1(t, Options{}, func(r *Recorder) {
		m := NewMap[int, int](r, 0)
		m.Set(1, 1)
		m.Set(2, 2)
		m.Range(func(int, int) bool {
			m.Range(func(int, int) bool { return true })
			return true
		})
	})
	ids := map[uint64]bool{}
	for _, r := range recs {
		if r.op == opIterStart {
			ids[r.fields[1]] = true
		}
	}
	if len(ids) != 2 {
		t.Fatalf("nested iterators need distinct ids: %v", recs)
	}
}

func TestPhaseHeapFiguresAndProfiles(t *testing.T) {
	dir := t.TempDir()
	h, recs := record1(t, Options{HeapFigures: true, ProfileDir: dir}, func(r *Recorder) {
		r.Phase("a/b")
	})
	if h.flags&flagHeapFigures == 0 || recs[0].fields[0] == 0 || recs[0].fields[1] == 0 {
		t.Fatalf("heap figures %v %v", h, recs[0])
	}
	if st, err := os.Stat(filepath.Join(dir, "000-a_b.pb.gz")); err != nil || st.Size() == 0 {
		t.Fatalf("profile: %v", err)
	}
}

type failingWriter struct{}

func (failingWriter) Write([]byte) (int, error) { return 0, os.ErrClosed }

func TestWriteErrorReturnedByClose(t *testing.T) {
	r := New(failingWriter{}, Options{BufferSize: 16})
	m := NewMap[uint64, uint64](r, 0)
	for i := uint64(0); i < 100; i++ {
		m.Set(i, i)
	}
	if err := r.Close(); err == nil {
		t.Fatal("Close should report the write error")
	}
}
