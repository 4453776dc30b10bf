// Package alerts generates, from the KPI catalog (package kpi), the
// Prometheus recording and alerting rules of heady-metrics, the same rules as
// a prometheus-operator PrometheusRule, the recording rules alone for a
// promtool backfill (alerts/backfill/), the promtool unit tests that prove
// every alert fires when its target is missed and stays silent when it is
// met, and the two docs derived from the catalog: the KPI table
// (docs/kpis.md) and the runbooks (docs/runbooks.md) the alerts link to,
// whose hand-written part (impact, causes, queries, fixes) is in
// runbooks.go.
//
// The package owns alert names, severities' routing labels and the rule
// layout. It declares no KPI, target or series name (those are kpi's), and
// it writes no file itself; cmd/heady-gen does.
package alerts

import (
	"fmt"
	"strconv"
	"strings"
	"unicode"

	"github.com/prometheus/common/model"

	"github.com/heady/heady-metrics/dashboards"
	"github.com/heady/heady-metrics/kpi"
	"github.com/heady/heady-metrics/links"
)

// Options are the generator's inputs besides the catalog.
//
// The rules carry no host: their runbook and dashboard links are Grafana
// paths behind the external URL the exporter serves (links.Template), so
// the one setting, external_url in the exporter's configuration, reaches
// them without regenerating.
type Options struct {
	// Job is the Prometheus job name that scrapes heady-exporter.
	Job string
	// SourceStaleAfter is how old a source's last success may get before
	// the stale-source alert fires (Prometheus duration).
	SourceStaleAfter string

	// rendered, when set, replaces links.Template in the links: the
	// promtool tests expect the annotations as Prometheus renders them.
	rendered *string
}

// renderedAs is o with links expected as Prometheus renders them when the
// external URL is base.
func (o Options) renderedAs(base string) Options { o.rendered = &base; return o }

func (o Options) linkBase() string {
	if o.rendered != nil {
		return *o.rendered
	}
	return links.Template
}

// DefaultOptions are the values the committed files are generated with.
func DefaultOptions() Options {
	return Options{
		Job:              "heady",
		SourceStaleAfter: "1h",
	}
}

// Validate checks the options.
func (o Options) Validate() error {
	switch {
	case !model.LabelValue(o.Job).IsValid() || o.Job == "":
		return fmt.Errorf("alerts: invalid job name %q", o.Job)
	}
	if _, err := model.ParseDuration(o.SourceStaleAfter); err != nil {
		return fmt.Errorf("alerts: source stale-after %q: %w", o.SourceStaleAfter, err)
	}
	return nil
}

// RunbookURL is the link of a runbook section as an alert template: its
// panel on the runbooks dashboard, behind the external URL.
func (o Options) RunbookURL(anchor string) string {
	return o.linkBase() + links.RunbookPath(RunbookID(anchor))
}

// DashboardURL is the link of a dashboard as an alert template.
func (o Options) DashboardURL(uid string) string { return o.linkBase() + links.Path(uid) }

// RuleFile is a Prometheus rule file.
type RuleFile struct {
	Groups []Group `yaml:"groups"`
}

// Group is a rule group.
type Group struct {
	Name  string `yaml:"name"`
	Rules []Rule `yaml:"rules"`
}

// Rule is a recording or an alerting rule.
type Rule struct {
	Record      string            `yaml:"record,omitempty"`
	Alert       string            `yaml:"alert,omitempty"`
	Expr        string            `yaml:"expr"`
	For         string            `yaml:"for,omitempty"`
	Labels      map[string]string `yaml:"labels,omitempty"`
	Annotations map[string]string `yaml:"annotations,omitempty"`
}

// Rule group names.
const (
	GroupKPI      = "heady.kpi"
	GroupSLO      = "heady.slo.tool_calls"
	GroupExporter = "heady.exporter"
)

// Burn-rate alert parameters for tool_call_success (the SRE workbook's
// multiwindow, multi-burn-rate alerts over the windows the exporter
// exports): a fast pair paging on 14.4x the error budget over 1h and 5m,
// a slow pair on 6x over 6h and 30m.
var burnRates = []struct {
	Alert, Long, Short string
	Factor             float64
	Severity, For      string
}{
	{"HeadyToolCallErrorBudgetBurnFast", kpi.W1h, kpi.W5m, 14.4, "critical", "2m"},
	{"HeadyToolCallErrorBudgetBurnSlow", kpi.W6h, kpi.W30m, 6, "warning", "15m"},
}

// BurnKPI is the KPI the burn-rate alerts protect.
const BurnKPI = "tool_call_success"

// Exporter and source alert names. Their runbook anchors, and the
// burn-rate alerts', are the names in lower case with dashes (Anchor).
const (
	AlertExporterAbsent = "HeadyExporterAbsent"
	AlertExporterDown   = "HeadyExporterDown"
	AlertSourceDown     = "HeadySourceDown"
	AlertSourceStale    = "HeadySourceStale"
	AlertSourceOld      = "HeadySourceNotUpdated"

	AlertCheckpointLoadFailed = "HeadyExporterCheckpointLoadFailed"
	AlertCheckpointFailing    = "HeadyExporterCheckpointFailing"
	AlertReloadFailed         = "HeadyExporterConfigReloadFailed"
)

// Anchor is the runbook anchor of an alert that is not a KPI's.
func Anchor(alert string) string {
	var b strings.Builder
	for i, r := range strings.TrimPrefix(alert, "Heady") {
		if unicode.IsUpper(r) && i > 0 {
			b.WriteByte('-')
		}
		b.WriteRune(unicode.ToLower(r))
	}
	return b.String()
}

// camel turns a KPI id into CamelCase: tool_call_success -> ToolCallSuccess.
func camel(id string) string {
	var b strings.Builder
	for _, part := range strings.Split(id, "_") {
		if part == "" {
			continue
		}
		b.WriteString(strings.ToUpper(part[:1]) + part[1:])
	}
	return b.String()
}

// ValueAlertName is the alert of a KPI's value target.
func ValueAlertName(k kpi.KPI) string { return "Heady" + camel(k.ID) + "TargetMissed" }

// TrendAlertName is the alert of a KPI's trend target.
func TrendAlertName(k kpi.KPI) string { return "Heady" + camel(k.ID) + "TrendWorsening" }

// num renders a number for PromQL.
func num(v float64) string { return strconv.FormatFloat(v, 'g', -1, 64) }

// TrendLimit is the trend beyond which a trend alert fires, and the
// comparison that says it is beyond (the catalog's margin).
func TrendLimit(t kpi.Target) (string, float64) {
	if t.Trend == kpi.TrendIncreasing {
		return "<", t.TrendLimit()
	}
	return ">", t.TrendLimit()
}

func kpiLabels(k kpi.KPI) map[string]string {
	return map[string]string{"kpi": k.ID, "panel": string(k.Panel)}
}

// Routing labels besides severity, kpi and panel: Alertmanager's routes
// (package provisioning) read them, and only them, so an alert added here
// routes without an edit there.
const (
	// LabelNotify set to NotifyOnce marks alerts on event-like or
	// long-window KPIs: Alertmanager notifies when they start and when
	// they resolve, and does not repeat them while they fire.
	LabelNotify = "notify"
	NotifyOnce  = "once"
	// LabelTeam names the owner of an alert that has no panel (the
	// exporter's and sources' alerts).
	LabelTeam    = "team"
	TeamPlatform = "platform"
)

// longWindows are the windows over which a KPI moves too slowly, or counts
// too rare events, for a repeated notification to tell anyone anything new.
var longWindows = map[string]bool{kpi.W30d: true, kpi.WPrev30: true, kpi.W90d: true}

// NotifiesOnce reports whether k's alerts carry notify="once": every window
// its formulas read is 30 days or longer (security incidents, incident
// resolution times, rollbacks, milestones, 30-day costs).
func NotifiesOnce(k kpi.KPI) bool {
	used := usedWindows(k)
	if len(used) == 0 {
		return false
	}
	for sw := range used {
		if !longWindows[sw[strings.LastIndexByte(sw, '/')+1:]] {
			return false
		}
	}
	return true
}

// metOp is the comparison that holds when a value target is met.
func metOp(op kpi.Op) string { return string(op) }

// MetExpr is the PromQL of a judged KPI's RecordMet: 1 when met, 0 when
// missed, no sample with no data or while the cohort guard fails.
func MetExpr(k kpi.KPI) string {
	var e string
	if k.Target.HasValueTarget() {
		e = fmt.Sprintf("%s %s bool %s", k.Selector(kpi.RecordValue), metOp(k.Target.Op), num(k.Target.Value))
	} else {
		op := "<="
		if k.Target.Trend == kpi.TrendIncreasing {
			op = ">="
		}
		e = fmt.Sprintf("%s %s bool %s", k.Selector(kpi.RecordTrend), op, num(k.Target.TrendLimit()))
	}
	if k.Guard != "" {
		e = fmt.Sprintf("(%s) and ignoring (kpi, panel) (%s)", e, k.Guard)
	}
	return e
}

// NoDataExpr is the PromQL of a judged KPI's RecordNoData.
func NoDataExpr(k kpi.KPI) string {
	rec := kpi.RecordValue
	if !k.Target.HasValueTarget() {
		rec = kpi.RecordTrend
	}
	return "absent(" + k.Selector(rec) + ")"
}

// missed selects a KPI's missed judgment.
func missed(k kpi.KPI) string { return "(" + k.Selector(kpi.RecordMet) + " == 0)" }

// ValueAlertExpr is the PromQL of a KPI's value alert: the value, while
// the judgment says missed.
func ValueAlertExpr(k kpi.KPI) string {
	return k.Selector(kpi.RecordValue) + " and " + missed(k)
}

// TrendAlertExpr is the PromQL of a KPI's trend alert: how far the trend
// has moved (|trend - 1|), while the judgment says missed.
func TrendAlertExpr(k kpi.KPI) string {
	return "abs(" + k.Selector(kpi.RecordTrend) + " - 1) and " + missed(k)
}

// TrendExpr is the recording rule expression of a KPI's trend.
func TrendExpr(k kpi.KPI) string {
	return fmt.Sprintf("%s / (%s > 0)", k.Selector(kpi.RecordValue), k.Selector(kpi.RecordPrev))
}

// Rules builds every rule group.
func Rules(o Options) (RuleFile, error) {
	if err := o.Validate(); err != nil {
		return RuleFile{}, err
	}
	// The KPI alerts share the recording rules' group: rules of a group are
	// evaluated in order, so every alert reads the values recorded in the
	// same evaluation, whatever the evaluation interval.
	kpis := recording()
	kpis.Rules = append(kpis.Rules, Judgment()...)
	kpis.Rules = append(kpis.Rules, kpiAlerts(o).Rules...)
	return RuleFile{Groups: []Group{kpis, slo(o), exporter(o)}}, nil
}

func recording() Group {
	g := Group{Name: GroupKPI}
	for _, k := range kpi.Catalog {
		if k.Expr == "" {
			continue
		}
		g.Rules = append(g.Rules, Rule{Record: kpi.RecordValue, Expr: k.Expr, Labels: kpiLabels(k)})
		if k.PrevExpr != "" {
			g.Rules = append(g.Rules,
				Rule{Record: kpi.RecordPrev, Expr: k.PrevExpr, Labels: kpiLabels(k)},
				Rule{Record: kpi.RecordTrend, Expr: TrendExpr(k), Labels: kpiLabels(k)})
		}
	}
	return g
}

// Judgment is the judgment's recording rules, which read the recorded
// values and trends: RecordMet and RecordNoData per judged KPI, then the
// counts. They follow the value rules in the same group.
func Judgment() []Rule {
	var out []Rule
	for _, k := range kpi.Catalog {
		if !k.Judged() {
			continue
		}
		out = append(out,
			Rule{Record: kpi.RecordMet, Expr: MetExpr(k), Labels: kpiLabels(k)},
			Rule{Record: kpi.RecordNoData, Expr: NoDataExpr(k), Labels: kpiLabels(k)})
	}
	return append(out,
		Rule{Record: kpi.RecordCountMet, Expr: "count(" + kpi.RecordMet + " == 1) or vector(0)"},
		Rule{Record: kpi.RecordCountMissed, Expr: "count(" + kpi.RecordMet + " == 0) or vector(0)"},
		Rule{Record: kpi.RecordCountNoData, Expr: "count(" + kpi.RecordNoData + ") or vector(0)"},
		Rule{Record: kpi.RecordCountJudged, Expr: "count(" + kpi.RecordMet + ") or vector(0)"})
}

func withSeverity(k kpi.KPI) map[string]string {
	l := kpiLabels(k)
	l["severity"] = k.Severity
	if NotifiesOnce(k) {
		l[LabelNotify] = NotifyOnce
	}
	return l
}

func kpiAlerts(o Options) Group {
	g := Group{Name: GroupKPI}
	for _, k := range kpi.Catalog {
		if k.Expr == "" {
			continue
		}
		if k.Target.HasValueTarget() {
			g.Rules = append(g.Rules, Rule{
				Alert: ValueAlertName(k), Expr: ValueAlertExpr(k), For: k.For,
				Labels: withSeverity(k), Annotations: valueAnnotations(o, k),
			})
		}
		if k.Target.HasTrendTarget() {
			g.Rules = append(g.Rules, Rule{
				Alert: TrendAlertName(k), Expr: TrendAlertExpr(k), For: k.For,
				Labels: withSeverity(k), Annotations: trendAnnotations(o, k),
			})
		}
	}
	return g
}

// ErrorRatioExpr is the tool call error ratio over one exported window.
func ErrorRatioExpr(window string) string {
	sel := fmt.Sprintf("window=%q", window)
	return fmt.Sprintf(`sum without (instance, window, status) (%s{%s,status!="success"}) / (sum without (instance, window, status) (%s{%s}) > 0)`,
		kpi.SToolCalls, sel, kpi.SToolCalls, sel)
}

func slo(o Options) Group {
	k, ok := kpi.Lookup(BurnKPI)
	if !ok || !k.Target.HasValueTarget() {
		panic("alerts: catalog has no value target for " + BurnKPI)
	}
	// 1 - 0.99 is 0.010000000000000009 in floating point; show 0.01.
	budget, _ := strconv.ParseFloat(strconv.FormatFloat(1-k.Target.Value, 'g', 10, 64), 64)
	g := Group{Name: GroupSLO}
	for _, b := range burnRates {
		limit := fmt.Sprintf("(%s * %s)", num(b.Factor), num(budget))
		l := kpiLabels(k)
		l["severity"] = b.Severity
		g.Rules = append(g.Rules, Rule{
			Alert: b.Alert,
			Expr:  fmt.Sprintf("(%s) > %s\nand\n(%s) > %s", ErrorRatioExpr(b.Long), limit, ErrorRatioExpr(b.Short), limit),
			For:   b.For, Labels: l,
			Annotations: burnAnnotations(o, k, b.Alert, b.Long, b.Short, b.Factor, budget),
		})
	}
	return g
}

func exporter(o Options) Group {
	up := fmt.Sprintf(`up{job=%q}`, o.Job)
	stale, _ := model.ParseDuration(o.SourceStaleAfter)
	staleSeconds := num(float64(stale) / 1e9)
	rule := func(name, expr, forDur, severity string, ann map[string]string) Rule {
		l := map[string]string{"severity": severity, LabelTeam: TeamPlatform}
		ann["runbook_url"] = o.RunbookURL(Anchor(name))
		ann["dashboard_url"] = o.DashboardURL(dashboards.SourcesUID)
		return Rule{Alert: name, Expr: expr, For: forDur, Labels: l, Annotations: ann}
	}
	return Group{Name: GroupExporter, Rules: []Rule{
		rule(AlertExporterAbsent, "absent("+up+")", "5m", "critical", map[string]string{
			"summary":     fmt.Sprintf("heady-exporter (job %s) is absent from Prometheus's targets", o.Job),
			"description": fmt.Sprintf("No target of job %q has been discovered for 5 minutes, so no KPI is computed and no KPI alert can fire. Check the scrape configuration and that the exporter is deployed.", o.Job),
		}),
		rule(AlertExporterDown, up+" == 0", "5m", "critical", map[string]string{
			"summary":     "heady-exporter {{ $labels.instance }} cannot be scraped",
			"description": "The scrape of {{ $labels.instance }} (job {{ $labels.job }}) has failed for 5 minutes; its users' KPIs are missing from every sum.",
		}),
		rule(AlertSourceDown, kpi.SSourceUp+" == 0", "10m", "warning", map[string]string{
			"summary":     "Heady source {{ $labels.source }} is down on {{ $labels.instance }}",
			"description": "The last read or poll of source {{ $labels.source }} failed and has kept failing for 10 minutes; the KPIs computed from it are frozen or partial. See heady_exporter_source_errors_total{source=\"{{ $labels.source }}\"} for the reason.",
		}),
		rule(AlertSourceStale, kpi.SSourceStale+" == 1", "15m", "warning", map[string]string{
			"summary":     "Heady source {{ $labels.source }} serves stale values on {{ $labels.instance }}",
			"description": "Source {{ $labels.source }} keeps the last good values of a failed poll and has done so for 15 minutes.",
		}),
		rule(AlertSourceOld, fmt.Sprintf("time() - %s > %s", kpi.SSourceLastSuccess, staleSeconds), "5m", "warning", map[string]string{
			"summary":     "Heady source {{ $labels.source }} has not succeeded for {{ $value | humanizeDuration }}",
			"description": fmt.Sprintf("The last successful read or poll of source {{ $labels.source }} on {{ $labels.instance }} is {{ $value | humanizeDuration }} old (limit %s).", o.SourceStaleAfter),
		}),
		rule(AlertCheckpointLoadFailed, kpi.SCheckpointLoadFailures+" > 0", "", "warning", map[string]string{
			"summary":     "heady-exporter {{ $labels.instance }} could not load its checkpoint and rebuilt its state",
			"description": "At its last start, the checkpoint in state_dir did not load; it was moved aside as checkpoint.bin.unloadable-<time> and the state was rebuilt from the logs still on disk. Events of logs already rotated away are missing from the windows until they slide past them.",
		}),
		rule(AlertCheckpointFailing, "increase("+kpi.SEngineCheckpointErr+"[15m]) > 0", "15m", "warning", map[string]string{
			"summary":     "heady-exporter {{ $labels.instance }} cannot write its checkpoint",
			"description": "Checkpoint writes to state_dir have kept failing for 15 minutes. Nothing is lost while the process runs, but a restart resumes from the last good checkpoint and re-reads the logs since: events in logs rotated away meanwhile would be missing.",
		}),
		rule(AlertReloadFailed, kpi.SConfigReloadOK+" == 0", "5m", "warning", map[string]string{
			"summary":     "heady-exporter {{ $labels.instance }} refused its new configuration",
			"description": "The last reload (SIGHUP or POST /-/reload) failed and the previous configuration is still in force. The exporter's log names the file, line and key.",
		}),
	}}
}
