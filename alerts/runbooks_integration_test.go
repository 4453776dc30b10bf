//go:build integration

package alerts_test

import (
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/heady/heady-metrics/alerts"
)

// Every runbook query is valid PromQL: promtool checks them as the
// expressions of a rule file.
func TestPromtoolCheckRunbookQueries(t *testing.T) {
	qs := runbookQueries(t)
	rf := alerts.RuleFile{Groups: []alerts.Group{{Name: "runbook-queries"}}}
	for i, q := range qs {
		rf.Groups[0].Rules = append(rf.Groups[0].Rules, alerts.Rule{Record: fmt.Sprintf("runbook:query_%d", i), Expr: q})
	}
	b, err := alerts.Marshal(rf)
	if err != nil {
		t.Fatal(err)
	}
	dir := t.TempDir()
	path := filepath.Join(dir, "queries.yml")
	if err := os.WriteFile(path, b, 0o644); err != nil {
		t.Fatal(err)
	}
	out := run(t, dir, tool(t, "promtool"), "check", "rules", path)
	if !strings.Contains(out, fmt.Sprintf("SUCCESS: %d rules found", len(qs))) {
		t.Fatalf("promtool check rules over %d runbook queries: %s", len(qs), out)
	}
}
