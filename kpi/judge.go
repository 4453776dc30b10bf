package kpi

import "fmt"

// Status is the one judgment of a KPI every face shows: the recording
// rules (RecordMet and the counts), Grafana's colours, the live page, the
// digest, the Slack text and the kpis JSON.
type Status string

const (
	// StatusMet: the KPI has a target and its value (or trend) meets it.
	StatusMet Status = "met"
	// StatusMissed: the value (or trend) misses the target; the KPI's
	// alert fires once the miss has lasted its for: duration.
	StatusMissed Status = "missed"
	// StatusNoData: the KPI has a target but nothing to judge it by.
	StatusNoData Status = "no data"
	// StatusNotJudged: the KPI has no target, or its cohort is too small
	// to judge (GuardOn).
	StatusNotJudged Status = "not judged"
)

// Judged reports whether the KPI has a target it can be judged by.
func (k KPI) Judged() bool { return k.Target.Judged() && k.F != nil }

// Judge is the judgment, declared once: a KPI with a value target is met
// when its value meets the target, one with a trend target when its trend
// has not moved the wrong way by more than TrendMargin; with no value (or
// no trend) it has no data; without a target, or while its cohort guard
// fails, it is not judged.
func (k KPI) Judge(value float64, hasValue bool, trend float64, hasTrend, guardHolds bool) Status {
	t := k.Target
	if !k.Judged() {
		return StatusNotJudged
	}
	var has, met bool
	switch {
	case t.HasValueTarget():
		has, met = hasValue, hasValue && t.MetValue(value)
	default:
		has, met = hasTrend, hasTrend && t.MetTrend(trend)
	}
	switch {
	case !has:
		return StatusNoData
	case !guardHolds:
		return StatusNotJudged
	case met:
		return StatusMet
	}
	return StatusMissed
}

// Recording rules of the judgment, evaluated after the values.
const (
	// RecordMet is 1 for a met KPI and 0 for a missed one, per judged KPI
	// (labels kpi and panel); absent with no data or not judged.
	RecordMet = "heady:kpi_met"
	// RecordNoData is 1 per judged KPI with nothing to judge it by.
	RecordNoData = "heady:kpi_no_data"
	// RecordCountMet, RecordCountMissed and RecordCountNoData count the
	// KPIs in each status; RecordCountJudged counts met plus missed.
	RecordCountMet    = "heady:kpis_met"
	RecordCountMissed = "heady:kpis_missed"
	RecordCountNoData = "heady:kpis_no_data"
	RecordCountJudged = "heady:kpis_judged"
)

// Counts is how many KPIs are in each status.
type Counts struct{ Met, Missed, NoData, NotJudged int }

// Judged is met plus missed.
func (c Counts) Judged() int { return c.Met + c.Missed }

// Headline is the score as people read it: "25 of 31 targets met, 6
// missed, 2 with no data"; "No target judged: 33 with no data" when
// nothing can be judged.
func (c Counts) Headline() string {
	switch {
	case c.Judged() == 0 && c.NoData == 0:
		return "No target judged yet"
	case c.Judged() == 0:
		return fmt.Sprintf("No target judged: %d with no data", c.NoData)
	}
	s := fmt.Sprintf("%d of %d targets met", c.Met, c.Judged())
	if c.Missed > 0 {
		s += fmt.Sprintf(", %d missed", c.Missed)
	}
	if c.NoData > 0 {
		s += fmt.Sprintf(", %d with no data", c.NoData)
	}
	return s
}

// Count counts statuses.
func Count(statuses []Status) Counts {
	var c Counts
	for _, s := range statuses {
		switch s {
		case StatusMet:
			c.Met++
		case StatusMissed:
			c.Missed++
		case StatusNoData:
			c.NoData++
		default:
			c.NotJudged++
		}
	}
	return c
}
