//go:build integration

package digest

import (
	"context"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/heady/heady-metrics/exporter/scorecard/scorecardtest"
	"github.com/heady/heady-metrics/kpi"
)

// TestDigestInChromium writes the digest files and opens digest.html in
// headless Chromium: the screenshot is not blank and the DOM holds every
// panel title and every KPI title.
func TestDigestInChromium(t *testing.T) {
	scorecardtest.Chromium(t)
	dir := t.TempDir()
	var calls atomic.Int64
	out, err := Run(context.Background(), Options{Fetcher: fakeFetcher(&calls), Now: monday, ChartDays: 28, OutDir: dir, LedgerDir: dir})
	if err != nil || !out.Delivered {
		t.Fatalf("%+v %v", out, err)
	}
	for _, f := range []string{"digest.html", "digest.txt", "digest.eml", "chart-north_star.png"} {
		if _, err := os.Stat(filepath.Join(dir, f)); err != nil {
			t.Errorf("missing %s: %v", f, err)
		}
	}
	url := "file://" + filepath.Join(dir, "digest.html")
	img := scorecardtest.Screenshot(t, url, 800, 1200)
	b := img.Bounds()
	if n, total := scorecardtest.NonWhite(img), b.Dx()*b.Dy(); n < total/20 {
		t.Errorf("screenshot nearly blank: %d of %d pixels not white", n, total)
	}
	// The charts were loaded: the strong chart blue is on screen.
	blue := 0
	for y := b.Min.Y; y < b.Max.Y; y++ {
		for x := b.Min.X; x < b.Max.X; x++ {
			if r, g, bl, _ := img.At(x, y).RGBA(); r>>8 < 0x20 && g>>8 > 0x50 && g>>8 < 0x80 && bl>>8 > 0xc0 {
				blue++
			}
		}
	}
	if blue == 0 {
		t.Error("no chart visible in the screenshot")
	}
	dom := scorecardtest.DumpDOM(t, url, time.Second)
	text := domText(dom)
	for _, p := range kpi.Panels {
		if !strings.Contains(text, p.Title) {
			t.Errorf("DOM lacks panel title %q", p.Title)
		}
	}
	for _, k := range kpi.Catalog {
		if !strings.Contains(text, k.Title) {
			t.Errorf("DOM lacks KPI title %q", k.Title)
		}
	}
}

// domText strips tags and decodes the few entities the renderer emits.
func domText(dom string) string {
	s := regexp.MustCompile(`<[^>]*>`).ReplaceAllString(dom, " ")
	return strings.NewReplacer("&amp;", "&", "&lt;", "<", "&gt;", ">", "&#34;", `"`, "&#39;", "'", "&quot;", `"`).Replace(s)
}
