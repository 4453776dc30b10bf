package preset

import (
	"fmt"
	"math"
	"strings"
	"time"

	"go.yaml.in/yaml/v3"

	"github.com/heady/heady-metrics/exporter/event"
	"github.com/heady/heady-metrics/internal/jsonscan"
)

// Error is a mapping that cannot be compiled: the YAML line, the dotted key
// of the offending part (mapping.rules[2].match[0]) and what is wrong.
type Error struct {
	Line int
	Key  string
	Msg  string
}

func (e *Error) Error() string { return fmt.Sprintf("line %d: %s: %s", e.Line, e.Key, e.Msg) }

// target is a canonical field an emit sets.
type target uint8

const (
	_ target = iota // the zero target: none
	// strings
	tID
	tUser
	tStatus
	tReceipt
	tTool
	tWorkflow
	tPolicy
	tSurface
	tKind
	tName
	tRun
	tChange
	tService
	tProvider
	tModel
	tRouted
	tRepo
	tGate
	tEnv
	tItem
	tIncident
	tSeverity
	tMilestone
	// numbers
	tDurationMS
	tCostUSD
	tConfidence
	tTokensIn
	tTokensOut
	tRatio
	tScore
	// bool
	tSecurity
	// timestamps
	tOpenedAt
	tDue
)

// targets maps the canonical field names of docs/events.md to targets. The
// four outcome words all set Event.Status.
var targets = map[string]target{
	"id": tID, "user": tUser, "status": tStatus, "result": tStatus, "decision": tStatus, "state": tStatus,
	"receipt": tReceipt, "tool": tTool, "workflow": tWorkflow, "policy": tPolicy, "surface": tSurface,
	"kind": tKind, "name": tName, "run": tRun, "change": tChange, "service": tService,
	"provider": tProvider, "model": tModel, "routed": tRouted, "repo": tRepo, "gate": tGate,
	"env": tEnv, "item": tItem, "incident": tIncident, "severity": tSeverity, "milestone": tMilestone,
	"duration_ms": tDurationMS, "cost_usd": tCostUSD, "confidence": tConfidence,
	"tokens_in": tTokensIn, "tokens_out": tTokensOut, "ratio": tRatio, "score": tScore,
	"security": tSecurity, "opened_at": tOpenedAt, "due": tDue,
}

func (t target) isString() bool { return t >= tID && t <= tMilestone }
func (t target) isNumber() bool { return t >= tDurationMS && t <= tScore }
func (t target) isTime() bool   { return t == tOpenedAt || t == tDue }

// op is a match operator.
type op uint8

const (
	opEquals op = iota + 1
	opNotEquals
	opIn
	opNotIn
	opExists
	opGT
	opGE
	opLT
	opLE
)

var ops = map[string]op{
	"equals": opEquals, "not_equals": opNotEquals, "in": opIn, "not_in": opNotIn,
	"exists": opExists, "gt": opGT, "ge": opGE, "lt": opLT, "le": opLE,
}

const opList = "equals, not_equals, in, not_in, exists, gt, ge, lt, le"

type cond struct {
	ref   ref
	op    op
	text  string   // equals, not_equals
	num   float64  // equals (when numeric), gt, ge, lt, le
	isNum bool     // text is a number
	set   []string // in, not_in
	nums  []float64
	yes   bool // exists
}

type specKind uint8

const (
	vPath specKind = iota + 1
	vConst
	vTemplate
	vFirst
	vProduct
)

// valueSpec says where a field's value comes from.
type valueSpec struct {
	kind specKind
	ref  ref

	vmap        []pair // value map, looked up in order (a few entries)
	unmapped    string
	hasUnmapped bool
	def         string
	hasDef      bool
	nonzero     bool
	layout      string // time targets: a Go layout read as UTC; "" = any contract form

	constText string

	tmpl    []tmplPart
	first   []*valueSpec
	factors []factor
}

type pair struct{ from, to string }

type tmplKind uint8

const (
	tkLit tmplKind = iota
	tkRef
	tkIndex
	tkLine
)

type tmplPart struct {
	kind tmplKind
	lit  string
	ref  ref
}

type factor struct {
	ref     ref
	isConst bool
	c       float64
}

type fieldSet struct {
	target target
	spec   *valueSpec
	plain  bool // a bare path: no map, default or nonzero
}

type emitSpec struct {
	typ    event.Type
	fan    int // the [*] array this emit fans out over, or -1
	when   []cond
	fields []fieldSet
}

type timeSpec struct {
	ref    ref
	layout string
}

type rule struct {
	name  string
	match []cond
	time  timeSpec
	emits []emitSpec
}

// program is a compiled mapping: immutable, shared by decoders.
type program struct {
	trie  *trie
	rules []rule
}

type compiler struct {
	t *trie
}

func errAt(n *yaml.Node, key, format string, args ...any) error {
	return &Error{Line: n.Line, Key: key, Msg: fmt.Sprintf(format, args...)}
}

func deref(n *yaml.Node) *yaml.Node {
	for n != nil && n.Kind == yaml.AliasNode {
		n = n.Alias
	}
	return n
}

type member struct {
	name string
	key  *yaml.Node
	val  *yaml.Node
}

// members returns the pairs of a mapping node, refusing repeated keys.
func members(n *yaml.Node, key string) ([]member, error) {
	n = deref(n)
	if n == nil || n.Kind != yaml.MappingNode {
		return nil, errAt(orNode(n), key, "expected a mapping")
	}
	out := make([]member, 0, len(n.Content)/2)
	seen := map[string]bool{}
	for i := 0; i+1 < len(n.Content); i += 2 {
		k, v := n.Content[i], deref(n.Content[i+1])
		if k.Kind != yaml.ScalarNode {
			return nil, errAt(k, key, "expected a string key")
		}
		if seen[k.Value] {
			return nil, errAt(k, key, "key %q given twice", k.Value)
		}
		seen[k.Value] = true
		out = append(out, member{k.Value, k, v})
	}
	return out, nil
}

func orNode(n *yaml.Node) *yaml.Node {
	if n == nil {
		return &yaml.Node{}
	}
	return n
}

func scalar(n *yaml.Node, key string) (string, error) {
	if n == nil || n.Kind != yaml.ScalarNode || n.Tag == "!!null" {
		return "", errAt(orNode(n), key, "expected a single value")
	}
	return n.Value, nil
}

func sequence(n *yaml.Node, key string) ([]*yaml.Node, error) {
	if n == nil || n.Kind != yaml.SequenceNode {
		return nil, errAt(orNode(n), key, "expected a list")
	}
	out := make([]*yaml.Node, len(n.Content))
	for i, c := range n.Content {
		out[i] = deref(c)
	}
	return out, nil
}

// compile turns the YAML of a mapping (the value of an input's mapping:
// key, or a preset file) into a program. key is the name errors give the
// mapping itself ("mapping").
func compile(n *yaml.Node, key string) (*program, error) {
	if n != nil && n.Kind == yaml.DocumentNode && len(n.Content) == 1 {
		n = n.Content[0]
	}
	c := &compiler{t: newTrie()}
	ms, err := members(n, key)
	if err != nil {
		return nil, err
	}
	var defTime *timeSpec
	var rulesNode *yaml.Node
	for _, m := range ms {
		switch m.name {
		case "time":
			ts, err := c.time(m.val, key+".time")
			if err != nil {
				return nil, err
			}
			defTime = &ts
		case "rules":
			rulesNode = m.val
		default:
			return nil, errAt(m.key, key, "unknown key %q (want time, rules)", m.name)
		}
	}
	if rulesNode == nil {
		return nil, errAt(deref(n), key, "rules: required, at least one rule")
	}
	list, err := sequence(rulesNode, key+".rules")
	if err != nil {
		return nil, err
	}
	if len(list) == 0 {
		return nil, errAt(rulesNode, key+".rules", "at least one rule is required")
	}
	p := &program{trie: c.t}
	for i, rn := range list {
		r, err := c.rule(rn, fmt.Sprintf("%s.rules[%d]", key, i), defTime)
		if err != nil {
			return nil, err
		}
		p.rules = append(p.rules, r)
	}
	c.t.finish()
	return p, nil
}

func (c *compiler) path(n *yaml.Node, key string, s string) (ref, error) {
	r, err := c.t.add(s)
	if err != nil {
		return ref{}, errAt(n, key, "%v", err)
	}
	return r, nil
}

func (c *compiler) rule(n *yaml.Node, key string, defTime *timeSpec) (rule, error) {
	var r rule
	ms, err := members(n, key)
	if err != nil {
		return r, err
	}
	var hasTime, hasEmit bool
	for _, m := range ms {
		switch m.name {
		case "name":
			if r.name, err = scalar(m.val, key+".name"); err != nil {
				return r, err
			}
		case "match":
			if r.match, err = c.conds(m.val, key+".match", false); err != nil {
				return r, err
			}
		case "time":
			if r.time, err = c.time(m.val, key+".time"); err != nil {
				return r, err
			}
			hasTime = true
		case "emit":
			list, err := sequence(m.val, key+".emit")
			if err != nil {
				return r, err
			}
			if len(list) == 0 {
				return r, errAt(m.val, key+".emit", "at least one event to emit is required")
			}
			for i, en := range list {
				e, err := c.emit(en, fmt.Sprintf("%s.emit[%d]", key, i))
				if err != nil {
					return r, err
				}
				r.emits = append(r.emits, e)
			}
			hasEmit = true
		default:
			return r, errAt(m.key, key, "unknown key %q (want name, match, time, emit)", m.name)
		}
	}
	if !hasEmit {
		return r, errAt(n, key, "emit: required")
	}
	if !hasTime {
		if defTime == nil {
			return r, errAt(n, key, "time: required on the rule or on the mapping")
		}
		r.time = *defTime
	}
	return r, nil
}

func (c *compiler) time(n *yaml.Node, key string) (timeSpec, error) {
	var ts timeSpec
	var path string
	if n != nil && n.Kind == yaml.ScalarNode {
		path = n.Value
	} else {
		ms, err := members(n, key)
		if err != nil {
			return ts, err
		}
		for _, m := range ms {
			switch m.name {
			case "path":
				if path, err = scalar(m.val, key+".path"); err != nil {
					return ts, err
				}
			case "format":
				f, err := scalar(m.val, key+".format")
				if err != nil {
					return ts, err
				}
				if ts.layout, err = layout(f); err != nil {
					return ts, errAt(m.val, key+".format", "%v", err)
				}
			default:
				return ts, errAt(m.key, key, "unknown key %q (want path, format)", m.name)
			}
		}
		if path == "" {
			return ts, errAt(n, key, "path: required")
		}
	}
	r, err := c.path(n, key, path)
	if err != nil {
		return ts, err
	}
	if r.fan >= 0 {
		return ts, errAt(n, key, "bad path %q: [*] is not allowed in the time of a rule", path)
	}
	ts.ref = r
	return ts, nil
}

// layout checks a timestamp format: "auto" (any form of the input
// contract, returned as "") or a Go layout holding at least a date.
func layout(f string) (string, error) {
	if f == "auto" {
		return "", nil
	}
	ref := time.Date(2026, time.February, 3, 19, 17, 5, 0, time.UTC)
	got, err := time.Parse(f, ref.Format(f))
	if err != nil || got.Year() != 2026 || got.Month() != time.February || got.Day() != 3 {
		return "", fmt.Errorf("bad time format %q: want auto or a Go layout holding year, month and day, written with the reference time 2006-01-02 15:04:05 (for example \"2006-01-02 15:04\")", f)
	}
	return f, nil
}

func (c *compiler) conds(n *yaml.Node, key string, fanOK bool) ([]cond, error) {
	list, err := sequence(n, key)
	if err != nil {
		return nil, err
	}
	out := make([]cond, 0, len(list))
	for i, cn := range list {
		k := fmt.Sprintf("%s[%d]", key, i)
		cd, err := c.cond(cn, k, fanOK)
		if err != nil {
			return nil, err
		}
		out = append(out, cd)
	}
	return out, nil
}

func (c *compiler) cond(n *yaml.Node, key string, fanOK bool) (cond, error) {
	var cd cond
	ms, err := members(n, key)
	if err != nil {
		return cd, err
	}
	var path string
	var opNode *yaml.Node
	for _, m := range ms {
		if m.name == "path" {
			if path, err = scalar(m.val, key+".path"); err != nil {
				return cd, err
			}
			continue
		}
		o, ok := ops[m.name]
		if !ok {
			return cd, errAt(m.key, key, "unknown operator %q (want one of %s)", m.name, opList)
		}
		if cd.op != 0 {
			return cd, errAt(m.key, key, "one operator per condition (got two); list several conditions instead")
		}
		cd.op, opNode = o, m.val
	}
	if path == "" {
		return cd, errAt(n, key, "path: required")
	}
	if cd.op == 0 {
		return cd, errAt(n, key, "an operator is required (one of %s)", opList)
	}
	if cd.ref, err = c.path(n, key+".path", path); err != nil {
		return cd, err
	}
	if cd.ref.fan >= 0 && !fanOK {
		return cd, errAt(n, key+".path", "bad path %q: [*] is not allowed in match (a rule matches the whole line); use when: on the emit", path)
	}
	okey := key + "." + opNameOf(cd.op)
	switch cd.op {
	case opEquals, opNotEquals:
		if cd.text, err = scalar(opNode, okey); err != nil {
			return cd, err
		}
		cd.num, cd.isNum = numeric(cd.text)
	case opIn, opNotIn:
		list, err := sequence(opNode, okey)
		if err != nil {
			return cd, err
		}
		for i, v := range list {
			s, err := scalar(v, fmt.Sprintf("%s[%d]", okey, i))
			if err != nil {
				return cd, err
			}
			cd.set = append(cd.set, s)
			f, ok := numeric(s)
			if !ok {
				f = math.NaN()
			}
			cd.nums = append(cd.nums, f)
		}
	case opExists:
		s, err := scalar(opNode, okey)
		if err != nil {
			return cd, err
		}
		switch s {
		case "true":
			cd.yes = true
		case "false":
		default:
			return cd, errAt(opNode, okey, "want true or false, got %q", s)
		}
	default:
		s, err := scalar(opNode, okey)
		if err != nil {
			return cd, err
		}
		if cd.num, cd.isNum = numeric(s); !cd.isNum {
			return cd, errAt(opNode, okey, "want a number, got %q", s)
		}
	}
	return cd, nil
}

func opNameOf(o op) string {
	for k, v := range ops {
		if v == o {
			return k
		}
	}
	return ""
}

// numeric parses s if it is exactly one JSON number.
func numeric(s string) (float64, bool) {
	if !jsonscan.IsNumber(s) {
		return 0, false
	}
	return parseNumber(s)
}

func (c *compiler) emit(n *yaml.Node, key string) (emitSpec, error) {
	e := emitSpec{fan: -1}
	ms, err := members(n, key)
	if err != nil {
		return e, err
	}
	fans := map[int]string{}
	usesIndex := false
	outcome := ""
	for _, m := range ms {
		k := key + "." + m.name
		switch m.name {
		case "type":
			s, err := scalar(m.val, k)
			if err != nil {
				return e, err
			}
			if e.typ = event.ParseType(s); e.typ == event.TypeUnknown {
				return e, errAt(m.val, k, "unknown event type %q (see docs/events.md)", s)
			}
		case "when":
			if e.when, err = c.conds(m.val, k, true); err != nil {
				return e, err
			}
			for _, cd := range e.when {
				if cd.ref.fan >= 0 {
					fans[cd.ref.fan] = cd.ref.text
				}
			}
		case "ts":
			return e, errAt(m.key, key, "unknown key \"ts\": the timestamp is set by time: on the rule or the mapping")
		default:
			t, ok := targets[m.name]
			if !ok {
				return e, errAt(m.key, key, "unknown key %q (want type, when, or a canonical field of docs/events.md)", m.name)
			}
			if t == tStatus {
				if outcome != "" {
					return e, errAt(m.key, key, "%s and %s both set the outcome word; keep one", outcome, m.name)
				}
				outcome = m.name
			}
			sp, err := c.value(m.val, k, t)
			if err != nil {
				return e, err
			}
			sp.walk(func(r ref, kind tmplKind) {
				if kind == tkIndex {
					usesIndex = true
				} else if kind == tkRef && r.fan >= 0 {
					fans[r.fan] = r.text
				}
			})
			plain := sp.kind == vPath && sp.vmap == nil && !sp.hasDef && !sp.nonzero && (t.isString() || t.isNumber())
			e.fields = append(e.fields, fieldSet{target: t, spec: sp, plain: plain})
		}
	}
	if e.typ == event.TypeUnknown {
		return e, errAt(n, key, "type: required")
	}
	if len(fans) > 1 {
		var ps []string
		for _, p := range fans {
			ps = append(ps, p)
		}
		return e, errAt(n, key, "one emit fans out over one array: %s", strings.Join(sortStrings(ps), " and "))
	}
	for f := range fans {
		e.fan = f
	}
	if usesIndex && e.fan < 0 {
		return e, errAt(n, key, "${#} is the element index of a fan-out: it needs a [*] path in the same emit")
	}
	return e, nil
}

func sortStrings(s []string) []string {
	for i := 1; i < len(s); i++ {
		for j := i; j > 0 && s[j] < s[j-1]; j-- {
			s[j], s[j-1] = s[j-1], s[j]
		}
	}
	return s
}

// walk calls fn for every path (and ${#}/${#line}) the spec reads.
func (s *valueSpec) walk(fn func(ref, tmplKind)) {
	switch s.kind {
	case vPath:
		fn(s.ref, tkRef)
	case vTemplate:
		for _, p := range s.tmpl {
			if p.kind != tkLit {
				fn(p.ref, p.kind)
			}
		}
	case vFirst:
		for _, f := range s.first {
			f.walk(fn)
		}
	case vProduct:
		for _, f := range s.factors {
			if !f.isConst {
				fn(f.ref, tkRef)
			}
		}
	}
}

// value compiles the spec of one field: a path, or a mapping with exactly
// one of path, const, template, first, product (its kind), and modifiers.
func (c *compiler) value(n *yaml.Node, key string, t target) (*valueSpec, error) {
	if n != nil && n.Kind == yaml.ScalarNode {
		r, err := c.path(n, key, n.Value)
		if err != nil {
			return nil, err
		}
		return &valueSpec{kind: vPath, ref: r}, nil
	}
	ms, err := members(n, key)
	if err != nil {
		return nil, err
	}
	sp := &valueSpec{}
	var modNode *yaml.Node
	for _, m := range ms {
		if k, ok := specKinds[m.name]; ok {
			if sp.kind != 0 {
				return nil, errAt(m.key, key, "one of path, const, template, first, product (got two)")
			}
			sp.kind = k
			if err := c.kind(sp, m, key, t); err != nil {
				return nil, err
			}
			continue
		}
		mod, err := modifier(sp, m, key, t)
		if err != nil {
			return nil, err
		}
		if mod {
			modNode = m.key
		}
	}
	if sp.kind == 0 {
		return nil, errAt(n, key, "one of path, const, template, first, product is required")
	}
	if modNode != nil && sp.kind != vPath {
		return nil, errAt(modNode, key, "map, unmapped, default and format apply to a path only")
	}
	if sp.hasUnmapped && sp.vmap == nil {
		return nil, errAt(modNode, key, "unmapped: needs map:")
	}
	return sp, nil
}

// specKinds are the keys of a value spec that give its kind.
var specKinds = map[string]specKind{"path": vPath, "const": vConst, "template": vTemplate, "first": vFirst, "product": vProduct}

// kind compiles the member m of the spec at key that gives sp its kind
// (sp.kind is already set from m's name).
func (c *compiler) kind(sp *valueSpec, m member, key string, t target) error {
	k := key + "." + m.name
	var err error
	switch sp.kind {
	case vPath:
		s, err := scalar(m.val, k)
		if err != nil {
			return err
		}
		sp.ref, err = c.path(m.val, k, s)
		return err
	case vConst:
		if sp.constText, err = scalar(m.val, k); err != nil {
			return err
		}
		if err := checkConst(sp.constText, t); err != nil {
			return errAt(m.val, k, "%v", err)
		}
	case vTemplate:
		if !t.isString() {
			return errAt(m.key, key, "template: only for string fields")
		}
		s, err := scalar(m.val, k)
		if err != nil {
			return err
		}
		sp.tmpl, err = c.template(m.val, k, s)
		return err
	case vFirst:
		sp.first, err = c.first(m.val, k, t)
		return err
	case vProduct:
		if !t.isNumber() {
			return errAt(m.key, key, "product: only for number fields")
		}
		sp.factors, err = c.product(m.val, k)
		return err
	}
	return nil
}

// first compiles the alternatives of a first: list.
func (c *compiler) first(n *yaml.Node, k string, t target) ([]*valueSpec, error) {
	list, err := sequence(n, k)
	if err != nil {
		return nil, err
	}
	if len(list) == 0 {
		return nil, errAt(n, k, "at least one alternative is required")
	}
	var out []*valueSpec
	for i, fn := range list {
		f, err := c.value(fn, fmt.Sprintf("%s[%d]", k, i), t)
		if err != nil {
			return nil, err
		}
		out = append(out, f)
	}
	return out, nil
}

// product compiles the factors of a product: list, each a number or a
// path (a quoted number is a path).
func (c *compiler) product(n *yaml.Node, k string) ([]factor, error) {
	list, err := sequence(n, k)
	if err != nil {
		return nil, err
	}
	if len(list) == 0 {
		return nil, errAt(n, k, "at least one factor is required")
	}
	var out []factor
	for i, fn := range list {
		fk := fmt.Sprintf("%s[%d]", k, i)
		s, err := scalar(fn, fk)
		if err != nil {
			return nil, err
		}
		if f, ok := numeric(s); ok && fn.Style&(yaml.DoubleQuotedStyle|yaml.SingleQuotedStyle) == 0 {
			out = append(out, factor{isConst: true, c: f})
			continue
		}
		r, err := c.path(fn, fk, s)
		if err != nil {
			return nil, err
		}
		out = append(out, factor{ref: r})
	}
	return out, nil
}

// modifier compiles a member of the spec at key that is not its kind: map,
// unmapped, default, nonzero or format. It reports whether m is one of
// those that apply to a path only (all but nonzero); any other key is an
// error.
func modifier(sp *valueSpec, m member, key string, t target) (pathOnly bool, err error) {
	k := key + "." + m.name
	switch m.name {
	case "map":
		sp.vmap, err = valueMap(m.val, k, t)
		return true, err
	case "unmapped":
		if sp.unmapped, err = scalar(m.val, k); err != nil {
			return false, err
		}
		if err := checkConst(sp.unmapped, t); err != nil {
			return false, errAt(m.val, k, "%v", err)
		}
		sp.hasUnmapped = true
		return true, nil
	case "default":
		if sp.def, err = scalar(m.val, k); err != nil {
			return false, err
		}
		if err := checkConst(sp.def, t); err != nil {
			return false, errAt(m.val, k, "%v", err)
		}
		sp.hasDef = true
		return true, nil
	case "nonzero":
		s, err := scalar(m.val, k)
		if err != nil {
			return false, err
		}
		if !t.isNumber() {
			return false, errAt(m.key, key, "nonzero: only for number fields")
		}
		if s != "true" && s != "false" {
			return false, errAt(m.val, k, "want true or false, got %q", s)
		}
		sp.nonzero = s == "true"
		return false, nil
	case "format":
		if !t.isTime() {
			return false, errAt(m.key, key, "format: only for timestamp fields (opened_at, due); the event time is set by time:")
		}
		s, err := scalar(m.val, k)
		if err != nil {
			return false, err
		}
		if sp.layout, err = layout(s); err != nil {
			return false, errAt(m.val, k, "%v", err)
		}
		return true, nil
	}
	return false, errAt(m.key, key, "unknown key %q (want path, const, template, first, product, map, unmapped, default, nonzero, format)", m.name)
}

// valueMap compiles a map: of source values to constants.
func valueMap(n *yaml.Node, k string, t target) ([]pair, error) {
	mm, err := members(n, k)
	if err != nil {
		return nil, err
	}
	out := make([]pair, 0, len(mm))
	for _, e := range mm {
		v, err := scalar(e.val, k+"."+e.name)
		if err != nil {
			return nil, err
		}
		if err := checkConst(v, t); err != nil {
			return nil, errAt(e.val, k+"."+e.name, "%v", err)
		}
		out = append(out, pair{e.name, v})
	}
	return out, nil
}

// checkConst checks that a constant (const, map value, default) suits the
// target's type.
func checkConst(s string, t target) error {
	switch {
	case t.isNumber():
		if _, ok := numeric(s); !ok {
			return fmt.Errorf("want a number, got %q", s)
		}
	case t == tSecurity:
		if s != "true" && s != "false" {
			return fmt.Errorf("want true or false, got %q", s)
		}
	case t.isTime():
		if _, ok := event.ParseTimeString(s); !ok {
			return fmt.Errorf("want an RFC 3339 timestamp or an epoch, got %q", s)
		}
	}
	return nil
}

// template parses "text ${path} text ${#} ${#line}".
func (c *compiler) template(n *yaml.Node, key, s string) ([]tmplPart, error) {
	var out []tmplPart
	for len(s) > 0 {
		i := strings.Index(s, "${")
		if i < 0 {
			out = append(out, tmplPart{kind: tkLit, lit: s})
			break
		}
		if i > 0 {
			out = append(out, tmplPart{kind: tkLit, lit: s[:i]})
		}
		j := strings.IndexByte(s[i:], '}')
		if j < 0 {
			return nil, errAt(n, key, "unterminated ${ in template")
		}
		name := s[i+2 : i+j]
		switch name {
		case "#":
			out = append(out, tmplPart{kind: tkIndex})
		case "#line":
			out = append(out, tmplPart{kind: tkLine})
		default:
			r, err := c.path(n, key, name)
			if err != nil {
				return nil, err
			}
			out = append(out, tmplPart{kind: tkRef, ref: r})
		}
		s = s[i+j+1:]
	}
	return out, nil
}
