package alerts_test

import (
	"strings"
	"testing"

	"github.com/heady/heady-metrics/alerts"
	"github.com/heady/heady-metrics/dashboards"
	"github.com/heady/heady-metrics/kpi"
)

// The backfill files hold every recording rule of the rules file but the
// judgment's exactly once and no alert; the values read only exported series (so one promtool
// pass computes them), the trends only the recorded values.
func TestBackfillRulesSplitTheRecordingRules(t *testing.T) {
	var rules, values, trends alerts.RuleFile
	load(t, alerts.RulesPath, &rules)
	load(t, alerts.BackfillValuesPath, &values)
	load(t, alerts.BackfillTrendsPath, &trends)
	key := func(r alerts.Rule) string { return r.Record + "|" + r.Labels["kpi"] + "|" + r.Expr }
	want := map[string]int{}
	// The judgment (met, no data, the counts) is not backfilled: it is
	// what the dashboards' status stats and the alerts read now.
	judgment := map[string]bool{kpi.RecordMet: true, kpi.RecordNoData: true, kpi.RecordCountMet: true,
		kpi.RecordCountMissed: true, kpi.RecordCountNoData: true, kpi.RecordCountJudged: true}
	for _, g := range rules.Groups {
		for _, r := range g.Rules {
			if r.Record != "" && !judgment[r.Record] {
				want[key(r)]++
			}
		}
	}
	for i, rf := range []alerts.RuleFile{values, trends} {
		for _, g := range rf.Groups {
			for _, r := range g.Rules {
				if r.Alert != "" || r.Record == "" {
					t.Errorf("backfill file %d holds a rule that records nothing: %+v", i, r)
					continue
				}
				want[key(r)]--
				for _, name := range dashboards.MetricNames(r.Expr) {
					recorded := strings.HasPrefix(name, "heady:")
					if i == 0 && recorded || i == 1 && name != kpi.RecordValue && name != kpi.RecordPrev {
						t.Errorf("backfill file %d: %s reads %s", i, r.Record, name)
					}
				}
			}
		}
	}
	for k, n := range want {
		if n != 0 {
			t.Errorf("recording rule %s is in the backfill files %d times too few", k, n)
		}
	}
	if len(want) < len(kpi.Catalog) {
		t.Errorf("only %d recording rules", len(want))
	}
}
