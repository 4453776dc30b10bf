//go:build integration

// Package helm tests the Helm chart charts/heady-metrics with the real helm
// (v3.22.0, built by scripts/test-deps.sh): lint, and `helm template` output
// decoded strictly into the Kubernetes and prometheus-operator API types.
package helm

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	monitoringv1 "github.com/prometheus-operator/prometheus-operator/pkg/apis/monitoring/v1"
	"go.yaml.in/yaml/v3"
	appsv1 "k8s.io/api/apps/v1"
	batchv1 "k8s.io/api/batch/v1"
	corev1 "k8s.io/api/core/v1"

	"github.com/heady/heady-metrics/internal/gentest"
)

const (
	root      = "../.."
	chartDir  = root + "/charts/heady-metrics"
	release   = "kpis"
	namespace = "monitoring"
	// kubeVersion is the cluster version helm template renders for (a helm
	// built with go install assumes v1.20, below the chart's kubeVersion).
	kubeVersion = "1.33.0"
)

// helm runs the upstream helm with its cache and config in a temporary
// directory; it returns stdout, and stderr in the error.
func helm(t *testing.T, args ...string) (string, error) {
	t.Helper()
	bin := gentest.Upstream(t, "helm")
	home := t.TempDir()
	cmd := exec.Command(bin, args...)
	cmd.Env = append(os.Environ(),
		"HELM_CACHE_HOME="+filepath.Join(home, "cache"),
		"HELM_CONFIG_HOME="+filepath.Join(home, "config"),
		"HELM_DATA_HOME="+filepath.Join(home, "data"),
	)
	var stdout, stderr bytes.Buffer
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	if err := cmd.Run(); err != nil {
		return stdout.String(), fmt.Errorf("helm %s: %v\n%s", strings.Join(args, " "), err, stderr.String())
	}
	return stdout.String(), nil
}

// manifests is one `helm template` output, decoded strictly.
type manifests struct {
	statefulSets    []appsv1.StatefulSet
	services        []corev1.Service
	configMaps      []corev1.ConfigMap
	serviceMonitors []monitoringv1.ServiceMonitor
	prometheusRules []monitoringv1.PrometheusRule
	cronJobs        []batchv1.CronJob
	claims          []corev1.PersistentVolumeClaim
	kinds           map[string]int
}

// render runs `helm template` with the given --set/--values arguments and
// decodes every document into its API type; a field the type does not have,
// a wrong type or an unexpected kind fails the test.
func render(t *testing.T, args ...string) manifests {
	t.Helper()
	out, err := helm(t, append([]string{"template", release, chartDir, "--namespace", namespace, "--kube-version", kubeVersion}, args...)...)
	if err != nil {
		t.Fatal(err)
	}
	m := manifests{kinds: map[string]int{}}
	dec := yaml.NewDecoder(strings.NewReader(out))
	for {
		var doc map[string]any
		err := dec.Decode(&doc)
		if errors.Is(err, io.EOF) {
			break
		}
		if err != nil {
			t.Fatalf("helm template output is not YAML: %v", err)
		}
		if doc == nil {
			continue
		}
		kind, _ := doc["kind"].(string)
		m.kinds[kind]++
		var target any
		switch kind {
		case "StatefulSet":
			m.statefulSets = append(m.statefulSets, appsv1.StatefulSet{})
			target = &m.statefulSets[len(m.statefulSets)-1]
		case "Service":
			m.services = append(m.services, corev1.Service{})
			target = &m.services[len(m.services)-1]
		case "ConfigMap":
			m.configMaps = append(m.configMaps, corev1.ConfigMap{})
			target = &m.configMaps[len(m.configMaps)-1]
		case "ServiceMonitor":
			m.serviceMonitors = append(m.serviceMonitors, monitoringv1.ServiceMonitor{})
			target = &m.serviceMonitors[len(m.serviceMonitors)-1]
		case "PrometheusRule":
			m.prometheusRules = append(m.prometheusRules, monitoringv1.PrometheusRule{})
			target = &m.prometheusRules[len(m.prometheusRules)-1]
		case "CronJob":
			m.cronJobs = append(m.cronJobs, batchv1.CronJob{})
			target = &m.cronJobs[len(m.cronJobs)-1]
		case "PersistentVolumeClaim":
			m.claims = append(m.claims, corev1.PersistentVolumeClaim{})
			target = &m.claims[len(m.claims)-1]
		default:
			t.Fatalf("the chart renders a %q, which this test does not decode", kind)
		}
		if err := strictJSON(doc, target); err != nil {
			t.Fatalf("%s %v: %v", kind, doc["metadata"], err)
		}
	}
	return m
}

// strictJSON decodes a YAML value into an API type through JSON (the API
// types' own encoding), failing on unknown fields.
func strictJSON(v any, into any) error {
	b, err := json.Marshal(v)
	if err != nil {
		return err
	}
	dec := json.NewDecoder(bytes.NewReader(b))
	dec.DisallowUnknownFields()
	if err := dec.Decode(into); err != nil {
		return err
	}
	if dec.More() {
		return errors.New("trailing data")
	}
	return nil
}

// strictYAML decodes a YAML document into an API type, strictly.
func strictYAML(t *testing.T, src []byte, into any) {
	t.Helper()
	var v any
	if err := yaml.Unmarshal(src, &v); err != nil {
		t.Fatal(err)
	}
	if err := strictJSON(v, into); err != nil {
		t.Fatal(err)
	}
}

func (m manifests) statefulSet(t *testing.T) appsv1.StatefulSet {
	t.Helper()
	if len(m.statefulSets) != 1 {
		t.Fatalf("%d StatefulSets, want 1", len(m.statefulSets))
	}
	return m.statefulSets[0]
}

// exporterConfig is the rendered config.yml.
func (m manifests) exporterConfig(t *testing.T) string {
	t.Helper()
	for _, cm := range m.configMaps {
		if c, ok := cm.Data["config.yml"]; ok {
			return c
		}
	}
	t.Fatal("no ConfigMap holds config.yml")
	return ""
}

// fullValues exercises every optional part of the chart at once.
func fullValues(t *testing.T) string {
	t.Helper()
	p := filepath.Join(t.TempDir(), "values.yaml")
	body := `shards: 3
image: {repository: registry.example/heady-exporter, tag: "9.9.9"}
imagePullSecrets: [{name: regcred}]
config:
  sources:
    audit:
      - paths: ["/var/log/heady/audit-*.jsonl*"]
    cost:
      url: https://cost.internal/api
      bearer_token_file: /etc/heady/secrets/cost/token
    probe: {}
  engine: {top_n: 10}
webhook: {existingSecret: ci-hook, key: hmac}
secretMounts: [{name: cost, secretName: heady-cost}]
extraVolumes: [{name: logs, persistentVolumeClaim: {claimName: heady-logs, readOnly: true}}]
extraVolumeMounts: [{name: logs, mountPath: /var/log/heady, readOnly: true}]
persistence: {size: 5Gi, storageClassName: fast}
serviceMonitor: {labels: {release: kps}, interval: 1m}
prometheusRule: {labels: {release: kps}}
dashboards: {annotations: {grafana_folder: Heady}, namespace: grafana}
podAnnotations: {team: sre}
podLabels: {tier: kpi}
nodeSelector: {kubernetes.io/os: linux}
tolerations: [{key: dedicated, operator: Exists, effect: NoSchedule}]
extraArgs: [--web.max-requests=20]
digest:
  enabled: true
  prometheusURL: http://prometheus-operated.monitoring.svc:9090
  smtp:
    smarthost: smtp.example:587
    from: heady@example.com
    to: [sre@example.com, cto@example.com]
    username: heady
    passwordSecret: {name: heady-smtp, key: pass}
`
	if err := os.WriteFile(p, []byte(body), 0o644); err != nil {
		t.Fatal(err)
	}
	return p
}

func TestHelmLint(t *testing.T) {
	for _, args := range [][]string{nil, {"--values", fullValues(t)}} {
		out, err := helm(t, append([]string{"lint", "--strict", chartDir}, args...)...)
		if err != nil {
			t.Fatal(err)
		}
		if !strings.Contains(out, "0 chart(s) failed") {
			t.Errorf("helm lint %v:\n%s", args, out)
		}
	}
}

// Every object the chart renders, with the defaults and with every option,
// decodes strictly; the kinds are the ones the issue lists.
func TestTemplateDecodesStrictly(t *testing.T) {
	dashboards, _ := filepath.Glob(filepath.Join(root, "dashboards", "*.json"))
	for name, args := range map[string][]string{"defaults": nil, "full": {"--values", fullValues(t)}} {
		m := render(t, args...)
		want := map[string]int{"StatefulSet": 1, "Service": 1, "ConfigMap": 1 + len(dashboards), "ServiceMonitor": 1, "PrometheusRule": 1}
		if name == "full" {
			want["CronJob"], want["PersistentVolumeClaim"] = 1, 1 // the digest
		}
		if fmt.Sprint(m.kinds) != fmt.Sprint(want) {
			t.Errorf("%s: rendered %v, want %v (no Secret: secrets are referenced, never inlined)", name, m.kinds, want)
		}
	}
	m := render(t, "--set", "serviceMonitor.enabled=false,prometheusRule.enabled=false,dashboards.enabled=false")
	if want := "map[ConfigMap:1 Service:1 StatefulSet:1]"; fmt.Sprint(m.kinds) != want {
		t.Errorf("with the ServiceMonitor, rules and dashboards off: %v, want %v", m.kinds, want)
	}
}

// Misspelt values fail (values.schema.json), values the chart owns are
// refused rather than silently overridden, and the digest refuses to render
// without what it needs.
func TestTemplateRefusesBadValues(t *testing.T) {
	digest := "digest.enabled=true,digest.prometheusURL=http://p:9090,digest.smtp.smarthost=m:25,digest.smtp.from=a@b,digest.smtp.to={c@d}"
	for set, want := range map[string]string{
		"shards=0":              "/shards': minimum",
		"shard=3":               "additional properties 'shard' not allowed",
		"image.tags=x":          "additional properties 'tags' not allowed",
		"logLevel=verbose":      "/logLevel",
		"config.state_dir=/tmp": "config.state_dir is set by the chart",
		"config.shard.count=2":  "config.shard is set by the chart",
		"webhook.existingSecret=x,config.web.webhook_secret_file=/f": "webhook_secret_file is set by the chart",
		"digest.enabled=true":              "digest.prometheusURL is required",
		digest + ",digest.smtp.to=null":    "digest.smtp.to is required",
		digest + ",digest.smtp.username=u": "digest.smtp.passwordSecret.name",
	} {
		_, err := helm(t, "template", release, chartDir, "--kube-version", kubeVersion, "--set", set)
		if err == nil || !strings.Contains(err.Error(), want) {
			t.Errorf("helm template --set %s: %v; want an error saying %q", set, err, want)
		}
	}
	if _, err := helm(t, "template", release, chartDir, "--kube-version", kubeVersion, "--set", digest); err != nil {
		t.Errorf("the digest with its required values: %v", err)
	}
}

func yamlUnmarshal(s string, into any) error { return yaml.Unmarshal([]byte(s), into) }
