package engine

// pool holds the users' variable-length lists (earlier active days,
// surfaces past the record's inline ones) in pages of []uint64. A list is a
// block of power-of-two capacity named by a listRef, so a user record holds
// no pointer: the garbage collector never scans the user table, and a list
// costs 8 bytes in the record instead of a 24-byte slice header plus an
// allocation.
//
// The pages are of poolPage entries, each allocated once, whole, but the
// first (which grows by doubling, for small engines): no full page is ever
// copied, and the pool holds at most a page more than its blocks, where
// one growing slice would hold up to twice them. A block never crosses a page
// (the largest holds a page).
//
// A block that a list outgrows, or that pruning empties, goes to the free
// list of its size and is reused by the next list of that size; the pool
// itself never shrinks while the process runs (a restart rebuilds it
// tightly from the checkpoint).
type pool struct {
	pages [][]uint64            // every page but the last holds poolPage entries
	n     int                   // entries handed out, free blocks included
	free  [poolClasses][]uint32 // offsets of free blocks, by class
}

// poolClasses bounds a list at 1<<(poolClasses-1) entries (65,536): a
// user's earlier days are pruned to the 100-day retention and surfaces are
// capped at 257, but an engine that is never pruned (a replay of years)
// keeps every day it sees, so the bound is set far past any real history.
const poolClasses = 17

// maxUserList is the longest list the pool holds.
const maxUserList = 1 << (poolClasses - 1)

// poolPage is the entries of a page: the largest block.
const (
	poolPageBits = poolClasses - 1
	poolPage     = 1 << poolPageBits
)

// listRef names a list: offset<<32 | len<<8 | class, where the block at
// offset holds 1<<class entries. The zero listRef is the empty list.
type listRef uint64

func makeRef(off uint32, n, class int) listRef {
	return listRef(uint64(off)<<32 | uint64(n)<<8 | uint64(class))
}

func (r listRef) off() uint32 { return uint32(r >> 32) }
func (r listRef) len() int    { return int(uint32(r) >> 8) }
func (r listRef) class() int  { return int(r & 0xff) }

// block returns the block of the class at off, whole.
func (p *pool) block(off uint32, class int) []uint64 {
	pg := p.pages[off>>poolPageBits]
	o := int(off & (poolPage - 1))
	return pg[o : o+1<<class : o+1<<class]
}

// list returns the entries of r. The slice is valid until the pool next
// allocates (which may move the last page); write through it only in place.
func (p *pool) list(r listRef) []uint64 {
	if r.len() == 0 {
		return nil
	}
	return p.block(r.off(), r.class())[:r.len()]
}

// last returns the last entry of the non-empty list r.
func (p *pool) last(r listRef) uint64 {
	off := r.off() + uint32(r.len()) - 1
	return p.pages[off>>poolPageBits][off&(poolPage-1)]
}

// alloc returns the offset of a free block of the class.
func (p *pool) alloc(class int) uint32 {
	if f := p.free[class]; len(f) > 0 {
		off := f[len(f)-1]
		p.free[class] = f[:len(f)-1]
		return off
	}
	size := 1 << class
	if o := p.n % poolPage; o != 0 && o+size > poolPage {
		// The rest of the page is too short: it goes to the free lists, as
		// blocks of its binary digits, and the block starts a new page.
		p.extend(p.n - o + poolPage)
		for c, rest := 0, poolPage-o; rest > 0; c++ {
			if rest&(1<<c) != 0 {
				p.free[c] = append(p.free[c], uint32(p.n))
				p.n += 1 << c
				rest -= 1 << c
			}
		}
	}
	off := p.n
	if off+size > 1<<32 {
		panic("engine: user list pool past 2^32 entries")
	}
	p.extend(off + size)
	p.n += size
	return uint32(off)
}

// extend makes the pages cover the first end entries (end is at most one
// page past the last page's start).
func (p *pool) extend(end int) {
	k := (end - 1) >> poolPageBits
	if k == len(p.pages) {
		p.pages = append(p.pages, nil)
	}
	need := end - k*poolPage
	if pg := p.pages[k]; len(pg) < need {
		size := poolPage // whole but the first, which grows
		if k == 0 {
			size = min(poolPage, max(need, 2*len(pg), 64))
		}
		grown := makeWritten[uint64](size, size)
		copy(grown, pg)
		p.pages[k] = grown
	}
}

// release frees r's block; r is the empty list or names a block.
func (p *pool) release(r listRef) {
	if r != 0 {
		p.free[r.class()] = append(p.free[r.class()], r.off())
	}
}

func classFor(n int) int {
	c := 0
	for 1<<c < n {
		c++
	}
	if c >= poolClasses {
		panic("engine: user list longer than the pool allows")
	}
	return c
}

// firstClass is the class of a list's first block. Two entries, not one:
// a user's earlier days reach two as soon as one, and a one-entry block
// would then be freed by every such user at once, to be reused only by
// lists that have not started yet.
const firstClass = 1

// insert returns r with v inserted at index i (0 <= i <= len); a full
// block is replaced by one twice its size.
func (p *pool) insert(r listRef, i int, v uint64) listRef {
	n := r.len()
	if r == 0 || n == 1<<r.class() {
		class := firstClass
		if r != 0 {
			class = r.class() + 1
		}
		if class >= poolClasses {
			panic("engine: user list longer than the pool allows")
		}
		off := p.alloc(class) // may move the last page
		if n > 0 {
			copy(p.block(off, class), p.list(r))
			p.release(r)
		}
		r = makeRef(off, n, class)
	}
	b := p.block(r.off(), r.class())
	copy(b[i+1:n+1], b[i:n])
	b[i] = v
	return makeRef(r.off(), n+1, r.class())
}

// newList returns a list holding a copy of vs (which must not lie in the pool).
func (p *pool) newList(vs []uint64) listRef {
	if len(vs) == 0 {
		return 0
	}
	class := classFor(len(vs))
	off := p.alloc(class)
	copy(p.block(off, class), vs)
	return makeRef(off, len(vs), class)
}

// dropFront returns r without its first k entries, in the same block
// (released when nothing is left).
func (p *pool) dropFront(r listRef, k int) listRef {
	n := r.len()
	if k <= 0 {
		return r
	}
	if k >= n {
		p.release(r)
		return 0
	}
	b := p.block(r.off(), r.class())
	copy(b[:n-k], b[k:n])
	return makeRef(r.off(), n-k, r.class())
}
