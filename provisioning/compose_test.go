package provisioning_test

import (
	"fmt"
	"os"
	"path"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/prometheus/common/model"
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
	// The config is chosen with HEADY_ALERTMANAGER_CONFIG among the two
	// generated ones, both mounted; the default is the webhook one.
	const flag = "--config.file=/etc/alertmanager/${HEADY_ALERTMANAGER_CONFIG:-"
	if !slices.Contains(am.Command, flag+path.Base(provisioning.AlertmanagerPath)+"}") {
		t.Errorf("alertmanager command %v lacks %s%s}", am.Command, flag, path.Base(provisioning.AlertmanagerPath))
	}
	for _, p := range []string{provisioning.AlertmanagerPath, provisioning.AlertmanagerAppPath} {
		if m["/etc/alertmanager/"+path.Base(p)] != p {
			t.Errorf("%s not mounted at /etc/alertmanager: %v", p, m)
		}
	}
	if m["/etc/alertmanager/templates"] != path.Dir(provisioning.TemplatePath) {
		t.Errorf("templates not mounted next to the config (templates/*.tmpl): %v", m)
	}
	// The notification log outlives the longest repeat interval, or
	// notify="once" alerts are re-sent when their log entry expires.
	retention := ""
	for _, a := range am.Command {
		if v, ok := strings.CutPrefix(a, "--data.retention="); ok {
			retention = v
		}
	}
	once, _ := model.ParseDuration(provisioning.OnceRepeatInterval)
	if d, err := time.ParseDuration(retention); err != nil || d < time.Duration(once) || retention != provisioning.DataRetention {
		t.Errorf("--data.retention=%q: want %s, at least the once repeat interval %s", retention, provisioning.DataRetention, provisioning.OnceRepeatInterval)
	}
	// Every Slack secret is a compose secret mounted at /run/secrets, from a
	// file an environment variable names, empty by default.
	secrets := []string{provisioning.SlackBotTokenSecret}
	for _, d := range provisioning.Slack {
		secrets = append(secrets, d.Secret)
		if path.Dir(d.URLFile()) != "/run/secrets" {
			t.Errorf("%s: URL file %s is not a compose secret", d.Receiver, d.URLFile())
		}
	}
	if len(am.Secrets) != len(secrets) {
		t.Errorf("alertmanager secrets %v, want %v", am.Secrets, secrets)
	}
	for _, name := range secrets {
		if !slices.Contains(am.Secrets, name) {
			t.Errorf("alertmanager does not get secret %s", name)
		}
		s, ok := c.Secrets[name]
		env := "${HEADY_" + strings.ToUpper(name) + "_FILE:-"
		if !ok || !strings.HasPrefix(s.File, env) {
			t.Errorf("secret %s must come from the file %s...} names: %+v", name, env, s)
			continue
		}
		def := strings.TrimSuffix(strings.TrimPrefix(s.File, env), "}")
		b, err := os.ReadFile(filepath.Join(repoRoot, def))
		if err != nil {
			t.Fatalf("default secret file: %v", err)
		}
		if strings.TrimSpace(string(b)) != "" {
			t.Errorf("the placeholder %s is not empty", def)
		}
	}
}

// The images are the current releases the tests run: Prometheus 3 (the
// release of the prometheus module whose promtool test-deps.sh builds),
// the Alertmanager test-deps.sh builds, Grafana 12 (dashboards are schema
// version 42).
func TestComposeVersions(t *testing.T) {
	c := loadCompose(t)
	b, err := os.ReadFile(filepath.Join(repoRoot, "scripts/test-deps.sh"))
	if err != nil {
		t.Fatal(err)
	}
	version := func(pkg string) string {
		for _, l := range strings.Split(string(b), "\n") {
			if f := strings.Split(strings.Trim(strings.TrimSpace(l), `"`), "|"); len(f) == 4 && f[1] == pkg {
				return f[2]
			}
		}
		t.Fatalf("test-deps.sh builds no %s", pkg)
		return ""
	}
	// Module v0.316.0 is Prometheus 3.16.0.
	var minor, patch int
	if _, err := fmt.Sscanf(version("github.com/prometheus/prometheus/cmd/promtool"), "v0.%d.%d", &minor, &patch); err != nil {
		t.Fatal(err)
	}
	want := map[string]string{
		"prometheus":   fmt.Sprintf("prom/prometheus:v%d.%d.%d", minor/100, minor%100, patch),
		"alertmanager": "prom/alertmanager:" + version("github.com/prometheus/alertmanager/cmd/alertmanager"),
	}
	for svc, img := range want {
		if got := c.Services[svc].Image; got != img {
			t.Errorf("%s image %q, want %q", svc, got, img)
		}
	}
	if img := c.Services["grafana"].Image; !strings.HasPrefix(img, "grafana/grafana:12.") {
		t.Errorf("grafana image %q, want 12.x", img)
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
	sections, err := alerts.RunbookSections(alerts.DefaultOptions(), true)
	if err != nil {
		t.Fatal(err)
	}
	all, err := dashboards.All(dashboards.Options{Runbooks: sections})
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
