package alerts

import (
	"strings"
	"testing"

	"github.com/heady/heady-metrics/exporter/event"
)

// An alert added to the rules without a runbook entry fails the generator,
// and so does one whose runbook_url points at no section.
func TestRunbooksRefuseAlertWithoutEntry(t *testing.T) {
	o := DefaultOptions()
	rf, err := Rules(o)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := runbooksFor(o, rf, linker{}); err != nil {
		t.Fatalf("the shipped rules: %v", err)
	}
	last := len(rf.Groups) - 1
	rf.Groups[last].Rules = append(rf.Groups[last].Rules, Rule{Alert: "HeadyScrapeBudgetExceeded", Expr: "vector(1)",
		Labels: map[string]string{"severity": "warning"}, Annotations: map[string]string{AnnRunbook: o.RunbookURL("scrape-budget-exceeded")}})
	if _, err := runbooksFor(o, rf, linker{}); err == nil || !strings.Contains(err.Error(), "HeadyScrapeBudgetExceeded") {
		t.Errorf("an alert without a runbook entry: err %v", err)
	}

	rf, _ = Rules(o)
	rf.Groups[last].Rules[0].Annotations = map[string]string{AnnRunbook: o.RunbookURL("nowhere")}
	if _, err := runbooksFor(o, rf, linker{}); err == nil || !strings.Contains(err.Error(), rf.Groups[last].Rules[0].Alert+" links to") {
		t.Errorf("an alert linking to a missing section: err %v", err)
	}
}

// Every reason of heady_source_errors_total has a meaning and a fix.
func TestReasonFixes(t *testing.T) {
	for _, r := range event.Reasons {
		if f := reasonFixes[r]; f.means == "" || f.fix == "" {
			t.Errorf("reason %s has no meaning or fix", r)
		}
	}
	if len(reasonFixes) != len(event.Reasons) {
		t.Errorf("%d reason fixes for %d reasons", len(reasonFixes), len(event.Reasons))
	}
}
