package provisioning_test

import (
	"bytes"
	"os"
	"path"
	"path/filepath"
	"reflect"
	"slices"
	"testing"

	"go.yaml.in/yaml/v3"

	"github.com/heady/heady-metrics/provisioning"
)

type kubeStackValues struct {
	Alertmanager struct {
		AlertmanagerSpec struct {
			Secrets   []string `yaml:"secrets"`
			Retention string   `yaml:"retention"`
		} `yaml:"alertmanagerSpec"`
		Config        map[string]any    `yaml:"config"`
		TemplateFiles map[string]string `yaml:"templateFiles"`
	} `yaml:"alertmanager"`
}

func readKubeStackValues(t *testing.T) kubeStackValues {
	t.Helper()
	b, err := os.ReadFile(filepath.Join(repoRoot, provisioning.KubePrometheusStackPath))
	if err != nil {
		t.Fatal(err)
	}
	if bytes.Contains(b, []byte("hooks.slack.com")) || bytes.Contains(b, []byte("xoxb-")) {
		t.Error("a Slack URL or token is in the kube-prometheus-stack values")
	}
	var v kubeStackValues
	dec := yaml.NewDecoder(bytes.NewReader(b))
	dec.KnownFields(true)
	if err := dec.Decode(&v); err != nil {
		t.Fatal(err)
	}
	return v
}

// The kube-prometheus-stack values route and render alerts exactly as
// alertmanager.yml does; only where the Slack URLs and the templates are
// read from differ: each URL from its key of the one Secret the values
// mount. Alertmanager keeps its notification log as long as notify="once"
// needs.
func TestKubePrometheusStackValues(t *testing.T) {
	v := readKubeStackValues(t).Alertmanager
	var compose map[string]any
	loadYAML(t, provisioning.AlertmanagerPath, &compose)

	if !slices.Equal(v.AlertmanagerSpec.Secrets, []string{provisioning.SlackSecret}) {
		t.Errorf("secrets %v, want the one Secret %s", v.AlertmanagerSpec.Secrets, provisioning.SlackSecret)
	}
	if v.AlertmanagerSpec.Retention != provisioning.DataRetention {
		t.Errorf("retention %q, want %s", v.AlertmanagerSpec.Retention, provisioning.DataRetention)
	}
	files := map[string]bool{}
	receivers, _ := v.Config["receivers"].([]any)
	for _, r := range receivers {
		r, _ := r.(map[string]any)
		configs, _ := r["slack_configs"].([]any)
		for _, s := range configs {
			s, _ := s.(map[string]any)
			f, _ := s["api_url_file"].(string)
			if path.Dir(f) != provisioning.KubeStackSecretsDir+"/"+provisioning.SlackSecret {
				t.Errorf("receiver %v reads %q, not a key of the mounted Secret %s", r["name"], f, provisioning.SlackSecret)
			}
			files[f] = true
			s["api_url_file"] = provisioning.SecretsDir + "/" + path.Base(f)
		}
	}
	if len(files) != len(provisioning.Slack) {
		t.Errorf("%d distinct Slack URL files for %d destinations", len(files), len(provisioning.Slack))
	}
	if got := v.Config["templates"]; !reflect.DeepEqual(got, []any{provisioning.KubeStackConfigDir + "/*.tmpl"}) {
		t.Errorf("templates %v: kube-prometheus-stack puts templateFiles in %s", got, provisioning.KubeStackConfigDir)
	}
	v.Config["templates"] = compose["templates"]
	if !reflect.DeepEqual(v.Config, compose) {
		t.Error("the kube-prometheus-stack Alertmanager config differs from alertmanager.yml beyond the Slack URL files and templates")
	}
	tmpl, err := os.ReadFile(filepath.Join(repoRoot, provisioning.TemplatePath))
	if err != nil {
		t.Fatal(err)
	}
	if len(v.TemplateFiles) != 1 || v.TemplateFiles[path.Base(provisioning.TemplatePath)] != string(tmpl) {
		t.Errorf("%d templateFiles, want %s only", len(v.TemplateFiles), provisioning.TemplatePath)
	}
}
