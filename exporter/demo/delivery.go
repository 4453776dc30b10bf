package demo

import (
	"fmt"
	"math"
	"time"
)

// repo is a CI repository with its coverage and governance levels.
type repo struct {
	name       string
	weight     float64 // share of merges
	coverage   float64 // at the start of the span
	governance float64
}

func repos() []repo {
	return []repo{
		{"heady-core", 3, 0.71, 96.5},
		{"heady-web", 2, 0.63, 94.0},
		{"heady-ide", 1.5, 0.58, 92.3},
		{"heady-cli", 1, 0.77, 97.8},
		{"heady-infra", 1, 0.49, 93.1},
		{"heady-docs", 0.5, 0.35, 98.6},
	}
}

// delivery writes the ci stream: gates, merges and reverts, coverage and
// governance scans, deploys, shipped items, incidents and milestones.
func (g *gen) delivery() {
	r := g.rnd(streamCI)
	rs := repos()
	weights := make([]float64, len(rs))
	for i, x := range rs {
		weights[i] = x.weight
	}
	services := []string{"heady-manager", "heady-brain", "heady-conductor", "heady-web", "heady-gateway"}
	merges := 0
	for di, d := range g.days() {
		weekend := weekday(d) >= 5

		// Daily scans: coverage creeps up, governance holds its level.
		for _, x := range rs {
			cov := math.Min(0.97, x.coverage+0.0015*float64(di)+0.002*r.norm())
			g.emit(&g.ci, spread(r, d, 2*time.Hour, 2*time.Hour+20*time.Minute), "coverage", g.id("ci"), "",
				str("repo", x.name), flt("ratio", cov, 4))
			gov := math.Min(100, x.governance+0.4*r.norm())
			g.emit(&g.ci, spread(r, d, 3*time.Hour, 3*time.Hour+20*time.Minute), "governance", g.id("ci"), "",
				str("repo", x.name), flt("score", gov, 1))
		}

		// Merges with their gates; every knobRevertEvery-th is reverted.
		n := 10 + r.intn(7)
		if weekend {
			n = 1 + r.intn(4)
		}
		for range n {
			t, ok := g.workHours(r, d)
			if !ok {
				break
			}
			x := rs[r.pick(weights)]
			change := g.id("chg")
			for _, gate := range []string{"tests", "lint", "heady-battle"} {
				g.emit(&g.ci, t-int64(r.between(2, 20)*float64(minute)), "quality_gate", g.id("ci"), "",
					str("repo", x.name), str("gate", gate), str("result", result(r.chance(knobGatePass), "pass", "fail")))
			}
			g.emit(&g.ci, t, "merge", g.id("ci"), "", str("repo", x.name), str("change", change))
			merges++
			if merges%knobRevertEvery == knobRevertEvery/3 {
				g.emit(&g.ci, t+int64(r.lognormal(6*float64(hour), 0.6)), "revert", g.id("ci"), "",
					str("repo", x.name), str("change", change))
			}
		}

		// Deploys: staging, then production when staging succeeded.
		if !weekend {
			for range 3 + r.intn(4) {
				t, ok := g.workHours(r, d)
				if !ok {
					break
				}
				s := services[r.intn(len(services))]
				okStaging := r.chance(0.95)
				g.emit(&g.ci, t, "deploy", g.id("ci"), "", str("service", s), str("env", "staging"),
					str("result", result(okStaging, "success", "failure")))
				if okStaging {
					g.emit(&g.ci, spread(r, t, 10*time.Minute, 40*time.Minute), "deploy", g.id("ci"), "",
						str("service", s), str("env", "production"), str("result", result(r.chance(0.97), "success", "failure")))
				}
			}
		}

		// Shipped items: idea-to-shipped time falls from 7 to 3.5 days.
		if !weekend {
			for range 3 + r.intn(4) {
				t, ok := g.workHours(r, d)
				if !ok {
					break
				}
				median := 7 * float64(day) * math.Pow(0.5, g.frac(t))
				g.emit(&g.ci, t, "shipped", g.id("ci"), "", str("item", g.id("HEADY")),
					stamp("opened_at", t-int64(r.lognormal(median, 0.35))))
			}
		}
	}
	g.incidents(r)
	g.milestones(r)
}

// incidents writes one incident every 3.5 days whose resolution time grows
// over the span (mttr trends the wrong way), one security incident 12 days
// before now, and one incident still open.
func (g *gen) incidents(r *rng) {
	open := func(t int64, sev string, security bool, resolveAfter float64) {
		inc := g.id("INC")
		g.emit(&g.ci, t, "incident_opened", g.id("ci"), "", str("incident", inc), str("severity", sev), boolean("security", security))
		if resolveAfter > 0 {
			g.emit(&g.ci, t+int64(resolveAfter), "incident_resolved", g.id("ci"), "", str("incident", inc))
		}
	}
	n := 0
	for t := g.startMS + 20*hour; t < g.nowMS-6*hour; t += 84 * hour {
		n++
		sev := "sev3"
		if n%3 == 0 {
			sev = "sev2"
		}
		base := 1.5 * float64(hour) * math.Pow(2, g.frac(t))
		open(t, sev, false, base*r.between(0.85, 1.15))
	}
	open(g.nowMS-12*day+5*hour, "sev2", true, 3*float64(hour))
	open(g.nowMS-3*hour, "sev3", false, 0)
}

// milestones writes one milestone closing a week (13 by default), two of
// them after their due time.
func (g *gen) milestones(r *rng) {
	for i := g.weeks - 1; i >= 0; i-- {
		closed := g.nowMS - int64(i*7+3)*day + int64(r.between(-3, 3)*float64(hour))
		due := closed + int64(r.between(2, 30)*float64(hour))
		if i == 3 || i == 9 {
			due = closed - int64(r.between(1, 4)*float64(day))
		}
		g.emit(&g.ci, closed, "milestone_closed", g.id("ci"), "",
			str("milestone", fmt.Sprintf("M%d", g.weeks-i)), stamp("due", due))
	}
}
