//go:build integration

package scorecard_test

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/heady/heady-metrics/exporter/event"
	"github.com/heady/heady-metrics/exporter/scorecard"
	"github.com/heady/heady-metrics/exporter/scorecard/digest"
	"github.com/heady/heady-metrics/exporter/scorecard/scorecardtest"
	"github.com/heady/heady-metrics/exporter/source"
	"github.com/heady/heady-metrics/kpi/kpitest"
	"github.com/heady/heady-metrics/links"
)

// Screens the page and the digest are checked at.
var screens = []struct {
	name          string
	width, height int
}{{"desktop", 1920, 1080}, {"phone", 390, 844}}

// The live page and the digest, rendered in headless Chromium on a
// desktop screen and a phone: nothing overflows or scrolls sideways, and
// the page uses the desktop's width. With HEADY_SCREENSHOT_DIR set, the
// screenshots are kept there to be looked at.
func TestPageAndDigestInChromium(t *testing.T) {
	scorecardtest.Chromium(t)
	dir := t.TempDir()
	at := time.Date(2026, 11, 30, 0, 0, 0, 0, time.UTC)
	srcs := []source.HealthView{
		{Name: "audit", Up: true, LastSuccess: at, Errors: map[event.Reason]uint64{event.ReasonDuplicate: 3}},
		{Name: "auth", Up: true, LastSuccess: at},
		{Name: "cost", Up: false, Stale: true, LastError: "Get \"https://cost.internal/api/costs?since=2026-11-29T23:59:00Z\": dial tcp 10.0.0.7:443: connect: connection refused"},
	}
	live := scorecard.NewLive(at, scorecardtest.Results(at), srcs)
	live.Links = links.Base{URL: "https://grafana.example.com"}
	page := render(t, live, scorecard.HTMLOptions{Mode: scorecard.Page})

	week := scorecard.Week{Year: 2026, Week: 48}
	series := map[string][]scorecard.Point{}
	for d := 28; d >= 0; d-- {
		t0 := week.End().AddDate(0, 0, -d)
		for _, r := range scorecardtest.Results(t0) {
			series[r.KPI.ID] = append(series[r.KPI.ID], scorecard.Point{Time: t0, Value: r.Value, OK: r.HasValue})
		}
	}
	weekly := scorecard.NewWeekly(week, "Prometheus at http://prometheus:9090", scorecardtest.Results(week.End()), scorecardtest.Results(week.End().AddDate(0, 0, -7)), series)
	weekly.Links = live.Links
	r, err := digest.Render(weekly)
	if err != nil {
		t.Fatal(err)
	}
	for _, ch := range r.Charts {
		if err := os.WriteFile(filepath.Join(dir, ch.File), ch.PNG, 0o644); err != nil {
			t.Fatal(err)
		}
	}
	// With no data at all: the headline says so, no "targets met".
	var noData kpitest.Scenario
	for _, sc := range kpitest.Scenarios() {
		if sc.Name == "no data" {
			noData = sc
		}
	}
	empty := scorecard.NewLive(at, noData.Results(), srcs)
	emptyPage := render(t, empty, scorecard.HTMLOptions{Mode: scorecard.Page})
	if !strings.Contains(string(emptyPage), "No target judged: ") || strings.Contains(string(emptyPage), "targets met") {
		t.Errorf("no-data page headline: %q", empty.Headline())
	}
	for _, doc := range []struct {
		name string
		html []byte
		wide bool // uses a desktop screen's width
	}{{"page", page, true}, {"digest", r.FileHTML, false}, {"page-nodata", emptyPage, true}} {
		for _, s := range screens {
			name := doc.name + "-" + s.name
			l, img := scorecardtest.Measure(t, dir, name+".html", doc.html, s.width, s.height)
			if l.ScrollWidth > l.InnerWidth {
				t.Errorf("%s: scrolls sideways: %d px wide in a %d px window", name, l.ScrollWidth, l.InnerWidth)
			}
			if len(l.Overflowing) > 0 {
				t.Errorf("%s: overflowing elements: %v", name, l.Overflowing)
			}
			scorecardtest.SaveScreenshot(t, img, name+".png")
			b := img.Bounds()
			if n, total := scorecardtest.NonWhite(img), b.Dx()*b.Dy(); n < total/100 {
				t.Errorf("%s: screenshot nearly blank: %d of %d pixels", name, n, total)
			}
			if used := scorecardtest.InkColumns(img); doc.wide && s.name == "desktop" && used < 0.8 {
				t.Errorf("%s: uses %.0f%% of a desktop screen's width", name, used*100)
			}
		}
	}
}

func render(t *testing.T, c *scorecard.Card, o scorecard.HTMLOptions) []byte {
	t.Helper()
	var w writer
	if err := c.WriteHTML(&w, o); err != nil {
		t.Fatal(err)
	}
	return w.b
}

type writer struct{ b []byte }

func (w *writer) Write(p []byte) (int, error) { w.b = append(w.b, p...); return len(p), nil }
