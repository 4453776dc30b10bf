package registry

import (
	"bytes"
	"context"
	"crypto/sha256"
	"errors"
	"fmt"
	"io"
	"net/http"
	"os"
	"sync"
	"time"

	commoncfg "github.com/prometheus/common/config"

	"github.com/heady/heady-metrics/exporter/event"
	"github.com/heady/heady-metrics/exporter/source"
)

// Defaults of Config.
const (
	DefaultInterval = 30 * time.Second
	DefaultTimeout  = 10 * time.Second
)

// Config says where the registry is and how often to read it. Exactly one of
// Path and URL is set.
type Config struct {
	Path string
	URL  string
	// Interval between polls in Run; DefaultInterval when zero.
	Interval time.Duration
	// Timeout bounds one HTTP fetch; DefaultTimeout when zero.
	Timeout time.Duration
	// HTTPClientConfig configures the client that fetches URL (TLS,
	// authentication, proxy).
	HTTPClientConfig commoncfg.HTTPClientConfig
	// Client fetches URL instead of one built from HTTPClientConfig (nil:
	// built).
	Client *http.Client
}

// Options are what the exporter gives a source besides its configuration.
type Options struct {
	// Health receives one Success or Failure per poll; required.
	Health *source.Health
	// Now is the clock; time.Now when nil.
	Now func() time.Time
}

// Source polls one registry document. Poll and Run write it; Latest may be
// called concurrently with them.
type Source struct {
	cfg    Config
	health *source.Health
	now    func() time.Time

	pollMu sync.Mutex // serialises Poll; guards last and etag
	last   version
	etag   string // of last, for If-None-Match

	mu      sync.Mutex // guards the fields below it
	snap    Snapshot
	has     bool
	stale   bool
	fetched time.Time
}

// version identifies the document version the last completed read found,
// and whether it parsed.
type version struct {
	valid   bool // a version was read
	ok      bool // it parsed
	size    int64
	modTime time.Time
	sum     [sha256.Size]byte
}

// New returns a Source reading cfg's document and reporting into
// opts.Health.
func New(cfg Config, opts Options) (*Source, error) {
	health := opts.Health
	switch {
	case cfg.Path == "" && cfg.URL == "":
		return nil, errors.New("registry: neither path nor url is set")
	case cfg.Path != "" && cfg.URL != "":
		return nil, errors.New("registry: both path and url are set; choose one")
	case health == nil:
		return nil, errors.New("registry: no health record")
	case cfg.Interval < 0 || cfg.Timeout < 0:
		return nil, errors.New("registry: negative interval or timeout")
	}
	if cfg.URL != "" && cfg.Client == nil {
		cl, err := commoncfg.NewClientFromConfig(cfg.HTTPClientConfig, "registry")
		if err != nil {
			return nil, fmt.Errorf("source registry: %w", err)
		}
		cfg.Client = cl
	}
	if cfg.Interval == 0 {
		cfg.Interval = DefaultInterval
	}
	if cfg.Timeout == 0 {
		cfg.Timeout = DefaultTimeout
	}
	now := opts.Now
	if now == nil {
		now = time.Now
	}
	return &Source{cfg: cfg, health: health, now: now}, nil
}

// where names the document in errors.
func (s *Source) where() string {
	if s.cfg.Path != "" {
		return s.cfg.Path
	}
	return s.cfg.URL
}

// Latest returns the last good snapshot, whether it is stale (the last poll
// failed: the document could not be read, fetched or parsed, or the snapshot
// was restored and not yet confirmed) and when a poll last found it current.
// A zero fetched time means there is no snapshot yet. The snapshot's slices
// are shared: treat them as read-only.
func (s *Source) Latest() (snap Snapshot, stale bool, fetched time.Time) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.snap, s.stale, s.fetched
}

// Restore installs a snapshot saved in a checkpoint, marked stale until a
// poll confirms or replaces it. It does nothing once a poll has stored one.
func (s *Source) Restore(snap Snapshot, fetched time.Time) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.has {
		return
	}
	s.snap, s.fetched, s.stale, s.has = snap, fetched, true, true
}

// Run polls now and then every Interval until ctx is done. Errors are
// recorded in the health record, not returned; Run returns ctx.Err().
func (s *Source) Run(ctx context.Context) error {
	t := time.NewTicker(s.cfg.Interval)
	defer t.Stop()
	for {
		_ = s.Poll(ctx)
		select {
		case <-ctx.Done():
			return ctx.Err()
		case <-t.C:
		}
	}
}

// Poll reads the document once. A document unchanged since the last read
// (same size and modification time, a 304 to If-None-Match, or the same
// content hash) is not parsed again and counts nothing again. A new version
// that parses replaces the snapshot; its partial recoveries are counted once
// (event.ReasonPartialParse, 1) and its repeated ids once each
// (event.ReasonDuplicate). A version that cannot be read, fetched or parsed
// leaves the last good snapshot in place, marked stale, and records a
// failure (an unparsable version once, however often it is polled); the
// returned error says why.
func (s *Source) Poll(ctx context.Context) error {
	s.pollMu.Lock()
	defer s.pollMu.Unlock()

	data, stat, unchanged, reason, err := s.read(ctx)
	if err != nil {
		s.fail(reason, err)
		return err
	}
	if !unchanged {
		sum := sha256.Sum256(data)
		unchanged = s.last.valid && sum == s.last.sum
		s.last.size, s.last.modTime, s.last.sum = stat.size, stat.modTime, sum
	}
	if unchanged {
		if !s.last.ok {
			s.markStale()
			return fmt.Errorf("registry %s: the current version still does not parse", s.where())
		}
		s.succeed()
		return nil
	}

	snap, ws := Parse(data)
	s.health.Read(1)
	s.last.valid, s.last.ok = true, !Unusable(ws)
	if !s.last.ok {
		err := fmt.Errorf("registry %s: %s", s.where(), firstParseError(ws))
		s.fail(event.ReasonParseError, err)
		return err
	}
	for _, w := range ws {
		if w.Reason == event.ReasonPartialParse {
			s.health.Count(event.ReasonPartialParse, 1)
			break
		}
	}
	s.health.Count(event.ReasonDuplicate, uint64(snap.ComponentsRepeated+snap.ServicesRepeated))
	s.mu.Lock()
	s.snap, s.has = snap, true
	s.mu.Unlock()
	s.succeed()
	return nil
}

// succeed records a poll that found a version that parses.
func (s *Source) succeed() {
	now := s.now()
	s.mu.Lock()
	s.stale, s.fetched = false, now
	s.mu.Unlock()
	s.health.Success(now)
}

func (s *Source) markStale() {
	s.mu.Lock()
	s.stale = s.has
	s.mu.Unlock()
}

func (s *Source) fail(reason event.Reason, err error) {
	s.markStale()
	s.health.Failure(reason, err)
}

// fileStat is the identity a file read had.
type fileStat struct {
	size    int64
	modTime time.Time
}

// read returns the document's bytes, or unchanged when the cheap checks
// (file size and mtime, HTTP ETag) show it has not changed since the last
// successful read.
func (s *Source) read(ctx context.Context) (data []byte, stat fileStat, unchanged bool, reason event.Reason, err error) {
	if s.cfg.Path != "" {
		return s.readFile()
	}
	data, unchanged, reason, err = s.fetch(ctx)
	return data, fileStat{}, unchanged, reason, err
}

func (s *Source) readFile() ([]byte, fileStat, bool, event.Reason, error) {
	f, err := os.Open(s.cfg.Path)
	if err != nil {
		return nil, fileStat{}, false, event.ReasonReadError, fmt.Errorf("registry: %w", err)
	}
	defer f.Close() //nolint:errcheck // read only: closing loses nothing
	fi, err := f.Stat()
	if err != nil {
		return nil, fileStat{}, false, event.ReasonReadError, fmt.Errorf("registry: %w", err)
	}
	stat := fileStat{size: fi.Size(), modTime: fi.ModTime()}
	if s.last.valid && stat.size == s.last.size && stat.modTime.Equal(s.last.modTime) {
		return nil, stat, true, "", nil
	}
	data, err := readBounded(f)
	if err != nil {
		return nil, stat, false, event.ReasonReadError, fmt.Errorf("registry %s: %w", s.cfg.Path, err)
	}
	return data, stat, false, "", nil
}

func (s *Source) fetch(ctx context.Context) ([]byte, bool, event.Reason, error) {
	ctx, cancel := context.WithTimeout(ctx, s.cfg.Timeout)
	defer cancel()
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, s.cfg.URL, nil)
	if err != nil {
		return nil, false, event.ReasonFetchError, fmt.Errorf("registry: %w", err)
	}
	req.Header.Set("Accept", "application/json")
	if s.etag != "" && s.last.valid {
		req.Header.Set("If-None-Match", s.etag)
	}
	resp, err := s.cfg.Client.Do(req)
	if err != nil {
		return nil, false, event.ReasonFetchError, fmt.Errorf("registry: %w", err)
	}
	defer resp.Body.Close() //nolint:errcheck // read only: closing loses nothing
	switch {
	case resp.StatusCode == http.StatusNotModified && s.etag != "":
		return nil, true, "", nil
	case resp.StatusCode < 200 || resp.StatusCode > 299:
		return nil, false, event.ReasonFetchError, fmt.Errorf("registry %s: HTTP status %s", s.cfg.URL, resp.Status)
	}
	data, err := readBounded(resp.Body)
	if err != nil {
		return nil, false, event.ReasonFetchError, fmt.Errorf("registry %s: %w", s.cfg.URL, err)
	}
	s.etag = resp.Header.Get("ETag")
	return data, false, "", nil
}

// readBounded reads r whole, up to one byte over MaxDocumentSize so that
// Parse can refuse an oversized document.
func readBounded(r io.Reader) ([]byte, error) {
	var buf bytes.Buffer
	_, err := buf.ReadFrom(io.LimitReader(r, MaxDocumentSize+1))
	return buf.Bytes(), err
}

func firstParseError(ws []Warning) string {
	for _, w := range ws {
		if w.Reason == event.ReasonParseError {
			return w.Detail
		}
	}
	return "unparsable"
}
