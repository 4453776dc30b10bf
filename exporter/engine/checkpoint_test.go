package engine

import (
	"errors"
	"fmt"
	"math/rand/v2"
	"os"
	"path/filepath"
	"reflect"
	"testing"
	"time"

	"github.com/cespare/xxhash/v2"

	"github.com/heady/heady-metrics/exporter/event"
)

func TestCheckpointRoundTripMidStream(t *testing.T) {
	r := rand.New(rand.NewPCG(7, 7))
	now := time.Date(2026, 11, 20, 13, 37, 11, 0, time.UTC)
	evs := randomEvents(r, now, 4000, 80)
	for i := range evs {
		if i%3 == 0 {
			evs[i].ID = "dup-" + string(rune('a'+i%40)) // repeated ids across the split
		}
	}
	r.Shuffle(len(evs), func(i, j int) { evs[i], evs[j] = evs[j], evs[i] })

	straight := New(Options{})
	straight.Advance(now.UnixMilli())
	for i := range evs {
		straight.Apply(&evs[i])
	}

	dir := t.TempDir()
	first := New(Options{})
	first.Advance(now.UnixMilli())
	for i := range evs[:len(evs)/2] {
		first.Apply(&evs[i])
	}
	first.SetPosition("audit", []byte(`{"offset":123}`))
	first.SetRegistry(&RegistryState{Score: 54, HasScore: true, Services: []ServiceState{{Name: "a", Healthy: true, LatencySeconds: nanF()}}})
	if err := first.Save(dir); err != nil {
		t.Fatal(err)
	}
	second, err := Load(dir, Options{})
	if err != nil {
		t.Fatal(err)
	}
	if got := string(second.Position("audit")); got != `{"offset":123}` {
		t.Errorf("position after load: %q", got)
	}
	for i := range evs[len(evs)/2:] {
		second.Apply(&evs[len(evs)/2+i])
	}
	later := now.Add(3 * time.Minute).UnixMilli() // releases part of the pending events
	for _, e := range []*Engine{straight, second} {
		e.Advance(later)
	}
	straight.SetRegistry(second.external.Registry)
	a, b := straight.Evaluate(later), second.Evaluate(later)
	if !reflect.DeepEqual(a.Samples, b.Samples) {
		for i := range a.Samples {
			if i < len(b.Samples) && !reflect.DeepEqual(a.Samples[i], b.Samples[i]) {
				t.Errorf("sample %d: straight %+v, restored %+v", i, a.Samples[i], b.Samples[i])
			}
		}
		t.Fatalf("samples differ (%d vs %d)", len(a.Samples), len(b.Samples))
	}
	if !reflect.DeepEqual(a.Cumulative, b.Cumulative) || !reflect.DeepEqual(a.Exact, b.Exact) {
		t.Error("histograms or exact quantiles differ after restore")
	}
	if straight.Ingested(event.TypeToolCall) != second.Ingested(event.TypeToolCall) {
		t.Error("ingested counters not restored")
	}
}

func nanF() float64 { var z float64; return z / z }

func TestCheckpointDamageIsDetected(t *testing.T) {
	dir := t.TempDir()
	if _, err := Load(dir, Options{}); !errors.Is(err, ErrNoCheckpoint) {
		t.Fatalf("empty dir: %v", err)
	}
	e := New(Options{})
	e.Advance(time.Date(2026, 11, 20, 0, 0, 0, 0, time.UTC).UnixMilli())
	var ev event.Event
	ev.Reset()
	ev.Type, ev.User, ev.Time = event.TypeSignup, "u1", e.Now()-1000
	e.Apply(&ev)
	if err := e.Save(dir); err != nil {
		t.Fatal(err)
	}
	path := filepath.Join(dir, CheckpointFile)
	b, _ := os.ReadFile(path)
	for _, pos := range []int{3, len(b) / 2, len(b) - 2} {
		bad := append([]byte(nil), b...)
		bad[pos] ^= 0x40
		if err := os.WriteFile(path, bad, 0o644); err != nil {
			t.Fatal(err)
		}
		if _, err := Load(dir, Options{}); err == nil {
			t.Errorf("flipped byte %d: loaded without error", pos)
		}
	}
	if err := os.WriteFile(path, b[:len(b)-7], 0o644); err != nil {
		t.Fatal(err)
	}
	if _, err := Load(dir, Options{}); err == nil {
		t.Error("truncated checkpoint loaded without error")
	}
	entries, _ := os.ReadDir(dir)
	for _, en := range entries {
		if en.Name() != CheckpointFile {
			t.Errorf("left behind %s", en.Name())
		}
	}
}

// idsOf names the fingerprints of evs' users, for writing the checkpoint
// formats that held ids.
func idsOf(evs []event.Event) func(uint64, uint32) string {
	ids := map[[2]uint64]string{}
	for i := range evs {
		if u := evs[i].User; u != "" {
			ids[[2]uint64{xxhash.Sum64String(u), uint64(event.Fingerprint(u))}] = u
		}
	}
	return func(h uint64, h2 uint32) string {
		id, ok := ids[[2]uint64{h, uint64(h2)}]
		if !ok {
			panic("a user no event had")
		}
		return id
	}
}

// A checkpoint of format 3 (user ids) loads into the same state as the
// engine that wrote it, and its users are the same users as the events'
// afterwards (their ids hash to the fingerprints the events find), at one
// partition or several.
func TestCheckpointV3Loads(t *testing.T) {
	r := rand.New(rand.NewPCG(9, 9))
	now := time.Date(2026, 11, 20, 13, 37, 11, 0, time.UTC)
	evs := randomEvents(r, now, 4000, 80)
	straight := New(Options{})
	straight.Advance(now.UnixMilli())
	old := New(Options{})
	old.Advance(now.UnixMilli())
	for i := range evs {
		straight.Apply(&evs[i])
		if i < len(evs)/2 {
			old.Apply(&evs[i])
		}
	}
	dir := t.TempDir()
	if err := old.save(dir, 3, idsOf(evs)); err != nil {
		t.Fatal(err)
	}
	later := now.Add(3 * time.Minute).UnixMilli()
	straight.Advance(later)
	want := straight.Evaluate(later)
	for _, parts := range []int{1, 3} {
		e, err := LoadPartitioned(dir, Options{Partitions: parts})
		if err != nil {
			t.Fatal(err)
		}
		if e.LoadedVersion() != 3 || e.Users() != old.Users() {
			t.Fatalf("%d partitions: version %d, %d users, want 3 and %d", parts, e.LoadedVersion(), e.Users(), old.Users())
		}
		e.ApplyBatch(evs[len(evs)/2:], make([]Result, len(evs)-len(evs)/2))
		e.Advance(later)
		got := e.Evaluate(later)
		if !reflect.DeepEqual(want.Samples, got.Samples) || !reflect.DeepEqual(want.Exact, got.Exact) {
			t.Errorf("%d partitions: the state after a format 3 load and the rest of the events differs", parts)
		}
		if e.Users() != straight.Users() {
			t.Errorf("%d partitions: %d users, want %d", parts, e.Users(), straight.Users())
		}
	}
}

// A partitioned engine's checkpoint numbers the union of its partitions'
// surfaces, which junk surface names take past what fits inline in a user
// record (9 bits): it still saves and loads, at any partition count, into
// the same state.
func TestCheckpointManySurfacesPartitioned(t *testing.T) {
	now := time.Date(2026, 11, 20, 13, 37, 11, 0, time.UTC)
	p := NewPartitioned(Options{Partitions: 3})
	p.Advance(now.UnixMilli())
	evs := make([]event.Event, 3000)
	for i := range evs {
		ev := &evs[i]
		ev.Reset()
		ev.Type, ev.User = event.TypeSessionStart, fmt.Sprintf("u%d", i%1500)
		ev.Surface = fmt.Sprintf("surface-%d", i%700)
		ev.Time = now.UnixMilli() - int64(i)*60_000
	}
	p.ApplyBatch(evs, make([]Result, len(evs)))
	dir := t.TempDir()
	if err := p.Save(dir); err != nil {
		t.Fatal(err)
	}
	want := p.Evaluate(now.UnixMilli())
	wide := false
	for _, e := range p.parts {
		wide = wide || len(e.surfaces) > surfIdxMask+1
	}
	for _, parts := range []int{1, 3} {
		l, err := LoadPartitioned(dir, Options{Partitions: parts})
		if err != nil {
			t.Fatalf("%d partitions: %v", parts, err)
		}
		if !reflect.DeepEqual(want.Samples, l.Evaluate(now.UnixMilli()).Samples) {
			t.Errorf("%d partitions: the state differs after the load", parts)
		}
		if parts == 3 {
			for _, e := range l.parts {
				wide = wide || len(e.surfaces) > surfIdxMask+1
			}
		}
	}
	if !wide {
		t.Error("no surface index past 9 bits: the test does not test it")
	}
}

// A checkpoint holds its shard's share of the users and counts: it loads
// only into an engine of the same shard layout, plain or partitioned. One
// of format 4, which did not record the layout, loads into any.
func TestCheckpointKeepsItsShardLayout(t *testing.T) {
	now := time.Date(2026, 11, 20, 13, 37, 11, 0, time.UTC)
	evs := randomEvents(rand.New(rand.NewPCG(3, 9)), now, 500, 40)
	saved := Options{ShardIndex: 1, ShardCount: 3}
	e := New(saved)
	e.Advance(now.UnixMilli())
	for i := range evs {
		e.Apply(&evs[i])
	}
	if e.Users() == 0 {
		t.Fatal("shard 1 of 3 owns no user of the input")
	}
	dir := t.TempDir()
	if err := e.Save(dir); err != nil {
		t.Fatal(err)
	}
	load := func(opt Options, parts int) (int, error) {
		opt.Partitions = parts
		p, err := LoadPartitioned(dir, opt)
		if err != nil {
			return 0, err
		}
		return p.Users(), nil
	}
	for _, parts := range []int{1, 3} {
		if users, err := load(saved, parts); err != nil || users != e.Users() {
			t.Fatalf("%d partitions, same layout: %d users, %v; want %d", parts, users, err, e.Users())
		}
		for _, other := range []Options{{}, {ShardIndex: 0, ShardCount: 3}, {ShardIndex: 1, ShardCount: 2}, {ShardIndex: 1, ShardCount: 3, GlobalShard: 1}} {
			_, err := load(other, parts)
			var lerr *ShardLayoutError
			if !errors.As(err, &lerr) {
				t.Fatalf("%d partitions, %+v: %v, want a ShardLayoutError", parts, other, err)
			}
			want := fmt.Sprintf("%s: saved by an exporter that was shard 1 of 3 (events without a user on shard 0); this one is %s",
				filepath.Join(dir, CheckpointFile), New(other).layout())
			if lerr.Saved != (ShardLayout{Index: 1, Count: 3}) || err.Error() != want {
				t.Fatalf("%d partitions, %+v: %q, want %q", parts, other, err, want)
			}
		}
	}
	if err := e.save(dir, 4, nil); err != nil {
		t.Fatal(err)
	}
	if users, err := load(Options{}, 2); err != nil || users != e.Users() {
		t.Fatalf("format 4 into an unsharded engine: %d users, %v; want %d", users, err, e.Users())
	}
}
