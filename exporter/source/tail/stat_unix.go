//go:build unix

package tail

import (
	"os"
	"syscall"
)

// openFlags open without blocking on a FIFO that took a file's place.
const openFlags = os.O_RDONLY | syscall.O_NONBLOCK

// fileID returns the device and inode numbers of fi.
func fileID(fi os.FileInfo) (dev, ino uint64) {
	st, ok := fi.Sys().(*syscall.Stat_t)
	if !ok {
		return 0, 0
	}
	return uint64(st.Dev), uint64(st.Ino) //nolint:unconvert // int32 on some systems
}
