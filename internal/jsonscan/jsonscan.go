// Package jsonscan holds the byte-level JSON scanning both line decoders
// use (the canonical decoder in exporter/event and the mapping decoder in
// exporter/source/preset): whitespace, strings (eight bytes at a time),
// escapes, numbers, literals, and whole values skipped without recursion
// (SkipValue). It allocates nothing and knows nothing
// about events.
package jsonscan

import (
	"encoding/binary"
	"math/bits"
	"unicode/utf16"
	"unicode/utf8"
	"unsafe"
)

// IsNumber reports whether s is exactly one JSON number Literal.
func IsNumber(s string) bool {
	b := unsafe.Slice(unsafe.StringData(s), len(s))
	return len(b) > 0 && ScanNumber(b, 0) == len(b)
}

// SkipWS returns the index of the first non-whitespace byte at or after i.
func SkipWS(b []byte, i int) int {
	for i < len(b) {
		switch b[i] {
		case ' ', '\t', '\n', '\r':
			i++
		default:
			return i
		}
	}
	return i
}

// ScanString scans the rest of a string whose opening quote is at i-1. It
// returns the index of the closing quote, whether the string has escapes,
// and the index after the closing quote, or next < 0 if the string is
// malformed or unterminated.
func ScanString(b []byte, i int) (end int, esc bool, next int) {
	for {
		// Skip ordinary bytes eight at a time.
		for i+8 <= len(b) {
			if m := stringStops(binary.LittleEndian.Uint64(b[i:])); m != 0 {
				i += bits.TrailingZeros64(m) >> 3
				break
			}
			i += 8
		}
		if i >= len(b) {
			return 0, false, -1
		}
		switch c := b[i]; {
		case c == '"':
			return i, esc, i + 1
		case c == '\\':
			esc = true
			if i+1 >= len(b) {
				return 0, false, -1
			}
			switch b[i+1] {
			case '"', '\\', '/', 'b', 'f', 'n', 'r', 't':
				i += 2
			case 'u':
				if i+6 > len(b) || Hex4(b[i+2:i+6]) < 0 {
					return 0, false, -1
				}
				i += 6
			default:
				return 0, false, -1
			}
		case c < 0x20:
			return 0, false, -1
		default: // an ordinary byte among the last seven
			i++
		}
	}
}

// stringStops flags, in bit 7 of each byte, the bytes of the little-endian
// word x that end a run of ordinary string bytes: '"', '\\' and controls
// below 0x20. Only the lowest flag is exact (a borrow may flag bytes above
// it), which is all ScanString uses.
func stringStops(x uint64) uint64 {
	const ones, highs = 0x0101010101010101, 0x8080808080808080
	q := x ^ (ones * '"')
	s := x ^ (ones * '\\')
	return (((q - ones) &^ q) | ((s - ones) &^ s) | ((x - ones*0x20) &^ x)) & highs
}

// Hex4 returns the value of four hex digits, or -1.
func Hex4(b []byte) rune {
	var r rune
	for _, c := range b[:4] {
		switch {
		case c >= '0' && c <= '9':
			c -= '0'
		case c >= 'a' && c <= 'f':
			c = c - 'a' + 10
		case c >= 'A' && c <= 'F':
			c = c - 'A' + 10
		default:
			return -1
		}
		r = r<<4 | rune(c)
	}
	return r
}

// AppendUnescaped appends the decoded content of a well-formed JSON string
// (raw, between the quotes) to dst. Like encoding/json, it turns a \u escape
// of an unpaired surrogate into U+FFFD.
func AppendUnescaped(dst, raw []byte) []byte {
	for i := 0; i < len(raw); {
		c := raw[i]
		if c != '\\' {
			j := i + 1
			for j < len(raw) && raw[j] != '\\' {
				j++
			}
			dst = append(dst, raw[i:j]...)
			i = j
			continue
		}
		switch raw[i+1] {
		case 'b':
			dst = append(dst, '\b')
		case 'f':
			dst = append(dst, '\f')
		case 'n':
			dst = append(dst, '\n')
		case 'r':
			dst = append(dst, '\r')
		case 't':
			dst = append(dst, '\t')
		case 'u':
			r := Hex4(raw[i+2:])
			i += 6
			if utf16.IsSurrogate(r) {
				r2 := rune(-1)
				if i+6 <= len(raw) && raw[i] == '\\' && raw[i+1] == 'u' {
					r2 = Hex4(raw[i+2:])
				}
				if dec := utf16.DecodeRune(r, r2); dec != utf8.RuneError {
					r, i = dec, i+6
				} else {
					r = utf8.RuneError
				}
			}
			dst = utf8.AppendRune(dst, r)
			continue
		default: // '"', '\\', '/'
			dst = append(dst, raw[i+1])
		}
		i += 2
	}
	return dst
}

// ScanNumber returns the index after the JSON number Literal at b[i], or -1.
func ScanNumber(b []byte, i int) int {
	if i < len(b) && b[i] == '-' {
		i++
	}
	if i >= len(b) {
		return -1
	}
	switch c := b[i]; {
	case c == '0':
		i++
	case c >= '1' && c <= '9':
		i++
		for i < len(b) && uint(b[i]-'0') <= 9 {
			i++
		}
	default:
		return -1
	}
	if i < len(b) && b[i] == '.' {
		i++
		start := i
		for i < len(b) && uint(b[i]-'0') <= 9 {
			i++
		}
		if i == start {
			return -1
		}
	}
	if i < len(b) && (b[i] == 'e' || b[i] == 'E') {
		i++
		if i < len(b) && (b[i] == '+' || b[i] == '-') {
			i++
		}
		start := i
		for i < len(b) && uint(b[i]-'0') <= 9 {
			i++
		}
		if i == start {
			return -1
		}
	}
	return i
}

// Literal returns the index after lit at b[i], or -1.
func Literal(b []byte, i int, lit string) int {
	if len(b)-i >= len(lit) && string(b[i:i+len(lit)]) == lit {
		return i + len(lit)
	}
	return -1
}

// String returns b as a string without copying: valid as long as b is
// neither changed nor reused.
func String(b []byte) string {
	return unsafe.String(unsafe.SliceData(b), len(b))
}

// MaxDepth bounds the nesting of arrays and objects in a line, the line's
// own object included: both line decoders hold deeper lines malformed.
const MaxDepth = 128

// SkipValue validates and skips the JSON value starting at b[i] (not
// whitespace), inside depth enclosing containers, without recursion. It
// returns the index after it, or -1 if it is malformed or nested deeper
// than MaxDepth.
func SkipValue(b []byte, i, depth int) int {
	if i < len(b) && b[i] != '{' && b[i] != '[' {
		return skipScalar(b, i)
	}
	var isObj [(MaxDepth + 63) / 64]uint64 // bit d: level d is an object
	base := depth
	for {
		// A value starts at b[i].
		if i >= len(b) {
			return -1
		}
		if c := b[i]; c == '{' || c == '[' {
			if depth >= MaxDepth {
				return -1
			}
			closer := byte(']')
			isObj[depth/64] &^= 1 << (depth % 64)
			if c == '{' {
				closer = '}'
				isObj[depth/64] |= 1 << (depth % 64)
			}
			depth++
			i = SkipWS(b, i+1)
			if i >= len(b) || b[i] != closer {
				if c == '{' {
					if i = memberKey(b, i); i < 0 {
						return -1
					}
				}
				continue // the first element
			}
			i++ // empty
			depth--
		} else if i = skipScalar(b, i); i < 0 {
			return -1
		}
		// After a value: a comma, or the end of the enclosing container.
		for {
			if depth == base {
				return i
			}
			i = SkipWS(b, i)
			if i >= len(b) {
				return -1
			}
			d := depth - 1
			obj := isObj[d/64]&(1<<(d%64)) != 0
			if b[i] == ',' {
				i = SkipWS(b, i+1)
				if obj {
					if i = memberKey(b, i); i < 0 {
						return -1
					}
				}
				break
			}
			if (obj && b[i] == '}') || (!obj && b[i] == ']') {
				i++
				depth--
				continue
			}
			return -1
		}
	}
}

// memberKey reads `"key" :` at b[i] and returns the index of the value
// after it, or -1.
func memberKey(b []byte, i int) int {
	if i >= len(b) || b[i] != '"' {
		return -1
	}
	_, _, next := ScanString(b, i+1)
	if next < 0 {
		return -1
	}
	i = SkipWS(b, next)
	if i >= len(b) || b[i] != ':' {
		return -1
	}
	return SkipWS(b, i+1)
}

// skipScalar skips the string, number or literal at b[i], or returns -1.
func skipScalar(b []byte, i int) int {
	switch b[i] {
	case '"':
		_, _, next := ScanString(b, i+1)
		return next
	case 't':
		return Literal(b, i, "true")
	case 'f':
		return Literal(b, i, "false")
	case 'n':
		return Literal(b, i, "null")
	}
	return ScanNumber(b, i)
}
