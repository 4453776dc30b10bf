package preset

import (
	"strconv"

	"github.com/heady/heady-metrics/internal/jsonscan"
)

// maxDepth bounds the nesting of a line, its own object included, as the
// canonical decoder does: deeper lines are malformed.
const maxDepth = jsonscan.MaxDepth

// kind is the JSON kind of a recorded value.
type kind uint8

const (
	kAbsent    kind = iota
	kString         // raw is the content between the quotes, no escape
	kStringEsc      // raw is the content between the quotes, with escapes
	kNumber         // raw is the literal
	kTrue
	kFalse
	kNull
	kObject // raw is the whole object
	kArray  // raw is the whole array
)

func isWS(c byte) bool { return c == ' ' || c == '\t' || c == '\n' || c == '\r' }

// skip validates and skips the value at b[i] (not whitespace), nested in
// depth containers. It returns the index after it, or -1.
func skip(b []byte, i, depth int) int { return jsonscan.SkipValue(b, i, depth) }

// pow10 holds the powers of ten that float64 represents exactly.
var pow10 = [...]float64{1e0, 1e1, 1e2, 1e3, 1e4, 1e5, 1e6, 1e7, 1e8, 1e9, 1e10,
	1e11, 1e12, 1e13, 1e14, 1e15, 1e16, 1e17, 1e18, 1e19, 1e20, 1e21, 1e22}

// parseNumber parses a JSON number literal. Literals of at most 15 digits
// without an exponent (nearly all numbers in logs) take an exact fast path:
// the mantissa and the power of ten are exact float64 values, so one
// division is correctly rounded, as strconv.ParseFloat would round.
func parseNumber(s string) (float64, bool) {
	i, neg := 0, false
	if len(s) > 0 && s[0] == '-' {
		i, neg = 1, true
	}
	var m uint64
	digits, frac, dot := 0, 0, false
	for ; i < len(s); i++ {
		c := s[i]
		switch {
		case c >= '0' && c <= '9':
			m = m*10 + uint64(c-'0')
			digits++
			if dot {
				frac++
			}
		case c == '.' && !dot:
			dot = true
		default:
			digits = 99 // exponent or junk: the slow path decides
		}
		if digits > 15 {
			break
		}
	}
	if digits == 0 || digits > 15 {
		f, err := strconv.ParseFloat(s, 64)
		return f, err == nil
	}
	f := float64(m) / pow10[frac]
	if neg {
		f = -f
	}
	return f, true
}
