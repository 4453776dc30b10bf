package dashboards

import (
	"github.com/grafana/grafana-foundation-sdk/go/dashboard"
	"github.com/grafana/grafana-foundation-sdk/go/text"
)

// runbooks is the runbooks dashboard: one text panel per runbook section,
// its id the section's, so that an alert's runbook_url (and a KPI panel's
// runbook link) opens it alone with viewPanel. Runbooks live in Grafana so
// that every link to them derives from Grafana's one external URL.
func runbooks(sections []RunbookSection) *dashboard.DashboardBuilder {
	b := newDashboard(RunbooksUID, "Heady runbooks",
		"What each KPI means, what moves it and what to check first, then the exporter's own alerts; generated from the catalog with docs/runbooks.md.",
		"runbooks").
		Link(linkTo("Is Heady winning?", ExecutiveUID)).
		Link(menu())
	for _, s := range sections {
		b.WithPanel(text.NewPanelBuilder().
			Id(s.ID).
			Title(s.Title).
			Mode(text.TextModeMarkdown).
			Content(s.Markdown).
			Span(24).Height(12))
	}
	return b
}
