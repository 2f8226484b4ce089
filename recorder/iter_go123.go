//go:build go1.23

package recorder

import "iter"

// All is the map as a range-over-func iterator (Go 1.23+): for k, v :=
// range m.All() records as Range does.
func (m *Map[K, V]) All() iter.Seq2[K, V] {
	return func(yield func(K, V) bool) { m.Range(yield) }
}
