package alerts

import (
	"fmt"

	"github.com/heady/heady-metrics/exporter/event"
	"github.com/heady/heady-metrics/kpi"
)

// Query is a PromQL query a runbook tells the on-call to run, and what it
// shows.
type Query struct {
	What, Expr string
}

func q(what, expr string) Query { return Query{what, expr} }

// advice is the hand-written part of a KPI's runbook: its impact when the
// panel's is not specific enough, what usually moves it, the queries that
// break it down, where to look and what to do. The definition, target,
// alert, value query and dashboards come from the catalog.
type advice struct {
	impact  string
	causes  []string
	queries []Query
	checks  []string
	fix     []string
}

// panelImpact is what missing a KPI of a panel costs, unless the KPI's
// advice says more precisely.
var panelImpact = map[kpi.Panel]string{
	kpi.PanelNorthStar: "The headline of \"Is Heady winning?\": fewer users get verified value from Heady. Leadership reads this number in the weekly digest.",
	kpi.PanelAdoption:  "Growth and activation: fewer users come, activate or stay. Nothing is broken for current users, but the trend decides the product's direction; the weekly digest reports it.",
	kpi.PanelOutcomes:  "Users get less value per use: workflows fail or degrade. Sustained, it shows up in retention and the North Star.",
	kpi.PanelTrust:     "Reliability and auditability promises are at risk: users see failing or unaudited actions, or incidents take longer to close.",
	kpi.PanelCost:      "Spend per unit of value rises; a budget can run out before its period ends.",
	kpi.PanelPlatform:  "Users hit errors or slowness, or a Heady service or domain is unhealthy or unreachable.",
	kpi.PanelDelivery:  "The team ships slower or with lower quality; no user impact yet, but it is where the next incidents come from.",
}

var runbookAdvice = map[string]advice{
	"north_star": {
		causes:  []string{"Fewer verified successful outcomes: workflows failing, or outcomes arriving without a receipt (they are not verified).", "More active users without outcomes (a signup campaign, a new surface that activates but does not deliver).", "The audit source stopped delivering outcome events while auth keeps counting users."},
		queries: []Query{q("Verified outcomes by status (7d)", `sum by (status) (heady_outcomes_verified{window="7d"})`), q("Verified outcomes by workflow (7d): did one drop?", `sum by (workflow) (heady_outcomes_workflow_verified{window="7d"})`), q("Outcome events applied in the last hour", `sum(increase(`+kpi.SEventsIngested+`{type="outcome"}[1h]))`)},
		checks:  []string{"Outcomes drill-down: verified outcomes by status and by workflow.", "Trust drill-down: audit completeness (outcomes without a receipt are not verified)."},
		fix:     []string{"If outcome events stopped arriving, treat it as a source problem: see [source-not-updated](#source-not-updated).", "If one workflow dropped, hand it to its owning team with the workflow's numbers; if receipts are missing, see [audit_completeness](#audit_completeness).", "If active users grew without outcomes, it is a product question (onboarding), not an incident: report it in the weekly review."},
	},
	"wau": {
		causes:  []string{"Seasonality, a holiday, or the auth source missing session events."},
		queries: []Query{q("Active users by window", `sum by (window) (heady_adoption_active_users)`), q("Auth events applied per hour", `sum by (type) (increase(`+kpi.SEventsIngested+`{stream="auth"}[1h]))`)},
		checks:  []string{"Adoption drill-down: active users by window."},
		fix:     []string{"Shown only; if it dropped with no calendar reason, check that the auth source is up and fresh before reporting a product drop."},
	},
	"wau_growth": {
		causes:  []string{"Acquisition slowed or churn rose; a one-off spike four weeks ago makes the comparison base high.", "Missing auth events this week (a source problem looks like a drop)."},
		queries: []Query{q("WAU now and 28 days ago", `sum(heady_adoption_active_users{window="7d"}) / sum(heady_adoption_active_users_month_ago)`), q("Signups and sessions per day", `sum by (type) (increase(`+kpi.SEventsIngested+`{type=~"signup|session_start"}[1d]))`)},
		checks:  []string{"Adoption drill-down: WAU now and 28 days ago; signups and setup success."},
		fix:     []string{"Rule out data first (auth source up, no `read_error` or `unknown_type` growth).", "A real slowdown goes to the growth owner with the signup and setup numbers; no operational action."},
	},
	"dau": {
		causes:  []string{"Weekend or holiday; an outage of a surface; the auth source lagging."},
		queries: []Query{q("Active users (1d)", `sum(heady_adoption_active_users{window="1d"})`)},
		checks:  []string{"Adoption drill-down: active users by window."},
		fix:     []string{"Shown only; a drop on a working day with healthy sources points at a surface outage: check [domains_up](#domains_up)."},
	},
	"stickiness": {
		causes:  []string{"Users come once a week instead of daily: a workflow that needs daily use broke, or many new users tried once."},
		queries: []Query{q("Mean DAU over the last 7 days, and users active in them", `sum(heady_adoption_stickiness_daily_actives) / 7`), q("Users active in the last 7 complete days", `sum(heady_adoption_stickiness_active_users)`)},
		checks:  []string{"Adoption drill-down: DAU versus WAU; retention cohorts.", "Outcomes drill-down: did workflow success drop?"},
		fix:     []string{"If workflow success dropped in the same days, fix that first ([workflow_success](#workflow_success)).", "Otherwise report to the product owner; no operational action."},
	},
	"time_to_first_outcome_p50": {
		causes:  []string{"Onboarding friction: setup failing, connectors slow to configure.", "A first-run workflow failing so users reach an outcome later."},
		queries: []Query{q("p90 time to first outcome (30d)", `max without (instance) (`+kpi.STimeToFirstOutcomeQ+`{q="0.9"})`), q("Users who had a setup attempt but no success (7d)", `sum(heady_adoption_setup_users{window="7d"}) - sum(heady_adoption_setup_succeeded_users{window="7d"})`)},
		checks:  []string{"Adoption drill-down: setup attempts and successes, time-to-first-outcome quantiles.", "Trust drill-down: tool call success by tool."},
		fix:     []string{"Fix failing setups first ([setup_success](#setup_success)); then look for the first-run workflow with the lowest success."},
	},
	"first_outcome_conversion": {
		causes:  []string{"New users do not reach a verified outcome on day one (setup, onboarding, first workflow)."},
		queries: []Query{q("New users and those converted on day one", `sum(heady_adoption_new_users_converted) / sum(heady_adoption_new_users)`)},
		checks:  []string{"Adoption drill-down: new users and conversions; setup success."},
		fix:     []string{"As for time to first outcome: fix setup failures, then the first-run workflow."},
	},
	"setup_success": {
		impact:  "New users cannot connect a tool or IDE, so they never reach an outcome; it shows in conversion and retention a week later.",
		causes:  []string{"A connector or IDE integration broke (expired OAuth app, API change, new IDE version).", "An upstream provider outage."},
		queries: []Query{q("Users with a failed setup and no success (7d)", `sum(heady_adoption_setup_users{window="7d"}) - sum(heady_adoption_setup_succeeded_users{window="7d"})`), q("Setup events applied per hour", `sum(increase(`+kpi.SEventsIngested+`{type="setup"}[1h]))`)},
		checks:  []string{"Auth log (the `setup` events come from the auth stream): failed setups grouped by `kind` and `name`, e.g. `jq -c 'select(.type==\"setup\" and .result==\"failure\") | [.kind,.name]' auth.jsonl | sort | uniq -c`."},
		fix:     []string{"The connector or IDE with most failures is the culprit: renew its OAuth app or credentials, or roll back the integration change; tell support so new users are warned."},
	},
	"retention_w1": {
		causes:  []string{"The newest cohort had a poor first week (onboarding, reliability) or came from a low-intent channel.", "A small cohort: under 20 users the value is noisy and not alerted on."},
		queries: []Query{q("Cohort and retained users by horizon", `sum by (horizon) (heady_adoption_retention_retained_users) / sum by (horizon) (heady_adoption_retention_cohort_users)`)},
		checks:  []string{"Adoption drill-down: retention cohorts by horizon (cohort size first).", "Time to first outcome and setup success for the same weeks."},
		fix:     []string{"No operational action: report the cohort with its size and first-week setup and outcome numbers to the product owner."},
	},
	"retention_w4": {
		causes:  []string{"Users do not come back after their first month: value not sustained, reliability or cost issues."},
		queries: []Query{q("Cohort and retained users by horizon", `sum by (horizon) (heady_adoption_retention_retained_users) / sum by (horizon) (heady_adoption_retention_cohort_users)`)},
		checks:  []string{"Adoption drill-down: retention cohorts by horizon.", "Outcomes per user and workflow success over the cohort's weeks."},
		fix:     []string{"No operational action: report to the product owner with the cohort's outcomes per user."},
	},
	"surfaces_per_user": {
		causes:  []string{"A surface (IDE, web, CLI, connector) is broken or was removed; users stick to one surface."},
		queries: []Query{q("User-surface pairs and active users (7d)", `sum(heady_adoption_user_surface_pairs{window="7d"}) / sum(heady_adoption_active_users{window="7d"})`)},
		checks:  []string{"Auth log (`session_start` events carry the `surface`): sessions by surface over the last days."},
		fix:     []string{"A surface whose sessions stopped is an outage of that surface: page its owner."},
	},
	"outcomes_per_user": {
		causes:  []string{"As for the North Star: fewer verified successful outcomes or more users without outcomes."},
		queries: []Query{q("Verified outcomes by status (7d)", `sum by (status) (heady_outcomes_verified{window="7d"})`)},
		checks:  []string{"Outcomes drill-down: verified outcomes by status and workflow.", "Trust drill-down: audit completeness."},
		fix:     []string{"Follow the [north_star](#north_star) runbook."},
	},
	"top_workflows": {
		causes:  []string{"Shown only; a change in the top five shows where usage moved."},
		queries: []Query{q("Top workflows (7d)", `topk(5, sum by (workflow) (heady_outcomes_workflow_verified{window="7d"}))`)},
		checks:  []string{"Outcomes drill-down: verified outcomes by workflow over time."},
		fix:     []string{"Nothing to fix."},
	},
	"workflow_success": {
		causes:  []string{"A workflow started failing (tool errors, model regressions, a policy blocking a step).", "A new workflow with a low success rate gained volume."},
		queries: []Query{q("Verified outcomes by status, this week and last", `sum by (window, status) (heady_outcomes_verified)`), q("Verified outcomes by workflow (7d)", `sum by (workflow) (heady_outcomes_workflow_verified{window="7d"})`), q("Tool error ratio by tool (7d)", toolErrorRatio)},
		checks:  []string{"Trust drill-down: tool call success by tool and policy blocks by policy."},
		fix:     []string{"If one tool's errors rose at the same time, follow [tool_call_success](#tool_call_success).", "If a model or prompt changed, roll it back; if a policy started blocking a step, see [policy_blocks](#policy_blocks)."},
	},
	"arena_promotion": {
		causes:  []string{"Candidates lose more arena runs: a model or prompt regression, a stricter judge."},
		queries: []Query{q("Arena runs by result (7d)", `sum by (result) (heady_outcomes_arena_runs{window="7d"})`)},
		checks:  []string{"Cost drill-down: arena cost (more runs per promotion cost more)."},
		fix:     []string{"Many `failed` runs are an arena infrastructure problem (fix the runner); many `rejected` runs go to the model owners."},
	},
	"consensus_confidence": {
		causes:  []string{"Models disagree more: a provider changed a model, a routing change sends work to weaker models."},
		queries: []Query{q("Mean confidence (7d)", `sum(heady_outcomes_consensus_confidence_points{window="7d"}) / sum(heady_outcomes_consensus_events{window="7d"})`), q("Requests by routing decision (7d)", `sum by (routed) (heady_cost_inference_requests{window="7d"})`)},
		checks:  []string{"Cost drill-down: inference cost by model and routing decisions."},
		fix:     []string{"Revert the routing or model change that preceded the drop; report a provider-side model change to the model owners."},
	},
	"fix_loop_p50": {
		causes:  []string{"Reverted changes stay in longer: slower detection (tests, monitoring) or slower review of fixes."},
		queries: []Query{q("Fix loop median, this 30d and the previous", `max by (window) (`+kpi.SFixLoop+`{q="0.5"})`)},
		checks:  []string{"Delivery drill-down: quality-gate pass rate and test coverage."},
		fix:     []string{"No operational action: review the slowest reverts in the retrospective."},
	},
	"tool_call_success": {
		impact:  "Users' actions fail: every failed tool call is a step of a workflow that did not happen. This KPI is the SLO the burn-rate alerts protect.",
		causes:  []string{"A tool or its upstream API fails or times out; credentials expired; rate limits.", "The gateway is overloaded (see gateway latency and circuit breakers).", "A policy change denies calls (`status=\"denied\"`)."},
		queries: []Query{q("Error ratio by tool (7d), worst first", "sort_desc("+toolErrorRatio+")"), q("Calls by status and window", `sum by (window, status) (heady_trust_tool_calls)`), q("Failing tools in the last hour (7d counts now minus an hour ago)", toolErrorsLastHour)},
		checks:  []string{"Platform drill-down: gateway latency, circuit breaker trips, service health."},
		fix:     []string{"One tool: check its upstream status page and credentials; disable it or fail over if it keeps failing; tell its owner.", "All tools: the gateway is at fault; check its health and recent deploys, roll back.", "Mostly `denied`: a policy change; see [policy_blocks](#policy_blocks)."},
	},
	"audit_completeness": {
		impact:  "Actions happen without a receipt: they cannot be audited, and outcomes without a receipt do not count as verified (the North Star drops with it).",
		causes:  []string{"A code path emits actions without a receipt id (a new tool, a new approval flow).", "The receipts writer is failing or the receipts source is not read."},
		queries: []Query{q("Actions without a receipt (7d)", `sum(heady_trust_actions{window="7d"}) - sum(heady_trust_actions_with_receipt{window="7d"})`), q("Audit sources' skipped lines by reason (1h)", `sum by (source, reason) (increase(`+kpi.SSourceErrors+`{source=~"audit.*"}[1h])) > 0`)},
		checks:  []string{"Exporter and sources dashboard: audit and receipt sources, errors by reason."},
		fix:     []string{"If the receipts source is down or stale, fix it first ([source-down](#source-down)).", "Otherwise find the action type without receipts in the audit log and have its code path write one."},
	},
	"policy_blocks": {
		causes:  []string{"Shown only. A rise means users hit guardrails more: a new policy, a policy bug, or abuse."},
		queries: []Query{q("Top policies (7d)", `topk(5, sum by (policy) (heady_trust_policy_blocks{window="7d"}))`)},
		checks:  []string{"Trust drill-down: policy blocks by policy."},
		fix:     []string{"A policy that started blocking after a change: ask its owner whether that was intended."},
	},
	"security_incidents": {
		impact:  "A security incident is open or was opened in the last 30 days.",
		causes:  []string{"A security incident was opened in the last 30 days."},
		queries: []Query{q("Security incidents opened (30d)", `sum(heady_trust_security_incidents_opened{window="30d"})`)},
		checks:  []string{"CI stream: `incident_opened` events with `security: true`."},
		fix:     []string{"Follow the security incident process. This alert stays on until the incident is 30 days old; silence it in Alertmanager with the incident's id once the process owns it."},
	},
	"mttr": {
		causes:  []string{"Incidents take longer to resolve: harder incidents, on-call gaps, missing runbooks or dashboards."},
		queries: []Query{q("Mean resolution time, this 30d and the previous", `sum by (window) (heady_trust_incident_resolution_seconds) / sum by (window) (heady_trust_incidents_resolved)`)},
		checks:  []string{"Review the longest incidents of the window."},
		fix:     []string{"No operational action: review the slowest incidents in the retrospective."},
	},
	"rollback_rate": {
		causes:  []string{"Changes are reverted more often: weaker tests or review, a risky migration, flaky deploys."},
		queries: []Query{q("Reverts and merges (30d)", `sum(heady_delivery_reverts{window="30d"}) / sum(heady_delivery_merges{window="30d"})`), q("Deploys by environment and result (7d)", `sum by (env, result) (heady_delivery_deploys{window="7d"})`)},
		checks:  []string{"Delivery drill-down: quality-gate pass rate, test coverage, deploys by result."},
		fix:     []string{"No operational action: raise it with the engineering leads with the reverted changes."},
	},
	"cost_per_outcome": {
		causes:  []string{"More inference spend (a pricier model, longer prompts, retries) or fewer verified successes."},
		queries: []Query{q("Inference cost by model (7d), highest first", `topk(5, sum by (provider, model) (heady_cost_inference_by_model_usd{window="7d"}))`), q("Inference cost this week and last", `sum by (window) (heady_cost_inference_usd)`)},
		checks:  []string{"Outcomes drill-down: verified successes."},
		fix:     []string{"A model whose cost jumped: check routing ([routing_efficiency](#routing_efficiency)) and retries; revert the change that moved traffic to it."},
	},
	"infra_cost_per_user": {
		causes:  []string{"Infra cost rose (new environment, over-provisioning) or active users fell."},
		queries: []Query{q("Infra cost (30d) and active users (30d)", `sum(heady_cost_infra_usd{window="30d"}) / sum(heady_adoption_active_users{window="30d"})`)},
		checks:  []string{"The cost API's infra series for the days that rose."},
		fix:     []string{"Hand the days with the rise to the infrastructure owner; scale down what was left running."},
	},
	"routing_efficiency": {
		causes:  []string{"The router sends fewer requests to the cheaper route: a router config change, the cheaper provider failing (fallbacks)."},
		queries: []Query{q("Requests by routing decision (7d)", `sum by (routed) (heady_cost_inference_requests{window="7d"})`)},
		checks:  []string{"Platform drill-down: provider and gateway health."},
		fix:     []string{"Many `fallback`: the cheaper provider fails; check its status. Many `default`: revert the router configuration change."},
	},
	"budget_utilization": {
		impact:  "A budget is close to its cap: when it is reached, spending stops or overruns, depending on the budget's owner.",
		causes:  []string{"Usage growth, a runaway job, a pricing change."},
		queries: []Query{q("Utilisation by budget", `max by (budget) (heady_cost_budget_spent_usd) / max by (budget) (heady_cost_budget_cap_usd > 0)`), q("Inference cost by model (7d)", `topk(5, sum by (provider, model) (heady_cost_inference_by_model_usd{window="7d"}))`)},
		checks:  []string{"Cost drill-down: budget utilisation by budget."},
		fix:     []string{"A runaway job: stop it. Otherwise decide with the budget owner whether to raise the cap (`sources.cost.budget_caps` if the API sends none) or throttle."},
	},
	"arena_run_cost": {
		causes:  []string{"Arena runs use more or pricier model calls."},
		queries: []Query{q("Arena cost per run (7d)", `sum(heady_cost_arena_usd{window="7d"}) / sum(heady_outcomes_arena_runs{window="7d"})`)},
		checks:  []string{"Outcomes drill-down: arena runs by result."},
		fix:     []string{"Ask the arena owners which configuration change raised the calls per run; revert it if unintended."},
	},
	"registry_score": {
		causes:  []string{"The registry's health scan found degraded components or services.", "The registry file is stale (no scan ran)."},
		queries: []Query{q("Components by status and criticality", `sum by (status, criticality) (heady_platform_components)`), q("Seconds since the registry's last scan", `time() - max(heady_platform_registry_last_scan_timestamp_seconds)`)},
		checks:  []string{"Exporter and sources dashboard: is the registry source fresh?"},
		fix:     []string{"Fix the critical components the scan reports; if the scan is old, re-run Heady's health scan."},
	},
	"services_healthy": {
		causes:  []string{"A service failed its health check in the latest scan."},
		queries: []Query{q("Unhealthy services", `max by (service) (heady_platform_service_healthy) == 0`), q("Scan latency by service, slowest first", `topk(5, max by (service) (heady_platform_service_scan_latency_seconds))`)},
		checks:  []string{"The unhealthy service's own logs and dashboards."},
		fix:     []string{"Page the owner of the unhealthy service; restart or roll back per its own runbook."},
	},
	"gateway_latency_p95": {
		causes:  []string{"A slow upstream tool or model provider; gateway saturation; retries."},
		queries: []Query{q("Gateway latency p99 (1h)", `histogram_quantile(0.99, sum by (le) (heady_platform_gateway_duration_seconds_bucket{window="1h"}))`), q("Circuit breaker trips (1d)", `sum(heady_platform_circuit_breaker_trips{window="1d"})`)},
		checks:  []string{"Trust drill-down: tool call success by tool (slow tools often fail too)."},
		fix:     []string{"Scale the gateway if it is saturated; otherwise find the slow upstream and open its breaker or fail over."},
	},
	"circuit_breaker_trips": {
		causes:  []string{"Upstreams failing repeatedly, so breakers open."},
		queries: []Query{q("Trips (1d)", `sum(heady_platform_circuit_breaker_trips{window="1d"})`), q("Tool error ratio by tool (7d)", toolErrorRatio)},
		checks:  []string{"Audit log: `circuit_breaker` events with `state: open`, grouped by `service`."},
		fix:     []string{"Fix or fail over the upstream whose breaker trips; the breaker itself is doing its job."},
	},
	"domains_up": {
		impact:  "A public Heady domain does not answer: users of that domain see an outage.",
		causes:  []string{"Outage, DNS, TLS certificate expired, redirect loop, or a firewall between the exporter and the domain."},
		queries: []Query{q("Failing targets", `max by (target) (heady_probe_success) == 0`), q("Last HTTP status by target", `max by (target) (heady_probe_http_status_code)`), q("Days until each certificate expires", `(min by (target) (heady_probe_tls_cert_expiry_timestamp_seconds) - time()) / 86400`)},
		checks:  []string{"`curl -v` the failing target from the exporter's host (the probe's network view)."},
		fix:     []string{"Status 0 and DNS or connection errors: DNS or network; 5xx: the service behind the domain; expired certificate: renew it. Page the domain's owner."},
	},
	"milestones_hit": {
		causes:  []string{"Milestones close after their due date: scope creep, under-estimation, blocked dependencies."},
		queries: []Query{q("Milestones closed by hit (90d)", `sum by (hit) (heady_delivery_milestones_closed{window="90d"})`)},
		checks:  []string{"Delivery drill-down: milestones closed by hit."},
		fix:     []string{"No operational action: planning review."},
	},
	"cycle_time_p50": {
		causes:  []string{"Work takes longer from idea to shipped: larger items, review or deploy bottlenecks."},
		queries: []Query{q("Cycle time median, this 30d and the previous", `histogram_quantile(0.5, sum by (le, window) (heady_delivery_cycle_time_seconds_bucket))`)},
		checks:  []string{"Delivery drill-down: cycle time quantiles, deploys and quality gates."},
		fix:     []string{"No operational action: planning review."},
	},
	"quality_gate_pass": {
		causes:  []string{"Quality gates fail more: flaky tests, a stricter gate, a broken toolchain."},
		queries: []Query{q("Gate runs by result (7d)", `sum by (result) (heady_delivery_quality_gate_runs{window="7d"})`)},
		checks:  []string{"CI stream: `quality_gate` events with `result: fail`, grouped by `repo` and `gate`."},
		fix:     []string{"A broken toolchain or one flaky gate: fix or quarantine it; otherwise raise it with the repo owners."},
	},
	"governance_score": {
		causes:  []string{"A repo's file-governance score dropped (missing owners, licences, policies)."},
		queries: []Query{q("Lowest repos", `bottomk(5, min by (repo) (heady_delivery_governance_score))`)},
		checks:  []string{"Delivery drill-down: governance score by repo."},
		fix:     []string{"Ask the lowest repo's owners to add the missing governance files."},
	},
	"test_coverage": {
		causes:  []string{"Code landed without tests, or tests were removed or disabled."},
		queries: []Query{q("Coverage change by repo over 7 days", `min by (repo) (heady_delivery_test_coverage_ratio) - min by (repo) (heady_delivery_test_coverage_7d_ago_ratio)`)},
		checks:  []string{"Delivery drill-down: test coverage by repo, now and 7 days ago."},
		fix:     []string{"Ask the owners of the repo whose coverage fell to restore the tests."},
	},
}

// Queries shared by several runbooks.
const (
	toolErrorRatio     = `sum by (tool) (heady_trust_tool_calls_by_tool{window="7d",status!="success"}) / sum by (tool) (heady_trust_tool_calls_by_tool{window="7d"})`
	toolErrorsLastHour = `topk(5, sum by (tool, status) (heady_trust_tool_calls_by_tool{window="7d",status!="success"}) - sum by (tool, status) (heady_trust_tool_calls_by_tool{window="7d",status!="success"} offset 1h))`
)

// reasonFix is what a skip or error reason of heady_source_errors_total
// means to the on-call, and the fix.
type reasonFix struct{ means, fix string }

// reasonFixes maps every reason to its fix (TestReasonFixes checks every
// event.Reasons value has one).
var reasonFixes = map[event.Reason]reasonFix{
	event.ReasonTruncated:    {"lines that are not one whole JSON value: a producer writing pretty-printed or partial lines, or a file cut mid-line (disk full, copytruncate race)", "fix the producer to write one object per line, flushed whole; check the producer's disk"},
	event.ReasonNotObject:    {"valid JSON lines that are not objects", "the file is not an event log (wrong glob); narrow `paths`"},
	event.ReasonInvalidUTF8:  {"bytes that are not UTF-8", "the producer writes another encoding, or the glob matches a binary file (a `.gz` without the suffix)"},
	event.ReasonMissingTS:    {"lines without `ts`", "the producer changed shape: fix it, or read the file with a preset or mapping ([formats.md](formats.md))"},
	event.ReasonBadTS:        {"`ts` in a form the contract refuses", "use RFC 3339 with a zone or an epoch ([events.md](events.md#timestamps))"},
	event.ReasonUnknownType:  {"a `type` that is not in the contract", "a producer sends a new or misspelt type, or a Heady file is read as `canonical` instead of with its preset"},
	event.ReasonFuture:       {"events more than 5 minutes after now", "the producer's clock or time zone is wrong (local time written with `Z`): fix NTP or the time zone"},
	event.ReasonTooLong:      {"lines longer than `max_line_bytes`", "raise `max_line_bytes` for the input, or stop the producer logging whole payloads"},
	event.ReasonBadField:     {"a known field of the wrong JSON type (or a cost record, budget or infra day that cannot be used)", "fix the producer to send the documented types ([events.md](events.md))"},
	event.ReasonUnmapped:     {"lines no preset or mapping rule matched (not an error)", "nothing, unless those lines should count: extend the mapping"},
	event.ReasonDuplicate:    {"ids seen before (not an error)", "nothing; a sudden rise means a file is read twice (two globs match it) or a producer reuses ids"},
	event.ReasonTooOld:       {"events older than the engine's history (reserved, not counted today)", "nothing"},
	event.ReasonReadError:    {"an input could not be read: permissions, a vanished file or directory, an I/O error, a cost file that cannot be opened", "the exporter's log names the file: fix ownership or permissions for the exporter's user, or the path"},
	event.ReasonFetchError:   {"a polled URL failed after its retries: connection refused, timeout, DNS, TLS, a non-2xx status, 401/403", "reach the URL from the exporter's host (`curl -v`); fix the credentials file (`bearer_token_file`, `basic_auth`), the URL or the upstream service"},
	event.ReasonParseError:   {"a polled document could not be read at all; the last good values stay, marked stale", "fix the document (the registry file or the cost API's body); the exporter's log shows what was wrong"},
	event.ReasonPartialParse: {"a polled document was only partly recovered (merge-conflict markers, trailing text, duplicate keys, wrong value types)", "resolve the merge conflict or fix the writer; what could be read is used meanwhile"},
}

// opsRunbook is the runbook of an alert that is not a KPI's.
type opsRunbook struct {
	title, means, impact string
	causes               []string
	queries              []Query
	fix                  []string
	// reasons adds the reason-to-fix table of heady_source_errors_total.
	reasons bool
}

// errorsByReason is the query that names the failing reason of a source.
const errorsByReason = `sum by (source, reason) (increase(` + kpi.SSourceErrors + `[1h])) > 0`

// opsRunbooks are the runbooks of the exporter's and the sources' alerts,
// by alert name. An alert of the rules without an entry here fails the
// generator (Runbooks).
func opsRunbooks(o Options) map[string]opsRunbook {
	up := fmt.Sprintf(`up{job=%q}`, o.Job)
	return map[string]opsRunbook{
		AlertExporterAbsent: {
			title:   "heady-exporter absent",
			means:   fmt.Sprintf("Prometheus has no target of job `%s` at all.", o.Job),
			impact:  "No KPI is computed and no KPI alert can fire: every dashboard is empty or frozen. Treat it as an outage of the monitoring itself.",
			causes:  []string{"The exporter is not deployed or its service discovery lost it.", fmt.Sprintf("The scrape job is named differently from `%s`: the rules were generated for that job name (`heady-gen -job`).", o.Job), "Prometheus's configuration was reloaded without the heady job."},
			queries: []Query{q("Targets of the job", up), q("Any heady-exporter series under another job", `count by (job) (`+kpi.SBuildInfo+`)`)},
			fix:     []string{"If the second query returns another job name, regenerate the rules with `go run ./cmd/heady-gen -job=<that name> -out .` or rename the job ([operations.md](operations.md#scrape-the-exporter)).", "Otherwise start the exporter (`systemctl status heady-exporter`) and check the scrape configuration (Status > Targets)."},
		},
		AlertExporterDown: {
			title:   "heady-exporter down",
			means:   "A target of the exporter's job fails its scrapes.",
			impact:  "Its users' numbers are missing from every sum: KPIs computed over several exporters are wrong, not only late.",
			causes:  []string{"The process is down or restarting (crash, OOM kill).", "TLS or basic auth on the exporter does not match the scrape configuration.", "The scrape times out: more than `--web.max-requests` concurrent scrapes, or a very slow host."},
			queries: []Query{q("Failing targets", up+" == 0"), q("Scrape duration by target", fmt.Sprintf(`scrape_duration_seconds{job=%q}`, o.Job)), q("Restarts: process start time by target", fmt.Sprintf(`process_start_time_seconds{job=%q}`, o.Job))},
			fix:     []string{"Prometheus: Status > Targets shows the scrape error. `connection refused`: the process is down; `journalctl -u heady-exporter` shows why (a config error exits with code 2).", "`401`/`TLS` errors: align `--web.config.file` with the scrape job's `basic_auth`/`tls_config`.", "`context deadline exceeded`: raise the scrape timeout or `--web.max-requests`; check the host's load."},
		},
		AlertSourceDown: {
			title:   "A source is down",
			means:   "The source's last read or poll failed, and has kept failing for 10 minutes.",
			impact:  "The KPIs computed from it are frozen (polled sources) or partial (event files): they drift from the truth while the source is down. Nothing is lost for files: they are read from the saved position once readable again.",
			causes:  []string{"See the reason of `" + kpi.SSourceErrors + "` below: a file that cannot be read, a URL that fails, a document that cannot be parsed."},
			queries: []Query{q("Errors by source and reason over the last hour", errorsByReason), q("Sources down", kpi.SSourceUp+` == 0`)},
			fix:     []string{"Fix the cause the reason names (table below); the source recovers on its next read, no restart needed.", "After changing paths or URLs in the configuration: `curl -X POST <exporter>/-/reload`."},
			reasons: true,
		},
		AlertSourceStale: {
			title:   "A source serves stale values",
			means:   "A polled source (registry, cost, probe) failed and the exporter keeps serving its last good values.",
			impact:  "Budgets, registry health or infra cost shown are as of the last good poll, not now.",
			causes:  []string{"The registry file or cost API cannot be fetched or parsed (reason below)."},
			queries: []Query{q("Stale sources", kpi.SSourceStale+` == 1`), q("Errors by source and reason over the last hour", errorsByReason)},
			fix:     []string{"Fix the cause the reason names (table below); the next good poll clears the alert."},
			reasons: true,
		},
		AlertSourceOld: {
			title:   "A source has not succeeded recently",
			means:   fmt.Sprintf("The source's last successful read or poll is older than %s, whether or not it reports errors.", o.SourceStaleAfter),
			impact:  "The KPIs fed by the source stop moving; for event files this usually means the producer stopped writing, which looks like a product drop on the dashboards.",
			causes:  []string{"The producer stopped writing (its service is down) or writes to a file name the configured glob does not match after rotation.", "Files that cannot be read (`read_error`)."},
			queries: []Query{q("Seconds since each source's last success", `time() - `+kpi.SSourceLastSuccess), q("Events applied per source stream in the last hour", `sum by (stream) (increase(`+kpi.SEventsIngested+`[1h]))`), q("Errors by source and reason over the last hour", errorsByReason)},
			fix:     []string{"`ls -l` the configured paths on the exporter's host: is the newest file growing, and does the glob match it? Widen the glob (`audit-*.jsonl*`) and reload.", "If the producer stopped, restart it; its events are read from where the exporter stopped."},
			reasons: true,
		},
		AlertCheckpointLoadFailed: {
			title:  "The checkpoint could not be loaded",
			means:  "At its last start the exporter found a checkpoint in `state_dir` that it could not load (damaged, truncated, written by an incompatible version, or by an exporter of another shard layout). It renamed the file, unchanged, to `checkpoint.bin.unloadable-<UTC time>` and rebuilt its state by reading every input from its beginning.",
			impact: "The numbers are exact for every event still on disk; events of logs already rotated away or deleted are missing from the windows until the windows slide past them (at most 30 days for the longest KPIs). Nothing is counted twice.",
			causes: []string{"A disk or filesystem error damaged the file (the log says `checksum mismatch` or `damaged checkpoint`).", "The exporter was downgraded to a version that does not read the newer format (`not a heady-exporter checkpoint (or an incompatible version)`).", "The shard layout changed (`--shard.count`, `--shard.index`, the config's `shard` block, or the Helm chart's `shards`): a checkpoint holds one shard's share of the users and counts, so every instance whose shard changed set its own aside and rebuilt for the new layout (`saved by an exporter that was shard 1 of 3 ...; this one is shard 1 of 4 ...`). Expected once per instance after a re-shard.", "Someone edited or truncated the file."},
			queries: []Query{
				q("Instances that moved a checkpoint aside at their last start", kpi.SCheckpointLoadFailures+" > 0"),
				q("Events applied per stream since (the rebuild re-read the inputs)", `sum by (instance, stream) (increase(`+kpi.SEventsIngested+`[1h]))`),
			},
			fix: []string{"`journalctl -u heady-exporter | grep 'checkpoint could not be loaded'` gives the reason and the path it was moved to.", "Keep the moved file if the reason is not a known disk failure, downgrade or re-shard, and attach it to a bug report; delete it when done (it is never read again).", "If rotated logs are still archived elsewhere, put them back under the configured globs before the next restart and the windows fill again; otherwise nothing to do.", "The alert resolves at the exporter's next restart (`systemctl restart heady-exporter`), which loads the new, good checkpoint."},
		},
		AlertCheckpointFailing: {
			title:  "Checkpoint writes fail",
			means:  "The exporter has failed to write its checkpoint (engine state and read positions, saved together) to `state_dir` for 15 minutes.",
			impact: "Numbers are right while the process runs. A restart resumes from the last good checkpoint and re-reads the logs since (slower to become ready); events in logs rotated away since that checkpoint would be missing.",
			causes: []string{"The disk holding `state_dir` is full or read-only (`ProtectSystem=strict` without the directory in `ReadWritePaths`).", "`state_dir` was removed, or belongs to another user (a unit without `StateDirectory=`, a container volume owned by root)."},
			queries: []Query{
				q("Checkpoint write failures in the last hour", fmt.Sprintf("increase(%s[1h])", kpi.SEngineCheckpointErr)),
				q("Seconds since the last successful checkpoint", fmt.Sprintf("time() - %s", kpi.SEngineCheckpoint)),
			},
			fix: []string{"`journalctl -u heady-exporter | grep 'checkpoint failed'` names the path and the error.", "Free disk space, or recreate the directory with the exporter's owner (`install -d -o heady -g heady -m 0750 /var/lib/heady-exporter`, or `StateDirectory=heady-exporter` in the unit: [operations.md](operations.md#run-it-as-a-service)).", "The next checkpoint (every `engine.checkpoint_interval`) stops the failures; do not restart the exporter before it succeeds."},
		},
		AlertReloadFailed: {
			title:  "A configuration reload was refused",
			means:  "The last reload (SIGHUP, `systemctl reload` or `POST /-/reload`) did not load: the new file is invalid, a file it names cannot be read, or its sources could not be rebuilt. The previous configuration stays in force.",
			impact: "The change you meant to make is not applied; the next restart fails with exit code 2 while the file stays invalid.",
			causes: []string{"An unknown key, a bad duration, a missing required field, a mapping that does not compile.", "A file it names cannot be read: the webhook secret, a credentials file."},
			queries: []Query{
				q("Instances whose last reload failed", kpi.SConfigReloadOK+" == 0"),
				q("Seconds since the last successful configuration load", "time() - "+kpi.SConfigReloadTime),
			},
			fix: []string{"`heady-exporter --config.file=/etc/heady/heady-exporter.yml --config.check` prints `FILE:LINE: key: message`; fix the file and reload again; the alert resolves on the next successful reload.", "Until it is fixed, do not restart the exporter: it would refuse to start."},
		},
	}
}

// opsRunbookFor is the runbook of an alert outside the KPI catalog: its
// entry in opsRunbooks. There is no fallback: an alert without its own
// entry fails the generator.
func opsRunbookFor(o Options, r Rule) (opsRunbook, bool) {
	rb, ok := opsRunbooks(o)[r.Alert]
	return rb, ok
}

// burnUrgency is how fast the on-call must act on a burn-rate alert of a
// severity.
func burnUrgency(severity string) string {
	if severity == "critical" {
		return "Page: acknowledge now and mitigate within the hour; at this rate the budget is gone before the next working day."
	}
	return "Ticket: act within the working day; the budget lasts about a day at this rate, so it must not wait for the weekend."
}
