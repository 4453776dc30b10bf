// Package event owns the canonical event: the one Go type every event
// source produces and the engine consumes, and the timestamp forms of the
// input contract (docs/events.md). It knows nothing about KPIs, windows
// or Prometheus.
package event

import "math"

// Stream names the three event streams of the input contract.
type Stream uint8

const (
	StreamAudit Stream = iota + 1
	StreamAuth
	StreamCI
)

func (s Stream) String() string {
	switch s {
	case StreamAudit:
		return "audit"
	case StreamAuth:
		return "auth"
	case StreamCI:
		return "ci"
	}
	return "unknown"
}

// Type is the canonical event type. The zero value is TypeUnknown.
type Type uint8

const (
	TypeUnknown Type = iota
	// auth
	TypeSignup
	TypeSessionStart
	TypeSetup
	// audit
	TypeToolCall
	TypeOutcome
	TypeApproval
	TypePolicyBlock
	TypeArenaRun
	TypeConsensus
	TypeChangeAccepted
	TypeChangeReverted
	TypeCircuitBreaker
	TypeInference
	// ci
	TypeQualityGate
	TypeCoverage
	TypeGovernance
	TypeDeploy
	TypeMerge
	TypeRevert
	TypeShipped
	TypeIncidentOpened
	TypeIncidentResolved
	TypeMilestoneClosed

	numTypes
)

var typeNames = [numTypes]string{
	TypeUnknown:          "",
	TypeSignup:           "signup",
	TypeSessionStart:     "session_start",
	TypeSetup:            "setup",
	TypeToolCall:         "tool_call",
	TypeOutcome:          "outcome",
	TypeApproval:         "approval",
	TypePolicyBlock:      "policy_block",
	TypeArenaRun:         "arena_run",
	TypeConsensus:        "consensus",
	TypeChangeAccepted:   "change_accepted",
	TypeChangeReverted:   "change_reverted",
	TypeCircuitBreaker:   "circuit_breaker",
	TypeInference:        "inference",
	TypeQualityGate:      "quality_gate",
	TypeCoverage:         "coverage",
	TypeGovernance:       "governance",
	TypeDeploy:           "deploy",
	TypeMerge:            "merge",
	TypeRevert:           "revert",
	TypeShipped:          "shipped",
	TypeIncidentOpened:   "incident_opened",
	TypeIncidentResolved: "incident_resolved",
	TypeMilestoneClosed:  "milestone_closed",
}

func (t Type) String() string {
	if t < numTypes {
		return typeNames[t]
	}
	return ""
}

// Stream returns the stream a type belongs to (0 for TypeUnknown).
func (t Type) Stream() Stream {
	switch {
	case t >= TypeSignup && t <= TypeSetup:
		return StreamAuth
	case t >= TypeToolCall && t <= TypeInference:
		return StreamAudit
	case t >= TypeQualityGate && t <= TypeMilestoneClosed:
		return StreamCI
	}
	return 0
}

// ParseType maps a canonical type name to its Type (TypeUnknown if none).
func ParseType(s string) Type {
	for i := TypeSignup; i < numTypes; i++ {
		if typeNames[i] == s {
			return i
		}
	}
	return TypeUnknown
}

// Types lists every known type in declaration order.
func Types() []Type {
	out := make([]Type, 0, numTypes-1)
	for i := TypeSignup; i < numTypes; i++ {
		out = append(out, i)
	}
	return out
}

// NoTime marks an absent timestamp field.
const NoTime int64 = math.MinInt64

// Event is one canonical event. Which fields are meaningful depends on
// Type (see docs/events.md); absent strings are "", absent numbers are NaN
// (test with math.IsNaN), absent timestamps are NoTime.
//
// Strings produced by a Decoder may alias the decoder's input buffer and are
// valid only until the next call; whoever keeps a string must copy it
// (strings.Clone).
type Event struct {
	Time int64 // unix milliseconds, required
	Type Type

	// The hashes of ID and User, when keysSet (see SetKeys).
	keysSet bool
	userFP  uint32
	idKey   uint64
	userKey uint64

	ID   string
	User string

	// Status holds the type's outcome word: status (tool_call, outcome),
	// result (setup, arena_run, quality_gate, deploy), decision (approval)
	// or state (circuit_breaker).
	Status string
	// Receipt is the receipt id of tool_call, outcome and approval.
	Receipt string

	Tool     string
	Workflow string

	// The fields above and these two are what the engine reads for nearly
	// every event: the first 144 bytes, where they spanned four or five
	// cache lines when the numbers came last.
	DurationMS float64 // tool_call
	CostUSD    float64 // arena_run, inference

	Policy    string
	Surface   string
	Kind      string // setup: connector | ide
	Name      string // setup: connector or IDE name
	Run       string // arena_run, consensus
	Change    string // change_accepted, change_reverted, merge, revert
	Service   string // circuit_breaker, deploy
	Provider  string
	Model     string
	Routed    string // cheaper | default | fallback
	Repo      string
	Gate      string
	Env       string
	Item      string
	Incident  string
	Severity  string
	Milestone string

	Confidence float64 // consensus, 0..1
	TokensIn   float64
	TokensOut  float64
	Ratio      float64 // coverage, 0..1
	Score      float64 // governance, 0..100

	Security bool  // incident_opened
	OpenedAt int64 // shipped: unix ms or NoTime
	Due      int64 // milestone_closed: unix ms or NoTime
}

// StringFields points at every string field of e, for code that must copy
// them (strings.Clone) to outlive a decoder's buffer.
func (e *Event) StringFields() [23]*string {
	return [23]*string{&e.ID, &e.User, &e.Status, &e.Receipt, &e.Tool, &e.Workflow, &e.Policy,
		&e.Surface, &e.Kind, &e.Name, &e.Run, &e.Change, &e.Service, &e.Provider, &e.Model, &e.Routed,
		&e.Repo, &e.Gate, &e.Env, &e.Item, &e.Incident, &e.Severity, &e.Milestone}
}

// Reset clears e to the absent state of every field.
func (e *Event) Reset() {
	*e = Event{
		DurationMS: math.NaN(),
		CostUSD:    math.NaN(),
		Confidence: math.NaN(),
		TokensIn:   math.NaN(),
		TokensOut:  math.NaN(),
		Ratio:      math.NaN(),
		Score:      math.NaN(),
		OpenedAt:   NoTime,
		Due:        NoTime,
	}
}

// Reason is why an input line was skipped. The set is small and fixed: it is
// a label value of heady_exporter_source_errors_total.
type Reason string

const (
	ReasonTruncated    Reason = "truncated_json"   // JSON ends early or is malformed
	ReasonNotObject    Reason = "not_object"       // valid JSON, but not an object
	ReasonInvalidUTF8  Reason = "invalid_utf8"     // bytes that are not UTF-8
	ReasonMissingTS    Reason = "missing_ts"       // no ts field (or null)
	ReasonBadTS        Reason = "bad_ts"           // ts present but unparsable
	ReasonUnknownType  Reason = "unknown_type"     // type missing or not in the contract
	ReasonFuture       Reason = "future_timestamp" // more than 5 minutes after now
	ReasonTooLong      Reason = "line_too_long"    // longer than the configured bound
	ReasonBadField     Reason = "bad_field"        // a known field of the wrong JSON type
	ReasonUnmapped     Reason = "unmapped"         // no mapping rule matched (not an error)
	ReasonDuplicate    Reason = "duplicate_id"     // id seen before (not an error)
	ReasonTooOld       Reason = "too_old"          // older than the engine's history horizon
	ReasonReadError    Reason = "read_error"       // I/O error on the input
	ReasonParseError   Reason = "parse_error"      // polled document could not be parsed
	ReasonFetchError   Reason = "fetch_error"      // polled URL could not be fetched
	ReasonPartialParse Reason = "partial_parse"    // polled document only partly recovered
)

// Reasons is the fixed reason set, in a stable order.
var Reasons = []Reason{
	ReasonTruncated, ReasonNotObject, ReasonInvalidUTF8, ReasonMissingTS, ReasonBadTS,
	ReasonUnknownType, ReasonFuture, ReasonTooLong, ReasonBadField, ReasonUnmapped,
	ReasonDuplicate, ReasonTooOld, ReasonReadError, ReasonParseError, ReasonFetchError,
	ReasonPartialParse,
}
