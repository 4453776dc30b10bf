//go:build integration

package docs_test

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/heady/heady-metrics/internal/gentest"
	"github.com/heady/heady-metrics/internal/testutil"
)

// The Prometheus snippets of operations.md (scrape job, rule files,
// Alertmanager target) are valid prometheus.yml files for promtool.
func TestOperationsPrometheusSnippets(t *testing.T) {
	promtool := gentest.Upstream(t, "promtool")
	dir := t.TempDir()
	n := 0
	for _, heading := range []string{"## Scrape the exporter", "## Load the rules"} {
		for _, block := range testutil.DocBlocks(t, "operations.md", heading, "yaml") {
			if !strings.Contains(block, "scrape_configs:") && !strings.Contains(block, "rule_files:") {
				continue
			}
			n++
			p := filepath.Join(dir, "prometheus.yml")
			if err := os.WriteFile(p, []byte(block), 0o644); err != nil {
				t.Fatal(err)
			}
			out, err := gentest.Run(dir, promtool, "check", "config", "--syntax-only", p)
			if err != nil {
				t.Errorf("promtool check config of the snippet under %q: %v\n%s\n%s", heading, err, out, block)
			}
		}
	}
	if n != 2 {
		t.Errorf("%d Prometheus snippets checked, want the scrape job and the rule files", n)
	}
}
