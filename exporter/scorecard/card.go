// Package scorecard renders the KPI scorecard: one model (Card) and one
// renderer for its three forms — the live page the exporter serves at "/",
// the weekly digest's email-safe HTML, and the plain-text form — plus the
// small PNG trend charts the digest attaches.
//
// It owns layout and wording only. It computes no KPI (values come in as
// kpi.Results, from the engine or from Prometheus), reads no source, sends
// no mail and serves no HTTP; the digest package and the web package do.
package scorecard

import (
	"fmt"
	"math"
	"time"

	"github.com/heady/heady-metrics/exporter/source"
	"github.com/heady/heady-metrics/kpi"
	"github.com/heady/heady-metrics/links"
)

// Week is an ISO 8601 week. Weeks run Monday 00:00 to Monday 00:00 UTC.
type Week struct{ Year, Week int }

// WeekOf returns the ISO week containing t (in UTC).
func WeekOf(t time.Time) Week {
	y, w := t.UTC().ISOWeek()
	return Week{y, w}
}

// WeekEnded returns the newest ISO week that has ended as of t: the week
// before the one containing t. At Monday 00:00:00 exactly, the week that
// just ended.
func WeekEnded(t time.Time) Week { return WeekOf(t.UTC().AddDate(0, 0, -7)) }

// Start is the week's first instant (Monday 00:00 UTC).
func (w Week) Start() time.Time {
	// January 4th is always in ISO week 1.
	jan4 := time.Date(w.Year, time.January, 4, 0, 0, 0, 0, time.UTC)
	monday := jan4.AddDate(0, 0, -((int(jan4.Weekday()) + 6) % 7))
	return monday.AddDate(0, 0, 7*(w.Week-1))
}

// End is the instant the week ends (the next Monday 00:00 UTC), which is
// when its values are taken: every 7d window then covers exactly the week.
func (w Week) End() time.Time { return w.Start().AddDate(0, 0, 7) }

// String is the ISO form, "2026-W48".
func (w Week) String() string { return fmt.Sprintf("%04d-W%02d", w.Year, w.Week) }

// IsZero reports whether w is the zero Week (the live page has none).
func (w Week) IsZero() bool { return w == Week{} }

// Point is one value of a KPI's trend chart.
type Point struct {
	Time  time.Time
	Value float64
	OK    bool // false: no value at that instant
}

// Row is one KPI on the card.
type Row struct {
	kpi.Result // as of the card's At
	// LastWeek is the value a week before At (HasLastWeek false: none).
	LastWeek    float64
	HasLastWeek bool
	// Series is the trend chart, oldest first (empty: no chart).
	Series []Point
}

// Card is a scorecard as of one instant.
type Card struct {
	Title string
	Week  Week      // the reported week; zero on the live page
	At    time.Time // the instant the values are as of
	// Origin says where the values come from ("the exporter's engine",
	// "Prometheus at http://...").
	Origin string
	Rows   []Row // catalog order
	// Sources is the source status table (nil: not shown).
	Sources []source.HealthView
	// Note is an optional line under the title (for example "reading
	// the sources for the first time").
	Note string
	// Links is the external URL setting: the footer's links to the KPI
	// definitions and to Grafana (none when it is empty).
	Links links.Base
}

// NewWeekly builds the digest card of week w from the results at its end,
// the results a week earlier (nil: no comparison) and each KPI's chart
// points by KPI id.
func NewWeekly(w Week, origin string, cur, prev []kpi.Result, series map[string][]Point) *Card {
	c := &Card{Title: "Heady scorecard " + w.String(), Week: w, At: w.End(), Origin: origin}
	c.Rows = rows(cur, prev, series)
	return c
}

// NewLive builds the live page's card from the results at at and the
// sources' status.
func NewLive(at time.Time, cur []kpi.Result, sources []source.HealthView) *Card {
	c := &Card{Title: "Heady scorecard", At: at, Origin: "this exporter, live"}
	c.Rows = rows(cur, nil, nil)
	c.Sources = sources
	if c.Sources == nil {
		c.Sources = []source.HealthView{}
	}
	return c
}

func rows(cur, prev []kpi.Result, series map[string][]Point) []Row {
	byID := map[string]kpi.Result{}
	for _, r := range prev {
		byID[r.KPI.ID] = r
	}
	out := make([]Row, 0, len(cur))
	for _, r := range cur {
		row := Row{Result: r, Series: series[r.KPI.ID]}
		if p, ok := byID[r.KPI.ID]; ok && p.HasValue {
			row.LastWeek, row.HasLastWeek = p.Value, true
		}
		out = append(out, row)
	}
	return out
}

// Counts is the judgment's counts over the card's rows (kpi.Count): the
// same numbers the recording rules count.
func (c *Card) Counts() kpi.Counts {
	st := make([]kpi.Status, len(c.Rows))
	for i, r := range c.Rows {
		st[i] = r.Status
	}
	return kpi.Count(st)
}

// Score is the targets met and the KPIs judged (met plus missed).
func (c *Card) Score() (met, judged int) {
	n := c.Counts()
	return n.Met, n.Judged()
}

// Headline is the score for people: "25 of 31 targets met, 6 missed, 2
// with no data".
func (c *Card) Headline() string { return c.Counts().Headline() }

// Subject is the digest's mail subject and the page's title:
// "Heady scorecard 2026-W48: 25 of 31 targets met, 6 missed, 2 with no
// data".
func (c *Card) Subject() string { return c.Title + ": " + c.Headline() }

// Missed lists the missed KPIs in catalog order.
func (c *Card) Missed() []Row {
	var out []Row
	for _, r := range c.Rows {
		if r.Status == kpi.StatusMissed {
			out = append(out, r)
		}
	}
	return out
}

// SourcesDown lists the names of the sources that are down.
func (c *Card) SourcesDown() []string {
	var out []string
	for _, s := range c.Sources {
		if !s.Up {
			out = append(out, s.Name)
		}
	}
	return out
}

// Panel is one panel's rows, for rendering.
type Panel struct {
	ID    kpi.Panel
	Title string
	Rows  []Row
}

// Panels groups the rows by panel in display order, North Star first;
// panels with no rows are left out.
func (c *Card) Panels() []Panel {
	var out []Panel
	for _, p := range kpi.Panels {
		pn := Panel{ID: p.ID, Title: p.Title}
		for _, r := range c.Rows {
			if r.KPI.Panel == p.ID {
				pn.Rows = append(pn.Rows, r)
			}
		}
		if len(pn.Rows) > 0 {
			out = append(out, pn)
		}
	}
	return out
}

// ValueText is the value in the KPI's unit; for a top list with no
// single value, its leader (the whole list is in TopText); "no data"
// without a value.
func (r Row) ValueText() string {
	if !r.HasValue {
		if len(r.Top) > 0 {
			return r.Top[0].Name
		}
		return "no data"
	}
	return kpi.FormatValue(r.KPI.Unit, r.Value)
}

// TopText lists the top entries: "code-review 509, bug-fix 247".
func (r Row) TopText() string {
	s := ""
	for i, t := range r.Top {
		if i > 0 {
			s += ", "
		}
		s += t.Name + " " + kpi.FormatValue(kpi.UnitCount, t.Count)
	}
	return s
}

// TargetText is the target written for people, "" when it has none.
func (r Row) TargetText() string { return r.KPI.Target.Text(r.KPI.Unit) }

// StatusText is the status as shown; a guarded KPI whose cohort is too
// small says why it is not judged.
func (r Row) StatusText() string {
	if r.Status == kpi.StatusNotJudged && r.GuardFails {
		return "cohort too small"
	}
	return string(r.Status)
}

// Direction is whether a change is good, bad or neither for a KPI.
type Direction int

const (
	Neutral Direction = iota
	Better
	Worse
)

// Change is the one change a row shows. A KPI with a previous window
// (trend KPIs, policy blocks) shows its trend: "+6% vs previous window";
// the others their value against last week (digest only): "+2.1 pp vs
// last week" for ratios, "+12% vs last week" otherwise (an absolute
// difference when last week was 0), "= vs last week" when unchanged. ""
// when there is nothing to compare. The direction says whether the move
// is better or worse given the KPI's target.
func (r Row) Change() (string, Direction) {
	if r.KPI.PrevF != nil {
		if !r.HasTrend {
			return "", Neutral
		}
		d := r.Trend - 1
		if math.Abs(d) < 0.0005 {
			return "= vs previous window", Neutral
		}
		return fmt.Sprintf("%+.1f%% vs previous window", d*100), direction(r.KPI.Target, 1, r.Trend)
	}
	s, dir := r.weekChange()
	if s != "" {
		s += " vs last week"
	}
	return s, dir
}

// weekChange is the value against last week, without the suffix.
func (r Row) weekChange() (string, Direction) {
	if !r.HasValue || !r.HasLastWeek {
		return "", Neutral
	}
	d := r.Value - r.LastWeek
	if d == 0 || math.Abs(d) < 1e-12*math.Max(1, math.Abs(r.LastWeek)) {
		return "=", Neutral
	}
	var s string
	switch {
	case r.KPI.Unit == kpi.UnitRatio:
		s = fmt.Sprintf("%+.1f pp", d*100)
	case r.LastWeek != 0:
		s = fmt.Sprintf("%+.1f%%", d/math.Abs(r.LastWeek)*100)
	default:
		s = "+" + kpi.FormatValue(r.KPI.Unit, d)
		if d < 0 {
			s = kpi.FormatValue(r.KPI.Unit, d)
		}
	}
	return s, direction(r.KPI.Target, r.LastWeek, r.Value)
}

// direction judges a move from a to b against target t.
func direction(t kpi.Target, a, b float64) Direction {
	up := b > a
	switch {
	case t.Op == kpi.OpGT || t.Op == kpi.OpGE || t.Trend == kpi.TrendIncreasing:
		if up {
			return Better
		}
		return Worse
	case t.Op == kpi.OpLT || t.Op == kpi.OpLE || t.Trend == kpi.TrendDecreasing:
		if up {
			return Worse
		}
		return Better
	case t.Op == kpi.OpEQ:
		da, db := math.Abs(a-t.Value), math.Abs(b-t.Value)
		switch {
		case db < da:
			return Better
		case db > da:
			return Worse
		}
	}
	return Neutral
}
