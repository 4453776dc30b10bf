package alerts

import (
	"bytes"
	"fmt"
	"regexp"
	"strconv"
	"strings"

	"github.com/heady/heady-metrics/dashboards"
	"github.com/heady/heady-metrics/exporter/event"
	"github.com/heady/heady-metrics/kpi"
	"github.com/heady/heady-metrics/links"
)

// sloWindowDays is the window of tool_call_success's target, over which
// its error budget is spent.
const sloWindowDays = 7

// Runbooks renders docs/runbooks.md: one section per KPI, anchored by its
// id, one per burn-rate alert and one per exporter or source alert,
// anchored by Anchor(name). It fails when an alert of Rules has no runbook
// entry or links to a section it does not write, so that a new alert
// cannot ship without one.
func Runbooks(o Options) ([]byte, error) {
	rf, err := Rules(o)
	if err != nil {
		return nil, err
	}
	return runbooksFor(o, rf, linker{})
}

// runbooksFor writes the runbooks of rf, with links for where they are
// read (lk): the same text is docs/runbooks.md and the runbooks dashboard.
func runbooksFor(o Options, rf RuleFile, lk linker) ([]byte, error) {
	header, secs, err := runbookSections(o, rf, lk)
	if err != nil {
		return nil, err
	}
	var b strings.Builder
	b.WriteString(header)
	for _, sec := range secs {
		fmt.Fprintf(&b, "\n## %s\n\n%s", sec.anchor, sec.body)
	}
	return []byte(b.String()), nil
}

// runbookSection is one section of the runbooks: its anchor (the heading),
// the title it opens with in bold, and its markdown under the heading.
type runbookSection struct{ anchor, title, body string }

// runbookSections writes the runbooks, with links for where they are read
// (lk): the text before the first section, and the sections.
func runbookSections(o Options, rf RuleFile, lk linker) (string, []runbookSection, error) {
	var b bytes.Buffer
	b.WriteString(mdHeader)
	b.WriteString("# Runbooks\n\n")
	b.WriteString("One section per KPI (the heading is the KPI id, which is the anchor its alerts link to), then the " +
		"tool call error-budget alerts and the exporter's and sources' own alerts. Each says what the alert means, what " +
		"it costs, the likely causes, the queries to run (paste them into Prometheus or Grafana Explore) and the fix. " +
		"Definitions and targets come from the catalog ([kpis.md](kpis.md)); series: [metrics.md](metrics.md); " +
		"the inputs and their skip reasons: [events.md](events.md). The same sections are the panels of the Grafana dashboard `" +
		links.Path(links.RunbooksUID) + "` (\"Heady runbooks\"), which the alerts' runbook_url opens behind the `external_url` of the exporter's configuration.\n")
	header := lk.sectionLinks(lk.dashLinks(b.String()))
	var secs []runbookSection
	section := func(anchor string, write func(*bytes.Buffer) string) {
		var body bytes.Buffer
		title := write(&body)
		secs = append(secs, runbookSection{anchor: anchor, title: title, body: lk.sectionLinks(lk.dashLinks(body.String()))})
	}
	anchors := map[string]bool{}
	for _, k := range kpi.Catalog {
		a, ok := runbookAdvice[k.ID]
		if !ok || len(a.causes) == 0 || len(a.fix) == 0 || len(a.queries) == 0 {
			return "", nil, fmt.Errorf("alerts: KPI %s has no runbook advice with causes, queries and fix (alerts/runbooks.go)", k.ID)
		}
		section(k.ID, func(b *bytes.Buffer) string { return kpiRunbook(b, o, k, a) })
		anchors[k.ID] = true
	}
	for _, g := range rf.Groups {
		for _, r := range g.Rules {
			switch {
			case r.Alert == "" || g.Name == GroupKPI:
				continue
			case g.Name == GroupSLO:
				section(Anchor(r.Alert), func(b *bytes.Buffer) string { return burnRunbook(b, o, r) })
			default:
				rb, ok := opsRunbookFor(o, r)
				if !ok || rb.means == "" || rb.impact == "" || len(rb.causes) == 0 || len(rb.queries) == 0 || len(rb.fix) == 0 {
					return "", nil, fmt.Errorf("alerts: alert %s has no runbook entry with meaning, impact, causes, queries and fix (opsRunbooks in alerts/runbooks.go)", r.Alert)
				}
				section(Anchor(r.Alert), func(b *bytes.Buffer) string { return writeOpsRunbook(b, o, r, rb) })
			}
			anchors[Anchor(r.Alert)] = true
		}
	}
	for _, g := range rf.Groups {
		for _, r := range g.Rules {
			if r.Alert == "" {
				continue
			}
			if url := r.Annotations[AnnRunbook]; !anchorLinked(o, url, anchors) {
				return "", nil, fmt.Errorf("alerts: %s links to %s, a runbook section that is not written", r.Alert, url)
			}
		}
	}
	return header, secs, nil
}

// dashRef is the link target of a dashboard in a runbook, rewritten by
// linker.dashLinks for where the runbook is read.
func dashRef(uid string) string { return "dash:" + uid }

var dashLink = regexp.MustCompile(`\[([^\]]+)\]\(dash:([^)]+)\)`)

// dashLinks rewrites the [title](dash:uid) links of text: a Grafana path
// inside Grafana, the title and the path to open in Grafana elsewhere.
func (l linker) dashLinks(text string) string {
	return dashLink.ReplaceAllStringFunc(text, func(m string) string {
		sm := dashLink.FindStringSubmatch(m)
		return l.dash(sm[1], sm[2])
	})
}

func anchorLinked(o Options, url string, anchors map[string]bool) bool {
	for a := range anchors {
		if url == o.RunbookURL(a) {
			return true
		}
	}
	return false
}

func list(b *bytes.Buffer, title string, items []string) {
	if len(items) == 0 {
		return
	}
	fmt.Fprintf(b, "\n%s\n\n", title)
	for _, it := range items {
		fmt.Fprintf(b, "- %s\n", it)
	}
}

func queries(b *bytes.Buffer, qs []Query) {
	b.WriteString("\nQueries:\n\n")
	for _, x := range qs {
		fmt.Fprintf(b, "- %s:\n\n  ```promql\n  %s\n  ```\n", x.What, x.Expr)
	}
}

func kpiQueries(k kpi.KPI, a advice) []Query {
	qs := []Query{q("The KPI's value now", k.Selector(kpi.RecordValue))}
	if k.Expr != "" {
		qs = append(qs, q("The same from the exported series (works without the recording rules)", k.Expr))
	}
	if k.TopExpr != "" {
		qs = append(qs, q("Top list", k.TopExpr))
	}
	return append(qs, a.queries...)
}

// kpiRunbook writes a KPI's section under its heading and returns its title.
func kpiRunbook(b *bytes.Buffer, _ Options, k kpi.KPI, a advice) string {
	fmt.Fprintf(b, "**%s** (panel %s, unit %s)\n\n", k.Title, kpi.PanelTitle(k.Panel), k.Unit)
	fmt.Fprintf(b, "- What it means: %s\n", k.Help)
	fmt.Fprintf(b, "- Target: %s.\n", targetCell(k))
	switch {
	case k.Target.HasValueTarget():
		fmt.Fprintf(b, "- Alert: `%s`, %s, fires when `%s` holds for %s.\n", ValueAlertName(k), k.Severity, ValueAlertExpr(k), k.For)
	case k.Target.HasTrendTarget():
		fmt.Fprintf(b, "- Alert: `%s`, %s, fires when `%s` holds for %s.\n", TrendAlertName(k), k.Severity, TrendAlertExpr(k), k.For)
	default:
		b.WriteString("- Alert: none (shown only).\n")
	}
	if NotifiesOnce(k) && k.Target.Judged() {
		b.WriteString("- Notifications: once when the alert starts and once when it resolves, never repeated while it fires (label `" + LabelNotify + "=\"" + NotifyOnce + "\"`): every window this KPI reads is 30 days or longer, so it stays breached for weeks after the event that caused it (Alertmanager must keep its notification log that long: see [alerting.md](alerting.md)). Nobody is reminded: when the message arrives, acknowledge it in the channel, open a ticket or incident for the follow-up and link it in the thread; while it fires, the Alertmanager UI and the dashboard show it. Do not silence it to make it quiet: a silence also hides the next, new breach.\n")
	}
	if k.ID == BurnKPI {
		for _, r := range burnRates {
			fmt.Fprintf(b, "- Error-budget alert: [`%s`](#%s), %s.\n", r.Alert, Anchor(r.Alert), r.Severity)
		}
	}
	if k.Guard != "" {
		fmt.Fprintf(b, "- Cohort guard: the alert is only evaluated while `%s` returns a sample.\n", k.Guard)
	}
	impact := a.impact
	if impact == "" {
		impact = panelImpact[k.Panel]
	}
	fmt.Fprintf(b, "- Impact: %s\n", impact)
	list(b, "Likely causes:", append(append([]string{}, a.causes...),
		"The data, not the product, moved: a source is down or stale (see the exporter and sources dashboard and [source-not-updated](#source-not-updated))."))
	queries(b, kpiQueries(k, a))
	list(b, "Where to look:", append(append([]string{}, a.checks...),
		"[Heady: exporter and sources]("+dashRef(dashboards.SourcesUID)+")."))
	list(b, "Fix:", a.fix)
	fmt.Fprintf(b, "\nDashboard: [%s](%s) (drill-down), from [Is Heady winning?](%s).\n",
		"Heady: "+kpi.PanelTitle(k.Panel), dashRef(dashboards.PanelUID(k.Panel)), dashRef(dashboards.ExecutiveUID))
	return k.Title
}

// burnRunbook writes a burn-rate alert's section: the time left on the
// error budget at the alerting rate, the urgency, the queries that find
// the failing tool, and the fix. It returns the section's title.
func burnRunbook(b *bytes.Buffer, _ Options, r Rule) string {
	k, _ := kpi.Lookup(BurnKPI)
	a := runbookAdvice[BurnKPI]
	var br = burnRates[0]
	for _, x := range burnRates {
		if x.Alert == r.Alert {
			br = x
		}
	}
	budget, _ := strconv.ParseFloat(strconv.FormatFloat(1-k.Target.Value, 'g', 10, 64), 64)
	windowH := float64(sloWindowDays * 24)
	title := fmt.Sprintf("Tool call error budget burning %gx too fast", br.Factor)
	fmt.Fprintf(b, "**%s** (alert `%s`, %s)\n\n", title, r.Alert, whenText(br.Severity, br.For))
	fmt.Fprintf(b, "- What it means: the tool call error ratio over the last %s and over the last %s are both above %s: %g times the error budget (%s of calls may fail under the [`%s`](#%s) target, %s over %dd).\n",
		br.Long, br.Short, humanizePercentage(br.Factor*budget), br.Factor, humanizePercentage(budget), BurnKPI, BurnKPI, k.Target.Format(k.Unit), sloWindowDays)
	fmt.Fprintf(b, "- Time left: at this rate the whole %dd error budget is spent in %s; every hour at this rate spends %s of it, and the %s that triggered the alert already spent %s.\n",
		sloWindowDays, humanizeDuration(windowH*3600/br.Factor), humanizePercentage(br.Factor/windowH), br.Long, humanizePercentage(br.Factor*hours(br.Long)/windowH))
	fmt.Fprintf(b, "- Urgency: %s\n", burnUrgency(br.Severity))
	fmt.Fprintf(b, "- Impact: %s\n", a.impact)
	list(b, "Likely causes:", a.causes)
	queries(b, []Query{
		q("Error ratio over "+br.Long, ErrorRatioExpr(br.Long)),
		q("Error ratio over "+br.Short+" (falls first when the fix works)", ErrorRatioExpr(br.Short)),
		q(fmt.Sprintf("Share of the %dd error budget left (negative: spent)", sloWindowDays), fmt.Sprintf("1 - (%s) / %s", ErrorRatioExpr(kpi.W7d), num(budget))),
		q("The failing tools: errors added in the last hour, by tool and status", toolErrorsLastHour),
		q("Error ratio by tool (7d), worst first", "sort_desc("+toolErrorRatio+")"),
		q("Calls by status over "+br.Long+" (error or denied?)", fmt.Sprintf(`sum by (status) (%s{window=%q})`, kpi.SToolCalls, br.Long)),
	})
	list(b, "Fix:", append(append([]string{}, a.fix...),
		"Confirm: the "+br.Short+" ratio drops below the limit within minutes of the fix; the alert resolves once both windows are below it."))
	fmt.Fprintf(b, "\nDashboard: [Heady: %s](%s).\n", kpi.PanelTitle(k.Panel), dashRef(dashboards.PanelUID(k.Panel)))
	return title
}

// hours is a window label's length in hours.
func hours(window string) float64 {
	d, err := strconv.Atoi(window[:len(window)-1])
	if err != nil {
		panic("alerts: window " + window)
	}
	switch window[len(window)-1] {
	case 'm':
		return float64(d) / 60
	case 'h':
		return float64(d)
	case 'd':
		return float64(d) * 24
	}
	panic("alerts: window " + window)
}

// writeOpsRunbook writes an exporter or source alert's section under its
// heading and returns its title.
func writeOpsRunbook(b *bytes.Buffer, _ Options, r Rule, rb opsRunbook) string {
	fmt.Fprintf(b, "**%s** (alert `%s`, %s)\n\n", rb.title, r.Alert, whenText(r.Labels["severity"], r.For))
	fmt.Fprintf(b, "- What it means: %s Rule: `%s`.\n", rb.means, r.Expr)
	fmt.Fprintf(b, "- Impact: %s\n", rb.impact)
	list(b, "Likely causes:", rb.causes)
	queries(b, rb.queries)
	list(b, "Fix:", rb.fix)
	if rb.reasons {
		fmt.Fprintf(b, "\nBy reason of `%s`:\n\n| reason | what it means | fix |\n|---|---|---|\n", kpi.SSourceErrors)
		for _, reason := range event.Reasons {
			f := reasonFixes[reason]
			fmt.Fprintf(b, "| `%s` | %s | %s |\n", reason, cell(f.means), cell(f.fix))
		}
	}
	fmt.Fprintf(b, "\nDashboard: [Heady: exporter and sources](%s).\n", dashRef(dashboards.SourcesUID))
	return rb.title
}

// whenText is an alert's severity and how long its condition must hold
// before it fires ("warning after 15m"; "warning, at once" for an alert
// without a for: duration).
func whenText(severity, forDur string) string {
	if forDur == "" || forDur == "0s" {
		return severity + ", at once"
	}
	return severity + " after " + forDur
}
