package engine

import (
	"math/rand/v2"
	"slices"
	"testing"
)

// TestPoolMatchesSlices drives many lists through random inserts and
// front drops and checks each against a plain slice after every step, so
// block growth, reuse of released blocks and moves of the pool's memory
// never mix two lists up.
func TestPoolMatchesSlices(t *testing.T) {
	r := rand.New(rand.NewPCG(3, 4))
	var p pool
	const lists = 200
	refs := make([]listRef, lists)
	model := make([][]uint64, lists)
	for step := 0; step < 50_000; step++ {
		i := r.IntN(lists)
		switch op := r.IntN(10); {
		case op < 7 && len(model[i]) < maxUserList:
			at := r.IntN(len(model[i]) + 1)
			v := r.Uint64()
			refs[i] = p.insert(refs[i], at, v)
			model[i] = slices.Insert(model[i], at, v)
		case op < 9:
			k := r.IntN(len(model[i]) + 1)
			refs[i] = p.dropFront(refs[i], k)
			model[i] = model[i][k:]
		default:
			p.release(refs[i])
			vs := make([]uint64, r.IntN(40))
			for j := range vs {
				vs[j] = r.Uint64()
			}
			refs[i] = p.newList(vs)
			model[i] = vs
		}
		if got := p.list(refs[i]); !slices.Equal(got, model[i]) && (len(got) > 0 || len(model[i]) > 0) {
			t.Fatalf("step %d: list %d = %v, want %v", step, i, got, model[i])
		}
	}
	for i := range refs {
		if got := p.list(refs[i]); !slices.Equal(got, model[i]) && (len(got) > 0 || len(model[i]) > 0) {
			t.Fatalf("list %d = %v, want %v", i, got, model[i])
		}
	}
	// Released blocks are reused: the pool holds far less than every block
	// ever allocated.
	live := 0
	for i := range refs {
		if refs[i] != 0 {
			live += 1 << refs[i].class()
		}
	}
	if p.n > 4*live+4096 {
		t.Errorf("pool holds %d entries for %d live: released blocks not reused", p.n, live)
	}
}

func TestPoolEmptyList(t *testing.T) {
	var p pool
	if p.list(0) != nil || p.newList(nil) != 0 || p.dropFront(0, 3) != 0 {
		t.Fatal("the empty list is not the zero listRef")
	}
	r := p.insert(0, 0, 7)
	if r = p.dropFront(r, 1); r != 0 {
		t.Fatalf("dropping every entry left %#x", r)
	}
	if n := len(p.free[firstClass]); n != 1 {
		t.Fatalf("emptied block not released: %d free", n)
	}
}

// TestPoolPages fills several pages with lists of every size: each block
// lies in one page and keeps its entries while later ones are allocated
// (and the last page grows), and the rests of pages too short for a block
// go to the free lists: every entry handed out is in a live or a free
// block.
func TestPoolPages(t *testing.T) {
	r := rand.New(rand.NewPCG(5, 6))
	var p pool
	var refs []listRef
	var model [][]uint64
	for p.n < 5*poolPage {
		vs := make([]uint64, 1+r.IntN(1<<r.IntN(poolClasses)))
		for j := range vs {
			vs[j] = r.Uint64()
		}
		refs = append(refs, p.newList(vs))
		model = append(model, vs)
	}
	held := 0
	for i, ref := range refs {
		if !slices.Equal(p.list(ref), model[i]) {
			t.Fatalf("list %d of %d entries changed", i, len(model[i]))
		}
		if off := int(ref.off()); off/poolPage != (off+1<<ref.class()-1)/poolPage {
			t.Fatalf("list %d: block of %d at %d crosses a page", i, 1<<ref.class(), off)
		}
		held += 1 << ref.class()
	}
	free := 0
	for c := range p.free {
		free += len(p.free[c]) << c
	}
	if held+free != p.n || free == 0 {
		t.Errorf("%d entries in live blocks and %d in free ones, %d handed out", held, free, p.n)
	}
	if len(p.pages) != (p.n+poolPage-1)/poolPage {
		t.Errorf("%d pages for %d entries", len(p.pages), p.n)
	}
}
