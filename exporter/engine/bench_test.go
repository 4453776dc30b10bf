package engine

import (
	"fmt"
	"runtime"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/heady/heady-metrics/exporter/event"
	"github.com/heady/heady-metrics/internal/benchdata"
)

var (
	benchOnce  sync.Once
	benchInput [][]byte
	benchNow   = time.Date(2026, 11, 20, 12, 0, 0, 0, time.UTC)
)

func ingestInput() [][]byte {
	benchOnce.Do(func() { benchInput = benchdata.Lines(1_000_000, 200_000, benchNow) })
	return benchInput
}

// BenchmarkIngest decodes lines in batches and applies each batch with
// ApplyBatch, as the pipeline does with the batches sources deliver.
func BenchmarkIngest(b *testing.B) { benchIngest(b, true) }

// BenchmarkIngestEach is the same work with Apply called per event: the
// peer that shows what ApplyBatch's prefetching gains.
func BenchmarkIngestEach(b *testing.B) { benchIngest(b, false) }

// ingestBatch is the lines decoded before a batch is applied: large enough
// for ApplyBatch's groups, small enough that the decoded events are still
// in cache.
const ingestBatch = 256

func benchIngest(b *testing.B, batched bool) {
	now := benchNow
	lines := ingestInput()
	var total int
	for _, l := range lines {
		total += len(l) + 1
	}
	b.SetBytes(int64(total / len(lines)))
	evs := make([]event.Event, ingestBatch)
	res := make([]Result, ingestBatch)
	var d event.Decoder
	var e *Engine
	b.ResetTimer()
	cpu0 := cpuTime()
	for i := 0; i < b.N; {
		if i%len(lines) == 0 {
			b.StopTimer()
			e = New(Options{})
			e.Advance(now.UnixMilli())
			b.StartTimer()
		}
		// A batch ends at b.N and at the end of the input.
		n := min(ingestBatch, b.N-i, len(lines)-i%len(lines))
		k := 0
		for j := 0; j < n; j++ {
			if d.Decode(lines[(i+j)%len(lines)], &evs[k]) == "" {
				k++
			}
		}
		if batched {
			e.ApplyBatch(evs[:k], res)
		} else {
			for j := range evs[:k] {
				e.Apply(&evs[j])
			}
		}
		i += n
	}
	reportRates(b, cpu0)
}

// cpuTime is the CPU time (user + system) the process has used. On a
// shared machine it says what one dedicated core would do: with GOMAXPROCS=1
// the benchmark, the garbage collector and the runtime share that core.
func cpuTime() time.Duration {
	var ru syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_SELF, &ru); err != nil {
		panic(err) // cannot fail for RUSAGE_SELF
	}
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}

// reportRates reports lines per wall second and per CPU second.
func reportRates(b *testing.B, cpu0 time.Duration) {
	b.ReportMetric(float64(b.N)/b.Elapsed().Seconds(), "lines/s")
	if cpu := cpuTime() - cpu0; cpu > 0 {
		b.ReportMetric(float64(b.N)/cpu.Seconds(), "lines/cpu-s")
	}
}

// BenchmarkDecodeOnly is the decoder alone on the same lines, the floor the
// engine's share is measured against.
func BenchmarkDecodeOnly(b *testing.B) {
	lines := ingestInput()
	var d event.Decoder
	var ev event.Event
	b.ResetTimer()
	cpu0 := cpuTime()
	for i := 0; i < b.N; i++ {
		d.Decode(lines[i%len(lines)], &ev)
	}
	reportRates(b, cpu0)
}

// BenchmarkMemoryPerUser applies activity for 1,000,000 users (a session
// and a verified outcome each, on a few days) and reports the heap bytes
// per tracked user.
func BenchmarkMemoryPerUser(b *testing.B) {
	for i := 0; i < b.N; i++ {
		now := time.Date(2026, 11, 20, 12, 0, 0, 0, time.UTC)
		const users = 1_000_000
		runtime.GC()
		var before runtime.MemStats
		runtime.ReadMemStats(&before)
		e := New(Options{})
		e.Advance(now.UnixMilli())
		var ev event.Event
		ids := make([]string, users)
		for u := range ids {
			ids[u] = fmt.Sprintf("user-%07d", u)
		}
		for day := 0; day < 3; day++ {
			for u := 0; u < users; u++ {
				ev.Reset()
				ev.Type, ev.User = event.TypeSessionStart, ids[u]
				ev.Surface = [...]string{"web", "ide", "cli"}[(u+day)%3]
				ev.Time = now.Add(-time.Duration(day*3+u%3)*24*time.Hour - time.Duration(u%86400)*time.Second).UnixMilli()
				e.Apply(&ev)
			}
		}
		runtime.GC() // ids is dead here: not counted
		var after runtime.MemStats
		runtime.ReadMemStats(&after)
		b.ReportMetric(float64(after.HeapAlloc-before.HeapAlloc)/users, "bytes/user")
		runtime.KeepAlive(e)
	}
}

var sink *View

// BenchmarkRestart saves and loads a checkpoint of 1,000,000 users into a
// partitioned engine (GOMAXPROCS partitions) and evaluates a first view.
func BenchmarkRestart(b *testing.B) {
	now := time.Date(2026, 11, 20, 12, 0, 0, 0, time.UTC)
	e := New(Options{})
	e.Advance(now.UnixMilli())
	var ev event.Event
	for u := 0; u < 1_000_000; u++ {
		ev.Reset()
		ev.Type, ev.User = event.TypeSessionStart, fmt.Sprintf("user-%07d", u)
		ev.Surface, ev.Time = "web", now.Add(-time.Duration(u%(30*86400))*time.Second).UnixMilli()
		e.Apply(&ev)
	}
	dir := b.TempDir()
	if err := e.Save(dir); err != nil {
		b.Fatal(err)
	}
	b.ResetTimer()
	var load, view time.Duration
	for i := 0; i < b.N; i++ {
		t0 := time.Now()
		// As the server does: GOMAXPROCS partitions.
		e2, err := LoadPartitioned(dir, Options{})
		if err != nil {
			b.Fatal(err)
		}
		t1 := time.Now()
		sink = e2.Evaluate(now.UnixMilli()) // ready means a first view
		load += t1.Sub(t0)
		view += time.Since(t1)
	}
	b.ReportMetric(load.Seconds()*1000/float64(b.N), "load-ms")
	b.ReportMetric(view.Seconds()*1000/float64(b.N), "view-ms")
}

// BenchmarkHistoryMemory applies the ingest benchmark's week of lines and
// reports the heap the engine holds before and after Prune seals the
// timelines' past hours (users and dedup ids are the same in both).
func BenchmarkHistoryMemory(b *testing.B) {
	lines := ingestInput()
	for i := 0; i < b.N; i++ {
		heap := func() float64 {
			runtime.GC()
			var m runtime.MemStats
			runtime.ReadMemStats(&m)
			return float64(m.HeapAlloc)
		}
		base := heap()
		e := New(Options{})
		e.Advance(benchNow.UnixMilli())
		var d event.Decoder
		var ev event.Event
		for _, l := range lines {
			if d.Decode(l, &ev) == "" {
				e.Apply(&ev)
			}
		}
		before := heap() - base
		e.Prune()
		after := heap() - base
		b.ReportMetric(before/(1<<20), "MiB-unsealed")
		b.ReportMetric(after/(1<<20), "MiB-sealed")
		runtime.KeepAlive(e)
	}
}

// BenchmarkIngestParallel is the ingest of the pipeline on every core:
// batches of tailBatch lines are decoded in parallel (one run of lines per
// core, as package stream does) on a reader goroutine, while a Partitioned
// engine (event side and GOMAXPROCS-1 user partitions) applies the previous batch. At
// GOMAXPROCS=1 it is one goroutine decoding and applying, as the pipeline
// is then. Its lines/s against BenchmarkIngest's at GOMAXPROCS=1 is the
// speed-up of the cores.
func BenchmarkIngestParallel(b *testing.B) {
	const tailBatch = 1024 // as package stream asks of tail
	lines := ingestInput()
	procs := runtime.GOMAXPROCS(0)
	decode := func(start, n int, decs []event.Decoder) []event.Event {
		evs := make([]event.Event, n)
		workers := min(procs, n/512)
		if workers <= 1 {
			k := 0
			for j := range n {
				if decs[0].Decode(lines[(start+j)%len(lines)], &evs[k]) == "" {
					k++
				}
			}
			return evs[:k]
		}
		parts := make([][]event.Event, workers)
		var wg sync.WaitGroup
		for w := range workers {
			wg.Add(1)
			go func() {
				defer wg.Done()
				lo, hi := w*n/workers, (w+1)*n/workers
				out := evs[lo:lo:hi]
				for j := lo; j < hi; j++ {
					out = out[:len(out)+1]
					if decs[w].Decode(lines[(start+j)%len(lines)], &out[len(out)-1]) != "" {
						out = out[:len(out)-1]
					}
				}
				parts[w] = out
			}()
		}
		wg.Wait()
		k := 0
		for w, p := range parts {
			if k != w*n/workers { // closed up in place, as package stream does
				copy(evs[k:], p)
			}
			k += len(p)
		}
		return evs[:k]
	}
	decs := make([]event.Decoder, procs)
	b.SetBytes(285)
	b.ResetTimer()
	cpu0 := cpuTime()
	for i := 0; i < b.N; {
		b.StopTimer()
		e := NewPartitioned(Options{})
		e.Advance(benchNow.UnixMilli())
		n := min(b.N-i, len(lines)-i%len(lines))
		b.StartTimer()
		if procs == 1 {
			// One goroutine, as the pipeline at GOMAXPROCS=1.
			for j := 0; j < n; j += tailBatch {
				evs := decode(i+j, min(tailBatch, n-j), decs)
				e.ApplyBatch(evs, make([]Result, len(evs)))
			}
		} else {
			batches := make(chan []event.Event, 2)
			go func() {
				defer close(batches)
				for j := 0; j < n; j += tailBatch {
					batches <- decode(i+j, min(tailBatch, n-j), decs)
				}
			}()
			for evs := range batches {
				e.ApplyBatch(evs, make([]Result, len(evs)))
			}
		}
		i += n
	}
	reportRates(b, cpu0)
}
