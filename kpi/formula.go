package kpi

import (
	"fmt"
	"math"
	"strconv"
	"strings"
)

// A Formula says how a KPI value is computed from exported series. The same
// formula yields the PromQL of the recording rules (PromQL) and the Go
// evaluation the exporter's `kpis` command and scorecard use (Eval), so the
// two cannot drift apart.
type Formula struct {
	Kind FormulaKind
	Num  Sel // Ratio, MaxRatioBy: numerator; Sum, Agg, ShareOfOnes: the series
	Den  Sel // Ratio, MaxRatioBy: denominator
	// Scale multiplies the numerator (stickiness: 1/7); 0 means 1.
	Scale float64
	// Minus1 subtracts one from the ratio (growth rates).
	Minus1 bool
	// Agg is max, min or avg over the Num series' label sets (Agg kind).
	Agg string
	// By is the label MaxRatioBy divides per value of before taking the max.
	By string
	// Q and Window select a quantile of a windowed histogram.
	Q      float64
	Window string
}

// FormulaKind enumerates formula shapes.
type FormulaKind int

const (
	FRatio       FormulaKind = iota + 1 // sum(Num) * Scale / sum(Den) [- 1]
	FSum                                // sum(Num)
	FAgg                                // Agg over Num's series (each first summed over instances)
	FQuantile                           // histogram quantile Q of Num in Window
	FMaxRatioBy                         // max over By of Num/Den
	FShareOfOnes                        // sum(Num) / count(Num): the share of 0/1 gauges at 1
)

// Sel selects samples of one series by label values.
type Sel struct {
	Series string
	Match  []Match
}

// Match keeps samples whose label Label has one of Values.
type Match struct {
	Label  string
	Values []string
}

// S builds a selector: S(series, "window", "7d", "status", "success").
// A value with "|" matches any of its parts.
func S(series string, kv ...string) Sel {
	s := Sel{Series: series}
	for i := 0; i+1 < len(kv); i += 2 {
		s.Match = append(s.Match, Match{Label: kv[i], Values: strings.Split(kv[i+1], "|")})
	}
	return s
}

// Ratio is num / den with no value for a zero denominator.
func Ratio(num, den Sel) Formula { return Formula{Kind: FRatio, Num: num, Den: den} }

// Sum is the sum of a selector.
func Sum(s Sel) Formula { return Formula{Kind: FSum, Num: s} }

// Quantile is a quantile of a windowed histogram.
func Quantile(q float64, series, window string) Formula {
	return Formula{Kind: FQuantile, Num: Sel{Series: series}, Q: q, Window: window}
}

// Agg aggregates the (instance-deduplicated) series of a selector.
func Agg(op string, s Sel) Formula { return Formula{Kind: FAgg, Num: s, Agg: op} }

// labelsOf returns the labels a selector keeps after summing over instances
// and over its matched labels: the series' labels minus window and matched.
func (s Sel) promql() string {
	if len(s.Match) == 0 {
		return s.Series
	}
	parts := make([]string, len(s.Match))
	for i, m := range s.Match {
		if len(m.Values) == 1 {
			parts[i] = fmt.Sprintf("%s=%q", m.Label, m.Values[0])
		} else {
			parts[i] = fmt.Sprintf("%s=~%q", m.Label, strings.Join(m.Values, "|"))
		}
	}
	return s.Series + "{" + strings.Join(parts, ",") + "}"
}

// summed is the selector summed over instances and every label it matches
// on (so numerator and denominator line up), keeping the user's own target
// labels such as job.
func (s Sel) summed(extra ...string) string {
	drop := []string{"instance"}
	ser, _ := LookupSeries(s.Series)
	drop = append(drop, ser.Labels...)
	drop = append(drop, extra...)
	return fmt.Sprintf("sum without (%s) (%s)", strings.Join(dedupe(drop), ", "), s.promql())
}

func dedupe(in []string) []string {
	seen := map[string]bool{}
	out := in[:0:0]
	for _, s := range in {
		if !seen[s] {
			seen[s] = true
			out = append(out, s)
		}
	}
	return out
}

// PromQL renders the formula for a recording rule. Results carry no
// instance or series label, so values from several exporters add up.
func (f Formula) PromQL() string {
	switch f.Kind {
	case FRatio:
		num := f.Num.summed()
		if f.Scale != 0 && f.Scale != 1 {
			num = fmt.Sprintf("%s * %g", num, f.Scale)
		}
		q := fmt.Sprintf("(%s) / (%s > 0)", num, f.Den.summed())
		if f.Minus1 {
			q += " - 1"
		}
		return q
	case FSum:
		return f.Num.summed()
	case FAgg:
		ser, _ := LookupSeries(f.Num.Series)
		// The same series from several instances (shard 0 owns these) is
		// collapsed with max before aggregating across label values.
		return fmt.Sprintf("%s without (%s) (max without (instance) (%s))", f.Agg,
			strings.Join(ser.Labels, ", "), f.Num.promql())
	case FQuantile:
		if IsAtMostSeries(f.Num.Series) {
			// Windowed counts by upper bound (gauges of user-split
			// distributions, which shards add up), interpolated: the
			// at_most label becomes histogram_quantile's le.
			w := S(f.Num.Series, "window", f.Window)
			c := S(f.Num.Series, "window", f.Window, LabelAtMost, "+Inf")
			if f.Window == "" {
				w, c = Sel{Series: f.Num.Series}, S(f.Num.Series, LabelAtMost, "+Inf")
			}
			return fmt.Sprintf(`histogram_quantile(%g, sum without (instance, window, %s) (label_replace(%s, "le", "$1", "%s", "(.*)"))) and (sum without (instance, window, %s) (%s) > 0)`,
				f.Q, LabelAtMost, w.promql(), LabelAtMost, LabelAtMost, c.promql())
		}
		// The exporter exports the exact quantile of the window as a
		// gauge (of distributions one shard holds: the highest is taken).
		q := S(f.Num.Series, "window", f.Window, "q", strconv.FormatFloat(f.Q, 'g', -1, 64))
		if f.Window == "" {
			q = S(f.Num.Series, "q", strconv.FormatFloat(f.Q, 'g', -1, 64))
		}
		return fmt.Sprintf("max without (instance, window, q) (%s)", q.promql())
	case FMaxRatioBy:
		return fmt.Sprintf("max without (%s) ((sum without (instance) (%s)) / (sum without (instance) (%s) > 0))",
			f.By, f.Num.promql(), f.Den.promql())
	case FShareOfOnes:
		ser, _ := LookupSeries(f.Num.Series)
		inner := fmt.Sprintf("max without (instance) (%s)", f.Num.promql())
		l := strings.Join(ser.Labels, ", ")
		return fmt.Sprintf("(sum without (%s) (%s)) / (count without (%s) (%s))", l, inner, l, inner)
	}
	return ""
}

// Sample is one exported value, as the engine's view and a scrape hold it.
// LabelValues follow the series' Labels order.
type Sample struct {
	Name        string
	LabelValues []string
	Value       float64
}

// TopEntry is one row of a top list.
type TopEntry struct {
	Name  string
	Count float64
}

func (s Sel) matches(sm *Sample) bool {
	if sm.Name != s.Series {
		return false
	}
	if len(s.Match) == 0 {
		return true
	}
	ser, _ := LookupSeries(s.Series)
	for _, m := range s.Match {
		idx := -1
		for i, l := range ser.Labels {
			if l == m.Label {
				idx = i
			}
		}
		val := ""
		if idx >= 0 && idx < len(sm.LabelValues) {
			val = sm.LabelValues[idx]
		}
		ok := false
		for _, v := range m.Values {
			if v == val {
				ok = true
			}
		}
		if !ok {
			return false
		}
	}
	return true
}

func (s Sel) sum(samples []Sample) (float64, bool) {
	total, found := 0.0, false
	for i := range samples {
		if s.matches(&samples[i]) {
			total += samples[i].Value
			found = true
		}
	}
	return total, found
}

// Eval computes the formula over one exporter's samples. It returns false
// where PromQL would return no sample. Quantiles are not evaluated here: the
// engine reports them exactly (see Input.Exact).
func (f Formula) Eval(samples []Sample) (float64, bool) {
	switch f.Kind {
	case FRatio:
		num, okN := f.Num.sum(samples)
		den, okD := f.Den.sum(samples)
		if !okN || !okD || den <= 0 {
			return 0, false
		}
		scale := f.Scale
		if scale == 0 {
			scale = 1
		}
		r := num * scale / den
		if f.Minus1 {
			r--
		}
		return r, true
	case FSum:
		return f.Num.sum(samples)
	case FAgg:
		var vals []float64
		for i := range samples {
			if f.Num.matches(&samples[i]) {
				vals = append(vals, samples[i].Value)
			}
		}
		if len(vals) == 0 {
			return 0, false
		}
		r := vals[0]
		sum := 0.0
		for _, v := range vals {
			sum += v
			switch f.Agg {
			case "max":
				r = math.Max(r, v)
			case "min":
				r = math.Min(r, v)
			}
		}
		if f.Agg == "avg" {
			r = sum / float64(len(vals))
		}
		return r, true
	case FMaxRatioBy:
		nums, dens := f.byLabel(f.Num, samples), f.byLabel(f.Den, samples)
		best, ok := 0.0, false
		for k, n := range nums {
			if d, has := dens[k]; has && d > 0 {
				if r := n / d; !ok || r > best {
					best, ok = r, true
				}
			}
		}
		return best, ok
	case FShareOfOnes:
		n, ones := 0, 0.0
		for i := range samples {
			if f.Num.matches(&samples[i]) {
				n++
				ones += samples[i].Value
			}
		}
		if n == 0 {
			return 0, false
		}
		return ones / float64(n), true
	}
	return 0, false
}

func (f Formula) byLabel(s Sel, samples []Sample) map[string]float64 {
	ser, _ := LookupSeries(s.Series)
	idx := -1
	for i, l := range ser.Labels {
		if l == f.By {
			idx = i
		}
	}
	out := map[string]float64{}
	for i := range samples {
		if s.matches(&samples[i]) && idx >= 0 && idx < len(samples[i].LabelValues) {
			out[samples[i].LabelValues[idx]] += samples[i].Value
		}
	}
	return out
}

// Series lists the series a formula reads.
func (f Formula) Series() []string {
	var out []string
	for _, s := range []string{f.Num.Series, f.Den.Series} {
		if s != "" {
			out = append(out, s)
		}
	}
	return dedupe(out)
}
