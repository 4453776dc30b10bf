package e2e

import (
	"context"
	"fmt"
	"math"
	"os"
	"os/exec"
	"path/filepath"
	"sort"
	"strings"
	"testing"
	"time"

	"github.com/heady/heady-metrics/internal/scrape"
	"github.com/heady/heady-metrics/kpi"
)

// notSummed are series that are not counts of Heady's activity: they
// describe one process, or are the same on every shard, or are quantiles
// of the distributions shards split (each shard's own; the KPI rules
// interpolate the counts by upper bound, which are summed here).
var notSummed = []string{"heady_exporter_",
	"heady_probe_duration_seconds", "heady_probe_http_status_code", "heady_adoption_retention_cohort_start",
	kpi.SGatewayDurationQ, kpi.STimeToFirstOutcomeQ}

// summable: the series summed over the shards, neither notSummed nor the
// time to first outcome buckets and sum (scrape.CrossStream; its count is).
func summable(series string) bool {
	if !strings.HasPrefix(series, "heady_") || scrape.CrossStream(series) {
		return false
	}
	for _, p := range notSummed {
		if strings.HasPrefix(series, p) {
			return false
		}
	}
	return true
}

// TestShardsSumToOneInstance runs three exporters sharded 0..2 and one
// unsharded on the same demo files, at the same fixed instant, and checks
// every series behind every KPI adds up across the shards to the single
// instance's value (histograms bucket by bucket).
func TestShardsSumToOneInstance(t *testing.T) {
	dir := t.TempDir()
	const now = "2026-11-20T12:00:00Z"
	if out, err := exec.Command(exporterBin, "demo", "--out="+dir, "--now="+now).CombinedOutput(); err != nil {
		t.Fatalf("demo: %v\n%s", err, out)
	}
	base, err := os.ReadFile(filepath.Join(dir, "config.yml"))
	if err != nil {
		t.Fatal(err)
	}
	config := func(name, extra string) string {
		body := strings.Replace(string(base), "state_dir: state", "state_dir: state-"+name, 1) + extra
		p := filepath.Join(dir, name+".yml")
		if err := os.WriteFile(p, []byte(body), 0o644); err != nil {
			t.Fatal(err)
		}
		return p
	}
	single := startExporter(t, config("single", ""), "--now="+now)
	var shards []*exporter
	for i := 0; i < 3; i++ {
		shards = append(shards, startExporter(t, config(fmt.Sprintf("shard%d", i), fmt.Sprintf("shard: {index: %d, count: 3}\n", i)), "--now="+now))
	}
	ctx := context.Background()
	single.waitReady(60 * time.Second)
	for _, s := range shards {
		s.waitReady(60 * time.Second)
	}
	// Wait until the probes of shard 0 and the single instance have run.
	var want map[string]float64
	waitFor(t, 30*time.Second, "single instance probed", func() (bool, string) {
		m, err := fetchMetrics(ctx, single.url("/metrics"))
		want = m
		return err == nil && len(filterPrefix(m, "heady_probe_success")) == 9, fmt.Sprint(err)
	})
	waitFor(t, 30*time.Second, "shard 0 probed", func() (bool, string) {
		m, err := fetchMetrics(ctx, shards[0].url("/metrics"))
		return err == nil && len(filterPrefix(m, "heady_probe_success")) == 9, fmt.Sprint(err)
	})
	sum := map[string]float64{}
	perShardUsers := []float64{}
	for _, s := range shards {
		m, err := fetchMetrics(ctx, s.url("/metrics"))
		if err != nil {
			t.Fatal(err)
		}
		perShardUsers = append(perShardUsers, m["heady_exporter_engine_tracked_users"])
		for k, v := range m {
			if summable(k) {
				sum[k] += v
			}
		}
	}
	var diffs []string
	compared := 0
	for k, v := range want {
		if !summable(k) {
			continue
		}
		compared++
		if math.Abs(sum[k]-v) > 1e-9*math.Max(1, math.Abs(v)) {
			diffs = append(diffs, fmt.Sprintf("%s: shards sum to %v, single instance %v", k, sum[k], v))
		}
	}
	for k := range sum {
		if _, ok := want[k]; !ok {
			diffs = append(diffs, fmt.Sprintf("%s: only in the shards", k))
		}
	}
	sort.Strings(diffs)
	if len(diffs) > 0 {
		t.Errorf("%d of %d series differ:\n%s", len(diffs), compared, strings.Join(diffs, "\n"))
	}
	if compared < 300 {
		t.Errorf("only %d series compared", compared)
	}
	for i, n := range perShardUsers {
		if n == 0 || n == want["heady_exporter_engine_tracked_users"] {
			t.Errorf("shard %d tracks %v of %v users: the users are not split", i, n, want["heady_exporter_engine_tracked_users"])
		}
	}
	t.Logf("%d series compared; users per shard %v of %v", compared, perShardUsers, want["heady_exporter_engine_tracked_users"])
}

func filterPrefix(m map[string]float64, p string) map[string]float64 {
	out := map[string]float64{}
	for k, v := range m {
		if strings.HasPrefix(k, p) {
			out[k] = v
		}
	}
	return out
}
