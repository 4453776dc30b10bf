package engine

import (
	"bufio"
	"encoding/binary"
	"encoding/json"
	"errors"
	"fmt"
	"github.com/cespare/xxhash/v2"
	"hash/crc32"
	"io"
	"math"
	"os"
	"path/filepath"
	"runtime"
	"sort"
	"sync"
	"time"

	"github.com/heady/heady-metrics/exporter/event"
)

// The checkpoint is one file holding the whole engine state and every
// source's position, so that the two are always saved together. It is
// written to a temporary file, synced and renamed over the previous one: a
// crash at any moment leaves either the old or the new checkpoint, whole.
//
// Layout: magic, then sections of varints and length-prefixed bytes, then a
// CRC-32C of everything before it.
//
// Version 3 adds the counters and cumulative histograms at the end. A
// version 2 checkpoint still loads, whole: its
// state is kept and the new counters start from zero, which Prometheus
// reads as new series, not as a reset (LoadInfo says so). The cumulative
// histograms are written with their count, in cumHistFam order: a version
// 3 checkpoint of the first two (gateway, cycle time) loads with the fix
// loop and time to first outcome histograms empty.
//
// Version 4 saves each user's 96-bit fingerprint (the engine keeps no user
// id, see users) where 2 and 3 saved the id; those still load, their ids
// hashed to the same fingerprints as the events' users.
//
// Version 5 adds the shard layout at the end (count, index, global shard):
// a checkpoint holds only its shard's users and counts, so it loads only
// into an engine of the same layout (ShardLayoutError). Older versions,
// which did not record it, load into any.
const (
	checkpointMagic   = "HEADYCK\x05"
	checkpointMagicV4 = "HEADYCK\x04"
	checkpointMagicV3 = "HEADYCK\x03"
	checkpointMagicV2 = "HEADYCK\x02"
)

// checkpointVersion is the format Save writes.
const checkpointVersion = 5

// CheckpointFile is the checkpoint's name inside the state directory.
const CheckpointFile = "checkpoint.bin"

var castagnoli = crc32.MakeTable(crc32.Castagnoli)

type encoder struct {
	w   *bufio.Writer
	crc hashWriter
	buf []byte
	err error
}

type hashWriter struct{ sum uint32 }

func (e *encoder) raw(b []byte) {
	if e.err != nil {
		return
	}
	e.crc.sum = crc32.Update(e.crc.sum, castagnoli, b)
	_, e.err = e.w.Write(b)
}

func (e *encoder) uvarint(v uint64) {
	e.buf = binary.AppendUvarint(e.buf[:0], v)
	e.raw(e.buf)
}

func (e *encoder) varint(v int64) {
	e.buf = binary.AppendVarint(e.buf[:0], v)
	e.raw(e.buf)
}

func (e *encoder) float(v float64) {
	e.buf = binary.LittleEndian.AppendUint64(e.buf[:0], math.Float64bits(v))
	e.raw(e.buf)
}

func (e *encoder) bytes(b []byte) {
	e.uvarint(uint64(len(b)))
	e.raw(b)
}

func (e *encoder) str(s string) {
	e.uvarint(uint64(len(s)))
	if e.err == nil {
		e.crc.sum = crc32.Update(e.crc.sum, castagnoli, []byte(s))
		_, e.err = e.w.WriteString(s)
	}
}

func (e *encoder) timeline(tl *timeline) {
	e.uvarint(uint64(len(tl.chunks)))
	for _, c := range tl.chunks {
		e.varint(c.hour)
		n := 0
		c.each(func(secCount) { n++ })
		e.uvarint(uint64(n))
		c.each(func(s secCount) {
			e.uvarint(uint64(s.off))
			e.uvarint(uint64(s.n))
			e.float(fromUnits(s.sum)) // exact back through units
		})
	}
}

func (e *encoder) samples(s *samples) {
	e.uvarint(uint64(len(s.ts)))
	for i := range s.ts {
		e.varint(s.ts[i])
		e.float(s.v[i])
	}
}

type decoder struct {
	r   *bufio.Reader
	crc uint32
	err error
	buf []byte
	one [1]byte
	// sealBefore: timeline hours that ended before this second are sealed
	// as they are read.
	sealBefore int64
	// version is the checkpoint's format version (2 to 5).
	version int
	// layout is the shard layout the checkpoint recorded (nil before
	// format 5).
	layout *ShardLayout
}

func (d *decoder) ReadByte() (byte, error) {
	b, err := d.r.ReadByte()
	if err == nil {
		d.one[0] = b
		d.crc = crc32.Update(d.crc, castagnoli, d.one[:])
	}
	return b, err
}

// peekVarint returns the bytes of the varint at the reader's position,
// read without copying, or nil if they are not all buffered (at the end
// of the file) or do not end within binary.MaxVarintLen64 bytes: the slow
// path, byte by byte, then says what is wrong.
func (d *decoder) peekVarint() []byte {
	p, _ := d.r.Peek(binary.MaxVarintLen64)
	for i, c := range p {
		if c < 0x80 {
			return p[:i+1]
		}
	}
	return nil
}

func (d *decoder) fail(err error) {
	if d.err == nil {
		d.err = err
	}
}

func (d *decoder) uvarint() uint64 {
	if d.err != nil {
		return 0
	}
	if p := d.peekVarint(); p != nil {
		if v, n := binary.Uvarint(p); n == len(p) {
			d.crc = crc32.Update(d.crc, castagnoli, p)
			_, _ = d.r.Discard(n)
			return v
		}
	}
	v, err := binary.ReadUvarint(d)
	d.fail(err)
	return v
}

func (d *decoder) varint() int64 {
	if d.err != nil {
		return 0
	}
	if p := d.peekVarint(); p != nil {
		if v, n := binary.Varint(p); n == len(p) {
			d.crc = crc32.Update(d.crc, castagnoli, p)
			_, _ = d.r.Discard(n)
			return v
		}
	}
	v, err := binary.ReadVarint(d)
	d.fail(err)
	return v
}

func (d *decoder) full(n int) []byte {
	if d.err != nil {
		return nil
	}
	if n > 1<<30 {
		d.fail(errors.New("length out of range"))
		return nil
	}
	if cap(d.buf) < n {
		d.buf = make([]byte, n)
	}
	b := d.buf[:n]
	if _, err := io.ReadFull(d.r, b); err != nil {
		d.fail(err)
		return nil
	}
	d.crc = crc32.Update(d.crc, castagnoli, b)
	return b
}

func (d *decoder) float() float64 {
	b := d.full(8)
	if b == nil {
		return 0
	}
	return math.Float64frombits(binary.LittleEndian.Uint64(b))
}

func (d *decoder) bytes() []byte { return append([]byte(nil), d.full(int(d.uvarint()))...) }

func (d *decoder) str() string { return string(d.full(int(d.uvarint()))) }

// count reads a length and bounds it, so a damaged file cannot make the
// decoder allocate without limit.
func (d *decoder) count() int {
	n := d.uvarint()
	if n > 1<<31 {
		d.fail(fmt.Errorf("count %d out of range", n))
		return 0
	}
	return int(n)
}

func (d *decoder) timeline(tl *timeline) {
	n := d.count()
	for i := 0; i < n && d.err == nil; i++ {
		c := &chunk{hour: d.varint()}
		m := d.count()
		c.secs = make([]secCount, 0, min(m, 3600))
		for j := 0; j < m && d.err == nil; j++ {
			s := secCount{off: uint16(d.uvarint()), n: uint32(d.uvarint()), sum: units(d.float())}
			c.count += uint64(s.n)
			c.sum += s.sum
			c.secs = append(c.secs, s)
		}
		if c.hour*3600+3599 < d.sealBefore {
			c.seal() // as Prune would: a restart holds what the process held
		}
		tl.chunks = append(tl.chunks, c)
	}
}

func (d *decoder) samples(s *samples) {
	n := d.count()
	for i := 0; i < n && d.err == nil; i++ {
		s.ts = append(s.ts, d.varint())
		s.v = append(s.v, d.float())
	}
}

// externalJSON is the polled sources' snapshot, kept as JSON: small, and
// readable with a hex dump in an emergency.
type externalJSON struct {
	External External `json:"external"`
}

// eventFloats lists an event's number fields for the checkpoint of
// pending events.
func eventFloats(ev *event.Event) []*float64 {
	return []*float64{&ev.DurationMS, &ev.CostUSD, &ev.Confidence, &ev.TokensIn, &ev.TokensOut, &ev.Ratio, &ev.Score}
}

// Save writes the checkpoint atomically into dir.
func (e *Engine) Save(dir string) error { return e.save(dir, checkpointVersion, nil) }

// save writes the checkpoint in format version; below 4 (only for the
// tests of the migrations) idOf gives the id of each user's fingerprint.
func (e *Engine) save(dir string, version int, idOf func(h uint64, h2 uint32) string) error {
	saved, ingested := e.cum.clone(), e.ingested
	if err := saveWith(dir, version, func(w *encoder) { e.encode(w, version, idOf) }); err != nil {
		return err
	}
	// Only now may views show these counters (CountersAsOfCheckpoint).
	e.committed, e.committedIngested = saved, ingested
	return nil
}

// syncDir makes a rename in dir durable.
func syncDir(dir string) error {
	d, err := os.Open(dir)
	if err != nil {
		return err
	}
	defer d.Close() //nolint:errcheck // opened read-only: Sync's error is the one that counts
	return d.Sync()
}

func (e *Engine) encode(w *encoder, version int, idOf func(uint64, uint32) string) {
	w.varint(e.now)
	encodeUsers(w, []*Engine{e}, idOf)
	e.encodeEvents(w, version)
}

// encodeUsers writes the users of parts (the partitions of one engine's
// users) as one table, and the surface names they use. One part keeps its
// surface indexes; several are given the indexes of their sorted union.
// idOf is nil from format 4 on (fingerprints), else it names each user.
func encodeUsers(w *encoder, parts []*Engine, idOf func(uint64, uint32) string) {
	n := 0
	union := map[string]uint16{}
	for _, p := range parts {
		n += p.users.len()
		for s, i := range p.surfaces {
			union[s] = i
		}
	}
	names := sortedKeys(union)
	if len(parts) > 1 {
		for i, s := range names {
			union[s] = uint16(i)
		}
	}
	w.uvarint(uint64(n))
	for _, p := range parts {
		remap := make([]uint16, 0, len(p.surfaces))
		for s, i := range p.surfaces {
			for int(i) >= len(remap) {
				remap = append(remap, 0)
			}
			remap[i] = union[s]
		}
		p.encodeUserList(w, remap, idOf)
	}
	w.uvarint(uint64(len(names)))
	for _, s := range names {
		w.str(s)
		w.uvarint(uint64(union[s]))
	}
}

// encodeUserList writes e's users, their surface indexes mapped by remap,
// in the order of their records (a load keeps it: a restart holds what
// the process held).
func (e *Engine) encodeUserList(w *encoder, remap []uint16, idOf func(uint64, uint32) string) {
	lows := make([]uint32, e.users.len()) // the fingerprints' halves in the slots
	for _, sl := range e.users.slots {
		if sl.idx != 0 {
			lows[sl.idx-1] = sl.hashLo
		}
	}
	for i, lo := range lows {
		u := e.users.at(uint32(i))
		h := uint64(u.hashHi)<<32 | uint64(lo)
		if idOf != nil {
			w.str(idOf(h, u.h2))
		} else {
			w.buf = binary.LittleEndian.AppendUint64(w.buf[:0], h)
			w.buf = binary.LittleEndian.AppendUint32(w.buf, u.h2)
			w.raw(w.buf)
		}
		for _, x := range []uint32{u.firstAct, u.firstOutcome, u.setupTry, u.setupOK} {
			w.uvarint(uint64(x))
		}
		w.uvarint(u.cur)
		days := e.users.pool.list(u.days)
		w.uvarint(uint64(len(days)))
		for _, r := range days {
			w.uvarint(r)
		}
		var buf [surfInline]uint64
		surfaces := e.users.surfaceList(u, &buf)
		w.uvarint(uint64(len(surfaces)))
		for _, v := range surfaces {
			idx, last := unpackSurface(v)
			w.uvarint(uint64(remap[idx]))
			w.uvarint(uint64(last))
		}
	}
}

// encodeEvents writes everything but the clock and the users.
func (e *Engine) encodeEvents(w *encoder, version int) {
	// fixed timelines, in a fixed order
	for _, tl := range e.fixedTimelines() {
		w.timeline(tl)
	}
	// keyed families
	encodeKeyed(w, &e.toolByTool, func(t *[4]timeline) {
		for i := range t {
			w.timeline(&t[i])
		}
	})
	encodeKeyed(w, &e.deploys, func(t *[3]timeline) {
		for i := range t {
			w.timeline(&t[i])
		}
	})
	encodeKeyed(w, &e.workflows, w.timeline)
	encodeKeyed(w, &e.policies, w.timeline)
	encodeKeyed(w, &e.byModel, func(m *keyed[timeline]) { encodeKeyed(w, m, w.timeline) })
	encodeKeyed(w, &e.governance, func(o *observations) { w.samples(&o.samples) })
	encodeKeyed(w, &e.coverage, func(o *observations) { w.samples(&o.samples) })
	w.uvarint(uint64(e.gateway.len()))
	e.gateway.each(func(b int16, tl *timeline) {
		w.varint(int64(b))
		w.timeline(tl)
	})
	w.samples(&e.cycleTime)
	w.uvarint(uint64(len(e.changes)))
	for k, c := range e.changes {
		w.str(k)
		w.varint(c.accepted)
		w.varint(c.reverted)
	}
	w.uvarint(uint64(len(e.incidents)))
	for k, in := range e.incidents {
		w.str(k)
		w.varint(in.opened)
		w.varint(in.resolved)
		sec := uint64(0)
		if in.security {
			sec = 1
		}
		w.uvarint(sec)
	}
	// dedup, oldest hour first
	w.uvarint(uint64(len(e.dedup.hours)))
	for _, b := range e.dedup.hours {
		w.varint(b.hour)
		w.uvarint(uint64(len(b.hashes)))
		for _, x := range b.hashes {
			w.buf = binary.LittleEndian.AppendUint64(w.buf[:0], x)
			w.raw(w.buf)
		}
	}
	w.uvarint(e.dedup.evicted)
	for _, c := range e.ingested {
		w.uvarint(c)
	}
	w.varint(e.lastEvent)
	w.uvarint(uint64(len(e.pending)))
	for i := range e.pending {
		ev := &e.pending[i].ev
		userOnly := uint64(0)
		if e.pending[i].userOnly {
			userOnly = 1
		}
		w.uvarint(userOnly)
		w.varint(ev.Time)
		w.uvarint(uint64(ev.Type))
		for _, p := range ev.StringFields() {
			w.str(*p)
		}
		for _, p := range eventFloats(ev) {
			w.float(*p)
		}
		sec := uint64(0)
		if ev.Security {
			sec = 1
		}
		w.uvarint(sec)
		w.varint(ev.OpenedAt)
		w.varint(ev.Due)
	}
	ext, err := json.Marshal(externalJSON{External: e.external})
	if err != nil && w.err == nil {
		w.err = err
	}
	w.bytes(ext)
	srcs := make([]string, 0, len(e.positions))
	for s := range e.positions {
		srcs = append(srcs, s)
	}
	sort.Strings(srcs)
	w.uvarint(uint64(len(srcs)))
	for _, s := range srcs {
		w.str(s)
		w.bytes(e.positions[s])
	}
	if version >= 3 {
		w.cumulative(&e.cum)
	}
	if version >= 5 {
		l := e.layout()
		w.uvarint(uint64(l.Count))
		w.uvarint(uint64(l.Index))
		w.uvarint(uint64(l.Global))
	}
}

// cumulative writes the counters (sorted) and the cumulative histograms.
func (e *encoder) cumulative(c *cumulative) {
	keys := c.counters.sortedKeys()
	e.uvarint(uint64(len(keys)))
	for _, k := range keys {
		e.uvarint(uint64(k.fam))
		for _, l := range k.labels {
			e.str(l)
		}
		e.uvarint(*c.counters.m[k])
	}
	e.uvarint(uint64(len(c.hists)))
	for i := range c.hists {
		e.cumHist(&c.hists[i])
	}
}

// cumHist writes one cumulative histogram.
func (e *encoder) cumHist(h *cumHist) {
	e.uvarint(h.count)
	e.varint(h.sum)
	e.uvarint(h.zero)
	idx := make([]int, 0, len(h.native))
	for k := range h.native {
		idx = append(idx, int(k))
	}
	sort.Ints(idx)
	e.uvarint(uint64(len(idx)))
	for _, k := range idx {
		e.varint(int64(k))
		e.uvarint(h.native[int32(k)])
	}
	e.uvarint(uint64(len(h.classic)))
	for _, n := range h.classic {
		e.uvarint(n)
	}
}

// cumulative reads what encoder.cumulative wrote.
func (d *decoder) cumulative(c *cumulative) {
	for i, n := 0, d.count(); i < n && d.err == nil; i++ {
		f := counterFam(d.uvarint())
		var l [3]string
		for j := range l {
			l[j] = d.str()
		}
		v := d.uvarint()
		if f >= nCounterFams {
			d.fail(fmt.Errorf("counter family %d out of range", f))
			return
		}
		k := counterKey{f, l}
		if _, dup := c.counters.m[k]; dup {
			d.fail(fmt.Errorf("counter %s%q twice", counterDefs[f].series, l))
			return
		}
		c.counters.m[k] = &v
		c.counters.sets[f]++
	}
	// The families are in cumHistFam order; a checkpoint written before
	// the later families (fix loop, time to first outcome) holds the first
	// two, and the others start empty: new series, not a reset.
	nh := d.count()
	if (nh < 2 || nh > len(c.hists)) && d.err == nil {
		d.fail(fmt.Errorf("%d cumulative histograms, want 2 to %d", nh, len(c.hists)))
		return
	}
	for i := range c.hists[:min(nh, len(c.hists))] {
		h := &c.hists[i]
		h.count, h.sum, h.zero = d.uvarint(), d.varint(), d.uvarint()
		for j, n := 0, d.count(); j < n && d.err == nil; j++ {
			if h.native == nil {
				h.native = map[int32]uint64{}
			}
			k := d.varint()
			h.native[int32(k)] = d.uvarint()
		}
		n := d.count()
		if n != 0 && n != len(cumHistDefs[i].bounds)+1 {
			d.fail(fmt.Errorf("histogram %s: %d classic buckets", cumHistDefs[i].series, n))
			return
		}
		for j := 0; j < n && d.err == nil; j++ {
			h.classic = append(h.classic, d.uvarint())
		}
	}
}

func encodeKeyed[T any](w *encoder, k *keyed[T], each func(*T)) {
	keys := k.keys()
	w.uvarint(uint64(len(keys)))
	for _, key := range keys {
		w.str(key)
		each(k.m[key])
	}
}

func decodeKeyed[T any](d *decoder, k *keyed[T], each func(*T)) {
	n := d.count()
	for i := 0; i < n && d.err == nil; i++ {
		key := d.str()
		p := new(T)
		if k.m == nil {
			k.m, k.max = map[string]*T{}, maxOpenValues
		}
		k.m[key] = p
		each(p)
	}
}

func (e *Engine) fixedTimelines() []*timeline {
	out := []*timeline{&e.actions, &e.actionsReceipt, &e.arenaCost, &e.consensus, &e.breakerTrips,
		&e.inferenceCost, &e.merges, &e.reverts}
	for _, a := range [][]timeline{e.toolCalls[:], e.verified[:], e.arena[:], e.routed[:], e.gates[:], e.milestones[:]} {
		for i := range a {
			out = append(out, &a[i])
		}
	}
	return out
}

// QuarantinePrefix starts the name of a checkpoint moved aside by
// Quarantine: checkpoint.bin.unloadable-<UTC time>.
const QuarantinePrefix = CheckpointFile + ".unloadable-"

// Quarantine moves dir's checkpoint aside, unchanged, to
// checkpoint.bin.unloadable-<time> (a rename in the same directory, so the
// bytes are kept as they were), and returns the new path. It is what a
// caller does with a checkpoint that Load rejects, so that the next Save
// does not overwrite the evidence.
func Quarantine(dir string, now time.Time) (string, error) {
	from := filepath.Join(dir, CheckpointFile)
	to := filepath.Join(dir, QuarantinePrefix+now.UTC().Format("20060102T150405.000Z"))
	if err := os.Rename(from, to); err != nil {
		return "", err
	}
	return to, syncDir(dir)
}

// ErrNoCheckpoint means the state directory holds no checkpoint yet.
var ErrNoCheckpoint = errors.New("no checkpoint")

// Load restores an engine from dir's checkpoint. A missing file returns
// ErrNoCheckpoint; a damaged one an error naming what is wrong (the caller
// then starts from scratch: sources re-read from the beginning, so nothing
// is counted twice).
func Load(dir string, opt Options) (*Engine, error) {
	e := New(opt)
	version, err := loadWith(dir, e.layout(), e.decode)
	if err != nil {
		return nil, err
	}
	e.committed, e.committedIngested = e.cum.clone(), e.ingested
	e.loadedVersion = version
	return e, nil
}

// LoadedVersion is the format version of the checkpoint the engine was
// loaded from (0 for a new engine). Below 3, the counters and cumulative
// histograms started from zero at that load; the rest of the state is
// the checkpoint's.
func (e *Engine) LoadedVersion() int { return e.loadedVersion }

func (e *Engine) decode(d *decoder) {
	e.now = d.varint()
	d.sealBefore = ceilSec(e.now) - sealAfterSec
	decodeUsers(d, []*Engine{e})
	e.decodeEvents(d)
}

// decodeUsers reads the users table into parts, each user into the part
// partOf its fingerprint (a checkpoint restores at any partition count).
// Formats 2 and 3 hold ids, hashed here. The file
// is parsed here; each part files its users (the
// table inserts, the bulk of a restart) on its own goroutine while the
// parsing goes on, when there is more than one core.
func decodeUsers(d *decoder, parts []*Engine) {
	n := d.count()
	for _, p := range parts {
		p.users.reserve(min(n/len(parts)+n/(8*len(parts))+16, 1<<26))
	}
	file := func(k int, c *userChunk) { parts[k].fileUsers(c) }
	var wg sync.WaitGroup
	if runtime.GOMAXPROCS(0) > 1 {
		chans := make([]chan *userChunk, len(parts))
		for k := range parts {
			chans[k] = make(chan *userChunk, 4)
			wg.Add(1)
			go func() {
				defer wg.Done()
				for c := range chans[k] {
					parts[k].fileUsers(c)
				}
			}()
		}
		file = func(k int, c *userChunk) { chans[k] <- c }
		defer func() {
			for _, ch := range chans {
				close(ch)
			}
			wg.Wait()
		}()
	}
	cur := make([]*userChunk, len(parts))
	for i := 0; i < n && d.err == nil; i++ {
		var h uint64
		var h2 uint32
		if d.version >= 4 {
			if fp := d.full(12); fp != nil {
				h, h2 = binary.LittleEndian.Uint64(fp), binary.LittleEndian.Uint32(fp[8:])
			}
		} else {
			id := d.full(int(d.uvarint()))
			h, h2 = xxhash.Sum64(id), event.Fingerprint(id)
		}
		k := partOf(h, len(parts))
		if cur[k] == nil {
			cur[k] = &userChunk{}
		}
		c := cur[k]
		r := userRec{h: h, h2: h2, u: user{
			firstAct: uint32(d.uvarint()), firstOutcome: uint32(d.uvarint()),
			setupTry: uint32(d.uvarint()), setupOK: uint32(d.uvarint()), cur: d.uvarint(),
		}}
		if m := d.count(); m > maxUserList {
			d.fail(fmt.Errorf("user list of %d entries out of range", m))
		} else {
			for j := 0; j < m && d.err == nil; j++ {
				c.lists = append(c.lists, d.uvarint())
			}
		}
		r.days = uint32(len(c.lists))
		if m := d.count(); m > maxUserList {
			d.fail(fmt.Errorf("user list of %d entries out of range", m))
		} else {
			for j := 0; j < m && d.err == nil; j++ {
				idx := d.uvarint()
				if idx > math.MaxUint16 {
					d.fail(fmt.Errorf("surface index %d out of range", idx))
				}
				c.lists = append(c.lists, packSurface(uint16(idx), uint32(d.uvarint())))
			}
		}
		r.listEnd = uint32(len(c.lists))
		if d.err != nil {
			break
		}
		c.recs = append(c.recs, r)
		if len(c.recs) == userChunkLen {
			file(k, c)
			cur[k] = nil
		}
	}
	for k, c := range cur {
		if c != nil && d.err == nil {
			file(k, c)
		}
	}
	for i, k := 0, d.count(); i < k && d.err == nil; i++ {
		s := d.str()
		idx := uint16(d.uvarint())
		for _, p := range parts {
			p.surfaces[s] = idx
		}
	}
}

// userChunk is a run of users parsed from a checkpoint for one part: their
// lists back to back, each record saying where its own end.
type userChunk struct {
	recs  []userRec
	lists []uint64
}

type userRec struct {
	h       uint64 // fingerprint
	h2      uint32
	days    uint32 // end of the day records in lists (the surfaces follow)
	listEnd uint32 // end of the surfaces
	u       user   // without its lists
}

const userChunkLen = 4096

// fileUsers puts the users of c into e's table.
func (e *Engine) fileUsers(c *userChunk) {
	listStart := uint32(0)
	var x uint64
	for i := range c.recs {
		if i%prefetchGroup == 0 {
			// The next users' home slots, read first so that their cache
			// misses overlap (see prefetch).
			mask := uint64(len(e.users.slots) - 1)
			for _, r := range c.recs[i:min(i+prefetchGroup, len(c.recs))] {
				x += uint64(e.users.slots[uint64(uint32(r.h))&mask].idx)
			}
		}
		r := &c.recs[i]
		u := r.u
		u.hashHi, u.h2 = uint32(r.h>>32), r.h2 // get has set them: kept
		if u.cur != 0 {
			e.dayActive[recDay(u.cur)]++
		}
		if days := c.lists[listStart:r.days]; len(days) > 0 {
			for _, x := range days {
				e.dayActive[recDay(x)]++
			}
			u.days = e.users.pool.newList(days)
		}
		e.users.setSurfaces(&u, c.lists[r.days:r.listEnd])
		*e.users.get(r.h, r.h2) = u
		listStart = r.listEnd
	}
	e.prefetched = x
}

// decodeEvents reads what encodeEvents wrote.
func (e *Engine) decodeEvents(d *decoder) {
	for _, tl := range e.fixedTimelines() {
		d.timeline(tl)
	}
	decodeKeyed(d, &e.toolByTool, func(t *[4]timeline) {
		for i := range t {
			d.timeline(&t[i])
		}
	})
	decodeKeyed(d, &e.deploys, func(t *[3]timeline) {
		for i := range t {
			d.timeline(&t[i])
		}
	})
	decodeKeyed(d, &e.workflows, d.timeline)
	decodeKeyed(d, &e.policies, d.timeline)
	decodeKeyed(d, &e.byModel, func(m *keyed[timeline]) { decodeKeyed(d, m, d.timeline) })
	decodeKeyed(d, &e.governance, func(o *observations) { d.samples(&o.samples) })
	decodeKeyed(d, &e.coverage, func(o *observations) { d.samples(&o.samples) })
	for i, k := 0, d.count(); i < k && d.err == nil; i++ {
		b := d.varint()
		if b != zeroBucket && (b < sketchMin || b > sketchMax) {
			d.fail(fmt.Errorf("sketch bucket %d out of range", b))
			break
		}
		d.timeline(e.gateway.get(int16(b)))
	}
	d.samples(&e.cycleTime)
	for i, k := 0, d.count(); i < k && d.err == nil; i++ {
		key := d.str()
		e.changes[key] = &changeState{accepted: d.varint(), reverted: d.varint()}
	}
	for i, k := 0, d.count(); i < k && d.err == nil; i++ {
		key := d.str()
		e.incidents[key] = &incidentState{opened: d.varint(), resolved: d.varint(), security: d.uvarint() == 1}
	}
	for i, k := 0, d.count(); i < k && d.err == nil; i++ {
		h := d.varint()
		m := d.count()
		hs := make([]uint64, 0, min(m, 1<<20))
		for j := 0; j < m && d.err == nil; j++ {
			b := d.full(8)
			if b == nil {
				break
			}
			x := binary.LittleEndian.Uint64(b)
			hs = append(hs, x)
			e.dedup.seen.add(x)
		}
		e.dedup.hours = append(e.dedup.hours, dedupHour{hour: h, hashes: hs})
	}
	e.dedup.evicted = d.uvarint()
	for i := range e.ingested {
		e.ingested[i] = d.uvarint()
	}
	e.lastEvent = d.varint()
	for i, k := 0, d.count(); i < k && d.err == nil; i++ {
		var ev event.Event
		userOnly := d.uvarint() == 1
		ev.Time = d.varint()
		ev.Type = event.Type(d.uvarint())
		for _, p := range ev.StringFields() {
			*p = d.str()
		}
		for _, p := range eventFloats(&ev) {
			*p = d.float()
		}
		ev.Security = d.uvarint() == 1
		ev.OpenedAt = d.varint()
		ev.Due = d.varint()
		e.pending = append(e.pending, pendingEvent{ev: ev, userOnly: userOnly})
	}
	var ext externalJSON
	if b := d.bytes(); d.err == nil {
		d.fail(json.Unmarshal(b, &ext))
	}
	e.external = ext.External
	for i, k := 0, d.count(); i < k && d.err == nil; i++ {
		s := d.str()
		e.positions[s] = d.bytes()
	}
	if d.version >= 3 {
		d.cumulative(&e.cum)
	}
	if d.version >= 5 {
		d.layout = &ShardLayout{}
		d.layout.Count, d.layout.Index, d.layout.Global = int(d.uvarint()), int(d.uvarint()), int(d.uvarint())
	}
}

// ShardLayout is the shard an engine counts for (Options.ShardIndex of
// ShardCount, events without a user on Global); one shard of one for an
// unsharded engine.
type ShardLayout struct{ Index, Count, Global int }

func (l ShardLayout) String() string {
	if l.Count <= 1 {
		return "unsharded"
	}
	return fmt.Sprintf("shard %d of %d (events without a user on shard %d)", l.Index, l.Count, l.Global)
}

// Layout is the shard layout of an engine of options o.
func (o Options) Layout() ShardLayout {
	if o.ShardCount <= 1 {
		return ShardLayout{Count: 1}
	}
	return ShardLayout{Index: o.ShardIndex, Count: o.ShardCount, Global: o.GlobalShard}
}

// layout is e's shard layout.
func (e *Engine) layout() ShardLayout { return e.opt.Layout() }

// ShardLayoutError is Load's error for a checkpoint saved by an engine of
// another shard layout: its users and counts are another share of the
// input's, which no engine of this layout can take over.
type ShardLayoutError struct {
	File          string
	Saved, Engine ShardLayout
}

func (err *ShardLayoutError) Error() string {
	return fmt.Sprintf("%s: saved by an exporter that was %s; this one is %s", err.File, err.Saved, err.Engine)
}
