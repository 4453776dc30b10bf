package dashboards

import (
	"fmt"

	"github.com/grafana/grafana-foundation-sdk/go/cog"
	"github.com/grafana/grafana-foundation-sdk/go/common"
	"github.com/grafana/grafana-foundation-sdk/go/dashboard"
	"github.com/grafana/grafana-foundation-sdk/go/stat"
	"github.com/grafana/grafana-foundation-sdk/go/text"

	"github.com/heady/heady-metrics/kpi"
)

// The executive dashboard fits one 1920x1080 screen: a top band (North
// Star, score, sources down) and the KPIs as compact stats, two panels of
// the catalog side by side per band. Grid units: 24 columns; a height unit
// is 30 px plus an 8 px gap.
const (
	execTopHeight  = 5
	execStatWidth  = 3
	execStatHeight = 2
	execPerLine    = 4 // stats per line within a panel's half of the grid
	execHalf       = 12
)

// ExecutiveHeight is the executive dashboard's first screen in grid units
// (every panel outside the collapsed rows lies above it).
func ExecutiveHeight() uint32 {
	y := uint32(execTopHeight)
	for _, band := range execBands() {
		lines := 0
		for _, p := range band {
			lines = max(lines, (len(kpi.ByPanel(p))+execPerLine-1)/execPerLine)
		}
		y += 1 + uint32(lines)*execStatHeight
	}
	return y
}

// execBands pairs the catalog's panels (North Star aside) two by two.
func execBands() [][]kpi.Panel {
	var bands [][]kpi.Panel
	for _, p := range kpi.Panels {
		if p.ID == kpi.PanelNorthStar {
			continue
		}
		if n := len(bands); n == 0 || len(bands[n-1]) == 2 {
			bands = append(bands, nil)
		}
		bands[len(bands)-1] = append(bands[len(bands)-1], p.ID)
	}
	return bands
}

func at(x, y, w, h uint32) dashboard.GridPos { return dashboard.GridPos{X: x, Y: y, W: w, H: h} }

// Status queries of a KPI's stat, by query ref: each returns the value only
// while the judgment (the recording rules) has the KPI in that status, and
// the panel colours each ref with its status colour. A KPI without a
// target has only RefNotJudged.
const (
	RefMet       = "met"
	RefMissed    = "missed"
	RefNoData    = "nodata"
	RefNotJudged = "notjudged"
)

// StatusQueries returns the PromQL of each status query of a KPI's stat.
func StatusQueries(k kpi.KPI) map[string]string {
	v := k.Selector(kpi.RecordValue)
	if k.Expr == "" && k.TopExpr != "" {
		return map[string]string{RefNotJudged: "topk(1, " + k.TopExpr + ")"}
	}
	if !k.Judged() {
		return map[string]string{RefNotJudged: v}
	}
	met, noData := k.Selector(kpi.RecordMet), k.Selector(kpi.RecordNoData)
	return map[string]string{
		RefMet:       fmt.Sprintf("%s and on (kpi) (%s == 1)", v, met),
		RefMissed:    fmt.Sprintf("%s and on (kpi) (%s == 0)", v, met),
		RefNoData:    noData,
		RefNotJudged: fmt.Sprintf("%s unless on (kpi) (%s or %s)", v, met, noData),
	}
}

// RefStatus is the status a status query's ref stands for.
var RefStatus = map[string]kpi.Status{
	RefMet: kpi.StatusMet, RefMissed: kpi.StatusMissed, RefNoData: kpi.StatusNoData, RefNotJudged: kpi.StatusNotJudged,
}

func fixedColour(c string) dashboard.DynamicConfigValue {
	return dashboard.DynamicConfigValue{Id: "color", Value: map[string]any{"mode": "fixed", "fixedColor": c}}
}

// kpiStat is one KPI as a compact stat coloured by its status.
func kpiStat(id *ids, k kpi.KPI, pos dashboard.GridPos, o Options) *stat.PanelBuilder {
	unit, dec := grafanaUnit(k.Unit)
	p := stat.NewPanelBuilder().
		Id(id.next()).
		Title(k.Title).
		Description(Description(k)).
		Datasource(ds()).
		GridPos(pos).
		Unit(unit).Decimals(dec).
		ColorMode(common.BigValueColorModeBackground).
		GraphMode(common.BigValueGraphModeNone).
		TextMode(common.BigValueTextModeValue).
		ReduceOptions(common.NewReduceDataOptionsBuilder().Calcs([]string{"lastNotNull"})).
		NoValue("no data").
		Links(kpiLinks(k, o))
	qs := StatusQueries(k)
	for _, ref := range []string{RefMet, RefMissed, RefNoData, RefNotJudged} {
		e, ok := qs[ref]
		if !ok {
			continue
		}
		legend := k.Title
		if k.Expr == "" && k.TopExpr != "" {
			legend = topLegend(k)
			p.TextMode(common.BigValueTextModeValueAndName)
		}
		p.WithTarget(query(ref, e, legend).Instant())
		props := []dashboard.DynamicConfigValue{fixedColour(StatusColour(RefStatus[ref]))}
		if ref == RefNoData {
			props = append(props,
				dashboard.DynamicConfigValue{Id: "unit", Value: "none"},
				dashboard.DynamicConfigValue{Id: "mappings", Value: []any{map[string]any{
					"type": "value", "options": map[string]any{"1": map[string]any{"text": "no data", "color": grey}},
				}}})
		}
		p.OverrideByQuery(ref, props)
	}
	return p
}

// scoreStat shows the judgment's counts.
func scoreStat(id *ids, pos dashboard.GridPos) *stat.PanelBuilder {
	p := stat.NewPanelBuilder().
		Id(id.next()).
		Title("Score: targets met of those judged").
		Description("How many KPIs meet their target, how many miss it, of how many judged, and how many have no data to judge by; read from the recording rules the alerts use (" + kpi.RecordCountMet + ", " + kpi.RecordCountMissed + ", " + kpi.RecordCountJudged + ", " + kpi.RecordCountNoData + ").").
		Datasource(ds()).
		GridPos(pos).
		Unit("none").Decimals(0).
		ColorMode(common.BigValueColorModeBackground).
		GraphMode(common.BigValueGraphModeNone).
		TextMode(common.BigValueTextModeValueAndName).
		ReduceOptions(common.NewReduceDataOptionsBuilder().Calcs([]string{"lastNotNull"})).
		NoValue("no data")
	for _, c := range []struct{ ref, expr, legend, colour string }{
		{RefMet, kpi.RecordCountMet, "met", green},
		{RefMissed, kpi.RecordCountMissed, "missed", red},
		{"judged", kpi.RecordCountJudged, "judged", blue},
		{RefNoData, kpi.RecordCountNoData, "no data", grey},
	} {
		p.WithTarget(query(c.ref, c.expr, c.legend).Instant())
		p.OverrideByQuery(c.ref, []dashboard.DynamicConfigValue{fixedColour(c.colour)})
	}
	return p
}

// SourcesDownExpr counts the sources whose last read or poll failed.
const SourcesDownExpr = "count(max without (instance) (" + kpi.SSourceUp + ") == 0) or vector(0)"

func sourcesDownStat(id *ids, pos dashboard.GridPos) *stat.PanelBuilder {
	return stat.NewPanelBuilder().
		Id(id.next()).
		Title("Sources down").
		Description("Sources whose last read or poll failed: the KPIs computed from them are frozen or partial. Details on the sources dashboard.").
		Datasource(ds()).
		GridPos(pos).
		WithTarget(query("A", SourcesDownExpr, "sources down").Instant()).
		Unit("none").Decimals(0).
		Thresholds(thresholds([]dashboard.Threshold{step(nil, green), step(f(1), red)})).
		ColorMode(common.BigValueColorModeBackground).
		GraphMode(common.BigValueGraphModeNone).
		ReduceOptions(common.NewReduceDataOptionsBuilder().Calcs([]string{"lastNotNull"})).
		Links([]cog.Builder[dashboard.DashboardLink]{panelLink("Sources and exporter", SourcesUID)})
}

// header names a catalog panel above its stats and links to its
// drill-down (a relative link: it stays inside Grafana).
func header(id *ids, p kpi.Panel, pos dashboard.GridPos) *text.PanelBuilder {
	return text.NewPanelBuilder().
		Id(id.next()).
		Transparent(true).
		GridPos(pos).
		Mode(text.TextModeMarkdown).
		Content(fmt.Sprintf("**%s** &middot; [drill-down](%s)", kpi.PanelTitle(p), Path(PanelUID(p))))
}

func executive(o Options) *dashboard.DashboardBuilder {
	id := &ids{}
	b := newDashboard(ExecutiveUID, "Is Heady winning?",
		"Every KPI of the Heady catalog as a stat coloured by its status (green met, red missed, grey no data, blue not judged), read from the same recording rules the alerts judge by. Each stat links to its drill-down dashboard and runbook; time series and breakdowns are on the drill-downs.",
		"executive").
		Link(menu())
	north, _ := kpi.Lookup("north_star")
	b.WithPanel(kpiStat(id, north, at(0, 0, 8, execTopHeight), o))
	b.WithPanel(scoreStat(id, at(8, 0, 10, execTopHeight)))
	b.WithPanel(sourcesDownStat(id, at(18, 0, 6, execTopHeight)))
	y := uint32(execTopHeight)
	for _, band := range execBands() {
		lines := 0
		for i, p := range band {
			x0 := uint32(i) * execHalf
			b.WithPanel(header(id, p, at(x0, y, execHalf, 1)))
			ks := kpi.ByPanel(p)
			for j, k := range ks {
				col, line := uint32(j%execPerLine), uint32(j/execPerLine)
				b.WithPanel(kpiStat(id, k, at(x0+col*execStatWidth, y+1+line*execStatHeight, execStatWidth, execStatHeight), o))
			}
			lines = max(lines, (len(ks)+execPerLine-1)/execPerLine)
		}
		y += 1 + uint32(lines)*execStatHeight
	}
	row := dashboard.NewRowBuilder("Data freshness").Id(id.next()).Collapsed(true).
		GridPos(at(0, y, 24, 1)).
		WithPanel(freshnessTable(id, 24, 8))
	b.WithRow(row)
	return b
}
