package provisioning_test

import (
	"os"
	"path/filepath"
	"testing"

	"github.com/heady/heady-metrics/exporter/config"
	"github.com/heady/heady-metrics/exporter/source/probe"
	"go.yaml.in/yaml/v3"
)

// The scale-out example's exporter config is valid for the exporter's own
// loader (promtool checks its Prometheus config: TestScaleOutPromtoolCheckConfig).
func TestScaleOutExample(t *testing.T) {
	c, err := config.Load(filepath.Join(repoRoot, "provisioning/scale-out/exporter-shard.yml"))
	if err != nil {
		t.Fatal(err)
	}
	if c.Shard == nil || c.Shard.Count != 3 {
		t.Fatalf("shard block: %+v", c.Shard)
	}
	if c.Sources.Probe == nil {
		t.Fatal("no probe block")
	}
	if p, err := probe.ParseConfig(c.Sources.Probe); err != nil || len(p.Targets) != 9 {
		t.Errorf("probe: {} should probe the nine default domains, got %d (%v)", len(p.Targets), err)
	}
	b, err := os.ReadFile(filepath.Join(repoRoot, "provisioning/scale-out/prometheus.yml"))
	if err != nil {
		t.Fatal(err)
	}
	var p struct {
		RemoteWrite []struct {
			URL string `yaml:"url"`
		} `yaml:"remote_write"`
		ScrapeConfigs []struct {
			StaticConfigs []struct {
				Targets []string `yaml:"targets"`
			} `yaml:"static_configs"`
		} `yaml:"scrape_configs"`
	}
	if err := yaml.Unmarshal(b, &p); err != nil {
		t.Fatal(err)
	}
	if len(p.RemoteWrite) != 1 || len(p.ScrapeConfigs) != 1 || len(p.ScrapeConfigs[0].StaticConfigs[0].Targets) != 3 {
		t.Errorf("want three shards scraped and one remote_write, got %+v", p)
	}
}
