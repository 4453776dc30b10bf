package provisioning

import (
	"fmt"

	"github.com/heady/heady-metrics/alerts"
)

// The Alertmanager of kube-prometheus-stack: the same routes and Slack
// templates as alertmanager.yml, as values of that chart. The Slack webhook
// URL stays in an existing Secret that the chart mounts into Alertmanager.
const (
	KubePrometheusStackPath = "provisioning/kube-prometheus-stack/alertmanager-values.yaml"
	// SlackSecret and SlackSecretKey: the existing Secret holding the Slack
	// webhook URL; the Prometheus operator mounts the Secrets listed in
	// alertmanagerSpec.secrets under /etc/alertmanager/secrets/<name>/.
	SlackSecret    = "heady-slack"
	SlackSecretKey = "url"
	// kubeStackConfigDir is where kube-prometheus-stack mounts the
	// Alertmanager configuration and its templateFiles.
	kubeStackConfigDir = "/etc/alertmanager/config"
)

// KubeStackSlackURLFile is where Alertmanager reads the Slack URL under
// kube-prometheus-stack.
var KubeStackSlackURLFile = fmt.Sprintf("/etc/alertmanager/secrets/%s/%s", SlackSecret, SlackSecretKey)

const kubeStackHeader = `# Alertmanager of kube-prometheus-stack for heady-metrics alerts: the routes,
# receivers and Slack templates of provisioning/alertmanager/. The Slack
# webhook URL is read from the existing Secret ` + SlackSecret + ` (key ` + SlackSecretKey + `):
#   kubectl -n monitoring create secret generic ` + SlackSecret + ` --from-file=` + SlackSecretKey + `=slack-url.txt
#   helm upgrade KPS_RELEASE prometheus-community/kube-prometheus-stack --reuse-values \
#     -f provisioning/kube-prometheus-stack/alertmanager-values.yaml
`

func kubePrometheusStackValues() ([]byte, error) {
	b, err := alerts.Marshal(m{{"alertmanager", m{
		{"alertmanagerSpec", m{{"secrets", []string{SlackSecret}}}},
		{"config", alertmanager(KubeStackSlackURLFile, []string{kubeStackConfigDir + "/*.tmpl"})},
		{"templateFiles", m{{"heady.tmpl", slackTemplate}}},
	}}})
	if err != nil {
		return nil, err
	}
	return append([]byte(header+kubeStackHeader), b...), nil
}
