package demo

import (
	"fmt"
	"math"
	"time"
)

const (
	second = int64(1000)
	minute = 60 * second
	hour   = 60 * minute
	day    = 24 * hour
	week   = 7 * day
)

// Random streams, one per part of the data set.
const (
	streamSignups uint64 = iota + 1
	streamEngagement
	streamActivity
	streamArena
	streamBreakers
	streamCI
	streamCost
	streamNoise
	streamRegistry
	streamAutoSuccess
)

// gen accumulates the records of one data set.
type gen struct {
	o       Options
	nowMS   int64
	startMS int64 // Monday 00:00 UTC of the first week
	weeks   int   // complete weeks; week index weeks is the current one

	audit, auth, ci []rec
	cost            []costRecord
	seq             int
	ids             map[string]int
}

func newGen(now time.Time, o Options) *gen {
	nowMS := now.UnixMilli()
	return &gen{
		o:       o,
		nowMS:   nowMS,
		startMS: weekStart(nowMS) - int64(o.Weeks)*week,
		weeks:   o.Weeks,
		ids:     make(map[string]int),
	}
}

// weekStart returns the Monday 00:00 UTC of the ISO week holding ms.
func weekStart(ms int64) int64 {
	d := floorDiv(ms, day)
	// 1970-01-01 was a Thursday: days since the Monday before it.
	return (d - floorMod(d+3, 7)) * day
}

func floorDiv(a, b int64) int64 {
	q := a / b
	if a%b != 0 && (a < 0) != (b < 0) {
		q--
	}
	return q
}

func floorMod(a, b int64) int64 { return a - floorDiv(a, b)*b }

// rnd returns the random stream of one part of the data set.
func (g *gen) rnd(stream uint64) *rng { return newRNG(g.o.Seed, stream) }

// frac is how far ms lies into the data set's span, 0 at its start and 1 at
// now; the scenario's drifting knobs are functions of it.
func (g *gen) frac(ms int64) float64 {
	return math.Max(0, math.Min(1, float64(ms-g.startMS)/float64(g.nowMS-g.startMS)))
}

// id returns the next id with the given prefix.
func (g *gen) id(prefix string) string {
	g.ids[prefix]++
	return fmt.Sprintf("%s-%06d", prefix, g.ids[prefix])
}

// emit appends an event to stream unless it lies after now (the data set
// ends at now). It reports whether the event was kept.
func (g *gen) emit(stream *[]rec, ms int64, typ, id, user string, fs ...field) bool {
	if ms > g.nowMS {
		return false
	}
	g.seq++
	*stream = append(*stream, rec{ms: ms, seq: g.seq, typ: typ, id: id, user: user, fields: fs})
	return true
}

// hourWeights is the UTC hour-of-day profile of user activity (a global
// user base: busiest in the European afternoon and American morning).
func hourWeights() [24]float64 {
	return [24]float64{
		0.60, 0.55, 0.55, 0.55, 0.55, 0.60, 0.70, 0.80, 0.90, 1.00, 1.00, 1.05,
		1.10, 1.20, 1.25, 1.25, 1.20, 1.10, 1.00, 0.95, 0.90, 0.80, 0.70, 0.65,
	}
}

// timeOfDay returns an instant of the UTC day starting at dayMS, drawn from
// the activity profile, or false when the day has not started by now. On
// the current day the instant lies before now.
func (g *gen) timeOfDay(r *rng, dayMS int64) (int64, bool) {
	limit := g.nowMS - dayMS
	if limit <= 0 {
		return 0, false
	}
	w := hourWeights()
	h := r.pick(w[:])
	off := int64(h)*hour + int64(r.float()*float64(hour))
	if off >= limit {
		off = int64(r.float() * float64(limit))
	}
	return dayMS + off, true
}

// workHours is timeOfDay for CI activity: weighted to 07:00-19:00 UTC.
func (g *gen) workHours(r *rng, dayMS int64) (int64, bool) {
	limit := g.nowMS - dayMS
	if limit <= 0 {
		return 0, false
	}
	off := int64(r.between(7, 19) * float64(hour))
	if r.chance(0.15) {
		off = int64(r.float() * float64(day))
	}
	if off >= limit {
		off = int64(r.float() * float64(limit))
	}
	return dayMS + off, true
}

// days returns the start of every UTC day of the span up to today's.
func (g *gen) days() []int64 {
	var out []int64
	for d := g.startMS; d <= g.nowMS; d += day {
		out = append(out, d)
	}
	return out
}

// weekday returns 0 for Monday .. 6 for Sunday.
func weekday(ms int64) int { return int(floorMod(floorDiv(ms, day)+3, 7)) }

// spread returns ms plus a uniform jitter in [lo, hi).
func spread(r *rng, ms int64, lo, hi time.Duration) int64 {
	return ms + int64(r.between(float64(lo.Milliseconds()), float64(hi.Milliseconds())))
}
