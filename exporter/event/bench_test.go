package event

import (
	"encoding/json"
	"testing"
	"time"
)

// benchLine is a realistic 292-byte canonical tool_call line, with one
// unknown key as producers add them.
const benchLine = `{"ts":"2026-11-20T10:00:00.123Z","type":"tool_call","id":"evt-000123","user":"u-4821","tool":"github.create_pr","status":"success","duration_ms":182.5,"receipt":"rcpt_1772111120141_8a9dfbf9","workflow":"release-notes","surface":"ide","trace_id":"4bf92f3577b34da6a3ce929d0e0e4736","attempt":1}`

func reportLines(b *testing.B) {
	b.ReportMetric(float64(b.N)/b.Elapsed().Seconds(), "lines/s")
}

func BenchmarkDecode(b *testing.B) {
	line := []byte(benchLine)
	var d Decoder
	var e Event
	b.SetBytes(int64(len(line)))
	b.ReportAllocs()
	for b.Loop() {
		if r := d.Decode(line, &e); r != "" {
			b.Fatal(r)
		}
	}
	reportLines(b)
}

// BenchmarkDecodeEncodingJSON is the baseline: encoding/json into a struct
// of the same fields, plus time.Parse for ts, which is what Decode returns.
func BenchmarkDecodeEncodingJSON(b *testing.B) {
	type jsonEvent struct {
		TS         string  `json:"ts"`
		Type       string  `json:"type"`
		ID         string  `json:"id"`
		User       string  `json:"user"`
		Tool       string  `json:"tool"`
		Status     string  `json:"status"`
		DurationMS float64 `json:"duration_ms"`
		Receipt    string  `json:"receipt"`
		Workflow   string  `json:"workflow"`
		Surface    string  `json:"surface"`
	}
	line := []byte(benchLine)
	b.SetBytes(int64(len(line)))
	b.ReportAllocs()
	for b.Loop() {
		var e jsonEvent
		if err := json.Unmarshal(line, &e); err != nil {
			b.Fatal(err)
		}
		t, err := time.Parse(time.RFC3339, e.TS)
		if err != nil || ParseType(e.Type) == TypeUnknown {
			b.Fatal(err, e.Type)
		}
		_ = t.UnixMilli()
	}
	reportLines(b)
}

func BenchmarkParseTime(b *testing.B) {
	for _, s := range []string{"2026-11-20T10:00:00.123Z", "2026-11-20T10:00:00+05:30", "1763632800123", "1763632800.123"} {
		b.Run(s, func(b *testing.B) {
			in := []byte(s)
			for b.Loop() {
				if _, ok := ParseTime(in); !ok {
					b.Fatal(s)
				}
			}
		})
	}
}
