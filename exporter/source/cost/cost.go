// Package cost is the cost source: it polls Heady's cost API
// (GET <url>/costs?since=<cursor>, or the same document from a file) and
// turns its records into canonical inference events, page by page, and its
// budgets, daily infra costs and budget summary into a snapshot.
//
// It owns the HTTP polling (retries, backoff, Retry-After, time bounds), the
// cursor walk and the parsing of both response shapes. It does not
// deduplicate records against other sources, keep windows, compute KPIs or
// export metrics: the engine applies the pages it is handed and the
// collector reads Latest.
//
// # Delivery contract
//
// A poll hands each page to a Sink as a Page: its events and the cursor to
// resume from once they are applied. The engine applies the events and
// saves the cursor atomically with its state, and creates the Source with
// that cursor after a restart, so no record is lost. A page may be handed
// again after a restart (records are deduplicated by id downstream, and a
// record without id gets one derived from its bytes). Within a process, a
// record already accepted from the last page is not handed again.
//
// An empty or missing next_cursor ends a poll; the last page's own cursor
// is then the resume point, so the next poll re-reads that page and hands on
// only what is new in it.
//
// # Heady budget summary shape
//
// {totalCalls, totalCostUsd, byModel: {model: {calls, cost}}} carries
// cumulative totals without ids or timestamps, so it never becomes events
// (that would double the records and cannot be windowed). It is kept as
// Snapshot.Summary (spend per model). A budget is only useful with a cap,
// and the summary has none: budget_caps gives one, and then "total" becomes
// a budget spending totalCostUsd and a model name a budget spending that
// model's cost. budget_caps also fills in canonical budgets sent without
// cap_usd.
package cost

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/url"
	"os"
	"slices"
	"sort"
	"strings"
	"sync"
	"time"

	"github.com/hashicorp/go-retryablehttp"

	"github.com/heady/heady-metrics/exporter/event"
	"github.com/heady/heady-metrics/exporter/source"
)

// DefaultMaxPages bounds the pages followed in one poll; the next poll goes
// on from where this one stopped.
const DefaultMaxPages = 1000

// maxRememberedSkips bounds the keys of skipped elements remembered so that
// an element re-read on every poll is counted once.
const maxRememberedSkips = 10000

// Page is one response's records, and the cursor to resume from once they
// are applied.
type Page struct {
	Events []event.Event
	Cursor string
}

// Sink accepts one page; it returns an error when the page was not applied
// (the poll then stops, and the next one resumes from the last accepted
// cursor).
type Sink func(Page) error

// Budget is a spend against a cap. CapUSD 0 means no cap is known (the
// utilization is then undefined).
type Budget struct {
	Name     string  `json:"name"`
	CapUSD   float64 `json:"cap_usd,omitempty"`
	SpentUSD float64 `json:"spent_usd"`
}

// InfraDay is the infrastructure cost of one UTC date (YYYY-MM-DD).
type InfraDay struct {
	Date    string  `json:"date"`
	CostUSD float64 `json:"cost_usd"`
}

// ModelSpend is one model's line of the Heady budget summary.
type ModelSpend struct {
	Calls   float64 `json:"calls"`
	CostUSD float64 `json:"cost_usd"`
}

// Summary is the Heady budget summary shape, as read.
type Summary struct {
	TotalCalls   float64               `json:"total_calls"`
	TotalCostUSD float64               `json:"total_cost_usd"`
	ByModel      map[string]ModelSpend `json:"by_model,omitempty"`
}

// Snapshot is the cost API's current state: budgets sorted by name, infra
// days sorted by date, and the budget summary if the API sends one.
type Snapshot struct {
	Budgets []Budget   `json:"budgets,omitempty"`
	Infra   []InfraDay `json:"infra,omitempty"`
	Summary *Summary   `json:"summary,omitempty"`
}

// Clone returns a deep copy of s.
func (s Snapshot) Clone() Snapshot {
	out := Snapshot{Budgets: slices.Clone(s.Budgets), Infra: slices.Clone(s.Infra)}
	if s.Summary != nil {
		sum := *s.Summary
		if s.Summary.ByModel != nil {
			sum.ByModel = make(map[string]ModelSpend, len(s.Summary.ByModel))
			for k, v := range s.Summary.ByModel {
				sum.ByModel[k] = v
			}
		}
		out.Summary = &sum
	}
	return out
}

// Options are the Source's collaborators and restored state.
type Options struct {
	// Health receives one Success or Failure per poll and the counts of
	// skipped elements. Nil: a private record named "cost".
	Health *source.Health
	// Logger receives debug lines (retries, failed polls). Nil: none.
	Logger *slog.Logger
	// Now is the clock that stamps a fetched snapshot and health (it may be
	// a fixed instant). HTTP waits and deadlines use real time. Nil: time.Now.
	Now func() time.Time
	// Cursor is the cursor saved with the engine's state ("" from the start).
	Cursor string
	// Snapshot and Fetched restore the last snapshot from a checkpoint;
	// Latest serves it, marked stale, until a poll succeeds.
	Snapshot *Snapshot
	Fetched  time.Time
	// MaxPages bounds the pages of one poll (0: DefaultMaxPages).
	MaxPages int
}

// Source polls the cost API. Poll must not be called concurrently with
// itself (Run does not); every other method may be called at any time and
// never waits for a poll in flight.
type Source struct {
	cfg      Config
	health   *source.Health
	logger   *slog.Logger
	now      func() time.Time
	maxPages int
	rc       *retryablehttp.Client // nil in path mode
	base     *url.URL              // <url>/costs

	// wait maps a computed backoff to the time really waited; tests shorten
	// it. Fixed once New returns.
	wait func(time.Duration) time.Duration

	pollMu sync.Mutex // serialises polls; never taken by readers
	// Owned by the poll in flight (under pollMu).
	tailIDs  map[string]struct{} // ids accepted from pages fetched at cursor
	skipSeen map[string]struct{} // skipped elements already counted

	mu      sync.Mutex // guards the fields below; held only to copy them
	cursor  string
	snap    Snapshot
	fetched time.Time
	stale   bool
}

// New validates cfg and returns a Source that resumes from opts.Cursor.
func New(cfg Config, opts Options) (*Source, error) {
	if err := cfg.Validate(); err != nil {
		return nil, fmt.Errorf("cost source: %w", err)
	}
	s := &Source{
		cfg:      cfg,
		health:   opts.Health,
		logger:   opts.Logger,
		now:      opts.Now,
		maxPages: opts.MaxPages,
		cursor:   opts.Cursor,
		wait:     func(d time.Duration) time.Duration { return d },
	}
	if s.health == nil {
		s.health = source.NewHealth("cost")
	}
	if s.now == nil {
		s.now = time.Now
	}
	if s.maxPages <= 0 {
		s.maxPages = DefaultMaxPages
	}
	if opts.Snapshot != nil {
		s.snap, s.fetched, s.stale = opts.Snapshot.Clone(), opts.Fetched, true
	}
	if cfg.URL != "" {
		base, err := url.Parse(cfg.URL)
		if err != nil {
			return nil, fmt.Errorf("cost source: url: %w", err)
		}
		s.base = base.JoinPath("costs")
		// The Backoff closure reads s.wait at call time, so tests may
		// replace it after New.
		if s.rc, err = newRetryClient(cfg, s.logger, func(d time.Duration) time.Duration { return s.wait(d) }); err != nil {
			return nil, fmt.Errorf("cost source: %w", err)
		}
	}
	return s, nil
}

// Health is the source's status record.
func (s *Source) Health() *source.Health { return s.health }

// Cursor is the cursor of the last page the sink accepted.
func (s *Source) Cursor() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.cursor
}

// Latest returns a copy of the last good snapshot, whether it is stale (the
// last poll failed, or it was restored and no poll has succeeded yet), and
// when it was fetched (zero if never). It never waits for a poll.
func (s *Source) Latest() (snap Snapshot, stale bool, fetched time.Time) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.snap.Clone(), s.stale, s.fetched
}

// Run polls at once, then every interval, until ctx is done. Failures are
// recorded in Health and the next poll retries.
func (s *Source) Run(ctx context.Context, sink Sink) {
	t := time.NewTicker(time.Duration(s.cfg.Interval))
	defer t.Stop()
	for {
		if err := s.Poll(ctx, sink); err != nil && s.logger != nil {
			s.logger.Debug("cost poll failed", "err", err)
		}
		select {
		case <-ctx.Done():
			return
		case <-t.C:
		}
	}
}

// errSink marks an error returned by the sink.
var errSink = errors.New("sink did not accept page")

// Poll fetches every page from the saved cursor on, hands each to sink in
// order, and then replaces the snapshot. A fetch or parse failure stops the
// poll, records one Failure, and leaves the last good snapshot in place
// marked stale; pages already accepted stay accepted. A sink error stops
// the poll without touching health or the snapshot.
func (s *Source) Poll(ctx context.Context, sink Sink) error {
	s.pollMu.Lock()
	defer s.pollMu.Unlock()

	since := s.Cursor()
	requested := map[string]bool{since: true}
	acc := newAccumulator()
	skipped := make(map[string]struct{})
	for page := 0; page < s.maxPages; page++ {
		doc, reason, err := s.fetchPage(ctx, since)
		if err != nil {
			return s.fail(reason, err, skipped)
		}
		s.countSkips(doc.skipped, skipped)
		acc.add(doc)

		next := doc.nextCursor
		repeated := next != "" && requested[next]
		resume := next
		if next == "" || repeated {
			resume = since
		}
		events := s.newAt(since, doc.events)
		if len(events) > 0 || resume != since {
			if err := sink(Page{Events: events, Cursor: resume}); err != nil {
				s.mergeSkips(skipped)
				return fmt.Errorf("cost source: %w: %w", errSink, err)
			}
			s.accepted(since, resume, events)
		}
		if repeated {
			return s.fail(event.ReasonParseError, fmt.Errorf("next_cursor %q repeats within one poll", next), skipped)
		}
		if next == "" {
			break
		}
		requested[next] = true
		since = next
	}
	snap := acc.snapshot(s.cfg.BudgetCaps)
	now := s.now()
	s.mu.Lock()
	s.snap, s.fetched, s.stale = snap, now, false
	s.mu.Unlock()
	s.skipSeen = skipped
	s.health.Success(now)
	return nil
}

// fetchPage reads one document: GET <url>/costs?since=<since>, or the file.
func (s *Source) fetchPage(ctx context.Context, since string) (*document, event.Reason, error) {
	var (
		body []byte
		err  error
	)
	if s.rc == nil {
		body, err = readFile(s.cfg.Path)
		if err != nil {
			return nil, event.ReasonReadError, err
		}
	} else {
		body, err = s.get(ctx, since)
		if err != nil {
			return nil, event.ReasonFetchError, err
		}
	}
	doc, err := parseDocument(body)
	if err != nil {
		where := s.cfg.Path
		if s.rc != nil {
			where = s.pageURL(since).Redacted()
		}
		return nil, event.ReasonParseError, fmt.Errorf("%s: %w", where, err)
	}
	if s.rc == nil {
		doc.nextCursor = "" // a file is one page
	}
	return doc, "", nil
}

func (s *Source) pageURL(since string) *url.URL {
	u := *s.base
	if since != "" {
		q := u.Query()
		q.Set("since", since)
		u.RawQuery = q.Encode()
	}
	return &u
}

func (s *Source) get(ctx context.Context, since string) ([]byte, error) {
	ctx, cancel := context.WithTimeout(ctx, time.Duration(s.cfg.MaxElapsed))
	defer cancel()
	u := s.pageURL(since)
	req, err := retryablehttp.NewRequestWithContext(ctx, http.MethodGet, u.String(), nil)
	if err != nil {
		return nil, fmt.Errorf("GET %s: %w", u.Redacted(), err)
	}
	req.Header.Set("Accept", "application/json")
	resp, err := s.rc.Do(req)
	if err != nil {
		return nil, fmt.Errorf("GET %s: %w", u.Redacted(), err)
	}
	defer resp.Body.Close() //nolint:errcheck // read only: closing loses nothing
	if resp.StatusCode < 200 || resp.StatusCode > 299 {
		_, _ = io.Copy(io.Discard, io.LimitReader(resp.Body, 1<<16))
		return nil, fmt.Errorf("GET %s: unexpected status %s", u.Redacted(), resp.Status)
	}
	body, err := io.ReadAll(io.LimitReader(resp.Body, maxBodyBytes+1))
	if err != nil {
		return nil, fmt.Errorf("GET %s: reading body: %w", u.Redacted(), err)
	}
	if len(body) > maxBodyBytes {
		return nil, fmt.Errorf("GET %s: body larger than %d bytes", u.Redacted(), maxBodyBytes)
	}
	return body, nil
}

func readFile(path string) ([]byte, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, err
	}
	defer f.Close() //nolint:errcheck // read only: closing loses nothing
	body, err := io.ReadAll(io.LimitReader(f, maxBodyBytes+1))
	if err != nil {
		return nil, fmt.Errorf("%s: %w", path, err)
	}
	if len(body) > maxBodyBytes {
		return nil, fmt.Errorf("%s: larger than %d bytes", path, maxBodyBytes)
	}
	return body, nil
}

// newAt drops the events of a page fetched at the saved cursor that the
// sink already accepted from that cursor in this process.
func (s *Source) newAt(since string, events []event.Event) []event.Event {
	if len(s.tailIDs) == 0 || since != s.Cursor() {
		return events
	}
	out := events[:0:0]
	for _, e := range events {
		if _, ok := s.tailIDs[e.ID]; !ok {
			out = append(out, e)
		}
	}
	return out
}

// accepted records that the sink applied events fetched at since and saved
// resume as its cursor.
func (s *Source) accepted(since, resume string, events []event.Event) {
	if resume != since {
		s.tailIDs = nil
	} else {
		if s.tailIDs == nil {
			s.tailIDs = make(map[string]struct{}, len(events))
		}
		for _, e := range events {
			s.tailIDs[e.ID] = struct{}{}
		}
	}
	s.mu.Lock()
	s.cursor = resume
	s.mu.Unlock()
}

// countSkips counts skipped elements into health, once per element across
// consecutive polls (the last page, or a file, is read again every poll).
func (s *Source) countSkips(skips []skip, thisPoll map[string]struct{}) {
	for _, sk := range skips {
		if _, ok := thisPoll[sk.key]; ok {
			continue
		}
		if len(thisPoll) < maxRememberedSkips {
			thisPoll[sk.key] = struct{}{}
		}
		if _, ok := s.skipSeen[sk.key]; ok {
			continue
		}
		s.health.Read(1)
		s.health.Count(sk.reason, 1)
	}
}

// mergeSkips keeps the previous poll's skip keys as well when a poll ends
// early, so that the pages it did not reach are not counted twice.
func (s *Source) mergeSkips(thisPoll map[string]struct{}) {
	for k := range s.skipSeen {
		if len(thisPoll) >= maxRememberedSkips {
			break
		}
		thisPoll[k] = struct{}{}
	}
	s.skipSeen = thisPoll
}

func (s *Source) fail(reason event.Reason, err error, skipped map[string]struct{}) error {
	s.mergeSkips(skipped)
	err = fmt.Errorf("cost source: %w", err)
	s.mu.Lock()
	s.stale = true
	s.mu.Unlock()
	s.health.Failure(reason, err)
	return err
}

// accumulator merges the snapshot parts of a poll's pages: a later page's
// budget or infra day of the same name or date replaces an earlier one.
type accumulator struct {
	budgets map[string]Budget
	infra   map[string]InfraDay
	summary *Summary
}

func newAccumulator() *accumulator {
	return &accumulator{budgets: map[string]Budget{}, infra: map[string]InfraDay{}}
}

func (a *accumulator) add(d *document) {
	for _, b := range d.budgets {
		a.budgets[b.Name] = b
	}
	for _, day := range d.infra {
		a.infra[day.Date] = day
	}
	if d.summary != nil {
		a.summary = d.summary
	}
}

func (a *accumulator) snapshot(caps map[string]float64) Snapshot {
	budgets := a.budgets
	for name, b := range budgets {
		if b.CapUSD == 0 {
			if c, ok := caps[name]; ok {
				b.CapUSD = c
				budgets[name] = b
			}
		}
	}
	if a.summary != nil {
		for name, c := range caps {
			if _, ok := budgets[name]; ok {
				continue
			}
			if name == "total" {
				budgets[name] = Budget{Name: name, CapUSD: c, SpentUSD: a.summary.TotalCostUSD}
			} else if m, ok := a.summary.ByModel[name]; ok {
				budgets[name] = Budget{Name: name, CapUSD: c, SpentUSD: m.CostUSD}
			}
		}
	}
	var snap Snapshot
	for _, b := range budgets {
		snap.Budgets = append(snap.Budgets, b)
	}
	sort.Slice(snap.Budgets, func(i, j int) bool { return snap.Budgets[i].Name < snap.Budgets[j].Name })
	for _, d := range a.infra {
		snap.Infra = append(snap.Infra, d)
	}
	sort.Slice(snap.Infra, func(i, j int) bool { return strings.Compare(snap.Infra[i].Date, snap.Infra[j].Date) < 0 })
	snap.Summary = a.summary
	return snap
}
