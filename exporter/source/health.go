// Package source holds what every source type shares: the health record a
// source reports into (up, last success, files followed, records read,
// errors by reason) and the one log line per change of a source's state.
// The source types live in sub-packages; each only reads and normalises its
// input and never computes a KPI.
package source

import (
	"context"
	"fmt"
	"log/slog"
	"maps"
	"slices"
	"strings"
	"sync"
	"time"

	"github.com/heady/heady-metrics/exporter/event"
)

// State is where a source stands, as the log and the status page say it.
type State string

const (
	// StateStarting: nothing read or polled yet.
	StateStarting State = "starting"
	// StateUp: the last read or poll succeeded.
	StateUp State = "up"
	// StateNoFiles: a file source whose paths match no readable file.
	StateNoFiles State = "no_files"
	// StateDown: the last read or poll failed and the source never
	// succeeded before, so it has produced nothing.
	StateDown State = "down"
	// StateStale: the last read or poll failed after earlier successes; the
	// values it last produced are kept (stale).
	StateStale State = "stale"
)

// Health is one configured source's status. It is safe for concurrent use:
// the source writes it, the collector and the status page read it.
//
// With a logger (SetLogger), every change of state is logged once, with its
// reason: the first success and a recovery at INFO, a source going down or
// stale or losing its files at WARN. Skipped inputs are never logged one by
// one: LogSkipped summarises them by reason.
type Health struct {
	mu          sync.Mutex
	name        string
	logger      *slog.Logger
	state       State
	reason      event.Reason // why the source is down or stale
	lastSuccess time.Time
	lastError   string
	downSince   time.Time
	errors      map[event.Reason]uint64
	records     uint64

	files     int // -1: not a file source
	unmatched []string

	skipped map[event.Reason]uint64 // since the last LogSkipped
}

// NewHealth returns the health record of the source called name.
func NewHealth(name string) *Health {
	return &Health{name: name, state: StateStarting, files: -1, errors: make(map[event.Reason]uint64)}
}

// SetLogger makes h log its changes of state to l (nil: no logging).
func (h *Health) SetLogger(l *slog.Logger) {
	h.mu.Lock()
	h.logger = l
	h.mu.Unlock()
}

// Name is the source's label value.
func (h *Health) Name() string { return h.name }

// Success records a successful read or poll at t: the source is up and
// its values are fresh. A file source that follows no file stays in
// StateNoFiles and its last success does not move (see SetFiles).
func (h *Health) Success(t time.Time) {
	h.mu.Lock()
	defer h.mu.Unlock()
	if h.files == 0 {
		return // nothing was read: not a success, the source stays no_files
	}
	first := h.lastSuccess.IsZero()
	h.lastSuccess = t
	prev := h.state
	h.state, h.reason = StateUp, ""
	switch {
	case prev == StateUp:
	case first && prev == StateStarting:
		h.log(slog.LevelInfo, "source up")
	case first:
		h.log(slog.LevelInfo, "source up", "was", string(prev), "after", time.Since(h.downSince).Round(time.Second).String())
	default:
		h.log(slog.LevelInfo, "source up again", "was", string(prev), "down_for", time.Since(h.downSince).Round(time.Second).String())
	}
}

// Failure records a failed read or poll: the source is down, or stale if
// it succeeded before. err's text is kept for the status page. The failure
// is counted under reason; it is logged when the source was not already
// down or stale for the same reason.
func (h *Health) Failure(reason event.Reason, err error) {
	h.mu.Lock()
	defer h.mu.Unlock()
	h.errors[reason]++
	if err != nil {
		h.lastError = err.Error()
	}
	next := StateDown
	if !h.lastSuccess.IsZero() {
		next = StateStale
	}
	if (h.state == StateDown || h.state == StateStale) && h.reason == reason {
		return
	}
	if h.state != StateDown && h.state != StateStale {
		h.downSince = time.Now()
	}
	h.state, h.reason = next, reason
	msg := "source down"
	if next == StateStale {
		msg = "source down, keeping its last values (stale)"
	}
	h.log(slog.LevelWarn, msg, "reason", string(reason), "err", h.lastError)
}

// SetFiles records, for a file source, how many files its paths match now
// and which configured paths match nothing. With no file at all the source
// is in StateNoFiles (down, nothing to read); that is logged once, naming
// the paths, and again only when files appear.
func (h *Health) SetFiles(n int, unmatched []string) {
	h.mu.Lock()
	defer h.mu.Unlock()
	prevFiles, prevUnmatched := h.files, h.unmatched
	h.files, h.unmatched = n, slices.Clone(unmatched)
	switch {
	case n == 0 && len(unmatched) == 0:
		// The paths match files, none readable: Failure said why.
	case n == 0 && (prevFiles != 0 || !slices.Equal(prevUnmatched, unmatched)):
		if h.state != StateNoFiles {
			h.downSince = time.Now()
		}
		h.state, h.reason = StateNoFiles, ""
		h.log(slog.LevelWarn, "source has no file to read: its paths match no readable file", "paths", strings.Join(unmatched, ","))
	case n > 0 && len(unmatched) > 0 && !slices.Equal(prevUnmatched, unmatched):
		h.log(slog.LevelWarn, "source paths match no file", "paths", strings.Join(unmatched, ","), "files", n)
	}
}

// Count adds n skipped inputs of the given reason without changing the
// state.
func (h *Health) Count(reason event.Reason, n uint64) {
	if n == 0 {
		return
	}
	h.mu.Lock()
	h.errors[reason] += n
	if h.skipped == nil {
		h.skipped = map[event.Reason]uint64{}
	}
	h.skipped[reason] += n
	h.mu.Unlock()
}

// Read adds n lines or records read (skipped ones included).
func (h *Health) Read(n int) {
	h.mu.Lock()
	h.records += uint64(n)
	h.mu.Unlock()
}

// LogSkipped logs one line with the inputs skipped since the last call, by
// reason (WARN, or INFO when every one was a repeated event id, which is
// deduplication working), and nothing when none were. The pipeline calls it
// at most once a minute.
func (h *Health) LogSkipped() {
	h.mu.Lock()
	defer h.mu.Unlock()
	if len(h.skipped) == 0 {
		return
	}
	level := slog.LevelInfo
	var total uint64
	for r, n := range h.skipped {
		total += n
		if r != event.ReasonDuplicate {
			level = slog.LevelWarn
		}
	}
	h.log(level, "source skipped inputs", "skipped", total, "by_reason", FormatReasons(h.skipped))
	h.skipped = nil
}

// FormatReasons writes counts by reason as "bad_json=2 bad_ts=1", sorted by
// reason.
func FormatReasons(m map[event.Reason]uint64) string {
	keys := slices.Sorted(maps.Keys(m))
	parts := make([]string, 0, len(keys))
	for _, r := range keys {
		if m[r] > 0 {
			parts = append(parts, fmt.Sprintf("%s=%d", r, m[r]))
		}
	}
	return strings.Join(parts, " ")
}

func (h *Health) log(level slog.Level, msg string, args ...any) {
	if h.logger == nil {
		return
	}
	h.logger.Log(context.Background(), level, msg, append([]any{"src", h.name}, args...)...)
}

// HealthView is a consistent copy of a Health.
type HealthView struct {
	Name        string
	State       State
	Up          bool
	Stale       bool
	LastSuccess time.Time
	LastError   string
	Errors      map[event.Reason]uint64
	// Records is the number of lines or records read.
	Records uint64
	// Files is the number of files a file source follows (-1: not a file
	// source); Unmatched the configured paths that match no file.
	Files     int
	Unmatched []string
}

// StatusText is the state as the page and the digest write it: "up",
// "down", "down (stale)", "no files", "starting".
func (v HealthView) StatusText() string {
	switch v.State {
	case StateStale:
		return "down (stale)"
	case StateNoFiles:
		return "no files"
	case "":
		return "down"
	}
	return string(v.State)
}

// Problem is what a person should read about a source that is not up: its
// last error, or which configured paths match no file.
func (v HealthView) Problem() string {
	if v.State == StateNoFiles || (v.LastError == "" && len(v.Unmatched) > 0) {
		return "no file matches " + strings.Join(v.Unmatched, ", ")
	}
	return v.LastError
}

// FileSource reports whether the view is of a file source.
func (v HealthView) FileSource() bool { return v.Files >= 0 }

// View returns a copy of the current status.
func (h *Health) View() HealthView {
	h.mu.Lock()
	defer h.mu.Unlock()
	return HealthView{Name: h.name, State: h.state, Up: h.state == StateUp, Stale: h.state == StateStale,
		LastSuccess: h.lastSuccess, LastError: h.lastError, Errors: maps.Clone(h.errors),
		Records: h.records, Files: h.files, Unmatched: slices.Clone(h.unmatched)}
}
