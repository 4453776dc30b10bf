package cost

import (
	"testing"

	"github.com/heady/heady-metrics/exporter/event"
	"github.com/heady/heady-metrics/internal/testutil"
)

// TestEventsDocCostShape: the cost API response docs/events.md shows is
// read whole: one inference record, a further page, one budget, one infra
// day, nothing skipped.
func TestEventsDocCostShape(t *testing.T) {
	block := testutil.DocBlocks(t, "../../../docs/events.md", "## Cost API", "json")[0]
	d, err := parseDocument([]byte(block))
	if err != nil {
		t.Fatal(err)
	}
	if len(d.skipped) != 0 || len(d.events) != 1 || len(d.budgets) != 1 || len(d.infra) != 1 || d.nextCursor != "opaque" {
		t.Fatalf("documented response read as %+v", d)
	}
	e := d.events[0]
	if e.Type != event.TypeInference || e.ID != "c-1" || e.Routed != "cheaper" || e.CostUSD != 0.0123 || e.TokensOut != 300 {
		t.Errorf("record read as %+v", e)
	}
	if b := d.budgets[0]; b.Name != "inference-monthly" || b.CapUSD != 5000 || b.SpentUSD != 3120.5 {
		t.Errorf("budget read as %+v", b)
	}
}
