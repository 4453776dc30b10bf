package engine

import (
	"math"
	"sort"
	"strings"
)

// OtherLabel is the label value that stands for every value past a cap.
const OtherLabel = "other"

// keyed holds one T per value of an open label set (tool, workflow, model,
// policy, repo, env), up to max distinct values; later values share the
// OtherLabel entry, so memory stays bounded whatever the input.
type keyed[T any] struct {
	max int
	m   map[string]*T
}

func newKeyed[T any](limit int) keyed[T] { return keyed[T]{max: limit, m: map[string]*T{}} }

// get returns the entry for key, creating it (with a copy of key) on first
// use. key may alias a decoder buffer.
func (k *keyed[T]) get(key string) *T {
	if key == "" {
		key = "unknown"
	}
	if k.m == nil { // a keyed inside a keyed starts as its zero value
		k.m, k.max = map[string]*T{}, maxOpenValues
	}
	if p, ok := k.m[key]; ok {
		return p
	}
	if len(k.m) >= k.max {
		key = OtherLabel
		if p, ok := k.m[key]; ok {
			return p
		}
	}
	p := new(T)
	k.m[strings.Clone(key)] = p
	return p
}

// forget deletes the entries for which empty reports true: a value whose
// history has all been pruned gives its place under the cap back, so a
// long-running exporter does not fold every new value into OtherLabel
// once max values have ever been seen.
func (k *keyed[T]) forget(empty func(*T) bool) {
	for key, p := range k.m {
		if empty(p) {
			delete(k.m, key)
		}
	}
}

func (k *keyed[T]) keys() []string {
	out := make([]string, 0, len(k.m))
	for key := range k.m {
		out = append(out, key)
	}
	sort.Strings(out)
	return out
}

// Index sets of the closed label values. The last entry of each takes what
// the contract does not list, so a new word upstream is seen, not dropped.
var (
	toolStatuses    = []string{"success", "error", "denied", OtherLabel}
	verifiedStatus  = []string{"success", "failure"}
	arenaResults    = []string{"promoted", "rejected", "failed", OtherLabel}
	gateResults     = []string{"pass", "fail", OtherLabel}
	deployResults   = []string{"success", "failure", OtherLabel}
	routedValues    = []string{"cheaper", "default", "fallback", "none", OtherLabel}
	milestoneHitVal = []string{"true", "false"}
)

func indexOf(set []string, v string) int {
	for i, s := range set[:len(set)-1] {
		if s == v {
			return i
		}
	}
	return len(set) - 1
}

// topN ranks counts descending (ties by name ascending) and folds everything
// past n into OtherLabel.
type ranked struct {
	Name  string
	Count float64
}

func topN(in []ranked, n int) []ranked {
	sort.Slice(in, func(i, j int) bool {
		if in[i].Count != in[j].Count {
			return in[i].Count > in[j].Count
		}
		return in[i].Name < in[j].Name
	})
	var other float64
	out := make([]ranked, 0, n+1)
	hasOther := false
	for _, r := range in {
		if r.Name == OtherLabel {
			other += r.Count
			hasOther = true
			continue
		}
		if len(out) < n {
			out = append(out, r)
		} else {
			other += r.Count
			hasOther = true
		}
	}
	if hasOther {
		out = append(out, ranked{OtherLabel, other})
	}
	return out
}

// Log-bucketed values, for quantiles of high-volume streams. Bucket i holds
// values in (gamma^(i-1), gamma^i], gamma = 2^(1/40): the bucket's geometric
// middle is within 0.9% of every value in it. Exported histogram bounds are
// every tenth bucket bound, le = 2^(k/4), so bucket counts map onto them
// exactly.
const (
	sketchPerOctave = 40
	exportPerOctave = 4
	zeroBucket      = math.MinInt16
)

func sketchBucket(v float64) int16 {
	if v <= 0 || math.IsNaN(v) {
		return zeroBucket
	}
	i := math.Ceil(math.Log2(v) * sketchPerOctave)
	if i < sketchMin {
		i = sketchMin
	}
	if i > sketchMax {
		i = sketchMax
	}
	return int16(i)
}

// sketchTimelines holds one timeline per log bucket, indexed directly.
type sketchTimelines struct {
	zero    *timeline
	buckets []*timeline // index i - sketchMin
}

const (
	sketchMin = -1000
	sketchMax = 2000
)

func (s *sketchTimelines) get(b int16) *timeline {
	if b == zeroBucket {
		if s.zero == nil {
			s.zero = &timeline{}
		}
		return s.zero
	}
	if s.buckets == nil {
		s.buckets = make([]*timeline, sketchMax-sketchMin+1)
	}
	p := &s.buckets[int(b)-sketchMin]
	if *p == nil {
		*p = &timeline{}
	}
	return *p
}

// each calls fn for every bucket with a timeline, in bucket order.
func (s *sketchTimelines) each(fn func(b int16, tl *timeline)) {
	if s.zero != nil {
		fn(zeroBucket, s.zero)
	}
	for i, tl := range s.buckets {
		if tl != nil {
			fn(int16(i+sketchMin), tl)
		}
	}
}

func (s *sketchTimelines) prune(sec int64) {
	if s.zero != nil {
		if s.zero.prune(sec); s.zero.empty() {
			s.zero = nil
		}
	}
	for i, tl := range s.buckets {
		if tl != nil {
			if tl.prune(sec); tl.empty() {
				s.buckets[i] = nil
			}
		}
	}
}

func (s *sketchTimelines) len() int {
	n := 0
	s.each(func(int16, *timeline) { n++ })
	return n
}

func sketchValue(i int16) float64 {
	if i == zeroBucket {
		return 0
	}
	hi := math.Exp2(float64(i) / sketchPerOctave)
	lo := math.Exp2(float64(i-1) / sketchPerOctave)
	return math.Sqrt(hi * lo)
}

// Bounds returns exported histogram upper bounds 2^(k/4) from about lo to
// about hi (both > 0).
func Bounds(lo, hi float64) []float64 {
	kmin := int(math.Floor(math.Log2(lo) * exportPerOctave))
	kmax := int(math.Ceil(math.Log2(hi) * exportPerOctave))
	out := make([]float64, 0, kmax-kmin+1)
	for k := kmin; k <= kmax; k++ {
		out = append(out, math.Exp2(float64(k)/exportPerOctave))
	}
	return out
}

// Exported bucket ranges.
var (
	latencyBounds = Bounds(0.001, 120)        // gateway durations, seconds
	longBounds    = Bounds(1, 400*24*60*60.0) // seconds up to 400 days
)

// exactQuantile returns the q-quantile of sorted values with linear
// interpolation between closest ranks (the common "type 7" definition; the
// median of an even count is the mean of the two middle values).
func exactQuantile(sorted []float64, q float64) float64 {
	n := len(sorted)
	if n == 0 {
		return math.NaN()
	}
	h := q * float64(n-1)
	lo := int(math.Floor(h))
	if lo >= n-1 {
		return sorted[n-1]
	}
	return sorted[lo] + (h-float64(lo))*(sorted[lo+1]-sorted[lo])
}
