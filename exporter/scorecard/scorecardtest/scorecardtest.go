// Package scorecardtest holds test helpers for the scorecard's renderers:
// headless Chromium (screenshots, DOM dumps) and synthetic KPI results.
// Only tests import it.
package scorecardtest

import (
	"bytes"
	"context"
	"fmt"
	"image"
	"image/png"
	"os"
	"os/exec"
	"path/filepath"
	"testing"
	"time"

	"github.com/heady/heady-metrics/kpi"
)

// Chromium returns the path of Debian's chromium (or a chromium-browser /
// google-chrome found on PATH). The test fails, not skips, without one:
// scripts/test-deps.sh installs it.
func Chromium(t testing.TB) string {
	t.Helper()
	for _, name := range []string{"chromium", "chromium-browser", "google-chrome"} {
		if p, err := exec.LookPath(name); err == nil {
			return p
		}
	}
	t.Fatal("headless Chromium is required: run scripts/test-deps.sh (apt-get install --no-install-recommends chromium)")
	return ""
}

func chromiumArgs(t testing.TB, extra ...string) []string {
	return append([]string{"--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking",
		"--disable-component-update", "--disable-sync", "--no-first-run", "--disable-dev-shm-usage",
		"--user-data-dir=" + t.TempDir()}, extra...)
}

func runChromium(t testing.TB, args []string) []byte {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	cmd := exec.CommandContext(ctx, Chromium(t), args...)
	var stdout, stderr bytes.Buffer
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	if err := cmd.Run(); err != nil {
		t.Fatalf("chromium %v: %v\n%s", args, err, stderr.String())
	}
	return stdout.Bytes()
}

// Screenshot loads url in headless Chromium at the given window size and
// returns the decoded screenshot.
func Screenshot(t testing.TB, url string, width, height int) image.Image {
	t.Helper()
	out := filepath.Join(t.TempDir(), "shot.png")
	runChromium(t, chromiumArgs(t, "--hide-scrollbars", fmt.Sprintf("--window-size=%d,%d", width, height), "--screenshot="+out, url))
	b, err := os.ReadFile(out)
	if err != nil {
		t.Fatalf("chromium wrote no screenshot: %v", err)
	}
	img, err := png.Decode(bytes.NewReader(b))
	if err != nil {
		t.Fatalf("screenshot: %v", err)
	}
	return img
}

// DumpDOM loads url, lets the page's scripts run for budget of virtual
// time, and returns the serialised DOM.
func DumpDOM(t testing.TB, url string, budget time.Duration) string {
	t.Helper()
	return string(runChromium(t, chromiumArgs(t, fmt.Sprintf("--virtual-time-budget=%d", budget.Milliseconds()), "--dump-dom", url)))
}

// NonWhite counts the pixels of img that are not (near) white.
func NonWhite(img image.Image) int {
	n := 0
	b := img.Bounds()
	for y := b.Min.Y; y < b.Max.Y; y++ {
		for x := b.Min.X; x < b.Max.X; x++ {
			r, g, bl, _ := img.At(x, y).RGBA()
			if r < 0xf000 || g < 0xf000 || bl < 0xf000 {
				n++
			}
		}
	}
	return n
}

// Results returns a deterministic result for every catalog KPI as of t:
// values near the target that move with t, met or missed by the target,
// top lists for the KPIs that have them. KPI "domains_up" has no value, to
// show "no data".
func Results(t time.Time) []kpi.Result {
	day := float64(t.Unix()/86400%97) / 97 // 0..1, changes daily
	out := make([]kpi.Result, 0, len(kpi.Catalog))
	for i, k := range kpi.Catalog {
		r := kpi.Result{KPI: k}
		base := 1.0
		if k.Target.HasValueTarget() && k.Target.Value != 0 {
			base = k.Target.Value
		}
		switch k.Unit {
		case kpi.UnitRatio:
			r.Value = 0.5 + 0.45*day
		default:
			r.Value = base * (0.8 + 0.4*day + 0.01*float64(i))
		}
		r.HasValue = k.F != nil && k.ID != "domains_up"
		if k.PrevF != nil {
			r.Prev, r.HasPrev = r.Value*1.1, true
			r.Trend, r.HasTrend = r.Value/r.Prev, true
		}
		if k.TopExpr != "" {
			r.Top = []kpi.TopEntry{{Name: "code-review", Count: 500}, {Name: "bug-fix", Count: 250}}
		}
		r.Judge()
		if !r.HasValue {
			r.Value = 0
		}
		out = append(out, r)
	}
	return out
}
