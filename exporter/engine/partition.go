package engine

import (
	"bufio"
	"encoding/binary"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"runtime"
	"sync"
	"sync/atomic"
	"unsafe"

	"github.com/heady/heady-metrics/exporter/event"
)

// Partitioned is an engine whose work is spread over the cores: one
// EventSide engine applies every event's counts in order (deduplication,
// windows, sums: the state whose floats depend on order), while the users
// are split by hash into partitions, each a UserSide engine applying its
// users' activity on its own goroutine. A user's updates are idempotent
// (min, max, set membership), so they commute; the partitions' per-user
// series are integer counts that add up, and the times to a first outcome
// are merged as a sorted union. The one update that depends on order, the
// time to first outcome histogram's observation when a user's first
// verified outcome arrives, sees that user's events in input order in their
// partition as in a plain engine; the partitions' histograms add bucket by
// bucket. The View is therefore the same, to the last bit, whatever the
// partition count and however events are batched.
//
// With one partition it is a plain Engine doing both sides, as fast as
// before on one core. Like Engine it is not safe for concurrent use: one
// goroutine calls it, and it fans the work out and waits.
//
// The user side runs behind the event side: ApplyOwnedBatch hands a batch
// to the partitions and returns without waiting for them, so the event
// side, the partitions and the decoders feeding them keep every core busy
// instead of meeting at the end of each batch. Every other method that
// reads or changes the partitions first waits for them (sync).
type Partitioned struct {
	ev    *Engine   // the event side (both sides when parts is nil)
	parts []*Engine // the user side, by partOf

	// The partitions' queued work: tails[i] is closed when partition i has
	// applied every batch handed to it so far (nil: nothing queued), slots[i]
	// bounds the batches queued for it, and inflight counts them all.
	tails    []chan struct{}
	slots    []chan struct{}
	inflight sync.WaitGroup
}

// maxQueuedBatches is how many batches a partition may lag behind the
// event side: enough to ride out an uneven batch, few enough that the
// batches held stay small next to the engine.
const maxQueuedBatches = 4

// partOf is the partition of a user whose id hashes (xxhash64) to h: from
// the high bits, since the user tables index their slots by the low ones.
func partOf(h uint64, n int) int { return int((h >> 32) * uint64(n) >> 32) }

// NewPartitioned returns an empty engine that applies events on
// opt.Partitions goroutines (0: GOMAXPROCS): one is a plain engine; n > 1
// is the event side and n-1 partitions of the users, so that on two cores
// the two sides, about equal in cost, run side by side.
func NewPartitioned(opt Options) *Partitioned {
	n := partitionCount(opt)
	if n == 1 {
		opt.Side = BothSides
		return &Partitioned{ev: New(opt)}
	}
	p := &Partitioned{}
	evOpt := opt
	evOpt.Side = EventSide
	p.ev = New(evOpt)
	for range n - 1 {
		uOpt := opt
		uOpt.Side = UserSide
		p.parts = append(p.parts, New(uOpt))
		p.tails = append(p.tails, nil)
		p.slots = append(p.slots, make(chan struct{}, maxQueuedBatches))
	}
	return p
}

func partitionCount(opt Options) int {
	n := opt.Partitions
	if n <= 0 {
		n = runtime.GOMAXPROCS(0)
	}
	return max(1, min(n, 256))
}

// Partitions returns the number of goroutines that apply events: 1, or
// the event side and the user partitions.
func (p *Partitioned) Partitions() int { return len(p.all()) }

// all is every engine of p.
func (p *Partitioned) all() []*Engine { return append([]*Engine{p.ev}, p.parts...) }

// each runs f on every engine of p, in parallel when there are several.
func (p *Partitioned) each(f func(e *Engine)) {
	if p.parts == nil {
		f(p.ev)
		return
	}
	p.sync()
	var wg sync.WaitGroup
	for _, e := range p.parts {
		wg.Add(1)
		go func() { defer wg.Done(); f(e) }()
	}
	f(p.ev)
	wg.Wait()
}

// Now returns the engine's clock in unix milliseconds.
func (p *Partitioned) Now() int64 { return p.ev.now }

// Advance moves the clock to now (see Engine.Advance). The partitions
// take it with their next batch, or when they are next waited for.
func (p *Partitioned) Advance(now int64) { p.ev.Advance(now) }

// Apply files one event (see Engine.Apply).
func (p *Partitioned) Apply(ev *event.Event) Result {
	if p.parts == nil {
		return p.ev.Apply(ev)
	}
	var res [1]Result
	p.applyBatch(unsafe.Slice(ev, 1), res[:], nil)
	p.sync()
	return res[0]
}

// ApplyBatch applies evs exactly as Apply would one at a time (see
// Engine.ApplyBatch): the event side on the calling goroutine while each
// partition applies its users' side on its own. It returns when every
// side is done with evs, so the caller may reuse them.
func (p *Partitioned) ApplyBatch(evs []event.Event, res []Result) {
	p.ApplyOwnedBatch(evs, res, nil)
	p.sync()
}

// ApplyOwnedBatch is ApplyBatch for a batch the caller hands over: neither
// evs nor the memory their strings point into may change until done is
// called. It returns once the event side has applied the batch and res is
// filled; the partitions may still be applying their users' side, behind
// the event side, in order. done, unless nil, is called once every side
// has finished with evs, on the goroutine of the last one: the caller may
// then reuse evs and their memory (stream.Batch.Release).
func (p *Partitioned) ApplyOwnedBatch(evs []event.Event, res []Result, done func()) {
	if len(evs) == 0 {
		if done != nil {
			done()
		}
		return
	}
	p.applyBatch(evs, res, done)
}

func (p *Partitioned) applyBatch(evs []event.Event, res []Result, done func()) {
	if p.parts == nil {
		p.ev.ApplyBatch(evs, res)
		if done != nil {
			done()
		}
		return
	}
	// finish is called by every side once it is done with evs; the
	// last one calls done.
	finish := func() {}
	if done != nil {
		left := new(atomic.Int32)
		left.Store(int32(len(p.parts) + 1))
		finish = func() {
			if left.Add(-1) == 0 {
				done()
			}
		}
	}
	p.dispatch(evs, finish)
	p.ev.ApplyBatch(evs, res)
	// Where another shard counts an event, its result is the user side's,
	// which depends only on the shard and the clock.
	for i := range res {
		if res[i] == NotOwned && evs[i].User != "" {
			res[i] = p.userResult(&evs[i])
		}
	}
	finish()
}

// dispatch queues evs for every partition, after the batches queued
// before it, with the event side's clock as it is now; it waits only when
// a partition already has maxQueuedBatches waiting. Each partition calls
// finish when it has applied evs.
func (p *Partitioned) dispatch(evs []event.Event, finish func()) {
	now := p.ev.now
	for i, e := range p.parts {
		p.slots[i] <- struct{}{}
		prev, done := p.tails[i], make(chan struct{})
		p.tails[i] = done
		p.inflight.Add(1)
		go func() {
			defer p.inflight.Done()
			defer close(done)
			defer func() { <-p.slots[i] }()
			if prev != nil {
				<-prev
			}
			e.Advance(now)
			e.applyUsers(evs, i, len(p.parts))
			finish()
		}()
	}
}

// sync waits until the partitions have applied every batch queued for
// them and brings their clocks to the event side's.
func (p *Partitioned) sync() {
	if p.parts == nil {
		return
	}
	p.inflight.Wait()
	for i, e := range p.parts {
		p.tails[i] = nil
		e.Advance(p.ev.now)
	}
}

// userResult is the Result the user side gives ev, which applying it
// does not change: whether this shard owns ev's user, and the clock.
func (p *Partitioned) userResult(ev *event.Event) Result {
	_, doUser := p.ev.shardOwnership(ev)
	switch {
	case !doUser:
		return NotOwned
	case ev.Time > p.ev.now+FutureTolerance:
		return Future
	case ev.Time > p.ev.now:
		return Pending
	}
	return Applied
}

// applyUsers applies the user side of the events of evs whose users are in
// partition part of n, in order. Like ApplyBatch it prefetches each
// group's user records before applying them.
func (e *Engine) applyUsers(evs []event.Event, part, n int) {
	var idx [prefetchGroup]int32
	var hs [prefetchGroup]evHashes
	k := 0
	flush := func() {
		e.prefetchUsers(hs[:k])
		for j := range k {
			e.applyHashed(&evs[idx[j]], hs[j])
		}
		k = 0
	}
	for i := range evs {
		if evs[i].User == "" {
			continue
		}
		h := evs[i].UserKey()
		if partOf(h, n) != part {
			continue
		}
		idx[k], hs[k] = int32(i), evHashes{user: h}
		k++
		if k == prefetchGroup {
			flush()
		}
	}
	flush()
}

// prefetchUsers reads the user table's slots and records of hs's users
// (see prefetch).
func (e *Engine) prefetchUsers(hs []evHashes) {
	var x uint64
	us := &e.users
	umask := uint64(len(us.slots) - 1)
	for i := range hs {
		x += uint64(us.slots[hs[i].user&umask].hashLo)
	}
	e.prefetched = x + us.prefetchRecords(hs)
}

// Evaluate computes every exported series as of nowMS (see
// Engine.Evaluate); the partitions walk their users in parallel.
func (p *Partitioned) Evaluate(nowMS int64) *View {
	if p.parts == nil {
		return p.ev.Evaluate(nowMS)
	}
	p.sync()
	us := p.userStats(floorDiv(nowMS, 1000))
	cum := &p.ev.cum
	if !p.ev.opt.CountersAsOfCheckpoint { // else the view shows the checkpoint's
		cum = cum.withUserHists(p.parts)
	}
	return p.ev.evaluate(nowMS, &us, cum)
}

// statsPages is how many pages of user records one goroutine of
// Partitioned.userStats walks at a time.
const statsPages = 8

// userStats walks every partition's users on every core, a run of pages
// at a time, whatever the partition count: the walk is read-only, and
// the runs' stats add (the times to a first outcome are sorted later).
func (p *Partitioned) userStats(now int64) userStats {
	type run struct {
		e     *Engine
		pages [][]user
	}
	var runs []run
	for _, e := range p.parts {
		pg := e.users.pages
		for len(pg) > 0 {
			n := min(statsPages, len(pg))
			runs = append(runs, run{e, pg[:n]})
			pg = pg[n:]
		}
	}
	stats := make([]userStats, len(runs))
	var next atomic.Int64
	var wg sync.WaitGroup
	for range min(runtime.GOMAXPROCS(0), len(runs)) {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := int(next.Add(1) - 1); i < len(runs); i = int(next.Add(1) - 1) {
				stats[i] = runs[i].e.pageStats(now, runs[i].pages)
			}
		}()
	}
	wg.Wait()
	var us userStats
	for i := range stats {
		us.merge(&stats[i])
	}
	for _, e := range p.parts {
		us.engineStats(e, now)
	}
	return us
}

// Prune drops history no window needs (see Engine.Prune), in parallel.
func (p *Partitioned) Prune() { p.each((*Engine).Prune) }

// SetPosition records a source's position (see Engine.SetPosition).
func (p *Partitioned) SetPosition(source string, pos []byte) { p.ev.SetPosition(source, pos) }

// Position returns the saved position of a source (nil if none).
func (p *Partitioned) Position(source string) []byte { return p.ev.Position(source) }

// SetRegistry stores the registry's latest snapshot (nil: none).
func (p *Partitioned) SetRegistry(r *RegistryState) { p.ev.SetRegistry(r) }

// SetCost stores the cost source's latest budgets and infra series.
func (p *Partitioned) SetCost(b []Budget, infra []InfraDay) { p.ev.SetCost(b, infra) }

// SetProbes stores the latest probe results.
func (p *Partitioned) SetProbes(r []ProbeResult) { p.ev.SetProbes(r) }

// Ingested returns the applied event count of a type.
func (p *Partitioned) Ingested(t event.Type) uint64 { return p.ev.Ingested(t) }

// Users returns the number of users with state.
func (p *Partitioned) Users() int {
	p.sync()
	n := p.ev.Users()
	for _, e := range p.parts {
		n += e.Users()
	}
	return n
}

// Save writes the checkpoint atomically into dir. The file is the same as
// an Engine's: the partitions' users are written as one table, so it
// restores at any partition count.
func (p *Partitioned) Save(dir string) error {
	if p.parts == nil {
		return p.ev.Save(dir)
	}
	p.sync()
	// The user partitions' pending events are saved after the event
	// side's, as user-only: a user's side is idempotent, so applying it
	// twice after a load (at any partition count) changes nothing.
	own := p.ev.pending
	all := append([]pendingEvent(nil), own...)
	for _, e := range p.parts {
		for _, pe := range e.pending {
			all = append(all, pendingEvent{ev: pe.ev, userOnly: true})
		}
	}
	// The partitions' user-side histograms are saved added into the event
	// side's (they add, so a load at any count files them there).
	saved, ingested := p.ev.cum.withUserHists(p.parts).clone(), p.ev.ingested
	live := p.ev.cum
	err := saveWith(dir, checkpointVersion, func(w *encoder) {
		w.varint(p.ev.now)
		encodeUsers(w, p.parts, nil)
		p.ev.pending, p.ev.cum = all, *saved
		p.ev.encodeEvents(w, checkpointVersion)
		p.ev.pending, p.ev.cum = own, live
	})
	if err == nil {
		p.ev.committed, p.ev.committedIngested = saved, ingested // see Engine.save
	}
	return err
}

// LoadPartitioned restores an engine of opt.Partitions partitions from dir's
// checkpoint, whatever partition count wrote it (see Load).
func LoadPartitioned(dir string, opt Options) (*Partitioned, error) {
	p := NewPartitioned(opt)
	if p.parts == nil {
		e, err := Load(dir, p.ev.opt)
		if err != nil {
			return nil, err
		}
		p.ev = e
		return p, nil
	}
	version, err := loadWith(dir, p.ev.layout(), func(d *decoder) {
		now := d.varint()
		for _, e := range p.all() {
			e.now = now
		}
		d.sealBefore = ceilSec(now) - sealAfterSec
		decodeUsers(d, p.parts)
		p.ev.decodeEvents(d)
	})
	if err != nil {
		return nil, err
	}
	// The user-side histograms were read into the event side's state,
	// where they stay; the partitions' own start empty and add to them.
	// Every pending event with a user is the partitions' to apply on
	// their side; the event side keeps those whose counts are not taken.
	own := p.ev.pending[:0]
	for _, pe := range p.ev.pending {
		if pe.ev.User != "" {
			e := p.parts[partOf(pe.ev.UserKey(), len(p.parts))]
			e.pending = append(e.pending, pendingEvent{ev: pe.ev})
		}
		if !pe.userOnly {
			own = append(own, pe)
		}
	}
	p.ev.pending = own
	p.ev.committed, p.ev.committedIngested = p.ev.cum.clone(), p.ev.ingested
	p.ev.loadedVersion = version
	return p, nil
}

// LoadedVersion is the format version of the checkpoint the engine was
// loaded from (see Engine.LoadedVersion).
func (p *Partitioned) LoadedVersion() int { return p.ev.LoadedVersion() }

// saveWith writes a checkpoint of format version whose body body writes,
// atomically.
func saveWith(dir string, version int, body func(*encoder)) error {
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return err
	}
	f, err := os.CreateTemp(dir, CheckpointFile+".tmp*")
	if err != nil {
		return err
	}
	tmp := f.Name()
	defer os.Remove(tmp) //nolint:errcheck // no-op after the rename
	enc := &encoder{w: bufio.NewWriterSize(f, 1<<20)}
	magic := checkpointMagic
	switch version {
	case 2:
		magic = checkpointMagicV2
	case 3:
		magic = checkpointMagicV3
	case 4:
		magic = checkpointMagicV4
	}
	enc.raw([]byte(magic))
	body(enc)
	sum := enc.crc.sum
	if enc.err == nil {
		var b [4]byte
		binary.LittleEndian.PutUint32(b[:], sum)
		_, enc.err = enc.w.Write(b[:])
	}
	if enc.err == nil {
		enc.err = enc.w.Flush()
	}
	if enc.err == nil {
		enc.err = f.Sync()
	}
	if cerr := f.Close(); enc.err == nil {
		enc.err = cerr
	}
	if enc.err != nil {
		return fmt.Errorf("write checkpoint: %w", enc.err)
	}
	if err := os.Rename(tmp, filepath.Join(dir, CheckpointFile)); err != nil {
		return err
	}
	_ = syncDir(dir) // the checkpoint is whole either way; this makes the rename durable
	return nil
}

// loadWith reads dir's checkpoint, whose body body reads, checking its
// magic and checksum, and returns its format version. A whole checkpoint
// saved under another shard layout than want is a *ShardLayoutError: it
// holds another share of the users and counts.
func loadWith(dir string, want ShardLayout, body func(*decoder)) (int, error) {
	f, err := os.Open(filepath.Join(dir, CheckpointFile))
	if errors.Is(err, os.ErrNotExist) {
		return 0, ErrNoCheckpoint
	}
	if err != nil {
		return 0, err
	}
	defer f.Close() //nolint:errcheck // read only: closing loses nothing
	d := &decoder{r: bufio.NewReaderSize(f, 1<<20)}
	m := d.full(len(checkpointMagic))
	switch {
	case d.err != nil:
	case string(m) == checkpointMagic:
		d.version = 5
	case string(m) == checkpointMagicV4:
		d.version = 4
	case string(m) == checkpointMagicV3:
		d.version = 3
	case string(m) == checkpointMagicV2:
		d.version = 2
	}
	if d.version == 0 {
		return 0, fmt.Errorf("%s: not a heady-exporter checkpoint (or an incompatible version)", f.Name())
	}
	body(d)
	sum := d.crc
	var tail [4]byte
	if d.err == nil {
		if _, err := io.ReadFull(d.r, tail[:]); err != nil {
			d.fail(err)
		}
	}
	if d.err != nil {
		return 0, fmt.Errorf("%s: damaged checkpoint: %w", f.Name(), d.err)
	}
	if binary.LittleEndian.Uint32(tail[:]) != sum {
		return 0, fmt.Errorf("%s: damaged checkpoint: checksum mismatch", f.Name())
	}
	if d.layout != nil && *d.layout != want {
		return 0, &ShardLayoutError{File: f.Name(), Saved: *d.layout, Engine: want}
	}
	return d.version, nil
}
