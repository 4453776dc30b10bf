package engine

import "testing"

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
