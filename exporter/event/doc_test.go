package event_test

import (
	"bufio"
	"bytes"
	"math"
	"os"
	"regexp"
	"strings"
	"testing"

	"github.com/heady/heady-metrics/exporter/event"
)

// docType is one event type's section of docs/events.md.
type docType struct {
	stream  string   // the "## " heading above it
	fields  []string // the first column of its table
	example string   // its one example line
}

var (
	typeHeading = regexp.MustCompile("^### `([a-z_]+)`$")
	tableRow    = regexp.MustCompile("^\\| `([a-z0-9_]+)` \\|")
)

// readEventsDoc reads the event type sections and the reason table of
// docs/events.md.
func readEventsDoc(t *testing.T) (map[string]*docType, []string) {
	t.Helper()
	b, err := os.ReadFile("../../docs/events.md")
	if err != nil {
		t.Fatal(err)
	}
	types := map[string]*docType{}
	var reasons []string
	var cur *docType
	stream, section, inJSON := "", "", false
	sc := bufio.NewScanner(bytes.NewReader(b))
	for sc.Scan() {
		line := sc.Text()
		switch {
		case strings.HasPrefix(line, "## "):
			stream, section, cur = strings.TrimPrefix(line, "## "), strings.TrimPrefix(line, "## "), nil
		case typeHeading.MatchString(line):
			name := typeHeading.FindStringSubmatch(line)[1]
			if types[name] != nil {
				t.Errorf("events.md documents %s twice", name)
			}
			cur = &docType{stream: stream}
			types[name] = cur
		case line == "```json":
			inJSON = true
		case line == "```":
			inJSON = false
		case inJSON && cur != nil:
			if cur.example != "" {
				t.Errorf("events.md: more than one example line under a type heading: %s", line)
			}
			cur.example = line
		case tableRow.MatchString(line):
			name := tableRow.FindStringSubmatch(line)[1]
			switch {
			case cur != nil:
				cur.fields = append(cur.fields, name)
			case section == "Skipped inputs and how they are counted":
				reasons = append(reasons, name)
			}
		}
	}
	return types, reasons
}

// present reports whether the decoded event holds a value for a field.
var present = map[string]func(e *event.Event) bool{
	"user": func(e *event.Event) bool { return e.User != "" }, "surface": func(e *event.Event) bool { return e.Surface != "" },
	"kind": func(e *event.Event) bool { return e.Kind != "" }, "name": func(e *event.Event) bool { return e.Name != "" },
	"result": status, "status": status, "decision": status, "state": status,
	"tool": func(e *event.Event) bool { return e.Tool != "" }, "receipt": func(e *event.Event) bool { return e.Receipt != "" },
	"workflow": func(e *event.Event) bool { return e.Workflow != "" }, "policy": func(e *event.Event) bool { return e.Policy != "" },
	"run": func(e *event.Event) bool { return e.Run != "" }, "change": func(e *event.Event) bool { return e.Change != "" },
	"service": func(e *event.Event) bool { return e.Service != "" }, "provider": func(e *event.Event) bool { return e.Provider != "" },
	"model": func(e *event.Event) bool { return e.Model != "" }, "routed": func(e *event.Event) bool { return e.Routed != "" },
	"repo": func(e *event.Event) bool { return e.Repo != "" }, "gate": func(e *event.Event) bool { return e.Gate != "" },
	"env": func(e *event.Event) bool { return e.Env != "" }, "item": func(e *event.Event) bool { return e.Item != "" },
	"incident": func(e *event.Event) bool { return e.Incident != "" }, "severity": func(e *event.Event) bool { return e.Severity != "" },
	"milestone":   func(e *event.Event) bool { return e.Milestone != "" },
	"duration_ms": func(e *event.Event) bool { return !math.IsNaN(e.DurationMS) },
	"cost_usd":    func(e *event.Event) bool { return !math.IsNaN(e.CostUSD) },
	"confidence":  func(e *event.Event) bool { return !math.IsNaN(e.Confidence) },
	"tokens_in":   func(e *event.Event) bool { return !math.IsNaN(e.TokensIn) },
	"tokens_out":  func(e *event.Event) bool { return !math.IsNaN(e.TokensOut) },
	"ratio":       func(e *event.Event) bool { return !math.IsNaN(e.Ratio) },
	"score":       func(e *event.Event) bool { return !math.IsNaN(e.Score) },
	"security":    func(e *event.Event) bool { return e.Security },
	"opened_at":   func(e *event.Event) bool { return e.OpenedAt != event.NoTime },
	"due":         func(e *event.Event) bool { return e.Due != event.NoTime },
}

func status(e *event.Event) bool { return e.Status != "" }

// TestEventsDocExamples holds docs/events.md to the decoder: every type of
// the contract has one section under its stream's heading, its example
// line decodes to an event of that type, and every field its table lists
// is in the example and decoded (a field the decoder does not know, or an
// example that misspells one, fails).
func TestEventsDocExamples(t *testing.T) {
	types, _ := readEventsDoc(t)
	for _, typ := range event.Types() {
		d := types[typ.String()]
		if d == nil {
			t.Errorf("docs/events.md has no section for %s", typ)
			continue
		}
		if d.stream != typ.Stream().String() {
			t.Errorf("%s is documented under %q, its stream is %s", typ, d.stream, typ.Stream())
		}
		var dec event.Decoder
		var e event.Event
		if r := dec.Decode([]byte(d.example), &e); r != "" {
			t.Errorf("%s: example %s is skipped as %s", typ, d.example, r)
			continue
		}
		if e.Type != typ || e.ID == "" || e.Time <= 0 {
			t.Errorf("%s: example decodes to type %s, id %q, time %d", typ, e.Type, e.ID, e.Time)
		}
		if len(d.fields) == 0 {
			t.Errorf("%s: no field table", typ)
		}
		for _, f := range d.fields {
			has, known := present[f]
			if !known {
				t.Errorf("%s: the table lists %q, which no event field holds", typ, f)
				continue
			}
			if !has(&e) {
				t.Errorf("%s: field %q is in the table but not decoded from the example %s", typ, f, d.example)
			}
		}
	}
	if len(types) != len(event.Types()) {
		t.Errorf("docs/events.md has %d type sections, the contract %d types", len(types), len(event.Types()))
	}
}

// TestEventsDocReasons: the skip-reason table lists every reason of the
// heady_source_errors_total label set, once, in the decoder's order for
// the line checks.
func TestEventsDocReasons(t *testing.T) {
	_, reasons := readEventsDoc(t)
	got := map[string]bool{}
	for _, r := range reasons {
		if got[r] {
			t.Errorf("reason %s listed twice", r)
		}
		got[r] = true
	}
	for _, r := range event.Reasons {
		if !got[string(r)] {
			t.Errorf("docs/events.md does not explain reason %s", r)
		}
		delete(got, string(r))
	}
	for r := range got {
		t.Errorf("docs/events.md explains %s, which is not a reason", r)
	}
}

// TestEventsDocTimestamps: the timestamp examples the page gives parse, and
// its two epoch examples are the same instant.
func TestEventsDocTimestamps(t *testing.T) {
	for _, s := range []string{"2026-11-20T09:00:00Z", "2026-11-20T10:00:00.5+01:00", "2026-11-20 09:00:00z"} {
		if _, ok := event.ParseTimeString(s); !ok {
			t.Errorf("%s does not parse", s)
		}
	}
	a, okA := event.ParseTimeString("1795683600")
	b, okB := event.ParseTimeString("1795683600000")
	if !okA || !okB || a != b {
		t.Errorf("epoch s and ms: %d %v, %d %v", a, okA, b, okB)
	}
	if _, ok := event.ParseTimeString("2026-11-20T23:59:60Z"); ok {
		t.Error("a leap second parses; the page says it is refused")
	}
}
