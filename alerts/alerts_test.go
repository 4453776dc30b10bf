package alerts_test

import (
	"bytes"
	"fmt"
	"os"
	"path/filepath"
	"reflect"
	"regexp"
	"strconv"
	"strings"
	"testing"

	"go.yaml.in/yaml/v3"

	"github.com/heady/heady-metrics/alerts"
	"github.com/heady/heady-metrics/dashboards"
	"github.com/heady/heady-metrics/internal/gentest"
	"github.com/heady/heady-metrics/kpi"
	"github.com/heady/heady-metrics/links"
)

const repoRoot = ".."

// The committed rules, tests and docs are what the generator produces now,
// and the generator is deterministic.
func TestCommittedFilesMatchGenerator(t *testing.T) {
	gentest.CheckCommitted(t, repoRoot, func() ([]alerts.File, error) { return alerts.Files(alerts.DefaultOptions()) },
		alerts.TestDir+"/*")
}

// ruleFile is read back with the generator's own types, strictly.
type ruleFile = alerts.RuleFile

func load(t *testing.T, path string, v any) {
	t.Helper()
	b, err := os.ReadFile(filepath.Join(repoRoot, path))
	if err != nil {
		t.Fatal(err)
	}
	dec := yaml.NewDecoder(bytes.NewReader(b))
	dec.KnownFields(true)
	if err := dec.Decode(v); err != nil {
		t.Fatalf("%s: %v", path, err)
	}
}

func TestPrometheusRuleHoldsTheSameRules(t *testing.T) {
	var rules ruleFile
	load(t, alerts.RulesPath, &rules)
	var pr struct {
		APIVersion string `yaml:"apiVersion"`
		Kind       string `yaml:"kind"`
		Metadata   struct {
			Name   string            `yaml:"name"`
			Labels map[string]string `yaml:"labels"`
		} `yaml:"metadata"`
		Spec ruleFile `yaml:"spec"`
	}
	load(t, alerts.PrometheusRulePath, &pr)
	if pr.APIVersion != "monitoring.coreos.com/v1" || pr.Kind != "PrometheusRule" || pr.Metadata.Name == "" {
		t.Errorf("not a PrometheusRule: %s %s %q", pr.APIVersion, pr.Kind, pr.Metadata.Name)
	}
	if !reflect.DeepEqual(pr.Spec, rules) {
		t.Error("the PrometheusRule's groups differ from heady-rules.yml")
	}
}

type recordKey struct{ record, kpi string }

// Every KPI with a value has its recording rules and every KPI with a
// target its alert, labelled and annotated as the Alertmanager templates
// and routes expect.
func TestRulesCoverTheCatalog(t *testing.T) {
	var rf ruleFile
	load(t, alerts.RulesPath, &rf)
	records := map[recordKey]string{}
	type alert struct {
		expr, forDur string
		labels, ann  map[string]string
	}
	alertsByName := map[string]alert{}
	for _, g := range rf.Groups {
		for _, r := range g.Rules {
			if r.Record != "" {
				k := recordKey{r.Record, r.Labels["kpi"]}
				if _, dup := records[k]; dup {
					t.Errorf("%v recorded twice", k)
				}
				records[k] = r.Expr
				continue
			}
			alertsByName[r.Alert] = alert{r.Expr, r.For, r.Labels, r.Annotations}
		}
	}
	o := alerts.DefaultOptions()
	for _, k := range kpi.Catalog {
		if k.Expr != "" && records[recordKey{kpi.RecordValue, k.ID}] != k.Expr {
			t.Errorf("%s: no recording rule of its value", k.ID)
		}
		if k.PrevExpr != "" {
			if records[recordKey{kpi.RecordPrev, k.ID}] != k.PrevExpr {
				t.Errorf("%s: no recording rule of its previous value", k.ID)
			}
			if records[recordKey{kpi.RecordTrend, k.ID}] == "" {
				t.Errorf("%s: no recording rule of its trend", k.ID)
			}
		}
		var names []string
		if k.Target.HasValueTarget() {
			names = append(names, alerts.ValueAlertName(k))
		}
		if k.Target.HasTrendTarget() {
			names = append(names, alerts.TrendAlertName(k))
		}
		if k.Target.Judged() && len(names) == 0 {
			t.Errorf("%s: judged but no alert", k.ID)
		}
		for _, name := range names {
			a, ok := alertsByName[name]
			if !ok {
				t.Errorf("%s: no alert %s", k.ID, name)
				continue
			}
			if a.labels["kpi"] != k.ID || a.labels["panel"] != string(k.Panel) || a.labels["severity"] != k.Severity {
				t.Errorf("%s: labels %v", name, a.labels)
			}
			if a.forDur != k.For {
				t.Errorf("%s: for %q, want %q", name, a.forDur, k.For)
			}
			for _, key := range []string{alerts.AnnSummary, alerts.AnnDescription, alerts.AnnValue, alerts.AnnTarget} {
				if a.ann[key] == "" {
					t.Errorf("%s: no %s annotation", name, key)
				}
			}
			if !strings.Contains(a.ann[alerts.AnnValue], "{{ $value") {
				t.Errorf("%s: value annotation does not render $value: %q", name, a.ann[alerts.AnnValue])
			}
			if a.ann[alerts.AnnRunbook] != o.RunbookURL(k.ID) {
				t.Errorf("%s: runbook_url %q", name, a.ann[alerts.AnnRunbook])
			}
			if a.ann[alerts.AnnDashboard] != o.DashboardURL(dashboards.PanelUID(k.Panel)) {
				t.Errorf("%s: dashboard_url %q", name, a.ann[alerts.AnnDashboard])
			}
			if met := records[recordKey{kpi.RecordMet, k.ID}]; k.Guard != "" && !strings.Contains(met, k.Guard) {
				t.Errorf("%s: cohort guard %q missing from its judgment %s", name, k.Guard, met)
			}
			if !strings.Contains(a.expr, k.Selector(kpi.RecordMet)+" == 0") {
				t.Errorf("%s: does not fire on the judgment: %s", name, a.expr)
			}
		}
	}
	for _, name := range append([]string{"HeadyToolCallErrorBudgetBurnFast", "HeadyToolCallErrorBudgetBurnSlow"}, exporterAlerts...) {
		a, ok := alertsByName[name]
		if !ok {
			t.Errorf("no alert %s", name)
			continue
		}
		if a.labels["severity"] == "" || a.ann[alerts.AnnRunbook] == "" || a.ann[alerts.AnnDashboard] == "" || a.ann[alerts.AnnSummary] == "" {
			t.Errorf("%s: severity, summary, runbook and dashboard links are required: %v %v", name, a.labels, a.ann)
		}
	}
	if a := alertsByName[alerts.AlertExporterAbsent]; a.expr != fmt.Sprintf(`absent(up{job=%q})`, o.Job) {
		t.Errorf("exporter-absent expression %q", a.expr)
	}
	for _, w := range []string{kpi.W5m, kpi.W30m, kpi.W1h, kpi.W6h} {
		found := false
		for _, name := range []string{"HeadyToolCallErrorBudgetBurnFast", "HeadyToolCallErrorBudgetBurnSlow"} {
			found = found || strings.Contains(alertsByName[name].expr, fmt.Sprintf("window=%q", w))
		}
		if !found {
			t.Errorf("no burn-rate alert reads the %s window", w)
		}
	}
}

// Every metric a rule reads is an exported series or a recorded KPI.
func TestRulesReadExportedSeries(t *testing.T) {
	var rf ruleFile
	load(t, alerts.RulesPath, &rf)
	for _, g := range rf.Groups {
		for _, r := range g.Rules {
			for _, name := range dashboards.MetricNames(r.Expr) {
				if name == "up" || name == kpi.RecordValue || name == kpi.RecordPrev || name == kpi.RecordTrend ||
					name == kpi.RecordMet || name == kpi.RecordNoData {
					continue
				}
				base := name
				for _, s := range []string{"_bucket", "_count", "_sum"} {
					if ser, ok := kpi.LookupSeries(strings.TrimSuffix(name, s)); ok && ser.Type == kpi.Histogram {
						base = ser.Name
					}
				}
				if _, ok := kpi.LookupSeries(base); !ok {
					t.Errorf("%s%s reads %s, which the exporter does not export", r.Record, r.Alert, name)
				}
			}
		}
	}
}

type testFile struct {
	RuleFiles          []string `yaml:"rule_files"`
	EvaluationInterval string   `yaml:"evaluation_interval"`
	Tests              []struct {
		Name        string `yaml:"name"`
		Interval    string `yaml:"interval"`
		InputSeries []struct {
			Series string `yaml:"series"`
			Values string `yaml:"values"`
		} `yaml:"input_series"`
		ExprTests []struct {
			Expr       string `yaml:"expr"`
			EvalTime   string `yaml:"eval_time"`
			ExpSamples []struct {
				Labels string  `yaml:"labels"`
				Value  float64 `yaml:"value"`
			} `yaml:"exp_samples"`
		} `yaml:"promql_expr_test"`
		AlertTests []struct {
			EvalTime  string `yaml:"eval_time"`
			Alertname string `yaml:"alertname"`
			ExpAlerts []struct {
				ExpLabels      map[string]string `yaml:"exp_labels"`
				ExpAnnotations map[string]string `yaml:"exp_annotations"`
			} `yaml:"exp_alerts"`
		} `yaml:"alert_rule_test"`
	} `yaml:"tests"`
}

// The promtool tests cover every alert both ways and every recording rule
// (a test that promtool runs but that checks nothing proves nothing).
func TestPromtoolTestsCoverEveryRule(t *testing.T) {
	var rf ruleFile
	load(t, alerts.RulesPath, &rf)
	fires, silent, checked := map[string]bool{}, map[string]bool{}, map[string]bool{}
	files, _ := filepath.Glob(filepath.Join(repoRoot, alerts.TestDir, "*.yml"))
	for _, f := range files {
		rel, _ := filepath.Rel(repoRoot, f)
		var tf testFile
		load(t, rel, &tf)
		for _, g := range tf.Tests {
			for _, a := range g.AlertTests {
				if len(a.ExpAlerts) > 0 {
					fires[a.Alertname] = true
				} else {
					silent[a.Alertname] = true
				}
			}
			for _, e := range g.ExprTests {
				if len(e.ExpSamples) > 0 {
					checked[e.Expr] = true
				}
			}
		}
	}
	for _, g := range rf.Groups {
		for _, r := range g.Rules {
			if r.Alert != "" {
				if !fires[r.Alert] {
					t.Errorf("no promtool test shows %s firing", r.Alert)
				}
				if !silent[r.Alert] {
					t.Errorf("no promtool test shows %s silent", r.Alert)
				}
				continue
			}
			sel := fmt.Sprintf("%s{kpi=%q}", r.Record, r.Labels["kpi"])
			if r.Labels["kpi"] == "" {
				sel = r.Record
			}
			if !checked[sel] {
				t.Errorf("no promtool test checks the value of %s", sel)
			}
		}
	}
}

// Each KPI and each exporter alert has its runbook section, under the
// anchor the alerts link to, and every KPI is in the KPI table.
func TestDocs(t *testing.T) {
	rb, err := os.ReadFile(filepath.Join(repoRoot, alerts.RunbooksPath))
	if err != nil {
		t.Fatal(err)
	}
	table, err := os.ReadFile(filepath.Join(repoRoot, alerts.KPITablePath))
	if err != nil {
		t.Fatal(err)
	}
	headings := map[string]bool{}
	for _, line := range strings.Split(string(rb), "\n") {
		if strings.HasPrefix(line, "## ") {
			headings[strings.TrimPrefix(line, "## ")] = true
		}
	}
	for _, k := range kpi.Catalog {
		if !headings[k.ID] {
			t.Errorf("runbooks.md has no section %q", k.ID)
		}
		if !bytes.Contains(table, []byte("| [`"+k.ID+"`]")) {
			t.Errorf("kpis.md has no row for %s", k.ID)
		}
	}
	for _, a := range exporterAlerts {
		if !headings[alerts.Anchor(a)] {
			t.Errorf("runbooks.md has no section %q for %s", alerts.Anchor(a), a)
		}
	}
	// The runbooks dashboard's panels are the same sections, one id each,
	// and every runbook link of the rules opens one of them.
	ids := map[uint32]string{}
	sections, err := alerts.RunbookSections(alerts.DefaultOptions(), true)
	if err != nil {
		t.Fatal(err)
	}
	for _, s := range sections {
		if s.ID == 0 || ids[s.ID] != "" || !headings[s.Anchor] {
			t.Errorf("section %s: id %d (taken by %q)", s.Anchor, s.ID, ids[s.ID])
		}
		ids[s.ID] = s.Anchor
	}
	var rf ruleFile
	load(t, alerts.RulesPath, &rf)
	for _, g := range rf.Groups {
		for _, r := range g.Rules {
			if r.Alert == "" {
				continue
			}
			u := r.Annotations[alerts.AnnRunbook]
			id, err := strconv.Atoi(strings.TrimPrefix(u, links.Template+"/d/heady-runbooks?viewPanel="))
			if err != nil || ids[uint32(id)] == "" {
				t.Errorf("%s: runbook_url %q opens no runbook", r.Alert, u)
			}
		}
	}
}

// exporterAlerts are the alerts on the exporter itself, its sources and
// its state.
var exporterAlerts = []string{alerts.AlertExporterAbsent, alerts.AlertExporterDown, alerts.AlertSourceDown,
	alerts.AlertSourceStale, alerts.AlertSourceOld, alerts.AlertCheckpointLoadFailed, alerts.AlertCheckpointFailing,
	alerts.AlertReloadFailed}

func TestAnchor(t *testing.T) {
	for in, want := range map[string]string{"HeadyExporterAbsent": "exporter-absent", "HeadySourceNotUpdated": "source-not-updated"} {
		if got := alerts.Anchor(in); got != want {
			t.Errorf("Anchor(%s) = %s, want %s", in, got, want)
		}
	}
}

func TestOptionsValidate(t *testing.T) {
	bad := []alerts.Options{
		{SourceStaleAfter: "1h"},
		{Job: "heady", SourceStaleAfter: "an hour"},
	}
	for _, o := range bad {
		if _, err := alerts.Files(o); err == nil {
			t.Errorf("options %+v accepted", o)
		}
	}
	o := alerts.DefaultOptions()
	o.Job = "heady-prod"
	rf, err := alerts.Rules(o)
	if err != nil {
		t.Fatal(err)
	}
	b, _ := alerts.Marshal(rf)
	for _, want := range []string{`absent(up{job="heady-prod"})`, links.Template + "/d/heady-runbooks?viewPanel=1"} {
		if !bytes.Contains(b, []byte(want)) {
			t.Errorf("rules generated with custom options lack %s", want)
		}
	}
}

// floatArtifact matches numbers a person would read as noise: long runs of
// 0 or 9 after the point (0.30000000000000004), or tiny exponents (5e-324).
var floatArtifact = regexp.MustCompile(`\d\.\d*(0{6,}|9{6,})\d|\de-\d`)

// No generated rule, annotation, promtool expectation or doc carries a
// float artifact.
func TestNoFloatArtifacts(t *testing.T) {
	files, _ := filepath.Glob(filepath.Join(repoRoot, alerts.TestDir, "*.yml"))
	files = append(files, filepath.Join(repoRoot, alerts.RulesPath), filepath.Join(repoRoot, alerts.PrometheusRulePath),
		filepath.Join(repoRoot, alerts.KPITablePath), filepath.Join(repoRoot, alerts.RunbooksPath))
	for _, f := range files {
		b, err := os.ReadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		for i, line := range strings.Split(string(b), "\n") {
			// Input series and expected samples are machine values (the
			// judgment tests feed values a millionth off the target).
			if strings.Contains(line, "values:") || strings.Contains(line, "value:") && !strings.Contains(line, "{{") && !strings.Contains(line, "%") {
				continue
			}
			if m := floatArtifact.FindString(line); m != "" {
				t.Errorf("%s:%d: %s in %q", filepath.Base(f), i+1, m, strings.TrimSpace(line))
			}
		}
	}
}
