package engine

import (
	"math/rand/v2"
	"testing"
)

// The set agrees with a Go map under random adds and removes, through
// growth and through removals in the middle of probe clusters.
func TestHashSetMatchesMap(t *testing.T) {
	r := rand.New(rand.NewPCG(3, 4))
	var s hashSet
	ref := map[uint64]bool{}
	keys := make([]uint64, 5000)
	for i := range keys {
		// Few distinct low bits: long clusters.
		keys[i] = r.Uint64()&^0xff00 | uint64(i%7)
	}
	keys[0] = 0
	for step := 0; step < 200000; step++ {
		k := keys[r.IntN(len(keys))]
		if k == 0 {
			k = 1 // the set folds 0 into 1
		}
		switch r.IntN(3) {
		case 0, 1:
			if got, want := s.add(k), !ref[k]; got != want {
				t.Fatalf("step %d: add(%x) = %v, want %v", step, k, got, want)
			}
			ref[k] = true
		case 2:
			s.remove(k)
			delete(ref, k)
		}
		if step%1000 == 0 {
			for _, k := range keys {
				if k == 0 {
					k = 1
				}
				if s.has(k) != ref[k] {
					t.Fatalf("step %d: has(%x) = %v, want %v", step, k, s.has(k), ref[k])
				}
			}
			if s.len() != len(ref) {
				t.Fatalf("step %d: len %d, want %d", step, s.len(), len(ref))
			}
		}
	}
}
