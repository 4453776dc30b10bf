package kpi

import (
	"os"
	"regexp"
	"strings"
	"testing"
)

// kpis_md_ids.txt is the id column of the KPI specification's table (the
// list docs/kpis.md is generated to match), copied into testdata.
func TestCatalogMatchesSpec(t *testing.T) {
	b, err := os.ReadFile("testdata/kpis_md_ids.txt")
	if err != nil {
		t.Fatal(err)
	}
	spec := map[string]bool{}
	for _, id := range strings.Fields(string(b)) {
		spec[id] = true
	}
	if len(spec) < 30 {
		t.Fatalf("fixture holds only %d ids", len(spec))
	}
	seen := map[string]bool{}
	for _, k := range Catalog {
		if seen[k.ID] {
			t.Errorf("KPI %s declared twice", k.ID)
		}
		seen[k.ID] = true
		if !spec[k.ID] {
			t.Errorf("catalog declares %s, which kpis.md does not list", k.ID)
		}
	}
	for id := range spec {
		if !seen[id] {
			t.Errorf("kpis.md lists %s, which the catalog lacks", id)
		}
	}
}

var metricName = regexp.MustCompile(`heady_[a-z0-9_]+`)

func TestCatalogEntriesComplete(t *testing.T) {
	for _, k := range Catalog {
		if k.Title == "" || k.Help == "" || k.Unit == "" || k.Panel == "" {
			t.Errorf("%s: title, help, unit and panel are required", k.ID)
		}
		if k.Expr == "" && k.TopExpr == "" {
			t.Errorf("%s: no expression", k.ID)
		}
		if k.Target.Judged() && (k.Severity == "" || k.For == "") {
			t.Errorf("%s: judged KPIs need an alert severity and for", k.ID)
		}
		if k.Target.HasTrendTarget() && k.PrevExpr == "" {
			t.Errorf("%s: trend target without a previous-window expression", k.ID)
		}
		declared := map[string]bool{}
		for _, s := range k.Series {
			if _, ok := LookupSeries(s); !ok {
				t.Errorf("%s: series %s is not in AllSeries", k.ID, s)
			}
			declared[s] = true
		}
		for _, e := range []string{k.Expr, k.PrevExpr, k.TopExpr, k.Guard} {
			for _, m := range metricName.FindAllString(e, -1) {
				base := strings.TrimSuffix(strings.TrimSuffix(strings.TrimSuffix(m, "_bucket"), "_count"), "_sum")
				if !declared[base] && !declared[m] {
					t.Errorf("%s: expression reads %s, not listed in Series", k.ID, m)
				}
			}
		}
	}
}

func TestSeriesNamesFollowConventions(t *testing.T) {
	seen := map[string]bool{}
	for _, s := range AllSeries {
		if seen[s.Name] {
			t.Errorf("series %s declared twice", s.Name)
		}
		seen[s.Name] = true
		if !strings.HasPrefix(s.Name, "heady_") {
			t.Errorf("%s: not in the heady_ namespace", s.Name)
		}
		if (s.Type == Counter) != strings.HasSuffix(s.Name, "_total") {
			t.Errorf("%s: counters and only counters end in _total", s.Name)
		}
		hasWindow := false
		for _, l := range s.Labels {
			if l == "window" {
				hasWindow = true
			}
			if l == "user" || l == "id" || l == "receipt" || l == "session" {
				t.Errorf("%s: unbounded label %s", s.Name, l)
			}
		}
		if hasWindow != (len(s.Windows) > 0) {
			t.Errorf("%s: window label and window values disagree", s.Name)
		}
	}
}

func TestTargets(t *testing.T) {
	cases := []struct {
		t    Target
		v    float64
		want bool
	}{
		{Target{Op: OpGT, Value: 5}, 5, false},
		{Target{Op: OpGT, Value: 5}, 5.01, true},
		{Target{Op: OpGE, Value: 0.1}, 0.1, true},
		{Target{Op: OpLT, Value: 300}, 300, false},
		{Target{Op: OpEQ, Value: 1}, 1, true},
		{Target{Op: OpEQ, Value: 1}, 0.999, false},
	}
	for _, c := range cases {
		if got := c.t.MetValue(c.v); got != c.want {
			t.Errorf("%v met by %v = %v, want %v", c.t, c.v, got, c.want)
		}
	}
	dec := Target{Trend: TrendDecreasing}
	if !dec.MetTrend(1) || dec.MetTrend(1.01) {
		t.Error("decreasing: met is trend <= 1")
	}
	inc := Target{Trend: TrendIncreasing}
	if !inc.MetTrend(1) || inc.MetTrend(0.99) {
		t.Error("increasing: met is trend >= 1")
	}
}

func TestFormatValue(t *testing.T) {
	cases := map[string]string{
		FormatValue(UnitRatio, 0.985):  "98.5%",
		FormatValue(UnitSeconds, 300):  "5m",
		FormatValue(UnitSeconds, 0.25): "250ms",
		FormatValue(UnitUSD, 1.5):      "$1.5",
		FormatValue(UnitUSD, 0.0117):   "$0.0117",
		FormatValue(UnitUsers, 412):    "412",
	}
	for got, want := range cases {
		if got != want {
			t.Errorf("got %q, want %q", got, want)
		}
	}
}
