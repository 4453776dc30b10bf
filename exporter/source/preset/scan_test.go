package preset

import (
	"math/rand/v2"
	"strconv"
	"testing"
)

// TestParseNumber: the fast path rounds exactly as strconv.ParseFloat.
func TestParseNumber(t *testing.T) {
	r := rand.New(rand.NewPCG(5, 6))
	cases := []string{"0", "-0", "1", "0.0001", "0.1", "0.3", "123456789012345", "1234567890123456",
		"99999999999999999999", "1e5", "1.5E-3", "-2.5", "0.000015340000000000002", "1396", "5600"}
	for range 20000 {
		digits := 1 + r.IntN(15)
		s := strconv.FormatUint(r.Uint64N(1<<53)%pow(digits), 10)
		if k := r.IntN(len(s) + 1); k > 0 && k < len(s) {
			s = s[:k] + "." + s[k:]
		}
		cases = append(cases, s)
	}
	for _, s := range cases {
		want, werr := strconv.ParseFloat(s, 64)
		got, ok := parseNumber(s)
		if ok != (werr == nil) || got != want {
			t.Errorf("parseNumber(%q) = %v %v, want %v %v", s, got, ok, want, werr)
		}
	}
}

func pow(n int) uint64 {
	p := uint64(1)
	for range n {
		p *= 10
	}
	return p
}
