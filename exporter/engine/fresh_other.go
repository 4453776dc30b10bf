//go:build !linux

package engine

// populate is the Linux madvise shortcut (fresh_linux.go); elsewhere the
// caller writes the pages itself.
func populate([]byte) bool {
	populateRefused.Store(true)
	return false
}
