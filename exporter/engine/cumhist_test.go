package engine

import (
	"bufio"
	"bytes"
	"reflect"
	"testing"
	"time"

	"github.com/heady/heady-metrics/exporter/event"
	"github.com/heady/heady-metrics/kpi"
)

// histOf is the cumulative histogram called name in v.
func histOf(t *testing.T, v *View, name string) CumHistSample {
	t.Helper()
	for _, h := range v.Cumulative {
		if h.Name == name {
			return h
		}
	}
	t.Fatalf("no cumulative histogram %s in the view", name)
	return CumHistSample{}
}

// bucketOf is the classic bucket (index into Bounds, len(Bounds) for
// +Inf) that holds the single observation of h.
func bucketOf(h CumHistSample) int {
	for i, c := range h.Cumulative {
		if c > 0 {
			return i
		}
	}
	return len(h.Bounds)
}

type pairStep struct {
	ev event.Event
	// want: the histogram's count and sum (seconds) after the event, and
	// the windowed exact median (NaN: absent).
	count uint64
	sum   float64
	exact float64
}

func changeEv(typ event.Type, change string, at time.Time) event.Event {
	var ev event.Event
	ev.Reset()
	ev.Type, ev.Time, ev.Change = typ, at.UnixMilli(), change
	if typ == event.TypeChangeAccepted {
		ev.User = "dev"
	}
	return ev
}

func userEv(typ event.Type, user string, at time.Time, receipt string) event.Event {
	var ev event.Event
	ev.Reset()
	ev.Type, ev.Time, ev.User = typ, at.UnixMilli(), user
	if typ == event.TypeOutcome {
		ev.Workflow, ev.Status, ev.Receipt = "triage", "success", receipt
	}
	return ev
}

// runPairSteps applies the steps to a plain engine and to partitioned ones
// (the time to first outcome lives on the user side) and checks the
// histogram called series and the exact KPI id after every step.
func runPairSteps(t *testing.T, now time.Time, series, id string, steps []pairStep) {
	t.Helper()
	for _, parts := range []int{1, 3} {
		p := NewPartitioned(Options{Partitions: parts})
		p.Advance(now.UnixMilli())
		for i, s := range steps {
			ev := s.ev
			if r := p.Apply(&ev); r != Applied && r != Duplicate {
				t.Fatalf("%d partitions, step %d: %v", parts, i, r)
			}
			v := p.Evaluate(now.UnixMilli())
			h := histOf(t, v, series)
			exact, ok := v.Exact[id]
			if h.Count != s.count || h.Sum != s.sum {
				t.Errorf("%d partitions, step %d (%v): %s count %d sum %v, want %d and %v",
					parts, i, ev.Type, series, h.Count, h.Sum, s.count, s.sum)
			}
			if ok != (s.exact == s.exact) || (ok && exact != s.exact) {
				t.Errorf("%d partitions, step %d: windowed %s = %v (present %v), want %v", parts, i, id, exact, ok, s.exact)
			}
		}
	}
}

// The fix loop is observed once per change, when its first acceptance and
// first revert are both known, in either order of arrival; a late, earlier
// acceptance moves the windowed quantiles, not the histogram.
func TestFixLoopHistogramObservesCompletedPairs(t *testing.T) {
	now := time.Date(2026, 11, 20, 13, 0, 0, 0, time.UTC)
	t0 := now.Add(-48 * time.Hour)
	nan := func() float64 { var z float64; return z / z }()
	steps := []pairStep{
		// accepted, then reverted 2h later: one observation of 7200s.
		{changeEv(event.TypeChangeAccepted, "a", t0), 0, 0, nan},
		{changeEv(event.TypeChangeReverted, "a", t0.Add(2*time.Hour)), 1, 7200, 7200},
		// reverted first, accepted 30m before it: one observation of 1800s.
		{changeEv(event.TypeChangeReverted, "b", t0.Add(5*time.Hour)), 1, 7200, 7200},
		{changeEv(event.TypeChangeAccepted, "b", t0.Add(4*time.Hour+30*time.Minute)), 2, 9000, (7200 + 1800) / 2.0},
		// a late, earlier acceptance of a: the windowed fix loop of a is
		// now 3h; the histogram keeps its 2h.
		{changeEv(event.TypeChangeAccepted, "a", t0.Add(-time.Hour)), 2, 9000, (10800 + 1800) / 2.0},
		// a second revert of b: the pair was complete already.
		{changeEv(event.TypeChangeReverted, "b", t0.Add(6*time.Hour)), 2, 9000, (10800 + 1800) / 2.0},
		// a revert stamped before its acceptance is no fix loop, in the
		// histogram as in the windowed KPI.
		{changeEv(event.TypeChangeReverted, "c", t0), 2, 9000, (10800 + 1800) / 2.0},
		{changeEv(event.TypeChangeAccepted, "c", t0.Add(time.Hour)), 2, 9000, (10800 + 1800) / 2.0},
	}
	runPairSteps(t, now, kpi.SFixLoopHist, "fix_loop_p50", steps)

	e := New(Options{})
	e.Advance(now.UnixMilli())
	for _, s := range steps[:2] {
		ev := s.ev
		e.Apply(&ev)
	}
	h := histOf(t, e.Evaluate(now.UnixMilli()), kpi.SFixLoopHist)
	if b := bucketOf(h); b >= len(h.Bounds) || h.Bounds[b] != 3*3600 || (b > 0 && h.Bounds[b-1] >= 7200) {
		t.Errorf("7200s filed under classic bound %v (cumulative %v)", h.Bounds[min(b, len(h.Bounds)-1)], h.Cumulative)
	}
	if len(h.Native) != 1 || h.Native[nativeKey(7200)] != 1 {
		t.Errorf("native buckets %v, want one in %d", h.Native, nativeKey(7200))
	}
}

// The time to first outcome is observed once per user, when their first
// verified outcome arrives (the outcome is activity too, so the pair is
// then complete); a late, earlier activity moves the windowed quantiles,
// not the histogram.
func TestFirstOutcomeHistogramObservesCompletedPairs(t *testing.T) {
	now := time.Date(2026, 11, 20, 13, 0, 0, 0, time.UTC)
	t0 := now.Add(-24 * time.Hour)
	nan := func() float64 { var z float64; return z / z }()
	dup := userEv(event.TypeOutcome, "u1", t0.Add(200*time.Second), "r-dup")
	dup.ID = "o-1"
	steps := []pairStep{
		// signup, then a verified outcome 150s later.
		{userEv(event.TypeSignup, "u1", t0, ""), 0, 0, nan},
		{userEv(event.TypeOutcome, "u1", t0.Add(150*time.Second), ""), 0, 0, nan}, // no receipt: not verified
		{userEv(event.TypeOutcome, "u1", t0.Add(150*time.Second), "r1"), 1, 150, 150},
		// a later outcome, twice with one id: u1's pair was complete.
		{dup, 1, 150, 150},
		{dup, 1, 150, 150},
		// an earlier verified outcome arriving late moves the windowed
		// time (u1's first outcome is now 100s), not the histogram.
		{userEv(event.TypeOutcome, "u1", t0.Add(100*time.Second), "r0"), 1, 150, 100},
		// u2's outcome arrives before any other activity of theirs: it is
		// their first activity too, an observation of 0s...
		{userEv(event.TypeOutcome, "u2", t0.Add(time.Hour), "r2"), 2, 150, 50},
		// ...which their earlier session arriving late does not move.
		{userEv(event.TypeSessionStart, "u2", t0.Add(time.Hour-600*time.Second), ""), 2, 150, 350},
	}
	runPairSteps(t, now, kpi.STimeToFirstOutcomeHist, "time_to_first_outcome_p50", steps)

	p := NewPartitioned(Options{Partitions: 3})
	p.Advance(now.UnixMilli())
	for _, s := range steps {
		ev := s.ev
		p.Apply(&ev)
	}
	h := histOf(t, p.Evaluate(now.UnixMilli()), kpi.STimeToFirstOutcomeHist)
	if h.ZeroCount != 1 || len(h.Native) != 1 || h.Native[nativeKey(150)] != 1 {
		t.Errorf("zero bucket %d, native %v: want one 0s and one 150s", h.ZeroCount, h.Native)
	}
	if h.Cumulative[0] != 1 || h.Cumulative[len(h.Cumulative)-1] != 2 {
		t.Errorf("classic cumulative %v over %v", h.Cumulative, h.Bounds)
	}
}

// The pair histograms are saved in the checkpoint and restored, at any
// partition count (the users' partitions' histograms are saved added), and
// they go on counting after the restore.
func TestPairHistogramsSurviveCheckpoint(t *testing.T) {
	now := time.Date(2026, 11, 20, 13, 37, 11, 0, time.UTC)
	evs := partitionInput(41, now, 4000, 250)
	straight := appliedEngine(now, evs)
	want := straight.Evaluate(now.UnixMilli())
	for _, name := range []string{kpi.SFixLoopHist, kpi.STimeToFirstOutcomeHist} {
		if histOf(t, want, name).Count == 0 {
			t.Fatalf("the input completes no pair of %s", name)
		}
	}
	half := len(evs) / 2
	for _, c := range [][2]int{{1, 1}, {1, 3}, {3, 1}, {2, 4}} {
		dir := t.TempDir()
		first := NewPartitioned(Options{Partitions: c[0], CountersAsOfCheckpoint: true})
		first.Advance(now.UnixMilli())
		first.ApplyBatch(evs[:half], make([]Result, half))
		if err := first.Save(dir); err != nil {
			t.Fatal(err)
		}
		shown := first.Evaluate(now.UnixMilli())
		second, err := LoadPartitioned(dir, Options{Partitions: c[1], CountersAsOfCheckpoint: true})
		if err != nil {
			t.Fatal(err)
		}
		restored := second.Evaluate(now.UnixMilli())
		for _, name := range []string{kpi.SFixLoopHist, kpi.STimeToFirstOutcomeHist} {
			if a, b := histOf(t, shown, name), histOf(t, restored, name); !reflect.DeepEqual(a, b) || a.Count == 0 {
				t.Errorf("saved at %d, loaded at %d partitions: %s restored %d observations, %d shown at the checkpoint",
					c[0], c[1], name, b.Count, a.Count)
			}
		}
		second.ApplyBatch(evs[half:], make([]Result, len(evs)-half))
		if err := second.Save(dir); err != nil {
			t.Fatal(err)
		}
		got := second.Evaluate(now.UnixMilli())
		for _, name := range []string{kpi.SFixLoopHist, kpi.STimeToFirstOutcomeHist} {
			if a, b := histOf(t, want, name), histOf(t, got, name); !reflect.DeepEqual(a, b) {
				t.Errorf("saved at %d, loaded at %d partitions: %s has %d observations, %d without the restart",
					c[0], c[1], name, b.Count, a.Count)
			}
		}
	}
}

// A checkpoint's histogram section written before the pair histograms
// (two families) loads with the pair histograms empty; more families than
// the engine knows is damage.
func TestCheckpointCumulativeHistogramCount(t *testing.T) {
	src := newCumulative()
	src.observe(hGateway, 1500)
	src.observe(hCycleTime, 60_000)
	src.observe(hFixLoop, 7_200_000)
	src.observe(hTTFO, 150)
	section := func(n int) *decoder {
		var buf bytes.Buffer
		w := &encoder{w: bufio.NewWriter(&buf)}
		w.uvarint(0) // no counters
		w.uvarint(uint64(n))
		for i := 0; i < n; i++ {
			w.cumHist(&src.hists[i%len(src.hists)])
		}
		if err := w.w.Flush(); err != nil {
			t.Fatal(err)
		}
		return &decoder{r: bufio.NewReader(&buf)}
	}
	for _, n := range []int{2, int(nCumHists)} {
		got := newCumulative()
		d := section(n)
		d.cumulative(&got)
		want := newCumulative()
		for i := 0; i < n; i++ {
			want.hists[i] = src.hists[i].clone()
		}
		if d.err != nil || !reflect.DeepEqual(got.hists, want.hists) {
			t.Errorf("%d histograms: %v, %+v", n, d.err, got.hists)
		}
		if n == 2 && (got.hists[hFixLoop].count != 0 || got.hists[hTTFO].count != 0) {
			t.Error("an old section fills the pair histograms")
		}
	}
	for _, n := range []int{1, int(nCumHists) + 1} {
		got := newCumulative()
		d := section(n)
		d.cumulative(&got)
		if d.err == nil {
			t.Errorf("a section of %d histograms loads", n)
		}
	}
}
