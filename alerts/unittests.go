package alerts

import (
	"fmt"
	"math"
	"sort"
	"strconv"
	"strings"
	"time"

	"github.com/prometheus/common/model"

	"github.com/heady/heady-metrics/kpi"
)

// Unit test files follow promtool's `test rules` format.
type testFile struct {
	RuleFiles          []string    `yaml:"rule_files"`
	EvaluationInterval string      `yaml:"evaluation_interval"`
	Tests              []testGroup `yaml:"tests"`
}

type testGroup struct {
	Name        string        `yaml:"name"`
	Interval    string        `yaml:"interval"`
	InputSeries []inputSeries `yaml:"input_series"`
	ExprTests   []exprTest    `yaml:"promql_expr_test,omitempty"`
	AlertTests  []alertTest   `yaml:"alert_rule_test,omitempty"`
}

type inputSeries struct {
	Series string `yaml:"series"`
	Values string `yaml:"values"`
}

type exprTest struct {
	Expr       string      `yaml:"expr"`
	EvalTime   string      `yaml:"eval_time"`
	ExpSamples []expSample `yaml:"exp_samples"`
}

type expSample struct {
	Labels string  `yaml:"labels"`
	Value  float64 `yaml:"value"`
}

type alertTest struct {
	EvalTime  string     `yaml:"eval_time"`
	Alertname string     `yaml:"alertname"`
	ExpAlerts []expAlert `yaml:"exp_alerts"`
}

type expAlert struct {
	ExpLabels      map[string]string `yaml:"exp_labels"`
	ExpAnnotations map[string]string `yaml:"exp_annotations"`
}

// Test timing: inputs are sampled every minute, rules evaluated every 15
// minutes, and alerts and
// recorded values checked at the first evaluation step at least 15 minutes
// after their for: has elapsed.
const (
	testInterval     = time.Minute
	testEvalInterval = 15 * time.Minute
	testSlack        = 15 * time.Minute
)

// TestRuleFile is the rule file the tests load, relative to TestDir.
const TestRuleFile = "../heady-rules.yml"

func dur(d time.Duration) string { return model.Duration(d).String() }

func parseFor(s string) time.Duration {
	d, err := model.ParseDuration(s)
	if err != nil {
		panic(fmt.Sprintf("alerts: bad for: %q: %v", s, err))
	}
	return time.Duration(d)
}

// series renders constant inputs lasting until end.
func series(in []sample, end time.Duration) []inputSeries {
	points := int(end/testInterval) + 5
	out := make([]inputSeries, 0, len(in))
	for _, s := range in {
		out = append(out, inputSeries{
			Series: s.key(),
			Values: fmt.Sprintf("%s+0x%d", strconv.FormatFloat(s.value, 'g', -1, 64), points),
		})
	}
	sort.Slice(out, func(i, j int) bool { return out[i].Series < out[j].Series })
	return out
}

func recorded(record string, k kpi.KPI) string {
	return fmt.Sprintf("%s{job=%q,kpi=%q,panel=%q}", record, testJob, k.ID, k.Panel)
}

// kpiTests builds the test groups of one KPI.
func kpiTests(o Options, k kpi.KPI) ([]testGroup, error) {
	if k.F == nil {
		return nil, nil
	}
	scs, err := scenarios(k)
	if err != nil {
		return nil, err
	}
	end := testSlack
	if k.Target.Judged() {
		end += parseFor(k.For)
	}
	end = end.Round(testEvalInterval) // recorded samples exist at evaluation steps only
	if end < testSlack {
		end += testEvalInterval
	}
	at := dur(end)
	var out []testGroup
	for _, sc := range scs {
		g := testGroup{
			Name:        fmt.Sprintf("%s: %s", k.ID, sc.name),
			Interval:    dur(testInterval),
			InputSeries: series(sc.inputs, end),
		}
		g.ExprTests = append(g.ExprTests, exprTest{
			Expr: k.Selector(kpi.RecordValue), EvalTime: at,
			ExpSamples: []expSample{{recorded(kpi.RecordValue, k), sc.value}},
		})
		if sc.hasPrev {
			g.ExprTests = append(g.ExprTests,
				exprTest{Expr: k.Selector(kpi.RecordPrev), EvalTime: at,
					ExpSamples: []expSample{{recorded(kpi.RecordPrev, k), sc.prev}}},
				exprTest{Expr: k.Selector(kpi.RecordTrend), EvalTime: at,
					ExpSamples: []expSample{{recorded(kpi.RecordTrend, k), sc.trend()}}})
		}
		labels := withSeverity(k)
		labels["job"] = testJob
		if k.Target.HasValueTarget() {
			t := alertTest{EvalTime: at, Alertname: ValueAlertName(k), ExpAlerts: []expAlert{}}
			if sc.fires {
				t.ExpAlerts = append(t.ExpAlerts, expAlert{labels, valueAnnotationsWith(o, k, HumanValue(k.Unit, sc.value))})
			}
			g.AlertTests = append(g.AlertTests, t)
		}
		if k.Target.HasTrendTarget() {
			t := alertTest{EvalTime: at, Alertname: TrendAlertName(k), ExpAlerts: []expAlert{}}
			if sc.fires {
				t.ExpAlerts = append(t.ExpAlerts, expAlert{labels, trendAnnotationsWith(o, k, humanizePercentage(math.Abs(sc.trend()-1)))})
			}
			g.AlertTests = append(g.AlertTests, t)
		}
		out = append(out, g)
	}
	return out, nil
}

// toolCalls builds heady_trust_tool_calls inputs: per window, the error
// ratio given (out of 1000 calls).
func toolCalls(errs map[string]float64) []sample {
	var ss samples
	windows := make([]string, 0, len(errs))
	for w := range errs {
		windows = append(windows, w)
	}
	sort.Strings(windows)
	for _, w := range windows {
		failed := errs[w] * 1000
		ss.split(kpi.SToolCalls, map[string]string{"window": w, "status": "success"}, 1000-failed)
		ss.split(kpi.SToolCalls, map[string]string{"window": w, "status": "error"}, failed)
	}
	return ss.list
}

func burnTests(o Options) []testGroup {
	k, _ := kpi.Lookup(BurnKPI)
	budget := 1 - k.Target.Value
	cases := []struct {
		name  string
		errs  map[string]float64
		fires map[string]float64 // alert -> expected $value
	}{
		{"tool calls within budget", map[string]float64{kpi.W5m: 0.005, kpi.W30m: 0.005, kpi.W1h: 0.005, kpi.W6h: 0.005}, nil},
		{"fast and slow burn", map[string]float64{kpi.W5m: 0.2, kpi.W30m: 0.2, kpi.W1h: 0.2, kpi.W6h: 0.2},
			map[string]float64{burnRates[0].Alert: 0.2, burnRates[1].Alert: 0.2}},
		{"slow burn only", map[string]float64{kpi.W5m: 0.1, kpi.W30m: 0.1, kpi.W1h: 0.1, kpi.W6h: 0.1},
			map[string]float64{burnRates[1].Alert: 0.1}},
		{"short spike is not a burn", map[string]float64{kpi.W5m: 0.5, kpi.W30m: 0.5, kpi.W1h: 0.01, kpi.W6h: 0.01}, nil},
		{"long burn already over", map[string]float64{kpi.W5m: 0.001, kpi.W30m: 0.001, kpi.W1h: 0.5, kpi.W6h: 0.5}, nil},
	}
	var out []testGroup
	for _, c := range cases {
		end := 15*time.Minute + testSlack
		g := testGroup{Name: "burn rate: " + c.name, Interval: dur(testInterval), InputSeries: series(toolCalls(c.errs), end)}
		for _, b := range burnRates {
			t := alertTest{EvalTime: dur(end), Alertname: b.Alert, ExpAlerts: []expAlert{}}
			if v, ok := c.fires[b.Alert]; ok {
				t.ExpAlerts = append(t.ExpAlerts, expAlert{
					map[string]string{"job": testJob, "kpi": k.ID, "panel": string(k.Panel), "severity": b.Severity},
					burnAnnotationsWith(o, k, b.Alert, b.Long, b.Short, b.Factor, budget, humanizePercentage(v)),
				})
			}
			g.AlertTests = append(g.AlertTests, t)
		}
		out = append(out, g)
	}
	return out
}

func exporterTests(o Options) []testGroup {
	rules := map[string]Rule{}
	for _, r := range exporter(o).Rules {
		rules[r.Alert] = r
	}
	inst := testInstances[0]
	src := func(name string, v string) inputSeries {
		return inputSeries{fmt.Sprintf("%s{instance=%q,job=%q,source=\"audit\"}", name, inst, o.Job), v}
	}
	up := func(v string) inputSeries {
		return inputSeries{fmt.Sprintf("up{instance=%q,job=%q}", inst, o.Job), v}
	}
	const at = "2h"
	ann := func(alert string, repl map[string]string) map[string]string {
		out := map[string]string{}
		for k, v := range rules[alert].Annotations {
			out[k] = expand(v, repl)
		}
		return out
	}
	exp := func(name string, v string) inputSeries {
		return inputSeries{fmt.Sprintf("%s{instance=%q,job=%q}", name, inst, o.Job), v}
	}
	expLabels := map[string]string{"instance": inst, "job": o.Job, "severity": "warning", LabelTeam: TeamPlatform}
	expRepl := map[string]string{"{{ $labels.instance }}": inst}
	srcLabels := map[string]string{"instance": inst, "job": o.Job, "source": "audit", "severity": "warning", LabelTeam: TeamPlatform}
	srcRepl := map[string]string{"{{ $labels.source }}": "audit", "{{ $labels.instance }}": inst}
	one := func(alert string, labels, repl map[string]string) []expAlert {
		return []expAlert{{labels, ann(alert, repl)}}
	}
	stale, _ := model.ParseDuration(o.SourceStaleAfter)
	age := 2 * time.Hour
	if time.Duration(stale) >= age {
		age = time.Duration(stale) + time.Hour
	}
	ageAt := dur(age)
	return []testGroup{
		{Name: "exporter absent", Interval: "1m", InputSeries: []inputSeries{}, AlertTests: []alertTest{
			{at, AlertExporterAbsent, one(AlertExporterAbsent, map[string]string{"job": o.Job, "severity": "critical", LabelTeam: TeamPlatform}, nil)},
		}},
		{Name: "exporter scraped", Interval: "1m", InputSeries: []inputSeries{up("1+0x200")}, AlertTests: []alertTest{
			{at, AlertExporterAbsent, []expAlert{}},
			{at, AlertExporterDown, []expAlert{}},
		}},
		{Name: "exporter down", Interval: "1m", InputSeries: []inputSeries{up("0+0x200")}, AlertTests: []alertTest{
			{at, AlertExporterAbsent, []expAlert{}},
			{at, AlertExporterDown, one(AlertExporterDown, map[string]string{"instance": inst, "job": o.Job, "severity": "critical", LabelTeam: TeamPlatform},
				map[string]string{"{{ $labels.instance }}": inst, "{{ $labels.job }}": o.Job})},
		}},
		{Name: "source healthy", Interval: "1m", InputSeries: []inputSeries{
			src(kpi.SSourceUp, "1+0x200"), src(kpi.SSourceStale, "0+0x200"), src(kpi.SSourceLastSuccess, "0+60x200"),
		}, AlertTests: []alertTest{
			{at, AlertSourceDown, []expAlert{}},
			{at, AlertSourceStale, []expAlert{}},
			{at, AlertSourceOld, []expAlert{}},
		}},
		{Name: "source down and stale", Interval: "1m", InputSeries: []inputSeries{
			src(kpi.SSourceUp, "0+0x200"), src(kpi.SSourceStale, "1+0x200"), src(kpi.SSourceLastSuccess, "0+0x200"),
		}, AlertTests: []alertTest{
			{at, AlertSourceDown, one(AlertSourceDown, srcLabels, srcRepl)},
			{at, AlertSourceStale, one(AlertSourceStale, srcLabels, srcRepl)},
			{ageAt, AlertSourceOld, one(AlertSourceOld, srcLabels, mergeRepl(srcRepl, map[string]string{
				"{{ $value | humanizeDuration }}": humanizeDuration(age.Seconds())}))},
		}},
		{Name: "exporter state healthy", Interval: "1m", InputSeries: []inputSeries{
			exp(kpi.SCheckpointLoadFailures, "0+0x200"), exp(kpi.SEngineCheckpointErr, "0+0x200"), exp(kpi.SConfigReloadOK, "1+0x200"),
		}, AlertTests: []alertTest{
			{at, AlertCheckpointLoadFailed, []expAlert{}},
			{at, AlertCheckpointFailing, []expAlert{}},
			{at, AlertReloadFailed, []expAlert{}},
		}},
		// A checkpoint moved aside at start; checkpoint writes that fail
		// once and then work again (no alert), then keep failing from
		// 63m; a reload refused from 101m to 141m. Rules are evaluated
		// every evaluation_interval (15m): pending at the first evaluation
		// that sees the condition, firing at the next.
		{Name: "exporter state in trouble", Interval: "1m", InputSeries: []inputSeries{
			exp(kpi.SCheckpointLoadFailures, "1+0x200"),
			exp(kpi.SEngineCheckpointErr, "0 1+0x60 1+1x100"),
			exp(kpi.SConfigReloadOK, "1+0x100 0+0x40 1+0x60"),
		}, AlertTests: []alertTest{
			{"15m", AlertCheckpointLoadFailed, one(AlertCheckpointLoadFailed, expLabels, expRepl)},
			{"30m", AlertCheckpointFailing, []expAlert{}},
			{"75m", AlertCheckpointFailing, []expAlert{}},
			{"90m", AlertCheckpointFailing, one(AlertCheckpointFailing, expLabels, expRepl)},
			{"105m", AlertReloadFailed, []expAlert{}},
			{"120m", AlertReloadFailed, one(AlertReloadFailed, expLabels, expRepl)},
			{"150m", AlertReloadFailed, []expAlert{}},
		}},
	}
}

func mergeRepl(a, b map[string]string) map[string]string {
	out := map[string]string{}
	for k, v := range a {
		out[k] = v
	}
	for k, v := range b {
		out[k] = v
	}
	return out
}

// expand substitutes the template snippets of repl in s.
func expand(s string, repl map[string]string) string {
	keys := make([]string, 0, len(repl))
	for k := range repl {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	for _, k := range keys {
		s = strings.ReplaceAll(s, k, repl[k])
	}
	return s
}

// TestFile is one generated promtool test file.
type TestFile struct {
	Name string // base name in TestDir
	file testFile
}

// TestFiles builds the promtool unit tests: one file per catalog panel, one
// for the burn-rate alerts and one for the exporter and source alerts.
func TestFiles(o Options) ([]TestFile, error) {
	if err := o.Validate(); err != nil {
		return nil, err
	}
	// Without the exporter's links series the links are Grafana paths;
	// the judgment tests feed it and expect full URLs.
	o = o.renderedAs("")
	newFile := func(name string) TestFile {
		return TestFile{Name: name, file: testFile{
			RuleFiles:          []string{TestRuleFile},
			EvaluationInterval: dur(testEvalInterval),
		}}
	}
	var out []TestFile
	for _, p := range kpi.Panels {
		f := newFile(string(p.ID) + ".yml")
		for _, k := range kpi.ByPanel(p.ID) {
			groups, err := kpiTests(o, k)
			if err != nil {
				return nil, err
			}
			f.file.Tests = append(f.file.Tests, groups...)
		}
		if len(f.file.Tests) > 0 {
			out = append(out, f)
		}
	}
	slo := newFile("slo_tool_calls.yml")
	slo.file.Tests = burnTests(o)
	exp := newFile("exporter.yml")
	exp.file.Tests = exporterTests(o)
	judgment := newFile("judgment.yml")
	judgment.file.Tests = judgmentTests(o)
	return append(out, slo, exp, judgment), nil
}
