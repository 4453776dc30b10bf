package event

import (
	"math"
	"strconv"
	"unicode/utf8"

	"github.com/heady/heady-metrics/internal/jsonscan"
)

// DefaultMaxLineBytes bounds a line when Decoder.MaxLineBytes is 0.
const DefaultMaxLineBytes = 1 << 20

// MaxDepth bounds the nesting of arrays and objects in a line, the line's
// own object included. Deeper lines are malformed (ReasonTruncated).
const MaxDepth = jsonscan.MaxDepth

// A Decoder reads lines of the canonical JSONL shape (docs/events.md) into
// Events. It is a hand-written single-pass scanner: it allocates nothing for
// a line without string escapes, and for a line with escapes only until its
// scratch buffer has grown to the longest such line.
//
// The zero Decoder is ready to use. A Decoder is not safe for concurrent
// use; give each goroutine its own.
type Decoder struct {
	// MaxLineBytes bounds the length of a line, BOM and whitespace
	// included; 0 means DefaultMaxLineBytes.
	MaxLineBytes int

	scratch []byte // unescaped string values of the current line
	tmp     []byte // unescaped key or numeric string, used at once
}

// Decode decodes one line into e and returns "" or the reason the line must
// be skipped. It resets e first. On a non-empty reason the content of e is
// unspecified.
//
// Strings in e alias line (or the Decoder's scratch buffer for strings with
// escapes): they are valid only while line is unchanged and until the next
// call of Decode; copy what you keep (strings.Clone).
//
// The rules, checked in this order (the first that fails is the reason):
//
//  1. The line is at most MaxLineBytes long: ReasonTooLong.
//  2. After an optional leading UTF-8 BOM the whole line is valid UTF-8:
//     ReasonInvalidUTF8. (The whole line is checked, not only strings: a
//     non-ASCII byte outside a string is a syntax error anyway.)
//  3. It is one JSON value, with JSON whitespace (space, tab, CR, LF) around
//     it, nested at most MaxDepth deep: ReasonTruncated otherwise.
//  4. The value is an object: ReasonNotObject.
//  5. ts is present and not null: ReasonMissingTS; it is a timestamp
//     accepted by ParseTime (a string or a number): ReasonBadTS.
//  6. type is one of the contract's types (ParseType): ReasonUnknownType.
//  7. Every known field has a usable JSON type: ReasonBadField.
//
// Keys match exactly (case-sensitive, after unescaping); unknown keys and
// their values are skipped. When a key repeats, the last one wins, as with
// encoding/json. A null value is the same as an absent key. Known fields:
//
//   - Strings (id, user, receipt, tool, ... milestone, and the outcome
//     words status, result, decision, state): a string, or a number whose
//     literal text is taken as is (ids are sometimes numeric). A bool,
//     object or array is a bad field.
//   - Numbers (duration_ms, cost_usd, confidence, tokens_in, tokens_out,
//     ratio, score): a number, or a string holding exactly a JSON number.
//     Anything else, or a value out of float64 range, is a bad field.
//   - security: true, false, "true" or "false"; anything else is a bad field.
//   - Timestamps opened_at and due: any form ParseTime accepts, else a bad
//     field.
//   - type: a string (or a number's text); anything else is an unknown type.
//
// Event.Status is the outcome word of the event's type (status for
// tool_call and outcome; result for setup, arena_run, quality_gate and
// deploy; decision for approval; state for circuit_breaker) if that is
// non-empty, else the first non-empty of status, result, decision, state.
func (d *Decoder) Decode(line []byte, e *Event) Reason {
	e.Reset()
	limit := d.MaxLineBytes
	if limit <= 0 {
		limit = DefaultMaxLineBytes
	}
	if len(line) > limit {
		return ReasonTooLong
	}
	if len(line) >= 3 && line[0] == 0xEF && line[1] == 0xBB && line[2] == 0xBF {
		line = line[3:]
	}
	if !utf8.Valid(line) {
		return ReasonInvalidUTF8
	}
	d.scratch = d.scratch[:0]

	st := lineState{d: d, e: e}
	b := line
	i := jsonscan.SkipWS(b, 0)
	if i == len(b) {
		return ReasonTruncated
	}
	if b[i] != '{' {
		_, _, _, next := scanValue(b, i, 0)
		if next < 0 || jsonscan.SkipWS(b, next) != len(b) {
			return ReasonTruncated
		}
		return ReasonNotObject
	}
	i = jsonscan.SkipWS(b, i+1)
	if i < len(b) && b[i] == '}' {
		i++
	} else {
		for {
			if i >= len(b) || b[i] != '"' {
				return ReasonTruncated
			}
			kEnd, kEsc, next := jsonscan.ScanString(b, i+1)
			if next < 0 {
				return ReasonTruncated
			}
			f := lookupField(d.key(b[i+1:kEnd], kEsc))
			i = jsonscan.SkipWS(b, next)
			if i >= len(b) || b[i] != ':' {
				return ReasonTruncated
			}
			i = jsonscan.SkipWS(b, i+1)
			if i >= len(b) {
				return ReasonTruncated
			}
			k, start, end, next := scanValue(b, i, 1)
			if next < 0 {
				return ReasonTruncated
			}
			if f != fieldNone {
				st.set(f, k, b[start:end])
			}
			i = jsonscan.SkipWS(b, next)
			if i < len(b) && b[i] == ',' {
				i = jsonscan.SkipWS(b, i+1)
				continue
			}
			if i < len(b) && b[i] == '}' {
				i++
				break
			}
			return ReasonTruncated
		}
	}
	if jsonscan.SkipWS(b, i) != len(b) {
		return ReasonTruncated
	}
	return st.finish()
}

// key returns the key whose raw content (between the quotes) is raw. The
// result of an escaped key is valid until the next use of d.tmp.
func (d *Decoder) key(raw []byte, esc bool) string {
	if !esc {
		return jsonscan.String(raw)
	}
	d.tmp = jsonscan.AppendUnescaped(d.tmp[:0], raw)
	return jsonscan.String(d.tmp)
}

// str returns the string whose raw content is raw, aliasing the line when
// it has no escape; otherwise it is unescaped into d.scratch.
func (d *Decoder) str(raw []byte, esc bool) string {
	if !esc {
		return jsonscan.String(raw)
	}
	// Only appended to during a line: should the buffer move, the strings
	// already handed out keep the old array, which nothing writes again.
	start := len(d.scratch)
	d.scratch = jsonscan.AppendUnescaped(d.scratch, raw)
	return jsonscan.String(d.scratch[start:])
}

// JSON value kinds reported by scanValue.
type kind uint8

const (
	kindString    kind = iota + 1 // start:end is the raw content between the quotes
	kindStringEsc                 // a string with at least one escape
	kindNumber                    // start:end is the literal
	kindTrue
	kindFalse
	kindNull
	kindContainer // an array or object, skipped
)

// field identifies a known key.
type field uint8

const (
	fieldNone field = iota
	fieldTS
	fieldType
	fieldSecurity
	fieldOpenedAt
	fieldDue
	// outcome words, in fallback order
	fieldStatus
	fieldResult
	fieldDecision
	fieldState
	// string fields
	fieldID
	fieldUser
	fieldReceipt
	fieldTool
	fieldWorkflow
	fieldPolicy
	fieldSurface
	fieldKind
	fieldName
	fieldRun
	fieldChange
	fieldService
	fieldProvider
	fieldModel
	fieldRouted
	fieldRepo
	fieldGate
	fieldEnv
	fieldItem
	fieldIncident
	fieldSeverity
	fieldMilestone
	// number fields
	fieldDurationMS
	fieldCostUSD
	fieldConfidence
	fieldTokensIn
	fieldTokensOut
	fieldRatio
	fieldScore

	numFields
)

// The field ids must fit lineState.bad.
var _ [64 - numFields]struct{}

func lookupField(k string) field {
	switch k {
	case "ts":
		return fieldTS
	case "type":
		return fieldType
	case "id":
		return fieldID
	case "user":
		return fieldUser
	case "status":
		return fieldStatus
	case "result":
		return fieldResult
	case "decision":
		return fieldDecision
	case "state":
		return fieldState
	case "receipt":
		return fieldReceipt
	case "tool":
		return fieldTool
	case "workflow":
		return fieldWorkflow
	case "policy":
		return fieldPolicy
	case "surface":
		return fieldSurface
	case "kind":
		return fieldKind
	case "name":
		return fieldName
	case "run":
		return fieldRun
	case "change":
		return fieldChange
	case "service":
		return fieldService
	case "provider":
		return fieldProvider
	case "model":
		return fieldModel
	case "routed":
		return fieldRouted
	case "repo":
		return fieldRepo
	case "gate":
		return fieldGate
	case "env":
		return fieldEnv
	case "item":
		return fieldItem
	case "incident":
		return fieldIncident
	case "severity":
		return fieldSeverity
	case "milestone":
		return fieldMilestone
	case "duration_ms":
		return fieldDurationMS
	case "cost_usd":
		return fieldCostUSD
	case "confidence":
		return fieldConfidence
	case "tokens_in":
		return fieldTokensIn
	case "tokens_out":
		return fieldTokensOut
	case "ratio":
		return fieldRatio
	case "score":
		return fieldScore
	case "security":
		return fieldSecurity
	case "opened_at":
		return fieldOpenedAt
	case "due":
		return fieldDue
	}
	return fieldNone
}

// tsState is the state of the ts field while a line is read.
type tsState uint8

const (
	tsAbsent tsState = iota
	tsOK
	tsBad
)

// lineState collects what the fields of one line say; finish turns it into
// the reason.
type lineState struct {
	d       *Decoder
	e       *Event
	ts      tsState
	typ     string
	typeBad bool      // type was a bool, object or array
	words   [4]string // status, result, decision, state
	bad     uint64    // bit f: the last value of field f was unusable
}

func (st *lineState) set(f field, k kind, raw []byte) {
	ok := true
	switch f {
	case fieldTS:
		st.ts = tsBad
		switch k {
		case kindNull:
			st.ts = tsAbsent
		case kindString, kindStringEsc, kindNumber:
			if ms, good := ParseTimeString(st.text(k, raw)); good {
				st.e.Time, st.ts = ms, tsOK
			}
		}
		return
	case fieldType:
		st.typ, st.typeBad = "", false
		switch k {
		case kindString, kindStringEsc, kindNumber:
			st.typ = st.d.str(raw, k == kindStringEsc)
		case kindNull:
		default:
			st.typeBad = true
		}
		return
	case fieldSecurity:
		st.e.Security = false
		switch k {
		case kindTrue:
			st.e.Security = true
		case kindFalse, kindNull:
		case kindString, kindStringEsc:
			switch st.text(k, raw) {
			case "true":
				st.e.Security = true
			case "false":
			default:
				ok = false
			}
		default:
			ok = false
		}
	case fieldOpenedAt, fieldDue:
		p := &st.e.OpenedAt
		if f == fieldDue {
			p = &st.e.Due
		}
		*p = NoTime
		switch k {
		case kindNull:
		case kindString, kindStringEsc, kindNumber:
			*p, ok = ParseTimeString(st.text(k, raw))
			if !ok {
				*p = NoTime
			}
		default:
			ok = false
		}
	case fieldStatus, fieldResult, fieldDecision, fieldState:
		p := &st.words[f-fieldStatus]
		*p, ok = st.stringValue(k, raw)
	case fieldDurationMS, fieldCostUSD, fieldConfidence, fieldTokensIn, fieldTokensOut, fieldRatio, fieldScore:
		p := st.e.number(f)
		*p = math.NaN()
		switch k {
		case kindNull:
		case kindNumber:
			*p, ok = parseFloat(jsonscan.String(raw))
		case kindString, kindStringEsc:
			s := st.text(k, raw)
			ok = jsonscan.IsNumber(s)
			if ok {
				*p, ok = parseFloat(s)
			}
		default:
			ok = false
		}
	default:
		p := st.e.str(f)
		*p, ok = st.stringValue(k, raw)
	}
	if ok {
		st.bad &^= 1 << f
	} else {
		st.bad |= 1 << f
	}
}

// stringValue is the value of a string field.
func (st *lineState) stringValue(k kind, raw []byte) (string, bool) {
	switch k {
	case kindString, kindNumber:
		return jsonscan.String(raw), true
	case kindStringEsc:
		return st.d.str(raw, true), true
	case kindNull:
		return "", true
	}
	return "", false
}

// text is the content of a string or number value for immediate use only:
// an escaped string is unescaped into the Decoder's temporary buffer.
func (st *lineState) text(k kind, raw []byte) string {
	if k == kindStringEsc {
		return st.d.key(raw, true)
	}
	return jsonscan.String(raw)
}

func (st *lineState) finish() Reason {
	switch st.ts {
	case tsAbsent:
		return ReasonMissingTS
	case tsBad:
		return ReasonBadTS
	}
	t := ParseType(st.typ)
	if st.typeBad || t == TypeUnknown {
		return ReasonUnknownType
	}
	if st.bad != 0 {
		return ReasonBadField
	}
	st.e.Type = t
	st.e.Status = statusWord(t, &st.words)
	return ""
}

// statusWord picks Event.Status from the outcome words of a line.
func statusWord(t Type, w *[4]string) string {
	own := -1
	switch t {
	case TypeToolCall, TypeOutcome:
		own = 0
	case TypeSetup, TypeArenaRun, TypeQualityGate, TypeDeploy:
		own = 1
	case TypeApproval:
		own = 2
	case TypeCircuitBreaker:
		own = 3
	}
	if own >= 0 && w[own] != "" {
		return w[own]
	}
	for _, s := range w {
		if s != "" {
			return s
		}
	}
	return ""
}

func (e *Event) str(f field) *string {
	switch f {
	case fieldID:
		return &e.ID
	case fieldUser:
		return &e.User
	case fieldReceipt:
		return &e.Receipt
	case fieldTool:
		return &e.Tool
	case fieldWorkflow:
		return &e.Workflow
	case fieldPolicy:
		return &e.Policy
	case fieldSurface:
		return &e.Surface
	case fieldKind:
		return &e.Kind
	case fieldName:
		return &e.Name
	case fieldRun:
		return &e.Run
	case fieldChange:
		return &e.Change
	case fieldService:
		return &e.Service
	case fieldProvider:
		return &e.Provider
	case fieldModel:
		return &e.Model
	case fieldRouted:
		return &e.Routed
	case fieldRepo:
		return &e.Repo
	case fieldGate:
		return &e.Gate
	case fieldEnv:
		return &e.Env
	case fieldItem:
		return &e.Item
	case fieldIncident:
		return &e.Incident
	case fieldSeverity:
		return &e.Severity
	case fieldMilestone:
		return &e.Milestone
	}
	panic("event: not a string field: " + strconv.Itoa(int(f)))
}

func (e *Event) number(f field) *float64 {
	switch f {
	case fieldDurationMS:
		return &e.DurationMS
	case fieldCostUSD:
		return &e.CostUSD
	case fieldConfidence:
		return &e.Confidence
	case fieldTokensIn:
		return &e.TokensIn
	case fieldTokensOut:
		return &e.TokensOut
	case fieldRatio:
		return &e.Ratio
	case fieldScore:
		return &e.Score
	}
	panic("event: not a number field: " + strconv.Itoa(int(f)))
}

// parseFloat parses a JSON number literal; out of float64 range is not ok.
func parseFloat(s string) (float64, bool) {
	v, err := strconv.ParseFloat(s, 64)
	return v, err == nil
}

// scanValue scans the JSON value starting at b[i] (not whitespace), inside
// depth enclosing containers. It returns the value's kind, the bounds of its
// content (see kind) and the index after it, or next < 0 if malformed.
func scanValue(b []byte, i, depth int) (k kind, start, end, next int) {
	switch c := b[i]; c {
	case '"':
		end, esc, next := jsonscan.ScanString(b, i+1)
		if esc {
			return kindStringEsc, i + 1, end, next
		}
		return kindString, i + 1, end, next
	case '{', '[':
		return kindContainer, i, i, jsonscan.SkipValue(b, i, depth)
	case 't':
		return kindTrue, i, i, jsonscan.Literal(b, i, "true")
	case 'f':
		return kindFalse, i, i, jsonscan.Literal(b, i, "false")
	case 'n':
		return kindNull, i, i, jsonscan.Literal(b, i, "null")
	default:
		next := jsonscan.ScanNumber(b, i)
		return kindNumber, i, max(next, i), next
	}
}
