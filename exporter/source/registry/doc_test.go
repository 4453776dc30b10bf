package registry

import (
	"testing"

	"github.com/heady/heady-metrics/internal/testutil"
)

// TestEventsDocRegistryShape: the minimal registry docs/events.md gives a
// producer is read without a warning, with every value it states.
func TestEventsDocRegistryShape(t *testing.T) {
	block := testutil.DocBlocks(t, "../../../docs/events.md", "## Registry", "json")[0]
	s, warns := Parse([]byte(block))
	if len(warns) != 0 {
		t.Fatalf("warnings: %v", warns)
	}
	if !s.HasScore || s.Score != 92 || s.ServicesScanned != 1 || s.ServicesHealthy != 1 || s.Version != "3.1.0" {
		t.Errorf("read as %+v", s)
	}
	if !s.HasComponents || len(s.Components) != 1 || s.Components[0].Criticality != "high" || s.LastScan.IsZero() {
		t.Errorf("components or scan: %+v", s)
	}
	if !s.HasCircuitBreakers || s.CircuitBreakers != 4 || len(s.Providers) != 1 || s.Providers[0].Name != "gcp" {
		t.Errorf("breakers or providers: %+v", s)
	}
	if len(s.Services) != 1 || s.Services[0].LatencySeconds == nil || *s.Services[0].LatencySeconds != 0.12 {
		t.Errorf("services: %+v", s.Services)
	}
}
