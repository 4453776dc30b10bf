package engine

import (
	"strconv"
	"strings"
	"testing"

	"golang.org/x/sys/unix"
)

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
	minor, err2 := strconv.Atoi(strings.TrimLeftFunc(parts[1], func(r rune) bool { return r < '0' || r > '9' }))
	if err1 != nil || err2 != nil {
		t.Fatalf("kernel release %q", release)
	}
	return major > 5 || major == 5 && minor >= 14
}
