package preset

import (
	"fmt"
	"strconv"
	"strings"
	"testing"

	"go.yaml.in/yaml/v3"

	"github.com/heady/heady-metrics/exporter/event"
	"github.com/heady/heady-metrics/exporter/source/stream"
)

// loadInput builds the decoder of the first audit input of a whole
// config file, from its mapping node (with the file's line numbers), as
// the exporter does. Its errors are the mapping's own, "line N: KEY: ...";
// stream.ParseConfig places them under the input's key
// (exporter/pipeline's TestCheckErrorsNameFileLineKey).
func loadInput(t *testing.T, cfg string) (stream.LineDecoder, error) {
	t.Helper()
	var root yaml.Node
	if err := yaml.Unmarshal([]byte(cfg), &root); err != nil {
		t.Fatalf("config: %v", err)
	}
	in := &stream.Config{Name: "audit", Format: FormatMapping, Mapping: lookup(&root, "sources", "audit", "0", "mapping")}
	return stream.NewFormats(Decoders()).NewDecoder(in)
}

// lookup walks mapping keys and sequence indexes of a YAML document.
func lookup(n *yaml.Node, keys ...string) *yaml.Node {
	if n.Kind == yaml.DocumentNode {
		n = n.Content[0]
	}
	for _, k := range keys {
		switch n.Kind {
		case yaml.MappingNode:
			var next *yaml.Node
			for i := 0; i+1 < len(n.Content); i += 2 {
				if n.Content[i].Value == k {
					next = n.Content[i+1]
				}
			}
			n = next
		case yaml.SequenceNode:
			i, err := strconv.Atoi(k)
			if err != nil {
				panic("lookup: not an index: " + k) // the tests' own paths
			}
			n = n.Content[i]
		}
		if n == nil {
			return nil
		}
	}
	return n
}

const customConfig = `sources:
  audit:
    - paths: [/var/log/jobs/*.jsonl]
      format: mapping
      mapping:
        time: when
        rules:
          - name: job
            match:
              - {path: kind, equals: job}
            emit:
              - type: tool_call
                id: {template: "job-${job.id}-step-${#}"}
                user: job.owner.login
                tool: job.steps[*].name
                status: {path: "job.steps[*].ok", map: {"true": success, "false": error}}
                duration_ms: job.steps[*].ms
                receipt: job.id
              - type: outcome
                id: {template: "job-${job.id}"}
                user: job.owner.login
                workflow: flow
                status: {path: outcome, map: {done: success, crashed: failure}, unmapped: unknown}
                receipt: job.id
          - name: login
            match:
              - {path: kind, in: [login, signin]}
            emit:
              - type: session_start
                user: who
                surface: {path: via, map: {IDE: ide, Web: web}}
`

// TestCustomMapping maps a made-up shape with a mapping written only in
// the config: nested objects, a fan-out over an array, value maps, several
// rules, and a line no rule matches.
func TestCustomMapping(t *testing.T) {
	d, err := loadInput(t, customConfig)
	if err != nil {
		t.Fatal(err)
	}
	lines := [][]byte{
		[]byte(`{"when":"2026-03-01T10:00:00+02:00","kind":"job","flow":"release","outcome":"done","job":{"id":"j-1","owner":{"login":"alice"},"steps":[{"name":"lint","ok":true,"ms":120},{"name":"test","ok":false,"ms":3400},{"ms":7}]}}`),
		[]byte(`{"when":1772359200,"kind":"signin","who":"bob","via":"IDE"}`),
		[]byte(`{"when":"2026-03-01T10:05:00Z","kind":"heartbeat"}`),
		[]byte(`{"kind":"job","job":{"id":"j-2"}}`),
		[]byte(`{"when":"yesterday","kind":"login","who":"carol"}`),
		[]byte(`{"when":"2026-03-01T10:06:00Z","kind":"job","flow":"release","outcome":"exploded","job":{"id":"j-3","steps":[]}}`),
	}
	got := decodeAll(d, lines)
	want := []string{
		`{"ts":"2026-03-01T08:00:00.000Z","type":"tool_call","id":"job-j-1-step-0","user":"alice","status":"success","receipt":"j-1","tool":"lint","duration_ms":120}`,
		`{"ts":"2026-03-01T08:00:00.000Z","type":"tool_call","id":"job-j-1-step-1","user":"alice","status":"error","receipt":"j-1","tool":"test","duration_ms":3400}`,
		`{"ts":"2026-03-01T08:00:00.000Z","type":"tool_call","id":"job-j-1-step-2","user":"alice","receipt":"j-1","duration_ms":7}`,
		`{"ts":"2026-03-01T08:00:00.000Z","type":"outcome","id":"job-j-1","user":"alice","status":"success","receipt":"j-1","workflow":"release"}`,
		`{"ts":"2026-03-01T10:00:00.000Z","type":"session_start","user":"bob","surface":"ide"}`,
		`{"ts":"2026-03-01T10:06:00.000Z","type":"outcome","id":"job-j-3","status":"unknown","receipt":"j-3","workflow":"release"}`,
	}
	if g, w := strings.Join(toStrings(got.lines), "\n"), strings.Join(want, "\n"); g != w {
		t.Errorf("events:\n%s\nwant:\n%s", g, w)
	}
	wantSkip := map[event.Reason]int{event.ReasonUnmapped: 1, event.ReasonMissingTS: 1, event.ReasonBadTS: 1}
	if fmt.Sprint(got.skipped) != fmt.Sprint(wantSkip) {
		t.Errorf("skipped %v, want %v", got.skipped, wantSkip)
	}
}

func toStrings(b [][]byte) []string {
	out := make([]string, len(b))
	for i, l := range b {
		out[i] = string(l)
	}
	return out
}

// TestBadMappings: --config.check builds every decoder, so these errors
// are what a user sees (after the file name): one line, the YAML line, the
// key of the bad part.
func TestBadMappings(t *testing.T) {
	const head = "sources:\n  audit:\n    - paths: [/x]\n      format: mapping\n      mapping:\n"
	for _, tc := range []struct {
		name, mapping, want string
	}{
		{"unknown key", `
        time: ts
        rules:
          - mtch: [{path: a, exists: true}]
            emit: [{type: signup, user: a}]`,
			`line 8: mapping.rules[0]: unknown key "mtch" (want name, match, time, emit)`},
		{"bad operator", `
        time: ts
        rules:
          - match:
              - {path: a, exists: true}
            emit: [{type: signup, user: a}]
          - match:
              - {path: a, eqq: b}
            emit: [{type: signup, user: a}]`,
			`line 12: mapping.rules[1].match[0]: unknown operator "eqq" (want one of equals, not_equals, in, not_in, exists, gt, ge, lt, le)`},
		{"bad path", `
        time: ts
        rules:
          - emit:
              - type: tool_call
                tool: job.steps[x].name`,
			`line 10: mapping.rules[0].emit[0].tool: bad path "job.steps[x].name": [x] is neither [*] nor an array index`},
		{"empty path segment", `
        time: ts
        rules:
          - emit: [{type: signup, user: "a..b"}]`,
			`line 8: mapping.rules[0].emit[0].user: bad path "a..b": empty key at offset 2`},
		{"bad time layout", `
        time: {path: when, format: "YYYY-MM-DD hh:mm"}
        rules:
          - emit: [{type: signup, user: a}]`,
			`line 6: mapping.time.format: bad time format "YYYY-MM-DD hh:mm": want auto or a Go layout holding year, month and day, written with the reference time 2006-01-02 15:04:05 (for example "2006-01-02 15:04")`},
		{"unknown field", `
        time: ts
        rules:
          - emit: [{type: tool_call, tool: a, latency: b}]`,
			`line 8: mapping.rules[0].emit[0]: unknown key "latency" (want type, when, or a canonical field of docs/events.md)`},
		{"unknown type", `
        time: ts
        rules:
          - emit: [{type: tool-call, tool: a}]`,
			`line 8: mapping.rules[0].emit[0].type: unknown event type "tool-call" (see docs/events.md)`},
		{"two fan-outs", `
        time: ts
        rules:
          - emit: [{type: tool_call, tool: "a[*]", receipt: "b[*]"}]`,
			`line 8: mapping.rules[0].emit[0]: one emit fans out over one array: a[*] and b[*]`},
		{"fan-out in match", `
        time: ts
        rules:
          - match: [{path: "a[*].x", equals: y}]
            emit: [{type: signup, user: u}]`,
			`line 8: mapping.rules[0].match[0].path: bad path "a[*].x": [*] is not allowed in match (a rule matches the whole line); use when: on the emit`},
		{"no time", `
        rules:
          - emit: [{type: signup, user: u}]`,
			`line 7: mapping.rules[0]: time: required on the rule or on the mapping`},
		{"const not a number", `
        time: ts
        rules:
          - emit: [{type: inference, cost_usd: {const: cheap}}]`,
			`line 8: mapping.rules[0].emit[0].cost_usd.const: want a number, got "cheap"`},
		{"index without fan-out", `
        time: ts
        rules:
          - emit: [{type: signup, id: {template: "x-${#}"}}]`,
			`line 8: mapping.rules[0].emit[0]: ${#} is the element index of a fan-out: it needs a [*] path in the same emit`},
		{"unknown key in value", `
        time: ts
        rules:
          - emit: [{type: signup, user: {path: u, mapp: {a: b}}}]`,
			`line 8: mapping.rules[0].emit[0].user: unknown key "mapp" (want path, const, template, first, product, map, unmapped, default, nonzero, format)`},
		{"mapping key", `
        time: ts
        rule: []`,
			`line 7: mapping: unknown key "rule" (want time, rules)`},
	} {
		t.Run(tc.name, func(t *testing.T) {
			_, err := loadInput(t, head+strings.TrimPrefix(tc.mapping, "\n")+"\n")
			if err == nil {
				t.Fatal("no error")
			}
			if err.Error() != tc.want {
				t.Errorf("error:\n%s\nwant:\n%s", err, tc.want)
			}
		})
	}
}

// TestEveryPresetCompiles guards the embedded files, which users copy.
func TestEveryPresetCompiles(t *testing.T) {
	for _, name := range Presets() {
		src, err := Source(name)
		if err != nil {
			t.Fatal(err)
		}
		var n yaml.Node
		if err := yaml.Unmarshal(src, &n); err != nil {
			t.Fatalf("%s: %v", name, err)
		}
		// A preset pasted under mapping: is the same decoder.
		if _, err := New(&n, 0); err != nil {
			t.Errorf("%s: %v", name, err)
		}
		in := &stream.Config{Name: "x", Format: name}
		if _, err := stream.NewFormats(Decoders()).NewDecoder(in); err != nil {
			t.Errorf("%s is not registered: %v", name, err)
		}
	}
	if _, err := Source("heady-nope"); err == nil {
		t.Error("unknown preset found")
	}
}
