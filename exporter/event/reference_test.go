package event

import (
	"bytes"
	"encoding/json"
	"math"
	"math/big"
	"regexp"
	"strconv"
	"strings"
	"time"
	"unicode/utf8"
)

// This file holds slow, obviously-correct implementations of the decoding
// contract, built on encoding/json, math/big and time.Parse. The fuzz
// targets check the fast code against them.

var (
	refRFC3339 = regexp.MustCompile(`^\d{4}-\d{2}-\d{2}[Tt ]\d{2}:\d{2}:\d{2}(\.\d+)?([Zz]|[+-](\d{2}):(\d{2}))$`)
	refNumber  = regexp.MustCompile(`^-?(0|[1-9]\d*)(\.\d+)?([eE][+-]?\d+)?$`)
)

// refParseTime is ParseTimeString by time.Parse and big.Rat.
func refParseTime(s string) (int64, bool) {
	if m := refRFC3339.FindStringSubmatch(s); m != nil {
		if m[3] != "" { // time.Parse does not range-check the offset
			if h, _ := strconv.Atoi(m[3]); h > 23 {
				return 0, false
			}
			if mm, _ := strconv.Atoi(m[4]); mm > 59 {
				return 0, false
			}
		}
		norm := []byte(s)
		norm[10] = 'T'
		if norm[len(norm)-1] == 'z' {
			norm[len(norm)-1] = 'Z'
		}
		t, err := time.Parse(time.RFC3339Nano, string(norm))
		if err != nil {
			return 0, false
		}
		return t.UnixMilli(), true
	}
	if !refNumber.MatchString(s) || s[0] == '-' {
		return 0, false
	}
	// Keep big.Rat away from absurd exponents.
	mant, exp, _ := strings.Cut(strings.ToLower(s), "e")
	if exp != "" {
		x, err := strconv.Atoi(exp)
		if err != nil || x > 1000 || x < -1000 {
			if strings.Trim(mant, "0.") == "" {
				return 0, true // zero
			}
			if strings.HasPrefix(exp, "-") {
				return 0, true // 0 < value < 1 second
			}
			return 0, false // too large
		}
	}
	v, ok := new(big.Rat).SetString(s)
	if !ok {
		return 0, false
	}
	if v.Cmp(big.NewRat(1e11, 1)) < 0 { // seconds
		v.Mul(v, big.NewRat(1000, 1))
	}
	ms := new(big.Int).Quo(v.Num(), v.Denom()) // v >= 0: truncation is floor
	if !ms.IsInt64() || ms.Int64() > MaxEpochMS {
		return 0, false
	}
	return ms.Int64(), true
}

// refDepth is the deepest nesting of arrays and objects in valid JSON b.
func refDepth(b []byte) int {
	depth, deepest := 0, 0
	inString, escaped := false, false
	for _, c := range b {
		switch {
		case inString && escaped:
			escaped = false
		case inString && c == '\\':
			escaped = true
		case inString && c == '"':
			inString = false
		case inString:
		case c == '"':
			inString = true
		case c == '{' || c == '[':
			depth++
			deepest = max(deepest, depth)
		case c == '}' || c == ']':
			depth--
		}
	}
	return deepest
}

// refDecode is Decoder.Decode by encoding/json.
func refDecode(line []byte, maxLine int) (Event, Reason) {
	var e Event
	e.Reset()
	if maxLine <= 0 {
		maxLine = DefaultMaxLineBytes
	}
	if len(line) > maxLine {
		return e, ReasonTooLong
	}
	line = bytes.TrimPrefix(line, []byte("\xEF\xBB\xBF"))
	if !utf8.Valid(line) {
		return e, ReasonInvalidUTF8
	}
	if !json.Valid(line) || refDepth(line) > MaxDepth {
		return e, ReasonTruncated
	}
	var v any
	dec := json.NewDecoder(bytes.NewReader(line))
	dec.UseNumber()
	if err := dec.Decode(&v); err != nil {
		panic("json.Valid but: " + err.Error())
	}
	m, ok := v.(map[string]any)
	if !ok {
		return e, ReasonNotObject
	}

	// text is the text of a string or number.
	text := func(v any) (string, bool) {
		switch v := v.(type) {
		case string:
			return v, true
		case json.Number:
			return string(v), true
		}
		return "", false
	}
	timeField := func(key string) (int64, bool) { // absent is ok
		v, found := m[key]
		if !found || v == nil {
			return NoTime, true
		}
		s, ok := text(v)
		if !ok {
			return NoTime, false
		}
		ms, ok := refParseTime(s)
		if !ok {
			return NoTime, false
		}
		return ms, true
	}

	if v := m["ts"]; v == nil {
		return e, ReasonMissingTS
	}
	ts, ok := timeField("ts")
	if !ok {
		return e, ReasonBadTS
	}
	e.Time = ts

	typ := ""
	if v, found := m["type"]; found && v != nil {
		if typ, ok = text(v); !ok {
			return e, ReasonUnknownType
		}
	}
	e.Type = ParseType(typ)
	if e.Type == TypeUnknown {
		return e, ReasonUnknownType
	}

	bad := false
	str := func(key string) string {
		v := m[key]
		if v == nil {
			return ""
		}
		s, ok := text(v)
		bad = bad || !ok
		return s
	}
	num := func(key string) float64 {
		switch v := m[key].(type) {
		case nil:
			return math.NaN()
		case json.Number:
			f, err := strconv.ParseFloat(string(v), 64)
			bad = bad || err != nil
			return f
		case string:
			if !refNumber.MatchString(v) {
				bad = true
				return math.NaN()
			}
			f, err := strconv.ParseFloat(v, 64)
			bad = bad || err != nil
			return f
		}
		bad = true
		return math.NaN()
	}

	e.ID = str("id")
	e.User = str("user")
	words := [4]string{str("status"), str("result"), str("decision"), str("state")}
	own := map[Type]int{
		TypeToolCall: 0, TypeOutcome: 0,
		TypeSetup: 1, TypeArenaRun: 1, TypeQualityGate: 1, TypeDeploy: 1,
		TypeApproval: 2, TypeCircuitBreaker: 3,
	}
	if i, found := own[e.Type]; found && words[i] != "" {
		e.Status = words[i]
	} else {
		for _, w := range words {
			if w != "" {
				e.Status = w
				break
			}
		}
	}
	e.Receipt = str("receipt")
	e.Tool = str("tool")
	e.Workflow = str("workflow")
	e.Policy = str("policy")
	e.Surface = str("surface")
	e.Kind = str("kind")
	e.Name = str("name")
	e.Run = str("run")
	e.Change = str("change")
	e.Service = str("service")
	e.Provider = str("provider")
	e.Model = str("model")
	e.Routed = str("routed")
	e.Repo = str("repo")
	e.Gate = str("gate")
	e.Env = str("env")
	e.Item = str("item")
	e.Incident = str("incident")
	e.Severity = str("severity")
	e.Milestone = str("milestone")

	e.DurationMS = num("duration_ms")
	e.CostUSD = num("cost_usd")
	e.Confidence = num("confidence")
	e.TokensIn = num("tokens_in")
	e.TokensOut = num("tokens_out")
	e.Ratio = num("ratio")
	e.Score = num("score")

	switch v := m["security"]; v {
	case nil, false, "false":
	case true, "true":
		e.Security = true
	default:
		bad = true
	}
	var okOpened, okDue bool
	e.OpenedAt, okOpened = timeField("opened_at")
	e.Due, okDue = timeField("due")
	if bad || !okOpened || !okDue {
		return e, ReasonBadField
	}
	return e, ""
}
