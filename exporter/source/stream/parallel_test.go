package stream

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"reflect"
	"runtime"
	"strings"
	"testing"
	"time"

	"github.com/heady/heady-metrics/exporter/event"
	"github.com/heady/heady-metrics/exporter/source"
)

// readAll reads the file at p to its end with one core or four and
// returns every batch's events (strings included), skip counts and lines.
func readAll(t *testing.T, p, format string, procs int) ([]event.Event, map[event.Reason]uint64, int) {
	t.Helper()
	defer runtime.GOMAXPROCS(runtime.GOMAXPROCS(procs))
	formats := NewFormats(map[string]DecoderFactory{"twice": func(*Config) (LineDecoder, error) { return twice{}, nil }})
	in, err := New(Config{Name: "audit", Paths: []string{p}, Format: format}, Options{Formats: formats, PollInterval: time.Second, Health: source.NewHealth("audit")})
	if err != nil {
		t.Fatal(err)
	}
	defer in.Close()
	var evs []event.Event
	skipped := map[event.Reason]uint64{}
	lines := 0
	if err := in.Drain(context.Background(), func(b *Batch) error {
		evs = append(evs, b.Events...)
		for r, n := range b.Skipped {
			skipped[r] += n
		}
		lines += b.Lines
		return nil
	}); err != nil {
		t.Fatal(err)
	}
	return evs, skipped, lines
}

// A large batch decoded in parallel gives the events of one decoder, in
// line order, with the same skipped lines, escaped strings kept (events
// are compared printed: their absent numbers are NaN).
func TestParallelDecodeKeepsOrder(t *testing.T) {
	var b strings.Builder
	for i := range 10_000 {
		switch i % 97 {
		case 3:
			b.WriteString(`{"ts":"2026-11-20T10:00:00Z","type":"tool_call"` + "\n") // truncated
		case 5:
			b.WriteString("\n")
		default:
			fmt.Fprintf(&b, `{"ts":"2026-11-20T10:%02d:%02dZ","type":"tool_call","id":"e%d","user":"u\u00e9%d","tool":"t%d","status":"success"}`+"\n", i/60%60, i%60, i, i%300, i%7)
		}
	}
	p := filepath.Join(t.TempDir(), "audit.jsonl")
	if err := os.WriteFile(p, []byte(b.String()), 0o644); err != nil {
		t.Fatal(err)
	}
	// "twice" yields two events a line (as a mapping that fans out may):
	// the workers outgrow their regions of the batch.
	for _, format := range []string{"canonical", "twice"} {
		one, skipOne, linesOne := readAll(t, p, format, 1)
		four, skipFour, linesFour := readAll(t, p, format, 4)
		if len(one) < 9000 || skipOne[event.ReasonTruncated] == 0 {
			t.Fatalf("%s: %d events, skipped %v: the input is not what the test means", format, len(one), skipOne)
		}
		if fmt.Sprintf("%#v", one) != fmt.Sprintf("%#v", four) || !reflect.DeepEqual(skipOne, skipFour) || linesOne != linesFour {
			t.Fatalf("%s, 4 cores: %d events, skipped %v, %d lines; 1 core: %d, %v, %d", format, len(four), skipFour, linesFour, len(one), skipOne, linesOne)
		}
		for i, e := range four {
			if !strings.HasPrefix(e.User, "ué") {
				t.Fatalf("%s: event %d: user %q", format, i, e.User)
			}
		}
	}
}

// twice decodes the canonical shape and emits each event twice, the
// second with the time a millisecond later.
type twice struct{}

func (twice) DecodeLine(line []byte, emit func(*event.Event)) event.Reason {
	c := &Canonical{}
	return c.DecodeLine(line, func(e *event.Event) {
		emit(e)
		e.Time++
		emit(e)
	})
}
