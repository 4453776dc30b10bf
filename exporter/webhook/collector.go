package webhook

import (
	"github.com/prometheus/client_golang/prometheus"

	"github.com/heady/heady-metrics/kpi"
)

var requestsDesc = func() *prometheus.Desc {
	s, ok := kpi.LookupSeries(kpi.SWebhookRequests)
	if !ok {
		panic("kpi.AllSeries lacks " + kpi.SWebhookRequests)
	}
	return prometheus.NewDesc(s.Name, s.Help, s.Labels, nil)
}()

// Describe implements prometheus.Collector.
func (h *Handler) Describe(ch chan<- *prometheus.Desc) { ch <- requestsDesc }

// Collect implements prometheus.Collector: every result from zero, so
// rate() and increase() see the first rejection.
func (h *Handler) Collect(ch chan<- prometheus.Metric) {
	for i, r := range resultsArray {
		ch <- prometheus.MustNewConstMetric(requestsDesc, prometheus.CounterValue, float64(h.counts[i].Load()), string(r))
	}
}
