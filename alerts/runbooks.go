package alerts

// advice is the hand-written part of a KPI's runbook: what usually moves the
// KPI and what to look at first. Everything else in a runbook section (the
// definition, target, alert and dashboard) comes from the catalog.
type advice struct {
	causes []string
	checks []string
}

var runbookAdvice = map[string]advice{
	"north_star": {
		causes: []string{"Fewer verified successful outcomes: workflows failing or outcomes arriving without a receipt (they are not verified).", "More active users without outcomes (a signup campaign, a new surface that activates but does not deliver).", "The audit source stopped delivering outcome events while auth keeps counting users."},
		checks: []string{"Outcomes drill-down: verified outcomes by status and by workflow; did one workflow drop?", "Trust drill-down: audit completeness (outcomes without a receipt are not verified).", "Exporter and sources dashboard: is the audit source up and fresh?"},
	},
	"wau": {
		causes: []string{"Seasonality, a holiday, or the auth source missing session events."},
		checks: []string{"Adoption drill-down: active users by window.", "Exporter and sources dashboard: auth and audit sources up."},
	},
	"wau_growth": {
		causes: []string{"Acquisition slowed or churn rose; a one-off spike four weeks ago makes the comparison base high.", "Missing auth events this week (a source problem looks like a drop)."},
		checks: []string{"Adoption drill-down: WAU now and 28 days ago.", "Compare with signups and setup success; check the auth source's freshness."},
	},
	"dau": {
		causes: []string{"Weekend or holiday; an outage of a surface; the auth source lagging."},
		checks: []string{"Adoption drill-down: active users by window.", "Exporter and sources dashboard."},
	},
	"stickiness": {
		causes: []string{"Users come once a week instead of daily: a workflow that needs daily use broke, or many new users tried once."},
		checks: []string{"Adoption drill-down: DAU versus WAU; retention cohorts.", "Outcomes drill-down: did workflow success drop?"},
	},
	"time_to_first_outcome_p50": {
		causes: []string{"Onboarding friction: setup failing, connectors slow to configure.", "A first-run workflow failing so users reach an outcome later."},
		checks: []string{"Adoption drill-down: setup attempts and successes, time-to-first-outcome quantiles.", "Trust drill-down: tool call success by tool."},
	},
	"first_outcome_conversion": {
		causes: []string{"New users do not reach a verified outcome on day one (setup, onboarding, first workflow)."},
		checks: []string{"Adoption drill-down: new users and conversions; setup success."},
	},
	"setup_success": {
		causes: []string{"A connector or IDE integration broke (expired OAuth app, API change, new IDE version).", "An upstream provider outage."},
		checks: []string{"Adoption drill-down: setup attempts versus successes.", "Audit log: setup events with status failure, grouped by connector or IDE."},
	},
	"retention_w1": {
		causes: []string{"The newest cohort had a poor first week (onboarding, reliability) or came from a low-intent channel.", "A small cohort: under 20 users the value is noisy and not alerted on."},
		checks: []string{"Adoption drill-down: retention cohorts by horizon (cohort size first).", "Time to first outcome and setup success for the same weeks."},
	},
	"retention_w4": {
		causes: []string{"Users do not come back after their first month: value not sustained, reliability or cost issues."},
		checks: []string{"Adoption drill-down: retention cohorts by horizon.", "Outcomes per user and workflow success over the cohort's weeks."},
	},
	"surfaces_per_user": {
		causes: []string{"A surface (IDE, web, CLI, connector) is broken or was removed; users stick to one surface."},
		checks: []string{"Adoption drill-down; audit events by surface in the source logs."},
	},
	"outcomes_per_user": {
		causes: []string{"As for the North Star: fewer verified successful outcomes or more users without outcomes."},
		checks: []string{"Outcomes drill-down: verified outcomes by status and workflow.", "Trust drill-down: audit completeness."},
	},
	"top_workflows": {
		causes: []string{"Shown only; a change in the top five shows where usage moved."},
		checks: []string{"Outcomes drill-down: verified outcomes by workflow over time."},
	},
	"workflow_success": {
		causes: []string{"A workflow started failing (tool errors, model regressions, a policy blocking a step).", "A new workflow with a low success rate gained volume."},
		checks: []string{"Outcomes drill-down: verified outcomes by status and by workflow.", "Trust drill-down: tool call success by tool and policy blocks by policy."},
	},
	"arena_promotion": {
		causes: []string{"Candidates lose more arena runs: a model or prompt regression, a stricter judge."},
		checks: []string{"Outcomes drill-down: arena runs by result.", "Cost drill-down: arena cost (more runs per promotion cost more)."},
	},
	"consensus_confidence": {
		causes: []string{"Models disagree more: a provider changed a model, a routing change sends work to weaker models."},
		checks: []string{"Outcomes drill-down: consensus events.", "Cost drill-down: inference cost by model and routing decisions."},
	},
	"fix_loop_p50": {
		causes: []string{"Reverted changes stay in longer: slower detection (tests, monitoring) or slower review of fixes."},
		checks: []string{"Outcomes drill-down: fix loop quantiles this 30d and the previous 30d.", "Delivery drill-down: quality-gate pass rate and test coverage."},
	},
	"tool_call_success": {
		causes: []string{"A tool or its upstream API fails or times out; credentials expired; rate limits.", "The gateway is overloaded (see gateway latency and circuit breakers)."},
		checks: []string{"Trust drill-down: tool call success by tool and the error ratio by SLO window.", "Platform drill-down: gateway latency, circuit breaker trips, service health."},
	},
	"audit_completeness": {
		causes: []string{"A code path emits actions without a receipt id (a new tool, a new approval flow).", "The receipts writer is failing or the receipts source is not read."},
		checks: []string{"Trust drill-down: actions with and without receipt.", "Exporter and sources dashboard: audit and receipt sources, errors by reason."},
	},
	"policy_blocks": {
		causes: []string{"Shown only. A rise means users hit guardrails more: a new policy, a policy bug, or abuse."},
		checks: []string{"Trust drill-down: policy blocks by policy."},
	},
	"security_incidents": {
		causes: []string{"A security incident was opened in the last 30 days."},
		checks: []string{"Follow the security incident process; this alert stays on until the incident is 30 days old, and on-call and the KPI channel are told once when it starts and once when it resolves, not every hour: record the incident's ticket in the Slack thread so the 30 days are accounted for.", "A second incident inside the 30 days does not re-notify (the alert is already firing): the incident process, not this alert, announces it.", "Audit log: incident_opened events flagged security."},
	},
	"mttr": {
		causes: []string{"Incidents take longer to resolve: harder incidents, on-call gaps, missing runbooks or dashboards."},
		checks: []string{"Trust drill-down: incidents resolved this 30d and the previous 30d.", "Review the longest incidents of the window."},
	},
	"rollback_rate": {
		causes: []string{"Changes are reverted more often: weaker tests or review, a risky migration, flaky deploys."},
		checks: []string{"Trust drill-down: merges and reverts.", "Delivery drill-down: quality-gate pass rate, test coverage, deploys by result."},
	},
	"cost_per_outcome": {
		causes: []string{"More inference spend (a pricier model, longer prompts, retries) or fewer verified successes."},
		checks: []string{"Cost drill-down: inference cost by model, routing decisions.", "Outcomes drill-down: verified successes."},
	},
	"infra_cost_per_user": {
		causes: []string{"Infra cost rose (new environment, over-provisioning) or active users fell."},
		checks: []string{"Cost drill-down: infra cost (30d).", "Adoption drill-down: active users (30d)."},
	},
	"routing_efficiency": {
		causes: []string{"The router sends fewer requests to the cheaper route: a router config change, the cheaper provider failing (fallbacks)."},
		checks: []string{"Cost drill-down: inference requests by routing decision.", "Platform drill-down: provider and gateway health."},
	},
	"budget_utilization": {
		causes: []string{"A budget is close to its cap: usage growth, a runaway job, a pricing change."},
		checks: []string{"Cost drill-down: budget utilisation by budget, inference cost by model.", "Decide with the budget owner whether to raise the cap or throttle."},
	},
	"arena_run_cost": {
		causes: []string{"Arena runs use more or pricier model calls."},
		checks: []string{"Cost drill-down: arena cost; Outcomes drill-down: arena runs by result."},
	},
	"registry_score": {
		causes: []string{"The registry's health scan found degraded components or services."},
		checks: []string{"Platform drill-down: service health, components by status and criticality.", "Exporter and sources dashboard: is the registry source fresh?"},
	},
	"services_healthy": {
		causes: []string{"A service failed its health check in the latest scan."},
		checks: []string{"Platform drill-down: service health by service and scan latency.", "The service's own logs and dashboards."},
	},
	"gateway_latency_p95": {
		causes: []string{"A slow upstream tool or model provider; gateway saturation; retries."},
		checks: []string{"Platform drill-down: gateway latency quantiles, circuit breakers.", "Trust drill-down: tool call success by tool (slow tools often fail too)."},
	},
	"circuit_breaker_trips": {
		causes: []string{"Upstreams failing repeatedly, so breakers open."},
		checks: []string{"Platform drill-down: circuit breakers; Trust drill-down: tool call success by tool."},
	},
	"domains_up": {
		causes: []string{"A Heady domain does not answer 2xx within the timeout: outage, DNS, TLS certificate expired, redirect loop."},
		checks: []string{"Platform drill-down: probe success, HTTP status, probe duration and TLS expiry by target.", "curl -v the failing target from the exporter's network."},
	},
	"milestones_hit": {
		causes: []string{"Milestones close after their due date: scope creep, under-estimation, blocked dependencies."},
		checks: []string{"Delivery drill-down: milestones closed by hit."},
	},
	"cycle_time_p50": {
		causes: []string{"Work takes longer from idea to shipped: larger items, review or deploy bottlenecks."},
		checks: []string{"Delivery drill-down: cycle time quantiles, deploys and quality gates."},
	},
	"quality_gate_pass": {
		causes: []string{"Quality gates fail more: flaky tests, a stricter gate, a broken toolchain."},
		checks: []string{"Delivery drill-down: quality-gate runs by result."},
	},
	"governance_score": {
		causes: []string{"A repo's file-governance score dropped (missing owners, licences, policies)."},
		checks: []string{"Delivery drill-down: governance score by repo."},
	},
	"test_coverage": {
		causes: []string{"Code landed without tests, or tests were removed or disabled."},
		checks: []string{"Delivery drill-down: test coverage by repo, now and 7 days ago."},
	},
}

// exporterRunbooks are the runbook sections of the alerts that are not a
// KPI's.
var exporterRunbooks = []struct {
	alert, title, means string
	checks              []string
}{
	{AlertExporterAbsent, "heady-exporter absent",
		"Prometheus has no target of the exporter's job: no KPI is computed and no KPI alert can fire.",
		[]string{"Prometheus: Status > Targets; is the job configured and the service discovered?", "Is heady-exporter deployed and running?"}},
	{AlertExporterDown, "heady-exporter down",
		"A target of the exporter's job fails its scrapes: its users' numbers are missing from every sum.",
		[]string{"Prometheus: Status > Targets shows the scrape error.", "The exporter's logs, /-/healthy and /-/ready."}},
	{AlertSourceDown, "A source is down",
		"The source's last read or poll failed. KPIs computed from it are frozen or partial.",
		[]string{"Exporter and sources dashboard: errors by reason for the source.", "The exporter's status page and logs; the file paths or URL of the source in the config."}},
	{AlertSourceStale, "A source serves stale values",
		"A polled source (registry, cost, probe) failed and the exporter keeps serving its last good values.",
		[]string{"Exporter and sources dashboard.", "Reach the source's URL from the exporter's network; check credentials."}},
	{AlertSourceOld, "A source has not succeeded recently",
		"The source's last successful read or poll is older than the configured limit, whether or not it reports errors.",
		[]string{"Exporter and sources dashboard: seconds since last success.", "For file sources: is the producer still writing? Did the file rotate to a name the configured glob misses?"}},
	{AlertCheckpointLoadFailed, "The checkpoint could not be loaded",
		"At its last start the exporter found a checkpoint it could not load (damaged, truncated, or written by an incompatible version). It moved the file aside, unchanged, as checkpoint.bin.unloadable-<time> in state_dir, and rebuilt its state from the logs still on disk: events of logs already rotated away are missing until the windows slide past them.",
		[]string{"The exporter's ERROR log line 'checkpoint could not be loaded' gives the reason and the file it was moved to.", "Keep the moved file for a bug report if the reason is not a full disk or a crash of the disk; delete it when done.", "The alert resolves at the next restart of the exporter."}},
	{AlertCheckpointFailing, "Checkpoint writes fail",
		"The exporter cannot write its checkpoint (positions and state) to state_dir. Numbers stay right while it runs; a restart would resume from the last good checkpoint and re-read the logs since.",
		[]string{"The exporter's ERROR log line 'checkpoint failed' gives the reason: a full disk, a read-only or missing state_dir, permissions.", "state_dir must exist and be writable by the exporter's user.", "heady_exporter_checkpoint_last_success_timestamp_seconds tells how old the last good checkpoint is."}},
	{AlertReloadFailed, "A configuration reload was refused",
		"The last reload (SIGHUP or POST /-/reload) did not load: the previous configuration stays in force, so the change you made is not applied.",
		[]string{"The exporter's ERROR log line 'reload refused' names the file, line and key.", "heady-exporter --config.file=FILE --config.check validates the file before a reload.", "Fix the file and reload again; the alert resolves on the next successful reload."}},
}
