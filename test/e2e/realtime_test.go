package e2e

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"testing"
	"time"
)

// TestAppendedLineShowsInMetrics: a line appended to a followed log shows in
// /metrics while the exporter runs, with the default poll interval. The
// deadline is generous (a loaded CI machine is no measure of speed); the
// time each line took is logged.
func TestAppendedLineShowsInMetrics(t *testing.T) {
	dir := t.TempDir()
	log := filepath.Join(dir, "audit.jsonl")
	if err := os.WriteFile(log, nil, 0o644); err != nil {
		t.Fatal(err)
	}
	cfg := filepath.Join(dir, "config.yml")
	if err := os.WriteFile(cfg, []byte(fmt.Sprintf("state_dir: %s/state\nsources:\n  audit:\n    - paths: [%s]\n", dir, log)), 0o644); err != nil {
		t.Fatal(err)
	}
	e := startExporter(t, cfg)
	e.waitReady(30 * time.Second)
	const series = `heady_trust_tool_calls{status="success",window="7d"}`
	ctx := context.Background()
	for i := 1; i <= 3; i++ {
		f, _ := os.OpenFile(log, os.O_APPEND|os.O_WRONLY, 0)
		fmt.Fprintf(f, `{"ts":%q,"type":"tool_call","user":"u1","tool":"x","status":"success","receipt":"r%d"}`+"\n",
			time.Now().UTC().Format(time.RFC3339Nano), i)
		f.Close()
		start := time.Now()
		waitFor(t, 60*time.Second, fmt.Sprintf("line %d in /metrics", i), func() (bool, string) {
			m, err := fetchMetrics(ctx, e.url("/metrics"))
			if err != nil {
				return false, err.Error()
			}
			return m[series] == float64(i), fmt.Sprintf("%s = %v", series, m[series])
		})
		t.Logf("line %d visible after %v", i, time.Since(start).Round(time.Millisecond))
	}
}
