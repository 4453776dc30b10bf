package alerts

import (
	"fmt"
	"math"
	"sort"
	"strconv"
	"strings"

	"github.com/heady/heady-metrics/kpi"
)

// The promtool tests feed each KPI's formula with exported series built to
// give a chosen value: a value that meets the target and one that misses it.
// The expected recorded value is computed in Go with the same floating-point
// operations PromQL performs (kpi.Formula.Eval, or the bucket interpolation
// for quantiles), so the tests compare exactly.

// TestJob is the job label of the test input series.
const testJob = "heady"

// instances the test inputs are split over, to prove sums across exporters.
var testInstances = []string{"exporter-a:9877", "exporter-b:9877"}

// sample is one input series with a constant value.
type sample struct {
	name   string
	labels map[string]string
	value  float64
}

func (s sample) key() string {
	keys := make([]string, 0, len(s.labels))
	for k := range s.labels {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	parts := make([]string, len(keys))
	for i, k := range keys {
		parts[i] = fmt.Sprintf("%s=%q", k, s.labels[k])
	}
	return s.name + "{" + strings.Join(parts, ",") + "}"
}

// samples accumulates input series, refusing a label set twice.
type samples struct {
	list []sample
	seen map[string]bool
	err  error
}

func (ss *samples) add(s sample) {
	if ss.seen == nil {
		ss.seen = map[string]bool{}
	}
	k := s.key()
	if ss.seen[k] && ss.err == nil {
		ss.err = fmt.Errorf("fixture: series %s built twice", k)
	}
	ss.seen[k] = true
	ss.list = append(ss.list, s)
}

// kpiSamples converts the inputs to what kpi.Formula.Eval reads.
func (ss *samples) kpiSamples() []kpi.Sample {
	var out []kpi.Sample
	for _, s := range ss.list {
		ser, ok := kpi.LookupSeries(s.name)
		if !ok {
			continue // histogram buckets: not evaluated in Go
		}
		lv := make([]string, len(ser.Labels))
		for i, l := range ser.Labels {
			lv[i] = s.labels[l]
		}
		out = append(out, kpi.Sample{Name: s.name, LabelValues: lv, Value: s.value})
	}
	return out
}

// labelsFor returns the labels of a sample of sel: matched labels take the
// first matched value, others a fixed value.
func labelsFor(sel kpi.Sel) map[string]string {
	ser, _ := kpi.LookupSeries(sel.Series)
	l := map[string]string{}
	for _, name := range ser.Labels {
		l[name] = "fixture"
	}
	for _, m := range sel.Match {
		l[m.Label] = m.Values[0]
	}
	return l
}

func withInstance(l map[string]string, inst string) map[string]string {
	out := map[string]string{"job": testJob, "instance": inst}
	for k, v := range l {
		out[k] = v
	}
	return out
}

// split adds total over the test instances (40% / 60%, whole numbers).
func (ss *samples) split(name string, l map[string]string, total float64) {
	a := math.Floor(total * 0.4)
	ss.add(sample{name, withInstance(l, testInstances[0]), a})
	ss.add(sample{name, withInstance(l, testInstances[1]), total - a})
}

// both adds the same value on every test instance (values each exporter
// reports alike, aggregated with max over instances).
func (ss *samples) both(name string, l map[string]string, v float64) {
	for _, inst := range testInstances {
		ss.add(sample{name, withInstance(l, inst), v})
	}
}

// usedWindows lists the windows a KPI's formulas select, per series.
func usedWindows(k kpi.KPI) map[string]bool {
	used := map[string]bool{}
	for _, f := range []*kpi.Formula{k.F, k.PrevF} {
		if f == nil {
			continue
		}
		for _, sel := range []kpi.Sel{f.Num, f.Den} {
			for _, m := range sel.Match {
				if m.Label == "window" {
					for _, v := range m.Values {
						used[sel.Series+"/"+v] = true
					}
				}
			}
			if f.Kind == kpi.FQuantile {
				used[f.Num.Series+"/"+f.Window] = true
			}
		}
	}
	return used
}

// noise adds a series of sel's metric in a window no formula of the KPI
// selects, which must not change the value.
func (ss *samples) noise(sel kpi.Sel, used map[string]bool) {
	ser, _ := kpi.LookupSeries(sel.Series)
	for _, w := range ser.Windows {
		if used[sel.Series+"/"+w] {
			continue
		}
		l := labelsFor(sel)
		l["window"] = w
		if ss.seen[sample{sel.Series, withInstance(l, testInstances[0]), 0}.key()] {
			continue
		}
		ss.split(sel.Series, l, 999)
		return
	}
}

// otherValue returns a value of label that den selects and num does not.
func otherValue(label string, num, den kpi.Sel) (string, error) {
	numVals := map[string]bool{}
	for _, m := range num.Match {
		if m.Label == label {
			for _, v := range m.Values {
				numVals[v] = true
			}
		}
	}
	for _, m := range den.Match {
		if m.Label == label {
			for _, v := range m.Values {
				if !numVals[v] {
					return v, nil
				}
			}
			return "", fmt.Errorf("fixture: denominator selects no %s beyond the numerator's", label)
		}
	}
	return "fixture_other", nil
}

// build adds the inputs that make formula f worth about v and returns the
// exact value PromQL computes from them. den scales ratio denominators.
func (ss *samples) build(k kpi.KPI, f *kpi.Formula, v, den float64) (float64, error) {
	used := usedWindows(k)
	switch f.Kind {
	case kpi.FRatio:
		scale := f.Scale
		if scale == 0 {
			scale = 1
		}
		r := v
		if f.Minus1 {
			r++
		}
		n := math.Round(r * den / scale)
		if f.Num.Series == f.Den.Series {
			if n > den {
				return 0, fmt.Errorf("fixture %s: numerator %g above denominator %g of one series", k.ID, n, den)
			}
			ss.split(f.Num.Series, labelsFor(f.Num), n)
			rest := labelsFor(f.Num)
			for _, m := range f.Num.Match {
				inDen := false
				for _, dm := range f.Den.Match {
					inDen = inDen || (dm.Label == m.Label && len(dm.Values) == 1 && dm.Values[0] == m.Values[0])
				}
				if inDen {
					continue
				}
				ov, err := otherValue(m.Label, f.Num, f.Den)
				if err != nil {
					return 0, err
				}
				rest[m.Label] = ov
			}
			ss.split(f.Num.Series, rest, den-n)
		} else {
			ss.split(f.Num.Series, labelsFor(f.Num), n)
			ss.split(f.Den.Series, labelsFor(f.Den), den)
		}
		ss.noise(f.Num, used)
		ss.noise(f.Den, used)
	case kpi.FSum:
		ss.split(f.Num.Series, labelsFor(f.Num), math.Round(v))
		ss.noise(f.Num, used)
	case kpi.FAgg:
		ser, _ := kpi.LookupSeries(f.Num.Series)
		if len(ser.Labels) == 0 {
			ss.both(f.Num.Series, labelsFor(f.Num), v)
			break
		}
		other := v
		switch f.Agg {
		case "max":
			other = v - 1
		case "min":
			other = v + 1
		}
		for i, x := range []float64{v, other} {
			l := labelsFor(f.Num)
			for _, name := range ser.Labels {
				l[name] = fmt.Sprintf("%s-%d", name, i+1)
			}
			ss.both(f.Num.Series, l, x)
		}
	case kpi.FMaxRatioBy:
		for i, x := range []float64{math.Round(v * den), math.Round(v * den / 2)} {
			l := labelsFor(f.Num)
			l[f.By] = fmt.Sprintf("%s-%d", f.By, i+1)
			ss.split(f.Num.Series, l, x)
			ld := labelsFor(f.Den)
			ld[f.By] = l[f.By]
			ss.split(f.Den.Series, ld, den)
		}
	case kpi.FShareOfOnes:
		const n = 4
		ones := int(math.Round(v * n))
		ser, _ := kpi.LookupSeries(f.Num.Series)
		for i := 0; i < n; i++ {
			l := labelsFor(f.Num)
			for _, name := range ser.Labels {
				l[name] = fmt.Sprintf("%s-%d", name, i+1)
			}
			x := 0.0
			if i < ones {
				x = 1
			}
			ss.both(f.Num.Series, l, x)
		}
	case kpi.FQuantile:
		return ss.histogram(f, v), nil
	default:
		return 0, fmt.Errorf("fixture %s: formula kind %d not supported", k.ID, f.Kind)
	}
	got, ok := f.Eval(ss.kpiSamples())
	if !ok {
		return 0, fmt.Errorf("fixture %s: inputs give no value", k.ID)
	}
	return got, nil
}

// histogram adds the quantile gauges of a windowed distribution (or its
// counts by upper bound, see buckets): v on one
// instance and less on the other (the rule takes the highest), and other
// quantiles far from v (the rule must pick its own); it returns v.
func (ss *samples) histogram(f *kpi.Formula, v float64) float64 {
	if kpi.IsAtMostSeries(f.Num.Series) {
		return ss.buckets(f, v)
	}
	q := strconv.FormatFloat(f.Q, 'g', -1, 64)
	for _, qs := range kpi.Quantiles {
		l := map[string]string{"q": qs}
		if f.Window != "" {
			l["window"] = f.Window
		}
		x := v
		if qs != q {
			x = 10 * v
		}
		ss.add(sample{f.Num.Series, withInstance(l, testInstances[0]), x})
		ss.add(sample{f.Num.Series, withInstance(l, testInstances[1]), x / 2})
	}
	return v
}

// buckets adds windowed counts by upper bound whose observations all lie
// in one bucket (0, b], so that quantile q interpolates to about v, and
// returns the value histogram_quantile computes: b * (q*count / count).
func (ss *samples) buckets(f *kpi.Formula, v float64) float64 {
	b, _ := strconv.ParseFloat(strconv.FormatFloat(v/f.Q, 'g', 4, 64), 64)
	const count = 10.0
	for _, le := range []string{strconv.FormatFloat(b, 'g', -1, 64), "+Inf"} {
		l := map[string]string{kpi.LabelAtMost: le}
		if f.Window != "" {
			l["window"] = f.Window
		}
		ss.split(f.Num.Series, l, count)
	}
	return b * (f.Q * count / count)
}

// targetValues picks a value meeting a value target and one missing it.
func targetValues(k kpi.KPI) (met, missed float64) {
	t := k.Target.Value
	hi := 2 * t
	switch {
	case k.Unit == kpi.UnitRatio:
		hi = 1
	case k.Unit == kpi.UnitScore:
		hi = 100
	case t == 0:
		hi = 2
	}
	switch k.Target.Op {
	case kpi.OpGT, kpi.OpGE:
		return (t + hi) / 2, t / 2
	case kpi.OpLT, kpi.OpLE:
		return t / 2, (t + hi) / 2
	}
	if t == 0 {
		return 0, 1
	}
	return t, t / 2
}

// thresholdDens are the denominators tried for a fixture whose value must be
// exactly the target (with 1000 a ratio of 0.85 is 850/1000, exactly the
// float 0.85; a scaled or shifted ratio may need another).
var thresholdDens = []float64{1000, 2000, 4000, 5000, 7000, 8000, 10000, 14000, 20000, 70000}

// onThresholdDen returns a denominator with which the inputs of k's value
// give exactly its target value, as PromQL computes it, and false when no
// inputs the fixtures build do (a growth rate: n/d - 1 is never exactly
// 0.1 in floating point).
func onThresholdDen(k kpi.KPI) (float64, bool) {
	for _, den := range thresholdDens {
		var ss samples
		if v, err := ss.build(k, k.F, k.Target.Value, den); err == nil && ss.err == nil && v == k.Target.Value {
			return den, true
		}
	}
	return 0, false
}

// baseValue is a plausible value of a KPI without a value target.
func baseValue(u kpi.Unit) float64 {
	switch u {
	case kpi.UnitRatio:
		return 0.25
	case kpi.UnitSeconds:
		return 100
	case kpi.UnitUSD:
		return 0.5
	case kpi.UnitPerUser:
		return 2
	case kpi.UnitScore:
		return 40
	}
	return 100
}

// scenario is one set of inputs and the values the rules must record.
type scenario struct {
	name    string
	inputs  []sample
	value   float64
	prev    float64
	hasPrev bool
	// fires says whether the KPI's alert must fire.
	fires bool
}

func (sc scenario) trend() float64 { return sc.value / sc.prev }

// scenarios builds the test inputs of a KPI: for a judged KPI one meeting
// and one missing its target (and, with a cohort guard, one missing it
// with too small a cohort); otherwise one giving a value.
func scenarios(k kpi.KPI) ([]scenario, error) {
	type want struct {
		name        string
		value, prev float64
		den         float64
		fires       bool
	}
	var wants []want
	base := baseValue(k.Unit)
	switch {
	case k.Target.HasValueTarget():
		met, missed := targetValues(k)
		wants = []want{{"target met", met, 0, 1000, false}, {"target missed", missed, 0, 1000, true}}
		if k.Guard != "" {
			wants = append(wants, want{"target missed, cohort too small to alert", missed, 0, 10, false})
		}
		// Exactly on the threshold a strict target (> or <) is missed and
		// an inclusive one (>= or <=) met: the alert's comparison must tell
		// them apart. (An == target's "target met" is on it already.)
		if den, ok := onThresholdDen(k); ok && k.Target.Op != kpi.OpEQ {
			name, fires := "exactly on the threshold, target met", false
			if !k.Target.MetValue(k.Target.Value) {
				name, fires = "exactly on the threshold, target missed", true
			}
			wants = append(wants, want{name, k.Target.Value, 0, den, fires})
		}
	case k.Target.Trend == kpi.TrendDecreasing:
		wants = []want{{"trend met (decreasing)", base, 2 * base, 1000, false}, {"trend missed (increasing)", 2 * base, base, 1000, true}}
	case k.Target.Trend == kpi.TrendIncreasing:
		wants = []want{{"trend met (increasing)", 2 * base, base, 1000, false}, {"trend missed (decreasing)", base, 2 * base, 1000, true}}
	default:
		wants = []want{{"value recorded", base, base / 2, 1000, false}}
	}
	var out []scenario
	for _, w := range wants {
		var ss samples
		v, err := ss.build(k, k.F, w.value, w.den)
		if err != nil {
			return nil, err
		}
		sc := scenario{name: w.name, value: v, fires: w.fires}
		if k.PrevF != nil {
			p, err := ss.build(k, k.PrevF, w.prev, w.den)
			if err != nil {
				return nil, err
			}
			sc.prev, sc.hasPrev = p, true
		}
		if ss.err != nil {
			return nil, fmt.Errorf("%s: %w", k.ID, ss.err)
		}
		sc.inputs = ss.list
		// The fixture must land where it was meant to.
		var missed bool
		switch {
		case k.Target.HasValueTarget():
			missed = !k.Target.MetValue(sc.value)
		case k.Target.HasTrendTarget():
			op, limit := TrendLimit(k.Target)
			missed = (op == ">" && sc.trend() > limit) || (op == "<" && sc.trend() < limit)
		}
		if w.fires != missed && w.den >= 1000 {
			return nil, fmt.Errorf("fixture %s %q: value %g (prev %g) does not land on the intended side of %s", k.ID, w.name, sc.value, sc.prev, k.Target.Format(k.Unit))
		}
		out = append(out, sc)
	}
	return out, nil
}
