// Package kpi is the KPI catalog: every KPI of the product, declared once,
// with its panel, definition, unit, target, the exported series it is
// computed from and the PromQL that computes it. The exporter's descriptors,
// the dashboards, the recording and alert rules, the scorecard and the docs
// table are all projections of this package. Nothing else declares a KPI, a
// target or a series name.
//
// The package holds data and pure functions only; it imports nothing of the
// exporter.
package kpi

import (
	"fmt"
	"math"
	"strconv"
	"strings"
)

// Panel groups KPIs the way the executive dashboard shows them.
type Panel string

const (
	PanelNorthStar Panel = "north_star"
	PanelAdoption  Panel = "adoption"
	PanelOutcomes  Panel = "outcomes"
	PanelTrust     Panel = "trust"
	PanelCost      Panel = "cost"
	PanelPlatform  Panel = "platform"
	PanelDelivery  Panel = "delivery"
)

// Panels lists the panels in display order with their titles.
var Panels = []struct {
	ID    Panel
	Title string
}{
	{PanelNorthStar, "North Star"},
	{PanelAdoption, "Adoption"},
	{PanelOutcomes, "Outcomes"},
	{PanelTrust, "Trust and reliability"},
	{PanelCost, "Cost"},
	{PanelPlatform, "Platform health"},
	{PanelDelivery, "Delivery"},
}

// PanelTitle returns the display title of p.
func PanelTitle(p Panel) string {
	for _, x := range Panels {
		if x.ID == p {
			return x.Title
		}
	}
	return string(p)
}

// Unit is how a KPI value is measured and shown.
type Unit string

const (
	UnitRatio   Unit = "ratio"   // 0..1, shown as percent
	UnitSeconds Unit = "seconds" // shown humanised
	UnitUSD     Unit = "usd"
	UnitUsers   Unit = "users"
	UnitCount   Unit = "count"
	UnitScore   Unit = "score"    // 0..100
	UnitPerUser Unit = "per_user" // a count per user
)

// Op compares a KPI value with its target.
type Op string

const (
	OpNone Op = ""
	OpGT   Op = ">"
	OpGE   Op = ">="
	OpLT   Op = "<"
	OpLE   Op = "<="
	OpEQ   Op = "=="
)

// Trend is the direction a trend KPI should move.
type Trend string

const (
	TrendNone       Trend = ""
	TrendDecreasing Trend = "decreasing"
	TrendIncreasing Trend = "increasing"
	TrendShown      Trend = "shown" // the trend is shown, with no target
)

// TrendMargin is how far a trend KPI may move the wrong way (current
// window / previous window) and still meet its target: kpis.md alerts on
// more than 10%. A trend of exactly 1+TrendMargin (decreasing) or
// 1-TrendMargin (increasing) is met; beyond it the KPI is missed, its
// alert fires and every face shows it missed.
const TrendMargin = 0.10

// Target is what a KPI should reach. A KPI has a value target (Op, Value),
// a trend target (Trend), or neither ("shown").
type Target struct {
	Op    Op
	Value float64
	Trend Trend
	// Say, when set, is how the target is written for people in place of
	// the text Text derives ("under $2 per user per month").
	Say string
}

// HasValueTarget reports whether the KPI is judged on its value.
func (t Target) HasValueTarget() bool { return t.Op != OpNone }

// HasTrendTarget reports whether the KPI is judged on its trend.
func (t Target) HasTrendTarget() bool {
	return t.Trend == TrendDecreasing || t.Trend == TrendIncreasing
}

// Judged reports whether the KPI has any target (and so an alert).
func (t Target) Judged() bool { return t.HasValueTarget() || t.HasTrendTarget() }

// MetValue reports whether v meets a value target.
func (t Target) MetValue(v float64) bool {
	switch t.Op {
	case OpGT:
		return v > t.Value
	case OpGE:
		return v >= t.Value
	case OpLT:
		return v < t.Value
	case OpLE:
		return v <= t.Value
	case OpEQ:
		return v == t.Value
	}
	return false
}

// TrendLimit is the trend (current / previous window) at which a trend
// target is still met: 1+TrendMargin for decreasing, 1-TrendMargin for
// increasing.
func (t Target) TrendLimit() float64 {
	if t.Trend == TrendIncreasing {
		return 1 - TrendMargin
	}
	return 1 + TrendMargin
}

// MetTrend reports whether a trend (current / previous) meets a trend
// target: it has not moved the wrong way by more than TrendMargin.
func (t Target) MetTrend(trend float64) bool {
	switch t.Trend {
	case TrendDecreasing:
		return trend <= t.TrendLimit()
	case TrendIncreasing:
		return trend >= t.TrendLimit()
	}
	return false
}

// String renders the target for people in no particular unit.
func (t Target) String() string { return t.Text(UnitCount) }

// Text writes the target for people in the KPI's unit: "above 5", "at
// least 10%", "under 5m", "0", "100%", "no more than 10% above the
// previous window"; "" when the KPI has no target. Say overrides it.
func (t Target) Text(u Unit) string {
	if t.Say != "" {
		return t.Say
	}
	v := FormatValue(u, t.Value)
	switch t.Op {
	case OpGT:
		return "above " + v
	case OpGE:
		return "at least " + v
	case OpLT:
		return "under " + v
	case OpLE:
		return "at most " + v
	case OpEQ:
		return v
	}
	switch t.Trend {
	case TrendDecreasing:
		return "falling, or up by at most " + trimFloat(TrendMargin*100, 1) + "% on the previous window"
	case TrendIncreasing:
		return "rising, or down by at most " + trimFloat(TrendMargin*100, 1) + "% on the previous window"
	}
	return ""
}

// Format is Text.
func (t Target) Format(u Unit) string { return t.Text(u) }

// KPI is one catalog entry.
type KPI struct {
	ID     string
	Panel  Panel
	Title  string
	Help   string // the definition, as kpis.md states it
	Unit   Unit
	Target Target
	// F computes the KPI value from exported series (nil for KPIs with no
	// single value); PrevF computes it over the previous window for trend
	// KPIs, the trend being F / PrevF.
	F, PrevF *Formula
	// Expr is F as PromQL, summed over exporter instances; filled in from F.
	Expr string
	// PrevExpr is PrevF as PromQL.
	PrevExpr string
	// TopExpr lists the KPI's top entries (top_workflows).
	TopExpr string
	// GuardOn and GuardMin, when GuardOn is set, are a cohort-size guard:
	// the KPI is judged only while the sum of GuardOn is at least GuardMin
	// (otherwise it is reported but not judged).
	GuardOn  *Sel
	GuardMin float64
	// Guard is the guard as PromQL (filled in from GuardOn and GuardMin):
	// it returns a sample while the guard holds.
	Guard string
	// Quantile marks values estimated from histogram buckets in PromQL.
	Quantile bool
	// Series lists the exported series Expr, PrevExpr and TopExpr read.
	Series []string
	// Severity of the alert: "critical" or "warning" ("" when not judged).
	Severity string
	// For is the alert's for: duration (Prometheus duration syntax).
	For string
}

// Catalog is every KPI of kpis.md, in display order.
var Catalog = []KPI{
	{
		ID: "north_star", Panel: PanelNorthStar, Title: "Verified successful outcomes per active user (7d)",
		Help:     "Verified successful outcomes in 7d / users active in 7d.",
		Unit:     UnitPerUser,
		Target:   Target{Op: OpGT, Value: 5},
		F:        f(Ratio(S(SOutcomesVerified, "window", W7d, "status", "success"), S(SActiveUsers, "window", W7d))),
		Series:   []string{SOutcomesVerified, SActiveUsers},
		Severity: "critical", For: "6h",
	},

	// Adoption
	{
		ID: "wau", Panel: PanelAdoption, Title: "Weekly active users",
		Help: "Distinct active users in 7d.", Unit: UnitUsers,
		F:      f(Sum(S(SActiveUsers, "window", W7d))),
		Series: []string{SActiveUsers},
	},
	{
		ID: "wau_growth", Panel: PanelAdoption, Title: "WAU growth, month over month",
		Help: "WAU now / WAU as of now-28d, minus 1.", Unit: UnitRatio,
		Target: Target{Op: OpGE, Value: 0.10},
		F:      f(Formula{Kind: FRatio, Num: S(SActiveUsers, "window", W7d), Den: S(SActiveUsersMonthAgo), Minus1: true}),
		Series: []string{SActiveUsers, SActiveUsersMonthAgo}, Severity: "warning", For: "1d",
	},
	{
		ID: "dau", Panel: PanelAdoption, Title: "Daily active users",
		Help: "Distinct active users in 1d.", Unit: UnitUsers,
		F:      f(Sum(S(SActiveUsers, "window", W1d))),
		Series: []string{SActiveUsers},
	},
	{
		ID: "stickiness", Panel: PanelAdoption, Title: "Stickiness (DAU / WAU)",
		Help: "Mean over the last 7 complete UTC days of DAU(day), divided by distinct users active in those 7 days.", Unit: UnitRatio,
		Target: Target{Op: OpGE, Value: 0.40},
		F:      f(Formula{Kind: FRatio, Num: S(SStickinessDAUSum), Den: S(SStickinessUsers), Scale: 1.0 / 7}),
		Series: []string{SStickinessDAUSum, SStickinessUsers}, Severity: "warning", For: "1d",
	},
	{
		ID: "time_to_first_outcome_p50", Panel: PanelAdoption, Title: "Time to first verified outcome (median)",
		Help: "Per user: seconds from their first activity to their first verified outcome; median over users whose first verified outcome lies in 30d.", Unit: UnitSeconds,
		Target:   Target{Op: OpLT, Value: 300},
		F:        f(Quantile(0.5, STimeToFirstOutcome, "")),
		Quantile: true,
		Series:   []string{STimeToFirstOutcome}, Severity: "warning", For: "6h",
	},
	{
		ID: "first_outcome_conversion", Panel: PanelAdoption, Title: "First-day outcome conversion",
		Help: "Of users whose first activity lies in (now-30d, now-1d], the share with a verified outcome within 24 h of it.", Unit: UnitRatio,
		F:      f(Ratio(S(SNewUsersConverted), S(SNewUsers))),
		Series: []string{SNewUsersConverted, SNewUsers},
	},
	{
		ID: "setup_success", Panel: PanelAdoption, Title: "Setup success",
		Help: "Of users with a setup attempt (connector or IDE) in 7d, the share with at least one successful setup in 7d.", Unit: UnitRatio,
		Target: Target{Op: OpGT, Value: 0.80},
		F:      f(Ratio(S(SSetupSucceededUsers, "window", W7d), S(SSetupUsers, "window", W7d))),
		Series: []string{SSetupSucceededUsers, SSetupUsers}, Severity: "warning", For: "6h",
	},
	{
		ID: "retention_w1", Panel: PanelAdoption, Title: "Week-1 retention",
		Help: "Cohort = users whose first activity falls in ISO week W; retained = active in week W+1; reported for the newest W whose week W+1 has ended. Cohorts under 20 users are reported but not alerted on.", Unit: UnitRatio,
		Target:  Target{Op: OpGT, Value: 0.40},
		F:       f(Ratio(S(SRetentionRetained, "horizon", "1w"), S(SRetentionCohort, "horizon", "1w"))),
		GuardOn: sel(S(SRetentionCohort, "horizon", "1w")), GuardMin: 20,
		Series: []string{SRetentionRetained, SRetentionCohort}, Severity: "warning", For: "1h",
	},
	{
		ID: "retention_w4", Panel: PanelAdoption, Title: "Week-4 retention",
		Help: "As retention_w1, with week W+4: cohort = users whose first activity falls in ISO week W, retained = active in week W+4, for the newest W whose week W+4 has ended. Cohorts under 20 users are reported but not alerted on.", Unit: UnitRatio,
		Target:  Target{Op: OpGT, Value: 0.25},
		F:       f(Ratio(S(SRetentionRetained, "horizon", "4w"), S(SRetentionCohort, "horizon", "4w"))),
		GuardOn: sel(S(SRetentionCohort, "horizon", "4w")), GuardMin: 20,
		Series: []string{SRetentionRetained, SRetentionCohort}, Severity: "warning", For: "1h",
	},
	{
		ID: "surfaces_per_user", Panel: PanelAdoption, Title: "Surfaces per active user",
		Help: "Sum over users active in 7d of the number of distinct surfaces they used in 7d, divided by users active in 7d.", Unit: UnitPerUser,
		Target: Target{Op: OpGT, Value: 1.5},
		F:      f(Ratio(S(SUserSurfacesSum, "window", W7d), S(SActiveUsers, "window", W7d))),
		Series: []string{SUserSurfacesSum, SActiveUsers}, Severity: "warning", For: "6h",
	},

	// Outcomes
	{
		ID: "outcomes_per_user", Panel: PanelOutcomes, Title: "Outcomes per user (7d)",
		Help: "= north_star: verified successful outcomes per active user per week.", Unit: UnitPerUser,
		Target: Target{Op: OpGT, Value: 5},
		F:      f(Ratio(S(SOutcomesVerified, "window", W7d, "status", "success"), S(SActiveUsers, "window", W7d))),
		Series: []string{SOutcomesVerified, SActiveUsers}, Severity: "warning", For: "6h",
	},
	{
		ID: "top_workflows", Panel: PanelOutcomes, Title: "Top workflows (7d)",
		Help: "The 5 workflows with most verified outcomes in 7d, by count descending, ties by workflow name ascending.", Unit: UnitCount,
		TopExpr: `topk(5, sum without (instance, window) (` + SWorkflowVerified + `{window="7d",workflow!="other"}))`,
		Series:  []string{SWorkflowVerified},
	},
	{
		ID: "workflow_success", Panel: PanelOutcomes, Title: "Workflow success",
		Help: "Verified outcomes with status success / all verified outcomes, 7d.", Unit: UnitRatio,
		Target: Target{Op: OpGT, Value: 0.85},
		F:      f(Ratio(S(SOutcomesVerified, "window", W7d, "status", "success"), S(SOutcomesVerified, "window", W7d))),
		Series: []string{SOutcomesVerified}, Severity: "warning", For: "1h",
	},
	{
		ID: "arena_promotion", Panel: PanelOutcomes, Title: "Arena promotion rate",
		Help: "Arena runs with result promoted / all arena runs, 7d.", Unit: UnitRatio,
		Target: Target{Op: OpGT, Value: 0.85},
		F:      f(Ratio(S(SArenaRuns, "window", W7d, "result", "promoted"), S(SArenaRuns, "window", W7d))),
		Series: []string{SArenaRuns}, Severity: "warning", For: "1h",
	},
	{
		ID: "consensus_confidence", Panel: PanelOutcomes, Title: "Consensus confidence",
		Help: "Mean confidence (0..1) of consensus events, 7d.", Unit: UnitRatio,
		Target: Target{Op: OpGT, Value: 0.80},
		F:      f(Ratio(S(SConsensusConfidenceSu, "window", W7d), S(SConsensusEvents, "window", W7d))),
		Series: []string{SConsensusConfidenceSu, SConsensusEvents}, Severity: "warning", For: "1h",
	},
	{
		ID: "fix_loop_p50", Panel: PanelOutcomes, Title: "Fix loop (median)",
		Help: "Per reverted change: seconds from change_accepted to change_reverted; median over reverts in 30d. Trend: value / same over the previous 30d.", Unit: UnitSeconds,
		Target:   Target{Trend: TrendDecreasing},
		F:        f(Quantile(0.5, SFixLoop, W30d)),
		PrevF:    f(Quantile(0.5, SFixLoop, WPrev30)),
		Quantile: true,
		Series:   []string{SFixLoop}, Severity: "warning", For: "1d",
	},

	// Trust and reliability
	{
		ID: "tool_call_success", Panel: PanelTrust, Title: "Tool call success",
		Help: "Tool calls with status success / all tool calls, 7d; also a fast SLO alert over 5m/1h/6h windows.", Unit: UnitRatio,
		Target: Target{Op: OpGT, Value: 0.99},
		F:      f(Ratio(S(SToolCalls, "window", W7d, "status", "success"), S(SToolCalls, "window", W7d))),
		Series: []string{SToolCalls}, Severity: "critical", For: "1h",
	},
	{
		ID: "audit_completeness", Panel: PanelTrust, Title: "Audit completeness",
		Help: "Actions (tool_call, outcome, approval) with a receipt / all actions, 7d.", Unit: UnitRatio,
		Target: Target{Op: OpEQ, Value: 1},
		F:      f(Ratio(S(SActionsWithReceipt, "window", W7d), S(SActions, "window", W7d))),
		Series: []string{SActionsWithReceipt, SActions}, Severity: "critical", For: "15m",
	},
	{
		ID: "policy_blocks", Panel: PanelTrust, Title: "Policy blocks (7d)",
		Help: "Policy-block events in 7d, and per policy; trend vs the previous 7d is shown.", Unit: UnitCount,
		Target:  Target{Trend: TrendShown},
		F:       f(Sum(S(SPolicyBlocks, "window", W7d))),
		PrevF:   f(Sum(S(SPolicyBlocks, "window", WPrev7d))),
		TopExpr: `topk(5, sum without (instance, window) (` + SPolicyBlocks + `{window="7d",policy!="other"}))`,
		Series:  []string{SPolicyBlocks},
	},
	{
		ID: "security_incidents", Panel: PanelTrust, Title: "Security incidents (30d)",
		Help: "Incidents flagged security opened in 30d.", Unit: UnitCount,
		Target: Target{Op: OpEQ, Value: 0},
		F:      f(Sum(S(SSecurityIncidents, "window", W30d))),
		Series: []string{SSecurityIncidents}, Severity: "critical", For: "0s",
	},
	{
		ID: "mttr", Panel: PanelTrust, Title: "Mean time to resolve",
		Help: "Mean seconds from incident_opened to incident_resolved over incidents resolved in 30d. Trend vs the previous 30d.", Unit: UnitSeconds,
		Target: Target{Trend: TrendDecreasing},
		F:      f(Ratio(S(SResolutionSeconds, "window", W30d), S(SIncidentsResolved, "window", W30d))),
		PrevF:  f(Ratio(S(SResolutionSeconds, "window", WPrev30), S(SIncidentsResolved, "window", WPrev30))),
		Series: []string{SResolutionSeconds, SIncidentsResolved}, Severity: "warning", For: "1d",
	},
	{
		ID: "rollback_rate", Panel: PanelTrust, Title: "Rollback rate",
		Help: "CI revert events / CI merge events, 30d (audit change_reverted is the fix loop, not this).", Unit: UnitRatio,
		Target: Target{Op: OpLT, Value: 0.05},
		F:      f(Ratio(S(SReverts, "window", W30d), S(SMerges, "window", W30d))),
		Series: []string{SReverts, SMerges}, Severity: "warning", For: "6h",
	},

	// Cost
	{
		ID: "cost_per_outcome", Panel: PanelCost, Title: "Cost per successful outcome",
		Help: "Inference cost (USD; audit events and cost records, one per id) in 7d / verified successful outcomes in 7d. Trend vs the previous 7d.", Unit: UnitUSD,
		Target: Target{Trend: TrendDecreasing},
		F:      f(Ratio(S(SInferenceCost, "window", W7d), S(SOutcomesVerified, "window", W7d, "status", "success"))),
		PrevF:  f(Ratio(S(SInferenceCost, "window", WPrev7d), S(SOutcomesVerified, "window", WPrev7d, "status", "success"))),
		Series: []string{SInferenceCost, SOutcomesVerified}, Severity: "warning", For: "1d",
	},
	{
		ID: "infra_cost_per_user", Panel: PanelCost, Title: "Infra cost per active user (30d)",
		Help: "Infra cost (USD) of the 30 UTC dates ending with today's / users active in 30d.", Unit: UnitUSD,
		Target: Target{Op: OpLT, Value: 2.00, Say: "under $2 per user per month"},
		F:      f(Ratio(S(SInfraCost, "window", W30d), S(SActiveUsers, "window", W30d))),
		Series: []string{SInfraCost, SActiveUsers}, Severity: "warning", For: "6h",
	},
	{
		ID: "routing_efficiency", Panel: PanelCost, Title: "Routing efficiency",
		Help: "Inference requests (audit events and cost records, one per id) with routed = cheaper / those with any routed value (cheaper, default, fallback), 7d; requests without routed are left out.", Unit: UnitRatio,
		Target: Target{Op: OpGT, Value: 0.30},
		F:      f(Ratio(S(SInferenceRequests, "window", W7d, "routed", "cheaper"), S(SInferenceRequests, "window", W7d, "routed", "cheaper|default|fallback"))),
		Series: []string{SInferenceRequests}, Severity: "warning", For: "6h",
	},
	{
		ID: "budget_utilization", Panel: PanelCost, Title: "Budget utilisation (highest budget)",
		Help: "Spent / cap of each budget; the KPI is the highest one.", Unit: UnitRatio,
		Target: Target{Op: OpLT, Value: 0.90},
		F:      f(Formula{Kind: FMaxRatioBy, Num: S(SBudgetSpent), Den: S(SBudgetCap), By: "budget"}),
		Series: []string{SBudgetSpent, SBudgetCap}, Severity: "critical", For: "15m",
	},
	{
		ID: "arena_run_cost", Panel: PanelCost, Title: "Cost per arena run",
		Help: "Arena run cost (USD) in 7d / arena runs in 7d.", Unit: UnitUSD,
		Target: Target{Op: OpLT, Value: 0.50},
		F:      f(Ratio(S(SArenaCost, "window", W7d), S(SArenaRuns, "window", W7d))),
		Series: []string{SArenaCost, SArenaRuns}, Severity: "warning", For: "6h",
	},

	// Platform health
	{
		ID: "registry_score", Panel: PanelPlatform, Title: "Registry system score",
		Help: "The registry's overall system score on a 0..100 scale (real registries write it on 0..1; normalised).", Unit: UnitScore,
		Target: Target{Op: OpGT, Value: 85},
		F:      f(Agg("max", S(SRegistryScore))),
		Series: []string{SRegistryScore}, Severity: "warning", For: "30m",
	},
	{
		ID: "services_healthy", Panel: PanelPlatform, Title: "Healthy services",
		Help: "Healthy services / services in the latest health scan.", Unit: UnitRatio,
		Target: Target{Op: OpEQ, Value: 1},
		F:      f(Ratio(S(SServicesHealthy), S(SServicesScanned))),
		Series: []string{SServicesHealthy, SServicesScanned}, Severity: "critical", For: "10m",
	},
	{
		ID: "gateway_latency_p95", Panel: PanelPlatform, Title: "Gateway latency p95 (1h)",
		Help: "p95 of gateway (tool call) durations over the last 1h, in seconds.", Unit: UnitSeconds,
		Target:   Target{Op: OpLT, Value: 0.5},
		F:        f(Quantile(0.95, SGatewayDuration, W1h)),
		Quantile: true,
		Series:   []string{SGatewayDuration}, Severity: "warning", For: "15m",
	},
	{
		ID: "circuit_breaker_trips", Panel: PanelPlatform, Title: "Circuit breaker trips (1d)",
		Help: "Audit circuit_breaker events with state open in 1d (each event reports one transition).", Unit: UnitCount,
		Target: Target{Op: OpLT, Value: 5},
		F:      f(Sum(S(SBreakerTrips, "window", W1d))),
		Series: []string{SBreakerTrips}, Severity: "warning", For: "5m",
	},
	{
		ID: "domains_up", Panel: PanelPlatform, Title: "Domains up",
		Help: "Targets answering with a 2xx status (after redirects) within the timeout / targets probed, one per configured URL (9 by default).", Unit: UnitRatio,
		Target: Target{Op: OpEQ, Value: 1},
		F:      f(Formula{Kind: FShareOfOnes, Num: S(SProbeSuccess)}),
		Series: []string{SProbeSuccess}, Severity: "critical", For: "5m",
	},

	// Delivery
	{
		ID: "milestones_hit", Panel: PanelDelivery, Title: "Milestones hit (90d)",
		Help: "Milestones closed in 90d that were hit (the close event's ts is at or before its due, compared as instants) / all closed in 90d.", Unit: UnitRatio,
		Target: Target{Op: OpGT, Value: 0.80},
		F:      f(Ratio(S(SMilestonesClosed, "window", W90d, "hit", "true"), S(SMilestonesClosed, "window", W90d))),
		Series: []string{SMilestonesClosed}, Severity: "warning", For: "1d",
	},
	{
		ID: "cycle_time_p50", Panel: PanelDelivery, Title: "Cycle time (median)",
		Help: "Median seconds from idea (opened) to shipped, over items shipped in 30d. Trend vs the previous 30d.", Unit: UnitSeconds,
		Target:   Target{Trend: TrendDecreasing},
		F:        f(Quantile(0.5, SCycleTime, W30d)),
		PrevF:    f(Quantile(0.5, SCycleTime, WPrev30)),
		Quantile: true,
		Series:   []string{SCycleTime}, Severity: "warning", For: "1d",
	},
	{
		ID: "quality_gate_pass", Panel: PanelDelivery, Title: "Quality gate pass rate",
		Help: "Quality-gate runs (CI gates and HeadyBattle) passed / all, 7d.", Unit: UnitRatio,
		Target: Target{Op: OpGT, Value: 0.90},
		F:      f(Ratio(S(SQualityGateRuns, "window", W7d, "result", "pass"), S(SQualityGateRuns, "window", W7d))),
		Series: []string{SQualityGateRuns}, Severity: "warning", For: "1h",
	},
	{
		ID: "governance_score", Panel: PanelDelivery, Title: "Governance score (lowest repo)",
		Help: "Each repo's latest file-governance score (0..100); the KPI is the lowest of them.", Unit: UnitScore,
		Target: Target{Op: OpGT, Value: 90},
		F:      f(Agg("min", S(SGovernanceScore))),
		Series: []string{SGovernanceScore}, Severity: "warning", For: "1h",
	},
	{
		ID: "test_coverage", Panel: PanelDelivery, Title: "Test coverage (mean over repos)",
		Help: "Mean over repos of each repo's latest coverage (0..1); trend = that value / the same computed as of now-7d.", Unit: UnitRatio,
		Target: Target{Trend: TrendIncreasing},
		F:      f(Agg("avg", S(STestCoverage))),
		PrevF:  f(Agg("avg", S(STestCoverage7dAgo))),
		Series: []string{STestCoverage, STestCoverage7dAgo}, Severity: "warning", For: "1d",
	},
}

func f(x Formula) *Formula { return &x }

func sel(s Sel) *Sel { return &s }

func init() {
	for i := range Catalog {
		k := &Catalog[i]
		if k.F != nil {
			k.Expr = k.F.PromQL()
		}
		if k.PrevF != nil {
			k.PrevExpr = k.PrevF.PromQL()
		}
		if k.GuardOn != nil {
			k.Guard = fmt.Sprintf("%s >= %s", k.GuardOn.summed(), strconv.FormatFloat(k.GuardMin, 'g', -1, 64))
		}
	}
}

// Lookup returns the KPI with the given id.
func Lookup(id string) (KPI, bool) {
	for _, k := range Catalog {
		if k.ID == id {
			return k, true
		}
	}
	return KPI{}, false
}

// IDs lists every KPI id in catalog order.
func IDs() []string {
	out := make([]string, len(Catalog))
	for i, k := range Catalog {
		out[i] = k.ID
	}
	return out
}

// ByPanel returns the KPIs of one panel in catalog order.
func ByPanel(p Panel) []KPI {
	var out []KPI
	for _, k := range Catalog {
		if k.Panel == p {
			out = append(out, k)
		}
	}
	return out
}

// Recording rule names. Each KPI's value and trend are recorded under one
// metric name with labels kpi and panel, so that dashboards and alerts select
// by label.
const (
	RecordValue = "heady:kpi_value"
	RecordTrend = "heady:kpi_trend"
	RecordPrev  = "heady:kpi_previous"
)

// Selector is the PromQL selector of a KPI's recorded value.
func (k KPI) Selector(record string) string {
	return fmt.Sprintf("%s{kpi=%q}", record, k.ID)
}

// FormatValue renders v in unit u for people.
func FormatValue(u Unit, v float64) string {
	if math.IsNaN(v) || math.IsInf(v, 0) {
		return "n/a"
	}
	switch u {
	case UnitRatio:
		return trimFloat(v*100, 1) + "%"
	case UnitSeconds:
		return FormatDuration(v)
	case UnitUSD:
		if a := math.Abs(v); a > 0 && a < 0.1 {
			return "$" + trimFloat(v, 4) // cents would hide a cost per outcome of $0.0117
		}
		if s := fmt.Sprintf("%.2f", v); !strings.HasSuffix(s, ".00") {
			return "$" + s // $0.50, not $0.5
		}
		return "$" + trimFloat(v, 0)
	case UnitUsers, UnitCount:
		return trimFloat(v, 0)
	case UnitScore:
		return trimFloat(v, 1)
	}
	return trimFloat(v, 2)
}

// FormatDuration renders seconds as "45s", "5.0m", "3.2h" or "2.1d".
func FormatDuration(s float64) string {
	switch a := math.Abs(s); {
	case a < 1:
		return trimFloat(s*1000, 0) + "ms"
	case a < 120:
		return trimFloat(s, 1) + "s"
	case a < 2*3600:
		return trimFloat(s/60, 1) + "m"
	case a < 2*86400:
		return trimFloat(s/3600, 1) + "h"
	}
	return trimFloat(s/86400, 1) + "d"
}

func trimFloat(v float64, prec int) string {
	s := fmt.Sprintf("%.*f", prec, v)
	if strings.Contains(s, ".") {
		s = strings.TrimRight(strings.TrimRight(s, "0"), ".")
	}
	return s
}
