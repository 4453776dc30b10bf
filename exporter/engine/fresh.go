package engine

import (
	"sync/atomic"
	"unsafe"
)

// populateRefused is set once the kernel refuses to map pages in one call
// (populate; Linux before 5.14, and every other system): later tables are
// then written page by page.
var populateRefused atomic.Bool

// makeWritten is make([]T, n, c) for the engine's large tables, with every
// page of the new memory written once before anything reads it.
//
// Memory fresh from the kernel is mapped page by page on first touch. A
// read maps the shared zero page, and the first write then copies it: a
// second fault that, while the process runs threads on other cores, makes
// the kernel flush their TLBs with inter-processor interrupts (each a VM
// exit on a virtual machine). The engine reads slots before it writes them
// (prefetching, probing), so without this the growth of the dedup set and
// the user table cost a 2-core `kpis` of the bench file 3% of its CPU time
// in such faults and 2.5% in the interrupts (perf). A write first maps
// each page once, writable: in 16 alternating rounds, 2-core `kpis` took
// 0.670 s (1.25 CPU s) against 0.720 s (1.335 CPU s).
//
// On Linux 5.14 and later one madvise call maps the pages (populate), a
// twentieth of the cost of a fault per page on a virtual machine whose
// faults are dear; elsewhere each page is written. Tables of 16 KiB and
// more are mapped so: the hours' per-second counts and ids too.
//
// T must hold no pointers: the pages are written through a byte view.
func makeWritten[T any](n, c int) []T {
	s := make([]T, n, c)
	var zero T
	size := uintptr(c) * unsafe.Sizeof(zero)
	if size < 1<<14 {
		return s // small: from pages already in use
	}
	b := unsafe.Slice((*byte)(unsafe.Pointer(unsafe.SliceData(s[:c]))), size)
	if !populate(b) {
		writePages(b)
	}
	return s
}

// writePages writes a zero byte to every page of b, which holds zeros.
func writePages(b []byte) {
	for i := 0; i < len(b); i += pageSize {
		b[i] = 0
	}
}

// pageSize is the smallest page size of the platforms Go runs on: writing
// one byte in every pageSize bytes writes every page.
const pageSize = 4096
