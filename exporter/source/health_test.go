package source_test

import (
	"bytes"
	"errors"
	"log/slog"
	"strings"
	"testing"
	"time"

	"github.com/heady/heady-metrics/exporter/event"
	"github.com/heady/heady-metrics/exporter/source"
)

func logged(t *testing.T) (*source.Health, *bytes.Buffer) {
	t.Helper()
	var buf bytes.Buffer
	h := source.NewHealth("registry")
	h.SetLogger(slog.New(slog.NewTextHandler(&buf, &slog.HandlerOptions{Level: slog.LevelDebug})))
	return h, &buf
}

// lines returns the log lines written since the last call, and forgets
// them.
func lines(buf *bytes.Buffer) []string {
	s := strings.TrimSpace(buf.String())
	buf.Reset()
	if s == "" {
		return nil
	}
	return strings.Split(s, "\n")
}

func expectLog(t *testing.T, buf *bytes.Buffer, step string, want ...string) {
	t.Helper()
	got := lines(buf)
	if len(got) != len(want) {
		t.Fatalf("%s: %d log lines, want %d:\n%s", step, len(got), len(want), strings.Join(got, "\n"))
	}
	for i, w := range want {
		for _, part := range strings.Split(w, "|") {
			if !strings.Contains(got[i], part) {
				t.Errorf("%s: line %q lacks %q", step, got[i], part)
			}
		}
	}
}

// Every change of state is logged once, at its level, with its reason;
// repeating the same state logs nothing.
func TestHealthLogsEachChangeOnce(t *testing.T) {
	h, buf := logged(t)
	at := time.Date(2026, 11, 20, 12, 0, 0, 0, time.UTC)
	boom := errors.New("HTTP 500")

	h.Failure(event.ReasonFetchError, boom)
	expectLog(t, buf, "first failure", `level=WARN|msg="source down"|reason=fetch_error|HTTP 500|src=registry`)
	h.Failure(event.ReasonFetchError, boom)
	h.Failure(event.ReasonFetchError, boom)
	expectLog(t, buf, "same failure again")
	if v := h.View(); v.State != source.StateDown || v.Up || v.Stale || v.Errors[event.ReasonFetchError] != 3 {
		t.Errorf("after failures with no success: %+v", v)
	}

	h.Success(at)
	expectLog(t, buf, "first success", `level=INFO|msg="source up"|was=down`)
	h.Success(at.Add(time.Minute))
	expectLog(t, buf, "up again and again")

	h.Failure(event.ReasonFetchError, boom)
	expectLog(t, buf, "failure after success", `level=WARN|stale|reason=fetch_error`)
	if v := h.View(); v.State != source.StateStale || !v.Stale || v.Up {
		t.Errorf("failure after a success: %+v", v)
	}
	h.Failure(event.ReasonParseError, errors.New("bad json"))
	expectLog(t, buf, "another reason", `level=WARN|reason=parse_error`)

	h.Success(at.Add(2 * time.Minute))
	expectLog(t, buf, "recovery", `level=INFO|msg="source up again"|was=stale`)
}

// A file source with no file is down (no_files), logged once naming the
// paths; a poll that reads nothing is no success; files appearing bring it
// up.
func TestHealthNoFiles(t *testing.T) {
	var buf bytes.Buffer
	h := source.NewHealth("ci")
	h.SetLogger(slog.New(slog.NewTextHandler(&buf, nil)))
	at := time.Date(2026, 11, 20, 12, 0, 0, 0, time.UTC)
	for range 3 {
		h.SetFiles(0, []string{"/var/log/ci-*.jsonl"})
		h.Success(at)
	}
	expectLog(t, &buf, "no files", `level=WARN|no file to read|paths=/var/log/ci-*.jsonl`)
	v := h.View()
	if v.State != source.StateNoFiles || v.Up || !v.LastSuccess.IsZero() || v.Files != 0 || !v.FileSource() {
		t.Errorf("no files: %+v", v)
	}
	if v.StatusText() != "no files" || v.Problem() != "no file matches /var/log/ci-*.jsonl" {
		t.Errorf("no files reads %q, %q", v.StatusText(), v.Problem())
	}
	h.SetFiles(2, nil)
	h.Success(at)
	expectLog(t, &buf, "files appear", `level=INFO|msg="source up"|was=no_files`)
	if v := h.View(); !v.Up || v.Files != 2 || !v.LastSuccess.Equal(at) {
		t.Errorf("files appeared: %+v", v)
	}
	// One of two globs matching nothing is said once, the source stays up.
	h.SetFiles(2, []string{"/var/log/ci-old-*.jsonl"})
	h.SetFiles(2, []string{"/var/log/ci-old-*.jsonl"})
	expectLog(t, &buf, "one glob empty", `level=WARN|match no file|ci-old`)
	if !h.View().Up {
		t.Error("a source with files is up even when one of its globs matches nothing")
	}
}

// Skipped inputs are summarised by reason, once per call, never per input.
func TestHealthLogSkipped(t *testing.T) {
	h, buf := logged(t)
	h.LogSkipped()
	expectLog(t, buf, "nothing skipped")
	h.Count(event.ReasonDuplicate, 4)
	h.LogSkipped()
	expectLog(t, buf, "duplicates only", `level=INFO|skipped=4|duplicate_id=4`)
	for range 100 {
		h.Count(event.ReasonTruncated, 1)
	}
	h.Count(event.ReasonDuplicate, 2)
	h.LogSkipped()
	expectLog(t, buf, "bad lines", `level=WARN|skipped=102|"duplicate_id=2 truncated_json=100"`)
	h.LogSkipped()
	expectLog(t, buf, "summary resets")
	if got := h.View().Errors[event.ReasonTruncated]; got != 100 {
		t.Errorf("the counter keeps every skip: %d", got)
	}
}

// A file that exists but cannot be read: the failure says why, once; the
// source is down with no file followed, not "no files".
func TestHealthUnreadableFile(t *testing.T) {
	var buf bytes.Buffer
	h := source.NewHealth("audit")
	h.SetLogger(slog.New(slog.NewTextHandler(&buf, nil)))
	for range 3 {
		h.Failure(event.ReasonReadError, errors.New("/var/log/audit.jsonl: open: permission denied"))
		h.SetFiles(0, nil)
	}
	expectLog(t, &buf, "unreadable", `level=WARN|msg="source down"|reason=read_error|permission denied`)
	v := h.View()
	if v.State != source.StateDown || v.Up || v.Files != 0 || v.Problem() != "/var/log/audit.jsonl: open: permission denied" {
		t.Errorf("unreadable file: %+v, problem %q", v, v.Problem())
	}
}
