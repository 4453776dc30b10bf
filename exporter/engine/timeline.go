package engine

import (
	"encoding/binary"
	"math"
	"slices"
	"sort"
)

// A timeline counts events (and sums a value over them) per second of event
// time, so that any window (a, b] with whole-second ends is answered exactly.
//
// An event at t milliseconds is filed under second ceil(t/1000): for whole
// seconds a and b, a < t <= b holds exactly when a < ceil(t/1000) <= b, so
// millisecond timestamps are still placed on the right side of every window
// boundary. Seconds are grouped in hour chunks sorted by hour; a chunk keeps
// its totals so long windows add whole hours and scan only the two partial
// ones.
type timeline struct {
	chunks []*chunk // sorted by hour
	last   *chunk   // the chunk written last: most events land in it again
}

type chunk struct {
	hour  int64
	count uint64
	sum   int64      // nano-units (see units)
	secs  []secCount // sorted by off, one entry per second; nil when sealed
	// packed holds a sealed chunk's entries: per entry the uvarint of its
	// second minus the previous entry's, the uvarint of its count and, when
	// packedSums, its sum (nano-units) as 8 bytes. An hour no longer written to costs
	// 2-3 bytes a second instead of 16 (10-11 with sums).
	packed     []byte
	packedSums bool
}

// sealAfterSec is how long after an hour ends its chunk is sealed (by
// Prune): late events rarely reach back further, and one that does unseals
// the chunk until the next Prune.
const sealAfterSec = 2 * 3600

// seal packs c's entries into packed and frees secs.
func (c *chunk) seal() {
	if c.secs == nil {
		return
	}
	sums := false
	for _, s := range c.secs {
		if s.sum != 0 {
			sums = true
			break
		}
	}
	per := 4
	if sums {
		per = 12
	}
	buf := make([]byte, 0, len(c.secs)*per)
	prev := uint16(0)
	for _, s := range c.secs {
		buf = binary.AppendUvarint(buf, uint64(s.off-prev))
		buf = binary.AppendUvarint(buf, uint64(s.n))
		if sums {
			buf = binary.LittleEndian.AppendUint64(buf, uint64(s.sum))
		}
		prev = s.off
	}
	c.packed, c.packedSums, c.secs = slices.Clip(buf), sums, nil
}

// unseal turns a sealed chunk back into secs, for an add.
func (c *chunk) unseal() {
	if c.packed == nil {
		return
	}
	secs := make([]secCount, 0, len(c.packed)/2)
	c.each(func(s secCount) { secs = append(secs, s) })
	c.secs, c.packed = secs, nil
}

// each calls f with every entry of c in order, sealed or not.
func (c *chunk) each(f func(secCount)) {
	if c.packed == nil {
		for _, s := range c.secs {
			f(s)
		}
		return
	}
	b := c.packed
	off := uint64(0)
	for len(b) > 0 {
		d, k := binary.Uvarint(b)
		n, k2 := binary.Uvarint(b[k:])
		b = b[k+k2:]
		off += d
		s := secCount{off: uint16(off), n: uint32(n)}
		if c.packedSums {
			s.sum = int64(binary.LittleEndian.Uint64(b))
			b = b[8:]
		}
		f(s)
	}
}

// sealBefore seals every chunk that ended before sec.
func (tl *timeline) sealBefore(sec int64) {
	for _, c := range tl.chunks {
		if c.hour*3600+3599 >= sec {
			break
		}
		c.seal()
	}
}

type secCount struct {
	off uint16 // second within the hour
	n   uint32
	sum int64 // nano-units
}

// Sums are kept in integer nano-units (nano-dollars, nanoseconds,
// billionths of a confidence), so that they are exact: the same events
// give the same sums to the last bit in whatever order they are added
// (batches, late and pending events, restarts, partitions). Nano, not
// micro: Heady's receipts cost fractions of a micro-dollar (1,396 tokens at
// 0.0001 USD per 1k is 0.0001396 USD). A value is rounded to the nearest
// nano-unit and bounded by maxUnitValue (1e17 nano-units), so a sum of
// values stays far inside int64 for any real input (92 values at the bound
// would be needed to overflow).
const (
	unitsPerOne  = 1_000_000_000
	maxUnitValue = 1e8 // per value, in whole units: a hundred million dollars or seconds
)

// units is x in nano-units, rounded to the nearest; beyond
// ±maxUnitValue it is that bound; NaN is 0.
func units(x float64) int64 {
	switch {
	case x != x:
		return 0
	case x > maxUnitValue:
		x = maxUnitValue
	case x < -maxUnitValue:
		x = -maxUnitValue
	}
	return int64(math.Round(x * unitsPerOne))
}

// fromUnits is the value of u nano-units.
func fromUnits(u int64) float64 { return float64(u) / unitsPerOne }

// add files n events with value sum at second sec. A chunk's entries are
// sorted by second and hold one entry per second, so an hour costs at most
// 3,600 entries whatever the event rate (arrival-order appends were tried:
// faster with late events, but memory then grows with events, not seconds).
func (tl *timeline) add(sec int64, n uint32, sum int64) {
	hour := floorDiv(sec, 3600)
	c := tl.last
	if c == nil || c.hour != hour {
		c = tl.chunkFor(hour)
		tl.last = c
	}
	if c.packed != nil {
		c.unseal()
	}
	c.count += uint64(n)
	c.sum += sum
	off := uint16(sec - hour*3600)
	k := len(c.secs)
	if k > 0 && c.secs[k-1].off == off {
		c.secs[k-1].n += n
		c.secs[k-1].sum += sum
		return
	}
	if k == 0 || c.secs[k-1].off < off {
		c.secs = append(c.secs, secCount{off, n, sum})
		return
	}
	// A late event, usually by seconds or minutes: gallop back from the
	// end (touching the hot tail of the chunk, not its middle), then
	// binary search within the last step.
	lo, hi := k-1, k
	for step := 1; lo > 0 && c.secs[lo].off > off; step *= 2 {
		hi = lo
		lo = max(lo-step, 0)
	}
	for lo < hi {
		m := int(uint(lo+hi) >> 1)
		if c.secs[m].off < off {
			lo = m + 1
		} else {
			hi = m
		}
	}
	if c.secs[lo].off == off {
		c.secs[lo].n += n
		c.secs[lo].sum += sum
		return
	}
	c.secs = append(c.secs, secCount{})
	copy(c.secs[lo+1:], c.secs[lo:])
	c.secs[lo] = secCount{off, n, sum}
}

func (tl *timeline) chunkFor(hour int64) *chunk {
	k := len(tl.chunks)
	if k == 0 || tl.chunks[k-1].hour < hour {
		c := &chunk{hour: hour}
		if k > 0 {
			// A busy timeline fills each hour about as its last one:
			// start at that size rather than growing by doubling.
			c.secs = makeWritten[secCount](0, len(tl.chunks[k-1].secs))
		}
		tl.chunks = append(tl.chunks, c)
		return c
	}
	i := sort.Search(k, func(i int) bool { return tl.chunks[i].hour >= hour })
	if tl.chunks[i].hour == hour {
		return tl.chunks[i]
	}
	c := &chunk{hour: hour}
	tl.chunks = append(tl.chunks, nil)
	copy(tl.chunks[i+1:], tl.chunks[i:])
	tl.chunks[i] = c
	return c
}

// window returns the events and their summed value in (a, b], in seconds.
// The sum is exact to the nano-unit (see units).
func (tl *timeline) window(a, b int64) (uint64, float64) {
	if tl == nil || b <= a {
		return 0, 0
	}
	ha, hb := floorDiv(a+1, 3600), floorDiv(b, 3600)
	i := sort.Search(len(tl.chunks), func(i int) bool { return tl.chunks[i].hour >= ha })
	var n uint64
	var sum int64
	for ; i < len(tl.chunks) && tl.chunks[i].hour <= hb; i++ {
		c := tl.chunks[i]
		lo, hi := c.hour*3600, c.hour*3600+3599
		if lo > a && hi <= b {
			n += c.count
			sum += c.sum
			continue
		}
		c.each(func(s secCount) {
			if t := lo + int64(s.off); t > a && t <= b {
				n += uint64(s.n)
				sum += s.sum
			}
		})
	}
	return n, fromUnits(sum)
}

// prune drops every chunk that ends at or before sec.
func (tl *timeline) prune(sec int64) {
	i := 0
	for i < len(tl.chunks) && tl.chunks[i].hour*3600+3599 <= sec {
		i++
	}
	if i > 0 {
		tl.chunks = append(tl.chunks[:0:0], tl.chunks[i:]...)
		tl.last = nil
	}
}

func (tl *timeline) empty() bool { return tl == nil || len(tl.chunks) == 0 }

func floorDiv(a, b int64) int64 {
	q := a / b
	if (a%b != 0) && ((a < 0) != (b < 0)) {
		q--
	}
	return q
}

// ceilSec is the second an event at ms milliseconds is filed under.
func ceilSec(ms int64) int64 { return -floorDiv(-ms, 1000) }
