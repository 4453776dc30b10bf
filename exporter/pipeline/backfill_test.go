package pipeline

import (
	"bufio"
	"bytes"
	"context"
	"math"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/prometheus/common/promslog"

	"github.com/heady/heady-metrics/exporter/config"
	"github.com/heady/heady-metrics/exporter/demo"
	"github.com/heady/heady-metrics/kpi"
)

// demoConfig writes the demo data set ending at now, without its probes
// (they target a port nothing listens on here).
func demoConfig(t *testing.T, now time.Time) *config.Config {
	t.Helper()
	dir := t.TempDir()
	if err := demo.Write(dir, now); err != nil {
		t.Fatal(err)
	}
	c, err := config.Load(filepath.Join(dir, "config.yml"))
	if err != nil {
		t.Fatal(err)
	}
	c.Sources.Probe = nil
	return c
}

// TestBackfillEqualsKPIsAtEachStep: the value of every series at a step
// of the backfill is what ReadOnce (the kpis command) gives as of that step.
func TestBackfillEqualsKPIsAtEachStep(t *testing.T) {
	now := time.Date(2026, 11, 20, 12, 0, 0, 0, time.UTC)
	c := demoConfig(t, now)
	var out bytes.Buffer
	from := now.Add(-72 * time.Hour)
	if err := Backfill(context.Background(), c, from, now, 12*time.Hour, &out, promslog.NewNopLogger()); err != nil {
		t.Fatal(err)
	}
	text := out.String()
	if !strings.HasSuffix(text, "# EOF\n") {
		t.Fatal("OpenMetrics output does not end with # EOF")
	}
	// series{labels} -> timestamp -> value
	got := map[string]map[int64]float64{}
	sc := bufio.NewScanner(strings.NewReader(text))
	sc.Buffer(make([]byte, 1<<20), 1<<20)
	for sc.Scan() {
		line := sc.Text()
		if strings.HasPrefix(line, "#") {
			continue
		}
		f := strings.Split(line, " ")
		if len(f) != 3 {
			t.Fatalf("bad sample line %q", line)
		}
		v, _ := strconv.ParseFloat(f[1], 64)
		ts, _ := strconv.ParseInt(f[2], 10, 64)
		if got[f[0]] == nil {
			got[f[0]] = map[int64]float64{}
		}
		got[f[0]][ts] = v
	}
	for _, step := range []time.Time{from, from.Add(36 * time.Hour), now} {
		eng, _, err := ReadOnce(context.Background(), c, step, promslog.NewNopLogger())
		if err != nil {
			t.Fatal(err)
		}
		v := eng.Evaluate(step.UnixMilli())
		checked := 0
		for _, sm := range v.Samples {
			if !backfilled(sm.Name) || sm.Name == kpi.SEventsIngested {
				continue
			}
			switch sm.Name {
			case kpi.SRegistryScore, kpi.SServicesHealthy, kpi.SServicesScanned, kpi.SServiceHealthy, kpi.SServiceScanLatency,
				kpi.SComponents, kpi.SRegistryBreakers, kpi.SRegistryProviders, kpi.SRegistryLastScan,
				kpi.SBudgetCap, kpi.SBudgetSpent:
				continue // present-only snapshots: not replayed
			}
			ser, _ := kpi.LookupSeries(sm.Name)
			key := sm.Name + labelString(ser.Labels, sm.LabelValues)
			b, ok := got[key][step.Unix()]
			if !ok {
				t.Errorf("%s at %s: missing from the backfill", key, step)
				continue
			}
			// Counts are equal; sums of money may differ in the last bits
			// (events are summed in time order here, file order in kpis).
			if math.Abs(b-sm.Value) > 1e-9*math.Max(1, math.Abs(sm.Value)) {
				t.Errorf("%s at %s: backfill %v, kpis %v", key, step, b, sm.Value)
			}
			checked++
		}
		if checked < 50 {
			t.Errorf("only %d series checked at %s", checked, step)
		}
	}
}

func writeFile(p string, b []byte) error { return os.WriteFile(p, b, 0o644) }

// TestBackfillCountersNeverDecrease: in the backfill every counter and
// histogram series only grows from one step to the next (windowed
// distributions are gauges), and the event counters are there, so the
// history Prometheus gets is continuous with what the exporter serves.
func TestBackfillCountersNeverDecrease(t *testing.T) {
	now := time.Date(2026, 11, 20, 12, 0, 0, 0, time.UTC)
	c := demoConfig(t, now)
	var out bytes.Buffer
	if err := Backfill(context.Background(), c, now.Add(-30*24*time.Hour), now, 6*time.Hour, &out, promslog.NewNopLogger()); err != nil {
		t.Fatal(err)
	}
	typ := map[string]string{} // family -> type
	last := map[string]float64{}
	family := ""
	seen := map[string]bool{}
	sc := bufio.NewScanner(&out)
	sc.Buffer(make([]byte, 1<<20), 1<<20)
	for sc.Scan() {
		line := sc.Text()
		if f := strings.Fields(line); len(f) == 4 && f[1] == "TYPE" {
			family, typ[f[2]] = f[2], f[3]
			continue
		}
		if strings.HasPrefix(line, "#") {
			continue
		}
		if typ[family] != "counter" && typ[family] != "histogram" {
			continue
		}
		f := strings.Split(line, " ")
		v, _ := strconv.ParseFloat(f[1], 64)
		if p, ok := last[f[0]]; ok && v < p {
			t.Errorf("%s goes down from %v to %v at %s", f[0], p, v, f[2])
		}
		last[f[0]] = v
		seen[family] = true
	}
	for _, name := range []string{strings.TrimSuffix(kpi.SToolCallsTotal, "_total"), strings.TrimSuffix(kpi.SInferenceUSDTotal, "_total"),
		strings.TrimSuffix(kpi.SVerifiedTotal, "_total"), kpi.SGatewayDurationHist, kpi.SCycleTimeHist,
		kpi.SFixLoopHist, kpi.STimeToFirstOutcomeHist} {
		if !seen[name] {
			t.Errorf("%s is not in the backfill", name)
		}
	}
	for _, name := range []string{kpi.SGatewayDurationHist, kpi.SCycleTimeHist, kpi.SFixLoopHist, kpi.STimeToFirstOutcomeHist} {
		if last[name+"_count"] == 0 {
			t.Errorf("%s observes nothing in the backfill", name)
		}
	}
	for name, ty := range typ {
		if ser, ok := kpi.LookupSeries(name); ok && ser.Type == kpi.Gauge && ty != "gauge" {
			t.Errorf("%s: backfilled as %s", name, ty)
		}
	}
}
