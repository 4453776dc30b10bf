package demo

import (
	"bufio"
	"bytes"
	"encoding/json"
	"maps"
	"os"
	"path/filepath"
	"reflect"
	"slices"
	"strings"
	"testing"
	"time"

	"go.yaml.in/yaml/v3"

	"github.com/heady/heady-metrics/exporter/event"
)

var testNow = time.Date(2026, 11, 20, 10, 0, 0, 0, time.UTC) // a Friday

func lines(data []byte) []string {
	var out []string
	sc := bufio.NewScanner(bytes.NewReader(data))
	sc.Buffer(nil, 1<<20)
	for sc.Scan() {
		out = append(out, sc.Text())
	}
	return out
}

// decode parses a JSONL line the way docs/events.md reads it; ok is false for a
// line the exporter must count and skip.
func decode(line string) (m map[string]any, ms int64, ok bool) {
	if err := json.Unmarshal([]byte(line), &m); err != nil {
		return nil, 0, false
	}
	ms, ok = parseTS(m["ts"])
	typ, _ := m["type"].(string)
	return m, ms, ok && event.ParseType(typ) != event.TypeUnknown
}

// TestDataSet generates the default data set once and checks it from every
// side.
func TestDataSet(t *testing.T) {
	files, err := Generate(testNow, Options{})
	if err != nil {
		t.Fatal(err)
	}
	d := loadRef(t, testNow, files)
	t.Run("scenario", func(t *testing.T) { checkScenario(t, d) })
	t.Run("write", func(t *testing.T) { checkWrite(t, d) })
	t.Run("shift", func(t *testing.T) { checkShift(t, d) })
	t.Run("types", func(t *testing.T) { checkTypesAndSpan(t, d) })
	t.Run("defects", func(t *testing.T) { checkDefects(t, d) })
	t.Run("counts", func(t *testing.T) { checkCounts(t, d) })
	t.Run("top_workflows", func(t *testing.T) { checkTopWorkflows(t, d) })
	t.Run("config", func(t *testing.T) { checkConfig(t, d) })
	t.Run("cost", func(t *testing.T) { checkCost(t, d) })
	t.Run("registry", func(t *testing.T) { checkRegistry(t, d) })
}

// Write writes the bytes Generate returns, and the same instant in another
// zone writes the same bytes.
func checkWrite(t *testing.T, d *refData) {
	dir := filepath.Join(t.TempDir(), "new")
	if err := Write(dir, testNow.In(time.FixedZone("X", -5*3600))); err != nil {
		t.Fatal(err)
	}
	names := []string{FileAudit, FileAuth, FileCI, FileRegistry, FileCost, FileConfig, FileReadme}
	if len(d.files) != len(names) {
		t.Errorf("Generate returned %d files, want %d", len(d.files), len(names))
	}
	for _, name := range names {
		data, err := os.ReadFile(filepath.Join(dir, name))
		if err != nil {
			t.Fatal(err)
		}
		if len(data) == 0 || !bytes.Equal(data, d.files[name]) {
			t.Errorf("%s: wrote %d bytes, generated %d, want the same non-empty bytes", name, len(data), len(d.files[name]))
		}
	}
}

// A now one week later writes the same data set with every timestamp one
// week later (everything is derived from now); another now writes other
// data.
func checkShift(t *testing.T, d *refData) {
	later, err := Generate(testNow.Add(7*24*time.Hour), Options{})
	if err != nil {
		t.Fatal(err)
	}
	// norm returns m with its timestamps as epoch ms plus by.
	norm := func(m map[string]any, by int64) map[string]any {
		out := maps.Clone(m)
		for _, k := range []string{"ts", "opened_at", "due"} {
			if ms, ok := parseTS(m[k]); ok {
				out[k] = float64(ms + by)
			}
		}
		return out
	}
	for _, f := range later[:3] {
		la, lb := d.decoded[f.Name], lines(f.Data)
		if len(la) != len(lb) {
			t.Fatalf("%s: %d lines, then %d", f.Name, len(la), len(lb))
		}
		for i, ma := range la {
			mb, _, ok := decode(lb[i])
			if ok != (ma != nil) {
				t.Fatalf("%s:%d: readable %v, then %v", f.Name, i+1, ma != nil, ok)
			}
			if ok && !reflect.DeepEqual(norm(ma, 7*msDay), norm(mb, 0)) {
				t.Fatalf("%s:%d: %v shifted by a week is not %s", f.Name, i+1, ma, lb[i])
			}
		}
	}
	other, err := Generate(testNow.Add(time.Hour), Options{})
	if err != nil {
		t.Fatal(err)
	}
	if bytes.Equal(d.files[FileAudit], other[0].Data) {
		t.Error("a different now wrote the same audit file")
	}
}

// Every event type of docs/events.md is in its stream's file; the data spans 13
// weeks and more, and ends at now.
func checkTypesAndSpan(t *testing.T, d *refData) {
	stream := map[string]event.Stream{FileAudit: event.StreamAudit, FileAuth: event.StreamAuth, FileCI: event.StreamCI}
	for _, name := range []string{FileAudit, FileAuth, FileCI} {
		for i, m := range d.decoded[name] {
			if m == nil {
				continue
			}
			if typ := event.ParseType(m["type"].(string)); typ.Stream() != stream[name] {
				t.Fatalf("%s:%d: type %s belongs to stream %s", name, i+1, typ, typ.Stream())
			}
		}
	}
	for _, typ := range event.Types() {
		if len(d.byType[typ.String()]) == 0 {
			t.Errorf("no %s event", typ)
		}
	}
	first, last := d.now, int64(0)
	for _, e := range d.events {
		first, last = min(first, e.ms), max(last, e.ms)
	}
	if span := time.Duration(d.now-first) * time.Millisecond; span < 13*7*24*time.Hour || span >= 98*24*time.Hour {
		t.Errorf("data spans %v before now, want 13 to 14 weeks", span)
	}
	if last > d.now || d.now-last > 10*60*1000 {
		t.Errorf("latest event at %v, want data up to now", time.UnixMilli(last).UTC())
	}
}

// Every line is readable except the deliberate defects; a few ids repeat
// and a few lines are out of time order.
func checkDefects(t *testing.T, d *refData) {
	total := 0
	for _, name := range []string{FileAudit, FileAuth, FileCI} {
		if d.bad[name] != badLines(name) {
			t.Errorf("%s: %d unreadable lines, want %d", name, d.bad[name], badLines(name))
		}
		if d.fileDups[name] != noiseDuplicates {
			t.Errorf("%s: %d repeated ids, want %d", name, d.fileDups[name], noiseDuplicates)
		}
		if d.disorder[name] < 3 {
			t.Errorf("%s: %d lines out of order, want a few", name, d.disorder[name])
		}
		total += d.bad[name]
	}
	if total != 5 {
		t.Errorf("%d deliberately bad lines in all, want 5", total)
	}
	if d.dups <= 3*noiseDuplicates {
		t.Errorf("%d repeated ids in all, want the files' and the cost records'", d.dups)
	}
}

func checkCounts(t *testing.T, d *refData) {
	ranges := map[string][2]int{
		"signup": {400, 600}, "session_start": {3000, 9000}, "setup": {500, 2000},
		"tool_call": {20000, 70000}, "outcome": {6000, 20000}, "approval": {1500, 6000},
		"policy_block": {500, 2500}, "arena_run": {2000, 3500}, "consensus": {1000, 2500},
		"change_accepted": {400, 2000}, "change_reverted": {15, 120}, "circuit_breaker": {150, 400},
		"inference": {12000, 45000}, "quality_gate": {2000, 4000}, "coverage": {500, 600},
		"governance": {500, 600}, "deploy": {400, 900}, "merge": {700, 1300}, "revert": {15, 45},
		"shipped": {200, 450}, "incident_opened": {25, 35}, "incident_resolved": {25, 35},
		"milestone_closed": {13, 13},
	}
	for typ, r := range ranges {
		if n := len(d.byType[typ]); n < r[0] || n > r[1] {
			t.Errorf("%d %s events, want %d..%d", n, typ, r[0], r[1])
		}
	}
	if n := len(d.events); n < 60000 || n > 300000 {
		t.Errorf("%d events in all, want 60k..300k", n)
	}
}

// top_workflows has a clear order: five distinct counts, led by
// code-review, out of a dozen workflows.
func checkTopWorkflows(t *testing.T, d *refData) {
	counts := map[string]int{}
	d.each("outcome", func(e refEvent) {
		if verified(e) && d.in(e.ms, 7*msDay, 0) {
			counts[e.s("workflow")]++
		}
	})
	names := slices.SortedFunc(maps.Keys(counts), func(a, b string) int { return counts[b] - counts[a] })
	if len(names) < 10 {
		t.Fatalf("%d workflows in 7d, want a dozen", len(names))
	}
	if names[0] != "code-review" {
		t.Errorf("top workflow %s, want code-review", names[0])
	}
	for i := 1; i < 5; i++ {
		if counts[names[i]] == counts[names[i-1]] {
			t.Errorf("top 5 tie: %v", counts)
		}
	}
}

type configInput struct {
	Paths []string `yaml:"paths"`
}

// config.yml has the structure of docs/configuration.md, names the written files
// relative to itself, and probes nine local targets, one of them refused.
func checkConfig(t *testing.T, d *refData) {
	var cfg struct {
		StateDir string `yaml:"state_dir"`
		Sources  struct {
			Audit    []configInput `yaml:"audit"`
			Auth     []configInput `yaml:"auth"`
			CI       []configInput `yaml:"ci"`
			Registry struct {
				Path string `yaml:"path"`
			} `yaml:"registry"`
			Cost struct {
				Path string `yaml:"path"`
			} `yaml:"cost"`
			Probe struct {
				Targets  []string `yaml:"targets"`
				Interval string   `yaml:"interval"`
				Timeout  string   `yaml:"timeout"`
			} `yaml:"probe"`
		} `yaml:"sources"`
	}
	dec := yaml.NewDecoder(bytes.NewReader(d.files[FileConfig]))
	dec.KnownFields(true)
	if err := dec.Decode(&cfg); err != nil {
		t.Fatalf("config.yml: %v", err)
	}
	s := cfg.Sources
	if cfg.StateDir != "state" {
		t.Errorf("state_dir = %q", cfg.StateDir)
	}
	for want, got := range map[string]string{
		FileAudit: one(t, s.Audit), FileAuth: one(t, s.Auth), FileCI: one(t, s.CI),
		FileRegistry: s.Registry.Path, FileCost: s.Cost.Path,
	} {
		if got != want {
			t.Errorf("config path %q, want %q", got, want)
		}
	}
	if len(s.Probe.Targets) != 9 || s.Probe.Interval != "15s" || s.Probe.Timeout != "2s" {
		t.Errorf("probe = %+v, want 9 targets every 15s with a 2s timeout", s.Probe)
	}
	exporter := 0
	for _, u := range s.Probe.Targets {
		if !strings.HasPrefix(u, "http://127.0.0.1:") {
			t.Errorf("probe target %q is not local", u)
		}
		if strings.HasPrefix(u, "http://127.0.0.1:9877/") {
			exporter++
		}
	}
	if exporter != 8 || len(slices.Compact(slices.Sorted(slices.Values(s.Probe.Targets)))) != 9 {
		t.Errorf("want 8 distinct targets on the exporter's port and one elsewhere: %v", s.Probe.Targets)
	}
}

func one(t *testing.T, in []configInput) string {
	t.Helper()
	if len(in) != 1 || len(in[0].Paths) != 1 {
		t.Fatalf("want one input with one path, got %+v", in)
	}
	return in[0].Paths[0]
}

// The cost document: inference records, some with audit ids; three
// budgets; infra dates up to today.
func checkCost(t *testing.T, d *refData) {
	var doc struct {
		Records []struct {
			ID, TS, Kind, Model string
			CostUSD             *float64 `json:"cost_usd"`
		} `json:"records"`
	}
	if err := json.Unmarshal(d.files[FileCost], &doc); err != nil {
		t.Fatal(err)
	}
	shared := 0
	inference := map[string]bool{}
	d.each("inference", func(e refEvent) { inference[e.id] = true })
	for _, r := range doc.Records {
		if _, ok := parseTS(r.TS); !ok || r.Kind != "inference" || r.CostUSD == nil || r.Model == "" {
			t.Fatalf("bad cost record %+v", r)
		}
		if inference[r.ID] {
			shared++
		}
	}
	if shared == 0 || shared == len(doc.Records) {
		t.Errorf("%d of %d cost records share an audit id, want some", shared, len(doc.Records))
	}
	if len(d.budgets) != 3 {
		t.Errorf("budgets: %+v", d.budgets)
	}
	if len(d.infra) < 31 || d.infra[len(d.infra)-1]["date"] != "2026-11-20" {
		t.Errorf("infra: %d dates ending %v, want 31+ ending today", len(d.infra), d.infra[len(d.infra)-1])
	}
}

// The registry has the shape of the real Heady registries with a health
// scan.
func checkRegistry(t *testing.T, d *refData) {
	var reg struct {
		OverallSystemScore float64 `json:"overallSystemScore"`
		LastDeepScan       string  `json:"lastDeepScan"`
		Services           []struct {
			ID                string `json:"id"`
			LastScanHealthy   *bool  `json:"lastScanHealthy"`
			LastScanLatencyMs *int   `json:"lastScanLatencyMs"`
		} `json:"services"`
		PatternsSummary struct {
			CircuitBreakers int `json:"circuitBreakers"`
		} `json:"patternsSummary"`
		CloudProviders map[string]json.RawMessage `json:"cloudProviders"`
	}
	if err := json.Unmarshal(d.files[FileRegistry], &reg); err != nil {
		t.Fatal(err)
	}
	if reg.OverallSystemScore <= 0 || reg.OverallSystemScore > 1 {
		t.Errorf("overallSystemScore %v, want the real files' 0..1 scale", reg.OverallSystemScore)
	}
	if ms, ok := parseTS(reg.LastDeepScan); !ok || ms > d.now {
		t.Errorf("lastDeepScan %q", reg.LastDeepScan)
	}
	if len(reg.Services) < 10 || reg.PatternsSummary.CircuitBreakers == 0 || len(reg.CloudProviders) == 0 {
		t.Errorf("registry lacks services, breakers or providers: %+v", reg)
	}
	for _, s := range reg.Services {
		if s.LastScanHealthy == nil || s.LastScanLatencyMs == nil {
			t.Errorf("service %s lacks scan fields", s.ID)
		}
	}
}

func TestOptions(t *testing.T) {
	for _, o := range []Options{{Weeks: 7}, {Weeks: 14}, {Users: 10}} {
		if _, err := Generate(testNow, o); err == nil {
			t.Errorf("%+v: no error", o)
		}
	}
	if _, err := Generate(time.Time{}, Options{}); err == nil {
		t.Error("zero now: no error")
	}
	if err := Write("", testNow); err == nil {
		t.Error("empty dir: no error")
	}
	// The smallest data set still spans eight weeks.
	files, err := Generate(testNow, Options{Weeks: 8, Users: 100, Seed: 7})
	if err != nil {
		t.Fatal(err)
	}
	first := testNow.UnixMilli()
	for _, l := range lines(files[1].Data) {
		if _, ms, ok := decode(l); ok {
			first = min(first, ms)
		}
	}
	if span := testNow.UnixMilli() - first; span < 8*7*msDay {
		t.Errorf("Weeks 8: data spans %v", time.Duration(span)*time.Millisecond)
	}
}

func BenchmarkGenerate(b *testing.B) {
	for b.Loop() {
		if _, err := Generate(testNow, Options{}); err != nil {
			b.Fatal(err)
		}
	}
}
