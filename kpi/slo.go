package kpi

import "fmt"

// SLO is a KPI also served as a service level objective over a counter,
// for SLO tools that expect event counters (Sloth, Pyrra). The objective is
// the KPI's target; errors and total are the counter's series.
type SLO struct {
	Name    string // the SLO's name in the tools' specs
	KPI     string // the KPI whose target is the objective
	Counter string // a counter of kpi.AllSeries
	// Errors selects the counter's bad events (a PromQL label matcher).
	Errors string
	// Description is the SLO's description in the specs.
	Description string
}

// SLOs lists the SLOs over the counters. Sloth's and Pyrra's specs are
// generated from it (alerts.SlothSpec).
var SLOs = []SLO{
	{Name: "tool-call-success", KPI: "tool_call_success", Counter: SToolCallsTotal, Errors: `status!="success"`,
		Description: "Tool calls that end with status success (error and denied are errors)."},
	{Name: "workflow-success", KPI: "workflow_success", Counter: SVerifiedTotal, Errors: `status="failure"`,
		Description: "Verified outcomes (with a receipt) that end with status success."},
}

// Objective is the SLO's objective in percent: its KPI's target.
func (s SLO) Objective() (float64, error) {
	k, ok := Lookup(s.KPI)
	if !ok {
		return 0, fmt.Errorf("slo %s: no KPI %s", s.Name, s.KPI)
	}
	if ser, ok := LookupSeries(s.Counter); !ok || ser.Type != Counter {
		return 0, fmt.Errorf("slo %s: %s is not a declared counter", s.Name, s.Counter)
	}
	if k.Unit != UnitRatio || (k.Target.Op != OpGT && k.Target.Op != OpGE) || k.Target.Value <= 0 || k.Target.Value >= 1 {
		return 0, fmt.Errorf("slo %s: KPI %s has no ratio target below 1 to serve as objective", s.Name, s.KPI)
	}
	return k.Target.Value * 100, nil
}
