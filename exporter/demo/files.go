package demo

import (
	"encoding/json"
	"fmt"
	"math"
	"slices"
	"strings"
	"time"

	"github.com/heady/heady-metrics/kpi"
)

// defect is a deliberately unreadable line: the exporter must count and
// skip it. %s in text is replaced by a nearby timestamp.
type defect struct {
	file string
	text string
	why  string
}

func defects() []defect {
	return []defect{
		{FileAudit, `{"ts":"%s","type":"tool_call","id":"evt-truncated","user":"user-0001","tool":"fs.re`, "truncated JSON"},
		{FileAudit, `{"ts":"%s","type":"heartbeat","id":"evt-heartbeat","service":"heady-gateway"}`, "unknown type"},
		{FileAuth, `{"type":"session_start","id":"auth-no-ts","user":"user-0001","surface":"web"}`, "missing ts"},
		{FileCI, `{"ts":"last tuesday","type":"merge","id":"ci-bad-ts","repo":"heady-core","change":"chg-x"}`, "unparsable ts"},
		{FileCI, `["merge","heady-core","chg-y"]`, "not an object"},
	}
}

// badLines is the number of deliberately unreadable lines in file.
func badLines(file string) int {
	n := 0
	for _, d := range defects() {
		if d.file == file {
			n++
		}
	}
	return n
}

const (
	noiseDisorder   = 8 // records per stream moved later than their time
	noiseDuplicates = 5 // records per stream written twice
)

// finish sorts a stream and adds the imperfections of real logs: a few
// other timestamp forms, out-of-order and duplicated lines, and the
// stream's deliberately bad lines.
func finish(r *rng, file string, rs []rec, formEvery int, form tsForm) []rec {
	sortRecs(rs)
	for i := formEvery / 2; i < len(rs); i += formEvery {
		rs[i].form = form
	}
	for range noiseDisorder { // delivered late: moved a few lines down
		i := r.intn(len(rs) - 50)
		x := rs[i]
		j := i + 3 + r.intn(40)
		copy(rs[i:j], rs[i+1:j+1])
		rs[j] = x
	}
	for range noiseDuplicates { // delivered twice
		i := r.intn(len(rs) - 50)
		rs = slices.Insert(rs, i+1+r.intn(20), rs[i])
	}
	bad := 0
	for _, d := range defects() {
		if d.file != file {
			continue
		}
		bad++
		i := len(rs) * bad / (badLines(file) + 1)
		text := d.text
		if strings.Contains(text, "%s") {
			text = fmt.Sprintf(text, formatTS(rs[i].ms))
		}
		rs = slices.Insert(rs, i, rec{raw: text, ms: rs[i].ms})
	}
	return rs
}

// files renders the data set.
func (g *gen) files() ([]File, error) {
	r := g.rnd(streamNoise)
	counts := map[string]int{}
	for _, s := range [][]rec{g.audit, g.auth, g.ci} {
		for _, x := range s {
			counts[x.typ]++
		}
	}
	users30, inference30, arena30 := g.thirtyDays()
	g.batchCosts()

	audit := encodeJSONL(finish(r, FileAudit, g.audit, 1999, tsOffset))
	auth := encodeJSONL(finish(r, FileAuth, g.auth, 997, tsEpochMS))
	ci := encodeJSONL(finish(r, FileCI, g.ci, 211, tsEpochS))

	infra := g.infra(r, users30)
	infra30 := 0.0
	for _, x := range infra[max(0, len(infra)-30):] {
		infra30 += x.CostUSD
	}
	for _, c := range g.cost {
		if strings.HasPrefix(c.ID, "cost-") && c.ms > g.nowMS-30*day {
			inference30 += c.CostUSD
		}
	}
	cost, err := g.costDoc(infra, []budget{
		{Name: "inference-30d", CapUSD: round(inference30/knobBudgetUtil, 2), SpentUSD: round(inference30, 2)},
		{Name: "arena-30d", CapUSD: round(arena30/0.62, 2), SpentUSD: round(arena30, 2)},
		{Name: "infra-30d", CapUSD: round(infra30/0.78, 2), SpentUSD: round(infra30, 2)},
	})
	if err != nil {
		return nil, err
	}
	reg, err := g.registry()
	if err != nil {
		return nil, err
	}
	return []File{
		{FileAudit, audit},
		{FileAuth, auth},
		{FileCI, ci},
		{FileRegistry, reg},
		{FileCost, cost},
		{FileConfig, []byte(configYAML())},
		{FileReadme, []byte(g.readme(counts, len(g.cost)))},
	}, nil
}

// thirtyDays returns, over (now-30d, now]: the distinct active users, the
// audit inference cost and the arena run cost.
func (g *gen) thirtyDays() (users int, inference, arena float64) {
	from := g.nowMS - 30*day
	seen := map[string]bool{}
	for _, s := range [][]rec{g.audit, g.auth} {
		for _, x := range s {
			if x.ms <= from {
				continue
			}
			if x.user != "" && x.typ != "setup" {
				seen[x.user] = true
			}
			switch x.typ {
			case "inference":
				inference += fieldNum(x, "cost_usd")
			case "arena_run":
				arena += fieldNum(x, "cost_usd")
			}
		}
	}
	return len(seen), inference, arena
}

func fieldNum(x rec, key string) float64 {
	for _, f := range x.fields {
		if f.key == key {
			return round(f.n, f.prec)
		}
	}
	return math.NaN()
}

// costRecord is one record of the cost API.
type costRecord struct {
	ms       int64
	ID       string  `json:"id"`
	TS       string  `json:"ts"`
	Kind     string  `json:"kind"`
	Provider string  `json:"provider"`
	Model    string  `json:"model"`
	CostUSD  float64 `json:"cost_usd"`
	Routed   string  `json:"routed,omitempty"`
}

type budget struct {
	Name     string  `json:"name"`
	CapUSD   float64 `json:"cap_usd"`
	SpentUSD float64 `json:"spent_usd"`
}

type infraDay struct {
	Date    string  `json:"date"`
	CostUSD float64 `json:"cost_usd"`
}

// batchCosts adds the cost API's own records: batch inference (evaluations,
// embeddings) that no user's audit log shows, ~40 a day over 35 days.
func (g *gen) batchCosts() {
	r := g.rnd(streamCost)
	n := 0
	for d := dayOf(g.nowMS - 35*day); d <= g.nowMS; d += day {
		for range 35 + r.intn(11) {
			t := d + int64(r.float()*float64(day))
			routed, m := g.route(r, t)
			tin, tout := r.lognormal(4000, 0.5), r.lognormal(300, 0.5)
			cost := (tin*m.in + tout*m.out) / 1000 * g.priceFactor(t)
			if t > g.nowMS || t <= g.nowMS-35*day {
				continue
			}
			n++
			g.cost = append(g.cost, costRecord{ID: fmt.Sprintf("cost-%06d", n), ms: t, Kind: "inference",
				Provider: m.provider, Model: m.name, CostUSD: round(cost, 6), Routed: routed})
		}
	}
}

// infra returns the daily infra cost of every UTC date of the span up to
// today, sized so that 30 days cost ~knobInfraPerUser per active user.
func (g *gen) infra(r *rng, users30 int) []infraDay {
	perDay := knobInfraPerUser * float64(users30) / 30
	var out []infraDay
	for _, d := range g.days() {
		f := 1.06
		if weekday(d) >= 5 {
			f = 0.85
		}
		out = append(out, infraDay{
			Date:    time.UnixMilli(d).UTC().Format(time.DateOnly),
			CostUSD: round(perDay*f*(1+0.04*r.norm()), 2),
		})
	}
	return out
}

// costDoc renders the cost API's canonical response.
func (g *gen) costDoc(infra []infraDay, budgets []budget) ([]byte, error) {
	slices.SortStableFunc(g.cost, func(a, b costRecord) int {
		if c := cmpInt64(a.ms, b.ms); c != 0 {
			return c
		}
		return strings.Compare(a.ID, b.ID)
	})
	for i := range g.cost {
		g.cost[i].TS = formatTS(g.cost[i].ms)
	}
	doc := struct {
		Records    []costRecord `json:"records"`
		NextCursor string       `json:"next_cursor"`
		Budgets    []budget     `json:"budgets"`
		Infra      []infraDay   `json:"infra"`
	}{g.cost, "", budgets, infra}
	b, err := json.MarshalIndent(doc, "", "  ")
	if err != nil {
		return nil, fmt.Errorf("demo: cost document: %w", err)
	}
	return append(b, '\n'), nil
}

// registry renders a heady-registry.json in the shape of the real Heady
// registries that carry a health scan (services[] scan rows, a 0..1
// overallSystemScore, patternsSummary, cloudProviders, lastDeepScan).
func (g *gen) registry() ([]byte, error) {
	r := g.rnd(streamNoise + 1)
	scan := formatTS(g.nowMS - 7*minute)
	type component struct {
		ID          string `json:"id"`
		Name        string `json:"name"`
		Type        string `json:"type"`
		Version     string `json:"version"`
		Status      string `json:"status"`
		Criticality string `json:"criticality"`
	}
	type service struct {
		ID                string `json:"id"`
		Name              string `json:"name"`
		Role              string `json:"role"`
		Critical          bool   `json:"critical"`
		Endpoint          string `json:"endpoint"`
		LastScanHealthy   bool   `json:"lastScanHealthy"`
		LastScanLatencyMs *int   `json:"lastScanLatencyMs"`
		LastScannedAt     string `json:"lastScannedAt"`
	}
	type provider struct {
		Status   string   `json:"status"`
		Gateway  string   `json:"gateway,omitempty"`
		Services []string `json:"services"`
	}
	type practice struct {
		Name           string  `json:"name"`
		Score          float64 `json:"score"`
		Optimal        bool    `json:"optimal"`
		Recommendation string  `json:"recommendation"`
	}
	components := []component{
		{"heady-promoter", "HeadyPromoter", "orchestration", "4.1.0", "active", "critical"},
		{"heady-manager", "HeadyManager", "api-gateway", "3.4.0", "active", "critical"},
		{"hc-brain", "HCBrain", "intelligence", "3.4.0", "active", "critical"},
		{"heady-coder", "HeadyCoder", "coding-orchestrator", "2.1.0", "active", "critical"},
		{"headylens", "HeadyLens", "monitoring", "3.4.0", "active", "high"},
		{"mc-plan-scheduler", "HeadySimsPlScheduler", "optimizer", "4.0.0", "active", "high"},
		{"hc-supervisor", "HeadySupervisor", "supervisor", "3.3.0", "active", "high"},
		{"heady-maintenance", "HeadyMaintenance", "governance", "1.2.0", "active", "medium"},
		{"heady-battle", "HeadyBattle", "competition", "1.5.0", "active", "medium"},
		{"heady-legacy-sync", "HeadyLegacySync", "integration", "0.9.2", "deprecated", "low"},
	}
	roles := [][3]string{
		{"brain", "inference", "y"}, {"soul", "reflection", "y"}, {"conductor", "orchestration", "y"},
		{"battle", "competition", ""}, {"hcfp", "pipeline", "y"}, {"patterns", "resilience", "y"},
		{"lens", "differentials", ""}, {"ops", "operations", "y"}, {"maintenance", "governance", "y"},
		{"registry", "catalog", "y"}, {"gateway", "api-gateway", "y"}, {"cloud", "cloud-bridge", ""},
	}
	var services []service
	for _, x := range roles {
		lat := 1 + int(r.lognormal(4, 0.8))
		services = append(services, service{x[0], "heady-" + x[0], x[1], x[2] == "y",
			"/api/" + x[0] + "/health", true, &lat, scan})
	}
	doc := struct {
		RegistryVersion    string              `json:"registryVersion"`
		UpdatedAt          string              `json:"updatedAt"`
		Description        string              `json:"description"`
		Components         []component         `json:"components"`
		Services           []service           `json:"services"`
		CloudProviders     map[string]provider `json:"cloudProviders"`
		PatternsSummary    map[string]int      `json:"patternsSummary"`
		BestPracticeScores map[string]practice `json:"bestPracticeScores"`
		OverallSystemScore float64             `json:"overallSystemScore"`
		LastDeepScan       string              `json:"lastDeepScan"`
	}{
		RegistryVersion: "3.4.0",
		UpdatedAt:       formatTS(g.nowMS - 2*hour),
		Description:     "HeadyRegistry — Central catalog and control point for the Heady ecosystem (demo data)",
		Components:      components,
		Services:        services,
		CloudProviders: map[string]provider{
			"cloudflare": {"active", "", []string{"DNS", "Tunnel", "Workers", "KV", "Pages", "Access"}},
			"google":     {"active", "", []string{"Vertex AI", "Cloud Run", "Cloud Storage"}},
			"github":     {"active", "", []string{"Repositories", "Actions CI/CD", "Pages"}},
			"litellm":    {"active", "api.headysystems.com", []string{"Multi-Model Proxy", "Key Management"}},
		},
		PatternsSummary: map[string]int{"circuitBreakers": len(breakerServices()), "pools": 3, "caches": 4},
		BestPracticeScores: map[string]practice{
			"resilience":    {"Circuit Breaker Coverage", 0.83, false, "Add circuit breakers for: soul, ops, registry"},
			"caching":       {"Hot/Cold Cache Utilization", 0.9, true, "Caches cover conductor polls and registry lookups"},
			"monitoring":    {"Service Health Monitoring", 1, true, "All services reporting healthy"},
			"redundancy":    {"Failover & Graceful Degradation", 0.95, true, "Failover active for every critical service"},
			"cloudCoverage": {"External Cloud Integration", 0.88, false, "Enable Vectorize on cloudflare"},
		},
		OverallSystemScore: knobRegistryScore,
		LastDeepScan:       scan,
	}
	b, err := json.MarshalIndent(doc, "", "  ")
	if err != nil {
		return nil, fmt.Errorf("demo: registry document: %w", err)
	}
	return append(b, '\n'), nil
}

// probeTargets are nine stand-ins for the nine Heady domains: eight are the
// exporter's own endpoints (so the demo works offline, and they answer once
// the exporter serves), one is a port nothing listens on.
func probeTargets() []string {
	domains := []string{"headyme.com", "headysystems.com", "headyconnection.org", "headymcp.com", "headyio.com",
		"api.headysystems.com", "admin.headysystems.com", "manager.headysystems.com"}
	var out []string
	for i, d := range domains {
		path := "/-/healthy"
		if i%2 == 1 {
			path = "/-/ready"
		}
		out = append(out, "http://127.0.0.1:9877"+path+"?domain="+d)
	}
	return append(out, "http://127.0.0.1:9/?domain=headybuddy.org")
}

// configYAML is the exporter config of the demo; paths are relative to the
// config file's directory.
func configYAML() string {
	var b strings.Builder
	b.WriteString(`# heady-exporter config for the demo data set (heady-exporter demo).
# Paths are relative to this file's directory.
state_dir: state
sources:
  audit:
    - paths: [audit.jsonl]
  auth:
    - paths: [auth.jsonl]
  ci:
    - paths: [ci.jsonl]
  registry:
    path: registry.json
  cost:
    path: cost.json
  probe:
    # The exporter's own endpoints stand in for eight Heady domains; the last
    # target is refused, so domains_up misses its target.
    targets:
`)
	for _, t := range probeTargets() {
		fmt.Fprintf(&b, "      - %s\n", t)
	}
	b.WriteString("    interval: 15s\n    timeout: 2s\n")
	return b.String()
}

// readme describes the data set and its scenario.
func (g *gen) readme(counts map[string]int, costRecords int) string {
	var b strings.Builder
	fmt.Fprintf(&b, `Heady demo data set
===================

Written by "heady-exporter demo" as of %s (now). Synthetic, deterministic:
the same --now writes the same bytes. It covers %s to now (%d complete ISO
weeks and the current one) for all six sources of the exporter:

  %-14s audit events (tool calls, outcomes, arena runs, inference, ...)
  %-14s auth events (signups, sessions, setups)
  %-14s CI events (gates, merges, reverts, incidents, milestones, ...)
  %-14s a heady-registry.json with a health scan
  %-14s the cost API's response (records, budgets, daily infra cost)
  %-14s the exporter config reading all of the above (paths relative to it)

Run it:

  heady-exporter --config.file=%s           # serve /metrics and the scorecard
  heady-exporter kpis --config.file=%s --now=%s

Probe targets are the exporter's own endpoints (http://127.0.0.1:9877) plus one
refused port: while the exporter serves, eight of nine are up. In one-shot
"kpis" mode nothing serves them, so every probe is down.

Imperfections on purpose (the exporter counts them, never fails on them):
`, formatTS(g.nowMS), time.UnixMilli(g.startMS).UTC().Format(time.DateOnly), g.weeks,
		FileAudit, FileAuth, FileCI, FileRegistry, FileCost, FileConfig, FileConfig, FileConfig, formatTS(g.nowMS))
	for _, d := range defects() {
		fmt.Fprintf(&b, "  - %s: one line with %s\n", d.file, d.why)
	}
	fmt.Fprintf(&b, `  - each JSONL file: %d lines out of time order and %d lines written twice
    (same id: counted once)
  - a few timestamps as epoch ms (auth), epoch s (ci) or with a +02:00 offset (audit)
  - %d cost records, some with the id of an audit inference event (counted once)

Events by type:
`, noiseDisorder, noiseDuplicates, costRecords)
	for _, typ := range []string{
		"signup", "session_start", "setup",
		"tool_call", "outcome", "approval", "policy_block", "arena_run", "consensus",
		"change_accepted", "change_reverted", "circuit_breaker", "inference",
		"quality_gate", "coverage", "governance", "deploy", "merge", "revert", "shipped",
		"incident_opened", "incident_resolved", "milestone_closed",
	} {
		fmt.Fprintf(&b, "  %-18s %7d\n", typ, counts[typ])
	}
	b.WriteString("\nScenario (approximate values the data is built to produce):\n\n")
	fmt.Fprintf(&b, "  %-26s %-14s %-18s %s\n", "KPI", "intended", "target", "expected")
	for _, s := range Scenario() {
		target := "?"
		if k, ok := kpi.Lookup(s.KPI); ok {
			target = k.Target.Format(k.Unit)
		}
		v := fmt.Sprintf("%.3g", s.Value)
		switch {
		case s.Trend:
			v = "trend " + v
		case s.Expect == Shown:
			v = "-"
		}
		fmt.Fprintf(&b, "  %-26s %-14s %-18s %s\n", s.KPI, v, target, s.Expect)
	}
	return b.String()
}
