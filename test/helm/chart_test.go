//go:build integration

package helm

import (
	"context"
	"net/http"
	"os"
	"os/exec"
	"path"
	"path/filepath"
	"reflect"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	monitoringv1 "github.com/prometheus-operator/prometheus-operator/pkg/apis/monitoring/v1"
	corev1 "k8s.io/api/core/v1"

	"github.com/heady/heady-metrics/alerts"
	"github.com/heady/heady-metrics/exporter/config"
	"github.com/heady/heady-metrics/internal/gentest"
)

// The rendered PrometheusRule is alerts/heady-rules.yml and the dashboard
// ConfigMaps hold dashboards/*.json byte for byte, under the Grafana
// sidecar's label (configurable).
func TestBundleEqualsGenerated(t *testing.T) {
	m := render(t)
	if len(m.prometheusRules) != 1 {
		t.Fatalf("%d PrometheusRules", len(m.prometheusRules))
	}
	src, err := os.ReadFile(filepath.Join(root, alerts.RulesPath))
	if err != nil {
		t.Fatal(err)
	}
	var want monitoringv1.PrometheusRuleSpec
	strictYAML(t, src, &want)
	if len(want.Groups) == 0 {
		t.Fatal("no rule groups in the bundle")
	}
	if got := m.prometheusRules[0].Spec; !reflect.DeepEqual(got, want) {
		t.Errorf("the rendered PrometheusRule's spec differs from %s", alerts.RulesPath)
	}
	var bundled monitoringv1.PrometheusRule
	src, _ = os.ReadFile(filepath.Join(root, alerts.PrometheusRulePath))
	strictYAML(t, src, &bundled)
	if !reflect.DeepEqual(bundled.Spec, want) {
		t.Errorf("%s and %s differ", alerts.PrometheusRulePath, alerts.RulesPath)
	}

	files, _ := filepath.Glob(filepath.Join(root, "dashboards", "*.json"))
	if len(files) < 9 {
		t.Fatalf("%d dashboards in the bundle", len(files))
	}
	checkDashboards(t, m.configMaps, files, "grafana_dashboard", "1")
	m = render(t, "--values", fullValues(t))
	checkDashboards(t, m.configMaps, files, "grafana_dashboard", "1")
	for _, cm := range m.configMaps {
		_, isConfig := cm.Data["config.yml"]
		if want := map[bool]string{true: namespace, false: "grafana"}[isConfig]; cm.Namespace != want {
			t.Errorf("ConfigMap %s in namespace %q, want %q", cm.Name, cm.Namespace, want)
		}
		if !isConfig && cm.Annotations["grafana_folder"] != "Heady" {
			t.Errorf("ConfigMap %s: annotations %v", cm.Name, cm.Annotations)
		}
	}
	m = render(t, "--set", "dashboards.label=heady_dashboard,dashboards.labelValue=yes")
	checkDashboards(t, m.configMaps, files, "heady_dashboard", "yes")
}

func checkDashboards(t *testing.T, cms []corev1.ConfigMap, files []string, label, value string) {
	t.Helper()
	found := map[string]bool{}
	for _, cm := range cms {
		if _, ok := cm.Data["config.yml"]; ok {
			continue
		}
		if got := cm.Labels[label]; got != value {
			t.Errorf("ConfigMap %s: label %s=%q, want %q (labels %v)", cm.Name, label, got, value, cm.Labels)
		}
		if label != "grafana_dashboard" && cm.Labels["grafana_dashboard"] != "" {
			t.Errorf("ConfigMap %s keeps grafana_dashboard with a custom label", cm.Name)
		}
		if len(cm.Data) != 1 {
			t.Errorf("ConfigMap %s holds %d files, want one dashboard", cm.Name, len(cm.Data))
		}
		for name, body := range cm.Data {
			found[name] = true
			want, err := os.ReadFile(filepath.Join(root, "dashboards", name))
			if err != nil {
				t.Errorf("ConfigMap %s: %s is not a bundle dashboard", cm.Name, name)
			} else if body != string(want) {
				t.Errorf("ConfigMap %s: %s differs from dashboards/%s", cm.Name, name, name)
			}
		}
	}
	for _, f := range files {
		if !found[filepath.Base(f)] {
			t.Errorf("no ConfigMap holds %s", filepath.Base(f))
		}
	}
}

// shards=3 renders three pods whose arguments give shards 0, 1 and 2 of 3:
// the pod name from the downward API is parsed by the exporter's own
// PodOrdinal, and the real exporter accepts each pod's arguments with the
// rendered config (--config.check).
func TestShardsHaveDistinctIndexes(t *testing.T) {
	exporter := buildExporter(t)
	for _, shards := range []int{1, 3} {
		m := render(t, "--set", "shards="+strconv.Itoa(shards))
		sts := m.statefulSet(t)
		if sts.Spec.Replicas == nil || int(*sts.Spec.Replicas) != shards {
			t.Fatalf("shards=%d: the StatefulSet does not run %d replicas", shards, shards)
		}
		c := sts.Spec.Template.Spec.Containers[0]
		if len(c.Env) != 1 || c.Env[0].Name != "POD_NAME" || c.Env[0].ValueFrom == nil ||
			c.Env[0].ValueFrom.FieldRef == nil || c.Env[0].ValueFrom.FieldRef.FieldPath != "metadata.name" {
			t.Fatalf("POD_NAME is not the pod's name from the downward API: %+v", c.Env)
		}
		cfgFile := filepath.Join(t.TempDir(), "config.yml")
		cfgText := m.exporterConfig(t)
		if err := os.WriteFile(cfgFile, []byte(cfgText), 0o644); err != nil {
			t.Fatal(err)
		}
		if want := "state_dir: /var/lib/heady-exporter/shards-" + strconv.Itoa(shards) + "\n"; !strings.Contains(cfgText, want) {
			t.Errorf("shards=%d: config has no %q:\n%s", shards, want, cfgText)
		}
		seen := map[int]bool{}
		for ordinal := range shards {
			pod := sts.Name + "-" + strconv.Itoa(ordinal) // the StatefulSet's pod names
			var args []string
			count, index := -1, -1
			for _, a := range c.Args {
				a = strings.ReplaceAll(a, "$(POD_NAME)", pod) // as the kubelet expands it
				switch {
				case strings.HasPrefix(a, "--config.file="):
					a = "--config.file=" + cfgFile
				case strings.HasPrefix(a, "--shard.count="):
					count, _ = strconv.Atoi(strings.TrimPrefix(a, "--shard.count="))
				case strings.HasPrefix(a, "--shard.index-from-pod-name="):
					n, err := config.PodOrdinal(strings.TrimPrefix(a, "--shard.index-from-pod-name="))
					if err != nil {
						t.Fatal(err)
					}
					index = n
				}
				args = append(args, a)
			}
			if count != shards || index < 0 || index >= count || seen[index] {
				t.Errorf("shards=%d, pod %s: shard index %d of %d (seen %v)", shards, pod, index, count, seen)
			}
			seen[index] = true
			gentest.MustRun(t, root, exporter, append(args, "--config.check")...)
		}
	}
}

// The workload: state on a claim template, config and secrets mounted from
// objects the chart does not create, probes, a non-root read-only security
// context with the Dockerfile's user, resource requests, the image of
// VERSION.
func TestWorkload(t *testing.T) {
	version := readVersion(t)
	m := render(t, "--values", fullValues(t))
	sts := m.statefulSet(t)
	pod := sts.Spec.Template.Spec
	c := pod.Containers[0]

	if len(sts.Spec.VolumeClaimTemplates) != 1 {
		t.Fatalf("%d volumeClaimTemplates", len(sts.Spec.VolumeClaimTemplates))
	}
	claim := sts.Spec.VolumeClaimTemplates[0]
	if q := claim.Spec.Resources.Requests[corev1.ResourceStorage]; q.String() != "5Gi" || claim.Spec.StorageClassName == nil || *claim.Spec.StorageClassName != "fast" {
		t.Errorf("claim template: %s of %v", q.String(), claim.Spec.StorageClassName)
	}
	mounts := map[string]corev1.VolumeMount{}
	for _, vm := range c.VolumeMounts {
		mounts[vm.Name] = vm
	}
	stateDir := regexp.MustCompile(`(?m)^state_dir: (.+)$`).FindStringSubmatch(m.exporterConfig(t))
	if stateDir == nil || !strings.HasPrefix(stateDir[1], mounts[claim.Name].MountPath+"/") || mounts[claim.Name].ReadOnly {
		t.Errorf("state_dir %v is not on the claim %q (mounted at %+v)", stateDir, claim.Name, mounts[claim.Name])
	}
	if sts.Spec.ServiceName != m.services[0].Name || m.services[0].Spec.ClusterIP != corev1.ClusterIPNone {
		t.Errorf("the StatefulSet's service %q is not the rendered headless Service %q", sts.Spec.ServiceName, m.services[0].Name)
	}

	// Secrets: referenced by name, mounted read-only, named in the config.
	volumes := map[string]corev1.Volume{}
	for _, v := range pod.Volumes {
		volumes[v.Name] = v
	}
	secretFor := func(name string) string {
		if v := volumes[name]; v.Secret != nil && mounts[name].ReadOnly {
			return v.Secret.SecretName + " at " + mounts[name].MountPath
		}
		return ""
	}
	if got := secretFor("webhook-secret"); got != "ci-hook at /etc/heady/webhook" {
		t.Errorf("webhook secret: %q", got)
	}
	if !strings.Contains(m.exporterConfig(t), "webhook_secret_file: /etc/heady/webhook/hmac\n") {
		t.Errorf("the config does not read the webhook key from the mounted secret:\n%s", m.exporterConfig(t))
	}
	if got := secretFor("secret-cost"); got != "heady-cost at /etc/heady/secrets/cost" {
		t.Errorf("secretMounts: %q", got)
	}
	if mounts["logs"].MountPath != "/var/log/heady" || volumes["logs"].PersistentVolumeClaim == nil {
		t.Errorf("extra volume: %+v %+v", mounts["logs"], volumes["logs"])
	}

	for probe, want := range map[*corev1.Probe]string{c.LivenessProbe: "/-/healthy", c.ReadinessProbe: "/-/ready"} {
		if probe == nil || probe.HTTPGet == nil || probe.HTTPGet.Path != want || probe.HTTPGet.Port.String() != "http" {
			t.Errorf("probe %+v, want GET %s on port http", probe, want)
		}
	}
	if len(c.Ports) != 1 || c.Ports[0].Name != "http" || !slices.Contains(c.Args, "--web.listen-address=:"+strconv.Itoa(int(c.Ports[0].ContainerPort))) {
		t.Errorf("port %+v does not match the args %v", c.Ports, c.Args)
	}

	uid := dockerfileUID(t)
	psc, sc := pod.SecurityContext, c.SecurityContext
	switch {
	case psc == nil || sc == nil:
		t.Fatal("no security context")
	case psc.RunAsNonRoot == nil || !*psc.RunAsNonRoot || psc.RunAsUser == nil || *psc.RunAsUser != uid:
		t.Errorf("pod security context %+v: want non-root, user %d (the Dockerfile's)", psc, uid)
	case sc.ReadOnlyRootFilesystem == nil || !*sc.ReadOnlyRootFilesystem || sc.AllowPrivilegeEscalation == nil || *sc.AllowPrivilegeEscalation:
		t.Errorf("container security context %+v: want a read-only root filesystem, no privilege escalation", sc)
	case sc.Capabilities == nil || !slices.Contains(sc.Capabilities.Drop, "ALL"):
		t.Errorf("capabilities %+v: want ALL dropped", sc.Capabilities)
	}
	for _, r := range []corev1.ResourceName{corev1.ResourceCPU, corev1.ResourceMemory} {
		if q, ok := render(t).statefulSet(t).Spec.Template.Spec.Containers[0].Resources.Requests[r]; !ok || q.IsZero() {
			t.Errorf("default values request no %s", r)
		}
	}

	if c.Image != "registry.example/heady-exporter:9.9.9" {
		t.Errorf("image %q", c.Image)
	}
	if img := render(t).statefulSet(t).Spec.Template.Spec.Containers[0].Image; img != "heady-exporter:"+version {
		t.Errorf("default image %q, want tag %s (VERSION)", img, version)
	}
}

// Prometheus scrapes the shards under the job the generated rules expect.
func TestServiceMonitor(t *testing.T) {
	m := render(t, "--values", fullValues(t))
	if len(m.serviceMonitors) != 1 {
		t.Fatalf("%d ServiceMonitors", len(m.serviceMonitors))
	}
	sm := m.serviceMonitors[0]
	svc := m.services[0]
	for k, v := range sm.Spec.Selector.MatchLabels {
		if svc.Labels[k] != v {
			t.Errorf("the ServiceMonitor selects %s=%s; the Service has %v", k, v, svc.Labels)
		}
	}
	if sm.Labels["release"] != "kps" || m.prometheusRules[0].Labels["release"] != "kps" {
		t.Error("serviceMonitor.labels / prometheusRule.labels are not applied")
	}
	if len(sm.Spec.Endpoints) != 1 || sm.Spec.Endpoints[0].Port != svc.Spec.Ports[0].Name {
		t.Fatalf("endpoints %+v do not scrape the Service's port %s", sm.Spec.Endpoints, svc.Spec.Ports[0].Name)
	}
	job := ""
	for _, r := range sm.Spec.Endpoints[0].RelabelConfigs {
		if r.TargetLabel == "job" && len(r.SourceLabels) == 0 && r.Replacement != nil {
			job = *r.Replacement
		}
	}
	if want := alerts.DefaultOptions().Job; job != want {
		t.Errorf("the ServiceMonitor sets job %q; the generated rules select job %q", job, want)
	}
	// The operator labels every target with its namespace, service, pod,
	// container and endpoint; the rules sum the shards without instance
	// only, so the labels that differ between pods must be dropped.
	var drop *regexp.Regexp
	for _, r := range sm.Spec.Endpoints[0].RelabelConfigs {
		if r.Action == "labeldrop" {
			drop = regexp.MustCompile("^(?:" + r.Regex + ")$")
		}
	}
	if drop == nil {
		t.Fatal("no labeldrop relabeling")
	}
	for _, l := range []string{"pod", "container", "service", "endpoint"} {
		if !drop.MatchString(l) {
			t.Errorf("the target label %s is kept: the shards' series would not add up", l)
		}
	}
	for _, l := range []string{"job", "instance", "namespace", "kpi", "panel", "source", "window", "status", "le"} {
		if drop.MatchString(l) {
			t.Errorf("the label %s is dropped", l)
		}
	}
	rules, _ := os.ReadFile(filepath.Join(root, alerts.RulesPath))
	if !strings.Contains(string(rules), `up{job="`+job+`"}`) {
		t.Errorf("%s does not select up{job=%q}", alerts.RulesPath, job)
	}
}

// The chart's appVersion is VERSION.
func TestAppVersionFollowsVERSION(t *testing.T) {
	out, err := helm(t, "show", "chart", chartDir)
	if err != nil {
		t.Fatal(err)
	}
	var chart struct {
		AppVersion string `yaml:"appVersion"`
	}
	if err := yamlUnmarshal(out, &chart); err != nil {
		t.Fatal(err)
	}
	if v := readVersion(t); chart.AppVersion != v {
		t.Errorf("Chart.yaml appVersion %q, VERSION %q: bump them together", chart.AppVersion, v)
	}
}

func readVersion(t *testing.T) string {
	t.Helper()
	b, err := os.ReadFile(filepath.Join(root, "VERSION"))
	if err != nil {
		t.Fatal(err)
	}
	return strings.TrimSpace(string(b))
}

// dockerfileUID is the numeric user of the Dockerfile's final stage, which
// must not be root.
func dockerfileUID(t *testing.T) int64 {
	t.Helper()
	b, err := os.ReadFile(filepath.Join(root, "Dockerfile"))
	if err != nil {
		t.Fatal(err)
	}
	stages := strings.Split(string(b), "\nFROM ")
	last := stages[len(stages)-1]
	if !strings.Contains(strings.SplitN(last, "\n", 2)[0], ":nonroot") {
		t.Errorf("the final stage %q is not a distroless nonroot image", path.Base(strings.SplitN(last, "\n", 2)[0]))
	}
	u := regexp.MustCompile(`(?m)^USER (\d+)(:\d+)?\s*$`).FindStringSubmatch(last)
	if u == nil {
		t.Fatal("the Dockerfile's final stage sets no numeric USER")
	}
	uid, _ := strconv.ParseInt(u[1], 10, 64)
	if uid == 0 {
		t.Fatal("the Dockerfile runs as root")
	}
	return uid
}

// The digest CronJob reads the SMTP password from the existing Secret, keeps
// its ledger on its claim, and its arguments and config are the exporter's.
func TestDigestCronJob(t *testing.T) {
	m := render(t, "--values", fullValues(t))
	if len(m.cronJobs) != 1 || len(m.claims) != 1 {
		t.Fatalf("%d CronJobs, %d claims", len(m.cronJobs), len(m.claims))
	}
	pod := m.cronJobs[0].Spec.JobTemplate.Spec.Template.Spec
	c := pod.Containers[0]
	mounts := map[string]string{}
	for _, vm := range c.VolumeMounts {
		mounts[vm.Name] = vm.MountPath
	}
	var secret, claim string
	for _, v := range pod.Volumes {
		if v.Secret != nil {
			secret = v.Secret.SecretName + " at " + mounts[v.Name]
		}
		if v.PersistentVolumeClaim != nil {
			claim = v.PersistentVolumeClaim.ClaimName + " at " + mounts[v.Name]
		}
	}
	if secret != "heady-smtp at /etc/heady/smtp" || !slices.Contains(c.Args, "--smtp.auth-password-file=/etc/heady/smtp/pass") {
		t.Errorf("SMTP password: secret %q, args %v", secret, c.Args)
	}
	var digestCfg string
	for _, cm := range m.configMaps {
		if s, ok := cm.Data["digest.yml"]; ok {
			digestCfg = s
		}
	}
	if strings.Contains(digestCfg, "webhook") {
		t.Errorf("the digest's config names the webhook, whose secret the CronJob does not mount:\n%s", digestCfg)
	}
	if claim != m.claims[0].Name+" at /var/lib/heady-digest" || !strings.Contains(digestCfg, "state_dir: /var/lib/heady-digest\n") {
		t.Errorf("the ledger (state_dir) is not on the digest's claim: %q\n%s", claim, digestCfg)
	}

	exporter := buildExporter(t)
	cfgFile := filepath.Join(t.TempDir(), "digest.yml")
	if err := os.WriteFile(cfgFile, []byte(digestCfg), 0o644); err != nil {
		t.Fatal(err)
	}
	var args []string
	for _, a := range c.Args {
		if strings.HasPrefix(a, "--config.file=") {
			a = "--config.file=" + cfgFile
		}
		args = append(args, a)
	}
	gentest.MustRun(t, root, exporter, append(args, "--config.check")...)
}

func buildExporter(t *testing.T) string {
	t.Helper()
	exporter := filepath.Join(t.TempDir(), "heady-exporter")
	build := exec.Command("go", "build", "-o", exporter, "./cmd/heady-exporter")
	build.Dir = root
	if out, err := build.CombinedOutput(); err != nil {
		t.Fatalf("go build: %v\n%s", err, out)
	}
	return exporter
}

// The real exporter, started with a rendered pod's arguments and config
// (state_dir and the listen address moved to the test's own), answers the
// pod's readiness and liveness probes.
func TestPodServesItsProbes(t *testing.T) {
	exporter := buildExporter(t)
	m := render(t, "--set", "shards=2")
	sts := m.statefulSet(t)
	c := sts.Spec.Template.Spec.Containers[0]
	dir := t.TempDir()
	cfgText := regexp.MustCompile(`(?m)^state_dir: .*$`).ReplaceAllString(m.exporterConfig(t), "state_dir: "+filepath.Join(dir, "state"))
	cfgFile := filepath.Join(dir, "config.yml")
	if err := os.WriteFile(cfgFile, []byte(cfgText), 0o644); err != nil {
		t.Fatal(err)
	}
	addr := gentest.FreeAddr(t)
	var args []string
	for _, a := range c.Args {
		switch {
		case strings.HasPrefix(a, "--config.file="):
			a = "--config.file=" + cfgFile
		case strings.HasPrefix(a, "--web.listen-address="):
			a = "--web.listen-address=" + addr
		}
		args = append(args, strings.ReplaceAll(a, "$(POD_NAME)", sts.Name+"-0"))
	}
	logFile := filepath.Join(dir, "exporter.log")
	gentest.Start(t, logFile, exporter, args...)
	get := func(path string) int {
		resp, err := http.Get("http://" + addr + path)
		if err != nil {
			return 0
		}
		resp.Body.Close()
		return resp.StatusCode
	}
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	for get(c.ReadinessProbe.HTTPGet.Path) != http.StatusOK {
		select {
		case <-ctx.Done():
			log, _ := os.ReadFile(logFile)
			t.Fatalf("the readiness probe GET %s never succeeded:\n%s", c.ReadinessProbe.HTTPGet.Path, log)
		case <-time.After(100 * time.Millisecond):
		}
	}
	if code := get(c.LivenessProbe.HTTPGet.Path); code != http.StatusOK {
		t.Errorf("the liveness probe GET %s: %d", c.LivenessProbe.HTTPGet.Path, code)
	}
	if code := get("/-/no-such-endpoint"); code == http.StatusOK {
		t.Errorf("an unknown path answers 200 too: the probes prove nothing")
	}
}
