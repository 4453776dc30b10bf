package demo

import (
	"fmt"
	"math"
	"slices"
	"time"
)

// user is one simulated Heady user.
type user struct {
	id       string
	signup   int64    // first activity (the signup event)
	surfaces []string // [0] is the primary surface
	convert  bool     // reaches a verified outcome on the first day
	days     []int64  // starts of the UTC days the user is active on
}

// users simulates every user: signups per ISO week, weekly engagement by
// exact cohort quotas (so retention is what the scenario says for any now),
// and each active day's sessions, setups, tool calls, inference and outcomes.
func (g *gen) users() {
	cohorts := g.signups()
	g.engage(cohorts)
	r := g.rnd(streamActivity)
	for _, us := range cohorts {
		for _, u := range us {
			first := dayOf(u.signup)
			for _, d := range u.days {
				g.userDay(r, u, d, d == first)
			}
		}
	}
}

func dayOf(ms int64) int64 { return floorDiv(ms, day) * day }

// signups returns the users of each week's cohort, ordered by signup.
func (g *gen) signups() [][]*user {
	r := g.rnd(streamSignups)
	total := 0.0
	for w := 0; w <= g.weeks; w++ {
		total += math.Pow(knobSignupGrowth, float64(w))
	}
	weekdays := []float64{1, 1.05, 1.05, 1, 0.9, 0.55, 0.5}
	surfaces := []string{"web", "ide", "cli", "slack", "mobile", "browser", "api"}
	primary := []float64{0.45, 0.30, 0.15, 0.04, 0.04, 0.01, 0.01}
	extra := []float64{0.10, 0.45, 0.30, 0.15} // number of secondary surfaces

	cohorts := make([][]*user, g.weeks+1)
	n := 0
	for w := range cohorts {
		size := int(math.Round(float64(g.o.Users) * math.Pow(knobSignupGrowth, float64(w)) / total))
		ws := g.startMS + int64(w)*week
		for range size {
			dayMS := ws + int64(r.pick(weekdays))*day
			t, ok := g.timeOfDay(r, dayMS)
			u := &user{signup: t, convert: r.chance(knobConvertFirstDay)}
			p := r.pick(primary)
			u.surfaces = []string{surfaces[p]}
			for _, i := range r.sample(len(surfaces)-1, r.pick(extra)) {
				if i >= p {
					i++ // skip the primary surface
				}
				u.surfaces = append(u.surfaces, surfaces[i])
			}
			if ok {
				cohorts[w] = append(cohorts[w], u)
			}
		}
		slices.SortStableFunc(cohorts[w], func(a, b *user) int { return cmpInt64(a.signup, b.signup) })
		for _, u := range cohorts[w] {
			n++
			u.id = fmt.Sprintf("user-%04d", n)
		}
	}
	return cohorts
}

func cmpInt64(a, b int64) int {
	switch {
	case a < b:
		return -1
	case a > b:
		return 1
	}
	return 0
}

// activeDays draws how many days a user is active in an engaged week.
func activeDays(r *rng) int { return 1 + r.pick([]float64{0.34, 0.33, 0.18, 0.10, 0.05}) }

// engage picks each user's active days. In the signup week a user is active
// on the signup day and maybe later days of that week; in the k-th week
// after it exactly round(retention(k) * cohort size) users of the cohort are
// active, each on 1-5 days of that week.
func (g *gen) engage(cohorts [][]*user) {
	r := g.rnd(streamEngagement)
	for c, us := range cohorts {
		for _, u := range us {
			first := dayOf(u.signup)
			u.days = append(u.days, first)
			left := 6 - weekday(first) // days after the signup day in its week
			if m := min(activeDays(r)-1, left); m > 0 {
				for _, i := range r.sample(left, m) {
					u.days = append(u.days, first+int64(i+1)*day)
				}
			}
		}
		for k := 1; c+k <= g.weeks; k++ {
			ws := g.startMS + int64(c+k)*week
			q := int(math.Round(retention(k) * float64(len(us))))
			for _, i := range r.sample(len(us), q) {
				for _, d := range r.sample(7, activeDays(r)) {
					us[i].days = append(us[i].days, ws+int64(d)*day)
				}
			}
		}
		for _, u := range us {
			u.days = slices.DeleteFunc(u.days, func(d int64) bool { return d > g.nowMS })
		}
	}
}

// userDay writes one active day of u: 1-3 sessions, the first of them
// opened by the signup on the user's first day.
func (g *gen) userDay(r *rng, u *user, dayMS int64, first bool) {
	sessions := 1
	if r.chance(0.55) {
		sessions++
	}
	if r.chance(0.25) {
		sessions++
	}
	var starts []int64
	if first {
		starts = append(starts, u.signup)
		for len(starts) < sessions {
			starts = append(starts, spread(r, u.signup, time.Hour, 10*time.Hour))
		}
	} else {
		for len(starts) < sessions {
			t, ok := g.timeOfDay(r, dayMS)
			if !ok {
				break
			}
			starts = append(starts, t)
		}
		slices.Sort(starts)
	}
	for i, t := range starts {
		g.session(r, u, t, first && i == 0, first && !u.convert)
	}
	if !first && len(starts) > 0 && r.chance(0.04) {
		g.setups(r, u, spread(r, starts[0], 10*time.Second, time.Minute), 1)
	}
}

// session writes one session: its session_start (after the signup and the
// first setups on a user's first session) and 1-4 tasks.
func (g *gen) session(r *rng, u *user, t int64, firstSession, noOutcome bool) {
	surface := u.surfaces[0]
	if n := len(u.surfaces) - 1; !firstSession && n > 0 && !r.chance(0.35) {
		surface = u.surfaces[1+r.intn(n)]
	}
	if firstSession {
		g.emit(&g.auth, t, "signup", g.id("auth"), u.id)
		t += second
	}
	g.emit(&g.auth, t, "session_start", g.id("auth"), u.id, str("surface", surface))
	if firstSession {
		g.setups(r, u, t+3*second, 1+r.intn(2))
	}
	tasks := 1 + r.intn(4)
	t = spread(r, t, 5*time.Second, 30*time.Second)
	for i := range tasks {
		var firstAt int64
		if firstSession && i == 0 && !noOutcome {
			firstAt = u.signup + int64(math.Max(45, r.lognormal(knobFirstOutcomeSec, 0.6))*1000)
		}
		t = g.task(r, u, t, firstAt, noOutcome)
		t = spread(r, t, 20*time.Second, 4*time.Minute)
	}
}

// setups writes n setup attempts; a failed one is retried sometimes.
func (g *gen) setups(r *rng, u *user, t int64, n int) {
	connectors := []string{"github", "slack", "jira", "gdrive", "linear", "notion"}
	ides := []string{"vscode", "jetbrains", "cursor", "neovim"}
	for range n {
		kind, name := "connector", connectors[r.intn(len(connectors))]
		if r.chance(0.4) {
			kind, name = "ide", ides[r.intn(len(ides))]
		}
		for attempt := 0; attempt < 2; attempt++ {
			ok := r.chance(knobSetupSuccess)
			g.emit(&g.auth, t, "setup", g.id("auth"), u.id,
				str("kind", kind), str("name", name), str("result", result(ok, "success", "failure")))
			t = spread(r, t, 30*time.Second, 2*time.Minute)
			if ok || !r.chance(knobSetupRetry) {
				break
			}
		}
	}
}

func result(ok bool, yes, no string) string {
	if ok {
		return yes
	}
	return no
}

// task writes one unit of work: inference and tool steps, maybe an approval,
// and (unless noOutcome) the outcome. When firstAt is set the outcome is the
// user's first verified one and lands at firstAt. It returns the task's end.
func (g *gen) task(r *rng, u *user, t, firstAt int64, noOutcome bool) int64 {
	inf := 1 + r.intn(3)
	steps := inf + 2 + r.intn(4)
	gap := func() int64 { return int64(r.between(2000, 25000)) }
	if firstAt > t {
		fixed := (firstAt - t) / int64(steps+2)
		gap = func() int64 { return fixed }
	}
	for i := range steps {
		t += gap()
		if i == 0 || (inf > 0 && r.chance(float64(inf)/float64(steps-i))) {
			inf--
			g.inference(r, u, t)
			continue
		}
		t += g.toolStep(r, u, t)
	}
	if r.chance(knobApproval) {
		t += gap()
		g.emit(&g.audit, t, "approval", g.id("evt"), u.id,
			str("decision", result(r.chance(0.92), "approved", "rejected")), str("receipt", receipt(r)))
	}
	if noOutcome {
		return t
	}
	t += gap()
	status := []string{"success", "failure", "unknown"}[r.pick([]float64{knobOutcomeSuccess, knobOutcomeFailure, 1 - knobOutcomeSuccess - knobOutcomeFailure})]
	if firstAt > 0 {
		t = max(t, firstAt)
		status = result(r.chance(0.9), "success", "failure")
	}
	g.emit(&g.audit, t, "outcome", g.id("evt"), u.id,
		str("workflow", workflow(r)), str("status", status), str("receipt", receipt(r)))
	if status == "success" && r.chance(knobChangeAccepted) {
		c := g.id("hc")
		at := spread(r, t, 5*time.Second, time.Minute)
		g.emit(&g.audit, at, "change_accepted", g.id("evt"), u.id, str("change", c))
		if r.chance(knobChangeReverted) {
			median := 8 * float64(hour) * math.Pow(0.25, g.frac(at))
			g.emit(&g.audit, at+int64(r.lognormal(median, 0.5)), "change_reverted", g.id("evt"), "", str("change", c))
		}
	}
	return t
}

func receipt(r *rng) string { return "rcpt-" + r.hex(16) }

// workflow draws a workflow name from a skewed (Zipf-like) mix.
func workflow(r *rng) string {
	names := []string{
		"code-review", "bug-fix", "test-generation", "refactor", "docs-update", "dependency-upgrade",
		"incident-triage", "release-notes", "data-migration", "security-scan", "onboarding-setup", "perf-tuning",
	}
	w := make([]float64, len(names))
	for i := range w {
		w[i] = 1 / math.Pow(float64(i+1), 1.1)
	}
	return names[r.pick(w)]
}

// toolStep writes one tool call (or the policy block that stopped it) and
// returns its duration in ms.
func (g *gen) toolStep(r *rng, u *user, t int64) int64 {
	tools := []struct {
		name     string
		weight   float64
		medianMS float64
	}{
		{"fs.read", 3, 30}, {"fs.write", 2, 55}, {"git.diff", 2, 80}, {"git.commit", 1, 140},
		{"shell.exec", 1.5, 190}, {"http.fetch", 1, 210}, {"search.code", 2, 120},
		{"db.query", 1, 100}, {"slack.post", 0.5, 150}, {"jira.update", 0.5, 200},
	}
	w := make([]float64, len(tools))
	for i, x := range tools {
		w[i] = x.weight
	}
	tool := tools[r.pick(w)]
	if r.chance(knobPolicyBlock) {
		policies := []string{"secrets-in-prompt", "destructive-shell", "prod-write-without-approval", "pii-export", "license-violation"}
		p := policies[r.pick([]float64{0.35, 0.25, 0.2, 0.12, 0.08})]
		g.emit(&g.audit, t, "policy_block", g.id("evt"), u.id, str("policy", p), str("tool", tool.name))
		return 0
	}
	dur := r.lognormal(tool.medianMS, 0.5)
	status := []string{"success", "error", "denied"}[r.pick([]float64{knobToolSuccess, knobToolError, 1 - knobToolSuccess - knobToolError})]
	g.emit(&g.audit, t, "tool_call", g.id("evt"), u.id, str("tool", tool.name), str("status", status),
		num("duration_ms", int(math.Round(dur))), str("receipt", receipt(r)))
	return int64(dur)
}

// model is an inference model with its price per 1k tokens (USD).
type model struct {
	provider, name string
	in, out        float64
}

// inference writes one model call by u. Some of the last 6 days' calls are
// also reported by the cost API under the same id, which the exporter must
// count once (6 days: inside any dedup horizon of at least 7 days).
func (g *gen) inference(r *rng, u *user, t int64) {
	routed, m := g.route(r, t)
	tin := math.Round(r.lognormal(6000, 0.6))
	tout := math.Round(r.lognormal(700, 0.7))
	cost := (tin*m.in + tout*m.out) / 1000 * g.priceFactor(t)
	id := g.id("evt")
	fs := []field{str("provider", m.provider), str("model", m.name), flt("cost_usd", cost, 6),
		num("tokens_in", int(tin)), num("tokens_out", int(tout))}
	if routed != "" {
		fs = append(fs, str("routed", routed))
	}
	if g.emit(&g.audit, t, "inference", id, u.id, fs...) && t > g.nowMS-6*day && r.chance(knobMirrorCost) {
		g.cost = append(g.cost, costRecord{ID: id, ms: t, Kind: "inference", Provider: m.provider,
			Model: m.name, CostUSD: round(cost, 6), Routed: routed})
	}
}

// route draws the routing decision and the model it leads to. The share
// routed to cheaper models grows over the span.
func (g *gen) route(r *rng, t int64) (string, model) {
	cheap := []model{
		{"anthropic", "claude-haiku", 0.0008, 0.004}, {"openai", "gpt-4o-mini", 0.00015, 0.0006},
		{"google", "gemini-flash", 0.0001, 0.0004}, {"local", "llama-3-8b", 0.00002, 0.00002},
	}
	standard := []model{{"anthropic", "claude-sonnet", 0.003, 0.015}, {"openai", "gpt-4o", 0.0025, 0.01}}
	fallback := []model{{"google", "gemini-pro", 0.00125, 0.005}, {"openai", "gpt-4o", 0.0025, 0.01}}
	c := knobCheaperStart + (knobCheaperEnd-knobCheaperStart)*g.frac(t)
	switch r.pick([]float64{c, 0.90 - c, 0.06, 0.04}) {
	case 0:
		return "cheaper", cheap[r.intn(len(cheap))]
	case 1:
		return "default", standard[r.intn(len(standard))]
	case 2:
		return "fallback", fallback[r.intn(len(fallback))]
	}
	return "", standard[r.intn(len(standard))]
}

// priceFactor is the price level at t relative to list prices at now:
// prices (and the prompt sizes that drive them) fall every week.
func (g *gen) priceFactor(t int64) float64 {
	return math.Pow(knobPriceDecay, float64(t-g.nowMS)/float64(week))
}

func round(v float64, decimals int) float64 {
	p := math.Pow(10, float64(decimals))
	return math.Round(v*p) / p
}
