// Package kpitest holds the judgment's agreement scenarios: every judged
// KPI's value at, just above and just below its target (trend ratios at,
// just inside and just beyond the margin), with no data, and with too
// small a cohort. The promtool tests of the recording rules, the Grafana
// status queries and the alerts' annotations (alerts) and the agreement
// tests of the page, the digest and the kpis JSON all run the same
// scenarios, so every face is checked against the one judgment in kpi.
package kpitest

import (
	"math"

	"github.com/heady/heady-metrics/kpi"
)

// Case is one KPI's recorded values in a scenario.
type Case struct {
	KPI      kpi.KPI
	Value    float64
	HasValue bool
	// Prev and Trend (Value / Prev) for trend KPIs.
	Prev     float64
	Trend    float64
	HasTrend bool
	// Cohort is the cohort size fed to a guarded KPI's guard series.
	Cohort float64
	// Want is the status kpi.KPI.Judge gives.
	Want kpi.Status
}

// Result is the case as a kpi.Result, judged.
func (c Case) Result() kpi.Result {
	r := kpi.Result{KPI: c.KPI, Value: c.Value, HasValue: c.HasValue}
	if c.HasTrend {
		r.Prev, r.HasPrev, r.Trend, r.HasTrend = c.Prev, true, c.Trend, true
	}
	if c.KPI.GuardOn != nil {
		r.GuardFails = c.Cohort < c.KPI.GuardMin
	}
	r.Judge()
	return r
}

// Scenario is every judged KPI's case at one instant.
type Scenario struct {
	Name  string
	Cases []Case
}

// Results are the scenario's cases as results, in catalog order.
func (s Scenario) Results() []kpi.Result {
	out := make([]kpi.Result, len(s.Cases))
	for i, c := range s.Cases {
		out[i] = c.Result()
	}
	return out
}

// Counts is the judgment's counts over the scenario.
func (s Scenario) Counts() kpi.Counts {
	st := make([]kpi.Status, len(s.Cases))
	for i, c := range s.Cases {
		st[i] = c.Want
	}
	return kpi.Count(st)
}

// Side picks where a case lands relative to the target.
type Side int

const (
	At Side = iota
	Above
	Below
)

// near returns v moved a little to side: by 1 for whole-number units,
// otherwise by a millionth of v (of 1 at 0).
func near(u kpi.Unit, v float64, s Side) float64 {
	d := math.Max(math.Abs(v), 1) * 1e-6
	if u == kpi.UnitUsers || u == kpi.UnitCount {
		d = 1
	}
	switch s {
	case Above:
		return v + d
	case Below:
		return v - d
	}
	return v
}

// trendPrev is the previous window's value trend KPIs are given; the
// value is prev times the trend wanted, and the trend is value / prev, as
// the recording rule divides.
func trendPrev(u kpi.Unit) float64 {
	if u == kpi.UnitRatio {
		return 0.5
	}
	return 1000
}

func judged(build func(k kpi.KPI) Case) []Case {
	var out []Case
	for _, k := range kpi.Catalog {
		if !k.Judged() {
			continue
		}
		c := build(k)
		c.KPI = k
		if k.GuardOn != nil && c.Cohort == 0 {
			c.Cohort = k.GuardMin
		}
		c.Want = c.Result().Status
		out = append(out, c)
	}
	return out
}

func sided(s Side) func(k kpi.KPI) Case {
	return func(k kpi.KPI) Case {
		if k.Target.HasValueTarget() {
			return Case{Value: near(k.Unit, k.Target.Value, s), HasValue: true}
		}
		prev := trendPrev(k.Unit)
		v := near(kpi.UnitRatio, prev*k.Target.TrendLimit(), s)
		return Case{Value: v, HasValue: true, Prev: prev, Trend: v / prev, HasTrend: true}
	}
}

// Scenarios are the agreement scenarios.
func Scenarios() []Scenario {
	small := func(k kpi.KPI) Case {
		c := sided(Below)(k)
		if k.GuardOn != nil {
			c.Cohort = k.GuardMin - 1
		}
		return c
	}
	return []Scenario{
		{"at target", judged(sided(At))},
		{"just above target", judged(sided(Above))},
		{"just below target", judged(sided(Below))},
		{"no data", judged(func(kpi.KPI) Case { return Case{} })},
		{"cohort too small", judged(small)},
	}
}
