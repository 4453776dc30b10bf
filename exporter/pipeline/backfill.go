package pipeline

import (
	"bufio"
	"context"
	"fmt"
	"io"
	"log/slog"
	"math"
	"slices"
	"sort"
	"strings"
	"time"

	"github.com/heady/heady-metrics/exporter/config"
	"github.com/heady/heady-metrics/exporter/engine"
	"github.com/heady/heady-metrics/exporter/event"
	"github.com/heady/heady-metrics/exporter/source/cost"
	"github.com/heady/heady-metrics/exporter/source/stream"
	"github.com/heady/heady-metrics/kpi"
)

// Backfill replays every event of c's sources in time order through a
// fresh engine and writes, as OpenMetrics, the exported series as of every
// step from from to to (both included, aligned to step). promtool tsdb
// create-blocks-from openmetrics turns the output into TSDB blocks, so a
// new Prometheus shows weeks of KPI history at once.
//
// Event-derived series are written, and the infra cost, a dated series of
// the cost API; the registry, budgets and probes are present-only and have
// no history to replay. Each step's values are what `kpis --now=step`
// computes from the same files.
func Backfill(ctx context.Context, c *config.Config, from, to time.Time, step time.Duration, w io.Writer, logger *slog.Logger) error {
	if step < time.Second || !to.After(from) {
		return fmt.Errorf("backfill: need from < to and a step of at least 1s")
	}
	from, to = from.Truncate(time.Second), to.Truncate(time.Second)
	events, infra, err := readAllEvents(ctx, c, to, logger)
	if err != nil {
		return err
	}
	sort.SliceStable(events, func(i, j int) bool { return events[i].Time < events[j].Time })

	opt := EngineOptions(c)
	opt.DedupHorizonSec = oneShotDedupHorizon
	eng := engine.NewPartitioned(opt)
	if len(infra) > 0 {
		eng.SetCost(nil, infra)
	}
	series := newSeriesSet()
	next := 0
	var res []engine.Result
	var pruned time.Time
	for t := from; !t.After(to); t = t.Add(step) {
		if err := ctx.Err(); err != nil {
			return err
		}
		ms := t.UnixMilli()
		eng.Advance(ms)
		if t.Sub(pruned) >= 24*time.Hour {
			// As the serve loop does: a replay of months holds what a
			// running exporter would, not every hour it passed.
			eng.Prune()
			pruned = t
		}
		// Apply every event up to the step, and those within the future
		// tolerance (they wait in the engine, as they do in kpis).
		first := next
		for next < len(events) && events[next].Time <= ms+engine.FutureTolerance {
			next++
		}
		if next > first {
			res = slices.Grow(res[:0], next-first)[:next-first]
			eng.ApplyOwnedBatch(events[first:next], res, nil) // events never change
		}
		series.add(eng.Evaluate(ms), ms)
	}
	return series.write(w)
}

// oneShotDedupHorizon: kpis and backfill read a finite set of files, so
// ids are remembered for the whole history the windows keep.
const oneShotDedupHorizon = (engine.RetentionDays + 1) * 86400

// readAllEvents reads every event input and cost record to the end, with
// every string owned by its event, and the cost API's daily infra series.
// Events more than the future tolerance after end are left out.
func readAllEvents(ctx context.Context, c *config.Config, end time.Time, logger *slog.Logger) ([]event.Event, []engine.InfraDay, error) {
	eng := engine.NewPartitioned(EngineOptions(c)) // only for BuildSources' positions (none)
	clock := func() time.Time { return end }
	srcs, err := BuildSources(c, eng, logger, clock)
	if err != nil {
		return nil, nil, err
	}
	defer srcs.Close()
	var out []event.Event
	limit := end.UnixMilli() + engine.FutureTolerance
	keep := func(evs []event.Event) {
		for i := range evs {
			if evs[i].Time <= limit {
				out = append(out, engine.OwnEvent(&evs[i]))
			}
		}
	}
	for _, in := range srcs.Inputs {
		if err := in.Drain(ctx, func(b *stream.Batch) error { keep(b.Events); return nil }); err != nil {
			return nil, nil, err
		}
	}
	var infra []engine.InfraDay
	if srcs.Cost != nil {
		_ = srcs.Cost.Poll(ctx, func(pg cost.Page) error { keep(pg.Events); return nil })
		if snap, _, fetched := srcs.Cost.Latest(); !fetched.IsZero() {
			_, infra = CostState(snap)
		}
	}
	return out, infra, nil
}

// seriesSet gathers samples by family and series, in first-seen order, so
// the OpenMetrics output keeps each family's samples together.
type seriesSet struct {
	families []string
	byFamily map[string]*family
}

type family struct {
	typ    kpi.SeriesType
	order  []string
	points map[string][]point
}

type point struct {
	ms int64
	v  float64
}

func newSeriesSet() *seriesSet { return &seriesSet{byFamily: map[string]*family{}} }

func (s *seriesSet) fam(name string) *family {
	f := s.byFamily[name]
	if f == nil {
		ser, _ := kpi.LookupSeries(name)
		f = &family{typ: ser.Type, points: map[string][]point{}}
		s.byFamily[name] = f
		s.families = append(s.families, name)
	}
	return f
}

func (f *family) add(key string, ms int64, v float64) {
	if _, ok := f.points[key]; !ok {
		f.order = append(f.order, key)
	}
	f.points[key] = append(f.points[key], point{ms, v})
}

func labelString(names, values []string, extra ...string) string {
	var parts []string
	for i, n := range names {
		if i < len(values) {
			parts = append(parts, fmt.Sprintf("%s=%q", n, values[i]))
		}
	}
	for i := 0; i+1 < len(extra); i += 2 {
		parts = append(parts, fmt.Sprintf("%s=%q", extra[i], extra[i+1]))
	}
	if len(parts) == 0 {
		return ""
	}
	return "{" + strings.Join(parts, ",") + "}"
}

func (s *seriesSet) add(v *engine.View, ms int64) {
	for _, sm := range v.Samples {
		ser, ok := kpi.LookupSeries(sm.Name)
		if !ok || !backfilled(sm.Name) {
			continue
		}
		f := s.fam(sm.Name)
		name := sm.Name
		if ser.Type == kpi.Counter {
			name = strings.TrimSuffix(name, "_total") + "_total"
		}
		f.add(name+labelString(ser.Labels, sm.LabelValues), ms, sm.Value)
	}
	for i := range v.Cumulative {
		// Classic buckets: OpenMetrics text has no native histograms.
		h := &v.Cumulative[i]
		f := s.fam(h.Name)
		for j, b := range h.Bounds {
			f.add(h.Name+"_bucket"+labelString(nil, nil, "le", engine.FormatBound(b)), ms, float64(h.Cumulative[j]))
		}
		f.add(h.Name+"_bucket"+labelString(nil, nil, "le", "+Inf"), ms, float64(h.Count))
		f.add(h.Name+"_count", ms, float64(h.Count))
		f.add(h.Name+"_sum", ms, h.Sum)
	}
}

// backfilled excludes the series that describe the engine process rather
// than Heady (they have no meaning in the past).
func backfilled(name string) bool {
	switch name {
	case kpi.SEngineUsers, kpi.SEngineDedupIDs, kpi.SEngineLastEvent:
		return false
	}
	return true
}

func (s *seriesSet) write(w io.Writer) error {
	bw := bufio.NewWriterSize(w, 1<<20)
	for _, name := range s.families {
		f := s.byFamily[name]
		typ := string(f.typ)
		if f.typ == kpi.Counter {
			name = strings.TrimSuffix(name, "_total")
		}
		fmt.Fprintf(bw, "# TYPE %s %s\n", name, typ)
		for _, key := range f.order {
			for _, p := range f.points[key] {
				fmt.Fprintf(bw, "%s %s %s\n", key, formatValue(p.v), formatTimestamp(p.ms))
			}
		}
	}
	bw.WriteString("# EOF\n")
	return bw.Flush()
}

func formatValue(v float64) string {
	switch {
	case math.IsNaN(v):
		return "NaN"
	case math.IsInf(v, 1):
		return "+Inf"
	case math.IsInf(v, -1):
		return "-Inf"
	}
	return fmt.Sprintf("%g", v)
}

func formatTimestamp(ms int64) string {
	if ms%1000 == 0 {
		return fmt.Sprintf("%d", ms/1000)
	}
	return fmt.Sprintf("%d.%03d", ms/1000, ms%1000)
}
