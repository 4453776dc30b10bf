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
	if !dec.MetTrend(1.05) || !dec.MetTrend(1.1) || dec.MetTrend(1.1000001) {
		t.Error("decreasing: met is trend <= 1.1")
	}
	inc := Target{Trend: TrendIncreasing}
	if !inc.MetTrend(0.95) || !inc.MetTrend(0.9) || inc.MetTrend(0.8999999) {
		t.Error("increasing: met is trend >= 0.9")
	}
}

// Targets are written for people, in the KPI's unit, with no float
// artifacts and no code operators.
func TestTargetText(t *testing.T) {
	want := map[string]string{
		"north_star":          "above 5",
		"wau_growth":          "at least 10%",
		"security_incidents":  "0",
		"audit_completeness":  "100%",
		"infra_cost_per_user": "under $2 per user per month",
		"gateway_latency_p95": "under 500ms",
		"mttr":                "falling, or up by at most 10% on the previous window",
		"test_coverage":       "rising, or down by at most 10% on the previous window",
		"wau":                 "",
	}
	for id, w := range want {
		k, _ := Lookup(id)
		if got := k.Target.Text(k.Unit); got != w {
			t.Errorf("%s: target %q, want %q", id, got, w)
		}
	}
	artifact := regexp.MustCompile(`\d\.\d*0000|\d\.\d*9999|e-\d|[<>=]`)
	for _, k := range Catalog {
		if s := k.Target.Text(k.Unit); artifact.MatchString(s) {
			t.Errorf("%s: target text %q", k.ID, s)
		}
	}
}

func TestJudge(t *testing.T) {
	ns, _ := Lookup("north_star")
	ret, _ := Lookup("retention_w1")
	fix, _ := Lookup("fix_loop_p50")
	wau, _ := Lookup("wau")
	cases := []struct {
		k           KPI
		v           float64
		hasV        bool
		trend       float64
		hasT, guard bool
		want        Status
	}{
		{ns, 5, true, 0, false, true, StatusMissed},
		{ns, 5.01, true, 0, false, true, StatusMet},
		{ns, 0, false, 0, false, true, StatusNoData},
		{ret, 0.1, true, 0, false, false, StatusNotJudged},
		{ret, 0, false, 0, false, false, StatusNoData},
		{fix, 100, true, 1.1, true, true, StatusMet},
		{fix, 100, true, 1.2, true, true, StatusMissed},
		{fix, 100, true, 0, false, true, StatusNoData},
		{wau, 100, true, 0, false, true, StatusNotJudged},
	}
	for _, c := range cases {
		if got := c.k.Judge(c.v, c.hasV, c.trend, c.hasT, c.guard); got != c.want {
			t.Errorf("%s(%v, %v, %v, %v, guard %v) = %s, want %s", c.k.ID, c.v, c.hasV, c.trend, c.hasT, c.guard, got, c.want)
		}
	}
	n := Count([]Status{StatusMet, StatusMet, StatusMissed, StatusNoData, StatusNotJudged})
	if n != (Counts{Met: 2, Missed: 1, NoData: 1, NotJudged: 1}) || n.Judged() != 3 || n.Headline() != "2 of 3 targets met, 1 missed, 1 with no data" {
		t.Errorf("counts %+v %q", n, n.Headline())
	}
	if h := Count([]Status{StatusNoData, StatusNoData, StatusNotJudged}).Headline(); h != "No target judged: 2 with no data" {
		t.Errorf("no data headline %q", h)
	}
	if h := Count(nil).Headline(); h != "No target judged yet" {
		t.Errorf("empty headline %q", h)
	}
}

func TestFormatValue(t *testing.T) {
	cases := map[string]string{
		FormatValue(UnitRatio, 0.985):  "98.5%",
		FormatValue(UnitSeconds, 300):  "5m",
		FormatValue(UnitSeconds, 0.25): "250ms",
		FormatValue(UnitUSD, 1.5):      "$1.50",
		FormatValue(UnitUSD, 2):        "$2",
		FormatValue(UnitUSD, 0.0117):   "$0.0117",
		FormatValue(UnitUsers, 412):    "412",
	}
	for got, want := range cases {
		if got != want {
			t.Errorf("got %q, want %q", got, want)
		}
	}
}
