//go:build integration

package pipeline

import (
	"bytes"
	"context"
	"os/exec"
	"path/filepath"
	"testing"
	"time"

	"github.com/prometheus/common/promslog"
)

// TestBackfillMakesBlocks feeds the output to the real promtool.
func TestBackfillMakesBlocks(t *testing.T) {
	promtool, err := exec.LookPath("promtool")
	if err != nil {
		t.Fatal("promtool not found: install Debian's prometheus package (scripts/test-deps.sh)")
	}
	now := time.Date(2026, 11, 20, 12, 0, 0, 0, time.UTC)
	c := demoConfig(t, now)
	dir := t.TempDir()
	file := filepath.Join(dir, "backfill.om")
	var out bytes.Buffer
	if err := Backfill(context.Background(), c, now.Add(-3*24*time.Hour), now, time.Hour, &out, promslog.NewNopLogger()); err != nil {
		t.Fatal(err)
	}
	if err := writeFile(file, out.Bytes()); err != nil {
		t.Fatal(err)
	}
	cmd := exec.Command(promtool, "tsdb", "create-blocks-from", "openmetrics", file, filepath.Join(dir, "blocks"))
	b, err := cmd.CombinedOutput()
	if err != nil {
		t.Fatalf("promtool: %v\n%s", err, b)
	}
	blocks, _ := filepath.Glob(filepath.Join(dir, "blocks", "*", "meta.json"))
	if len(blocks) == 0 {
		t.Fatalf("promtool made no block:\n%s", b)
	}
}
