package alerts_test

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/heady/heady-metrics/alerts"
	"github.com/heady/heady-metrics/dashboards"
	"github.com/heady/heady-metrics/exporter/event"
	"github.com/heady/heady-metrics/kpi"
)

// runbookSections splits docs/runbooks.md into its "## " sections by
// heading.
func runbookSections(t *testing.T) map[string]string {
	t.Helper()
	b, err := os.ReadFile(filepath.Join(repoRoot, alerts.RunbooksPath))
	if err != nil {
		t.Fatal(err)
	}
	out := map[string]string{}
	parts := strings.Split("\n"+string(b), "\n## ")
	for _, p := range parts[1:] {
		heading, body, _ := strings.Cut(p, "\n")
		out[heading] = body
	}
	return out
}

// runbookQueries are the PromQL blocks of the runbooks.
func runbookQueries(t *testing.T) []string {
	t.Helper()
	var qs []string
	for _, body := range runbookSections(t) {
		for _, block := range strings.Split(body, "```promql\n")[1:] {
			expr, _, ok := strings.Cut(block, "```")
			if !ok {
				t.Fatalf("unterminated promql block: %s", block)
			}
			qs = append(qs, strings.TrimSpace(expr))
		}
	}
	return qs
}

// Every alert of the committed rules links to a runbook section that says
// what it means, its impact, the likely causes, the queries to run and the
// fix; the burn-rate sections say the time left and the urgency; the
// source alerts map every error reason to a fix.
func TestRunbooksCoverEveryAlert(t *testing.T) {
	var rf alerts.RuleFile
	load(t, alerts.RulesPath, &rf)
	sections := runbookSections(t)
	o := alerts.DefaultOptions()
	n := 0
	for _, g := range rf.Groups {
		for _, r := range g.Rules {
			if r.Alert == "" {
				continue
			}
			n++
			anchor := ""
			for a := range sections {
				if r.Annotations[alerts.AnnRunbook] == o.RunbookURL(a) {
					anchor = a
				}
			}
			body, ok := sections[anchor]
			if !ok {
				t.Errorf("%s links to runbooks.md#%s, which has no section", r.Alert, anchor)
				continue
			}
			if !strings.Contains(body, "`"+r.Alert+"`") {
				t.Errorf("section %s does not name %s", anchor, r.Alert)
			}
			for _, part := range []string{"- What it means: ", "- Impact: ", "\nLikely causes:\n\n- ", "\nQueries:\n\n- ", "\nFix:\n\n- "} {
				if !strings.Contains(body, part) {
					t.Errorf("%s: runbook section %s lacks %q", r.Alert, anchor, strings.TrimSpace(part))
				}
			}
			if g.Name == alerts.GroupSLO {
				for _, part := range []string{"- Time left: at this rate the whole 7d error budget is spent in ", "- Urgency: ", "heady_trust_tool_calls_by_tool"} {
					if !strings.Contains(body, part) {
						t.Errorf("%s: burn-rate runbook lacks %q", r.Alert, part)
					}
				}
			}
			if strings.Contains(r.Expr, "heady_exporter_source_") {
				for _, reason := range event.Reasons {
					if !strings.Contains(body, "| `"+string(reason)+"` | ") {
						t.Errorf("%s: runbook maps no fix to reason %s", r.Alert, reason)
					}
				}
			}
		}
	}
	if n < len(kpi.Catalog)/2 {
		t.Errorf("only %d alerts in %s", n, alerts.RulesPath)
	}
}

// The burn-rate runbooks state the time left the factors give: 7d / 14.4
// and 7d / 6.
func TestBurnRunbookTimeLeft(t *testing.T) {
	s := runbookSections(t)
	for anchor, want := range map[string]string{"tool-call-error-budget-burn-fast": "spent in 11h 40m 0s", "tool-call-error-budget-burn-slow": "spent in 1d 4h 0m 0s"} {
		if !strings.Contains(s[anchor], want) {
			t.Errorf("%s does not say %q", anchor, want)
		}
	}
}

// Every series a runbook query reads is exported by the exporter, recorded
// by the rules, or one of the standard series Prometheus and the exporter's
// runtime collectors add.
func TestRunbookQueriesReadExportedSeries(t *testing.T) {
	qs := runbookQueries(t)
	if len(qs) < len(kpi.Catalog) {
		t.Fatalf("only %d runbook queries", len(qs))
	}
	standard := map[string]bool{"up": true, "scrape_duration_seconds": true, "process_start_time_seconds": true,
		kpi.RecordValue: true, kpi.RecordPrev: true, kpi.RecordTrend: true}
	for _, q := range qs {
		for _, name := range dashboards.MetricNames(q) {
			if standard[name] {
				continue
			}
			base := name
			for _, s := range []string{"_bucket", "_count", "_sum"} {
				if ser, ok := kpi.LookupSeries(strings.TrimSuffix(name, s)); ok && ser.Type == kpi.Histogram {
					base = ser.Name
				}
			}
			if _, ok := kpi.LookupSeries(base); !ok {
				t.Errorf("runbook query reads %s, which is not exported: %s", name, q)
			}
		}
	}
}
