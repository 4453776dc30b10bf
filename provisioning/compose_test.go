package provisioning_test

import (
	"os"
	"path"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"go.yaml.in/yaml/v3"

	"github.com/heady/heady-metrics/alerts"
	"github.com/heady/heady-metrics/dashboards"
	"github.com/heady/heady-metrics/provisioning"
)

// No Docker engine runs here, so the compose file is checked by structure:
// the services exist, every file it mounts exists in the repository and
// lands where the generated configs expect it.

type compose struct {
	Services map[string]struct {
		Build       any               `yaml:"build"`
		Image       string            `yaml:"image"`
		Command     []string          `yaml:"command"`
		Volumes     []string          `yaml:"volumes"`
		Ports       []string          `yaml:"ports"`
		Secrets     []string          `yaml:"secrets"`
		DependsOn   any               `yaml:"depends_on"`
		Environment map[string]string `yaml:"environment"`
		Restart     string            `yaml:"restart"`
	} `yaml:"services"`
	Secrets map[string]struct {
		File string `yaml:"file"`
	} `yaml:"secrets"`
	Volumes map[string]any `yaml:"volumes"`
	Name    string         `yaml:"name"`
}

func loadCompose(t *testing.T) compose {
	t.Helper()
	f, err := os.Open(filepath.Join(repoRoot, "docker-compose.yml"))
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	dec := yaml.NewDecoder(f)
	dec.KnownFields(true)
	var c compose
	if err := dec.Decode(&c); err != nil {
		t.Fatalf("docker-compose.yml: %v", err)
	}
	return c
}

// mounts maps container paths to repository paths (bind mounts) or volume
// names.
func mounts(t *testing.T, c compose, service string) map[string]string {
	t.Helper()
	out := map[string]string{}
	for _, v := range c.Services[service].Volumes {
		parts := strings.Split(v, ":")
		if len(parts) < 2 {
			t.Errorf("%s: volume %q has no target", service, v)
			continue
		}
		src, dst := parts[0], parts[1]
		if strings.HasPrefix(src, "./") {
			if _, err := os.Stat(filepath.Join(repoRoot, filepath.FromSlash(src))); err != nil {
				t.Errorf("%s mounts %s, which is not in the repository", service, src)
			}
			src = strings.TrimPrefix(src, "./")
		} else if _, ok := c.Volumes[src]; !ok {
			t.Errorf("%s mounts undeclared volume %q", service, src)
		}
		out[dst] = src
	}
	return out
}

func TestComposeServices(t *testing.T) {
	c := loadCompose(t)
	for _, s := range []string{"demo-data", "exporter", "prometheus", "alertmanager", "grafana"} {
		if _, ok := c.Services[s]; !ok {
			t.Errorf("no service %s", s)
		}
	}
	for name := range c.Services {
		mounts(t, c, name)
	}
}

// The exporter is built from the Dockerfile here and serves the demo data
// the demo-data service writes into their shared volume.
func TestComposeExporter(t *testing.T) {
	c := loadCompose(t)
	if _, err := os.Stat(filepath.Join(repoRoot, "Dockerfile")); err != nil {
		t.Fatal("no Dockerfile:", err)
	}
	demo, exp := c.Services["demo-data"], c.Services["exporter"]
	if demo.Build != "." || demo.Image == "" || exp.Image != demo.Image {
		t.Errorf("demo-data must build the image from . and exporter run the same image: %v %q %q", demo.Build, demo.Image, exp.Image)
	}
	if len(demo.Command) < 2 || demo.Command[0] != "demo" || !strings.HasPrefix(demo.Command[1], "--out=") {
		t.Fatalf("demo-data command %v", demo.Command)
	}
	out := strings.TrimPrefix(demo.Command[1], "--out=")
	if !slices.Contains(exp.Command, "--config.file="+path.Join(out, "config.yml")) {
		t.Errorf("exporter does not serve the demo config: %v", exp.Command)
	}
	dm, em := mounts(t, c, "demo-data"), mounts(t, c, "exporter")
	if dm[out] == "" || dm[out] != em[out] {
		t.Errorf("demo-data and exporter do not share %s", out)
	}
	port := strings.Split(provisioning.ExporterTarget, ":")[1]
	if !slices.Contains(exp.Ports, port+":"+port) {
		t.Errorf("exporter ports %v", exp.Ports)
	}
	deps, _ := exp.DependsOn.(map[string]any)
	if _, ok := deps["demo-data"]; !ok {
		t.Errorf("exporter does not wait for demo-data: %v", exp.DependsOn)
	}
}

func TestComposePrometheus(t *testing.T) {
	c := loadCompose(t)
	m := mounts(t, c, "prometheus")
	conf := ""
	for _, a := range c.Services["prometheus"].Command {
		conf = strings.TrimPrefix(a, "--config.file=")
		if conf != a {
			break
		}
		conf = ""
	}
	if m[conf] != provisioning.PrometheusPath {
		t.Errorf("prometheus reads %q, which mounts %q, want %s", conf, m[conf], provisioning.PrometheusPath)
	}
	// The rules are mounted where rule_files looks for them.
	var pc struct {
		RuleFiles []string `yaml:"rule_files"`
	}
	loadYAML(t, provisioning.PrometheusPath, &pc)
	rules := ""
	for dst, src := range m {
		if src == alerts.RulesPath {
			rules = dst
		}
	}
	matched := false
	for _, g := range pc.RuleFiles {
		if !path.IsAbs(g) {
			g = path.Join(path.Dir(conf), g)
		}
		if ok, _ := path.Match(g, rules); ok {
			matched = true
		}
	}
	if !matched {
		t.Errorf("rules mounted at %q do not match rule_files %v", rules, pc.RuleFiles)
	}
}

func TestComposeAlertmanager(t *testing.T) {
	c := loadCompose(t)
	am := c.Services["alertmanager"]
	m := mounts(t, c, "alertmanager")
	if m["/etc/alertmanager/alertmanager.yml"] != provisioning.AlertmanagerPath || !slices.Contains(am.Command, "--config.file=/etc/alertmanager/alertmanager.yml") {
		t.Errorf("alertmanager config not mounted where it is read: %v %v", m, am.Command)
	}
	if m["/etc/alertmanager/templates"] != path.Dir(provisioning.TemplatePath) {
		t.Errorf("templates not mounted next to the config (templates/*.tmpl): %v", m)
	}
	// The Slack URL comes from a compose secret, mounted at /run/secrets.
	if !slices.Contains(am.Secrets, path.Base(provisioning.SlackURLFile)) || path.Dir(provisioning.SlackURLFile) != "/run/secrets" {
		t.Errorf("alertmanager secrets %v, Slack URL file %s", am.Secrets, provisioning.SlackURLFile)
	}
	s, ok := c.Secrets[path.Base(provisioning.SlackURLFile)]
	if !ok || !strings.HasPrefix(s.File, "${") {
		t.Fatalf("secret %s must come from an environment-chosen file: %+v", path.Base(provisioning.SlackURLFile), s)
	}
	def := strings.TrimSuffix(s.File[strings.Index(s.File, ":-")+2:], "}")
	b, err := os.ReadFile(filepath.Join(repoRoot, def))
	if err != nil {
		t.Fatalf("default secret file: %v", err)
	}
	if strings.TrimSpace(string(b)) != "" {
		t.Errorf("the placeholder %s holds a URL", def)
	}
}

// Grafana gets the provisioning files and exactly the generated dashboards
// (not their import form, which would load the same uids twice).
func TestComposeGrafana(t *testing.T) {
	c := loadCompose(t)
	m := mounts(t, c, "grafana")
	if m["/etc/grafana/provisioning/datasources"] != path.Dir(provisioning.DatasourcePath) ||
		m["/etc/grafana/provisioning/dashboards"] != path.Dir(provisioning.ProviderPath) {
		t.Errorf("provisioning not mounted: %v", m)
	}
	all, err := dashboards.All(dashboards.Options{Runbooks: alerts.RunbookSections(true)})
	if err != nil {
		t.Fatal(err)
	}
	want := map[string]bool{}
	for _, d := range all {
		dst := path.Join(provisioning.GrafanaDashboardsPath, d.File)
		want[dst] = true
		if m[dst] != path.Join(dashboards.Dir, d.File) {
			t.Errorf("dashboard %s not mounted at %s", d.File, dst)
		}
	}
	for dst := range m {
		if strings.HasPrefix(dst, provisioning.GrafanaDashboardsPath) && !want[dst] {
			t.Errorf("%s is mounted but not a generated dashboard", dst)
		}
	}
	home := c.Services["grafana"].Environment["GF_DASHBOARDS_DEFAULT_HOME_DASHBOARD_PATH"]
	if home != path.Join(provisioning.GrafanaDashboardsPath, dashboards.ExecutiveUID+".json") {
		t.Errorf("home dashboard %q", home)
	}
}
