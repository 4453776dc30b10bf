package kpi

// SeriesType is the Prometheus type a series is exported as.
type SeriesType string

const (
	Gauge   SeriesType = "gauge"
	Counter SeriesType = "counter"
	// Histogram is a cumulative histogram: buckets, count and sum only
	// grow (from a genuine reset), exported with native buckets and a
	// classic fallback. Distributions over a moving window are never
	// typed histogram: they are Gauge families of quantiles.
	Histogram SeriesType = "histogram"
)

// LabelAtMost is the upper bound label of the windowed counts by upper
// bound: gauges shaped as histogram buckets, whose "le" only histograms
// may carry. PromQL renames it to le for histogram_quantile.
const LabelAtMost = "at_most"

// IsAtMostSeries reports whether a series is windowed counts by upper bound.
func IsAtMostSeries(name string) bool {
	ser, _ := LookupSeries(name)
	return len(ser.Labels) > 0 && ser.Labels[len(ser.Labels)-1] == LabelAtMost
}

// Quantiles are the values of the "q" label of the windowed quantile
// gauges ("quantile" is reserved for summaries).
var Quantiles = []string{"0.5", "0.9", "0.95", "0.99"}

// Series is one exported metric family. Every metric the exporter serves is
// declared here; the collector builds its descriptors from this table and the
// generators check every query against it.
type Series struct {
	Name   string
	Type   SeriesType
	Help   string
	Labels []string
	// Windows lists the values of the "window" label when Labels has one.
	Windows []string
}

// Window label values. Rolling windows are (now-W, now]; the "prev" forms
// are the window of the same length just before it.
const (
	W5m     = "5m"
	W30m    = "30m"
	W1h     = "1h"
	W6h     = "6h"
	W1d     = "1d"
	W7d     = "7d"
	WPrev7d = "prev7d"
	W30d    = "30d"
	WPrev30 = "prev30d"
	W90d    = "90d"
)

// Series names. Constants so that Go code that exports or queries a series
// cannot misspell it.
const (
	SActiveUsers          = "heady_adoption_active_users"
	SActiveUsersMonthAgo  = "heady_adoption_active_users_month_ago"
	SStickinessDAUSum     = "heady_adoption_stickiness_daily_actives"
	SStickinessUsers      = "heady_adoption_stickiness_active_users"
	STimeToFirstOutcome   = "heady_adoption_first_outcome_window_users"
	STimeToFirstOutcomeQ  = "heady_adoption_time_to_first_outcome_quantile_seconds"
	SNewUsers             = "heady_adoption_new_users"
	SNewUsersConverted    = "heady_adoption_new_users_converted"
	SSetupUsers           = "heady_adoption_setup_users"
	SSetupSucceededUsers  = "heady_adoption_setup_succeeded_users"
	SRetentionCohort      = "heady_adoption_retention_cohort_users"
	SRetentionRetained    = "heady_adoption_retention_retained_users"
	SRetentionCohortStart = "heady_adoption_retention_cohort_start_timestamp_seconds"
	SUserSurfacesSum      = "heady_adoption_user_surface_pairs"

	SOutcomesVerified      = "heady_outcomes_verified"
	SWorkflowVerified      = "heady_outcomes_workflow_verified"
	SArenaRuns             = "heady_outcomes_arena_runs"
	SConsensusEvents       = "heady_outcomes_consensus_events"
	SConsensusConfidenceSu = "heady_outcomes_consensus_confidence_points"
	SFixLoop               = "heady_outcomes_fix_loop_quantile_seconds"

	SToolCalls          = "heady_trust_tool_calls"
	SToolCallsByTool    = "heady_trust_tool_calls_by_tool"
	SActions            = "heady_trust_actions"
	SActionsWithReceipt = "heady_trust_actions_with_receipt"
	SPolicyBlocks       = "heady_trust_policy_blocks"
	SSecurityIncidents  = "heady_trust_security_incidents_opened"
	SIncidentsResolved  = "heady_trust_incidents_resolved"
	SResolutionSeconds  = "heady_trust_incident_resolution_seconds"

	SInferenceCost     = "heady_cost_inference_usd"
	SInferenceByModel  = "heady_cost_inference_by_model_usd"
	SInferenceRequests = "heady_cost_inference_requests"
	SInfraCost         = "heady_cost_infra_usd"
	SBudgetSpent       = "heady_cost_budget_spent_usd"
	SBudgetCap         = "heady_cost_budget_cap_usd"
	SArenaCost         = "heady_cost_arena_usd"

	SRegistryScore       = "heady_platform_registry_score"
	SServicesScanned     = "heady_platform_services_scanned"
	SServicesHealthy     = "heady_platform_services_healthy"
	SServiceHealthy      = "heady_platform_service_healthy"
	SServiceScanLatency  = "heady_platform_service_scan_latency_seconds"
	SComponents          = "heady_platform_components"
	SRegistryBreakers    = "heady_platform_registry_circuit_breakers"
	SRegistryProviders   = "heady_platform_registry_providers"
	SRegistryLastScan    = "heady_platform_registry_last_scan_timestamp_seconds"
	SGatewayDuration     = "heady_platform_gateway_window_calls"
	SGatewayDurationQ    = "heady_platform_gateway_duration_quantile_seconds"
	SBreakerTrips        = "heady_platform_circuit_breaker_trips"
	SProbeSuccess        = "heady_probe_success"
	SProbeStatusCode     = "heady_probe_http_status_code"
	SProbeDuration       = "heady_probe_duration_seconds"
	SProbeCertExpiry     = "heady_probe_tls_cert_expiry_timestamp_seconds"
	SMilestonesClosed    = "heady_delivery_milestones_closed"
	SCycleTime           = "heady_delivery_cycle_time_quantile_seconds"
	SQualityGateRuns     = "heady_delivery_quality_gate_runs"
	SGovernanceScore     = "heady_delivery_governance_score"
	STestCoverage        = "heady_delivery_test_coverage_ratio"
	STestCoverage7dAgo   = "heady_delivery_test_coverage_7d_ago_ratio"
	SMerges              = "heady_delivery_merges"
	SReverts             = "heady_delivery_reverts"
	SDeploys             = "heady_delivery_deploys"
	SEventsIngested      = "heady_exporter_events_ingested_total"
	SSourceUp            = "heady_exporter_source_up"
	SSourceLastSuccess   = "heady_exporter_source_last_success_timestamp_seconds"
	SSourceErrors        = "heady_exporter_source_errors_total"
	SSourceStale         = "heady_exporter_source_stale"
	SEngineUsers         = "heady_exporter_engine_tracked_users"
	SEngineDedupIDs      = "heady_exporter_engine_dedup_ids"
	SEngineLastEvent     = "heady_exporter_engine_last_event_timestamp_seconds"
	SEngineCheckpoint    = "heady_exporter_checkpoint_last_success_timestamp_seconds"
	SEngineCheckpointErr = "heady_exporter_checkpoint_failures_total"
	SBuildInfo           = "heady_exporter_build_info"
	SWebhookRequests     = "heady_exporter_webhook_requests_total"
	SLinksInfo           = "heady_exporter_links_info"

	SSourceFiles            = "heady_exporter_source_files"
	SSourceRecords          = "heady_exporter_source_records_read_total"
	SCheckpointLoadFailures = "heady_exporter_checkpoint_load_failures_total"
	SConfigReloadOK         = "heady_exporter_config_last_reload_successful"
	SConfigReloadTime       = "heady_exporter_config_last_reload_success_timestamp_seconds"
)

// Monotonic counters of the events behind the KPIs (docs/series.md):
// incremented once when an event is applied, kept in the checkpoint.
const (
	SToolCallsTotal         = "heady_trust_tool_call_events_total"
	SActionsTotal           = "heady_trust_action_events_total"
	SActionsReceiptTotal    = "heady_trust_receipted_action_events_total"
	SPolicyBlocksTotal      = "heady_trust_policy_block_events_total"
	SIncidentsOpenedTotal   = "heady_trust_incident_open_events_total"
	SSecurityOpenedTotal    = "heady_trust_security_incident_open_events_total"
	SIncidentsResolvedTotal = "heady_trust_incident_resolve_events_total"
	SVerifiedTotal          = "heady_outcomes_verified_events_total"
	SArenaRunsTotal         = "heady_outcomes_arena_run_events_total"
	SConsensusTotal         = "heady_outcomes_consensus_confidence_events_total"
	SConsensusPointsTotal   = "heady_outcomes_consensus_confidence_total"
	SInferenceUSDTotal      = "heady_cost_inference_spend_usd_total"
	SInferenceCreditTotal   = "heady_cost_inference_credit_usd_total"
	SInferenceReqTotal      = "heady_cost_inference_request_events_total"
	SInferenceRoutedTotal   = "heady_cost_inference_routed_request_events_total"
	SArenaUSDTotal          = "heady_cost_arena_spend_usd_total"
	SBreakerTripsTotal      = "heady_platform_circuit_breaker_trip_events_total"
	SGateRunsTotal          = "heady_delivery_quality_gate_run_events_total"
	SDeploysTotal           = "heady_delivery_deploy_events_total"
	SMergesTotal            = "heady_delivery_merge_events_total"
	SRevertsTotal           = "heady_delivery_revert_events_total"
	SMilestonesTotal        = "heady_delivery_milestone_close_events_total"

	// Cumulative histograms of durations (native buckets and a classic
	// fallback).
	SGatewayDurationHist = "heady_platform_gateway_duration_seconds"
	SCycleTimeHist       = "heady_delivery_cycle_time_seconds"
	// Pairs of events, observed once when the pair is first complete.
	SFixLoopHist            = "heady_outcomes_fix_loop_seconds"
	STimeToFirstOutcomeHist = "heady_adoption_time_to_first_outcome_seconds"
)

// AllSeries is every metric family the exporter may serve.
var AllSeries = []Series{
	{SActiveUsers, Gauge, "Distinct users with at least one activity event in the window.", []string{"window"}, []string{W1d, W7d, W30d}},
	{SActiveUsersMonthAgo, Gauge, "Distinct users active in the 7 days ending 28 days ago: (now-35d, now-28d].", nil, nil},
	{SStickinessDAUSum, Gauge, "The sum of daily active users over the last 7 complete UTC days.", nil, nil},
	{SStickinessUsers, Gauge, "Distinct users active in the last 7 complete UTC days.", nil, nil},
	{STimeToFirstOutcome, Gauge, "Users whose first verified outcome lies in the last 30d, by whether their seconds from first activity to first verified outcome are at most at_most (cumulative, as histogram buckets; shards add up).", []string{LabelAtMost}, nil},
	{STimeToFirstOutcomeQ, Gauge, "Quantiles of the seconds from a user's first activity to their first verified outcome, over users whose first verified outcome lies in the last 30d (exact; absent with no such user).", []string{"q"}, nil},
	{SNewUsers, Gauge, "Users whose first activity lies in (now-30d, now-1d].", nil, nil},
	{SNewUsersConverted, Gauge, "Users of heady_adoption_new_users with a verified outcome within 24h of their first activity.", nil, nil},
	{SSetupUsers, Gauge, "Users with a setup attempt (connector or IDE) in the window.", []string{"window"}, []string{W7d}},
	{SSetupSucceededUsers, Gauge, "Users with at least one successful setup in the window.", []string{"window"}, []string{W7d}},
	{SRetentionCohort, Gauge, "Users whose first activity falls in the newest ISO week W whose week W+horizon has ended.", []string{"horizon"}, nil},
	{SRetentionRetained, Gauge, "Users of the retention cohort active in ISO week W+horizon.", []string{"horizon"}, nil},
	{SRetentionCohortStart, Gauge, "Start (Monday 00:00 UTC) of the reported retention cohort week.", []string{"horizon"}, nil},
	{SUserSurfacesSum, Gauge, "User-surface pairs: the sum over users active in the window of the distinct surfaces each used in it.", []string{"window"}, []string{W7d}},

	{SOutcomesVerified, Gauge, "Verified outcomes (status success or failure, with a receipt) in the window.", []string{"window", "status"}, []string{W7d, WPrev7d}},
	{SWorkflowVerified, Gauge, "Verified outcomes in the window by workflow (top workflows plus \"other\").", []string{"window", "workflow"}, []string{W7d}},
	{SArenaRuns, Gauge, "Arena runs in the window by result.", []string{"window", "result"}, []string{W7d}},
	{SConsensusEvents, Gauge, "Consensus events with a confidence in the window.", []string{"window"}, []string{W7d}},
	{SConsensusConfidenceSu, Gauge, "Confidence points: the sum of the confidence (0..1) of consensus events in the window.", []string{"window"}, []string{W7d}},
	{SFixLoop, Gauge, "Quantiles of the seconds from change_accepted to change_reverted, over reverts in the window (exact; absent with no revert).", []string{"window", "q"}, []string{W30d, WPrev30}},

	{SToolCalls, Gauge, "Tool calls in the window by status.", []string{"window", "status"}, []string{W5m, W30m, W1h, W6h, W7d}},
	{SToolCallsByTool, Gauge, "Tool calls in the window by tool (top tools plus \"other\") and status.", []string{"window", "tool", "status"}, []string{W7d}},
	{SActions, Gauge, "Actions (tool_call, outcome, approval) in the window.", []string{"window"}, []string{W7d}},
	{SActionsWithReceipt, Gauge, "Actions (tool_call, outcome, approval) carrying a receipt id in the window.", []string{"window"}, []string{W7d}},
	{SPolicyBlocks, Gauge, "Policy-block events in the window by policy (top policies plus \"other\").", []string{"window", "policy"}, []string{W7d, WPrev7d}},
	{SSecurityIncidents, Gauge, "Incidents flagged security opened in the window.", []string{"window"}, []string{W30d}},
	{SIncidentsResolved, Gauge, "Incidents resolved in the window whose opening is known.", []string{"window"}, []string{W30d, WPrev30}},
	{SResolutionSeconds, Gauge, "Total seconds from incident_opened to incident_resolved over incidents resolved in the window.", []string{"window"}, []string{W30d, WPrev30}},

	{SInferenceCost, Gauge, "Inference cost in USD in the window (audit events and cost records, one per id).", []string{"window"}, []string{W7d, WPrev7d}},
	{SInferenceByModel, Gauge, "Inference cost in USD in the window by provider and model (top models plus \"other\").", []string{"window", "provider", "model"}, []string{W7d}},
	{SInferenceRequests, Gauge, "Inference requests in the window by routing decision (\"none\" when absent).", []string{"window", "routed"}, []string{W7d}},
	{SInfraCost, Gauge, "Infra cost in USD of the 30 UTC dates ending with today's.", []string{"window"}, []string{W30d}},
	{SBudgetSpent, Gauge, "Spend of each budget in USD.", []string{"budget"}, nil},
	{SBudgetCap, Gauge, "Cap of each budget in USD.", []string{"budget"}, nil},
	{SArenaCost, Gauge, "Arena run cost in USD in the window.", []string{"window"}, []string{W7d}},

	{SRegistryScore, Gauge, "The registry's overall system score, normalised to 0..100.", nil, nil},
	{SServicesScanned, Gauge, "Services in the registry's latest health scan.", nil, nil},
	{SServicesHealthy, Gauge, "Healthy services in the registry's latest health scan.", nil, nil},
	{SServiceHealthy, Gauge, "1 if the service was healthy in the latest scan, else 0.", []string{"service"}, nil},
	{SServiceScanLatency, Gauge, "Scan latency of the service in the latest scan (absent when the registry says null).", []string{"service"}, nil},
	{SComponents, Gauge, "Registry components by status and criticality (repeated ids counted once).", []string{"status", "criticality"}, nil},
	{SRegistryBreakers, Gauge, "Circuit breakers the registry declares.", nil, nil},
	{SRegistryProviders, Gauge, "Providers the registry lists, 1 per provider.", []string{"provider"}, nil},
	{SRegistryLastScan, Gauge, "Time of the registry's last scan.", nil, nil},
	{SGatewayDuration, Gauge, "Tool calls with a duration in the window, by whether the duration is at most at_most seconds (cumulative, as histogram buckets; shards add up).", []string{"window", LabelAtMost}, []string{W1h}},
	{SGatewayDurationQ, Gauge, "Quantiles of gateway (tool call) durations in the window (nearest rank, within 0.9%; absent with no call).", []string{"window", "q"}, []string{W1h}},
	{SBreakerTrips, Gauge, "Circuit breaker transitions to open in the window.", []string{"window"}, []string{W1d}},
	{SProbeSuccess, Gauge, "1 if the target answered 2xx (after redirects) within the timeout.", []string{"target"}, nil},
	{SProbeStatusCode, Gauge, "HTTP status of the target's last probe (0 if none).", []string{"target"}, nil},
	{SProbeDuration, Gauge, "Duration of the target's last probe.", []string{"target"}, nil},
	{SProbeCertExpiry, Gauge, "Expiry (NotAfter) of the target's TLS leaf certificate.", []string{"target"}, nil},

	{SMilestonesClosed, Gauge, "Milestones closed in the window by whether they were hit (closed at or before due).", []string{"window", "hit"}, []string{W90d}},
	{SCycleTime, Gauge, "Quantiles of the seconds from idea (opened_at) to shipped, over items shipped in the window (exact; absent with none).", []string{"window", "q"}, []string{W30d, WPrev30}},
	{SQualityGateRuns, Gauge, "Quality-gate runs in the window by result.", []string{"window", "result"}, []string{W7d}},
	{SGovernanceScore, Gauge, "Each repo's latest file-governance score (0..100).", []string{"repo"}, nil},
	{STestCoverage, Gauge, "Each repo's latest test coverage (0..1).", []string{"repo"}, nil},
	{STestCoverage7dAgo, Gauge, "Each repo's latest test coverage (0..1) as of now-7d.", []string{"repo"}, nil},
	{SMerges, Gauge, "CI merge events in the window.", []string{"window"}, []string{W30d}},
	{SReverts, Gauge, "CI revert events in the window.", []string{"window"}, []string{W30d}},
	{SDeploys, Gauge, "Deploys in the window by environment and result.", []string{"window", "env", "result"}, []string{W7d}},

	{SEventsIngested, Counter, "Events applied to the engine, by stream and type (duplicates and rejects excluded).", []string{"stream", "type"}, nil},
	{SSourceUp, Gauge, "1 if the source's last read or poll succeeded (a file source also needs at least one file to follow).", []string{"source"}, nil},
	{SSourceFiles, Gauge, "Files a file source follows now; 0 when its paths match no readable file.", []string{"source"}, nil},
	{SSourceRecords, Counter, "Lines (file sources) or records (registry documents, cost records, probe results) the source read, skipped ones included.", []string{"source"}, nil},
	{SSourceLastSuccess, Gauge, "Time of the source's last successful read or poll.", []string{"source"}, nil},
	{SSourceErrors, Counter, "Inputs the source skipped or failed, by reason.", []string{"source", "reason"}, nil},
	{SSourceStale, Gauge, "1 if the source's values are the last good ones of a failed poll.", []string{"source"}, nil},
	{SEngineUsers, Gauge, "Users the engine holds state for.", nil, nil},
	{SEngineDedupIDs, Gauge, "Event ids held for deduplication.", nil, nil},
	{SEngineLastEvent, Gauge, "Timestamp of the newest event applied.", nil, nil},
	{SEngineCheckpoint, Gauge, "Time of the last successful checkpoint of positions and engine state.", nil, nil},
	{SEngineCheckpointErr, Counter, "Checkpoint writes that failed.", nil, nil},
	{SCheckpointLoadFailures, Counter, "Checkpoints that could not be loaded at start and were moved aside (the engine rebuilt its state from the logs on disk).", nil, nil},
	{SConfigReloadOK, Gauge, "1 if the last configuration load (start or reload) succeeded.", nil, nil},
	{SConfigReloadTime, Gauge, "Time of the last successful configuration load (start or reload).", nil, nil},
	{SWebhookRequests, Counter, "CI webhook requests by result: accepted, or why they were rejected.", []string{"result"}, nil},
	{SLinksInfo, Gauge, "A metric with a constant '1' value labeled by external_url, the configured root of Grafana as people open it; the alert rules build their links from it.", []string{"external_url"}, nil},
	{SToolCallsTotal, Counter, "Tool calls applied, by tool and status (every status from a tool's first call).", []string{"tool", "status"}, nil},
	{SActionsTotal, Counter, "Actions (tool_call, outcome, approval) applied.", nil, nil},
	{SActionsReceiptTotal, Counter, "Actions (tool_call, outcome, approval) carrying a receipt id applied.", nil, nil},
	{SPolicyBlocksTotal, Counter, "Policy-block events applied, by policy.", []string{"policy"}, nil},
	{SIncidentsOpenedTotal, Counter, "Incidents whose first incident_opened was applied.", nil, nil},
	{SSecurityOpenedTotal, Counter, "Incidents whose first incident_opened flagged security was applied.", nil, nil},
	{SIncidentsResolvedTotal, Counter, "Incidents whose first incident_resolved was applied.", nil, nil},
	{SVerifiedTotal, Counter, "Verified outcomes applied, by workflow and status (both statuses from a workflow's first outcome).", []string{"workflow", "status"}, nil},
	{SArenaRunsTotal, Counter, "Arena runs applied, by result (promoted is a promotion).", []string{"result"}, nil},
	{SConsensusTotal, Counter, "Consensus events with a confidence applied.", nil, nil},
	{SConsensusPointsTotal, Counter, "Sum of the confidence (0..1) of the consensus events applied.", nil, nil},
	{SInferenceUSDTotal, Counter, "Inference cost in USD applied (audit events and cost records, one per id), by provider and model; negative costs are in heady_cost_inference_credit_usd_total.", []string{"provider", "model"}, nil},
	{SInferenceCreditTotal, Counter, "Absolute value of the negative inference costs (credits) applied, in USD, by provider and model.", []string{"provider", "model"}, nil},
	{SInferenceReqTotal, Counter, "Inference requests applied (audit events and cost records, one per id), by provider and model.", []string{"provider", "model"}, nil},
	{SInferenceRoutedTotal, Counter, "Inference requests applied, by routing decision (\"none\" when absent).", []string{"routed"}, nil},
	{SArenaUSDTotal, Counter, "Arena run cost in USD applied (negative costs left out).", nil, nil},
	{SBreakerTripsTotal, Counter, "Circuit breaker transitions to open applied.", nil, nil},
	{SGateRunsTotal, Counter, "Quality-gate runs applied, by result.", []string{"result"}, nil},
	{SDeploysTotal, Counter, "Deploys applied, by environment and result.", []string{"env", "result"}, nil},
	{SMergesTotal, Counter, "CI merge events applied.", nil, nil},
	{SRevertsTotal, Counter, "CI revert events applied.", nil, nil},
	{SMilestonesTotal, Counter, "Milestones closed applied, by whether they were hit.", []string{"hit"}, nil},
	{SGatewayDurationHist, Histogram, "Gateway (tool call) durations of the calls applied.", nil, nil},
	{SCycleTimeHist, Histogram, "Cycle times (opened_at to shipped) of the shipped events applied.", nil, nil},
	{SFixLoopHist, Histogram, "Fix loops (change_accepted to change_reverted) of the changes, observed once when a change's first acceptance and first revert are both known; a late earlier event does not move it.", nil, nil},
	{STimeToFirstOutcomeHist, Histogram, "Seconds from a user's first activity to their first verified outcome, observed once when that outcome arrives; a late earlier activity does not move it.", nil, nil},
	{SBuildInfo, Gauge, "A metric with a constant '1' value labeled by version, revision, branch, goversion from which heady-exporter was built, and the goos and goarch for the build.", []string{"version", "revision", "branch", "goversion", "goos", "goarch", "tags"}, nil},
}

// LookupSeries returns the series called name.
func LookupSeries(name string) (Series, bool) {
	for _, s := range AllSeries {
		if s.Name == name {
			return s, true
		}
	}
	return Series{}, false
}
