package demo

import (
	"math"
	"math/rand/v2"
	"slices"
)

// rng is a seeded random stream. Only the PCG bit generator of math/rand/v2
// is used (its output is fixed by its specification); every derived draw is
// computed here, so the demo data does not change when the standard
// library's sampling helpers do.
type rng struct{ src *rand.PCG }

// newRNG returns the stream named by (seed, stream). Each part of the demo
// draws from its own stream, so changing one part does not reshuffle the
// others.
func newRNG(seed, stream uint64) *rng {
	return &rng{src: rand.NewPCG(seed, stream*0x9e3779b97f4a7c15+1)}
}

// float returns a uniform value in [0, 1).
func (r *rng) float() float64 { return float64(r.src.Uint64()>>11) / (1 << 53) }

// intn returns a uniform value in [0, n); n must be positive.
func (r *rng) intn(n int) int {
	v := int(r.float() * float64(n))
	if v >= n {
		v = n - 1
	}
	return v
}

// between returns a uniform value in [lo, hi).
func (r *rng) between(lo, hi float64) float64 { return lo + (hi-lo)*r.float() }

// chance reports true with probability p.
func (r *rng) chance(p float64) bool { return r.float() < p }

// norm returns a standard normal value (Box-Muller).
func (r *rng) norm() float64 {
	u := 1 - r.float() // (0, 1]
	v := r.float()
	return math.Sqrt(-2*math.Log(u)) * math.Cos(2*math.Pi*v)
}

// lognormal returns a value whose median is median and whose logarithm has
// standard deviation sigma.
func (r *rng) lognormal(median, sigma float64) float64 {
	return median * math.Exp(sigma*r.norm())
}

// pick returns an index drawn with the given (not necessarily normalised)
// weights.
func (r *rng) pick(weights []float64) int {
	total := 0.0
	for _, w := range weights {
		total += w
	}
	x := r.float() * total
	for i, w := range weights {
		if x < w {
			return i
		}
		x -= w
	}
	return len(weights) - 1
}

// hex returns n random lowercase hex digits.
func (r *rng) hex(n int) string {
	const digits = "0123456789abcdef"
	b := make([]byte, n)
	var x uint64
	for i := range b {
		if i%16 == 0 {
			x = r.src.Uint64()
		}
		b[i] = digits[x&15]
		x >>= 4
	}
	return string(b)
}

// sample returns k distinct indices of [0, n) in increasing order (k <= n).
func (r *rng) sample(n, k int) []int {
	idx := make([]int, n)
	for i := range idx {
		idx[i] = i
	}
	for i := 0; i < k; i++ { // partial Fisher-Yates
		j := i + r.intn(n-i)
		idx[i], idx[j] = idx[j], idx[i]
	}
	out := idx[:k]
	slices.Sort(out)
	return out
}
