package engine

import (
	"errors"
	"math/rand/v2"
	"os"
	"path/filepath"
	"reflect"
	"testing"
	"time"

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
