package engine

import (
	"fmt"
	"math"
	"math/rand/v2"
	"reflect"
	"strings"
	"testing"
	"time"
	"unsafe"

	"github.com/heady/heady-metrics/exporter/event"
	"github.com/heady/heady-metrics/kpi"
)

// counterSamples picks the counter families of a view, keyed by series
// and labels.
func counterSamples(v *View) map[string]float64 {
	out := map[string]float64{}
	for _, s := range v.Samples {
		if ser, _ := kpi.LookupSeries(s.Name); ser.Type == kpi.Counter && s.Name != kpi.SEventsIngested {
			out[s.Name+"{"+strings.Join(s.LabelValues, ",")+"}"] = s.Value
		}
	}
	return out
}

func key(series string, labels ...string) string {
	return series + "{" + strings.Join(labels, ",") + "}"
}

// countersFixture applies events with repeated ids, future events and
// events past the retention to an engine, in the order given, and
// releases the pending ones.
func countersFixture(t *testing.T, evs []event.Event, now time.Time, opt Options) (*Engine, []event.Event) {
	t.Helper()
	e := New(opt)
	e.Advance(now.UnixMilli())
	var applied []event.Event
	for i := range evs {
		ev := evs[i]
		switch e.Apply(&ev) {
		case Applied, Pending:
			if ceilSec(evs[i].Time) > ceilSec(now.UnixMilli())-RetentionDays*secPerDay {
				applied = append(applied, evs[i])
			}
		}
	}
	e.Advance(now.Add(FutureTolerance * time.Millisecond).UnixMilli())
	return e, applied
}

func idEvents(seed uint64, now time.Time, n int) []event.Event {
	r := rand.New(rand.NewPCG(seed, 3))
	evs := randomEvents(r, now, n, 150)
	for i := range evs {
		if i%2 == 0 {
			evs[i].ID = fmt.Sprintf("id%d", i)
		}
	}
	for i := 0; i < n/10; i++ { // repeated ids
		evs = append(evs, evs[2*r.IntN(n/2)])
	}
	r.Shuffle(len(evs), func(i, j int) { evs[i], evs[j] = evs[j], evs[i] })
	return evs
}

// Every counter equals a count over the events the engine applied, each
// once, whatever the order they arrived in; costs are exact nano-dollars.
func TestCountersCountEveryAppliedEventOnce(t *testing.T) {
	now := time.Date(2026, 11, 20, 13, 37, 11, 0, time.UTC)
	evs := idEvents(5, now, 6000)
	e, applied := countersFixture(t, evs, now, Options{})
	want := map[string]float64{}
	nano := map[string]uint64{}
	inc := func(k string) { want[k]++ }
	var gateway uint64
	for _, ev := range applied {
		switch ev.Type {
		case event.TypeToolCall:
			for _, s := range toolStatuses {
				want[key(kpi.SToolCallsTotal, ev.Tool, s)] += 0
			}
			inc(key(kpi.SToolCallsTotal, ev.Tool, toolStatuses[indexOf(toolStatuses, ev.Status)]))
			gateway++
		case event.TypeOutcome:
			if verifiedOutcome(&ev) {
				for _, s := range verifiedStatus {
					want[key(kpi.SVerifiedTotal, ev.Workflow, s)] += 0
				}
				inc(key(kpi.SVerifiedTotal, ev.Workflow, ev.Status))
			}
		case event.TypePolicyBlock:
			inc(key(kpi.SPolicyBlocksTotal, ev.Policy))
		case event.TypeInference:
			inc(key(kpi.SInferenceReqTotal, ev.Provider, ev.Model))
			r := ev.Routed
			if r == "" {
				r = "none"
			}
			inc(key(kpi.SInferenceRoutedTotal, r))
			nano[key(kpi.SInferenceUSDTotal, ev.Provider, ev.Model)] += nanos(ev.CostUSD)
		case event.TypeArenaRun:
			inc(key(kpi.SArenaRunsTotal, ev.Status))
			nano[key(kpi.SArenaUSDTotal)] += nanos(ev.CostUSD)
		case event.TypeCircuitBreaker:
			if ev.Status == "open" {
				inc(key(kpi.SBreakerTripsTotal))
			}
		case event.TypeQualityGate:
			inc(key(kpi.SGateRunsTotal, ev.Status))
		case event.TypeMerge:
			inc(key(kpi.SMergesTotal))
		case event.TypeRevert:
			inc(key(kpi.SRevertsTotal))
		case event.TypeConsensus:
			inc(key(kpi.SConsensusTotal))
		}
		switch ev.Type {
		case event.TypeToolCall, event.TypeOutcome, event.TypeApproval:
			inc(key(kpi.SActionsTotal))
			if ev.Receipt != "" {
				inc(key(kpi.SActionsReceiptTotal))
			}
		}
	}
	for k, v := range nano {
		want[k] = float64(v) * 1e-9
	}
	got := counterSamples(e.Evaluate(e.Now()))
	for k, w := range want {
		if got[k] != w {
			t.Errorf("%s = %v, want %v", k, got[k], w)
		}
	}
	if len(want) < 30 {
		t.Fatalf("only %d counters checked", len(want))
	}
	var gw CumHistSample
	for _, h := range e.Evaluate(e.Now()).Cumulative {
		if h.Name == kpi.SGatewayDurationHist {
			gw = h
		}
	}
	if gw.Count != gateway || gw.Cumulative[len(gw.Cumulative)-1] > gw.Count {
		t.Errorf("gateway histogram: count %d (last bucket %v), want %d", gw.Count, gw.Cumulative, gateway)
	}

	// The same events in another order, and in batches: the same values,
	// to the last bit.
	r := rand.New(rand.NewPCG(9, 9))
	other := append([]event.Event(nil), evs...)
	r.Shuffle(len(other), func(i, j int) { other[i], other[j] = other[j], other[i] })
	b := New(Options{})
	b.Advance(now.UnixMilli())
	res := make([]Result, len(other))
	b.ApplyBatch(other, res)
	b.Advance(e.Now())
	va, vb := e.Evaluate(e.Now()), b.Evaluate(e.Now())
	if !reflect.DeepEqual(counterSamples(va), counterSamples(vb)) {
		t.Error("counters depend on the order of arrival")
	}
	// The histograms of one event's duration, that is; the pair histograms
	// observe each pair as first completed, which depends on the order by
	// design (cumhist_test.go).
	if !reflect.DeepEqual(va.Cumulative[:hFixLoop], vb.Cumulative[:hFixLoop]) {
		t.Error("cumulative histograms depend on the order of arrival")
	}
	var cycle uint64
	for _, ev := range applied {
		if ev.Type == event.TypeShipped && ev.OpenedAt != event.NoTime && ev.OpenedAt <= ev.Time {
			cycle++
		}
	}
	if h := va.Cumulative[hCycleTime]; h.Name != kpi.SCycleTimeHist || h.Count != cycle || cycle == 0 {
		t.Errorf("cycle time histogram %s: %d observations, want %d", h.Name, h.Count, cycle)
	}
}

// Counters and cumulative histograms never decrease: not as events
// arrive late, not across pruning, not across a checkpoint and restart.
func TestCountersNeverDecrease(t *testing.T) {
	now := time.Date(2026, 11, 20, 13, 37, 11, 0, time.UTC)
	evs := idEvents(6, now, 4000)
	dir := t.TempDir()
	e := New(Options{})
	e.Advance(now.UnixMilli())
	prev := map[string]float64{}
	var prevHists []CumHistSample
	check := func(step int) {
		v := e.Evaluate(e.Now())
		cur := counterSamples(v)
		for k, p := range prev {
			if c, ok := cur[k]; !ok || c < p {
				t.Fatalf("step %d: %s went from %v to %v (present %v)", step, k, p, c, ok)
			}
		}
		for i, h := range v.Cumulative {
			if prevHists == nil {
				break
			}
			p := prevHists[i]
			if h.Count < p.Count || h.Sum < p.Sum || h.ZeroCount < p.ZeroCount {
				t.Fatalf("step %d: %s count/sum went down", step, h.Name)
			}
			for j := range h.Cumulative {
				if h.Cumulative[j] < p.Cumulative[j] {
					t.Fatalf("step %d: %s bucket le=%v went down", step, h.Name, h.Bounds[j])
				}
			}
			for k, n := range p.Native {
				if h.Native[k] < n {
					t.Fatalf("step %d: %s native bucket %d went down", step, h.Name, k)
				}
			}
		}
		prev, prevHists = cur, v.Cumulative
	}
	for i := range evs {
		e.Apply(&evs[i])
		if i%500 == 499 {
			e.Advance(e.Now() + 37_000)
			e.Prune()
			check(i)
			if err := e.Save(dir); err != nil {
				t.Fatal(err)
			}
			l, err := Load(dir, Options{})
			if err != nil {
				t.Fatal(err)
			}
			e = l
			check(i)
		}
	}
	if len(prev) < 30 {
		t.Fatalf("only %d counters seen", len(prev))
	}
}

// With CountersAsOfCheckpoint, a view shows the counters of the last
// checkpoint saved or loaded: a scrape never sees a value a restart from
// that checkpoint could undo.
func TestCountersAsOfCheckpoint(t *testing.T) {
	now := time.Date(2026, 11, 20, 13, 37, 11, 0, time.UTC)
	evs := idEvents(7, now, 2000)
	dir := t.TempDir()
	opt := Options{CountersAsOfCheckpoint: true}
	e := New(opt)
	e.Advance(now.UnixMilli())
	for i := range evs[:1000] {
		e.Apply(&evs[i])
	}
	if n := len(counterSamples(e.Evaluate(e.Now()))); n != 0 {
		t.Fatalf("%d counters shown before any checkpoint", n)
	}
	live := counterSamples(func() *View { c := *e; c.opt.CountersAsOfCheckpoint = false; return c.Evaluate(e.Now()) }())
	if err := e.Save(dir); err != nil {
		t.Fatal(err)
	}
	saved := counterSamples(e.Evaluate(e.Now()))
	if len(saved) == 0 || !reflect.DeepEqual(saved, live) {
		t.Fatalf("after the checkpoint: %d counters, want the %d live ones", len(saved), len(live))
	}
	for i := range evs[1000:] {
		e.Apply(&evs[1000+i])
	}
	if got := counterSamples(e.Evaluate(e.Now())); !reflect.DeepEqual(got, saved) {
		t.Error("counters moved before the next checkpoint")
	}
	// kill -9 here: the restart shows what the checkpoint holds, which is
	// what was shown.
	l, err := Load(dir, opt)
	if err != nil {
		t.Fatal(err)
	}
	if got := counterSamples(l.Evaluate(l.Now())); !reflect.DeepEqual(got, saved) {
		t.Error("a restart shows other counters than the checkpoint's")
	}
}

// Engines that each hold part of the events (shards here; partitions of
// one engine the same way) merge their counters by adding: the sum equals
// one engine over everything.
func TestCountersMergeAcrossShards(t *testing.T) {
	now := time.Date(2026, 11, 20, 13, 37, 11, 0, time.UTC)
	evs := idEvents(8, now, 4000)
	single, _ := countersFixture(t, evs, now, Options{})
	merged := newCumulative()
	for i := 0; i < 3; i++ {
		s, _ := countersFixture(t, evs, now, Options{ShardIndex: i, ShardCount: 3})
		merged.merge(&s.cum)
	}
	a, b := &View{}, &View{}
	single.cum.eval(a)
	merged.eval(b)
	if !reflect.DeepEqual(counterSamples(a), counterSamples(b)) {
		t.Error("shards' counters do not add up to one engine's")
	}
	if !reflect.DeepEqual(a.Cumulative, b.Cumulative) {
		t.Error("shards' cumulative histograms do not add up to one engine's")
	}
}

// A version 2 checkpoint (before counters) loads with its whole state;
// the counters start from zero and count what comes after.
func TestCheckpointV2Migrates(t *testing.T) {
	now := time.Date(2026, 11, 20, 13, 37, 11, 0, time.UTC)
	evs := idEvents(10, now, 3000)
	old, _ := countersFixture(t, evs[:2000], now, Options{})
	dir := t.TempDir()
	if err := old.save(dir, 2, idsOf(evs)); err != nil {
		t.Fatal(err)
	}
	e, err := Load(dir, Options{})
	if err != nil {
		t.Fatal(err)
	}
	if e.LoadedVersion() != 2 {
		t.Fatalf("loaded version %d", e.LoadedVersion())
	}
	windowed := func(v *View) []kpi.Sample {
		var out []kpi.Sample
		for _, s := range v.Samples {
			if ser, _ := kpi.LookupSeries(s.Name); ser.Type != kpi.Counter || s.Name == kpi.SEventsIngested {
				out = append(out, s)
			}
		}
		return out
	}
	a, b := old.Evaluate(old.Now()), e.Evaluate(old.Now())
	if !reflect.DeepEqual(windowed(a), windowed(b)) || !reflect.DeepEqual(a.Exact, b.Exact) {
		t.Fatal("the version 2 state is not what was saved")
	}
	if n := len(counterSamples(b)); n != 0 {
		t.Errorf("%d counters after a version 2 load, want none yet", n)
	}
	var tool event.Event
	tool.Reset()
	tool.Type, tool.Time, tool.Tool, tool.Status, tool.User = event.TypeToolCall, e.Now()-1000, "search", "error", "u1"
	e.Apply(&tool)
	if got := counterSamples(e.Evaluate(e.Now()))[key(kpi.SToolCallsTotal, "search", "error")]; got != 1 {
		t.Errorf("a tool call after the migration counts %v", got)
	}
	if err := e.Save(dir); err != nil {
		t.Fatal(err)
	}
	if l, err := Load(dir, Options{}); err != nil || l.LoadedVersion() != checkpointVersion {
		t.Fatalf("resaved: %v, version %d", err, l.LoadedVersion())
	}
}

// Native bucket k holds (2^((k-1)/8), 2^(k/8)].
func TestNativeKeyBounds(t *testing.T) {
	r := rand.New(rand.NewPCG(4, 4))
	for i := 0; i < 10000; i++ {
		v := math.Exp2(r.Float64()*60 - 30)
		if i%10 == 0 {
			v = math.Exp2(float64(r.IntN(200)-100) / 8) // on a bound
		}
		k := nativeKey(v)
		lo, hi := math.Exp2(float64(k-1)/8), math.Exp2(float64(k)/8)
		if v <= lo || v > hi*(1+1e-15) {
			t.Fatalf("%v in bucket %d = (%v, %v]", v, k, lo, hi)
		}
	}
}

// The caches in front of the counters' map keep their own copies of the
// labels: a label that aliased a decoder buffer, reused since, neither
// loses its counter nor lends it to the buffer's next contents.
func TestCounterCacheOwnsItsLabels(t *testing.T) {
	// A clone (as a checkpoint restore) has the counters but no cache, so
	// its caches are filled from lookups with the aliased labels.
	orig := newCounters()
	for _, l := range [][3]string{{"search", "success"}, {"delete", "success"}, {"delete", "failure"}} {
		orig.add(cToolCalls, 0, l)
	}
	c := orig.clone()
	tool, status := []byte("search"), []byte("success")
	aliased := func() [3]string {
		return [3]string{unsafe.String(&tool[0], len(tool)), unsafe.String(&status[0], len(status))}
	}
	c.add(cToolCalls, 1, aliased())
	c.add(cActions, 1, [3]string{})
	copy(tool, "delete")
	c.add(cToolCalls, 1, aliased())
	copy(status, "failure")
	c.add(cToolCalls, 1, aliased())
	c.add(cToolCalls, 1, [3]string{"search", "success"})
	c.add(cActions, 2, [3]string{})
	want := map[[2]string]uint64{{"search", "success"}: 2, {"delete", "success"}: 1, {"delete", "failure"}: 1}
	for l, n := range want {
		if p := c.m[counterKey{cToolCalls, [3]string{l[0], l[1]}}]; p == nil || *p != n {
			got := "none"
			if p != nil {
				got = fmt.Sprint(*p)
			}
			t.Errorf("tool %s, %s: %s, want %d", l[0], l[1], got, n)
		}
	}
	if p := c.m[counterKey{cActions, [3]string{}}]; p == nil || *p != 3 {
		t.Errorf("actions: %v, want 3", p)
	}
	// The cache still finds every counter by its labels after the bytes
	// they were first seen in changed: its keys and labels are its own.
	// (A key aliasing the bytes would only be missed, and the counter
	// found again in the map: slower, not wrong, which the counts above
	// cannot show.)
	copy(tool, "zzzzzz")
	copy(status, "zzzzzzz")
	for l := range want {
		if c.find(cToolCalls, [3]string{l[0], l[1]}) == nil {
			t.Errorf("tool %s, %s: not in the cache", l[0], l[1])
		}
	}
	cl := c.clone()
	cl.add(cActions, 1, [3]string{})
	if *c.m[counterKey{cActions, [3]string{}}] != 3 || *cl.m[counterKey{cActions, [3]string{}}] != 4 {
		t.Errorf("a clone shares its counters with the original")
	}
}
