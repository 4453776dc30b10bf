package engine

import (
	"runtime"
	"syscall"
	"testing"
)

func TestMakeWrittenIsAnEmptyTable(t *testing.T) {
	for _, c := range []int{0, 1, 100, 1 << 16, 1<<20 + 3} {
		s := makeWritten[userSlot](c/2, c)
		if len(s) != c/2 || cap(s) != c {
			t.Fatalf("makeWritten(%d, %d): len %d cap %d", c/2, c, len(s), cap(s))
		}
		for i, v := range s[:c] {
			if v != (userSlot{}) {
				t.Fatalf("makeWritten(%d, %d)[%d] = %+v, want zero", c/2, c, i, v)
			}
		}
	}
}

// TestMakeWrittenFaultsEveryPageIn checks the point of makeWritten: once it
// returns, the engine's read-then-write pattern (prefetch, probe, insert)
// takes no page fault. Without it, each page of fresh memory faults twice
// on Linux: the read maps the zero page, the write copies it. Both ways of
// mapping the pages are checked: one madvise call where the kernel has
// MADV_POPULATE_WRITE (5.14 and later), a write to each page where not.
func TestMakeWrittenFaultsEveryPageIn(t *testing.T) {
	if runtime.GOOS != "linux" {
		t.Skipf("counts minor faults with getrusage as Linux reports them; GOOS=%s", runtime.GOOS)
	}
	t.Run("populate", func(t *testing.T) {
		if !populateSupported(t) {
			t.Skip("the kernel has no MADV_POPULATE_WRITE (before Linux 5.14)")
		}
		checkNoFaultsAfterMakeWritten(t)
		if populateRefused.Load() {
			t.Fatal("the kernel refused MADV_POPULATE_WRITE, though it is 5.14 or later")
		}
	})
	t.Run("page by page", func(t *testing.T) {
		was := populateRefused.Swap(true)
		defer populateRefused.Store(was)
		checkNoFaultsAfterMakeWritten(t)
	})
}

func checkNoFaultsAfterMakeWritten(t *testing.T) {
	t.Helper()
	const size = 64 << 20 // bytes: fresh from the kernel, too large for a reused span
	s := makeWritten[uint64](size/8, size/8)
	before := minorFaults(t)
	var x uint64
	for i := 0; i < len(s); i += pageSize / 8 {
		x += s[i]
		s[i] = x + 1
	}
	faults := minorFaults(t) - before
	pages := int64(size / pageSize)
	t.Logf("%d minor faults reading then writing %d pages", faults, pages)
	if faults > pages/16 {
		t.Fatalf("%d minor faults reading then writing %d pages made by makeWritten, want almost none", faults, pages)
	}
}

func minorFaults(t *testing.T) int64 {
	t.Helper()
	var ru syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_SELF, &ru); err != nil {
		t.Fatal(err)
	}
	return ru.Minflt
}
