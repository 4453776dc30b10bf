//go:build integration

package alerts_test

import (
	"strings"
	"testing"

	"github.com/heady/heady-metrics/alerts"
)

// promtool accepts both backfill files, as `promtool tsdb create-blocks-from
// rules` will read them.
func TestPromtoolCheckBackfillRules(t *testing.T) {
	out := run(t, repoRoot, tool(t, "promtool"), "check", "rules", alerts.BackfillValuesPath, alerts.BackfillTrendsPath)
	if strings.Count(out, "SUCCESS") != 2 {
		t.Fatalf("promtool check rules: %s", out)
	}
}
