package engine

// pool holds the users' variable-length lists (earlier active days,
// surfaces) in one []uint64. A list is a block of power-of-two capacity
// named by a listRef, so a user record holds no pointer: the garbage
// collector never scans the user table, and a list costs 8 bytes in the
// record instead of a 24-byte slice header plus an allocation.
//
// A block that a list outgrows, or that pruning empties, goes to the free
// list of its size and is reused by the next list of that size; the pool
// itself never shrinks while the process runs (a restart rebuilds it
// tightly from the checkpoint).
type pool struct {
	mem  []uint64
	free [poolClasses][]uint32 // offsets of free blocks, by class
}

// poolClasses bounds a list at 1<<(poolClasses-1) entries (65,536): a
// user's earlier days are pruned to the 100-day retention and surfaces are
// capped at 257, but an engine that is never pruned (a replay of years)
// keeps every day it sees, so the bound is set far past any real history.
const poolClasses = 17

// maxUserList is the longest list the pool holds.
const maxUserList = 1 << (poolClasses - 1)

// listRef names a list: offset<<32 | len<<8 | class, where the block at
// offset holds 1<<class entries. The zero listRef is the empty list.
type listRef uint64

func makeRef(off uint32, n, class int) listRef {
	return listRef(uint64(off)<<32 | uint64(n)<<8 | uint64(class))
}

func (r listRef) off() uint32 { return uint32(r >> 32) }
func (r listRef) len() int    { return int(uint32(r) >> 8) }
func (r listRef) class() int  { return int(r & 0xff) }

// list returns the entries of r. The slice is valid until the pool next
// allocates (which may move mem); write through it only in place.
func (p *pool) list(r listRef) []uint64 {
	if r.len() == 0 {
		return nil
	}
	o := int(r.off())
	return p.mem[o : o+r.len() : o+1<<r.class()]
}

// alloc returns the offset of a free block of the class.
func (p *pool) alloc(class int) uint32 {
	if f := p.free[class]; len(f) > 0 {
		off := f[len(f)-1]
		p.free[class] = f[:len(f)-1]
		return off
	}
	off := len(p.mem)
	if off+1<<class > 1<<32 {
		panic("engine: user list pool past 2^32 entries")
	}
	p.mem = append(p.mem, make([]uint64, 1<<class)...)
	return uint32(off)
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

// insert returns r with v inserted at index i (0 <= i <= len); a full
// block is replaced by one twice its size.
func (p *pool) insert(r listRef, i int, v uint64) listRef {
	n := r.len()
	if r == 0 || n == 1<<r.class() {
		class := 0
		if r != 0 {
			class = r.class() + 1
		}
		if class >= poolClasses {
			panic("engine: user list longer than the pool allows")
		}
		off := p.alloc(class) // may move mem
		if n > 0 {
			copy(p.mem[off:], p.list(r))
			p.release(r)
		}
		r = makeRef(off, n, class)
	}
	o := int(r.off())
	copy(p.mem[o+i+1:o+n+1], p.mem[o+i:o+n])
	p.mem[o+i] = v
	return makeRef(r.off(), n+1, r.class())
}

// newList returns a list holding a copy of vs (which must not lie in mem).
func (p *pool) newList(vs []uint64) listRef {
	if len(vs) == 0 {
		return 0
	}
	class := classFor(len(vs))
	off := p.alloc(class)
	copy(p.mem[off:], vs)
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
	o := int(r.off())
	copy(p.mem[o:o+n-k], p.mem[o+k:o+n])
	return makeRef(r.off(), n-k, r.class())
}
