// Package source holds what every source type shares: the health record a
// source reports into (up, last success, errors by reason). The source types
// live in sub-packages; each only reads and normalises its input and never
// computes a KPI.
package source

import (
	"sync"
	"time"

	"github.com/heady/heady-metrics/exporter/event"
)

// Health is one configured source's status. It is safe for concurrent use:
// the source writes it, the collector and the status page read it.
type Health struct {
	mu          sync.Mutex
	name        string
	up          bool
	stale       bool
	lastSuccess time.Time
	lastError   string
	errors      map[event.Reason]uint64
}

// NewHealth returns the health record of the source called name.
func NewHealth(name string) *Health {
	return &Health{name: name, errors: make(map[event.Reason]uint64)}
}

// Name is the source's label value.
func (h *Health) Name() string { return h.name }

// Success records a successful read or poll at t: the source is up and
// its values are fresh.
func (h *Health) Success(t time.Time) {
	h.mu.Lock()
	h.up, h.stale, h.lastSuccess = true, false, t
	h.mu.Unlock()
}

// Failure records a failed read or poll: the source is down and the values
// it last produced are stale. err's text is kept for the status page.
func (h *Health) Failure(reason event.Reason, err error) {
	h.mu.Lock()
	h.up, h.stale = false, true
	h.errors[reason]++
	if err != nil {
		h.lastError = err.Error()
	}
	h.mu.Unlock()
}

// Count adds n skipped inputs of the given reason without changing up.
func (h *Health) Count(reason event.Reason, n uint64) {
	if n == 0 {
		return
	}
	h.mu.Lock()
	h.errors[reason] += n
	h.mu.Unlock()
}

// SetUp sets up without counting anything (used by sources that are up as
// long as they can read, such as file tailers).
func (h *Health) SetUp(up bool) {
	h.mu.Lock()
	h.up = up
	h.mu.Unlock()
}

// HealthView is a consistent copy of a Health.
type HealthView struct {
	Name        string
	Up          bool
	Stale       bool
	LastSuccess time.Time
	LastError   string
	Errors      map[event.Reason]uint64
}

// View returns a copy of the current status.
func (h *Health) View() HealthView {
	h.mu.Lock()
	defer h.mu.Unlock()
	errs := make(map[event.Reason]uint64, len(h.errors))
	for k, v := range h.errors {
		errs[k] = v
	}
	return HealthView{Name: h.name, Up: h.up, Stale: h.stale, LastSuccess: h.lastSuccess, LastError: h.lastError, Errors: errs}
}

// SetErrors replaces the error counters (used when restoring a checkpoint so
// that counters stay monotonic across restarts).
func (h *Health) SetErrors(m map[event.Reason]uint64) {
	h.mu.Lock()
	defer h.mu.Unlock()
	h.errors = make(map[event.Reason]uint64, len(m))
	for k, v := range m {
		h.errors[k] = v
	}
}
