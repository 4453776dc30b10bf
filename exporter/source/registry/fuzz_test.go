package registry

import (
	"encoding/json"
	"testing"

	"github.com/heady/heady-metrics/exporter/event"
	"github.com/heady/heady-metrics/internal/testutil"
)

// FuzzParse checks that Parse never panics or hangs (go test's per-input
// deadline catches a hang), and that what it returns is consistent: an
// unusable result is empty, counts add up, and the Snapshot survives a JSON
// round trip (it is saved in checkpoints).
func FuzzParse(f *testing.F) {
	testutil.AddSeedFiles(f, "testdata/registries/*.json", "testdata/heady/*.json")
	f.Add([]byte("{\n<<<<<<< HEAD\n\"a\": 1\n=======\n\"a\": 2\n>>>>>>> x\n}"))
	f.Add([]byte(`{"services": {"g": {"s": {"healthy": true}}}, "k": 1, "k": 2} tail`))

	f.Fuzz(func(t *testing.T, data []byte) {
		s, ws := Parse(data)
		if len(ws) > maxWarnings+1 {
			t.Fatalf("%d warnings, bound is %d+1", len(ws), maxWarnings)
		}
		for _, w := range ws {
			switch w.Reason {
			case event.ReasonParseError, event.ReasonPartialParse, event.ReasonDuplicate:
			default:
				t.Fatalf("warning reason %q outside the documented set", w.Reason)
			}
		}
		if Unusable(ws) {
			if s.HasScore || s.HasComponents || len(s.Services) > 0 || s.Version != "" {
				t.Fatalf("unusable parse returned data: %+v", s)
			}
			return
		}
		if s.ServicesHealthy > s.ServicesScanned || s.ServicesHealthy < 0 {
			t.Fatalf("healthy %d of %d scanned", s.ServicesHealthy, s.ServicesScanned)
		}
		if s.HasScore && (s.Score < 0 || s.Score != s.Score) {
			t.Fatalf("score %v", s.Score)
		}
		b, err := json.Marshal(s)
		if err != nil {
			t.Fatalf("snapshot does not marshal: %v", err)
		}
		var back Snapshot
		if err := json.Unmarshal(b, &back); err != nil {
			t.Fatalf("snapshot does not unmarshal: %v", err)
		}
	})
}
