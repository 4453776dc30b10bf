package provisioning_test

import (
	"bytes"
	"os"
	"path/filepath"
	"reflect"
	"slices"
	"testing"

	"go.yaml.in/yaml/v3"

	"github.com/heady/heady-metrics/alerts"
	"github.com/heady/heady-metrics/dashboards"
	"github.com/heady/heady-metrics/internal/gentest"
	"github.com/heady/heady-metrics/provisioning"
)

const repoRoot = ".."

func options() provisioning.Options {
	return provisioning.Options{Job: alerts.DefaultOptions().Job}
}

// The committed files are what the generator produces now, and the
// generator is deterministic.
func TestCommittedFilesMatchGenerator(t *testing.T) {
	gentest.CheckCommitted(t, repoRoot, func() ([]provisioning.File, error) { return provisioning.Files(options()) })
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
			slices.Contains(ir.SourceMatchers, `severity="critical"`) && slices.Contains(ir.TargetMatchers, `severity="warning"`))
	}
	if !ok {
		t.Errorf("no inhibition of warnings by criticals of the same kpi: %+v", c.InhibitRules)
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
		if s.JobName == options().Job && len(s.StaticConfigs) == 1 && slices.Contains(s.StaticConfigs[0].Targets, provisioning.ExporterTarget) {
			found = true
		}
	}
	if !found {
		t.Errorf("no job %s scraping %s", options().Job, provisioning.ExporterTarget)
	}
	if len(c.Alerting.Alertmanagers) != 1 || !slices.Contains(c.Alerting.Alertmanagers[0].StaticConfigs[0].Targets, provisioning.AlertmanagerTarget) {
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
