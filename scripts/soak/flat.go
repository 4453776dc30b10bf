package main

import (
	"fmt"
	"math"
	"sort"
	"time"
)

// The flat-memory verdict.
//
// Raw RSS is not a leak detector for this process: the Go heap goal is
// (1 + GOGC/100) times the heap marked live at the last collection, the
// scavenger keeps idle pages up to about 10% over that goal, and after
// every kill -9 the restarted process reads the lines written since its
// last checkpoint in batches (a few queued, 4096 lines or 1 MiB each),
// which lifts the heap and RSS for a few seconds. And the engine's state grows
// for real during a soak: every event id is held for the 8-day dedup
// horizon and every timeline gains an entry per second of event time, so
// a short soak never reaches a steady state.
//
// So the verdict judges, for the live heap (heap goal / (1 + GOGC/100))
// and for RSS, whether what a process holds grows more than the engine
// state it holds:
//
//   - only steady samples count: after the warm-up, and from settle after
//     the moment the process answering had caught up with the log;
//   - growth is the median of the late samples minus the median of the
//     early ones, compared twice: across the run (first half after the
//     warm-up against the second half: growth that survives restarts) and
//     within each process life (the first half of each life's steady
//     samples against the second half, averaged over lives: growth that a
//     kill -9 would hide from the first comparison);
//   - the allowed growth is a margin (10% for the heap, 25% for RSS) of
//     the early median plus stateRate times the growth of the checkpoint
//     (the engine state as saved), times the heap goal's and the
//     scavenger's headroom for RSS. stateRate is 6 because an event id
//     takes 8 bytes saved and at most 48 in memory (a hash set slot at a
//     load down to 1/4, 32 bytes, and its hour list, up to 16), and a
//     timeline second about 11 saved and 16 to 32 held (2 to 3 once its
//     hour is sealed).
//
// A leak of r bytes per second adds about r times the time between the two
// medians to the growth, whatever its source, and fails once it passes the
// slack; the report says how fast a leak this run would have caught.

// memPoint is one scrape's memory figures.
type memPoint struct {
	at       time.Duration // since the start of the run
	age      time.Duration // since the process's first sample
	life     int           // 0 for the first process, n after the n-th kill
	live     float64       // heap goal / (1 + GOGC/100): the heap marked live at the last GC
	rss      float64
	state    float64 // checkpoint size on disk when scraped
	gogc     float64 // GOGC of the process (go_gc_gogc_percent)
	caughtUp bool    // the process had applied what was written a moment before
}

// flatRule says what flat means.
type flatRule struct {
	warmup     time.Duration // samples before are not judged
	settle     time.Duration // nor samples within this of a process catching up
	duration   time.Duration // of the run; its halves after the warm-up are compared
	heapMargin float64       // late median live heap at most this times the early one, plus the state's growth
	rssMargin  float64       // the same for RSS, which the scavenger makes noisier
	stateRate  float64       // in-memory bytes per byte of saved engine state
	minLife    int           // fewest steady samples for a life to be split in two
}

// scavengerRetain is the share of idle heap the Go scavenger keeps beyond
// the heap goal (runtime/mgcscavenge.go: retainExtraPercent = 10).
const scavengerRetain = 1.10

// growth is one comparison of early and late steady samples.
type growth struct {
	what        string
	n1, n2      int
	early, late float64 // medians, bytes
	state1      float64 // median checkpoint size, early and late
	state2      float64
	allowed     float64 // growth allowed: slack plus the state's share
	margin      float64
	// t1 and t2 are the mean times of the two sets since the origin of the
	// leaks the comparison catches: the start of the run, or of each
	// process.
	t1, t2       time.Duration
	ok           bool
	insufficient bool // too few samples to judge
}

// leakRate is the steady leak (bytes per second) that, added to this run,
// would have made the comparison fail. A leak of r adds r*t1 to the early
// median (and so (margin-1)*r*t1 to the slack) and r*t2 to the late one.
func (g growth) leakRate() float64 {
	d := g.t2.Seconds() - g.t1.Seconds() - (g.margin-1)*g.t1.Seconds()
	if d <= 0 {
		return math.Inf(1)
	}
	return math.Max(g.allowed-(g.late-g.early), 0) / d
}

func (g growth) String() string {
	return fmt.Sprintf("%s: median %.1f -> %.1f MiB (state %.2f -> %.2f MiB), grew %.1f MiB, allowed %.1f MiB",
		g.what, g.early/mib, g.late/mib, g.state1/mib, g.state2/mib, (g.late-g.early)/mib, g.allowed/mib)
}

const mib = 1 << 20

// steady returns the samples the verdict judges, in time order: after the
// warm-up and settle after their process first caught up.
func steady(pts []memPoint, r flatRule) []memPoint {
	caught := map[int]time.Duration{}
	for _, p := range pts {
		if _, ok := caught[p.life]; !ok && p.caughtUp {
			caught[p.life] = p.at
		}
	}
	var out []memPoint
	for _, p := range pts {
		c, ok := caught[p.life]
		if ok && p.at >= r.warmup && p.at >= c+r.settle {
			out = append(out, p)
		}
	}
	sort.SliceStable(out, func(i, j int) bool { return out[i].at < out[j].at })
	return out
}

// judgeMemory compares early and late steady samples of the live heap and
// of RSS, across the run and within process lives.
func judgeMemory(pts []memPoint, r flatRule) []growth {
	st := steady(pts, r)
	mid := r.warmup + (r.duration-r.warmup)/2
	var run halves
	for _, p := range st {
		if p.at < mid {
			run.early = append(run.early, p)
		} else {
			run.late = append(run.late, p)
		}
	}
	byLife := map[int][]memPoint{}
	var order []int
	for _, p := range st {
		if _, ok := byLife[p.life]; !ok {
			order = append(order, p.life)
		}
		byLife[p.life] = append(byLife[p.life], p)
	}
	var lives []halves
	for _, l := range order {
		xs := byLife[l]
		if len(xs) >= max(r.minLife, 6) {
			lives = append(lives, halves{xs[:len(xs)/2], xs[len(xs)/2:]})
		}
	}
	live := func(p memPoint) float64 { return p.live }
	rss := func(p memPoint) float64 { return p.rss }
	// RSS follows the heap goal, (1+GOGC/100) times the live heap, and the
	// idle pages the scavenger keeps over it.
	rssRate := func(p memPoint) float64 { return r.stateRate * (1 + p.gogc/100) * scavengerRetain }
	heapRate := func(memPoint) float64 { return r.stateRate }
	at := func(p memPoint) time.Duration { return p.at }
	age := func(p memPoint) time.Duration { return p.age }
	return []growth{
		compare("live heap across the run", []halves{run}, live, heapRate, r.heapMargin, at),
		compare("live heap within process lives", lives, live, heapRate, r.heapMargin, age),
		compare("RSS across the run", []halves{run}, rss, rssRate, r.rssMargin, at),
		compare("RSS within process lives", lives, rss, rssRate, r.rssMargin, age),
	}
}

// halves are the early and late samples of one comparison: of the run, or
// of one process life.
type halves struct{ early, late []memPoint }

// compare weighs the medians of each pair of halves by its samples: the
// figures are those of the run, or the mean over process lives (a pooled
// median would jump between lives that hold different engine states).
func compare(what string, hs []halves, v, rate func(memPoint) float64, margin float64, since func(memPoint) time.Duration) growth {
	g := growth{what: what, margin: margin}
	var w, stateRate float64
	var t1, t2 float64
	st := func(p memPoint) float64 { return p.state }
	for _, h := range hs {
		if len(h.early) < 3 || len(h.late) < 3 {
			continue
		}
		g.n1 += len(h.early)
		g.n2 += len(h.late)
		k := float64(len(h.early) + len(h.late))
		w += k
		g.early += k * median(h.early, v)
		g.late += k * median(h.late, v)
		g.state1 += k * median(h.early, st)
		g.state2 += k * median(h.late, st)
		stateRate += k * median(h.late, rate)
		t1 += k * mean(h.early, since).Seconds()
		t2 += k * mean(h.late, since).Seconds()
	}
	if w == 0 {
		g.insufficient = true
		return g
	}
	g.early, g.late, g.state1, g.state2 = g.early/w, g.late/w, g.state1/w, g.state2/w
	g.t1, g.t2 = time.Duration(t1/w*float64(time.Second)), time.Duration(t2/w*float64(time.Second))
	g.allowed = (margin-1)*g.early + stateRate/w*math.Max(g.state2-g.state1, 0)
	g.ok = g.late-g.early <= g.allowed
	return g
}

func median(xs []memPoint, f func(memPoint) float64) float64 {
	v := make([]float64, len(xs))
	for i, x := range xs {
		v[i] = f(x)
	}
	sort.Float64s(v)
	n := len(v)
	if n%2 == 1 {
		return v[n/2]
	}
	return (v[n/2-1] + v[n/2]) / 2
}

func mean(xs []memPoint, f func(memPoint) time.Duration) time.Duration {
	var s time.Duration
	for _, x := range xs {
		s += f(x)
	}
	return s / time.Duration(len(xs))
}
