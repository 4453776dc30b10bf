package scorecard

import (
	"fmt"
	"io"
	"strings"
	"unicode/utf8"
)

// WriteText renders the plain-text form: the same content as the HTML,
// one aligned line per KPI (title, value, target, status, change against
// last week, a block-character sparkline), with the trend and top lists
// on indented lines under it.
func (c *Card) WriteText(w io.Writer) error {
	var b strings.Builder
	b.WriteString(c.Title + "\n")
	if !c.Week.IsZero() {
		fmt.Fprintf(&b, "%s to %s (UTC); values as of %s, from %s.\n",
			c.Week.Start().Format("Mon 2 Jan 2006"), c.Week.End().AddDate(0, 0, -1).Format("Mon 2 Jan 2006"), fmtTime(c.At), c.Origin)
	} else {
		fmt.Fprintf(&b, "As of %s, from %s.\n", fmtTime(c.At), c.Origin)
	}
	if c.Note != "" {
		b.WriteString(c.Note + "\n")
	}
	b.WriteString(c.Headline() + "\n")
	if c.Sources != nil {
		if down := c.SourcesDown(); len(down) > 0 {
			fmt.Fprintf(&b, "Sources down: %s\n", strings.Join(down, ", "))
		} else {
			b.WriteString("All sources up\n")
		}
	}
	if missed := c.Missed(); len(missed) > 0 {
		b.WriteString("\nMISSED\n======\n")
		var t table
		for _, r := range missed {
			t.add(r.KPI.Title, r.ValueText(), "target "+r.TargetText())
		}
		for _, line := range t.lines() {
			b.WriteString(line + "\n")
		}
	}
	for _, p := range c.Panels() {
		fmt.Fprintf(&b, "\n%s\n%s\n", strings.ToUpper(p.Title), strings.Repeat("=", len(p.Title)))
		var t table
		var notes [][]string
		for _, r := range p.Rows {
			target := r.TargetText()
			if target != "" {
				target = "target " + target
			}
			ch, _ := r.Change()
			cells := []string{r.KPI.Title, r.ValueText(), target, strings.ToUpper(r.StatusText()), ch}
			if len(r.Series) > 0 {
				cells = append(cells, Sparkline(r.Series))
			}
			t.add(cells...)
			var n []string
			if s := r.TopText(); s != "" {
				n = append(n, "top: "+s)
			}
			notes = append(notes, n)
		}
		for i, line := range t.lines() {
			b.WriteString(line + "\n")
			for _, n := range notes[i] {
				b.WriteString("    " + n + "\n")
			}
		}
	}
	if c.Sources != nil {
		b.WriteString("\nSOURCES\n=======\n")
		var t table
		for _, s := range c.Sources {
			t.add(s.Name, s.StatusText(), "last success "+fmtTime(s.LastSuccess), "errors "+errorsText(s.Errors), s.Problem())
		}
		for _, line := range t.lines() {
			b.WriteString(line + "\n")
		}
	}
	if u := c.Links.Docs(); u != "" {
		fmt.Fprintf(&b, "\nKPI definitions and runbooks: %s\n", u)
	}
	_, err := io.WriteString(w, b.String())
	return err
}

// table aligns cells in columns two spaces apart.
type table struct{ rows [][]string }

func (t *table) add(cells ...string) { t.rows = append(t.rows, cells) }

func (t *table) lines() []string {
	var width []int
	for _, r := range t.rows {
		for i, c := range r {
			if i >= len(width) {
				width = append(width, 0)
			}
			width[i] = max(width[i], utf8.RuneCountInString(c))
		}
	}
	out := make([]string, len(t.rows))
	for j, r := range t.rows {
		var b strings.Builder
		for i, c := range r {
			b.WriteString(c)
			if i < len(r)-1 {
				b.WriteString(strings.Repeat(" ", width[i]-utf8.RuneCountInString(c)+2))
			}
		}
		out[j] = strings.TrimRight(b.String(), " ")
	}
	return out
}
