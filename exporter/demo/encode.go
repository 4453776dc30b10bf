package demo

import (
	"bytes"
	"math"
	"slices"
	"strconv"
	"time"
)

// tsForm is how a record's ts is written. Most records use RFC 3339 with
// milliseconds in UTC; a few use the other forms the input contract allows,
// so that a demo run exercises them.
type tsForm uint8

const (
	tsRFC3339 tsForm = iota // "2026-11-20T10:00:00.123Z"
	tsOffset                // "2026-11-20T12:00:00.123+02:00"
	tsEpochMS               // 1795168800123
	tsEpochS                // 1795168800
)

// field is one key of a record after ts, type and id, in output order.
type field struct {
	key  string
	kind byte // 's' string, 'i' integer, 'f' float, 'b' bool, 't' timestamp (ms)
	s    string
	n    float64
	prec int // decimals of a float
	b    bool
	ms   int64
}

func str(k, v string) field                { return field{key: k, kind: 's', s: v} }
func num(k string, v int) field            { return field{key: k, kind: 'i', n: float64(v)} }
func flt(k string, v float64, p int) field { return field{key: k, kind: 'f', n: v, prec: p} }
func boolean(k string, v bool) field       { return field{key: k, kind: 'b', b: v} }
func stamp(k string, ms int64) field       { return field{key: k, kind: 't', ms: ms} }

// rec is one event line before encoding. seq breaks ties between equal
// timestamps so that the order is the generation order.
type rec struct {
	ms     int64
	seq    int
	typ    string
	id     string
	user   string
	form   tsForm
	fields []field
	raw    string // when set, written verbatim (a deliberately bad line)
}

// sortRecs orders records by time, then generation order.
func sortRecs(rs []rec) {
	slices.SortFunc(rs, func(a, b rec) int {
		if a.ms != b.ms {
			if a.ms < b.ms {
				return -1
			}
			return 1
		}
		return a.seq - b.seq
	})
}

// formatTS renders a UTC RFC 3339 timestamp with milliseconds.
func formatTS(ms int64) string {
	return time.UnixMilli(ms).UTC().Format("2006-01-02T15:04:05.000Z07:00")
}

var plus2 = time.FixedZone("+02:00", 2*3600)

func appendTS(b []byte, ms int64, form tsForm) []byte {
	switch form {
	case tsOffset:
		return strconv.AppendQuote(b, time.UnixMilli(ms).In(plus2).Format("2006-01-02T15:04:05.000Z07:00"))
	case tsEpochMS:
		return strconv.AppendInt(b, ms, 10)
	case tsEpochS:
		return strconv.AppendInt(b, ms/1000, 10)
	}
	return strconv.AppendQuote(b, formatTS(ms))
}

// appendString writes s as a JSON string. Demo strings are plain ASCII
// identifiers; anything else is escaped as \u00XX.
func appendString(b []byte, s string) []byte {
	b = append(b, '"')
	for i := 0; i < len(s); i++ {
		c := s[i]
		switch {
		case c == '"' || c == '\\':
			b = append(b, '\\', c)
		case c < 0x20 || c >= 0x7f:
			b = append(b, `\u00`...)
			b = append(b, "0123456789abcdef"[c>>4], "0123456789abcdef"[c&15])
		default:
			b = append(b, c)
		}
	}
	return append(b, '"')
}

func appendField(b []byte, f field) []byte {
	b = appendString(b, f.key)
	b = append(b, ':')
	switch f.kind {
	case 's':
		return appendString(b, f.s)
	case 'i':
		return strconv.AppendInt(b, int64(f.n), 10)
	case 'f':
		p := math.Pow(10, float64(f.prec))
		return strconv.AppendFloat(b, math.Round(f.n*p)/p, 'f', -1, 64)
	case 'b':
		return strconv.AppendBool(b, f.b)
	case 't':
		return appendTS(b, f.ms, tsRFC3339)
	}
	return append(b, "null"...)
}

// appendRec writes r as one JSON line (with its newline).
func appendRec(b []byte, r rec) []byte {
	if r.raw != "" {
		b = append(b, r.raw...)
		return append(b, '\n')
	}
	b = append(b, `{"ts":`...)
	b = appendTS(b, r.ms, r.form)
	b = append(b, `,"type":`...)
	b = appendString(b, r.typ)
	if r.id != "" {
		b = append(b, `,"id":`...)
		b = appendString(b, r.id)
	}
	if r.user != "" {
		b = append(b, `,"user":`...)
		b = appendString(b, r.user)
	}
	for _, f := range r.fields {
		b = append(b, ',')
		b = appendField(b, f)
	}
	b = append(b, '}')
	return append(b, '\n')
}

// encodeJSONL renders records in the given order.
func encodeJSONL(rs []rec) []byte {
	var buf bytes.Buffer
	b := make([]byte, 0, 512)
	for _, r := range rs {
		b = appendRec(b[:0], r)
		buf.Write(b)
	}
	return buf.Bytes()
}
