package dashboards

import (
	"fmt"

	"github.com/grafana/grafana-foundation-sdk/go/bargauge"
	"github.com/grafana/grafana-foundation-sdk/go/cog"
	"github.com/grafana/grafana-foundation-sdk/go/common"
	"github.com/grafana/grafana-foundation-sdk/go/dashboard"
	"github.com/grafana/grafana-foundation-sdk/go/prometheus"
	"github.com/grafana/grafana-foundation-sdk/go/table"
	"github.com/grafana/grafana-foundation-sdk/go/timeseries"

	"github.com/heady/heady-metrics/kpi"
)

// kind is how a breakdown is drawn.
type kind int

const (
	series kind = iota // time series, one line per label value
	bars               // bar gauge of the latest value per label value
)

type q struct{ expr, legend string }

// breakdown is one drill-down panel: a KPI's exported series split by one
// of its dimensions (workflow, tool, model, service, domain, repo, ...).
type breakdown struct {
	title, description string
	unit               string
	kind               kind
	queries            []q
}

// sum sums a series over exporter instances and the given labels.
func sum(series, selector string, drop ...string) string {
	labels := "instance"
	for _, d := range drop {
		labels += ", " + d
	}
	if selector != "" {
		series += "{" + selector + "}"
	}
	return fmt.Sprintf("sum without (%s) (%s)", labels, series)
}

// maxi is the max over exporter instances (values every instance reports
// alike, such as the registry's or a probe's).
func maxi(series, selector string) string {
	if selector != "" {
		series += "{" + selector + "}"
	}
	return "max without (instance) (" + series + ")"
}

func ratioOf(num, den string) string { return fmt.Sprintf("(%s) / ((%s) > 0)", num, den) }

// quantiles reads the exported quantile gauges of a windowed
// distribution (the highest over instances, as the KPI rules do).
func quantiles(series, selector string, qs ...float64) []q {
	var out []q
	for _, x := range qs {
		sel := fmt.Sprintf("q=%q", fmt.Sprint(x))
		if selector != "" {
			sel = selector + "," + sel
		}
		out = append(out, q{
			fmt.Sprintf("max without (instance, q) (%s{%s})", series, sel),
			fmt.Sprintf("p%g {{window}}", x*100),
		})
	}
	return out
}

// perUnit is the rate of a counter, summed over instances and the given
// labels, per second times scale (60: per minute, 3600: per hour).
func perUnit(series, selector string, scale int, drop ...string) string {
	if selector != "" {
		series += "{" + selector + "}"
	}
	return fmt.Sprintf("%s * %d", sum("rate("+series+"[$__rate_interval])", "", drop...), scale)
}

// histQuantile is a quantile of a cumulative histogram's rate: from the
// native histogram where Prometheus ingests it, else from the classic
// buckets.
func histQuantile(series string, x float64) q {
	native := fmt.Sprintf("histogram_quantile(%g, sum without (instance) (rate(%s[$__rate_interval])))", x, series)
	classic := fmt.Sprintf("histogram_quantile(%g, sum without (instance) (rate(%s_bucket[$__rate_interval])))", x, series)
	return q{native + " or " + classic, fmt.Sprintf("p%g", x*100)}
}

// rates lists the drill-down panels over the counters and cumulative
// histograms: rate() over any range, next to the exact windowed KPIs.
func rates(p kpi.Panel) []breakdown {
	switch p {
	case kpi.PanelOutcomes, kpi.PanelNorthStar:
		out := []breakdown{
			{"Verified outcomes per hour by workflow and status", "rate() of " + kpi.SVerifiedTotal + ", per hour.", "short", series,
				[]q{{perUnit(kpi.SVerifiedTotal, "", 3600), "{{workflow}} {{status}}"}}},
			{"Arena runs per hour by result", "rate() of " + kpi.SArenaRunsTotal + ", per hour; promoted are the promotions.", "short", series,
				[]q{{perUnit(kpi.SArenaRunsTotal, "", 3600), "{{result}}"}}},
		}
		if p == kpi.PanelOutcomes {
			out = append(out, breakdown{"Fix loop (cumulative histogram)",
				"Quantiles of the fix loops observed in the dashboard's rate interval (each change's loop observed once, when its acceptance and revert are both known).", "s", series,
				[]q{histQuantile(kpi.SFixLoopHist, 0.5), histQuantile(kpi.SFixLoopHist, 0.9)}})
		}
		return out
	case kpi.PanelAdoption:
		return []breakdown{
			{"Time to first verified outcome (cumulative histogram)",
				"Quantiles of the times to a first verified outcome observed in the dashboard's rate interval (each user's observed once, when that outcome arrives).", "s", series,
				[]q{histQuantile(kpi.STimeToFirstOutcomeHist, 0.5), histQuantile(kpi.STimeToFirstOutcomeHist, 0.9)}},
		}
	case kpi.PanelTrust:
		return []breakdown{
			{"Tool calls per minute by tool", "rate() of " + kpi.SToolCallsTotal + " over all statuses, per minute.", "short", series,
				[]q{{perUnit(kpi.SToolCallsTotal, "", 60, "status"), "{{tool}}"}}},
			{"Tool call errors per minute by tool", "rate() of " + kpi.SToolCallsTotal + " with a status other than success, per minute.", "short", series,
				[]q{{perUnit(kpi.SToolCallsTotal, `status!="success"`, 60, "status"), "{{tool}}"}}},
			{"Policy blocks per hour by policy", "rate() of " + kpi.SPolicyBlocksTotal + ", per hour.", "short", series,
				[]q{{perUnit(kpi.SPolicyBlocksTotal, "", 3600), "{{policy}}"}}},
			{"Incidents opened and resolved per day", "rate() of the incident counters, per day.", "short", series,
				[]q{{perUnit(kpi.SIncidentsOpenedTotal, "", 86400), "opened"}, {perUnit(kpi.SSecurityOpenedTotal, "", 86400), "security opened"},
					{perUnit(kpi.SIncidentsResolvedTotal, "", 86400), "resolved"}}},
		}
	case kpi.PanelCost:
		return []breakdown{
			{"Inference cost per hour by model", "rate() of " + kpi.SInferenceUSDTotal + " in USD per hour (credits are counted apart).", "currencyUSD", series,
				[]q{{perUnit(kpi.SInferenceUSDTotal, "", 3600), "{{provider}} {{model}}"}}},
			{"Inference requests per minute by model", "rate() of " + kpi.SInferenceReqTotal + ", per minute.", "short", series,
				[]q{{perUnit(kpi.SInferenceReqTotal, "", 60), "{{provider}} {{model}}"}}},
			{"Arena cost per hour", "rate() of " + kpi.SArenaUSDTotal + ", in USD per hour.", "currencyUSD", series,
				[]q{{perUnit(kpi.SArenaUSDTotal, "", 3600), "arena"}}},
		}
	case kpi.PanelPlatform:
		return []breakdown{
			{"Gateway requests per minute", "rate() of the gateway duration histogram's count, per minute.", "short", series,
				[]q{{perUnit(kpi.SGatewayDurationHist+"_count", "", 60), "requests"}}},
			{"Gateway latency (cumulative histogram)", "Quantiles of the gateway durations observed in the dashboard's rate interval.", "s", series,
				[]q{histQuantile(kpi.SGatewayDurationHist, 0.5), histQuantile(kpi.SGatewayDurationHist, 0.95), histQuantile(kpi.SGatewayDurationHist, 0.99)}},
			{"Circuit breaker trips per hour", "rate() of " + kpi.SBreakerTripsTotal + ", per hour.", "short", series,
				[]q{{perUnit(kpi.SBreakerTripsTotal, "", 3600), "trips"}}},
		}
	case kpi.PanelDelivery:
		return []breakdown{
			{"Deploys per day by environment and result", "rate() of " + kpi.SDeploysTotal + ", per day.", "short", series,
				[]q{{perUnit(kpi.SDeploysTotal, "", 86400), "{{env}} {{result}}"}}},
			{"Merges and reverts per day", "rate() of the merge and revert counters, per day.", "short", series,
				[]q{{perUnit(kpi.SMergesTotal, "", 86400), "merges"}, {perUnit(kpi.SRevertsTotal, "", 86400), "reverts"}}},
			{"Cycle time (cumulative histogram)", "Quantiles of the cycle times of the items shipped in the dashboard's rate interval.", "s", series,
				[]q{histQuantile(kpi.SCycleTimeHist, 0.5), histQuantile(kpi.SCycleTimeHist, 0.9)}},
		}
	}
	return nil
}

// breakdowns lists the drill-down panels of each catalog panel.
func breakdowns(p kpi.Panel) []breakdown {
	w7 := `window="7d"`
	switch p {
	case kpi.PanelNorthStar:
		return []breakdown{
			{"Verified outcomes by status (7d)", "Verified outcomes (with a receipt) in 7d by status; the North Star counts the successes.", "short", series,
				[]q{{sum(kpi.SOutcomesVerified, w7, "window"), "{{status}}"}}},
			{"Active users by window", "Distinct active users in 1d, 7d and 30d; the North Star divides by the 7d ones.", "short", series,
				[]q{{sum(kpi.SActiveUsers, ""), "{{window}}"}}},
			{"Verified outcomes by workflow (7d)", "Which workflows produce the verified outcomes (top workflows plus other).", "short", bars,
				[]q{{sum(kpi.SWorkflowVerified, w7, "window"), "{{workflow}}"}}},
		}
	case kpi.PanelAdoption:
		return []breakdown{
			{"Active users by window", "Distinct active users in 1d, 7d and 30d.", "short", series,
				[]q{{sum(kpi.SActiveUsers, ""), "{{window}}"}, {sum(kpi.SActiveUsersMonthAgo, ""), "7d, 28 days ago"}}},
			{"Setup attempts and successes (7d)", "Users with a setup attempt and users with a successful setup in 7d.", "short", series,
				[]q{{sum(kpi.SSetupUsers, w7, "window"), "attempted"}, {sum(kpi.SSetupSucceededUsers, w7, "window"), "succeeded"}}},
			{"Retention cohorts by horizon", "Cohort size and retained users of the reported cohort, per horizon (1w, 4w).", "short", series,
				[]q{{sum(kpi.SRetentionCohort, ""), "cohort {{horizon}}"}, {sum(kpi.SRetentionRetained, ""), "retained {{horizon}}"}}},
			{"New users and first-day conversions", "Users whose first activity lies in (now-30d, now-1d], and those with a verified outcome within 24 h.", "short", series,
				[]q{{sum(kpi.SNewUsers, ""), "new users"}, {sum(kpi.SNewUsersConverted, ""), "converted"}}},
			{"Time to first verified outcome: quantiles", "Quantiles of the seconds from first activity to first verified outcome, over users whose first verified outcome lies in 30d.", "s", series,
				quantiles(kpi.STimeToFirstOutcomeQ, "", 0.5, 0.9)},
		}
	case kpi.PanelOutcomes:
		return []breakdown{
			{"Verified outcomes by workflow (7d)", "Verified outcomes in 7d by workflow (top workflows plus other).", "short", bars,
				[]q{{sum(kpi.SWorkflowVerified, w7, "window"), "{{workflow}}"}}},
			{"Verified outcomes by workflow over time (7d)", "The same over time.", "short", series,
				[]q{{sum(kpi.SWorkflowVerified, w7, "window"), "{{workflow}}"}}},
			{"Verified outcomes by status", "Verified outcomes by status in 7d and the previous 7d.", "short", series,
				[]q{{sum(kpi.SOutcomesVerified, ""), "{{status}} {{window}}"}}},
			{"Arena runs by result (7d)", "Arena runs in 7d by result.", "short", series,
				[]q{{sum(kpi.SArenaRuns, w7, "window"), "{{result}}"}}},
			{"Consensus events (7d)", "Consensus events with a confidence in 7d.", "short", series,
				[]q{{sum(kpi.SConsensusEvents, w7, "window"), "events"}}},
			{"Fix loop: quantiles", "Quantiles of the seconds from change_accepted to change_reverted, this 30d and the previous 30d.", "s", series,
				quantiles(kpi.SFixLoop, "", 0.5, 0.9)},
		}
	case kpi.PanelTrust:
		var burn []q
		for _, w := range []string{kpi.W5m, kpi.W30m, kpi.W1h, kpi.W6h} {
			sel := fmt.Sprintf("window=%q", w)
			burn = append(burn, q{ratioOf(sum(kpi.SToolCalls, sel+`,status!="success"`, "window", "status"), sum(kpi.SToolCalls, sel, "window", "status")), "error ratio " + w})
		}
		return []breakdown{
			{"Tool call success by tool (7d)", "Share of successful tool calls in 7d per tool (top tools plus other).", "percentunit", bars,
				[]q{{ratioOf(sum(kpi.SToolCallsByTool, w7+`,status="success"`, "window", "status"), sum(kpi.SToolCallsByTool, w7, "window", "status")), "{{tool}}"}}},
			{"Tool calls by tool and status (7d)", "Tool calls in 7d by tool and status.", "short", series,
				[]q{{sum(kpi.SToolCallsByTool, w7, "window"), "{{tool}} {{status}}"}}},
			{"Tool call error ratio by SLO window", "Failed / all tool calls over the burn-rate windows. The fast burn alert fires when 1h and 5m exceed 14.4 x the 1% error budget, the slow one when 6h and 30m exceed 6 x.", "percentunit", series,
				burn},
			{"Policy blocks by policy (7d)", "Top policies by policy-block events in 7d.", "short", bars,
				[]q{{mustKPI("policy_blocks").TopExpr, "{{policy}}"}}},
			{"Actions with a receipt (7d)", "Actions (tool_call, outcome, approval) and those carrying a receipt id in 7d.", "short", series,
				[]q{{sum(kpi.SActions, w7, "window"), "actions"}, {sum(kpi.SActionsWithReceipt, w7, "window"), "with receipt"}}},
			{"Incidents resolved and security incidents (30d)", "Incidents resolved in 30d (MTTR's denominator) and security incidents opened in 30d.", "short", series,
				[]q{{sum(kpi.SIncidentsResolved, ""), "resolved {{window}}"}, {sum(kpi.SSecurityIncidents, ""), "security incidents {{window}}"}}},
			{"Merges and reverts (30d)", "CI merges and reverts in 30d (rollback rate).", "short", series,
				[]q{{sum(kpi.SMerges, ""), "merges"}, {sum(kpi.SReverts, ""), "reverts"}}},
		}
	case kpi.PanelCost:
		return []breakdown{
			{"Inference cost by model (7d)", "Inference cost in USD in 7d by provider and model (top models plus other).", "currencyUSD", bars,
				[]q{{sum(kpi.SInferenceByModel, w7, "window"), "{{provider}} {{model}}"}}},
			{"Inference cost by model over time (7d)", "The same over time.", "currencyUSD", series,
				[]q{{sum(kpi.SInferenceByModel, w7, "window"), "{{provider}} {{model}}"}}},
			{"Inference requests by routing decision (7d)", "Inference requests in 7d by routed value (none when absent).", "short", series,
				[]q{{sum(kpi.SInferenceRequests, w7, "window"), "{{routed}}"}}},
			{"Budget utilisation by budget", "Spent / cap of each budget.", "percentunit", bars,
				[]q{{ratioOf(sum(kpi.SBudgetSpent, ""), sum(kpi.SBudgetCap, "")), "{{budget}}"}}},
			{"Inference, infra and arena cost", "Inference cost (7d and previous 7d), infra cost (30d) and arena cost (7d) in USD.", "currencyUSD", series,
				[]q{{sum(kpi.SInferenceCost, ""), "inference {{window}}"}, {sum(kpi.SInfraCost, ""), "infra {{window}}"}, {sum(kpi.SArenaCost, ""), "arena {{window}}"}}},
		}
	case kpi.PanelPlatform:
		return []breakdown{
			{"Service health by service", "1 if the service was healthy in the registry's latest scan.", "short", bars,
				[]q{{maxi(kpi.SServiceHealthy, ""), "{{service}}"}}},
			{"Scan latency by service", "Latency of each service in the registry's latest scan.", "s", series,
				[]q{{maxi(kpi.SServiceScanLatency, ""), "{{service}}"}}},
			{"Domains: probe success by target", "1 if the domain answered 2xx within the timeout.", "short", bars,
				[]q{{maxi(kpi.SProbeSuccess, ""), "{{target}}"}}},
			{"Domains: HTTP status", "HTTP status of each domain's last probe.", "none", series,
				[]q{{maxi(kpi.SProbeStatusCode, ""), "{{target}}"}}},
			{"Domains: probe duration", "Duration of each domain's last probe.", "s", series,
				[]q{{maxi(kpi.SProbeDuration, ""), "{{target}}"}}},
			{"Domains: TLS certificate expires in", "Seconds until each domain's TLS leaf certificate expires.", "s", bars,
				[]q{{maxi(kpi.SProbeCertExpiry, "") + " - time()", "{{target}}"}}},
			{"Registry components by status and criticality", "Registry components by status and criticality.", "short", series,
				[]q{{maxi(kpi.SComponents, ""), "{{status}} {{criticality}}"}}},
			{"Gateway latency: quantiles (1h)", "Quantiles of gateway (tool call) durations over the last hour.", "s", series,
				quantiles(kpi.SGatewayDurationQ, `window="1h"`, 0.5, 0.95, 0.99)},
			{"Circuit breakers", "Circuit breaker trips (1d) and circuit breakers the registry declares.", "short", series,
				[]q{{sum(kpi.SBreakerTrips, ""), "trips {{window}}"}, {maxi(kpi.SRegistryBreakers, ""), "declared"}}},
		}
	case kpi.PanelDelivery:
		return []breakdown{
			{"Governance score by repo", "Each repo's latest file-governance score (0..100).", "none", bars,
				[]q{{maxi(kpi.SGovernanceScore, ""), "{{repo}}"}}},
			{"Test coverage by repo", "Each repo's latest test coverage, now and as of 7 days ago.", "percentunit", series,
				[]q{{maxi(kpi.STestCoverage, ""), "{{repo}}"}, {maxi(kpi.STestCoverage7dAgo, ""), "{{repo}} 7d ago"}}},
			{"Deploys by environment and result (7d)", "Deploys in 7d by environment and result.", "short", series,
				[]q{{sum(kpi.SDeploys, w7, "window"), "{{env}} {{result}}"}}},
			{"Quality-gate runs by result (7d)", "Quality-gate runs in 7d by result.", "short", series,
				[]q{{sum(kpi.SQualityGateRuns, w7, "window"), "{{result}}"}}},
			{"Milestones closed (90d)", "Milestones closed in 90d by whether they were hit.", "short", series,
				[]q{{sum(kpi.SMilestonesClosed, "", "window"), "hit={{hit}}"}}},
			{"Cycle time: quantiles", "Quantiles of the seconds from idea to shipped, this 30d and the previous 30d.", "s", series,
				quantiles(kpi.SCycleTime, "", 0.5, 0.9)},
		}
	}
	return nil
}

func mustKPI(id string) kpi.KPI {
	k, ok := kpi.Lookup(id)
	if !ok {
		panic("dashboards: catalog has no KPI " + id)
	}
	return k
}

func (bd breakdown) panel(id *ids) cog.Builder[dashboard.Panel] {
	switch bd.kind {
	case bars:
		p := bargauge.NewPanelBuilder().
			Id(id.next()).
			Title(bd.title).Description(bd.description).
			Datasource(ds()).
			Unit(bd.unit).Min(0).
			Thresholds(thresholds(ValueThresholds(kpi.Target{}))).
			DisplayMode(common.BarGaugeDisplayModeGradient).
			Orientation(common.VizOrientationHorizontal).
			ReduceOptions(common.NewReduceDataOptionsBuilder().Calcs([]string{"lastNotNull"})).
			Span(12).Height(8)
		for i, x := range bd.queries {
			p.WithTarget(query(refID(i), x.expr, x.legend).Instant())
		}
		return p
	default:
		p := timeseries.NewPanelBuilder().
			Id(id.next()).
			Title(bd.title).Description(bd.description).
			Datasource(ds()).
			Unit(bd.unit).
			Legend(common.NewVizLegendOptionsBuilder().
				DisplayMode(common.LegendDisplayModeTable).
				Placement(common.LegendPlacementRight).
				ShowLegend(true).
				Calcs([]string{"lastNotNull"})).
			Span(12).Height(8)
		for i, x := range bd.queries {
			p.WithTarget(query(refID(i), x.expr, x.legend))
		}
		return p
	}
}

func refID(i int) string { return string(rune('A' + i)) }

func detail(o Options, p kpi.Panel) *dashboard.DashboardBuilder {
	id := &ids{}
	title := "Heady: " + kpi.PanelTitle(p)
	b := newDashboard(PanelUID(p), title,
		fmt.Sprintf("Drill-down of the %s KPIs: each KPI over time against its target, then its series by dimension.", kpi.PanelTitle(p)),
		"drill-down").
		Link(linkTo("Is Heady winning?", ExecutiveUID)).
		Link(menu())
	b.WithRow(dashboard.NewRowBuilder("KPIs").Id(id.next()))
	for _, k := range kpi.ByPanel(p) {
		switch {
		case k.Expr == "" && k.TopExpr != "":
			b.WithPanel(topGauge(id, k, topLegend(k), 12, 8, o))
		case k.Target.HasTrendTarget():
			b.WithPanel(valueSeries(id, k, 12, 8, o))
			b.WithPanel(trendSeries(id, k, 12, 8, o))
		default:
			b.WithPanel(valueSeries(id, k, 12, 8, o))
		}
	}
	b.WithRow(dashboard.NewRowBuilder("Breakdowns").Id(id.next()))
	for _, bd := range breakdowns(p) {
		b.WithPanel(bd.panel(id))
	}
	if r := rates(p); len(r) > 0 {
		b.WithRow(dashboard.NewRowBuilder("Rates (counters)").Id(id.next()))
		for _, bd := range r {
			b.WithPanel(bd.panel(id))
		}
	}
	return b
}

func tablePanel(id *ids, title, description string, w, h uint32, queries []*prometheus.DataqueryBuilder, rename map[string]string, link *dashboard.DashboardLinkBuilder) cog.Builder[dashboard.Panel] {
	renames := map[string]any{}
	for k, v := range rename {
		renames[k] = v
	}
	p := table.NewPanelBuilder().
		Id(id.next()).
		Title(title).Description(description).
		Datasource(ds()).
		Span(w).Height(h).
		Footer(common.NewTableFooterOptionsBuilder().Show(false).Reducer([]string{})).
		WithTransformation(dashboard.DataTransformerConfig{Id: "merge", Options: map[string]any{}}).
		WithTransformation(dashboard.DataTransformerConfig{Id: "organize", Options: map[string]any{
			"excludeByName": map[string]any{"Time": true},
			"renameByName":  renames,
		}})
	for _, x := range queries {
		p.WithTarget(x)
	}
	if link != nil {
		p.Links([]cog.Builder[dashboard.DashboardLink]{link})
	}
	return p
}

// sources is the dashboard of the exporter itself: its sources' health and
// the engine's state.
func sources() *dashboard.DashboardBuilder {
	id := &ids{}
	b := newDashboard(SourcesUID, "Heady: exporter and sources",
		"Health of heady-exporter's sources (up, last success, stale, errors by reason) and of its engine. Check here first when a KPI has no data or looks frozen.",
		"exporter").
		Link(linkTo("Is Heady winning?", ExecutiveUID)).
		Link(menu())
	b.WithRow(dashboard.NewRowBuilder("Sources").Id(id.next()))
	b.WithPanel(freshnessTable(id, 24, 8))
	for _, bd := range []breakdown{
		{"Source up", "1 if the source's last read or poll succeeded.", "short", series,
			[]q{{maxi(kpi.SSourceUp, ""), "{{source}}"}}},
		{"Seconds since last success", "Age of each source's last successful read or poll.", "s", series,
			[]q{{"time() - " + maxi(kpi.SSourceLastSuccess, ""), "{{source}}"}}},
		{"Source errors by reason (rate)", "Inputs skipped or failed per second, by source and reason.", "short", series,
			[]q{{"sum without (instance) (rate(" + kpi.SSourceErrors + "[$__rate_interval]))", "{{source}} {{reason}}"}}},
		{"Stale sources", "1 if the source's values are the last good ones of a failed poll.", "short", series,
			[]q{{maxi(kpi.SSourceStale, ""), "{{source}}"}}},
		{"Files followed", "Files each file source follows; 0 means its configured paths match no readable file (the source is down).", "short", series,
			[]q{{"min without (instance) (" + kpi.SSourceFiles + ")", "{{source}}"}}},
		{"Lines and records read (rate)", "Lines (file sources) or records (registry, cost, probes) read per second, skipped ones included.", "short", series,
			[]q{{"sum without (instance) (rate(" + kpi.SSourceRecords + "[$__rate_interval]))", "{{source}}"}}},
	} {
		b.WithPanel(bd.panel(id))
	}
	b.WithRow(dashboard.NewRowBuilder("Engine").Id(id.next()))
	for _, bd := range []breakdown{
		{"Events ingested by stream and type (rate)", "Events applied to the engine per second (duplicates and rejects excluded).", "short", series,
			[]q{{"sum without (instance) (rate(" + kpi.SEventsIngested + "[$__rate_interval]))", "{{stream}} {{type}}"}}},
		{"Newest event and last checkpoint age", "Seconds since the newest event applied and since the last successful checkpoint.", "s", series,
			[]q{{"time() - " + maxi(kpi.SEngineLastEvent, ""), "newest event"}, {"time() - " + maxi(kpi.SEngineCheckpoint, ""), "last checkpoint"}}},
		{"Engine state", "Users and dedup ids the engine holds.", "short", series,
			[]q{{sum(kpi.SEngineUsers, ""), "users"}, {sum(kpi.SEngineDedupIDs, ""), "dedup ids"}}},
		{"Checkpoint and configuration trouble", "Failed checkpoint writes per second; checkpoints moved aside at start because they did not load; 0 when the last configuration reload was refused.", "short", series,
			[]q{{"sum without (instance) (rate(" + kpi.SEngineCheckpointErr + "[$__rate_interval]))", "checkpoint write failures"},
				{"max without (instance) (" + kpi.SCheckpointLoadFailures + ")", "checkpoint load failed"},
				{"min without (instance) (" + kpi.SConfigReloadOK + ")", "last reload successful"}}},
		{"Exporter builds", "heady_exporter_build_info by version and revision.", "short", bars,
			[]q{{"count without (instance) (" + kpi.SBuildInfo + ")", "{{version}} {{revision}}"}}},
	} {
		b.WithPanel(bd.panel(id))
	}
	return b
}
