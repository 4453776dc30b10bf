// Package dashboards generates the Grafana dashboards of heady-metrics from
// the KPI catalog (package kpi) with the Grafana Foundation SDK: the executive
// dashboard "Is Heady winning?", one drill-down dashboard per panel of the
// catalog and a dashboard of the exporter's sources. It also renders the
// grafana.com import form of each (with __inputs).
//
// The package owns the dashboard UIDs, the datasource variable and the
// layout. It declares no KPI, target or series name: every query is either a
// catalog expression or built from the kpi series constants. It writes no
// file itself; cmd/heady-gen does.
package dashboards

import (
	"fmt"
	"strings"

	"github.com/grafana/grafana-foundation-sdk/go/bargauge"
	"github.com/grafana/grafana-foundation-sdk/go/cog"
	"github.com/grafana/grafana-foundation-sdk/go/common"
	"github.com/grafana/grafana-foundation-sdk/go/dashboard"
	"github.com/grafana/grafana-foundation-sdk/go/prometheus"
	"github.com/grafana/grafana-foundation-sdk/go/timeseries"

	"github.com/heady/heady-metrics/kpi"
	"github.com/heady/heady-metrics/links"
)

// Fixed identifiers other generators (alerts, provisioning) refer to.
const (
	// DatasourceUID is the uid of the provisioned Prometheus datasource and
	// the default of every dashboard's datasource variable.
	DatasourceUID = "heady-prometheus"
	// DatasourceVar is the name of the datasource template variable.
	DatasourceVar = "datasource"
	// ExecutiveUID is the uid of the executive dashboard.
	ExecutiveUID = links.ExecutiveUID
	// RunbooksUID is the uid of the runbooks dashboard.
	RunbooksUID = links.RunbooksUID
	// SourcesUID is the uid of the exporter and sources dashboard.
	SourcesUID = "heady-sources"
	// Tag is set on every generated dashboard; the dashboards' link menus
	// list the dashboards carrying it.
	Tag = "heady"
)

// Options are the generator's inputs besides the catalog.
type Options struct {
	// Runbooks are the runbook sections (alerts.RunbookSections): the
	// runbooks dashboard shows them, and KPI panels link to theirs with a
	// relative link.
	Runbooks []RunbookSection
}

// RunbookSection is one runbook: a text panel of the runbooks dashboard.
type RunbookSection struct {
	ID       uint32 // the panel id, which links open with viewPanel
	Anchor   string // the KPI id or the alert's anchor
	Title    string
	Markdown string
}

// PanelUID is the uid of the drill-down dashboard of panel p.
func PanelUID(p kpi.Panel) string {
	return "heady-" + strings.ReplaceAll(string(p), "_", "-")
}

// Path is the Grafana URL path of the dashboard with the given uid.
func Path(uid string) string { return links.Path(uid) }

// Dashboard is one generated dashboard and the file it is written to.
type Dashboard struct {
	UID   string
	File  string // base name, e.g. "heady-executive.json"
	Model dashboard.Dashboard
}

// All builds every dashboard: the executive one, one per panel, then the
// sources one.
func All(o Options) ([]Dashboard, error) {
	var out []Dashboard
	add := func(uid string, b *dashboard.DashboardBuilder) error {
		d, err := b.Build()
		if err != nil {
			return fmt.Errorf("dashboard %s: %w", uid, err)
		}
		out = append(out, Dashboard{UID: uid, File: uid + ".json", Model: d})
		return nil
	}
	if err := add(ExecutiveUID, executive(o)); err != nil {
		return nil, err
	}
	for _, p := range kpi.Panels {
		if err := add(PanelUID(p.ID), detail(o, p.ID)); err != nil {
			return nil, err
		}
	}
	if err := add(SourcesUID, sources()); err != nil {
		return nil, err
	}
	if len(o.Runbooks) > 0 {
		if err := add(RunbooksUID, runbooks(o.Runbooks)); err != nil {
			return nil, err
		}
	}
	return out, nil
}

// ids hands out panel ids in build order, so that ids are stable.
type ids struct{ n uint32 }

func (i *ids) next() uint32 { i.n++; return i.n }

func ds() common.DataSourceRef {
	return common.DataSourceRef{Type: cog.ToPtr("prometheus"), Uid: cog.ToPtr("${" + DatasourceVar + "}")}
}

func newDashboard(uid, title, description string, tags ...string) *dashboard.DashboardBuilder {
	return dashboard.NewDashboardBuilder(title).
		Uid(uid).
		Description(description).
		Tags(append([]string{Tag}, tags...)).
		Editable().
		Tooltip(dashboard.DashboardCursorSyncCrosshair).
		Time("now-30d", "now").
		Timezone("utc").
		Refresh("5m").
		WithVariable(dashboard.NewDatasourceVariableBuilder(DatasourceVar).
			Label("Data source").
			Type("prometheus").
			Current(dashboard.VariableOption{
				Text:  dashboard.StringOrArrayOfString{String: cog.ToPtr(DatasourceUID)},
				Value: dashboard.StringOrArrayOfString{String: cog.ToPtr(DatasourceUID)},
			}))
}

// menu is the dashboard-level link listing every Heady dashboard.
func menu() *dashboard.DashboardLinkBuilder {
	return dashboard.NewDashboardLinkBuilder("Heady dashboards").
		Type(dashboard.DashboardLinkTypeDashboards).
		Tags([]string{Tag}).
		AsDropdown(true).
		IncludeVars(true).
		KeepTime(true)
}

func linkTo(title, uid string) *dashboard.DashboardLinkBuilder {
	return dashboard.NewDashboardLinkBuilder(title).
		Type(dashboard.DashboardLinkTypeLink).
		Url(Path(uid)).
		IncludeVars(true).
		KeepTime(true)
}

// panelLink is a panel (data) link to another dashboard keeping time range
// and datasource.
func panelLink(title, uid string) *dashboard.DashboardLinkBuilder {
	return dashboard.NewDashboardLinkBuilder(title).
		Type(dashboard.DashboardLinkTypeLink).
		Url(Path(uid) + "?${__url_time_range}&${" + DatasourceVar + ":queryparam}")
}

func query(ref, expr, legend string) *prometheus.DataqueryBuilder {
	return prometheus.NewDataqueryBuilder().
		RefId(ref).
		Datasource(ds()).
		Expr(expr).
		LegendFormat(legend)
}

// grafanaUnit maps a catalog unit to a Grafana unit id and decimals.
func grafanaUnit(u kpi.Unit) (string, float64) {
	switch u {
	case kpi.UnitRatio:
		return "percentunit", 1
	case kpi.UnitSeconds:
		return "s", 1
	case kpi.UnitUSD:
		return "currencyUSD", 2
	case kpi.UnitUsers, kpi.UnitCount:
		return "short", 0
	case kpi.UnitScore:
		return "none", 1
	}
	return "none", 2
}

func step(v *float64, color string) dashboard.Threshold {
	return dashboard.Threshold{Value: v, Color: color}
}

func f(v float64) *float64 { return &v }

// Status colours: one per kpi.Status.
const (
	green       = "green"
	red         = "red"
	grey        = "#8e8e8e"
	blue        = "blue"
	transparent = "transparent"
)

// StatusColour is the colour of a status on every dashboard.
func StatusColour(s kpi.Status) string {
	switch s {
	case kpi.StatusMet:
		return green
	case kpi.StatusMissed:
		return red
	case kpi.StatusNoData:
		return grey
	}
	return blue
}

// ValueThresholds is the target line of a KPI's time series: one step at
// the target's own value (Grafana draws it dashed). Whether a value meets
// the target is not coloured by thresholds (a strict target would need a
// step at the next float, which people then read as 5.000000000000001):
// the stats read the judgment's recording rules instead.
func ValueThresholds(t kpi.Target) []dashboard.Threshold {
	if !t.HasValueTarget() {
		return []dashboard.Threshold{step(nil, blue)}
	}
	return []dashboard.Threshold{step(nil, transparent), step(f(t.Value), red)}
}

// TrendThresholds is the limit line of a trend's change (current /
// previous window - 1, see TrendChangeExpr): at +TrendMargin for a
// decreasing target, -TrendMargin for an increasing one.
func TrendThresholds(t kpi.Target) []dashboard.Threshold {
	switch t.Trend {
	case kpi.TrendDecreasing:
		return []dashboard.Threshold{step(nil, transparent), step(f(kpi.TrendMargin), red)}
	case kpi.TrendIncreasing:
		return []dashboard.Threshold{step(nil, transparent), step(f(-kpi.TrendMargin), red)}
	}
	return []dashboard.Threshold{step(nil, blue)}
}

func thresholds(steps []dashboard.Threshold) *dashboard.ThresholdsConfigBuilder {
	return dashboard.NewThresholdsConfigBuilder().Mode(dashboard.ThresholdsModeAbsolute).Steps(steps)
}

// TrendExpr is the PromQL of a trend KPI's trend, from the catalog's
// expressions (not the recording rules, so that backfilled history shows).
func TrendExpr(k kpi.KPI) string {
	return fmt.Sprintf("(%s) / ((%s) > 0)", k.Expr, k.PrevExpr)
}

// TrendChangeExpr is the trend as a change on the previous window
// (current / previous - 1), which Grafana shows as "-8%" rather than a
// ratio read as a percentage.
func TrendChangeExpr(k kpi.KPI) string { return TrendExpr(k) + " - 1" }

// Description is the panel description of a KPI: its definition, target and
// alert.
func Description(k kpi.KPI) string {
	var b strings.Builder
	fmt.Fprintf(&b, "%s (KPI `%s`)\n\n", k.Help, k.ID)
	switch {
	case k.Target.HasValueTarget():
		fmt.Fprintf(&b, "Target: %s. Green when met, red when missed, grey with no data. Alert: %s after %s.", k.Target.Text(k.Unit), k.Severity, k.For)
	case k.Target.HasTrendTarget():
		fmt.Fprintf(&b, "Target: %s. The value is judged by its trend (value / value over the previous window): green when met, red when missed, grey with no data. Alert: %s after %s.",
			k.Target.Text(k.Unit), k.Severity, k.For)
	default:
		b.WriteString("No target, no alert (shown in blue).")
	}
	if k.GuardOn != nil {
		fmt.Fprintf(&b, " Not judged (blue) while the cohort has fewer than %s users.", kpi.FormatValue(kpi.UnitCount, k.GuardMin))
	}
	return b.String()
}

// valueSeries is a KPI's time series with its target drawn as a dashed
// constant line (Grafana draws the threshold steps as lines).
func valueSeries(id *ids, k kpi.KPI, w, h uint32, o Options) *timeseries.PanelBuilder {
	unit, dec := grafanaUnit(k.Unit)
	p := timeseries.NewPanelBuilder().
		Id(id.next()).
		Title(k.Title + " over time").
		Description(Description(k)).
		Datasource(ds()).
		WithTarget(query("A", k.Expr, k.Title)).
		Unit(unit).Decimals(dec).
		Span(w).Height(h).
		LineWidth(2).
		SpanNulls(common.BoolOrFloat64{Bool: cog.ToPtr(false)}).
		Links(kpiLinks(k, o))
	if k.PrevExpr != "" {
		p.WithTarget(query("B", k.PrevExpr, "previous window"))
	}
	if k.Target.HasValueTarget() {
		p.Thresholds(thresholds(ValueThresholds(k.Target))).
			ThresholdsStyle(common.NewGraphThresholdsStyleConfigBuilder().Mode(common.GraphThresholdsStyleModeDashed))
	}
	return p
}

// trendSeries is a trend KPI's change on the previous window over time,
// with the margin beyond which it is missed drawn.
func trendSeries(id *ids, k kpi.KPI, w, h uint32, o Options) *timeseries.PanelBuilder {
	return timeseries.NewPanelBuilder().
		Id(id.next()).
		Title(k.Title + ": trend over time").
		Description(Description(k)).
		Datasource(ds()).
		WithTarget(query("A", TrendChangeExpr(k), "change on the previous window")).
		Unit("percentunit").Decimals(1).
		Span(w).Height(h).
		LineWidth(2).
		Thresholds(thresholds(TrendThresholds(k.Target))).
		ThresholdsStyle(common.NewGraphThresholdsStyleConfigBuilder().Mode(common.GraphThresholdsStyleModeDashed)).
		Links(kpiLinks(k, o))
}

func topGauge(id *ids, k kpi.KPI, legend string, w, h uint32, o Options) *bargauge.PanelBuilder {
	unit, dec := grafanaUnit(k.Unit)
	return bargauge.NewPanelBuilder().
		Id(id.next()).
		Title(k.Title).
		Description(Description(k)).
		Datasource(ds()).
		WithTarget(query("A", k.TopExpr, legend).Instant()).
		Unit(unit).Decimals(dec).
		Min(0).
		Thresholds(thresholds(ValueThresholds(kpi.Target{}))).
		DisplayMode(common.BarGaugeDisplayModeGradient).
		Orientation(common.VizOrientationHorizontal).
		ReduceOptions(common.NewReduceDataOptionsBuilder().Calcs([]string{"lastNotNull"})).
		Span(w).Height(h).
		Links(kpiLinks(k, o))
}

func kpiLinks(k kpi.KPI, o Options) []cog.Builder[dashboard.DashboardLink] {
	out := []cog.Builder[dashboard.DashboardLink]{
		panelLink("Drill down: "+kpi.PanelTitle(k.Panel), PanelUID(k.Panel)),
	}
	for _, r := range o.Runbooks {
		if r.Anchor == k.ID {
			out = append(out, dashboard.NewDashboardLinkBuilder("Runbook: "+k.ID).
				Type(dashboard.DashboardLinkTypeLink).
				Url(links.RunbookPath(r.ID)))
		}
	}
	return out
}

// topLegend names the label a top-N expression ranks.
func topLegend(k kpi.KPI) string {
	for _, name := range k.Series {
		s, _ := kpi.LookupSeries(name)
		for _, l := range s.Labels {
			if l != "window" {
				return "{{" + l + "}}"
			}
		}
	}
	return k.Title
}

// freshnessTable shows, per source, whether it is up, how old its last
// success is, whether its values are stale and its recent errors.
func freshnessTable(id *ids, w, h uint32) cog.Builder[dashboard.Panel] {
	return tablePanel(id, "Source freshness",
		"Per source: up (last read or poll succeeded; a file source also needs a file to read), seconds since the last success, stale (values are the last good ones of a failed poll), inputs skipped or failed in the last hour, and for file sources the files followed (0: the configured paths match no file). A KPI is only as fresh as its sources.",
		w, h,
		[]*prometheus.DataqueryBuilder{
			query("A", "max without (instance) ("+kpi.SSourceUp+")", "").Instant().Format(prometheus.PromQueryFormatTable),
			query("B", "time() - max without (instance) ("+kpi.SSourceLastSuccess+")", "").Instant().Format(prometheus.PromQueryFormatTable),
			query("C", "max without (instance) ("+kpi.SSourceStale+")", "").Instant().Format(prometheus.PromQueryFormatTable),
			query("D", "sum without (instance, reason) (increase("+kpi.SSourceErrors+"[1h]))", "").Instant().Format(prometheus.PromQueryFormatTable),
			query("E", "min without (instance) ("+kpi.SSourceFiles+")", "").Instant().Format(prometheus.PromQueryFormatTable),
		},
		map[string]string{"Value #A": "up", "Value #B": "seconds since last success", "Value #C": "stale", "Value #D": "errors (1h)", "Value #E": "files (0: paths match nothing)"},
		panelLink("Sources and exporter", SourcesUID))
}
