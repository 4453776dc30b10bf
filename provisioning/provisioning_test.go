package provisioning_test

import (
	"bytes"
	"encoding/json"
	"os"
	"os/exec"
	"path/filepath"
	"reflect"
	"strings"
	"testing"

	"go.yaml.in/yaml/v3"

	"github.com/heady/heady-metrics/alerts"
	"github.com/heady/heady-metrics/dashboards"
	"github.com/heady/heady-metrics/kpi"
	"github.com/heady/heady-metrics/provisioning"
)

const repoRoot = ".."

func options() provisioning.Options {
	return provisioning.Options{Job: alerts.DefaultOptions().Job}
}

func generated(t *testing.T) []provisioning.File {
	t.Helper()
	files, err := provisioning.Files(options())
	if err != nil {
		t.Fatal(err)
	}
	return files
}

func TestCommittedFilesMatchGenerator(t *testing.T) {
	for _, f := range generated(t) {
		got, err := os.ReadFile(filepath.Join(repoRoot, f.Path))
		if err != nil {
			t.Errorf("%s: %v (run `make generate`)", f.Path, err)
			continue
		}
		if !bytes.Equal(got, f.Data) {
			t.Errorf("%s differs from the generator's output: run `make generate` and commit", f.Path)
		}
	}
	if a, b := generated(t), generated(t); !reflect.DeepEqual(a, b) {
		t.Error("two runs of the generator differ")
	}
}

func tool(t *testing.T, name string) string {
	t.Helper()
	p, err := exec.LookPath(name)
	if err != nil {
		t.Fatalf("%s not found in PATH: install the Debian packages prometheus and prometheus-alertmanager (apt-get install --no-install-recommends prometheus prometheus-alertmanager)", name)
	}
	return p
}

func run(t *testing.T, bin string, args ...string) (string, error) {
	t.Helper()
	cmd := exec.Command(bin, args...)
	cmd.Dir = repoRoot
	out, err := cmd.CombinedOutput()
	return string(out), err
}

func mustRun(t *testing.T, bin string, args ...string) string {
	t.Helper()
	out, err := run(t, bin, args...)
	if err != nil {
		t.Fatalf("%s %s: %v\n%s", filepath.Base(bin), strings.Join(args, " "), err, out)
	}
	return out
}

func TestAmtoolCheckConfig(t *testing.T) {
	mustRun(t, tool(t, "amtool"), "check-config", provisioning.AlertmanagerPath)
}

func TestPromtoolCheckConfig(t *testing.T) {
	mustRun(t, tool(t, "promtool"), "check", "config", provisioning.PrometheusPath)
}

// Routes: every KPI alert reaches Slack by severity and panel, and
// everything reaches the generic webhook too.
func TestAmtoolRoutes(t *testing.T) {
	amtool := tool(t, "amtool")
	type tc struct {
		labels []string
		want   string
	}
	cases := []tc{
		{[]string{"alertname=HeadyToolCallSuccessTargetMissed", "severity=critical", "kpi=tool_call_success", "panel=trust"}, "webhook,slack-critical"},
		{[]string{"alertname=HeadyWauGrowthTargetMissed", "severity=warning", "kpi=wau_growth", "panel=adoption"}, "webhook,slack-warning"},
		{[]string{"alertname=HeadyCostPerOutcomeTrendWorsening", "severity=warning", "kpi=cost_per_outcome", "panel=cost"}, "webhook,slack-cost"},
		{[]string{"alertname=HeadyGatewayLatencyP95TargetMissed", "severity=warning", "kpi=gateway_latency_p95", "panel=platform"}, "webhook,slack-platform"},
		{[]string{"alertname=HeadySourceDown", "severity=warning", "source=audit"}, "webhook,slack-platform"},
		{[]string{"alertname=HeadyExporterAbsent", "severity=critical", "job=heady"}, "webhook,slack-critical"},
		{[]string{"alertname=Unrelated"}, "webhook"},
	}
	// And every alert the catalog defines, by its severity and panel.
	for _, k := range kpi.Catalog {
		if !k.Target.Judged() {
			continue
		}
		want := "webhook,slack-critical"
		if k.Severity == "warning" {
			want = "webhook," + provisioning.WarningReceiver(k.Panel)
		}
		cases = append(cases, tc{[]string{"alertname=" + alerts.ValueAlertName(k), "severity=" + k.Severity, "kpi=" + k.ID, "panel=" + string(k.Panel)}, want})
	}
	for _, c := range cases {
		args := append([]string{"config", "routes", "test", "--config.file=" + provisioning.AlertmanagerPath, "--verify.receivers=" + c.want}, c.labels...)
		if out, err := run(t, amtool, args...); err != nil {
			t.Errorf("%v: want %s, got %s(%v)", c.labels, c.want, out, err)
		}
	}
	// The check can fail: a wrong expectation is reported.
	if _, err := run(t, amtool, "config", "routes", "test", "--config.file="+provisioning.AlertmanagerPath,
		"--verify.receivers=slack-warning", "severity=critical", "kpi=north_star"); err == nil {
		t.Error("amtool accepted a wrong receiver")
	}
}

type amConfig struct {
	Route struct {
		GroupBy []string `yaml:"group_by"`
	} `yaml:"route"`
	InhibitRules []struct {
		SourceMatchers []string `yaml:"source_matchers"`
		TargetMatchers []string `yaml:"target_matchers"`
		Equal          []string `yaml:"equal"`
	} `yaml:"inhibit_rules"`
	Receivers []struct {
		Name         string           `yaml:"name"`
		SlackConfigs []map[string]any `yaml:"slack_configs"`
		Webhook      []map[string]any `yaml:"webhook_configs"`
	} `yaml:"receivers"`
}

func loadYAML(t *testing.T, path string, v any) {
	t.Helper()
	b, err := os.ReadFile(filepath.Join(repoRoot, path))
	if err != nil {
		t.Fatal(err)
	}
	if err := yaml.Unmarshal(b, v); err != nil {
		t.Fatalf("%s: %v", path, err)
	}
}

// Slack's URL is never in the repository; every receiver sends resolved
// notifications; alerts group per KPI; a critical silences the same KPI's
// warnings.
func TestAlertmanagerConfig(t *testing.T) {
	var c amConfig
	loadYAML(t, provisioning.AlertmanagerPath, &c)
	if !reflect.DeepEqual(c.Route.GroupBy, []string{"alertname", "kpi"}) {
		t.Errorf("group_by = %v", c.Route.GroupBy)
	}
	slack, webhook := 0, 0
	for _, r := range c.Receivers {
		for _, s := range r.SlackConfigs {
			slack++
			if _, ok := s["api_url"]; ok {
				t.Errorf("%s: api_url in the repository", r.Name)
			}
			if s["api_url_file"] != provisioning.SlackURLFile || s["send_resolved"] != true {
				t.Errorf("%s: %v", r.Name, s)
			}
		}
		for _, w := range r.Webhook {
			webhook++
			if w["send_resolved"] != true {
				t.Errorf("%s: webhook without send_resolved", r.Name)
			}
		}
	}
	if slack == 0 || webhook == 0 {
		t.Errorf("%d Slack and %d webhook receivers", slack, webhook)
	}
	b, _ := os.ReadFile(filepath.Join(repoRoot, provisioning.AlertmanagerPath))
	if bytes.Contains(b, []byte("hooks.slack.com")) {
		t.Error("a Slack URL is in alertmanager.yml")
	}
	ok := false
	for _, ir := range c.InhibitRules {
		ok = ok || (reflect.DeepEqual(ir.Equal, []string{"kpi"}) &&
			contains(ir.SourceMatchers, `severity="critical"`) && contains(ir.TargetMatchers, `severity="warning"`))
	}
	if !ok {
		t.Errorf("no inhibition of warnings by criticals of the same kpi: %+v", c.InhibitRules)
	}
}

func contains(list []string, s string) bool {
	for _, x := range list {
		if x == s {
			return true
		}
	}
	return false
}

// The Slack message shows the KPI, its value and target, and the dashboard
// and runbook links, for firing and resolved alerts.
func TestSlackTemplateRenders(t *testing.T) {
	amtool := tool(t, "amtool")
	o := alerts.DefaultOptions()
	k, _ := kpi.Lookup("tool_call_success")
	alert := func(status string) map[string]any {
		return map[string]any{
			"status": status,
			"labels": map[string]string{"alertname": alerts.ValueAlertName(k), "kpi": k.ID, "panel": string(k.Panel), "severity": k.Severity},
			"annotations": map[string]string{
				"summary": "Tool call success is 97.5%, target > 99%", "description": "d", "value": "97.5%", "target": "> 99%",
				"runbook_url": o.RunbookURL(k.ID), "dashboard_url": o.DashboardURL(dashboards.PanelUID(k.Panel)),
			},
			"startsAt": "2026-01-01T00:00:00Z", "endsAt": "0001-01-01T00:00:00Z",
		}
	}
	for _, status := range []string{"firing", "resolved"} {
		data := map[string]any{
			"receiver": "slack-critical", "status": status,
			"alerts":            []any{alert(status)},
			"groupLabels":       map[string]string{"alertname": alerts.ValueAlertName(k), "kpi": k.ID},
			"commonLabels":      alert(status)["labels"],
			"commonAnnotations": alert(status)["annotations"],
			"externalURL":       "http://alertmanager:9093",
		}
		b, _ := json.Marshal(data)
		f := filepath.Join(t.TempDir(), "data.json")
		if err := os.WriteFile(f, b, 0o644); err != nil {
			t.Fatal(err)
		}
		glob := filepath.Join(filepath.Dir(provisioning.TemplatePath), "*.tmpl")
		text := mustRun(t, amtool, "template", "render", "--template.glob="+glob, "--template.data="+f,
			`--template.text={{ template "heady.slack.title" . }}|{{ template "heady.slack.titlelink" . }}|{{ template "heady.slack.color" . }}|{{ template "heady.slack.text" . }}`)
		for _, want := range []string{k.ID, "Value: 97.5%", "Target: > 99%", o.RunbookURL(k.ID), o.DashboardURL(dashboards.PanelUID(k.Panel)), strings.ToUpper(status)} {
			if !strings.Contains(text, want) {
				t.Errorf("%s message lacks %q:\n%s", status, want, text)
			}
		}
	}
}

func TestPrometheusConfig(t *testing.T) {
	var c struct {
		RuleFiles     []string `yaml:"rule_files"`
		ScrapeConfigs []struct {
			JobName       string `yaml:"job_name"`
			StaticConfigs []struct {
				Targets []string `yaml:"targets"`
			} `yaml:"static_configs"`
		} `yaml:"scrape_configs"`
		Alerting struct {
			Alertmanagers []struct {
				StaticConfigs []struct {
					Targets []string `yaml:"targets"`
				} `yaml:"static_configs"`
			} `yaml:"alertmanagers"`
		} `yaml:"alerting"`
	}
	loadYAML(t, provisioning.PrometheusPath, &c)
	found := false
	for _, s := range c.ScrapeConfigs {
		if s.JobName == options().Job && len(s.StaticConfigs) == 1 && contains(s.StaticConfigs[0].Targets, provisioning.ExporterTarget) {
			found = true
		}
	}
	if !found {
		t.Errorf("no job %s scraping %s", options().Job, provisioning.ExporterTarget)
	}
	if len(c.Alerting.Alertmanagers) != 1 || !contains(c.Alerting.Alertmanagers[0].StaticConfigs[0].Targets, provisioning.AlertmanagerTarget) {
		t.Errorf("alerting: %+v", c.Alerting)
	}
	if len(c.RuleFiles) == 0 {
		t.Error("no rule_files")
	}
}

func TestGrafanaDatasourceIsTheDashboardsDefault(t *testing.T) {
	var c struct {
		Datasources []struct {
			UID  string `yaml:"uid"`
			Type string `yaml:"type"`
			URL  string `yaml:"url"`
		} `yaml:"datasources"`
	}
	loadYAML(t, provisioning.DatasourcePath, &c)
	if len(c.Datasources) != 1 || c.Datasources[0].UID != dashboards.DatasourceUID || c.Datasources[0].Type != "prometheus" {
		t.Errorf("datasources: %+v", c.Datasources)
	}
}
