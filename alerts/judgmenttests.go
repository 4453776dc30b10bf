package alerts

import (
	"fmt"
	"math"
	"sort"
	"strconv"
	"time"

	"github.com/heady/heady-metrics/dashboards"
	"github.com/heady/heady-metrics/kpi"
	"github.com/heady/heady-metrics/kpi/kpitest"
	"github.com/heady/heady-metrics/links"
)

// The judgment tests feed the recorded values themselves (heady:kpi_value
// and heady:kpi_previous) of every judged KPI, per agreement scenario of
// package kpitest, and check what the rules then judge against kpi.Judge:
// the met and no-data series, the counts, the executive dashboard's status
// queries (which colour Grafana's stats) and which alerts fire with which
// text. The formulas from exported series are the other test files' job.

const judgmentInterval = 15 * time.Minute

// judgmentExternalURL is the external_url the judgment tests' exporter
// serves.
const judgmentExternalURL = "https://grafana.example.com/grafana"

// judgmentAt is after the longest for: of any KPI alert.
func judgmentAt() time.Duration {
	longest := time.Duration(0)
	for _, k := range kpi.Catalog {
		if k.Judged() {
			longest = max(longest, parseFor(k.For))
		}
	}
	return longest + 2*judgmentInterval
}

func judgmentLabels(k kpi.KPI, withJob bool) string {
	if !withJob {
		return fmt.Sprintf("{kpi=%q,panel=%q}", k.ID, k.Panel)
	}
	return fmt.Sprintf("{job=%q,kpi=%q,panel=%q}", testJob, k.ID, k.Panel)
}

func constant(v float64, end time.Duration) string {
	return fmt.Sprintf("%s+0x%d", strconv.FormatFloat(v, 'g', -1, 64), int(end/judgmentInterval)+2)
}

// judgmentInputs are a scenario's input series.
func judgmentInputs(sc kpitest.Scenario, end time.Duration) []inputSeries {
	var out []inputSeries
	for _, c := range sc.Cases {
		k := c.KPI
		if c.HasValue {
			out = append(out, inputSeries{kpi.RecordValue + judgmentLabels(k, true), constant(c.Value, end)})
		}
		if c.HasTrend {
			out = append(out, inputSeries{kpi.RecordPrev + judgmentLabels(k, true), constant(c.Prev, end)})
		}
		if k.GuardOn != nil && c.HasValue {
			l := labelsFor(*k.GuardOn)
			l["job"], l["instance"] = testJob, testInstances[0]
			out = append(out, inputSeries{sample{name: k.GuardOn.Series, labels: l}.key(), constant(c.Cohort, end)})
		}
	}
	out = append(out, inputSeries{fmt.Sprintf("%s{external_url=%q,instance=%q,job=%q}", links.InfoSeries, judgmentExternalURL, testInstances[0], testJob), constant(1, end)})
	sort.Slice(out, func(i, j int) bool { return out[i].Series < out[j].Series })
	return out
}

func one(labels string, v float64) []expSample { return []expSample{{Labels: labels, Value: v}} }

// judgmentCase checks one KPI's judgment in a scenario.
func judgmentCase(o Options, c kpitest.Case, at string) ([]exprTest, alertTest) {
	k := c.KPI
	met, noData := []expSample{}, []expSample{}
	switch c.Want {
	case kpi.StatusMet:
		met = one(kpi.RecordMet+judgmentLabels(k, true), 1)
	case kpi.StatusMissed:
		met = one(kpi.RecordMet+judgmentLabels(k, true), 0)
	case kpi.StatusNoData:
		noData = one(kpi.RecordNoData+judgmentLabels(k, false), 1)
	}
	tests := []exprTest{
		{Expr: k.Selector(kpi.RecordMet), EvalTime: at, ExpSamples: met},
		{Expr: k.Selector(kpi.RecordNoData), EvalTime: at, ExpSamples: noData},
	}
	qs := dashboards.StatusQueries(k)
	for _, ref := range []string{dashboards.RefMet, dashboards.RefMissed, dashboards.RefNoData, dashboards.RefNotJudged} {
		want := []expSample{}
		if dashboards.RefStatus[ref] == c.Want {
			if ref == dashboards.RefNoData {
				want = one(kpi.RecordNoData+judgmentLabels(k, false), 1)
			} else {
				want = one(kpi.RecordValue+judgmentLabels(k, true), c.Value)
			}
		}
		tests = append(tests, exprTest{Expr: qs[ref], EvalTime: at, ExpSamples: want})
	}
	name := ValueAlertName(k)
	if !k.Target.HasValueTarget() {
		name = TrendAlertName(k)
	}
	alert := alertTest{EvalTime: at, Alertname: name, ExpAlerts: []expAlert{}}
	if c.Want == kpi.StatusMissed {
		labels := withSeverity(k)
		labels["job"] = testJob
		ann := valueAnnotationsWith(o, k, HumanValue(k.Unit, c.Value))
		if !k.Target.HasValueTarget() {
			ann = trendAnnotationsWith(o, k, humanizePercentage(math.Abs(c.Trend-1)))
		}
		alert.ExpAlerts = append(alert.ExpAlerts, expAlert{labels, ann})
	}
	return tests, alert
}

// judgmentTests builds one test group per agreement scenario.
func judgmentTests(o Options) []testGroup {
	o = o.renderedAs(judgmentExternalURL)
	end := judgmentAt()
	at := dur(end)
	var out []testGroup
	for _, sc := range kpitest.Scenarios() {
		g := testGroup{Name: "judgment: " + sc.Name, Interval: dur(judgmentInterval), InputSeries: judgmentInputs(sc, end)}
		for _, c := range sc.Cases {
			e, a := judgmentCase(o, c, at)
			g.ExprTests = append(g.ExprTests, e...)
			g.AlertTests = append(g.AlertTests, a)
		}
		n := sc.Counts()
		for _, c := range []struct {
			record string
			v      int
		}{{kpi.RecordCountMet, n.Met}, {kpi.RecordCountMissed, n.Missed}, {kpi.RecordCountNoData, n.NoData}, {kpi.RecordCountJudged, n.Judged()}} {
			g.ExprTests = append(g.ExprTests, exprTest{Expr: c.record, EvalTime: at, ExpSamples: one(c.record, float64(c.v))})
		}
		out = append(out, g)
	}
	return out
}
