package main

import (
	"encoding/json"
	"testing"

	"github.com/heady/heady-metrics/kpi"
	"github.com/heady/heady-metrics/kpi/kpitest"
)

// The kpis command's JSON carries the judgment of package kpi, for values
// at, just above and just below every target (the same scenarios as the
// rules' promtool tests and the scorecard's agreement test).
func TestKPIsJSONAgreesWithTheJudgment(t *testing.T) {
	for _, sc := range kpitest.Scenarios() {
		b, err := kpisDocument(sc.Results())
		if err != nil {
			t.Fatal(err)
		}
		var doc map[string]kpiJSON
		if err := json.Unmarshal(b, &doc); err != nil {
			t.Fatal(err)
		}
		for _, c := range sc.Cases {
			got := doc[c.KPI.ID]
			if got.Status != string(c.Want) {
				t.Errorf("%s: %s: status %q, want %q", sc.Name, c.KPI.ID, got.Status, c.Want)
			}
			wantMet := c.Want == kpi.StatusMet || c.Want == kpi.StatusMissed
			if (got.Met != nil) != wantMet || (got.Met != nil && *got.Met != (c.Want == kpi.StatusMet)) {
				t.Errorf("%s: %s: met %v with status %s", sc.Name, c.KPI.ID, got.Met, c.Want)
			}
			if got.TargetText != c.KPI.Target.Text(c.KPI.Unit) {
				t.Errorf("%s: %s: target_text %q", sc.Name, c.KPI.ID, got.TargetText)
			}
		}
	}
}
