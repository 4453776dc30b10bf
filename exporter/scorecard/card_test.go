package scorecard_test

import (
	"bytes"
	"fmt"
	"image/png"
	"math"
	"strings"
	"testing"
	"time"

	"github.com/heady/heady-metrics/exporter/event"
	"github.com/heady/heady-metrics/exporter/scorecard"
	"github.com/heady/heady-metrics/exporter/scorecard/scorecardtest"
	"github.com/heady/heady-metrics/exporter/source"
	"github.com/heady/heady-metrics/kpi"
	"github.com/heady/heady-metrics/links"
)

func TestWeek(t *testing.T) {
	for _, c := range []struct {
		now   string
		want  string
		start string
	}{
		{"2026-11-30T06:00:00Z", "2026-W48", "2026-11-23"}, // Monday: the week just ended
		{"2026-11-30T00:00:00Z", "2026-W48", "2026-11-23"},
		{"2026-11-29T23:59:59Z", "2026-W47", "2026-11-16"}, // Sunday: W48 has not ended
		{"2027-01-04T07:00:00Z", "2026-W53", "2026-12-28"}, // 2026 has 53 ISO weeks
		{"2027-01-11T07:00:00Z", "2027-W01", "2027-01-04"},
		{"2021-01-04T07:00:00Z", "2020-W53", "2020-12-28"},
	} {
		now, _ := time.Parse(time.RFC3339, c.now)
		w := scorecard.WeekEnded(now)
		if w.String() != c.want || w.Start().Format("2006-01-02") != c.start {
			t.Errorf("WeekEnded(%s) = %s starting %s, want %s starting %s", c.now, w, w.Start().Format("2006-01-02"), c.want, c.start)
		}
		if w.Start().Weekday() != time.Monday || w.End().Sub(w.Start()) != 7*24*time.Hour {
			t.Errorf("%s: start %s end %s", w, w.Start(), w.End())
		}
		if scorecard.WeekOf(w.Start()) != w || scorecard.WeekOf(w.End().Add(-time.Second)) != w || scorecard.WeekOf(w.End()) == w {
			t.Errorf("%s: bounds do not match ISOWeek", w)
		}
		if w.End().After(now) {
			t.Errorf("%s ends after %s", w, c.now)
		}
	}
}

func weeklyCard() *scorecard.Card {
	w := scorecard.Week{Year: 2026, Week: 48}
	series := map[string][]scorecard.Point{}
	for d := 14; d >= 0; d-- {
		at := w.End().AddDate(0, 0, -d)
		for _, r := range scorecardtest.Results(at) {
			series[r.KPI.ID] = append(series[r.KPI.ID], scorecard.Point{Time: at, Value: r.Value, OK: r.HasValue})
		}
	}
	return scorecard.NewWeekly(w, "test", scorecardtest.Results(w.End()), scorecardtest.Results(w.End().AddDate(0, 0, -7)), series)
}

func TestScoreAndSubject(t *testing.T) {
	c := weeklyCard()
	met, judged := 0, 0
	for _, r := range c.Rows {
		if r.Met != nil {
			judged++
			if *r.Met {
				met++
			}
		}
	}
	if judged == 0 || met == 0 || met == judged {
		t.Fatalf("synthetic results should mix met and missed: %d/%d", met, judged)
	}
	gm, gj := c.Score()
	if gm != met || gj != judged {
		t.Errorf("Score() = %d/%d, want %d/%d", gm, gj, met, judged)
	}
	want := fmt.Sprintf("Heady scorecard 2026-W48: %d of %d targets met, %d missed, 1 with no data", met, judged, judged-met)
	if c.Subject() != want {
		t.Errorf("subject %q, want %q", c.Subject(), want)
	}
	// domains_up has a target and no value: no data, counted as such.
	for _, r := range c.Rows {
		if r.KPI.ID == "domains_up" && (r.Met != nil || r.Status != kpi.StatusNoData) {
			t.Errorf("domains_up: met %v status %q", r.Met, r.Status)
		}
	}
	if n := c.Counts(); n.NoData != 1 || n.Met+n.Missed+n.NoData+n.NotJudged != len(kpi.Catalog) {
		t.Errorf("counts %+v", n)
	}
}

func TestChange(t *testing.T) {
	get := func(id string) kpi.KPI { k, _ := kpi.Lookup(id); return k }
	for _, c := range []struct {
		id        string
		last, now float64
		text      string
		dir       scorecard.Direction
	}{
		{"north_star", 5, 6, "+20.0% vs last week", scorecard.Better},
		{"north_star", 6, 5, "-16.7% vs last week", scorecard.Worse},
		{"setup_success", 0.80, 0.85, "+5.0 pp vs last week", scorecard.Better},
		{"rollback_rate", 0.04, 0.06, "+2.0 pp vs last week", scorecard.Worse},
		{"security_incidents", 2, 0, "-100.0% vs last week", scorecard.Better},
		{"security_incidents", 0, 2, "+2 vs last week", scorecard.Worse},
		{"wau", 100, 110, "+10.0% vs last week", scorecard.Neutral},
		{"wau", 100, 100, "= vs last week", scorecard.Neutral},
	} {
		r := scorecard.Row{Result: kpi.Result{KPI: get(c.id), Value: c.now, HasValue: true}, LastWeek: c.last, HasLastWeek: true}
		text, dir := r.Change()
		if text != c.text || dir != c.dir {
			t.Errorf("%s %v -> %v: %q %v, want %q %v", c.id, c.last, c.now, text, dir, c.text, c.dir)
		}
	}
	r := scorecard.Row{Result: kpi.Result{KPI: get("wau"), Value: 1, HasValue: true}}
	if s, _ := r.Change(); s != "" {
		t.Errorf("no last week: %q", s)
	}
	// A KPI with a previous window shows its trend, and only that, even
	// with last week's value at hand.
	for _, c := range []struct {
		id    string
		trend float64
		text  string
		dir   scorecard.Direction
	}{
		{"mttr", 0.5, "-50.0% vs previous window", scorecard.Better},
		{"mttr", 1.2, "+20.0% vs previous window", scorecard.Worse},
		{"test_coverage", 0.94, "-6.0% vs previous window", scorecard.Worse},
		{"policy_blocks", 1.1, "+10.0% vs previous window", scorecard.Neutral},
	} {
		r := scorecard.Row{Result: kpi.Result{KPI: get(c.id), Value: 2, HasValue: true, Trend: c.trend, HasTrend: true}, LastWeek: 1, HasLastWeek: true}
		if text, dir := r.Change(); text != c.text || dir != c.dir {
			t.Errorf("%s trend %v: %q %v, want %q %v", c.id, c.trend, text, dir, c.text, c.dir)
		}
	}
}

func TestChart(t *testing.T) {
	c := weeklyCard()
	recent := c.Week.Start().Add(time.Second)
	for _, r := range c.Rows {
		b, err := scorecard.Chart(r, recent)
		if err != nil {
			t.Fatal(err)
		}
		if !r.HasValue {
			if b != nil {
				t.Errorf("%s: chart without values", r.KPI.ID)
			}
			continue
		}
		img, err := png.Decode(bytes.NewReader(b))
		if err != nil {
			t.Fatalf("%s: %v", r.KPI.ID, err)
		}
		if sz := img.Bounds().Size(); sz.X != 2*scorecard.ChartWidth || sz.Y != 2*scorecard.ChartHeight {
			t.Errorf("%s: %v", r.KPI.ID, sz)
		}
		// The reported week's bars (strong blue) are on the right half,
		// the earlier ones (light blue) on the left.
		strong := func(x0, x1 int) int {
			n := 0
			for x := x0; x < x1; x++ {
				for y := 0; y < img.Bounds().Dy(); y++ {
					if cr, cg, cb, _ := img.At(x, y).RGBA(); cr>>8 == 0x09 && cg>>8 == 0x69 && cb>>8 == 0xda {
						n++
					}
				}
			}
			return n
		}
		w := img.Bounds().Dx()
		if strong(w/2, w) == 0 || strong(0, w/3) != 0 {
			t.Errorf("%s: recent bars not where expected (right %d, left %d)", r.KPI.ID, strong(w/2, w), strong(0, w/3))
		}
	}
}

func TestSparkline(t *testing.T) {
	pts := []scorecard.Point{{Value: 0, OK: true}, {Value: 5, OK: true}, {OK: false}, {Value: 10, OK: true}}
	if got := scorecard.Sparkline(pts); got != "▁▅ █" {
		t.Errorf("sparkline %q", got)
	}
	if got := scorecard.Sparkline([]scorecard.Point{{OK: false}}); got != "" {
		t.Errorf("no data: %q", got)
	}
}

func TestEmailHTML(t *testing.T) {
	c := weeklyCard()
	var b bytes.Buffer
	err := c.WriteHTML(&b, scorecard.HTMLOptions{Mode: scorecard.Email, ChartSrc: func(id string) string { return "cid:chart-" + id + "@x" }})
	if err != nil {
		t.Fatal(err)
	}
	h := b.String()
	for _, bad := range []string{"<script", "<style", "class=", "<svg", "<link"} {
		if strings.Contains(h, bad) {
			t.Errorf("email HTML contains %s", bad)
		}
	}
	for _, k := range kpi.Catalog {
		if !strings.Contains(h, template(k.Title)) {
			t.Errorf("email HTML lacks %q", k.Title)
		}
		if k.ID != "domains_up" && !strings.Contains(h, `src="cid:chart-`+k.ID+`@x"`) && k.F != nil {
			t.Errorf("email HTML lacks the chart of %s", k.ID)
		}
	}
	for _, p := range kpi.Panels {
		if !strings.Contains(h, template(p.Title)) {
			t.Errorf("email HTML lacks panel %q", p.Title)
		}
	}
	// North Star comes before every other panel.
	ns := strings.Index(h, ">North Star<")
	for _, p := range kpi.Panels[1:] {
		if i := strings.Index(h, ">"+template(p.Title)+"<"); i < ns {
			t.Errorf("panel %s at %d, before North Star at %d", p.Title, i, ns)
		}
	}
	if !strings.Contains(h, c.Subject()[len(c.Title)+2:]) {
		t.Errorf("HTML lacks the score %q", c.Subject())
	}
}

// template escapes s as html/template does in text.
func template(s string) string {
	r := strings.NewReplacer("&", "&amp;", "<", "&lt;", ">", "&gt;", `"`, "&#34;", "'", "&#39;")
	return r.Replace(s)
}

func TestLivePageAndJSON(t *testing.T) {
	at := time.Date(2026, 11, 27, 12, 0, 0, 0, time.UTC)
	srcs := []source.HealthView{
		{Name: "audit", State: source.StateUp, Up: true, LastSuccess: at, Errors: map[event.Reason]uint64{event.ReasonDuplicate: 3}, Files: 1},
		{Name: "cost", State: source.StateStale, Up: false, Stale: true, LastError: "connection refused", Files: -1},
		{Name: "ci", State: source.StateNoFiles, Files: 0, Unmatched: []string{"/var/log/heady/ci-*.jsonl"}},
	}
	c := scorecard.NewLive(at, scorecardtest.Results(at), srcs)
	c.Links = links.Base{URL: "https://grafana.example.com"}
	opt := scorecard.HTMLOptions{Mode: scorecard.Page, RefreshURL: "scorecard.json", RefreshSeconds: 10}
	var b bytes.Buffer
	if err := c.WriteHTML(&b, opt); err != nil {
		t.Fatal(err)
	}
	h := b.String()
	for _, want := range []string{"<script>", `fetch("scorecard.json"`, "10000", `href="metrics"`, "https://grafana.example.com/d/heady-runbooks", "Sources down: cost",
		`data-source="audit"`, `data-source="cost"`, "connection refused", "3 (duplicate_id 3)", "down (stale)", `name="viewport"`,
		`data-source="ci"`, "no files", "no file matches /var/log/heady/ci-*.jsonl"} {
		if !strings.Contains(h, want) {
			t.Errorf("page lacks %q", want)
		}
	}
	if strings.Contains(h, "vs last week") || strings.Contains(h, "<img") {
		t.Error("the live page has no weekly comparison or charts")
	}
	// The headline, then the missed KPIs, then the panels.
	hl, missed, panels := strings.Index(h, `id="headline"`), strings.Index(h, `id="missed"`), strings.Index(h, ">Adoption<")
	if hl < 0 || missed < hl || panels < missed {
		t.Errorf("headline at %d, missed at %d, panels at %d", hl, missed, panels)
	}
	if strings.Count(h, `data-kpi="north_star"`) != 1 {
		t.Error("the North Star is not shown exactly once")
	}
	if len(h) > 24<<10 {
		t.Errorf("page is %d bytes", len(h))
	}
	d, err := c.Live(opt)
	if err != nil {
		t.Fatal(err)
	}
	if len(d.KPIs) != len(kpi.Catalog) || len(d.Sources) != 3 || d.Sources[0].Errors != 3 || d.Sources[1].LastSuccess != nil ||
		d.Sources[2].State != "no files" || d.Sources[2].Files == nil || *d.Sources[2].Files != 0 || d.Sources[1].Files != nil {
		t.Errorf("live document: %d kpis, sources %+v", len(d.KPIs), d.Sources)
	}
	if !strings.Contains(d.HTML, `data-kpi="north_star"`) || strings.Contains(d.HTML, "<script") {
		t.Error("the fragment is the card without the script")
	}
	for _, k := range d.KPIs {
		if k.ID == "domains_up" && k.Value != nil {
			t.Error("domains_up has no value")
		}
		if k.Value != nil && math.IsNaN(*k.Value) {
			t.Error("NaN in JSON")
		}
	}
}

func TestText(t *testing.T) {
	c := weeklyCard()
	var b bytes.Buffer
	if err := c.WriteText(&b); err != nil {
		t.Fatal(err)
	}
	s := b.String()
	for _, k := range kpi.Catalog {
		if !strings.Contains(s, k.Title) {
			t.Errorf("text lacks %q", k.Title)
		}
	}
	if !strings.HasPrefix(s, "Heady scorecard 2026-W48\n") || !strings.Contains(s, c.Headline()+"\n") || !strings.Contains(s, "vs last week") || strings.Contains(s, "KPI definitions") {
		t.Errorf("text:\n%s", s)
	}
	// Every KPI line of a panel puts its value in the same column.
	lines := strings.Split(s[strings.Index(s, "\nOUTCOMES\n"):], "\n")
	for i, l := range lines {
		if strings.HasPrefix(l, "Workflow success") {
			j := strings.Index(l, "%")
			prev := lines[i-2] // Top workflows' line is followed by its list
			if !strings.HasPrefix(prev, "Top workflows (7d)") {
				t.Fatalf("unexpected layout:\n%s", strings.Join(lines[i-3:i+1], "\n"))
			}
			if strings.Index(prev, "code-review") != strings.Index(l, strings.Fields(l[len("Workflow success"):])[0]) {
				t.Errorf("values not aligned (%d):\n%s\n%s", j, prev, l)
			}
		}
	}
}
