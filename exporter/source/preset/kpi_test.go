package preset

import (
	"math"
	"testing"
	"time"

	"github.com/heady/heady-metrics/exporter/engine"
	"github.com/heady/heady-metrics/kpi"
)

// kpisOf runs a preset over its real sample through the engine, as of now,
// and returns every KPI with a value, and the engine's view.
func kpisOf(t *testing.T, name string, now time.Time) (map[string]kpi.Result, *engine.View) {
	t.Helper()
	d, err := NewPreset(name, 0)
	if err != nil {
		t.Fatal(err)
	}
	eng := engine.New(engine.Options{})
	eng.Advance(now.UnixMilli())
	lines := sampleLines(t, name)
	// Read twice: the ids make the second pass duplicates.
	for pass := 0; pass < 2; pass++ {
		for _, ev := range events(t, d, lines) {
			r := eng.Apply(&ev)
			if want := map[int]engine.Result{0: engine.Applied, 1: engine.Duplicate}[pass]; r != want {
				t.Fatalf("pass %d: %s %s: result %d, want %d", pass+1, ev.Type, ev.ID, r, want)
			}
		}
	}
	v := eng.Evaluate(now.UnixMilli())
	out := map[string]kpi.Result{}
	for _, r := range kpi.Evaluate(kpi.Input{Samples: v.Samples, Exact: v.Exact, Top: v.Top}) {
		out[r.KPI.ID] = r
	}
	return out, v
}

func checkKPI(t *testing.T, got map[string]kpi.Result, id string, want float64) {
	t.Helper()
	r := got[id]
	if math.IsNaN(want) {
		if r.HasValue {
			t.Errorf("%s = %v, want no value", id, r.Value)
		}
		return
	}
	if !r.HasValue || math.Abs(r.Value-want) > 1e-12*math.Max(1, math.Abs(want)) {
		t.Errorf("%s = %v (has value %v), want %v", id, r.Value, r.HasValue, want)
	}
}

// TestReceiptKPIs: the five real receipts (26-27 Feb 2026), by hand:
// five tool calls, all "completed"; five outcomes, all completed, each with
// its receipt; tiers edge, edge, balanced, balanced, edge (cheaper 3 of 5);
// tokens 0, 1396, 1623, 0, 232 at 0.0001 USD per 1k tokens.
func TestReceiptKPIs(t *testing.T) {
	got, v := kpisOf(t, "heady-receipts", time.Date(2026, 2, 28, 0, 0, 0, 0, time.UTC))
	checkKPI(t, got, "tool_call_success", 1)
	checkKPI(t, got, "workflow_success", 1)
	checkKPI(t, got, "audit_completeness", 1)
	checkKPI(t, got, "routing_efficiency", 3.0/5)
	cost := (1396 + 1623 + 232) * 0.0001 / 1000
	checkKPI(t, got, "cost_per_outcome", cost/5)
	// Receipts carry no user: no active users, so per-user KPIs are absent.
	checkKPI(t, got, "north_star", math.NaN())
	checkKPI(t, got, "wau", 0)
	top := got["top_workflows"].Top
	if len(top) != 3 || top[0].Name != "chat" || top[0].Count != 3 {
		t.Errorf("top workflows %+v, want chat 3, analyze 1, embed 1", top)
	}
	if n := sample(v, kpi.SInferenceRequests); n != 5 {
		t.Errorf("inference requests %v, want 5", n)
	}
}

// TestOtherPresetKPIs: governance has three policy blocks (two agents
// blocked, one auth-gate denial) and four approvals, none with a receipt
// id; QA has twenty failed runs; cognitive has 49 model calls, none routed
// and none with a confidence; the deploy log has four deploys (remotes),
// all successful.
func TestOtherPresetKPIs(t *testing.T) {
	gov, _ := kpisOf(t, "heady-governance", time.Date(2026, 3, 1, 0, 0, 0, 0, time.UTC))
	checkKPI(t, gov, "policy_blocks", 3)
	checkKPI(t, gov, "audit_completeness", 0)

	qa, _ := kpisOf(t, "heady-qa", time.Date(2026, 2, 26, 0, 0, 0, 0, time.UTC))
	checkKPI(t, qa, "quality_gate_pass", 0)

	cog, v := kpisOf(t, "heady-cognitive", time.Date(2026, 2, 28, 0, 0, 0, 0, time.UTC))
	checkKPI(t, cog, "routing_efficiency", math.NaN())
	checkKPI(t, cog, "consensus_confidence", math.NaN())
	if n := sample(v, kpi.SInferenceRequests); n != 49 {
		t.Errorf("inference requests %v, want 49", n)
	}

	_, v = kpisOf(t, "heady-deploy", time.Date(2026, 2, 4, 0, 0, 0, 0, time.UTC))
	var ok, all float64
	for _, s := range v.Samples {
		if s.Name == kpi.SDeploys {
			all += s.Value
			if s.LabelValues[len(s.LabelValues)-1] == "success" {
				ok += s.Value
			}
		}
	}
	if ok != 4 || all != 4 {
		t.Errorf("deploys %v of %v successful, want 4 of 4", ok, all)
	}
}

// sample sums the samples of a series over its 7d window.
func sample(v *engine.View, name string) float64 {
	var n float64
	for _, s := range v.Samples {
		if s.Name == name && len(s.LabelValues) > 0 && s.LabelValues[0] == kpi.W7d {
			n += s.Value
		}
	}
	return n
}
