// Package engine owns the KPI state: per-user state, per-second timelines
// for every windowed count, deduplication, late and early events, and the
// checkpoint that saves all of it together with the sources' positions. It
// evaluates the exported series as of any instant (View).
//
// It knows events and windows, and nothing about files, HTTP or Prometheus:
// sources hand it canonical events and snapshots, views read the View it
// returns. An Engine is not safe for concurrent use; the serve loop owns it
// from one goroutine.
package engine

import (
	"hash/fnv"
	"math"
	"sort"
	"strings"

	"github.com/heady/heady-metrics/exporter/event"
)

// Horizons.
const (
	// FutureTolerance: events more than this after now are rejected
	// (docs/events.md); events within it wait until now reaches them.
	FutureTolerance = 5 * 60 * 1000 // ms
	// Retention is how much event history the windows keep: the KPI
	// definitions need at least 98 days (13 complete ISO weeks plus the
	// current one); the longest window needs 90.
	RetentionDays = 100
	// maxOpenValues bounds the distinct values kept per open label set;
	// export shows the top N of them plus "other".
	maxOpenValues = 1000
)

// Options configures an Engine.
type Options struct {
	// TopN is how many values of an open label set are exported by name.
	TopN int
	// DedupHorizonSec is how long (event time, seconds) an id is kept.
	DedupHorizonSec int64
	// DedupMaxIDs bounds the ids kept; the oldest hours go first.
	DedupMaxIDs int
	// ShardIndex and ShardCount: this engine keeps only users whose id
	// hashes (FNV-1a 64) to ShardIndex mod ShardCount; events without a user
	// are kept by shard GlobalShard only. ShardCount 0 or 1 keeps all.
	ShardIndex, ShardCount, GlobalShard int
	// Side restricts the engine to one side of every event (see
	// ownership); a Partitioned engine is one EventSide engine and
	// UserSide partitions of the users.
	Side Side
	// Partitions is how many goroutines a Partitioned engine applies
	// events on (0: GOMAXPROCS): the event side and Partitions-1
	// partitions of the users. New ignores it.
	Partitions int
	// CountersAsOfCheckpoint makes views show the counters and cumulative
	// histograms as of the last checkpoint saved or loaded, not the live
	// ones: what a scrape saw is then durable, and a restart after kill -9
	// never shows a counter lower than before (the events after the
	// checkpoint are read again and counted again). The serve loop sets
	// it; kpis and backfill, which save nothing, do not.
	CountersAsOfCheckpoint bool
}

// Side is the part of every event an engine applies.
type Side uint8

const (
	BothSides Side = iota
	EventSide      // counts, deduplication, changes, incidents: everything but users
	UserSide       // the users' activity, firsts, surfaces and setup
)

func (o *Options) defaults() {
	if o.TopN <= 0 {
		o.TopN = 20
	}
	if o.DedupHorizonSec <= 0 {
		o.DedupHorizonSec = 8 * secPerDay
	}
	if o.DedupMaxIDs <= 0 {
		o.DedupMaxIDs = 20_000_000
	}
}

// Result says what Apply did with an event.
type Result uint8

const (
	Applied   Result = iota
	Duplicate        // its id was seen before
	Pending          // it lies in the future, within the tolerance: applied when now reaches it
	Future           // more than FutureTolerance after now: rejected
	NotOwned         // another shard owns it
)

// Engine is the state. Create it with New.
type Engine struct {
	opt Options
	now int64 // ms; Apply and Advance move it forward, never back

	users     users
	dayActive map[int64]uint32 // calendar day -> distinct active users
	surfaces  map[string]uint16

	toolCalls      [4]timeline
	toolByTool     keyed[[4]timeline]
	actions        timeline
	actionsReceipt timeline
	gateway        sketchTimelines

	verified  [2]timeline
	workflows keyed[timeline]
	arena     [4]timeline
	arenaCost timeline
	consensus timeline

	policies     keyed[timeline]
	breakerTrips timeline

	inferenceCost timeline
	byModel       keyed[keyed[timeline]]
	routed        [5]timeline

	gates      [3]timeline
	deploys    keyed[[3]timeline]
	merges     timeline
	reverts    timeline
	milestones [2]timeline

	cycleTime samples
	changes   map[string]*changeState
	incidents map[string]*incidentState

	governance keyed[observations]
	coverage   keyed[observations]

	dedup   dedup
	pending []pendingEvent

	// cum holds the counters and cumulative histograms; committed is their
	// copy as of the last checkpoint (Options.CountersAsOfCheckpoint).
	cum           cumulative
	committed     *cumulative
	loadedVersion int

	ingested [32]uint64 // by event.Type
	// committedIngested is ingested as of the last checkpoint, what views
	// show with Options.CountersAsOfCheckpoint (a counter never goes back
	// after a restart).
	committedIngested [32]uint64
	// prefetched keeps what prefetch read, so the reads are not dropped.
	prefetched uint64
	lastEvent  int64 // ms of the newest event applied
	sinceSeal  int   // events filed since the last seal
	sealEvery  int   // SealEvery; tests set it higher to compare against never sealing

	external  External
	positions map[string][]byte
}

type changeState struct {
	accepted int64 // ms, event.NoTime if unknown
	reverted int64
}

type incidentState struct {
	opened   int64
	resolved int64
	security bool
}

// New returns an empty engine.
func New(opt Options) *Engine {
	opt.defaults()
	return &Engine{
		opt:        opt,
		sealEvery:  SealEvery,
		users:      newUsers(),
		dayActive:  map[int64]uint32{},
		surfaces:   map[string]uint16{},
		toolByTool: newKeyed[[4]timeline](maxOpenValues),
		workflows:  newKeyed[timeline](maxOpenValues),
		policies:   newKeyed[timeline](maxOpenValues),
		byModel:    newKeyed[keyed[timeline]](maxOpenValues),
		deploys:    newKeyed[[3]timeline](maxOpenValues),
		changes:    map[string]*changeState{},
		incidents:  map[string]*incidentState{},
		governance: newKeyed[observations](maxOpenValues),
		coverage:   newKeyed[observations](maxOpenValues),
		dedup:      newDedup(),
		positions:  map[string][]byte{},
		cum:        newCumulative(),
		committed:  &cumulative{counters: newCounters()},
	}
}

// Now returns the engine's clock in unix milliseconds.
func (e *Engine) Now() int64 { return e.now }

// Advance moves the clock to now (ms) and applies the pending events it
// reaches. The clock never moves back.
func (e *Engine) Advance(now int64) {
	if now <= e.now {
		return
	}
	e.now = now
	if len(e.pending) == 0 {
		return
	}
	sort.SliceStable(e.pending, func(i, j int) bool { return e.pending[i].ev.Time < e.pending[j].ev.Time })
	i := 0
	for ; i < len(e.pending) && e.pending[i].ev.Time <= now; i++ {
		p := &e.pending[i]
		doEvent, doUser := e.ownership(&p.ev)
		e.apply(&p.ev, hashesOf(&p.ev).user, doEvent && !p.userOnly, doUser)
	}
	e.pending = append(e.pending[:0:0], e.pending[i:]...)
}

// Apply files one event as of the engine's clock. Strings of ev may alias
// a decoder buffer: the engine copies what it keeps.
func (e *Engine) Apply(ev *event.Event) Result {
	return e.applyHashed(ev, hashesOf(ev))
}

// ApplyBatch applies evs in order, exactly as Apply would one at a time,
// and stores each event's Result in res, which must be at least as long as
// evs. It is the fast path for the batches sources deliver: before
// applying a group of events it reads the hash-table slots and user
// records the group will need, so that their cache misses (the bulk of the
// engine's cost on a large user table) overlap instead of following one
// another.
func (e *Engine) ApplyBatch(evs []event.Event, res []Result) {
	var hs [prefetchGroup]evHashes
	for start := 0; start < len(evs); start += prefetchGroup {
		group := evs[start:min(start+prefetchGroup, len(evs))]
		users := e.opt.Side != EventSide // else the user side is another engine's
		for i := range group {
			ev := &group[i]
			hs[i] = evHashes{id: ev.IDKey()}
			if users {
				hs[i].user = ev.UserKey()
			}
		}
		e.prefetch(hs[:len(group)])
		for i := range group {
			res[start+i] = e.applyHashed(&group[i], hs[i])
		}
	}
}

// prefetchGroup is how many events ApplyBatch prepares at once: enough
// misses in flight to hide memory latency, few enough that what they bring
// in is still cached when the events are applied.
const prefetchGroup = 64

// evHashes are the hashes of an event's user and id (0 when absent),
// computed once per event.
type evHashes struct{ user, id uint64 }

func hashesOf(ev *event.Event) evHashes {
	return evHashes{user: ev.UserKey(), id: ev.IDKey()}
}

// prefetch reads the memory the events of hashes hs are about to touch:
// the user table's and the dedup set's home slots (the dedup set's alone
// on the event side), then the user records they point to, then the last
// of those users' earlier days. The loads of one pass do not depend on each other,
// so the CPU overlaps their misses. The reads are only a hint: a slot may
// hold another user, or the tables may grow before the events are applied.
func (e *Engine) prefetch(hs []evHashes) {
	var x uint64
	us := &e.users
	umask := uint64(len(us.slots) - 1)
	seen := e.dedup.seen.slots
	dmask := uint64(len(seen) - 1)
	users := e.opt.Side != EventSide
	for _, h := range hs {
		if h.user != 0 && users {
			x += uint64(us.slots[h.user&umask].hashLo)
		}
		if h.id != 0 && len(seen) > 0 {
			x += seen[h.id&dmask]
		}
	}
	if users {
		x += us.prefetchRecords(hs)
	}
	e.prefetched = x
}

// prefetchRecords reads the records of hs's users whose table slots were
// just read, then the end of each one's earlier days, where a new day is
// appended: two passes, so that no load waits for another of its pass.
func (us *users) prefetchRecords(hs []evHashes) uint64 {
	var x uint64
	umask := uint64(len(us.slots) - 1)
	var recs [prefetchGroup]*user
	for i := range hs {
		if hs[i].user != 0 {
			if idx := us.slots[hs[i].user&umask].idx; idx != 0 {
				recs[i] = us.at(idx - 1)
				x += recs[i].cur
			}
		}
	}
	for _, u := range recs[:len(hs)] {
		if u != nil && u.days != 0 {
			x += us.pool.last(u.days)
		}
	}
	return x
}

func (e *Engine) applyHashed(ev *event.Event, h evHashes) Result {
	doEvent, doUser := e.ownership(ev)
	if !doEvent && !doUser {
		return NotOwned
	}
	if ev.Time > e.now+FutureTolerance {
		return Future
	}
	// A repeated id's counts are dropped; its user side is still applied
	// (it is idempotent), since a copy may carry a user the first lacked:
	// an audit inference event after the cost record with its id.
	dup := doEvent && ev.ID != "" && !e.dedup.add(h.id, ceilSec(ev.Time), e)
	if dup {
		doEvent = false
		if !doUser || ev.User == "" {
			return Duplicate
		}
	}
	if ev.Time > e.now {
		e.pending = append(e.pending, pendingEvent{ev: ownEvent(ev), userOnly: dup})
		if dup {
			return Duplicate
		}
		return Pending
	}
	e.apply(ev, h.user, doEvent, doUser)
	if dup {
		return Duplicate
	}
	return Applied
}

// pendingEvent is an event waiting for the clock; userOnly marks a
// repeated id whose counts were already taken.
type pendingEvent struct {
	ev       event.Event
	userOnly bool
}

// ownership says which parts of an event this engine applies. Unsharded,
// both. Sharded, an event has two sides:
//   - its user side (activity, firsts, surfaces, setup) belongs to the
//     shard of its user; these updates are idempotent, so they need no
//     deduplication;
//   - its event side (every count) belongs to the shard of its user, or to
//     the global shard for events without a user and for the types whose
//     copies or partners arrive without one: inference (cost records carry
//     the same ids, without users) and change_accepted (its change_reverted
//     carries no user). The event side is deduplicated where it is owned,
//     so every copy of an id meets the same dedup set.
func (e *Engine) ownership(ev *event.Event) (doEvent, doUser bool) {
	doEvent, doUser = e.shardOwnership(ev)
	switch e.opt.Side {
	case EventSide:
		doUser = false
	case UserSide:
		doEvent = false
	}
	return doEvent, doUser
}

// shardOwnership is ownership across shards (processes), both sides.
func (e *Engine) shardOwnership(ev *event.Event) (doEvent, doUser bool) {
	if e.opt.ShardCount <= 1 {
		return true, true
	}
	userShard := -1
	if ev.User != "" {
		userShard = ShardOf(ev.User, e.opt.ShardCount)
	}
	eventShard := userShard
	switch {
	case ev.User == "", ev.Type == event.TypeInference, ev.Type == event.TypeChangeAccepted:
		eventShard = e.opt.GlobalShard
	}
	return eventShard == e.opt.ShardIndex, userShard == e.opt.ShardIndex
}

// ShardOf is the shard that owns a user: FNV-1a 64 of the id, mod count.
// Documented in docs/scaling.md so log shippers can route the same way.
func ShardOf(userID string, count int) int {
	h := fnv.New64a()
	h.Write([]byte(userID))
	return int(h.Sum64() % uint64(count))
}

// apply files ev; userHash is the xxhash64 of ev.User.
func (e *Engine) apply(ev *event.Event, userHash uint64, doEvent, doUser bool) {
	sec := ceilSec(ev.Time)
	old := sec <= ceilSec(e.now)-RetentionDays*secPerDay
	if doUser && ev.User != "" {
		e.applyUser(ev, userHash, sec, old)
	}
	if !doEvent || old {
		// Too old for any window: only per-user firsts still matter.
		return
	}
	if int(ev.Type) < len(e.ingested) {
		e.ingested[ev.Type]++
	}
	if ev.Time > e.lastEvent {
		e.lastEvent = ev.Time
	}
	if e.sinceSeal++; e.sinceSeal >= e.sealEvery {
		e.sinceSeal = 0
		e.seal()
	}
	switch ev.Type {
	case event.TypeToolCall:
		st := indexOf(toolStatuses, ev.Status)
		e.toolCalls[st].add(sec, 1, 0)
		e.toolByTool.get(ev.Tool)[st].add(sec, 1, 0)
		e.countToolCall(labelOf(ev.Tool), st)
		e.action(ev, sec)
		if !math.IsNaN(ev.DurationMS) && ev.DurationMS >= 0 {
			e.gateway.get(sketchBucket(ev.DurationMS/1000)).add(sec, 1, units(ev.DurationMS/1000))
			e.cum.observe(hGateway, int64(math.Round(ev.DurationMS*1000)))
		}
	case event.TypeOutcome:
		e.action(ev, sec)
		if verifiedOutcome(ev) {
			st := 0
			if ev.Status == "failure" {
				st = 1
			}
			e.verified[st].add(sec, 1, 0)
			e.workflows.get(ev.Workflow).add(sec, 1, 0)
			e.countVerified(labelOf(ev.Workflow), st)
		}
	case event.TypeApproval:
		e.action(ev, sec)
	case event.TypePolicyBlock:
		e.policies.get(ev.Policy).add(sec, 1, 0)
		e.countEvent(cPolicyBlocks, labelOf(ev.Policy))
	case event.TypeArenaRun:
		r := indexOf(arenaResults, ev.Status)
		e.arena[r].add(sec, 1, 0)
		e.countEvent(cArenaRuns, arenaResults[r])
		if !math.IsNaN(ev.CostUSD) {
			e.arenaCost.add(sec, 1, units(ev.CostUSD))
			if ev.CostUSD >= 0 { // a counter never goes down
				e.cum.counters.add(cArenaUSD, nanos(ev.CostUSD), [3]string{})
			}
		}
	case event.TypeConsensus:
		if !math.IsNaN(ev.Confidence) {
			e.consensus.add(sec, 1, units(ev.Confidence))
			e.countEvent(cConsensus)
			e.cum.counters.add(cConsensusPoints, micros(max(ev.Confidence, 0)), [3]string{})
		}
	case event.TypeChangeAccepted, event.TypeChangeReverted:
		e.change(ev)
	case event.TypeCircuitBreaker:
		if ev.Status == "open" {
			e.breakerTrips.add(sec, 1, 0)
			e.countEvent(cBreakerTrips)
		}
	case event.TypeInference:
		cost := units(ev.CostUSD) // NaN: 0
		e.inferenceCost.add(sec, 1, cost)
		e.byModel.get(ev.Provider).get(ev.Model).add(sec, 1, cost)
		r := ev.Routed
		if r == "" {
			r = "none"
		}
		ri := indexOf(routedValues, r)
		e.routed[ri].add(sec, 1, 0)
		e.countInference(labelOf(ev.Provider), labelOf(ev.Model), fromUnits(cost), routedValues[ri])
	case event.TypeQualityGate:
		g := indexOf(gateResults, ev.Status)
		e.gates[g].add(sec, 1, 0)
		e.countEvent(cGateRuns, gateResults[g])
	case event.TypeCoverage:
		if !math.IsNaN(ev.Ratio) {
			e.coverage.get(ev.Repo).add(ev.Time, ev.Ratio)
		}
	case event.TypeGovernance:
		if !math.IsNaN(ev.Score) {
			e.governance.get(ev.Repo).add(ev.Time, ev.Score)
		}
	case event.TypeDeploy:
		r := indexOf(deployResults, ev.Status)
		e.deploys.get(ev.Env)[r].add(sec, 1, 0)
		e.countEvent(cDeploys, labelOf(ev.Env), deployResults[r])
	case event.TypeMerge:
		e.merges.add(sec, 1, 0)
		e.countEvent(cMerges)
	case event.TypeRevert:
		e.reverts.add(sec, 1, 0)
		e.countEvent(cReverts)
	case event.TypeShipped:
		if ev.OpenedAt != event.NoTime && ev.OpenedAt <= ev.Time {
			e.cycleTime.add(ev.Time, float64(ev.Time-ev.OpenedAt)/1000)
			e.cum.observe(hCycleTime, ev.Time-ev.OpenedAt)
		}
	case event.TypeIncidentOpened, event.TypeIncidentResolved:
		e.incident(ev)
	case event.TypeMilestoneClosed:
		hit := 1
		if ev.Due != event.NoTime && ev.Time <= ev.Due {
			hit = 0
		}
		e.milestones[hit].add(sec, 1, 0)
		e.countEvent(cMilestones, milestoneHitVal[hit])
	}
}

// applyUser applies the user side of an event: activity, firsts, surfaces
// and setup. Every update is idempotent (min, max, set membership). The
// user's record is looked up once, and only for the types that have a user
// side.
func (e *Engine) applyUser(ev *event.Event, userHash uint64, sec int64, old bool) {
	act := activates(ev.Type)
	if !act && (ev.Type != event.TypeSetup || old) {
		return
	}
	u := e.users.get(userHash, ev.UserFingerprint())
	if act {
		e.activity(u, ev.Time, sec)
	}
	switch ev.Type {
	case event.TypeOutcome:
		if verifiedOutcome(ev) && (u.firstOutcome == 0 || uint32(sec) < u.firstOutcome) {
			if u.firstOutcome == 0 && !old {
				// The pair is complete (the outcome is activity too):
				// observed once, never moved (cumhist.go).
				e.cum.observe(hTTFO, sec-int64(u.firstAct))
			}
			u.firstOutcome = uint32(sec)
		}
	case event.TypeSessionStart:
		if ev.Surface != "" && !old {
			e.users.useSurface(u, e.surfaceIdx(ev.Surface), uint32(sec))
		}
	case event.TypeSetup:
		u.setupTry = max(u.setupTry, uint32(sec))
		if ev.Status == "success" {
			u.setupOK = max(u.setupOK, uint32(sec))
		}
	}
}

// activates reports whether an event of type t with a user makes the user
// active (kpis.md: auth session_start and signup, every audit type; not
// setup, not CI, not unknown types).
func activates(t event.Type) bool {
	return t == event.TypeSignup || t == event.TypeSessionStart || t.Stream() == event.StreamAudit
}

func verifiedOutcome(ev *event.Event) bool {
	return ev.Receipt != "" && (ev.Status == "success" || ev.Status == "failure")
}

// activity records that u was active at ms (filed under second sec).
func (e *Engine) activity(u *user, ms, sec int64) {
	s := uint32(sec)
	if u.firstAct == 0 || s < u.firstAct {
		u.firstAct = s
	}
	day := floorDiv(ms, secPerDay*1000)
	if day <= floorDiv(e.now, secPerDay*1000)-RetentionDays {
		return
	}
	if e.users.touchDay(u, day, sec) {
		e.dayActive[day]++
	}
}

func (e *Engine) action(ev *event.Event, sec int64) {
	e.actions.add(sec, 1, 0)
	e.countEvent(cActions)
	if ev.Receipt != "" {
		e.actionsReceipt.add(sec, 1, 0)
		e.countEvent(cActionsReceipt)
	}
}

func (e *Engine) surfaceIdx(s string) uint16 {
	if i, ok := e.surfaces[s]; ok {
		return i
	}
	if len(e.surfaces) >= 256 {
		s = OtherLabel
		if i, ok := e.surfaces[s]; ok {
			return i
		}
	}
	i := uint16(len(e.surfaces))
	e.surfaces[strings.Clone(s)] = i
	return i
}

// change records a change's earliest acceptance and earliest revert, in
// whatever order they arrive; the windowed fix loop is read from them at
// evaluation, the histogram's observation made when both are first known.
// A revert of a change never seen accepted does not count (no start time).
func (e *Engine) change(ev *event.Event) {
	if ev.Change == "" {
		return
	}
	c := e.changes[ev.Change]
	if c == nil {
		c = &changeState{accepted: event.NoTime, reverted: event.NoTime}
		e.changes[strings.Clone(ev.Change)] = c
	}
	complete := c.accepted != event.NoTime && c.reverted != event.NoTime
	p := &c.reverted
	if ev.Type == event.TypeChangeAccepted {
		p = &c.accepted
	}
	if *p == event.NoTime || ev.Time < *p {
		*p = ev.Time
	}
	// The pair's first completion is observed once, never moved
	// (cumhist.go); a revert stamped before the acceptance is not a fix
	// loop, for the histogram as for the windowed KPI.
	if !complete && c.accepted != event.NoTime && c.reverted != event.NoTime && c.reverted >= c.accepted {
		e.cum.observe(hFixLoop, c.reverted-c.accepted)
	}
}

// incident records an incident's earliest opening (security if any opening
// says so) and earliest resolution, in whatever order they arrive.
func (e *Engine) incident(ev *event.Event) {
	if ev.Incident == "" {
		return
	}
	in := e.incidents[ev.Incident]
	if in == nil {
		in = &incidentState{opened: event.NoTime, resolved: event.NoTime}
		e.incidents[strings.Clone(ev.Incident)] = in
	}
	if ev.Type == event.TypeIncidentOpened {
		// Counted when the incident's first opening arrives, and as a
		// security incident when the first opening saying so arrives.
		if in.opened == event.NoTime {
			e.countEvent(cIncidentsOpened)
		}
		if ev.Security && !in.security {
			e.countEvent(cSecurityOpened)
		}
		if in.opened == event.NoTime || ev.Time < in.opened {
			in.opened = ev.Time
		}
		in.security = in.security || ev.Security
	} else {
		if in.resolved == event.NoTime {
			e.countEvent(cIncidentsResolved)
		}
		if in.resolved == event.NoTime || ev.Time < in.resolved {
			in.resolved = ev.Time
		}
	}
}

// OwnEvent copies every string of ev so it outlives the decoder's buffer.
func OwnEvent(ev *event.Event) event.Event { return ownEvent(ev) }

func ownEvent(ev *event.Event) event.Event {
	c := *ev
	for _, p := range c.StringFields() {
		*p = strings.Clone(*p)
	}
	return c
}

// seal packs every hour of history that ended sealAfterSec before the
// latest event applied (or the clock, if earlier), as Prune packs the
// hours behind the clock, and drops nothing. The engine calls it every
// SealEvery events it files. Prune alone would leave a long read of
// history with the clock far ahead of its events (kpis, a first start or
// a restart's catch-up in serve) holding every hour it has read at 16
// bytes a second until the next Prune, or pack the hours still being
// written. Sealing changes how the hours are stored, not what they answer,
// so the view is the same to the bit whenever it runs.
func (e *Engine) seal() {
	if e.lastEvent == 0 {
		return
	}
	before := min(ceilSec(e.lastEvent), ceilSec(e.now)) - sealAfterSec
	for _, g := range e.timelineHorizons() {
		for _, tl := range g.timelines {
			tl.sealBefore(before)
		}
	}
}

// SealEvery is how many events the engine files between two seals: a week
// of audit logs read at once then holds its past hours at 2-3 bytes a
// second instead of 16, and the memory freed is reused for the next hours
// instead of being taken fresh from the kernel, page by page (on a virtual
// machine, a page fault can cost ten microseconds).
const SealEvery = 64 << 10

// Prune drops history no window needs any more and seals the timelines'
// hours that ended more than two hours ago (see chunk.packed). The serve
// loop calls it now and then; evaluation is right without it.
func (e *Engine) Prune() {
	nowSec := ceilSec(e.now)
	cut := nowSec - RetentionDays*secPerDay
	for _, g := range e.timelineHorizons() {
		// One day more than the longest window read, so an evaluation a
		// little after the engine's clock is still whole.
		keep := nowSec - (g.days+1)*secPerDay
		for _, tl := range g.timelines {
			tl.prune(keep)
			tl.sealBefore(nowSec - sealAfterSec)
		}
	}
	// Values of the open label sets with no history left are forgotten.
	emptyTL := func(t *timeline) bool { return t.empty() }
	e.workflows.forget(emptyTL)
	e.policies.forget(emptyTL)
	e.toolByTool.forget(func(t *[4]timeline) bool { return allEmpty(t[:]) })
	e.deploys.forget(func(t *[3]timeline) bool { return allEmpty(t[:]) })
	e.byModel.forget(func(m *keyed[timeline]) bool { m.forget(emptyTL); return len(m.m) == 0 })
	e.gateway.prune(nowSec - 2*3600)
	cutMS := cut * 1000
	e.cycleTime.prune(cutMS)
	// A change or incident is forgotten once everything known of it is
	// older than the retention; an open one is kept.
	for k, c := range e.changes {
		if c.reverted != event.NoTime && c.reverted < cutMS && c.accepted < cutMS {
			delete(e.changes, k)
		}
	}
	for k, in := range e.incidents {
		if in.resolved != event.NoTime && in.resolved < cutMS && in.opened < cutMS {
			delete(e.incidents, k)
		}
	}
	day := floorDiv(e.now, secPerDay*1000) - RetentionDays
	for _, pg := range e.users.pages {
		for i := range pg {
			e.users.pruneDays(&pg[i], day)
		}
	}
	for d := range e.dayActive {
		if d < day {
			delete(e.dayActive, d)
		}
	}
	for _, o := range e.governance.m {
		o.prune(cutMS)
	}
	for _, o := range e.coverage.m {
		o.prune(cutMS)
	}
}

func allEmpty(tls []timeline) bool {
	for i := range tls {
		if !tls[i].empty() {
			return false
		}
	}
	return true
}

// timelineGroup is timelines whose longest window (view.go) is days long.
type timelineGroup struct {
	days      int64
	timelines []*timeline
}

// timelineHorizons groups every timeline but the gateway sketch by the longest
// window the view reads from it; Prune keeps each group's history that
// long (plus a day) instead of the whole retention, which matters most
// for the per-tool, per-model and per-workflow timelines: many, busy, and
// read over 7 days only. TestPruneKeepsEverySample and
// TestTimelineHorizonsCoverAll hold this table to the view.
func (e *Engine) timelineHorizons() []timelineGroup {
	week := []*timeline{&e.actions, &e.actionsReceipt, &e.arenaCost, &e.consensus, &e.breakerTrips}
	twoWeeks := []*timeline{&e.inferenceCost}
	for _, a := range [][]timeline{e.toolCalls[:], e.arena[:], e.routed[:], e.gates[:]} {
		for i := range a {
			week = append(week, &a[i])
		}
	}
	for i := range e.verified {
		twoWeeks = append(twoWeeks, &e.verified[i])
	}
	for _, t := range e.toolByTool.m {
		for i := range t {
			week = append(week, &t[i])
		}
	}
	for _, t := range e.deploys.m {
		for i := range t {
			week = append(week, &t[i])
		}
	}
	for _, t := range e.workflows.m {
		week = append(week, t)
	}
	for _, m := range e.byModel.m {
		for _, t := range m.m {
			week = append(week, t)
		}
	}
	for _, t := range e.policies.m {
		twoWeeks = append(twoWeeks, t) // this week and the one before
	}
	// Merges, reverts (30-day windows) and milestones (90) are rare: they
	// keep the whole retention.
	rare := []*timeline{&e.merges, &e.reverts, &e.milestones[0], &e.milestones[1]}
	return []timelineGroup{{7, week}, {14, twoWeeks}, {RetentionDays - 1, rare}}
}

// SetPosition records the position of a source as of the events applied
// so far; it is saved atomically with the state in the next checkpoint.
func (e *Engine) SetPosition(source string, pos []byte) {
	e.positions[source] = append([]byte(nil), pos...)
}

// Position returns the saved position of a source (nil if none).
func (e *Engine) Position(source string) []byte { return e.positions[source] }

// Ingested returns the applied event count of a type.
func (e *Engine) Ingested(t event.Type) uint64 { return e.ingested[t] }

// Users returns the number of users with state.
func (e *Engine) Users() int { return e.users.len() }
