package engine

import (
	"sort"
)

// user is the compact per-user state, 56 bytes with no pointer (its lists
// live in the users' pool). Times are "filing seconds" (ceilSec of the
// event's milliseconds; 0 = never), which answer every window (a, b] with
// whole-second ends exactly.
type user struct {
	// cur is the record of the latest UTC day with activity, and days the
	// records of earlier days, sorted: day<<34 | first<<17 | last, where
	// first and last are the earliest and latest filing second of that
	// day's activity, relative to the day's start (0..86400). With them,
	// "active in (a, b]" is exact for every window of a day or more, and
	// calendar days and ISO weeks are whole. Keeping the latest day inline
	// means most events touch no memory beyond the user itself.
	cur          uint64
	days         listRef
	firstAct     uint32
	firstOutcome uint32
	// surfaces: distinct surfaces with the last time each was used.
	surfaces surfaceSet
	setupTry uint32 // last setup attempt
	setupOK  uint32 // last successful setup
	// hashHi and h2 are the user's fingerprint but the low half of its
	// xxhash, which its slot holds (see users).
	hashHi uint32
	h2     uint32
}

const (
	dayShift  = 34
	offBits   = 17
	offMask   = 1<<offBits - 1
	secPerDay = 86400
)

func packDay(day int64, first, last int64) uint64 {
	return uint64(day)<<dayShift | uint64(first)<<offBits | uint64(last)
}

func unpackDay(r uint64) (day, first, last int64) {
	return int64(r >> dayShift), int64(r>>offBits) & offMask, int64(r) & offMask
}

func recDay(r uint64) int64 { return int64(r >> dayShift) }

// widen returns r with off folded into its first and last.
func widen(r uint64, off int64) uint64 {
	d, f, l := unpackDay(r)
	return packDay(d, min(f, off), max(l, off))
}

// searchDays returns the index of the first record of days on or after day.
func searchDays(days []uint64, day int64) int {
	return sort.Search(len(days), func(i int) bool { return recDay(days[i]) >= day })
}

// touchDay records u's activity at filing second sec of calendar day day;
// it reports whether this is the user's first activity that day.
func (us *users) touchDay(u *user, day, sec int64) bool {
	off := sec - day*secPerDay
	switch {
	case u.cur == 0:
		u.cur = packDay(day, off, off)
		return true
	case recDay(u.cur) == day:
		u.cur = widen(u.cur, off)
		return false
	case recDay(u.cur) < day:
		u.days = us.pool.insert(u.days, u.days.len(), u.cur)
		u.cur = packDay(day, off, off)
		return true
	}
	// An earlier day than the latest: a late event.
	days := us.pool.list(u.days)
	i := searchDays(days, day)
	if i < len(days) && recDay(days[i]) == day {
		days[i] = widen(days[i], off)
		return false
	}
	u.days = us.pool.insert(u.days, i, packDay(day, off, off))
	return true
}

// lastAct is the filing second of the user's latest activity within the
// retained days (0 if none).
func (u *user) lastAct() int64 {
	if u.cur == 0 {
		return 0
	}
	d, _, l := unpackDay(u.cur)
	return d*secPerDay + l
}

// firstDay returns u's earliest retained day record.
func (us *users) firstDay(u *user) (uint64, bool) {
	if days := us.pool.list(u.days); len(days) > 0 {
		return days[0], true
	}
	return u.cur, u.cur != 0
}

// activeIn reports whether u has activity with filing second in (a, b];
// exact when b-a >= one day.
func (us *users) activeIn(u *user, a, b int64) bool {
	da, db := floorDiv(a, secPerDay), floorDiv(b, secPerDay)
	in := func(r uint64) (stop, hit bool) {
		d, f, l := unpackDay(r)
		if d > db {
			return true, false
		}
		f += d * secPerDay
		l += d * secPerDay
		return false, (f > a && f <= b) || (l > a && l <= b)
	}
	days := us.pool.list(u.days)
	for i := searchDays(days, da); i < len(days); i++ {
		stop, hit := in(days[i])
		if hit {
			return true
		}
		if stop {
			return false
		}
	}
	if u.cur != 0 && recDay(u.cur) >= da {
		_, hit := in(u.cur)
		return hit
	}
	return false
}

// activeOnDays reports whether u was active on a calendar day in [from, to).
func (us *users) activeOnDays(u *user, from, to int64) bool {
	if u.cur != 0 && recDay(u.cur) >= from && recDay(u.cur) < to {
		return true
	}
	days := us.pool.list(u.days)
	i := searchDays(days, from)
	return i < len(days) && recDay(days[i]) < to
}

// pruneDays drops u's day records before day.
func (us *users) pruneDays(u *user, day int64) {
	u.days = us.pool.dropFront(u.days, searchDays(us.pool.list(u.days), day))
	if u.cur != 0 && recDay(u.cur) < day {
		u.cur = 0
	}
}

// surfaceSet holds a user's distinct surfaces with the last filing second
// each was used. Most users use one to three: those are inline, a = last0 |
// last1<<32, b = last2 | idx0<<32 | idx1<<41 | idx2<<50 | count<<59. A
// fourth, or an index past 9 bits, moves them all to a pool list of
// idx<<32 | last: a is its listRef, b is surfSpilled.
//
// An engine gives at most 257 indexes (Engine.surfaceIdx), but a
// checkpoint of several partitions numbers the union of theirs, which
// junk surface names can take past 511.
type surfaceSet struct{ a, b uint64 }

const (
	surfInline  = 3
	surfIdxBits = 9
	surfIdxMask = 1<<surfIdxBits - 1
	surfCount   = 59 // shift of the inline count
	surfSpilled = 1 << 63
)

func (s *surfaceSet) spilled() bool { return s.b&surfSpilled != 0 }
func (s *surfaceSet) n() int        { return int(s.b >> surfCount & 3) }
func (s *surfaceSet) idx(i int) uint16 {
	return uint16(s.b >> (32 + surfIdxBits*i) & surfIdxMask)
}

func (s *surfaceSet) last(i int) uint32 {
	if i < 2 {
		return uint32(s.a >> (32 * i))
	}
	return uint32(s.b)
}

func (s *surfaceSet) setLast(i int, last uint32) {
	if i < 2 {
		s.a = s.a&^(0xffffffff<<(32*i)) | uint64(last)<<(32*i)
	} else {
		s.b = s.b&^0xffffffff | uint64(last)
	}
}

// add appends surface idx, last inline (n < surfInline).
func (s *surfaceSet) add(idx uint16, last uint32) {
	n := s.n()
	s.b += uint64(idx)<<(32+surfIdxBits*n) + 1<<surfCount
	s.setLast(n, last)
}

func packSurface(idx uint16, last uint32) uint64 { return uint64(idx)<<32 | uint64(last) }

func unpackSurface(v uint64) (idx uint16, last uint32) { return uint16(v >> 32), uint32(v) }

// useSurface records that u used surface idx at filing second sec.
func (us *users) useSurface(u *user, idx uint16, sec uint32) {
	s := &u.surfaces
	if s.spilled() {
		list := us.pool.list(listRef(s.a))
		for i, v := range list {
			if j, last := unpackSurface(v); j == idx {
				if sec > last {
					list[i] = packSurface(idx, sec)
				}
				return
			}
		}
		s.a = uint64(us.pool.insert(listRef(s.a), len(list), packSurface(idx, sec)))
		return
	}
	n := s.n()
	for i := 0; i < n; i++ {
		if s.idx(i) == idx {
			if sec > s.last(i) {
				s.setLast(i, sec)
			}
			return
		}
	}
	if n < surfInline && idx <= surfIdxMask {
		s.add(idx, sec)
		return
	}
	var all [surfInline + 1]uint64
	us.surfaceList(u, (*[surfInline]uint64)(all[:]))
	all[n] = packSurface(idx, sec)
	*s = surfaceSet{a: uint64(us.pool.newList(all[:n+1])), b: surfSpilled}
}

// surfaceList returns u's surfaces as idx<<32 | last, in buf if they are
// inline; a spilled list is the pool's (see pool.list).
func (us *users) surfaceList(u *user, buf *[surfInline]uint64) []uint64 {
	s := &u.surfaces
	if s.spilled() {
		return us.pool.list(listRef(s.a))
	}
	n := s.n()
	for i := 0; i < n; i++ {
		buf[i] = packSurface(s.idx(i), s.last(i))
	}
	return buf[:n]
}

// surfacesIn counts u's surfaces last used in (a, b].
func (us *users) surfacesIn(u *user, a, b int64) int {
	in := func(last uint32) bool { return int64(last) > a && int64(last) <= b }
	n := 0
	if s := &u.surfaces; !s.spilled() {
		for i := range s.n() {
			if in(s.last(i)) {
				n++
			}
		}
		return n
	}
	for _, v := range us.pool.list(listRef(u.surfaces.a)) {
		if _, last := unpackSurface(v); in(last) {
			n++
		}
	}
	return n
}

// setSurfaces gives u the surfaces vs (idx<<32 | last, distinct), which
// must not lie in the pool.
func (us *users) setSurfaces(u *user, vs []uint64) {
	spill := len(vs) > surfInline
	for _, v := range vs {
		if idx, _ := unpackSurface(v); idx > surfIdxMask {
			spill = true
		}
	}
	if spill {
		u.surfaces = surfaceSet{a: uint64(us.pool.newList(vs)), b: surfSpilled}
		return
	}
	u.surfaces = surfaceSet{}
	for _, v := range vs {
		u.surfaces.add(unpackSurface(v))
	}
}

// users maps user ids to their state. A user is known by a 96-bit
// fingerprint of its id (xxhash64 and FNV-1a 32), not by the id: two
// distinct ids would merge only if both hashes collided, about 1 in 10^17
// at a million users (n^2/2^97). The checkpoint saves the fingerprints
// (partOf needs only the xxhash, so it still restores at any partition
// count).
//
// An open-addressing table of 8-byte slots holds the low half of each
// user's xxhash (which places it in the table, and places it again when the
// table grows) and the index of its record; the record holds the rest of
// the fingerprint. A lookup reads the record only on a slot whose low half
// matches: nearly always its own user, whose record the caller reads next
// anyway.
//
// The records are in pages of userPage, allocated whole but the first
// (which grows by doubling), so that the table holds at most a page more
// than its users where one growing slice would hold up to a quarter more.
type users struct {
	slots []userSlot // len is a power of two; idx 0 marks an empty slot
	pages [][]user   // every page but the last holds userPage records
	n     int        // records
	pool  pool       // the users' lists
}

const (
	userPageBits = 12
	userPage     = 1 << userPageBits
)

type userSlot struct {
	hashLo uint32
	idx    uint32 // index of the record, plus one
}

func newUsers() users { return users{slots: make([]userSlot, 1024)} }

// get returns the state of the user of fingerprint (h, h2), creating it.
func (us *users) get(h uint64, h2 uint32) *user {
	lo, hi := uint32(h), uint32(h>>32)
	mask := uint64(len(us.slots) - 1)
	for i := uint64(lo) & mask; ; i = (i + 1) & mask {
		sl := us.slots[i]
		if sl.idx == 0 {
			return us.insert(i, h, h2)
		}
		if sl.hashLo == lo {
			if u := us.at(sl.idx - 1); u.hashHi == hi && u.h2 == h2 {
				return u
			}
		}
	}
}

// at returns the record of index i.
func (us *users) at(i uint32) *user { return &us.pages[i>>userPageBits][i&(userPage-1)] }

func (us *users) insert(slot, h uint64, h2 uint32) *user {
	k := us.n >> userPageBits
	if k == len(us.pages) {
		size := userPage
		if k == 0 {
			size = 16 // the first grows
		}
		us.pages = append(us.pages, makeWritten[user](0, size))
	}
	if pg := us.pages[k]; len(pg) == cap(pg) {
		us.pages[k] = append(makeWritten[user](0, min(userPage, 2*cap(pg))), pg...)
	}
	us.pages[k] = append(us.pages[k], user{hashHi: uint32(h >> 32), h2: h2})
	us.n++
	us.slots[slot] = userSlot{hashLo: uint32(h), idx: uint32(us.n)}
	if us.n*4 > len(us.slots)*3 { // keep the load under 3/4
		us.grow()
	}
	return us.at(uint32(us.n - 1))
}

func (us *users) grow() {
	old := us.slots
	us.slots = makeWritten[userSlot](len(old)*2, len(old)*2)
	mask := uint64(len(us.slots) - 1)
	for _, sl := range old {
		if sl.idx == 0 {
			continue
		}
		i := uint64(sl.hashLo) & mask
		for us.slots[i].idx != 0 {
			i = (i + 1) & mask
		}
		us.slots[i] = sl
	}
}

// reserve sizes the table for n users (checkpoint restore).
func (us *users) reserve(n int) {
	size := 1024
	for size*3 < n*4+4 {
		size *= 2
	}
	us.slots = makeWritten[userSlot](size, size)
	us.pages = append(make([][]user, 0, (n+userPage-1)/userPage), makeWritten[user](0, min(n, userPage)))
}

func (us *users) len() int { return us.n }
