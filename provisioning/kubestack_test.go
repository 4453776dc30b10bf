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
			Secrets []string `yaml:"secrets"`
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
	if bytes.Contains(b, []byte("hooks.slack.com")) {
		t.Error("a Slack URL is in the kube-prometheus-stack values")
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
// alertmanager.yml does; only where the Slack URL and the templates are
// read from differ: the URL from the existing Secret the values mount.
func TestKubePrometheusStackValues(t *testing.T) {
	v := readKubeStackValues(t).Alertmanager
	var compose map[string]any
	loadYAML(t, provisioning.AlertmanagerPath, &compose)

	if !slices.Equal(v.AlertmanagerSpec.Secrets, []string{provisioning.SlackSecret}) ||
		path.Dir(provisioning.KubeStackSlackURLFile) != "/etc/alertmanager/secrets/"+provisioning.SlackSecret {
		t.Errorf("secrets %v, Slack URL file %s: the URL must come from the mounted Secret", v.AlertmanagerSpec.Secrets, provisioning.KubeStackSlackURLFile)
	}
	slack := 0
	receivers, _ := v.Config["receivers"].([]any)
	for _, r := range receivers {
		r, _ := r.(map[string]any)
		configs, _ := r["slack_configs"].([]any)
		for _, s := range configs {
			slack++
			s, _ := s.(map[string]any)
			if s["api_url_file"] != provisioning.KubeStackSlackURLFile {
				t.Errorf("api_url_file %v", s["api_url_file"])
			}
			s["api_url_file"] = provisioning.SlackURLFile
		}
	}
	if slack == 0 {
		t.Fatal("no Slack receiver")
	}
	if got := v.Config["templates"]; !reflect.DeepEqual(got, []any{"/etc/alertmanager/config/*.tmpl"}) {
		t.Errorf("templates %v: kube-prometheus-stack puts templateFiles in /etc/alertmanager/config", got)
	}
	v.Config["templates"] = compose["templates"]
	if !reflect.DeepEqual(v.Config, compose) {
		t.Error("the kube-prometheus-stack Alertmanager config differs from alertmanager.yml beyond the Slack URL file and templates")
	}
	tmpl, err := os.ReadFile(filepath.Join(repoRoot, provisioning.TemplatePath))
	if err != nil {
		t.Fatal(err)
	}
	if len(v.TemplateFiles) != 1 || v.TemplateFiles[path.Base(provisioning.TemplatePath)] != string(tmpl) {
		t.Errorf("templateFiles %v, want %s only", len(v.TemplateFiles), provisioning.TemplatePath)
	}
}
