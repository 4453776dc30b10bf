package engine

import "testing"

// A timeline holds one entry per second of an hour, however many events
// arrive and in whatever order: memory follows time, not volume.
func TestTimelineMemoryFollowsSeconds(t *testing.T) {
	var tl timeline
	base := int64(1_800_000_000) / 3600 * 3600
	for i := 0; i < 200_000; i++ {
		// 200,000 events over one hour, out of order by up to a minute.
		sec := base + int64(i*3600/200_000) + int64((i*7919)%60) - 30
		if sec < base {
			sec = base
		}
		if sec >= base+3600 {
			sec = base + 3599
		}
		tl.add(sec, 1, 0.5)
	}
	entries := 0
	for _, c := range tl.chunks {
		entries += len(c.secs)
		for i := 1; i < len(c.secs); i++ {
			if c.secs[i-1].off >= c.secs[i].off {
				t.Fatalf("entries not sorted and unique at %d", i)
			}
		}
	}
	if entries > 3600 {
		t.Errorf("%d entries for one hour, want at most 3600", entries)
	}
	if n, s := tl.window(base-1, base+3600); n != 200_000 || s != 100_000 {
		t.Errorf("window = %d, %v; want 200000, 100000", n, s)
	}
}
