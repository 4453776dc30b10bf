package cost

import (
	"fmt"
	"math"
	"sort"
	"testing"
	"time"

	"github.com/heady/heady-metrics/exporter/event"
	"github.com/heady/heady-metrics/internal/testutil"
)

// FuzzCostResponse feeds arbitrary bytes to the response parser and the
// accumulator a poll runs them through. It checks that nothing panics, that
// parsing is deterministic, and that what is accepted is what the engine
// may be given: inference events with a time and an id, finite budgets and
// infra costs on real dates, skip reasons from the documented set, and a
// snapshot sorted with one entry per budget and date.
func FuzzCostResponse(f *testing.F) {
	testutil.AddSeedFiles(f, "testdata/*.json", "testdata/responses/*.json")
	for _, s := range []string{`null`, `[1,2]`, `{"records":`, `{"error":"wrong endpoint"}`, `<html>502 Bad Gateway</html>`,
		`{"totalCalls":3,"totalCostUsd":1e308,"byModel":{"m":{"costUsd":1},"n":{"cost":"x"},"o":null}}`,
		`{"records":[{"ts":"2026-11-20T10:00:00Z"},{"ts":"2026-11-20T10:00:00Z"}],"next_cursor":1e3}`} {
		f.Add([]byte(s))
	}
	allowed := map[event.Reason]bool{event.ReasonNotObject: true, event.ReasonBadField: true, event.ReasonUnknownType: true,
		event.ReasonMissingTS: true, event.ReasonBadTS: true}
	f.Fuzz(func(t *testing.T, data []byte) {
		d, err := parseDocument(data)
		d2, err2 := parseDocument(data)
		if (err == nil) != (err2 == nil) || describe(d) != describe(d2) {
			t.Fatalf("two parses of the same bytes differ: %v / %v", err, err2)
		}
		if err != nil {
			if d != nil {
				t.Fatalf("error with a document: %v", err)
			}
			return
		}
		for _, e := range d.events {
			if e.Type != event.TypeInference || e.Time == event.NoTime || e.ID == "" {
				t.Fatalf("accepted record unusable: type %v time %d id %q", e.Type, e.Time, e.ID)
			}
		}
		for _, s := range d.skipped {
			if !allowed[s.reason] || s.key == "" {
				t.Fatalf("skip %+v outside the documented reasons", s)
			}
		}
		a := newAccumulator()
		a.add(d)
		snap := a.snapshot(map[string]float64{"total": 5000, "m": 10})
		if !sort.SliceIsSorted(snap.Budgets, func(i, j int) bool { return snap.Budgets[i].Name < snap.Budgets[j].Name }) {
			t.Fatalf("budgets not sorted: %+v", snap.Budgets)
		}
		for i, b := range snap.Budgets {
			if b.Name == "" || i > 0 && snap.Budgets[i-1].Name == b.Name || math.IsNaN(b.CapUSD) || math.IsInf(b.CapUSD, 0) || b.CapUSD < 0 {
				t.Fatalf("budget %+v", b)
			}
			if math.IsNaN(b.SpentUSD) || math.IsInf(b.SpentUSD, 0) {
				t.Fatalf("budget %+v: spend not finite", b)
			}
		}
		for i, day := range snap.Infra {
			if _, err := time.Parse(time.DateOnly, day.Date); err != nil || math.IsNaN(day.CostUSD) || math.IsInf(day.CostUSD, 0) {
				t.Fatalf("infra day %+v", day)
			}
			if i > 0 && snap.Infra[i-1].Date >= day.Date {
				t.Fatalf("infra days not sorted and distinct: %+v", snap.Infra)
			}
		}
	})
}

// describe renders a parsed document for comparison (pointers followed,
// NaN printed as such, skips in a stable order).
func describe(d *document) string {
	if d == nil {
		return "<nil>"
	}
	// Skips are a set: byModel entries are visited in map order.
	skips := make([]string, len(d.skipped))
	for i, k := range d.skipped {
		skips[i] = fmt.Sprint(k)
	}
	sort.Strings(skips)
	s := fmt.Sprintf("%q %+v %+v %+v %v", d.nextCursor, d.events, d.budgets, d.infra, skips)
	if d.summary != nil {
		s += fmt.Sprintf(" %+v", *d.summary)
	}
	return s
}
