package demo

// A small, deliberately plain reference computation of the KPIs of kpis.md
// over the demo files, used to check that the data says what the scenario
// table promises. It is not the engine: it loads everything into memory and
// recomputes each KPI by brute force.

import (
	"encoding/json"
	"math"
	"slices"
	"strconv"
	"testing"
	"time"

	"go.yaml.in/yaml/v3"
)

const (
	msSecond = int64(1000)
	msHour   = 3600 * msSecond
	msDay    = 24 * msHour
)

// refEvent is one decoded line.
type refEvent struct {
	ms   int64
	typ  string
	id   string
	user string
	m    map[string]any
}

func (e refEvent) s(k string) string {
	v, _ := e.m[k].(string)
	return v
}

func (e refEvent) f(k string) float64 {
	v, ok := e.m[k].(float64)
	if !ok {
		return math.NaN()
	}
	return v
}

func (e refEvent) ts(t *testing.T, k string) int64 {
	ms, ok := parseTS(e.m[k])
	if !ok {
		t.Fatalf("%s %s: bad %s %v", e.typ, e.id, k, e.m[k])
	}
	return ms
}

// parseTS reads the timestamp forms of docs/events.md.
func parseTS(v any) (int64, bool) {
	switch x := v.(type) {
	case string:
		t, err := time.Parse(time.RFC3339Nano, x)
		if err != nil {
			return 0, false
		}
		return t.UnixMilli(), true
	case float64:
		if x > 1e11 {
			return int64(x), true
		}
		return int64(x * 1000), true
	}
	return 0, false
}

// refData is a decoded demo data set.
type refData struct {
	now    int64
	files  map[string][]byte
	events []refEvent // deduplicated, audit + auth + ci, file order
	byType map[string][]refEvent
	// Per JSONL file: unreadable lines, ids seen before in the same file,
	// lines older than one before them, readable lines.
	bad, fileDups, disorder, readable map[string]int
	decoded                           map[string][]map[string]any // every line, nil where unreadable
	dups                              int                         // ids seen before, from any source
	costRecs                          []refEvent                  // cost API records not seen as audit events
	budgets                           []map[string]any
	infra                             []map[string]any
	registry                          map[string]any
	config                            map[string]any
}

func loadRef(t *testing.T, now time.Time, files []File) *refData {
	t.Helper()
	d := &refData{
		now: now.UnixMilli(), files: map[string][]byte{}, byType: map[string][]refEvent{},
		bad: map[string]int{}, fileDups: map[string]int{}, disorder: map[string]int{}, readable: map[string]int{},
		decoded: map[string][]map[string]any{},
	}
	seen := map[string]bool{}
	byName := d.files
	for _, f := range files {
		byName[f.Name] = f.Data
	}
	for _, name := range []string{FileAudit, FileAuth, FileCI} {
		inFile := map[string]bool{}
		var latest int64
		for _, line := range lines(byName[name]) {
			m, ms, ok := decode(line)
			if !ok {
				d.bad[name]++
				d.decoded[name] = append(d.decoded[name], nil)
				continue
			}
			d.decoded[name] = append(d.decoded[name], m)
			d.readable[name]++
			if ms < latest {
				d.disorder[name]++
			}
			latest = max(latest, ms)
			e := refEvent{ms: ms, typ: m["type"].(string), m: m}
			e.id, _ = m["id"].(string)
			e.user, _ = m["user"].(string)
			if e.id == "" {
				t.Errorf("%s: event without id: %s", name, line)
			}
			if inFile[e.id] {
				d.fileDups[name]++
			}
			inFile[e.id] = true
			if seen[e.id] {
				d.dups++
				continue
			}
			seen[e.id] = true
			d.events = append(d.events, e)
			d.byType[e.typ] = append(d.byType[e.typ], e)
		}
	}
	var cost struct {
		Records    []map[string]any `json:"records"`
		NextCursor *string          `json:"next_cursor"`
		Budgets    []map[string]any `json:"budgets"`
		Infra      []map[string]any `json:"infra"`
	}
	if err := json.Unmarshal(byName[FileCost], &cost); err != nil {
		t.Fatalf("cost.json: %v", err)
	}
	if cost.NextCursor == nil || *cost.NextCursor != "" {
		t.Errorf("cost.json: next_cursor = %v, want empty", cost.NextCursor)
	}
	for _, m := range cost.Records {
		ms, ok := parseTS(m["ts"])
		if !ok {
			t.Fatalf("cost record ts %v", m["ts"])
		}
		id, _ := m["id"].(string)
		if seen[id] {
			d.dups++
			continue
		}
		seen[id] = true
		d.costRecs = append(d.costRecs, refEvent{ms: ms, typ: "inference", id: id, m: m})
	}
	d.budgets, d.infra = cost.Budgets, cost.Infra
	if err := json.Unmarshal(byName[FileRegistry], &d.registry); err != nil {
		t.Fatalf("registry.json: %v", err)
	}
	if err := yaml.Unmarshal(byName[FileConfig], &d.config); err != nil {
		t.Fatalf("config.yml: %v", err)
	}
	return d
}

// in reports whether ms lies in the rolling window (now-w, now] shifted
// back by off.
func (d *refData) in(ms, w, off int64) bool { return ms > d.now-off-w && ms <= d.now-off }

func (d *refData) each(typ string, fn func(e refEvent)) {
	for _, e := range d.byType[typ] {
		fn(e)
	}
}

func isActivity(e refEvent) bool {
	return e.user != "" && e.typ != "setup"
}

func (d *refData) activeUsers(from, to int64) map[string]bool { // (from, to]
	out := map[string]bool{}
	for _, e := range d.events {
		if isActivity(e) && e.ms > from && e.ms <= to {
			out[e.user] = true
		}
	}
	return out
}

func verified(e refEvent) bool {
	st := e.s("status")
	return e.typ == "outcome" && (st == "success" || st == "failure") && e.s("receipt") != ""
}

func ratio(num, den int) float64 {
	if den == 0 {
		return math.NaN()
	}
	return float64(num) / float64(den)
}

func median(xs []float64) float64 { return quantileExact(xs, 0.5) }

func quantileExact(xs []float64, q float64) float64 {
	if len(xs) == 0 {
		return math.NaN()
	}
	s := slices.Clone(xs)
	slices.Sort(s)
	pos := q * float64(len(s)-1)
	lo := int(math.Floor(pos))
	hi := int(math.Ceil(pos))
	return s[lo] + (s[hi]-s[lo])*(pos-float64(lo))
}

func mean(xs []float64) float64 {
	if len(xs) == 0 {
		return math.NaN()
	}
	s := 0.0
	for _, x := range xs {
		s += x
	}
	return s / float64(len(xs))
}

// refValue is a recomputed KPI: its value, and for trend KPIs its trend.
type refValue struct {
	value, trend float64
}

// kpis recomputes every KPI it can from the files.
func (d *refData) kpis(t *testing.T) map[string]refValue {
	t.Helper()
	const w7, w30 = 7 * msDay, 30 * msDay
	out := map[string]refValue{}
	set := func(id string, v float64) { out[id] = refValue{value: v, trend: math.NaN()} }
	setTrend := func(id string, v, prev float64) { out[id] = refValue{value: v, trend: v / prev} }

	// Adoption.
	wau := len(d.activeUsers(d.now-w7, d.now))
	set("wau", float64(wau))
	set("dau", float64(len(d.activeUsers(d.now-msDay, d.now))))
	set("wau_growth", float64(wau)/float64(len(d.activeUsers(d.now-28*msDay-w7, d.now-28*msDay)))-1)

	today := d.now - d.now%msDay
	distinct := map[string]bool{}
	dauSum := 0
	for day := today - w7; day < today; day += msDay {
		n := 0
		for u := range d.activeUsers(day-1, day+msDay-1) { // [day, day+1d)
			distinct[u] = true
			n++
		}
		dauSum += n
	}
	set("stickiness", float64(dauSum)/7/float64(len(distinct)))

	firstAct := map[string]int64{}
	firstOut := map[string]int64{}
	for _, e := range sortedByTime(d.events) {
		if isActivity(e) {
			if _, ok := firstAct[e.user]; !ok {
				firstAct[e.user] = e.ms
			}
		}
		if verified(e) && e.user != "" {
			if _, ok := firstOut[e.user]; !ok {
				firstOut[e.user] = e.ms
			}
		}
	}
	var ttfo []float64
	for u, o := range firstOut {
		if d.in(o, w30, 0) {
			ttfo = append(ttfo, float64(o-firstAct[u])/1000)
		}
	}
	set("time_to_first_outcome_p50", median(ttfo))
	newUsers, converted := 0, 0
	for u, a := range firstAct {
		if a > d.now-w30 && a <= d.now-msDay {
			newUsers++
			if o, ok := firstOut[u]; ok && o <= a+msDay {
				converted++
			}
		}
	}
	set("first_outcome_conversion", ratio(converted, newUsers))

	tried, succeeded := map[string]bool{}, map[string]bool{}
	d.each("setup", func(e refEvent) {
		if d.in(e.ms, w7, 0) {
			tried[e.user] = true
			if e.s("result") == "success" {
				succeeded[e.user] = true
			}
		}
	})
	set("setup_success", ratio(len(succeeded), len(tried)))

	for _, k := range []int64{1, 4} {
		week := 7 * msDay
		cohortStart := weekStart(d.now) - (k+1)*week
		cohort, retained := 0, 0
		active := d.activeUsers(cohortStart+k*week-1, cohortStart+(k+1)*week-1)
		for u, a := range firstAct {
			if a >= cohortStart && a < cohortStart+week {
				cohort++
				if active[u] {
					retained++
				}
			}
		}
		if cohort < 20 {
			t.Errorf("retention_w%d: cohort of %d users, want >= 20", k, cohort)
		}
		set("retention_w"+strconv.Itoa(int(k)), ratio(retained, cohort))
	}

	surfaces := map[string]map[string]bool{}
	d.each("session_start", func(e refEvent) {
		if d.in(e.ms, w7, 0) {
			if surfaces[e.user] == nil {
				surfaces[e.user] = map[string]bool{}
			}
			surfaces[e.user][e.s("surface")] = true
		}
	})
	sum := 0
	for _, s := range surfaces {
		sum += len(s)
	}
	set("surfaces_per_user", ratio(sum, wau))

	// Outcomes.
	okOutcomes := func(off int64) int {
		n := 0
		d.each("outcome", func(e refEvent) {
			if verified(e) && e.s("status") == "success" && d.in(e.ms, w7, off) {
				n++
			}
		})
		return n
	}
	ver := 0
	d.each("outcome", func(e refEvent) {
		if verified(e) && d.in(e.ms, w7, 0) {
			ver++
		}
	})
	set("north_star", ratio(okOutcomes(0), wau))
	set("outcomes_per_user", ratio(okOutcomes(0), wau))
	set("workflow_success", ratio(okOutcomes(0), ver))

	runs, promoted, arenaCost := 0, 0, 0.0
	d.each("arena_run", func(e refEvent) {
		if d.in(e.ms, w7, 0) {
			runs++
			arenaCost += e.f("cost_usd")
			if e.s("result") == "promoted" {
				promoted++
			}
		}
	})
	set("arena_promotion", ratio(promoted, runs))
	set("arena_run_cost", arenaCost/float64(runs))
	var conf []float64
	d.each("consensus", func(e refEvent) {
		if d.in(e.ms, w7, 0) {
			conf = append(conf, e.f("confidence"))
		}
	})
	set("consensus_confidence", mean(conf))

	accepted := map[string]int64{}
	d.each("change_accepted", func(e refEvent) { accepted[e.s("change")] = e.ms })
	fixLoop := func(off int64) float64 {
		var xs []float64
		d.each("change_reverted", func(e refEvent) {
			if a, ok := accepted[e.s("change")]; ok && d.in(e.ms, w30, off) {
				xs = append(xs, float64(e.ms-a)/1000)
			}
		})
		return median(xs)
	}
	setTrend("fix_loop_p50", fixLoop(0), fixLoop(w30))

	// Trust.
	calls, okCalls := 0, 0
	d.each("tool_call", func(e refEvent) {
		if d.in(e.ms, w7, 0) {
			calls++
			if e.s("status") == "success" {
				okCalls++
			}
		}
	})
	set("tool_call_success", ratio(okCalls, calls))
	actions, receipted := 0, 0
	for _, e := range d.events {
		if (e.typ == "tool_call" || e.typ == "outcome" || e.typ == "approval") && d.in(e.ms, w7, 0) {
			actions++
			if e.s("receipt") != "" {
				receipted++
			}
		}
	}
	set("audit_completeness", ratio(receipted, actions))
	blocks := func(off int64) int {
		n := 0
		d.each("policy_block", func(e refEvent) {
			if d.in(e.ms, w7, off) {
				n++
			}
		})
		return n
	}
	setTrend("policy_blocks", float64(blocks(0)), float64(blocks(w7)))
	security := 0
	opened := map[string]int64{}
	d.each("incident_opened", func(e refEvent) {
		opened[e.s("incident")] = e.ms
		if sec, _ := e.m["security"].(bool); sec && d.in(e.ms, w30, 0) {
			security++
		}
	})
	set("security_incidents", float64(security))
	mttr := func(off int64) float64 {
		var xs []float64
		d.each("incident_resolved", func(e refEvent) {
			if o, ok := opened[e.s("incident")]; ok && d.in(e.ms, w30, off) {
				xs = append(xs, float64(e.ms-o)/1000)
			}
		})
		return mean(xs)
	}
	setTrend("mttr", mttr(0), mttr(w30))
	count30 := func(typ string) int {
		n := 0
		d.each(typ, func(e refEvent) {
			if d.in(e.ms, w30, 0) {
				n++
			}
		})
		return n
	}
	set("rollback_rate", ratio(count30("revert"), count30("merge")))

	// Cost.
	inference := append(slices.Clone(d.costRecs), d.byType["inference"]...)
	costPerOutcome := func(off int64) float64 {
		c := 0.0
		for _, e := range inference {
			if d.in(e.ms, w7, off) {
				c += e.f("cost_usd")
			}
		}
		return c / float64(okOutcomes(off))
	}
	setTrend("cost_per_outcome", costPerOutcome(0), costPerOutcome(w7))
	infra := 0.0
	for _, x := range d.infra[len(d.infra)-30:] {
		infra += x["cost_usd"].(float64)
	}
	if last := d.infra[len(d.infra)-1]["date"]; last != time.UnixMilli(d.now).UTC().Format(time.DateOnly) {
		t.Errorf("infra series ends on %v, want today", last)
	}
	set("infra_cost_per_user", infra/float64(len(d.activeUsers(d.now-w30, d.now))))
	routed, cheaper := 0, 0
	for _, e := range inference {
		if r := e.s("routed"); r != "" && d.in(e.ms, w7, 0) {
			routed++
			if r == "cheaper" {
				cheaper++
			}
		}
	}
	set("routing_efficiency", ratio(cheaper, routed))
	util := 0.0
	for _, b := range d.budgets {
		util = math.Max(util, b["spent_usd"].(float64)/b["cap_usd"].(float64))
	}
	set("budget_utilization", util)

	// Platform.
	set("registry_score", d.registry["overallSystemScore"].(float64)*100)
	healthy, services := 0, 0
	for _, s := range d.registry["services"].([]any) {
		services++
		if s.(map[string]any)["lastScanHealthy"] == true {
			healthy++
		}
	}
	set("services_healthy", ratio(healthy, services))
	var lat []float64
	d.each("tool_call", func(e refEvent) {
		if d.in(e.ms, msHour, 0) {
			lat = append(lat, e.f("duration_ms")/1000)
		}
	})
	if len(lat) < 20 {
		t.Errorf("only %d tool calls in the last hour", len(lat))
	}
	set("gateway_latency_p95", quantileExact(lat, 0.95))
	trips := 0
	d.each("circuit_breaker", func(e refEvent) {
		if e.s("state") == "open" && d.in(e.ms, msDay, 0) {
			trips++
		}
	})
	set("circuit_breaker_trips", float64(trips))

	// Delivery.
	closed, hit := 0, 0
	d.each("milestone_closed", func(e refEvent) {
		if d.in(e.ms, 90*msDay, 0) {
			closed++
			if e.ms <= e.ts(t, "due") {
				hit++
			}
		}
	})
	set("milestones_hit", ratio(hit, closed))
	cycle := func(off int64) float64 {
		var xs []float64
		d.each("shipped", func(e refEvent) {
			if d.in(e.ms, w30, off) {
				xs = append(xs, float64(e.ms-e.ts(t, "opened_at"))/1000)
			}
		})
		return median(xs)
	}
	setTrend("cycle_time_p50", cycle(0), cycle(w30))
	gates, passed := 0, 0
	d.each("quality_gate", func(e refEvent) {
		if d.in(e.ms, w7, 0) {
			gates++
			if e.s("result") == "pass" {
				passed++
			}
		}
	})
	set("quality_gate_pass", ratio(passed, gates))
	latest := func(typ, key string, asOf int64) map[string]float64 {
		out := map[string]float64{}
		for _, e := range sortedByTime(d.byType[typ]) {
			if e.ms <= asOf {
				out[e.s("repo")] = e.f(key)
			}
		}
		return out
	}
	gov := math.Inf(1)
	for _, v := range latest("governance", "score", d.now) {
		gov = math.Min(gov, v)
	}
	set("governance_score", gov)
	meanOf := func(m map[string]float64) float64 {
		var xs []float64
		for _, v := range m {
			xs = append(xs, v)
		}
		return mean(xs)
	}
	setTrend("test_coverage", meanOf(latest("coverage", "ratio", d.now)), meanOf(latest("coverage", "ratio", d.now-w7)))
	return out
}

func sortedByTime(es []refEvent) []refEvent {
	s := slices.Clone(es)
	slices.SortStableFunc(s, func(a, b refEvent) int { return cmpInt64(a.ms, b.ms) })
	return s
}
