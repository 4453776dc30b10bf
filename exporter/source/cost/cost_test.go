package cost

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"math"
	"net"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/prometheus/common/config"
	"github.com/prometheus/common/model"

	"github.com/heady/heady-metrics/exporter/event"
)

var testNow = time.Date(2026, 11, 20, 12, 0, 0, 0, time.UTC)

// pagedServer serves GET /api/costs?since=<cursor> from a map of bodies
// and counts the requests it gets per cursor.
type pagedServer struct {
	mu    sync.Mutex
	pages map[string]string
	hits  map[string]int
}

func newPagedServer(t *testing.T, pages map[string]string) (*pagedServer, *httptest.Server) {
	t.Helper()
	ps := &pagedServer{pages: pages, hits: map[string]int{}}
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Path != "/api/costs" {
			http.NotFound(w, r)
			return
		}
		since := r.URL.Query().Get("since")
		ps.mu.Lock()
		ps.hits[since]++
		body, ok := ps.pages[since]
		ps.mu.Unlock()
		if !ok {
			http.Error(w, "unknown cursor", http.StatusBadRequest)
			return
		}
		w.Header().Set("Content-Type", "application/json")
		fmt.Fprint(w, body)
	}))
	t.Cleanup(srv.Close)
	return ps, srv
}

func (ps *pagedServer) set(since, body string) {
	ps.mu.Lock()
	ps.pages[since] = body
	ps.mu.Unlock()
}

func (ps *pagedServer) hitsFor(since string) int {
	ps.mu.Lock()
	defer ps.mu.Unlock()
	return ps.hits[since]
}

func testConfig(url string) Config {
	c := DefaultConfig()
	c.URL = url + "/api"
	c.Timeout = model.Duration(5 * time.Second)
	c.MaxRetries = 3
	return c
}

// newTestSource returns a Source whose backoff waits are recorded and not
// slept.
func newTestSource(t *testing.T, cfg Config, opts Options) (*Source, *[]time.Duration) {
	t.Helper()
	if opts.Now == nil {
		opts.Now = func() time.Time { return testNow }
	}
	s, err := New(cfg, opts)
	if err != nil {
		t.Fatal(err)
	}
	var mu sync.Mutex
	waits := &[]time.Duration{}
	s.wait = func(d time.Duration) time.Duration {
		mu.Lock()
		*waits = append(*waits, d)
		mu.Unlock()
		return 0
	}
	return s, waits
}

// collect is a sink that keeps every accepted page.
type collect struct {
	pages []Page
	// failOn makes the sink refuse the page with this 1-based number.
	failOn int
	calls  int
}

func (c *collect) sink(p Page) error {
	c.calls++
	if c.calls == c.failOn {
		return errors.New("disk full")
	}
	p.Events = slices.Clone(p.Events)
	c.pages = append(c.pages, p)
	return nil
}

func (c *collect) ids() []string {
	var out []string
	for _, p := range c.pages {
		for _, e := range p.Events {
			out = append(out, e.ID)
		}
	}
	return out
}

func (c *collect) cursors() []string {
	var out []string
	for _, p := range c.pages {
		out = append(out, p.Cursor)
	}
	return out
}

func rec(id, ts string) string {
	return fmt.Sprintf(`{"id":%q,"ts":%s,"kind":"inference","provider":"anthropic","model":"haiku","cost_usd":0.5,"routed":"cheaper"}`, id, ts)
}

func threePages() map[string]string {
	return map[string]string{
		"": `{"records":[` + rec("r1", `"2026-11-20T10:00:00Z"`) + `,` + rec("r2", `"2026-11-20T10:00:01.5+01:00"`) + `],
		      "next_cursor":"c1",
		      "budgets":[{"name":"inference-monthly","cap_usd":5000,"spent_usd":3120.5}],
		      "infra":[{"date":"2026-11-19","cost_usd":412.25}]}`,
		"c1": `{"records":[` + rec("r3", `1763632800`) + `,` + rec("r4", `"1763632800123"`) + `],"next_cursor":"c2",
		       "infra":[{"date":"2026-11-18","cost_usd":400}]}`,
		"c2": `{"records":[` + rec("r5", `1763632800123`) + `],"next_cursor":""}`,
	}
}

func TestPollFollowsThreePages(t *testing.T) {
	ps, srv := newPagedServer(t, threePages())
	s, _ := newTestSource(t, testConfig(srv.URL), Options{})
	var c collect
	if err := s.Poll(context.Background(), c.sink); err != nil {
		t.Fatal(err)
	}
	if got, want := c.ids(), []string{"r1", "r2", "r3", "r4", "r5"}; !slices.Equal(got, want) {
		t.Errorf("ids = %v, want %v", got, want)
	}
	// The last page has no next cursor: its own cursor is the resume point.
	if got, want := c.cursors(), []string{"c1", "c2", "c2"}; !slices.Equal(got, want) {
		t.Errorf("cursors = %v, want %v", got, want)
	}
	if s.Cursor() != "c2" {
		t.Errorf("Cursor() = %q, want c2", s.Cursor())
	}

	e := c.pages[0].Events[1]
	wantMS := time.Date(2026, 11, 20, 9, 0, 1, 500e6, time.UTC).UnixMilli()
	if e.Type != event.TypeInference || e.Time != wantMS || e.Provider != "anthropic" || e.Model != "haiku" || e.CostUSD != 0.5 || e.Routed != "cheaper" {
		t.Errorf("event r2 = %+v", e)
	}
	if !math.IsNaN(e.TokensIn) || !math.IsNaN(e.DurationMS) {
		t.Errorf("absent numbers must be NaN: %+v", e)
	}
	if got := c.pages[1].Events[0].Time; got != 1763632800000 {
		t.Errorf("epoch seconds: Time = %d", got)
	}
	if got := c.pages[1].Events[1].Time; got != 1763632800123 {
		t.Errorf("epoch ms in a string: Time = %d", got)
	}

	snap, stale, fetched := s.Latest()
	if stale || !fetched.Equal(testNow) {
		t.Errorf("stale=%v fetched=%v", stale, fetched)
	}
	wantSnap := Snapshot{
		Budgets: []Budget{{Name: "inference-monthly", CapUSD: 5000, SpentUSD: 3120.5}},
		Infra:   []InfraDay{{"2026-11-18", 400}, {"2026-11-19", 412.25}},
	}
	if !snapEqual(snap, wantSnap) {
		t.Errorf("snapshot = %+v, want %+v", snap, wantSnap)
	}
	if v := s.Health().View(); !v.Up || v.Stale || len(v.Errors) != 0 {
		t.Errorf("health = %+v", v)
	}

	// Next poll: the last page is read again; only what is new in it is
	// handed on, and an unchanged page hands nothing.
	var c2 collect
	if err := s.Poll(context.Background(), c2.sink); err != nil {
		t.Fatal(err)
	}
	if len(c2.pages) != 0 {
		t.Errorf("unchanged last page handed again: %+v", c2.pages)
	}
	ps.set("c2", `{"records":[`+rec("r5", `1763632800123`)+`,`+rec("r6", `1763632900000`)+`],"next_cursor":"c3"}`)
	ps.set("c3", `{"records":[]}`)
	if err := s.Poll(context.Background(), c2.sink); err != nil {
		t.Fatal(err)
	}
	if got := c2.ids(); !slices.Equal(got, []string{"r6"}) {
		t.Errorf("third poll ids = %v, want [r6]", got)
	}
	if s.Cursor() != "c3" || ps.hitsFor("") != 1 {
		t.Errorf("cursor %q, first page fetched %d times", s.Cursor(), ps.hitsFor(""))
	}
}

func snapEqual(a, b Snapshot) bool {
	x, _ := json.Marshal(a)
	y, _ := json.Marshal(b)
	return string(x) == string(y)
}

func TestPollRetries500ThenSucceeds(t *testing.T) {
	var mu sync.Mutex
	n := 0
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) {
		mu.Lock()
		n++
		first := n == 1
		mu.Unlock()
		if first {
			http.Error(w, "boom", http.StatusInternalServerError)
			return
		}
		fmt.Fprint(w, `{"records":[`+rec("r1", `"2026-11-20T10:00:00Z"`)+`]}`)
	}))
	defer srv.Close()
	s, waits := newTestSource(t, testConfig(srv.URL), Options{})
	var c collect
	if err := s.Poll(context.Background(), c.sink); err != nil {
		t.Fatal(err)
	}
	if !slices.Equal(c.ids(), []string{"r1"}) || n != 2 || len(*waits) != 1 {
		t.Errorf("ids %v after %d requests, %d waits", c.ids(), n, len(*waits))
	}
	if w := (*waits)[0]; w < minRetryWait/2 || w > minRetryWait {
		t.Errorf("first backoff %v outside [%v, %v]", w, minRetryWait/2, minRetryWait)
	}
	if v := s.Health().View(); !v.Up || len(v.Errors) != 0 {
		t.Errorf("a retried request is not a failure: %+v", v)
	}
}

func TestPollHonoursRetryAfter(t *testing.T) {
	var mu sync.Mutex
	n := 0
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) {
		mu.Lock()
		n++
		first := n == 1
		mu.Unlock()
		if first {
			w.Header().Set("Retry-After", "7")
			w.WriteHeader(http.StatusTooManyRequests)
			return
		}
		fmt.Fprint(w, `{"records":[`+rec("r1", `"2026-11-20T10:00:00Z"`)+`]}`)
	}))
	defer srv.Close()
	s, waits := newTestSource(t, testConfig(srv.URL), Options{})
	var c collect
	if err := s.Poll(context.Background(), c.sink); err != nil {
		t.Fatal(err)
	}
	if !slices.Equal(*waits, []time.Duration{7 * time.Second}) || !slices.Equal(c.ids(), []string{"r1"}) {
		t.Errorf("waits %v, ids %v", *waits, c.ids())
	}
}

func TestPollGivesUpWhenRetryAfterExceedsMaxElapsed(t *testing.T) {
	var mu sync.Mutex
	n := 0
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) {
		mu.Lock()
		n++
		mu.Unlock()
		w.Header().Set("Retry-After", "3600")
		w.WriteHeader(http.StatusServiceUnavailable)
	}))
	defer srv.Close()
	s, waits := newTestSource(t, testConfig(srv.URL), Options{})
	err := s.Poll(context.Background(), (&collect{}).sink)
	if err == nil || !strings.Contains(err.Error(), "retry after 1h0m0s") {
		t.Fatalf("err = %v", err)
	}
	if n != 1 || len(*waits) != 0 {
		t.Errorf("%d requests, waits %v: want one request and no wait", n, *waits)
	}
	if got := s.Health().View().Errors[event.ReasonFetchError]; got != 1 {
		t.Errorf("fetch errors = %d, want 1", got)
	}
}

func TestPollCountsOneFailurePerPoll(t *testing.T) {
	var mu sync.Mutex
	n := 0
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) {
		mu.Lock()
		n++
		mu.Unlock()
		http.Error(w, "down", http.StatusBadGateway)
	}))
	defer srv.Close()
	s, waits := newTestSource(t, testConfig(srv.URL), Options{})
	err := s.Poll(context.Background(), (&collect{}).sink)
	if err == nil || !strings.Contains(err.Error(), "giving up after 4 attempt(s)") {
		t.Fatalf("err = %v", err)
	}
	if n != 4 || len(*waits) != 3 {
		t.Errorf("%d requests, %d waits; want 4 and 3 (max_retries 3)", n, len(*waits))
	}
	v := s.Health().View()
	if v.Up || v.Errors[event.ReasonFetchError] != 1 || !strings.Contains(v.LastError, "502") {
		t.Errorf("health = %+v", v)
	}
}

func TestPollDoesNotRetryClientErrors(t *testing.T) {
	var mu sync.Mutex
	n := 0
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) {
		mu.Lock()
		n++
		mu.Unlock()
		http.Error(w, "no", http.StatusForbidden)
	}))
	defer srv.Close()
	s, _ := newTestSource(t, testConfig(srv.URL), Options{})
	if err := s.Poll(context.Background(), (&collect{}).sink); err == nil || !strings.Contains(err.Error(), "403") {
		t.Fatalf("err = %v", err)
	}
	if n != 1 {
		t.Errorf("%d requests for a 403, want 1", n)
	}
}

func TestGarbageKeepsLastSnapshotStale(t *testing.T) {
	ps, srv := newPagedServer(t, map[string]string{
		"": `{"budgets":[{"name":"b","cap_usd":10,"spent_usd":4}],"records":[` + rec("r1", `"2026-11-20T10:00:00Z"`) + `]}`,
	})
	s, _ := newTestSource(t, testConfig(srv.URL), Options{})
	if err := s.Poll(context.Background(), (&collect{}).sink); err != nil {
		t.Fatal(err)
	}
	good, _, fetched := s.Latest()

	for _, garbage := range []string{`<html>502 Bad Gateway</html>`, `{"records":`, `[1,2]`, `{"records":{"id":1}}`, `{"error":"wrong endpoint"}`, `null`} {
		ps.set("", garbage)
		var c collect
		err := s.Poll(context.Background(), c.sink)
		if err == nil {
			t.Errorf("%s: no error", garbage)
		}
		if len(c.pages) != 0 {
			t.Errorf("%s: pages handed on: %+v", garbage, c.pages)
		}
		snap, stale, f := s.Latest()
		if !stale || !f.Equal(fetched) || !snapEqual(snap, good) {
			t.Errorf("%s: Latest = %+v stale=%v fetched=%v; want the last good one, stale", garbage, snap, stale, f)
		}
	}
	if got := s.Health().View().Errors[event.ReasonParseError]; got != 6 {
		t.Errorf("parse errors = %d, want 6", got)
	}
	ps.set("", `{"budgets":[]}`)
	if err := s.Poll(context.Background(), (&collect{}).sink); err != nil {
		t.Fatal(err)
	}
	if _, stale, _ := s.Latest(); stale || !s.Health().View().Up {
		t.Error("a good poll must clear stale")
	}
}

func TestLatestDoesNotWaitForSlowServer(t *testing.T) {
	entered := make(chan struct{}, 1)
	release := make(chan struct{})
	var slow sync.Mutex
	isSlow := false
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		slow.Lock()
		s := isSlow
		slow.Unlock()
		if s {
			entered <- struct{}{}
			select {
			case <-release:
			case <-r.Context().Done():
			}
			return
		}
		fmt.Fprint(w, `{"budgets":[{"name":"b","cap_usd":10,"spent_usd":4}]}`)
	}))
	defer srv.Close()
	defer close(release)
	cfg := testConfig(srv.URL)
	cfg.Timeout = model.Duration(500 * time.Millisecond)
	cfg.MaxRetries = 0
	s, _ := newTestSource(t, cfg, Options{})
	if err := s.Poll(context.Background(), (&collect{}).sink); err != nil {
		t.Fatal(err)
	}
	slow.Lock()
	isSlow = true
	slow.Unlock()

	done := make(chan error)
	go func() { done <- s.Poll(context.Background(), (&collect{}).sink) }()
	<-entered
	// The poll is now blocked inside the server: Latest must still answer
	// (if it waited, this test would hang).
	snap, stale, _ := s.Latest()
	if stale || len(snap.Budgets) != 1 {
		t.Errorf("during the poll: %+v stale=%v", snap, stale)
	}
	var nerr net.Error
	if err := <-done; !errors.As(err, &nerr) || !nerr.Timeout() {
		t.Errorf("slow poll err = %v, want a client timeout", err)
	}
	snap, stale, _ = s.Latest()
	if !stale || len(snap.Budgets) != 1 {
		t.Errorf("after the timeout: %+v stale=%v", snap, stale)
	}
	if got := s.Health().View().Errors[event.ReasonFetchError]; got != 1 {
		t.Errorf("fetch errors = %d, want 1", got)
	}
}

// A sink that fails on page 2 is a crash between pages: the cursor the
// engine saved is the one of page 1, and a new Source from it hands exactly
// the records not yet accepted.
func TestCrashBetweenPagesLosesAndDoublesNothing(t *testing.T) {
	_, srv := newPagedServer(t, threePages())
	s, _ := newTestSource(t, testConfig(srv.URL), Options{})
	engine := collect{failOn: 2}
	err := s.Poll(context.Background(), engine.sink)
	if !errors.Is(err, errSink) {
		t.Fatalf("err = %v, want the sink's error", err)
	}
	saved := engine.pages[len(engine.pages)-1].Cursor
	if saved != "c1" || s.Cursor() != "c1" {
		t.Fatalf("saved cursor %q, source cursor %q; want c1", saved, s.Cursor())
	}
	if v := s.Health().View(); len(v.Errors) != 0 {
		t.Errorf("a refused page is not a source error: %+v", v)
	}

	restarted, _ := newTestSource(t, testConfig(srv.URL), Options{Cursor: saved})
	after := collect{}
	if err := restarted.Poll(context.Background(), after.sink); err != nil {
		t.Fatal(err)
	}
	if got := after.ids(); !slices.Equal(got, []string{"r3", "r4", "r5"}) {
		t.Errorf("after restart ids = %v, want [r3 r4 r5]", got)
	}
	all := append(engine.ids(), after.ids()...)
	if !slices.Equal(all, []string{"r1", "r2", "r3", "r4", "r5"}) {
		t.Errorf("all accepted = %v", all)
	}
}

func TestRepeatingCursorStops(t *testing.T) {
	_, srv := newPagedServer(t, map[string]string{
		"":   `{"records":[` + rec("r1", `1763632800`) + `],"next_cursor":"c1"}`,
		"c1": `{"records":[` + rec("r2", `1763632801`) + `],"next_cursor":"c2"}`,
		"c2": `{"records":[` + rec("r3", `1763632802`) + `],"next_cursor":"c1"}`,
	})
	s, _ := newTestSource(t, testConfig(srv.URL), Options{})
	var c collect
	err := s.Poll(context.Background(), c.sink)
	if err == nil || !strings.Contains(err.Error(), "repeats") {
		t.Fatalf("err = %v", err)
	}
	if !slices.Equal(c.ids(), []string{"r1", "r2", "r3"}) || !slices.Equal(c.cursors(), []string{"c1", "c2", "c2"}) {
		t.Errorf("ids %v cursors %v", c.ids(), c.cursors())
	}
	if got := s.Health().View().Errors[event.ReasonParseError]; got != 1 {
		t.Errorf("parse errors = %d", got)
	}
}

func TestMaxPagesBoundsOnePoll(t *testing.T) {
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		since := r.URL.Query().Get("since")
		fmt.Fprintf(w, `{"records":[],"next_cursor":"%sx"}`, since)
	}))
	defer srv.Close()
	s, _ := newTestSource(t, testConfig(srv.URL), Options{MaxPages: 5})
	var c collect
	if err := s.Poll(context.Background(), c.sink); err != nil {
		t.Fatal(err)
	}
	if len(c.pages) != 5 || s.Cursor() != "xxxxx" {
		t.Errorf("%d pages, cursor %q", len(c.pages), s.Cursor())
	}
	if err := s.Poll(context.Background(), c.sink); err != nil {
		t.Fatal(err)
	}
	if s.Cursor() != "xxxxxxxxxx" {
		t.Errorf("second poll did not go on: cursor %q", s.Cursor())
	}
}

func TestBadElementsCountedOnceAcrossPolls(t *testing.T) {
	_, srv := newPagedServer(t, map[string]string{
		"": `{"records":[
			` + rec("ok", `"2026-11-20T10:00:00Z"`) + `,
			{"id":"nots","kind":"inference"},
			{"id":"nullts","ts":null},
			{"id":"badts","ts":"yesterday"},
			{"id":"kind","ts":1763632800,"kind":"refund"},
			{"id":"field","ts":1763632800,"cost_usd":"0.1"},
			42
		],
		"budgets":[{"name":"nospent","cap_usd":1},{"name":"ok","spent_usd":1}],
		"infra":[{"date":"19/11/2026","cost_usd":1},{"date":"2026-11-19","cost_usd":2}]}`,
	})
	s, _ := newTestSource(t, testConfig(srv.URL), Options{})
	for range 3 {
		var c collect
		if err := s.Poll(context.Background(), c.sink); err != nil {
			t.Fatal(err)
		}
	}
	want := map[event.Reason]uint64{
		event.ReasonMissingTS:   2,
		event.ReasonBadTS:       1,
		event.ReasonUnknownType: 1,
		event.ReasonBadField:    3, // cost_usd string, budget without spent, infra date
		event.ReasonNotObject:   1,
	}
	got := s.Health().View().Errors
	for r, n := range want {
		if got[r] != n {
			t.Errorf("%s = %d, want %d", r, got[r], n)
		}
	}
	if len(got) != len(want) {
		t.Errorf("errors = %v", got)
	}
	snap, _, _ := s.Latest()
	if len(snap.Budgets) != 1 || len(snap.Infra) != 1 {
		t.Errorf("snapshot = %+v", snap)
	}
}

func TestRecordWithoutIDGetsStableID(t *testing.T) {
	body := `{"records":[{"ts":"2026-11-20T10:00:00Z","cost_usd":1},{"ts":"2026-11-20T10:00:00Z","cost_usd":2},{"id":17,"ts":1763632800}]}`
	_, srv := newPagedServer(t, map[string]string{"": body})
	ids := func() []string {
		s, _ := newTestSource(t, testConfig(srv.URL), Options{})
		var c collect
		if err := s.Poll(context.Background(), c.sink); err != nil {
			t.Fatal(err)
		}
		return c.ids()
	}
	a, b := ids(), ids()
	if !slices.Equal(a, b) || len(a) != 3 || a[0] == a[1] || a[0] == "" || a[2] != "17" {
		t.Errorf("ids = %v then %v", a, b)
	}
}

func TestBudgetSummaryShape(t *testing.T) {
	cfg := DefaultConfig()
	cfg.Path = filepath.Join("testdata", "budget-summary.json")
	cfg.BudgetCaps = map[string]float64{"total": 10, "claude-sonnet-4": 5, "not-a-model": 1}
	s, _ := newTestSource(t, cfg, Options{})
	var c collect
	if err := s.Poll(context.Background(), c.sink); err != nil {
		t.Fatal(err)
	}
	if len(c.pages) != 0 {
		t.Errorf("a summary must not become events: %+v", c.pages)
	}
	snap, _, _ := s.Latest()
	wantBudgets := []Budget{{"claude-sonnet-4", 5, 5.9021}, {"total", 10, 7.4183}}
	if !slices.Equal(snap.Budgets, wantBudgets) {
		t.Errorf("budgets = %+v, want %+v", snap.Budgets, wantBudgets)
	}
	if snap.Summary == nil || snap.Summary.TotalCalls != 1284 || len(snap.Summary.ByModel) != 3 ||
		snap.Summary.ByModel["gemini-2.0-flash"] != (ModelSpend{801, 0.9137}) {
		t.Errorf("summary = %+v", snap.Summary)
	}
}

func TestBudgetCapsFillMissingCaps(t *testing.T) {
	_, srv := newPagedServer(t, map[string]string{
		"": `{"budgets":[{"name":"a","spent_usd":3},{"name":"b","cap_usd":8,"spent_usd":2},{"name":"c","spent_usd":1}]}`,
	})
	cfg := testConfig(srv.URL)
	cfg.BudgetCaps = map[string]float64{"a": 6, "b": 100}
	s, _ := newTestSource(t, cfg, Options{})
	if err := s.Poll(context.Background(), (&collect{}).sink); err != nil {
		t.Fatal(err)
	}
	snap, _, _ := s.Latest()
	want := []Budget{{"a", 6, 3}, {"b", 8, 2}, {"c", 0, 1}}
	if !slices.Equal(snap.Budgets, want) {
		t.Errorf("budgets = %+v, want %+v", snap.Budgets, want)
	}
}

func TestPathModeHandsOnlyNewRecords(t *testing.T) {
	path := filepath.Join(t.TempDir(), "costs.json")
	write := func(ids ...string) {
		var recs []string
		for _, id := range ids {
			recs = append(recs, rec(id, `"2026-11-20T10:00:00Z"`))
		}
		if err := os.WriteFile(path, []byte(`{"records":[`+strings.Join(recs, ",")+`],"next_cursor":"ignored"}`), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	cfg := DefaultConfig()
	cfg.Path = path
	s, _ := newTestSource(t, cfg, Options{})
	var c collect
	write("a", "b")
	for range 2 {
		if err := s.Poll(context.Background(), c.sink); err != nil {
			t.Fatal(err)
		}
	}
	write("a", "b", "c")
	if err := s.Poll(context.Background(), c.sink); err != nil {
		t.Fatal(err)
	}
	if got := c.ids(); !slices.Equal(got, []string{"a", "b", "c"}) {
		t.Errorf("ids = %v", got)
	}
	if err := os.Remove(path); err != nil {
		t.Fatal(err)
	}
	if err := s.Poll(context.Background(), c.sink); err == nil {
		t.Error("missing file: no error")
	}
	if got := s.Health().View().Errors[event.ReasonReadError]; got != 1 {
		t.Errorf("read errors = %d", got)
	}
}

func TestBearerTokenFileIsSent(t *testing.T) {
	tokenFile := filepath.Join(t.TempDir(), "token")
	if err := os.WriteFile(tokenFile, []byte("s3cret\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	var got string
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		got = r.Header.Get("Authorization")
		fmt.Fprint(w, `{"records":[]}`)
	}))
	defer srv.Close()
	cfg := testConfig(srv.URL)
	cfg.HTTPClientConfig.BearerTokenFile = tokenFile
	s, _ := newTestSource(t, cfg, Options{})
	if err := s.Poll(context.Background(), (&collect{}).sink); err != nil {
		t.Fatal(err)
	}
	if got != "Bearer s3cret" {
		t.Errorf("Authorization = %q", got)
	}
}

func TestBasicAuthIsSent(t *testing.T) {
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if u, p, ok := r.BasicAuth(); !ok || u != "heady" || p != "pa55" {
			http.Error(w, "unauthorized", http.StatusUnauthorized)
			return
		}
		fmt.Fprint(w, `{"records":[]}`)
	}))
	defer srv.Close()
	cfg := testConfig(srv.URL)
	cfg.HTTPClientConfig.BasicAuth = &config.BasicAuth{Username: "heady", Password: "pa55"}
	s, _ := newTestSource(t, cfg, Options{})
	if err := s.Poll(context.Background(), (&collect{}).sink); err != nil {
		t.Fatal(err)
	}
	cfg.HTTPClientConfig.BasicAuth = &config.BasicAuth{Username: "heady", Password: "wrong"}
	s, _ = newTestSource(t, cfg, Options{})
	if err := s.Poll(context.Background(), (&collect{}).sink); err == nil || !strings.Contains(err.Error(), "401") {
		t.Errorf("wrong password: err = %v", err)
	}
}

func TestRestoredSnapshotIsStaleUntilAPoll(t *testing.T) {
	restored := Snapshot{Budgets: []Budget{{"b", 10, 9.5}}, Infra: []InfraDay{{"2026-11-19", 1}}, Summary: &Summary{TotalCalls: 1, ByModel: map[string]ModelSpend{"m": {1, 2}}}}
	blob, err := json.Marshal(restored)
	if err != nil {
		t.Fatal(err)
	}
	var decoded Snapshot
	if err := json.Unmarshal(blob, &decoded); err != nil {
		t.Fatal(err)
	}
	at := testNow.Add(-time.Hour)
	cfg := DefaultConfig()
	cfg.URL = "http://127.0.0.1:1"
	s, _ := newTestSource(t, cfg, Options{Snapshot: &decoded, Fetched: at})
	snap, stale, fetched := s.Latest()
	if !stale || !fetched.Equal(at) || !snapEqual(snap, restored) {
		t.Errorf("Latest = %+v %v %v", snap, stale, fetched)
	}
	// The copy handed out is the caller's own.
	snap.Summary.ByModel["m"] = ModelSpend{}
	snap.Budgets[0].SpentUSD = 0
	if again, _, _ := s.Latest(); !snapEqual(again, restored) {
		t.Error("Latest shares memory with the source")
	}
}
