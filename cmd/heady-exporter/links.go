package main

import (
	"sync/atomic"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/heady/heady-metrics/kpi"
	"github.com/heady/heady-metrics/links"
)

// linksSetting holds the configured external URL (replaced on reload) and
// exports it as kpi.SLinksInfo, which the alert rules read to build their
// links.
type linksSetting struct {
	cur  atomic.Pointer[links.Base]
	desc *prometheus.Desc
}

func newLinksSetting(b links.Base) *linksSetting {
	s := &linksSetting{}
	for _, ser := range kpi.AllSeries {
		if ser.Name == kpi.SLinksInfo {
			s.desc = prometheus.NewDesc(ser.Name, ser.Help, ser.Labels, nil)
		}
	}
	s.set(b)
	return s
}

func (s *linksSetting) set(b links.Base) { s.cur.Store(&b) }

// get returns the current setting.
func (s *linksSetting) get() links.Base { return *s.cur.Load() }

// Describe implements prometheus.Collector.
func (s *linksSetting) Describe(ch chan<- *prometheus.Desc) { ch <- s.desc }

// Collect implements prometheus.Collector: the series only while an
// external URL is set.
func (s *linksSetting) Collect(ch chan<- prometheus.Metric) {
	if u := s.get().URL; u != "" {
		ch <- prometheus.MustNewConstMetric(s.desc, prometheus.GaugeValue, 1, u)
	}
}
