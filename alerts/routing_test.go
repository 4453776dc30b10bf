package alerts_test

import (
	"testing"

	"github.com/heady/heady-metrics/alerts"
	"github.com/heady/heady-metrics/kpi"
)

// Alertmanager routes by labels only (package provisioning): every alert
// has a severity it knows and an owner, a panel (KPI alerts) or a team
// (the others); notify="once" is on exactly the alerts of KPIs whose every
// window is 30 days or longer, among them the event-like ones the routing
// must not repeat.
func TestRoutingLabels(t *testing.T) {
	var rf ruleFile
	load(t, alerts.RulesPath, &rf)
	once := map[string]bool{}
	n := 0
	for _, g := range rf.Groups {
		for _, r := range g.Rules {
			if r.Alert == "" {
				continue
			}
			n++
			l := r.Labels
			if s := l["severity"]; s != "critical" && s != "warning" {
				t.Errorf("%s: severity %q", r.Alert, s)
			}
			if (l["panel"] == "") == (l[alerts.LabelTeam] == "") {
				t.Errorf("%s: want exactly one of panel and team: %v", r.Alert, l)
			}
			if l["kpi"] != "" && l["panel"] == "" {
				t.Errorf("%s: a KPI alert without panel", r.Alert)
			}
			if v, ok := l[alerts.LabelNotify]; ok {
				if v != alerts.NotifyOnce {
					t.Errorf("%s: notify=%q", r.Alert, v)
				}
				once[l["kpi"]] = true
			}
		}
	}
	if n == 0 {
		t.Fatal("no alerts")
	}
	for _, k := range kpi.Catalog {
		if k.Target.Judged() && alerts.NotifiesOnce(k) != once[k.ID] {
			t.Errorf("%s: NotifiesOnce %v, labelled %v", k.ID, alerts.NotifiesOnce(k), once[k.ID])
		}
	}
	for _, id := range []string{"security_incidents", "mttr", "milestones_hit"} {
		if !once[id] {
			t.Errorf("%s alerts are repeated while they fire", id)
		}
	}
	for _, id := range []string{"tool_call_success", "domains_up", "budget_utilization"} {
		if once[id] {
			t.Errorf("%s alerts are not repeated, but a short-window KPI's should be", id)
		}
	}
}
