package preset

import (
	"math"
	"strconv"
	"time"
	"unicode/utf8"

	"github.com/cespare/xxhash/v2"

	"github.com/heady/heady-metrics/exporter/event"
	"github.com/heady/heady-metrics/internal/jsonscan"
)

// The write-once scratch buffer is replaced by a new chunk when less than
// scratchLow bytes are left before a line.
const (
	scratchChunk = 32 << 10
	scratchLow   = 2 << 10
)

// val is a value recorded for a slot on the current line.
type val struct {
	gen uint32 // the line it was recorded on (unfanned slots)
	k   kind
	raw []byte
}

// Decoder decodes lines with a compiled mapping. It implements
// stream.LineDecoder. The zero value is not usable: build one with New or
// a registered factory. A Decoder is not safe for concurrent use.
//
// A line is parsed once, in a single pass that records only the values the
// mapping's paths name and skips (while validating) everything else.
//
// Strings of the events it emits alias the line, the compiled mapping or
// a write-once buffer: unlike the canonical decoder's, they stay valid
// after the call as long as the line's memory does, so a batch may keep
// the events of many lines without copying them.
type Decoder struct {
	p       *program
	maxLine int

	gen    uint32
	vals   []val   // by slot, unfanned slots
	fvals  [][]val // by slot, fanned slots: one value per array element
	fanGen []uint32
	fanN   []int
	fanBad []bool // the fanned key held something else than an array
	// scratch holds the strings built for events (ids from templates,
	// unescaped text). It is write-once: bytes handed out are never
	// written again (a full buffer is replaced, not reused), so those
	// strings stay valid after the line, as long as anything holds them.
	scratch []byte
	tmp     []byte // unescaped text used at once (conditions)
	events  []event.Event
	blank   event.Event // every field absent

	line     []byte
	lineHash [16]byte // hex digits of the line's hash, once hashed
	hashed   bool
}

func newDecoder(p *program, maxLine int) *Decoder {
	if maxLine <= 0 {
		maxLine = event.DefaultMaxLineBytes
	}
	d := &Decoder{
		p:       p,
		maxLine: maxLine,
		vals:    make([]val, p.trie.slots),
		fvals:   make([][]val, p.trie.slots),
		fanGen:  make([]uint32, p.trie.fans),
		fanN:    make([]int, p.trie.fans),
		fanBad:  make([]bool, p.trie.fans),
	}
	d.blank.Reset()
	return d
}

// DecodeLine implements stream.LineDecoder. Checks, in order: the line's
// length (line_too_long), UTF-8 (invalid_utf8), JSON syntax
// (truncated_json), an object (not_object), the first rule whose match
// holds (else unmapped), its time (missing_ts, bad_ts), the JSON type of
// every field its events read (bad_field). A line is skipped whole or
// emits all of its events: never a part of them.
func (d *Decoder) DecodeLine(line []byte, emit func(*event.Event)) event.Reason {
	if len(line) > d.maxLine {
		return event.ReasonTooLong
	}
	if len(line) >= 3 && line[0] == 0xEF && line[1] == 0xBB && line[2] == 0xBF {
		line = line[3:]
	}
	if !utf8.Valid(line) {
		return event.ReasonInvalidUTF8
	}
	d.gen++
	if d.gen == 0 { // wrapped: forget every old generation
		clear(d.vals)
		clear(d.fanGen)
		d.gen = 1
	}
	if cap(d.scratch)-len(d.scratch) < scratchLow {
		d.scratch = make([]byte, 0, scratchChunk)
	}
	d.line, d.hashed = line, false

	i := jsonscan.SkipWS(line, 0)
	if i == len(line) {
		return event.ReasonTruncated
	}
	if line[i] != '{' {
		next := skip(line, i, 0)
		if next < 0 || jsonscan.SkipWS(line, next) != len(line) {
			return event.ReasonTruncated
		}
		return event.ReasonNotObject
	}
	next := d.value(line, i, d.p.trie.root, 0, -1)
	if next < 0 || jsonscan.SkipWS(line, next) != len(line) {
		return event.ReasonTruncated
	}
	for ri := range d.p.rules {
		r := &d.p.rules[ri]
		if d.matchAll(r.match, -1) {
			return d.run(r, emit)
		}
	}
	return event.ReasonUnmapped
}

// value reads the value at b[i] (not whitespace) for trie node n, inside
// depth containers, as element ei of the nearest fanned array (-1 if none).
// It returns the index after the value, or -1 if the line is malformed.
func (d *Decoder) value(b []byte, i int, n *node, depth, ei int) int {
	start := i
	var k kind
	var raw []byte
	var next int
	switch b[i] {
	case '"':
		end, esc, nx := jsonscan.ScanString(b, i+1)
		if nx < 0 {
			return -1
		}
		k, raw, next = kString, b[i+1:end], nx
		if esc {
			k = kStringEsc
		}
	case '{':
		k = kObject
		if len(n.keys) == 0 {
			next = skip(b, i, depth)
		} else {
			next = d.object(b, i, n, depth, ei)
		}
	case '[':
		k = kArray
		if n.elem == nil && len(n.idx) == 0 {
			next = skip(b, i, depth)
		} else {
			next = d.array(b, i, n, depth, ei)
		}
	case 't':
		k, next = kTrue, jsonscan.Literal(b, i, "true")
	case 'f':
		k, next = kFalse, jsonscan.Literal(b, i, "false")
	case 'n':
		k, next = kNull, jsonscan.Literal(b, i, "null")
	default:
		k, next = kNumber, jsonscan.ScanNumber(b, i)
		if next > 0 {
			raw = b[i:next]
		}
	}
	if next < 0 {
		return -1
	}
	if k == kObject || k == kArray {
		raw = b[start:next]
	}
	if n.elem != nil && k != kArray {
		// A fanned key that is not an array: no elements; a bad field
		// unless null.
		d.fanGen[n.fan], d.fanN[n.fan], d.fanBad[n.fan] = d.gen, 0, k != kNull
	}
	if n.slot >= 0 {
		if n.inFan < 0 {
			d.vals[n.slot] = val{gen: d.gen, k: k, raw: raw}
		} else {
			v := d.fvals[n.slot]
			for len(v) <= ei {
				v = append(v, val{})
			}
			v[ei] = val{k: k, raw: raw}
			d.fvals[n.slot] = v
		}
	}
	return next
}

func (d *Decoder) object(b []byte, i int, n *node, depth, ei int) int {
	if depth >= maxDepth {
		return -1
	}
	i = jsonscan.SkipWS(b, i+1)
	if i < len(b) && b[i] == '}' {
		return i + 1
	}
	for {
		if i >= len(b) || b[i] != '"' {
			return -1
		}
		end, esc, nx := jsonscan.ScanString(b, i+1)
		if nx < 0 {
			return -1
		}
		key := b[i+1 : end]
		if esc {
			d.tmp = jsonscan.AppendUnescaped(d.tmp[:0], key)
			key = d.tmp
		}
		c := n.member(jsonscan.String(key))
		i = jsonscan.SkipWS(b, nx)
		if i >= len(b) || b[i] != ':' {
			return -1
		}
		i = jsonscan.SkipWS(b, i+1)
		if i >= len(b) {
			return -1
		}
		if c != nil {
			i = d.value(b, i, c, depth+1, ei)
		} else {
			i = skip(b, i, depth+1)
		}
		if i < 0 {
			return -1
		}
		i = jsonscan.SkipWS(b, i)
		if i >= len(b) {
			return -1
		}
		if b[i] == '}' {
			return i + 1
		}
		if b[i] != ',' {
			return -1
		}
		i = jsonscan.SkipWS(b, i+1)
	}
}

// array reads an array for node n: every element for a [*], else the
// elements its [N] children name. ei is the enclosing fan element, if any.
func (d *Decoder) array(b []byte, i int, n *node, depth, ei int) int {
	if depth >= maxDepth {
		return -1
	}
	if n.elem != nil {
		d.fanGen[n.fan], d.fanN[n.fan], d.fanBad[n.fan] = d.gen, 0, false
		for _, s := range n.fanSlots {
			d.fvals[s] = d.fvals[s][:0]
		}
	}
	i = jsonscan.SkipWS(b, i+1)
	if i < len(b) && b[i] == ']' {
		return i + 1
	}
	for e := 0; ; e++ {
		if i >= len(b) {
			return -1
		}
		var c *node
		if n.elem != nil {
			c = n.elem
			d.fanN[n.fan] = e + 1
		} else {
			c = n.element(e)
		}
		if c != nil {
			ce := ei
			if n.elem != nil {
				ce = e
			}
			i = d.value(b, i, c, depth+1, ce)
		} else {
			i = skip(b, i, depth+1)
		}
		if i < 0 {
			return -1
		}
		i = jsonscan.SkipWS(b, i)
		if i >= len(b) {
			return -1
		}
		if b[i] == ']' {
			return i + 1
		}
		if b[i] != ',' {
			return -1
		}
		i = jsonscan.SkipWS(b, i+1)
	}
}

// get returns the value of r on this line (element ei of its fan).
func (d *Decoder) get(r ref, ei int) val {
	if r.fan < 0 {
		v := d.vals[r.slot]
		if v.gen != d.gen {
			return val{}
		}
		return v
	}
	if ei < 0 || d.fanGen[r.fan] != d.gen {
		return val{}
	}
	v := d.fvals[r.slot]
	if ei < len(v) {
		return v[ei]
	}
	return val{}
}

func present(v val) bool { return v.k != kAbsent && v.k != kNull }

// text returns the text of a scalar value: a string's content (unescaped
// into the write-once scratch buffer, so it may be kept), a number's
// literal, "true" or "false". ok is false for containers and absent values.
func (d *Decoder) text(v val) (string, bool) {
	switch v.k {
	case kString, kNumber:
		return jsonscan.String(v.raw), true
	case kStringEsc:
		s := len(d.scratch)
		d.scratch = jsonscan.AppendUnescaped(d.scratch, v.raw)
		return jsonscan.String(d.scratch[s:]), true
	case kTrue:
		return "true", true
	case kFalse:
		return "false", true
	}
	return "", false
}

// peek is text for immediate use (conditions): escaped strings go to tmp.
func (d *Decoder) peek(v val) (string, bool) {
	if v.k == kStringEsc {
		d.tmp = jsonscan.AppendUnescaped(d.tmp[:0], v.raw)
		return jsonscan.String(d.tmp), true
	}
	return d.text(v)
}

func (d *Decoder) number(v val) (float64, bool) {
	switch v.k {
	case kNumber:
		return parseNumber(jsonscan.String(v.raw))
	case kString, kStringEsc:
		s, _ := d.peek(v)
		return numeric(s)
	}
	return 0, false
}

func (d *Decoder) matchAll(cs []cond, ei int) bool {
	for i := range cs {
		if !d.match(&cs[i], ei) {
			return false
		}
	}
	return true
}

func (d *Decoder) match(c *cond, ei int) bool {
	v := d.get(c.ref, ei)
	p := present(v)
	switch c.op {
	case opExists:
		return p == c.yes
	case opEquals:
		return p && d.equal(v, c.text, c.num, c.isNum)
	case opNotEquals:
		return !(p && d.equal(v, c.text, c.num, c.isNum))
	case opIn, opNotIn:
		in := false
		if p {
			for i, s := range c.set {
				if d.equal(v, s, c.nums[i], !math.IsNaN(c.nums[i])) {
					in = true
					break
				}
			}
		}
		return in == (c.op == opIn)
	}
	if !p {
		return false
	}
	f, ok := d.number(v)
	if !ok {
		return false
	}
	switch c.op {
	case opGT:
		return f > c.num
	case opGE:
		return f >= c.num
	case opLT:
		return f < c.num
	}
	return f <= c.num
}

func (d *Decoder) equal(v val, text string, num float64, isNum bool) bool {
	if v.k == kNumber && isNum {
		f, ok := d.number(v)
		return ok && f == num
	}
	s, ok := d.peek(v)
	return ok && s == text
}

// run emits the events of rule r for the current line.
func (d *Decoder) run(r *rule, emit func(*event.Event)) event.Reason {
	tv := d.get(r.time.ref, -1)
	if !present(tv) {
		return event.ReasonMissingTS
	}
	ts, ok := d.peek(tv)
	if !ok {
		return event.ReasonBadTS
	}
	ms, ok := parseTime(ts, r.time.layout)
	if !ok {
		return event.ReasonBadTS
	}
	d.events = d.events[:0]
	for ei := range r.emits {
		e := &r.emits[ei]
		n := 1
		if e.fan >= 0 {
			n = 0
			if d.fanGen[e.fan] == d.gen {
				if d.fanBad[e.fan] {
					return event.ReasonBadField
				}
				n = d.fanN[e.fan]
			}
		}
		for i := 0; i < n; i++ {
			idx := -1
			if e.fan >= 0 {
				idx = i
			}
			if !d.matchAll(e.when, idx) {
				continue
			}
			d.events = append(d.events, d.blank)
			ev := &d.events[len(d.events)-1]
			ev.Time, ev.Type = ms, e.typ
			for fi := range e.fields {
				if !d.set(ev, &e.fields[fi], idx) {
					return event.ReasonBadField
				}
			}
		}
	}
	for i := range d.events {
		emit(&d.events[i])
	}
	return ""
}

// parseTime reads a timestamp: any form of the input contract when layout
// is "", else the Go layout (UTC unless the layout holds a zone).
func parseTime(s, layout string) (int64, bool) {
	if layout == "" {
		return event.ParseTimeString(s)
	}
	t, err := time.Parse(layout, s)
	if err != nil || t.Year() < 0 || t.Year() > 9999 {
		return 0, false
	}
	return t.UnixMilli(), true
}

// result is an evaluated value spec.
type result struct {
	present bool
	bad     bool // a container, or a non-number factor
	text    string
	num     float64
	isNum   bool // num holds the value (product)
}

func (d *Decoder) eval(s *valueSpec, ei int) result {
	var r result
	switch s.kind {
	case vPath:
		v := d.get(s.ref, ei)
		if !present(v) {
			if s.hasDef {
				return result{present: true, text: s.def}
			}
			return r
		}
		t, ok := d.text(v)
		if !ok {
			return result{present: true, bad: true}
		}
		r = result{present: true, text: t}
		if s.vmap != nil {
			mapped := false
			for _, p := range s.vmap {
				if p.from == t {
					r.text, mapped = p.to, true
					break
				}
			}
			if !mapped && s.hasUnmapped {
				r.text = s.unmapped
			}
		}
	case vConst:
		r = result{present: true, text: s.constText}
	case vTemplate:
		start := len(d.scratch)
		for _, p := range s.tmpl {
			switch p.kind {
			case tkLit:
				d.scratch = append(d.scratch, p.lit...)
			case tkIndex:
				d.scratch = strconv.AppendInt(d.scratch, int64(ei), 10)
			case tkLine:
				d.scratch = append(d.scratch, d.hashLine()...)
			case tkRef:
				v := d.get(p.ref, ei)
				switch v.k {
				case kStringEsc:
					d.scratch = jsonscan.AppendUnescaped(d.scratch, v.raw)
				case kString, kNumber, kObject, kArray:
					d.scratch = append(d.scratch, v.raw...)
				case kTrue:
					d.scratch = append(d.scratch, "true"...)
				case kFalse:
					d.scratch = append(d.scratch, "false"...)
				}
			}
		}
		r = result{present: true, text: jsonscan.String(d.scratch[start:])}
	case vFirst:
		for _, f := range s.first {
			if r = d.eval(f, ei); r.present {
				return r
			}
		}
		return result{}
	case vProduct:
		r = result{present: true, num: 1, isNum: true}
		for _, f := range s.factors {
			if f.isConst {
				r.num *= f.c
				continue
			}
			v := d.get(f.ref, ei)
			if !present(v) {
				return result{}
			}
			x, ok := d.number(v)
			if !ok {
				return result{present: true, bad: true}
			}
			r.num *= x
		}
	}
	if s.nonzero && r.present && !r.bad {
		f, ok := r.num, r.isNum
		if !ok {
			f, ok = numeric(r.text)
		}
		if ok && f == 0 {
			return result{}
		}
	}
	return r
}

// hashLine returns the xxhash64 of the line (trailing whitespace left
// out) in 16 hex digits, computed once per line.
func (d *Decoder) hashLine() []byte {
	if !d.hashed {
		l := d.line
		for len(l) > 0 && isWS(l[len(l)-1]) {
			l = l[:len(l)-1]
		}
		h := xxhash.Sum64(l)
		const hexd = "0123456789abcdef"
		for i := 15; i >= 0; i-- {
			d.lineHash[i] = hexd[h&15]
			h >>= 4
		}
		d.hashed = true
	}
	return d.lineHash[:]
}

// set evaluates one field into ev; false means a bad field.
func (d *Decoder) set(ev *event.Event, f *fieldSet, ei int) bool {
	if f.plain {
		// Fast path: a bare path into a string or number field.
		v := d.get(f.spec.ref, ei)
		switch {
		case v.k == kString && f.target.isString():
			*strField(ev, f.target) = jsonscan.String(v.raw)
			return true
		case v.k == kNumber && f.target.isNumber():
			x, ok := parseNumber(jsonscan.String(v.raw))
			if !ok || math.IsInf(x, 0) {
				return false
			}
			*numField(ev, f.target) = x
			return true
		case v.k == kAbsent || v.k == kNull:
			return true
		}
	}
	r := d.eval(f.spec, ei)
	if !r.present {
		return true
	}
	if r.bad {
		return false
	}
	t := f.target
	switch {
	case t.isString():
		if r.isNum {
			s := len(d.scratch)
			d.scratch = strconv.AppendFloat(d.scratch, r.num, 'g', -1, 64)
			r.text = jsonscan.String(d.scratch[s:])
		}
		*strField(ev, t) = r.text
	case t.isNumber():
		x := r.num
		if !r.isNum {
			var ok bool
			if x, ok = numeric(r.text); !ok {
				return false
			}
		}
		if math.IsInf(x, 0) || math.IsNaN(x) {
			return false
		}
		*numField(ev, t) = x
	case t == tSecurity:
		switch r.text {
		case "true":
			ev.Security = true
		case "false":
			ev.Security = false
		default:
			return false
		}
	case t.isTime():
		ms, ok := parseTime(r.text, f.spec.layout)
		if !ok {
			return false
		}
		if t == tOpenedAt {
			ev.OpenedAt = ms
		} else {
			ev.Due = ms
		}
	}
	return true
}

func strField(e *event.Event, t target) *string {
	switch t {
	case tID:
		return &e.ID
	case tUser:
		return &e.User
	case tStatus:
		return &e.Status
	case tReceipt:
		return &e.Receipt
	case tTool:
		return &e.Tool
	case tWorkflow:
		return &e.Workflow
	case tPolicy:
		return &e.Policy
	case tSurface:
		return &e.Surface
	case tKind:
		return &e.Kind
	case tName:
		return &e.Name
	case tRun:
		return &e.Run
	case tChange:
		return &e.Change
	case tService:
		return &e.Service
	case tProvider:
		return &e.Provider
	case tModel:
		return &e.Model
	case tRouted:
		return &e.Routed
	case tRepo:
		return &e.Repo
	case tGate:
		return &e.Gate
	case tEnv:
		return &e.Env
	case tItem:
		return &e.Item
	case tIncident:
		return &e.Incident
	case tSeverity:
		return &e.Severity
	case tMilestone:
		return &e.Milestone
	}
	panic("preset: not a string target")
}

func numField(e *event.Event, t target) *float64 {
	switch t {
	case tDurationMS:
		return &e.DurationMS
	case tCostUSD:
		return &e.CostUSD
	case tConfidence:
		return &e.Confidence
	case tTokensIn:
		return &e.TokensIn
	case tTokensOut:
		return &e.TokensOut
	case tRatio:
		return &e.Ratio
	case tScore:
		return &e.Score
	}
	panic("preset: not a number target")
}
