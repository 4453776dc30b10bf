package engine

import (
	"fmt"
	"math/rand/v2"
	"reflect"
	"slices"
	"strconv"
	"testing"
	"time"

	"github.com/heady/heady-metrics/exporter/event"
	"github.com/heady/heady-metrics/kpi"
)

// partitionInput is randomEvents with ids (some repeated, some of them
// copies that lack the user or carry another), future events and events
// far in the past, shuffled.
func partitionInput(seed uint64, now time.Time, n, users int) []event.Event {
	r := rand.New(rand.NewPCG(seed, seed*3+1))
	evs := randomEvents(r, now, n, users)
	for i := range evs {
		if evs[i].ID == "" && i%2 == 0 {
			evs[i].ID = "id-" + strconv.Itoa(i)
		}
	}
	for i := 0; i < n/10; i++ {
		c := evs[r.IntN(len(evs))]
		switch i % 5 {
		case 0:
			c.Time = now.Add(time.Duration(r.IntN(20)) * time.Minute).UnixMilli()
		case 1:
			c.User = ""
		case 2:
			c.User = fmt.Sprintf("u%d", r.IntN(users))
		}
		evs = append(evs, c)
	}
	r.Shuffle(len(evs), func(i, j int) { evs[i], evs[j] = evs[j], evs[i] })
	return evs
}

// appliedEngine is a plain engine at now with evs applied one by one.
func appliedEngine(now time.Time, evs []event.Event) *Engine {
	e := New(Options{})
	e.Advance(now.UnixMilli())
	for i := range evs {
		e.Apply(&evs[i])
	}
	return e
}

// sameView fails t unless a and b are equal to the last bit of every value.
func sameView(t *testing.T, what string, a, b *View) {
	t.Helper()
	if len(a.Samples) == 0 {
		t.Fatalf("%s: no samples", what)
	}
	fa, fb := fmt.Sprintf("%#v", a), fmt.Sprintf("%#v", b)
	if fa == fb && reflect.DeepEqual(a.Samples, b.Samples) {
		return
	}
	for i := range a.Samples {
		if i < len(b.Samples) && !reflect.DeepEqual(a.Samples[i], b.Samples[i]) {
			t.Errorf("%s: sample %d: %+v, %+v", what, i, a.Samples[i], b.Samples[i])
		}
	}
	t.Fatalf("%s: views differ (%d and %d samples; exact %v and %v; top %v and %v; users %d and %d)", what,
		len(a.Samples), len(b.Samples), a.Exact, b.Exact, a.Top, b.Top, a.Users, b.Users)
}

// A partitioned engine gives the plain engine's results and view, bit for
// bit, whatever the partition count and the batch boundaries, with its
// partitions waited for at each batch or lagging behind (ApplyOwnedBatch);
// sharded across processes too.
func TestPartitionedEqualsEngine(t *testing.T) {
	now := time.Date(2026, 11, 23, 0, 0, 3, 0, time.UTC)
	for _, opt := range []Options{{}, {ShardIndex: 1, ShardCount: 3, GlobalShard: 1}, {ShardIndex: 0, ShardCount: 2, GlobalShard: 1}} {
		evs := partitionInput(uint64(11+opt.ShardCount), now, 6000, 400)
		plain := New(opt)
		plain.Advance(now.UnixMilli())
		// The clock moves twice while the events arrive: the partitions
		// lagging behind the event side must see each move in its place.
		advances := map[int]int64{
			len(evs) / 3:     now.Add(2 * time.Minute).UnixMilli(),
			2 * len(evs) / 3: now.Add(5 * time.Minute).UnixMilli(),
		}
		nextAdvance := func(i int) int {
			next := len(evs)
			for j := range advances {
				if j > i {
					next = min(next, j)
				}
			}
			return next
		}
		want := make([]Result, len(evs))
		for i := range evs {
			if ms, ok := advances[i]; ok {
				plain.Advance(ms)
			}
			ev := evs[i]
			want[i] = plain.Apply(&ev)
		}
		last := now.Add(5 * time.Minute).UnixMilli()
		wantLast := plain.Evaluate(last) // as the last event left it
		later := now.Add(10 * time.Minute).UnixMilli()
		plain.Advance(later)
		plain.Prune()
		wantView := plain.Evaluate(later)
		// The pair histograms are compared with the rest of the view: the
		// input must complete pairs, time to first outcome ones on the user
		// side (some with the outcome before any other activity of its
		// user: 0s), fix loops where the global shard is.
		ttfo := histOf(t, wantView, kpi.STimeToFirstOutcomeHist)
		if ttfo.Count < 10 || ttfo.ZeroCount == 0 || ttfo.ZeroCount == ttfo.Count {
			t.Fatalf("the input completes %d time to first outcome pairs, %d of them at 0s", ttfo.Count, ttfo.ZeroCount)
		}
		if fix := histOf(t, wantView, kpi.SFixLoopHist); (fix.Count == 0) == (opt.ShardIndex == opt.GlobalShard) {
			t.Fatalf("shard %d/%d: the input completes %d fix loops", opt.ShardIndex, opt.ShardCount, fix.Count)
		}
		// Inputs hash their events' ids and users as they decode them
		// (SetKeys); other events, as the cost API's, come without: the
		// engine must give the same results either way.
		keyed := slices.Clone(evs)
		for i := range keyed {
			if i%3 != 0 {
				keyed[i].SetKeys()
			}
		}
		for _, parts := range []int{1, 2, 3, 4, 7} {
			what := fmt.Sprintf("shard %d/%d, %d partitions", opt.ShardIndex, opt.ShardCount, parts)
			evs := keyed
			o := opt
			o.Partitions = parts
			p := NewPartitioned(o)
			if p.Partitions() != parts {
				t.Fatalf("%s: %d partitions", what, p.Partitions())
			}
			p.Advance(now.UnixMilli())
			r := rand.New(rand.NewPCG(uint64(parts), 5))
			got := make([]Result, len(evs))
			for i := 0; i < len(evs); {
				if ms, ok := advances[i]; ok {
					p.Advance(ms)
				}
				n := min(1+r.IntN(700), nextAdvance(i)-i)
				switch {
				case n == 1:
					ev := evs[i]
					got[i] = p.Apply(&ev)
				case r.IntN(2) == 0:
					p.ApplyBatch(evs[i:i+n], got[i:i+n])
				default: // handed over: the partitions may lag behind
					p.ApplyOwnedBatch(evs[i:i+n], got[i:i+n], nil)
				}
				i += n
				if r.IntN(10) == 0 {
					p.Prune()
				}
			}
			seen := map[Result]int{}
			for i := range want {
				seen[want[i]]++
				if got[i] != want[i] {
					t.Fatalf("%s: event %d (%+v): %v, plain engine %v", what, i, evs[i], got[i], want[i])
				}
			}
			if seen[Duplicate] == 0 || seen[Pending] == 0 || seen[Applied] == 0 || seen[Future] == 0 {
				t.Fatalf("%s: the input does not exercise every result: %v", what, seen)
			}
			if opt.ShardCount > 1 && seen[NotOwned] == 0 {
				t.Fatalf("%s: no event owned elsewhere", what)
			}
			// Straight after the last batch, which the partitions may
			// still be applying.
			sameView(t, what+", after the last batch", wantLast, p.Evaluate(last))
			p.Advance(later)
			p.Prune()
			if p.Users() != plain.Users() {
				t.Fatalf("%s: %d users, plain engine %d", what, p.Users(), plain.Users())
			}
			sameView(t, what, wantView, p.Evaluate(later))
		}
	}
}

// The engine files an event's user under the hashes SetKeys stored, not
// the strings: the hashes are an input's to compute, on its core, after
// the last change to the event.
func TestEngineUsesTheEventsKeys(t *testing.T) {
	now := time.Date(2026, 11, 23, 12, 0, 0, 0, time.UTC)
	for _, parts := range []int{1, 2} {
		p := NewPartitioned(Options{Partitions: parts})
		p.Advance(now.UnixMilli())
		evs := []event.Event{
			{Type: event.TypeSessionStart, Time: now.Add(-time.Hour).UnixMilli(), User: "alice"},
			{Type: event.TypeSessionStart, Time: now.Add(-time.Minute).UnixMilli(), User: "alice"},
		}
		for i := range evs {
			evs[i].SetKeys()
		}
		evs[1].User = "bob" // after SetKeys: still filed as alice
		p.ApplyBatch(evs, make([]Result, len(evs)))
		if got := p.Users(); got != 1 {
			t.Fatalf("%d partitions: %d users, want 1 (both events carry alice's keys)", parts, got)
		}
		evs[1].SetKeys()
		p.ApplyBatch(evs[1:], make([]Result, 1))
		if got := p.Users(); got != 2 {
			t.Fatalf("%d partitions: %d users after bob's own keys, want 2", parts, got)
		}
	}
}

// A partitioned engine's checkpoint restores at any partition count, the
// pending events included, and the restored engine goes on as if it had
// never stopped.
func TestPartitionedCheckpointAnyCount(t *testing.T) {
	now := time.Date(2026, 11, 20, 13, 37, 11, 0, time.UTC)
	evs := partitionInput(21, now, 5000, 300)
	straight := appliedEngine(now, evs)
	later := now.Add(3 * time.Minute).UnixMilli() // releases part of the pending events
	straight.Advance(later)
	want := straight.Evaluate(later)
	for _, c := range [][2]int{{1, 3}, {3, 1}, {2, 4}, {4, 4}, {5, 2}} {
		what := fmt.Sprintf("saved at %d partitions, loaded at %d", c[0], c[1])
		dir := t.TempDir()
		first := NewPartitioned(Options{Partitions: c[0]})
		first.Advance(now.UnixMilli())
		half := len(evs) / 2
		res := make([]Result, half)
		first.ApplyBatch(evs[:half], res)
		first.SetPosition("audit", []byte(`{"offset":7}`))
		if err := first.Save(dir); err != nil {
			t.Fatal(err)
		}
		second, err := LoadPartitioned(dir, Options{Partitions: c[1]})
		if err != nil {
			t.Fatalf("%s: %v", what, err)
		}
		if second.Partitions() != c[1] || string(second.Position("audit")) != `{"offset":7}` {
			t.Fatalf("%s: %d partitions, position %q", what, second.Partitions(), second.Position("audit"))
		}
		res = make([]Result, len(evs)-half)
		second.ApplyBatch(evs[half:], res)
		second.Advance(later)
		sameView(t, what, want, second.Evaluate(later))
		if second.Ingested(event.TypeToolCall) != straight.Ingested(event.TypeToolCall) {
			t.Fatalf("%s: ingested counters differ", what)
		}
	}
}

// A plain engine's checkpoint loads into a partitioned one and back.
func TestPartitionedLoadsPlainCheckpoint(t *testing.T) {
	now := time.Date(2026, 11, 20, 13, 37, 11, 0, time.UTC)
	evs := partitionInput(31, now, 3000, 200)
	plain := New(Options{})
	plain.Advance(now.UnixMilli())
	for i := range evs {
		plain.Apply(&evs[i])
	}
	dir := t.TempDir()
	if err := plain.Save(dir); err != nil {
		t.Fatal(err)
	}
	p, err := LoadPartitioned(dir, Options{Partitions: 3})
	if err != nil {
		t.Fatal(err)
	}
	later := now.Add(time.Hour).UnixMilli()
	plain.Advance(later)
	p.Advance(later)
	sameView(t, "plain checkpoint, 3 partitions", plain.Evaluate(later), p.Evaluate(later))
	if err := p.Save(dir); err != nil {
		t.Fatal(err)
	}
	back, err := Load(dir, Options{})
	if err != nil {
		t.Fatal(err)
	}
	sameView(t, "back to a plain engine", plain.Evaluate(later), back.Evaluate(later))
}

// The per-user series are walked a run of pages at a time on every core;
// with enough users for several runs per partition, the view is still the
// plain engine's.
func TestPartitionedUserStatsManyRuns(t *testing.T) {
	now := time.Date(2026, 11, 23, 9, 0, 0, 0, time.UTC)
	const users = 5 * statsPages * userPage / 2 // 2 partitions of 2.5 runs each
	plain := New(Options{})
	p := NewPartitioned(Options{Partitions: 3})
	for _, e := range []interface{ Advance(int64) }{plain, p} {
		e.Advance(now.UnixMilli())
	}
	evs := make([]event.Event, 0, 2*users)
	for u := range users {
		at := now.Add(-time.Duration(u%(40*24)) * time.Hour)
		evs = append(evs, event.Event{Type: event.TypeSessionStart, User: "u" + strconv.Itoa(u), Time: at.UnixMilli(), Surface: "web"})
		if u%3 == 0 {
			evs = append(evs, event.Event{Type: event.TypeOutcome, User: "u" + strconv.Itoa(u), Time: at.Add(time.Hour).UnixMilli(),
				Receipt: "r" + strconv.Itoa(u), Status: "success", Workflow: "w"})
		}
	}
	res := make([]Result, len(evs))
	plain.ApplyBatch(evs, res)
	p.ApplyOwnedBatch(evs, res, nil)
	got := p.Evaluate(now.UnixMilli()) // waits for the partitions
	for _, e := range p.parts {
		if len(e.users.pages) <= statsPages {
			t.Fatalf("a partition has %d pages: one run, nothing walked in parallel", len(e.users.pages))
		}
	}
	sameView(t, "many runs", plain.Evaluate(now.UnixMilli()), got)
}
