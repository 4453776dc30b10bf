package main

import (
	"encoding/json"
	"fmt"
	"math"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

// TestKPIsFromPolledAndActiveSources runs `kpis` against a real Heady
// registry file, a local cost API (two pages, records sharing ids with the
// audit log), local probe targets, and a small audit log, and checks the
// KPIs those sources drive against values worked out by hand.
func TestKPIsFromPolledAndActiveSources(t *testing.T) {
	dir := t.TempDir()
	now := time.Date(2026, 11, 20, 12, 0, 0, 0, time.UTC)
	ts := func(d time.Duration) string { return now.Add(-d).Format(time.RFC3339) }

	// Audit: 4 verified successful outcomes and 1 failure in 7d; 4
	// inference events in 7d (routed cheaper, default, fallback, none),
	// costs 0.10 + 0.20 + 0.30 + 0.40; one more 10 days ago.
	audit := []string{
		fmt.Sprintf(`{"ts":%q,"type":"outcome","user":"u1","workflow":"w","status":"success","receipt":"r1"}`, ts(time.Hour)),
		fmt.Sprintf(`{"ts":%q,"type":"outcome","user":"u1","workflow":"w","status":"success","receipt":"r2"}`, ts(2*time.Hour)),
		fmt.Sprintf(`{"ts":%q,"type":"outcome","user":"u2","workflow":"w","status":"success","receipt":"r3"}`, ts(3*time.Hour)),
		fmt.Sprintf(`{"ts":%q,"type":"outcome","user":"u3","workflow":"w","status":"success","receipt":"r4"}`, ts(4*time.Hour)),
		fmt.Sprintf(`{"ts":%q,"type":"outcome","user":"u3","workflow":"w","status":"failure","receipt":"r5"}`, ts(5*time.Hour)),
		fmt.Sprintf(`{"ts":%q,"type":"inference","id":"inf-1","user":"u1","provider":"anthropic","model":"haiku","cost_usd":0.10,"routed":"cheaper"}`, ts(time.Hour)),
		fmt.Sprintf(`{"ts":%q,"type":"inference","id":"inf-2","user":"u2","provider":"anthropic","model":"sonnet","cost_usd":0.20,"routed":"default"}`, ts(time.Hour)),
		fmt.Sprintf(`{"ts":%q,"type":"inference","id":"inf-3","user":"u2","provider":"openai","model":"gpt","cost_usd":0.30,"routed":"fallback"}`, ts(time.Hour)),
		fmt.Sprintf(`{"ts":%q,"type":"inference","id":"inf-4","user":"u3","provider":"openai","model":"gpt","cost_usd":0.40}`, ts(time.Hour)),
		fmt.Sprintf(`{"ts":%q,"type":"inference","id":"inf-old","user":"u3","provider":"openai","model":"gpt","cost_usd":9,"routed":"cheaper"}`, ts(10*24*time.Hour)),
	}
	if err := os.WriteFile(filepath.Join(dir, "audit.jsonl"), []byte(strings.Join(audit, "\n")+"\n"), 0o644); err != nil {
		t.Fatal(err)
	}

	// Cost API: page 1 repeats inf-1 and inf-2 (counted once), page 2 adds
	// c-5 (cheaper, 0.50) and c-6 (cheaper, 0.50). Budgets: 93/100 and 10/50.
	// Infra: 30 days of 3.00 ending today, plus one older day.
	var infra []string
	for d := 0; d < 31; d++ {
		infra = append(infra, fmt.Sprintf(`{"date":%q,"cost_usd":3}`, now.AddDate(0, 0, -d).Format("2006-01-02")))
	}
	pages := map[string]string{
		"": fmt.Sprintf(`{"records":[
			{"id":"inf-1","ts":%q,"kind":"inference","provider":"anthropic","model":"haiku","cost_usd":0.10,"routed":"cheaper"},
			{"id":"inf-2","ts":%q,"kind":"inference","provider":"anthropic","model":"sonnet","cost_usd":0.20,"routed":"default"}],
			"next_cursor":"p2","budgets":[{"name":"inference-monthly","cap_usd":100,"spent_usd":93},{"name":"infra","cap_usd":50,"spent_usd":10}],
			"infra":[%s]}`, ts(time.Hour), ts(time.Hour), strings.Join(infra, ",")),
		"p2": fmt.Sprintf(`{"records":[
			{"id":"c-5","ts":%q,"kind":"inference","provider":"openai","model":"gpt","cost_usd":0.50,"routed":"cheaper"},
			{"id":"c-6","ts":%q,"kind":"inference","provider":"openai","model":"gpt","cost_usd":0.50,"routed":"cheaper"}],
			"next_cursor":""}`, ts(2*time.Hour), ts(3*time.Hour)),
	}
	costAPI := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Path != "/costs" {
			http.NotFound(w, r)
			return
		}
		body, ok := pages[r.URL.Query().Get("since")]
		if !ok {
			http.Error(w, "bad cursor", 400)
			return
		}
		w.Header().Set("Content-Type", "application/json")
		fmt.Fprint(w, body)
	}))
	defer costAPI.Close()

	okSrv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) { fmt.Fprint(w, "ok") }))
	defer okSrv.Close()
	failSrv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) { http.Error(w, "down", 500) }))
	defer failSrv.Close()

	reg, err := os.ReadFile("../../exporter/source/registry/testdata/registries/HeadyMe__Heady-8f71ffc8.json")
	if err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(dir, "registry.json"), reg, 0o644); err != nil {
		t.Fatal(err)
	}

	cfg := fmt.Sprintf(`sources:
  audit:
    - paths: [audit.jsonl]
  registry:
    path: registry.json
  cost:
    url: %s
  probe:
    targets: [%s/a, %s/b, %s/c]
    timeout: 2s
`, costAPI.URL, okSrv.URL, failSrv.URL, okSrv.URL)
	cfgPath := filepath.Join(dir, "config.yml")
	if err := os.WriteFile(cfgPath, []byte(cfg), 0o644); err != nil {
		t.Fatal(err)
	}

	code, out, stderr := runCmd(t, "kpis", "--config.file="+cfgPath, "--now="+now.Format(time.RFC3339))
	if code != 0 {
		t.Fatalf("kpis: exit %d: %s", code, stderr)
	}
	var doc map[string]struct {
		Value *float64 `json:"value"`
		Met   *bool    `json:"met"`
	}
	if err := json.Unmarshal([]byte(out), &doc); err != nil {
		t.Fatal(err)
	}
	// Users active in 30d: u1, u2, u3.
	want := map[string]float64{
		"registry_score":      54,
		"services_healthy":    1,            // 19 of 19
		"budget_utilization":  0.93,         // max(93/100, 10/50)
		"infra_cost_per_user": 30.0 * 3 / 3, // 30 dates ending today / 3 users
		"routing_efficiency":  3.0 / 5,      // cheaper: inf-1, c-5, c-6; routed: + inf-2, inf-3
		"cost_per_outcome":    (0.1 + 0.2 + 0.3 + 0.4 + 0.5 + 0.5) / 4,
		"domains_up":          2.0 / 3,
	}
	for id, w := range want {
		k, ok := doc[id]
		if !ok || k.Value == nil {
			t.Errorf("%s: no value", id)
			continue
		}
		if math.Abs(*k.Value-w) > 1e-9 {
			t.Errorf("%s = %v, want %v", id, *k.Value, w)
		}
	}
	if m := doc["domains_up"].Met; m == nil || *m {
		t.Error("domains_up: 2 of 3 up must miss its target")
	}
}
