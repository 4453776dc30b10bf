package tail

import (
	"bytes"
	"compress/gzip"
	"context"
	"errors"
	"os"
	"path/filepath"
	"slices"
	"testing"
	"time"
)

// harness plays the engine: it applies every batch and saves its
// positions together with the lines, as one atomic checkpoint.
type harness struct {
	t     *testing.T
	dir   string
	cfg   Config
	clock time.Time
	f     *Follower

	lines   []string  // applied lines, in delivery order
	paths   []string  // path of each applied line
	long    []LineRef // applied too-long reports
	saved   []Position
	batches int
	errs    []*FileError
}

func newHarness(t *testing.T, cfg Config, patterns ...string) *harness {
	t.Helper()
	h := &harness{t: t, dir: t.TempDir(), cfg: cfg}
	// Files written by the test get real mtimes after this instant, so
	// with this clock no file is ever idle unless a test says so.
	h.clock = time.Now().Add(-time.Hour)
	for _, p := range patterns {
		h.cfg.Paths = append(h.cfg.Paths, filepath.Join(h.dir, p))
	}
	h.cfg.OnError = func(e *FileError) { h.errs = append(h.errs, e) }
	h.start()
	t.Cleanup(func() { h.f.Close() })
	return h
}

func (h *harness) now() time.Time { return h.clock }

func (h *harness) start() {
	h.t.Helper()
	f, err := New(h.cfg, h.saved, h.now)
	if err != nil {
		h.t.Fatalf("New: %v", err)
	}
	h.f = f
}

// restart drops the follower as a kill -9 would and starts a new one from
// the last saved positions.
func (h *harness) restart() {
	h.t.Helper()
	h.f.Close()
	h.start()
}

func (h *harness) apply(b Batch) {
	for _, l := range b.Lines {
		h.lines = append(h.lines, string(l.Text))
		h.paths = append(h.paths, b.Path)
	}
	h.long = append(h.long, b.TooLong...)
	h.saved = b.Positions
	h.batches++
	// The lines are copied: the batch's memory goes back to the follower
	// for its next batches, overwritten first so that a batch still
	// pointing into it after Release would read garbage.
	for _, l := range b.Lines {
		for i := range l.Text {
			l.Text[i] = '#'
		}
	}
	h.f.Release(b)
}

// poll does one Poll and returns the lines it delivered.
func (h *harness) poll() []string {
	h.t.Helper()
	n := len(h.lines)
	if err := h.f.Poll(context.Background(), func(b Batch) error { h.apply(b); return nil }); err != nil {
		h.t.Fatalf("Poll: %v", err)
	}
	return slices.Clone(h.lines[n:])
}

// idlePoll polls with the clock far after every file's mtime.
func (h *harness) idlePoll() []string {
	h.t.Helper()
	saved := h.clock
	h.clock = time.Now().Add(24 * time.Hour)
	defer func() { h.clock = saved }()
	return h.poll()
}

func (h *harness) path(name string) string { return filepath.Join(h.dir, name) }

func (h *harness) write(name, s string) {
	h.t.Helper()
	fh, err := os.OpenFile(h.path(name), os.O_WRONLY|os.O_APPEND|os.O_CREATE, 0o644)
	if err != nil {
		h.t.Fatal(err)
	}
	if _, err := fh.WriteString(s); err != nil {
		h.t.Fatal(err)
	}
	if err := fh.Close(); err != nil {
		h.t.Fatal(err)
	}
}

func (h *harness) rename(from, to string) {
	h.t.Helper()
	if err := os.Rename(h.path(from), h.path(to)); err != nil {
		h.t.Fatal(err)
	}
}

func (h *harness) remove(name string) {
	h.t.Helper()
	if err := os.Remove(h.path(name)); err != nil {
		h.t.Fatal(err)
	}
}

// copyTruncate does what logrotate's copytruncate does.
func (h *harness) copyTruncate(name, to string) {
	h.t.Helper()
	data, err := os.ReadFile(h.path(name))
	if err != nil {
		h.t.Fatal(err)
	}
	if err := os.WriteFile(h.path(to), data, 0o644); err != nil {
		h.t.Fatal(err)
	}
	if err := os.Truncate(h.path(name), 0); err != nil {
		h.t.Fatal(err)
	}
}

// gzipFile compresses name to name.gz, with name's mtime, and removes
// name, as gzip does.
func (h *harness) gzipFile(name string) {
	h.t.Helper()
	data, err := os.ReadFile(h.path(name))
	if err != nil {
		h.t.Fatal(err)
	}
	fi, err := os.Stat(h.path(name))
	if err != nil {
		h.t.Fatal(err)
	}
	if err := os.WriteFile(h.path(name+".gz"), gz(data), 0o644); err != nil {
		h.t.Fatal(err)
	}
	if err := os.Chtimes(h.path(name+".gz"), fi.ModTime(), fi.ModTime()); err != nil {
		h.t.Fatal(err)
	}
	h.remove(name)
}

// setMtime sets a file's mtime to the harness clock plus d.
func (h *harness) setMtime(name string, d time.Duration) {
	h.t.Helper()
	t := h.clock.Add(d)
	if err := os.Chtimes(h.path(name), t, t); err != nil {
		h.t.Fatal(err)
	}
}

func gz(data []byte) []byte {
	var buf bytes.Buffer
	zw := gzip.NewWriter(&buf)
	_, _ = zw.Write(data) // into a bytes.Buffer: cannot fail
	_ = zw.Close()
	return buf.Bytes()
}

func wantLines(t *testing.T, what string, got []string, want ...string) {
	t.Helper()
	if len(got) == 0 && len(want) == 0 {
		return
	}
	if !slices.Equal(got, want) {
		t.Fatalf("%s: got %q, want %q", what, got, want)
	}
}

var errStop = errors.New("stop")
