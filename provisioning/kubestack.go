package provisioning

import (
	"path"
	"strings"

	"go.yaml.in/yaml/v3"

	"github.com/heady/heady-metrics/alerts"
)

// The Alertmanager of kube-prometheus-stack: alertmanager.yml (the
// incoming-webhook configuration: every Alertmanager version) as values of
// that chart. The Slack URLs stay in one existing Secret, which the chart
// mounts into Alertmanager; its keys are the compose secrets' names.
const (
	KubePrometheusStackPath = "provisioning/kube-prometheus-stack/alertmanager-values.yaml"
	// SlackSecret is the existing Secret holding the Slack webhook URLs;
	// the Prometheus operator mounts the Secrets listed in
	// alertmanagerSpec.secrets under KubeStackSecretsDir/<name>/.
	SlackSecret         = "heady-slack"
	KubeStackSecretsDir = "/etc/alertmanager/secrets"
	// KubeStackConfigDir is where kube-prometheus-stack mounts the
	// Alertmanager configuration and its templateFiles.
	KubeStackConfigDir = "/etc/alertmanager/config"
)

// KubeStackSecretFile is where Alertmanager under kube-prometheus-stack
// reads the file that compose mounts at composeFile.
func KubeStackSecretFile(composeFile string) string {
	return path.Join(KubeStackSecretsDir, SlackSecret, path.Base(composeFile))
}

func kubeStackHeader() string {
	var keys []string
	for _, d := range Slack {
		keys = append(keys, " --from-file="+d.Secret+"=...")
	}
	return `# Alertmanager of kube-prometheus-stack for heady-metrics alerts: the routes,
# receivers and Slack templates of provisioning/alertmanager/alertmanager.yml.
# The Slack incoming-webhook URLs are read from the existing Secret ` + SlackSecret + `,
# one key per channel:
#   kubectl -n monitoring create secret generic ` + SlackSecret + ` \
#    ` + strings.Join(keys, " \\\n#    ") + `
#   helm upgrade KPS_RELEASE prometheus-community/kube-prometheus-stack --reuse-values \
#     -f ` + KubePrometheusStackPath + `
`
}

func kubePrometheusStackValues(o Options) ([]byte, error) {
	// alertmanager.yml as a tree, its secret files and templates moved to
	// where kube-prometheus-stack mounts them.
	b, err := alerts.Marshal(alertmanager(o, SlackWebhooks))
	if err != nil {
		return nil, err
	}
	var cfg yaml.Node
	if err := yaml.Unmarshal(b, &cfg); err != nil {
		return nil, err
	}
	relocate(cfg.Content[0])
	out, err := alerts.Marshal(m{{"alertmanager", m{
		// notify="once" alerts stay told once only while Alertmanager keeps
		// its notification log that long.
		{"alertmanagerSpec", m{{"secrets", []string{SlackSecret}}, {"retention", DataRetention}}},
		{"config", cfg.Content[0]},
		{"templateFiles", m{{path.Base(TemplatePath), slackTemplate}}},
	}}})
	if err != nil {
		return nil, err
	}
	return append([]byte(header+kubeStackHeader()), out...), nil
}

// relocate rewrites the secret file paths and the template glob of an
// Alertmanager configuration for kube-prometheus-stack.
func relocate(n *yaml.Node) {
	if n.Kind == yaml.MappingNode {
		for i := 0; i+1 < len(n.Content); i += 2 {
			k, v := n.Content[i].Value, n.Content[i+1]
			switch {
			case strings.HasSuffix(k, "_file") && v.Kind == yaml.ScalarNode && path.Dir(v.Value) == SecretsDir:
				v.Value = KubeStackSecretFile(v.Value)
			case k == "templates" && v.Kind == yaml.SequenceNode:
				for _, t := range v.Content {
					t.Value = path.Join(KubeStackConfigDir, path.Base(t.Value))
				}
			}
		}
	}
	for _, c := range n.Content {
		relocate(c)
	}
}
