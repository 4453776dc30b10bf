package e2e

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"testing"
	"time"
)

// TestAppendedLineShowsWithinTwoSeconds: the real-time promise, with
// the default poll interval.
func TestAppendedLineShowsWithinTwoSeconds(t *testing.T) {
	dir := t.TempDir()
	log := filepath.Join(dir, "audit.jsonl")
	os.WriteFile(log, nil, 0o644)
	cfg := filepath.Join(dir, "config.yml")
	os.WriteFile(cfg, []byte(fmt.Sprintf("state_dir: %s/state\nsources:\n  audit:\n    - paths: [%s]\n", dir, log)), 0o644)
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
		seen := false
		for time.Since(start) < 2*time.Second {
			m, err := fetchMetrics(ctx, e.url("/metrics"))
			if err == nil && m[series] == float64(i) {
				seen = true
				break
			}
			time.Sleep(20 * time.Millisecond)
		}
		if !seen {
			m, _ := fetchMetrics(ctx, e.url("/metrics"))
			t.Fatalf("line %d not in /metrics within 2s (series = %v)", i, m[series])
		}
		t.Logf("line %d visible after %v", i, time.Since(start).Round(time.Millisecond))
	}
}
