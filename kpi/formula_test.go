package kpi

import (
	"math"
	"testing"
)

func sm(name string, v float64, labelValues ...string) Sample {
	return Sample{Name: name, LabelValues: labelValues, Value: v}
}

// Each formula kind evaluated on hand-made samples, against values worked
// out by hand.
func TestFormulaEval(t *testing.T) {
	samples := []Sample{
		sm(SToolCalls, 90, W7d, "success"),
		sm(SToolCalls, 6, W7d, "error"),
		sm(SToolCalls, 4, W7d, "denied"),
		sm(SToolCalls, 1000, W1h, "success"), // another window: never selected below
		sm(SActiveUsers, 8, W7d),
		sm(SActiveUsers, 3, W1d),
		sm(SActiveUsersMonthAgo, 5),
		sm(SStickinessDAUSum, 14),
		sm(SStickinessUsers, 5),
		sm(SBudgetSpent, 30, "a"), sm(SBudgetCap, 100, "a"),
		sm(SBudgetSpent, 45, "b"), sm(SBudgetCap, 50, "b"),
		sm(SBudgetSpent, 99, "c"), sm(SBudgetCap, 0, "c"), // no cap: no ratio
		sm(SBudgetSpent, 10, "d"), // no cap series at all
		sm(SProbeSuccess, 1, "x"), sm(SProbeSuccess, 0, "y"), sm(SProbeSuccess, 1, "z"), sm(SProbeSuccess, 1, "w"),
		sm(SGovernanceScore, 92, "r1"), sm(SGovernanceScore, 71, "r2"), sm(SGovernanceScore, 88, "r3"),
	}
	cases := []struct {
		name string
		f    Formula
		want float64
	}{
		{"ratio", Ratio(S(SToolCalls, "window", W7d, "status", "success"), S(SToolCalls, "window", W7d)), 0.9},
		{"ratio of any of several values", Ratio(S(SToolCalls, "window", W7d, "status", "error|denied"), S(SToolCalls, "window", W7d)), 0.1},
		{"ratio minus one", Formula{Kind: FRatio, Num: S(SActiveUsers, "window", W7d), Den: S(SActiveUsersMonthAgo), Minus1: true}, 8.0/5 - 1},
		{"scaled ratio", Formula{Kind: FRatio, Num: S(SStickinessDAUSum), Den: S(SStickinessUsers), Scale: 1.0 / 7}, 14 * (1.0 / 7) / 5},
		{"sum", Sum(S(SToolCalls, "window", W7d)), 100},
		{"sum of one label value", Sum(S(SActiveUsers, "window", W1d)), 3},
		{"max", Agg("max", S(SGovernanceScore)), 92},
		{"min", Agg("min", S(SGovernanceScore)), 71},
		{"avg", Agg("avg", S(SGovernanceScore)), (92.0 + 71 + 88) / 3},
		{"max ratio by budget", Formula{Kind: FMaxRatioBy, Num: S(SBudgetSpent), Den: S(SBudgetCap), By: "budget"}, 0.9},
		{"share of ones", Formula{Kind: FShareOfOnes, Num: S(SProbeSuccess)}, 0.75},
	}
	for _, c := range cases {
		got, ok := c.f.Eval(samples)
		if !ok || math.Abs(got-c.want) > 1e-12 {
			t.Errorf("%s: Eval = %v, %v; want %v", c.name, got, ok, c.want)
		}
	}

	// No value where PromQL returns no sample.
	none := []struct {
		name    string
		f       Formula
		samples []Sample
	}{
		{"zero denominator", Ratio(S(SToolCalls, "window", W7d, "status", "success"), S(SToolCalls, "window", W7d)),
			[]Sample{sm(SToolCalls, 0, W7d, "success")}},
		{"no numerator series", Ratio(S(SOutcomesVerified, "window", W7d), S(SActiveUsers, "window", W7d)), samples},
		{"no denominator series", Ratio(S(SActiveUsers, "window", W7d), S(SOutcomesVerified, "window", W7d)), samples},
		{"sum of nothing", Sum(S(SOutcomesVerified, "window", W7d)), samples},
		{"aggregate of nothing", Agg("max", S(STestCoverage)), samples},
		{"no budget with a cap", Formula{Kind: FMaxRatioBy, Num: S(SBudgetSpent), Den: S(SBudgetCap), By: "budget"},
			[]Sample{sm(SBudgetSpent, 1, "c"), sm(SBudgetCap, 0, "c")}},
		{"no probe", Formula{Kind: FShareOfOnes, Num: S(SProbeSuccess)}, samples[:4]},
		{"quantiles are the engine's", Quantile(0.5, STimeToFirstOutcome, ""), samples},
	}
	for _, c := range none {
		if got, ok := c.f.Eval(c.samples); ok {
			t.Errorf("%s: Eval = %v, want no value", c.name, got)
		}
	}
}

// Catalog KPIs evaluated from samples, with their values, trends and
// judgements worked out by hand.
func TestEvaluateCatalogKPIs(t *testing.T) {
	in := Input{
		Samples: []Sample{
			sm(SOutcomesVerified, 40, W7d, "success"),
			sm(SOutcomesVerified, 10, W7d, "failure"),
			sm(SOutcomesVerified, 30, WPrev7d, "success"),
			sm(SActiveUsers, 8, W7d),
			sm(SActiveUsersMonthAgo, 10),
			sm(SInferenceCost, 20, W7d),
			sm(SInferenceCost, 12, WPrev7d),
			sm(STestCoverage, 0.6, "a"), sm(STestCoverage, 0.8, "b"),
			sm(STestCoverage7dAgo, 0.8, "a"), sm(STestCoverage7dAgo, 0.8, "b"),
		},
		Exact: map[string]float64{"time_to_first_outcome_p50": 240, "fix_loop_p50": 100, "fix_loop_p50@prev": 80},
	}
	type want struct {
		value float64
		trend float64 // 0: no trend
		met   *bool
	}
	yes, no := true, false
	cases := map[string]want{
		"north_star":                {value: 40.0 / 8, met: &no}, // 5 is not > 5
		"outcomes_per_user":         {value: 5, met: &no},
		"workflow_success":          {value: 0.8, met: &no}, // 40 of 50
		"wau":                       {value: 8},
		"wau_growth":                {value: 8.0/10 - 1, met: &no},
		"cost_per_outcome":          {value: 0.5, trend: 0.5 / 0.4, met: &no}, // 20/40 vs 12/30: increasing
		"test_coverage":             {value: 0.7, trend: 0.7 / 0.8, met: &no},
		"time_to_first_outcome_p50": {value: 240, met: &yes},
		"fix_loop_p50":              {value: 100, trend: 1.25, met: &no},
	}
	got := map[string]Result{}
	for _, r := range Evaluate(in) {
		got[r.KPI.ID] = r
	}
	if len(got) != len(Catalog) {
		t.Fatalf("Evaluate returned %d KPIs, the catalog has %d", len(got), len(Catalog))
	}
	for id, w := range cases {
		r, ok := got[id]
		if !ok {
			t.Errorf("%s: not evaluated", id)
			continue
		}
		if !r.HasValue || math.Abs(r.Value-w.value) > 1e-12 {
			t.Errorf("%s: value %v (%v), want %v", id, r.Value, r.HasValue, w.value)
		}
		if r.HasTrend != (w.trend != 0) || math.Abs(r.Trend-w.trend) > 1e-12 {
			t.Errorf("%s: trend %v (%v), want %v", id, r.Trend, r.HasTrend, w.trend)
		}
		if (r.Met == nil) != (w.met == nil) || (r.Met != nil && *r.Met != *w.met) {
			t.Errorf("%s: met %v, want %v", id, r.Met, w.met)
		}
	}
	// Without inputs a KPI has no value and is not judged.
	if r := got["security_incidents"]; r.HasValue || r.Met != nil {
		t.Errorf("security_incidents without samples: %+v", r)
	}
	if r := got["top_workflows"]; r.Top == nil || len(r.Top) != 0 {
		t.Errorf("top_workflows without a top list: %v, want an empty list", r.Top)
	}
}

// Every comparison, on and either side of its threshold.
func TestTargetsOnTheThreshold(t *testing.T) {
	const v = 0.9
	above, below := math.Nextafter(v, 2), math.Nextafter(v, 0)
	cases := []struct {
		op               Op
		below, on, above bool
	}{
		{OpGT, false, false, true},
		{OpGE, false, true, true},
		{OpLT, true, false, false},
		{OpLE, true, true, false},
		{OpEQ, false, true, false},
	}
	for _, c := range cases {
		tg := Target{Op: c.op, Value: v}
		if got := [3]bool{tg.MetValue(below), tg.MetValue(v), tg.MetValue(above)}; got != [3]bool{c.below, c.on, c.above} {
			t.Errorf("%s %v met below, on, above: %v, want %v", c.op, v, got, [3]bool{c.below, c.on, c.above})
		}
	}
	if (Target{}).MetValue(1) {
		t.Error("no target is met")
	}
}

// The PromQL of each formula kind, as the recording rules carry it.
func TestFormulaPromQL(t *testing.T) {
	cases := []struct {
		f    Formula
		want string
	}{
		{Ratio(S(SToolCalls, "window", W7d, "status", "success"), S(SToolCalls, "window", W7d)),
			`(sum without (instance, window, status) (heady_trust_tool_calls{window="7d",status="success"})) / (sum without (instance, window, status) (heady_trust_tool_calls{window="7d"}) > 0)`},
		{Formula{Kind: FRatio, Num: S(SActiveUsers, "window", W7d), Den: S(SActiveUsersMonthAgo), Minus1: true},
			`(sum without (instance, window) (heady_adoption_active_users{window="7d"})) / (sum without (instance) (heady_adoption_active_users_month_ago) > 0) - 1`},
		{Formula{Kind: FRatio, Num: S(SStickinessDAUSum), Den: S(SStickinessUsers), Scale: 0.5},
			`(sum without (instance) (heady_adoption_stickiness_daily_actives) * 0.5) / (sum without (instance) (heady_adoption_stickiness_active_users) > 0)`},
		{Sum(S(SToolCalls, "window", W7d, "status", "error|denied")),
			`sum without (instance, window, status) (heady_trust_tool_calls{window="7d",status=~"error|denied"})`},
		{Agg("min", S(SGovernanceScore)),
			`min without (repo) (max without (instance) (heady_delivery_governance_score))`},
		{Formula{Kind: FMaxRatioBy, Num: S(SBudgetSpent), Den: S(SBudgetCap), By: "budget"},
			`max without (budget) ((sum without (instance) (heady_cost_budget_spent_usd)) / (sum without (instance) (heady_cost_budget_cap_usd) > 0))`},
		{Formula{Kind: FShareOfOnes, Num: S(SProbeSuccess)},
			`(sum without (target) (max without (instance) (heady_probe_success))) / (count without (target) (max without (instance) (heady_probe_success)))`},
		{Quantile(0.95, SGatewayDuration, W1h),
			`histogram_quantile(0.95, sum without (instance, window) (heady_platform_gateway_duration_seconds_bucket{window="1h"})) and (sum without (instance, window) (heady_platform_gateway_duration_seconds_count{window="1h"}) > 0)`},
	}
	for _, c := range cases {
		if got := c.f.PromQL(); got != c.want {
			t.Errorf("PromQL:\n got %s\nwant %s", got, c.want)
		}
	}
}
