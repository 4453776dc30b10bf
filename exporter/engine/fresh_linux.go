package engine

import (
	"errors"
	"unsafe"

	"golang.org/x/sys/unix"
)

// populate maps every whole page of b writable in one madvise call
// (MADV_POPULATE_WRITE), without a page fault for each: on a virtual
// machine a fault can cost ten microseconds, against half a microsecond a
// page this way (measured on the bench machine, 200 MiB). It reports
// whether the kernel did it; the caller writes the pages itself if not.
// Only a kernel that does not know the advice (EINVAL, before Linux 5.14)
// makes later calls give up at once. b must be memory the caller may
// write; its contents are not changed.
func populate(b []byte) bool {
	if populateRefused.Load() {
		return false
	}
	start := uintptr(unsafe.Pointer(unsafe.SliceData(b)))
	first := (start + pageSize - 1) &^ (pageSize - 1)
	end := (start + uintptr(len(b))) &^ (pageSize - 1)
	if end <= first {
		return true // no whole page: nothing a fault would save
	}
	err := unix.Madvise(b[first-start:end-start], unix.MADV_POPULATE_WRITE)
	if errors.Is(err, unix.EINVAL) {
		populateRefused.Store(true) // a kernel without it: do not ask again
	}
	// Any other error (a signal, EINTR; no memory) is this call's alone.
	return err == nil
}
