package main

import (
	"math/rand/v2"
	"os"
	"strconv"
	"strings"
	"testing"
	"time"
)

// A synthetic soak shaped like the measured one (bench/soak.md): 5 minutes,
// a scrape a second, kill -9 every 90 s, 500 event ids a second held by the
// engine (8 bytes each saved, 37 in memory), a live heap of 6 MiB besides,
// RSS at 17 MiB plus 2.2 times the live heap, and after each restart 3 s of
// catch-up with 15 MiB more heap.
type synth struct {
	killEvery time.Duration
	// leak adds bytes to the live heap at a sample: t since the run
	// started, age since the process started.
	leak func(t, age time.Duration) float64
	// catchUp is how long a restarted process takes to catch up.
	catchUp time.Duration
}

func (c synth) points() []memPoint {
	r := rand.New(rand.NewPCG(1, 2))
	var pts []memPoint
	for s := 1; s <= 300; s++ {
		t := time.Duration(s) * time.Second
		life := int(t / c.killEvery)
		age := t - time.Duration(life)*c.killEvery
		ids := 500 * float64(s)
		saved := 500 * float64(s/10*10) // checkpoint every 10 s
		live := 6*mib + 37*ids + (r.Float64()-0.5)*0.6*mib
		caught := life == 0 || age >= c.catchUp
		if !caught {
			live += 15 * mib
		}
		if c.leak != nil {
			live += c.leak(t, age)
		}
		rss := 17*mib + 2.2*live + (r.Float64()-0.5)*2*mib
		pts = append(pts, memPoint{at: t, age: age, life: life, live: live, rss: rss, state: 1*mib + 8*saved, gogc: 100, caughtUp: caught})
	}
	return pts
}

var rule5m = flatRule{warmup: 75 * time.Second, settle: 10 * time.Second, duration: 5 * time.Minute,
	heapMargin: 1.10, rssMargin: 1.25, stateRate: 6, minLife: 10}

func failed(gs []growth) []string {
	var out []string
	for _, g := range gs {
		if !g.ok {
			out = append(out, g.what)
		}
	}
	return out
}

func TestFlatWhenOnlyTheEngineStateGrows(t *testing.T) {
	gs := judgeMemory(synth{killEvery: 90 * time.Second, catchUp: 3 * time.Second}.points(), rule5m)
	if f := failed(gs); len(f) > 0 {
		t.Fatalf("failed %v: %v", f, gs)
	}
	for _, g := range gs {
		if g.late <= g.early {
			t.Errorf("%s: the synthetic heap grows with the ids, median %v -> %v", g.what, g.early, g.late)
		}
	}
}

// The same growth of the live heap with the engine state flat is a leak.
func TestGrowthNotInTheStateFails(t *testing.T) {
	pts := synth{killEvery: 90 * time.Second, catchUp: 3 * time.Second}.points()
	for i := range pts {
		pts[i].state = 1 * mib
	}
	gs := judgeMemory(pts, rule5m)
	if f := failed(gs); !contains(f, "live heap across the run") {
		t.Fatalf("state flat, heap growing: failed only %v: %v", f, gs)
	}
}

// A leak the kill -9 resets (an in-process one) is caught within lives,
// not across the run.
func TestLeakResetByRestartsFailsWithinLives(t *testing.T) {
	leak := func(_, age time.Duration) float64 { return 150 << 10 * age.Seconds() }
	gs := judgeMemory(synth{killEvery: 90 * time.Second, catchUp: 3 * time.Second, leak: leak}.points(), rule5m)
	f := failed(gs)
	if !contains(f, "live heap within process lives") || contains(f, "live heap across the run") {
		t.Fatalf("150 KiB/s reset at every restart: failed %v: %v", f, gs)
	}
}

// A leak that survives restarts (state outside the checkpoint, say) is
// caught across the run.
func TestLeakAcrossRestartsFails(t *testing.T) {
	leak := func(t, _ time.Duration) float64 { return 30 << 10 * t.Seconds() }
	gs := judgeMemory(synth{killEvery: 90 * time.Second, catchUp: 3 * time.Second, leak: leak}.points(), rule5m)
	if f := failed(gs); !contains(f, "live heap across the run") {
		t.Fatalf("30 KiB/s across restarts: failed %v: %v", f, gs)
	}
}

// The leak rate the report prints is the edge of the verdict: half of it
// added to the run passes, one and a half times it fails.
func TestLeakRateIsTheEdge(t *testing.T) {
	base := synth{killEvery: 3 * time.Minute, catchUp: 3 * time.Second}
	for i, g := range judgeMemory(base.points(), rule5m) {
		rate := g.leakRate()
		if rate <= 0 || rate > 1<<20 {
			t.Fatalf("%s: leak rate %v", g.what, rate)
		}
		for _, k := range []float64{0.5, 1.5} {
			c := base
			if strings.Contains(g.what, "within") {
				c.leak = func(_, age time.Duration) float64 { return k * rate * age.Seconds() }
			} else {
				c.leak = func(t, _ time.Duration) float64 { return k * rate * t.Seconds() }
			}
			if strings.HasPrefix(g.what, "RSS") {
				// The synthetic RSS is 2.2 times the live heap.
				inner := c.leak
				c.leak = func(t, age time.Duration) float64 { return inner(t, age) / 2.2 }
			}
			got := judgeMemory(c.points(), rule5m)[i]
			if got.ok != (k < 1) {
				t.Errorf("%s: a leak of %.1fx the reported %.0f B/s: ok=%v (%v)", g.what, k, rate, got.ok, got)
			}
		}
	}
}

// The catch-up after a restart is not judged, but a process that stays as
// high after it is.
func TestCatchUpIsNotJudged(t *testing.T) {
	c := synth{killEvery: 90 * time.Second, catchUp: 5 * time.Second}
	if f := failed(judgeMemory(c.points(), rule5m)); len(f) > 0 {
		t.Fatalf("a 5 s catch-up with 15 MiB more heap failed %v", f)
	}
	// The last two processes keep the catch-up's 15 MiB for good.
	c.leak = func(t, age time.Duration) float64 {
		if t >= 180*time.Second && age >= c.catchUp {
			return 15 * mib
		}
		return 0
	}
	if f := failed(judgeMemory(c.points(), rule5m)); !contains(f, "live heap across the run") {
		t.Fatalf("15 MiB kept after the second restart: failed %v", f)
	}
}

func TestTooFewSamples(t *testing.T) {
	pts := synth{killEvery: 90 * time.Second, catchUp: 3 * time.Second}.points()
	for i := range pts {
		pts[i].caughtUp = false // never caught up: nothing is steady
	}
	for _, g := range judgeMemory(pts, rule5m) {
		if !g.insufficient || g.ok {
			t.Errorf("%s judged without steady samples: %v", g.what, g)
		}
	}
}

func contains(xs []string, s string) bool {
	for _, x := range xs {
		if x == s {
			return true
		}
	}
	return false
}

// readSamples reads a samples.csv the soak wrote (-dir keeps it).
func readSamples(t *testing.T, path string) []sample {
	t.Helper()
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	lines := strings.Split(strings.TrimSpace(string(b)), "\n")
	var out []sample
	for _, l := range lines[1:] {
		f := strings.Split(l, ",")
		v := make([]float64, len(f))
		for i := range f {
			if v[i], err = strconv.ParseFloat(f[i], 64); err != nil {
				t.Fatalf("%s: %q: %v", path, l, err)
			}
		}
		out = append(out, sample{at: time.Duration(v[0] * float64(time.Second)), life: int(v[1]),
			latency: time.Duration(v[2] * float64(time.Millisecond)), rss: v[3], goroutines: v[4], fds: v[5],
			heapAlloc: v[6], heapInuse: v[7], heapIdle: v[8], released: v[9], nextGC: v[10], gogc: v[11],
			gcs: v[12], ingested: v[13], expected: v[14], state: v[15]})
	}
	return out
}

// Two measured 5-minute runs (5000 lines/s, kill -9 every 90 s): the
// exporter as it is, and the same binary leaking 100 KiB a second.
func TestRecordedRuns(t *testing.T) {
	ok := judgeMemory(memPoints(readSamples(t, "testdata/run-5m-kill90s.csv"), 5000), rule5m)
	if f := failed(ok); len(f) > 0 {
		t.Errorf("the exporter's own run failed %v: %v", f, ok)
	}
	leak := judgeMemory(memPoints(readSamples(t, "testdata/run-5m-kill90s-leak100k.csv"), 5000), rule5m)
	if f := failed(leak); !contains(f, "live heap within process lives") {
		t.Errorf("the run leaking 100 KiB/s failed only %v: %v", f, leak)
	}
}

// A leak added to the measured run fails at one and a half times the rate
// the report prints for it, on the run's real noise.
func TestRecordedRunWithAddedLeak(t *testing.T) {
	xs := readSamples(t, "testdata/run-5m-kill90s.csv")
	start := map[int]time.Duration{} // each process's first sample
	for _, x := range xs {
		if _, ok := start[x.life]; !ok {
			start[x.life] = x.at
		}
	}
	base := judgeMemory(memPoints(xs, 5000), rule5m)
	for i, g := range base {
		t.Logf("%v; a leak over %.0f KiB/s fails", g, g.leakRate()/1024)
		for _, k := range []float64{0.5, 1.5} {
			if got := judgeMemory(memPoints(withLeak(xs, start, g.what, k*g.leakRate()), 5000), rule5m)[i]; got.ok != (k < 1) {
				t.Errorf("%s: %.1fx the reported rate added: ok=%v (%v)", g.what, k, got.ok, got)
			}
		}
	}
}

// withLeak adds a leak of rate bytes a second to the samples, for the
// comparison named what: since the start of the run or of each process.
func withLeak(xs []sample, start map[int]time.Duration, what string, rate float64) []sample {
	leaky := append([]sample(nil), xs...)
	for j := range leaky {
		x := &leaky[j]
		d := x.at
		if strings.Contains(what, "within") {
			d = x.at - start[x.life]
		}
		add := rate * d.Seconds()
		if strings.HasPrefix(what, "RSS") {
			x.rss += add
		} else {
			// The heap goal is (1 + GOGC/100) times the live heap.
			x.nextGC += add * (1 + x.gogc/100)
		}
	}
	return leaky
}
