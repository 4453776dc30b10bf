//go:build integration

package main

import (
	"encoding/json"
	"fmt"
	"net/http"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/heady/heady-metrics/exporter/scorecard/scorecardtest"
	"github.com/heady/heady-metrics/kpi"
)

// TestLivePageInChromium builds the real binary, serves the demo data set
// on a free loopback port, and loads / in headless Chromium long enough
// for the page's script to refresh it from /scorecard.json: every KPI and
// every source's row must render.
func TestLivePageInChromium(t *testing.T) {
	scorecardtest.Chromium(t)
	base, _ := serveDemoBinary(t)
	resp, err := http.Get(base + "/scorecard.json")
	if err != nil {
		t.Fatal(err)
	}
	var live struct {
		Judged int
		KPIs   []struct{ ID string }
	}
	err = json.NewDecoder(resp.Body).Decode(&live)
	resp.Body.Close()
	if err != nil {
		t.Fatalf("/scorecard.json: %v", err)
	}
	if resp.Header.Get("Content-Type") != "application/json" || len(live.KPIs) != len(kpi.Catalog) || live.Judged == 0 {
		t.Errorf("/scorecard.json: %s, %d KPIs, %d judged", resp.Header.Get("Content-Type"), len(live.KPIs), live.Judged)
	}

	dom := scorecardtest.DumpDOM(t, base+"/", 12*time.Second)
	// The refresh script ran: it stamps the card with the JSON's instant.
	if !regexp.MustCompile(`id="card"[^>]* data-at="20\d\d-`).MatchString(dom) && !regexp.MustCompile(`data-at="20\d\d-[^"]*"[^>]* id="card"`).MatchString(dom) {
		t.Errorf("the page's script did not refresh the card:\n%.2000s", dom)
	}
	for _, k := range kpi.Catalog {
		if !strings.Contains(dom, fmt.Sprintf(`data-kpi="%s"`, k.ID)) || !strings.Contains(dom, strings.ReplaceAll(k.Title, "&", "&amp;")) {
			t.Errorf("KPI %s (%s) not rendered", k.ID, k.Title)
		}
	}
	for _, s := range []string{"audit", "auth", "ci", "registry", "cost", "probe"} {
		row := regexp.MustCompile(`<tr data-source="` + s + `">.*?</tr>`).FindString(dom)
		if row == "" || !strings.Contains(row, ">up<") || !strings.Contains(row, " UTC<") {
			t.Errorf("source %s: row %q", s, row)
		}
	}
	if !strings.Contains(dom, `href="metrics"`) || !strings.Contains(dom, "targets met") {
		t.Error("page lacks the /metrics link or the score")
	}
	// The North Star has a value on the demo data.
	if m := regexp.MustCompile(`(?s)data-kpi="north_star".*?class="hero num">([^<]+)<`).FindStringSubmatch(dom); m == nil || m[1] == "n/a" {
		t.Errorf("North Star value: %v", m)
	}
}
