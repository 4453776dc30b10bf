// Package registry reads heady-registry.json, Heady's service catalog and
// health-scan record, from a file or a URL, and turns whatever version of it
// it finds into a Snapshot: the system score, per-service scan health and
// latency, components by status and criticality, providers and the circuit
// breaker count.
//
// The registry has no stable schema (see the registry section of docs/events.md and the
// real files in testdata/registries): Parse walks the document for the key
// names Heady uses rather than decoding one struct, recovers what it can from
// invalid files (trailing text, merge-conflict markers, duplicate keys) and
// reports each recovery as a Warning. Source polls the document and keeps the
// last good Snapshot when a new version cannot be read.
//
// The package owns reading and normalising the registry only. It computes no
// KPI, exports no Prometheus metric and writes no file; the collector reads
// Snapshot and the source's health record.
package registry

import (
	"fmt"
	"time"

	"github.com/heady/heady-metrics/exporter/event"
)

// Snapshot is what one version of the registry states. It is plain data with
// JSON tags so that it can be saved in a checkpoint. Absent values are
// marked as such: HasScore, HasCircuitBreakers, HasComponents, nil pointers
// and zero times.
type Snapshot struct {
	// Version is the registry's own version string and VersionKey the key
	// it was read from ("registryVersion", "version", "_meta.version" or
	// "schemaVersion"); with ServicesLayout they tell the schema family.
	Version    string `json:"version,omitempty"`
	VersionKey string `json:"version_key,omitempty"`
	// UpdatedAt is the registry's own update time (updatedAt, lastUpdated,
	// _meta.updated), zero when absent.
	UpdatedAt time.Time `json:"updated_at,omitzero"`

	// Score is the overall system score on a 0..100 scale. Heady writes
	// overallSystemScore on 0..1 (every real file); a value in [0, 1] is
	// multiplied by 100 and a value above 1 is taken as already on 0..100
	// (so 1 means 100, not 1). HasScore is false when the registry states
	// no usable score.
	Score    float64 `json:"score"`
	HasScore bool    `json:"has_score"`

	// ServicesLayout says where services were found: "list" (an array of
	// rows, the health-scan form), "grouped-lists" (an object of arrays),
	// "grouped-maps" (an object of objects keyed by service), "map" (an
	// object keyed by service), "mixed", or "" when there is no services key.
	ServicesLayout string    `json:"services_layout,omitempty"`
	Services       []Service `json:"services,omitempty"`
	// ServicesScanned is the number of services whose last scan stated a
	// health (healthy or not); ServicesHealthy the number stated healthy.
	// When the registry lists no per-service health but states scan totals
	// (totalCount, healthyCount, as deep-scan history entries do), those
	// totals are used.
	ServicesScanned int `json:"services_scanned"`
	ServicesHealthy int `json:"services_healthy"`
	// ServicesRepeated counts service entries dropped because an earlier
	// entry of the same group had the same id (or name, without id).
	ServicesRepeated int `json:"services_repeated,omitempty"`
	// LastScan is the time of the last health scan: lastDeepScan (or a
	// similar key), else the newest per-service scan time; zero if none.
	LastScan time.Time `json:"last_scan,omitzero"`

	// HasComponents is true when the registry has a components list, even
	// an empty one. Components counts distinct components by status and
	// criticality ("" where the entry states none), sorted by status then
	// criticality. A component id listed more than once is counted once
	// and its last entry wins (the same rule as duplicate keys);
	// ComponentsRepeated counts the entries so dropped.
	HasComponents      bool             `json:"has_components"`
	Components         []ComponentCount `json:"components,omitempty"`
	ComponentsRepeated int              `json:"components_repeated,omitempty"`

	// Providers lists the cloud providers (cloudProviders) and the AI
	// providers named by any "provider" key (aiNodes' default models,
	// nodes), each once per kind, sorted by kind then name.
	Providers []Provider `json:"providers,omitempty"`

	// CircuitBreakers is patternsSummary.circuitBreakers, or the first
	// circuitBreakers key elsewhere (a number, or the length of a list or
	// object).
	CircuitBreakers    int  `json:"circuit_breakers"`
	HasCircuitBreakers bool `json:"has_circuit_breakers"`
}

// Service is one service the registry lists.
type Service struct {
	ID   string `json:"id,omitempty"`
	Name string `json:"name,omitempty"`
	// Group is the key of the group the service sits under when services
	// is an object of lists or of maps ("core", "resilience", ...).
	Group  string `json:"group,omitempty"`
	Status string `json:"status,omitempty"`
	// Critical is the row's critical flag, nil when absent.
	Critical *bool `json:"critical,omitempty"`
	// Healthy is the last scan's verdict (lastScanHealthy, healthy); nil
	// when the registry states none.
	Healthy *bool `json:"healthy,omitempty"`
	// LatencySeconds is the last scan's latency (lastScanLatencyMs,
	// latencyMs) in seconds; nil when absent or null, which is not zero.
	LatencySeconds *float64 `json:"latency_seconds,omitempty"`
	// ScannedAt is when the service was last scanned, zero if unknown.
	ScannedAt time.Time `json:"scanned_at,omitzero"`
}

// ComponentCount is the number of distinct components with one status and
// criticality.
type ComponentCount struct {
	Status      string `json:"status"`
	Criticality string `json:"criticality"`
	Count       int    `json:"count"`
}

// Provider kinds.
const (
	ProviderAI    = "ai"
	ProviderCloud = "cloud"
)

// Provider is a cloud or AI provider the registry names.
type Provider struct {
	Name   string `json:"name"`
	Kind   string `json:"kind"`             // ProviderCloud or ProviderAI
	Status string `json:"status,omitempty"` // cloudProviders' status, if any
}

// Warning is something Parse could not read as written, and what it did
// instead. Reason is event.ReasonParseError when nothing usable was
// recovered (the Snapshot is then empty and must not replace a good one),
// event.ReasonPartialParse when the document was read only in part or
// repaired, and event.ReasonDuplicate for repeated ids counted once.
type Warning struct {
	Reason event.Reason `json:"reason"`
	Detail string       `json:"detail"`
}

func (w Warning) String() string { return fmt.Sprintf("%s: %s", w.Reason, w.Detail) }

// Unusable reports whether ws says Parse recovered nothing usable.
func Unusable(ws []Warning) bool {
	for _, w := range ws {
		if w.Reason == event.ReasonParseError {
			return true
		}
	}
	return false
}
