package demo

// The scenario: what the demo data is meant to show on the scorecard. Every
// KPI of kpis.md gets a value; some meet their target and some miss it, so
// that the alert rules and the scorecard have something to do. The knobs
// below are the levers that put each KPI where the table says; the package
// tests recompute the simplest KPIs from the written files and check that
// each lands on the intended side of its target (the targets themselves
// live in the KPI catalog, package kpi, and nowhere here).

// Expect is what a KPI is meant to show in the demo.
type Expect string

const (
	Met    Expect = "met"    // meets its target
	Missed Expect = "missed" // misses its target: its alert has work to do
	Shown  Expect = "shown"  // has no target; only a value is shown
)

// Intent is one row of the scenario table.
type Intent struct {
	KPI    string  // KPI id of kpis.md
	Value  float64 // approximate intended value (for trend KPIs: the trend)
	Trend  bool    // Value is a trend (current / previous window)
	Expect Expect
	Lever  string // how the generator produces it
}

// Scenario returns the scenario table, one row per KPI of kpis.md, in the
// order of kpis.md.
func Scenario() []Intent {
	return []Intent{
		{"north_star", 7.2, false, Met, "1-3 sessions per active day (mean 1.8), 1-4 tasks per session, each ending in an outcome"},
		{"wau", 200, false, Shown, "signups grow 7% a week; weekly retention curve below"},
		{"wau_growth", 0.5, false, Met, "signup growth plus a retention floor"},
		{"dau", 75, false, Shown, "active days per engaged week: 1-5, mean 2.2"},
		{"stickiness", 0.27, false, Missed, "users are active about 2 days in an engaged week"},
		{"time_to_first_outcome_p50", 185, false, Met, "78% of new users reach a verified outcome ~2.5 min after signup"},
		{"first_outcome_conversion", 0.85, false, Shown, "22% of new users do no outcome on their first day"},
		{"setup_success", 0.93, false, Met, "setup attempts succeed 80%, a failed one is retried 55% of the time"},
		{"retention_w1", knobRetentionW1, false, Met, "exact per-cohort quota of users active in week W+1"},
		{"retention_w4", retention(4), false, Missed, "retention curve 0.10 + 0.45*0.6^(k-1)"},
		{"surfaces_per_user", 1.7, false, Met, "each user has a primary surface and 0-3 secondary ones"},
		{"outcomes_per_user", 7.2, false, Met, "= north_star"},
		{"top_workflows", 0, false, Shown, "12 workflows with a Zipf-like mix; code-review leads"},
		{"workflow_success", 0.91, false, Met, "outcomes: 88% success, 9% failure, 3% unknown"},
		{"arena_promotion", knobArenaPromoted, false, Missed, "arena results: 76% promoted"},
		{"consensus_confidence", knobConsensusMean, false, Met, "confidence ~ N(0.86, 0.07)"},
		{"fix_loop_p50", 0.63, true, Met, "revert delay median falls from 8 h to 2 h over the span"},
		{"tool_call_success", knobToolSuccess, false, Missed, "tool calls: 98.2% success, 1.3% error, 0.5% denied"},
		{"audit_completeness", 1, false, Met, "every tool call, outcome and approval carries a receipt"},
		{"policy_blocks", 0, false, Shown, "3% of tool steps are blocked by one of five policies"},
		{"security_incidents", 1, false, Missed, "one security incident opened 12 days before now"},
		{"mttr", 1.26, true, Missed, "incident resolution time doubles over the span"},
		{"rollback_rate", 1.0 / knobRevertEvery, false, Met, "every 36th CI merge is reverted"},
		{"cost_per_outcome", 0.86, true, Met, "prices fall 10% a week and cheaper routing grows"},
		{"infra_cost_per_user", knobInfraPerUser, false, Met, "infra series sized to ~$1.40 per 30d-active user"},
		{"routing_efficiency", 0.44, false, Met, "cheaper routing share grows from 30% to 45%"},
		{"budget_utilization", knobBudgetUtil, false, Missed, "the inference budget's cap is set at spend/0.93"},
		{"arena_run_cost", 0.34, false, Met, "arena run cost ~ lognormal, median $0.30"},
		{"registry_score", knobRegistryScore * 100, false, Met, "overallSystemScore 0.91"},
		{"services_healthy", 1, false, Met, "every service of the last scan is healthy"},
		{"gateway_latency_p95", 0.3, false, Met, "tool durations ~ lognormal per tool; background calls every ~5 min keep every hour sampled"},
		{"circuit_breaker_trips", 3, false, Met, "three breaker trips in the last day"},
		{"domains_up", 8.0 / 9, false, Missed, "eight probe targets are the exporter itself, one is refused"},
		{"milestones_hit", 11.0 / 13, false, Met, "13 weekly milestones, two closed late"},
		{"cycle_time_p50", 0.79, true, Met, "idea-to-shipped median falls from 7 to 3.5 days"},
		{"quality_gate_pass", knobGatePass, false, Met, "gates pass 95.5%"},
		{"governance_score", 92, false, Met, "the weakest repo scores ~92"},
		{"test_coverage", 1.01, true, Met, "coverage climbs ~0.15 points a day"},
	}
}

// Knobs. Probabilities are per event unless said otherwise.
const (
	knobUsers         = 560  // signups over the whole span (default Options.Users)
	knobSignupGrowth  = 1.07 // new signups per week grow by this factor
	knobRetentionW1   = 0.55 // share of a cohort active in week W+1
	knobRetentionTail = 0.10 // long-run weekly retention
	knobRetentionEbb  = 0.60 // retention(k) = tail + (w1 - tail) * ebb^(k-1)

	knobConvertFirstDay = 0.78 // new users with a verified outcome on day one
	knobFirstOutcomeSec = 150  // median seconds from signup to it
	knobSetupSuccess    = 0.80
	knobSetupRetry      = 0.55

	knobOutcomeSuccess = 0.88
	knobOutcomeFailure = 0.09 // the rest is "unknown"
	knobToolSuccess    = 0.982
	knobToolError      = 0.013 // the rest is "denied"
	knobPolicyBlock    = 0.03
	knobApproval       = 0.25
	knobChangeAccepted = 0.10 // of successful outcomes
	knobChangeReverted = 0.05 // of accepted changes

	knobAutoEveryMin = 5 // background (user-less) tool calls: one every ~5 minutes

	knobArenaPerDay   = 30
	knobArenaPromoted = 0.76
	knobArenaRejected = 0.18 // the rest failed
	knobConsensusMean = 0.86

	knobCheaperStart  = 0.30 // routed=cheaper share at the start of the span
	knobCheaperEnd    = 0.45 // and at its end
	knobPriceDecay    = 0.90 // price factor per week
	knobMirrorCost    = 0.15 // last-6-days audit inference events also sent as cost records
	knobBudgetUtil    = 0.93
	knobInfraPerUser  = 1.40
	knobRegistryScore = 0.91

	knobRevertEvery = 36 // CI merges per revert
	knobGatePass    = 0.955
)

// retention is the share of a cohort active in the k-th ISO week after the
// week of its first activity (k >= 1).
func retention(k int) float64 {
	r := knobRetentionW1 - knobRetentionTail
	for i := 1; i < k; i++ {
		r *= knobRetentionEbb
	}
	return knobRetentionTail + r
}
