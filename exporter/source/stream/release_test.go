package stream

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"runtime"
	"strings"
	"testing"
	"time"
	"unsafe"

	"github.com/heady/heady-metrics/exporter/demo"
	"github.com/heady/heady-metrics/exporter/engine"
	"github.com/heady/heady-metrics/exporter/event"
	"github.com/heady/heady-metrics/exporter/source"
)

// newInput follows the files at paths in the canonical format.
func newInput(t *testing.T, now time.Time, paths ...string) *Input {
	t.Helper()
	in, err := New(Config{Name: "audit", Paths: paths, Format: "canonical"},
		Options{PollInterval: time.Second, Health: source.NewHealth("audit"), Now: func() time.Time { return now }})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { in.Close() })
	return in
}

// A released batch's memory fills the next batches: reading a file many
// batches long uses a few batches' worth of events and lines, and every
// event read is the one a reader that releases nothing gets.
func TestReleasedMemoryIsReused(t *testing.T) {
	var b strings.Builder
	for i := range 20_000 {
		fmt.Fprintf(&b, `{"ts":"2026-11-20T10:%02d:%02dZ","type":"tool_call","id":"e%d","user":"u\u00e9%d","tool":"t%d","status":"success"}`+"\n", i/60%60, i%60, i, i%300, i%7)
	}
	p := filepath.Join(t.TempDir(), "audit.jsonl")
	if err := os.WriteFile(p, []byte(b.String()), 0o644); err != nil {
		t.Fatal(err)
	}
	for _, procs := range []int{1, 4} { // one decoder, or workers
		func() {
			defer runtime.GOMAXPROCS(runtime.GOMAXPROCS(procs))
			var want []string
			if err := newInput(t, time.Now(), p).Drain(context.Background(), func(b *Batch) error {
				for _, e := range b.Events {
					want = append(want, fmt.Sprintf("%#v", e))
				}
				return nil
			}); err != nil {
				t.Fatal(err)
			}
			var got []string
			events, texts := map[*event.Event]bool{}, map[*byte]bool{}
			batches := 0
			if err := newInput(t, time.Now(), p).Drain(context.Background(), func(b *Batch) error {
				batches++
				events[unsafe.SliceData(b.Events)] = true
				texts[unsafe.SliceData(b.tail.Lines[0].Text)] = true
				for _, e := range b.Events {
					got = append(got, fmt.Sprintf("%#v", e))
				}
				b.Release()
				b.Release() // a second release does nothing
				return nil
			}); err != nil {
				t.Fatal(err)
			}
			if len(got) != 20_000 || strings.Join(got, "\n") != strings.Join(want, "\n") {
				t.Fatalf("GOMAXPROCS=%d: %d events read releasing each batch, %d without; they differ", procs, len(got), len(want))
			}
			if batches < 10 || len(events) > 2 || len(texts) > 2 {
				t.Fatalf("GOMAXPROCS=%d: %d batches used %d event slices and %d line buffers", procs, batches, len(events), len(texts))
			}
		}()
	}
}

// scribble overwrites what b's events and lines hold, as the next batch
// filling the same memory would.
func scribble(b *Batch) {
	for _, l := range b.tail.Lines {
		for i := range l.Text {
			l.Text[i] = 'x'
		}
	}
	clear(b.Events)
	clear(b.mem[:cap(b.mem)])
}

// The engine keeps nothing pointing into a batch: with every batch's
// memory overwritten as soon as the engine hands it back, on one core and
// with the users' side behind the event side on three, the engine
// evaluates to what it does with every batch kept. The demo data set has
// every event type, late and repeated events, escaped strings.
func TestEngineKeepsNothingOfReleasedBatches(t *testing.T) {
	now := time.Date(2026, 11, 20, 12, 0, 0, 0, time.UTC)
	files, err := demo.Generate(now, demo.Options{})
	if err != nil {
		t.Fatal(err)
	}
	dir := t.TempDir()
	var paths []string
	for _, f := range files {
		if strings.HasSuffix(f.Name, ".jsonl") {
			p := filepath.Join(dir, f.Name)
			if err := os.WriteFile(p, f.Data, 0o644); err != nil {
				t.Fatal(err)
			}
			paths = append(paths, p)
		}
	}
	if len(paths) != 3 {
		t.Fatalf("demo JSONL files: %q", paths)
	}
	run := func(partitions int, overwrite bool) string {
		eng := engine.NewPartitioned(engine.Options{Partitions: partitions})
		// An hour before the last events: some wait for the clock.
		eng.Advance(now.Add(-time.Hour).UnixMilli())
		for _, p := range paths {
			err := newInput(t, now, p).Drain(context.Background(), func(b *Batch) error {
				res := make([]engine.Result, len(b.Events))
				eng.ApplyOwnedBatch(b.Events, res, func() {
					if overwrite {
						scribble(b)
						b.Release()
					}
				})
				return nil
			})
			if err != nil {
				t.Fatal(err)
			}
		}
		eng.Advance(now.UnixMilli())
		v := eng.Evaluate(now.UnixMilli())
		if len(v.Samples) < 100 || v.Users == 0 {
			t.Fatalf("%d partitions: %d samples, %d users: the input is not what the test means", partitions, len(v.Samples), v.Users)
		}
		return fmt.Sprintf("%#v", *v)
	}
	for _, c := range []struct{ procs, partitions int }{{1, 1}, {4, 3}} {
		func() {
			defer runtime.GOMAXPROCS(runtime.GOMAXPROCS(c.procs))
			kept, overwritten := run(c.partitions, false), run(c.partitions, true)
			if kept != overwritten {
				t.Fatalf("%d partitions: the view differs when released batches are overwritten:\n%s\n%s", c.partitions, kept, overwritten)
			}
		}()
	}
}
