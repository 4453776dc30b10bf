// Package stream is the event-stream source: one configured input (paths
// or globs of JSONL files in one format) followed with package tail and
// decoded, line by line, into canonical events. It owns the line decoders
// (canonical, and the formats the preset package gives it) and counts
// skipped lines by reason. It never computes a KPI: batches of events and the
// positions just past them go to the engine, which applies both together.
//
// The package owns the input's configuration too (Config, read from
// its config.Block by ParseConfig). The formats an input may name are a
// Formats value built by the caller (the pipeline: canonical plus the
// preset package's), not a global table.
package stream

import (
	"context"
	"encoding/json"
	"fmt"
	"runtime"
	"sort"
	"strings"
	"sync"
	"time"
	"unsafe"

	"github.com/heady/heady-metrics/exporter/event"
	"github.com/heady/heady-metrics/exporter/source"
	"github.com/heady/heady-metrics/exporter/source/tail"
	"github.com/heady/heady-metrics/internal/reuse"
)

// LineDecoder turns one input line into canonical events.
type LineDecoder interface {
	// DecodeLine calls emit for each event line yields (a line may yield
	// none, one or several) and returns "" or why the line was skipped.
	// The event passed to emit, and its strings, are valid only during the
	// call.
	DecodeLine(line []byte, emit func(*event.Event)) event.Reason
}

// DecoderFactory builds a decoder for an input's configuration.
type DecoderFactory func(in *Config) (LineDecoder, error)

// Formats are the formats an input may name, each with the factory of its
// decoder. NewFormats builds one; it does not change after.
type Formats struct {
	m map[string]DecoderFactory
}

// NewFormats returns the formats "canonical" and those of more (the preset
// package's shipped presets and "mapping").
func NewFormats(more map[string]DecoderFactory) *Formats {
	f := &Formats{m: map[string]DecoderFactory{
		DefaultFormat: func(in *Config) (LineDecoder, error) {
			return &Canonical{d: event.Decoder{MaxLineBytes: in.MaxLineBytes}}, nil
		},
	}}
	for name, d := range more {
		f.m[name] = d
	}
	return f
}

// NewDecoder returns the decoder of in's format. (ParseConfig has placed
// an unknown format of the config file at its line and key.)
func (f *Formats) NewDecoder(in *Config) (LineDecoder, error) {
	d, ok := f.m[in.Format]
	if !ok {
		return nil, fmt.Errorf("source %s: unknown format %q (known: %s)", in.Name, in.Format, strings.Join(f.Names(), ", "))
	}
	return d(in)
}

// Names lists the formats, sorted.
func (f *Formats) Names() []string {
	out := make([]string, 0, len(f.m))
	for k := range f.m {
		out = append(out, k)
	}
	sort.Strings(out)
	return out
}

// Canonical decodes the canonical shape of docs/events.md.
type Canonical struct {
	d  event.Decoder
	ev event.Event
}

// DecodeLine implements LineDecoder.
func (c *Canonical) DecodeLine(line []byte, emit func(*event.Event)) event.Reason {
	if r := c.d.Decode(line, &c.ev); r != "" {
		return r
	}
	emit(&c.ev)
	return ""
}

// Batch is the decoded form of one tail batch.
type Batch struct {
	Source string
	// Events alias the lines' memory, which the batch owns.
	Events []event.Event
	// Positions is the input's position set just past these events, as
	// the engine saves it (opaque JSON).
	Positions []byte
	// Skipped counts lines skipped, by reason.
	Skipped map[event.Reason]uint64
	// Lines is the number of lines read.
	Lines int

	in   *Input        // for Release
	tail tail.Batch    // the lines Events point into
	mem  []event.Event // the memory of Events (nil: not the input's to reuse)
}

// Release hands the batch's memory, its events and the lines their strings
// point into, back to its input for a later batch (see
// tail.Follower.Release), once whoever applied the batch is done with
// both. A batch is released at most once; one never released is left to
// the garbage collector. It is safe to call from any goroutine.
func (b *Batch) Release() {
	if b.in == nil {
		return
	}
	in := b.in
	b.in = nil
	in.f.Release(b.tail)
	if b.mem != nil {
		in.free.Put(b.mem[:0])
	}
}

// Input follows one configured input.
type Input struct {
	Name    string
	Health  *source.Health
	f       *tail.Follower
	dec     LineDecoder
	cfg     Config
	formats *Formats
	now     func() time.Time
	errs    int
	// decs are the decoders of the parallel workers (decode), made on
	// first use; decs[0] is dec.
	decs []LineDecoder
	// free keeps the event memory of released batches (Batch.Release).
	free reuse.List[[]event.Event]
}

// Options are what the exporter gives an input besides its configuration.
type Options struct {
	// Formats are the formats the input may name (nil: canonical only).
	Formats *Formats
	// PollInterval is how often the files are checked for new lines.
	PollInterval time.Duration
	// Positions are the positions saved by the engine (nil to start at the
	// beginning of every file).
	Positions []byte
	// Health receives the input's counts and state; required.
	Health *source.Health
	// Now is the clock; time.Now when nil.
	Now func() time.Time
}

// New returns an input of cfg (from ParseConfig, named by the pipeline)
// resuming from opts.Positions.
func New(cfg Config, opts Options) (*Input, error) {
	formats := opts.Formats
	if formats == nil {
		formats = NewFormats(nil)
	}
	health, now := opts.Health, opts.Now
	if health == nil {
		return nil, fmt.Errorf("source %s: no health record", cfg.Name)
	}
	if now == nil {
		now = time.Now
	}
	dec, err := formats.NewDecoder(&cfg)
	if err != nil {
		return nil, err
	}
	var start []tail.Position
	if len(opts.Positions) > 0 {
		if err := json.Unmarshal(opts.Positions, &start); err != nil {
			return nil, fmt.Errorf("source %s: saved positions: %w", cfg.Name, err)
		}
	}
	in := &Input{Name: cfg.Name, Health: health, dec: dec, cfg: cfg, formats: formats, now: now,
		free: reuse.New[[]event.Event](freeBatches)}
	f, err := tail.New(tail.Config{
		Paths:        cfg.Paths,
		PollInterval: opts.PollInterval,
		BatchLines:   batchLines,
		MaxLineBytes: cfg.MaxLineBytes,
		OnError: func(e *tail.FileError) {
			in.errs++
			health.Failure(event.ReasonReadError, e)
		},
	}, start, now)
	if err != nil {
		return nil, fmt.Errorf("source %s: %w", cfg.Name, err)
	}
	in.f = f
	return in, nil
}

// Close releases the files.
func (in *Input) Close() error { return in.f.Close() }

// Poll reads every file once to its current end, handing each decoded batch
// to fn. It reports whether anything was read.
func (in *Input) Poll(ctx context.Context, fn func(*Batch) error) (bool, error) {
	in.errs = 0
	read := false
	err := in.f.Poll(ctx, func(b tail.Batch) error {
		read = true
		return fn(in.decode(b))
	})
	files, unmatched := in.f.Matched()
	in.Health.SetFiles(files, unmatched)
	if err == nil && in.errs == 0 {
		in.Health.Success(in.now()) // stays "no files" when there are none
	}
	return read, err
}

// Drain polls until a poll reads nothing: every file read to its end.
func (in *Input) Drain(ctx context.Context, fn func(*Batch) error) error {
	for {
		read, err := in.Poll(ctx, fn)
		if err != nil || !read {
			return err
		}
		if err := ctx.Err(); err != nil {
			return err
		}
	}
}

// freeBatches is how many released batches' events an input keeps for
// reuse: as many as are in flight, queued and being applied.
const freeBatches = 8

// events returns room for n events: a released batch's memory, or new.
func (in *Input) events(n int) []event.Event {
	if m, ok := in.free.Get(func(m []event.Event) bool { return cap(m) >= n }); ok {
		return m[:n]
	}
	return make([]event.Event, n)
}

// decodeChunk is the fewest lines a decoding worker is given: below it,
// starting a goroutine costs more than it saves.
const decodeChunk = 256

// batchLines bounds the lines of a batch: small enough that the events a
// core decodes are still in the caches when the engine's goroutines on the
// other cores apply them (measured on 2 cores: 1,024-line batches ingest
// about 15% faster than 4,096-line ones, and no slower on one core).
const batchLines = 1024

// decode decodes a tail batch. A large batch is cut into one run of lines
// per core, decoded in parallel (each worker with its own decoder) and
// joined in line order, so the result is the same as one decoder's.
func (in *Input) decode(b tail.Batch) *Batch {
	out := &Batch{Source: in.Name, Lines: len(b.Lines) + len(b.TooLong), in: in, tail: b}
	pos, _ := json.Marshal(b.Positions)
	out.Positions = pos
	if len(b.TooLong) > 0 {
		out.skip(event.ReasonTooLong, uint64(len(b.TooLong)))
	}
	workers := min(runtime.GOMAXPROCS(0), len(b.Lines)/decodeChunk)
	if workers <= 1 {
		out.mem = in.events(len(b.Lines))
		out.Events = out.mem[:0]
		decodeLines(in.dec, b.Lines, out)
		return out
	}
	for len(in.decs) < workers {
		if len(in.decs) == 0 {
			in.decs = append(in.decs, in.dec)
			continue
		}
		d, err := in.formats.NewDecoder(&in.cfg)
		if err != nil { // built once already, in New
			workers = len(in.decs)
			break
		}
		in.decs = append(in.decs, d)
	}
	// Each worker decodes into its own region of one slice, a line's worth
	// of room per line; the regions are then closed up in place (nothing
	// moves unless lines were skipped). A worker whose lines yield more
	// events than lines (a mapping that fans out) outgrows its region:
	// then every part is copied into a new slice.
	all := in.events(len(b.Lines))
	out.mem = all
	parts := make([]Batch, workers)
	bound := func(w int) int { return w * len(b.Lines) / workers }
	var wg sync.WaitGroup
	for w := range workers {
		parts[w].Events = all[bound(w):bound(w):bound(w+1)]
		wg.Add(1)
		go func() {
			defer wg.Done()
			decodeLines(in.decs[w], b.Lines[bound(w):bound(w+1)], &parts[w])
		}()
	}
	wg.Wait()
	inPlace, n := true, 0
	for w := range parts {
		evs := parts[w].Events
		n += len(evs)
		if len(evs) > 0 && unsafe.SliceData(evs) != &all[bound(w)] {
			inPlace = false
		}
		for r, k := range parts[w].Skipped {
			out.skip(r, k)
		}
	}
	if !inPlace {
		out.Events = make([]event.Event, 0, n)
		for w := range parts {
			out.Events = append(out.Events, parts[w].Events...)
		}
		return out
	}
	k := 0
	for w := range parts {
		if k != bound(w) {
			copy(all[k:], parts[w].Events)
		}
		k += len(parts[w].Events)
	}
	out.Events = all[:k]
	return out
}

func (b *Batch) skip(r event.Reason, n uint64) {
	if b.Skipped == nil {
		b.Skipped = map[event.Reason]uint64{}
	}
	b.Skipped[r] += n
}

// decodeLines decodes lines with dec into out's events and skip counts.
func decodeLines(dec LineDecoder, lines []tail.Line, out *Batch) {
	var line []byte
	emit := func(e *event.Event) {
		out.Events = append(out.Events, *e)
		ev := &out.Events[len(out.Events)-1]
		ownStrings(ev, line)
		ev.SetKeys() // here, while the line is in this core's cache
	}
	for _, l := range lines {
		if len(l.Text) == 0 || isBlank(l.Text) {
			continue
		}
		line = l.Text
		if r := dec.DecodeLine(l.Text, emit); r != "" {
			out.skip(r, 1)
		}
	}
}

// ownStrings copies the strings of e that do not point into line (which
// the batch owns): a decoder may return strings from its own buffers, valid
// only until its next line.
func ownStrings(e *event.Event, line []byte) {
	if len(line) == 0 {
		return
	}
	lo := uintptr(unsafe.Pointer(unsafe.SliceData(line)))
	hi := lo + uintptr(len(line))
	for _, p := range e.StringFields() {
		if *p == "" {
			continue
		}
		if d := uintptr(unsafe.Pointer(unsafe.StringData(*p))); d < lo || d >= hi {
			*p = strings.Clone(*p)
		}
	}
}

func isBlank(b []byte) bool {
	for _, c := range b {
		if c != ' ' && c != '\t' && c != '\r' {
			return false
		}
	}
	return true
}
