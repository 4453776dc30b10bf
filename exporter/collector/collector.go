// Package collector is the prometheus.Collector over the engine's latest
// View and the sources' health records. Its descriptors come from the KPI
// catalog's series table (kpi.AllSeries); it never computes a value and never
// waits on a source or the engine: a scrape reads the last published View.
package collector

import (
	"time"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/heady/heady-metrics/exporter/engine"
	"github.com/heady/heady-metrics/exporter/event"
	"github.com/heady/heady-metrics/exporter/source"
	"github.com/heady/heady-metrics/kpi"
)

// Reader is what the collector reads.
type Reader interface {
	View() *engine.View
	Healths() []source.HealthView
	LastCheckpoint() (time.Time, uint64)
	CheckpointLoadFailures() uint64
	LastReload() (ok bool, at time.Time)
}

// Collector exports every series of kpi.AllSeries that the view holds.
type Collector struct {
	r     Reader
	descs map[string]*prometheus.Desc
	types map[string]kpi.SeriesType
}

// New returns a collector reading r.
func New(r Reader) *Collector {
	c := &Collector{r: r, descs: map[string]*prometheus.Desc{}, types: map[string]kpi.SeriesType{}}
	for _, s := range kpi.AllSeries {
		if s.Name == kpi.SBuildInfo || s.Name == kpi.SWebhookRequests || s.Name == kpi.SLinksInfo {
			continue // the version collector and the webhook's export them
		}
		c.descs[s.Name] = prometheus.NewDesc(s.Name, s.Help, s.Labels, nil)
		c.types[s.Name] = s.Type
	}
	return c
}

// Describe implements prometheus.Collector.
func (c *Collector) Describe(ch chan<- *prometheus.Desc) {
	for _, d := range c.descs {
		ch <- d
	}
}

// Collect implements prometheus.Collector.
func (c *Collector) Collect(ch chan<- prometheus.Metric) {
	if v := c.r.View(); v != nil {
		for _, s := range v.Samples {
			d := c.descs[s.Name]
			if d == nil {
				continue
			}
			vt := prometheus.GaugeValue
			if c.types[s.Name] == kpi.Counter {
				vt = prometheus.CounterValue
			}
			ch <- prometheus.MustNewConstMetric(d, vt, s.Value, s.LabelValues...)
		}
		for i := range v.Cumulative {
			h := &v.Cumulative[i]
			if d := c.descs[h.Name]; d != nil {
				ch <- cumHistogram{desc: d, h: h}
			}
		}
	}
	for _, h := range c.r.Healths() {
		up := 0.0
		if h.Up {
			up = 1
		}
		stale := 0.0
		if h.Stale {
			stale = 1
		}
		ch <- prometheus.MustNewConstMetric(c.descs[kpi.SSourceUp], prometheus.GaugeValue, up, h.Name)
		ch <- prometheus.MustNewConstMetric(c.descs[kpi.SSourceStale], prometheus.GaugeValue, stale, h.Name)
		ch <- prometheus.MustNewConstMetric(c.descs[kpi.SSourceRecords], prometheus.CounterValue, float64(h.Records), h.Name)
		if h.FileSource() {
			ch <- prometheus.MustNewConstMetric(c.descs[kpi.SSourceFiles], prometheus.GaugeValue, float64(h.Files), h.Name)
		}
		if !h.LastSuccess.IsZero() {
			ch <- prometheus.MustNewConstMetric(c.descs[kpi.SSourceLastSuccess], prometheus.GaugeValue,
				float64(h.LastSuccess.UnixMilli())/1000, h.Name)
		}
		// Every reason is exported from zero, so rate() and increase() see
		// the first error.
		for _, r := range event.Reasons {
			ch <- prometheus.MustNewConstMetric(c.descs[kpi.SSourceErrors], prometheus.CounterValue,
				float64(h.Errors[r]), h.Name, string(r))
		}
	}
	t, errs := c.r.LastCheckpoint()
	if !t.IsZero() {
		ch <- prometheus.MustNewConstMetric(c.descs[kpi.SEngineCheckpoint], prometheus.GaugeValue, float64(t.UnixMilli())/1000)
	}
	ch <- prometheus.MustNewConstMetric(c.descs[kpi.SEngineCheckpointErr], prometheus.CounterValue, float64(errs))
	ch <- prometheus.MustNewConstMetric(c.descs[kpi.SCheckpointLoadFailures], prometheus.CounterValue, float64(c.r.CheckpointLoadFailures()))
	ok, at := c.r.LastReload()
	reloadOK := 0.0
	if ok {
		reloadOK = 1
	}
	ch <- prometheus.MustNewConstMetric(c.descs[kpi.SConfigReloadOK], prometheus.GaugeValue, reloadOK)
	if !at.IsZero() && at.Unix() > 0 {
		ch <- prometheus.MustNewConstMetric(c.descs[kpi.SConfigReloadTime], prometheus.GaugeValue, float64(at.UnixMilli())/1000)
	}
}
