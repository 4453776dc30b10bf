package engine

import (
	"math"
	"sort"

	"github.com/heady/heady-metrics/kpi"
)

// cumHist is a cumulative (never decreasing) histogram of durations, kept
// both ways Prometheus reads one: native buckets of schema NativeSchema
// (ratio 2^(1/8)) and a classic fallback of at most 20 fixed bounds. The
// sum is an integer count of sumUnit seconds, so it does not depend on the
// order of the observations, and two histograms merge by adding.
type cumHist struct {
	count  uint64
	sum    int64 // in units of the family's sumUnit
	zero   uint64
	native map[int32]uint64
	// classic[i] counts observations in (bounds[i-1], bounds[i]]; the
	// last entry counts those above every bound.
	classic []uint64
}

// NativeSchema is the native histograms' schema: bucket i holds
// (2^((i-1)/8), 2^(i/8)], about 9% wide, as client_golang's default
// bucket factor 1.1 gives.
const NativeSchema = 3

// NativeZeroThreshold is the native histograms' zero bucket width
// (client_golang's default, 2^-128).
const NativeZeroThreshold = 2.938735877055719e-39

// nativeFrac are the bucket bounds of one octave, as fractions of
// math.Frexp.
var nativeFrac = func() []float64 {
	n := 1 << NativeSchema
	out := make([]float64, n)
	for i := range out {
		out[i] = math.Exp2(float64(i)/float64(n) - 1)
	}
	return out
}()

// nativeKey is the native bucket index of v > 0.
func nativeKey(v float64) int32 {
	frac, exp := math.Frexp(v)
	return int32(sort.SearchFloat64s(nativeFrac, frac) + (exp-1)*len(nativeFrac))
}

// cumHistFam is one cumulative histogram family.
type cumHistFam uint8

// Durations that one event carries are observed when it is applied: the
// gateway duration of a tool call, the cycle time of a shipped event.
// Durations that pair two events which may arrive in either order (the fix
// loop: change_accepted to change_reverted; the time to first outcome: a
// user's first activity to their first verified outcome) are observed
// once, when the pair is first complete on arrival, as the difference of
// the two times known then (as the windowed KPI reads them). The
// observation is never re-bucketed: an earlier event of the pair arriving
// later moves the exact windowed quantile gauges, not the histogram, as a
// request-latency histogram keeps what it observed (docs/series.md).
const (
	hGateway   cumHistFam = iota // tool call durations
	hCycleTime                   // opened -> shipped
	hFixLoop                     // change_accepted -> change_reverted
	hTTFO                        // first activity -> first verified outcome; the user side's
	nCumHists
)

type cumHistDef struct {
	series  string
	sumUnit float64 // seconds per unit of sum
	bounds  []float64
	// user: observed on the user side of the events (each partition of a
	// Partitioned engine keeps its own; they add at evaluation).
	user bool
}

// Classic bounds: latencies from 5ms to 2 minutes, cycle times and fix
// loops from a minute to 90 days, times to first outcome from 10 seconds
// to 30 days. 14, 16 and 15 buckets (plus +Inf).
var (
	gatewayClassic = []float64{0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60, 120}
	longClassic    = []float64{60, 300, 900, 1800, 3600, 3 * 3600, 6 * 3600, 12 * 3600,
		86400, 2 * 86400, 4 * 86400, 7 * 86400, 14 * 86400, 30 * 86400, 60 * 86400, 90 * 86400}
	firstOutcomeClassic = []float64{10, 30, 60, 120, 300, 600, 1800, 3600, 3 * 3600, 6 * 3600, 12 * 3600,
		86400, 2 * 86400, 7 * 86400, 30 * 86400}
)

var cumHistDefs = [nCumHists]cumHistDef{
	hGateway:   {kpi.SGatewayDurationHist, 1e-6, gatewayClassic, false},
	hCycleTime: {kpi.SCycleTimeHist, 1e-3, longClassic, false},
	hFixLoop:   {kpi.SFixLoopHist, 1e-3, longClassic, false},
	hTTFO:      {kpi.STimeToFirstOutcomeHist, 1, firstOutcomeClassic, true}, // filing seconds
}

// observe adds one observation of units (of the family's sumUnit).
func (h *cumHist) observe(def *cumHistDef, units int64) {
	if units < 0 {
		return
	}
	v := float64(units) * def.sumUnit
	h.count++
	h.sum += units
	if v <= NativeZeroThreshold {
		h.zero++
	} else {
		if h.native == nil {
			h.native = map[int32]uint64{}
		}
		h.native[nativeKey(v)]++
	}
	if h.classic == nil {
		h.classic = make([]uint64, len(def.bounds)+1)
	}
	h.classic[sort.SearchFloat64s(def.bounds, v)]++
}

func (h *cumHist) clone() cumHist {
	c := *h
	c.classic = append([]uint64(nil), h.classic...)
	if h.native != nil {
		c.native = make(map[int32]uint64, len(h.native))
		for k, v := range h.native {
			c.native[k] = v
		}
	}
	return c
}

// CumHistSample is one exported cumulative histogram.
type CumHistSample struct {
	Name          string
	Count         uint64
	Sum           float64
	Bounds        []float64 // classic upper bounds, ascending
	Cumulative    []uint64  // classic cumulative counts, one per bound
	Schema        int32
	ZeroThreshold float64
	ZeroCount     uint64
	Native        map[int32]uint64 // native bucket index -> count
}

func (h *cumHist) sample(def *cumHistDef) CumHistSample {
	s := CumHistSample{Name: def.series, Count: h.count, Sum: float64(h.sum) * def.sumUnit,
		Bounds: def.bounds, Cumulative: make([]uint64, len(def.bounds)),
		Schema: NativeSchema, ZeroThreshold: NativeZeroThreshold, ZeroCount: h.zero,
		Native: map[int32]uint64{}}
	var cum uint64
	for i := range def.bounds {
		if h.classic != nil {
			cum += h.classic[i]
		}
		s.Cumulative[i] = cum
	}
	for k, v := range h.native {
		s.Native[k] = v
	}
	return s
}

// cumulative is the state behind the monotonic series: counters and
// cumulative histograms.
type cumulative struct {
	counters counters
	hists    [nCumHists]cumHist
}

func newCumulative() cumulative { return cumulative{counters: newCounters()} }

func (c *cumulative) clone() *cumulative {
	out := &cumulative{counters: c.counters.clone()}
	for i := range c.hists {
		out.hists[i] = c.hists[i].clone()
	}
	return out
}

// merge adds o into c: the read of engines that each hold part of the
// events (shards, or partitions of one engine by user hash). Integer
// values, so the result does not depend on the order of the merges.
func (c *cumulative) merge(o *cumulative) {
	c.counters.merge(&o.counters)
	for i := range c.hists {
		c.hists[i].add(&o.hists[i])
	}
}

// add adds o's observations into h.
func (h *cumHist) add(o *cumHist) {
	h.count, h.sum, h.zero = h.count+o.count, h.sum+o.sum, h.zero+o.zero
	for k, n := range o.native {
		if h.native == nil {
			h.native = map[int32]uint64{}
		}
		h.native[k] += n
	}
	if o.classic != nil && h.classic == nil {
		h.classic = make([]uint64, len(o.classic))
	}
	for j, n := range o.classic {
		h.classic[j] += n
	}
}

// withUserHists is c with the user-side histograms of parts (the user
// partitions of one engine) added: a copy that shares c's counters and its
// other histograms, to be read, not changed.
func (c *cumulative) withUserHists(parts []*Engine) *cumulative {
	out := *c
	for f := range out.hists {
		if !cumHistDefs[f].user {
			continue
		}
		h := c.hists[f].clone()
		for _, p := range parts {
			h.add(&p.cum.hists[f])
		}
		out.hists[f] = h
	}
	return &out
}

func (c *cumulative) observe(f cumHistFam, units int64) {
	c.hists[f].observe(&cumHistDefs[f], units)
}

func (c *cumulative) eval(v *View) {
	c.counters.eval(v)
	for i := range c.hists {
		v.Cumulative = append(v.Cumulative, c.hists[i].sample(&cumHistDefs[i]))
	}
}
