//go:build integration

package provisioning_test

import (
	"os"
	"path/filepath"
	"testing"

	"go.yaml.in/yaml/v3"

	"github.com/heady/heady-metrics/internal/gentest"
)

// The upstream amtool accepts the Alertmanager config of the
// kube-prometheus-stack values.
func TestKubePrometheusStackAmtool(t *testing.T) {
	cfg, err := yaml.Marshal(readKubeStackValues(t).Alertmanager.Config)
	if err != nil {
		t.Fatal(err)
	}
	p := filepath.Join(t.TempDir(), "alertmanager.yml")
	if err := os.WriteFile(p, cfg, 0o644); err != nil {
		t.Fatal(err)
	}
	gentest.MustRun(t, "", gentest.Upstream(t, "amtool"), "check-config", p)
}
