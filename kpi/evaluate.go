package kpi

import "math"

// Input is what KPI values are computed from: one exporter's samples (or
// the sum of several), the exact quantiles the engine computed (by KPI id,
// and id+"@prev" for the previous window), and top lists by KPI id.
type Input struct {
	Samples []Sample
	Exact   map[string]float64
	Top     map[string][]TopEntry
}

// Result is one KPI evaluated.
type Result struct {
	KPI      KPI
	Value    float64
	HasValue bool
	Prev     float64
	HasPrev  bool
	Trend    float64 // Value / Prev
	HasTrend bool
	// GuardFails is set when the KPI's cohort guard (KPI.GuardOn) fails:
	// the value is reported but not judged.
	GuardFails bool
	// Status is the judgment (Judge); Met is it as a bool, nil unless the
	// status is met or missed.
	Status Status
	Met    *bool
	Top    []TopEntry
}

// Evaluate computes every KPI of the catalog from in, in catalog order.
func Evaluate(in Input) []Result {
	out := make([]Result, 0, len(Catalog))
	for _, k := range Catalog {
		out = append(out, EvaluateOne(k, in))
	}
	return out
}

// EvaluateOne computes one KPI.
func EvaluateOne(k KPI, in Input) Result {
	r := Result{KPI: k}
	eval := func(f *Formula, key string) (float64, bool) {
		if f == nil {
			return 0, false
		}
		if f.Kind == FQuantile {
			v, ok := in.Exact[key]
			return v, ok && !math.IsNaN(v)
		}
		v, ok := f.Eval(in.Samples)
		return v, ok && !math.IsNaN(v) && !math.IsInf(v, 0)
	}
	r.Value, r.HasValue = eval(k.F, k.ID)
	r.Prev, r.HasPrev = eval(k.PrevF, k.ID+"@prev")
	if r.HasValue && r.HasPrev && r.Prev > 0 {
		r.Trend, r.HasTrend = r.Value/r.Prev, true
	}
	if k.TopExpr != "" {
		r.Top = in.Top[k.ID]
		if r.Top == nil {
			r.Top = []TopEntry{}
		}
	}
	if k.GuardOn != nil {
		n, _ := k.GuardOn.sum(in.Samples)
		r.GuardFails = n < k.GuardMin
	}
	r.Judge()
	return r
}

// Judge sets r.Status (and r.Met) from r's value or trend with
// KPI.Judge.
func (r *Result) Judge() {
	r.Status = r.KPI.Judge(r.Value, r.HasValue, r.Trend, r.HasTrend, !r.GuardFails)
	r.Met = nil
	switch r.Status {
	case StatusMet, StatusMissed:
		met := r.Status == StatusMet
		r.Met = &met
	}
}
