package e2e

import (
	"bytes"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

// TestKPIsSameOnEveryCoreCount runs `heady-exporter kpis` on the demo data
// set (every source, costs summed from audit events and cost records, ids
// repeated across them) with one, two and four cores: the partitioned,
// parallel ingest gives the same output to the byte.
func TestKPIsSameOnEveryCoreCount(t *testing.T) {
	now := time.Date(2026, 11, 20, 12, 0, 0, 0, time.UTC)
	dir := filepath.Join(t.TempDir(), "demo")
	if out, err := exec.Command(exporterBin, "demo", "--out="+dir, "--now="+now.Format(time.RFC3339)).CombinedOutput(); err != nil {
		t.Fatalf("demo: %v\n%s", err, out)
	}
	config := filepath.Join(dir, "config.yml")
	var first []byte
	for _, procs := range []string{"1", "2", "4"} {
		cmd := exec.Command(exporterBin, "kpis", "--config.file="+config, "--now="+now.Format(time.RFC3339))
		cmd.Env = append(os.Environ(), "GOMAXPROCS="+procs)
		var stderr strings.Builder
		cmd.Stderr = &stderr
		out, err := cmd.Output()
		if err != nil {
			t.Fatalf("kpis at GOMAXPROCS=%s: %v\n%s", procs, err, stderr.String())
		}
		if !bytes.Contains(out, []byte(`"cost_per_outcome"`)) || !bytes.Contains(out, []byte(`"wau"`)) {
			t.Fatalf("kpis at GOMAXPROCS=%s printed no cost or wau:\n%s", procs, out)
		}
		if first == nil {
			first = out
			continue
		}
		if !bytes.Equal(out, first) {
			t.Fatalf("kpis at GOMAXPROCS=%s differs from GOMAXPROCS=1:\n%s\n--- vs ---\n%s", procs, out, first)
		}
	}
}
