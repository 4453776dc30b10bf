package demo

import (
	"math"
	"time"
)

// platform writes the audit events that belong to no user: arena runs with
// their consensus, circuit-breaker transitions, and the tool calls of the
// background auto-success engine.
func (g *gen) platform() {
	g.arena()
	g.breakers()
	g.autoSuccess()
}

// autoSuccess writes the tool calls of Heady's background task engine: one
// every ~knobAutoEveryMin minutes, day and night, with no user. They keep
// the gateway busy at every hour, so gateway_latency_p95 (1h) always has
// enough samples.
func (g *gen) autoSuccess() {
	r := g.rnd(streamAutoSuccess)
	tools := []struct {
		name     string
		medianMS float64
	}{{"registry.scan", 45}, {"health.probe", 80}, {"fs.read", 30}, {"search.code", 110}, {"git.diff", 70}}
	step := float64(knobAutoEveryMin * minute)
	for t := g.startMS + int64(r.float()*step); t <= g.nowMS; t += int64(r.between(0.6, 1.4) * step) {
		tool := tools[r.intn(len(tools))]
		status := []string{"success", "error"}[r.pick([]float64{knobToolSuccess, 1 - knobToolSuccess})]
		g.emit(&g.audit, t, "tool_call", g.id("evt"), "", str("tool", tool.name), str("status", status),
			num("duration_ms", int(math.Round(r.lognormal(tool.medianMS, 0.5)))), str("receipt", receipt(r)))
	}
}

// arena writes ~knobArenaPerDay arena runs a day; most get a consensus
// event shortly after.
func (g *gen) arena() {
	r := g.rnd(streamArena)
	for _, d := range g.days() {
		n := knobArenaPerDay - 5 + r.intn(11)
		if weekday(d) >= 5 {
			n = n * 2 / 3
		}
		for range n {
			t, ok := g.timeOfDay(r, d)
			if !ok {
				break
			}
			run := g.id("run")
			res := []string{"promoted", "rejected", "failed"}[r.pick([]float64{knobArenaPromoted, knobArenaRejected, 1 - knobArenaPromoted - knobArenaRejected})]
			g.emit(&g.audit, t, "arena_run", g.id("evt"), "", str("run", run), str("result", res),
				flt("cost_usd", r.lognormal(0.30, 0.45), 4))
			if r.chance(0.6) {
				c := math.Max(0.35, math.Min(0.99, knobConsensusMean+0.07*r.norm()))
				g.emit(&g.audit, spread(r, t, 20*time.Second, 2*time.Minute), "consensus", g.id("evt"), "",
					str("run", run), flt("confidence", c, 3))
			}
		}
	}
}

// breakerServices are the services behind circuit breakers (the registry
// counts the same number in patternsSummary.circuitBreakers).
func breakerServices() []string {
	return []string{"heady-brain", "heady-conductor", "heady-battle", "heady-hcfp", "heady-patterns", "heady-gateway", "heady-cloud"}
}

// breakers writes circuit-breaker trips: open, half_open, closed. Before the
// last day, 0-2 trips a day at random; in the last day exactly three.
func (g *gen) breakers() {
	r := g.rnd(streamBreakers)
	svc := breakerServices()
	trip := func(t int64) {
		s := svc[r.intn(len(svc))]
		g.emit(&g.audit, t, "circuit_breaker", g.id("evt"), "", str("service", s), str("state", "open"))
		half := spread(r, t, 30*time.Second, 90*time.Second)
		g.emit(&g.audit, half, "circuit_breaker", g.id("evt"), "", str("service", s), str("state", "half_open"))
		g.emit(&g.audit, spread(r, half, 30*time.Second, 4*time.Minute), "circuit_breaker", g.id("evt"), "",
			str("service", s), str("state", "closed"))
	}
	lastDay := g.nowMS - day
	for _, d := range g.days() {
		for range r.pick([]float64{0.45, 0.35, 0.20}) {
			if t := d + int64(r.float()*float64(day)); t <= lastDay-10*minute {
				trip(t)
			}
		}
	}
	for _, back := range []time.Duration{21 * time.Hour, 9*time.Hour + 30*time.Minute, 2 * time.Hour} {
		trip(g.nowMS - back.Milliseconds())
	}
}
