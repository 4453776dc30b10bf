//go:build integration

package provisioning_test

// The generated Alertmanager and Prometheus configs and the Slack template
// checked by the real tools: Debian's (Alertmanager 0.25, Prometheus 2.42)
// and the current upstream ones scripts/test-deps.sh builds (amtool
// v0.35.0, promtool v0.316.0).

import (
	"flag"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"testing"

	"github.com/heady/heady-metrics/alerts"
	"github.com/heady/heady-metrics/internal/gentest"
	"github.com/heady/heady-metrics/provisioning"
)

var update = flag.Bool("update", false, "rewrite the golden files of the Slack template with the upstream amtool's output")

// tools are the upstream and the Debian build of a Prometheus tool, in
// that order.
func tools(t *testing.T, name string) []struct{ dist, bin string } {
	return []struct{ dist, bin string }{{"upstream", gentest.Upstream(t, name)}, {"debian", gentest.Tool(t, name)}}
}

// Both configs load in upstream Alertmanager; Alertmanager 0.25 (Debian)
// loads the webhook one and refuses the bot-token one, which needs 0.30.
func TestAmtoolCheckConfig(t *testing.T) {
	for _, tl := range tools(t, "amtool") {
		dist, amtool := tl.dist, tl.bin
		mustRun(t, amtool, "check-config", provisioning.AlertmanagerPath)
		out, err := run(t, amtool, "check-config", provisioning.AlertmanagerAppPath)
		switch {
		case dist == "upstream" && err != nil:
			t.Errorf("upstream amtool refuses %s: %v\n%s", provisioning.AlertmanagerAppPath, err, out)
		case dist == "debian" && (err == nil || !strings.Contains(out, "app_token_file")):
			t.Errorf("Alertmanager 0.25 loads %s, or fails for another reason than app_token_file: %v\n%s", provisioning.AlertmanagerAppPath, err, out)
		}
	}
}

func TestPromtoolCheckConfig(t *testing.T) {
	for _, tl := range tools(t, "promtool") {
		mustRun(t, tl.bin, "check", "config", provisioning.PrometheusPath)
	}
}

// generatedAlerts returns every alert the generated rules can produce, by
// name, with the labels the rule sets (routing reads no other).
func generatedAlerts(t *testing.T) map[string]map[string]string {
	t.Helper()
	var rf alerts.RuleFile
	loadYAML(t, alerts.RulesPath, &rf)
	out := map[string]map[string]string{}
	for _, g := range rf.Groups {
		for _, r := range g.Rules {
			if r.Alert == "" {
				continue
			}
			l := map[string]string{"alertname": r.Alert}
			for k, v := range r.Labels {
				l[k] = v
			}
			out[r.Alert] = l
		}
	}
	if len(out) < 10 {
		t.Fatalf("only %d alerts in %s", len(out), alerts.RulesPath)
	}
	return out
}

// wantReceivers is where people expect an alert: the webhook (when
// configured) gets everything; a critical pages on-call; and every alert
// reaches its owner's channel: cost's to finops, platform's and the
// exporter's own to platform, the others to the KPI channel.
func wantReceivers(l map[string]string, webhook bool) string {
	var r []string
	if webhook {
		r = append(r, "webhook")
	}
	if l["severity"] == "critical" {
		r = append(r, "slack-oncall")
	}
	switch {
	case l["panel"] == "cost":
		r = append(r, "slack-finops")
	case l["panel"] == "platform" || l["team"] == "platform":
		r = append(r, "slack-platform")
	default:
		r = append(r, "slack-kpis")
	}
	return strings.Join(r, ",")
}

// labelArgs renders labels as amtool arguments, sorted.
func labelArgs(l map[string]string) []string {
	var out []string
	for k, v := range l {
		out = append(out, k+"="+v)
	}
	sort.Strings(out)
	return out
}

// amtool config routes test, for every alert the rules can produce, on
// both configs (and on a config with the generic webhook), with both
// amtools (0.25 cannot load the bot-token config).
func TestAmtoolRoutes(t *testing.T) {
	withWebhook := filepath.Join(t.TempDir(), "alertmanager.yml")
	files, err := provisioning.Files(provisioning.Options{Job: options().Job, WebhookURL: "http://incidents.example/heady"})
	if err != nil {
		t.Fatal(err)
	}
	for _, f := range files {
		if f.Path == provisioning.AlertmanagerPath {
			if err := os.WriteFile(withWebhook, f.Data, 0o644); err != nil {
				t.Fatal(err)
			}
		}
	}
	type config struct {
		path    string
		webhook bool
		debian  bool
	}
	configs := []config{{provisioning.AlertmanagerPath, false, true}, {provisioning.AlertmanagerAppPath, false, false}, {withWebhook, true, true}}
	all := generatedAlerts(t)
	names := make([]string, 0, len(all))
	for n := range all {
		names = append(names, n)
	}
	sort.Strings(names)
	seen := map[string]bool{}
	for _, tl := range tools(t, "amtool") {
		dist, amtool := tl.dist, tl.bin
		for _, c := range configs {
			if dist == "debian" && !c.debian {
				continue
			}
			for _, n := range names {
				want := wantReceivers(all[n], c.webhook)
				seen[want] = true
				args := append([]string{"config", "routes", "test", "--config.file=" + c.path, "--verify.receivers=" + want}, labelArgs(all[n])...)
				if out, err := run(t, amtool, args...); err != nil {
					t.Errorf("%s amtool, %s: %s %v: want %s, got %s(%v)", dist, filepath.Base(c.path), n, all[n], want, out, err)
				}
			}
			// An alert nobody labelled still reaches a channel.
			if out, err := run(t, amtool, "config", "routes", "test", "--config.file="+c.path, "--verify.receivers="+wantReceivers(nil, c.webhook), "alertname=Unlabelled"); err != nil {
				t.Errorf("%s amtool, %s: an unlabelled alert: %s(%v)", dist, filepath.Base(c.path), out, err)
			}
			// The check can fail: a wrong expectation is reported.
			if _, err := run(t, amtool, "config", "routes", "test", "--config.file="+c.path,
				"--verify.receivers=slack-kpis", "severity=critical", "panel=cost", "kpi=budget_utilization"); err == nil {
				t.Errorf("%s amtool accepted a wrong receiver", dist)
			}
		}
	}
	// The rules exercise every destination, paging and not.
	for _, w := range []string{"slack-oncall,slack-kpis", "slack-oncall,slack-finops", "slack-oncall,slack-platform", "slack-kpis", "slack-finops", "slack-platform"} {
		if !seen[w] {
			t.Errorf("no generated alert routes to %s", w)
		}
	}
}

// slackText is what the golden files hold: every templated field of the
// Slack configs, the text last.
const slackText = `title: {{ template "heady.slack.title" . }}
fallback: {{ template "heady.slack.title" . }}
color: {{ template "heady.slack.color" . }}
title_link: {{ template "heady.slack.titlelink" . }}
text:
{{ template "heady.slack.text" . }}
`

// Golden files of the Slack message (amtool template render) for a KPI
// alert, a source alert, a grouped and a resolved notification; both
// amtools render them alike. `go test -tags integration ./provisioning
// -run TestSlackTemplateGolden -update` rewrites them.
func TestSlackTemplateGolden(t *testing.T) {
	inputs, _ := filepath.Glob(filepath.Join(repoRoot, "provisioning/testdata/slack/*.json"))
	if len(inputs) != 4 {
		t.Fatalf("want 4 template data files, got %v", inputs)
	}
	glob := filepath.Join(filepath.Dir(provisioning.TemplatePath), "*.tmpl")
	for _, tl := range tools(t, "amtool") {
		dist, amtool := tl.dist, tl.bin
		for _, in := range inputs {
			rel, _ := filepath.Rel(repoRoot, in)
			got := mustRun(t, amtool, "template", "render", "--template.glob="+glob, "--template.data="+rel, "--template.text="+slackText)
			golden := strings.TrimSuffix(in, ".json") + ".golden"
			if *update && dist == "upstream" {
				if err := os.WriteFile(golden, []byte(got), 0o644); err != nil {
					t.Fatal(err)
				}
			}
			want, err := os.ReadFile(golden)
			if err != nil {
				t.Fatalf("%v (run with -update)", err)
			}
			if got != string(want) {
				t.Errorf("%s amtool renders %s:\n%s\nwant (%s):\n%s", dist, filepath.Base(in), got, filepath.Base(golden), want)
			}
			checkReadable(t, filepath.Base(in), got)
		}
	}
}

// checkReadable: no blank line, no line starting or ending with a
// separator, no template leftovers.
func checkReadable(t *testing.T, name, msg string) {
	t.Helper()
	text := msg[strings.Index(msg, "text:\n")+len("text:\n"):]
	for _, l := range strings.Split(strings.TrimSuffix(text, "\n"), "\n") {
		tl := strings.TrimSpace(l)
		if tl == "" || strings.HasPrefix(tl, "·") || strings.HasSuffix(tl, "·") || strings.HasSuffix(tl, "—") ||
			strings.Contains(l, "<no value>") || strings.Contains(l, "{{") {
			t.Errorf("%s: unreadable line %q in:\n%s", name, l, text)
		}
	}
	for _, l := range strings.Split(msg, "\n") {
		if strings.HasPrefix(l, "title: ") && (strings.HasSuffix(l, "·") || strings.Contains(l, "· ·")) {
			t.Errorf("%s: stray separator in %q", name, l)
		}
	}
}

func tool(t *testing.T, name string) string { return gentest.Tool(t, name) }

func run(_ *testing.T, bin string, args ...string) (string, error) {
	return gentest.Run(repoRoot, bin, args...)
}

func mustRun(t *testing.T, bin string, args ...string) string {
	return gentest.MustRun(t, repoRoot, bin, args...)
}

func TestScaleOutPromtoolCheckConfig(t *testing.T) {
	mustRun(t, tool(t, "promtool"), "check", "config", "provisioning/scale-out/prometheus.yml")
}
