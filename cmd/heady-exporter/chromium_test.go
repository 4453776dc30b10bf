//go:build integration

package main

import (
	"context"
	"encoding/json"
	"fmt"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"syscall"
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
	dir := t.TempDir()
	bin := filepath.Join(dir, "heady-exporter")
	if out, err := exec.Command("go", "build", "-o", bin, ".").CombinedOutput(); err != nil {
		t.Fatalf("go build: %v\n%s", err, out)
	}
	data := filepath.Join(dir, "demo")
	// The demo ends at the wall clock so that the live engine sees it.
	if out, err := exec.Command(bin, "demo", "--out="+data).CombinedOutput(); err != nil {
		t.Fatalf("demo: %v\n%s", err, out)
	}
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := ln.Addr().String()
	ln.Close()
	srv := exec.Command(bin, "--config.file="+filepath.Join(data, "config.yml"), "--web.listen-address="+addr)
	logf, _ := os.Create(filepath.Join(dir, "exporter.log"))
	srv.Stdout, srv.Stderr = logf, logf
	if err := srv.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		_ = srv.Process.Signal(syscall.SIGTERM) // it may have exited already
		_ = srv.Wait()                          // stopped at the end: its status says nothing
		logf.Close()
	})
	base := "http://" + addr
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	for {
		resp, err := http.Get(base + "/-/ready")
		if err == nil {
			resp.Body.Close()
			if resp.StatusCode == http.StatusOK {
				break
			}
		}
		select {
		case <-ctx.Done():
			log, _ := os.ReadFile(filepath.Join(dir, "exporter.log"))
			t.Fatalf("exporter not ready: %v\n%s", err, log)
		case <-time.After(100 * time.Millisecond):
		}
	}
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
