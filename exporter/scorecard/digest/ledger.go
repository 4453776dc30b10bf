package digest

import (
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"time"

	"github.com/heady/heady-metrics/exporter/scorecard"
)

// LedgerFile is the ledger's file name in its directory.
const LedgerFile = "digest-ledger.json"

// Entry records one delivered week.
type Entry struct {
	Week    string    `json:"week"` // "2026-W48"
	Subject string    `json:"subject"`
	At      time.Time `json:"delivered_at"`
	To      []string  `json:"to,omitempty"`
	Out     string    `json:"out,omitempty"`
}

// Ledger is the record of delivered weeks: a JSON array in Dir, replaced
// atomically on each record so a crash leaves the old or the new list.
type Ledger struct{ Dir string }

func (l Ledger) path() string { return filepath.Join(l.Dir, LedgerFile) }

// Entries lists the recorded deliveries, oldest first.
func (l Ledger) Entries() ([]Entry, error) {
	b, err := os.ReadFile(l.path())
	if errors.Is(err, fs.ErrNotExist) {
		return nil, nil
	}
	if err != nil {
		return nil, fmt.Errorf("digest ledger: %w", err)
	}
	var es []Entry
	if err := json.Unmarshal(b, &es); err != nil {
		return nil, fmt.Errorf("digest ledger %s: %w (move it aside to start a new one)", l.path(), err)
	}
	return es, nil
}

// Find returns the last delivery of week w.
func (l Ledger) Find(w scorecard.Week) (Entry, bool, error) {
	es, err := l.Entries()
	if err != nil {
		return Entry{}, false, err
	}
	for i := len(es) - 1; i >= 0; i-- {
		if es[i].Week == w.String() {
			return es[i], true, nil
		}
	}
	return Entry{}, false, nil
}

// Record appends e. The ledger keeps the newest 520 entries (ten years of
// weekly digests, forced re-sends included).
func (l Ledger) Record(e Entry) error {
	es, err := l.Entries()
	if err != nil {
		return err
	}
	es = append(es, e)
	if len(es) > 520 {
		es = es[len(es)-520:]
	}
	b, err := json.MarshalIndent(es, "", "  ")
	if err != nil {
		return fmt.Errorf("digest ledger: %w", err)
	}
	if err := os.MkdirAll(l.Dir, 0o755); err != nil {
		return fmt.Errorf("digest ledger: %w", err)
	}
	return writeAtomic(l.path(), append(b, '\n'))
}
