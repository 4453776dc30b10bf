package engine

import (
	"cmp"
	"fmt"
	"math"
	"math/rand/v2"
	"reflect"
	"slices"
	"strconv"
	"testing"
	"time"

	"github.com/heady/heady-metrics/exporter/event"
	"github.com/heady/heady-metrics/internal/benchdata"
)

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
		tl.add(sec, 1, units(0.5))
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

// TestApplyBatchEqualsApply applies the same shuffled events, with
// repeated ids and future ones, one at a time to one engine and in batches
// of random sizes to another: every result and every sample must agree.
func TestApplyBatchEqualsApply(t *testing.T) {
	r := rand.New(rand.NewPCG(7, 8))
	now := time.Date(2026, 11, 20, 13, 37, 11, 0, time.UTC)
	evs := randomEvents(r, now, 8000, 300)
	for i := range evs {
		if evs[i].ID == "" && i%2 == 0 {
			evs[i].ID = "id-" + strconv.Itoa(i)
		}
	}
	for i := 0; i < 500; i++ { // copies of earlier ids, and some future events
		c := evs[r.IntN(len(evs))]
		if i%5 == 0 {
			c.Time = now.Add(time.Duration(r.IntN(20)) * time.Minute).UnixMilli()
		}
		evs = append(evs, c)
	}
	r.Shuffle(len(evs), func(i, j int) { evs[i], evs[j] = evs[j], evs[i] })
	one, batched := New(Options{}), New(Options{})
	one.Advance(now.UnixMilli())
	batched.Advance(now.UnixMilli())
	want := make([]Result, len(evs))
	for i := range evs {
		ev := evs[i]
		want[i] = one.Apply(&ev)
	}
	got := make([]Result, len(evs))
	cp := slices.Clone(evs)
	for i := 0; i < len(cp); {
		n := min(1+r.IntN(3*prefetchGroup), len(cp)-i)
		batched.ApplyBatch(cp[i:i+n], got[i:i+n])
		i += n
	}
	seen := map[Result]int{}
	for i := range want {
		seen[want[i]]++
		if got[i] != want[i] {
			t.Fatalf("event %d: ApplyBatch %v, Apply %v", i, got[i], want[i])
		}
	}
	if seen[Duplicate] == 0 || seen[Pending] == 0 || seen[Applied] == 0 {
		t.Fatalf("the input does not exercise every result: %v", seen)
	}
	later := now.Add(time.Hour).UnixMilli()
	one.Advance(later)
	batched.Advance(later)
	va, vb := one.Evaluate(later), batched.Evaluate(later)
	a, b := va.Samples, vb.Samples
	if len(a) == 0 || !reflect.DeepEqual(a, b) {
		t.Fatalf("samples differ: %d one at a time, %d batched", len(a), len(b))
	}
	if !reflect.DeepEqual(va.Cumulative, vb.Cumulative) || va.Cumulative[0].Count == 0 {
		t.Fatal("cumulative histograms differ between Apply and ApplyBatch")
	}
}

// A sealed hour answers windows as it did unsealed, takes a late event
// (unsealing), and a busy hour of counts costs a few bytes a second
// sealed instead of 16.
func TestSealedChunks(t *testing.T) {
	var tl, ref timeline
	base := int64(1_800_000_000) / 3600 * 3600
	r := rand.New(rand.NewPCG(5, 6))
	for i := 0; i < 20_000; i++ {
		sec := base + int64(r.IntN(3*3600))
		n := uint32(1 + r.IntN(3))
		tl.add(sec, n, 0)
		ref.add(sec, n, 0)
	}
	tl.sealBefore(base + 2*3600) // the first two hours
	if tl.chunks[0].packed == nil || tl.chunks[1].packed == nil || tl.chunks[2].packed != nil {
		t.Fatal("sealBefore sealed the wrong hours")
	}
	perSec := float64(len(tl.chunks[0].packed)) / float64(len(ref.chunks[0].secs))
	if perSec > 3 {
		t.Errorf("a sealed busy hour costs %.1f bytes a second, want <= 3", perSec)
	}
	check := func(when string) {
		for i := 0; i < 300; i++ {
			a := base - 100 + int64(r.IntN(3*3600+200))
			b := a + int64(r.IntN(2*3600))
			gn, gs := tl.window(a, b)
			wn, ws := ref.window(a, b)
			if gn != wn || gs != ws {
				t.Fatalf("%s: window (%d, %d]: sealed %d %v, unsealed %d %v", when, a-base, b-base, gn, gs, wn, ws)
			}
		}
	}
	check("sealed")
	tl.add(base+17, 2, 0) // a late event in a sealed hour
	ref.add(base+17, 2, 0)
	if tl.chunks[0].packed != nil {
		t.Fatal("a late event did not unseal its hour")
	}
	check("after a late event")

	// Sums survive sealing bit for bit.
	var cost timeline
	for i := 0; i < 500; i++ {
		cost.add(base+int64(i*7), 1, units(0.1*float64(i)))
	}
	n0, s0 := cost.window(base, base+3600)
	cost.sealBefore(base + 3600)
	if n1, s1 := cost.window(base, base+3600); n1 != n0 || s1 != s0 || !cost.chunks[0].packedSums {
		t.Fatalf("sealed sums: %d %v, want %d %v", n1, s1, n0, s0)
	}
	if n1, _ := cost.window(base+100, base+200); n1 != 14 {
		t.Fatalf("partial window over a sealed hour: %d events, want 14", n1)
	}
}

// seal packs the hours the events have left two hours behind and no
// other, whatever the clock says,
// and changes no sample: events in time order, with some late by minutes to
// hours, applied in batches with a Seal after each, give the view of an
// engine never sealed, bit for bit.
func TestSealPacksOnlyTheHoursBehindTheEvents(t *testing.T) {
	now := time.Date(2026, 11, 20, 13, 37, 11, 0, time.UTC)
	r := rand.New(rand.NewPCG(21, 22))
	evs := randomEvents(r, now.Add(-5*24*time.Hour), 20000, 300) // the clock is days ahead
	slices.SortStableFunc(evs, func(a, b event.Event) int { return cmp.Compare(a.Time, b.Time) })
	for i := range evs { // one event in 20 arrives late, by up to three hours
		if j := i + r.IntN(400); r.IntN(20) == 0 && j < len(evs) && evs[j].Time-evs[i].Time < 3*3600*1000 {
			evs[i], evs[j] = evs[j], evs[i]
		}
	}
	sealed, ref := New(Options{}), New(Options{})
	sealed.Advance(now.UnixMilli())
	ref.Advance(now.UnixMilli())
	res := make([]Result, len(evs))
	for start := 0; start < len(evs); start += 500 {
		batch := evs[start:min(start+500, len(evs))]
		sealed.ApplyBatch(batch, res)
		ref.ApplyBatch(batch, res)
		sealed.seal()
	}
	behind := ceilSec(sealed.lastEvent) - sealAfterSec
	var packed, open int
	for _, g := range sealed.timelineHorizons() {
		for _, tl := range g.timelines {
			for _, c := range tl.chunks {
				ended := c.hour*3600+3599 < behind
				switch {
				case ended && c.packed == nil:
					t.Fatalf("hour %d ended more than 2h before the last event and is not sealed", c.hour)
				case !ended && c.packed != nil:
					t.Fatalf("hour %d is sealed, but the last event is at %d", c.hour, sealed.lastEvent)
				case ended:
					packed++
				default:
					open++
				}
			}
		}
	}
	if packed < 10*open || open == 0 {
		t.Fatalf("%d hours sealed and %d open: the events do not span the hours the test needs", packed, open)
	}
	sameView(t, "sealed as it went against never sealed", sealed.Evaluate(now.UnixMilli()), ref.Evaluate(now.UnixMilli()))
}

// The engine seals as it files events (every SealEvery), so a week of
// logs read at once with the clock days ahead, as by kpis, holds its past
// hours packed, and what it answers is what an engine that never seals
// answers, to the bit: plain, and partitioned over 2 and 3 goroutines with
// batches handed over (ApplyOwnedBatch), as the pipeline applies them.
func TestEngineSealsAsItFiles(t *testing.T) {
	end := time.Date(2026, 11, 17, 12, 0, 0, 0, time.UTC)
	now := end.Add(3 * 24 * time.Hour)
	lines := benchdata.Lines(3*SealEvery+1000, 5000, end)
	evs := make([]event.Event, len(lines))
	var d event.Decoder
	for i, l := range lines {
		if r := d.Decode(l, &evs[i]); r != "" {
			t.Fatalf("line %q: %s", l, r)
		}
	}
	never := New(Options{})
	never.sealEvery = math.MaxInt
	never.Advance(now.UnixMilli())
	for i := range evs {
		never.Apply(&evs[i])
	}
	want := never.Evaluate(now.UnixMilli())

	plain := New(Options{})
	plain.Advance(now.UnixMilli())
	res := make([]Result, 1024)
	for start := 0; start < len(evs); start += 1024 {
		batch := evs[start:min(start+1024, len(evs))]
		plain.ApplyBatch(batch, res[:len(batch)])
	}
	packed := 0
	for _, g := range plain.timelineHorizons() {
		for _, tl := range g.timelines {
			for _, c := range tl.chunks {
				if c.packed != nil {
					packed++
				}
			}
		}
	}
	if packed < 100 {
		t.Fatalf("%d hours packed after %d events: the engine did not seal as it filed them", packed, len(evs))
	}
	sameView(t, "sealed as it filed, against never sealed", plain.Evaluate(now.UnixMilli()), want)

	for _, n := range []int{2, 3} {
		p := NewPartitioned(Options{Partitions: n})
		p.Advance(now.UnixMilli())
		for start := 0; start < len(evs); start += 1024 {
			batch := evs[start:min(start+1024, len(evs))]
			p.ApplyOwnedBatch(batch, make([]Result, len(batch)), nil)
		}
		sameView(t, fmt.Sprintf("%d partitions, against never sealed", n), p.Evaluate(now.UnixMilli()), want)
	}
}

// An engine that is never pruned (a replay of years) keeps a user's every
// active day: two years of daily activity must fit.
func TestUnprunedYearsOfDailyActivity(t *testing.T) {
	start := time.Date(2024, 1, 1, 12, 0, 0, 0, time.UTC)
	e := New(Options{})
	var ev event.Event
	for d := 0; d < 730; d++ {
		now := start.AddDate(0, 0, d)
		e.Advance(now.UnixMilli())
		ev.Reset()
		ev.Type, ev.User, ev.Time = event.TypeSessionStart, "daily", now.UnixMilli()
		if r := e.Apply(&ev); r != Applied {
			t.Fatalf("day %d: %v", d, r)
		}
	}
	u := e.users.at(0)
	if n := u.days.len(); n != 729 {
		t.Fatalf("%d earlier days kept, want 729", n)
	}
	e.Prune()
	if n := u.days.len(); n > RetentionDays {
		t.Fatalf("%d earlier days after Prune, want at most %d", n, RetentionDays)
	}
}

// Pruning keeps each timeline as long as the longest window the view reads
// from it: every exported sample is the same before and after Prune, on
// events of every type spread over the whole retention.
func TestPruneKeepsEverySample(t *testing.T) {
	now := time.Date(2026, 11, 20, 13, 37, 11, 0, time.UTC)
	e := randomEngine(11, now, 20000, 400)
	chunks := func() (n int) {
		for _, g := range e.timelineHorizons() {
			for _, tl := range g.timelines {
				n += len(tl.chunks)
			}
		}
		return n
	}
	before, n0 := e.Evaluate(now.UnixMilli()).Samples, chunks()
	e.Prune()
	after, n1 := e.Evaluate(now.UnixMilli()).Samples, chunks()
	if n1 > n0/3 {
		t.Fatalf("Prune kept %d of %d hour chunks: the test prunes nothing", n1, n0)
	}
	if !reflect.DeepEqual(before, after) {
		for i := range before {
			if i >= len(after) || !reflect.DeepEqual(before[i], after[i]) {
				t.Fatalf("sample %d changed by Prune: %+v", i, before[i])
			}
		}
		t.Fatalf("Prune changed the samples: %d before, %d after", len(before), len(after))
	}
}

// Every timeline the checkpoint saves is in exactly one horizon group.
func TestTimelineHorizonsCoverAll(t *testing.T) {
	e := randomEngine(13, time.Date(2026, 11, 20, 13, 37, 11, 0, time.UTC), 5000, 100)
	seen := map[*timeline]int{}
	total := 0
	for _, g := range e.timelineHorizons() {
		for _, tl := range g.timelines {
			seen[tl]++
			total++
		}
	}
	keyed := 4*len(e.toolByTool.m) + 3*len(e.deploys.m) + len(e.workflows.m) + len(e.policies.m)
	for _, m := range e.byModel.m {
		keyed += len(m.m)
	}
	fixed := e.fixedTimelines()
	if keyed < 20 {
		t.Fatalf("only %d keyed timelines: the events do not fill them", keyed)
	}
	if want := len(fixed) + keyed; total != want || len(seen) != want {
		t.Errorf("horizon groups hold %d timelines (%d distinct), the engine has %d", total, len(seen), want)
	}
	for i, tl := range fixed {
		if seen[tl] != 1 {
			t.Errorf("fixed timeline %d is in %d horizon groups", i, seen[tl])
		}
	}
}

// randomEngine is an engine at now with n random events of every type
// (the oracle test's generator) applied.
func randomEngine(seed uint64, now time.Time, n, users int) *Engine {
	r := rand.New(rand.NewPCG(seed, seed+1))
	e := New(Options{})
	e.Advance(now.UnixMilli())
	for _, ev := range randomEvents(r, now, n, users) {
		e.Apply(&ev)
	}
	return e
}

// A value of an open label set whose history is all pruned gives its place
// under the cap back: after maxOpenValues tools a week ago, a new tool gets
// its own label, not "other".
func TestPruneForgetsValuesWithNoHistory(t *testing.T) {
	start := time.Date(2026, 11, 1, 12, 0, 0, 0, time.UTC)
	e := New(Options{})
	e.Advance(start.UnixMilli())
	var ev event.Event
	call := func(tool string, at time.Time) {
		ev.Reset()
		ev.Type, ev.User, ev.Tool, ev.Status, ev.Time = event.TypeToolCall, "u", tool, "success", at.UnixMilli()
		e.Apply(&ev)
	}
	for i := 0; i < maxOpenValues+5; i++ {
		call("tool-"+strconv.Itoa(i), start)
	}
	if _, ok := e.toolByTool.m[OtherLabel]; !ok || len(e.toolByTool.m) != maxOpenValues+1 {
		t.Fatalf("%d tools held; want the cap and %q", len(e.toolByTool.m), OtherLabel)
	}
	later := start.Add(9 * 24 * time.Hour)
	e.Advance(later.UnixMilli())
	e.Prune()
	if n := len(e.toolByTool.m); n != 0 {
		t.Fatalf("%d tools with no history left are still held", n)
	}
	call("tool-new", later)
	if _, ok := e.toolByTool.m["tool-new"]; !ok {
		t.Fatalf("after Prune a new tool still folds into %q", OtherLabel)
	}
}

// TestSurfaceSet drives users' surface sets through random uses, inline
// and spilled, with indexes and seconds at their bounds, and checks each
// against a map of the latest second per surface, also after setSurfaces
// (a checkpoint restore) gives the same set to another user.
func TestSurfaceSet(t *testing.T) {
	r := rand.New(rand.NewPCG(11, 12))
	us := newUsers()
	for n := 0; n < 300; n++ {
		var u user
		want := map[uint16]uint32{}
		kinds, base := 1+r.IntN(6), 0
		switch n % 50 {
		case 0:
			kinds = 257
		case 1, 2:
			base = 509 // an index past 9 bits (a partitioned checkpoint's union)
		}
		for step := 0; step < 1+r.IntN(40); step++ {
			idx := uint16(base + r.IntN(kinds))
			if r.IntN(4) == 0 {
				idx = uint16(base + kinds - 1) // the largest index
			}
			sec := r.Uint32()
			if r.IntN(8) == 0 {
				sec = math.MaxUint32
			}
			us.useSurface(&u, idx, sec)
			want[idx] = max(want[idx], sec)
		}
		var buf [surfInline]uint64
		list := us.surfaceList(&u, &buf)
		wide := false
		for idx := range want {
			wide = wide || idx > surfIdxMask
		}
		if u.surfaces.spilled() != (len(want) > surfInline || wide) {
			t.Fatalf("set %d: %d surfaces, spilled %v", n, len(want), u.surfaces.spilled())
		}
		check := func(what string, list []uint64) {
			got := map[uint16]uint32{}
			for _, v := range list {
				idx, last := unpackSurface(v)
				got[idx] = last
			}
			if len(list) != len(want) || !reflect.DeepEqual(got, want) {
				t.Fatalf("set %d %s: %v, want %v", n, what, got, want)
			}
		}
		check("used", list)
		var v user
		us.setSurfaces(&v, append([]uint64(nil), list...))
		check("restored", us.surfaceList(&v, &buf))
	}
}

// TestUsersFingerprints files users whose fingerprints share their low
// halves (the slot's part), their high halves or both, across the
// table's growth: each stays its own user, found again by its whole
// fingerprint.
func TestUsersFingerprints(t *testing.T) {
	us := newUsers()
	type fp struct {
		h  uint64
		h2 uint32
	}
	var fps []fp
	for i := 0; i < 6000; i++ {
		lo, hi := uint64(i%7), uint64(i/14)<<32 // pairs of users share both halves
		fps = append(fps, fp{hi | lo, uint32(i % 2)})
	}
	for i, f := range fps {
		u := us.get(f.h, f.h2)
		if u.firstAct != 0 {
			t.Fatalf("user %d found user %d", i, u.firstAct-1)
		}
		u.firstAct = uint32(i + 1)
	}
	if us.len() != len(fps) || len(us.slots) < 8192 {
		t.Fatalf("%d users in %d slots, want %d", us.len(), len(us.slots), len(fps))
	}
	for i, f := range fps {
		if u := us.get(f.h, f.h2); u.firstAct != uint32(i+1) {
			t.Fatalf("user %d found user %d", i, int(u.firstAct)-1)
		}
	}
}
