// Package stream is the event-stream source: one configured input (paths
// or globs of JSONL files in one format) followed with package tail and
// decoded, line by line, into canonical events. It owns the line decoders
// (canonical, and the formats registered by the preset package) and counts
// skipped lines by reason. It never computes a KPI: batches of events and the
// positions just past them go to the engine, which applies both together.
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

	"github.com/heady/heady-metrics/exporter/config"
	"github.com/heady/heady-metrics/exporter/event"
	"github.com/heady/heady-metrics/exporter/source"
	"github.com/heady/heady-metrics/exporter/source/tail"
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
type DecoderFactory func(in *config.Input) (LineDecoder, error)

var (
	formatsMu sync.RWMutex
	formats   = map[string]DecoderFactory{
		"canonical": func(in *config.Input) (LineDecoder, error) {
			return &Canonical{d: event.Decoder{MaxLineBytes: in.MaxLineBytes}}, nil
		},
	}
)

// Register adds a format (a shipped preset, or "mapping"). Called from the
// preset package's init.
func Register(name string, f DecoderFactory) {
	formatsMu.Lock()
	defer formatsMu.Unlock()
	formats[name] = f
	config.RegisterFormat(name)
}

// NewDecoder returns the decoder of in's format.
func NewDecoder(in *config.Input) (LineDecoder, error) {
	formatsMu.RLock()
	f, ok := formats[in.Format]
	formatsMu.RUnlock()
	if !ok {
		return nil, fmt.Errorf("source %s: unknown format %q", in.Name, in.Format)
	}
	return f(in)
}

// Canonical decodes the canonical shape of sources.md.
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
}

// Input follows one configured input.
type Input struct {
	Name   string
	Health *source.Health
	f      *tail.Follower
	dec    LineDecoder
	cfg    *config.Input
	now    func() time.Time
	errs   int
	// decs are the decoders of the parallel workers (decode), made on
	// first use; decs[0] is dec.
	decs []LineDecoder
}

// New returns an input resuming from positions saved by the engine (nil to
// start at the beginning of every file).
func New(cfg *config.Input, pollInterval time.Duration, positions []byte, health *source.Health, now func() time.Time) (*Input, error) {
	dec, err := NewDecoder(cfg)
	if err != nil {
		return nil, err
	}
	var start []tail.Position
	if len(positions) > 0 {
		if err := json.Unmarshal(positions, &start); err != nil {
			return nil, fmt.Errorf("source %s: saved positions: %w", cfg.Name, err)
		}
	}
	in := &Input{Name: cfg.Name, Health: health, dec: dec, cfg: cfg, now: now}
	f, err := tail.New(tail.Config{
		Paths:        cfg.Paths,
		PollInterval: pollInterval,
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

// decodeChunk is the fewest lines a decoding worker is given: below it,
// starting a goroutine costs more than it saves.
const decodeChunk = 512

// decode decodes a tail batch. A large batch is cut into one run of lines
// per core, decoded in parallel (each worker with its own decoder) and
// joined in line order, so the result is the same as one decoder's.
func (in *Input) decode(b tail.Batch) *Batch {
	out := &Batch{Source: in.Name, Lines: len(b.Lines) + len(b.TooLong)}
	pos, _ := json.Marshal(b.Positions)
	out.Positions = pos
	if len(b.TooLong) > 0 {
		out.skip(event.ReasonTooLong, uint64(len(b.TooLong)))
	}
	workers := min(runtime.GOMAXPROCS(0), len(b.Lines)/decodeChunk)
	if workers <= 1 {
		out.Events = make([]event.Event, 0, len(b.Lines))
		decodeLines(in.dec, b.Lines, out)
		return out
	}
	for len(in.decs) < workers {
		if len(in.decs) == 0 {
			in.decs = append(in.decs, in.dec)
			continue
		}
		d, err := NewDecoder(in.cfg)
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
	all := make([]event.Event, len(b.Lines))
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
		ownStrings(&out.Events[len(out.Events)-1], line)
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

// Formats lists the registered formats.
func Formats() []string {
	formatsMu.RLock()
	defer formatsMu.RUnlock()
	out := make([]string, 0, len(formats))
	for k := range formats {
		out = append(out, k)
	}
	sort.Strings(out)
	return out
}
