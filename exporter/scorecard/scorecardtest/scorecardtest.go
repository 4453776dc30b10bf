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
	"regexp"
	"strconv"
	"strings"
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

// Layout is what a page measures of itself in Chromium at a window size.
type Layout struct {
	// ScrollWidth is the document's width; more than InnerWidth means the
	// page scrolls sideways (something overflows).
	ScrollWidth, InnerWidth int
	// Overflowing lists elements whose content is wider than their box
	// (tag#id.class and the two widths), which clip or spill.
	Overflowing []string
}

// measureScript measures the page and posts the layout to the host page
// the page is framed in.
const measureScript = `<script>
addEventListener("load", function(){
var d=document.documentElement, out=[];
document.querySelectorAll("body *").forEach(function(e){
  if (e.tagName=="SCRIPT"||e.tagName=="STYLE") return;
  var cs=getComputedStyle(e);
  if (cs.overflowX=="visible" && e.scrollWidth>e.clientWidth+1 && e.clientWidth>0 && cs.display!="inline") out.push(e.tagName+"#"+e.id+"."+e.className+" "+e.scrollWidth+">"+e.clientWidth);
  else if (cs.display!="none" && e.getBoundingClientRect().right>innerWidth+0.5) out.push(e.tagName+"#"+e.id+"."+e.className+" ends at "+Math.round(e.getBoundingClientRect().right)+" ("+(e.getAttribute("data-kpi")||e.textContent.slice(0,30))+")");
});
parent.postMessage({"data-scroll-width": d.scrollWidth, "data-inner-width": innerWidth, "data-overflowing": out.join("|")}, "*");
});
</script>`

// hostPage frames the page at the screen's size: headless Chromium lays
// windows out at least 500 px wide, a phone is narrower.
const hostPage = `<!DOCTYPE html><html><body style="margin:0;background:#fff">` +
	`<iframe src="%s" width="%d" height="%d" style="border:0;display:block"></iframe>` +
	`<script>addEventListener("message",function(e){for(var k in e.data)document.body.setAttribute(k,e.data[k])})</script></body></html>`

// Measure writes html (with a measuring script) into dir as name, shows
// it in headless Chromium on a width x height screen and returns its
// layout and a screenshot of the screen.
func Measure(t testing.TB, dir, name string, html []byte, width, height int) (Layout, image.Image) {
	t.Helper()
	i := bytes.LastIndex(html, []byte("</body>"))
	if i < 0 {
		t.Fatalf("%s: no </body>", name)
	}
	doc := append(append(append([]byte{}, html[:i]...), measureScript...), html[i:]...)
	if err := os.WriteFile(filepath.Join(dir, name), doc, 0o644); err != nil {
		t.Fatal(err)
	}
	host := filepath.Join(dir, "host-"+name)
	if err := os.WriteFile(host, fmt.Appendf(nil, hostPage, name, width, height), 0o644); err != nil {
		t.Fatal(err)
	}
	window := fmt.Sprintf("--window-size=%d,%d", max(width, 500), height)
	dom := string(runChromium(t, chromiumArgs(t, "--hide-scrollbars", window, "--virtual-time-budget=3000", "--dump-dom", "file://"+host)))
	attr := func(n string) string {
		m := regexp.MustCompile(n + `="([^"]*)"`).FindStringSubmatch(dom)
		if m == nil {
			t.Fatalf("%s at %dx%d: the measuring script did not run", name, width, height)
		}
		return m[1]
	}
	var l Layout
	l.ScrollWidth, _ = strconv.Atoi(attr("data-scroll-width"))
	l.InnerWidth, _ = strconv.Atoi(attr("data-inner-width"))
	if o := attr("data-overflowing"); o != "" {
		l.Overflowing = strings.Split(o, "|")
	}
	shot := Screenshot(t, "file://"+host, max(width, 500), height)
	if si, ok := shot.(interface {
		SubImage(image.Rectangle) image.Image
	}); ok {
		shot = si.SubImage(image.Rect(0, 0, width, height))
	}
	return l, shot
}

// SaveScreenshot writes img as PNG under $HEADY_SCREENSHOT_DIR (when set),
// for people to look at.
func SaveScreenshot(t testing.TB, img image.Image, name string) {
	t.Helper()
	dir := os.Getenv("HEADY_SCREENSHOT_DIR")
	if dir == "" {
		return
	}
	var b bytes.Buffer
	if err := png.Encode(&b, img); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(dir, name), b.Bytes(), 0o644); err != nil {
		t.Fatal(err)
	}
}

// InkColumns returns the share of img's columns that have a pixel that is
// not (near) white: how much of the width the page uses.
func InkColumns(img image.Image) float64 {
	b := img.Bounds()
	n := 0
	for x := b.Min.X; x < b.Max.X; x++ {
		for y := b.Min.Y; y < b.Max.Y; y++ {
			r, g, bl, _ := img.At(x, y).RGBA()
			if r < 0xe000 || g < 0xe000 || bl < 0xe000 {
				n++
				break
			}
		}
	}
	return float64(n) / float64(b.Dx())
}
