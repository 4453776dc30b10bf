//go:build integration

package e2e

import (
	"bytes"
	"encoding/json"
	"fmt"
	"net/http"
	"net/http/httptest"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync/atomic"
	"syscall"
	"testing"
	"time"

	"github.com/heady/heady-metrics/internal/scrape"
	"github.com/heady/heady-metrics/kpi"
)

// These tests run the real binary on real files and signals: what an
// operator sees when something stops a number from being right.

// serveDemo serves the demo in dir as of now until ready and returns its
// engine series after the first full read.
func serveDemo(t *testing.T, dir string, now time.Time, extra ...string) (*exporter, map[string]float64) {
	t.Helper()
	e := startExporter(t, filepath.Join(dir, "config.yml"), append([]string{"--now=" + now.Format(time.RFC3339)}, extra...)...)
	e.waitReady(3 * time.Minute)
	m, err := fetchMetrics(t.Context(), e.url("/metrics"))
	if err != nil {
		t.Fatal(err)
	}
	return e, m
}

// A second demo over the first one's directory and state ends with exactly
// the numbers of a fresh demo: the demo owns its state.
func TestDemoRerunEqualsFreshDemo(t *testing.T) {
	t1 := time.Date(2026, 11, 20, 12, 0, 0, 0, time.UTC)
	t2 := t1.Add(26 * time.Hour) // another data set: other users, other days
	dir := filepath.Join(t.TempDir(), "demo")
	runBin(t, exporterBin, "demo", "--out="+dir, "--now="+t1.Format(time.RFC3339))
	e, _ := serveDemo(t, dir, t1)
	if err := e.stop(); err != nil {
		t.Fatalf("stop: %v\n%s", err, e.logText())
	}
	if _, err := os.Stat(filepath.Join(dir, "state", "checkpoint.bin")); err != nil {
		t.Fatalf("the first demo left no checkpoint: %v", err)
	}
	out := runBin(t, exporterBin, "demo", "--out="+dir, "--now="+t2.Format(time.RFC3339))
	if !strings.Contains(string(out), "removed the earlier demo's state") {
		t.Errorf("demo over an earlier demo does not say it removed its state:\n%s", out)
	}
	e, rerun := serveDemo(t, dir, t2)
	if err := e.stop(); err != nil {
		t.Fatal(err)
	}

	fresh := writeDemo(t, t2)
	e, want := serveDemo(t, fresh, t2)
	if err := e.stop(); err != nil {
		t.Fatal(err)
	}
	// (scrape.Comparable: two runs may interleave the streams otherwise.)
	got, exp := scrape.Comparable(scrape.EngineSeries(rerun)), scrape.Comparable(scrape.EngineSeries(want))
	if len(exp) < 100 {
		t.Fatalf("only %d engine series in a fresh demo", len(exp))
	}
	for k, v := range exp {
		if got[k] != v {
			t.Errorf("%s: rerun demo %v, fresh demo %v", k, got[k], v)
		}
	}
	for k := range got {
		if _, ok := exp[k]; !ok {
			t.Errorf("%s: only in the rerun demo", k)
		}
	}
}

// The demo's probe targets follow the listen address, and the first probe
// round already finds the exporter's own endpoints up.
func TestDemoProbesFollowListenAddress(t *testing.T) {
	addr := freePort(t)
	now := time.Date(2026, 11, 20, 12, 0, 0, 0, time.UTC)
	dir := filepath.Join(t.TempDir(), "demo")
	runBin(t, exporterBin, "demo", "--out="+dir, "--now="+now.Format(time.RFC3339), "--web.listen-address="+addr)
	cfg, err := os.ReadFile(filepath.Join(dir, "config.yml"))
	if err != nil {
		t.Fatal(err)
	}
	if n := strings.Count(string(cfg), "http://"+addr+"/-/healthy"); n != 8 {
		t.Fatalf("%d probe targets at %s, want 8:\n%s", n, addr, cfg)
	}
	cmd := exec.Command(exporterBin, "--config.file="+filepath.Join(dir, "config.yml"), "--web.listen-address="+addr, "--now="+now.Format(time.RFC3339))
	var log bytes.Buffer
	cmd.Stdout, cmd.Stderr = &log, &log
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	e := &exporter{t: t, cmd: cmd, addr: addr}
	t.Cleanup(e.kill)
	// The first probe round runs at start; its results are the first
	// thing the probe series show.
	waitFor(t, 2*time.Minute, "first probe round", func() (bool, string) {
		m, err := fetchMetrics(t.Context(), e.url("/metrics"))
		if err != nil {
			return false, err.Error()
		}
		up, n := 0.0, 0
		for k, v := range m {
			if strings.HasPrefix(k, kpi.SProbeSuccess+"{") {
				n++
				up += v
			}
		}
		if n == 0 {
			return false, "no probe results yet"
		}
		if up != 8 || n != 9 {
			t.Fatalf("first probe round: %v of %d targets up, want 8 of 9 (the exporter's own 8)", up, n)
		}
		return true, ""
	})
}

// A path that matches no file: --config.check warns and exits 0, kpis
// says so and exits 1, serve shows the source down with 0 files and logs
// one WARN naming the path, and picks the file up when it appears.
func TestSourceWithNothingToRead(t *testing.T) {
	dir := t.TempDir()
	audit := filepath.Join(dir, "audit.jsonl")
	ci := filepath.Join(dir, "ci-*.jsonl")
	writeText(t, audit, `{"ts":"2026-11-20T11:00:00Z","type":"tool_call","user_id":"u1","tool":"search","status":"ok","id":"a1"}`+"\n")
	cfg := filepath.Join(dir, "config.yml")
	writeText(t, cfg, fmt.Sprintf("state_dir: %s\nengine:\n  poll_interval: 100ms\nsources:\n  audit:\n    - paths: [%s]\n  ci:\n    - paths: [%q]\n",
		filepath.Join(dir, "state"), audit, ci))

	check := exec.Command(exporterBin, "--config.file="+cfg, "--config.check")
	var stderr bytes.Buffer
	check.Stderr = &stderr
	if out, err := check.Output(); err != nil || !strings.Contains(string(out), "valid") {
		t.Fatalf("--config.check: %v %s %s", err, out, stderr.String())
	}
	if want := "sources.ci[0].paths[0]: " + ci + " matches no file now"; !strings.Contains(stderr.String(), want) {
		t.Errorf("--config.check stderr lacks %q:\n%s", want, stderr.String())
	}

	kp := exec.Command(exporterBin, "kpis", "--config.file="+cfg, "--now=2026-11-20T12:00:00Z")
	stderr.Reset()
	kp.Stderr = &stderr
	out, err := kp.Output()
	if ee, ok := err.(*exec.ExitError); !ok || ee.ExitCode() != 1 {
		t.Fatalf("kpis with a source that reads nothing: %v, want exit 1\n%s", err, stderr.String())
	}
	var doc map[string]any
	if err := json.Unmarshal(out, &doc); err != nil || doc["north_star"] == nil {
		t.Fatalf("kpis still prints the JSON: %v\n%s", err, out)
	}
	for _, want := range []string{"source audit: 1 file, 1 line read", "source ci: nothing readable: 0 files, no file matches " + ci} {
		if !strings.Contains(stderr.String(), want) {
			t.Errorf("kpis stderr lacks %q:\n%s", want, stderr.String())
		}
	}

	e := startExporter(t, cfg)
	e.waitReady(time.Minute)
	want := map[string]float64{
		`heady_exporter_source_files{source="ci"}`:    0,
		`heady_exporter_source_up{source="ci"}`:       0,
		`heady_exporter_source_files{source="audit"}`: 1,
		`heady_exporter_source_up{source="audit"}`:    1,
	}
	m, err := fetchMetrics(t.Context(), e.url("/metrics"))
	if err != nil {
		t.Fatal(err)
	}
	for k, v := range want {
		if got, ok := m[k]; !ok || got != v {
			t.Errorf("%s = %v (present %v), want %v", k, got, ok, v)
		}
	}
	page := httpGet(t, e.url("/scorecard.json"))
	if !strings.Contains(page, `"state":"no files"`) || !strings.Contains(page, "no file matches "+ci) {
		t.Errorf("the live document does not show the source with no files:\n%s", page)
	}
	time.Sleep(time.Second) // ten polls: still one line
	if n := strings.Count(e.logText(), "source has no file to read"); n != 1 {
		t.Errorf("%d log lines about the source with no file, want 1:\n%s", n, e.logText())
	}
	writeText(t, filepath.Join(dir, "ci-1.jsonl"), `{"ts":"2026-11-20T11:00:00Z","type":"merge","repo":"heady","id":"c1"}`+"\n")
	waitFor(t, time.Minute, "ci source up once its file exists", func() (bool, string) {
		m, err := fetchMetrics(t.Context(), e.url("/metrics"))
		if err != nil {
			return false, err.Error()
		}
		k := `heady_exporter_source_up{source="ci"}`
		return m[k] == 1 && m[`heady_exporter_source_files{source="ci"}`] == 1, fmt.Sprint(m[k])
	})
	if !strings.Contains(e.logText(), `msg="source up" src=ci was=no_files`) {
		t.Errorf("no log line saying ci is up again:\n%s", e.logText())
	}
}

// A registry that answers 500 is logged once at WARN, however often it is
// polled, and once more when it recovers.
func TestSourceDownIsLoggedOnce(t *testing.T) {
	doc, err := os.ReadFile(filepath.Join("..", "..", "exporter", "source", "registry", "testdata", "registries", "HeadyMe__Heady-8f71ffc8.json"))
	if err != nil {
		t.Fatal(err)
	}
	var fail atomic.Bool
	fail.Store(true)
	reg := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) {
		if fail.Load() {
			http.Error(w, "boom", http.StatusInternalServerError)
			return
		}
		_, _ = w.Write(doc)
	}))
	defer reg.Close()
	dir := t.TempDir()
	cfg := filepath.Join(dir, "config.yml")
	writeText(t, cfg, fmt.Sprintf("state_dir: %s\nsources:\n  registry:\n    url: %s\n    interval: 100ms\n", filepath.Join(dir, "state"), reg.URL))
	e := startExporter(t, cfg)
	e.waitReady(time.Minute)
	waitFor(t, time.Minute, "registry down", func() (bool, string) {
		return strings.Contains(e.logText(), "source down"), ""
	})
	time.Sleep(time.Second) // about ten more failed polls
	log := e.logText()
	if n := strings.Count(log, `msg="source down"`); n != 1 {
		t.Errorf("%d 'source down' lines for ten failed polls, want 1:\n%s", n, log)
	}
	if !strings.Contains(log, "level=WARN") || !strings.Contains(log, "reason=fetch_error") {
		t.Errorf("the down line is not a WARN with its reason:\n%s", log)
	}
	fail.Store(false)
	waitFor(t, time.Minute, "registry up", func() (bool, string) {
		return strings.Contains(e.logText(), `msg="source up"`), ""
	})
}

// A damaged checkpoint is moved aside byte for byte, logged at ERROR and
// counted, and the exporter rebuilds exactly the numbers of a clean start
// from the logs on disk.
func TestDamagedCheckpointIsKeptAndRebuilt(t *testing.T) {
	now := time.Date(2026, 11, 20, 12, 0, 0, 0, time.UTC)
	dir := writeDemo(t, now)
	e, want := serveDemo(t, dir, now)
	if err := e.stop(); err != nil {
		t.Fatal(err)
	}
	ckpt := filepath.Join(dir, "state", "checkpoint.bin")
	b, err := os.ReadFile(ckpt)
	if err != nil {
		t.Fatal(err)
	}
	b[len(b)/2] ^= 0xff // one flipped byte: the checksum no longer matches
	if err := os.WriteFile(ckpt, b, 0o644); err != nil {
		t.Fatal(err)
	}
	e, got := serveDemo(t, dir, now)
	moved := checkMovedAsideAndRebuilt(t, e, dir, b, "damaged checkpoint", got, want)
	// The next checkpoint is a new file; the evidence stays.
	if err := e.stop(); err != nil {
		t.Fatal(err)
	}
	if kept2, _ := os.ReadFile(moved); !bytes.Equal(kept2, b) {
		t.Error("the moved-aside checkpoint changed after a save")
	}
}

// checkMovedAsideAndRebuilt checks what e, started on dir's state, did
// with a checkpoint (b) it could not load: moved it aside byte for byte,
// logged one ERROR line with the reason and the new path, counted it,
// and rebuilt every engine series (got) to a clean start's (want). It
// returns the path the checkpoint was moved to.
func checkMovedAsideAndRebuilt(t *testing.T, e *exporter, dir string, b []byte, reason string, got, want map[string]float64) string {
	t.Helper()
	moved, _ := filepath.Glob(filepath.Join(dir, "state", "checkpoint.bin.unloadable-*"))
	if len(moved) != 1 {
		t.Fatalf("moved-aside checkpoints: %v", moved)
	}
	if kept, err := os.ReadFile(moved[0]); err != nil || !bytes.Equal(kept, b) {
		t.Errorf("the checkpoint was not kept byte for byte (%v)", err)
	}
	log := e.logText()
	if !strings.Contains(log, "level=ERROR") || !strings.Contains(log, "checkpoint could not be loaded") ||
		!strings.Contains(log, reason) || !strings.Contains(log, moved[0]) {
		t.Errorf("no ERROR line naming %q and %s:\n%s", reason, moved[0], log)
	}
	if got["heady_exporter_checkpoint_load_failures_total"] != 1 {
		t.Errorf("heady_exporter_checkpoint_load_failures_total = %v", got["heady_exporter_checkpoint_load_failures_total"])
	}
	ws, gs := scrape.Comparable(scrape.EngineSeries(want)), scrape.Comparable(scrape.EngineSeries(got))
	if len(ws) == 0 {
		t.Fatal("the clean start exported no engine series")
	}
	for k, v := range ws {
		if gs[k] != v {
			t.Errorf("%s: rebuilt %v, clean start %v", k, gs[k], v)
		}
	}
	return moved[0]
}

// A checkpoint holds one shard's share of the users and counts. Started
// with another shard layout (a StatefulSet scaled out), the exporter does
// not take it over: it is moved aside, logged at ERROR and counted like a
// damaged one, and the state is rebuilt for the new layout from the logs
// on disk, to exactly the numbers of a clean start.
func TestCheckpointOfAnotherShardLayoutIsKeptAndRebuilt(t *testing.T) {
	now := time.Date(2026, 11, 20, 12, 0, 0, 0, time.UTC)
	shard := []string{"--shard.count=2", "--shard.index=0"}
	clean := writeDemo(t, now)
	e, want := serveDemo(t, clean, now, shard...)
	if err := e.stop(); err != nil {
		t.Fatal(err)
	}
	dir := writeDemo(t, now)
	e, _ = serveDemo(t, dir, now) // unsharded
	if err := e.stop(); err != nil {
		t.Fatal(err)
	}
	b, err := os.ReadFile(filepath.Join(dir, "state", "checkpoint.bin"))
	if err != nil {
		t.Fatal(err)
	}
	e, got := serveDemo(t, dir, now, shard...)
	checkMovedAsideAndRebuilt(t, e, dir, b, "saved by an exporter that was unsharded; this one is shard 0 of 2", got, want)
}

// Reload outcomes are exported as the ecosystem does.
func TestReloadOutcomeIsExported(t *testing.T) {
	dir := t.TempDir()
	audit := filepath.Join(dir, "audit.jsonl")
	writeText(t, audit, `{"ts":"2026-11-20T11:00:00Z","type":"tool_call","user_id":"u1","tool":"search","status":"ok","id":"a1"}`+"\n")
	cfg := filepath.Join(dir, "config.yml")
	good := fmt.Sprintf("state_dir: %s\nsources:\n  audit:\n    - paths: [%s]\n", filepath.Join(dir, "state"), audit)
	writeText(t, cfg, good)
	e := startExporter(t, cfg)
	e.waitReady(time.Minute)
	metric := func(name string) float64 {
		m, err := fetchMetrics(t.Context(), e.url("/metrics"))
		if err != nil {
			t.Fatal(err)
		}
		v, ok := m[name]
		if !ok {
			t.Fatalf("%s not exported", name)
		}
		return v
	}
	const ok, at = "heady_exporter_config_last_reload_successful", "heady_exporter_config_last_reload_success_timestamp_seconds"
	if metric(ok) != 1 || metric(at) < float64(time.Now().Add(-time.Hour).Unix()) {
		t.Fatalf("at start: %s %v, %s %v", ok, metric(ok), at, metric(at))
	}
	first := metric(at)
	writeText(t, cfg, good+"  bogus: 1\n")
	if err := e.cmd.Process.Signal(syscall.SIGHUP); err != nil {
		t.Fatal(err)
	}
	waitFor(t, time.Minute, "refused reload exported", func() (bool, string) { return metric(ok) == 0, "" })
	if metric(at) != first {
		t.Errorf("a refused reload moved %s", at)
	}
	time.Sleep(10 * time.Millisecond)
	writeText(t, cfg, good)
	resp, err := http.Post(e.url("/-/reload"), "", nil)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if metric(ok) != 1 || metric(at) <= first {
		t.Errorf("after a good reload: %s %v, %s %v (first %v)", ok, metric(ok), at, metric(at), first)
	}
	// Settings a reload cannot apply are named in a WARN line; the
	// reload itself succeeds.
	before := metric(at)
	time.Sleep(10 * time.Millisecond)
	writeText(t, cfg, good+"engine: {top_n: 7, checkpoint_interval: 30s}\n")
	if err := e.cmd.Process.Signal(syscall.SIGHUP); err != nil {
		t.Fatal(err)
	}
	waitFor(t, time.Minute, "reload with new engine options", func() (bool, string) { return metric(at) > before, "" })
	if log := e.logText(); metric(ok) != 1 || !strings.Contains(log, "level=WARN") ||
		!strings.Contains(log, `msg="reloaded, but these settings take effect at the next restart" changed="engine.top_n 20 -> 7, engine.checkpoint_interval 10s -> 30s"`) {
		t.Errorf("%s %v; no WARN line naming the settings left for the next restart:\n%s", ok, metric(ok), log)
	}
	// Back to the values the exporter runs with: nothing waits for a
	// restart, so nothing is said (the change is measured from the start,
	// not from the last reload).
	before = metric(at)
	time.Sleep(10 * time.Millisecond)
	writeText(t, cfg, good)
	if err := e.cmd.Process.Signal(syscall.SIGHUP); err != nil {
		t.Fatal(err)
	}
	waitFor(t, time.Minute, "reload back to the running engine options", func() (bool, string) { return metric(at) > before, "" })
	if n := strings.Count(e.logText(), "take effect at the next restart"); metric(ok) != 1 || n != 1 {
		t.Errorf("%s %v; %d WARN lines after a reload back to the running values, want still 1:\n%s", ok, metric(ok), n, e.logText())
	}
	// A valid file with a new shard layout is refused: only a restart
	// rebuilds the state for another share of the users.
	writeText(t, cfg, good+"shard: {index: 1, count: 2}\n")
	if err := e.cmd.Process.Signal(syscall.SIGHUP); err != nil {
		t.Fatal(err)
	}
	waitFor(t, time.Minute, "refused shard change exported", func() (bool, string) { return metric(ok) == 0, "" })
	if log := e.logText(); !strings.Contains(log, "the shard layout cannot change at reload (this exporter is unsharded; the new configuration says shard 1 of 2") {
		t.Errorf("no line saying why the shard change was refused:\n%s", log)
	}
}

func httpGet(t *testing.T, url string) string {
	t.Helper()
	resp, err := http.Get(url)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	var b bytes.Buffer
	if _, err := b.ReadFrom(resp.Body); err != nil {
		t.Fatal(err)
	}
	if resp.StatusCode != 200 {
		t.Fatalf("%s: %s: %s", url, resp.Status, b.String())
	}
	return b.String()
}

// Failing checkpoint writes are counted every time and logged once, and
// the recovery is logged.
func TestCheckpointFailuresLoggedOnce(t *testing.T) {
	dir := t.TempDir()
	audit := filepath.Join(dir, "audit.jsonl")
	writeText(t, audit, `{"ts":"2026-11-20T11:00:00Z","type":"tool_call","user_id":"u1","tool":"search","status":"ok","id":"a1"}`+"\n")
	state := filepath.Join(dir, "state")
	cfg := filepath.Join(dir, "config.yml")
	writeText(t, cfg, fmt.Sprintf("state_dir: %s\nengine:\n  checkpoint_interval: 100ms\nsources:\n  audit:\n    - paths: [%s]\n", state, audit))
	e := startExporter(t, cfg)
	e.waitReady(time.Minute)
	// A regular file where the state directory should be: every save fails.
	if err := os.RemoveAll(state); err != nil {
		t.Fatal(err)
	}
	writeText(t, state, "not a directory\n")
	failures := func() float64 {
		m, err := fetchMetrics(t.Context(), e.url("/metrics"))
		if err != nil {
			t.Fatal(err)
		}
		return m["heady_exporter_checkpoint_failures_total"]
	}
	waitFor(t, time.Minute, "five failed checkpoints", func() (bool, string) { return failures() >= 5, fmt.Sprint(failures()) })
	// A save under way while the directory was replaced fails with an
	// error of its own (its rename, not the mkdir of every later save), and
	// a new error is logged: one line, or two, then none for as long as
	// the same error repeats.
	lines := func() int { return strings.Count(e.logText(), `msg="checkpoint failed"`) }
	first, seen := lines(), failures()
	waitFor(t, time.Minute, "five more failed checkpoints", func() (bool, string) { return failures() >= seen+5, fmt.Sprint(failures()) })
	if n := lines(); first < 1 || first > 2 || n != first {
		t.Errorf("%d 'checkpoint failed' lines after %v failures and %d after %v, want 1 (2 if a save was under way) and no more:\n%s",
			first, seen, n, failures(), e.logText())
	}
	if err := os.Remove(state); err != nil {
		t.Fatal(err)
	}
	waitFor(t, time.Minute, "checkpoint written again", func() (bool, string) {
		return strings.Contains(e.logText(), `msg="checkpoint written again"`), ""
	})
	if _, err := os.Stat(filepath.Join(state, "checkpoint.bin")); err != nil {
		t.Errorf("no checkpoint after recovery: %v", err)
	}
}
