//go:build integration

package e2e

// Helpers of the Prometheus / Alertmanager tests (prom_*_test.go): the real
// Debian binaries on loopback ports of their own, the generated configs with
// only addresses, intervals and the Slack URL file rewritten, a Prometheus
// HTTP API client and a listener standing in for Slack and the webhook.

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"math"
	"net"
	"net/http"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"sort"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"go.yaml.in/yaml/v3"

	"github.com/heady/heady-metrics/alerts"
	"github.com/heady/heady-metrics/kpi"
	"github.com/heady/heady-metrics/provisioning"
)

// requireBinaries fails (never skips) the test when a binary is missing:
// `make test-deps` (scripts/test-deps.sh) installs them.
func requireBinaries(t *testing.T, names ...string) {
	t.Helper()
	for _, n := range names {
		if _, err := exec.LookPath(n); err != nil {
			t.Fatalf("%s not found in PATH (%v): run `make test-deps` (scripts/test-deps.sh installs the Debian packages)", n, err)
		}
	}
}

// repoRoot is the module root, two levels above this package.
func repoRoot(t *testing.T) string {
	t.Helper()
	root, err := filepath.Abs(filepath.Join("..", ".."))
	if err != nil {
		t.Fatal(err)
	}
	if _, err := os.Stat(filepath.Join(root, "go.mod")); err != nil {
		t.Fatalf("module root not found at %s: %v", root, err)
	}
	return root
}

// demoNow is the instant the demo data ends at: a whole hour at least an
// hour ago, so that backfilled samples (at or before it) are outside the
// 5m lookback of queries at the wall clock.
func demoNow() time.Time {
	return time.Now().UTC().Truncate(time.Hour).Add(-time.Hour)
}

// run runs a command to completion and returns its stdout; it fails the
// test with stderr on a non-zero exit.
func runBin(t *testing.T, name string, args ...string) []byte {
	t.Helper()
	cmd := exec.Command(name, args...)
	var stderr strings.Builder
	cmd.Stderr = &stderr
	out, err := cmd.Output()
	if err != nil {
		t.Fatalf("%s %s: %v\n%s", name, strings.Join(args, " "), err, stderr.String())
	}
	return out
}

// writeDemo writes the demo data set as of now into a new directory and
// returns the directory.
func writeDemo(t *testing.T, now time.Time) string {
	t.Helper()
	dir := filepath.Join(t.TempDir(), "demo")
	runBin(t, exporterBin, "demo", "--out="+dir, "--now="+now.Format(time.RFC3339))
	return dir
}

// rewrite replaces each old string of pairs with its new one, failing the
// test when an old string does not occur exactly want[old] times (default
// once): the test copy differs from the generated file only where it says.
func rewrite(t *testing.T, src string, want map[string]int, pairs ...string) string {
	t.Helper()
	for i := 0; i < len(pairs); i += 2 {
		old, repl := pairs[i], pairs[i+1]
		n := 1
		if w, ok := want[old]; ok {
			n = w
		}
		if got := strings.Count(src, old); got != n {
			t.Fatalf("rewriting %q: found %d times, want %d (did the generated file change?)", old, got, n)
		}
		src = strings.ReplaceAll(src, old, repl)
	}
	return src
}

func writeText(t *testing.T, path, content string) {
	t.Helper()
	if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(path, []byte(content), 0o644); err != nil {
		t.Fatal(err)
	}
}

func readText(t *testing.T, path string) string {
	t.Helper()
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}

// appendLines appends lines to a log the way a writer does: one write each.
func appendLines(t *testing.T, path string, lines ...string) {
	t.Helper()
	f, err := os.OpenFile(path, os.O_APPEND|os.O_WRONLY, 0)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	for _, l := range lines {
		if _, err := f.WriteString(l + "\n"); err != nil {
			t.Fatal(err)
		}
	}
}

// proc is one running binary (Prometheus, Alertmanager, an exporter on an
// address chosen by the test) with its output in a file.
type proc struct {
	t    *testing.T
	name string
	cmd  *exec.Cmd
	addr string
	log  string
	done chan struct{}
}

func startProc(t *testing.T, name, addr string, args ...string) *proc {
	t.Helper()
	logf, err := os.CreateTemp(t.TempDir(), filepath.Base(name)+"-*.log")
	if err != nil {
		t.Fatal(err)
	}
	cmd := exec.Command(name, args...)
	cmd.Stdout, cmd.Stderr = logf, logf
	cmd.Dir = t.TempDir()
	if err := cmd.Start(); err != nil {
		t.Fatalf("starting %s: %v", name, err)
	}
	logf.Close()
	p := &proc{t: t, name: name, cmd: cmd, addr: addr, log: logf.Name(), done: make(chan struct{})}
	go func() { _ = cmd.Wait(); close(p.done) }() // exited() reads the state
	t.Cleanup(p.kill)
	return p
}

func (p *proc) url(path string) string { return "http://" + p.addr + path }

func (p *proc) exited() bool {
	select {
	case <-p.done:
		return true
	default:
		return false
	}
}

func (p *proc) kill() {
	if !p.exited() {
		_ = p.cmd.Process.Signal(syscall.SIGKILL) // it may have exited already
		<-p.done
	}
}

func (p *proc) logText() string {
	b, _ := os.ReadFile(p.log)
	return string(b)
}

// waitHTTP polls path until it answers 200, failing with the process log
// when the deadline passes or the process exits.
func (p *proc) waitHTTP(path string, d time.Duration) {
	p.t.Helper()
	deadline := time.Now().Add(d)
	for time.Now().Before(deadline) && !p.exited() {
		if resp, err := http.Get(p.url(path)); err == nil {
			resp.Body.Close()
			if resp.StatusCode == 200 {
				return
			}
		}
		time.Sleep(100 * time.Millisecond)
	}
	p.t.Fatalf("%s not answering %s within %v (exited: %v); log:\n%s", p.name, path, d, p.exited(), lastChars(p.logText(), 4000))
}

func lastChars(s string, n int) string {
	if len(s) > n {
		return "..." + s[len(s)-n:]
	}
	return s
}

// startExporterOn starts heady-exporter on addr (chosen before the config
// naming it was written).
func startExporterOn(t *testing.T, config, addr string, extra ...string) *proc {
	t.Helper()
	args := append([]string{"--config.file=" + config, "--web.listen-address=" + addr}, extra...)
	p := startProc(t, exporterBin, addr, args...)
	p.waitHTTP("/-/ready", 90*time.Second)
	return p
}

// startPrometheus starts the real prometheus on a free port with data in dataDir.
func startPrometheus(t *testing.T, config, addr, dataDir string, extra ...string) *proc {
	t.Helper()
	args := append([]string{
		"--config.file=" + config,
		"--storage.tsdb.path=" + dataDir,
		// Blocks are kept relative to the newest one; backfilled weeks stay.
		"--storage.tsdb.retention.time=10y",
		"--web.listen-address=" + addr,
	}, extra...)
	p := startProc(t, "prometheus", addr, args...)
	p.waitHTTP("/-/ready", 60*time.Second)
	return p
}

// startAlertmanager starts Debian's Alertmanager without clustering.
func startAlertmanager(t *testing.T, config, addr string) *proc {
	t.Helper()
	return startAlertmanagerBin(t, "prometheus-alertmanager", config, addr)
}

// startAlertmanagerBin starts the Alertmanager binary bin without
// clustering.
func startAlertmanagerBin(t *testing.T, bin, config, addr string) *proc {
	t.Helper()
	p := startProc(t, bin, addr,
		"--config.file="+config,
		"--storage.path="+t.TempDir(),
		"--web.listen-address="+addr,
		"--cluster.listen-address=",
	)
	p.waitHTTP("/-/ready", 60*time.Second)
	return p
}

// testBotToken is the Slack bot token of the test copies of the bot-token
// config; the fake Slack API refuses any other.
const testBotToken = "xoxb-e2e-test-token"

// writeAlertmanagerConfig writes into dir a test copy of one of the
// generated Alertmanager configs (which: provisioning.AlertmanagerPath or
// AlertmanagerAppPath), generated with the generic webhook posting to
// recv's /webhook, and the templates next to it. Only what a deployment
// changes differs: each Slack webhook URL file is a file in dir holding
// recv's /slack/<receiver>, the bot token file holds testBotToken and the
// Slack API is recv's, and the grouping delays are shortened, with the
// other pairs (old, new) of extra. It returns the config's path.
func writeAlertmanagerConfig(t *testing.T, dir, which string, recv *receiver, extra ...string) string {
	t.Helper()
	files, err := provisioning.Files(provisioning.Options{Job: "heady", WebhookURL: recv.url + "/webhook"})
	if err != nil {
		t.Fatal(err)
	}
	src := ""
	for _, f := range files {
		switch f.Path {
		case which:
			src = string(f.Data)
		case provisioning.TemplatePath:
			writeText(t, filepath.Join(dir, "templates", filepath.Base(f.Path)), string(f.Data))
		}
	}
	if src == "" {
		t.Fatalf("the generator makes no %s", which)
	}
	counts := map[string]int{}
	var pairs []string
	for _, d := range provisioning.Slack {
		if which == provisioning.AlertmanagerAppPath {
			counts[d.URLFile()] = 0
			continue
		}
		file := filepath.Join(dir, d.Secret)
		writeText(t, file, recv.url+"/slack/"+d.Receiver+"\n")
		pairs = append(pairs, d.URLFile(), file)
	}
	if which == provisioning.AlertmanagerAppPath {
		token := filepath.Join(dir, provisioning.SlackBotTokenSecret)
		writeText(t, token, testBotToken+"\n")
		counts[provisioning.SlackBotTokenFile] = len(provisioning.Slack)
		pairs = append(pairs, provisioning.SlackBotTokenFile, token,
			"global:\n", "global:\n  slack_app_url: "+recv.url+slackAPIPath+"\n")
	}
	pairs = append(pairs, "group_wait: 30s", "group_wait: 1s", "group_interval: 5m", "group_interval: 1s")
	config := filepath.Join(dir, "alertmanager.yml")
	writeText(t, config, rewrite(t, src, counts, append(pairs, extra...)...))
	return config
}

// promSample is one element of an instant vector (or a scalar, with no
// labels), or one series of a matrix.
type promSample struct {
	Metric map[string]string
	Value  float64
	Points [][2]float64 // matrix only: (unix seconds, value)
}

func (s promSample) String() string {
	keys := make([]string, 0, len(s.Metric))
	for k := range s.Metric {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	var b strings.Builder
	b.WriteString("{")
	for i, k := range keys {
		if i > 0 {
			b.WriteString(",")
		}
		fmt.Fprintf(&b, "%s=%q", k, s.Metric[k])
	}
	b.WriteString("}")
	return b.String()
}

// promAPI queries one Prometheus over its HTTP API.
type promAPI struct{ base string }

func parseSampleValue(v [2]any) (float64, float64, error) {
	ts, _ := v[0].(float64)
	s, _ := v[1].(string)
	f, err := strconv.ParseFloat(s, 64)
	return ts, f, err
}

// fetch GETs path with params from the API and returns the body and the
// response status.
func (a promAPI) fetch(ctx context.Context, path string, params url.Values) ([]byte, string, error) {
	req, err := http.NewRequestWithContext(ctx, "GET", a.base+path+"?"+params.Encode(), nil)
	if err != nil {
		return nil, "", err
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		return nil, "", err
	}
	defer resp.Body.Close()
	body, err := io.ReadAll(resp.Body)
	return body, resp.Status, err
}

func (a promAPI) get(ctx context.Context, path string, params url.Values) ([]promSample, error) {
	body, status, err := a.fetch(ctx, path, params)
	if err != nil {
		return nil, err
	}
	var doc struct {
		Status string `json:"status"`
		Error  string `json:"error"`
		Data   struct {
			ResultType string          `json:"resultType"`
			Result     json.RawMessage `json:"result"`
		} `json:"data"`
	}
	if err := json.Unmarshal(body, &doc); err != nil {
		return nil, fmt.Errorf("%s: %s: %v: %s", path, status, err, body)
	}
	if doc.Status != "success" {
		return nil, fmt.Errorf("%s %s: %s", path, params.Get("query"), doc.Error)
	}
	var out []promSample
	switch doc.Data.ResultType {
	case "scalar":
		var v [2]any
		if err := json.Unmarshal(doc.Data.Result, &v); err != nil {
			return nil, err
		}
		_, f, err := parseSampleValue(v)
		return []promSample{{Value: f}}, err
	case "vector":
		var rows []struct {
			Metric map[string]string `json:"metric"`
			Value  [2]any            `json:"value"`
		}
		if err := json.Unmarshal(doc.Data.Result, &rows); err != nil {
			return nil, err
		}
		for _, r := range rows {
			_, f, err := parseSampleValue(r.Value)
			if err != nil {
				return nil, err
			}
			out = append(out, promSample{Metric: r.Metric, Value: f})
		}
	case "matrix":
		var rows []struct {
			Metric map[string]string `json:"metric"`
			Values [][2]any          `json:"values"`
		}
		if err := json.Unmarshal(doc.Data.Result, &rows); err != nil {
			return nil, err
		}
		for _, r := range rows {
			s := promSample{Metric: r.Metric}
			for _, v := range r.Values {
				ts, f, err := parseSampleValue(v)
				if err != nil {
					return nil, err
				}
				s.Points = append(s.Points, [2]float64{ts, f})
			}
			out = append(out, s)
		}
	default:
		return nil, fmt.Errorf("%s: unexpected result type %q", params.Get("query"), doc.Data.ResultType)
	}
	return out, nil
}

// query evaluates expr at the wall clock.
func (a promAPI) query(ctx context.Context, expr string) ([]promSample, error) {
	return a.get(ctx, "/api/v1/query", url.Values{"query": {expr}})
}

// queryRange evaluates expr at every step from start to end.
func (a promAPI) queryRange(ctx context.Context, expr string, start, end time.Time, step time.Duration) ([]promSample, error) {
	return a.get(ctx, "/api/v1/query_range", url.Values{
		"query": {expr},
		"start": {strconv.FormatInt(start.Unix(), 10)},
		"end":   {strconv.FormatInt(end.Unix(), 10)},
		"step":  {strconv.FormatFloat(step.Seconds(), 'f', -1, 64)},
	})
}

// rule is a rule of the generated rule file.
type rule = alerts.Rule

func readRules(t *testing.T, path string) []rule {
	t.Helper()
	var f alerts.RuleFile
	if err := yaml.Unmarshal([]byte(readText(t, path)), &f); err != nil {
		t.Fatalf("%s: %v", path, err)
	}
	var out []rule
	for _, g := range f.Groups {
		out = append(out, g.Rules...)
	}
	if len(out) == 0 {
		t.Fatalf("%s: no rules", path)
	}
	return out
}

// kpiDoc is one KPI of `heady-exporter kpis`.
type kpiDoc struct {
	Value    *float64 `json:"value"`
	Previous *float64 `json:"previous"`
	Trend    *float64 `json:"trend"`
	Unit     string   `json:"unit"`
	Met      *bool    `json:"met"`
	Status   string   `json:"status"`
}

// kpisAt runs `heady-exporter kpis --now=now` on config.
func kpisAt(t *testing.T, config string, now time.Time) map[string]kpiDoc {
	t.Helper()
	out := runBin(t, exporterBin, "kpis", "--config.file="+config, "--now="+now.Format(time.RFC3339))
	var doc map[string]kpiDoc
	if err := json.Unmarshal(out, &doc); err != nil {
		t.Fatalf("kpis output: %v\n%s", err, out)
	}
	return doc
}

// bucketRatio is the ratio of consecutive bounds of the exporter's
// windowed counts by upper bound: a bucket-interpolated quantile is within
// one bucket of the exact one.
var bucketRatio = math.Pow(2, 0.25)

// tolerance says how closely a Prometheus value must equal the exporter's.
type tolerance int

const (
	// exact: counts and ratios of counts (the same float64 operations).
	exact tolerance = iota
	// relative1e9: floating sums of dollars (summation order differs).
	relative1e9
	// relative1e12: avg over label values; Prometheus 2.42 averages
	// incrementally (mean += v/n - mean/n), the exporter as sum/n, which
	// differ in the last bits.
	relative1e12
	// oneBucket: a quantile interpolated from counts by upper bound (the
	// distributions shards split), against the exact one.
	oneBucket
)

// toleranceOf is the tolerance of one KPI's value, previous value or trend
// (trend true).
func toleranceOf(id, unit string, _ bool) tolerance {
	k, _ := kpi.Lookup(id)
	// Quantile KPIs are exact where the rules read the exporter's
	// quantile gauges, within a bucket where they interpolate counts by
	// upper bound (at_most).
	switch {
	case k.Quantile && k.F != nil && kpi.IsAtMostSeries(k.F.Num.Series):
		return oneBucket
	case k.F != nil && k.F.Kind == kpi.FAgg && k.F.Agg == "avg":
		return relative1e12
	case unit == string(kpi.UnitUSD):
		return relative1e9
	}
	return exact
}

// agrees compares a Prometheus value with the exporter's.
func agrees(prom, want float64, tol tolerance) bool {
	rel := func(eps float64) bool {
		return prom == want || math.Abs(prom-want) <= eps*math.Max(math.Abs(prom), math.Abs(want))
	}
	switch tol {
	case relative1e9:
		return rel(1e-9)
	case relative1e12:
		return rel(1e-12)
	case oneBucket:
		if want == 0 || prom == 0 {
			return prom == want
		}
		r := prom / want
		return r <= bucketRatio*(1+1e-12) && r >= 1/bucketRatio*(1-1e-12)
	}
	return prom == want
}

// notification is one HTTP POST the fake Slack or webhook received.
type notification struct {
	path string
	auth string // Authorization header
	body []byte
}

// slackAPIPath is the fake Slack API's chat.postMessage, where the
// bot-token config posts.
const slackAPIPath = "/api/chat.postMessage"

// receiver stands in for Slack: incoming webhooks (/slack/<receiver>, one
// per channel, answering "ok" as Slack does) and the Web API's
// chat.postMessage (answering Slack's JSON, refusing a wrong bot token),
// and for the generic webhook (/webhook).
type receiver struct {
	url  string
	mu   sync.Mutex
	seen []notification
}

func startReceiver(t *testing.T) *receiver {
	t.Helper()
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	r := &receiver{url: "http://" + l.Addr().String()}
	srv := &http.Server{Handler: http.HandlerFunc(func(w http.ResponseWriter, req *http.Request) {
		body, _ := io.ReadAll(req.Body)
		auth := req.Header.Get("Authorization")
		r.mu.Lock()
		r.seen = append(r.seen, notification{path: req.URL.Path, auth: auth, body: body})
		r.mu.Unlock()
		switch {
		case strings.HasPrefix(req.URL.Path, "/slack/"):
			io.WriteString(w, "ok") // what an incoming webhook answers
		case req.URL.Path == slackAPIPath:
			w.Header().Set("Content-Type", "application/json; charset=utf-8")
			if auth != "Bearer "+testBotToken {
				io.WriteString(w, `{"ok":false,"error":"invalid_auth"}`)
				return
			}
			io.WriteString(w, `{"ok":true,"channel":"C0E2E","ts":"1700000000.000100"}`)
		}
	})}
	go func() { _ = srv.Serve(l) }() // returns when the test's cleanup closes it
	t.Cleanup(func() { srv.Close() })
	return r
}

func (r *receiver) all() []notification {
	r.mu.Lock()
	defer r.mu.Unlock()
	return append([]notification(nil), r.seen...)
}

// slackMessage is the part of Alertmanager's Slack payload the tests read.
type slackMessage struct {
	// Dest is where it was posted: the receiver of the incoming-webhook
	// URL, or the channel given to chat.postMessage.
	Dest        string `json:"-"`
	Auth        string `json:"-"`
	Channel     string `json:"channel"`
	Username    string `json:"username"`
	Attachments []struct {
		Title     string `json:"title"`
		TitleLink string `json:"title_link"`
		Text      string `json:"text"`
		Color     string `json:"color"`
		Fallback  string `json:"fallback"`
	} `json:"attachments"`
}

// webhookMessage is Alertmanager's webhook payload (version 4).
type webhookMessage struct {
	Version string `json:"version"`
	Status  string `json:"status"`
	Alerts  []struct {
		Status      string            `json:"status"`
		Labels      map[string]string `json:"labels"`
		Annotations map[string]string `json:"annotations"`
	} `json:"alerts"`
}

// slackMessages returns the Slack messages received so far.
func (r *receiver) slackMessages(t *testing.T) []slackMessage {
	t.Helper()
	var out []slackMessage
	for _, n := range r.all() {
		dest, hook := strings.CutPrefix(n.path, "/slack/")
		if !hook && n.path != slackAPIPath {
			continue
		}
		var m slackMessage
		if err := json.Unmarshal(n.body, &m); err != nil {
			t.Fatalf("Slack payload is not JSON: %v: %s", err, n.body)
		}
		if !hook {
			dest = m.Channel
		}
		m.Dest, m.Auth = dest, n.auth
		out = append(out, m)
	}
	return out
}

// webhookMessages returns the webhook payloads received so far.
func (r *receiver) webhookMessages(t *testing.T) []webhookMessage {
	t.Helper()
	var out []webhookMessage
	for _, n := range r.all() {
		if n.path != "/webhook" {
			continue
		}
		var m webhookMessage
		if err := json.Unmarshal(n.body, &m); err != nil {
			t.Fatalf("webhook payload is not JSON: %v: %s", err, n.body)
		}
		out = append(out, m)
	}
	return out
}

// summary lists what the receiver got, for failure messages.
func (r *receiver) summary() string {
	var b strings.Builder
	for _, n := range r.all() {
		fmt.Fprintf(&b, "%s: %s\n", n.path, lastChars(string(n.body), 600))
	}
	if b.Len() == 0 {
		return "(nothing received)"
	}
	return b.String()
}

// promAlert is one active alert of Prometheus's /api/v1/alerts.
type promAlert struct {
	Labels      map[string]string `json:"labels"`
	Annotations map[string]string `json:"annotations"`
	State       string            `json:"state"`
}

// alerts lists the active (pending or firing) alerts with their rendered
// annotations.
func (a promAPI) alerts(ctx context.Context) ([]promAlert, error) {
	body, status, err := a.fetch(ctx, "/api/v1/alerts", nil)
	if err != nil {
		return nil, err
	}
	var doc struct {
		Status string `json:"status"`
		Data   struct {
			Alerts []promAlert `json:"alerts"`
		} `json:"data"`
	}
	if err := json.Unmarshal(body, &doc); err != nil || doc.Status != "success" {
		return nil, fmt.Errorf("/api/v1/alerts: %s: %v", status, err)
	}
	return doc.Data.Alerts, nil
}
