package registry

import (
	"context"
	"errors"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"sync"
	"testing"
	"time"

	commoncfg "github.com/prometheus/common/config"

	"github.com/heady/heady-metrics/exporter/event"
	"github.com/heady/heady-metrics/exporter/source"
)

// clock is a settable test clock.
type clock struct {
	mu sync.Mutex
	t  time.Time
}

func newClock() *clock { return &clock{t: time.Date(2026, 3, 1, 12, 0, 0, 0, time.UTC)} }

func (c *clock) now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.t
}

func (c *clock) advance(d time.Duration) time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.t = c.t.Add(d)
	return c.t
}

// fileWriter writes versions of a registry file, each with its own mtime so
// that the test does not depend on the file system's timestamp resolution.
type fileWriter struct {
	t     *testing.T
	path  string
	mtime time.Time
}

func (w *fileWriter) write(data []byte) {
	w.t.Helper()
	if err := os.WriteFile(w.path, data, 0o644); err != nil {
		w.t.Fatal(err)
	}
	w.touch()
}

func (w *fileWriter) touch() {
	w.t.Helper()
	w.mtime = w.mtime.Add(time.Second)
	if err := os.Chtimes(w.path, w.mtime, w.mtime); err != nil {
		w.t.Fatal(err)
	}
}

func checkLatest(t *testing.T, s *Source, score float64, stale bool, fetched time.Time) {
	t.Helper()
	snap, gotStale, gotFetched := s.Latest()
	if snap.Score != score || gotStale != stale || !gotFetched.Equal(fetched) {
		t.Errorf("Latest: score %v, stale %v, fetched %v; want %v, %v, %v", snap.Score, gotStale, gotFetched, score, stale, fetched)
	}
}

func checkHealth(t *testing.T, h *source.Health, up bool, errs map[event.Reason]uint64) {
	t.Helper()
	v := h.View()
	// Stale: down, but with the values of an earlier success.
	stale := !up && !v.LastSuccess.IsZero()
	if v.Up != up || v.Stale != stale {
		t.Errorf("health up %v stale %v, want up %v stale %v", v.Up, v.Stale, up, stale)
	}
	for r, n := range errs {
		if v.Errors[r] != n {
			t.Errorf("health errors[%s] = %d, want %d (all: %v)", r, v.Errors[r], n, v.Errors)
		}
	}
}

func TestSourceFile(t *testing.T) {
	ctx := context.Background()
	clk := newClock()
	w := &fileWriter{t: t, path: filepath.Join(t.TempDir(), "heady-registry.json"), mtime: clk.now()}
	h := source.NewHealth("registry")
	s, err := New(Config{Path: w.path}, Options{Health: h, Now: clk.now})
	if err != nil {
		t.Fatal(err)
	}

	// No file yet: a read error and no snapshot.
	if err := s.Poll(ctx); err == nil {
		t.Fatal("Poll of a missing file succeeded")
	}
	checkLatest(t, s, 0, false, time.Time{})
	checkHealth(t, h, false, map[event.Reason]uint64{event.ReasonReadError: 1})

	w.write(readSample(t, "registries", "HeadyMe__Heady-8f71ffc8.json"))
	t1 := clk.advance(time.Minute)
	if err := s.Poll(ctx); err != nil {
		t.Fatal(err)
	}
	checkLatest(t, s, 54, false, t1)
	checkHealth(t, h, true, map[event.Reason]uint64{event.ReasonPartialParse: 0})
	if got := h.View().LastSuccess; !got.Equal(t1) {
		t.Errorf("LastSuccess %v, want %v", got, t1)
	}

	// Unchanged: confirmed, not re-parsed.
	t2 := clk.advance(time.Minute)
	if err := s.Poll(ctx); err != nil {
		t.Fatal(err)
	}
	checkLatest(t, s, 54, false, t2)

	// A new version.
	w.write(readSample(t, "registries", "HeadyMe__Heady-8f71ffc8.HEAD.json"))
	t3 := clk.advance(time.Minute)
	if err := s.Poll(ctx); err != nil {
		t.Fatal(err)
	}
	checkLatest(t, s, 7, false, t3)
	if snap, _, _ := s.Latest(); snap.ServicesHealthy != 0 || snap.ServicesScanned != 19 {
		t.Errorf("services %d of %d healthy, want 0 of 19", snap.ServicesHealthy, snap.ServicesScanned)
	}

	// An unparsable version: the last good snapshot stays, stale, and the
	// failure is recorded once however often it is polled.
	w.write([]byte(`{"overallSystemScore": 0.99, "services": [`))
	clk.advance(time.Minute)
	if err := s.Poll(ctx); err == nil {
		t.Error("Poll of an unparsable version succeeded")
	}
	for range 3 {
		clk.advance(time.Minute)
		if err := s.Poll(ctx); err == nil {
			t.Error("Poll of the same unparsable version succeeded")
		}
	}
	w.touch() // rewritten with the same bytes
	if err := s.Poll(ctx); err == nil {
		t.Error("Poll of the same unparsable version succeeded")
	}
	checkLatest(t, s, 7, true, t3)
	checkHealth(t, h, false, map[event.Reason]uint64{event.ReasonParseError: 1})

	// A different unparsable version counts again.
	w.write([]byte(`not json`))
	if err := s.Poll(ctx); err == nil {
		t.Error("Poll of an unparsable version succeeded")
	}
	checkHealth(t, h, false, map[event.Reason]uint64{event.ReasonParseError: 2})

	// Good again.
	w.write(readSample(t, "registries", "HeadySystems__Heady-AI.json"))
	t4 := clk.advance(time.Minute)
	if err := s.Poll(ctx); err != nil {
		t.Fatal(err)
	}
	checkLatest(t, s, 100, false, t4)
	checkHealth(t, h, true, map[event.Reason]uint64{event.ReasonParseError: 2, event.ReasonReadError: 1})

	// The file goes away, then comes back unchanged.
	if err := os.Rename(w.path, w.path+".bak"); err != nil {
		t.Fatal(err)
	}
	clk.advance(time.Minute)
	if err := s.Poll(ctx); err == nil {
		t.Error("Poll of a missing file succeeded")
	}
	checkLatest(t, s, 100, true, t4)
	checkHealth(t, h, false, map[event.Reason]uint64{event.ReasonReadError: 2})
	if err := os.Rename(w.path+".bak", w.path); err != nil {
		t.Fatal(err)
	}
	t5 := clk.advance(time.Minute)
	if err := s.Poll(ctx); err != nil {
		t.Fatal(err)
	}
	checkLatest(t, s, 100, false, t5)
	checkHealth(t, h, true, nil)
}

func TestSourceCountsRecoveriesOncePerVersion(t *testing.T) {
	ctx := context.Background()
	clk := newClock()
	w := &fileWriter{t: t, path: filepath.Join(t.TempDir(), "r.json"), mtime: clk.now()}
	h := source.NewHealth("registry")
	s, err := New(Config{Path: w.path}, Options{Health: h, Now: clk.now})
	if err != nil {
		t.Fatal(err)
	}

	// Merge-conflict markers (partial) and 26 repeated component ids.
	w.write(readSample(t, "registries", "HeadySystems__Heady.HEAD.json"))
	for range 3 {
		if err := s.Poll(ctx); err != nil {
			t.Fatal(err)
		}
	}
	w.touch() // same bytes, new mtime: the hash says unchanged
	if err := s.Poll(ctx); err != nil {
		t.Fatal(err)
	}
	checkHealth(t, h, true, map[event.Reason]uint64{event.ReasonPartialParse: 1, event.ReasonDuplicate: 26})
	if snap, _, _ := s.Latest(); snap.Version != "4.0.0" || snap.ComponentsRepeated != 26 {
		t.Errorf("snapshot version %q, repeated %d", snap.Version, snap.ComponentsRepeated)
	}

	// A new partly readable version counts once more.
	w.write(readSample(t, "registries", "HeadyConnection__heady-clone.json"))
	if err := s.Poll(ctx); err != nil {
		t.Fatal(err)
	}
	if err := s.Poll(ctx); err != nil {
		t.Fatal(err)
	}
	checkHealth(t, h, true, map[event.Reason]uint64{event.ReasonPartialParse: 2, event.ReasonDuplicate: 26})
}

func TestSourceURL(t *testing.T) {
	var (
		mu       sync.Mutex
		body     = readSample(t, "registries", "HeadyMe__Heady-8f71ffc8.json")
		etag     = `"v1"`
		status   = http.StatusOK
		requests int
		notMod   int
	)
	srv := httptest.NewServer(http.HandlerFunc(func(rw http.ResponseWriter, r *http.Request) {
		mu.Lock()
		defer mu.Unlock()
		requests++
		if status != http.StatusOK {
			rw.WriteHeader(status)
			return
		}
		if etag != "" && r.Header.Get("If-None-Match") == etag {
			notMod++
			rw.WriteHeader(http.StatusNotModified)
			return
		}
		if etag != "" {
			rw.Header().Set("ETag", etag)
		}
		_, _ = rw.Write(body) // the client's side checks what arrives
	}))
	defer srv.Close()
	set := func(b []byte, e string, st int) {
		mu.Lock()
		body, etag, status = b, e, st
		mu.Unlock()
	}

	ctx := context.Background()
	clk := newClock()
	h := source.NewHealth("registry")
	s, err := New(Config{URL: srv.URL + "/heady-registry.json", Client: srv.Client()}, Options{Health: h, Now: clk.now})
	if err != nil {
		t.Fatal(err)
	}

	t1 := clk.advance(time.Minute)
	if err := s.Poll(ctx); err != nil {
		t.Fatal(err)
	}
	checkLatest(t, s, 54, false, t1)

	// Unchanged: answered 304 to If-None-Match.
	t2 := clk.advance(time.Minute)
	if err := s.Poll(ctx); err != nil {
		t.Fatal(err)
	}
	checkLatest(t, s, 54, false, t2)
	if notMod != 1 {
		t.Errorf("%d 304 answers, want 1", notMod)
	}

	// Server error: stale, fetch error.
	set(body, etag, http.StatusInternalServerError)
	clk.advance(time.Minute)
	if err := s.Poll(ctx); err == nil {
		t.Error("Poll succeeded on HTTP 500")
	}
	checkLatest(t, s, 54, true, t2)
	checkHealth(t, h, false, map[event.Reason]uint64{event.ReasonFetchError: 1})

	// A new version without an ETag, then an unparsable one.
	set(readSample(t, "registries", "HeadyMe__Heady-8f71ffc8.HEAD.json"), "", http.StatusOK)
	t3 := clk.advance(time.Minute)
	if err := s.Poll(ctx); err != nil {
		t.Fatal(err)
	}
	checkLatest(t, s, 7, false, t3)

	set([]byte("<html>502 Bad Gateway</html>"), "", http.StatusOK)
	clk.advance(time.Minute)
	if err := s.Poll(ctx); err == nil {
		t.Error("Poll succeeded on an HTML body")
	}
	checkLatest(t, s, 7, true, t3)
	checkHealth(t, h, false, map[event.Reason]uint64{event.ReasonParseError: 1, event.ReasonFetchError: 1})
	if requests != 5 {
		t.Errorf("%d requests, want 5", requests)
	}
}

func TestSourceRestoreAndRun(t *testing.T) {
	clk := newClock()
	dir := t.TempDir()
	path := filepath.Join(dir, "r.json")
	h := source.NewHealth("registry")
	s, err := New(Config{Path: path}, Options{Health: h, Now: clk.now})
	if err != nil {
		t.Fatal(err)
	}
	saved := time.Date(2026, 2, 1, 0, 0, 0, 0, time.UTC)
	s.Restore(Snapshot{Score: 42, HasScore: true}, saved)
	checkLatest(t, s, 42, true, saved)

	// Run polls once at once; with ctx already done it then returns.
	if err := os.WriteFile(path, []byte(`{"overallSystemScore": 0.5}`), 0o644); err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	if err := s.Run(ctx); !errors.Is(err, context.Canceled) {
		t.Errorf("Run returned %v, want context.Canceled", err)
	}
	checkLatest(t, s, 50, false, clk.now())

	// A restore after a poll does not overwrite fresh data.
	s.Restore(Snapshot{Score: 1}, saved)
	checkLatest(t, s, 50, false, clk.now())
}

func TestNewValidates(t *testing.T) {
	h := source.NewHealth("registry")
	for name, cfg := range map[string]Config{
		"nothing":         {},
		"both":            {Path: "a", URL: "http://b", Client: http.DefaultClient},
		"url, bad client": {URL: "http://b", HTTPClientConfig: commoncfg.HTTPClientConfig{TLSConfig: commoncfg.TLSConfig{CAFile: "/nonexistent/ca.pem"}}},
		"negative":        {Path: "a", Interval: -time.Second},
	} {
		if _, err := New(cfg, Options{Health: h}); err == nil {
			t.Errorf("%s: New accepted %+v", name, cfg)
		}
	}
	if _, err := New(Config{Path: "a"}, Options{}); err == nil {
		t.Error("New accepted a nil health record")
	}
	s, err := New(Config{Path: "a"}, Options{Health: h})
	if err != nil || s.cfg.Interval != DefaultInterval || s.cfg.Timeout != DefaultTimeout {
		t.Errorf("defaults: %+v, %v", s, err)
	}
}
