package registry

import (
	"bytes"
	"fmt"
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/heady/heady-metrics/exporter/event"
)

func TestParseScoreScale(t *testing.T) {
	for _, c := range []struct {
		doc      string
		score    float64
		hasScore bool
		warning  string
	}{
		{`{"overallSystemScore": 0.54}`, 54, true, ""},
		{`{"overallSystemScore": 0.07}`, 7, true, ""},
		{`{"overallSystemScore": 0}`, 0, true, ""},
		{`{"overallSystemScore": 1}`, 100, true, ""},     // 0..1 scale: 1 is the top
		{`{"overallSystemScore": 1.0}`, 100, true, ""},   // same
		{`{"overallSystemScore": 87.5}`, 87.5, true, ""}, // above 1: already 0..100
		{`{"overallSystemScore": 1.5}`, 1.5, true, ""},   // above 1: already 0..100
		{`{"overallSystemScore": null}`, 0, false, ""},   // null is absent
		{`{"overallScore": 0.25}`, 25, true, ""},         // scan-history spelling
		{`{"overallSystemScore": -0.1}`, 0, false, "overallSystemScore is a number: value ignored"},
		{`{"overallSystemScore": "0.5"}`, 0, false, "overallSystemScore is a string: value ignored"},
		{`{"overallSystemScore": 1e400}`, 0, false, "overallSystemScore is a number: value ignored"},
		// A bad first spelling does not hide a good second one.
		{`{"overallSystemScore": true, "systemScore": 0.5}`, 50, true, "overallSystemScore is a boolean: value ignored"},
	} {
		s, ws := Parse([]byte(c.doc))
		if s.Score != c.score || s.HasScore != c.hasScore {
			t.Errorf("%s: score %v (has %v), want %v (has %v)", c.doc, s.Score, s.HasScore, c.score, c.hasScore)
		}
		var want []wantWarning
		if c.warning != "" {
			want = []wantWarning{{event.ReasonPartialParse, c.warning}}
		}
		checkWarnings(t, ws, want)
	}
}

func TestParseTrailingText(t *testing.T) {
	s, ws := Parse([]byte(`{"registryVersion": "2"}  {"registryVersion": "3"} junk`))
	if s.Version != "2" {
		t.Errorf("version %q, want the first object's 2", s.Version)
	}
	checkWarnings(t, ws, []wantWarning{{event.ReasonPartialParse, "trailing text after the top-level value at byte 24 ignored (29 bytes)"}})

	// Trailing white space is not trailing text.
	if _, ws := Parse([]byte("{}\n\r\n\t ")); len(ws) != 0 {
		t.Errorf("warnings %q for trailing white space", ws)
	}
}

func TestParseMergeConflicts(t *testing.T) {
	const bothParse = "{\n<<<<<<< HEAD\n  \"registryVersion\": \"ours\"\n=======\n  \"registryVersion\": \"theirs\"\n>>>>>>> abc123\n}\n"
	s, ws := Parse([]byte(bothParse))
	if s.Version != "ours" {
		t.Errorf("version %q, want ours", s.Version)
	}
	checkWarnings(t, ws, []wantWarning{{event.ReasonPartialParse, "1 merge conflict at lines 2-6: took the ours (HEAD) side of each"}})

	// diff3 style, CRLF line ends, ours side broken: theirs is taken.
	const oursBroken = "{\r\n<<<<<<< HEAD\r\n  \"registryVersion\": \"ours\",,\r\n||||||| base\r\n  \"registryVersion\": \"base\"\r\n=======\r\n  \"registryVersion\": \"theirs\"\r\n>>>>>>> abc123\r\n}\r\n"
	s, ws = Parse([]byte(oursBroken))
	if s.Version != "theirs" {
		t.Errorf("version %q, want theirs", s.Version)
	}
	checkWarnings(t, ws, []wantWarning{{event.ReasonPartialParse, "took the theirs side of each, as the ours side does not parse"}})

	// Neither side parses: nothing usable.
	const neither = "{\n<<<<<<< HEAD\n  \"a\": ,\n=======\n  \"a\": ]\n>>>>>>> x\n}\n"
	s, ws = Parse([]byte(neither))
	if !Unusable(ws) || !reflect.DeepEqual(s, Snapshot{}) {
		t.Errorf("snapshot %+v, warnings %q; want empty and unusable", s, ws)
	}

	// Trailing text after a resolved conflict is located in the resolved text.
	_, ws = Parse([]byte(bothParse + "x"))
	checkWarnings(t, ws, []wantWarning{
		{event.ReasonPartialParse, "1 merge conflict"},
		{event.ReasonPartialParse, "trailing text after the top-level value at byte 31 of the resolved text ignored (1 bytes)"},
	})

	// Markers not at a line start are data, not conflicts.
	s, ws = Parse([]byte(`{"registryVersion": "<<<<<<< HEAD"}`))
	if s.Version != "<<<<<<< HEAD" || len(ws) != 0 {
		t.Errorf("version %q, warnings %q", s.Version, ws)
	}
}

func TestParseDuplicateKeysNested(t *testing.T) {
	doc := `{"services": [{"id": "a", "lastScanHealthy": false, "lastScanHealthy": true}], "x": {"y": {"k": 1, "k": 2, "k": 3}}}`
	s, ws := Parse([]byte(doc))
	if len(s.Services) != 1 || s.Services[0].Healthy == nil || !*s.Services[0].Healthy {
		t.Errorf("services %+v, want a healthy (the last value)", s.Services)
	}
	checkWarnings(t, ws, []wantWarning{
		{event.ReasonPartialParse, `duplicate key in $.services[0]: "lastScanHealthy" (2 times)`},
		{event.ReasonPartialParse, `duplicate key in $.x.y: "k" (3 times)`},
	})
}

func TestParseRepeatedIDsLastWins(t *testing.T) {
	doc := `{
	  "components": [
	    {"id": "a", "status": "planned", "criticality": "low"},
	    {"id": "b", "status": "active", "criticality": "high"},
	    {"id": "a", "status": "active", "criticality": "high"},
	    {"status": "active"}, {"status": "active"},
	    "bare-id", "bare-id"
	  ],
	  "services": [
	    {"id": "s", "lastScanHealthy": false},
	    {"id": "s", "lastScanHealthy": true},
	    {"name": "t", "lastScanHealthy": false}
	  ]
	}`
	s, ws := Parse([]byte(doc))
	want := []ComponentCount{{"", "", 1}, {"active", "", 2}, {"active", "high", 2}}
	if !reflect.DeepEqual(s.Components, want) || s.ComponentsRepeated != 2 {
		t.Errorf("components %v repeated %d, want %v repeated 2", s.Components, s.ComponentsRepeated, want)
	}
	if s.ServicesScanned != 2 || s.ServicesHealthy != 1 || s.ServicesRepeated != 1 || s.Services[0].ID != "s" || !*s.Services[0].Healthy {
		t.Errorf("services %+v: scanned %d healthy %d repeated %d", s.Services, s.ServicesScanned, s.ServicesHealthy, s.ServicesRepeated)
	}
	checkWarnings(t, ws, []wantWarning{
		{event.ReasonDuplicate, "1 service entries repeat an earlier id (s)"},
		{event.ReasonDuplicate, "2 component entries repeat an earlier id (a, bare-id)"},
	})
}

func TestParseObjectShapes(t *testing.T) {
	doc := `{
	  "components": {"x": {"status": "active", "criticality": "high"}, "y": {"status": "retired"}},
	  "services": {"brain": "up", "soul": {"healthy": true, "latencyMs": 0}},
	  "cloudProviders": ["aws", {"name": "gcp", "status": "active"}, 3],
	  "resilience": {"circuitBreakers": ["a", "b"]}
	}`
	s, ws := Parse([]byte(doc))
	if want := []ComponentCount{{"active", "high", 1}, {"retired", "", 1}}; !reflect.DeepEqual(s.Components, want) {
		t.Errorf("components %v, want %v", s.Components, want)
	}
	zero, yes := 0.0, true
	wantSvc := []Service{{ID: "brain", Name: "brain", Status: "up"}, {ID: "soul", Name: "soul", Healthy: &yes, LatencySeconds: &zero}}
	if s.ServicesLayout != "map" || !reflect.DeepEqual(s.Services, wantSvc) {
		t.Errorf("services %q %+v, want map %+v", s.ServicesLayout, s.Services, wantSvc)
	}
	if want := []Provider{{"aws", "cloud", ""}, {"gcp", "cloud", "active"}}; !reflect.DeepEqual(s.Providers, want) {
		t.Errorf("providers %v, want %v", s.Providers, want)
	}
	if s.CircuitBreakers != 2 || !s.HasCircuitBreakers {
		t.Errorf("circuit breakers %d, want 2 (a list's length)", s.CircuitBreakers)
	}
	if len(ws) != 0 {
		t.Errorf("warnings %q", ws)
	}
}

func TestParseWrongTypes(t *testing.T) {
	doc := `{"services": [
	  {"id": "a", "lastScanHealthy": "yes", "lastScanLatencyMs": "4", "lastScannedAt": "yesterday"},
	  {"id": "b", "lastScanHealthy": 1, "lastScanLatencyMs": -3},
	  7
	], "patternsSummary": {"circuitBreakers": 2.5}, "components": "none"}`
	s, ws := Parse([]byte(doc))
	if len(s.Services) != 2 || s.ServicesScanned != 0 || s.Services[0].LatencySeconds != nil || s.Services[1].LatencySeconds != nil {
		t.Errorf("services %+v", s.Services)
	}
	if s.HasCircuitBreakers || s.HasComponents {
		t.Errorf("circuit breakers or components read from values of the wrong type: %+v", s)
	}
	checkWarnings(t, ws, []wantWarning{
		{event.ReasonPartialParse, "circuitBreakers is a number: value ignored"},
		{event.ReasonPartialParse, "components is a string: value ignored"},
		{event.ReasonPartialParse, "services[] is a number: value ignored"},
		{event.ReasonPartialParse, "services[].lastScanHealthy is a number"},
		{event.ReasonPartialParse, "services[].lastScanHealthy is a string"},
		{event.ReasonPartialParse, "services[].lastScanLatencyMs is a number"},
		{event.ReasonPartialParse, "services[].lastScanLatencyMs is a string"},
		{event.ReasonPartialParse, "services[].lastScannedAt is a string"},
	})
}

func TestParseWarningsBounded(t *testing.T) {
	var b strings.Builder
	b.WriteString(`{"x": [`)
	for i := range 50 {
		if i > 0 {
			b.WriteString(",")
		}
		b.WriteString(`{"k": 1, "k": 2}`)
	}
	b.WriteString(`]}`)
	_, ws := Parse([]byte(b.String()))
	if len(ws) != maxWarnings+1 || ws[maxWarnings].Detail != "18 further warnings omitted" {
		t.Errorf("%d warnings, last %q; want %d and a count of 18 omitted", len(ws), ws[len(ws)-1], maxWarnings+1)
	}
}

func TestParseTimestamps(t *testing.T) {
	for _, c := range []struct {
		v    string
		want time.Time
	}{
		{`"2026-02-23T14:49:43.789Z"`, time.Date(2026, 2, 23, 14, 49, 43, 789e6, time.UTC)},
		{`"2026-02-23T16:49:43+02:00"`, time.Date(2026, 2, 23, 14, 49, 43, 0, time.UTC)},
		{`"2026-02-03 19:17"`, time.Date(2026, 2, 3, 19, 17, 0, 0, time.UTC)},
		{`"2026-03-08"`, time.Date(2026, 3, 8, 0, 0, 0, 0, time.UTC)},
		{`1771791763`, time.Unix(1771791763, 0).UTC()},
		{`1771791763194`, time.UnixMilli(1771791763194).UTC()},
		{`"1771791763194"`, time.UnixMilli(1771791763194).UTC()},
	} {
		s, ws := Parse([]byte(`{"lastDeepScan": ` + c.v + `}`))
		if !s.LastScan.Equal(c.want) || len(ws) != 0 {
			t.Errorf("%s: LastScan %v, warnings %q; want %v", c.v, s.LastScan, ws, c.want)
		}
	}
}

func TestParseUnusable(t *testing.T) {
	deep := strings.Repeat("[", maxDepth+1) + strings.Repeat("]", maxDepth+1)
	for name, doc := range map[string][]byte{
		"empty":       nil,
		"space":       []byte(" \n"),
		"not JSON":    []byte("registry: yes"),
		"number":      []byte("42"),
		"string":      []byte(`"x"`),
		"no objects":  []byte(`[1, [2], "3"]`),
		"truncated":   []byte(`{"registryVersion": "3", "components": [`),
		"bad syntax":  []byte(`{"a" 1}`),
		"too deep":    []byte(deep),
		"bare marker": []byte("{\n=======\n}\n"),
		"too big":     bytes.Repeat([]byte(" "), MaxDocumentSize+1),
	} {
		s, ws := Parse(doc)
		if !Unusable(ws) || !reflect.DeepEqual(s, Snapshot{}) {
			t.Errorf("%s: snapshot %+v, warnings %q; want empty and unusable", name, s, ws)
		}
	}
	// Just inside the depth bound is fine.
	ok := `{"a":` + strings.Repeat("[", maxDepth-1) + strings.Repeat("]", maxDepth-1) + `}`
	if _, ws := Parse([]byte(ok)); Unusable(ws) {
		t.Errorf("depth %d refused: %q", maxDepth, ws)
	}
}

func TestParseByteOrderMark(t *testing.T) {
	s, ws := Parse([]byte("\xef\xbb\xbf{\"registryVersion\": \"3\"}"))
	if s.Version != "3" || len(ws) != 0 {
		t.Errorf("version %q, warnings %q", s.Version, ws)
	}
}

func BenchmarkParseLargestSample(b *testing.B) {
	data := readSample(b, "registries", "HeadySystems__Heady.HEAD.json")
	b.SetBytes(int64(len(data)))
	for b.Loop() {
		Parse(data)
	}
}

func ExampleParse() {
	s, ws := Parse([]byte(`{"overallSystemScore": 0.54, "services": [
	  {"id": "brain", "lastScanHealthy": true, "lastScanLatencyMs": 4},
	  {"id": "soul", "lastScanHealthy": false, "lastScanLatencyMs": null}
	], "patternsSummary": {"circuitBreakers": 5}} trailing`))
	fmt.Println(s.Score, s.ServicesHealthy, s.ServicesScanned, s.CircuitBreakers)
	fmt.Println(*s.Services[0].LatencySeconds, s.Services[1].LatencySeconds == nil)
	for _, w := range ws {
		fmt.Println(w)
	}
	// Output:
	// 54 1 2 5
	// 0.004 true
	// partial_parse: trailing text after the top-level value at byte 229 ignored (8 bytes)
}
