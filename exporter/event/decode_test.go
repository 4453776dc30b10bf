package event

import (
	"bytes"
	"fmt"
	"math"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"
	"time"
	"unsafe"
)

func ms(year int, month time.Month, day, h, m, s, nsec int) int64 {
	return time.Date(year, month, day, h, m, s, nsec, time.UTC).UnixMilli()
}

func TestParseTime(t *testing.T) {
	for _, tc := range []struct {
		in   string
		want int64 // with ok
		bad  bool
	}{
		{in: "2026-11-20T10:00:00Z", want: ms(2026, 11, 20, 10, 0, 0, 0)},
		{in: "2026-11-20T10:00:00.123Z", want: ms(2026, 11, 20, 10, 0, 0, 123e6)},
		{in: "2026-11-20T10:00:00.1Z", want: ms(2026, 11, 20, 10, 0, 0, 100e6)},
		{in: "2026-11-20T10:00:00.12Z", want: ms(2026, 11, 20, 10, 0, 0, 120e6)},
		{in: "2026-11-20T10:00:00.123999999999Z", want: ms(2026, 11, 20, 10, 0, 0, 123e6)},
		{in: "2026-11-20T10:00:00+02:00", want: ms(2026, 11, 20, 8, 0, 0, 0)},
		{in: "2026-11-20T10:00:00.5-05:30", want: ms(2026, 11, 20, 15, 30, 0, 500e6)},
		{in: "2026-11-20t10:00:00z", want: ms(2026, 11, 20, 10, 0, 0, 0)},
		{in: "2026-11-20 10:00:00Z", want: ms(2026, 11, 20, 10, 0, 0, 0)},
		{in: "2024-02-29T23:59:59.999Z", want: ms(2024, 2, 29, 23, 59, 59, 999e6)},
		{in: "2000-02-29T00:00:00Z", want: ms(2000, 2, 29, 0, 0, 0, 0)},
		{in: "1969-12-31T23:59:59.9995Z", want: -1}, // dropped toward the past
		{in: "0000-01-01T00:00:00Z", want: ms(0, 1, 1, 0, 0, 0, 0)},
		{in: "9999-12-31T23:59:59.999Z", want: MaxEpochMS},
		{in: "2025-02-29T00:00:00Z", bad: true},
		{in: "1900-02-29T00:00:00Z", bad: true},
		{in: "2026-04-31T00:00:00Z", bad: true},
		{in: "2026-13-01T00:00:00Z", bad: true},
		{in: "2026-00-01T00:00:00Z", bad: true},
		{in: "2026-01-00T00:00:00Z", bad: true},
		{in: "2026-01-01T24:00:00Z", bad: true},
		{in: "2026-01-01T00:60:00Z", bad: true},
		{in: "2026-12-31T23:59:60Z", bad: true}, // no leap seconds
		{in: "2026-01-01T00:00:00+24:00", bad: true},
		{in: "2026-01-01T00:00:00+01:60", bad: true},
		{in: "2026-01-01T00:00:00", bad: true}, // no zone
		{in: "2026-01-01T00:00:00.Z", bad: true},
		{in: "2026-01-01T00:00:00,5Z", bad: true},
		{in: "2026-01-01T00:00:00+0100", bad: true},
		{in: "2026-01-01T0:00:00Z", bad: true},
		{in: "2026-1-01T00:00:00Z", bad: true},
		{in: "2026-01-01X00:00:00Z", bad: true},
		{in: "2026-01-01T00:00:00ZZ", bad: true},
		{in: "2026-02-03 19:17", bad: true},

		{in: "1763632800", want: 1763632800000},        // seconds
		{in: "1763632800123", want: 1763632800123},     // milliseconds
		{in: "1763632800.1239", want: 1763632800123},   // fractional seconds
		{in: "1763632800123.9", want: 1763632800123},   // fractional ms
		{in: "1.7636328e9", want: 1763632800000},       // exponent
		{in: "1.763632800123E12", want: 1763632800123}, // exponent, ms
		{in: "17636328001230e-1", want: 1763632800123}, // exponent, ms
		{in: "99999999999.9999", want: 99999999999999}, // just below 1e11: s
		{in: "100000000000", want: 100000000000},       // 1e11: ms
		{in: "0", want: 0},                             // the epoch
		{in: "0.0009", want: 0},
		{in: "0e5", want: 0},
		{in: "253402300799999", want: MaxEpochMS},
		{in: "253402300799999.99", want: MaxEpochMS},
		{in: "253402300800000", bad: true}, // after 9999
		{in: "1e400", bad: true},
		{in: "-1763632800", bad: true}, // negative
		{in: "01763632800", bad: true}, // leading zero
		{in: "1763632800.", bad: true},
		{in: ".5", bad: true},
		{in: "+1763632800", bad: true},
		{in: " 1763632800", bad: true},
		{in: "1763632800 ", bad: true},
		{in: "1_763_632_800", bad: true},
		{in: "0x10", bad: true},
		{in: "NaN", bad: true},
		{in: "", bad: true},
		{in: "1e", bad: true},
		{in: "yesterday", bad: true},
		{in: "2026-11-20T10:00:00.123Z ", bad: true},
		{in: "\u20262026-11-20T10:00:00.123Z", bad: true},
		{in: "2026-11-20T10:00:00.123+02:00:00", bad: true},
		{in: "2026-11-20T10:00:00.123456789+02", bad: true},
		{in: "2026-11-20T10:00:00.1234567890123Z", want: ms(2026, 11, 20, 10, 0, 0, 123e6)},
	} {
		got, ok := ParseTimeString(tc.in)
		if ok == tc.bad || (ok && got != tc.want) {
			t.Errorf("ParseTimeString(%q) = %d, %v; want %d, %v", tc.in, got, ok, tc.want, !tc.bad)
		}
		got2, ok2 := ParseTime([]byte(tc.in))
		if got2 != got || ok2 != ok {
			t.Errorf("ParseTime(%q) = %d, %v; ParseTimeString = %d, %v", tc.in, got2, ok2, got, ok)
		}
		if ref, refOK := refParseTime(tc.in); ref != got || refOK != ok {
			t.Errorf("%q: reference = %d, %v; ParseTimeString = %d, %v", tc.in, ref, refOK, got, ok)
		}
	}
}

// exampleLine is the canonical line of the task and of docs/events.md.
const exampleLine = `{"ts":"2026-11-20T10:00:00.123Z","type":"tool_call","id":"evt-000123","user":"u-4821","tool":"github.create_pr","status":"success","duration_ms":182.5,"receipt":"rcpt_1772111120141_8a9dfbf9"}`

func newEvent(f func(e *Event)) Event {
	var e Event
	e.Reset()
	f(&e)
	return e
}

// diffEvents describes how got differs from want, field by field; NaN
// equals NaN.
func diffEvents(got, want *Event) string {
	var diffs []string
	gv, wv := reflect.ValueOf(got).Elem(), reflect.ValueOf(want).Elem()
	for i := range gv.NumField() {
		g, w := gv.Field(i), wv.Field(i)
		if g.Kind() == reflect.Float64 && math.IsNaN(g.Float()) && math.IsNaN(w.Float()) {
			continue
		}
		if !g.Equal(w) {
			diffs = append(diffs, fmt.Sprintf("%s: got %#v, want %#v", gv.Type().Field(i).Name, g, w))
		}
	}
	return strings.Join(diffs, "; ")
}

func TestDecode(t *testing.T) {
	t0 := ms(2026, 11, 20, 10, 0, 0, 123e6)
	for _, tc := range []struct {
		name, line string
		reason     Reason
		want       *Event // checked when reason is ""
	}{
		{name: "example", line: exampleLine, want: ptr(newEvent(func(e *Event) {
			e.Time, e.Type, e.ID, e.User = t0, TypeToolCall, "evt-000123", "u-4821"
			e.Tool, e.Status, e.DurationMS, e.Receipt = "github.create_pr", "success", 182.5, "rcpt_1772111120141_8a9dfbf9"
		}))},
		{name: "bom crlf spaces", line: "\xEF\xBB\xBF \t{ \"ts\" : 1763632800 , \"type\" : \"signup\" , \"user\" : \"u\" }\r\n",
			want: ptr(newEvent(func(e *Event) { e.Time, e.Type, e.User = 1763632800000, TypeSignup, "u" }))},
		{name: "numeric id and string epoch", line: `{"ts":"1763632800123","type":"merge","id":12345,"repo":"heady/core","change":-7.5e3}`,
			want: ptr(newEvent(func(e *Event) {
				e.Time, e.Type, e.ID, e.Repo, e.Change = 1763632800123, TypeMerge, "12345", "heady/core", "-7.5e3"
			}))},
		{name: "escapes", line: `{"ts":"2026-11-20T10:00:00.123Z","type":"setup","kind":"i\u0064e","name":"a\"b\\c\/d\n\t\u00e9\ud83d\ude80","user":"\ud800x","result":"ok"}`,
			want: ptr(newEvent(func(e *Event) {
				e.Time, e.Type, e.Kind, e.Name, e.User, e.Status = t0, TypeSetup, "ide", "a\"b\\c/d\n\té🚀", "\uFFFDx", "ok"
			}))},
		{name: "escaped keys", line: `{"t\u0073":0,"\u0074ype":"signup","us\u0065r":"me"}`,
			want: ptr(newEvent(func(e *Event) { e.Type, e.User = TypeSignup, "me" }))},
		{name: "nulls are absent", line: `{"ts":0,"type":"consensus","run":null,"confidence":null,"id":null,"security":null}`,
			want: ptr(newEvent(func(e *Event) { e.Type = TypeConsensus }))},
		{name: "numeric strings", line: `{"ts":0,"type":"inference","cost_usd":"0.5","tokens_in":"12","tokens_out":3e2}`,
			want: ptr(newEvent(func(e *Event) { e.Type, e.CostUSD, e.TokensIn, e.TokensOut = TypeInference, 0.5, 12, 300 }))},
		{name: "security forms", line: `{"ts":0,"type":"incident_opened","incident":"INC-1","security":"true"}`,
			want: ptr(newEvent(func(e *Event) { e.Type, e.Incident, e.Security = TypeIncidentOpened, "INC-1", true }))},
		{name: "timestamps in any form", line: `{"ts":0,"type":"shipped","item":"X","opened_at":"2026-11-20T12:00:00.123+02:00","due":1763632800.5}`,
			want: ptr(newEvent(func(e *Event) {
				e.Type, e.Item, e.OpenedAt, e.Due = TypeShipped, "X", t0, 1763632800500
			}))},
		{name: "duplicate key: last wins", line: `{"ts":"bad","type":"revert","change":{},"change":"c2","ts":5}`,
			want: ptr(newEvent(func(e *Event) { e.Time, e.Type, e.Change = 5000, TypeRevert, "c2" }))},
		{name: "duplicate key: last null wins", line: `{"ts":0,"type":"revert","change":"c1","change":null}`,
			want: ptr(newEvent(func(e *Event) { e.Type = TypeRevert }))},
		{name: "unknown nested keys skipped", line: `{"x":{"a":[1,{"ts":"no"},[],{}],"b":"}"},"ts":0,"y":[[["type"]]],"type":"signup","z":true}`,
			want: ptr(newEvent(func(e *Event) { e.Type = TypeSignup }))},
		{name: "status words by type", line: `{"ts":0,"type":"deploy","status":"s","result":"r","state":"x"}`,
			want: ptr(newEvent(func(e *Event) { e.Type, e.Status = TypeDeploy, "r" }))},
		{name: "status fallback", line: `{"ts":0,"type":"approval","result":"r","state":"x","decision":""}`,
			want: ptr(newEvent(func(e *Event) { e.Type, e.Status = TypeApproval, "r" }))},
		{name: "keys are case-sensitive", line: `{"ts":0,"type":"signup","User":"u"}`,
			want: ptr(newEvent(func(e *Event) { e.Type = TypeSignup }))},

		{name: "empty", line: "", reason: ReasonTruncated},
		{name: "blank", line: " \r", reason: ReasonTruncated},
		{name: "cut", line: exampleLine[:100], reason: ReasonTruncated},
		{name: "trailing", line: exampleLine + "x", reason: ReasonTruncated},
		{name: "two objects", line: exampleLine + exampleLine, reason: ReasonTruncated},
		{name: "bad later despite bad field", line: `{"ts":0,"type":"signup","user":{}, }`, reason: ReasonTruncated},
		{name: "leading zero", line: `{"ts":0,"type":"signup","x":01}`, reason: ReasonTruncated},
		{name: "bad escape", line: `{"ts":0,"type":"signup","x":"\x"}`, reason: ReasonTruncated},
		{name: "control char", line: "{\"ts\":0,\"type\":\"signup\",\"x\":\"a\tb\"}", reason: ReasonTruncated},
		{name: "single quotes", line: `{'ts':0}`, reason: ReasonTruncated},
		{name: "too deep", line: `{"ts":0,"type":"signup","x":` + strings.Repeat("[", MaxDepth) + strings.Repeat("]", MaxDepth) + "}", reason: ReasonTruncated},
		{name: "deep enough", line: `{"ts":0,"type":"signup","x":` + strings.Repeat("[", MaxDepth-1) + strings.Repeat("]", MaxDepth-1) + "}",
			want: ptr(newEvent(func(e *Event) { e.Type = TypeSignup }))},
		{name: "array", line: `[1,2]`, reason: ReasonNotObject},
		{name: "string", line: ` "x" `, reason: ReasonNotObject},
		{name: "null", line: `null`, reason: ReasonNotObject},
		{name: "bad array", line: `[1,2`, reason: ReasonTruncated},
		{name: "invalid utf8", line: "{\"ts\":0,\"type\":\"signup\",\"user\":\"\xff\"}", reason: ReasonInvalidUTF8},
		{name: "utf8 surrogate", line: "{\"ts\":0,\"type\":\"signup\",\"user\":\"\xed\xa0\x80\"}", reason: ReasonInvalidUTF8},
		{name: "missing ts", line: `{"type":"signup"}`, reason: ReasonMissingTS},
		{name: "null ts", line: `{"ts":null,"type":"signup"}`, reason: ReasonMissingTS},
		{name: "bad ts", line: `{"ts":"2026-02-30T00:00:00Z","type":"signup"}`, reason: ReasonBadTS},
		{name: "bool ts", line: `{"ts":true,"type":"signup"}`, reason: ReasonBadTS},
		{name: "ts before type", line: `{"ts":"x","type":"nope"}`, reason: ReasonBadTS},
		{name: "missing type", line: `{"ts":0}`, reason: ReasonUnknownType},
		{name: "unknown type", line: `{"ts":0,"type":"Signup"}`, reason: ReasonUnknownType},
		{name: "object type", line: `{"ts":0,"type":{"signup":1}}`, reason: ReasonUnknownType},
		{name: "type before field", line: `{"ts":0,"type":"x","user":[]}`, reason: ReasonUnknownType},
		{name: "string field given bool", line: `{"ts":0,"type":"signup","user":true}`, reason: ReasonBadField},
		{name: "number field given word", line: `{"ts":0,"type":"coverage","ratio":"high"}`, reason: ReasonBadField},
		{name: "number field given padded string", line: `{"ts":0,"type":"coverage","ratio":" 0.5"}`, reason: ReasonBadField},
		{name: "number field out of range", line: `{"ts":0,"type":"coverage","ratio":1e999}`, reason: ReasonBadField},
		{name: "number field given bool", line: `{"ts":0,"type":"coverage","ratio":false}`, reason: ReasonBadField},
		{name: "security given number", line: `{"ts":0,"type":"incident_opened","security":1}`, reason: ReasonBadField},
		{name: "bad due", line: `{"ts":0,"type":"milestone_closed","due":"soon"}`, reason: ReasonBadField},
		{name: "bad field on any type", line: `{"ts":0,"type":"signup","score":[]}`, reason: ReasonBadField},
	} {
		t.Run(tc.name, func(t *testing.T) {
			var d Decoder
			var e Event
			if got := d.Decode([]byte(tc.line), &e); got != tc.reason {
				t.Fatalf("reason = %q, want %q", got, tc.reason)
			}
			if tc.reason == "" {
				if diff := diffEvents(&e, tc.want); diff != "" {
					t.Error(diff)
				}
			}
			checkAgainstReference(t, &d, []byte(tc.line))
		})
	}
}

func ptr[T any](v T) *T { return &v }

func TestDecodeLineTooLong(t *testing.T) {
	d := Decoder{MaxLineBytes: len(exampleLine)}
	var e Event
	if r := d.Decode([]byte(exampleLine), &e); r != "" {
		t.Fatalf("line of exactly MaxLineBytes: %q", r)
	}
	if r := d.Decode([]byte(exampleLine+" "), &e); r != ReasonTooLong {
		t.Fatalf("line one byte over: %q, want %q", r, ReasonTooLong)
	}
	var dflt Decoder
	long := []byte(`{"ts":0,"type":"signup","pad":"` + strings.Repeat("x", DefaultMaxLineBytes) + `"}`)
	if r := dflt.Decode(long, &e); r != ReasonTooLong {
		t.Fatalf("line over the default bound: %q, want %q", r, ReasonTooLong)
	}
}

// inside reports whether s points into b.
func inside(s string, b []byte) bool {
	p := uintptr(unsafe.Pointer(unsafe.StringData(s)))
	start := uintptr(unsafe.Pointer(unsafe.SliceData(b)))
	return p >= start && p+uintptr(len(s)) <= start+uintptr(len(b))
}

func TestDecodeStringsAliasInput(t *testing.T) {
	var d Decoder
	var e Event
	line := []byte(exampleLine)
	if r := d.Decode(line, &e); r != "" {
		t.Fatal(r)
	}
	for _, s := range []string{e.ID, e.User, e.Tool, e.Status, e.Receipt} {
		if !inside(s, line) {
			t.Errorf("%q does not alias the line", s)
		}
	}
}

func TestDecodeEscapedStringsDoNotOverlap(t *testing.T) {
	var d Decoder
	var e Event
	// Many escaped fields in one line, then a second line reusing the
	// decoder: each field of the second event is its own.
	first := `{"ts":0,"type":"inference","user":"\u0041\u0042","provider":"p\n1","model":"m\"2","routed":"r\\3"}`
	second := `{"ts":0,"type":"inference","user":"\u0061","provider":"\u0062\u0062","model":"c\/","routed":"` + strings.Repeat(`\t`, 300) + `"}`
	for _, tc := range []struct {
		line                          string
		user, provider, model, routed string
	}{
		{first, "AB", "p\n1", "m\"2", "r\\3"},
		{second, "a", "bb", "c/", strings.Repeat("\t", 300)},
	} {
		if r := d.Decode([]byte(tc.line), &e); r != "" {
			t.Fatal(r)
		}
		got := [4]string{e.User, e.Provider, e.Model, e.Routed}
		want := [4]string{tc.user, tc.provider, tc.model, tc.routed}
		if got != want {
			t.Errorf("got %q, want %q", got, want)
		}
	}
}

func TestDecodeAllocs(t *testing.T) {
	var d Decoder
	var e Event
	for _, line := range []string{
		exampleLine,
		genLines(1)[0],
		`{"ts":1763632800.5,"type":"inference","cost_usd":"0.5","tokens_in":12,"meta":{"a":[1,2,{"b":null}]}}`,
	} {
		b := []byte(line)
		allocs := testing.AllocsPerRun(100, func() {
			if r := d.Decode(b, &e); r != "" {
				t.Fatalf("%s: %q", line, r)
			}
		})
		if allocs != 0 {
			t.Errorf("%s: %v allocations per line, want 0", line, allocs)
		}
	}
	// With escapes: none once the scratch buffer has grown.
	b := []byte(`{"ts":0,"type":"setup","name":"caf\u00e9 \"x\"","kind":"a\nb"}`)
	d.Decode(b, &e)
	if allocs := testing.AllocsPerRun(100, func() { d.Decode(b, &e) }); allocs != 0 {
		t.Errorf("escaped line: %v allocations per line, want 0", allocs)
	}
}

// checkAgainstReference decodes line with d and with refDecode and
// reports any difference in reason or, on success, in any field.
func checkAgainstReference(t *testing.T, d *Decoder, line []byte) {
	t.Helper()
	var got Event
	reason := d.Decode(line, &got)
	want, wantReason := refDecode(line, d.MaxLineBytes)
	if reason != wantReason {
		t.Fatalf("%q: reason %q, reference %q", line, reason, wantReason)
	}
	if reason == "" {
		if diff := diffEvents(&got, &want); diff != "" {
			t.Fatalf("%q: %s", line, diff)
		}
	}
}

func TestDecodeGeneratedLines(t *testing.T) {
	var d Decoder
	lines := genLines(480)
	seen := map[Type]int{}
	for _, l := range lines {
		var e Event
		if r := d.Decode([]byte(l), &e); r != "" {
			t.Fatalf("%s: %q", l, r)
		}
		seen[e.Type]++
		checkAgainstReference(t, &d, []byte(l))
	}
	for _, typ := range Types() {
		if seen[typ] == 0 {
			t.Errorf("no generated line of type %s", typ)
		}
	}
	reasons := map[Reason]int{}
	for _, l := range breakLines(lines) {
		var e Event
		reasons[d.Decode([]byte(l), &e)]++
		checkAgainstReference(t, &d, []byte(l))
	}
	t.Logf("damaged lines by reason: %v", reasons)
}

func fuzzSeeds() []string {
	lines := genLines(300)
	seeds := append([]string{exampleLine}, lines...)
	seeds = append(seeds, breakLines(lines[:60])...)
	return append(seeds,
		"",
		"\xEF\xBB\xBF"+exampleLine+"\r\n",
		`[1,{"a":[]}]`,
		`{"ts":"\u0032026-11-20T10:00:00Z","type":"signup"}`,
		`{"ts":1e400,"type":"signup"}`,
		`{"ts":0,"type":"coverage","ratio":"1e-400"}`,
		`{"ts":0,"type":"signup","user":"\ud83d\ude80\udc00\ud800\u0041"}`,
		`{"ts":0,"type":"signup","u":[[[[[[[[[[{"a":{"b":[]}}]]]]]]]]]]}`,
	)
}

func FuzzDecode(f *testing.F) {
	for _, s := range fuzzSeeds() {
		f.Add([]byte(s))
	}
	realFiles, _ := filepath.Glob("testdata/real/*.jsonl")
	for _, name := range realFiles {
		data, err := os.ReadFile(name)
		if err != nil {
			f.Fatal(err)
		}
		for _, line := range bytes.Split(data, []byte("\n")) {
			f.Add(line)
		}
	}
	f.Fuzz(func(t *testing.T, line []byte) {
		d := Decoder{MaxLineBytes: 4096}
		checkAgainstReference(t, &d, line)
		// A decoder that has decoded other lines gives the same answer.
		var e Event
		d.Decode([]byte(exampleLine), &e)
		checkAgainstReference(t, &d, line)
	})
}

func FuzzParseTime(f *testing.F) {
	for _, s := range []string{
		"2026-11-20T10:00:00Z", "2026-11-20T10:00:00.123456+05:30", "2024-02-29 23:59:59z",
		"0000-01-01T00:00:00-23:59", "9999-12-31T23:59:59.9999Z", "1763632800", "1763632800123",
		"1763632800.123", "1.7636328e9", "0", "0.5e-3", "253402300799999", "1e15", "-1", "01",
	} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		got, ok := ParseTimeString(s)
		want, wantOK := refParseTime(s)
		if got != want || ok != wantOK {
			t.Fatalf("ParseTimeString(%q) = %d, %v; reference %d, %v", s, got, ok, want, wantOK)
		}
	})
}

// TestDecodeRealHeadyLines reads real Heady JSONL files (testdata/real,
// copied unchanged from Heady's own sample data): they are not in the
// canonical shape, so every line must be skipped with the reason the
// reference gives, and never accepted or crash the decoder.
func TestDecodeRealHeadyLines(t *testing.T) {
	files, err := filepath.Glob("testdata/real/*.jsonl")
	if err != nil || len(files) == 0 {
		t.Fatalf("no real samples: %v", err)
	}
	var d Decoder
	reasons := map[Reason]int{}
	for _, f := range files {
		data, err := os.ReadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		for n, line := range bytes.Split(bytes.TrimRight(data, "\n"), []byte("\n")) {
			var e Event
			r := d.Decode(line, &e)
			if r == "" {
				t.Errorf("%s:%d: a non-canonical line was accepted", f, n+1)
			}
			reasons[r]++
			checkAgainstReference(t, &d, line)
		}
	}
	t.Logf("reasons: %v", reasons)
}
