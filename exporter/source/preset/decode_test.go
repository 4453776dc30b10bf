package preset

import (
	"strings"
	"testing"

	"go.yaml.in/yaml/v3"

	"github.com/heady/heady-metrics/exporter/event"
)

func mustMapping(t testing.TB, src string) *Decoder {
	t.Helper()
	var n yaml.Node
	if err := yaml.Unmarshal([]byte(src), &n); err != nil {
		t.Fatal(err)
	}
	d, err := New(&n, 0)
	if err != nil {
		t.Fatal(err)
	}
	return d
}

// one decodes a line and returns its events as canonical JSON joined by
// newlines, or the skip reason.
func one(d *Decoder, line string) string {
	var out []string
	if r := d.DecodeLine([]byte(line), func(e *event.Event) { out = append(out, string(canonicalJSON(e))) }); r != "" {
		if len(out) > 0 {
			return "emitted before skipping: " + string(r)
		}
		return string(r)
	}
	return strings.Join(out, "\n")
}

func TestLineReasons(t *testing.T) {
	d := mustMapping(t, `
time: ts
rules:
  - match: [{path: k, equals: a}]
    emit:
      - {type: tool_call, tool: "tools[*]", duration_ms: ms, user: u}
`)
	d.maxLine = 200
	for _, tc := range []struct{ line, want string }{
		{`{"ts":"2026-01-01T00:00:00Z","k":"a","u":"x","tools":["t"]}`, `{"ts":"2026-01-01T00:00:00.000Z","type":"tool_call","user":"x","tool":"t"}`},
		{`{"ts":"2026-01-01T00:00:00Z","k":"b"}`, "unmapped"},
		{`{"k":"a"}`, "missing_ts"},
		{`{"ts":null,"k":"a"}`, "missing_ts"},
		{`{"ts":"soon","k":"a"}`, "bad_ts"},
		{`{"ts":{"s":1},"k":"a"}`, "bad_ts"},
		{`{"ts":"2026-01-01T00:00:00Z","k":"a"`, "truncated_json"},
		{`{"ts":"2026-01-01T00:00:00Z","k":"a"} x`, "truncated_json"},
		{`{"ts":"2026-01-01T00:00:00Z","k":"a","z":[1,{"q":tru}]}`, "truncated_json"},
		{``, "truncated_json"},
		{`[1,2]`, "not_object"},
		{`"a"`, "not_object"},
		{"{\"ts\":\"2026-01-01T00:00:00Z\",\"k\":\"\xff\"}", "invalid_utf8"},
		{`{"ts":"2026-01-01T00:00:00Z","k":"a","pad":"` + strings.Repeat("x", 200) + `"}`, "line_too_long"},
		// a bad field skips the whole line, no partial emission
		{`{"ts":"2026-01-01T00:00:00Z","k":"a","tools":["t1","t2"],"ms":"fast"}`, "bad_field"},
		{`{"ts":"2026-01-01T00:00:00Z","k":"a","tools":"t1"}`, "bad_field"},
		{`{"ts":"2026-01-01T00:00:00Z","k":"a","tools":[{"a":1}]}`, "bad_field"},
		{`{"ts":"2026-01-01T00:00:00Z","k":"a","tools":null}`, ""},
		{`{"ts":"2026-01-01T00:00:00Z","k":"a","tools":[]}`, ""},
		// the last of a repeated key wins, as in encoding/json
		{`{"ts":"2026-01-01T00:00:00Z","k":"b","k":"a","tools":["x"],"tools":["y"]}`, `{"ts":"2026-01-01T00:00:00.000Z","type":"tool_call","tool":"y"}`},
		// escapes in keys and values; a BOM
		{"\ufeff" + `{"t\u0073":"2026-01-01T00:00:00Z","k":"\u0061","tools":["a\"b\u00e9\ud83d\ude00"]}`, `{"ts":"2026-01-01T00:00:00.000Z","type":"tool_call","tool":"a\"bé😀"}`},
		// numbers as strings, epochs
		{`{"ts":1767225600123,"k":"a","tools":[1.5],"ms":"12.5"}`, `{"ts":"2026-01-01T00:00:00.123Z","type":"tool_call","tool":"1.5","duration_ms":12.5}`},
	} {
		if got := one(d, tc.line); got != tc.want {
			t.Errorf("%s\n got %s\nwant %s", tc.line, got, tc.want)
		}
	}
}

func TestValueSpecs(t *testing.T) {
	d := mustMapping(t, `
time: {path: when, format: "2006-01-02 15:04"}
rules:
  - match:
      - {path: kind, not_in: [skip, ignore]}
      - {path: n, gt: 1}
      - {path: n, le: 10}
      - {path: kind, not_equals: other}
    emit:
      - type: shipped
        id: {template: "${kind}/${#line}/${missing}/${flag}"}
        item: {first: ["a.b[1].c", "a.b[0].c"]}
        opened_at: {path: opened, format: "02/01/2006"}
      - type: inference
        when: [{path: "calls[*].model", exists: true}]
        id: {template: "call-${calls[*].model}-${#}"}
        model: "calls[*].model"
        cost_usd:
          first:
            - {path: "calls[*].cost", nonzero: true}
            - {product: ["calls[*].tokens", price, 0.5]}
        tokens_in: {path: "calls[*].tokens", default: 0}
        routed: {path: "calls[*].tier", map: {small: cheaper}, unmapped: default}
        user: {const: svc}
      - type: setup
        result: {path: flag, map: {"true": success, "false": failure}}
        security: flag
`)
	line := `{"when":"2026-02-03 19:17","kind":"k","n":2,"flag":true,"price":4,"opened":"31/01/2026",` +
		`"a":{"b":[{"c":"first"},{"x":1}]},` +
		`"calls":[{"model":"m1","cost":0,"tokens":10,"tier":"small"},{"cost":1},{"model":"m3","cost":0.25,"tier":"big"},{"model":"m4"}]}`
	want := strings.Join([]string{
		`{"ts":"2026-02-03T19:17:00.000Z","type":"shipped","id":"k/` + hashOf(line) + `//true","item":"first","opened_at":"2026-01-31T00:00:00.000Z"}`,
		`{"ts":"2026-02-03T19:17:00.000Z","type":"inference","id":"call-m1-0","user":"svc","model":"m1","routed":"cheaper","cost_usd":20,"tokens_in":10}`,
		`{"ts":"2026-02-03T19:17:00.000Z","type":"inference","id":"call-m3-2","user":"svc","model":"m3","routed":"default","cost_usd":0.25,"tokens_in":0}`,
		`{"ts":"2026-02-03T19:17:00.000Z","type":"inference","id":"call-m4-3","user":"svc","model":"m4","tokens_in":0}`,
		`{"ts":"2026-02-03T19:17:00.000Z","type":"setup","result":"success","security":true}`,
	}, "\n")
	if got := one(d, line); got != want {
		t.Errorf("got\n%s\nwant\n%s", got, want)
	}
	for _, l := range []string{
		`{"when":"2026-02-03 19:17","kind":"skip","n":2}`,
		`{"when":"2026-02-03 19:17","kind":"k","n":1}`,
		`{"when":"2026-02-03 19:17","kind":"k","n":11}`,
		`{"when":"2026-02-03 19:17","kind":"k","n":"many"}`,
		`{"when":"2026-02-03 19:17","kind":"other","n":2}`,
		`{"when":"2026-02-03 19:17","n":2}`, // not_in and not_equals hold on absent; but flag...
	} {
		got := one(d, l)
		if strings.HasPrefix(l, `{"when":"2026-02-03 19:17","n":2}`) {
			if !strings.Contains(got, `"type":"shipped"`) {
				t.Errorf("%s: absent kind should pass not_in/not_equals, got %s", l, got)
			}
			continue
		}
		if got != "unmapped" {
			t.Errorf("%s: got %s, want unmapped", l, got)
		}
	}
	if got := one(d, `{"when":"2026-02-03T19:17:00Z","kind":"k","n":2}`); got != "bad_ts" {
		t.Errorf("RFC 3339 against a layout: got %s, want bad_ts", got)
	}
	if got := one(d, `{"when":"2026-02-03 19:17","kind":"k","n":2,"opened":"2026-01-31"}`); got != "bad_field" {
		t.Errorf("opened_at in the wrong layout: got %s, want bad_field", got)
	}
}

func hashOf(line string) string {
	var d Decoder
	d.line = []byte(line)
	return string(d.hashLine())
}

// TestDecoderReuse: values of one line never leak into the next.
func TestDecoderReuse(t *testing.T) {
	d := mustMapping(t, `
time: ts
rules:
  - emit:
      - {type: tool_call, tool: "t[*].n", user: u, receipt: "r[0]"}
`)
	a := one(d, `{"ts":1,"u":"x","r":["r1"],"t":[{"n":"a"},{"n":"b"}]}`)
	b := one(d, `{"ts":1,"t":[{"z":1}]}`)
	c := one(d, `{"ts":1}`)
	want := []string{
		`{"ts":"1970-01-01T00:00:01.000Z","type":"tool_call","user":"x","receipt":"r1","tool":"a"}` + "\n" +
			`{"ts":"1970-01-01T00:00:01.000Z","type":"tool_call","user":"x","receipt":"r1","tool":"b"}`,
		`{"ts":"1970-01-01T00:00:01.000Z","type":"tool_call"}`,
		``,
	}
	for i, got := range []string{a, b, c} {
		if got != want[i] {
			t.Errorf("line %d: got\n%s\nwant\n%s", i+1, got, want[i])
		}
	}
}
