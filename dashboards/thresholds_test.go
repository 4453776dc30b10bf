package dashboards_test

import (
	"math"
	"testing"

	"github.com/grafana/grafana-foundation-sdk/go/dashboard"

	"github.com/heady/heady-metrics/alerts"
	"github.com/heady/heady-metrics/dashboards"
	"github.com/heady/heady-metrics/kpi"
)

// colourAt is the colour Grafana gives v: the last step whose value v
// reaches (the first step, with no value, is the base).
func colourAt(steps []dashboard.Threshold, v float64) string {
	c := ""
	for _, s := range steps {
		if s.Value == nil || v >= *s.Value {
			c = s.Color
		}
	}
	return c
}

func probes(t float64) []float64 {
	return []float64{t, math.Nextafter(t, math.Inf(1)), math.Nextafter(t, math.Inf(-1)), t - 1, t + 1, t / 2, t * 2, 0}
}

// A stat is green exactly when the catalog says the target is met, for
// every operator and its strictness.
func TestValueThresholdsFollowTargets(t *testing.T) {
	targets := []kpi.Target{{Op: kpi.OpGT, Value: 5}, {Op: kpi.OpGE, Value: 0.1}, {Op: kpi.OpLT, Value: 300},
		{Op: kpi.OpLE, Value: 2}, {Op: kpi.OpEQ, Value: 1}, {Op: kpi.OpEQ, Value: 0}}
	for _, k := range kpi.Catalog {
		if k.Target.HasValueTarget() {
			targets = append(targets, k.Target)
		}
	}
	for _, tg := range targets {
		steps := dashboards.ValueThresholds(tg)
		for _, v := range probes(tg.Value) {
			want := "red"
			if tg.MetValue(v) {
				want = "green"
			}
			if got := colourAt(steps, v); got != want {
				t.Errorf("target %s, value %v: colour %s, want %s", tg, v, got, want)
			}
		}
	}
}

// A trend is green when met, red beyond the alert margin (where the trend
// alert fires), orange in between.
func TestTrendThresholdsFollowTargets(t *testing.T) {
	for _, tg := range []kpi.Target{{Trend: kpi.TrendDecreasing}, {Trend: kpi.TrendIncreasing}} {
		steps := dashboards.TrendThresholds(tg)
		op, limit := alerts.TrendLimit(tg)
		for _, v := range []float64{0.5, 0.85, 0.9, 0.95, 1, math.Nextafter(1, 2), 1.05, 1.1, 1.2, 2} {
			fires := (op == ">" && v > limit) || (op == "<" && v < limit)
			want := "orange"
			switch {
			case tg.MetTrend(v):
				want = "green"
			case fires:
				want = "red"
			}
			if got := colourAt(steps, v); got != want {
				t.Errorf("%s trend %v: colour %s, want %s", tg.Trend, v, got, want)
			}
		}
	}
}
