package pipeline

import (
	"bufio"
	"context"
	"fmt"
	"io"
	"net/http/httptest"
	"os"
	"path/filepath"
	"sort"
	"sync/atomic"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/promhttp"
	"github.com/prometheus/common/promslog"

	"github.com/heady/heady-metrics/exporter/collector"
	"github.com/heady/heady-metrics/exporter/config"
	"github.com/heady/heady-metrics/internal/benchdata"
)

// BenchmarkScrapeUnderIngest scrapes /metrics while a writer appends
// canonical lines as fast as the exporter ingests them, and reports the
// scrape latency's p50 and p99 and the lines ingested per second meanwhile.
func BenchmarkScrapeUnderIngest(b *testing.B) {
	dir := b.TempDir()
	log := filepath.Join(dir, "audit.jsonl")
	if err := os.WriteFile(log, nil, 0o644); err != nil {
		b.Fatal(err)
	}
	c, err := config.Parse([]byte(fmt.Sprintf("state_dir: %s/state\nsources:\n  audit:\n    - paths: [%s]\n", dir, log)), filepath.Join(dir, "c.yml"))
	if err != nil {
		b.Fatal(err)
	}
	now := time.Now().UTC()
	lines := benchdata.Lines(400_000, 100_000, now)
	srv, err := NewServer(c, promslog.NewNopLogger(), time.Now)
	if err != nil {
		b.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan struct{})
	go func() {
		if err := srv.Run(ctx); err != nil && ctx.Err() == nil {
			b.Error(err)
		}
		close(done)
	}()

	var written atomic.Int64
	go func() {
		f, _ := os.OpenFile(log, os.O_APPEND|os.O_WRONLY, 0)
		w := bufio.NewWriterSize(f, 1<<16)
		for i := 0; ctx.Err() == nil; i++ {
			w.Write(lines[i%len(lines)])
			w.WriteByte('\n')
			if i%1000 == 999 {
				if err := w.Flush(); err != nil {
					b.Error(err)
					return
				}
				written.Add(1000)
			}
		}
		if err := w.Flush(); err != nil {
			b.Error(err)
		}
		f.Close()
	}()

	reg := prometheus.NewRegistry()
	reg.MustRegister(collector.New(srv))
	h := promhttp.HandlerFor(reg, promhttp.HandlerOpts{})
	time.Sleep(time.Second) // let ingest get going
	var lat []time.Duration
	startLines := written.Load()
	start := time.Now()
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		t0 := time.Now()
		rec := httptest.NewRecorder()
		h.ServeHTTP(rec, httptest.NewRequest("GET", "/metrics", nil))
		_, _ = io.Copy(io.Discard, rec.Body) // a recorder's body: reading it cannot fail
		lat = append(lat, time.Since(t0))
		time.Sleep(10 * time.Millisecond)
	}
	b.StopTimer()
	elapsed := time.Since(start)
	cancel()
	<-done
	sort.Slice(lat, func(i, j int) bool { return lat[i] < lat[j] })
	b.ReportMetric(float64(lat[len(lat)/2].Microseconds())/1000, "p50-ms")
	b.ReportMetric(float64(lat[len(lat)*99/100].Microseconds())/1000, "p99-ms")
	b.ReportMetric(float64(written.Load()-startLines)/elapsed.Seconds(), "lines-written/s")
}
