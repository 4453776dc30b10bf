package jsonscan

import (
	"encoding/binary"
	"math/bits"
	"testing"
)

func TestStringStops(t *testing.T) {
	// Every byte value at every position, over backgrounds of ordinary
	// bytes, quotes and controls: the lowest flag is the first stop byte.
	isStop := func(c byte) bool { return c == '"' || c == '\\' || c < 0x20 }
	for _, bg := range []byte{'a', 0xff, 0x80, 0x1f, '"', 0x21, '\\' + 1} {
		for pos := range 8 {
			for c := range 256 {
				var w [8]byte
				for k := range w {
					w[k] = bg
				}
				w[pos] = byte(c)
				first := 8
				for k := range w {
					if isStop(w[k]) {
						first = k
						break
					}
				}
				m := stringStops(binary.LittleEndian.Uint64(w[:]))
				got := 8
				if m != 0 {
					got = bits.TrailingZeros64(m) >> 3
				}
				if got != first {
					t.Fatalf("%q: first stop at %d, want %d", w, got, first)
				}
			}
		}
	}
}
