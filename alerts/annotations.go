package alerts

import (
	"fmt"
	"math"
	"strings"

	"github.com/heady/heady-metrics/dashboards"
	"github.com/heady/heady-metrics/kpi"
)

// valueTemplate is the Prometheus template rendering $value in a unit.
func valueTemplate(u kpi.Unit) string {
	switch u {
	case kpi.UnitRatio:
		return `{{ $value | humanizePercentage }}`
	case kpi.UnitSeconds:
		return `{{ $value | humanizeDuration }}`
	case kpi.UnitUSD:
		return `${{ $value | printf "%.2f" }}`
	case kpi.UnitUsers, kpi.UnitCount:
		return `{{ $value | printf "%.0f" }}`
	case kpi.UnitScore:
		return `{{ $value | printf "%.1f" }}`
	}
	return `{{ $value | printf "%.2f" }}`
}

// HumanValue renders v as valueTemplate(u) does in Prometheus; the promtool
// tests expect its output.
func HumanValue(u kpi.Unit, v float64) string {
	switch u {
	case kpi.UnitRatio:
		return humanizePercentage(v)
	case kpi.UnitSeconds:
		return humanizeDuration(v)
	case kpi.UnitUSD:
		return "$" + fmt.Sprintf("%.2f", v)
	case kpi.UnitUsers, kpi.UnitCount:
		return fmt.Sprintf("%.0f", v)
	case kpi.UnitScore:
		return fmt.Sprintf("%.1f", v)
	}
	return fmt.Sprintf("%.2f", v)
}

// humanizePercentage is Prometheus's template function of that name.
func humanizePercentage(v float64) string { return fmt.Sprintf("%.4g%%", v*100) }

// humanizeDuration is Prometheus's template function of that name.
func humanizeDuration(v float64) string {
	if math.IsNaN(v) || math.IsInf(v, 0) {
		return fmt.Sprintf("%.4g", v)
	}
	if v == 0 {
		return fmt.Sprintf("%.4gs", v)
	}
	if math.Abs(v) >= 1 {
		sign := ""
		if v < 0 {
			sign, v = "-", -v
		}
		d := int64(v)
		seconds, minutes, hours, days := d%60, (d/60)%60, (d/3600)%24, d/86400
		switch {
		case days != 0:
			return fmt.Sprintf("%s%dd %dh %dm %ds", sign, days, hours, minutes, seconds)
		case hours != 0:
			return fmt.Sprintf("%s%dh %dm %ds", sign, hours, minutes, seconds)
		case minutes != 0:
			return fmt.Sprintf("%s%dm %ds", sign, minutes, seconds)
		}
		return fmt.Sprintf("%s%.4gs", sign, v)
	}
	prefix := ""
	for _, p := range []string{"m", "u", "n", "p", "f", "a", "z", "y"} {
		if math.Abs(v) >= 1 {
			break
		}
		prefix = p
		v *= 1000
	}
	return fmt.Sprintf("%.4g%ss", v, prefix)
}

// Annotation keys the Alertmanager templates read.
const (
	AnnSummary     = "summary"
	AnnDescription = "description"
	AnnValue       = "value"
	AnnTarget      = "target"
	AnnRunbook     = "runbook_url"
	AnnDashboard   = "dashboard_url"
)

func guardNote(k kpi.KPI) string {
	if k.GuardOn == nil {
		return ""
	}
	return " Judged only while its cohort has at least " + kpi.FormatValue(kpi.UnitCount, k.GuardMin) + " users."
}

// valueAnnotations are a value alert's annotations; value is the template
// (or, in tests, the rendered value).
func valueAnnotations(o Options, k kpi.KPI) map[string]string {
	return valueAnnotationsWith(o, k, valueTemplate(k.Unit))
}

func valueAnnotationsWith(o Options, k kpi.KPI, value string) map[string]string {
	target := k.Target.Text(k.Unit)
	return map[string]string{
		AnnSummary:     fmt.Sprintf("%s missed its target: %s, target %s", k.Title, value, target),
		AnnDescription: fmt.Sprintf("%s (KPI %s, panel %s) has missed its target for %s: it is %s, the target is %s. Definition: %s%s", k.Title, k.ID, kpi.PanelTitle(k.Panel), forText(k.For), value, target, k.Help, guardNote(k)),
		AnnValue:       value,
		AnnTarget:      target,
		AnnRunbook:     o.RunbookURL(k.ID),
		AnnDashboard:   o.DashboardURL(dashboards.PanelUID(k.Panel)),
	}
}

func trendAnnotations(o Options, k kpi.KPI) map[string]string {
	return trendAnnotationsWith(o, k, `{{ $value | humanizePercentage }}`)
}

// forText writes an alert's for: duration for people.
func forText(d string) string {
	if d == "0s" {
		return "any time at all"
	}
	return d
}

// TrendChangeText is how a trend alert writes its value, the trend's
// move on the previous window (change is |trend - 1|, rendered).
func TrendChangeText(t kpi.Target, change string) string {
	if t.Trend == kpi.TrendIncreasing {
		return "down " + change + " on the previous window"
	}
	return "up " + change + " on the previous window"
}

func trendAnnotationsWith(o Options, k kpi.KPI, change string) map[string]string {
	value := TrendChangeText(k.Target, change)
	target := k.Target.Text(k.Unit)
	return map[string]string{
		AnnSummary:     fmt.Sprintf("%s missed its target: %s, target %s", k.Title, value, target),
		AnnDescription: fmt.Sprintf("%s (KPI %s, panel %s) has missed its target for %s: it is %s, the target is %s. Definition: %s%s", k.Title, k.ID, kpi.PanelTitle(k.Panel), forText(k.For), value, target, k.Help, guardNote(k)),
		AnnValue:       value,
		AnnTarget:      target,
		AnnRunbook:     o.RunbookURL(k.ID),
		AnnDashboard:   o.DashboardURL(dashboards.PanelUID(k.Panel)),
	}
}

func burnAnnotations(o Options, k kpi.KPI, alert, long, short string, factor, budget float64) map[string]string {
	return burnAnnotationsWith(o, k, alert, long, short, factor, budget, `{{ $value | humanizePercentage }}`)
}

// burnAnnotationsWith are a burn-rate alert's annotations; its runbook is
// the alert's own section (time left, urgency, the failing tool).
func burnAnnotationsWith(o Options, k kpi.KPI, alert, long, short string, factor, budget float64, value string) map[string]string {
	target := k.Target.Text(k.Unit)
	limit := humanizePercentage(factor * budget)
	return map[string]string{
		AnnSummary: fmt.Sprintf("Tool calls are burning their error budget %gx too fast: %s failed over %s", factor, value, long),
		AnnDescription: strings.Join([]string{
			fmt.Sprintf("Tool call errors over the last %s are %s and over the last %s also above %s (%g times the %s error budget of the %s target).", long, value, short, limit, factor, humanizePercentage(budget), target),
			fmt.Sprintf("At this rate the 7d budget is spent in %s.", humanizeDuration(7*86400/factor)),
		}, " "),
		AnnValue:     value + " errors over " + long,
		AnnTarget:    target,
		AnnRunbook:   o.RunbookURL(Anchor(alert)),
		AnnDashboard: o.DashboardURL(dashboards.PanelUID(k.Panel)),
	}
}
