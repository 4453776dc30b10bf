//go:build integration

package e2e

import (
	"context"
	"fmt"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/heady/heady-metrics/kpi"
)

// noHistory lists the KPIs the backfill leaves out by design, and why; the
// test checks that Prometheus indeed has none of their values, so that an
// entry no longer needed fails.
var noHistory = map[string]string{
	"registry_score":     "the registry is a document describing the present: no history to replay (pipeline.Backfill)",
	"services_healthy":   "the registry is a document describing the present: no history to replay (pipeline.Backfill)",
	"budget_utilization": "budgets are the cost API's current totals: no history to replay (pipeline.Backfill)",
}

// TestPrometheusBackfill: `heady-exporter backfill` over the past two weeks
// of the demo data, turned into blocks by promtool and loaded into a fresh
// Prometheus, answers a range query over those weeks with the values
// `heady-exporter kpis --now=<step>` gives at every step checked.
func TestPrometheusBackfill(t *testing.T) {
	t.Parallel()
	requireBinaries(t, "prometheus", "promtool")
	const (
		step  = time.Hour
		weeks = 2
	)
	start := time.Now()
	now := demoNow()
	from := now.Add(-weeks * 7 * 24 * time.Hour)
	demo := writeDemo(t, now)

	config := withoutProbes(t, demo)

	om := filepath.Join(t.TempDir(), "backfill.om")
	runBin(t, exporterBin, "backfill", "--config.file="+config,
		"--from="+from.Format(time.RFC3339), "--to="+now.Format(time.RFC3339),
		"--step="+step.String(), "--out="+om)
	t.Logf("backfill of %d weeks written after %v", weeks, time.Since(start).Round(time.Millisecond))
	dataDir := t.TempDir()
	// promtool reads the whole file once per block; its default 2h blocks
	// make that a hundred passes over weeks of steps. Its (hidden) flag for
	// longer blocks keeps it to a few.
	runBin(t, "promtool", "tsdb", "create-blocks-from", "openmetrics", "--quiet",
		fmt.Sprintf("--max-block-duration=%dh", (weeks*7+1)*24), om, dataDir)

	promDir := t.TempDir()
	promConfig := filepath.Join(promDir, "prometheus.yml")
	writeText(t, promConfig, "# Only the backfilled blocks: no scrape, no rules.\nglobal: {}\n")
	addr := freePort(t)
	startPrometheus(t, promConfig, addr, dataDir)
	api := promAPI{base: "http://" + addr}
	ctx := context.Background()
	t.Logf("Prometheus on the backfilled blocks ready after %v", time.Since(start).Round(time.Millisecond))

	// One range query per KPI expression (value and previous window) over
	// the whole backfilled span, as a dashboard over the past weeks asks.
	type series map[int64]float64 // unix seconds -> value
	ranges := map[string]series{}
	for _, k := range kpi.Catalog {
		for _, e := range []struct{ key, expr string }{{k.ID, k.Expr}, {k.ID + "@prev", k.PrevExpr}} {
			if e.expr == "" {
				continue
			}
			r, err := api.queryRange(ctx, e.expr, from, now, step)
			if err != nil {
				t.Fatalf("%s: %v", e.key, err)
			}
			if len(r) > 1 {
				t.Errorf("%s: %d series, want one: %v", e.key, len(r), r)
			}
			s := series{}
			for _, x := range r {
				for _, p := range x.Points {
					s[int64(p[0])] = p[1]
				}
			}
			ranges[e.key] = s
		}
	}
	// Weeks of history at once: a KPI every demo step has shows at every step.
	if n, want := len(ranges["wau"]), weeks*7*24+1; n != want {
		t.Errorf("wau over %d weeks at a %v step: %d points, want %d", weeks, step, n, want)
	}

	for id, why := range noHistory {
		if k, ok := kpi.Lookup(id); !ok || k.Expr == "" {
			t.Errorf("noHistory: %s is not a KPI with an expression", id)
		} else if n := len(ranges[id]); n != 0 {
			t.Errorf("noHistory lists %s (%s) but the backfill has %d values: remove the entry", id, why, n)
		}
	}

	// A few steps: the first, one in the middle at an odd hour, the last.
	checks := []time.Time{from, from.Add(5*24*time.Hour + 7*time.Hour), now}
	compared := 0
	for _, at := range checks {
		doc := kpisAt(t, config, at)
		for _, k := range kpi.Catalog {
			d, ok := doc[k.ID]
			if !ok {
				t.Errorf("kpis --now=%s: no %s", at.Format(time.RFC3339), k.ID)
				continue
			}
			for _, c := range []struct {
				key  string
				want *float64
			}{{k.ID, d.Value}, {k.ID + "@prev", d.Previous}} {
				s, queried := ranges[c.key]
				if _, skip := noHistory[k.ID]; !queried || skip {
					continue
				}
				got, has := s[at.Unix()]
				where := fmt.Sprintf("%s at %s", c.key, at.Format(time.RFC3339))
				switch {
				case c.want == nil && has:
					t.Errorf("%s: Prometheus %v, kpis has no value", where, got)
				case c.want == nil:
				case !has:
					t.Errorf("%s: no backfilled value, kpis = %v", where, *c.want)
				case !agrees(got, *c.want, toleranceOf(k.ID, d.Unit, false)):
					t.Errorf("%s: Prometheus %v, kpis %v", where, got, *c.want)
				default:
					compared++
				}
			}
		}
	}
	if compared == 0 {
		t.Fatal("nothing compared")
	}
	t.Logf("%d KPI values at %d steps equal kpis --now; total %v", compared, len(checks), time.Since(start).Round(time.Millisecond))
}

// withoutProbes returns the demo's config with its probe block dropped:
// probes have no history to backfill (and in one-shot mode nothing answers
// them).
func withoutProbes(t *testing.T, demo string) string {
	t.Helper()
	config := filepath.Join(demo, "config.yml")
	text := readText(t, config)
	i := strings.Index(text, "\n  probe:\n")
	if i < 0 {
		t.Fatalf("demo config has no probe block:\n%s", text)
	}
	writeText(t, config, text[:i+1])
	return config
}
