package alerts

import (
	"fmt"

	"github.com/heady/heady-metrics/dashboards"
	"github.com/heady/heady-metrics/kpi"
)

// Sloth: heady-gen writes the SLO spec (prometheus/v1) from kpi.SLOs; the
// rules Sloth generates from it are committed beside it. heady-gen runs
// nothing external: `make slo-rules` runs Sloth, and the integration
// tests run it again and fail when the committed rules differ from what
// the spec gives, then check and unit-test the rules with promtool.
const (
	SlothSpecPath  = "alerts/slo/heady-slos.sloth.yml"
	SlothRulesPath = "alerts/slo/heady-slos.rules.yml"
	SlothService   = "heady"
)

// SlothSpec is a Sloth prometheus/v1 spec.
type SlothSpec struct {
	Version string            `yaml:"version"`
	Service string            `yaml:"service"`
	Labels  map[string]string `yaml:"labels"`
	SLOs    []SlothSLO        `yaml:"slos"`
}

// SlothSLO is one SLO of a Sloth spec.
type SlothSLO struct {
	Name        string            `yaml:"name"`
	Objective   float64           `yaml:"objective"`
	Description string            `yaml:"description"`
	Labels      map[string]string `yaml:"labels"`
	SLI         struct {
		Events struct {
			ErrorQuery string `yaml:"error_query"`
			TotalQuery string `yaml:"total_query"`
		} `yaml:"events"`
	} `yaml:"sli"`
	Alerting SlothAlerting `yaml:"alerting"`
}

// SlothAlerting is the alerting block of a Sloth SLO.
type SlothAlerting struct {
	Name        string            `yaml:"name"`
	Labels      map[string]string `yaml:"labels"`
	Annotations map[string]string `yaml:"annotations"`
	PageAlert   SlothAlert        `yaml:"page_alert"`
	TicketAlert SlothAlert        `yaml:"ticket_alert"`
}

// SlothAlert is the page or ticket alert of a Sloth SLO.
type SlothAlert struct {
	Labels map[string]string `yaml:"labels"`
}

// Sloth builds the spec of kpi.SLOs: error and total events are the rates
// of the SLO's counter over Sloth's windows, summed over every instance
// (shards add up).
func Sloth(o Options) (SlothSpec, error) {
	spec := SlothSpec{Version: "prometheus/v1", Service: SlothService,
		Labels: map[string]string{"owner": "heady-metrics"}}
	for _, s := range kpi.SLOs {
		obj, err := s.Objective()
		if err != nil {
			return spec, err
		}
		k, _ := kpi.Lookup(s.KPI)
		slo := SlothSLO{Name: s.Name, Objective: obj, Description: s.Description,
			Labels: map[string]string{"kpi": s.KPI}}
		slo.SLI.Events.ErrorQuery = fmt.Sprintf("sum(rate(%s{%s}[{{.window}}]))", s.Counter, s.Errors)
		slo.SLI.Events.TotalQuery = fmt.Sprintf("sum(rate(%s[{{.window}}]))", s.Counter)
		slo.Alerting = SlothAlerting{
			Name:   "Heady" + camel(s.KPI) + "ErrorBudgetBurn",
			Labels: map[string]string{"kpi": s.KPI},
			Annotations: map[string]string{
				"summary":     fmt.Sprintf("The %s SLO (%g%%) is burning its error budget too fast.", s.Name, obj),
				"runbook_url": o.RunbookURL(s.KPI),
				AnnDashboard:  o.DashboardURL(dashboards.PanelUID(k.Panel)),
				"description": fmt.Sprintf("Multi-window burn rate of the %s SLO over %s (the exact windowed KPI is %s). %s",
					s.Name, s.Counter, s.KPI, s.Description),
			},
			PageAlert:   SlothAlert{Labels: map[string]string{"severity": "critical"}},
			TicketAlert: SlothAlert{Labels: map[string]string{"severity": "warning"}},
		}
		spec.SLOs = append(spec.SLOs, slo)
	}
	return spec, nil
}
