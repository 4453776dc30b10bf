//go:build integration

package alerts_test

import (
	"path/filepath"
	"strings"
	"testing"

	"github.com/heady/heady-metrics/alerts"
	"github.com/heady/heady-metrics/internal/gentest"
)

// The rules and their unit tests, run by the real promtool (integration
// tier: `go test -tags integration`, which `make test` runs).

func tool(t *testing.T, name string) string { return gentest.Tool(t, name) }

func run(t *testing.T, dir, bin string, args ...string) string {
	return gentest.MustRun(t, dir, bin, args...)
}

func TestPromtoolCheckRules(t *testing.T) {
	out := run(t, repoRoot, tool(t, "promtool"), "check", "rules", alerts.RulesPath)
	if !strings.Contains(out, "SUCCESS") {
		t.Fatalf("promtool check rules: %s", out)
	}
}

// Every alert fires when its target is missed and stays silent when it is
// met; every recording rule records the value its inputs give.
func TestPromtoolTestRules(t *testing.T) {
	files, _ := filepath.Glob(filepath.Join(repoRoot, alerts.TestDir, "*.yml"))
	if len(files) == 0 {
		t.Fatal("no promtool test files")
	}
	promtool := tool(t, "promtool")
	for _, f := range files {
		rel, _ := filepath.Rel(repoRoot, f)
		t.Run(filepath.Base(f), func(t *testing.T) {
			t.Parallel()
			run(t, repoRoot, promtool, "test", "rules", rel)
		})
	}
}
