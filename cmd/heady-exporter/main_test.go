package main

import (
	"bytes"
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/heady/heady-metrics/kpi"
)

func runCmd(t *testing.T, args ...string) (int, string, string) {
	t.Helper()
	var out, errb bytes.Buffer
	code := run(args, &out, &errb)
	return code, out.String(), errb.String()
}

func TestConfigCheck(t *testing.T) {
	dir := t.TempDir()
	good := filepath.Join(dir, "good.yml")
	if err := os.WriteFile(good, []byte("sources:\n  audit:\n    - paths: [a.jsonl]\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	if code, out, _ := runCmd(t, "--config.file="+good, "--config.check"); code != 0 || !strings.Contains(out, "valid") {
		t.Errorf("valid config: exit %d, out %q", code, out)
	}
	cases := map[string]string{
		"unknown.yml":  "sources:\n  audit:\n    - paths: [a]\n      colour: blue\n",
		"duration.yml": "sources:\n  probe:\n    interval: soon\n",
		"missing.yml":  "sources:\n  ci:\n    - format: canonical\n",
	}
	for name, body := range cases {
		p := filepath.Join(dir, name)
		if err := os.WriteFile(p, []byte(body), 0o644); err != nil {
			t.Fatal(err)
		}
		code, _, stderr := runCmd(t, "--config.file="+p, "--config.check")
		if code != 2 {
			t.Errorf("%s: exit %d, want 2", name, code)
		}
		lines := strings.Split(strings.TrimSpace(stderr), "\n")
		if len(lines) != 1 || !strings.Contains(lines[0], p+":") {
			t.Errorf("%s: want one line naming %s:LINE, got %q", name, p, stderr)
		}
	}
	// A custom mapping is validated too, and the error names the rule.
	mapping := filepath.Join(dir, "mapping.yml")
	if err := os.WriteFile(mapping, []byte("sources:\n  audit:\n    - paths: [a]\n      format: mapping\n      mapping:\n        rules:\n          - match: [{path: kind, eqals: job}]\n            emit: [{type: tool_call, tool: name}]\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	code, _, stderr := runCmd(t, "--config.file="+mapping, "--config.check")
	if want := mapping + ":7: sources.audit[0].mapping.rules[0].match[0]: unknown operator"; code != 2 || !strings.Contains(stderr, want) {
		t.Errorf("bad mapping: exit %d, %q; want 2 and %q", code, stderr, want)
	}
	if code, _, _ := runCmd(t, "--config.file="+filepath.Join(dir, "absent.yml"), "--config.check"); code != 2 {
		t.Errorf("missing file: exit %d, want 2", code)
	}
	if code, _, _ := runCmd(t, "--no-such-flag"); code != 2 {
		t.Errorf("bad flag: exit %d, want 2", code)
	}
}

// TestKPIsOnDemoData runs `demo` then `kpis` as a user would, and checks
// the output's shape: one object keyed by every KPI id of kpis.md, each with
// value, target and met, and values for every KPI of the demo's sources.
func TestKPIsOnDemoData(t *testing.T) {
	dir := t.TempDir()
	const now = "2026-11-20T12:00:00Z"
	if code, _, stderr := runCmd(t, "demo", "--out="+dir, "--now="+now); code != 0 {
		t.Fatalf("demo: exit %d: %s", code, stderr)
	}
	// Probes are covered by their own tests; here the demo's probe targets
	// (the exporter's own port) are not listening.
	cfg := filepath.Join(dir, "config.yml")
	code, out, stderr := runCmd(t, "kpis", "--config.file="+cfg, "--now="+now)
	if code != 0 {
		t.Fatalf("kpis: exit %d: %s", code, stderr)
	}
	var doc map[string]map[string]json.RawMessage
	if err := json.Unmarshal([]byte(out), &doc); err != nil {
		t.Fatalf("kpis output is not one JSON object: %v\n%s", err, out)
	}
	b, _ := os.ReadFile("../../kpi/testdata/kpis_md_ids.txt")
	ids := strings.Fields(string(b))
	if len(doc) != len(ids) {
		t.Errorf("%d keys, kpis.md has %d ids", len(doc), len(ids))
	}
	for _, id := range ids {
		k, ok := doc[id]
		if !ok {
			t.Errorf("missing KPI %s", id)
			continue
		}
		for _, f := range []string{"value", "target", "met"} {
			if _, ok := k[f]; !ok {
				t.Errorf("%s: no %q", id, f)
			}
		}
		kk, _ := kpi.Lookup(id)
		if id != "top_workflows" && string(k["value"]) == "null" {
			t.Errorf("%s: value is null on the demo data", id)
		}
		if kk.Target.Judged() && string(k["met"]) == "null" && id != "domains_up" {
			t.Errorf("%s: met is null on the demo data", id)
		}
	}
	var top []map[string]any
	if err := json.Unmarshal(doc["top_workflows"]["top"], &top); err != nil {
		t.Fatal(err)
	}
	if len(top) != 5 {
		t.Errorf("top_workflows lists %d rows, want 5", len(top))
	}
	// The demo data set drives some KPIs to meet their targets and some to
	// miss them.
	met, missed := 0, 0
	for _, k := range doc {
		switch string(k["met"]) {
		case "true":
			met++
		case "false":
			missed++
		}
	}
	if met < 5 || missed < 3 {
		t.Errorf("demo: %d targets met, %d missed; want both sides", met, missed)
	}
	// Same files, same now: same output.
	_, again, _ := runCmd(t, "kpis", "--config.file="+cfg, "--now="+now)
	if again != out {
		t.Error("kpis is not reproducible for the same input and --now")
	}
}
