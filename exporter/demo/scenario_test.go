package demo

import (
	"math"
	"testing"
	"time"

	"github.com/heady/heady-metrics/kpi"
)

// otherNows are instants on other weekdays and times of day than testNow,
// so that the scenario holds however ISO weeks and UTC days cut the data.
var otherNows = []string{
	"2026-03-02T00:30:00Z",      // Monday, just after midnight
	"2026-06-14T23:10:42.5Z",    // Sunday night
	"2027-01-06T15:45:00+01:00", // Wednesday, not UTC
}

func TestScenarioAtOtherNows(t *testing.T) {
	for _, s := range otherNows {
		t.Run(s, func(t *testing.T) {
			now, err := time.Parse(time.RFC3339Nano, s)
			if err != nil {
				t.Fatal(err)
			}
			files, err := Generate(now, Options{})
			if err != nil {
				t.Fatal(err)
			}
			checkScenario(t, loadRef(t, now, files))
		})
	}
}

// checkScenario recomputes the KPIs and checks each against the scenario
// table: on the intended side of its catalog target, and near the intended
// value (so the table stays honest).
func checkScenario(t *testing.T, d *refData) {
	t.Helper()
	got := d.kpis(t)
	for _, in := range Scenario() {
		k, ok := kpi.Lookup(in.KPI)
		if !ok {
			t.Errorf("%s: not in the KPI catalog", in.KPI)
			continue
		}
		v, ok := got[in.KPI]
		if !ok {
			if in.KPI != "top_workflows" && in.KPI != "domains_up" { // checked elsewhere
				t.Errorf("%s: no reference computation", in.KPI)
			}
			continue
		}
		t.Logf("%-26s value %10.4g  trend %7.4g  (%s, intended %.4g)", in.KPI, v.value, v.trend, in.Expect, in.Value)
		if math.IsNaN(v.value) {
			t.Errorf("%s: no value", in.KPI)
			continue
		}
		if in.Value != 0 {
			x := v.value
			if in.Trend {
				x = v.trend
			}
			if math.Abs(x/in.Value-1) > 0.35 {
				t.Errorf("%s: %.4g is far from the scenario's %.4g: update the table or the knobs", in.KPI, x, in.Value)
			}
		}
		var met bool
		switch {
		case k.Target.HasValueTarget():
			met = k.Target.MetValue(v.value)
		case k.Target.HasTrendTarget():
			met = k.Target.MetTrend(v.trend)
		default:
			if in.Expect != Shown {
				t.Errorf("%s: the catalog has no target, the scenario expects %s", in.KPI, in.Expect)
			}
			continue
		}
		if met != (in.Expect == Met) {
			t.Errorf("%s: value %.4g trend %.4g: met=%v, the scenario expects %s (target %s)",
				in.KPI, v.value, v.trend, met, in.Expect, k.Target.Format(k.Unit))
		}
	}
	for _, id := range kpi.IDs() {
		found := false
		for _, in := range Scenario() {
			found = found || in.KPI == id
		}
		if !found {
			t.Errorf("catalog KPI %s has no scenario row", id)
		}
	}
}
