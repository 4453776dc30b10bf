package demo

import (
	"fmt"
	"math"
	"strings"
	"time"

	"github.com/heady/heady-metrics/kpi"
)

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

	audit := encodeJSONL(finish(r, FileAudit, g.audit, 1999, tsOffset, g.nowMS))
	auth := encodeJSONL(finish(r, FileAuth, g.auth, 997, tsEpochMS, g.nowMS))
	ci := encodeJSONL(finish(r, FileCI, g.ci, 211, tsEpochS, g.nowMS))

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
		{FileConfig, []byte(configYAML(g.o.ExporterAddr))},
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

// probeTargets are nine stand-ins for the nine Heady domains: eight are the
// exporter's own endpoints (so the demo works offline, and they answer once
// the exporter serves), one is a port nothing listens on.
func probeTargets(addr string) []string {
	domains := []string{"headyme.com", "headysystems.com", "headyconnection.org", "headymcp.com", "headyio.com",
		"api.headysystems.com", "admin.headysystems.com", "manager.headysystems.com"}
	var out []string
	for _, d := range domains {
		// /-/healthy answers as soon as the exporter listens (/-/ready
		// would fail the probes that run before the first full read).
		out = append(out, "http://"+addr+"/-/healthy?domain="+d)
	}
	return append(out, "http://127.0.0.1:9/?domain=headybuddy.org")
}

// configYAML is the exporter config of the demo; paths are relative to the
// config file's directory.
func configYAML(addr string) string {
	var b strings.Builder
	b.WriteString(ConfigHeader + `
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
	for _, t := range probeTargets(addr) {
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

Probe targets are the exporter's own endpoints (http://%s) plus one
refused port: while the exporter serves, eight of nine are up. In one-shot
"kpis" mode nothing serves them, so every probe is down.

Imperfections on purpose (the exporter counts them, never fails on them):
`, formatTS(g.nowMS), time.UnixMilli(g.startMS).UTC().Format(time.DateOnly), g.weeks,
		FileAudit, FileAuth, FileCI, FileRegistry, FileCost, FileConfig, FileConfig, FileConfig, formatTS(g.nowMS), g.o.ExporterAddr)
	for _, d := range defects() {
		fmt.Fprintf(&b, "  - %s: one line with %s\n", d.file, d.why)
	}
	fmt.Fprintf(&b, `  - each JSONL file: %d lines out of time order and %d lines written twice
    (same id: counted once)
  - a few timestamps as epoch ms (auth), epoch s (ci) or with a +02:00 offset (audit)
  - %d cost records; those of the last 6 days include some with the id of an
    audit inference event (counted once)

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
	fmt.Fprintf(&b, "  %-26s %-14s %-14s %-7s %s\n", "KPI", "intended", "target", "", "how")
	for _, s := range Scenario() {
		target := "?"
		if k, ok := kpi.Lookup(s.KPI); ok {
			target = k.Target.Format(k.Unit)
		}
		v := fmt.Sprintf("%.3g", s.Value)
		switch {
		case s.Trend:
			v = "trend " + v
		case s.Value == 0:
			v = "-"
		}
		fmt.Fprintf(&b, "  %-26s %-14s %-14s %-7s %s\n", s.KPI, v, target, s.Expect, s.Lever)
	}
	return b.String()
}
