package scorecard

import (
	"math"
	"time"
)

// LiveDocument is the JSON the live page refreshes itself from: the
// card's data for automation, and the rendered fragment the page's script
// swaps in, so the page has one renderer (this package) and no client-side
// templating.
type LiveDocument struct {
	Title   string       `json:"title"`
	At      time.Time    `json:"at"`
	Met     int          `json:"met"`
	Missed  int          `json:"missed"`
	NoData  int          `json:"no_data"`
	Judged  int          `json:"judged"`
	KPIs    []LiveKPI    `json:"kpis"`
	Sources []LiveSource `json:"sources"`
	HTML    string       `json:"html"`
}

// LiveKPI is one KPI in the live document.
type LiveKPI struct {
	ID      string   `json:"id"`
	Panel   string   `json:"panel"`
	Title   string   `json:"title"`
	Value   *float64 `json:"value"`
	Display string   `json:"display"`
	Target  string   `json:"target,omitempty"`
	Status  string   `json:"status"`
	Change  string   `json:"change,omitempty"`
}

// LiveSource is one source's status in the live document.
type LiveSource struct {
	Name        string     `json:"name"`
	Up          bool       `json:"up"`
	Stale       bool       `json:"stale"`
	State       string     `json:"state"`
	Files       *int       `json:"files,omitempty"`
	LastSuccess *time.Time `json:"last_success"`
	Errors      uint64     `json:"errors"`
	LastError   string     `json:"last_error,omitempty"`
}

// Live builds the live page's JSON document; o is the page's options
// (Mode Page).
func (c *Card) Live(o HTMLOptions) (*LiveDocument, error) {
	frag, err := c.Fragment(o)
	if err != nil {
		return nil, err
	}
	n := c.Counts()
	d := &LiveDocument{Title: c.Subject(), At: c.At.UTC(),
		Met: n.Met, Missed: n.Missed, NoData: n.NoData, Judged: n.Judged(), KPIs: make([]LiveKPI, 0, len(c.Rows)), Sources: make([]LiveSource, 0, len(c.Sources)), HTML: frag}
	for _, r := range c.Rows {
		ch, _ := r.Change()
		k := LiveKPI{ID: r.KPI.ID, Panel: string(r.KPI.Panel), Title: r.KPI.Title, Display: r.ValueText(),
			Target: r.TargetText(), Status: string(r.Status), Change: ch}
		if r.HasValue && !math.IsNaN(r.Value) && !math.IsInf(r.Value, 0) {
			v := r.Value
			k.Value = &v
		}
		d.KPIs = append(d.KPIs, k)
	}
	for _, s := range c.Sources {
		ls := LiveSource{Name: s.Name, Up: s.Up, Stale: s.Stale, State: s.StatusText(), LastError: s.Problem()}
		if s.FileSource() {
			n := s.Files
			ls.Files = &n
		}
		if !s.LastSuccess.IsZero() {
			t := s.LastSuccess.UTC()
			ls.LastSuccess = &t
		}
		for _, n := range s.Errors {
			ls.Errors += n
		}
		d.Sources = append(d.Sources, ls)
	}
	return d, nil
}
