package cost

import (
	"bytes"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"math"
	"time"

	"github.com/heady/heady-metrics/exporter/event"
)

// document is one parsed response (one page).
type document struct {
	events     []event.Event
	nextCursor string
	budgets    []Budget
	infra      []InfraDay
	summary    *Summary
	skipped    []skip
}

// skip is one element of a document that was left out, keyed by a hash of
// its bytes so that re-reading the same element is not counted again.
type skip struct {
	reason event.Reason
	key    string
}

// knownKeys are the top-level keys of both response shapes; a JSON object
// with none of them is not a cost document (a wrong URL, an error body).
var knownKeys = [...]string{"records", "next_cursor", "budgets", "infra", "totalCalls", "totalCostUsd", "byModel"}

// parseDocument reads a canonical cost response, the Heady budget summary
// shape, or a document holding both. A document that is not a JSON object,
// or whose top-level fields have the wrong JSON type, is an error; an
// element (record, budget, infra day) that cannot be used is skipped and
// reported in skipped.
func parseDocument(b []byte) (*document, error) {
	var top map[string]json.RawMessage
	if err := json.Unmarshal(b, &top); err != nil {
		return nil, fmt.Errorf("not a JSON object: %w", err)
	}
	if top == nil {
		return nil, errors.New("not a JSON object: null")
	}
	known := false
	for _, k := range knownKeys {
		if _, ok := top[k]; ok {
			known = true
			break
		}
	}
	if !known {
		return nil, errors.New("no known field (records, budgets, infra, totalCostUsd, byModel)")
	}

	d := &document{}
	var err error
	if d.nextCursor, err = cursorField(top["next_cursor"]); err != nil {
		return nil, fmt.Errorf("next_cursor: %w", err)
	}
	var records, budgets, infra []json.RawMessage
	for _, f := range []struct {
		name string
		dst  *[]json.RawMessage
	}{{"records", &records}, {"budgets", &budgets}, {"infra", &infra}} {
		if raw, ok := top[f.name]; ok {
			if err := json.Unmarshal(raw, f.dst); err != nil {
				return nil, fmt.Errorf("%s: want an array: %w", f.name, err)
			}
		}
	}
	for _, raw := range records {
		e, reason := parseRecord(raw)
		if reason != "" {
			d.skipped = append(d.skipped, skip{reason, elementKey("record", raw)})
			continue
		}
		d.events = append(d.events, e)
	}
	for _, raw := range budgets {
		bg, ok := parseBudget(raw)
		if !ok {
			d.skipped = append(d.skipped, skip{event.ReasonBadField, elementKey("budget", raw)})
			continue
		}
		d.budgets = append(d.budgets, bg)
	}
	for _, raw := range infra {
		day, ok := parseInfraDay(raw)
		if !ok {
			d.skipped = append(d.skipped, skip{event.ReasonBadField, elementKey("infra", raw)})
			continue
		}
		d.infra = append(d.infra, day)
	}
	if d.summary, err = parseSummary(top, &d.skipped); err != nil {
		return nil, err
	}
	return d, nil
}

func isNull(raw json.RawMessage) bool {
	return len(raw) == 0 || bytes.Equal(bytes.TrimSpace(raw), []byte("null"))
}

// cursorField accepts a string or a number (its literal text); null,
// absent and "" all mean "no more pages".
func cursorField(raw json.RawMessage) (string, error) {
	if isNull(raw) {
		return "", nil
	}
	var v any
	dec := json.NewDecoder(bytes.NewReader(raw))
	dec.UseNumber()
	if err := dec.Decode(&v); err != nil {
		return "", err
	}
	switch v := v.(type) {
	case string:
		return v, nil
	case json.Number:
		return v.String(), nil
	}
	return "", fmt.Errorf("want a string, got %s", raw)
}

type wireRecord struct {
	ID        json.RawMessage `json:"id"`
	TS        json.RawMessage `json:"ts"`
	Kind      *string         `json:"kind"`
	User      string          `json:"user"`
	Provider  string          `json:"provider"`
	Model     string          `json:"model"`
	Routed    string          `json:"routed"`
	CostUSD   *float64        `json:"cost_usd"`
	TokensIn  *float64        `json:"tokens_in"`
	TokensOut *float64        `json:"tokens_out"`
}

// parseRecord turns one cost record into a canonical inference event, or
// says why it cannot. A record without kind is taken as inference, the only
// record kind of the contract. A record without id gets one derived from
// its bytes, so that re-fetching it (after a restart) is still deduplicated.
func parseRecord(raw json.RawMessage) (event.Event, event.Reason) {
	var e event.Event
	trimmed := bytes.TrimSpace(raw)
	if len(trimmed) == 0 || trimmed[0] != '{' {
		return e, event.ReasonNotObject
	}
	var w wireRecord
	if err := json.Unmarshal(trimmed, &w); err != nil {
		return e, event.ReasonBadField
	}
	if w.Kind != nil && *w.Kind != "inference" {
		return e, event.ReasonUnknownType
	}
	if isNull(w.TS) {
		return e, event.ReasonMissingTS
	}
	ts, ok := parseTS(w.TS)
	if !ok {
		return e, event.ReasonBadTS
	}
	id, ok := idField(w.ID)
	if !ok {
		return e, event.ReasonBadField
	}
	if id == "" {
		id = elementKey("cost", trimmed)
	}
	e.Reset()
	e.Type = event.TypeInference
	e.Time = ts
	e.ID = id
	e.User = w.User
	e.Provider = w.Provider
	e.Model = w.Model
	e.Routed = w.Routed
	e.CostUSD = orNaN(w.CostUSD)
	e.TokensIn = orNaN(w.TokensIn)
	e.TokensOut = orNaN(w.TokensOut)
	return e, ""
}

// parseTS hands event.ParseTime the text of a JSON string or the literal of
// a JSON number, as it expects.
func parseTS(raw json.RawMessage) (int64, bool) {
	raw = bytes.TrimSpace(raw)
	if len(raw) == 0 {
		return 0, false
	}
	switch c := raw[0]; {
	case c == '"':
		var s string
		if json.Unmarshal(raw, &s) != nil {
			return 0, false
		}
		return event.ParseTime([]byte(s))
	case c == '-' || (c >= '0' && c <= '9'):
		return event.ParseTime(raw)
	}
	return 0, false
}

// idField accepts a string or a number id; null and absent give "".
func idField(raw json.RawMessage) (string, bool) {
	id, err := cursorField(raw)
	return id, err == nil
}

func orNaN(p *float64) float64 {
	if p == nil {
		return math.NaN()
	}
	return *p
}

type wireBudget struct {
	Name     string   `json:"name"`
	CapUSD   *float64 `json:"cap_usd"`
	SpentUSD *float64 `json:"spent_usd"`
}

func parseBudget(raw json.RawMessage) (Budget, bool) {
	var w wireBudget
	if err := json.Unmarshal(raw, &w); err != nil || w.Name == "" || w.SpentUSD == nil || !finite(*w.SpentUSD) {
		return Budget{}, false
	}
	b := Budget{Name: w.Name, SpentUSD: *w.SpentUSD}
	if w.CapUSD != nil {
		if !finite(*w.CapUSD) || *w.CapUSD < 0 {
			return Budget{}, false
		}
		b.CapUSD = *w.CapUSD
	}
	return b, true
}

type wireInfraDay struct {
	Date    string   `json:"date"`
	CostUSD *float64 `json:"cost_usd"`
}

func parseInfraDay(raw json.RawMessage) (InfraDay, bool) {
	var w wireInfraDay
	if err := json.Unmarshal(raw, &w); err != nil || w.CostUSD == nil || !finite(*w.CostUSD) {
		return InfraDay{}, false
	}
	if _, err := time.Parse(time.DateOnly, w.Date); err != nil {
		return InfraDay{}, false
	}
	return InfraDay{Date: w.Date, CostUSD: *w.CostUSD}, true
}

type wireModelSpend struct {
	Calls *float64 `json:"calls"`
	Cost  *float64 `json:"cost"`
	// CostUsd is accepted where a writer spells the per-model cost like the
	// total (totalCostUsd).
	CostUsd *float64 `json:"costUsd"`
}

// parseSummary reads the Heady budget summary shape
// {totalCalls, totalCostUsd, byModel: {model: {calls, cost}}}, if any of its
// fields is there. A byModel entry that cannot be read is skipped.
func parseSummary(top map[string]json.RawMessage, skipped *[]skip) (*Summary, error) {
	rawCalls, okCalls := top["totalCalls"]
	rawCost, okCost := top["totalCostUsd"]
	rawBy, okBy := top["byModel"]
	if !okCalls && !okCost && !okBy {
		return nil, nil
	}
	s := &Summary{}
	for _, f := range []struct {
		name string
		raw  json.RawMessage
		dst  *float64
	}{{"totalCalls", rawCalls, &s.TotalCalls}, {"totalCostUsd", rawCost, &s.TotalCostUSD}} {
		if isNull(f.raw) {
			continue
		}
		var v float64
		if err := json.Unmarshal(f.raw, &v); err != nil {
			return nil, fmt.Errorf("%s: want a number: %w", f.name, err)
		}
		*f.dst = v
	}
	if isNull(rawBy) {
		return s, nil
	}
	var by map[string]json.RawMessage
	if err := json.Unmarshal(rawBy, &by); err != nil {
		return nil, fmt.Errorf("byModel: want an object: %w", err)
	}
	s.ByModel = make(map[string]ModelSpend, len(by))
	for name, raw := range by {
		var w wireModelSpend
		err := json.Unmarshal(raw, &w)
		cost := w.Cost
		if cost == nil {
			cost = w.CostUsd
		}
		if err != nil || cost == nil || !finite(*cost) {
			*skipped = append(*skipped, skip{event.ReasonBadField, elementKey("model:"+name, raw)})
			continue
		}
		ms := ModelSpend{CostUSD: *cost}
		if w.Calls != nil {
			ms.Calls = *w.Calls
		}
		s.ByModel[name] = ms
	}
	return s, nil
}

func finite(f float64) bool { return !math.IsNaN(f) && !math.IsInf(f, 0) }

// elementKey is a stable identity for an element's bytes.
func elementKey(kind string, raw []byte) string {
	h := sha256.New()
	h.Write([]byte(kind))
	h.Write([]byte{0})
	h.Write(bytes.TrimSpace(raw))
	return kind + ":" + hex.EncodeToString(h.Sum(nil)[:16])
}
