package collector

import (
	"math/rand/v2"
	"reflect"
	"testing"

	"github.com/prometheus/client_golang/prometheus"
	dto "github.com/prometheus/client_model/go"

	"github.com/heady/heady-metrics/exporter/engine"
)

// decodeSpans is the reading side of native buckets, as Prometheus does
// it: spans of consecutive indexes, counts as deltas.
func decodeSpans(spans []*dto.BucketSpan, deltas []int64) map[int32]uint64 {
	out := map[int32]uint64{}
	var idx int32
	var count int64
	d := 0
	for i, s := range spans {
		if i == 0 {
			idx = s.GetOffset()
		} else {
			idx += s.GetOffset()
		}
		for j := uint32(0); j < s.GetLength(); j++ {
			count += deltas[d]
			d++
			if count != 0 {
				out[idx] = uint64(count)
			}
			idx++
		}
	}
	return out
}

func TestNativeSpansRoundTrip(t *testing.T) {
	r := rand.New(rand.NewPCG(1, 2))
	for n := 0; n < 200; n++ {
		want := map[int32]uint64{}
		for i := r.IntN(40); i > 0; i-- {
			want[int32(r.IntN(120)-60)] = uint64(1 + r.IntN(1000))
		}
		spans, deltas := nativeSpans(want)
		if got := decodeSpans(spans, deltas); !reflect.DeepEqual(got, want) && len(want) > 0 {
			t.Fatalf("buckets %v came back as %v", want, got)
		}
	}
}

// A cumulative histogram is exported with its classic buckets and its
// native ones in the same metric.
func TestCumulativeHistogramCarriesBothKinds(t *testing.T) {
	desc := prometheus.NewDesc("heady_x_seconds", "x", nil, nil)
	h := &engine.CumHistSample{Name: "heady_x_seconds", Count: 6, Sum: 3.5, Bounds: []float64{0.1, 1},
		Cumulative: []uint64{2, 5}, Schema: 3, ZeroThreshold: engine.NativeZeroThreshold, ZeroCount: 1,
		Native: map[int32]uint64{-27: 1, -26: 1, -3: 2, 5: 1}}
	var m dto.Metric
	if err := (cumHistogram{desc: desc, h: h}).Write(&m); err != nil {
		t.Fatal(err)
	}
	d := m.GetHistogram()
	if len(d.GetBucket()) != 2 || d.GetBucket()[1].GetCumulativeCount() != 5 || d.GetSampleCount() != 6 {
		t.Errorf("classic side: %v", d)
	}
	if d.GetSchema() != 3 || d.GetZeroCount() != 1 || !reflect.DeepEqual(decodeSpans(d.GetPositiveSpan(), d.GetPositiveDelta()), h.Native) {
		t.Errorf("native side: %v", d)
	}
}
