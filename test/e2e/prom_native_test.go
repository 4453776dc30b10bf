//go:build integration

package e2e

import (
	"context"
	"fmt"
	"path/filepath"
	"testing"
	"time"

	"github.com/heady/heady-metrics/kpi"
)

// TestNativeHistogramsReachPrometheus scrapes the demo exporter with a
// real Prometheus that has native histograms enabled (it then scrapes
// protobuf and keeps the native form) and checks that the cumulative
// histograms arrive as native histograms whose count and sum are the
// classic ones the text exposition shows.
func TestNativeHistogramsReachPrometheus(t *testing.T) {
	requireBinaries(t, "prometheus")
	demo := writeDemo(t, demoNow())
	exporterAddr, promAddr := freePort(t), freePort(t)
	exp := startExporterOn(t, filepath.Join(demo, "config.yml"), exporterAddr, "--now="+demoNow().Format(time.RFC3339))
	cfg := filepath.Join(t.TempDir(), "prometheus.yml")
	writeText(t, cfg, fmt.Sprintf("global:\n  scrape_interval: 1s\nscrape_configs:\n  - job_name: heady\n    static_configs:\n      - targets: [%q]\n", exporterAddr))
	prom := startPrometheus(t, cfg, promAddr, t.TempDir(), "--enable-feature=native-histograms")
	api := promAPI{base: prom.url("")}
	ctx := context.Background()
	m, err := fetchMetrics(ctx, exp.url("/metrics"))
	if err != nil {
		t.Fatal(err)
	}
	for _, name := range []string{kpi.SGatewayDurationHist, kpi.SCycleTimeHist, kpi.SFixLoopHist, kpi.STimeToFirstOutcomeHist} {
		wantCount, wantSum := m[name+"_count"], m[name+"_sum"]
		if wantCount == 0 {
			t.Fatalf("%s: the demo exports no observations", name)
		}
		var got string
		waitFor(t, 30*time.Second, name+" as a native histogram", func() (bool, string) {
			c, err := api.query(ctx, fmt.Sprintf("histogram_count(%s)", name))
			if err != nil || len(c) != 1 {
				return false, fmt.Sprint(err, c)
			}
			s, err := api.query(ctx, fmt.Sprintf("histogram_sum(%s)", name))
			if err != nil || len(s) != 1 {
				return false, fmt.Sprint(err, s)
			}
			got = fmt.Sprintf("count %v sum %v", c[0].Value, s[0].Value)
			return c[0].Value == wantCount && s[0].Value == wantSum, got
		})
		q, err := api.query(ctx, fmt.Sprintf("histogram_quantile(0.5, %s)", name))
		if err != nil || len(q) != 1 || !(q[0].Value > 0) {
			t.Errorf("%s: native median %v (%v)", name, q, err)
		}
		t.Logf("%s: native %s, classic count %v sum %v, native median %v", name, got, wantCount, wantSum, q[0].Value)
	}
}
