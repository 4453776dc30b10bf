package main

import (
	"strings"
	"testing"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/testutil"

	"github.com/heady/heady-metrics/links"
)

// The external URL is served as heady_exporter_links_info while it is set,
// and a reload replaces it.
func TestLinksInfoSeries(t *testing.T) {
	s := newLinksSetting(links.Base{})
	reg := prometheus.NewRegistry()
	reg.MustRegister(s)
	if n, err := testutil.GatherAndCount(reg); err != nil || n != 0 {
		t.Errorf("no external URL: %d series, %v", n, err)
	}
	s.set(links.Base{URL: "https://grafana.example.com"})
	want := `# HELP heady_exporter_links_info A metric with a constant '1' value labeled by external_url, the configured root of Grafana as people open it; the alert rules build their links from it.
# TYPE heady_exporter_links_info gauge
heady_exporter_links_info{external_url="https://grafana.example.com"} 1
`
	if err := testutil.GatherAndCompare(reg, strings.NewReader(want)); err != nil {
		t.Error(err)
	}
	if s.get().Docs() != "https://grafana.example.com/d/heady-runbooks" {
		t.Errorf("docs link %q", s.get().Docs())
	}
}
