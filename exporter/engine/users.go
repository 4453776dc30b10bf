package engine

import (
	"sort"

	"github.com/cespare/xxhash/v2"
)

// user is the compact per-user state. Times are "filing seconds"
// (ceilSec of the event's milliseconds; 0 = never), which answer every
// window (a, b] with whole-second ends exactly.
type user struct {
	firstAct     uint32
	lastAct      uint32
	firstOutcome uint32
	setupTry     uint32 // last setup attempt
	setupOK      uint32 // last successful setup
	// days has one record per UTC day with activity, sorted by day:
	// day<<34 | first<<17 | last, where first and last are the earliest and
	// latest filing second of that day's activity, relative to the day's
	// start (0..86400). With them, "active in (a, b]" is exact for every
	// window of a day or more, and calendar days and ISO weeks are whole.
	days []uint64
	// surfaces: distinct surfaces with the last time each was used.
	surfaces []surfaceUse
}

type surfaceUse struct {
	idx  uint16
	last uint32
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

// touchDay records activity at filing second sec of calendar day day; it
// reports whether this is the user's first activity that day.
func (u *user) touchDay(day, sec int64) bool {
	off := sec - day*secPerDay
	n := len(u.days)
	i := n
	if n == 0 || int64(u.days[n-1]>>dayShift) < day {
		i = n
	} else {
		i = sort.Search(n, func(i int) bool { return int64(u.days[i]>>dayShift) >= day })
		if i < n && int64(u.days[i]>>dayShift) == day {
			_, f, l := unpackDay(u.days[i])
			if off < f {
				f = off
			}
			if off > l {
				l = off
			}
			u.days[i] = packDay(day, f, l)
			return false
		}
	}
	u.days = append(u.days, 0)
	copy(u.days[i+1:], u.days[i:])
	u.days[i] = packDay(day, off, off)
	return true
}

// activeIn reports whether the user has activity with filing second in
// (a, b]; exact when b-a >= one day.
func (u *user) activeIn(a, b int64) bool {
	da, db := floorDiv(a, secPerDay), floorDiv(b, secPerDay)
	i := sort.Search(len(u.days), func(i int) bool { return int64(u.days[i]>>dayShift) >= da })
	for ; i < len(u.days); i++ {
		d, f, l := unpackDay(u.days[i])
		if d > db {
			return false
		}
		f += d * secPerDay
		l += d * secPerDay
		if (f > a && f <= b) || (l > a && l <= b) {
			return true
		}
	}
	return false
}

// activeOnDays reports whether the user was active on a calendar day in
// [from, to).
func (u *user) activeOnDays(from, to int64) bool {
	i := sort.Search(len(u.days), func(i int) bool { return int64(u.days[i]>>dayShift) >= from })
	return i < len(u.days) && int64(u.days[i]>>dayShift) < to
}

// pruneDays drops day records before day.
func (u *user) pruneDays(day int64) {
	i := sort.Search(len(u.days), func(i int) bool { return int64(u.days[i]>>dayShift) >= day })
	if i > 0 {
		u.days = append(u.days[:0:0], u.days[i:]...)
	}
}

func (u *user) useSurface(idx uint16, sec uint32) {
	for i := range u.surfaces {
		if u.surfaces[i].idx == idx {
			if sec > u.surfaces[i].last {
				u.surfaces[i].last = sec
			}
			return
		}
	}
	u.surfaces = append(u.surfaces, surfaceUse{idx, sec})
}

// users maps user ids to their state. Ids live in one byte arena (no
// pointer per user for the garbage collector to chase) and are found
// through an open-addressing table of (xxhash64, index) slots; a hash match
// is confirmed against the stored id, so two ids never merge.
type users struct {
	slots []userSlot // len is a power of two; idx 0 marks an empty slot
	list  []user
	arena []byte   // every id, back to back
	ends  []uint32 // ends[i] is the end of id i in arena
}

type userSlot struct {
	hash uint64
	idx  uint32 // index into list, plus one
}

func newUsers() users { return users{slots: make([]userSlot, 1024)} }

func (us *users) id(i int) string {
	start := uint32(0)
	if i > 0 {
		start = us.ends[i-1]
	}
	return string(us.arena[start:us.ends[i]])
}

func (us *users) idBytes(i int) []byte {
	start := uint32(0)
	if i > 0 {
		start = us.ends[i-1]
	}
	return us.arena[start:us.ends[i]]
}

// get returns the state of id, creating it; id may alias a decoder buffer.
func (us *users) get(id string) *user {
	h := xxhash.Sum64String(id)
	mask := uint64(len(us.slots) - 1)
	for i := h & mask; ; i = (i + 1) & mask {
		sl := &us.slots[i]
		if sl.idx == 0 {
			return us.insert(i, h, id)
		}
		if sl.hash == h && string(us.idBytes(int(sl.idx-1))) == id {
			return &us.list[sl.idx-1]
		}
	}
}

func (us *users) insert(slot, h uint64, id string) *user {
	us.arena = append(us.arena, id...)
	us.ends = append(us.ends, uint32(len(us.arena)))
	us.list = append(us.list, user{})
	us.slots[slot] = userSlot{hash: h, idx: uint32(len(us.list))}
	if len(us.list)*4 > len(us.slots)*3 { // keep the load under 3/4
		us.grow()
	}
	return &us.list[len(us.list)-1]
}

func (us *users) grow() {
	old := us.slots
	us.slots = make([]userSlot, len(old)*2)
	mask := uint64(len(us.slots) - 1)
	for _, sl := range old {
		if sl.idx == 0 {
			continue
		}
		i := sl.hash & mask
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
	us.slots = make([]userSlot, size)
	us.list = make([]user, 0, n)
	us.ends = make([]uint32, 0, n)
}

func (us *users) len() int { return len(us.list) }
