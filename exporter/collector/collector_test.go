package collector_test

import (
	"bytes"
	"context"
	"flag"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/testutil"
	"github.com/prometheus/common/expfmt"
	"github.com/prometheus/common/promslog"

	"github.com/heady/heady-metrics/exporter/collector"
	"github.com/heady/heady-metrics/exporter/config"
	"github.com/heady/heady-metrics/exporter/demo"
	"github.com/heady/heady-metrics/exporter/engine"
	"github.com/heady/heady-metrics/exporter/pipeline"
	"github.com/heady/heady-metrics/exporter/source"
	"github.com/heady/heady-metrics/exporter/source/probe"
	"github.com/heady/heady-metrics/kpi"
)

var update = flag.Bool("update", false, "rewrite testdata/demo-scrape.prom")

type reader struct {
	v  *engine.View
	hs []*source.Health
}

func (r reader) View() *engine.View { return r.v }
func (r reader) Healths() []source.HealthView {
	out := make([]source.HealthView, len(r.hs))
	for i, h := range r.hs {
		out[i] = h.View()
	}
	return out
}
func (r reader) LastCheckpoint() (time.Time, uint64) {
	return time.Date(2026, 11, 20, 11, 59, 50, 0, time.UTC), 0
}
func (r reader) CheckpointLoadFailures() uint64 { return 0 }
func (r reader) LastReload() (bool, time.Time) {
	return true, time.Date(2026, 11, 20, 11, 0, 0, 0, time.UTC)
}

func demoReader(t *testing.T) reader {
	t.Helper()
	r, _ := demoReaderProbes(t)
	return r
}

// demoReaderProbes also returns the demo configuration's probe targets.
func demoReaderProbes(t *testing.T) (reader, int) {
	t.Helper()
	now := time.Date(2026, 11, 20, 12, 0, 0, 0, time.UTC)
	dir := t.TempDir()
	if err := demo.Write(dir, now); err != nil {
		t.Fatal(err)
	}
	c, err := config.Load(filepath.Join(dir, "config.yml"))
	if err != nil {
		t.Fatal(err)
	}
	targets := 0
	if c.Sources.Probe != nil {
		pc, err := probe.ParseConfig(c.Sources.Probe)
		if err != nil {
			t.Fatal(err)
		}
		targets = len(pc.Targets)
		if targets == 0 {
			targets = len(probe.DefaultTargets())
		}
	}
	c.Sources.Probe = nil // live network state: covered by the probe's own tests
	eng, hs, err := pipeline.ReadOnce(context.Background(), c, now, promslog.NewNopLogger())
	if err != nil {
		t.Fatal(err)
	}
	return reader{v: eng.Evaluate(now.UnixMilli()), hs: hs}, targets
}

// SeriesBudget is the most heady_ series the demo scrape may hold
// (docs/series.md says how the count grows).
const SeriesBudget = 800

// TestDemoScrapeSeriesBudget counts the demo's heady_ series as
// Prometheus stores them from a classic scrape (a histogram is its
// buckets, +Inf, _count and _sum), with the probe series the demo's
// targets add (success, status code, duration, certificate expiry each).
func TestDemoScrapeSeriesBudget(t *testing.T) {
	r, targets := demoReaderProbes(t)
	reg := prometheus.NewRegistry()
	reg.MustRegister(collector.New(r))
	mfs, err := reg.Gather()
	if err != nil {
		t.Fatal(err)
	}
	n, byFamily := 0, map[string]int{}
	for _, mf := range mfs {
		if !strings.HasPrefix(mf.GetName(), "heady_") {
			continue
		}
		for _, m := range mf.GetMetric() {
			k := 1
			if h := m.GetHistogram(); h != nil {
				k = len(h.GetBucket()) + 3
			}
			n += k
			byFamily[mf.GetName()] += k
		}
	}
	if targets == 0 {
		t.Fatal("the demo configuration probes nothing")
	}
	n += 4 * targets
	if n >= SeriesBudget || n < 300 {
		t.Errorf("the demo scrape holds %d heady_ series; the budget is under %d (by family: %v)", n, SeriesBudget, byFamily)
	}
	t.Logf("%d heady_ series, %d of them probes", n, 4*targets)
}

// TestDemoScrapeGolden is the end-to-end scrape of the demo data set as of
// a fixed instant, compared with a committed golden file (go test -update
// rewrites it); the linter checks every exported family.
func TestDemoScrapeGolden(t *testing.T) {
	c := collector.New(demoReader(t))
	problems, err := testutil.CollectAndLint(c)
	if err != nil {
		t.Fatal(err)
	}
	for _, p := range problems {
		t.Errorf("lint: %s: %s", p.Metric, p.Text)
	}
	reg := prometheus.NewPedanticRegistry()
	reg.MustRegister(c)
	mfs, err := reg.Gather()
	if err != nil {
		t.Fatal(err)
	}
	var buf bytes.Buffer
	enc := expfmt.NewEncoder(&buf, expfmt.NewFormat(expfmt.TypeTextPlain))
	for _, mf := range mfs {
		if err := enc.Encode(mf); err != nil {
			t.Fatal(err)
		}
	}
	golden := filepath.Join("testdata", "demo-scrape.prom")
	if *update {
		if err := os.MkdirAll("testdata", 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(golden, buf.Bytes(), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	want, err := os.ReadFile(golden)
	if err != nil {
		t.Fatalf("%v (run go test -update)", err)
	}
	if !bytes.Equal(buf.Bytes(), want) {
		gl, wl := strings.Split(buf.String(), "\n"), strings.Split(string(want), "\n")
		for i := 0; i < len(gl) && i < len(wl); i++ {
			if gl[i] != wl[i] {
				t.Fatalf("scrape differs from %s at line %d:\n got: %s\nwant: %s\n(run go test -update if the change is intended)", golden, i+1, gl[i], wl[i])
			}
		}
		t.Fatalf("scrape differs from %s in length: %d vs %d lines", golden, len(gl), len(wl))
	}
}

// Every family the collector exports is declared in the catalog's series
// table, and every declared family the demo can drive is exported.
func TestExportedFamiliesAreDeclared(t *testing.T) {
	reg := prometheus.NewRegistry()
	reg.MustRegister(collector.New(demoReader(t)))
	mfs, err := reg.Gather()
	if err != nil {
		t.Fatal(err)
	}
	seen := map[string]bool{}
	for _, mf := range mfs {
		name := mf.GetName()
		seen[name] = true
		if _, ok := kpi.LookupSeries(name); !ok {
			t.Errorf("exported %s is not declared in kpi.AllSeries", name)
		}
	}
	for _, s := range kpi.AllSeries {
		switch s.Name {
		case kpi.SBuildInfo, kpi.SLinksInfo, kpi.SProbeSuccess, kpi.SProbeStatusCode, kpi.SProbeDuration, kpi.SProbeCertExpiry:
			continue // the version collector and the links setting (cmd/heady-exporter); probes are off in this test
		}
		if strings.HasPrefix(s.Name, "heady_exporter_webhook_") {
			continue // exported by the webhook, off in the demo
		}
		if !seen[s.Name] {
			t.Errorf("declared %s is not exported on the demo data", s.Name)
		}
	}
}

// failing is a reader whose exporter is in trouble: a checkpoint moved
// aside at start, a refused reload, a file source with nothing to read.
type failing struct{ reader }

func (failing) CheckpointLoadFailures() uint64 { return 1 }
func (failing) LastReload() (bool, time.Time) {
	return false, time.Date(2026, 11, 20, 11, 0, 0, 0, time.UTC)
}

func TestExporterTroubleIsExported(t *testing.T) {
	h := source.NewHealth("ci")
	h.SetFiles(0, []string{"/var/log/heady/ci-*.jsonl"})
	h.Success(time.Date(2026, 11, 20, 12, 0, 0, 0, time.UTC)) // a poll that read nothing
	want := `
# HELP heady_exporter_checkpoint_load_failures_total Checkpoints that could not be loaded at start and were moved aside (the engine rebuilt its state from the logs on disk).
# TYPE heady_exporter_checkpoint_load_failures_total counter
heady_exporter_checkpoint_load_failures_total 1
# HELP heady_exporter_config_last_reload_successful 1 if the last configuration load (start or reload) succeeded.
# TYPE heady_exporter_config_last_reload_successful gauge
heady_exporter_config_last_reload_successful 0
# HELP heady_exporter_config_last_reload_success_timestamp_seconds Time of the last successful configuration load (start or reload).
# TYPE heady_exporter_config_last_reload_success_timestamp_seconds gauge
heady_exporter_config_last_reload_success_timestamp_seconds 1.7951724e+09
# HELP heady_exporter_source_files Files a file source follows now; 0 when its paths match no readable file.
# TYPE heady_exporter_source_files gauge
heady_exporter_source_files{source="ci"} 0
# HELP heady_exporter_source_up 1 if the source's last read or poll succeeded (a file source also needs at least one file to follow).
# TYPE heady_exporter_source_up gauge
heady_exporter_source_up{source="ci"} 0
`
	c := collector.New(failing{reader{hs: []*source.Health{h}}})
	if err := testutil.CollectAndCompare(c, strings.NewReader(want),
		kpi.SCheckpointLoadFailures, kpi.SConfigReloadOK, kpi.SConfigReloadTime, kpi.SSourceFiles, kpi.SSourceUp); err != nil {
		t.Fatal(err)
	}
}
