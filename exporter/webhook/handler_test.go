package webhook

import (
	"bytes"
	"encoding/json"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/heady/heady-metrics/exporter/config"
	"github.com/heady/heady-metrics/exporter/event"
)

var (
	secret = []byte("s3cr3t-for-tests")
	t0     = time.Date(2026, 11, 20, 12, 0, 0, 0, time.UTC)
)

const deploy = `{"ts":"2026-11-20T11:59:00Z","type":"deploy","service":"api","env":"prod","result":"success"}`

func newHandler(t *testing.T, mod func(*Settings)) (*Handler, string) {
	t.Helper()
	dir := filepath.Join(t.TempDir(), "webhook")
	s := NewSettings(secret, dir)
	if mod != nil {
		mod(s)
	}
	h := New(func() time.Time { return t0 }, slog.New(slog.DiscardHandler))
	if err := h.Apply(s); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { h.Close() })
	return h, dir
}

type req struct {
	method string
	body   string
	ts     string // "" for none; "now" for t0
	sig    string // "" signs correctly; "-" sends none; anything else is sent as is
	key    []byte // signing key when not secret
}

func (r req) do(h http.Handler) *httptest.ResponseRecorder {
	if r.method == "" {
		r.method = http.MethodPost
	}
	hr := httptest.NewRequest(r.method, Path, strings.NewReader(r.body))
	ts := r.ts
	if ts == "now" {
		ts = strconv.FormatInt(t0.Unix(), 10)
	}
	if ts != "" {
		hr.Header.Set(TimestampHeader, ts)
	}
	key := secret
	if r.key != nil {
		key = r.key
	}
	switch r.sig {
	case "":
		hr.Header.Set(SignatureHeader, Sign(key, ts, []byte(r.body)))
	case "-":
	default:
		hr.Header.Set(SignatureHeader, r.sig)
	}
	w := httptest.NewRecorder()
	h.ServeHTTP(w, hr)
	return w
}

// spooled returns the event lines of the active spool file (the nonce line
// aside).
func spooled(t *testing.T, dir string) []string {
	t.Helper()
	b, err := os.ReadFile(filepath.Join(dir, SpoolFile))
	if err != nil {
		t.Fatal(err)
	}
	var out []string
	for _, l := range strings.Split(string(b), "\n") {
		if strings.Trim(l, " \t") != "" {
			out = append(out, l)
		}
	}
	return out
}

func counter(t *testing.T, h *Handler, r Result) float64 {
	t.Helper()
	reg := prometheus.NewPedanticRegistry()
	reg.MustRegister(h)
	mfs, err := reg.Gather()
	if err != nil {
		t.Fatal(err)
	}
	for _, mf := range mfs {
		for _, m := range mf.GetMetric() {
			if m.GetLabel()[0].GetValue() == string(r) {
				return m.GetCounter().GetValue()
			}
		}
	}
	t.Fatalf("no series for result %s", r)
	return 0
}

func TestRejections(t *testing.T) {
	stale := strconv.FormatInt(t0.Add(-5*time.Minute-time.Second).Unix(), 10)
	future := strconv.FormatInt(t0.Add(5*time.Minute+time.Second).Unix(), 10)
	edge := strconv.FormatInt(t0.Add(-5*time.Minute).Unix(), 10)
	cases := []struct {
		name   string
		r      req
		status int
		result Result
	}{
		{"GET", req{method: http.MethodGet, ts: "now"}, 405, MethodNotAllowed},
		{"PUT", req{method: http.MethodPut, body: deploy, ts: "now"}, 405, MethodNotAllowed},
		{"too large", req{body: `{"pad":"` + strings.Repeat("x", 2048) + `"}`, ts: "now"}, 413, TooLarge},
		{"no timestamp", req{body: deploy}, 401, BadSignature},
		{"timestamp not digits", req{body: deploy, ts: "-1700000000"}, 401, BadSignature},
		{"timestamp RFC 3339", req{body: deploy, ts: "2026-11-20T12:00:00Z"}, 401, BadSignature},
		{"no signature", req{body: deploy, ts: "now", sig: "-"}, 401, BadSignature},
		{"signature without prefix", req{body: deploy, ts: "now", sig: strings.TrimPrefix(Sign(secret, strconv.FormatInt(t0.Unix(), 10), []byte(deploy)), "sha256=")}, 401, BadSignature},
		{"signature not hex", req{body: deploy, ts: "now", sig: "sha256=" + strings.Repeat("z", 64)}, 401, BadSignature},
		{"signature short", req{body: deploy, ts: "now", sig: "sha256=abcd"}, 401, BadSignature},
		{"wrong key", req{body: deploy, ts: "now", key: []byte("guess")}, 401, BadSignature},
		{"stale", req{body: deploy, ts: stale}, 401, StaleTimestamp},
		{"future", req{body: deploy, ts: future}, 401, StaleTimestamp},
		{"empty body", req{body: "", ts: "now"}, 400, BadBody},
		{"not JSON", req{body: "deploy api prod", ts: "now"}, 400, BadBody},
		{"truncated object", req{body: deploy[:40], ts: "now"}, 400, BadBody},
		{"two objects", req{body: deploy + deploy, ts: "now"}, 400, BadBody},
		{"empty array", req{body: "[]", ts: "now"}, 400, BadBody},
		{"a string", req{body: `"deploy"`, ts: "now"}, 400, BadBody},
		{"missing ts", req{body: `{"type":"deploy","env":"prod"}`, ts: "now"}, 422, BadEvent},
		{"one bad of two", req{body: "[" + deploy + `,{"ts":"yesterday","type":"deploy"}]`, ts: edge}, 422, BadEvent},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			h, dir := newHandler(t, func(s *Settings) { s.MaxBodyBytes = 1024 })
			w := c.r.do(h)
			if w.Code != c.status {
				t.Fatalf("status %d, want %d: %s", w.Code, c.status, w.Body)
			}
			var resp response
			if err := json.Unmarshal(w.Body.Bytes(), &resp); err != nil {
				t.Fatalf("response not JSON: %v: %s", err, w.Body)
			}
			if resp.Result != c.result || resp.Accepted != 0 {
				t.Errorf("response %+v, want result %s and nothing accepted", resp, c.result)
			}
			for _, r := range Results() {
				want := 0.0
				if r == c.result {
					want = 1
				}
				if got := counter(t, h, r); got != want {
					t.Errorf("heady_exporter_webhook_requests_total{result=%q} = %v, want %v", r, got, want)
				}
			}
			if got := spooled(t, dir); len(got) != 0 {
				t.Errorf("rejected request spooled %q", got)
			}
			if c.status == 405 && w.Header().Get("Allow") != "POST" {
				t.Errorf("405 without Allow: POST")
			}
		})
	}
}

func TestBadEventsAreReportedWithTheDecodersReasons(t *testing.T) {
	h, dir := newHandler(t, nil)
	body := `[` + deploy + `,
	  {"type":"merge","repo":"r"},
	  {"ts":"soon","type":"merge"},
	  {"ts":1763640000,"type":"lunch"},
	  42,
	  {"ts":1763640000,"type":"coverage","repo":"r","ratio":true}]`
	w := req{body: body, ts: "now"}.do(h)
	if w.Code != http.StatusUnprocessableEntity {
		t.Fatalf("status %d: %s", w.Code, w.Body)
	}
	var resp response
	if err := json.Unmarshal(w.Body.Bytes(), &resp); err != nil {
		t.Fatal(err)
	}
	want := []BadEventReport{{1, event.ReasonMissingTS}, {2, event.ReasonBadTS}, {3, event.ReasonUnknownType}, {4, event.ReasonNotObject}, {5, event.ReasonBadField}}
	if len(resp.Events) != len(want) {
		t.Fatalf("reported %+v, want %+v", resp.Events, want)
	}
	for i := range want {
		if resp.Events[i] != want[i] {
			t.Errorf("event report %d: %+v, want %+v", i, resp.Events[i], want[i])
		}
	}
	if got := spooled(t, dir); len(got) != 0 {
		t.Errorf("the good event of a rejected request was spooled: %q", got)
	}
}

func TestAcceptedEventsAreSpooledAsCanonicalLines(t *testing.T) {
	h, dir := newHandler(t, nil)
	// An object, then a pretty-printed array: every event becomes one
	// compact line the canonical decoder reads back as sent.
	if w := (req{body: deploy, ts: "now"}).do(h); w.Code != http.StatusAccepted {
		t.Fatalf("status %d: %s", w.Code, w.Body)
	}
	arr := "[\n  {\"ts\": 1763639000, \"type\": \"merge\", \"repo\": \"core\",\n   \"change\": \"c-1\", \"note\": \"line\\nbreak\"},\n  {\"ts\": \"2026-11-20T11:00:00+01:00\", \"type\": \"coverage\", \"repo\": \"core\", \"ratio\": 0.81}\n]\n"
	w := req{body: arr, ts: strconv.FormatInt(t0.Add(4*time.Minute).Unix(), 10)}.do(h)
	if w.Code != http.StatusAccepted {
		t.Fatalf("status %d: %s", w.Code, w.Body)
	}
	var resp response
	if err := json.Unmarshal(w.Body.Bytes(), &resp); err != nil {
		t.Fatal(err)
	}
	if resp.Accepted != 2 || resp.Result != Accepted {
		t.Errorf("response %+v", resp)
	}
	lines := spooled(t, dir)
	if len(lines) != 3 {
		t.Fatalf("spool holds %d lines: %q", len(lines), lines)
	}
	var d event.Decoder
	var ev event.Event
	wantTypes := []event.Type{event.TypeDeploy, event.TypeMerge, event.TypeCoverage}
	for i, l := range lines {
		if r := d.Decode([]byte(l), &ev); r != "" {
			t.Fatalf("spooled line %q does not decode: %s", l, r)
		}
		if ev.Type != wantTypes[i] {
			t.Errorf("line %d: type %v, want %v", i, ev.Type, wantTypes[i])
		}
	}
	if !strings.Contains(lines[1], `"note":"line\nbreak"`) {
		t.Errorf("escaped newline not kept as an escape: %s", lines[1])
	}
	if got := counter(t, h, Accepted); got != 2 {
		t.Errorf("accepted = %v, want 2", got)
	}
}

func TestDisabledHandlerIsNotFound(t *testing.T) {
	h := New(time.Now, slog.New(slog.DiscardHandler))
	if w := (req{body: deploy, ts: "now"}).do(h); w.Code != http.StatusNotFound {
		t.Errorf("disabled: status %d", w.Code)
	}
	h2, _ := newHandler(t, nil)
	if err := h2.Apply(nil); err != nil {
		t.Fatal(err)
	}
	if w := (req{body: deploy, ts: "now"}).do(h2); w.Code != http.StatusNotFound {
		t.Errorf("disabled by Apply(nil): status %d", w.Code)
	}
}

func TestApplyNewSecretTakesEffect(t *testing.T) {
	h, dir := newHandler(t, nil)
	s := NewSettings([]byte("rotated"), dir)
	if err := h.Apply(s); err != nil {
		t.Fatal(err)
	}
	if w := (req{body: deploy, ts: "now"}).do(h); w.Code != http.StatusUnauthorized {
		t.Errorf("old secret after rotation: status %d", w.Code)
	}
	if w := (req{body: deploy, ts: "now", key: []byte("rotated")}).do(h); w.Code != http.StatusAccepted {
		t.Errorf("new secret: status %d: %s", w.Code, w.Body)
	}
}

func TestSpoolFailureIs500AndNotAcknowledged(t *testing.T) {
	h, _ := newHandler(t, nil)
	if err := h.state.Load().spool.Close(); err != nil { // every Append now fails
		t.Fatal(err)
	}
	w := req{body: deploy, ts: "now"}.do(h)
	if w.Code != http.StatusInternalServerError || counter(t, h, SpoolError) != 1 || counter(t, h, Accepted) != 0 {
		t.Errorf("status %d, spool_error %v, accepted %v", w.Code, counter(t, h, SpoolError), counter(t, h, Accepted))
	}
}

func TestLoadSettings(t *testing.T) {
	dir := t.TempDir()
	if err := os.WriteFile(filepath.Join(dir, "secret"), []byte("  hunter2-very-secret\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	c, err := config.Parse([]byte("state_dir: state\nweb:\n  webhook_secret_file: secret\n  webhook_replay_window: 2m\n"), filepath.Join(dir, "c.yml"))
	if err != nil {
		t.Fatal(err)
	}
	s, err := LoadSettings(c)
	if err != nil {
		t.Fatal(err)
	}
	if string(s.secret) != "hunter2-very-secret" || s.ReplayWindow != 2*time.Minute || s.SpoolDir != filepath.Join(dir, "state", "webhook") {
		t.Errorf("settings %v, secret %q", s, s.secret)
	}
	if strings.Contains(s.String(), "hunter2") {
		t.Errorf("settings show the secret: %s", s)
	}
	if b, _ := json.Marshal(s); bytes.Contains(b, []byte("hunter2")) {
		t.Errorf("settings marshal the secret: %s", b)
	}
	in := Input(c)
	if in.Name != "ci-webhook" || in.Paths[0] != filepath.Join(dir, "state", "webhook", "ci-webhook.jsonl*") {
		t.Errorf("input %+v", in)
	}

	if err := os.WriteFile(filepath.Join(dir, "secret"), []byte(" \n"), 0o600); err != nil {
		t.Fatal(err)
	}
	if _, err := LoadSettings(c); err == nil || !strings.Contains(err.Error(), "empty") {
		t.Errorf("empty secret file: %v", err)
	}
	os.Remove(filepath.Join(dir, "secret"))
	if _, err := LoadSettings(c); err == nil {
		t.Error("missing secret file accepted")
	}
	off, _ := config.Parse([]byte("sources:\n  ci:\n    - paths: [ci.jsonl]\n"), filepath.Join(dir, "c.yml"))
	if s, err := LoadSettings(off); s != nil || err != nil || Input(off) != nil {
		t.Errorf("webhook not configured: %v %v %v", s, err, Input(off))
	}
}
