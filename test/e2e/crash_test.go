package e2e

import (
	"compress/gzip"
	"context"
	"fmt"
	"io"
	"maps"
	"math/rand/v2"
	"os"
	"path/filepath"
	"regexp"
	"sort"
	"strings"
	"testing"
	"time"

	"github.com/heady/heady-metrics/internal/scrape"
)

// writer appends canonical events to audit.jsonl and auth.jsonl in a
// directory and rotates them the ways logrotate does.
type writer struct {
	t    *testing.T
	dir  string
	r    *rand.Rand
	base time.Time
	n    int // events written
	gen  int
	// open are the changes accepted and not yet reverted, by time.
	open []change
	// audit are the numbers of the audit events written, for repeats.
	audit []int
}

type change struct {
	id string
	at time.Time
}

var idField = regexp.MustCompile(`"id":"e\d+",`)

func (w *writer) path(name string) string { return filepath.Join(w.dir, name) }

func (w *writer) appendLines(name string, lines []string) {
	f, err := os.OpenFile(w.path(name), os.O_CREATE|os.O_WRONLY|os.O_APPEND, 0o644)
	if err != nil {
		w.t.Fatal(err)
	}
	defer f.Close()
	// Write in two pieces so a reader can see a half-written line.
	text := strings.Join(lines, "\n") + "\n"
	cut := len(text) / 2
	if _, err := f.WriteString(text[:cut]); err != nil {
		w.t.Fatal(err)
	}
	if _, err := f.WriteString(text[cut:]); err != nil {
		w.t.Fatal(err)
	}
}

// batch writes n events: tool calls and outcomes for random users, a few
// repeated ids and a few bad lines, and changes accepted and reverted
// later (each pair a fix loop, often across batches, kills and
// rotations).
func (w *writer) batch(n int) {
	var audit, auth []string
	for i := 0; i < n; i++ {
		w.n++
		// Timestamps 2h to 3h before the test started: inside the 6h, 1d
		// and 7d windows for the whole test, outside the short ones.
		ts := w.base.Add(-2*time.Hour - time.Duration(w.r.IntN(3600*1000))*time.Millisecond).Format(time.RFC3339Nano)
		user := fmt.Sprintf("u%03d", w.r.IntN(300))
		switch k := w.r.IntN(20); {
		case k == 0:
			audit = append(audit, `{"ts":"`+ts+`","type":"tool_call","user":"`+user) // truncated: skipped
		case k == 1 && len(w.audit) > 10:
			// A repeat of an earlier audit event's id: counted once. (Not
			// an auth event's: which of two streams' copies counts depends
			// on how the streams interleave, which a restart changes.)
			audit = append(audit, fmt.Sprintf(`{"ts":"%s","type":"tool_call","id":"e%d","user":"%s","tool":"t","status":"success","receipt":"r"}`, ts, w.audit[w.r.IntN(len(w.audit))], user))
		case k < 6:
			auth = append(auth, fmt.Sprintf(`{"ts":"%s","type":"session_start","id":"e%d","user":"%s","surface":"%s"}`, ts, w.n, user, []string{"web", "ide", "cli"}[w.r.IntN(3)]))
		case k < 9:
			w.audit = append(w.audit, w.n)
			audit = append(audit, fmt.Sprintf(`{"ts":"%s","type":"outcome","id":"e%d","user":"%s","workflow":"w%d","status":"%s","receipt":"r%d"}`, ts, w.n, user, w.r.IntN(8), []string{"success", "failure"}[w.r.IntN(2)], w.n))
		case k == 9:
			w.audit = append(w.audit, w.n)
			c := change{id: fmt.Sprintf("c%d", w.n), at: w.base.Add(-2*time.Hour - time.Duration(w.r.IntN(3600))*time.Second)}
			w.open = append(w.open, c)
			audit = append(audit, fmt.Sprintf(`{"ts":"%s","type":"change_accepted","id":"e%d","change":"%s","user":"%s"}`, c.at.Format(time.RFC3339Nano), w.n, c.id, user))
		case k == 10 && len(w.open) > 0:
			w.audit = append(w.audit, w.n)
			i := w.r.IntN(len(w.open))
			c := w.open[i]
			w.open = append(w.open[:i], w.open[i+1:]...)
			at := c.at.Add(time.Duration(1+w.r.IntN(1800)) * time.Second)
			audit = append(audit, fmt.Sprintf(`{"ts":"%s","type":"change_reverted","id":"e%d","change":"%s"}`, at.Format(time.RFC3339Nano), w.n, c.id))
		default:
			w.audit = append(w.audit, w.n)
			audit = append(audit, fmt.Sprintf(`{"ts":"%s","type":"tool_call","id":"e%d","user":"%s","tool":"tool%d","status":"%s","duration_ms":%d,"receipt":"r%d"}`, ts, w.n, user, w.r.IntN(30), []string{"success", "success", "error", "denied"}[w.r.IntN(4)], w.r.IntN(900), w.n))
		}
	}
	// Half the events carry no id: only positions saved with the state
	// keep those from being counted twice.
	for _, lines := range [][]string{audit, auth} {
		for i := range lines {
			if w.r.IntN(2) == 0 {
				lines[i] = idField.ReplaceAllString(lines[i], "")
			}
		}
	}
	if len(audit) > 0 {
		w.appendLines("audit.jsonl", audit)
	}
	if len(auth) > 0 {
		w.appendLines("auth.jsonl", auth)
	}
}

// rotate rotates name one of three ways.
func (w *writer) rotate(name string) {
	w.gen++
	src := w.path(name)
	if _, err := os.Stat(src); err != nil {
		return
	}
	dst := fmt.Sprintf("%s.%d", src, w.gen)
	switch w.r.IntN(3) {
	case 0: // rename + create
		if err := os.Rename(src, dst); err != nil {
			w.t.Fatal(err)
		}
		if err := os.WriteFile(src, nil, 0o644); err != nil {
			w.t.Fatal(err)
		}
	case 1: // copytruncate
		b, err := os.ReadFile(src)
		if err != nil {
			w.t.Fatal(err)
		}
		if err := os.WriteFile(dst, b, 0o644); err != nil {
			w.t.Fatal(err)
		}
		if err := os.Truncate(src, 0); err != nil {
			w.t.Fatal(err)
		}
	case 2: // rename, then gzip the rotated file and remove it
		if err := os.Rename(src, dst); err != nil {
			w.t.Fatal(err)
		}
		if err := os.WriteFile(src, nil, 0o644); err != nil {
			w.t.Fatal(err)
		}
		in, _ := os.Open(dst)
		out, _ := os.Create(dst + ".gz")
		zw := gzip.NewWriter(out)
		if _, err := io.Copy(zw, in); err != nil {
			w.t.Fatal(err)
		}
		if err := zw.Close(); err != nil {
			w.t.Fatal(err)
		}
		if err := out.Close(); err != nil {
			w.t.Fatal(err)
		}
		in.Close()
		os.Remove(dst)
	}
}

func writeConfig(t *testing.T, dir, stateDir string) string {
	t.Helper()
	cfg := fmt.Sprintf(`state_dir: %s
engine:
  checkpoint_interval: 150ms
  poll_interval: 50ms
sources:
  audit:
    - paths: ["%s/audit.jsonl*"]
  auth:
    - paths: ["%s/auth.jsonl*"]
`, stateDir, dir, dir)
	p := filepath.Join(t.TempDir(), "config.yml")
	if err := os.WriteFile(p, []byte(cfg), 0o644); err != nil {
		t.Fatal(err)
	}
	return p
}

// TestKillNineMidIngestLosesNothing kills the exporter with SIGKILL again
// and again while events are written and files rotated (rename+create,
// copytruncate, gzip), restarts it each time on its state directory, and
// checks it ends with exactly the numbers of one clean run over the same
// files.
func TestKillNineMidIngestLosesNothing(t *testing.T) {
	dir := t.TempDir()
	state := t.TempDir()
	w := &writer{t: t, dir: dir, r: rand.New(rand.NewPCG(42, 1)), base: time.Now().UTC()}
	cfg := writeConfig(t, dir, state)

	e := startExporter(t, cfg)
	kills := 0
	ctx := context.Background()
	// The highest value every counter showed so far, across processes:
	// a restart after kill -9 must never show less.
	shown := map[string]float64{}
	// monotonic compares a scrape with what was shown; first (after a
	// restart) polls until the new process shows counters at all, so its
	// earliest values, the ones a lost checkpoint would lower, are seen.
	monotonic := func(when string, first bool) {
		m, err := fetchMetrics(ctx, e.url("/metrics"))
		for deadline := time.Now().Add(10 * time.Second); first && time.Now().Before(deadline) &&
			(err != nil || len(monotonicSeries(m)) == 0); time.Sleep(5 * time.Millisecond) {
			m, err = fetchMetrics(ctx, e.url("/metrics"))
		}
		if err != nil {
			return // not listening yet
		}
		for k, v := range monotonicSeries(m) {
			if v < shown[k] {
				t.Errorf("%s: %s went back from %v to %v", when, k, shown[k], v)
			}
			shown[k] = max(shown[k], v)
		}
	}
	for round := 0; round < 40; round++ {
		w.batch(20 + w.r.IntN(200))
		if w.r.IntN(4) == 0 {
			w.rotate("audit.jsonl")
		}
		if w.r.IntN(6) == 0 {
			w.rotate("auth.jsonl")
		}
		time.Sleep(time.Duration(w.r.IntN(120)) * time.Millisecond)
		monotonic(fmt.Sprintf("round %d", round), false)
		if round%4 == 3 {
			e.kill()
			kills++
			e = startExporter(t, cfg)
			monotonic(fmt.Sprintf("restart %d", kills), true)
		}
	}
	if len(shown) == 0 {
		t.Fatal("no counter was ever scraped")
	}
	// Let the last process read everything, then compare with a clean run.
	e.waitReady(60 * time.Second)
	monotonic("after the last restart", false)
	clean := startExporter(t, writeConfig(t, dir, t.TempDir()))
	clean.waitReady(60 * time.Second)
	var want map[string]float64
	waitFor(t, 60*time.Second, "clean run reads every line", func() (bool, string) {
		b, err := fetchMetrics(ctx, clean.url("/metrics"))
		if err != nil {
			return false, err.Error()
		}
		// stable across two scrapes a second apart (the counters shown
		// are the last checkpoint's, every 150ms)
		time.Sleep(time.Second)
		c, _ := fetchMetrics(ctx, clean.url("/metrics"))
		want = scrape.EngineSeries(c)
		return scrape.Ingested(want) > 0 && maps.Equal(scrape.EngineSeries(b), want), fmt.Sprint(scrape.Ingested(want))
	})
	var got map[string]float64
	waitFor(t, 60*time.Second, "restarted exporter catches up", func() (bool, string) {
		m, err := fetchMetrics(ctx, e.url("/metrics"))
		if err != nil {
			return false, err.Error()
		}
		got = scrape.EngineSeries(m)
		monotonic("catching up", false)
		g, w := scrape.Comparable(monotonicSeries(got)), scrape.Comparable(monotonicSeries(want))
		return scrape.Ingested(got) >= scrape.Ingested(want) && maps.Equal(g, w),
			fmt.Sprintf("%v of %v events; counters differing: %s", scrape.Ingested(got), scrape.Ingested(want), differing(g, w))
	})
	if kills < 8 {
		t.Fatalf("only %d kills", kills)
	}
	var diffs []string
	exact := scrape.Comparable(got)
	for k, v := range want {
		if _, ok := exact[k]; !ok {
			continue
		}
		if got[k] != v {
			diffs = append(diffs, fmt.Sprintf("%s: after %d kills %v, clean %v", k, kills, got[k], v))
		}
	}
	for k, v := range got {
		if _, ok := want[k]; !ok {
			diffs = append(diffs, fmt.Sprintf("%s: after kills %v, absent in the clean run", k, v))
		}
	}
	sort.Strings(diffs)
	if len(diffs) > 0 {
		t.Errorf("%d series differ after %d kills and rotations (events written: %d):\n%s", len(diffs), kills, w.n, strings.Join(diffs, "\n"))
	}
	if scrape.Ingested(want) < float64(w.n)/2 {
		t.Errorf("clean run applied only %v of %d events", scrape.Ingested(want), w.n)
	}
	if n := want["heady_outcomes_fix_loop_seconds_count"]; n < 20 {
		t.Errorf("the clean run saw %v fix loops: the input is not what the test means", n)
	}
	t.Logf("%d events, %d kills, %v applied by both runs, %v fix loops", w.n, kills, scrape.Ingested(want), want["heady_outcomes_fix_loop_seconds_count"])
}

// differing lists the first few series whose values differ between got
// and want, with both values.
func differing(got, want map[string]float64) string {
	var d []string
	for k, w := range want {
		if g, ok := got[k]; !ok || g != w {
			d = append(d, fmt.Sprintf("%s %v (want %v)", k, g, w))
		}
	}
	for k, g := range got {
		if _, ok := want[k]; !ok {
			d = append(d, fmt.Sprintf("%s %v (absent)", k, g))
		}
	}
	sort.Strings(d)
	if len(d) > 6 {
		d = append(d[:6], fmt.Sprintf("and %d more", len(d)-6))
	}
	return strings.Join(d, "; ")
}

// monotonicSeries picks the engine's counters and cumulative histograms:
// the series shown as of a checkpoint, which no restart may lower
// (heady_events_ingested_total counts the live state, and the source
// counters belong to one process).
func monotonicSeries(m map[string]float64) map[string]float64 {
	out := map[string]float64{}
	for k, v := range scrape.EngineSeries(m) {
		name := k
		if i := strings.IndexByte(k, '{'); i >= 0 {
			name = k[:i]
		}
		if strings.HasPrefix(name, "heady_events_ingested_total") {
			continue
		}
		if strings.HasSuffix(name, "_total") || (strings.HasSuffix(name, "_seconds_bucket") || strings.HasSuffix(name, "_seconds_count") || strings.HasSuffix(name, "_seconds_sum")) {
			out[k] = v
		}
	}
	return out
}
