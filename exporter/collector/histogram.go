package collector

import (
	"sort"

	"github.com/prometheus/client_golang/prometheus"
	dto "github.com/prometheus/client_model/go"

	"github.com/heady/heady-metrics/exporter/engine"
)

// cumHistogram is one of the engine's cumulative histograms as a metric
// with both classic buckets (what the text format and scrapers without
// native histograms read) and native buckets (read over protobuf by a
// Prometheus with native histograms enabled). client_golang's const
// histograms carry one kind or the other, not both.
type cumHistogram struct {
	desc *prometheus.Desc
	h    *engine.CumHistSample
}

func (m cumHistogram) Desc() *prometheus.Desc { return m.desc }

func (m cumHistogram) Write(out *dto.Metric) error {
	h := m.h
	count, sum := h.Count, h.Sum
	schema, zt, zc := h.Schema, h.ZeroThreshold, h.ZeroCount
	d := &dto.Histogram{SampleCount: &count, SampleSum: &sum, Schema: &schema, ZeroThreshold: &zt, ZeroCount: &zc}
	for i, b := range h.Bounds {
		ub, cum := b, h.Cumulative[i]
		d.Bucket = append(d.Bucket, &dto.Bucket{UpperBound: &ub, CumulativeCount: &cum})
	}
	d.PositiveSpan, d.PositiveDelta = nativeSpans(h.Native)
	if len(d.PositiveSpan) == 0 && zc == 0 {
		// An empty native histogram still says it is one.
		off, n := int32(0), uint32(0)
		d.PositiveSpan = []*dto.BucketSpan{{Offset: &off, Length: &n}}
	}
	out.Histogram = d
	out.Label = prometheus.MakeLabelPairs(m.desc, nil)
	return nil
}

// nativeSpans encodes sparse bucket counts as spans of consecutive
// indexes (gaps of up to two empty buckets are filled, as client_golang
// does) and deltas between consecutive counts.
func nativeSpans(buckets map[int32]uint64) ([]*dto.BucketSpan, []int64) {
	if len(buckets) == 0 {
		return nil, nil
	}
	idx := make([]int32, 0, len(buckets))
	for k := range buckets {
		idx = append(idx, k)
	}
	sort.Slice(idx, func(i, j int) bool { return idx[i] < idx[j] })
	var spans []*dto.BucketSpan
	var deltas []int64
	var prevCount int64
	var next int32 // index after the last one written
	for i, k := range idx {
		gap := k - next
		switch {
		case i == 0 || gap > 2:
			off := k
			if i > 0 {
				off = gap
			}
			spans = append(spans, &dto.BucketSpan{Offset: &off, Length: new(uint32)})
		default:
			for ; gap > 0; gap-- { // fill a short gap with empty buckets
				deltas = append(deltas, -prevCount)
				prevCount = 0
				*spans[len(spans)-1].Length++
			}
		}
		c := int64(buckets[k])
		deltas = append(deltas, c-prevCount)
		prevCount = c
		*spans[len(spans)-1].Length++
		next = k + 1
	}
	return spans, deltas
}
