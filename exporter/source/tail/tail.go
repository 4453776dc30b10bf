// Package tail follows log files and turns them into complete lines, each
// batch of lines carrying the positions just past it. It survives restarts
// (from positions its caller saved), rename+create and copytruncate rotation,
// and gzip of rotated files, without losing or repeating a line.
//
// The package owns reading files, recognising a file across renames
// (fingerprints) and the position of every file it follows. It knows nothing
// about what a line contains (JSON, events) and it never writes anything: the
// caller applies each Batch and then saves Batch.Positions atomically
// together with whatever it derived from the lines; on restart it passes the
// saved positions to New. A follower never delivers a line covered by the
// positions it was started with and delivers every line after them.
//
// # Identity
//
// A file is identified by a fingerprint: the SHA-256 of its first FPLen
// bytes (FPLen = min(size, 1024) when last seen; for a .gz file, bytes of its
// decompressed stream). Device and inode numbers are kept only as a hint to
// break ties. A renamed file keeps its fingerprint, so reading continues from
// the saved offset under its new name, also once it has been gzipped. After
// copytruncate the copy carries the fingerprint of what was being read and
// the remainder is read from it (if the copy is matched by the configured
// paths), while the truncated original starts again at offset 0 as a new
// file. A file shorter than 1024 bytes has a short fingerprint that grows as
// the file does.
//
// When two visible files carry the same fingerprint (a rotated file and its
// .gz while gzip runs; the original and its copy before truncation) they are
// one stream, read once, preferring the file with the same inode, then plain
// over gzip. A file that matches a stream's fingerprint but is longer than
// the file the stream is read from cannot be a copy of it and is a new file.
// Two unrelated files whose first 1024 bytes are identical are taken for one,
// and a new file that begins with the whole content of a small (under 1024
// bytes) file followed earlier is taken for it; event logs, whose lines carry
// timestamps and ids, do not have this problem.
//
// # Files renamed out of the patterns
//
// The follower holds a descriptor on every plain file it has not finished
// (see below). A file renamed to a name no pattern matches (audit.jsonl to
// audit.jsonl.1 with only "audit.jsonl" configured), or deleted, is read to
// its end through that descriptor, so lines written just before or after the
// rename are not lost; the descriptor is closed once the file is finished.
// A restart loses those descriptors: to be restart-safe, let the patterns
// match the rotated names too (or their .gz, which is recognised by its
// content). Likewise, after copytruncate the rest of the file is only in the
// copy, which must be matched; writes between the copy and the truncation
// are lost by the nature of copytruncate. An empty file has no fingerprint
// and is not followed until its first byte is written.
//
// # Lines
//
// Only lines ending in '\n' are delivered (without the '\n'; a '\r' before it
// is kept). A half-written last line is held back until its newline arrives.
// The final line of a file that does not end in '\n' is delivered once the
// file is finished, which is:
//   - a .gz file whose gzip stream ended cleanly, at once;
//   - a plain file that has not been modified for Config.IdleFinal (by its
//     mtime against the follower's clock) and that is either no longer
//     reachable under any configured path (renamed away or deleted, read
//     through the descriptor the follower still holds), or older than some
//     other plain (not .gz) file matched by the configured paths (a newer
//     file has taken over the writes).
//
// The newest file is never finished, however long it is idle: a writer that
// flushes a buffer in the middle of a line will complete the line later.
// Give independently written files separate followers.
//
// A line longer than Config.MaxLineBytes is never buffered whole: it is
// reported in Batch.TooLong with its number and offset, and its bytes are
// skipped up to the next newline; memory stays bounded by MaxLineBytes per
// file plus one batch.
//
// # Order, errors, state
//
// Each Poll reads the files in order of modification time, oldest first, so
// rotated files come before the file that replaced them. Errors (permission
// denied, read errors, corrupt gzip) are reported to Config.OnError with the
// path, once per path until the path reads cleanly again; they are never
// fatal and other files are still read. The position of a stream that is no
// longer visible is kept for Config.ForgetAfter (so that a rotated file that
// reappears gzipped later is not read twice) and then forgotten.
package tail

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"io/fs"
	"maps"
	"path/filepath"
	"slices"
	"time"

	"github.com/heady/heady-metrics/internal/reuse"
)

// FingerprintBytes is the most bytes a fingerprint covers.
const FingerprintBytes = 1024

// Defaults for the zero values of Config.
const (
	DefaultPollInterval = 250 * time.Millisecond
	DefaultMaxLineBytes = 1 << 20
	DefaultIdleFinal    = time.Minute
	DefaultForgetAfter  = 72 * time.Hour
	DefaultBatchLines   = 4096
	DefaultBatchBytes   = 1 << 20
)

// Config says what to follow and how. Zero values take the defaults.
type Config struct {
	// Paths are file paths or filepath.Glob patterns. A pattern may match
	// rotated files too (audit.jsonl.1, audit-2026-11-01.jsonl.gz). Files
	// whose name ends in .gz are read through gzip.
	Paths []string
	// PollInterval is the pause between two polls in Run.
	PollInterval time.Duration
	// MaxLineBytes is the longest line delivered, without its '\n'.
	MaxLineBytes int
	// IdleFinal is how long a finished plain file must be unmodified
	// before its last line without '\n' is delivered (see the package doc).
	IdleFinal time.Duration
	// ForgetAfter is how long the position of a stream that no longer
	// matches any visible file is kept.
	ForgetAfter time.Duration
	// BatchLines and BatchBytes bound one batch (a single line may exceed
	// BatchBytes).
	BatchLines int
	BatchBytes int
	// OnError, if set, receives file errors: once per path until that path
	// reads cleanly again. It is called from Poll's goroutine.
	OnError func(*FileError)
}

func (c Config) withDefaults() Config {
	if c.PollInterval <= 0 {
		c.PollInterval = DefaultPollInterval
	}
	if c.MaxLineBytes <= 0 {
		c.MaxLineBytes = DefaultMaxLineBytes
	}
	if c.IdleFinal <= 0 {
		c.IdleFinal = DefaultIdleFinal
	}
	if c.ForgetAfter <= 0 {
		c.ForgetAfter = DefaultForgetAfter
	}
	if c.BatchLines <= 0 {
		c.BatchLines = DefaultBatchLines
	}
	if c.BatchBytes <= 0 {
		c.BatchBytes = DefaultBatchBytes
	}
	return c
}

// Position is how far one stream (one file's content, whatever its current
// name) has been consumed. It is serialisable as JSON; callers treat it as
// opaque and only store it and hand it back to New.
type Position struct {
	// Path is where the stream was last seen (informative only).
	Path string `json:"path"`
	// Fingerprint is the hex SHA-256 of the stream's first FPLen bytes.
	Fingerprint string `json:"fingerprint"`
	FPLen       int    `json:"fp_len"`
	// Dev and Ino identify the file last read (a hint, 0 where unknown).
	Dev uint64 `json:"dev,omitempty"`
	Ino uint64 `json:"ino,omitempty"`
	// Offset is the number of bytes consumed, in the decompressed stream
	// for .gz files. Lines is the number of lines consumed (delivered or
	// reported too long).
	Offset int64 `json:"offset"`
	Lines  int64 `json:"lines"`
	// InLongLine says Offset is inside a too-long line that was already
	// reported: the bytes up to the next newline are skipped.
	InLongLine bool `json:"in_long_line,omitempty"`
	// GoneSince is when (unix ms) the stream was first found missing, 0
	// while it is visible.
	GoneSince int64 `json:"gone_since,omitempty"`
}

// Line is one delivered line.
type Line struct {
	// Num is the 1-based line number in the stream, Offset the byte offset
	// of the line's first byte.
	Num    int64
	Offset int64
	// Text is the line without its '\n'. It belongs to the batch.
	Text []byte
}

// LineRef locates a line that was not delivered.
type LineRef struct {
	Num    int64
	Offset int64
}

// Batch is consecutive lines of one file and the full position set as of
// the end of these lines. The batch owns all its memory.
type Batch struct {
	// Path is the file the lines were read from.
	Path  string
	Lines []Line
	// TooLong lists the lines longer than Config.MaxLineBytes, skipped.
	TooLong []LineRef
	// Positions is the position of every stream followed, as of the end of
	// this batch; saving it after applying the batch makes a restart
	// resume right after it.
	Positions []Position

	data []byte // the memory of Lines' texts, for Release
}

// FileError is a failure to read one file. It never stops the follower.
type FileError struct {
	Path string
	Op   string // "open", "stat", "read", "gzip"
	Err  error
}

func (e *FileError) Error() string { return e.Path + ": " + e.Op + ": " + e.Err.Error() }
func (e *FileError) Unwrap() error { return e.Err }

func newFileError(path, op string, err error) *FileError {
	var pe *fs.PathError
	if errors.As(err, &pe) {
		err = pe.Err
	}
	return &FileError{Path: path, Op: op, Err: err}
}

// Follower follows the files of one Config. It is not safe for concurrent
// use: Poll, Run, Positions and Close must be called from one goroutine at a
// time, and not from inside the batch callback.
type Follower struct {
	cfg     Config
	now     func() time.Time
	entries []*entry

	buf     []byte              // read buffer
	b       builder             // batch under construction
	free    reuse.List[builder] // the memory of released batches (Release)
	errs    map[string]string   // path -> last reported error text
	seen    map[string]bool     // paths with an error in the current poll
	gzHeads map[statKey][]byte  // decompressed heads of .gz files

	matched   int      // distinct readable regular files at the last scan
	unmatched []string // configured paths that matched no file at the last scan
}

// freeBatches is how many released batches' memory a follower keeps for
// reuse: as many as a reader has in flight, queued and being applied.
const freeBatches = 8

// Release hands the memory of b, a batch of f's, back to f, which fills a
// later batch with it instead of allocating: reading a large file then
// reuses a few batches' worth of memory, still in the caches, instead of
// allocating (and clearing, and collecting) as much as it reads. After
// Release nothing may read b's lines or anything pointing into them; a
// batch is released at most once. Releasing is optional: the memory of a
// batch not released is the garbage collector's. It is safe to call from
// any goroutine.
func (f *Follower) Release(b Batch) {
	if cap(b.data) > 0 {
		f.free.Put(builder{data: b.data[:0], lines: b.Lines[:0]})
	}
}

// recycled returns released memory for a batch of at least size bytes, or
// an empty builder when none is kept.
func (f *Follower) recycled(size int) builder {
	m, _ := f.free.Get(func(m builder) bool { return cap(m.data) >= size })
	return m
}

// Matched reports, as of the last Poll, how many distinct readable regular
// files (empty ones included) the configured paths matched, and which
// configured paths or globs matched no file at all.
func (f *Follower) Matched() (files int, unmatched []string) {
	return f.matched, slices.Clone(f.unmatched)
}

// New returns a follower of cfg that resumes from start, positions saved
// from a Batch (or Positions) of an earlier follower; nil starts every file
// at its beginning. now is the clock used for the idle rules (nil means
// time.Now). Call Close when done.
func New(cfg Config, start []Position, now func() time.Time) (*Follower, error) {
	cfg = cfg.withDefaults()
	if len(cfg.Paths) == 0 {
		return nil, errors.New("tail: no paths configured")
	}
	for _, p := range cfg.Paths {
		if _, err := filepath.Match(p, ""); err != nil {
			return nil, fmt.Errorf("tail: path %q: %w", p, err)
		}
	}
	if now == nil {
		now = time.Now
	}
	f := &Follower{
		cfg:     cfg,
		now:     now,
		buf:     make([]byte, 128<<10),
		free:    reuse.New[builder](freeBatches),
		errs:    map[string]string{},
		gzHeads: map[statKey][]byte{},
	}
	for i, p := range start {
		e, err := entryFromPosition(p)
		if err != nil {
			return nil, fmt.Errorf("tail: start position %d (%s): %w", i, p.Path, err)
		}
		dup := false
		for _, o := range f.entries {
			if o.fp == e.fp && o.pos.FPLen == e.pos.FPLen {
				dup = true
				break
			}
		}
		if !dup {
			f.entries = append(f.entries, e)
		}
	}
	return f, nil
}

func entryFromPosition(p Position) (*entry, error) {
	if p.FPLen < 1 || p.FPLen > FingerprintBytes {
		return nil, fmt.Errorf("fingerprint length %d out of range", p.FPLen)
	}
	raw, err := hex.DecodeString(p.Fingerprint)
	if err != nil || len(raw) != sha256.Size {
		return nil, fmt.Errorf("fingerprint %q is not a hex SHA-256", p.Fingerprint)
	}
	if p.Offset < 0 || p.Lines < 0 {
		return nil, fmt.Errorf("negative offset %d or line count %d", p.Offset, p.Lines)
	}
	e := &entry{pos: p, readOff: p.Offset}
	copy(e.fp[:], raw)
	return e, nil
}

// Positions returns the position of every stream followed, as of the last
// delivered batch (it also reflects renames and forgotten streams that
// delivered no line), in the order the streams were first seen.
func (f *Follower) Positions() []Position {
	return f.positionsWith(nil, cursor{})
}

func (f *Follower) positionsWith(cur *entry, st cursor) []Position {
	out := make([]Position, 0, len(f.entries))
	for _, e := range f.entries {
		p := e.pos
		if e == cur {
			p.Offset, p.Lines, p.InLongLine = st.off, st.lines, st.skip
		}
		out = append(out, p)
	}
	return out
}

// Errors returns the file errors current as of the last Poll, by path.
func (f *Follower) Errors() map[string]string {
	return maps.Clone(f.errs)
}

// Close releases the descriptors the follower holds. It is safe to call
// more than once.
func (f *Follower) Close() error {
	for _, e := range f.entries {
		e.closeFile()
	}
	return nil
}

// Run polls until ctx is done, pausing Config.PollInterval between polls.
// It returns nil when ctx is done and the first error fn returns otherwise;
// the follower stays usable and a later Poll or Run redelivers from the
// last batch fn accepted.
func (f *Follower) Run(ctx context.Context, fn func(Batch) error) error {
	t := time.NewTimer(0)
	defer t.Stop()
	for {
		select {
		case <-ctx.Done():
			return nil
		case <-t.C:
		}
		if err := f.Poll(ctx, fn); err != nil {
			if ctx.Err() != nil {
				return nil
			}
			return err
		}
		t.Reset(f.cfg.PollInterval)
	}
}

// report passes a file error to OnError unless the same error was already
// reported for that path.
func (f *Follower) report(e *FileError) {
	if f.seen != nil {
		f.seen[e.Path] = true
	}
	msg := e.Error()
	if f.errs[e.Path] == msg {
		return
	}
	f.errs[e.Path] = msg
	if f.cfg.OnError != nil {
		f.cfg.OnError(e)
	}
}
