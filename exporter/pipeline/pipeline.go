// Package pipeline wires configured sources to the engine and runs them:
// the serve loop (sources in their own goroutines, the engine owned by one
// goroutine that applies batches, advances the clock, publishes a View every
// second and checkpoints state with positions) and the one-shot read used by
// the kpis command. It computes no KPI itself and serves no HTTP.
package pipeline

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"math"
	"runtime"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/heady/heady-metrics/exporter/config"
	"github.com/heady/heady-metrics/exporter/engine"
	"github.com/heady/heady-metrics/exporter/event"
	"github.com/heady/heady-metrics/exporter/source"
	"github.com/heady/heady-metrics/exporter/source/cost"
	"github.com/heady/heady-metrics/exporter/source/probe"
	"github.com/heady/heady-metrics/exporter/source/registry"
	"github.com/heady/heady-metrics/exporter/source/stream"
	"github.com/heady/heady-metrics/exporter/webhook"
)

// Sources are the configured sources, built from a config.
type Sources struct {
	Inputs   []*stream.Input
	Registry *registry.Source
	Cost     *cost.Source
	Probe    *probe.Prober
	healths  []*source.Health
}

// EngineOptions maps the config to engine options.
func EngineOptions(c *config.Config) engine.Options {
	o := engine.Options{
		TopN:            c.Engine.TopN,
		DedupHorizonSec: int64(c.Engine.DedupHorizon.D() / time.Second),
		DedupMaxIDs:     c.Engine.DedupMaxIDs,
	}
	if c.Shard != nil {
		o.ShardIndex, o.ShardCount = c.Shard.Index, c.Shard.Count
	}
	return o
}

// ownsGlobal reports whether this instance reads the sources that belong to
// no user (registry, cost, probes): shard 0, or every unsharded instance.
func ownsGlobal(c *config.Config) bool { return c.Shard == nil || c.Shard.Index == 0 }

// BuildSources creates every configured source, resuming event inputs and
// the cost cursor from positions saved in eng. A source whose name is in
// keep (the health records of the sources a reload replaces) goes on with
// that record, so its counters never go back and its state changes are
// logged against what it was.
//
// Every source is built the same way: its package reads its block of the
// configuration (ParseConfig, in parseSources), then its New takes that
// configuration and the source's Options (health record, clock, logger,
// saved position).
func BuildSources(c *config.Config, eng *engine.Partitioned, logger *slog.Logger, now func() time.Time, keep ...*source.Health) (*Sources, error) {
	fm := formats()
	sc, err := parseSources(c, fm)
	if err != nil {
		return nil, err
	}
	s := &Sources{}
	add := func(name string, build func(h *source.Health) error) {
		if err != nil {
			return
		}
		h := source.NewHealth(name)
		for _, k := range keep {
			if k.Name() == name {
				h = k
			}
		}
		if err = build(h); err == nil {
			s.healths = append(s.healths, h)
		}
	}
	for _, in := range sc.inputs {
		add(in.cfg.Name, func(h *source.Health) error {
			inp, err := stream.New(in.cfg, stream.Options{Formats: fm, PollInterval: c.Engine.PollInterval.D(),
				Positions: eng.Position(in.cfg.Name), Health: h, Now: now})
			if err == nil {
				s.Inputs = append(s.Inputs, inp)
			}
			return err
		})
	}
	if ownsGlobal(c) && sc.registry != nil {
		add("registry", func(h *source.Health) (err error) {
			s.Registry, err = registry.New(*sc.registry, registry.Options{Health: h, Now: now})
			return err
		})
	}
	if ownsGlobal(c) && sc.cost != nil {
		add("cost", func(h *source.Health) (err error) {
			s.Cost, err = cost.New(*sc.cost, cost.Options{Health: h, Logger: logger, Now: now, Cursor: string(eng.Position("cost"))})
			return err
		})
	}
	if ownsGlobal(c) && sc.probe != nil {
		add("probe", func(h *source.Health) (err error) {
			s.Probe, err = probe.New(*sc.probe, probe.Options{Health: h, Logger: logger, Now: now})
			return err
		})
	}
	if err != nil {
		s.Close()
		return nil, err
	}
	return s, nil
}

// Healths lists every source's health record in config order.
func (s *Sources) Healths() []*source.Health { return s.healths }

// Close releases the inputs' files.
func (s *Sources) Close() {
	for _, in := range s.Inputs {
		_ = in.Close() // read only: closing loses nothing
	}
}

// applyBatch applies one decoded batch and its positions.
func applyBatch(eng *engine.Partitioned, b *stream.Batch, h *source.Health) {
	h.Read(b.Lines)
	for r, n := range b.Skipped {
		h.Count(r, n)
	}
	// A batch is the pipeline's alone once decoded (its strings point into
	// its own lines): the user partitions may finish it in the background,
	// and the last side done with it hands its memory back to the input.
	applyEvents(func(evs []event.Event, res []engine.Result) {
		eng.ApplyOwnedBatch(evs, res, b.Release)
	}, b.Events, h)
	eng.SetPosition(b.Source, b.Positions)
}

// applyCostPage applies one page of cost records and its cursor.
func applyCostPage(eng *engine.Partitioned, pg cost.Page, h *source.Health) {
	h.Read(len(pg.Events))
	applyEvents(eng.ApplyBatch, pg.Events, h)
	eng.SetPosition("cost", []byte(pg.Cursor))
}

// applyEvents applies events with apply (an engine's ApplyBatch, or its
// ApplyOwnedBatch), counting the rejected and the repeated ones against
// the source they came from.
func applyEvents(apply func([]event.Event, []engine.Result), evs []event.Event, h *source.Health) {
	res := make([]engine.Result, len(evs))
	apply(evs, res)
	var future, dup uint64
	for _, r := range res {
		switch r {
		case engine.Future:
			future++
		case engine.Duplicate:
			dup++
		}
	}
	h.Count(event.ReasonFuture, future)
	h.Count(event.ReasonDuplicate, dup)
}

// pullSnapshots copies the polled sources' latest snapshots into eng.
func (s *Sources) pullSnapshots(eng *engine.Partitioned) {
	if s.Registry != nil {
		if snap, _, fetched := s.Registry.Latest(); !fetched.IsZero() {
			eng.SetRegistry(RegistryState(snap))
		}
	}
	if s.Cost != nil {
		if snap, _, fetched := s.Cost.Latest(); !fetched.IsZero() {
			b, infra := CostState(snap)
			eng.SetCost(b, infra)
		}
	}
	if s.Probe != nil {
		if res := s.Probe.Latest(); res != nil {
			eng.SetProbes(ProbeState(res))
		}
	}
}

// ProbeState converts probe results for the engine.
func ProbeState(rs []probe.Result) []engine.ProbeResult {
	out := make([]engine.ProbeResult, len(rs))
	for i, r := range rs {
		out[i] = engine.ProbeResult{Target: r.Target, Success: r.Success, StatusCode: r.StatusCode,
			Duration: r.DurationSeconds, CertExpiry: r.CertExpiry, HasCert: !r.CertExpiry.IsZero(), LastProbeAt: r.Time}
	}
	return out
}

// RegistryState converts a registry snapshot for the engine.
func RegistryState(s registry.Snapshot) *engine.RegistryState {
	r := &engine.RegistryState{Score: s.Score, HasScore: s.HasScore, LastScan: s.LastScan,
		CircuitBreakers: float64(s.CircuitBreakers), HasBreakers: s.HasCircuitBreakers}
	for _, sv := range s.Services {
		if sv.Healthy == nil {
			continue
		}
		name := sv.Name
		if name == "" {
			name = sv.ID
		}
		st := engine.ServiceState{Name: name, Healthy: *sv.Healthy, LatencySeconds: math.NaN()}
		if sv.LatencySeconds != nil {
			st.LatencySeconds = *sv.LatencySeconds
		}
		r.Services = append(r.Services, st)
	}
	for _, c := range s.Components {
		r.Components = append(r.Components, engine.ComponentCount{Status: c.Status, Criticality: c.Criticality, Count: c.Count})
	}
	for _, p := range s.Providers {
		r.Providers = append(r.Providers, p.Name)
	}
	return r
}

// CostState converts a cost snapshot for the engine.
func CostState(s cost.Snapshot) ([]engine.Budget, []engine.InfraDay) {
	var b []engine.Budget
	for _, x := range s.Budgets {
		b = append(b, engine.Budget{Name: x.Name, CapUSD: x.CapUSD, SpentUSD: x.SpentUSD})
	}
	var infra []engine.InfraDay
	for _, d := range s.Infra {
		infra = append(infra, engine.InfraDay{Date: d.Date, CostUSD: d.CostUSD})
	}
	return b, infra
}

// ReadOnce reads every source of c once to the end into a fresh engine
// whose clock is now (the kpis command, backfill). Nothing is written to
// the state directory, and nothing is read from it but the CI webhook's
// spool (an input like the files).
func ReadOnce(ctx context.Context, c *config.Config, now time.Time, logger *slog.Logger) (*engine.Partitioned, []*source.Health, error) {
	opt := EngineOptions(c)
	opt.DedupHorizonSec = oneShotDedupHorizon
	eng := engine.NewPartitioned(opt)
	eng.Advance(now.UnixMilli())
	clock := func() time.Time { return now }
	srcs, err := BuildSources(c, eng, logger, clock)
	if err != nil {
		return nil, nil, err
	}
	defer srcs.Close()
	for _, in := range srcs.Inputs {
		if err := drainInto(ctx, in, eng); err != nil {
			return nil, nil, err
		}
	}
	if srcs.Registry != nil {
		_ = srcs.Registry.Poll(ctx) // failures are in its health record
	}
	if srcs.Cost != nil {
		h := srcs.Cost.Health()
		_ = srcs.Cost.Poll(ctx, func(pg cost.Page) error {
			applyCostPage(eng, pg, h)
			return nil
		})
	}
	if srcs.Probe != nil {
		eng.SetProbes(ProbeState(srcs.Probe.ProbeOnce(ctx)))
	}
	srcs.pullSnapshots(eng)
	return eng, srcs.Healths(), nil
}

// drainInto reads in to its end into eng. With more than one core, the
// input reads and decodes its next batches on its own goroutine while the
// engine applies the last one.
func drainInto(ctx context.Context, in *stream.Input, eng *engine.Partitioned) error {
	if runtime.GOMAXPROCS(0) == 1 {
		return in.Drain(ctx, func(b *stream.Batch) error {
			applyBatch(eng, b, in.Health)
			return nil
		})
	}
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	batches := make(chan *stream.Batch, 2)
	done := make(chan error, 1)
	go func() {
		defer close(batches)
		done <- in.Drain(ctx, func(b *stream.Batch) error {
			select {
			case batches <- b:
				return nil
			case <-ctx.Done():
				return ctx.Err()
			}
		})
	}()
	for b := range batches {
		applyBatch(eng, b, in.Health)
	}
	return <-done
}

// Server runs the sources and the engine for the serve command.
type Server struct {
	logger *slog.Logger
	now    func() time.Time

	mu  sync.Mutex // guards cfg, srcs, healths for readers
	cfg *config.Config
	// built is the configuration the engine was built with and Run reads
	// its intervals from: what a reload's settings take effect against.
	built   *config.Config
	srcs    *Sources
	healths []*source.Health

	eng       *engine.Partitioned
	view      atomic.Pointer[engine.View]
	ready     atomic.Bool
	markReady atomic.Bool // every input's first pass has been applied
	firstDone int         // inputs whose first pass was applied (engine goroutine)
	lastCkpt  atomic.Int64
	ckptErrs  atomic.Uint64
	loadFails uint64 // checkpoints moved aside at start (0 or 1)
	// ckptFailing is the error of the failing checkpoints, "" when the
	// last one succeeded (engine goroutine only).
	ckptFailing string

	reloadOK atomic.Bool  // the last configuration load succeeded
	reloadAt atomic.Int64 // wall-clock ms of the last successful one

	batches chan inputMsg // at most batchQueue read ahead of the applier
	pages   chan costPage
	reloads chan reloadReq
}

// inputMsg is a batch from an input, or the mark that the input has read
// every file to its end once (sent after its last batch of that pass, so
// when the engine sees it, that pass is applied).
type inputMsg struct {
	b         *stream.Batch
	firstPass bool
}

type costPage struct {
	pg   cost.Page
	done chan struct{}
}

type reloadReq struct {
	cfg  *config.Config
	done chan error
}

// NewServer loads the checkpoint of c.StateDir (if any) and builds the
// sources. A checkpoint that does not load is moved aside, byte for byte,
// under a name with the time (engine.Quarantine), logged at ERROR and
// counted: the engine starts empty and the sources start from the
// beginning, so nothing is counted twice and the evidence stays on disk.
// If it cannot be moved aside, NewServer fails rather than let the next
// checkpoint overwrite it.
func NewServer(c *config.Config, logger *slog.Logger, now func() time.Time) (*Server, error) {
	var loadFails uint64
	// Scrapes see the counters as of the last checkpoint, so a restart
	// after kill -9 never shows one lower than before (docs/series.md).
	opt := EngineOptions(c)
	opt.CountersAsOfCheckpoint = true
	eng, err := engine.LoadPartitioned(c.StateDir, opt)
	switch {
	case errors.Is(err, engine.ErrNoCheckpoint):
		eng = engine.NewPartitioned(opt)
	case err != nil:
		moved, qerr := engine.Quarantine(c.StateDir, time.Now())
		if qerr != nil {
			return nil, fmt.Errorf("checkpoint could not be loaded (%v) nor moved aside: %w", err, qerr)
		}
		logger.Error("checkpoint could not be loaded: moved aside, rebuilding the state from the logs still on disk",
			"err", err, "moved_to", moved)
		loadFails = 1
		eng = engine.NewPartitioned(opt)
	default:
		logger.Info("checkpoint loaded", "users", eng.Users(), "state_dir", c.StateDir, "format", eng.LoadedVersion())
		if eng.LoadedVersion() < 3 {
			logger.Warn("checkpoint of an older format: its state is kept; the event counters and cumulative histograms it did not have start from zero",
				"format", eng.LoadedVersion())
		}
	}
	eng.Advance(now().UnixMilli())
	srcs, err := BuildSources(c, eng, logger, now)
	if err != nil {
		return nil, err
	}
	for _, h := range srcs.Healths() {
		h.SetLogger(logger)
	}
	s := &Server{logger: logger, now: now, cfg: c, built: c, srcs: srcs, healths: srcs.Healths(), eng: eng, loadFails: loadFails,
		batches: make(chan inputMsg, batchQueue), pages: make(chan costPage), reloads: make(chan reloadReq)}
	s.RecordReload(nil)
	return s, nil
}

// RecordReload records the outcome of a configuration load (the first one
// at start, then every reload, accepted or refused).
func (s *Server) RecordReload(err error) {
	s.reloadOK.Store(err == nil)
	if err == nil {
		s.reloadAt.Store(time.Now().UnixMilli())
	}
}

// LastReload reports whether the last configuration load succeeded and
// when the last successful one was.
func (s *Server) LastReload() (ok bool, at time.Time) {
	return s.reloadOK.Load(), time.UnixMilli(s.reloadAt.Load())
}

// CheckpointLoadFailures is the number of checkpoints moved aside at start
// because they did not load.
func (s *Server) CheckpointLoadFailures() uint64 { return s.loadFails }

// View is the latest evaluated state (nil before the first evaluation).
func (s *Server) View() *engine.View { return s.view.Load() }

// Ready reports whether the first full read and evaluation are done.
func (s *Server) Ready() bool { return s.ready.Load() }

// Healths returns the current sources' health views.
func (s *Server) Healths() []source.HealthView {
	s.mu.Lock()
	hs := s.healths
	s.mu.Unlock()
	out := make([]source.HealthView, len(hs))
	for i, h := range hs {
		out[i] = h.View()
	}
	return out
}

// LastCheckpoint returns the time of the last successful checkpoint and the
// number of failed ones.
func (s *Server) LastCheckpoint() (time.Time, uint64) {
	ms := s.lastCkpt.Load()
	if ms == 0 {
		return time.Time{}, s.ckptErrs.Load()
	}
	return time.UnixMilli(ms), s.ckptErrs.Load()
}

// Config returns the configuration in force.
func (s *Server) Config() *config.Config {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.cfg
}

// Reload swaps in a new configuration: the sources are rebuilt and resume
// from the positions the engine holds. Engine options (top_n, dedup) and
// the checkpoint interval take effect at the next restart, which a WARN
// line says when they changed. A new shard layout is refused: the engine's
// state is its shard's share of the users and counts, which only a
// restart can rebuild for another share (the checkpoint is then moved
// aside, see NewServer).
func (s *Server) Reload(ctx context.Context, c *config.Config) error {
	if from, to := EngineOptions(s.built).Layout(), EngineOptions(c).Layout(); from != to {
		return fmt.Errorf("the shard layout cannot change at reload (this exporter is %s; the new configuration says %s): restart it to rebuild its state for the new layout", from, to)
	}
	req := reloadReq{cfg: c, done: make(chan error, 1)}
	select {
	case s.reloads <- req:
	case <-ctx.Done():
		return ctx.Err()
	}
	select {
	case err := <-req.done:
		if changed := restartOnly(s.built, c); err == nil && len(changed) > 0 {
			s.logger.Warn("reloaded, but these settings take effect at the next restart", "changed", strings.Join(changed, ", "))
		}
		return err
	case <-ctx.Done():
		return ctx.Err()
	}
}

// restartOnly lists the settings that differ between was, the
// configuration the server started with, and c, and that a reload does not
// apply: the engine's, read when it is built, and the checkpoint interval,
// read when Run starts. Compared with the start, not the last reload: a
// reload back to the running values warns of nothing, and one that keeps
// a change still waiting for a restart warns again.
func restartOnly(was, c *config.Config) []string {
	var out []string
	w, n := was.Engine, c.Engine
	if w.TopN != n.TopN {
		out = append(out, fmt.Sprintf("engine.top_n %d -> %d", w.TopN, n.TopN))
	}
	if w.DedupHorizon != n.DedupHorizon {
		out = append(out, fmt.Sprintf("engine.dedup_horizon %s -> %s", w.DedupHorizon, n.DedupHorizon))
	}
	if w.DedupMaxIDs != n.DedupMaxIDs {
		out = append(out, fmt.Sprintf("engine.dedup_max_ids %d -> %d", w.DedupMaxIDs, n.DedupMaxIDs))
	}
	if w.CheckpointInterval != n.CheckpointInterval {
		out = append(out, fmt.Sprintf("engine.checkpoint_interval %s -> %s", w.CheckpointInterval, n.CheckpointInterval))
	}
	return out
}

// Run runs until ctx is done, then saves a last checkpoint.
func (s *Server) Run(ctx context.Context) error {
	srcCtx, stop := context.WithCancel(ctx)
	wg := s.start(srcCtx)
	defer func() { stop(); wg.Wait() }()

	tick := time.NewTicker(time.Second)
	defer tick.Stop()
	ckpt := time.NewTicker(s.built.Engine.CheckpointInterval.D())
	defer ckpt.Stop()
	prune := time.NewTicker(10 * time.Minute)
	defer prune.Stop()
	skips := time.NewTicker(time.Minute)
	defer skips.Stop()

	// A view is published every second (windows slide), and sooner after
	// new events: at most every quarter second, or twice the time the last
	// evaluation took, whichever is longer, so a large state is not
	// re-evaluated back to back.
	fast := time.NewTicker(250 * time.Millisecond)
	defer fast.Stop()
	dirty := false
	var last time.Time
	var cost time.Duration
	publish := func() {
		start := time.Now()
		s.publish()
		last, cost, dirty = time.Now(), time.Since(start), false
	}
	publish()
	for {
		select {
		case m := <-s.batches:
			s.applyStream(m)
			dirty = true
		case p := <-s.pages:
			applyCostPage(s.eng, p.pg, s.srcs.Cost.Health())
			close(p.done)
			dirty = true
		case <-fast.C:
			if dirty && time.Since(last) >= 2*cost {
				publish()
			}
		case <-tick.C:
			publish()
		case <-ckpt.C:
			s.checkpoint()
		case <-prune.C:
			s.eng.Prune()
		case <-skips.C:
			for _, h := range s.srcs.Healths() {
				h.LogSkipped()
			}
		case r := <-s.reloads:
			stop()
			wg.Wait()
			s.drain()
			s.srcs.Close()
			old := s.srcs.Healths()
			srcs, err := BuildSources(r.cfg, s.eng, s.logger, s.now, old...)
			if err != nil {
				// Keep going with the old configuration's sources.
				srcs, _ = BuildSources(s.Config(), s.eng, s.logger, s.now, old...)
			} else {
				s.mu.Lock()
				s.cfg = r.cfg
				s.mu.Unlock()
			}
			for _, h := range srcs.Healths() {
				h.SetLogger(s.logger)
			}
			s.mu.Lock()
			s.srcs, s.healths = srcs, srcs.Healths()
			s.mu.Unlock()
			srcCtx, stop = context.WithCancel(ctx)
			wg = s.start(srcCtx)
			r.done <- err
		case <-ctx.Done():
			stop()
			wg.Wait()
			s.drain()
			s.checkpoint()
			s.srcs.Close()
			return nil
		}
	}
}

func (s *Server) healthOf(name string) *source.Health {
	for _, in := range s.srcs.Inputs {
		if in.Name == name {
			return in.Health
		}
	}
	return source.NewHealth(name)
}

func (s *Server) applyStream(m inputMsg) {
	if m.firstPass {
		s.firstDone++
		if s.firstDone >= len(s.srcs.Inputs) {
			s.markReady.Store(true)
		}
		return
	}
	applyBatch(s.eng, m.b, s.healthOf(m.b.Source))
}

// batchQueue is how many batches the inputs may read ahead of the one
// goroutine that applies them. A few keep the applier busy; more only
// hold memory while a backlog is read after a restart (a batch of 4096
// lines with its events is about 3 MiB).
const batchQueue = 4

// drain applies the batches sources sent before they stopped.
func (s *Server) drain() {
	for {
		select {
		case m := <-s.batches:
			s.applyStream(m)
		default:
			return
		}
	}
}

// start runs every source in its own goroutine; the returned group ends
// when ctx is done. A source blocked handing over a batch gives up when ctx
// ends: the batch is read again from the engine's positions.
func (s *Server) start(ctx context.Context) *sync.WaitGroup {
	var wg sync.WaitGroup
	srcs := s.srcs
	s.firstDone = 0
	if len(srcs.Inputs) == 0 {
		s.markReady.Store(true)
	}
	for _, in := range srcs.Inputs {
		wg.Add(1)
		go func() {
			defer wg.Done()
			first := true
			interval := s.cfg.Engine.PollInterval.D()
			t := time.NewTicker(interval)
			defer t.Stop()
			for {
				// An error here is a cancelled ctx: the batch it carried is
				// read again from the engine's positions.
				_ = in.Drain(ctx, func(b *stream.Batch) error {
					select {
					case s.batches <- inputMsg{b: b}:
						return nil
					case <-ctx.Done():
						return ctx.Err()
					}
				})
				if first && ctx.Err() == nil {
					first = false
					select {
					case s.batches <- inputMsg{firstPass: true}:
					case <-ctx.Done():
						return
					}
				}
				select {
				case <-ctx.Done():
					return
				case <-t.C:
				}
			}
		}()
	}
	if srcs.Registry != nil {
		wg.Add(1)
		// Run records its errors in the source's health and returns
		// ctx.Err() when the pipeline stops.
		go func() { defer wg.Done(); _ = srcs.Registry.Run(ctx) }()
	}
	if srcs.Cost != nil {
		wg.Add(1)
		go func() {
			defer wg.Done()
			srcs.Cost.Run(ctx, func(pg cost.Page) error {
				p := costPage{pg: pg, done: make(chan struct{})}
				select {
				case s.pages <- p:
				case <-ctx.Done():
					return ctx.Err()
				}
				select {
				case <-p.done:
					return nil
				case <-ctx.Done():
					return ctx.Err()
				}
			})
		}()
	}
	if srcs.Probe != nil {
		wg.Add(1)
		go func() { defer wg.Done(); srcs.Probe.Run(ctx) }()
	}
	return &wg
}

// publish advances the clock, pulls snapshots and evaluates a new view.
func (s *Server) publish() {
	now := s.now()
	s.eng.Advance(now.UnixMilli())
	s.srcs.pullSnapshots(s.eng)
	if s.markReady.Load() && !s.ready.Load() {
		// The first full read is saved before the exporter says it is
		// ready, so its counters (shown as of a checkpoint) are whole.
		s.checkpoint()
	}
	s.view.Store(s.eng.Evaluate(now.UnixMilli()))
	if s.markReady.Load() {
		s.ready.Store(true)
	}
}

func (s *Server) checkpoint() {
	if err := s.eng.Save(s.Config().StateDir); err != nil {
		s.ckptErrs.Add(1)
		// Once per run of failures (and when the error changes), not at
		// every checkpoint interval: the counter and the alert go on.
		if msg := err.Error(); msg != s.ckptFailing {
			s.logger.Error("checkpoint failed", "state_dir", s.Config().StateDir, "err", err)
			s.ckptFailing = msg
		}
		return
	}
	if s.ckptFailing != "" {
		s.logger.Info("checkpoint written again", "state_dir", s.Config().StateDir)
		s.ckptFailing = ""
	}
	s.lastCkpt.Store(s.now().UnixMilli())
	// The CI webhook's rotated spool files the saved positions are past
	// are not needed by any restart any more.
	if c := s.Config(); c.Web.WebhookEnabled() {
		if _, err := webhook.Prune(webhook.SpoolDir(c.StateDir), s.eng.Position(config.WebhookSourceName)); err != nil {
			s.logger.Warn("removing read webhook spool files", "err", err)
		}
	}
}
