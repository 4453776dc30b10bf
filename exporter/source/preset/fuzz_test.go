package preset

import (
	"bytes"
	"encoding/json"
	"slices"
	"testing"
	"unicode/utf8"

	"github.com/heady/heady-metrics/exporter/event"
)

// fuzzPreset checks, on any line: no panic; a known reason; a skipped
// line emits nothing; an emitted event has a type and a time; and the
// same line decodes the same way twice (ids included, so dedup holds).
func fuzzPreset(f *testing.F, name string) {
	for _, l := range sampleLines(f, name) {
		f.Add(l)
	}
	f.Add([]byte(`{}`))
	f.Add([]byte(`{"a":[[[[[]]]]],"b":"\u00e9\\"}`))
	d, err := NewPreset(name, 4096)
	if err != nil {
		f.Fatal(err)
	}
	f.Fuzz(func(t *testing.T, line []byte) {
		run := func() ([][]byte, event.Reason) {
			var out [][]byte
			r := d.DecodeLine(line, func(e *event.Event) {
				if e.Type == event.TypeUnknown || e.Time == event.NoTime {
					t.Errorf("event without type or time: %+v", e)
				}
				out = append(out, canonicalJSON(e))
			})
			return out, r
		}
		a, ra := run()
		if ra != "" && !slices.Contains(event.Reasons, ra) {
			t.Fatalf("reason %q is not in the fixed set", ra)
		}
		if ra != "" && len(a) > 0 {
			t.Fatalf("skipped (%s) after emitting %d events", ra, len(a))
		}
		// The scanner agrees with encoding/json on what is JSON (lines
		// too deep for maxDepth aside).
		if len(line) <= 4096 && utf8.Valid(line) && bytes.Count(line, []byte("{"))+bytes.Count(line, []byte("[")) < maxDepth {
			valid := json.Valid(bytes.TrimPrefix(line, []byte("\xef\xbb\xbf")))
			if bad := ra == event.ReasonTruncated; bad == valid {
				t.Fatalf("json.Valid %v, reason %q", valid, ra)
			}
		}
		b, rb := run()
		if ra != rb || !bytes.Equal(bytes.Join(a, []byte("\n")), bytes.Join(b, []byte("\n"))) {
			t.Fatalf("not deterministic: %s %q / %s %q", ra, a, rb, b)
		}
	})
}

func FuzzReceipts(f *testing.F)   { fuzzPreset(f, "heady-receipts") }
func FuzzGovernance(f *testing.F) { fuzzPreset(f, "heady-governance") }
func FuzzCognitive(f *testing.F)  { fuzzPreset(f, "heady-cognitive") }
func FuzzQA(f *testing.F)         { fuzzPreset(f, "heady-qa") }
func FuzzDeploy(f *testing.F)     { fuzzPreset(f, "heady-deploy") }
