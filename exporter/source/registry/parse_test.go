package registry

import (
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/heady/heady-metrics/exporter/event"
)

// wantWarning matches a warning by reason and a fragment of its detail.
type wantWarning struct {
	reason event.Reason
	detail string
}

// Component counts shared by several samples.
var (
	// The v4 cloud-first catalog as resolved to the ours side of its merge
	// conflicts (and as committed in sandbox.HEAD): 91 entries, 65 ids.
	compsV4 = []ComponentCount{
		{"active", "critical", 19}, {"active", "high", 28}, {"active", "low", 1}, {"active", "medium", 11},
		{"planned", "critical", 1}, {"planned", "high", 2}, {"scaffold", "high", 3},
	}
	compsV33Eight = []ComponentCount{{"active", "critical", 4}, {"active", "high", 4}}
	compsV5Five   = []ComponentCount{{"active", "critical", 3}, {"active", "high", 2}}
)

const (
	mergeWarning = "2 merge conflicts at lines 2-2063, 2110-2168: took the ours (HEAD) side"
	dupTopKeys   = `duplicate keys in $: "registryVersion" (2 times), "updatedAt" (2 times), "description" (2 times), "last_deployment" (2 times), "components" (2 times); the last value of each wins`
	repeated26   = "26 component entries repeat an earlier id (distribution-pack, browser-extension-edge, ide-extension-emacs and 23 more)"
)

// The expected values below were read off the files by hand and with a
// separate Python script (json.load with object_pairs_hook), not from Parse.
var sampleCases = []struct {
	file string

	version, versionKey string
	updatedAt           string // RFC 3339, "" for none
	lastScan            string

	score    float64
	hasScore bool

	layout                    string
	services, scanned, health int
	withLatency, withStatus   int
	circuitBreakers           int
	hasCB                     bool

	hasComponents bool
	components    []ComponentCount
	compRepeated  int

	cloudProviders, aiProviders int

	warnings []wantWarning
}{
	{
		file: "HeadyMe__Heady-8f71ffc8.json", version: "3.3.0", versionKey: "registryVersion",
		updatedAt: "2026-02-21T11:58:00Z", lastScan: "2026-02-23T14:49:43.789Z",
		score: 54, hasScore: true,
		layout: "list", services: 19, scanned: 19, health: 19, withLatency: 19,
		circuitBreakers: 5, hasCB: true,
		hasComponents: true, components: compsV33Eight,
		cloudProviders: 4, aiProviders: 6,
	},
	{
		file: "HeadyMe__Heady-8f71ffc8.HEAD.json", version: "3.0.0", versionKey: "version",
		lastScan: "2026-02-28T02:59:04.766Z",
		score:    7, hasScore: true,
		layout: "list", services: 19, scanned: 19, health: 0, withLatency: 0, // every lastScanLatencyMs is null
		circuitBreakers: 0, hasCB: true,
	},
	{
		file: "HeadySystems__Heady-AI.json", version: "3.3.0", versionKey: "registryVersion",
		updatedAt: "2026-02-24T22:41:59.274Z", lastScan: "2026-02-24T22:12:00Z",
		score: 100, hasScore: true, // overallSystemScore is the integer 1, on the 0..1 scale
		layout: "list", services: 19, scanned: 19, health: 19, withLatency: 19,
		circuitBreakers: 16, hasCB: true,
		hasComponents: true, components: compsV33Eight,
		cloudProviders: 4, aiProviders: 6, // nodes.*.provider repeats the six and one null
	},
	{
		file: "HeadySystems__Heady-Staging.json", version: "3.3.0", versionKey: "registryVersion",
		updatedAt: "2026-02-21T11:58:00Z", lastScan: "2026-02-24T07:45:12.377Z",
		score: 54, hasScore: true,
		layout: "list", services: 19, scanned: 19, health: 19, withLatency: 19,
		circuitBreakers: 5, hasCB: true,
		hasComponents: true, components: compsV33Eight,
		cloudProviders: 4, aiProviders: 6,
	},
	{
		file: "HeadySystems__Heady-Staging.HEAD.json", version: "5.0.0", versionKey: "registryVersion",
		updatedAt:     "2026-03-17T19:00:00Z",
		hasComponents: true, components: compsV5Five,
	},
	{
		file: "HeadySystems__Heady-Testing.HEAD.json", version: "5.0.0", versionKey: "registryVersion",
		updatedAt:     "2026-03-17T19:00:00Z",
		hasComponents: true, components: compsV5Five,
	},
	{
		// services is an object of arrays: core 7, resilience 5,
		// intelligence 10, governance 7, integration 4; no components.
		file: "HeadySystems__Heady-Testing.json", version: "3.2.3", versionKey: "_meta.version",
		updatedAt: "2026-03-08T00:00:00Z",
		layout:    "grouped-lists", services: 33,
	},
	{
		// services is an object of maps: core 11, resilience 9,
		// observability 3, governance 2; status stated for the last 14.
		file: "HeadyMe__Heady-pre-production-9f2f0642.HEAD.json", version: "3.0.1", versionKey: "version",
		updatedAt: "2026-03-06T16:27:00Z",
		layout:    "grouped-maps", services: 25, withStatus: 14,
	},
	{
		file: "HeadyMe__Heady-pre-production-9f2f0642.json", version: "3.2.0", versionKey: "registryVersion",
		updatedAt:     "2026-02-08T04:12:40.416Z",
		hasComponents: true, components: []ComponentCount{
			{"active", "critical", 12}, {"active", "high", 23}, {"active", "low", 1}, {"active", "medium", 11},
			{"planned", "critical", 1}, {"planned", "high", 2}, {"scaffold", "high", 3},
		},
	},
	{
		// v1: five components with a status and no criticality.
		file: "HeadyMe__Heady-pre-production.json", version: "1.0.0", versionKey: "registryVersion",
		updatedAt:     "2025-01-01T00:00:00Z",
		hasComponents: true, components: []ComponentCount{{"active", "", 5}},
	},
	{
		file: "HeadyMe__Heady.HEAD.json", version: "3.3.0", versionKey: "registryVersion",
		updatedAt:     "2026-02-21T11:58:00Z",
		hasComponents: true, components: compsV33Eight,
		aiProviders: 6,
	},
	{
		file: "HeadyMe__Heady.json", version: "3.1.0", versionKey: "registryVersion",
		updatedAt:     "2026-02-07T04:14:00Z",
		hasComponents: true, components: []ComponentCount{
			{"active", "critical", 11}, {"active", "high", 16}, {"active", "low", 1}, {"active", "medium", 11},
			{"planned", "critical", 1}, {"planned", "high", 2}, {"scaffold", "high", 3},
		},
	},
	{
		// components: [] — present and empty.
		file: "HeadySystems__Heady-Main.json", version: "3.2.0", versionKey: "registryVersion",
		updatedAt:     "2026-02-14T00:44:21.76Z",
		hasComponents: true,
	},
	{
		// Valid JSON, five top-level keys twice: the second registryVersion,
		// updatedAt and (empty) components win.
		file: "HeadySystems__Heady-Main.HEAD.json", version: "3.2.0", versionKey: "registryVersion",
		updatedAt:     "2026-02-14T00:44:21.76Z",
		hasComponents: true,
		warnings:      []wantWarning{{event.ReasonPartialParse, dupTopKeys}},
	},
	{
		// The first object ends at byte 76024; it repeats the same five
		// keys as Heady-Main.HEAD; 383 bytes of a "patterns" fragment follow.
		file: "HeadyConnection__heady-clone.json", version: "3.2.0", versionKey: "registryVersion",
		updatedAt:     "2026-02-14T00:44:21.76Z",
		hasComponents: true,
		warnings: []wantWarning{
			{event.ReasonPartialParse, "trailing text after the top-level value at byte 76024 ignored (383 bytes)"},
			{event.ReasonPartialParse, dupTopKeys},
		},
	},
	{
		file: "HeadyConnection__heady-clone.HEAD.json", version: "4.0.0", versionKey: "registryVersion",
		updatedAt:     "2026-02-11T23:55:00Z",
		hasComponents: true, components: compsV4, compRepeated: 26,
		warnings: []wantWarning{
			{event.ReasonPartialParse, mergeWarning},
			{event.ReasonDuplicate, repeated26},
		},
	},
	{
		file: "HeadySystems__Heady.HEAD.json", version: "4.0.0", versionKey: "registryVersion",
		updatedAt:     "2026-02-11T23:55:00Z",
		hasComponents: true, components: compsV4, compRepeated: 26,
		warnings: []wantWarning{
			{event.ReasonPartialParse, mergeWarning},
			{event.ReasonDuplicate, repeated26},
		},
	},
	{
		file: "HeadySystems__Heady.json", version: "3.3.0", versionKey: "registryVersion",
		updatedAt:     "2026-02-11T21:40:00Z",
		hasComponents: true, compRepeated: 26, components: []ComponentCount{
			{"active", "critical", 17}, {"active", "high", 28}, {"active", "low", 1}, {"active", "medium", 11},
			{"planned", "critical", 1}, {"planned", "high", 2}, {"scaffold", "high", 3},
		},
		warnings: []wantWarning{{event.ReasonDuplicate, repeated26}},
	},
	{
		file: "HeadySystems__sandbox.HEAD.json", version: "4.0.0", versionKey: "registryVersion",
		updatedAt:     "2026-02-11T23:55:00Z",
		hasComponents: true, components: compsV4, compRepeated: 26,
		warnings: []wantWarning{{event.ReasonDuplicate, repeated26}},
	},
	{
		file: "HeadySystems__sandbox.json", version: "3.3.0", versionKey: "registryVersion",
		updatedAt:     "2026-02-11T21:40:00Z",
		hasComponents: true, compRepeated: 26, components: []ComponentCount{
			{"active", "critical", 16}, {"active", "high", 27}, {"active", "low", 1}, {"active", "medium", 11},
			{"planned", "critical", 1}, {"planned", "high", 2}, {"scaffold", "high", 3},
		},
		warnings: []wantWarning{{event.ReasonDuplicate, repeated26}},
	},
}

func readSample(t testing.TB, dir, name string) []byte {
	t.Helper()
	b, err := os.ReadFile(filepath.Join("testdata", dir, name))
	if err != nil {
		t.Fatal(err)
	}
	return b
}

func mustTime(t *testing.T, s string) time.Time {
	t.Helper()
	if s == "" {
		return time.Time{}
	}
	tm, err := time.Parse(time.RFC3339Nano, s)
	if err != nil {
		t.Fatal(err)
	}
	return tm
}

func TestParseSamplesCoversEveryFile(t *testing.T) {
	files, err := filepath.Glob("testdata/registries/*.json")
	if err != nil {
		t.Fatal(err)
	}
	covered := map[string]bool{}
	for _, c := range sampleCases {
		covered[c.file] = true
	}
	for _, f := range files {
		if !covered[filepath.Base(f)] {
			t.Errorf("sample %s has no case in sampleCases", f)
		}
	}
	if len(files) != len(sampleCases) {
		t.Errorf("%d sample files, %d cases", len(files), len(sampleCases))
	}
}

func TestParseSamples(t *testing.T) {
	for _, c := range sampleCases {
		t.Run(c.file, func(t *testing.T) {
			s, ws := Parse(readSample(t, "registries", c.file))

			if s.Version != c.version || s.VersionKey != c.versionKey {
				t.Errorf("version = %q from %q, want %q from %q", s.Version, s.VersionKey, c.version, c.versionKey)
			}
			if want := mustTime(t, c.updatedAt); !s.UpdatedAt.Equal(want) {
				t.Errorf("UpdatedAt = %v, want %v", s.UpdatedAt, want)
			}
			if want := mustTime(t, c.lastScan); !s.LastScan.Equal(want) {
				t.Errorf("LastScan = %v, want %v", s.LastScan, want)
			}
			if s.Score != c.score || s.HasScore != c.hasScore {
				t.Errorf("score = %v (has %v), want %v (has %v)", s.Score, s.HasScore, c.score, c.hasScore)
			}
			if s.ServicesLayout != c.layout {
				t.Errorf("ServicesLayout = %q, want %q", s.ServicesLayout, c.layout)
			}
			if len(s.Services) != c.services || s.ServicesScanned != c.scanned || s.ServicesHealthy != c.health {
				t.Errorf("services %d, scanned %d, healthy %d; want %d, %d, %d",
					len(s.Services), s.ServicesScanned, s.ServicesHealthy, c.services, c.scanned, c.health)
			}
			var lat, status int
			for _, svc := range s.Services {
				if svc.LatencySeconds != nil {
					lat++
				}
				if svc.Status != "" {
					status++
				}
			}
			if lat != c.withLatency || status != c.withStatus {
				t.Errorf("services with latency %d, with status %d; want %d, %d", lat, status, c.withLatency, c.withStatus)
			}
			if s.CircuitBreakers != c.circuitBreakers || s.HasCircuitBreakers != c.hasCB {
				t.Errorf("circuit breakers %d (has %v), want %d (has %v)", s.CircuitBreakers, s.HasCircuitBreakers, c.circuitBreakers, c.hasCB)
			}
			if s.HasComponents != c.hasComponents || !reflect.DeepEqual(s.Components, c.components) || s.ComponentsRepeated != c.compRepeated {
				t.Errorf("components (has %v) %v repeated %d;\nwant (has %v) %v repeated %d",
					s.HasComponents, s.Components, s.ComponentsRepeated, c.hasComponents, c.components, c.compRepeated)
			}
			kinds := map[string]int{}
			for _, p := range s.Providers {
				kinds[p.Kind]++
			}
			if kinds[ProviderCloud] != c.cloudProviders || kinds[ProviderAI] != c.aiProviders || len(kinds) > 2 {
				t.Errorf("providers %v, want %d cloud and %d ai", s.Providers, c.cloudProviders, c.aiProviders)
			}
			checkWarnings(t, ws, c.warnings)
		})
	}
}

func checkWarnings(t *testing.T, got []Warning, want []wantWarning) {
	t.Helper()
	if len(got) != len(want) {
		t.Errorf("warnings %q, want %d", got, len(want))
		return
	}
	for i, w := range want {
		if got[i].Reason != w.reason || !strings.Contains(got[i].Detail, w.detail) {
			t.Errorf("warning %d = %q, want %s containing %q", i, got[i], w.reason, w.detail)
		}
	}
}

// The two values the issue fixes.
func TestParseIssueValues(t *testing.T) {
	s, ws := Parse(readSample(t, "registries", "HeadyMe__Heady-8f71ffc8.json"))
	if len(ws) != 0 || s.Score != 54 || s.ServicesHealthy != 19 || s.ServicesScanned != 19 || s.CircuitBreakers != 5 {
		t.Errorf("8f71ffc8: score %v, %d of %d healthy, %d circuit breakers, warnings %q; want 54, 19 of 19, 5, none",
			s.Score, s.ServicesHealthy, s.ServicesScanned, s.CircuitBreakers, ws)
	}
	s, ws = Parse(readSample(t, "registries", "HeadyMe__Heady-8f71ffc8.HEAD.json"))
	if len(ws) != 0 || s.Score != 7 || s.ServicesHealthy != 0 || s.ServicesScanned != 19 {
		t.Errorf("8f71ffc8.HEAD: score %v, %d of %d healthy, warnings %q; want 7, 0 of 19, none",
			s.Score, s.ServicesHealthy, s.ServicesScanned, ws)
	}
}

func TestParseScanRows(t *testing.T) {
	yes, no := true, false
	s, _ := Parse(readSample(t, "registries", "HeadyMe__Heady-8f71ffc8.json"))
	lat := 0.004
	want := Service{ID: "brain", Name: "heady-brain", Critical: &yes, Healthy: &yes, LatencySeconds: &lat,
		ScannedAt: mustTime(t, "2026-02-23T14:49:43.789Z")}
	if !reflect.DeepEqual(s.Services[0], want) {
		t.Errorf("first service = %+v, want %+v", s.Services[0], want)
	}
	if last := s.Services[18]; last.ID != "nodes" || *last.LatencySeconds != 0.002 || *last.Critical {
		t.Errorf("last service = %+v, want nodes, 2 ms, not critical", last)
	}

	// null latency is absent, not zero.
	s, _ = Parse(readSample(t, "registries", "HeadyMe__Heady-8f71ffc8.HEAD.json"))
	want = Service{ID: "brain", Name: "heady-brain", Critical: &yes, Healthy: &no,
		ScannedAt: mustTime(t, "2026-02-28T02:59:04.766Z")}
	if !reflect.DeepEqual(s.Services[0], want) {
		t.Errorf("first service = %+v, want %+v", s.Services[0], want)
	}
}

func TestParseGroupedServices(t *testing.T) {
	s, _ := Parse(readSample(t, "registries", "HeadySystems__Heady-Testing.json"))
	groups := map[string]int{}
	for _, svc := range s.Services {
		groups[svc.Group]++
		if svc.Healthy != nil || svc.LatencySeconds != nil {
			t.Errorf("%+v: health stated where the file has none", svc)
		}
	}
	if want := map[string]int{"core": 7, "resilience": 5, "intelligence": 10, "governance": 7, "integration": 4}; !reflect.DeepEqual(groups, want) {
		t.Errorf("groups %v, want %v", groups, want)
	}
	if first := s.Services[0]; first.ID != "heady-soul" || first.Name != "HeadySoul" || first.Group != "core" {
		t.Errorf("first service %+v", first)
	}

	s, _ = Parse(readSample(t, "registries", "HeadyMe__Heady-pre-production-9f2f0642.HEAD.json"))
	if first := s.Services[0]; first.ID != "heady-manager" || first.Name != "heady-manager" || first.Group != "core" || first.Status != "" {
		t.Errorf("first service %+v", first)
	}
	if cb := s.Services[12]; cb.ID != "circuit-breaker" || cb.Group != "resilience" || cb.Status != "active" {
		t.Errorf("13th service %+v, want resilience/circuit-breaker active", cb)
	}
	// A service called circuit-breaker is not a circuit breaker count.
	if s.HasCircuitBreakers {
		t.Errorf("circuit breakers %d stated, want none", s.CircuitBreakers)
	}
}

func TestParseProviders(t *testing.T) {
	s, _ := Parse(readSample(t, "registries", "HeadyMe__Heady-8f71ffc8.json"))
	want := []Provider{
		{"anthropic", "ai", ""}, {"github", "ai", ""}, {"google", "ai", ""}, {"openai", "ai", ""}, {"perplexity", "ai", ""}, {"xai", "ai", ""},
		{"cloudflare", "cloud", "active"}, {"github", "cloud", "active"}, {"google", "cloud", "configured"}, {"litellm", "cloud", "active"},
	}
	if !reflect.DeepEqual(s.Providers, want) {
		t.Errorf("providers\n%v\nwant\n%v", s.Providers, want)
	}
}

// Heady's own health files share the scan-row vocabulary.
func TestParseHealthFiles(t *testing.T) {
	s, ws := Parse(readSample(t, "heady", "lens-state.json"))
	if len(ws) != 0 || s.ServicesLayout != "list" || len(s.Services) != 12 || s.ServicesScanned != 12 || s.ServicesHealthy != 0 ||
		!s.LastScan.Equal(mustTime(t, "2026-03-02T02:03:24.183Z")) {
		t.Errorf("lens-state: %+v, warnings %q", s, ws)
	}
	if svc := s.Services[0]; svc.Name != "heady-brain" || svc.Status != "down" || svc.LatencySeconds != nil {
		t.Errorf("lens-state first service %+v", svc)
	}

	s, ws = Parse(readSample(t, "heady", "health-loop-state.json"))
	if len(ws) != 0 || s.ServicesLayout != "map" || len(s.Services) != 5 || s.ServicesScanned != 0 {
		t.Errorf("health-loop-state: %+v, warnings %q", s, ws)
	}
	if svc := s.Services[4]; svc.Name != "edge-proxy" || svc.Status != "ERROR" || !svc.ScannedAt.Equal(mustTime(t, "2026-03-01T00:56:15.811Z")) {
		t.Errorf("health-loop-state last service %+v", svc)
	}

	// A scan history: its last entry is the current state.
	s, ws = Parse(readSample(t, "heady", "deep-scan-history.json"))
	checkWarnings(t, ws, []wantWarning{{event.ReasonPartialParse, "array of 133 values: read its last object"}})
	if s.Score != 7 || s.ServicesScanned != 19 || s.ServicesHealthy != 0 || !s.LastScan.Equal(mustTime(t, "2026-02-28T02:59:04.766Z")) {
		t.Errorf("deep-scan-history: %+v", s)
	}
}
