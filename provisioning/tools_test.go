//go:build integration

package provisioning_test

import (
	"testing"

	"github.com/heady/heady-metrics/alerts"
	"github.com/heady/heady-metrics/internal/gentest"
	"github.com/heady/heady-metrics/kpi"
	"github.com/heady/heady-metrics/provisioning"
)

// The generated configs, checked by the real amtool and promtool
// (integration tier: `go test -tags integration`, which `make test` runs).

func tool(t *testing.T, name string) string { return gentest.Tool(t, name) }

func run(_ *testing.T, bin string, args ...string) (string, error) {
	return gentest.Run(repoRoot, bin, args...)
}

func mustRun(t *testing.T, bin string, args ...string) string {
	return gentest.MustRun(t, repoRoot, bin, args...)
}

func TestAmtoolCheckConfig(t *testing.T) {
	mustRun(t, tool(t, "amtool"), "check-config", provisioning.AlertmanagerPath)
}

func TestPromtoolCheckConfig(t *testing.T) {
	mustRun(t, tool(t, "promtool"), "check", "config", provisioning.PrometheusPath)
}

// Routes: every KPI alert reaches Slack by severity and panel, and
// everything reaches the generic webhook too.
func TestAmtoolRoutes(t *testing.T) {
	amtool := tool(t, "amtool")
	type tc struct {
		labels []string
		want   string
	}
	cases := []tc{
		{[]string{"alertname=HeadyToolCallSuccessTargetMissed", "severity=critical", "kpi=tool_call_success", "panel=trust"}, "webhook,slack-critical"},
		{[]string{"alertname=HeadyWauGrowthTargetMissed", "severity=warning", "kpi=wau_growth", "panel=adoption"}, "webhook,slack-warning"},
		{[]string{"alertname=HeadyCostPerOutcomeTrendWorsening", "severity=warning", "kpi=cost_per_outcome", "panel=cost"}, "webhook,slack-cost"},
		{[]string{"alertname=HeadyGatewayLatencyP95TargetMissed", "severity=warning", "kpi=gateway_latency_p95", "panel=platform"}, "webhook,slack-platform"},
		{[]string{"alertname=HeadySourceDown", "severity=warning", "source=audit"}, "webhook,slack-platform"},
		{[]string{"alertname=HeadyExporterAbsent", "severity=critical", "job=heady"}, "webhook,slack-critical"},
		{[]string{"alertname=Unrelated"}, "webhook"},
	}
	// And every alert the catalog defines, by its severity and panel.
	for _, k := range kpi.Catalog {
		if !k.Target.Judged() {
			continue
		}
		want := "webhook,slack-critical"
		if k.Severity == "warning" {
			want = "webhook," + provisioning.WarningReceiver(k.Panel)
		}
		cases = append(cases, tc{[]string{"alertname=" + alerts.ValueAlertName(k), "severity=" + k.Severity, "kpi=" + k.ID, "panel=" + string(k.Panel)}, want})
	}
	for _, c := range cases {
		args := append([]string{"config", "routes", "test", "--config.file=" + provisioning.AlertmanagerPath, "--verify.receivers=" + c.want}, c.labels...)
		if out, err := run(t, amtool, args...); err != nil {
			t.Errorf("%v: want %s, got %s(%v)", c.labels, c.want, out, err)
		}
	}
	// The check can fail: a wrong expectation is reported.
	if _, err := run(t, amtool, "config", "routes", "test", "--config.file="+provisioning.AlertmanagerPath,
		"--verify.receivers=slack-warning", "severity=critical", "kpi=north_star"); err == nil {
		t.Error("amtool accepted a wrong receiver")
	}
}

// The scale-out example's Prometheus config is valid for the real promtool.
func TestScaleOutPromtoolCheckConfig(t *testing.T) {
	mustRun(t, tool(t, "promtool"), "check", "config", "provisioning/scale-out/prometheus.yml")
}
