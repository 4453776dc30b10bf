package engine

import (
	"fmt"
	"math"
	"math/rand/v2"
	"sort"
	"testing"
	"time"

	"github.com/heady/heady-metrics/exporter/event"
	"github.com/heady/heady-metrics/kpi"
)

// The oracle computes each KPI of kpis.md the slow, obvious way: straight
// from the list of events, with time.Time arithmetic. The engine must agree
// with it exactly (quantiles: to their stated tolerance) on random data.

type oracle struct {
	now    time.Time
	events []event.Event
}

func (o *oracle) in(ev event.Event, w time.Duration) bool {
	t := time.UnixMilli(ev.Time)
	return t.After(o.now.Add(-w)) && !t.After(o.now)
}

func (o *oracle) inRange(ev event.Event, from, to time.Time) bool {
	t := time.UnixMilli(ev.Time)
	return t.After(from) && !t.After(to)
}

func oActivates(ev event.Event) bool {
	if ev.User == "" {
		return false
	}
	return ev.Type == event.TypeSignup || ev.Type == event.TypeSessionStart || ev.Type.Stream() == event.StreamAudit
}

func (o *oracle) activeUsers(from, to time.Time) map[string]bool {
	m := map[string]bool{}
	for _, ev := range o.events {
		if oActivates(ev) && o.inRange(ev, from, to) {
			m[ev.User] = true
		}
	}
	return m
}

func ratioOf(num, den float64) (float64, bool) {
	if den == 0 {
		return 0, false
	}
	return num / den, true
}

func median(v []float64) (float64, bool) {
	if len(v) == 0 {
		return 0, false
	}
	sort.Float64s(v)
	n := len(v)
	if n%2 == 1 {
		return v[n/2], true
	}
	return (v[n/2-1] + v[n/2]) / 2, true
}

func (o *oracle) kpis() map[string]struct {
	v  float64
	ok bool
} {
	out := map[string]struct {
		v  float64
		ok bool
	}{}
	set := func(id string, v float64, ok bool) {
		out[id] = struct {
			v  float64
			ok bool
		}{v, ok}
	}
	now := o.now
	day := 24 * time.Hour
	wau := o.activeUsers(now.Add(-7*day), now)
	dau := o.activeUsers(now.Add(-day), now)
	mau := o.activeUsers(now.Add(-30*day), now)
	wauAgo := o.activeUsers(now.Add(-35*day), now.Add(-28*day))
	set("wau", float64(len(wau)), true)
	set("dau", float64(len(dau)), true)
	infraUsers = len(mau)
	g, ok := ratioOf(float64(len(wau)), float64(len(wauAgo)))
	set("wau_growth", g-1, ok)

	// stickiness over the last 7 complete UTC days
	today := now.Truncate(day)
	var dauSum float64
	sticky := map[string]bool{}
	for i := 7; i >= 1; i-- {
		from := today.Add(-time.Duration(i) * day)
		users := map[string]bool{}
		for _, ev := range o.events {
			t := time.UnixMilli(ev.Time)
			if oActivates(ev) && !t.Before(from) && t.Before(from.Add(day)) {
				users[ev.User] = true
				sticky[ev.User] = true
			}
		}
		dauSum += float64(len(users))
	}
	s, ok := ratioOf(dauSum/7, float64(len(sticky)))
	set("stickiness", s, ok)

	// firsts
	firstAct := map[string]int64{}
	firstOut := map[string]int64{}
	for _, ev := range o.events {
		if !oActivates(ev) || ev.Time > now.UnixMilli() {
			continue
		}
		if f, ok := firstAct[ev.User]; !ok || ev.Time < f {
			firstAct[ev.User] = ev.Time
		}
		if ev.Type == event.TypeOutcome && ev.Receipt != "" && (ev.Status == "success" || ev.Status == "failure") {
			if f, ok := firstOut[ev.User]; !ok || ev.Time < f {
				firstOut[ev.User] = ev.Time
			}
		}
	}
	var ttfo []float64
	var newUsers, converted float64
	for u, fa := range firstAct {
		if fo, ok := firstOut[u]; ok && o.inRange(event.Event{Time: fo}, now.Add(-30*day), now) {
			ttfo = append(ttfo, float64(ceilSec(fo)-ceilSec(fa)))
		}
		if o.inRange(event.Event{Time: fa}, now.Add(-30*day), now.Add(-day)) {
			newUsers++
			if fo, ok := firstOut[u]; ok && ceilSec(fo)-ceilSec(fa) <= 86400 {
				converted++
			}
		}
	}
	m, ok := median(ttfo)
	set("time_to_first_outcome_p50", m, ok)
	c, ok := ratioOf(converted, newUsers)
	set("first_outcome_conversion", c, ok)

	// setup
	tried, succeeded := map[string]bool{}, map[string]bool{}
	for _, ev := range o.events {
		if ev.Type == event.TypeSetup && ev.User != "" && o.in(ev, 7*day) {
			tried[ev.User] = true
			if ev.Status == "success" {
				succeeded[ev.User] = true
			}
		}
	}
	ss, ok := ratioOf(float64(len(succeeded)), float64(len(tried)))
	set("setup_success", ss, ok)

	// retention
	wd := (int(today.Weekday()) + 6) % 7 // Monday = 0
	curWeek := today.Add(-time.Duration(wd) * day)
	for _, h := range []struct {
		id string
		k  int
	}{{"retention_w1", 1}, {"retention_w4", 4}} {
		cohortStart := curWeek.Add(-time.Duration(h.k+1) * 7 * day)
		retStart := cohortStart.Add(time.Duration(h.k) * 7 * day)
		var cohort, kept float64
		for u, fa := range firstAct {
			t := time.UnixMilli(fa)
			if t.Before(cohortStart) || !t.Before(cohortStart.Add(7*day)) {
				continue
			}
			cohort++
			for _, ev := range o.events {
				et := time.UnixMilli(ev.Time)
				if oActivates(ev) && ev.User == u && !et.Before(retStart) && et.Before(retStart.Add(7*day)) {
					kept++
					break
				}
			}
		}
		r, ok := ratioOf(kept, cohort)
		set(h.id, r, ok)
	}

	// surfaces per user
	surf := map[string]map[string]bool{}
	for _, ev := range o.events {
		if ev.Type == event.TypeSessionStart && ev.Surface != "" && o.in(ev, 7*day) {
			if surf[ev.User] == nil {
				surf[ev.User] = map[string]bool{}
			}
			surf[ev.User][ev.Surface] = true
		}
	}
	var surfSum float64
	for u := range wau {
		surfSum += float64(len(surf[u]))
	}
	sp, ok := ratioOf(surfSum, float64(len(wau)))
	set("surfaces_per_user", sp, ok)

	// outcomes
	var vs, vf, vsPrev float64
	for _, ev := range o.events {
		if ev.Type == event.TypeOutcome && ev.Receipt != "" {
			if o.in(ev, 7*day) {
				switch ev.Status {
				case "success":
					vs++
				case "failure":
					vf++
				}
			} else if ev.Status == "success" && o.inRange(ev, now.Add(-14*day), now.Add(-7*day)) {
				vsPrev++
			}
		}
	}
	ns, ok := ratioOf(vs, float64(len(wau)))
	set("north_star", ns, ok)
	set("outcomes_per_user", ns, ok)
	ws, ok := ratioOf(vs, vs+vf)
	set("workflow_success", ws, ok)

	count := func(t event.Type, w time.Duration, pred func(event.Event) bool) (n, sum float64) {
		for _, ev := range o.events {
			if ev.Type == t && o.in(ev, w) && (pred == nil || pred(ev)) {
				n++
				if !math.IsNaN(ev.CostUSD) {
					sum += ev.CostUSD
				}
			}
		}
		return
	}
	promoted, _ := count(event.TypeArenaRun, 7*day, func(e event.Event) bool { return e.Status == "promoted" })
	runs, arenaCost := count(event.TypeArenaRun, 7*day, nil)
	ap, ok := ratioOf(promoted, runs)
	set("arena_promotion", ap, ok)
	ac, ok := ratioOf(arenaCost, runs)
	set("arena_run_cost", ac, ok)

	var confN, confSum float64
	for _, ev := range o.events {
		if ev.Type == event.TypeConsensus && !math.IsNaN(ev.Confidence) && o.in(ev, 7*day) {
			confN++
			// The engine sums values to the billionth (timeline.go units).
			confSum += math.Round(ev.Confidence*1e9) / 1e9
		}
	}
	cc, ok := ratioOf(confSum, confN)
	set("consensus_confidence", cc, ok)

	okCalls, _ := count(event.TypeToolCall, 7*day, func(e event.Event) bool { return e.Status == "success" })
	calls, _ := count(event.TypeToolCall, 7*day, nil)
	tcs, ok := ratioOf(okCalls, calls)
	set("tool_call_success", tcs, ok)

	var actions, withReceipt float64
	for _, ev := range o.events {
		if (ev.Type == event.TypeToolCall || ev.Type == event.TypeOutcome || ev.Type == event.TypeApproval) && o.in(ev, 7*day) {
			actions++
			if ev.Receipt != "" {
				withReceipt++
			}
		}
	}
	acomp, ok := ratioOf(withReceipt, actions)
	set("audit_completeness", acomp, ok)
	pb, _ := count(event.TypePolicyBlock, 7*day, nil)
	set("policy_blocks", pb, true)

	merges, _ := count(event.TypeMerge, 30*day, nil)
	reverts, _ := count(event.TypeRevert, 30*day, nil)
	rr, ok := ratioOf(reverts, merges)
	set("rollback_rate", rr, ok)

	var cost7, costPrev float64
	var cheaper, routed float64
	for _, ev := range o.events {
		if ev.Type != event.TypeInference {
			continue
		}
		cst := ev.CostUSD
		if math.IsNaN(cst) {
			cst = 0
		}
		if o.in(ev, 7*day) {
			cost7 += cst
			switch ev.Routed {
			case "cheaper":
				cheaper++
				routed++
			case "default", "fallback":
				routed++
			}
		} else if o.inRange(ev, now.Add(-14*day), now.Add(-7*day)) {
			costPrev += cst
		}
	}
	cpo, ok := ratioOf(cost7, vs)
	set("cost_per_outcome", cpo, ok)
	re, ok := ratioOf(cheaper, routed)
	set("routing_efficiency", re, ok)

	trips, _ := count(event.TypeCircuitBreaker, day, func(e event.Event) bool { return e.Status == "open" })
	set("circuit_breaker_trips", trips, true)
	pass, _ := count(event.TypeQualityGate, 7*day, func(e event.Event) bool { return e.Status == "pass" })
	gates, _ := count(event.TypeQualityGate, 7*day, nil)
	qg, ok := ratioOf(pass, gates)
	set("quality_gate_pass", qg, ok)
	hit, _ := count(event.TypeMilestoneClosed, 90*day, func(e event.Event) bool { return e.Due != event.NoTime && e.Time <= e.Due })
	closed, _ := count(event.TypeMilestoneClosed, 90*day, nil)
	mh, ok := ratioOf(hit, closed)
	set("milestones_hit", mh, ok)

	// changes: earliest acceptance to earliest revert; incidents: earliest
	// opening (security if any opening says so) to earliest resolution.
	accepted, reverted := map[string]int64{}, map[string]int64{}
	opened, resolved := map[string]int64{}, map[string]int64{}
	security := map[string]bool{}
	earliest := func(m map[string]int64, k string, t int64) {
		if x, ok := m[k]; !ok || t < x {
			m[k] = t
		}
	}
	for _, ev := range o.events {
		switch ev.Type {
		case event.TypeChangeAccepted:
			earliest(accepted, ev.Change, ev.Time)
		case event.TypeChangeReverted:
			earliest(reverted, ev.Change, ev.Time)
		case event.TypeIncidentOpened:
			earliest(opened, ev.Incident, ev.Time)
			security[ev.Incident] = security[ev.Incident] || ev.Security
		case event.TypeIncidentResolved:
			earliest(resolved, ev.Incident, ev.Time)
		}
	}
	var fix []float64
	for c, rt := range reverted {
		if a, ok := accepted[c]; ok && a <= rt && o.in(event.Event{Time: rt}, 30*day) {
			fix = append(fix, float64(rt-a)/1000)
		}
	}
	fm, ok := median(fix)
	set("fix_loop_p50", fm, ok)
	var sec float64
	for i, op := range opened {
		if security[i] && o.in(event.Event{Time: op}, 30*day) {
			sec++
		}
	}
	set("security_incidents", sec, true)
	var ttr []float64
	for i, rt := range resolved {
		if op, ok := opened[i]; ok && op <= rt && o.in(event.Event{Time: rt}, 30*day) {
			ttr = append(ttr, float64(rt-op)/1000)
		}
	}
	var ttrSum float64
	for _, x := range ttr {
		ttrSum += x
	}
	mt, ok := ratioOf(ttrSum, float64(len(ttr)))
	set("mttr", mt, ok)

	var cyc []float64
	for _, ev := range o.events {
		if ev.Type == event.TypeShipped && ev.OpenedAt != event.NoTime && o.in(ev, 30*day) {
			cyc = append(cyc, float64(ev.Time-ev.OpenedAt)/1000)
		}
	}
	cm, ok := median(cyc)
	set("cycle_time_p50", cm, ok)

	// gateway p95 over 1h (nearest rank)
	var durs []float64
	for _, ev := range o.events {
		if ev.Type == event.TypeToolCall && !math.IsNaN(ev.DurationMS) && o.in(ev, time.Hour) {
			durs = append(durs, ev.DurationMS/1000)
		}
	}
	if len(durs) > 0 {
		sort.Float64s(durs)
		rank := int(math.Ceil(0.95*float64(len(durs)))) - 1
		set("gateway_latency_p95", durs[rank], true)
	} else {
		set("gateway_latency_p95", 0, false)
	}
	return out
}

// infraUsers is the oracle's MAU, checked against the engine's 30d series.
var infraUsers int

var (
	surfacesPool  = []string{"web", "ide", "cli", "slack", "mobile"}
	toolsPool     = []string{"github.create_pr", "search", "deploy", "shell", "jira"}
	workflowsPool = []string{"triage", "release", "refactor", "onboard", "report", "review", "ship"}
)

// randomEvents makes n events over the 100 days before now (some of them
// slightly after now, a few exactly on window boundaries).
func randomEvents(r *rand.Rand, now time.Time, n, users int) []event.Event {
	var out []event.Event
	boundaries := []time.Duration{time.Hour, 24 * time.Hour, 7 * 24 * time.Hour, 14 * 24 * time.Hour, 28 * 24 * time.Hour,
		30 * 24 * time.Hour, 35 * 24 * time.Hour, 60 * 24 * time.Hour, 90 * 24 * time.Hour}
	for i := 0; i < n; i++ {
		var ev event.Event
		ev.Reset()
		var t time.Time
		switch r.IntN(10) {
		case 0:
			// on a boundary, or a millisecond either side of it
			b := boundaries[r.IntN(len(boundaries))]
			t = now.Add(-b).Add(time.Duration(r.IntN(3)-1) * time.Millisecond)
		case 1:
			t = now.Add(time.Duration(r.IntN(600)) * time.Second) // future
		default:
			t = now.Add(-time.Duration(r.Int64N(int64(100 * 24 * time.Hour))))
		}
		ev.Time = t.UnixMilli()
		ev.User = fmt.Sprintf("u%d", r.IntN(users))
		types := event.Types()
		ev.Type = types[r.IntN(len(types))]
		pick := func(s []string) string { return s[r.IntN(len(s))] }
		switch ev.Type {
		case event.TypeSessionStart:
			ev.Surface = pick(surfacesPool)
		case event.TypeSetup:
			ev.Status = pick([]string{"success", "failure"})
		case event.TypeToolCall:
			ev.Tool = pick(toolsPool)
			ev.Status = pick([]string{"success", "success", "success", "error", "denied"})
			ev.DurationMS = float64(r.IntN(2000))
			if r.IntN(10) > 0 {
				ev.Receipt = fmt.Sprintf("r%d", i)
			}
		case event.TypeOutcome:
			ev.Workflow = pick(workflowsPool)
			ev.Status = pick([]string{"success", "success", "failure", "unknown"})
			if r.IntN(10) > 0 {
				ev.Receipt = fmt.Sprintf("r%d", i)
			}
		case event.TypeApproval:
			ev.Status = "approved"
			ev.Receipt = fmt.Sprintf("r%d", i)
		case event.TypePolicyBlock:
			ev.Policy = pick([]string{"p1", "p2"})
		case event.TypeArenaRun:
			ev.User = ""
			ev.Status = pick([]string{"promoted", "rejected", "failed"})
			ev.CostUSD = float64(r.IntN(100)) / 100
		case event.TypeConsensus:
			ev.User = ""
			ev.Confidence = r.Float64()
		case event.TypeChangeAccepted, event.TypeChangeReverted:
			ev.Change = fmt.Sprintf("c%d", r.IntN(n/20+1))
			if ev.Type == event.TypeChangeReverted {
				ev.User = ""
			}
		case event.TypeCircuitBreaker:
			ev.User = ""
			ev.Status = pick([]string{"open", "closed", "half_open"})
		case event.TypeInference:
			ev.CostUSD = float64(r.IntN(1000)) / 1000
			ev.Routed = pick([]string{"cheaper", "default", "fallback", ""})
			ev.Provider, ev.Model = "anthropic", pick([]string{"haiku", "sonnet"})
		default:
			if ev.Type.Stream() == event.StreamCI {
				ev.User = ""
			}
		}
		switch ev.Type {
		case event.TypeQualityGate:
			ev.Status = pick([]string{"pass", "pass", "fail"})
			ev.Repo = pick([]string{"a", "b"})
		case event.TypeShipped:
			ev.OpenedAt = ev.Time - r.Int64N(int64(20*24*time.Hour/time.Millisecond))
		case event.TypeIncidentOpened, event.TypeIncidentResolved:
			ev.Incident = fmt.Sprintf("i%d", r.IntN(n/30+1))
			ev.Security = r.IntN(3) == 0
		case event.TypeMilestoneClosed:
			ev.Due = ev.Time + r.Int64N(int64(10*24*time.Hour/time.Millisecond)) - int64(5*24*time.Hour/time.Millisecond)
		}
		out = append(out, ev)
	}
	return out
}

// kpiEngine is what the oracle test drives: an Engine, or a Partitioned
// one.
type kpiEngine interface {
	Advance(int64)
	Apply(*event.Event) Result
	Prune()
	Evaluate(int64) *View
}

// withRepeatedIDs gives every other event an id, as sources do, and appends
// copies of some of them: an id is counted once within the dedup horizon
// (kpis.md: at least 7 days), so copies are made of events of the last 7
// days (and the next 10 minutes) only. About half the copies are of events
// without an id, which count each time.
func withRepeatedIDs(r *rand.Rand, now time.Time, evs []event.Event) []event.Event {
	for i := range evs {
		if i%2 == 0 {
			evs[i].ID = fmt.Sprintf("id-%d", i)
		}
	}
	var recent []event.Event
	for _, ev := range evs {
		if time.UnixMilli(ev.Time).After(now.Add(-7 * 24 * time.Hour)) {
			recent = append(recent, ev)
		}
	}
	for i := 0; i < 400 && len(recent) > 0; i++ {
		evs = append(evs, recent[r.IntN(len(recent))])
	}
	return evs
}

func TestEngineMatchesOracle(t *testing.T) {
	for seed := uint64(1); seed <= 8; seed++ {
		t.Run(fmt.Sprint(seed), func(t *testing.T) {
			// Seeds 7 and 8 run a partitioned engine (3 partitions).
			var e kpiEngine = New(Options{})
			if seed > 6 {
				e = NewPartitioned(Options{Partitions: 3})
			}
			r := rand.New(rand.NewPCG(seed, 99))
			now := time.Date(2026, 11, 20, 13, 37, 11, 0, time.UTC)
			if seed%2 == 0 {
				now = time.Date(2026, 11, 23, 0, 0, 0, 0, time.UTC) // a Monday, midnight
			}
			evs := withRepeatedIDs(r, now, randomEvents(r, now, 6000, 120))
			// Shuffle: arrival order must not matter.
			r.Shuffle(len(evs), func(i, j int) { evs[i], evs[j] = evs[j], evs[i] })
			e.Advance(now.UnixMilli())
			// The oracle decides on its own which events count: not those
			// more than 5 minutes ahead, nor a second copy of an id.
			var applied []event.Event
			seenIDs := map[string]bool{}
			results := map[Result]int{}
			for i := range evs {
				ev := evs[i]
				want := Applied
				switch {
				case time.UnixMilli(ev.Time).After(now.Add(5 * time.Minute)):
					want = Future
				case ev.ID != "" && seenIDs[ev.ID]:
					want = Duplicate
				case time.UnixMilli(ev.Time).After(now):
					want = Pending
				}
				if want != Future && ev.ID != "" {
					seenIDs[ev.ID] = true
				}
				if want == Applied {
					applied = append(applied, evs[i])
				}
				results[want]++
				if got := e.Apply(&ev); got != want {
					t.Errorf("event %d (id %q, at %s): engine %v, oracle %v", i, ev.ID, time.UnixMilli(ev.Time).UTC(), got, want)
				}
				if i%1000 == 999 {
					// Pruning and sealing now and then, with late events
					// landing in sealed hours after it, change nothing.
					e.Prune()
				}
			}
			e.Prune()
			if results[Duplicate] < 100 || results[Future] == 0 || results[Pending] == 0 {
				t.Fatalf("the input does not exercise repeated ids and future events: %v", results)
			}
			o := &oracle{now: now, events: applied}
			want := o.kpis()
			v := e.Evaluate(now.UnixMilli())
			got := map[string]kpi.Result{}
			for _, res := range kpi.Evaluate(kpi.Input{Samples: v.Samples, Exact: v.Exact, Top: v.Top}) {
				got[res.KPI.ID] = res
			}
			for _, sm := range v.Samples {
				if sm.Name == kpi.SActiveUsers && sm.LabelValues[0] == kpi.W30d && int(sm.Value) != infraUsers {
					t.Errorf("active users 30d: engine %v, oracle %d", sm.Value, infraUsers)
				}
			}
			for id, w := range want {
				g, ok := got[id]
				if !ok {
					t.Errorf("%s: engine has no such KPI", id)
					continue
				}
				if g.HasValue != w.ok {
					t.Errorf("%s: has value %v, oracle %v (%v)", id, g.HasValue, w.ok, w.v)
					continue
				}
				tol := 1e-9 * math.Max(1, math.Abs(w.v))
				if id == "gateway_latency_p95" {
					tol = 0.01 * w.v // log buckets: within 1%
				}
				if w.ok && math.Abs(g.Value-w.v) > tol {
					t.Errorf("%s: engine %v, oracle %v", id, g.Value, w.v)
				}
			}
		})
	}
}
