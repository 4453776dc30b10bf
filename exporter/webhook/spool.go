package webhook

import (
	"bytes"
	"crypto/rand"
	"crypto/sha256"
	"encoding/binary"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/heady/heady-metrics/exporter/config"
	"github.com/heady/heady-metrics/exporter/source/stream"
	"github.com/heady/heady-metrics/exporter/source/tail"
)

// SpoolFile is the name of the active spool file; rotated files are named
// SpoolFile + "." + a number.
const SpoolFile = config.WebhookSourceName + ".jsonl"

// SpoolDir is the directory of the spool files under a state directory.
func SpoolDir(stateDir string) string { return filepath.Join(stateDir, "webhook") }

// Input is the CI input that follows the spool of c's webhook (canonical
// lines, the active and rotated spool files), or nil when the webhook is
// not enabled.
func Input(c *config.Config) *stream.Config {
	if !c.Web.WebhookEnabled() {
		return nil
	}
	return &stream.Config{
		Name:         config.WebhookSourceName,
		Paths:        []string{filepath.Join(SpoolDir(c.StateDir), SpoolFile+"*")},
		Format:       stream.DefaultFormat,
		MaxLineBytes: stream.DefaultMaxLineBytes,
	}
}

// ErrClosed is returned by Append after Close.
var ErrClosed = errors.New("webhook spool closed")

// Spool appends accepted events, one canonical JSON line each, to the
// active spool file and syncs it before Append returns. Past MaxBytes the
// file is renamed to a rotated name and a new one started (the input's
// glob matches both, and the follower recognises a renamed file by its
// fingerprint).
//
// Every spool file begins with a line of spaces and tabs encoding a random
// nonce: the decoder ignores blank lines, and the nonce gives each file its
// own fingerprint even when the same body is posted twice.
type Spool struct {
	dir      string
	maxBytes int64

	mu   sync.Mutex
	f    *os.File
	size int64
}

// OpenSpool opens (creating it and dir if needed) the active spool file of
// dir. A last line left without its newline by a crash mid-write (never
// acknowledged) is closed with one, so it cannot swallow the next event;
// the follower then skips and counts it as truncated JSON.
func OpenSpool(dir string, maxBytes int64) (*Spool, error) {
	if err := os.MkdirAll(dir, 0o700); err != nil {
		return nil, fmt.Errorf("webhook spool: %w", err)
	}
	s := &Spool{dir: dir, maxBytes: maxBytes}
	if err := s.open(); err != nil {
		return nil, err
	}
	return s, nil
}

func (s *Spool) path() string { return filepath.Join(s.dir, SpoolFile) }

func (s *Spool) open() error {
	f, err := os.OpenFile(s.path(), os.O_CREATE|os.O_RDWR|os.O_APPEND, 0o600)
	if err != nil {
		return fmt.Errorf("webhook spool: %w", err)
	}
	st, err := f.Stat()
	if err != nil {
		_ = f.Close() // the Stat error is the one to report
		return fmt.Errorf("webhook spool: %w", err)
	}
	s.f, s.size = f, st.Size()
	if s.size > 0 {
		last := make([]byte, 1)
		if _, err := f.ReadAt(last, s.size-1); err != nil {
			_ = s.f.Close() // the error above is the one to report
			s.f = nil
			return fmt.Errorf("webhook spool: %s: %w", s.path(), err)
		}
		if last[0] != '\n' {
			if err := s.write([]byte("\n")); err != nil {
				_ = s.f.Close() // the error above is the one to report
				s.f = nil
				return err
			}
		}
		return nil
	}
	if err := s.write(nonceLine()); err != nil {
		_ = s.f.Close() // the error above is the one to report
		s.f = nil
		return err
	}
	return syncDir(s.dir)
}

// nonceLine is 64 spaces and tabs (the bits of a random number) and '\n'.
func nonceLine() []byte {
	var b [8]byte
	_, _ = rand.Read(b[:])
	n := binary.LittleEndian.Uint64(b[:])
	line := make([]byte, 65)
	for i := range 64 {
		line[i] = " \t"[n>>i&1]
	}
	line[64] = '\n'
	return line
}

// write appends b and syncs; on failure the file is cut back to its size
// before, so a torn line never prefixes the next one.
func (s *Spool) write(b []byte) error {
	if _, err := s.f.Write(b); err != nil {
		_ = s.f.Truncate(s.size)
		return fmt.Errorf("webhook spool: writing %s: %w", s.path(), err)
	}
	if err := s.f.Sync(); err != nil {
		_ = s.f.Truncate(s.size)
		return fmt.Errorf("webhook spool: syncing %s: %w", s.path(), err)
	}
	s.size += int64(len(b))
	return nil
}

// Append writes lines (each a complete canonical event without its
// newline) as one write, and syncs the file before it returns. On error
// nothing of lines is left in the file, as far as the file system allows:
// the caller must not acknowledge them.
func (s *Spool) Append(lines [][]byte) error {
	var buf bytes.Buffer
	for _, l := range lines {
		buf.Write(l)
		buf.WriteByte('\n')
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.f == nil {
		return ErrClosed
	}
	if s.size > 0 && s.size+int64(buf.Len()) > s.maxBytes {
		if err := s.rotate(); err != nil {
			return err
		}
	}
	return s.write(buf.Bytes())
}

// rotate renames the active file to a rotated name and starts a new one.
func (s *Spool) rotate() error {
	name := filepath.Join(s.dir, SpoolFile+"."+strconv.FormatInt(time.Now().UnixNano(), 10))
	if _, err := os.Lstat(name); err == nil {
		return fmt.Errorf("webhook spool: rotating: %s exists", name)
	}
	if err := os.Rename(s.path(), name); err != nil {
		return fmt.Errorf("webhook spool: rotating: %w", err)
	}
	old := s.f
	s.f = nil
	_ = old.Close() // every append to it was synced
	return s.open()
}

// Close closes the active file; later Appends fail with ErrClosed.
func (s *Spool) Close() error {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.f == nil {
		return nil
	}
	err := s.f.Close()
	s.f = nil
	return err
}

func syncDir(dir string) error {
	d, err := os.Open(dir)
	if err != nil {
		return fmt.Errorf("webhook spool: %w", err)
	}
	defer d.Close() //nolint:errcheck // read only: closing loses nothing
	if err := d.Sync(); err != nil {
		return fmt.Errorf("webhook spool: syncing %s: %w", dir, err)
	}
	return nil
}

// Prune removes the rotated spool files of dir that positions (the spool
// input's positions as the engine saved them with its state) have read to
// their end: a restart from that checkpoint never needs them again. The
// active file is never removed. It returns how many files it removed.
//
// Call it only with positions that are saved: a rotated file whose lines
// are applied but not yet checkpointed is still needed after a crash.
func Prune(dir string, positions []byte) (int, error) {
	if len(positions) == 0 {
		return 0, nil
	}
	var pos []tail.Position
	if err := json.Unmarshal(positions, &pos); err != nil {
		return 0, fmt.Errorf("webhook spool: saved positions: %w", err)
	}
	entries, err := os.ReadDir(dir)
	if err != nil {
		if errors.Is(err, os.ErrNotExist) {
			return 0, nil
		}
		return 0, fmt.Errorf("webhook spool: %w", err)
	}
	removed := 0
	var errs []error
	for _, e := range entries {
		if !e.Type().IsRegular() || !strings.HasPrefix(e.Name(), SpoolFile+".") {
			continue
		}
		p := filepath.Join(dir, e.Name())
		done, err := readToEnd(p, pos)
		if err != nil {
			errs = append(errs, err)
			continue
		}
		if !done {
			continue
		}
		if err := os.Remove(p); err != nil {
			errs = append(errs, err)
			continue
		}
		removed++
	}
	return removed, errors.Join(errs...)
}

// readToEnd reports whether one of pos covers the whole file at path.
func readToEnd(path string, pos []tail.Position) (bool, error) {
	f, err := os.Open(path)
	if err != nil {
		return false, err
	}
	defer f.Close() //nolint:errcheck // read only: closing loses nothing
	st, err := f.Stat()
	if err != nil {
		return false, err
	}
	head := make([]byte, min(st.Size(), tail.FingerprintBytes))
	if _, err := io.ReadFull(f, head); err != nil {
		return false, fmt.Errorf("webhook spool: reading %s: %w", path, err)
	}
	for _, p := range pos {
		if p.FPLen != len(head) || p.Offset < st.Size() {
			continue
		}
		if sum := sha256.Sum256(head); hex.EncodeToString(sum[:]) == p.Fingerprint {
			return true, nil
		}
	}
	return false, nil
}
