package demo

import (
	"encoding/json"
	"fmt"
	"slices"
	"strings"
	"time"
)

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
	r := g.rnd(streamRegistry)
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
