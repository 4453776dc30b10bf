//go:build integration

package alerts_test

import (
	"path/filepath"
	"strings"
	"testing"

	"github.com/heady/heady-metrics/alerts"
	"github.com/heady/heady-metrics/internal/gentest"
)

// The rules load and lint clean in Debian's promtool (Prometheus 2.42) and
// the current upstream one (module v0.316.0, Prometheus 3.16), and the
// promtool unit tests pass in the upstream one too (Debian's run in
// TestPromtoolTestRules).
func TestPromtoolLintBothVersions(t *testing.T) {
	for _, promtool := range []string{gentest.Upstream(t, "promtool"), tool(t, "promtool")} {
		out := run(t, repoRoot, promtool, "check", "rules", "--lint=all", "--lint-fatal", alerts.RulesPath)
		if !strings.Contains(out, "SUCCESS") {
			t.Fatalf("%s check rules: %s", promtool, out)
		}
	}
}

func TestUpstreamPromtoolTestRules(t *testing.T) {
	files, _ := filepath.Glob(filepath.Join(repoRoot, alerts.TestDir, "*.yml"))
	if len(files) == 0 {
		t.Fatal("no promtool test files")
	}
	promtool := gentest.Upstream(t, "promtool")
	for _, f := range files {
		rel, _ := filepath.Rel(repoRoot, f)
		t.Run(filepath.Base(f), func(t *testing.T) {
			run(t, repoRoot, promtool, "test", "rules", rel)
		})
	}
}
