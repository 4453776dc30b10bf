package reuse

import (
	"sync"
	"testing"
)

// A full list drops what is put; Get passes over and drops the values
// that do not fit, and says when none is left.
func TestList(t *testing.T) {
	l := New[[]byte](2)
	l.Put(make([]byte, 0, 10))
	l.Put(make([]byte, 0, 100))
	l.Put(make([]byte, 0, 1000)) // dropped: full
	big := func(b []byte) bool { return cap(b) >= 50 }
	if b, ok := l.Get(big); !ok || cap(b) != 100 {
		t.Fatalf("Get(cap >= 50) = cap %d, %v; want the 100 (the 10 dropped on the way)", cap(b), ok)
	}
	if b, ok := l.Get(func([]byte) bool { return true }); ok {
		t.Fatalf("Get on an empty list = cap %d, true", cap(b))
	}
	l.Put(make([]byte, 0, 1))
	if _, ok := l.Get(big); ok || len(l) != 0 {
		t.Fatalf("a value too small: ok %v, %d left; want false, 0", ok, len(l))
	}
}

// Put and Get from several goroutines at once (run with -race).
func TestListConcurrent(t *testing.T) {
	l := New[int](4)
	var wg sync.WaitGroup
	for g := range 4 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := range 1000 {
				l.Put(g*1000 + i)
				l.Get(func(v int) bool { return v%2 == 0 })
			}
		}()
	}
	wg.Wait()
	if len(l) > 4 {
		t.Fatalf("%d kept, capacity 4", len(l))
	}
}
