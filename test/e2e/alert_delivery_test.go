//go:build integration

package e2e

// Issue 16: alerts reach the right people. The real Prometheus (Debian's)
// evaluates the generated rules on series that breach a chosen set of
// targets, one alert per destination and severity, and sends them to three
// real Alertmanagers at once: Debian's 0.25 and upstream 0.35 with the
// incoming-webhook config, upstream 0.35 with the bot-token config. Each
// posts to local stand-ins for every Slack destination and the generic
// webhook; each destination must get exactly the alerts routed to it, with
// the expected text, once for notify="once" alerts, and their resolution.
//
// What the test copies change, and why: the rules' `for:` durations become
// 0s (Prometheus counts them in wall-clock time, up to a day); the
// Alertmanager configs are generated with the generic webhook on (it is
// off in the committed ones), with secrets, grouping delays and repeat
// intervals shortened (4h and 1h to 2s, so that repeats are seen; the
// notify="once" routes keep 90d). Labels, annotations, expressions and the
// route tree are the shipped ones.

import (
	"context"
	"encoding/json"
	"fmt"
	"net"
	"net/http"
	"path/filepath"
	"regexp"
	"sort"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"go.yaml.in/yaml/v3"

	"github.com/heady/heady-metrics/alerts"
	"github.com/heady/heady-metrics/internal/gentest"
	"github.com/heady/heady-metrics/kpi"
	"github.com/heady/heady-metrics/provisioning"
)

// breached are the KPIs whose targets the served series miss: one
// critical and one warning alert per owner channel (trust's critical
// security_incidents is also the notify="once" one).
var breached = []string{
	"security_incidents", // critical, trust -> on-call and KPI channel, once
	"budget_utilization", // critical, cost -> on-call and finops
	"services_healthy",   // critical, platform -> on-call and platform
	"arena_promotion",    // warning, outcomes -> KPI channel
	"routing_efficiency", // warning, cost -> finops
	"registry_score",     // warning, platform -> platform
}

// Besides, the served series make two sources down (warning, team
// platform: one grouped notification) and a dead scrape target makes the
// exporter down (critical, team platform).
var breachedSources = []string{"audit", "auth"}

// fakeExporter serves a fixed /metrics text that the test can replace.
type fakeExporter struct {
	addr string
	mu   sync.Mutex
	text string
}

func (f *fakeExporter) set(text string) {
	f.mu.Lock()
	f.text = text
	f.mu.Unlock()
}

func serveMetrics(t *testing.T, addr string) *fakeExporter {
	t.Helper()
	l, err := net.Listen("tcp", addr)
	if err != nil {
		t.Fatal(err)
	}
	f := &fakeExporter{addr: l.Addr().String()}
	srv := &http.Server{Handler: http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) {
		f.mu.Lock()
		defer f.mu.Unlock()
		fmt.Fprint(w, f.text)
	})}
	go func() { _ = srv.Serve(l) }() // ends with ErrServerClosed at cleanup
	t.Cleanup(func() { srv.Close() })
	return f
}

// promtoolTests is the part of a generated promtool test file read here.
type promtoolTests struct {
	Tests []struct {
		Name        string `yaml:"name"`
		InputSeries []struct {
			Series string `yaml:"series"`
			Values string `yaml:"values"`
		} `yaml:"input_series"`
	} `yaml:"tests"`
}

var seriesRE = regexp.MustCompile(`^([a-zA-Z_:][a-zA-Z0-9_:]*)\{(.*)\}$`)

// parseSeries splits name{a="b",...} as the generated tests write it.
func parseSeries(t *testing.T, s string) (string, map[string]string) {
	t.Helper()
	m := seriesRE.FindStringSubmatch(s)
	if m == nil {
		t.Fatalf("series %q", s)
	}
	labels := map[string]string{}
	rest := m[2]
	for rest != "" {
		k, v, ok := strings.Cut(rest, "=")
		if !ok {
			t.Fatalf("series %q", s)
		}
		q, err := strconv.QuotedPrefix(v)
		if err != nil {
			t.Fatalf("series %q: %v", s, err)
		}
		labels[k], _ = strconv.Unquote(q)
		rest = strings.TrimPrefix(v[len(q):], ",")
	}
	return m[1], labels
}

// breachingSeries returns, per exporter instance of the generated promtool
// tests, the exposition text of the inputs with which the KPIs' "target
// missed" tests make their alerts fire (job and instance labels dropped:
// the scrape sets them).
func breachingSeries(t *testing.T, root string) map[string]string {
	t.Helper()
	lines := map[string][]string{}
	for _, id := range breached {
		k, ok := kpi.Lookup(id)
		if !ok || !k.Target.HasValueTarget() {
			t.Fatalf("%s: not a KPI with a value target", id)
		}
		var tf promtoolTests
		if err := yaml.Unmarshal([]byte(readText(t, filepath.Join(root, alerts.TestDir, string(k.Panel)+".yml"))), &tf); err != nil {
			t.Fatal(err)
		}
		found := false
		for _, g := range tf.Tests {
			if g.Name != id+": target missed" {
				continue
			}
			found = true
			for _, in := range g.InputSeries {
				name, l := parseSeries(t, in.Series)
				v, _, _ := strings.Cut(in.Values, "+")
				inst := l["instance"]
				delete(l, "instance")
				delete(l, "job")
				lines[inst] = append(lines[inst], name+promLabels(l)+" "+v)
			}
		}
		if !found {
			t.Fatalf("no promtool test %q", id+": target missed")
		}
	}
	out := map[string]string{}
	for inst, ls := range lines {
		sort.Strings(ls)
		out[inst] = strings.Join(ls, "\n") + "\n"
	}
	return out
}

// firingAlert is one alert of Prometheus's /api/v1/alerts.
type firingAlert struct {
	Labels      map[string]string `json:"labels"`
	Annotations map[string]string `json:"annotations"`
	State       string            `json:"state"`
}

func promAlerts(ctx context.Context, base string) ([]firingAlert, error) {
	req, _ := http.NewRequestWithContext(ctx, "GET", base+"/api/v1/alerts", nil)
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		return nil, err
	}
	defer resp.Body.Close()
	var r struct {
		Data struct {
			Alerts []firingAlert `json:"alerts"`
		} `json:"data"`
	}
	if err := json.NewDecoder(resp.Body).Decode(&r); err != nil {
		return nil, err
	}
	return r.Data.Alerts, nil
}

// amVariant is one Alertmanager under test.
type amVariant struct {
	name   string
	bin    string
	config string // provisioning.AlertmanagerPath or AlertmanagerAppPath
	recv   *receiver
	am     *proc
}

func TestAlertDelivery(t *testing.T) {
	requireBinaries(t, "prometheus", "prometheus-alertmanager")
	root := repoRoot(t)
	upstream := gentest.Upstream(t, "alertmanager")
	variants := []*amVariant{
		{name: "alertmanager 0.25 (Debian), webhooks", bin: "prometheus-alertmanager", config: provisioning.AlertmanagerPath},
		{name: "alertmanager 0.35, webhooks", bin: upstream, config: provisioning.AlertmanagerPath},
		{name: "alertmanager 0.35, bot token", bin: upstream, config: provisioning.AlertmanagerAppPath},
	}
	var amAddrs []string
	for _, v := range variants {
		v.recv = startReceiver(t)
		config := writeAlertmanagerConfig(t, t.TempDir(), v.config, v.recv,
			"repeat_interval: "+provisioning.RepeatInterval, "repeat_interval: 2s",
			"repeat_interval: "+provisioning.OncallRepeatInterval, "repeat_interval: 2s")
		addr := freePort(t)
		v.am = startAlertmanagerBin(t, v.bin, config, addr)
		amAddrs = append(amAddrs, addr)
	}

	// Two fake exporters serving the breaching series, a dead target.
	series := breachingSeries(t, root)
	var exporters []*fakeExporter
	var targets []string
	for _, inst := range []string{"exporter-a:9877", "exporter-b:9877"} {
		text := series[inst]
		if inst == "exporter-a:9877" {
			for _, src := range breachedSources {
				text += fmt.Sprintf("%s{source=%q} 0\n", kpi.SSourceUp, src)
			}
		}
		f := serveMetrics(t, "127.0.0.1:0")
		f.set(text)
		exporters = append(exporters, f)
		targets = append(targets, f.addr)
	}
	dead := freePort(t)
	targets = append(targets, dead)

	promDir := t.TempDir()
	rules := readText(t, filepath.Join(root, alerts.RulesPath))
	rules = regexp.MustCompile(`(?m)^( +)for: \S+$`).ReplaceAllString(rules, "${1}for: 0s")
	writeText(t, filepath.Join(promDir, "rules", "heady-rules.yml"), rules)
	promAddr := freePort(t)
	promConfig := filepath.Join(promDir, "prometheus.yml")
	pc := rewrite(t, readText(t, filepath.Join(root, provisioning.PrometheusPath)), nil,
		"scrape_interval: 30s", "scrape_interval: 1s",
		"evaluation_interval: 1m", "evaluation_interval: 1s",
		"localhost:9090", promAddr,
	)
	pc = expandItem(t, pc, provisioning.ExporterTarget, 1, targets)
	pc = expandItem(t, pc, provisioning.AlertmanagerTarget, 2, amAddrs)
	writeText(t, promConfig, pc)
	prom := startPrometheus(t, promConfig, promAddr, t.TempDir(), "--rules.alert.resend-delay=1s")

	want := expectedAlerts(t, root)
	firing := waitFiring(t, prom, want)
	for _, v := range variants {
		t.Run(v.name+"/firing", func(t *testing.T) { v.checkDelivered(t, firing, "firing") })
	}
	for _, v := range variants {
		t.Run(v.name+"/once", func(t *testing.T) { v.checkOnce(t, firing) })
	}

	// Every target met again: no breaching series, sources up, the dead
	// target answering.
	for _, f := range exporters {
		f.set("")
	}
	exporters[0].set(fmt.Sprintf("%s{source=%q} 1\n%s{source=%q} 1\n", kpi.SSourceUp, breachedSources[0], kpi.SSourceUp, breachedSources[1]))
	serveMetrics(t, dead)
	for _, v := range variants {
		t.Run(v.name+"/resolved", func(t *testing.T) { v.checkDelivered(t, firing, "resolved") })
	}
	for _, v := range variants {
		t.Run(v.name+"/exactly", func(t *testing.T) { v.checkOnlyRouted(t, firing) })
	}
}

// expandItem replaces each YAML list item "- item" of src (want of them)
// by one item per element of with, at the same indentation.
func expandItem(t *testing.T, src, item string, want int, with []string) string {
	t.Helper()
	re := regexp.MustCompile(`(?m)^( *)- ` + regexp.QuoteMeta(item) + `$`)
	if n := len(re.FindAllString(src, -1)); n != want {
		t.Fatalf("list item %s: found %d times, want %d (did the generated file change?)", item, n, want)
	}
	return re.ReplaceAllStringFunc(src, func(line string) string {
		indent := line[:strings.Index(line, "-")]
		var out []string
		for _, w := range with {
			out = append(out, indent+"- "+w)
		}
		return strings.Join(out, "\n")
	})
}

// expectedAlerts lists, from the generated rules, the alerts the served
// series must fire, by name, with the labels the rules give them.
func expectedAlerts(t *testing.T, root string) map[string]map[string]string {
	t.Helper()
	names := map[string]bool{alerts.AlertExporterDown: true, alerts.AlertSourceDown: true}
	for _, id := range breached {
		k, _ := kpi.Lookup(id)
		names[alerts.ValueAlertName(k)] = true
	}
	out := map[string]map[string]string{}
	for _, r := range readRules(t, filepath.Join(root, alerts.RulesPath)) {
		if names[r.Alert] {
			out[r.Alert] = r.Labels
		}
	}
	if len(out) != len(names) {
		t.Fatalf("alerts %v: found %d in the rules", names, len(out))
	}
	return out
}

// waitFiring waits until Prometheus fires exactly the expected alerts (two
// HeadySourceDown) and returns them by name.
func waitFiring(t *testing.T, prom *proc, want map[string]map[string]string) map[string][]firingAlert {
	t.Helper()
	var got map[string][]firingAlert
	waitFor(t, 60*time.Second, "Prometheus firing exactly the breached alerts", func() (bool, string) {
		as, err := promAlerts(context.Background(), prom.url(""))
		if err != nil {
			return false, err.Error()
		}
		got = map[string][]firingAlert{}
		var names []string
		for _, a := range as {
			if a.State == "firing" {
				got[a.Labels["alertname"]] = append(got[a.Labels["alertname"]], a)
				names = append(names, a.Labels["alertname"]+"/"+a.Labels["source"])
			}
		}
		ok := len(got) == len(want) && len(got[alerts.AlertSourceDown]) == len(breachedSources)
		for n := range want {
			ok = ok && len(got[n]) > 0
		}
		sort.Strings(names)
		return ok, fmt.Sprint(names)
	})
	return got
}

// wantDests is where people expect an alert in Slack: a critical pages
// on-call, and every alert reaches its owner's channel.
func wantDests(l map[string]string) []string {
	var r []string
	if l["severity"] == "critical" {
		r = append(r, provisioning.ReceiverSlackOncall)
	}
	switch {
	case l["panel"] == "cost":
		r = append(r, provisioning.ReceiverSlackFinops)
	case l["panel"] == "platform" || l["team"] == "platform":
		r = append(r, provisioning.ReceiverSlackPlatform)
	default:
		r = append(r, provisioning.ReceiverSlackKPIs)
	}
	return r
}

// dest maps a message's destination to its receiver: webhook configs post
// to /slack/<receiver>, the bot-token config names the channel.
func (v *amVariant) dest(m slackMessage) string {
	if v.config == provisioning.AlertmanagerPath {
		return m.Dest
	}
	for _, d := range provisioning.Slack {
		if d.Channel == m.Dest {
			return d.Receiver
		}
	}
	return "unknown channel " + m.Dest
}

// expectedMessage is the Slack title and text of a notification of the
// alerts as (all firing or all resolved).
func expectedMessage(as []firingAlert, status string) (string, string) {
	l := as[0].Labels
	n := ""
	if status == "firing" && len(as) > 1 {
		n = fmt.Sprintf(":%d", len(as))
	}
	title := fmt.Sprintf("[%s%s] %s", strings.ToUpper(status), n, l["alertname"])
	if l["kpi"] != "" {
		title += " · KPI " + l["kpi"] + " · panel " + l["panel"]
	}
	if len(as) == 1 && l["source"] != "" {
		title += " · source " + l["source"]
	}
	var lines []string
	for _, a := range as {
		an := a.Annotations
		line := ""
		switch {
		case status == "firing" && an["value"] != "":
			line = "*" + an["value"] + "* against target " + an["target"]
			if a.Labels["notify"] == "once" {
				line += " (told once: not repeated while it fires)"
			}
		case status == "firing":
			line = "*" + an["summary"] + "*"
		case an["value"] != "":
			line = "Resolved: was " + an["value"] + " against target " + an["target"]
		default:
			line = "Resolved: " + an["summary"]
		}
		if len(as) > 1 {
			line = "• " + line
		}
		lines = append(lines, line)
	}
	sort.Strings(lines)
	an := as[0].Annotations
	lines = append(lines, "<"+an["runbook_url"]+"|Runbook> · <"+an["dashboard_url"]+"|Dashboard>")
	return title, strings.Join(lines, "\n")
}

// checkDelivered: every Slack destination of every alert got its
// notification of status with the expected text, and the webhook got it.
func (v *amVariant) checkDelivered(t *testing.T, firing map[string][]firingAlert, status string) {
	names := make([]string, 0, len(firing))
	for n := range firing {
		names = append(names, n)
	}
	sort.Strings(names)
	for _, n := range names {
		as := firing[n]
		title, text := expectedMessage(as, status)
		for _, d := range wantDests(as[0].Labels) {
			waitFor(t, 60*time.Second, fmt.Sprintf("%s %s in %s", n, status, d), func() (bool, string) {
				var seen []string
				for _, m := range v.recv.slackMessages(t) {
					if v.dest(m) != d || len(m.Attachments) != 1 || !strings.Contains(m.Attachments[0].Title, "] "+n) {
						continue
					}
					a := m.Attachments[0]
					if a.Title == title && sortedLines(a.Text) == text {
						v.checkAttachment(t, m, as[0].Labels, status)
						return true, ""
					}
					seen = append(seen, a.Title+"\n"+a.Text)
				}
				return false, fmt.Sprintf("want\n%s\n%s\ngot %d others:\n%s", title, text, len(seen), strings.Join(seen, "\n--\n"))
			})
		}
		waitFor(t, 30*time.Second, fmt.Sprintf("%s %s in the webhook", n, status), func() (bool, string) {
			got := 0
			for _, m := range v.recv.webhookMessages(t) {
				for _, a := range m.Alerts {
					if a.Labels["alertname"] == n && a.Status == status {
						got++
						break
					}
				}
			}
			return got > 0, v.recv.summary()
		})
	}
}

// sortedLines sorts a message's alert lines (Alertmanager orders a group's
// alerts by their labels, the test by their text), keeping the links last.
func sortedLines(text string) string {
	ls := strings.Split(text, "\n")
	if len(ls) < 2 {
		return text
	}
	body := append([]string(nil), ls[:len(ls)-1]...)
	sort.Strings(body)
	return strings.Join(append(body, ls[len(ls)-1]), "\n")
}

func (v *amVariant) checkAttachment(t *testing.T, m slackMessage, l map[string]string, status string) {
	t.Helper()
	a := m.Attachments[0]
	color := map[string]string{"critical": "danger", "warning": "warning"}[l["severity"]]
	if status == "resolved" {
		color = "good"
	}
	if a.Color != color || a.Fallback != a.Title || a.TitleLink == "" {
		t.Errorf("%s: color %q (want %q), fallback %q, title link %q", a.Title, a.Color, color, a.Fallback, a.TitleLink)
	}
	if v.config == provisioning.AlertmanagerAppPath && m.Auth != "Bearer "+testBotToken {
		t.Errorf("%s: posted with Authorization %q", a.Title, m.Auth)
	}
	if v.config == provisioning.AlertmanagerPath && (m.Auth != "" || m.Channel != "") {
		t.Errorf("%s: incoming webhook posted with Authorization %q, channel %q", a.Title, m.Auth, m.Channel)
	}
}

// checkOnce: while repeating alerts are notified again (the test's repeat
// interval is 2s), a notify="once" alert is not: one firing message per
// destination.
func (v *amVariant) checkOnce(t *testing.T, firing map[string][]firingAlert) {
	var once, repeated string
	for n, as := range firing {
		if as[0].Labels["notify"] == "once" {
			once = n
		} else if as[0].Labels["severity"] == "critical" {
			repeated = n
		}
	}
	if once == "" || repeated == "" {
		t.Fatalf("need a notify=once and a repeated critical alert among %v", firing)
	}
	count := func(n, d string) int {
		c := 0
		for _, m := range v.recv.slackMessages(t) {
			if v.dest(m) == d && len(m.Attachments) == 1 && strings.HasPrefix(m.Attachments[0].Title, "[FIRING] "+n) {
				c++
			}
		}
		return c
	}
	waitFor(t, 60*time.Second, repeated+" notified three times in on-call", func() (bool, string) {
		c := count(repeated, provisioning.ReceiverSlackOncall)
		return c >= 3, fmt.Sprint(c)
	})
	for _, d := range wantDests(firing[once][0].Labels) {
		if c := count(once, d); c != 1 {
			t.Errorf("%s: %d firing notifications in %s, want 1", once, c, d)
		}
	}
}

// checkOnlyRouted: no destination got an alert not routed to it, and no
// message of an unknown destination arrived.
func (v *amVariant) checkOnlyRouted(t *testing.T, firing map[string][]firingAlert) {
	got := map[string]map[string]bool{}
	for _, m := range v.recv.slackMessages(t) {
		d := v.dest(m)
		if got[d] == nil {
			got[d] = map[string]bool{}
		}
		title := m.Attachments[0].Title
		name := strings.Fields(title[strings.Index(title, "]")+1:])[0]
		got[d][name] = true
	}
	want := map[string]map[string]bool{}
	for n, as := range firing {
		for _, d := range wantDests(as[0].Labels) {
			if want[d] == nil {
				want[d] = map[string]bool{}
			}
			want[d][n] = true
		}
	}
	for d, names := range got {
		for n := range names {
			if !want[d][n] {
				t.Errorf("%s got %s, which is not routed to it", d, n)
			}
		}
	}
	for d, names := range want {
		for n := range names {
			if !got[d][n] {
				t.Errorf("%s never got %s", d, n)
			}
		}
	}
	if len(want) != len(provisioning.Slack) {
		t.Errorf("the breached alerts reach %d of the %d Slack destinations", len(want), len(provisioning.Slack))
	}
}
