package dashboards_test

import (
	"fmt"
	"strings"
	"testing"

	"github.com/grafana/grafana-foundation-sdk/go/prometheus"

	"github.com/heady/heady-metrics/dashboards"
	"github.com/heady/heady-metrics/kpi"
)

// Grafana's grid: 30 px per height unit plus an 8 px gap. A 1920x1080
// screen leaves about 1080 - 80 (browser) - 100 (Grafana's bars) = 900 px.
const (
	unitPx       = 38
	firstScreenH = 900
)

// The executive dashboard shows everything outside its collapsed rows on
// one screen, without overlaps, with every KPI as a stat coloured by the
// judgment's status queries.
func TestExecutiveFitsOneScreen(t *testing.T) {
	d := byUID(t)[dashboards.ExecutiveUID]
	if h := dashboards.ExecutiveHeight(); h*unitPx > firstScreenH {
		t.Errorf("first screen is %d units (%d px), more than %d px", h, h*unitPx, firstScreenH)
	}
	taken := map[[2]uint32]string{}
	stats := map[string]bool{}
	for _, p := range d.Panels {
		if p.RowPanel != nil {
			if !p.RowPanel.Collapsed {
				t.Errorf("row %q is not collapsed", *p.RowPanel.Title)
			}
			if p.RowPanel.GridPos.Y < dashboards.ExecutiveHeight() {
				t.Errorf("row %q lies on the first screen", *p.RowPanel.Title)
			}
			continue
		}
		pn := p.Panel
		g := pn.GridPos
		title := ""
		if pn.Title != nil {
			title = *pn.Title
		}
		if g == nil || g.X+g.W > 24 || g.Y+g.H > dashboards.ExecutiveHeight() {
			t.Errorf("panel %q at %+v is off the first screen", title, g)
			continue
		}
		for x := g.X; x < g.X+g.W; x++ {
			for y := g.Y; y < g.Y+g.H; y++ {
				if other, ok := taken[[2]uint32{x, y}]; ok {
					t.Errorf("panel %q overlaps %q at %d,%d", title, other, x, y)
				}
				taken[[2]uint32{x, y}] = title
			}
		}
		if pn.Type == "timeseries" {
			t.Errorf("time series %q on the executive dashboard", title)
		}
		for _, q := range pn.Targets {
			pq, ok := q.(*prometheus.Dataquery)
			if !ok || pq.RefId == nil {
				continue
			}
			for _, k := range kpi.Catalog {
				if dashboards.StatusQueries(k)[*pq.RefId] == pq.Expr {
					stats[k.ID] = true
					checkColour(t, k, *pq.RefId, pn.FieldConfig.Overrides)
				}
			}
		}
	}
	for _, k := range kpi.Catalog {
		if !stats[k.ID] {
			t.Errorf("%s: no stat", k.ID)
		}
	}
}

func checkColour(t *testing.T, k kpi.KPI, ref string, overrides any) {
	t.Helper()
	want := dashboards.StatusColour(dashboards.RefStatus[ref])
	got := fmt.Sprint(overrides)
	needle := fmt.Sprintf("{byFrameRefID %s} [{color map[fixedColor:%s mode:fixed]}", ref, want)
	if !strings.Contains(got, needle) {
		t.Errorf("%s: query %s is not coloured %s: %s", k.ID, ref, want, got)
	}
}
