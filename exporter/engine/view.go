package engine

import (
	"encoding/json"
	"math"
	"sort"
	"strconv"
	"time"

	"github.com/heady/heady-metrics/exporter/event"
	"github.com/heady/heady-metrics/kpi"
)

// External holds the latest snapshots of the polled and active sources
// (registry, cost budgets and infra, probes). The engine keeps them so one
// View has everything and a checkpoint saves the last good values.
type External struct {
	Registry *RegistryState
	Budgets  []Budget
	Infra    []InfraDay
	Probes   []ProbeResult
}

// RegistryState is what the registry source read from heady-registry.json.
type RegistryState struct {
	Score           float64 // 0..100
	HasScore        bool
	Services        []ServiceState
	Components      []ComponentCount
	Providers       []string
	CircuitBreakers float64
	HasBreakers     bool
	LastScan        time.Time
}

// ServiceState is one row of the registry's health scan.
type ServiceState struct {
	Name           string
	Healthy        bool
	LatencySeconds float64 // NaN when the registry says null
}

// MarshalJSON writes a null latency for NaN (JSON has no NaN).
func (s ServiceState) MarshalJSON() ([]byte, error) {
	type plain struct {
		Name    string   `json:"name"`
		Healthy bool     `json:"healthy"`
		Latency *float64 `json:"latency_seconds"`
	}
	p := plain{Name: s.Name, Healthy: s.Healthy}
	if !math.IsNaN(s.LatencySeconds) {
		l := s.LatencySeconds
		p.Latency = &l
	}
	return json.Marshal(p)
}

// UnmarshalJSON reads what MarshalJSON wrote.
func (s *ServiceState) UnmarshalJSON(b []byte) error {
	var p struct {
		Name    string   `json:"name"`
		Healthy bool     `json:"healthy"`
		Latency *float64 `json:"latency_seconds"`
	}
	if err := json.Unmarshal(b, &p); err != nil {
		return err
	}
	s.Name, s.Healthy, s.LatencySeconds = p.Name, p.Healthy, math.NaN()
	if p.Latency != nil {
		s.LatencySeconds = *p.Latency
	}
	return nil
}

// ComponentCount counts registry components by status and criticality.
type ComponentCount struct {
	Status, Criticality string
	Count               int
}

// Budget is one budget's cap and spend.
type Budget struct {
	Name     string
	CapUSD   float64
	SpentUSD float64
}

// InfraDay is one UTC date of infra cost.
type InfraDay struct {
	Date    string // YYYY-MM-DD
	CostUSD float64
}

// ProbeResult is the last probe of one target.
type ProbeResult struct {
	Target      string
	Success     bool
	StatusCode  int
	Duration    float64 // seconds
	CertExpiry  time.Time
	HasCert     bool
	LastProbeAt time.Time
}

// SetRegistry stores the registry's latest snapshot (nil: none).
func (e *Engine) SetRegistry(r *RegistryState) { e.external.Registry = r }

// SetCost stores the cost source's latest budgets and infra series.
func (e *Engine) SetCost(b []Budget, infra []InfraDay) {
	e.external.Budgets, e.external.Infra = b, infra
}

// SetProbes stores the latest probe results.
func (e *Engine) SetProbes(p []ProbeResult) { e.external.Probes = p }

// View is the state evaluated as of one instant. It is immutable once
// returned: views may be shared between goroutines.
type View struct {
	Now     time.Time
	Samples []kpi.Sample
	// Cumulative holds the cumulative histograms (their counters are in
	// Samples).
	Cumulative []CumHistSample
	// Exact holds the values of quantile KPIs (by KPI id, and id+"@prev"
	// for the previous window), also exported as quantile gauges.
	Exact map[string]float64
	// Top lists the top entries of top_workflows and policy_blocks.
	Top map[string][]kpi.TopEntry
	// Users and DedupIDs describe the engine's size.
	Users    int
	DedupIDs int
}

func (v *View) add(name string, value float64, labels ...string) {
	v.Samples = append(v.Samples, kpi.Sample{Name: name, LabelValues: labels, Value: value})
}

// Evaluate computes every exported series as of nowMS (unix ms, truncated
// to the second). nowMS should not be before the engine's clock: events
// already applied beyond it would be counted.
func (e *Engine) Evaluate(nowMS int64) *View {
	now := floorDiv(nowMS, 1000)
	us := e.userStats(now)
	return e.evaluate(nowMS, &us, &e.cum)
}

// evaluate is Evaluate with the per-user series taken from us and the live
// counters and cumulative histograms from cum, which a partitioned engine
// merges from its partitions (partition.go).
func (e *Engine) evaluate(nowMS int64, us *userStats, cum *cumulative) *View {
	now := floorDiv(nowMS, 1000)
	v := &View{Now: time.Unix(now, 0).UTC(), Exact: map[string]float64{}, Top: map[string][]kpi.TopEntry{}}
	const d = secPerDay
	w := bounds{now: now, a7: now - 7*d, b7: now, a14: now - 14*d, a30: now - 30*d, b30: now, a60: now - 60*d}
	us.addTo(v)
	// The order of the samples is the order of these calls.
	e.evalTools(v, w)
	e.evalOutcomes(v, w)
	e.evalTrust(v, w)
	e.evalCost(v, w)
	e.evalDelivery(v, w)
	e.evalExternal(v, now)
	e.evalOwn(v, us, cum)
	return v
}

// bounds are the window edges (seconds) one evaluation reads: (a, b] for
// the last 7 and 30 days, and the starts of the windows before them.
type bounds struct{ now, a7, b7, a14, a30, b30, a60 int64 }

// win is the window of the last sec seconds.
func (b bounds) win(sec int64) (int64, int64) { return b.now - sec, b.now }

// evalTools adds the tool calls by window and by tool, the actions and the gateway.
func (e *Engine) evalTools(v *View, b bounds) {
	a7, b7 := b.a7, b.b7
	const d = secPerDay
	// Trust: tool calls by status over every window.
	for _, w := range []struct {
		name string
		sec  int64
	}{{kpi.W5m, 300}, {kpi.W30m, 1800}, {kpi.W1h, 3600}, {kpi.W6h, 6 * 3600}, {kpi.W7d, 7 * d}} {
		for i, st := range toolStatuses {
			n, _ := e.toolCalls[i].window(b.win(w.sec))
			v.add(kpi.SToolCalls, float64(n), w.name, st)
		}
	}
	{
		var rows []ranked
		counts := map[string][4]uint64{}
		for _, tool := range e.toolByTool.keys() {
			tls := e.toolByTool.m[tool]
			var c [4]uint64
			var total uint64
			for i := range tls {
				c[i], _ = tls[i].window(a7, b7)
				total += c[i]
			}
			if total > 0 {
				counts[tool] = c
				rows = append(rows, ranked{tool, float64(total)})
			}
		}
		other := [4]uint64{}
		named := map[string]bool{}
		for _, r := range topN(rows, e.opt.TopN) {
			named[r.Name] = r.Name != OtherLabel
		}
		for _, tool := range sortedKeys(counts) {
			c := counts[tool]
			if named[tool] {
				for i, st := range toolStatuses {
					v.add(kpi.SToolCallsByTool, float64(c[i]), kpi.W7d, tool, st)
				}
			} else {
				for i := range c {
					other[i] += c[i]
				}
			}
		}
		if len(counts) > 0 && len(named) < len(counts)+1 {
			hasOther := false
			for tool := range counts {
				if !named[tool] {
					hasOther = true
				}
			}
			if hasOther {
				for i, st := range toolStatuses {
					v.add(kpi.SToolCallsByTool, float64(other[i]), kpi.W7d, OtherLabel, st)
				}
			}
		}
	}
	n, _ := e.actions.window(a7, b7)
	v.add(kpi.SActions, float64(n), kpi.W7d)
	n, _ = e.actionsReceipt.window(a7, b7)
	v.add(kpi.SActionsWithReceipt, float64(n), kpi.W7d)
	e.evalGateway(v, b.now)
}

// evalOutcomes adds verified outcomes, workflows, arena runs, consensus and the fix loop.
func (e *Engine) evalOutcomes(v *View, w bounds) {
	now, a7, b7, a14 := w.now, w.a7, w.b7, w.a14
	const d = secPerDay
	var n uint64
	var s float64
	// Outcomes.
	for i, st := range verifiedStatus {
		n, _ := e.verified[i].window(a7, b7)
		v.add(kpi.SOutcomesVerified, float64(n), kpi.W7d, st)
		n, _ = e.verified[i].window(a14, a7)
		v.add(kpi.SOutcomesVerified, float64(n), kpi.WPrev7d, st)
	}
	wf := e.rankKeyed(&e.workflows, a7, b7)
	for _, r := range topN(append([]ranked(nil), wf...), e.opt.TopN) {
		v.add(kpi.SWorkflowVerified, r.Count, kpi.W7d, r.Name)
	}
	v.Top["top_workflows"] = topEntries(wf, 5)
	for i, r := range arenaResults {
		n, _ := e.arena[i].window(a7, b7)
		v.add(kpi.SArenaRuns, float64(n), kpi.W7d, r)
	}
	_, s = e.arenaCost.window(a7, b7)
	v.add(kpi.SArenaCost, s, kpi.W7d)
	n, s = e.consensus.window(a7, b7)
	v.add(kpi.SConsensusEvents, float64(n), kpi.W7d)
	v.add(kpi.SConsensusConfidenceSu, s, kpi.W7d)
	{
		var fix samples
		for _, k := range sortedKeys(e.changes) {
			c := e.changes[k]
			if c.accepted != event.NoTime && c.reverted != event.NoTime && c.reverted >= c.accepted {
				fix.add(c.reverted, float64(c.reverted-c.accepted)/1000)
			}
		}
		e.evalSamples(v, &fix, kpi.SFixLoop, "fix_loop_p50", now, 30*d)
	}
}

// evalTrust adds policy blocks, incidents, merges and reverts.
func (e *Engine) evalTrust(v *View, b bounds) {
	a7, b7, a14, a30, b30, a60 := b.a7, b.b7, b.a14, b.a30, b.b30, b.a60
	var n uint64
	// Trust.
	for _, w := range []struct {
		name string
		a, b int64
	}{{kpi.W7d, a7, b7}, {kpi.WPrev7d, a14, a7}} {
		rows := e.rankKeyed(&e.policies, w.a, w.b)
		if w.name == kpi.W7d {
			v.Top["policy_blocks"] = topEntries(rows, 5)
		}
		for _, r := range topN(rows, e.opt.TopN) {
			v.add(kpi.SPolicyBlocks, r.Count, w.name, r.Name)
		}
	}
	{
		var security float64
		var resolved, resolvedPrev [2]float64 // count, seconds
		for _, k := range sortedKeys(e.incidents) {
			in := e.incidents[k]
			if in.opened != event.NoTime && in.security {
				if s := ceilSec(in.opened); s > a30 && s <= b30 {
					security++
				}
			}
			if in.opened == event.NoTime || in.resolved == event.NoTime || in.resolved < in.opened {
				continue
			}
			secs := float64(in.resolved-in.opened) / 1000
			switch s := ceilSec(in.resolved); {
			case s > a30 && s <= b30:
				resolved[0]++
				resolved[1] += secs
			case s > a60 && s <= a30:
				resolvedPrev[0]++
				resolvedPrev[1] += secs
			}
		}
		v.add(kpi.SSecurityIncidents, security, kpi.W30d)
		v.add(kpi.SIncidentsResolved, resolved[0], kpi.W30d)
		v.add(kpi.SResolutionSeconds, resolved[1], kpi.W30d)
		v.add(kpi.SIncidentsResolved, resolvedPrev[0], kpi.WPrev30)
		v.add(kpi.SResolutionSeconds, resolvedPrev[1], kpi.WPrev30)
	}
	n, _ = e.merges.window(a30, b30)
	v.add(kpi.SMerges, float64(n), kpi.W30d)
	n, _ = e.reverts.window(a30, b30)
	v.add(kpi.SReverts, float64(n), kpi.W30d)
}

// evalCost adds inference cost (by model), routing and circuit breaker trips.
func (e *Engine) evalCost(v *View, w bounds) {
	a7, b7, a14 := w.a7, w.b7, w.a14
	const d = secPerDay
	var n uint64
	var s float64
	// Cost.
	_, s = e.inferenceCost.window(a7, b7)
	v.add(kpi.SInferenceCost, s, kpi.W7d)
	_, s = e.inferenceCost.window(a14, a7)
	v.add(kpi.SInferenceCost, s, kpi.WPrev7d)
	{
		var rows []ranked
		cost := map[string]float64{}
		for _, p := range e.byModel.keys() {
			m := e.byModel.m[p]
			for _, model := range m.keys() {
				n, s := m.m[model].window(a7, b7)
				if n > 0 {
					key := p + "\x00" + model
					cost[key] = s
					rows = append(rows, ranked{key, float64(n)})
				}
			}
		}
		otherCost, hasOther := 0.0, false
		kept := map[string]bool{}
		for _, r := range topN(rows, e.opt.TopN) {
			kept[r.Name] = true
		}
		for _, key := range sortedKeys(cost) {
			c := cost[key]
			if kept[key] {
				p, m := splitKey(key)
				v.add(kpi.SInferenceByModel, c, kpi.W7d, p, m)
			} else {
				otherCost += c
				hasOther = true
			}
		}
		if hasOther {
			v.add(kpi.SInferenceByModel, otherCost, kpi.W7d, OtherLabel, OtherLabel)
		}
	}
	for i, r := range routedValues {
		n, _ := e.routed[i].window(a7, b7)
		v.add(kpi.SInferenceRequests, float64(n), kpi.W7d, r)
	}
	n, _ = e.breakerTrips.window(w.win(d))
	v.add(kpi.SBreakerTrips, float64(n), kpi.W1d)
}

// evalDelivery adds milestones, cycle time, quality gates, deploys, governance and coverage.
func (e *Engine) evalDelivery(v *View, w bounds) {
	now, a7, b7 := w.now, w.a7, w.b7
	const d = secPerDay
	// Delivery.
	for i, h := range milestoneHitVal {
		n, _ := e.milestones[i].window(now-90*d, now)
		v.add(kpi.SMilestonesClosed, float64(n), kpi.W90d, h)
	}
	e.evalSamples(v, &e.cycleTime, kpi.SCycleTime, "cycle_time_p50", now, 30*d)
	for i, r := range gateResults {
		n, _ := e.gates[i].window(a7, b7)
		v.add(kpi.SQualityGateRuns, float64(n), kpi.W7d, r)
	}
	for _, env := range e.deploys.keys() {
		tls := e.deploys.m[env]
		for i, r := range deployResults {
			n, _ := tls[i].window(a7, b7)
			if n > 0 {
				v.add(kpi.SDeploys, float64(n), kpi.W7d, env, r)
			}
		}
	}
	nowMS := now * 1000
	for _, repo := range e.governance.keys() {
		if x, ok := e.governance.m[repo].asOf(nowMS); ok {
			v.add(kpi.SGovernanceScore, x, repo)
		}
	}
	for _, repo := range e.coverage.keys() {
		o := e.coverage.m[repo]
		if x, ok := o.asOf(nowMS); ok {
			v.add(kpi.STestCoverage, x, repo)
		}
		if x, ok := o.asOf(nowMS - 7*d*1000); ok {
			v.add(kpi.STestCoverage7dAgo, x, repo)
		}
	}
}

// evalOwn adds the engine's own series: events ingested, users, dedup ids,
// the counters (live ones from cum) and the newest event.
func (e *Engine) evalOwn(v *View, us *userStats, cum *cumulative) {
	ingested := &e.ingested
	if e.opt.CountersAsOfCheckpoint {
		ingested = &e.committedIngested
	}
	for _, t := range event.Types() {
		if c := ingested[t]; c > 0 {
			v.add(kpi.SEventsIngested, float64(c), t.Stream().String(), t.String())
		}
	}
	v.Users = us.users
	v.DedupIDs = e.dedup.len()
	if e.opt.CountersAsOfCheckpoint {
		e.committed.eval(v)
	} else {
		cum.eval(v)
	}
	v.add(kpi.SEngineUsers, float64(v.Users))
	v.add(kpi.SEngineDedupIDs, float64(v.DedupIDs))
	if e.lastEvent > 0 {
		v.add(kpi.SEngineLastEvent, float64(e.lastEvent)/1000)
	}
}

// sortedKeys keeps evaluation deterministic: the same state gives the same
// view, to the last bit of every float sum.
func sortedKeys[V any](m map[string]V) []string {
	out := make([]string, 0, len(m))
	for k := range m {
		out = append(out, k)
	}
	sort.Strings(out)
	return out
}

func splitKey(k string) (string, string) {
	for i := 0; i < len(k); i++ {
		if k[i] == 0 {
			return k[:i], k[i+1:]
		}
	}
	return k, ""
}

func (e *Engine) rankKeyed(k *keyed[timeline], a, b int64) []ranked {
	var rows []ranked
	for _, name := range k.keys() {
		if n, _ := k.m[name].window(a, b); n > 0 {
			rows = append(rows, ranked{name, float64(n)})
		}
	}
	return rows
}

func topEntries(rows []ranked, n int) []kpi.TopEntry {
	rows = append([]ranked(nil), rows...)
	sort.Slice(rows, func(i, j int) bool {
		if rows[i].Count != rows[j].Count {
			return rows[i].Count > rows[j].Count
		}
		return rows[i].Name < rows[j].Name
	})
	out := []kpi.TopEntry{}
	for _, r := range rows {
		if r.Name == OtherLabel {
			continue
		}
		if len(out) == n {
			break
		}
		out = append(out, kpi.TopEntry{Name: r.Name, Count: r.Count})
	}
	return out
}

// userStats is what the per-user KPI series are made of: counts of users,
// which add up across partitions of the user table, and the times to a
// first outcome, which are concatenated (their histogram and median are
// computed from the sorted union, so the order of the parts does not
// matter).
type userStats struct {
	act1, act7, act30, monthAgo, stickyUsers, newUsers, converted uint64
	setupTry, setupOK, surf, dauSum                               uint64
	r1Cohort, r1Kept, r4Cohort, r4Kept                            uint64
	w1Cohort, w4Cohort                                            int64
	ttfo                                                          []float64
	users                                                         int
}

// merge adds o, the stats of another part of the users, to s.
func (s *userStats) merge(o *userStats) {
	for _, p := range [][2]*uint64{{&s.act1, &o.act1}, {&s.act7, &o.act7}, {&s.act30, &o.act30},
		{&s.monthAgo, &o.monthAgo}, {&s.stickyUsers, &o.stickyUsers}, {&s.newUsers, &o.newUsers},
		{&s.converted, &o.converted}, {&s.setupTry, &o.setupTry}, {&s.setupOK, &o.setupOK},
		{&s.surf, &o.surf}, {&s.dauSum, &o.dauSum}, {&s.r1Cohort, &o.r1Cohort}, {&s.r1Kept, &o.r1Kept},
		{&s.r4Cohort, &o.r4Cohort}, {&s.r4Kept, &o.r4Kept}} {
		*p[0] += *p[1]
	}
	s.ttfo = append(s.ttfo, o.ttfo...)
	s.users += o.users
}

// userStats walks the user table once for every per-user KPI series.
func (e *Engine) userStats(now int64) userStats {
	s := e.pageStats(now, e.users.pages)
	s.engineStats(e, now)
	return s
}

// engineStats adds the per-user series that e keeps as a whole rather
// than per user (the daily active users, the user count) and the cohort
// weeks.
func (s *userStats) engineStats(e *Engine, now int64) {
	today := floorDiv(now, secPerDay)
	for day := today - 7; day < today; day++ {
		s.dauSum += uint64(e.dayActive[day])
	}
	s.users += e.users.len()
	_, s.w1Cohort, s.w4Cohort = cohortWeeks(today)
}

// pageStats is userStats over the users of pages (some of e's), without
// the engineStats: pages can be walked in parallel and their stats merged.
func (e *Engine) pageStats(now int64, pages [][]user) userStats {
	const d = secPerDay
	var act1, act7, act30, monthAgo, stickyUsers, newUsers, converted, setupTry, setupOK, surf uint64
	var r1Cohort, r1Kept, r4Cohort, r4Kept uint64
	today := floorDiv(now, d)
	retainWeek, w1Cohort, w4Cohort := cohortWeeks(today)
	var ttfo []float64
	for _, pg := range pages {
		for i := range pg {
			u := &pg[i]
			if u.firstAct == 0 {
				continue
			}
			last := u.lastAct()
			// lastAct <= now holds for applied events (later ones wait in
			// pending); activeIn keeps the window exact if it does not.
			active := func(w int64) bool {
				if last <= now {
					return last > now-w
				}
				return e.users.activeIn(u, now-w, now)
			}
			a7 := active(7 * d)
			if active(d) {
				act1++
			}
			if a7 {
				act7++
				surf += uint64(e.users.surfacesIn(u, now-7*d, now))
			}
			if active(30 * d) {
				act30++
			}
			if e.users.activeIn(u, now-35*d, now-28*d) {
				monthAgo++
			}
			if e.users.activeOnDays(u, today-7, today) {
				stickyUsers++
			}
			fa := int64(u.firstAct)
			if fa > now-30*d && fa <= now-d {
				newUsers++
				if u.firstOutcome != 0 && int64(u.firstOutcome)-fa <= d {
					converted++
				}
			}
			if fo := int64(u.firstOutcome); fo != 0 && fo > now-30*d && fo <= now {
				ttfo = append(ttfo, float64(fo-fa))
			}
			if t := int64(u.setupTry); t > now-7*d && t <= now {
				setupTry++
				if ok := int64(u.setupOK); ok > now-7*d && ok <= now {
					setupOK++
				}
			}
			// Calendar day of the first activity: the first day record, which
			// is kept for every user whose first activity is within retention
			// (a filing second alone cannot tell 00:00:00.000 from 23:59:59.5).
			fday := floorDiv(fa-1, d)
			if r, ok := e.users.firstDay(u); ok {
				if d0, f0, _ := unpackDay(r); d0*d+f0 == fa {
					fday = d0
				}
			}
			if fday >= w1Cohort && fday < w1Cohort+7 {
				r1Cohort++
				if e.users.activeOnDays(u, retainWeek, retainWeek+7) {
					r1Kept++
				}
			}
			if fday >= w4Cohort && fday < w4Cohort+7 {
				r4Cohort++
				if e.users.activeOnDays(u, retainWeek, retainWeek+7) {
					r4Kept++
				}
			}
		}
	}
	return userStats{act1: act1, act7: act7, act30: act30, monthAgo: monthAgo, stickyUsers: stickyUsers,
		newUsers: newUsers, converted: converted, setupTry: setupTry, setupOK: setupOK, surf: surf,
		r1Cohort: r1Cohort, r1Kept: r1Kept, r4Cohort: r4Cohort, r4Kept: r4Kept, ttfo: ttfo}
}

// cohortWeeks returns the first days of the ISO week before today's (the
// week retention is measured in) and of the cohorts retained one and four
// weeks later in it. Day 0 (1970-01-01) was a Thursday, so Monday-based
// week starts are days congruent to 4 mod 7.
func cohortWeeks(today int64) (retainWeek, w1Cohort, w4Cohort int64) {
	weekStart := today - floorMod(today-4, 7)
	// cohort W = C-2, retained in W+1 = C-1; cohort W = C-5, in W+4 = C-1
	return weekStart - 7, weekStart - 14, weekStart - 35
}

// addTo adds the per-user series to v.
func (s *userStats) addTo(v *View) {
	const d = secPerDay
	act1, act7, act30, monthAgo, stickyUsers := s.act1, s.act7, s.act30, s.monthAgo, s.stickyUsers
	newUsers, converted, setupTry, setupOK, surf, dauSum := s.newUsers, s.converted, s.setupTry, s.setupOK, s.surf, s.dauSum
	r1Cohort, r1Kept, r4Cohort, r4Kept, w1Cohort, w4Cohort := s.r1Cohort, s.r1Kept, s.r4Cohort, s.r4Kept, s.w1Cohort, s.w4Cohort
	ttfo := append([]float64(nil), s.ttfo...)
	v.add(kpi.SActiveUsers, float64(act1), kpi.W1d)
	v.add(kpi.SActiveUsers, float64(act7), kpi.W7d)
	v.add(kpi.SActiveUsers, float64(act30), kpi.W30d)
	v.add(kpi.SActiveUsersMonthAgo, float64(monthAgo))
	v.add(kpi.SStickinessDAUSum, float64(dauSum))
	v.add(kpi.SStickinessUsers, float64(stickyUsers))
	v.add(kpi.SNewUsers, float64(newUsers))
	v.add(kpi.SNewUsersConverted, float64(converted))
	v.add(kpi.SSetupUsers, float64(setupTry), kpi.W7d)
	v.add(kpi.SSetupSucceededUsers, float64(setupOK), kpi.W7d)
	v.add(kpi.SUserSurfacesSum, float64(surf), kpi.W7d)
	v.add(kpi.SRetentionCohort, float64(r1Cohort), "1w")
	v.add(kpi.SRetentionRetained, float64(r1Kept), "1w")
	v.add(kpi.SRetentionCohortStart, float64(w1Cohort*d), "1w")
	v.add(kpi.SRetentionCohort, float64(r4Cohort), "4w")
	v.add(kpi.SRetentionRetained, float64(r4Kept), "4w")
	v.add(kpi.SRetentionCohortStart, float64(w4Cohort*d), "4w")
	sort.Float64s(ttfo)
	if len(ttfo) > 0 {
		v.Exact["time_to_first_outcome_p50"] = exactQuantile(ttfo, 0.5)
		quantileGauges(v, kpi.STimeToFirstOutcomeQ, "", func(q float64) float64 { return exactQuantile(ttfo, q) })
	}
	bucketGauges(v, kpi.STimeToFirstOutcome, "", longBounds, func(b float64) uint64 {
		return uint64(sort.Search(len(ttfo), func(i int) bool { return ttfo[i] > b }))
	}, uint64(len(ttfo)))
}

func floorMod(a, b int64) int64 { return a - floorDiv(a, b)*b }

// evalSamples exports the quantile gauges of the current and previous
// window and the exact medians.
func (e *Engine) evalSamples(v *View, s *samples, series, id string, now, w int64) {
	cur := s.window(now-w, now)
	prev := s.window(now-2*w, now-w)
	sort.Float64s(cur)
	sort.Float64s(prev)
	if len(cur) > 0 {
		v.Exact[id] = exactQuantile(cur, 0.5)
		quantileGauges(v, series, kpi.W30d, func(q float64) float64 { return exactQuantile(cur, q) })
	}
	if len(prev) > 0 {
		v.Exact[id+"@prev"] = exactQuantile(prev, 0.5)
		quantileGauges(v, series, kpi.WPrev30, func(q float64) float64 { return exactQuantile(prev, q) })
	}
}

// bucketGauges exports the cumulative counts of a windowed distribution
// at every bound (ascending; at is called in order) and +Inf: gauges in
// the shape histogram_quantile reads, which shards add up.
func bucketGauges(v *View, series, window string, bounds []float64, at func(float64) uint64, total uint64) {
	add := func(n uint64, le string) {
		if window == "" {
			v.add(series, float64(n), le)
		} else {
			v.add(series, float64(n), window, le)
		}
	}
	for _, b := range bounds {
		add(at(b), FormatBound(b))
	}
	add(total, "+Inf")
}

// quantileGauges exports the kpi.Quantiles of a windowed distribution
// (window "" for a series without the label).
func quantileGauges(v *View, series, window string, at func(float64) float64) {
	for _, qs := range kpi.Quantiles {
		q, _ := strconv.ParseFloat(qs, 64)
		if window == "" {
			v.add(series, at(q), qs)
		} else {
			v.add(series, at(q), window, qs)
		}
	}
}

// evalGateway exports the 1h gateway duration quantiles and the p95 KPI
// from the log buckets: nearest rank, within 0.9% of the exact value.
func (e *Engine) evalGateway(v *View, now int64) {
	type bc struct {
		b int16
		n uint64
	}
	var rows []bc
	var total uint64
	e.gateway.each(func(b int16, tl *timeline) {
		if n, _ := tl.window(now-3600, now); n > 0 {
			rows = append(rows, bc{b, n})
			total += n
		}
	})
	j := 0
	var cum uint64
	bucketGauges(v, kpi.SGatewayDuration, kpi.W1h, latencyBounds, func(bound float64) uint64 {
		// Sketch bucket i has upper bound 2^(i/40); it fits under the
		// exported bound 2^(k/4) when i <= 10k.
		lim := int16(math.Round(math.Log2(bound) * sketchPerOctave))
		for j < len(rows) && rows[j].b <= lim {
			cum += rows[j].n
			j++
		}
		return cum
	}, total)
	if total == 0 {
		return
	}
	at := func(q float64) float64 {
		rank := uint64(math.Ceil(q * float64(total)))
		var c uint64
		for _, r := range rows {
			c += r.n
			if c >= rank {
				return sketchValue(r.b)
			}
		}
		return sketchValue(rows[len(rows)-1].b)
	}
	v.Exact["gateway_latency_p95"] = at(0.95)
	quantileGauges(v, kpi.SGatewayDurationQ, kpi.W1h, at)
}

// evalExternal exports the polled and active sources' snapshots.
func (e *Engine) evalExternal(v *View, now int64) {
	x := &e.external
	if r := x.Registry; r != nil {
		if r.HasScore {
			v.add(kpi.SRegistryScore, r.Score)
		}
		if len(r.Services) > 0 {
			healthy := 0
			for _, s := range r.Services {
				h := 0.0
				if s.Healthy {
					healthy++
					h = 1
				}
				v.add(kpi.SServiceHealthy, h, s.Name)
				if !math.IsNaN(s.LatencySeconds) {
					v.add(kpi.SServiceScanLatency, s.LatencySeconds, s.Name)
				}
			}
			v.add(kpi.SServicesScanned, float64(len(r.Services)))
			v.add(kpi.SServicesHealthy, float64(healthy))
		}
		for _, c := range r.Components {
			v.add(kpi.SComponents, float64(c.Count), c.Status, c.Criticality)
		}
		for _, p := range r.Providers {
			v.add(kpi.SRegistryProviders, 1, p)
		}
		if r.HasBreakers {
			v.add(kpi.SRegistryBreakers, r.CircuitBreakers)
		}
		if !r.LastScan.IsZero() {
			v.add(kpi.SRegistryLastScan, float64(r.LastScan.UnixMilli())/1000)
		}
	}
	for _, b := range x.Budgets {
		v.add(kpi.SBudgetSpent, b.SpentUSD, b.Name)
		if b.CapUSD > 0 {
			v.add(kpi.SBudgetCap, b.CapUSD, b.Name)
		}
	}
	if len(x.Infra) > 0 {
		today := time.Unix(now, 0).UTC()
		first := today.AddDate(0, 0, -29).Format(time.DateOnly)
		last := today.Format(time.DateOnly)
		sum := 0.0
		for _, d := range x.Infra {
			if d.Date >= first && d.Date <= last {
				sum += d.CostUSD
			}
		}
		v.add(kpi.SInfraCost, sum, kpi.W30d)
	}
	for _, p := range x.Probes {
		ok := 0.0
		if p.Success {
			ok = 1
		}
		v.add(kpi.SProbeSuccess, ok, p.Target)
		v.add(kpi.SProbeStatusCode, float64(p.StatusCode), p.Target)
		v.add(kpi.SProbeDuration, p.Duration, p.Target)
		if p.HasCert {
			v.add(kpi.SProbeCertExpiry, float64(p.CertExpiry.Unix()), p.Target)
		}
	}
}

// FormatBound renders a histogram bound as Prometheus does.
func FormatBound(b float64) string { return strconv.FormatFloat(b, 'g', -1, 64) }
