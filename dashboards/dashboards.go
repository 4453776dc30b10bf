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
	"math"
	"strings"

	"github.com/grafana/grafana-foundation-sdk/go/bargauge"
	"github.com/grafana/grafana-foundation-sdk/go/cog"
	"github.com/grafana/grafana-foundation-sdk/go/common"
	"github.com/grafana/grafana-foundation-sdk/go/dashboard"
	"github.com/grafana/grafana-foundation-sdk/go/prometheus"
	"github.com/grafana/grafana-foundation-sdk/go/stat"
	"github.com/grafana/grafana-foundation-sdk/go/timeseries"

	"github.com/heady/heady-metrics/kpi"
)

// Fixed identifiers other generators (alerts, provisioning) refer to.
const (
	// DatasourceUID is the uid of the provisioned Prometheus datasource and
	// the default of every dashboard's datasource variable.
	DatasourceUID = "heady-prometheus"
	// DatasourceVar is the name of the datasource template variable.
	DatasourceVar = "datasource"
	// ExecutiveUID is the uid of the executive dashboard.
	ExecutiveUID = "heady-executive"
	// SourcesUID is the uid of the exporter and sources dashboard.
	SourcesUID = "heady-sources"
	// Tag is set on every generated dashboard; the dashboards' link menus
	// list the dashboards carrying it.
	Tag = "heady"
)

// Options are the generator's inputs besides the catalog.
type Options struct {
	// RunbookBase is the URL of docs/runbooks.md; panels link to
	// RunbookBase + "#" + kpi id.
	RunbookBase string
}

// PanelUID is the uid of the drill-down dashboard of panel p.
func PanelUID(p kpi.Panel) string {
	return "heady-" + strings.ReplaceAll(string(p), "_", "-")
}

// Path is the Grafana URL path of the dashboard with the given uid.
func Path(uid string) string { return "/d/" + uid }

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

// above is the smallest float64 greater than v: a Grafana threshold step
// applies from its value up, so a step at above(v) colours exactly the
// values > v.
func above(v float64) float64 { return math.Nextafter(v, math.Inf(1)) }

const (
	green  = "green"
	red    = "red"
	orange = "orange"
	blue   = "blue"
)

// ValueThresholds returns threshold steps that colour a KPI value green
// where it meets its target and red where it misses it, honouring the
// direction and strictness of the target's operator. A KPI without a value
// target gets a single neutral step.
func ValueThresholds(t kpi.Target) []dashboard.Threshold {
	switch t.Op {
	case kpi.OpGT:
		return []dashboard.Threshold{step(nil, red), step(f(above(t.Value)), green)}
	case kpi.OpGE:
		return []dashboard.Threshold{step(nil, red), step(f(t.Value), green)}
	case kpi.OpLT:
		return []dashboard.Threshold{step(nil, green), step(f(t.Value), red)}
	case kpi.OpLE:
		return []dashboard.Threshold{step(nil, green), step(f(above(t.Value)), red)}
	case kpi.OpEQ:
		return []dashboard.Threshold{step(nil, red), step(f(t.Value), green), step(f(above(t.Value)), red)}
	}
	return []dashboard.Threshold{step(nil, blue)}
}

// TrendThresholds colours a trend (current / previous window): green where
// the trend target is met, orange where it is missed by no more than the
// alert margin, red beyond (where the trend alert fires).
func TrendThresholds(t kpi.Target) []dashboard.Threshold {
	switch t.Trend {
	case kpi.TrendDecreasing:
		return []dashboard.Threshold{step(nil, green), step(f(above(1)), orange), step(f(above(1+kpi.TrendAlertMargin)), red)}
	case kpi.TrendIncreasing:
		return []dashboard.Threshold{step(nil, red), step(f(1-kpi.TrendAlertMargin), orange), step(f(1), green)}
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

// Description is the panel description of a KPI: its definition, target and
// alert.
func Description(k kpi.KPI) string {
	var b strings.Builder
	fmt.Fprintf(&b, "%s (KPI `%s`)\n\nTarget: %s.", k.Help, k.ID, k.Target.Format(k.Unit))
	switch {
	case k.Target.HasValueTarget():
		fmt.Fprintf(&b, " Green when met, red when missed. Alert: %s after %s.", k.Severity, k.For)
	case k.Target.HasTrendTarget():
		fmt.Fprintf(&b, " Trend = value / value over the previous window; green when %s, orange when moving the wrong way by up to %.0f%%, red beyond (alert: %s after %s).",
			k.Target.Trend, kpi.TrendAlertMargin*100, k.Severity, k.For)
	default:
		b.WriteString(" No alert.")
	}
	if k.Guard != "" {
		b.WriteString(" Not alerted on while the cohort-size guard fails.")
	}
	return b.String()
}

func valueStat(id *ids, k kpi.KPI, w, h uint32, o Options) *stat.PanelBuilder {
	unit, dec := grafanaUnit(k.Unit)
	colour := common.BigValueColorModeBackground
	if !k.Target.HasValueTarget() {
		colour = common.BigValueColorModeValue
	}
	return stat.NewPanelBuilder().
		Id(id.next()).
		Title(k.Title).
		Description(Description(k)).
		Datasource(ds()).
		WithTarget(query("A", k.Expr, k.Title).Instant()).
		Unit(unit).Decimals(dec).
		Thresholds(thresholds(ValueThresholds(k.Target))).
		ColorMode(colour).
		GraphMode(common.BigValueGraphModeNone).
		ReduceOptions(common.NewReduceDataOptionsBuilder().Calcs([]string{"lastNotNull"})).
		NoValue("no data").
		Span(w).Height(h).
		Links(kpiLinks(k, o))
}

func trendStat(id *ids, k kpi.KPI, w, h uint32, o Options) *stat.PanelBuilder {
	return stat.NewPanelBuilder().
		Id(id.next()).
		Title(k.Title + ": trend").
		Description(Description(k)).
		Datasource(ds()).
		WithTarget(query("A", TrendExpr(k), "trend").Instant()).
		Unit("percentunit").Decimals(1).
		Thresholds(thresholds(TrendThresholds(k.Target))).
		ColorMode(common.BigValueColorModeBackground).
		GraphMode(common.BigValueGraphModeNone).
		ReduceOptions(common.NewReduceDataOptionsBuilder().Calcs([]string{"lastNotNull"})).
		NoValue("no data").
		Span(w).Height(h).
		Links(kpiLinks(k, o))
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

// trendSeries is a trend KPI's trend over time with the target (1, no
// change) and the alert margin drawn.
func trendSeries(id *ids, k kpi.KPI, w, h uint32, o Options) *timeseries.PanelBuilder {
	return timeseries.NewPanelBuilder().
		Id(id.next()).
		Title(k.Title + ": trend over time").
		Description(Description(k)).
		Datasource(ds()).
		WithTarget(query("A", TrendExpr(k), "trend (current / previous window)")).
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
	links := []cog.Builder[dashboard.DashboardLink]{
		panelLink("Drill down: "+kpi.PanelTitle(k.Panel), PanelUID(k.Panel)),
	}
	if o.RunbookBase != "" {
		links = append(links, dashboard.NewDashboardLinkBuilder("Runbook: "+k.ID).
			Type(dashboard.DashboardLinkTypeLink).
			Url(o.RunbookBase+"#"+k.ID).
			TargetBlank(true))
	}
	return links
}

// addKPI lays out one KPI on half the grid width (the North Star on all of
// it): stats on the left, the time series on the right.
func addKPI(b *dashboard.DashboardBuilder, id *ids, k kpi.KPI, o Options) {
	const h = 6
	switch {
	case k.Expr == "" && k.TopExpr != "":
		b.WithPanel(topGauge(id, k, topLegend(k), 12, h, o))
	case k.Panel == kpi.PanelNorthStar:
		b.WithPanel(valueStat(id, k, 6, 8, o))
		b.WithPanel(valueSeries(id, k, 18, 8, o))
	case k.PrevExpr != "":
		b.WithPanel(valueStat(id, k, 3, h, o))
		b.WithPanel(trendStat(id, k, 3, h, o))
		if k.Target.HasTrendTarget() {
			b.WithPanel(trendSeries(id, k, 6, h, o))
		} else {
			b.WithPanel(valueSeries(id, k, 6, h, o))
		}
	default:
		b.WithPanel(valueStat(id, k, 4, h, o))
		b.WithPanel(valueSeries(id, k, 8, h, o))
	}
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

func executive(o Options) *dashboard.DashboardBuilder {
	id := &ids{}
	b := newDashboard(ExecutiveUID, "Is Heady winning?",
		"Every KPI of the Heady catalog against its target: the North Star on top, one row per panel. Each panel links to its drill-down dashboard and runbook.",
		"executive").
		Link(menu())
	for _, p := range kpi.Panels {
		b.WithRow(dashboard.NewRowBuilder(p.Title).Id(id.next()))
		for _, k := range kpi.ByPanel(p.ID) {
			addKPI(b, id, k, o)
		}
	}
	b.WithRow(dashboard.NewRowBuilder("Data freshness").Id(id.next()))
	b.WithPanel(freshnessTable(id, 24, 8))
	return b
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
