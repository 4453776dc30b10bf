package preset

import (
	"fmt"
	"math/rand/v2"
	"testing"
	"time"

	"github.com/heady/heady-metrics/exporter/engine"
	"github.com/heady/heady-metrics/exporter/event"
	"github.com/heady/heady-metrics/exporter/source/stream"
)

var benchNow = time.Date(2026, 11, 20, 12, 0, 0, 0, time.UTC)

// receiptLines makes n receipts in the exact shape of the real ones
// (testdata/receipts-*.jsonl, about 850 bytes), with unique ids, over the
// seven days before benchNow.
func receiptLines(n int) [][]byte {
	r := rand.New(rand.NewPCG(3, 4))
	tiers := []string{
		`{"name":"edge","provider":"cloudflare","model":"llama-3.1-8b","costPer1kTokens":0.0001,"maxTokens":8192,"latencyMs":50,"capabilities":["chat","embed","classify"],"complexity":[1,4]}`,
		`{"name":"balanced","provider":"gemini","model":"gemini-2.0-flash","costPer1kTokens":0.0001,"maxTokens":1048576,"latencyMs":300,"capabilities":["chat","analyze","generate","multimodal"],"complexity":[3,7]}`,
	}
	intents := []string{"chat", "embed", "analyze", "generate"}
	hex := func() string {
		return fmt.Sprintf("%016x%016x%016x%016x", r.Uint64(), r.Uint64(), r.Uint64(), r.Uint64())
	}
	out := make([][]byte, n)
	start := benchNow.Add(-7 * 24 * time.Hour)
	step := 7 * 24 * time.Hour / time.Duration(n)
	prev := hex()
	for i := range out {
		t := start.Add(time.Duration(i) * step)
		ti := r.IntN(2)
		h := hex()
		out[i] = fmt.Appendf(nil, `{"receiptId":"rcpt_%d_%08x","version":"1.0.0","timestamp":"%s","intent":"%s","actor":"brain-middleware","routing":{"tier":%s,"complexity":%d,"reason":"Complexity %d/10 \u2192 %s","budgetStatus":{"maxDailyCostUSD":5,"currentDayCost":%g,"dayStart":"%s"}},"toolsExecuted":["%s"],"cost":{"tokensUsed":%d,"costUSD":0,"provider":"cloudflare"},"result":{"status":"completed","latency_ms":%d},"previousHash":"%s","hash":"%s","signature":"heady_sig_%s"}`,
			t.UnixMilli(), r.Uint32(), t.Format("2006-01-02T15:04:05.000Z"), intents[r.IntN(len(intents))], tiers[ti],
			1+r.IntN(9), 1+r.IntN(9), []string{"edge", "balanced"}[ti], r.Float64()/1000, t.Format("2006-01-02"),
			intents[r.IntN(len(intents))], r.IntN(2000), 50+r.IntN(900), prev, h, h[:16])
		prev = h
	}
	return out
}

// canonicalOf turns receipts into the canonical lines of the same events
// (three per receipt), so both benchmarks decode the same information.
func canonicalOf(b *testing.B, receipts [][]byte) [][]byte {
	d, err := NewPreset("heady-receipts", 0)
	if err != nil {
		b.Fatal(err)
	}
	var out [][]byte
	for _, l := range receipts {
		if r := d.DecodeLine(l, func(e *event.Event) { out = append(out, canonicalJSON(e)) }); r != "" {
			b.Fatalf("bench receipt skipped: %s", r)
		}
	}
	return out
}

func avgLen(lines [][]byte) int64 {
	var n int
	for _, l := range lines {
		n += len(l) + 1
	}
	return int64(n / len(lines))
}

func decoderFor(b *testing.B, format string) stream.LineDecoder {
	d, err := stream.NewFormats(Decoders()).NewDecoder(&stream.Config{Name: "bench", Format: format, MaxLineBytes: stream.DefaultMaxLineBytes})
	if err != nil {
		b.Fatal(err)
	}
	return d
}

// benchDecode decodes lines round robin; ns/event is the number to
// compare: the preset reads one receipt for three canonical lines.
func benchDecode(b *testing.B, d stream.LineDecoder, lines [][]byte) {
	b.SetBytes(avgLen(lines))
	events := 0
	emit := func(*event.Event) { events++ }
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		if r := d.DecodeLine(lines[i%len(lines)], emit); r != "" {
			b.Fatal(r)
		}
	}
	b.ReportMetric(float64(events)/float64(b.N), "events/line")
	b.ReportMetric(float64(b.Elapsed().Nanoseconds())/float64(events), "ns/event")
}

// BenchmarkCanonical decodes canonical lines of the receipts' events.
func BenchmarkCanonical(b *testing.B) {
	benchDecode(b, decoderFor(b, "canonical"), canonicalOf(b, receiptLines(3_000)))
}

// BenchmarkPreset decodes the receipts themselves with heady-receipts.
func BenchmarkPreset(b *testing.B) {
	benchDecode(b, decoderFor(b, "heady-receipts"), receiptLines(3_000))
}

// benchPair runs both inputs interleaved, in chunks of the same receipts
// (one receipt line for the preset, its three canonical lines for the
// canonical decoder), each into its own engine when ingest is set, so
// that both see the same events, the same engine sizes and the same
// machine load. It reports ns per event of each and their ratio.
func benchPair(b *testing.B, ingest bool) {
	const chunk = 64
	receipts := receiptLines(100_000)
	canon := canonicalOf(b, receipts)
	pd, cd := decoderFor(b, "heady-receipts"), decoderFor(b, "canonical")
	var pe, ce *engine.Engine
	fresh := func() {
		pe, ce = engine.New(engine.Options{}), engine.New(engine.Options{})
		pe.Advance(benchNow.UnixMilli())
		ce.Advance(benchNow.UnixMilli())
	}
	fresh()
	pEmit := func(ev *event.Event) {
		if ingest {
			pe.Apply(ev)
		}
	}
	cEmit := func(ev *event.Event) {
		if ingest {
			ce.Apply(ev)
		}
	}
	var tp, tc time.Duration
	b.ResetTimer()
	for done := 0; done < b.N; {
		start := done % len(receipts)
		if start == 0 && done > 0 {
			b.StopTimer()
			fresh()
			b.StartTimer()
		}
		n := min(chunk, b.N-done, len(receipts)-start)
		t0 := time.Now()
		for _, l := range receipts[start : start+n] {
			pd.DecodeLine(l, pEmit)
		}
		t1 := time.Now()
		for _, l := range canon[3*start : 3*(start+n)] {
			cd.DecodeLine(l, cEmit)
		}
		tc += time.Since(t1)
		tp += t1.Sub(t0)
		done += n
	}
	events := 3 * float64(b.N)
	b.ReportMetric(float64(tp.Nanoseconds())/events, "preset-ns/event")
	b.ReportMetric(float64(tc.Nanoseconds())/events, "canonical-ns/event")
	b.ReportMetric(float64(tp)/float64(tc), "preset/canonical")
}

// BenchmarkPairDecode: decoding only. An op is one receipt.
func BenchmarkPairDecode(b *testing.B) { benchPair(b, false) }

// BenchmarkPairIngest: the engine benchmark's path (decode, dedup, per-user
// state, windows). An op is one receipt.
func BenchmarkPairIngest(b *testing.B) { benchPair(b, true) }
