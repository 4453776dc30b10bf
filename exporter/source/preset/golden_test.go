package preset

import (
	"bytes"
	"flag"
	"os"
	"path/filepath"
	"testing"

	"github.com/heady/heady-metrics/exporter/event"
)

var update = flag.Bool("update", false, "rewrite the golden files in testdata/golden")

// presetSamples lists, per preset, the real Heady files it is tested on.
var presetSamples = map[string][]string{
	"heady-receipts":   {"receipts-2026-02-26.jsonl", "receipts-2026-02-27.jsonl"},
	"heady-governance": {"code-governance-audit.jsonl"},
	"heady-cognitive":  {"cognitive-audit.all.jsonl"},
	"heady-qa":         {"qa-audit.head20.jsonl"},
	"heady-deploy":     {"heady_deploy_log.jsonl"},
}

func sampleLines(t testing.TB, name string) [][]byte {
	var lines [][]byte
	for _, f := range presetSamples[name] {
		lines = append(lines, readLines(t, filepath.Join("testdata", f))...)
	}
	return lines
}

func TestPresetsListed(t *testing.T) {
	got := Presets()
	if len(got) != len(presetSamples) {
		t.Fatalf("presets %v, tested %d", got, len(presetSamples))
	}
	for _, name := range got {
		if _, ok := presetSamples[name]; !ok {
			t.Errorf("preset %s has no sample test", name)
		}
	}
}

// TestPresetGolden maps each real sample file with its preset and compares
// the canonical events with testdata/golden/<preset>.jsonl, which is
// canonical JSONL: the canonical decoder reads back the same events.
func TestPresetGolden(t *testing.T) {
	for name := range presetSamples {
		t.Run(name, func(t *testing.T) {
			d, err := NewPreset(name, 0)
			if err != nil {
				t.Fatal(err)
			}
			lines := sampleLines(t, name)
			got := decodeAll(d, lines)
			if len(got.skipped) != 0 {
				t.Errorf("real lines skipped: %v", got.skipped)
			}
			out := append(bytes.Join(got.lines, []byte("\n")), '\n')
			golden := filepath.Join("testdata", "golden", name+".jsonl")
			if *update {
				if err := os.MkdirAll(filepath.Dir(golden), 0o755); err != nil {
					t.Fatal(err)
				}
				if err := os.WriteFile(golden, out, 0o644); err != nil {
					t.Fatal(err)
				}
			}
			want, err := os.ReadFile(golden)
			if err != nil {
				t.Fatalf("%v (run go test -update)", err)
			}
			if !bytes.Equal(out, want) {
				t.Errorf("events differ from %s (rerun with -update and review the diff):\n%s", golden, out)
			}
			// The golden file is canonical: decoded by the canonical
			// decoder, each line gives back the same event.
			var cd event.Decoder
			var ev event.Event
			for i, l := range bytes.Split(bytes.TrimSuffix(want, []byte("\n")), []byte("\n")) {
				if r := cd.Decode(l, &ev); r != "" {
					t.Fatalf("golden line %d is not canonical: %s", i+1, r)
				}
				if back := canonicalJSON(&ev); !bytes.Equal(back, l) {
					t.Errorf("golden line %d does not round-trip:\n%s\n%s", i+1, l, back)
				}
			}
			// Read twice, every id repeats: nothing but the ids of the
			// first pass (dedup makes a re-read count once).
			ids := map[string]int{}
			for _, l := range got.lines {
				var e event.Event
				cd.Decode(l, &e)
				if e.ID == "" {
					t.Errorf("event without id: %s", l)
				}
				ids[string(append([]byte(nil), e.ID...))]++
			}
			for id, n := range ids {
				if n > 1 {
					t.Errorf("id %s given to %d events of one pass", id, n)
				}
			}
			again := decodeAll(d, lines)
			if !bytes.Equal(bytes.Join(again.lines, nil), bytes.Join(got.lines, nil)) {
				t.Error("a second pass over the same lines gives other events")
			}
		})
	}
}

// TestEventsOutliveTheCall keeps the events of every line without copying
// their strings, as stream's batches do, and checks them at the end:
// strings built for one line (ids from templates) are not overwritten by
// the next lines.
func TestEventsOutliveTheCall(t *testing.T) {
	for name := range presetSamples {
		d, err := NewPreset(name, 0)
		if err != nil {
			t.Fatal(err)
		}
		lines := sampleLines(t, name)
		// Many passes, so the write-once buffer is replaced several times.
		var kept []event.Event
		var want [][]byte
		for pass := 0; pass < 200; pass++ {
			for _, l := range lines {
				d.DecodeLine(l, func(e *event.Event) {
					kept = append(kept, *e)
					want = append(want, canonicalJSON(e))
				})
			}
		}
		for i := range kept {
			if got := canonicalJSON(&kept[i]); !bytes.Equal(got, want[i]) {
				t.Fatalf("%s: event %d changed after later lines:\n%s\nwas\n%s", name, i, got, want[i])
			}
		}
	}
}
