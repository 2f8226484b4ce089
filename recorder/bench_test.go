package recorder

import (
	"strconv"
	"testing"
)

// The recorder's cost: each benchmark runs the same loop of sets, gets and
// deletes on a plain map and on a recorded one (writing to a counter), and
// reports trace bytes per operation. docs/trace-format.md quotes these.

type countingWriter struct{ n int }

func (c *countingWriter) Write(p []byte) (int, error) { c.n += len(p); return len(p), nil }

const benchKeys = 1 << 16

// mixedOps: per key, set, get (hit), get (miss), delete: 4 ops.
func BenchmarkUint64Plain(b *testing.B) {
	m := make(map[uint64]uint64)
	for i := 0; i < b.N; i++ {
		k := uint64(i % benchKeys)
		switch i & 3 {
		case 0:
			m[k] = k
		case 1:
			_ = m[k]
		case 2:
			_ = m[k+benchKeys]
		case 3:
			delete(m, k)
		}
	}
}

func BenchmarkUint64Recorded(b *testing.B) {
	w := &countingWriter{}
	r := New(w, Options{})
	m := NewMap[uint64, uint64](r, 0)
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		k := uint64(i % benchKeys)
		switch i & 3 {
		case 0:
			m.Set(k, k)
		case 1:
			m.Get(k)
		case 2:
			m.Get(k + benchKeys)
		case 3:
			m.Delete(k)
		}
	}
	r.Close()
	b.ReportMetric(float64(w.n)/float64(b.N), "trace-B/op")
}

type benchPayload struct{ a [6]uint64 }

var benchStrings = func() []string {
	s := make([]string, 2*benchKeys)
	for i := range s {
		s[i] = "session-" + strconv.Itoa(i)
	}
	return s
}()

func BenchmarkStringPtrPlain(b *testing.B) {
	m := make(map[string]*benchPayload)
	p := &benchPayload{}
	for i := 0; i < b.N; i++ {
		k := i % benchKeys
		switch i & 3 {
		case 0:
			m[benchStrings[k]] = p
		case 1:
			_ = m[benchStrings[k]]
		case 2:
			_ = m[benchStrings[k+benchKeys]]
		case 3:
			delete(m, benchStrings[k])
		}
	}
}

func BenchmarkStringPtrRecorded(b *testing.B) {
	w := &countingWriter{}
	r := New(w, Options{})
	m := NewMap[string, *benchPayload](r, 0)
	p := &benchPayload{}
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		k := i % benchKeys
		switch i & 3 {
		case 0:
			m.Set(benchStrings[k], p)
		case 1:
			m.Get(benchStrings[k])
		case 2:
			m.Get(benchStrings[k+benchKeys])
		case 3:
			m.Delete(benchStrings[k])
		}
	}
	r.Close()
	b.ReportMetric(float64(w.n)/float64(b.N), "trace-B/op")
}
