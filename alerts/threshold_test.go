package alerts_test

import (
	"fmt"
	"math"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"testing"

	"github.com/heady/heady-metrics/alerts"
	"github.com/heady/heady-metrics/kpi"
)

// comparison finds "<selector> <op> bool <number>" in a judgment
// expression.
var comparison = regexp.MustCompile(`\} (<=|>=|==|!=|<|>) bool ([-+0-9.eE]+)`)

func compare(op string, a, b float64) bool {
	switch op {
	case "<":
		return a < b
	case "<=":
		return a <= b
	case ">":
		return a > b
	case ">=":
		return a >= b
	case "==":
		return a == b
	case "!=":
		return a != b
	}
	panic("unknown comparison " + op)
}

func parseComparison(t *testing.T, expr string) (string, float64) {
	t.Helper()
	m := comparison.FindStringSubmatch(expr)
	if m == nil {
		t.Fatalf("no comparison in %s", expr)
	}
	v, err := strconv.ParseFloat(m[2], 64)
	if err != nil {
		t.Fatalf("%s: %v", expr, err)
	}
	return m[1], v
}

// A value KPI's judgment (RecordMet, which its alert fires on when 0)
// says met exactly where the catalog does: just below, on and just above
// the threshold.
func TestValueJudgmentHoldsExactlyWhenTheTargetIsMet(t *testing.T) {
	for _, k := range kpi.Catalog {
		if !k.Target.HasValueTarget() {
			continue
		}
		op, limit := parseComparison(t, alerts.MetExpr(k))
		tv := k.Target.Value
		if limit != tv {
			t.Errorf("%s: judgment compares with %v, target %v", k.ID, limit, tv)
		}
		for _, v := range []float64{math.Nextafter(tv, math.Inf(-1)), tv, math.Nextafter(tv, math.Inf(1))} {
			if met, want := compare(op, v, limit), k.Target.MetValue(v); met != want {
				t.Errorf("%s (target %s %v): at %v the rule's %s says met=%v, the catalog met=%v", k.ID, k.Target.Op, k.Target.Value, v, op, met, want)
			}
		}
		if !strings.Contains(alerts.ValueAlertExpr(k), k.Selector(kpi.RecordMet)+" == 0") {
			t.Errorf("%s: the alert does not fire on the judgment: %s", k.ID, alerts.ValueAlertExpr(k))
		}
	}
}

// A trend KPI is met up to the margin the wrong way, the margin included,
// and missed beyond it; its alert fires on the judgment.
func TestTrendJudgmentMissedBeyondTheMargin(t *testing.T) {
	for _, k := range kpi.Catalog {
		if !k.Target.HasTrendTarget() {
			continue
		}
		op, limit := parseComparison(t, alerts.MetExpr(k))
		edge, worse := 1+kpi.TrendMargin, math.Nextafter(1+kpi.TrendMargin, 2)
		if k.Target.Trend == kpi.TrendIncreasing {
			edge, worse = 1-kpi.TrendMargin, math.Nextafter(1-kpi.TrendMargin, 0)
		}
		if !compare(op, edge, limit) || compare(op, worse, limit) || !compare(op, 1, limit) {
			t.Errorf("%s (%s): judgment %s %v says met at %v=%v, beyond it %v=%v, at 1=%v", k.ID, k.Target.Trend, op, limit,
				edge, compare(op, edge, limit), worse, compare(op, worse, limit), compare(op, 1, limit))
		}
		if !strings.Contains(alerts.TrendAlertExpr(k), k.Selector(kpi.RecordMet)+" == 0") {
			t.Errorf("%s: the alert does not fire on the judgment: %s", k.ID, alerts.TrendAlertExpr(k))
		}
	}
}

// KPIs whose fixtures cannot record exactly their target value.
var noExactThreshold = map[string]string{
	"wau_growth":          "n/d - 1 is never exactly the float 0.1",
	"gateway_latency_p95": "histogram_quantile(0.95) inside one bucket is never exactly 0.5",
}

// The promtool tests hold, for every KPI with a strict or inclusive value
// target, inputs recording exactly the target value, and expect the alert
// to fire there if and only if the target is strict (> or <).
func TestFixturesSitOnThresholds(t *testing.T) {
	files, _ := filepath.Glob(filepath.Join(repoRoot, alerts.TestDir, "*.yml"))
	type onThreshold struct {
		value   float64
		checked bool
		fires   bool
	}
	found := map[string]onThreshold{}
	for _, f := range files {
		rel, _ := filepath.Rel(repoRoot, f)
		var tf testFile
		load(t, rel, &tf)
		for _, g := range tf.Tests {
			id, scenario, _ := strings.Cut(g.Name, ": ")
			if !strings.HasPrefix(scenario, "exactly on the threshold") {
				continue
			}
			var o onThreshold
			for _, e := range g.ExprTests {
				if e.Expr == fmt.Sprintf("%s{kpi=%q}", kpi.RecordValue, id) && len(e.ExpSamples) == 1 {
					o.value, o.checked = e.ExpSamples[0].Value, true
				}
			}
			for _, a := range g.AlertTests {
				o.fires = o.fires || len(a.ExpAlerts) > 0
			}
			found[id] = o
		}
	}
	for _, k := range kpi.Catalog {
		if !k.Target.HasValueTarget() || k.Target.Op == kpi.OpEQ {
			continue
		}
		o, ok := found[k.ID]
		if why, skip := noExactThreshold[k.ID]; skip {
			if ok {
				t.Errorf("%s is listed as having no exact threshold fixture (%s), but has one", k.ID, why)
			}
			continue
		}
		switch {
		case !ok:
			t.Errorf("%s: no promtool test exactly on its threshold %s", k.ID, k.Target)
		case !o.checked || o.value != k.Target.Value:
			t.Errorf("%s: the on-threshold test records %v (checked %v), want exactly %v", k.ID, o.value, o.checked, k.Target.Value)
		case o.fires == k.Target.MetValue(k.Target.Value):
			t.Errorf("%s: on its threshold %s the test expects the alert firing=%v", k.ID, k.Target, o.fires)
		}
	}
}
