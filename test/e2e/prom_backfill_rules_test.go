//go:build integration

package e2e

import (
	"context"
	"math"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/heady/heady-metrics/alerts"
	"github.com/heady/heady-metrics/kpi"
)

// TestPrometheusBackfillRecordingRules follows docs/operations.md's
// "Backfill history": raw series from `heady-exporter backfill` at a 5m
// step, then `promtool tsdb create-blocks-from rules` over the generated
// backfill files, values first and, once their blocks are loaded, trends.
// The recorded KPI values equal the KPI expressions over the raw series,
// the trends equal value / previous, and no series is named after an alert.
func TestPrometheusBackfillRecordingRules(t *testing.T) {
	t.Parallel()
	requireBinaries(t, "prometheus", "promtool")
	now := demoNow()
	from := now.Add(-12 * time.Hour)
	// Two minutes after a raw step: the latest rule evaluation before it
	// (every minute, at the group's offset) and a query at it both read
	// that step's samples.
	at := from.Add(6*time.Hour + 37*time.Minute)
	config := withoutProbes(t, writeDemo(t, now))

	om := filepath.Join(t.TempDir(), "history.om")
	runBin(t, exporterBin, "backfill", "--config.file="+config, "--from="+from.Format(time.RFC3339),
		"--to="+now.Format(time.RFC3339), "--step=5m", "--out="+om)
	dataDir := t.TempDir()
	runBin(t, "promtool", "tsdb", "create-blocks-from", "openmetrics", "--quiet", "--max-block-duration=720h", om, dataDir)

	promConfig := filepath.Join(t.TempDir(), "prometheus.yml")
	writeText(t, promConfig, "# Only the backfilled blocks: no scrape, no rules.\nglobal: {}\n")
	addr := freePort(t)
	prom := startPrometheus(t, promConfig, addr, dataDir)
	for _, file := range []string{alerts.BackfillValuesPath, alerts.BackfillTrendsPath} {
		out := t.TempDir()
		runBin(t, "promtool", "tsdb", "create-blocks-from", "rules", "--quiet", "--url=http://"+addr,
			"--start="+from.Format(time.RFC3339), "--end="+now.Format(time.RFC3339), "--eval-interval=1m",
			"--output-dir="+out, filepath.Join(repoRoot(t), file))
		blocks, err := os.ReadDir(out)
		if err != nil || len(blocks) == 0 {
			t.Fatalf("%s: no blocks written (%v)", file, err)
		}
		prom.kill() // load the new blocks: restart on the same data
		for _, b := range blocks {
			if err := os.Rename(filepath.Join(out, b.Name()), filepath.Join(dataDir, b.Name())); err != nil {
				t.Fatal(err)
			}
		}
		prom = startPrometheus(t, promConfig, addr, dataDir)
	}

	api := promAPI{base: "http://" + addr}
	valueAt := func(expr string) (float64, bool) {
		r, err := api.queryRange(context.Background(), expr, at, at, time.Minute)
		if err != nil {
			t.Fatalf("%s: %v", expr, err)
		}
		if len(r) != 1 || len(r[0].Points) != 1 {
			return 0, false
		}
		return r[0].Points[0][1], true
	}
	recorded, trends := 0, 0
	for _, k := range kpi.Catalog {
		if k.Expr == "" {
			continue
		}
		raw, hasRaw := valueAt(k.Expr)
		rec, hasRec := valueAt(k.Selector(kpi.RecordValue))
		switch {
		case hasRaw != hasRec:
			t.Errorf("%s at %s: raw expression %v (%v), recorded %v (%v)", k.ID, at, raw, hasRaw, rec, hasRec)
		case hasRec && math.Abs(raw-rec) > 1e-9*math.Max(1, math.Abs(raw)):
			t.Errorf("%s at %s: recorded %v, the expression gives %v", k.ID, at, rec, raw)
		case hasRec:
			recorded++
		}
		if k.PrevExpr == "" {
			continue
		}
		prev, hasPrev := valueAt(k.Selector(kpi.RecordPrev))
		trend, hasTrend := valueAt(k.Selector(kpi.RecordTrend))
		if hasRec && hasPrev && prev > 0 {
			if !hasTrend || math.Abs(trend-rec/prev) > 1e-9*math.Max(1, math.Abs(trend)) {
				t.Errorf("%s trend at %s: %v (%v), want %v / %v", k.ID, at, trend, hasTrend, rec, prev)
			}
			trends++
		}
	}
	if recorded < len(kpi.Catalog)/2 || trends == 0 {
		t.Errorf("%d KPI values and %d trends backfilled and compared", recorded, trends)
	}
	if r, err := api.queryRange(context.Background(), `count({__name__=~"Heady.+"})`, from, now, time.Hour); err != nil || len(r) != 0 {
		t.Errorf("series named after alerts were backfilled: %v %v", r, err)
	}
}
