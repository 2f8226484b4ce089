//go:build go1.23

package recorder

import "testing"

func TestAllRecordsLikeRange(t *testing.T) {
	_, recs := record1(t, Options{}, func(r *Recorder) {
		m := NewMap[int, int](r, 0)
		m.Set(1, 1)
		m.Set(2, 2)
		for range m.All() {
			break
		}
	})
	if recs[3].op != opIterStart || recs[4].op != opIterStep || recs[5].op != opIterStop || recs[5].fields[1] != 0 {
		t.Fatalf("All: %v", recs)
	}
}
