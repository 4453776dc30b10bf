package dashboards_test

import (
	"encoding/json"
	"regexp"
	"strconv"
	"testing"

	"github.com/grafana/grafana-foundation-sdk/go/dashboard"

	"github.com/heady/heady-metrics/dashboards"
	"github.com/heady/heady-metrics/kpi"
)

// lines are the values Grafana draws dashed threshold lines at.
func lines(steps []dashboard.Threshold) []float64 {
	var out []float64
	for _, s := range steps {
		if s.Value != nil {
			out = append(out, *s.Value)
		}
	}
	return out
}

// A value target's line is drawn at the catalog's target itself, and a
// trend's at the margin beyond which the judgment says missed.
func TestThresholdLinesSitOnTheTarget(t *testing.T) {
	for _, k := range kpi.Catalog {
		switch {
		case k.Target.HasValueTarget():
			if l := lines(dashboards.ValueThresholds(k.Target)); len(l) != 1 || l[0] != k.Target.Value {
				t.Errorf("%s: lines %v, want one at %v", k.ID, l, k.Target.Value)
			}
		case k.Target.HasTrendTarget():
			want := k.Target.TrendLimit() - 1
			l := lines(dashboards.TrendThresholds(k.Target))
			if len(l) != 1 || l[0] != kpi.TrendMargin && l[0] != -kpi.TrendMargin {
				t.Errorf("%s: lines %v, want one at %v", k.ID, l, want)
			}
			if strconv.FormatFloat(l[0], 'g', -1, 64) != strconv.FormatFloat(want, 'g', 2, 64) {
				t.Errorf("%s: line %v is not the margin %v", k.ID, l[0], want)
			}
		}
	}
}

// floatArtifact matches numbers a person would read as noise: long runs of
// 0 or 9 after the point, or tiny exponents (5e-324).
var floatArtifact = regexp.MustCompile(`\d\.\d*(0{6,}|9{6,})\d|\de-\d`)

// No number in any generated dashboard carries a float artifact.
func TestNoFloatArtifacts(t *testing.T) {
	for _, f := range generated(t) {
		var walk func(path string, v any)
		walk = func(path string, v any) {
			switch x := v.(type) {
			case map[string]any:
				for k, e := range x {
					walk(path+"."+k, e)
				}
			case []any:
				for _, e := range x {
					walk(path+"[]", e)
				}
			case float64:
				if s := strconv.FormatFloat(x, 'g', -1, 64); floatArtifact.MatchString(s) {
					t.Errorf("%s %s: %s", f.Path, path, s)
				}
			case string:
				if floatArtifact.MatchString(x) {
					t.Errorf("%s %s: %q", f.Path, path, x)
				}
			}
		}
		var m any
		if err := json.Unmarshal(f.Data, &m); err != nil {
			t.Fatal(err)
		}
		walk("", m)
	}
}
