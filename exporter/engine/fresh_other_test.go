//go:build !linux

package engine

import "testing"

// populateSupported is false off Linux: there is no madvise shortcut.
func populateSupported(*testing.T) bool { return false }
