package engine

import (
	"math"
	"sort"
	"strings"

	"github.com/heady/heady-metrics/kpi"
)

// Monotonic counters and cumulative histograms (docs/series.md).
//
// Every event count behind a KPI is also kept as a counter of the events
// applied since the state began: incremented once when an event is applied
// (the dedup above Apply sees to "once"), never decremented, saved in the
// checkpoint with everything else. A late event increments its counter when
// it arrives, not at its timestamp: a counter counts arrivals, the windowed
// gauges count event times. Values are integers (USD in nano-dollars), so
// a total does not depend on the order events were applied in, and the
// counters of several engines (shards, or partitions of one engine) merge
// by adding the values of equal label sets.

// counterFam is one counter family; its series name and labels are the
// catalog's (kpi.AllSeries).
type counterFam uint8

const (
	cToolCalls         counterFam = iota // tool, status
	cActions                             //
	cActionsReceipt                      //
	cVerified                            // workflow, status
	cPolicyBlocks                        // policy
	cInferenceUSD                        // provider, model; nano-USD
	cInferenceCredit                     // provider, model; nano-USD of negative costs
	cInferenceRequests                   // provider, model
	cInferenceRouted                     // routed
	cArenaRuns                           // result
	cArenaUSD                            // nano-USD
	cConsensus                           //
	cConsensusPoints                     // micro-points
	cBreakerTrips                        //
	cGateRuns                            // result
	cDeploys                             // env, result
	cMerges                              //
	cReverts                             //
	cMilestones                          // hit
	cIncidentsOpened                     //
	cSecurityOpened                      //
	cIncidentsResolved                   //
	nCounterFams
)

// counterDef: the family's series, how many of its leading labels are open
// (folded into OtherLabel past the cap), and the unit of its integer
// values (1e-9 for nano-dollars, 1e-6 for millionths of a point).
type counterDef struct {
	series string
	open   int
	unit   float64
}

var counterDefs = [nCounterFams]counterDef{
	cToolCalls:         {kpi.SToolCallsTotal, 1, 1},
	cActions:           {kpi.SActionsTotal, 0, 1},
	cActionsReceipt:    {kpi.SActionsReceiptTotal, 0, 1},
	cVerified:          {kpi.SVerifiedTotal, 1, 1},
	cPolicyBlocks:      {kpi.SPolicyBlocksTotal, 1, 1},
	cInferenceUSD:      {kpi.SInferenceUSDTotal, 2, 1e-9},
	cInferenceCredit:   {kpi.SInferenceCreditTotal, 2, 1e-9},
	cInferenceRequests: {kpi.SInferenceReqTotal, 2, 1},
	cInferenceRouted:   {kpi.SInferenceRoutedTotal, 0, 1},
	cArenaRuns:         {kpi.SArenaRunsTotal, 0, 1},
	cArenaUSD:          {kpi.SArenaUSDTotal, 0, 1e-9},
	cConsensus:         {kpi.SConsensusTotal, 0, 1},
	cConsensusPoints:   {kpi.SConsensusPointsTotal, 0, 1e-6},
	cBreakerTrips:      {kpi.SBreakerTripsTotal, 0, 1},
	cGateRuns:          {kpi.SGateRunsTotal, 0, 1},
	cDeploys:           {kpi.SDeploysTotal, 1, 1},
	cMerges:            {kpi.SMergesTotal, 0, 1},
	cReverts:           {kpi.SRevertsTotal, 0, 1},
	cMilestones:        {kpi.SMilestonesTotal, 0, 1},
	cIncidentsOpened:   {kpi.SIncidentsOpenedTotal, 0, 1},
	cSecurityOpened:    {kpi.SSecurityOpenedTotal, 0, 1},
	cIncidentsResolved: {kpi.SIncidentsResolvedTotal, 0, 1},
}

// maxCounterSets bounds the label sets of one counter family: past it, a
// new set's open labels (tool, workflow, policy, provider, model, env) read
// OtherLabel. A counter's label set, once made, keeps its name for good.
const maxCounterSets = 1000

type counterKey struct {
	fam    counterFam
	labels [3]string
}

// counters holds every counter value. Lookups with strings that alias a
// decoder buffer are fine; a new key is stored with copies.
//
// m is the record; bare and byFirst find a counter of it without hashing
// three strings per event (the map's cost): bare holds each family's
// counter without labels, byFirst the others under their first label, the
// few sets of the rest scanned. They are filled from m on first use and
// never hold a label set folded into OtherLabel, so they stay bounded.
type counters struct {
	m    map[counterKey]*uint64
	sets [nCounterFams]int

	bare    [nCounterFams]*uint64
	byFirst [nCounterFams]map[string][]counterSlot
}

// counterSlot is a counter of byFirst: the labels after the first, and the
// value in m.
type counterSlot struct {
	rest [2]string
	p    *uint64
}

// find returns the counter of f with labels l from the caches (nil if
// they do not have it).
func (c *counters) find(f counterFam, l [3]string) *uint64 {
	if l == ([3]string{}) {
		return c.bare[f]
	}
	for _, s := range c.byFirst[f][l[0]] {
		if s.rest[0] == l[1] && s.rest[1] == l[2] {
			return s.p
		}
	}
	return nil
}

// remember puts m's counter p of f with labels l in the caches.
func (c *counters) remember(f counterFam, l [3]string, p *uint64) {
	if l == ([3]string{}) {
		c.bare[f] = p
		return
	}
	if c.byFirst[f] == nil {
		c.byFirst[f] = map[string][]counterSlot{}
	}
	first := strings.Clone(l[0])
	c.byFirst[f][first] = append(c.byFirst[f][first], counterSlot{[2]string{strings.Clone(l[1]), strings.Clone(l[2])}, p})
}

func newCounters() counters { return counters{m: map[counterKey]*uint64{}} }

// add adds n to the counter of f with labels l (unused trailing entries
// empty). n may be 0: the series then exists from zero, so rate() sees
// its first increment.
func (c *counters) add(f counterFam, n uint64, l [3]string) {
	if p := c.find(f, l); p != nil {
		*p += n
		return
	}
	k := counterKey{f, l}
	if p, ok := c.m[k]; ok {
		c.remember(f, l, p)
		*p += n
		return
	}
	if c.sets[f] >= maxCounterSets {
		for i := 0; i < counterDefs[f].open; i++ {
			k.labels[i] = OtherLabel
		}
		if p, ok := c.m[k]; ok {
			*p += n
			return
		}
	}
	for i := range k.labels {
		k.labels[i] = strings.Clone(k.labels[i])
	}
	v := n
	c.m[k] = &v
	c.sets[f]++
	c.remember(f, k.labels, &v)
}

func (c *counters) clone() counters {
	out := counters{m: make(map[counterKey]*uint64, len(c.m)), sets: c.sets}
	for k, p := range c.m {
		v := *p
		out.m[k] = &v
	}
	return out
}

// merge adds o's values into c (the read of partitioned engines).
func (c *counters) merge(o *counters) {
	for k, p := range o.m {
		c.add(k.fam, *p, k.labels)
	}
}

func (c *counters) sortedKeys() []counterKey {
	keys := make([]counterKey, 0, len(c.m))
	for k := range c.m {
		keys = append(keys, k)
	}
	sort.Slice(keys, func(i, j int) bool {
		a, b := keys[i], keys[j]
		if a.fam != b.fam {
			return a.fam < b.fam
		}
		for x := range a.labels {
			if a.labels[x] != b.labels[x] {
				return a.labels[x] < b.labels[x]
			}
		}
		return false
	})
	return keys
}

// micros converts confidence points to integer millionths, rounded.
func micros(x float64) uint64 { return uint64(math.Round(math.Abs(x) * 1e6)) }

// nanos converts USD to integer nano-dollars, rounded: Heady's per-request
// costs are fractions of a micro-dollar.
func nanos(x float64) uint64 { return uint64(math.Round(math.Abs(x) * 1e9)) }

// countEvent is the counter side of apply.
func (e *Engine) countEvent(f counterFam, l ...string) {
	var k [3]string
	copy(k[:], l)
	e.cum.counters.add(f, 1, k)
}

// eval adds every counter to v.
func (c *counters) eval(v *View) {
	for _, k := range c.sortedKeys() {
		def := counterDefs[k.fam]
		ser, _ := kpi.LookupSeries(def.series)
		val := float64(*c.m[k])
		if def.unit != 1 {
			val = float64(*c.m[k]) * def.unit
		}
		v.add(def.series, val, k.labels[:len(ser.Labels)]...)
	}
}

// labelOf is an open label's value as the keyed families file it.
func labelOf(v string) string {
	if v == "" {
		return "unknown"
	}
	return v
}

// countToolCall counts a tool call of status index st; a tool's every
// status exists from its first call, so error ratios start from zero.
func (e *Engine) countToolCall(tool string, st int) {
	e.countStatus(cToolCalls, tool, toolStatuses, st)
}

// countVerified counts a verified outcome of status index st (both
// statuses exist from a workflow's first outcome).
func (e *Engine) countVerified(workflow string, st int) {
	e.countStatus(cVerified, workflow, verifiedStatus, st)
}

// countStatus counts an event of f labelled first and statuses[st]; the
// counters of every status of first are made with its first event.
func (e *Engine) countStatus(f counterFam, first string, statuses []string, st int) {
	if p := e.cum.counters.find(f, [3]string{first, statuses[st]}); p != nil {
		*p++ // the common case: a label seen before
		return
	}
	for i, s := range statuses {
		n := uint64(0)
		if i == st {
			n = 1
		}
		e.cum.counters.add(f, n, [3]string{first, s})
	}
}

// countInference counts an inference request and its cost; the cost and
// credit counters of a model both exist from its first request.
func (e *Engine) countInference(provider, model string, usd float64, routed string) {
	e.countEvent(cInferenceRequests, provider, model)
	e.countEvent(cInferenceRouted, routed)
	k := [3]string{provider, model}
	pos, neg := nanos(usd), uint64(0)
	if usd < 0 {
		pos, neg = 0, pos
	}
	e.cum.counters.add(cInferenceUSD, pos, k)
	e.cum.counters.add(cInferenceCredit, neg, k)
}
