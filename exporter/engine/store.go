package engine

import "sort"

// samples keeps every observation (time in ms, value) of a low-volume
// stream (reverts, shipped items, resolved incidents) so its medians are
// exact. Kept sorted by time.
type samples struct {
	ts []int64
	v  []float64
}

func (s *samples) add(ms int64, v float64) {
	n := len(s.ts)
	i := n
	if n > 0 && s.ts[n-1] > ms {
		i = sort.Search(n, func(i int) bool { return s.ts[i] > ms })
	}
	s.ts = append(s.ts, 0)
	s.v = append(s.v, 0)
	copy(s.ts[i+1:], s.ts[i:])
	copy(s.v[i+1:], s.v[i:])
	s.ts[i], s.v[i] = ms, v
}

// window returns the values with time in (a, b] (seconds), unsorted.
func (s *samples) window(a, b int64) []float64 {
	var out []float64
	for i, t := range s.ts {
		if sec := ceilSec(t); sec > a && sec <= b {
			out = append(out, s.v[i])
		}
	}
	return out
}

func (s *samples) prune(beforeMS int64) {
	i := sort.Search(len(s.ts), func(i int) bool { return s.ts[i] >= beforeMS })
	if i > 0 {
		s.ts = append(s.ts[:0:0], s.ts[i:]...)
		s.v = append(s.v[:0:0], s.v[i:]...)
	}
}

// observations keeps a repo's reported values (coverage, governance) by
// time, so "latest as of t" is right whatever order they arrive in.
type observations struct{ samples }

// asOf returns the latest value reported at or before ms.
func (o *observations) asOf(ms int64) (float64, bool) {
	i := sort.Search(len(o.ts), func(i int) bool { return o.ts[i] > ms })
	if i == 0 {
		return 0, false
	}
	return o.v[i-1], true
}

// prune drops observations before beforeMS but always keeps the newest
// one before it, which stays "the latest" until a newer one arrives.
func (o *observations) prune(beforeMS int64) {
	i := sort.Search(len(o.ts), func(i int) bool { return o.ts[i] >= beforeMS })
	if i > 1 {
		o.ts = append(o.ts[:0:0], o.ts[i-1:]...)
		o.v = append(o.v[:0:0], o.v[i-1:]...)
	}
}

// dedup remembers event id hashes (xxhash64 of the id) for a horizon of
// event time. Ids are grouped by the hour of their event; hours older than
// the horizon (relative to the engine clock) are forgotten, and so are the
// oldest hours when more than DedupMaxIDs are held. Two different ids
// sharing a 64-bit hash would count once: at ten million ids the chance is
// about 3 in a million millions.
type dedup struct {
	seen hashSet
	// hours holds the hashes of each hour, oldest first (events mostly
	// arrive in time order, so adding is an append to the last bucket).
	hours []dedupHour
	// evicted counts ids dropped early because of the size bound.
	evicted uint64
}

type dedupHour struct {
	hour   int64
	hashes []uint64
}

func newDedup() dedup { return dedup{} }

// add reports whether h is new, remembering it.
func (d *dedup) add(h uint64, sec int64, e *Engine) bool {
	hour := floorDiv(sec, 3600)
	minHour := floorDiv(ceilSec(e.now)-e.opt.DedupHorizonSec, 3600)
	if hour < minHour {
		// Older than the horizon: it cannot be told from a duplicate we
		// forgot, so it is applied and not remembered.
		return !d.seen.has(h)
	}
	if !d.seen.add(h) {
		return false
	}
	d.bucket(hour).hashes = append(d.bucket(hour).hashes, h)
	if d.hours[0].hour < minHour || d.seen.len() > e.opt.DedupMaxIDs {
		d.expire(minHour, e.opt.DedupMaxIDs)
	}
	return true
}

func (d *dedup) bucket(hour int64) *dedupHour {
	n := len(d.hours)
	if n > 0 && d.hours[n-1].hour == hour {
		return &d.hours[n-1]
	}
	i := sort.Search(n, func(i int) bool { return d.hours[i].hour >= hour })
	if i < n && d.hours[i].hour == hour {
		return &d.hours[i]
	}
	d.hours = append(d.hours, dedupHour{})
	copy(d.hours[i+1:], d.hours[i:])
	d.hours[i] = dedupHour{hour: hour}
	if i > 0 && i == n {
		// A new last hour takes about as many ids as the one before: start
		// at that size rather than growing by doubling, each growth a
		// copy into memory fresh from the kernel.
		d.hours[i].hashes = makeWritten[uint64](0, len(d.hours[i-1].hashes))
	}
	return &d.hours[i]
}

// expire forgets hours before minHour, and the oldest hours past maxIDs.
func (d *dedup) expire(minHour int64, maxIDs int) {
	i := 0
	for ; i < len(d.hours) && (d.hours[i].hour < minHour || d.seen.len() > maxIDs); i++ {
		b := &d.hours[i]
		if b.hour >= minHour {
			d.evicted += uint64(len(b.hashes))
		}
		// A hash sits in one hour's list while it is in seen: it can only
		// be added again after it was forgotten with its hour.
		for _, x := range b.hashes {
			d.seen.remove(x)
		}
	}
	if i > 0 {
		d.hours = append(d.hours[:0:0], d.hours[i:]...)
	}
}

func (d *dedup) len() int { return d.seen.len() }
