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
	met, judged := c.Score()
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
	fmt.Fprintf(&b, "%d/%d targets met\n", met, judged)
	compare := !c.Week.IsZero()
	for _, p := range c.Panels() {
		fmt.Fprintf(&b, "\n%s\n%s\n", strings.ToUpper(p.Title), strings.Repeat("=", len(p.Title)))
		var t table
		var notes [][]string
		for _, r := range p.Rows {
			target := r.TargetText()
			if target != "" {
				target = "target " + target
			}
			cells := []string{r.KPI.Title, r.ValueText(), target, strings.ToUpper(r.Status())}
			if compare {
				ch, _ := r.Change()
				if ch != "" {
					ch += " vs last week"
				}
				cells = append(cells, ch, Sparkline(r.Series))
			}
			t.add(cells...)
			var n []string
			if s := r.TrendText(); s != "" {
				n = append(n, s)
			}
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
	fmt.Fprintf(&b, "\nKPI definitions and runbooks: %s\n", DocsURL)
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
