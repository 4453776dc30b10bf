package engine

import (
	"strconv"
	"strings"
	"testing"
	"unsafe"

	"golang.org/x/sys/unix"
)

// TestMakeWrittenMapsEveryPage checks the point of makeWritten: when it
// returns, every page of the table is in memory, so the engine's first
// reads and writes of its slots (prefetch, probe, insert) take no page
// fault. Both ways of mapping the pages are checked, each on memory fresh
// from the kernel: one madvise call where the kernel has
// MADV_POPULATE_WRITE (5.14 and later), a write to each page where not.
// mincore reads the pages' residency without touching them, so the check
// holds under the race detector too.
func TestMakeWrittenMapsEveryPage(t *testing.T) {
	const size = 64 << 20 // bytes
	fresh := func(t *testing.T) []byte {
		b, err := unix.Mmap(-1, 0, size, unix.PROT_READ|unix.PROT_WRITE, unix.MAP_ANON|unix.MAP_PRIVATE)
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { _ = unix.Munmap(b) })
		return b
	}
	t.Run("not in memory before", func(t *testing.T) {
		// The check can fail: fresh memory is not in memory yet.
		if in, pages := resident(t, fresh(t)); in > pages/16 {
			t.Fatalf("%d of %d pages of a new mapping are in memory before any access", in, pages)
		}
	})
	t.Run("populate", func(t *testing.T) {
		if !populateSupported(t) {
			t.Skip("the kernel has no MADV_POPULATE_WRITE (before Linux 5.14)")
		}
		b := fresh(t)
		if !populate(b) {
			t.Fatal("the kernel refused MADV_POPULATE_WRITE, though it is 5.14 or later")
		}
		checkResident(t, "populate", b)
	})
	t.Run("page by page", func(t *testing.T) {
		b := fresh(t)
		writePages(b)
		checkResident(t, "writePages", b)
	})
	t.Run("makeWritten", func(t *testing.T) {
		s := makeWritten[uint64](size/8, size/8)
		checkResident(t, "makeWritten", unsafe.Slice((*byte)(unsafe.Pointer(unsafe.SliceData(s))), size))
	})
}

func checkResident(t *testing.T, what string, b []byte) {
	t.Helper()
	in, pages := resident(t, b)
	t.Logf("%s: %d of %d pages in memory", what, in, pages)
	if in != pages {
		t.Fatalf("%s: %d of %d pages are not in memory", what, pages-in, pages)
	}
}

// resident returns how many of the whole pages of b are in memory, and
// how many whole pages b has.
func resident(t *testing.T, b []byte) (in, pages int) {
	t.Helper()
	start := uintptr(unsafe.Pointer(unsafe.SliceData(b)))
	first := (start + pageSize - 1) &^ (pageSize - 1)
	end := (start + uintptr(len(b))) &^ (pageSize - 1)
	vec := make([]byte, (end-first)/pageSize)
	if len(vec) == 0 {
		return 0, 0
	}
	if _, _, errno := unix.Syscall(unix.SYS_MINCORE, first, end-first, uintptr(unsafe.Pointer(&vec[0]))); errno != 0 {
		t.Fatalf("mincore: %v", errno)
	}
	for _, v := range vec {
		in += int(v & 1)
	}
	return in, len(vec)
}

// populateSupported reports whether the running kernel is Linux 5.14 or
// later, which has MADV_POPULATE_WRITE.
func populateSupported(t *testing.T) bool {
	t.Helper()
	var u unix.Utsname
	if err := unix.Uname(&u); err != nil {
		t.Fatal(err)
	}
	release := unix.ByteSliceToString(u.Release[:])
	parts := strings.SplitN(release, ".", 3)
	if len(parts) < 2 {
		t.Fatalf("kernel release %q", release)
	}
	major, err1 := strconv.Atoi(parts[0])
	minor, err2 := strconv.Atoi(strings.TrimRightFunc(parts[1], func(r rune) bool { return r < '0' || r > '9' }))
	if err1 != nil || err2 != nil {
		t.Fatalf("kernel release %q", release)
	}
	return major > 5 || major == 5 && minor >= 14
}
